//! Writing outputs safely. A verb's outputs are one [`Bundle`]: every file is written into a fresh
//! temporary folder beside the target (created exclusively, with an unpredictable name, by `tempfile`),
//! which then replaces the target folder as one unit. An interrupted run leaves the old folder or the
//! new one, never a mix of both, and never a half-written file; files an earlier run wrote and this one
//! does not (a chart with no data now) go with the old folder. Temporary files and folders are created
//! exclusively, so a symlink planted in a shared folder is never followed.
//!
//! A folder is only replaced if regionsim made it (it holds [`MARKER`], or a results file) or it is
//! empty: `--out .` in a project folder is refused rather than emptied.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use thiserror::Error;

/// The file every output folder holds, so that only such folders are ever replaced.
pub const MARKER: &str = ".regionsim-output";

/// Why outputs could not be written; the message names the path.
#[derive(Debug, Error)]
pub enum BundleError {
    /// Reading, writing or renaming failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or folder concerned.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// The target folder exists and is neither empty nor made by regionsim: it is left alone.
    #[error(
        "{}: the folder exists and was not written by regionsim (no {MARKER} in it); choose a new or empty folder \
         with --out",
        path.display()
    )]
    NotOurs {
        /// The target folder.
        path: PathBuf,
    },
    /// The target exists and is not a folder.
    #[error("{}: exists and is not a folder; choose another --out", path.display())]
    NotAFolder {
        /// The target.
        path: PathBuf,
    },
    /// A folder on the way to the target is a file: the target cannot be made.
    #[error("{}: cannot be made, {} is a file, not a folder; choose another --out", target.display(), file.display())]
    ThroughAFile {
        /// The target folder.
        target: PathBuf,
        /// The file in its path.
        file: PathBuf,
    },
    /// The folder that would hold the target cannot be written.
    #[error("{}: cannot write outputs there ({source}); choose another --out", parent.display())]
    NotWritable {
        /// The folder that would hold the target.
        parent: PathBuf,
        /// Why.
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> BundleError + '_ {
    move |source| BundleError::Io { path: path.to_path_buf(), source }
}

/// Files to write into one output folder, by path relative to it.
#[derive(Debug, Default)]
pub struct Bundle {
    files: Vec<(String, Vec<u8>)>,
}

/// What [`Bundle::write`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    /// Files written.
    pub files: usize,
    /// The folder existed (outputs of an earlier run) and was replaced.
    pub replaced: bool,
}

impl Bundle {
    /// Adds a file at `path` (relative, `/`-separated: `charts/latency_cdf.svg`).
    pub fn add(&mut self, path: impl Into<String>, bytes: impl Into<Vec<u8>>) {
        self.files.push((path.into(), bytes.into()));
    }

    /// The relative paths, in the order added.
    pub fn paths(&self) -> impl Iterator<Item = &str> {
        self.files.iter().map(|(p, _)| p.as_str())
    }

    /// The bytes of the file at `path`, if the bundle has one.
    pub fn get(&self, path: &str) -> Option<&[u8]> {
        self.files.iter().find(|(p, _)| p == path).map(|(_, b)| b.as_slice())
    }

    /// Writes every file into `dir`, replacing what an earlier run left there (see the module
    /// documentation).
    pub fn write(&self, dir: &Path) -> Result<Written, BundleError> {
        let parent = check_target(dir)?;
        let fresh =
            tempfile::Builder::new().prefix(".regionsim-new-").tempdir_in(&parent).map_err(io(&parent))?;
        for (rel, bytes) in &self.files {
            let path = fresh.path().join(rel);
            if let Some(p) = path.parent() {
                fs::create_dir_all(p).map_err(io(p))?;
            }
            let mut f = fs::OpenOptions::new().write(true).create_new(true).open(&path).map_err(io(&path))?;
            f.write_all(bytes).and_then(|()| f.sync_all()).map_err(io(&path))?;
        }
        fs::write(
            fresh.path().join(MARKER),
            b"written by regionsim; the whole folder is replaced on the next run\n",
        )
        .map_err(io(fresh.path()))?;
        let replaced = dir.exists();
        if replaced {
            // Out of the way into a fresh folder of its own, then the new one in its place, then the
            // old one removed: at every instant `dir` is whole, or absent for the two renames between.
            let old = tempfile::Builder::new()
                .prefix(".regionsim-old-")
                .tempdir_in(&parent)
                .map_err(io(&parent))?;
            let aside = old.path().join("previous");
            fs::rename(dir, &aside).map_err(io(dir))?;
            fs::rename(fresh.path(), dir).map_err(io(dir))?;
            drop(old);
        } else {
            fs::rename(fresh.path(), dir).map_err(io(dir))?;
        }
        // The temporary folder has been renamed away; forget it instead of removing it.
        let _ = fresh.keep();
        Ok(Written { files: self.files.len(), replaced })
    }
}

/// Checks, before anything is simulated, that `dir` can receive outputs: its parent is (or can be
/// made) a writable folder, and `dir` is absent, empty, or a folder regionsim wrote. Returns the parent.
pub fn check_target(dir: &Path) -> Result<PathBuf, BundleError> {
    let parent = dir.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new(".")).to_path_buf();
    if let Ok(meta) = fs::symlink_metadata(dir) {
        if !meta.is_dir() {
            return Err(BundleError::NotAFolder { path: dir.to_path_buf() });
        }
        // Ours: it carries the marker, or the results file of a regionsim older than the marker.
        let ours =
            [MARKER, "results.json", "compare.json", "sweep.json"].iter().any(|f| dir.join(f).is_file());
        let empty = fs::read_dir(dir).map_err(io(dir))?.next().is_none();
        if !ours && !empty {
            return Err(BundleError::NotOurs { path: dir.to_path_buf() });
        }
    }
    // A file on the way (`--out results.json/x`) is named as such, not as an OS error.
    if let Some(file) = parent.ancestors().find(|a| fs::metadata(a).is_ok_and(|m| !m.is_dir())) {
        return Err(BundleError::ThroughAFile { target: dir.to_path_buf(), file: file.to_path_buf() });
    }
    let unwritable = |source| BundleError::NotWritable { parent: parent.clone(), source };
    fs::create_dir_all(&parent).map_err(unwritable)?;
    // Writable: a temporary folder can be made there (and is removed at once).
    tempfile::Builder::new().prefix(".regionsim-check-").tempdir_in(&parent).map_err(|e| {
        BundleError::NotWritable {
            parent: parent.clone(),
            source: std::io::Error::new(e.kind(), e.kind().to_string()),
        }
    })?;
    remove_leftovers(&parent);
    Ok(parent)
}

/// Removes what killed runs left in `parent`: their temporary folders, if older than an hour (a run
/// writing beside this one may still be using a young one).
fn remove_leftovers(parent: &Path) {
    let Ok(entries) = fs::read_dir(parent) else { return };
    for e in entries.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let ours =
            [".regionsim-new-", ".regionsim-old-", ".regionsim-check-"].iter().any(|p| name.starts_with(p));
        let old = e
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age.as_secs() > 3600);
        if ours && old {
            let _ = fs::remove_dir_all(e.path());
        }
    }
}

/// Writes `bytes` to `path` atomically: into an exclusively created temporary file with an
/// unpredictable name in the same folder, then renamed into place.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let mut f = tempfile::NamedTempFile::new_in(dir)?;
    f.write_all(bytes)?;
    f.as_file().sync_all()?;
    f.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// A file written as it grows, atomically: into an exclusively created temporary file with an
/// unpredictable name in the same folder, renamed into place by [`AtomicFile::commit`]. Dropped
/// without a commit (an error, an interruption), it leaves nothing behind.
#[derive(Debug)]
pub struct AtomicFile {
    path: PathBuf,
    temp: std::io::BufWriter<tempfile::NamedTempFile>,
}

impl AtomicFile {
    /// Starts the file that [`AtomicFile::commit`] will put at `path` (its folder is created).
    pub fn create(path: &Path) -> std::io::Result<AtomicFile> {
        let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        fs::create_dir_all(dir)?;
        let temp = tempfile::Builder::new().prefix(".regionsim-part-").tempfile_in(dir)?;
        Ok(AtomicFile { path: path.to_path_buf(), temp: std::io::BufWriter::new(temp) })
    }

    /// Where the file goes.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Synced and renamed into place, replacing any file there.
    pub fn commit(self) -> std::io::Result<()> {
        let temp = self.temp.into_inner().map_err(|e| e.into_error())?;
        // Readable like any output (a temporary file is private to its owner).
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            temp.as_file().set_permissions(fs::Permissions::from_mode(0o644))?;
        }
        temp.as_file().sync_all()?;
        temp.persist(&self.path).map_err(|e| e.error)?;
        Ok(())
    }
}

impl Write for AtomicFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.temp.write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.temp.flush()
    }
}

/// `output/<model>--<scenario>` from the two file names.
pub fn default_dir(model_file: &Path, scenario_file: &Path) -> PathBuf {
    PathBuf::from("output").join(format!("{}--{}", stem(model_file), stem(scenario_file)))
}

/// A file's name without its extension (`study` when it has none).
pub fn stem(p: &Path) -> String {
    p.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_else(|| "study".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bundle(files: &[(&str, &str)]) -> Bundle {
        let mut b = Bundle::default();
        for (p, t) in files {
            b.add(*p, t.as_bytes());
        }
        b
    }

    #[test]
    fn a_second_run_replaces_the_folder_as_one_unit() {
        let root = tempfile::tempdir().unwrap();
        let out = root.path().join("out");
        let first = bundle(&[("results.json", "one"), ("charts/a.svg", "<svg/>")]).write(&out).unwrap();
        assert!(!first.replaced);
        let second = bundle(&[("results.json", "two")]).write(&out).unwrap();
        assert!(second.replaced);
        assert_eq!(fs::read_to_string(out.join("results.json")).unwrap(), "two");
        assert!(!out.join("charts/a.svg").exists(), "a stale chart of the first run survived");
        let names: Vec<String> = fs::read_dir(root.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["out"], "temporary folders left behind: {names:?}");
    }

    #[test]
    fn a_folder_regionsim_did_not_write_is_refused_and_a_file_too() {
        let root = tempfile::tempdir().unwrap();
        fs::write(root.path().join("notes.txt"), "mine").unwrap();
        let e = bundle(&[("results.json", "x")]).write(root.path()).unwrap_err();
        assert!(matches!(e, BundleError::NotOurs { .. }), "{e}");
        assert_eq!(fs::read_to_string(root.path().join("notes.txt")).unwrap(), "mine");
        let file = root.path().join("notes.txt");
        assert!(matches!(check_target(&file), Err(BundleError::NotAFolder { .. })));
        // Through a file: the parent cannot be made.
        assert!(check_target(&file.join("out")).is_err());
    }

    /// Regression (--out through a file): the error named an OS error ("File exists (os error 17)")
    /// instead of the file in the way.
    #[test]
    fn out_through_a_file_names_the_file_in_the_way() {
        let root = tempfile::tempdir().unwrap();
        let file = root.path().join("results.json");
        fs::write(&file, "{}").unwrap();
        let e = check_target(&file.join("deeper").join("out")).unwrap_err();
        match &e {
            BundleError::ThroughAFile { file: f, .. } => assert_eq!(f, &file),
            other => panic!("{other}"),
        }
        assert!(e.to_string().contains("results.json is a file, not a folder"), "{e}");
    }

    #[test]
    fn an_atomic_file_appears_whole_on_commit_and_not_at_all_without() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("part.partial");
        let mut f = AtomicFile::create(&path).unwrap();
        f.write_all(b"half").unwrap();
        assert!(!path.exists(), "visible before the commit");
        drop(f);
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 0, "a dropped file left something");
        let mut f = AtomicFile::create(&path).unwrap();
        f.write_all(b"whole").unwrap();
        f.commit().unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"whole");
        assert_eq!(fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn atomic_writes_replace_the_file_and_leave_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub/results.json");
        write_atomic(&path, b"one").unwrap();
        write_atomic(&path, b"two").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"two");
        assert_eq!(fs::read_dir(path.parent().unwrap()).unwrap().count(), 1);
    }
}
