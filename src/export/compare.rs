//! The outputs of `compare`, all read from one [`Comparison`]: `compare.json`, `compare.md`, charts
//! (`charts/designs/<metric>` each design's estimate, `charts/differences/<metric>` the paired and
//! unpaired CIs of the differences) and `compare.html`. Charts are driven by [`crate::metric::METRICS`].

use std::fmt::Write;
use std::path::{Path, PathBuf};

use super::html::{self, escape};
use super::{ExportError, write};
use crate::chart::{self, IntervalRow, Intervals, Rendered};
use crate::compare::{self, Comparison};
use crate::metric::{self, METRICS, Series};
use crate::report::Report;

/// Display scale of a unit: fractions as percentages.
pub(crate) fn scale(unit: &str) -> (f64, &str) {
    if unit == "fraction" { (100.0, "%") } else { (1.0, unit) }
}

/// Each metric key once, in table order (a population metric shares its key with the total).
pub(crate) fn metric_keys() -> Vec<(&'static str, &'static str, &'static str)> {
    let mut keys: Vec<(&'static str, &'static str, &'static str)> = Vec::new();
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
pub(crate) fn objective_line(report: &Report, key: &str, unit: &str) -> Option<(f64, String)> {
    let (k, _) = scale(unit);
    let o = report.objectives.iter().find(|o| o.objective.metric == key)?;
    Some((o.objective.target * k, format!("objective {}", crate::objective::target_text(o))))
}

/// The charts of a comparison: per metric, the designs' estimates, then the differences.
pub fn charts(c: &Comparison) -> Result<Vec<(String, Rendered)>, ExportError> {
    let mut out = Vec::new();
    let per_design: Vec<Vec<Series>> = c.designs.iter().map(|d| metric::series(&d.results)).collect();
    for (key, label, unit) in metric_keys() {
        let (k, shown) = scale(unit);
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
        let reference = c.designs.first().and_then(|d| objective_line(&d.results, key, unit));
        if let Some(p) = Intervals::new(
            key,
            format!("{label}: each design (mean, 95% CI)"),
            format!("{label} [{shown}]"),
            rows,
            ("mean and 95% CI".into(), String::new()),
            reference,
        ) {
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
            format!("difference in {label} [{}]", if shown == "%" { "percentage points" } else { shown }),
            rows,
            ("paired 95% CI (common random numbers)".into(), "unpaired (Welch) 95% CI".into()),
            Some((0.0, "no difference".into())),
        ) {
            out.push((format!("differences/{key}"), chart::render(&p)?));
        }
    }
    Ok(out)
}

/// Writes `compare.json`, `compare.md`, the charts and `compare.html` into `dir`; returns the files.
pub fn write_all(dir: &Path, c: &Comparison) -> Result<Vec<PathBuf>, ExportError> {
    let mut written = Vec::new();
    write(dir.join("compare.json"), serde_json::to_string_pretty(c)?.as_bytes(), &mut written)?;
    write(dir.join("compare.md"), compare::summary_markdown(c).as_bytes(), &mut written)?;
    let charts = charts(c)?;
    for (path, r) in &charts {
        write(dir.join("charts").join(format!("{path}.svg")), r.svg.as_bytes(), &mut written)?;
        write(dir.join("charts").join(format!("{path}.png")), &r.png, &mut written)?;
    }
    write(dir.join("compare.html"), page(c, &charts).as_bytes(), &mut written)?;
    Ok(written)
}

/// `compare.html`: the tables, the charts and each design's inputs, self-contained.
pub fn page(c: &Comparison, charts: &[(String, Rendered)]) -> String {
    let version = c
        .designs
        .first()
        .map_or(env!("CARGO_PKG_VERSION").to_string(), |d| d.results.regionsim_version.clone());
    let title = format!("regionsim: {} designs on {}", c.designs.len(), c.scenario);
    let meta = vec![
        compare::heading(c),
        format!(
            "Differences are against {}: paired over replications (each replication of every design saw the \
             same arrivals and failures), with the unpaired Welch interval for contrast.",
            c.baseline
        ),
    ];
    let nav = [("summary", "Summary"), ("warnings", "Warnings"), ("charts", "Charts"), ("inputs", "Inputs")];
    let mut out = html::page_start(&title, &version, &meta, &nav);
    out.push_str("<section id=\"summary\">\n<h2>Summary</h2>\n");
    for (name, t) in compare::tables(c) {
        if t.rows.is_empty() {
            continue;
        }
        let _ = writeln!(out, "<h3>{}</h3>", escape(&name));
        html::table_html(&t, &mut out);
    }
    out.push_str("</section>\n");

    html::warnings_section(&compare::warnings(c), &mut out);

    out.push_str("<section id=\"charts\">\n<h2>Charts</h2>\n");
    for (path, r) in charts {
        html::figure(r, &path.replace('/', "-"), &format!("charts/{path}"), &mut out);
    }
    out.push_str("</section>\n");

    out.push_str("<section id=\"inputs\">\n<h2>Inputs</h2>\n<table>\n<tbody>\n");
    for d in &c.designs {
        let i = &d.results.inputs;
        let _ = writeln!(
            out,
            "<tr><td>{}</td><td>{}</td></tr>",
            escape(&d.name),
            escape(&format!("{} on {}", i.model_file, i.scenario_file))
        );
    }
    out.push_str("</tbody>\n</table>\n");
    for d in &c.designs {
        html::json_details(&format!("Model {}, as simulated", d.name), &d.results.inputs.model, &mut out);
    }
    if let Some(d) = c.designs.first() {
        html::json_details("Scenario, as simulated", &d.results.inputs.scenario, &mut out);
    }
    out.push_str("</section>\n");
    let reproduce = c.designs.first().map_or(String::new(), |first| {
        let r = &first.results;
        format!(
            "regionsim compare {} --scenario {} --seed {} --replications {}{}",
            c.designs.iter().map(|d| d.results.inputs.model_file.as_str()).collect::<Vec<_>>().join(" "),
            r.inputs.scenario_file,
            r.seed,
            r.replications,
            r.inputs.overrides.iter().map(|o| format!(" --set {o}")).collect::<String>()
        )
    });
    html::page_end(&version, &reproduce, &mut out);
    out
}
