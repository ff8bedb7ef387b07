//! Multi-region mechanics against independent truths: lost writes of asynchronous replication, the
//! failover timing bounds of DNS health checks (docs/references.md#route-53-health-checks), the round trip a synchronous write
//! adds, and the RTO/RPO ranges of the four AWS disaster-recovery strategies (docs/references.md#dr-strategies).

use regionsim::sim::montecarlo::{self, RunOptions};

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
        assert!((l.mean.unwrap().mean - expected_ms).abs() < 1e-6, "{replication}: mean {:?}", l.mean);
        // The histogram keeps 3 significant digits.
        for q in [l.p50, l.p99, l.p999] {
            assert!(
                (q.unwrap().mean - expected_ms).abs() <= expected_ms * 1e-3 + 1e-3,
                "{replication}: {l:?}"
            );
        }
    }
}

/// With TCP health checks (timeout = interval = I = 10 s, threshold k = 3), no propagation delay, a TTL
/// of T = 20 s and no TTL violators, docs/references.md#route-53-health-checks bounds the outage a client sees to
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

/// The shipped DR models on the shipped region-outage scenario (1,100 requests/s, sampled fidelity) fall
/// in the ranges of the AWS whitepaper (docs/references.md#dr-strategies): backup and restore
/// hours, pilot light tens of minutes, warm standby minutes; hot standby and active-active are bounded
/// by detection, DNS and the time for the recovery level's share of clients to follow (at most
/// (k+1)·I + timeout = 4·30 + 4 = 124 s to detect with the hot standby's checks, 5 s of propagation, a
/// TTL of 60 s, a 10 s window and one 1 s bin: 200 s).
///
/// Regression (RTO that says "recovered" when users are not served): the warm standby's two api
/// instances time out almost every request until its scale-up (median 5 min) completes, so it must
/// recover later than the hot standby, by at least the shortest plausible scale-up (1 minute); with the
/// first success as RTO both were 93.4 s.
#[test]
fn dr_strategies_meet_their_whitepaper_rto_and_rpo() {
    let measure = |model: &str| {
        let study = load(
            &root().join(format!("models/{model}.ron")),
            &root().join("scenarios/region-outage.ron"),
            &[],
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
    assert!((60.0..3600.0).contains(&rto_warm), "warm-standby RTO {rto_warm} s is not minutes");
    assert!(rpo < 5.0, "warm-standby RPO {rpo} s");
    let (rto_hot, rpo) = measure("active-passive");
    assert!(rto_hot <= 200.0, "hot standby RTO {rto_hot} s exceeds detection + DNS + clients following");
    assert!(rpo < 5.0, "hot standby RPO {rpo} s");
    assert!(rto_warm >= rto_hot + 60.0, "warm standby {rto_warm} s is not slower than hot {rto_hot} s");
    assert!(rto_pilot > rto_warm, "pilot light {rto_pilot} s is not slower than warm {rto_warm} s");
    // Fast (10 s) checks: at most 4·10 + 4 = 44 s to detect, then the same 5 + 60 + 10 + 1 s.
    let (rto_aa, rpo) = measure("active-active");
    assert!(rto_aa <= 120.0 && rto_aa < rto_hot, "active-active RTO {rto_aa} s (hot: {rto_hot} s)");
    assert!(rpo < 5.0, "active-active RPO {rpo} s");
}

/// The RTO is when users are served again, in closed form: with a hot standby, a request sent `a`
/// seconds after the DNS answers changed succeeds exactly when its client's cache is younger than `a`,
/// which has probability M(a) = (1 − v)·min(a/T, 1) + v·E_U[F_X(a − T·U)] (TTL T = 60 s, violators
/// v = 10% whose extra staleness X is log-normal, median 150 s, σ 2.2; docs/references.md
/// #dns-ttl-and-resolvers). The population recovers at the end of the first 10 s window, by send time,
/// whose mean of M reaches the level and stays there: RTO − DNS switch = u* + W, with u* the first
/// window start whose mean of M reaches the level, plus up to one 1 s bin (windows are aligned to the
/// failure, not to the switch: half a bin on average). Level 0.8 keeps the crossing on the steep part
/// of M (the followers' ramp), where the window's sampling noise moves it by a fraction of a second.
/// The closed form has no client retries (a retry of a request that failed on a stale answer, a connect
/// timeout and a backoff later, finds an older cache: M would shift by the retry's delay, as far as the
/// retry quota allows), so the study is pinned to clients that do not retry, as the model was before it
/// gained the SDKs' standard retries (`--set populations[..].retry=None`); the target health checks stay,
/// since the survivor's instances are healthy throughout and they do not move the gap.
#[test]
fn rto_is_when_users_are_served_again_in_closed_form() {
    use statrs::distribution::{ContinuousCDF, Normal};
    let (ttl, v, median, sigma, level, window) = (60.0, 0.10, 150.0f64, 2.2, 0.8, 10.0);
    let normal = Normal::standard();
    let m = |a: f64| {
        let followers = (a / ttl).clamp(0.0, 1.0);
        let violators = (0..400)
            .map(|k| a - ttl * (k as f64 + 0.5) / 400.0)
            .map(|x| if x > 0.0 { normal.cdf((x.ln() - median.ln()) / sigma) } else { 0.0 })
            .sum::<f64>()
            / 400.0;
        (1.0 - v) * followers + v * violators
    };
    let window_mean =
        |u: f64| (0..1000).map(|k| m(u + window * (k as f64 + 0.5) / 1000.0)).sum::<f64>() / 1000.0;
    // M is non-decreasing, so is its window mean: bisection.
    let (mut lo, mut hi) = (0.0, 600.0);
    assert!(window_mean(hi) >= level && window_mean(lo) < level);
    while hi - lo > 1e-3 {
        let mid = 0.5 * (lo + hi);
        if window_mean(mid) >= level { hi = mid } else { lo = mid }
    }
    let u_star = hi;
    let expected = u_star + window + 0.5;

    let study = load(
        &root().join("models/active-passive.ron"),
        &root().join("scenarios/region-outage.ron"),
        &[
            "recovery=(success_ratio: 0.8)",
            "populations[users-us].retry=None",
            "populations[users-eu].retry=None",
        ],
        Some(10),
        Some(3),
    )
    .expect("shipped study is valid");
    let report = run(&study);
    let gaps: Vec<f64> = report
        .failovers
        .all
        .iter()
        .filter(|f| f.failover.start_s == 1800.0)
        .map(|f| f.failover.rto_s.expect("recovered") - f.failover.dns_switch_s.expect("switched"))
        .collect();
    assert_eq!(gaps.len(), 10, "one regional failover per replication");
    let e = regionsim::analysis::stats::mean_ci(&gaps);
    eprintln!(
        "RTO − DNS switch {:.2} s [{:.2}, {:.2}], closed form {expected:.2} s",
        e.mean, e.ci95[0], e.ci95[1]
    );
    // Tolerance: the CI of the mean gap, and never less than the half bin the alignment adds.
    let tol = e.half_width().max(0.5) * 2.0;
    assert!(
        (e.mean - expected).abs() <= tol,
        "RTO − DNS switch: {:.2} s [{:.2}, {:.2}] against the closed form {expected:.2} s (u* = {u_star:.2} s)",
        e.mean,
        e.ci95[0],
        e.ci95[1]
    );
    // The first response comes at the switch (plus a network round trip), well before recovery.
    let first = report.failovers.first_response_s.expect("first responses").mean;
    let switch = report.failovers.dns_switch_s.expect("switched").mean;
    assert!(first >= switch && first < switch + 2.0, "first response {first} s, DNS switch {switch} s");
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
    let refused = |r: &regionsim::analysis::report::Report| r.requests.failed_by_cause["store_unavailable"];
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
