//! The outputs of `sweep`, all read from one [`Sweep`]: `sweep.json`, `sweep.csv`, `sweep.md`, charts
//! (`charts/<metric>`: each metric against the first varied parameter with CI bands and the objective
//! line, which for p99 against an instance count is the capacity-planning view; `charts/pareto` once
//! reports carry a cost) and `sweep.html`.

use std::fmt::Write;
use std::path::{Path, PathBuf};

use super::compare::{metric_keys, objective_line, scale};
use super::html::{self, escape};
use super::{ExportError, write};
use crate::chart::{self, Pareto, Rendered, SweepLine, SweepSeries};
use crate::metric;
use crate::report;
use crate::sweep::{self, Sweep};

/// The x coordinate of every point (the first parameter's value, or its index when not numeric) and
/// the tick labels for the non-numeric case.
fn x_axis(s: &Sweep) -> (Vec<f64>, Option<Vec<String>>) {
    let Some(first) = s.parameters.first() else { return (Vec::new(), None) };
    let position = |v: &String| first.values.iter().position(|x| x == v).unwrap_or(0);
    match sweep::numeric(&first.values) {
        Some(nums) => (s.points.iter().map(|p| nums[position(&p.values[0])]).collect(), None),
        None => {
            (s.points.iter().map(|p| position(&p.values[0]) as f64).collect(), Some(first.values.clone()))
        }
    }
}

/// The charts of a sweep: per metric key, one line per (other parameters' values, population).
pub fn charts(s: &Sweep) -> Result<Vec<(String, Rendered)>, ExportError> {
    let mut out = Vec::new();
    let Some(first) = s.parameters.first() else { return Ok(out) };
    let (xs, x_labels) = x_axis(s);
    let measured = sweep::measured_series(s);
    // Groups of points sharing the other parameters' values, in grid order.
    let mut groups: Vec<(String, Vec<usize>)> = Vec::new();
    for (i, p) in s.points.iter().enumerate() {
        let rest = sweep::label(&s.parameters[1..], &p.values[1..]);
        match groups.iter_mut().find(|g| g.0 == rest) {
            Some(g) => g.1.push(i),
            None => groups.push((rest, vec![i])),
        }
    }
    for (key, label, unit) in metric_keys() {
        let (k, shown) = scale(unit);
        let mut series = Vec::new();
        let mut chosen = None;
        for (rest, members) in &groups {
            for m in measured.iter().filter(|m| m.key == key) {
                let mut points = Vec::new();
                for &i in members {
                    let Some(e) = metric::find(&s.points[i].results, &m.name).and_then(|x| x.estimate())
                    else {
                        continue;
                    };
                    points.push((xs[i], e.mean * k, e.ci95[0] * k, e.ci95[1] * k));
                    if s.chosen == Some(i) && m.population.is_none() {
                        chosen = Some((xs[i], e.mean * k));
                    }
                }
                points.sort_by(|a, b| a.0.total_cmp(&b.0));
                let name = m.population.clone().unwrap_or_else(|| "all requests".into());
                let label = if rest.is_empty() { name } else { format!("{name}, {rest}") };
                series.push(SweepSeries { label, points });
            }
        }
        if series.iter().all(|x| x.points.is_empty()) {
            continue;
        }
        let reference = s.points.first().and_then(|p| objective_line(&p.results, key, unit));
        let p = SweepLine {
            stem: key,
            title: format!("{label} against {}", first.path),
            x_desc: first.path.clone(),
            y_desc: format!("{label} [{shown}]"),
            x_labels: x_labels.clone(),
            series,
            reference,
            chosen,
        };
        out.push((key.to_string(), chart::render(&p)?));
    }
    // Cost against availability, when cost is measured at every point.
    let pair = |i: usize| {
        let r = &s.points[i].results;
        let cost = metric::find(r, metric::COST).and_then(|x| x.estimate())?;
        let avail = metric::find(r, metric::AVAILABILITY).and_then(|x| x.estimate())?;
        Some((cost.mean, avail.mean * 100.0))
    };
    let pairs: Option<Vec<(f64, f64)>> = (0..s.points.len()).map(pair).collect();
    if let Some(pairs) = pairs.filter(|p| !p.is_empty()) {
        let front = sweep::pareto_front(&pairs);
        let points = s
            .points
            .iter()
            .zip(&pairs)
            .map(|(p, &(c, a))| (sweep::label(&s.parameters, &p.values), c, a))
            .collect();
        out.push(("pareto".to_string(), chart::render(&Pareto { points, front })?));
    }
    Ok(out)
}

/// Writes `sweep.json`, `sweep.csv`, `sweep.md`, the charts and `sweep.html` into `dir`.
pub fn write_all(dir: &Path, s: &Sweep) -> Result<Vec<PathBuf>, ExportError> {
    let mut written = Vec::new();
    write(dir.join("sweep.json"), serde_json::to_string_pretty(s)?.as_bytes(), &mut written)?;
    write(dir.join("sweep.csv"), sweep::sweep_csv(s).as_bytes(), &mut written)?;
    write(dir.join("sweep.md"), markdown(s).as_bytes(), &mut written)?;
    let charts = charts(s)?;
    for (path, r) in &charts {
        write(dir.join("charts").join(format!("{path}.svg")), r.svg.as_bytes(), &mut written)?;
        write(dir.join("charts").join(format!("{path}.png")), &r.png, &mut written)?;
    }
    write(dir.join("sweep.html"), page(s, &charts).as_bytes(), &mut written)?;
    Ok(written)
}

/// The lines above the table.
pub fn heading(s: &Sweep) -> String {
    let Some(r) = s.points.first().map(|p| &p.results) else { return String::new() };
    format!(
        "{} on {}: {} points ({}), {} replications each, seed {}, horizon {} s, common random numbers",
        s.model,
        s.scenario,
        s.points.len(),
        s.parameters
            .iter()
            .map(|v| format!("{} × {}", v.values.len(), v.path))
            .collect::<Vec<_>>()
            .join(", "),
        r.replications,
        r.seed,
        r.horizon_s
    )
}

/// Which point was chosen, and how.
pub fn choice(s: &Sweep) -> String {
    match s.chosen {
        Some(i) => format!("chosen: {} ({})", sweep::label(&s.parameters, &s.points[i].values), s.chosen_by),
        None => s.chosen_by.clone(),
    }
}

/// Each point's warnings, as `at POINT: warning` (the run report's advice, per point).
fn warnings(s: &Sweep) -> Vec<String> {
    s.points
        .iter()
        .flat_map(|p| {
            let at = sweep::label(&s.parameters, &p.values);
            p.results.warnings.iter().map(move |w| format!("at {at}: {w}"))
        })
        .collect()
}

/// The terminal summary.
pub fn summary_text(s: &Sweep) -> String {
    let warnings = report::warning_list("\nWarnings\n", &warnings(s));
    format!("{}\n\n{}\n{}\n{warnings}", heading(s), sweep::table(s).text(), choice(s))
}

fn markdown(s: &Sweep) -> String {
    format!(
        "# Sweep of {} on {}\n\n{}\n\n{}\n{}\n{}",
        s.model,
        s.scenario,
        heading(s),
        sweep::table(s).markdown(),
        choice(s),
        report::warning_list("\n## Warnings\n\n", &warnings(s))
    )
}

/// `sweep.html`: the table, the choice, the charts and the inputs, self-contained.
pub fn page(s: &Sweep, charts: &[(String, Rendered)]) -> String {
    let version = s
        .points
        .first()
        .map_or(env!("CARGO_PKG_VERSION").to_string(), |p| p.results.regionsim_version.clone());
    let title = format!("regionsim: sweep of {} on {}", s.model, s.scenario);
    let nav = [("summary", "Summary"), ("warnings", "Warnings"), ("charts", "Charts"), ("inputs", "Inputs")];
    let mut out = html::page_start(&title, &version, &[heading(s)], &nav);
    out.push_str("<section id=\"summary\">\n<h2>Summary</h2>\n");
    html::table_html(&sweep::table(s), &mut out);
    let _ = writeln!(out, "<p>{}</p>", escape(&choice(s)));
    let _ = writeln!(
        out,
        "<p class=\"meta\">Every metric's mean and 95% CI per point are in <code>sweep.csv</code>; each \
         point's full results in <code>sweep.json</code>.</p>"
    );
    out.push_str("</section>\n");
    html::warnings_section(&warnings(s), &mut out);
    out.push_str("<section id=\"charts\">\n<h2>Charts</h2>\n");
    for (path, r) in charts {
        html::figure(r, path, &format!("charts/{path}"), &mut out);
    }
    out.push_str("</section>\n<section id=\"inputs\">\n<h2>Inputs</h2>\n<table>\n<tbody>\n");
    let mut reproduce = String::new();
    if let Some(p) = s.points.first() {
        let i = &p.results.inputs;
        let base: Vec<&String> =
            i.overrides.iter().take(i.overrides.len().saturating_sub(s.parameters.len())).collect();
        for (k, v) in [
            ("model file", i.model_file.clone()),
            ("scenario file", i.scenario_file.clone()),
            (
                "overrides (--set)",
                if base.is_empty() {
                    "none".into()
                } else {
                    base.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ")
                },
            ),
            ("seed", p.results.seed.to_string()),
            ("replications", p.results.replications.to_string()),
        ] {
            let _ = writeln!(out, "<tr><td>{}</td><td>{}</td></tr>", escape(k), escape(&v));
        }
        for v in &s.parameters {
            let _ = writeln!(
                out,
                "<tr><td>--vary {}</td><td>{}</td></tr>",
                escape(&v.path),
                escape(&v.values.join(", "))
            );
        }
        reproduce = format!(
            "regionsim sweep {} {} --seed {} --replications {}{}{}",
            i.model_file,
            i.scenario_file,
            p.results.seed,
            p.results.replications,
            base.iter().map(|o| format!(" --set {o}")).collect::<String>(),
            s.parameters
                .iter()
                .map(|v| format!(" --vary '{}={}'", v.path, v.values.join(",")))
                .collect::<String>()
        );
        out.push_str("</tbody>\n</table>\n");
        html::json_details("Model of the first point, as simulated", &i.model, &mut out);
        html::json_details("Scenario, as simulated", &i.scenario, &mut out);
    } else {
        out.push_str("</tbody>\n</table>\n");
    }
    out.push_str("</section>\n");
    html::page_end(&version, &reproduce, &mut out);
    out
}
