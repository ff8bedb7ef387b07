//! How components fail: the failure modes (a crash, or gray failures), random failure processes and
//! injected outages.

use super::Component;
use crate::input::issue::Issues;
use crate::input::issue::number;
use crate::input::spec::scenario::FailureModeSpec;
use crate::model::distribution::Distribution;
use crate::model::time::SimTime;

/// How a component fails (resolved [`FailureModeSpec`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum FailureMode {
    /// It stops.
    Crash,
    /// Its instances serve every request `factor` times slower.
    Slow {
        /// The service-time multiplier, at least 1.
        factor: f64,
    },
    /// A share of its instances' requests fail, at once or (with `hang`) at the client's timeout.
    Failing {
        /// In (0, 1].
        share: f64,
        /// Failed requests hang until their client gives up.
        hang: bool,
    },
}

impl FailureMode {
    /// How a component in this mode serves, said aloud (`slow ×3`, `failing 50%`, `failing 50%,
    /// hanging`); `None` for a crash.
    pub fn describe(&self) -> Option<String> {
        match *self {
            FailureMode::Crash => None,
            FailureMode::Slow { factor } => Some(format!("slow ×{}", (factor * 100.0).round() / 100.0)),
            FailureMode::Failing { share, hang } => {
                let pct = (share * 10_000.0).round() / 100.0;
                Some(if hang { format!("failing {pct}%, hanging") } else { format!("failing {pct}%") })
            }
        }
    }
}

impl FailureMode {
    /// Resolves `spec` (default `Crash`) for `component`, recording a problem at `path`.
    pub(super) fn resolve(
        spec: Option<&FailureModeSpec>,
        component: Component,
        path: &str,
        issues: &mut Issues,
    ) -> FailureMode {
        let mode = match spec {
            None | Some(FailureModeSpec::Crash) => return FailureMode::Crash,
            Some(&FailureModeSpec::Slow { factor }) => {
                if !(factor.is_finite() && (1.0..=1e6).contains(&factor)) {
                    issues.push(
                        format!("{path}.factor"),
                        format!("must be from 1 to 1e6, got {}", number(factor)),
                    );
                    return FailureMode::Crash;
                }
                FailureMode::Slow { factor }
            }
            Some(&FailureModeSpec::Failing { share, hang }) => {
                if !(share > 0.0 && share <= 1.0) {
                    issues.push(format!("{path}.share"), format!("must be in (0, 1], got {}", number(share)));
                    return FailureMode::Crash;
                }
                FailureMode::Failing { share, hang }
            }
        };
        if !matches!(component, Component::Instance(_) | Component::Zone(_) | Component::Region(_)) {
            issues.push(
                path,
                "gray failure modes (Slow, Failing) apply to instances, zones and regions; use Crash",
            );
            return FailureMode::Crash;
        }
        mode
    }
}

/// Alternating up and down times.
#[derive(Debug, Clone)]
pub struct FailureProcess {
    /// Up time, from a repair (or the start) to the next failure \[s\].
    pub time_to_failure: Distribution,
    /// Down time, from a failure to its repair \[s\].
    pub time_to_repair: Distribution,
    /// How the component fails.
    pub mode: FailureMode,
}

/// An injected outage: a component held down over a fixed interval.
#[derive(Debug, Clone, Copy)]
pub struct Outage {
    /// What goes down.
    pub component: Component,
    /// When it goes down.
    pub start: SimTime,
    /// When it comes back.
    pub end: SimTime,
    /// How it fails.
    pub mode: FailureMode,
}
