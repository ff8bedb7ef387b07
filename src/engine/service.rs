//! Load balancers and instances: a balancer per service and region picks a serving instance (round-robin
//! or least outstanding requests); each instance serves `concurrency` requests at once and queues the
//! rest in FIFO order, shedding beyond `max_queue` and stopping the run at the scenario's queue budget.

use super::{Engine, Event, ReqId, SimError};
use crate::model::{DeploymentId, InstanceId};
use crate::observation::FailureCause;
use crate::spec::model::LoadBalancing;
use crate::time::SimTime;

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
                // Fewest requests at the instance; ties broken round-robin so load spreads evenly.
                let mut best: Option<(usize, InstanceId)> = None;
                for &i in order {
                    let inst = &self.instances[i];
                    if inst.serving {
                        let load = inst.in_service.len() + inst.queue.len();
                        if best.is_none_or(|(b, _)| load < b) {
                            best = Some((load, i));
                            if load == 0 {
                                break; // nothing later can be lower
                            }
                        }
                    }
                }
                state.cursor = if cursor + 1 == n { 0 } else { cursor + 1 };
                best.map(|(_, i)| i)
            }
        }
    }

    pub(super) fn enqueue(&mut self, i: InstanceId, req: ReqId) -> Result<(), SimError> {
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
        inst.queue.push_back(req);
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
        if let Some(next) = inst.queue.pop_front() {
            self.start_service(i, next);
        }
        self.advance(req)
    }
}
