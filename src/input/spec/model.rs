//! The model file: the architecture (regions, zones, services, client populations, network).

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::distribution::DistributionSpec;
use super::failover::FailoverSpec;
pub use super::retry::{BackoffSpec, FailureClassSpec, Jitter, RetryBudgetSpec, RetrySpec};

/// An architecture, as written in `models/NAME.ron`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModelSpec {
    /// Short name, used in output folder names.
    pub name: String,
    /// Free text shown in reports.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// The regions and their zones.
    pub regions: Vec<RegionSpec>,
    /// The tiers a request can call, and where each is deployed.
    pub services: Vec<ServiceSpec>,
    /// The services a request calls, in order (`["edge", "api"]`).
    pub request_path: Vec<String>,
    /// The client populations; their shares add up to 1.
    pub populations: Vec<PopulationSpec>,
    /// Round-trip times between the model's locations, network jitter and client timeouts.
    #[serde(default)]
    pub network: NetworkSpec,
    /// Data stores and how they replicate between regions.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stores: Vec<StoreSpec>,
    /// How clients pick a region, for every population without its own `routing`. Default: `Latency`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routing: Option<RoutingSpec>,
    /// How routing learns of failures and clients follow: DNS with health checks (default) or anycast.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub steering: Option<SteeringSpec>,
    /// Sizes of requests and responses, for transfer costs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<PayloadSpec>,
    /// Prices other than instances' (which are per service).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prices: Option<PricesSpec>,
    /// Shared or managed services called per request through a client-side cache (identity, keys,
    /// secrets), used by the services that name them in `depends_on`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependencies: Vec<super::dependency::DependencySpec>,
}

/// A region and its availability zones; both are fault domains.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionSpec {
    /// A location name; for the built-in latency matrix, an AWS region code such as `us-east-1`.
    pub name: String,
    /// Names of its availability zones (e.g. `use1-az1`), unique across the model.
    pub zones: Vec<String>,
}

/// A stateless tier: identical instances behind a load balancer in each region it is deployed in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceSpec {
    /// Unique name among services and stores, used in `request_path` and in instance names.
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
    /// Whom an instance's queue serves next and whom it turns away under overload. Default `Fifo`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub queue_discipline: Option<QueueDisciplineSpec>,
    /// The load balancer's health checks of its instances. Default: none, the balancer knows at once
    /// (an idealisation); with checks, a failed instance keeps its share of requests until they notice.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target_health_check: Option<TargetHealthCheckSpec>,
    /// Passive outlier detection by its load balancers: an instance that fails `consecutive_5xx`
    /// requests in a row is ejected for a while, as Envoy does it. Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outlier_detection: Option<super::outlier::OutlierDetectionSpec>,
    /// Where the service runs, by region name.
    pub deployments: BTreeMap<String, DeploymentSpec>,
    /// The model's `dependencies` each instance needs per request (through its cache). Default: none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub depends_on: Vec<String>,
    /// How this service retries its calls to the next hop of the request path (the next service, or
    /// the store after the last service): attempts per call, backoff and `retry_on` as a population's
    /// `retry`, within the request's deadline. A failure it does not retry goes back to its caller,
    /// which may retry in turn (re-serving this hop, whose counters start afresh); with k layers each
    /// making r + 1 attempts, the bottom sees (r + 1)^k when everything below fails. Per-hop budgets
    /// and attempt timeouts are not modelled: `budget` must be `Unlimited` and `attempt_timeout_ms`
    /// unset; at most 15 attempts. Default: the service does not retry.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<RetrySpec>,
}

/// A load balancer's health checks of its targets, as Elastic Load Balancing's target groups do them
/// (defaults: an Application Load Balancer's, docs/references.md#elb-health-checks). Each
/// instance is checked every `interval_s`; `unhealthy_threshold` consecutive failed checks take it out of
/// rotation, `healthy_threshold` consecutive passed checks put it back (a new instance joins at its first
/// passed check, as a target registering with Elastic Load Balancing does).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetHealthCheckSpec {
    /// Time between two checks of one instance \[s\]. Default 30.
    #[serde(default = "TargetHealthCheckSpec::default_interval_s")]
    pub interval_s: f64,
    /// A check with no answer within this long fails \[s\]; less than the interval. Default 5.
    #[serde(default = "TargetHealthCheckSpec::default_timeout_s")]
    pub timeout_s: f64,
    /// Consecutive passed checks that put an instance in rotation, 2 to 10. Default 5.
    #[serde(default = "TargetHealthCheckSpec::default_healthy_threshold")]
    pub healthy_threshold: u32,
    /// Consecutive failed checks that take an instance out of rotation, 2 to 10. Default 2.
    #[serde(default = "TargetHealthCheckSpec::default_unhealthy_threshold")]
    pub unhealthy_threshold: u32,
}

impl TargetHealthCheckSpec {
    fn default_interval_s() -> f64 {
        30.0
    }
    fn default_timeout_s() -> f64 {
        5.0
    }
    fn default_healthy_threshold() -> u32 {
        5
    }
    fn default_unhealthy_threshold() -> u32 {
        2
    }
}

/// Whom an instance's queue serves next, and whom it sheds (docs/references.md#load-shedding).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum QueueDisciplineSpec {
    /// First in, first out; a request whose client has given up is dropped unserved when reached.
    Fifo,
    /// First in, first out, and a request that cannot be served before its client's deadline is shed
    /// (fails at once, `shed`): at the door when its predicted wait plus a mean service time exceeds
    /// `slack` × the time its client has left, and when reached if less than a mean service time is left.
    /// Its client propagates the attempt's deadline (`retry.attempt_timeout_ms`, else the request's).
    DeadlineAware {
        /// The share of a request's remaining time its predicted wait and service may take, above 0 and
        /// at most 1. Default 0.5: the prediction (requests ahead × mean service / concurrency) errs by a
        /// few service times, far less than half of a deadline.
        #[serde(default = "QueueDisciplineSpec::default_slack")]
        slack: f64,
    },
    /// First in, first out while the queue is short; once its oldest request has waited `after_ms`, the
    /// newest is served first (adaptive LIFO: under overload the requests served are those whose clients
    /// still wait, and the oldest age out).
    AdaptiveLifo {
        /// The oldest request's wait that switches the queue to newest first \[ms\]. Default 100.
        #[serde(default = "QueueDisciplineSpec::default_after_ms")]
        after_ms: f64,
    },
}

impl QueueDisciplineSpec {
    fn default_slack() -> f64 {
        0.5
    }
    fn default_after_ms() -> f64 {
        100.0
    }
}

/// How a load balancer picks among a deployment's healthy instances.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum LoadBalancing {
    /// Each instance in turn.
    RoundRobin,
    /// The instance with the fewest requests (queued or in service), ties round-robin.
    LeastOutstanding,
    /// An instance in rotation at random, each equally likely.
    Random,
}

/// A service's footprint in one region.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeploymentSpec {
    /// The full fleet in this region, at least 1; spread over `zones` round-robin.
    pub instances: u32,
    /// The zones to spread instances over, round-robin. Default: all zones of the region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zones: Option<Vec<String>>,
    /// Posture of a passive region's deployment. Default: `Hot` (all `instances` always running).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub standby: Option<StandbySpec>,
    /// Target tracking autoscaling between a minimum and a maximum fleet (`instances` is the fleet it
    /// starts with). Default: none, the fleet is fixed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscaling: Option<super::autoscaling::AutoscalingSpec>,
}

/// The four AWS disaster-recovery strategies (docs/references.md#dr-strategies), as the posture of one deployment. In
/// every posture `instances` is the full fleet the deployment serves with once failed over to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum StandbySpec {
    /// Full capacity, always running (hot standby, or an active region).
    Hot,
    /// A fraction of the fleet runs; the rest starts `scale_up` after failover to this region begins.
    Warm {
        /// Share of `instances` that always runs, in (0, 1]; rounded up to whole instances.
        capacity_fraction: f64,
        /// How long the rest of the fleet takes to start.
        scale_up: DistributionSpec,
        /// Who starts the scale-up. Default `Automatic` (docs/references.md#failover-trigger).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        failover: Option<FailoverSpec>,
    },
    /// Nothing runs; the fleet is provisioned, taking `provision`, after failover begins.
    PilotLight {
        /// How long provisioning the whole fleet takes.
        provision: DistributionSpec,
        /// Who starts the provisioning. Default `Automatic` (docs/references.md#failover-trigger).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        failover: Option<FailoverSpec>,
    },
    /// Nothing runs and the data must be restored from backup: the region serves after `restore`.
    BackupRestore {
        /// How long restoring the data and starting the fleet takes.
        restore: DistributionSpec,
        /// Who starts the restore. Default `Automatic` (docs/references.md#failover-trigger).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        failover: Option<FailoverSpec>,
    },
}

impl StandbySpec {
    /// Who starts this posture's activation, as written (`None` for `Hot`, or when left out).
    pub fn failover(&self) -> Option<&FailoverSpec> {
        match self {
            StandbySpec::Hot => None,
            StandbySpec::Warm { failover, .. }
            | StandbySpec::PilotLight { failover, .. }
            | StandbySpec::BackupRestore { failover, .. } => failover.as_ref(),
        }
    }
}

/// Where a group of clients is and what share of the traffic it sends.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PopulationSpec {
    /// Unique name, used in reports and in `--set` paths (`populations[NAME]`).
    pub name: String,
    /// A location in the latency matrix (a region code, or a name given in `network.links`).
    pub location: String,
    /// Share of the scenario's total request rate, in [0, 1].
    pub share: f64,
    /// This population's routing, overriding the model's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub routing: Option<RoutingSpec>,
    /// Distinct DNS resolvers these clients use, for DNS query costs. Default 1000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolvers: Option<u32>,
    /// Share of these clients whose resolvers serve stale answers (RFC 8767) when the authoritative
    /// DNS servers cannot be reached, in [0, 1]: through an outage of the DNS layer they keep the
    /// answer they had. Default 0 (docs/references.md#dns-outages).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serve_stale_share: Option<f64>,
    /// How these clients retry failed attempts. Default: they do not.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<RetrySpec>,
    /// A circuit breaker per target region: after enough failed attempts to a region its clients stop
    /// sending there for a while, failing fast or falling back to another region. Default: none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breaker: Option<super::breaker::BreakerSpec>,
    /// An edge tier in front of the origin (a CDN): edge latency, cacheable share, hit ratio, origin
    /// shield, origin failover group, stale-on-error. Default: none, clients reach the region.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cdn: Option<super::cdn::CdnSpec>,
    /// Data residency: the regions this population's data may be served and stored in, and what its
    /// requests do when none of them can serve (fail, or serve elsewhere and count a violation).
    /// Default: none, its data may be anywhere.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub residency: Option<super::residency::ResidencySpec>,
}

/// How a population's clients pick a region (Route 53 routing policies).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum RoutingSpec {
    /// Active-passive: the first healthy region in `order`.
    Failover {
        /// Region names, most preferred first.
        order: Vec<String>,
    },
    /// Active-active: the nearest healthy region by round trip.
    Latency,
    /// Shares over the healthy regions, renormalised when one is unhealthy.
    Weighted {
        /// Relative weight of each region, by name.
        weights: BTreeMap<String, f64>,
    },
    /// Data residency: the nearest healthy region among `allowed`; when none is healthy the requests fail
    /// rather than leave the set.
    Geolocation {
        /// Names of the regions the population's requests may go to.
        allowed: Vec<String>,
    },
}

/// Health checks and the way traffic follows them.
// Specs are parsed once per file: variant sizes do not matter, readable types do.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum SteeringSpec {
    /// DNS failover (Route 53, docs/references.md#route-53-health-checks): answers change after health checks detect a failure;
    /// clients follow when their cached answer expires, some much later.
    Dns {
        /// Health checks of each region's entry point. Default: Route 53's.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        health_check: Option<HealthCheckSpec>,
        /// Answer TTL \[s\]. Default 60 (docs/references.md#dns-ttl-and-resolvers).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ttl_s: Option<f64>,
        /// From a health status change to the authoritative answer changing \[s\]. Default 5 (docs/references.md#route-53-detection-time).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        propagation_s: Option<f64>,
        /// Clients whose resolvers ignore the TTL. Default: Flavel et al. 2014 (docs/references.md#dns-ttl-and-resolvers).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ttl_violators: Option<TtlViolatorsSpec>,
    },
    /// Anycast (Global Accelerator, docs/references.md#global-accelerator): no DNS caching; traffic shifts within `shift_s` of detection.
    Anycast {
        /// Health checks of each region's entry point. Default: Route 53's.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        health_check: Option<HealthCheckSpec>,
        /// Default 30 (docs/references.md#global-accelerator).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        shift_s: Option<f64>,
    },
}

/// Route 53 health checks (docs/references.md#route-53-health-checks). Every field defaults to Route 53's default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct HealthCheckSpec {
    /// Default 30 (10 is "fast").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval_s: Option<f64>,
    /// Consecutive failures (or successes) that flip one checker. Default 3.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failure_threshold: Option<u32>,
    /// Per-check timeout \[s\] before a check against a dead endpoint fails. Default 4 (HTTP connect).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout_s: Option<f64>,
    /// Independent checkers. Default 15 (about one request every 2 s at a 30 s interval).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkers: Option<u32>,
    /// The endpoint is healthy while more than this fraction of checkers say so. Default 0.18.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub healthy_above_fraction: Option<f64>,
}

/// Clients behind resolvers that keep answers past their TTL.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TtlViolatorsSpec {
    /// Share of clients, in [0, 1].
    pub share: f64,
    /// Staleness beyond the TTL.
    pub extra_staleness: DistributionSpec,
}

/// A data store: a primary region (or several writers) and replicas.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StoreSpec {
    /// Unique name among services and stores; a `request_path` ending with it reads or writes it.
    pub name: String,
    /// Region of the primary (the region whose copy accepts writes).
    pub primary: String,
    /// Regions holding replicas.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub replicas: Vec<String>,
    /// How writes reach the replicas.
    pub replication: ReplicationSpec,
    /// Every region with a copy accepts writes (active-active, e.g. DynamoDB global tables);
    /// conflicting writes inside the lag window are resolved last-writer-wins.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub multi_writer: bool,
    /// From the primary's failure to a replica accepting writes (failure detection included).
    /// Default: Fixed(s: 60), Aurora Global Database's "less than a minute" (docs/references.md#replication-lag).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub promotion: Option<DistributionSpec>,
    /// Who starts the promotion. Default `Automatic`: as soon as the primary's copy fails
    /// (docs/references.md#failover-trigger).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub failover: Option<FailoverSpec>,
    /// Time of one read or write at a copy. Default: Fixed(ms: 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub op_time: Option<DistributionSpec>,
    /// Bytes replicated per write. Default 1000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub write_bytes: Option<u32>,
    /// Where each copy lives among its region's zones, by region name (docs/references.md#zonal-placement).
    /// A region left out keeps the default, `Regional`: zone failures do not reach the copy.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub placement: BTreeMap<String, PlacementSpec>,
    /// Price of a million writes at the primary \[USD\]. Default 0.625 (DynamoDB on-demand WRU, docs/references.md#costs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_usd_per_million_writes: Option<f64>,
    /// Price of a million writes applied at each replica \[USD\]. Default 0.625 (rWRU, docs/references.md#costs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price_usd_per_million_replicated_writes: Option<f64>,
}

/// Where a store's copy lives among its region's availability zones (docs/references.md#zonal-placement).
// Specs are parsed once per file: variant sizes do not matter, readable types do.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum PlacementSpec {
    /// The default: a regional service whose zones are not modelled; only a failure of its region or of
    /// the copy itself takes it down (what every model meant before zonal placement).
    Regional,
    /// Single-AZ: the copy lives in this zone only, and is down while it is.
    Zone(String),
    /// Multi-AZ (RDS-like): the primary in `primary`, a synchronous standby in `standby`. When the
    /// active zone fails and the other is up, the standby takes over after `failover`; no write is lost.
    MultiAz {
        /// The zone of the primary at the start.
        primary: String,
        /// The zone of the synchronous standby; another zone of the same region.
        standby: String,
        /// From the active zone's failure to the standby serving. Default
        /// `Uniform(min_s: 60.0, max_s: 120.0)`, RDS's "typically 60-120 seconds"
        /// (docs/references.md#database-failover-times).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        failover: Option<DistributionSpec>,
    },
    /// Storage spread over several zones with a quorum (Aurora, DynamoDB): up while more than half of
    /// its zones are up, so three zones survive the loss of one.
    Spanning {
        /// The zones it spans, at least three. Default: every zone of the region.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        zones: Option<Vec<String>>,
    },
}

/// How writes reach replicas (docs/references.md#replication-lag).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum ReplicationSpec {
    /// No replication: the primary holds the only copy.
    None,
    /// Periodic backups to the replicas' regions (backup and restore): a write reaches the replicas at
    /// the next backup, every `interval_s` from t = 0.
    Backup {
        /// Time between backups \[s\].
        interval_s: f64,
    },
    /// A write is applied at each replica after a sampled lag.
    Async {
        /// Replication lag of one write to one replica.
        lag: DistributionSpec,
    },
    /// A write waits for every reachable replica's acknowledgement (one round trip to the farthest).
    Sync {
        /// What a write does when a replica is unreachable. Default: `FailWrite`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        on_replica_unreachable: Option<SyncFallback>,
    },
}

/// What a synchronous write does when a replica is unreachable.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum SyncFallback {
    /// The write fails (`store_unavailable`).
    FailWrite,
    /// Accept the write and replicate it asynchronously with this lag once the replica is reachable.
    DegradeToAsync {
        /// Replication lag once the replica is reachable again.
        lag: DistributionSpec,
    },
}

/// Bytes on the wire per request, for transfer and egress costs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct PayloadSpec {
    /// Default 2000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_bytes: Option<u32>,
    /// Default 20000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_bytes: Option<u32>,
}

/// Prices besides instances, each defaulting to the figures of `docs/references.md` (docs/references.md#costs).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct PricesSpec {
    /// Inter-region transfer [USD/GB] from a source region to any other; default from the shipped
    /// table (skyplane, 2022-23: $0.02 from US/EU sources).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub transfer_usd_per_gb: BTreeMap<String, f64>,
    /// Internet egress [USD/GB]. Default 0.09 (first paid tier).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub internet_egress_usd_per_gb: Option<f64>,
    /// DNS queries [USD per million]. Default by routing: 0.40 failover/weighted, 0.60 latency, 0.70 geo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_usd_per_million_queries: Option<f64>,
    /// One health check [USD/month]. Default 0.50, plus 1.00 for the fast 10 s interval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub health_check_usd_per_month: Option<f64>,
    /// What an hour of unavailability costs the business \[USD\]. Default 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub downtime_usd_per_hour: Option<f64>,
}

/// Round-trip times between locations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct NetworkSpec {
    /// A shipped matrix of round-trip times between regions, e.g. `"aws-p50-2025"` (docs/references.md#inter-region-latency).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub builtin: Option<String>,
    /// Round-trip times that add to or override the built-in matrix; symmetric.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub links: Vec<LinkSpec>,
    /// Extra delay added to every network crossing (one way), sampled per crossing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub jitter: Option<DistributionSpec>,
    /// Round-trip time of a call between two services in one region \[ms\]. Default 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hop_rtt_ms: Option<f64>,
    /// How long a client waits for a connection before giving up when nothing healthy answers \[ms\].
    /// Default 3000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connect_timeout_ms: Option<f64>,
    /// How long a client waits for a whole request before giving up \[ms\]; longer than the connect
    /// timeout. Default 30000.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_timeout_ms: Option<f64>,
}

/// A measured round trip between two locations.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinkSpec {
    /// One location (a region code, or a population's location name).
    pub a: String,
    /// The other location.
    pub b: String,
    /// Round-trip time between them \[ms\].
    pub rtt_ms: f64,
}

/// Top-level fields of a model file, to route `--set PATH=VALUE` to the right file.
pub const MODEL_FIELDS: &[&str] = &[
    "name",
    "description",
    "regions",
    "services",
    "request_path",
    "populations",
    "network",
    "stores",
    "routing",
    "steering",
    "payload",
    "prices",
    "dependencies",
];
