//! The resolved architecture: names replaced by indices, defaults applied, units in seconds. Built from a
//! [`ModelSpec`] by [`Model::resolve`], which checks every rule and collects every problem.

use std::collections::{BTreeMap, BTreeSet};

use crate::distribution::Distribution;
use crate::issue::Issues;
use crate::network::Network;
use crate::spec::model::{LoadBalancing, ModelSpec};

pub type RegionId = usize;
pub type ZoneId = usize;
pub type ServiceId = usize;
pub type DeploymentId = usize;
pub type InstanceId = usize;
pub type PopulationId = usize;

#[derive(Debug, Clone)]
pub struct Region {
    pub name: String,
    pub zones: Vec<ZoneId>,
    /// This region's index in [`Network::locations`].
    pub location: usize,
}

#[derive(Debug, Clone)]
pub struct Zone {
    pub name: String,
    pub region: RegionId,
    pub instances: Vec<InstanceId>,
}

#[derive(Debug, Clone)]
pub struct Service {
    pub name: String,
    pub service_time: Distribution,
    pub concurrency: u32,
    pub price_usd_per_hour: f64,
    pub load_balancing: LoadBalancing,
    pub max_queue: Option<u32>,
    /// The deployment in each region, if any (indexed by [`RegionId`]).
    pub deployment_in: Vec<Option<DeploymentId>>,
}

/// One service's instances in one region, behind one load balancer.
#[derive(Debug, Clone)]
pub struct Deployment {
    pub service: ServiceId,
    pub region: RegionId,
    pub instances: Vec<InstanceId>,
}

#[derive(Debug, Clone)]
pub struct Instance {
    /// `service@region#k`, stable across designs so common random numbers can match it.
    pub name: String,
    pub service: ServiceId,
    pub region: RegionId,
    pub zone: ZoneId,
    pub deployment: DeploymentId,
}

#[derive(Debug, Clone)]
pub struct Population {
    pub name: String,
    /// Index in [`Network::locations`].
    pub location: usize,
    pub share: f64,
    /// Where this population's requests go: the nearest region (by round trip) running the first service
    /// of the request path. Routing policies between regions come with the multi-region mechanics.
    pub home_region: RegionId,
}

/// A validated architecture.
#[derive(Debug, Clone)]
pub struct Model {
    pub name: String,
    pub regions: Vec<Region>,
    pub zones: Vec<Zone>,
    pub services: Vec<Service>,
    pub deployments: Vec<Deployment>,
    pub instances: Vec<Instance>,
    pub request_path: Vec<ServiceId>,
    pub populations: Vec<Population>,
    pub network: Network,
    /// `step_region[r][k]`: the region that serves step `k` of the request path for a request that
    /// entered in region `r` (the same region when the service runs there, else the nearest that runs it);
    /// `None` when no region runs that service.
    pub step_region: Vec<Vec<Option<RegionId>>>,
}

impl Model {
    pub fn region(&self, name: &str) -> Option<RegionId> {
        self.regions.iter().position(|r| r.name == name)
    }

    pub fn zone(&self, name: &str) -> Option<ZoneId> {
        self.zones.iter().position(|z| z.name == name)
    }

    pub fn service(&self, name: &str) -> Option<ServiceId> {
        self.services.iter().position(|s| s.name == name)
    }

    pub fn population(&self, name: &str) -> Option<PopulationId> {
        self.populations.iter().position(|p| p.name == name)
    }

    /// Checks a model and resolves it. Every problem is pushed onto `issues`; `None` if there was any.
    pub fn resolve(spec: &ModelSpec, issues: &mut Issues) -> Option<Model> {
        let before = issues.len();
        if spec.name.trim().is_empty() {
            issues.push("name", "must not be empty");
        }
        // Regions and zones.
        if spec.regions.is_empty() {
            issues.push("regions", "a model needs at least one region");
        }
        let mut regions = Vec::new();
        let mut zones: Vec<Zone> = Vec::new();
        let mut seen_regions = BTreeSet::new();
        let mut seen_zones = BTreeSet::new();
        for r in &spec.regions {
            let path = format!("regions[{}]", r.name);
            if !seen_regions.insert(r.name.as_str()) {
                issues.push(&path, format!("region '{}' is defined twice", r.name));
            }
            if r.zones.is_empty() {
                issues.push(format!("{path}.zones"), "a region needs at least one zone");
            }
            let id = regions.len();
            let mut zone_ids = Vec::new();
            for z in &r.zones {
                if !seen_zones.insert(z.as_str()) {
                    issues.push(format!("{path}.zones"), format!("zone '{z}' is defined twice"));
                }
                zone_ids.push(zones.len());
                zones.push(Zone { name: z.clone(), region: id, instances: Vec::new() });
            }
            regions.push(Region { name: r.name.clone(), zones: zone_ids, location: 0 });
        }
        let region_names = || known(spec.regions.iter().map(|r| r.name.as_str()));

        // Services and their deployments.
        let mut services = Vec::new();
        let mut deployments: Vec<Deployment> = Vec::new();
        let mut instances: Vec<Instance> = Vec::new();
        let mut seen_services = BTreeSet::new();
        for s in &spec.services {
            let path = format!("services[{}]", s.name);
            if !seen_services.insert(s.name.as_str()) {
                issues.push(&path, format!("service '{}' is defined twice", s.name));
            }
            let service_time = s.service_time.resolve(&format!("{path}.service_time"), issues);
            if s.concurrency == 0 {
                issues.push(format!("{path}.concurrency"), "must be at least 1 (got 0)");
            }
            if !(s.price_usd_per_hour.is_finite() && s.price_usd_per_hour >= 0.0) {
                issues.push(
                    format!("{path}.price_usd_per_hour"),
                    format!("must be a finite number >= 0 (got {})", s.price_usd_per_hour),
                );
            }
            if s.deployments.is_empty() {
                issues.push(format!("{path}.deployments"), "deploy the service in at least one region");
            }
            let id = services.len();
            let mut deployment_in = vec![None; regions.len()];
            for (region_name, d) in &s.deployments {
                let dpath = format!("{path}.deployments[{region_name}]");
                let Some(region) = spec.regions.iter().position(|r| &r.name == region_name) else {
                    issues.push(&dpath, format!("unknown region '{region_name}'; known: {}", region_names()));
                    continue;
                };
                if d.instances == 0 {
                    issues.push(format!("{dpath}.instances"), "must be at least 1 (got 0)");
                }
                let zone_ids: Vec<ZoneId> = match &d.zones {
                    None => regions[region].zones.clone(),
                    Some(names) => {
                        if names.is_empty() {
                            issues.push(format!("{dpath}.zones"), "list at least one zone, or leave it out");
                        }
                        let mut ids = Vec::new();
                        for z in names {
                            match regions[region].zones.iter().find(|&&zid| &zones[zid].name == z) {
                                Some(&zid) => ids.push(zid),
                                None => issues.push(
                                    format!("{dpath}.zones"),
                                    format!(
                                        "zone '{z}' is not in region '{region_name}'; its zones: {}",
                                        known(
                                            regions[region].zones.iter().map(|&zid| zones[zid].name.as_str())
                                        )
                                    ),
                                ),
                            }
                        }
                        ids
                    }
                };
                if zone_ids.is_empty() {
                    continue;
                }
                let deployment = deployments.len();
                let mut members = Vec::new();
                for k in 0..d.instances as usize {
                    let zone = zone_ids[k % zone_ids.len()];
                    let instance = instances.len();
                    instances.push(Instance {
                        name: format!("{}@{}#{k}", s.name, region_name),
                        service: id,
                        region,
                        zone,
                        deployment,
                    });
                    zones[zone].instances.push(instance);
                    members.push(instance);
                }
                deployments.push(Deployment { service: id, region, instances: members });
                deployment_in[region] = Some(deployment);
            }
            services.push(Service {
                name: s.name.clone(),
                service_time: service_time.unwrap_or(Distribution::fixed(0.0)),
                concurrency: s.concurrency,
                price_usd_per_hour: s.price_usd_per_hour,
                load_balancing: s.load_balancing.unwrap_or(LoadBalancing::LeastOutstanding),
                max_queue: s.max_queue,
                deployment_in,
            });
        }
        let service_names = || known(spec.services.iter().map(|s| s.name.as_str()));

        // The request path.
        if spec.request_path.is_empty() {
            issues.push("request_path", format!("name at least one service; known: {}", service_names()));
        }
        let mut request_path = Vec::new();
        for name in &spec.request_path {
            match spec.services.iter().position(|s| &s.name == name) {
                Some(id) => request_path.push(id),
                None => issues
                    .push("request_path", format!("unknown service '{name}'; known: {}", service_names())),
            }
        }

        // Populations and the network.
        if spec.populations.is_empty() {
            issues.push("populations", "a model needs at least one client population");
        }
        let mut seen_populations = BTreeSet::new();
        let mut share_sum = 0.0;
        for p in &spec.populations {
            let path = format!("populations[{}]", p.name);
            if !seen_populations.insert(p.name.as_str()) {
                issues.push(&path, format!("population '{}' is defined twice", p.name));
            }
            if !(0.0..=1.0).contains(&p.share) {
                issues.push(format!("{path}.share"), format!("must be in [0, 1] (got {})", p.share));
            }
            share_sum += p.share;
        }
        if !spec.populations.is_empty() && (share_sum - 1.0).abs() > 1e-6 {
            issues.push("populations", format!("shares must add up to 1 (they add up to {share_sum})"));
        }
        let mut locations: Vec<String> = spec.regions.iter().map(|r| r.name.clone()).collect();
        for p in &spec.populations {
            if !locations.contains(&p.location) {
                locations.push(p.location.clone());
            }
        }
        let network = Network::resolve(&spec.network, locations, issues);

        if issues.len() > before {
            return None;
        }
        let network = network?;
        for r in &mut regions {
            r.location = network.location(&r.name)?;
        }
        // Each region's nearest region running each step's service (itself first).
        let step_region: Vec<Vec<Option<RegionId>>> = (0..regions.len())
            .map(|from| {
                request_path
                    .iter()
                    .map(|&s| {
                        nearest(&regions, &network, regions[from].location, |r| {
                            services[s].deployment_in[r].is_some()
                        })
                    })
                    .collect()
            })
            .collect();
        let mut populations = Vec::new();
        for p in &spec.populations {
            let location = network.location(&p.location)?;
            let first = request_path[0];
            let home = nearest(&regions, &network, location, |r| services[first].deployment_in[r].is_some())?;
            populations.push(Population {
                name: p.name.clone(),
                location,
                share: p.share,
                home_region: home,
            });
        }
        Some(Model {
            name: spec.name.clone(),
            regions,
            zones,
            services,
            deployments,
            instances,
            request_path,
            populations,
            network,
            step_region,
        })
    }

    /// Offered load per deployment [busy servers] when each population sends `rates_per_s[p]` requests/s
    /// along the request path with every component up.
    pub fn offered_load(&self, rates_per_s: &[f64]) -> BTreeMap<DeploymentId, f64> {
        let mut load = BTreeMap::new();
        for (p, pop) in self.populations.iter().enumerate() {
            for (k, &s) in self.request_path.iter().enumerate() {
                if let Some(r) = self.step_region[pop.home_region][k]
                    && let Some(d) = self.services[s].deployment_in[r]
                {
                    *load.entry(d).or_insert(0.0) += rates_per_s[p] * self.services[s].service_time.mean_s();
                }
            }
        }
        load
    }
}

/// The region nearest to `location` (by round trip, ties by region order) that satisfies `keep`.
fn nearest(
    regions: &[Region],
    network: &Network,
    location: usize,
    keep: impl Fn(RegionId) -> bool,
) -> Option<RegionId> {
    (0..regions.len()).filter(|&r| keep(r)).min_by(|&a, &b| {
        let (ra, rb) =
            (network.rtt_s(location, regions[a].location), network.rtt_s(location, regions[b].location));
        ra.total_cmp(&rb).then(a.cmp(&b))
    })
}

/// A comma-separated list of names for "known: ..." hints.
pub(crate) fn known<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let names: Vec<&str> = names.collect();
    if names.is_empty() { "(none)".to_string() } else { names.join(", ") }
}
