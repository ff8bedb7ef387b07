//! `regionsim`: a thin shell over the library. Exit codes: 0 success, 1 an objective missed, 2 usage,
//! input or I/O error. A closed pipe on stdout is not an error (`regionsim run ... | head`).

use std::process::ExitCode;

use clap::Parser;

use regionsim::cli::args::{Cli, Command, exit};
use regionsim::cli::console;
use regionsim::cli::verbs;

fn main() -> ExitCode {
    let code = match Cli::try_parse() {
        Ok(cli) => dispatch(cli.command),
        // `--help` and `--version` go to stdout through the console (a full disk is an error there too);
        // usage errors go to stderr with clap's formatting.
        Err(e) if e.use_stderr() => {
            let _ = e.print();
            exit::ERROR
        }
        Err(e) => {
            console::out(&e.render().to_string());
            exit::OK
        }
    };
    ExitCode::from(console::finish(code) as u8)
}

fn dispatch(command: Command) -> i32 {
    match command {
        Command::Validate { model, scenario, overrides } => {
            verbs::validate(&model, scenario.as_deref(), &overrides.set)
        }
        Command::Run(args) => verbs::run(&args),
        Command::Report(args) => verbs::rerender(&args),
        Command::Compare(args) => verbs::compare(&args),
        Command::Sweep(args) => verbs::sweep(&args),
    }
}
