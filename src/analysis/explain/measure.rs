//! `regionsim explain --simulate`: each fault domain's failure injected for a stated duration into the
//! scenario (its outages replaced by that one; its traffic and failure processes kept), every variant run
//! with the scenario's seed, so all see the same arrivals and background failures (common random
//! numbers), and its availability compared with the same scenario without the injection, paired by
//! replication. The static classification predicts the loss of a cascading domain (its share lost until
//! repair, over the outage); a measurement far from it is flagged (docs/architecture.md#explain).

use serde::Serialize;

use super::{Class, Explanation};
use crate::analysis::report;
use crate::analysis::stats::{Estimate, paired_ci};
use crate::model::scenario::{FailureMode, Outage};
use crate::model::study::Study;
use crate::model::time::SimTime;
use crate::sim::engine::SimError;
use crate::sim::montecarlo::{self, RunOptions};

/// One fault domain's measured impact.
#[derive(Debug, Clone, Serialize)]
pub struct Measured {
    /// The fault domain's kind, as [`super::Domain::kind`] (`instance`, `zone`, `cdn edge`, ...).
    pub kind: String,
    /// The fault domain's name.
    pub name: String,
    /// Its worst static class over the populations.
    pub static_class: Class,
    /// The loss of request availability the static classification predicts: the traffic-weighted share
    /// lost until repair, over the outage's share of the observed time (a failover's own cost is not
    /// predicted, so a redundant domain predicts 0).
    pub predicted_loss: f64,
    /// Measured loss of request availability against the run without the injection (paired 95% CI).
    pub loss: Estimate,
    /// Why the measurement contradicts the static classification, if it does.
    pub contradiction: Option<String>,
}

/// When the injected outages start and how long they last \[s\].
#[derive(Debug, Clone, Copy)]
pub struct Injection {
    /// From the start of the run \[s\].
    pub start_s: f64,
    /// How long each fault domain stays down \[s\].
    pub duration_s: f64,
}

/// Measures every fault domain of `explanation` (made from `study`) and returns them ranked by
/// measured loss, largest first. `study.scenario`'s outages are replaced by each injection in turn.
pub fn simulate(
    study: &Study,
    explanation: &Explanation,
    injection: Injection,
    options: &RunOptions,
) -> Result<Vec<Measured>, SimError> {
    let availability = |outages: Vec<Outage>| -> Result<Vec<Option<f64>>, SimError> {
        let mut variant = study.clone();
        variant.scenario.outages = outages;
        let runs = montecarlo::run(&variant.model, &variant.scenario, options)?;
        Ok(report::build(&variant, &[], &runs).runs.iter().map(|r| Some(r.availability)).collect())
    };
    let baseline = availability(Vec::new())?;
    let scenario = &study.scenario;
    let start = SimTime::from_secs_f64(injection.start_s);
    let end = SimTime::from_secs_f64(injection.start_s + injection.duration_s);
    let observed = (scenario.horizon.as_secs_f64() - scenario.warmup.as_secs_f64()).max(1e-9);
    let share_down = (end.min(scenario.horizon).as_secs_f64() - start.max(scenario.warmup).as_secs_f64())
        .max(0.0)
        / observed;
    let total_rate: f64 = scenario.rates_per_s.iter().sum();
    let mut out = Vec::new();
    for d in &explanation.domains {
        let Some(component) = d.component else { continue };
        let measured = availability(vec![Outage { component, start, end, mode: FailureMode::Crash }])?;
        let loss = paired_ci(&baseline, &measured);
        let weight = |pop: &str| {
            study.model.population(pop).map_or(0.0, |p| scenario.rates_per_s[p] / total_rate.max(1e-300))
        };
        let lost: f64 = d.impacts.iter().map(|i| weight(&i.population) * i.lost_until_repair).sum();
        let blast: f64 = d.impacts.iter().map(|i| weight(&i.population) * i.blast_radius).sum();
        let static_class = d
            .impacts
            .iter()
            .map(|i| i.class)
            .max_by_key(|c| match c {
                Class::Cascading => 3,
                Class::Redundant => 2,
                Class::Ignorable => 1,
            })
            .unwrap_or(Class::Ignorable);
        // The DNS layer's loss grows as the caches expire: over the outage, ∫ of the share whose
        // cache has expired, in closed form (docs/architecture.md#dns-layer).
        let exposed = if d.lost_after_caches {
            let (from, to) = (start.max(scenario.warmup), end.min(scenario.horizon));
            let since = |t: SimTime| t.as_secs_f64() - start.as_secs_f64();
            let moved = &study.model.steering.moved;
            (moved.at(since(to)) - moved.at(since(from))).max(0.0) / observed
        } else {
            share_down
        };
        let predicted = lost * exposed;
        let contradiction =
            if static_class == Class::Cascading && lost > 0.0 && loss.ci95[1] < 0.5 * predicted {
                Some(format!(
                    "classified cascading (predicts a loss of {:.3}%), measured at most {:.3}%",
                    predicted * 100.0,
                    loss.ci95[1] * 100.0
                ))
            } else if static_class != Class::Cascading && loss.ci95[0] > (0.5 * blast).max(0.01) * share_down
            {
                Some(format!(
                    "classified {}, but it lost at least {:.3}%, more than its failover explains",
                    static_class.word(),
                    loss.ci95[0] * 100.0
                ))
            } else {
                None
            };
        out.push(Measured {
            kind: d.kind.clone(),
            name: d.name.clone(),
            static_class,
            predicted_loss: predicted,
            loss,
            contradiction,
        });
    }
    out.sort_by(|a, b| b.loss.mean.total_cmp(&a.loss.mean));
    Ok(out)
}
