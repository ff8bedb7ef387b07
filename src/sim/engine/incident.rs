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

use super::Engine;
use super::data::Loss;
use crate::model::architecture::Model;
use crate::model::routing::Follow;
use crate::model::time::SimTime;
use crate::sim::observation::Failover;

/// One affected population's view of an incident.
pub(super) struct Track {
    population: usize,
    /// The population's answer version when the incident started: a success through an older one is a
    /// stale client's, which was never routed to the failed region by this failure.
    version_at_start: u32,
    first_response: Option<SimTime>,
    evidence: Evidence,
    /// Decided: recovered at this instant, or (None) never within the horizon.
    outcome: Option<Option<SimTime>>,
}

/// What a population's recovery is judged on.
enum Evidence {
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
struct RequestBins {
    bins: Vec<[f64; 2]>,
    /// The first window not yet judged, and the start of the current run of good windows.
    next_window: usize,
    run_start: Option<usize>,
}

pub(super) struct Incident {
    start: SimTime,
    detected: Option<SimTime>,
    dns_switched: Option<SimTime>,
    tracks: Vec<Track>,
    writes_lost: u64,
    rpo_s: Option<f64>,
}

pub(super) struct Incidents {
    /// Open incidents (a fast check on the hot path).
    pub open: usize,
    by_region: Vec<Option<Incident>>,
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
                        .filter(|t| t.outcome.is_none() && matches!(t.evidence, Evidence::Requests(_)))
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
struct Rule {
    window: usize,
    hold: usize,
    level: f64,
    bin: SimTime,
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
    fn judge(
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
}

/// Grid points per interval at which a population without traffic has its served share checked
/// (between two of them the share is taken as monotone, and the crossing found by bisection).
const CLIENT_GRID: usize = 32;

impl Engine<'_> {
    /// The share of population `p`'s clients routed to region `r` now (stale caches included).
    fn share_routed_to(&self, p: usize, r: usize) -> f64 {
        let a = &self.steer.answers[p];
        let shares = self.model.steering.version_shares(&a.since_s(), self.now.as_secs_f64());
        shares
            .zip(&a.versions)
            .map(|(s, v)| s * v.answer.shares().filter(|(x, _)| *x == r).map(|(_, w)| w).sum::<f64>())
            .sum()
    }

    /// The share of population `p`'s clients whose cached answer can serve them at `t`, with what
    /// serves as it is now.
    fn served_share_at(&self, p: usize, t: SimTime) -> f64 {
        let a = &self.steer.answers[p];
        let shares = self.model.steering.version_shares(&a.since_s(), t.as_secs_f64());
        shares.zip(&self.population_served[p]).map(|(s, v)| s * v).sum()
    }

    pub(super) fn start_incident(&mut self, r: usize) {
        if self.incidents.by_region[r].is_some() {
            return;
        }
        let material = 1.0 - self.scenario.recovery.level;
        let tracks: Vec<Track> = (0..self.model.populations.len())
            .filter(|&p| self.steer.answers[p].may_reach(r) && self.share_routed_to(p, r) > material)
            .map(|p| Track {
                population: p,
                version_at_start: self.steer.answers[p].current().number,
                first_response: None,
                evidence: if self.scenario.rates_per_s[p] > 0.0 {
                    Evidence::Requests(RequestBins::default())
                } else {
                    Evidence::Clients { run_start: None }
                },
                outcome: None,
            })
            .collect();
        if tracks.is_empty() {
            return;
        }
        self.incidents.by_region[r] = Some(Incident {
            start: self.now,
            detected: None,
            dns_switched: None,
            tracks,
            writes_lost: 0,
            rpo_s: None,
        });
        self.incidents.open += 1;
    }

    pub(super) fn incident_detected(&mut self, r: usize) {
        if let Some(i) = &mut self.incidents.by_region[r] {
            i.detected.get_or_insert(self.now);
        }
    }

    pub(super) fn incident_dns_switched(&mut self, r: usize) {
        if let Some(i) = &mut self.incidents.by_region[r] {
            i.dns_switched.get_or_insert(self.now);
        }
    }

    /// Writes lost when a copy in region `r` failed: part of that region's incident if one is open.
    pub(super) fn record_loss(&mut self, r: usize, loss: Loss) {
        let rpo = loss.failed_at.since(loss.oldest).as_secs_f64();
        match &mut self.incidents.by_region[r] {
            Some(i) => {
                i.writes_lost += loss.count;
                i.rpo_s = Some(i.rpo_s.map_or(rpo, |x: f64| x.max(rpo)));
            }
            None => self.obs.failovers.push(Failover {
                region: self.model.regions[r].name.clone(),
                start_s: loss.failed_at.as_secs_f64(),
                rpo_s: Some(rpo),
                writes_lost: loss.count,
                ..Failover::default()
            }),
        }
    }

    /// Judges the open incidents on the evidence complete by now (every request sent in a judged bin
    /// has an outcome: the request timeout has passed since), and ends those whose populations all
    /// recovered. `at_end`: the run is over, every bin up to the horizon is complete.
    pub(super) fn judge_incidents(&mut self, at_end: bool) {
        if self.incidents.open == 0 {
            return;
        }
        self.judge_clients(self.now.min(self.scenario.horizon), at_end);
        let rec = self.scenario.recovery;
        let rule = Rule {
            window: (rec.window.0 / rec.bin.0) as usize,
            hold: (rec.hold.0 / rec.bin.0) as usize,
            level: rec.level,
            bin: rec.bin,
        };
        let horizon = self.scenario.horizon;
        let done_by = if at_end {
            horizon
        } else {
            SimTime(self.now.0.saturating_sub(self.request_timeout.0)).min(horizon)
        };
        for r in 0..self.incidents.by_region.len() {
            let Some(i) = &mut self.incidents.by_region[r] else { continue };
            let complete = (done_by.since(i.start).0 / rec.bin.0) as usize;
            for t in &mut i.tracks {
                if t.outcome.is_none()
                    && let Evidence::Requests(bins) = &mut t.evidence
                {
                    t.outcome = bins.judge(complete, &rule, i.start, at_end);
                }
            }
            if i.tracks.iter().all(|t| t.outcome.is_some()) {
                self.end_incident(r);
            }
        }
    }

    /// Populations without traffic, over `[judged, until)`, during which what serves has not changed:
    /// the served share is checked on a grid of points, a crossing of the level located by bisection,
    /// and the population recovered once the share has held the level for `hold`. Called before every
    /// change of what serves.
    pub(super) fn judge_clients(&mut self, until: SimTime, at_end: bool) {
        let from = std::mem::replace(&mut self.clients_judged, until);
        if self.incidents.open == 0 || (until <= from && !at_end) {
            return;
        }
        let level = self.scenario.recovery.level;
        let hold = self.scenario.recovery.hold;
        for r in 0..self.incidents.by_region.len() {
            let Some(i) = &self.incidents.by_region[r] else { continue };
            let start = i.start;
            let a = from.max(start);
            let mut updates = Vec::new();
            for (k, t) in i.tracks.iter().enumerate() {
                let Evidence::Clients { run_start } = t.evidence else { continue };
                if t.outcome.is_some() {
                    continue;
                }
                let mut run = run_start;
                let mut outcome = None;
                if until > a {
                    let good =
                        |time: SimTime| self.served_share_at(t.population, time) >= level * (1.0 - 1e-12);
                    let point = |j: usize| SimTime(a.0 + (until.0 - a.0) / CLIENT_GRID as u64 * j as u64);
                    let mut previous = a;
                    for j in 0..=CLIENT_GRID {
                        let time = if j == CLIENT_GRID { SimTime(until.0 - 1).max(a) } else { point(j) };
                        if good(time) {
                            if run.is_none() {
                                // The crossing lies between the last bad point and this one.
                                let (mut lo, mut hi) = (previous, time);
                                while hi.0 - lo.0 > 1_000_000 {
                                    let mid = SimTime(lo.0 + (hi.0 - lo.0) / 2);
                                    if good(mid) { hi = mid } else { lo = mid }
                                }
                                run = Some(if j == 0 { time } else { hi });
                            }
                            if let Some(since) = run
                                && time.since(since) >= hold
                            {
                                outcome = Some(Some(since));
                                break;
                            }
                        } else {
                            run = None;
                        }
                        previous = time;
                    }
                }
                if outcome.is_none() && at_end {
                    outcome = Some(run);
                }
                updates.push((k, run, outcome));
            }
            if let Some(i) = &mut self.incidents.by_region[r] {
                for (k, run, outcome) in updates {
                    i.tracks[k].evidence = Evidence::Clients { run_start: run };
                    i.tracks[k].outcome = outcome;
                }
            }
        }
    }

    fn end_incident(&mut self, r: usize) {
        let Some(i) = self.incidents.by_region[r].take() else { return };
        self.incidents.open -= 1;
        let since = |t: Option<SimTime>| t.map(|t| t.since(i.start).as_secs_f64());
        let recovered = i.tracks.iter().map(|t| t.outcome.flatten()).collect::<Option<Vec<_>>>();
        let first = i.tracks.iter().map(|t| t.first_response).collect::<Option<Vec<_>>>();
        self.obs.failovers.push(Failover {
            region: self.model.regions[r].name.clone(),
            start_s: i.start.as_secs_f64(),
            detection_s: since(i.detected),
            dns_switch_s: since(i.dns_switched),
            first_response_s: since(first.and_then(|v| v.into_iter().max())),
            rto_s: since(recovered.and_then(|v| v.into_iter().max())),
            rpo_s: i.rpo_s,
            writes_lost: i.writes_lost,
        });
    }

    /// Incidents still open at the end: judged on every bin up to the horizon; those not recovered are
    /// recorded without an RTO.
    pub(super) fn close_incidents(&mut self) {
        self.judge_incidents(true);
    }

    /// Usage that depends only on the window: DNS queries, health checks, unavailable time.
    pub(super) fn finish_usage(&mut self) {
        let observed_s = self.obs.observed_s;
        let unavailable_s = (observed_s - self.obs.time_available_s).max(0.0);
        let u = &mut self.obs.usage;
        u.observed_s = observed_s;
        u.unavailable_s = unavailable_s;
        u.health_checks = self.model.entry_regions.iter().filter(|e| **e).count() as f64;
        u.dns_queries = match &self.model.steering.follow {
            // Each resolver asks again when its cached answer expires: resolvers / TTL per second.
            Follow::Dns { ttl_s, .. } => self
                .model
                .populations
                .iter()
                .map(|p| p.resolvers as f64 / ttl_s.max(1.0) * observed_s)
                .collect(),
            Follow::Anycast { .. } => vec![0.0; self.model.populations.len()],
        };
    }
}
