//! The document of a run (terminal summary, `summary.md`, `report.html`) and its output folder: every
//! file read from one [`Report`].

use crate::analysis::report::{Report, SliceReport};
use crate::analysis::stats::Estimate;
use crate::analysis::verdict::{ObjectiveResult, target_text};
use crate::present::bundle::Bundle;
use crate::present::chart::{self, ChartError};
use crate::present::document::{Document, Inputs, Renderer};
use crate::present::render::{html::Html, markdown::Markdown};
use crate::present::story;
use crate::present::table::{Table, ci_ms, ci_num, ci_percent, count, ms, nines, num, percent, plural};

/// The name of the results file in an output folder.
pub const RESULTS: &str = "results.json";

/// The tables of a report: headline metrics, per population, per region.
pub fn tables(report: &Report) -> Vec<(String, Table)> {
    let mut headline = Table::new(&["metric", "mean", "95% CI"]);
    headline.row(vec![
        "availability (requests)".into(),
        percent(report.availability.mean),
        ci_percent(&report.availability),
    ]);
    headline.row(vec!["nines".into(), nines(report.availability.mean), String::new()]);
    headline.row(vec![
        "time availability (users' view)".into(),
        percent(report.time_availability.mean),
        ci_percent(&report.time_availability),
    ]);
    headline.row(vec![
        "time availability (authoritative DNS)".into(),
        percent(report.time_availability_infra.mean),
        ci_percent(&report.time_availability_infra),
    ]);
    let l = &report.latency_ms;
    for (name, e) in [
        ("latency mean [ms]", &l.mean),
        ("latency p50 [ms]", &l.p50),
        ("latency p90 [ms]", &l.p90),
        ("latency p99 [ms]", &l.p99),
        ("latency p99.9 [ms]", &l.p999),
    ] {
        headline.row(vec![
            name.into(),
            ms(e.map(|e| e.mean)),
            ci_ms(e.filter(|e| e.has_ci()).map(|e| e.ci95)),
        ]);
    }

    let slices = |title: &str, slices: &[SliceReport]| {
        let mut t =
            Table::new(&[title, "requests", "availability", "95% CI", "p50 [ms]", "p99 [ms]", "p99.9 [ms]"]);
        for s in slices {
            t.row(vec![
                s.name.clone(),
                count(s.requests),
                percent(s.availability.mean),
                ci_percent(&s.availability),
                ms(s.latency_ms.p50.map(|e| e.mean)),
                ms(s.latency_ms.p99.map(|e| e.mean)),
                ms(s.latency_ms.p999.map(|e| e.mean)),
            ]);
        }
        t
    };
    vec![
        ("Results".to_string(), headline),
        ("Per population".to_string(), slices("population", &report.per_population)),
        ("Per region (where requests entered)".to_string(), slices("region", &report.per_region)),
        ("Failovers and data".to_string(), recovery(report)),
        ("Cost [USD/month]".to_string(), cost(report)),
        ("Objectives".to_string(), objectives_table(&report.objectives)),
    ]
}

/// Failover timings, data loss and multi-writer anomalies; empty when nothing failed over.
fn recovery(report: &Report) -> Table {
    let mut t = Table::new(&["metric", "mean", "95% CI", "p50", "p90", "max"]);
    let f = &report.failovers;
    let est = |name: &str, e: &Option<Estimate>, t: &mut Table| {
        if let Some(e) = e {
            t.row(vec![name.into(), num(e.mean), ci_num(e), String::new(), String::new(), String::new()]);
        }
    };
    if f.count.is_some() {
        est("failovers per replication", &f.count, &mut t);
        est("detection [s]", &f.detection_s, &mut t);
        est("DNS switch [s]", &f.dns_switch_s, &mut t);
        est("first response [s]", &f.first_response_s, &mut t);
        for (name, s) in [("RTO [s]", &f.rto_s), ("RPO [s]", &f.rpo_s)] {
            if let Some(s) = s {
                t.row(vec![
                    name.into(),
                    num(s.mean),
                    ci_num(&Estimate { mean: s.mean, ci95: s.ci95 }),
                    num(s.p50),
                    num(s.p90),
                    num(s.max),
                ]);
            }
        }
        if f.rto_unrecovered > 0 {
            t.row(vec!["not recovered by the horizon".into(), count(f.rto_unrecovered), String::new()]);
        }
        if f.relapsed > 0 {
            t.row(vec!["recovered, then relapsed within 15 min".into(), count(f.relapsed), String::new()]);
        }
        est("writes lost per replication", &f.writes_lost, &mut t);
    }
    est("lost updates (LWW) per replication", &report.data.lost_updates, &mut t);
    est("stale reads per replication", &report.data.stale_reads, &mut t);
    if report.cross_region_share.mean > 0.0 {
        est("share served cross-region", &Some(report.cross_region_share), &mut t);
    }
    if t.rows.iter().all(|r| r[1] == "0" || r[1] == "0.000") && f.count.is_none() {
        t.rows.clear();
    }
    t
}

fn cost(report: &Report) -> Table {
    let c = &report.cost_usd_per_month;
    let mut t = Table::new(&["item", "USD/month"]);
    if c.total <= 0.0 {
        return t;
    }
    for (name, v) in c.breakdown.components() {
        t.row(vec![name.into(), format!("{v:.2}")]);
    }
    t.row(vec!["total".into(), format!("{:.2} [{:.2}, {:.2}]", c.total, c.total_ci95[0], c.total_ci95[1])]);
    t
}

/// The lines above the tables: what ran, and how many requests had which outcome.
pub fn heading(report: &Report) -> String {
    let r = &report.requests;
    let causes = r
        .failed_by_cause
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(k, n)| format!("{} {}", k.replace('_', " "), count(*n)))
        .collect::<Vec<_>>()
        .join(", ");
    format!(
        "{} × {}: {}, seed {}, horizon {} s (warm-up {} s)\nrequests: {} attempted, {} succeeded, {} failed{}",
        report.inputs.model.name,
        report.inputs.scenario.name,
        plural(u64::from(report.replications), "replication"),
        report.seed,
        report.horizon_s,
        report.warmup_s,
        count(r.total),
        count(r.succeeded),
        count(r.failed),
        if causes.is_empty() { String::new() } else { format!(" ({causes})") },
    ) + &breaker_line(report)
        + &ejection_line(report)
        + &cdn_line(report)
        + &residency_line(report)
        + &fidelity_line(report)
}

/// With data residency, the requests served outside their populations' regions (violations, with
/// their mean per replication) and those that failed to stay inside them.
fn residency_line(report: &Report) -> String {
    let Some(v) = report.data.residency_violations else {
        return String::new();
    };
    let r = &report.requests;
    let failed = r.failed_by_cause.get("residency").copied().unwrap_or(0);
    let ci = if v.has_ci() { format!(" [{:.1}, {:.1}]", v.ci95[0], v.ci95[1]) } else { String::new() };
    format!(
        "\ndata residency: {} served outside their regions (violations; {:.1} per replication{ci}), {} \
         failed rather than leave them",
        plural(r.residency_violations, "request"),
        v.mean,
        count(failed),
    )
}

/// With a CDN, what its edges answered, what reached the origins, what was served stale, and what
/// the edges' delivery costs against the origin egress it saves.
fn cdn_line(report: &Report) -> String {
    let (r, c) = (&report.requests, &report.cost_usd_per_month);
    if r.edge_hits + r.shield_hits + r.origin_requests == 0 {
        return String::new();
    }
    let shield = if r.shield_hits > 0 {
        format!(", {} at the origin shield", count(r.shield_hits))
    } else {
        String::new()
    };
    format!(
        "\nCDN: {} answered at the edge{shield}, {} sent to an origin, {} served stale; edge delivery \
         ${:.2}/month, saving ${:.2}/month of origin egress",
        count(r.edge_hits),
        count(r.origin_requests),
        count(r.served_stale),
        c.cdn_delivery,
        c.origin_egress_saved,
    )
}

/// With circuit breakers that opened, how often.
fn breaker_line(report: &Report) -> String {
    per_replication_line(
        report,
        report.requests.breaker_trips,
        "circuit breakers",
        "trip",
        "a client population's breaker for a region opening",
    )
}

/// With outlier detection that ejected instances, how often.
fn ejection_line(report: &Report) -> String {
    per_replication_line(
        report,
        report.requests.ejections,
        "outlier detection",
        "ejection",
        "a balancer ejecting an instance after its failures in a row",
    )
}

/// A summary line counting `n` events (`unit`, explained by `what`) of `behaviour`, in all and per
/// replication; empty when there were none.
fn per_replication_line(report: &Report, n: u64, behaviour: &str, unit: &str, what: &str) -> String {
    if n == 0 {
        return String::new();
    }
    format!(
        "\n{behaviour}: {} ({what}), {} per replication",
        plural(n, unit),
        number_per(n, report.replications)
    )
}

fn number_per(total: u64, replications: u32) -> String {
    let v = total as f64 / f64::from(replications.max(1));
    if v.fract() == 0.0 { format!("{v:.0}") } else { format!("{v:.1}") }
}

/// With sampled fidelity, how much ran at request level.
fn fidelity_line(report: &Report) -> String {
    let f = &report.fidelity;
    if f.mode != "sampled" {
        return String::new();
    }
    format!(
        "\nsampled fidelity: {} of the horizon at request level ({} requests simulated, {} fast-forwarded)",
        percent_plain(f.request_level_share.mean),
        count(f.simulated_requests),
        count(f.fast_forwarded_requests),
    )
}

/// A share as a percentage with two significant digits below 10% (0.36%, 4.1%), one decimal above.
fn percent_plain(v: f64) -> String {
    let pct = v * 100.0;
    if pct > 0.0 && pct < 10.0 {
        let decimals = (1 - pct.log10().floor() as i32).max(1) as usize;
        format!("{pct:.decimals$}%")
    } else {
        format!("{pct:.1}%")
    }
}

/// The objectives table: objective, target, estimate, 95% CI, verdict.
pub fn objectives_table(results: &[ObjectiveResult]) -> Table {
    let mut t = Table::new(&["objective", "target", "estimate", "95% CI", "verdict"]);
    for r in results {
        t.row(vec![
            r.objective.name.clone(),
            target_text(r),
            r.estimate.map_or("-".into(), |e| r.unit.format(e.mean)),
            r.estimate.map_or(String::new(), |e| r.unit.format_ci(e.ci95)),
            r.verdict.to_string(),
        ]);
    }
    t
}

/// The page title, also the terminal's and Markdown's.
pub fn title(report: &Report) -> String {
    format!("regionsim: {} × {}", report.inputs.model.name, report.inputs.scenario.name)
}

/// The arguments that reproduce a run from its results.
pub fn reproduce(report: &Report) -> Vec<String> {
    let i = &report.inputs;
    let mut args: Vec<String> =
        ["regionsim", "run", &i.model_file, &i.scenario_file].map(String::from).to_vec();
    args.extend([
        "--seed".into(),
        report.seed.to_string(),
        "--replications".into(),
        report.replications.to_string(),
    ]);
    for o in &i.overrides {
        args.extend(["--set".into(), o.clone()]);
    }
    args
}

/// The command that traces the report's representative replication (`regionsim trace`), quoted for
/// the shell.
pub fn trace_command(report: &Report) -> String {
    let i = &report.inputs;
    let files = (i.model_file.as_str(), i.scenario_file.as_str());
    let replication = report.representative.replication;
    let args = crate::present::trace::command(files, report.seed, replication, None, &i.overrides);
    shlex::try_join(args.iter().map(String::as_str)).unwrap_or_else(|_| args.join(" "))
}

/// The document of a run; `charts` are the rendered charts, in report order.
pub fn document(report: &Report, charts: &[chart::Rendered]) -> Document {
    let mut meta: Vec<String> = heading(report).lines().map(str::to_string).collect();
    if !report.inputs.model.description.is_empty() {
        meta.push(report.inputs.model.description.clone());
    }
    let mut doc = Document {
        title: title(report),
        meta,
        warnings: report.warnings.clone(),
        charts: charts.iter().map(chart::Rendered::figure).collect(),
        reproduce: reproduce(report),
        version: report.regionsim_version.clone(),
        ..Document::default()
    };
    let summary = doc.section("summary", "Summary");
    for (name, t) in tables(report) {
        summary.table(Some(&name), t);
    }
    let rep = &report.representative;
    if let Some(told) = &rep.story {
        let happened = doc.section("what-happened", "What happened");
        story::fill_report_section(happened, rep.replication, told, &trace_command(report));
    }
    let i = &report.inputs;
    doc.inputs = Inputs {
        rows: vec![
            ("model file".into(), i.model_file.clone()),
            ("scenario file".into(), i.scenario_file.clone()),
            (
                "overrides (--set)".into(),
                if i.overrides.is_empty() { "none".into() } else { i.overrides.join(" ") },
            ),
            ("seed".into(), report.seed.to_string()),
            ("replications".into(), report.replications.to_string()),
            ("results schema version".into(), report.schema_version.to_string()),
        ],
        blocks: vec![
            ("Model, as simulated (after overrides)".into(), json(&i.model)),
            ("Scenario, as simulated (after overrides)".into(), json(&i.scenario)),
        ],
    };
    doc
}

fn json(v: &impl serde::Serialize) -> String {
    serde_json::to_string_pretty(v).unwrap_or_else(|e| format!("(not shown: {e})"))
}

/// Every file of a run's output folder: `results.json` (the bytes given: a fresh serialisation, or a
/// results file re-rendered as it is), `runs.csv`, `summary.md`, the charts and `report.html`.
pub fn bundle(report: &Report, results: Vec<u8>) -> Result<Bundle, ChartError> {
    let charts = chart::render_all(report)?;
    let doc = document(report, &charts);
    let mut b = Bundle::default();
    b.add(RESULTS, results);
    b.add("runs.csv", crate::present::csv::runs_csv(report));
    b.add("summary.md", Markdown.render(&doc));
    for c in &charts {
        b.add(format!("charts/{}.svg", c.stem), c.svg.clone());
        b.add(format!("charts/{}.png", c.stem), c.png.clone());
    }
    b.add("report.html", Html.render(&doc));
    Ok(b)
}
