//! The latency histogram each replication records into: HDR, microsecond resolution, 3 significant
//! digits, constant memory, mergeable. Nothing is stored per request.

use hdrhistogram::Histogram;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Latencies of successful requests, at microsecond resolution with 3 significant digits (an HDR
/// histogram: relative error ≤ 0.1%, constant memory, mergeable).
#[derive(Debug, Clone)]
pub struct LatencyHistogram {
    hist: Histogram<u64>,
    /// Exact sum of recorded latencies \[s\], for an exact mean.
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
    /// Records one latency \[s\], at microsecond resolution.
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

    /// Latencies recorded.
    pub fn count(&self) -> u64 {
        self.hist.len()
    }

    /// Mean of the latencies recorded \[ms\] (from their exact sum, not the buckets); NaN when empty.
    pub fn mean_ms(&self) -> f64 {
        if self.count() == 0 { f64::NAN } else { self.sum_s / self.count() as f64 * 1e3 }
    }

    /// The `q`-quantile \[ms\]: the bucket holding the smallest recorded value with at least q of the
    /// counts at or below it, reported at the bucket's middle (its representative value; the top of the
    /// bucket would bias every percentile up by up to the 0.1% resolution); NaN when empty.
    pub fn quantile_ms(&self, q: f64) -> f64 {
        if self.count() == 0 {
            f64::NAN
        } else {
            self.hist.median_equivalent(self.hist.value_at_quantile(q)) as f64 / 1e3
        }
    }

    /// The bucket of the `q`-quantile, `[lowest, highest]` value it stands for \[ms\]: no interval of
    /// the quantile can honestly be narrower.
    pub fn quantile_bucket_ms(&self, q: f64) -> Option<[f64; 2]> {
        (self.count() > 0).then(|| {
            let v = self.hist.value_at_quantile(q);
            [self.hist.lowest_equivalent(v) as f64 / 1e3, self.hist.highest_equivalent(v) as f64 / 1e3]
        })
    }

    /// `(highest value [µs], count)` of every bucket holding counts, lowest first.
    pub fn buckets(&self) -> impl Iterator<Item = (f64, u64)> + '_ {
        self.hist
            .iter_recorded()
            .map(|v| (self.hist.highest_equivalent(v.value_iterated_to()) as f64, v.count_at_value()))
    }

    /// Exact sum of the recorded latencies \[s\].
    pub fn sum_s(&self) -> f64 {
        self.sum_s
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

/// A histogram as stored (a shard's partial file): the exact sum and `(value [µs], count)` of every
/// bucket holding counts, lowest first. Recording each count at its bucket's value rebuilds the same
/// buckets, so every quantile, CDF and merge reads back the same.
#[derive(Serialize, Deserialize)]
struct Stored {
    sum_s: f64,
    buckets: Vec<(u64, u64)>,
}

impl Serialize for LatencyHistogram {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        Stored {
            sum_s: self.sum_s,
            buckets: self.hist.iter_recorded().map(|v| (v.value_iterated_to(), v.count_at_value())).collect(),
        }
        .serialize(s)
    }
}

impl<'de> Deserialize<'de> for LatencyHistogram {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let stored = Stored::deserialize(d)?;
        let mut h = LatencyHistogram::default();
        for (value, count) in stored.buckets {
            h.hist.record_n(value, count).map_err(|e| {
                serde::de::Error::custom(format!("latency bucket {value} µs × {count}: {e:?}"))
            })?;
        }
        h.sum_s = stored.sum_s;
        Ok(h)
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
    fn a_stored_histogram_reads_back_the_same() {
        let mut h = LatencyHistogram::default();
        for ms in [0.2, 1.0, 3.7, 3.7, 45.0, 1200.0, 65_000.0] {
            h.record_s(ms / 1e3);
        }
        let back: LatencyHistogram = serde_json::from_str(&serde_json::to_string(&h).unwrap()).unwrap();
        assert_eq!(back.count(), h.count());
        assert_eq!(back.sum_s().to_bits(), h.sum_s().to_bits());
        assert_eq!(back.cdf_points(), h.cdf_points());
        for q in [0.0, 0.5, 0.9, 0.99, 1.0] {
            assert_eq!(back.quantile_ms(q).to_bits(), h.quantile_ms(q).to_bits(), "q {q}");
            assert_eq!(back.quantile_bucket_ms(q), h.quantile_bucket_ms(q));
        }
        let (mut a, mut b) = (LatencyHistogram::default(), LatencyHistogram::default());
        a.merge(&h);
        b.merge(&back);
        assert_eq!(a.cdf_points(), b.cdf_points());
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
