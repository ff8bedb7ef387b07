//! Probability distributions of durations: as written in files ([`DistributionSpec`]) and resolved into
//! fast samplers in seconds ([`Distribution`]).
//!
//! STUB: a helper replaces this file with the full set of distributions. The public API below is the
//! contract the rest of the crate relies on.

use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::issue::Issues;

/// A duration distribution as written in a model or scenario file, e.g. `Exponential(mean_ms: 10.0)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum DistributionSpec {
    Exponential {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mean_ms: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mean_s: Option<f64>,
    },
    Fixed {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ms: Option<f64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        s: Option<f64>,
    },
}

/// A validated distribution; samples are seconds, finite and non-negative.
#[derive(Debug, Clone, PartialEq)]
pub enum Distribution {
    Exponential { mean_s: f64 },
    Fixed { s: f64 },
}

impl DistributionSpec {
    /// Checks the parameters and builds the sampler. Every problem is pushed onto `issues` under `path`
    /// (for example `services[api].service_time`); returns `None` when there was any.
    pub fn resolve(&self, path: &str, issues: &mut Issues) -> Option<Distribution> {
        match *self {
            DistributionSpec::Exponential { mean_ms, mean_s } => match (mean_ms, mean_s) {
                (Some(ms), None) if ms > 0.0 => Some(Distribution::Exponential { mean_s: ms / 1e3 }),
                (None, Some(s)) if s > 0.0 => Some(Distribution::Exponential { mean_s: s }),
                _ => {
                    issues.push(path, "give exactly one positive mean_ms or mean_s");
                    None
                }
            },
            DistributionSpec::Fixed { ms, s } => match (ms, s) {
                (Some(ms), None) if ms >= 0.0 => Some(Distribution::Fixed { s: ms / 1e3 }),
                (None, Some(s)) if s >= 0.0 => Some(Distribution::Fixed { s }),
                _ => {
                    issues.push(path, "give exactly one non-negative ms or s");
                    None
                }
            },
        }
    }
}

impl Distribution {
    /// A constant duration [s].
    pub fn fixed(s: f64) -> Distribution {
        Distribution::Fixed { s }
    }

    /// An exponential duration with the given mean [s].
    pub fn exponential(mean_s: f64) -> Distribution {
        Distribution::Exponential { mean_s }
    }

    /// Draws one duration [s].
    pub fn sample_s<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match *self {
            Distribution::Exponential { mean_s } => {
                let e: f64 = rand_distr::Distribution::sample(&rand_distr::Exp1, rng);
                e * mean_s
            }
            Distribution::Fixed { s } => s,
        }
    }

    /// The mean [s]; `f64::INFINITY` when it does not exist.
    pub fn mean_s(&self) -> f64 {
        match *self {
            Distribution::Exponential { mean_s } => mean_s,
            Distribution::Fixed { s } => s,
        }
    }
}
