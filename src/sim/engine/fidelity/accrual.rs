//! What a skipped stretch stands for, accrued when it ends: each cell's requests and outcomes from its
//! window, the dependency calls the caches would have made, the incidents' recovery bins, the backups'
//! writes in flight, and the timeline's buckets (the module above explains the method).

use rand_distr::Distribution as _;

use super::{Phase, Skip, Source, expected_trips};
use crate::model::store::Replication;
use crate::model::time::SimTime;
use crate::sim::engine::Engine;
use crate::sim::engine::incident::Flows;
use crate::sim::observation::{Bucket, FailureCause, Slice};

impl Engine<'_> {
    /// The calls the instances' caches make over the skipped stretch `[from, until)`, in closed form: an
    /// instance receiving λ requests per second (its window's rate) calls a dependency whose copy is up
    /// λ/(1 + λT) times per second (docs/architecture.md#dependencies), added to the first
    /// population's cell of its region (only the total is reported).
    pub(super) fn accrue_dependency_calls(&mut self, skip: &Skip, from: SimTime, until: SimTime) {
        let model = self.model;
        let seconds = until.since(from.max(self.scenario.warmup)).as_secs_f64();
        if model.dependencies.is_empty() || seconds <= 0.0 {
            return;
        }
        let count = model.dependencies.len();
        for (i, inst) in model.instances.iter().enumerate() {
            let rate = skip.instance_rates[inst.deployment];
            if !self.fleet.up(i) {
                continue;
            }
            for &d in &model.services[inst.service].depends_on {
                let dep = &model.dependencies[d];
                if rate <= 0.0 || !self.faults.dependency_up(model, d, inst.region) {
                    continue;
                }
                let tally = &mut self.ff.tallies[inst.region];
                if tally.dependency_calls.is_empty() {
                    tally.dependency_calls = vec![0.0; count];
                }
                tally.dependency_calls[d] += rate / (1.0 + rate * dep.cache_ttl_s) * seconds;
            }
        }
    }

    /// Accounts the skipped stretch `[skip.accrued_to, until)`: each cell's expected outcomes and
    /// tallies, the current timeline bucket's flows, the open incidents' recovery bins.
    pub(super) fn accrue_skip(&mut self, skip: &mut Skip, until: SimTime) {
        let from = skip.accrued_to;
        if until <= from {
            return;
        }
        skip.accrued_to = until;
        self.accrue_dependency_calls(skip, from, until);
        let expected = self.expected_arrivals(from, until);
        let connect_timeout_s = self.model.network.connect_timeout_s;
        let mut flow = [0.0; 4]; // arrived, succeeded, latency sum [s], attempts
        for (i, (source, &n)) in skip.sources.iter().zip(&expected).enumerate() {
            if n <= 0.0 {
                continue;
            }
            let (slot, tally) = (&mut self.ff.outcomes[i], &mut self.ff.tallies[i]);
            flow[0] += n;
            match source {
                Source::Slice(w) => {
                    let k = n / w.counts.attempted() as f64;
                    slot[0] += w.counts.succeeded as f64 * k;
                    for (j, &f) in w.counts.failed.iter().enumerate() {
                        slot[1 + j] += f as f64 * k;
                    }
                    tally.add_scaled_per_request(&w.tally, k);
                    flow[3] += w.tally.attempts * k;
                    let population = &self.model.populations[i / self.model.regions.len()];
                    if let Some(policy) = &population.breaker
                        && w.tally.attempts > 0.0
                    {
                        let failing = 1.0 - w.counts.succeeded as f64 / w.tally.attempts;
                        let trips = expected_trips(policy, failing.clamp(0.0, 1.0), w.tally.attempts * k);
                        self.recorder.obs.breaker_trips_skipped += trips;
                    }
                    let ok = w.counts.succeeded as f64 * k;
                    skip.successes[i] += ok;
                    flow[1] += ok;
                    if w.latency.count() > 0 {
                        flow[2] += ok * w.latency.mean_ms() / 1e3;
                    }
                }
                Source::Unreachable => {
                    slot[1 + FailureCause::NoHealthyInstance as usize] += n;
                    // Time in system and whole sojourn: each waits out the connect timeout.
                    tally.in_system_s += n * connect_timeout_s;
                    tally.sojourn_s += n * connect_timeout_s;
                    // One attempt each: a skip over an unreachable stretch does not follow retries
                    // (each would fail at the connect timeout too).
                    tally.attempts += n;
                    flow[3] += n;
                }
            }
        }
        for (c, f) in self.ff.carry.iter_mut().zip(flow) {
            *c += f;
        }
        self.fill_skip_incidents(skip, from, until);
    }

    /// The recovery bins of open incidents get the skipped requests of their populations, bin by bin
    /// (the routing mix drifts within a stretch, so each bin gets its own expected counts). The counts
    /// are drawn, not expected: a Poisson number of requests per bin and a binomial number of
    /// successes among them, as simulating them one by one would give, since whether a sliding window
    /// reaches the recovery level depends on that noise, not only on the mean.
    ///
    /// The incidents are judged as the bins fill, every recovery window and hold's worth of them, as a
    /// run of timeline samples would judge them: a track closes once decided and watched, and a long
    /// skip stops filling bins nobody reads (a year's skip after a recovery spanned a 36-hour
    /// timeline bucket bin by bin: 116,593 bins, 8% of the replication; regression test
    /// `a_long_skip_after_a_recovery_stops_filling_its_bins`).
    pub(super) fn fill_skip_incidents(&mut self, skip: &Skip, from: SimTime, until: SimTime) {
        let mut tracks = self.recorder.incidents.open_request_tracks();
        if tracks.is_empty() {
            return;
        }
        let recovery = self.scenario.recovery;
        let bin = recovery.bin;
        let judge_every = recovery.window.plus(recovery.hold).max(bin);
        let timeout = self.traffic.request_timeout;
        let regions = self.model.regions.len();
        let mut t = from;
        let mut judge_at = from.plus(judge_every);
        let mut expected = Vec::new();
        while t < until {
            if t >= judge_at {
                // Everything sent before `t` is complete: the skip's requests are accounted up to it,
                // and the simulated ones were all sent before the skip, so a judge at `t` plus the
                // request timeout (never later than now) sees final bins.
                let now = t.plus(timeout).min(self.kernel.now);
                self.recorder.judge_incidents(self.model, self.scenario, &self.steering, now, timeout, false);
                tracks = self.recorder.incidents.open_request_tracks();
                if tracks.is_empty() {
                    return;
                }
                judge_at = t.plus(judge_every);
            }
            let next = SimTime((t.0 / bin.0 + 1) * bin.0).min(until);
            self.expected_arrivals_into(t, next, &mut expected);
            for &(r, p) in &tracks {
                let (mut attempts, mut successes) = (0.0, 0.0);
                for region in 0..regions {
                    let i = p * regions + region;
                    attempts += expected[i];
                    successes += expected[i] * skip.sources[i].success_share();
                }
                if attempts <= 0.0 {
                    continue;
                }
                let rng = &mut self.ff.noise_rng[p];
                let n = rand_distr::Poisson::new(attempts).map_or(attempts, |d| d.sample(rng)).round();
                let share = (successes / attempts).clamp(0.0, 1.0);
                let ok =
                    rand_distr::Binomial::new(n as u64, share).map_or(n * share, |d| d.sample(rng) as f64);
                let flow = Flows { attempts: n, successes: ok };
                self.recorder.incident_flows(r, p, t, next, bin, flow);
                self.ff.incident_bins_filled += 1;
            }
            t = next;
        }
    }

    /// Writes a backup store accepted during the stretch and has not yet copied at its end are in
    /// flight, as if they had been simulated one by one (one run from the later of the stretch's start
    /// and the last backup).
    pub(super) fn put_backups_in_flight(&mut self, from: SimTime, to: SimTime) {
        for (s, store) in self.model.stores.iter().enumerate() {
            let Replication::Backup { interval_s } = store.replication else { continue };
            let last_backup = (to.as_secs_f64() / interval_s).floor() * interval_s;
            let start = from.max(SimTime::from_secs_f64(last_backup));
            let apply = SimTime::from_secs_f64(last_backup + interval_s);
            if start >= to || store.copies.len() < 2 {
                continue;
            }
            for c in 0..store.copies.len() {
                let count = (self.ff.write_rate[s][c] * to.since(start).as_secs_f64()).round() as u64;
                if count > 0 {
                    let now = self.kernel.now;
                    self.stores.push_inflight_run(self.model, &self.faults, now, s, c, start, apply, count);
                }
            }
        }
    }

    /// Expected arrivals in `[from, to)` per cell (`p * regions + r`): each population's rate, split over
    /// its answer versions by the share of clients on each, then by each answer's weights.
    pub(super) fn expected_arrivals(&self, from: SimTime, to: SimTime) -> Vec<f64> {
        let mut expected = Vec::new();
        self.expected_arrivals_into(from, to, &mut expected);
        expected
    }

    /// [`Self::expected_arrivals`] into `expected` (cleared first): a skip's incident bins reuse one
    /// buffer for their thousands of calls.
    pub(super) fn expected_arrivals_into(&self, from: SimTime, to: SimTime, expected: &mut Vec<f64>) {
        let regions = self.model.regions.len();
        expected.clear();
        expected.resize(self.model.populations.len() * regions, 0.0);
        let (a, b) = (from.as_secs_f64(), to.as_secs_f64());
        let multiplier = self.scenario.rate_multiplier(from);
        for (p, answers) in self.steering.answers.iter().enumerate() {
            let rate = self.scenario.rates_per_s[p] * multiplier;
            if rate <= 0.0 || b <= a {
                continue;
            }
            let cells = &mut expected[p * regions..(p + 1) * regions];
            if !answers.changed() {
                for (r, share) in answers.current().answer.shares() {
                    cells[r] += rate * (b - a) * share;
                }
                continue;
            }
            let integrals = self.model.steering.version_integrals(&answers.since_s(), a, b);
            for (v, seconds) in answers.versions.iter().zip(integrals) {
                for (r, share) in v.answer.shares() {
                    cells[r] += rate * seconds * share;
                }
            }
        }
    }

    /// Where each cell's skipped requests take their statistics from: its own window slice, its
    /// region's (all populations) when the window saw none of the cell, the whole window's when the
    /// region serves but saw no request, or a connect timeout when it does not serve.
    pub(super) fn sources(&self, window: &[Slice]) -> Vec<Source> {
        let regions = self.model.regions.len();
        let mut pools = vec![Slice::default(); regions];
        let mut all = Slice::default();
        for (i, w) in window.iter().enumerate() {
            pools[i % regions].add(w);
            all.add(w);
        }
        (0..window.len())
            .map(|i| {
                let r = i % regions;
                if window[i].counts.attempted() > 0 {
                    Source::Slice(Box::new(window[i].clone()))
                } else if pools[r].counts.attempted() > 0 {
                    Source::Slice(Box::new(pools[r].clone()))
                } else if self.endpoint_serves(r) {
                    // It serves, but nobody reached it in the window (a standby few clients still
                    // reach): the window's requests as a whole stand in.
                    Source::Slice(Box::new(all.clone()))
                } else {
                    // No entry point up: requests time out connecting.
                    Source::Unreachable
                }
            })
            .collect()
    }

    /// The skipped part of the bucket ending now: a skip under way is accrued up to now, and the flows
    /// the skips stood for in this bucket join it (rounded, the remainder carried to the next bucket).
    pub(in crate::sim::engine) fn fill_bucket(&mut self, bucket: &mut Bucket) {
        match std::mem::replace(&mut self.ff.phase, Phase::Settling) {
            Phase::Skipping(mut skip) => {
                let until = self.kernel.now.min(self.scenario.horizon);
                self.accrue_skip(&mut skip, until);
                bucket.in_region.clone_from(&skip.in_region);
                bucket.queued_in_region.clone_from(&skip.queued_in_region);
                self.ff.phase = Phase::Skipping(skip);
            }
            other => self.ff.phase = other,
        }
        let [arrived, succeeded, latency_s, attempts] = self.ff.carry;
        let (a, s, n) = (arrived.round().max(0.0), succeeded.round().max(0.0), attempts.round().max(0.0));
        bucket.arrived += a as u64;
        bucket.finished += a as u64;
        bucket.succeeded += s as u64;
        bucket.latency_sum_s += latency_s;
        bucket.attempts += n as u64;
        self.ff.carry = [arrived - a, succeeded - s, 0.0, attempts - n];
    }
}
