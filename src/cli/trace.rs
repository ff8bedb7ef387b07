//! `regionsim trace MODEL SCENARIO`: one replication followed event by event (docs/trace.md), printed
//! as a narration and written as `trace.jsonl`, `trace.md`, `trace.html`, `trace.json` and a timeline
//! chart in one output folder.

use std::path::PathBuf;

use crate::analysis::story::clock;
use crate::analysis::trace;
use crate::cli::args::{TraceArgs, exit};
use crate::cli::console::{err, out};
use crate::cli::outputs::write_bundle;
use crate::cli::verbs::{check_out, report_input_errors, split_overrides, with_set_errors};
use crate::model::study::{self, Adjustments};
use crate::present::bundle;
use crate::present::trace as present_trace;
use crate::sim::trace::Window;

/// Lines the terminal narration prints at most (the files hold the rest).
const TERMINAL_LINES: usize = 60;

/// Runs the verb; returns its exit code.
pub fn trace(args: &TraceArgs) -> i32 {
    let (overrides, set_errors) = split_overrides(&args.overrides.set);
    let adjust = Adjustments { overrides, seed: args.seed, ..Adjustments::default() };
    let study = match with_set_errors(set_errors, study::load_study(&args.model, &args.scenario, &adjust)) {
        Ok(s) => s,
        Err(e) => return report_input_errors(&e),
    };
    let horizon_s = study.scenario.horizon.as_secs_f64();
    let (from_s, to_s) = (args.from.unwrap_or(0.0), args.to.unwrap_or(horizon_s));
    let mut problems = Vec::new();
    if from_s > horizon_s {
        problems.push(format!("--from {} is past the horizon ({})", clock(from_s), clock(horizon_s)));
    }
    if to_s > horizon_s {
        problems.push(format!("--to {} is past the horizon ({})", clock(to_s), clock(horizon_s)));
    }
    if from_s >= to_s {
        problems.push(format!("--from {} is not before --to {}", clock(from_s), clock(to_s)));
    }
    if !problems.is_empty() {
        for p in &problems {
            err(&format!("error: {p}"));
        }
        return exit::ERROR;
    }
    let dir = args.out.clone().unwrap_or_else(|| {
        PathBuf::from("output").join(format!(
            "trace--{}--{}",
            bundle::stem(&args.model),
            bundle::stem(&args.scenario)
        ))
    });
    if let Err(code) = check_out(&dir) {
        return code;
    }
    let traced = match trace::trace(&study, &args.overrides.set, args.replication, Window { from_s, to_s }) {
        Ok(t) => t,
        Err(e) => {
            err(&format!("error: {e}"));
            return exit::ERROR;
        }
    };
    let b = match present_trace::bundle(&traced) {
        Ok(b) => b,
        Err(e) => {
            err(&format!("error: {e}"));
            return exit::ERROR;
        }
    };
    if !args.quiet {
        let doc = present_trace::document(&traced, &[]);
        let mut text = format!("{}\n", doc.title);
        for m in &doc.meta {
            text.push_str(&format!("{m}\n"));
        }
        text.push('\n');
        // Fast-forwarded stretches are in the files; on the terminal they only interrupt the story.
        let told: Vec<_> = traced.story.iter().filter(|l| l.kind != "fast_forward").collect();
        for l in told.iter().take(TERMINAL_LINES) {
            text.push_str(&format!("{} {}\n", clock(l.t_s), l.text));
        }
        if told.len() > TERMINAL_LINES {
            text.push_str(&format!(
                "... and {} more in {}\n",
                told.len() - TERMINAL_LINES,
                dir.join("trace.md").display()
            ));
        }
        if told.is_empty() {
            text.push_str("nothing happened in this window: no component went down and no answer changed\n");
        }
        out(&text);
    }
    match write_bundle(b, &dir, "trace.html", args.quiet) {
        Ok(()) => exit::OK,
        Err(code) => code,
    }
}
