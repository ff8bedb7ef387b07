//! Sampled fidelity (DESIGN.md decision 7) against full fidelity: the same study run both ways must
//! agree within the confidence intervals, and the report must say how much ran at request level.

use regionsim::report::Report;
use regionsim::stats::Estimate;

use crate::common::{Files, load, root, run};

/// `a` and `b` agree when their difference is within 1.5 half-widths of the difference's 95% CI
/// (√(h_a² + h_b²) for two independent estimates): about 3 standard errors, so that the dozen
/// comparisons below together raise a false alarm well under 5% of the time.
fn assert_agree(what: &str, a: f64, a_ci: [f64; 2], b: f64, b_ci: [f64; 2]) {
    let (ha, hb) = ((a_ci[1] - a_ci[0]) / 2.0, (b_ci[1] - b_ci[0]) / 2.0);
    let tol = 1.5 * (ha * ha + hb * hb).sqrt();
    eprintln!("{what}: sampled {a:.6} vs full {b:.6}: {:.2} of the tolerance", (a - b).abs() / tol);
    assert!(
        (a - b).abs() <= tol,
        "{what}: sampled {a:.6} [{:.6}, {:.6}] vs full {b:.6} [{:.6}, {:.6}]: {:.6} apart, tolerance {tol:.6}",
        a_ci[0],
        a_ci[1],
        b_ci[0],
        b_ci[1],
        (a - b).abs()
    );
}

fn agree(what: &str, a: &Estimate, b: &Estimate) {
    assert_agree(what, a.mean, a.ci95, b.mean, b.ci95);
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

    agree("availability", &sampled.availability, &full.availability);
    let (s, f) = (&sampled.latency_ms, &full.latency_ms);
    let mean = |l: &regionsim::report::LatencySummary| l.mean.expect("latencies");
    assert_agree("latency mean", mean(s), s.mean_ci95.expect("ci"), mean(f), f.mean_ci95.expect("ci"));
    let p99 = |l: &regionsim::report::LatencySummary| l.p99.expect("latencies");
    assert_agree("latency p99", p99(s), s.p99_ci95.expect("ci"), p99(f), f.p99_ci95.expect("ci"));
    let (fs, ff) = (&sampled.failovers, &full.failovers);
    let rto = |r: &Report| r.failovers.rto_s.clone().expect("recovered");
    assert_agree("RTO", rto(&sampled).mean, rto(&sampled).ci95, rto(&full).mean, rto(&full).ci95);
    agree("writes lost", fs.writes_lost.as_ref().expect("lost"), ff.writes_lost.as_ref().expect("lost"));
    agree(
        "stale reads",
        sampled.data.stale_reads.as_ref().expect("store"),
        full.data.stale_reads.as_ref().expect("store"),
    );
    agree("cross-region share", &sampled.cross_region_share, &full.cross_region_share);
    let (cs, cf) = (&sampled.cost_usd_per_month, &full.cost_usd_per_month);
    assert_agree("monthly cost", cs.total, cs.total_ci95, cf.total, cf.total_ci95);
    // The fast-forwarded stretches carry their requests' time in system (failed ones' included).
    agree("mean in system", &sampled.queueing.mean_in_system, &full.queueing.mean_in_system);
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
    let (s, f) = (&sampled.latency_ms, &full.latency_ms);
    let mean = |l: &regionsim::report::LatencySummary| l.mean.expect("latencies");
    assert_agree("latency mean", mean(s), s.mean_ci95.expect("ci"), mean(f), f.mean_ci95.expect("ci"));
    let (cs, cf) = (&sampled.cost_usd_per_month, &full.cost_usd_per_month);
    assert_agree("monthly cost", cs.total, cs.total_ci95, cf.total, cf.total_ci95);
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
    use regionsim::montecarlo::{self, RunOptions};
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
        assert!(o.fast_forwarded > o.total.counts.attempted / 2, "mostly fast-forwarded");
        let arrived: u64 = o.timeline.buckets.iter().map(|b| b.arrived).sum();
        let succeeded: u64 = o.timeline.buckets.iter().map(|b| b.succeeded).sum();
        let close = |a: u64, b: u64| (a as f64 - b as f64).abs() <= 0.005 * b as f64;
        assert!(
            close(arrived, o.total.counts.attempted),
            "arrived {arrived} vs {}",
            o.total.counts.attempted
        );
        assert!(
            close(succeeded, o.total.counts.succeeded),
            "succeeded {succeeded} vs {}",
            o.total.counts.succeeded
        );
    }
}
