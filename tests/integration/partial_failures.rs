//! Partial failures against closed forms: load-balancer health checks (a crashed instance keeps its
//! share of requests until its checks notice), gray failures (a slowed instance is its own M/M/c, a
//! partly failing one fails its share of its share), and their input errors.

use regionsim::analysis::report::Report;

use crate::analytic::erlang_c;
use crate::common::{Files, mean_ci, run};

fn failed(report: &Report, cause: &str) -> Vec<f64> {
    report.runs.iter().map(|r| r.failed_by_cause.get(cause).copied().unwrap_or(0) as f64).collect()
}

fn failed_total(report: &Report) -> Vec<f64> {
    report.runs.iter().map(|r| r.failed_by_cause.values().sum::<u64>() as f64).collect()
}

/// One region, `instances` instances of `concurrency` exponential servers of mean `mean_ms`, balanced
/// by `balancing`, with `extra` spliced into the service (health checks).
fn model(instances: u32, concurrency: u32, mean_ms: f64, balancing: &str, extra: &str) -> String {
    format!(
        r#"(
    name: "lb",
    regions: [(name: "r", zones: ["z1", "z2"])],
    services: [(
        name: "svc",
        service_time: Exponential(mean_ms: {mean_ms}),
        concurrency: {concurrency},
        price_usd_per_hour: 0.1,
        load_balancing: {balancing},
        {extra}
        deployments: {{ "r": (instances: {instances}) }},
    )],
    request_path: ["svc"],
    populations: [(name: "clients", location: "r", share: 1.0)],
)"#
    )
}

/// Health checks every I = 10 s with a 2 s timeout and an unhealthy threshold of k = 3, four instances
/// behind round-robin at λ = 200/s; instance 0 crashes at t = 100 s for 150 s. Its checks fail from the
/// first check after the crash, which comes U ~ Uniform(0, I) later (its phase is uniform); the k-th
/// failed check is seen at its timeout, so the detection delay is D = U + (k − 1)·I + timeout, with mean
/// I/2 + (k − 1)·I + timeout = 27 s. Until then round-robin sends it every fourth request, each of which
/// fails (`target_down`): E[lost] = λ/4 × 27 s = 1,350 (plus λ/4 × 1 ms held in service at the crash,
/// 0.05). Without health checks the balancer would know at once and lose only those 0.05. Sampled
/// fidelity must see the same: the ejection is a declared change it cannot average over.
#[test]
fn a_crashed_instance_keeps_its_share_until_its_health_checks_notice() {
    let checks = "target_health_check: (interval_s: 10.0, timeout_s: 2.0, healthy_threshold: 3, \
                  unhealthy_threshold: 3),";
    let truth = 200.0 / 4.0 * (10.0 / 2.0 + 2.0 * 10.0 + 2.0) + 200.0 / 4.0 * 0.001;
    for fidelity in ["Full", "Sampled()"] {
        let files = Files::new(
            &model(4, 100, 1.0, "RoundRobin", checks),
            &format!(
                r#"(name: "crash", horizon_s: 300.0, warmup_s: 10.0, replications: 100, seed: 5,
                    fidelity: {fidelity}, traffic: (rate_per_s: 200.0),
                    outages: [(target: Instance(service: "svc", region: "r", index: 0), start_s: 100.0,
                               duration_s: 150.0)])"#
            ),
        );
        let report = run(&files.load(&[]).expect("valid study"));
        let (mean, ci) = mean_ci(&failed_total(&report));
        eprintln!("{fidelity}: lost {mean:.1} [{:.1}, {:.1}], closed form {truth:.2}", ci[0], ci[1]);
        assert!(
            ci[0] <= truth && truth <= ci[1],
            "{fidelity}: lost {mean:.1} CI {ci:?}, closed form {truth:.2}"
        );
        // Power: the interval tells the detection delay apart from k·I (1,500) and from no timeout (1,250).
        assert!(ci[1] - ci[0] < 100.0, "{fidelity}: CI {ci:?} too wide to test anything");
        // Nearly all are the balancer's, not the crash's.
        let (down, _) = mean_ci(&failed(&report, "target_down"));
        assert!(down > 0.99 * mean, "{fidelity}: target_down {down} of {mean}");
    }
}

/// W = C(c, a)/(cμ − λ) + 1/μ: the mean response time of an M/M/c queue [s].
fn mmc_mean_s(c: u32, lambda: f64, mu: f64) -> f64 {
    erlang_c(c, lambda / mu) / (c as f64 * mu - lambda) + 1.0 / mu
}

/// Two instances of c = 2 servers (μ = 100/s) at λ = 240/s; instance 0 is slowed by k = 1.25 for the whole
/// run (a gray failure: it keeps passing its checks and receiving traffic). Random balancing splits the
/// Poisson arrivals into two Poisson streams of 120/s, so each instance is its own M/M/2: the fast one
/// with μ = 100/s (ρ = 0.6), the slow one with μ/k = 80/s (ρ = 0.75); the mean latency is the average of
/// the two Erlang C means. Least-outstanding balancing moves load away from the slow instance: its mean
/// lies below random's, and above that of the pooled M/M/4 with every server fast (the best any
/// balancer could do with these servers).
#[test]
fn a_slowed_instance_is_its_own_mmc_under_random_balancing() {
    let scenario = r#"(name: "slow", horizon_s: 2000.0, warmup_s: 100.0, replications: 40, seed: 3,
        traffic: (rate_per_s: 240.0),
        outages: [(target: Instance(service: "svc", region: "r", index: 0), start_s: 0.0, duration_s: 3000.0,
                   mode: Slow(factor: 1.25))])"#;
    let random_truth = 1e3 * (mmc_mean_s(2, 120.0, 100.0) + mmc_mean_s(2, 120.0, 80.0)) / 2.0;
    let pooled_fast = 1e3 * mmc_mean_s(4, 240.0, 100.0);

    let random = run(&Files::new(&model(2, 2, 10.0, "Random", ""), scenario).load(&[]).expect("valid study"));
    let mean = random.latency_ms.mean.unwrap();
    eprintln!("random: {:.3} ms {:?}, closed form {random_truth:.3} ms", mean.mean, mean.ci95);
    crate::common::assert_within_ci(
        "random, slowed instance: mean [ms]",
        mean.mean,
        mean.ci95,
        random_truth,
        2.0,
    );
    assert!(mean.ci95[1] - mean.ci95[0] < 0.03 * random_truth, "CI {:?} too wide", mean.ci95);
    // Nothing failed: a slow instance is not a down one.
    assert_eq!(random.requests.failed, 0);

    let lor = run(&Files::new(&model(2, 2, 10.0, "LeastOutstanding", ""), scenario)
        .load(&[])
        .expect("valid study"));
    let mean = lor.latency_ms.mean.unwrap();
    eprintln!(
        "least outstanding: {:.3} ms {:?}; bounds ({pooled_fast:.3}, {random_truth:.3})",
        mean.mean, mean.ci95
    );
    assert!(mean.ci95[1] < random_truth, "least outstanding {:?} not below random {random_truth}", mean.ci95);
    assert!(
        mean.ci95[0] > pooled_fast,
        "least outstanding {:?} below the all-fast bound {pooled_fast}",
        mean.ci95
    );
}

/// One instance of four fails a share p = 0.2 of its requests (a gray failure) for the whole run, with no
/// health checks: round-robin gives it a quarter of the requests, so availability is 1 − p/4 = 0.95.
/// Its failures are errors at once (`instance_error`); with `hang`, they are timeouts instead.
#[test]
fn a_partly_failing_instance_fails_its_share_of_its_share() {
    for (hang, cause) in [(false, "instance_error"), (true, "timeout")] {
        let scenario = format!(
            r#"(name: "failing", horizon_s: 400.0, warmup_s: 10.0, replications: 20, seed: 9,
                traffic: (rate_per_s: 200.0),
                outages: [(target: Instance(service: "svc", region: "r", index: 0), start_s: 0.0,
                           duration_s: 1000.0, mode: Failing(share: 0.2, hang: {hang}))])"#
        );
        let report =
            run(&Files::new(&model(4, 100, 1.0, "RoundRobin", ""), &scenario).load(&[]).expect("valid"));
        let a = &report.availability;
        crate::common::assert_within_ci(&format!("availability (hang: {hang})"), a.mean, a.ci95, 0.95, 2.0);
        let (by_cause, _) = mean_ci(&failed(&report, cause));
        let (total, _) = mean_ci(&failed_total(&report));
        assert!(by_cause > 0.999 * total, "hang {hang}: {cause} {by_cause} of {total}");
    }
}

/// Impossible settings are located errors: a health-check timeout not below its interval, a threshold
/// outside ELB's 2 to 10, a slowdown below 1, a failing share above 1.
#[test]
fn impossible_health_checks_and_failure_modes_are_located_errors() {
    let scenario = |outages: &str| {
        format!(
            r#"(name: "bad", horizon_s: 100.0, warmup_s: 0.0, replications: 1, seed: 1,
                traffic: (rate_per_s: 10.0), outages: [{outages}])"#
        )
    };
    let bad_checks = "target_health_check: (interval_s: 5.0, timeout_s: 5.0, unhealthy_threshold: 1),";
    let errors = Files::new(&model(2, 1, 1.0, "RoundRobin", bad_checks), &scenario(""))
        .load(&[])
        .expect_err("invalid")
        .to_string();
    for needle in [
        "services[svc].target_health_check.timeout_s",
        "services[svc].target_health_check.unhealthy_threshold",
    ] {
        assert!(errors.contains(needle), "no error at {needle} in:\n{errors}");
    }
    let errors = Files::new(
        &model(2, 1, 1.0, "RoundRobin", ""),
        &scenario(
            r#"(target: Instance(service: "svc", region: "r", index: 0), start_s: 1.0, duration_s: 1.0,
                mode: Slow(factor: 0.5)),
               (target: Zone("z1"), start_s: 1.0, duration_s: 1.0, mode: Failing(share: 1.5))"#,
        ),
    )
    .load(&[])
    .expect_err("invalid")
    .to_string();
    for needle in ["outages[0].mode.factor", "outages[1].mode.share"] {
        assert!(errors.contains(needle), "no error at {needle} in:\n{errors}");
    }
}
