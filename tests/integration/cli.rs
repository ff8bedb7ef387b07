//! The binary's exit codes and messages (0 success, 2 usage/input/I-O error).

use crate::common::regionsim;

#[test]
fn validate_accepts_every_shipped_study() {
    let dr = ["backup-restore", "pilot-light", "warm-standby", "active-passive", "active-active"];
    let mut pairs: Vec<(String, &str)> = vec![
        ("models/validation/mmc.ron".into(), "scenarios/validation/mmc.ron"),
        ("models/single-region.ron".into(), "scenarios/zone-outage.ron"),
        ("models/single-region.ron".into(), "scenarios/steady-state.ron"),
        ("models/single-region.ron".into(), "scenarios/gray-failure.ron"),
        ("models/single-region-outlier.ron".into(), "scenarios/gray-failure.ron"),
        ("models/single-region-outlier.ron".into(), "scenarios/zone-outage.ron"),
        ("models/single-region-large.ron".into(), "scenarios/zone-outage.ron"),
        ("models/retry-storm.ron".into(), "scenarios/retry-storm.ron"),
        ("models/retry-storm-budget.ron".into(), "scenarios/retry-storm.ron"),
        ("models/retry-storm-breaker.ron".into(), "scenarios/retry-storm.ron"),
        ("models/retry-storm-lifo.ron".into(), "scenarios/retry-storm.ron"),
        ("models/mistake-dns-ttl-a-day.ron".into(), "scenarios/region-outage.ron"),
        ("models/mistake-sync-across-ocean.ron".into(), "scenarios/region-outage.ron"),
        ("models/mistake-undersized-standby.ron".into(), "scenarios/region-outage.ron"),
        ("models/single-az-database.ron".into(), "scenarios/zone-outage.ron"),
        ("models/multi-az-database.ron".into(), "scenarios/zone-outage.ron"),
        ("models/active-active-global-signin.ron".into(), "scenarios/region-outage.ron"),
        ("models/active-active-regional-signin.ron".into(), "scenarios/region-outage.ron"),
        ("models/active-active-global-signin.ron".into(), "scenarios/signin-outage.ron"),
        ("models/active-active-regional-signin.ron".into(), "scenarios/signin-outage.ron"),
        ("models/active-passive-autoscaling.ron".into(), "scenarios/region-outage.ron"),
        ("models/active-passive-autoscaling.ron".into(), "scenarios/region-outage-control-plane.ron"),
        ("models/active-passive-autoscaling.ron".into(), "scenarios/steady-state.ron"),
        ("models/active-passive.ron".into(), "scenarios/region-outage-control-plane.ron"),
        ("models/active-passive-cdn.ron".into(), "scenarios/region-outage.ron"),
        ("models/active-passive-cdn.ron".into(), "scenarios/cdn-outage.ron"),
        ("models/active-passive.ron".into(), "scenarios/dns-outage.ron"),
        ("models/single-region.ron".into(), "scenarios/dns-outage.ron"),
        ("models/pilot-light-operator.ron".into(), "scenarios/region-outage.ron"),
        ("models/pilot-light-operator.ron".into(), "scenarios/year-of-failures.ron"),
        ("models/pilot-light-global-registry.ron".into(), "scenarios/region-outage.ron"),
        ("models/pilot-light-regional-registry.ron".into(), "scenarios/region-outage.ron"),
        ("models/residency-fail.ron".into(), "scenarios/region-outage-eu.ron"),
        ("models/residency-serve-elsewhere.ron".into(), "scenarios/region-outage-eu.ron"),
    ];
    for m in dr {
        for s in [
            "scenarios/region-outage.ron",
            "scenarios/partition.ron",
            "scenarios/year-of-failures.ron",
            "scenarios/zone-outage.ron",
            "scenarios/steady-state.ron",
        ] {
            pairs.push((format!("models/{m}.ron"), s));
        }
    }
    for (m, s) in &pairs {
        let out = regionsim(&["validate", m, s]);
        assert_eq!(out.status.code(), Some(0), "{m} {s}: {}", String::from_utf8_lossy(&out.stderr));
    }
    // Every file under models/ and scenarios/ is covered.
    for dir in ["models", "scenarios"] {
        for entry in std::fs::read_dir(crate::common::root().join(dir)).unwrap() {
            let name = format!("{dir}/{}", entry.unwrap().file_name().to_string_lossy());
            if name.ends_with(".ron") {
                assert!(pairs.iter().any(|(m, s)| *m == name || *s == name), "{name} is not validated here");
            }
        }
    }
}

#[test]
fn bad_input_exits_2_with_the_message_on_stderr() {
    let out = regionsim(&["validate", "models/single-region.ron", "scenarios/nope.ron"]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("scenarios/nope.ron: no such file"), "{stderr}");

    let out = regionsim(&[
        "run",
        "models/single-region.ron",
        "scenarios/zone-outage.ron",
        "--set",
        "services[api].instances=0",
    ]);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    // `instances` belongs to a deployment, not the service: the override is named, with the fields there.
    assert!(
        stderr.contains("--set services[api].instances=0: unknown field 'instances'; fields here:")
            && stderr.contains("deployments"),
        "{stderr}"
    );
}

#[test]
fn usage_errors_exit_2() {
    assert_eq!(regionsim(&["run"]).status.code(), Some(2));
    assert_eq!(regionsim(&["frobnicate"]).status.code(), Some(2));
    assert_eq!(regionsim(&["run", "a", "b", "--threads", "many"]).status.code(), Some(2));
}

#[test]
fn run_writes_results_and_prints_a_summary() {
    let dir = tempfile::tempdir().unwrap();
    let out = regionsim(&[
        "run",
        "models/validation/mmc.ron",
        "scenarios/validation/mmc.ron",
        "--replications",
        "3",
        "--set",
        "horizon_s=30",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("availability") && stdout.contains("p99"), "{stdout}");
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("results.json")).unwrap()).unwrap();
    for key in [
        "schema_version",
        "regionsim_version",
        "seed",
        "replications",
        "horizon_s",
        "warmup_s",
        "inputs",
        "requests",
        "availability",
        "time_availability",
        "latency_ms",
        "per_population",
        "events",
        "warnings",
    ] {
        assert!(json.get(key).is_some(), "results.json lacks {key}");
    }
    assert_eq!(json["replications"], 3);
    assert_eq!(json["inputs"]["scenario"]["horizon_s"], 30.0, "the resolved inputs include --set");
    let total = json["requests"]["total"].as_u64().unwrap();
    // 3 replications × (30 − 20 s warm-up) × 900/s ≈ 27,000 requests.
    assert!((25_000..29_000).contains(&total), "{total}");
}

/// Issue 15, item 11: `--threads 0` was silently 1, `--threads 100000` started 100,000 threads,
/// `--threads -1` got a message without the flag, `--replications 0` was blamed on the scenario's line
/// and `--replications 4294967295` allocated 2.6 TB. Each is now refused, naming the flag, at once.
#[test]
fn thread_and_replication_flags_are_bounded_and_named() {
    let base = ["run", "models/validation/mmc.ron", "scenarios/validation/mmc.ron"];
    let cases: [(&[&str], &str); 6] = [
        (&["--threads", "0"], "invalid value '0' for '--threads <N>': must be at least 1"),
        (&["--threads", "100000"], "invalid value '100000' for '--threads <N>': must be at most 1024"),
        (&["--threads", "-1"], "invalid value '-1' for '--threads <N>'"),
        (&["--replications", "0"], "invalid value '0' for '--replications <N>': must be at least 1"),
        (&["--replications", "4294967295"], "'--replications <N>': must be at most 100000"),
        (&["--replications", "2.5"], "'--replications <N>': expected a whole number"),
    ];
    for (flags, expected) in cases {
        let started = std::time::Instant::now();
        let out = regionsim(&[&base[..], flags].concat());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{flags:?}: {stderr}");
        assert!(stderr.contains(expected), "{flags:?}: {stderr}");
        assert!(
            !stderr.contains("scenarios/validation/mmc.ron:"),
            "blamed on the flag, not the file: {stderr}"
        );
        assert!(started.elapsed().as_secs() < 10, "{flags:?} is refused before anything runs");
    }
}

/// Issue 15, item 12: any `--set` that did not parse hid every problem of the files.
#[test]
fn bad_sets_and_file_problems_are_reported_together() {
    let dir = tempfile::tempdir().unwrap();
    let scenario = dir.path().join("s.ron");
    std::fs::write(
        &scenario,
        r#"(name: "s", horizon_s: -1.0, replications: 2, seed: 1, traffic: (rate_per_s: 10.0))"#,
    )
    .unwrap();
    let out = regionsim(&[
        "validate",
        "models/validation/mmc.ron",
        scenario.to_str().unwrap(),
        "--set",
        "nonsense",
        "--set",
        "frobnicate.x=1",
        "--set",
        "services[mn].concurrency=2",
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--set nonsense: expected PATH=VALUE"), "{stderr}");
    assert!(stderr.contains("--set frobnicate.x=1: no top-level field 'frobnicate'"), "{stderr}");
    assert!(
        stderr.contains("--set services[mn].concurrency=2") && stderr.contains("did you mean 'mm'?"),
        "{stderr}"
    );
    assert!(
        stderr.contains("s.ron:1:") && stderr.contains("horizon_s: must be a finite number > 0"),
        "{stderr}"
    );
    assert!(stderr.contains("error: 5 problems found"), "{stderr}");
}

fn regionsim_in(dir: &std::path::Path, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_regionsim")).current_dir(dir).args(args).output().unwrap()
}

/// Issue 15, item 19: after `cargo install`, bare `regionsim run models/...` failed outside a clone.
/// The shipped models and scenarios are built in: listed, copied, and used by name from any folder.
#[test]
fn an_installed_binary_runs_the_built_in_examples_from_any_folder() {
    let dir = tempfile::tempdir().unwrap();
    let o = regionsim_in(dir.path(), &["validate", "single-region", "scenarios/zone-outage.ron"]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let o = regionsim_in(
        dir.path(),
        &["run", "mmc", "mmc", "--replications", "1", "--set", "horizon_s=30", "-q", "--out", "out"],
    );
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(dir.path().join("out/results.json").is_file());
    // A name that is no example is still "no such file".
    let o = regionsim_in(dir.path(), &["validate", "single-regio", "zone-outage"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("single-regio: no such file"));

    let list = String::from_utf8_lossy(&regionsim_in(dir.path(), &["examples"]).stdout).to_string();
    for (path, _) in regionsim::cli::examples::EXAMPLES {
        assert!(list.contains(path), "{path} is not listed:\n{list}");
    }
    let o = regionsim_in(dir.path(), &["examples", "copy", "study"]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let o = regionsim_in(
        dir.path(),
        &["validate", "study/models/warm-standby.ron", "study/scenarios/region-outage.ron"],
    );
    assert_eq!(o.status.code(), Some(0), "the copies are valid: {}", String::from_utf8_lossy(&o.stderr));
    let o = regionsim_in(dir.path(), &["examples", "copy", "study"]);
    assert_eq!(o.status.code(), Some(2), "a second copy overwrites nothing");
}

/// Issue 15, item 20: shell completions and a manual page, generated from the CLI definition.
#[test]
fn completions_and_the_manual_page_are_generated() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let o = regionsim(&["completions", shell]);
        let script = String::from_utf8_lossy(&o.stdout);
        assert_eq!(o.status.code(), Some(0), "{shell}");
        assert!(script.contains("regionsim") && script.contains("replications"), "{shell}: {script}");
    }
    assert_eq!(regionsim(&["completions", "tcsh"]).status.code(), Some(2));
    let o = regionsim(&["man"]);
    let page = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0));
    assert!(
        page.contains(".TH regionsim 1") && page.contains("sweep") && page.contains("Exit codes"),
        "{page}"
    );
}
