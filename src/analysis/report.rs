//! The results of a study: one serializable [`Report`] that every output (terminal table, `results.json`,
//! CSV, charts, HTML) only reads. `schema_version` changes whenever a field changes meaning or goes away.

mod aggregate;
mod build;
mod load;
mod warning;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::analysis::closeup::CloseUp;
use crate::analysis::stats::Estimate;
use crate::analysis::story::StoryLine;
use crate::analysis::verdict::ObjectiveResult;
use crate::input::spec::{ModelSpec, ScenarioSpec};
use crate::sim::observation::Timeline;

pub use aggregate::{Aggregate, Told, run};
pub use build::{build, cost_report};
pub use load::{LoadError, load};
pub use warning::Warning;

/// Version 2: percentiles at their bucket's middle, each with its own CI (`latency_ms.p99 = {mean,
/// ci95}`); per-incident CIs clustered by replication; `time_availability` as users see it and
/// `time_availability_infra` as the authoritative answers do; failovers' `first_response_s`; RTO as
/// users see it (the scenario's `recovery`); `unfinished` failure cause; Little's law over every
/// request; absent estimates as `null`, never NaN.
pub const SCHEMA_VERSION: u32 = 2;

/// The results of one study: what was simulated, and every metric with its 95% CI. Per-replication quantities
/// (availability, cost) are the mean across replications with a Student-t CI; pooled ones (latency,
/// per-incident metrics, the cross-region share) have a CI clustered by replication
/// (docs/architecture.md#statistics).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// Version of this format ([`SCHEMA_VERSION`] when written); [`load()`] refuses any other.
    pub schema_version: u32,
    /// Version of the regionsim that wrote the results.
    pub regionsim_version: String,
    /// Master seed every random stream is derived from (docs/architecture.md#random-streams).
    pub seed: u64,
    /// Number of independent replications simulated.
    pub replications: u32,
    /// Simulated time of each replication, warm-up included \[s\].
    pub horizon_s: f64,
    /// Initial stretch of each replication whose requests are not counted \[s\]; the observation window is
    /// `warmup_s` to `horizon_s`.
    pub warmup_s: f64,
    /// Exactly what was simulated: the files after `--set`, `--seed` and `--replications`, so a result can
    /// be reproduced from itself.
    pub inputs: Inputs,
    /// Request outcomes in the observation window, summed over every replication.
    pub requests: Requests,
    /// Successful / attempted requests, per replication; mean and Student-t 95% CI across replications.
    pub availability: Estimate,
    /// Time availability as users see it: the traffic-weighted share of clients whose cached DNS answer
    /// sends them to a region whose whole path serves, over time; mean across replications.
    pub time_availability: Estimate,
    /// The same with every client on the authoritative answer (the infrastructure's view, which misses
    /// the TTL drain and stale resolvers).
    pub time_availability_infra: Estimate,
    /// Latency of successful requests, as clients see it (network included).
    pub latency_ms: LatencySummary,
    /// By traffic population, in the order the model file lists them.
    pub per_population: Vec<SliceReport>,
    /// By the region a request entered.
    pub per_region: Vec<SliceReport>,
    /// Little's law check: time-average requests in the system against arrival rate × mean time.
    pub queueing: Queueing,
    /// Events the engine processed (a measure of the simulation's work).
    pub events: Events,
    /// How much of the horizon was simulated request by request (see `fidelity` in the scenario).
    #[serde(default)]
    pub fidelity: FidelityReport,
    /// One row per replication, for `runs.csv` and distributions across replications.
    pub runs: Vec<RunRow>,
    /// Empirical latency CDF per population, from the merged histograms: `[latency_ms, fraction]`.
    pub latency_cdf: Vec<NamedCdf>,
    /// The timeline of the replication whose availability is nearest the median.
    pub representative: Representative,
    /// Failovers: incidents in which a region's entry point stopped serving populations routed to it.
    pub failovers: Failovers,
    /// Multi-writer conflicts and stale reads.
    pub data: DataReport,
    /// Monthly cost (730 h) with its breakdown, means across replications.
    pub cost_usd_per_month: CostReport,
    /// Share of counted requests that crossed between regions.
    pub cross_region_share: Estimate,
    /// Soft problems with the result, each with advice (the text of a [`Warning`]).
    pub warnings: Vec<String>,
    /// The scenario's service-level objectives, each judged against its metric's 95% CI.
    #[serde(default)]
    pub objectives: Vec<ObjectiveResult>,
}

/// Statistics over every failover of every replication, and per-replication counts.
///
/// - `count`, `writes_lost`: per replication (failovers in it, writes lost in it), Student-t CI.
/// - `detection_s`, `dns_switch_s`, `first_response_s`, `rto_s`, `rpo_s`: the pooled mean over every
///   failover of every replication, with a 95% CI clustered by replication (failovers of one
///   replication are not independent), and pooled percentiles. RTO: from the instant the region stopped
///   serving to the instant every affected population's success ratio over a sliding window was back
///   at the scenario's recovery level and held there; failovers not recovered by the horizon are
///   counted in `rto_unrecovered` and left out of RTO; those whose users fell below the level again within
///   15 minutes of recovering are counted in `relapsed`. First response: to the first success of every
///   affected population (by a client not on an answer older than the failure). RPO: age, at the
///   failure instant, of the oldest write the failure lost; failovers that lost no write count as 0.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Failovers {
    /// Failovers per replication: mean and Student-t 95% CI; `None` when no replication had one.
    pub count: Option<Estimate>,
    /// Failure → health checks declare the region unhealthy \[s\]: pooled mean, CI clustered by replication.
    pub detection_s: Option<Estimate>,
    /// Failure → DNS answers change \[s\]: pooled mean, CI clustered by replication.
    pub dns_switch_s: Option<Estimate>,
    /// Failure → the first successful response of every affected population \[s\]: pooled mean, CI clustered by
    /// replication.
    pub first_response_s: Option<Estimate>,
    /// Recovery time as users see it \[s\], over the failovers that recovered.
    pub rto_s: Option<Spread>,
    /// Failovers detected but not recovered by the horizon, summed over replications (left out of `rto_s`).
    pub rto_unrecovered: u64,
    /// Failovers whose users recovered and then, within 15 minutes, fell below the recovery level again
    /// (their RTO counts the first recovery), summed over replications.
    #[serde(default)]
    pub relapsed: u64,
    /// Age of the oldest write each failover lost \[s\], 0 for a failover that lost none.
    pub rpo_s: Option<Spread>,
    /// Writes lost by failovers, per replication: mean and Student-t 95% CI.
    pub writes_lost: Option<Estimate>,
    /// Every failover, for charts and scripts.
    pub all: Vec<ReplicationFailover>,
}

/// One failover and the replication it happened in (one flat object in `results.json`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReplicationFailover {
    /// The replication it happened in.
    pub replication: u32,
    /// The failover; its fields are written beside `replication`.
    #[serde(flatten)]
    pub failover: crate::sim::observation::Failover,
}

/// A pooled mean with its replication-clustered CI and the pooled distribution's percentiles and
/// maximum.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    /// Pooled mean: the sum of every replication's values over their count.
    pub mean: f64,
    /// 95% CI of the mean, clustered by replication.
    pub ci95: [f64; 2],
    /// Pooled median (nearest rank).
    pub p50: f64,
    /// Pooled 90th percentile (nearest rank).
    pub p90: f64,
    /// Largest value of any replication.
    pub max: f64,
    /// Number of values pooled.
    pub n: usize,
}

/// Operations on the store at the end of the request path, and what multiple writers cost.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct DataReport {
    /// Reads of counted requests, summed over replications.
    pub reads: u64,
    /// Writes of counted requests, summed over replications.
    pub writes: u64,
    /// Per replication.
    pub lost_updates: Option<Estimate>,
    /// Reads that missed a write accepted elsewhere and not yet applied, per replication: mean and Student-t
    /// 95% CI; `None` when the request path ends with no store.
    pub stale_reads: Option<Estimate>,
    /// Requests served outside their population's data residency, per replication: mean and Student-t
    /// 95% CI; `None` when no population has a residency (docs/architecture.md#residency).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub residency_violations: Option<Estimate>,
}

/// Monthly cost of the design [USD/month] (730 h; docs/architecture.md#usage-and-cost): each replication's
/// usage billed at the model's prices, then averaged across replications.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct CostReport {
    /// Mean of the replications' monthly totals [USD/month].
    pub total: f64,
    /// Student-t 95% CI of `total` [USD/month].
    pub total_ci95: [f64; 2],
    /// Each component's mean across replications (written beside `total` in `results.json`).
    #[serde(flatten)]
    pub breakdown: crate::analysis::cost::CostBreakdown,
    /// Of `egress`, what CDN edges' deliveries cost (mean) [USD/month]; 0 without a CDN.
    #[serde(default)]
    pub cdn_delivery: f64,
    /// What the bytes the CDN edges delivered would have cost as the origins' internet egress (mean)
    /// [USD/month]: the egress the CDN saves.
    #[serde(default)]
    pub origin_egress_saved: f64,
}

/// The inputs of a study exactly as simulated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inputs {
    /// Path of the model file, as given.
    pub model_file: String,
    /// Path of the scenario file, as given.
    pub scenario_file: String,
    /// The `--set PATH=VALUE` overrides, in the order they were applied.
    pub overrides: Vec<String>,
    /// The model, overrides applied.
    pub model: ModelSpec,
    /// The scenario, overrides, `--seed` and `--replications` applied.
    pub scenario: ScenarioSpec,
}

impl Inputs {
    /// The inputs of `study` run with the `--set`s `overrides` (as typed).
    pub fn of(study: &crate::model::study::Study, overrides: &[String]) -> Inputs {
        Inputs {
            model_file: study.model_file.display().to_string(),
            scenario_file: study.scenario_file.display().to_string(),
            overrides: overrides.to_vec(),
            model: study.model_spec.clone(),
            scenario: study.scenario_spec.clone(),
        }
    }
}

/// Request outcomes in the observation window, summed over every replication.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Requests {
    /// Requests that arrived in the observation window (simulated or fast-forwarded); each has exactly
    /// one outcome, so this equals `total`.
    #[serde(default)]
    pub arrived: u64,
    /// Requests with an outcome: `succeeded + failed`.
    pub total: u64,
    /// Requests that succeeded.
    pub succeeded: u64,
    /// Requests that failed, whatever the cause (the sum of `failed_by_cause`).
    pub failed: u64,
    /// Failed requests by cause (every cause, zeros included): `no_healthy_instance`, `instance_failed`,
    /// `queue_full`, `store_unavailable`, `partition`, `timeout`, `unfinished`, `target_down`,
    /// `instance_error`, `shed`, `dependency_unavailable`, `breaker_open`, `residency`.
    pub failed_by_cause: BTreeMap<String, u64>,
    /// Attempts those requests took, retries included (equal to `total` when clients do not retry).
    #[serde(default)]
    pub attempts: u64,
    /// Retries clients wanted and their retry budgets refused.
    #[serde(default)]
    pub retries_refused: u64,
    /// Times a population's circuit breaker for a region opened, over every replication's observation
    /// window.
    #[serde(default)]
    pub breaker_trips: u64,
    /// Times a balancer's outlier detection ejected an instance, over every replication's observation
    /// window.
    #[serde(default)]
    pub ejections: u64,
    /// Retries services made of their calls to the next hop (`services[NAME].retry`); 0 when none
    /// retries.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub hop_retries: u64,
    /// Calls reaching each hop of the request path (by service or store name), every retry above it
    /// included; empty unless a service retries its calls.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub calls_by_hop: BTreeMap<String, u64>,
    /// Attempts CDN edges answered from their caches (docs/architecture.md#cdn).
    #[serde(default)]
    pub edge_hits: u64,
    /// Attempts CDN origin shields answered from their caches.
    #[serde(default)]
    pub shield_hits: u64,
    /// Legs CDN edges sent to an origin (a failover group's secondary counted again).
    #[serde(default)]
    pub origin_requests: u64,
    /// Requests CDN edges served stale because the origin failed (counted as successes).
    #[serde(default)]
    pub served_stale: u64,
    /// Requests served outside their population's data residency (`ServeElsewhere`), summed over
    /// replications (docs/architecture.md#residency).
    #[serde(default)]
    pub residency_violations: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

/// Latency of successful requests \[ms\]; each `null` when no request succeeded. Every row is one
/// estimator with its own 95% CI: `mean` is the pooled mean (all successes of all replications) with a
/// CI clustered by replication; each percentile is the pooled percentile of the merged histograms, at
/// its bucket's middle, with the CI that inverts the clustered CI of the pooled CDF (never narrower
/// than its bucket). A CI equal to the point means fewer than two replications had latencies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LatencySummary {
    /// Pooled mean \[ms\]: the sum of every success's latency over their count, CI clustered by replication.
    pub mean: Option<Estimate>,
    /// Median \[ms\].
    pub p50: Option<Estimate>,
    /// 90th percentile \[ms\].
    pub p90: Option<Estimate>,
    /// 99th percentile \[ms\].
    pub p99: Option<Estimate>,
    /// 99.9th percentile \[ms\].
    pub p999: Option<Estimate>,
}

impl LatencySummary {
    /// The point estimates, for tables and charts.
    pub fn value(e: &Option<Estimate>) -> Option<f64> {
        e.map(|e| e.mean)
    }
}

/// Outcomes and latency of one slice of the traffic (a population, or the region requests entered), over
/// every replication.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SliceReport {
    /// The population's or region's name.
    pub name: String,
    /// Requests with an outcome, summed over replications.
    pub requests: u64,
    /// Requests that succeeded, summed over replications.
    pub succeeded: u64,
    /// Successful / attempted per replication: mean and Student-t 95% CI.
    pub availability: Estimate,
    /// Latency of its successful requests \[ms\], with the estimators of [`LatencySummary`].
    pub latency_ms: LatencySummary,
}

/// Little's law as a check of the engine's bookkeeping: L against λ × W over the observation window, each per
/// replication, with its mean and Student-t 95% CI across replications.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Queueing {
    /// Arrivals per second inside the observation window (λ).
    pub arrival_rate_per_s: Estimate,
    /// Time-average number of requests between arrival and outcome (L).
    pub mean_in_system: Estimate,
    /// λ × W, W the mean time from arrival to outcome of every request that arrived in the window
    /// (failed ones included, as L counts them): equals L by Little's law, up to the requests that
    /// straddle the window's ends.
    pub little_lambda_w: Estimate,
}

/// Events the engine processed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Events {
    /// Summed over every replication.
    pub total: u64,
    /// Per replication: mean and Student-t 95% CI.
    pub per_replication: Estimate,
}

/// What ran at request level. With `full` fidelity every request was simulated; with `sampled`, the
/// steady stretches between changes were fast-forwarded from sampled windows (docs/architecture.md#fidelity).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FidelityReport {
    /// `full` or `sampled`.
    pub mode: String,
    /// Share of the observation window simulated request by request, across replications.
    pub request_level_share: Estimate,
    /// Requests simulated one by one, all replications.
    pub simulated_requests: u64,
    /// Requests accounted for from sampled windows instead, all replications (0 at full fidelity).
    pub fast_forwarded_requests: u64,
}

impl Default for FidelityReport {
    /// What a results file from before sampled fidelity existed means: everything at request level.
    fn default() -> Self {
        FidelityReport {
            mode: "full".into(),
            request_level_share: Estimate { mean: 1.0, ci95: [1.0, 1.0] },
            simulated_requests: 0,
            fast_forwarded_requests: 0,
        }
    }
}

/// One replication's figures: a row of `runs.csv`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRow {
    /// Index of the replication, from 0.
    pub replication: u32,
    /// Requests with an outcome in the observation window.
    pub requests: u64,
    /// Requests that succeeded.
    pub succeeded: u64,
    /// Failed requests by cause (every cause, zeros included).
    pub failed_by_cause: BTreeMap<String, u64>,
    /// Successful / attempted requests (1 when none had an outcome).
    pub availability: f64,
    /// Time availability as users see it, in [0, 1] (see [`Report::time_availability`]).
    pub time_availability: f64,
    /// Time availability with every client on the authoritative answer, in [0, 1].
    #[serde(default)]
    pub time_availability_infra: f64,
    /// Mean latency of successful requests \[ms\]; `None` when none succeeded.
    pub latency_mean_ms: Option<f64>,
    /// Median latency of successful requests \[ms\]; `None` when none succeeded.
    pub latency_p50_ms: Option<f64>,
    /// 99th-percentile latency of successful requests \[ms\]; `None` when none succeeded.
    pub latency_p99_ms: Option<f64>,
    /// Time-average number of requests between arrival and outcome over the observation window (Little's L).
    pub mean_in_system: f64,
    /// Attempts per request with an outcome (1 without retries; retries included).
    #[serde(default)]
    pub attempts_per_request: f64,
    /// Events the engine processed.
    pub events: u64,
    /// Requests accounted for from sampled windows rather than simulated (0 at full fidelity).
    #[serde(default)]
    pub fast_forwarded: u64,
    /// Failovers in this replication.
    #[serde(default)]
    pub failovers: u64,
    /// Times a population's circuit breaker for a region opened in this replication.
    #[serde(default)]
    pub breaker_trips: u64,
    /// Times a balancer's outlier detection ejected an instance in this replication.
    #[serde(default)]
    pub ejections: u64,
    /// Attempts CDN edges answered from their caches in this replication.
    #[serde(default)]
    pub edge_hits: u64,
    /// Legs CDN edges sent to an origin in this replication.
    #[serde(default)]
    pub origin_requests: u64,
    /// Requests CDN edges served stale in this replication.
    #[serde(default)]
    pub served_stale: u64,
    /// Requests served outside their population's data residency in this replication.
    #[serde(default)]
    pub residency_violations: u64,
    /// The longest RTO of the replication's failovers \[s\].
    #[serde(default)]
    pub rto_max_s: Option<f64>,
    /// The longest RPO of the replication's failovers \[s\]; `None` when none lost a write.
    #[serde(default)]
    pub rpo_max_s: Option<f64>,
    /// Writes lost by the replication's failovers.
    #[serde(default)]
    pub writes_lost: u64,
    /// Multi-writer writes dropped by last-writer-wins.
    #[serde(default)]
    pub lost_updates: u64,
    /// Reads that missed a write accepted elsewhere and not yet applied.
    #[serde(default)]
    pub stale_reads: u64,
    /// The replication's usage billed at the model's prices [USD/month].
    #[serde(default)]
    pub cost_usd_per_month: f64,
    /// This replication's values per population, in [`Report::per_population`] order (none in results
    /// written before it existed). Not in `runs.csv`, which has one column per scalar.
    #[serde(default)]
    pub per_population: Vec<PopulationRunRow>,
    /// What this replication used, in physical units (instance-seconds, bytes, writes, DNS queries):
    /// the cost is these at the model's prices, so `report` can re-price a results file.
    #[serde(default)]
    pub usage: crate::sim::observation::Usage,
}

/// One population's values in one replication.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PopulationRunRow {
    /// Successful / attempted requests (1 when none had an outcome).
    pub availability: f64,
    /// Median latency of its successful requests \[ms\]; `None` when none succeeded.
    pub latency_p50_ms: Option<f64>,
    /// 99th-percentile latency of its successful requests \[ms\]; `None` when none succeeded.
    pub latency_p99_ms: Option<f64>,
}

/// The empirical latency CDF of one population, from the histograms merged over replications, thinned to at
/// most 200 points evenly spaced in cumulative fraction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamedCdf {
    /// The population.
    pub name: String,
    /// `[latency_ms, fraction]` pairs, in increasing latency, the fraction reaching 1.
    pub points: Vec<[f64; 2]>,
}

/// The replication the timeline charts show: the one whose request availability is nearest the median (the
/// lowest index on ties).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Representative {
    /// Its index.
    pub replication: u32,
    /// Region names in the model's (sorted) order, the order of the timeline's per-region values.
    pub region_names: Vec<String>,
    /// Deployment names (`service@region`) in the model's order, the order of the timeline's
    /// per-deployment values (fleet sizes).
    #[serde(default)]
    pub deployment_names: Vec<String>,
    /// Its timeline.
    pub timeline: Timeline,
    /// What happened in it, told in time order (from its trace; see `regionsim trace`); `None` when
    /// it was not told (a report built from replications in memory, a results file older than stories).
    #[serde(default)]
    pub story: Option<Vec<StoryLine>>,
    /// Its first failover's outcomes at the trace's resolution (the availability chart's zoomed
    /// panel); `None` when it was not traced or had no failover short enough to zoom on.
    #[serde(default)]
    pub close_up: Option<CloseUp>,
}
