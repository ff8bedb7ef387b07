//! The results of a study: one serializable [`Report`] that every output (terminal table, `results.json`,
//! CSV, charts, HTML) only reads. `schema_version` changes whenever a field changes meaning or goes away.

mod build;
mod load;
mod warning;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::analysis::stats::Estimate;
use crate::analysis::verdict::ObjectiveResult;
use crate::input::spec::{ModelSpec, ScenarioSpec};
use crate::sim::observation::Timeline;

pub use build::build;
pub use load::{LoadError, load};
pub use warning::Warning;

/// Version 2: percentiles at their bucket's middle, each with its own CI (`latency_ms.p99 = {mean,
/// ci95}`); per-incident CIs clustered by replication; `time_availability` as users see it and
/// `time_availability_infra` as the authoritative answers do; failovers' `first_response_s`; RTO as
/// users see it (the scenario's `recovery`); `unfinished` failure cause; Little's law over every
/// request; absent estimates as `null`, never NaN.
pub const SCHEMA_VERSION: u32 = 2;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    pub schema_version: u32,
    pub regionsim_version: String,
    pub seed: u64,
    pub replications: u32,
    pub horizon_s: f64,
    pub warmup_s: f64,
    /// Exactly what was simulated: the files after `--set`, `--seed` and `--replications`, so a result can
    /// be reproduced from itself.
    pub inputs: Inputs,
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
    pub per_population: Vec<SliceReport>,
    /// By the region a request entered.
    pub per_region: Vec<SliceReport>,
    /// Little's law check: time-average requests in the system against arrival rate × mean time.
    pub queueing: Queueing,
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
///   counted in `rto_unrecovered` and left out of RTO. First response: to the first success of every
///   affected population (by a client not on an answer older than the failure). RPO: age, at the
///   failure instant, of the oldest write the failure lost; failovers that lost no write count as 0.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Failovers {
    pub count: Option<Estimate>,
    pub detection_s: Option<Estimate>,
    pub dns_switch_s: Option<Estimate>,
    pub first_response_s: Option<Estimate>,
    pub rto_s: Option<Spread>,
    pub rto_unrecovered: u64,
    pub rpo_s: Option<Spread>,
    pub writes_lost: Option<Estimate>,
    /// Every failover, for charts and scripts.
    pub all: Vec<ReplicationFailover>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReplicationFailover {
    pub replication: u32,
    #[serde(flatten)]
    pub failover: crate::sim::observation::Failover,
}

/// A pooled mean with its replication-clustered CI and the pooled distribution's percentiles and
/// maximum.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spread {
    pub mean: f64,
    pub ci95: [f64; 2],
    pub p50: f64,
    pub p90: f64,
    pub max: f64,
    pub n: usize,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct DataReport {
    pub reads: u64,
    pub writes: u64,
    /// Per replication.
    pub lost_updates: Option<Estimate>,
    pub stale_reads: Option<Estimate>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct CostReport {
    pub total: f64,
    pub total_ci95: [f64; 2],
    /// Each component's mean across replications (written beside `total` in `results.json`).
    #[serde(flatten)]
    pub breakdown: crate::analysis::cost::CostBreakdown,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Inputs {
    pub model_file: String,
    pub scenario_file: String,
    pub overrides: Vec<String>,
    pub model: ModelSpec,
    pub scenario: ScenarioSpec,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Requests {
    /// Requests that arrived in the observation window (simulated or fast-forwarded); each has exactly
    /// one outcome, so this equals `total`.
    #[serde(default)]
    pub arrived: u64,
    /// Requests with an outcome: `succeeded + failed`.
    pub total: u64,
    pub succeeded: u64,
    pub failed: u64,
    /// Failed requests by cause (every cause, zeros included): `no_healthy_instance`, `instance_failed`,
    /// `queue_full`, `store_unavailable`, `partition`, `timeout`, `unfinished`.
    pub failed_by_cause: BTreeMap<String, u64>,
}

/// Latency of successful requests [ms]; each `null` when no request succeeded. Every row is one
/// estimator with its own 95% CI: `mean` is the pooled mean (all successes of all replications) with a
/// CI clustered by replication; each percentile is the pooled percentile of the merged histograms, at
/// its bucket's middle, with the CI that inverts the clustered CI of the pooled CDF (never narrower
/// than its bucket). A CI equal to the point means fewer than two replications had latencies.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LatencySummary {
    pub mean: Option<Estimate>,
    pub p50: Option<Estimate>,
    pub p90: Option<Estimate>,
    pub p99: Option<Estimate>,
    pub p999: Option<Estimate>,
}

impl LatencySummary {
    /// The point estimates, for tables and charts.
    pub fn value(e: &Option<Estimate>) -> Option<f64> {
        e.map(|e| e.mean)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SliceReport {
    pub name: String,
    pub requests: u64,
    pub succeeded: u64,
    pub availability: Estimate,
    pub latency_ms: LatencySummary,
}

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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Events {
    pub total: u64,
    pub per_replication: Estimate,
}

/// What ran at request level. With `full` fidelity every request was simulated; with `sampled`, the
/// steady stretches between changes were fast-forwarded from sampled windows (DESIGN.md decision 7).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FidelityReport {
    /// `full` or `sampled`.
    pub mode: String,
    /// Share of the observation window simulated request by request, across replications.
    pub request_level_share: Estimate,
    /// Requests simulated one by one, and requests accounted for from sampled windows (all replications).
    pub simulated_requests: u64,
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

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRow {
    pub replication: u32,
    pub requests: u64,
    pub succeeded: u64,
    /// Failed requests by cause (every cause, zeros included).
    pub failed_by_cause: BTreeMap<String, u64>,
    pub availability: f64,
    pub time_availability: f64,
    #[serde(default)]
    pub time_availability_infra: f64,
    pub latency_mean_ms: Option<f64>,
    pub latency_p50_ms: Option<f64>,
    pub latency_p99_ms: Option<f64>,
    pub mean_in_system: f64,
    pub events: u64,
    /// Requests accounted for from sampled windows rather than simulated (0 at full fidelity).
    #[serde(default)]
    pub fast_forwarded: u64,
    #[serde(default)]
    pub failovers: u64,
    /// The longest RTO of the replication's failovers [s].
    #[serde(default)]
    pub rto_max_s: Option<f64>,
    #[serde(default)]
    pub rpo_max_s: Option<f64>,
    #[serde(default)]
    pub writes_lost: u64,
    #[serde(default)]
    pub lost_updates: u64,
    #[serde(default)]
    pub stale_reads: u64,
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
    pub availability: f64,
    pub latency_p50_ms: Option<f64>,
    pub latency_p99_ms: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NamedCdf {
    pub name: String,
    pub points: Vec<[f64; 2]>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Representative {
    pub replication: u32,
    pub region_names: Vec<String>,
    pub timeline: Timeline,
}
