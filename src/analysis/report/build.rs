//! What the aggregate computes per replication (its row of `runs.csv`) and from every replication's
//! share (failovers, the bill), and the report of replications held in memory. Each estimator is named
//! where it is computed (see `stats`).

use std::collections::BTreeMap;

use super::aggregate::{Aggregate, Told};
use super::{CostReport, Failovers, PopulationRunRow, ReplicationFailover, Report, Requests, RunRow, Spread};
use crate::analysis::cost::{self, CostBreakdown};
use crate::analysis::stats::{Domain, Estimate, estimate, ratio_ci};
use crate::model::architecture::Model;
use crate::model::study::Study;
use crate::sim::observation::{Counts, Failover, FailureCause, Observations, Usage};

/// Points kept per latency CDF: enough for a smooth chart, small in `results.json`.
const CDF_POINTS: usize = 200;

/// Builds the report of a study from its replications' observations (in replication order); its
/// objectives are judged afterwards, by the objective module (which reads the report). The same as
/// feeding each to an [`Aggregate`], with the representative's timeline taken from `runs` (and no
/// story: that needs its trace, which only a replay keeps).
pub fn build(study: &Study, overrides: &[String], runs: &[Observations]) -> Report {
    let mut aggregate = Aggregate::new(study, overrides);
    for o in runs {
        aggregate.add(o);
    }
    let timeline = aggregate
        .representative()
        .and_then(|r| runs.get(r as usize))
        .map(|o| o.timeline.clone())
        .unwrap_or_default();
    aggregate.finish(Told { timeline, ..Told::default() })
}

pub(super) fn requests(c: &Counts) -> Requests {
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
        breaker_trips: 0,
        ejections: 0,
        hop_retries: 0,
        calls_by_hop: BTreeMap::new(),
        edge_hits: 0,
        shield_hits: 0,
        origin_requests: 0,
        served_stale: 0,
        residency_violations: 0,
    }
}

fn finite(v: f64) -> Option<f64> {
    v.is_finite().then_some(v)
}

pub(super) fn run_row(model: &Model, o: &Observations, observed_s: f64) -> RunRow {
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
        breaker_trips: o.breaker_trips,
        ejections: o.ejections,
        edge_hits: o.edge_hits,
        origin_requests: o.origin_requests,
        served_stale: o.served_stale,
        residency_violations: o.residency_violations,
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

/// The failovers of every replication, `(replication, its failovers)` in replication order.
pub(super) fn failovers(runs: &[(u32, Vec<Failover>)]) -> Failovers {
    let all: Vec<ReplicationFailover> = runs
        .iter()
        .flat_map(|(r, fs)| fs.iter().map(|f| ReplicationFailover { replication: *r, failover: f.clone() }))
        .collect();
    if all.is_empty() {
        return Failovers::default();
    }
    let per_run = |f: fn(&Failover) -> Option<f64>| -> Vec<Vec<f64>> {
        runs.iter().map(|(_, fs)| fs.iter().filter_map(f).collect()).collect()
    };
    let pooled_mean = |f: fn(&Failover) -> Option<f64>| -> Option<Estimate> {
        let groups: Vec<(f64, f64)> = per_run(f).iter().map(|v| (v.iter().sum(), v.len() as f64)).collect();
        ratio_ci(&groups, Domain::NonNegative)
    };
    Failovers {
        count: estimate(&runs.iter().map(|(_, fs)| fs.len() as f64).collect::<Vec<_>>(), Domain::NonNegative),
        detection_s: pooled_mean(|f| f.detection_s),
        dns_switch_s: pooled_mean(|f| f.dns_switch_s),
        first_response_s: pooled_mean(|f| f.first_response_s),
        rto_s: spread(&per_run(|f| f.rto_s)),
        rto_unrecovered: all
            .iter()
            .filter(|f| f.failover.rto_s.is_none() && f.failover.detection_s.is_some())
            .count() as u64,
        relapsed: all.iter().filter(|f| f.failover.relapsed_s.is_some()).count() as u64,
        rpo_s: spread(&per_run(|f| Some(f.rpo_s.unwrap_or(0.0)))),
        writes_lost: estimate(
            &runs
                .iter()
                .map(|(_, fs)| fs.iter().map(|f| f.writes_lost).sum::<u64>() as f64)
                .collect::<Vec<_>>(),
            Domain::NonNegative,
        ),
        all,
    }
}

/// The monthly bill of each replication's usage at the model's prices: each component's mean, and the
/// total's mean with its Student-t 95% CI.
pub fn cost_report<'a>(
    usages: impl Iterator<Item = &'a crate::sim::observation::Usage>,
    model: &Model,
) -> CostReport {
    let usages: Vec<&Usage> = usages.collect();
    let bills: Vec<CostBreakdown> = usages.iter().map(|u| cost::monthly(u, model)).collect();
    let edges: Vec<(f64, f64)> = usages.iter().map(|u| cost::edge_delivery(u, model)).collect();
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
        cdn_delivery: edges.iter().map(|e| e.0).sum::<f64>() / n,
        origin_egress_saved: edges.iter().map(|e| e.1).sum::<f64>() / n,
    }
}

/// At most [`CDF_POINTS`] points, evenly spaced in cumulative fraction, always keeping the last.
pub(super) fn thin(points: Vec<(f64, f64)>) -> Vec<[f64; 2]> {
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
