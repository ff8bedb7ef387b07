//! Estimators. Every statistic in a report is computed here, and each function says how.
//!
//! - Across replications: the mean of per-replication values with a Student-t 95% confidence interval
//!   (replications are independent and identically distributed, so the t interval is exact for normal
//!   data and asymptotically right otherwise).
//! - Latency percentiles: pooled from the merged HDR histograms of all replications (3 significant
//!   digits at microsecond resolution); the CI of p99 is the t interval of the per-replication p99s.

use hdrhistogram::Histogram;
use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, StudentsT};

/// A mean with its 95% confidence interval. With fewer than two values the interval is the point itself
/// (and the report warns).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    pub mean: f64,
    pub ci95: [f64; 2],
}

impl Estimate {
    pub fn half_width(&self) -> f64 {
        (self.ci95[1] - self.ci95[0]) / 2.0
    }
}

/// Sample mean and Student-t 95% CI: mean ± t(0.975, n−1) · s / √n, with s the sample standard deviation.
pub fn mean_ci(values: &[f64]) -> Estimate {
    let n = values.len();
    if n == 0 {
        return Estimate { mean: f64::NAN, ci95: [f64::NAN, f64::NAN] };
    }
    let mean = values.iter().sum::<f64>() / n as f64;
    if n < 2 {
        return Estimate { mean, ci95: [mean, mean] };
    }
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1) as f64;
    let half = t_quantile_975(n - 1) * (var / n as f64).sqrt();
    Estimate { mean, ci95: [mean - half, mean + half] }
}

/// The 0.975 quantile of Student's t with `dof` degrees of freedom.
pub fn t_quantile_975(dof: usize) -> f64 {
    // StudentsT::new only fails for non-positive dof or scale, excluded here.
    StudentsT::new(0.0, 1.0, dof.max(1) as f64).map_or(f64::NAN, |t| t.inverse_cdf(0.975))
}

/// Latencies of successful requests, at microsecond resolution with 3 significant digits (an HDR
/// histogram: relative error ≤ 0.1%, constant memory, mergeable).
#[derive(Debug, Clone)]
pub struct LatencyHistogram {
    hist: Histogram<u64>,
    /// Exact sum of recorded latencies [s], for an exact mean.
    sum_s: f64,
}

impl Default for LatencyHistogram {
    fn default() -> Self {
        LatencyHistogram {
            // Auto-resizing: memory grows only to the largest value recorded.
            hist: Histogram::new(3).expect("3 significant digits is a valid HDR precision"),
            sum_s: 0.0,
        }
    }
}

impl LatencyHistogram {
    pub fn record_s(&mut self, latency_s: f64) {
        let us = (latency_s * 1e6 + 0.5) as u64; // latencies are >= 0; `as` saturates
        // `record` grows the auto-resizing histogram; `saturating_record` alone would clamp to its
        // current (initially tiny) range.
        if self.hist.record(us).is_err() {
            self.hist.saturating_record(us);
        }
        self.sum_s += latency_s;
    }

    /// Adds another histogram's counts (exact: counts are integers).
    pub fn merge(&mut self, other: &LatencyHistogram) {
        // Both histograms auto-resize and share the precision, so `add` cannot fail.
        let _ = self.hist.add(&other.hist);
        self.sum_s += other.sum_s;
    }

    pub fn count(&self) -> u64 {
        self.hist.len()
    }

    pub fn mean_ms(&self) -> f64 {
        if self.count() == 0 { f64::NAN } else { self.sum_s / self.count() as f64 * 1e3 }
    }

    /// The `q`-quantile [ms] (the smallest recorded value with at least q of the counts at or below it,
    /// within the histogram's 0.1% precision); NaN when empty.
    pub fn quantile_ms(&self, q: f64) -> f64 {
        if self.count() == 0 { f64::NAN } else { self.hist.value_at_quantile(q) as f64 / 1e3 }
    }

    /// Fraction of recorded latencies at or below `ms`.
    pub fn cdf_at_ms(&self, ms: f64) -> f64 {
        if self.count() == 0 {
            return f64::NAN;
        }
        let below = self.hist.count_between(0, (ms * 1e3) as u64);
        below as f64 / self.count() as f64
    }

    /// `(latency_ms, cumulative fraction)` points of the empirical CDF, one per histogram bucket holding
    /// counts, for charts.
    pub fn cdf_points(&self) -> Vec<(f64, f64)> {
        let total = self.count() as f64;
        let mut seen = 0u64;
        self.hist
            .iter_recorded()
            .map(|v| {
                seen += v.count_at_value();
                (self.hist.highest_equivalent(v.value_iterated_to()) as f64 / 1e3, seen as f64 / total)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn t_interval_matches_a_hand_calculation() {
        // Values 1..=5: mean 3, s = sqrt(2.5) = 1.5811, t(0.975, 4) = 2.7764 (tables),
        // half-width = 2.7764 * 1.5811 / sqrt(5) = 1.9632.
        let e = mean_ci(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        assert!((e.mean - 3.0).abs() < 1e-12);
        assert!((e.half_width() - 1.9632).abs() < 1e-3, "{e:?}");
    }

    #[test]
    fn single_value_has_a_degenerate_interval() {
        let e = mean_ci(&[7.0]);
        assert_eq!(e.ci95, [7.0, 7.0]);
        assert!(mean_ci(&[]).mean.is_nan());
    }

    #[test]
    fn histogram_quantiles_are_within_its_precision() {
        let mut h = LatencyHistogram::default();
        for ms in 1..=1000 {
            h.record_s(ms as f64 / 1e3);
        }
        // Uniform 1..1000 ms: p50 = 500 ms, p99 = 990 ms; 3 significant digits.
        assert!((h.quantile_ms(0.5) - 500.0).abs() <= 0.5 + 1e-9);
        assert!((h.quantile_ms(0.99) - 990.0).abs() <= 1.0);
        assert!((h.mean_ms() - 500.5).abs() < 1e-9);
        let mut other = LatencyHistogram::default();
        other.record_s(2.0);
        h.merge(&other);
        assert_eq!(h.count(), 1001);
        assert!((h.cdf_at_ms(1000.0) - 1000.0 / 1001.0).abs() < 1e-9);
        let cdf = h.cdf_points();
        assert!((cdf.last().unwrap().1 - 1.0).abs() < 1e-12);
        assert!(cdf.windows(2).all(|w| w[0].0 <= w[1].0 && w[0].1 <= w[1].1));
    }
}
