//! Steering: health checks of each region's entry point, the DNS (or anycast) answers they lead to, and
//! how clients follow those answers.
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

use super::event::{Event, SteeringEvent};
use super::kernel::{Change, Kernel};
use crate::model::architecture::Model;
use crate::model::routing::{Answer, Follow};
use crate::model::time::SimTime;
use crate::sim::streams::{Purpose, event_key, event_rng, event_uniform, stream};

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

    /// When each kept version took effect \[s\], oldest first.
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

pub(super) struct Steering {
    pub answers: Vec<PopAnswers>,
    /// Whether each region's entry point serves (what health checks probe).
    endpoint_up: Vec<bool>,
    /// What the health checks currently say.
    pub healthy: Vec<bool>,
    /// Bumped at every endpoint change: a pending flip with an older epoch is stale.
    epoch: Vec<u32>,
    /// Each region's checker phases in [0, interval) \[s\].
    phases: Vec<Vec<f64>>,
    /// Per population: the key of its per-request routing numbers.
    route_key: Vec<u64>,
}

/// What a health-check flip did.
pub(super) enum Flip {
    /// Superseded by a later change of the endpoint.
    Stale,
    /// The checks now say `healthy`; `serving_traffic`: some population's answer points at the region.
    Flipped { healthy: bool, serving_traffic: bool },
}

impl Steering {
    pub fn new(model: &Model, seed: u64, replication: u32) -> Steering {
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
        Steering {
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

impl Steering {
    /// The state at t = 0, given which regions' entry points serve: health checks agree with them
    /// (new checks start healthy only where something answers), and every population has its answer.
    pub fn init(&mut self, model: &Model, endpoint_up: &[bool]) {
        for (r, &up) in endpoint_up.iter().enumerate() {
            self.endpoint_up[r] = up;
            self.healthy[r] = up;
        }
        self.answers = (0..model.populations.len())
            .map(|p| PopAnswers {
                versions: VecDeque::from([AnswerVersion {
                    since: SimTime::ZERO,
                    number: 0,
                    answer: self.answer_for(model, p),
                }]),
            })
            .collect();
    }

    fn answer_for(&self, m: &Model, p: usize) -> Answer {
        let pop = &m.populations[p];
        pop.routing.answer(pop.location, &m.entry_regions, &self.healthy, &m.regions, &m.network)
    }

    /// The region the `index`-th request of population `p` goes to, and the number of the answer
    /// version its client used: the version current when the client's cache was filled. Its random
    /// numbers are stateless per request (see [`crate::sim::streams::event_uniform`]), so designs
    /// compared on one scenario stay aligned, and a population whose one answer never changed draws
    /// nothing.
    pub fn choose_region(&self, model: &Model, p: usize, index: u64, now: SimTime) -> (usize, u32) {
        let a = &self.answers[p];
        let key = self.route_key[p];
        let version = if a.changed() {
            a.at(now, cache_staleness(&model.steering.follow, key, index))
        } else {
            let v = a.current();
            if v.answer.choices.len() == 1 {
                return (v.answer.choices[0].0, v.number);
            }
            v
        };
        (version.answer.pick(event_uniform(key, index, 0)).unwrap_or(0), version.number)
    }

    /// [`Self::choose_region`] while the DNS layer may be down (`dns_down_since`, docs/architecture.md#dns-layer):
    /// `None` when the client of request `index` cannot resolve. A client whose cached answer is `S`
    /// old filled its cache at `now − S`; if that is at or after the outage began (`S ≤ now − t0`) its
    /// last resolution would have been during the outage, so it has no valid answer, unless its resolver
    /// serves stale (RFC 8767; the population's `serve_stale_share`, drawn per request), and then it keeps
    /// the answer current when the outage began. Any other client uses its cached answer as always.
    pub fn resolve(
        &self,
        model: &Model,
        p: usize,
        index: u64,
        now: SimTime,
        dns_down_since: Option<SimTime>,
    ) -> Option<(usize, u32)> {
        let Some(t0) = dns_down_since else {
            return Some(self.choose_region(model, p, index, now));
        };
        let key = self.route_key[p];
        let age = cache_staleness(&model.steering.follow, key, index);
        let down_for = now.since(t0);
        if age > down_for {
            return Some(self.choose_region(model, p, index, now));
        }
        if event_uniform(key, index, 3) >= model.populations[p].serve_stale_share {
            return None;
        }
        let a = &self.answers[p];
        let version = a.at(now, down_for);
        Some((version.answer.pick(event_uniform(key, index, 0)).unwrap_or(0), version.number))
    }

    /// Whether some population's current answer points at region `r`.
    pub fn routed_to(&self, r: usize) -> bool {
        self.answers.iter().any(|a| a.current().answer.contains(r))
    }

    /// Whether every region running the entry service passes its health checks.
    pub fn all_healthy(&self, model: &Model) -> bool {
        self.healthy.iter().zip(&model.entry_regions).all(|(h, e)| *h || !*e)
    }

    /// After any change that may start or stop a region's entry point (`endpoint_up[r]` now): schedules
    /// health-check flips. Returns the regions whose entry point just stopped serving.
    pub fn refresh_endpoints(
        &mut self,
        model: &Model,
        kernel: &mut Kernel,
        endpoint_up: &[bool],
    ) -> Vec<usize> {
        let mut stopped = Vec::new();
        for (r, &up) in endpoint_up.iter().enumerate() {
            if up == self.endpoint_up[r] {
                continue;
            }
            self.endpoint_up[r] = up;
            self.epoch[r] = self.epoch[r].wrapping_add(1);
            let epoch = self.epoch[r];
            if !up {
                stopped.push(r);
            }
            if up != self.healthy[r] {
                let at = self.flip_time(model, kernel.now, r, !up);
                let flip =
                    Event::Steering(SteeringEvent::HealthFlip { region: r as u32, healthy: up, epoch });
                kernel.schedule_change(at, flip, Change::Steers);
            }
        }
        stopped
    }

    /// When region `r`'s health checks flip after its endpoint changed at `now`: the needed number of
    /// checkers must each see `threshold` consecutive results; failed checks take the per-check timeout.
    fn flip_time(&self, model: &Model, now: SimTime, r: usize, failing: bool) -> SimTime {
        let h = &model.steering.health;
        let t0 = now.as_secs_f64();
        let mut flips: Vec<f64> = self.phases[r]
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

    /// Region `r`'s health checks flip (unless superseded).
    pub fn health_flip(&mut self, r: usize, healthy: bool, epoch: u32) -> Flip {
        if epoch != self.epoch[r] {
            return Flip::Stale;
        }
        self.healthy[r] = healthy;
        Flip::Flipped { healthy, serving_traffic: self.routed_to(r) }
    }

    /// Schedules the answers' recomputation after a flip: DNS propagates; anycast follows at once.
    pub fn schedule_resteer(&self, model: &Model, kernel: &mut Kernel) {
        let delay = match &model.steering.follow {
            Follow::Dns { propagation_s, .. } => *propagation_s,
            Follow::Anycast { .. } => 0.0,
        };
        let at = kernel.now.plus(SimTime::from_secs_f64(delay));
        kernel.schedule_change(at, Event::Steering(SteeringEvent::Resteer), Change::Steers);
    }

    /// The answers the health checks' view gives now, per population, and whether any differs.
    pub fn new_answers(&self, model: &Model) -> (Vec<Answer>, bool) {
        let new: Vec<Answer> = (0..model.populations.len()).map(|p| self.answer_for(model, p)).collect();
        let differ = new.iter().zip(&self.answers).any(|(n, a)| *n != a.current().answer);
        (new, differ)
    }

    /// Adopts `new` answers at `now`: each population whose answer changed gains a version. Returns,
    /// per region, how many populations' answers left it (in population order), for the incidents.
    pub fn adopt(&mut self, new: Vec<Answer>, now: SimTime) -> Vec<usize> {
        let mut left_regions = Vec::new();
        for (p, new) in new.into_iter().enumerate() {
            let a = &mut self.answers[p];
            if new == a.current().answer {
                continue;
            }
            let left: Vec<usize> =
                a.current().answer.choices.iter().map(|(r, _)| *r).filter(|&r| !new.contains(r)).collect();
            let number = a.current().number + 1;
            a.versions.push_back(AnswerVersion { since: now, number, answer: new });
            if a.versions.len() > MAX_ANSWER_VERSIONS {
                a.versions.pop_front();
            }
            left_regions.extend(left);
        }
        left_regions
    }

    /// The latest answer change of any population, if any changed.
    pub fn last_change(&self) -> Option<SimTime> {
        self.answers.iter().filter(|a| a.changed()).map(|a| a.current().since).max()
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

    /// While the DNS layer is down since t0, the share of requests whose client cannot resolve is
    /// (1 − σ)·F(t − t0), F the closed-form CDF of the cache age (`moved_share`) and σ the serve-stale
    /// share: at ages across the TTL and the violators' tail, within 4 binomial standard errors of
    /// 200,000 requests. Those served stale use the answer current at t0 (version 1 here, adopted before
    /// it; version 2, adopted during the outage, is used by no one), and the layer up resolves everyone.
    #[test]
    fn the_share_that_cannot_resolve_is_the_closed_form_of_the_cache_age() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let adjust = crate::model::study::Adjustments::default();
        let file = root.join("models/single-region.ron");
        let mut model =
            crate::model::study::load_model(&file, &adjust).expect("the shipped model loads").model;
        model.steering.follow = Follow::dns_with_default_violators(60.0, 5.0);
        let sigma = 0.3;
        model.populations[0].serve_stale_share = sigma;
        let mut steering = Steering::new(&model, 7, 0);
        steering.init(&model, &vec![true; model.regions.len()]);
        let answer = steering.answers[0].current().answer.clone();
        let version = |number: u32, since: f64| AnswerVersion {
            since: SimTime::from_secs_f64(since),
            number,
            answer: answer.clone(),
        };
        steering.answers[0].versions.extend([version(1, 500.0), version(2, 1010.0)]);
        let t0 = SimTime::from_secs_f64(1000.0);
        const N: u64 = 200_000;
        for age in [5.0, 30.0, 59.0, 120.0, 900.0, 3600.0] {
            let now = t0.plus(SimTime::from_secs_f64(age));
            let (mut failed, mut stale_on_2) = (0u64, 0u64);
            for i in 0..N {
                match steering.resolve(&model, 0, i, now, Some(t0)) {
                    None => failed += 1,
                    Some((_, 2)) => stale_on_2 += 1,
                    Some(_) => {}
                }
                assert!(steering.resolve(&model, 0, i, now, None).is_some());
            }
            let p = (1.0 - sigma) * model.steering.follow.moved_share(age);
            let drawn = failed as f64 / N as f64;
            let tol = 4.0 * (p * (1.0 - p) / N as f64).sqrt() + 1e-6;
            assert!((drawn - p).abs() <= tol, "at {age} s: drawn {drawn}, closed form {p}");
            assert_eq!(stale_on_2, 0, "no client resolved the answer adopted during the outage");
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
