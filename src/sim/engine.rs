//! The discrete-event engine of one replication: a small kernel (clock, event lists, transit lanes) and
//! subsystems that own their state and their events, composed by `Engine`:
//!
//! - `traffic`: each population's arrivals (clocks, not events), network crossings, requests in flight;
//! - `fleet`: instances, their queues and load balancers (health checks, outlier detection);
//! - `faults`: the table of components and their causes of being down, failure and repair processes;
//! - `steering`: health checks, DNS answers and how clients follow them;
//! - `standby`: warm, pilot-light and backup postures and their activation;
//! - `failover`: the alarms and operator decisions of operator-triggered failovers;
//! - `autoscaler`: target tracking of autoscaled deployments (an evaluation clock, launches);
//! - `stores`: replication, promotion, lost writes;
//! - `dependencies`: each instance's cache of what its shared or managed services gave it (tokens,
//!   keys), and when it must call them again;
//! - `cdn`: the edge tier of populations with a CDN: which requests are cacheable and which attempts
//!   its caches answer;
//! - `recorder`: the only writer of observations (outcomes, tallies, timeline, usage, incidents);
//! - `fidelity`: sampled fidelity's fast-forward of steady stretches, which learns what changed from
//!   the kernel's change declarations only;
//! - `behaviour`: the extension points of request behaviour (admission, an attempt's outcome, service),
//!   and the behaviours behind them: client retries (`retry`), per-hop retries of service-to-service calls (`hop`) and circuit
//!   breakers (`breaker`).
//!
//! The engine mediates: a subsystem never calls another; `journey` (a request's path through them) and
//! `reactions` (what a change of one means for the others) are the only places that combine them. The
//! engine does no I/O and allocates nothing per event in steady state: events are a closed enum copied
//! into the lists, requests live in an arena addressed by index.

mod arena;
mod autoscaler;
mod behaviour;
mod breaker;
mod cdn;
mod dependencies;
mod event;
mod failover;
mod faults;
mod fidelity;
mod fleet;
mod hop;
mod incident;
mod journey;
mod kernel;
mod queue;
mod reactions;
mod recorder;
mod retry;
mod standby;
mod steering;
mod stores;
mod traffic;
mod transit;

use thiserror::Error;

use crate::model::architecture::Model;
use crate::model::scenario::Scenario;
use crate::model::time::SimTime;
use crate::sim::observation::{FailureCause, Observations};
use crate::sim::trace::{Trace, TraceLog, Window};

use autoscaler::Autoscaler;
use behaviour::Behaviours;
use cdn::Edges;
use dependencies::Dependencies;
use event::{
    BreakerEvent, ClockEvent, Event, FailoverEvent, FaultEvent, FleetEvent, RequestEvent, ScaleEvent,
    StandbyEvent, SteeringEvent, StoreEvent,
};
use failover::Failover;
use faults::Faults;
use fidelity::FastForward;
use fleet::Fleet;
use kernel::{Change, Kernel};
pub use queue::EventQueue;
use recorder::Recorder;
use standby::Standby;
use steering::Steering;
use stores::Stores;
use traffic::Traffic;

/// A replication stopped: a budget was reached (the model grew without limit), or an internal
/// invariant failed.
#[derive(Debug, Error, Clone, PartialEq)]
pub enum SimError {
    /// An instance's queue reached the scenario's queue budget (`budgets.max_queue`).
    #[error(
        "replication {replication} (seed {seed}): the queue of {instance} reached {limit} requests at t = {t_s:.1} s; \
         the model is overloaded there: add instances, or set the service's max_queue to shed load \
         (budgets.max_queue raises the limit)"
    )]
    QueueBudget {
        /// The replication that stopped.
        replication: u32,
        /// The study's master seed.
        seed: u64,
        /// The instance's name (`api@us-east-1#0`).
        instance: String,
        /// The queue budget: requests queued at one instance.
        limit: u32,
        /// When the queue reached it \[s\].
        t_s: f64,
    },
    /// The replication processed more events than the scenario's event budget (`budgets.max_events`).
    #[error(
        "replication {replication} (seed {seed}): {limit} events processed by t = {t_s:.1} s of a {horizon_s:.1} s horizon; \
         shorten the horizon, lower the traffic, or raise budgets.max_events"
    )]
    EventBudget {
        /// The replication that stopped.
        replication: u32,
        /// The study's master seed.
        seed: u64,
        /// The event budget.
        limit: u64,
        /// When the budget was reached \[s\].
        t_s: f64,
        /// The horizon it was meant to reach \[s\].
        horizon_s: f64,
    },
    /// An internal invariant failed: a bug in regionsim, never a property of the model.
    #[error(
        "replication {replication} (seed {seed}): internal error, {what}; please report it with the model, \
         the scenario and this message"
    )]
    Invariant {
        /// The replication whose observations broke it.
        replication: u32,
        /// The study's master seed.
        seed: u64,
        /// Which invariant failed, with the numbers.
        what: String,
    },
}

/// The source of the next thing to happen, and when.
#[derive(Debug, Clone, Copy)]
enum Next {
    Infra(SimTime),
    Evaluate(SimTime),
    FastForward(SimTime),
    Sample(SimTime),
    Transit(SimTime),
    Traffic(SimTime),
    Arrival(SimTime, usize),
}

/// Runs replication `replication` of `scenario` on `model` and returns what it observed.
pub fn run(
    model: &Model,
    scenario: &Scenario,
    seed: u64,
    replication: u32,
) -> Result<Observations, SimError> {
    Engine::new(model, scenario, seed, replication).run().map(|(obs, _)| obs)
}

/// Runs replication `replication` as [`run`] does, and also keeps its trace over `window`: the same
/// observations (tracing draws no random number and changes no decision), and every event in the
/// window with the outcome series.
pub fn run_traced(
    model: &Model,
    scenario: &Scenario,
    seed: u64,
    replication: u32,
    window: Window,
) -> Result<(Observations, Trace), SimError> {
    let mut engine = Engine::new(model, scenario, seed, replication);
    // The answers at t = 0, as steering gave them (a region whose entry point does not serve yet is
    // left out of them).
    let answers = model
        .populations
        .iter()
        .zip(&engine.steering.answers)
        .map(|(p, a)| {
            let regions = a.current().answer.choices.iter().map(|(r, _)| model.regions[*r].name.clone());
            (p.name.clone(), regions.collect())
        })
        .collect();
    engine.recorder.trace = Some(Box::new(TraceLog::new(window, answers)));
    let (obs, trace) = engine.run()?;
    Ok((obs, trace.unwrap_or_default()))
}

struct Engine<'w> {
    model: &'w Model,
    scenario: &'w Scenario,
    seed: u64,
    replication: u32,
    kernel: Kernel,
    traffic: Traffic,
    fleet: Fleet,
    faults: Faults,
    steering: Steering,
    standby: Standby,
    failover: Failover,
    autoscaler: Autoscaler,
    stores: Stores,
    dependencies: Dependencies,
    edges: Edges,
    behaviours: Behaviours,
    recorder: Recorder,
    ff: FastForward,
    /// When the current timeline bucket closes.
    next_sample: SimTime,
}

impl<'w> Engine<'w> {
    fn new(model: &'w Model, scenario: &'w Scenario, seed: u64, replication: u32) -> Self {
        let recorder = Recorder::new(model, scenario, replication);
        let next_sample = recorder.bucket;
        let mut engine = Engine {
            model,
            scenario,
            seed,
            replication,
            kernel: Kernel::new(),
            traffic: Traffic::new(model, scenario, seed, replication),
            fleet: Fleet::new(model, scenario.warmup, seed, replication),
            faults: Faults::new(model, scenario, seed, replication),
            steering: Steering::new(model, seed, replication),
            standby: Standby::new(model, seed, replication),
            failover: Failover::new(model, seed, replication),
            autoscaler: Autoscaler::new(model, seed, replication),
            stores: Stores::new(model, scenario, seed, replication),
            dependencies: Dependencies::new(model, seed, replication),
            edges: Edges::new(model, seed, replication),
            behaviours: Behaviours::new(model, seed, replication),
            recorder,
            ff: FastForward::new(model, scenario, seed, replication),
            next_sample,
        };
        for i in 0..model.instances.len() {
            // Nothing is in flight yet: no request can be lost.
            let lost = engine.fleet.refresh(model, scenario, &engine.faults, &mut engine.kernel, i);
            debug_assert!(lost.is_empty());
        }
        engine.fleet.started = true;
        let endpoints = engine.endpoints();
        engine.steering.init(model, &endpoints);
        let serves = engine.path_serves_all();
        // Every edge is up at the start: outages and failures begin with events.
        engine.recorder.refresh_served(&engine.steering, &serves, &vec![true; model.populations.len()], None);
        engine
    }

    fn run(mut self) -> Result<(Observations, Option<Trace>), SimError> {
        self.simulate()?;
        let trace = self.recorder.trace.take().map(|t| t.finish());
        let obs = self.recorder.finish(self.model);
        obs.check_invariants().map_err(|what| SimError::Invariant {
            replication: self.replication,
            seed: self.seed,
            what,
        })?;
        let mut obs = obs;
        obs.events = self.kernel.events;
        Ok((obs, trace))
    }

    /// The event loop over the whole horizon, then the end-of-run bookkeeping (the engine's state is
    /// left for [`Engine::run`] to collect, or a test to inspect).
    fn simulate(&mut self) -> Result<(), SimError> {
        for p in 0..self.model.populations.len() {
            self.traffic.schedule_arrival(self.scenario, p, self.kernel.now);
        }
        self.faults.schedule_initial(&mut self.kernel, self.scenario);
        self.autoscaler.schedule_actions(self.model, &mut self.kernel, self.scenario.horizon);
        self.schedule_rate_change();

        let horizon = self.scenario.horizon;
        let max_events = self.scenario.max_events;
        // Past the horizon no request arrives; the loop drains the requests still in flight so each one
        // counted has an outcome. Once the clock passes the horizon by a request timeout, every request
        // still in flight has passed its client's deadline: those are timeouts (see `finish_live`).
        let drain_end = horizon.plus(self.traffic.request_timeout);
        while let Some(next) = self.next() {
            let time = match next {
                Next::Infra(t)
                | Next::Evaluate(t)
                | Next::FastForward(t)
                | Next::Sample(t)
                | Next::Transit(t)
                | Next::Traffic(t)
                | Next::Arrival(t, _) => t,
            };
            if time > horizon && (self.traffic.requests.live() == 0 || time > drain_end) {
                break;
            }
            self.kernel.now = time;
            self.kernel.events += 1;
            if self.kernel.events > max_events {
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
                Next::Evaluate(_) => self.on_evaluate(),
                Next::FastForward(_) => self.on_fast_forward(),
                Next::Transit(_) => {
                    let (_, req) = self.kernel.transit.receive().expect("a request in transit");
                    self.on_reach(req)?;
                }
                Next::Traffic(_) => {
                    let event = self.kernel.pop_traffic().expect("peeked");
                    self.on_event(event)?;
                }
                Next::Infra(_) => {
                    let (event, change) = self.kernel.pop_infra().expect("peeked");
                    let seen = self.traffic_sees(&event);
                    self.before_change();
                    self.on_event(event)?;
                    if seen {
                        self.kernel.changed(change);
                    }
                }
            }
            // The change contract: whatever declared a change (an infrastructure event, or a behaviour
            // on the traffic path) sends the fast-forward back to full fidelity.
            if self.kernel.take_changed() {
                self.note_change();
            }
        }
        self.finish_live();
        self.close(horizon);
        Ok(())
    }

    /// The earliest thing to happen. At equal times infrastructure goes first (a request arriving at
    /// the instant its region fails finds it failed), then the autoscalers' evaluation, the
    /// fast-forward's step, the timeline sample, network arrivals, other traffic in flight, and new
    /// arrivals (lowest population first).
    fn next(&self) -> Option<Next> {
        let (mut best, mut best_t) = match self.kernel.infra_time() {
            Some(t) => (Some(Next::Infra(t)), t),
            None => (None, SimTime::NEVER),
        };
        if self.autoscaler.due < best_t {
            best_t = self.autoscaler.due;
            best = Some(Next::Evaluate(best_t));
        }
        if self.ff.due < best_t {
            best_t = self.ff.due;
            best = Some(Next::FastForward(best_t));
        }
        if self.next_sample < best_t {
            best_t = self.next_sample;
            best = Some(Next::Sample(best_t));
        }
        if self.kernel.transit.head < best_t {
            best_t = self.kernel.transit.head;
            best = Some(Next::Transit(best_t));
        }
        if let Some(t) = self.kernel.traffic_time()
            && t < best_t
        {
            best_t = t;
            best = Some(Next::Traffic(t));
        }
        if let Some((t, p)) = self.traffic.earliest_arrival()
            && t < best_t
        {
            best = Some(Next::Arrival(t, p));
        }
        best
    }

    fn on_event(&mut self, event: Event) -> Result<(), SimError> {
        match event {
            Event::Request(RequestEvent::Reach { req }) => self.on_reach(req)?,
            Event::Request(RequestEvent::Depart { instance, req, epoch }) => {
                self.on_depart(instance as usize, req, epoch)?
            }
            Event::Fault(FaultEvent::Down { component, cause }) => self.on_down(component, cause),
            Event::Fault(FaultEvent::Up { component, cause }) => self.on_up(component, cause),
            Event::Request(RequestEvent::Retry { req }) => self.on_retry(req)?,
            Event::Request(RequestEvent::HopRetry { req, caller }) => self.on_hop_retry(req, caller)?,
            Event::Request(RequestEvent::AttemptTimeout { req, serial }) => {
                self.on_attempt_timeout(req, serial)
            }
            Event::Fleet(FleetEvent::Rotation { instance, into, epoch }) => {
                self.on_rotation(instance as usize, into, epoch)
            }
            Event::Fleet(FleetEvent::Outcome { instance, failed }) => {
                self.on_outlier_outcome(instance as usize, failed)
            }
            Event::Fleet(FleetEvent::Return { instance, epoch }) => {
                self.on_outlier_return(instance as usize, epoch)
            }
            Event::Steering(SteeringEvent::HealthFlip { region, healthy, epoch }) => {
                self.on_health_flip(region as usize, healthy, epoch)
            }
            Event::Steering(SteeringEvent::Resteer) => self.on_resteer(),
            Event::Standby(StandbyEvent::Activate { deployment, epoch }) => {
                self.on_activate(deployment as usize, epoch)
            }
            Event::Standby(StandbyEvent::ScaleIn { deployment, epoch }) => {
                self.on_scale_in(deployment as usize, epoch)
            }
            Event::Store(StoreEvent::Promote { store, epoch }) => self.on_promote(store as usize, epoch),
            Event::Store(StoreEvent::ZoneFailover { copy, epoch }) => {
                self.on_zone_failover(copy as usize, epoch)
            }
            Event::Clock(ClockEvent::RateChange) => self.schedule_rate_change(),
            Event::Clock(ClockEvent::CacheExpires) => {}
            Event::Scale(ScaleEvent::Launched { deployment, epoch }) => {
                self.on_launched(deployment as usize, epoch)
            }
            Event::Scale(ScaleEvent::Scheduled { deployment, action }) => {
                self.on_scheduled(deployment as usize, action as usize)
            }
            Event::Failover(FailoverEvent::Alarm { watch, epoch }) => self.on_alarm(watch as usize, epoch),
            Event::Failover(FailoverEvent::Decision { watch, epoch }) => {
                self.on_decision(watch as usize, epoch)
            }
            Event::Breaker(BreakerEvent::HalfOpen { population, region, epoch }) => {
                self.on_half_open(population as usize, region as usize, epoch)
            }
            Event::Breaker(BreakerEvent::Outcome { population, region, epoch, failed }) => {
                self.on_breaker_outcome(population as usize, region as usize, epoch, failed)
            }
        }
        Ok(())
    }

    /// With a daily profile and sampled fidelity, the next turn of the hour is a change.
    fn schedule_rate_change(&mut self) {
        const HOUR: u64 = 3_600_000_000_000;
        if self.scenario.daily_profile.is_some() && self.ff.is_sampled() {
            let next = SimTime((self.kernel.now.0 / HOUR + 1) * HOUR);
            if next < self.scenario.horizon {
                self.kernel.schedule_change(next, Event::Clock(ClockEvent::RateChange), Change::Steers);
            }
        }
    }

    /// Requests still in flight when the loop ends get their outcome: a timeout when their client's
    /// deadline has passed by the end of the drain (always, unless the request timeout is longer than
    /// the clock can reach), else `unfinished`.
    fn finish_live(&mut self) {
        let timeout = self.traffic.request_timeout;
        let end = self.scenario.horizon.plus(timeout).max(self.kernel.now);
        for req in self.traffic.requests.live_ids() {
            let r = self.traffic.requests.remove(req);
            if r.abandoned {
                continue; // an attempt its client gave up on: its request has its own outcome
            }
            let deadline = r.start.plus(timeout);
            let (at, cause) = if deadline <= end && deadline < SimTime::NEVER {
                (deadline, FailureCause::Timeout)
            } else {
                (end, FailureCause::Unfinished)
            };
            self.record_final(&r, at, Err(cause), false);
        }
    }

    /// End-of-run bookkeeping: the fast-forward's counts, time availability, instance-seconds, open
    /// incidents.
    fn close(&mut self, horizon: SimTime) {
        self.finish_fast_forward();
        self.kernel.now = self.kernel.now.max(horizon);
        self.recorder.account_availability(self.model, self.scenario, &self.steering, horizon);
        for d in 0..self.model.deployments.len() {
            let s = self.fleet.account(d, horizon, self.scenario.warmup, horizon);
            self.recorder.instance_seconds(d, s);
        }
        let now = self.kernel.now;
        let timeout = self.traffic.request_timeout;
        self.recorder.judge_incidents(self.model, self.scenario, &self.steering, now, timeout, true);
    }

    /// A timeline bucket closes: its flows, the occupancy now, the skipped stretches' flows; then the
    /// open incidents are judged on what is complete.
    fn on_sample(&mut self) {
        self.next_sample = SimTime::NEVER;
        let now = self.kernel.now;
        if now > self.scenario.horizon {
            return;
        }
        let (in_region, queued) = self.fleet.occupancy(self.model);
        let mut bucket = self.recorder.take_bucket(in_region, queued);
        bucket.instances = self.fleet.fleet_sizes();
        if self.ff.is_sampled() {
            self.fill_bucket(&mut bucket);
        }
        if self.recorder.push_bucket(bucket) {
            self.next_sample = now.plus(self.recorder.bucket);
        }
        let timeout = self.traffic.request_timeout;
        self.recorder.judge_incidents(self.model, self.scenario, &self.steering, now, timeout, false);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::study::{Adjustments, Override, load_study};

    fn study(sets: &[&str]) -> crate::model::study::Study {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let overrides = sets.iter().map(|s| Override::parse(s).expect("a valid --set")).collect();
        load_study(
            &root.join("models/active-passive.ron"),
            &root.join("scenarios/steady-state.ron"),
            &Adjustments { overrides, replications: Some(1), seed: Some(5) },
        )
        .expect("valid study")
    }

    /// Regression (issue 14, a year's replication spent 8% of its instructions here): a skip that
    /// begins while a recovered incident is still watched for a relapse filled the incident's
    /// one-second recovery bins up to the next timeline sample, since only a sample judged them. With
    /// a 30-day horizon (3-hour timeline buckets) and a 10-minute outage of us-east-1 (failures off),
    /// the incident's two tracks need bins only until their recovery (within the outage, at most
    /// 600 s) plus the 15-minute watch, plus a judging step (window and hold, 70 s) at each end: at
    /// most 2 × (600 + 900 + 2 × 70 + 10) = 3,300 bins. Before, the skip after the watch filled them to
    /// the first sample at 3 h: ~2 × 8,000.
    #[test]
    fn a_long_skip_after_a_recovery_stops_filling_its_bins() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let sets = ["horizon_s=2592000", "outages[0].duration_s=600", "failures=[]"];
        let overrides = sets.iter().map(|s| Override::parse(s).expect("a valid --set")).collect();
        let s = load_study(
            &root.join("models/active-passive.ron"),
            &root.join("scenarios/region-outage.ron"),
            &Adjustments { overrides, replications: Some(1), seed: Some(5) },
        )
        .expect("valid study");
        let mut engine = Engine::new(&s.model, &s.scenario, s.scenario.seed, 0);
        engine.simulate().expect("runs");
        let bin = s.scenario.recovery.bin.as_secs_f64();
        assert_eq!(bin, 1.0, "the default recovery bin the bound assumes");
        let filled = engine.ff.incident_bins_filled;
        assert!(filled > 0, "no skip filled the incident's bins: the test does not reach the path");
        assert!(filled <= 3_300, "{filled} recovery bins filled by skips (at most 3,300 are read)");
    }

    /// The change contract: the fast-forward learns of a change from its declaration alone. A toy
    /// subsystem's timed state change (here an event that does nothing else, at t = 2,000 s of a steady
    /// hour) declared as taking something away makes the requests of the lead before it, the settle
    /// after it and a new window run one by one; declared as adding capacity, it needs no lead; not
    /// scheduled at all, neither.
    #[test]
    fn the_fast_forward_sees_a_declared_change_and_only_from_its_declaration() {
        let s = study(&["fidelity=Sampled(settle_s: 5.0, window_s: 10.0, lead_s: 30.0)", "failures=[]"]);
        let run = |change: Option<Change>| {
            let mut engine = Engine::new(&s.model, &s.scenario, s.scenario.seed, 0);
            if let Some(change) = change {
                let toy = Event::Clock(ClockEvent::RateChange);
                engine.kernel.schedule_change(SimTime::from_secs_f64(2000.0), toy, change);
            }
            engine.run().expect("runs").0.request_level_s
        };
        let (none, adds, takes) = (run(None), run(Some(Change::Adds)), run(Some(Change::TakesAway)));
        // A change costs at least its settle (5 s, at least two 3 s connect timeouts: 6 s) and a 10 s
        // window at request level; one that takes away, also its 30 s lead.
        assert!(adds >= none + 15.0, "a declared change was averaged over: {none} s vs {adds} s");
        assert!(
            takes >= adds + 29.0,
            "the lead before a change that takes away is missing: {adds} s vs {takes} s"
        );
    }
}
