//! Client retries against closed forms: independent attempt failures with and without a retry budget,
//! and abandoned attempts at the attempt timeout.

use regionsim::analysis::report::Report;

use crate::common::{Files, assert_within_ci, mean_ci, run};

/// One instance of ample capacity whose every attempt fails with probability `p` (a gray failure for the
/// whole run), clients retrying with `retry`.
fn study(p: f64, retry: &str, service: &str) -> Report {
    let model = format!(
        r#"(
    name: "retry",
    regions: [(name: "r", zones: ["z1"])],
    services: [(
        name: "svc",
        service_time: {service},
        concurrency: 1000,
        price_usd_per_hour: 0.1,
        deployments: {{ "r": (instances: 1) }},
    )],
    request_path: ["svc"],
    populations: [(name: "clients", location: "r", share: 1.0, retry: {retry})],
)"#
    );
    let mode = if p > 0.0 { format!(", mode: Failing(share: {p})") } else { String::new() };
    let outages = if p > 0.0 {
        format!(
            r#"[(target: Instance(service: "svc", region: "r", index: 0), start_s: 0.0, duration_s: 5000.0{mode})]"#
        )
    } else {
        "[]".to_string()
    };
    let scenario = format!(
        r#"(name: "retry", horizon_s: 1000.0, warmup_s: 10.0, replications: 20, seed: 4,
            traffic: (rate_per_s: 100.0), outages: {outages})"#
    );
    run(&Files::new(&model, &scenario).load(&[]).expect("valid study"))
}

fn attempts(report: &Report) -> (f64, [f64; 2]) {
    mean_ci(&report.runs.iter().map(|r| r.attempts_per_request).collect::<Vec<_>>())
}

/// Each attempt fails independently with p = 0.5 and clients make up to n + 1 = 3 attempts with no
/// budget: a request succeeds with probability 1 − p³ = 0.875 and takes (1 − p³)/(1 − p) = 1.75
/// attempts on average.
#[test]
fn independent_attempt_failures_give_one_minus_p_to_the_attempts() {
    let report =
        study(0.5, "(max_attempts: 3, backoff: (base_ms: 1.0), budget: Unlimited)", "Fixed(ms: 1.0)");
    let a = &report.availability;
    assert_within_ci("availability with 3 attempts", a.mean, a.ci95, 0.875, 2.0);
    let (mean, ci) = attempts(&report);
    assert_within_ci("attempts per request", mean, ci, 1.75, 2.0);
    assert!(ci[1] - ci[0] < 0.01, "attempts CI {ci:?} too wide");
    assert_eq!(report.requests.retries_refused, 0);
}

/// `retry_on` decides which failures are retried. The failing share's errors are `instance_error`,
/// of class `ServerError`. A policy that retries only timeouts makes every failure final at once:
/// attempts per request are exactly 1 in every replication and availability is 1 − p = 0.5. A policy
/// that retries server errors (and nothing else) gives the closed form of independent attempts again,
/// 1 − p³ = 0.875 and (1 − p³)/(1 − p) = 1.75 attempts.
#[test]
fn retry_on_retries_only_the_failure_classes_it_lists() {
    let excluded = study(
        0.5,
        "(max_attempts: 3, backoff: (base_ms: 1.0), budget: Unlimited, retry_on: [Timeout, Throttled])",
        "Fixed(ms: 1.0)",
    );
    assert_eq!(excluded.requests.attempts, excluded.requests.total, "a failure outside retry_on was retried");
    assert!(excluded.runs.iter().all(|r| r.attempts_per_request == 1.0));
    let a = &excluded.availability;
    assert_within_ci("availability without retrying server errors", a.mean, a.ci95, 0.5, 3.0);

    let included = study(
        0.5,
        "(max_attempts: 3, backoff: (base_ms: 1.0), budget: Unlimited, retry_on: [ServerError])",
        "Fixed(ms: 1.0)",
    );
    let a = &included.availability;
    assert_within_ci("availability retrying server errors", a.mean, a.ci95, 0.875, 2.0);
    let (mean, ci) = attempts(&included);
    assert_within_ci("attempts per request retrying server errors", mean, ci, 1.75, 2.0);
}

/// The same failures under the SDKs' token bucket (500 tokens, 14 per retry, 1 back per first-attempt
/// success, a retry's 14 back when it succeeds). Retries want far more than the bucket pays, so it is
/// empty nearly all the time and retries run at the rate refunds allow: with x retries per request,
/// inflow 0.5 × 1 + 0.5·x × 14 equals outflow 14·x, so x = 1/14. Attempts per request are 1 + 1/14 =
/// 1.0714 and availability 0.5 + 0.5·x = 0.5357 (the initial 500 tokens add 36 retries to 99,000
/// requests: 0.04%).
#[test]
fn a_retry_budget_caps_retries_at_what_its_refunds_pay_for() {
    let report = study(0.5, "(max_attempts: 3, backoff: (base_ms: 1.0))", "Fixed(ms: 1.0)");
    let x = 1.0 / 14.0;
    let a = &report.availability;
    assert_within_ci("availability under the budget", a.mean, a.ci95, 0.5 + 0.5 * x, 3.0);
    let (mean, ci) = attempts(&report);
    assert_within_ci("attempts per request under the budget", mean, ci, 1.0 + x, 3.0);
    // Nearly every failure wanted a retry the bucket could not pay for (the rest had used their three
    // attempts).
    let r = &report.requests;
    assert!(r.retries_refused as f64 > 0.99 * r.failed as f64 && r.retries_refused <= r.failed, "{r:?}");
}

/// Every attempt takes 2 s and clients abandon an attempt after 1 s, three times: every request fails
/// with a timeout after exactly three attempts, while the server serves each abandoned attempt anyway.
/// Without retries, attempts per request are exactly 1.
#[test]
fn abandoned_attempts_time_out_and_are_retried_up_to_the_limit() {
    let report = study(
        0.0,
        "(max_attempts: 3, attempt_timeout_ms: 1000.0, backoff: (base_ms: 10.0), budget: Unlimited)",
        "Fixed(ms: 2000.0)",
    );
    assert_eq!(report.requests.succeeded, 0);
    assert_eq!(report.requests.failed_by_cause["timeout"], report.requests.total);
    assert_eq!(report.requests.attempts, 3 * report.requests.total);

    let plain = study(0.0, "(max_attempts: 1)", "Fixed(ms: 1.0)");
    assert_eq!(plain.requests.attempts, plain.requests.total);
    assert_eq!(plain.requests.succeeded, plain.requests.total);
}

/// Impossible retry settings are located errors.
#[test]
fn impossible_retry_settings_are_located_errors() {
    let model = r#"(
    name: "retry",
    regions: [(name: "r", zones: ["z1"])],
    services: [(name: "svc", service_time: Fixed(ms: 1.0), concurrency: 1, price_usd_per_hour: 0.1,
                deployments: { "r": (instances: 1) })],
    request_path: ["svc"],
    populations: [(name: "clients", location: "r", share: 1.0,
                   retry: (max_attempts: 0, attempt_timeout_ms: 60000.0, backoff: (base_ms: 100.0, cap_ms: 10.0),
                           budget: TokenBucket(tokens: 5, retry_cost: 0), retry_on: []))],
)"#;
    let scenario = r#"(name: "x", horizon_s: 10.0, warmup_s: 0.0, replications: 1, seed: 1,
                       traffic: (rate_per_s: 1.0))"#;
    let errors = Files::new(model, scenario).load(&[]).expect_err("invalid").to_string();
    for needle in [
        "populations[clients].retry.max_attempts",
        "populations[clients].retry.attempt_timeout_ms",
        "populations[clients].retry.backoff.cap_ms",
        "populations[clients].retry.budget.retry_cost",
        "populations[clients].retry.retry_on",
    ] {
        assert!(errors.contains(needle), "no error at {needle} in:\n{errors}");
    }
}

/// Success ratio of the representative replication's timeline from `from_s` to the horizon.
fn success_after(report: &Report, from_s: f64) -> f64 {
    let t = &report.representative.timeline;
    let (mut ok, mut done) = (0, 0);
    for (k, b) in t.buckets.iter().enumerate() {
        if k as f64 * t.bucket_s >= from_s {
            ok += b.succeeded;
            done += b.finished;
        }
    }
    ok as f64 / done.max(1) as f64
}

/// The shipped retry storm, shortened: a 60 s gray failure at t = 120 s in a fleet at 70%. Without a
/// retry budget every attempt keeps timing out long after the trigger ended (over the last 200 s,
/// 300 s after it, almost nothing succeeds: a metastable failure); the same system under the SDKs'
/// retry quota serves normally again, and so does the system whose servers shed load (adaptive LIFO
/// serves the attempts whose clients still wait and lets the abandoned ones age out). The attempts sent
/// per request tell the cause: near three in the storm, near one with the budget. The attempts-and-
/// goodput chart shows the loop (attempts per second far above the requests sent, goodput near zero,
/// after the trigger), and the timeline names the trigger for what it is, a slowdown, not an outage.
#[test]
fn a_retry_storm_outlasts_its_trigger_and_a_retry_budget_shedding_or_a_breaker_ends_it() {
    let sets = ["horizon_s=600", "outages[0].start_s=120", "replications=2"];
    let load = |m: &str| {
        crate::common::load(
            &crate::common::root().join(m),
            &crate::common::root().join("scenarios/retry-storm.ron"),
            &sets,
            None,
            None,
        )
        .expect("valid study")
    };
    let storm = run(&load("models/retry-storm.ron"));
    let budget = run(&load("models/retry-storm-budget.ron"));
    let lifo = run(&load("models/retry-storm-lifo.ron"));
    let breaker = run(&load("models/retry-storm-breaker.ron"));
    let after = |r: &Report| success_after(r, 400.0);
    // A breaker cuts the loop too: open for its 60 s, it refuses what would have fed the queue; its
    // probes after the trigger find the fleet drained.
    assert!(after(&breaker) > 0.999, "the breaker did not end the storm: {}", after(&breaker));
    assert!(breaker.requests.failed_by_cause["breaker_open"] > 0, "{:?}", breaker.requests);
    eprintln!(
        "success after the trigger: storm {:.4}, budget {:.4}, lifo {:.4}",
        after(&storm),
        after(&budget),
        after(&lifo)
    );
    assert!(after(&storm) < 0.05, "the storm ended by itself: {}", after(&storm));
    assert!(after(&budget) > 0.999, "the budget did not end the storm: {}", after(&budget));
    assert!(after(&lifo) > 0.999, "shedding did not end the storm: {}", after(&lifo));
    let per_request = |r: &Report| r.requests.attempts as f64 / r.requests.total as f64;
    assert!(per_request(&storm) > 2.5, "storm attempts per request {}", per_request(&storm));
    assert!(per_request(&budget) < 1.1, "budget attempts per request {}", per_request(&budget));

    // The chart of the loop: after the trigger (t ≥ 400 s), three attempts per request sent and
    // (almost) nothing succeeding in the storm; attempts back to the requests sent with the budget.
    use regionsim::present::chart::AttemptsOverTime;
    let late = |series: &[(f64, f64)]| {
        let v: Vec<f64> = series.iter().filter(|p| p.0 >= 400.0).map(|p| p.1).collect();
        v.iter().sum::<f64>() / v.len() as f64
    };
    let chart = AttemptsOverTime::from_report(&storm).expect("the storm's clients retried");
    let (attempts, sent, goodput) = (late(&chart.attempts), late(&chart.sent), late(&chart.goodput));
    eprintln!("storm after the trigger: {attempts:.0} attempts/s, {sent:.0} sent/s, {goodput:.0} ok/s");
    assert!(attempts > 2.5 * sent && sent > 600.0, "attempts {attempts}/s for {sent}/s sent");
    assert!(goodput < 0.05 * sent, "goodput {goodput}/s");
    let chart = AttemptsOverTime::from_report(&budget).expect("the budget's clients retried");
    assert!(late(&chart.attempts) < 1.01 * late(&chart.sent), "budget: attempts {}", late(&chart.attempts));
    // Without retries there is no such chart (it would repeat the load).
    assert!(AttemptsOverTime::from_report(&crate::support::mmc_short()).is_none());

    // The trigger is a gray failure: its marker says how the region serves, not that it went down.
    let svg = regionsim::present::chart::render_all(&storm)
        .expect("charts")
        .into_iter()
        .find(|c| c.stem == "availability_over_time")
        .expect("an availability timeline")
        .svg;
    assert!(svg.contains("region:us-east-1 slow ×3"), "the marker does not name the slowdown");
    assert!(!svg.contains("us-east-1 down"), "a slowdown is labelled as an outage");
}
