//! Objectives: validated with the scenario, judged against the CI, and gating the exit code of `run`
//! and `compare` (1 on a sure miss, 0 on pass, inconclusive or not measured).

use std::process::Output;

use regionsim::analysis::verdict::Verdict;

use crate::common::{Files, queue_model, regionsim};

/// The M/M/c validation study, 30 s (10 s observed), 3 replications, with `objectives`.
fn run_mmc(objectives: &str, out: &std::path::Path) -> Output {
    let set = format!("objectives={objectives}");
    regionsim(&[
        "run",
        "models/validation/mmc.ron",
        "scenarios/validation/mmc.ron",
        "--replications",
        "3",
        "--set",
        "horizon_s=30",
        "--set",
        &set,
        "--out",
        out.to_str().unwrap(),
    ])
}

fn verdicts(dir: &std::path::Path) -> Vec<(String, String)> {
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.join("results.json")).unwrap()).unwrap();
    json["objectives"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["name"].as_str().unwrap().to_string(), o["verdict"].as_str().unwrap().to_string()))
        .collect()
}

#[test]
fn met_objectives_exit_0_and_are_reported() {
    // M/M/10 at 900/s, 10 ms mean service: no failure, so availability is exactly 1 in every
    // replication (CI [1, 1]); p99 is some tens of ms, far below 10 s. RTO is not measured yet.
    let dir = tempfile::tempdir().unwrap();
    let out = run_mmc("(availability_min: 0.999, p99_ms_max: 10000.0, rto_s_max: 60.0)", dir.path());
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(
        verdicts(dir.path()),
        [
            ("availability_min".to_string(), "pass".to_string()),
            ("p99_ms_max".into(), "pass".into()),
            ("rto_s_max".into(), "not_measured".into())
        ]
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("Objectives") && stdout.contains("not measured"), "{stdout}");
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert!(html.contains("Objectives") && html.contains("p99_ms_max"));
    let md = std::fs::read_to_string(dir.path().join("summary.md")).unwrap();
    assert!(md.contains("## Objectives"));
}

#[test]
fn a_missed_objective_exits_1() {
    // Service times alone average 10 ms: a p99 under 1 ms cannot be met by any replication.
    let dir = tempfile::tempdir().unwrap();
    let out = run_mmc("(p99_ms_max: 1.0)", dir.path());
    assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(verdicts(dir.path()), [("p99_ms_max".to_string(), "fail".to_string())]);
    assert!(dir.path().join("report.html").exists(), "outputs are written before exiting 1");
}

#[test]
fn objectives_are_validated_with_their_location() {
    let scenario = r#"(
    name: "s",
    horizon_s: 10.0,
    replications: 2,
    seed: 1,
    traffic: (rate_per_s: 10.0),
    objectives: (
        availability_min: 1.5,
        per_population_p99_ms_max: {"nobody": 250.0},
        p99_ms_max: -3.0,
    ),
)"#;
    let files = Files::new(&queue_model(1, 1, 10.0), scenario);
    let err = files.load(&[]).unwrap_err().to_string();
    assert!(err.contains("objectives.availability_min: must be a fraction in (0, 1]"), "{err}");
    assert!(err.contains("unknown population 'nobody'; the model has: clients"), "{err}");
    assert!(err.contains("objectives.p99_ms_max: must be > 0"), "{err}");
    // Located in the file: `scenario.ron:8:` is the availability_min line.
    assert!(err.contains("scenario.ron:8:"), "{err}");

    let err = files.load(&["objectives=(cost_usd_per_month_max: -1.0)"]).unwrap_err().to_string();
    assert!(err.contains("--set objectives=") && err.contains("must be >= 0"), "{err}");
}

#[test]
fn objectives_resolve_to_metric_series() {
    let scenario = r#"(name: "s", horizon_s: 10.0, replications: 2, seed: 1, traffic: (rate_per_s: 10.0),
        objectives: (per_population_p99_ms_max: {"clients": 250.0}, cost_usd_per_month_max: 10.0))"#;
    let files = Files::new(&queue_model(1, 1, 10.0), scenario);
    let study = files.load(&[]).unwrap();
    let metrics: Vec<&str> = study.scenario.objectives.iter().map(|o| o.metric.as_str()).collect();
    assert_eq!(metrics, ["latency_p99_ms[clients]", "cost_usd_per_month"]);
    let report = crate::common::run(&study);
    assert_eq!(report.objectives[0].verdict, Verdict::Pass, "{:?}", report.objectives[0]);
    // One instance at $0.10/h is $73 a month (730 h) before egress and DNS: more than the $10 allowed.
    assert_eq!(report.objectives[1].verdict, Verdict::Fail, "{:?}", report.objectives[1]);
}
