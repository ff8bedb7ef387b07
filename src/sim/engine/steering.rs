//! Health checks, DNS answers and how clients follow them, and the standby deployments that a failover
//! wakes up.
//!
//! Health checks are not simulated check by check: each checker has a random phase, so when a region's
//! entry point goes down at t0 the time at which checker j has seen `threshold` consecutive failures is
//! known in closed form (its first check at or after t0, `threshold − 1` intervals, and the per-check
//! timeout), and the region flips when enough checkers have (Route 53's healthy-fraction rule). A
//! recovery before the flip cancels it. This is exact for the model and costs nothing between failures.
//!
//! Clients follow answers through their caches: each population keeps the last few answers it was
//! given (its *versions*), and a request whose client's cached answer is `S` old uses the version that
//! was current `S` ago. `S` is drawn per request (the TTL's uniform expiry, plus an extra staleness for
//! the share of clients whose resolvers ignore the TTL), so the share of clients on each version is
//! known in closed form ([`crate::model::routing::Steering::version_shares`]): time availability as users see it
//! and the fast-forward's routing shares use that closed form.

use std::collections::VecDeque;

use rand::RngExt;
use rand::rngs::Xoshiro256PlusPlus;

use super::{Engine, Event};
use crate::model::architecture::Model;
use crate::model::routing::{Answer, Follow};
use crate::model::time::SimTime;
use crate::sim::observation::{SteeringEvent, SteeringKind};
use crate::sim::streams::{Purpose, event_key, event_rng, event_uniform, stream};

/// How long an activated standby stays scaled up after traffic has left it [s]: a typical auto-scaling
/// cool-down, so clients with stale DNS answers still find capacity (an assumption, not a sourced figure).
pub const SCALE_IN_DELAY_S: f64 = 900.0;

/// Answer versions a population keeps. Older ones are folded into the oldest kept: the clients whose
/// caches are older than that use it (a few changes a day at most, so the fold almost never happens).
pub const MAX_ANSWER_VERSIONS: usize = 16;

/// One answer a population was given, and since when.
#[derive(Debug, Clone)]
pub(super) struct AnswerVersion {
    pub since: SimTime,
    /// Counts the population's answer changes: 0 for the first answer.
    pub number: u32,
    pub answer: Answer,
}

/// A population's routing answers: the current one last, with the ones before it that clients with
/// older caches still use.
#[derive(Debug, Clone)]
pub(super) struct PopAnswers {
    pub versions: VecDeque<AnswerVersion>,
}

impl PopAnswers {
    pub fn current(&self) -> &AnswerVersion {
        self.versions.back().expect("a population always has an answer")
    }

    /// Whether the answer ever changed (clients may then use an older one).
    pub fn changed(&self) -> bool {
        self.versions.len() > 1
    }

    /// When each kept version took effect [s], oldest first.
    pub fn since_s(&self) -> Vec<f64> {
        self.versions.iter().map(|v| v.since.as_secs_f64()).collect()
    }

    /// Whether any kept version can send clients to region `r`.
    pub fn may_reach(&self, r: usize) -> bool {
        self.versions.iter().any(|v| v.answer.contains(r))
    }

    /// The version a client whose cache is `staleness` old uses at `now`.
    fn at(&self, now: SimTime, staleness: SimTime) -> &AnswerVersion {
        let cached = SimTime(now.0.saturating_sub(staleness.0));
        if now.0 < staleness.0 {
            return &self.versions[0];
        }
        self.versions.iter().rev().find(|v| v.since <= cached).unwrap_or(&self.versions[0])
    }
}

pub(super) struct SteeringState {
    pub answers: Vec<PopAnswers>,
    /// Whether each region's entry point serves (what health checks probe).
    endpoint_up: Vec<bool>,
    /// What the health checks currently say.
    pub healthy: Vec<bool>,
    /// Bumped at every endpoint change: a pending flip with an older epoch is stale.
    epoch: Vec<u32>,
    /// Each region's checker phases in [0, interval) [s].
    phases: Vec<Vec<f64>>,
    /// Per population: the key of its per-request routing numbers.
    route_key: Vec<u64>,
    /// Per region: one recovery delay for all its standby deployments.
    activation_rng: Vec<Xoshiro256PlusPlus>,
}

impl SteeringState {
    pub fn new(model: &Model, seed: u64, replication: u32) -> SteeringState {
        let named = |purpose, name: &str| stream(seed, replication, purpose, name);
        let interval = model.steering.health.interval_s;
        let phases = model
            .regions
            .iter()
            .map(|r| {
                let mut rng = named(Purpose::HealthCheck, &r.name);
                (0..model.steering.health.checkers).map(|_| rng.random::<f64>() * interval).collect()
            })
            .collect();
        SteeringState {
            answers: Vec::new(),
            endpoint_up: vec![false; model.regions.len()],
            healthy: vec![false; model.regions.len()],
            epoch: vec![0; model.regions.len()],
            phases,
            route_key: model
                .populations
                .iter()
                .map(|p| event_key(seed, replication, Purpose::Routing, &p.name))
                .collect(),
            activation_rng: model.regions.iter().map(|r| named(Purpose::Activation, &r.name)).collect(),
        }
    }
}

/// How old the cached answer of request `index`'s client is (routing numbers keyed by `key`): uniform
/// over the TTL, plus, for the share of clients that ignore the TTL, an extra staleness.
/// [`Follow::moved_share`] is the CDF of this draw.
fn cache_staleness(follow: &Follow, key: u64, index: u64) -> SimTime {
    let u = |k| event_uniform(key, index, k);
    let s = match follow {
        Follow::Dns { ttl_s, violators_share, extra_staleness, .. } => {
            let mut stale = ttl_s * u(1);
            if u(2) < *violators_share {
                stale += extra_staleness.sample_s(&mut event_rng(key, index));
            }
            stale
        }
        Follow::Anycast { shift_s } => shift_s * u(1),
    };
    SimTime::from_secs_f64(s)
}

impl Engine<'_> {
    /// The state at t = 0: health checks agree with the endpoints (new checks start healthy only where
    /// something answers), and every population has its answer.
    pub(super) fn init_steering(&mut self) {
        for r in 0..self.model.regions.len() {
            let up = self.endpoint_serves(r);
            self.steer.endpoint_up[r] = up;
            self.steer.healthy[r] = up;
        }
        self.steer.answers = (0..self.model.populations.len())
            .map(|p| PopAnswers {
                versions: VecDeque::from([AnswerVersion {
                    since: SimTime::ZERO,
                    number: 0,
                    answer: self.answer_for(p),
                }]),
            })
            .collect();
    }

    pub(super) fn endpoint_serves(&self, r: usize) -> bool {
        let entry = self.model.request_path[0];
        self.model.services[entry].deployment_in[r].is_some_and(|d| self.deployments[d].serving > 0)
    }

    fn answer_for(&self, p: usize) -> Answer {
        let m = self.model;
        let pop = &m.populations[p];
        pop.routing.answer(pop.location, &m.entry_regions, &self.steer.healthy, &m.regions, &m.network)
    }

    /// The region the `index`-th request of population `p` goes to, and the number of the answer
    /// version its client used: the version current when the client's cache was filled. Its random
    /// numbers are stateless per request (see [`crate::sim::streams::event_uniform`]), so designs compared on
    /// one scenario stay aligned, and a population whose one answer never changed draws nothing.
    pub(super) fn choose_region(&mut self, p: usize, index: u64) -> (usize, u32) {
        let a = &self.steer.answers[p];
        let key = self.steer.route_key[p];
        let version = if a.changed() {
            a.at(self.now, cache_staleness(&self.model.steering.follow, key, index))
        } else {
            let v = a.current();
            if v.answer.choices.len() == 1 {
                return (v.answer.choices[0].0, v.number);
            }
            v
        };
        (version.answer.pick(event_uniform(key, index, 0)).unwrap_or(0), version.number)
    }

    /// After any change that may start or stop a region's entry point: schedule health-check flips.
    pub(super) fn refresh_endpoints(&mut self) {
        for r in 0..self.model.regions.len() {
            let up = self.endpoint_serves(r);
            if up == self.steer.endpoint_up[r] {
                continue;
            }
            self.steer.endpoint_up[r] = up;
            self.steer.epoch[r] = self.steer.epoch[r].wrapping_add(1);
            let epoch = self.steer.epoch[r];
            if !up {
                self.start_incident(r);
            }
            if up != self.steer.healthy[r] {
                let at = self.flip_time(r, !up);
                self.infra.schedule(at, Event::HealthFlip { region: r as u32, healthy: up, epoch });
            }
        }
    }

    /// When region `r`'s health checks flip after its endpoint changed now: the needed number of checkers
    /// must each see `threshold` consecutive results; failed checks take the per-check timeout.
    fn flip_time(&self, r: usize, failing: bool) -> SimTime {
        let h = &self.model.steering.health;
        let t0 = self.now.as_secs_f64();
        let mut flips: Vec<f64> = self.steer.phases[r]
            .iter()
            .map(|&phase| {
                let first = phase + ((t0 - phase) / h.interval_s).ceil().max(0.0) * h.interval_s;
                first + (h.threshold - 1) as f64 * h.interval_s + if failing { h.timeout_s } else { 0.0 }
            })
            .collect();
        flips.sort_by(f64::total_cmp);
        let needed = if failing { h.to_fail } else { h.to_recover } as usize;
        SimTime::from_secs_f64(flips[needed.clamp(1, flips.len()) - 1])
    }

    pub(super) fn on_health_flip(&mut self, r: usize, healthy: bool, epoch: u32) {
        if epoch != self.steer.epoch[r] {
            return;
        }
        self.steer.healthy[r] = healthy;
        let kind = if healthy { SteeringKind::Recovered } else { SteeringKind::Detection };
        self.record_steering(kind, format!("region:{}", self.model.regions[r].name));
        if !healthy {
            self.incident_detected(r);
            if self.steer.answers.iter().any(|a| a.current().answer.contains(r)) {
                self.begin_failover(r);
            }
        }
        let delay = match &self.model.steering.follow {
            Follow::Dns { propagation_s, .. } => *propagation_s,
            Follow::Anycast { .. } => 0.0,
        };
        self.infra.schedule(self.now.plus(SimTime::from_secs_f64(delay)), Event::Resteer);
    }

    /// Recomputes every population's answer from the health checks' view.
    pub(super) fn on_resteer(&mut self) {
        let new: Vec<Answer> = (0..self.model.populations.len()).map(|p| self.answer_for(p)).collect();
        if new.iter().zip(&self.steer.answers).any(|(n, a)| *n != a.current().answer) {
            // Time availability so far is integrated over the versions as they were.
            self.account_availability(self.now);
        }
        let mut switched = false;
        for (p, new) in new.into_iter().enumerate() {
            let a = &mut self.steer.answers[p];
            if new == a.current().answer {
                continue;
            }
            let left: Vec<usize> =
                a.current().answer.choices.iter().map(|(r, _)| *r).filter(|&r| !new.contains(r)).collect();
            let number = a.current().number + 1;
            a.versions.push_back(AnswerVersion { since: self.now, number, answer: new });
            if a.versions.len() > MAX_ANSWER_VERSIONS {
                a.versions.pop_front();
            }
            switched = true;
            for r in left {
                self.incident_dns_switched(r);
            }
        }
        if switched {
            self.record_steering(SteeringKind::DnsSwitch, "dns".to_string());
            self.refresh_population_availability();
        }
        // A woken standby that no answer uses any more goes back to its posture after a cool-down.
        let all_healthy = self.steer.healthy.iter().zip(&self.model.entry_regions).all(|(h, e)| *h || !*e);
        for d in 0..self.deployments.len() {
            let region = self.model.deployments[d].region;
            if self.deployments[d].activated
                && all_healthy
                && !self.steer.answers.iter().any(|a| a.current().answer.contains(region))
            {
                let epoch = self.deployments[d].epoch;
                let at = self.now.plus(SimTime::from_secs_f64(SCALE_IN_DELAY_S));
                self.infra.schedule(at, Event::ScaleIn { deployment: d as u32, epoch });
            }
        }
    }

    /// Health checks found region `failed` down while it served traffic: every standby deployment
    /// elsewhere starts scaling up (or waits for its region's control plane).
    fn begin_failover(&mut self, failed: usize) {
        for r in 0..self.model.regions.len() {
            if r == failed {
                continue;
            }
            let mut woken = false;
            for d in 0..self.deployments.len() {
                let dep = &self.model.deployments[d];
                if dep.region != r || dep.standby.activation().is_none() || self.deployments[d].activated {
                    continue;
                }
                let state = &mut self.deployments[d];
                state.activated = true;
                state.epoch = state.epoch.wrapping_add(1);
                state.awaiting_control_plane = self.control_plane_down[r] > 0;
                woken = true;
            }
            if woken && self.control_plane_down[r] == 0 {
                self.schedule_activation(r, false);
            }
        }
    }

    /// Starts the scale-up of every woken standby deployment of region `r` at once: a region recovers as
    /// one runbook, so one delay is drawn (from the first such deployment's distribution) for all of
    /// them, not one per tier (which would make recovery the latest of several draws).
    fn schedule_activation(&mut self, r: usize, only_awaiting: bool) {
        let waiting: Vec<usize> = (0..self.deployments.len())
            .filter(|&d| self.model.deployments[d].region == r && self.deployments[d].activated)
            .filter(|&d| !only_awaiting || self.deployments[d].awaiting_control_plane)
            .filter(|&d| self.deployments[d].provisioned < self.model.deployments[d].instances.len() as u32)
            .collect();
        let Some(delay) = waiting.first().and_then(|&d| self.model.deployments[d].standby.activation())
        else {
            return;
        };
        let at = self.now.plus(SimTime::from_secs_f64(delay.sample_s(&mut self.steer.activation_rng[r])));
        for d in waiting {
            self.deployments[d].awaiting_control_plane = false;
            let epoch = self.deployments[d].epoch;
            self.infra.schedule(at, Event::Activate { deployment: d as u32, epoch });
        }
    }

    /// A region's control plane is back: scale-ups that waited for it start now.
    pub(super) fn control_plane_back(&mut self, r: usize) {
        if (0..self.deployments.len())
            .any(|d| self.model.deployments[d].region == r && self.deployments[d].awaiting_control_plane)
        {
            self.schedule_activation(r, true);
        }
    }

    pub(super) fn on_activate(&mut self, d: usize, epoch: u32) {
        if epoch != self.deployments[d].epoch || !self.deployments[d].activated {
            return;
        }
        if self.control_plane_down[self.model.deployments[d].region] > 0 {
            self.deployments[d].awaiting_control_plane = true;
            return;
        }
        let fleet = self.model.deployments[d].instances.len() as u32;
        self.set_provisioned(d, fleet);
        let dep = &self.model.deployments[d];
        let subject =
            format!("{}@{}", self.model.services[dep.service].name, self.model.regions[dep.region].name);
        self.record_steering(SteeringKind::ScaleUp, subject);
    }

    pub(super) fn on_scale_in(&mut self, d: usize, epoch: u32) {
        let dep = &self.model.deployments[d];
        if epoch != self.deployments[d].epoch
            || !self.deployments[d].activated
            || self.steer.answers.iter().any(|a| a.current().answer.contains(dep.region))
        {
            return;
        }
        let state = &mut self.deployments[d];
        state.activated = false;
        state.awaiting_control_plane = false;
        state.epoch = state.epoch.wrapping_add(1);
        self.set_provisioned(d, dep.standby.initially_running(dep.instances.len() as u32));
        let subject =
            format!("{}@{}", self.model.services[dep.service].name, self.model.regions[dep.region].name);
        self.record_steering(SteeringKind::ScaleIn, subject);
    }

    pub(super) fn record_steering(&mut self, kind: SteeringKind, subject: String) {
        if self.now <= self.scenario.horizon {
            self.obs.timeline.steering.push(SteeringEvent { t_s: self.now.as_secs_f64(), kind, subject });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The closed form the fast-forward and time availability weigh clients by agrees with the
    /// per-request draw: at ages across the TTL and the violators' tail, the share of 200,000 requests
    /// whose cache is younger than the age is within 4 binomial standard errors of `moved_share`.
    #[test]
    fn moved_share_is_the_closed_form_of_the_per_request_draw() {
        let dns = Follow::dns_with_default_violators(60.0, 5.0);
        for follow in [dns, Follow::Anycast { shift_s: 30.0 }] {
            for age in [0.0, 10.0, 30.0, 59.0, 61.0, 120.0, 900.0, 3600.0, 86_400.0] {
                const N: u64 = 200_000;
                let moved = (0..N)
                    .filter(|&i| cache_staleness(&follow, 0xfeed, i) <= SimTime::from_secs_f64(age))
                    .count() as f64
                    / N as f64;
                let p = follow.moved_share(age);
                let tol = 4.0 * (p * (1.0 - p) / N as f64).sqrt() + 1e-6;
                assert!((moved - p).abs() <= tol, "{follow:?} at {age} s: drawn {moved}, closed form {p}");
            }
        }
    }

    /// With three versions, the share of requests that pick each one matches the closed form.
    #[test]
    fn version_shares_are_the_closed_form_of_the_per_request_pick() {
        let follow = Follow::dns_with_default_violators(60.0, 5.0);
        let steering = crate::model::routing::Steering {
            health: crate::model::routing::HealthCheck {
                interval_s: 30.0,
                threshold: 3,
                timeout_s: 4.0,
                checkers: 15,
                to_fail: 13,
                to_recover: 3,
            },
            moved: crate::model::routing::MovedIntegral::new(&follow, 1e6),
            follow: follow.clone(),
        };
        let versions = PopAnswers {
            versions: [0.0, 1000.0, 1100.0]
                .iter()
                .enumerate()
                .map(|(i, &s)| AnswerVersion {
                    since: SimTime::from_secs_f64(s),
                    number: i as u32,
                    answer: Answer::default(),
                })
                .collect(),
        };
        let now = SimTime::from_secs_f64(1150.0);
        const N: u64 = 200_000;
        let mut counts = [0u64; 3];
        for i in 0..N {
            counts[versions.at(now, cache_staleness(&follow, 7, i)).number as usize] += 1;
        }
        let shares: Vec<f64> = steering.version_shares(&versions.since_s(), 1150.0).collect();
        assert!((shares.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        for (c, p) in counts.iter().zip(&shares) {
            let drawn = *c as f64 / N as f64;
            assert!(
                (drawn - p).abs() <= 4.0 * (p * (1.0 - p) / N as f64).sqrt() + 1e-6,
                "{counts:?} {shares:?}"
            );
        }
    }
}
