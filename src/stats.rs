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
    t_quantile_975_real(dof.max(1) as f64)
}

/// The 0.975 quantile of Student's t with a real number of degrees of freedom (Welch's interval has one).
fn t_quantile_975_real(dof: f64) -> f64 {
    // StudentsT::new only fails for non-positive dof or scale, excluded here.
    StudentsT::new(0.0, 1.0, dof.max(1.0)).map_or(f64::NAN, |t| t.inverse_cdf(0.975))
}

/// The mean difference `a − b` of paired observations (`a[i]` and `b[i]` from the same replication, so
/// with common random numbers) and its paired-t 95% CI: d̄ ± t(0.975, n−1) · s_d / √n over the
/// per-pair differences d_i = a_i − b_i. Pairs where either side is missing are dropped. Positive
/// correlation between the sides (what common random numbers buy) makes s_d, and the interval, small.
pub fn paired_ci(a: &[Option<f64>], b: &[Option<f64>]) -> Estimate {
    let d: Vec<f64> =
        a.iter().zip(b).filter_map(|(x, y)| Some((*x)? - (*y)?)).filter(|d| d.is_finite()).collect();
    mean_ci(&d)
}

/// The difference of means `mean(a) − mean(b)` of two independent samples and Welch's 95% CI:
/// ± t(0.975, ν) · √(s_a²/n_a + s_b²/n_b), ν by the Welch–Satterthwaite formula. This is the interval
/// a comparison would have without pairing; shown beside the paired one for contrast.
pub fn welch_ci(a: &[f64], b: &[f64]) -> Estimate {
    let stats = |v: &[f64]| {
        let n = v.len() as f64;
        let m = v.iter().sum::<f64>() / n;
        let var = if v.len() < 2 { 0.0 } else { v.iter().map(|x| (x - m).powi(2)).sum::<f64>() / (n - 1.0) };
        (n, m, var)
    };
    if a.is_empty() || b.is_empty() {
        return Estimate { mean: f64::NAN, ci95: [f64::NAN, f64::NAN] };
    }
    let ((na, ma, va), (nb, mb, vb)) = (stats(a), stats(b));
    let mean = ma - mb;
    let (qa, qb) = (va / na, vb / nb);
    let se2 = qa + qb;
    if a.len() < 2 || b.len() < 2 || se2 == 0.0 {
        return Estimate { mean, ci95: [mean, mean] };
    }
    let dof = se2 * se2 / (qa * qa / (na - 1.0) + qb * qb / (nb - 1.0));
    let half = t_quantile_975_real(dof) * se2.sqrt();
    Estimate { mean, ci95: [mean - half, mean + half] }
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

    /// Adds `other`'s distribution scaled to `n` recordings: each bucket gets its share of `n`, rounded
    /// with the error carried from bucket to bucket so the total is `n` (within one) and no bucket is
    /// more than one count off. The fast-forward of steady states uses it to stand a sampled window's
    /// latencies in for the requests it skipped.
    pub fn add_scaled(&mut self, other: &LatencyHistogram, n: f64) {
        let total = other.count();
        if total == 0 || n.is_nan() || n <= 0.0 {
            return;
        }
        let factor = n / total as f64;
        let mut carry = 0.0;
        for v in other.hist.iter_recorded() {
            let exact = v.count_at_value() as f64 * factor + carry;
            let whole = exact.round().max(0.0);
            carry = exact - whole;
            if whole > 0.0 {
                let value = v.value_iterated_to();
                if self.hist.record_n(value, whole as u64).is_err() {
                    self.hist.saturating_record_n(value, whole as u64);
                }
            }
        }
        self.sum_s += other.sum_s * factor;
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
    fn a_scaled_histogram_keeps_the_shape_and_the_total() {
        let mut window = LatencyHistogram::default();
        for ms in 1..=1000 {
            window.record_s(ms as f64 / 1e3);
        }
        let mut skipped = LatencyHistogram::default();
        skipped.add_scaled(&window, 25_000.0);
        // 25 copies of 1..=1000 ms: the count, mean and percentiles of the original, within HDR's 0.1%.
        assert!((skipped.count() as f64 - 25_000.0).abs() <= 1.0, "{}", skipped.count());
        assert!((skipped.mean_ms() - 500.5).abs() < 0.5, "{}", skipped.mean_ms());
        for q in [0.5, 0.9, 0.99] {
            let (a, b) = (skipped.quantile_ms(q), window.quantile_ms(q));
            assert!((a - b).abs() <= 0.002 * b, "q {q}: {a} vs {b}");
        }
        let mut none = LatencyHistogram::default();
        none.add_scaled(&LatencyHistogram::default(), 10.0);
        assert_eq!(none.count(), 0);
    }

    #[test]
    fn t_interval_matches_a_hand_calculation() {
        // Values 1..=5: mean 3, s = sqrt(2.5) = 1.5811, t(0.975, 4) = 2.7764 (tables),
        // half-width = 2.7764 * 1.5811 / sqrt(5) = 1.9632.
        let e = mean_ci(&[1.0, 2.0, 3.0, 4.0, 5.0]);
        assert!((e.mean - 3.0).abs() < 1e-12);
        assert!((e.half_width() - 1.9632).abs() < 1e-3, "{e:?}");
    }

    #[test]
    fn paired_interval_matches_a_hand_calculation() {
        // a = 10, 12, 15, 11, 17; b = 9, 11, 13, 11, 14: d = 1, 1, 2, 0, 3, mean 1.4,
        // s_d = sqrt(((-.4)² + (-.4)² + .6² + (-1.4)² + 1.6²) / 4) = sqrt(5.2 / 4) = 1.1402,
        // half-width = t(0.975, 4) 2.7764 * 1.1402 / sqrt(5) = 1.4158. A missing pair is dropped.
        let a = [Some(10.0), Some(12.0), Some(15.0), Some(11.0), Some(17.0), None];
        let b = [Some(9.0), Some(11.0), Some(13.0), Some(11.0), Some(14.0), Some(1.0)];
        let e = paired_ci(&a, &b);
        assert!((e.mean - 1.4).abs() < 1e-12);
        assert!((e.half_width() - 1.4158).abs() < 1e-3, "{e:?}");
    }

    #[test]
    fn welch_interval_matches_a_hand_calculation() {
        // Same numbers unpaired: mean a = 13, s_a² = (9 + 1 + 4 + 4 + 16) / 4 = 8.5; mean b = 11.6,
        // s_b² = (6.76 + .36 + 1.96 + .36 + 5.76) / 4 = 3.8. se² = 8.5/5 + 3.8/5 = 2.46, se = 1.5684.
        // ν = 2.46² / ((1.7² + .76²) / 4) = 6.0516 / 0.8669 = 6.981; t(0.975, 6.981) ≈ 2.3660
        // (tables: 2.4469 at 6, 2.3646 at 7; interpolated in 1/ν), half-width ≈ 2.3660 * 1.5684 = 3.711.
        let e = welch_ci(&[10.0, 12.0, 15.0, 11.0, 17.0], &[9.0, 11.0, 13.0, 11.0, 14.0]);
        assert!((e.mean - 1.4).abs() < 1e-12);
        assert!((e.half_width() - 3.711).abs() < 3e-3, "{e:?}");
        // The paired interval of the same numbers is far narrower: the pairs move together.
        let paired =
            paired_ci(&[10.0, 12.0, 15.0, 11.0, 17.0].map(Some), &[9.0, 11.0, 13.0, 11.0, 14.0].map(Some));
        assert!(paired.half_width() < e.half_width() / 2.0);
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
