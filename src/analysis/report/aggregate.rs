//! Aggregation across replications, sequentially and in replication order, as they finish
//! (docs/architecture.md, "determinism" and "statistics"). Each estimator is named where it is computed
//! (see `stats`).

use std::collections::BTreeMap;

use super::build::{cost_report, failovers, requests, run_row, thin};
use super::{
    DataReport, Events, FidelityReport, Inputs, LatencySummary, NamedCdf, Queueing, Report, Representative,
    Requests, RunRow, SCHEMA_VERSION, SliceReport, Warning,
};
use crate::analysis::closeup::CloseUp;
use crate::analysis::stats::{CdfGrid, Domain, Estimate, estimate, ratio_ci};
use crate::analysis::story::{self, StoryLine};
use crate::model::architecture::Model;
use crate::model::scenario::Scenario;
use crate::model::study::Study;
use crate::sim::engine::SimError;
use crate::sim::montecarlo::{self, RunOptions};
use crate::sim::observation::{Failover, Observations, Slice, Timeline};
use crate::sim::trace::{Trace, Window};

/// The percentiles every latency summary reports.
const PERCENTILES: [f64; 4] = [0.50, 0.90, 0.99, 0.999];

/// One slice of the traffic, aggregated replication by replication.
#[derive(Debug, Default)]
struct SliceAggregate {
    /// Counts, latencies and tallies of every replication so far, added in order.
    merged: Slice,
    /// The clustered CI's sums of the latency CDF.
    grid: CdfGrid,
    /// Per replication: (sum of latencies \[ms\], successes), for the mean's clustered CI.
    sums: Vec<(f64, f64)>,
    /// Per replication: request availability.
    availability: Vec<f64>,
}

impl SliceAggregate {
    fn add(&mut self, s: &Slice) {
        self.merged.add(s);
        if s.latency.count() > 0 {
            self.grid.add(&s.latency);
        }
        self.sums.push((s.latency.sum_s() * 1e3, s.latency.count() as f64));
        self.availability.push(s.counts.availability());
    }

    /// The latency summary over the replications (see [`LatencySummary`] for the estimators).
    fn latency_summary(&self) -> LatencySummary {
        let merged = &self.merged.latency;
        let percentile = |q: f64| -> Option<Estimate> {
            let bucket = merged.quantile_bucket_ms(q)?;
            let value = merged.quantile_ms(q);
            let ci = self.grid.quantile_ci_ms(q, bucket).unwrap_or([value, value]);
            Some(Estimate { mean: value, ci95: ci })
        };
        let [p50, p90, p99, p999] = PERCENTILES.map(percentile);
        LatencySummary { mean: ratio_ci(&self.sums, Domain::NonNegative), p50, p90, p99, p999 }
    }

    fn report(&self, name: &str) -> SliceReport {
        SliceReport {
            name: name.to_string(),
            requests: self.merged.counts.attempted(),
            succeeded: self.merged.counts.succeeded,
            availability: estimate(&self.availability, Domain::Unit).unwrap_or(Estimate::exact(1.0)),
            latency_ms: self.latency_summary(),
        }
    }
}

/// The report of a study built as its replications finish, fed in replication order. What it keeps per
/// replication is a few numbers, its failovers and its row of `runs.csv`; histograms and the CDF's sums
/// are added as they come and timelines are not kept, so memory does not grow with the replications'
/// histograms or timelines. A run on one machine and a merge of shards feed the same replications in
/// the same order, so they build the same report, float for float.
#[derive(Debug)]
pub struct Aggregate<'a> {
    study: &'a Study,
    overrides: Vec<String>,
    observed_s: f64,
    total: SliceAggregate,
    /// By population id.
    per_population: Vec<SliceAggregate>,
    /// By region id.
    per_region: Vec<SliceAggregate>,
    time_availability: Vec<f64>,
    time_availability_infra: Vec<f64>,
    arrival_rate: Vec<f64>,
    mean_in_system: Vec<f64>,
    little_lambda_w: Vec<f64>,
    rows: Vec<RunRow>,
    arrived: u64,
    attempts: u64,
    retries_refused: u64,
    breaker_trips: u64,
    /// Breaker trips expected in fast-forwarded stretches, summed over the replications.
    breaker_trips_skipped: f64,
    ejections: u64,
    hop_retries: u64,
    hop_calls: Vec<u64>,
    edge_hits: u64,
    shield_hits: u64,
    origin_requests: u64,
    served_stale: u64,
    residency_violations: Vec<f64>,
    events_total: u64,
    events: Vec<f64>,
    request_level_share: Vec<f64>,
    simulated_requests: u64,
    fast_forwarded_requests: u64,
    failovers: Vec<(u32, Vec<Failover>)>,
    reads: u64,
    writes: u64,
    lost_updates: Vec<f64>,
    stale_reads: Vec<f64>,
    cross_region: Vec<(f64, f64)>,
    timeline_truncated: bool,
}

impl<'a> Aggregate<'a> {
    /// An aggregate of no replication yet; `overrides` are the `--set`s as typed, for the report's
    /// inputs.
    pub fn new(study: &'a Study, overrides: &[String]) -> Aggregate<'a> {
        let scenario = &study.scenario;
        Aggregate {
            study,
            overrides: overrides.to_vec(),
            observed_s: scenario.horizon.since(scenario.warmup).as_secs_f64(),
            total: SliceAggregate::default(),
            per_population: (0..study.model.populations.len()).map(|_| SliceAggregate::default()).collect(),
            per_region: (0..study.model.regions.len()).map(|_| SliceAggregate::default()).collect(),
            time_availability: Vec::new(),
            time_availability_infra: Vec::new(),
            arrival_rate: Vec::new(),
            mean_in_system: Vec::new(),
            little_lambda_w: Vec::new(),
            rows: Vec::new(),
            arrived: 0,
            attempts: 0,
            retries_refused: 0,
            breaker_trips: 0,
            breaker_trips_skipped: 0.0,
            ejections: 0,
            hop_retries: 0,
            hop_calls: Vec::new(),
            edge_hits: 0,
            shield_hits: 0,
            origin_requests: 0,
            served_stale: 0,
            residency_violations: Vec::new(),
            events_total: 0,
            events: Vec::new(),
            request_level_share: Vec::new(),
            simulated_requests: 0,
            fast_forwarded_requests: 0,
            failovers: Vec::new(),
            reads: 0,
            writes: 0,
            lost_updates: Vec::new(),
            stale_reads: Vec::new(),
            cross_region: Vec::new(),
            timeline_truncated: false,
        }
    }

    /// Replications added so far.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether no replication has been added.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Adds the next replication (replications must come in index order). Its timeline is not kept:
    /// the report's is the representative's, given to [`Aggregate::finish`].
    pub fn add(&mut self, o: &Observations) {
        let observed_s = self.observed_s;
        self.total.add(&o.total);
        if self.per_population.len() < o.per_population.len() {
            self.per_population.resize_with(o.per_population.len(), SliceAggregate::default);
        }
        for (acc, s) in self.per_population.iter_mut().zip(&o.per_population) {
            acc.add(s);
        }
        if self.per_region.len() < o.per_region.len() {
            self.per_region.resize_with(o.per_region.len(), SliceAggregate::default);
        }
        for (acc, s) in self.per_region.iter_mut().zip(&o.per_region) {
            acc.add(s);
        }
        self.time_availability.push(o.time_availability());
        self.time_availability_infra.push(o.time_availability_infra());
        self.arrival_rate.push(o.arrivals_in_window as f64 / observed_s);
        self.mean_in_system.push(o.in_system_area_s / observed_s);
        // W over every request with an outcome, failed ones included: the same requests as L.
        let n = o.total.counts.attempted();
        self.little_lambda_w.push(if n == 0 {
            0.0
        } else {
            o.arrivals_in_window as f64 / observed_s * o.total.tally.sojourn_s / n as f64
        });
        self.rows.push(run_row(&self.study.model, o, observed_s));
        self.arrived += o.arrivals_in_window;
        self.attempts += o.total.tally.attempts.round() as u64;
        self.retries_refused += o.total.tally.retries_refused.round() as u64;
        self.breaker_trips += o.breaker_trips;
        self.breaker_trips_skipped += o.breaker_trips_skipped;
        self.ejections += o.ejections;
        self.hop_retries += o.total.tally.hop_retries.round() as u64;
        let hop_calls = &o.total.tally.hop_calls;
        if self.hop_calls.len() < hop_calls.len() {
            self.hop_calls.resize(hop_calls.len(), 0);
        }
        for (sum, calls) in self.hop_calls.iter_mut().zip(hop_calls) {
            *sum += calls.round() as u64;
        }
        self.edge_hits += o.edge_hits;
        self.shield_hits += o.shield_hits;
        self.origin_requests += o.origin_requests;
        self.served_stale += o.served_stale;
        self.residency_violations.push(o.residency_violations as f64);
        self.events_total += o.events;
        self.events.push(o.events as f64);
        self.request_level_share.push(if o.observed_s > 0.0 {
            o.request_level_s / o.observed_s
        } else {
            1.0
        });
        self.simulated_requests += o.total.counts.attempted() - o.fast_forwarded;
        self.fast_forwarded_requests += o.fast_forwarded;
        self.failovers.push((o.replication, o.failovers.clone()));
        self.reads += o.reads;
        self.writes += o.writes;
        self.lost_updates.push(o.lost_updates as f64);
        self.stale_reads.push(o.stale_reads as f64);
        self.cross_region.push((o.cross_region as f64, o.total.counts.succeeded as f64));
        self.timeline_truncated |= o.timeline.infra_truncated;
    }

    /// Calls reaching each hop of the request path, by service (then store) name, summed over the
    /// replications; empty unless a service retries.
    fn calls_by_hop(&self) -> BTreeMap<String, u64> {
        let model = &self.study.model;
        let names = model
            .request_path
            .iter()
            .map(|&s| model.services[s].name.clone())
            .chain(model.path_store.map(|s| model.stores[s].name.clone()));
        names.zip(&self.hop_calls).map(|(name, &calls)| (name, calls)).collect()
    }

    /// The replication whose request availability is nearest the median (lowest index on ties), whose
    /// timeline the report shows; `None` before any replication.
    pub fn representative(&self) -> Option<u32> {
        let mut a = self.total.availability.clone();
        if a.is_empty() {
            return None;
        }
        a.sort_by(f64::total_cmp);
        let median = a[a.len() / 2];
        self.total
            .availability
            .iter()
            .zip(&self.rows)
            .min_by(|(x, rx), (y, ry)| {
                let dx = (**x - median).abs();
                let dy = (**y - median).abs();
                dx.total_cmp(&dy).then(rx.replication.cmp(&ry.replication))
            })
            .map(|(_, r)| r.replication)
    }

    /// The report, with the [representative](Aggregate::representative)'s timeline simulated again
    /// (its streams make it the same replication; see [`montecarlo::replay`]).
    pub fn replayed(self) -> Result<Report, SimError> {
        let (model, scenario) = (&self.study.model, &self.study.scenario);
        let told = match self.representative() {
            Some(r) => {
                let (obs, trace) = montecarlo::replay_traced(model, scenario, r, whole(scenario))?;
                Told::of(model, obs, &trace)
            }
            None => Told::default(),
        };
        Ok(self.finish(told))
    }

    /// The report, with what is `told` of the [representative](Aggregate::representative).
    pub fn finish(self, told: Told) -> Report {
        let Told { timeline, story, close_up } = told;
        let study = self.study;
        let scenario = &study.scenario;
        let model = &study.model;
        let mut warnings = Vec::new();
        let unit = |v: &[f64]| estimate(v, Domain::Unit).unwrap_or(Estimate::exact(1.0));
        let non_negative = |v: &[f64]| estimate(v, Domain::NonNegative).unwrap_or(Estimate::exact(0.0));
        let availability = unit(&self.total.availability);
        let latency_ms = self.total.latency_summary();
        let total = &self.total.merged;

        // Populations and regions as the model file lists them.
        let per_population = model
            .population_order
            .iter()
            .map(|&p| self.per_population[p].report(&model.populations[p].name))
            .collect::<Vec<_>>();
        let per_region = model
            .region_order
            .iter()
            .filter(|&&r| self.per_region[r].merged.counts.attempted() > 0)
            .map(|&r| self.per_region[r].report(&model.regions[r].name))
            .collect::<Vec<_>>();

        // Warnings, each with advice.
        let n = self.rows.len();
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
        let violations = self.residency_violations.iter().sum::<f64>() as u64;
        if violations > 0 {
            warnings.push(Warning::ResidencyViolated { violations });
        }
        warnings.extend(scenario.overloads(model).into_iter().map(Warning::Overloaded));
        warnings.extend(
            model
                .unused_dependencies()
                .into_iter()
                .map(|d| Warning::UnusedDependency { dependency: d.to_string() }),
        );
        if self.timeline_truncated {
            warnings.push(Warning::TimelineTruncated);
        }
        let relapsed =
            self.failovers.iter().flat_map(|(_, fs)| fs).filter(|f| f.relapsed_s.is_some()).count();
        if relapsed > 0 {
            let of = self.failovers.iter().map(|(_, fs)| fs.len()).sum::<usize>();
            warnings.push(Warning::Relapsed { failovers: relapsed as u64, of: of as u64 });
        }
        let skipped_trips = self.breaker_trips_skipped / n.max(1) as f64;
        if skipped_trips >= Warning::SKIPPED_TRIPS_PER_REPLICATION {
            warnings.push(Warning::BreakerTripsSkipped { per_replication: skipped_trips });
        }
        let representative = self.representative().unwrap_or(0);

        Report {
            schema_version: SCHEMA_VERSION,
            regionsim_version: env!("CARGO_PKG_VERSION").to_string(),
            seed: scenario.seed,
            replications: scenario.replications,
            horizon_s: scenario.horizon.as_secs_f64(),
            warmup_s: scenario.warmup.as_secs_f64(),
            inputs: Inputs::of(study, &self.overrides),
            requests: Requests {
                arrived: self.arrived,
                attempts: self.attempts,
                retries_refused: self.retries_refused,
                breaker_trips: self.breaker_trips,
                ejections: self.ejections,
                hop_retries: self.hop_retries,
                calls_by_hop: self.calls_by_hop(),
                edge_hits: self.edge_hits,
                shield_hits: self.shield_hits,
                origin_requests: self.origin_requests,
                served_stale: self.served_stale,
                residency_violations: self.residency_violations.iter().sum::<f64>() as u64,
                ..requests(&total.counts)
            },
            availability,
            time_availability: unit(&self.time_availability),
            time_availability_infra: unit(&self.time_availability_infra),
            latency_ms,
            per_population,
            per_region,
            queueing: Queueing {
                arrival_rate_per_s: non_negative(&self.arrival_rate),
                mean_in_system: non_negative(&self.mean_in_system),
                little_lambda_w: non_negative(&self.little_lambda_w),
            },
            events: Events { total: self.events_total, per_replication: non_negative(&self.events) },
            fidelity: FidelityReport {
                mode: scenario.fidelity.key().to_string(),
                request_level_share: unit(&self.request_level_share),
                simulated_requests: self.simulated_requests,
                fast_forwarded_requests: self.fast_forwarded_requests,
            },
            latency_cdf: model
                .population_order
                .iter()
                .map(|&p| NamedCdf {
                    name: model.populations[p].name.clone(),
                    points: thin(self.per_population[p].merged.latency.cdf_points()),
                })
                .collect(),
            representative: Representative {
                replication: representative,
                region_names: model.regions.iter().map(|r| r.name.clone()).collect(),
                deployment_names: model
                    .deployments
                    .iter()
                    .map(|d| format!("{}@{}", model.services[d.service].name, model.regions[d.region].name))
                    .collect(),
                timeline,
                story,
                close_up,
            },
            failovers: failovers(&self.failovers),
            data: DataReport {
                reads: self.reads,
                writes: self.writes,
                lost_updates: (model.path_store.is_some()).then(|| non_negative(&self.lost_updates)),
                stale_reads: (model.path_store.is_some()).then(|| non_negative(&self.stale_reads)),
                residency_violations: model
                    .populations
                    .iter()
                    .any(|p| p.residency.is_some())
                    .then(|| non_negative(&self.residency_violations)),
            },
            cost_usd_per_month: cost_report(self.rows.iter().map(|r| &r.usage), model),
            // The share of successful requests that crossed regions, pooled, clustered by replication.
            cross_region_share: ratio_ci(&self.cross_region, Domain::Unit).unwrap_or(Estimate::exact(0.0)),
            runs: self.rows,
            warnings: warnings.iter().map(|w| w.to_string()).collect(),
            // Judged by `analysis::objective`, which reads the report.
            objectives: Vec::new(),
        }
    }
}

/// Simulates every replication of a study and builds its report as they finish (objectives not yet
/// judged): memory holds a few replications per worker, whatever the number of replications.
pub fn run(study: &Study, overrides: &[String], options: &RunOptions) -> Result<Report, SimError> {
    let mut aggregate = Aggregate::new(study, overrides);
    let (model, scenario) = (&study.model, &study.scenario);
    if scenario.replications == 1 {
        // The only replication is the representative: trace it the first time instead of simulating it
        // again afterwards (a trace only watches, so its observations are the untraced run's; the
        // regression test `one_replication_is_simulated_once_and_reports_as_if_replayed` checks).
        let (obs, trace) = montecarlo::run_traced(model, scenario, 0, whole(scenario), options)?;
        aggregate.add(&obs);
        let told = Told::of(model, obs, &trace);
        return Ok(aggregate.finish(told));
    }
    montecarlo::for_each(&study.model, &study.scenario, 0..study.scenario.replications, "", options, |o| {
        aggregate.add(&o);
        Ok::<(), SimError>(())
    })?;
    aggregate.replayed()
}

/// The window of a trace that watches a whole replication.
fn whole(scenario: &Scenario) -> Window {
    Window { from_s: 0.0, to_s: scenario.horizon.as_secs_f64() }
}

impl Told {
    /// What a traced replication tells: its timeline, its story and the close-up of its first failover.
    fn of(model: &Model, obs: Observations, trace: &Trace) -> Told {
        Told {
            story: Some(story::narrate(model, trace)),
            close_up: CloseUp::of(trace),
            timeline: obs.timeline,
        }
    }
}

/// What a report shows of its representative replication.
#[derive(Debug, Default)]
pub struct Told {
    /// Its timeline.
    pub timeline: Timeline,
    /// Its story, when it was traced.
    pub story: Option<Vec<StoryLine>>,
    /// The close-up of its first failover, when it was traced and had one.
    pub close_up: Option<CloseUp>,
}
