//! The key space of a store: Zipf-popular keys drawn in O(1) from an alias table built once per study.

/// Largest key space tabulated for Zipf draws (8 bytes a key); larger ones sample Zipf directly.
pub const MAX_TABULATED_KEYS: u64 = 4_000_000;

/// Walker's alias table over keys `0..n` (Vose's construction): a draw picks a candidate key uniformly
/// and keeps it with its entry's probability, else takes the entry's alias.
///
/// Why not `rand_distr`'s `WeightedAliasIndex`: it keeps the keep-probabilities and the aliases in two
/// arrays, so a draw from a table larger than the cache (100,000 keys is 1.2 MB) costs two cache misses
/// at random places, and it needs a seeded generator per draw. Here each entry holds both (8 bytes:
/// one miss), and one 64-bit number gives both the candidate and the coin.
#[derive(Debug, Clone)]
pub struct KeyTable {
    entries: Box<[AliasEntry]>,
}

#[derive(Debug, Clone, Copy, PartialEq)]
struct AliasEntry {
    /// Probability of keeping the candidate, times 2^32 (`u32::MAX` with the entry itself as alias
    /// for "always").
    keep: u32,
    alias: u32,
}

impl KeyTable {
    /// A table drawing key `k` with probability `weights[k] / sum(weights)`. `None` when there are no
    /// weights, more than `u32::MAX`, or they are not finite, non-negative and of positive sum.
    pub fn new(weights: &[f64]) -> Option<KeyTable> {
        let n = weights.len();
        let sum: f64 = weights.iter().sum();
        if n == 0
            || n > u32::MAX as usize
            || !(sum.is_finite() && sum > 0.0)
            || weights.iter().any(|w| w.is_nan() || *w < 0.0)
        {
            return None;
        }
        // Scaled so the average is 1: entries below 1 are topped up by one above 1 (their alias).
        let mut scaled: Vec<f64> = weights.iter().map(|w| w * n as f64 / sum).collect();
        let mut entries: Vec<AliasEntry> =
            (0..n as u32).map(|k| AliasEntry { keep: u32::MAX, alias: k }).collect();
        let (mut small, mut large): (Vec<usize>, Vec<usize>) = (0..n).partition(|&k| scaled[k] < 1.0);
        while let (Some(&s), Some(&l)) = (small.last(), large.last()) {
            small.pop();
            let keep = (scaled[s] * 4_294_967_296.0).round().min(u32::MAX as f64) as u32;
            entries[s] = AliasEntry { keep, alias: l as u32 };
            scaled[l] = (scaled[l] + scaled[s]) - 1.0;
            if scaled[l] < 1.0 {
                large.pop();
                small.push(l);
            }
        }
        // What is left (on either list, by rounding) is within rounding of 1: always kept.
        Some(KeyTable { entries: entries.into_boxed_slice() })
    }

    /// The key drawn with the 64 uniform random bits `bits`: their product with the table size gives
    /// the candidate (high 64 bits, Lemire's multiply-shift) and a uniform fraction for the coin (low
    /// 64 bits, of which the top 32 are used).
    #[inline]
    pub fn sample(&self, bits: u64) -> usize {
        let m = u128::from(bits) * self.entries.len() as u128;
        let candidate = (m >> 64) as usize;
        let coin = ((m as u64) >> 32) as u32;
        let e = self.entries[candidate];
        if coin < e.keep { candidate } else { e.alias as usize }
    }

    /// The entry that [`KeyTable::sample`] reads for `bits`, to prefetch it ahead of the draw.
    #[inline]
    pub fn entry_ptr(&self, bits: u64) -> *const u8 {
        let candidate = ((u128::from(bits) * self.entries.len() as u128) >> 64) as usize;
        (&raw const self.entries[candidate]).cast()
    }

    /// The probability of each key implied by the table (for tests).
    #[cfg(test)]
    fn probabilities(&self) -> Vec<f64> {
        let n = self.entries.len() as f64;
        let mut p = vec![0.0; self.entries.len()];
        for (k, e) in self.entries.iter().enumerate() {
            let keep = if e.alias as usize == k { 1.0 } else { e.keep as f64 / 4_294_967_296.0 };
            p[k] += keep / n;
            p[e.alias as usize] += (1.0 - keep) / n;
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::KeyTable;

    #[test]
    fn key_table_probabilities_match_the_weights() {
        // Zipf(0.99) over 1,000 keys, as the scenarios use (with fewer keys): the table's implied
        // probabilities are the normalised weights within the 2^-32 resolution of the coin.
        let weights: Vec<f64> = (1..=1000).map(|k| (k as f64).powf(-0.99)).collect();
        let sum: f64 = weights.iter().sum();
        let table = KeyTable::new(&weights).expect("valid weights");
        for (k, p) in table.probabilities().into_iter().enumerate() {
            assert!((p - weights[k] / sum).abs() < 1e-9, "key {k}: {p} vs {}", weights[k] / sum);
        }
        // A zero weight is never drawn, a lone positive weight always is.
        let table = KeyTable::new(&[0.0, 3.0, 0.0]).expect("valid weights");
        assert!((0..1000u64).all(|i| table.sample(i.wrapping_mul(0x9E37_79B9_7F4A_7C15)) == 1));
        assert!(KeyTable::new(&[]).is_none());
        assert!(KeyTable::new(&[0.0, 0.0]).is_none());
        assert!(KeyTable::new(&[1.0, f64::NAN]).is_none());
    }

    #[test]
    fn key_table_draws_follow_the_weights() {
        // Weights 1:2:3:4 over 40,000 draws from evenly spread bits: key k is expected 4,000 (k + 1)
        // times; the binomial standard deviation is at most sqrt(40,000 * 0.4 * 0.6) = 98, and evenly
        // spaced bits do better than random ones, so 1% (400) is ample.
        let table = KeyTable::new(&[1.0, 2.0, 3.0, 4.0]).expect("valid weights");
        let n = 40_000u64;
        let mut counts = [0u64; 4];
        for i in 0..n {
            counts[table.sample(i * (u64::MAX / n))] += 1;
        }
        for (k, &c) in counts.iter().enumerate() {
            let expected = 4_000 * (k as u64 + 1);
            assert!(c.abs_diff(expected) < 400, "key {k}: {c} draws, expected {expected}");
        }
    }
}
