//! A deployment's autoscaling, resolved (the `autoscaling` of a deployment): target tracking on
//! utilisation or requests per instance, evaluated every metric period, with EC2 Auto Scaling's
//! cadence and cooldowns as defaults, a launch-time distribution, bounds, and scheduled actions
//! (docs/references.md#autoscaling-defaults).

use crate::input::issue::{Issues, number};
use crate::input::spec::autoscaling::{AutoscalingSpec, ScalingMetricSpec};
use crate::model::distribution::{Distribution, DistributionSpec};
use crate::model::time::SimTime;

/// The longest metric period accepted \[s\]: a day (CloudWatch keeps one-minute datapoints, and
/// target tracking evaluates over minutes; a longer period would never react within a run).
pub const MAX_METRIC_PERIOD_S: f64 = 86_400.0;
/// The most consecutive periods a scaling decision may wait for: a day of one-minute periods (a bound
/// that only stops a runaway setting).
pub const MAX_EVALUATION_PERIODS: u32 = 1_440;

/// What target tracking keeps at its target.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum ScalingMetric {
    /// Average utilisation of the in-service servers, in (0, 1).
    Utilisation {
        /// The utilisation to keep.
        target: f64,
    },
    /// Requests per in-service instance per second.
    RequestsPerInstance {
        /// Requests per second per instance to keep.
        target_per_s: f64,
    },
}

/// A scheduled action, resolved.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ScheduledAction {
    /// When it applies.
    pub at: SimTime,
    /// The new minimum, if it changes.
    pub min: Option<u32>,
    /// The new maximum, if it changes.
    pub max: Option<u32>,
    /// The capacity to set at once, if any.
    pub desired: Option<u32>,
}

/// A deployment's autoscaling policy.
#[derive(Debug, Clone, PartialEq)]
pub struct Autoscaling {
    /// The metric and its target.
    pub metric: ScalingMetric,
    /// Fewest instances at the start (a scheduled action may change it), at least 1.
    pub min: u32,
    /// Most instances at the start.
    pub max: u32,
    /// The length of one datapoint.
    pub period: SimTime,
    /// Consecutive periods above the target before a scale-out.
    pub scale_out_periods: u32,
    /// Consecutive periods wanting fewer instances before a scale-in.
    pub scale_in_periods: u32,
    /// After a scale-out, a further one only when it asks for more, for this long.
    pub scale_out_cooldown: SimTime,
    /// No scale-in for this long after any scaling activity.
    pub scale_in_cooldown: SimTime,
    /// From a launch request to the instance in service \[s\].
    pub launch: Distribution,
    /// The longest a removed instance drains before it is terminated.
    pub deregistration_delay: SimTime,
    /// Scheduled actions, in time order.
    pub scheduled: Vec<ScheduledAction>,
}

impl Autoscaling {
    /// The most instances any bound lets the deployment run: its pool of instances.
    pub fn pool(&self) -> u32 {
        self.scheduled.iter().filter_map(|a| a.max).fold(self.max, u32::max)
    }

    /// Resolves `spec` at `path` (`services[S].deployments[R].autoscaling`) for a deployment that starts
    /// with `instances` and may have at most `limit`, recording every problem; `None` if any.
    pub fn resolve(
        spec: &AutoscalingSpec,
        instances: u32,
        limit: u32,
        path: &str,
        issues: &mut Issues,
    ) -> Option<Autoscaling> {
        let before = issues.len();
        let metric = match spec.metric {
            ScalingMetricSpec::Utilisation { target } => {
                if !(target.is_finite() && target > 0.0 && target < 1.0) {
                    issues.push(
                        format!("{path}.metric.target"),
                        format!("a utilisation to keep must be above 0 and below 1, got {}", number(target)),
                    );
                }
                ScalingMetric::Utilisation { target }
            }
            ScalingMetricSpec::RequestsPerInstance { target_per_s } => {
                if !(target_per_s.is_finite() && target_per_s > 0.0) {
                    issues.push(
                        format!("{path}.metric.target_per_s"),
                        format!("must be above 0 requests/s, got {}", number(target_per_s)),
                    );
                }
                ScalingMetric::RequestsPerInstance { target_per_s }
            }
        };
        check_bounds(spec.min, spec.max, limit, path, issues);
        if instances < spec.min || instances > spec.max {
            issues.push(
                format!("{path}.min"),
                format!(
                    "the deployment starts with {instances} instances, outside min..max ({}..{})",
                    spec.min, spec.max
                ),
            );
        }
        let seconds = |field: &str, v: f64, lo: f64, hi: f64, issues: &mut Issues| {
            if !(v.is_finite() && v >= lo && v <= hi) {
                issues.push(
                    format!("{path}.{field}"),
                    format!("must be from {} to {} s, got {}", number(lo), number(hi), number(v)),
                );
            }
            SimTime::from_secs_f64(v)
        };
        let period = seconds("metric_period_s", spec.metric_period_s, 1.0, MAX_METRIC_PERIOD_S, issues);
        let scale_out_cooldown =
            seconds("scale_out_cooldown_s", spec.scale_out_cooldown_s, 0.0, 86_400.0, issues);
        let scale_in_cooldown =
            seconds("scale_in_cooldown_s", spec.scale_in_cooldown_s, 0.0, 86_400.0, issues);
        let deregistration_delay =
            seconds("deregistration_delay_s", spec.deregistration_delay_s, 0.0, 3_600.0, issues);
        for (field, v) in
            [("scale_out_periods", spec.scale_out_periods), ("scale_in_periods", spec.scale_in_periods)]
        {
            if !(1..=MAX_EVALUATION_PERIODS).contains(&v) {
                issues.push(
                    format!("{path}.{field}"),
                    format!("must be from 1 to {MAX_EVALUATION_PERIODS} periods, got {v}"),
                );
            }
        }
        let launch = match &spec.launch {
            Some(l) => l.resolve(&format!("{path}.launch"), issues),
            None => default_launch().resolve(&format!("{path}.launch"), issues),
        };
        let mut scheduled = Vec::new();
        let (mut min, mut max) = (spec.min, spec.max);
        let mut order: Vec<usize> = (0..spec.scheduled.len()).collect();
        order.sort_by(|&a, &b| spec.scheduled[a].at_s.total_cmp(&spec.scheduled[b].at_s));
        for k in order {
            let a = &spec.scheduled[k];
            let apath = format!("{path}.scheduled[{k}]");
            if !(a.at_s.is_finite() && a.at_s >= 0.0) {
                issues
                    .push(format!("{apath}.at_s"), format!("must be a time >= 0 s, got {}", number(a.at_s)));
            }
            if a.min.is_none() && a.max.is_none() && a.desired.is_none() {
                issues.push(&apath, "set at least one of min, max and desired");
            }
            // Bounds hold from one action to the next, as an Auto Scaling group's do.
            (min, max) = (a.min.unwrap_or(min), a.max.unwrap_or(max));
            check_bounds(min, max, limit, &apath, issues);
            if let Some(d) = a.desired
                && !(min..=max).contains(&d)
            {
                issues.push(
                    format!("{apath}.desired"),
                    format!("must lie within the bounds then in force, {min}..{max}, got {d}"),
                );
            }
            scheduled.push(ScheduledAction {
                at: SimTime::from_secs_f64(a.at_s.max(0.0)),
                min: a.min,
                max: a.max,
                desired: a.desired,
            });
        }
        let launch = launch?;
        (issues.len() == before).then_some(Autoscaling {
            metric,
            min: spec.min,
            max: spec.max,
            period,
            scale_out_periods: spec.scale_out_periods,
            scale_in_periods: spec.scale_in_periods,
            scale_out_cooldown,
            scale_in_cooldown,
            launch,
            deregistration_delay,
            scheduled,
        })
    }
}

/// The launch time when none is given: a median of 300 s (target tracking's default warm-up, the
/// group's default cooldown), log-normal with σ 0.5 as the shipped models assume for adding an
/// instance (docs/references.md#autoscaling-defaults).
fn default_launch() -> DistributionSpec {
    DistributionSpec::LogNormal {
        median_ms: None,
        median_s: Some(300.0),
        median_min: None,
        median_h: None,
        sigma: Some(0.5),
        mean_ms: None,
        mean_s: None,
        mean_min: None,
        mean_h: None,
        p99_ms: None,
        p99_s: None,
        p99_min: None,
        p99_h: None,
    }
}

/// `min` at least 1, at most `max`, `max` within the per-deployment `limit`.
fn check_bounds(min: u32, max: u32, limit: u32, path: &str, issues: &mut Issues) {
    if min == 0 {
        issues.push(
            format!("{path}.min"),
            "must be at least 1: with no instance in service no metric is reported, and target tracking \
             never scales out from zero",
        );
    }
    if min > max {
        issues.push(format!("{path}.min"), format!("must be at most max ({max}), got {min}"));
    }
    if max > limit {
        issues.push(format!("{path}.max"), format!("must be at most {limit} (got {max})"));
    }
}
