//! Soft problems with a result, each with advice on what to do about it.

use std::fmt;

use crate::sim::observation::{Counts, FailureCause};

/// The share of requests whose failure is worth a warning (0.1%): below it a study of availability
/// still reads its failures in the tables, above it they need a cause and a remedy.
pub const MATERIAL_FAILURE_SHARE: f64 = 0.001;

/// A cause is named once its failures are this share of all failures (1%), so a warning lists what
/// matters and not every stray request.
const CAUSE_SHARE_OF_FAILURES: f64 = 0.01;

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
    /// A material share of requests (at least 0.1%) failed, this many of them of
    /// this cause.
    Failing {
        /// Why they failed.
        cause: FailureCause,
        /// Requests that failed of this cause.
        failed: u64,
        /// Requests with an outcome.
        total: u64,
    },
    /// A deployment's utilisation is at least 1 with every instance up (see `Scenario::overloads`).
    Overloaded(crate::model::scenario::Overload),
    /// Under sampled fidelity, circuit breakers would be expected to trip this often per replication in
    /// the fast-forwarded stretches, where no request is simulated and so no breaker can trip.
    BreakerTripsSkipped {
        /// Expected trips per replication in the skipped stretches.
        per_replication: f64,
    },
    /// Failovers whose users recovered and then fell below the recovery level again within 15 minutes.
    Relapsed {
        /// Failovers that relapsed, over every replication.
        failovers: u64,
        /// Failovers in all.
        of: u64,
    },
    /// A dependency of the model that no service lists in `depends_on`: its failures change nothing.
    UnusedDependency {
        /// Its name.
        dependency: String,
    },
    /// Requests were served outside their population's data residency (`ServeElsewhere`), this many
    /// over all replications.
    ResidencyViolated {
        /// Requests served outside.
        violations: u64,
    },
}

impl Warning {
    /// Expected skipped breaker trips per replication worth a warning: one replication in ten.
    pub const SKIPPED_TRIPS_PER_REPLICATION: f64 = 0.1;

    /// One [`Warning::Failing`] per cause that matters (at least 1% of the failures), most frequent first,
    /// when at least 0.1% of the requests failed; none otherwise.
    pub fn failures(counts: &Counts) -> Vec<Warning> {
        let total = counts.attempted();
        let failed = counts.failed_total();
        if total == 0 || (failed as f64) < MATERIAL_FAILURE_SHARE * total as f64 {
            return Vec::new();
        }
        let mut out: Vec<Warning> = FailureCause::ALL
            .iter()
            .map(|&c| (c, counts.failed[c as usize]))
            .filter(|&(_, n)| n > 0 && n as f64 >= CAUSE_SHARE_OF_FAILURES * failed as f64)
            .map(|(cause, failed)| Warning::Failing { cause, failed, total })
            .collect();
        out.sort_by_key(|w| match w {
            Warning::Failing { failed, .. } => std::cmp::Reverse(*failed),
            _ => std::cmp::Reverse(0),
        });
        out
    }
}

/// What a cause of failure means, and what to do about it.
fn failure_advice(cause: FailureCause) -> &'static str {
    match cause {
        FailureCause::NoHealthyInstance => {
            "no healthy instance could take them: give the deployment more instances or zones, or fail over \
             sooner (health_check interval and threshold, DNS ttl_s)"
        }
        FailureCause::InstanceFailed => {
            "their instance failed while they were queued or in service: shorter queues (max_queue) hold \
             fewer requests when one fails; more instances spread what is lost"
        }
        FailureCause::QueueFull => {
            "instance queues were full (max_queue) and shed them: add instances or concurrency, or raise \
             max_queue if the latency objective allows"
        }
        FailureCause::StoreUnavailable => {
            "the store copy they needed was down or being promoted: a replica in another zone or region, or \
             a faster promotion, shortens this"
        }
        FailureCause::Partition => {
            "they had to cross between partitioned regions: serve them from the region they enter (a local \
             replica, or steering that keeps them local)"
        }
        FailureCause::Timeout => {
            "their clients gave up waiting (network.request_timeout_ms) while queues built up: add \
             instances or concurrency where the queues grow (charts/load_per_region), or set max_queue to shed \
             the excess at once"
        }
        FailureCause::Unfinished => {
            "they were still in flight when the simulation ended: lengthen horizon_s, or shorten \
             network.request_timeout_ms"
        }
        FailureCause::TargetDown => {
            "their load balancer sent them to a crashed instance its health checks had not yet noticed: a \
             shorter target_health_check interval or a lower unhealthy_threshold ejects it sooner"
        }
        FailureCause::InstanceError => {
            "a partly failing instance answered them with an error: client retries (populations[..].retry) \
             hide independent errors; health checks that see the errors eject the instance"
        }
        FailureCause::Shed => {
            "their instances shed them because they could not be served before their clients' deadlines: \
             the fleet is overloaded there; add instances, or retry them elsewhere"
        }
        FailureCause::DependencyUnavailable => {
            "a dependency their instances needed (dependencies: a token, a key) was not cached and its copy \
             was down: a Global dependency fails every region with its home; use a copy per region \
             (scope: Regional, as multi-Region keys and replicated secrets are), or a longer cache_ttl_s"
        }
        FailureCause::Residency => {
            "they reached a region (a service or a store copy) outside their population's data residency, \
             whose policy is Fail: the price of keeping the data in its regions when they are down; a \
             second region in the set serves them without leaving it"
        }
        FailureCause::BreakerOpen => {
            "their clients' circuit breaker for the region was open, so they failed at once: the region was \
             failing when it tripped; breaker.fallback: NextRegion sends them to another region, and a \
             shorter breaker.open_s notices a recovery sooner"
        }
        FailureCause::DnsUnavailable => {
            "their clients' cached DNS answers had expired while the DNS layer was down: every region \
             may be healthy, but no client that must resolve reaches one; a longer TTL rides out a \
             short outage, resolvers that serve stale (RFC 8767) keep their answer, and a second DNS \
             provider (records served by both) removes the single point of failure"
        }
        FailureCause::CdnUnavailable => {
            "their population's CDN edge was down, whatever the origins' state: the edge is in front of \
             every origin, so no failover behind it helps; only another way in (a second CDN, or clients \
             that reach the origin directly) keeps them up"
        }
    }
}

/// `1234567` as `1,234,567`.
fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// A share as a percentage with two significant digits (0.15%, 4.6%, 48%).
fn share(part: u64, whole: u64) -> String {
    let pct = 100.0 * part as f64 / whole.max(1) as f64;
    let decimals = if pct >= 10.0 { 0 } else { (1 - pct.log10().floor() as i32).clamp(1, 6) as usize };
    format!("{pct:.decimals$}%")
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
            Warning::Failing { cause, failed, total } => write!(
                f,
                "{} of {} requests ({}) failed by {}: {}",
                thousands(*failed),
                thousands(*total),
                share(*failed, *total),
                cause.key().replace('_', " "),
                failure_advice(*cause)
            ),
            Warning::Overloaded(o) => {
                // A count of 0 (nothing to add) or one that saturated (a load beyond any fleet) is no advice.
                let more = match o.instances_needed {
                    0 | u64::MAX => "add instances or concurrency (no fleet size could be computed from the \
                                     offered load)"
                        .to_string(),
                    n => format!("run at least {} instances", thousands(n)),
                };
                write!(
                    f,
                    "{deployment} runs at utilisation {utilisation:.2}{} with every instance up: its queues fill \
                     up to the clients' request timeout (network.request_timeout_ms) and most requests answer too \
                     late; {more}, or set services[{service}].max_queue to shed the excess at once",
                    if o.of_daily_mean { " (of the daily mean rate)" } else { "" },
                    deployment = o.deployment,
                    utilisation = o.utilisation,
                    service = o.service,
                )
            }
            Warning::BreakerTripsSkipped { per_replication } => write!(
                f,
                "circuit breakers would be expected to trip about {per_replication:.2} times per replication \
                 in the stretches sampled fidelity fast-forwarded (from the failure share of the windows they \
                 were skipped from), and a skipped stretch cannot trip one: breaker trips and what they refuse \
                 are undercounted; use fidelity: Full, or a breaker that needs more failures to trip"
            ),
            Warning::Relapsed { failovers, of } => write!(
                f,
                "{} of {} failovers recovered and then fell below the recovery level again within 15 minutes: \
                 the region that took the traffic did not hold it (its queues built up: see the utilisation \
                 and load charts); their RTO counts the first recovery, which did not last; give the recovery \
                 region the capacity to carry the whole load",
                thousands(*failovers),
                thousands(*of)
            ),
            Warning::ResidencyViolated { violations } => write!(
                f,
                "{} requests were served outside their population's data residency (when_unavailable: \
                 ServeElsewhere): their data left its allowed regions; when_unavailable: Fail keeps it in at \
                 the cost of availability, and a second region in the set serves them without leaving it",
                thousands(*violations)
            ),
            Warning::UnusedDependency { dependency } => write!(
                f,
                "dependency '{dependency}' is used by no service: its outages change nothing; name it in the \
                 depends_on of the services that need it, or remove it"
            ),
            Warning::TimelineTruncated => write!(
                f,
                "more than {} infrastructure events in a replication: the timeline keeps only the first ones",
                crate::sim::observation::Timeline::MAX_INFRA_EVENTS
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::scenario::Overload;

    fn counts(succeeded: u64, failed: &[(FailureCause, u64)]) -> Counts {
        let mut c = Counts { succeeded, ..Counts::default() };
        for &(cause, n) in failed {
            c.failed[cause as usize] = n;
        }
        c
    }

    #[test]
    fn a_material_share_of_failed_requests_is_warned_by_cause_with_advice() {
        // The run of the issue: 9.6 M failed of 20 M, 4.57 M of them timeouts.
        let c = counts(
            10_400_000,
            &[(FailureCause::NoHealthyInstance, 5_030_000), (FailureCause::Timeout, 4_570_000)],
        );
        let w: Vec<String> = Warning::failures(&c).iter().map(|w| w.to_string()).collect();
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(
            w[0].starts_with("5,030,000 of 20,000,000 requests (25%) failed by no healthy instance: "),
            "{w:?}"
        );
        assert!(w[1].starts_with("4,570,000 of 20,000,000 requests (23%) failed by timeout: "), "{w:?}");
        assert!(w[1].contains("network.request_timeout_ms") && w[1].contains("max_queue"), "advice: {w:?}");
        // Every cause has its own advice.
        let advice: std::collections::BTreeSet<&str> =
            FailureCause::ALL.iter().map(|&c| failure_advice(c)).collect();
        assert_eq!(advice.len(), FailureCause::ALL.len());
    }

    #[test]
    fn failures_below_a_tenth_of_a_percent_stay_quiet() {
        // 0.1% exactly warns, just below it does not.
        assert_eq!(Warning::failures(&counts(999_000, &[(FailureCause::Timeout, 1_000)])).len(), 1);
        assert!(Warning::failures(&counts(999_001, &[(FailureCause::Timeout, 999)])).is_empty());
        assert!(Warning::failures(&Counts::default()).is_empty(), "no request, no failure warning");
        // A cause under 1% of the failures is not named; the share has two significant digits.
        let w = Warning::failures(&counts(
            9_000,
            &[(FailureCause::QueueFull, 994), (FailureCause::Partition, 6)],
        ));
        assert_eq!(w.len(), 1);
        assert!(
            w[0].to_string().starts_with("994 of 10,000 requests (9.9%) failed by queue full"),
            "{}",
            w[0]
        );
    }

    #[test]
    fn overload_advice_never_asks_for_zero_or_unbounded_instances() {
        let o = |n| {
            Warning::Overloaded(Overload {
                deployment: "services[api].deployments[r]".into(),
                service: "api".into(),
                utilisation: 1.5,
                instances_needed: n,
                of_daily_mean: false,
            })
            .to_string()
        };
        assert!(o(12_000).contains("run at least 12,000 instances"), "{}", o(12_000));
        for n in [0, u64::MAX] {
            let text = o(n);
            assert!(!text.contains("at least 0") && !text.contains(&u64::MAX.to_string()), "{text}");
            assert!(text.contains("add instances or concurrency"), "{text}");
        }
    }
}
