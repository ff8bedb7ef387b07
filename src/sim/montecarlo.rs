//! The Monte Carlo: replications on worker threads, handed on in index order as they finish, so the
//! result is the same for any thread count and memory holds a few replications per worker, not all of
//! them (docs/architecture.md#determinism).

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::ops::Range;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Condvar, Mutex, mpsc};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::model::architecture::Model;
use crate::model::scenario::Scenario;
use crate::sim::engine::{self, SimError};
use crate::sim::observation::Observations;
use crate::sim::trace::{Trace, Window};

/// How to run, not what: nothing here changes a result.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Worker threads; `None` uses every core.
    pub threads: Option<usize>,
    /// Show a progress bar on stderr (only drawn when stderr is a terminal and `NO_COLOR` is unset).
    pub progress: bool,
}

/// Replications a worker may run ahead of the oldest one not yet handed on: bounds what waits in
/// memory to a few replications per worker.
const AHEAD_PER_WORKER: u32 = 2;

/// Runs every replication of the scenario on the model and returns their observations in index
/// order (all of them in memory: [`for_each`] hands them on one by one instead).
pub fn run(model: &Model, scenario: &Scenario, options: &RunOptions) -> Result<Vec<Observations>, SimError> {
    let mut out = Vec::with_capacity(scenario.replications as usize);
    for_each(model, scenario, 0..scenario.replications, "", options, |o| {
        out.push(o);
        Ok::<(), SimError>(())
    })?;
    Ok(out)
}

/// Runs replications `range` of the scenario and hands each to `sink` in index order, as soon as it
/// and every replication before it have finished. Workers take replications in index order and run at
/// most a few ahead of the oldest unfinished one, so at most a few per worker wait in memory.
///
/// The first error (a budget exceeded, or one `sink` returns) stops the run: no replication starts
/// after it, so a runaway costs one replication's budget per thread, not every replication's. Of the
/// replications that failed, the one of the lowest index is reported. `label` (e.g. `shard 2/4`) heads
/// the progress bar.
pub fn for_each<E: From<SimError>>(
    model: &Model,
    scenario: &Scenario,
    range: Range<u32>,
    label: &str,
    options: &RunOptions,
    mut sink: impl FnMut(Observations) -> Result<(), E>,
) -> Result<(), E> {
    if range.is_empty() {
        return Ok(());
    }
    let workers = options
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .clamp(1, range.len());
    let window = AHEAD_PER_WORKER * workers as u32;
    let bar = progress_bar(range.len() as u64, label, options.progress);
    let horizon_s = scenario.horizon.as_secs_f64();
    let next = AtomicU32::new(range.start);
    let stop = AtomicBool::new(false);
    // The lowest replication not yet handed on.
    let handed = Mutex::new(range.start);
    let moved = Condvar::new();
    let (tx, rx) = mpsc::channel::<(u32, Result<Observations, SimError>)>();
    std::thread::scope(|scope| {
        for _ in 0..workers {
            let tx = tx.clone();
            let (next, stop, handed, moved) = (&next, &stop, &handed, &moved);
            let end = range.end;
            scope.spawn(move || {
                loop {
                    let r = next.fetch_add(1, Ordering::Relaxed);
                    if r >= end {
                        break;
                    }
                    {
                        let mut h = handed.lock().unwrap_or_else(|p| p.into_inner());
                        while r >= *h + window && !stop.load(Ordering::Relaxed) {
                            h = moved.wait(h).unwrap_or_else(|p| p.into_inner());
                        }
                    }
                    if stop.load(Ordering::Relaxed) {
                        break;
                    }
                    let result = engine::run(model, scenario, scenario.seed, r);
                    if result.is_err() {
                        stop.store(true, Ordering::Relaxed);
                    }
                    if tx.send((r, result)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(tx);
        let mut pending: BTreeMap<u32, Result<Observations, SimError>> = BTreeMap::new();
        let mut want = range.start;
        let mut outcome: Result<(), E> = Ok(());
        let halt = |outcome: &mut Result<(), E>, e: E| {
            stop.store(true, Ordering::Relaxed);
            moved.notify_all();
            *outcome = Err(e);
        };
        'receive: for (r, result) in rx.iter() {
            pending.insert(r, result);
            while let Some(result) = pending.remove(&want) {
                let delivered = match result {
                    Ok(o) => sink(o),
                    Err(e) => Err(E::from(e)),
                };
                if let Err(e) = delivered {
                    halt(&mut outcome, e);
                    break 'receive;
                }
                want += 1;
                bar.inc(1);
                bar.set_message(simulated(f64::from(want - range.start) * horizon_s));
                *handed.lock().unwrap_or_else(|p| p.into_inner()) = want;
                moved.notify_all();
            }
        }
        // A replication is missing only after another failed: the lowest failure is the one reported.
        if outcome.is_ok()
            && let Some(e) = pending.into_values().find_map(Result::err)
        {
            halt(&mut outcome, E::from(e));
        }
        bar.finish_and_clear();
        outcome
    })
}

/// Runs replication `replication` alone again (the same streams, so the same observations): how the
/// report gets the representative replication's timeline without keeping every timeline.
pub fn replay(model: &Model, scenario: &Scenario, replication: u32) -> Result<Observations, SimError> {
    engine::run(model, scenario, scenario.seed, replication)
}

/// Runs replication `replication` alone again and keeps its trace over `window` (see
/// [`engine::run_traced`]): the same observations as in the study, and what happened in them.
pub fn replay_traced(
    model: &Model,
    scenario: &Scenario,
    replication: u32,
    window: Window,
) -> Result<(Observations, Trace), SimError> {
    engine::run_traced(model, scenario, scenario.seed, replication, window)
}

/// Runs replication `replication` alone, traced over `window`, with the progress bar of a study of one
/// replication: a study of one replication traces it the first time (see [`engine::run_traced`]).
pub fn run_traced(
    model: &Model,
    scenario: &Scenario,
    replication: u32,
    window: Window,
    options: &RunOptions,
) -> Result<(Observations, Trace), SimError> {
    let bar = progress_bar(1, "", options.progress);
    let result = engine::run_traced(model, scenario, scenario.seed, replication, window);
    bar.finish_and_clear();
    result
}

/// Simulated time, in the largest unit that keeps it above one: `3.2 years`, `41.0 days`.
fn simulated(s: f64) -> String {
    const YEAR: f64 = 365.25 * 86_400.0;
    if s >= YEAR {
        format!("{:.1} years simulated", s / YEAR)
    } else if s >= 86_400.0 {
        format!("{:.1} days simulated", s / 86_400.0)
    } else if s >= 3_600.0 {
        format!("{:.1} h simulated", s / 3_600.0)
    } else {
        format!("{s:.0} s simulated")
    }
}

fn progress_bar(len: u64, label: &str, wanted: bool) -> ProgressBar {
    let visible = wanted && std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    if !visible {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} {prefix}replications {pos}/{len} ({msg}) [{wide_bar}] {elapsed_precise} (eta {eta})",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    if !label.is_empty() {
        bar.set_prefix(format!("{label}: "));
    }
    bar.set_message(simulated(0.0));
    bar.enable_steady_tick(Duration::from_millis(250));
    bar
}

#[cfg(test)]
mod tests {
    use super::simulated;

    #[test]
    fn simulated_time_is_shown_in_the_largest_unit_above_one() {
        assert_eq!(simulated(30.0), "30 s simulated");
        assert_eq!(simulated(7_200.0), "2.0 h simulated");
        assert_eq!(simulated(3.0 * 86_400.0), "3.0 days simulated");
        assert_eq!(simulated(2.5 * 365.25 * 86_400.0), "2.5 years simulated");
    }
}
