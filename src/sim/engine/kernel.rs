//! The kernel of one replication: the clock, the two event lists, the transit lanes, and the change
//! contract that tells the fast-forward what moved.
//!
//! Two lists, because their events differ in kind: the *traffic* list holds what requests do (reach a
//! load balancer, finish a service), thousands per second, none of which changes the infrastructure;
//! the *infrastructure* list holds failures, repairs, health-check flips, DNS changes, scale-ups,
//! promotions and every other event that changes what serves, each scheduled with the [`Change`] it
//! makes. Sampled fidelity decides from those declarations (and from [`Kernel::changed`], for a
//! change made outside an infrastructure event): a new subsystem cannot schedule a state change without
//! saying what kind it is. Only the subsystem that owns a state may later say that a declared change is
//! one the traffic will not see (`Engine::traffic_sees`); the default is that it is seen.

use super::event::Event;
use super::queue::EventQueue;
use super::transit::Transit;
use crate::model::time::SimTime;

/// What an infrastructure event (or a behaviour) changes, as the fast-forward needs to know it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Change {
    /// Takes something away (a failure, a scale-in, a promotion that strands writes): what is in flight
    /// when it strikes matters, so the requests before it run one by one (the fast-forward's lead).
    TakesAway,
    /// Adds capacity back (a repair, a scale-up).
    Adds,
    /// Changes where or how traffic goes (a health-check flip, a DNS change, an hour of a daily
    /// profile, a breaker's state).
    Steers,
}

/// The clock and the event lists of one replication.
pub(super) struct Kernel {
    pub now: SimTime,
    /// Traffic events: requests reaching balancers (with jittered crossings), departures.
    traffic: EventQueue<Event>,
    /// Infrastructure events, each with the change it makes.
    infra: EventQueue<(Event, Change)>,
    /// Requests crossing the network when crossing times are fixed.
    pub transit: Transit,
    /// Changes declared since the fast-forward last looked.
    changes: Vec<Change>,
    /// Events processed.
    pub events: u64,
}

impl Kernel {
    pub fn new() -> Kernel {
        Kernel {
            now: SimTime::ZERO,
            traffic: EventQueue::with_capacity(1024),
            infra: EventQueue::with_capacity(64),
            transit: Transit::new(),
            changes: Vec::new(),
            events: 0,
        }
    }

    /// Schedules a traffic event (it changes no infrastructure).
    #[inline]
    pub fn schedule(&mut self, at: SimTime, event: Event) {
        self.traffic.schedule(at, event);
    }

    /// Schedules an infrastructure event and declares the change it will make.
    pub fn schedule_change(&mut self, at: SimTime, event: Event, change: Change) {
        self.infra.schedule(at, (event, change));
    }

    /// Declares a change made now outside an infrastructure event (a behaviour changing its state on
    /// the traffic path, such as a circuit breaker tripping).
    pub fn changed(&mut self, change: Change) {
        self.changes.push(change);
    }

    /// Whether a change was declared since the last call (and forgets them).
    pub fn take_changed(&mut self) -> bool {
        let changed = !self.changes.is_empty();
        self.changes.clear();
        changed
    }

    pub fn infra_time(&self) -> Option<SimTime> {
        self.infra.peek_time()
    }

    pub fn traffic_time(&self) -> Option<SimTime> {
        self.traffic.peek_time()
    }

    /// The earliest pending infrastructure event that `seen` says the traffic will see, and the change
    /// it declared (the fast-forward plans a skip up to it, past the changes nobody would see).
    pub fn next_seen_change(&self, seen: impl Fn(&Event) -> bool) -> Option<(SimTime, Change)> {
        self.infra.earliest_where(|(event, _)| seen(event)).map(|(t, (_, c))| (t, *c))
    }

    /// The next infrastructure event and the change it declared at scheduling: the caller declares
    /// it (for [`Kernel::take_changed`]) unless the traffic will not see it.
    pub fn pop_infra(&mut self) -> Option<(Event, Change)> {
        self.infra.pop().map(|(_, entry)| entry)
    }

    pub fn pop_traffic(&mut self) -> Option<Event> {
        self.traffic.pop().map(|(_, e)| e)
    }
}
