//! Dependencies: each instance's client-side cache of what it got from each dependency its service
//! needs (a token, a data key), as the time it expires. A request an instance serves needs a valid
//! cache entry for each; an expired one is refreshed by a call to the dependency's copy for the
//! instance's region, which fails the request when that copy is down (`dependency_unavailable`).
//! Which copy is up is the caller's to say (the faults table, read by `journey`).

use rand::RngExt as _;
use rand::rngs::Xoshiro256PlusPlus;

use crate::model::architecture::Model;
use crate::model::time::SimTime;
use crate::sim::streams::{Purpose, stream};

/// What an instance's caches say about a request it is about to serve.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Need {
    /// Every dependency's entry is valid, or was refreshed (calls were made: see `Dependencies::calls`).
    Met,
    /// Dependency `d`'s entry had expired and its copy was down.
    Unavailable(usize),
}

/// The caches of every instance, for every dependency.
pub(super) struct Dependencies {
    /// `expiry[i * dependencies + d]`: when instance `i`'s entry for dependency `d` expires (`ZERO`: it
    /// has none). Empty when the model has no dependency.
    expiry: Vec<SimTime>,
    /// The model's number of dependencies.
    count: usize,
    /// Each dependency's cache TTL.
    ttl: Vec<SimTime>,
    /// The calls the last `need` made, by dependency (for the caller's tallies).
    calls: Vec<usize>,
    /// Draws where the caches stand after a fast-forwarded stretch (`resume`).
    rng: Xoshiro256PlusPlus,
    /// While sampled fidelity skips requests: each instance's requests per second in the window before
    /// (the caches are stale until `resume`).
    skipping: Option<Vec<f64>>,
}

impl Dependencies {
    pub fn new(model: &Model, seed: u64, replication: u32) -> Dependencies {
        let count = model.dependencies.len();
        let used = model.services.iter().any(|s| !s.depends_on.is_empty());
        Dependencies {
            expiry: if used { vec![SimTime::ZERO; model.instances.len() * count] } else { Vec::new() },
            count,
            ttl: model.dependencies.iter().map(|d| SimTime::from_secs_f64(d.cache_ttl_s)).collect(),
            calls: Vec::new(),
            rng: stream(seed, replication, Purpose::DependencyCache, "caches"),
            skipping: None,
        }
    }

    /// Sampled fidelity stops arrivals: no request refreshes a cache until `resume`; instance `i`
    /// received `rates[i]` requests per second before.
    pub fn begin_skip(&mut self, rates: Vec<f64>) {
        if !self.expiry.is_empty() {
            self.skipping = Some(rates);
        }
    }

    /// The skip of requests ends now (or something changes inside it): each entry whose copy was up
    /// (`copy_up(i, d)`: throughout the skip, since a change ends it) is put where a steady stretch would
    /// have left it. An instance receiving λ requests per second calls every T + Exp(λ) on average (see
    /// `need`), so at a time independent of its requests its entry is valid with probability
    /// λT/(1 + λT), for a remaining time uniform on [0, T], and expired otherwise. (Without this every
    /// cache would be refreshed by the first request after the skip, all in phase with it, and a failure
    /// a lead later would find them all valid for the same time.) An entry whose copy was down keeps its
    /// state: nothing could refresh it, and its expiry was declared. Returns whether it was skipping.
    pub fn resume(&mut self, model: &Model, now: SimTime, copy_up: impl Fn(usize, usize) -> bool) -> bool {
        let Some(rates) = self.skipping.take() else { return false };
        for (i, inst) in model.instances.iter().enumerate() {
            for &d in &model.services[inst.service].depends_on {
                if !copy_up(i, d) {
                    continue;
                }
                let ttl_s = model.dependencies[d].cache_ttl_s;
                let valid = rates[i] * ttl_s / (1.0 + rates[i] * ttl_s);
                let (u, v): (f64, f64) = (self.rng.random(), self.rng.random());
                self.expiry[i * self.count + d] =
                    if u < valid { now.plus(SimTime::from_secs_f64(v * ttl_s)) } else { SimTime::ZERO };
            }
        }
        true
    }

    /// Whether instance `i` (of a service that needs `deps`) may serve a request now: each entry still
    /// valid passes; an expired one is refreshed when `copy_up(d)` (a call, kept for `calls`), else the
    /// request cannot be served. A request checks its entries in dependency order and stops at the
    /// first it cannot refresh.
    #[inline]
    pub fn need(&mut self, i: usize, deps: &[usize], now: SimTime, copy_up: impl Fn(usize) -> bool) -> Need {
        self.calls.clear();
        for &d in deps {
            let slot = &mut self.expiry[i * self.count + d];
            if now < *slot {
                continue;
            }
            if !copy_up(d) {
                return Need::Unavailable(d);
            }
            *slot = now.plus(self.ttl[d]);
            self.calls.push(d);
        }
        Need::Met
    }

    /// The dependencies the last `need` called.
    pub fn calls(&self) -> &[usize] {
        &self.calls
    }

    /// Instance `i` stopped (crashed, or scaled in): a process that starts again has an empty cache.
    pub fn forget(&mut self, i: usize) {
        if !self.expiry.is_empty() {
            let k = i * self.count;
            self.expiry[k..k + self.count].fill(SimTime::ZERO);
        }
    }

    /// When instance `i`'s entry for dependency `d` expires, if it is still valid at `now`.
    pub fn valid_until(&self, i: usize, d: usize, now: SimTime) -> Option<SimTime> {
        let at = *self.expiry.get(i * self.count + d)?;
        (at > now).then_some(at)
    }
}
