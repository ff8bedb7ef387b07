//! The DNS layer as a fault domain (issue 13, its last gap): while the authoritative servers are down a
//! request whose client's cached answer is still valid works, and one whose client needs to resolve
//! fails (`dns_unavailable`). Checked against closed forms derived here: λ(D − TTL/2) for clients that
//! respect the TTL, λ·D²/(2·TTL) for an outage shorter than the TTL, X longer for violators with a fixed
//! extra staleness X, the integral of the log-normal violators' expiry for the default, the share whose
//! resolvers serve stale kept up; a failure process; sampled against full fidelity; located errors;
//! `explain` and `--simulate`; the story.

use regionsim::analysis::report::Report;

use crate::common::{Files, assert_within_ci, load, mean_ci, root, run};

/// `models/single-region.ron` (users-us 80% and users-eu 20% of the traffic, no retries, DNS steering
/// with a 60 s TTL) on `scenarios/dns-outage.ron` at 50 requests/s in all, 20 minutes, 20 replications,
/// full fidelity, with extra `--set`s.
fn study(sets: &[&str]) -> regionsim::model::study::Study {
    let mut all = vec!["traffic.rate_per_s=50", "horizon_s=1200", "fidelity=Full"];
    all.extend_from_slice(sets);
    load(
        &root().join("models/single-region.ron"),
        &root().join("scenarios/dns-outage.ron"),
        &all,
        Some(20),
        None,
    )
    .expect("the shipped files load")
}

/// The DNS layer down for 300 s from t = 600 s.
const OUTAGE: &str = "outages=[(target: Dns, start_s: 600.0, duration_s: 300.0)]";
/// Every client respects the 60 s TTL.
const NO_VIOLATORS: &str =
    "steering=Dns(ttl_s: 60.0, ttl_violators: (share: 0.0, extra_staleness: Fixed(s: 0.0)))";

fn dns_failures(report: &Report) -> Vec<f64> {
    report.runs.iter().map(|r| r.failed_by_cause["dns_unavailable"] as f64).collect()
}

/// A population's failed requests per replication, on average (the report keeps its totals).
fn mean_failed_in(report: &Report, population: &str) -> f64 {
    let p = report.per_population.iter().find(|p| p.name == population).expect("the population is reported");
    (p.requests - p.succeeded) as f64 / report.runs.len() as f64
}

/// ∫₀^D of P(S ≤ τ) dτ = E[(D − S)⁺] for S = TTL·U + X, X log-normal (median m, log-sigma σ), U uniform:
/// computed here by Simpson's rule over y = ln x, independently of the engine's tabulated integral.
/// For a given x, E_U[(a − TTL·U)⁺] with a = D − x is a − TTL/2 when a ≥ TTL, a²/(2·TTL) when
/// 0 < a < TTL, and 0 otherwise.
fn violators_exposure(d: f64, ttl: f64, median: f64, sigma: f64) -> f64 {
    let g = |x: f64| {
        let a = d - x;
        if a >= ttl {
            a - ttl / 2.0
        } else if a > 0.0 {
            a * a / (2.0 * ttl)
        } else {
            0.0
        }
    };
    let mu = median.ln();
    let (lo, hi) = (mu - 12.0 * sigma, d.ln());
    let n = 200_000;
    let h = (hi - lo) / n as f64;
    let f = |y: f64| {
        let z = (y - mu) / sigma;
        g(y.exp()) * (-0.5 * z * z).exp() / (sigma * (2.0 * std::f64::consts::PI).sqrt())
    };
    let mut sum = f(lo) + f(hi);
    for k in 1..n {
        sum += f(lo + k as f64 * h) * if k % 2 == 1 { 4.0 } else { 2.0 };
    }
    sum * h / 3.0
}

/// Closed form, every client respecting the TTL (60 s): a request at t in the outage fails iff its cache
/// age S, uniform on [0, 60), is at most t − t0, so the failing share is min(1, (t − t0)/60), and an
/// outage of D = 300 s ≥ TTL loses λ(D − TTL/2) = 50 × 270 = 13,500 requests per replication (a thinned
/// Poisson count, sd 116, so 20 replications give a CI of about ±54); users-us, 80% of them: 10,800.
/// Nothing else fails (no region is down, no health check flips, no failover begins). Time availability
/// as users see it is the same integral over the 1,190 s observed, exactly: 1 − 270/1,190; as the
/// authoritative DNS sees it, every population is out for the whole outage: 1 − 300/1,190.
#[test]
fn a_dns_outage_fails_the_clients_whose_caches_expire_lambda_times_d_minus_half_a_ttl() {
    let report = run(&study(&[OUTAGE, NO_VIOLATORS]));
    let (m, ci) = mean_ci(&dns_failures(&report));
    eprintln!("dns_unavailable per replication {m:.1} [{:.1}, {:.1}], closed form 13500", ci[0], ci[1]);
    assert_within_ci("requests that could not resolve", m, ci, 50.0 * 270.0, 3.0);
    assert!(ci[1] - ci[0] < 0.02 * 13_500.0, "CI {ci:?} too wide to tell 1% apart");
    assert!(
        (m - 50.0 * 300.0).abs() > 10.0 * (ci[1] - ci[0]),
        "λ·D (every request of the outage failing) must be told apart from λ(D − TTL/2)"
    );
    assert_eq!(
        report.requests.failed, report.requests.failed_by_cause["dns_unavailable"],
        "{:?}",
        report.requests
    );
    let us = mean_failed_in(&report, "users-us");
    assert!((us - 0.8 * 13_500.0).abs() < 3.0 * 0.8 * (ci[1] - ci[0]), "users-us lost {us} per replication");
    assert!(report.runs.iter().all(|r| r.failovers == 0), "no failover: every region serves");
    let (users, infra) = (1.0 - 270.0 / 1190.0, 1.0 - 300.0 / 1190.0);
    for run in &report.runs {
        assert!((run.time_availability - users).abs() < 1e-6, "{} vs {users}", run.time_availability);
        assert!(
            (run.time_availability_infra - infra).abs() < 1e-9,
            "{} vs {infra}",
            run.time_availability_infra
        );
    }
}

/// An outage shorter than the TTL, D = 30 s < 60 s: the failing share (t − t0)/60 never reaches 1, and
/// the loss is λ·D²/(2·TTL) = 50 × 900 / 120 = 375 per replication (sd 19, CI ≈ ±9); half the outage's
/// requests would be 750.
#[test]
fn an_outage_shorter_than_the_ttl_loses_lambda_d_squared_over_two_ttl() {
    let outage = "outages=[(target: Dns, start_s: 600.0, duration_s: 30.0)]";
    let report = run(&study(&[outage, NO_VIOLATORS]));
    let (m, ci) = mean_ci(&dns_failures(&report));
    eprintln!("dns_unavailable per replication {m:.1} [{:.1}, {:.1}], closed form 375", ci[0], ci[1]);
    assert_within_ci("requests that could not resolve, D < TTL", m, ci, 375.0, 3.0);
}

/// Half the clients ignore the TTL by a fixed X = 120 s (S = 60·U + 120 for them): they fail only once
/// t − t0 > X, and lose λ/2·(D − X − TTL/2) = 25 × 150 = 3,750, while the other half lose
/// λ/2·(D − TTL/2) = 25 × 270 = 6,750: the violators keep working X = 120 s longer. In all 10,500 per
/// replication (sd 102, CI ≈ ±48).
#[test]
fn clients_that_ignore_the_ttl_keep_working_their_extra_staleness_longer() {
    let steering = "steering=Dns(ttl_s: 60.0, ttl_violators: (share: 0.5, extra_staleness: Fixed(s: 120.0)))";
    let report = run(&study(&[OUTAGE, steering]));
    let (m, ci) = mean_ci(&dns_failures(&report));
    eprintln!("dns_unavailable per replication {m:.1} [{:.1}, {:.1}], closed form 10500", ci[0], ci[1]);
    assert_within_ci(
        "requests that could not resolve, fixed violators",
        m,
        ci,
        25.0 * 270.0 + 25.0 * 150.0,
        3.0,
    );
}

/// The default violators (10% of clients, extra staleness log-normal with median 150 s and log-sigma
/// 2.2, Flavel 2014) and users-us's resolvers serving stale for a quarter of its clients
/// (`serve_stale_share: 0.25`): population p loses λ_p·(1 − σ_p)·[0.9·(D − 30) + 0.1·E[(D − S_v)⁺]],
/// the last term integrated numerically here ([`violators_exposure`]). users-us: λ = 40/s, σ = 0.25;
/// users-eu: λ = 10/s, σ = 0.
#[test]
fn the_default_violators_and_serve_stale_resolvers_lose_the_integral_of_the_expired_share() {
    let exposure = 0.9 * (300.0 - 30.0) + 0.1 * violators_exposure(300.0, 60.0, 150.0, 2.2);
    let study = study(&[OUTAGE, "steering=Dns(ttl_s: 60.0)", "populations[users-us].serve_stale_share=0.25"]);
    let report = run(&study);
    let truth = 40.0 * 0.75 * exposure + 10.0 * exposure;
    let (m, ci) = mean_ci(&dns_failures(&report));
    eprintln!(
        "exposure {exposure:.2} s; dns_unavailable {m:.1} [{:.1}, {:.1}], closed form {truth:.1}",
        ci[0], ci[1]
    );
    assert_within_ci("requests that could not resolve, default violators", m, ci, truth, 3.0);
    // Without serve-stale, users-us would lose a third more: the two are told apart.
    assert!((m - 50.0 * exposure).abs() > 10.0 * (ci[1] - ci[0]), "serve-stale must keep clients up");
    let eu = mean_failed_in(&report, "users-eu");
    assert!(
        (eu - 10.0 * exposure).abs() < 3.0 * (ci[1] - ci[0]),
        "users-eu lost {eu}, closed form {}",
        10.0 * exposure
    );
}

/// A failure process on the DNS layer with fixed up and down times, 400 s and 100 s: down over
/// [400, 500) and [900, 1000) of the 1,200 s horizon; each outage of D = 100 s ≥ TTL loses
/// λ(D − TTL/2) = 50 × 70, so 7,000 per replication (sd 84, CI ≈ ±39).
#[test]
fn a_dns_failure_process_takes_the_layer_down_for_its_repair_times() {
    let failures =
        "failures=[(kind: Dns, time_to_failure: Fixed(s: 400.0), time_to_repair: Fixed(s: 100.0))]";
    let report = run(&study(&["outages=[]", failures, NO_VIOLATORS]));
    let (m, ci) = mean_ci(&dns_failures(&report));
    assert_within_ci("requests that could not resolve, failure process", m, ci, 7_000.0, 3.0);
}

/// The shipped scenario on the model it names (`active-passive`: 60 s TTL, the default violators, the
/// SDKs' retries), at 50 requests/s: sampled fidelity runs the outage request by request and skips the
/// steady stretches around it; both fidelities agree with each other (means within their CIs' combined
/// half-widths) and with the closed form λ·[0.9·(D − 30) + 0.1·E[(D − S_v)⁺]] for D = 4,020 s. A
/// retry of a request that could not resolve resolves with the same cache age later, so it fails too
/// while the outage lasts (the retries change the count only at the outage's last instants).
#[test]
fn sampled_fidelity_agrees_with_full_on_a_dns_outage() {
    let load = |sets: &[&str]| {
        let mut all = vec!["traffic.rate_per_s=50"];
        all.extend_from_slice(sets);
        crate::common::load(
            &root().join("models/active-passive.ron"),
            &root().join("scenarios/dns-outage.ron"),
            &all,
            Some(20),
            None,
        )
        .expect("the shipped files load")
    };
    let full = run(&load(&["fidelity=Full"]));
    let sampled = run(&load(&[]));
    assert!(
        sampled.fidelity.fast_forwarded_requests > 0,
        "sampled fidelity must skip: {:?}",
        sampled.fidelity
    );
    let exposure = 0.9 * (4020.0 - 30.0) + 0.1 * violators_exposure(4020.0, 60.0, 150.0, 2.2);
    let truth = 50.0 * exposure;
    let (mf, cf) = mean_ci(&dns_failures(&full));
    let (ms, cs) = mean_ci(&dns_failures(&sampled));
    eprintln!(
        "closed form {truth:.0}; full {mf:.1} [{:.1}, {:.1}], sampled {ms:.1} [{:.1}, {:.1}]; fast-forwarded {}",
        cf[0], cf[1], cs[0], cs[1], sampled.fidelity.fast_forwarded_requests
    );
    assert_within_ci("requests that could not resolve, full", mf, cf, truth, 3.0);
    assert_within_ci("requests that could not resolve, sampled", ms, cs, truth, 3.0);
    let halves = (cf[1] - cf[0]) / 2.0 + (cs[1] - cs[0]) / 2.0;
    assert!((mf - ms).abs() <= halves, "full {mf} and sampled {ms} differ by more than {halves}");
    let (af, as_) = (full.availability.mean, sampled.availability.mean);
    let half = (full.availability.ci95[1] - full.availability.ci95[0]) / 2.0
        + (sampled.availability.ci95[1] - sampled.availability.ci95[0]) / 2.0;
    assert!((af - as_).abs() <= half, "availability full {af} sampled {as_}, allowed {half}");
}

/// `Dns` on a model that steers by anycast (no DNS layer its clients resolve through) is a located
/// error, and so is a failure process of kind `Dns` with an `only` list (there is one layer), and a
/// serve-stale share outside [0, 1].
#[test]
fn a_dns_target_without_a_dns_layer_is_a_located_error() {
    let model = std::fs::read_to_string(root().join("models/single-region.ron")).expect("model");
    let anycast = model.replacen("    request_path:", "    steering: Anycast(),\n    request_path:", 1);
    let scenario = r#"(name: "s", horizon_s: 100.0, replications: 2, seed: 1, traffic: (rate_per_s: 10.0),
    outages: [(target: Dns, start_s: 10.0, duration_s: 10.0)])"#;
    Files::new(&anycast, scenario).assert_refused(
        &[],
        &["outages[0].target", "the model steers by anycast"],
        "outages[0].target",
    );
    let scenario = r#"(name: "s", horizon_s: 100.0, replications: 2, seed: 1, traffic: (rate_per_s: 10.0),
    failures: [(kind: Dns, only: ["route53"], time_to_failure: Fixed(s: 50.0), time_to_repair: Fixed(s: 5.0))])"#;
    Files::new(&model, scenario).assert_refused(
        &[],
        &["failures[0].only", "leave `only` out"],
        "failures[0].only",
    );
    let scenario = r#"(name: "s", horizon_s: 100.0, replications: 2, seed: 1, traffic: (rate_per_s: 10.0))"#;
    Files::new(&model, scenario).assert_refused(
        &["populations[users-eu].serve_stale_share=1.5"],
        &["populations[users-eu].serve_stale_share", "must be in [0, 1]"],
        "",
    );
}

fn explanation(sets: &[&str]) -> regionsim::analysis::explain::Explanation {
    let study = load(
        &root().join("models/active-passive.ron"),
        &root().join("scenarios/dns-outage.ron"),
        sets,
        None,
        None,
    )
    .expect("the shipped files load");
    regionsim::analysis::explain::explain(&study.model, Some(&study.scenario))
}

/// By hand: every population resolves through the one DNS layer and no region fails, so nothing fails
/// over: cascading for both populations of `active-passive`, losing 1 − σ of their requests (all, without
/// serve-stale; 75% of users-us's with `serve_stale_share: 0.25`), and the reason says that nothing fails
/// while the caches hold and what share fails after one TTL: 0.9 + 0.1·P(60·U + X ≤ 60) = 92% (X the
/// default log-normal). A model steered by anycast lists no DNS layer and says why in its notes.
#[test]
fn explain_calls_the_dns_layer_cascading_for_every_population() {
    use regionsim::analysis::explain::Class;
    let e = explanation(&["populations[users-us].serve_stale_share=0.25"]);
    let d = e.domains.iter().find(|d| d.kind == "dns layer").expect("the DNS layer is a fault domain");
    for (population, lost) in [("users-us", 0.75), ("users-eu", 1.0)] {
        let i = d.impacts.iter().find(|i| i.population == population).expect("every population");
        assert_eq!(i.class, Class::Cascading, "{}", i.reason);
        assert!((i.lost_until_repair - lost).abs() < 1e-12, "{population}: {}", i.reason);
        assert!(i.reason.contains("while the caches hold nothing fails"), "{}", i.reason);
        assert!(i.reason.contains("after one TTL (60 s)"), "{}", i.reason);
    }
    let eu = d.impacts.iter().find(|i| i.population == "users-eu").expect("users-eu");
    assert!(eu.reason.contains("to 92% after one TTL"), "{}", eu.reason);
    let anycast = explanation(&["steering=Anycast()", "outages=[]"]);
    assert!(anycast.domains.iter().all(|d| d.kind != "dns layer"));
    assert!(anycast.notes.iter().any(|n| n.contains("No DNS layer is listed")), "{:?}", anycast.notes);
}

/// `--simulate` injects the DNS layer's failure like any component's: 300 s from t = 70 s (60 s after
/// the warm-up) of a 1,800 s run (1,790 s observed), 5 replications of `single-region` at 100 requests/s.
/// Every request whose cache has expired fails: predicted and measured loss
/// [0.9·(300 − 30) + 0.1·E[(300 − S_v)⁺]] / 1,790, with the default violators, integrated here.
#[test]
fn explain_simulate_measures_a_dns_outage_as_predicted() {
    use regionsim::analysis::explain::measure::{Injection, simulate};
    let sets = ["traffic.rate_per_s=100", "horizon_s=1800", "outages=[]", "fidelity=Full"];
    let study = load(
        &root().join("models/single-region.ron"),
        &root().join("scenarios/dns-outage.ron"),
        &sets,
        Some(5),
        None,
    )
    .expect("the shipped files load");
    let e = regionsim::analysis::explain::explain(&study.model, Some(&study.scenario));
    let options = regionsim::sim::montecarlo::RunOptions { threads: Some(2), progress: false };
    let measured = simulate(&study, &e, Injection { start_s: 70.0, duration_s: 300.0 }, &options)
        .expect("the variants run");
    let dns = measured.iter().find(|m| m.kind == "dns layer").expect("the DNS layer is injected");
    let truth = (0.9 * 270.0 + 0.1 * violators_exposure(300.0, 60.0, 150.0, 2.2)) / 1790.0;
    eprintln!(
        "predicted {:.5}, measured {:.5} {:?}, closed form {truth:.5}",
        dns.predicted_loss, dns.loss.mean, dns.loss.ci95
    );
    assert!((dns.predicted_loss - truth).abs() < 1e-3 * truth, "predicted {} vs {truth}", dns.predicted_loss);
    assert_within_ci("the DNS layer, measured", dns.loss.mean, dns.loss.ci95, truth, 3.0);
    assert!(dns.contradiction.is_none(), "{:?}", dns.contradiction);
    // The region fails every request at once; the DNS layer only as the caches expire: it ranks second.
    let kinds: Vec<&str> = measured.iter().map(|m| m.kind.as_str()).take(2).collect();
    assert_eq!(kinds, ["region", "dns layer"], "{measured:?}");
}

/// The story of a replication tells the DNS layer's failure and return, at their instants.
#[test]
fn the_story_tells_the_dns_layer_failing_and_coming_back() {
    use regionsim::sim::engine;
    use regionsim::sim::trace::Window;
    let study = load(
        &root().join("models/single-region.ron"),
        &root().join("scenarios/dns-outage.ron"),
        &["traffic.rate_per_s=20", "horizon_s=7200"],
        Some(1),
        None,
    )
    .expect("the shipped files load");
    let (m, s) = (&study.model, &study.scenario);
    let (_, trace) =
        engine::run_traced(m, s, s.seed, 0, Window { from_s: 0.0, to_s: 7200.0 }).expect("runs traced");
    let lines = regionsim::analysis::story::narrate(m, &trace);
    let at = |needle: &str| lines.iter().find(|l| l.text == needle).map(|l| l.t_s);
    assert_eq!(at("the DNS layer fails (injected)"), Some(1800.0), "{lines:#?}");
    assert_eq!(at("the DNS layer is back"), Some(5820.0), "{lines:#?}");
}
