//! `runs.csv`: one row per replication, one column per scalar of [`RunRow`], tidy for pandas or polars
//! (a header row, snake_case names carrying the unit, plain numbers, an empty cell for "no value").

use crate::analysis::report::{Report, RunRow};
use crate::sim::observation::FailureCause;

/// A cell's value: integers stay integers, floats print in the shortest form that reads back exactly.
enum Cell {
    Int(u64),
    Float(f64),
    Missing,
}

fn opt(v: Option<f64>) -> Cell {
    v.map_or(Cell::Missing, Cell::Float)
}

/// `(RunRow field, column name, value)`.
type Column = (&'static str, &'static str, fn(&RunRow) -> Cell);

/// The scalar columns in file order (the failure causes follow `requests`, one column each). A new
/// `RunRow` field needs a line here (a test checks every field has one).
const COLUMNS: &[Column] = &[
    ("replication", "replication", |r| Cell::Int(r.replication as u64)),
    ("requests", "requests", |r| Cell::Int(r.requests)),
    ("succeeded", "succeeded", |r| Cell::Int(r.succeeded)),
    ("availability", "availability_fraction", |r| Cell::Float(r.availability)),
    ("time_availability", "time_availability_fraction", |r| Cell::Float(r.time_availability)),
    ("time_availability_infra", "time_availability_infra_fraction", |r| {
        Cell::Float(r.time_availability_infra)
    }),
    ("latency_mean_ms", "latency_mean_ms", |r| opt(r.latency_mean_ms)),
    ("latency_p50_ms", "latency_p50_ms", |r| opt(r.latency_p50_ms)),
    ("latency_p99_ms", "latency_p99_ms", |r| opt(r.latency_p99_ms)),
    ("mean_in_system", "mean_in_system_requests", |r| Cell::Float(r.mean_in_system)),
    ("attempts_per_request", "attempts_per_request", |r| Cell::Float(r.attempts_per_request)),
    ("events", "events", |r| Cell::Int(r.events)),
    ("fast_forwarded", "fast_forwarded_requests", |r| Cell::Int(r.fast_forwarded)),
    ("failovers", "failovers", |r| Cell::Int(r.failovers)),
    ("rto_max_s", "rto_max_s", |r| opt(r.rto_max_s)),
    ("rpo_max_s", "rpo_max_s", |r| opt(r.rpo_max_s)),
    ("writes_lost", "writes_lost", |r| Cell::Int(r.writes_lost)),
    ("lost_updates", "lost_updates", |r| Cell::Int(r.lost_updates)),
    ("stale_reads", "stale_reads", |r| Cell::Int(r.stale_reads)),
    ("breaker_trips", "breaker_trips", |r| Cell::Int(r.breaker_trips)),
    ("ejections", "ejections", |r| Cell::Int(r.ejections)),
    ("edge_hits", "edge_hits", |r| Cell::Int(r.edge_hits)),
    ("origin_requests", "origin_requests", |r| Cell::Int(r.origin_requests)),
    ("served_stale", "served_stale", |r| Cell::Int(r.served_stale)),
    ("residency_violations", "residency_violations", |r| Cell::Int(r.residency_violations)),
    ("cost_usd_per_month", "cost_usd_per_month", |r| Cell::Float(r.cost_usd_per_month)),
];

/// A float as a CSV cell: the shortest form that reads back exactly; empty when not finite.
pub fn float(v: f64) -> String {
    if v.is_finite() { format!("{v}") } else { String::new() }
}

impl Cell {
    fn text(&self) -> String {
        match self {
            Cell::Int(v) => v.to_string(),
            Cell::Float(v) => float(*v),
            Cell::Missing => String::new(),
        }
    }
}

/// Rows as CSV (RFC 4180 quoting by the `csv` crate), `\n` line endings.
pub fn to_csv(rows: &[Vec<String>]) -> String {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(Vec::new());
    for r in rows {
        // Writing strings into memory cannot fail.
        let _ = w.write_record(r);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// The column names: the scalars, with one `failed_<cause>` per failure cause after `succeeded`.
fn header() -> Vec<String> {
    let mut out = Vec::new();
    for (field, name, _) in COLUMNS {
        out.push(name.to_string());
        if *field == "succeeded" {
            out.extend(FailureCause::ALL.iter().map(|c| format!("failed_{}", c.key())));
        }
    }
    out
}

fn row_cells(row: &RunRow) -> Vec<String> {
    let mut out = Vec::new();
    for (field, _, value) in COLUMNS {
        out.push(value(row).text());
        if *field == "succeeded" {
            out.extend(
                FailureCause::ALL
                    .iter()
                    .map(|c| row.failed_by_cause.get(c.key()).copied().unwrap_or(0).to_string()),
            );
        }
    }
    out
}

/// The CSV text of `report.runs`.
pub fn runs_csv(report: &Report) -> String {
    let mut rows = vec![header()];
    rows.extend(report.runs.iter().map(row_cells));
    to_csv(&rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> RunRow {
        RunRow {
            replication: 1,
            requests: 1000,
            succeeded: 990,
            failed_by_cause: [("no_healthy_instance".to_string(), 6), ("instance_failed".to_string(), 4)]
                .into(),
            availability: 0.99,
            time_availability: 0.995,
            time_availability_infra: 0.996,
            latency_mean_ms: Some(16.5),
            latency_p50_ms: Some(12.0),
            latency_p99_ms: None,
            mean_in_system: 14.85,
            attempts_per_request: 1.25,
            events: 2001,
            fast_forwarded: 0,
            failovers: 1,
            rto_max_s: Some(95.5),
            rpo_max_s: None,
            writes_lost: 0,
            lost_updates: 0,
            stale_reads: 0,
            breaker_trips: 2,
            ejections: 3,
            edge_hits: 0,
            origin_requests: 0,
            served_stale: 0,
            residency_violations: 0,
            cost_usd_per_month: 1261.5,
            per_population: Vec::new(),
            usage: Default::default(),
        }
    }

    #[test]
    fn every_run_row_field_has_a_column() {
        let json = serde_json::to_value(row()).unwrap();
        // Lists and maps are not scalars: per-population values and physical usage are in results.json;
        // the failure causes get a column each.
        let not_columns = ["per_population", "usage", "failed_by_cause"];
        let fields: Vec<&String> =
            json.as_object().unwrap().keys().filter(|k| !not_columns.contains(&k.as_str())).collect();
        for f in &fields {
            assert!(COLUMNS.iter().any(|c| c.0 == f.as_str()), "RunRow.{f} has no column in runs.csv");
        }
        assert_eq!(fields.len(), COLUMNS.len());
    }

    #[test]
    fn column_names_are_snake_case_and_unique() {
        let mut names = header();
        for n in &names {
            assert!(n.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'), "{n}");
        }
        let n = names.len();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), n);
        assert_eq!(n, COLUMNS.len() + FailureCause::ALL.len());
    }

    #[test]
    fn cells_are_plain_numbers_and_missing_is_empty() {
        // Columns: replication, requests, succeeded, the fifteen causes (no_healthy_instance,
        // instance_failed, queue_full, store_unavailable, partition, timeout, unfinished, target_down,
        // instance_error, shed, dependency_unavailable, breaker_open, residency, cdn_unavailable,
        // dns_unavailable), then the rest
        // (attempts per request after the mean in system, breaker trips, ejections, then the CDN's edge
        // hits, origin requests and stale responses, and the residency violations, before the cost).
        assert_eq!(
            row_cells(&row()).join(","),
            "1,1000,990,6,4,0,0,0,0,0,0,0,0,0,0,0,0,0,0.99,0.995,0.996,16.5,12,,14.85,1.25,2001,0,1,95.5,,0,0,0,2,3,0,0,0,0,1261.5"
        );
        let nan = RunRow { mean_in_system: f64::NAN, ..row() };
        assert!(row_cells(&nan).join(",").contains(",12,,,1.25,2001,"));
        let quoted = to_csv(&[vec!["a,b".into(), "say \"hi\"".into()]]);
        assert_eq!(quoted, "\"a,b\",\"say \"\"hi\"\"\"\n");
    }
}
