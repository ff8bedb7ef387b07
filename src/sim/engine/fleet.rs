//! The fleet: instances and their queues, behind a load balancer per deployment (one service in one
//! region). A balancer picks a serving instance (round-robin, or least outstanding requests); each
//! instance serves `concurrency` requests at once and queues the rest first-in first-out, shedding
//! beyond `max_queue`. An instance serves while it is provisioned and neither it, its zone nor its
//! region is down ([`Health`]); when it stops, the requests it holds are handed back to fail.

use std::collections::VecDeque;

use rand::rngs::Xoshiro256PlusPlus;

use super::arena::ReqId;
use super::behaviour::{Behaviours, ServiceDraw};
use super::event::{Event, RequestEvent};
use super::faults::Faults;
use super::kernel::Kernel;
use crate::model::architecture::{Balancing, Model};
use crate::model::ids::{DeploymentId, InstanceId};
use crate::model::time::SimTime;
use crate::sim::streams::{Purpose, stream};

/// How an instance is: what its balancer and its requests see. Richer than up or down, so partial
/// failures have a place: a degraded instance still receives traffic, served slower or failing a
/// share of it ([`crate::sim::engine::behaviour`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Health {
    /// Not running, or down with its zone or region: receives nothing.
    Out,
    /// Serving normally.
    Serving,
}

pub(super) struct InstanceState {
    /// Part of the running fleet (standby postures run fewer).
    provisioned: bool,
    pub health: Health,
    /// Bumped when the instance stops serving: departures scheduled before are stale.
    epoch: u32,
    in_service: Vec<ReqId>,
    /// Waiting requests and their clients' deadlines (kept here so the dequeue need not touch the
    /// request).
    queue: VecDeque<(ReqId, SimTime)>,
}

impl InstanceState {
    fn serving(&self) -> bool {
        self.health != Health::Out
    }

    /// Requests at the instance: in service and queued.
    pub fn load(&self) -> usize {
        self.in_service.len() + self.queue.len()
    }
}

pub(super) struct DeploymentState {
    serving: u32,
    cursor: usize,
    /// Instances provisioned (the first `provisioned` of the deployment's fleet).
    provisioned: u32,
    /// Instance-seconds bookkeeping: when `provisioned` last changed.
    since: SimTime,
}

/// What happened to a request handed to an instance.
pub(super) enum Enqueued {
    /// Started or queued.
    Accepted,
    /// The queue was full (`max_queue`): shed at once.
    Shed,
    /// The queue reached the scenario's budget: the model is overloaded there.
    OverBudget,
}

pub(super) struct Fleet {
    pub instances: Vec<InstanceState>,
    deployments: Vec<DeploymentState>,
    /// Service times, per deployment.
    service_rng: Vec<Xoshiro256PlusPlus>,
}

impl Fleet {
    pub fn new(model: &Model, warmup: SimTime, seed: u64, replication: u32) -> Fleet {
        let deployments: Vec<DeploymentState> = model
            .deployments
            .iter()
            .map(|d| DeploymentState {
                serving: 0,
                cursor: 0,
                provisioned: d.standby.initially_running(d.instances.len() as u32),
                since: warmup,
            })
            .collect();
        let instances = model
            .instances
            .iter()
            .map(|inst| {
                let dep = &model.deployments[inst.deployment];
                let k = dep.instances.iter().position(|&i| model.instances[i].name == inst.name).unwrap_or(0);
                InstanceState {
                    provisioned: (k as u32) < deployments[inst.deployment].provisioned,
                    health: Health::Out,
                    epoch: 0,
                    in_service: Vec::new(),
                    queue: VecDeque::new(),
                }
            })
            .collect();
        let service_rng = model
            .deployments
            .iter()
            .map(|d| {
                let name = format!("{}@{}", model.services[d.service].name, model.regions[d.region].name);
                stream(seed, replication, Purpose::ServiceTime, &name)
            })
            .collect();
        Fleet { instances, deployments, service_rng }
    }

    /// Whether deployment `d` has a serving instance.
    #[inline]
    pub fn serves(&self, d: DeploymentId) -> bool {
        self.deployments[d].serving > 0
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
        let instances = &dep.instances;
        let n = instances.len();
        // Visit the fleet from the cursor, wrapping once: `cursor..n` then `0..cursor` (no division per
        // instance, which a `% n` costs on the hot path).
        let cursor = state.cursor;
        let order = instances[cursor..].iter().chain(&instances[..cursor]);
        match model.services[dep.service].balancing {
            Balancing::RoundRobin => {
                for (k, &i) in order.enumerate() {
                    if self.instances[i].serving() {
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
                        if inst.serving() { ((inst.load() as u64) << 32) | k as u64 } else { u64::MAX };
                    best = best.min(rank);
                }
                state.cursor = if cursor + 1 == n { 0 } else { cursor + 1 };
                (best != u64::MAX).then(|| {
                    let k = cursor + (best & 0xFFFF_FFFF) as usize;
                    instances[if k >= n { k - n } else { k }]
                })
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
        let service = &model.services[model.instances[i].service];
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
        if inst.queue.len() >= queue_budget as usize {
            return Enqueued::OverBudget;
        }
        inst.queue.push_back((req, deadline));
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
        let ServiceDraw::Serve(s) = behaviours.draw_service(base, &mut self.service_rng[instance.deployment]);
        let inst = &mut self.instances[i];
        inst.in_service.push(req);
        let epoch = inst.epoch;
        kernel.schedule(
            kernel.now.plus(SimTime::from_secs_f64(s)),
            Event::Request(RequestEvent::Depart { instance: i as u32, req, epoch }),
        );
    }

    /// A server of `i` finished `req`. `None` when the departure is stale (the instance failed while
    /// serving: the request was failed then). Else the next waiting request whose client still waits
    /// starts, and those that gave up are returned, to time out, in queue order.
    pub fn depart(
        &mut self,
        model: &Model,
        behaviours: &mut Behaviours,
        kernel: &mut Kernel,
        i: InstanceId,
        req: ReqId,
        epoch: u32,
    ) -> Option<Vec<ReqId>> {
        let inst = &mut self.instances[i];
        if inst.epoch != epoch {
            return None;
        }
        if let Some(pos) = inst.in_service.iter().position(|&r| r == req) {
            inst.in_service.swap_remove(pos);
        }
        let mut gone = Vec::new();
        while let Some((next, deadline)) = self.instances[i].queue.pop_front() {
            if kernel.now > deadline {
                gone.push(next);
            } else {
                self.start(model, behaviours, kernel, i, next);
                break;
            }
        }
        Some(gone)
    }

    /// Re-evaluates instance `i`'s health from its provisioning and the faults table. Returns the
    /// requests it held (in service first, then queued) when it stops serving.
    pub fn refresh(&mut self, model: &Model, faults: &Faults, i: InstanceId) -> Vec<ReqId> {
        let instance = &model.instances[i];
        let state = &self.instances[i];
        let up = state.provisioned
            && !faults.instance_down(i)
            && !faults.zone_down(instance.zone)
            && !faults.region_down(instance.region);
        let health = if up { Health::Serving } else { Health::Out };
        let state = &mut self.instances[i];
        let was = state.serving();
        state.health = health;
        if up == was {
            return Vec::new();
        }
        let dep = &mut self.deployments[instance.deployment];
        if up {
            dep.serving += 1;
            return Vec::new();
        }
        dep.serving -= 1;
        state.epoch = state.epoch.wrapping_add(1);
        let queued = state.queue.drain(..).map(|(req, _)| req);
        state.in_service.drain(..).chain(queued).collect()
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

    /// Sets how many of deployment `d`'s instances run (the first `count`); the caller refreshes them.
    pub fn set_provisioned(&mut self, model: &Model, d: DeploymentId, count: u32) {
        self.deployments[d].provisioned = count;
        for (k, &i) in model.deployments[d].instances.iter().enumerate() {
            self.instances[i].provisioned = (k as u32) < count;
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
