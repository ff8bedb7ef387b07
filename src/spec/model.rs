//! The model file: the architecture (regions, zones, services, client populations, network).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::distribution::DistributionSpec;

/// An architecture, as written in `models/NAME.ron`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    /// Short name, used in output folder names.
    pub name: String,
    /// Free text shown in reports.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    pub regions: Vec<RegionSpec>,
    pub services: Vec<ServiceSpec>,
    /// The services a request calls, in order (`["edge", "api"]`).
    pub request_path: Vec<String>,
    pub populations: Vec<PopulationSpec>,
    #[serde(default)]
    pub network: NetworkSpec,
}

/// A region and its availability zones; both are fault domains.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionSpec {
    /// A location name; for the built-in latency matrix, an AWS region code such as `us-east-1`.
    pub name: String,
    pub zones: Vec<String>,
}

/// A stateless tier: identical instances behind a load balancer in each region it is deployed in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceSpec {
    pub name: String,
    /// Time one server spends on one request.
    pub service_time: DistributionSpec,
    /// Requests one instance serves at once; more wait in its FIFO queue.
    pub concurrency: u32,
    /// Price of one instance [USD/h].
    pub price_usd_per_hour: f64,
    /// How the load balancer picks among healthy instances. Default: least outstanding requests.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub load_balancing: Option<LoadBalancing>,
    /// Queue capacity of one instance; a request arriving at a full queue is shed (fails at once).
    /// Default: unbounded (subject to the scenario's queue budget).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_queue: Option<u32>,
    /// Where the service runs, by region name.
    pub deployments: BTreeMap<String, DeploymentSpec>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LoadBalancing {
    RoundRobin,
    LeastOutstanding,
}

/// A service's footprint in one region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeploymentSpec {
    pub instances: u32,
    /// The zones to spread instances over, round-robin. Default: all zones of the region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zones: Option<Vec<String>>,
}

/// Where a group of clients is and what share of the traffic it sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PopulationSpec {
    pub name: String,
    /// A location in the latency matrix (a region code, or a name given in `network.links`).
    pub location: String,
    /// Share of the scenario's total request rate, in [0, 1].
    pub share: f64,
}

/// Round-trip times between locations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct NetworkSpec {
    /// A shipped matrix of round-trip times between regions, e.g. `"aws-p50-2025"` (figures.md §3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub builtin: Option<String>,
    /// Round-trip times that add to or override the built-in matrix; symmetric.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<LinkSpec>,
    /// Extra delay added to every network crossing (one way), sampled per crossing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jitter: Option<DistributionSpec>,
    /// Round-trip time of a call between two services in one region [ms]. Default 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hop_rtt_ms: Option<f64>,
    /// How long a client waits for a connection before giving up when nothing healthy answers [ms].
    /// Default 3000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connect_timeout_ms: Option<f64>,
}

/// A measured round trip between two locations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkSpec {
    pub a: String,
    pub b: String,
    pub rtt_ms: f64,
}

/// Top-level fields of a model file, to route `--set PATH=VALUE` to the right file.
pub const MODEL_FIELDS: &[&str] =
    &["name", "description", "regions", "services", "request_path", "populations", "network"];
