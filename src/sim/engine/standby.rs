//! Standby postures: when health checks declare a region that served traffic unhealthy, every standby
//! deployment elsewhere (warm, pilot light, backup and restore) starts its scale-up, provisioning or
//! restore (waiting for its region's control plane if that is down), or, for an operator-triggered
//! posture, when the operator decides to (docs/architecture.md#failover-trigger); a woken region returns
//! to its posture a cool-down after traffic has left it.

use rand::rngs::Xoshiro256PlusPlus;

use super::event::{Event, StandbyEvent};
use super::faults::Faults;
use super::fleet::Fleet;
use super::kernel::{Change, Kernel};
use crate::model::architecture::Model;
use crate::model::ids::DeploymentId;
use crate::model::time::SimTime;
use crate::sim::streams::{Purpose, stream};

/// How long an activated standby stays scaled up after traffic has left it \[s\]: a typical auto-scaling
/// cool-down, so clients with stale DNS answers still find capacity (an assumption, not a sourced
/// figure: docs/references.md#assumptions).
pub const SCALE_IN_DELAY_S: f64 = 900.0;

#[derive(Default)]
struct Posture {
    /// A failover to this deployment has begun (scale-up pending or done).
    activated: bool,
    /// Waiting for the region's control plane to come back before scaling up.
    awaiting_control_plane: bool,
    /// Bumped at every (de)activation: pending events with an older epoch are stale.
    epoch: u32,
}

pub(super) struct Standby {
    postures: Vec<Posture>,
    /// Per region: one recovery delay for all its standby deployments.
    rng: Vec<Xoshiro256PlusPlus>,
}

impl Standby {
    pub fn new(model: &Model, seed: u64, replication: u32) -> Standby {
        Standby {
            postures: model.deployments.iter().map(|_| Posture::default()).collect(),
            rng: model
                .regions
                .iter()
                .map(|r| stream(seed, replication, Purpose::Activation, &r.name))
                .collect(),
        }
    }

    /// Region `failed` is down while it served traffic and a failover to the standbys `wakes` selects
    /// begins (the health checks' verdict for the automatic ones, an operator's decision for the others,
    /// docs/architecture.md#failover-trigger): every such deployment elsewhere starts scaling up (or
    /// waits for its region's control plane). Returns the regions woken.
    pub fn begin_failover(
        &mut self,
        model: &Model,
        kernel: &mut Kernel,
        faults: &Faults,
        fleet: &Fleet,
        failed: usize,
        wakes: impl Fn(DeploymentId) -> bool,
    ) -> Vec<usize> {
        let mut regions = Vec::new();
        for r in 0..model.regions.len() {
            if r == failed {
                continue;
            }
            let mut woken = false;
            for (d, dep) in model.deployments.iter().enumerate() {
                if dep.region != r
                    || dep.standby.activation().is_none()
                    || self.postures[d].activated
                    || !wakes(d)
                {
                    continue;
                }
                let p = &mut self.postures[d];
                p.activated = true;
                p.epoch = p.epoch.wrapping_add(1);
                p.awaiting_control_plane = faults.control_plane_down(r);
                woken = true;
            }
            if woken {
                regions.push(r);
                if !faults.control_plane_down(r) {
                    self.schedule_activation(model, kernel, fleet, r, false);
                }
            }
        }
        regions
    }

    /// Starts the scale-up of every woken standby deployment of region `r` at once: a region recovers as
    /// one runbook, so one delay is drawn (from the first such deployment's distribution) for all of
    /// them, not one per tier (which would make recovery the latest of several draws).
    fn schedule_activation(
        &mut self,
        model: &Model,
        kernel: &mut Kernel,
        fleet: &Fleet,
        r: usize,
        only_awaiting: bool,
    ) {
        let waiting: Vec<usize> = (0..self.postures.len())
            .filter(|&d| model.deployments[d].region == r && self.postures[d].activated)
            .filter(|&d| !only_awaiting || self.postures[d].awaiting_control_plane)
            .filter(|&d| fleet.provisioned(d) < model.deployments[d].fleet)
            .collect();
        let Some(delay) = waiting.first().and_then(|&d| model.deployments[d].standby.activation()) else {
            return;
        };
        let at = kernel.now.plus(SimTime::from_secs_f64(delay.sample_s(&mut self.rng[r])));
        for d in waiting {
            self.postures[d].awaiting_control_plane = false;
            let epoch = self.postures[d].epoch;
            let event = Event::Standby(StandbyEvent::Activate { deployment: d as u32, epoch });
            kernel.schedule_change(at, event, Change::Adds);
        }
    }

    /// A region's control plane is back: scale-ups that waited for it start now.
    pub fn control_plane_back(&mut self, model: &Model, kernel: &mut Kernel, fleet: &Fleet, r: usize) {
        if (0..self.postures.len())
            .any(|d| model.deployments[d].region == r && self.postures[d].awaiting_control_plane)
        {
            self.schedule_activation(model, kernel, fleet, r, true);
        }
    }

    /// A scale-up completes: the fleet size to provision, unless superseded or the control plane is
    /// down (then it waits for it).
    pub fn activate(&mut self, model: &Model, faults: &Faults, d: DeploymentId, epoch: u32) -> Option<u32> {
        let p = &mut self.postures[d];
        if epoch != p.epoch || !p.activated {
            return None;
        }
        if faults.control_plane_down(model.deployments[d].region) {
            p.awaiting_control_plane = true;
            return None;
        }
        Some(model.deployments[d].fleet)
    }

    /// Schedules the return to its posture of every woken deployment no answer uses any more, once all
    /// entry regions are healthy again. `routed_to(r)`: whether some answer points at region r.
    pub fn schedule_scale_ins(
        &self,
        model: &Model,
        kernel: &mut Kernel,
        all_healthy: bool,
        routed_to: impl Fn(usize) -> bool,
    ) {
        for (d, p) in self.postures.iter().enumerate() {
            if p.activated && all_healthy && !routed_to(model.deployments[d].region) {
                let at = kernel.now.plus(SimTime::from_secs_f64(SCALE_IN_DELAY_S));
                let event = Event::Standby(StandbyEvent::ScaleIn { deployment: d as u32, epoch: p.epoch });
                kernel.schedule_change(at, event, Change::TakesAway);
            }
        }
    }

    /// Whether deployment `d` is held by its posture: a standby not failed over to (its autoscaling, if
    /// any, waits until it is).
    pub fn dormant(&self, model: &Model, d: DeploymentId) -> bool {
        model.deployments[d].standby.activation().is_some() && !self.postures[d].activated
    }

    /// A scale-in is due: the posture's fleet size, unless superseded or traffic came back.
    pub fn scale_in(&mut self, model: &Model, d: DeploymentId, epoch: u32, routed: bool) -> Option<u32> {
        let p = &mut self.postures[d];
        if epoch != p.epoch || !p.activated || routed {
            return None;
        }
        p.activated = false;
        p.awaiting_control_plane = false;
        p.epoch = p.epoch.wrapping_add(1);
        let dep = &model.deployments[d];
        Some(dep.standby.initially_running(dep.fleet))
    }
}
