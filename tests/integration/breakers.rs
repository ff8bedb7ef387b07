//! Client circuit breakers against hand-derived instants, on a deterministic outage: when a breaker
//! opens, what a refused request costs (nothing: it fails at the client), when it closes after the
//! region recovers, where a fallback sends refused requests, and located errors for impossible
//! settings.

use regionsim::model::study::Study;
use regionsim::sim::engine;
use regionsim::sim::trace::{What, Window};

use crate::common::{Files, assert_within_ci, mean_ci, run};

/// Requests per second.
const RATE: f64 = 100.0;
/// The outage of region `a`: from T0 for 10 s.
const T0: f64 = 50.0;
/// The connect timeout (the default): a request reaching a region with nothing up fails this long
/// after it gets there.
const CONNECT_S: f64 = 3.0;
/// One-way time from the clients' office to region `a` (a 100 ms round trip) and to `b` (40 ms).
const ONE_WAY_A: f64 = 0.05;
const RTT_B: f64 = 0.04;
/// Service time: 1 µs, fixed (so almost nothing is in service when the region fails: λ × 1 µs = 10⁻⁴).
const SERVICE_S: f64 = 1e-6;
/// The breaker: 5 failures in a row open it for 30 s; 3 probes close it.
const N: f64 = 5.0;
const OPEN_S: f64 = 30.0;
const K: f64 = 3.0;

/// Clients in an office send 100 requests/s to region `a` (failover order `a`, then `b`); region `a`
/// is down from T0 = 50 s for 10 s. Full fidelity, fixed crossings and service times.
fn study(fallback: &str, sets: &[&str]) -> Study {
    let model = format!(
        r#"(
    name: "breaker",
    regions: [(name: "a", zones: ["a1"]), (name: "b", zones: ["b1"])],
    services: [(
        name: "svc",
        service_time: Fixed(ms: 0.001),
        concurrency: 1000,
        price_usd_per_hour: 0.1,
        deployments: {{ "a": (instances: 1), "b": (instances: 1) }},
    )],
    request_path: ["svc"],
    populations: [(name: "clients", location: "office", share: 1.0, routing: Failover(order: ["a", "b"]),
                   breaker: (consecutive_failures: 5, open_s: 30.0, half_open_probes: 3{fallback}))],
    network: (links: [(a: "office", b: "a", rtt_ms: 100.0), (a: "office", b: "b", rtt_ms: 40.0),
                      (a: "a", b: "b", rtt_ms: 60.0)]),
)"#
    );
    let scenario = r#"(name: "outage", horizon_s: 200.0, warmup_s: 0.0, replications: 40, seed: 12,
        fidelity: Full, traffic: (rate_per_s: 100.0),
        outages: [(target: Region("a"), start_s: 50.0, duration_s: 10.0)])"#;
    Files::new(&model, scenario).load(sets).expect("valid study")
}

/// The instants of replication `rep`'s breaker events, by kind.
fn breaker_events(study: &Study, rep: u32) -> Vec<(&'static str, f64)> {
    let (m, s) = (&study.model, &study.scenario);
    let window = Window { from_s: 0.0, to_s: s.horizon.as_secs_f64() };
    let (_, trace) = engine::run_traced(m, s, s.seed, rep, window).expect("runs");
    trace
        .events
        .iter()
        .filter(|e| {
            matches!(e.what, What::BreakerOpened { .. } | What::BreakerHalfOpen { .. } | What::BreakerClosed)
        })
        .map(|e| (e.what.kind(), e.t_s))
        .collect()
}

/// Time to open, the open interval, and time to close, per replication, against the hand-derived
/// instants. Requests reaching `a` from T0 on find nothing up and fail CONNECT_S after reaching it;
/// the last success is a response already on its way at T0 (seen by T0 + 0.05 s), so the N-th
/// failure in a row is the N-th request sent after T0 − ONE_WAY_A (by memorylessness, Gamma(N, λ)
/// after it), seen ONE_WAY_A + CONNECT_S later: E[open] = T0 + CONNECT_S + N/λ = 53.05 s. The
/// breaker half-opens exactly OPEN_S later (the region is back by then, at 60 s), lets the next K
/// requests through, and closes when the K-th succeeds, a round trip to `a` plus the service after it
/// was sent: E[close − half-open] = K/λ + 2·ONE_WAY_A + SERVICE_S = 0.130001 s. So the time to close
/// after the recovery at 60 s is E = 53.05 + 30 + 0.130001 − 60 = 23.180001 s. It trips once per
/// replication (the probes find the region up).
#[test]
fn a_breaker_opens_at_the_nth_failure_and_closes_after_its_interval_and_probes() {
    let study = study("", &[]);
    let (mut open, mut half, mut close, mut recovered) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for rep in 0..study.scenario.replications {
        let events = breaker_events(&study, rep);
        let kinds: Vec<&str> = events.iter().map(|e| e.0).collect();
        assert_eq!(kinds, ["breaker_opened", "breaker_half_open", "breaker_closed"], "replication {rep}");
        let (o, h, c) = (events[0].1, events[1].1, events[2].1);
        assert!(
            (h - o - OPEN_S).abs() < 1e-6,
            "replication {rep}: half-open {h} s, {} s after opening",
            h - o
        );
        open.push(o);
        half.push(c - h);
        close.push(c - o);
        recovered.push(c - (T0 + 10.0));
    }
    let (m, ci) = mean_ci(&open);
    eprintln!(
        "opened at {m:.4} s [{:.4}, {:.4}], closed {:.4} s after the region recovered",
        ci[0],
        ci[1],
        { mean_ci(&recovered).0 }
    );
    assert_within_ci("time the breaker opens", m, ci, T0 + CONNECT_S + N / RATE, 3.0);
    let (m, ci) = mean_ci(&half);
    assert_within_ci("half-open to closed", m, ci, K / RATE + 2.0 * ONE_WAY_A + SERVICE_S, 3.0);
    // Never sooner than the K-th probe's round trip.
    assert!(half.iter().all(|&d| d >= 2.0 * ONE_WAY_A), "{half:?}");
    let (m, ci) = mean_ci(&recovered);
    let truth = T0 + CONNECT_S + N / RATE + OPEN_S + K / RATE + 2.0 * ONE_WAY_A + SERVICE_S - (T0 + 10.0);
    assert_within_ci("time to close after the recovery", m, ci, truth, 3.0);

    let report = run(&study);
    assert!(report.runs.iter().all(|r| r.breaker_trips == 1), "one trip per replication");
    assert_eq!(report.requests.breaker_trips, u64::from(study.scenario.replications));
}

/// While the breaker is open, a request fails at once at its client: no network time, no connect
/// timeout. With the outage lengthened to 20 s (to 70 s, past the warm-up), observed over [64 s, 80 s]:
/// the breaker opened before 60 s (53 s plus a Gamma(5, 100) of 50 ms mean) and half-opens 30 s later,
/// after 83 s; every request sent before it opened has its outcome by 63.05 s. So every request counted fails as `breaker_open`, and each one's time in the
/// system is zero: the mean number in the system (Little's L, from every request's stay) is exactly 0.
#[test]
fn an_open_breaker_fails_requests_at_once_at_the_client() {
    let study = study("", WINDOW);
    let report = run(&study);
    let r = &report.requests;
    assert!(r.total > 1_000, "{r:?}");
    assert_eq!(r.failed_by_cause["breaker_open"], r.total, "{r:?}");
    for run in &report.runs {
        assert_eq!(run.mean_in_system, 0.0, "replication {}: refused requests took time", run.replication);
        assert_eq!(run.failed_by_cause["breaker_open"], run.requests);
    }
    // The cause reaches the summary and runs.csv.
    let summary = regionsim::present::run::heading(&report);
    assert!(summary.contains("breaker open"), "{summary}");
}

/// With `fallback: NextRegion`, what `a`'s open breaker refuses goes to `b`, the next region of the
/// failover order, whose breaker is closed: over the same [64 s, 80 s] (`a` down until 70 s) every request succeeds, each
/// after one round trip to `b` plus the service, 40.001 ms (the latency histogram's resolution is
/// 3 significant digits, so within 0.1%).
#[test]
fn an_open_breaker_sends_requests_to_the_fallback_region() {
    let study = study(", fallback: NextRegion", WINDOW);
    let report = run(&study);
    assert_eq!(report.requests.succeeded, report.requests.total, "{:?}", report.requests);
    let truth_ms = (RTT_B + SERVICE_S) * 1e3;
    for run in &report.runs {
        let mean = run.latency_mean_ms.expect("successes");
        assert!((mean - truth_ms).abs() < 1e-3 * truth_ms, "replication {}: {mean} ms", run.replication);
    }
}

/// Refused requests per replication, at full and at sampled fidelity, against the hand-derived count:
/// the breaker refuses every request for its 30 s open interval, and, half-open, those that come after
/// the K-th probe was sent until it succeeds (a round trip and the service, 0.100001 s), so
/// E = λ × (30 + 0.100001) = 3,010.0 per replication. Sampled fidelity (a 5 s window) fast-forwards the
/// open stretch from a window of refusals and stops at the end of the open interval, an infrastructure
/// event: the probes run request by request, and the breaker trips once in every replication.
#[test]
fn sampled_fidelity_skips_an_open_breaker_but_not_its_half_open_probes() {
    let truth = RATE * (OPEN_S + 2.0 * ONE_WAY_A + SERVICE_S);
    for fidelity in ["fidelity=Full", "fidelity=Sampled(window_s: 5.0)"] {
        let report = run(&study("", &[fidelity]));
        let refused: Vec<f64> =
            report.runs.iter().map(|r| r.failed_by_cause["breaker_open"] as f64).collect();
        let (m, ci) = mean_ci(&refused);
        eprintln!("{fidelity}: {m:.1} refused per replication [{:.1}, {:.1}]", ci[0], ci[1]);
        assert_within_ci(&format!("{fidelity}: refused per replication"), m, ci, truth, 3.0);
        assert!(report.runs.iter().all(|r| r.breaker_trips == 1), "{fidelity}: one trip per replication");
        if fidelity != "fidelity=Full" {
            assert!(report.runs.iter().all(|r| r.fast_forwarded > 0), "{fidelity}: nothing was skipped");
        }
    }
}

/// The observed stretch of the fail-fast and fallback tests: [64 s, 80 s], the outage lasting 20 s.
const WINDOW: &[&str] = &["warmup_s=64", "horizon_s=80", "outages[0].duration_s=20"];

/// Impossible breaker settings are located errors, and `validate` exits 2 naming each field.
#[test]
fn impossible_breaker_settings_are_located_errors() {
    let files = |breaker: &str| {
        let model = format!(
            r#"(
    name: "breaker",
    regions: [(name: "r", zones: ["z1"])],
    services: [(name: "svc", service_time: Fixed(ms: 1.0), concurrency: 1, price_usd_per_hour: 0.1,
                deployments: {{ "r": (instances: 1) }})],
    request_path: ["svc"],
    populations: [(name: "clients", location: "r", share: 1.0, breaker: {breaker})],
)"#
        );
        let scenario = r#"(name: "x", horizon_s: 10.0, warmup_s: 0.0, replications: 1, seed: 1,
                           traffic: (rate_per_s: 1.0))"#;
        Files::new(&model, scenario)
    };
    let bad = files(
        "(consecutive_failures: 0, failure_ratio: 1.5, window: 10, min_calls: 20, open_s: 0.0, \
         half_open_probes: 0)",
    );
    bad.assert_refused(
        &[],
        &[
            "populations[clients].breaker.consecutive_failures: must be at least 1",
            "populations[clients].breaker.failure_ratio: must be in (0, 1], got 1.5",
            "populations[clients].breaker.min_calls: must be from 1 to the window (10), got 20",
            "populations[clients].breaker.open_s: must be above 0, got 0",
            "populations[clients].breaker.half_open_probes: must be at least 1",
        ],
        "breaker.consecutive_failures",
    );
    for (set, needle) in [
        ("populations[clients].breaker.failure_ratio=0.0", "failure_ratio: must be in (0, 1], got 0"),
        ("populations[clients].breaker.open_s=-1.0", "open_s: must be above 0, got -1"),
    ] {
        files("()").assert_refused(&[set], &[needle], "");
    }
    // The defaults are valid.
    files("()").load(&[]).expect("the defaults are valid");
}

/// The breaker study with `a`'s instance failing a share `p` = 0.1 of its requests (an error at once)
/// for the whole horizon, under sampled fidelity: a steady error rate whose windows rarely trip the
/// breaker (5 failures in a row start at an attempt with probability (1 − p)·p⁵ = 9·10⁻⁶, so about
/// 0.09 per 10,000-request window), but over the 10⁸ attempts of 10⁶ s would, about 900 times.
fn steady_errors(fidelity: &str) -> Study {
    let horizon = if fidelity == "Full" { "2000.0" } else { "1000000.0" };
    study(
        "",
        &[
            &format!("fidelity={fidelity}"),
            &format!("horizon_s={horizon}"),
            "replications=4",
            "outages=[(target: Instance(service: \"svc\", region: \"a\", index: 0), start_s: 0.0, \
             duration_s: 1e7, mode: Failing(share: 0.1))]",
        ],
    )
}

/// The trips sampled fidelity skips over are warned of, and the estimate is the closed form's: the
/// warning's expected trips per replication equal the fast-forwarded attempts × (1 − p)·p⁵ within the
/// window's sampling error of p (a 10,000-request window estimates p = 0.1 to ±0.006 at 95%, and
/// p⁵ moves five times as much: ±30%, taken as the tolerance). Full fidelity simulates every attempt,
/// so it has nothing to warn of.
#[test]
fn breaker_trips_inside_skipped_stretches_are_warned_of_with_their_expected_count() {
    let sampled = run(&steady_errors("Sampled()"));
    let warning = sampled
        .warnings
        .iter()
        .find(|w| w.contains("circuit breakers would be expected to trip"))
        .unwrap_or_else(|| panic!("no skipped-trips warning in {:?}", sampled.warnings));
    let per_replication: f64 = warning
        .split("about ")
        .nth(1)
        .and_then(|t| t.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no count in '{warning}'"));
    let p: f64 = 0.1;
    let skipped_per_replication = sampled.fidelity.fast_forwarded_requests as f64 / 4.0;
    let expected = skipped_per_replication * (1.0 - p) * p.powi(5);
    assert!(expected > 100.0, "the study skips enough for hundreds of trips: {expected}");
    assert!(
        (per_replication / expected - 1.0).abs() < 0.3,
        "warned {per_replication} trips per replication, closed form {expected}"
    );
    let full = run(&steady_errors("Full"));
    assert!(
        !full.warnings.iter().any(|w| w.contains("circuit breakers would be expected to trip")),
        "full fidelity skips nothing: {:?}",
        full.warnings
    );
}
