//! The steady state of one failure (docs/architecture.md#explain): what is down, which instances and
//! store copies still serve, where DNS sends each population once it has followed the health checks,
//! the survivors' utilisation, and the share of a request entering a region that fails.

use crate::model::architecture::Model;
use crate::model::placement::Placement;
use crate::model::residency::{Policy, Residency};
use crate::model::routing::Answer;
use crate::model::store::Replication;

/// What is down in the failure examined.
pub(super) struct Down {
    pub instance: Vec<bool>,
    pub zone: Vec<bool>,
    pub region: Vec<bool>,
    pub copy: Vec<bool>,
    /// Dependency copies down on their own, `dependency × regions + region`.
    pub dependency: Vec<bool>,
    /// Each population's CDN edge (false for one without a CDN).
    pub cdn: Vec<bool>,
}

impl Down {
    pub fn none(model: &Model) -> Down {
        Down {
            instance: vec![false; model.instances.len()],
            zone: vec![false; model.zones.len()],
            region: vec![false; model.regions.len()],
            copy: vec![false; model.store_copies.len()],
            dependency: vec![false; model.dependencies.len() * model.regions.len()],
            cdn: vec![false; model.populations.len()],
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
pub(super) enum CopyState {
    Up,
    /// Down until its Multi-AZ standby takes over.
    AfterFailover,
    Down,
}

/// The facts of one failure, shared by every population's verdict.
pub(super) struct Outcome<'m> {
    pub model: &'m Model,
    /// Live instances of each deployment (its configured fleet: a standby is assumed scaled up once it
    /// gets traffic; an autoscaled deployment counts the fleet it starts with, not its maximum).
    pub live: Vec<usize>,
    pub copies: Vec<CopyState>,
    /// Each population's answer once DNS has followed the health checks.
    pub after: Vec<Answer>,
    /// Utilisation of each deployment once failed over (`None` without traffic).
    pub utilisation: Option<Vec<f64>>,
    /// Dependency copies down in the failure examined (their own, or their region's),
    /// `dependency × regions + region`.
    pub dependency_down: Vec<bool>,
    /// Each population's CDN edge is down.
    pub cdn_down: Vec<bool>,
    /// Per deployment: a standby that cannot launch its fleet (a dependency it needs at launch or for
    /// its control plane is down), so it keeps only what runs before a failover.
    pub blocked: Vec<bool>,
    /// The regions down in the failure examined.
    pub region_down: Vec<bool>,
}

impl<'m> Outcome<'m> {
    /// Whether the copy of dependency `k` that an instance in region `r` calls is down.
    pub fn copy_down(&self, k: usize, r: usize) -> bool {
        let n = self.model.regions.len();
        self.dependency_down[k * n + self.model.dependencies[k].copy_for(r)]
    }

    pub fn new(model: &'m Model, down: Down, rates: Option<&[f64]>) -> Outcome<'m> {
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
                for (r, share) in origins(model, p, answer, &healthy) {
                    // Behind a CDN only the origin share reaches a region; a dark edge sends nothing.
                    let through = match &model.populations[p].cdn {
                        None => 1.0,
                        Some(_) if down.cdn[p] => 0.0,
                        Some(cdn) => cdn.origin_share(),
                    };
                    for d in path_deployments(model, r) {
                        let service = &model.services[model.deployments[d].service];
                        work[d] += rates[p] * through * share * service.service_time.mean_s();
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
        Outcome {
            model,
            live,
            copies,
            after,
            utilisation,
            dependency_down,
            cdn_down: down.cdn,
            blocked,
            region_down,
        }
    }

    /// The share of a request entering region `r` that fails: 1 when a service on its path has no
    /// live instance, else its reads' and writes' shares that find no copy (`settled`: after Multi-AZ
    /// failovers and promotions).
    pub fn failing(&self, r: usize, write_fraction: f64, settled: bool) -> f64 {
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

    /// The share of population `p`'s requests that fail when DNS answers it `answer` (`settled`: after
    /// every automatic failover), through its CDN if it has one (docs/architecture.md#cdn): every
    /// request when its edge is down; else the edge's hits succeed, and a request that goes to the
    /// origin fails where its origin fails (with an origin failover group, at the primary and then
    /// at the secondary, whatever DNS says), unless it is cacheable and the edge serves stale on error.
    /// A population without a CDN fails where the regions of its answer fail.
    pub fn population_failing(&self, p: usize, answer: &Answer, write_fraction: f64, settled: bool) -> f64 {
        let model = self.model;
        let pop = &model.populations[p];
        let res = pop.residency;
        let fails = |r: usize, w: f64| self.failing_within(r, res, w, settled);
        let Some(cdn) = &pop.cdn else {
            return answer.shares().map(|(r, w)| w * fails(r, write_fraction)).sum();
        };
        if self.cdn_down[p] {
            return 1.0;
        }
        // Reads (w = 0) and writes (w = 1) apart: with a failover group an operation fails only if
        // it fails at both origins.
        let at_origin = |w: f64| match cdn.origins {
            Some((primary, secondary)) => fails(primary, w) * fails(secondary, w),
            None => answer.shares().map(|(r, share)| share * fails(r, w)).sum(),
        };
        let origin = (1.0 - write_fraction) * at_origin(0.0) + write_fraction * at_origin(1.0);
        // The origin share 1 − c(1 − m) (m: a cacheable request's chance to miss every cache); stale
        // on error saves the cacheable misses, c·m, leaving the non-cacheable share 1 − c.
        let exposed = if cdn.stale_on_error { 1.0 - cdn.cacheable_share } else { cdn.origin_share() };
        exposed * origin
    }

    /// [`Outcome::failing`] for a population with data residency `residency`
    /// (docs/architecture.md#residency): under `Fail`, a request entering `r` also fails when a
    /// service of its path runs outside the residency, and its reads and writes when no copy inside
    /// serves them (a single-writer store's writes, when its primary is outside or down with no
    /// replica inside to promote).
    pub fn failing_within(
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

/// The regions population `p`'s requests are served from once failed over, with their shares: those
/// of its DNS answer, or behind a CDN with an origin failover group its primary while the primary's
/// entry point serves (`healthy`), else its secondary (docs/architecture.md#cdn).
fn origins(model: &Model, p: usize, answer: &Answer, healthy: &[bool]) -> Vec<(usize, f64)> {
    match model.populations[p].cdn.as_ref().and_then(|c| c.origins) {
        Some((primary, secondary)) => vec![(if healthy[primary] { primary } else { secondary }, 1.0)],
        None => answer.shares().collect(),
    }
}

/// The deployments a request entering region `r` calls, in path order (a step no region runs is left
/// out).
pub(super) fn path_deployments(model: &Model, r: usize) -> Vec<usize> {
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
pub(super) fn used_copies(model: &Model, s: usize, answer: &Answer, write_fraction: f64) -> Vec<usize> {
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
