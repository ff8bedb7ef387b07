//! `explain`'s view of launches a failure holds (docs/architecture.md#dependencies): a standby that
//! cannot launch its fleet because a dependency it needs at launch, or for its control plane, is down,
//! and the launches elsewhere that would wait, in words.

use super::Outcome;
use crate::model::architecture::Standby;
use crate::model::dependency::Use;

/// The dependencies deployment `d` needs to launch an instance (at launch, and its control plane's)
/// whose copy for its region is down.
fn launch_needs_down(o: &Outcome, d: usize) -> Vec<usize> {
    let (model, dep) = (o.model, &o.model.deployments[d]);
    let service = &model.services[dep.service];
    service
        .launch_needs
        .iter()
        .chain(&service.control_plane_needs)
        .copied()
        .filter(|&k| o.copy_down(k, dep.region))
        .collect()
}

/// How a standby that cannot launch reads: `api@us-west-2 (pilot light) launches its fleet with registry
/// (global, homed in us-east-1, used at launch), which is down: its failover is blocked`.
pub(super) fn blocked(o: &Outcome, d: usize) -> String {
    let model = o.model;
    let dep = &model.deployments[d];
    let needs: Vec<String> = launch_needs_down(o, d)
        .into_iter()
        .map(|k| {
            format!("{} ({})", model.dependencies[k].name, model.dependencies[k].describe(&model.regions))
        })
        .collect();
    let posture = match dep.standby {
        Standby::Warm { .. } => "warm standby",
        Standby::PilotLight { .. } => "pilot light",
        Standby::BackupRestore { .. } => "backup and restore",
        Standby::Hot => "hot",
    };
    format!(
        "{}@{} ({posture}) launches its standby fleet with {}, which {} down: its failover is blocked",
        model.services[dep.service].name,
        model.regions[dep.region].name,
        needs.join(" and "),
        if needs.len() == 1 { "is" } else { "are" }
    )
}

/// The deployments in regions still up (but those `told` already), whose launches (or control plane)
/// would wait for a dependency that is down, as an aside: ` (while registry is down, launches of
/// web@us-east-1, web@us-west-2 wait: it is used at launch)`; empty when there are none.
pub(super) fn waiting(o: &Outcome, told: &[usize]) -> String {
    let model = o.model;
    let mut asides = Vec::new();
    for (k, dependency) in model.dependencies.iter().enumerate() {
        if dependency.used == Use::PerRequest {
            continue;
        }
        let waiting: Vec<String> = model
            .deployments
            .iter()
            .enumerate()
            .filter(|&(d, dep)| {
                let s = &model.services[dep.service];
                !told.contains(&d)
                    && !o.region_down[dep.region]
                    && s.launch_needs.iter().chain(&s.control_plane_needs).any(|&x| x == k)
                    && o.copy_down(k, dep.region)
            })
            .map(|(_, dep)| {
                format!("{}@{}", model.services[dep.service].name, model.regions[dep.region].name)
            })
            .collect();
        if waiting.is_empty() {
            continue;
        }
        let what = match dependency.used {
            Use::AtLaunch => "launches of",
            _ => "the control plane's scaling and failovers of",
        };
        asides.push(format!(
            "while {} is down, {what} {} wait: it is used {}",
            dependency.name,
            waiting.join(", "),
            dependency.used.words()
        ));
    }
    if asides.is_empty() { String::new() } else { format!(" ({})", asides.join("; ")) }
}
