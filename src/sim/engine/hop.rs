//! Per-hop retries: a service retrying its call to the next hop of the request path (the next
//! service, or the store after the last one), with a policy of its own (`services[NAME].retry`).
//!
//! When the call into hop `c` fails, the failure reaches its caller `c − 1` at once (the way back is
//! not timed, as a client learns of a failure at once): that caller retries after its backoff if it
//! has attempts left and the retry leaves before the client's deadline; otherwise the failure goes
//! back to hop `c − 2`'s call, which may retry it by serving hop `c − 1` again (whose calls start with
//! fresh counters), and so on up to the client, whose own retry policy then applies. With k layers
//! each making r + 1 attempts, the bottom sees (r + 1)^k calls per request when everything below
//! fails. A request keeps the retries made of each hop's current call in 4 bits of a `u32`
//! ([`Request::hop_retries`]), so its slot stays small. Retrying changes no state of the system: it
//! declares nothing to the fast-forward (the overload it may cause is visible in the sampled window).

use rand::rngs::Xoshiro256PlusPlus;

use super::arena::Request;
use super::retry::backoff;
use crate::model::architecture::Model;
use crate::model::retry::{MAX_RETRYING_HOPS, RetryPolicy};
use crate::model::time::SimTime;
use crate::sim::observation::FailureCause;
use crate::sim::streams::{Purpose, stream};

/// The per-hop retry policies of a model's request path.
pub(super) struct Hops {
    /// The policy of the service at each place of the request path (for its call to the next hop).
    policies: Vec<Option<RetryPolicy>>,
    /// Each place's backoff jitter.
    rng: Vec<Xoshiro256PlusPlus>,
    /// Some service of the path retries.
    active: bool,
}

/// A retry of the call from hop `caller` (a place in the request path) to the next, at `at`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct HopRetry {
    pub caller: u8,
    pub at: SimTime,
}

impl Hops {
    pub fn new(model: &Model, seed: u64, replication: u32) -> Hops {
        let policies: Vec<Option<RetryPolicy>> =
            model.request_path.iter().map(|&s| model.services[s].retry).collect();
        let rng = model
            .request_path
            .iter()
            .map(|&s| stream(seed, replication, Purpose::Retry, &format!("hop/{}", model.services[s].name)))
            .collect();
        Hops { active: policies.iter().any(Option::is_some), policies, rng }
    }

    /// Whether some service of the path retries its calls.
    #[inline]
    pub fn active(&self) -> bool {
        self.active
    }

    /// The call of request `r` into hop `callee` (a place in the request path; its length for the
    /// store) failed at `at` with `cause`: the nearest caller that retries it, if any, before
    /// `deadline` (the attempt's).
    pub fn decide(
        &mut self,
        r: &Request,
        callee: usize,
        at: SimTime,
        cause: FailureCause,
        deadline: SimTime,
    ) -> Option<HopRetry> {
        if !self.active || cause == FailureCause::Unfinished {
            return None;
        }
        for caller in (0..callee.min(self.policies.len())).rev() {
            let Some(policy) = &self.policies[caller] else { continue };
            let done = retries(r.hop_retries, caller);
            if done + 1 >= policy.max_attempts as u32 || !policy.retry_on.contains(cause.class()) {
                continue;
            }
            let sleep_s = backoff(policy, done + 1, 0.0, &mut self.rng[caller]);
            let when = at.plus(SimTime::from_secs_f64(sleep_s));
            if when < deadline {
                return Some(HopRetry { caller: caller as u8, at: when });
            }
        }
        None
    }
}

/// Retries made of hop `caller`'s current call, from the packed counters.
#[inline]
fn retries(packed: u32, caller: usize) -> u32 {
    if caller >= MAX_RETRYING_HOPS { 0 } else { (packed >> (4 * caller)) & 0xF }
}

/// The packed counters after hop `caller` retries its call: one more retry of it, and those below it
/// (whose calls it makes afresh) back to none.
#[inline]
pub(super) fn after_retry(packed: u32, caller: usize) -> u32 {
    let shift = 4 * caller as u32;
    let kept = if shift == 0 { 0 } else { packed & ((1u32 << shift) - 1) };
    kept | ((retries(packed, caller) + 1) << shift)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_retry_counts_at_its_hop_and_resets_the_hops_below() {
        // Hop 0 made 1 retry, hop 1 made 2, hop 2 made 3.
        let packed = 1 | (2 << 4) | (3 << 8);
        assert_eq!(retries(packed, 1), 2);
        let after = after_retry(packed, 1);
        assert_eq!((retries(after, 0), retries(after, 1), retries(after, 2)), (1, 3, 0));
        assert_eq!(after_retry(0, 0), 1);
        assert_eq!(retries(after_retry(0, 7), 7), 1);
    }
}
