//! `regionsim explain MODEL [SCENARIO]`: the static classification of every fault domain
//! (docs/architecture.md#explain), printed and written as `explain.md`, `explain.html` and
//! `explain.json` in one output folder.

use std::path::PathBuf;

use crate::analysis::explain;
use crate::analysis::explain::measure;
use crate::cli::args::{ExplainArgs, exit};
use crate::cli::console::{err, out};
use crate::cli::outputs::write_bundle;
use crate::cli::verbs::{check_out, report_input_errors, split_overrides, with_set_errors};
use crate::model::study::{self, Adjustments};
use crate::present::bundle;
use crate::present::chart::Rendered;
use crate::present::document::Renderer;
use crate::present::explain as present_explain;
use crate::present::render::text::Text;
use crate::sim::montecarlo;

/// Runs the verb; returns its exit code.
pub fn explain(args: &ExplainArgs) -> i32 {
    let (overrides, set_errors) = split_overrides(&args.overrides.set);
    let adjust = Adjustments { overrides, ..Adjustments::default() };
    let loaded = match &args.scenario {
        Some(s) => study::load_study(&args.model, s, &adjust)
            .map(|st| (Some(st.clone()), st.model, Some(st.scenario))),
        None => study::load_model(&args.model, &adjust).map(|m| (None, m.model, None)),
    };
    let (study, model, scenario) = match with_set_errors(set_errors, loaded) {
        Ok(x) => x,
        Err(e) => return report_input_errors(&e),
    };
    let injection = measure::Injection { start_s: 0.0, duration_s: args.duration };
    let injection = match (&scenario, args.simulate) {
        (None, true) => {
            err("error: --simulate needs a scenario (its traffic, horizon and seed)");
            return exit::ERROR;
        }
        (Some(s), true) => {
            let start_s = s.warmup.as_secs_f64() + 60.0;
            let room = s.horizon.as_secs_f64() - start_s;
            if !(args.duration.is_finite() && args.duration > 0.0 && args.duration <= room) {
                err(&format!(
                    "error: --duration {} s does not fit the scenario: the failures start 60 s after the \
                     warm-up, at {start_s} s, and the horizon leaves {room} s after that",
                    args.duration
                ));
                return exit::ERROR;
            }
            Some(measure::Injection { start_s, ..injection })
        }
        (_, false) => None,
    };
    let dir = args.out.clone().unwrap_or_else(|| {
        let mut name = format!("explain--{}", bundle::stem(&args.model));
        if let Some(s) = &args.scenario {
            name.push_str(&format!("--{}", bundle::stem(s)));
        }
        PathBuf::from("output").join(name)
    });
    if let Err(code) = check_out(&dir) {
        return code;
    }
    let mut explanation = explain::explain(&model, scenario.as_ref());
    if let (Some(injection), Some(study)) = (injection, &study) {
        let options = montecarlo::RunOptions { threads: args.threads, progress: !args.quiet };
        match measure::simulate(study, &explanation, injection, &options) {
            Ok(m) => explanation.measured = m,
            Err(e) => {
                err(&format!("error: {e}"));
                return exit::ERROR;
            }
        }
    }
    let mut reproduce =
        vec!["regionsim".to_string(), "explain".to_string(), args.model.display().to_string()];
    if let Some(s) = &args.scenario {
        reproduce.push(s.display().to_string());
    }
    for s in &args.overrides.set {
        reproduce.extend(["--set".to_string(), s.clone()]);
    }
    if args.simulate {
        reproduce.extend(["--simulate".to_string(), "--duration".to_string(), args.duration.to_string()]);
    }
    let charts = match present_explain::charts(&explanation) {
        Ok(c) => c,
        Err(e) => {
            err(&format!("error: drawing the impact chart: {e}"));
            return exit::ERROR;
        }
    };
    let mut doc = present_explain::document(&explanation, reproduce);
    doc.charts = charts.iter().map(Rendered::figure).collect();
    let b = match present_explain::bundle(&explanation, &doc, &charts) {
        Ok(b) => b,
        Err(e) => {
            err(&format!("error: serialising the explanation: {e}"));
            return exit::ERROR;
        }
    };
    if !args.quiet {
        out(&Text::for_terminal().render(&doc));
    }
    match write_bundle(b, &dir, "explain.html", args.quiet) {
        Ok(()) => exit::OK,
        Err(code) => code,
    }
}
