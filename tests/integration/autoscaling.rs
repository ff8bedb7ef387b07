//! Autoscaling (issue 12, item 6): target tracking converges to the fleet its target asks for within
//! the launch time and the evaluation, the converged fleet queues as the closed form says, a control
//! plane outage holds the fleet (static stability), sampled fidelity skips over evaluations that change
//! nothing, scheduled actions set the bounds, and impossible settings are located errors.
//!
//! The fleet: instances of 4 servers with exponential services of 100 ms (μ = 10/s, 40 requests/s per
//! instance), 9 of them at the start (360/s), behind a random balancer (so each instance is its own
//! M/M/4 queue: Poisson thinning). The traffic steps at t = 1 h from 50% to 150% of that capacity
//! (180/s to 540/s, an hourly profile). Target tracking at 60% (or 24 requests/s per instance) wants
//! ceil(540 / 24) = ceil(22.5) = 23 instances: the half instance keeps every datapoint's noise (the
//! request count of a minute at 540/s has a standard deviation of √32,400 = 180, 0.125 instances) four
//! standard deviations away from 22 or 24.

use regionsim::analysis::report::Report;
use regionsim::present::chart::{FleetSizeOverTime, MarkerKind};
use regionsim::sim::observation::SteeringKind;

use crate::analytic::erlang_c;
use crate::common::{Files, assert_within_ci, run};

/// The step: hour 0 at half the rate, every later hour at 1.5 ×.
const STEP_AT_S: f64 = 3600.0;
const LAUNCH_S: f64 = 300.0;
const PERIOD_S: f64 = 60.0;
const TARGET_FLEET: u32 = 23;

fn model(metric: &str, extra: &str) -> String {
    format!(
        r#"(
    name: "autoscaled",
    regions: [(name: "r", zones: ["z1", "z2"])],
    services: [(
        name: "svc",
        service_time: Exponential(mean_ms: 100.0),
        concurrency: 4,
        price_usd_per_hour: 0.1,
        load_balancing: Random,
        deployments: {{ "r": (instances: 9, autoscaling: (
            metric: {metric},
            min: 9,
            max: 40,
            launch: Fixed(s: 300.0),
            {extra}
        )) }},
    )],
    request_path: ["svc"],
    populations: [(name: "clients", location: "r", share: 1.0)],
)"#
    )
}

/// The step's daily profile: hour 0 at 0.5 × the rate, the 23 later hours at 1.5 ×.
pub fn step_profile() -> String {
    std::iter::once("0.5").chain(std::iter::repeat_n("1.5", 23)).collect::<Vec<_>>().join(", ")
}

fn scenario(horizon_s: f64, warmup_s: f64, replications: u32, seed: u64, extra: &str) -> String {
    let profile = step_profile();
    format!(
        r#"(name: "step", horizon_s: {horizon_s}, warmup_s: {warmup_s}, replications: {replications}, seed: {seed},
            traffic: (rate_per_s: 360.0, daily_profile: [{profile}]), {extra})"#
    )
}

const REQUESTS: &str = "RequestsPerInstance(target_per_s: 24.0)";
const UTILISATION: &str = "Utilisation(target: 0.6)";

fn study(metric: &str, model_extra: &str, scenario_text: &str) -> Report {
    run(&Files::new(&model(metric, model_extra), scenario_text).load(&[]).expect("valid study"))
}

/// `(bucket end [s], fleet size)` of the representative replication.
fn fleet(report: &Report) -> Vec<(f64, u32)> {
    let tl = &report.representative.timeline;
    tl.buckets.iter().enumerate().map(|(i, b)| ((i + 1) as f64 * tl.bucket_s, b.instances[0])).collect()
}

/// The first bucket end from which the fleet is `size` in every later bucket.
fn settled_at(fleet: &[(f64, u32)], size: u32) -> Option<f64> {
    let last_other = fleet.iter().rposition(|&(_, n)| n != size);
    match last_other {
        None => fleet.first().map(|b| b.0),
        Some(k) => fleet.get(k + 1).map(|b| b.0),
    }
}

fn events(report: &Report, kind: SteeringKind) -> Vec<(f64, i64)> {
    let tl = &report.representative.timeline;
    tl.steering.iter().filter(|e| e.kind == kind).map(|e| (e.t_s, e.count.unwrap_or(0))).collect()
}

/// (a) On requests per instance, one round: the first datapoint wholly after the step ends one period
/// after it, the third two periods later, and the launches take 300 s, so the fleet is 23 by
/// step + launch + 3 periods (4,080 s), within the bound launch + evaluation + one period for a step
/// that falls inside a period (4,140 s), and never anything but 9 or 23 (no overshoot, no second
/// round). On utilisation, which saturates at 100% while the fleet is overloaded, it takes rounds: 9
/// busy instances want 9 / 0.6 = 15 (the datapoint's noise puts the ceiling at 15 or 16); the first
/// datapoints after their launch still see the 9 old instances busy with the overload's backlog
/// (requests younger than the client timeout), so the second round overshoots 23; 15 datapoints of
/// 13.5 instances' worth of work later it scales in to ceil(13.5 / 0.6) = 23 and stays.
#[test]
fn a_step_to_150_percent_converges_to_the_target_fleet_within_launch_and_evaluation() {
    let text = scenario(4800.0, 0.0, 2, 41, "");
    let report = study(REQUESTS, "", &text);
    let f = fleet(&report);
    let bound = STEP_AT_S + LAUNCH_S + 3.0 * PERIOD_S + PERIOD_S;
    let settled = settled_at(&f, TARGET_FLEET).expect("a fleet");
    assert!(
        settled <= bound,
        "the fleet reached {TARGET_FLEET} only at {settled} s (bound {bound} s): {f:?}"
    );
    assert!(settled > STEP_AT_S + LAUNCH_S, "the fleet grew before a launch could finish: {f:?}");
    assert!(f.iter().all(|&(_, n)| n == 9 || n == TARGET_FLEET), "overshoot or a second round: {f:?}");
    let out = events(&report, SteeringKind::AutoscaleOut);
    assert_eq!(out.len(), 1, "one scale-out: {out:?}");
    assert_eq!(out[0].1, i64::from(TARGET_FLEET - 9));
    assert!(
        (out[0].0 - (STEP_AT_S + 3.0 * PERIOD_S)).abs() < 1e-6,
        "decided at the third datapoint: {out:?}"
    );
    // The fleet-size chart draws that course (and is left out where no fleet changes).
    let chart = FleetSizeOverTime::from_report(&report).expect("the fleet changed");
    assert_eq!(chart.deployments.len(), 1);
    assert_eq!(chart.deployments[0].name, "svc@r");
    let sizes: Vec<f64> = chart.deployments[0].instances.iter().map(|p| p.1).collect();
    assert_eq!((sizes[0], sizes[sizes.len() - 1]), (9.0, f64::from(TARGET_FLEET)));
    assert!(chart.markers.iter().any(|m| m.kind == MarkerKind::ScaleUp));
    assert!(FleetSizeOverTime::from_report(&crate::support::mmc_short()).is_none());

    // Utilisation, over a longer horizon: the second round overshoots (see above), and target
    // tracking then scales in to 23 after 15 datapoints that want fewer.
    let report = study(UTILISATION, "", &scenario(6600.0, 0.0, 2, 41, ""));
    let f = fleet(&report);
    let first = f.iter().map(|b| b.1).find(|&n| n != 9).expect("a scale-out");
    assert!((15..=16).contains(&first), "the first round asks for 9 busy instances / 0.6 = 15: {f:?}");
    let peak = f.iter().map(|b| b.1).max().expect("a fleet");
    assert!(peak > TARGET_FLEET, "the backlog's work makes the second round overshoot: {f:?}");
    let settled = settled_at(&f, TARGET_FLEET).expect("a fleet");
    let second = STEP_AT_S + 2.0 * (LAUNCH_S + 3.0 * PERIOD_S + PERIOD_S);
    let bound = second + 16.0 * PERIOD_S;
    assert!(
        settled <= bound,
        "utilisation settled at {TARGET_FLEET} only at {settled} s (bound {bound} s): {f:?}"
    );
}

/// (b) Once converged, each of the 23 instances is an M/M/4 queue at λ = 540/23 per second (random
/// balancing thins Poisson arrivals), so the mean response time is C(4, a)/(4μ − λ) + 1/μ with
/// a = λ/μ (Erlang C). The warm-up ends at 4,320 s, after the backlog of the overload has drained. The
/// CI must also be narrow enough to tell 23 instances from 22 or 24.
#[test]
fn the_converged_fleet_queues_as_erlang_c_says_for_its_size() {
    let report = study(REQUESTS, "", &scenario(6120.0, 4320.0, 6, 42, ""));
    let w_ms = |c: u32| {
        let (lambda, mu) = (540.0 / f64::from(c), 10.0);
        (erlang_c(4, lambda / mu) / (4.0 * mu - lambda) + 1.0 / mu) * 1e3
    };
    let mean = report.latency_ms.mean.expect("successes");
    assert_within_ci(
        "mean latency of the converged fleet [ms]",
        mean.mean,
        mean.ci95,
        w_ms(TARGET_FLEET),
        2.0,
    );
    let half = (mean.ci95[1] - mean.ci95[0]) / 2.0;
    let nearest =
        (w_ms(TARGET_FLEET - 1) - w_ms(TARGET_FLEET)).min(w_ms(TARGET_FLEET) - w_ms(TARGET_FLEET + 1));
    assert!(
        4.0 * half < nearest,
        "power: CI ±{half} ms cannot tell 23 instances from 22 or 24 ({nearest} ms)"
    );
    assert_eq!(report.availability.mean, 1.0, "nothing fails once converged");
}

/// (c) Static stability: the region's control plane is down from 3,000 s to 4,500 s, across the step.
/// The autoscaler wants to scale out at 3,780 s but cannot (reported once); the fleet stays at 9 until
/// the control plane returns, and the first evaluation after (4,500 s) launches, so the fleet is 23
/// from 4,800 s. The overload lasts 15 minutes longer than without the outage, and costs requests.
#[test]
fn a_control_plane_outage_holds_the_fleet_until_it_returns() {
    let outage = r#"outages: [(target: ControlPlane("r"), start_s: 3000.0, duration_s: 1500.0)]"#;
    let report = study(REQUESTS, "", &scenario(5400.0, 0.0, 2, 43, outage));
    let f = fleet(&report);
    let back = 4500.0;
    assert!(f.iter().filter(|b| b.0 < back + LAUNCH_S).all(|b| b.1 == 9), "grew while blocked: {f:?}");
    let settled = settled_at(&f, TARGET_FLEET).expect("a fleet");
    assert!(settled <= back + LAUNCH_S + PERIOD_S, "no scale-out after the control plane returned: {f:?}");
    let blocked = events(&report, SteeringKind::AutoscaleBlocked);
    assert_eq!(blocked.len(), 1, "{blocked:?}");
    assert!((blocked[0].0 - (STEP_AT_S + 3.0 * PERIOD_S)).abs() < 1e-6 && blocked[0].1 == 14, "{blocked:?}");
    let out = events(&report, SteeringKind::AutoscaleOut);
    assert!(out.len() == 1 && (out[0].0 - back).abs() < 1e-6, "{out:?}");

    let free = study(REQUESTS, "", &scenario(5400.0, 0.0, 2, 43, ""));
    let (a, b) = (report.availability.mean, free.availability.mean);
    assert!(a < b - 0.02, "the blocked scale-out should cost availability: {a} vs {b}");
}

/// Sampled fidelity: an evaluation that changes nothing declares nothing, so a steady hour with an
/// autoscaler is fast-forwarded as it is without one; and across the step the fleet follows the same
/// course as at full fidelity (the skips feed the metric at their window's rates), the launches ending
/// the skips.
#[test]
fn sampled_fidelity_skips_evaluations_that_change_nothing_and_keeps_the_scale_out() {
    let sampled = "fidelity: Sampled()";
    let steady = format!(
        r#"(name: "steady", horizon_s: 3600.0, replications: 2, seed: 44, traffic: (rate_per_s: 180.0), {sampled})"#
    );
    let with = study(REQUESTS, "", &steady);
    assert!(
        with.fidelity.request_level_share.mean < 0.05,
        "evaluations forced full fidelity: {} of the horizon at request level",
        with.fidelity.request_level_share.mean
    );
    let report = study(REQUESTS, "", &scenario(4800.0, 0.0, 2, 41, sampled));
    assert!(report.fidelity.request_level_share.mean < 0.5, "{}", report.fidelity.request_level_share.mean);
    let f = fleet(&report);
    let settled = settled_at(&f, TARGET_FLEET).expect("a fleet");
    let bound = STEP_AT_S + LAUNCH_S + 4.0 * PERIOD_S;
    assert!(settled > STEP_AT_S + LAUNCH_S && settled <= bound, "sampled: settled at {settled} s: {f:?}");
    assert!(f.iter().all(|&(_, n)| n == 9 || n == TARGET_FLEET), "{f:?}");
}

/// Scheduled actions: at 600 s the minimum rises to 20 (the fleet grows to it, one launch time later),
/// at 2,400 s the maximum falls to 12 and the minimum to 9 (the fleet drains down to 12 at once, then
/// target tracking takes it to 9); target tracking never goes below the minimum in force, though the
/// load (180/s) wants only 8. Instance-hours follow the fleet: the bill is the fleet's time integral.
#[test]
fn scheduled_actions_move_the_bounds_and_the_bill_follows_the_fleet() {
    let actions = "scheduled: [(at_s: 600.0, min: 20, max: 40), (at_s: 2400.0, min: 9, max: 12)],";
    let text =
        r#"(name: "sched", horizon_s: 3600.0, replications: 1, seed: 45, traffic: (rate_per_s: 180.0))"#;
    let report = study(REQUESTS, actions, text);
    let f = fleet(&report);
    let at = |t: f64| f.iter().find(|b| b.0 >= t).map(|b| b.1);
    assert_eq!(at(590.0), Some(9));
    assert_eq!(at(900.0 + 15.0), Some(20), "{f:?}");
    assert_eq!(at(2380.0), Some(20), "the minimum holds against a load that wants 8: {f:?}");
    assert_eq!(at(2400.0), Some(12), "{f:?}");
    // With min 9 again, 15 datapoints after the drain (2,400 s is one of them) it scales in to 9.
    assert_eq!(at(3220.0), Some(12), "{f:?}");
    assert_eq!(at(3240.0), Some(9), "{f:?}");
    // The bill is the fleet's time integral (draining instances stop once idle, within a period: at
    // most 11 + 3 instance-periods more).
    let bucket_s = report.representative.timeline.bucket_s;
    let instance_s: f64 = f.iter().map(|b| f64::from(b.1) * bucket_s).sum();
    let usd = |seconds: f64| seconds / 3600.0 * 0.1 * 730.0;
    let compute = report.cost_usd_per_month.breakdown.compute;
    let (lo, hi) = (usd(instance_s), usd(instance_s + 14.0 * PERIOD_S));
    assert!(lo - 1e-9 <= compute && compute <= hi, "compute {compute} outside [{lo}, {hi}]");
}

/// (d) Impossible settings are located errors naming the field, each at its line.
#[test]
fn impossible_autoscaling_settings_are_located_errors() {
    let text = model(
        "Utilisation(target: 1.5)",
        "metric_period_s: 0.0, scale_out_periods: 0, scheduled: [(at_s: 10.0, desired: 50)],",
    )
    .replace("min: 9,", "min: 12,")
    .replace("max: 40,", "max: 10,");
    let scenario = r#"(name: "x", horizon_s: 10.0, replications: 1, seed: 1, traffic: (rate_per_s: 1.0))"#;
    let errors = Files::new(&text, scenario).load(&[]).expect_err("invalid").to_string();
    let at = "services[svc].deployments[r].autoscaling";
    for needle in [
        format!("{at}.metric.target: a utilisation to keep must be above 0 and below 1, got 1.5"),
        format!("{at}.min: must be at most max (10), got 12"),
        format!("{at}.metric_period_s: must be from 1 to 86400 s, got 0"),
        format!("{at}.scale_out_periods: must be from 1 to 1440 periods, got 0"),
        format!("{at}.scheduled[0].desired"),
    ] {
        assert!(errors.contains(&needle), "no error '{needle}' in:\n{errors}");
    }
    assert!(errors.contains("model.ron:"), "located: {errors}");
    let zero = model(REQUESTS, "").replace("min: 9,", "min: 0,").replace("instances: 9", "instances: 1");
    let errors = Files::new(&zero, scenario).load(&[]).expect_err("invalid").to_string();
    assert!(errors.contains(&format!("{at}.min: must be at least 1")), "{errors}");
}
