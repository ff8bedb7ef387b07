//! Simulated time: integer nanoseconds, so event order never depends on floating-point rounding.
//!
//! Durations come out of distributions as seconds (`f64`) and are converted exactly once, here.

use std::fmt;

/// A point on the simulated clock [ns since the start of the replication].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct SimTime(pub u64);

impl SimTime {
    /// The start of the replication.
    pub const ZERO: SimTime = SimTime(0);
    /// Later than any reachable time; used for "never".
    pub const NEVER: SimTime = SimTime(u64::MAX);

    /// Converts seconds to simulated time, rounding to the nearest nanosecond. Negative or NaN inputs
    /// become zero and values past 2⁶³ ns (292 years, beyond any horizon the scenario accepts) become
    /// [`SimTime::NEVER`], so a sampled duration can never move time backwards or wrap.
    #[inline]
    pub fn from_secs_f64(s: f64) -> SimTime {
        /// 2⁶³ ns: below it the conversion goes through `i64`, one instruction on x86-64 where a
        /// saturating `f64 as u64` takes about ten (this runs several times per request).
        const SIGNED_LIMIT: f64 = 9_223_372_036_854_775_808.0;
        // `+ 0.5` then truncation rounds half up for the non-negative values that pass the check below;
        // `f64::round` is an out-of-line libm call, measurable at tens of millions of calls per second.
        let ns = s * 1e9 + 0.5;
        if (1.0..SIGNED_LIMIT).contains(&ns) {
            SimTime(ns as i64 as u64)
        } else if ns >= SIGNED_LIMIT {
            SimTime::NEVER
        } else {
            SimTime::ZERO // negative, below half a nanosecond, or NaN
        }
    }

    /// Converts milliseconds to simulated time, as [`SimTime::from_secs_f64`] does seconds.
    pub fn from_millis_f64(ms: f64) -> SimTime {
        SimTime::from_secs_f64(ms / 1e3)
    }

    /// This time in seconds \[s\].
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / 1e9
    }

    /// This time in milliseconds \[ms\].
    pub fn as_millis_f64(self) -> f64 {
        self.0 as f64 / 1e6
    }

    /// `self + d`, saturating at [`SimTime::NEVER`].
    pub fn plus(self, d: SimTime) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }

    /// `self - earlier`, zero if `earlier` is later.
    pub fn since(self, earlier: SimTime) -> SimTime {
        SimTime(self.0.saturating_sub(earlier.0))
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:.3} s", self.as_secs_f64())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversion_rounds_to_nearest_nanosecond() {
        assert_eq!(SimTime::from_secs_f64(1.5e-9), SimTime(2));
        assert_eq!(SimTime::from_millis_f64(10.0), SimTime(10_000_000));
        assert_eq!(SimTime::from_secs_f64(-3.0), SimTime::ZERO);
        assert_eq!(SimTime::from_secs_f64(f64::NAN), SimTime::ZERO);
        assert_eq!(SimTime::from_secs_f64(1e30), SimTime::NEVER);
        assert_eq!(SimTime::from_secs_f64(9.3e9), SimTime::NEVER); // past 2^63 ns
        assert_eq!(SimTime::from_secs_f64(9.2e9), SimTime(9_200_000_000_000_000_000));
    }

    #[test]
    fn arithmetic_saturates() {
        assert_eq!(SimTime::NEVER.plus(SimTime(5)), SimTime::NEVER);
        assert_eq!(SimTime(3).since(SimTime(5)), SimTime::ZERO);
    }
}
