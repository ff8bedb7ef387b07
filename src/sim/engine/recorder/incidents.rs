//! The recorder's incidents: when a region's entry point stops serving while clients are routed to it,
//! an incident opens; it collects detection, the DNS switch, writes lost and each stranded population's
//! evidence, is judged as outcomes arrive (the recovery rule is the engine's `incident` module), and ends
//! as a [`Failover`] in the observations.

use super::Recorder;
use crate::model::architecture::Model;
use crate::model::scenario::Scenario;
use crate::model::time::SimTime;
use crate::sim::engine::incident::{
    CLIENT_GRID, Evidence, Flows, Incident, RELAPSE_WATCH, RequestBins, Rule, Track,
};
use crate::sim::engine::steering::Steering;
use crate::sim::engine::stores::Loss;
use crate::sim::observation::Failover;
use crate::sim::trace::What;

impl Recorder {
    /// The share of population `p`'s clients routed to region `r` at `now` (stale caches included).
    fn share_routed_to(model: &Model, steering: &Steering, p: usize, r: usize, now: SimTime) -> f64 {
        let a = &steering.answers[p];
        let shares = model.steering.version_shares(&a.since_s(), now.as_secs_f64());
        shares
            .zip(&a.versions)
            .map(|(s, v)| s * v.answer.shares().filter(|(x, _)| *x == r).map(|(_, w)| w).sum::<f64>())
            .sum()
    }

    /// The share of population `p`'s clients whose cached answer can serve them at `t`, with what
    /// serves as it is now.
    fn served_share_at(&self, model: &Model, steering: &Steering, p: usize, t: SimTime) -> f64 {
        let a = &steering.answers[p];
        let shares = model.steering.version_shares(&a.since_s(), t.as_secs_f64());
        shares.zip(&self.served[p]).map(|(s, v)| s * v).sum()
    }

    /// Region `r`'s entry point stopped serving at `now`: an incident opens if a material share of some
    /// population's clients is routed to it (more than `1 − level`).
    pub fn start_incident(
        &mut self,
        model: &Model,
        scenario: &Scenario,
        steering: &Steering,
        r: usize,
        now: SimTime,
    ) {
        match &self.incidents.by_region[r] {
            // Only watched for relapses: the region fails again, so that incident is over.
            Some(i) if i.tracks.iter().all(|t| t.outcome.is_some()) => self.end_incident(model, r),
            Some(_) => return,
            None => {}
        }
        let material = 1.0 - scenario.recovery.level;
        let tracks: Vec<Track> = (0..model.populations.len())
            .filter(|&p| {
                steering.answers[p].may_reach(r)
                    && Self::share_routed_to(model, steering, p, r, now) > material
            })
            .map(|p| Track {
                population: p,
                version_at_start: steering.answers[p].current().number,
                first_response: None,
                evidence: if scenario.rates_per_s[p] > 0.0 {
                    Evidence::Requests(RequestBins::default())
                } else {
                    Evidence::Clients { run_start: None }
                },
                outcome: None,
                watch_to: None,
                relapsed: None,
            })
            .collect();
        if tracks.is_empty() {
            return;
        }
        if self.tracing(now) {
            let populations = tracks.iter().map(|t| model.populations[t.population].name.clone()).collect();
            let region = model.regions[r].name.clone();
            self.trace_event(now, What::Incident { populations }, None, Some(region), None);
        }
        self.incidents.by_region[r] = Some(Incident {
            start: now,
            detected: None,
            dns_switched: None,
            tracks,
            writes_lost: 0,
            rpo_s: None,
        });
        self.incidents.open += 1;
    }

    pub fn incident_detected(&mut self, r: usize, now: SimTime) {
        if let Some(i) = &mut self.incidents.by_region[r] {
            i.detected.get_or_insert(now);
        }
    }

    pub fn incident_dns_switched(&mut self, r: usize, now: SimTime) {
        if let Some(i) = &mut self.incidents.by_region[r] {
            i.dns_switched.get_or_insert(now);
        }
    }

    /// Writes lost when a copy in region `r` failed: part of that region's incident if one is open.
    pub fn loss(&mut self, model: &Model, r: usize, loss: Loss) {
        let rpo = loss.failed_at.since(loss.oldest).as_secs_f64();
        if self.tracing(loss.failed_at) {
            let region = model.regions[r].name.clone();
            let store = format!("store:{}@{region}", model.stores[loss.store].name);
            let what = What::WritesLost { count: loss.count, oldest_s: rpo };
            self.trace_event(loss.failed_at, what, Some(store), Some(region), None);
        }
        match &mut self.incidents.by_region[r] {
            Some(i) => {
                i.writes_lost += loss.count;
                i.rpo_s = Some(i.rpo_s.map_or(rpo, |x: f64| x.max(rpo)));
            }
            None => self.obs.failovers.push(Failover {
                region: model.regions[r].name.clone(),
                start_s: loss.failed_at.as_secs_f64(),
                rpo_s: Some(rpo),
                writes_lost: loss.count,
                ..Failover::default()
            }),
        }
    }

    /// Expected (fast-forwarded) requests for population `p`'s track of region `r`'s incident.
    pub fn incident_flows(&mut self, r: usize, p: usize, a: SimTime, b: SimTime, bin: SimTime, flow: Flows) {
        self.incidents.add_expected(r, p, a, b, bin, flow);
    }

    /// Judges the open incidents on the evidence complete by `now` (every request sent in a judged bin
    /// has an outcome: the request timeout has passed since), and ends those whose populations all
    /// recovered. `at_end`: the run is over, every bin up to the horizon is complete.
    pub fn judge_incidents(
        &mut self,
        model: &Model,
        scenario: &Scenario,
        steering: &Steering,
        now: SimTime,
        request_timeout: SimTime,
        at_end: bool,
    ) {
        if self.incidents.open == 0 {
            return;
        }
        self.judge_clients(model, scenario, steering, now.min(scenario.horizon), at_end);
        let rec = scenario.recovery;
        let rule = Rule {
            window: (rec.window.0 / rec.bin.0) as usize,
            hold: (rec.hold.0 / rec.bin.0) as usize,
            level: rec.level,
            bin: rec.bin,
        };
        let horizon = scenario.horizon;
        let done_by =
            if at_end { horizon } else { SimTime(now.0.saturating_sub(request_timeout.0)).min(horizon) };
        for r in 0..self.incidents.by_region.len() {
            let Some(i) = &mut self.incidents.by_region[r] else { continue };
            let complete = (done_by.since(i.start).0 / rec.bin.0) as usize;
            let watch = (RELAPSE_WATCH.0 / rec.bin.0) as usize;
            for t in &mut i.tracks {
                let Evidence::Requests(bins) = &mut t.evidence else { continue };
                if t.outcome.is_none() {
                    t.outcome = bins.judge(complete, &rule, i.start, at_end);
                    if let Some(Some(_)) = t.outcome
                        && !at_end
                    {
                        t.watch_to = Some(bins.judged_to() + watch);
                    }
                }
                if let Some(to) = t.watch_to {
                    t.relapsed = bins.relapse(complete, &rule, i.start, to);
                    if t.relapsed.is_some() || at_end || bins.judged_to() >= to {
                        t.watch_to = None;
                    }
                }
            }
            if i.tracks.iter().all(|t| !t.open()) {
                self.end_incident(model, r);
            }
        }
    }

    /// Populations without traffic, over `[judged, until)`, during which what serves has not changed:
    /// the served share is checked on a grid of points, a crossing of the level located by bisection,
    /// and the population recovered once the share has held the level for `hold`. Called before every
    /// change of what serves.
    pub fn judge_clients(
        &mut self,
        model: &Model,
        scenario: &Scenario,
        steering: &Steering,
        until: SimTime,
        at_end: bool,
    ) {
        let from = std::mem::replace(&mut self.clients_judged, until);
        if self.incidents.open == 0 || (until <= from && !at_end) {
            return;
        }
        let level = scenario.recovery.level;
        let hold = scenario.recovery.hold;
        for r in 0..self.incidents.by_region.len() {
            let Some(i) = &self.incidents.by_region[r] else { continue };
            let a = from.max(i.start);
            let mut updates = Vec::new();
            for (k, t) in i.tracks.iter().enumerate() {
                let Evidence::Clients { run_start } = t.evidence else { continue };
                if t.outcome.is_some() {
                    continue;
                }
                let mut run = run_start;
                let mut outcome = None;
                if until > a {
                    let good = |time: SimTime| {
                        self.served_share_at(model, steering, t.population, time) >= level * (1.0 - 1e-12)
                    };
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

    fn end_incident(&mut self, model: &Model, r: usize) {
        let Some(i) = self.incidents.by_region[r].take() else { return };
        self.incidents.open -= 1;
        let since = |t: Option<SimTime>| t.map(|t| t.since(i.start).as_secs_f64());
        for t in &i.tracks {
            if let Some(Some(at)) = t.outcome
                && self.tracing(at)
            {
                let what = What::Recovered { after_s: at.since(i.start).as_secs_f64() };
                let population = Some(model.populations[t.population].name.clone());
                let region = Some(model.regions[r].name.clone());
                self.trace_event(at, what, None, region, population);
            }
        }
        let recovered = i.tracks.iter().map(|t| t.outcome.flatten()).collect::<Option<Vec<_>>>();
        let first = i.tracks.iter().map(|t| t.first_response).collect::<Option<Vec<_>>>();
        self.obs.failovers.push(Failover {
            region: model.regions[r].name.clone(),
            start_s: i.start.as_secs_f64(),
            detection_s: since(i.detected),
            dns_switch_s: since(i.dns_switched),
            first_response_s: since(first.and_then(|v| v.into_iter().max())),
            rto_s: since(recovered.and_then(|v| v.into_iter().max())),
            rpo_s: i.rpo_s,
            writes_lost: i.writes_lost,
            relapsed_s: since(i.tracks.iter().filter_map(|t| t.relapsed).min()),
        });
    }
}
