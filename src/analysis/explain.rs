//! `regionsim explain`, the static part (issue 13, item 6): every fault domain of a model (an instance of
//! each deployment, each zone, each region, each store copy; DNS is named as not modelled) classified per
//! client population as **redundant** (others take over), **ignorable** (the population does not notice)
//! or **cascading** (a single point of failure for it), with the reason in words, the blast radius (the
//! share of the population's requests that fail when it strikes), the share still failing once every
//! automatic failover has happened, and the headroom (the utilisation of the survivors under the
//! scenario's traffic). Read from the resolved model alone, in steady states: no simulation
//! (docs/architecture.md#explain).

mod launch;
pub mod measure;

use serde::Serialize;

use crate::model::architecture::Model;
use crate::model::dependency::Scope;
use crate::model::placement::Placement;
use crate::model::residency::{Policy, Residency};
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
    /// regionsim does not model this component's failure.
    NotModelled,
}

impl Class {
    /// The word shown in tables.
    pub fn word(self) -> &'static str {
        match self {
            Class::Redundant => "redundant",
            Class::Ignorable => "ignorable",
            Class::Cascading => "cascading",
            Class::NotModelled => "not modelled",
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
    /// `instance`, `zone`, `region`, `store copy` or `dns`.
    pub kind: String,
    /// Its name (`api@us-east-1#0`, `use1-az1`, `orders@us-east-1`).
    pub name: String,
    /// One entry per population, in the file's order.
    pub impacts: Vec<Impact>,
    /// The component to inject for `--simulate` (`None` for DNS).
    #[serde(skip)]
    pub component: Option<Component>,
}

/// The classification of every fault domain of a model: what `explain.json` holds.
#[derive(Debug, Clone, Serialize)]
pub struct Explanation {
    /// The model's name.
    pub model: String,
    /// The scenario's name, when one gave the traffic.
    pub scenario: Option<String>,
    /// Every fault domain, instances first, then zones, regions, store copies and DNS.
    pub domains: Vec<Domain>,
    /// What the analysis assumes.
    pub notes: Vec<String>,
    /// With `--simulate`: each fault domain's measured impact, largest first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub measured: Vec<measure::Measured>,
}

/// What is down in the failure examined.
struct Down {
    instance: Vec<bool>,
    zone: Vec<bool>,
    region: Vec<bool>,
    copy: Vec<bool>,
    /// Dependency copies down on their own, `dependency × regions + region`.
    dependency: Vec<bool>,
}

impl Down {
    fn none(model: &Model) -> Down {
        Down {
            instance: vec![false; model.instances.len()],
            zone: vec![false; model.zones.len()],
            region: vec![false; model.regions.len()],
            copy: vec![false; model.store_copies.len()],
            dependency: vec![false; model.dependencies.len() * model.regions.len()],
        }
    }

    fn zone_down(&self, model: &Model, z: usize) -> bool {
        self.zone[z] || self.region[model.zones[z].region]
    }

    fn instance_down(&self, model: &Model, i: usize) -> bool {
        let inst = &model.instances[i];
        self.instance[i] || self.zone_down(model, inst.zone)
    }
}

/// A store copy under a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CopyState {
    Up,
    /// Down until its Multi-AZ standby takes over.
    AfterFailover,
    Down,
}

/// The facts of one failure, shared by every population's verdict.
struct Outcome<'m> {
    model: &'m Model,
    /// Live instances of each deployment (its configured fleet: a standby is assumed scaled up once it
    /// gets traffic; an autoscaled deployment counts the fleet it starts with, not its maximum).
    live: Vec<usize>,
    copies: Vec<CopyState>,
    /// Each population's answer once DNS has followed the health checks.
    after: Vec<Answer>,
    /// Utilisation of each deployment once failed over (`None` without traffic).
    utilisation: Option<Vec<f64>>,
    /// Dependency copies down in the failure examined (their own, or their region's),
    /// `dependency × regions + region`.
    dependency_down: Vec<bool>,
    /// Per deployment: a standby that cannot launch its fleet (a dependency it needs at launch or for
    /// its control plane is down), so it keeps only what runs before a failover.
    blocked: Vec<bool>,
    /// The regions down in the failure examined.
    region_down: Vec<bool>,
}

impl<'m> Outcome<'m> {
    /// Whether the copy of dependency `k` that an instance in region `r` calls is down.
    fn copy_down(&self, k: usize, r: usize) -> bool {
        let n = self.model.regions.len();
        self.dependency_down[k * n + self.model.dependencies[k].copy_for(r)]
    }

    fn new(model: &'m Model, down: Down, rates: Option<&[f64]>) -> Outcome<'m> {
        let n = model.regions.len();
        let dependency_down: Vec<bool> =
            (0..model.dependencies.len() * n).map(|k| down.dependency[k] || down.region[k % n]).collect();
        let copy_down = |k: usize, r: usize| dependency_down[k * n + model.dependencies[k].copy_for(r)];
        // A standby that cannot launch keeps what runs before a failover.
        let blocked: Vec<bool> = model
            .deployments
            .iter()
            .map(|d| {
                let s = &model.services[d.service];
                d.standby.activation().is_some()
                    && s.launch_needs.iter().chain(&s.control_plane_needs).any(|&k| copy_down(k, d.region))
            })
            .collect();
        let live: Vec<usize> = model
            .deployments
            .iter()
            .zip(&blocked)
            .map(|(d, &blocked)| {
                let running = if blocked { d.standby.initially_running(d.fleet) } else { d.fleet };
                d.instances[..running as usize].iter().filter(|&&i| !down.instance_down(model, i)).count()
            })
            .collect();
        let copies = model
            .store_copies
            .iter()
            .enumerate()
            .map(|(g, &(s, r))| {
                let st = &model.stores[s];
                let placement = &st.placement[g - st.first_copy];
                if down.region[r] || down.copy[g] {
                    return CopyState::Down;
                }
                let zd = |z: usize| down.zone_down(model, z);
                if placement.serves(zd, 0, false) {
                    CopyState::Up
                } else if matches!(placement, Placement::MultiAz { .. }) && placement.serves(zd, 1, false) {
                    CopyState::AfterFailover
                } else {
                    CopyState::Down
                }
            })
            .collect();
        let entry = model.request_path[0];
        let healthy: Vec<bool> = (0..model.regions.len())
            .map(|r| model.services[entry].deployment_in[r].is_some_and(|d| live[d] > 0))
            .collect();
        let after: Vec<Answer> = model
            .populations
            .iter()
            .map(|p| {
                p.routing.answer(p.location, &model.entry_regions, &healthy, &model.regions, &model.network)
            })
            .collect();
        let utilisation = rates.map(|rates| {
            let mut work = vec![0.0; model.deployments.len()];
            for (p, answer) in after.iter().enumerate() {
                for (r, share) in answer.shares() {
                    for d in path_deployments(model, r) {
                        let service = &model.services[model.deployments[d].service];
                        work[d] += rates[p] * share * service.service_time.mean_s();
                    }
                }
            }
            work.iter()
                .enumerate()
                .map(|(d, w)| {
                    let servers = live[d] * model.services[model.deployments[d].service].concurrency as usize;
                    if *w <= 0.0 {
                        0.0
                    } else if servers == 0 {
                        f64::INFINITY
                    } else {
                        w / servers as f64
                    }
                })
                .collect()
        });
        let region_down = down.region.clone();
        Outcome { model, live, copies, after, utilisation, dependency_down, blocked, region_down }
    }

    /// The share of a request entering region `r` that fails: 1 when a service on its path has no
    /// live instance, else its reads' and writes' shares that find no copy (`settled`: after Multi-AZ
    /// failovers and promotions).
    fn failing(&self, r: usize, write_fraction: f64, settled: bool) -> f64 {
        let model = self.model;
        if path_deployments(model, r).len() < model.request_path.len()
            || path_deployments(model, r).iter().any(|&d| self.live[d] == 0)
        {
            return 1.0;
        }
        // A service on the path that needs a dependency whose copy is down fails once its caches expire.
        let needs_down_copy = path_deployments(model, r).iter().any(|&d| {
            let dep = &model.deployments[d];
            model.services[dep.service].depends_on.iter().any(|&k| self.copy_down(k, dep.region))
        });
        if needs_down_copy {
            return 1.0;
        }
        let Some(s) = model.path_store else { return 0.0 };
        let st = &model.stores[s];
        let state = |c: usize| self.copies[st.first_copy + c];
        let serves = |c: usize| match state(c) {
            CopyState::Up => true,
            CopyState::AfterFailover => settled,
            CopyState::Down => false,
        };
        let any = (0..st.copies.len()).any(serves);
        let reads_fail = !any;
        let writes_fail = if st.multi_writer {
            !any
        } else if serves(0) {
            false
        } else {
            let promotable = !matches!(st.replication, Replication::None)
                && (1..st.copies.len()).any(|c| state(c) != CopyState::Down);
            !(settled && promotable)
        };
        (if reads_fail { 1.0 - write_fraction } else { 0.0 }) + if writes_fail { write_fraction } else { 0.0 }
    }

    /// [`Outcome::failing`] for a population with data residency `residency`
    /// (docs/architecture.md#residency): under `Fail`, a request entering `r` also fails when a
    /// service of its path runs outside the residency, and its reads and writes when no copy inside
    /// serves them (a single-writer store's writes, when its primary is outside or down with no
    /// replica inside to promote).
    fn failing_within(
        &self,
        r: usize,
        residency: Option<Residency>,
        write_fraction: f64,
        settled: bool,
    ) -> f64 {
        let base = self.failing(r, write_fraction, settled);
        let Some(res) = residency.filter(|res| res.policy == Policy::Fail) else { return base };
        let model = self.model;
        if (0..model.request_path.len()).any(|k| model.step_region[r][k].is_some_and(|rr| !res.allows(rr))) {
            return 1.0;
        }
        let Some(s) = model.path_store else { return base };
        let st = &model.stores[s];
        let serves_inside = |c: usize| {
            res.allows(st.copies[c])
                && match self.copies[st.first_copy + c] {
                    CopyState::Up => true,
                    CopyState::AfterFailover => settled,
                    CopyState::Down => false,
                }
        };
        let reads_fail = !(0..st.copies.len()).any(serves_inside);
        let writes_fail = if st.multi_writer {
            reads_fail
        } else {
            !res.allows(st.copies[0])
                || !(serves_inside(0) || settled && (1..st.copies.len()).any(serves_inside))
        };
        let within = (if reads_fail { 1.0 - write_fraction } else { 0.0 })
            + if writes_fail { write_fraction } else { 0.0 };
        base.max(within)
    }
}

/// The deployments a request entering region `r` calls, in path order (a step no region runs is left
/// out).
fn path_deployments(model: &Model, r: usize) -> Vec<usize> {
    model
        .request_path
        .iter()
        .enumerate()
        .filter_map(|(k, &s)| model.step_region[r][k].and_then(|rr| model.services[s].deployment_in[rr]))
        .collect()
}

/// The copies of store `s` a population answered `answer` uses with nothing down: for reads, the one
/// nearest the region of its path's last step (its own first), and for writes the primary (every copy
/// it reads, for a multi-writer store). A copy it does not use cannot hurt it.
fn used_copies(model: &Model, s: usize, answer: &Answer, write_fraction: f64) -> Vec<usize> {
    let st = &model.stores[s];
    let last = model.request_path.len() - 1;
    let mut used = Vec::new();
    for (r, _) in answer.shares() {
        let Some(from) = model.step_region[r][last] else { continue };
        let loc = model.regions[from].location;
        let nearest = (0..st.copies.len()).min_by(|&a, &b| {
            let key = |c: usize| {
                (st.copies[c] != from, model.network.rtt_s(loc, model.regions[st.copies[c]].location))
            };
            let (ka, kb) = (key(a), key(b));
            ka.0.cmp(&kb.0).then(ka.1.total_cmp(&kb.1))
        });
        used.extend(nearest);
        if write_fraction > 0.0 && !st.multi_writer {
            used.push(0);
        }
    }
    used.sort_unstable();
    used.dedup();
    used
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
        domains.push(Domain { kind: kind.to_string(), name, impacts, component: Some(component) });
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
    domains.push(Domain {
        kind: "dns".to_string(),
        name: "DNS (Route 53's data plane)".to_string(),
        impacts: model
            .population_order
            .iter()
            .map(|&p| Impact {
                population: model.populations[p].name.clone(),
                class: Class::NotModelled,
                blast_radius: 0.0,
                lost_until_repair: 0.0,
                utilisation: None,
                reason: "regionsim does not fail DNS itself: its health checks and answers are modelled, \
                         its data plane is assumed up"
                    .to_string(),
            })
            .collect(),
        component: None,
    });
    let mut notes = vec![
        "Steady states, not a simulation: the blast radius is the share of a population's requests that \
         fail when the failure strikes; 'until repair' is the share still failing once DNS, Multi-AZ \
         failovers, promotions and standbys have done what they do automatically."
            .to_string(),
        "A standby deployment is counted at its full fleet once traffic reaches it (after its scale-up)."
            .to_string(),
    ];
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
    let blast: f64 = before.shares().map(|(r, w)| w * o.failing_within(r, res, write_fraction, false)).sum();
    let lost: f64 =
        o.after[p].shares().map(|(r, w)| w * o.failing_within(r, res, write_fraction, true)).sum();
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
    if moved {
        let names = |a: &Answer| {
            a.shares().map(|(r, _)| model.regions[r].name.as_str()).collect::<Vec<_>>().join("+")
        };
        facts.push(format!("DNS moves {} from {} to {}", pop.name, names(before), names(&o.after[p])));
        recovers.push("health checks and DNS".to_string());
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
    if let Some(res) = res
        && lost > unconstrained + 1e-12
    {
        let regions: Vec<&str> = res.regions().map(|r| model.regions[r].name.as_str()).collect();
        facts.push(format!(
            "{}'s data residency ({}, when_unavailable: Fail) refuses its requests outside it",
            pop.name,
            regions.join(", ")
        ));
    }
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
