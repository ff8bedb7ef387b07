//! Writing a verb's outputs and printing its summary: shared by the verbs and by `merge`, which writes
//! what the verb would have.

use std::path::Path;

use crate::analysis::report::Report;
use crate::analysis::{compare, sweep, verdict};
use crate::cli::args::exit;
use crate::cli::console::{err, out};
use crate::present as present_stage;
use crate::present::bundle::Bundle;
use crate::present::document::Renderer;
use crate::present::render::text::Text;

/// Writes a bundle, saying where (and that an earlier run's folder was replaced).
pub fn write_bundle(b: Bundle, dir: &Path, open: &str, quiet: bool) -> Result<(), i32> {
    match b.write(dir) {
        Ok(w) => {
            if !quiet {
                let replaced = if w.replaced { ", replacing the earlier outputs" } else { "" };
                out(&format!("\nwrote {} ({} files{replaced}; open {open})\n", dir.display(), w.files));
            }
            Ok(())
        }
        Err(e) => {
            err(&format!("error: {e}"));
            Err(exit::ERROR)
        }
    }
}

/// Writes a run's outputs (`run`, and `merge` of a run's shards) and prints its summary.
pub fn write_run(report: &Report, dir: &Path, quiet: bool) -> Result<(), i32> {
    let json = serde_json::to_vec_pretty(report).map_err(|e| {
        err(&format!("error: serialising results: {e}"));
        exit::ERROR
    })?;
    let b = present_stage::run::bundle(report, json).map_err(|e| {
        err(&format!("error: drawing charts: {e}"));
        exit::ERROR
    })?;
    if !quiet {
        out(&Text::for_terminal().render(&present_stage::run::document(report, &[])));
    }
    write_bundle(b, dir, "report.html", quiet)
}

/// A run's exit code: 1 when an objective surely failed.
pub fn run_exit(report: &Report) -> i32 {
    if verdict::any_failed(&report.objectives) {
        err("an objective failed (exit 1): see the Objectives table");
        return exit::OBJECTIVE_MISSED;
    }
    exit::OK
}

/// Writes a comparison's outputs (`compare`, and `merge` of its shards), prints its summary and
/// returns the exit code.
pub fn write_compare(comparison: &compare::Comparison, dir: &Path, quiet: bool) -> i32 {
    let b = match present_stage::compare::bundle(comparison) {
        Ok(b) => b,
        Err(e) => {
            err(&format!("error: drawing charts: {e}"));
            return exit::ERROR;
        }
    };
    if !quiet {
        out(&Text::for_terminal().render(&present_stage::compare::document(comparison, &[])));
    }
    if let Err(code) = write_bundle(b, dir, "compare.html", quiet) {
        return code;
    }
    if compare::any_objective_failed(comparison) {
        err("an objective failed for at least one design (exit 1): see the Objectives table");
        return exit::OBJECTIVE_MISSED;
    }
    exit::OK
}

/// Writes a sweep's outputs (`sweep`, and `merge` of its shards), prints its summary and returns the
/// exit code.
pub fn write_sweep(result: &sweep::Sweep, dir: &Path, quiet: bool) -> i32 {
    let b = match present_stage::sweep::bundle(result) {
        Ok(b) => b,
        Err(e) => {
            err(&format!("error: drawing charts: {e}"));
            return exit::ERROR;
        }
    };
    if !quiet {
        out(&Text::for_terminal().render(&present_stage::sweep::document(result, &[])));
    }
    match write_bundle(b, dir, "sweep.html", quiet) {
        Ok(()) => exit::OK,
        Err(code) => code,
    }
}
