//! `cargo bench --bench engine`: the engine on the M/M/c validation model against a minimal hand-written
//! M/M/c loop (the speed limit of an event loop on this machine), and the parallel efficiency of the
//! Monte Carlo on all cores. Criterion reports requests/s ("elements/s") for each.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::hint::black_box;
use std::path::Path;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use hdrhistogram::Histogram;
use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;
use rand_distr::{Distribution, Exp1};

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

/// The baseline: M/M/c with λ = 900/s, μ = 100/s, c = 10, as lean as an event loop gets. Binary heap
/// ordered by (time, seq), xoshiro256++, ziggurat exponentials, response times into an HDR histogram.
/// Returns the number of requests completed.
fn baseline_mmc(horizon_s: f64, seed: u64) -> u64 {
    const ARRIVAL: u8 = 0;
    const DEPARTURE: u8 = 1;
    let (lambda, mu, c) = (900.0, 100.0, 10usize);
    let horizon = (horizon_s * 1e9) as u64;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut heap: BinaryHeap<Reverse<(u64, u64, u8, u64)>> = BinaryHeap::new();
    let mut seq = 0u64;
    let mut queue: VecDeque<u64> = VecDeque::new();
    let mut busy = 0usize;
    let mut hist = Histogram::<u64>::new(3).expect("valid precision");
    let mut done = 0u64;
    let ns = |s: f64| (s * 1e9) as u64;
    let first: f64 = Exp1.sample(&mut rng);
    heap.push(Reverse((ns(first / lambda), seq, ARRIVAL, 0)));
    while let Some(Reverse((t, _, kind, started))) = heap.pop() {
        if t > horizon {
            break;
        }
        seq += 1;
        if kind == ARRIVAL {
            let gap: f64 = Exp1.sample(&mut rng);
            heap.push(Reverse((t + ns(gap / lambda), seq, ARRIVAL, 0)));
            seq += 1;
            if busy < c {
                busy += 1;
                let s: f64 = Exp1.sample(&mut rng);
                heap.push(Reverse((t + ns(s / mu), seq, DEPARTURE, t)));
            } else {
                queue.push_back(t);
            }
        } else {
            let _ = hist.record((t - started) / 1000);
            done += 1;
            match queue.pop_front() {
                Some(arrived) => {
                    let s: f64 = Exp1.sample(&mut rng);
                    heap.push(Reverse((t + ns(s / mu), seq, DEPARTURE, arrived)));
                }
                None => busy -= 1,
            }
        }
    }
    black_box(hist.len());
    done
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
