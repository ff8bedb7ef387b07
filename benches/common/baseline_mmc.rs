//! The hand-written M/M/c loop both `benches/engine.rs` and `examples/mmc_loop.rs` time regionsim against
//! (one copy, included by path from each).

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};
use std::hint::black_box;

use hdrhistogram::Histogram;
use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;
use rand_distr::{Distribution, Exp1};

/// The baseline: M/M/c with λ = 900/s, μ = 100/s, c = 10, as lean as an event loop gets. Binary heap
/// ordered by (time, seq), xoshiro256++, ziggurat exponentials, response times into an HDR histogram.
/// Returns the number of requests completed.
pub fn baseline_mmc(horizon_s: f64, seed: u64) -> u64 {
    const ARRIVAL: u8 = 0;
    const DEPARTURE: u8 = 1;
    let (lambda, mu, c) = (900.0, 100.0, 10usize);
    let horizon = (horizon_s * 1e9) as u64;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut heap: BinaryHeap<Reverse<(u64, u64, u8, u64)>> = BinaryHeap::new();
    let mut seq = 0u64;
    let mut queue: VecDeque<u64> = VecDeque::new();
    let mut busy = 0usize;
    let mut hist = Histogram::<u64>::new(3).expect("valid precision");
    let mut done = 0u64;
    let ns = |s: f64| (s * 1e9) as u64;
    let first: f64 = Exp1.sample(&mut rng);
    heap.push(Reverse((ns(first / lambda), seq, ARRIVAL, 0)));
    while let Some(Reverse((t, _, kind, started))) = heap.pop() {
        if t > horizon {
            break;
        }
        seq += 1;
        if kind == ARRIVAL {
            let gap: f64 = Exp1.sample(&mut rng);
            heap.push(Reverse((t + ns(gap / lambda), seq, ARRIVAL, 0)));
            seq += 1;
            if busy < c {
                busy += 1;
                let s: f64 = Exp1.sample(&mut rng);
                heap.push(Reverse((t + ns(s / mu), seq, DEPARTURE, t)));
            } else {
                queue.push_back(t);
            }
        } else {
            let _ = hist.record((t - started) / 1000);
            done += 1;
            match queue.pop_front() {
                Some(arrived) => {
                    let s: f64 = Exp1.sample(&mut rng);
                    heap.push(Reverse((t + ns(s / mu), seq, DEPARTURE, arrived)));
                }
                None => busy -= 1,
            }
        }
    }
    black_box(hist.len());
    done
}
