//! The discrete-event loop of one replication: arrivals, DNS-routed region choice, network crossings,
//! load balancing, FIFO queues in front of each instance's servers, the store at the end of the path,
//! failures and repairs, health checks, failover, standby scale-up and promotion.
//!
//! The engine does no I/O and allocates nothing per event in steady state: events are a closed enum
//! copied into the queue, requests live in an arena addressed by index. Concerns live in child modules
//! that extend [`Engine`]: `service` (load balancers and instance queues), `infra` (failures and
//! repairs), `steering` (health checks, DNS, standby), `data` (stores and replication), `incident`
//! (failover metrics).

mod arena;
mod data;
mod fast_forward;
mod incident;
mod infra;
mod queue;
mod request;
mod service;
mod steering;
mod transit;

use std::collections::VecDeque;

use rand::rngs::Xoshiro256PlusPlus;
use thiserror::Error;

use crate::model::architecture::Model;
use crate::model::scenario::{Component, Scenario};
use crate::model::time::SimTime;
use crate::sim::observation::{Bucket, FailureCause, Observations, Slice, Timeline};
use crate::sim::streams::{Purpose, stream};

use arena::{Arena, ReqId};
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
    /// An internal invariant failed: a bug in regionsim, never a property of the model.
    #[error(
        "replication {replication} (seed {seed}): internal error, {what}; please report it with the model, \
         the scenario and this message"
    )]
    Invariant { replication: u32, seed: u64, what: String },
}

/// What the event lists hold. Arrivals and timeline samples are not events: each population's next
/// arrival and the next sample are clocks the loop compares with the lists' heads, which saves a heap
/// push and pop per request and keeps the infrastructure list free of traffic (see [`Engine::run`]).
#[derive(Debug, Clone, Copy)]
enum Event {
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
    /// A component goes down or comes back.
    Down {
        component: Component,
        injected: bool,
    },
    Up {
        component: Component,
        injected: bool,
    },
    /// Health checks of a region's entry point flip; stale unless `epoch` is the region's current one.
    HealthFlip {
        region: u32,
        healthy: bool,
        epoch: u32,
    },
    /// DNS answers (or anycast routes) are recomputed from the health checks' view.
    Resteer,
    /// A standby deployment's full fleet is up; stale unless `epoch` matches.
    Activate {
        deployment: u32,
        epoch: u32,
    },
    /// A standby deployment returns to its posture; stale unless `epoch` matches.
    ScaleIn {
        deployment: u32,
        epoch: u32,
    },
    /// A store replica becomes the primary; stale unless `epoch` matches.
    Promote {
        store: u32,
        epoch: u32,
    },
    /// The hour of a daily traffic profile turns (scheduled only for sampled fidelity, which treats it
    /// as a change).
    RateChange,
}

/// The source of the next thing to happen, and when.
#[derive(Debug, Clone, Copy)]
enum Next {
    Infra(SimTime),
    FastForward(SimTime),
    Sample(SimTime),
    Transit(SimTime),
    Traffic(SimTime),
    Arrival(SimTime, usize),
}

struct InstanceState {
    /// How many causes hold it down (own failure, injected outage).
    down: u16,
    /// Part of the running fleet (standby postures run fewer).
    provisioned: bool,
    /// Provisioned and up, and its zone and region too.
    serving: bool,
    epoch: u32,
    in_service: Vec<ReqId>,
    /// Waiting requests and their clients' deadlines (kept here so the dequeue need not touch the
    /// request).
    queue: VecDeque<(ReqId, SimTime)>,
}

struct DeploymentState {
    serving: u32,
    cursor: usize,
    /// Instances provisioned (the first `provisioned` of the deployment's fleet).
    provisioned: u32,
    /// A failover to this standby deployment has begun (scale-up pending or done).
    activated: bool,
    /// Waiting for the region's control plane to come back before scaling up.
    awaiting_control_plane: bool,
    epoch: u32,
    /// Instance-hours bookkeeping: when `provisioned` last changed.
    since: SimTime,
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
    /// Traffic events: requests reaching balancers (with jittered crossings), departures.
    queue: EventQueue<Event>,
    /// Infrastructure events: failures, repairs, health checks, DNS, standby, promotion.
    infra: EventQueue<Event>,
    /// Requests crossing the network when crossing times are fixed.
    transit: transit::Transit,
    /// When each population's next request leaves its client ([`SimTime::NEVER`]: none before the horizon).
    next_arrival: Vec<SimTime>,
    /// When the current timeline bucket closes.
    next_sample: SimTime,
    requests: Arena,
    instances: Vec<InstanceState>,
    deployments: Vec<DeploymentState>,
    zone_down: Vec<u16>,
    region_down: Vec<u16>,
    store_down: Vec<u16>,
    link_down: Vec<u16>,
    control_plane_down: Vec<u16>,
    arrival_rng: Vec<Xoshiro256PlusPlus>,
    /// Requests each population has sent: the index of per-request random numbers.
    arrivals: Vec<u64>,
    network_rng: Vec<Xoshiro256PlusPlus>,
    service_rng: Vec<Xoshiro256PlusPlus>,
    failure_rng: Vec<(Xoshiro256PlusPlus, Xoshiro256PlusPlus)>,
    /// Index into `scenario.failures` for each component with a failure process.
    failure_of: std::collections::BTreeMap<Component, usize>,
    /// Peak arrival rate of each population [1/s] (the thinning envelope), and its multiplier.
    peak_rate: Vec<f64>,
    peak_multiplier: f64,
    steer: steering::SteeringState,
    data: data::DataState,
    incidents: incident::Incidents,
    ff: fast_forward::FastForward,
    obs: Observations,
    /// Time-availability bookkeeping: each population's share of traffic, and for each of its answer
    /// versions the share of that answer that serves.
    traffic_share: Vec<f64>,
    population_served: Vec<Vec<f64>>,
    last_change: SimTime,
    /// Up to when the recovery of populations without traffic has been judged.
    clients_judged: SimTime,
    bucket: SimTime,
    current_bucket: Bucket,
    /// A client gives up on a request this long after sending it.
    request_timeout: SimTime,
}

impl<'w> Engine<'w> {
    fn new(model: &'w Model, scenario: &'w Scenario, seed: u64, replication: u32) -> Self {
        let named = |purpose, name: &str| stream(seed, replication, purpose, name);
        let deployments: Vec<DeploymentState> = model
            .deployments
            .iter()
            .map(|d| DeploymentState {
                serving: 0,
                cursor: 0,
                provisioned: d.standby.initially_running(d.instances.len() as u32),
                activated: false,
                awaiting_control_plane: false,
                epoch: 0,
                since: scenario.warmup,
            })
            .collect();
        let instances = model
            .instances
            .iter()
            .map(|inst| {
                let dep = &model.deployments[inst.deployment];
                let k = dep.instances.iter().position(|&i| model.instances[i].name == inst.name).unwrap_or(0);
                InstanceState {
                    down: 0,
                    provisioned: (k as u32) < deployments[inst.deployment].provisioned,
                    serving: false,
                    epoch: 0,
                    in_service: Vec::new(),
                    queue: VecDeque::new(),
                }
            })
            .collect();
        let total_rate: f64 = scenario.rates_per_s.iter().sum();
        let bucket = SimTime((scenario.horizon.0 / Timeline::BUCKETS as u64).max(1));
        let n_regions = model.regions.len();
        let mut engine = Engine {
            model,
            scenario,
            seed,
            replication,
            now: SimTime::ZERO,
            queue: EventQueue::with_capacity(1024),
            infra: EventQueue::with_capacity(64),
            transit: transit::Transit::new(),
            next_arrival: vec![SimTime::NEVER; model.populations.len()],
            next_sample: bucket,
            requests: Arena::default(),
            instances,
            deployments,
            zone_down: vec![0; model.zones.len()],
            region_down: vec![0; n_regions],
            store_down: vec![0; model.store_copies.len()],
            link_down: vec![0; n_regions * n_regions],
            control_plane_down: vec![0; n_regions],
            arrival_rng: model.populations.iter().map(|p| named(Purpose::Arrivals, &p.name)).collect(),
            arrivals: vec![0; model.populations.len()],
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
            peak_multiplier: scenario.peak_multiplier(),
            steer: steering::SteeringState::new(model, seed, replication),
            data: data::DataState::new(model, scenario, seed, replication),
            incidents: incident::Incidents::new(model),
            ff: fast_forward::FastForward::new(model, scenario, seed, replication),
            request_timeout: SimTime::from_secs_f64(model.network.request_timeout_s),
            obs: Observations {
                replication,
                per_population: vec![Slice::default(); model.populations.len()],
                per_region: vec![Slice::default(); n_regions],
                per_cell: vec![Slice::default(); model.populations.len() * n_regions],
                observed_s: scenario.horizon.since(scenario.warmup).as_secs_f64(),
                request_level_s: scenario.horizon.since(scenario.warmup).as_secs_f64(),
                timeline: Timeline { bucket_s: bucket.as_secs_f64(), ..Timeline::default() },
                usage: crate::sim::observation::Usage {
                    instance_s: vec![0.0; model.deployments.len()],
                    ..Default::default()
                },
                ..Observations::default()
            },
            traffic_share: scenario
                .rates_per_s
                .iter()
                .map(|r| if total_rate > 0.0 { r / total_rate } else { 1.0 / model.populations.len() as f64 })
                .collect(),
            population_served: vec![Vec::new(); model.populations.len()],
            last_change: scenario.warmup,
            clients_judged: SimTime::ZERO,
            bucket,
            current_bucket: Bucket {
                in_region: vec![0; n_regions],
                queued_in_region: vec![0; n_regions],
                ..Bucket::default()
            },
        };
        for i in 0..model.instances.len() {
            engine.refresh_instance(i);
        }
        engine.init_steering();
        engine.refresh_population_availability();
        engine
    }

    fn run(mut self) -> Result<Observations, SimError> {
        for p in 0..self.model.populations.len() {
            self.schedule_arrival(p);
        }
        for i in 0..self.scenario.failures.len() {
            let (component, process) = &self.scenario.failures[i];
            let ttf = process.time_to_failure.sample_s(&mut self.failure_rng[i].0);
            self.infra.schedule(
                SimTime::from_secs_f64(ttf),
                Event::Down { component: *component, injected: false },
            );
        }
        for o in &self.scenario.outages {
            self.infra.schedule(o.start, Event::Down { component: o.component, injected: true });
            self.infra.schedule(o.end, Event::Up { component: o.component, injected: true });
        }
        self.schedule_rate_change();

        let horizon = self.scenario.horizon;
        let max_events = self.scenario.max_events;
        // Past the horizon no request arrives; the loop drains the requests still in flight so each one
        // counted has an outcome. Once the clock passes the horizon by a request timeout, every request
        // still in flight has passed its client's deadline: those are timeouts (see `finish_live`).
        let drain_end = horizon.plus(self.request_timeout);
        while let Some(next) = self.next() {
            let time = match next {
                Next::Infra(t)
                | Next::FastForward(t)
                | Next::Sample(t)
                | Next::Transit(t)
                | Next::Traffic(t)
                | Next::Arrival(t, _) => t,
            };
            if time > horizon && (self.requests.live() == 0 || time > drain_end) {
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
            match next {
                Next::Arrival(_, p) => self.on_arrival(p)?,
                Next::Sample(_) => self.on_sample(),
                Next::FastForward(_) => self.on_fast_forward(),
                Next::Transit(_) => {
                    let (_, req) = self.transit.receive().expect("a request in transit");
                    self.on_reach(req)?;
                }
                Next::Traffic(_) => {
                    let (_, event) = self.queue.pop().expect("peeked");
                    self.on_event(event)?;
                }
                Next::Infra(_) => {
                    let (_, event) = self.infra.pop().expect("peeked");
                    self.before_change();
                    self.on_event(event)?;
                    self.note_change();
                }
            }
        }
        self.finish_live();
        self.close(horizon);
        self.check_invariants()?;
        Ok(self.obs)
    }

    /// Requests still in flight when the loop ends get their outcome: a timeout when their client's
    /// deadline has passed by the end of the drain (always, unless the request timeout is longer than
    /// the clock can reach), else `unfinished`.
    fn finish_live(&mut self) {
        let end = self.scenario.horizon.plus(self.request_timeout).max(self.now);
        for req in self.requests.live_ids() {
            let r = self.requests.remove(req);
            let deadline = r.start.plus(self.request_timeout);
            if deadline <= end && deadline < SimTime::NEVER {
                self.record_outcome(&r, deadline, Err(FailureCause::Timeout));
            } else {
                self.record_outcome(&r, end, Err(FailureCause::Unfinished));
            }
        }
    }

    /// Invariants that must hold at the end of every replication; a violation is a bug, reported with
    /// the seed and replication that reproduce it instead of a silently wrong result.
    fn check_invariants(&self) -> Result<(), SimError> {
        self.obs.check_invariants().map_err(|what| SimError::Invariant {
            replication: self.replication,
            seed: self.seed,
            what,
        })
    }

    /// The earliest thing to happen. At equal times infrastructure goes first (a request arriving at
    /// the instant its region fails finds it failed), then the fast-forward's step, the timeline
    /// sample, network arrivals, other traffic in flight, and new arrivals (lowest population first).
    fn next(&mut self) -> Option<Next> {
        let (mut best, mut best_t) = match self.infra.peek_time() {
            Some(t) => (Some(Next::Infra(t)), t),
            None => (None, SimTime::NEVER),
        };
        if self.ff.due < best_t {
            best_t = self.ff.due;
            best = Some(Next::FastForward(best_t));
        }
        if self.next_sample < best_t {
            best_t = self.next_sample;
            best = Some(Next::Sample(best_t));
        }
        if self.transit.head < best_t {
            best_t = self.transit.head;
            best = Some(Next::Transit(best_t));
        }
        if let Some(t) = self.queue.peek_time()
            && t < best_t
        {
            best_t = t;
            best = Some(Next::Traffic(t));
        }
        for (p, &t) in self.next_arrival.iter().enumerate() {
            if t < best_t {
                best_t = t;
                best = Some(Next::Arrival(t, p));
            }
        }
        best
    }

    fn on_event(&mut self, event: Event) -> Result<(), SimError> {
        match event {
            Event::Reach { req } => self.on_reach(req)?,
            Event::Depart { instance, req, epoch } => self.on_depart(instance as usize, req, epoch)?,
            Event::Down { component, injected } => self.on_down(component, injected),
            Event::Up { component, injected } => self.on_up(component, injected),
            Event::HealthFlip { region, healthy, epoch } => {
                self.on_health_flip(region as usize, healthy, epoch)
            }
            Event::Resteer => self.on_resteer(),
            Event::Activate { deployment, epoch } => self.on_activate(deployment as usize, epoch),
            Event::ScaleIn { deployment, epoch } => self.on_scale_in(deployment as usize, epoch),
            Event::Promote { store, epoch } => self.on_promote(store as usize, epoch),
            Event::RateChange => self.schedule_rate_change(),
        }
        Ok(())
    }

    /// With a daily profile and sampled fidelity, the next turn of the hour is a change.
    fn schedule_rate_change(&mut self) {
        const HOUR: u64 = 3_600_000_000_000;
        if self.scenario.daily_profile.is_some() && self.ff.is_sampled() {
            let next = SimTime((self.now.0 / HOUR + 1) * HOUR);
            if next < self.scenario.horizon {
                self.infra.schedule(next, Event::RateChange);
            }
        }
    }

    /// End-of-run bookkeeping: time availability, instance-hours, open incidents, merged slices.
    fn close(&mut self, horizon: SimTime) {
        self.finish_fast_forward();
        self.now = self.now.max(horizon);
        self.account_availability(horizon);
        for d in 0..self.deployments.len() {
            self.account_instance_hours(d, horizon);
        }
        self.close_incidents();
        self.finish_usage();
        // Each request was recorded once, in its (population, region) cell; the slices are merged here.
        let regions = self.model.regions.len();
        for (i, cell) in std::mem::take(&mut self.obs.per_cell).into_iter().enumerate() {
            for slice in [
                &mut self.obs.total,
                &mut self.obs.per_population[i / regions],
                &mut self.obs.per_region[i % regions],
            ] {
                slice.add(&cell);
            }
        }
        let t = self.obs.total.tally.clone();
        let count = |v: f64| v.round().max(0.0) as u64;
        self.obs.in_system_area_s = t.in_system_s;
        self.obs.reads = count(t.reads);
        self.obs.writes = count(t.writes);
        self.obs.stale_reads = count(t.stale_reads);
        self.obs.lost_updates = count(t.lost_updates);
        self.obs.cross_region = count(t.cross_region);
        let (regions, stores) = (self.model.regions.len(), self.model.stores.len());
        let u = &mut self.obs.usage;
        u.transfer_bytes =
            if t.transfer_bytes.is_empty() { vec![0.0; regions * regions] } else { t.transfer_bytes };
        u.egress_bytes = self.obs.per_region.iter().map(|s| s.tally.egress_bytes).collect();
        u.writes = vec![0.0; stores];
        u.replicated_writes = vec![0.0; stores];
        if let Some(s) = self.model.path_store {
            u.writes[s] = t.writes;
            u.replicated_writes[s] = t.replicated_writes;
        }
    }

    fn on_sample(&mut self) {
        self.next_sample = SimTime::NEVER;
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
        if self.ff.is_sampled() {
            self.fill_bucket(&mut bucket);
        }
        self.obs.timeline.buckets.push(bucket);
        if self.obs.timeline.buckets.len() < Timeline::BUCKETS {
            self.next_sample = self.now.plus(self.bucket);
        }
        self.judge_incidents(false);
    }
}
