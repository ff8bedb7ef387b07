//! The document of `sweep` and its output folder, all read from one [`Sweep`]: `sweep.json`,
//! `sweep.csv`, `sweep.md`, charts (`charts/<metric>`: each metric against the first varied parameter
//! with CI bands and the objective line, which for p99 against an instance count is the
//! capacity-planning view; `charts/pareto` once reports carry a cost) and `sweep.html`.

use crate::analysis::metric::{self, Series};
use crate::analysis::sweep::{self, Sweep, measured_series};
use crate::analysis::unit::Unit;
use crate::analysis::verdict;
use crate::present::bundle::Bundle;
use crate::present::chart::{self, ChartError, Pareto, Rendered, SweepLine, SweepSeries};
use crate::present::compare::{metric_keys, objective_line};
use crate::present::document::{Document, Figure, Renderer};
use crate::present::render::{html::Html, markdown::Markdown};
use crate::present::table::{Table, plural};

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
pub fn charts(s: &Sweep) -> Result<Vec<(String, Rendered)>, ChartError> {
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
        let (k, shown) = (unit.scale(), unit.shown());
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
                    let v = |x: f64| if unit == Unit::Fraction { (x * k).clamp(0.0, 100.0) } else { x * k };
                    points.push((xs[i], v(e.mean), v(e.ci95[0]), v(e.ci95[1])));
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
        // Nothing measured, or zero everywhere (writes lost without a store): no chart.
        if series.iter().all(|x| x.points.iter().all(|p| p.1 == 0.0 && p.2 == 0.0 && p.3 == 0.0)) {
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
            integer_x: x_labels.is_none() && xs.iter().all(|x| x.fract() == 0.0),
            nines: unit == Unit::Fraction,
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
        let points = s.points.iter().zip(&pairs).map(|(p, &(c, a))| (p.values.join(", "), c, a)).collect();
        let labelled_by = s.parameters.iter().map(|v| v.path.as_str()).collect::<Vec<_>>().join(", ");
        out.push(("pareto".to_string(), chart::render(&Pareto { points, front, labelled_by })?));
    }
    Ok(out)
}

/// The lines above the table.
pub fn heading(s: &Sweep) -> String {
    let Some(r) = s.points.first().map(|p| &p.results) else { return String::new() };
    format!(
        "{} on {}: {} points ({}), {} each, seed {}, horizon {} s, common random numbers",
        s.model,
        s.scenario,
        s.points.len(),
        s.parameters
            .iter()
            .map(|v| format!("{} × {}", v.values.len(), v.path))
            .collect::<Vec<_>>()
            .join(", "),
        plural(u64::from(r.replications), "replication"),
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

/// `sweep.csv`: a row per point: the varied values, then mean and 95% CI bounds of each metric, the
/// overall objective verdict and whether it is the chosen point.
pub fn sweep_csv(s: &Sweep) -> String {
    let series = measured_series(s);
    let mut header: Vec<String> = s.parameters.iter().map(|v| v.path.clone()).collect();
    for x in &series {
        for suffix in ["mean", "ci95_lo", "ci95_hi"] {
            header.push(format!("{}_{suffix}", x.name));
        }
    }
    header.push("objectives".into());
    header.push("chosen".into());
    let mut rows = vec![header];
    for (i, p) in s.points.iter().enumerate() {
        let mut row: Vec<String> = p.values.clone();
        for x in &series {
            match metric::find(&p.results, &x.name).and_then(|y| y.estimate()) {
                Some(e) => row.extend([e.mean, e.ci95[0], e.ci95[1]].map(crate::present::csv::float)),
                None => row.extend(["", "", ""].map(String::from)),
            }
        }
        row.push(match p.results.objectives.is_empty() {
            true => String::new(),
            false => verdict::overall(&p.results.objectives).to_string().to_lowercase(),
        });
        row.push(if s.chosen == Some(i) { "yes".into() } else { String::new() });
        rows.push(row);
    }
    crate::present::csv::to_csv(&rows)
}

/// The table printed and shown in `sweep.html`: the varied values, availability, p99 (and each
/// population's), the objective verdict, the chosen point.
pub fn table(s: &Sweep) -> Table {
    let wanted =
        |x: &Series| x.key == metric::AVAILABILITY || x.key == "latency_p99_ms" || x.key == metric::COST;
    let series: Vec<Series> = measured_series(s).into_iter().filter(wanted).collect();
    let mut header: Vec<String> = s.parameters.iter().map(|v| v.path.clone()).collect();
    header.extend(series.iter().map(|x| x.axis_label()));
    header.push("objectives".into());
    header.push("chosen".into());
    let rows = s
        .points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let mut row = p.values.clone();
            for x in &series {
                row.push(match metric::find(&p.results, &x.name).and_then(|y| y.estimate()) {
                    Some(e) => format!("{} {}", x.unit.format(e.mean), x.unit.format_ci(e.ci95)),
                    None => "-".into(),
                });
            }
            row.push(if p.results.objectives.is_empty() {
                "-".into()
            } else {
                verdict::overall(&p.results.objectives).to_string()
            });
            row.push(if s.chosen == Some(i) { "<-".into() } else { String::new() });
            row
        })
        .collect();
    Table { header, rows }
}

/// The document of a sweep (terminal summary, `sweep.md`, `sweep.html`).
pub fn document(s: &Sweep, charts: &[(String, Rendered)]) -> Document {
    let version = s
        .points
        .first()
        .map_or(env!("CARGO_PKG_VERSION").to_string(), |p| p.results.regionsim_version.clone());
    let mut doc = Document {
        title: format!("regionsim: sweep of {} on {}", s.model, s.scenario),
        meta: vec![heading(s)],
        warnings: warnings(s),
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
    doc.section("summary", "Summary").table(None, table(s)).text(choice(s)).note(
        "Every metric's mean and 95% CI per point are in sweep.csv; each point's full results in sweep.json.",
    );
    if let Some(p) = s.points.first() {
        let i = &p.results.inputs;
        let base: Vec<&String> =
            i.overrides.iter().take(i.overrides.len().saturating_sub(s.parameters.len())).collect();
        doc.inputs.rows = vec![
            ("model file".into(), i.model_file.clone()),
            ("scenario file".into(), i.scenario_file.clone()),
            (
                "overrides (--set)".into(),
                if base.is_empty() {
                    "none".into()
                } else {
                    base.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(" ")
                },
            ),
            ("seed".into(), p.results.seed.to_string()),
            ("replications".into(), p.results.replications.to_string()),
        ];
        for v in &s.parameters {
            doc.inputs.rows.push((format!("--vary {}", v.path), v.values.join(", ")));
        }
        doc.inputs.blocks = vec![
            ("Model of the first point, as simulated".into(), json(&i.model)),
            ("Scenario, as simulated".into(), json(&i.scenario)),
        ];
        let mut args: Vec<String> =
            ["regionsim", "sweep", &i.model_file, &i.scenario_file].map(String::from).to_vec();
        args.extend([
            "--seed".into(),
            p.results.seed.to_string(),
            "--replications".into(),
            p.results.replications.to_string(),
        ]);
        for o in base {
            args.extend(["--set".into(), o.clone()]);
        }
        for v in &s.parameters {
            args.extend(["--vary".into(), format!("{}={}", v.path, v.values.join(","))]);
        }
        doc.reproduce = args;
    }
    doc
}

fn json(v: &impl serde::Serialize) -> String {
    serde_json::to_string_pretty(v).unwrap_or_else(|e| format!("(not shown: {e})"))
}

/// Every file of a sweep's output folder: `sweep.json`, `sweep.csv`, `sweep.md`, the charts and
/// `sweep.html`.
pub fn bundle(s: &Sweep) -> Result<Bundle, ChartError> {
    let charts = charts(s)?;
    let doc = document(s, &charts);
    let mut b = Bundle::default();
    b.add("sweep.json", serde_json::to_string_pretty(s).unwrap_or_default());
    b.add("sweep.csv", sweep_csv(s));
    b.add("sweep.md", Markdown.render(&doc));
    for (path, r) in &charts {
        b.add(format!("charts/{path}.svg"), r.svg.clone());
        b.add(format!("charts/{path}.png"), r.png.clone());
    }
    b.add("sweep.html", Html.render(&doc));
    Ok(b)
}
