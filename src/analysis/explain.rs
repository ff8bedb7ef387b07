//! `regionsim explain`, the static part (issue 13, item 6): every fault domain of a model (an instance of
//! each deployment, each zone, each region, each store copy, each dependency copy, each population's CDN
//! edge, each region's control plane, the DNS layer) classified per client population as
//! **redundant** (others take over), **ignorable** (the population does not notice) or **cascading** (a
//! single point of failure for it), with the reason in words, the blast radius (the share of the
//! population's requests that fail when it strikes), the share still failing once every automatic
//! failover has happened, and the headroom (the utilisation of the survivors under the scenario's
//! traffic). Behind a CDN, the edge's cache hits, stale copies and origin failover group count. Read
//! from the resolved model alone, in steady states: no simulation (docs/architecture.md#explain).

mod dns;
mod launch;
pub mod measure;
mod outcome;

use serde::Serialize;

use outcome::{CopyState, Down, Outcome, path_deployments, used_copies};

use crate::model::architecture::{Model, Standby};
use crate::model::dependency::Scope;
use crate::model::placement::Placement;
use crate::model::routing::Answer;
use crate::model::scenario::{Component, DependencyCopy, Scenario};
use crate::model::store::Replication;

/// How a population experiences a fault domain's failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    /// Others take over (survivors with headroom, a DNS failover, a standby, a promotion).
    Redundant,
    /// Nothing on the population's path is affected.
    Ignorable,
    /// Some of the population's requests fail until the component is repaired, or the survivors are
    /// overloaded: a single point of failure.
    Cascading,
}

impl Class {
    /// The word shown in tables.
    pub fn word(self) -> &'static str {
        match self {
            Class::Redundant => "redundant",
            Class::Ignorable => "ignorable",
            Class::Cascading => "cascading",
        }
    }
}

/// One population's view of one fault domain's failure.
#[derive(Debug, Clone, Serialize)]
pub struct Impact {
    /// The population's name.
    pub population: String,
    /// Its classification.
    pub class: Class,
    /// Share of its requests that fail when the failure strikes, before any failover, in [0, 1].
    pub blast_radius: f64,
    /// Share that keeps failing once every automatic failover has happened, until the repair, in [0, 1].
    pub lost_until_repair: f64,
    /// The highest utilisation of the surviving instances on its path once failed over, under the
    /// scenario's peak traffic; `None` without a scenario, or when nothing on its path survives.
    pub utilisation: Option<f64>,
    /// Why, in words.
    pub reason: String,
}

/// A component or fault domain and what its failure means for each population.
#[derive(Debug, Clone, Serialize)]
pub struct Domain {
    /// `instance`, `zone`, `region`, `store copy`, `dependency copy`, `cdn edge`, `control plane` or
    /// `dns layer`.
    pub kind: String,
    /// Its name (`api@us-east-1#0`, `use1-az1`, `orders@us-east-1`; a CDN edge by its population,
    /// a control plane by its region).
    pub name: String,
    /// One entry per population, in the file's order.
    pub impacts: Vec<Impact>,
    /// The component to inject for `--simulate`.
    #[serde(skip)]
    pub component: Option<Component>,
    /// Its loss starts only as its clients' cached DNS answers expire (the DNS layer): `--simulate`
    /// predicts it over the closed form of the caches' expiry instead of the whole outage.
    #[serde(skip)]
    pub lost_after_caches: bool,
}

/// The classification of every fault domain of a model: what `explain.json` holds.
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    /// The model's name.
    pub model: String,
    /// The scenario's name, when one gave the traffic.
    pub scenario: Option<String>,
    /// Every fault domain, instances first, then zones, regions, store copies, dependency copies, CDN
    /// edges, control planes and DNS.
    pub domains: Vec<Domain>,
    /// What the analysis assumes.
    pub notes: Vec<String>,
    /// With `--simulate`: each fault domain's measured impact, largest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub measured: Vec<measure::Measured>,
}

fn percent(v: f64) -> String {
    let p = v * 100.0;
    if p == 0.0 || p >= 10.0 || (p - p.round()).abs() < 1e-9 {
        format!("{p:.0}%")
    } else {
        format!("{p:.1}%")
    }
}

/// Classifies every fault domain of `model` for every population; with a scenario, the headroom of the
/// survivors under its traffic (the daily profile's peak hour, if it has one).
pub fn explain(model: &Model, scenario: Option<&Scenario>) -> Explanation {
    let peak = scenario.and_then(|s| s.daily_profile).map_or(1.0, |p| p.iter().copied().fold(0.0, f64::max));
    let rates: Option<Vec<f64>> = scenario.map(|s| s.rates_per_s.iter().map(|r| r * peak).collect());
    let write_fraction = scenario.map_or(0.0, |s| s.data.write_fraction);
    let baseline = Outcome::new(model, Down::none(model), rates.as_deref());
    let mut domains = Vec::new();
    let mut examine = |kind: &str, name: String, component: Component, set: &dyn Fn(&mut Down)| {
        let mut down = Down::none(model);
        set(&mut down);
        let outcome = Outcome::new(model, down, rates.as_deref());
        let impacts =
            model.population_order.iter().map(|&p| impact(&baseline, &outcome, p, write_fraction)).collect();
        domains.push(Domain {
            kind: kind.to_string(),
            name,
            impacts,
            component: Some(component),
            lost_after_caches: false,
        });
    };
    for d in &model.deployments {
        if let Some(&i) = d.instances.first() {
            examine("instance", model.instances[i].name.clone(), Component::Instance(i as u32), &|down| {
                down.instance[i] = true
            });
        }
    }
    for &r in &model.region_order {
        for &z in &model.regions[r].zones {
            examine("zone", model.zones[z].name.clone(), Component::Zone(z as u32), &|down| {
                down.zone[z] = true
            });
        }
    }
    for &r in &model.region_order {
        examine("region", model.regions[r].name.clone(), Component::Region(r as u32), &|down| {
            down.region[r] = true
        });
    }
    for (g, &(s, r)) in model.store_copies.iter().enumerate() {
        let name = format!("{}@{}", model.stores[s].name, model.regions[r].name);
        examine("store copy", name, Component::Store(g as u32), &|down| down.copy[g] = true);
    }
    let n = model.regions.len();
    for (k, dependency) in model.dependencies.iter().enumerate() {
        let homes: Vec<usize> = match dependency.scope {
            Scope::Global { home } => vec![home],
            Scope::Regional => model.region_order.clone(),
        };
        for r in homes {
            let name = format!("{}@{}", dependency.name, model.regions[r].name);
            let component = Component::Dependency(DependencyCopy { dependency: k as u32, region: r as u32 });
            examine("dependency copy", name, component, &|down| down.dependency[k * n + r] = true);
        }
    }
    for &p in &model.population_order {
        if model.populations[p].cdn.is_some() {
            let name = model.populations[p].name.clone();
            examine("cdn edge", name, Component::Cdn(p as u32), &|down| down.cdn[p] = true);
        }
    }
    for &r in &model.region_order {
        domains.push(control_plane(model, r));
    }
    let dns = dns::domain(model);
    let mut notes = vec![
        "Steady states, not a simulation: the blast radius is the share of a population's requests that \
         fail when the failure strikes; 'until repair' is the share still failing once DNS, Multi-AZ \
         failovers, promotions and standbys have done what they do automatically."
            .to_string(),
        "A standby deployment is counted at its full fleet once traffic reaches it (after its scale-up)."
            .to_string(),
    ];
    match dns {
        Ok(domain) => domains.push(domain),
        Err(note) => notes.push(note),
    }
    for &p in &model.population_order {
        let pop = &model.populations[p];
        let Some(cdn) = &pop.cdn else { continue };
        let late = cdn.origin_connect_wait_s >= model.network.request_timeout_s;
        notes.push(format!(
            "Behind {}'s CDN edge the cache hits, stale copies and origin failover group count as serving; {}",
            pop.name,
            if late {
                format!(
                    "but the edge waits {} s for an origin that does not connect, at least the client's {} s \
                     timeout, so where a region stops answering its rescues come too late: this \
                     classification, which counts them, is optimistic there.",
                    cdn.origin_connect_wait_s, model.network.request_timeout_s
                )
            } else {
                "its rescues come before the client's deadline (the edge's connection wait is shorter than \
                 the request timeout)."
                    .to_string()
            }
        ));
    }
    match scenario {
        Some(s) => notes.push(format!(
            "Utilisation under {}'s traffic{}, with a {:.0}% share of writes.",
            s.name,
            if peak != 1.0 { " at its daily profile's peak hour" } else { "" },
            write_fraction * 100.0
        )),
        None => notes.push(
            "No scenario: no traffic to judge the survivors' headroom by, and no writes (give a scenario)."
                .to_string(),
        ),
    }
    Explanation {
        model: model.name.clone(),
        scenario: scenario.map(|s| s.name.clone()),
        domains,
        notes,
        measured: Vec::new(),
    }
}

/// Population `p`'s view of the failure `o`, against the baseline `b` (nothing down).
fn impact(b: &Outcome, o: &Outcome, p: usize, write_fraction: f64) -> Impact {
    let model = o.model;
    let pop = &model.populations[p];
    let before = &pop.initial_answer;
    let res = pop.residency;
    let blast = o.population_failing(p, before, write_fraction, false);
    let lost = o.population_failing(p, &o.after[p], write_fraction, true);
    let regions: Vec<usize> = before.shares().chain(o.after[p].shares()).map(|(r, _)| r).collect();
    let mut on_path: Vec<usize> = regions.iter().flat_map(|&r| path_deployments(model, r)).collect();
    on_path.sort_unstable();
    on_path.dedup();
    let after_path: Vec<usize> = o.after[p].shares().flat_map(|(r, _)| path_deployments(model, r)).collect();
    // The survivors: the deployments on its path that lost instances, else (traffic moved, nothing
    // lost on the way) every deployment it now calls.
    let shrunk: Vec<usize> = after_path.iter().copied().filter(|&d| o.live[d] < b.live[d]).collect();
    let survivors = if shrunk.is_empty() { &after_path } else { &shrunk };
    let utilisation = o
        .utilisation
        .as_ref()
        .and_then(|u| survivors.iter().map(|&d| u[d]).filter(|u| u.is_finite()).reduce(f64::max));

    let mut facts = Vec::new();
    for &d in &on_path {
        let dep = &model.deployments[d];
        let (n, live) = (dep.fleet as usize, o.live[d]);
        if o.blocked[d] {
            continue;
        }
        if live < b.live[d] {
            let name = format!("{}@{}", model.services[dep.service].name, model.regions[dep.region].name);
            facts.push(if live == 0 {
                format!("{name} loses all {n} instances")
            } else {
                format!("{name} keeps {live} of {n} instances")
            });
        }
    }
    let mut recovers = Vec::new();
    if let Some(s) = model.path_store {
        let st = &model.stores[s];
        let used = used_copies(model, s, before, write_fraction);
        for (c, &r) in st.copies.iter().enumerate() {
            if !used.contains(&c) {
                continue;
            }
            let name = format!("{}@{}", st.name, model.regions[r].name);
            let placement = st.placement[c].describe(&model.zones);
            match o.copies[st.first_copy + c] {
                CopyState::Up => {}
                CopyState::AfterFailover => {
                    let Placement::MultiAz { failover, .. } = &st.placement[c] else { continue };
                    facts.push(format!("{name} ({placement}) fails over to its standby"));
                    recovers.push(format!("the Multi-AZ failover (mean {:.0} s)", failover.mean_s()));
                }
                CopyState::Down => facts.push(format!("{name} ({placement}) is down")),
            }
        }
        if o.copies[st.first_copy] == CopyState::Down
            && !st.multi_writer
            && !matches!(st.replication, Replication::None)
            && st.copies.len() > 1
        {
            recovers.push(format!("a replica's promotion (mean {:.0} s)", st.promotion.mean_s()));
        }
    }
    let moved = o.after[p].shares().map(|(r, _)| r).collect::<Vec<_>>()
        != before.shares().map(|(r, _)| r).collect::<Vec<_>>();
    let group = pop.cdn.as_ref().and_then(|c| c.origins);
    if moved {
        let names = |a: &Answer| {
            a.shares().map(|(r, _)| model.regions[r].name.as_str()).collect::<Vec<_>>().join("+")
        };
        facts.push(format!("DNS moves {} from {} to {}", pop.name, names(before), names(&o.after[p])));
        if group.is_none() {
            recovers.push("health checks and DNS".to_string());
        }
    }
    // Dependencies whose copy is down, needed by a service on the path after DNS has acted.
    for (r, _) in o.after[p].shares() {
        for d in path_deployments(model, r) {
            let dep = &model.deployments[d];
            for &k in &model.services[dep.service].depends_on {
                let dependency = &model.dependencies[k];
                let fact = format!(
                    "{} needs {} ({}), which is down: its requests fail once their caches expire",
                    model.services[dep.service].name,
                    dependency.name,
                    dependency.describe(&model.regions)
                );
                if o.copy_down(k, dep.region) && !facts.contains(&fact) {
                    facts.push(fact);
                }
            }
        }
    }
    // Its data residency refuses it where the failure sends it (its only allowed regions are down).
    let unconstrained: f64 = o.after[p].shares().map(|(r, w)| w * o.failing(r, write_fraction, true)).sum();
    let within: f64 =
        o.after[p].shares().map(|(r, w)| w * o.failing_within(r, res, write_fraction, true)).sum();
    if let Some(res) = res
        && within > unconstrained + 1e-12
    {
        let regions: Vec<&str> = res.regions().map(|r| model.regions[r].name.as_str()).collect();
        facts.push(format!(
            "{}'s data residency ({}, when_unavailable: Fail) refuses its requests outside it",
            pop.name,
            regions.join(", ")
        ));
    }
    facts.extend(cdn_facts(o, p, group, write_fraction));
    // Requests lost while a standby cannot launch: its failover is blocked (the rest is an aside).
    let told: Vec<usize> = if lost > 1e-12 {
        (0..model.deployments.len())
            .filter(|&d| o.blocked[d] && !o.region_down[model.deployments[d].region])
            .collect()
    } else {
        Vec::new()
    };
    facts.extend(told.iter().map(|&d| launch::blocked(o, d)));
    let what = if facts.is_empty() { "nothing on its path changes".to_string() } else { facts.join("; ") };
    let what = format!("{what}{}", launch::waiting(o, &told));
    let at = utilisation.map(|u| format!(", at {} utilisation", percent(u))).unwrap_or_default();
    let (class, reason) = if lost > 1e-12 {
        (
            Class::Cascading,
            format!(
                "{what}: stops {} of {}'s requests until it is repaired: cascading",
                percent(lost),
                pop.name
            ),
        )
    } else if utilisation.is_some_and(|u| u >= 1.0) {
        (Class::Cascading, format!("{what}: the survivors are overloaded{at}: cascading"))
    } else if blast > 1e-12 {
        (
            Class::Redundant,
            format!(
                "{what}: {} of {}'s requests fail until {} takes over: redundant{at}",
                percent(blast),
                pop.name,
                recovers.join(" and ")
            ),
        )
    } else if !facts.is_empty() {
        (Class::Redundant, format!("{what}: redundant{at}"))
    } else {
        (Class::Ignorable, format!("{what}: ignorable"))
    };
    Impact {
        population: pop.name.clone(),
        class,
        blast_radius: blast,
        lost_until_repair: lost,
        utilisation,
        reason,
    }
}

/// What population `p`'s CDN does in the failure `o` (docs/architecture.md#cdn): its edge is down, or
/// the edge keeps part of what the origin fails serving (its failover group's secondary, its stale
/// copies, its cache hits). Nothing without a CDN, or when no origin fails.
fn cdn_facts(o: &Outcome, p: usize, group: Option<(usize, usize)>, write_fraction: f64) -> Vec<String> {
    let model = o.model;
    let pop = &model.populations[p];
    let Some(cdn) = &pop.cdn else { return Vec::new() };
    if o.cdn_down[p] {
        return vec![format!(
            "{}'s CDN edge is down, and every request of {} goes through it",
            pop.name, pop.name
        )];
    }
    let res = pop.residency;
    let fails = |r: usize, settled: bool| o.failing_within(r, res, write_fraction, settled) > 1e-12;
    let origin_fails = match group {
        Some((primary, _)) => fails(primary, false),
        None => pop.initial_answer.shares().chain(o.after[p].shares()).any(|(r, _)| fails(r, false)),
    };
    if !origin_fails {
        return Vec::new();
    }
    let mut facts = Vec::new();
    if let Some((primary, secondary)) = group {
        facts.push(format!(
            "its CDN edge sends what {} fails to {} at once (origin failover group), whatever DNS answers",
            model.regions[primary].name, model.regions[secondary].name
        ));
    }
    if cdn.stale_on_error {
        facts.push(format!(
            "the edge serves the cacheable {} of {}'s requests (stale when the origin fails)",
            percent(cdn.cacheable_share),
            pop.name
        ));
    } else if cdn.origin_share() < 1.0 {
        facts.push(format!(
            "the edge answers {} of {}'s requests from cache",
            percent(1.0 - cdn.origin_share()),
            pop.name
        ));
    }
    facts
}

/// A region's control plane as a fault domain: nothing that serves needs it (the data plane keeps
/// running), so its failure alone is ignorable for every population; what it stops (scale-ups,
/// launches, a standby's activation in the region) matters only with another failure, which
/// `scenarios/region-outage-control-plane.ron` simulates.
fn control_plane(model: &Model, r: usize) -> Domain {
    let region = &model.regions[r].name;
    let mut waits: Vec<String> = Vec::new();
    for d in model.deployments.iter().filter(|d| d.region == r) {
        let name = format!("{}@{}", model.services[d.service].name, region);
        if !matches!(d.standby, Standby::Hot) {
            waits.push(format!("{name}'s activation"));
        }
        if d.autoscaling.is_some() {
            waits.push(format!("{name}'s scale-out"));
        }
    }
    let stops = if waits.is_empty() {
        format!("nothing in {region} waits for it (no standby to activate, no autoscaling)")
    } else {
        format!("it would hold up {}", waits.join(", "))
    };
    let reason = format!(
        "{region}'s control plane serves no request: {stops}, which matters only together with another \
         failure: ignorable on its own"
    );
    Domain::harmless(
        model,
        "control plane",
        region.clone(),
        Class::Ignorable,
        &reason,
        Some(Component::ControlPlane(r as u32)),
    )
}

impl Domain {
    /// A fault domain whose failure costs no population anything on its own:
    /// the same `class` and `reason` for every population, nothing lost, no utilisation.
    fn harmless(
        model: &Model,
        kind: &str,
        name: String,
        class: Class,
        reason: &str,
        component: Option<Component>,
    ) -> Domain {
        let impacts = model
            .population_order
            .iter()
            .map(|&p| Impact {
                population: model.populations[p].name.clone(),
                class,
                blast_radius: 0.0,
                lost_until_repair: 0.0,
                utilisation: None,
                reason: reason.to_string(),
            })
            .collect();
        Domain { kind: kind.to_string(), name, impacts, component, lost_after_caches: false }
    }
}
