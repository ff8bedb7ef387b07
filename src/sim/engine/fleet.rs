//! The fleet: instances and their queues, behind a load balancer per deployment (one service in one
//! region). A balancer picks an instance in rotation (round-robin, least outstanding requests, or at
//! random); each instance serves `concurrency` requests at once and queues the rest, shedding beyond
//! `max_queue`; its queue's discipline picks whom to serve next (first in first out, deadline-aware
//! shedding of what cannot be served in time, or adaptive LIFO, docs/references.md#load-shedding). An instance is up while it is provisioned and neither it, its zone nor
//! its region is down; it may be up and degraded (slower, or failing a share of its requests: gray
//! failures, [`Degradation`]). When it stops, the requests it holds are handed back to fail.
//!
//! Rotation is the balancer's view. Without health checks it follows the instance at once (an
//! idealisation). With them (`target_health_check`, as Elastic Load Balancing does them), each
//! instance is checked every interval at its own phase; a crashed instance keeps its share of
//! requests until `unhealthy_threshold` consecutive checks have failed (each after the check's
//! timeout), and rejoins after `healthy_threshold` consecutive passes (a newly provisioned instance
//! after one, docs/references.md#elb-health-checks). The
//! checks are not events: when an instance's condition changes, its check sequence is walked forward
//! in closed form to the first check that flips it, and that flip alone is scheduled (declared as a
//! change, so sampled fidelity never averages over it). A slow instance passes its checks; a partly
//! failing one fails each with its failing share, so it can flap in and out.
//!
//! An autoscaled deployment's fleet changes one instance at a time (`capacity`): a launched instance
//! joins like a new one, a removed one drains (out of rotation, finishing what it holds) before it
//! stops. The fleet also keeps what the autoscaler's metrics need: the work each deployment's servers
//! took on and the requests its balancer received.

mod capacity;
mod outlier;

use std::collections::VecDeque;

use rand::rngs::Xoshiro256PlusPlus;

use rand::RngExt;

use super::arena::ReqId;
use super::behaviour::{Behaviours, ServiceDraw};
use super::event::{Event, FleetEvent, RequestEvent};
pub(super) use super::faults::Degradation;
use super::faults::Faults;
use super::kernel::{Change, Kernel};
use crate::model::architecture::{Balancing, Model};
use crate::model::ids::{DeploymentId, InstanceId};
use crate::model::queueing::Discipline;
use crate::model::scenario::Scenario;
use crate::model::time::SimTime;
use crate::sim::observation::FailureCause;
use crate::sim::streams::{Purpose, stream};

/// The most checks one walk looks ahead before giving up on a flip (a partly failing instance whose
/// failing share is tiny may never flip): with ELB's longest interval this is over a year of checks.
const MAX_CHECKS_PER_WALK: u32 = 1_000_000;

pub(super) struct InstanceState {
    /// Part of the running fleet (standby postures run fewer).
    provisioned: bool,
    /// Being removed by a scale-in since then: out of rotation, finishing what it holds.
    draining: Option<SimTime>,
    /// Provisioned, and neither it nor its zone nor its region is down.
    up: bool,
    /// In its balancer's rotation: requests are sent to it.
    in_rotation: bool,
    /// Has been in rotation since it was provisioned: a new instance joins after one passed check,
    /// one that was taken out after `healthy_threshold` (as Elastic Load Balancing does).
    registered: bool,
    /// Its gray failures, if up.
    pub degradation: Degradation,
    /// Ejected by its balancer's outlier detection (`outlier`): sent nothing unless the balancer panics.
    ejected: bool,
    /// Bumped when the instance stops serving: departures scheduled before are stale.
    epoch: u32,
    /// Bumped when its health-check walk restarts: rotation events scheduled before are stale.
    check_epoch: u32,
    /// When its health checks happen: at `phase + k × interval`.
    phase: SimTime,
    in_service: Vec<ReqId>,
    /// Waiting requests, oldest first.
    queue: VecDeque<Waiting>,
}

/// A request waiting in an instance's queue, with what the dequeue needs (so it need not touch the
/// request): its client's deadline, and since when it waits.
#[derive(Debug, Clone, Copy)]
struct Waiting {
    req: ReqId,
    deadline: SimTime,
    since: SimTime,
}

impl InstanceState {
    fn serving(&self) -> bool {
        self.in_rotation
    }

    /// Requests at the instance: in service and queued.
    pub fn load(&self) -> usize {
        self.in_service.len() + self.queue.len()
    }
}

pub(super) struct DeploymentState {
    /// Instances in rotation.
    serving: u32,
    /// Instances in rotation and up: what answers the region's own health checks.
    answering: u32,
    cursor: usize,
    /// Instances provisioned (standby postures run the first `provisioned` of the fleet; autoscaling
    /// adds and removes any).
    provisioned: u32,
    /// Of those, instances draining before they stop.
    draining: u32,
    /// Instance-seconds bookkeeping: when `provisioned` last changed.
    since: SimTime,
    /// Service time its servers took on \[s\] (the utilisation metric's numerator).
    work_s: f64,
    /// Requests its balancer handed to an instance (the request-count metric).
    requests: u64,
    /// Instances ejected by outlier detection, and of those, instances in rotation.
    ejected: u32,
    ejected_serving: u32,
}

/// What happened to a request handed to an instance.
pub(super) enum Enqueued {
    /// Started or queued.
    Accepted,
    /// The queue was full (`max_queue`): shed at once.
    Shed,
    /// Deadline-aware shedding: it could not be served before its client's deadline.
    Unmeetable,
    /// The queue reached the scenario's budget: the model is overloaded there.
    OverBudget,
}

pub(super) struct Fleet {
    pub instances: Vec<InstanceState>,
    deployments: Vec<DeploymentState>,
    /// Service times, per deployment.
    service_rng: Vec<Xoshiro256PlusPlus>,
    /// Random picks and partly failing instances' failures, per deployment.
    balancing_rng: Vec<Xoshiro256PlusPlus>,
    /// Health-check outcomes of partly failing instances, per deployment.
    check_rng: Vec<Xoshiro256PlusPlus>,
    /// Whether the replication has started: before, instances join their rotation at once.
    pub started: bool,
    /// While the fast-forward skips: since when, and each deployment's (work, requests) per second in
    /// its window, which the metrics accrue in place of the requests not simulated.
    skip: Option<(SimTime, Vec<(f64, f64)>)>,
    /// Each instance's outlier detection (`outlier`), and its ejections since the engine last took them.
    monitors: Vec<outlier::Monitor>,
    ejections: Vec<outlier::Ejection>,
}

impl Fleet {
    pub fn new(model: &Model, warmup: SimTime, seed: u64, replication: u32) -> Fleet {
        let deployments: Vec<DeploymentState> = model
            .deployments
            .iter()
            .map(|d| DeploymentState {
                serving: 0,
                answering: 0,
                cursor: 0,
                provisioned: d.standby.initially_running(d.fleet),
                draining: 0,
                since: warmup,
                work_s: 0.0,
                requests: 0,
                ejected: 0,
                ejected_serving: 0,
            })
            .collect();
        let instances = model
            .instances
            .iter()
            .map(|inst| {
                let dep = &model.deployments[inst.deployment];
                let k = dep.instances.iter().position(|&i| model.instances[i].name == inst.name).unwrap_or(0);
                // Each instance's checks have their own phase, from its own stream.
                let phase = model.services[inst.service].health_check.map_or(SimTime::ZERO, |h| {
                    let mut rng = stream(seed, replication, Purpose::TargetHealthCheck, &inst.name);
                    SimTime::from_secs_f64(rng.random::<f64>() * h.interval.as_secs_f64())
                });
                InstanceState {
                    provisioned: (k as u32) < deployments[inst.deployment].provisioned,
                    draining: None,
                    up: false,
                    in_rotation: false,
                    registered: false,
                    degradation: Degradation::NONE,
                    ejected: false,
                    epoch: 0,
                    check_epoch: 0,
                    phase,
                    in_service: Vec::new(),
                    queue: VecDeque::new(),
                }
            })
            .collect();
        let per_deployment = |purpose: Purpose| -> Vec<Xoshiro256PlusPlus> {
            model
                .deployments
                .iter()
                .map(|d| {
                    let name = format!("{}@{}", model.services[d.service].name, model.regions[d.region].name);
                    stream(seed, replication, purpose, &name)
                })
                .collect()
        };
        Fleet {
            monitors: vec![outlier::Monitor::default(); model.instances.len()],
            ejections: Vec::new(),
            instances,
            deployments,
            service_rng: per_deployment(Purpose::ServiceTime),
            balancing_rng: per_deployment(Purpose::Balancing),
            check_rng: per_deployment(Purpose::TargetHealthCheck),
            started: false,
            skip: None,
        }
    }

    /// Whether deployment `d` has an instance that is in rotation and up: its balancer answers.
    #[inline]
    pub fn serves(&self, d: DeploymentId) -> bool {
        self.deployments[d].answering > 0
    }

    /// Whether instance `i` is out of its balancer's rotation and can return only through its health
    /// checks (a flip scheduled as an event of its own): until then, coming up sends it nothing.
    pub fn out_of_rotation_behind_checks(&self, model: &Model, i: InstanceId) -> bool {
        let service = &model.services[model.instances[i].service];
        self.started && !self.instances[i].in_rotation && service.health_check.is_some()
    }

    /// Whether instance `i` runs (a balancer may still send to it after it crashed).
    #[inline]
    pub fn up(&self, i: InstanceId) -> bool {
        self.instances[i].up
    }

    /// Whether a partly failing instance `i` fails the request it was just sent (its balancing
    /// stream decides), and whether the failure hangs until the client's timeout.
    #[inline]
    pub fn fails_request(&mut self, model: &Model, i: InstanceId) -> Option<bool> {
        let d = self.instances[i].degradation;
        if d.fail_share <= 0.0 {
            return None;
        }
        let rng = &mut self.balancing_rng[model.instances[i].deployment];
        (d.fail_share >= 1.0 || rng.random::<f64>() < d.fail_share).then_some(d.hang)
    }

    /// Instances of deployment `d` provisioned now.
    pub fn provisioned(&self, d: DeploymentId) -> u32 {
        self.deployments[d].provisioned
    }

    /// The load balancer of deployment `d`: a serving instance, or `None` when there is none.
    pub fn pick(&mut self, model: &Model, d: DeploymentId) -> Option<InstanceId> {
        let dep = &model.deployments[d];
        let state = &mut self.deployments[d];
        if state.serving == 0 {
            return None;
        }
        // Outlier detection's ejected instances get nothing, unless fewer than half of those in
        // rotation are not ejected: the balancer then panics and ignores ejections (Envoy's default
        // healthy panic threshold, docs/references.md#outlier-detection).
        let healthy = state.serving - state.ejected_serving;
        let skip_ejected = state.ejected_serving > 0 && 2 * healthy >= state.serving;
        let routable = |inst: &InstanceState| inst.serving() && !(skip_ejected && inst.ejected);
        let instances = &dep.instances;
        let n = instances.len();
        // Visit the fleet from the cursor, wrapping once: `cursor..n` then `0..cursor` (no division per
        // instance, which a `% n` costs on the hot path).
        let cursor = state.cursor;
        let order = instances[cursor..].iter().chain(&instances[..cursor]);
        match model.services[dep.service].balancing {
            Balancing::RoundRobin => {
                for (k, &i) in order.enumerate() {
                    if routable(&self.instances[i]) {
                        let next = cursor + k + 1;
                        state.cursor = if next >= n { next - n } else { next };
                        return Some(i);
                    }
                }
                None
            }
            Balancing::LeastOutstanding => {
                // Fewest requests at the instance; ties broken round-robin so load spreads evenly: the
                // smallest (load, position from the cursor), found without a branch per instance (which
                // mispredicts as loads change).
                let mut best = u64::MAX;
                for (k, &i) in order.enumerate() {
                    let inst = &self.instances[i];
                    let rank =
                        if routable(inst) { ((inst.load() as u64) << 32) | k as u64 } else { u64::MAX };
                    best = best.min(rank);
                }
                state.cursor = if cursor + 1 == n { 0 } else { cursor + 1 };
                (best != u64::MAX).then(|| {
                    let k = cursor + (best & 0xFFFF_FFFF) as usize;
                    instances[if k >= n { k - n } else { k }]
                })
            }
            Balancing::Random => {
                // The k-th instance in rotation, k uniform: each equally likely whatever is out.
                let count = if skip_ejected { healthy } else { state.serving };
                let k = self.balancing_rng[d].random_range(0..count) as usize;
                instances.iter().copied().filter(|&i| routable(&self.instances[i])).nth(k)
            }
        }
    }

    /// Serves `req` at instance `i` now, or queues it until `deadline`, when its client gives up.
    #[allow(clippy::too_many_arguments)]
    pub fn enqueue(
        &mut self,
        model: &Model,
        behaviours: &mut Behaviours,
        kernel: &mut Kernel,
        queue_budget: u32,
        i: InstanceId,
        req: ReqId,
        deadline: SimTime,
    ) -> Enqueued {
        let instance = &model.instances[i];
        let service = &model.services[instance.service];
        self.deployments[instance.deployment].requests += 1;
        let inst = &mut self.instances[i];
        if (inst.in_service.len() as u32) < service.concurrency {
            self.start(model, behaviours, kernel, i, req);
            return Enqueued::Accepted;
        }
        if let Some(max) = service.max_queue
            && inst.queue.len() >= max as usize
        {
            return Enqueued::Shed;
        }
        let now = kernel.now;
        if let Discipline::DeadlineAware { slack } = service.discipline {
            // The requests ahead leave at `concurrency` per mean service time, then its own service.
            let ahead = inst.queue.len() as f64 * service.mean_service_s / f64::from(service.concurrency);
            let predicted = ahead + service.mean_service_s;
            if predicted > slack * deadline.since(now).as_secs_f64() {
                return Enqueued::Unmeetable;
            }
        }
        if inst.queue.len() >= queue_budget as usize {
            return Enqueued::OverBudget;
        }
        inst.queue.push_back(Waiting { req, deadline, since: now });
        Enqueued::Accepted
    }

    /// A server of instance `i` takes `req`: its service time is drawn (the service-draw extension
    /// point) and its departure scheduled.
    fn start(
        &mut self,
        model: &Model,
        behaviours: &mut Behaviours,
        kernel: &mut Kernel,
        i: InstanceId,
        req: ReqId,
    ) {
        let instance = &model.instances[i];
        let base = &model.services[instance.service].service_time;
        let slow = self.instances[i].degradation.slow;
        let ServiceDraw::Serve(s) =
            behaviours.draw_service(base, slow, &mut self.service_rng[instance.deployment]);
        self.deployments[instance.deployment].work_s += s;
        let inst = &mut self.instances[i];
        inst.in_service.push(req);
        let epoch = inst.epoch;
        kernel.schedule(
            kernel.now.plus(SimTime::from_secs_f64(s)),
            Event::Request(RequestEvent::Depart { instance: i as u32, req, epoch }),
        );
    }

    /// A server of `i` finished `req`. `None` when the departure is stale (the instance failed while
    /// serving: the request was failed then). Else the next waiting request, as the queue's discipline
    /// picks it, starts; those passed over are returned with their outcome, in the order dropped: a
    /// timeout for those whose client gave up, `shed` for those deadline-aware shedding cannot serve in
    /// time.
    pub fn depart(
        &mut self,
        model: &Model,
        behaviours: &mut Behaviours,
        kernel: &mut Kernel,
        i: InstanceId,
        req: ReqId,
        epoch: u32,
    ) -> Option<Vec<(ReqId, FailureCause)>> {
        let inst = &mut self.instances[i];
        if inst.epoch != epoch {
            return None;
        }
        if let Some(pos) = inst.in_service.iter().position(|&r| r == req) {
            inst.in_service.swap_remove(pos);
        }
        let service = &model.services[model.instances[i].service];
        let now = kernel.now;
        let mut gone = Vec::new();
        loop {
            let queue = &mut self.instances[i].queue;
            let picked = match (service.discipline, queue.front()) {
                // The oldest are dropped first (their clients have gone); past `after`, the newest.
                (Discipline::AdaptiveLifo { after }, Some(w))
                    if now <= w.deadline && now.since(w.since) >= after =>
                {
                    queue.pop_back()
                }
                _ => queue.pop_front(),
            };
            let Some(w) = picked else { break };
            if now > w.deadline {
                gone.push((w.req, FailureCause::Timeout));
            } else if matches!(service.discipline, Discipline::DeadlineAware { .. })
                && now.plus(SimTime::from_secs_f64(service.mean_service_s)) > w.deadline
            {
                gone.push((w.req, FailureCause::Shed));
            } else {
                self.start(model, behaviours, kernel, i, w.req);
                break;
            }
        }
        Some(gone)
    }

    /// Re-evaluates instance `i` from its provisioning and the faults table (up or not, and its gray
    /// failures), and its balancer's view: at once without health checks; with them, deregistered at
    /// once when it stops being provisioned, else through its checks (a flip scheduled). Returns the
    /// requests it held (in service first, then queued) when it stops.
    pub fn refresh(
        &mut self,
        model: &Model,
        scenario: &Scenario,
        faults: &Faults,
        kernel: &mut Kernel,
        i: InstanceId,
    ) -> Vec<ReqId> {
        let instance = &model.instances[i];
        let state = &self.instances[i];
        let up = state.provisioned
            && !faults.instance_down(i)
            && !faults.zone_down(instance.zone)
            && !faults.region_down(instance.region);
        let degradation = if up { faults.degradation(model, i) } else { Degradation::NONE };
        let (was_up, was_in, was_degradation) = (state.up, state.in_rotation, state.degradation);
        if up == was_up && degradation == was_degradation {
            return Vec::new();
        }
        let checks = model.services[instance.service].health_check.is_some();
        let in_rotation = if !checks || !self.started {
            // Without checks the balancer knows at once; the fleet a replication starts with has
            // passed its checks. A draining instance gets nothing new.
            up && state.draining.is_none()
        } else if !state.provisioned || state.draining.is_some() {
            false
        } else {
            was_in
        };
        self.set(model, i, up, in_rotation);
        self.instances[i].degradation = degradation;
        if checks && self.started && self.instances[i].provisioned && self.instances[i].draining.is_none() {
            self.walk_checks(model, scenario, kernel, i);
        }
        if up || !was_up {
            return Vec::new();
        }
        let state = &mut self.instances[i];
        state.epoch = state.epoch.wrapping_add(1);
        let queued = state.queue.drain(..).map(|w| w.req);
        state.in_service.drain(..).chain(queued).collect()
    }

    /// Sets instance `i`'s condition and rotation, keeping its deployment's counts.
    fn set(&mut self, model: &Model, i: InstanceId, up: bool, in_rotation: bool) {
        let state = &mut self.instances[i];
        let dep = &mut self.deployments[model.instances[i].deployment];
        let (was_in, was_answering) = (state.in_rotation, state.in_rotation && state.up);
        state.up = up;
        state.in_rotation = in_rotation;
        state.registered = state.provisioned && (state.registered || in_rotation);
        let answering = in_rotation && up;
        dep.serving = dep.serving + u32::from(in_rotation) - u32::from(was_in);
        if state.ejected {
            dep.ejected_serving = dep.ejected_serving + u32::from(in_rotation) - u32::from(was_in);
        }
        dep.answering = dep.answering + u32::from(answering) - u32::from(was_answering);
    }

    /// The balancer's health checks of instance `i` flip it into rotation (`into`) or out. Returns
    /// whether the event was current (it changed the rotation); the walk then goes on, as a partly
    /// failing instance may flip back.
    pub fn rotation(
        &mut self,
        model: &Model,
        scenario: &Scenario,
        kernel: &mut Kernel,
        i: InstanceId,
        into: bool,
        epoch: u32,
    ) -> bool {
        let state = &self.instances[i];
        if state.check_epoch != epoch
            || state.in_rotation == into
            || !state.provisioned
            || state.draining.is_some()
        {
            return false;
        }
        let up = state.up;
        self.set(model, i, up, into);
        self.walk_checks(model, scenario, kernel, i);
        true
    }

    /// Walks instance `i`'s health checks forward from now to the first that flips its rotation, and
    /// schedules that flip (if it comes before the horizon). A crashed instance fails every check,
    /// each at its timeout; a partly failing one fails each with its failing share (its deployment's
    /// check stream decides); a slow one passes.
    fn walk_checks(&mut self, model: &Model, scenario: &Scenario, kernel: &mut Kernel, i: InstanceId) {
        let instance = &model.instances[i];
        let Some(hc) = model.services[instance.service].health_check else { return };
        let state = &mut self.instances[i];
        state.check_epoch = state.check_epoch.wrapping_add(1);
        let fail_p = if state.up { state.degradation.fail_share } else { 1.0 };
        let in_rotation = state.in_rotation;
        // Nothing can flip: every check confirms the rotation as it is.
        if (in_rotation && fail_p <= 0.0) || (!in_rotation && fail_p >= 1.0) {
            return;
        }
        let (epoch, phase, now, up) = (state.check_epoch, state.phase, kernel.now, state.up);
        let interval = hc.interval.0;
        // The first check strictly after now.
        let mut t =
            if now.0 < phase.0 { phase.0 } else { phase.0 + ((now.0 - phase.0) / interval + 1) * interval };
        let needed = match (in_rotation, state.registered) {
            (true, _) => hc.unhealthy_threshold,
            (false, true) => hc.healthy_threshold,
            (false, false) => 1,
        };
        let rng = &mut self.check_rng[instance.deployment];
        let mut run = 0;
        for _ in 0..MAX_CHECKS_PER_WALK {
            if t > scenario.horizon.0 {
                return;
            }
            let fails = fail_p >= 1.0 || (fail_p > 0.0 && rng.random::<f64>() < fail_p);
            // A check fails at its timeout when nothing answers; a failing answer comes at once.
            let seen = if up { t } else { t + hc.timeout.0 };
            run = if fails == in_rotation { run + 1 } else { 0 };
            if run == needed {
                let event =
                    Event::Fleet(FleetEvent::Rotation { instance: i as u32, into: !in_rotation, epoch });
                // Taking a down instance out of rotation loses nothing (what it held has already
                // failed, what is sent to it fails anyway): it only moves traffic, so it needs no lead.
                let change = match (in_rotation, up) {
                    (true, true) => Change::TakesAway,
                    (true, false) => Change::Steers,
                    (false, _) => Change::Adds,
                };
                kernel.schedule_change(SimTime(seen), event, change);
                return;
            }
            t += interval;
        }
    }

    /// Deployment `d`'s instance-seconds provisioned from its last change (or the warm-up) to `until`
    /// (at most the horizon); the next interval starts at `until`.
    pub fn account(&mut self, d: DeploymentId, until: SimTime, warmup: SimTime, horizon: SimTime) -> f64 {
        let state = &mut self.deployments[d];
        let (from, to) = (state.since.max(warmup), until.min(horizon));
        let seconds = if to > from { state.provisioned as f64 * to.since(from).as_secs_f64() } else { 0.0 };
        state.since = state.since.max(until);
        seconds
    }

    /// Sets how many of deployment `d`'s instances run (the first `count`, none draining); the caller
    /// refreshes them.
    pub fn set_provisioned(&mut self, model: &Model, d: DeploymentId, count: u32) {
        self.deployments[d].provisioned = count;
        self.deployments[d].draining = 0;
        for (k, &i) in model.deployments[d].instances.iter().enumerate() {
            self.instances[i].provisioned = (k as u32) < count;
            self.instances[i].draining = None;
        }
    }

    /// Requests at each region's instances, and queued only.
    pub fn occupancy(&self, model: &Model) -> (Vec<u32>, Vec<u32>) {
        let regions = model.regions.len();
        let (mut in_region, mut queued) = (vec![0; regions], vec![0; regions]);
        for (i, inst) in self.instances.iter().enumerate() {
            let r = model.instances[i].region;
            in_region[r] += inst.load() as u32;
            queued[r] += inst.queue.len() as u32;
        }
        (in_region, queued)
    }
}
