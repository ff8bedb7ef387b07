//! `regionsim explain MODEL [SCENARIO]`: the static classification of every fault domain
//! (docs/architecture.md#explain), printed and written as `explain.md`, `explain.html` and
//! `explain.json` in one output folder.

use std::path::PathBuf;

use crate::analysis::explain;
use crate::cli::args::{ExplainArgs, exit};
use crate::cli::console::{err, out};
use crate::cli::verbs::{check_out, report_input_errors, split_overrides, with_set_errors, write_bundle};
use crate::model::study::{self, Adjustments};
use crate::present::bundle;
use crate::present::document::Renderer;
use crate::present::explain as present_explain;
use crate::present::render::text::Text;

/// Runs the verb; returns its exit code.
pub fn explain(args: &ExplainArgs) -> i32 {
    let (overrides, set_errors) = split_overrides(&args.overrides.set);
    let adjust = Adjustments { overrides, ..Adjustments::default() };
    let loaded = match &args.scenario {
        Some(s) => study::load_study(&args.model, s, &adjust).map(|st| (st.model, Some(st.scenario))),
        None => study::load_model(&args.model, &adjust).map(|m| (m.model, None)),
    };
    let (model, scenario) = match with_set_errors(set_errors, loaded) {
        Ok(x) => x,
        Err(e) => return report_input_errors(&e),
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
    let explanation = explain::explain(&model, scenario.as_ref());
    let mut reproduce =
        vec!["regionsim".to_string(), "explain".to_string(), args.model.display().to_string()];
    if let Some(s) = &args.scenario {
        reproduce.push(s.display().to_string());
    }
    for s in &args.overrides.set {
        reproduce.extend(["--set".to_string(), s.clone()]);
    }
    let doc = present_explain::document(&explanation, reproduce);
    let b = match present_explain::bundle(&explanation, &doc) {
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
