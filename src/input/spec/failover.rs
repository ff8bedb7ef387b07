//! What starts a failover, as written in a model file: the health checks at once (`Automatic`, the
//! default), or an operator alerted by an alarm (`Operator`), for a standby posture's activation and for
//! a store's promotion. Defaults and sources: docs/references.md#failover-trigger.

use serde::{Deserialize, Serialize};

use super::distribution::DistributionSpec;

/// Who starts a failover (a standby's scale-up, provisioning or restore; a store replica's promotion).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum FailoverSpec {
    /// As soon as the failure is seen: a standby when the health checks declare the region it backs up
    /// unhealthy, a store when its primary's copy fails.
    Automatic,
    /// An operator: an alarm watches the region, and once it fires a person decides, after `decision`,
    /// to fail over; then the activation or promotion runs as it would automatically. A region that
    /// serves again before the decision is not failed over (the operator stands down).
    Operator {
        /// The alarm that pages the operator. Default: one period of 60 s, the alarm Route 53 creates
        /// for a health check (docs/references.md#failover-trigger).
        #[serde(default)]
        alarm: AlarmSpec,
        /// From the alarm firing to the operator's decision to fail over (no default: no published
        /// figure, docs/references.md#failover-trigger).
        decision: Box<DistributionSpec>,
    },
}

/// A CloudWatch-like alarm on a region: datapoints cover periods aligned on the clock (multiples of
/// `period_s` from the start of the simulation); a period breaches when the watched region is down at
/// its end; the alarm fires at the end of the `evaluation_periods`-th consecutive breaching period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlarmSpec {
    /// The period one datapoint covers \[s\], > 0. Default 60 (a standard-resolution metric's minute).
    #[serde(default = "AlarmSpec::default_period_s")]
    pub period_s: f64,
    /// Consecutive breaching periods before the alarm fires, at least 1. Default 1 (Route 53's alarm:
    /// "unhealthy for 1 minute").
    #[serde(default = "AlarmSpec::default_evaluation_periods")]
    pub evaluation_periods: u32,
}

impl AlarmSpec {
    fn default_period_s() -> f64 {
        60.0
    }
    fn default_evaluation_periods() -> u32 {
        1
    }
}

impl Default for AlarmSpec {
    fn default() -> AlarmSpec {
        AlarmSpec {
            period_s: AlarmSpec::default_period_s(),
            evaluation_periods: AlarmSpec::default_evaluation_periods(),
        }
    }
}
