//! Passive outlier detection, resolved: the consecutive failures that eject an instance from its
//! load balancer, the sweep interval that returns it, the ejection times and the share of the fleet
//! that may be ejected at once (docs/references.md#outlier-detection).

use crate::input::issue::{Issues, number};
use crate::input::spec::outlier::OutlierDetectionSpec;
use crate::model::time::SimTime;

/// The longest sweep interval or ejection time accepted \[s\]: a day.
const MAX_S: f64 = 86_400.0;

/// A service's outlier detection, applied by each of its deployments' balancers.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OutlierPolicy {
    /// Failures in a row that eject an instance.
    pub consecutive_5xx: u32,
    /// Time between two sweeps (at k × interval from the start).
    pub interval: SimTime,
    /// The first ejection's time; the n-th in a row lasts n times as long.
    pub base_ejection: SimTime,
    /// An instance is ejected only while less than this percentage of its deployment is.
    pub max_ejection_percent: u32,
    /// The longest ejection.
    pub max_ejection: SimTime,
}

impl OutlierPolicy {
    /// Resolves `spec` at `path` (`services[NAME].outlier_detection`), recording every problem;
    /// `None` if any.
    pub fn resolve(spec: &OutlierDetectionSpec, path: &str, issues: &mut Issues) -> Option<OutlierPolicy> {
        let before = issues.len();
        if spec.consecutive_5xx == 0 {
            issues.push(format!("{path}.consecutive_5xx"), "must be at least 1, got 0");
        }
        for (field, v) in [
            ("interval_s", spec.interval_s),
            ("base_ejection_time_s", spec.base_ejection_time_s),
            ("max_ejection_time_s", spec.max_ejection_time_s),
        ] {
            if !(v.is_finite() && v > 0.0 && v <= MAX_S) {
                issues.push(
                    format!("{path}.{field}"),
                    format!("must be above 0 and at most {} s, got {}", number(MAX_S), number(v)),
                );
            }
        }
        if spec.max_ejection_percent > 100 {
            issues.push(
                format!("{path}.max_ejection_percent"),
                format!("must be from 0 to 100, got {}", spec.max_ejection_percent),
            );
        }
        if spec.max_ejection_time_s.is_finite()
            && spec.base_ejection_time_s.is_finite()
            && spec.max_ejection_time_s < spec.base_ejection_time_s
        {
            // Envoy refuses the same configuration.
            issues.push(
                format!("{path}.max_ejection_time_s"),
                format!(
                    "must be at least base_ejection_time_s ({}), got {}",
                    number(spec.base_ejection_time_s),
                    number(spec.max_ejection_time_s)
                ),
            );
        }
        (issues.len() == before).then(|| OutlierPolicy {
            consecutive_5xx: spec.consecutive_5xx,
            interval: SimTime::from_secs_f64(spec.interval_s),
            base_ejection: SimTime::from_secs_f64(spec.base_ejection_time_s),
            max_ejection_percent: spec.max_ejection_percent,
            max_ejection: SimTime::from_secs_f64(spec.max_ejection_time_s),
        })
    }
}
