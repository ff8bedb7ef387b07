//! The components a scenario names: a failure process's kind and `only` list, and an outage's target,
//! resolved against the model, with a located message for a name it does not have.

use super::{Component, DependencyCopy};
use crate::input::issue::{Issues, did_you_mean, known};
use crate::input::spec::scenario::{ComponentKind, OutageTarget};
use crate::model::architecture::Model;
use crate::model::dependency::Scope;
use crate::model::routing::Follow;

/// The components of `kind` a failure process covers (`only` names them; empty: all), or `None` with
/// each unknown name pushed at `path`.
pub(super) fn select(
    model: &Model,
    kind: ComponentKind,
    only: &[String],
    path: &str,
    issues: &mut Issues,
) -> Option<Vec<Component>> {
    let mut out = Vec::new();
    let mut ok = true;
    match kind {
        ComponentKind::Instance => {
            for (i, inst) in model.instances.iter().enumerate() {
                if only.is_empty() || only.iter().any(|s| *s == model.services[inst.service].name) {
                    out.push(Component::Instance(i as u32));
                }
            }
            for s in only {
                if model.service(s).is_none() {
                    issues.push(
                        path,
                        format!(
                            "unknown service '{s}'; known: {}{}",
                            known(model.services.iter().map(|s| s.name.as_str())),
                            did_you_mean(s, model.services.iter().map(|s| s.name.as_str()))
                        ),
                    );
                    ok = false;
                }
            }
        }
        ComponentKind::Zone => {
            for (z, zone) in model.zones.iter().enumerate() {
                if only.is_empty() || only.contains(&zone.name) {
                    out.push(Component::Zone(z as u32));
                }
            }
            for z in only {
                if model.zone(z).is_none() {
                    issues.push(
                        path,
                        format!(
                            "unknown zone '{z}'; known: {}{}",
                            known(model.zones.iter().map(|z| z.name.as_str())),
                            did_you_mean(z, model.zones.iter().map(|z| z.name.as_str()))
                        ),
                    );
                    ok = false;
                }
            }
        }
        ComponentKind::Store => {
            for (c, (store, _)) in model.store_copies.iter().enumerate() {
                if only.is_empty() || only.contains(&model.stores[*store].name) {
                    out.push(Component::Store(c as u32));
                }
            }
            for s in only {
                if !model.stores.iter().any(|x| &x.name == s) {
                    issues.push(
                        path,
                        format!(
                            "unknown store '{s}'; known: {}",
                            known(model.stores.iter().map(|s| s.name.as_str()))
                        ),
                    );
                    ok = false;
                }
            }
        }
        ComponentKind::Link => {
            let n = model.regions.len();
            for a in 0..n {
                for b in a + 1..n {
                    let name = format!("{}/{}", model.regions[a].name, model.regions[b].name);
                    let reverse = format!("{}/{}", model.regions[b].name, model.regions[a].name);
                    if only.is_empty() || only.contains(&name) || only.contains(&reverse) {
                        out.push(Component::link(a, b));
                    }
                }
            }
            for l in only {
                let known_pair = l
                    .split_once('/')
                    .is_some_and(|(a, b)| a != b && model.region(a).is_some() && model.region(b).is_some());
                if !known_pair {
                    issues.push(
                        path,
                        format!(
                            "'{l}' is not a pair of regions written \"a/b\"; regions: {}",
                            known(model.regions.iter().map(|r| r.name.as_str()))
                        ),
                    );
                    ok = false;
                }
            }
        }
        ComponentKind::Cdn => {
            for (p, pop) in model.populations.iter().enumerate() {
                if pop.cdn.is_some() && (only.is_empty() || only.contains(&pop.name)) {
                    out.push(Component::Cdn(p as u32));
                }
            }
            for name in only {
                if let Err(message) = cdn(model, name) {
                    issues.push(path, message);
                    ok = false;
                }
            }
        }
        ComponentKind::Dns => {
            if !only.is_empty() {
                issues.push(
                    path,
                    "the model has one DNS layer (the authoritative servers of its steering): leave `only` out",
                );
                ok = false;
            }
            match dns(model) {
                Ok(c) => out.push(c),
                Err(message) => {
                    issues.push(path.trim_end_matches(".only").to_string() + ".kind", message);
                    ok = false;
                }
            }
        }
        ComponentKind::ControlPlane | ComponentKind::Region => {
            for (r, region) in model.regions.iter().enumerate() {
                if only.is_empty() || only.contains(&region.name) {
                    out.push(if kind == ComponentKind::Region {
                        Component::Region(r as u32)
                    } else {
                        Component::ControlPlane(r as u32)
                    });
                }
            }
            for r in only {
                if model.region(r).is_none() {
                    issues.push(
                        path,
                        format!(
                            "unknown region '{r}'; known: {}{}",
                            known(model.regions.iter().map(|r| r.name.as_str())),
                            did_you_mean(r, model.regions.iter().map(|r| r.name.as_str()))
                        ),
                    );
                    ok = false;
                }
            }
        }
    }
    ok.then_some(out)
}

/// A region by name.
pub(super) fn region(model: &Model, name: &str) -> Result<usize, String> {
    model.region(name).ok_or_else(|| {
        let names = || model.regions.iter().map(|r| r.name.as_str());
        format!("unknown region '{name}'; known: {}{}", known(names()), did_you_mean(name, names()))
    })
}

/// The link between two regions named.
pub(super) fn link(model: &Model, a: &str, b: &str) -> Result<Component, String> {
    let (ra, rb) = (region(model, a)?, region(model, b)?);
    if ra == rb {
        return Err(format!("a link joins two different regions (got '{a}' twice)"));
    }
    Ok(Component::link(ra, rb))
}

/// A store's copy in a region, by names.
pub(super) fn store_copy(model: &Model, store: &str, region_name: &str) -> Result<Component, String> {
    let s = model.stores.iter().position(|s| s.name == store).ok_or_else(|| {
        format!("unknown store '{store}'; known: {}", known(model.stores.iter().map(|s| s.name.as_str())))
    })?;
    let r = region(model, region_name)?;
    model
        .store_copies
        .iter()
        .position(|&(x, y)| x == s && y == r)
        .map(|c| Component::Store(c as u32))
        .ok_or_else(|| format!("store '{store}' has no copy in '{region_name}'"))
}

/// A dependency's copy in a region: a `Global` dependency has one, in its home; a `Regional` one, one in
/// every region.
pub(super) fn dependency_copy(
    model: &Model,
    dependency: &str,
    region_name: &str,
) -> Result<Component, String> {
    let names = || model.dependencies.iter().map(|d| d.name.as_str());
    let d = model.dependencies.iter().position(|d| d.name == dependency).ok_or_else(|| {
        format!(
            "unknown dependency '{dependency}'; known (the model's dependencies): {}{}",
            known(names()),
            did_you_mean(dependency, names())
        )
    })?;
    let r = region(model, region_name)?;
    if let Scope::Global { home } = model.dependencies[d].scope
        && home != r
    {
        return Err(format!(
            "dependency '{dependency}' is global, with its only copy in '{}', not '{region_name}'",
            model.regions[home].name
        ));
    }
    Ok(Component::Dependency(DependencyCopy { dependency: d as u32, region: r as u32 }))
}

/// Instance `index` of a service's deployment in a region.
pub(super) fn instance(model: &Model, service: &str, region: &str, index: u32) -> Result<Component, String> {
    let s = model.service(service).ok_or_else(|| {
        format!(
            "unknown service '{service}'; known: {}",
            known(model.services.iter().map(|s| s.name.as_str()))
        )
    })?;
    let r = model.region(region).ok_or_else(|| {
        format!("unknown region '{region}'; known: {}", known(model.regions.iter().map(|r| r.name.as_str())))
    })?;
    let d = model.services[s].deployment_in[r]
        .ok_or_else(|| format!("service '{service}' is not deployed in region '{region}'"))?;
    let members = &model.deployments[d].instances;
    members.get(index as usize).map(|&i| Component::Instance(i as u32)).ok_or_else(|| {
        format!(
            "service '{service}' has {} instances in '{region}' (index {index} is out of range)",
            members.len()
        )
    })
}

/// The component an outage's target names, or why there is none.
pub(super) fn outage_target(model: &Model, target: &OutageTarget) -> Result<Component, String> {
    match target {
        OutageTarget::Region(name) => region(model, name).map(|r| Component::Region(r as u32)),
        OutageTarget::Zone(name) => model.zone(name).map(|z| Component::Zone(z as u32)).ok_or_else(|| {
            format!(
                "unknown zone '{name}'; known: {}{}",
                known(model.zones.iter().map(|z| z.name.as_str())),
                did_you_mean(name, model.zones.iter().map(|z| z.name.as_str()))
            )
        }),
        OutageTarget::Instance { service, region, index } => instance(model, service, region, *index),
        OutageTarget::Store { store, region: r } => store_copy(model, store, r),
        OutageTarget::Link(a, b) => link(model, a, b),
        OutageTarget::ControlPlane(name) => region(model, name).map(|r| Component::ControlPlane(r as u32)),
        OutageTarget::Dependency { dependency, region: r } => dependency_copy(model, dependency, r),
        OutageTarget::Cdn(name) => cdn(model, name),
        OutageTarget::Dns => dns(model),
    }
}

/// The model's DNS layer: there is one when its clients follow DNS answers (`steering: Dns(..)`).
pub(super) fn dns(model: &Model) -> Result<Component, String> {
    match model.steering.follow {
        Follow::Dns { .. } => Ok(Component::Dns),
        Follow::Anycast { .. } => Err("the model steers by anycast (static addresses that health checks \
             move): its clients resolve no DNS answer the model has, so there is no DNS layer to fail; \
             use `steering: Dns(..)`"
            .to_string()),
    }
}

/// The CDN edge of the population named: one the model has, with a `cdn`.
pub(super) fn cdn(model: &Model, population: &str) -> Result<Component, String> {
    let names = || model.populations.iter().map(|p| p.name.as_str());
    let p = model.population(population).ok_or_else(|| {
        format!(
            "unknown population '{population}'; known: {}{}",
            known(names()),
            did_you_mean(population, names())
        )
    })?;
    if model.populations[p].cdn.is_none() {
        let with = model.populations.iter().filter(|p| p.cdn.is_some()).map(|p| p.name.as_str());
        return Err(format!("population '{population}' has no cdn; populations with one: {}", known(with)));
    }
    Ok(Component::Cdn(p as u32))
}
