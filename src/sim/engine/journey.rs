//! The journey of a request through the subsystems: it leaves its client (`traffic`), is routed to a
//! region (`steering`), crosses the network, passes each service of the path (`fleet`), reaches the
//! store (`stores`), and its outcome is recorded (`recorder`). The extension points of request
//! behaviour (`behaviour`) are called where a request is admitted and where an attempt ends.

use super::arena::{ReqId, Request};
use super::behaviour::{Admission, AttemptOutcome};
use super::dependencies::Need;
use super::event::{Event, RequestEvent};
use super::fleet::Enqueued;
use super::{Engine, SimError};
use crate::model::queueing::Discipline;
use crate::model::residency::Policy;
use crate::model::time::SimTime;
use crate::sim::observation::FailureCause;

mod breakers;
mod edge;

impl Engine<'_> {
    /// Population `p`'s next request leaves its client now.
    pub(super) fn on_arrival(&mut self, p: usize) -> Result<(), SimError> {
        let now = self.kernel.now;
        self.traffic.schedule_arrival(self.scenario, p, now);
        let model = self.model;
        let index = self.traffic.sent[p];
        self.traffic.sent[p] += 1;
        let resolved = self.steering.resolve(model, p, index, now, self.faults.dns_down_since());
        // A client that cannot resolve is still counted in the cell its current answer names.
        let (region, version) = resolved.unwrap_or_else(|| self.steering.choose_region(model, p, index, now));
        let (write, key) =
            if model.path_store.is_some() { self.stores.draw_operation(p, index) } else { (false, 0) };
        let counted = now >= self.scenario.warmup;
        self.recorder.arrival(counted);
        let one_way =
            self.traffic.crossing_s(model, p, model.populations[p].location, model.regions[region].location);
        let serial = self.behaviours.retries.next_serial();
        let cacheable = self.edges.cacheable(model, p, index);
        let req = self.traffic.requests.insert(Request {
            population: p as u32,
            entry_region: region as u32,
            region: region as u32,
            step: 0,
            write,
            crossed: false,
            key,
            start: now,
            back: SimTime::from_secs_f64(one_way),
            counted,
            version,
            index,
            attempt: 0,
            abandoned: false,
            attempt_start: now,
            serial,
            cacheable,
            failed_over: false,
            outside: false,
            last_sleep_s: 0.0,
            hop_retries: 0,
        });
        if resolved.is_none() {
            self.unresolved(req);
            return Ok(());
        }
        self.dispatch(req)
    }

    /// The client of attempt `req` needs to resolve while the DNS layer is down, and cannot
    /// (docs/architecture.md#dns-layer): the attempt fails at once at the client, sending nothing.
    fn unresolved(&mut self, req: ReqId) {
        let r = self.traffic.requests.remove(req);
        self.conclude(r, self.kernel.now, Err(FailureCause::DnsUnavailable));
    }

    /// Attempt `req` is about to leave its client for its entry region: its breaker lets it through,
    /// sends it to a fallback region, or refuses it (it fails at once, costing no network time).
    fn dispatch(&mut self, req: ReqId) -> Result<(), SimError> {
        let r = *self.traffic.requests.get(req);
        match self.behaviours.admit(&r) {
            Admission::Admit => {}
            Admission::Redirect(region) => {
                let model = self.model;
                let p = r.population as usize;
                let to = model.regions[region].location;
                let one_way = self.traffic.crossing_s(model, p, model.populations[p].location, to);
                let slot = self.traffic.requests.get_mut(req);
                slot.entry_region = region as u32;
                slot.region = region as u32;
                slot.back = SimTime::from_secs_f64(one_way);
            }
            Admission::Refuse => {
                let r = self.traffic.requests.remove(req);
                self.conclude(r, self.kernel.now, Err(FailureCause::BreakerOpen));
                return Ok(());
            }
        }
        if self.model.populations[r.population as usize].cdn.is_some() {
            return self.at_edge(req);
        }
        // A request's `back` is the one-way time of its first crossing until it moves on.
        let one_way = self.traffic.requests.get(req).back;
        self.send(req, one_way)
    }

    /// How long whoever connects for `r` waits for an origin that does not answer: its CDN edge's
    /// connection timeout times its attempts, or the client's connect timeout.
    fn connect_wait(&self, r: &Request) -> SimTime {
        let cdn = self.model.populations[r.population as usize].cdn.as_ref();
        SimTime::from_secs_f64(cdn.map_or(self.model.network.connect_timeout_s, |c| c.origin_connect_wait_s))
    }

    /// Sends attempt `req`, which reaches its entry's balancer after `one_way`; its client abandons it at
    /// its attempt timeout, if it has one.
    fn send(&mut self, req: ReqId, one_way: SimTime) -> Result<(), SimError> {
        self.recorder.attempt_sent();
        let r = *self.traffic.requests.get(req);
        let deadline = r.start.plus(self.traffic.request_timeout);
        let abandon = self.behaviours.retries.attempt_deadline(&r, deadline);
        if abandon < deadline {
            let event = Event::Request(RequestEvent::AttemptTimeout { req, serial: r.serial });
            self.kernel.schedule(abandon, event);
        }
        self.reach_after(one_way, req)
    }

    /// The client of `req` sends it again, to the region its (possibly newer) DNS answer names.
    pub(super) fn on_retry(&mut self, req: ReqId) -> Result<(), SimError> {
        let now = self.kernel.now;
        let model = self.model;
        let r = *self.traffic.requests.get(req);
        let p = r.population as usize;
        let resolved = self.steering.resolve(model, p, r.index, now, self.faults.dns_down_since());
        let (region, version) =
            resolved.unwrap_or_else(|| self.steering.choose_region(model, p, r.index, now));
        let one_way =
            self.traffic.crossing_s(model, p, model.populations[p].location, model.regions[region].location);
        let slot = self.traffic.requests.get_mut(req);
        slot.entry_region = region as u32;
        slot.region = region as u32;
        slot.step = 0;
        slot.crossed = false;
        slot.back = SimTime::from_secs_f64(one_way);
        slot.version = version;
        slot.attempt_start = now;
        slot.failed_over = false;
        if resolved.is_none() {
            self.unresolved(req);
            return Ok(());
        }
        self.dispatch(req)
    }

    /// The client of attempt `serial` gives up on it: the attempt is left to finish for nobody (its
    /// server does not know), and the request retries or times out.
    pub(super) fn on_attempt_timeout(&mut self, req: ReqId, serial: u32) {
        if !self.traffic.requests.is_live(req) {
            return;
        }
        let r = *self.traffic.requests.get(req);
        if r.serial != serial || r.abandoned {
            return;
        }
        self.traffic.requests.get_mut(req).abandoned = true;
        self.conclude(r, self.kernel.now, Err(FailureCause::Timeout));
    }

    /// Delivers `req` to its current step's load balancer after `delay`: at once when the delay is zero
    /// (co-located clients and services), saving an event per crossing on the hot path.
    fn reach_after(&mut self, delay: SimTime, req: ReqId) -> Result<(), SimError> {
        if delay == SimTime::ZERO {
            self.on_reach(req)
        } else if self.model.network.jitter.is_none() {
            // Fixed crossing times: a first-in first-out lane per delay (see `transit`).
            let now = self.kernel.now;
            self.kernel.transit.send(now, delay, req);
            Ok(())
        } else {
            let at = self.kernel.now.plus(delay);
            self.kernel.schedule(at, Event::Request(RequestEvent::Reach { req }));
            Ok(())
        }
    }

    /// `req` reaches the load balancer of its current step's service.
    pub(super) fn on_reach(&mut self, req: ReqId) -> Result<(), SimError> {
        let r = *self.traffic.requests.get(req);
        let now = self.kernel.now;
        if self.behaviours.hops.active() && r.counted {
            self.count_call(&r, r.step as usize);
        }
        let timeout = self.traffic.request_timeout;
        if now.since(r.start) > timeout {
            // The caller has given up (deadlines propagate along the path): not served.
            self.finish(req, Err(FailureCause::Timeout));
            return Ok(());
        }
        if let Some(res) = self.model.populations[r.population as usize].residency
            && !res.allows(r.region as usize)
            && self.refused_outside(req, res.policy)
        {
            return Ok(());
        }
        let service = self.model.request_path[r.step as usize];
        let Some(d) = self.model.services[service].deployment_in[r.region as usize] else {
            // Validation guarantees a deployment for every step's region.
            self.finish(req, Err(FailureCause::NoHealthyInstance));
            return Ok(());
        };
        match self.fleet.pick(self.model, d) {
            None => {
                // Nothing answers: the client gives up after its connect timeout, whatever happens
                // meanwhile, so the outcome is known now and needs no event.
                let wait = self.connect_wait(&r);
                self.finish_at(req, now.plus(wait), Err(FailureCause::NoHealthyInstance));
                Ok(())
            }
            Some(i) if !self.fleet.up(i) => {
                // Sent to an instance that crashed but is still in its balancer's rotation (its health
                // checks have not noticed): nothing answers, the client gives up at its connect timeout.
                let wait = self.connect_wait(&r);
                self.instance_result(i, true, now.plus(wait));
                self.finish_at(req, now.plus(wait), Err(FailureCause::TargetDown));
                Ok(())
            }
            Some(i) if let Some(hang) = self.fleet.fails_request(self.model, i) => {
                // A partly failing instance: an error at once, or no answer until the client gives up.
                self.instance_result(i, true, if hang { r.start.plus(timeout) } else { now });
                if hang {
                    self.finish_at(req, r.start.plus(timeout), Err(FailureCause::Timeout));
                } else {
                    self.finish(req, Err(FailureCause::InstanceError));
                }
                Ok(())
            }
            Some(i) if !self.dependencies_met(i, &r) => {
                // A dependency's cache entry had expired and its copy does not answer: the instance's
                // call gets no answer until its connect timeout, and the request fails.
                let wait = SimTime::from_secs_f64(self.model.network.connect_timeout_s);
                self.instance_result(i, true, now.plus(wait));
                self.finish_at(req, now.plus(wait), Err(FailureCause::DependencyUnavailable));
                Ok(())
            }
            Some(i) => {
                let mut deadline = r.start.plus(timeout);
                if let Discipline::DeadlineAware { .. } = self.model.services[service].discipline {
                    // A deadline-aware server is told the attempt's deadline (its client propagates it);
                    // others learn only that the request's client has gone.
                    deadline = self.behaviours.retries.attempt_deadline(&r, deadline);
                }
                let budget = self.scenario.max_queue;
                match self.fleet.enqueue(
                    self.model,
                    &mut self.behaviours,
                    &mut self.kernel,
                    budget,
                    i,
                    req,
                    deadline,
                ) {
                    Enqueued::Accepted => Ok(()),
                    Enqueued::Shed => {
                        self.instance_result(i, true, now);
                        self.finish(req, Err(FailureCause::QueueFull));
                        Ok(())
                    }
                    Enqueued::Unmeetable => {
                        self.instance_result(i, true, now);
                        self.finish(req, Err(FailureCause::Shed));
                        Ok(())
                    }
                    Enqueued::OverBudget => Err(SimError::QueueBudget {
                        replication: self.replication,
                        seed: self.seed,
                        instance: self.model.instances[i].name.clone(),
                        limit: budget,
                        t_s: now.as_secs_f64(),
                    }),
                }
            }
        }
    }

    /// `req` is to be served outside its population's data residency (docs/architecture.md#residency):
    /// under `Fail` it is refused at once (`residency`, and this returns true); under `ServeElsewhere`
    /// it goes on, counted once as a violation.
    fn refused_outside(&mut self, req: ReqId, policy: Policy) -> bool {
        match policy {
            Policy::Fail => {
                self.finish(req, Err(FailureCause::Residency));
                true
            }
            Policy::ServeElsewhere => {
                self.served_outside(req);
                false
            }
        }
    }

    /// `req` is served outside its population's data residency: a counted request's first time is a
    /// violation.
    fn served_outside(&mut self, req: ReqId) {
        let slot = self.traffic.requests.get_mut(req);
        if slot.outside {
            return;
        }
        slot.outside = true;
        let r = *slot;
        if r.counted {
            self.recorder.tally(&r, |t| t.residency_violations += 1.0);
        }
    }

    /// Whether instance `i` has what its service's dependencies give (from its caches, or by calling
    /// the copies for its region, tallied for request `r`), so that it can serve `r`.
    fn dependencies_met(&mut self, i: usize, r: &Request) -> bool {
        let model = self.model;
        let deps = &model.services[model.instances[i].service].depends_on;
        if deps.is_empty() {
            return true;
        }
        let (faults, region) = (&self.faults, model.instances[i].region);
        let copy_up = |d: usize| faults.dependency_up(model, d, region);
        let need = self.dependencies.need(i, deps, self.kernel.now, copy_up);
        if r.counted && !self.dependencies.calls().is_empty() {
            let (calls, count) = (self.dependencies.calls(), model.dependencies.len());
            self.recorder.tally(r, |t| calls.iter().for_each(|&d| t.add_dependency_call(count, d)));
        }
        need == Need::Met
    }

    /// A server of instance `i` finished `req`: the next waiting request starts (those whose clients
    /// gave up time out), and `req` moves on.
    pub(super) fn on_depart(&mut self, i: usize, req: ReqId, epoch: u32) -> Result<(), SimError> {
        let Some(gone) = self.fleet.depart(self.model, &mut self.behaviours, &mut self.kernel, i, req, epoch)
        else {
            return Ok(()); // the instance failed while serving: the request was already failed
        };
        self.instance_result(i, false, self.kernel.now);
        // Dropped unserved: a timeout (recorded at the deadline by `finish_at`), or shed now.
        for (next, cause) in gone {
            self.finish(next, Err(cause));
        }
        self.advance(req)
    }

    /// Moves a request to the next service of its path, to the store, or completes it.
    fn advance(&mut self, req: ReqId) -> Result<(), SimError> {
        let model = self.model;
        let r = *self.traffic.requests.get(req);
        let next = r.step as usize + 1;
        let from = r.region as usize;
        if next == model.request_path.len() {
            let outcome = match model.path_store {
                None => Ok(SimTime::ZERO),
                Some(store) => self.store_operation(req, store, from),
            };
            match outcome {
                Ok(extra) => {
                    let r = *self.traffic.requests.get(req);
                    let done = self.kernel.now.plus(extra).plus(r.back);
                    self.finish_at(req, done, Ok(()));
                }
                Err(cause) => self.end_call(req, next, self.kernel.now, Err(cause)),
            }
            return Ok(());
        }
        let Some(to) = model.step_region[from][next] else {
            self.end_call(req, next, self.kernel.now, Err(FailureCause::NoHealthyInstance));
            return Ok(());
        };
        let one_way = if to == from {
            model.network.hop_rtt_s / 2.0
        } else {
            if self.faults.link_down(from, to) {
                self.end_call(req, next, self.kernel.now, Err(FailureCause::Partition));
                return Ok(());
            }
            self.cross(req, from, to);
            self.traffic.crossing_s(
                model,
                r.population as usize,
                model.regions[from].location,
                model.regions[to].location,
            )
        };
        let delay = SimTime::from_secs_f64(one_way);
        let slot = self.traffic.requests.get_mut(req);
        slot.step = next as u8;
        slot.region = to as u32;
        slot.back = slot.back.plus(delay);
        self.reach_after(delay, req)
    }

    /// The store operation of `req` in `region`, its effects recorded; on success, the time it adds.
    fn store_operation(&mut self, req: ReqId, store: usize, region: usize) -> Result<SimTime, FailureCause> {
        let r = *self.traffic.requests.get(req);
        if self.behaviours.hops.active() && r.counted {
            self.count_call(&r, self.model.request_path.len());
        }
        let residency = self.model.populations[r.population as usize].residency;
        let op =
            self.stores.operation(self.model, &self.faults, self.kernel.now, &r, store, region, residency)?;
        if let Some((a, b)) = op.crossed {
            self.cross(req, a, b);
        }
        if op.outside {
            self.served_outside(req);
        }
        let r = *self.traffic.requests.get(req);
        let regions = self.model.regions.len();
        let bytes = self.model.stores[store].write_bytes as f64;
        self.recorder.tally(&r, |t| {
            t.reads += f64::from(u8::from(op.read));
            t.stale_reads += f64::from(u8::from(op.stale));
            t.lost_updates += f64::from(u8::from(op.lost_update));
            if op.write {
                t.writes += 1.0;
                t.replicated_writes += op.replicated_to.len() as f64;
                for &to in &op.replicated_to {
                    t.add_transfer(regions, op.at_region, to, bytes);
                }
            }
        });
        Ok(op.extra)
    }

    /// A request's call from region `a` to region `b`: it crossed regions, and a counted one's bytes
    /// each way are tallied.
    fn cross(&mut self, req: ReqId, a: usize, b: usize) {
        let r = self.traffic.requests.get_mut(req);
        r.crossed = true;
        if r.counted {
            let r = *r;
            self.recorder.crossing(self.model, &r, a, b);
        }
    }

    pub(super) fn finish(&mut self, req: ReqId, outcome: Result<(), FailureCause>) {
        self.finish_at(req, self.kernel.now, outcome);
    }

    /// A request's attempt ends at `at` with `outcome` as its client sees it; an outcome later than
    /// the client's request timeout is a timeout, seen at the deadline. The request is freed and its
    /// outcome recorded.
    fn finish_at(&mut self, req: ReqId, at: SimTime, outcome: Result<(), FailureCause>) {
        let callee = self.traffic.requests.get(req).step as usize;
        self.end_call(req, callee, at, outcome);
    }

    /// The call of `req` into hop `callee` (its place in the request path; the path's length for the
    /// store) ended at `at` with `outcome`. A failure may be retried by a service above it (`hop`);
    /// else the attempt ends, as `finish_at` says.
    fn end_call(&mut self, req: ReqId, callee: usize, at: SimTime, outcome: Result<(), FailureCause>) {
        if let Err(cause) = outcome
            && self.behaviours.hops.active()
        {
            let r = *self.traffic.requests.get(req);
            let deadline =
                self.behaviours.retries.attempt_deadline(&r, r.start.plus(self.traffic.request_timeout));
            if !r.abandoned
                && let Some(retry) = self.behaviours.hops.decide(&r, callee, at, cause, deadline)
            {
                let event = Event::Request(RequestEvent::HopRetry { req, caller: retry.caller });
                self.kernel.schedule(retry.at, event);
                return;
            }
        }
        if outcome.is_err() && self.edge_rescues(req, at) {
            return;
        }
        let r = self.traffic.requests.remove(req);
        if r.abandoned {
            return; // its client gave up on this attempt: the request has moved on
        }
        let deadline =
            self.behaviours.retries.attempt_deadline(&r, r.start.plus(self.traffic.request_timeout));
        let (at, outcome) =
            if at > deadline { (deadline, Err(FailureCause::Timeout)) } else { (at, outcome) };
        self.conclude(r, at, outcome);
    }

    /// Attempt `r` (no longer in its slot) ended at `at` with `outcome`: the request's outcome, or a
    /// retry in a fresh slot.
    fn conclude(&mut self, r: Request, at: SimTime, outcome: Result<(), FailureCause>) {
        let deadline = r.start.plus(self.traffic.request_timeout);
        let decision = self.behaviours.attempt_outcome(&mut self.kernel, &r, at, outcome, deadline);
        self.note_breakers();
        match decision {
            AttemptOutcome::Final { refused } => self.record_final(&r, at, outcome, refused),
            AttemptOutcome::Retry { at: when, sleep_s } => {
                let serial = self.behaviours.retries.next_serial();
                let next = Request {
                    attempt: r.attempt + 1,
                    abandoned: false,
                    serial,
                    last_sleep_s: sleep_s as f32,
                    hop_retries: 0,
                    ..r
                };
                let id = self.traffic.requests.insert(next);
                self.kernel.schedule(when, Event::Request(RequestEvent::Retry { req: id }));
            }
        }
    }

    /// The service at place `caller` of `req`'s path calls the next hop again (`hop`): the request goes
    /// back to that service's region, with the way back from there retraced (a jittered crossing is
    /// drawn again), and moves on afresh.
    pub(super) fn on_hop_retry(&mut self, req: ReqId, caller: u8) -> Result<(), SimError> {
        let r = *self.traffic.requests.get(req);
        if r.abandoned {
            self.traffic.requests.remove(req); // its client has gone: the attempt ends for nobody
            return Ok(());
        }
        let model = self.model;
        let p = r.population as usize;
        let mut region = r.entry_region as usize;
        let first =
            self.traffic.crossing_s(model, p, model.populations[p].location, model.regions[region].location);
        let mut back = SimTime::from_secs_f64(first);
        for step in 1..=caller as usize {
            // The request passed these steps on its way, so each has a region.
            let Some(to) = model.step_region[region][step] else { break };
            let one_way = if to == region {
                model.network.hop_rtt_s / 2.0
            } else {
                self.traffic.crossing_s(model, p, model.regions[region].location, model.regions[to].location)
            };
            back = back.plus(SimTime::from_secs_f64(one_way));
            region = to;
        }
        if r.counted {
            self.recorder.tally(&r, |t| t.hop_retries += 1.0);
        }
        let slot = self.traffic.requests.get_mut(req);
        slot.step = caller;
        slot.region = region as u32;
        slot.back = back;
        slot.hop_retries = super::hop::after_retry(r.hop_retries, caller as usize);
        self.advance(req)
    }

    /// A counted request `r` calls hop `place` of its path (the path's length for the store).
    fn count_call(&mut self, r: &Request, place: usize) {
        let hops = self.model.request_path.len() + usize::from(self.model.path_store.is_some());
        self.recorder.tally(r, |t| t.add_hop_call(hops, place));
    }

    /// Records request `r`'s outcome, with the attempts it took (and whether the retry budget refused
    /// one).
    pub(super) fn record_final(
        &mut self,
        r: &Request,
        at: SimTime,
        outcome: Result<(), FailureCause>,
        refused: bool,
    ) {
        self.recorder.outcome(self.model, self.scenario, r, at, outcome, refused);
    }
}
