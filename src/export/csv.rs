//! `runs.csv`: one row per replication, one column per scalar of [`RunRow`], tidy for pandas or polars
//! (a header row, snake_case names carrying the unit, plain numbers, an empty cell for "no value").

use std::fmt::Write;

use crate::report::{Report, RunRow};

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

/// The columns in file order. A new `RunRow` field needs a line here (a test checks every field has one).
const COLUMNS: &[Column] = &[
    ("replication", "replication", |r| Cell::Int(r.replication as u64)),
    ("requests", "requests", |r| Cell::Int(r.requests)),
    ("succeeded", "succeeded", |r| Cell::Int(r.succeeded)),
    ("failed_no_healthy_instance", "failed_no_healthy_instance", |r| Cell::Int(r.failed_no_healthy_instance)),
    ("failed_instance_failed", "failed_instance_failed", |r| Cell::Int(r.failed_instance_failed)),
    ("failed_queue_full", "failed_queue_full", |r| Cell::Int(r.failed_queue_full)),
    ("availability", "availability_fraction", |r| Cell::Float(r.availability)),
    ("time_availability", "time_availability_fraction", |r| Cell::Float(r.time_availability)),
    ("time_availability_infra", "time_availability_infra_fraction", |r| {
        Cell::Float(r.time_availability_infra)
    }),
    ("latency_mean_ms", "latency_mean_ms", |r| opt(r.latency_mean_ms)),
    ("latency_p50_ms", "latency_p50_ms", |r| opt(r.latency_p50_ms)),
    ("latency_p99_ms", "latency_p99_ms", |r| opt(r.latency_p99_ms)),
    ("mean_in_system", "mean_in_system_requests", |r| Cell::Float(r.mean_in_system)),
    ("events", "events", |r| Cell::Int(r.events)),
    ("fast_forwarded", "fast_forwarded_requests", |r| Cell::Int(r.fast_forwarded)),
    ("failed_store_unavailable", "failed_store_unavailable", |r| Cell::Int(r.failed_store_unavailable)),
    ("failed_partition", "failed_partition", |r| Cell::Int(r.failed_partition)),
    ("failed_timeout", "failed_timeout", |r| Cell::Int(r.failed_timeout)),
    ("failovers", "failovers", |r| Cell::Int(r.failovers)),
    ("rto_max_s", "rto_max_s", |r| opt(r.rto_max_s)),
    ("rpo_max_s", "rpo_max_s", |r| opt(r.rpo_max_s)),
    ("writes_lost", "writes_lost", |r| Cell::Int(r.writes_lost)),
    ("lost_updates", "lost_updates", |r| Cell::Int(r.lost_updates)),
    ("stale_reads", "stale_reads", |r| Cell::Int(r.stale_reads)),
    ("cost_usd_per_month", "cost_usd_per_month", |r| Cell::Float(r.cost_usd_per_month)),
];

/// The CSV text of `report.runs`, `\n` line endings.
pub fn runs_csv(report: &Report) -> String {
    let mut out = COLUMNS.iter().map(|c| c.1).collect::<Vec<_>>().join(",");
    out.push('\n');
    for row in &report.runs {
        out.push_str(&row_line(row));
        out.push('\n');
    }
    out
}

fn row_line(row: &RunRow) -> String {
    let mut out = String::new();
    for (i, (_, _, value)) in COLUMNS.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        match value(row) {
            Cell::Int(v) => {
                let _ = write!(out, "{v}");
            }
            Cell::Float(v) if v.is_finite() => {
                let _ = write!(out, "{v}");
            }
            Cell::Float(_) | Cell::Missing => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> RunRow {
        RunRow {
            replication: 1,
            requests: 1000,
            succeeded: 990,
            failed_no_healthy_instance: 6,
            failed_instance_failed: 4,
            failed_queue_full: 0,
            availability: 0.99,
            time_availability: 0.995,
            time_availability_infra: 0.996,
            latency_mean_ms: Some(16.5),
            latency_p50_ms: Some(12.0),
            latency_p99_ms: None,
            mean_in_system: 14.85,
            events: 2001,
            fast_forwarded: 0,
            failed_store_unavailable: 0,
            failed_partition: 0,
            failed_timeout: 0,
            failovers: 1,
            rto_max_s: Some(95.5),
            rpo_max_s: None,
            writes_lost: 0,
            lost_updates: 0,
            stale_reads: 0,
            cost_usd_per_month: 1261.5,
            per_population: Vec::new(),
        }
    }

    #[test]
    fn every_run_row_field_has_a_column() {
        let json = serde_json::to_value(row()).unwrap();
        // Lists are not scalars: per-population values are in results.json.
        let not_columns = ["per_population"];
        let fields: Vec<&String> =
            json.as_object().unwrap().keys().filter(|k| !not_columns.contains(&k.as_str())).collect();
        for f in &fields {
            assert!(COLUMNS.iter().any(|c| c.0 == f.as_str()), "RunRow.{f} has no column in runs.csv");
        }
        assert_eq!(fields.len(), COLUMNS.len());
    }

    #[test]
    fn column_names_are_snake_case_and_unique() {
        let mut names: Vec<&str> = COLUMNS.iter().map(|c| c.1).collect();
        for n in &names {
            assert!(n.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'), "{n}");
        }
        names.sort();
        names.dedup();
        assert_eq!(names.len(), COLUMNS.len());
    }

    #[test]
    fn cells_are_plain_numbers_and_missing_is_empty() {
        assert_eq!(
            row_line(&row()),
            "1,1000,990,6,4,0,0.99,0.995,0.996,16.5,12,,14.85,2001,0,0,0,0,1,95.5,,0,0,0,1261.5"
        );
        let nan = RunRow { mean_in_system: f64::NAN, ..row() };
        assert_eq!(
            row_line(&nan),
            "1,1000,990,6,4,0,0.99,0.995,0.996,16.5,12,,,2001,0,0,0,0,1,95.5,,0,0,0,1261.5"
        );
    }
}
