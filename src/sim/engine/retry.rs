//! Client retries, per population: whether a failed attempt is retried, after what backoff, and the
//! token bucket that stops retries when many fail (the AWS SDKs' standard mode,
//! docs/references.md#sdk-retries).
//!
//! A bucket's level is a state of the traffic, like a queue's length: it moves with every attempt, and
//! it is stationary only near its bounds (dry, where retries are paid for by refunds as they come, or
//! full). Sampled fidelity reads it through [`Retries::zones`] at both ends of a window, and treats a
//! bucket between its bounds as a transient to simulate request by request. Declaring each crossing of
//! the retry cost as a change instead would stop every skip while a bucket hovers at dry (every few
//! milliseconds while a region's stale clients fail), though a hovering bucket is as steady as a full one.

use rand::RngExt;
use rand::rngs::Xoshiro256PlusPlus;

use super::arena::Request;
use crate::model::architecture::Model;
use crate::model::retry::{Jitter, RetryPolicy};
use crate::model::time::SimTime;
use crate::sim::observation::FailureCause;
use crate::sim::streams::{Purpose, stream};

/// Where a retry budget's level stands, for the fast-forward's steadiness test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum BucketZone {
    /// Below two retries' cost: retries are granted as refunds pay for them.
    Dry,
    /// Within two retries' cost of its capacity.
    Full,
    /// In between: filling or draining.
    Between,
}

/// What becomes of an attempt's outcome.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Decision {
    /// The request's outcome is this attempt's; `refused` when a retry was wanted but the budget had no
    /// tokens for it.
    Final { refused: bool },
    /// Try again at `at`, after a backoff of `sleep_s`.
    Retry { at: SimTime, sleep_s: f64 },
}

pub(super) struct Retries {
    policies: Vec<Option<RetryPolicy>>,
    /// Each population's tokens.
    tokens: Vec<u32>,
    /// Each population's backoff jitter.
    rng: Vec<Xoshiro256PlusPlus>,
    /// The next attempt's serial number.
    serial: u32,
}

impl Retries {
    pub fn new(model: &Model, seed: u64, replication: u32) -> Retries {
        let policies: Vec<Option<RetryPolicy>> = model.populations.iter().map(|p| p.retry).collect();
        Retries {
            tokens: policies.iter().map(|p| p.and_then(|p| p.budget).map_or(0, |b| b.capacity)).collect(),
            rng: model
                .populations
                .iter()
                .map(|p| stream(seed, replication, Purpose::Retry, &p.name))
                .collect(),
            policies,
            serial: 0,
        }
    }

    /// A fresh attempt serial number.
    pub fn next_serial(&mut self) -> u32 {
        self.serial = self.serial.wrapping_add(1);
        self.serial
    }

    /// When population `p`'s client abandons the attempt `r` (sent at `r.attempt_start`), if before
    /// the request's `deadline`.
    #[inline]
    pub fn attempt_deadline(&self, r: &Request, deadline: SimTime) -> SimTime {
        match self.policies[r.population as usize].as_ref().and_then(|p| p.attempt_timeout) {
            Some(t) => r.attempt_start.plus(t).min(deadline),
            None => deadline,
        }
    }

    /// Each population's tokens (0 without a budget).
    pub fn tokens(&self) -> &[u32] {
        &self.tokens
    }

    /// Puts each population's tokens back to `tokens` (where a steady stretch leaves them).
    pub fn set_tokens(&mut self, tokens: &[u32]) {
        self.tokens.copy_from_slice(tokens);
    }

    /// Where each population's bucket stands (`None`: no budget).
    pub fn zones(&self) -> Vec<Option<BucketZone>> {
        self.policies
            .iter()
            .zip(&self.tokens)
            .map(|(policy, &tokens)| {
                let b = policy.as_ref()?.budget?;
                // A dry bucket hovers below two retries' cost (a refund lifts it over one, the next
                // retry takes it back); a full one dips by a retry or two between refunds.
                Some(if tokens < 2 * b.retry_cost {
                    BucketZone::Dry
                } else if tokens + 2 * b.retry_cost >= b.capacity {
                    BucketZone::Full
                } else {
                    BucketZone::Between
                })
            })
            .collect()
    }

    /// Attempt `r` ended at `at` with `outcome`; the request's deadline is `deadline`.
    pub fn decide(
        &mut self,
        r: &Request,
        at: SimTime,
        outcome: Result<(), FailureCause>,
        deadline: SimTime,
    ) -> Decision {
        let p = r.population as usize;
        let Some(policy) = &self.policies[p] else { return Decision::Final { refused: false } };
        let cause = match outcome {
            Ok(()) => {
                if let Some(b) = policy.budget {
                    let back = if r.attempt == 0 { b.success_refund } else { b.retry_cost };
                    self.tokens[p] = (self.tokens[p] + back).min(b.capacity);
                }
                return Decision::Final { refused: false };
            }
            Err(cause) => cause,
        };
        if cause == FailureCause::Unfinished
            || r.attempt as u32 + 1 >= policy.max_attempts as u32
            || !policy.retry_on.contains(cause.class())
        {
            return Decision::Final { refused: false };
        }
        let sleep_s = backoff(policy, r.attempt as u32 + 1, r.last_sleep_s as f64, &mut self.rng[p]);
        let when = at.plus(SimTime::from_secs_f64(sleep_s));
        if when >= deadline {
            return Decision::Final { refused: false };
        }
        if let Some(b) = policy.budget {
            if self.tokens[p] < b.retry_cost {
                return Decision::Final { refused: true };
            }
            self.tokens[p] -= b.retry_cost;
        }
        Decision::Retry { at: when, sleep_s }
    }
}

/// The delay before retry `i` (1, 2, ...): d = min(cap, base × 2^(i−1)), jittered; decorrelated jitter
/// draws from [base, 3 × the previous delay] instead.
pub(super) fn backoff(policy: &RetryPolicy, i: u32, previous_s: f64, rng: &mut Xoshiro256PlusPlus) -> f64 {
    let d = (policy.base_s * 2f64.powi(i.min(60) as i32 - 1)).min(policy.cap_s);
    match policy.jitter {
        Jitter::None => d,
        Jitter::Full => rng.random::<f64>() * d,
        Jitter::Equal => d / 2.0 + rng.random::<f64>() * d / 2.0,
        Jitter::Decorrelated => {
            let hi = (3.0 * previous_s.max(policy.base_s)).max(policy.base_s);
            (policy.base_s + rng.random::<f64>() * (hi - policy.base_s)).min(policy.cap_s)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::retry::ClassSet;
    use rand::SeedableRng;

    fn policy(jitter: Jitter) -> RetryPolicy {
        RetryPolicy {
            max_attempts: 5,
            attempt_timeout: None,
            base_s: 0.05,
            cap_s: 1.0,
            jitter,
            budget: None,
            retry_on: ClassSet::ALL,
        }
    }

    #[test]
    fn backoff_doubles_up_to_its_cap_and_jitters_within_its_bounds() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        let none = policy(Jitter::None);
        let d: Vec<f64> = (1..=7).map(|i| backoff(&none, i, 0.0, &mut rng)).collect();
        assert_eq!(d, [0.05, 0.1, 0.2, 0.4, 0.8, 1.0, 1.0]);
        for _ in 0..1000 {
            let full = backoff(&policy(Jitter::Full), 3, 0.0, &mut rng);
            assert!((0.0..=0.2).contains(&full), "{full}");
            let equal = backoff(&policy(Jitter::Equal), 3, 0.0, &mut rng);
            assert!((0.1..=0.2).contains(&equal), "{equal}");
            let dec = backoff(&policy(Jitter::Decorrelated), 3, 0.3, &mut rng);
            assert!((0.05..=0.9).contains(&dec), "{dec}");
        }
    }
}
