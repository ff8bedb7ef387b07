//! Fast-forward of steady states (DESIGN.md decision 7, `fidelity: Sampled(...)` in a scenario).
//!
//! Infrastructure is always simulated over the whole horizon. Requests are simulated at full fidelity
//! after every infrastructure change until the system settles, then for a sampled window; if the
//! window was steady (the requests in the system did not grow or shrink), arrivals stop until a lead
//! before the next known change (or the horizon), and the skipped stretch is accounted for with the
//! window's statistics:
//!
//! - each (population, entry region) cell gets the requests it would have received, in closed form:
//!   the population's rate times the stretch, split between the current and the previous DNS answer
//!   by [`Follow::moved_share`] integrated over the stretch, then by each answer's weights;
//! - each cell's outcomes (successes, failures by cause) and latency distribution are the window's
//!   for that cell, scaled to those requests; a cell the window did not see borrows its region's
//!   (or, for a region whose entry point is down, fails like a connect timeout);
//! - so are its per-request tallies (time in system, reads, writes, stale reads, lost updates,
//!   cross-region requests, transfer, egress and store-write dollars);
//! - the timeline's buckets get the window's per-second flows, and writes a backup would still hold at
//!   the end of the stretch are put in flight, so a failure after it loses them.
//!
//! Weighting by requests keeps the estimate unbiased when the routing mix drifts (stale DNS clients
//! leave slowly). Expected counts are kept as fractions and rounded once, at the end of the run.

use super::{Engine, Event};
use crate::fidelity::{Fidelity, Sampling};
use crate::model::Model;
use crate::observation::{Bucket, FailureCause, Slice, Tally};
use crate::routing::Follow;
use crate::scenario::Scenario;
use crate::store::Replication;
use crate::time::SimTime;

/// How many requests the system may gain or lose over a window and still count as steady: this many,
/// or 1% of the window's arrivals, whichever is larger (a stable queue wanders by about its square
/// root; an overloaded one grows by (λ − capacity) × window).
const STEADY_DRIFT_REQUESTS: f64 = 20.0;
const STEADY_DRIFT_SHARE: f64 = 0.01;
/// Cells per unit of ln(1 + age) of the tabulated integral of the moved share ([`MovedIntegral`]):
/// the share is smooth in log-age, so 48 per unit (about 2% of the age per cell) are ample.
const ROUTING_POINTS_PER_LOG_UNIT: f64 = 48.0;

/// The timeline's flows: requests that arrived, finished and succeeded, and the latency sum.
#[derive(Debug, Clone, Copy, Default)]
struct Flow {
    arrived: f64,
    finished: f64,
    succeeded: f64,
    latency_sum_s: f64,
}

/// What the engine looked like when a window opened.
struct WindowStart {
    at: SimTime,
    in_system: usize,
    /// Writes accepted so far per store and copy.
    accepted: Vec<Vec<u64>>,
    /// The run's per-cell slices, set aside while the window's own fill in.
    cells: Vec<Slice>,
}

/// Where a cell's skipped requests take their statistics from.
enum Source {
    /// A window slice: the cell's own, or its region's.
    Slice(Box<Slice>),
    /// Served, but not measured in the window.
    Served,
    /// No entry point up in the region: requests time out connecting.
    Unreachable,
}

enum Phase {
    /// Full fidelity; the window opens at `due` (never, until the next change, after a refused skip).
    Settling,
    Window(Box<WindowStart>),
    /// No arrivals until `due`.
    Skipping,
}

/// A skipped stretch, for the timeline: the flows and the occupancy it stands for.
struct Skip {
    from: SimTime,
    to: SimTime,
    /// Per bucket it overlaps (by the bucket's end), the flows it stands for.
    flows: Vec<(SimTime, Flow)>,
    in_region: Vec<u32>,
    queued_in_region: Vec<u32>,
}

pub(super) struct FastForward {
    sampling: Option<Sampling>,
    /// How long clients take to follow a DNS change (the TTL, or anycast's shift) [time].
    follow: SimTime,
    /// Full fidelity before each known change: the scenario's lead, at least 20 mean replication lags.
    lead: SimTime,
    phase: Phase,
    /// When the current phase's next step is due.
    pub due: SimTime,
    /// Per cell: expected successes and failures by cause added by skips, rounded at the end.
    outcomes: Vec<[f64; 1 + FailureCause::ALL.len()]>,
    /// Per cell: the skipped requests' tallies.
    tallies: Vec<[f64; Tally::FIELDS]>,
    skips: Vec<Skip>,
    /// Writes a backup store would hold at the end of a skip: per store and copy, writes per second.
    write_rate: Vec<Vec<f64>>,
    skipped: SimTime,
    /// The integral of the share of clients that followed a DNS change, by age (sampled only).
    moved: Option<MovedIntegral>,
}

impl FastForward {
    pub fn new(model: &Model, scenario: &Scenario) -> FastForward {
        let sampling = match scenario.fidelity {
            Fidelity::Full => None,
            Fidelity::Sampled(s) => Some(s),
        };
        let follow_s = match &model.steering.follow {
            Follow::Dns { ttl_s, propagation_s, .. } => ttl_s + propagation_s,
            Follow::Anycast { shift_s } => *shift_s,
        };
        let longest_lag_s = model
            .stores
            .iter()
            .filter_map(|s| match &s.replication {
                Replication::Async { lag } | Replication::Sync { degrade_lag: Some(lag) } => {
                    Some(lag.mean_s())
                }
                _ => None,
            })
            .fold(0.0, f64::max);
        let lead =
            sampling.map_or(SimTime::ZERO, |s| s.lead.max(SimTime::from_secs_f64(20.0 * longest_lag_s)));
        FastForward {
            sampling,
            follow: SimTime::from_secs_f64(follow_s),
            lead,
            phase: Phase::Settling,
            due: sampling.map_or(SimTime::NEVER, |s| scenario.warmup.max(s.settle)),
            outcomes: vec![[0.0; 1 + FailureCause::ALL.len()]; model.populations.len() * model.regions.len()],
            tallies: vec![[0.0; Tally::FIELDS]; model.populations.len() * model.regions.len()],
            skips: Vec::new(),
            write_rate: model.stores.iter().map(|s| vec![0.0; s.copies.len()]).collect(),
            skipped: SimTime::ZERO,
            moved: sampling
                .map(|_| MovedIntegral::new(&model.steering.follow, scenario.horizon.as_secs_f64())),
        }
    }

    pub fn is_sampled(&self) -> bool {
        self.sampling.is_some()
    }
}

impl Engine<'_> {
    /// Something in the infrastructure changed (or the traffic's hourly rate did): back to full
    /// fidelity, and a window once things have settled.
    pub(super) fn note_change(&mut self) {
        let Some(sampling) = self.ff.sampling else { return };
        match std::mem::replace(&mut self.ff.phase, Phase::Settling) {
            Phase::Window(start) => {
                // The window saw a change: its requests count as they are, and it opens again later.
                self.end_window(start.cells);
            }
            Phase::Skipping => self.resume_arrivals(),
            Phase::Settling => {}
        }
        let dns_changed = self.steer.answers.iter().filter(|a| a.changed).map(|a| a.changed_at).max();
        let settle = sampling.settle.max(SimTime::from_secs_f64(2.0 * self.model.network.connect_timeout_s));
        let mut due = self.now.plus(settle);
        if let Some(at) = dns_changed {
            // Queues follow their load within a fraction of a second: once the clients that follow
            // the change have moved, only the stragglers' slow drift is left, which the windows'
            // per-cell weights take in closed form.
            due = due.max(at.plus(self.ff.follow));
        }
        self.ff.due = due.max(self.scenario.warmup);
    }

    /// The fast-forward's next step is due now.
    pub(super) fn on_fast_forward(&mut self) {
        self.ff.due = SimTime::NEVER;
        match std::mem::replace(&mut self.ff.phase, Phase::Settling) {
            Phase::Settling => self.open_window(),
            Phase::Window(start) => self.close_window(*start),
            Phase::Skipping => self.resume_arrivals(),
        }
    }

    fn open_window(&mut self) {
        let Some(sampling) = self.ff.sampling else { return };
        if self.now >= self.scenario.horizon {
            return;
        }
        let cells = vec![Slice::default(); self.obs.per_cell.len()];
        let start = WindowStart {
            at: self.now,
            in_system: self.requests.live(),
            accepted: self.data.accepted_writes(),
            cells: std::mem::replace(&mut self.obs.per_cell, cells),
        };
        self.ff.phase = Phase::Window(Box::new(start));
        self.ff.due = self.now.plus(sampling.window);
    }

    fn close_window(&mut self, start: WindowStart) {
        let window = self.end_window(start.cells);
        let Some(sampling) = self.ff.sampling else { return };
        let length = self.now.since(start.at).as_secs_f64();
        let arrivals: u64 = window.iter().map(|w| w.counts.attempted).sum();
        let arrivals = arrivals as f64;
        let drift = (self.requests.live() as f64 - start.in_system as f64).abs();
        // A promotion under way is steady too (writes fail until it completes); its completion is a
        // known change with a lead.
        let steady = drift <= STEADY_DRIFT_REQUESTS.max(STEADY_DRIFT_SHARE * arrivals)
            && !self.link_down.iter().any(|&d| d > 0);
        if !steady {
            // Still moving: sample another window straight away.
            self.open_window();
            return;
        }
        let (next_change, lead) = self.next_change();
        let resume = if next_change >= self.scenario.horizon {
            self.scenario.horizon
        } else {
            SimTime(next_change.0.saturating_sub(lead.0))
        };
        if resume <= self.now.plus(sampling.window) {
            return; // too short to be worth it: full fidelity until the change
        }
        let (from, to) = (self.now, resume);
        let stretch_s = to.since(from).as_secs_f64();
        let expected = self.expected_arrivals(from, to);
        let sources = self.sources(&window);
        self.skip_cells(&sources, &expected);
        let per_s = 1.0 / length;
        let accepted = self.data.accepted_writes();
        for (s, copies) in accepted.iter().enumerate() {
            for (c, &n) in copies.iter().enumerate() {
                self.ff.write_rate[s][c] = (n - start.accepted[s][c]) as f64 * per_s;
            }
        }
        let (in_region, queued_in_region) = self.occupancy();
        let flows = self.bucket_flows(&sources, from, to);
        self.ff.skips.push(Skip { from, to, flows, in_region, queued_in_region });
        self.ff.skipped = self.ff.skipped.plus(SimTime::from_secs_f64(stretch_s));
        self.next_arrival.fill(SimTime::NEVER);
        self.ff.phase = Phase::Skipping;
        self.ff.due = to;
    }

    /// Puts the run's cells back with the window's requests added to them; returns the window's cells.
    fn end_window(&mut self, run_cells: Vec<Slice>) -> Vec<Slice> {
        let window = std::mem::replace(&mut self.obs.per_cell, run_cells);
        for (cell, w) in self.obs.per_cell.iter_mut().zip(&window) {
            cell.add(w);
        }
        window
    }

    /// The next known change (the earliest infrastructure event: the list holds only those), and the
    /// lead it needs. Only a change that takes something away (a failure, a scale-in, a promotion)
    /// depends on what is in flight when it strikes: requests it fails, writes it loses. A repair, a
    /// health-check flip, a DNS switch, a scale-up or a new hour only steers or adds capacity, and
    /// new arrivals fill the queues within milliseconds of it.
    fn next_change(&self) -> (SimTime, SimTime) {
        match self.infra.peek() {
            Some((t, Event::Down { .. } | Event::ScaleIn { .. } | Event::Promote { .. })) => {
                (t, self.ff.lead)
            }
            Some((t, _)) => (t, SimTime::ZERO),
            None => (SimTime::NEVER, SimTime::ZERO),
        }
    }

    fn resume_arrivals(&mut self) {
        let skip = self.ff.skips.last().map(|s| (s.from, s.to));
        if let Some((from, to)) = skip {
            // Stopped early by an unforeseen change: the stretch not skipped is simulated after all.
            if self.now < to {
                let unskipped = to.since(self.now);
                self.ff.skipped = SimTime(self.ff.skipped.0.saturating_sub(unskipped.0));
            }
            self.put_backups_in_flight(from, self.now.min(to));
        }
        for p in 0..self.model.populations.len() {
            self.schedule_arrival(p);
        }
    }

    /// Writes a backup store accepted during the stretch and has not yet copied at its end are in
    /// flight, as if they had been simulated one by one (one run from the later of the stretch's start
    /// and the last backup).
    fn put_backups_in_flight(&mut self, from: SimTime, to: SimTime) {
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
                    self.push_inflight_run(s, c, start, apply, count);
                }
            }
        }
    }

    /// Expected arrivals in `[from, to)` per cell (`p * regions + r`).
    fn expected_arrivals(&self, from: SimTime, to: SimTime) -> Vec<f64> {
        let regions = self.model.regions.len();
        let mut expected = vec![0.0; self.model.populations.len() * regions];
        let stretch_s = to.since(from).as_secs_f64();
        let multiplier = self.scenario.rate_multiplier(from);
        for (p, a) in self.steer.answers.iter().enumerate() {
            let n = self.scenario.rates_per_s[p] * multiplier * stretch_s;
            let moved = if a.changed {
                let age = |t: SimTime| t.since(a.changed_at).as_secs_f64();
                let moved =
                    self.ff.moved.as_ref().expect("stretches are skipped only under sampled fidelity");
                moved.mean(&self.model.steering.follow, age(from), age(to))
            } else {
                1.0
            };
            for (r, share) in a.now.shares() {
                expected[p * regions + r] += n * moved * share;
            }
            if moved < 1.0 {
                for (r, share) in a.prev.shares() {
                    expected[p * regions + r] += n * (1.0 - moved) * share;
                }
            }
        }
        expected
    }

    /// Where each cell's skipped requests take their statistics from: its own window slice, its
    /// region's (all populations) when the window saw none of the cell, or neither.
    fn sources(&self, window: &[Slice]) -> Vec<Source> {
        let regions = self.model.regions.len();
        let mut pools = vec![Slice::default(); regions];
        for (i, w) in window.iter().enumerate() {
            pools[i % regions].add(w);
        }
        let finished = |s: &Slice| s.counts.succeeded + s.counts.failed_total();
        (0..window.len())
            .map(|i| {
                let r = i % regions;
                if finished(&window[i]) > 0 {
                    Source::Slice(Box::new(window[i].clone()))
                } else if finished(&pools[r]) > 0 {
                    Source::Slice(Box::new(pools[r].clone()))
                } else if self.endpoint_serves(r) {
                    // It serves, but nobody it could be measured on reached it: counted as served.
                    Source::Served
                } else {
                    // No entry point up: requests time out connecting.
                    Source::Unreachable
                }
            })
            .collect()
    }

    /// Adds to each cell the skipped requests' outcomes, latencies and tallies, in its source's shares.
    fn skip_cells(&mut self, sources: &[Source], expected: &[f64]) {
        let connect_timeout_s = self.model.network.connect_timeout_s;
        for (i, (source, &n)) in sources.iter().zip(expected).enumerate() {
            if n <= 0.0 {
                continue;
            }
            let (slot, tally) = (&mut self.ff.outcomes[i], &mut self.ff.tallies[i]);
            match source {
                Source::Slice(w) => {
                    let k = n / (w.counts.succeeded + w.counts.failed_total()) as f64;
                    slot[0] += w.counts.succeeded as f64 * k;
                    for (j, &f) in w.counts.failed.iter().enumerate() {
                        slot[1 + j] += f as f64 * k;
                    }
                    for (t, x) in tally.iter_mut().zip(w.tally.to_array()) {
                        *t += x * k;
                    }
                    self.obs.per_cell[i].latency.add_scaled(&w.latency, w.counts.succeeded as f64 * k);
                }
                Source::Unreachable => {
                    slot[1 + FailureCause::NoHealthyInstance as usize] += n;
                    tally[0] += n * connect_timeout_s;
                }
                Source::Served => slot[0] += n,
            }
        }
    }

    /// The timeline flows of the skipped stretch `[from, to)`, per bucket it overlaps (keyed by the
    /// bucket's end): the cells' expected arrivals over each overlap (so stale DNS clients drift
    /// bucket by bucket), with their sources' success shares and mean latencies.
    fn bucket_flows(&self, sources: &[Source], from: SimTime, to: SimTime) -> Vec<(SimTime, Flow)> {
        let width = self.bucket.0.max(1);
        let mut flows = Vec::new();
        let mut k = from.0 / width;
        while k * width < to.0 {
            let (begin, end) = (SimTime(k * width), SimTime((k + 1) * width));
            let expected = self.expected_arrivals(from.max(begin), to.min(end));
            let mut flow = Flow::default();
            for (source, n) in sources.iter().zip(expected) {
                let (succeeded, latency_s) = match source {
                    Source::Slice(w) => {
                        let finished = (w.counts.succeeded + w.counts.failed_total()) as f64;
                        let ok = n * w.counts.succeeded as f64 / finished;
                        (ok, if w.latency.count() > 0 { ok * w.latency.mean_ms() / 1e3 } else { 0.0 })
                    }
                    Source::Served => (n, 0.0),
                    Source::Unreachable => (0.0, 0.0),
                };
                flow.arrived += n;
                flow.finished += n;
                flow.succeeded += succeeded;
                flow.latency_sum_s += latency_s;
            }
            flows.push((end, flow));
            k += 1;
        }
        flows
    }

    /// Requests at each region's instances, and queued only.
    fn occupancy(&self) -> (Vec<u32>, Vec<u32>) {
        let regions = self.model.regions.len();
        let (mut in_region, mut queued) = (vec![0; regions], vec![0; regions]);
        for (i, inst) in self.instances.iter().enumerate() {
            let r = self.model.instances[i].region;
            in_region[r] += (inst.in_service.len() + inst.queue.len()) as u32;
            queued[r] += inst.queue.len() as u32;
        }
        (in_region, queued)
    }

    /// The skipped part of the bucket ending at `end`: its flows, and the occupancy at `end` if a skip
    /// covers it.
    pub(super) fn fill_bucket(&mut self, bucket: &mut Bucket, end: SimTime, length: SimTime) {
        let begin = SimTime(end.0.saturating_sub(length.0));
        self.ff.skips.retain(|s| s.to > begin);
        for s in &self.ff.skips {
            for (_, flow) in s.flows.iter().filter(|(at, _)| *at == end) {
                bucket.arrived += flow.arrived.round() as u64;
                bucket.finished += flow.finished.round() as u64;
                bucket.succeeded += flow.succeeded.round() as u64;
                bucket.latency_sum_s += flow.latency_sum_s;
            }
            if s.from < end && end <= s.to {
                bucket.in_region.clone_from(&s.in_region);
                bucket.queued_in_region.clone_from(&s.queued_in_region);
            }
        }
    }

    /// End of the run: the skips' expected counts, rounded, join the observations.
    pub(super) fn finish_fast_forward(&mut self) {
        if !self.ff.is_sampled() {
            return;
        }
        let mut added = 0;
        let cells = self.obs.per_cell.iter_mut().zip(&self.ff.outcomes).zip(&self.ff.tallies);
        for ((cell, slot), tally) in cells {
            let n = |x: f64| x.round().max(0.0) as u64;
            let succeeded = n(slot[0]);
            let failed: Vec<u64> = slot[1..].iter().map(|&x| n(x)).collect();
            let attempted = succeeded + failed.iter().sum::<u64>();
            cell.counts.succeeded += succeeded;
            for (c, f) in cell.counts.failed.iter_mut().zip(failed) {
                *c += f;
            }
            cell.counts.attempted += attempted;
            cell.tally.add_array(tally);
            added += attempted;
        }
        self.obs.arrivals_in_window += added;
        self.obs.fast_forwarded = added;
        let observed = self.scenario.horizon.since(self.scenario.warmup);
        self.obs.request_level_s = observed.since(self.ff.skipped.min(observed)).as_secs_f64();
    }
}

/// The mean of [`Follow::moved_share`] over ages `[a, b)` [s], from its integral tabulated once per
/// replication: every timeline bucket a stretch covers averages the same curve again, hundreds of times
/// per stretch, which a fresh quadrature each time made a few percent of a sampled run.
///
/// The integral I(age) = ∫₀^age share(t) dt is kept on a grid uniform in ln(1 + age), with
/// [`ROUTING_POINTS_PER_LOG_UNIT`] cells per unit (the midpoint rule per cell), which puts points where
/// the share still moves (just after a change) rather than spreading them over hours in which it creeps
/// towards 1; between grid points it is linear in age.
struct MovedIntegral {
    /// Grid step in ln(1 + age).
    step: f64,
    /// I at ages e^{k·step} − 1.
    cumulative: Vec<f64>,
    /// The share at the last grid age, for ages past it.
    last_share: f64,
}

impl MovedIntegral {
    fn new(follow: &Follow, max_age_s: f64) -> MovedIntegral {
        let step = 1.0 / ROUTING_POINTS_PER_LOG_UNIT;
        let cells = (max_age_s.max(1.0).ln_1p() / step).ceil() as usize + 1;
        let mut cumulative = Vec::with_capacity(cells + 1);
        let mut sum = 0.0;
        cumulative.push(sum);
        for k in 0..cells {
            let (lo, hi) = ((k as f64 * step).exp_m1(), ((k + 1) as f64 * step).exp_m1());
            sum += follow.moved_share(((k as f64 + 0.5) * step).exp_m1()) * (hi - lo);
            cumulative.push(sum);
        }
        let last_share = follow.moved_share((cells as f64 * step).exp_m1());
        MovedIntegral { step, cumulative, last_share }
    }

    fn at(&self, age_s: f64) -> f64 {
        let y = age_s.max(0.0).ln_1p() / self.step;
        let k = y.floor() as usize;
        if k + 1 >= self.cumulative.len() {
            let last = self.cumulative.len() - 1;
            let end = (last as f64 * self.step).exp_m1();
            return self.cumulative[last] + self.last_share * (age_s - end);
        }
        let (lo, hi) = ((k as f64 * self.step).exp_m1(), ((k + 1) as f64 * self.step).exp_m1());
        let t = ((age_s - lo) / (hi - lo)).clamp(0.0, 1.0);
        self.cumulative[k] + t * (self.cumulative[k + 1] - self.cumulative[k])
    }

    fn mean(&self, follow: &Follow, a: f64, b: f64) -> f64 {
        if b <= a {
            return follow.moved_share(a);
        }
        ((self.at(b) - self.at(a)) / (b - a)).clamp(0.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    #[test]
    fn the_mean_moved_share_matches_a_fine_uniform_sum() {
        let follow = Follow::dns_with_default_violators(60.0, 5.0);
        // Stretches (whose expected requests make the totals) to 1e-4; timeline buckets (a chart's
        // flows) to 2e-3, as a 2 s bucket across the TTL's kink falls inside one 1.3 s cell of the table.
        let stretches = [(90.0, 14_400.0), (0.0, 60.0), (200.0, 300.0), (5_000.0, 5_090.0), (1e4, 1e6)];
        let buckets = [(59.0, 61.0), (0.0, 0.5), (12_000.0, 12_030.0)];
        let cases = stretches.iter().map(|&s| (s, 1e-4)).chain(buckets.iter().map(|&s| (s, 2e-3)));
        let table = MovedIntegral::new(&follow, 1e6);
        for ((a, b), tolerance) in cases {
            const N: usize = 200_000;
            let h = (b - a) / N as f64;
            let fine: f64 =
                (0..N).map(|k| follow.moved_share(a + (k as f64 + 0.5) * h)).sum::<f64>() / N as f64;
            let quick = table.mean(&follow, a, b);
            assert!((fine - quick).abs() < tolerance, "[{a}, {b}): {quick} vs {fine}");
        }
    }
}
