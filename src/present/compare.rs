//! The document of `compare` and its output folder, all read from one [`Comparison`]: `compare.json`,
//! `compare.md`, charts (`charts/designs/<metric>` each design's estimate, `charts/differences/<metric>`
//! the paired and unpaired CIs of the differences) and `compare.html`. Charts are driven by
//! [`crate::analysis::metric::METRICS`].

use crate::analysis::compare::Comparison;
use crate::analysis::metric::{self, METRICS, Series};
use crate::analysis::report::Report;
use crate::analysis::stats::Estimate;
use crate::analysis::unit::Unit;
use crate::analysis::verdict::target_text;
use crate::present::bundle::Bundle;
use crate::present::chart::{self, ChartError, IntervalRow, Intervals, Rendered};
use crate::present::document::{Document, Figure, Renderer};
use crate::present::render::{html::Html, markdown::Markdown};
use crate::present::run::objectives_table;
use crate::present::table::{Table, nines, plural};

/// Each metric key once, in table order (a population metric shares its key with the total).
pub(crate) fn metric_keys() -> Vec<(&'static str, &'static str, Unit)> {
    let mut keys: Vec<(&'static str, &'static str, Unit)> = Vec::new();
    for m in METRICS {
        if !keys.iter().any(|k| k.0 == m.key) {
            keys.push((m.key, m.label, m.unit));
        }
    }
    keys
}

/// A row label: `design` for the total, `design · population` for a population's series.
fn row_label(design: &str, s: &Series) -> String {
    match &s.population {
        None => design.to_string(),
        Some(p) => format!("{design} · {p}"),
    }
}

/// The objective line of a metric key: the target of the objective on its total series.
pub(crate) fn objective_line(report: &Report, key: &str, unit: Unit) -> Option<(f64, String)> {
    let k = unit.scale();
    let o = report.objectives.iter().find(|o| o.objective.metric == key)?;
    Some((o.objective.target * k, format!("objective {}", target_text(o))))
}

/// Whether every row is exactly zero, interval included.
pub(crate) fn all_zero(rows: &[IntervalRow]) -> bool {
    rows.iter().all(|r| r.mean == 0.0 && r.ci == [0.0, 0.0])
}

/// A fraction's row \[%\] kept within 0..100%: a Student-t interval of an availability near 100% can
/// reach past it, which no availability can.
fn as_percentage(r: &mut IntervalRow) {
    r.mean = r.mean.clamp(0.0, 100.0);
    r.ci = r.ci.map(|v| v.clamp(0.0, 100.0));
}

/// The charts of a comparison: per metric, the designs' estimates, then the differences.
pub fn charts(c: &Comparison) -> Result<Vec<(String, Rendered)>, ChartError> {
    let mut out = Vec::new();
    let per_design: Vec<Vec<Series>> = c.designs.iter().map(|d| metric::series(&d.results)).collect();
    for (key, label, unit) in metric_keys() {
        let (k, shown) = (unit.scale(), unit.shown());
        let mut rows = Vec::new();
        for (d, all) in c.designs.iter().zip(&per_design) {
            for s in all.iter().filter(|s| s.key == key) {
                if let Some(e) = s.estimate() {
                    rows.push(IntervalRow {
                        label: row_label(&d.name, s),
                        mean: e.mean * k,
                        ci: [e.ci95[0] * k, e.ci95[1] * k],
                        contrast: None,
                    });
                }
            }
        }
        // A metric that is zero everywhere (writes lost without a store) says nothing: no chart.
        if all_zero(&rows) {
            continue;
        }
        if unit == Unit::Fraction {
            rows.iter_mut().for_each(as_percentage);
        }
        let reference = c.designs.first().and_then(|d| objective_line(&d.results, key, unit));
        if let Some(p) = Intervals::new(
            key,
            format!("{label}: each design (mean, 95% CI)"),
            format!("{label} [{shown}]"),
            rows,
            ("mean and 95% CI".into(), String::new()),
            reference,
        ) {
            let p = if unit == Unit::Fraction { p.on_nines_scale() } else { p };
            out.push((format!("designs/{key}"), chart::render(&p)?));
        }

        let mut rows = Vec::new();
        for d in &c.differences {
            let Some(s) = per_design[0].iter().find(|s| s.name == d.metric && s.key == key) else { continue };
            rows.push(IntervalRow {
                label: row_label(&d.design, s),
                mean: d.mean * k,
                ci: [d.paired_ci95[0] * k, d.paired_ci95[1] * k],
                contrast: Some([d.unpaired_ci95[0] * k, d.unpaired_ci95[1] * k]),
            });
        }
        if let Some(p) = Intervals::new(
            key,
            format!("{label}: difference against {}", c.baseline),
            format!("difference in {label} [{}]", unit.difference_shown()),
            rows,
            ("paired 95% CI (common random numbers)".into(), "unpaired (Welch) 95% CI".into()),
            Some((0.0, "no difference".into())),
        ) {
            out.push((format!("differences/{key}"), chart::render(&p)?));
        }
    }
    Ok(out)
}

/// `mean ± half-width` in the metric's unit (percentage points for fractions).
fn plus_minus(unit: Unit, e: &Estimate) -> String {
    let half = e.half_width();
    if half == 0.0 || !half.is_finite() {
        return unit.format(e.mean);
    }
    let half = match unit {
        Unit::Fraction => format!("{:.4}", half * 100.0),
        _ => unit.format(half),
    };
    format!("{} ± {half}", unit.format(e.mean))
}

fn ci_text(unit: Unit, ci: [f64; 2]) -> String {
    format!("[{}, {}]", unit.format_difference(ci[0]), unit.format_difference(ci[1]))
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
            row.extend(estimates.iter().map(|e| e.map_or("-".into(), |e| nines(e.mean))));
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
            d.unit.format_difference(d.mean),
            ci_text(d.unit, d.paired_ci95),
            ci_text(d.unit, d.unpaired_ci95),
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
        for row in objectives_table(&d.results.objectives).rows {
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
        "{} designs on {}: {} each, seed {}, horizon {} s (warm-up {} s), common random numbers",
        c.designs.len(),
        c.scenario,
        plural(u64::from(r.replications), "replication"),
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

/// The document of a comparison (terminal summary, `compare.md`, `compare.html`).
pub fn document(c: &Comparison, charts: &[(String, Rendered)]) -> Document {
    let version = c
        .designs
        .first()
        .map_or(env!("CARGO_PKG_VERSION").to_string(), |d| d.results.regionsim_version.clone());
    let mut doc = Document {
        title: format!("regionsim: {} designs on {}", c.designs.len(), c.scenario),
        meta: vec![
            heading(c),
            format!(
                "Differences are against {}: paired over replications (each replication of every design saw \
                 the same arrivals and failures), with the unpaired Welch interval for contrast.",
                c.baseline
            ),
        ],
        warnings: warnings(c),
        charts: charts
            .iter()
            .map(|(path, r)| Figure {
                path: format!("charts/{path}"),
                title: r.title.clone(),
                svg: r.svg.clone(),
            })
            .collect(),
        version,
        ..Document::default()
    };
    let mut tables = tables(c).into_iter();
    if let Some((title, t)) = tables.next() {
        doc.section("summary", "Side by side").table(Some(&title), t);
    }
    if let Some((title, t)) = tables.next() {
        // The differences of every metric: long (a row per design and metric), so folded on the page.
        let s = doc.section("differences", "Differences");
        s.table(Some(&title), t);
        s.folded = true;
    }
    for (title, t) in tables {
        doc.section("objectives", "Objectives").table(Some(&title), t);
    }
    for d in &c.designs {
        let i = &d.results.inputs;
        doc.inputs.rows.push((d.name.clone(), format!("{} on {}", i.model_file, i.scenario_file)));
        doc.inputs.blocks.push((format!("Model {}, as simulated", d.name), json(&i.model)));
    }
    if let Some(first) = c.designs.first() {
        let r = &first.results;
        doc.inputs.blocks.push(("Scenario, as simulated".into(), json(&r.inputs.scenario)));
        let mut args: Vec<String> = vec!["regionsim".into(), "compare".into()];
        args.extend(c.designs.iter().map(|d| d.results.inputs.model_file.clone()));
        args.extend(["--scenario".into(), r.inputs.scenario_file.clone()]);
        args.extend([
            "--seed".into(),
            r.seed.to_string(),
            "--replications".into(),
            r.replications.to_string(),
        ]);
        for o in &r.inputs.overrides {
            args.extend(["--set".into(), o.clone()]);
        }
        doc.reproduce = args;
    }
    doc
}

fn json(v: &impl serde::Serialize) -> String {
    serde_json::to_string_pretty(v).unwrap_or_else(|e| format!("(not shown: {e})"))
}

/// Every file of a comparison's output folder: `compare.json`, `compare.md`, the charts and
/// `compare.html`.
pub fn bundle(c: &Comparison) -> Result<Bundle, ChartError> {
    let charts = charts(c)?;
    let doc = document(c, &charts);
    let mut b = Bundle::default();
    b.add("compare.json", serde_json::to_string_pretty(c).unwrap_or_default());
    b.add("compare.md", Markdown.render(&doc));
    for (path, r) in &charts {
        b.add(format!("charts/{path}.svg"), r.svg.clone());
        b.add(format!("charts/{path}.png"), r.png.clone());
    }
    b.add("compare.html", Html.render(&doc));
    Ok(b)
}

#[cfg(test)]
mod chart_tests {
    use super::*;

    #[test]
    fn all_zero_metrics_have_no_chart_and_availability_stays_within_one_hundred_percent() {
        let zero = IntervalRow { label: "a".into(), mean: 0.0, ci: [0.0, 0.0], contrast: None };
        assert!(all_zero(&[zero.clone(), zero.clone()]));
        assert!(!all_zero(&[
            zero,
            IntervalRow { label: "b".into(), mean: 0.0, ci: [0.0, 1.0], contrast: None }
        ]));
        // Time availability 99.95% with a Student-t CI up to 101%.
        let mut r = IntervalRow { label: "a".into(), mean: 99.95, ci: [98.9, 101.0], contrast: None };
        as_percentage(&mut r);
        assert_eq!((r.mean, r.ci), (99.95, [98.9, 100.0]));
    }
}
