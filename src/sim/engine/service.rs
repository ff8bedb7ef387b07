//! Load balancers and instances: a balancer per service and region picks a serving instance (round-robin
//! or least outstanding requests); each instance serves `concurrency` requests at once and queues the
//! rest in FIFO order, shedding beyond `max_queue` and stopping the run at the scenario's queue budget.

use super::{Engine, Event, ReqId, SimError};
use crate::input::spec::model::LoadBalancing;
use crate::model::ids::{DeploymentId, InstanceId};
use crate::model::time::SimTime;
use crate::sim::observation::FailureCause;

impl Engine<'_> {
    /// The load balancer of deployment `d`: a serving instance, or `None` when there is none.
    pub(super) fn pick_instance(&mut self, d: DeploymentId) -> Option<InstanceId> {
        let dep = &self.model.deployments[d];
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
        match self.model.services[dep.service].load_balancing {
            LoadBalancing::RoundRobin => {
                for (k, &i) in order.enumerate() {
                    if self.instances[i].serving {
                        let next = cursor + k + 1;
                        state.cursor = if next >= n { next - n } else { next };
                        return Some(i);
                    }
                }
                None
            }
            LoadBalancing::LeastOutstanding => {
                // Fewest requests at the instance; ties broken round-robin so load spreads evenly: the
                // smallest (load, position from the cursor), found without a branch per instance (which
                // mispredicts as loads change).
                let mut best = u64::MAX;
                for (k, &i) in order.enumerate() {
                    let inst = &self.instances[i];
                    let load = (inst.in_service.len() + inst.queue.len()) as u64;
                    let rank = if inst.serving { (load << 32) | k as u64 } else { u64::MAX };
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
    pub(super) fn enqueue(&mut self, i: InstanceId, req: ReqId, deadline: SimTime) -> Result<(), SimError> {
        let service = &self.model.services[self.model.instances[i].service];
        let inst = &mut self.instances[i];
        if (inst.in_service.len() as u32) < service.concurrency {
            self.start_service(i, req);
            return Ok(());
        }
        if let Some(max) = service.max_queue
            && inst.queue.len() >= max as usize
        {
            self.finish(req, Err(FailureCause::QueueFull));
            return Ok(());
        }
        if inst.queue.len() >= self.scenario.max_queue as usize {
            return Err(SimError::QueueBudget {
                replication: self.replication,
                seed: self.seed,
                instance: self.model.instances[i].name.clone(),
                limit: self.scenario.max_queue,
                t_s: self.now.as_secs_f64(),
            });
        }
        inst.queue.push_back((req, deadline));
        Ok(())
    }

    pub(super) fn start_service(&mut self, i: InstanceId, req: ReqId) {
        let instance = &self.model.instances[i];
        let s = self.model.services[instance.service]
            .service_time
            .sample_s(&mut self.service_rng[instance.deployment]);
        let inst = &mut self.instances[i];
        inst.in_service.push(req);
        let epoch = inst.epoch;
        self.queue.schedule(
            self.now.plus(SimTime::from_secs_f64(s)),
            Event::Depart { instance: i as u32, req, epoch },
        );
    }

    pub(super) fn on_depart(&mut self, i: InstanceId, req: ReqId, epoch: u32) -> Result<(), SimError> {
        let inst = &mut self.instances[i];
        if inst.epoch != epoch {
            return Ok(()); // the instance failed while serving: the request was already failed
        }
        if let Some(pos) = inst.in_service.iter().position(|&r| r == req) {
            inst.in_service.swap_remove(pos);
        }
        // The next request whose client still waits; those that gave up are dropped unserved (their
        // outcome is a timeout, recorded at their deadline by `finish_at`).
        while let Some((next, deadline)) = self.instances[i].queue.pop_front() {
            if self.now > deadline {
                self.finish(next, Err(FailureCause::Timeout));
            } else {
                self.start_service(i, next);
                break;
            }
        }
        self.advance(req)
    }
}
