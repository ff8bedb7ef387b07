//! What became of requests: why one failed ([`FailureCause`], the one list of causes), how many
//! ended each way ([`Counts`]), and what they carried ([`Tally`]).

use serde::{Deserialize, Serialize};

use crate::model::retry::FailureClass;

/// Why a request failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureCause {
    /// No healthy instance could take it: the client gave up after its connect timeout.
    NoHealthyInstance = 0,
    /// Its instance failed while it was queued or in service.
    InstanceFailed = 1,
    /// The instance's queue was full (`max_queue`): shed at once.
    QueueFull = 2,
    /// The store copy it needed was down or being promoted (or a synchronous replica was unreachable).
    StoreUnavailable = 3,
    /// It had to cross between two regions that were partitioned.
    Partition = 4,
    /// Its client gave up waiting (`network.request_timeout_ms`); a queue that reaches it afterwards
    /// drops it unserved.
    Timeout = 5,
    /// Still in flight when the simulation ended, its client's deadline not yet passed: the honest
    /// outcome of a request whose service outlasts the clock (only with a request timeout longer than
    /// anything the clock can reach).
    Unfinished = 6,
    /// Its balancer sent it to an instance that had crashed but was still in rotation (the balancer's
    /// health checks had not noticed yet): the client gave up at its connect timeout.
    TargetDown = 7,
    /// A partly failing instance (a gray failure) answered it with an error.
    InstanceError = 8,
    /// Deadline-aware shedding turned it away: its instance could not serve it before its client's
    /// deadline (`queue_discipline: DeadlineAware`).
    Shed = 9,
    /// A dependency its instance needed (a token, a key: the model's `dependencies`) was not in the
    /// instance's cache and its copy did not answer: the request failed at the instance's connect timeout.
    DependencyUnavailable = 10,
    /// Its client's circuit breaker for the region was open (or half-open with its probes out), and no
    /// fallback region took it: it failed at once at the client, costing no network time.
    BreakerOpen = 11,
    /// It reached a service, or needed a store copy, outside its population's data residency, whose
    /// policy is `Fail` (docs/architecture.md#residency): refused at once where it was.
    Residency = 12,
    /// Its population's CDN edge was down (an outage or a failure of the `Cdn` component): the edge
    /// answered the attempt with an error after its round trip (docs/architecture.md#cdn).
    CdnUnavailable = 13,
    /// Its client's cached DNS answer had expired while the DNS layer was down (an outage or a failure
    /// of the `Dns` component), and its resolver does not serve stale: it could not resolve, and failed
    /// at once at the client, costing no network time (docs/architecture.md#dns-layer).
    DnsUnavailable = 14,
}

impl FailureCause {
    /// Every cause, in the order of their discriminants (the index of each in [`Counts::failed`]).
    pub const ALL: [FailureCause; 15] = [
        FailureCause::NoHealthyInstance,
        FailureCause::InstanceFailed,
        FailureCause::QueueFull,
        FailureCause::StoreUnavailable,
        FailureCause::Partition,
        FailureCause::Timeout,
        FailureCause::Unfinished,
        FailureCause::TargetDown,
        FailureCause::InstanceError,
        FailureCause::Shed,
        FailureCause::DependencyUnavailable,
        FailureCause::BreakerOpen,
        FailureCause::Residency,
        FailureCause::CdnUnavailable,
        FailureCause::DnsUnavailable,
    ];

    /// The name used in reports and `results.json`.
    pub fn key(self) -> &'static str {
        match self {
            FailureCause::NoHealthyInstance => "no_healthy_instance",
            FailureCause::InstanceFailed => "instance_failed",
            FailureCause::QueueFull => "queue_full",
            FailureCause::StoreUnavailable => "store_unavailable",
            FailureCause::Partition => "partition",
            FailureCause::Timeout => "timeout",
            FailureCause::Unfinished => "unfinished",
            FailureCause::TargetDown => "target_down",
            FailureCause::InstanceError => "instance_error",
            FailureCause::Shed => "shed",
            FailureCause::DependencyUnavailable => "dependency_unavailable",
            FailureCause::BreakerOpen => "breaker_open",
            FailureCause::Residency => "residency",
            FailureCause::CdnUnavailable => "cdn_unavailable",
            FailureCause::DnsUnavailable => "dns_unavailable",
        }
    }

    /// Its class, as a client's retry policy (`retry_on`) sees it: the one place every cause is
    /// classified.
    pub fn class(self) -> FailureClass {
        match self {
            FailureCause::Timeout | FailureCause::Unfinished => FailureClass::Timeout,
            FailureCause::NoHealthyInstance
            | FailureCause::TargetDown
            | FailureCause::Partition
            | FailureCause::DependencyUnavailable => FailureClass::Connection,
            // Nothing answered the resolution (SERVFAIL or a timeout at the stub resolver): the SDKs
            // treat an unresolvable host as a connection error.
            FailureCause::DnsUnavailable => FailureClass::Connection,
            FailureCause::InstanceFailed | FailureCause::InstanceError | FailureCause::StoreUnavailable => {
                FailureClass::ServerError
            }
            FailureCause::QueueFull | FailureCause::Shed | FailureCause::BreakerOpen => {
                FailureClass::Throttled
            }
            // A refusal where the request is, like a forbidden answer: the server's error.
            FailureCause::Residency => FailureClass::ServerError,
            // The edge answers with a 5xx, as CDN edges did in their outages
            // (docs/references.md#cdn-outages).
            FailureCause::CdnUnavailable => FailureClass::ServerError,
        }
    }
}

/// Request outcomes, counted for requests that arrived after the warm-up. Only outcomes are counted:
/// a request is attempted once it has one, so `attempted = succeeded + failed` holds by construction.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Requests that succeeded.
    pub succeeded: u64,
    /// Requests that failed, by cause: indexed by `FailureCause as usize`.
    pub failed: [u64; FailureCause::ALL.len()],
}

impl Counts {
    /// Requests that failed, whatever the cause.
    pub fn failed_total(&self) -> u64 {
        self.failed.iter().sum()
    }

    /// Requests with an outcome: succeeded or failed.
    pub fn attempted(&self) -> u64 {
        self.succeeded + self.failed_total()
    }

    /// Successful / attempted; 1 when nothing was attempted (a period with no requests counts as
    /// available, as in the Well-Architected definition).
    pub fn availability(&self) -> f64 {
        let attempted = self.attempted();
        if attempted == 0 { 1.0 } else { self.succeeded as f64 / attempted as f64 }
    }

    /// Adds `other`'s counts to these.
    pub fn add(&mut self, other: &Counts) {
        self.succeeded += other.succeeded;
        for (a, b) in self.failed.iter_mut().zip(other.failed) {
            *a += b;
        }
    }
}

/// Per-request quantities summed over the requests of one slice of the traffic. Counts are kept as
/// `f64` so that the fast-forward can add expected (fractional) amounts; every field is summed, none
/// means anything by its position.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Tally {
    /// Time the requests spent in the system inside the observation window [request·s].
    pub in_system_s: f64,
    /// Time from arrival to outcome, whole, of every request with an outcome [request·s]: Little's W.
    pub sojourn_s: f64,
    /// Store reads.
    pub reads: f64,
    /// Store writes accepted.
    pub writes: f64,
    /// Writes applied at replicas (each write once per replica it reaches).
    pub replicated_writes: f64,
    /// Reads that missed a write accepted elsewhere and not yet applied.
    pub stale_reads: f64,
    /// Multi-writer writes dropped by last-writer-wins.
    pub lost_updates: f64,
    /// Successful requests that crossed between regions (a call or a store access in another region).
    pub cross_region: f64,
    /// Bytes of responses sent to clients over the internet (from the slice's entry region).
    pub egress_bytes: f64,
    /// Bytes sent between regions, row-major by (from, to) over the model's regions; empty until the
    /// first crossing.
    pub transfer_bytes: Vec<f64>,
    /// Attempts of the requests with an outcome, retries included (equal to their number without
    /// retries).
    pub attempts: f64,
    /// Retries a client wanted and its retry budget refused.
    pub retries_refused: f64,
    /// Calls to each dependency (model order) on a cache miss; empty until the first call.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dependency_calls: Vec<f64>,
    /// Calls reaching each hop of the request path (its services in order, then its store), first
    /// attempts and every retry above them included; empty unless a service retries its calls.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hop_calls: Vec<f64>,
    /// Retries services made of their calls to the next hop.
    #[serde(default)]
    pub hop_retries: f64,
    /// Attempts a CDN edge answered from its cache (docs/architecture.md#cdn).
    #[serde(default)]
    pub edge_hits: f64,
    /// Attempts a CDN's origin shield answered from its cache.
    #[serde(default)]
    pub shield_hits: f64,
    /// Requests a CDN edge sent to an origin (each origin of a failover group it tried once).
    #[serde(default)]
    pub origin_requests: f64,
    /// Requests a CDN served from a stale copy because the origin failed.
    #[serde(default)]
    pub served_stale: f64,
    /// Bytes of responses a CDN edge sent to clients (not billed as the origin's internet egress).
    #[serde(default)]
    pub cdn_bytes: f64,
    /// Requests served (by a service or a store copy) outside their population's data residency,
    /// under `ServeElsewhere` (docs/architecture.md#residency).
    #[serde(default)]
    pub residency_violations: f64,
}

impl Tally {
    /// Adds `bytes` sent from region `a` to region `b` of `regions`.
    pub fn add_transfer(&mut self, regions: usize, a: usize, b: usize, bytes: f64) {
        if self.transfer_bytes.is_empty() {
            self.transfer_bytes = vec![0.0; regions * regions];
        }
        self.transfer_bytes[a * regions + b] += bytes;
    }

    /// Adds a call to hop `place` of a request path of `hops` (services, then the store).
    pub fn add_hop_call(&mut self, hops: usize, place: usize) {
        if self.hop_calls.is_empty() {
            self.hop_calls = vec![0.0; hops];
        }
        self.hop_calls[place] += 1.0;
    }

    /// Adds a call to dependency `d` of `dependencies`.
    pub fn add_dependency_call(&mut self, dependencies: usize, d: usize) {
        if self.dependency_calls.is_empty() {
            self.dependency_calls = vec![0.0; dependencies];
        }
        self.dependency_calls[d] += 1.0;
    }

    /// Adds `k` times `o`.
    pub fn add_scaled(&mut self, o: &Tally, k: f64) {
        self.add_scaled_per_request(o, k);
        if !o.dependency_calls.is_empty() {
            if self.dependency_calls.is_empty() {
                self.dependency_calls = vec![0.0; o.dependency_calls.len()];
            }
            for (a, b) in self.dependency_calls.iter_mut().zip(&o.dependency_calls) {
                *a += b * k;
            }
        }
    }

    /// Adds `k` times what `o` counts in proportion to requests: everything but the dependency calls,
    /// which depend on how long each instance's cache has been valid, not on the requests alone (the
    /// fast-forward adds those in closed form).
    pub fn add_scaled_per_request(&mut self, o: &Tally, k: f64) {
        self.in_system_s += o.in_system_s * k;
        self.sojourn_s += o.sojourn_s * k;
        self.reads += o.reads * k;
        self.writes += o.writes * k;
        self.replicated_writes += o.replicated_writes * k;
        self.stale_reads += o.stale_reads * k;
        self.lost_updates += o.lost_updates * k;
        self.cross_region += o.cross_region * k;
        self.egress_bytes += o.egress_bytes * k;
        self.attempts += o.attempts * k;
        self.retries_refused += o.retries_refused * k;
        self.hop_retries += o.hop_retries * k;
        if !o.hop_calls.is_empty() {
            if self.hop_calls.is_empty() {
                self.hop_calls = vec![0.0; o.hop_calls.len()];
            }
            for (a, b) in self.hop_calls.iter_mut().zip(&o.hop_calls) {
                *a += b * k;
            }
        }
        self.edge_hits += o.edge_hits * k;
        self.shield_hits += o.shield_hits * k;
        self.origin_requests += o.origin_requests * k;
        self.served_stale += o.served_stale * k;
        self.cdn_bytes += o.cdn_bytes * k;
        self.residency_violations += o.residency_violations * k;
        if !o.transfer_bytes.is_empty() {
            if self.transfer_bytes.is_empty() {
                self.transfer_bytes = vec![0.0; o.transfer_bytes.len()];
            }
            for (a, b) in self.transfer_bytes.iter_mut().zip(&o.transfer_bytes) {
                *a += b * k;
            }
        }
    }

    /// Adds `o` (once).
    pub fn add(&mut self, o: &Tally) {
        self.add_scaled(o, 1.0);
    }

    /// The counts rounded to whole requests (after the fast-forward added expected amounts).
    pub fn round_counts(&mut self) {
        for v in [
            &mut self.reads,
            &mut self.writes,
            &mut self.replicated_writes,
            &mut self.stale_reads,
            &mut self.lost_updates,
            &mut self.cross_region,
            &mut self.attempts,
            &mut self.retries_refused,
            &mut self.hop_retries,
            &mut self.edge_hits,
            &mut self.shield_hits,
            &mut self.origin_requests,
            &mut self.served_stale,
            &mut self.residency_violations,
        ] {
            *v = v.round().max(0.0);
        }
        for v in &mut self.hop_calls {
            *v = v.round().max(0.0);
        }
        for v in &mut self.dependency_calls {
            *v = v.round().max(0.0);
        }
    }
}
