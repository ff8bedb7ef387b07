//! The discrete-event loop of one replication: arrivals, network crossings, load balancing, FIFO queues
//! in front of each instance's servers, failures and repairs of instances, zones and regions.
//!
//! The engine does no I/O and allocates nothing per event in steady state: events are a closed enum
//! copied into the queue, requests live in an arena addressed by index.

mod arena;
mod queue;

use std::collections::VecDeque;

use rand::rngs::Xoshiro256PlusPlus;
use thiserror::Error;

use crate::model::{DeploymentId, InstanceId, Model};
use crate::observation::{Bucket, FailureCause, InfraEvent, Observations, Slice, Timeline};
use crate::scenario::{Component, Scenario};
use crate::spec::model::LoadBalancing;
use crate::streams::{Purpose, stream};
use crate::time::SimTime;

use arena::{Arena, ReqId, Request};
pub use queue::EventQueue;

/// A replication stopped by a budget: the model grew without limit.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum SimError {
    #[error(
        "replication {replication} (seed {seed}): the queue of {instance} reached {limit} requests at t = {t_s:.1} s; \
         the model is overloaded there: add instances, or set the service's max_queue to shed load \
         (budgets.max_queue raises the limit)"
    )]
    QueueBudget { replication: u32, seed: u64, instance: String, limit: u32, t_s: f64 },
    #[error(
        "replication {replication} (seed {seed}): {limit} events processed by t = {t_s:.1} s of a {horizon_s:.1} s horizon; \
         shorten the horizon, lower the traffic, or raise budgets.max_events"
    )]
    EventBudget { replication: u32, seed: u64, limit: u64, t_s: f64, horizon_s: f64 },
}

#[derive(Debug, Clone, Copy)]
enum Event {
    /// The next request of a population leaves its client.
    Arrival {
        population: u32,
    },
    /// A request reaches the load balancer of its current step's service.
    Reach {
        req: ReqId,
    },
    /// A server of `instance` finishes `req`; stale if the instance failed since (`epoch` moved on).
    Depart {
        instance: u32,
        req: ReqId,
        epoch: u32,
    },
    /// A client gives up waiting for a connection.
    ConnectTimeout {
        req: ReqId,
    },
    /// A component goes down or comes back.
    Down {
        component: Component,
        injected: bool,
    },
    Up {
        component: Component,
        injected: bool,
    },
    /// Close a timeline bucket.
    Sample,
}

struct InstanceState {
    /// How many causes hold it down (own failure, injected outage).
    down: u16,
    /// Up, and its zone and region too.
    serving: bool,
    epoch: u32,
    in_service: Vec<ReqId>,
    queue: VecDeque<ReqId>,
}

struct DeploymentState {
    serving: u32,
    cursor: usize,
}

/// Runs replication `replication` of `scenario` on `model` and returns what it observed.
pub fn run(
    model: &Model,
    scenario: &Scenario,
    seed: u64,
    replication: u32,
) -> Result<Observations, SimError> {
    Engine::new(model, scenario, seed, replication).run()
}

struct Engine<'w> {
    model: &'w Model,
    scenario: &'w Scenario,
    seed: u64,
    replication: u32,
    now: SimTime,
    queue: EventQueue<Event>,
    requests: Arena,
    instances: Vec<InstanceState>,
    deployments: Vec<DeploymentState>,
    zone_down: Vec<u16>,
    region_down: Vec<u16>,
    store_down: Vec<u16>,
    link_down: Vec<u16>,
    control_plane_down: Vec<u16>,
    arrival_rng: Vec<Xoshiro256PlusPlus>,
    network_rng: Vec<Xoshiro256PlusPlus>,
    service_rng: Vec<Xoshiro256PlusPlus>,
    failure_rng: Vec<(Xoshiro256PlusPlus, Xoshiro256PlusPlus)>,
    /// Index into `scenario.failures` for each component with a failure process.
    failure_of: std::collections::BTreeMap<Component, usize>,
    /// Peak arrival rate of each population [1/s] (the thinning envelope).
    peak_rate: Vec<f64>,
    obs: Observations,
    /// Time-availability bookkeeping: each population's share of traffic and whether it is served.
    traffic_share: Vec<f64>,
    population_up: Vec<bool>,
    last_change: SimTime,
    bucket: SimTime,
    current_bucket: Bucket,
}

impl<'w> Engine<'w> {
    fn new(model: &'w Model, scenario: &'w Scenario, seed: u64, replication: u32) -> Self {
        let named = |purpose, name: &str| stream(seed, replication, purpose, name);
        let instances = model
            .instances
            .iter()
            .map(|_| InstanceState {
                down: 0,
                serving: true,
                epoch: 0,
                in_service: Vec::new(),
                queue: VecDeque::new(),
            })
            .collect();
        let deployments = model
            .deployments
            .iter()
            .map(|d| DeploymentState { serving: d.instances.len() as u32, cursor: 0 })
            .collect();
        let total_rate: f64 = scenario.rates_per_s.iter().sum();
        let bucket = SimTime((scenario.horizon.0 / Timeline::BUCKETS as u64).max(1));
        let n_regions = model.regions.len();
        Engine {
            model,
            scenario,
            seed,
            replication,
            now: SimTime::ZERO,
            queue: EventQueue::with_capacity(1024),
            requests: Arena::default(),
            instances,
            deployments,
            zone_down: vec![0; model.zones.len()],
            region_down: vec![0; n_regions],
            store_down: vec![0; model.store_copies.len()],
            link_down: vec![0; n_regions * n_regions],
            control_plane_down: vec![0; n_regions],
            arrival_rng: model.populations.iter().map(|p| named(Purpose::Arrivals, &p.name)).collect(),
            network_rng: model.populations.iter().map(|p| named(Purpose::Network, &p.name)).collect(),
            service_rng: model
                .deployments
                .iter()
                .map(|d| {
                    let name = format!("{}@{}", model.services[d.service].name, model.regions[d.region].name);
                    named(Purpose::ServiceTime, &name)
                })
                .collect(),
            failure_rng: scenario
                .failures
                .iter()
                .map(|(c, _)| {
                    let name = c.name(model);
                    (named(Purpose::TimeToFailure, &name), named(Purpose::TimeToRepair, &name))
                })
                .collect(),
            failure_of: scenario.failures.iter().enumerate().map(|(i, (c, _))| (*c, i)).collect(),
            peak_rate: scenario.rates_per_s.iter().map(|r| r * scenario.peak_multiplier()).collect(),
            obs: Observations {
                replication,
                per_population: vec![Slice::default(); model.populations.len()],
                per_region: vec![Slice::default(); n_regions],
                per_cell: vec![Slice::default(); model.populations.len() * n_regions],
                observed_s: scenario.horizon.since(scenario.warmup).as_secs_f64(),
                timeline: Timeline { bucket_s: bucket.as_secs_f64(), ..Timeline::default() },
                ..Observations::default()
            },
            traffic_share: scenario
                .rates_per_s
                .iter()
                .map(|r| if total_rate > 0.0 { r / total_rate } else { 1.0 / model.populations.len() as f64 })
                .collect(),
            population_up: vec![true; model.populations.len()],
            last_change: scenario.warmup,
            bucket,
            current_bucket: Bucket {
                in_region: vec![0; n_regions],
                queued_in_region: vec![0; n_regions],
                ..Bucket::default()
            },
        }
    }

    fn run(mut self) -> Result<Observations, SimError> {
        for p in 0..self.model.populations.len() {
            self.schedule_arrival(p);
        }
        for i in 0..self.scenario.failures.len() {
            let (component, process) = &self.scenario.failures[i];
            let ttf = process.time_to_failure.sample_s(&mut self.failure_rng[i].0);
            self.queue.schedule(
                SimTime::from_secs_f64(ttf),
                Event::Down { component: *component, injected: false },
            );
        }
        for o in &self.scenario.outages {
            self.queue.schedule(o.start, Event::Down { component: o.component, injected: true });
            self.queue.schedule(o.end, Event::Up { component: o.component, injected: true });
        }
        self.queue.schedule(self.bucket, Event::Sample);

        let horizon = self.scenario.horizon;
        let max_events = self.scenario.max_events;
        // Past the horizon no request arrives; the loop drains the requests still in flight so each one
        // counted has an outcome.
        while let Some((time, event)) = self.queue.pop() {
            if time > horizon && self.requests.live() == 0 {
                break;
            }
            self.now = time;
            self.obs.events += 1;
            if self.obs.events > max_events {
                return Err(SimError::EventBudget {
                    replication: self.replication,
                    seed: self.seed,
                    limit: max_events,
                    t_s: time.as_secs_f64(),
                    horizon_s: horizon.as_secs_f64(),
                });
            }
            match event {
                Event::Arrival { population } => self.on_arrival(population as usize)?,
                Event::Reach { req } => self.on_reach(req)?,
                Event::Depart { instance, req, epoch } => self.on_depart(instance as usize, req, epoch)?,
                Event::ConnectTimeout { req } => self.finish(req, Err(FailureCause::NoHealthyInstance)),
                Event::Down { component, injected } => self.on_down(component, injected),
                Event::Up { component, injected } => self.on_up(component, injected),
                Event::Sample => self.on_sample(),
            }
        }
        self.account_availability(horizon);
        // Each request was recorded once, in its (population, region) cell; the slices are merged here.
        let regions = self.model.regions.len();
        for (i, cell) in std::mem::take(&mut self.obs.per_cell).into_iter().enumerate() {
            for slice in [
                &mut self.obs.total,
                &mut self.obs.per_population[i / regions],
                &mut self.obs.per_region[i % regions],
            ] {
                slice.counts.add(&cell.counts);
                slice.latency.merge(&cell.latency);
            }
        }
        Ok(self.obs)
    }

    // ----- traffic -----

    fn schedule_arrival(&mut self, p: usize) {
        let peak = self.peak_rate[p];
        if peak <= 0.0 {
            return;
        }
        let rng = &mut self.arrival_rng[p];
        let mut t = self.now;
        // Thinning (Lewis and Shedler): candidates at the peak rate, each kept with probability
        // rate(t) / peak. Without a daily profile every candidate is kept.
        loop {
            let gap: f64 = rand_distr::Distribution::sample(&rand_distr::Exp1, rng);
            t = t.plus(SimTime::from_secs_f64(gap / peak));
            if t > self.scenario.horizon {
                return;
            }
            let m = self.scenario.rate_multiplier(t) / self.scenario.peak_multiplier();
            if m >= 1.0 || rand::RngExt::random::<f64>(rng) < m {
                break;
            }
        }
        self.queue.schedule(t, Event::Arrival { population: p as u32 });
    }

    fn on_arrival(&mut self, p: usize) -> Result<(), SimError> {
        self.schedule_arrival(p);
        let model = self.model;
        let region = model.populations[p].initial_answer.pick(0.0).unwrap_or(0);
        let counted = self.now >= self.scenario.warmup;
        self.current_bucket.arrived += 1;
        if counted {
            self.obs.arrivals_in_window += 1;
            self.obs.per_cell[p * self.model.regions.len() + region].counts.attempted += 1;
        }
        let one_way = self.crossing_s(p, model.populations[p].location, model.regions[region].location);
        let req = self.requests.insert(Request {
            population: p as u32,
            entry_region: region as u32,
            region: region as u32,
            step: 0,
            start: self.now,
            back: SimTime::from_secs_f64(one_way),
            counted,
        });
        self.reach_after(SimTime::from_secs_f64(one_way), req)
    }

    /// Delivers `req` to its current step's load balancer after `delay`: at once when the delay is zero
    /// (co-located clients and services), saving an event per crossing on the hot path.
    fn reach_after(&mut self, delay: SimTime, req: ReqId) -> Result<(), SimError> {
        if delay == SimTime::ZERO {
            self.on_reach(req)
        } else {
            self.queue.schedule(self.now.plus(delay), Event::Reach { req });
            Ok(())
        }
    }

    /// One-way time of a crossing from location `a` to `b` for population `p` [s], jitter included.
    fn crossing_s(&mut self, p: usize, a: usize, b: usize) -> f64 {
        let net = &self.model.network;
        let jitter = match &net.jitter {
            Some(d) => d.sample_s(&mut self.network_rng[p]),
            None => 0.0,
        };
        net.rtt_s(a, b) / 2.0 + jitter
    }

    fn on_reach(&mut self, req: ReqId) -> Result<(), SimError> {
        let r = *self.requests.get(req);
        let service = self.model.request_path[r.step as usize];
        let Some(d) = self.model.services[service].deployment_in[r.region as usize] else {
            // Validation guarantees a deployment for every step's region.
            self.finish(req, Err(FailureCause::NoHealthyInstance));
            return Ok(());
        };
        match self.pick_instance(d) {
            None => {
                let timeout = SimTime::from_secs_f64(self.model.network.connect_timeout_s);
                self.queue.schedule(self.now.plus(timeout), Event::ConnectTimeout { req });
                Ok(())
            }
            Some(i) => self.enqueue(i, req),
        }
    }

    /// The load balancer of deployment `d`: a serving instance, or `None` when there is none.
    fn pick_instance(&mut self, d: DeploymentId) -> Option<InstanceId> {
        let dep = &self.model.deployments[d];
        let state = &mut self.deployments[d];
        if state.serving == 0 {
            return None;
        }
        let n = dep.instances.len();
        match self.model.services[dep.service].load_balancing {
            LoadBalancing::RoundRobin => {
                for k in 0..n {
                    let i = dep.instances[(state.cursor + k) % n];
                    if self.instances[i].serving {
                        state.cursor = (state.cursor + k + 1) % n;
                        return Some(i);
                    }
                }
                None
            }
            LoadBalancing::LeastOutstanding => {
                // Fewest requests at the instance; ties broken round-robin so load spreads evenly.
                let mut best: Option<(usize, InstanceId)> = None;
                for k in 0..n {
                    let i = dep.instances[(state.cursor + k) % n];
                    let inst = &self.instances[i];
                    if inst.serving {
                        let load = inst.in_service.len() + inst.queue.len();
                        if best.is_none_or(|(b, _)| load < b) {
                            best = Some((load, i));
                        }
                    }
                }
                state.cursor = (state.cursor + 1) % n;
                best.map(|(_, i)| i)
            }
        }
    }

    fn enqueue(&mut self, i: InstanceId, req: ReqId) -> Result<(), SimError> {
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

    fn start_service(&mut self, i: InstanceId, req: ReqId) {
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

    fn on_depart(&mut self, i: InstanceId, req: ReqId, epoch: u32) -> Result<(), SimError> {
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

    /// Moves a request to the next service of its path, or completes it.
    fn advance(&mut self, req: ReqId) -> Result<(), SimError> {
        let model = self.model;
        let r = *self.requests.get(req);
        let next = r.step as usize + 1;
        if next == model.request_path.len() {
            let done = self.now.plus(r.back);
            self.finish_at(req, done, Ok(()));
            return Ok(());
        }
        let from = r.region as usize;
        let Some(to) = model.step_region[from][next] else {
            self.finish(req, Err(FailureCause::NoHealthyInstance));
            return Ok(());
        };
        let one_way = if to == from {
            model.network.hop_rtt_s / 2.0
        } else {
            self.crossing_s(r.population as usize, model.regions[from].location, model.regions[to].location)
        };
        let delay = SimTime::from_secs_f64(one_way);
        let slot = self.requests.get_mut(req);
        slot.step = next as u8;
        slot.region = to as u32;
        slot.back = slot.back.plus(delay);
        self.reach_after(delay, req)
    }

    fn finish(&mut self, req: ReqId, outcome: Result<(), FailureCause>) {
        self.finish_at(req, self.now, outcome);
    }

    /// Records a request's outcome as seen by its client at `at`, and frees it.
    fn finish_at(&mut self, req: ReqId, at: SimTime, outcome: Result<(), FailureCause>) {
        let r = self.requests.remove(req);
        let (warmup, horizon) = (self.scenario.warmup, self.scenario.horizon);
        // ∫N(t)dt over the window: each request adds the part of its stay inside the window.
        let (a, b) = (r.start.max(warmup), at.min(horizon));
        if b > a {
            self.obs.in_system_area_s += b.since(a).as_secs_f64();
        }
        if at <= horizon {
            self.current_bucket.finished += 1;
            if outcome.is_ok() {
                self.current_bucket.succeeded += 1;
                self.current_bucket.latency_sum_s += at.since(r.start).as_secs_f64();
            }
        }
        if !r.counted {
            return;
        }
        let (p, region) = (r.population as usize, r.entry_region as usize);
        match outcome {
            Ok(()) => {
                let latency_s = at.since(r.start).as_secs_f64();
                let cell = &mut self.obs.per_cell[p * self.model.regions.len() + region];
                cell.counts.succeeded += 1;
                cell.latency.record_s(latency_s);
            }
            Err(cause) => {
                self.obs.per_cell[p * self.model.regions.len() + region].counts.failed[cause as usize] += 1;
            }
        }
    }

    // ----- infrastructure -----

    fn on_down(&mut self, c: Component, injected: bool) {
        self.record_infra(c, false, injected);
        let was_down = self.down_count(c) > 0;
        *self.down_count_mut(c) += 1;
        if !injected && let Some(&i) = self.failure_of.get(&c) {
            let ttr = self.scenario.failures[i].1.time_to_repair.sample_s(&mut self.failure_rng[i].1);
            self.queue
                .schedule(self.now.plus(SimTime::from_secs_f64(ttr)), Event::Up { component: c, injected });
        }
        if !was_down {
            self.refresh_instances(c);
        }
    }

    fn on_up(&mut self, c: Component, injected: bool) {
        self.record_infra(c, true, injected);
        let count = self.down_count_mut(c);
        *count = count.saturating_sub(1);
        let now_up = *count == 0;
        if !injected && let Some(&i) = self.failure_of.get(&c) {
            let ttf = self.scenario.failures[i].1.time_to_failure.sample_s(&mut self.failure_rng[i].0);
            self.queue
                .schedule(self.now.plus(SimTime::from_secs_f64(ttf)), Event::Down { component: c, injected });
        }
        if now_up {
            self.refresh_instances(c);
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

    /// Re-evaluates whether each instance under `c` serves, failing the requests of those that stop.
    fn refresh_instances(&mut self, c: Component) {
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
            Component::Store(_) | Component::Link(_) | Component::ControlPlane(_) => {}
        }
        self.refresh_population_availability();
    }

    fn refresh_instance(&mut self, i: InstanceId) {
        let instance = &self.model.instances[i];
        let serving = self.instances[i].down == 0
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
        let lost: Vec<ReqId> = state.in_service.drain(..).chain(state.queue.drain(..)).collect();
        for req in lost {
            self.finish(req, Err(FailureCause::InstanceFailed));
        }
    }

    /// Time availability: a population is served while every step of its path has a serving instance.
    fn refresh_population_availability(&mut self) {
        let model = self.model;
        let up: Vec<bool> = model
            .populations
            .iter()
            .map(|p| {
                let mut region = p.initial_answer.pick(0.0).unwrap_or(0);
                model.request_path.iter().enumerate().all(|(k, &s)| {
                    let Some(r) = model.step_region[region][k] else { return false };
                    region = r;
                    model.services[s].deployment_in[r].is_some_and(|d| self.deployments[d].serving > 0)
                })
            })
            .collect();
        if up != self.population_up {
            self.account_availability(self.now);
            self.population_up = up;
        }
    }

    /// Adds the time since the last change, weighted by the share of traffic served, to the available time.
    fn account_availability(&mut self, until: SimTime) {
        let until = until.min(self.scenario.horizon);
        if until <= self.last_change {
            return;
        }
        let span = until.since(self.last_change).as_secs_f64();
        let served: f64 =
            self.population_up.iter().zip(&self.traffic_share).filter(|(up, _)| **up).map(|(_, s)| s).sum();
        self.obs.time_available_s += span * served;
        self.last_change = until;
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

    fn on_sample(&mut self) {
        if self.now > self.scenario.horizon {
            return;
        }
        let regions = self.model.regions.len();
        let mut bucket = std::mem::replace(
            &mut self.current_bucket,
            Bucket { in_region: vec![0; regions], queued_in_region: vec![0; regions], ..Bucket::default() },
        );
        for (i, inst) in self.instances.iter().enumerate() {
            let r = self.model.instances[i].region;
            bucket.in_region[r] += (inst.in_service.len() + inst.queue.len()) as u32;
            bucket.queued_in_region[r] += inst.queue.len() as u32;
        }
        self.obs.timeline.buckets.push(bucket);
        if self.obs.timeline.buckets.len() < Timeline::BUCKETS {
            self.queue.schedule(self.now.plus(self.bucket), Event::Sample);
        }
    }
}
