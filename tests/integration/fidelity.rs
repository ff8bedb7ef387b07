//! Sampled fidelity against full fidelity: the same study run both ways must
//! agree within the confidence intervals, and the report must say how much ran at request level.

use regionsim::analysis::report::{Report, RunRow};

use crate::common::{Files, load, root, run};

/// Sampled and full fidelity share their random numbers replication by replication (the same seed:
/// the same arrivals, failures and per-request draws), so they are compared on the paired differences
/// of their per-replication values: the mean difference must lie within 1.7 half-widths of the paired
/// 95% CI around zero (about 3.3 standard errors: the ten comparisons of a test together raise a false
/// alarm well under 1% of the time). Pairing removes the noise both sides share, so this sees a bias
/// an unpaired comparison would miss.
pub(crate) fn agree_paired(what: &str, sampled: &Report, full: &Report, value: fn(&RunRow) -> Option<f64>) {
    let a: Vec<Option<f64>> = sampled.runs.iter().map(value).collect();
    let b: Vec<Option<f64>> = full.runs.iter().map(value).collect();
    let d = regionsim::analysis::stats::paired_ci(&a, &b);
    let tol = 1.7 * d.half_width();
    let scale = b.iter().flatten().sum::<f64>() / b.iter().flatten().count().max(1) as f64;
    eprintln!(
        "{what}: full {scale:.6}, sampled − full {:+.6} (paired 95% CI ±{:.6}): {:.2} of the tolerance",
        d.mean,
        d.half_width(),
        d.mean.abs() / tol
    );
    assert!(
        d.mean.abs() <= tol || d.mean.abs() <= 1e-9 * scale.abs(),
        "{what}: sampled − full = {:.6}, paired CI [{:.6}, {:.6}]: a bias of sampled fidelity",
        d.mean,
        d.ci95[0],
        d.ci95[1]
    );
}

fn both(scenario: &str) -> (Report, Report) {
    let files = Files::new("", scenario);
    let model = root().join("models/active-passive.ron");
    let sampled = load(&model, &files.scenario(), &["fidelity=Sampled()"], None, None).expect("valid study");
    let full = load(&model, &files.scenario(), &["fidelity=Full"], None, None).expect("valid study");
    (run(&sampled), run(&full))
}

/// The shipped hot-standby model through a one-hour regional outage with failback: availability,
/// latency, RTO, RPO, writes lost, stale reads, cross-region share and cost agree with full fidelity,
/// while less than a third of the horizon runs at request level.
#[test]
fn sampled_fidelity_agrees_with_full_fidelity_through_a_region_outage() {
    let (sampled, full) = both(
        r#"(name: "outage", horizon_s: 9000.0, warmup_s: 60.0, replications: 10, seed: 31,
            traffic: (rate_per_s: 200.0), data: (write_fraction: 0.2, keys: 100000, zipf_exponent: 0.99),
            outages: [(target: Region("us-east-1"), start_s: 1800.0, duration_s: 3600.0)])"#,
    );
    assert_eq!((sampled.fidelity.mode.as_str(), full.fidelity.mode.as_str()), ("sampled", "full"));
    let share = sampled.fidelity.request_level_share.mean;
    assert!(share < 0.33, "request-level share {share}");
    assert_eq!(full.fidelity.request_level_share.mean, 1.0);
    assert_eq!(full.fidelity.fast_forwarded_requests, 0);
    assert_eq!(
        sampled.fidelity.simulated_requests + sampled.fidelity.fast_forwarded_requests,
        sampled.requests.total,
        "every request is either simulated or fast-forwarded"
    );
    // Same seed, same arrivals: the totals agree to within Poisson noise (3 standard deviations).
    let (a, b) = (sampled.requests.total as f64, full.requests.total as f64);
    assert!((a - b).abs() <= 3.0 * b.sqrt(), "requests {a} vs {b}");

    agree_paired("availability", &sampled, &full, |r| Some(r.availability));
    agree_paired("time availability", &sampled, &full, |r| Some(r.time_availability));
    agree_paired("latency mean", &sampled, &full, |r| r.latency_mean_ms);
    agree_paired("latency p99", &sampled, &full, |r| r.latency_p99_ms);
    agree_paired("RTO", &sampled, &full, |r| r.rto_max_s);
    agree_paired("writes lost", &sampled, &full, |r| Some(r.writes_lost as f64));
    agree_paired("stale reads", &sampled, &full, |r| Some(r.stale_reads as f64));
    agree_paired("monthly cost", &sampled, &full, |r| Some(r.cost_usd_per_month));
    // The fast-forwarded stretches carry their requests' time in system (failed ones' included).
    agree_paired("mean in system", &sampled, &full, |r| Some(r.mean_in_system));
    assert!(sampled.failovers.rto_s.is_some() && full.failovers.rto_s.is_some(), "both recovered");
}

/// A daily profile changes the rate every hour; sampled fidelity treats each turn of the hour as a
/// change, so the busy and quiet hours are each sampled at their own load.
#[test]
fn sampled_fidelity_follows_a_daily_profile() {
    let profile = (0..24).map(|h| if h % 2 == 0 { "0.3" } else { "1.0" }).collect::<Vec<_>>().join(", ");
    let (sampled, full) = both(&format!(
        r#"(name: "daily", horizon_s: 14400.0, warmup_s: 60.0, replications: 10, seed: 5,
            traffic: (rate_per_s: 300.0, daily_profile: [{profile}]))"#
    ));
    let share = sampled.fidelity.request_level_share.mean;
    assert!(share < 0.2, "request-level share {share}");
    let (a, b) = (sampled.requests.total as f64, full.requests.total as f64);
    assert!((a - b).abs() <= 3.0 * b.sqrt(), "requests {a} vs {b}");
    agree_paired("latency mean", &sampled, &full, |r| r.latency_mean_ms);
    agree_paired("latency p99", &sampled, &full, |r| r.latency_p99_ms);
    agree_paired("monthly cost", &sampled, &full, |r| Some(r.cost_usd_per_month));
}

/// A bad sampling parameter is an input error located at its line and column, with exit code 2.
#[test]
fn a_bad_window_points_at_its_line() {
    let files = Files::new(
        "",
        "(name: \"s\", horizon_s: 60.0, replications: 2, seed: 1, traffic: (rate_per_s: 10.0),\n fidelity: Sampled(window_s: -1.0))",
    );
    let model = root().join("models/active-passive.ron");
    let out = crate::common::regionsim(&[
        "validate",
        model.to_str().expect("utf-8 path"),
        files.scenario().to_str().expect("utf-8 path"),
    ]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("scenario.ron:2:30: fidelity.window_s: must be a finite number > 0"), "{stderr}");
}

/// The timeline stands for the skipped stretches too: over each replication its buckets add up to the
/// requests and successes the replication counted (warm-up arrivals aside), within 0.5%, stale-DNS
/// drift included (a chart drawn from the window's flows alone would be ~2% off during the outage).
#[test]
fn the_timeline_of_a_sampled_run_adds_up_to_its_totals() {
    use regionsim::sim::montecarlo::{self, RunOptions};
    let files = Files::new(
        "",
        r#"(name: "outage", horizon_s: 9000.0, warmup_s: 0.0, replications: 4, seed: 3,
            traffic: (rate_per_s: 200.0), fidelity: Sampled(),
            outages: [(target: Region("us-east-1"), start_s: 1800.0, duration_s: 3600.0)])"#,
    );
    let study =
        load(&root().join("models/active-passive.ron"), &files.scenario(), &[], None, None).expect("valid");
    let runs =
        montecarlo::run(&study.model, &study.scenario, &RunOptions { threads: Some(2), progress: false })
            .expect("runs");
    for o in &runs {
        assert!(o.fast_forwarded > o.total.counts.attempted() / 2, "mostly fast-forwarded");
        let arrived: u64 = o.timeline.buckets.iter().map(|b| b.arrived).sum();
        let succeeded: u64 = o.timeline.buckets.iter().map(|b| b.succeeded).sum();
        let close = |a: u64, b: u64| (a as f64 - b as f64).abs() <= 0.005 * b as f64;
        assert!(
            close(arrived, o.total.counts.attempted()),
            "arrived {arrived} vs {}",
            o.total.counts.attempted()
        );
        assert!(
            close(succeeded, o.total.counts.succeeded),
            "succeeded {succeeded} vs {}",
            o.total.counts.succeeded
        );
    }
}

/// Issue 12's behaviours under sampled fidelity (the change contract): load-balancer health checks on
/// both services (crashed instances keep their share until their checks notice), the SDKs' standard
/// retries at both populations, and a standby fleet that autoscales on failover, through a region
/// outage with instances failing every two hours on average. Each behaviour's changes (a target out of
/// rotation, a scale-out, a retry budget draining) must stop the fast-forward; were one averaged over,
/// availability, attempts or the fleet's cost would drift from full fidelity's on the same random
/// numbers.
#[test]
fn sampled_fidelity_agrees_with_full_with_health_checks_retries_and_autoscaling() {
    let files = Files::new(
        "",
        r#"(name: "outage", horizon_s: 5400.0, warmup_s: 60.0, replications: 10, seed: 43,
            traffic: (rate_per_s: 1100.0), data: (write_fraction: 0.2, keys: 100000, zipf_exponent: 0.99),
            failures: [(kind: Instance, time_to_failure: Exponential(mean_h: 2.0),
                        time_to_repair: LogNormal(median_min: 5.0, sigma: 0.5))],
            outages: [(target: Region("us-east-1"), start_s: 1800.0, duration_s: 1800.0)])"#,
    );
    let model = root().join("models/active-passive-autoscaling.ron");
    let behaviours = [
        "services[api].target_health_check=()",
        "services[web].target_health_check=()",
        "populations[users-us].retry=()",
        "populations[users-eu].retry=()",
    ];
    let study = |fidelity: &str| {
        let mut sets = behaviours.to_vec();
        sets.push(fidelity);
        load(&model, &files.scenario(), &sets, None, None).expect("valid study")
    };
    let (sampled, full) = (run(&study("fidelity=Sampled()")), run(&study("fidelity=Full")));
    let share = sampled.fidelity.request_level_share.mean;
    assert!(share < 0.8, "sampled fidelity skipped little: request-level share {share}");
    // The behaviours acted: targets failed before their checks noticed, clients retried.
    let target_down: u64 = full.runs.iter().map(|r| r.failed_by_cause["target_down"]).sum();
    assert!(target_down > 0, "no request met a crashed instance still in rotation");
    let retried = full.runs.iter().map(|r| r.attempts_per_request).fold(0.0, f64::max);
    assert!(retried > 1.0, "no request was retried: attempts per request {retried}");

    agree_paired("availability", &sampled, &full, |r| Some(r.availability));
    agree_paired("attempts per request", &sampled, &full, |r| Some(r.attempts_per_request));
    agree_paired("target down", &sampled, &full, |r| Some(r.failed_by_cause["target_down"] as f64));
    agree_paired("latency p99", &sampled, &full, |r| r.latency_p99_ms);
    agree_paired("RTO", &sampled, &full, |r| r.rto_max_s);
    agree_paired("monthly cost", &sampled, &full, |r| Some(r.cost_usd_per_month));
}

/// Issue 12 item 8: a metastable system runs at request level for as long as it is metastable. The retry
/// storm (a 60 s slowdown at t = 120 s; clients retrying without a budget stay overloaded afterwards)
/// under sampled fidelity: before the trigger the steady fleet is fast-forwarded over, but from the
/// trigger to the horizon no stretch is, however steady the storm's own statistics look.
#[test]
fn a_metastable_retry_storm_is_never_fast_forwarded_over() {
    let study = load(
        &root().join("models/retry-storm.ron"),
        &root().join("scenarios/retry-storm.ron"),
        &["horizon_s=900", "outages[0].start_s=120", "fidelity=Sampled()"],
        Some(1),
        None,
    )
    .expect("valid study");
    let window = regionsim::sim::trace::Window { from_s: 0.0, to_s: 900.0 };
    let t = regionsim::analysis::trace::trace(&study, &[], 0, window).expect("runs");
    let skips: Vec<(f64, f64)> = t
        .trace
        .events
        .iter()
        .filter_map(|e| match e.what {
            regionsim::sim::trace::What::FastForward { until_s } => Some((e.t_s, until_s)),
            _ => None,
        })
        .collect();
    assert!(
        skips.iter().any(|s| s.1 <= 120.0),
        "the steady fleet before the trigger was not skipped: {skips:?}"
    );
    assert!(skips.iter().all(|s| s.1 <= 120.0 + 1e-9), "the storm was fast-forwarded over: {skips:?}");
    // And the storm is there to see: nearly nothing succeeds in its last 300 s.
    assert!(t.availability().expect("requests") < 0.6, "{:?}", t.availability());
}

/// Regression: a retry budget hovering at dry stopped every skip. After `active-passive` fails over,
/// the clients still resolving to the dark region fail steadily (about 3.5% of requests, by the DNS
/// TTL's tail), and their SDK-standard budget (500 tokens, 14 per retry, 1 back per success) sits just
/// below one retry's cost, crossing it every few milliseconds. Each crossing used to be declared a
/// change, so 6.9% of the six hours ran at request level instead of the ~1.5% the changes themselves
/// need (the failure, detection, DNS switch, failback: about 330 s of the 21,600 s). A bucket that stays
/// dry over a window is steady; a share under 3% (twice what the changes need, under half the old
/// share) could not be reached with the skips stopping at every crossing.
#[test]
fn a_retry_budget_hovering_at_dry_is_fast_forwarded_over() {
    let study = load(
        &root().join("models/active-passive.ron"),
        &root().join("scenarios/region-outage.ron"),
        &[],
        Some(4),
        None,
    )
    .expect("valid study");
    let report = run(&study);
    let share = report.fidelity.request_level_share.mean;
    eprintln!("request-level share {share:.4}");
    assert!(share < 0.03, "request-level share {share:.4}: the dry budget stopped the fast-forward");
    // And the budget did run dry: retries were refused (the state the skips now keep).
    assert!(report.requests.retries_refused > 0, "no retry was refused: the test lost its subject");
}

/// Regression (issue 14's year, which spends most of its request-level time around instance failures):
/// a crashed instance's removal from rotation by its balancer's health checks was declared as taking
/// something away, so the requests of a 10 s lead before it ran one by one. A down instance loses nothing
/// more when it leaves rotation (what it held has failed, what is sent to it fails anyway): the removal
/// only moves traffic, and the skip before it now runs right up to it. `active-passive` (ALB target
/// checks, 3 failed checks at 10 s) with api@us-east-1#0 down from t = 1,000 s: some skip must end at
/// the rotation's instant, not a lead before it.
#[test]
fn a_crashed_instance_leaving_rotation_needs_no_lead() {
    let (rotations, skips) = one_instance_outage(1800.0);
    let out_of_rotation: Vec<f64> = rotations.iter().filter(|(into, _)| !into).map(|&(_, t)| t).collect();
    assert_eq!(out_of_rotation.len(), 1, "one instance leaves rotation once: {out_of_rotation:?}");
    let at = out_of_rotation[0];
    assert!(at > 1000.0 && at < 1060.0, "three failed checks after the crash: {at}");
    assert!(
        skips.iter().any(|&(_, until)| (until - at).abs() < 1e-6),
        "no skip ends at the rotation ({at} s): {skips:?}"
    );
}

/// An instance repaired while its balancer holds it out of rotation is sent nothing until its health
/// checks put it back: the repair is a change nobody sees, so a skip runs across it (before, the
/// repair sent the fast-forward back to full fidelity for a settle and a window, 16 s at the shipped
/// traffic, and on to the return to rotation: 110 s of a year's 959 s at request level in replication
/// 1 of `year-of-failures`). The return to rotation is still seen: a skip ends there.
#[test]
fn an_instance_repaired_out_of_rotation_needs_no_window() {
    let (rotations, skips) = one_instance_outage(2400.0);
    let back: Vec<f64> = rotations.iter().filter(|(into, _)| *into).map(|&(_, t)| t).collect();
    assert_eq!(back.len(), 1, "the instance returns to rotation once: {back:?}");
    let back = back[0];
    assert!(back > 1600.0 + 30.0, "its healthy checks take more than one interval after the repair: {back}");
    assert!(
        skips.iter().any(|&(from, until)| from < 1600.0 && (until - back).abs() < 1e-6),
        "no skip runs from before the repair (1,600 s) to the return to rotation ({back} s): {skips:?}"
    );
}

/// An instance's move into its rotation (`true`) or out of it, and when \[s\].
type Rotation = (bool, f64);
/// A fast-forward's stretch, from and until \[s\].
type Skip = (f64, f64);

/// `active-passive` at 1,100 requests/s, sampled, with api@us-east-1#0 down from 1,000 s to 1,600 s,
/// traced to `horizon_s`: when the instance left (`false`) or rejoined (`true`) its rotation, and every
/// skip as (from, until) \[s\].
fn one_instance_outage(horizon_s: f64) -> (Vec<Rotation>, Vec<Skip>) {
    let files = Files::new(
        "",
        &format!(
            r#"(name: "one-instance", horizon_s: {horizon_s:.1}, warmup_s: 10.0, replications: 1, seed: 7,
            traffic: (rate_per_s: 1100.0), fidelity: Sampled(),
            outages: [(target: Instance(service: "api", region: "us-east-1", index: 0),
                       start_s: 1000.0, duration_s: 600.0)])"#
        ),
    );
    let study = load(&root().join("models/active-passive.ron"), &files.scenario(), &[], None, None)
        .expect("valid study");
    let window = regionsim::sim::trace::Window { from_s: 0.0, to_s: horizon_s };
    let t = regionsim::analysis::trace::trace(&study, &[], 0, window).expect("runs");
    use regionsim::sim::trace::What;
    let rotations = t
        .trace
        .events
        .iter()
        .filter_map(|e| match e.what {
            What::Rotation { into } => Some((into, e.t_s)),
            _ => None,
        })
        .collect();
    let skips = t
        .trace
        .events
        .iter()
        .filter_map(|e| match e.what {
            What::FastForward { until_s } => Some((e.t_s, until_s)),
            _ => None,
        })
        .collect();
    (rotations, skips)
}
