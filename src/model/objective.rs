//! Service-level objectives as a scenario states them, resolved against the model: which metric series
//! each bounds, on which side, at what target. Judging them against results is `analysis::objective`'s.

use serde::{Deserialize, Serialize};

use crate::input::issue::{Issues, known};
use crate::input::spec::scenario::ObjectivesSpec;
use crate::model::architecture::Model;

/// The key of the monthly cost metric (the sweep's Pareto chart and its choice of point use it).
pub const COST: &str = "cost_usd_per_month";
/// The key of request availability (the other axis of the Pareto chart).
pub const AVAILABILITY: &str = "availability";

/// Name of a metric series: `key`, or `key[population]` for a population's.
pub fn series_name(key: &str, population: Option<&str>) -> String {
    match population {
        None => key.to_string(),
        Some(p) => format!("{key}[{p}]"),
    }
}

/// Which side of the target is good.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Bound {
    /// The metric must be at least the target (availability).
    AtLeast,
    /// The metric must be at most the target (latency, RTO, RPO, cost).
    AtMost,
}

/// One objective: a metric series and the target it must meet.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Objective {
    /// As written in the scenario: `availability_min`, `per_population_p99_ms_max[users-eu]`.
    pub name: String,
    /// The metric series it bounds (the analysis stage's metric table names them): `latency_p99_ms[users-eu]`.
    pub metric: String,
    /// Which side of the target is good.
    pub bound: Bound,
    /// The target, in the metric's unit (a fraction for availability).
    pub target: f64,
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
        ("cost_usd_per_month_max", COST, spec.cost_usd_per_month_max, ">= 0 [USD/month]"),
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
