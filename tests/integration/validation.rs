//! Bad input: every kind gets a located, readable error, all of them are collected, nothing panics.

use regionsim::model::study::InputError;

use crate::common::{Files, queue_model};

const SCENARIO: &str =
    r#"(name: "s", horizon_s: 100.0, replications: 2, seed: 1, traffic: (rate_per_s: 10.0))"#;

fn errors(model: &str, scenario: &str, sets: &[&str]) -> Vec<String> {
    let files = Files::new(model, scenario);
    match files.load(sets) {
        Ok(_) => panic!("expected errors"),
        Err(e) => e.0.iter().map(|e| e.to_string()).collect(),
    }
}

fn one(model: &str, scenario: &str, sets: &[&str]) -> String {
    let e = errors(model, scenario, sets);
    assert_eq!(e.len(), 1, "{e:#?}");
    e[0].clone()
}

#[test]
fn syntax_error_names_file_line_and_column() {
    // Line 3 lacks the comma after the regions list... and has an unclosed paren.
    let model = "(\n    name: \"x\",\n    regions: [(name: \"r\", zones: [\"z\"]]\n)";
    let e = one(model, SCENARIO, &[]);
    assert!(e.contains("model.ron:3:"), "{e}");
}

#[test]
fn unknown_field_lists_the_fields_that_exist() {
    let model = queue_model(1, 1, 10.0).replace("concurrency:", "concurrncy:");
    let e = one(&model, SCENARIO, &[]);
    assert!(e.contains("model.ron:7:"), "{e}");
    assert!(e.contains("unknown field 'concurrncy'") && e.contains("concurrency"), "{e}");
}

#[test]
fn missing_field_is_named() {
    let e = one(
        &queue_model(1, 1, 10.0),
        r#"(name: "s", horizon_s: 100.0, seed: 1, traffic: (rate_per_s: 1.0))"#,
        &[],
    );
    assert!(e.contains("scenario.ron:1:") && e.contains("missing field 'replications'"), "{e}");
}

#[test]
fn semantic_errors_are_all_collected_with_their_paths_and_lines() {
    let model = queue_model(0, 1, 10.0)
        .replace(r#""r": (instances: 0)"#, r#""r": (instances: 0), "nowhere": (instances: 1)"#)
        .replace("share: 1.0", "share: 1.5");
    let e = errors(&model, SCENARIO, &[]);
    let all = e.join("\n");
    assert!(all.contains("services[svc].deployments[r].instances: must be at least 1 (got 0)"), "{all}");
    assert!(all.contains("unknown region 'nowhere'; known: r"), "{all}");
    assert!(all.contains("populations[clients].share: must be in [0, 1] (got 1.5)"), "{all}");
    // Each located at its line in the file.
    assert!(e.iter().any(|l| l.contains("model.ron:9:") && l.contains("instances")), "{all}");
    assert!(e.iter().any(|l| l.contains("model.ron:12:") && l.contains("share")), "{all}");
}

#[test]
fn bad_distribution_parameters_are_located() {
    let model =
        queue_model(1, 1, 10.0).replace("Exponential(mean_ms: 10)", "LogNormal(median_ms: 5.0, sigma: -0.5)");
    let e = one(&model, SCENARIO, &[]);
    assert!(e.contains("services[svc].service_time.sigma") && e.contains("-0.5"), "{e}");
}

#[test]
fn overload_runs_with_a_warning_and_advice() {
    // 1 instance × 1 server at 10 ms serves 100/s; 150/s offered is ρ = 1.5. Client timeouts bound the
    // queue, so the study runs, and the report says what is wrong and what to do.
    let files = Files::new(&queue_model(1, 1, 10.0), &SCENARIO.replace("10.0)", "150.0)"));
    let report = crate::common::run(&files.load(&[]).expect("an overload is a valid study"));
    let warning = report.warnings.iter().find(|w| w.contains("utilisation")).expect("an overload warning");
    assert!(
        warning.contains("services[svc].deployments[r] runs at utilisation 1.50")
            && warning.contains("at least 2 instances")
            && warning.contains("request_timeout_ms"),
        "{warning}"
    );
    assert!(report.requests.failed_by_cause["timeout"] > 0, "the excess times out");
    // Within capacity, no such warning.
    let files = Files::new(&queue_model(2, 1, 10.0), &SCENARIO.replace("10.0)", "150.0)"));
    let report = crate::common::run(&files.load(&[]).expect("valid study"));
    assert!(!report.warnings.iter().any(|w| w.contains("utilisation")), "{:?}", report.warnings);
}

#[test]
fn a_request_timeout_within_the_connect_timeout_is_refused() {
    let e = one(
        &queue_model(1, 1, 10.0),
        SCENARIO,
        &["network=(connect_timeout_ms: 3000, request_timeout_ms: 2000)"],
    );
    assert!(e.contains("network.request_timeout_ms") && e.contains("longer than the connect timeout"), "{e}");
}

#[test]
fn scenario_references_are_checked_against_the_model() {
    let scenario = r#"(name: "s", horizon_s: 100.0, warmup_s: 200.0, replications: 0, seed: 1,
        traffic: (populations: [(name: "mars", rate_per_s: 1.0)]),
        outages: [(target: Zone("z9"), start_s: 1.0, duration_s: 1.0)])"#;
    let all = errors(&queue_model(1, 1, 10.0), scenario, &[]).join("\n");
    assert!(all.contains("warmup_s: must be >= 0 and shorter than horizon_s"), "{all}");
    assert!(all.contains("replications: must be at least 1"), "{all}");
    assert!(all.contains("unknown population 'mars'") && all.contains("clients"), "{all}");
    assert!(all.contains("unknown zone 'z9'; known: z1, z2"), "{all}");
}

#[test]
fn unusable_files_get_a_one_line_error() {
    let files = Files::new(&queue_model(1, 1, 10.0), "   \n");
    let e = files.load(&[]).unwrap_err();
    assert_eq!(e.0.len(), 1);
    assert!(matches!(&e.0[0], InputError::File { message, .. } if message.contains("is empty")), "{e}");

    let dir = files.dir.path();
    let missing = regionsim::model::study::read_file(&dir.join("nope.ron")).unwrap_err().to_string();
    assert!(missing.ends_with("nope.ron: no such file"), "{missing}");
    let directory = regionsim::model::study::read_file(dir).unwrap_err().to_string();
    assert!(directory.contains("is a directory"), "{directory}");
    assert!(!missing.contains('\n') && !directory.contains('\n'));
}

#[test]
fn set_overrides_values_and_reports_bad_paths_and_values() {
    let files = Files::new(&queue_model(1, 1, 10.0), SCENARIO);
    let study = files
        .load(&["services[svc].deployments[r].instances=3", "traffic.rate_per_s=25", "scenario.name=renamed"])
        .expect("valid overrides");
    assert_eq!(study.model.deployments[0].instances.len(), 3);
    assert_eq!(study.scenario.rates_per_s, vec![25.0]);
    assert_eq!(study.scenario_spec.name, "renamed");

    let e = files.load(&["services[svx].concurrency=2"]).unwrap_err().to_string();
    assert!(e.contains("--set services[svx].concurrency=2") && e.contains("svc"), "{e}");
    let e = files.load(&["services[svc].concurrency=lots"]).unwrap_err().to_string();
    assert!(e.starts_with("--set services[svc].concurrency=lots:"), "{e}");
    let e = files.load(&["services[svc].concurrency=0"]).unwrap_err().to_string();
    assert!(e.contains("--set services[svc].concurrency=0") && e.contains("must be at least 1"), "{e}");
    let e = files.load(&["name=x"]).unwrap_err().to_string();
    assert!(e.contains("model.name or scenario.name"), "{e}");
}

#[test]
fn a_runaway_stops_at_its_budget_with_a_message_naming_what_grew() {
    let files = Files::new(&queue_model(1, 1, 10.0), SCENARIO);
    let study = files.load(&["budgets=(max_events: 500)"]).expect("valid");
    let err =
        regionsim::sim::montecarlo::run(&study.model, &study.scenario, &Default::default()).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("500 events") && msg.contains("replication 0") && msg.contains("seed 1"), "{msg}");

    // A transient overload (a daily peak well above capacity) fills a queue past its budget.
    let overloaded = files
        .load(&[
            "traffic.daily_profile=[0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,0.1,1.9,1.9,1.9,1.9,1.9,1.9,1.9,1.9,1.9,1.9,1.9,1.9]",
            "traffic.rate_per_s=90",
            "horizon_s=86400",
            "budgets=(max_queue: 1000)",
        ])
        .expect("the daily mean is below capacity");
    let msg = regionsim::sim::montecarlo::run(&overloaded.model, &overloaded.scenario, &Default::default())
        .unwrap_err()
        .to_string();
    assert!(msg.contains("queue of svc@r#0 reached 1000 requests"), "{msg}");
}

/// Issue 15, item 12: a bad `--set` hid every other problem, and of three bad `--set`s of one file only
/// the first was named. Now each is reported with its own message, beside the file's own problems.
#[test]
fn every_bad_set_is_reported_beside_the_files_problems() {
    let model = queue_model(1, 1, 10.0).replace("share: 1.0", "share: 1.5");
    let e = errors(
        &model,
        SCENARIO,
        &["services[svc].concurrency=lots", "services[svx].concurrency=2", "services[svc].max_queue=many"],
    );
    let all = e.join("\n");
    assert!(e.iter().any(|l| l.starts_with("--set services[svc].concurrency=lots:")), "{all}");
    assert!(
        e.iter().any(|l| l.starts_with("--set services[svx].concurrency=2:") && l.contains("svc")),
        "{all}"
    );
    assert!(e.iter().any(|l| l.starts_with("--set services[svc].max_queue=many:")), "{all}");
    assert!(all.contains("populations[clients].share: must be in [0, 1] (got 1.5)"), "{all}");
    assert_eq!(e.iter().filter(|l| l.starts_with("--set ")).count(), 3, "{all}");
}

/// Issue 15, item 12: scenario errors waited behind model errors, and a model error behind a scenario
/// syntax error.
#[test]
fn model_and_scenario_problems_are_reported_together() {
    let model = queue_model(0, 1, 10.0);
    let scenario = SCENARIO.replace("horizon_s: 100.0", "horizon_s: -5.0");
    let all = errors(&model, &scenario, &[]).join("\n");
    assert!(all.contains("model.ron:") && all.contains("instances: must be at least 1"), "{all}");
    assert!(
        all.contains("scenario.ron:1:") && all.contains("horizon_s: must be a finite number > 0"),
        "{all}"
    );

    let broken = SCENARIO.replace("seed: 1,", "seed: 1,,");
    let all = errors(&model, &broken, &[]).join("\n");
    assert!(all.contains("instances: must be at least 1"), "{all}");
    assert!(all.contains("scenario.ron:1:"), "{all}");
}

/// Issue 15, item 14: huge counts were accepted and aborted on memory (or ran for hours); each is now
/// a located error naming its limit.
#[test]
fn input_limits_are_located_errors_not_memory_aborts() {
    let files = Files::new(&queue_model(1, 1, 10.0), SCENARIO);
    let cases: [(&str, &str); 8] = [
        ("services[svc].deployments[r].instances=4294967295", "must be at most 10000"),
        ("steering=Dns(ttl_s: 60.0, health_check: (checkers: 4294967295))", "checkers: must be at most 1000"),
        ("traffic.rate_per_s=1e10", "traffic.rate_per_s: must be at most 10000000 requests/s"),
        (
            "failures=[(kind: Instance, time_to_failure: Fixed(s: 0.0), time_to_repair: Fixed(s: 1.0))]",
            "failures[0].time_to_failure: has a mean of 0 s",
        ),
        ("data=(keys: 100000000)", "data.keys: must be at most 10000000"),
        ("replications=4294967295", "replications: must be at most 100000"),
        ("horizon_s=1e308", "horizon_s: must be at most 7884000000 s"),
        ("warmup_s=1e308", "got 1e308"),
    ];
    for (set, expected) in cases {
        let e = files.load(&[set]).map(|_| ()).unwrap_err().to_string();
        assert!(e.contains(expected), "{set}: {e}");
        assert!(!e.contains("000000000000000000000"), "1e308 is printed compactly: {e}");
    }
    let populations: Vec<String> = (0..101)
        .map(|i| format!(r#"(name: "p{i}", location: "r", share: {})"#, if i == 0 { 1.0 } else { 0.0 }))
        .collect();
    let model = queue_model(1, 1, 10.0).replace(
        r#"populations: [(name: "clients", location: "r", share: 1.0)]"#,
        &format!("populations: [{}]", populations.join(", ")),
    );
    let all = errors(&model, SCENARIO, &[]).join("\n");
    assert!(all.contains("populations: at most 100 client populations (got 101)"), "{all}");
}

/// Issue 15, item 15: an outage after the horizon ran as if it were not there (100% availability), one
/// within the warm-up was never counted, and a request path could call a service twice.
#[test]
fn outages_that_cannot_be_seen_and_cyclic_paths_are_refused() {
    let files = Files::new(
        &queue_model(1, 1, 10.0),
        SCENARIO.replace("horizon_s", "warmup_s: 10.0, horizon_s").as_str(),
    );
    let e = files
        .load(&[r#"outages=[(target: Zone("z1"), start_s: 150.0, duration_s: 10.0)]"#])
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(e.contains("outages[0].start_s: starts at 150 s, at or after the end of the run"), "{e}");
    let e = files
        .load(&[r#"outages=[(target: Zone("z1"), start_s: 2.0, duration_s: 5.0)]"#])
        .map(|_| ())
        .unwrap_err()
        .to_string();
    assert!(e.contains("within the warm-up (warmup_s = 10)"), "{e}");
    // Starting within the warm-up and lasting beyond it is fine.
    files.load(&[r#"outages=[(target: Zone("z1"), start_s: 5.0, duration_s: 50.0)]"#]).expect("valid");

    let e = files.load(&[r#"request_path=["svc", "svc"]"#]).map(|_| ()).unwrap_err().to_string();
    assert!(e.contains("request_path: 'svc' is listed twice"), "{e}");
}

/// Issue 15, item 14: a FIFO blocked the load forever, `/dev/zero` read a gigabyte, and a 50 MB file
/// gave a 50 MB message.
#[test]
fn pipes_devices_and_huge_files_are_refused_at_once() {
    let files = Files::new(&queue_model(1, 1, 10.0), SCENARIO);
    let read = |p: &std::path::Path| regionsim::model::study::read_file(p).unwrap_err().to_string();
    #[cfg(unix)]
    {
        let e = read(std::path::Path::new("/dev/zero"));
        assert!(e.contains("is not a regular file"), "{e}");
        let fifo = files.dir.path().join("fifo.ron");
        let made = std::process::Command::new("mkfifo").arg(&fifo).status().expect("mkfifo runs");
        assert!(made.success());
        let e = read(&fifo);
        assert!(e.contains("is not a regular file"), "{e}");
    }
    let huge = files.dir.path().join("huge.ron");
    std::fs::write(&huge, "x".repeat(9 << 20)).unwrap();
    let e = read(&huge);
    assert!(e.contains("is larger than 8 MB") && e.len() < 200, "{e}");
    // Garbage under the limit gets a short message too.
    std::fs::write(&huge, format!("(name: \"x\", {}: 1)", "y".repeat(1 << 20))).unwrap();
    let e =
        regionsim::model::study::load_model(&huge, &Default::default()).map(|_| ()).unwrap_err().to_string();
    assert!(
        e.contains("yyy") && e.len() < 1000,
        "{} bytes: {}",
        e.len(),
        e.chars().take(300).collect::<String>()
    );
}

/// Issue 15, item 13: messages a user can act on.
#[test]
fn messages_say_what_is_wrong_and_suggest_close_names() {
    // A UTF-8 byte order mark, as some editors write, is accepted.
    let files = Files::new(&format!("\u{feff}{}", queue_model(1, 1, 10.0)), &format!("\u{feff}{SCENARIO}"));
    files.load(&[]).expect("a BOM is skipped");

    let files = Files::new(&queue_model(1, 1, 10.0), SCENARIO);
    let msg = |sets: &[&str]| files.load(sets).map(|_| ()).unwrap_err().to_string();
    let e = msg(&["services[svc].concurrency=16.5"]);
    assert!(e.contains("expected an integer"), "{e}");
    let e = msg(&["scenario.replications=2.5"]);
    assert!(e.contains("expected an integer"), "{e}");
    let e = msg(&["services[svc].load_balancing=RoundRobin(1)"]);
    assert!(e.contains("'RoundRobin' takes no value here"), "{e}");
    let e = msg(&["services[svc].concurency=3"]);
    assert!(e.contains("did you mean 'concurrency'?"), "{e}");
    let e = msg(&["services[svd].concurrency=3"]);
    assert!(e.contains("did you mean 'svc'?"), "{e}");
    let e = msg(&[r#"outages=[(target: Zone("z3"), start_s: 50.0, duration_s: 1.0)]"#]);
    assert!(e.contains("unknown zone 'z3'; known: z1, z2; did you mean 'z1'?"), "{e}");
    let e = msg(&["populations[clients].location=rr"]);
    assert!(e.contains("populations[clients].location") && e.contains("did you mean 'r'?"), "{e}");
    assert!(!e.contains("network:"), "the population is blamed, not the network: {e}");
    let e = msg(&["traffic.populations=[(name: \"client\", rate_per_s: 1.0)]"]);
    assert!(e.contains("did you mean 'clients'?"), "{e}");
    // No suggestion when nothing is close.
    let e = msg(&["services[mars].concurrency=3"]);
    assert!(!e.contains("did you mean"), "{e}");

    // A model and a scenario given in the wrong order.
    let swapped = Files::new(SCENARIO, &queue_model(1, 1, 10.0));
    let all = swapped.load(&[]).unwrap_err().to_string();
    assert!(all.contains("hint: ") && all.contains("the model comes first"), "{all}");
}

/// Issue 15, item 16: after one replication hit the event budget, every other replication still ran
/// to its own. Now the run stops: with budget-bound replications, 200 of them cost about what a few do.
#[test]
fn the_first_budget_error_stops_the_whole_run() {
    let files = Files::new(&queue_model(1, 1, 10.0), SCENARIO);
    let study = |n: &str| {
        let sets = ["budgets=(max_events: 300000)", "traffic.rate_per_s=90", "horizon_s=100000"];
        files.load(&[&sets[..], &[format!("replications={n}").as_str()]].concat()).expect("valid")
    };
    let options = regionsim::sim::montecarlo::RunOptions { threads: Some(2), progress: false };
    let budget_error = |s: &regionsim::model::study::Study| match regionsim::sim::montecarlo::run(
        &s.model,
        &s.scenario,
        &options,
    ) {
        Ok(_) => panic!("the budget holds"),
        Err(e) => e.to_string(),
    };
    let one = study("1");
    let started = std::time::Instant::now();
    let e = budget_error(&one);
    let single = started.elapsed();
    assert!(e.contains("300000 events"), "{e}");
    let many = study("200");
    let started = std::time::Instant::now();
    let e = budget_error(&many);
    let all = started.elapsed();
    assert!(e.contains("300000 events"), "{e}");
    // Without the stop: about 100 × single on two threads.
    assert!(all < single * 25 + std::time::Duration::from_millis(500), "{all:?} against {single:?} for one");
}
