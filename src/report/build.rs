//! Aggregation across replications, sequentially and in replication order (DESIGN.md decisions 5, 6).

use std::collections::BTreeMap;

use super::{
    CostReport, DataReport, Events, Failovers, FidelityReport, Inputs, LatencySummary, NamedCdf,
    PopulationRunRow, Queueing, ReplicationFailover, Report, Representative, Requests, RunRow,
    SCHEMA_VERSION, SliceReport, Spread, Warning,
};
use crate::cost::{CostBreakdown, Prices};
use crate::observation::{Counts, FailureCause, Observations, Slice};
use crate::stats::{Estimate, LatencyHistogram, mean_ci};
use crate::study::Study;

/// Points kept per latency CDF: enough for a smooth chart, small in `results.json`.
const CDF_POINTS: usize = 200;

/// Builds the report of a study from its replications' observations (in replication order).
pub fn build(study: &Study, overrides: &[String], runs: &[Observations]) -> Report {
    let scenario = &study.scenario;
    let model = &study.model;
    let mut warnings = Vec::new();

    let total = merge(runs.iter().map(|o| &o.total));
    let availability = mean_ci(&runs.iter().map(|o| o.total.counts.availability()).collect::<Vec<_>>());
    let time_availability = mean_ci(&runs.iter().map(|o| o.time_availability()).collect::<Vec<_>>());
    let latency_ms = latency_summary(runs.iter().map(|o| &o.total), &total.latency);

    let per_population = model
        .populations
        .iter()
        .enumerate()
        .map(|(p, pop)| slice_report(&pop.name, runs.iter().map(|o| &o.per_population[p])))
        .collect::<Vec<_>>();
    let per_region = model
        .regions
        .iter()
        .enumerate()
        .filter(|(r, _)| runs.iter().any(|o| o.per_region[*r].counts.attempted > 0))
        .map(|(r, region)| slice_report(&region.name, runs.iter().map(|o| &o.per_region[r])))
        .collect::<Vec<_>>();

    let observed_s = scenario.horizon.since(scenario.warmup).as_secs_f64();
    let queueing = Queueing {
        arrival_rate_per_s: mean_ci(
            &runs.iter().map(|o| o.arrivals_in_window as f64 / observed_s).collect::<Vec<_>>(),
        ),
        mean_in_system: mean_ci(&runs.iter().map(|o| o.in_system_area_s / observed_s).collect::<Vec<_>>()),
        little_lambda_w: mean_ci(
            &runs
                .iter()
                .map(|o| o.arrivals_in_window as f64 / observed_s * o.total.latency.mean_ms() / 1e3)
                .filter(|v| v.is_finite())
                .collect::<Vec<_>>(),
        ),
    };

    let rows: Vec<RunRow> = runs.iter().map(|o| run_row(o, observed_s, &model.prices)).collect();
    let representative = representative(runs);

    // Warnings, each with advice.
    let n = runs.len();
    if n < 2 {
        warnings.push(Warning::OneReplication);
    }
    if total.counts.attempted == 0 {
        warnings.push(Warning::NoRequests);
    }
    if n >= 2 {
        let unavailability = 1.0 - availability.mean;
        if unavailability > 0.0 && availability.half_width() > 0.5 * unavailability {
            warnings.push(Warning::WideCi {
                metric: "availability".into(),
                relative: availability.half_width() / unavailability,
                of_what: "the unavailability",
            });
        }
        if let (Some(p99), Some(ci)) = (latency_ms.p99, latency_ms.p99_ci95) {
            let rel = (ci[1] - ci[0]) / 2.0 / p99;
            if rel > 0.10 {
                warnings.push(Warning::WideCi {
                    metric: "latency p99".into(),
                    relative: rel,
                    of_what: "the estimate",
                });
            }
        }
    }
    for pop in &per_population {
        if pop.requests > 0 && pop.succeeded == 0 {
            warnings.push(Warning::NothingSucceeded { population: pop.name.clone() });
        }
    }
    warnings.extend(scenario.overloads(model).into_iter().map(Warning::Overloaded));
    if runs.iter().any(|o| o.timeline.infra_truncated) {
        warnings.push(Warning::TimelineTruncated);
    }

    let mut report = Report {
        schema_version: SCHEMA_VERSION,
        regionsim_version: env!("CARGO_PKG_VERSION").to_string(),
        seed: scenario.seed,
        replications: scenario.replications,
        horizon_s: scenario.horizon.as_secs_f64(),
        warmup_s: scenario.warmup.as_secs_f64(),
        inputs: Inputs {
            model_file: study.model_file.display().to_string(),
            scenario_file: study.scenario_file.display().to_string(),
            overrides: overrides.to_vec(),
            model: study.model_spec.clone(),
            scenario: study.scenario_spec.clone(),
        },
        requests: requests(&total.counts),
        availability,
        time_availability,
        latency_ms,
        per_population,
        per_region,
        queueing,
        events: Events {
            total: runs.iter().map(|o| o.events).sum(),
            per_replication: mean_ci(&runs.iter().map(|o| o.events as f64).collect::<Vec<_>>()),
        },
        fidelity: FidelityReport {
            mode: study.scenario.fidelity.key().to_string(),
            request_level_share: mean_ci(
                &runs
                    .iter()
                    .map(|o| if o.observed_s > 0.0 { o.request_level_s / o.observed_s } else { 1.0 })
                    .collect::<Vec<_>>(),
            ),
            simulated_requests: runs.iter().map(|o| o.total.counts.attempted - o.fast_forwarded).sum(),
            fast_forwarded_requests: runs.iter().map(|o| o.fast_forwarded).sum(),
        },
        runs: rows,
        latency_cdf: model
            .populations
            .iter()
            .enumerate()
            .map(|(p, pop)| NamedCdf {
                name: pop.name.clone(),
                points: thin(merge(runs.iter().map(|o| &o.per_population[p])).latency.cdf_points()),
            })
            .collect(),
        representative: Representative {
            replication: representative,
            region_names: model.regions.iter().map(|r| r.name.clone()).collect(),
            timeline: runs.get(representative as usize).map(|o| o.timeline.clone()).unwrap_or_default(),
        },
        failovers: failovers(runs),
        data: DataReport {
            reads: runs.iter().map(|o| o.reads).sum(),
            writes: runs.iter().map(|o| o.writes).sum(),
            lost_updates: (model.path_store.is_some())
                .then(|| mean_ci(&runs.iter().map(|o| o.lost_updates as f64).collect::<Vec<_>>())),
            stale_reads: (model.path_store.is_some())
                .then(|| mean_ci(&runs.iter().map(|o| o.stale_reads as f64).collect::<Vec<_>>())),
        },
        cost_usd_per_month: cost(runs, &model.prices),
        cross_region_share: mean_ci(
            &runs
                .iter()
                .map(|o| {
                    if o.total.counts.succeeded > 0 {
                        o.cross_region as f64 / o.total.counts.succeeded as f64
                    } else {
                        0.0
                    }
                })
                .collect::<Vec<_>>(),
        ),
        warnings: warnings.iter().map(|w| w.to_string()).collect(),
        objectives: Vec::new(),
    };
    report.objectives = crate::objective::evaluate(&scenario.objectives, &report);
    report
}

fn merge<'a>(slices: impl Iterator<Item = &'a Slice>) -> Slice {
    let mut out = Slice::default();
    for s in slices {
        out.counts.add(&s.counts);
        out.latency.merge(&s.latency);
    }
    out
}

fn requests(c: &Counts) -> Requests {
    Requests {
        total: c.attempted,
        succeeded: c.succeeded,
        failed: c.failed_total(),
        failed_by_cause: FailureCause::ALL
            .iter()
            .map(|&f| (f.key().to_string(), c.failed[f as usize]))
            .collect::<BTreeMap<_, _>>(),
    }
}

fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

/// Pooled percentiles from `merged`; CIs from the per-replication values of replications that had at
/// least one success.
fn latency_summary<'a>(slices: impl Iterator<Item = &'a Slice>, merged: &LatencyHistogram) -> LatencySummary {
    let (mut p99s, mut means) = (Vec::new(), Vec::new());
    for s in slices.filter(|s| s.latency.count() > 0) {
        p99s.push(s.latency.quantile_ms(0.99));
        means.push(s.latency.mean_ms());
    }
    let ci = |v: &[f64]| (v.len() >= 2).then(|| mean_ci(v).ci95);
    LatencySummary {
        mean: finite(merged.mean_ms()),
        p50: finite(merged.quantile_ms(0.50)),
        p90: finite(merged.quantile_ms(0.90)),
        p99: finite(merged.quantile_ms(0.99)),
        p999: finite(merged.quantile_ms(0.999)),
        p99_ci95: ci(&p99s),
        mean_ci95: ci(&means),
    }
}

fn slice_report<'a>(name: &str, slices: impl Iterator<Item = &'a Slice> + Clone) -> SliceReport {
    let merged = merge(slices.clone());
    SliceReport {
        name: name.to_string(),
        requests: merged.counts.attempted,
        succeeded: merged.counts.succeeded,
        availability: mean_ci(&slices.clone().map(|s| s.counts.availability()).collect::<Vec<_>>()),
        latency_ms: latency_summary(slices, &merged.latency),
    }
}

fn run_row(o: &Observations, observed_s: f64, prices: &Prices) -> RunRow {
    let c = &o.total.counts;
    RunRow {
        replication: o.replication,
        requests: c.attempted,
        succeeded: c.succeeded,
        failed_no_healthy_instance: c.failed[FailureCause::NoHealthyInstance as usize],
        failed_instance_failed: c.failed[FailureCause::InstanceFailed as usize],
        failed_queue_full: c.failed[FailureCause::QueueFull as usize],
        availability: c.availability(),
        time_availability: o.time_availability(),
        latency_mean_ms: finite(o.total.latency.mean_ms()),
        latency_p50_ms: finite(o.total.latency.quantile_ms(0.5)),
        latency_p99_ms: finite(o.total.latency.quantile_ms(0.99)),
        mean_in_system: o.in_system_area_s / observed_s,
        events: o.events,
        fast_forwarded: o.fast_forwarded,
        failed_store_unavailable: c.failed[FailureCause::StoreUnavailable as usize],
        failed_partition: c.failed[FailureCause::Partition as usize],
        failed_timeout: c.failed[FailureCause::Timeout as usize],
        failovers: o.failovers.len() as u64,
        rto_max_s: o.failovers.iter().filter_map(|f| f.rto_s).reduce(f64::max),
        rpo_max_s: o.failovers.iter().filter_map(|f| f.rpo_s).reduce(f64::max),
        writes_lost: o.failovers.iter().map(|f| f.writes_lost).sum(),
        lost_updates: o.lost_updates,
        stale_reads: o.stale_reads,
        cost_usd_per_month: o.usage.monthly(prices).total(),
        per_population: o
            .per_population
            .iter()
            .map(|s| PopulationRunRow {
                availability: s.counts.availability(),
                latency_p50_ms: finite(s.latency.quantile_ms(0.5)),
                latency_p99_ms: finite(s.latency.quantile_ms(0.99)),
            })
            .collect(),
    }
}

/// Mean with a t CI, pooled percentiles and maximum of `values`; `None` when empty.
fn spread(mut values: Vec<f64>) -> Option<Spread> {
    if values.is_empty() {
        return None;
    }
    let e = mean_ci(&values);
    values.sort_by(f64::total_cmp);
    let q = |p: f64| values[((p * values.len() as f64).ceil() as usize).clamp(1, values.len()) - 1];
    Some(Spread {
        mean: e.mean,
        ci95: e.ci95,
        p50: q(0.5),
        p90: q(0.9),
        max: values[values.len() - 1],
        n: values.len(),
    })
}

fn failovers(runs: &[Observations]) -> Failovers {
    let all: Vec<ReplicationFailover> = runs
        .iter()
        .flat_map(|o| {
            o.failovers
                .iter()
                .map(|f| ReplicationFailover { replication: o.replication, failover: f.clone() })
        })
        .collect();
    if all.is_empty() {
        return Failovers::default();
    }
    let pooled = |f: fn(&crate::observation::Failover) -> Option<f64>| {
        all.iter().filter_map(|x| f(&x.failover)).collect::<Vec<_>>()
    };
    let nonempty = |v: Vec<f64>| (!v.is_empty()).then(|| mean_ci(&v));
    Failovers {
        count: Some(mean_ci(&runs.iter().map(|o| o.failovers.len() as f64).collect::<Vec<_>>())),
        detection_s: nonempty(pooled(|f| f.detection_s)),
        dns_switch_s: nonempty(pooled(|f| f.dns_switch_s)),
        rto_s: spread(pooled(|f| f.rto_s)),
        rto_unrecovered: all
            .iter()
            .filter(|f| f.failover.rto_s.is_none() && f.failover.detection_s.is_some())
            .count() as u64,
        rpo_s: spread(pooled(|f| Some(f.rpo_s.unwrap_or(0.0)))),
        writes_lost: Some(mean_ci(
            &runs
                .iter()
                .map(|o| o.failovers.iter().map(|f| f.writes_lost).sum::<u64>() as f64)
                .collect::<Vec<_>>(),
        )),
        all,
    }
}

fn cost(runs: &[Observations], prices: &Prices) -> CostReport {
    let bills: Vec<CostBreakdown> = runs.iter().map(|o| o.usage.monthly(prices)).collect();
    let n = bills.len().max(1) as f64;
    let mean = |f: fn(&CostBreakdown) -> f64| bills.iter().map(f).sum::<f64>() / n;
    let total = mean_ci(&bills.iter().map(|b| b.total()).collect::<Vec<_>>());
    CostReport {
        total: total.mean,
        total_ci95: total.ci95,
        breakdown: CostBreakdown {
            compute: mean(|b| b.compute),
            transfer: mean(|b| b.transfer),
            egress: mean(|b| b.egress),
            dns: mean(|b| b.dns),
            store_writes: mean(|b| b.store_writes),
            downtime: mean(|b| b.downtime),
        },
    }
}

/// The replication whose request availability is nearest the median (lowest index on ties).
fn representative(runs: &[Observations]) -> u32 {
    let mut a: Vec<f64> = runs.iter().map(|o| o.total.counts.availability()).collect();
    if a.is_empty() {
        return 0;
    }
    a.sort_by(f64::total_cmp);
    let median = a[a.len() / 2];
    runs.iter()
        .min_by(|x, y| {
            let dx = (x.total.counts.availability() - median).abs();
            let dy = (y.total.counts.availability() - median).abs();
            dx.total_cmp(&dy).then(x.replication.cmp(&y.replication))
        })
        .map_or(0, |o| o.replication)
}

/// At most [`CDF_POINTS`] points, evenly spaced in cumulative fraction, always keeping the last.
fn thin(points: Vec<(f64, f64)>) -> Vec<[f64; 2]> {
    let mut out: Vec<[f64; 2]> = Vec::new();
    let mut next = 0.0;
    let last = points.len().saturating_sub(1);
    for (i, (x, f)) in points.into_iter().enumerate() {
        if f >= next || i == last {
            out.push([x, f]);
            next = f + 1.0 / CDF_POINTS as f64;
        }
    }
    out
}

impl Estimate {
    /// An estimate known exactly.
    pub fn exact(v: f64) -> Estimate {
        Estimate { mean: v, ci95: [v, v] }
    }
}
