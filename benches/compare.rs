//! `cargo bench --bench compare`: the README's DR comparison: the five shipped designs (backup and
//! restore, pilot light, warm standby, hot standby, active-active) on `scenarios/region-outage.ron` as
//! shipped (6 hours at 1,100 requests/s, sampled fidelity), simulation and comparison included, outputs
//! excluded. Ten replications per design keep an iteration short; the time grows linearly with the
//! replications (they are independent), so 100 take ten times as long. Criterion reports the time of one
//! comparison and the requests per second it accounts for.

use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use regionsim::analysis::compare;
use regionsim::model::study::Adjustments;
use regionsim::sim::montecarlo::RunOptions;

const REPLICATIONS: u32 = 10;
const DESIGNS: [&str; 5] =
    ["backup-restore", "pilot-light", "warm-standby", "active-passive", "active-active"];

fn dr_designs(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let adjust = Adjustments { overrides: Vec::new(), replications: Some(REPLICATIONS), seed: Some(1) };
    let models: Vec<_> = DESIGNS.iter().map(|d| root.join(format!("models/{d}.ron"))).collect();
    let studies = compare::load(&models, &root.join("scenarios/region-outage.ron"), &adjust)
        .expect("the shipped designs are valid");
    let options = RunOptions { threads: None, progress: false };
    let requests: u64 = compare::run(&studies, &[], &options)
        .expect("the comparison runs")
        .designs
        .iter()
        .map(|d| d.results.requests.total)
        .sum();
    let mut group = c.benchmark_group("compare");
    group.sample_size(10);
    group.throughput(Throughput::Elements(requests));
    group.bench_function("five_dr_designs_10_replications", |b| {
        b.iter(|| compare::run(&studies, &[], &options).map(|c| c.differences.len()))
    });
    group.finish();
}

criterion_group!(benches, dr_designs);
criterion_main!(benches);
