//! Independent random streams (DESIGN.md decision 4): replication `r` of a study with master seed `seed`
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
}

/// The generator for one purpose of one named component in replication `replication`.
///
/// Derivation: FNV-1a (stable across Rust versions and platforms, unlike `std`'s hasher) turns the name
/// into 64 bits; SplitMix64 mixes seed, replication, purpose and name hash into the four 64-bit words of a
/// xoshiro256++ state. SplitMix64 is the seeding function xoshiro's authors recommend.
pub fn stream(seed: u64, replication: u32, purpose: Purpose, name: &str) -> Xoshiro256PlusPlus {
    let mut state = seed;
    let mut mix = |x: u64| {
        state = splitmix64(state ^ x);
        state
    };
    mix(replication as u64);
    mix(purpose as u64);
    let h = mix(fnv1a(name.as_bytes()));
    let mut bytes = [0u8; 32];
    for (i, chunk) in bytes.chunks_exact_mut(8).enumerate() {
        chunk.copy_from_slice(&splitmix64(h.wrapping_add(i as u64)).to_le_bytes());
    }
    Xoshiro256PlusPlus::from_seed(bytes)
}

/// A key for per-event randomness from `(seed, replication, purpose, name)`: see [`event_uniform`].
pub fn event_key(seed: u64, replication: u32, purpose: Purpose, name: &str) -> u64 {
    let mut state = seed;
    for x in [replication as u64, purpose as u64, fnv1a(name.as_bytes())] {
        state = splitmix64(state ^ x);
    }
    state
}

/// The `k`-th uniform number in [0, 1) of event `index` under `key`. Stateless: a design draws the same
/// numbers for the n-th arrival of a population whatever it drew before, so two designs compared with
/// common random numbers stay aligned even when one draws more numbers than the other, and nothing is
/// drawn for events that need nothing.
pub fn event_uniform(key: u64, index: u64, k: u64) -> f64 {
    (event_bits(key, index, k) >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
}

/// The 64 random bits behind [`event_uniform`]`(key, index, k)`, for draws that use them directly.
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

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3))
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

    #[test]
    fn fnv1a_matches_the_reference_vector() {
        // FNV-1a 64 of "a" is 0xaf63dc4c8601ec8c (from the FNV reference test suite).
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
