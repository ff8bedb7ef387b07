//! Client circuit breakers, resolved: when a population's breaker for a region trips (consecutive
//! failures, or a failure ratio over a count-based window), how long it stays open, how many probes
//! it lets through half-open, and where a refused attempt goes (docs/references.md#circuit-breakers).

use crate::input::issue::{Issues, number};
use crate::input::spec::breaker::{BreakerFallbackSpec, BreakerSpec};
use crate::model::time::SimTime;

/// The largest sliding window: each (population, region) keeps one bit per attempt of it.
pub const MAX_WINDOW: u32 = 10_000;

/// What an attempt the breaker refuses does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fallback {
    /// It fails at once at the client.
    FailFast,
    /// It goes to the next region of the population's routing order whose breaker lets it through.
    NextRegion,
}

/// A population's breaker policy, one breaker per target region.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BreakerPolicy {
    /// Failed attempts in a row that trip it.
    pub consecutive_failures: u32,
    /// The failure ratio over the window that trips it, in (0, 1].
    pub failure_ratio: f64,
    /// Attempts in the sliding window.
    pub window: u32,
    /// Attempts the window must hold before the ratio can trip it.
    pub min_calls: u32,
    /// How long it stays open.
    pub open: SimTime,
    /// Probes let through when half-open.
    pub half_open_probes: u32,
    /// What a refused attempt does.
    pub fallback: Fallback,
}

impl BreakerPolicy {
    /// Resolves `spec` at `path` (`populations[NAME].breaker`), recording every problem; `None` if any.
    pub fn resolve(spec: &BreakerSpec, path: &str, issues: &mut Issues) -> Option<BreakerPolicy> {
        let before = issues.len();
        if spec.consecutive_failures == 0 {
            issues.push(format!("{path}.consecutive_failures"), "must be at least 1, got 0");
        }
        if !(spec.failure_ratio > 0.0 && spec.failure_ratio <= 1.0) {
            issues.push(
                format!("{path}.failure_ratio"),
                format!("must be in (0, 1], got {}", number(spec.failure_ratio)),
            );
        }
        if !(1..=MAX_WINDOW).contains(&spec.window) {
            issues.push(
                format!("{path}.window"),
                format!("must be from 1 to {MAX_WINDOW} attempts, got {}", spec.window),
            );
        }
        if !(1..=spec.window.max(1)).contains(&spec.min_calls) {
            issues.push(
                format!("{path}.min_calls"),
                format!("must be from 1 to the window ({}), got {}", spec.window, spec.min_calls),
            );
        }
        if !(spec.open_s.is_finite() && spec.open_s > 0.0) {
            issues.push(format!("{path}.open_s"), format!("must be above 0, got {}", number(spec.open_s)));
        }
        if spec.half_open_probes == 0 {
            issues.push(format!("{path}.half_open_probes"), "must be at least 1, got 0");
        }
        (issues.len() == before).then(|| BreakerPolicy {
            consecutive_failures: spec.consecutive_failures,
            failure_ratio: spec.failure_ratio,
            window: spec.window,
            min_calls: spec.min_calls,
            open: SimTime::from_secs_f64(spec.open_s),
            half_open_probes: spec.half_open_probes,
            fallback: match spec.fallback {
                BreakerFallbackSpec::FailFast => Fallback::FailFast,
                BreakerFallbackSpec::NextRegion => Fallback::NextRegion,
            },
        })
    }
}
