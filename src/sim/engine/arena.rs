//! Requests in flight, in a `Vec` with a free list: no allocation per request once warm.

use crate::model::time::SimTime;

/// Index of a request slot.
pub type ReqId = u32;

#[derive(Debug, Clone, Copy)]
pub struct Request {
    pub population: u32,
    /// The region the client sent it to.
    pub entry_region: u32,
    /// The region serving its current step.
    pub region: u32,
    /// Index into the request path.
    pub step: u8,
    /// Writes (rather than reads) at the store at the end of the path.
    pub write: bool,
    /// Crossed between regions on its way.
    pub crossed: bool,
    /// The store key it reads or writes.
    pub key: u32,
    /// When the client sent it.
    pub start: SimTime,
    /// One-way network time of the way back to the client, accumulated over the hops taken.
    pub back: SimTime,
    /// Arrived after the warm-up: counted in the statistics.
    pub counted: bool,
    /// The number of the answer version its client used (see `steering`).
    pub version: u32,
    /// Its index among its population's requests: the key of its per-request draws.
    pub index: u64,
    /// Attempts made before this one (0 for the first).
    pub attempt: u8,
    /// The client gave up on this attempt (its attempt timeout passed) and may have retried: it is
    /// still served, but its outcome is nobody's.
    pub abandoned: bool,
    /// When this attempt was sent.
    pub attempt_start: SimTime,
    /// This attempt's serial number: an attempt timeout scheduled for another is stale.
    pub serial: u32,
    /// Cacheable at its population's CDN edge (never without a CDN).
    pub cacheable: bool,
    /// Its CDN edge already sent this attempt to the secondary origin of its origin failover group.
    pub failed_over: bool,
    /// Served outside its population's data residency (`ServeElsewhere`): counted once as a violation.
    pub outside: bool,
    /// The backoff delay before this attempt (decorrelated jitter grows from it) \[s\].
    pub last_sleep_s: f32,
    /// Retries each service of the path has made of its current call to the next hop, 4 bits per place
    /// in the path (see `hop`).
    pub hop_retries: u32,
}

#[derive(Default)]
pub struct Arena {
    slots: Vec<Request>,
    /// Whether each slot holds a request in flight (the end of a run gives those left an outcome).
    live: Vec<bool>,
    free: Vec<ReqId>,
}

impl Arena {
    pub fn insert(&mut self, r: Request) -> ReqId {
        match self.free.pop() {
            Some(id) => {
                self.slots[id as usize] = r;
                self.live[id as usize] = true;
                id
            }
            None => {
                self.slots.push(r);
                self.live.push(true);
                (self.slots.len() - 1) as ReqId
            }
        }
    }

    pub fn get(&self, id: ReqId) -> &Request {
        &self.slots[id as usize]
    }

    pub fn get_mut(&mut self, id: ReqId) -> &mut Request {
        &mut self.slots[id as usize]
    }

    /// Frees a slot and returns its request.
    pub fn remove(&mut self, id: ReqId) -> Request {
        self.free.push(id);
        self.live[id as usize] = false;
        self.slots[id as usize]
    }

    /// Whether slot `id` holds a request in flight.
    pub fn is_live(&self, id: ReqId) -> bool {
        self.live.get(id as usize).copied().unwrap_or(false)
    }

    /// The requests still in flight, in slot order.
    pub fn live_ids(&self) -> Vec<ReqId> {
        (0..self.slots.len() as ReqId).filter(|&id| self.live[id as usize]).collect()
    }

    /// Requests in flight.
    pub fn live(&self) -> usize {
        self.slots.len() - self.free.len()
    }
}
