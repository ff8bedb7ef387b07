//! The summary a person reads first: as aligned text for the terminal and as Markdown for `summary.md`.

use std::fmt::Write;

use super::Report;
use crate::stats::Estimate;

/// A grid of cells with a header row, rendered as aligned text or Markdown.
#[derive(Debug, Clone, Default)]
pub struct Table {
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Table {
    fn new(header: &[&str]) -> Table {
        Table { header: header.iter().map(|s| s.to_string()).collect(), rows: Vec::new() }
    }

    fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub fn text(&self) -> String {
        let widths: Vec<usize> = (0..self.header.len())
            .map(|c| {
                std::iter::once(&self.header)
                    .chain(&self.rows)
                    .map(|r| r.get(c).map_or(0, |s| s.chars().count()))
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut out = String::new();
        let line = |cells: &Vec<String>, out: &mut String| {
            let mut s = String::new();
            for (c, w) in widths.iter().enumerate() {
                let cell = cells.get(c).map_or("", |s| s.as_str());
                if c == 0 {
                    let _ = write!(s, "{cell:<w$}");
                } else {
                    let _ = write!(s, "  {cell:>w$}");
                }
            }
            out.push_str(s.trim_end());
            out.push('\n');
        };
        line(&self.header, &mut out);
        line(&widths.iter().map(|w| "-".repeat(*w)).collect(), &mut out);
        for r in &self.rows {
            line(r, &mut out);
        }
        out
    }

    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let esc = |s: &str| s.replace('|', "\\|");
        let _ = writeln!(out, "| {} |", self.header.iter().map(|s| esc(s)).collect::<Vec<_>>().join(" | "));
        let _ = writeln!(
            out,
            "|{}|",
            (0..self.header.len())
                .map(|c| if c == 0 { " --- " } else { " ---: " })
                .collect::<Vec<_>>()
                .join("|")
        );
        for r in &self.rows {
            let _ = writeln!(out, "| {} |", r.iter().map(|s| esc(s)).collect::<Vec<_>>().join(" | "));
        }
        out
    }
}

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

    let slices = |title: &str, slices: &[super::SliceReport]| {
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
        ("Objectives".to_string(), crate::objective::table(&report.objectives)),
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

fn num(v: f64) -> String {
    if !v.is_finite() {
        "-".into()
    } else if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.3}")
    }
}

fn ci_num(e: &Estimate) -> String {
    if e.ci95[0] == e.ci95[1] { String::new() } else { format!("[{}, {}]", num(e.ci95[0]), num(e.ci95[1])) }
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
        "{} x {}: {} replications, seed {}, horizon {} s (warm-up {} s)\nrequests: {} attempted, {} succeeded, {} failed{}",
        report.inputs.model.name,
        report.inputs.scenario.name,
        report.replications,
        report.seed,
        report.horizon_s,
        report.warmup_s,
        count(r.total),
        count(r.succeeded),
        count(r.failed),
        if causes.is_empty() { String::new() } else { format!(" ({causes})") },
    ) + &fidelity_line(report)
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

/// The terminal summary.
pub fn summary_table(report: &Report) -> String {
    let mut out = heading(report);
    out.push_str("\n\n");
    for (title, t) in tables(report) {
        if t.rows.is_empty() {
            continue;
        }
        let _ = writeln!(out, "{title}\n{}", t.text());
    }
    out.push_str(&warning_list("Warnings\n", &report.warnings));
    out
}

/// `heading` and a `- warning` line each, or nothing without warnings (the summaries of `run`, `compare`
/// and `sweep` end with it).
pub fn warning_list(heading: &str, warnings: &[String]) -> String {
    if warnings.is_empty() {
        return String::new();
    }
    let mut out = heading.to_string();
    for w in warnings {
        let _ = writeln!(out, "- {w}");
    }
    out
}

/// The same summary as Markdown (`summary.md`).
pub fn summary_markdown(report: &Report) -> String {
    let mut out = format!("# {} x {}\n\n", report.inputs.model.name, report.inputs.scenario.name);
    for line in heading(report).lines() {
        let _ = writeln!(out, "{line}  ");
    }
    out.push('\n');
    for (title, t) in tables(report) {
        if t.rows.is_empty() {
            continue;
        }
        let _ = writeln!(out, "## {title}\n\n{}", t.markdown());
    }
    out.push_str(&warning_list("## Warnings\n\n", &report.warnings));
    out
}

pub(crate) fn percent(v: f64) -> String {
    if !v.is_finite() {
        return "-".into();
    }
    // Enough digits to tell four nines from five.
    format!("{:.4}%", v * 100.0)
}

fn ci_percent(e: &Estimate) -> String {
    if e.ci95[0] == e.ci95[1] {
        return String::new();
    }
    format!("[{:.4}%, {:.4}%]", e.ci95[0] * 100.0, (e.ci95[1] * 100.0).min(100.0))
}

pub(crate) fn nines(a: f64) -> String {
    if !a.is_finite() {
        return "-".into();
    }
    if a >= 1.0 {
        return "no failure seen".into();
    }
    format!("{:.2}", -(1.0 - a).log10())
}

pub(crate) fn ms(v: Option<f64>) -> String {
    match v {
        None => "-".into(),
        Some(v) if v >= 100.0 => format!("{v:.1}"),
        Some(v) => format!("{v:.3}"),
    }
}

fn ci_ms(ci: Option<[f64; 2]>) -> String {
    ci.map_or(String::new(), |[lo, hi]| format!("[{}, {}]", ms(Some(lo)), ms(Some(hi))))
}

/// `1234567` as `1,234,567`.
pub(crate) fn count(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}
