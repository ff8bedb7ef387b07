//! The shipped models and scenarios, embedded in the binary, so an installed binary runs a real study
//! from any folder: a model or scenario argument that is not a file but names one of them
//! (`single-region`, `models/single-region.ron`) is read from its embedded copy
//! (the model stage's study loader does so, and records the argument as given).

use std::path::Path;

/// Every shipped model and scenario: its path in the repository and its text.
pub const EXAMPLES: &[(&str, &str)] = &[
    ("models/active-active.ron", include_str!("../../models/active-active.ron")),
    ("models/active-active-global-signin.ron", include_str!("../../models/active-active-global-signin.ron")),
    (
        "models/active-active-regional-signin.ron",
        include_str!("../../models/active-active-regional-signin.ron"),
    ),
    ("models/active-passive.ron", include_str!("../../models/active-passive.ron")),
    ("models/active-passive-cdn.ron", include_str!("../../models/active-passive-cdn.ron")),
    ("models/active-passive-autoscaling.ron", include_str!("../../models/active-passive-autoscaling.ron")),
    ("models/backup-restore.ron", include_str!("../../models/backup-restore.ron")),
    ("models/mistake-dns-ttl-a-day.ron", include_str!("../../models/mistake-dns-ttl-a-day.ron")),
    ("models/mistake-sync-across-ocean.ron", include_str!("../../models/mistake-sync-across-ocean.ron")),
    ("models/mistake-undersized-standby.ron", include_str!("../../models/mistake-undersized-standby.ron")),
    ("models/multi-az-database.ron", include_str!("../../models/multi-az-database.ron")),
    ("models/pilot-light.ron", include_str!("../../models/pilot-light.ron")),
    ("models/pilot-light-operator.ron", include_str!("../../models/pilot-light-operator.ron")),
    ("models/pilot-light-global-registry.ron", include_str!("../../models/pilot-light-global-registry.ron")),
    (
        "models/pilot-light-regional-registry.ron",
        include_str!("../../models/pilot-light-regional-registry.ron"),
    ),
    ("models/residency-fail.ron", include_str!("../../models/residency-fail.ron")),
    ("models/residency-serve-elsewhere.ron", include_str!("../../models/residency-serve-elsewhere.ron")),
    ("models/retry-storm-breaker.ron", include_str!("../../models/retry-storm-breaker.ron")),
    ("models/retry-storm-budget.ron", include_str!("../../models/retry-storm-budget.ron")),
    ("models/retry-storm-lifo.ron", include_str!("../../models/retry-storm-lifo.ron")),
    ("models/retry-storm.ron", include_str!("../../models/retry-storm.ron")),
    ("models/single-az-database.ron", include_str!("../../models/single-az-database.ron")),
    ("models/single-region-large.ron", include_str!("../../models/single-region-large.ron")),
    ("models/single-region.ron", include_str!("../../models/single-region.ron")),
    ("models/single-region-outlier.ron", include_str!("../../models/single-region-outlier.ron")),
    ("models/validation/mmc.ron", include_str!("../../models/validation/mmc.ron")),
    ("models/warm-standby.ron", include_str!("../../models/warm-standby.ron")),
    ("scenarios/cdn-outage.ron", include_str!("../../scenarios/cdn-outage.ron")),
    ("scenarios/dns-outage.ron", include_str!("../../scenarios/dns-outage.ron")),
    ("scenarios/gray-failure.ron", include_str!("../../scenarios/gray-failure.ron")),
    ("scenarios/partition.ron", include_str!("../../scenarios/partition.ron")),
    ("scenarios/region-outage.ron", include_str!("../../scenarios/region-outage.ron")),
    (
        "scenarios/region-outage-control-plane.ron",
        include_str!("../../scenarios/region-outage-control-plane.ron"),
    ),
    ("scenarios/region-outage-eu.ron", include_str!("../../scenarios/region-outage-eu.ron")),
    ("scenarios/retry-storm.ron", include_str!("../../scenarios/retry-storm.ron")),
    ("scenarios/signin-outage.ron", include_str!("../../scenarios/signin-outage.ron")),
    ("scenarios/steady-state.ron", include_str!("../../scenarios/steady-state.ron")),
    ("scenarios/validation/mmc.ron", include_str!("../../scenarios/validation/mmc.ron")),
    ("scenarios/year-of-failures.ron", include_str!("../../scenarios/year-of-failures.ron")),
    ("scenarios/zone-outage.ron", include_str!("../../scenarios/zone-outage.ron")),
];

/// The embedded example `name` names: its path (`models/single-region.ron`), the path without its
/// extension, or (when only one has it) its file stem (`single-region`). `kind` prefers models or
/// scenarios for names both have (`mmc`).
pub fn find(name: &str, kind: Kind) -> Option<(&'static str, &'static str)> {
    let name = name.trim_start_matches("./");
    let exact = EXAMPLES.iter().find(|(path, _)| *path == name || path.strip_suffix(".ron") == Some(name));
    if let Some(&(path, text)) = exact {
        return Some((path, text));
    }
    let by_stem: Vec<&(&str, &str)> =
        EXAMPLES.iter().filter(|(path, _)| Path::new(path).file_stem().is_some_and(|s| s == name)).collect();
    let preferred = by_stem.iter().find(|(path, _)| path.starts_with(kind.folder()));
    preferred.or(by_stem.first()).map(|&&(path, text)| (path, text))
}

/// Which kind of file an argument is expected to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A model file.
    Model,
    /// A scenario file.
    Scenario,
}

impl Kind {
    fn folder(self) -> &'static str {
        match self {
            Kind::Model => "models/",
            Kind::Scenario => "scenarios/",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_find_their_example() {
        assert_eq!(find("single-region", Kind::Model).map(|e| e.0), Some("models/single-region.ron"));
        assert_eq!(
            find("models/single-region.ron", Kind::Model).map(|e| e.0),
            Some("models/single-region.ron")
        );
        assert_eq!(find("zone-outage", Kind::Model).map(|e| e.0), Some("scenarios/zone-outage.ron"));
        assert_eq!(find("mmc", Kind::Scenario).map(|e| e.0), Some("scenarios/validation/mmc.ron"));
        assert_eq!(find("mmc", Kind::Model).map(|e| e.0), Some("models/validation/mmc.ron"));
        assert_eq!(find("nope", Kind::Model), None);
    }
}
