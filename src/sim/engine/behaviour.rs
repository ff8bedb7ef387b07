//! The extension points of request behaviour, called at the three places a request's fate is decided:
//!
//! - [`Behaviours::admit`]: a client is about to send an attempt (a retry budget or an open circuit
//!   breaker may refuse it);
//! - [`Behaviours::attempt_outcome`]: an attempt has an outcome (a failed one may be retried later);
//! - [`Behaviours::draw_service`]: an instance starts serving a request (a degraded instance may be
//!   slower, or fail a share of its requests).
//!
//! Each behaviour is a module with its own state and configuration, reached from these functions by
//! static dispatch; a behaviour that changes state the fast-forward must know of declares it through
//! the kernel (`Kernel::changed`). With no behaviour configured every hook is the identity: the
//! request is admitted, its outcome is final, its service time is the service's distribution.

use rand::rngs::Xoshiro256PlusPlus;

use crate::model::distribution::Distribution;

/// Whether an attempt may be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Admission {
    Admit,
}

/// What becomes of an attempt's outcome.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum AttemptOutcome {
    /// The request's outcome is this attempt's.
    Final,
}

/// How an instance serves a request.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum ServiceDraw {
    /// Served for this long \[s\].
    Serve(f64),
}

/// The request behaviours of a model (none yet beyond the plain request path).
#[derive(Debug, Default)]
pub(super) struct Behaviours {}

impl Behaviours {
    /// Extension point: may the attempt be sent?
    #[inline]
    pub fn admit(&mut self) -> Admission {
        Admission::Admit
    }

    /// Extension point: an attempt's outcome is known; is it the request's?
    #[inline]
    pub fn attempt_outcome(&mut self, _ok: bool) -> AttemptOutcome {
        AttemptOutcome::Final
    }

    /// Extension point: the service time of a request an instance starts, from the service's
    /// distribution `base`.
    #[inline]
    pub fn draw_service(&mut self, base: &Distribution, rng: &mut Xoshiro256PlusPlus) -> ServiceDraw {
        ServiceDraw::Serve(base.sample_s(rng))
    }
}
