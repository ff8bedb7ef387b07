//! Estimators. Every statistic in a report is computed here, and each function says how.
//!
//! - Across replications: the mean of per-replication values with a Student-t 95% confidence interval
//!   (replications are independent and identically distributed, so the t interval is exact for normal
//!   data and asymptotically right otherwise).
//! - Per-incident metrics (detection, RTO, RPO): the pooled mean over every incident of every
//!   replication (a ratio: their sum over their count), with a CI clustered by replication
//!   ([`ratio_ci`]): incidents of one replication share its state and are not independent.
//! - Latency percentiles: pooled from the merged HDR histograms of all replications (3 significant
//!   digits at microsecond resolution), reported at the middle of their bucket; their CI inverts the
//!   replication-clustered CI of the pooled CDF ([`CdfGrid`]), and is never narrower than the bucket.
//! - Every interval is clamped to its metric's domain ([`Domain`]): an availability's to [0, 1], a
//!   duration's or a count's to [0, ∞).

use serde::{Deserialize, Serialize};

use crate::sim::histogram::LatencyHistogram;
use statrs::distribution::{ContinuousCDF, StudentsT};

/// A mean with its 95% confidence interval. With fewer than two values the interval is the point itself
/// (and the report warns).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// The point estimate.
    pub mean: f64,
    /// The 95% confidence interval, `[low, high]`.
    pub ci95: [f64; 2],
}

impl Estimate {
    /// Half the interval's width.
    pub fn half_width(&self) -> f64 {
        (self.ci95[1] - self.ci95[0]) / 2.0
    }

    /// Whether the interval says anything (at least two values, or a known spread).
    pub fn has_ci(&self) -> bool {
        self.ci95[0] < self.ci95[1]
    }

    /// The estimate with its interval clamped to `domain` (the mean too, which is there already unless
    /// rounding put it a hair outside).
    pub fn within(self, domain: Domain) -> Estimate {
        let (lo, hi) = domain.bounds();
        let c = |v: f64| v.clamp(lo, hi);
        Estimate { mean: c(self.mean), ci95: [c(self.ci95[0]), c(self.ci95[1])] }
    }
}

/// Where a metric's values can lie: an interval is never reported outside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Domain {
    /// Any real number (a difference).
    Real,
    /// Durations, counts, money: [0, ∞).
    NonNegative,
    /// Probabilities, availabilities, shares: [0, 1].
    Unit,
}

impl Domain {
    fn bounds(self) -> (f64, f64) {
        match self {
            Domain::Real => (f64::NEG_INFINITY, f64::INFINITY),
            Domain::NonNegative => (0.0, f64::INFINITY),
            Domain::Unit => (0.0, 1.0),
        }
    }
}

/// [`mean_ci`] of the finite values, clamped to `domain`; `None` when there is none.
pub fn estimate(values: &[f64], domain: Domain) -> Option<Estimate> {
    let finite: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
    (!finite.is_empty()).then(|| mean_ci(&finite).within(domain))
}

/// The pooled mean of a quantity measured on a varying number of units per replication (incidents,
/// requests): `Σ sums / Σ counts` over `groups` = `(sum, count)` per replication, with a 95% CI
/// clustered by replication (the ratio estimator's cluster-robust variance, CR1:
/// `R/(R−1) · Σ_r (sum_r − mean · count_r)² / (Σ count)²`, Student-t with R − 1 degrees of freedom,
/// R the replications with at least one unit). Units of one replication share its history (checker
/// phases, queue states), so treating them as independent overstates the confidence. `None` when no
/// replication has a unit.
pub fn ratio_ci(groups: &[(f64, f64)], domain: Domain) -> Option<Estimate> {
    let used: Vec<(f64, f64)> = groups.iter().copied().filter(|&(s, n)| n > 0.0 && s.is_finite()).collect();
    let total_n: f64 = used.iter().map(|g| g.1).sum();
    if used.is_empty() || total_n <= 0.0 {
        return None;
    }
    let mean = used.iter().map(|g| g.0).sum::<f64>() / total_n;
    let r = used.len();
    if r < 2 {
        return Some(Estimate { mean, ci95: [mean, mean] }.within(domain));
    }
    let residual: f64 = used.iter().map(|&(s, n)| (s - mean * n).powi(2)).sum();
    let var = r as f64 / (r - 1) as f64 * residual / (total_n * total_n);
    let half = t_quantile_975(r - 1) * var.sqrt();
    Some(Estimate { mean, ci95: [mean - half, mean + half] }.within(domain))
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

/// Grid points of [`CdfGrid`]: 1 µs × 1.01^k up to 10^5 s (a 1% grid, 2,546 points).
const CDF_GRID_POINTS: usize = 2_546;
const CDF_GRID_RATIO: f64 = 1.01;

/// The pieces of the replication-clustered CI of a pooled latency CDF, on a fixed 1% grid of latencies,
/// summed replication by replication (memory does not grow with the replications, and shards merge by
/// adding): for each grid point x, with c_r(x) the successes of replication r at or below x and n_r its
/// successes, Σ c_r, Σ c_r², Σ c_r·n_r, and Σ n_r, Σ n_r², R.
///
/// The pooled CDF F(x) = Σ c_r / Σ n_r is a ratio estimator; its cluster-robust variance is
/// `R/(R−1) · Σ_r (c_r − F n_r)² / (Σ n)²`, from the sums above. The CI of the pooled p-quantile is
/// the set of grid latencies x at which p lies inside F(x)'s 95% CI (the test-inversion interval),
/// widened to the quantile's own histogram bucket.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CdfGrid {
    c: Vec<f64>,
    c2: Vec<f64>,
    cn: Vec<f64>,
    n: f64,
    n2: f64,
    replications: u32,
}

impl CdfGrid {
    /// The grid's latency at point `k` \[ms\].
    fn x_ms(k: usize) -> f64 {
        1e-3 * CDF_GRID_RATIO.powi(k as i32)
    }

    /// The first grid point at or above `us` microseconds.
    fn index_of_us(us: f64) -> usize {
        if us <= 1.0 {
            return 0;
        }
        ((us.ln() / CDF_GRID_RATIO.ln()) - 1e-9).ceil().min((CDF_GRID_POINTS - 1) as f64) as usize
    }

    /// Adds one replication's latencies.
    pub fn add(&mut self, h: &LatencyHistogram) {
        if self.c.is_empty() {
            self.c = vec![0.0; CDF_GRID_POINTS];
            self.c2 = vec![0.0; CDF_GRID_POINTS];
            self.cn = vec![0.0; CDF_GRID_POINTS];
        }
        let n = h.count() as f64;
        let mut at = vec![0.0; CDF_GRID_POINTS];
        for (top_us, count) in h.buckets() {
            // A bucket counts below x once its highest value does (conservative at the 0.1% scale).
            at[Self::index_of_us(top_us)] += count as f64;
        }
        let mut cumulative = 0.0;
        for (k, count) in at.iter().enumerate() {
            cumulative += count;
            self.c[k] += cumulative;
            self.c2[k] += cumulative * cumulative;
            self.cn[k] += cumulative * n;
        }
        self.n += n;
        self.n2 += n * n;
        self.replications += 1;
    }

    /// Adds another grid's sums (shards, slices).
    pub fn merge(&mut self, o: &CdfGrid) {
        if o.c.is_empty() {
            self.replications += o.replications;
            return;
        }
        if self.c.is_empty() {
            *self = o.clone();
            return;
        }
        for k in 0..CDF_GRID_POINTS {
            self.c[k] += o.c[k];
            self.c2[k] += o.c2[k];
            self.cn[k] += o.cn[k];
        }
        self.n += o.n;
        self.n2 += o.n2;
        self.replications += o.replications;
    }

    /// The 95% CI of the pooled `p`-quantile \[ms\], at least `bucket` wide; `None` with fewer than two
    /// replications with latencies.
    pub fn quantile_ci_ms(&self, p: f64, bucket: [f64; 2]) -> Option<[f64; 2]> {
        let r = self.replications as usize;
        if r < 2 || self.n <= 0.0 || self.c.is_empty() {
            return None;
        }
        let t = t_quantile_975(r - 1);
        let factor = r as f64 / (r - 1) as f64;
        let bounds = |k: usize| {
            let f = self.c[k] / self.n;
            let ss = self.c2[k] - 2.0 * f * self.cn[k] + f * f * self.n2;
            let se = (factor * ss.max(0.0)).sqrt() / self.n;
            (f - t * se, f + t * se)
        };
        let lo = (0..CDF_GRID_POINTS).find(|&k| bounds(k).1 >= p).map(Self::x_ms)?;
        let hi = (0..CDF_GRID_POINTS).find(|&k| bounds(k).0 >= p).map_or(f64::INFINITY, Self::x_ms);
        let hi = if hi.is_finite() { hi } else { Self::x_ms(CDF_GRID_POINTS - 1) };
        Some([lo.min(bucket[0]), hi.max(bucket[1])])
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
    fn the_ratio_interval_matches_a_hand_calculation() {
        // Three replications with (sum, count) = (10, 2), (9, 3), (16, 4): mean 35 / 9 = 3.8889.
        // Residuals s − m·n: 10 − 7.7778 = 2.2222, 9 − 11.6667 = −2.6667, 16 − 15.5556 = 0.4444;
        // squares sum to 4.9383 + 7.1111 + 0.1975 = 12.2469; var = 3/2 · 12.2469 / 81 = 0.22680,
        // se = 0.47624; t(0.975, 2) = 4.3027: half-width 2.0491.
        let e = ratio_ci(&[(10.0, 2.0), (9.0, 3.0), (16.0, 4.0), (0.0, 0.0)], Domain::Real).unwrap();
        assert!((e.mean - 35.0 / 9.0).abs() < 1e-12);
        assert!((e.half_width() - 2.0491).abs() < 1e-3, "{e:?}");
        assert!(ratio_ci(&[(0.0, 0.0)], Domain::Real).is_none());
        // Clamped to its domain: a share's interval never leaves [0, 1].
        let share = ratio_ci(&[(1.0, 1.0), (0.0, 1.0), (1.0, 1.0)], Domain::Unit).unwrap();
        assert!(share.ci95[0] >= 0.0 && share.ci95[1] <= 1.0, "{share:?}");
    }

    /// The quantile CI covers the truth and is never narrower than the quantile's bucket: 40
    /// replications of 2,000 exponential latencies (mean 10 ms), whose p99 is 10 ln 100 = 46.052 ms.
    use crate::sim::histogram::LatencyHistogram;

    #[test]
    fn pooled_quantile_intervals_cover_the_truth_and_respect_the_resolution() {
        use rand::SeedableRng;
        use rand_distr::Distribution as _;
        let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(11);
        let (mut grid, mut all) = (CdfGrid::default(), LatencyHistogram::default());
        for _ in 0..40 {
            let mut h = LatencyHistogram::default();
            for _ in 0..2000 {
                let e: f64 = rand_distr::Exp1.sample(&mut rng);
                h.record_s(e * 0.010);
            }
            grid.add(&h);
            all.merge(&h);
        }
        let bucket = all.quantile_bucket_ms(0.99).unwrap();
        let ci = grid.quantile_ci_ms(0.99, bucket).unwrap();
        let truth = 10.0 * 100f64.ln();
        assert!(ci[0] <= truth && truth <= ci[1], "{ci:?} misses {truth}");
        assert!(ci[0] <= bucket[0] && ci[1] >= bucket[1]);
        // Binomial: the p99 of 80,000 values has a standard error of about
        // sqrt(0.99 · 0.01 / 80,000) / f(p99) = 0.00035 / (0.01 / 10 ms) = 0.35 ms: the interval is a few ms.
        assert!(ci[1] - ci[0] < 5.0, "{ci:?}");
        let q = all.quantile_ms(0.99);
        assert!(bucket[0] <= q && q <= bucket[1]);
    }

    #[test]
    fn single_value_has_a_degenerate_interval() {
        let e = mean_ci(&[7.0]);
        assert_eq!(e.ci95, [7.0, 7.0]);
        assert!(mean_ci(&[]).mean.is_nan());
    }
}
