//! Metamorphic properties (proptest, fixed seeds): transformations of the input that must leave the
//! statistics unchanged (reordering a model's lists, rescaling time) or within a paired CI (sampled
//! against full fidelity), and seeds whose replications are independent.

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed};
use regionsim::analysis::report::Report;
use regionsim::input::spec::ModelSpec;

use crate::common::{Files, load, queue_model, root, run};

/// Few, expensive cases, always the same ones.
fn config(cases: u32) -> Config {
    Config { cases, rng_seed: RngSeed::Fixed(0x2026_1201), failure_persistence: None, ..Config::default() }
}

/// The statistics that must not move, per replication, rounded to 12 significant digits (summation
/// order of floating point sums over populations may move the last bits).
fn fingerprint(r: &Report) -> Vec<String> {
    let g = |v: f64| format!("{v:.12e}");
    let o = |v: Option<f64>| v.map_or("-".into(), g);
    let mut out: Vec<String> = r
        .runs
        .iter()
        .map(|row| {
            format!(
                "{} {} {} {} {} {} {} {} {}",
                row.requests,
                row.succeeded,
                g(row.time_availability),
                o(row.latency_mean_ms),
                o(row.latency_p99_ms),
                row.failovers,
                o(row.rto_max_s),
                row.writes_lost,
                g(row.cost_usd_per_month)
            )
        })
        .collect();
    let mut pops: Vec<String> =
        r.per_population.iter().map(|p| format!("{} {} {}", p.name, p.requests, p.succeeded)).collect();
    pops.sort();
    out.extend(pops);
    out
}

fn permute<T>(v: &mut [T], key: u64) {
    // A deterministic shuffle from `key` (Fisher-Yates with a tiny LCG).
    let mut x = key | 1;
    for i in (1..v.len()).rev() {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        v.swap(i, (x >> 33) as usize % (i + 1));
    }
}

fn reordered(spec: &ModelSpec, key: u64) -> ModelSpec {
    let mut s = spec.clone();
    permute(&mut s.regions, key);
    for (i, r) in s.regions.iter_mut().enumerate() {
        permute(&mut r.zones, key.wrapping_add(i as u64 + 1));
    }
    permute(&mut s.services, key.rotate_left(7));
    permute(&mut s.populations, key.rotate_left(13));
    permute(&mut s.stores, key.rotate_left(17));
    s
}

fn run_spec(spec: &ModelSpec, scenario: &str) -> Report {
    let text = ron::ser::to_string_pretty(spec, ron::ser::PrettyConfig::default()).expect("serialises");
    let files = Files::new(&text, scenario);
    run(&files.load(&[]).expect("the reordered model is valid"))
}

proptest! {
    #![proptest_config(config(3))]

    /// Reordering regions, zones, services, populations and stores in a model file leaves every
    /// statistic unchanged: the engine never depends on the order things are listed in.
    #[test]
    fn reordering_a_model_leaves_every_statistic_unchanged(key in any::<u64>()) {
        for (model, scenario) in [
            ("tests/fixtures/zone_outage_model.ron", std::fs::read_to_string(root().join("tests/fixtures/zone_outage_scenario.ron")).unwrap()),
            ("models/active-passive.ron", r#"(name: "s", horizon_s: 2400.0, warmup_s: 10.0, replications: 2, seed: 3,
                traffic: (rate_per_s: 100.0), fidelity: Sampled(),
                failures: [(kind: Instance, time_to_failure: Exponential(mean_h: 0.5), time_to_repair: Exponential(mean_min: 2.0))],
                outages: [(target: Region("us-east-1"), start_s: 600.0, duration_s: 900.0)])"#.to_string()),
        ] {
            let files = Files::new("", &scenario);
            let study = load(&root().join(model), &files.scenario(), &[], None, None).expect("valid");
            let before = run_spec(&study.model_spec, &scenario);
            let after = run_spec(&reordered(&study.model_spec, key), &scenario);
            prop_assert_eq!(fingerprint(&before), fingerprint(&after), "{} with key {}", model, key);
        }
    }

    /// Sampled and full fidelity agree, within the paired CI of their per-replication availabilities,
    /// at random horizons, outage times and daily-profile boundaries.
    #[test]
    fn sampled_agrees_with_full_fidelity_anywhere(
        horizon in 1800.0f64..7300.0,
        start in 200.0f64..1500.0,
        duration in 5.0f64..1200.0,
        profile in any::<bool>(),
    ) {
        let daily = if profile {
            format!(", daily_profile: [{}]", (0..24).map(|h| if h % 2 == 0 { "0.6" } else { "1.4" }).collect::<Vec<_>>().join(", "))
        } else {
            String::new()
        };
        let scenario = format!(
            r#"(name: "s", horizon_s: {horizon}, warmup_s: 10.0, replications: 6, seed: 21, traffic: (rate_per_s: 150.0{daily}),
                outages: [(target: Region("us-east-1"), start_s: {start}, duration_s: {duration})])"#
        );
        let files = Files::new("", &scenario);
        let model = root().join("models/active-passive.ron");
        let sampled = run(&load(&model, &files.scenario(), &["fidelity=Sampled()"], None, None).expect("valid"));
        let full = run(&load(&model, &files.scenario(), &["fidelity=Full"], None, None).expect("valid"));
        prop_assert_eq!(sampled.requests.arrived, sampled.requests.total);
        let a: Vec<Option<f64>> = sampled.runs.iter().map(|r| Some(r.availability)).collect();
        let b: Vec<Option<f64>> = full.runs.iter().map(|r| Some(r.availability)).collect();
        let d = regionsim::analysis::stats::paired_ci(&a, &b);
        prop_assert!(
            d.mean.abs() <= 1.7 * d.half_width() + 2e-4,
            "sampled − full availability {} [{}, {}] at horizon {horizon}, outage {start}+{duration}, profile {profile}",
            d.mean, d.ci95[0], d.ci95[1]
        );
    }
}

/// Time units: multiplying every duration by 2 and dividing every rate by 2 is the same system seen
/// with a slower clock, so availability is unchanged. The two runs draw the same random numbers (every
/// sampled duration scales exactly by 2), so they are compared on the paired CI of their
/// per-replication availabilities (rounding to nanoseconds is all that separates them).
#[test]
fn rescaling_time_leaves_availability_unchanged() {
    let scaled = |k: f64| {
        let model = queue_model(2, 2, 10.0 * k).replace(
            "share: 1.0)],\n)",
            &format!(
                "share: 1.0)],\n    network: (connect_timeout_ms: {}, request_timeout_ms: {}),\n)",
                300.0 * k,
                1000.0 * k
            ),
        );
        assert!(model.contains("network"), "{model}");
        let scenario = format!(
            r#"(name: "s", horizon_s: {}, warmup_s: {}, replications: 10, seed: 5, traffic: (rate_per_s: {}),
                failures: [(kind: Instance, time_to_failure: Exponential(mean_s: {}), time_to_repair: Exponential(mean_s: {}))],
                outages: [(target: Zone("z1"), start_s: {}, duration_s: {})])"#,
            2000.0 * k,
            50.0 * k,
            300.0 / k,
            400.0 * k,
            40.0 * k,
            500.0 * k,
            100.0 * k
        );
        let files = Files::new(&model, &scenario);
        run(&files.load(&[]).expect("valid"))
    };
    let (one, two) = (scaled(1.0), scaled(2.0));
    assert!(one.availability.mean < 0.999, "the failures must matter: {}", one.availability.mean);
    let a: Vec<Option<f64>> = one.runs.iter().map(|r| Some(r.availability)).collect();
    let b: Vec<Option<f64>> = two.runs.iter().map(|r| Some(r.availability)).collect();
    let d = regionsim::analysis::stats::paired_ci(&a, &b);
    assert!(
        d.mean.abs() <= 1.7 * d.half_width() + 1e-4,
        "availability moved by {} [{}, {}]",
        d.mean,
        d.ci95[0],
        d.ci95[1]
    );
    let t: Vec<f64> = one
        .runs
        .iter()
        .zip(&two.runs)
        .map(|(x, y)| (x.time_availability - y.time_availability).abs())
        .collect();
    assert!(t.iter().all(|d| *d < 1e-6), "time availability is exact: {t:?}");
}

/// Different seeds give statistically independent replications: the per-replication request counts
/// of seeds 1 and 2 (64 replications each) are uncorrelated, |r| below 3/√64 = 0.375 (about three
/// standard errors of a correlation of independent samples).
#[test]
fn different_seeds_give_independent_replications() {
    let counts = |seed: u64| {
        let study = load(
            &root().join("models/validation/mmc.ron"),
            &root().join("tests/fixtures/mmc_short.ron"),
            &["horizon_s=4", "warmup_s=0"],
            Some(64),
            Some(seed),
        )
        .expect("valid");
        run(&study).runs.iter().map(|r| r.requests as f64).collect::<Vec<_>>()
    };
    let (x, y) = (counts(1), counts(2));
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let (mx, my) = (mean(&x), mean(&y));
    let cov: f64 = x.iter().zip(&y).map(|(a, b)| (a - mx) * (b - my)).sum();
    let (vx, vy): (f64, f64) =
        (x.iter().map(|a| (a - mx).powi(2)).sum(), y.iter().map(|b| (b - my).powi(2)).sum());
    let r = cov / (vx * vy).sqrt();
    assert!(r.abs() < 0.375, "correlation {r} between seeds 1 and 2");
    assert!(vx > 0.0 && vy > 0.0);
}
