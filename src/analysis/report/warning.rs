//! Soft problems with a result, each with advice on what to do about it.

use std::fmt;

/// A soft problem with a result; its `Display` says what to do about it.
#[derive(Debug, Clone, PartialEq)]
pub enum Warning {
    /// Only one replication ran: no confidence interval.
    OneReplication,
    /// No request arrived after the warm-up.
    NoRequests,
    /// A metric's 95% CI is wide for what it measures.
    WideCi {
        /// The metric, e.g. `availability`.
        metric: String,
        /// The CI's half-width over `of_what`.
        relative: f64,
        /// What the half-width is compared with, e.g. `the unavailability`.
        of_what: &'static str,
    },
    /// A population sent requests and none succeeded.
    NothingSucceeded {
        /// The population's name.
        population: String,
    },
    /// A replication had more infrastructure events than a timeline keeps
    /// ([`Timeline::MAX_INFRA_EVENTS`](crate::sim::observation::Timeline::MAX_INFRA_EVENTS)).
    TimelineTruncated,
    /// A deployment's utilisation is at least 1 with every instance up (see `Scenario::overloads`).
    Overloaded(crate::model::scenario::Overload),
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::OneReplication => {
                f.write_str("only one replication: no confidence interval; use --replications 20 or more")
            }
            Warning::NoRequests => f.write_str(
                "no request arrived after the warm-up: raise the traffic rate or the horizon, or shorten warmup_s",
            ),
            Warning::WideCi { metric, relative, of_what } => write!(
                f,
                "the 95% CI half-width of {metric} is {:.0}% of {of_what}: raise --replications (4x the \
                 replications halves the width) or the horizon",
                relative * 100.0
            ),
            Warning::NothingSucceeded { population } => write!(
                f,
                "no request of population '{population}' succeeded: check that its path has healthy capacity"
            ),
            Warning::Overloaded(o) => write!(
                f,
                "{deployment} runs at utilisation {utilisation:.2}{} with every instance up: its queues fill up to \
                 the clients' request timeout (network.request_timeout_ms) and most requests answer too late; run \
                 at least {instances_needed} instances, or set services[{service}].max_queue to shed the excess at \
                 once",
                if o.of_daily_mean { " (of the daily mean rate)" } else { "" },
                deployment = o.deployment,
                utilisation = o.utilisation,
                instances_needed = o.instances_needed,
                service = o.service,
            ),
            Warning::TimelineTruncated => write!(
                f,
                "more than {} infrastructure events in a replication: the timeline keeps only the first ones",
                crate::sim::observation::Timeline::MAX_INFRA_EVENTS
            ),
        }
    }
}
