//! A population's client behaviour as written: retries (how many, after what backoff, under what
//! budget, on which failures).

use serde::{Deserialize, Serialize};

/// A client's retry policy, with the AWS SDKs' standard mode as defaults (docs/references.md#sdk-retries:
/// three attempts, capped exponential backoff with full jitter from 50 ms to 20 s, a retry quota of 500
/// tokens, 14 per retry, 1 back per success).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetrySpec {
    /// Attempts per request, the first included: 1 to 20. Default 3.
    #[serde(default = "RetrySpec::default_max_attempts")]
    pub max_attempts: u32,
    /// A client abandons an attempt after this long and retries \[ms\]; the abandoned attempt is still
    /// served (the server does not see the client go). Default: none, an attempt ends only with an
    /// answer, a connect timeout or the request timeout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub attempt_timeout_ms: Option<f64>,
    /// The delay before each retry. Default: `(base_ms: 50.0, cap_ms: 20000.0, jitter: Full)`.
    #[serde(default)]
    pub backoff: BackoffSpec,
    /// What limits retries when many fail. Default: the SDKs' token bucket.
    #[serde(default)]
    pub budget: RetryBudgetSpec,
    /// Which failures are retried, by class. Default: all four, as the SDKs' standard mode retries
    /// throttling, transient errors (5xx, connection errors) and timeouts
    /// (docs/references.md#sdk-retries). A failure of another class is final at once.
    #[serde(default = "FailureClassSpec::all", skip_serializing_if = "FailureClassSpec::is_all")]
    pub retry_on: Vec<FailureClassSpec>,
}

/// A class of failure, as a client sees it (each failure cause belongs to one; docs/outputs.md lists
/// them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum FailureClassSpec {
    /// The client gave up waiting: `timeout`.
    Timeout,
    /// Nothing answered, or the way there was cut: `no_healthy_instance`, `target_down`, `partition`,
    /// `dependency_unavailable`.
    Connection,
    /// The server answered with an error (a 5xx) or failed while serving: `instance_failed`,
    /// `instance_error`, `store_unavailable`.
    ServerError,
    /// The server (or the client's own breaker) turned the attempt away at once: `queue_full`, `shed`,
    /// `breaker_open`.
    Throttled,
}

impl FailureClassSpec {
    /// Every class: the SDKs' standard mode retries them all.
    pub fn all() -> Vec<FailureClassSpec> {
        vec![
            FailureClassSpec::Timeout,
            FailureClassSpec::Connection,
            FailureClassSpec::ServerError,
            FailureClassSpec::Throttled,
        ]
    }

    fn is_all(classes: &[FailureClassSpec]) -> bool {
        let mut sorted = classes.to_vec();
        sorted.sort();
        sorted.dedup();
        sorted == Self::all()
    }
}

impl RetrySpec {
    fn default_max_attempts() -> u32 {
        3
    }
}

/// Capped exponential backoff: before retry i (1, 2, ...), min(cap, base × 2^(i−1)), jittered.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BackoffSpec {
    /// The first delay \[ms\]. Default 50.
    #[serde(default = "BackoffSpec::default_base_ms")]
    pub base_ms: f64,
    /// The longest delay \[ms\]. Default 20000.
    #[serde(default = "BackoffSpec::default_cap_ms")]
    pub cap_ms: f64,
    /// How the delay is randomised. Default `Full`.
    #[serde(default = "BackoffSpec::default_jitter")]
    pub jitter: Jitter,
}

impl BackoffSpec {
    fn default_base_ms() -> f64 {
        50.0
    }
    fn default_cap_ms() -> f64 {
        20_000.0
    }
    fn default_jitter() -> Jitter {
        Jitter::Full
    }
}

impl Default for BackoffSpec {
    fn default() -> Self {
        BackoffSpec {
            base_ms: Self::default_base_ms(),
            cap_ms: Self::default_cap_ms(),
            jitter: Self::default_jitter(),
        }
    }
}

/// Backoff jitter, as in "Exponential Backoff And Jitter" (docs/references.md#backoff-and-jitter), with
/// d = min(cap, base × 2^(i−1)).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Jitter {
    /// Exactly d: every client that failed together retries together.
    None,
    /// Uniform in [0, d].
    Full,
    /// d/2 plus uniform in [0, d/2].
    Equal,
    /// min(cap, uniform in [base, 3 × the previous delay]).
    Decorrelated,
}

/// What limits a population's retries.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub enum RetryBudgetSpec {
    /// Nothing: every failed attempt is retried up to `max_attempts` (the recipe for a retry storm).
    Unlimited,
    /// A token bucket shared by the population's clients, as the SDKs' retry quota: a retry takes
    /// `retry_cost` tokens and is not made when fewer are left; a success on the first attempt returns
    /// `success_refund`, a success after retries the last retry's cost.
    TokenBucket {
        /// Tokens at the start, and the most the bucket holds. Default 500.
        #[serde(default = "RetryBudgetSpec::default_tokens")]
        tokens: u32,
        /// Tokens one retry takes, at least 1. Default 14.
        #[serde(default = "RetryBudgetSpec::default_retry_cost")]
        retry_cost: u32,
        /// Tokens a success on the first attempt returns. Default 1.
        #[serde(default = "RetryBudgetSpec::default_success_refund")]
        success_refund: u32,
    },
}

impl RetryBudgetSpec {
    fn default_tokens() -> u32 {
        500
    }
    fn default_retry_cost() -> u32 {
        14
    }
    fn default_success_refund() -> u32 {
        1
    }
}

impl Default for RetryBudgetSpec {
    fn default() -> Self {
        RetryBudgetSpec::TokenBucket {
            tokens: Self::default_tokens(),
            retry_cost: Self::default_retry_cost(),
            success_refund: Self::default_success_refund(),
        }
    }
}
