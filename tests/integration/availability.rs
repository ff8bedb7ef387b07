//! Time availability against Markov-chain closed forms (docs/references.md#redundancy-markov-models), and the
//! accounting of injected outages.

use crate::common::{Files, assert_within_ci, queue_model, run};

/// Failure rate λ = 1/1000 h and repair rate μ = 1/10 h, the test vector of docs/references.md#redundancy-markov-models. Requests are
/// switched off (rate 0): only the failure processes run, for 10^6 hours per replication.
fn failure_scenario(processes: &str) -> String {
    format!(
        r#"(name: "markov", horizon_s: 3.6e9, replications: 60, seed: 3, traffic: (rate_per_s: 0.0),
            failures: [{processes}])"#
    )
}

const INSTANCE_FAILURES: &str = "(kind: Instance, time_to_failure: Exponential(mean_h: 1000.0), time_to_repair: Exponential(mean_h: 10.0))";

/// One instance: A = μ/(λ+μ) = 0.1/0.101 = 0.990099.
#[test]
fn single_instance_availability_is_mu_over_lambda_plus_mu() {
    let files = Files::new(&queue_model(1, 1, 10.0), &failure_scenario(INSTANCE_FAILURES));
    let report = run(&files.load(&[]).expect("valid study"));
    let ta = report.time_availability;
    assert_within_ci("single instance", ta.mean, ta.ci95, 0.1 / 0.101, 2.0);
}

/// Two instances in two zones, each failing and repaired independently (a repair crew each): the hot
/// pair of docs/references.md#redundancy-markov-models, A = 1 − (λ/(λ+μ))² = 0.99990197. The interval must also be tight enough to tell this
/// from the single-crew chain (0.99980396).
#[test]
fn redundant_pair_matches_the_markov_chain() {
    let files = Files::new(&queue_model(2, 1, 10.0), &failure_scenario(INSTANCE_FAILURES));
    let report = run(&files.load(&[]).expect("valid study"));
    let ta = report.time_availability;
    let truth = 1.0 - (0.001f64 / 0.101).powi(2);
    assert!((truth - 0.99990197).abs() < 1e-8);
    assert_within_ci("1-of-2 pair", ta.mean, ta.ci95, truth, 2.0);
    assert!(ta.ci95[0] > 0.99980396, "CI {:?} cannot tell two crews from one", ta.ci95);
}

/// Correlated failure: both instances in one zone, only the zone fails. The pair is down whenever the
/// zone is: A = μ/(λ+μ) = 0.990099, not the 0.9999 that independent instances would give.
#[test]
fn a_zone_failure_takes_all_its_instances() {
    let model = queue_model(2, 1, 10.0).replace("(instances: 2)", r#"(instances: 2, zones: ["z1"])"#);
    let files = Files::new(
        &model,
        &failure_scenario(
            "(kind: Zone, only: [\"z1\"], time_to_failure: Exponential(mean_h: 1000.0), time_to_repair: Exponential(mean_h: 10.0))",
        ),
    );
    let report = run(&files.load(&[]).expect("valid study"));
    let ta = report.time_availability;
    assert_within_ci("zone-correlated pair", ta.mean, ta.ci95, 0.1 / 0.101, 2.0);
}

/// An injected outage of the only region for D = 300 s of an H = 3000 s window makes time availability
/// exactly 1 − D/H = 0.9 in every replication. Requests arriving during it fail after the connect
/// timeout (no healthy instance); so about 10% of requests fail, and the Poisson count of arrivals in
/// the outage gives the spread.
#[test]
fn injected_outage_is_accounted_exactly() {
    let files = Files::new(
        &queue_model(2, 4, 10.0),
        r#"(name: "outage", horizon_s: 3100.0, warmup_s: 100.0, replications: 10, seed: 9,
            traffic: (rate_per_s: 50.0),
            outages: [(target: Region("r"), start_s: 1000.0, duration_s: 300.0)])"#,
    );
    let report = run(&files.load(&[]).expect("valid study"));
    for row in &report.runs {
        assert!(
            (row.time_availability - 0.9).abs() < 1e-9,
            "replication {}: {}",
            row.replication,
            row.time_availability
        );
    }
    let a = report.availability;
    assert_within_ci("request availability", a.mean, a.ci95, 0.9, 3.0);
    let causes = &report.requests.failed_by_cause;
    assert!(causes["no_healthy_instance"] > 0);
    assert_eq!(report.requests.failed, causes.values().sum::<u64>());
    assert_eq!(report.requests.total, report.requests.succeeded + report.requests.failed);
}
