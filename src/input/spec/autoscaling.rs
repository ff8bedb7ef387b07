//! A deployment's autoscaling, as written in a model file: target tracking on one metric, with its
//! evaluation cadence, cooldowns, instance launch time and bounds, and scheduled actions. Defaults are
//! EC2 Auto Scaling's and Application Auto Scaling's (docs/references.md#autoscaling-defaults).

use serde::{Deserialize, Serialize};

use super::distribution::DistributionSpec;

/// Target tracking scaling of one deployment (an Auto Scaling group behind its load balancer). Every
/// `metric_period_s` the metric of the period is compared with the target; after `scale_out_periods`
/// periods above it the fleet grows to ceil(load / target) instances (launching takes `launch`, and
/// needs the region's control plane), after `scale_in_periods` periods in which fewer instances would
/// do it shrinks, each removed instance draining first. `instances` of the deployment is the fleet it
/// starts with, between `min` and `max`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutoscalingSpec {
    /// The metric tracked and its target.
    pub metric: ScalingMetricSpec,
    /// Fewest instances, at least 1. Default 1.
    #[serde(default = "AutoscalingSpec::default_min")]
    pub min: u32,
    /// Most instances, at least `min` and the deployment's `instances`.
    pub max: u32,
    /// One datapoint of the metric covers this long \[s\]. Default 60 (one-minute, detailed monitoring).
    #[serde(default = "AutoscalingSpec::default_metric_period_s")]
    pub metric_period_s: f64,
    /// Consecutive periods above the target before scaling out. Default 3 (the target-tracking high alarm).
    #[serde(default = "AutoscalingSpec::default_scale_out_periods")]
    pub scale_out_periods: u32,
    /// Consecutive periods in which fewer instances would meet the target before scaling in. Default 15
    /// (the target-tracking low alarm).
    #[serde(default = "AutoscalingSpec::default_scale_in_periods")]
    pub scale_in_periods: u32,
    /// After a scale-out, a further one only if it asks for more than that one did, until this has
    /// passed \[s\]. Default 300.
    #[serde(default = "AutoscalingSpec::default_cooldown_s")]
    pub scale_out_cooldown_s: f64,
    /// No scale-in until this has passed since the last scaling activity \[s\]. Default 300.
    #[serde(default = "AutoscalingSpec::default_cooldown_s")]
    pub scale_in_cooldown_s: f64,
    /// From the launch request to the instance serving and counted in the metric (boot and warm-up).
    /// Default `LogNormal(median_s: 300.0, sigma: 0.5)`: a median of 300 s, target tracking's default
    /// warm-up, as the shipped models assume for adding an instance (no AWS figure for boot time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub launch: Option<DistributionSpec>,
    /// How long a removed instance drains (out of rotation, finishing what it holds) before it is
    /// terminated \[s\]; it goes as soon as it is idle. Default 300 (the target group's deregistration
    /// delay).
    #[serde(default = "AutoscalingSpec::default_cooldown_s")]
    pub deregistration_delay_s: f64,
    /// Scheduled actions: at a time, new bounds and optionally a new desired capacity.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scheduled: Vec<ScheduledActionSpec>,
}

impl AutoscalingSpec {
    fn default_min() -> u32 {
        1
    }
    fn default_metric_period_s() -> f64 {
        60.0
    }
    fn default_scale_out_periods() -> u32 {
        3
    }
    fn default_scale_in_periods() -> u32 {
        15
    }
    fn default_cooldown_s() -> f64 {
        300.0
    }
}

/// What target tracking keeps at its target.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum ScalingMetricSpec {
    /// The fleet's average utilisation (busy servers over servers, as CPU utilisation), in (0, 1).
    Utilisation {
        /// The utilisation to keep, above 0 and below 1 (0.6: 60%).
        target: f64,
    },
    /// Requests each instance receives per second (as the load balancer's request count per target).
    RequestsPerInstance {
        /// Requests per second per instance to keep, above 0.
        target_per_s: f64,
    },
}

/// At `at_s`, the bounds (and optionally the desired capacity) change, as a scheduled action does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScheduledActionSpec {
    /// When, from the start of the replication \[s\].
    pub at_s: f64,
    /// The new minimum. Default: unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min: Option<u32>,
    /// The new maximum. Default: unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<u32>,
    /// The fleet to grow or shrink to at once (then target tracking goes on). Default: unchanged.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desired: Option<u32>,
}
