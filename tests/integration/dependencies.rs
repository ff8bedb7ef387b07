//! Dependencies on shared or managed services, against what a client-side cache does in closed form:
//! its miss rate under Poisson traffic, the requests a Global dependency fails in another region once
//! that region's caches expire, none with a copy per region, a copy's own outage (its region up) in
//! that copy's region only; and the dependencies' input errors.

use regionsim::analysis::report::Report;
use regionsim::sim::engine;
use regionsim::sim::trace::Window;

use crate::common::{Files, assert_within_ci, mean_ci, run};

/// Region `us-east-1` (no service) and `eu-west-1` with one instance of `svc` (ample capacity: 8
/// servers of 1 ms mean at tens of requests per second), its clients next to it, depending on
/// `sign-in` of scope `scope`, cached `ttl` seconds.
fn model(scope: &str, ttl: f64) -> String {
    format!(
        r#"(
    name: "signin",
    regions: [(name: "us-east-1", zones: ["use1-az1"]), (name: "eu-west-1", zones: ["euw1-az1"])],
    dependencies: [(name: "sign-in", scope: {scope}, cache_ttl_s: {ttl})],
    services: [(
        name: "svc",
        service_time: Exponential(mean_ms: 1.0),
        concurrency: 8,
        price_usd_per_hour: 0.1,
        depends_on: ["sign-in"],
        deployments: {{ "eu-west-1": (instances: 1) }},
    )],
    request_path: ["svc"],
    populations: [(name: "clients", location: "eu-west-1", share: 1.0)],
    network: (builtin: "aws-p50-2025", connect_timeout_ms: 500.0, request_timeout_ms: 2000.0),
)"#
    )
}

/// Steady traffic at `rate` requests/s for 2,000 s observed after a 10 s warm-up, at full fidelity.
fn steady(rate: f64) -> String {
    format!(
        r#"(name: "steady", horizon_s: 2010.0, warmup_s: 10.0, replications: 8, seed: 7,
    traffic: (rate_per_s: {rate}))"#
    )
}

fn failed(report: &Report, cause: &str) -> Vec<f64> {
    report.runs.iter().map(|r| r.failed_by_cause.get(cause).copied().unwrap_or(0) as f64).collect()
}

/// The cache's miss rate. After a call the entry is valid for T; the next call is made by the first
/// request after it expires, Exp(λ) later (memoryless). Calls are a renewal process with cycles of mean
/// T + 1/λ: λ/(1 + λT) calls per second. With λ = 10/s and T = 1 s that is 0.909/s (a miss for 1 request
/// in 11); with T = 0 every request calls (λ); with λ = 2/s and T = 5 s, 0.182/s.
#[test]
fn cache_misses_per_second_are_lambda_over_one_plus_lambda_t() {
    for (lambda, ttl) in [(10.0, 1.0), (10.0, 0.0), (2.0, 5.0)] {
        let files = Files::new(&model("Regional", ttl), &steady(lambda));
        let report = run(&files.load(&[]).expect("valid study"));
        let per_s: Vec<f64> = report.runs.iter().map(|r| r.usage.dependency_calls[0] / 2000.0).collect();
        let (m, ci) = mean_ci(&per_s);
        let truth = lambda / (1.0 + lambda * ttl);
        eprintln!(
            "λ {lambda}/s, T {ttl} s: {m:.4} calls/s [{:.4}, {:.4}], closed form {truth:.4}",
            ci[0], ci[1]
        );
        assert_within_ci(&format!("calls/s at λ {lambda}, T {ttl}"), m, ci, truth, 1.0);
        // Power: the interval excludes a miss rate 3% off.
        assert!(ci[1] - ci[0] < 0.03 * truth, "λ {lambda}, T {ttl}: CI {ci:?} too wide");
        assert_eq!(report.requests.failed, 0, "nothing fails while sign-in is up");
    }
    // At sampled fidelity the skipped stretches' calls are added in closed form at the window's rate.
    let files = Files::new(&model("Regional", 1.0), &steady(10.0));
    let sampled = "fidelity=Sampled(settle_s: 5.0, window_s: 20.0, lead_s: 30.0)";
    let report = run(&files.load(&[sampled]).expect("valid study"));
    let per_s: Vec<f64> = report.runs.iter().map(|r| r.usage.dependency_calls[0] / 2000.0).collect();
    let (m, ci) = mean_ci(&per_s);
    eprintln!("sampled: {m:.4} calls/s [{:.4}, {:.4}], closed form {:.4}", ci[0], ci[1], 10.0 / 11.0);
    assert!((m - 10.0 / 11.0).abs() < 0.02 * 10.0 / 11.0, "sampled calls/s {m} ({ci:?})");
}

/// us-east-1 (where sign-in lives) fails for D = 1,000 s from S = 500 s; λ = 20/s, T = 10 s. No request
/// fails before S (the copy is up) nor after S + D (it is back); the instance in eu-west-1 serves from its
/// cache until the entry expires at S + R, then every request fails until S + D. At a time S
/// independent of the traffic the cache is in a valid stretch with probability T/(T + 1/λ), with R
/// uniform on [0, T] there, and expired otherwise (R = 0): E[R] = λT²/(2(1 + λT)) = 4.975 s, and the
/// requests that fail number λ(D − E[R]) = 19,900.5 on average. Their spread (Poisson, ±141, and λ·sd(R),
/// ±58) makes the interval about ±100 over 10 replications, sharp enough to see E[R] (99.5 requests).
#[test]
fn a_global_dependency_fails_another_region_once_its_caches_expire() {
    let (lambda, ttl, d) = (20.0, 10.0, 1000.0);
    let scenario = r#"(name: "home-down", horizon_s: 2010.0, warmup_s: 10.0, replications: 10, seed: 3,
        traffic: (rate_per_s: 20.0),
        outages: [(target: Region("us-east-1"), start_s: 500.0, duration_s: 1000.0)])"#;
    let files = Files::new(&model(r#"Global(home: "us-east-1")"#, ttl), scenario);
    let report = run(&files.load(&[]).expect("valid study"));
    let failures = failed(&report, "dependency_unavailable");
    let (m, ci) = mean_ci(&failures);
    let remaining = lambda * ttl * ttl / (2.0 * (1.0 + lambda * ttl));
    let truth = lambda * (d - remaining);
    eprintln!("global sign-in: {m:.1} failed [{:.1}, {:.1}], closed form {truth:.1}", ci[0], ci[1]);
    assert_within_ci("requests failed by a global dependency", m, ci, truth, 1.0);
    // Every failure is the dependency's, and always between the bounds λ(D − T) and λD in the mean.
    assert_eq!(report.requests.failed, failures.iter().sum::<f64>() as u64, "{:?}", report.requests);
    assert!(m > lambda * (d - ttl) - 3.0 * 141.0 && m < lambda * d + 3.0 * 141.0);
    // The calls are the model's: the instance called in every valid stretch outside the outage.
    assert!(report.runs.iter().all(|r| r.usage.dependency_calls[0] > 0.0));
    // Sampled fidelity sees the expiry (declared as a change) instead of averaging over it.
    let sampled = run(&files
        .load(&["fidelity=Sampled(settle_s: 5.0, window_s: 20.0, lead_s: 30.0)"])
        .expect("valid study"));
    let (ms, cis) = mean_ci(&failed(&sampled, "dependency_unavailable"));
    eprintln!("sampled: {ms:.1} failed [{:.1}, {:.1}]", cis[0], cis[1]);
    assert_within_ci("failures at sampled fidelity", ms, cis, truth, 1.5);
}

/// With a copy in every region the same outage of us-east-1 fails nothing in eu-west-1: its copy is up.
#[test]
fn a_regional_dependency_does_not_fail_another_region() {
    let scenario = r#"(name: "home-down", horizon_s: 2010.0, warmup_s: 10.0, replications: 3, seed: 3,
        traffic: (rate_per_s: 20.0),
        outages: [(target: Region("us-east-1"), start_s: 500.0, duration_s: 1000.0)])"#;
    let files = Files::new(&model("Regional", 10.0), scenario);
    let report = run(&files.load(&[]).expect("valid study"));
    assert_eq!(report.requests.failed, 0, "{:?}", report.requests);
    // And the same model, its eu-west-1 failed instead, fails there (the instance is down).
    let own = run(&files.load(&[r#"outages[0].target=Region("eu-west-1")"#]).expect("valid study"));
    assert!(own.requests.failed > 0);
}

/// `svc` deployed in both regions (one instance each, ample capacity), a population next to each at
/// 50% of the traffic (latency routing keeps each at home), depending on a `Regional` `sign-in` cached
/// `ttl` seconds.
fn two_regions(ttl: f64) -> String {
    model("Regional", ttl)
        .replace(
            r#"deployments: { "eu-west-1": (instances: 1) }"#,
            r#"deployments: { "us-east-1": (instances: 1), "eu-west-1": (instances: 1) }"#,
        )
        .replace(
            r#"populations: [(name: "clients", location: "eu-west-1", share: 1.0)]"#,
            r#"populations: [(name: "east", location: "us-east-1", share: 0.5), (name: "west", location: "eu-west-1", share: 0.5)]"#,
        )
}

/// The eu-west-1 copy of a Regional sign-in fails on its own (both regions stay up) for D = 1,000 s from
/// S = 500 s; 40 requests/s in all, λ = 20/s at each region's instance, T = 10 s. As for a global
/// dependency's home region (above), eu-west-1's instance serves from its cache until it expires at S + R,
/// then fails every request until S + D: at a time S independent of the traffic the entry is valid with
/// probability λT/(1 + λT), its remaining time uniform on [0, T], so E[R] = λT²/(2(1 + λT)) = 4.975 s and
/// λ(D − E[R]) = 19,900.5 requests fail on average. us-east-1's copy is up: its users lose nothing. At
/// sampled fidelity the copy's failure is a change that takes away and each cache expiry is declared as
/// one, so the same replications (common random numbers) agree with full fidelity within the paired CI.
#[test]
fn a_dependency_copy_down_fails_its_region_once_the_caches_expire() {
    let (lambda, ttl, d) = (20.0, 10.0, 1000.0);
    let scenario = r#"(name: "copy-down", horizon_s: 2010.0, warmup_s: 10.0, replications: 10, seed: 5,
        traffic: (rate_per_s: 40.0),
        outages: [(target: Dependency(dependency: "sign-in", region: "eu-west-1"), start_s: 500.0, duration_s: 1000.0)])"#;
    let files = Files::new(&two_regions(ttl), scenario);
    let study = files.load(&[]).expect("valid study");
    let report = run(&study);
    let failures = failed(&report, "dependency_unavailable");
    let (m, ci) = mean_ci(&failures);
    let truth = lambda * (d - lambda * ttl * ttl / (2.0 * (1.0 + lambda * ttl)));
    eprintln!("regional copy down: {m:.1} failed [{:.1}, {:.1}], closed form {truth:.1}", ci[0], ci[1]);
    assert_within_ci("requests failed by a regional copy's outage", m, ci, truth, 1.0);
    assert_eq!(report.requests.failed, failures.iter().sum::<f64>() as u64, "{:?}", report.requests);
    let east = report.per_population.iter().find(|p| p.name == "east").expect("east");
    assert!(east.requests > 0 && east.succeeded == east.requests, "east loses nothing: {east:?}");
    // The trace names the copy going down and coming back.
    let (model, sc) = (&study.model, &study.scenario);
    let window = Window { from_s: 0.0, to_s: sc.horizon.as_secs_f64() };
    let trace = engine::run_traced(model, sc, sc.seed, 0, window).expect("runs traced").1;
    let at = |kind: &str| {
        trace
            .events
            .iter()
            .find(|e| e.what.kind() == kind && e.component.as_deref() == Some("dependency:sign-in@eu-west-1"))
            .map(|e| (e.t_s, e.region.clone()))
    };
    assert_eq!(at("down"), Some((500.0, Some("eu-west-1".to_string()))));
    assert_eq!(at("up"), Some((1500.0, Some("eu-west-1".to_string()))));
    // Sampled against full, replication by replication.
    let sampled = run(&files
        .load(&["fidelity=Sampled(settle_s: 5.0, window_s: 20.0, lead_s: 30.0)"])
        .expect("valid study"));
    let diffs: Vec<f64> =
        failed(&sampled, "dependency_unavailable").iter().zip(&failures).map(|(s, f)| s - f).collect();
    let (md, cid) = mean_ci(&diffs);
    eprintln!("sampled − full: {md:.1} [{:.1}, {:.1}]", cid[0], cid[1]);
    assert_within_ci("sampled − full failures", md, cid, 0.0, 1.5);
    assert!(sampled.fidelity.fast_forwarded_requests > 0, "sampled skips: {:?}", sampled.fidelity);
}

/// Unknown dependency names, an unknown home region, a negative TTL and a name defined twice are
/// located errors naming the field.
#[test]
fn dependency_input_errors_are_located() {
    let good = model(r#"Global(home: "us-east-1")"#, 300.0);
    let cases = [
        (
            good.replace(r#"depends_on: ["sign-in"]"#, r#"depends_on: ["signin"]"#),
            "services[svc].depends_on: unknown dependency 'signin'; known (the model's dependencies): sign-in; did you mean 'sign-in'?",
        ),
        (
            good.replace(r#"home: "us-east-1""#, r#"home: "us-east-2""#),
            "dependencies[sign-in].scope.home: unknown region 'us-east-2'",
        ),
        (good.replace("cache_ttl_s: 300", "cache_ttl_s: -1.0"), "dependencies[sign-in].cache_ttl_s: must be"),
        (
            good.replace(
                r#"dependencies: [(name: "sign-in""#,
                r#"dependencies: [(name: "sign-in", scope: Regional), (name: "sign-in""#,
            ),
            "dependencies[sign-in]: dependency 'sign-in' is defined twice",
        ),
    ];
    // An outage of a copy that does not exist: a global dependency's copy outside its home, an unknown
    // dependency.
    for (target, expected) in [
        (
            r#"Dependency(dependency: "sign-in", region: "eu-west-1")"#,
            "outages[0].target: dependency 'sign-in' is global, with its only copy in 'us-east-1', not 'eu-west-1'",
        ),
        (
            r#"Dependency(dependency: "signin", region: "us-east-1")"#,
            "outages[0].target: unknown dependency 'signin'; known (the model's dependencies): sign-in; did you mean 'sign-in'?",
        ),
    ] {
        let scenario = format!(
            r#"(name: "s", horizon_s: 100.0, replications: 2, seed: 1, traffic: (rate_per_s: 1.0),
            outages: [(target: {target}, start_s: 10.0, duration_s: 10.0)])"#
        );
        let e = Files::new(&good, &scenario).load(&[]).map(|_| ()).unwrap_err().to_string();
        assert!(e.contains(expected), "expected {expected:?} in: {e}");
    }
    for (text, expected) in cases {
        assert_ne!(text, good, "the case changes the model: {expected}");
        let files = Files::new(&text, &steady(1.0));
        let e = files.load(&[]).map(|_| ()).unwrap_err().to_string();
        assert!(e.contains(expected), "expected {expected:?} in: {e}");
        assert!(e.contains("model.ron:"), "located: {e}");
    }
}
