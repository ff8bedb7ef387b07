//! Failover metrics. An incident starts when a region's entry point stops serving while a material share
//! of some population's clients is routed to it (more than `1 − level` of them, counting the clients
//! whose cached answers are stale); it records when health checks noticed, when DNS answers moved, the
//! writes lost, each affected population's first response, and when each population recovered.
//!
//! Recovery as users see it ([`crate::model::scenario::Recovery`]): a population has recovered at the end of the
//! first sliding window (of requests counted by send time, in bins a tenth of the window wide) whose
//! success ratio is at the level, provided every window after it for `hold` is too (a window with no
//! request breaks no run). The RTO of an incident is its last population's recovery. A population with
//! no traffic is judged on the share of its clients whose cached answer can serve them, which fills the
//! same bins as virtual requests. The first response (a success of a request sent after the failure by a
//! client whose answer is not older than the failure) is a separate, earlier metric.

use crate::model::architecture::Model;
use crate::model::time::SimTime;

/// One affected population's view of an incident.
pub(super) struct Track {
    pub population: usize,
    /// The population's answer version when the incident started: a success through an older one is a
    /// stale client's, which was never routed to the failed region by this failure.
    pub version_at_start: u32,
    pub first_response: Option<SimTime>,
    pub evidence: Evidence,
    /// Decided: recovered at this instant, or (None) never within the horizon.
    pub outcome: Option<Option<SimTime>>,
    /// After a recovery judged on requests, the window index up to which a relapse is watched for
    /// ([`RELAPSE_WATCH`]); `None` once the watch is over (or for populations without traffic).
    pub watch_to: Option<usize>,
    /// The end of the first window after the recovery whose success ratio fell below the level again.
    pub relapsed: Option<SimTime>,
}

/// How long after a population's recovery its windows are still watched: a recovery region that takes
/// the load at first but cannot hold it (an undersized standby whose queues build up) falls back below
/// the level within minutes, and its RTO is then flagged as a relapse rather than silently kept.
pub(super) const RELAPSE_WATCH: SimTime = SimTime(15 * 60 * 1_000_000_000);

impl Track {
    /// Whether the track still needs evidence: undecided, or watched for a relapse.
    pub fn open(&self) -> bool {
        self.outcome.is_none() || self.watch_to.is_some()
    }
}

/// What a population's recovery is judged on.
pub(super) enum Evidence {
    /// Its requests, by send time, in bins from the incident's start.
    Requests(RequestBins),
    /// No traffic: the share of its clients whose cached answer can serve them, known in closed form
    /// (recovered once it reaches the level and holds; there is no sampling noise to smooth).
    Clients {
        /// Since when the share has been at the level without a break.
        run_start: Option<SimTime>,
    },
}

/// Attempts and successes per bin (fractional where the fast-forward adds expected values), and the
/// sliding window judged so far.
#[derive(Default)]
pub(super) struct RequestBins {
    bins: Vec<[f64; 2]>,
    /// The first window not yet judged, and the start of the current run of good windows.
    next_window: usize,
    run_start: Option<usize>,
}

pub(super) struct Incident {
    pub start: SimTime,
    pub detected: Option<SimTime>,
    pub dns_switched: Option<SimTime>,
    pub tracks: Vec<Track>,
    pub writes_lost: u64,
    pub rpo_s: Option<f64>,
}

pub(super) struct Incidents {
    /// Open incidents (a fast check on the hot path).
    pub open: usize,
    pub by_region: Vec<Option<Incident>>,
}

impl Incidents {
    pub fn new(model: &Model) -> Incidents {
        Incidents { open: 0, by_region: (0..model.regions.len()).map(|_| None).collect() }
    }

    /// Adds a request's outcome to the tracks of every open incident it belongs to.
    pub fn note_outcome(
        &mut self,
        p: usize,
        start: SimTime,
        version: u32,
        ok: bool,
        at: SimTime,
        bin: SimTime,
    ) {
        for i in self.by_region.iter_mut().flatten() {
            if start < i.start {
                continue;
            }
            let Some(t) = i.tracks.iter_mut().find(|t| t.population == p) else { continue };
            if let Evidence::Requests(b) = &mut t.evidence {
                let k = (start.since(i.start).0 / bin.0) as usize;
                b.add(k, 1.0, if ok { 1.0 } else { 0.0 });
            }
            if ok && version >= t.version_at_start && t.first_response.is_none_or(|f| at < f) {
                t.first_response = Some(at);
            }
        }
    }

    /// Populations judged on their requests that still need evidence, by incident:
    /// `(region, population)`.
    pub fn open_request_tracks(&self) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        for (r, i) in self.by_region.iter().enumerate() {
            if let Some(i) = i {
                out.extend(
                    i.tracks
                        .iter()
                        .filter(|t| t.open() && matches!(t.evidence, Evidence::Requests(_)))
                        .map(|t| (r, t.population)),
                );
            }
        }
        out
    }

    /// Adds expected attempts and successes to population `p`'s track of region `r`'s incident, for the
    /// requests sent in `[a, b)` (the fast-forward's skipped requests, a population's virtual ones).
    pub fn add_expected(&mut self, r: usize, p: usize, a: SimTime, b: SimTime, bin: SimTime, flow: Flows) {
        let Some(i) = &mut self.by_region[r] else { return };
        let Some(t) = i.tracks.iter_mut().find(|t| t.population == p) else { return };
        let Evidence::Requests(bins) = &mut t.evidence else { return };
        if b <= a || b <= i.start {
            return;
        }
        let a = a.max(i.start);
        let span = b.since(a).0 as f64;
        // Spread evenly over the bins the interval overlaps (the rates are constant within it).
        let (first, last) = (a.since(i.start).0 / bin.0, (b.since(i.start).0 - 1) / bin.0);
        for k in first..=last {
            let lo = (i.start.0 + k * bin.0).max(a.0);
            let hi = (i.start.0 + (k + 1) * bin.0).min(b.0);
            let w = (hi - lo) as f64 / span;
            bins.add(k as usize, flow.attempts * w, flow.successes * w);
        }
    }
}

/// Expected requests over an interval.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Flows {
    pub attempts: f64,
    pub successes: f64,
}

/// The recovery rule in bins: window and hold lengths, the level, the bin width.
#[derive(Debug, Clone, Copy)]
pub(super) struct Rule {
    pub window: usize,
    pub hold: usize,
    pub level: f64,
    pub bin: SimTime,
}

impl RequestBins {
    fn add(&mut self, k: usize, attempts: f64, successes: f64) {
        if self.bins.len() <= k {
            self.bins.resize(k + 1, [0.0; 2]);
        }
        self.bins[k][0] += attempts;
        self.bins[k][1] += successes;
    }

    /// Judges the windows made of the first `complete` bins (those whose requests all have outcomes):
    /// the instant recovered, once decided. `at_end`: no more bins will come, so a run of good windows
    /// that reaches the end holds.
    pub fn judge(
        &mut self,
        complete: usize,
        rule: &Rule,
        start: SimTime,
        at_end: bool,
    ) -> Option<Option<SimTime>> {
        let Rule { window, hold, level, bin } = *rule;
        let end_of = |run: usize| start.plus(SimTime(bin.0 * (run + window) as u64));
        while self.next_window + window <= complete {
            let k = self.next_window;
            let (attempts, successes) =
                self.bins.iter().skip(k).take(window).fold((0.0, 0.0), |(a, s), b| (a + b[0], s + b[1]));
            // A window without requests is no evidence either way: it neither starts nor breaks a run.
            let empty = attempts <= 0.0;
            let good = !empty && successes >= level * attempts * (1.0 - 1e-12);
            if good || (empty && self.run_start.is_some()) {
                let run = *self.run_start.get_or_insert(k);
                if k - run >= hold {
                    return Some(Some(end_of(run)));
                }
            } else {
                self.run_start = None;
            }
            self.next_window += 1;
        }
        at_end.then(|| self.run_start.map(end_of))
    }

    /// After a recovery: the window the judgement stopped at, from which a relapse is watched for.
    pub fn judged_to(&self) -> usize {
        self.next_window
    }

    /// Watches the windows of the first `complete` bins, up to window `to`, for one below the level
    /// (a window without requests is no evidence): the end of the first, if any.
    pub fn relapse(&mut self, complete: usize, rule: &Rule, start: SimTime, to: usize) -> Option<SimTime> {
        let Rule { window, level, bin, .. } = *rule;
        while self.next_window + window <= complete && self.next_window < to {
            let k = self.next_window;
            let (attempts, successes) =
                self.bins.iter().skip(k).take(window).fold((0.0, 0.0), |(a, s), b| (a + b[0], s + b[1]));
            self.next_window += 1;
            if attempts > 0.0 && successes < level * attempts * (1.0 - 1e-12) {
                return Some(start.plus(SimTime(bin.0 * (k + window) as u64)));
            }
        }
        None
    }
}

/// Grid points per interval at which a population without traffic has its served share checked
/// (between two of them the share is taken as monotone, and the crossing found by bisection).
pub(super) const CLIENT_GRID: usize = 32;
