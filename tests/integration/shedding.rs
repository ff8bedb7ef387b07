//! Load shedding under overload, against what queueing theory says each discipline does at twice the
//! capacity with clients that give up after T = 1 s: FIFO's goodput collapses, deadline-aware shedding
//! and adaptive LIFO keep it at capacity; and the discipline's input errors.

use regionsim::analysis::report::Report;

use crate::common::{Files, assert_within_ci, mean_ci, run};

/// One instance of c = 10 exponential servers of mean 10 ms (capacity cμ = 1,000 requests/s), clients
/// in the same region with a 1 s request timeout, the queue run by `discipline`.
fn model(discipline: &str) -> String {
    format!(
        r#"(
    name: "overload",
    regions: [(name: "r", zones: ["z1"])],
    services: [(
        name: "svc",
        service_time: Exponential(mean_ms: 10.0),
        concurrency: 10,
        price_usd_per_hour: 0.1,
        queue_discipline: {discipline},
        deployments: {{ "r": (instances: 1) }},
    )],
    request_path: ["svc"],
    populations: [(name: "clients", location: "r", share: 1.0)],
    network: (connect_timeout_ms: 500.0, request_timeout_ms: 1000.0),
)"#
    )
}

/// λ = 2,000 requests/s, twice the capacity; 50 s observed after a 10 s warm-up (the queue fills in
/// about a second), 6 replications.
const OVERLOAD: &str = r#"(name: "twice", horizon_s: 60.0, warmup_s: 10.0, replications: 6, seed: 11,
    traffic: (rate_per_s: 2000.0))"#;

/// Successful requests per second of each replication.
fn goodput(report: &Report) -> Vec<f64> {
    report.runs.iter().map(|r| r.succeeded as f64 / 50.0).collect()
}

fn failed(report: &Report, cause: &str) -> u64 {
    report.runs.iter().map(|r| r.failed_by_cause.get(cause).copied().unwrap_or(0)).sum()
}

/// FIFO at 2× overload: the ten servers never idle, so dequeues are a Poisson process of rate ν = cμ =
/// 1,000/s, and each takes the oldest request whose client still waits. Shift each dequeue back by T:
/// it becomes a boundary that takes the first untaken arrival after it. Boundaries (rate ν) waiting for
/// an arrival (rate λ = 2,000/s), served first come first served, are an M/M/1 queue, so a served
/// request's slack X (the time its client has left) is that queue's sojourn, Exp(λ − ν). It succeeds
/// only if its service S ~ Exp(μ) fits: P(S < X) = μ/(μ + λ − ν) = 100/1,100, and goodput is
/// ν·μ/(μ + λ − ν) = 90.9/s.
///
/// Deadline-aware shedding (slack 0.5) admits a request only while the predicted wait plus a mean
/// service, q × 1 ms + 10 ms, is within half its 1 s: the queue settles at q ≈ 490, each admitted request
/// waits about 0.49 s (± √490 × 1 ms ≈ 22 ms) and finishes long before its deadline, and the servers
/// never idle: goodput = cμ = 1,000/s (the ~490 requests queued at the warm-up's end, not counted, are
/// matched by the ~490 queued at the horizon, served in the drain), the rest shed at once (`shed`).
///
/// Adaptive LIFO (after 100 ms): the servers take the newest requests, which have waited about an
/// interarrival time, so from the window's start every request served is a counted one that succeeds:
/// cμ = 1,000/s. The queue holds the (λ − cμ)·T = 1,000 that will age out, uniformly aged over the last
/// T; after the horizon, serving the newest at cμ while the oldest expire, it empties after T/2, having
/// served 500 more: goodput (50 s × 1,000 + 500)/50 s = 1,010/s.
#[test]
fn at_twice_the_capacity_fifo_goodput_collapses_and_shedding_keeps_it_at_capacity() {
    let (lambda, nu, mu) = (2000.0, 1000.0, 100.0);
    let cases = [
        ("Fifo", nu * mu / (mu + lambda - nu)),
        ("DeadlineAware()", nu),
        ("AdaptiveLifo()", nu + (lambda - nu) * 1.0 / 2.0 / 50.0),
    ];
    for (discipline, truth) in cases {
        let files = Files::new(&model(discipline), OVERLOAD);
        let report = run(&files.load(&[]).expect("valid study"));
        let (g, ci) = mean_ci(&goodput(&report));
        eprintln!("{discipline}: goodput {g:.1}/s [{:.1}, {:.1}], closed form {truth:.1}/s", ci[0], ci[1]);
        assert_within_ci(&format!("{discipline} goodput"), g, ci, truth, 1.0);
        // Power: FIFO's interval excludes half its value, the others' a 1% loss.
        assert!(ci[1] - ci[0] < 0.02 * truth.max(400.0), "{discipline}: CI {ci:?} too wide");
        let (shed, timeouts) = (failed(&report, "shed"), failed(&report, "timeout"));
        let arrived: u64 = report.runs.iter().map(|r| r.requests).sum();
        let share = |n: u64| n as f64 / arrived as f64;
        if discipline.starts_with("Deadline") {
            // Half the arrivals are turned away at once instead of after a second.
            assert!((share(shed) - 0.5).abs() < 0.01, "shed {shed} of {arrived}");
            assert!(share(timeouts) < 0.001, "timeouts {timeouts} of {arrived}");
        } else {
            assert_eq!(shed, 0, "{discipline} sheds nothing");
        }
    }
}

/// Below capacity a discipline changes nothing a user sees: at 50% utilisation the queue is rarely long
/// (P(wait > 100 ms) for an M/M/10 at ρ = 0.5 is below 1e-10), so adaptive LIFO never switches and
/// deadline-aware shedding never sheds: every request succeeds under each.
#[test]
fn below_capacity_the_disciplines_shed_nothing() {
    for discipline in ["Fifo", "DeadlineAware()", "AdaptiveLifo(after_ms: 100.0)"] {
        let files = Files::new(&model(discipline), OVERLOAD);
        let report = run(&files.load(&["traffic.rate_per_s=500", "replications=2"]).expect("valid study"));
        let failed: u64 = report.runs.iter().map(|r| r.failed_by_cause.values().sum::<u64>()).sum();
        assert_eq!(failed, 0, "{discipline}: {:?}", report.requests.failed_by_cause);
    }
}

/// A slack outside (0, 1] and a negative switch-over wait are located errors naming the field.
#[test]
fn queue_discipline_settings_out_of_range_are_located_errors() {
    for (discipline, expected) in [
        ("DeadlineAware(slack: 0.0)", "queue_discipline.slack: must be above 0 and at most 1"),
        ("DeadlineAware(slack: 1.5)", "queue_discipline.slack: must be above 0 and at most 1"),
        ("AdaptiveLifo(after_ms: -1.0)", "queue_discipline.after_ms: must be from 0 to 3600000 ms"),
    ] {
        let files = Files::new(&model(discipline), OVERLOAD);
        let e = files.load(&[]).map(|_| ()).unwrap_err().to_string();
        assert!(e.contains(expected), "{discipline}: {e}");
        assert!(e.contains("model.ron:"), "{discipline}: located: {e}");
    }
}
