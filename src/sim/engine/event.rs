//! The events of a replication: a closed enum, one variant per subsystem, each holding that
//! subsystem's own closed enum, copied by value into the event lists (no allocation, static dispatch).

use super::arena::ReqId;
use crate::model::scenario::Component;

#[derive(Debug, Clone, Copy)]
pub(super) enum Event {
    Request(RequestEvent),
    Fault(FaultEvent),
    Steering(SteeringEvent),
    Standby(StandbyEvent),
    Store(StoreEvent),
    Fleet(FleetEvent),
    Clock(ClockEvent),
    Scale(ScaleEvent),
    Failover(FailoverEvent),
    Breaker(BreakerEvent),
}

/// What a request does (the traffic list).
#[derive(Debug, Clone, Copy)]
pub(super) enum RequestEvent {
    /// It reaches the load balancer of its current step's service.
    Reach { req: ReqId },
    /// A server of `instance` finishes it; stale if the instance failed since (`epoch` moved on).
    Depart { instance: u32, req: ReqId, epoch: u32 },
    /// Its client sends it again after a backoff (the slot holds the next attempt).
    Retry { req: ReqId },
    /// The service at place `caller` of the request path calls the next hop again after a backoff.
    HopRetry { req: ReqId, caller: u8 },
    /// Its client abandons attempt `serial` (the attempt timeout); stale if the slot holds another.
    AttemptTimeout { req: ReqId, serial: u32 },
}

/// A component goes down or comes back, from one cause.
#[derive(Debug, Clone, Copy)]
pub(super) enum FaultEvent {
    Down { component: Component, cause: FaultCause },
    Up { component: Component, cause: FaultCause },
}

/// What takes a component down: its failure process, or an injected outage (its index in the
/// scenario's `outages`), whose failure mode the faults table looks up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum FaultCause {
    Process,
    Outage(u32),
}

impl FaultCause {
    /// Whether the cause is an injected outage.
    pub fn injected(self) -> bool {
        matches!(self, FaultCause::Outage(_))
    }
}

/// A load balancer's view of an instance changes.
#[derive(Debug, Clone, Copy)]
pub(super) enum FleetEvent {
    /// The balancer's health checks put `instance` in rotation (`into`) or take it out; stale unless
    /// `epoch` is the instance's current check epoch.
    Rotation { instance: u32, into: bool, epoch: u32 },
    /// A result of `instance` reaches its balancer's outlier detection (traffic list).
    Outcome { instance: u32, failed: bool },
    /// The sweep after `instance`'s ejection has lasted its time returns it (infrastructure list);
    /// stale unless `epoch` is its ejection's.
    Return { instance: u32, epoch: u32 },
}

#[derive(Debug, Clone, Copy)]
pub(super) enum SteeringEvent {
    /// Health checks of a region's entry point flip; stale unless `epoch` is the region's current one.
    HealthFlip { region: u32, healthy: bool, epoch: u32 },
    /// DNS answers (or anycast routes) are recomputed from the health checks' view.
    Resteer,
}

#[derive(Debug, Clone, Copy)]
pub(super) enum StandbyEvent {
    /// A standby deployment's full fleet is up; stale unless `epoch` matches.
    Activate { deployment: u32, epoch: u32 },
    /// A standby deployment returns to its posture; stale unless `epoch` matches.
    ScaleIn { deployment: u32, epoch: u32 },
}

#[derive(Debug, Clone, Copy)]
pub(super) enum StoreEvent {
    /// A store replica becomes the primary; stale unless `epoch` matches.
    Promote { store: u32, epoch: u32 },
    /// A Multi-AZ copy's standby takes over (`copy` indexes `Model::store_copies`); stale unless
    /// `epoch` matches.
    ZoneFailover { copy: u32, epoch: u32 },
}

#[derive(Debug, Clone, Copy)]
pub(super) enum ClockEvent {
    /// The hour of a daily traffic profile turns (scheduled only for sampled fidelity, which treats it
    /// as a change).
    RateChange,
    /// An instance's cache entry of a dependency whose copy is down expires: nothing happens, but from
    /// then on its requests fail, which sampled fidelity must not average over (a change that takes
    /// away).
    CacheExpires,
}

#[derive(Debug, Clone, Copy)]
pub(super) enum ScaleEvent {
    /// An instance an autoscaler launched is in service; stale unless `epoch` matches its group's.
    Launched { deployment: u32, epoch: u32 },
    /// Scheduled action `action` of the deployment's autoscaling is due.
    Scheduled { deployment: u32, action: u32 },
}

/// An operator-triggered failover's steps (docs/architecture.md#failover-trigger); each is stale unless
/// `epoch` is its watch's (`watch` indexes the failover subsystem's watches).
#[derive(Debug, Clone, Copy)]
pub(super) enum FailoverEvent {
    /// The watch's alarm is due: it fires if what it watches is still down.
    Alarm { watch: u32, epoch: u32 },
    /// The operator decides: what is still down is failed over.
    Decision { watch: u32, epoch: u32 },
}

#[derive(Debug, Clone, Copy)]
pub(super) enum BreakerEvent {
    /// The open interval of a population's breaker for a region has passed (infrastructure list);
    /// stale unless `epoch` is the breaker's.
    HalfOpen { population: u32, region: u32, epoch: u32 },
    /// An attempt's outcome reaches its breaker when its client sees it (traffic list); stale unless
    /// `epoch` is the breaker's.
    Outcome { population: u32, region: u32, epoch: u32, failed: bool },
}
