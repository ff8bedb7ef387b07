//! A request at its population's CDN edge (docs/architecture.md#cdn): a down edge fails it; the edge's
//! or the origin shield's cache answers it; or it goes on to an origin, and the edge may rescue a failed
//! origin attempt (the failover group's secondary, a stale copy).

use crate::model::time::SimTime;
use crate::sim::engine::arena::ReqId;
use crate::sim::engine::cdn::Lookup;
use crate::sim::engine::event::{Event, RequestEvent};
use crate::sim::engine::{Engine, SimError};
use crate::sim::observation::FailureCause;

impl Engine<'_> {
    /// Attempt `req` of a population with a CDN reaches its edge (at the population's location, one
    /// half of the edge's round trip away): an edge that is down fails it; else the edge's or the origin
    /// shield's cache answers it, or it
    /// goes on to the origin, the failover group's primary or else the region DNS named (the
    /// edge→origin leg stands in for the client→region leg, docs/architecture.md#cdn).
    pub(super) fn at_edge(&mut self, req: ReqId) -> Result<(), SimError> {
        let model = self.model;
        let r = *self.traffic.requests.get(req);
        let p = r.population as usize;
        let Some(cdn) = &model.populations[p].cdn else {
            return Ok(());
        };
        if self.faults.cdn_down(p) {
            // The edge is down: it answers the attempt with an error after its round trip, as CDN edges
            // did in their outages (docs/references.md#cdn-outages), whatever the origins' state.
            self.recorder.attempt_sent();
            let r = self.traffic.requests.remove(req);
            let at = self.kernel.now.plus(SimTime::from_secs_f64(cdn.edge_rtt_s));
            self.conclude(r, at, Err(FailureCause::CdnUnavailable));
            return Ok(());
        }
        let edge_one_way = cdn.edge_rtt_s / 2.0;
        let lookup =
            if r.cacheable { self.edges.lookup(model, p, r.index, r.attempt) } else { Lookup::Origin };
        let from = model.populations[p].location;
        let counted = r.counted;
        match lookup {
            Lookup::Edge | Lookup::Shield => {
                self.recorder.attempt_sent();
                let mut rtt = cdn.edge_rtt_s;
                if let (Lookup::Shield, Some(s)) = (lookup, cdn.shield) {
                    rtt += 2.0 * self.traffic.crossing_s(model, p, from, model.regions[s.region].location);
                }
                let r = self.traffic.requests.remove(req);
                if counted {
                    let shield = lookup == Lookup::Shield;
                    self.recorder.tally(&r, |t| {
                        t.edge_hits += f64::from(u8::from(!shield));
                        t.shield_hits += f64::from(u8::from(shield));
                    });
                }
                let at = self.kernel.now.plus(SimTime::from_secs_f64(rtt));
                self.record_final(&r, at, Ok(()), false);
                Ok(())
            }
            Lookup::Origin => {
                let origin = cdn.origins.map_or(r.region as usize, |(primary, _)| primary);
                let one_way = edge_one_way + self.origin_leg_s(p, origin);
                let slot = self.traffic.requests.get_mut(req);
                slot.region = origin as u32;
                slot.back = SimTime::from_secs_f64(one_way);
                if counted {
                    self.recorder.tally(&r, |t| t.origin_requests += 1.0);
                }
                self.send(req, SimTime::from_secs_f64(one_way))
            }
        }
    }

    /// One way from population `p`'s edge to `origin`, through its origin shield if it has one.
    pub(super) fn origin_leg_s(&mut self, p: usize, origin: usize) -> f64 {
        let model = self.model;
        let from = model.populations[p].location;
        let to = model.regions[origin].location;
        match model.populations[p].cdn.as_ref().and_then(|c| c.shield) {
            Some(s) => {
                let via = model.regions[s.region].location;
                self.traffic.crossing_s(model, p, from, via) + self.traffic.crossing_s(model, p, via, to)
            }
            None => self.traffic.crossing_s(model, p, from, to),
        }
    }

    /// The origin attempt of `req` failed at `at` (before its client's deadline): its CDN edge sends
    /// it once to the secondary origin of its failover group, or serves a cacheable one stale when it
    /// may. Whether the edge took it over (`req` is no longer the caller's to finish).
    pub(super) fn edge_rescues(&mut self, req: ReqId, at: SimTime) -> bool {
        let model = self.model;
        let r = *self.traffic.requests.get(req);
        let p = r.population as usize;
        let Some(cdn) = &model.populations[p].cdn else {
            return false;
        };
        let deadline =
            self.behaviours.retries.attempt_deadline(&r, r.start.plus(self.traffic.request_timeout));
        if r.abandoned || at > deadline {
            return false;
        }
        if let Some((_, secondary)) = cdn.origins
            && !r.failed_over
        {
            // The edge learned of the failure at `at`: the attempt leaves it again, for the secondary.
            let leg = SimTime::from_secs_f64(self.origin_leg_s(p, secondary));
            let slot = self.traffic.requests.get_mut(req);
            slot.failed_over = true;
            slot.region = secondary as u32;
            slot.step = 0;
            slot.crossed = false;
            slot.back = SimTime::from_secs_f64(cdn.edge_rtt_s / 2.0).plus(leg);
            if r.counted {
                self.recorder.tally(&r, |t| t.origin_requests += 1.0);
            }
            self.kernel.schedule(at.plus(leg), Event::Request(RequestEvent::Reach { req }));
            return true;
        }
        if cdn.stale_on_error && r.cacheable {
            let r = self.traffic.requests.remove(req);
            if r.counted {
                self.recorder.tally(&r, |t| t.served_stale += 1.0);
            }
            let served = at.plus(SimTime::from_secs_f64(cdn.edge_rtt_s / 2.0)).min(deadline);
            self.conclude(r, served, Ok(()));
            return true;
        }
        false
    }
}
