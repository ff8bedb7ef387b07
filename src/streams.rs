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
    /// A population's region choice: weighted picks and DNS cache ages.
    Routing = 6,
    /// Extra staleness of a population's TTL-violating clients.
    Staleness = 7,
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
    fn fnv1a_matches_the_reference_vector() {
        // FNV-1a 64 of "a" is 0xaf63dc4c8601ec8c (from the FNV reference test suite).
        assert_eq!(fnv1a(b"a"), 0xaf63_dc4c_8601_ec8c);
    }
}
