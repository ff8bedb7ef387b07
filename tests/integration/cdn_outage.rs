//! The CDN edge as a fault domain (issue 13 items 3 and 6): an outage of a population's edge fails
//! exactly the requests that population sends while it is down (closed form λ·D), touches no other
//! population, follows a failure process, agrees between sampled and full fidelity, is refused with a
//! located error when it names no population with a CDN, and `explain` classifies it (and a region
//! behind an edge that serves stale) as derived by hand.

use std::path::Path;

use regionsim::analysis::explain::{Class, Explanation, Impact};
use regionsim::analysis::report::Report;

use crate::common::{Files, assert_within_ci, load, mean_ci, root, run};

/// `models/active-passive-cdn.ron` (users-us 80% and users-eu 20% of the traffic, each behind its own
/// edge) on `scenarios/cdn-outage.ron` at 50 requests/s (users-us λ = 40/s), 20 minutes, 20
/// replications, with extra `--set`s.
fn study(sets: &[&str]) -> regionsim::model::study::Study {
    let mut all = vec!["traffic.rate_per_s=50", "horizon_s=1200", "fidelity=Full"];
    all.extend_from_slice(sets);
    load(
        &root().join("models/active-passive-cdn.ron"),
        &root().join("scenarios/cdn-outage.ron"),
        &all,
        Some(20),
        None,
    )
    .expect("the shipped files load")
}

/// users-us's edge down for 300 s from t = 600 s.
const OUTAGE: &str = r#"outages=[(target: Cdn("users-us"), start_s: 600.0, duration_s: 300.0)]"#;

fn cdn_failures(report: &Report) -> Vec<f64> {
    report.runs.iter().map(|r| r.failed_by_cause["cdn_unavailable"] as f64).collect()
}

fn population<'a>(report: &'a Report, name: &str) -> &'a regionsim::analysis::report::SliceReport {
    report.per_population.iter().find(|p| p.name == name).expect("the population is reported")
}

/// Closed form: users-us sends Poisson(λ) requests, λ = 0.8 × 50 = 40/s, and every one it sends while
/// its edge is down fails there (nothing is in front of the edge to mask it), so a replication loses
/// Poisson(λ·D) requests, D = 300 s: mean 12,000, sd √12,000 ≈ 110, so 20 replications give a CI of
/// about ±51. Nothing else fails (no background failures in the scenario, the origins are idle), and
/// users-eu, behind its own edge, loses nothing: its every request succeeds.
#[test]
fn a_cdn_outage_fails_lambda_times_d_requests_of_its_population_only() {
    let report = run(&study(&[OUTAGE]));
    let (m, ci) = mean_ci(&cdn_failures(&report));
    eprintln!("cdn_unavailable per replication {m:.1} [{:.1}, {:.1}], closed form 12000", ci[0], ci[1]);
    assert_within_ci("requests failed at the edge", m, ci, 40.0 * 300.0, 3.0);
    assert!(ci[1] - ci[0] < 0.02 * 12_000.0, "CI {ci:?} too wide to tell 1% apart");
    assert_eq!(
        report.requests.failed, report.requests.failed_by_cause["cdn_unavailable"],
        "{:?}",
        report.requests
    );
    let us = population(&report, "users-us");
    assert_eq!(us.requests - us.succeeded, report.requests.failed, "every failure is users-us's");
    let eu = population(&report, "users-eu");
    assert!(eu.requests > 0 && eu.succeeded == eu.requests, "users-eu untouched: {eu:?}");
    // The edge answers at once (one 10 ms round trip): no origin leg, so the outage sends nothing to
    // the origin and no health check flips; DNS never moves, so there is no failover.
    assert!(report.runs.iter().all(|r| r.failovers == 0), "no failover: the origins are up");
    // Time availability counts users-us (80% of the traffic) out for the 300 s of the 1,190 s observed:
    // 1 − 0.8 × 300 / 1,190 = 0.798319..., in every replication (no randomness in it), as users and as
    // the infrastructure see it.
    let truth = 1.0 - 0.8 * 300.0 / 1190.0;
    for run in &report.runs {
        assert!((run.time_availability - truth).abs() < 1e-9, "{} vs {truth}", run.time_availability);
        assert!((run.time_availability_infra - truth).abs() < 1e-9, "{}", run.time_availability_infra);
    }
}

/// A failure process on the edge (`failures: [(kind: Cdn, only: ["users-us"], ...)]`) with fixed up
/// and down times, 400 s and 100 s: down over [400, 500) and [900, 1000) of the 1,200 s horizon, 200 s
/// in all, so a replication loses Poisson(40 × 200) = 8,000 requests (sd 89, CI ≈ ±42).
#[test]
fn a_cdn_failure_process_takes_the_edge_down_for_its_repair_times() {
    let failures = r#"failures=[(kind: Cdn, only: ["users-us"], time_to_failure: Fixed(s: 400.0), time_to_repair: Fixed(s: 100.0))]"#;
    let report = run(&study(&["outages=[]", failures]));
    let (m, ci) = mean_ci(&cdn_failures(&report));
    assert_within_ci("requests failed at the edge, failure process", m, ci, 40.0 * 200.0, 3.0);
    let eu = population(&report, "users-eu");
    assert_eq!(eu.succeeded, eu.requests, "users-eu's edge has no failure process");
}

/// Sampled fidelity runs the requests around the edge's failure and repair one by one (both declared
/// changes) and fast-forwards the steady stretches, the outage's included: its count agrees with the
/// closed form λ·D and with full fidelity (the two means within their CIs' combined half-widths).
#[test]
fn sampled_fidelity_agrees_with_full_on_a_cdn_outage() {
    let full = run(&study(&[OUTAGE]));
    let sampled = run(&study(&[OUTAGE, "fidelity=Sampled()"]));
    assert!(
        sampled.fidelity.fast_forwarded_requests > 0,
        "sampled fidelity must skip: {:?}",
        sampled.fidelity
    );
    let (mf, cf) = mean_ci(&cdn_failures(&full));
    let (ms, cs) = mean_ci(&cdn_failures(&sampled));
    eprintln!("full {mf:.1} [{:.1}, {:.1}], sampled {ms:.1} [{:.1}, {:.1}]", cf[0], cf[1], cs[0], cs[1]);
    assert_within_ci("requests failed at the edge, sampled", ms, cs, 12_000.0, 3.0);
    let halves = (cf[1] - cf[0]) / 2.0 + (cs[1] - cs[0]) / 2.0;
    assert!((mf - ms).abs() <= halves, "full {mf} and sampled {ms} differ by more than {halves}");
    let eu = population(&sampled, "users-eu");
    assert_eq!(eu.succeeded, eu.requests, "users-eu untouched under sampled fidelity too");
}

/// A target that names no population, or one without a CDN, is a located error (file, line and
/// field), exit code 2; so is a failure process's `only` of the same kind.
#[test]
fn a_cdn_target_without_a_population_with_a_cdn_is_a_located_error() {
    let model = std::fs::read_to_string(root().join("models/active-passive-cdn.ron")).expect("model");
    let scenario = r#"(name: "s", horizon_s: 100.0, replications: 2, seed: 1, traffic: (rate_per_s: 10.0),
    outages: [(target: Cdn("users-usa"), start_s: 10.0, duration_s: 10.0)])"#;
    Files::new(&model, scenario).assert_refused(
        &[],
        &["outages[0].target", "unknown population 'users-usa'", "did you mean 'users-us'"],
        "outages[0].target",
    );
    let no_cdn = model.replacen("share: 0.2, cdn: (", "share: 0.2, cdn_off: (", 1);
    let no_cdn = match no_cdn.find("cdn_off: (") {
        // Drop users-eu's cdn block: from `cdn_off: (` to the `))` that closes it and the population.
        Some(at) => {
            let end = at + no_cdn[at..].find("))").expect("the block closes") + 1;
            format!("{}{}", &no_cdn[..at].trim_end_matches([' ', ',']), &no_cdn[end..])
        }
        None => panic!("users-eu has a cdn in the shipped model"),
    };
    let scenario = r#"(name: "s", horizon_s: 100.0, replications: 2, seed: 1, traffic: (rate_per_s: 10.0),
    outages: [(target: Cdn("users-eu"), start_s: 10.0, duration_s: 10.0)],
    failures: [(kind: Cdn, only: ["nobody"], time_to_failure: Fixed(s: 50.0), time_to_repair: Fixed(s: 5.0))])"#;
    Files::new(&no_cdn, scenario).assert_refused(
        &[],
        &[
            "outages[0].target",
            "population 'users-eu' has no cdn; populations with one: users-us",
            "failures[0].only",
            "unknown population 'nobody'",
        ],
        "outages[0].target",
    );
}
fn explanation(sets: &[&str]) -> Explanation {
    let study = load(
        &root().join("models/active-passive-cdn.ron"),
        &root().join(Path::new("scenarios/cdn-outage.ron")),
        sets,
        None,
        None,
    )
    .expect("the shipped files load");
    regionsim::analysis::explain::explain(&study.model, Some(&study.scenario))
}

fn impact<'a>(e: &'a Explanation, kind: &str, name: &str, population: &str) -> &'a Impact {
    let d = e.domains.iter().find(|d| d.kind == kind && d.name == name).unwrap_or_else(|| {
        panic!("no {kind} {name} among {:?}", e.domains.iter().map(|d| &d.name).collect::<Vec<_>>())
    });
    d.impacts.iter().find(|i| i.population == population).expect("every population has an impact")
}

/// By hand: every attempt of users-us goes through its edge, so the edge's failure stops 100% of
/// users-us's requests until it is repaired (blast radius and loss 100%: cascading), and users-eu,
/// behind its own edge, sees nothing change (ignorable).
#[test]
fn explain_calls_a_cdn_edge_cascading_for_its_population_and_ignorable_for_others() {
    let e = explanation(&[]);
    let i = impact(&e, "cdn edge", "users-us", "users-us");
    assert_eq!(i.class, Class::Cascading, "{}", i.reason);
    assert_eq!((i.blast_radius, i.lost_until_repair), (1.0, 1.0), "{}", i.reason);
    // The shipped edge waits 1 s × 1 attempt for an origin, under the 30 s request timeout: its rescues
    // are in time, and the notes say so.
    assert!(
        e.notes
            .iter()
            .any(|n| n.contains("users-us's CDN edge") && n.contains("before the client's deadline"))
    );
    let other = impact(&e, "cdn edge", "users-us", "users-eu");
    assert_eq!(other.class, Class::Ignorable, "{}", other.reason);
    assert_eq!((other.blast_radius, other.lost_until_repair), (0.0, 0.0));
}

/// By hand, us-east-1 behind the edge (cacheable share c = 0.6, hit ratio h = 0.9, no shield, writes
/// w = 0.2 of requests):
/// - the shipped model (origin group [us-east-1, us-west-2], stale on error): each miss that fails at
///   us-east-1 goes to us-west-2 at once, whose web and api (hot standby) serve; its reads find the
///   replica, its writes find no writable copy until the promotion; a cacheable write that fails is
///   served stale. So only the non-cacheable writes fail: blast radius (1 − c)·w = 0.4 × 0.2 = 8%,
///   nothing once promoted: redundant.
/// - without the group (`origins: []`, the edge's origin is what DNS answers, us-east-1 until Route 53
///   moves): every miss fails at first and the cacheable ones are served stale, so the blast radius is
///   the non-cacheable share, 1 − c = 40% (against 100% without a CDN); once DNS has moved and the
///   replica is promoted nothing is lost: redundant.
/// - without the group nor stale-on-error: only the edge's hits survive, blast radius
///   1 − c·h = 1 − 0.54 = 46%.
#[test]
fn explain_shrinks_the_blast_radius_of_a_region_behind_an_edge_that_serves_stale() {
    let check = |sets: &[&str], blast: f64| {
        let e = explanation(sets);
        for population in ["users-us", "users-eu"] {
            let i = impact(&e, "region", "us-east-1", population);
            assert_eq!(i.class, Class::Redundant, "{sets:?} {population}: {}", i.reason);
            assert!(
                (i.blast_radius - blast).abs() < 1e-12,
                "{sets:?} {population}: {} vs {blast}: {}",
                i.blast_radius,
                i.reason
            );
            assert_eq!(i.lost_until_repair, 0.0, "{sets:?} {population}: {}", i.reason);
        }
    };
    check(&[], 0.4 * 0.2);
    let no_group = ["populations[users-us].cdn.origins=[]", "populations[users-eu].cdn.origins=[]"];
    check(&no_group, 0.4);
    let mut no_stale = no_group.to_vec();
    no_stale.extend([
        "populations[users-us].cdn.stale_on_error=false",
        "populations[users-eu].cdn.stale_on_error=false",
    ]);
    check(&no_stale, 1.0 - 0.6 * 0.9);
}

/// `--simulate` injects the edge's failure like any component's: 300 s from t = 70 s (60 s after the
/// warm-up) of a 1,800 s run, so 1,790 s observed, 5 replications at 100 requests/s. users-us is 80% of
/// the traffic and loses all of it while its edge is down: a predicted and measured loss of
/// 0.8 × 300 / 1,790 = 13.41%. us-east-1's failure costs the non-cacheable writes (8% of every
/// request, as derived above) for the promotion's fixed 60 s: 0.08 × 60 / 1,790 = 0.268%.
#[test]
fn explain_simulate_measures_a_cdn_edge_outage_as_predicted() {
    use regionsim::analysis::explain::measure::{Injection, simulate};
    let sets = ["traffic.rate_per_s=100", "horizon_s=1800", "outages=[]"];
    let study = load(
        &root().join("models/active-passive-cdn.ron"),
        &root().join("scenarios/cdn-outage.ron"),
        &sets,
        Some(5),
        None,
    )
    .expect("the shipped files load");
    let e = regionsim::analysis::explain::explain(&study.model, Some(&study.scenario));
    let options = regionsim::sim::montecarlo::RunOptions { threads: Some(2), progress: false };
    let measured = simulate(&study, &e, Injection { start_s: 70.0, duration_s: 300.0 }, &options)
        .expect("the variants run");
    let edge = measured.iter().find(|m| m.kind == "cdn edge" && m.name == "users-us").expect("the edge");
    let truth = 0.8 * 300.0 / 1790.0;
    assert!((edge.predicted_loss - truth).abs() < 1e-9, "predicted {}", edge.predicted_loss);
    assert_within_ci("users-us's edge, measured", edge.loss.mean, edge.loss.ci95, truth, 3.0);
    assert!(edge.contradiction.is_none(), "{:?}", edge.contradiction);
    let region = measured.iter().find(|m| m.kind == "region" && m.name == "us-east-1").expect("us-east-1");
    assert_within_ci(
        "us-east-1 behind the edge",
        region.loss.mean,
        region.loss.ci95,
        0.08 * 60.0 / 1790.0,
        3.0,
    );
    // The DNS layer, which every request of both populations resolves through once its cache expires,
    // ranks first (tests/integration/dns_outage.rs); then the edge of 80% of the traffic.
    assert_eq!(measured[0].kind, "dns layer", "{measured:?}");
    assert_eq!(measured[1].name, "users-us", "the edge of 80% of the traffic ranks next");
}

/// The chart of impact per fault domain that `explain.html` shows (issue 13 item 6; the page said "No
/// chart: there is no data to draw." before). By hand from the classification above: the two edges lead
/// at 100% (every request of their population goes through them), then us-east-1 and its store copy at
/// the 8% blast radius, every other domain at 0; the DNS layer is drawn at 100% with the edges (every
/// request resolves through it once its cache expires, and no failover helps: tests/integration/dns_outage.rs);
/// at most 20 rows. The verb writes the chart beside the page and inlines it.
#[test]
fn explain_draws_the_impact_per_fault_domain() {
    let e = explanation(&[]);
    let chart = regionsim::present::explain::impact_chart(&e).expect("impacts to draw");
    let rows: Vec<(&str, f64)> = chart.rows.iter().map(|r| (r.label.as_str(), r.mean)).collect();
    assert!(rows.len() <= regionsim::present::explain::CHART_ROWS, "{rows:?}");
    let mut whole: Vec<&str> = rows[..3].iter().map(|r| r.0).collect();
    whole.sort_unstable();
    assert_eq!(
        whole,
        ["cdn edge users-eu", "cdn edge users-us", "dns layer authoritative servers"],
        "{rows:?}"
    );
    assert!(rows[..3].iter().all(|r| (r.1 - 100.0).abs() < 1e-9), "{rows:?}");
    let mut next: Vec<&str> = rows[3..5].iter().map(|r| r.0).collect();
    next.sort_unstable();
    assert_eq!(next, ["region us-east-1", "store copy orders@us-east-1"], "{rows:?}");
    assert!(rows[3..5].iter().all(|r| (r.1 - 8.0).abs() < 1e-9), "{rows:?}");
    assert!(rows[5..].iter().all(|r| r.1 == 0.0), "{rows:?}");

    let (_dir, out) =
        crate::common::explain_into_temp("models/active-passive-cdn.ron", "scenarios/cdn-outage.ron");
    let png = std::fs::read(out.join("charts/impact.png")).expect("charts/impact.png");
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert!(out.join("charts/impact.svg").exists());
    let html = std::fs::read_to_string(out.join("explain.html")).expect("explain.html");
    assert!(html.contains("<svg") && !html.contains("No chart"), "the chart is not on the page");
}
