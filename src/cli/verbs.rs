//! The verbs: each loads its inputs (every problem reported), checks where its outputs go before
//! simulating, runs, writes one output folder, prints its summary, and returns an exit code
//! ([`exit`]).

use std::path::{Path, PathBuf};
use std::time::Instant;

use crate::analysis::{compare, objective, report, sweep, verdict};
use crate::cli::args::{CompareArgs, ExamplesAction, ReportArgs, RunArgs, SimArgs, SweepArgs, exit};
use crate::cli::console::{err, out};
use crate::cli::outputs::{run_exit, write_bundle, write_compare, write_run, write_sweep};
use crate::cli::shard;
use crate::model::study::{self, Adjustments, InputError, InputErrors, Override};
use crate::present as present_stage;
use crate::present::bundle;
use crate::present::document::Renderer;
use crate::present::render::text::Text;
use crate::sim::montecarlo;

/// The `--set`s that parse, and a problem for each that does not.
pub(crate) fn split_overrides(sets: &[String]) -> (Vec<Override>, Vec<InputError>) {
    let mut errors = Vec::new();
    let mut overrides = Vec::new();
    for s in sets {
        match Override::parse(s) {
            Ok(o) => overrides.push(o),
            Err(e) => errors.push(e),
        }
    }
    (overrides, errors)
}

/// Every `--set` parsed, or every problem with them.
fn parse_overrides(sets: &[String]) -> Result<Vec<Override>, InputErrors> {
    let (overrides, errors) = split_overrides(sets);
    if errors.is_empty() { Ok(overrides) } else { Err(InputErrors(errors)) }
}

pub(crate) fn report_input_errors(e: &InputErrors) -> i32 {
    err(&e.to_string());
    let n = e.0.iter().filter(|e| !matches!(e, InputError::Hint { .. })).count();
    err(&format!("error: {n} problem{} found", if n == 1 { "" } else { "s" }));
    exit::ERROR
}

/// `--set`, `--seed` and `--replications` as library adjustments, with the `--set`s that do not parse:
/// the files are loaded with the others, so that their problems are reported too.
fn adjustments(sim: &SimArgs) -> (Adjustments, Vec<InputError>) {
    let (overrides, errors) = split_overrides(&sim.overrides.set);
    (Adjustments { overrides, replications: sim.replications, seed: sim.seed }, errors)
}

/// A load's result with the `--set`s that did not parse: an error if either has problems, all of them
/// listed (the bad `--set`s first).
pub(crate) fn with_set_errors<T>(
    set_errors: Vec<InputError>,
    loaded: Result<T, InputErrors>,
) -> Result<T, InputErrors> {
    match (set_errors.is_empty(), loaded) {
        (true, loaded) => loaded,
        (false, Ok(_)) => Err(InputErrors(set_errors)),
        (false, Err(InputErrors(more))) => Err(InputErrors(set_errors.into_iter().chain(more).collect())),
    }
}

fn options(sim: &SimArgs) -> montecarlo::RunOptions {
    montecarlo::RunOptions { threads: sim.threads, progress: !sim.quiet }
}

/// Checks the output folder before anything is simulated.
pub(crate) fn check_out(dir: &Path) -> Result<(), i32> {
    bundle::check_target(dir).map(|_| ()).map_err(|e| {
        err(&format!("error: {e}"));
        exit::ERROR
    })
}

/// `regionsim validate MODEL [SCENARIO]`.
pub fn validate(model: &Path, scenario: Option<&Path>, sets: &[String]) -> i32 {
    let (overrides, set_errors) = split_overrides(sets);
    let adjust = Adjustments { overrides, ..Adjustments::default() };
    let result = match scenario {
        Some(s) => study::load_study(model, s, &adjust).map(|_| ()),
        None => study::load_model(model, &adjust).map(|_| ()),
    };
    let result = with_set_errors(set_errors, result);
    match result {
        Ok(()) => {
            out(&format!(
                "ok: {}{} valid\n",
                model.display(),
                scenario.map(|s| format!(" and {}", s.display())).unwrap_or_default()
            ));
            exit::OK
        }
        Err(e) => report_input_errors(&e),
    }
}

/// `regionsim run MODEL SCENARIO`.
pub fn run(args: &RunArgs) -> i32 {
    let (adjust, set_errors) = adjustments(&args.sim);
    let study = match with_set_errors(set_errors, study::load_study(&args.model, &args.scenario, &adjust)) {
        Ok(s) => s,
        Err(e) => return report_input_errors(&e),
    };
    let dir = args.out.clone().unwrap_or_else(|| bundle::default_dir(&args.model, &args.scenario));
    if let Some(shard) = &args.sim.shard {
        let plan = shard::run_plan(&study, &args.sim.overrides.set);
        return shard::run(*shard, &args.sim, plan, std::slice::from_ref(&study), args.out.as_deref(), &dir);
    }
    if let Err(code) = check_out(&dir) {
        return code;
    }
    let started = Instant::now();
    let report = match report::run(&study, &args.sim.overrides.set, &options(&args.sim)) {
        Ok(r) => objective::judged(r, &study.scenario.objectives),
        Err(e) => {
            err(&format!("error: {e}"));
            return exit::ERROR;
        }
    };
    let elapsed = started.elapsed();
    if let Err(code) = write_run(&report, &dir, args.sim.quiet) {
        return code;
    }
    if !args.sim.quiet {
        let requests = report.requests.total - report.fidelity.fast_forwarded_requests;
        err(&format!(
            "simulated {} events ({} requests at request level) in {:.2} s: {:.1} M events/s",
            report.events.total,
            requests,
            elapsed.as_secs_f64(),
            report.events.total as f64 / elapsed.as_secs_f64().max(1e-9) / 1e6
        ));
    }
    run_exit(&report)
}

/// `regionsim compare MODEL... --scenario S`: designs run one after the other, each on all threads.
pub fn compare(args: &CompareArgs) -> i32 {
    let (adjust, set_errors) = adjustments(&args.sim);
    let studies = match with_set_errors(set_errors, compare::load(&args.models, &args.scenario, &adjust)) {
        Ok(s) => s,
        Err(e) => return report_input_errors(&e),
    };
    let dir = args.out.clone().unwrap_or_else(|| {
        PathBuf::from("output").join(format!("compare--{}", bundle::stem(&args.scenario)))
    });
    if let Some(shard) = &args.sim.shard {
        let plan = shard::compare_plan(&studies, &args.sim.overrides.set);
        return shard::run(*shard, &args.sim, plan, &studies, args.out.as_deref(), &dir);
    }
    if let Err(code) = check_out(&dir) {
        return code;
    }
    let comparison = match compare::run(&studies, &args.sim.overrides.set, &options(&args.sim)) {
        Ok(c) => c,
        Err(e) => {
            err(&format!("error: {e}"));
            return exit::ERROR;
        }
    };
    write_compare(&comparison, &dir, args.sim.quiet)
}

/// `regionsim sweep MODEL SCENARIO --vary PATH=...`: the grid's points run one after the other.
pub fn sweep(args: &SweepArgs) -> i32 {
    let (adjust, set_errors) = adjustments(&args.sim);
    if !set_errors.is_empty() {
        // A sweep loads its files once per point: check them once, with the good `--set`s, to report
        // their problems beside the bad `--set`s.
        let mut all = set_errors;
        if let Err(InputErrors(more)) = study::load_study(&args.model, &args.scenario, &adjust) {
            all.extend(more);
        }
        return report_input_errors(&InputErrors(all));
    }
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
            err(e);
        }
        err(&format!("error: {} problem{} found", errors.len(), if errors.len() == 1 { "" } else { "s" }));
        return exit::ERROR;
    };
    let studies = match sweep::load(&args.model, &args.scenario, &adjust, &varies, &grid) {
        Ok(s) => s,
        Err(points) => {
            let mut n = 0;
            for p in &points {
                err(&format!("at sweep point {}:", p.point));
                for e in &p.errors.0 {
                    err(&format!("  {e}"));
                    n += 1;
                }
            }
            err(&format!(
                "error: {n} problem{} found at {} point(s)",
                if n == 1 { "" } else { "s" },
                points.len()
            ));
            return exit::ERROR;
        }
    };
    let dir = args.out.clone().unwrap_or_else(|| {
        PathBuf::from("output").join(format!(
            "sweep--{}--{}",
            bundle::stem(&args.model),
            bundle::stem(&args.scenario)
        ))
    });
    if let Some(shard) = &args.sim.shard {
        let plan = shard::sweep_plan(&studies, &varies, &grid, &args.sim.overrides.set);
        return shard::run(*shard, &args.sim, plan, &studies, args.out.as_deref(), &dir);
    }
    if let Err(code) = check_out(&dir) {
        return code;
    }
    let result = match sweep::run(&studies, &varies, &grid, &args.sim.overrides.set, &options(&args.sim)) {
        Ok(s) => s,
        Err(e) => {
            err(&format!("error: {e}"));
            return exit::ERROR;
        }
    };
    write_sweep(&result, &dir, args.sim.quiet)
}

/// `regionsim report RESULTS.json [--set PRICE...]`: the outputs again, from the results file alone.
/// Without `--set` the results file travels along byte for byte (a JSON round trip could change it);
/// with price overrides, every replication's usage is billed again and the results file rewritten.
pub fn rerender(args: &ReportArgs) -> i32 {
    let report = match report::load(&args.results) {
        Ok(r) => r,
        Err(e) => {
            err(&format!("error: {e}"));
            return exit::ERROR;
        }
    };
    let source_dir = args.results.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let dir = args.out.clone().unwrap_or_else(|| source_dir.to_path_buf());
    let (report, bytes) = if args.set.is_empty() {
        match std::fs::read(&args.results) {
            Ok(b) => (report, b),
            Err(e) => {
                err(&format!("error: {}: {e}", args.results.display()));
                return exit::ERROR;
            }
        }
    } else {
        let overrides = match parse_overrides(&args.set) {
            Ok(o) => o,
            Err(e) => return report_input_errors(&e),
        };
        let (spec, model) = match study::reprice_model(&args.results, &report.inputs.model, &overrides) {
            Ok(m) => m,
            Err(e) => return report_input_errors(&e),
        };
        let mut issues = crate::input::issue::Issues::default();
        let objectives =
            crate::model::objective::resolve(report.inputs.scenario.objectives.as_ref(), &model, &mut issues);
        let report = crate::analysis::reprice::reprice(report, spec, &model, &objectives, &args.set);
        match serde_json::to_vec_pretty(&report) {
            Ok(b) => (report, b),
            Err(e) => {
                err(&format!("error: serialising results: {e}"));
                return exit::ERROR;
            }
        }
    };
    if let Err(code) = check_out(&dir) {
        return code;
    }
    let b = match present_stage::run::bundle(&report, bytes) {
        Ok(b) => b,
        Err(e) => {
            err(&format!("error: drawing charts: {e}"));
            return exit::ERROR;
        }
    };
    if !args.quiet {
        out(&Text::for_terminal().render(&present_stage::run::document(&report, &[])));
    }
    if let Err(code) = write_bundle(b, &dir, "report.html", args.quiet) {
        return code;
    }
    if verdict::any_failed(&report.objectives) {
        err("an objective failed (exit 1): see the Objectives table");
        return exit::OBJECTIVE_MISSED;
    }
    exit::OK
}

/// `regionsim examples [list | copy DIR]`.
pub fn examples(action: Option<&ExamplesAction>) -> i32 {
    match action {
        None | Some(ExamplesAction::List) => {
            let mut text =
                String::from("Built-in models and scenarios (any verb takes a name or path below):\n");
            for (path, body) in crate::cli::examples::EXAMPLES {
                let name = Path::new(path).file_stem().map(|s| s.to_string_lossy()).unwrap_or_default();
                let description = describe(body);
                text.push_str(&format!("  {path:<34} {name:<20} {description}\n"));
            }
            text.push_str(
                "\nTry: regionsim run single-region zone-outage\n     regionsim examples copy my-study  (to edit them)\n",
            );
            out(&text);
            exit::OK
        }
        Some(ExamplesAction::Copy { dir }) => match crate::cli::examples::copy_to(dir) {
            Ok(files) => {
                out(&format!("copied {} files into {}\n", files.len(), dir.display()));
                exit::OK
            }
            Err(e) => {
                err(&format!("error: {e}"));
                exit::ERROR
            }
        },
    }
}

/// The `description: "..."` of a RON file, for listings.
fn describe(ron: &str) -> String {
    ron.lines()
        .find_map(|l| l.trim().strip_prefix("description:"))
        .map(|d| d.trim().trim_end_matches(',').trim_matches('"').to_string())
        .unwrap_or_default()
}
