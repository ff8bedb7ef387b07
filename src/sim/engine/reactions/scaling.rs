//! Reactions to an autoscaler: what it reads of the fleet, and the launches and drains it decides.

use crate::sim::engine::Engine;
use crate::sim::engine::autoscaler::{Autoscaler, Decision, Reading};
use crate::sim::engine::kernel::Change;
use crate::sim::observation::SteeringKind;
use crate::sim::trace::What;

/// Autoscaling: the engine reads the fleet for the autoscaler and applies what it decides.
impl Engine<'_> {
    /// What the autoscaler of deployment `d` sees now.
    pub(super) fn reading(&self, d: usize) -> Reading {
        let now = self.kernel.now;
        let (work_s, requests) = self.fleet.load_totals(d, now);
        Reading {
            work_s,
            requests,
            answering: self.fleet.answering(d),
            in_service: self.fleet.in_service(d),
            free_slots: self.fleet.free_slots(self.model, d),
            control_plane_down: self.faults.control_plane_impaired(self.model, d),
            launch_blocked: !self.faults.launch_needs_up(self.model, d),
            dormant: self.standby.dormant(self.model, d),
        }
    }

    /// A control plane, a region or a dependency's copy is back: the launches that waited for it and can
    /// start now start (a standby's scale-up, an autoscaler's scale-out), their launch time counted
    /// from now (docs/architecture.md#dependencies). Each is a scheduled change that adds.
    pub(super) fn resume_launches(&mut self) {
        let model = self.model;
        self.standby.resume(model, &mut self.kernel, &self.faults, &self.fleet);
        for d in 0..model.deployments.len() {
            if self.autoscaler.waiting(d)
                && self.faults.launch_needs_up(model, d)
                && !self.faults.control_plane_impaired(model, d)
            {
                self.autoscaler.resume(model, &mut self.kernel, d);
            }
        }
    }

    /// The autoscalers' evaluation is due: drains that are done stop, then each due deployment's
    /// datapoint is judged. An evaluation that changes nothing declares nothing.
    pub(in crate::sim::engine) fn on_evaluate(&mut self) {
        let now = self.kernel.now;
        for d in self.autoscaler.due_now(now) {
            let delay = Autoscaler::deregistration_delay(self.model, d);
            let seconds = self.fleet.account(d, now, self.scenario.warmup, self.scenario.horizon);
            self.recorder.instance_seconds(d, seconds);
            let stopped = self.fleet.finish_drains(self.model, d, now, delay);
            if !stopped.is_empty() {
                // What serves is unchanged until the refresh: a draining instance is out of rotation.
                self.before_change();
                self.change_fleet(&stopped);
                // An idle instance out of rotation stops: nothing is lost, the bill changes.
                self.kernel.changed(Change::Steers);
            }
            let reading = self.reading(d);
            let decision = self.autoscaler.evaluate(self.model, &mut self.kernel, d, reading);
            self.apply(d, decision);
        }
    }

    /// A scheduled action of deployment `d`'s autoscaling is due.
    pub(in crate::sim::engine) fn on_scheduled(&mut self, d: usize, k: usize) {
        let reading = self.reading(d);
        let decision = self.autoscaler.scheduled(self.model, &mut self.kernel, d, k, reading);
        self.apply(d, decision);
    }

    /// A launched instance of deployment `d` is in service (a declared change that adds capacity).
    pub(in crate::sim::engine) fn on_launched(&mut self, d: usize, epoch: u32) {
        if !self.autoscaler.launched(d, epoch) {
            return;
        }
        let now = self.kernel.now;
        let seconds = self.fleet.account(d, now, self.scenario.warmup, self.scenario.horizon);
        self.recorder.instance_seconds(d, seconds);
        if let Some(i) = self.fleet.launch_one(self.model, d) {
            self.change_fleet(&[i]);
            let answering = self.fleet.answering(d);
            self.trace_deployment(d, What::Launched { answering });
        }
    }

    /// Records an autoscaler's decision and applies a drain (launches are already scheduled).
    pub(super) fn apply(&mut self, d: usize, decision: Decision) {
        let now = self.kernel.now;
        let subject = self.deployment_subject(d);
        let (kind, count) = match decision {
            Decision::Hold => return,
            Decision::Launch(n) => (SteeringKind::AutoscaleOut, i64::from(n)),
            Decision::Blocked(n) => (SteeringKind::AutoscaleBlocked, n),
            Decision::Drain(n) => {
                self.before_change();
                let seconds = self.fleet.account(d, now, self.scenario.warmup, self.scenario.horizon);
                self.recorder.instance_seconds(d, seconds);
                let stopped = self.fleet.drain(self.model, d, n, now);
                self.change_fleet(&stopped);
                // Capacity leaves the rotation: traffic moves to the other instances, nothing is lost.
                self.kernel.changed(Change::Steers);
                (SteeringKind::AutoscaleIn, -i64::from(n))
            }
        };
        let what = match kind {
            SteeringKind::AutoscaleOut => What::ScaleOut { launching: count.unsigned_abs() as u32 },
            SteeringKind::AutoscaleIn => What::ScaleIn { draining: count.unsigned_abs() as u32 },
            _ => What::ScaleBlocked { wanted: count },
        };
        self.trace_deployment(d, what);
        self.recorder.counted_event(self.scenario, now, kind, subject, Some(count));
    }

    /// Instances `changed` joined or left their fleet (the instance-seconds before were accounted):
    /// they are refreshed, failing what a stopped one still held, and what serves follows.
    pub(super) fn change_fleet(&mut self, changed: &[usize]) {
        for &i in changed {
            self.refresh_instance(i);
        }
        self.refresh_endpoints();
        self.refresh_served();
    }
}
