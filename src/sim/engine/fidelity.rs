//! Fast-forward of steady states (`fidelity: Sampled(...)` in a scenario; docs/architecture.md,
//! "fidelity").
//!
//! Infrastructure is always simulated over the whole horizon. Requests are simulated at full fidelity
//! after every infrastructure change until the system settles, then for a sampled window; if the
//! window was steady (the requests in the system did not grow or shrink), arrivals stop until a lead
//! before the next known change (or the horizon), and the skipped stretch is accounted for with the
//! window's statistics:
//!
//! - each (population, entry region) cell gets the requests it would have received, in closed form:
//!   the population's rate times the stretch, split over its answer versions by the share of clients
//!   whose caches hold each ([`crate::model::routing::Steering::version_integrals`]), then by each answer's
//!   weights;
//! - each cell's outcomes (successes, failures by cause) and latency distribution are the window's
//!   for that cell, scaled to those requests; a cell the window did not see borrows its region's
//!   (or, for a region whose entry point is down, fails like a connect timeout);
//! - so are its per-request tallies (time in system, reads, writes, stale reads, lost updates,
//!   cross-region requests, transfer, egress and store-write dollars);
//! - the timeline's buckets and the open incidents' recovery bins get the skipped requests too, and
//!   writes a backup would still hold at the end of the stretch are put in flight, so a failure after
//!   it loses them.
//!
//! The window's statistics are recorded beside the run's, never instead of them: every outcome goes to
//! the run's cells, and also to the window's while one is open, so a horizon (or a change) inside a
//! window loses nothing. A skip is accrued when it ends, over the stretch it actually covered, and at
//! every timeline bucket it spans, so a skip cut short by an unforeseen change counts only what it
//! stood for. Weighting by requests keeps the estimate unbiased when the routing mix drifts (stale DNS
//! clients leave slowly). Expected counts are kept as fractions and rounded once, at the end of the run.

use super::Engine;
use super::event::{Event, FaultEvent};
use super::kernel::Change;
use super::reactions::CopiesDown;
use super::retry::BucketZone;
use crate::model::architecture::Model;
use crate::model::fidelity::{Fidelity, Sampling};
use crate::model::routing::Follow;
use crate::model::scenario::{Component, Scenario};
use crate::model::store::Replication;
use crate::model::time::SimTime;
use crate::sim::observation::{FailureCause, Slice, Tally};

mod accrual;

/// How many requests the system may gain or lose over a window and still count as steady: this many,
/// or 1% of the window's arrivals, whichever is larger (a stable queue wanders by about its square
/// root; an overloaded one grows by (λ − capacity) × window).
const STEADY_DRIFT_REQUESTS: f64 = 20.0;
const STEADY_DRIFT_SHARE: f64 = 0.01;
/// The share of a window's requests that may fail from overload (clients giving up on a queue, or
/// deadline-aware shedding) for it to count as steady. An overloaded fleet whose clients time out is
/// stationary (its queue holds about the clients' patience), but its memory is that patience: a skip
/// stops arrivals, the queue drains, and after it the fleet would serve an empty queue well for a
/// timeout's length before it is overloaded again, counted as a recovery that never happened (the
/// scaled-on-failover standby showed 1 pp more availability than at full fidelity). Such stretches run
/// request by request (issue 12: a metastable system is never fast-forwarded over).
const STEADY_OVERLOAD_SHARE: f64 = 0.001;

/// What the engine looked like when a window opened.
struct WindowStart {
    at: SimTime,
    in_system: usize,
    /// Writes accepted so far per store and copy.
    accepted: Vec<Vec<u64>>,
    /// Each deployment's work and requests so far (the autoscalers' metrics accrue at the window's
    /// rates during a skip).
    load: Vec<(f64, u64)>,
    /// Where each population's retry budget stood.
    buckets: Vec<Option<BucketZone>>,
}

/// Where a cell's skipped requests take their statistics from.
#[derive(Clone)]
enum Source {
    /// A window slice: the cell's own, its region's, or the whole window's.
    Slice(Box<Slice>),
    /// No entry point up in the region: requests time out connecting.
    Unreachable,
}

impl Source {
    /// The share of this source's requests that succeed.
    fn success_share(&self) -> f64 {
        match self {
            Source::Slice(w) => {
                let finished = w.counts.attempted();
                if finished == 0 { 1.0 } else { w.counts.succeeded as f64 / finished as f64 }
            }
            Source::Unreachable => 0.0,
        }
    }
}

/// A stretch being skipped: where its requests take their statistics from, and how far it has been
/// accounted.
struct Skip {
    from: SimTime,
    accrued_to: SimTime,
    sources: Vec<Source>,
    /// Per cell: the expected successes accrued so far, whose latencies join the cell's histogram
    /// when the skip ends (one scaled copy of the window's histogram per skip).
    successes: Vec<f64>,
    /// Per region at the window's end: requests at its instances, and queued only (the timeline's
    /// occupancy during the skip).
    in_region: Vec<u32>,
    queued_in_region: Vec<u32>,
    /// Per deployment: requests per second per answering instance in the window (where the
    /// instances' dependency caches stand when arrivals resume).
    instance_rates: Vec<f64>,
    /// Each population's retry tokens when the skip began: a steady bucket is where the window left
    /// it when arrivals resume (the refunds of the requests in flight over the skip would have been
    /// spent on the skipped requests' retries).
    tokens: Vec<u32>,
}

enum Phase {
    /// Full fidelity; the window opens at `due` (never, until the next change, after a refused skip).
    Settling,
    Window(Box<WindowStart>),
    /// No arrivals until `due`.
    Skipping(Box<Skip>),
}

pub(super) struct FastForward {
    sampling: Option<Sampling>,
    /// How long clients take to follow a DNS change (the TTL, or anycast's shift) \[time\].
    follow: SimTime,
    /// Full fidelity before each known change: the scenario's lead, at least 20 mean replication lags.
    lead: SimTime,
    phase: Phase,
    /// When the current phase's next step is due.
    pub due: SimTime,
    /// Per cell: expected successes and failures by cause added by skips, rounded at the end.
    outcomes: Vec<[f64; 1 + FailureCause::ALL.len()]>,
    /// Per cell: the skipped requests' tallies.
    tallies: Vec<Tally>,
    /// Writes a backup store would hold at the end of a skip: per store and copy, writes per second.
    write_rate: Vec<Vec<f64>>,
    skipped: SimTime,
    /// Fractional timeline flows of the current bucket not yet rounded into it (carried across buckets).
    carry: [f64; 4],
    /// Per population: draws of skipped requests' outcomes for recovery windows.
    noise_rng: Vec<rand::rngs::Xoshiro256PlusPlus>,
    /// Recovery bins of incident tracks filled by skips (a track's bin counts once per fill): what
    /// a long skip costs the incidents.
    pub incident_bins_filled: u64,
}

impl FastForward {
    pub fn new(model: &Model, scenario: &Scenario, seed: u64, replication: u32) -> FastForward {
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
        let cells = model.populations.len() * model.regions.len();
        FastForward {
            sampling,
            follow: SimTime::from_secs_f64(follow_s),
            lead,
            phase: Phase::Settling,
            due: sampling.map_or(SimTime::NEVER, |s| scenario.warmup.max(s.settle)),
            outcomes: vec![[0.0; 1 + FailureCause::ALL.len()]; cells],
            tallies: vec![Tally::default(); cells],
            write_rate: model.stores.iter().map(|s| vec![0.0; s.copies.len()]).collect(),
            skipped: SimTime::ZERO,
            carry: [0.0; 4],
            incident_bins_filled: 0,
            noise_rng: model
                .populations
                .iter()
                .map(|p| {
                    crate::sim::streams::stream(
                        seed,
                        replication,
                        crate::sim::streams::Purpose::FastForward,
                        &p.name,
                    )
                })
                .collect(),
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
            // The window saw a change: its requests count as they are (they are in the run's cells
            // already), and it opens again later.
            Phase::Window(_) => {
                self.recorder.close_window();
            }
            Phase::Skipping(skip) => self.end_skip(*skip),
            Phase::Settling => {}
        }
        let dns_changed = self.steering.last_change();
        let settle = sampling.settle.max(SimTime::from_secs_f64(2.0 * self.model.network.connect_timeout_s));
        let mut due = self.kernel.now.plus(settle);
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
            Phase::Skipping(skip) => self.end_skip(*skip),
        }
    }

    fn open_window(&mut self) {
        let Some(sampling) = self.ff.sampling else { return };
        if self.kernel.now >= self.scenario.horizon {
            return;
        }
        let start = WindowStart {
            at: self.kernel.now,
            in_system: self.traffic.requests.live(),
            accepted: self.stores.accepted_writes(),
            load: self.fleet.load_snapshot(),
            buckets: self.behaviours.retries.zones(),
        };
        self.recorder.open_window();
        self.ff.phase = Phase::Window(Box::new(start));
        self.ff.due = self.kernel.now.plus(sampling.window);
    }

    fn close_window(&mut self, start: WindowStart) {
        let window = self.recorder.close_window().unwrap_or_default();
        let Some(sampling) = self.ff.sampling else { return };
        let length = self.kernel.now.since(start.at).as_secs_f64();
        let finished: u64 = window.iter().map(|w| w.counts.attempted()).sum();
        let drift = (self.traffic.requests.live() as f64 - start.in_system as f64).abs();
        let overloaded: u64 = window
            .iter()
            .map(|w| {
                w.counts.failed[FailureCause::Timeout as usize] + w.counts.failed[FailureCause::Shed as usize]
            })
            .sum();
        // A promotion under way is steady too (writes fail until it completes); its completion is a
        // known change with a lead.
        // A retry budget is steady dry or full, in the same zone at both ends (between, it drains or
        // fills: the retried share of failures is still moving).
        let buckets_steady = self
            .behaviours
            .retries
            .zones()
            .iter()
            .zip(&start.buckets)
            .all(|(end, start)| end == start && *end != Some(BucketZone::Between));
        let steady = drift <= STEADY_DRIFT_REQUESTS.max(STEADY_DRIFT_SHARE * finished as f64)
            && overloaded as f64 <= STEADY_OVERLOAD_SHARE * finished as f64
            && buckets_steady
            && !self.faults.any_link_down()
            // While the DNS layer is down the share of clients that cannot resolve grows with the time
            // since it failed, not by events: no window stands for the stretch after it, so the outage
            // runs request by request (docs/architecture.md#dns-layer).
            && self.faults.dns_down_since().is_none();
        if finished == 0 {
            // Nothing to learn from (next to no traffic): full fidelity, which is then cheap.
            return;
        }
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
        if resume <= self.kernel.now.plus(sampling.window) {
            return; // too short to be worth it: full fidelity until the change
        }
        let per_s = 1.0 / length;
        let accepted = self.stores.accepted_writes();
        for (s, copies) in accepted.iter().enumerate() {
            for (c, &n) in copies.iter().enumerate() {
                self.ff.write_rate[s][c] = (n - start.accepted[s][c]) as f64 * per_s;
            }
        }
        let (in_region, queued_in_region) = self.fleet.occupancy(self.model);
        let sources = self.sources(&window);
        let cells = sources.len();
        let now_load = self.fleet.load_snapshot();
        let instance_rates = (0..self.model.deployments.len())
            .map(|d| {
                let requests = now_load[d].1.saturating_sub(start.load[d].1) as f64;
                requests * per_s / f64::from(self.fleet.answering(d).max(1))
            })
            .collect();
        let skip = Skip {
            from: self.kernel.now,
            accrued_to: self.kernel.now,
            sources,
            successes: vec![0.0; cells],
            in_region,
            queued_in_region,
            instance_rates,
            tokens: self.behaviours.retries.tokens().to_vec(),
        };
        self.traffic.stop_arrivals();
        let rates = self.model.instances.iter().map(|inst| skip.instance_rates[inst.deployment]).collect();
        self.dependencies.begin_skip(rates);
        self.fleet.begin_skip(self.kernel.now, &start.load, length);
        self.ff.phase = Phase::Skipping(Box::new(skip));
        self.ff.due = resume;
    }

    /// The next known change (the earliest infrastructure event: the list holds only those), and the
    /// lead it needs. Only a change that takes something away (a failure, a scale-in, a promotion)
    /// depends on what is in flight when it strikes: requests it fails, writes it loses. A repair, a
    /// health-check flip, a DNS switch, a scale-up or a new hour only steers or adds capacity, and
    /// new arrivals fill the queues within milliseconds of it.
    fn next_change(&self) -> (SimTime, SimTime) {
        match self.kernel.next_seen_change(|event| self.traffic_sees(event)) {
            Some((t, Change::TakesAway)) => (t, self.ff.lead),
            Some((t, Change::Adds | Change::Steers)) => (t, SimTime::ZERO),
            None => (SimTime::NEVER, SimTime::ZERO),
        }
    }

    /// Whether the traffic will see infrastructure event `event` if it happened now: every event
    /// unless the subsystem it changes says otherwise, so a new kind of event cannot be averaged over
    /// by accident. A change nobody sees is not declared when it comes, and a skip runs past it.
    ///
    /// - The fleet: an instance's repair while it is out of its balancer's rotation, behind health
    ///   checks, sends it nothing; its return to rotation is the change (a seen event of its own).
    ///
    /// The answer holds from a skip's planning to the event: it changes only through a seen event,
    /// which ends the skip. So the change a skip planned to end at is declared when it comes.
    pub(super) fn traffic_sees(&self, event: &Event) -> bool {
        match event {
            Event::Fault(FaultEvent::Up { component: Component::Instance(i), .. }) => {
                !self.fleet.out_of_rotation_behind_checks(self.model, *i as usize)
            }
            _ => true,
        }
    }

    /// A skip ends now (at its planned end, or cut short by a change): its stretch is accounted up to
    /// now, and arrivals resume.
    fn end_skip(&mut self, mut skip: Skip) {
        let until = self.kernel.now.min(self.scenario.horizon);
        self.accrue_skip(&mut skip, until);
        self.fleet.end_skip(self.kernel.now);
        self.behaviours.retries.set_tokens(&skip.tokens);
        for (i, source) in skip.sources.iter().enumerate() {
            if let Source::Slice(w) = source
                && skip.successes[i] > 0.0
            {
                self.recorder.add_skipped_latencies(i, &w.latency, skip.successes[i]);
            }
        }
        self.ff.skipped = self.ff.skipped.plus(until.since(skip.from));
        if until > skip.from {
            let what = crate::sim::trace::What::FastForward { until_s: until.as_secs_f64() };
            self.recorder.trace_event(skip.from, what, None, None, None);
        }
        self.put_backups_in_flight(skip.from, until);
        let (model, faults) = (self.model, &self.faults);
        let copy_up = |i: usize, d: usize| faults.dependency_up(model, d, model.instances[i].region);
        if self.dependencies.resume(model, self.kernel.now, copy_up) {
            self.declare_cache_expiries(CopiesDown::DownNow);
        }
        if self.kernel.now < self.scenario.horizon {
            for p in 0..self.model.populations.len() {
                self.traffic.schedule_arrival(self.scenario, p, self.kernel.now);
            }
        }
    }

    /// End of the run: a skip under way is accrued to the horizon, and the skips' expected counts,
    /// rounded, join the observations.
    pub(super) fn finish_fast_forward(&mut self) {
        if !self.ff.is_sampled() {
            return;
        }
        self.recorder.close_window();
        if let Phase::Skipping(skip) = std::mem::replace(&mut self.ff.phase, Phase::Settling) {
            let now = self.kernel.now;
            self.kernel.now = now.max(self.scenario.horizon);
            self.end_skip(*skip);
            self.kernel.now = now;
        }
        self.recorder.merge_fast_forward(&self.ff.outcomes, &self.ff.tallies);
        let observed = self.scenario.horizon.since(self.scenario.warmup);
        self.recorder.obs.request_level_s = observed.since(self.ff.skipped.min(observed)).as_secs_f64();
    }
}

/// Trips a breaker would be expected to make over `attempts` attempts failing independently with
/// probability `p`, where sampled fidelity skips them: a run of `consecutive_failures` failures begins
/// at an attempt with probability (1 − p)·p^n, and a count-based window of `w` attempts (disjoint
/// windows, a lower bound for a sliding one) holds at least ⌈ratio·w⌉ failures with the binomial tail.
/// An estimate for a warning, not a count: failures of a steady window are not quite independent.
pub(super) fn expected_trips(policy: &crate::model::breaker::BreakerPolicy, p: f64, attempts: f64) -> f64 {
    use statrs::distribution::{Binomial, DiscreteCDF};
    if attempts <= 0.0 || p <= 0.0 {
        return 0.0;
    }
    let runs = attempts * (1.0 - p) * p.powi(policy.consecutive_failures.min(i32::MAX as u32) as i32);
    let w = u64::from(policy.window.max(policy.min_calls).max(1));
    let need = (policy.failure_ratio * w as f64).ceil().max(1.0) as u64;
    let tail = match Binomial::new(p, w) {
        Ok(b) if need > 0 => b.sf(need - 1),
        _ => 0.0,
    };
    let windows = attempts / w as f64 * tail;
    (runs + windows).max(0.0)
}

#[cfg(test)]
mod tests {
    use rand::{RngExt, SeedableRng};

    use super::expected_trips;
    use crate::model::breaker::{BreakerPolicy, Fallback};
    use crate::model::time::SimTime;

    fn policy(consecutive_failures: u32, failure_ratio: f64, window: u32) -> BreakerPolicy {
        BreakerPolicy {
            consecutive_failures,
            failure_ratio,
            window,
            min_calls: window,
            open: SimTime::from_secs_f64(30.0),
            half_open_probes: 3,
            fallback: Fallback::FailFast,
        }
    }

    /// The estimate against counting in independent Bernoulli draws (fixed seed): runs of n failures
    /// begun after a success, and disjoint windows of w attempts holding at least ⌈ratio·w⌉ failures.
    /// Both counts are Poisson-like, so the tolerance is 4 standard deviations, 4·√count.
    #[test]
    fn expected_skipped_trips_match_counts_in_bernoulli_draws() {
        let mut rng = rand::rngs::Xoshiro256PlusPlus::seed_from_u64(20_261_202);
        let (p, attempts) = (0.3, 1_000_000usize);
        let fails: Vec<bool> = (0..attempts).map(|_| rng.random::<f64>() < p).collect();
        // Runs of 4 (a ratio that cannot trip: every one of 1,000 attempts failing).
        let runs = (1..attempts - 4).filter(|&i| !fails[i - 1] && fails[i..i + 4].iter().all(|&f| f)).count();
        let estimate = expected_trips(&policy(4, 1.0, 1000), p, attempts as f64);
        assert!((estimate - runs as f64).abs() < 4.0 * (runs as f64).sqrt(), "{estimate} vs {runs} runs");
        // Windows of 20 with at least 50% failing (runs that cannot trip: 10,000 in a row).
        let windows = fails.chunks(20).filter(|w| w.iter().filter(|&&f| f).count() >= 10).count();
        let estimate = expected_trips(&policy(10_000, 0.5, 20), p, attempts as f64);
        assert!((estimate - windows as f64).abs() < 4.0 * (windows as f64).sqrt(), "{estimate} vs {windows}");
        assert_eq!(expected_trips(&policy(4, 0.5, 20), 0.0, 1e9), 0.0, "nothing fails, nothing trips");
    }
}
