//! The story of one replication: its trace told as dated sentences a room can follow ("00:31:28
//! health checks declare us-east-1 unhealthy (13 of 15 checkers)"), with what the trace implies but does
//! not record as an event: when 90% and 99% of a population's clients have followed a DNS change, from
//! the closed form of how clients follow answers ([`Follow::moved_share`]).

use serde::{Deserialize, Serialize};

use crate::model::architecture::Model;
use crate::model::routing::Follow;
use crate::sim::trace::{Trace, TraceEvent, What};

/// Shares of a population's clients whose move after an answer change the story tells.
pub const MOVED_MILESTONES: [f64; 2] = [0.9, 0.99];

/// One sentence of the story.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoryLine {
    /// When \[s\] from the start of the replication.
    pub t_s: f64,
    /// The trace event's kind it tells (`down`, `answer_changed`, ...), or `clients_moved` for a
    /// milestone of clients following an answer.
    pub kind: String,
    /// The sentence, without the time.
    pub text: String,
}

impl StoryLine {
    /// Whether it is about one instance (noise in a story about regions: a failure, a rotation, a
    /// launch) or a fast-forward.
    pub fn is_detail(&self) -> bool {
        match self.kind.as_str() {
            "down" | "up" => self.text.starts_with("instance "),
            "rotation" | "fast_forward" | "launched" => true,
            _ => false,
        }
    }
}

/// The story of `trace`, in time order.
pub fn narrate(model: &Model, trace: &Trace) -> Vec<StoryLine> {
    let mut lines: Vec<StoryLine> = trace
        .events
        .iter()
        .map(|e| StoryLine { t_s: e.t_s, kind: e.what.kind().to_string(), text: sentence(model, e) })
        .collect();
    lines.extend(moved_milestones(model, trace));
    // Stable: a milestone comes after the events of its instant.
    lines.sort_by(|a, b| a.t_s.total_cmp(&b.t_s));
    lines
}

/// `region:us-east-1` as a reader says it: `region us-east-1`; `dns:authoritative` as `the DNS layer`; a
/// deployment name stays as it is.
pub fn component(name: &str) -> String {
    match name.split_once(':') {
        Some(("dns", _)) => "the DNS layer".to_string(),
        Some((kind, rest)) => format!("{} {rest}", kind.replace('-', " ")),
        None => name.to_string(),
    }
}

fn listed(names: &[String]) -> String {
    match names {
        [] => "nowhere".to_string(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

fn sentence(model: &Model, e: &TraceEvent) -> String {
    let c = e.component.as_deref().map(component).unwrap_or_default();
    let region = e.region.as_deref().unwrap_or("?");
    let population = e.population.as_deref().unwrap_or("?");
    let answers = match model.steering.follow {
        Follow::Dns { .. } => "DNS answers",
        Follow::Anycast { .. } => "anycast routes",
    };
    match &e.what {
        What::Down { injected, mode } => {
            let how = if *injected { "injected" } else { "random failure" };
            match mode {
                Some(mode) => format!("{c} turns gray: {mode} ({how})"),
                None => format!("{c} fails ({how})"),
            }
        }
        What::Up { .. } => format!("{c} is back"),
        What::Incident { populations } => {
            format!("{region} stops serving {}: a failover begins", listed(populations))
        }
        What::Unhealthy { needed, checkers } => {
            format!("health checks declare {region} unhealthy ({needed} of {checkers} checkers)")
        }
        What::Healthy { needed, checkers } => {
            format!("health checks declare {region} healthy again ({needed} of {checkers} checkers)")
        }
        What::AnswerChanged { from, to } => {
            format!("{answers} for {population} switch to {} (from {})", listed(to), listed(from))
        }
        What::Rotation { into: true } => format!("the load balancer puts {c} back in rotation"),
        What::Rotation { into: false } => format!("the load balancer takes {c} out of rotation"),
        What::WritesLost { count, oldest_s } => {
            let s = if *count == 1 { "" } else { "s" };
            format!("{count} write{s} to {c} lost, the oldest {} old", seconds(*oldest_s))
        }
        What::AlarmFired { periods, .. } => {
            format!(
                "the alarm on {region} fires ({periods} of {periods} period{} breaching)",
                plural(*periods)
            )
        }
        What::OperatorDecided { to } if c.starts_with("store") => {
            format!("an operator fails {c} over: the replica in {} is being promoted", listed(to))
        }
        What::OperatorDecided { to } => format!("an operator fails over to {}", listed(to)),
        What::OperatorStoodDown => format!("the operator stands down: {region} serves again, no failover"),
        What::Promoted => format!("{c} promoted: it is the primary now"),
        What::ZoneFailover => format!("{c}'s standby takes over in its other zone"),
        What::ScaledUp { instances } => format!("{c} scaled up to {instances} instances"),
        What::ScaledIn { instances } => {
            format!("{c} back to its standby posture ({instances} instance{})", plural(*instances))
        }
        What::ScaleOut { launching } => {
            format!("{c}'s autoscaler launches {launching} instance{}", plural(*launching))
        }
        What::ScaleIn { draining } => {
            format!("{c}'s autoscaler drains {draining} instance{}", plural(*draining))
        }
        What::ScaleBlocked { wanted } => format!(
            "{c}'s autoscaler wants {} {} instance{} but {region}'s control plane is down",
            wanted.unsigned_abs(),
            if *wanted >= 0 { "more" } else { "fewer" },
            if wanted.unsigned_abs() == 1 { "" } else { "s" }
        ),
        What::Launched { answering } => format!("a launched instance of {c} serves: {answering} answering"),
        What::Recovered { after_s } => {
            format!("{population} recovered as its users see it (RTO {})", seconds(*after_s))
        }
        What::BreakerOpened { reason } => {
            format!("{population}'s circuit breaker for {region} opens: {reason}")
        }
        What::BreakerHalfOpen { probes } => format!(
            "{population}'s circuit breaker for {region} half-opens: {probes} probe{} let through",
            plural(*probes)
        ),
        What::BreakerClosed => {
            format!("{population}'s circuit breaker for {region} closes: its probes succeeded")
        }
        What::Ejected { for_s } => {
            format!("{c} is ejected by its balancer's outlier detection for {}", seconds(*for_s))
        }
        What::Returned => format!("{c} returns to its balancer after its ejection"),
        What::FastForward { until_s } => {
            format!("steady state: requests counted from expectations until {}", clock(*until_s))
        }
    }
}

fn plural(n: u32) -> &'static str {
    if n == 1 { "" } else { "s" }
}

/// A duration as a reader says it: `2.4 s`, `3 min 12 s`, `1 h 05 min`.
pub fn seconds(s: f64) -> String {
    if s < 60.0 {
        format!("{s:.1} s")
    } else if s < 3_600.0 {
        let whole = s.round() as u64;
        format!("{} min {:02} s", whole / 60, whole % 60)
    } else {
        let minutes = (s / 60.0).round() as u64;
        format!("{} h {:02} min", minutes / 60, minutes % 60)
    }
}

/// An instant as a wall clock from the start: `00:31:28`, or `day 3 04:00:00` past the first day.
pub fn clock(t_s: f64) -> String {
    let whole = t_s.max(0.0).floor() as u64;
    let (days, rest) = (whole / 86_400, whole % 86_400);
    let hms = format!("{:02}:{:02}:{:02}", rest / 3_600, rest % 3_600 / 60, rest % 60);
    if days == 0 { hms } else { format!("day {} {hms}", days + 1) }
}

/// The age at which a share `q` of clients has followed an answer change: the least `a` with
/// `moved_share(a) ≥ q`, by bisection (the share is monotone in the age), to a millisecond; `None`
/// if not within ten years.
pub fn moved_after(follow: &Follow, q: f64) -> Option<f64> {
    let mut hi = 1.0;
    while follow.moved_share(hi) < q {
        hi *= 2.0;
        if hi > 3.2e8 {
            return None;
        }
    }
    let mut lo = 0.0;
    while hi - lo > 1e-3 {
        let mid = 0.5 * (lo + hi);
        if follow.moved_share(mid) >= q { hi = mid } else { lo = mid }
    }
    Some(hi)
}

/// After each answer change of a population, when each milestone share of its clients has moved,
/// unless the answer changed again first or the trace ended.
fn moved_milestones(model: &Model, trace: &Trace) -> Vec<StoryLine> {
    let follow = &model.steering.follow;
    let ages: Vec<(f64, f64)> =
        MOVED_MILESTONES.iter().filter_map(|&q| moved_after(follow, q).map(|a| (q, a))).collect();
    let changes: Vec<&TraceEvent> =
        trace.events.iter().filter(|e| matches!(e.what, What::AnswerChanged { .. })).collect();
    let mut out = Vec::new();
    for (k, change) in changes.iter().enumerate() {
        let What::AnswerChanged { to, .. } = &change.what else { continue };
        let next = changes[k + 1..]
            .iter()
            .find(|c| c.population == change.population)
            .map_or(f64::INFINITY, |c| c.t_s);
        let population = change.population.as_deref().unwrap_or("?");
        for &(q, age) in &ages {
            let t_s = change.t_s + age;
            if t_s >= next || t_s > trace.to_s {
                break;
            }
            let (moved, stale) = (100.0 * q, 100.0 * (1.0 - q));
            out.push(StoryLine {
                t_s,
                kind: "clients_moved".to_string(),
                text: format!(
                    "{moved:.0}% of {population}'s clients have moved to {}; {stale:.0}% still on stale answers",
                    listed(to)
                ),
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::distribution::Distribution;

    #[test]
    fn clocks_and_durations_read_as_people_say_them() {
        assert_eq!(clock(1_888.4), "00:31:28");
        assert_eq!(clock(2.0 * 86_400.0 + 14_400.0), "day 3 04:00:00");
        assert_eq!(seconds(2.44), "2.4 s");
        assert_eq!(seconds(192.0), "3 min 12 s");
        assert_eq!(seconds(3_900.0), "1 h 05 min");
    }

    /// With no TTL violators a client's cache age is uniform over the TTL: 90% have moved at 0.9 TTL.
    #[test]
    fn clients_move_as_their_caches_expire() {
        let follow = Follow::Dns {
            ttl_s: 60.0,
            propagation_s: 0.0,
            violators_share: 0.0,
            extra_staleness: Distribution::Fixed { s: 0.0 },
        };
        let a = moved_after(&follow, 0.9).expect("finite");
        assert!((a - 54.0).abs() < 2e-3, "{a}");
        let any = Follow::Anycast { shift_s: 30.0 };
        assert!((moved_after(&any, 0.99).expect("finite") - 29.7).abs() < 2e-3);
    }
}
