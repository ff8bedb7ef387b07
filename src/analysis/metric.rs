//! The scalar metrics that `compare`, `sweep` and objectives work on: one table, [`METRICS`], each entry
//! saying how to read a metric's value from one replication. Compare tables, paired differences, sweep
//! columns, objectives and their charts are all driven from it, so a new metric is one line here.
//!
//! Per-replication values (not only means) are what the paired confidence intervals of `compare` need:
//! replication `r` of two designs saw the same arrivals and failures (common random numbers).

use serde::{Deserialize, Serialize};

use crate::analysis::report::{Report, RunRow};
use crate::analysis::stats::{Estimate, mean_ci};
use crate::analysis::unit::Unit;

/// Minutes in a mean (Julian) year: 365.25 × 24 × 60.
pub const MINUTES_PER_YEAR: f64 = 525_960.0;

/// Whether a metric is one number per run or one per client population.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// One series for all requests.
    Total,
    /// One series per population, named `key[population]`.
    Population,
}

/// How to read one metric.
#[derive(Debug, Clone, Copy)]
pub struct Metric {
    /// Stable name in files and in objectives, with its unit: `latency_p99_ms`.
    pub key: &'static str,
    /// For tables and chart axes: `p99 latency`.
    pub label: &'static str,
    /// The unit of its values.
    pub unit: Unit,
    /// Whether a larger value is the better one (for differences and choices).
    pub higher_is_better: bool,
    /// One series for all requests, or one per population.
    pub scope: Scope,
    /// One replication's value (`population` is the population's index for [`Scope::Population`]);
    /// `None` when that replication has none (no successful request, no failover, not modelled yet).
    pub value: fn(&Report, &RunRow, usize) -> Option<f64>,
}

fn pop(r: &RunRow, p: usize) -> Option<&crate::analysis::report::PopulationRunRow> {
    r.per_population.get(p)
}

/// Every metric, in table order. RTO and RPO per replication are the longest of its failovers (the
/// objective is met only if every failover meets it); a replication without a failover has none.
#[rustfmt::skip]
pub const METRICS: &[Metric] = &[
    Metric { key: "availability", label: "availability", unit: Unit::Fraction, higher_is_better: true, scope: Scope::Total, value: |_, r, _| Some(r.availability) },
    Metric { key: "downtime_min_per_year", label: "downtime", unit: Unit::MinPerYear, higher_is_better: false, scope: Scope::Total, value: |_, r, _| Some((1.0 - r.availability) * MINUTES_PER_YEAR) },
    Metric { key: "time_availability", label: "time availability", unit: Unit::Fraction, higher_is_better: true, scope: Scope::Total, value: |_, r, _| Some(r.time_availability) },
    Metric { key: "latency_p50_ms", label: "p50 latency", unit: Unit::Ms, higher_is_better: false, scope: Scope::Total, value: |_, r, _| r.latency_p50_ms },
    Metric { key: "latency_p99_ms", label: "p99 latency", unit: Unit::Ms, higher_is_better: false, scope: Scope::Total, value: |_, r, _| r.latency_p99_ms },
    Metric { key: "rto_s", label: "RTO (longest per replication)", unit: Unit::S, higher_is_better: false, scope: Scope::Total, value: |_, r, _| r.rto_max_s },
    Metric { key: "rpo_s", label: "RPO (longest per replication)", unit: Unit::S, higher_is_better: false, scope: Scope::Total, value: |_, r, _| if r.failovers > 0 { Some(r.rpo_max_s.unwrap_or(0.0)) } else { None } },
    Metric { key: "writes_lost", label: "writes lost", unit: Unit::Writes, higher_is_better: false, scope: Scope::Total, value: |_, r, _| Some(r.writes_lost as f64) },
    Metric { key: "residency_violations", label: "residency violations", unit: Unit::Requests, higher_is_better: false, scope: Scope::Total, value: |rep, r, _| rep.data.residency_violations.map(|_| r.residency_violations as f64) },
    Metric { key: "cost_usd_per_month", label: "monthly cost", unit: Unit::UsdPerMonth, higher_is_better: false, scope: Scope::Total, value: |_, r, _| Some(r.cost_usd_per_month) },
    Metric { key: "availability", label: "availability", unit: Unit::Fraction, higher_is_better: true, scope: Scope::Population, value: |_, r, p| pop(r, p).map(|x| x.availability) },
    Metric { key: "latency_p50_ms", label: "p50 latency", unit: Unit::Ms, higher_is_better: false, scope: Scope::Population, value: |_, r, p| pop(r, p).and_then(|x| x.latency_p50_ms) },
    Metric { key: "latency_p99_ms", label: "p99 latency", unit: Unit::Ms, higher_is_better: false, scope: Scope::Population, value: |_, r, p| pop(r, p).and_then(|x| x.latency_p99_ms) },
];

pub use crate::model::objective::{AVAILABILITY, COST, series_name};

/// One metric of one report: its per-replication values.
#[derive(Debug, Clone, PartialEq)]
pub struct Series {
    /// `latency_p99_ms`, or `latency_p99_ms[users-eu]` for a population's.
    pub name: String,
    /// The metric's key in [`METRICS`].
    pub key: &'static str,
    /// The population, for a per-population metric.
    pub population: Option<String>,
    /// For tables and chart axes: `p99 latency`, `p99 latency, users-eu`.
    pub label: String,
    /// The unit of its values.
    pub unit: Unit,
    /// Whether a larger value is the better one.
    pub higher_is_better: bool,
    /// One entry per replication, in replication order.
    pub values: Vec<Option<f64>>,
}

impl Series {
    /// Whether any replication has a value (RTO is not measured in a run without a failover).
    pub fn measured(&self) -> bool {
        self.values.iter().any(|v| v.is_some_and(f64::is_finite))
    }

    /// The finite values.
    pub fn finite(&self) -> Vec<f64> {
        self.values.iter().filter_map(|v| *v).filter(|v| v.is_finite()).collect()
    }

    /// Mean of the per-replication values with its Student-t 95% CI (see [`mean_ci`]).
    pub fn estimate(&self) -> Option<Estimate> {
        let v = self.finite();
        (!v.is_empty()).then(|| mean_ci(&v))
    }

    /// `p99 latency [ms]`, `p99 latency, users-eu [ms]`, `availability [%]` (fractions show as percentages).
    pub fn axis_label(&self) -> String {
        format!("{} [{}]", self.label, self.unit.shown())
    }
}

/// Every metric series of a report, in [`METRICS`] order (population metrics once per population, in
/// the report's population order). Metrics no replication measured are included with all `None`.
pub fn series(report: &Report) -> Vec<Series> {
    let mut out = Vec::new();
    for m in METRICS {
        match m.scope {
            Scope::Total => out.push(Series {
                name: m.key.to_string(),
                key: m.key,
                population: None,
                label: m.label.to_string(),
                unit: m.unit,
                higher_is_better: m.higher_is_better,
                values: report.runs.iter().map(|r| (m.value)(report, r, 0)).collect(),
            }),
            Scope::Population => {
                for (p, slice) in report.per_population.iter().enumerate() {
                    out.push(Series {
                        name: series_name(m.key, Some(&slice.name)),
                        key: m.key,
                        population: Some(slice.name.clone()),
                        label: format!("{}, {}", m.label, slice.name),
                        unit: m.unit,
                        higher_is_better: m.higher_is_better,
                        values: report.runs.iter().map(|r| (m.value)(report, r, p)).collect(),
                    });
                }
            }
        }
    }
    out
}

/// The series named `name` (`key` or `key[population]`), if the table has that metric.
pub fn find(report: &Report, name: &str) -> Option<Series> {
    series(report).into_iter().find(|s| s.name == name)
}

/// A metric's estimate as stored in files: mean and 95% CI, `null` when not measured.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricEstimate {
    /// The series' name (`latency_p99_ms`, `latency_p99_ms[users-eu]`).
    pub metric: String,
    /// The unit of the estimate.
    pub unit: Unit,
    /// Its mean and 95% CI; `None` (`null` in files) when not measured.
    pub estimate: Option<Estimate>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_carry_a_unit_and_are_unique_per_scope() {
        for (i, m) in METRICS.iter().enumerate() {
            assert!(m.key.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'));
            for other in &METRICS[i + 1..] {
                assert!(!(other.key == m.key && other.scope == m.scope), "{} twice", m.key);
            }
        }
        assert_eq!(series_name("latency_p99_ms", Some("users-eu")), "latency_p99_ms[users-eu]");
    }
}
