//! Random streams are independent per component and purpose (docs/architecture.md#random-streams).

use regionsim::sim::montecarlo::{self, RunOptions};
use regionsim::sim::observation::Observations;

use crate::common::Files;

const MODEL: &str = r#"(
    name: "two-services",
    regions: [(name: "r", zones: ["z1", "z2"])],
    services: [
        (name: "front", service_time: Exponential(mean_ms: 2.0), concurrency: 8, price_usd_per_hour: 0.1,
         deployments: { "r": (instances: 2) }),
        (name: "back", service_time: Exponential(mean_ms: 5.0), concurrency: 8, price_usd_per_hour: 0.1,
         deployments: { "r": (instances: 3) }),
    ],
    request_path: ["front", "back"],
    populations: [(name: "a", location: "r", share: 0.5), (name: "b", location: "r", share: 0.5)],
)"#;

fn scenario(back_ttf_h: f64) -> String {
    format!(
        r#"(name: "s", horizon_s: 3600.0, replications: 4, seed: 42, traffic: (rate_per_s: 200.0),
            failures: [
                (kind: Instance, only: ["front"], time_to_failure: Exponential(mean_h: 0.2), time_to_repair: Exponential(mean_min: 2.0)),
                (kind: Instance, only: ["back"], time_to_failure: Weibull(shape: 1.5, scale_h: {back_ttf_h}), time_to_repair: Exponential(mean_min: 3.0)),
            ])"#
    )
}

fn observe(back_ttf_h: f64) -> Vec<Observations> {
    let files = Files::new(MODEL, &scenario(back_ttf_h));
    let study = files.load(&[]).expect("valid study");
    montecarlo::run(&study.model, &study.scenario, &RunOptions { threads: Some(2), progress: false })
        .expect("runs")
}

#[test]
fn changing_one_services_failures_leaves_arrivals_and_other_failures_unchanged() {
    let before = observe(0.5);
    let after = observe(0.1);
    let mut back_changed = false;
    for (x, y) in before.iter().zip(&after) {
        // Arrivals: the same count in each of the 240 timeline buckets of every replication.
        let arrivals = |o: &Observations| o.timeline.buckets.iter().map(|b| b.arrived).collect::<Vec<_>>();
        assert_eq!(arrivals(x), arrivals(y), "replication {}: arrival times moved", x.replication);
        assert_eq!(x.arrivals_in_window, y.arrivals_in_window);
        // The front instances fail at the same times.
        let front = |o: &Observations| {
            o.timeline
                .infra
                .iter()
                .filter(|e| e.component.starts_with("instance:front"))
                .cloned()
                .collect::<Vec<_>>()
        };
        assert!(!front(x).is_empty());
        assert_eq!(front(x), front(y), "replication {}: front failures moved", x.replication);
        let back = |o: &Observations| {
            o.timeline
                .infra
                .iter()
                .filter(|e| e.component.starts_with("instance:back"))
                .cloned()
                .collect::<Vec<_>>()
        };
        back_changed |= back(x) != back(y);
    }
    assert!(back_changed, "the edited failure process must change the back instances' failures");
}
