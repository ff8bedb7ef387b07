//! Failover triggers, resolved (docs/architecture.md#failover-trigger): a standby posture's activation
//! and a store's promotion start either as soon as the failure is seen (`Automatic`, the default) or
//! when an operator decides (`Operator`): an alarm on the region fires at the end of its
//! `evaluation_periods`-th consecutive breaching period, and a decision time later the operator fails
//! over, unless the region serves again by then. Defaults: docs/references.md#failover-trigger.

use crate::input::issue::{Issues, number};
use crate::input::spec::failover::FailoverSpec;
use crate::model::distribution::Distribution;
use crate::model::time::SimTime;

/// Who starts a failover.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Trigger {
    /// The health checks' verdict (a standby) or the primary copy's failure (a store), at once.
    #[default]
    Automatic,
    /// An operator paged by an alarm.
    Operator(Operator),
}

impl Trigger {
    /// The operator, for an operator-triggered failover.
    pub fn operator(&self) -> Option<&Operator> {
        match self {
            Trigger::Automatic => None,
            Trigger::Operator(op) => Some(op),
        }
    }

    /// Resolves `spec` (absent: `Automatic`) found at `path` (`services[api].deployments[us-west-2]
    /// .standby.failover`), pushing every problem onto `issues`; a trigger with problems resolves as
    /// `Automatic` (the model is refused anyway).
    pub fn resolve(spec: Option<&FailoverSpec>, path: &str, issues: &mut Issues) -> Trigger {
        let Some(FailoverSpec::Operator { alarm, decision }) = spec else { return Trigger::Automatic };
        let before = issues.len();
        if !(alarm.period_s.is_finite() && alarm.period_s > 0.0) {
            issues.push(
                format!("{path}.alarm.period_s"),
                format!("must be a number of seconds > 0 (got {})", number(alarm.period_s)),
            );
        }
        if alarm.evaluation_periods == 0 {
            issues.push(
                format!("{path}.alarm.evaluation_periods"),
                "must be at least 1: the alarm fires after that many consecutive breaching periods",
            );
        }
        let decision = decision.resolve(&format!("{path}.decision"), issues);
        match decision {
            Some(decision) if issues.len() == before => Trigger::Operator(Operator {
                alarm: Alarm {
                    period: SimTime::from_secs_f64(alarm.period_s),
                    evaluation_periods: alarm.evaluation_periods,
                },
                decision,
            }),
            _ => Trigger::Automatic,
        }
    }
}

/// An operator's runbook: the alarm that pages them, and how long they take to decide.
#[derive(Debug, Clone, PartialEq)]
pub struct Operator {
    /// The alarm on the watched region.
    pub alarm: Alarm,
    /// From the alarm firing to the decision to fail over \[s\].
    pub decision: Distribution,
}

/// A CloudWatch-like alarm: periods aligned on the clock, each breaching when the watched region is
/// down at its end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Alarm {
    /// One period (a whole number of nanoseconds, > 0).
    pub period: SimTime,
    /// Consecutive breaching periods before it fires, at least 1.
    pub evaluation_periods: u32,
}

impl Alarm {
    /// When the alarm fires for a failure that starts at `failed` and lasts: the end of the
    /// `evaluation_periods`-th period whose end is at or after `failed`, (⌊failed / period⌋ + N) × period.
    /// A failure on a period's boundary breaches the period it opens.
    pub fn fires_at(&self, failed: SimTime) -> SimTime {
        let p = self.period.0.max(1);
        let periods = failed.0 / p + u64::from(self.evaluation_periods);
        SimTime(periods.saturating_mul(p))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alarm(period_s: f64, n: u32) -> Alarm {
        Alarm { period: SimTime::from_secs_f64(period_s), evaluation_periods: n }
    }

    /// A failure at 1,830 s with one-minute periods: the period [1,800, 1,860) is the first to end
    /// down, so three periods end at 1,980 s; one on a boundary (1,800 s) breaches the period it opens.
    #[test]
    fn the_alarm_fires_at_the_end_of_the_nth_breaching_period() {
        assert_eq!(alarm(60.0, 3).fires_at(SimTime::from_secs_f64(1830.0)), SimTime::from_secs_f64(1980.0));
        assert_eq!(alarm(60.0, 3).fires_at(SimTime::from_secs_f64(1800.0)), SimTime::from_secs_f64(1980.0));
        assert_eq!(alarm(60.0, 1).fires_at(SimTime::from_secs_f64(1859.9)), SimTime::from_secs_f64(1860.0));
        assert_eq!(alarm(300.0, 2).fires_at(SimTime::from_secs_f64(10.0)), SimTime::from_secs_f64(600.0));
    }
}
