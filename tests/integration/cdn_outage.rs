//! The CDN edge as a fault domain (issue 13 items 3 and 6): an outage of a population's edge fails
//! exactly the requests that population sends while it is down (closed form λ·D), touches no other
//! population, follows a failure process, agrees between sampled and full fidelity, is refused with a
//! located error when it names no population with a CDN, and `explain` classifies it (and a region
//! behind an edge that serves stale) as derived by hand.

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
