//! Probability distributions of durations: as written in files ([`DistributionSpec`], in `spec.rs`) and
//! resolved into fast samplers in seconds ([`Distribution`], here).
//!
//! Why two types: the spec mirrors the file (one optional field per unit spelling, so a typo such as
//! `mean_sec` is rejected by the parser with its line and column), and [`DistributionSpec::resolve`]
//! turns it into a [`Distribution`] whose parameters are plain seconds and whose samplers are built
//! once. [`Distribution::sample_s`] is on the hot path of the event loop: one `match`, no allocation,
//! no `Result`.

mod resolve;
#[cfg(test)]
mod tests;

use rand::{Rng, RngExt};
use rand_distr::{Distribution as _, Exp1, StandardNormal};
use statrs::distribution::{Continuous, ContinuousCDF, Normal};

pub use crate::input::spec::distribution::DistributionSpec;

/// A validated duration distribution; samples are seconds, finite and non-negative.
///
/// Built by [`DistributionSpec::resolve`] (which checks every parameter) or, from code, by
/// [`Distribution::fixed`] and [`Distribution::exponential`].
#[derive(Debug, Clone, PartialEq)]
pub enum Distribution {
    /// Always `s` \[s\].
    Fixed {
        /// The duration \[s\].
        s: f64,
    },
    /// Exponential with mean `mean_s` \[s\].
    Exponential {
        /// The mean \[s\].
        mean_s: f64,
    },
    /// Uniform on `[min_s, max_s)` \[s\].
    Uniform {
        /// Lower bound \[s\].
        min_s: f64,
        /// Upper bound \[s\].
        max_s: f64,
    },
    /// Normal with mean `mean_s` and standard deviation `sd_s` \[s\] (both before truncation), truncated at 0
    /// by resampling. `mean_s >= 0`, so at most half the draws are rejected.
    TruncatedNormal {
        /// Mean before truncation \[s\].
        mean_s: f64,
        /// Standard deviation before truncation \[s\].
        sd_s: f64,
    },
    /// `exp(mu + sigma * Z)` with `Z` standard normal; `mu` is the log of the median \[s\].
    LogNormal {
        /// Mean of the log: the log of the median [ln s].
        mu: f64,
        /// Standard deviation of the log.
        sigma: f64,
    },
    /// Weibull with `shape` and `scale_s` \[s\].
    Weibull {
        /// Shape parameter k.
        shape: f64,
        /// Scale parameter λ \[s\].
        scale_s: f64,
        /// The sampler, built once from `shape` and `scale_s`.
        sampler: rand_distr::Weibull<f64>,
    },
    /// Gamma with `shape` and `scale_s` \[s\]; mean `shape * scale_s`.
    Gamma {
        /// Shape parameter k.
        shape: f64,
        /// Scale parameter θ \[s\].
        scale_s: f64,
        /// The sampler, built once from `shape` and `scale_s`.
        sampler: rand_distr::Gamma<f64>,
    },
    /// Pareto (type I) with `shape` and minimum `scale_s` \[s\].
    Pareto {
        /// Shape parameter α (the tail index).
        shape: f64,
        /// Scale parameter: the minimum \[s\].
        scale_s: f64,
        /// The sampler, built once from `shape` and `scale_s`.
        sampler: rand_distr::Pareto<f64>,
    },
    /// One of `samples_s` \[s\], each with equal probability.
    Empirical {
        /// The values \[s\].
        samples_s: Box<[f64]>,
    },
    /// Piecewise-linear CDF through `points` `(x [s], P(X <= x))`: x and p non-decreasing, the last p is 1.
    EmpiricalCdf {
        /// `(x [s], P(X <= x))`, in increasing order.
        points: Box<[(f64, f64)]>,
    },
}

impl Distribution {
    /// A constant duration \[s\]. Panics if `s` is negative or not finite (a bug in the caller: user input
    /// goes through [`DistributionSpec::resolve`]).
    pub fn fixed(s: f64) -> Distribution {
        assert!(s.is_finite() && s >= 0.0, "Distribution::fixed({s}): need a finite s >= 0");
        Distribution::Fixed { s }
    }

    /// An exponential duration with the given mean \[s\]. Panics if the mean is not finite and positive.
    pub fn exponential(mean_s: f64) -> Distribution {
        assert!(
            mean_s.is_finite() && mean_s > 0.0,
            "Distribution::exponential({mean_s}): need a finite mean > 0"
        );
        Distribution::Exponential { mean_s }
    }

    /// Draws one duration \[s\]: always finite and `>= 0` (a draw that overflows, possible only with extreme
    /// heavy-tailed parameters, is clamped to `f64::MAX`; [`crate::model::time::SimTime`] saturates anyway).
    #[inline]
    pub fn sample_s<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        let x = match self {
            Distribution::Fixed { s } => *s,
            Distribution::Exponential { mean_s } => {
                let e: f64 = Exp1.sample(rng);
                e * mean_s
            }
            Distribution::Uniform { min_s, max_s } => min_s + (max_s - min_s) * rng.random::<f64>(),
            Distribution::TruncatedNormal { mean_s, sd_s } => loop {
                let z: f64 = StandardNormal.sample(rng);
                let x = mean_s + sd_s * z;
                if x >= 0.0 {
                    break x;
                }
            },
            Distribution::LogNormal { mu, sigma } => {
                let z: f64 = StandardNormal.sample(rng);
                (mu + sigma * z).exp()
            }
            Distribution::Weibull { sampler, .. } => sampler.sample(rng),
            Distribution::Gamma { sampler, .. } => sampler.sample(rng),
            Distribution::Pareto { sampler, .. } => sampler.sample(rng),
            Distribution::Empirical { samples_s } => {
                // Lemire's multiply-shift: an index in 0..len from 64 random bits (bias below len / 2^64).
                let i = ((u128::from(rng.next_u64()) * samples_s.len() as u128) >> 64) as usize;
                samples_s[i]
            }
            Distribution::EmpiricalCdf { points } => inverse_cdf(points, rng.random::<f64>()),
        };
        x.min(f64::MAX)
    }

    /// The mean \[s\], from the closed form of each family; `f64::INFINITY` when it does not exist (Pareto
    /// with shape <= 1) or overflows.
    pub fn mean_s(&self) -> f64 {
        match self {
            Distribution::Fixed { s } => *s,
            Distribution::Exponential { mean_s } => *mean_s,
            Distribution::Uniform { min_s, max_s } => 0.5 * (min_s + max_s),
            Distribution::TruncatedNormal { mean_s, sd_s } => truncated_normal_mean(*mean_s, *sd_s),
            // E[exp(mu + sigma Z)] = exp(mu + sigma^2 / 2).
            Distribution::LogNormal { mu, sigma } => (mu + 0.5 * sigma * sigma).exp(),
            // E[X] = scale * Gamma(1 + 1/shape).
            Distribution::Weibull { shape, scale_s, .. } => {
                scale_s * statrs::function::gamma::gamma(1.0 + 1.0 / shape)
            }
            Distribution::Gamma { shape, scale_s, .. } => shape * scale_s,
            // E[X] = shape * scale / (shape - 1) for shape > 1, infinite otherwise.
            Distribution::Pareto { shape, scale_s, .. } if *shape > 1.0 => shape * scale_s / (shape - 1.0),
            Distribution::Pareto { .. } => f64::INFINITY,
            Distribution::Empirical { samples_s } => samples_s.iter().sum::<f64>() / samples_s.len() as f64,
            Distribution::EmpiricalCdf { points } => cdf_mean(points),
        }
    }

    /// P(X <= x_s), from the closed form of each family (the fast-forward of steady states weighs
    /// clients by it, `engine::fast_forward`).
    pub fn cdf(&self, x_s: f64) -> f64 {
        if x_s.is_nan() {
            return 0.0;
        }
        let p = match self {
            Distribution::Fixed { s } => f64::from(u8::from(x_s >= *s)),
            Distribution::Exponential { mean_s } => 1.0 - (-x_s.max(0.0) / mean_s).exp(),
            Distribution::Uniform { min_s, max_s } if max_s > min_s => (x_s - min_s) / (max_s - min_s),
            Distribution::Uniform { min_s, .. } => f64::from(u8::from(x_s >= *min_s)),
            // N(mean, sd^2) conditioned on >= 0: (Phi((x - m)/sd) - Phi(-m/sd)) / (1 - Phi(-m/sd)).
            Distribution::TruncatedNormal { mean_s, sd_s } => {
                let std = Normal::standard();
                let below_zero = std.cdf(-mean_s / sd_s);
                (std.cdf((x_s - mean_s) / sd_s) - below_zero) / (1.0 - below_zero)
            }
            Distribution::LogNormal { mu, sigma } if x_s > 0.0 => {
                Normal::standard().cdf((x_s.ln() - mu) / sigma)
            }
            Distribution::LogNormal { .. } => 0.0,
            Distribution::Weibull { shape, scale_s, .. } => {
                1.0 - (-(x_s.max(0.0) / scale_s).powf(*shape)).exp()
            }
            Distribution::Gamma { shape, scale_s, .. } if x_s > 0.0 => {
                statrs::function::gamma::gamma_lr(*shape, x_s / scale_s)
            }
            Distribution::Gamma { .. } => 0.0,
            Distribution::Pareto { shape, scale_s, .. } if x_s >= *scale_s => {
                1.0 - (scale_s / x_s).powf(*shape)
            }
            Distribution::Pareto { .. } => 0.0,
            Distribution::Empirical { samples_s } => {
                samples_s.iter().filter(|&&v| v <= x_s).count() as f64 / samples_s.len() as f64
            }
            Distribution::EmpiricalCdf { points } => piecewise_cdf(points, x_s),
        };
        p.clamp(0.0, 1.0)
    }
}

/// The piecewise-linear CDF through `points` at `x` (the inverse of [`inverse_cdf`]): 0 below the
/// first point, its p at the first x (an atom), linear between points, 1 from the last.
fn piecewise_cdf(points: &[(f64, f64)], x: f64) -> f64 {
    let i = points.partition_point(|&(px, _)| px <= x);
    if i == 0 {
        return 0.0;
    }
    let Some(&(x1, p1)) = points.get(i) else {
        return 1.0;
    };
    let (x0, p0) = points[i - 1];
    p0 + (p1 - p0) * ((x - x0) / (x1 - x0))
}

/// The mean of N(mean, sd^2) truncated to `[0, inf)`: `mean + sd * phi(a) / (1 - Phi(a))` with
/// `a = -mean / sd`, written with `phi(-a) = phi(a)` and `1 - Phi(a) = Phi(-a)` to stay accurate.
fn truncated_normal_mean(mean_s: f64, sd_s: f64) -> f64 {
    let std = Normal::standard();
    let b = mean_s / sd_s;
    mean_s + sd_s * std.pdf(b) / std.cdf(b)
}

/// The x at which the piecewise-linear CDF through `points` reaches `u` in `[0, 1)`. Below the first
/// point's p the CDF jumps from 0 (an atom at the first x); the last p is 1, so some point has `p > u`.
#[inline]
fn inverse_cdf(points: &[(f64, f64)], u: f64) -> f64 {
    let i = points.partition_point(|&(_, p)| p <= u);
    if i == 0 {
        return points[0].0;
    }
    let Some(&(x1, p1)) = points.get(i) else {
        return points[points.len() - 1].0;
    };
    let (x0, p0) = points[i - 1];
    // p0 <= u < p1, so the division is safe and the fraction is in [0, 1).
    x0 + (x1 - x0) * ((u - p0) / (p1 - p0))
}

/// The mean of the piecewise-linear CDF: the atom `p_0 * x_0` plus, for each segment, its probability
/// times its midpoint (the distribution is uniform within a segment).
fn cdf_mean(points: &[(f64, f64)]) -> f64 {
    let (x_first, p_first) = points[0];
    let segments: f64 = points.windows(2).map(|w| (w[1].1 - w[0].1) * 0.5 * (w[0].0 + w[1].0)).sum();
    p_first * x_first + segments
}
