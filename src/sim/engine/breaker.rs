//! Client circuit breakers, one per (population, target region) of a population with a `breaker`
//! (docs/references.md#circuit-breakers). A breaker is **closed** until its attempts to the region fail
//! `consecutive_failures` times in a row, or a share of at least `failure_ratio` of the last `window`
//! attempts (once the window holds `min_calls`); it is then **open** for `open`: every attempt to the
//! region is refused at the client (it fails at once, or goes to a fallback region). When the interval
//! has passed it is **half-open** and lets `half_open_probes` attempts through: it closes once all of
//! them succeed and opens again at the first that fails; further attempts are refused meanwhile.
//!
//! A breaker learns an attempt's outcome at the instant its client sees it: an outcome decided early
//! (a connect timeout is known when nothing answers, and seen seconds later) reaches the breaker as a
//! traffic event at that instant. Outcomes of attempts sent before the breaker's current state began
//! (in flight when it opened, or sent before it closed) are not counted: only what was sent through
//! the state's own door says anything about it. Every change of state changes what traffic does, so
//! it is declared through the kernel: the opening (`TakesAway`) and the closing (`Adds`) on the
//! traffic path, and the end of the open interval as an infrastructure event (`Steers`), so sampled
//! fidelity never skips over it.

use super::arena::Request;
use super::event::{BreakerEvent, Event};
use super::kernel::{Change, Kernel};
use crate::model::architecture::Model;
use crate::model::breaker::{BreakerPolicy, Fallback};
use crate::model::routing::Routing;
use crate::model::time::SimTime;
use crate::sim::observation::FailureCause;

/// A breaker's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum State {
    Closed,
    Open,
    HalfOpen,
}

/// Why a breaker opened.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Trip {
    /// This many attempts failed in a row.
    Consecutive(u32),
    /// `failed` of the last `of` attempts failed.
    Ratio { failed: u32, of: u32 },
    /// A half-open probe failed.
    Probe,
}

/// A change of a breaker's state, for the recorder (trips, trace).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Transition {
    pub at: SimTime,
    pub population: usize,
    pub region: usize,
    pub to: State,
    /// Why it opened (for `to == Open`).
    pub trip: Option<Trip>,
}

/// The breaker of one (population, region).
#[derive(Debug, Clone)]
struct Breaker {
    state: State,
    /// When the current state began: outcomes of attempts sent before it are not counted.
    since: SimTime,
    /// Bumped at every change of state: an outcome or an event of an earlier state is stale.
    epoch: u32,
    /// Failures in a row (closed).
    consecutive: u32,
    /// The sliding window of the last attempts' outcomes (closed): `true` for a failure.
    window: Vec<bool>,
    /// The next slot of `window` to write.
    head: usize,
    /// Outcomes in the window (up to its size).
    filled: u32,
    /// Failures in the window.
    failed: u32,
    /// Probes let through, and probes that succeeded (half-open).
    probes_sent: u32,
    probes_ok: u32,
}

impl Breaker {
    fn new(window: u32) -> Breaker {
        Breaker {
            state: State::Closed,
            since: SimTime::ZERO,
            epoch: 0,
            consecutive: 0,
            window: vec![false; window as usize],
            head: 0,
            filled: 0,
            failed: 0,
            probes_sent: 0,
            probes_ok: 0,
        }
    }

    /// Enters `state` at `at`, forgetting the counts of the one it leaves.
    fn enter(&mut self, state: State, at: SimTime) {
        self.state = state;
        self.since = at;
        self.epoch = self.epoch.wrapping_add(1);
        self.consecutive = 0;
        self.window.fill(false);
        self.head = 0;
        self.filled = 0;
        self.failed = 0;
        self.probes_sent = 0;
        self.probes_ok = 0;
    }

    /// Whether an attempt may go through now (a half-open breaker counts it as a probe).
    fn pass(&mut self, policy: &BreakerPolicy) -> bool {
        match self.state {
            State::Closed => true,
            State::Open => false,
            State::HalfOpen if self.probes_sent < policy.half_open_probes => {
                self.probes_sent += 1;
                true
            }
            State::HalfOpen => false,
        }
    }

    /// Counts a closed breaker's outcome; the trip it causes, if any.
    fn count(&mut self, policy: &BreakerPolicy, failed: bool) -> Option<Trip> {
        self.consecutive = if failed { self.consecutive + 1 } else { 0 };
        let size = self.window.len();
        if self.filled as usize == size {
            self.failed -= u32::from(self.window[self.head]);
        } else {
            self.filled += 1;
        }
        self.window[self.head] = failed;
        self.failed += u32::from(failed);
        self.head = (self.head + 1) % size;
        if self.consecutive >= policy.consecutive_failures {
            Some(Trip::Consecutive(self.consecutive))
        } else if self.filled >= policy.min_calls
            && self.failed as f64 >= policy.failure_ratio * self.filled as f64
        {
            Some(Trip::Ratio { failed: self.failed, of: self.filled })
        } else {
            None
        }
    }
}

/// What the breakers say of an attempt about to be sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Verdict {
    /// It goes where it was going.
    Pass,
    /// Its region's breaker refuses it; it goes to this region instead (a fallback).
    Redirect(usize),
    /// Refused, and no fallback took it: it fails at once.
    Refuse,
}

pub(super) struct Breakers {
    policies: Vec<Option<BreakerPolicy>>,
    regions: usize,
    /// `[population × regions + region]`; empty for a population without a breaker.
    breakers: Vec<Option<Breaker>>,
    /// Each population's fallback order: the regions its routing may send to, most preferred first.
    order: Vec<Vec<usize>>,
    /// Changes of state since the engine last took them.
    transitions: Vec<Transition>,
}

impl Breakers {
    pub fn new(model: &Model) -> Breakers {
        let regions = model.regions.len();
        let policies: Vec<Option<BreakerPolicy>> = model.populations.iter().map(|p| p.breaker).collect();
        let breakers = policies
            .iter()
            .flat_map(|p| (0..regions).map(move |_| p.map(|p| Breaker::new(p.window))))
            .collect();
        let order = model
            .populations
            .iter()
            .map(|p| {
                let mut order = p.routing.candidates(&model.entry_regions);
                if !matches!(p.routing, Routing::Failover(_)) {
                    let rtt = |r: usize| model.network.rtt_s(p.location, model.regions[r].location);
                    order.sort_by(|&a, &b| {
                        rtt(a)
                            .total_cmp(&rtt(b))
                            .then_with(|| model.regions[a].name.cmp(&model.regions[b].name))
                    });
                }
                order
            })
            .collect();
        Breakers { policies, regions, breakers, order, transitions: Vec::new() }
    }

    /// Whether population `p` has breakers.
    #[inline]
    pub fn active(&self, p: usize) -> bool {
        self.policies[p].is_some()
    }

    /// Population `p`'s client is about to send an attempt to `region`.
    pub fn admit(&mut self, p: usize, region: usize) -> Verdict {
        let Some(policy) = self.policies[p] else { return Verdict::Pass };
        let base = p * self.regions;
        if self.breakers[base + region].as_mut().is_some_and(|b| b.pass(&policy)) {
            return Verdict::Pass;
        }
        if policy.fallback == Fallback::NextRegion {
            for &other in &self.order[p] {
                if other != region && self.breakers[base + other].as_mut().is_some_and(|b| b.pass(&policy)) {
                    return Verdict::Redirect(other);
                }
            }
        }
        Verdict::Refuse
    }

    /// Attempt `r` (sent to `r.entry_region` at `r.attempt_start`) has `outcome`, which its client sees
    /// at `at`: counted by the breaker then (now, or by a traffic event at `at`).
    pub fn attempt_outcome(
        &mut self,
        kernel: &mut Kernel,
        r: &Request,
        at: SimTime,
        outcome: Result<(), FailureCause>,
    ) {
        let p = r.population as usize;
        let region = r.entry_region as usize;
        if self.policies[p].is_none()
            || matches!(
                outcome,
                Err(FailureCause::BreakerOpen | FailureCause::Unfinished | FailureCause::DnsUnavailable)
            )
        {
            return;
        }
        let Some(b) = &self.breakers[p * self.regions + region] else { return };
        if r.attempt_start < b.since || b.state == State::Open {
            return; // sent before this state began, or arriving while open: it says nothing now
        }
        let (failed, epoch) = (outcome.is_err(), b.epoch);
        if at > kernel.now {
            let event = BreakerEvent::Outcome { population: p as u32, region: region as u32, epoch, failed };
            kernel.schedule(at, Event::Breaker(event));
        } else {
            self.count(kernel, p, region, epoch, failed, at);
        }
    }

    /// The outcome of an attempt sent in state `epoch` of breaker (p, region) reaches it at `at`.
    pub fn count(
        &mut self,
        kernel: &mut Kernel,
        p: usize,
        region: usize,
        epoch: u32,
        failed: bool,
        at: SimTime,
    ) {
        let Some(policy) = self.policies[p] else { return };
        let Some(b) = &mut self.breakers[p * self.regions + region] else { return };
        if b.epoch != epoch {
            return;
        }
        let trip = match b.state {
            State::Open => None,
            State::Closed => b.count(&policy, failed),
            State::HalfOpen if failed => Some(Trip::Probe),
            State::HalfOpen => {
                b.probes_ok += 1;
                if b.probes_ok >= policy.half_open_probes {
                    b.enter(State::Closed, at);
                    kernel.changed(Change::Adds);
                    self.transitions.push(Transition {
                        at,
                        population: p,
                        region,
                        to: State::Closed,
                        trip: None,
                    });
                }
                None
            }
        };
        if let Some(trip) = trip {
            b.enter(State::Open, at);
            let event =
                BreakerEvent::HalfOpen { population: p as u32, region: region as u32, epoch: b.epoch };
            kernel.schedule_change(at.plus(policy.open), Event::Breaker(event), Change::Steers);
            kernel.changed(Change::TakesAway);
            self.transitions.push(Transition {
                at,
                population: p,
                region,
                to: State::Open,
                trip: Some(trip),
            });
        }
    }

    /// The open interval of breaker (p, region), opened in state `epoch`, has passed: it half-opens.
    pub fn half_open(&mut self, p: usize, region: usize, epoch: u32, at: SimTime) {
        let Some(b) = &mut self.breakers[p * self.regions + region] else { return };
        if b.epoch != epoch || b.state != State::Open {
            return;
        }
        b.enter(State::HalfOpen, at);
        self.transitions.push(Transition { at, population: p, region, to: State::HalfOpen, trip: None });
    }

    /// The changes of state since the last call.
    pub fn take_transitions(&mut self) -> Vec<Transition> {
        std::mem::take(&mut self.transitions)
    }

    /// Whether a change of state happened since the last [`Breakers::take_transitions`].
    #[inline]
    pub fn moved(&self) -> bool {
        !self.transitions.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> BreakerPolicy {
        BreakerPolicy {
            consecutive_failures: 3,
            failure_ratio: 0.5,
            window: 4,
            min_calls: 4,
            open: SimTime::from_secs_f64(1.0),
            half_open_probes: 2,
            fallback: Fallback::FailFast,
        }
    }

    #[test]
    fn consecutive_failures_and_the_window_ratio_trip_a_closed_breaker() {
        let p = policy();
        let mut b = Breaker::new(p.window);
        assert_eq!(b.count(&p, true), None);
        assert_eq!(b.count(&p, true), None);
        assert_eq!(b.count(&p, true), Some(Trip::Consecutive(3)));
        // The ratio: 2 failures of 4 (0.5 >= 0.5) once the window holds min_calls = 4, never before.
        let mut b = Breaker::new(p.window);
        assert_eq!(b.count(&p, true), None);
        assert_eq!(b.count(&p, false), None);
        assert_eq!(b.count(&p, false), None);
        assert_eq!(b.count(&p, true), Some(Trip::Ratio { failed: 2, of: 4 }));
        // A sliding window: the oldest outcome leaves it (f s s f, then s s: 1 of 4).
        let mut b = Breaker::new(p.window);
        for failed in [true, false, false, false, false, true] {
            assert_eq!(b.count(&p, failed), None, "{failed}");
        }
        assert_eq!((b.failed, b.filled), (1, 4));
    }

    #[test]
    fn a_half_open_breaker_lets_its_probes_through_and_no_more() {
        let p = policy();
        let mut b = Breaker::new(p.window);
        b.enter(State::Open, SimTime::ZERO);
        assert!(!b.pass(&p));
        b.enter(State::HalfOpen, SimTime::ZERO);
        assert!(b.pass(&p) && b.pass(&p));
        assert!(!b.pass(&p));
    }
}
