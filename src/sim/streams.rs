//! Independent random streams (docs/architecture.md#random-streams): replication `r` of a study with master seed `seed`
//! draws each purpose's numbers for each component from its own generator, derived from
//! `(seed, r, purpose, component name)`.
//!
//! Streams are keyed by component *name*, not index, so editing one part of a model leaves every other
//! part's numbers unchanged, and two designs that share a component name (a population, a zone, a
//! service) see the same arrivals and failures: common random numbers for comparisons.

use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;

/// What a stream's numbers are for. The discriminant is part of the key: never reorder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u64)]
pub enum Purpose {
    /// Inter-arrival times of a population.
    Arrivals = 1,
    /// Service times of a deployment (`service@region`).
    ServiceTime = 2,
    /// Network jitter of a population's crossings.
    Network = 3,
    /// Times to failure of a component.
    TimeToFailure = 4,
    /// Times to repair of a component.
    TimeToRepair = 5,
    /// A population's region choice: weighted picks and DNS cache ages (per request, see [`event_uniform`]).
    Routing = 6,
    // 7 is retired (it keyed a stream of DNS staleness draws, now per request under `Routing`).
    /// Phases of a region's health checkers.
    HealthCheck = 8,
    /// Scale-up, provisioning and restore delays of a standby deployment.
    Activation = 9,
    /// A population's reads and writes: which, and which key.
    Data = 10,
    /// Replication lags of a store.
    Replication = 11,
    /// Promotion delays of a store.
    Promotion = 12,
    /// The outcomes of a population's fast-forwarded requests where counts, not expectations, matter
    /// (an incident's recovery windows).
    FastForward = 13,
    /// Phases and outcomes of a deployment's load-balancer health checks (`service@region`).
    TargetHealthCheck = 14,
    /// A deployment's random load-balancing picks and which requests its partly failing instances fail.
    Balancing = 15,
    /// A population's retry backoff jitter.
    Retry = 16,
    /// Multi-AZ failover delays of a store's copies.
    ZoneFailover = 17,
    /// Launch times of an autoscaled deployment's instances (`service@region`).
    Launch = 18,
    /// Where each instance's dependency caches stand when sampled fidelity's arrivals resume.
    DependencyCache = 19,
    /// An operator's decision times on alarms of a region (`region#runbook`, docs/architecture.md#failover-trigger).
    Decision = 20,
    /// A population's edge draws: which requests are cacheable, and which attempts hit the edge's or
    /// the origin shield's cache (docs/architecture.md#cdn).
    Cdn = 21,
}

/// The generator for one purpose of one named component in replication `replication`.
///
/// Derivation: the whole key `(seed, replication, purpose, name)` is encoded without ambiguity (fixed
/// widths, little-endian, the name length-prefixed, after a version tag) and hashed with SipHash-1-3
/// (`siphasher`, stable across Rust versions and platforms) under two fixed keys, giving the 256 bits of a
/// xoshiro256++ state. Nothing is combined algebraically before the hash, so no two keys that differ in any
/// part share a state except by a 2^-128 chance (an XOR of seed and replication, as before version 2 of
/// this function, made replication r of seed s equal replication r' of seed s' whenever s ⊕ r = s' ⊕ r').
pub fn stream(seed: u64, replication: u32, purpose: Purpose, name: &str) -> Xoshiro256PlusPlus {
    let (a, b) = key_hash(seed, replication, purpose, name, 0);
    let (c, d) = key_hash(seed, replication, purpose, name, 1);
    let mut bytes = [0u8; 32];
    for (chunk, word) in bytes.chunks_exact_mut(8).zip([a, b, c, d]) {
        chunk.copy_from_slice(&word.to_le_bytes());
    }
    Xoshiro256PlusPlus::from_seed(bytes)
}

/// A key for per-event randomness from `(seed, replication, purpose, name)`: see [`event_uniform`].
/// Derived like [`stream`], under a third hash key.
pub fn event_key(seed: u64, replication: u32, purpose: Purpose, name: &str) -> u64 {
    key_hash(seed, replication, purpose, name, 2).0
}

/// The version tag hashed before every key: a change of the derivation changes it.
const DERIVATION: &[u8; 16] = b"regionsim/rng/v2";

/// SipHash-1-3 (128-bit output) of the encoded key under fixed hash key number `which`.
fn key_hash(seed: u64, replication: u32, purpose: Purpose, name: &str, which: u64) -> (u64, u64) {
    use std::hash::Hasher;
    // Fixed, arbitrary hash keys (the first 64 hex digits of pi's fraction, per `which`): SipHash is a
    // keyed hash; here the keys only separate the three derived quantities.
    const KEYS: [(u64, u64); 3] = [
        (0x243F_6A88_85A3_08D3, 0x1319_8A2E_0370_7344),
        (0xA409_3822_299F_31D0, 0x082E_FA98_EC4E_6C89),
        (0x4528_21E6_38D0_1377, 0xBE54_66CF_34E9_0C6C),
    ];
    let (k0, k1) = KEYS[which as usize];
    let mut h = siphasher::sip128::SipHasher13::new_with_keys(k0, k1);
    h.write(DERIVATION);
    h.write(&seed.to_le_bytes());
    h.write(&replication.to_le_bytes());
    h.write(&(purpose as u64).to_le_bytes());
    h.write(&(name.len() as u64).to_le_bytes());
    h.write(name.as_bytes());
    let out = siphasher::sip128::Hasher128::finish128(&h);
    (out.h1, out.h2)
}

/// The `k`-th uniform number in [0, 1) of event `index` under `key`. Stateless: a design draws the same
/// numbers for the n-th arrival of a population whatever it drew before, so two designs compared with
/// common random numbers stay aligned even when one draws more numbers than the other, and nothing is
/// drawn for events that need nothing.
pub fn event_uniform(key: u64, index: u64, k: u64) -> f64 {
    (event_bits(key, index, k) >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// The 64 random bits behind [`event_uniform`]`(key, index, k)`, for draws that use them directly: a
/// counter-based generator, SplitMix64's finaliser (a bijection with full avalanche) applied twice over
/// the key and the counter `16 · index + k` (k < 16).
pub fn event_bits(key: u64, index: u64, k: u64) -> u64 {
    splitmix64(key ^ splitmix64(index.wrapping_mul(16).wrapping_add(k)))
}

/// A generator for event `index` under `key`, for draws that need more than a few uniforms.
pub fn event_rng(key: u64, index: u64) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(splitmix64(key ^ splitmix64(index.wrapping_mul(16).wrapping_add(15))))
}

fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::Rng;

    #[test]
    fn streams_differ_by_every_part_of_the_key_and_repeat_for_the_same_key() {
        let first = |seed, r, p, n: &str| stream(seed, r, p, n).next_u64();
        let base = first(7, 0, Purpose::Arrivals, "eu");
        assert_eq!(base, first(7, 0, Purpose::Arrivals, "eu"));
        assert_ne!(base, first(8, 0, Purpose::Arrivals, "eu"));
        assert_ne!(base, first(7, 1, Purpose::Arrivals, "eu"));
        assert_ne!(base, first(7, 0, Purpose::Network, "eu"));
        assert_ne!(base, first(7, 0, Purpose::Arrivals, "us"));
    }

    #[test]
    fn event_uniforms_are_uniform_and_distinct_per_index_and_draw() {
        let key = event_key(1, 0, Purpose::Routing, "eu");
        let n = 100_000u64;
        // Mean of U(0,1) is 1/2 with standard error sqrt(1/12/n) = 0.00091: 5 standard errors is 0.0046.
        let mean = (0..n).map(|i| event_uniform(key, i, 0)).sum::<f64>() / n as f64;
        assert!((mean - 0.5).abs() < 0.0046, "{mean}");
        assert_ne!(event_uniform(key, 7, 0), event_uniform(key, 7, 1));
        assert_ne!(event_uniform(key, 7, 0), event_uniform(key, 8, 0));
        assert_eq!(event_uniform(key, 7, 2), event_uniform(key, 7, 2));
        assert!((0..1000).all(|i| (0.0..1.0).contains(&event_uniform(key, i, 3))));
    }

    /// Regression (seeds collide): streams were seeded from `splitmix64(seed ^ replication)`, so seed 1
    /// replication 0 equalled seed 0 replication 1. Over a grid of 64 seeds × 64 replications no two
    /// (seed, replication) pairs may share a stream state or an event key.
    #[test]
    fn seeds_collide_no_more_over_a_grid_of_seeds_and_replications() {
        let mut states = std::collections::HashSet::new();
        let mut keys = std::collections::HashSet::new();
        for seed in 0..64u64 {
            for r in 0..64u32 {
                let mut g = stream(seed, r, Purpose::Arrivals, "users-us");
                assert!(states.insert((g.next_u64(), g.next_u64())), "seed {seed} replication {r}");
                assert!(keys.insert(event_key(seed, r, Purpose::Routing, "users-us")), "seed {seed} rep {r}");
            }
        }
        // The XOR pattern of the old derivation in particular.
        let first = |s, r| stream(s, r, Purpose::Arrivals, "eu").next_u64();
        assert_ne!(first(1, 0), first(0, 1));
        assert_ne!(first(2, 1), first(3, 0));
        // Names are length-prefixed: ("ab", "c") style splits cannot collide across the name boundary.
        assert_ne!(first(0, 0), stream(0, 0, Purpose::Arrivals, "e").next_u64());
    }
}
