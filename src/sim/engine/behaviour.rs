//! The extension points of request behaviour, called at the three places a request's fate is decided:
//!
//! - [`Behaviours::admit`]: a client is about to send an attempt (its circuit breaker for the region
//!   may refuse it, or send it to a fallback region);
//! - [`Behaviours::attempt_outcome`]: an attempt has an outcome (a failed one may be retried later);
//! - [`Behaviours::draw_service`]: an instance starts serving a request (a degraded instance may be
//!   slower, or fail a share of its requests).
//!
//! Each behaviour is a module with its own state and configuration, reached from these functions by
//! static dispatch; a behaviour that changes state the fast-forward must know of declares it through
//! the kernel (`Kernel::changed`). With no behaviour configured every hook is the identity: the
//! request is admitted, its outcome is final, its service time is the service's distribution.

use rand::rngs::Xoshiro256PlusPlus;

use super::arena::Request;
use super::breaker::{Breakers, Verdict};
use super::hop::Hops;
use super::kernel::Kernel;
pub(super) use super::retry::Decision as AttemptOutcome;
use super::retry::Retries;
use crate::model::architecture::Model;
use crate::model::distribution::Distribution;
use crate::model::time::SimTime;
use crate::sim::observation::FailureCause;

/// Whether an attempt may be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Admission {
    /// It is sent where it was going.
    Admit,
    /// It is sent to this region instead (a breaker's fallback).
    Redirect(usize),
    /// It is not sent: it fails at once at the client (`breaker_open`).
    Refuse,
}

/// How an instance serves a request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum ServiceDraw {
    /// Served for this long \[s\].
    Serve(f64),
}

/// The request behaviours of a model: client retries (`retry`), per-hop retries (`hop`, called where an
/// attempt's call to a hop fails) and circuit breakers (`breaker`); gray
/// failures act through `draw_service`'s slowdown.
pub(super) struct Behaviours {
    pub retries: Retries,
    pub hops: Hops,
    pub breakers: Breakers,
}

impl Behaviours {
    pub fn new(model: &Model, seed: u64, replication: u32) -> Behaviours {
        Behaviours {
            retries: Retries::new(model, seed, replication),
            hops: Hops::new(model, seed, replication),
            breakers: Breakers::new(model),
        }
    }

    /// Extension point: may attempt `r` be sent to its entry region?
    #[inline]
    pub fn admit(&mut self, r: &Request) -> Admission {
        let p = r.population as usize;
        if !self.breakers.active(p) {
            return Admission::Admit;
        }
        match self.breakers.admit(p, r.entry_region as usize) {
            Verdict::Pass => Admission::Admit,
            Verdict::Redirect(region) => Admission::Redirect(region),
            Verdict::Refuse => Admission::Refuse,
        }
    }

    /// Extension point: attempt `r` ended at `at` with `outcome` (the request's deadline is
    /// `deadline`); is it the request's outcome, or is it retried?
    #[inline]
    pub fn attempt_outcome(
        &mut self,
        kernel: &mut Kernel,
        r: &Request,
        at: SimTime,
        outcome: Result<(), FailureCause>,
        deadline: SimTime,
    ) -> AttemptOutcome {
        self.breakers.attempt_outcome(kernel, r, at, outcome);
        self.retries.decide(r, at, outcome, deadline)
    }

    /// Extension point: the service time of a request an instance starts, from the service's
    /// distribution `base`, at an instance `slow` times slower than normal (a gray failure; 1 when
    /// healthy).
    #[inline]
    pub fn draw_service(
        &mut self,
        base: &Distribution,
        slow: f64,
        rng: &mut Xoshiro256PlusPlus,
    ) -> ServiceDraw {
        ServiceDraw::Serve(base.sample_s(rng) * slow)
    }
}
