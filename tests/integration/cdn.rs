//! The CDN layer against what an edge tier does in closed form: the origin's load is the share of
//! requests no cache answers, an origin failover group serves through the secondary while DNS still
//! names the failed primary, stale-on-error serves exactly the cacheable share of a dark origin, the
//! edge's bytes are billed at the CDN's price; sampled fidelity agrees with full; bad input is located.

use regionsim::analysis::report::Report;

use crate::common::{Files, assert_within_ci, mean_ci, run};

/// us-east-1 and us-west-2, each with one instance of `svc` (8 servers of 1 ms mean: ample at tens of
/// requests per second), Route 53 failover routing (30 s checks, 3 failures, TTL 60 s), clients in
/// us-east-1 behind the CDN `cdn` (the fields inside `cdn: (...)`).
fn model(cdn: &str) -> String {
    format!(
        r#"(
    name: "edge",
    regions: [(name: "us-east-1", zones: ["use1-az1"]), (name: "us-west-2", zones: ["usw2-az1"])],
    services: [(
        name: "svc",
        service_time: Exponential(mean_ms: 1.0),
        concurrency: 8,
        price_usd_per_hour: 0.1,
        deployments: {{ "us-east-1": (instances: 1), "us-west-2": (instances: 1) }},
    )],
    request_path: ["svc"],
    populations: [(name: "clients", location: "us-east-1", share: 1.0, cdn: ({cdn}))],
    routing: Failover(order: ["us-east-1", "us-west-2"]),
    steering: Dns(ttl_s: 60.0, health_check: (interval_s: 30.0, failure_threshold: 3, timeout_s: 4.0)),
    network: (builtin: "aws-p50-2025", connect_timeout_ms: 500.0, request_timeout_ms: 5000.0),
)"#
    )
}

/// 20 requests/s for `horizon_s` (10 s of warm-up), 8 replications at full fidelity, and `outages`.
fn scenario(horizon_s: f64, outages: &str) -> String {
    format!(
        r#"(name: "edge", horizon_s: {horizon_s}, warmup_s: 10.0, replications: 8, seed: 11,
    traffic: (rate_per_s: 20.0), outages: [{outages}])"#
    )
}

fn per_run(report: &Report, f: impl Fn(&regionsim::analysis::report::RunRow) -> f64) -> Vec<f64> {
    report.runs.iter().map(f).collect()
}

/// Origin load. Each request is cacheable with probability c, and a cacheable one hits the edge with
/// probability h, independently: the origin sees a Poisson thinning of rate λ(1 − c·h). With λ = 20/s,
/// c = 0.6, h = 0.75 that is 11/s, and the edge answers λ·c·h = 9/s. With an origin shield answering
/// h_s = 0.5 of the edge's cacheable misses the origin sees λ(1 − c(1 − (1 − h)(1 − h_s))) = 9.5/s.
/// Over 2,000 s a replication's rate has a Poisson standard deviation of √(11·2000)/2000 = 0.074/s.
#[test]
fn the_origin_load_is_the_share_no_cache_answers() {
    let base = "edge_latency_ms: 10.0, cacheable_share: 0.6, hit_ratio: 0.75";
    let shield = format!(r#"{base}, origin_shield: (location: "us-east-1", hit_ratio: 0.5)"#);
    for (cdn, origin_truth, edge_truth) in [(base.to_string(), 11.0, 9.0), (shield, 9.5, 9.0)] {
        let files = Files::new(&model(&cdn), &scenario(2010.0, ""));
        let report = run(&files.load(&[]).expect("valid study"));
        let (m, ci) = mean_ci(&per_run(&report, |r| r.origin_requests as f64 / 2000.0));
        eprintln!("{cdn}: origin {m:.4}/s [{:.4}, {:.4}], closed form {origin_truth}", ci[0], ci[1]);
        assert_within_ci("origin requests/s", m, ci, origin_truth, 1.0);
        assert!(ci[1] - ci[0] < 0.02 * origin_truth, "CI {ci:?} too wide to tell 1% apart");
        let (e, eci) = mean_ci(&per_run(&report, |r| r.edge_hits as f64 / 2000.0));
        assert_within_ci("edge hits/s", e, eci, edge_truth, 1.0);
        assert_eq!(report.requests.failed, 0, "nothing fails: {:?}", report.requests);
        // Every response left an edge: 20 kB each at the CDN's price, none as origin egress.
        for run in &report.runs {
            let bytes: f64 = run.usage.cdn_bytes.iter().sum();
            assert_eq!(bytes, run.succeeded as f64 * 20_000.0, "replication {}", run.replication);
            assert!(run.usage.egress_bytes.iter().all(|b| *b == 0.0));
        }
        // 20 kB × 20/s over 2,000 s is 0.8 GB, × 730 h / (2000/3600 h) a month
        // = 1,051.2 GB, × $0.085 = $89.35, against $0.09 × 1,051.2 = $94.61 of us-east-1's egress.
        let c = &report.cost_usd_per_month;
        assert!((c.cdn_delivery - 89.352).abs() < 0.2, "CDN delivery {}", c.cdn_delivery);
        assert!((c.origin_egress_saved - 94.608).abs() < 0.2, "saved {}", c.origin_egress_saved);
    }
}

/// us-east-1 goes dark at S = 100 s, until after the horizon (130 s). Route 53 cannot move clients
/// before its third failed check, at least 60 s after S: throughout [S, 130 s] DNS names us-east-1.
/// No request is cacheable, so only the origins can serve. Without a failover group every request
/// arriving in the dark stretch fails: λ·30 s = 600 per replication (Poisson, ±24.5). With the group
/// [us-east-1, us-west-2] each of them fails its 1 s connection to the primary and is served by the
/// secondary: no failure but the last second's, still waiting at the horizon (`unfinished`), and one
/// extra origin leg per request of the dark stretch, 600 per replication.
#[test]
fn an_origin_failover_group_serves_through_the_secondary_before_dns_moves() {
    let outage = r#"(target: Region("us-east-1"), start_s: 100.0, duration_s: 1000.0)"#;
    let cdn = "edge_latency_ms: 10.0, cacheable_share: 0.0, hit_ratio: 0.9, connection_timeout_s: 1.0, \
               connection_attempts: 1";
    let without = run(&Files::new(&model(cdn), &scenario(130.0, outage)).load(&[]).expect("valid study"));
    let (m, ci) = mean_ci(&per_run(&without, |r| (r.requests - r.succeeded) as f64));
    eprintln!("without the group: {m:.1} failed [{:.1}, {:.1}], λ·30 s = 600", ci[0], ci[1]);
    assert_within_ci("failures without the group", m, ci, 600.0, 1.0);

    let grouped = format!(r#"{cdn}, origins: ["us-east-1", "us-west-2"]"#);
    let with = run(&Files::new(&model(&grouped), &scenario(130.0, outage)).load(&[]).expect("valid study"));
    for run in &with.runs {
        let failed: u64 =
            run.failed_by_cause.iter().filter(|(c, _)| *c != "unfinished").map(|(_, n)| n).sum();
        assert_eq!(failed, 0, "replication {}: {:?}", run.replication, run.failed_by_cause);
        // The last second's arrivals (λ·1 s = 20, Poisson) may still wait for the primary at the horizon.
        assert!(run.failed_by_cause["unfinished"] < 50, "{:?}", run.failed_by_cause);
    }
    let (x, xci) = mean_ci(&per_run(&with, |r| r.origin_requests as f64 - r.requests as f64));
    eprintln!("with the group: {x:.1} second legs [{:.1}, {:.1}], λ·30 s = 600", xci[0], xci[1]);
    assert_within_ci("requests failed over to the secondary", x, xci, 600.0, 1.0);
}

/// One region only (no failover anywhere), dark from S = 100 s past the horizon (610 s): 510 s of
/// arrivals, 10,200 per replication at 20/s. With stale-on-error, c = 0.6 and h = 0.5, a cacheable
/// request is served from the edge (hit) or stale (miss); the others fail: availability in the dark
/// stretch is c, failures λ·510·(1 − c) = 4,080 (Poisson, ±64) and stale responses λ·510·c(1 − h) =
/// 3,060 (±55), less a handful still waiting their 1 s at the horizon.
#[test]
fn stale_on_error_serves_the_cacheable_share_of_a_dark_origin() {
    let one_region = model(
        "edge_latency_ms: 10.0, cacheable_share: 0.6, hit_ratio: 0.5, stale_on_error: true, \
         connection_timeout_s: 1.0, connection_attempts: 1",
    )
    .replace(r#", (name: "us-west-2", zones: ["usw2-az1"])"#, "")
    .replace(r#", "us-west-2": (instances: 1)"#, "")
    .replace(r#"routing: Failover(order: ["us-east-1", "us-west-2"]),"#, "");
    let outage = r#"(target: Region("us-east-1"), start_s: 100.0, duration_s: 1000.0)"#;
    let report = run(&Files::new(&one_region, &scenario(610.0, outage)).load(&[]).expect("valid study"));
    let (f, fci) = mean_ci(&per_run(&report, |r| (r.requests - r.succeeded) as f64));
    let (s, sci) = mean_ci(&per_run(&report, |r| r.served_stale as f64));
    eprintln!(
        "dark origin: {f:.1} failed [{:.1}, {:.1}] (4080), {s:.1} stale [{:.1}, {:.1}] (3060)",
        fci[0], fci[1], sci[0], sci[1]
    );
    assert_within_ci("failures in the dark stretch", f, fci, 4080.0, 1.0);
    assert_within_ci("stale responses", s, sci, 3060.0, 1.0);
    assert_eq!(report.requests.served_stale, report.runs.iter().map(|r| r.served_stale).sum::<u64>());
}

/// Sampled fidelity against full on an outage behind a failover group: us-east-1 dark for 500 s from
/// 500 s of a 2,000 s window. The group's primary stays us-east-1 whatever DNS says, so each origin
/// request of the dark stretch takes two legs: λ(1 − c·h)(2000 + 500 s) = 11 × 2500 = 27,500 legs
/// (Poisson, ±166) in both modes, and no failure but a Poisson handful at the outage's edges.
#[test]
fn sampled_fidelity_agrees_with_full_behind_a_cdn() {
    let cdn = r#"edge_latency_ms: 10.0, cacheable_share: 0.6, hit_ratio: 0.75, origins: ["us-east-1", "us-west-2"],
        connection_timeout_s: 1.0, connection_attempts: 1"#;
    let outage = r#"(target: Region("us-east-1"), start_s: 500.0, duration_s: 500.0)"#;
    let files = Files::new(&model(cdn), &scenario(2010.0, outage));
    let full = run(&files.load(&[]).expect("valid study"));
    let sampled = run(&files
        .load(&["fidelity=Sampled(settle_s: 5.0, window_s: 20.0, lead_s: 30.0)"])
        .expect("valid study"));
    assert!(sampled.runs.iter().all(|r| r.fast_forwarded > 0), "sampled fidelity skipped nothing");
    for (name, report) in [("full", &full), ("sampled", &sampled)] {
        let (m, ci) = mean_ci(&per_run(report, |r| r.origin_requests as f64));
        let (e, eci) = mean_ci(&per_run(report, |r| r.edge_hits as f64));
        eprintln!(
            "{name}: {m:.1} origin legs [{:.1}, {:.1}] (27500), {e:.1} edge hits [{:.1}, {:.1}] (18000)",
            ci[0], ci[1], eci[0], eci[1]
        );
        assert_within_ci(&format!("{name}: origin legs"), m, ci, 27_500.0, 1.5);
        assert_within_ci(&format!("{name}: edge hits"), e, eci, 18_000.0, 1.5);
        assert!(report.requests.failed < 8 * 20, "{name}: {:?}", report.requests);
    }
}

/// A hit ratio outside [0, 1], an unknown origin region, a group of one origin, a connection timeout
/// outside CloudFront's range and an unknown shield region are located errors naming the field.
#[test]
fn cdn_input_errors_are_located() {
    let good = model(
        r#"edge_latency_ms: 10.0, cacheable_share: 0.5, hit_ratio: 0.9, origins: ["us-east-1", "us-west-2"]"#,
    );
    let cases = [
        (
            good.replace("hit_ratio: 0.9", "hit_ratio: 1.5"),
            "populations[clients].cdn.hit_ratio: must be in [0, 1], got 1.5",
        ),
        (
            good.replace(r#"origins: ["us-east-1", "us-west-2"]"#, r#"origins: ["us-east-1", "us-west-9"]"#),
            "populations[clients].cdn.origins[1]: unknown region 'us-west-9'",
        ),
        (
            good.replace(r#"origins: ["us-east-1", "us-west-2"]"#, r#"origins: ["us-east-1"]"#),
            "populations[clients].cdn.origins: an origin failover group is [primary, secondary]",
        ),
        (
            good.replace("hit_ratio: 0.9", "hit_ratio: 0.9, connection_timeout_s: 30.0"),
            "populations[clients].cdn.connection_timeout_s: must be from 1 to 10 s",
        ),
        (
            good.replace(
                "hit_ratio: 0.9",
                r#"hit_ratio: 0.9, origin_shield: (location: "mars", hit_ratio: 0.5)"#,
            ),
            "populations[clients].cdn.origin_shield.location: unknown region 'mars'",
        ),
    ];
    for (text, expected) in cases {
        assert_ne!(text, good, "the case changes the model: {expected}");
        let files = Files::new(&text, &scenario(100.0, ""));
        let e = files.load(&[]).map(|_| ()).unwrap_err().to_string();
        assert!(e.contains(expected), "expected {expected:?} in: {e}");
        assert!(e.contains("model.ron:"), "located: {e}");
    }
}
