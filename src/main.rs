//! `regionsim`: a thin shell over the library. Exit codes: 0 success, 1 an objective missed, 2 usage,
//! input or I/O error. A closed pipe on stdout is not an error (`regionsim run ... | head`).

use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use regionsim::cli::args::{Cli, Command, exit};
use regionsim::cli::console;
use regionsim::cli::examples::{Kind, note_builtin};
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
    // A model or scenario that is not a file but names a built-in example is read from its embedded
    // copy (by the input stage); say so.
    let model = |m: &std::path::Path| note_builtin(m, Kind::Model);
    let scenario = |s: &std::path::Path| note_builtin(s, Kind::Scenario);
    match command {
        Command::Validate { model: m, scenario: s, overrides } => {
            model(&m);
            s.iter().for_each(|s| scenario(s));
            verbs::validate(&m, s.as_deref(), &overrides.set)
        }
        Command::Run(args) => {
            model(&args.model);
            scenario(&args.scenario);
            verbs::run(&args)
        }
        Command::Report(args) => verbs::rerender(&args),
        Command::Compare(args) => {
            args.models.iter().for_each(|m| model(m));
            scenario(&args.scenario);
            verbs::compare(&args)
        }
        Command::Sweep(args) => {
            model(&args.model);
            scenario(&args.scenario);
            verbs::sweep(&args)
        }
        Command::Merge(args) => regionsim::cli::shard::merge(&args),
        Command::Explain(args) => {
            model(&args.model);
            args.scenario.iter().for_each(|s| scenario(s));
            regionsim::cli::explain::explain(&args)
        }
        Command::Trace(args) => {
            model(&args.model);
            scenario(&args.scenario);
            regionsim::cli::trace::trace(&args)
        }
        Command::Examples { action } => verbs::examples(action.as_ref()),
        Command::Completions { shell } => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "regionsim", &mut script);
            console::out(&String::from_utf8_lossy(&script));
            exit::OK
        }
        Command::Man => {
            let mut page = Vec::new();
            match clap_mangen::Man::new(Cli::command()).render(&mut page) {
                Ok(()) => {
                    console::out(&String::from_utf8_lossy(&page));
                    exit::OK
                }
                Err(e) => {
                    console::err(&format!("error: rendering the manual page: {e}"));
                    exit::ERROR
                }
            }
        }
    }
}
