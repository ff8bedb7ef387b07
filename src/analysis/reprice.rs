//! Re-pricing a results file: the physical usage each replication recorded is billed again at new
//! prices, and what depends on cost (the bill, the cost metric, objectives on it) follows. Nothing is
//! simulated again.

use crate::analysis::cost;
use crate::analysis::objective;
use crate::analysis::report::{Report, cost_report};
use crate::input::spec::ModelSpec;
use crate::model::architecture::Model;
use crate::model::objective::Objective;

/// `report` billed at `model`'s prices (`spec` is that model as written, recorded as the input), with
/// `objectives` judged again and `overrides` appended to the inputs' record.
pub fn reprice(
    mut report: Report,
    spec: ModelSpec,
    model: &Model,
    objectives: &[Objective],
    overrides: &[String],
) -> Report {
    for row in &mut report.runs {
        row.cost_usd_per_month = cost::monthly(&row.usage, model).total();
    }
    report.cost_usd_per_month = cost_report(report.runs.iter().map(|r| &r.usage), model);
    report.inputs.model = spec;
    report.inputs.overrides.extend(overrides.iter().cloned());
    objective::judged(report, objectives)
}
