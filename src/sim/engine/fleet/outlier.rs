//! Passive outlier detection by a deployment's load balancer, as Envoy does it for consecutive 5xx
//! (docs/references.md#outlier-detection). The balancer sees each result an instance gives: a failure
//! when the instance returns an error, refuses the connection (it crashed and is still in rotation),
//! leaves the request unanswered until its client gives up (a timeout, which Envoy counts as a 504
//! when local and external errors are not split, its default), or turns it away (a full queue, a
//! dependency it cannot reach); a success when it finishes serving it. What the later hops of the
//! path do is theirs: their own balancers judge them.
//!
//! At the `consecutive_5xx`-th failure in a row the instance is ejected at once, if less than
//! `max_ejection_percent` of its deployment's instances is ejected then (so with any positive
//! percentage one instance always may be); either way its count starts again. An ejected instance
//! gets no request unless the balancer panics: when fewer than half of the instances in rotation are
//! not ejected (Envoy's default `healthy_panic_threshold`, 50%), ejections are ignored. Each ejection
//! raises the instance's multiplier by one (up to where `max_ejection_time` caps it); the ejection
//! lasts `base_ejection_time` × the multiplier, at most `max_ejection_time`, and ends at the first
//! sweep (every `interval` from the start) after it has passed. Each sweep that finds the instance
//! not ejected lowers its multiplier by one: those are counted when it is next ejected, as the
//! sweeps between its return and then, so sweeps are not events.
//!
//! An ejection changes where traffic goes: it is declared to the kernel (`TakesAway`), and the return
//! is an infrastructure event declared `Adds`, so sampled fidelity never averages over either.

use super::Fleet;
use crate::model::architecture::Model;
use crate::model::ids::InstanceId;
use crate::model::outlier::OutlierPolicy;
use crate::model::time::SimTime;
use crate::sim::engine::event::{Event, FleetEvent};
use crate::sim::engine::kernel::{Change, Kernel};

/// What a balancer's outlier detection knows of one instance.
#[derive(Debug, Clone, Copy, Default)]
pub(in crate::sim::engine) struct Monitor {
    /// Failures in a row since the last success, ejection attempt or return.
    consecutive: u32,
    /// The ejection-time multiplier (Envoy's backoff): raised at each ejection, lowered at each sweep
    /// that finds the instance not ejected.
    multiplier: u32,
    /// Since when sweeps have been counted against the multiplier (the last return).
    swept_until: SimTime,
    /// Bumped at each ejection: a return scheduled for an earlier one is stale.
    epoch: u32,
}

/// A change of an instance's ejection, for the recorder (ejections, trace).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(in crate::sim::engine) struct Ejection {
    pub at: SimTime,
    pub instance: InstanceId,
    /// Ejected for this long (until the sweep after it), or `None`: returned.
    pub for_time: Option<SimTime>,
}

/// The first sweep at or after `t`: sweeps happen at k × `interval`, k ≥ 1.
fn sweep_at_or_after(t: SimTime, interval: SimTime) -> SimTime {
    let k = t.0.div_ceil(interval.0).max(1);
    SimTime(k.saturating_mul(interval.0))
}

/// Sweeps in (`from`, `to`].
fn sweeps_between(from: SimTime, to: SimTime, interval: SimTime) -> u64 {
    (to.0 / interval.0).saturating_sub(from.0 / interval.0)
}

impl Fleet {
    /// Whether instance `i`'s service has outlier detection.
    #[inline]
    pub fn detects_outliers(&self, model: &Model, i: InstanceId) -> bool {
        model.services[model.instances[i].service].outlier.is_some()
    }

    /// Instance `i` gave a result (`failed` or not) that its balancer sees at `at`: counted now, or by
    /// a traffic event then.
    pub fn instance_result(
        &mut self,
        model: &Model,
        kernel: &mut Kernel,
        i: InstanceId,
        failed: bool,
        at: SimTime,
    ) {
        if !self.detects_outliers(model, i) {
            return;
        }
        if at > kernel.now {
            kernel.schedule(at, Event::Fleet(FleetEvent::Outcome { instance: i as u32, failed }));
        } else {
            self.count_result(model, kernel, i, failed);
        }
    }

    /// Instance `i`'s result reaches its balancer now: a failure may eject it.
    pub fn count_result(&mut self, model: &Model, kernel: &mut Kernel, i: InstanceId, failed: bool) {
        let Some(policy) = model.services[model.instances[i].service].outlier else { return };
        let m = &mut self.monitors[i];
        if !failed {
            m.consecutive = 0;
            return;
        }
        m.consecutive = m.consecutive.saturating_add(1);
        // Envoy acts when the count reaches the threshold exactly, and not while ejected (a panicking
        // balancer still sends to an ejected instance; its return starts the count again).
        if m.consecutive != policy.consecutive_5xx || self.instances[i].ejected {
            return;
        }
        m.consecutive = 0;
        self.try_eject(model, kernel, i, &policy);
    }

    /// Ejects instance `i` now unless its deployment has its share of ejections.
    fn try_eject(&mut self, model: &Model, kernel: &mut Kernel, i: InstanceId, policy: &OutlierPolicy) {
        let d = model.instances[i].deployment;
        let dep = &self.deployments[d];
        // Envoy: eject while 100 × ejected / hosts < max_ejection_percent.
        let hosts = u64::from(dep.provisioned.max(1));
        if 100 * u64::from(dep.ejected) >= u64::from(policy.max_ejection_percent) * hosts {
            return;
        }
        let now = kernel.now;
        let m = &mut self.monitors[i];
        let swept = sweeps_between(m.swept_until, now, policy.interval);
        m.multiplier = m.multiplier.saturating_sub(swept.min(u64::from(u32::MAX)) as u32);
        let base = policy.base_ejection.0;
        if u128::from(m.multiplier) * u128::from(base) < u128::from(policy.max_ejection.0) + u128::from(base)
        {
            m.multiplier += 1;
        }
        let duration = SimTime(base.saturating_mul(u64::from(m.multiplier)).min(policy.max_ejection.0));
        m.epoch = m.epoch.wrapping_add(1);
        let epoch = m.epoch;
        let back = sweep_at_or_after(now.plus(duration), policy.interval);
        let inst = &mut self.instances[i];
        inst.ejected = true;
        let dep = &mut self.deployments[d];
        dep.ejected += 1;
        dep.ejected_serving += u32::from(inst.in_rotation);
        kernel.changed(Change::TakesAway);
        let event = Event::Fleet(FleetEvent::Return { instance: i as u32, epoch });
        kernel.schedule_change(back, event, Change::Adds);
        self.ejections.push(Ejection { at: now, instance: i, for_time: Some(back.since(now)) });
    }

    /// The sweep after instance `i`'s ejection `epoch` has lasted its time: it returns to its
    /// balancer, its count starting again. Whether the event was current.
    pub fn unejected(&mut self, model: &Model, i: InstanceId, epoch: u32, now: SimTime) -> bool {
        if self.monitors[i].epoch != epoch || !self.instances[i].ejected {
            return false;
        }
        let m = &mut self.monitors[i];
        m.consecutive = 0;
        m.swept_until = now;
        let inst = &mut self.instances[i];
        inst.ejected = false;
        let dep = &mut self.deployments[model.instances[i].deployment];
        dep.ejected -= 1;
        dep.ejected_serving -= u32::from(inst.in_rotation);
        self.ejections.push(Ejection { at: now, instance: i, for_time: None });
        true
    }

    /// The ejections and returns since the last call.
    pub fn take_ejections(&mut self) -> Vec<Ejection> {
        std::mem::take(&mut self.ejections)
    }

    /// Whether an ejection or a return happened since the last [`Fleet::take_ejections`].
    #[inline]
    pub fn ejections_moved(&self) -> bool {
        !self.ejections.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sweeps_are_counted_on_the_interval_grid() {
        let s = |x: f64| SimTime::from_secs_f64(x);
        let i = s(10.0);
        // The first sweep is at the interval, never at 0; one at t itself counts.
        assert_eq!(sweep_at_or_after(s(0.0), i), s(10.0));
        assert_eq!(sweep_at_or_after(s(30.0), i), s(30.0));
        assert_eq!(sweep_at_or_after(s(30.5), i), s(40.0));
        assert_eq!(sweeps_between(s(30.0), s(30.0), i), 0);
        assert_eq!(sweeps_between(s(30.0), s(49.9), i), 1);
        assert_eq!(sweeps_between(s(30.0), s(50.0), i), 2);
    }
}
