//! Verdicts on service-level objectives: each objective judged against its metric's 95% confidence
//! interval, not only its mean. **pass** when the interval's worse end meets the objective (we are
//! confident it is met), **fail** when even its better end misses it (confident it is missed),
//! **inconclusive** otherwise (more replications would tell). A metric the report does not measure
//! (RTO of a run without failover) is **not measured**, which does not fail. `run` and `compare` exit 1
//! on a fail, never on inconclusive.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::analysis::stats::Estimate;
use crate::analysis::unit::Unit;
use crate::model::objective::{Bound, Objective};

/// How an objective fared against its metric's 95% CI (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// The whole interval meets the objective.
    Pass,
    /// None of the interval meets it.
    Fail,
    /// The interval straddles the target: more replications would tell.
    Inconclusive,
    /// The report has no estimate of the metric (an RTO without any failover).
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
    /// The objective (its fields written beside the others in `results.json`).
    #[serde(flatten)]
    pub objective: Objective,
    /// Unit of the metric and target.
    pub unit: Unit,
    /// Mean and 95% CI of the metric; `null` when not measured.
    pub estimate: Option<Estimate>,
    /// How it fared.
    pub verdict: Verdict,
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
    let unit = if r.unit == Unit::Fraction { String::new() } else { format!(" {}", r.unit) };
    format!("{op} {}{unit}", r.unit.format(r.objective.target))
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
            unit: Unit::S,
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
            unit: Unit::Fraction,
            estimate: Some(est(0.99995, 0.99999)),
            verdict: Verdict::Pass,
        };
        assert_eq!(target_text(&r), ">= 99.9900%");
    }
}
