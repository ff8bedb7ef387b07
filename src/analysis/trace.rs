//! One replication followed event by event (`regionsim trace`): its trace, its story, and what it
//! observed, for the trace's outputs. The replication is the study's own (the same streams), so a
//! trace of the replication a run report shows tells what happened in that report.

use serde::Serialize;

use crate::analysis::story::{self, StoryLine};
use crate::model::study::Study;
use crate::sim::engine::SimError;
use crate::sim::montecarlo;
use crate::sim::observation::{Failover, FailureCause};
use crate::sim::trace::{Trace, Window};

/// A traced replication, ready to present.
#[derive(Debug, Clone, Serialize)]
pub struct Traced {
    /// The model's name.
    pub model: String,
    /// The scenario's name.
    pub scenario: String,
    /// The model file, as named on the command line.
    pub model_file: String,
    /// The scenario file, as named on the command line.
    pub scenario_file: String,
    /// The `--set` overrides, as given.
    pub overrides: Vec<String>,
    /// The study's master seed.
    pub seed: u64,
    /// The replication followed.
    pub replication: u32,
    /// The scenario's horizon \[s\].
    pub horizon_s: f64,
    /// Region names, in the model's order (the order of [`Traced::regions`] lanes).
    pub regions: Vec<String>,
    /// Population names, in the model's order (the order of the trace's outcome series).
    pub populations: Vec<String>,
    /// Counted requests of the whole replication that succeeded.
    pub succeeded: u64,
    /// Counted requests of the whole replication that failed, by cause (`timeout`, ...); causes with
    /// none left out.
    pub failed_by_cause: Vec<(String, u64)>,
    /// The replication's failovers.
    pub failovers: Vec<Failover>,
    /// The trace.
    pub trace: Trace,
    /// Its story.
    pub story: Vec<StoryLine>,
    /// After an answer change, how long until 90% of a population's clients follow it \[s\].
    pub moved_90_s: Option<f64>,
}

impl Traced {
    /// Failed requests of the whole replication.
    pub fn failed(&self) -> u64 {
        self.failed_by_cause.iter().map(|(_, n)| n).sum()
    }

    /// Request availability of the whole replication; `None` without requests.
    pub fn availability(&self) -> Option<f64> {
        let total = self.succeeded + self.failed();
        (total > 0).then(|| self.succeeded as f64 / total as f64)
    }
}

/// Simulates replication `replication` of `study` with its trace over `window`.
pub fn trace(
    study: &Study,
    overrides: &[String],
    replication: u32,
    window: Window,
) -> Result<Traced, SimError> {
    let (model, scenario) = (&study.model, &study.scenario);
    let (obs, trace) = montecarlo::replay_traced(model, scenario, replication, window)?;
    let counts = &obs.total.counts;
    Ok(Traced {
        model: model.name.clone(),
        scenario: scenario.name.clone(),
        model_file: study.model_file.display().to_string(),
        scenario_file: study.scenario_file.display().to_string(),
        overrides: overrides.to_vec(),
        seed: scenario.seed,
        replication,
        horizon_s: scenario.horizon.as_secs_f64(),
        regions: model.regions.iter().map(|r| r.name.clone()).collect(),
        populations: model.populations.iter().map(|p| p.name.clone()).collect(),
        succeeded: counts.succeeded,
        failed_by_cause: FailureCause::ALL
            .iter()
            .map(|&c| (c.key().to_string(), counts.failed[c as usize]))
            .filter(|(_, n)| *n > 0)
            .collect(),
        failovers: obs.failovers.clone(),
        story: story::narrate(model, &trace),
        moved_90_s: story::moved_after(&model.steering.follow, 0.9),
        trace,
    })
}
