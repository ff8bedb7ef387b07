//! Requests crossing the network, when every crossing between two places takes a fixed time (a model
//! without jitter): one first-in first-out lane per distinct delay instead of an event each.
//!
//! Requests enter a lane in the order of the clock, and all take the lane's delay, so they leave in
//! the order they entered: the lane's front is its earliest. The engine compares the earliest front
//! with the event lists' heads, which saves a heap push and pop for every network arrival (two per
//! request on a two-service path). With jitter, crossings take the event list instead.

use std::collections::VecDeque;

use super::arena::ReqId;
use crate::model::time::SimTime;

struct Lane {
    delay: SimTime,
    /// `(arrival time, request)`, earliest first.
    queue: VecDeque<(SimTime, ReqId)>,
}

#[derive(Default)]
pub(super) struct Transit {
    lanes: Vec<Lane>,
    /// The earliest arrival over all lanes ([`SimTime::NEVER`] when none) and its lane.
    pub head: SimTime,
    head_lane: usize,
}

impl Transit {
    pub fn new() -> Transit {
        Transit { lanes: Vec::new(), head: SimTime::NEVER, head_lane: 0 }
    }

    /// `req` leaves now and arrives after `delay`.
    pub fn send(&mut self, now: SimTime, delay: SimTime, req: ReqId) {
        let lane = match self.lanes.iter().position(|l| l.delay == delay) {
            Some(i) => i,
            None => {
                self.lanes.push(Lane { delay, queue: VecDeque::new() });
                self.lanes.len() - 1
            }
        };
        let at = now.plus(delay);
        self.lanes[lane].queue.push_back((at, req));
        if at < self.head {
            self.head = at;
            self.head_lane = lane;
        }
    }

    /// The earliest arrival, removed.
    pub fn receive(&mut self) -> Option<(SimTime, ReqId)> {
        let first = self.lanes.get_mut(self.head_lane)?.queue.pop_front()?;
        // The lowest front wins; ties go to the lane created first, so the order is deterministic.
        let (mut head, mut head_lane) = (SimTime::NEVER, 0);
        for (i, lane) in self.lanes.iter().enumerate() {
            if let Some(&(at, _)) = lane.queue.front()
                && at < head
            {
                (head, head_lane) = (at, i);
            }
        }
        (self.head, self.head_lane) = (head, head_lane);
        Some(first)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrivals_come_out_in_time_order_across_lanes() {
        let mut t = Transit::new();
        // Sent at 0, 1, 2, 3 with delays 10, 3, 10, 3: arrivals 10, 4, 12, 6.
        for (now, delay, req) in [(0, 10, 0), (1, 3, 1), (2, 10, 2), (3, 3, 3)] {
            t.send(SimTime(now), SimTime(delay), req);
        }
        let order: Vec<(u64, ReqId)> = std::iter::from_fn(|| t.receive()).map(|(at, r)| (at.0, r)).collect();
        assert_eq!(order, vec![(4, 1), (6, 3), (10, 0), (12, 2)]);
        assert_eq!(t.head, SimTime::NEVER);
    }
}
