//! Stores: the data store at the end of the request path: reads from the nearest live copy, writes at the primary (or
//! locally, for multi-writer stores), replication in flight, promotion on failover with the writes it
//! loses, and the conflicts and stale reads of multi-writer stores.
//!
//! Writes in flight are kept per source copy as `(accept, apply, count)` runs in accept order, pruned
//! from the front once applied; a failure of the source loses the runs not yet applied. Per key, the
//! last write (copy, accept, apply) tells whether a read elsewhere is stale or a write elsewhere
//! conflicts. Partitions stall replication: runs are not pruned while a link of the store is down, and
//! resume when it heals.
//!
//! Zonal placement (docs/architecture.md#zonal-placement): a copy placed in a zone is down with it; a
//! Multi-AZ copy whose active zone fails fails over to its standby's zone after a sampled delay (an
//! `Adds` change: the copy serves again), during which no cross-region promotion starts and no write is
//! lost; a spanning copy is up while a majority of its zones are.

mod promotion;
mod residency;

use std::collections::VecDeque;

use rand::rngs::Xoshiro256PlusPlus;
use rand_distr::{Distribution as _, Zipf};

use super::arena::Request;
use super::event::{Event, StoreEvent};
use super::faults::Faults;
use super::kernel::{Change, Kernel};
use crate::model::architecture::Model;
use crate::model::keyspace::KeyTable;
use crate::model::placement::Placement;
use crate::model::residency::{Policy, Residency};
use crate::model::scenario::{LinkId, Scenario};
use crate::model::store::Replication;
use crate::model::time::SimTime;
use crate::sim::observation::FailureCause;
use crate::sim::streams::{Purpose, event_bits, event_key, event_rng, event_uniform, stream};

#[derive(Debug, Clone, Copy)]
struct Run {
    accept: SimTime,
    apply: SimTime,
    count: u64,
}

#[derive(Debug, Clone, Copy)]
struct KeyWrite {
    copy: u8,
    accept: SimTime,
    apply: SimTime,
}

/// Writes accepted by a copy that has not reached the replicas when the copy failed.
#[derive(Debug, Clone, Copy)]
pub(super) struct Loss {
    /// The store whose writes were lost.
    pub store: usize,
    pub count: u64,
    pub oldest: SimTime,
    pub failed_at: SimTime,
}

/// A Multi-AZ copy's side: which zone is active (0 the primary's, 1 the standby's) and whether a
/// failover to the other is under way (stale completions carry an older epoch).
#[derive(Debug, Clone, Copy, Default)]
struct ZonalState {
    active: u8,
    failing_over: bool,
    epoch: u32,
}

struct StoreState {
    /// Copy index of the primary.
    primary: usize,
    promoting: bool,
    /// The primary's copy failed and the promotion waits for an operator's decision
    /// (docs/architecture.md#failover-trigger).
    awaiting_operator: bool,
    epoch: u32,
    /// The loss a pending promotion will make final.
    pending_loss: Option<Loss>,
    copy_up: Vec<bool>,
    inflight: Vec<VecDeque<Run>>,
    /// Writes accepted so far by each copy that had replicas to send them to.
    accepted: Vec<u64>,
    /// Last write per key, for stores with more than one copy.
    keys: Vec<Option<KeyWrite>>,
    lag_rng: Xoshiro256PlusPlus,
    promotion_rng: Xoshiro256PlusPlus,
    /// Per copy: its Multi-AZ side (unused for other placements).
    zonal: Vec<ZonalState>,
    /// Multi-AZ failover delays.
    zone_failover_rng: Xoshiro256PlusPlus,
}

pub(super) struct Stores {
    stores: Vec<StoreState>,
    /// Store operation times, per population.
    op_rng: Vec<Xoshiro256PlusPlus>,
    /// Per population: the key of its per-request read/write and key numbers.
    op_key: Vec<u64>,
    zipf: Option<Zipf<f64>>,
    key_table: Option<std::sync::Arc<KeyTable>>,
    /// The store at the end of the path when it tracks the last write per key (it has more than one
    /// copy): only then does a request's key matter.
    keyed_store: Option<usize>,
    keys: u64,
    write_fraction: f64,
    /// Per link (by [`LinkId::index`], a < b): down intervals, the last open-ended while down.
    link_history: Vec<Vec<(SimTime, SimTime)>>,
    regions: usize,
    /// `by_distance[store][region]`: the store's copies nearest that region first (its own, then by
    /// round trip, then region name), computed once: the nearest live copy is the first available one.
    by_distance: Vec<Vec<Box<[usize]>>>,
    /// Stores whose promotion started to wait for an operator since [`Stores::take_awaiting`] was last
    /// called.
    newly_awaiting: Vec<usize>,
}

impl Stores {
    /// Writes accepted so far, per store and copy (the fast-forward measures write rates with it).
    pub fn accepted_writes(&self) -> Vec<Vec<u64>> {
        self.stores.iter().map(|s| s.accepted.clone()).collect()
    }

    pub fn new(model: &Model, scenario: &Scenario, seed: u64, replication: u32) -> Stores {
        let named = |purpose, name: &str| stream(seed, replication, purpose, name);
        let data = &scenario.data;
        let tracked_keys = if model.path_store.is_some() { data.keys.min(50_000_000) as usize } else { 0 };
        Stores {
            stores: model
                .stores
                .iter()
                .map(|s| StoreState {
                    primary: 0,
                    promoting: false,
                    awaiting_operator: false,
                    epoch: 0,
                    pending_loss: None,
                    copy_up: vec![true; s.copies.len()],
                    inflight: vec![VecDeque::new(); s.copies.len()],
                    accepted: vec![0; s.copies.len()],
                    keys: if s.copies.len() > 1 { vec![None; tracked_keys] } else { Vec::new() },
                    lag_rng: named(Purpose::Replication, &s.name),
                    promotion_rng: named(Purpose::Promotion, &s.name),
                    zonal: vec![ZonalState::default(); s.copies.len()],
                    zone_failover_rng: named(Purpose::ZoneFailover, &s.name),
                })
                .collect(),
            op_rng: model.populations.iter().map(|p| named(Purpose::Data, &p.name)).collect(),
            op_key: model
                .populations
                .iter()
                .map(|p| event_key(seed, replication, Purpose::Data, &p.name))
                .collect(),
            zipf: (data.zipf_exponent > 0.0)
                .then(|| Zipf::new(data.keys as f64, data.zipf_exponent).ok())
                .flatten(),
            keys: data.keys,
            key_table: data.key_table.clone(),
            keyed_store: model.path_store.filter(|&s| model.stores[s].copies.len() > 1),
            write_fraction: data.write_fraction,
            link_history: vec![Vec::new(); model.regions.len() * model.regions.len()],
            regions: model.regions.len(),
            newly_awaiting: Vec::new(),
            by_distance: model
                .stores
                .iter()
                .map(|st| {
                    (0..model.regions.len())
                        .map(|from| {
                            let loc = model.regions[from].location;
                            let rtt =
                                |c: usize| model.network.rtt_s(loc, model.regions[st.copies[c]].location);
                            let mut order: Vec<usize> = (0..st.copies.len()).collect();
                            // The region's own copy first, then by round trip, ties by region name.
                            let own = |c: usize| st.copies[c] != from;
                            let name = |c: usize| &model.regions[st.copies[c]].name;
                            order.sort_by(|&a, &b| {
                                own(a)
                                    .cmp(&own(b))
                                    .then(rtt(a).total_cmp(&rtt(b)))
                                    .then_with(|| name(a).cmp(name(b)))
                            });
                            order.into_boxed_slice()
                        })
                        .collect()
                })
                .collect(),
        }
    }

    /// Whether the `index`-th request of population `p` writes, and its key (0-based; 0 when the store
    /// tracks no keys, which then never matter). Stateless per request, like the routing numbers, so
    /// designs stay aligned.
    pub fn draw_operation(&self, p: usize, index: u64) -> (bool, u32) {
        let key = self.op_key[p];
        let write = event_uniform(key, index, 0) < self.write_fraction;
        let Some(store) = self.keyed_store else {
            return (write, 0);
        };
        let k = match (&self.key_table, &self.zipf) {
            (Some(table), _) => {
                // The next request's entry, fetched now so its draw finds it in cache: the table is
                // larger than the cache and its entries are read in random order.
                prefetch(table.entry_ptr(event_bits(key, index.wrapping_add(1), 1)));
                table.sample(event_bits(key, index, 1)) as u64
            }
            (None, Some(z)) => (z.sample(&mut event_rng(key, index)) as u64).saturating_sub(1),
            (None, None) => (event_uniform(key, index, 1) * self.keys.max(1) as f64) as u64,
        };
        let k = k.min(self.keys.saturating_sub(1)).min(u32::MAX as u64) as u32;
        // The key's last write is read when the request reaches the store, tens of events from now.
        if let Some(slot) = self.stores[store].keys.get(k as usize) {
            prefetch((&raw const *slot).cast());
        }
        (write, k)
    }
}

/// Asks the CPU to bring the cache line holding `ptr` closer, ahead of a read: a hint that never faults
/// and changes no result. Used for the large per-key tables, read at random places.
#[inline(always)]
fn prefetch(ptr: *const u8) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: SSE is part of the x86_64 baseline, and a prefetch does not access memory (any address,
    // even an invalid one, is allowed).
    unsafe {
        std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(ptr.cast())
    };
    #[cfg(not(target_arch = "x86_64"))]
    let _ = ptr;
}

/// What a successful store operation did, for the request's tallies.
pub(super) struct Operation {
    /// Time it adds to the request.
    pub extra: SimTime,
    /// It reached a copy in another region: `(from, to)`.
    pub crossed: Option<(usize, usize)>,
    /// A read, and whether it missed a write accepted elsewhere and not yet applied.
    pub read: bool,
    pub stale: bool,
    /// A write, whether it lost an update to last-writer-wins, and the regions it replicates to.
    pub write: bool,
    pub lost_update: bool,
    pub replicated_to: Vec<usize>,
    /// The region of the copy that accepted it.
    pub at_region: usize,
    /// That copy is outside the population's data residency (served under `ServeElsewhere`).
    pub outside: bool,
}

impl Stores {
    fn copy_available(&self, model: &Model, faults: &Faults, store: usize, copy: usize) -> bool {
        let st = &model.stores[store];
        !faults.region_down(st.copies[copy])
            && !faults.store_copy_down(st.first_copy + copy)
            && match &st.placement[copy] {
                Placement::Regional => true,
                p => {
                    let z = self.stores[store].zonal[copy];
                    p.serves(|zone| faults.zone_down(zone), z.active as usize, z.failing_over)
                }
            }
    }

    /// Whether `copy` is down only while its Multi-AZ standby takes over (it will serve again, with
    /// every write it accepted).
    fn zone_failing_over(&self, store: usize, copy: usize) -> bool {
        self.stores[store].zonal[copy].failing_over
    }

    /// Starts or cancels the Multi-AZ failovers of store `s` after a change: one starts when the active
    /// zone is down and the other up; one under way stops when the active zone is back or the other
    /// went down too (the copy then waits for a zone to return).
    fn refresh_zonal(&mut self, model: &Model, faults: &Faults, kernel: &mut Kernel, s: usize) {
        let st = &model.stores[s];
        for c in 0..st.copies.len() {
            let Placement::MultiAz { primary, standby, failover } = &st.placement[c] else { continue };
            let zones = [*primary, *standby];
            let state = &mut self.stores[s];
            let z = &mut state.zonal[c];
            let active_down = faults.zone_down(zones[z.active as usize]);
            let other_down = faults.zone_down(zones[1 - z.active as usize]);
            if z.failing_over && (!active_down || other_down) {
                z.failing_over = false;
                z.epoch = z.epoch.wrapping_add(1);
            }
            if !z.failing_over && active_down && !other_down {
                z.failing_over = true;
                z.epoch = z.epoch.wrapping_add(1);
                let delay = failover.sample_s(&mut state.zone_failover_rng);
                let event = Event::Store(StoreEvent::ZoneFailover {
                    copy: (st.first_copy + c) as u32,
                    epoch: state.zonal[c].epoch,
                });
                kernel.schedule_change(kernel.now.plus(SimTime::from_secs_f64(delay)), event, Change::Adds);
            }
        }
    }

    /// A Multi-AZ failover of copy `copy` (an index into `Model::store_copies`) is due: the other zone
    /// becomes the active one. Returns the store, the copy's region and its new active zone; `None` when
    /// superseded.
    pub fn complete_zone_failover(
        &mut self,
        model: &Model,
        copy: usize,
        epoch: u32,
    ) -> Option<(usize, usize, usize)> {
        let (s, region) = model.store_copies[copy];
        let st = &model.stores[s];
        let c = copy - st.first_copy;
        let Placement::MultiAz { primary, standby, .. } = &st.placement[c] else { return None };
        let z = &mut self.stores[s].zonal[c];
        if !z.failing_over || z.epoch != epoch {
            return None;
        }
        z.failing_over = false;
        z.active = 1 - z.active;
        Some((s, region, if z.active == 0 { *primary } else { *standby }))
    }

    /// The live copy nearest region `from` (its own first).
    fn nearest_copy(&self, model: &Model, faults: &Faults, store: usize, from: usize) -> Option<usize> {
        self.by_distance[store][from].iter().copied().find(|&c| self.copy_available(model, faults, store, c))
    }

    /// When a write accepted at `accept`, due at `apply`, reaches the other side of link (a, b) given the
    /// link's outages: a partition holds it until the link heals.
    fn effective_apply(&self, a: usize, b: usize, accept: SimTime, apply: SimTime) -> SimTime {
        if a == b {
            return apply;
        }
        let mut apply = apply;
        for &(down, up) in &self.link_history[LinkId::between(a, b).index(self.regions)] {
            if down <= apply && up > accept {
                apply = apply.max(up);
            }
        }
        apply
    }

    /// Reads or writes at the store for request `r` served in `region` at `now`; `residency` is its
    /// population's.
    #[allow(clippy::too_many_arguments)]
    pub fn operation(
        &mut self,
        model: &Model,
        faults: &Faults,
        now: SimTime,
        r: &Request,
        store: usize,
        region: usize,
        residency: Option<Residency>,
    ) -> Result<Operation, FailureCause> {
        let st = &model.stores[store];
        let p = r.population as usize;
        let mut extra = st.op_time.sample_s(&mut self.op_rng[p]);
        let (target, outside) = self.serving_copy(model, faults, r, store, region, residency)?;
        let target_region = st.copies[target];
        let mut op = Operation {
            outside,
            extra: SimTime::ZERO,
            crossed: None,
            read: false,
            stale: false,
            write: false,
            lost_update: false,
            replicated_to: Vec::new(),
            at_region: target_region,
        };
        if target_region != region {
            if faults.link_down(region, target_region) {
                return Err(FailureCause::Partition);
            }
            op.crossed = Some((region, target_region));
            extra +=
                model.network.rtt_s(model.regions[region].location, model.regions[target_region].location);
        }
        let key = r.key as usize;
        if !r.write {
            if r.counted {
                op.read = true;
                op.stale = matches!(self.stores[store].keys.get(key).copied(), Some(Some(w))
                    if w.copy as usize != target
                        && now < self.effective_apply(st.copies[w.copy as usize], target_region, w.accept, w.apply));
            }
            op.extra = SimTime::from_secs_f64(extra);
            return Ok(op);
        }

        // A write: replicate, then check for a conflict with the key's last write. Under a `Fail`
        // residency the population's writes go only to the copies in its regions.
        let scoped = residency.filter(|res| res.policy == Policy::Fail);
        let replicas = move || {
            (0..st.copies.len())
                .filter(move |&c| c != target && scoped.is_none_or(|res| res.allows(st.copies[c])))
        };
        let n_replicas = st.copies.len() - 1;
        let apply = match &st.replication {
            Replication::None => now,
            Replication::Backup { interval_s } => {
                let t = now.as_secs_f64();
                SimTime::from_secs_f64(((t / interval_s).floor() + 1.0) * interval_s)
            }
            Replication::Async { lag } => {
                now.plus(SimTime::from_secs_f64(lag.sample_s(&mut self.stores[store].lag_rng)))
            }
            Replication::Sync { degrade_lag } => {
                let reachable = replicas().all(|c| {
                    self.copy_available(model, faults, store, c)
                        && !faults.link_down(target_region, st.copies[c])
                });
                if reachable {
                    let loc = model.regions[target_region].location;
                    extra += replicas()
                        .map(|c| model.network.rtt_s(loc, model.regions[st.copies[c]].location))
                        .fold(0.0, f64::max);
                    now
                } else if let Some(lag) = degrade_lag {
                    now.plus(SimTime::from_secs_f64(lag.sample_s(&mut self.stores[store].lag_rng)))
                } else {
                    return Err(FailureCause::StoreUnavailable);
                }
            }
        };
        if apply > now && n_replicas > 0 {
            self.push_inflight_run(model, faults, now, store, target, now, apply, 1);
        }
        if let Some(slot) = self.stores[store].keys.get(key).copied() {
            if r.counted
                && let Some(w) = slot
                && w.copy as usize != target
                && now < self.effective_apply(st.copies[w.copy as usize], target_region, w.accept, w.apply)
            {
                // Two writes to one key, each accepted before the other reached its copy: last writer
                // wins, the other update is lost.
                op.lost_update = true;
            }
            self.stores[store].keys[key] = Some(KeyWrite { copy: target as u8, accept: now, apply });
        }
        if r.counted {
            op.write = true;
            if !matches!(st.replication, Replication::None) {
                op.replicated_to = replicas().map(|c| st.copies[c]).collect();
            }
        }
        op.extra = SimTime::from_secs_f64(extra);
        Ok(op)
    }

    /// Whether any link between a copy of `store` and another copy is down (replication stalls).
    fn store_partitioned(&self, model: &Model, faults: &Faults, store: usize) -> bool {
        let copies = &model.stores[store].copies;
        copies.iter().any(|&a| copies.iter().any(|&b| faults.link_down(a, b)))
    }

    /// `count` writes accepted by `copy` from `accept` on, all due at the replicas at `apply`.
    #[allow(clippy::too_many_arguments)]
    pub fn push_inflight_run(
        &mut self,
        model: &Model,
        faults: &Faults,
        now: SimTime,
        store: usize,
        copy: usize,
        accept: SimTime,
        apply: SimTime,
        count: u64,
    ) {
        let partitioned = self.store_partitioned(model, faults, store);
        let state = &mut self.stores[store];
        state.accepted[copy] += count;
        let q = &mut state.inflight[copy];
        while !partitioned && q.front().is_some_and(|run| run.apply <= now) {
            q.pop_front();
        }
        match q.back_mut() {
            Some(last) if last.apply == apply => last.count += count,
            _ => q.push_back(Run { accept, apply, count }),
        }
    }

    /// Writes accepted by `copy` that no replica has yet: those due after now, or stalled by a partition
    /// that is still on.
    fn unreplicated(&self, model: &Model, now: SimTime, store: usize, copy: usize) -> Option<Loss> {
        let stalled_since = {
            let st = &model.stores[store];
            let from = st.copies[copy];
            st.copies
                .iter()
                .filter_map(|&to| {
                    self.link_history[LinkId::between(from, to).index(self.regions)].last().copied()
                })
                .filter(|&(_, up)| up == SimTime::NEVER)
                .map(|(down, _)| down)
                .min()
        };
        let cutoff = stalled_since.map_or(now, |s| s.min(now));
        let mut loss: Option<Loss> = None;
        for run in &self.stores[store].inflight[copy] {
            if run.apply > cutoff {
                let l = loss.get_or_insert(Loss { store, count: 0, oldest: run.accept, failed_at: now });
                l.count += run.count;
                l.oldest = l.oldest.min(run.accept);
            }
        }
        loss
    }

    /// After an infrastructure change: start or cancel promotions. Returns the writes failed
    /// multi-writer copies strand, with their copies' regions.
    pub fn refresh(&mut self, model: &Model, faults: &Faults, kernel: &mut Kernel) -> Vec<(usize, Loss)> {
        let now = kernel.now;
        let mut losses = Vec::new();
        for s in 0..model.stores.len() {
            self.refresh_zonal(model, faults, kernel, s);
            let st = &model.stores[s];
            let live = !matches!(st.replication, Replication::None) && st.copies.len() > 1;
            for c in 0..st.copies.len() {
                // A copy failing over to its Multi-AZ standby keeps its writes: not a loss.
                let up = self.copy_available(model, faults, s, c) || self.zone_failing_over(s, c);
                let was = std::mem::replace(&mut self.stores[s].copy_up[c], up);
                if was && !up && st.multi_writer {
                    if let Some(loss) = self.unreplicated(model, now, s, c) {
                        losses.push((st.copies[c], loss));
                    }
                    self.stores[s].inflight[c].clear();
                }
            }
            if st.multi_writer || !live {
                continue;
            }
            let primary = self.stores[s].primary;
            let primary_up = self.copy_available(model, faults, s, primary);
            let (promoting, awaiting) = (self.stores[s].promoting, self.stores[s].awaiting_operator);
            if !primary_up && !promoting && !awaiting && !self.zone_failing_over(s, primary) {
                // What the failure strands is counted at its instant, whoever starts the promotion.
                let loss = self.unreplicated(model, now, s, primary);
                let state = &mut self.stores[s];
                state.epoch = state.epoch.wrapping_add(1);
                state.pending_loss = loss;
                if st.failover.operator().is_some() {
                    state.awaiting_operator = true;
                    self.newly_awaiting.push(s);
                } else {
                    self.start_promotion(model, kernel, s);
                }
            } else if primary_up && (promoting || awaiting) {
                let state = &mut self.stores[s];
                state.promoting = false;
                state.awaiting_operator = false;
                state.pending_loss = None;
                state.epoch = state.epoch.wrapping_add(1);
            }
        }
        losses
    }

    /// A link between regions `a` and `b` went down or came back at `now`.
    pub fn link_changed(&mut self, a: usize, b: usize, up: bool, now: SimTime) {
        let l = LinkId::between(a, b).index(self.regions);
        if !up {
            self.link_history[l].push((now, SimTime::NEVER));
            return;
        }
        let Some(last) = self.link_history[l].last_mut() else { return };
        let down_at = last.0;
        last.1 = now;
        // Replication resumes: runs due during the partition are applied from now on.
        for state in &mut self.stores {
            for q in &mut state.inflight {
                for run in q.iter_mut().filter(|r| r.apply > down_at) {
                    run.apply = run.apply.max(now);
                }
            }
        }
    }
}
