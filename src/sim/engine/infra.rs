//! Failures and repairs: down counts per component, correlated outages (a zone takes its instances, a
//! region its zones), instances that stop serving fail the requests they hold; time availability and
//! instance-hours bookkeeping.

use super::{Engine, Event, ReqId};
use crate::model::ids::InstanceId;
use crate::model::scenario::Component;
use crate::model::time::SimTime;
use crate::sim::observation::{FailureCause, InfraEvent, Timeline};

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

    /// Before any infrastructure event changes the state: the time since the last change is accounted
    /// with the state as it was.
    pub(super) fn before_change(&mut self) {
        self.account_availability(self.now);
        self.judge_clients(self.now.min(self.scenario.horizon), false);
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

    /// The share of version `v`'s answer of population `p` that goes to a region whose whole path
    /// serves now.
    fn version_served(&self, p: usize, v: usize) -> f64 {
        let answer = &self.steer.answers[p].versions[v].answer;
        answer.shares().filter(|&(r, _)| self.path_serves(r)).map(|(_, s)| s).sum()
    }

    /// Recomputes what each population's answer versions serve, after a change of what serves or of the
    /// answers. Callers account the time before the change first ([`Engine::account_availability`]).
    pub(super) fn refresh_population_availability(&mut self) {
        self.population_served = (0..self.model.populations.len())
            .map(|p| (0..self.steer.answers[p].versions.len()).map(|v| self.version_served(p, v)).collect())
            .collect();
    }

    /// ∫ over `[a, b)` of the share of population `p`'s clients whose cached answer can serve them
    /// [s], with what serves as it is now.
    pub(super) fn served_share_integral(&self, p: usize, a: SimTime, b: SimTime) -> f64 {
        if b <= a {
            return 0.0;
        }
        let answers = &self.steer.answers[p];
        let integrals =
            self.model.steering.version_integrals(&answers.since_s(), a.as_secs_f64(), b.as_secs_f64());
        integrals.iter().zip(&self.population_served[p]).map(|(i, s)| i * s).sum()
    }

    /// Adds the time since the last change to the available time, as users see it (each population's
    /// clients on the answer their caches hold, weighted by traffic share) and as the infrastructure
    /// sees it (the authoritative answers only). Called before every change of what serves or of the
    /// answers, so what serves is constant over the interval.
    pub(super) fn account_availability(&mut self, until: SimTime) {
        let until = until.min(self.scenario.horizon);
        if until <= self.last_change {
            return;
        }
        let (a, b) = (self.last_change, until);
        let span = b.since(a).as_secs_f64();
        let mut client = 0.0;
        let mut infra = 0.0;
        for p in 0..self.model.populations.len() {
            let w = self.traffic_share[p];
            client += w * self.served_share_integral(p, a, b);
            infra += w * span * self.population_served[p].last().copied().unwrap_or(0.0);
        }
        self.obs.time_available_s += client.clamp(0.0, span);
        self.obs.time_available_infra_s += infra.clamp(0.0, span);
        self.last_change = until;
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

    /// Adds deployment `d`'s instance-seconds since its last change (inside the window) to its usage.
    pub(super) fn account_instance_hours(&mut self, d: usize, until: SimTime) {
        let state = &mut self.deployments[d];
        let (from, to) = (state.since.max(self.scenario.warmup), until.min(self.scenario.horizon));
        if to > from {
            self.obs.usage.instance_s[d] += state.provisioned as f64 * to.since(from).as_secs_f64();
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
