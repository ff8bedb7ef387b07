//! The outputs of `regionsim trace`: the narration (terminal, `trace.md`, `trace.html`), the timeline
//! chart, and every event as one JSON object per line (`trace.jsonl`, docs/trace.md#trace-jsonl).

use crate::analysis::story::{clock, seconds};
use crate::analysis::trace::Traced;
use crate::present::bundle::Bundle;
use crate::present::chart::{self, ChartError, TraceTimeline};
use crate::present::csv::to_csv;
use crate::present::document::{Document, Renderer};
use crate::present::render::{html::Html, markdown::Markdown};
use crate::present::story;
use crate::present::table::{Table, count, percent};

/// Story lines `trace.md` and `trace.html` tell at most; `trace.jsonl` holds every event.
pub const DOCUMENT_LINES: usize = 2_000;

/// The `regionsim trace` arguments that follow replication `replication` of a study (its files, seed and
/// overrides), over `window` when it is not the whole horizon: what a trace shows to make it again, and
/// what a run report gives for the rest of its story.
pub fn command(
    (model_file, scenario_file): (&str, &str),
    seed: u64,
    replication: u32,
    window: Option<(f64, f64)>,
    overrides: &[String],
) -> Vec<String> {
    let mut args: Vec<String> = ["regionsim", "trace", model_file, scenario_file].map(String::from).to_vec();
    args.extend(["--seed".into(), seed.to_string(), "--replication".into(), replication.to_string()]);
    if let Some((from_s, to_s)) = window {
        args.extend(["--from".into(), from_s.to_string(), "--to".into(), to_s.to_string()]);
    }
    for o in overrides {
        args.extend(["--set".into(), o.clone()]);
    }
    args
}

/// The arguments that make this trace again.
pub fn reproduce(t: &Traced) -> Vec<String> {
    let whole = t.trace.from_s <= 0.0 && t.trace.to_s >= t.horizon_s;
    let window = (!whole).then_some((t.trace.from_s, t.trace.to_s));
    command((&t.model_file, &t.scenario_file), t.seed, t.replication, window, &t.overrides)
}

/// The trace as a document; `charts` are its rendered charts.
pub fn document(t: &Traced, charts: &[chart::Rendered]) -> Document {
    let mut doc = Document {
        title: format!("regionsim trace: {} × {}, replication {}", t.model, t.scenario, t.replication),
        reproduce: reproduce(t),
        version: env!("CARGO_PKG_VERSION").to_string(),
        charts: charts.iter().map(chart::Rendered::figure).collect(),
        ..Document::default()
    };
    doc.meta.push(format!(
        "seed {}, replication {}, followed from {} to {} of a {} horizon: {} events",
        t.seed,
        t.replication,
        clock(t.trace.from_s),
        clock(t.trace.to_s),
        clock(t.horizon_s),
        count(t.trace.events.len() as u64 + t.trace.dropped),
    ));
    let failed = t.failed();
    let causes: Vec<String> =
        t.failed_by_cause.iter().map(|(k, n)| format!("{} {}", k.replace('_', " "), count(*n))).collect();
    doc.meta.push(format!(
        "the whole replication: {} requests, {} succeeded ({}), {} failed{}",
        count(t.succeeded + failed),
        count(t.succeeded),
        t.availability().map_or("-".into(), percent),
        count(failed),
        if causes.is_empty() { String::new() } else { format!(" ({})", causes.join(", ")) },
    ));
    let happened = doc.section("what-happened", "What happened");
    // Fast-forwarded stretches are grey in the chart and listed in trace.jsonl; in the table they
    // would only interrupt the story.
    let told: Vec<_> = t.story.iter().filter(|l| l.kind != "fast_forward").collect();
    let skipped = t.trace.skipped();
    if told.is_empty() {
        happened.text("Nothing happened in this window: no component went down and no answer changed.");
    } else {
        happened.table(None, story::table(told.iter().copied().take(DOCUMENT_LINES)));
    }
    if !skipped.is_empty() {
        let span: f64 = skipped.iter().map(|(a, b)| b - a).sum();
        happened.note(format!(
            "Sampled fidelity counted {} steady stretch{} ({} in all) from expectations instead of request by \
             request: grey in the chart, fast_forward events in trace.jsonl.",
            count(skipped.len() as u64),
            if skipped.len() == 1 { "" } else { "es" },
            seconds(span)
        ));
    }
    if told.len() > DOCUMENT_LINES || t.trace.dropped > 0 {
        happened.note(format!(
            "{} more events are in trace.jsonl{}.",
            count((told.len().saturating_sub(DOCUMENT_LINES)) as u64),
            if t.trace.dropped > 0 {
                format!("; {} beyond its limit were counted, not kept", count(t.trace.dropped))
            } else {
                String::new()
            }
        ));
    }
    if !t.failovers.is_empty() {
        let mut f =
            Table::new(&["region", "failed at", "detected after", "DNS after", "RTO", "writes lost", "RPO"]);
        let after = |s: Option<f64>| s.map_or("-".to_string(), seconds);
        for x in &t.failovers {
            f.row(vec![
                x.region.clone(),
                clock(x.start_s),
                after(x.detection_s),
                after(x.dns_switch_s),
                x.rto_s.map_or("not by the end".to_string(), seconds),
                count(x.writes_lost),
                after(x.rpo_s),
            ]);
        }
        doc.section("failovers", "Failovers in this replication").table(None, f);
    }
    doc
}

/// Every event as one JSON object per line, in time order.
pub fn jsonl(t: &Traced) -> Result<Vec<u8>, serde_json::Error> {
    let mut out = Vec::new();
    for e in &t.trace.events {
        serde_json::to_writer(&mut out, e)?;
        out.push(b'\n');
    }
    Ok(out)
}

/// The outcome series as CSV: one row per bin and population where a request had its outcome
/// (`bin_start_s,bin_s,population,succeeded,failed`), for plotting elsewhere.
pub fn series_csv(t: &Traced) -> String {
    let s = &t.trace.series;
    let mut rows =
        vec![["bin_start_s", "bin_s", "population", "succeeded", "failed"].map(String::from).to_vec()];
    for (name, bins) in t.populations.iter().zip(&s.outcomes) {
        for (k, [ok, failed]) in bins.iter().enumerate() {
            if ok + failed > 0 {
                let start = s.from_s + k as f64 * s.bin_s;
                rows.push(vec![
                    start.to_string(),
                    s.bin_s.to_string(),
                    name.clone(),
                    ok.to_string(),
                    failed.to_string(),
                ]);
            }
        }
    }
    to_csv(&rows)
}

/// Why a trace's outputs could not be made.
#[derive(Debug, thiserror::Error)]
pub enum TraceOutputError {
    /// A chart failed to draw.
    #[error("drawing the trace chart: {0}")]
    Chart(#[from] ChartError),
    /// An event failed to serialise.
    #[error("serialising the trace: {0}")]
    Json(#[from] serde_json::Error),
}

/// The trace's output folder: `trace.jsonl`, `trace.md`, `trace.html`, the chart and `series.csv`.
pub fn bundle(t: &Traced) -> Result<Bundle, TraceOutputError> {
    let charts: Vec<chart::Rendered> =
        TraceTimeline::from_traced(t).map(|c| chart::render(&c)).transpose()?.into_iter().collect();
    let doc = document(t, &charts);
    let mut b = Bundle::default();
    b.add("trace.jsonl", jsonl(t)?);
    b.add("series.csv", series_csv(t));
    b.add("trace.md", Markdown.render(&doc));
    for c in &charts {
        b.add(format!("charts/{}.svg", c.stem), c.svg.clone());
        b.add(format!("charts/{}.png", c.stem), c.png.clone());
    }
    b.add("trace.html", Html.render(&doc));
    Ok(b)
}
