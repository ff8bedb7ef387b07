//! The future-event list: a binary heap ordered by `(time, seq)`, `seq` an insertion counter, so events
//! at the same instant run first-in first-out and a run never depends on the heap's tie-breaking.

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use crate::model::time::SimTime;

/// `key` packs `(time, seq)` into one integer (time in the high 64 bits), so ordering is one compare.
struct Entry<E> {
    key: u128,
    event: E,
}

impl<E> PartialEq for Entry<E> {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}

impl<E> Eq for Entry<E> {}

impl<E> PartialOrd for Entry<E> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<E> Ord for Entry<E> {
    /// Reversed, so that `BinaryHeap` (a max-heap) pops the earliest `(time, seq)` first.
    fn cmp(&self, other: &Self) -> Ordering {
        other.key.cmp(&self.key)
    }
}

/// Pending events, earliest first; ties in insertion order.
pub struct EventQueue<E> {
    heap: BinaryHeap<Entry<E>>,
    next_seq: u64,
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        EventQueue { heap: BinaryHeap::new(), next_seq: 0 }
    }
}

impl<E> EventQueue<E> {
    /// An empty list with room for `n` events.
    pub fn with_capacity(n: usize) -> Self {
        EventQueue { heap: BinaryHeap::with_capacity(n), next_seq: 0 }
    }

    /// Adds `event` at `time`, after every event already at that time.
    pub fn schedule(&mut self, time: SimTime, event: E) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.heap.push(Entry { key: ((time.0 as u128) << 64) | seq as u128, event });
    }

    /// Removes and returns the earliest event and its time.
    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        self.heap.pop().map(|e| (SimTime((e.key >> 64) as u64), e.event))
    }

    /// The earliest event and its time, left in place.
    pub fn peek(&self) -> Option<(SimTime, &E)> {
        self.heap.peek().map(|e| (SimTime((e.key >> 64) as u64), &e.event))
    }

    /// The time of the earliest event.
    pub fn peek_time(&self) -> Option<SimTime> {
        self.heap.peek().map(|e| SimTime((e.key >> 64) as u64))
    }

    /// The earliest event `pred` accepts, and its time (a scan of every pending event: for the
    /// infrastructure list's tens, at a skip's planning).
    pub fn earliest_where(&self, pred: impl Fn(&E) -> bool) -> Option<(SimTime, &E)> {
        self.heap
            .iter()
            .filter(|e| pred(&e.event))
            .min_by_key(|e| e.key)
            .map(|e| (SimTime((e.key >> 64) as u64), &e.event))
    }

    /// Number of pending events.
    pub fn len(&self) -> usize {
        self.heap.len()
    }

    /// Whether no event is pending.
    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn equal_times_pop_in_insertion_order() {
        let mut q = EventQueue::default();
        for i in 0..100 {
            q.schedule(SimTime(5), i);
        }
        q.schedule(SimTime(1), -1);
        assert_eq!(q.pop(), Some((SimTime(1), -1)));
        for i in 0..100 {
            assert_eq!(q.pop(), Some((SimTime(5), i)));
        }
        assert!(q.is_empty());
    }

    /// The earliest accepted event is the one `pop` would reach first among them (ties: the first
    /// scheduled).
    #[test]
    fn earliest_where_is_the_first_accepted_event_in_pop_order() {
        let mut q = EventQueue::default();
        for (t, e) in [(9, 1), (3, 2), (7, 4), (3, 6), (5, 3)] {
            q.schedule(SimTime(t), e);
        }
        assert_eq!(q.earliest_where(|e| e % 2 == 0), Some((SimTime(3), &2)));
        assert_eq!(q.earliest_where(|e| *e > 2), Some((SimTime(3), &6)));
        assert_eq!(q.earliest_where(|e| *e == 3 || *e == 1), Some((SimTime(5), &3)));
        assert_eq!(q.earliest_where(|e| *e > 6), None);
    }

    proptest! {
        // A fixed seed: the same cases on every run.
        #![proptest_config(ProptestConfig {
            rng_seed: proptest::test_runner::RngSeed::Fixed(0x2026_1126),
            ..ProptestConfig::default()
        })]

        #[test]
        fn pops_are_sorted_by_time_then_insertion(times in proptest::collection::vec(0u64..20, 0..200)) {
            let mut q = EventQueue::default();
            for (i, &t) in times.iter().enumerate() {
                q.schedule(SimTime(t), i);
            }
            let mut expected: Vec<(u64, usize)> = times.iter().enumerate().map(|(i, &t)| (t, i)).collect();
            expected.sort();
            let popped: Vec<(u64, usize)> = std::iter::from_fn(|| q.pop()).map(|(t, i)| (t.0, i)).collect();
            prop_assert_eq!(popped, expected);
        }
    }
}
