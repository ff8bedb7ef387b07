//! The document of `regionsim explain`: the single points of failure first, then every fault domain's
//! classification per population, rendered as terminal text, `explain.md` and `explain.html`, with
//! `explain.json` beside them, as one bundle.

use crate::analysis::explain::{Class, Explanation};
use crate::present::bundle::Bundle;
use crate::present::chart::{self, ChartError, IntervalRow, Intervals, Rendered};
use crate::present::document::{Document, Renderer};
use crate::present::render::{html::Html, markdown::Markdown};
use crate::present::table::Table;

fn share(v: f64) -> String {
    let p = v * 100.0;
    if p == 0.0 || p >= 10.0 { format!("{p:.0}%") } else { format!("{p:.1}%") }
}

/// The explanation as a document; `reproduce` is the command line that made it.
pub fn document(e: &Explanation, reproduce: Vec<String>) -> Document {
    let mut doc = Document {
        title: format!(
            "regionsim: fault domains of {}{}",
            e.model,
            e.scenario.as_ref().map(|s| format!(" under {s}")).unwrap_or_default()
        ),
        reproduce,
        version: env!("CARGO_PKG_VERSION").to_string(),
        ..Document::default()
    };
    let cascading: Vec<_> = e
        .domains
        .iter()
        .flat_map(|d| d.impacts.iter().map(move |i| (d, i)))
        .filter(|(_, i)| i.class == Class::Cascading)
        .collect();
    let (components, pairs) = (e.domains.iter().filter(|d| d.kind != "dns").count(), cascading.len());
    doc.meta.push(format!(
        "{components} fault domains examined; {pairs} (fault domain, population) pair{} cascading",
        if pairs == 1 { " is" } else { "s are" }
    ));
    let summary = doc.section("single-points-of-failure", "Single points of failure");
    if cascading.is_empty() {
        summary.text("No fault domain is cascading for any population.");
    } else {
        let mut t = Table::new(&["fault domain", "population", "lost until repair", "reason"]);
        for (d, i) in &cascading {
            t.row(vec![
                format!("{} {}", d.kind, d.name),
                i.population.clone(),
                share(i.lost_until_repair),
                i.reason.clone(),
            ]);
        }
        summary.table(None, t);
    }
    let all = doc.section("classification", "Every fault domain, per population");
    let mut t = Table::new(&[
        "fault domain",
        "population",
        "class",
        "blast radius",
        "lost until repair",
        "utilisation after",
        "reason",
    ]);
    for d in &e.domains {
        for i in &d.impacts {
            t.row(vec![
                format!("{} {}", d.kind, d.name),
                i.population.clone(),
                i.class.word().to_string(),
                share(i.blast_radius),
                share(i.lost_until_repair),
                i.utilisation.map(share).unwrap_or_else(|| "-".to_string()),
                i.reason.clone(),
            ]);
        }
    }
    all.table(None, t);
    if !e.measured.is_empty() {
        let measured =
            doc.section("measured", "Measured: each failure injected, ranked by availability lost");
        let mut t = Table::new(&[
            "rank",
            "fault domain",
            "static class",
            "predicted loss",
            "measured loss",
            "95% CI (paired)",
            "contradiction",
        ]);
        for (k, m) in e.measured.iter().enumerate() {
            t.row(vec![
                (k + 1).to_string(),
                format!("{} {}", m.kind, m.name),
                m.static_class.word().to_string(),
                format!("{:.3}%", m.predicted_loss * 100.0),
                format!("{:.3}%", m.loss.mean * 100.0),
                format!("[{:.3}%, {:.3}%]", m.loss.ci95[0] * 100.0, m.loss.ci95[1] * 100.0),
                m.contradiction.clone().unwrap_or_else(|| "-".to_string()),
            ]);
        }
        measured.table(None, t);
        let flagged = e.measured.iter().filter(|m| m.contradiction.is_some()).count();
        if flagged > 0 {
            doc.warnings.push(format!(
                "{flagged} fault domain{} measured against {} static classification: see Measured",
                if flagged == 1 { " was" } else { "s were" },
                if flagged == 1 { "its" } else { "their" }
            ));
        }
    }
    let notes = doc.section("assumptions", "What this assumes");
    for n in &e.notes {
        notes.note(n.clone());
    }
    doc
}

/// The most fault domains a chart shows (the largest impacts first): a model of a thousand instances
/// would otherwise draw a thousand rows, most at zero.
pub const CHART_ROWS: usize = 20;

/// The chart of impact per fault domain: with `--simulate`, each one's measured loss of availability
/// with its paired 95% CI, in rank order; without, each one's largest blast radius over the
/// populations. At most [`CHART_ROWS`] rows, the largest first; `None` when every impact is zero (a
/// chart of zeros says nothing).
pub fn impact_chart(e: &Explanation) -> Option<Intervals> {
    let (title, x_desc, legend, mut rows) = if e.measured.is_empty() {
        let rows: Vec<IntervalRow> = e
            .domains
            .iter()
            .map(|d| {
                let worst = d.impacts.iter().map(|i| i.blast_radius).fold(0.0, f64::max) * 100.0;
                IntervalRow {
                    label: format!("{} {}", d.kind, d.name),
                    mean: worst,
                    ci: [worst, worst],
                    contrast: None,
                }
            })
            .collect();
        (
            "Blast radius of each fault domain (static, worst population)",
            "requests failing when it fails [%]",
            "blast radius",
            rows,
        )
    } else {
        let rows: Vec<IntervalRow> = e
            .measured
            .iter()
            .map(|m| IntervalRow {
                label: format!("{} {}", m.kind, m.name),
                mean: m.loss.mean * 100.0,
                ci: [m.loss.ci95[0] * 100.0, m.loss.ci95[1] * 100.0],
                contrast: None,
            })
            .collect();
        (
            "Availability lost when each fault domain fails (measured, paired 95% CI)",
            "availability lost [pp]",
            "measured loss and paired 95% CI",
            rows,
        )
    };
    rows.sort_by(|a, b| b.mean.total_cmp(&a.mean));
    rows.truncate(CHART_ROWS);
    if rows.iter().all(|r| r.mean == 0.0 && r.ci == [0.0, 0.0]) {
        return None;
    }
    Intervals::new(
        "impact",
        title.to_string(),
        x_desc.to_string(),
        rows,
        (legend.to_string(), String::new()),
        Some((0.0, "no loss".to_string())),
    )
}

/// The explanation's charts, drawn (at most one: [`impact_chart`]).
pub fn charts(e: &Explanation) -> Result<Vec<Rendered>, ChartError> {
    impact_chart(e).map(|c| chart::render(&c)).into_iter().collect()
}

/// `explain.md`, `explain.html` (with `charts` inlined), `explain.json` and the charts' files, as one
/// bundle.
pub fn bundle(e: &Explanation, doc: &Document, charts: &[Rendered]) -> Result<Bundle, serde_json::Error> {
    let mut b = Bundle::default();
    b.add("explain.json", serde_json::to_vec_pretty(e)?);
    b.add("explain.md", Markdown.render(doc));
    for c in charts {
        b.add(format!("charts/{}.svg", c.stem), c.svg.clone());
        b.add(format!("charts/{}.png", c.stem), c.png.clone());
    }
    b.add("explain.html", Html.render(doc));
    Ok(b)
}
