//! The journey of a request: it leaves its client (arrivals are a Poisson process, thinned under a
//! daily profile), is routed to a region, crosses the network, passes each service of the path (the
//! balancers and queues are in `service`), reaches the store (`data`), and its outcome is recorded in
//! its (population, entry region) cell.

use rand::RngExt;

use super::arena::{ReqId, Request};
use super::{Engine, Event, SimError};
use crate::model::time::SimTime;
use crate::sim::observation::{FailureCause, Tally};

impl Engine<'_> {
    pub(super) fn schedule_arrival(&mut self, p: usize) {
        let peak = self.peak_rate[p];
        if peak <= 0.0 {
            return;
        }
        let rng = &mut self.arrival_rng[p];
        let mut t = self.now;
        // Thinning (Lewis and Shedler): candidates at the peak rate, each kept with probability
        // rate(t) / peak. Without a daily profile every candidate is kept.
        let profile = self.scenario.daily_profile.is_some();
        loop {
            let gap: f64 = rand_distr::Distribution::sample(&rand_distr::Exp1, rng);
            t = t.plus(SimTime::from_secs_f64(gap / peak));
            if t > self.scenario.horizon {
                self.next_arrival[p] = SimTime::NEVER;
                return;
            }
            if !profile {
                break;
            }
            let m = self.scenario.rate_multiplier(t) / self.peak_multiplier;
            if m >= 1.0 || rng.random::<f64>() < m {
                break;
            }
        }
        self.next_arrival[p] = t;
    }

    pub(super) fn on_arrival(&mut self, p: usize) -> Result<(), SimError> {
        self.schedule_arrival(p);
        let model = self.model;
        let index = self.arrivals[p];
        self.arrivals[p] += 1;
        let (region, version) = self.choose_region(p, index);
        let (write, key) =
            if model.path_store.is_some() { self.data.draw_operation(p, index) } else { (false, 0) };
        let counted = self.now >= self.scenario.warmup;
        self.current_bucket.arrived += 1;
        if counted {
            self.obs.arrivals_in_window += 1;
        }
        let one_way = self.crossing_s(p, model.populations[p].location, model.regions[region].location);
        let req = self.requests.insert(Request {
            population: p as u32,
            entry_region: region as u32,
            region: region as u32,
            step: 0,
            write,
            crossed: false,
            key,
            start: self.now,
            back: SimTime::from_secs_f64(one_way),
            counted,
            version,
        });
        self.reach_after(SimTime::from_secs_f64(one_way), req)
    }

    /// One-way time of a crossing from location `a` to `b` for population `p` [s], jitter included.
    pub(super) fn crossing_s(&mut self, p: usize, a: usize, b: usize) -> f64 {
        let net = &self.model.network;
        let jitter = match &net.jitter {
            Some(d) => d.sample_s(&mut self.network_rng[p]),
            None => 0.0,
        };
        net.rtt_s(a, b) / 2.0 + jitter
    }

    /// Delivers `req` to its current step's load balancer after `delay`: at once when the delay is zero
    /// (co-located clients and services), saving an event per crossing on the hot path.
    pub(super) fn reach_after(&mut self, delay: SimTime, req: ReqId) -> Result<(), SimError> {
        if delay == SimTime::ZERO {
            self.on_reach(req)
        } else if self.model.network.jitter.is_none() {
            // Fixed crossing times: a first-in first-out lane per delay (see `transit`).
            self.transit.send(self.now, delay, req);
            Ok(())
        } else {
            self.queue.schedule(self.now.plus(delay), Event::Reach { req });
            Ok(())
        }
    }

    pub(super) fn on_reach(&mut self, req: ReqId) -> Result<(), SimError> {
        let r = *self.requests.get(req);
        if self.now.since(r.start) > self.request_timeout {
            // The caller has given up (deadlines propagate along the path): not served.
            self.finish(req, Err(FailureCause::Timeout));
            return Ok(());
        }
        let service = self.model.request_path[r.step as usize];
        let Some(d) = self.model.services[service].deployment_in[r.region as usize] else {
            // Validation guarantees a deployment for every step's region.
            self.finish(req, Err(FailureCause::NoHealthyInstance));
            return Ok(());
        };
        match self.pick_instance(d) {
            None => {
                // Nothing answers: the client gives up after its connect timeout, whatever happens
                // meanwhile, so the outcome is known now and needs no event.
                let timeout = SimTime::from_secs_f64(self.model.network.connect_timeout_s);
                self.finish_at(req, self.now.plus(timeout), Err(FailureCause::NoHealthyInstance));
                Ok(())
            }
            Some(i) => self.enqueue(i, req, r.start.plus(self.request_timeout)),
        }
    }

    /// Moves a request to the next service of its path, to the store, or completes it.
    pub(super) fn advance(&mut self, req: ReqId) -> Result<(), SimError> {
        let model = self.model;
        let r = *self.requests.get(req);
        let next = r.step as usize + 1;
        let from = r.region as usize;
        if next == model.request_path.len() {
            let outcome = match model.path_store {
                None => Ok(SimTime::ZERO),
                Some(store) => self.store_operation(req, store, from),
            };
            match outcome {
                Ok(extra) => {
                    let r = *self.requests.get(req);
                    let done = self.now.plus(extra).plus(r.back);
                    self.finish_at(req, done, Ok(()));
                }
                Err(cause) => self.finish(req, Err(cause)),
            }
            return Ok(());
        }
        let Some(to) = model.step_region[from][next] else {
            self.finish(req, Err(FailureCause::NoHealthyInstance));
            return Ok(());
        };
        let one_way = if to == from {
            model.network.hop_rtt_s / 2.0
        } else {
            if self.link_is_down(from, to) {
                self.finish(req, Err(FailureCause::Partition));
                return Ok(());
            }
            self.charge_crossing(req, from, to);
            self.crossing_s(r.population as usize, model.regions[from].location, model.regions[to].location)
        };
        let delay = SimTime::from_secs_f64(one_way);
        let slot = self.requests.get_mut(req);
        slot.step = next as u8;
        slot.region = to as u32;
        slot.back = slot.back.plus(delay);
        self.reach_after(delay, req)
    }

    /// A counted request's call from region `a` to region `b` and its response: the bytes each way.
    pub(super) fn charge_crossing(&mut self, req: ReqId, a: usize, b: usize) {
        let r = self.requests.get_mut(req);
        r.crossed = true;
        if !r.counted {
            return;
        }
        let (up, down) = (self.model.request_bytes as f64, self.model.response_bytes as f64);
        let regions = self.model.regions.len();
        let r = *r;
        self.add_tally(&r, |t| {
            t.add_transfer(regions, a, b, up);
            t.add_transfer(regions, b, a, down);
        });
    }

    /// Adds to the tallies of request `r`'s cell (population, entry region), and to the open sampled
    /// window's copy of that cell, if a window is open (see `fast_forward`).
    pub(super) fn add_tally(&mut self, r: &Request, mut f: impl FnMut(&mut Tally)) {
        let cell = r.population as usize * self.model.regions.len() + r.entry_region as usize;
        f(&mut self.obs.per_cell[cell].tally);
        if let Some(window) = self.ff.window_cells() {
            f(&mut window[cell].tally);
        }
    }

    pub(super) fn link_is_down(&self, a: usize, b: usize) -> bool {
        if a == b {
            return false;
        }
        let (a, b) = (a.min(b), a.max(b));
        self.link_down[a * self.model.regions.len() + b] > 0
    }

    pub(super) fn finish(&mut self, req: ReqId, outcome: Result<(), FailureCause>) {
        self.finish_at(req, self.now, outcome);
    }

    /// Records a request's outcome as seen by its client at `at`, and frees it. An outcome later than
    /// the client's request timeout is a timeout, seen at the deadline.
    pub(super) fn finish_at(&mut self, req: ReqId, at: SimTime, outcome: Result<(), FailureCause>) {
        let r = self.requests.remove(req);
        let deadline = r.start.plus(self.request_timeout);
        let (at, outcome) =
            if at > deadline { (deadline, Err(FailureCause::Timeout)) } else { (at, outcome) };
        self.record_outcome(&r, at, outcome);
    }

    /// The one place a request's outcome is counted: its cell (and the open window's), the timeline,
    /// the incidents it belongs to, Little's law's tallies.
    pub(super) fn record_outcome(&mut self, r: &Request, at: SimTime, outcome: Result<(), FailureCause>) {
        let (warmup, horizon) = (self.scenario.warmup, self.scenario.horizon);
        // ∫N(t)dt over the window: each request adds the part of its stay inside the window.
        let (a, b) = (r.start.max(warmup), at.min(horizon));
        if b > a {
            let inside = b.since(a).as_secs_f64();
            self.add_tally(r, |t| t.in_system_s += inside);
        }
        if at <= horizon {
            self.current_bucket.finished += 1;
            if outcome.is_ok() {
                self.current_bucket.succeeded += 1;
                self.current_bucket.latency_sum_s += at.since(r.start).as_secs_f64();
            }
        }
        if self.incidents.open > 0 {
            let bin = self.scenario.recovery.bin;
            self.incidents.note_outcome(r.population as usize, r.start, r.version, outcome.is_ok(), at, bin);
        }
        if !r.counted {
            return;
        }
        self.obs.outcomes_simulated += 1;
        let (p, region) = (r.population as usize, r.entry_region as usize);
        let cell = p * self.model.regions.len() + region;
        let latency_s = at.since(r.start).as_secs_f64();
        let egress = self.model.response_bytes as f64;
        let record = |slice: &mut crate::sim::observation::Slice| {
            slice.tally.sojourn_s += latency_s;
            match outcome {
                Ok(()) => {
                    slice.counts.succeeded += 1;
                    slice.latency.record_s(latency_s);
                    slice.tally.cross_region += f64::from(u8::from(r.crossed));
                    slice.tally.egress_bytes += egress;
                }
                Err(cause) => slice.counts.failed[cause as usize] += 1,
            }
        };
        record(&mut self.obs.per_cell[cell]);
        if let Some(window) = self.ff.window_cells() {
            record(&mut window[cell]);
        }
    }
}
