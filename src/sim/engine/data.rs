//! Stores at the end of the request path: reads from the nearest live copy, writes at the primary (or
//! locally, for multi-writer stores), replication in flight, promotion on failover with the writes it
//! loses, and the conflicts and stale reads of multi-writer stores.
//!
//! Writes in flight are kept per source copy as `(accept, apply, count)` runs in accept order, pruned
//! from the front once applied; a failure of the source loses the runs not yet applied. Per key, the
//! last write (copy, accept, apply) tells whether a read elsewhere is stale or a write elsewhere
//! conflicts. Partitions stall replication: runs are not pruned while a link of the store is down, and
//! resume when it heals.

use std::collections::VecDeque;

use rand::rngs::Xoshiro256PlusPlus;
use rand_distr::{Distribution as _, Zipf};

use super::{Engine, Event, ReqId};
use crate::model::architecture::Model;
use crate::model::keyspace::KeyTable;
use crate::model::scenario::Scenario;
use crate::model::store::Replication;
use crate::model::time::SimTime;
use crate::sim::observation::{FailureCause, SteeringKind};
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
    pub count: u64,
    pub oldest: SimTime,
    pub failed_at: SimTime,
}

struct StoreState {
    /// Copy index of the primary.
    primary: usize,
    promoting: bool,
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
}

pub(super) struct DataState {
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
    /// Per link (`a * regions + b`, a < b): down intervals, the last open-ended while down.
    link_history: Vec<Vec<(SimTime, SimTime)>>,
    /// `by_distance[store][region]`: the store's copies nearest that region first (its own, then by
    /// round trip, then region name), computed once: the nearest live copy is the first available one.
    by_distance: Vec<Vec<Box<[usize]>>>,
}

impl DataState {
    /// Writes accepted so far, per store and copy (the fast-forward measures write rates with it).
    pub fn accepted_writes(&self) -> Vec<Vec<u64>> {
        self.stores.iter().map(|s| s.accepted.clone()).collect()
    }

    pub fn new(model: &Model, scenario: &Scenario, seed: u64, replication: u32) -> DataState {
        let named = |purpose, name: &str| stream(seed, replication, purpose, name);
        let data = &scenario.data;
        let tracked_keys = if model.path_store.is_some() { data.keys.min(50_000_000) as usize } else { 0 };
        DataState {
            stores: model
                .stores
                .iter()
                .map(|s| StoreState {
                    primary: 0,
                    promoting: false,
                    epoch: 0,
                    pending_loss: None,
                    copy_up: vec![true; s.copies.len()],
                    inflight: vec![VecDeque::new(); s.copies.len()],
                    accepted: vec![0; s.copies.len()],
                    keys: if s.copies.len() > 1 { vec![None; tracked_keys] } else { Vec::new() },
                    lag_rng: named(Purpose::Replication, &s.name),
                    promotion_rng: named(Purpose::Promotion, &s.name),
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

impl Engine<'_> {
    fn copy_available(&self, store: usize, copy: usize) -> bool {
        let st = &self.model.stores[store];
        self.region_down[st.copies[copy]] == 0 && self.store_down[st.first_copy + copy] == 0
    }

    fn link_index(&self, a: usize, b: usize) -> usize {
        a.min(b) * self.model.regions.len() + a.max(b)
    }

    /// The live copy nearest region `from` (its own first).
    fn nearest_copy(&self, store: usize, from: usize) -> Option<usize> {
        self.data.by_distance[store][from].iter().copied().find(|&c| self.copy_available(store, c))
    }

    /// When a write accepted at `accept`, due at `apply`, reaches the other side of link (a, b) given the
    /// link's outages: a partition holds it until the link heals.
    fn effective_apply(&self, a: usize, b: usize, accept: SimTime, apply: SimTime) -> SimTime {
        if a == b {
            return apply;
        }
        let mut apply = apply;
        for &(down, up) in &self.data.link_history[self.link_index(a, b)] {
            if down <= apply && up > accept {
                apply = apply.max(up);
            }
        }
        apply
    }

    /// Reads or writes at the store for a request served in `region`; on success, the time it adds.
    pub(super) fn store_operation(
        &mut self,
        req: ReqId,
        store: usize,
        region: usize,
    ) -> Result<SimTime, FailureCause> {
        let model = self.model;
        let st = &model.stores[store];
        let r = *self.requests.get(req);
        let p = r.population as usize;
        let mut extra = st.op_time.sample_s(&mut self.data.op_rng[p]);
        let target = if r.write && !st.multi_writer {
            let primary = self.data.stores[store].primary;
            if self.data.stores[store].promoting || !self.copy_available(store, primary) {
                return Err(FailureCause::StoreUnavailable);
            }
            primary
        } else {
            self.nearest_copy(store, region).ok_or(FailureCause::StoreUnavailable)?
        };
        let target_region = st.copies[target];
        if target_region != region {
            if self.link_is_down(region, target_region) {
                return Err(FailureCause::Partition);
            }
            self.charge_crossing(req, region, target_region);
            extra +=
                model.network.rtt_s(model.regions[region].location, model.regions[target_region].location);
        }
        let key = r.key as usize;
        if !r.write {
            if r.counted {
                self.add_tally(&r, |t| t.reads += 1.0);
                if let Some(Some(w)) = self.data.stores[store].keys.get(key).copied()
                    && w.copy as usize != target
                    && self.now
                        < self.effective_apply(st.copies[w.copy as usize], target_region, w.accept, w.apply)
                {
                    self.add_tally(&r, |t| t.stale_reads += 1.0);
                }
            }
            return Ok(SimTime::from_secs_f64(extra));
        }

        // A write: replicate, then check for a conflict with the key's last write.
        let replicas = || (0..st.copies.len()).filter(move |&c| c != target);
        let n_replicas = st.copies.len() - 1;
        let apply = match &st.replication {
            Replication::None => self.now,
            Replication::Backup { interval_s } => {
                let t = self.now.as_secs_f64();
                SimTime::from_secs_f64(((t / interval_s).floor() + 1.0) * interval_s)
            }
            Replication::Async { lag } => {
                self.now.plus(SimTime::from_secs_f64(lag.sample_s(&mut self.data.stores[store].lag_rng)))
            }
            Replication::Sync { degrade_lag } => {
                let reachable = replicas().all(|c| {
                    self.copy_available(store, c) && !self.link_is_down(target_region, st.copies[c])
                });
                if reachable {
                    let loc = model.regions[target_region].location;
                    extra += replicas()
                        .map(|c| model.network.rtt_s(loc, model.regions[st.copies[c]].location))
                        .fold(0.0, f64::max);
                    self.now
                } else if let Some(lag) = degrade_lag {
                    self.now.plus(SimTime::from_secs_f64(lag.sample_s(&mut self.data.stores[store].lag_rng)))
                } else {
                    return Err(FailureCause::StoreUnavailable);
                }
            }
        };
        if apply > self.now && n_replicas > 0 {
            self.push_inflight(store, target, apply);
        }
        if let Some(slot) = self.data.stores[store].keys.get(key).copied() {
            if r.counted
                && let Some(w) = slot
                && w.copy as usize != target
                && self.now
                    < self.effective_apply(st.copies[w.copy as usize], target_region, w.accept, w.apply)
            {
                // Two writes to one key, each accepted before the other reached its copy: last writer
                // wins, the other update is lost.
                self.add_tally(&r, |t| t.lost_updates += 1.0);
            }
            self.data.stores[store].keys[key] =
                Some(KeyWrite { copy: target as u8, accept: self.now, apply });
        }
        if r.counted {
            let replicated = !matches!(st.replication, Replication::None);
            let regions = model.regions.len();
            let bytes = st.write_bytes as f64;
            let targets: Vec<usize> =
                if replicated { replicas().map(|c| st.copies[c]).collect() } else { Vec::new() };
            self.add_tally(&r, |u| {
                u.writes += 1.0;
                u.replicated_writes += targets.len() as f64;
                for &to in &targets {
                    u.add_transfer(regions, target_region, to, bytes);
                }
            });
        }
        Ok(SimTime::from_secs_f64(extra))
    }

    /// Whether any link between a copy of `store` and another copy is down (replication stalls).
    fn store_partitioned(&self, store: usize) -> bool {
        let copies = &self.model.stores[store].copies;
        copies.iter().any(|&a| copies.iter().any(|&b| self.link_is_down(a, b)))
    }

    fn push_inflight(&mut self, store: usize, copy: usize, apply: SimTime) {
        self.push_inflight_run(store, copy, self.now, apply, 1);
    }

    /// `count` writes accepted by `copy` from `accept` on, all due at the replicas at `apply`.
    pub(super) fn push_inflight_run(
        &mut self,
        store: usize,
        copy: usize,
        accept: SimTime,
        apply: SimTime,
        count: u64,
    ) {
        let partitioned = self.store_partitioned(store);
        let now = self.now;
        let state = &mut self.data.stores[store];
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
    fn unreplicated(&self, store: usize, copy: usize) -> Option<Loss> {
        let stalled_since = {
            let st = &self.model.stores[store];
            let from = st.copies[copy];
            st.copies
                .iter()
                .filter_map(|&to| self.data.link_history[self.link_index(from, to)].last().copied())
                .filter(|&(_, up)| up == SimTime::NEVER)
                .map(|(down, _)| down)
                .min()
        };
        let cutoff = stalled_since.map_or(self.now, |s| s.min(self.now));
        let mut loss: Option<Loss> = None;
        for run in &self.data.stores[store].inflight[copy] {
            if run.apply > cutoff {
                let l = loss.get_or_insert(Loss { count: 0, oldest: run.accept, failed_at: self.now });
                l.count += run.count;
                l.oldest = l.oldest.min(run.accept);
            }
        }
        loss
    }

    /// After an infrastructure change: start or cancel promotions, and count the writes a failed
    /// multi-writer copy strands.
    pub(super) fn refresh_stores(&mut self) {
        for s in 0..self.model.stores.len() {
            let st = &self.model.stores[s];
            let live = !matches!(st.replication, Replication::None) && st.copies.len() > 1;
            for c in 0..st.copies.len() {
                let up = self.copy_available(s, c);
                let was = std::mem::replace(&mut self.data.stores[s].copy_up[c], up);
                if was && !up && st.multi_writer {
                    if let Some(loss) = self.unreplicated(s, c) {
                        self.record_loss(st.copies[c], loss);
                    }
                    self.data.stores[s].inflight[c].clear();
                }
            }
            if st.multi_writer || !live {
                continue;
            }
            let primary = self.data.stores[s].primary;
            let primary_up = self.copy_available(s, primary);
            let state = &self.data.stores[s];
            if !primary_up && !state.promoting {
                let loss = self.unreplicated(s, primary);
                let delay = st.promotion.sample_s(&mut self.data.stores[s].promotion_rng);
                let state = &mut self.data.stores[s];
                state.promoting = true;
                state.epoch = state.epoch.wrapping_add(1);
                state.pending_loss = loss;
                let epoch = state.epoch;
                self.infra.schedule(
                    self.now.plus(SimTime::from_secs_f64(delay)),
                    Event::Promote { store: s as u32, epoch },
                );
            } else if primary_up && state.promoting {
                let state = &mut self.data.stores[s];
                state.promoting = false;
                state.pending_loss = None;
                state.epoch = state.epoch.wrapping_add(1);
            }
        }
    }

    pub(super) fn on_promote(&mut self, s: usize, epoch: u32) {
        let state = &self.data.stores[s];
        if epoch != state.epoch || !state.promoting {
            return;
        }
        let st = &self.model.stores[s];
        let old = state.primary;
        let Some(target) = self.nearest_copy(s, st.copies[old]) else {
            // No replica is up either: try again at the next change.
            let state = &mut self.data.stores[s];
            state.promoting = false;
            return;
        };
        let state = &mut self.data.stores[s];
        state.primary = target;
        state.promoting = false;
        state.inflight[old].clear();
        if let Some(loss) = state.pending_loss.take() {
            self.record_loss(st.copies[old], loss);
        }
        self.record_steering(
            SteeringKind::Promotion,
            format!("store:{}@{}", st.name, self.model.regions[st.copies[target]].name),
        );
    }

    /// A link between regions `a` and `b` went down or came back.
    pub(super) fn link_changed(&mut self, a: usize, b: usize, up: bool) {
        let l = self.link_index(a, b);
        if !up {
            self.data.link_history[l].push((self.now, SimTime::NEVER));
            return;
        }
        let now = self.now;
        let Some(last) = self.data.link_history[l].last_mut() else { return };
        let down_at = last.0;
        last.1 = now;
        // Replication resumes: runs due during the partition are applied from now on.
        for state in &mut self.data.stores {
            for q in &mut state.inflight {
                for run in q.iter_mut().filter(|r| r.apply > down_at) {
                    run.apply = run.apply.max(now);
                }
            }
        }
    }
}
