//! Data residency (docs/architecture.md#residency) against closed forms: under `Fail` no request is
//! ever served outside its population's regions and the requests refused are exactly those the
//! outage sends outside; under `ServeElsewhere` the same requests are served and counted as
//! violations (a paired identity over common random numbers); the population's writes are replicated
//! only inside under `Fail`; sampled fidelity agrees with full; a rule that leaves a population no
//! region is a located error.

use regionsim::analysis::report::{Report, RunRow};

use crate::common::{Files, assert_within_ci, load, mean_ci, root, run};

/// eu-west-1 and us-east-1, each with one instance of `svc` (8 servers of 1 ms mean: ample at 100
/// requests/s), a multi-writer store `data` with a copy in each (asynchronous, 100 ms), latency
/// routing with fast Route 53 checks. Population `eu` (40%) is at eu-west-1 with the residency
/// `residency` (the fields inside `residency: (...)`), `us` (60%) at us-east-1.
fn model(residency: &str) -> String {
    format!(
        r#"(
    name: "resident",
    regions: [(name: "eu-west-1", zones: ["euw1-az1"]), (name: "us-east-1", zones: ["use1-az1"])],
    services: [(
        name: "svc",
        service_time: Exponential(mean_ms: 1.0),
        concurrency: 8,
        price_usd_per_hour: 0.1,
        deployments: {{ "eu-west-1": (instances: 1), "us-east-1": (instances: 1) }},
    )],
    stores: [(
        name: "data",
        primary: "us-east-1",
        replicas: ["eu-west-1"],
        multi_writer: true,
        replication: Async(lag: Fixed(ms: 100.0)),
        promotion: Fixed(s: 0.0),
    )],
    request_path: ["svc", "data"],
    populations: [
        (name: "eu", location: "eu-west-1", share: 0.4, residency: ({residency})),
        (name: "us", location: "us-east-1", share: 0.6),
    ],
    routing: Latency,
    steering: Dns(ttl_s: 60.0, health_check: (interval_s: 10.0, failure_threshold: 3, timeout_s: 4.0)),
    network: (builtin: "aws-p50-2025", connect_timeout_ms: 500.0, request_timeout_ms: 5000.0),
)"#
    )
}

const FAIL: &str = r#"regions: ["eu-west-1"], when_unavailable: Fail"#;
const SERVE_ELSEWHERE: &str = r#"regions: ["eu-west-1"], when_unavailable: ServeElsewhere"#;

/// 100 requests/s for 610 s (10 s of warm-up: 600 s counted), 30% writes, 10 replications at full
/// fidelity, with the outage `outage` from t = 100 s for 300 s.
fn scenario(outage: &str) -> String {
    format!(
        r#"(name: "resident", horizon_s: 610.0, warmup_s: 10.0, replications: 10, seed: 13, fidelity: Full,
    traffic: (rate_per_s: 100.0), data: (write_fraction: 0.3, keys: 1000),
    outages: [(target: {outage}, start_s: 100.0, duration_s: 300.0)])"#
    )
}

const STORE_OUTAGE: &str = r#"Store(store: "data", region: "eu-west-1")"#;
const REGION_OUTAGE: &str = r#"Region("eu-west-1")"#;

fn study(residency: &str, outage: &str) -> Report {
    let files = Files::new(&model(residency), &scenario(outage));
    run(&files.load(&[]).expect("valid study"))
}

fn refused(r: &RunRow) -> u64 {
    r.failed_by_cause.get("residency").copied().unwrap_or(0)
}

fn per_run(report: &Report, f: impl Fn(&RunRow) -> f64) -> Vec<f64> {
    report.runs.iter().map(f).collect()
}

/// The EU copy of the store fails for D = 300 s while everything else serves. `eu`'s requests (λ_EU =
/// 0.4 × 100 = 40/s, Poisson) are served by svc@eu-west-1 throughout and need a copy: the nearest
/// inside their residency is down, the only live one is in us-east-1. Under `Fail` each one reaching
/// the store in [100 s, 400 s) is refused (its millisecond of service shifts the window by nothing
/// measurable): λ_EU·D = 12,000 per replication, Poisson (sd ≈ 110), and nothing else fails, so the
/// failed share is the EU share × the outage's share of the 600 s counted, 0.4 × 300 / 600 = 0.2.
/// Under `ServeElsewhere` the same requests are read and written at us-east-1's copy: 12,000 violations,
/// nothing fails. Writes (30%) replicate to the other copy, except `eu`'s under `Fail`: us-east-1's
/// are λ_US × 0.3 × 600 = 60 × 0.3 × 600 = 10,800 per replication, and under `ServeElsewhere` every
/// write is replicated once.
#[test]
fn a_store_copy_outage_refuses_or_counts_exactly_the_requests_it_sends_outside() {
    let fail = study(FAIL, STORE_OUTAGE);
    let elsewhere = study(SERVE_ELSEWHERE, STORE_OUTAGE);
    let truth = 40.0 * 300.0;

    assert_eq!(fail.requests.residency_violations, 0, "never served outside under Fail");
    assert!(fail.runs.iter().all(|r| r.residency_violations == 0));
    let (m, ci) = mean_ci(&per_run(&fail, |r| refused(r) as f64));
    eprintln!("Fail: refused {m:.1} [{:.1}, {:.1}] per replication, closed form {truth}", ci[0], ci[1]);
    assert_within_ci("refused per replication", m, ci, truth, 1.0);
    assert_eq!(fail.requests.failed, fail.requests.failed_by_cause["residency"], "{:?}", fail.requests);
    let (share, sci) = mean_ci(&per_run(&fail, |r| (r.requests - r.succeeded) as f64 / r.requests as f64));
    eprintln!("Fail: failed share {share:.5} [{:.5}, {:.5}], closed form 0.2", sci[0], sci[1]);
    assert_within_ci("failed share", share, sci, 0.4 * 300.0 / 600.0, 1.0);

    assert_eq!(elsewhere.requests.failed, 0, "{:?}", elsewhere.requests);
    let (v, vci) = mean_ci(&per_run(&elsewhere, |r| r.residency_violations as f64));
    eprintln!("ServeElsewhere: violations {v:.1} [{:.1}, {:.1}], closed form {truth}", vci[0], vci[1]);
    assert_within_ci("violations per replication", v, vci, truth, 1.0);
    // Common random numbers: the same requests reached the store at the same instants in both designs.
    for (a, b) in fail.runs.iter().zip(&elsewhere.runs) {
        assert_eq!(refused(a), b.residency_violations, "replication {}", a.replication);
    }
    let violations = elsewhere.data.residency_violations.expect("a population has a residency");
    assert!((violations.mean - v).abs() < 1e-6, "{violations:?} vs {v}");
    assert!(
        elsewhere.warnings.iter().any(|w| w.contains("served outside their population's data residency"))
    );

    let (rep, rci) = mean_ci(&per_run(&fail, |r| r.usage.replicated_writes[0]));
    eprintln!("Fail: replicated writes {rep:.1} [{:.1}, {:.1}], closed form 10800", rci[0], rci[1]);
    assert_within_ci("replicated writes under Fail", rep, rci, 60.0 * 0.3 * 600.0, 1.0);
    for r in &elsewhere.runs {
        assert_eq!(r.usage.replicated_writes[0], r.usage.writes[0], "replication {}", r.replication);
    }
}

/// eu-west-1 fails whole for 300 s. Route 53 moves `eu` to us-east-1 after its checks fail, and back
/// after they pass again; what differs between the policies is only what us-east-1 does with `eu`'s
/// requests, so with common random numbers each replication's refusals under `Fail` are exactly its
/// violations under `ServeElsewhere`, and no request of `Fail` is ever served outside. Those requests
/// are the ones sent while DNS named us-east-1: at most the outage plus the return (checks, TTL,
/// stale resolvers), at least the outage less the detection and the TTL; `us` never notices.
#[test]
fn a_region_outage_under_fail_never_violates_and_refuses_what_serve_elsewhere_counts() {
    let fail = study(FAIL, REGION_OUTAGE);
    let elsewhere = study(SERVE_ELSEWHERE, REGION_OUTAGE);
    assert_eq!(fail.requests.residency_violations, 0);
    assert_eq!(fail.data.residency_violations.map(|e| e.mean), Some(0.0));
    for (a, b) in fail.runs.iter().zip(&elsewhere.runs) {
        assert_eq!(a.residency_violations, 0, "replication {}", a.replication);
        assert_eq!(refused(a), b.residency_violations, "replication {}", a.replication);
        assert_eq!(refused(b), 0, "replication {}", b.replication);
        let v = b.residency_violations as f64;
        assert!(
            v > 40.0 * (300.0 - 120.0) && v < 40.0 * (300.0 + 300.0),
            "replication {}: {v}",
            b.replication
        );
    }
    for report in [&fail, &elsewhere] {
        let us = report.per_population.iter().find(|p| p.name == "us").expect("us");
        assert_eq!(us.availability.mean, 1.0, "us is not affected: {us:?}");
    }
    let eu = |r: &Report| r.per_population.iter().find(|p| p.name == "eu").expect("eu").availability.mean;
    eprintln!("eu availability: Fail {:.5}, ServeElsewhere {:.5}", eu(&fail), eu(&elsewhere));
    // The refused requests are the price of residency: ServeElsewhere serves them.
    let served = elsewhere.requests.residency_violations as f64 / elsewhere.requests.total as f64;
    let cost = eu(&elsewhere) - eu(&fail);
    assert!((cost * 0.4 - served).abs() < 0.002, "availability cost {cost} vs violations share {served}");
}

/// Paired agreement of sampled and full fidelity on one metric (the tolerance of
/// tests/integration/fidelity.rs: 1.7 half-widths of the paired CI, or exact).
fn agree_paired(what: &str, sampled: &Report, full: &Report, value: fn(&RunRow) -> f64) {
    let a: Vec<Option<f64>> = sampled.runs.iter().map(|r| Some(value(r))).collect();
    let b: Vec<Option<f64>> = full.runs.iter().map(|r| Some(value(r))).collect();
    let d = regionsim::analysis::stats::paired_ci(&a, &b);
    let scale = b.iter().flatten().sum::<f64>() / b.len() as f64;
    eprintln!(
        "{what}: full {scale:.6}, sampled − full {:+.6} (paired 95% CI ±{:.6}): {:.2} of the tolerance",
        d.mean,
        d.half_width(),
        d.mean.abs() / (1.7 * d.half_width())
    );
    assert!(
        d.mean.abs() <= 1.7 * d.half_width() || d.mean.abs() <= 1e-9 * scale.abs(),
        "{what}: sampled − full = {:.6}, paired CI [{:.6}, {:.6}]",
        d.mean,
        d.ci95[0],
        d.ci95[1]
    );
}

/// The shipped pair through a 20-minute outage of eu-west-1 at 200 requests/s: residency adds no
/// state change (a request's fate follows from where DNS and the stores send it), so the sampled
/// windows carry its refusals and violations like any per-request count. Compared as shares of the
/// requests, so that the skipped stretches' drawn arrivals do not add their noise.
#[test]
fn sampled_and_full_fidelity_agree_on_residency() {
    let scenario = r#"(name: "eu-outage", horizon_s: 3600.0, warmup_s: 10.0, replications: 10, seed: 5,
        traffic: (rate_per_s: 200.0), data: (write_fraction: 0.2, keys: 1000),
        outages: [(target: Region("eu-west-1"), start_s: 600.0, duration_s: 1200.0)])"#;
    let files = Files::new("", scenario);
    for (name, value) in [
        ("residency-fail", (|r: &RunRow| refused(r) as f64 / r.requests as f64) as fn(&RunRow) -> f64),
        ("residency-serve-elsewhere", |r: &RunRow| r.residency_violations as f64 / r.requests as f64),
    ] {
        let model = root().join(format!("models/{name}.ron"));
        let sampled =
            run(&load(&model, &files.scenario(), &["fidelity=Sampled()"], None, None).expect("valid"));
        let full = run(&load(&model, &files.scenario(), &["fidelity=Full"], None, None).expect("valid"));
        assert!(sampled.fidelity.fast_forwarded_requests > 0, "sampled fidelity skipped nothing");
        agree_paired(&format!("{name}: residency share"), &sampled, &full, value);
        agree_paired(&format!("{name}: availability"), &sampled, &full, |r| r.availability);
    }
}

/// A residency naming no region, an unknown or repeated one, one the population's routing never
/// sends it to, or one holding no copy of its store leaves it no region at all: a located error.
#[test]
fn a_residency_that_leaves_no_region_is_a_located_error() {
    let good = model(FAIL);
    let cases = [
        (
            good.replace(r#"regions: ["eu-west-1"], when"#, "regions: [], when"),
            "populations[eu].residency.regions: leaves the population no region at all",
        ),
        (
            good.replace(r#"regions: ["eu-west-1"], when"#, r#"regions: ["eu-west-2"], when"#),
            "populations[eu].residency.regions: unknown region 'eu-west-2'; did you mean 'eu-west-1'?",
        ),
        (
            good.replace(r#"regions: ["eu-west-1"], when"#, r#"regions: ["eu-west-1", "eu-west-1"], when"#),
            "populations[eu].residency.regions: region 'eu-west-1' is listed twice",
        ),
        (
            good.replace(
                r#"share: 0.4, residency"#,
                r#"share: 0.4, routing: Failover(order: ["us-east-1"]), residency"#,
            ),
            "populations[eu].residency.regions: leaves the population no region at all: its routing sends it only to us-east-1",
        ),
        (
            good.replace(r#"replicas: ["eu-west-1"],"#, "replicas: [],")
                .replace("multi_writer: true,", "")
                .replace("replication: Async(lag: Fixed(ms: 100.0)),", "replication: None,")
                .replace("promotion: Fixed(s: 0.0),", ""),
            "populations[eu].residency.regions: leaves the population's data no store copy at all: 'data' has copies only in us-east-1",
        ),
        (good.replace("when_unavailable: Fail", "when_unavailable: Never"), "Never"),
    ];
    for (text, expected) in cases {
        assert_ne!(text, good, "the case changes the model: {expected}");
        let files = Files::new(&text, &scenario(STORE_OUTAGE));
        let e = files.load(&[]).map(|_| ()).unwrap_err().to_string();
        assert!(e.contains(expected), "expected {expected:?} in: {e}");
        assert!(e.contains("model.ron:"), "located: {e}");
    }
    assert!(Files::new(&good, &scenario(STORE_OUTAGE)).load(&[]).is_ok());
}

/// `explain`'s static classification of eu-west-1 for `eu`. Once it fails, DNS moves `eu` to
/// us-east-1, which would serve it whole: under `ServeElsewhere` nothing is lost after the failover
/// (redundant, its blast radius the requests sent before DNS moves), under `Fail` us-east-1 refuses
/// every one of them until eu-west-1 is repaired: 100% lost, cascading. `us` never calls eu-west-1.
#[test]
fn explain_makes_the_only_allowed_region_cascading_under_fail() {
    use regionsim::analysis::explain::{Class, explain};
    for (residency, class, lost) in [(FAIL, Class::Cascading, 1.0), (SERVE_ELSEWHERE, Class::Redundant, 0.0)]
    {
        let files = Files::new(&model(residency), &scenario(REGION_OUTAGE));
        let study = files.load(&[]).expect("valid study");
        let e = explain(&study.model, Some(&study.scenario));
        let region = e.domains.iter().find(|d| d.kind == "region" && d.name == "eu-west-1").expect("domain");
        let eu = region.impacts.iter().find(|i| i.population == "eu").expect("eu");
        assert_eq!(eu.class, class, "{residency}: {}", eu.reason);
        assert!((eu.lost_until_repair - lost).abs() < 1e-12, "{residency}: {}", eu.reason);
        assert_eq!(eu.reason.contains("data residency"), class == Class::Cascading, "{}", eu.reason);
        let us = region.impacts.iter().find(|i| i.population == "us").expect("us");
        assert_eq!(us.class, Class::Ignorable, "{}", us.reason);
    }
}
