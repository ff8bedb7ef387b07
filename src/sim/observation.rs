//! What one replication observed: counters, latency histograms and a coarse timeline. Nothing is stored
//! per request (docs/architecture.md#statistics).

use serde::{Deserialize, Serialize};

use crate::sim::histogram::LatencyHistogram;

mod outcome;

pub use outcome::{Counts, FailureCause, Tally};

/// What one replication used over its observation window, in physical units. Prices are applied
/// afterwards (`analysis::cost`), so a change of price needs no new simulation.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Usage {
    /// The observation window \[s\].
    pub observed_s: f64,
    /// Per deployment (model order): instance-seconds provisioned, standby postures and scale-ups
    /// included.
    pub instance_s: Vec<f64>,
    /// Bytes sent between regions (calls, their responses, replication), row-major by (from, to).
    pub transfer_bytes: Vec<f64>,
    /// Per region: bytes of responses sent to clients over the internet.
    pub egress_bytes: Vec<f64>,
    /// Per store: writes accepted.
    pub writes: Vec<f64>,
    /// Per store: writes applied at replicas (each write once per replica it reaches).
    pub replicated_writes: Vec<f64>,
    /// Per population: DNS queries of its resolvers (resolvers / TTL per second).
    pub dns_queries: Vec<f64>,
    /// Health checks running: one per region running the entry service (billed per month).
    pub health_checks: f64,
    /// Time unavailable as users see it, traffic-weighted \[s\].
    pub unavailable_s: f64,
    /// Per dependency (model order): calls made on cache misses; empty for a model without
    /// dependencies (and in results written before they existed).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependency_calls: Vec<f64>,
    /// Bytes CDN edges sent to clients, row-major by (population, entry region) over the model's
    /// populations and regions; empty for a model without a CDN (docs/architecture.md#cdn).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cdn_bytes: Vec<f64>,
}

/// Counts, latencies and per-request tallies of one slice of the traffic (all, a population, a region).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Slice {
    /// Outcomes.
    pub counts: Counts,
    /// Latencies of the successful requests.
    pub latency: LatencyHistogram,
    /// Per-request quantities, summed.
    pub tally: Tally,
}

impl Slice {
    /// Adds another slice (counts, latencies and tallies).
    pub fn add(&mut self, o: &Slice) {
        self.counts.add(&o.counts);
        self.latency.merge(&o.latency);
        self.tally.add(&o.tally);
    }
}

/// A component going down or coming back, for timelines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InfraEvent {
    /// When it happened \[s\] from the start of the replication.
    pub t_s: f64,
    /// `zone:use1-az1`, `instance:api@us-east-1#0`, `region:us-east-1`.
    pub component: String,
    /// Whether it came back (`false`: it went down).
    pub up: bool,
    /// An injected outage rather than a random failure.
    pub injected: bool,
    /// For a gray failure, how the component serves instead of stopping (`slow ×3`, `failing 50%`);
    /// `None` when it crashed (or, for a return, when the failure that ended was a crash).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub degraded: Option<String>,
}

/// What the routing and recovery machinery did, for timelines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SteeringKind {
    /// Health checks declared a region's endpoint unhealthy.
    Detection,
    /// Health checks declared it healthy again.
    Recovered,
    /// DNS answers (or anycast routes) changed for at least one population.
    DnsSwitch,
    /// A store replica became the primary.
    Promotion,
    /// A standby deployment reached its full fleet.
    ScaleUp,
    /// It went back to its standby posture.
    ScaleIn,
    /// An autoscaler launched instances (`count` of them).
    AutoscaleOut,
    /// An autoscaler started draining instances (`count` of them).
    AutoscaleIn,
    /// An autoscaler wanted to change the fleet (`count` instances) but the region's control plane was
    /// down.
    AutoscaleBlocked,
}

/// A step of detection, steering or recovery, for timelines.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SteeringEvent {
    /// When it happened \[s\] from the start of the replication.
    pub t_s: f64,
    /// What happened.
    pub kind: SteeringKind,
    /// `region:us-east-1`, `store:orders`, `api@us-west-2`.
    pub subject: String,
    /// For an autoscaling event, how many instances it launched, drained, or wanted to change (negative:
    /// fewer).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<i64>,
}

/// One failover (or attempted one): a region's entry point stopped serving populations routed to it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Failover {
    /// The region whose entry point stopped serving.
    pub region: String,
    /// When the region stopped serving \[s\].
    pub start_s: f64,
    /// Failure → health checks declare it unhealthy \[s\]; `None` if it recovered first.
    pub detection_s: Option<f64>,
    /// Failure → DNS answers change \[s\].
    pub dns_switch_s: Option<f64>,
    /// Failure → the first successful request of every affected population, sent after the failure by a
    /// client whose answer is not older than the failure \[s\] (the last population's).
    #[serde(default)]
    pub first_response_s: Option<f64>,
    /// Failure → every affected population has recovered as users see it (its success ratio over a
    /// sliding window back at the scenario's `recovery` level, and held) \[s\]; `None` if not by the end.
    pub rto_s: Option<f64>,
    /// Age of the oldest write lost at the failure instant \[s\]; `None` when nothing was lost.
    pub rpo_s: Option<f64>,
    /// Writes lost: accepted by a copy in the region but not yet at the replicas when it failed.
    pub writes_lost: u64,
    /// Failure → the first window, within 15 minutes of a population's recovery, whose success ratio
    /// fell below the recovery level again \[s\]: the recovery did not hold (an overloaded recovery
    /// region); `None` when every recovery held.
    #[serde(default)]
    pub relapsed_s: Option<f64>,
}

/// One time bucket of a replication's timeline.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Bucket {
    /// Requests that arrived in this bucket (the offered load).
    pub arrived: u64,
    /// Requests that finished (had their outcome) in this bucket.
    pub finished: u64,
    /// Of those, the requests that succeeded.
    pub succeeded: u64,
    /// Sum of the latencies of the successful requests that finished in this bucket \[s\].
    pub latency_sum_s: f64,
    /// Attempts sent in this bucket, first attempts and retries (equal to `arrived` without retries).
    #[serde(default)]
    pub attempts: u64,
    /// At the end of the bucket, per region: requests at its instances (queued or in service).
    pub in_region: Vec<u32>,
    /// At the end of the bucket, per region: requests queued at its instances (not in service).
    pub queued_in_region: Vec<u32>,
    /// At the end of the bucket, per deployment (model order): instances provisioned and not draining
    /// (the fleet size, which standby postures and autoscaling change).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub instances: Vec<u32>,
}

/// A coarse timeline of one replication: enough to chart an outage, small enough to keep for each.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Timeline {
    /// Width of each bucket \[s\]: the horizon over [`Timeline::BUCKETS`].
    pub bucket_s: f64,
    /// The buckets, in time order.
    pub buckets: Vec<Bucket>,
    /// Components going down or coming back, in time order (at most [`Timeline::MAX_INFRA_EVENTS`]).
    pub infra: Vec<InfraEvent>,
    /// Detections, DNS switches, promotions, scale-ups.
    #[serde(default)]
    pub steering: Vec<SteeringEvent>,
    /// Infrastructure events beyond [`Timeline::MAX_INFRA_EVENTS`] were not kept.
    pub infra_truncated: bool,
}

impl Timeline {
    /// Buckets a timeline divides the horizon into.
    pub const BUCKETS: usize = 240;
    /// Infrastructure events kept per timeline; later ones are dropped and `infra_truncated` is set.
    pub const MAX_INFRA_EVENTS: usize = 2_000;
}

/// Everything one replication reports. Serialized, it is what a shard's partial file holds per
/// replication (without the timeline, which the report takes from the representative replication
/// alone).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Observations {
    /// Index of the replication, from 0.
    pub replication: u32,
    /// Every counted request.
    pub total: Slice,
    /// By traffic population (population id order).
    pub per_population: Vec<Slice>,
    /// By the region a request entered.
    pub per_region: Vec<Slice>,
    /// While running: by (population, entry region), `p * regions + r`, so each request is recorded once.
    /// Merged into the slices above, and emptied, at the end of the replication.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub per_cell: Vec<Slice>,
    /// Time availability as users see it \[s\]: over the observation window, the traffic-weighted share of
    /// each population's clients whose cached answer sends them to a region whose whole path serves.
    pub time_available_s: f64,
    /// The same with every client on the authoritative (current) answer: the infrastructure's view \[s\].
    pub time_available_infra_s: f64,
    /// The time observed \[s\] (the horizon after warm-up).
    pub observed_s: f64,
    /// ∫ N(t) dt over the observation window, N = requests between arrival and final outcome [request·s]
    /// (the sum of the slices' `in_system_s`, like the data and transfer figures below).
    pub in_system_area_s: f64,
    /// Requests that arrived inside the observation window.
    pub arrivals_in_window: u64,
    /// Outcomes of counted requests simulated one by one (each must match one counted arrival).
    pub outcomes_simulated: u64,
    /// Events the engine processed.
    pub events: u64,
    /// Time of the observation window simulated request by request \[s\] (all of it at full fidelity).
    pub request_level_s: f64,
    /// Requests accounted for from sampled windows rather than simulated (sampled fidelity).
    pub fast_forwarded: u64,
    /// The coarse timeline of the whole horizon, warm-up included.
    pub timeline: Timeline,
    /// The replication's failovers, in the order they closed; a loss of writes outside any failover is one of
    /// its own (with only `start_s`, `rpo_s` and `writes_lost`).
    pub failovers: Vec<Failover>,
    /// Multi-writer writes dropped by last-writer-wins.
    pub lost_updates: u64,
    /// Reads that missed a write accepted elsewhere and not yet applied.
    pub stale_reads: u64,
    /// Store reads of counted requests.
    pub reads: u64,
    /// Store writes of counted requests.
    pub writes: u64,
    /// Counted requests that crossed between regions (a call or a store access in another region).
    pub cross_region: u64,
    /// Times a client population's circuit breaker for a region opened inside the observation window
    /// (a half-open breaker whose probe fails opens again: that counts too).
    #[serde(default)]
    pub breaker_trips: u64,
    /// Breaker trips expected in the fast-forwarded stretches, from each window's attempt failure share
    /// (see `fidelity::expected_trips`): trips sampled fidelity could not simulate.
    #[serde(default)]
    pub breaker_trips_skipped: f64,
    /// Times a balancer's outlier detection ejected an instance inside the observation window.
    #[serde(default)]
    pub ejections: u64,
    /// Counted requests' attempts a CDN edge answered from its cache.
    #[serde(default)]
    pub edge_hits: u64,
    /// Counted requests' attempts a CDN's origin shield answered.
    #[serde(default)]
    pub shield_hits: u64,
    /// Counted requests' legs a CDN edge sent to an origin.
    #[serde(default)]
    pub origin_requests: u64,
    /// Counted requests a CDN served stale because the origin failed.
    #[serde(default)]
    pub served_stale: u64,
    /// Counted requests served outside their population's data residency (`ServeElsewhere`).
    #[serde(default)]
    pub residency_violations: u64,
    /// Physical usage, for the bill.
    pub usage: Usage,
}

impl Observations {
    /// The invariants every replication's observations satisfy, checked cheaply at its end (see
    /// `engine::run`): every counted arrival has exactly one outcome, the slices add up, each success
    /// has one latency, availabilities lie in [0, 1], tallies are finite and non-negative. `Err` says
    /// which failed; it is a bug in regionsim, never a property of the model.
    pub fn check_invariants(&self) -> Result<(), String> {
        let simulated_arrivals =
            self.arrivals_in_window.checked_sub(self.fast_forwarded).ok_or_else(|| {
                format!(
                    "{} requests fast-forwarded but only {} arrived",
                    self.fast_forwarded, self.arrivals_in_window
                )
            })?;
        if self.outcomes_simulated != simulated_arrivals {
            return Err(format!(
                "{simulated_arrivals} counted arrivals were simulated but {} outcomes recorded",
                self.outcomes_simulated
            ));
        }
        let attempted = self.total.counts.attempted();
        if attempted != self.arrivals_in_window {
            return Err(format!(
                "{} requests arrived in the window but {attempted} have an outcome",
                self.arrivals_in_window
            ));
        }
        let per_population: u64 = self.per_population.iter().map(|s| s.counts.attempted()).sum();
        let per_region: u64 = self.per_region.iter().map(|s| s.counts.attempted()).sum();
        if per_population != attempted || per_region != attempted {
            return Err(format!(
                "outcomes per population ({per_population}) and per region ({per_region}) do not add up to \
                 {attempted}"
            ));
        }
        for s in std::iter::once(&self.total).chain(&self.per_population).chain(&self.per_region) {
            if s.latency.count() != s.counts.succeeded {
                return Err(format!(
                    "{} latencies recorded for {} successes",
                    s.latency.count(),
                    s.counts.succeeded
                ));
            }
        }
        let observed = self.observed_s.max(f64::MIN_POSITIVE);
        for (what, v) in [
            ("request availability", self.total.counts.availability()),
            ("time availability", self.time_available_s / observed),
            ("infrastructure time availability", self.time_available_infra_s / observed),
        ] {
            if !(-1e-9..=1.0 + 1e-9).contains(&v) {
                return Err(format!("{what} {v} is outside [0, 1]"));
            }
        }
        let t = &self.total.tally;
        // Every request with an outcome took at least one attempt (fast-forwarded amounts are
        // rounded, hence the half).
        if t.attempts + 0.5 < self.total.counts.attempted() as f64 {
            return Err(format!(
                "{} attempts for {} requests with an outcome",
                t.attempts,
                self.total.counts.attempted()
            ));
        }
        if [t.in_system_s, t.sojourn_s, t.egress_bytes, t.reads, t.writes]
            .iter()
            .chain(&t.transfer_bytes)
            .any(|v| !(v.is_finite() && *v >= -1e-9))
        {
            return Err(format!("a negative or non-finite tally: {t:?}"));
        }
        Ok(())
    }

    /// Time availability as users see it, in [0, 1].
    pub fn time_availability(&self) -> f64 {
        if self.observed_s > 0.0 { (self.time_available_s / self.observed_s).clamp(0.0, 1.0) } else { 1.0 }
    }

    /// Time availability as the infrastructure sees it (authoritative answers), in [0, 1].
    pub fn time_availability_infra(&self) -> f64 {
        if self.observed_s > 0.0 {
            (self.time_available_infra_s / self.observed_s).clamp(0.0, 1.0)
        } else {
            1.0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Observations of 10 arrivals, 9 successes and a timeout, consistent in every slice.
    fn consistent() -> Observations {
        let mut slice = Slice::default();
        slice.counts.succeeded = 9;
        slice.counts.failed[FailureCause::Timeout as usize] = 1;
        slice.tally.attempts = 12.0;
        for _ in 0..9 {
            slice.latency.record_s(0.01);
        }
        Observations {
            total: slice.clone(),
            per_population: vec![slice.clone()],
            per_region: vec![slice],
            arrivals_in_window: 10,
            outcomes_simulated: 10,
            observed_s: 100.0,
            time_available_s: 99.0,
            time_available_infra_s: 100.0,
            ..Observations::default()
        }
    }

    #[test]
    fn consistent_observations_pass_and_each_broken_invariant_is_named() {
        assert_eq!(consistent().check_invariants(), Ok(()));
        type Corruption = (&'static str, fn(&mut Observations));
        let broken: [Corruption; 7] = [
            ("outcomes recorded", |o| o.outcomes_simulated = 11),
            ("have an outcome", |o| {
                o.arrivals_in_window = 12;
                o.outcomes_simulated = 12;
            }),
            ("do not add up", |o| o.per_region[0].counts.succeeded = 8),
            ("latencies recorded", |o| o.total.latency.record_s(1.0)),
            ("outside [0, 1]", |o| o.time_available_s = 101.0),
            ("non-finite tally", |o| o.total.tally.egress_bytes = f64::NAN),
            ("attempts for", |o| o.total.tally.attempts = 9.0),
        ];
        for (needle, corrupt) in broken {
            let mut o = consistent();
            corrupt(&mut o);
            let e = o.check_invariants().expect_err(needle);
            assert!(e.contains(needle), "{e}");
        }
    }
}
