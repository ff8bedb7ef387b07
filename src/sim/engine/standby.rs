//! Standby postures: when health checks declare a region that served traffic unhealthy, every standby
//! deployment elsewhere (warm, pilot light, backup and restore) starts its scale-up, provisioning or
//! restore (waiting while its region's control plane is impaired or a dependency it needs at launch is
//! down: docs/architecture.md#dependencies), or, for an operator-triggered
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
    /// Waiting to scale up until it can launch: its region's control plane back, the copies of the
    /// dependencies it needs at launch or for its control plane up.
    awaiting: bool,
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
    /// docs/architecture.md#failover-trigger): every such deployment elsewhere starts scaling up, or
    /// waits while it cannot launch (its control plane impaired, or a copy of a dependency it needs at
    /// launch down: [`Standby::blocked`]). Returns the regions woken.
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
                p.awaiting = Standby::blocked(model, faults, d);
                woken = true;
            }
            if woken {
                regions.push(r);
                let ready: Vec<usize> = (0..self.postures.len())
                    .filter(|&d| model.deployments[d].region == r && self.postures[d].activated)
                    .filter(|&d| !Standby::blocked(model, faults, d))
                    .collect();
                self.schedule_activation(model, kernel, fleet, r, ready);
            }
        }
        regions
    }

    /// Whether deployment `d` cannot start launching its standby fleet now: its control plane is
    /// impaired, or a dependency its service needs at launch has its copy down
    /// (docs/architecture.md#dependencies).
    fn blocked(model: &Model, faults: &Faults, d: DeploymentId) -> bool {
        faults.control_plane_impaired(model, d) || !faults.launch_needs_up(model, d)
    }

    /// Starts the scale-up of the woken standby deployments `ready` of region `r` (those still short of
    /// their fleet) at once: a region recovers as one runbook, so one delay is drawn (from the first
    /// such deployment's distribution) for all of them, not one per tier (which would make recovery the
    /// latest of several draws).
    fn schedule_activation(
        &mut self,
        model: &Model,
        kernel: &mut Kernel,
        fleet: &Fleet,
        r: usize,
        ready: Vec<usize>,
    ) {
        let waiting: Vec<usize> =
            ready.into_iter().filter(|&d| fleet.provisioned(d) < model.deployments[d].fleet).collect();
        let Some(delay) = waiting.first().and_then(|&d| model.deployments[d].standby.activation()) else {
            return;
        };
        let at = kernel.now.plus(SimTime::from_secs_f64(delay.sample_s(&mut self.rng[r])));
        for d in waiting {
            self.postures[d].awaiting = false;
            let epoch = self.postures[d].epoch;
            let event = Event::Standby(StandbyEvent::Activate { deployment: d as u32, epoch });
            kernel.schedule_change(at, event, Change::Adds);
        }
    }

    /// Something that blocked launches may be back (a control plane, a dependency's copy, a region
    /// homing one): in each region, the scale-ups that waited and can start now start, their delay
    /// counted from now.
    pub fn resume(&mut self, model: &Model, kernel: &mut Kernel, faults: &Faults, fleet: &Fleet) {
        if !self.postures.iter().any(|p| p.awaiting) {
            return;
        }
        for r in 0..model.regions.len() {
            let ready: Vec<usize> = (0..self.postures.len())
                .filter(|&d| model.deployments[d].region == r && self.postures[d].awaiting)
                .filter(|&d| !Standby::blocked(model, faults, d))
                .collect();
            if !ready.is_empty() {
                self.schedule_activation(model, kernel, fleet, r, ready);
            }
        }
    }

    /// A scale-up completes: the fleet size to provision, unless superseded or the control plane is
    /// impaired (then it waits for it). A dependency needed at launch is needed when the launch starts
    /// (the image is pulled then), not at its end.
    pub fn activate(&mut self, model: &Model, faults: &Faults, d: DeploymentId, epoch: u32) -> Option<u32> {
        let p = &mut self.postures[d];
        if epoch != p.epoch || !p.activated {
            return None;
        }
        if faults.control_plane_impaired(model, d) {
            p.awaiting = true;
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
        p.awaiting = false;
        p.epoch = p.epoch.wrapping_add(1);
        let dep = &model.deployments[d];
        Some(dep.standby.initially_running(dep.fleet))
    }
}
