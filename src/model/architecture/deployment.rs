//! A deployment (one service's instances in one region, behind one load balancer): how its balancer
//! picks and checks instances, its standby posture, its instances, and the resolution of its
//! `standby` and `target_health_check`.

use super::{DeploymentId, InstanceId, RegionId, ServiceId, ZoneId};
use crate::input::issue::{Issues, number};
use crate::input::spec::model::StandbySpec;
use crate::model::distribution::Distribution;
use crate::model::time::SimTime;

/// How a load balancer picks among a deployment's serving instances.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Balancing {
    /// Each serving instance in turn.
    RoundRobin,
    /// Fewest requests at the instance (queued or in service), ties round-robin.
    LeastOutstanding,
    /// An instance in rotation, uniformly at random.
    Random,
}

/// A load balancer's health checks of its instances (resolved `target_health_check`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TargetHealthCheck {
    /// Time between two checks of one instance.
    pub interval: SimTime,
    /// How long a check to an unanswering instance takes to fail.
    pub timeout: SimTime,
    /// Consecutive passed checks that put an instance in rotation.
    pub healthy_threshold: u32,
    /// Consecutive failed checks that take an instance out of rotation.
    pub unhealthy_threshold: u32,
}
/// One service's instances in one region, behind one load balancer.
#[derive(Debug, Clone)]
pub struct Deployment {
    /// The service deployed.
    pub service: ServiceId,
    /// The region it is deployed in.
    pub region: RegionId,
    /// Its instances, the full fleet (spread over the chosen zones round-robin); with autoscaling, the
    /// pool up to its largest maximum, of which the first `fleet` run at the start.
    pub instances: Vec<InstanceId>,
    /// The fleet as configured (`instances` of the file): what runs at the start, and what a standby
    /// scales up to once failed over to.
    pub fleet: u32,
    /// Its disaster-recovery posture.
    pub standby: Standby,
    /// Who starts its posture's activation (`Automatic` for a hot deployment).
    pub failover: crate::model::failover::Trigger,
    /// Its target tracking autoscaling, if any.
    pub autoscaling: Option<crate::model::autoscaling::Autoscaling>,
}

/// A deployment's disaster-recovery posture (docs/references.md#dr-strategies), resolved.
#[derive(Debug, Clone)]
pub enum Standby {
    /// The full fleet always runs.
    Hot,
    /// `running` instances run; the rest start `scale_up` after failover begins.
    Warm {
        /// Instances running before failover, at least 1.
        running: u32,
        /// Time for the rest of the fleet to start \[s\].
        scale_up: Distribution,
    },
    /// Nothing runs until failover begins; then the whole fleet is provisioned.
    PilotLight {
        /// Time to provision the fleet \[s\].
        provision: Distribution,
    },
    /// Nothing runs until failover begins; the region serves once its data is restored from backup.
    BackupRestore {
        /// Time to restore the data and start the fleet \[s\].
        restore: Distribution,
    },
}

impl Standby {
    /// Instances running before any failover, of a fleet of `fleet`.
    pub fn initially_running(&self, fleet: u32) -> u32 {
        match self {
            Standby::Hot => fleet,
            Standby::Warm { running, .. } => *running,
            Standby::PilotLight { .. } | Standby::BackupRestore { .. } => 0,
        }
    }

    /// The delay before the full fleet runs once failover begins; `None` for a hot deployment.
    pub fn activation(&self) -> Option<&Distribution> {
        match self {
            Standby::Hot => None,
            Standby::Warm { scale_up, .. } => Some(scale_up),
            Standby::PilotLight { provision } => Some(provision),
            Standby::BackupRestore { restore } => Some(restore),
        }
    }
}

/// One server of a deployment, in one zone.
#[derive(Debug, Clone)]
pub struct Instance {
    /// `service@region#k`, stable across designs so common random numbers can match it.
    pub name: String,
    /// The service it runs.
    pub service: ServiceId,
    /// The region it runs in.
    pub region: RegionId,
    /// The zone it runs in (its fault domain).
    pub zone: ZoneId,
    /// The deployment it belongs to.
    pub deployment: DeploymentId,
}

pub(super) fn resolve_standby(
    spec: Option<&StandbySpec>,
    fleet: u32,
    path: &str,
    issues: &mut Issues,
) -> Standby {
    let path = format!("{path}.standby");
    let resolved = match spec {
        None | Some(StandbySpec::Hot) => Some(Standby::Hot),
        Some(StandbySpec::Warm { capacity_fraction, scale_up, .. }) => {
            if !(*capacity_fraction > 0.0 && *capacity_fraction <= 1.0) {
                issues.push(
                    format!("{path}.capacity_fraction"),
                    format!("must be in (0, 1] (got {capacity_fraction}); use PilotLight for none"),
                );
            }
            let running = ((fleet as f64 * capacity_fraction).ceil() as u32).clamp(1, fleet.max(1));
            scale_up
                .resolve(&format!("{path}.scale_up"), issues)
                .map(|scale_up| Standby::Warm { running, scale_up })
        }
        Some(StandbySpec::PilotLight { provision, .. }) => provision
            .resolve(&format!("{path}.provision"), issues)
            .map(|provision| Standby::PilotLight { provision }),
        Some(StandbySpec::BackupRestore { restore, .. }) => restore
            .resolve(&format!("{path}.restore"), issues)
            .map(|restore| Standby::BackupRestore { restore }),
    };
    resolved.unwrap_or(Standby::Hot)
}

/// Checks a balancer's health-check settings against what Elastic Load Balancing accepts (thresholds 2 to
/// 10, a timeout shorter than the interval); `None` after recording the problems.
pub(super) fn resolve_target_health_check(
    h: &crate::input::spec::model::TargetHealthCheckSpec,
    path: &str,
    issues: &mut Issues,
) -> Option<TargetHealthCheck> {
    let mut ok = true;
    if !(h.interval_s.is_finite() && (1.0..=86_400.0).contains(&h.interval_s)) {
        issues.push(
            format!("{path}.interval_s"),
            format!("must be from 1 to 86400 s, got {}", number(h.interval_s)),
        );
        ok = false;
    }
    if !(h.timeout_s.is_finite() && h.timeout_s > 0.0 && h.timeout_s < h.interval_s) {
        issues.push(
            format!("{path}.timeout_s"),
            format!(
                "must be above 0 and below interval_s ({}), got {}",
                number(h.interval_s),
                number(h.timeout_s)
            ),
        );
        ok = false;
    }
    for (field, v) in
        [("healthy_threshold", h.healthy_threshold), ("unhealthy_threshold", h.unhealthy_threshold)]
    {
        if !(2..=10).contains(&v) {
            issues.push(
                format!("{path}.{field}"),
                format!("must be from 2 to 10 (as Elastic Load Balancing accepts), got {v}"),
            );
            ok = false;
        }
    }
    ok.then(|| TargetHealthCheck {
        interval: SimTime::from_secs_f64(h.interval_s),
        timeout: SimTime::from_secs_f64(h.timeout_s),
        healthy_threshold: h.healthy_threshold,
        unhealthy_threshold: h.unhealthy_threshold,
    })
}
