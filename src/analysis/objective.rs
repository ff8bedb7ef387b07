//! Judging a study's objectives on its results: each objective's metric series (see `metric`) is
//! estimated across replications and given a verdict (see `verdict`).

use crate::analysis::metric;
use crate::analysis::report::Report;
use crate::analysis::unit::Unit;
use crate::analysis::verdict::{ObjectiveResult, judge};
use crate::model::objective::{COST, Objective};

/// Judges every objective on a report.
pub fn evaluate(objectives: &[Objective], report: &Report) -> Vec<ObjectiveResult> {
    let all = metric::series(report);
    objectives
        .iter()
        .map(|o| {
            let series = all.iter().find(|s| s.name == o.metric);
            let estimate = series.and_then(|s| s.estimate());
            ObjectiveResult {
                objective: o.clone(),
                unit: series.map_or_else(|| unit_of(&o.metric), |s| s.unit),
                verdict: judge(o.bound, o.target, estimate.as_ref()),
                estimate,
            }
        })
        .collect()
}

/// The report with its objectives judged.
pub fn judged(mut report: Report, objectives: &[Objective]) -> Report {
    report.objectives = evaluate(objectives, &report);
    report
}

/// The unit of a metric not in the table, from its name.
fn unit_of(metric: &str) -> Unit {
    match metric {
        m if m.ends_with("_ms") || m.contains("_ms[") => Unit::Ms,
        m if m.ends_with("_s") => Unit::S,
        m if m == COST => Unit::UsdPerMonth,
        _ => Unit::Fraction,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_of_unknown_metrics_come_from_their_names() {
        assert_eq!(unit_of("rto_s"), Unit::S);
        assert_eq!(unit_of(COST), Unit::UsdPerMonth);
        assert_eq!(unit_of("latency_p99_ms[eu]"), Unit::Ms);
    }
}
