//! Failover metrics. An incident starts when a region's entry point stops serving while some
//! population's answer points at it; it records when health checks noticed, when DNS answers moved,
//! the writes lost, and ends when every affected population has had a successful request that started
//! after the failure (RTO: failure → that first success, the last population's).

use super::Engine;
use super::data::Loss;
use crate::model::Model;
use crate::observation::Failover;
use crate::routing::Follow;
use crate::time::SimTime;

pub(super) struct Incident {
    start: SimTime,
    detected: Option<SimTime>,
    dns_switched: Option<SimTime>,
    /// Affected populations and their first success after `start`.
    affected: Vec<(usize, Option<SimTime>)>,
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
}

impl Engine<'_> {
    pub(super) fn start_incident(&mut self, r: usize) {
        if self.incidents.by_region[r].is_some() {
            return;
        }
        let affected: Vec<(usize, Option<SimTime>)> = (0..self.model.populations.len())
            .filter(|&p| self.steer.answers[p].now.contains(r))
            .map(|p| (p, None))
            .collect();
        if affected.is_empty() {
            return;
        }
        self.incidents.by_region[r] = Some(Incident {
            start: self.now,
            detected: None,
            dns_switched: None,
            affected,
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

    /// A request of population `p` that started at `start` succeeded at `at`.
    pub(super) fn note_success(&mut self, p: usize, start: SimTime, at: SimTime) {
        for r in 0..self.incidents.by_region.len() {
            let Some(i) = &mut self.incidents.by_region[r] else { continue };
            if start < i.start {
                continue;
            }
            if let Some(slot) = i.affected.iter_mut().find(|(q, first)| *q == p && first.is_none()) {
                slot.1 = Some(at);
            }
            if i.affected.iter().all(|(_, first)| first.is_some()) {
                self.end_incident(r);
            }
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

    fn end_incident(&mut self, r: usize) {
        let Some(i) = self.incidents.by_region[r].take() else { return };
        self.incidents.open -= 1;
        let since = |t: Option<SimTime>| t.map(|t| t.since(i.start).as_secs_f64());
        let recovered =
            i.affected.iter().map(|(_, f)| *f).collect::<Option<Vec<_>>>().and_then(|v| v.into_iter().max());
        self.obs.failovers.push(Failover {
            region: self.model.regions[r].name.clone(),
            start_s: i.start.as_secs_f64(),
            detection_s: since(i.detected),
            dns_switch_s: since(i.dns_switched),
            rto_s: since(recovered),
            rpo_s: i.rpo_s,
            writes_lost: i.writes_lost,
        });
    }

    /// Incidents still open at the end: recorded without an RTO (not recovered within the horizon).
    pub(super) fn close_incidents(&mut self) {
        for r in 0..self.incidents.by_region.len() {
            if let Some(i) = &mut self.incidents.by_region[r] {
                for slot in &mut i.affected {
                    slot.1 = slot.1.or(Some(SimTime::NEVER));
                }
                let censored = i.affected.iter().any(|(_, f)| *f == Some(SimTime::NEVER));
                self.end_incident(r);
                if censored && let Some(last) = self.obs.failovers.last_mut() {
                    last.rto_s = None;
                }
            }
        }
    }

    /// Usage that depends only on the window: DNS queries, health checks, unavailable hours.
    pub(super) fn finish_usage(&mut self) {
        let observed_s = self.obs.observed_s;
        let u = &mut self.obs.usage;
        u.observed_h = observed_s / 3600.0;
        u.unavailable_h = (observed_s - self.obs.time_available_s).max(0.0) / 3600.0;
        u.health_checks = self.model.entry_regions.iter().filter(|e| **e).count() as f64;
        if let Follow::Dns { ttl_s, .. } = &self.model.steering.follow {
            // Each resolver asks again when its cached answer expires: resolvers / TTL queries per second.
            let ttl = ttl_s.max(1.0);
            u.dns_queries =
                self.model.populations.iter().map(|p| p.resolvers as f64 / ttl * observed_s).sum();
            let price = |p: &crate::model::Population| {
                self.model
                    .prices
                    .dns_usd_per_million_queries
                    .unwrap_or(p.routing.query_price_usd_per_million())
            };
            let total: f64 = self.model.populations.iter().map(|p| p.resolvers as f64).sum();
            u.dns_usd_per_million = if total > 0.0 {
                self.model.populations.iter().map(|p| price(p) * p.resolvers as f64).sum::<f64>() / total
            } else {
                0.0
            };
        }
    }
}
