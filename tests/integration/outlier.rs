//! Passive outlier detection (Envoy's consecutive 5xx) against hand-derived counts and instants: a
//! deterministic gray failure ejected and returned on the sweep grid with growing ejection times, the
//! share of the fleet that may be ejected at once, the geometric-run time to N failures in a row of a
//! partly failing instance, sampled against full fidelity on the shipped study, and located errors.

use std::collections::BTreeSet;

use regionsim::analysis::report::RunRow;
use regionsim::model::study::Study;
use regionsim::sim::engine;
use regionsim::sim::trace::{What, Window};

use crate::common::{Files, assert_within_ci, load, mean_ci, root, run};

/// Requests per second.
const RATE: f64 = 100.0;
/// When the gray failure starts.
const T0: f64 = 10.0;

/// One region, `n` instances of `svc` behind a round-robin balancer with outlier detection
/// `detection` (1 ms fixed service, no queueing), clients next to it (no network time); the first
/// `failing` instances fail a share `share` of their requests, at once, from T0 on. Full fidelity.
fn study(n: u32, failing: u32, share: f64, detection: &str, scenario: &str, sets: &[&str]) -> Study {
    let model = format!(
        r#"(
    name: "outlier",
    regions: [(name: "r", zones: ["z1"])],
    services: [(
        name: "svc",
        service_time: Fixed(ms: 1.0),
        concurrency: 1000,
        price_usd_per_hour: 0.1,
        load_balancing: RoundRobin,
        outlier_detection: {detection},
        deployments: {{ "r": (instances: {n}) }},
    )],
    request_path: ["svc"],
    populations: [(name: "clients", location: "r", share: 1.0)],
)"#
    );
    let outages: Vec<String> = (0..failing)
        .map(|k| {
            format!(
                r#"(target: Instance(service: "svc", region: "r", index: {k}), start_s: {T0}, duration_s: 100000.0,
                    mode: Failing(share: {share}))"#
            )
        })
        .collect();
    let scenario = format!(
        r#"(name: "gray", {scenario}, fidelity: Full, traffic: (rate_per_s: {RATE}), outages: [{}])"#,
        outages.join(", ")
    );
    Files::new(&model, &scenario).load(sets).expect("valid study")
}

/// Replication `rep`'s ejections and returns: (kind, instant, instance).
fn ejections(study: &Study, rep: u32) -> Vec<(&'static str, f64, String)> {
    let (m, s) = (&study.model, &study.scenario);
    let window = Window { from_s: 0.0, to_s: s.horizon.as_secs_f64() };
    let (_, trace) = engine::run_traced(m, s, s.seed, rep, window).expect("runs");
    trace
        .events
        .iter()
        .filter(|e| matches!(e.what, What::Ejected { .. } | What::Returned))
        .map(|e| (e.what.kind(), e.t_s, e.component.clone().unwrap_or_default()))
        .collect()
}

/// Test 1, a deterministic gray failure: one of 5 instances fails every request from T0. Round robin
/// sends it every 5th request and each fails at once (nothing is in flight when it is ejected), so it
/// is ejected at exactly its N = 5th failure, ≈ 25 requests (0.25 s) after T0: at t₁ ∈ (10, 11) s
/// (the max-percent rule: 0 of 5 ejected, 0% < 10%). Its multiplier is 1: ejected for 30 s, it returns
/// at the first sweep (multiples of the 10 s interval) at or after t₁ + 30, i.e. at 50 s. It fails its
/// next 5 requests within ≈ 0.25 s, before the next sweep (so no sweep lowers the multiplier): ejected
/// with multiplier 2 for 60 s, back at ⌈(50.25 + 60) / 10⌉ × 10 = 120 s; then 90 s, back at 220 s; then
/// 120 s, back at 350 s; then 150 s, back at 510 s, past the 400 s horizon. So per replication:
/// exactly 5 ejections, returns at exactly 50, 120, 220 and 350 s, and 5 × 5 = 25 failed requests.
#[test]
fn a_failing_instance_is_ejected_for_longer_each_time_and_returns_on_the_sweep() {
    let s = study(
        5,
        1,
        1.0,
        "(consecutive_5xx: 5)",
        "horizon_s: 400.0, warmup_s: 0.0, replications: 20, seed: 5",
        &[],
    );
    let report = run(&s);
    for r in &report.runs {
        assert_eq!(r.ejections, 5, "replication {}: {} ejections", r.replication, r.ejections);
        assert_eq!(r.failed_by_cause["instance_error"], 25, "replication {}", r.replication);
        assert_eq!(r.requests - r.succeeded, 25, "replication {}: {:?}", r.replication, r.failed_by_cause);
    }
    assert_eq!(report.requests.ejections, 5 * 20);
    for rep in [0, 7] {
        let events = ejections(&s, rep);
        let kinds: Vec<&str> = events.iter().map(|e| e.0).collect();
        let expected = [
            "ejected", "returned", "ejected", "returned", "ejected", "returned", "ejected", "returned",
            "ejected",
        ];
        assert_eq!(kinds, expected, "replication {rep}");
        let returns: Vec<f64> = events.iter().filter(|e| e.0 == "returned").map(|e| e.1).collect();
        assert_eq!(returns, [50.0, 120.0, 220.0, 350.0], "replication {rep}");
        let ejected: Vec<f64> = events.iter().filter(|e| e.0 == "ejected").map(|e| e.1).collect();
        assert!(ejected[0] > T0 && ejected[0] < T0 + 1.0, "first ejection at {}", ejected[0]);
        for (k, &t) in ejected.iter().enumerate().skip(1) {
            let back = returns[k - 1];
            assert!(t > back && t < back + 1.0, "ejection {k} at {t}, return before it at {back}");
        }
        assert!(events.iter().all(|e| e.2 == events[0].2), "one instance ejected: {events:?}");
    }
}

/// The most instances ejected at once in replication `rep`.
fn most_ejected_at_once(s: &Study, rep: u32) -> usize {
    let mut out = BTreeSet::new();
    let mut most = 0;
    for (kind, _, instance) in ejections(s, rep) {
        if kind == "ejected" {
            assert!(out.insert(instance.clone()), "{instance} ejected twice");
        } else {
            assert!(out.remove(&instance), "{instance} returned without an ejection");
        }
        most = most.max(out.len());
    }
    most
}

/// Test 2, the max ejection percent: 2 of 10 instances fail every request from T0 (the observation
/// window starts there). Envoy ejects only while 100 × ejected / 10 < 10, so with one ejected the other
/// is refused (its count starts again, and it is refused again at each 5 failures). While one is
/// ejected, round robin sends every 9th request to the other, so exactly 1/9 of requests fail. Only
/// when neither is ejected (after T0, and after each return, until one of them reaches 5 failures in a
/// row: at most 5 rounds of 10 requests, 10 failures where 1/9 would give 50/9) do 2/10 fail: at most
/// ≈ 4.5 extra failures per return, and returns come at least 30 s (3,000 requests) apart, so the
/// failing share lies in [1/9, 1/9 + 0.002] up to a request of rounding per cycle. With 20% both may be
/// out at once.
#[test]
fn max_ejection_percent_caps_how_many_are_out_at_once() {
    let scenario = "horizon_s: 400.0, warmup_s: 10.0, replications: 10, seed: 6";
    let s = study(10, 2, 1.0, "()", scenario, &[]);
    let report = run(&s);
    let failed = report.requests.failed as f64 / report.requests.total as f64;
    eprintln!("max 10%: failing share {failed:.6}, 1/9 = {:.6}", 1.0 / 9.0);
    assert!((1.0 / 9.0 - 5e-4..=1.0 / 9.0 + 2e-3).contains(&failed), "failing share {failed}");
    for rep in 0..3 {
        assert_eq!(most_ejected_at_once(&s, rep), 1, "replication {rep}");
    }
    assert!(
        report.runs.iter().all(|r| r.ejections >= 6),
        "an ejection per ~40 s: {:?}",
        report.runs.iter().map(|r| r.ejections).collect::<Vec<_>>()
    );
    let both = study(10, 2, 1.0, "(max_ejection_percent: 20)", scenario, &[]);
    assert_eq!(most_ejected_at_once(&both, 0), 2);
    let report = run(&both);
    let failed_both = report.requests.failed as f64 / report.requests.total as f64;
    assert!(failed_both < failed / 5.0, "both out at once: failing share {failed_both}");
}

/// Test 3, a partly failing instance: 1 of 2 instances fails each request with p = 0.5 from T0, and
/// is ejected when N = 5 fail in a row. The trials to the first run of N failures number, on average,
/// E[T] = (1 − p^N) / ((1 − p) p^N) = (31/32) / (1/64) = 62. Round robin alternates the two instances:
/// the instance's k-th request after T0 is arrival j₁ + 2(k − 1), j₁ ∈ {1, 2} equally likely, so the
/// ejection comes at arrival J = j₁ + 2(T − 1), a stopping time independent of the arrival times:
/// E[t_e − T0] = E[J] / λ = (1.5 + 2 × 61) / 100 = 1.235 s (Wald). The measured trials,
/// T̂ = (λ (t_e − T0) − 1.5) / 2 + 1 per replication, must average 62 within the CI; the failures
/// before the ejection (the ejection lasts past the horizon) average p E[T] = 31 (Wald again).
#[test]
fn a_partly_failing_instance_is_ejected_after_the_geometric_run_of_failures() {
    let (p, n) = (0.5f64, 5);
    let trials = (1.0 - p.powi(n)) / ((1.0 - p) * p.powi(n));
    assert!((trials - 62.0).abs() < 1e-12);
    let detection = "(consecutive_5xx: 5, base_ejection_time_s: 3600.0, max_ejection_time_s: 3600.0)";
    let s = study(2, 1, p, detection, "horizon_s: 60.0, warmup_s: 10.0, replications: 400, seed: 7", &[]);
    let measured: Vec<f64> = (0..s.scenario.replications)
        .map(|rep| {
            let events = ejections(&s, rep);
            assert_eq!(events.len(), 1, "replication {rep}: {events:?}");
            (RATE * (events[0].1 - T0) - 1.5) / 2.0 + 1.0
        })
        .collect();
    let (m, ci) = mean_ci(&measured);
    eprintln!("trials to 5 failures in a row: {m:.2} [{:.2}, {:.2}], closed form {trials}", ci[0], ci[1]);
    assert_within_ci("trials to the ejection", m, ci, trials, 1.0);
    let report = run(&s);
    let failures: Vec<f64> = report.runs.iter().map(|r| (r.requests - r.succeeded) as f64).collect();
    let (m, ci) = mean_ci(&failures);
    eprintln!(
        "failures before the ejection: {m:.2} [{:.2}, {:.2}], closed form {}",
        ci[0],
        ci[1],
        p * trials
    );
    assert_within_ci("failures before the ejection", m, ci, p * trials, 1.0);
    assert!(report.runs.iter().all(|r| r.ejections == 1));
}

/// Test 4: the shipped gray failure (one API instance failing half its requests for 20 minutes)
/// against the shipped design with outlier detection, at sampled and at full fidelity on the same
/// random numbers. Every ejection is declared taking something away and every return is an
/// infrastructure event declared adding, so a skip never spans either: the paired differences of
/// availability, instance errors and ejections lie within the paired CI. Against the design without
/// detection, which fails about 1/6 × 50% of requests or more while the instance fails (least
/// outstanding requests favours the instance that fails fastest), the detection fails far fewer.
#[test]
fn sampled_fidelity_agrees_with_full_on_the_shipped_gray_failure() {
    let model = root().join("models/single-region-outlier.ron");
    let scenario = root().join("scenarios/gray-failure.ron");
    let at = |fidelity: &str| run(&load(&model, &scenario, &[fidelity], None, None).expect("valid study"));
    let (sampled, full) = (at("fidelity=Sampled()"), at("fidelity=Full"));
    assert!(sampled.runs.iter().all(|r| r.fast_forwarded > 0), "nothing was skipped");
    assert!(
        full.runs.iter().all(|r| r.ejections >= 5),
        "{:?}",
        full.runs.iter().map(|r| r.ejections).collect::<Vec<_>>()
    );
    let agree = |what: &str, value: fn(&RunRow) -> f64| {
        let a: Vec<Option<f64>> = sampled.runs.iter().map(|r| Some(value(r))).collect();
        let b: Vec<Option<f64>> = full.runs.iter().map(|r| Some(value(r))).collect();
        let d = regionsim::analysis::stats::paired_ci(&a, &b);
        eprintln!(
            "{what}: sampled − full {:+.6}, paired 95% CI [{:.6}, {:.6}]",
            d.mean, d.ci95[0], d.ci95[1]
        );
        assert!(
            d.mean.abs() <= 1.7 * d.half_width() || d.mean.abs() < 1e-12,
            "{what}: a bias of sampled fidelity"
        );
    };
    agree("availability", |r| r.availability);
    agree("instance errors", |r| r.failed_by_cause["instance_error"] as f64);
    agree("ejections", |r| r.ejections as f64);
    // Without detection: the instance's share of the 20 minutes' requests, half of them failing.
    let plain =
        run(&load(&root().join("models/single-region.ron"), &scenario, &[], Some(3), None)
            .expect("valid study"));
    let share = |r: &regionsim::analysis::report::Report| r.requests.failed as f64 / r.requests.total as f64;
    let gray_share = 1200.0 / 2340.0;
    eprintln!("failing share: without {:.5}, with {:.5}", share(&plain), share(&full));
    assert!(share(&plain) > gray_share / 6.0 * 0.5 * 0.9, "without detection: {}", share(&plain));
    assert!(share(&full) < share(&plain) / 100.0, "with detection: {}", share(&full));
}

/// Test 5: impossible settings are located errors, and `validate` exits 2 naming them.
#[test]
fn impossible_outlier_detection_settings_are_located_errors() {
    let files = |detection: &str| {
        let model = format!(
            r#"(
    name: "outlier",
    regions: [(name: "r", zones: ["z1"])],
    services: [(name: "svc", service_time: Fixed(ms: 1.0), concurrency: 1, price_usd_per_hour: 0.1,
                outlier_detection: {detection}, deployments: {{ "r": (instances: 1) }})],
    request_path: ["svc"],
    populations: [(name: "clients", location: "r", share: 1.0)],
)"#
        );
        let scenario = r#"(name: "x", horizon_s: 10.0, warmup_s: 0.0, replications: 1, seed: 1,
                           traffic: (rate_per_s: 1.0))"#;
        Files::new(&model, scenario)
    };
    let bad = files(
        "(consecutive_5xx: 0, interval_s: -1.0, base_ejection_time_s: -30.0, max_ejection_percent: 101, \
         max_ejection_time_s: 0.0)",
    );
    bad.assert_refused(
        &[],
        &[
        "services[svc].outlier_detection.consecutive_5xx: must be at least 1, got 0",
        "services[svc].outlier_detection.interval_s: must be above 0 and at most 86400 s, got -1",
        "services[svc].outlier_detection.base_ejection_time_s: must be above 0 and at most 86400 s, got -30",
        "services[svc].outlier_detection.max_ejection_percent: must be from 0 to 100, got 101",
        "services[svc].outlier_detection.max_ejection_time_s: must be above 0 and at most 86400 s, got 0",
        ],
        "outlier_detection.consecutive_5xx",
    );
    for (set, needle) in [
        (
            "services[svc].outlier_detection.max_ejection_time_s=10.0",
            "max_ejection_time_s: must be at least base_ejection_time_s (30), got 10",
        ),
        (
            "services[svc].outlier_detection.interval_s=0.0",
            "interval_s: must be above 0 and at most 86400 s, got 0",
        ),
    ] {
        files("()").assert_refused(&[set], &[needle], "");
    }
    files("()").load(&[]).expect("the defaults are valid");
}
