//! What a change in one subsystem means for the others: a fault takes instances (or a zone, a region)
//! out of the fleet, fails the requests they held, starts promotions, stops entry points (health checks
//! then flip, DNS answers change, standbys wake, operators' alarms start to watch), and changes what
//! serves (time availability); an autoscaler's decision launches or drains instances of the fleet, an
//! operator's decision wakes standbys and starts promotions. Each reaction is written once
//! here, in the order the subsystems must see it.

use super::Engine;
use super::arena::ReqId;
use super::event::{ClockEvent, Event, FaultCause};
use super::kernel::Change;
use super::steering::Flip;
use crate::model::scenario::Component;
use crate::model::time::SimTime;
use crate::sim::observation::{FailureCause, InfraEvent, SteeringKind};
use crate::sim::trace::What;

mod operator;
mod scaling;

/// Which dependency copies `Engine::declare_cache_expiries` is told have gone down.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum CopiesDown {
    /// Every copy that is down now.
    DownNow,
    /// Region `r` just went down, and every copy in it.
    Region(usize),
    /// One copy just went down, its region staying up.
    Copy {
        /// The dependency.
        dependency: usize,
        /// The region of the copy.
        region: usize,
    },
}

impl CopiesDown {
    /// Whether dependency `d`'s copy in region `copy` is one that has just gone down.
    fn holds(self, d: usize, copy: usize) -> bool {
        match self {
            CopiesDown::DownNow => false,
            CopiesDown::Region(r) => r == copy,
            CopiesDown::Copy { dependency, region } => dependency == d && region == copy,
        }
    }
}

impl Engine<'_> {
    /// Whether region `r`'s entry point (the first service's deployment) serves.
    pub(super) fn endpoint_serves(&self, r: usize) -> bool {
        let entry = self.model.request_path[0];
        self.model.services[entry].deployment_in[r].is_some_and(|d| self.fleet.serves(d))
    }

    /// Every region's entry point: whether it serves.
    pub(super) fn endpoints(&self) -> Vec<bool> {
        (0..self.model.regions.len()).map(|r| self.endpoint_serves(r)).collect()
    }

    /// Whether the services of a request entering at `entry` can all be served now (each step's
    /// deployment has a serving instance).
    fn path_serves(&self, entry: usize) -> bool {
        let model = self.model;
        model.request_path.iter().enumerate().all(|(k, &s)| {
            model.step_region[entry][k]
                .and_then(|r| model.services[s].deployment_in[r])
                .is_some_and(|d| self.fleet.serves(d))
        })
    }

    pub(super) fn path_serves_all(&self) -> Vec<bool> {
        (0..self.model.regions.len()).map(|r| self.path_serves(r)).collect()
    }

    /// Before any infrastructure event changes the state: the time since the last change is accounted
    /// with the state as it was.
    pub(super) fn before_change(&mut self) {
        let now = self.kernel.now;
        self.recorder.account_availability(self.model, self.scenario, &self.steering, now);
        let until = now.min(self.scenario.horizon);
        self.recorder.judge_clients(self.model, self.scenario, &self.steering, until, false);
    }

    pub(super) fn on_down(&mut self, c: Component, cause: FaultCause) {
        self.note_infra(c, cause, false);
        if self.faults.down(&mut self.kernel, self.scenario, c, cause) {
            self.component_changed(c, false);
        }
    }

    pub(super) fn on_up(&mut self, c: Component, cause: FaultCause) {
        self.note_infra(c, cause, true);
        if self.faults.up(&mut self.kernel, self.scenario, c, cause) {
            self.component_changed(c, true);
        }
    }

    /// Keeps component `c` going down or coming back (`up`) for the timeline, with how it serves when
    /// the cause is a gray failure.
    fn note_infra(&mut self, c: Component, cause: FaultCause, up: bool) {
        let now = self.kernel.now;
        let event = InfraEvent {
            t_s: now.as_secs_f64(),
            component: c.name(self.model),
            up,
            injected: cause.injected(),
            degraded: self.faults.mode(self.scenario, c, cause).describe(),
        };
        if self.recorder.tracing(now) {
            let what = if up {
                What::Up { injected: event.injected }
            } else {
                What::Down { injected: event.injected, mode: event.degraded.clone() }
            };
            let (component, region) = (Some(event.component.clone()), self.component_region(c));
            self.recorder.trace_event(now, what, component, region, None);
        }
        self.recorder.infra_event(self.scenario, now, event);
    }

    /// The region component `c` lives in (`None` for a link between two).
    fn component_region(&self, c: Component) -> Option<String> {
        let model = self.model;
        let r = match c {
            Component::Instance(i) => model.instances[i as usize].region,
            Component::Zone(z) => model.zones[z as usize].region,
            Component::Region(r) | Component::ControlPlane(r) => r as usize,
            Component::Dependency(c) => c.region as usize,
            Component::Store(copy) => model.store_copies[copy as usize].1,
            // A link joins two; an edge is at its population's location, not in a region.
            // The DNS layer is the model's, in no region.
            Component::Link(_) | Component::Cdn(_) | Component::Dns => return None,
        };
        Some(model.regions[r].name.clone())
    }

    /// Keeps a trace event about deployment `d` when tracing.
    fn trace_deployment(&mut self, d: usize, what: What) {
        let now = self.kernel.now;
        if self.recorder.tracing(now) {
            let region = self.model.regions[self.model.deployments[d].region].name.clone();
            let subject = self.deployment_subject(d);
            self.recorder.trace_event(now, what, Some(subject), Some(region), None);
        }
    }

    /// Fails requests an instance held when it stopped serving.
    fn fail_all(&mut self, lost: Vec<ReqId>) {
        for req in lost {
            self.finish(req, Err(FailureCause::InstanceFailed));
        }
    }

    fn refresh_instance(&mut self, i: usize) {
        let lost = self.fleet.refresh(self.model, self.scenario, &self.faults, &mut self.kernel, i);
        self.fail_all(lost);
        if !self.fleet.up(i) {
            self.dependencies.forget(i);
        }
    }

    /// Dependency copies went down (`down`: a region and every copy in it, one copy, or every copy down
    /// now, sampled fidelity having just put the caches where a steady stretch would have left them):
    /// each instance that uses one of them still serves from its cache until the entry expires, and
    /// fails from then on. Each such expiry is declared as a change that takes away, so sampled
    /// fidelity simulates the requests around it one by one (an instance of a region that is down is
    /// down already). The copy's return is its region's repair or its own, an infrastructure event that
    /// declares its own change.
    pub(super) fn declare_cache_expiries(&mut self, down: CopiesDown) {
        let (model, now) = (self.model, self.kernel.now);
        if down != CopiesDown::DownNow {
            // Inside a skip of requests the caches are stale: first put them where the skip left them,
            // the copies that have just gone down counting as up until now.
            let faults = &self.faults;
            let copy_up = |i: usize, d: usize| {
                let r = model.instances[i].region;
                down.holds(d, model.dependencies[d].copy_for(r)) || faults.dependency_up(model, d, r)
            };
            self.dependencies.resume(model, now, copy_up);
        }
        for (d, dep) in model.dependencies.iter().enumerate() {
            for (i, inst) in model.instances.iter().enumerate() {
                let is_down = match down {
                    CopiesDown::DownNow => !self.faults.dependency_up(model, d, inst.region),
                    _ => down.holds(d, dep.copy_for(inst.region)),
                };
                if !is_down || !model.services[inst.service].depends_on.contains(&d) {
                    continue;
                }
                if let Some(at) = self.dependencies.valid_until(i, d, now) {
                    let event = Event::Clock(ClockEvent::CacheExpires);
                    self.kernel.schedule_change(at, event, Change::TakesAway);
                }
            }
        }
    }
    /// A balancer's health checks put instance `i` in rotation or take it out.
    pub(super) fn on_rotation(&mut self, i: usize, into: bool, epoch: u32) {
        if self.fleet.rotation(self.model, self.scenario, &mut self.kernel, i, into, epoch) {
            let now = self.kernel.now;
            if self.recorder.tracing(now) {
                let component = Component::Instance(i as u32);
                let (name, region) = (component.name(self.model), self.component_region(component));
                self.recorder.trace_event(now, What::Rotation { into }, Some(name), region, None);
            }
            self.refresh_endpoints();
            self.refresh_served();
        }
    }

    /// A result of instance `i` reaches its balancer's outlier detection (`fleet::outlier`).
    pub(super) fn on_outlier_outcome(&mut self, i: usize, failed: bool) {
        self.fleet.count_result(self.model, &mut self.kernel, i, failed);
        self.note_ejections();
    }

    /// The sweep after instance `i`'s ejection `epoch` has lasted its time: it returns.
    pub(super) fn on_outlier_return(&mut self, i: usize, epoch: u32) {
        let now = self.kernel.now;
        if self.fleet.unejected(self.model, i, epoch, now) {
            self.note_ejections();
        }
    }

    /// Instance `i` gave a result (`failed` or not) that its balancer sees at `at`.
    pub(super) fn instance_result(&mut self, i: usize, failed: bool, at: SimTime) {
        if self.fleet.detects_outliers(self.model, i) {
            self.fleet.instance_result(self.model, &mut self.kernel, i, failed, at);
            self.note_ejections();
        }
    }

    /// Records the outlier detection's ejections and returns (the count, trace events).
    fn note_ejections(&mut self) {
        if !self.fleet.ejections_moved() {
            return;
        }
        for e in self.fleet.take_ejections() {
            if e.for_time.is_some() {
                self.recorder.ejected(self.scenario, e.at);
            }
            if self.recorder.tracing(e.at) {
                let component = Component::Instance(e.instance as u32);
                let (name, region) = (component.name(self.model), self.component_region(component));
                let what = match e.for_time {
                    Some(t) => What::Ejected { for_s: t.as_secs_f64() },
                    None => What::Returned,
                };
                self.recorder.trace_event(e.at, what, Some(name), region, None);
            }
        }
    }

    /// A component went down (`up == false`) or came back: update what depends on it.
    fn component_changed(&mut self, c: Component, up: bool) {
        let model = self.model;
        match c {
            Component::Instance(i) => self.refresh_instance(i as usize),
            Component::Zone(z) => {
                model.zones[z as usize].instances.iter().for_each(|&i| self.refresh_instance(i))
            }
            Component::Region(r) => {
                for &z in &model.regions[r as usize].zones {
                    model.zones[z].instances.iter().for_each(|&i| self.refresh_instance(i));
                }
                if !up && self.faults.region_down(r as usize) {
                    self.declare_cache_expiries(CopiesDown::Region(r as usize));
                }
            }
            Component::Dependency(copy) => {
                let (d, r) = (copy.dependency as usize, copy.region as usize);
                if !up && !self.faults.region_down(r) {
                    self.declare_cache_expiries(CopiesDown::Copy { dependency: d, region: r });
                }
            }
            Component::Link(l) => self.stores.link_changed(l.a as usize, l.b as usize, up, self.kernel.now),
            // An edge's state is read by each attempt that reaches it, the DNS layer's by each request
            // that resolves (`journey.rs`).
            Component::Store(_) | Component::ControlPlane(_) | Component::Cdn(_) | Component::Dns => {}
        }
        if up && matches!(c, Component::ControlPlane(_) | Component::Region(_) | Component::Dependency(_)) {
            self.resume_launches();
        }
        self.refresh_stores();
        self.refresh_endpoints();
        self.refresh_served();
    }

    fn refresh_stores(&mut self) {
        let losses = self.stores.refresh(self.model, &self.faults, &mut self.kernel);
        for (region, loss) in losses {
            self.recorder.loss(self.model, region, loss);
        }
        for (s, r) in self.stores.take_awaiting(self.model) {
            self.failover.store_failed(&mut self.kernel, s, r);
        }
    }

    /// Entry points that started or stopped: health checks will flip; one that stopped while traffic
    /// goes to it opens an incident.
    fn refresh_endpoints(&mut self) {
        let endpoints = self.endpoints();
        let stopped = self.steering.refresh_endpoints(self.model, &mut self.kernel, &endpoints);
        let now = self.kernel.now;
        for r in stopped {
            self.recorder.start_incident(self.model, self.scenario, &self.steering, r, now);
            // An operator's alarm watches a region that stops serving its traffic.
            self.failover.region_failed(self.model, &mut self.kernel, r);
        }
    }

    /// What each population's answers serve, after a change of what serves or of the answers (nothing,
    /// for a population whose CDN edge is down).
    fn refresh_served(&mut self) {
        let serves = self.path_serves_all();
        let edges: Vec<bool> = (0..self.model.populations.len()).map(|p| !self.faults.cdn_down(p)).collect();
        self.recorder.refresh_served(&self.steering, &serves, &edges, self.faults.dns_down_since());
    }

    /// Sets how many of deployment `d`'s instances run, failing the requests of those that stop.
    fn set_provisioned(&mut self, d: usize, count: u32) {
        let now = self.kernel.now;
        let seconds = self.fleet.account(d, now, self.scenario.warmup, self.scenario.horizon);
        self.recorder.instance_seconds(d, seconds);
        self.fleet.set_provisioned(self.model, d, count);
        for &i in &self.model.deployments[d].instances {
            self.refresh_instance(i);
        }
        self.refresh_endpoints();
        self.refresh_served();
    }

    pub(super) fn on_health_flip(&mut self, r: usize, healthy: bool, epoch: u32) {
        let Flip::Flipped { healthy, serving_traffic } = self.steering.health_flip(r, healthy, epoch) else {
            return;
        };
        let now = self.kernel.now;
        let kind = if healthy { SteeringKind::Recovered } else { SteeringKind::Detection };
        let subject = format!("region:{}", self.model.regions[r].name);
        if self.recorder.tracing(now) {
            let h = &self.model.steering.health;
            let checkers = h.checkers;
            let what = if healthy {
                What::Healthy { needed: h.to_recover, checkers }
            } else {
                What::Unhealthy { needed: h.to_fail, checkers }
            };
            let region = Some(self.model.regions[r].name.clone());
            self.recorder.trace_event(now, what, Some(subject.clone()), region, None);
        }
        self.recorder.steering_event(self.scenario, now, kind, subject);
        if !healthy {
            self.recorder.incident_detected(r, now);
            if serving_traffic {
                // The automatic postures wake now; an operator's wait for the operator's decision.
                let failover = &self.failover;
                let automatic = |d| failover.standby_runbook(d).is_none();
                self.standby.begin_failover(
                    self.model,
                    &mut self.kernel,
                    &self.faults,
                    &self.fleet,
                    r,
                    automatic,
                );
            }
        }
        self.steering.schedule_resteer(self.model, &mut self.kernel);
    }

    /// Recomputes every population's answer from the health checks' view.
    pub(super) fn on_resteer(&mut self) {
        let now = self.kernel.now;
        let (new, differ) = self.steering.new_answers(self.model);
        if differ && self.recorder.traced() {
            let model = self.model;
            let names = |a: &crate::model::routing::Answer| -> Vec<String> {
                a.choices.iter().map(|(r, _)| model.regions[*r].name.clone()).collect()
            };
            for (p, answer) in new.iter().enumerate() {
                let current = &self.steering.answers[p].current().answer;
                if answer != current {
                    let what = What::AnswerChanged { from: names(current), to: names(answer) };
                    let population = Some(model.populations[p].name.clone());
                    self.recorder.trace_event(now, what, None, None, population);
                }
            }
        }
        if differ {
            // Time availability so far is integrated over the versions as they were.
            self.recorder.account_availability(self.model, self.scenario, &self.steering, now);
        }
        let left = self.steering.adopt(new, now);
        for r in left {
            self.recorder.incident_dns_switched(r, now);
        }
        if differ {
            self.recorder.steering_event(self.scenario, now, SteeringKind::DnsSwitch, "dns".to_string());
            self.refresh_served();
        }
        // A woken standby that no answer uses any more goes back to its posture after a cool-down.
        let all_healthy = self.steering.all_healthy(self.model);
        let steering = &self.steering;
        self.standby.schedule_scale_ins(self.model, &mut self.kernel, all_healthy, |r| steering.routed_to(r));
    }

    fn deployment_subject(&self, d: usize) -> String {
        let dep = &self.model.deployments[d];
        format!("{}@{}", self.model.services[dep.service].name, self.model.regions[dep.region].name)
    }

    pub(super) fn on_activate(&mut self, d: usize, epoch: u32) {
        let Some(fleet) = self.standby.activate(self.model, &self.faults, d, epoch) else { return };
        self.set_provisioned(d, fleet);
        self.trace_deployment(d, What::ScaledUp { instances: fleet });
        // The posture sets the fleet; an autoscaler takes over from there.
        self.autoscaler.reset(d, self.kernel.now);
        let subject = self.deployment_subject(d);
        self.recorder.steering_event(self.scenario, self.kernel.now, SteeringKind::ScaleUp, subject);
    }

    pub(super) fn on_scale_in(&mut self, d: usize, epoch: u32) {
        let routed = self.steering.routed_to(self.model.deployments[d].region);
        let Some(count) = self.standby.scale_in(self.model, d, epoch, routed) else { return };
        self.set_provisioned(d, count);
        self.trace_deployment(d, What::ScaledIn { instances: count });
        self.autoscaler.reset(d, self.kernel.now);
        let subject = self.deployment_subject(d);
        self.recorder.steering_event(self.scenario, self.kernel.now, SteeringKind::ScaleIn, subject);
    }

    pub(super) fn on_promote(&mut self, s: usize, epoch: u32) {
        let Some((old_region, loss, new_region)) = self.stores.promote(self.model, &self.faults, s, epoch)
        else {
            return;
        };
        if let Some(loss) = loss {
            self.recorder.loss(self.model, old_region, loss);
        }
        let subject = format!("store:{}@{}", self.model.stores[s].name, self.model.regions[new_region].name);
        let now = self.kernel.now;
        let region = Some(self.model.regions[new_region].name.clone());
        self.recorder.trace_event(now, What::Promoted, Some(subject.clone()), region, None);
        self.recorder.steering_event(self.scenario, self.kernel.now, SteeringKind::Promotion, subject);
    }

    /// A Multi-AZ copy's standby serves: the copy is back, in its other zone.
    pub(super) fn on_zone_failover(&mut self, copy: usize, epoch: u32) {
        let Some((s, region, zone)) = self.stores.complete_zone_failover(self.model, copy, epoch) else {
            return;
        };
        let model = self.model;
        let subject = format!(
            "store:{}@{}/{}",
            model.stores[s].name, model.regions[region].name, model.zones[zone].name
        );
        let (now, name) = (self.kernel.now, Some(model.regions[region].name.clone()));
        self.recorder.trace_event(now, What::ZoneFailover, Some(subject.clone()), name, None);
        self.recorder.steering_event(self.scenario, self.kernel.now, SteeringKind::Promotion, subject);
        self.refresh_stores();
    }
}
