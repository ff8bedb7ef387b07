//! The resolved scenario: traffic per population, failure processes per component, injected outages and
//! budgets, checked against the model they apply to.

mod component;
mod failure;
mod targets;

pub use component::{Component, DependencyCopy, LinkId};
pub use failure::{FailureMode, FailureProcess, Outage};

use crate::input::issue::Issues;
use crate::input::issue::{did_you_mean, known, number};
use crate::input::spec::scenario::{OutageSpec, ScenarioSpec};
use crate::model::architecture::Model;
use crate::model::fidelity::Fidelity;
use crate::model::keyspace::{KeyTable, MAX_TABULATED_KEYS};
use crate::model::objective::{self, Objective};
use crate::model::time::SimTime;

/// Default budgets (docs/architecture.md, "bounded resources"). 2 G events is about a minute of one core; a million queued
/// requests at one instance means the model is overloaded, not busy.
pub const DEFAULT_MAX_EVENTS: u64 = 2_000_000_000;
/// Default queue budget: requests queued at one instance before the replication stops with an error.
pub const DEFAULT_MAX_QUEUE: u32 = 1_000_000;
/// Longest horizon a scenario may have \[s\]: 250 years, within the 292 years a signed count of
/// nanoseconds reaches (durations convert through `i64`, see `SimTime::from_secs_f64`).
pub const MAX_HORIZON_S: f64 = 250.0 * 365.0 * 86_400.0;
/// Shortest mean of a failure process's up or down times \[s\].
pub const MIN_FAILURE_MEAN_S: f64 = 0.001;
/// Highest request rate, of one population or all together \[requests/s\]: ten million a second is far
/// beyond what a model of instances serves, and the clock would barely move.
pub const MAX_RATE_PER_S: f64 = 1e7;
/// Largest key space of `data.keys`: each key's replication state is kept per replication.
pub const MAX_KEYS: u64 = 10_000_000;
/// Most replications a study may ask for: each one's observations (histograms, timeline, incidents) are
/// kept until the report is built, and a slot for each is reserved when the run starts.
pub const MAX_REPLICATIONS: u32 = 100_000;

/// What requests do at the store at the end of their path.
#[derive(Debug, Clone)]
pub struct Data {
    /// Share of the requests that write, in [0, 1]; the others read.
    pub write_fraction: f64,
    /// Number of distinct keys requests read and write.
    pub keys: u64,
    /// Exponent `s` of the Zipf key popularity, P(key k) ∝ 1/kˢ; 0 for uniform keys.
    pub zipf_exponent: f64,
    /// Zipf key popularity as an alias table (O(1) per draw, built once per study and shared by every
    /// replication); `None` for uniform keys or key spaces too large to tabulate.
    pub key_table: Option<std::sync::Arc<KeyTable>>,
}

/// A validated scenario: what happens to a model, how long, and how many times.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Short name, used in output folder names.
    pub name: String,
    /// Simulated time of each replication, warm-up included.
    pub horizon: SimTime,
    /// Initial stretch whose requests are not counted.
    pub warmup: SimTime,
    /// Number of independent replications.
    pub replications: u32,
    /// Master seed every random stream is derived from.
    pub seed: u64,
    /// Mean request rate of each population [requests/s].
    pub rates_per_s: Vec<f64>,
    /// Hourly multipliers of the rate, if the traffic has a daily profile.
    pub daily_profile: Option<[f64; 24]>,
    /// Failure process of each component, if it fails at random.
    pub failures: Vec<(Component, FailureProcess)>,
    /// Injected outages, in the order the file lists them.
    pub outages: Vec<Outage>,
    /// Event budget of one replication: more events stop it with an error.
    pub max_events: u64,
    /// Queue budget of one instance: more queued requests stop the replication with an error.
    pub max_queue: u32,
    /// What requests do at the store at the end of their path.
    pub data: Data,
    /// Service-level objectives, checked against the model's populations.
    pub objectives: Vec<Objective>,
    /// Whether every request is simulated, or steady stretches are sampled (docs/architecture.md#fidelity).
    pub fidelity: Fidelity,
    /// When users count as recovered after a failover, for RTO.
    pub recovery: Recovery,
}

/// When users count as recovered after a failover (see [`crate::input::spec::scenario::RecoverySpec`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Recovery {
    /// The success ratio that counts as recovered.
    pub level: f64,
    /// The sliding window, a whole number of bins.
    pub window: SimTime,
    /// How long the ratio must stay at the level, a whole number of bins.
    pub hold: SimTime,
    /// Requests are counted by send time in bins of this width: a tenth of the window.
    pub bin: SimTime,
}

/// Recovery defaults: 90% over 10 s, held for 60 s. Why 90%: with DNS steering, the clients whose
/// resolvers honour the TTL (90% by default) move within one TTL of the answer's change, and the rest
/// follow a heavy tail (2% still stale after 15 minutes; docs/references.md#dns-ttl-and-resolvers).
/// At 90% the RTO measures the failover (detection, propagation, TTL, capacity); at 95% or 99% it
/// measures that tail, where the success ratio climbs so slowly (about 0.01 percentage points a
/// second) that a window's sampling noise moves the crossing by minutes. Set `recovery` to ask
/// another question.
pub const DEFAULT_RECOVERY_LEVEL: f64 = 0.90;
/// Default sliding window of the recovery level \[s\].
pub const DEFAULT_RECOVERY_WINDOW_S: f64 = 10.0;
/// Default time the success ratio must stay at the recovery level \[s\].
pub const DEFAULT_RECOVERY_HOLD_S: f64 = 60.0;

impl Recovery {
    /// Resolves the scenario's `recovery` (defaults for what it leaves out), rounding the window and hold to
    /// whole bins. Every problem is pushed onto `issues`.
    pub fn resolve(
        spec: Option<&crate::input::spec::scenario::RecoverySpec>,
        issues: &mut Issues,
    ) -> Recovery {
        let default = crate::input::spec::scenario::RecoverySpec::default();
        let spec = spec.unwrap_or(&default);
        let level = spec.success_ratio.unwrap_or(DEFAULT_RECOVERY_LEVEL);
        if !(level > 0.0 && level <= 1.0) {
            issues.push("recovery.success_ratio", format!("must be in (0, 1] (got {level})"));
        }
        let window_s = spec.window_s.unwrap_or(DEFAULT_RECOVERY_WINDOW_S);
        if !(window_s.is_finite() && (0.01..=86_400.0).contains(&window_s)) {
            issues.push("recovery.window_s", format!("must be between 0.01 and 86400 s (got {window_s})"));
        }
        let hold_s = spec.hold_s.unwrap_or(DEFAULT_RECOVERY_HOLD_S);
        if !(hold_s.is_finite() && (0.0..=86_400.0).contains(&hold_s)) {
            issues.push("recovery.hold_s", format!("must be between 0 and 86400 s (got {hold_s})"));
        }
        let bin = SimTime::from_secs_f64(window_s.clamp(0.01, 86_400.0) / 10.0).max(SimTime(1));
        let bins = |s: f64| SimTime(bin.0 * (s.clamp(0.0, 86_400.0) / bin.as_secs_f64()).round() as u64);
        Recovery { level: level.clamp(1e-9, 1.0), window: bins(window_s).max(bin), hold: bins(hold_s), bin }
    }
}

impl Scenario {
    /// Checks a scenario against its model. Every problem is pushed onto `issues`; `None` if any.
    pub fn resolve(spec: &ScenarioSpec, model: &Model, issues: &mut Issues) -> Option<Scenario> {
        Scenario::resolve_with(spec, Some(model), issues)
    }

    /// Checks what of a scenario can be checked without its model (times, rates, distributions, budgets,
    /// data, fidelity, recovery): what is reported when the model itself has errors, so that a scenario's
    /// problems do not wait for the model's to be fixed. Every problem is pushed onto `issues`.
    pub fn check_without_model(spec: &ScenarioSpec, issues: &mut Issues) {
        let _ = Scenario::resolve_with(spec, None, issues);
    }

    /// [`Scenario::resolve`], or only the checks that need no model when `model` is `None` (and then `None`).
    fn resolve_with(spec: &ScenarioSpec, model: Option<&Model>, issues: &mut Issues) -> Option<Scenario> {
        let before = issues.len();
        if spec.name.trim().is_empty() {
            issues.push("name", "must not be empty");
        }
        let positive = |v: f64| v.is_finite() && v > 0.0;
        if !positive(spec.horizon_s) {
            issues.push("horizon_s", format!("must be a finite number > 0 (got {})", number(spec.horizon_s)));
        } else if spec.horizon_s > MAX_HORIZON_S {
            issues.push(
                "horizon_s",
                format!(
                    "must be at most {MAX_HORIZON_S} s (250 years; the clock counts nanoseconds) (got {})",
                    number(spec.horizon_s)
                ),
            );
        }
        if !(spec.warmup_s.is_finite() && spec.warmup_s >= 0.0 && spec.warmup_s < spec.horizon_s) {
            issues.push(
                "warmup_s",
                format!(
                    "must be >= 0 and shorter than horizon_s = {} (got {})",
                    number(spec.horizon_s),
                    number(spec.warmup_s)
                ),
            );
        }
        if spec.replications == 0 {
            issues.push(
                "replications",
                "must be at least 1 (got 0); 20 or more give useful confidence intervals",
            );
        } else if spec.replications > MAX_REPLICATIONS {
            issues.push(
                "replications",
                format!("must be at most {MAX_REPLICATIONS} (got {})", spec.replications),
            );
        }

        // Traffic.
        let t = &spec.traffic;
        let mut rates: Vec<Option<f64>> = vec![None; model.map_or(0, |m| m.populations.len())];
        for (i, p) in t.populations.iter().enumerate() {
            let path = format!("traffic.populations[{}]", p.name);
            let Some(model) = model else {
                check_rate(p.rate_per_s, &format!("{path}.rate_per_s"), issues);
                continue;
            };
            match model.population(&p.name) {
                Some(id) if rates[id].is_some() => issues.push(&path, "population listed twice"),
                Some(id) => rates[id] = Some(p.rate_per_s),
                None => issues.push(
                    &path,
                    format!(
                        "unknown population '{}' (entry {i}); the model has: {}{}",
                        p.name,
                        known(model.populations.iter().map(|p| p.name.as_str())),
                        did_you_mean(&p.name, model.populations.iter().map(|p| p.name.as_str()))
                    ),
                ),
            }
            check_rate(p.rate_per_s, &format!("{path}.rate_per_s"), issues);
        }
        if let Some(total) = t.rate_per_s {
            check_rate(total, "traffic.rate_per_s", issues);
        }
        let mut rates_per_s = Vec::new();
        for (p, rate) in rates.iter().enumerate() {
            let Some(model) = model else { break };
            match (rate, t.rate_per_s) {
                (Some(r), _) => rates_per_s.push(*r),
                (None, Some(total)) => rates_per_s.push(total * model.populations[p].share),
                (None, None) => issues.push(
                    "traffic",
                    format!(
                        "no rate for population '{}': set traffic.rate_per_s (split by shares) or list it in \
                         traffic.populations",
                        model.populations[p].name
                    ),
                ),
            }
        }
        let sum: f64 = rates_per_s.iter().sum();
        let each_within = t.rate_per_s.is_none_or(|r| r <= MAX_RATE_PER_S)
            && rates_per_s.iter().all(|&r| r <= MAX_RATE_PER_S);
        if each_within && sum > MAX_RATE_PER_S {
            issues.push(
                "traffic",
                format!(
                    "the populations' rates add up to {} requests/s: at most {} in all",
                    number(sum),
                    number(MAX_RATE_PER_S)
                ),
            );
        }
        let daily_profile = match &t.daily_profile {
            None => None,
            Some(v) if v.len() != 24 => {
                issues
                    .push("traffic.daily_profile", format!("needs 24 hourly multipliers (got {})", v.len()));
                None
            }
            Some(v) => {
                if let Some(bad) = v.iter().find(|m| !(m.is_finite() && **m >= 0.0)) {
                    issues.push("traffic.daily_profile", format!("multipliers must be >= 0 (got {bad})"));
                }
                let mut a = [0.0; 24];
                a.copy_from_slice(v);
                Some(a)
            }
        };

        // Failure processes: later entries override earlier ones for the components they cover.
        // A map: a model of many instances has as many components, and a linear search for each is quadratic.
        let mut by_component: std::collections::BTreeMap<Component, FailureProcess> = Default::default();
        for (i, f) in spec.failures.iter().enumerate() {
            let path = format!("failures[{i}]");
            let ttf = f.time_to_failure.resolve(&format!("{path}.time_to_failure"), issues);
            let ttr = f.time_to_repair.resolve(&format!("{path}.time_to_repair"), issues);
            for (what, d) in [("time_to_failure", &ttf), ("time_to_repair", &ttr)] {
                if let Some(d) = d
                    && (d.mean_s().is_nan() || d.mean_s() < MIN_FAILURE_MEAN_S)
                {
                    issues.push(
                        format!("{path}.{what}"),
                        format!(
                            "has a mean of {} s: at least {MIN_FAILURE_MEAN_S} s (1 ms), or the components would fail \
                             and be repaired without end",
                            number(d.mean_s())
                        ),
                    );
                }
            }
            let Some(model) = model else { continue };
            let components = match targets::select(model, f.kind, &f.only, &format!("{path}.only"), issues) {
                Some(c) => c,
                None => continue,
            };
            let (Some(ttf), Some(ttr)) = (ttf, ttr) else { continue };
            for c in components {
                let mode = FailureMode::resolve(f.mode.as_ref(), c, &format!("{path}.mode"), issues);
                let process =
                    FailureProcess { time_to_failure: ttf.clone(), time_to_repair: ttr.clone(), mode };
                by_component.insert(c, process);
            }
        }
        let by_component: Vec<(Component, FailureProcess)> = by_component.into_iter().collect();

        // Injected outages.
        let mut outages = Vec::new();
        for (i, o) in spec.outages.iter().enumerate() {
            let path = format!("outages[{i}]");
            let Some(model) = model else {
                check_outage_times(o, &path, spec, issues);
                continue;
            };
            let component = targets::outage_target(model, &o.target);
            match component {
                Ok(c) => {
                    check_outage_times(o, &path, spec, issues);
                    let start = SimTime::from_secs_f64(o.start_s);
                    let mode = FailureMode::resolve(o.mode.as_ref(), c, &format!("{path}.mode"), issues);
                    outages.push(Outage {
                        component: c,
                        start,
                        end: start.plus(SimTime::from_secs_f64(o.duration_s)),
                        mode,
                    });
                }
                Err(message) => issues.push(format!("{path}.target"), message),
            }
        }

        let objectives = match model {
            Some(model) => objective::resolve(spec.objectives.as_ref(), model, issues),
            None => Vec::new(),
        };

        let budgets = spec.budgets.clone().unwrap_or_default();
        let max_events = budgets.max_events.unwrap_or(DEFAULT_MAX_EVENTS);
        let max_queue = budgets.max_queue.unwrap_or(DEFAULT_MAX_QUEUE);
        if max_events == 0 {
            issues.push("budgets.max_events", "must be at least 1");
        }
        if max_queue == 0 {
            issues.push("budgets.max_queue", "must be at least 1");
        }

        let d = spec.data.clone().unwrap_or_default();
        let data = Data {
            write_fraction: d.write_fraction.unwrap_or(0.2),
            keys: d.keys.unwrap_or(100_000),
            zipf_exponent: d.zipf_exponent.unwrap_or(0.99),
            key_table: None,
        };
        if !(0.0..=1.0).contains(&data.write_fraction) {
            issues.push("data.write_fraction", format!("must be in [0, 1] (got {})", data.write_fraction));
        }
        if data.keys == 0 {
            issues.push("data.keys", "must be at least 1");
        } else if data.keys > MAX_KEYS {
            issues.push("data.keys", format!("must be at most {MAX_KEYS} (got {})", data.keys));
        }
        if !(data.zipf_exponent.is_finite() && data.zipf_exponent >= 0.0) {
            issues.push("data.zipf_exponent", format!("must be >= 0 (got {})", data.zipf_exponent));
        }

        let total_rate = match model {
            Some(_) => rates_per_s.iter().sum(),
            None => t.rate_per_s.unwrap_or(0.0) + t.populations.iter().map(|p| p.rate_per_s).sum::<f64>(),
        };
        let fidelity = Fidelity::resolve(spec.fidelity.as_ref(), total_rate, issues);
        let recovery = Recovery::resolve(spec.recovery.as_ref(), issues);

        let model = model?;
        if issues.len() > before {
            return None;
        }
        let mut data = data;
        if model.path_store.is_some() && data.zipf_exponent > 0.0 && data.keys <= MAX_TABULATED_KEYS {
            // P(key k) ∝ 1 / k^s, k = 1..N.
            let weights: Vec<f64> = (1..=data.keys).map(|k| (k as f64).powf(-data.zipf_exponent)).collect();
            data.key_table = KeyTable::new(&weights).map(std::sync::Arc::new);
        }
        Some(Scenario {
            name: spec.name.clone(),
            horizon: SimTime::from_secs_f64(spec.horizon_s),
            warmup: SimTime::from_secs_f64(spec.warmup_s),
            replications: spec.replications,
            seed: spec.seed,
            rates_per_s,
            daily_profile,
            failures: by_component,
            outages,
            max_events,
            max_queue,
            data,
            objectives,
            fidelity,
            recovery,
        })
    }

    /// Rate multiplier at time `t` (1 without a daily profile).
    pub fn rate_multiplier(&self, t: SimTime) -> f64 {
        match &self.daily_profile {
            None => 1.0,
            Some(p) => p[((t.0 / 3_600_000_000_000) % 24) as usize],
        }
    }

    /// The largest rate multiplier (the envelope for thinning arrivals).
    pub fn peak_multiplier(&self) -> f64 {
        self.daily_profile.as_ref().map_or(1.0, |p| p.iter().copied().fold(0.0, f64::max))
    }
}

/// An overloaded deployment with unbounded queues would grow without limit: the run would only end at the
/// queue budget. Catch it before simulating, and say what would fix it.
/// A deployment that cannot keep up with its traffic even with every instance up.
#[derive(Debug, Clone, PartialEq)]
pub struct Overload {
    /// The deployment's field path, `services[api].deployments[us-east-1]`.
    pub deployment: String,
    /// The service's name.
    pub service: String,
    /// Offered load per server (of the daily mean rate under a daily profile).
    pub utilisation: f64,
    /// The fewest instances that bring the utilisation below 1.
    pub instances_needed: u64,
    /// Whether `utilisation` is of the daily mean rate (the traffic has a daily profile with a peak above its
    /// mean).
    pub of_daily_mean: bool,
}

impl Scenario {
    /// Deployments whose queues would fill with every instance up and the routing as it starts: their
    /// clients time out (or, with `max_queue`, are shed). A daily peak above capacity drains in the
    /// trough; only the mean must stay below 1.
    pub fn overloads(&self, model: &Model) -> Vec<Overload> {
        let profile = self.daily_profile.as_ref();
        let peak = profile.map_or(1.0, |p| p.iter().copied().fold(0.0, f64::max));
        let mean = profile.map_or(1.0, |p| p.iter().sum::<f64>() / 24.0);
        let mut out = Vec::new();
        for (d, load) in model.offered_load(&self.rates_per_s) {
            let dep = &model.deployments[d];
            let service = &model.services[dep.service];
            let servers = (dep.instances.len() as u64 * service.concurrency as u64) as f64;
            let utilisation = load * mean / servers;
            if utilisation >= 1.0 {
                out.push(Overload {
                    deployment: format!(
                        "services[{}].deployments[{}]",
                        service.name, model.regions[dep.region].name
                    ),
                    service: service.name.clone(),
                    utilisation,
                    // `as` saturates a huge or infinite load at u64::MAX; the `+ 1` must too.
                    instances_needed: ((load * mean / service.concurrency as f64).floor() as u64)
                        .saturating_add(1),
                    of_daily_mean: peak > mean,
                });
            }
        }
        out
    }
}

/// A request rate: finite, >= 0 and at most [`MAX_RATE_PER_S`].
fn check_rate(rate: f64, path: &str, issues: &mut Issues) {
    if !(rate.is_finite() && rate >= 0.0) {
        issues.push(path, format!("must be >= 0 (got {})", number(rate)));
    } else if rate > MAX_RATE_PER_S {
        issues.push(
            path,
            format!("must be at most {} requests/s (got {})", number(MAX_RATE_PER_S), number(rate)),
        );
    }
}

/// An outage's start and duration, and where they fall: one that starts at or after the horizon never
/// happens, and one that ends within the warm-up is never counted; both are surely mistakes.
fn check_outage_times(o: &OutageSpec, path: &str, spec: &ScenarioSpec, issues: &mut Issues) {
    let start_ok = o.start_s.is_finite() && o.start_s >= 0.0;
    if !start_ok {
        issues.push(format!("{path}.start_s"), format!("must be >= 0 (got {})", number(o.start_s)));
    }
    let duration_ok = o.duration_s.is_finite() && o.duration_s > 0.0;
    if !duration_ok {
        issues.push(format!("{path}.duration_s"), format!("must be > 0 (got {})", number(o.duration_s)));
    }
    if !(start_ok && duration_ok && spec.horizon_s.is_finite()) {
        return;
    }
    if o.start_s >= spec.horizon_s {
        issues.push(
            format!("{path}.start_s"),
            format!(
                "starts at {} s, at or after the end of the run (horizon_s = {}): it would never happen; \
                 start it earlier or lengthen horizon_s",
                number(o.start_s),
                number(spec.horizon_s)
            ),
        );
    } else if spec.warmup_s.is_finite() && o.start_s + o.duration_s <= spec.warmup_s {
        issues.push(
            format!("{path}.start_s"),
            format!(
                "is over by {} s, within the warm-up (warmup_s = {}), whose requests are not counted: \
                 nothing it does would be seen; start it after the warm-up",
                number(o.start_s + o.duration_s),
                number(spec.warmup_s)
            ),
        );
    }
}
