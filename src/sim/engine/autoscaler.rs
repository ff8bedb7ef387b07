//! The autoscaler: target tracking of each autoscaled deployment (docs/architecture.md#autoscaling).
//!
//! Every metric period it reads the period's datapoint (the work the deployment's servers took on, or
//! the requests its balancer received) and computes the fleet that would meet the target,
//! `want = ceil(load / target)`: for utilisation, load is the busy servers over the concurrency (so
//! `want = ceil(current × utilisation / target)`, as target tracking's proportional metric gives);
//! for requests per instance, the request rate. After `scale_out_periods` datapoints above the target
//! it launches up to `want` (each launch takes its own draw of the launch time and is a scheduled
//! change that adds capacity); after `scale_in_periods` datapoints that all want fewer instances, no
//! launch pending and the scale-in cooldown passed, it drains down to the largest of those wants.
//! Bounds are enforced at every evaluation, scheduled actions change them (and may set a capacity).
//!
//! Every action needs the region's control plane: while it is down nothing is launched or removed,
//! the datapoints keep coming, and the first evaluation after it returns acts (static stability:
//! a fleet that must scale on failover cannot while the control plane is impaired). A copy of a
//! dependency the control plane uses impairs it the same way; one of a dependency the instances need at
//! launch makes the launches wait: they count as requested, and start (their launch time drawn from
//! then) when it returns (docs/architecture.md#dependencies). The evaluation is
//! a clock, not an event: one that changes nothing declares nothing, so sampled fidelity skips over
//! it (reading, during a skip, the window's rates); one that acts declares its change.

use rand::rngs::Xoshiro256PlusPlus;

use super::event::{Event, ScaleEvent};
use super::kernel::{Change, Kernel};
use crate::model::architecture::Model;
use crate::model::autoscaling::ScalingMetric;
use crate::model::distribution::Distribution;
use crate::model::ids::DeploymentId;
use crate::model::time::SimTime;
use crate::sim::streams::{Purpose, stream};

/// What the engine tells the autoscaler about a deployment at an evaluation.
#[derive(Debug, Clone, Copy)]
pub(super) struct Reading {
    /// Work its servers took on so far \[s\], and requests its balancer received (cumulative).
    pub work_s: f64,
    pub requests: f64,
    /// Instances in rotation and up (those that report the metric).
    pub answering: u32,
    /// Instances provisioned and not draining (the group's capacity).
    pub in_service: u32,
    /// Places left in its pool.
    pub free_slots: u32,
    /// Its control plane is impaired: its region's is down, or a copy of a dependency its control plane
    /// uses is.
    pub control_plane_down: bool,
    /// A copy of a dependency its instances need at launch is down: launches wait.
    pub launch_blocked: bool,
    /// A standby posture holds it (not failed over to): the autoscaler waits.
    pub dormant: bool,
}

/// What an evaluation or a scheduled action decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Decision {
    /// Nothing to do.
    Hold,
    /// Launches requested (already scheduled).
    Launch(u32),
    /// Instances to drain now.
    Drain(u32),
    /// A change of this many instances was wanted but the control plane is down (reported once per
    /// episode).
    Blocked(i64),
}

struct Group {
    min: u32,
    max: u32,
    next_eval: SimTime,
    /// The cumulative (work, requests) at the last evaluation, and when it was.
    last: (f64, f64, SimTime),
    /// Consecutive datapoints above the target.
    high: u32,
    /// Consecutive datapoints wanting fewer instances, and the largest of their wants.
    low: u32,
    low_want: u32,
    /// Launches requested and not yet in service.
    pending: u32,
    /// Of `pending`, those not started: a dependency needed at launch was down when they were requested.
    waiting: u32,
    /// The last scale-out: when, and the capacity it asked for.
    last_out: Option<(SimTime, u32)>,
    /// The last scaling activity.
    last_activity: Option<SimTime>,
    /// A blocked change was reported and has not been resolved since.
    blocked: bool,
    /// A scheduled capacity not yet applied (the control plane was down).
    desired: Option<u32>,
    /// Bumped when pending launches are cancelled (a standby posture took over, a scheduled capacity).
    epoch: u32,
}

pub(super) struct Autoscaler {
    groups: Vec<Option<Group>>,
    /// Launch times, per deployment.
    rng: Vec<Xoshiro256PlusPlus>,
    /// When the next evaluation is due (`NEVER` without autoscaling).
    pub due: SimTime,
}

impl Autoscaler {
    pub fn new(model: &Model, seed: u64, replication: u32) -> Autoscaler {
        let groups: Vec<Option<Group>> = model
            .deployments
            .iter()
            .map(|d| {
                d.autoscaling.as_ref().map(|a| Group {
                    min: a.min,
                    max: a.max,
                    next_eval: a.period,
                    last: (0.0, 0.0, SimTime::ZERO),
                    high: 0,
                    low: 0,
                    low_want: 0,
                    pending: 0,
                    waiting: 0,
                    last_out: None,
                    last_activity: None,
                    blocked: false,
                    desired: None,
                    epoch: 0,
                })
            })
            .collect();
        let rng = model
            .deployments
            .iter()
            .map(|d| {
                let name = format!("{}@{}", model.services[d.service].name, model.regions[d.region].name);
                stream(seed, replication, Purpose::Launch, &name)
            })
            .collect();
        let mut a = Autoscaler { groups, rng, due: SimTime::NEVER };
        a.update_due();
        a
    }

    fn update_due(&mut self) {
        self.due = self.groups.iter().flatten().map(|g| g.next_eval).min().unwrap_or(SimTime::NEVER);
    }

    /// Schedules every deployment's scheduled actions before `horizon` (each steers: it is known in
    /// advance, and what it launches is a change of its own).
    pub fn schedule_actions(&self, model: &Model, kernel: &mut Kernel, horizon: SimTime) {
        for (d, dep) in model.deployments.iter().enumerate() {
            let Some(a) = &dep.autoscaling else { continue };
            for (k, action) in a.scheduled.iter().enumerate() {
                if action.at < horizon {
                    let event =
                        Event::Scale(ScaleEvent::Scheduled { deployment: d as u32, action: k as u32 });
                    kernel.schedule_change(action.at, event, Change::Steers);
                }
            }
        }
    }

    /// The deployments whose evaluation is due now.
    pub fn due_now(&self, now: SimTime) -> Vec<DeploymentId> {
        (0..self.groups.len())
            .filter(|&d| self.groups[d].as_ref().is_some_and(|g| g.next_eval <= now))
            .collect()
    }

    /// Evaluates deployment `d`'s datapoint ending now and decides; launches are scheduled here.
    pub fn evaluate(&mut self, model: &Model, kernel: &mut Kernel, d: DeploymentId, r: Reading) -> Decision {
        let now = kernel.now;
        let Some(policy) = &model.deployments[d].autoscaling else { return Decision::Hold };
        let concurrency = f64::from(model.services[model.deployments[d].service].concurrency);
        let Some(g) = self.groups[d].as_mut() else { return Decision::Hold };
        let (work0, requests0, since) = g.last;
        g.last = (r.work_s, r.requests, now);
        g.next_eval = now.plus(policy.period);
        let seconds = now.since(since).as_secs_f64();
        if r.dormant || seconds <= 0.0 {
            (g.high, g.low) = (0, 0);
            self.update_due();
            return Decision::Hold;
        }
        // The datapoint: the load in instances' worth (utilisation) or requests per second.
        let (load, target) = match policy.metric {
            ScalingMetric::Utilisation { target } => ((r.work_s - work0) / seconds / concurrency, target),
            ScalingMetric::RequestsPerInstance { target_per_s } => {
                ((r.requests - requests0) / seconds, target_per_s)
            }
        };
        let capacity = r.in_service + g.pending;
        let mut decision = Decision::Hold;
        if r.answering == 0 {
            // No instance reports: insufficient data, no target tracking (the bounds still hold).
            (g.high, g.low) = (0, 0);
        } else {
            let want = ((load / target - 1e-9).ceil().max(0.0) as u32).clamp(g.min, g.max);
            g.high = if load / f64::from(r.answering) > target { g.high + 1 } else { 0 };
            if want < r.in_service {
                g.low_want = if g.low == 0 { want } else { g.low_want.max(want) };
                g.low += 1;
            } else {
                g.low = 0;
            }
            let cooling =
                g.last_out.is_some_and(|(t, asked)| now < t.plus(policy.scale_out_cooldown) && want <= asked);
            if g.high >= policy.scale_out_periods && want > r.answering + g.pending && !cooling {
                decision = Decision::Launch(want - r.answering - g.pending);
            } else if g.low >= policy.scale_in_periods
                && g.pending == 0
                && g.last_activity.is_none_or(|t| now >= t.plus(policy.scale_in_cooldown))
            {
                decision = Decision::Drain(r.in_service - g.low_want.max(g.min));
            }
        }
        // Bounds, and a scheduled capacity waiting for the control plane, come first.
        if let Some(desired) = g.desired {
            decision = if desired > capacity {
                Decision::Launch(desired - capacity)
            } else if desired < r.in_service {
                Decision::Drain(r.in_service - desired)
            } else {
                Decision::Hold
            };
        } else if capacity < g.min {
            decision = Decision::Launch(g.min - capacity);
        } else if r.in_service > g.max {
            decision = Decision::Drain(r.in_service - g.max);
        }
        let decision = self.act(model, kernel, d, r, decision);
        self.update_due();
        decision
    }

    /// A scheduled action is due: new bounds, and a capacity to reach at once if it sets one (kept for
    /// the first evaluation after the control plane returns when it is down).
    pub fn scheduled(
        &mut self,
        model: &Model,
        kernel: &mut Kernel,
        d: DeploymentId,
        k: usize,
        r: Reading,
    ) -> Decision {
        let Some(policy) = &model.deployments[d].autoscaling else { return Decision::Hold };
        let Some(action) = policy.scheduled.get(k) else { return Decision::Hold };
        let Some(g) = self.groups[d].as_mut() else { return Decision::Hold };
        g.min = action.min.unwrap_or(g.min);
        g.max = action.max.unwrap_or(g.max);
        if r.dormant {
            return Decision::Hold;
        }
        let capacity = r.in_service + g.pending;
        let target = action.desired.unwrap_or_else(|| capacity.clamp(g.min, g.max));
        if r.control_plane_down {
            g.desired = action.desired;
        }
        let decision = if target > capacity {
            Decision::Launch(target - capacity)
        } else if target < capacity && !r.control_plane_down {
            // Launches not yet in service are cancelled first, then instances drained.
            g.epoch = g.epoch.wrapping_add(1);
            (g.pending, g.waiting) = (0, 0);
            Decision::Drain(r.in_service.saturating_sub(target))
        } else if target < capacity {
            Decision::Drain(capacity - target)
        } else {
            Decision::Hold
        };
        self.act(model, kernel, d, r, decision)
    }

    /// Carries out `decision` if the control plane allows: launches are drawn and scheduled, a drain is
    /// returned for the engine to apply.
    fn act(
        &mut self,
        model: &Model,
        kernel: &mut Kernel,
        d: DeploymentId,
        r: Reading,
        decision: Decision,
    ) -> Decision {
        let Some(policy) = &model.deployments[d].autoscaling else { return Decision::Hold };
        let Some(g) = self.groups[d].as_mut() else { return Decision::Hold };
        let now = kernel.now;
        if !r.control_plane_down {
            g.blocked = false;
        }
        let wanted = match decision {
            Decision::Launch(n) => i64::from(n),
            Decision::Drain(n) => -i64::from(n),
            Decision::Hold | Decision::Blocked(_) => 0,
        };
        if wanted == 0 {
            return Decision::Hold;
        }
        if r.control_plane_down {
            let first = !g.blocked;
            g.blocked = true;
            return if first { Decision::Blocked(wanted) } else { Decision::Hold };
        }
        g.desired = None;
        g.last_activity = Some(now);
        (g.high, g.low) = (0, 0);
        match decision {
            Decision::Launch(n) => {
                // Within the maximum, and the pool's free places not already taken by launches.
                let room = g.max.saturating_sub(r.in_service + g.pending);
                let n = n.min(room).min(r.free_slots.saturating_sub(g.pending));
                if n == 0 {
                    return Decision::Hold;
                }
                g.pending += n;
                g.last_out = Some((now, r.answering + g.pending));
                if r.launch_blocked {
                    // They start when the dependency is back (`resume`).
                    g.waiting += n;
                } else {
                    start_launches(&policy.launch, &mut self.rng[d], kernel, d, g.epoch, n);
                }
                Decision::Launch(n)
            }
            Decision::Drain(0) | Decision::Hold | Decision::Blocked(_) => Decision::Hold,
            Decision::Drain(n) => Decision::Drain(n),
        }
    }

    /// The dependencies deployment `d` needs at launch are up again: the launches that waited start
    /// now, their launch time counted from now. Returns how many started.
    pub fn resume(&mut self, model: &Model, kernel: &mut Kernel, d: DeploymentId) -> u32 {
        let Some(policy) = &model.deployments[d].autoscaling else { return 0 };
        let Some(g) = self.groups[d].as_mut() else { return 0 };
        let n = std::mem::take(&mut g.waiting);
        start_launches(&policy.launch, &mut self.rng[d], kernel, d, g.epoch, n);
        n
    }

    /// Whether deployment `d` has launches waiting for a dependency.
    pub fn waiting(&self, d: DeploymentId) -> bool {
        self.groups[d].as_ref().is_some_and(|g| g.waiting > 0)
    }

    /// A launch completes: whether it is current (then one instance joins the fleet).
    pub fn launched(&mut self, d: DeploymentId, epoch: u32) -> bool {
        let Some(g) = self.groups[d].as_mut() else { return false };
        if g.epoch != epoch || g.pending == 0 {
            return false;
        }
        g.pending -= 1;
        true
    }

    /// A standby posture set deployment `d`'s fleet: pending launches are cancelled and the datapoints
    /// start again.
    pub fn reset(&mut self, d: DeploymentId, now: SimTime) {
        if let Some(g) = self.groups[d].as_mut() {
            g.epoch = g.epoch.wrapping_add(1);
            (g.pending, g.waiting, g.high, g.low) = (0, 0, 0, 0);
            g.last_activity = Some(now);
            g.last_out = None;
        }
    }

    /// The longest deployment `d`'s removed instances drain.
    pub fn deregistration_delay(model: &Model, d: DeploymentId) -> SimTime {
        model.deployments[d].autoscaling.as_ref().map_or(SimTime::ZERO, |a| a.deregistration_delay)
    }
}

/// Starts `n` launches of deployment `d` now (pending launches of epoch `epoch`), each with its own
/// launch time drawn from `launch`: each completion is a scheduled change that adds capacity.
fn start_launches(
    launch: &Distribution,
    rng: &mut Xoshiro256PlusPlus,
    kernel: &mut Kernel,
    d: DeploymentId,
    epoch: u32,
    n: u32,
) {
    let now = kernel.now;
    for _ in 0..n {
        let at = now.plus(SimTime::from_secs_f64(launch.sample_s(rng)));
        let event = Event::Scale(ScaleEvent::Launched { deployment: d as u32, epoch });
        kernel.schedule_change(at, event, Change::Adds);
    }
}
