//! Multi-region mechanics against independent truths: lost writes of asynchronous replication, the
//! failover timing bounds of DNS health checks (figures.md §1.1), the round trip a synchronous write
//! adds, and the RTO/RPO ranges of the four AWS disaster-recovery strategies (§6.1).

use regionsim::montecarlo::{self, RunOptions};

use crate::common::{Files, assert_within_ci, load, root, run};

/// Two regions `a` and `b` 60 ms apart, an `api` tier in both (Fixed 1 ms, plenty of servers), a store
/// with its primary in `a`, one population at `a` (0 ms), failover routing a → b. `{replication}` and
/// `{steering}` are spliced in.
fn two_regions(replication: &str, steering: &str) -> String {
    format!(
        r#"(
    name: "two",
    regions: [(name: "a", zones: ["a1"]), (name: "b", zones: ["b1"])],
    services: [(
        name: "api",
        service_time: Fixed(ms: 1.0),
        concurrency: 1000,
        price_usd_per_hour: 0.1,
        deployments: {{ "a": (instances: 1), "b": (instances: 1) }},
    )],
    stores: [(name: "db", primary: "a", replicas: ["b"], replication: {replication}, promotion: Fixed(s: 5.0),
              op_time: Fixed(ms: 1.0))],
    request_path: ["api", "db"],
    populations: [(name: "users", location: "a", share: 1.0)],
    routing: Failover(order: ["a", "b"]),
    steering: {steering},
    network: (links: [(a: "a", b: "b", rtt_ms: 60.0)]),
)"#
    )
}

const FAST_DNS: &str = "Dns(ttl_s: 5.0, propagation_s: 0.0, ttl_violators: (share: 0.0, extra_staleness: Fixed(s: 0.0)), \
                        health_check: (interval_s: 10.0, failure_threshold: 3, timeout_s: 4.0))";

/// Poisson writes at w = 200 req/s × write fraction 0.5 = 100/s and a fixed lag L = 0.5 s: when the
/// primary's region fails at t_f, the writes accepted in (t_f − L, t_f] have not reached the replica and
/// are lost. Their number is Poisson with mean w·L = 50, and the oldest is less than L old: RPO ≤ L.
#[test]
fn async_failover_loses_w_times_l_writes_and_rpo_is_at_most_the_lag() {
    let files = Files::new(
        &two_regions("Async(lag: Fixed(s: 0.5))", FAST_DNS),
        r#"(name: "fail-a", horizon_s: 120.0, replications: 60, seed: 17,
            traffic: (rate_per_s: 200.0), data: (write_fraction: 0.5, keys: 1000000, zipf_exponent: 0.0),
            outages: [(target: Region("a"), start_s: 60.0, duration_s: 600.0)])"#,
    );
    let report = run(&files.load(&[]).expect("valid study"));
    let lost = report.failovers.writes_lost.expect("a failover happened");
    assert_within_ci("writes lost per failover", lost.mean, lost.ci95, 50.0, 2.0);
    assert!(lost.half_width() < 5.0, "too little power: {lost:?}");
    let rpo = report.failovers.rpo_s.expect("writes were lost");
    assert!(rpo.max <= 0.5 + 1e-9, "RPO {} exceeds the lag", rpo.max);
    assert!(rpo.p50 > 0.4, "with ~50 lost writes the oldest is nearly L old: {rpo:?}");
}

/// Synchronous replication waits for the replica's acknowledgement: one round trip a ↔ b (60 ms) on top
/// of the service (1 ms) and the store operation (1 ms), and nothing else: every write takes 62 ms, an
/// asynchronous one 2 ms.
#[test]
fn a_synchronous_write_adds_exactly_one_round_trip() {
    let scenario = r#"(name: "writes", horizon_s: 30.0, replications: 2, seed: 3, traffic: (rate_per_s: 100.0),
                       data: (write_fraction: 1.0))"#;
    for (replication, expected_ms) in [("Sync()", 62.0), ("Async(lag: Fixed(ms: 800.0))", 2.0)] {
        let files = Files::new(&two_regions(replication, FAST_DNS), scenario);
        let report = run(&files.load(&[]).expect("valid study"));
        let l = &report.latency_ms;
        assert!((l.mean.unwrap() - expected_ms).abs() < 1e-6, "{replication}: mean {:?}", l.mean);
        // The histogram keeps 3 significant digits.
        for q in [l.p50, l.p99, l.p999] {
            assert!((q.unwrap() - expected_ms).abs() <= expected_ms * 1e-3 + 1e-3, "{replication}: {l:?}");
        }
    }
}

/// With TCP health checks (timeout = interval = I = 10 s, threshold k = 3), no propagation delay, a TTL
/// of T = 20 s and no TTL violators, figures.md §1.1 bounds the outage a client sees to
/// [k·I, (k+1)·I + timeout + T] = [30 s, 70 s]. Each checker's k-th failed check ends between
/// (k−1)·I + timeout = 30 s and k·I + timeout = 40 s after the failure, so detection lies there; the
/// first client is back at detection at the earliest (RTO ≥ 30 s) and the last by detection + T ≤ 60 s.
/// After that (and the 3 s connect timeout of requests already sent) every request succeeds.
#[test]
fn dns_failover_timing_lies_within_the_health_check_bounds() {
    let steering = "Dns(ttl_s: 20.0, propagation_s: 0.0, ttl_violators: (share: 0.0, extra_staleness: Fixed(s: 0.0)), \
                    health_check: (interval_s: 10.0, failure_threshold: 3, timeout_s: 10.0))";
    // Asynchronous replication: a synchronous store would (rightly) refuse writes while its only replica
    // is down, which is not what this test is about.
    let files = Files::new(
        &two_regions("Async(lag: Fixed(ms: 10.0))", steering),
        r#"(name: "fail-a", horizon_s: 480.0, replications: 30, seed: 23, traffic: (rate_per_s: 50.0),
            outages: [(target: Region("a"), start_s: 120.0, duration_s: 1000.0)])"#,
    );
    let study = files.load(&[]).expect("valid study");
    let runs =
        montecarlo::run(&study.model, &study.scenario, &RunOptions { threads: Some(2), progress: false })
            .expect("runs");
    for o in &runs {
        assert_eq!(o.failovers.len(), 1, "replication {}", o.replication);
        let f = &o.failovers[0];
        let detection = f.detection_s.expect("detected");
        assert!((30.0..=40.0).contains(&detection), "replication {}: detection {detection}", o.replication);
        let rto = f.rto_s.expect("recovered");
        assert!((30.0..=70.0).contains(&rto), "replication {}: RTO {rto}", o.replication);
        // Every request finishing after failure + 70 s + 3 s succeeds.
        let width = o.timeline.bucket_s;
        for (i, b) in o.timeline.buckets.iter().enumerate() {
            if i as f64 * width >= 120.0 + 73.0 {
                assert_eq!(
                    b.finished,
                    b.succeeded,
                    "replication {}: bucket at {} s",
                    o.replication,
                    i as f64 * width
                );
            }
        }
    }
}

/// The shipped DR models on the shipped region-outage scenario (traffic lowered to keep the test quick;
/// RTO and RPO do not depend on it) fall in the ranges of the AWS whitepaper (figures.md §6.1): backup
/// and restore hours, pilot light tens of minutes, warm standby minutes, hot standby and active-active as
/// fast as detection and DNS allow: with 30 s checks, threshold 3 and a 4 s timeout, detection is at most
/// 3·30 + 4 = 94 s, plus 5 s of propagation, so the first clients are back within ~100 s.
#[test]
fn dr_strategies_meet_their_whitepaper_rto_and_rpo() {
    let measure = |model: &str| {
        let study = load(
            &root().join(format!("models/{model}.ron")),
            &root().join("scenarios/region-outage.ron"),
            &["traffic.rate_per_s=20"],
            Some(8),
            Some(1),
        )
        .expect("shipped study is valid");
        let report = run(&study);
        let f = report.failovers;
        (f.rto_s.expect("recovered").mean, f.rpo_s.map_or(0.0, |r| r.max))
    };
    let (rto, rpo) = measure("backup-restore");
    assert!((3600.0..=24.0 * 3600.0).contains(&rto), "backup-restore RTO {rto} s is not hours");
    assert!((60.0..=3600.0).contains(&rpo), "backup-restore RPO {rpo} s is not minutes to an hour");
    let (rto_pilot, rpo) = measure("pilot-light");
    assert!((600.0..3600.0).contains(&rto_pilot), "pilot-light RTO {rto_pilot} s is not tens of minutes");
    assert!(rpo < 5.0, "pilot-light RPO {rpo} s");
    let (rto_warm, rpo) = measure("warm-standby");
    assert!((60.0..600.0).contains(&rto_warm), "warm-standby RTO {rto_warm} s is not minutes");
    assert!(rpo < 5.0, "warm-standby RPO {rpo} s");
    for model in ["active-passive", "active-active"] {
        let (rto, rpo) = measure(model);
        assert!(rto <= 100.0, "{model} RTO {rto} s exceeds detection + DNS");
        assert!(rpo < 5.0, "{model} RPO {rpo} s");
    }
}

/// A synchronous store whose only replica is down refuses writes (`FailWrite`, the default) — after the
/// failover the promoted primary in b cannot reach a — unless it may degrade to asynchronous replication.
#[test]
fn sync_writes_fail_or_degrade_when_the_replica_is_unreachable() {
    let scenario = r#"(name: "fail-a", horizon_s: 300.0, replications: 2, seed: 5, traffic: (rate_per_s: 50.0),
        data: (write_fraction: 0.5), outages: [(target: Region("a"), start_s: 60.0, duration_s: 1000.0)])"#;
    let strict = run(&Files::new(&two_regions("Sync()", FAST_DNS), scenario).load(&[]).unwrap());
    let degraded = run(&Files::new(
        &two_regions("Sync(on_replica_unreachable: DegradeToAsync(lag: Fixed(s: 1.0)))", FAST_DNS),
        scenario,
    )
    .load(&[])
    .unwrap());
    let refused = |r: &regionsim::report::Report| r.requests.failed_by_cause["store_unavailable"];
    // About half the requests after the promotion (~4 minutes at 50/s, half writes) are refused.
    assert!(refused(&strict) > 4000, "{:?}", strict.requests);
    // Degrading, only the writes between the failure and the promotion (5 s) are refused.
    assert!(refused(&degraded) < 400, "{:?}", degraded.requests);
}

/// Geolocation keeps a population inside its allowed regions: when the only allowed region fails, its
/// requests fail rather than go to b. Latency routing with the same failure moves them to b.
#[test]
fn geolocation_never_leaves_the_allowed_set() {
    let scenario = r#"(name: "fail-a", horizon_s: 600.0, replications: 2, seed: 8, traffic: (rate_per_s: 20.0),
        outages: [(target: Region("a"), start_s: 100.0, duration_s: 1000.0)])"#;
    let model = two_regions("Async(lag: Fixed(ms: 10.0))", FAST_DNS);
    let fenced = run(&Files::new(
        &model.replace(r#"Failover(order: ["a", "b"])"#, r#"Geolocation(allowed: ["a"])"#),
        scenario,
    )
    .load(&[])
    .unwrap());
    // Region a is down for 500 of the 600 s: at most 1/6 of requests succeed, none in b.
    assert!(fenced.availability.mean < 1.0 / 6.0 + 0.01, "{:?}", fenced.availability);
    assert!(fenced.per_region.iter().all(|r| r.name == "a"), "requests entered b");
    let free = run(&Files::new(&model.replace(r#"Failover(order: ["a", "b"])"#, "Latency"), scenario)
        .load(&[])
        .unwrap());
    assert!(free.availability.mean > 0.9, "{:?}", free.availability);
}

/// Weighted routing splits traffic by the weights among healthy regions: 3:1 gives b a quarter.
#[test]
fn weighted_routing_splits_by_weight() {
    let model = two_regions("Async(lag: Fixed(ms: 10.0))", FAST_DNS)
        .replace(r#"Failover(order: ["a", "b"])"#, r#"Weighted(weights: {"a": 3.0, "b": 1.0})"#);
    let report = run(&Files::new(
        &model,
        r#"(name: "split", horizon_s: 200.0, replications: 4, seed: 2, traffic: (rate_per_s: 100.0))"#,
    )
    .load(&[])
    .unwrap());
    let share_b = report.per_region.iter().find(|r| r.name == "b").map_or(0, |r| r.requests) as f64
        / report.requests.total as f64;
    // 80,000 requests, each to b with probability 1/4: the standard error of the share is 0.0015.
    assert!((share_b - 0.25).abs() < 0.006, "share of b: {share_b}");
}
