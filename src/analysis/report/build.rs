//! Aggregation across replications, sequentially and in replication order (docs/architecture.md,
//! "determinism" and "statistics"). Each estimator is named where it is computed (see `stats`).

use std::collections::BTreeMap;

use super::{
    CostReport, DataReport, Events, Failovers, FidelityReport, Inputs, LatencySummary, NamedCdf,
    PopulationRunRow, Queueing, ReplicationFailover, Report, Representative, Requests, RunRow,
    SCHEMA_VERSION, SliceReport, Spread, Warning,
};
use crate::analysis::cost::{self, CostBreakdown};
use crate::analysis::stats::{CdfGrid, Domain, Estimate, estimate, ratio_ci};
use crate::model::architecture::Model;
use crate::model::study::Study;
use crate::sim::histogram::LatencyHistogram;
use crate::sim::observation::{Counts, Failover, FailureCause, Observations, Slice};

/// Points kept per latency CDF: enough for a smooth chart, small in `results.json`.
const CDF_POINTS: usize = 200;

/// The percentiles every latency summary reports.
const PERCENTILES: [f64; 4] = [0.50, 0.90, 0.99, 0.999];

/// Builds the report of a study from its replications' observations (in replication order); its
/// objectives are judged afterwards, by the objective module (which reads the report).
pub fn build(study: &Study, overrides: &[String], runs: &[Observations]) -> Report {
    let scenario = &study.scenario;
    let model = &study.model;
    let mut warnings = Vec::new();

    let total = merge(runs.iter().map(|o| &o.total));
    let per_run = |f: &dyn Fn(&Observations) -> f64| runs.iter().map(f).collect::<Vec<_>>();
    let unit = |v: Vec<f64>| estimate(&v, Domain::Unit).unwrap_or(Estimate::exact(1.0));
    let availability = unit(per_run(&|o| o.total.counts.availability()));
    let time_availability = unit(per_run(&|o| o.time_availability()));
    let time_availability_infra = unit(per_run(&|o| o.time_availability_infra()));
    let latency_ms = latency_summary(runs.iter().map(|o| &o.total));

    // Populations and regions as the model file lists them.
    let per_population = model
        .population_order
        .iter()
        .map(|&p| slice_report(&model.populations[p].name, runs.iter().map(|o| &o.per_population[p])))
        .collect::<Vec<_>>();
    let per_region = model
        .region_order
        .iter()
        .filter(|&&r| runs.iter().any(|o| o.per_region[r].counts.attempted() > 0))
        .map(|&r| slice_report(&model.regions[r].name, runs.iter().map(|o| &o.per_region[r])))
        .collect::<Vec<_>>();

    let observed_s = scenario.horizon.since(scenario.warmup).as_secs_f64();
    let non_negative = |v: Vec<f64>| estimate(&v, Domain::NonNegative).unwrap_or(Estimate::exact(0.0));
    let queueing = Queueing {
        arrival_rate_per_s: non_negative(per_run(&|o| o.arrivals_in_window as f64 / observed_s)),
        mean_in_system: non_negative(per_run(&|o| o.in_system_area_s / observed_s)),
        // W over every request with an outcome, failed ones included: the same requests as L.
        little_lambda_w: non_negative(per_run(&|o| {
            let n = o.total.counts.attempted();
            if n == 0 {
                0.0
            } else {
                o.arrivals_in_window as f64 / observed_s * o.total.tally.sojourn_s / n as f64
            }
        })),
    };

    let rows: Vec<RunRow> = runs.iter().map(|o| run_row(model, o, observed_s)).collect();
    let representative = representative(runs);

    // Warnings, each with advice.
    let n = runs.len();
    if n < 2 {
        warnings.push(Warning::OneReplication);
    }
    if total.counts.attempted() == 0 {
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
        if let Some(p99) = latency_ms.p99
            && p99.has_ci()
        {
            let rel = p99.half_width() / p99.mean;
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
    warnings.extend(Warning::failures(&total.counts));
    warnings.extend(scenario.overloads(model).into_iter().map(Warning::Overloaded));
    if runs.iter().any(|o| o.timeline.infra_truncated) {
        warnings.push(Warning::TimelineTruncated);
    }

    Report {
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
        requests: Requests {
            arrived: runs.iter().map(|o| o.arrivals_in_window).sum(),
            attempts: runs.iter().map(|o| o.total.tally.attempts.round() as u64).sum(),
            retries_refused: runs.iter().map(|o| o.total.tally.retries_refused.round() as u64).sum(),
            ..requests(&total.counts)
        },
        availability,
        time_availability,
        time_availability_infra,
        latency_ms,
        per_population,
        per_region,
        queueing,
        events: Events {
            total: runs.iter().map(|o| o.events).sum(),
            per_replication: non_negative(per_run(&|o| o.events as f64)),
        },
        fidelity: FidelityReport {
            mode: study.scenario.fidelity.key().to_string(),
            request_level_share: unit(per_run(&|o| {
                if o.observed_s > 0.0 { o.request_level_s / o.observed_s } else { 1.0 }
            })),
            simulated_requests: runs.iter().map(|o| o.total.counts.attempted() - o.fast_forwarded).sum(),
            fast_forwarded_requests: runs.iter().map(|o| o.fast_forwarded).sum(),
        },
        runs: rows,
        latency_cdf: model
            .population_order
            .iter()
            .map(|&p| NamedCdf {
                name: model.populations[p].name.clone(),
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
                .then(|| non_negative(per_run(&|o| o.lost_updates as f64))),
            stale_reads: (model.path_store.is_some())
                .then(|| non_negative(per_run(&|o| o.stale_reads as f64))),
        },
        cost_usd_per_month: cost(runs, model),
        // The share of successful requests that crossed regions, pooled, clustered by replication.
        cross_region_share: ratio_ci(
            &runs
                .iter()
                .map(|o| (o.cross_region as f64, o.total.counts.succeeded as f64))
                .collect::<Vec<_>>(),
            Domain::Unit,
        )
        .unwrap_or(Estimate::exact(0.0)),
        warnings: warnings.iter().map(|w| w.to_string()).collect(),
        // Judged by `analysis::objective`, which reads the report.
        objectives: Vec::new(),
    }
}

fn merge<'a>(slices: impl Iterator<Item = &'a Slice>) -> Slice {
    let mut out = Slice::default();
    for s in slices {
        out.counts.add(&s.counts);
        out.latency.merge(&s.latency);
        out.tally.add(&s.tally);
    }
    out
}

fn requests(c: &Counts) -> Requests {
    Requests {
        arrived: c.attempted(),
        total: c.attempted(),
        succeeded: c.succeeded,
        failed: c.failed_total(),
        failed_by_cause: FailureCause::ALL
            .iter()
            .map(|&f| (f.key().to_string(), c.failed[f as usize]))
            .collect::<BTreeMap<_, _>>(),
        attempts: c.attempted(),
        retries_refused: 0,
    }
}

fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

/// The latency summary of one slice of the traffic over the replications (see [`LatencySummary`] for
/// the estimators).
fn latency_summary<'a>(slices: impl Iterator<Item = &'a Slice>) -> LatencySummary {
    let mut merged = LatencyHistogram::default();
    let mut grid = CdfGrid::default();
    let mut sums = Vec::new();
    for s in slices {
        merged.merge(&s.latency);
        if s.latency.count() > 0 {
            grid.add(&s.latency);
        }
        sums.push((s.latency.sum_s() * 1e3, s.latency.count() as f64));
    }
    let percentile = |q: f64| -> Option<Estimate> {
        let bucket = merged.quantile_bucket_ms(q)?;
        let value = merged.quantile_ms(q);
        let ci = grid.quantile_ci_ms(q, bucket).unwrap_or([value, value]);
        Some(Estimate { mean: value, ci95: ci })
    };
    let [p50, p90, p99, p999] = PERCENTILES.map(percentile);
    LatencySummary { mean: ratio_ci(&sums, Domain::NonNegative), p50, p90, p99, p999 }
}

fn slice_report<'a>(name: &str, slices: impl Iterator<Item = &'a Slice> + Clone) -> SliceReport {
    let merged = merge(slices.clone());
    SliceReport {
        name: name.to_string(),
        requests: merged.counts.attempted(),
        succeeded: merged.counts.succeeded,
        availability: estimate(
            &slices.clone().map(|s| s.counts.availability()).collect::<Vec<_>>(),
            Domain::Unit,
        )
        .unwrap_or(Estimate::exact(1.0)),
        latency_ms: latency_summary(slices),
    }
}

fn run_row(model: &Model, o: &Observations, observed_s: f64) -> RunRow {
    let c = &o.total.counts;
    RunRow {
        replication: o.replication,
        requests: c.attempted(),
        succeeded: c.succeeded,
        failed_by_cause: requests(c).failed_by_cause,
        availability: c.availability(),
        time_availability: o.time_availability(),
        time_availability_infra: o.time_availability_infra(),
        latency_mean_ms: finite(o.total.latency.mean_ms()),
        latency_p50_ms: finite(o.total.latency.quantile_ms(0.5)),
        latency_p99_ms: finite(o.total.latency.quantile_ms(0.99)),
        mean_in_system: o.in_system_area_s / observed_s,
        attempts_per_request: if c.attempted() > 0 {
            o.total.tally.attempts / c.attempted() as f64
        } else {
            1.0
        },
        events: o.events,
        fast_forwarded: o.fast_forwarded,
        failovers: o.failovers.len() as u64,
        rto_max_s: o.failovers.iter().filter_map(|f| f.rto_s).reduce(f64::max),
        rpo_max_s: o.failovers.iter().filter_map(|f| f.rpo_s).reduce(f64::max),
        writes_lost: o.failovers.iter().map(|f| f.writes_lost).sum(),
        lost_updates: o.lost_updates,
        stale_reads: o.stale_reads,
        cost_usd_per_month: cost::monthly(&o.usage, model).total(),
        usage: o.usage.clone(),
        per_population: model
            .population_order
            .iter()
            .map(|&p| {
                let s = &o.per_population[p];
                PopulationRunRow {
                    availability: s.counts.availability(),
                    latency_p50_ms: finite(s.latency.quantile_ms(0.5)),
                    latency_p99_ms: finite(s.latency.quantile_ms(0.99)),
                }
            })
            .collect(),
    }
}

/// Pooled mean with its CI clustered by replication, pooled percentiles and maximum of a per-failover
/// quantity: `per_run[r]` holds replication r's values. `None` when there is none.
fn spread(per_run: &[Vec<f64>]) -> Option<Spread> {
    let groups: Vec<(f64, f64)> = per_run.iter().map(|v| (v.iter().sum(), v.len() as f64)).collect();
    let e = ratio_ci(&groups, Domain::NonNegative)?;
    let mut values: Vec<f64> = per_run.iter().flatten().copied().collect();
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
    let per_run = |f: fn(&Failover) -> Option<f64>| -> Vec<Vec<f64>> {
        runs.iter().map(|o| o.failovers.iter().filter_map(f).collect()).collect()
    };
    let pooled_mean = |f: fn(&Failover) -> Option<f64>| -> Option<Estimate> {
        let groups: Vec<(f64, f64)> = per_run(f).iter().map(|v| (v.iter().sum(), v.len() as f64)).collect();
        ratio_ci(&groups, Domain::NonNegative)
    };
    Failovers {
        count: estimate(
            &runs.iter().map(|o| o.failovers.len() as f64).collect::<Vec<_>>(),
            Domain::NonNegative,
        ),
        detection_s: pooled_mean(|f| f.detection_s),
        dns_switch_s: pooled_mean(|f| f.dns_switch_s),
        first_response_s: pooled_mean(|f| f.first_response_s),
        rto_s: spread(&per_run(|f| f.rto_s)),
        rto_unrecovered: all
            .iter()
            .filter(|f| f.failover.rto_s.is_none() && f.failover.detection_s.is_some())
            .count() as u64,
        rpo_s: spread(&per_run(|f| Some(f.rpo_s.unwrap_or(0.0)))),
        writes_lost: estimate(
            &runs
                .iter()
                .map(|o| o.failovers.iter().map(|f| f.writes_lost).sum::<u64>() as f64)
                .collect::<Vec<_>>(),
            Domain::NonNegative,
        ),
        all,
    }
}

fn cost(runs: &[Observations], model: &Model) -> CostReport {
    cost_report(runs.iter().map(|o| &o.usage), model)
}

/// The monthly bill of each replication's usage at the model's prices: each component's mean, and the
/// total's mean with its Student-t 95% CI.
pub fn cost_report<'a>(
    usages: impl Iterator<Item = &'a crate::sim::observation::Usage>,
    model: &Model,
) -> CostReport {
    let bills: Vec<CostBreakdown> = usages.map(|u| cost::monthly(u, model)).collect();
    let n = bills.len().max(1) as f64;
    let mean = |f: fn(&CostBreakdown) -> f64| bills.iter().map(f).sum::<f64>() / n;
    let total = estimate(&bills.iter().map(|b| b.total()).collect::<Vec<_>>(), Domain::NonNegative)
        .unwrap_or(Estimate::exact(0.0));
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
