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
