//! Traffic: each population's arrivals (a Poisson process, thinned under a daily profile), kept as a
//! clock rather than events; the network crossing times of its requests; and the requests in flight,
//! in an arena.

use rand::RngExt;
use rand::rngs::Xoshiro256PlusPlus;

use super::arena::Arena;
use crate::model::architecture::Model;
use crate::model::scenario::Scenario;
use crate::model::time::SimTime;
use crate::sim::streams::{Purpose, stream};

pub(super) struct Traffic {
    /// When each population's next request leaves its client ([`SimTime::NEVER`]: none before the
    /// horizon, or arrivals stopped by the fast-forward).
    pub next_arrival: Vec<SimTime>,
    arrival_rng: Vec<Xoshiro256PlusPlus>,
    /// Requests each population has sent: the index of per-request random numbers.
    pub sent: Vec<u64>,
    network_rng: Vec<Xoshiro256PlusPlus>,
    /// Peak arrival rate of each population [1/s] (the thinning envelope), and its multiplier.
    peak_rate: Vec<f64>,
    peak_multiplier: f64,
    pub requests: Arena,
    /// A client gives up on a request this long after sending it.
    pub request_timeout: SimTime,
}

impl Traffic {
    pub fn new(model: &Model, scenario: &Scenario, seed: u64, replication: u32) -> Traffic {
        let named = |purpose, name: &str| stream(seed, replication, purpose, name);
        Traffic {
            next_arrival: vec![SimTime::NEVER; model.populations.len()],
            arrival_rng: model.populations.iter().map(|p| named(Purpose::Arrivals, &p.name)).collect(),
            sent: vec![0; model.populations.len()],
            network_rng: model.populations.iter().map(|p| named(Purpose::Network, &p.name)).collect(),
            peak_rate: scenario.rates_per_s.iter().map(|r| r * scenario.peak_multiplier()).collect(),
            peak_multiplier: scenario.peak_multiplier(),
            requests: Arena::default(),
            request_timeout: SimTime::from_secs_f64(model.network.request_timeout_s),
        }
    }

    /// Draws population `p`'s next arrival after `now`. Thinning (Lewis and Shedler): candidates at the
    /// peak rate, each kept with probability rate(t) / peak; without a daily profile every candidate is
    /// kept.
    pub fn schedule_arrival(&mut self, scenario: &Scenario, p: usize, now: SimTime) {
        let peak = self.peak_rate[p];
        if peak <= 0.0 {
            return;
        }
        let rng = &mut self.arrival_rng[p];
        let mut t = now;
        let profile = scenario.daily_profile.is_some();
        loop {
            let gap: f64 = rand_distr::Distribution::sample(&rand_distr::Exp1, rng);
            t = t.plus(SimTime::from_secs_f64(gap / peak));
            if t > scenario.horizon {
                self.next_arrival[p] = SimTime::NEVER;
                return;
            }
            if !profile {
                break;
            }
            let m = scenario.rate_multiplier(t) / self.peak_multiplier;
            if m >= 1.0 || rng.random::<f64>() < m {
                break;
            }
        }
        self.next_arrival[p] = t;
    }

    /// Stops every arrival (the fast-forward skips a steady stretch).
    pub fn stop_arrivals(&mut self) {
        self.next_arrival.fill(SimTime::NEVER);
    }

    /// The earliest next arrival and its population (lowest index on ties).
    #[inline]
    pub fn earliest_arrival(&self) -> Option<(SimTime, usize)> {
        let mut best: Option<(SimTime, usize)> = None;
        for (p, &t) in self.next_arrival.iter().enumerate() {
            if t < best.map_or(SimTime::NEVER, |b| b.0) {
                best = Some((t, p));
            }
        }
        best
    }

    /// One-way time of a crossing from location `a` to `b` for population `p` \[s\], jitter included.
    pub fn crossing_s(&mut self, model: &Model, p: usize, a: usize, b: usize) -> f64 {
        let net = &model.network;
        let jitter = match &net.jitter {
            Some(d) => d.sample_s(&mut self.network_rng[p]),
            None => 0.0,
        };
        net.rtt_s(a, b) / 2.0 + jitter
    }
}
