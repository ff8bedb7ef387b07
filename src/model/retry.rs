//! Client retry policies, resolved: how many attempts, when an attempt is abandoned, the backoff before
//! each retry, the budget that stops retries when many fail, and which failures are retried.

use crate::input::issue::{Issues, number};
use crate::input::spec::model::{FailureClassSpec, Jitter as JitterSpec, RetryBudgetSpec, RetrySpec};
use crate::model::time::SimTime;

/// How a backoff delay d = min(cap, base × 2^(i−1)) is randomised.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Jitter {
    /// Exactly d.
    None,
    /// Uniform in [0, d].
    Full,
    /// d/2 plus uniform in [0, d/2].
    Equal,
    /// min(cap, uniform in [base, 3 × the previous delay]).
    Decorrelated,
}

/// A class of failure as a client sees it; every failure cause belongs to one
/// (`FailureCause::class`, in the observations).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureClass {
    /// The client gave up waiting.
    Timeout,
    /// Nothing answered, or the way there was cut.
    Connection,
    /// The server answered with an error or failed while serving.
    ServerError,
    /// The attempt was turned away at once (a full queue, shedding, an open breaker).
    Throttled,
}

impl FailureClass {
    fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// A set of failure classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClassSet(u8);

impl ClassSet {
    /// Every class: the SDKs' standard mode retries throttling, transient errors and timeouts
    /// (docs/references.md#sdk-retries).
    pub const ALL: ClassSet = ClassSet(0b1111);

    /// Whether `class` is in the set.
    #[inline]
    pub fn contains(self, class: FailureClass) -> bool {
        self.0 & class.bit() != 0
    }

    fn from_spec(classes: &[FailureClassSpec]) -> ClassSet {
        ClassSet(classes.iter().fold(0, |set, c| {
            set | match c {
                FailureClassSpec::Timeout => FailureClass::Timeout,
                FailureClassSpec::Connection => FailureClass::Connection,
                FailureClassSpec::ServerError => FailureClass::ServerError,
                FailureClassSpec::Throttled => FailureClass::Throttled,
            }
            .bit()
        }))
    }
}

/// Most services of a request path that may retry their calls to the next hop: a request keeps each
/// hop's retries in 4 bits of a `u32`.
pub const MAX_RETRYING_HOPS: usize = 8;

/// A population's retry policy (or a service's, for its calls to the next hop).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// Attempts per request, the first included (at least 1).
    pub max_attempts: u8,
    /// When a client abandons an attempt; `None`: never before the request timeout.
    pub attempt_timeout: Option<SimTime>,
    /// The first backoff delay \[s\].
    pub base_s: f64,
    /// The longest backoff delay \[s\].
    pub cap_s: f64,
    /// How the delay is randomised.
    pub jitter: Jitter,
    /// The token bucket, if any: (capacity, cost of a retry, refund of a first-attempt success).
    pub budget: Option<TokenBucket>,
    /// The failure classes retried; a failure of another class is final.
    pub retry_on: ClassSet,
}

/// A retry quota as the SDKs keep it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenBucket {
    /// Tokens at the start, and the most the bucket holds.
    pub capacity: u32,
    /// Tokens one retry takes.
    pub retry_cost: u32,
    /// Tokens a first-attempt success returns.
    pub success_refund: u32,
}

impl RetryPolicy {
    /// Resolves `spec` at `path` (`populations[NAME].retry`), recording every problem; `None` if any.
    pub fn resolve(
        spec: &RetrySpec,
        request_timeout_s: f64,
        path: &str,
        issues: &mut Issues,
    ) -> Option<RetryPolicy> {
        let before = issues.len();
        if !(1..=20).contains(&spec.max_attempts) {
            issues.push(
                format!("{path}.max_attempts"),
                format!("must be from 1 to 20, got {}", spec.max_attempts),
            );
        }
        if let Some(t) = spec.attempt_timeout_ms
            && !(t.is_finite() && t > 0.0 && t / 1e3 < request_timeout_s)
        {
            issues.push(
                format!("{path}.attempt_timeout_ms"),
                format!(
                    "must be above 0 and below the request timeout (network.request_timeout_ms, {} ms), got {}",
                    number(request_timeout_s * 1e3),
                    number(t)
                ),
            );
        }
        let b = &spec.backoff;
        if !(b.base_ms.is_finite() && b.base_ms >= 0.0) {
            issues
                .push(format!("{path}.backoff.base_ms"), format!("must be >= 0, got {}", number(b.base_ms)));
        }
        if !(b.cap_ms.is_finite() && b.cap_ms >= b.base_ms) {
            issues.push(
                format!("{path}.backoff.cap_ms"),
                format!(
                    "must be finite and at least base_ms ({}), got {}",
                    number(b.base_ms),
                    number(b.cap_ms)
                ),
            );
        }
        if spec.retry_on.is_empty() {
            issues.push(
                format!("{path}.retry_on"),
                "list at least one failure class (Timeout, Connection, ServerError, Throttled); \
                 max_attempts: 1 retries nothing",
            );
        }
        let budget = match spec.budget {
            RetryBudgetSpec::Unlimited => None,
            RetryBudgetSpec::TokenBucket { tokens, retry_cost, success_refund } => {
                if retry_cost == 0 {
                    issues.push(
                        format!("{path}.budget.retry_cost"),
                        "must be at least 1 (0 would be Unlimited)",
                    );
                }
                if tokens < retry_cost && spec.max_attempts > 1 {
                    issues.push(
                        format!("{path}.budget.tokens"),
                        format!(
                            "{tokens} tokens never pay for a retry of {retry_cost}: with retries on, the budget \
                             must allow one"
                        ),
                    );
                }
                Some(TokenBucket { capacity: tokens, retry_cost, success_refund })
            }
        };
        (issues.len() == before).then(|| RetryPolicy {
            max_attempts: spec.max_attempts as u8,
            attempt_timeout: spec.attempt_timeout_ms.map(|t| SimTime::from_secs_f64(t / 1e3)),
            base_s: b.base_ms / 1e3,
            cap_s: b.cap_ms / 1e3,
            jitter: match b.jitter {
                JitterSpec::None => Jitter::None,
                JitterSpec::Full => Jitter::Full,
                JitterSpec::Equal => Jitter::Equal,
                JitterSpec::Decorrelated => Jitter::Decorrelated,
            },
            budget,
            retry_on: ClassSet::from_spec(&spec.retry_on),
        })
    }

    /// Resolves a service's retry policy for its calls to the next hop, at `path`
    /// (`services[NAME].retry`): as a client's, without an attempt timeout or a budget (neither is
    /// modelled per hop) and with at most 15 attempts (a request keeps each hop's retries in 4 bits).
    pub fn resolve_hop(spec: &RetrySpec, path: &str, issues: &mut Issues) -> Option<RetryPolicy> {
        let before = issues.len();
        if spec.max_attempts > 15 {
            issues.push(
                format!("{path}.max_attempts"),
                format!(
                    "a service's calls to the next hop take at most 15 attempts, got {}",
                    spec.max_attempts
                ),
            );
        }
        if spec.attempt_timeout_ms.is_some() {
            issues.push(
                format!("{path}.attempt_timeout_ms"),
                "per-hop attempt timeouts are not modelled: a service's call ends with an answer, a connect \
                 timeout or the request's deadline; remove it",
            );
        }
        if spec.budget != RetryBudgetSpec::Unlimited {
            issues.push(
                format!("{path}.budget"),
                "per-hop retry budgets are not modelled: write budget: Unlimited (a population's retry may \
                 have a token bucket)",
            );
        }
        let policy = RetryPolicy::resolve(spec, f64::INFINITY, path, issues);
        if issues.len() == before { policy } else { None }
    }
}
