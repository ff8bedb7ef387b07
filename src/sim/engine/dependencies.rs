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
    /// Every dependency's entry is valid, or was refreshed (calls were made: see `Dependencies::take_calls`).
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
        }
    }

    /// Sampled fidelity resumes arrivals after a stretch it skipped, in which no request refreshed a
    /// cache: each entry of each instance is put where a steady stretch would have left it. An instance
    /// receiving `rate_of(i)` requests per second calls every T + Exp(λ) on average (see `need`), so at
    /// a time independent of its requests its entry is valid with probability λT/(1 + λT), for a
    /// remaining time uniform on [0, T], and expired otherwise. (Without this, every cache would be
    /// refreshed by the first request after the resume, all in phase with the resume, and a failure a
    /// lead later would find them all valid for the same time.)
    pub fn resume(&mut self, model: &Model, now: SimTime, rate_of: impl Fn(usize) -> f64) {
        if self.expiry.is_empty() {
            return;
        }
        for (i, inst) in model.instances.iter().enumerate() {
            let rate = rate_of(i);
            for &d in &model.services[inst.service].depends_on {
                let ttl_s = model.dependencies[d].cache_ttl_s;
                let valid = rate * ttl_s / (1.0 + rate * ttl_s);
                let (u, v): (f64, f64) = (self.rng.random(), self.rng.random());
                self.expiry[i * self.count + d] =
                    if u < valid { now.plus(SimTime::from_secs_f64(v * ttl_s)) } else { SimTime::ZERO };
            }
        }
    }

    /// Whether instance `i` (of a service that needs `deps`) may serve a request now: each entry still
    /// valid passes; an expired one is refreshed when `copy_up(d)` (a call, kept for `take_calls`),
    /// else the request cannot be served. A request checks its entries in dependency order and stops
    /// at the first it cannot refresh.
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
