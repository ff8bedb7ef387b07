//! The shipped models and scenarios, embedded in the binary: `regionsim examples` lists them and copies
//! them into a folder, and a verb given a file that does not exist but names one of them (`single-region`,
//! `models/single-region.ron`) uses the embedded copy, so an installed binary runs a real study from any
//! folder.

use std::path::{Path, PathBuf};

/// Every shipped model and scenario: its path in the repository and its text.
pub const EXAMPLES: &[(&str, &str)] = &[
    ("models/active-active.ron", include_str!("../../models/active-active.ron")),
    ("models/active-passive.ron", include_str!("../../models/active-passive.ron")),
    ("models/active-passive-autoscaling.ron", include_str!("../../models/active-passive-autoscaling.ron")),
    ("models/backup-restore.ron", include_str!("../../models/backup-restore.ron")),
    ("models/multi-az-database.ron", include_str!("../../models/multi-az-database.ron")),
    ("models/pilot-light.ron", include_str!("../../models/pilot-light.ron")),
    ("models/retry-storm-budget.ron", include_str!("../../models/retry-storm-budget.ron")),
    ("models/retry-storm-lifo.ron", include_str!("../../models/retry-storm-lifo.ron")),
    ("models/retry-storm.ron", include_str!("../../models/retry-storm.ron")),
    ("models/single-az-database.ron", include_str!("../../models/single-az-database.ron")),
    ("models/single-region-large.ron", include_str!("../../models/single-region-large.ron")),
    ("models/single-region.ron", include_str!("../../models/single-region.ron")),
    ("models/validation/mmc.ron", include_str!("../../models/validation/mmc.ron")),
    ("models/warm-standby.ron", include_str!("../../models/warm-standby.ron")),
    ("scenarios/partition.ron", include_str!("../../scenarios/partition.ron")),
    ("scenarios/region-outage.ron", include_str!("../../scenarios/region-outage.ron")),
    (
        "scenarios/region-outage-control-plane.ron",
        include_str!("../../scenarios/region-outage-control-plane.ron"),
    ),
    ("scenarios/retry-storm.ron", include_str!("../../scenarios/retry-storm.ron")),
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

/// Copies every example into `dir`, keeping their relative paths; refuses to overwrite a file. Returns
/// the paths written.
pub fn copy_to(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    for (path, text) in EXAMPLES {
        let target = dir.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&target)
            .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", target.display())))?;
        std::io::Write::write_all(&mut file, text.as_bytes())?;
        written.push(target);
    }
    Ok(written)
}

/// Where embedded examples named on the command line are written for the verbs to read: a temporary
/// folder, removed when this is dropped.
#[derive(Debug, Default)]
pub struct Materialized {
    dir: Option<tempfile::TempDir>,
}

impl Materialized {
    /// `arg` itself when it exists (or names no example), else a file holding the example it names.
    pub fn resolve(&mut self, arg: &Path, kind: Kind) -> PathBuf {
        if arg.exists() {
            return arg.to_path_buf();
        }
        let Some((path, text)) = arg.to_str().and_then(|a| find(a, kind)) else { return arg.to_path_buf() };
        if self.dir.is_none() {
            self.dir = tempfile::Builder::new().prefix("regionsim-examples-").tempdir().ok();
        }
        let Some(dir) = &self.dir else { return arg.to_path_buf() };
        let target = dir.path().join(path);
        let written = target
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| std::fs::write(&target, text));
        match written {
            Ok(()) => {
                crate::cli::console::err(&format!(
                    "note: {} is not a file here: using the built-in example {path}",
                    arg.display()
                ));
                target
            }
            Err(_) => arg.to_path_buf(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_shipped_model_and_scenario_is_embedded_as_it_is_on_disk() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut on_disk = Vec::new();
        for dir in ["models", "models/validation", "scenarios", "scenarios/validation"] {
            for entry in std::fs::read_dir(root.join(dir)).unwrap() {
                let name = entry.unwrap().file_name().to_string_lossy().to_string();
                if name.ends_with(".ron") {
                    on_disk.push(format!("{dir}/{name}"));
                }
            }
        }
        on_disk.sort();
        let mut embedded: Vec<String> = EXAMPLES.iter().map(|(p, _)| p.to_string()).collect();
        embedded.sort();
        assert_eq!(embedded, on_disk);
        for (path, text) in EXAMPLES {
            assert_eq!(std::fs::read_to_string(root.join(path)).unwrap(), *text, "{path}");
        }
    }

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
