//! Every chart that `run`, `compare` and `sweep` write draws its marks inside its plot area, with
//! positive sizes (the check is in `svg_marks.rs`). The cost chart of every run was empty once: its bars
//! had negative widths and sat over the y tick labels, and no test looked.

use std::path::{Path, PathBuf};

use regionsim::present::chart::{self, CostBreakdown, CostChart};

use crate::common::regionsim;
use crate::support;
use crate::svg_marks::assert_marks_in_plot_area;

/// Every `.svg` under `dir`, recursively, sorted.
fn svgs(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "svg") {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// Checks every chart written under `dir`; returns how many there were.
fn check_folder(dir: &Path) -> usize {
    let files = svgs(dir);
    for f in &files {
        let what = f.strip_prefix(dir).unwrap().display().to_string();
        let marks = assert_marks_in_plot_area(&std::fs::read_to_string(f).unwrap(), &what);
        assert!(marks > 0, "{what}: no data mark at all");
    }
    files.len()
}

#[test]
fn cost_chart_bars_lie_in_the_plot_area_with_positive_width() {
    let bill = CostBreakdown { compute: 1400.0, egress: 300.0, dns: 2.5, ..CostBreakdown::default() };
    for bars in 1..=3 {
        let chart = CostChart::new((0..bars).map(|i| (format!("design {i}"), bill)).collect()).unwrap();
        let svg = chart::render(&chart).unwrap().svg;
        let rects: Vec<&str> = svg.lines().filter(|l| l.contains("<rect") && l.contains("#0072B2")).collect();
        assert_eq!(rects.len(), bars, "one compute box per bar: {rects:?}");
        assert_marks_in_plot_area(&svg, &format!("cost chart of {bars} bars"));
    }
}

#[test]
fn every_chart_of_a_run_draws_inside_its_plot_area() {
    for report in [support::zone_outage(), support::mmc_short()] {
        let charts = chart::render_all(&report).unwrap();
        assert!(charts.len() >= 5);
        for c in &charts {
            assert!(assert_marks_in_plot_area(&c.svg, c.stem) > 0, "{}: nothing drawn", c.stem);
        }
    }
    // The shipped study the defect was found on, through the binary.
    let dir = tempfile::tempdir().unwrap();
    let out = regionsim(&[
        "run",
        "models/single-region.ron",
        "scenarios/zone-outage.ron",
        "--replications",
        "2",
        "--set",
        "horizon_s=600",
        "--set",
        r#"outages=[(target: Zone("use1-az1"), start_s: 200.0, duration_s: 120.0)]"#,
        "--out",
        dir.path().to_str().unwrap(),
        "-q",
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(check_folder(dir.path()) >= 6);
}

#[test]
fn every_chart_of_a_compare_and_a_sweep_draws_inside_its_plot_area() {
    let dir = tempfile::tempdir().unwrap();
    let out = regionsim(&[
        "compare",
        "models/single-region.ron",
        "models/single-region-large.ron",
        "--scenario",
        "scenarios/zone-outage.ron",
        "--set",
        "horizon_s=300",
        "--set",
        "warmup_s=60",
        "--set",
        r#"outages=[(target: Zone("use1-az1"), start_s: 120.0, duration_s: 120.0)]"#,
        "--replications",
        "3",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(check_folder(dir.path()) >= 4);

    let dir = tempfile::tempdir().unwrap();
    let out = regionsim(&[
        "sweep",
        "models/validation/mmc.ron",
        "scenarios/validation/mmc.ron",
        "--set",
        "replications=3",
        "--set",
        "horizon_s=30",
        "--vary",
        "services[mm].concurrency=10,12,16",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(check_folder(dir.path()) >= 2);
}
