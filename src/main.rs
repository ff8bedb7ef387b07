//! `regionsim`: a thin shell over the library. Exit codes: 0 success, 1 an objective missed, 2 usage,
//! input or I/O error.

use std::process::ExitCode;

use clap::Parser;

use regionsim::cli::args::{Cli, Command};
use regionsim::cli::verbs;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Validate { model, scenario, overrides } => {
            verbs::validate(&model, scenario.as_deref(), &overrides.set)
        }
        Command::Run(args) => verbs::run(&args),
        Command::Report(args) => verbs::rerender(&args),
        Command::Compare(args) => verbs::compare(&args),
        Command::Sweep(args) => verbs::sweep(&args),
    };
    ExitCode::from(code as u8)
}
