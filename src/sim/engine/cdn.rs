//! The edge tier of populations with a CDN (docs/architecture.md#cdn): which requests are cacheable,
//! and whether an attempt is answered from the edge's cache, the origin shield's, or goes to the
//! origin. Each draw is per request, keyed by the population's name and the request's index (common
//! random numbers: two designs with the same population draw the same hits). The edge keeps no state
//! that changes what traffic experiences: hits are a steady random thinning, so it declares no change
//! to the kernel.

use crate::model::architecture::Model;
use crate::sim::streams::{Purpose, event_key, event_uniform};

/// Where an attempt's response comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// The edge's cache.
    Edge,
    /// The origin shield's cache.
    Shield,
    /// The origin.
    Origin,
}

/// Each population's key for its edge draws.
pub struct Edges {
    keys: Vec<u64>,
}

impl Edges {
    pub fn new(model: &Model, seed: u64, replication: u32) -> Edges {
        let keys =
            model.populations.iter().map(|p| event_key(seed, replication, Purpose::Cdn, &p.name)).collect();
        Edges { keys }
    }

    /// Whether request `index` of population `p` is cacheable (`false` without a CDN).
    pub fn cacheable(&self, model: &Model, p: usize, index: u64) -> bool {
        model.populations[p]
            .cdn
            .as_ref()
            .is_some_and(|c| event_uniform(self.keys[p], index, 0) < c.cacheable_share)
    }

    /// Where attempt `attempt` of cacheable request `index` of population `p` is answered.
    pub fn lookup(&self, model: &Model, p: usize, index: u64, attempt: u8) -> Lookup {
        let Some(cdn) = &model.populations[p].cdn else {
            return Lookup::Origin;
        };
        let k = 1 + 2 * u64::from(attempt);
        if event_uniform(self.keys[p], index, k) < cdn.hit_ratio {
            return Lookup::Edge;
        }
        match cdn.shield {
            Some(s) if event_uniform(self.keys[p], index, k + 1) < s.hit_ratio => Lookup::Shield,
            _ => Lookup::Origin,
        }
    }
}
