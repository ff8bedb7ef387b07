//! Whom an instance's queue serves next and whom it turns away (the resolved `queue_discipline`): load
//! shedding beyond a queue bound (docs/references.md#load-shedding).

use crate::input::issue::{Issues, number};
use crate::input::spec::model::QueueDisciplineSpec;
use crate::model::time::SimTime;

/// An instance queue's discipline.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Discipline {
    /// First in, first out; a request whose client has given up is dropped unserved when reached.
    Fifo,
    /// First in, first out, shedding what cannot be served in time: at the door when the predicted wait
    /// plus a mean service time exceeds `slack` × the client's remaining time, and when reached if less
    /// than a mean service time is left. The deadline is the attempt's (clients propagate it), where the
    /// other disciplines learn only that a request's client has gone.
    DeadlineAware {
        /// The share of the remaining time the predicted wait and service may take, in (0, 1].
        slack: f64,
    },
    /// First in, first out until the oldest waiting request has waited `after`; newest first then.
    AdaptiveLifo {
        /// The oldest request's wait that switches the queue to newest first.
        after: SimTime,
    },
}

impl Discipline {
    /// Resolves `queue_discipline` at `path` (`None`: FIFO), recording what is out of range.
    pub fn resolve(spec: Option<&QueueDisciplineSpec>, path: &str, issues: &mut Issues) -> Discipline {
        match spec {
            None | Some(QueueDisciplineSpec::Fifo) => Discipline::Fifo,
            Some(&QueueDisciplineSpec::DeadlineAware { slack }) => {
                if !(slack.is_finite() && slack > 0.0 && slack <= 1.0) {
                    issues.push(
                        format!("{path}.slack"),
                        format!(
                            "must be above 0 and at most 1 (a share of the time left), got {}",
                            number(slack)
                        ),
                    );
                }
                Discipline::DeadlineAware { slack }
            }
            Some(&QueueDisciplineSpec::AdaptiveLifo { after_ms }) => {
                if !(after_ms.is_finite() && (0.0..=3_600_000.0).contains(&after_ms)) {
                    issues.push(
                        format!("{path}.after_ms"),
                        format!("must be from 0 to 3600000 ms, got {}", number(after_ms)),
                    );
                }
                Discipline::AdaptiveLifo { after: SimTime::from_millis_f64(after_ms) }
            }
        }
    }
}
