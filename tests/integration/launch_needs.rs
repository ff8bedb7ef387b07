//! Dependencies used at launch and by the control plane (docs/architecture.md#dependencies): a pilot
//! light's launches wait exactly as long as its registry copy stays down after the failover begins,
//! and not at all for a copy that fails once they have started; an autoscaler's launches wait for the
//! registry too, while a dependency of the control plane blocks it exactly as a `ControlPlane` outage
//! does; the shipped teaching pair differs as derived by hand; sampled fidelity agrees with full on
//! it; and the new fields' errors are located.

use regionsim::analysis::report::Report;
use regionsim::model::study::Study;
use regionsim::sim::engine;
use regionsim::sim::observation::SteeringKind;
use regionsim::sim::trace::{TraceEvent, Window};

use crate::common::{Files, load, regionsim, root, run};
use crate::fidelity::agree_paired;

/// Two regions: us-east-1 serves (2 × 4 servers of 10 ms for 50 requests/s), us-west-2 is a pilot
/// light whose fleet takes a fixed 5 min to provision, behind Route 53 failover routing (the default
/// health checks). The service `api` pulls its image at launch from `registry`, of scope `scope`.
fn pilot_light(scope: &str) -> String {
    format!(
        r#"(
    name: "registry",
    regions: [
        (name: "us-east-1", zones: ["use1-az1", "use1-az2"]),
        (name: "us-west-2", zones: ["usw2-az1", "usw2-az2"]),
    ],
    dependencies: [(name: "registry", scope: {scope}, used: AtLaunch)],
    services: [(
        name: "api",
        service_time: Exponential(mean_ms: 10.0),
        concurrency: 4,
        price_usd_per_hour: 0.096,
        depends_on: ["registry"],
        deployments: {{
            "us-east-1": (instances: 2),
            "us-west-2": (instances: 2, standby: PilotLight(provision: Fixed(min: 5.0))),
        }},
    )],
    request_path: ["api"],
    populations: [(name: "users", location: "us-east-1", share: 1.0)],
    routing: Failover(order: ["us-east-1", "us-west-2"]),
    steering: Dns(ttl_s: 60.0),
    network: (builtin: "aws-p50-2025"),
)"#
    )
}

/// us-east-1 dark from 1,830 s for `duration_s`, 50 requests/s, every request simulated, and the
/// further `outages` (RON list items).
fn region_outage(duration_s: f64, outages: &str) -> String {
    format!(
        r#"(name: "outage", horizon_s: 4000.0, warmup_s: 60.0, replications: 1, seed: 20261202,
            traffic: (rate_per_s: 50.0), fidelity: Full,
            outages: [(target: Region("us-east-1"), start_s: 1830.0, duration_s: {duration_s}), {outages}])"#
    )
}

fn traced(study: &Study) -> Vec<TraceEvent> {
    let (m, s) = (&study.model, &study.scenario);
    let window = Window { from_s: 0.0, to_s: s.horizon.as_secs_f64() };
    engine::run_traced(m, s, s.seed, 0, window).expect("runs traced").1.events
}

/// When the first event of `kind` about `component` happened, if any.
fn at(events: &[TraceEvent], kind: &str, component: &str) -> Option<f64> {
    events.iter().find(|e| e.what.kind() == kind && e.component.as_deref() == Some(component)).map(|e| e.t_s)
}

fn events_of(model: &str, scenario: &str) -> Vec<TraceEvent> {
    traced(&Files::new(model, scenario).load(&[]).expect("the study loads"))
}

/// The health checks declare us-east-1 unhealthy at t_w (read from the trace; tens of seconds after
/// 1,830 s). With the registry up the pilot light's fleet is provisioned at t_w + 300 s. With
/// us-west-2's registry copy down from 1,700 s to 2,400 s (so across t_w) the provisioning cannot
/// start until the copy returns and takes its 300 s from then: up at 2,400 + 300 = 2,700 s, a delay of
/// exactly 2,400 − t_w, the time the copy stayed down after the failover began. A copy that fails
/// after the provisioning has started (t_w + 60 s, for 10 min) changes nothing: the image was pulled
/// at the start, so the fleet is up at t_w + 300 s. A global registry homed in us-east-1 is down with
/// it: a 600 s outage (back at 2,430 s) puts the fleet up at 2,430 + 300 = 2,730 s.
#[test]
fn a_pilot_lights_launches_wait_exactly_while_its_registry_copy_is_down() {
    let regional = pilot_light("Regional");
    let free = events_of(&regional, &region_outage(3600.0, ""));
    let t_w = at(&free, "unhealthy", "region:us-east-1").expect("the failover is detected");
    assert!(t_w > 1830.0 && t_w < 2000.0, "detected at {t_w}");
    assert_eq!(at(&free, "scaled_up", "api@us-west-2"), Some(t_w + 300.0), "{free:#?}");

    let copy = r#"Dependency(dependency: "registry", region: "us-west-2")"#;
    let across = format!("(target: {copy}, start_s: 1700.0, duration_s: 700.0)");
    let waited = events_of(&regional, &region_outage(3600.0, &across));
    assert_eq!(at(&waited, "unhealthy", "region:us-east-1"), Some(t_w), "the same detection");
    let up = at(&waited, "scaled_up", "api@us-west-2").expect("scaled up");
    assert_eq!(up, 2700.0, "{waited:#?}");
    assert_eq!(up - (t_w + 300.0), 2400.0 - t_w, "delayed by the copy's downtime after the failover");

    let after_start = format!("(target: {copy}, start_s: {}, duration_s: 600.0)", t_w + 60.0);
    let started = events_of(&regional, &region_outage(3600.0, &after_start));
    assert_eq!(at(&started, "scaled_up", "api@us-west-2"), Some(t_w + 300.0), "{started:#?}");

    let global = pilot_light(r#"Global(home: "us-east-1")"#);
    let homed = events_of(&global, &region_outage(600.0, ""));
    assert_eq!(at(&homed, "scaled_up", "api@us-west-2"), Some(2730.0), "{homed:#?}");
}

/// The fleet of tests/integration/autoscaling.rs (9 instances of 4 × 100 ms behind a random balancer,
/// target tracking on 24 requests/s per instance, min 9, max 40, launches of a fixed 300 s), its
/// traffic stepping at 1 h from 180/s to 540/s, which asks for ceil(540 / 24) = 23 instances: the
/// third datapoint above the target ends at 3,780 s. `dependency` is its one dependency (`name:
/// "needed"`), and the scenario takes copy `needed@r` down from 3,000 s to 4,500 s.
fn autoscaled(dependency: &str) -> String {
    format!(
        r#"(
    name: "autoscaled",
    regions: [(name: "r", zones: ["z1", "z2"])],
    dependencies: [{dependency}],
    services: [(
        name: "svc",
        service_time: Exponential(mean_ms: 100.0),
        concurrency: 4,
        price_usd_per_hour: 0.1,
        load_balancing: Random,
        depends_on: ["needed"],
        deployments: {{ "r": (instances: 9, autoscaling: (
            metric: RequestsPerInstance(target_per_s: 24.0), min: 9, max: 40, launch: Fixed(s: 300.0),
        )) }},
    )],
    request_path: ["svc"],
    populations: [(name: "clients", location: "r", share: 1.0)],
)"#
    )
}

fn step(target: &str) -> String {
    let profile = crate::autoscaling::step_profile();
    format!(
        r#"(name: "step", horizon_s: 5400.0, warmup_s: 0.0, replications: 1, seed: 43,
            traffic: (rate_per_s: 360.0, daily_profile: [{profile}]),
            outages: [(target: {target}, start_s: 3000.0, duration_s: 1500.0)])"#
    )
}

fn events(report: &Report, kind: SteeringKind) -> Vec<(f64, i64)> {
    let tl = &report.representative.timeline;
    tl.steering.iter().filter(|e| e.kind == kind).map(|e| (e.t_s, e.count.unwrap_or(0))).collect()
}

/// A dependency of the control plane, down from 3,000 s to 4,500 s, blocks the scale-out as the
/// region's `ControlPlane` outage over the same interval does (autoscaling.rs derives it: one
/// `autoscale_blocked` of 23 − 9 = 14 at 3,780 s, the launch at the first evaluation after the
/// return, 4,500 s): the same events, and, the rest of the run being the same draws, the same
/// availability. A dependency used at launch instead lets the autoscaler decide at 3,780 s (a
/// scale-out of 14, not blocked), and its 14 launches start when the copy returns: all in service at
/// 4,500 + 300 = 4,800 s, exactly.
#[test]
fn a_control_plane_dependency_blocks_the_autoscaler_and_a_launch_dependency_holds_its_launches() {
    let copy = r#"Dependency(dependency: "needed", region: "r")"#;
    let cp = Files::new(&autoscaled(r#"(name: "needed", scope: Regional, used: ControlPlane)"#), &step(copy));
    let by_dependency = run(&cp.load(&[]).expect("valid"));
    let plane = Files::new(
        &autoscaled(r#"(name: "needed", scope: Regional, used: ControlPlane)"#),
        &step(r#"ControlPlane("r")"#),
    );
    let by_outage = run(&plane.load(&[]).expect("valid"));
    for report in [&by_dependency, &by_outage] {
        assert_eq!(events(report, SteeringKind::AutoscaleBlocked), vec![(3780.0, 14)]);
        assert_eq!(events(report, SteeringKind::AutoscaleOut), vec![(4500.0, 14)]);
    }
    assert_eq!(by_dependency.availability.mean, by_outage.availability.mean);

    let launch = Files::new(&autoscaled(r#"(name: "needed", scope: Regional, used: AtLaunch)"#), &step(copy));
    let study = launch.load(&[]).expect("valid");
    let report = run(&study);
    assert!(events(&report, SteeringKind::AutoscaleBlocked).is_empty());
    assert_eq!(events(&report, SteeringKind::AutoscaleOut), vec![(3780.0, 14)]);
    let launched: Vec<f64> =
        traced(&study).iter().filter(|e| e.what.kind() == "launched").map(|e| e.t_s).collect();
    assert_eq!(launched, vec![4800.0; 14], "every launch waits for the copy, then takes 300 s");
    // The fleet grows at the same instant as after the control plane's return: the same availability.
    assert_eq!(report.availability.mean, by_outage.availability.mean);
}

/// The teaching pair on the shipped region outage (us-east-1 down from 1,800 s for 14,400 s, a
/// 21,590 s observed horizon), 4 replications. With the registry homed in us-east-1 the standby cannot
/// launch until us-east-1 is back, so the whole outage is lost: availability ≈ 1 − 14,400 / 21,590 =
/// 33.3%, a little less for the failback (detection of the return and DNS). With a copy per region it
/// is pilot-light.ron's: lost is detection (≈ 1.5 min) and the provisioning, LogNormal(median 20 min,
/// σ 0.5), mean 20·e^(0.125) = 22.7 min, so ≈ 1 − 1,450 / 21,590 = 93.3%, a few points less for the
/// ALB checks and the retries' load; the difference about +60 pp.
#[test]
fn the_registry_pair_differs_by_the_outage_the_standby_could_not_cover() {
    let scenario = root().join("scenarios/region-outage.ron");
    let report = |name: &str| {
        let model = root().join(format!("models/{name}.ron"));
        run(&load(&model, &scenario, &["replications=4"], None, None).expect("valid study"))
    };
    let (global, regional, plain) = (
        report("pilot-light-global-registry"),
        report("pilot-light-regional-registry"),
        report("pilot-light"),
    );
    let (g, r) = (global.availability.mean, regional.availability.mean);
    eprintln!("global registry {g:.5}, regional {r:.5}, pilot light {:.5}", plain.availability.mean);
    assert!((0.31..0.334).contains(&g), "global registry: {g}");
    assert!((0.85..0.96).contains(&r), "regional registry: {r}");
    assert!((0.50..0.65).contains(&(r - g)), "difference {}", r - g);
    assert_eq!(r, plain.availability.mean, "a copy per region changes nothing");
}

/// Sampled fidelity on the global-registry model through a 30-minute outage of us-east-1 (the registry's
/// home) at 200 requests/s: the standby waits, the region's return ends the outage, and the standby's
/// launch then starts (and is mostly cancelled by its scale-in). Availability, latency, RTO, writes
/// lost and cost agree with full fidelity on paired differences (fidelity.rs's `agree_paired`).
#[test]
fn sampled_fidelity_agrees_with_full_on_the_global_registry_model() {
    let files = Files::new(
        "",
        r#"(name: "outage", horizon_s: 7200.0, warmup_s: 60.0, replications: 10, seed: 31,
            traffic: (rate_per_s: 200.0), data: (write_fraction: 0.2, keys: 100000, zipf_exponent: 0.99),
            outages: [(target: Region("us-east-1"), start_s: 1800.0, duration_s: 1800.0)])"#,
    );
    let model = root().join("models/pilot-light-global-registry.ron");
    let sampled = load(&model, &files.scenario(), &["fidelity=Sampled()"], None, None).expect("valid study");
    let full = load(&model, &files.scenario(), &["fidelity=Full"], None, None).expect("valid study");
    let (sampled, full) = (run(&sampled), run(&full));
    assert!(sampled.fidelity.fast_forwarded_requests > 0, "sampled skips: {:?}", sampled.fidelity);
    agree_paired("availability", &sampled, &full, |r| Some(r.availability));
    agree_paired("time availability", &sampled, &full, |r| Some(r.time_availability));
    agree_paired("latency mean", &sampled, &full, |r| r.latency_mean_ms);
    agree_paired("RTO", &sampled, &full, |r| r.rto_max_s);
    agree_paired("writes lost", &sampled, &full, |r| Some(r.writes_lost as f64));
    agree_paired("monthly cost", &sampled, &full, |r| Some(r.cost_usd_per_month));
}

/// `cache_ttl_s` on a dependency used at launch or by the control plane, and an unknown dependency in
/// `depends_on`, are located errors; `validate` exits 2 naming the field.
#[test]
fn launch_and_control_plane_dependency_errors_are_located() {
    let scenario = region_outage(600.0, "");
    for used in ["AtLaunch", "ControlPlane"] {
        let model =
            pilot_light("Regional").replace("used: AtLaunch)", &format!("used: {used}, cache_ttl_s: 60.0)"));
        Files::new(&model, &scenario).assert_refused(
            &[],
            &[&format!(
                "dependencies[registry].cache_ttl_s: only a dependency used PerRequest has a cache; this one is used {used}"
            )],
            "dependencies[registry].cache_ttl_s",
        );
    }
    let unknown =
        pilot_light("Regional").replace(r#"depends_on: ["registry"]"#, r#"depends_on: ["regsitry"]"#);
    Files::new(&unknown, &scenario).assert_refused(
        &[],
        &["services[api].depends_on: unknown dependency 'regsitry'", "did you mean 'registry'?"],
        "services[api].depends_on",
    );
    let bad_use = pilot_light("Regional").replace("used: AtLaunch", "used: AtStart");
    let files = Files::new(&bad_use, &scenario);
    let e = files.load(&[]).map(|_| ()).unwrap_err().to_string();
    assert!(e.contains("model.ron:") && e.contains("AtStart"), "located: {e}");
    let m = files.model();
    let out = regionsim(&["validate", m.to_str().unwrap(), files.scenario().to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
}

/// `explain` on the teaching pair: with the registry homed in us-east-1, a failure of us-east-1 leaves
/// the pilot light with nothing to launch from, so nothing serves until the repair (cascading, the
/// blocked failover named); with a copy per region the pilot light launches from its own and takes
/// over (redundant). The registry's own copy failing alone changes nothing on any path (ignorable),
/// and the reason says whose launches would wait.
#[test]
fn explain_names_a_failover_blocked_by_a_registry() {
    use regionsim::analysis::explain::{Class, explain};
    let scenario = root().join("scenarios/region-outage.ron");
    let explained = |name: &str| {
        let study =
            load(&root().join(format!("models/{name}.ron")), &scenario, &[], None, None).expect("valid");
        explain(&study.model, Some(&study.scenario))
    };
    let global = explained("pilot-light-global-registry");
    let region = global.domains.iter().find(|d| d.kind == "region" && d.name == "us-east-1").expect("listed");
    for impact in &region.impacts {
        assert_eq!(impact.class, Class::Cascading, "{impact:?}");
        assert_eq!(impact.lost_until_repair, 1.0, "{impact:?}");
        assert!(
            impact.reason.contains(
                "api@us-west-2 (pilot light) launches its standby fleet with registry (global, homed in \
                 us-east-1, used at launch), which is down: its failover is blocked"
            ),
            "{}",
            impact.reason
        );
    }
    let copy = global.domains.iter().find(|d| d.name == "registry@us-east-1").expect("listed");
    for impact in &copy.impacts {
        assert_eq!(impact.class, Class::Ignorable, "{impact:?}");
        assert!(
            impact.reason.contains("while registry is down, launches of api@us-east-1"),
            "{}",
            impact.reason
        );
    }
    let regional = explained("pilot-light-regional-registry");
    let region =
        regional.domains.iter().find(|d| d.kind == "region" && d.name == "us-east-1").expect("listed");
    for impact in &region.impacts {
        assert_eq!(impact.class, Class::Redundant, "{impact:?}");
        assert!(!impact.reason.contains("blocked"), "{}", impact.reason);
    }
}

/// A dependency no service lists is legal but surely a mistake (issue #13): a run warns, naming it; a
/// model whose every dependency is used does not.
#[test]
fn a_dependency_used_by_nothing_is_warned() {
    let scenario = r#"(name: "s", horizon_s: 200.0, warmup_s: 10.0, replications: 2, seed: 1,
        traffic: (rate_per_s: 20.0))"#;
    let spare = pilot_light("Regional")
        .replace("used: AtLaunch)]", r#"used: AtLaunch), (name: "spare", scope: Regional)]"#);
    let warned = run(&Files::new(&spare, scenario).load(&[]).expect("legal"));
    let needle = "dependency 'spare' is used by no service";
    assert!(warned.warnings.iter().any(|w| w.contains(needle)), "{:?}", warned.warnings);
    assert!(!warned.warnings.iter().any(|w| w.contains("'registry' is used by no")), "{:?}", warned.warnings);
    let quiet = run(&Files::new(&pilot_light("Regional"), scenario).load(&[]).expect("legal"));
    assert!(!quiet.warnings.iter().any(|w| w.contains("is used by no service")), "{:?}", quiet.warnings);
}
