//! A service's passive outlier detection as written: how many consecutive failures eject an
//! instance from its load balancer, for how long, and how much of the fleet may be out at once.

use serde::{Deserialize, Serialize};

/// Passive outlier detection of a service's load balancers, as Envoy's `OutlierDetection` does it for
/// consecutive 5xx (docs/references.md#outlier-detection); every field optional, with Envoy's defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutlierDetectionSpec {
    /// Failures in a row (errors the instance returns, connections it refuses, requests it leaves
    /// unanswered until they time out) that eject an instance, at least 1. Default 5.
    #[serde(default = "OutlierDetectionSpec::default_consecutive_5xx")]
    pub consecutive_5xx: u32,
    /// Time between two sweeps, which return ejected instances whose ejection time has passed \[s\],
    /// above 0. Default 10.
    #[serde(default = "OutlierDetectionSpec::default_interval_s")]
    pub interval_s: f64,
    /// The ejection time of a first ejection \[s\], above 0; the n-th ejection in a row lasts n times
    /// as long. Default 30.
    #[serde(default = "OutlierDetectionSpec::default_base_ejection_time_s")]
    pub base_ejection_time_s: f64,
    /// An instance is ejected only while less than this share of the deployment's instances is
    /// ejected \[%\], 0 to 100. Default 10.
    #[serde(default = "OutlierDetectionSpec::default_max_ejection_percent")]
    pub max_ejection_percent: u32,
    /// The longest ejection \[s\], at least `base_ejection_time_s`. Default 300.
    #[serde(default = "OutlierDetectionSpec::default_max_ejection_time_s")]
    pub max_ejection_time_s: f64,
}

impl OutlierDetectionSpec {
    fn default_consecutive_5xx() -> u32 {
        5
    }
    fn default_interval_s() -> f64 {
        10.0
    }
    fn default_base_ejection_time_s() -> f64 {
        30.0
    }
    fn default_max_ejection_percent() -> u32 {
        10
    }
    fn default_max_ejection_time_s() -> f64 {
        300.0
    }
}
