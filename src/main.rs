//! `regionsim`: a thin shell over the library. Exit codes: 0 success, 1 an objective missed, 2 usage,
//! input or I/O error. A closed pipe on stdout is not an error (`regionsim run ... | head`).

use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use regionsim::cli::args::{Cli, Command, exit};
use regionsim::cli::console;
use regionsim::cli::examples::{Kind, Materialized};
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
    // A model or scenario that is not a file but names a built-in example is read from its copy.
    let mut examples = Materialized::default();
    match command {
        Command::Validate { model, scenario, overrides } => {
            let model = examples.resolve(&model, Kind::Model);
            let scenario = scenario.map(|s| examples.resolve(&s, Kind::Scenario));
            verbs::validate(&model, scenario.as_deref(), &overrides.set)
        }
        Command::Run(mut args) => {
            args.model = examples.resolve(&args.model, Kind::Model);
            args.scenario = examples.resolve(&args.scenario, Kind::Scenario);
            verbs::run(&args)
        }
        Command::Report(args) => verbs::rerender(&args),
        Command::Compare(mut args) => {
            args.models = args.models.iter().map(|m| examples.resolve(m, Kind::Model)).collect();
            args.scenario = examples.resolve(&args.scenario, Kind::Scenario);
            verbs::compare(&args)
        }
        Command::Sweep(mut args) => {
            args.model = examples.resolve(&args.model, Kind::Model);
            args.scenario = examples.resolve(&args.scenario, Kind::Scenario);
            verbs::sweep(&args)
        }
        Command::Merge(args) => regionsim::cli::shard::merge(&args),
        Command::Explain(mut args) => {
            args.model = examples.resolve(&args.model, Kind::Model);
            args.scenario = args.scenario.map(|s| examples.resolve(&s, Kind::Scenario));
            regionsim::cli::explain::explain(&args)
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
