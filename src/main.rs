//! `regionsim`: a thin shell over the library. Exit codes: 0 success, 1 an objective missed, 2 error.

use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::Parser;

use regionsim::cli::{Cli, Command, CompareArgs, ReportArgs, RunArgs, SimArgs, SweepArgs, exit};
use regionsim::study::{self, Adjustments, InputErrors, Override};
use regionsim::{compare, export, montecarlo, objective, output, report, sweep};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Validate { model, scenario, overrides } => {
            validate(&model, scenario.as_deref(), &overrides.set)
        }
        Command::Run(args) => run(&args),
        Command::Report(args) => rerender(&args),
        Command::Compare(args) => compare(&args),
        Command::Sweep(args) => sweep(&args),
    };
    ExitCode::from(code as u8)
}

fn parse_overrides(sets: &[String]) -> Result<Vec<Override>, InputErrors> {
    let mut errors = Vec::new();
    let mut out = Vec::new();
    for s in sets {
        match Override::parse(s) {
            Ok(o) => out.push(o),
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() { Ok(out) } else { Err(InputErrors(errors)) }
}

fn report_input_errors(e: &InputErrors) -> i32 {
    eprintln!("{e}");
    let n = e.0.len();
    eprintln!("error: {n} problem{} found", if n == 1 { "" } else { "s" });
    exit::ERROR
}

fn validate(model: &std::path::Path, scenario: Option<&std::path::Path>, sets: &[String]) -> i32 {
    let overrides = match parse_overrides(sets) {
        Ok(o) => o,
        Err(e) => return report_input_errors(&e),
    };
    let adjust = Adjustments { overrides, ..Adjustments::default() };
    let result = match scenario {
        Some(s) => study::load_study(model, s, &adjust).map(|_| ()),
        None => study::load_model(model, &adjust).map(|_| ()),
    };
    match result {
        Ok(()) => {
            println!(
                "ok: {}{} valid",
                model.display(),
                scenario.map(|s| format!(" and {}", s.display())).unwrap_or_default()
            );
            exit::OK
        }
        Err(e) => report_input_errors(&e),
    }
}

fn run(args: &RunArgs) -> i32 {
    let overrides = match parse_overrides(&args.sim.overrides.set) {
        Ok(o) => o,
        Err(e) => return report_input_errors(&e),
    };
    let adjust = Adjustments { overrides, replications: args.sim.replications, seed: args.sim.seed };
    let study = match study::load_study(&args.model, &args.scenario, &adjust) {
        Ok(s) => s,
        Err(e) => return report_input_errors(&e),
    };
    let started = Instant::now();
    let options = montecarlo::RunOptions { threads: args.sim.threads, progress: !args.sim.quiet };
    let observations = match montecarlo::run(&study.model, &study.scenario, &options) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::ERROR;
        }
    };
    let elapsed = started.elapsed();
    let report = report::build(&study, &args.sim.overrides.set, &observations);
    let dir = args.out.clone().unwrap_or_else(|| output::default_dir(&args.model, &args.scenario));
    if let Err(e) = write_outputs(&dir, &report) {
        eprintln!("error: {e:#}");
        return exit::ERROR;
    }
    if !args.sim.quiet {
        print!("{}", report::summary_table(&report));
        println!("\nwrote {} (open report.html)", dir.display());
        let requests: u64 = report.runs.iter().map(|r| r.requests).sum();
        let requests = requests - report.fidelity.fast_forwarded_requests;
        eprintln!(
            "simulated {} events ({} requests at request level) in {:.2} s: {:.1} M events/s",
            report.events.total,
            requests,
            elapsed.as_secs_f64(),
            report.events.total as f64 / elapsed.as_secs_f64() / 1e6
        );
    }
    if objective::any_failed(&report.objectives) {
        eprintln!("an objective failed (exit 1): see the Objectives table");
        return exit::OBJECTIVE_MISSED;
    }
    exit::OK
}

/// `--set`, `--seed` and `--replications` as library adjustments.
fn adjustments(sim: &SimArgs) -> Result<Adjustments, InputErrors> {
    let overrides = parse_overrides(&sim.overrides.set)?;
    Ok(Adjustments { overrides, replications: sim.replications, seed: sim.seed })
}

fn stem(p: &Path) -> String {
    p.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "study".into())
}

/// `regionsim compare MODEL... --scenario S`: designs run one after the other, each on all threads.
fn compare(args: &CompareArgs) -> i32 {
    let adjust = match adjustments(&args.sim) {
        Ok(a) => a,
        Err(e) => return report_input_errors(&e),
    };
    let studies = match compare::load(&args.models, &args.scenario, &adjust) {
        Ok(s) => s,
        Err(e) => return report_input_errors(&e),
    };
    let options = montecarlo::RunOptions { threads: args.sim.threads, progress: !args.sim.quiet };
    let comparison = match compare::run(&studies, &args.sim.overrides.set, &options) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::ERROR;
        }
    };
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| Path::new("output").join(format!("compare--{}", stem(&args.scenario))));
    if let Err(e) = export::compare::write_all(&dir, &comparison) {
        eprintln!("error: {e:#}");
        return exit::ERROR;
    }
    if !args.sim.quiet {
        print!("{}", compare::summary_text(&comparison));
        println!("\nwrote {} (open compare.html)", dir.display());
    }
    if compare::any_objective_failed(&comparison) {
        eprintln!("an objective failed for at least one design (exit 1): see the Objectives table");
        return exit::OBJECTIVE_MISSED;
    }
    exit::OK
}

/// `regionsim sweep MODEL SCENARIO --vary PATH=...`: the grid's points run one after the other.
fn sweep(args: &SweepArgs) -> i32 {
    let adjust = match adjustments(&args.sim) {
        Ok(a) => a,
        Err(e) => return report_input_errors(&e),
    };
    let mut varies = Vec::new();
    let mut errors = Vec::new();
    for raw in &args.vary {
        match sweep::Vary::parse(raw) {
            Ok(v) => varies.push(v),
            Err(e) => errors.push(e.to_string()),
        }
    }
    let grid = if errors.is_empty() {
        sweep::grid(&varies).map_err(|e| errors.push(e.to_string())).ok()
    } else {
        None
    };
    let Some(grid) = grid else {
        for e in &errors {
            eprintln!("{e}");
        }
        eprintln!("error: {} problem{} found", errors.len(), if errors.len() == 1 { "" } else { "s" });
        return exit::ERROR;
    };
    let studies = match sweep::load(&args.model, &args.scenario, &adjust, &varies, &grid) {
        Ok(s) => s,
        Err(points) => {
            let mut n = 0;
            for p in &points {
                eprintln!("at sweep point {}:", p.point);
                for e in &p.errors.0 {
                    eprintln!("  {e}");
                    n += 1;
                }
            }
            eprintln!(
                "error: {n} problem{} found at {} point(s)",
                if n == 1 { "" } else { "s" },
                points.len()
            );
            return exit::ERROR;
        }
    };
    let options = montecarlo::RunOptions { threads: args.sim.threads, progress: !args.sim.quiet };
    let result = match sweep::run(&studies, &varies, &grid, &args.sim.overrides.set, &options) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::ERROR;
        }
    };
    let dir = args.out.clone().unwrap_or_else(|| {
        Path::new("output").join(format!("sweep--{}--{}", stem(&args.model), stem(&args.scenario)))
    });
    if let Err(e) = export::sweep::write_all(&dir, &result) {
        eprintln!("error: {e:#}");
        return exit::ERROR;
    }
    if !args.sim.quiet {
        print!("{}", export::sweep::summary_text(&result));
        println!("\nwrote {} (open sweep.html)", dir.display());
    }
    exit::OK
}

/// `results.json`, then everything derived from it.
fn write_outputs(dir: &std::path::Path, report: &report::Report) -> Result<()> {
    export::write_results(dir, report)?;
    export::write_all(dir, report)?;
    Ok(())
}

/// `regionsim report RESULTS.json`: the derived outputs again, from the results file alone.
fn rerender(args: &ReportArgs) -> i32 {
    let report = match report::load(&args.results) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return exit::ERROR;
        }
    };
    let source_dir = args.results.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let dir = args.out.clone().unwrap_or_else(|| source_dir.to_path_buf());
    let result = (|| -> Result<()> {
        // Into another folder, the results travel along byte for byte (a JSON round trip could change them).
        let target = dir.join(export::RESULTS);
        if !same_file(&args.results, &target) {
            let bytes = std::fs::read(&args.results)
                .with_context(|| format!("reading {}", args.results.display()))?;
            output::write_atomic(&target, &bytes).with_context(|| format!("writing {}", target.display()))?;
        }
        export::write_all(&dir, &report)?;
        Ok(())
    })();
    if let Err(e) = result {
        eprintln!("error: {e:#}");
        return exit::ERROR;
    }
    if !args.quiet {
        print!("{}", report::summary_table(&report));
        println!("\nwrote {} (open report.html)", dir.display());
    }
    exit::OK
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}
