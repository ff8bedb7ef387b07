//! Failures and repairs: down counts per component, correlated outages (a zone takes its instances, a
//! region its zones), instances that stop serving fail the requests they hold; time availability and
//! instance-hours bookkeeping.

use super::{Engine, Event, ReqId};
use crate::model::InstanceId;
use crate::observation::{FailureCause, InfraEvent, Timeline};
use crate::scenario::Component;
use crate::time::SimTime;

impl Engine<'_> {
    pub(super) fn on_down(&mut self, c: Component, injected: bool) {
        self.record_infra(c, false, injected);
        let was_down = self.down_count(c) > 0;
        *self.down_count_mut(c) += 1;
        if !injected && let Some(&i) = self.failure_of.get(&c) {
            let ttr = self.scenario.failures[i].1.time_to_repair.sample_s(&mut self.failure_rng[i].1);
            self.infra
                .schedule(self.now.plus(SimTime::from_secs_f64(ttr)), Event::Up { component: c, injected });
        }
        if !was_down {
            self.component_changed(c, false);
        }
    }

    pub(super) fn on_up(&mut self, c: Component, injected: bool) {
        self.record_infra(c, true, injected);
        let count = self.down_count_mut(c);
        *count = count.saturating_sub(1);
        let now_up = *count == 0;
        if !injected && let Some(&i) = self.failure_of.get(&c) {
            let ttf = self.scenario.failures[i].1.time_to_failure.sample_s(&mut self.failure_rng[i].0);
            self.infra
                .schedule(self.now.plus(SimTime::from_secs_f64(ttf)), Event::Down { component: c, injected });
        }
        if now_up {
            self.component_changed(c, true);
        }
    }

    fn down_count(&self, c: Component) -> u16 {
        match c {
            Component::Instance(i) => self.instances[i as usize].down,
            Component::Zone(z) => self.zone_down[z as usize],
            Component::Region(r) => self.region_down[r as usize],
            Component::Store(c) => self.store_down[c as usize],
            Component::Link(l) => self.link_down[l as usize],
            Component::ControlPlane(r) => self.control_plane_down[r as usize],
        }
    }

    fn down_count_mut(&mut self, c: Component) -> &mut u16 {
        match c {
            Component::Instance(i) => &mut self.instances[i as usize].down,
            Component::Zone(z) => &mut self.zone_down[z as usize],
            Component::Region(r) => &mut self.region_down[r as usize],
            Component::Store(c) => &mut self.store_down[c as usize],
            Component::Link(l) => &mut self.link_down[l as usize],
            Component::ControlPlane(r) => &mut self.control_plane_down[r as usize],
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
            }
            Component::Link(l) => {
                let n = model.regions.len() as u32;
                self.link_changed((l / n) as usize, (l % n) as usize, up);
            }
            Component::ControlPlane(r) if up => self.control_plane_back(r as usize),
            Component::Store(_) | Component::ControlPlane(_) => {}
        }
        self.refresh_stores();
        self.refresh_endpoints();
        self.refresh_population_availability();
    }

    /// Re-evaluates whether an instance serves, failing the requests it holds when it stops.
    pub(super) fn refresh_instance(&mut self, i: InstanceId) {
        let instance = &self.model.instances[i];
        let state = &self.instances[i];
        let serving = state.provisioned
            && state.down == 0
            && self.zone_down[instance.zone] == 0
            && self.region_down[instance.region] == 0;
        let state = &mut self.instances[i];
        if serving == state.serving {
            return;
        }
        state.serving = serving;
        let dep = &mut self.deployments[instance.deployment];
        if serving {
            dep.serving += 1;
            return;
        }
        dep.serving -= 1;
        state.epoch = state.epoch.wrapping_add(1);
        let queued = state.queue.drain(..).map(|(req, _)| req);
        let lost: Vec<ReqId> = state.in_service.drain(..).chain(queued).collect();
        for req in lost {
            self.finish(req, Err(FailureCause::InstanceFailed));
        }
    }

    /// Whether the services of a request entering at `entry` can all be served now (each step's
    /// deployment has a serving instance).
    fn path_serves(&self, entry: usize) -> bool {
        let model = self.model;
        model.request_path.iter().enumerate().all(|(k, &s)| {
            model.step_region[entry][k]
                .and_then(|r| model.services[s].deployment_in[r])
                .is_some_and(|d| self.deployments[d].serving > 0)
        })
    }

    /// Time availability: the share of each population's traffic that its current routing answer sends
    /// to a region whose whole path serves.
    pub(super) fn refresh_population_availability(&mut self) {
        let served: Vec<f64> = (0..self.model.populations.len())
            .map(|p| {
                let mut previous = 0.0;
                let mut served = 0.0;
                for &(r, cumulative) in &self.steer.answers[p].now.choices {
                    if self.path_serves(r) {
                        served += cumulative - previous;
                    }
                    previous = cumulative;
                }
                served
            })
            .collect();
        if served != self.population_served {
            self.account_availability(self.now);
            self.population_served = served;
        }
    }

    /// Adds the time since the last change, weighted by the share of traffic served, to the available time.
    pub(super) fn account_availability(&mut self, until: SimTime) {
        let until = until.min(self.scenario.horizon);
        if until <= self.last_change {
            return;
        }
        let span = until.since(self.last_change).as_secs_f64();
        let served: f64 = self.population_served.iter().zip(&self.traffic_share).map(|(f, s)| f * s).sum();
        self.obs.time_available_s += span * served;
        self.last_change = until;
    }

    /// Adds deployment `d`'s instance-hours since its last change (inside the window) to the bill.
    pub(super) fn account_instance_hours(&mut self, d: usize, until: SimTime) {
        let state = &mut self.deployments[d];
        let (from, to) = (state.since.max(self.scenario.warmup), until.min(self.scenario.horizon));
        if to > from {
            let price = self.model.services[self.model.deployments[d].service].price_usd_per_hour;
            self.obs.usage.compute_usd +=
                state.provisioned as f64 * to.since(from).as_secs_f64() / 3600.0 * price;
        }
        state.since = state.since.max(until);
    }

    /// Sets how many of deployment `d`'s instances run, failing the requests of those that stop.
    pub(super) fn set_provisioned(&mut self, d: usize, count: u32) {
        self.account_instance_hours(d, self.now);
        self.deployments[d].provisioned = count;
        let members = &self.model.deployments[d].instances;
        for (k, &i) in members.iter().enumerate() {
            self.instances[i].provisioned = (k as u32) < count;
            self.refresh_instance(i);
        }
        self.refresh_endpoints();
        self.refresh_population_availability();
    }

    fn record_infra(&mut self, c: Component, up: bool, injected: bool) {
        if self.now > self.scenario.horizon {
            return;
        }
        let infra = &mut self.obs.timeline.infra;
        if infra.len() >= Timeline::MAX_INFRA_EVENTS {
            self.obs.timeline.infra_truncated = true;
            return;
        }
        infra.push(InfraEvent { t_s: self.now.as_secs_f64(), component: c.name(self.model), up, injected });
    }
}
