//! The Monte Carlo: replications in parallel on a rayon pool, collected in index order, so the result
//! is the same for any thread count (docs/architecture.md#determinism).

use std::io::IsTerminal;
use std::sync::atomic::{AtomicBool, Ordering};

use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;

use crate::model::architecture::Model;
use crate::model::scenario::Scenario;
use crate::sim::engine::{self, SimError};
use crate::sim::observation::Observations;

/// How to run, not what: nothing here changes a result.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    /// Worker threads; `None` uses every core.
    pub threads: Option<usize>,
    /// Show a progress bar on stderr (only drawn when stderr is a terminal and `NO_COLOR` is unset).
    pub progress: bool,
}

/// Runs every replication of the scenario on the model. The first error (a budget exceeded) stops the
/// run: no replication starts after it, so a runaway costs one replication's budget per thread, not
/// every replication's. Of the replications that failed, the one of the lowest index is reported.
pub fn run(model: &Model, scenario: &Scenario, options: &RunOptions) -> Result<Vec<Observations>, SimError> {
    let n = scenario.replications;
    let bar = progress_bar(n as u64, options.progress);
    let stop = AtomicBool::new(false);
    let work = || {
        (0..n)
            .into_par_iter()
            .map(|r| {
                if stop.load(Ordering::Relaxed) {
                    return None;
                }
                let result = engine::run(model, scenario, scenario.seed, r);
                if result.is_err() {
                    stop.store(true, Ordering::Relaxed);
                }
                bar.inc(1);
                Some(result)
            })
            .collect::<Vec<_>>()
    };
    let results = match options.threads {
        Some(t) => match rayon::ThreadPoolBuilder::new().num_threads(t.max(1)).build() {
            Ok(pool) => pool.install(work),
            // Building a pool only fails when the OS refuses threads; run on the global pool then.
            Err(_) => work(),
        },
        None => work(),
    };
    bar.finish_and_clear();
    // A replication is skipped only after another failed, whose error this returns.
    results.into_iter().flatten().collect()
}

fn progress_bar(len: u64, wanted: bool) -> ProgressBar {
    let visible = wanted && std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none();
    if !visible {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::new(len);
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} replications {pos}/{len} [{wide_bar}] {elapsed_precise} (eta {eta})",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}
