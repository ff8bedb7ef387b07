//! The scenario file: what happens to a model (traffic, failures, outages) and how long we watch.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::distribution::DistributionSpec;

/// A scenario, as written in `scenarios/NAME.ron`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioSpec {
    /// Short name, used in output folder names.
    pub name: String,
    /// Free text about the scenario, for whoever reads the file.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Simulated time per replication, warm-up included \[s\].
    pub horizon_s: f64,
    /// Initial period excluded from every statistic \[s\]. Default 0.
    #[serde(default)]
    pub warmup_s: f64,
    /// Independent replications (overridden by `--replications`).
    pub replications: u32,
    /// Master seed (overridden by `--seed`).
    pub seed: u64,
    /// Request rates of the populations.
    pub traffic: TrafficSpec,
    /// Random failure and repair processes, by component kind.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failures: Vec<FailureProcessSpec>,
    /// Outages injected at fixed times.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub outages: Vec<OutageSpec>,
    /// Limits that stop a runaway replication. Default: 2 G events, 1 M queued requests per instance.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budgets: Option<BudgetsSpec>,
    /// The read/write mix and key space of requests that reach a store.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<DataSpec>,
    /// Service-level objectives the results are judged against (`run` and `compare` exit 1 on a miss).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub objectives: Option<ObjectivesSpec>,
    /// How requests are simulated: `Full` (every request; the default) or `Sampled(...)` (steady states
    /// sampled in windows and fast-forwarded, docs/architecture.md#fidelity).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fidelity: Option<FidelitySpec>,
    /// When users count as recovered after a failover (RTO). Default: 90% of a population's requests
    /// succeed over a 10 s sliding window, and keep doing so for 60 s.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recovery: Option<RecoverySpec>,
}

/// Recovery as users see it: a population has recovered from a failover once the share of its
/// requests that succeed, over a sliding window, is back at `success_ratio` and stays there for
/// `hold_s`. A population with no traffic is judged on the share of its clients whose cached answer can
/// serve them. Every field is optional.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RecoverySpec {
    /// The success ratio that counts as recovered, in (0, 1]. Default 0.90.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub success_ratio: Option<f64>,
    /// The sliding window \[s\]. Default 10.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_s: Option<f64>,
    /// How long the ratio must stay at the level \[s\]. Default 60.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hold_s: Option<f64>,
}

/// Request-level fidelity. Infrastructure (failures, repairs, health checks, DNS, standby, promotion) is
/// always simulated over the whole horizon, whatever this says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum FidelitySpec {
    /// Every request of the horizon is simulated.
    Full,
    /// After each change of the infrastructure, requests are simulated until the system settles, then
    /// for a sampled window; the rest of the steady state, up to a lead before the next change, is
    /// fast-forwarded with the window's statistics, weighted by the requests each (population, region)
    /// would have sent. Every field is optional.
    Sampled {
        /// Full fidelity after each change before the window opens \[s\]. Default 5, and at least twice
        /// the connect timeout (so requests caught by the change have finished), and after a DNS
        /// change at least the TTL and propagation (so the clients that follow it have moved).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        settle_s: Option<f64>,
        /// The sampled window \[s\]. Default 10, longer when the traffic would bring fewer than 10,000
        /// requests in it.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        window_s: Option<f64>,
        /// Full fidelity before each known failure, scale-in or promotion, so the requests and
        /// replicated writes in flight are there when it strikes \[s\]. Default 10 (at least 20 mean
        /// replication lags).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        lead_s: Option<f64>,
    },
}

/// What requests do at the store at the end of their path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct DataSpec {
    /// Share of requests that write, in [0, 1]. Default 0.2.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_fraction: Option<f64>,
    /// Distinct keys. Default 100,000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keys: Option<u64>,
    /// Zipf exponent of key popularity (0 = uniform). Default 0.99.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zipf_exponent: Option<f64>,
}

/// Service-level objectives; every one optional. Each is judged against its metric's 95% CI: pass when
/// the whole interval meets it, fail when none of it does, inconclusive otherwise.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ObjectivesSpec {
    /// Least request availability (successful / attempted), a fraction in (0, 1], e.g. 0.9999.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub availability_min: Option<f64>,
    /// Greatest p99 latency of all requests \[ms\] (the mean of per-replication p99s).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub p99_ms_max: Option<f64>,
    /// Greatest p99 latency per population \[ms\], by population name.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub per_population_p99_ms_max: BTreeMap<String, f64>,
    /// Greatest recovery time after a failover \[s\].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rto_s_max: Option<f64>,
    /// Greatest age of the writes lost in a failover \[s\].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rpo_s_max: Option<f64>,
    /// Greatest monthly cost [USD/month].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cost_usd_per_month_max: Option<f64>,
}

/// Poisson request arrivals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrafficSpec {
    /// Total request rate, split over populations by their model `share` [requests/s].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_per_s: Option<f64>,
    /// Per-population rates; a population listed here ignores its share.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub populations: Vec<PopulationTrafficSpec>,
    /// 24 hourly multipliers of the rate (hour 0 first, simulation starts at midnight); their mean should
    /// be 1 so the rates above stay the daily mean.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub daily_profile: Option<Vec<f64>>,
}

/// The request rate of one population.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PopulationTrafficSpec {
    /// The population, as named in the model.
    pub name: String,
    /// Its mean request rate [requests/s].
    pub rate_per_s: f64,
}

/// The kinds of component that fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ComponentKind {
    /// Every instance (`only` names services).
    Instance,
    /// Availability zones, with every instance in them (`only` names zones).
    Zone,
    /// Whole regions (`only` names regions).
    Region,
    /// A store's copy in one region (`only` names stores).
    Store,
    /// The network between two regions (`only` names pairs as "a/b").
    Link,
    /// A region's control plane: while down, no scale-up or provisioning completes there.
    ControlPlane,
    /// The CDN edge of each population with a `cdn` (`only` names populations): while down, the
    /// population's requests fail at the edge.
    Cdn,
    /// The model's DNS layer, the authoritative servers of its `Dns` steering (no `only`: there is
    /// one): while down, clients whose cached answer has expired cannot resolve (docs/architecture.md#dns-layer).
    Dns,
}

/// Alternating up and down times for every component of a kind (or only the named ones).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FailureProcessSpec {
    /// The kind of component that fails.
    pub kind: ComponentKind,
    /// Restrict to these names: services (for instances), zones or regions. Empty: all. A later entry
    /// overrides an earlier one for the components it covers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub only: Vec<String>,
    /// Up time, from a repair (or the start) to the next failure.
    pub time_to_failure: DistributionSpec,
    /// Down time, from a failure to its repair.
    pub time_to_repair: DistributionSpec,
    /// How the component fails. Default: `Crash`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<FailureModeSpec>,
}

/// How a component fails: it stops, or it keeps running and does its work worse (a gray failure).
/// Gray modes apply to instances, zones and regions (every instance in them).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum FailureModeSpec {
    /// It stops: its requests fail, and its load balancer's health checks take it out of rotation.
    Crash,
    /// It serves slower: every service time × `factor` (at least 1). Its health checks still pass.
    Slow {
        /// The service-time multiplier, at least 1.
        factor: f64,
    },
    /// A share of its requests fail (an error at once, or, with `hang`, no answer until the client's
    /// request timeout); its health checks fail with the same probability.
    Failing {
        /// The share of requests (and checks) that fail, in (0, 1].
        share: f64,
        /// Failed requests hang until their client gives up instead of failing at once.
        #[serde(default)]
        hang: bool,
    },
}

/// A component taken down at a fixed time.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutageSpec {
    /// What goes down.
    pub target: OutageTarget,
    /// When it goes down, from the start of the replication (warm-up included) \[s\].
    pub start_s: f64,
    /// How long it stays down \[s\].
    pub duration_s: f64,
    /// How it fails. Default: `Crash`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mode: Option<FailureModeSpec>,
}

/// The component an injected outage takes down, by name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum OutageTarget {
    /// Instance `index` (0-based) of a service's deployment in a region.
    Instance {
        /// The service.
        service: String,
        /// The region of the deployment.
        region: String,
        /// The instance's index in the deployment, from 0.
        index: u32,
    },
    /// An availability zone, with every instance in it.
    Zone(String),
    /// A whole region: every zone, instance and store copy in it.
    Region(String),
    /// Every copy of a store in a region: `Store(store: "orders", region: "us-east-1")`.
    Store {
        /// The store.
        store: String,
        /// The region of the copy.
        region: String,
    },
    /// A partition between two regions: both stay up, nothing crosses.
    Link(String, String),
    /// A region's control plane: while down, no scale-up or provisioning completes there.
    ControlPlane(String),
    /// A dependency's copy in a region, the region itself staying up: `Dependency(dependency:
    /// "sign-in", region: "us-east-1")`. For a `Global` dependency the region is its home; for a
    /// `Regional` one, any region (that region's copy). Instances whose cache entry expires while it is
    /// down fail the requests that need it (docs/architecture.md#dependencies).
    Dependency {
        /// The dependency (a name in the model's `dependencies`).
        dependency: String,
        /// The region of the copy.
        region: String,
    },
    /// A population's CDN edge (`Cdn("users-us")`, a population with a `cdn`): while down, every attempt
    /// of the population reaches an edge that answers with an error (cause `cdn_unavailable`), whatever
    /// its origins' state (docs/architecture.md#cdn).
    Cdn(String),
    /// The model's DNS layer (`Dns`, no argument: the authoritative servers of its `Dns` steering):
    /// while down, a request whose client's cached answer is still valid goes on as before, and one
    /// whose client needs to resolve fails (cause `dns_unavailable`), unless its resolver serves stale
    /// answers (docs/architecture.md#dns-layer).
    Dns,
}

/// Limits that stop a runaway replication with a clear message instead of exhausting memory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct BudgetsSpec {
    /// Events per replication. Default 2,000,000,000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_events: Option<u64>,
    /// Requests waiting in any one instance's queue. Default 1,000,000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_queue: Option<u32>,
}

/// Top-level fields of a scenario file, to route `--set PATH=VALUE` to the right file.
pub const SCENARIO_FIELDS: &[&str] = &[
    "name",
    "description",
    "horizon_s",
    "warmup_s",
    "replications",
    "seed",
    "traffic",
    "failures",
    "outages",
    "budgets",
    "data",
    "objectives",
    "fidelity",
    "recovery",
];
