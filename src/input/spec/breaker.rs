//! A population's circuit breaker as written: when it trips, how long it stays open, how it probes,
//! and what an attempt it refuses does instead.

use serde::{Deserialize, Serialize};

/// A circuit breaker per (population, target region), as clients' libraries keep one per endpoint.
/// Defaults: resilience4j's `CircuitBreakerConfig` for the error ratio, the open interval and the
/// half-open probes, Envoy's `consecutive_5xx` for consecutive failures
/// (docs/references.md#circuit-breakers).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BreakerSpec {
    /// Trip after this many failed attempts in a row, at least 1. Default 5.
    #[serde(default = "BreakerSpec::default_consecutive_failures")]
    pub consecutive_failures: u32,
    /// Trip when at least this share of the last `window` attempts failed, in (0, 1]. Default 0.5.
    #[serde(default = "BreakerSpec::default_failure_ratio")]
    pub failure_ratio: f64,
    /// Attempts the failure ratio is computed over (a count-based sliding window), 1 to 10,000.
    /// Default 100.
    #[serde(default = "BreakerSpec::default_window")]
    pub window: u32,
    /// Attempts the window must hold before the ratio can trip it, 1 to `window`. Default 100.
    #[serde(default = "BreakerSpec::default_min_calls")]
    pub min_calls: u32,
    /// How long it stays open before letting probes through \[s\], above 0. Default 60.
    #[serde(default = "BreakerSpec::default_open_s")]
    pub open_s: f64,
    /// Attempts let through once half-open, at least 1: it closes when all succeed and opens again at
    /// the first failure. Default 10.
    #[serde(default = "BreakerSpec::default_half_open_probes")]
    pub half_open_probes: u32,
    /// What an attempt the breaker refuses does. Default `FailFast`.
    #[serde(default, skip_serializing_if = "BreakerFallbackSpec::is_fail_fast")]
    pub fallback: BreakerFallbackSpec,
}

impl BreakerSpec {
    fn default_consecutive_failures() -> u32 {
        5
    }
    fn default_failure_ratio() -> f64 {
        0.5
    }
    fn default_window() -> u32 {
        100
    }
    fn default_min_calls() -> u32 {
        100
    }
    fn default_open_s() -> f64 {
        60.0
    }
    fn default_half_open_probes() -> u32 {
        10
    }
}

/// What a refused attempt does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum BreakerFallbackSpec {
    /// It fails at once at the client (`breaker_open`), costing no network time.
    #[default]
    FailFast,
    /// It goes to the next region of the population's routing order (the failover order, else by
    /// round trip from the clients) whose breaker lets it through; it fails fast when none does.
    NextRegion,
}

impl BreakerFallbackSpec {
    fn is_fail_fast(&self) -> bool {
        *self == BreakerFallbackSpec::FailFast
    }
}
