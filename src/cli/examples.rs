//! The shipped models and scenarios on the command line: `regionsim examples` lists them and copies
//! them into a folder, and a verb given a file that does not exist but names one of them (`single-region`,
//! `models/single-region.ron`) says it uses the embedded copy (which the input stage reads,
//! [`crate::input::examples`]).

use std::path::{Path, PathBuf};

pub use crate::input::examples::{EXAMPLES, Kind, find};

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

/// Says on stderr when `arg` is not a file but names a built-in example, which the verb then reads
/// (see [`crate::input::examples`]); nothing otherwise.
pub fn note_builtin(arg: &Path, kind: Kind) {
    if arg.exists() {
        return;
    }
    if let Some((path, _)) = arg.to_str().and_then(|a| find(a, kind)) {
        crate::cli::console::err(&format!(
            "note: {} is not a file here: using the built-in example {path}",
            arg.display()
        ));
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
}
