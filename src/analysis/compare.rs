//! Several designs on one scenario, side by side, with common random numbers: replication `r` of every
//! design draws its arrivals and failures from the same streams (keyed by seed, replication, purpose and
//! component name: see `streams.rs`), so same-named populations, zones and instances see the same events.
//!
//! Each metric's difference against the first design (the baseline) is estimated from the
//! per-replication differences with a paired-t 95% CI; Welch's unpaired CI is given beside it, to show
//! what the pairing buys (the designs' results move together, so the paired interval is narrower).

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::analysis::metric;
use crate::analysis::objective;
use crate::analysis::report::{self, Report};
use crate::analysis::stats::{paired_ci, welch_ci};
use crate::analysis::unit::Unit;
use crate::analysis::verdict;
use crate::model::study::{self, Adjustments, InputErrors, Study};
use crate::sim::engine::SimError;
use crate::sim::montecarlo::RunOptions;

/// Version of `compare.json`'s own fields (each design's `results` carry the report schema version).
pub const SCHEMA_VERSION: u32 = 1;

/// One design's name and full report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Design {
    /// The model's name (made unique with `#2`, `#3` when two models share it).
    pub name: String,
    /// Its results, objectives judged.
    pub results: Report,
}

/// A metric's difference `design − baseline`, with the paired and the unpaired 95% CI.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Difference {
    /// The design compared with the baseline.
    pub design: String,
    /// A metric series name (see [`crate::analysis::metric`]).
    pub metric: String,
    /// The unit of the metric and of the difference.
    pub unit: Unit,
    /// Whether a larger value is better: tells an improvement from a regression.
    pub higher_is_better: bool,
    /// Mean of the per-replication differences.
    pub mean: f64,
    /// Paired-t 95% CI over replications: mean ± t(0.975, n−1) · s_d / √n.
    pub paired_ci95: [f64; 2],
    /// Welch 95% CI of the difference of means, as if the runs were independent.
    pub unpaired_ci95: [f64; 2],
    /// Replications where both designs have a value.
    pub pairs: usize,
}

impl Difference {
    /// Paired half-width over unpaired half-width: below 1 when common random numbers help.
    pub fn width_ratio(&self) -> f64 {
        (self.paired_ci95[1] - self.paired_ci95[0]) / (self.unpaired_ci95[1] - self.unpaired_ci95[0])
    }
}

/// `compare.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Comparison {
    /// Version of this file's own fields ([`SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// The scenario's name.
    pub scenario: String,
    /// The baseline the differences are taken against: the first design.
    pub baseline: String,
    /// Every design, the baseline first, in the order given.
    pub designs: Vec<Design>,
    /// Every metric's difference of each other design against the baseline, designs in order.
    pub differences: Vec<Difference>,
}

/// Loads every model against the scenario; every problem of every file is reported.
pub fn load(models: &[PathBuf], scenario: &Path, adjust: &Adjustments) -> Result<Vec<Study>, InputErrors> {
    let mut studies = Vec::new();
    let mut errors = Vec::new();
    for m in models {
        match study::load_study(m, scenario, adjust) {
            Ok(s) => studies.push(s),
            Err(e) => {
                // The scenario's own problems would repeat for every model: keep each once.
                for e in e.0 {
                    if !errors.contains(&e) {
                        errors.push(e);
                    }
                }
            }
        }
    }
    if errors.is_empty() { Ok(studies) } else { Err(InputErrors(errors)) }
}

/// Unique design names: the model's name, with `#k` for the k-th of a repeated name.
pub fn design_names(studies: &[Study]) -> Vec<String> {
    let mut seen = HashSet::new();
    studies
        .iter()
        .map(|s| {
            let base = s.model_spec.name.clone();
            let mut name = base.clone();
            let mut k = 1;
            while !seen.insert(name.clone()) {
                k += 1;
                name = format!("{base} #{k}");
            }
            name
        })
        .collect()
}

/// Runs the designs one after the other, each on the rayon pool, and compares them.
pub fn run(studies: &[Study], overrides: &[String], options: &RunOptions) -> Result<Comparison, SimError> {
    let mut designs = Vec::new();
    for (study, name) in studies.iter().zip(design_names(studies)) {
        let results = objective::judged(report::run(study, overrides, options)?, &study.scenario.objectives);
        designs.push(Design { name, results });
    }
    Ok(comparison(designs))
}

/// The comparison of reports already built: differences of every metric both designs measured.
pub fn comparison(designs: Vec<Design>) -> Comparison {
    let differences = differences(&designs);
    Comparison {
        schema_version: SCHEMA_VERSION,
        scenario: designs.first().map(|d| d.results.inputs.scenario.name.clone()).unwrap_or_default(),
        baseline: designs.first().map(|d| d.name.clone()).unwrap_or_default(),
        designs,
        differences,
    }
}

/// For every design after the first and every metric series both measured: the difference against
/// the first design, paired (replication by replication) and unpaired.
pub fn differences(designs: &[Design]) -> Vec<Difference> {
    let Some((base, rest)) = designs.split_first() else { return Vec::new() };
    let base_series = metric::series(&base.results);
    let mut out = Vec::new();
    for d in rest {
        for s in metric::series(&d.results) {
            let Some(b) = base_series.iter().find(|b| b.name == s.name) else { continue };
            if !(s.measured() && b.measured()) {
                continue;
            }
            let paired = paired_ci(&s.values, &b.values);
            let unpaired = welch_ci(&s.finite(), &b.finite());
            let pairs = s.values.iter().zip(&b.values).filter(|(x, y)| x.is_some() && y.is_some()).count();
            out.push(Difference {
                design: d.name.clone(),
                metric: s.name.clone(),
                unit: s.unit,
                higher_is_better: s.higher_is_better,
                mean: paired.mean,
                paired_ci95: paired.ci95,
                unpaired_ci95: unpaired.ci95,
                pairs,
            });
        }
    }
    out
}

/// Whether any design failed a stated objective (`compare` exits 1).
pub fn any_objective_failed(c: &Comparison) -> bool {
    c.designs.iter().any(|d| verdict::any_failed(&d.results.objectives))
}
