//! The files a run writes: the summary snapshot, runs.csv, valid SVG and PNG charts, report.html, the
//! `report` subcommand, and charts skipped (not failing) when there is nothing to draw.

use std::fs;
use std::path::Path;

use regionsim::analysis::report::Report;
use regionsim::present::chart::{self, Plot};
use regionsim::present::document::Renderer;
use regionsim::present::render::markdown::Markdown;
use regionsim::present::run;

use crate::common::regionsim;
use crate::support::{self, png_facts};

/// Charts every run with successful requests has, with their pixel sizes.
const CHARTS: &[(&str, (u32, u32))] = &[
    ("latency_cdf", (1280, 720)),
    ("availability_over_time", (1280, 720)),
    ("load_per_region", (1280, 960)),
    ("availability_across_runs", (1280, 720)),
    ("latency_p99_across_runs", (1280, 720)),
    ("cost_per_month", (1280, 720)),
];

/// Writes a run's whole output folder; returns the files written, relative to it.
fn write_everything(dir: &Path, report: &Report) -> Vec<String> {
    let b = run::bundle(report, serde_json::to_vec_pretty(report).unwrap()).unwrap();
    b.write(dir).unwrap();
    b.paths().map(String::from).collect()
}

/// `summary.md` as the bundle writes it.
fn summary_md(report: &Report) -> String {
    Markdown.render(&run::document(report, &chart::render_all(report).unwrap()))
}

/// A minimal SVG check: one root element, the chart's title and axis labels as text.
fn assert_svg(svg: &str, what: &str, texts: &[&str]) {
    let svg = svg.trim();
    assert!(svg.starts_with("<svg"), "{what}: does not start with <svg");
    assert!(svg.ends_with("</svg>"), "{what}: does not end with </svg>");
    assert!(svg.contains("xmlns=\"http://www.w3.org/2000/svg\""), "{what}: no SVG namespace");
    assert_eq!(svg.matches("<svg").count(), 1, "{what}: nested or repeated <svg>");
    for t in texts {
        assert!(svg.contains(t), "{what}: text '{t}' missing");
    }
}

#[test]
fn summary_md_of_a_fixed_seed_run() {
    let report = support::mmc_short();
    // The layout, reviewed by eye when it changes; the fixture's paths are written relative to the
    // checkout so that the snapshot holds on every machine.
    let md = summary_md(&report).replace(&format!("{}/", env!("CARGO_MANIFEST_DIR")), "");
    insta::assert_snapshot!("mmc_short_summary_md", md);
}

#[test]
fn a_run_writes_csv_markdown_charts_and_html() {
    let report = support::mmc_short();
    let dir = tempfile::tempdir().unwrap();
    let started = std::time::Instant::now();
    let written = write_everything(dir.path(), &report);
    let elapsed = started.elapsed();
    eprintln!("write_all: {} files in {:.3} s", written.len(), elapsed.as_secs_f64());

    // runs.csv: a header and one row per replication, every row as wide as the header.
    let csv = fs::read_to_string(dir.path().join("runs.csv")).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), 1 + report.runs.len());
    let header: Vec<&str> = lines[0].split(',').collect();
    assert_eq!(header[0], "replication");
    assert!(header.contains(&"latency_p99_ms") && header.contains(&"availability_fraction"));
    for (i, line) in lines[1..].iter().enumerate() {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(cells.len(), header.len(), "row {i}");
        assert_eq!(cells[0], i.to_string());
        for c in cells.iter().filter(|c| !c.is_empty()) {
            assert!(c.parse::<f64>().is_ok(), "row {i}: '{c}' is not a plain number");
        }
    }

    assert_eq!(fs::read_to_string(dir.path().join("summary.md")).unwrap(), summary_md(&report));

    for (stem, (w, h)) in CHARTS {
        let svg = fs::read_to_string(dir.path().join(format!("charts/{stem}.svg"))).unwrap();
        assert_svg(&svg, stem, &[]);
        let png = png_facts(&fs::read(dir.path().join(format!("charts/{stem}.png"))).unwrap(), stem);
        assert_eq!((png.width, png.height), (*w, *h), "{stem}");
        // White, black, grey grid lines, anti-aliased text and coloured series: many colours. A blank or
        // text-less image has one or two.
        assert!(png.colours > 50, "{stem}: only {} colours: blank?", png.colours);
    }
    let latency = fs::read_to_string(dir.path().join("charts/latency_cdf.svg")).unwrap();
    assert_svg(
        &latency,
        "latency_cdf",
        &["Latency of successful requests", "latency [ms]", "fraction of requests", "p99"],
    );
    let availability = fs::read_to_string(dir.path().join("charts/availability_over_time.svg")).unwrap();
    assert_svg(
        &availability,
        "availability_over_time",
        &["Availability over time", "time [s]", "requests succeeded [%]"],
    );
    let p99 = fs::read_to_string(dir.path().join("charts/latency_p99_across_runs.svg")).unwrap();
    assert_svg(&p99, "latency_p99_across_runs", &["p99 latency across 2 replications", "p99 latency [ms]"]);

    // report.html: self-contained, with every chart inline.
    let html = fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<title>regionsim: mmc × mmc-short</title>"));
    for (stem, _) in CHARTS {
        assert!(html.contains(&format!("id=\"chart-{stem}\"")), "{stem} not in report.html");
    }
    assert_eq!(html.matches("<svg").count(), CHARTS.len());
    for external in ["<script", "<link", "src=\"http", "href=\"http", "@import", "url("] {
        assert!(!html.contains(external), "report.html refers outside itself: {external}");
    }
    assert!(html.contains("Model, as simulated") && html.contains("&quot;service_time&quot;"));

    // Nothing half-written is left behind: only the outputs and the folder's marker.
    for entry in fs::read_dir(dir.path()).unwrap().chain(fs::read_dir(dir.path().join("charts")).unwrap()) {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        assert!(
            !name.starts_with('.') || name == regionsim::present::bundle::MARKER,
            "temporary file left: {name}"
        );
    }
}

#[test]
fn outage_charts_mark_the_injected_outage_and_failures() {
    let report = support::zone_outage();
    let charts = chart::render_all(&report).unwrap();
    let find =
        |stem: &str| charts.iter().find(|c| c.stem == stem).unwrap_or_else(|| panic!("{stem} missing"));
    for stem in ["availability_over_time", "load_per_region"] {
        let c = find(stem);
        assert_svg(&c.svg, stem, &["zone:z1 down", "outage starts (injected)", "recovery", "time [s]"]);
    }
    assert_svg(
        &find("load_per_region").svg,
        "load_per_region",
        &["region east", "region west", "queued requests"],
    );
    // The fixture's instance failures (mean 300 s up, 6 instances, 300 s) make random failures near certain.
    assert!(find("availability_over_time").svg.contains("random failure"));
}

#[test]
fn charts_without_data_are_skipped_not_errors() {
    let mut report = support::mmc_short();
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("out");
    write_everything(&dir, &report);
    assert!(dir.join("charts/latency_cdf.png").is_file());
    report.latency_cdf.clear();
    report.runs.clear();
    report.representative.timeline.buckets.clear();
    report.cost_usd_per_month = Default::default();
    assert!(chart::render_all(&report).unwrap().is_empty());
    let names = write_everything(&dir, &report);
    assert_eq!(names, ["results.json", "runs.csv", "summary.md", "report.html"]);
    let html = fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.contains("No chart"));
    // The earlier run's charts are gone: the folder shows only what this report holds.
    assert!(!dir.join("charts").exists());
}

#[test]
fn every_chart_is_rendered_in_report_order() {
    // Speed is a benchmark's business, not a test's: this checks what is drawn, and in which order.
    let report = support::zone_outage();
    let charts = chart::render_all(&report).unwrap();
    assert_eq!(
        charts.iter().map(|c| c.stem).collect::<Vec<_>>(),
        CHARTS.iter().map(|c| c.0).collect::<Vec<_>>()
    );
    let cdf = chart::LatencyCdf::from_report(&report).unwrap();
    assert_eq!(cdf.title(), charts[0].title);
}

#[test]
fn report_subcommand_rerenders_from_results_alone() {
    let report = support::mmc_short();
    let src = tempfile::tempdir().unwrap();
    write_everything(src.path(), &report);
    let out = tempfile::tempdir().unwrap();
    let results = src.path().join("results.json");
    let o = regionsim(&["report", results.to_str().unwrap(), "--out", out.path().to_str().unwrap(), "-q"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    for f in ["results.json", "runs.csv", "summary.md", "report.html", "charts/latency_cdf.png"] {
        assert!(out.path().join(f).is_file(), "{f} not written");
    }
    // results.json travels byte for byte; the tables come out the same.
    assert_eq!(fs::read(out.path().join("results.json")).unwrap(), fs::read(&results).unwrap());
    assert_eq!(
        fs::read_to_string(out.path().join("summary.md")).unwrap(),
        fs::read_to_string(src.path().join("summary.md")).unwrap()
    );

    // Without --out, into the folder holding the results.
    fs::remove_file(src.path().join("report.html")).unwrap();
    let o = regionsim(&["report", results.to_str().unwrap(), "-q"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(src.path().join("report.html").is_file());
}

#[test]
fn report_subcommand_errors_are_one_line_with_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let check = |path: &Path, needle: &str| {
        let o = regionsim(&["report", path.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2));
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(err.trim_end().lines().count(), 1, "{err}");
        assert!(err.starts_with("error: ") && err.contains(needle), "{err}");
    };
    check(&dir.path().join("missing.json"), "cannot read");
    let bad = dir.path().join("bad.json");
    fs::write(&bad, "{ not json").unwrap();
    check(&bad, "not valid JSON");
    let old = dir.path().join("old.json");
    fs::write(&old, "{\"schema_version\": 0, \"seed\": 1}").unwrap();
    check(&old, "schema version 0");
}

#[test]
fn odd_results_files_render_or_fail_cleanly_but_never_panic() {
    // `regionsim report` reads results.json from disk: whatever a hand-edited file holds, the library must
    // not panic on it.
    let base = support::zone_outage();
    type Edit = Box<dyn Fn(&mut Report)>;
    let cases: Vec<(&str, Edit)> = vec![
        ("zero horizon", Box::new(|r| r.horizon_s = 0.0)),
        ("negative bucket", Box::new(|r| r.representative.timeline.bucket_s = -1.0)),
        ("zero bucket", Box::new(|r| r.representative.timeline.bucket_s = 0.0)),
        ("no region names", Box::new(|r| r.representative.region_names.clear())),
        ("more region names than data", Box::new(|r| r.representative.region_names.push("extra".into()))),
        ("huge latency", Box::new(|r| r.latency_cdf[0].points.push([1e300, 1.0]))),
        (
            "zero latencies",
            Box::new(|r| r.latency_cdf.iter_mut().for_each(|c| c.points.iter_mut().for_each(|p| p[0] = 0.0))),
        ),
        (
            "infinite p99",
            Box::new(|r| {
                r.per_population[0].latency_ms.p99 = Some(regionsim::analysis::stats::Estimate {
                    mean: f64::INFINITY,
                    ci95: [1.0, f64::INFINITY],
                })
            }),
        ),
        ("availability outside [0, 1]", Box::new(|r| r.runs[0].availability = 7.0)),
        ("event after the horizon", Box::new(|r| r.representative.timeline.infra[0].t_s = 1e9)),
        ("a single run", Box::new(|r| r.runs.truncate(1))),
        (
            "more successes than requests",
            Box::new(|r| r.representative.timeline.buckets[5].succeeded = u64::MAX),
        ),
        (
            "queue beyond the budget",
            Box::new(|r| r.representative.timeline.buckets[5].queued_in_region[0] = u32::MAX),
        ),
        ("p99 of 1e300 ms", Box::new(|r| r.runs[0].latency_p99_ms = Some(1e300))),
        ("negative p99", Box::new(|r| r.runs[1].latency_p99_ms = Some(-5.0))),
    ];
    for (name, edit) in cases {
        let mut report = base.clone();
        edit(&mut report);
        let outcome = std::panic::catch_unwind(|| chart::render_all(&report).map(|c| c.len()));
        match outcome {
            Ok(Ok(n)) => eprintln!("{name}: {n} charts"),
            Ok(Err(e)) => eprintln!("{name}: error {e}"),
            Err(_) => panic!("{name}: rendering panicked"),
        }
    }
}

#[test]
fn report_set_reprices_a_results_file_without_simulating_again() {
    let report = support::mmc_short();
    assert_eq!(report.cost_usd_per_month.breakdown.compute, 0.0, "the validation model runs for free");
    let src = tempfile::tempdir().unwrap();
    write_everything(src.path(), &report);
    let results = src.path().join("results.json");
    let out = tempfile::tempdir().unwrap();
    let o = regionsim(&[
        "report",
        results.to_str().unwrap(),
        "--set",
        "services[mm].price_usd_per_hour=0.5",
        "--out",
        out.path().to_str().unwrap(),
        "-q",
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let repriced = regionsim::analysis::report::load(&out.path().join("results.json")).unwrap();
    // One instance provisioned the whole time, billed for a 730-hour month at $0.50 an hour.
    let truth = 1.0 * 730.0 * 0.5;
    assert!(
        (repriced.cost_usd_per_month.breakdown.compute - truth).abs() < 1e-9 * truth,
        "compute {} != {truth}",
        repriced.cost_usd_per_month.breakdown.compute
    );
    // What was simulated does not change, and the re-pricing is on record.
    assert_eq!(repriced.requests, report.requests);
    assert_eq!(repriced.availability, report.availability);
    assert!(
        repriced.inputs.overrides.iter().any(|s| s == "services[mm].price_usd_per_hour=0.5"),
        "{:?}",
        repriced.inputs.overrides
    );
    assert!(fs::read_to_string(out.path().join("summary.md")).unwrap().contains("365"));

    // Anything but a price would change what was simulated: refused, exit 2, nothing written.
    let refused = tempfile::tempdir().unwrap();
    let o = regionsim(&[
        "report",
        results.to_str().unwrap(),
        "--set",
        "services[mm].concurrency=20",
        "--out",
        refused.path().join("out").to_str().unwrap(),
        "-q",
    ]);
    assert_eq!(o.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("only prices can change"), "{stderr}");
    assert!(!refused.path().join("out").exists());
}
