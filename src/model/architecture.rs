//! The resolved architecture: names replaced by indices, defaults applied, units in seconds. Built from a
//! [`ModelSpec`](crate::input::spec::ModelSpec) by [`Model::resolve`], which checks every rule and collects every problem.

use std::collections::BTreeMap;

use crate::model::distribution::Distribution;
use crate::model::network::Network;
use crate::model::prices::Prices;
use crate::model::queueing::Discipline;
use crate::model::routing::{Answer, Routing, Steering};
use crate::model::store::{Store, StoreId};

pub use super::ids::{DeploymentId, InstanceId, PopulationId, RegionId, ServiceId, ZoneId};
pub use super::region::{Region, Zone};
pub use deployment::{Balancing, Deployment, Instance, Standby, TargetHealthCheck};

mod deployment;
mod resolve;

/// Most instances one deployment may have.
pub const MAX_INSTANCES_PER_DEPLOYMENT: u32 = 10_000;
/// Most instances a model may have in all: each is simulated (and can fail) on its own.
pub const MAX_INSTANCES: usize = 100_000;
/// Most client populations a model may have: each keeps its own statistics in every replication.
pub const MAX_POPULATIONS: usize = 100;

/// A stateless tier: identical instances behind a load balancer in each region it is deployed in.
#[derive(Debug, Clone)]
pub struct Service {
    /// The service's name (unique among services and stores).
    pub name: String,
    /// Time one server spends on one request \[s\].
    pub service_time: Distribution,
    /// Requests one instance serves at once; more wait in its FIFO queue.
    pub concurrency: u32,
    /// Price of one instance [USD/h].
    pub price_usd_per_hour: f64,
    /// How each deployment's load balancer picks an instance.
    pub balancing: Balancing,
    /// Queue capacity of one instance, beyond which a request is shed (`queue_full`); `None`: unbounded (up
    /// to the scenario's queue budget).
    pub max_queue: Option<u32>,
    /// Whom each instance's queue serves next and whom it sheds.
    pub discipline: Discipline,
    /// The mean of `service_time` \[s\]: what deadline-aware shedding predicts a service takes.
    pub mean_service_s: f64,
    /// The balancers' health checks of their instances; `None`: the balancer knows at once.
    pub health_check: Option<TargetHealthCheck>,
    /// The balancers' passive outlier detection; `None`: they eject nothing.
    pub outlier: Option<crate::model::outlier::OutlierPolicy>,
    /// The deployment in each region, if any (indexed by [`RegionId`]).
    pub deployment_in: Vec<Option<DeploymentId>>,
    /// The dependencies its instances need per request, sorted (indices into `Model::dependencies`):
    /// those of its `depends_on` used `PerRequest`.
    pub depends_on: Vec<crate::model::dependency::DependencyId>,
    /// The dependencies an instance of it needs to launch (used `AtLaunch`), sorted.
    pub launch_needs: Vec<crate::model::dependency::DependencyId>,
    /// The dependencies its control plane needs to scale it or activate its standby (used
    /// `ControlPlane`), sorted.
    pub control_plane_needs: Vec<crate::model::dependency::DependencyId>,
    /// How it retries its calls to the next hop of the request path; `None`: it does not.
    pub retry: Option<crate::model::retry::RetryPolicy>,
}

/// A group of clients in one place, sending a share of the scenario's traffic.
#[derive(Debug, Clone)]
pub struct Population {
    /// The population's name.
    pub name: String,
    /// Index in [`Network::locations`].
    pub location: usize,
    /// Share of the scenario's total request rate, in [0, 1].
    pub share: f64,
    /// How its clients pick a region.
    pub routing: Routing,
    /// The answer with every region healthy: where this population's traffic goes when nothing fails.
    pub initial_answer: Answer,
    /// Distinct DNS resolvers, for query costs.
    pub resolvers: u32,
    /// Share of its clients whose resolvers serve stale answers (RFC 8767) while the authoritative DNS
    /// servers cannot be reached, in [0, 1] (docs/architecture.md#dns-layer).
    pub serve_stale_share: f64,
    /// How its clients retry; `None`: they do not.
    pub retry: Option<crate::model::retry::RetryPolicy>,
    /// Its clients' circuit breaker, one per target region; `None`: they have none.
    pub breaker: Option<crate::model::breaker::BreakerPolicy>,
    /// The CDN in front of its origin; `None`: its clients reach the region.
    pub cdn: Option<crate::model::cdn::Cdn>,
    /// The regions its data may be in and what its requests do outside them
    /// (docs/architecture.md#residency); `None`: anywhere.
    pub residency: Option<crate::model::residency::Residency>,
}

/// A validated architecture.
#[derive(Debug, Clone)]
pub struct Model {
    /// Short name, used in output folder names.
    pub name: String,
    /// The regions, sorted by name.
    pub regions: Vec<Region>,
    /// Every availability zone of every region.
    pub zones: Vec<Zone>,
    /// The services, sorted by name.
    pub services: Vec<Service>,
    /// Every deployment of every service.
    pub deployments: Vec<Deployment>,
    /// Every instance of every deployment.
    pub instances: Vec<Instance>,
    /// The services a request calls, in order.
    pub request_path: Vec<ServiceId>,
    /// The client populations, sorted by name.
    pub populations: Vec<Population>,
    /// Round-trip times between locations, jitter and client timeouts.
    pub network: Network,
    /// `step_region[r][k]`: the region that serves step `k` of the request path for a request that
    /// entered in region `r` (the same region when the service runs there, else the nearest that runs it);
    /// `None` when no region runs that service.
    pub step_region: Vec<Vec<Option<RegionId>>>,
    /// The data stores, sorted by name.
    pub stores: Vec<Store>,
    /// Every copy of every store, `(store, region)`: the components a store failure takes down.
    pub store_copies: Vec<(StoreId, RegionId)>,
    /// The store a request reads or writes after its services, if the path ends with one.
    pub path_store: Option<StoreId>,
    /// How routing learns of failures (health checks) and how clients follow (DNS or anycast).
    pub steering: Steering,
    /// Regions that run the first service of the path (where routing may send clients).
    pub entry_regions: Vec<bool>,
    /// Bytes of one request on the wire, for transfer costs.
    pub request_bytes: u32,
    /// Bytes of one response on the wire, for transfer and egress costs.
    pub response_bytes: u32,
    /// Prices other than instances', resolved with their defaults.
    pub prices: Prices,
    /// Populations (by id) in the order the file lists them, for reports.
    pub population_order: Vec<PopulationId>,
    /// Regions (by id) in the order the file lists them, for reports.
    pub region_order: Vec<RegionId>,
    /// Shared or managed services called per request through a cache, sorted by name.
    pub dependencies: Vec<crate::model::dependency::Dependency>,
}

impl Model {
    /// The names of the dependencies no service lists in `depends_on`: legal, and surely unintended (a
    /// run warns).
    pub fn unused_dependencies(&self) -> Vec<&str> {
        (0..self.dependencies.len())
            .filter(|k| {
                !self.services.iter().any(|s| {
                    s.depends_on.contains(k)
                        || s.launch_needs.contains(k)
                        || s.control_plane_needs.contains(k)
                })
            })
            .map(|k| self.dependencies[k].name.as_str())
            .collect()
    }

    /// The region named `name`.
    pub fn region(&self, name: &str) -> Option<RegionId> {
        self.regions.iter().position(|r| r.name == name)
    }

    /// The zone named `name`.
    pub fn zone(&self, name: &str) -> Option<ZoneId> {
        self.zones.iter().position(|z| z.name == name)
    }

    /// The service named `name`.
    pub fn service(&self, name: &str) -> Option<ServiceId> {
        self.services.iter().position(|s| s.name == name)
    }

    /// The population named `name`.
    pub fn population(&self, name: &str) -> Option<PopulationId> {
        self.populations.iter().position(|p| p.name == name)
    }

    /// Offered load per deployment [busy servers] when each population sends `rates_per_s[p]` requests/s
    /// along the request path with every component up.
    pub fn offered_load(&self, rates_per_s: &[f64]) -> BTreeMap<DeploymentId, f64> {
        let mut load = BTreeMap::new();
        for (p, pop) in self.populations.iter().enumerate() {
            let mut previous = 0.0;
            for &(entry, cumulative) in &pop.initial_answer.choices {
                let rate = rates_per_s[p] * (cumulative - previous);
                previous = cumulative;
                for (k, &s) in self.request_path.iter().enumerate() {
                    if let Some(r) = self.step_region[entry][k]
                        && let Some(d) = self.services[s].deployment_in[r]
                    {
                        *load.entry(d).or_insert(0.0) += rate * self.services[s].service_time.mean_s();
                    }
                }
            }
        }
        load
    }
}
