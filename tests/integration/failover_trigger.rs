//! The failover trigger (docs/architecture.md#failover-trigger): an operator-triggered standby and store
//! fail over at the failure + the alarm's delay (from period alignment) + the decision time, exactly;
//! a random decision time adds its mean to the RTO over the automatic trigger, paired on one seed; a
//! region back before the operator decides is not failed over; bad alarms are located errors.

use regionsim::analysis::story;
use regionsim::model::study::Study;
use regionsim::sim::engine;
use regionsim::sim::montecarlo::{self, RunOptions};
use regionsim::sim::trace::{Trace, TraceEvent, Window};

use crate::common::{Files, assert_within_ci, mean_ci, regionsim};

/// Two regions: us-east-1 serves (2 × 4 servers of 10 ms for 50 requests/s), us-west-2 is a pilot
/// light whose fleet takes a fixed 5 min to provision, behind Route 53 failover routing with the
/// default health checks (30 s, 3 failures, 4 s timeout, 13 of 15 checkers to flip). The store
/// `orders` (primary us-east-1, replica us-west-2) promotes in a fixed 30 s. `standby` and `store` are
/// the two `failover` triggers.
fn model(standby: &str, store: &str) -> String {
    format!(
        r#"(
    name: "trigger",
    regions: [
        (name: "us-east-1", zones: ["use1-az1", "use1-az2"]),
        (name: "us-west-2", zones: ["usw2-az1", "usw2-az2"]),
    ],
    services: [(
        name: "api",
        service_time: Exponential(mean_ms: 10.0),
        concurrency: 4,
        price_usd_per_hour: 0.096,
        deployments: {{
            "us-east-1": (instances: 2),
            "us-west-2": (instances: 2, standby: PilotLight(provision: Fixed(min: 5.0), failover: {standby})),
        }},
    )],
    stores: [(
        name: "orders",
        primary: "us-east-1",
        replicas: ["us-west-2"],
        replication: Async(lag: Fixed(ms: 100.0)),
        promotion: Fixed(s: 30.0),
        failover: {store},
    )],
    request_path: ["api", "orders"],
    populations: [(name: "users", location: "us-east-1", share: 1.0)],
    routing: Failover(order: ["us-east-1", "us-west-2"]),
    steering: Dns(ttl_s: 60.0),
    network: (builtin: "aws-p50-2025"),
)"#
    )
}

/// us-east-1 dark from `start_s` for `duration_s`, 50 requests/s, every request simulated.
fn scenario(start_s: f64, duration_s: f64, horizon_s: f64, replications: u32) -> String {
    format!(
        r#"(name: "outage", horizon_s: {horizon_s}, warmup_s: 60.0, replications: {replications}, seed: 20261201,
            traffic: (rate_per_s: 50.0), fidelity: Full,
            outages: [(target: Region("us-east-1"), start_s: {start_s}, duration_s: {duration_s})])"#
    )
}

const OPERATOR: &str = "Operator(alarm: (period_s: 60.0, evaluation_periods: 3), decision: Fixed(min: 10.0))";

fn load(model: &str, scenario: &str) -> (Files, Study) {
    let files = Files::new(model, scenario);
    let study = files.load(&[]).expect("the study loads");
    (files, study)
}

fn traced(study: &Study) -> Trace {
    let (m, s) = (&study.model, &study.scenario);
    let window = Window { from_s: 0.0, to_s: s.horizon.as_secs_f64() };
    engine::run_traced(m, s, s.seed, 0, window).expect("runs traced").1
}

fn events(study: &Study) -> Vec<TraceEvent> {
    traced(study).events
}

/// When the first event of `kind` about `component` happened, if any.
fn at(events: &[TraceEvent], kind: &str, component: &str) -> Option<f64> {
    events.iter().find(|e| e.what.kind() == kind && e.component.as_deref() == Some(component)).map(|e| e.t_s)
}

/// The region fails at t0 = 1,830 s. One-minute periods aligned on the clock: the first to end with the
/// region down is [1,800, 1,860), so the third consecutive breaching period ends at 1,980 s: the alarm
/// fires 150 s after the failure (not 3 × 60 = 180 s: alignment). The operator decides 10 min later, at
/// 2,580 s, for both the standby and the store (one runbook, one decision); the store's replica is the
/// primary 30 s after that (2,610 s) and the pilot light's fleet is up 5 min after it (2,880 s). The
/// automatic trigger would have promoted at 1,830 + 30 = 1,860 s.
#[test]
fn an_operator_fails_over_at_the_alarm_plus_the_decision() {
    let (_files, study) = load(&model(OPERATOR, OPERATOR), &scenario(1830.0, 3600.0, 3600.0, 1));
    let trace = traced(&study);
    // The story tells both steps at their instants.
    let lines: Vec<String> = story::narrate(&study.model, &trace)
        .iter()
        .map(|l| format!("{} {}", story::clock(l.t_s), l.text))
        .collect();
    for told in [
        "00:33:00 the alarm on us-east-1 fires (3 of 3 periods breaching)",
        "00:43:00 an operator fails over to us-west-2",
        "00:43:00 an operator fails store orders over: the replica in us-west-2 is being promoted",
    ] {
        assert!(lines.iter().any(|l| l == told), "'{told}' not in {lines:#?}");
    }
    let e = trace.events;
    assert_eq!(at(&e, "alarm_fired", "region:us-east-1"), Some(1980.0), "{e:#?}");
    assert_eq!(at(&e, "operator_decided", "region:us-east-1"), Some(2580.0), "{e:#?}");
    assert_eq!(at(&e, "operator_decided", "store:orders"), Some(2580.0), "{e:#?}");
    assert_eq!(at(&e, "promoted", "store:orders@us-west-2"), Some(2610.0), "{e:#?}");
    assert_eq!(at(&e, "scaled_up", "api@us-west-2"), Some(2880.0), "{e:#?}");
    // One alarm and one decision for the two subjects of the runbook.
    assert_eq!(e.iter().filter(|e| e.what.kind() == "alarm_fired").count(), 1);

    let (_files, auto) = load(&model("Automatic", "Automatic"), &scenario(1830.0, 3600.0, 3600.0, 1));
    let e = events(&auto);
    assert_eq!(at(&e, "promoted", "store:orders@us-west-2"), Some(1860.0), "{e:#?}");
    assert!(e.iter().all(|e| e.what.kind() != "alarm_fired"), "no alarm without an operator");
}

/// The region is back at 1,830 + 400 = 2,230 s: after the alarm (1,980 s, the region was down at the
/// end of its third period) but before the decision (2,580 s). The operator stands down: no promotion,
/// no provisioning. Back at 1,830 + 100 = 1,930 s, before the third period ends, the alarm never fires.
#[test]
fn a_region_back_before_the_operator_acts_is_not_failed_over() {
    let (_files, study) = load(&model(OPERATOR, OPERATOR), &scenario(1830.0, 400.0, 3000.0, 1));
    let e = events(&study);
    assert_eq!(at(&e, "alarm_fired", "region:us-east-1"), Some(1980.0), "{e:#?}");
    assert_eq!(at(&e, "operator_stood_down", "region:us-east-1"), Some(2580.0), "{e:#?}");
    let told = story::narrate(&study.model, &Trace { events: e.clone(), ..Trace::default() });
    let line = told.iter().find(|l| l.kind == "operator_stood_down").expect("told");
    assert_eq!(line.text, "the operator stands down: us-east-1 serves again, no failover");
    for kind in ["operator_decided", "promoted", "scaled_up"] {
        assert!(e.iter().all(|e| e.what.kind() != kind), "{kind} after the region came back: {e:#?}");
    }

    let (_files, short) = load(&model(OPERATOR, OPERATOR), &scenario(1830.0, 100.0, 3000.0, 1));
    let e = events(&short);
    for kind in ["alarm_fired", "operator_decided", "operator_stood_down", "promoted", "scaled_up"] {
        assert!(e.iter().all(|e| e.what.kind() != kind), "{kind} after a 100 s outage: {e:#?}");
    }
}

/// The RTO the operator costs, paired on one seed (same health-checker phases, same draws elsewhere).
/// The failure is at t0 = 1,800 s, on a period boundary: the alarm (3 × 60 s) fires at t0 + 180 s, and
/// the operator decides D later, D ~ Uniform(5 min, 15 min), E[D] = 600 s. Automatically, provisioning
/// starts at the health checks' detection, t0 + det (the 13th of 15 checkers: E[det] = 30 × 13/16 + 2 ×
/// 30 + 4 = 88.4 s); by operator at t0 + 180 + D. Everything after the start of provisioning (5 min,
/// checks passing, DNS, clients following) has the same distribution in both, so per replication
/// RTO_operator − RTO_automatic − 180 + det estimates D, and its mean E[D] = 600 s. Tolerance: the 95%
/// CI of that mean over 20 replications (D's spread, 173 s, dominates it).
#[test]
fn the_operator_adds_the_decision_times_mean_to_the_rto() {
    let operator = "Operator(alarm: (period_s: 60.0, evaluation_periods: 3), \
                    decision: Uniform(min_min: 5.0, max_min: 15.0))";
    let scenario = scenario(1800.0, 3600.0, 4200.0, 20);
    let rto = |standby: &str| {
        let (_files, study) = load(&model(standby, "Automatic"), &scenario);
        let runs =
            montecarlo::run(&study.model, &study.scenario, &RunOptions { threads: Some(2), progress: false })
                .expect("runs");
        runs.iter()
            .map(|o| {
                assert_eq!(o.failovers.len(), 1, "replication {}", o.replication);
                let f = &o.failovers[0];
                (f.rto_s.expect("recovered"), f.detection_s.expect("detected"))
            })
            .collect::<Vec<_>>()
    };
    let (auto, by_operator) = (rto("Automatic"), rto(operator));
    let decisions: Vec<f64> =
        auto.iter().zip(&by_operator).map(|(&(a, det), &(o, _))| o - a - 180.0 + det).collect();
    let (mean, ci) = mean_ci(&decisions);
    let increase =
        by_operator.iter().map(|r| r.0).sum::<f64>() / 20.0 - auto.iter().map(|r| r.0).sum::<f64>() / 20.0;
    eprintln!(
        "RTO increase {increase:.1} s; decision estimate {mean:.1} s [{:.1}, {:.1}], E[D] = 600 s",
        ci[0], ci[1]
    );
    assert_within_ci("mean decision time behind the RTO increase", mean, ci, 600.0, 1.0);
}

/// An alarm with no evaluation period, or a period of zero or less seconds: located errors naming the
/// field, from `regionsim validate` with exit code 2.
#[test]
fn bad_alarms_are_located_errors() {
    let zero = "Operator(alarm: (period_s: 60.0, evaluation_periods: 0), decision: Fixed(min: 10.0))";
    let negative = "Operator(alarm: (period_s: -5.0, evaluation_periods: 3), decision: Fixed(min: 10.0))";
    let files = Files::new(&model(zero, negative), &scenario(1830.0, 600.0, 3600.0, 1));
    let e = files.load(&[]).expect_err("refused").0.iter().map(|e| e.to_string()).collect::<Vec<_>>();
    assert_eq!(e.len(), 2, "{e:#?}");
    let standby = "services[api].deployments[us-west-2].standby.failover.alarm.evaluation_periods";
    assert!(e.iter().any(|m| m.contains(standby) && m.contains("at least 1")), "{e:#?}");
    assert!(
        e.iter().any(|m| m.contains("stores[orders].failover.alarm.period_s") && m.contains("> 0")),
        "{e:#?}"
    );

    // A multi-writer store has no promotion for an operator to start.
    let files = Files::new(
        &model("Automatic", OPERATOR).replace("promotion: Fixed(s: 30.0),", "multi_writer: true,"),
        &scenario(1830.0, 600.0, 3600.0, 1),
    );
    let e = files.load(&[]).expect_err("refused").0.iter().map(|e| e.to_string()).collect::<Vec<_>>();
    assert!(
        e.iter().any(|m| m.contains("stores[orders].failover") && m.contains("nothing to promote")),
        "{e:#?}"
    );

    let zero_period = "Operator(alarm: (period_s: 0.0), decision: Fixed(min: 10.0))";
    let files = Files::new(&model(zero_period, "Automatic"), &scenario(1830.0, 600.0, 3600.0, 1));
    let (m, s) = (files.model(), files.scenario());
    let out = regionsim(&["validate", m.to_str().expect("utf-8"), s.to_str().expect("utf-8")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("services[api].deployments[us-west-2].standby.failover.alarm.period_s"),
        "{stderr}"
    );
}

/// Sampled fidelity never averages over the operator: on the shipped `pilot-light-operator` and the
/// region outage (us-east-1 dark from 1,800 s; one-minute alarm: it fires at 1,860 s), the alarm, the
/// decision, the promotion and the scale-ups happen at the same instants whether requests are
/// fast-forwarded or all simulated (infrastructure is always simulated in full, and its draws come from
/// their own streams), and the decision lies 1,860 s + the decision time, so after the alarm.
#[test]
fn sampled_fidelity_keeps_the_operators_instants() {
    let instants = |sets: &[&str]| {
        let study = crate::common::load(
            &crate::common::root().join("models/pilot-light-operator.ron"),
            &crate::common::root().join("scenarios/region-outage.ron"),
            sets,
            Some(1),
            None,
        )
        .expect("the shipped study loads");
        let kinds = ["alarm_fired", "operator_decided", "promoted", "scaled_up"];
        events(&study)
            .into_iter()
            .filter(|e| kinds.contains(&e.what.kind()))
            .map(|e| (e.what.kind().to_string(), e.component.unwrap_or_default(), e.t_s))
            .collect::<Vec<_>>()
    };
    let sampled = instants(&["horizon_s=5400"]);
    let full = instants(&["horizon_s=5400", "fidelity=Full"]);
    assert_eq!(sampled, full);
    assert_eq!(sampled[0], ("alarm_fired".to_string(), "region:us-east-1".to_string(), 1860.0));
    assert!(sampled.iter().any(|(k, _, t)| k == "operator_decided" && *t > 1860.0), "{sampled:#?}");
    assert!(sampled.iter().any(|(k, _, _)| k == "scaled_up"), "{sampled:#?}");
}
