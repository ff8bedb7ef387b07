//! `cargo bench --bench compare`: `compare` of the shipped designs (single-region against
//! single-region-large) on the zone outage, 100 replications at a shortened horizon (5 simulated
//! minutes, the zone down from minute 2 to 4), simulation and comparison included, outputs excluded.
//! Criterion reports the time of one whole comparison and requests per second.

use std::path::Path;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use regionsim::compare;
use regionsim::montecarlo::RunOptions;
use regionsim::study::{Adjustments, Override};

const REPLICATIONS: u32 = 100;

fn shipped_designs(c: &mut Criterion) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let adjust = Adjustments {
        overrides: [
            "horizon_s=300",
            "warmup_s=60",
            r#"outages=[(target: Zone("use1-az1"), start_s: 120.0, duration_s: 120.0)]"#,
        ]
        .iter()
        .map(|s| Override::parse(s).expect("valid override"))
        .collect(),
        replications: Some(REPLICATIONS),
        seed: Some(1),
    };
    let models = [root.join("models/single-region.ron"), root.join("models/single-region-large.ron")];
    let studies = compare::load(&models, &root.join("scenarios/zone-outage.ron"), &adjust)
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
    group.bench_function("shipped_designs_100_replications", |b| {
        b.iter(|| compare::run(&studies, &[], &options).map(|c| c.differences.len()))
    });
    group.finish();
}

criterion_group!(benches, shipped_designs);
criterion_main!(benches);
