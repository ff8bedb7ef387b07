//! A trace of one replication: every infrastructure, steering, data and recovery event, in time order,
//! with the request outcomes of each population binned finely enough to see a failover happen
//! (docs/trace.md). The recorder fills it only when asked (the engine's `run_traced`);
//! tracing reads the engine's state and draws no random number, so a traced replication observes
//! exactly what the untraced one does.

use serde::{Deserialize, Serialize};

use crate::model::time::SimTime;
use crate::sim::observation::FailureCause;

/// Events a trace keeps; later ones are counted in [`Trace::dropped`], not kept, so a long horizon
/// with thousands of instance failures cannot exhaust memory.
pub const MAX_EVENTS: usize = 100_000;

/// Bins the outcome series has at most: enough to resolve a failover of a minute in a window of hours
/// (5 s bins over 6 h).
pub const MAX_BINS: usize = 10_000;

/// The part of a replication a trace follows: events and outcomes in `[from, to]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Window {
    /// Start \[s\].
    pub from_s: f64,
    /// End \[s\].
    pub to_s: f64,
}

/// One event of a trace: when, what, and what it concerns. Serialized one per line in `trace.jsonl`
/// (`{"t_s":1800.0,"kind":"down","component":"region:us-east-1","region":"us-east-1","details":{...}}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TraceEvent {
    /// When it happened \[s\] from the start of the replication.
    pub t_s: f64,
    /// What happened, and its details.
    #[serde(flatten)]
    pub what: What,
    /// The component concerned, named as in outages (`region:us-east-1`, `store:orders@us-west-2`,
    /// `api@us-west-2` for a deployment).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub component: Option<String>,
    /// The region concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    /// The client population concerned.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub population: Option<String>,
}

/// The kinds of trace events, with what each carries (`kind` and `details` in JSON).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "details", rename_all = "snake_case")]
pub enum What {
    /// A component failed, or started to serve badly (a gray failure: `mode` says how).
    Down {
        /// An injected outage of the scenario rather than a random failure.
        injected: bool,
        /// For a gray failure, how it serves instead of stopping (`slow ×3`, `failing 50%`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        mode: Option<String>,
    },
    /// A component came back.
    Up {
        /// The failure that ended was an injected outage.
        injected: bool,
    },
    /// A region's entry point stopped serving while clients were routed to it: a failover begins.
    Incident {
        /// The populations whose clients it strands.
        populations: Vec<String>,
    },
    /// Health checks declared a region's entry point unhealthy.
    Unhealthy {
        /// Checkers that must see it fail.
        needed: u32,
        /// Checkers in all.
        checkers: u32,
    },
    /// Health checks declared it healthy again.
    Healthy {
        /// Checkers that must see it pass.
        needed: u32,
        /// Checkers in all.
        checkers: u32,
    },
    /// A population's DNS (or anycast) answer changed; clients follow as their caches expire.
    AnswerChanged {
        /// Regions of the answer before.
        from: Vec<String>,
        /// Regions of the answer now.
        to: Vec<String>,
    },
    /// A load balancer's target health checks took an instance out of rotation, or put it back.
    Rotation {
        /// Put back (`true`) or taken out.
        into: bool,
    },
    /// Writes accepted in a region but not yet replicated were lost when its copy failed.
    WritesLost {
        /// Writes lost.
        count: u64,
        /// Age of the oldest at the failure \[s\] (the RPO).
        oldest_s: f64,
    },
    /// An operator's alarm on a region fired: the region was down at the end of `periods` consecutive
    /// periods (docs/architecture.md#failover-trigger).
    AlarmFired {
        /// Consecutive breaching periods (the alarm's evaluation periods).
        periods: u32,
        /// One period \[s\].
        period_s: f64,
    },
    /// An operator decided to fail over: the standbys of `to` wake (for a region), or the replica in
    /// `to` is being promoted (for a store).
    OperatorDecided {
        /// The regions failed over to.
        to: Vec<String>,
    },
    /// An operator's decision was due but the region serves again: no failover.
    OperatorStoodDown,
    /// A replica became a store's primary.
    Promoted,
    /// A Multi-AZ copy's standby in another zone took over.
    ZoneFailover,
    /// A standby deployment reached its full fleet.
    ScaledUp {
        /// Instances now provisioned.
        instances: u32,
    },
    /// A woken standby went back to its posture.
    ScaledIn {
        /// Instances now provisioned.
        instances: u32,
    },
    /// An autoscaler decided to launch instances (they serve after their launch time).
    ScaleOut {
        /// Instances launching.
        launching: u32,
    },
    /// An autoscaler decided to drain instances (they leave rotation, and stop once idle).
    ScaleIn {
        /// Instances draining.
        draining: u32,
    },
    /// An autoscaler wanted to scale but the region's control plane is down.
    ScaleBlocked {
        /// Instances it wanted to add (negative: to remove).
        wanted: i64,
    },
    /// A launched instance is in service.
    Launched {
        /// Instances of the deployment answering now.
        answering: u32,
    },
    /// A population stranded by an incident recovered as its users see it (success ratio back at the
    /// scenario's recovery level, and held); stamped at the recovery instant.
    Recovered {
        /// Since the incident began \[s\]: this population's RTO.
        after_s: f64,
    },
    /// A client population's circuit breaker for a region opened: its attempts there are refused (they
    /// fail fast, or go to a fallback region) for the open interval.
    BreakerOpened {
        /// What tripped it (`5 attempts failed in a row`, `50 of the last 100 attempts failed`, `a
        /// half-open probe failed`).
        reason: String,
    },
    /// The breaker's open interval passed: it lets probe attempts through.
    BreakerHalfOpen {
        /// Probes it lets through.
        probes: u32,
    },
    /// Every probe succeeded: the breaker closed, and the population's attempts go to the region again.
    BreakerClosed,
    /// A balancer's outlier detection ejected the instance after its failures in a row: it gets no
    /// requests (unless the balancer panics) until the sweep after its ejection time.
    Ejected {
        /// Until the sweep that returns it \[s\].
        for_s: f64,
    },
    /// The sweep after its ejection time returned the instance to its balancer.
    Returned,
    /// Sampled fidelity skipped a steady stretch: its requests are counted from expectations, not one
    /// by one (so the outcome series is empty there).
    FastForward {
        /// Where the stretch ends \[s\].
        until_s: f64,
    },
}

impl What {
    /// The `kind` string of its JSON form.
    pub fn kind(&self) -> &'static str {
        match self {
            What::Down { .. } => "down",
            What::Up { .. } => "up",
            What::Incident { .. } => "incident",
            What::Unhealthy { .. } => "unhealthy",
            What::Healthy { .. } => "healthy",
            What::AnswerChanged { .. } => "answer_changed",
            What::Rotation { .. } => "rotation",
            What::WritesLost { .. } => "writes_lost",
            What::AlarmFired { .. } => "alarm_fired",
            What::OperatorDecided { .. } => "operator_decided",
            What::OperatorStoodDown => "operator_stood_down",
            What::Promoted => "promoted",
            What::ZoneFailover => "zone_failover",
            What::ScaledUp { .. } => "scaled_up",
            What::ScaledIn { .. } => "scaled_in",
            What::ScaleOut { .. } => "scale_out",
            What::ScaleIn { .. } => "scale_in",
            What::ScaleBlocked { .. } => "scale_blocked",
            What::Launched { .. } => "launched",
            What::Recovered { .. } => "recovered",
            What::BreakerOpened { .. } => "breaker_opened",
            What::BreakerHalfOpen { .. } => "breaker_half_open",
            What::BreakerClosed => "breaker_closed",
            What::Ejected { .. } => "ejected",
            What::Returned => "returned",
            What::FastForward { .. } => "fast_forward",
        }
    }
}

/// Request outcomes per population in fixed bins, by the instant each request had its outcome.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// Start of the first bin \[s\].
    pub from_s: f64,
    /// Width of each bin \[s\].
    pub bin_s: f64,
    /// Per population (model order): `[succeeded, failed]` per bin.
    pub outcomes: Vec<Vec<[u32; 2]>>,
    /// Failed requests per bin, by cause ([`FailureCause::ALL`] order), all populations together.
    pub failed_by_cause: Vec<[u32; FailureCause::ALL.len()]>,
}

/// What a traced replication adds to its observations.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Trace {
    /// The window followed.
    pub from_s: f64,
    /// The window's end.
    pub to_s: f64,
    /// The events in the window, in time order (ties in the order they happened).
    pub events: Vec<TraceEvent>,
    /// Events in the window beyond [`MAX_EVENTS`], not kept.
    pub dropped: u64,
    /// Per population (model order): the regions of its answer when the window opens.
    pub answers_at_start: Vec<Vec<String>>,
    /// The outcome series.
    pub series: Series,
}

impl Trace {
    /// The stretches `(from [s], to [s])` sampled fidelity fast-forwarded over, in time order.
    pub fn skipped(&self) -> Vec<(f64, f64)> {
        self.events
            .iter()
            .filter_map(|e| match e.what {
                What::FastForward { until_s } => Some((e.t_s, until_s)),
                _ => None,
            })
            .collect()
    }
}

/// The recorder's collector for a trace.
#[derive(Debug)]
pub(crate) struct TraceLog {
    from: SimTime,
    to: SimTime,
    /// Population names, to follow answer changes before the window.
    populations: Vec<String>,
    trace: Trace,
}

/// A bin width that reads well (1 s, 2 s, 5 s, 10 s, 15 s, 30 s, 1 min, ...) giving at most
/// [`MAX_BINS`] bins over `span_s`.
fn bin_width(span_s: f64) -> f64 {
    const NICE: [f64; 15] = [
        1.0, 2.0, 5.0, 10.0, 15.0, 30.0, 60.0, 120.0, 300.0, 600.0, 900.0, 1_800.0, 3_600.0, 7_200.0,
        21_600.0,
    ];
    let wanted = span_s / MAX_BINS as f64;
    NICE.iter().copied().find(|&w| w >= wanted).unwrap_or_else(|| (wanted / 86_400.0).ceil() * 86_400.0)
}

impl TraceLog {
    /// A log of `window`; `populations` are the population names with the regions of their answer at
    /// the start.
    pub fn new(window: Window, populations: Vec<(String, Vec<String>)>) -> TraceLog {
        let (names, answers): (Vec<String>, Vec<Vec<String>>) = populations.into_iter().unzip();
        let span = (window.to_s - window.from_s).max(0.0);
        let bin_s = bin_width(span);
        let bins = ((span / bin_s).ceil() as usize).clamp(1, MAX_BINS);
        TraceLog {
            from: SimTime::from_secs_f64(window.from_s),
            to: SimTime::from_secs_f64(window.to_s),
            trace: Trace {
                from_s: window.from_s,
                to_s: window.to_s,
                events: Vec::new(),
                dropped: 0,
                series: Series {
                    from_s: window.from_s,
                    bin_s,
                    outcomes: vec![vec![[0; 2]; bins]; names.len()],
                    failed_by_cause: vec![[0; FailureCause::ALL.len()]; bins],
                },
                answers_at_start: answers,
            },
            populations: names,
        }
    }

    /// Whether `t` lies in the window.
    pub fn covers(&self, t: SimTime) -> bool {
        self.from <= t && t <= self.to
    }

    /// Keeps an event stamped in the window; of the events before it, only answer changes matter (the
    /// answers the window opens with).
    pub fn push(&mut self, event: TraceEvent) {
        let t = SimTime::from_secs_f64(event.t_s);
        if t < self.from {
            if let (What::AnswerChanged { to, .. }, Some(p)) = (&event.what, &event.population)
                && let Some(k) = self.populations.iter().position(|n| n == p)
            {
                self.trace.answers_at_start[k].clone_from(to);
            }
            return;
        }
        if t > self.to {
            return;
        }
        if self.trace.events.len() >= MAX_EVENTS {
            self.trace.dropped += 1;
        } else {
            self.trace.events.push(event);
        }
    }

    /// A request of population `p` had its outcome at `at`.
    pub fn outcome(&mut self, p: usize, at: SimTime, outcome: Result<(), FailureCause>) {
        if !self.covers(at) {
            return;
        }
        let s = &mut self.trace.series;
        let k = ((at.as_secs_f64() - s.from_s) / s.bin_s) as usize;
        let Some(bin) = s.outcomes[p].get_mut(k) else { return };
        match outcome {
            Ok(()) => bin[0] += 1,
            Err(cause) => {
                bin[1] += 1;
                s.failed_by_cause[k][cause as usize] += 1;
            }
        }
    }

    /// The trace, its events in time order (a recovery is stamped with its instant but known later).
    pub fn finish(self) -> Trace {
        let mut trace = self.trace;
        trace.events.sort_by(|a, b| a.t_s.total_cmp(&b.t_s));
        trace
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bins_read_well_and_never_exceed_the_cap() {
        assert_eq!(bin_width(600.0), 1.0);
        assert_eq!(bin_width(6.0 * 3_600.0), 5.0);
        assert_eq!(bin_width(365.25 * 86_400.0), 3_600.0);
        for span in [1.0, 999.0, 1_001.0, 86_400.0, 3e7, 1e9] {
            assert!(span / bin_width(span) <= MAX_BINS as f64 + 1e-9, "{span}");
        }
    }

    #[test]
    fn events_come_out_in_time_order_and_past_the_cap_are_counted() {
        let mut log = TraceLog::new(Window { from_s: 0.0, to_s: 10.0 }, vec![]);
        for t in [3.0, 1.0, 2.0] {
            log.push(TraceEvent {
                t_s: t,
                what: What::Promoted,
                component: None,
                region: None,
                population: None,
            });
        }
        let trace = log.finish();
        let times: Vec<f64> = trace.events.iter().map(|e| e.t_s).collect();
        assert_eq!(times, [1.0, 2.0, 3.0]);

        let mut log = TraceLog::new(Window { from_s: 0.0, to_s: 10.0 }, vec![]);
        let event =
            TraceEvent { t_s: 1.0, what: What::Promoted, component: None, region: None, population: None };
        for _ in 0..MAX_EVENTS + 2 {
            log.push(event.clone());
        }
        let trace = log.finish();
        assert_eq!((trace.events.len(), trace.dropped), (MAX_EVENTS, 2));
    }

    /// A window opening after an answer change starts from the answer it changed to.
    #[test]
    fn the_window_opens_with_the_answers_adopted_before_it() {
        let pops = vec![("users".to_string(), vec!["a".to_string()])];
        let mut log = TraceLog::new(Window { from_s: 100.0, to_s: 200.0 }, pops);
        let change = |t_s: f64, to: &str| TraceEvent {
            t_s,
            what: What::AnswerChanged { from: vec![], to: vec![to.to_string()] },
            component: None,
            region: None,
            population: Some("users".into()),
        };
        log.push(change(50.0, "b"));
        log.push(change(150.0, "c"));
        log.push(change(250.0, "d"));
        let trace = log.finish();
        assert_eq!(trace.answers_at_start, [["b"]]);
        assert_eq!(trace.events, [change(150.0, "c")]);
    }

    #[test]
    fn the_json_form_has_kind_and_details() {
        let e = TraceEvent {
            t_s: 1.5,
            what: What::WritesLost { count: 3, oldest_s: 0.25 },
            component: Some("store:orders@us-east-1".into()),
            region: Some("us-east-1".into()),
            population: None,
        };
        let json = serde_json::to_string(&e).expect("serializes");
        assert_eq!(
            json,
            r#"{"t_s":1.5,"kind":"writes_lost","details":{"count":3,"oldest_s":0.25},"component":"store:orders@us-east-1","region":"us-east-1"}"#
        );
        let back: TraceEvent = serde_json::from_str(&json).expect("reads back");
        assert_eq!(back, e);
        assert_eq!(e.what.kind(), "writes_lost");
    }
}
