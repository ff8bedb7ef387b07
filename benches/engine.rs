//! `cargo bench --bench engine`: the engine on the M/M/c validation model against a minimal hand-written
//! M/M/c loop (the speed limit of an event loop on this machine), and the parallel efficiency of the
//! Monte Carlo on all cores. Criterion reports requests/s ("elements/s") for each.

use std::hint::black_box;
use std::path::Path;

#[path = "common/baseline_mmc.rs"]
mod baseline_mmc;

use baseline_mmc::baseline_mmc;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};

use regionsim::model::study::{Adjustments, Override, Study, load_study};
use regionsim::sim::montecarlo::{self, RunOptions};

/// Simulated seconds per benchmark iteration: about 900 k requests at 900 requests/s.
const HORIZON_S: f64 = 1000.0;

fn mmc_study(replications: u32) -> Study {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let adjust = Adjustments {
        overrides: vec![
            Override::parse(&format!("horizon_s={HORIZON_S}")).expect("valid override"),
            Override::parse("warmup_s=0").expect("valid override"),
        ],
        replications: Some(replications),
        seed: Some(1),
    };
    load_study(&root.join("models/validation/mmc.ron"), &root.join("scenarios/validation/mmc.ron"), &adjust)
        .expect("the shipped M/M/c study is valid")
}

fn single_core(c: &mut Criterion) {
    let study = mmc_study(1);
    // Requests per iteration, measured once so throughput is in requests/s.
    let engine_requests = regionsim::sim::engine::run(&study.model, &study.scenario, 1, 0)
        .expect("the M/M/c study runs")
        .total
        .counts
        .attempted();
    let baseline_requests = baseline_mmc(HORIZON_S, 1);

    let mut group = c.benchmark_group("mmc_single_core");
    group.sample_size(10);
    group.throughput(Throughput::Elements(baseline_requests));
    group.bench_function("baseline_hand_written_loop", |b| b.iter(|| baseline_mmc(black_box(HORIZON_S), 1)));
    group.throughput(Throughput::Elements(engine_requests));
    group.bench_function("regionsim_engine", |b| {
        b.iter(|| {
            regionsim::sim::engine::run(&study.model, &study.scenario, black_box(1), 0).map(|o| o.events)
        })
    });
    group.finish();
}

fn parallel(c: &mut Criterion) {
    const REPLICATIONS: u32 = 8;
    let study = mmc_study(REPLICATIONS);
    let requests = regionsim::sim::engine::run(&study.model, &study.scenario, 1, 0)
        .expect("the M/M/c study runs")
        .total
        .counts
        .attempted()
        * REPLICATIONS as u64;
    let mut group = c.benchmark_group("mmc_replications");
    group.sample_size(10);
    group.throughput(Throughput::Elements(requests));
    for threads in [1usize, 2] {
        group.bench_with_input(BenchmarkId::new("threads", threads), &threads, |b, &t| {
            let options = RunOptions { threads: Some(t), progress: false };
            b.iter(|| montecarlo::run(&study.model, &study.scenario, &options).map(|o| o.len()))
        });
    }
    group.finish();
}

/// The multi-region benchmark: `models/active-passive.ron` on `scenarios/region-outage.ron`, one
/// replication on one core at full fidelity (every request simulated), horizon shortened to 30 minutes
/// of the outage (t = 25..55 min) so an iteration takes seconds: DNS-routed arrivals, three tiers, a
/// replicated store, failover. Then the whole 6-hour scenario as shipped (sampled fidelity), whose
/// throughput counts every request the replication accounts for, fast-forwarded ones included.
fn region_outage(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let adjust = Adjustments {
        overrides: ["horizon_s=3300", "warmup_s=1500", "outages[0].start_s=1800", "fidelity=Full"]
            .iter()
            .map(|s| Override::parse(s).expect("valid override"))
            .collect(),
        replications: Some(1),
        seed: Some(1),
    };
    let study = load_study(
        &root.join("models/active-passive.ron"),
        &root.join("scenarios/region-outage.ron"),
        &adjust,
    )
    .expect("the shipped study is valid");
    let observed = regionsim::sim::engine::run(&study.model, &study.scenario, 1, 0).expect("runs");
    // Throughput counts every request simulated, warm-up included: arrivals over the whole horizon.
    let requests: u64 = observed.timeline.buckets.iter().map(|b| b.arrived).sum();
    let mut group = c.benchmark_group("active_passive_region_outage");
    group.sample_size(10);
    group.throughput(Throughput::Elements(requests));
    group.bench_function("one_replication", |b| {
        b.iter(|| {
            regionsim::sim::engine::run(&study.model, &study.scenario, black_box(1), 0).map(|o| o.events)
        })
    });

    let shipped = load_study(
        &root.join("models/active-passive.ron"),
        &root.join("scenarios/region-outage.ron"),
        &Adjustments { overrides: Vec::new(), replications: Some(1), seed: Some(1) },
    )
    .expect("the shipped study is valid");
    let observed = regionsim::sim::engine::run(&shipped.model, &shipped.scenario, 1, 0).expect("runs");
    group.throughput(Throughput::Elements(observed.arrivals_in_window));
    group.bench_function("six_hours_sampled", |b| {
        b.iter(|| {
            regionsim::sim::engine::run(&shipped.model, &shipped.scenario, black_box(1), 0).map(|o| o.events)
        })
    });
    group.finish();
}

criterion_group!(benches, single_core, parallel, region_outage);
criterion_main!(benches);
