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

use crate::engine::SimError;
use crate::metric::{self, format_value};
use crate::montecarlo::{self, RunOptions};
use crate::objective;
use crate::report::{self, Report, Table};
use crate::stats::{Estimate, paired_ci, welch_ci};
use crate::study::{self, Adjustments, InputErrors, Study};

/// Version of `compare.json`'s own fields (each design's `results` carry the report schema version).
pub const SCHEMA_VERSION: u32 = 1;

/// One design's name and full report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Design {
    /// The model's name (made unique with `#2`, `#3` when two models share it).
    pub name: String,
    pub results: Report,
}

/// A metric's difference `design − baseline`, with the paired and the unpaired 95% CI.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Difference {
    pub design: String,
    /// A metric series name (see [`crate::metric`]).
    pub metric: String,
    pub unit: String,
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
    pub schema_version: u32,
    pub scenario: String,
    /// The baseline the differences are taken against: the first design.
    pub baseline: String,
    pub designs: Vec<Design>,
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
        let observations = montecarlo::run(&study.model, &study.scenario, options)?;
        designs.push(Design { name, results: report::build(study, overrides, &observations) });
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
                unit: s.unit.to_string(),
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
    c.designs.iter().any(|d| objective::any_failed(&d.results.objectives))
}

/// `mean ± half-width` in the metric's unit (percentage points for fractions).
fn plus_minus(unit: &str, e: &Estimate) -> String {
    let half = e.half_width();
    if half == 0.0 || !half.is_finite() {
        return format_value(unit, e.mean);
    }
    let half = match unit {
        "fraction" => format!("{:.4}", half * 100.0),
        _ => format_value(unit, half),
    };
    format!("{} ± {half}", format_value(unit, e.mean))
}

/// A difference in the metric's unit (percentage points for fractions).
fn signed(unit: &str, v: f64) -> String {
    let s = match unit {
        "fraction" => format!("{:.4} pp", v * 100.0),
        _ => format_value(unit, v),
    };
    if v > 0.0 { format!("+{s}") } else { s }
}

fn ci_text(unit: &str, ci: [f64; 2]) -> String {
    format!("[{}, {}]", signed(unit, ci[0]), signed(unit, ci[1]))
}

/// The tables: side by side (one column per design), differences against the baseline, objectives.
pub fn tables(c: &Comparison) -> Vec<(String, Table)> {
    let mut header = vec!["metric".to_string()];
    header.extend(c.designs.iter().map(|d| d.name.clone()));
    let mut side = Table { header, rows: Vec::new() };
    let per_design: Vec<Vec<metric::Series>> = c.designs.iter().map(|d| metric::series(&d.results)).collect();
    let Some(first) = per_design.first() else { return Vec::new() };
    for s in first {
        let estimates: Vec<Option<Estimate>> = per_design
            .iter()
            .map(|all| all.iter().find(|x| x.name == s.name).and_then(|x| x.estimate()))
            .collect();
        if estimates.iter().all(Option::is_none) {
            continue;
        }
        let mut row = vec![s.axis_label()];
        row.extend(estimates.iter().map(|e| e.as_ref().map_or("-".into(), |e| plus_minus(s.unit, e))));
        side.rows.push(row);
        if s.name == metric::AVAILABILITY {
            let mut row = vec!["nines".to_string()];
            row.extend(estimates.iter().map(|e| e.map_or("-".into(), |e| report::nines_text(e.mean))));
            side.rows.push(row);
        }
    }

    let mut diff = Table {
        header: [
            "design",
            "metric",
            &format!("difference vs {}", c.baseline),
            "paired 95% CI",
            "unpaired 95% CI",
            "width ratio",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect(),
        rows: Vec::new(),
    };
    for d in &c.differences {
        diff.rows.push(vec![
            d.design.clone(),
            d.metric.clone(),
            signed(&d.unit, d.mean),
            ci_text(&d.unit, d.paired_ci95),
            ci_text(&d.unit, d.unpaired_ci95),
            if d.width_ratio().is_finite() { format!("{:.2}", d.width_ratio()) } else { "-".into() },
        ]);
    }

    let mut objectives = Table {
        header: ["design", "objective", "target", "estimate", "95% CI", "verdict"]
            .iter()
            .map(|s| s.to_string())
            .collect(),
        rows: Vec::new(),
    };
    for d in &c.designs {
        for row in objective::table(&d.results.objectives).rows {
            let mut r = vec![d.name.clone()];
            r.extend(row);
            objectives.rows.push(r);
        }
    }
    vec![
        ("Side by side (mean ± 95% CI half-width)".to_string(), side),
        (format!("Differences against {} (common random numbers)", c.baseline), diff),
        ("Objectives".to_string(), objectives),
    ]
}

/// The lines above the tables.
pub fn heading(c: &Comparison) -> String {
    let Some(first) = c.designs.first() else { return String::new() };
    let r = &first.results;
    format!(
        "{} designs on {}: {} replications each, seed {}, horizon {} s (warm-up {} s), common random numbers",
        c.designs.len(),
        c.scenario,
        r.replications,
        r.seed,
        r.horizon_s,
        r.warmup_s
    )
}

/// Each design's warnings, as `design: warning` (the run report's advice, per design).
pub fn warnings(c: &Comparison) -> Vec<String> {
    c.designs
        .iter()
        .flat_map(|d| d.results.warnings.iter().map(move |w| format!("{}: {w}", d.name)))
        .collect()
}

/// The terminal summary.
pub fn summary_text(c: &Comparison) -> String {
    let mut out = heading(c);
    out.push_str("\n\n");
    for (title, t) in tables(c) {
        if !t.rows.is_empty() {
            out.push_str(&format!("{title}\n{}\n", t.text()));
        }
    }
    out.push_str(&crate::report::warning_list("Warnings\n", &warnings(c)));
    out
}

/// The summary as Markdown (`compare.md`).
pub fn summary_markdown(c: &Comparison) -> String {
    let mut out = format!("# Comparison on {}\n\n{}\n\n", c.scenario, heading(c));
    for (title, t) in tables(c) {
        if !t.rows.is_empty() {
            out.push_str(&format!("## {title}\n\n{}\n", t.markdown()));
        }
    }
    out.push_str(&crate::report::warning_list("## Warnings\n\n", &warnings(c)));
    out
}
