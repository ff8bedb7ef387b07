//! [`Model::resolve`]: every rule of a model spec checked, every problem collected, names replaced by
//! indices and defaults applied.

use std::collections::BTreeSet;

use super::deployment::{resolve_standby, resolve_target_health_check};
use super::{
    Balancing, Deployment, Instance, MAX_INSTANCES, MAX_INSTANCES_PER_DEPLOYMENT, MAX_POPULATIONS, Model,
    Population, Region, RegionId, Service, Zone, ZoneId,
};
use crate::input::issue::{Issues, did_you_mean, known};
use crate::input::spec::model::{LoadBalancing, ModelSpec, StandbySpec};
use crate::model::distribution::Distribution;
use crate::model::network::Network;
use crate::model::prices::Prices;
use crate::model::queueing::Discipline;
use crate::model::routing::{Routing, Steering};
use crate::model::store::Store;

impl Model {
    /// Checks a model and resolves it. Every problem is pushed onto `issues`; `None` if there was any.
    pub fn resolve(spec: &ModelSpec, issues: &mut Issues) -> Option<Model> {
        // The engine must not depend on the order in which a file lists things (a test reorders them
        // and expects the same statistics): it runs on a copy with every list that carries no meaning
        // in its order sorted by name. Reports list populations and regions in the file's order.
        let population_order = display_order(spec.populations.iter().map(|p| p.name.as_str()));
        let region_order = display_order(spec.regions.iter().map(|r| r.name.as_str()));
        let spec = &canonical(spec);
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
            if let Err(message) = crate::model::prices::check_price(s.price_usd_per_hour) {
                issues.push(format!("{path}.price_usd_per_hour"), message);
            }
            if s.deployments.is_empty() {
                issues.push(format!("{path}.deployments"), "deploy the service in at least one region");
            }
            let id = services.len();
            let mut deployment_in = vec![None; regions.len()];
            for (region_name, d) in &s.deployments {
                let dpath = format!("{path}.deployments[{region_name}]");
                let Some(region) = spec.regions.iter().position(|r| &r.name == region_name) else {
                    issues.push(
                        &dpath,
                        format!(
                            "unknown region '{region_name}'; known: {}{}",
                            region_names(),
                            did_you_mean(region_name, spec.regions.iter().map(|r| r.name.as_str()))
                        ),
                    );
                    continue;
                };
                let autoscaling = d.autoscaling.as_ref().and_then(|a| {
                    let apath = format!("{dpath}.autoscaling");
                    crate::model::autoscaling::Autoscaling::resolve(
                        a,
                        d.instances,
                        MAX_INSTANCES_PER_DEPLOYMENT,
                        &apath,
                        issues,
                    )
                });
                // With autoscaling, every instance it may ever run is simulated (those not running wait).
                let pool = autoscaling.as_ref().map_or(d.instances, |a| a.pool().max(d.instances));
                if d.instances == 0 {
                    issues.push(format!("{dpath}.instances"), "must be at least 1 (got 0)");
                } else if d.instances > MAX_INSTANCES_PER_DEPLOYMENT {
                    issues.push(
                        format!("{dpath}.instances"),
                        format!("must be at most {MAX_INSTANCES_PER_DEPLOYMENT} (got {})", d.instances),
                    );
                    continue;
                } else if instances.len() + pool as usize > MAX_INSTANCES {
                    issues.push(
                        format!("{dpath}.instances"),
                        format!("the model would have more than {MAX_INSTANCES} instances in all"),
                    );
                    continue;
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
                for k in 0..pool as usize {
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
                let standby = resolve_standby(d.standby.as_ref(), d.instances, &dpath, issues);
                let failover = crate::model::failover::Trigger::resolve(
                    d.standby.as_ref().and_then(StandbySpec::failover),
                    &format!("{dpath}.standby.failover"),
                    issues,
                );
                deployments.push(Deployment {
                    service: id,
                    region,
                    instances: members,
                    fleet: d.instances,
                    standby,
                    failover,
                    autoscaling,
                });
                deployment_in[region] = Some(deployment);
            }
            let mean_service_s = service_time.as_ref().map_or(0.0, Distribution::mean_s);
            let uses = crate::model::dependency::resolve_uses(
                &s.depends_on,
                &spec.dependencies,
                &format!("{path}.depends_on"),
                issues,
            );
            services.push(Service {
                name: s.name.clone(),
                service_time: service_time.unwrap_or(Distribution::fixed(0.0)),
                concurrency: s.concurrency,
                price_usd_per_hour: s.price_usd_per_hour,
                balancing: match s.load_balancing.unwrap_or(LoadBalancing::LeastOutstanding) {
                    LoadBalancing::RoundRobin => Balancing::RoundRobin,
                    LoadBalancing::LeastOutstanding => Balancing::LeastOutstanding,
                    LoadBalancing::Random => Balancing::Random,
                },
                max_queue: s.max_queue,
                discipline: Discipline::resolve(
                    s.queue_discipline.as_ref(),
                    &format!("{path}.queue_discipline"),
                    issues,
                ),
                mean_service_s,
                health_check: s.target_health_check.as_ref().and_then(|h| {
                    resolve_target_health_check(h, &format!("{path}.target_health_check"), issues)
                }),
                outlier: s.outlier_detection.as_ref().and_then(|o| {
                    crate::model::outlier::OutlierPolicy::resolve(
                        o,
                        &format!("{path}.outlier_detection"),
                        issues,
                    )
                }),
                deployment_in,
                depends_on: uses.per_request,
                launch_needs: uses.at_launch,
                control_plane_needs: uses.control_plane,
                retry: s.retry.as_ref().and_then(|r| {
                    crate::model::retry::RetryPolicy::resolve_hop(r, &format!("{path}.retry"), issues)
                }),
            });
        }
        let dependencies = crate::model::dependency::resolve(&spec.dependencies, &regions, issues);

        // Stores.
        let mut stores = Vec::new();
        let mut store_copies = Vec::new();
        let mut seen_stores = BTreeSet::new();
        for st in &spec.stores {
            if !seen_stores.insert(st.name.as_str()) || spec.services.iter().any(|s| s.name == st.name) {
                issues
                    .push(format!("stores[{}]", st.name), format!("the name '{}' is already used", st.name));
            }
            if let Some(store) = Store::resolve(st, store_copies.len(), &regions, &zones, issues) {
                store_copies.extend(store.copies.iter().map(|&r| (stores.len(), r)));
                stores.push(store);
            }
        }

        // The request path: services in order, then optionally one store.
        let names = || {
            known(
                spec.services
                    .iter()
                    .map(|s| s.name.as_str())
                    .chain(spec.stores.iter().map(|s| s.name.as_str())),
            )
        };
        if spec.request_path.is_empty() {
            issues.push("request_path", format!("name at least one service; known: {}", names()));
        }
        let mut request_path = Vec::new();
        let mut path_store = None;
        for (k, name) in spec.request_path.iter().enumerate() {
            if spec.request_path[..k].contains(name) {
                issues.push(
                    "request_path",
                    format!(
                        "'{name}' is listed twice: a request path is a sequence of distinct services (a cycle \
                         would call them without end)"
                    ),
                );
                continue;
            }
            if let Some(id) = spec.services.iter().position(|s| &s.name == name) {
                request_path.push(id);
            } else if let Some(id) = spec.stores.iter().position(|s| &s.name == name) {
                if k + 1 != spec.request_path.len() || k == 0 {
                    issues.push(
                        "request_path",
                        format!("the store '{name}' must come last, after at least one service"),
                    );
                }
                path_store = Some(id);
            } else {
                let candidates = spec
                    .services
                    .iter()
                    .map(|s| s.name.as_str())
                    .chain(spec.stores.iter().map(|s| s.name.as_str()));
                issues.push(
                    "request_path",
                    format!(
                        "unknown service or store '{name}'; known: {}{}",
                        names(),
                        did_you_mean(name, candidates)
                    ),
                );
            }
        }

        // Per-hop retries need a next hop, and a place in the request's packed attempt counters.
        for (k, &id) in request_path.iter().enumerate() {
            if services[id].retry.is_none() {
                continue;
            }
            let path = format!("services[{}].retry", services[id].name);
            if k + 1 == request_path.len() && path_store.is_none() {
                issues.push(
                    &path,
                    "the last service of the request path calls no next hop (no store follows it): nothing \
                     to retry",
                );
            } else if k >= crate::model::retry::MAX_RETRYING_HOPS {
                issues.push(
                    &path,
                    format!(
                        "a service at place {} of the request path may not retry: per-hop retries are kept \
                         for the first {} services",
                        k + 1,
                        crate::model::retry::MAX_RETRYING_HOPS
                    ),
                );
            }
        }

        // Populations and the network.
        if spec.populations.is_empty() {
            issues.push("populations", "a model needs at least one client population");
        } else if spec.populations.len() > MAX_POPULATIONS {
            issues.push(
                "populations",
                format!("at most {MAX_POPULATIONS} client populations (got {})", spec.populations.len()),
            );
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
        let elsewhere = crate::model::network::known_locations(&spec.network);
        for p in &spec.populations {
            // A location that is no region and that the network does not know is most likely a typo: say
            // so at the population, with the closest name, rather than as a missing round trip.
            if !locations.contains(&p.location) && !elsewhere.contains(&p.location) {
                let hint = did_you_mean(
                    &p.location,
                    spec.regions.iter().map(|r| r.name.as_str()).chain(elsewhere.iter().map(String::as_str)),
                );
                if !hint.is_empty() {
                    issues.push(
                        format!("populations[{}].location", p.name),
                        format!(
                            "'{}' is neither a region of the model nor a location the network knows{hint}",
                            p.location
                        ),
                    );
                    continue;
                }
            }
            if !locations.contains(&p.location) {
                locations.push(p.location.clone());
            }
        }
        let network = Network::resolve(&spec.network, locations, issues);
        let default_routing = match &spec.routing {
            Some(r) => Routing::resolve(r, "routing", &regions, issues),
            None => Some(Routing::Latency),
        };
        let mut routings = Vec::new();
        for p in &spec.populations {
            routings.push(match &p.routing {
                Some(r) => Routing::resolve(r, &format!("populations[{}].routing", p.name), &regions, issues),
                None => default_routing.clone(),
            });
        }
        let steering = Steering::resolve(spec.steering.as_ref(), issues);
        let fast_checks = steering.as_ref().is_some_and(|s| s.health.interval_s < 30.0);
        let prices = Prices::resolve(spec.prices.as_ref(), &regions, fast_checks, issues);
        let payload = spec.payload.clone().unwrap_or_default();

        if issues.len() > before {
            return None;
        }
        let steering = steering?;
        let network = network?;
        for r in &mut regions {
            r.location = network.location(&r.name)?;
        }
        // Each region's nearest region running each step's service (itself first).
        let step_region: Vec<Vec<Option<RegionId>>> = (0..regions.len())
            .map(|from| {
                request_path
                    .iter()
                    .map(|&s| nearest(&regions, &network, from, |r| services[s].deployment_in[r].is_some()))
                    .collect()
            })
            .collect();
        let entry_regions: Vec<bool> =
            (0..regions.len()).map(|r| services[request_path[0]].deployment_in[r].is_some()).collect();
        // Before anything fails, health checks pass where the entry service runs instances.
        let initially_healthy: Vec<bool> = (0..regions.len())
            .map(|r| {
                services[request_path[0]].deployment_in[r].is_some_and(|d| {
                    let dep = &deployments[d];
                    dep.standby.initially_running(dep.fleet) > 0
                })
            })
            .collect();
        let mut populations = Vec::new();
        for (p, routing) in spec.populations.iter().zip(routings) {
            let routing = routing?;
            let location = network.location(&p.location)?;
            if routing.candidates(&entry_regions).is_empty() {
                issues.push(
                    format!("populations[{}].routing", p.name),
                    format!(
                        "none of its regions runs '{}', the first service of the path",
                        services[request_path[0]].name
                    ),
                );
                continue;
            }
            let residency = p.residency.as_ref().and_then(|spec| {
                let path = format!("populations[{}].residency", p.name);
                let residency = crate::model::residency::Residency::resolve(spec, &regions, &path, issues)?;
                let entry = &services[request_path[0]].name;
                let store = path_store.map(|s| &stores[s]);
                residency.check_reachable(&routing, &entry_regions, entry, store, &regions, &path, issues);
                Some(residency)
            });
            let initial_answer =
                routing.answer(location, &entry_regions, &initially_healthy, &regions, &network);
            populations.push(Population {
                name: p.name.clone(),
                location,
                share: p.share,
                routing,
                initial_answer,
                resolvers: p.resolvers.unwrap_or(1000),
                serve_stale_share: match p.serve_stale_share {
                    Some(v) if !(0.0..=1.0).contains(&v) => {
                        let path = format!("populations[{}].serve_stale_share", p.name);
                        issues.push(path, format!("must be in [0, 1] (got {v})"));
                        0.0
                    }
                    // RFC 8767 is optional and no published measurement gives the share of clients
                    // behind resolvers that use it (docs/references.md#dns-outages).
                    v => v.unwrap_or(0.0),
                },
                retry: p.retry.as_ref().and_then(|r| {
                    let path = format!("populations[{}].retry", p.name);
                    crate::model::retry::RetryPolicy::resolve(r, network.request_timeout_s, &path, issues)
                }),
                breaker: p.breaker.as_ref().and_then(|b| {
                    let path = format!("populations[{}].breaker", p.name);
                    crate::model::breaker::BreakerPolicy::resolve(b, &path, issues)
                }),
                cdn: p.cdn.as_ref().and_then(|c| {
                    let path = format!("populations[{}].cdn", p.name);
                    crate::model::cdn::Cdn::resolve(c, &regions, &path, issues)
                }),
                residency,
            });
        }
        if issues.len() > before {
            return None;
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
            stores,
            store_copies,
            path_store,
            steering,
            entry_regions,
            request_bytes: payload.request_bytes.unwrap_or(2000),
            response_bytes: payload.response_bytes.unwrap_or(20000),
            prices,
            population_order,
            region_order,
            dependencies,
        })
    }
}

/// The region that serves a call from region `from` among those that satisfy `keep`: `from` itself when
/// it qualifies (a call prefers its own region at any cost, and always at equal cost), else the nearest
/// by round trip, ties broken by name.
fn nearest(
    regions: &[Region],
    network: &Network,
    from: RegionId,
    keep: impl Fn(RegionId) -> bool,
) -> Option<RegionId> {
    if keep(from) {
        return Some(from);
    }
    let location = regions[from].location;
    (0..regions.len()).filter(|&r| keep(r)).min_by(|&a, &b| {
        let (ra, rb) =
            (network.rtt_s(location, regions[a].location), network.rtt_s(location, regions[b].location));
        ra.total_cmp(&rb).then_with(|| regions[a].name.cmp(&regions[b].name))
    })
}

/// Indices `0..n` in the order of `names` as written, given that the resolved lists are sorted by name.
fn display_order<'a>(names: impl Iterator<Item = &'a str>) -> Vec<usize> {
    let written: Vec<&str> = names.collect();
    let mut sorted = written.clone();
    sorted.sort_unstable();
    sorted.dedup();
    written.iter().filter_map(|n| sorted.binary_search(n).ok()).fold(Vec::new(), |mut v, i| {
        if !v.contains(&i) {
            v.push(i);
        }
        v
    })
}

/// A copy of `spec` with every list whose order means nothing sorted by name: regions, their zones,
/// services, a deployment's zones, stores and their replicas, populations. (The request path, a
/// failover order and a geolocation's allowed regions keep theirs: their order is their meaning.)
fn canonical(spec: &ModelSpec) -> ModelSpec {
    let mut c = spec.clone();
    c.regions.sort_by(|a, b| a.name.cmp(&b.name));
    for r in &mut c.regions {
        r.zones.sort();
    }
    c.services.sort_by(|a, b| a.name.cmp(&b.name));
    for s in &mut c.services {
        for d in s.deployments.values_mut() {
            if let Some(z) = &mut d.zones {
                z.sort();
            }
        }
    }
    c.stores.sort_by(|a, b| a.name.cmp(&b.name));
    for st in &mut c.stores {
        st.replicas.sort();
        for p in st.placement.values_mut() {
            if let crate::input::spec::model::PlacementSpec::Spanning { zones: Some(z) } = p {
                z.sort();
            }
        }
    }
    c.populations.sort_by(|a, b| a.name.cmp(&b.name));
    c.dependencies.sort_by(|a, b| a.name.cmp(&b.name));
    c
}
