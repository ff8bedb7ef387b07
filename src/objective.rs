//! Service-level objectives: a scenario's `objectives` resolved against the model, and judged against a
//! report with the uncertainty taken into account.
//!
//! A verdict reads the metric's 95% confidence interval, not only its mean: **pass** when the interval's
//! worse end meets the objective (we are confident it is met), **fail** when even its better end misses
//! it (confident it is missed), **inconclusive** otherwise (more replications would tell). A metric the
//! report does not measure (RTO of a run without failover, cost before the model prices anything) is
//! **not measured**, which does not fail. `run` and `compare` exit 1 on a fail, never on inconclusive.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::issue::Issues;
use crate::metric::{self, format_ci, format_value, series_name};
use crate::model::{Model, known};
use crate::report::{Report, Table};
use crate::spec::scenario::ObjectivesSpec;
use crate::stats::Estimate;

/// Which side of the target is good.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Bound {
    AtLeast,
    AtMost,
}

/// One objective: a metric series and the target it must meet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Objective {
    /// As written in the scenario: `availability_min`, `per_population_p99_ms_max[users-eu]`.
    pub name: String,
    /// The metric series it bounds (see [`crate::metric`]): `latency_p99_ms[users-eu]`.
    pub metric: String,
    pub bound: Bound,
    pub target: f64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    Fail,
    Inconclusive,
    NotMeasured,
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Verdict::Pass => "pass",
            Verdict::Fail => "FAIL",
            Verdict::Inconclusive => "inconclusive",
            Verdict::NotMeasured => "not measured",
        })
    }
}

/// An objective with the estimate it was judged on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ObjectiveResult {
    #[serde(flatten)]
    pub objective: Objective,
    /// Unit of the metric and target (`fraction`, `ms`, ...).
    pub unit: String,
    /// Mean and 95% CI of the metric; `null` when not measured.
    pub estimate: Option<Estimate>,
    pub verdict: Verdict,
}

/// Checks a scenario's objectives against the model; problems go to `issues` (paths under
/// `objectives.`). Returns the valid ones, in a fixed order.
pub fn resolve(spec: Option<&ObjectivesSpec>, model: &Model, issues: &mut Issues) -> Vec<Objective> {
    let Some(spec) = spec else { return Vec::new() };
    let positive = |v: f64| v.is_finite() && v > 0.0;
    let non_negative = |v: f64| v.is_finite() && v >= 0.0;
    let ms = "> 0 [ms]";
    // (name, metric, bound, target, valid, the rule when not)
    let mut candidates: Vec<(String, String, Bound, f64, bool, &str)> = Vec::new();
    if let Some(v) = spec.availability_min {
        let ok = v.is_finite() && v > 0.0 && v <= 1.0;
        let rule = "a fraction in (0, 1], e.g. 0.9999 for four nines";
        candidates.push(("availability_min".into(), "availability".into(), Bound::AtLeast, v, ok, rule));
    }
    if let Some(v) = spec.p99_ms_max {
        candidates.push(("p99_ms_max".into(), "latency_p99_ms".into(), Bound::AtMost, v, positive(v), ms));
    }
    for (population, &v) in &spec.per_population_p99_ms_max {
        let name = format!("per_population_p99_ms_max[{population}]");
        if model.population(population).is_none() {
            issues.push(
                format!("objectives.{name}"),
                format!(
                    "unknown population '{population}'; the model has: {}",
                    known(model.populations.iter().map(|p| p.name.as_str()))
                ),
            );
            continue;
        }
        let metric = series_name("latency_p99_ms", Some(population));
        candidates.push((name, metric, Bound::AtMost, v, positive(v), ms));
    }
    let upper = [
        ("rto_s_max", "rto_s", spec.rto_s_max, ">= 0 [s]"),
        ("rpo_s_max", "rpo_s", spec.rpo_s_max, ">= 0 [s]"),
        ("cost_usd_per_month_max", metric::COST, spec.cost_usd_per_month_max, ">= 0 [USD/month]"),
    ];
    for (name, metric, v, rule) in upper {
        if let Some(v) = v {
            candidates.push((name.into(), metric.into(), Bound::AtMost, v, non_negative(v), rule));
        }
    }
    let mut out = Vec::new();
    for (name, metric, bound, target, ok, rule) in candidates {
        if ok {
            out.push(Objective { name, metric, bound, target });
        } else {
            issues.push(format!("objectives.{name}"), format!("must be {rule} (got {target})"));
        }
    }
    out
}

/// The verdict on one objective from its metric's estimate (see the module documentation).
pub fn judge(bound: Bound, target: f64, estimate: Option<&Estimate>) -> Verdict {
    let Some(e) = estimate.filter(|e| e.ci95.iter().all(|v| v.is_finite())) else {
        return Verdict::NotMeasured;
    };
    let (lo, hi) = (e.ci95[0].min(e.ci95[1]), e.ci95[0].max(e.ci95[1]));
    match bound {
        Bound::AtLeast if lo >= target => Verdict::Pass,
        Bound::AtLeast if hi < target => Verdict::Fail,
        Bound::AtMost if hi <= target => Verdict::Pass,
        Bound::AtMost if lo > target => Verdict::Fail,
        _ => Verdict::Inconclusive,
    }
}

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
                unit: series.map_or_else(|| unit_of(&o.metric).to_string(), |s| s.unit.to_string()),
                verdict: judge(o.bound, o.target, estimate.as_ref()),
                estimate,
            }
        })
        .collect()
}

/// The unit of a metric not in the table yet, from its objective's name.
fn unit_of(metric: &str) -> &'static str {
    match metric {
        m if m.ends_with("_ms") || m.contains("_ms[") => "ms",
        m if m.ends_with("_s") => "s",
        m if m == metric::COST => "USD/month",
        _ => "",
    }
}

/// Whether any objective failed: what `run` and `compare` exit 1 on.
pub fn any_failed(results: &[ObjectiveResult]) -> bool {
    results.iter().any(|r| r.verdict == Verdict::Fail)
}

/// Whether every measured objective passed (not measured ones are ignored); `true` without objectives.
pub fn all_passed(results: &[ObjectiveResult]) -> bool {
    results.iter().all(|r| matches!(r.verdict, Verdict::Pass | Verdict::NotMeasured))
}

/// One word for a set of verdicts: `fail` if any failed, else `inconclusive` if any was, else `pass`.
pub fn overall(results: &[ObjectiveResult]) -> Verdict {
    if any_failed(results) {
        Verdict::Fail
    } else if results.iter().any(|r| r.verdict == Verdict::Inconclusive) {
        Verdict::Inconclusive
    } else if results.iter().all(|r| r.verdict == Verdict::NotMeasured) && !results.is_empty() {
        Verdict::NotMeasured
    } else {
        Verdict::Pass
    }
}

/// `>= 99.9900%`, `<= 200.000 ms`.
pub fn target_text(r: &ObjectiveResult) -> String {
    let op = match r.objective.bound {
        Bound::AtLeast => ">=",
        Bound::AtMost => "<=",
    };
    let unit = if r.unit == "fraction" { String::new() } else { format!(" {}", r.unit) };
    format!("{op} {}{unit}", format_value(&r.unit, r.objective.target))
}

/// The objectives table of a report: objective, target, estimate, 95% CI, verdict.
pub fn table(results: &[ObjectiveResult]) -> Table {
    let header = ["objective", "target", "estimate", "95% CI", "verdict"];
    let rows = results
        .iter()
        .map(|r| {
            vec![
                r.objective.name.clone(),
                target_text(r),
                r.estimate.map_or("-".into(), |e| format_value(&r.unit, e.mean)),
                r.estimate.map_or(String::new(), |e| format_ci(&r.unit, e.ci95)),
                r.verdict.to_string(),
            ]
        })
        .collect();
    Table { header: header.iter().map(|s| s.to_string()).collect(), rows }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn est(lo: f64, hi: f64) -> Estimate {
        Estimate { mean: (lo + hi) / 2.0, ci95: [lo, hi] }
    }

    #[test]
    fn an_upper_bound_passes_only_when_the_whole_interval_is_below_it() {
        // p99 <= 200 ms.
        assert_eq!(judge(Bound::AtMost, 200.0, Some(&est(150.0, 190.0))), Verdict::Pass);
        assert_eq!(judge(Bound::AtMost, 200.0, Some(&est(150.0, 200.0))), Verdict::Pass, "touching is met");
        assert_eq!(judge(Bound::AtMost, 200.0, Some(&est(190.0, 210.0))), Verdict::Inconclusive);
        assert_eq!(judge(Bound::AtMost, 200.0, Some(&est(201.0, 230.0))), Verdict::Fail);
    }

    #[test]
    fn a_lower_bound_passes_only_when_the_whole_interval_is_above_it() {
        // Availability >= 99.99%.
        assert_eq!(judge(Bound::AtLeast, 0.9999, Some(&est(0.99992, 0.99999))), Verdict::Pass);
        assert_eq!(judge(Bound::AtLeast, 0.9999, Some(&est(0.9998, 0.99995))), Verdict::Inconclusive);
        assert_eq!(judge(Bound::AtLeast, 0.9999, Some(&est(0.9990, 0.99989))), Verdict::Fail);
    }

    #[test]
    fn a_missing_metric_is_not_measured_and_does_not_fail() {
        assert_eq!(judge(Bound::AtMost, 300.0, None), Verdict::NotMeasured);
        let nan = Estimate { mean: f64::NAN, ci95: [f64::NAN, f64::NAN] };
        assert_eq!(judge(Bound::AtMost, 300.0, Some(&nan)), Verdict::NotMeasured);
        let result = |verdict| ObjectiveResult {
            objective: Objective { name: "x".into(), metric: "x".into(), bound: Bound::AtMost, target: 1.0 },
            unit: "s".into(),
            estimate: None,
            verdict,
        };
        let measured_none = [result(Verdict::NotMeasured)];
        assert!(!any_failed(&measured_none) && all_passed(&measured_none));
        let mixed = [result(Verdict::Pass), result(Verdict::Inconclusive)];
        assert!(!any_failed(&mixed) && !all_passed(&mixed));
        assert_eq!(overall(&mixed), Verdict::Inconclusive);
        assert_eq!(overall(&[result(Verdict::Pass), result(Verdict::Fail)]), Verdict::Fail);
    }

    #[test]
    fn targets_read_in_their_unit() {
        let r = ObjectiveResult {
            objective: Objective {
                name: "availability_min".into(),
                metric: "availability".into(),
                bound: Bound::AtLeast,
                target: 0.9999,
            },
            unit: "fraction".into(),
            estimate: Some(est(0.99995, 0.99999)),
            verdict: Verdict::Pass,
        };
        assert_eq!(target_text(&r), ">= 99.9900%");
        assert_eq!(unit_of("rto_s"), "s");
        assert_eq!(unit_of(metric::COST), "USD/month");
    }
}
