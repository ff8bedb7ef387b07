//! The recorder: the only writer of a replication's observations. Outcomes of requests (into their
//! (population, entry region) cell, and into the open sampled window's copy), per-request tallies, the
//! timeline, infrastructure and steering events, physical usage, time availability as users and as the
//! infrastructure see it, and the incidents with their recovery (see `incident`).

use super::arena::Request;
use super::incident::Incidents;
use super::steering::Steering;
use crate::model::architecture::Model;
use crate::model::routing::Follow;
use crate::model::scenario::Scenario;
use crate::model::time::SimTime;
use crate::sim::histogram::LatencyHistogram;
use crate::sim::observation::{
    Bucket, FailureCause, InfraEvent, Observations, Slice, SteeringEvent, SteeringKind, Tally, Timeline,
    Usage,
};
use crate::sim::trace::{TraceEvent, TraceLog, What};

mod incidents;

pub(super) struct Recorder {
    pub obs: Observations,
    /// The sampled window's own cells while one is open (see `fidelity`).
    window: Option<Vec<Slice>>,
    pub incidents: Incidents,
    /// The timeline bucket being filled, and the buckets' width.
    current: Bucket,
    pub bucket: SimTime,
    regions: usize,
    /// Time availability: each population's share of traffic, and for each of its answer versions the
    /// share of that answer that serves.
    traffic_share: Vec<f64>,
    served: Vec<Vec<f64>>,
    /// Since when the DNS layer has been down, while it is: clients whose caches were filled after that
    /// are not served (but those whose resolvers serve stale), and the authoritative answer serves no one.
    dns_down_since: Option<SimTime>,
    last_change: SimTime,
    /// Up to when the recovery of populations without traffic has been judged.
    clients_judged: SimTime,
    /// The trace being kept, when the replication is traced (`None`: no cost beyond one test per
    /// outcome).
    pub trace: Option<Box<TraceLog>>,
}

impl Recorder {
    pub fn new(model: &Model, scenario: &Scenario, replication: u32) -> Recorder {
        let n_regions = model.regions.len();
        let bucket = SimTime((scenario.horizon.0 / Timeline::BUCKETS as u64).max(1));
        let total_rate: f64 = scenario.rates_per_s.iter().sum();
        let observed_s = scenario.horizon.since(scenario.warmup).as_secs_f64();
        Recorder {
            obs: Observations {
                replication,
                per_population: vec![Slice::default(); model.populations.len()],
                per_region: vec![Slice::default(); n_regions],
                per_cell: vec![Slice::default(); model.populations.len() * n_regions],
                observed_s,
                request_level_s: observed_s,
                timeline: Timeline { bucket_s: bucket.as_secs_f64(), ..Timeline::default() },
                usage: Usage { instance_s: vec![0.0; model.deployments.len()], ..Default::default() },
                ..Observations::default()
            },
            window: None,
            incidents: Incidents::new(model),
            current: Bucket {
                in_region: vec![0; n_regions],
                queued_in_region: vec![0; n_regions],
                ..Bucket::default()
            },
            bucket,
            regions: n_regions,
            traffic_share: scenario
                .rates_per_s
                .iter()
                .map(|r| if total_rate > 0.0 { r / total_rate } else { 1.0 / model.populations.len() as f64 })
                .collect(),
            served: vec![Vec::new(); model.populations.len()],
            dns_down_since: None,
            last_change: scenario.warmup,
            clients_judged: SimTime::ZERO,
            trace: None,
        }
    }

    fn cell(&self, r: &Request) -> usize {
        r.population as usize * self.regions + r.entry_region as usize
    }

    // ----- requests

    /// A request arrived (`counted`: after the warm-up).
    #[inline]
    pub fn arrival(&mut self, counted: bool) {
        self.current.arrived += 1;
        if counted {
            self.obs.arrivals_in_window += 1;
        }
    }

    /// A client sent an attempt (a request's first, or a retry).
    #[inline]
    /// A client population's breaker for a region opened at `at`: a trip, if inside the observation
    /// window.
    pub fn breaker_tripped(&mut self, scenario: &Scenario, at: SimTime) {
        if at >= scenario.warmup && at <= scenario.horizon {
            self.obs.breaker_trips += 1;
        }
    }

    /// A balancer's outlier detection ejected an instance at `at`: an ejection, if inside the
    /// observation window.
    pub fn ejected(&mut self, scenario: &Scenario, at: SimTime) {
        if at >= scenario.warmup && at <= scenario.horizon {
            self.obs.ejections += 1;
        }
    }

    pub fn attempt_sent(&mut self) {
        self.current.attempts += 1;
    }

    /// Adds to the tallies of request `r`'s cell, and to the open window's copy of that cell.
    pub fn tally(&mut self, r: &Request, mut f: impl FnMut(&mut Tally)) {
        let cell = self.cell(r);
        f(&mut self.obs.per_cell[cell].tally);
        if let Some(window) = &mut self.window {
            f(&mut window[cell].tally);
        }
    }

    /// The bytes of request `r`'s call from region `a` to `b` and its response (a counted request's).
    pub fn crossing(&mut self, model: &Model, r: &Request, a: usize, b: usize) {
        let (up, down) = (model.request_bytes as f64, model.response_bytes as f64);
        let regions = self.regions;
        self.tally(r, |t| {
            t.add_transfer(regions, a, b, up);
            t.add_transfer(regions, b, a, down);
        });
    }

    /// The one place a request's outcome is counted: its cell (and the open window's), the timeline,
    /// the incidents it belongs to, Little's law's tallies, the attempts it took (and whether the retry
    /// budget refused one).
    pub fn outcome(
        &mut self,
        model: &Model,
        scenario: &Scenario,
        r: &Request,
        at: SimTime,
        outcome: Result<(), FailureCause>,
        refused: bool,
    ) {
        let (warmup, horizon) = (scenario.warmup, scenario.horizon);
        if let Some(trace) = &mut self.trace {
            trace.outcome(r.population as usize, at, outcome);
        }
        let cell = self.cell(r);
        // ∫N(t)dt over the window: each request adds the part of its stay inside the window.
        let (a, b) = (r.start.max(warmup), at.min(horizon));
        let inside = if b > a { b.since(a).as_secs_f64() } else { 0.0 };
        if at <= horizon {
            self.current.finished += 1;
            if outcome.is_ok() {
                self.current.succeeded += 1;
                self.current.latency_sum_s += at.since(r.start).as_secs_f64();
            }
        }
        if self.incidents.open > 0 {
            let bin = scenario.recovery.bin;
            self.incidents.note_outcome(r.population as usize, r.start, r.version, outcome.is_ok(), at, bin);
        }
        if !r.counted {
            // Started in the warm-up: only its stay inside the window counts.
            if inside > 0.0 {
                self.tally(r, |t| t.in_system_s += inside);
            }
            return;
        }
        self.obs.outcomes_simulated += 1;
        let latency_s = at.since(r.start).as_secs_f64();
        let egress = model.response_bytes as f64;
        // Through a CDN, the edge sends the response: CDN bytes, not the origin's internet egress
        // (an origin's transfer to the CDN is free, docs/references.md#cloudfront-pricing).
        let edge = model.populations[r.population as usize].cdn.is_some();
        // One pass over the cell (and the open window's): this runs once per request.
        let record = |slice: &mut Slice| {
            let tally = &mut slice.tally;
            tally.in_system_s += inside;
            tally.sojourn_s += latency_s;
            tally.attempts += f64::from(r.attempt) + 1.0;
            tally.retries_refused += f64::from(u8::from(refused));
            match outcome {
                Ok(()) => {
                    slice.counts.succeeded += 1;
                    slice.latency.record_s(latency_s);
                    tally.cross_region += f64::from(u8::from(r.crossed));
                    if edge {
                        tally.cdn_bytes += egress;
                    } else {
                        tally.egress_bytes += egress;
                    }
                }
                Err(cause) => slice.counts.failed[cause as usize] += 1,
            }
        };
        record(&mut self.obs.per_cell[cell]);
        if let Some(window) = &mut self.window {
            record(&mut window[cell]);
        }
    }

    // ----- sampled windows

    /// Opens a sampled window: outcomes are recorded into its cells too until it closes.
    pub fn open_window(&mut self) {
        self.window = Some(vec![Slice::default(); self.obs.per_cell.len()]);
    }

    /// Closes the window (if one is open) and returns its cells.
    pub fn close_window(&mut self) -> Option<Vec<Slice>> {
        self.window.take()
    }

    /// The fast-forward's skipped successes of cell `i`: `n` latencies drawn from `from`'s shape.
    pub fn add_skipped_latencies(&mut self, i: usize, from: &LatencyHistogram, n: f64) {
        self.obs.per_cell[i].latency.add_scaled(from, n);
    }

    /// The fast-forward's expected outcomes and tallies of every cell, rounded once here: the skipped
    /// successes are the latencies the skips already added to each cell's histogram.
    pub fn merge_fast_forward(
        &mut self,
        outcomes: &[[f64; 1 + FailureCause::ALL.len()]],
        tallies: &[Tally],
    ) -> u64 {
        let mut added = 0;
        for ((cell, slot), tally) in self.obs.per_cell.iter_mut().zip(outcomes).zip(tallies) {
            let n = |x: f64| x.round().max(0.0) as u64;
            let succeeded = cell.latency.count() - cell.counts.succeeded;
            let failed: Vec<u64> = slot[1..].iter().map(|&x| n(x)).collect();
            let attempted = succeeded + failed.iter().sum::<u64>();
            cell.counts.succeeded += succeeded;
            for (c, f) in cell.counts.failed.iter_mut().zip(failed) {
                *c += f;
            }
            // Skipped attempts are the skipped requests' at least: the expected amounts round apart.
            let attempts_before = cell.tally.attempts;
            cell.tally.add(tally);
            cell.tally.round_counts();
            cell.tally.attempts = cell.tally.attempts.max(attempts_before + attempted as f64);
            added += attempted;
        }
        self.obs.arrivals_in_window += added;
        self.obs.fast_forwarded = added;
        added
    }

    // ----- timeline

    /// Closes the timeline bucket ending now with the occupancy given; returns it for the fast-forward
    /// to add its skipped flows to, then [`Recorder::push_bucket`].
    pub fn take_bucket(&mut self, in_region: Vec<u32>, queued: Vec<u32>) -> Bucket {
        let regions = self.regions;
        let mut b = std::mem::replace(
            &mut self.current,
            Bucket { in_region: vec![0; regions], queued_in_region: vec![0; regions], ..Bucket::default() },
        );
        for (a, x) in b.in_region.iter_mut().zip(in_region) {
            *a += x;
        }
        for (a, x) in b.queued_in_region.iter_mut().zip(queued) {
            *a += x;
        }
        b
    }

    /// Adds a closed bucket to the timeline; whether another follows.
    pub fn push_bucket(&mut self, b: Bucket) -> bool {
        self.obs.timeline.buckets.push(b);
        self.obs.timeline.buckets.len() < Timeline::BUCKETS
    }

    /// A component went down or came back (`event`, stamped now), kept for the timeline's markers.
    pub fn infra_event(&mut self, scenario: &Scenario, now: SimTime, event: InfraEvent) {
        if now > scenario.horizon {
            return;
        }
        let infra = &mut self.obs.timeline.infra;
        if infra.len() >= Timeline::MAX_INFRA_EVENTS {
            self.obs.timeline.infra_truncated = true;
            return;
        }
        infra.push(event);
    }

    pub fn steering_event(&mut self, scenario: &Scenario, now: SimTime, kind: SteeringKind, subject: String) {
        self.counted_event(scenario, now, kind, subject, None);
    }

    /// A steering event with a count of instances (an autoscaler's action).
    pub fn counted_event(
        &mut self,
        scenario: &Scenario,
        now: SimTime,
        kind: SteeringKind,
        subject: String,
        count: Option<i64>,
    ) {
        if now <= scenario.horizon {
            self.obs.timeline.steering.push(SteeringEvent { t_s: now.as_secs_f64(), kind, subject, count });
        }
    }

    /// Whether a trace is kept and `now` lies in its window: callers build an event only then.
    pub fn tracing(&self, now: SimTime) -> bool {
        self.trace.as_ref().is_some_and(|t| t.covers(now))
    }

    /// Whether a trace is kept (answer changes before its window matter to it too).
    pub fn traced(&self) -> bool {
        self.trace.is_some()
    }

    /// Keeps a trace event stamped `now` (nothing when not tracing; the log keeps what its window needs).
    pub fn trace_event(
        &mut self,
        now: SimTime,
        what: What,
        component: Option<String>,
        region: Option<String>,
        population: Option<String>,
    ) {
        if let Some(trace) = &mut self.trace {
            trace.push(TraceEvent { t_s: now.as_secs_f64(), what, component, region, population });
        }
    }

    // ----- usage and availability

    pub fn instance_seconds(&mut self, d: usize, seconds: f64) {
        self.obs.usage.instance_s[d] += seconds;
    }

    /// Sets what each population's answer versions serve, after a change of what serves (`serves[r]`:
    /// region r's whole path serves; `edges[p]`: population p's CDN edge, if it has one, is up) or of
    /// the answers; `dns_down_since`: since when the DNS layer has been down, if it is). Account the time
    /// before the change first.
    pub fn refresh_served(
        &mut self,
        steering: &Steering,
        serves: &[bool],
        edges: &[bool],
        dns_down_since: Option<SimTime>,
    ) {
        self.dns_down_since = dns_down_since;
        self.served = steering
            .answers
            .iter()
            .zip(edges)
            .map(|(a, &edge)| {
                a.versions
                    .iter()
                    .map(|v| {
                        if !edge {
                            return 0.0;
                        }
                        v.answer.shares().filter(|&(r, _)| serves[r]).map(|(_, s)| s).sum()
                    })
                    .collect()
            })
            .collect();
    }

    /// ∫ over `[a, b)` of the share of population `p`'s clients whose cached answer can serve them
    /// \[s\], with what serves as it is now.
    pub fn served_share_integral(
        &self,
        model: &Model,
        steering: &Steering,
        p: usize,
        a: SimTime,
        b: SimTime,
    ) -> f64 {
        if b <= a {
            return 0.0;
        }
        let answers = &steering.answers[p];
        let mut since = answers.since_s();
        let Some(t0) = self.dns_down_since else {
            let integrals = model.steering.version_integrals(&since, a.as_secs_f64(), b.as_secs_f64());
            return integrals.iter().zip(&self.served[p]).map(|(i, s)| i * s).sum();
        };
        // The DNS layer is down since t0 (docs/architecture.md#dns-layer): the clients whose caches were
        // filled at or after t0 could not resolve, so the version current at t0 is split there, and
        // what was filled from t0 on serves only the share whose resolvers serve stale, with the answer
        // current at t0.
        let t0 = t0.as_secs_f64();
        let k = since.iter().rposition(|&s| s <= t0).unwrap_or(0);
        since.insert(k + 1, t0);
        let integrals = model.steering.version_integrals(&since, a.as_secs_f64(), b.as_secs_f64());
        let stale = model.populations[p].serve_stale_share * self.served[p][k];
        let cached: f64 = integrals[..=k].iter().zip(&self.served[p]).map(|(i, s)| i * s).sum();
        cached + integrals[k + 1..].iter().sum::<f64>() * stale
    }

    /// Adds the time since the last change to the available time, as users see it (each population's
    /// clients on the answer their caches hold, weighted by traffic share) and as the infrastructure
    /// sees it (the authoritative answers only). Called before every change of what serves or of the
    /// answers, so what serves is constant over the interval.
    pub fn account_availability(
        &mut self,
        model: &Model,
        scenario: &Scenario,
        steering: &Steering,
        until: SimTime,
    ) {
        let until = until.min(scenario.horizon);
        if until <= self.last_change {
            return;
        }
        let (a, b) = (self.last_change, until);
        let span = b.since(a).as_secs_f64();
        let (mut client, mut infra) = (0.0, 0.0);
        for p in 0..model.populations.len() {
            let w = self.traffic_share[p];
            client += w * self.served_share_integral(model, steering, p, a, b);
            // While the DNS layer is down the authoritative answer reaches no one.
            let authoritative = if self.dns_down_since.is_some() { 0.0 } else { 1.0 };
            infra += w * span * authoritative * self.served[p].last().copied().unwrap_or(0.0);
        }
        self.obs.time_available_s += client.clamp(0.0, span);
        self.obs.time_available_infra_s += infra.clamp(0.0, span);
        self.last_change = until;
    }

    /// Usage that depends only on the window: DNS queries, health checks, unavailable time.
    pub fn finish_usage(&mut self, model: &Model) {
        let observed_s = self.obs.observed_s;
        let unavailable_s = (observed_s - self.obs.time_available_s).max(0.0);
        let u = &mut self.obs.usage;
        u.observed_s = observed_s;
        u.unavailable_s = unavailable_s;
        u.health_checks = model.entry_regions.iter().filter(|e| **e).count() as f64;
        u.dns_queries = match &model.steering.follow {
            // Each resolver asks again when its cached answer expires: resolvers / TTL per second.
            Follow::Dns { ttl_s, .. } => {
                model.populations.iter().map(|p| p.resolvers as f64 / ttl_s.max(1.0) * observed_s).collect()
            }
            Follow::Anycast { .. } => vec![0.0; model.populations.len()],
        };
    }

    // ----- the end

    /// Merges the cells into the total, per-population and per-region slices, and fills the usage the
    /// tallies hold; returns the observations.
    pub fn finish(mut self, model: &Model) -> Observations {
        self.finish_usage(model);
        let regions = self.regions;
        if model.populations.iter().any(|p| p.cdn.is_some()) {
            self.obs.usage.cdn_bytes = self.obs.per_cell.iter().map(|c| c.tally.cdn_bytes).collect();
        }
        for (i, cell) in std::mem::take(&mut self.obs.per_cell).into_iter().enumerate() {
            for slice in [
                &mut self.obs.total,
                &mut self.obs.per_population[i / regions],
                &mut self.obs.per_region[i % regions],
            ] {
                slice.add(&cell);
            }
        }
        let t = self.obs.total.tally.clone();
        let count = |v: f64| v.round().max(0.0) as u64;
        self.obs.in_system_area_s = t.in_system_s;
        self.obs.reads = count(t.reads);
        self.obs.writes = count(t.writes);
        self.obs.stale_reads = count(t.stale_reads);
        self.obs.lost_updates = count(t.lost_updates);
        self.obs.cross_region = count(t.cross_region);
        self.obs.edge_hits = count(t.edge_hits);
        self.obs.shield_hits = count(t.shield_hits);
        self.obs.origin_requests = count(t.origin_requests);
        self.obs.served_stale = count(t.served_stale);
        self.obs.residency_violations = count(t.residency_violations);
        let stores = model.stores.len();
        let per_region_egress: Vec<f64> = self.obs.per_region.iter().map(|s| s.tally.egress_bytes).collect();
        let u = &mut self.obs.usage;
        u.transfer_bytes =
            if t.transfer_bytes.is_empty() { vec![0.0; regions * regions] } else { t.transfer_bytes };
        u.egress_bytes = per_region_egress;
        u.dependency_calls = if model.dependencies.is_empty() {
            Vec::new()
        } else if t.dependency_calls.is_empty() {
            vec![0.0; model.dependencies.len()]
        } else {
            t.dependency_calls
        };
        u.writes = vec![0.0; stores];
        u.replicated_writes = vec![0.0; stores];
        if let Some(s) = model.path_store {
            u.writes[s] = t.writes;
            u.replicated_writes[s] = t.replicated_writes;
        }
        self.obs
    }
}
