//! A shard's partial file: what one shard of a study simulated, for `regionsim merge` to aggregate
//! with the other shards into exactly what one process would have written (docs/scale-out.md).
//!
//! A study's work is split into units, replications (`run`, `compare`: a unit is one replication of
//! every design) or points × replications (`sweep`, point by point), and a shard takes a contiguous
//! range of them ([`Shard::units`]). Its file is JSON lines:
//!
//! 1. a [`Header`]: the format, the regionsim version, the shard, its units and the [`Plan`] (every
//!    study's resolved inputs, the seed, the replications), with a fingerprint of all but the shard;
//! 2. one record per (study, replication), in the order the merge feeds them to the aggregate: each
//!    replication's [`Observations`] without its timeline (the report's timeline is the representative
//!    replication's, simulated again by the merge);
//! 3. an end line with the number of records and the SHA-256 of every byte before it, so a truncated
//!    or altered file is refused (a check against accidents, not against someone who recomputes it).

use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::analysis::report::Inputs;
use crate::analysis::sweep::Vary;
use crate::present::bundle::AtomicFile;
use crate::sim::observation::{Observations, Timeline};

/// The first field of every partial file.
pub const FORMAT: &str = "regionsim-partial";

/// Version of the partial format; a merge refuses any other.
pub const FORMAT_VERSION: u32 = 1;

/// The verb whose study a partial is a shard of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verb {
    /// `regionsim run`: one study.
    Run,
    /// `regionsim compare`: one study per design, on common random numbers.
    Compare,
    /// `regionsim sweep`: one study per point of the grid.
    Sweep,
}

impl Verb {
    /// The verb as typed.
    pub fn name(self) -> &'static str {
        match self {
            Verb::Run => "run",
            Verb::Compare => "compare",
            Verb::Sweep => "sweep",
        }
    }
}

/// Everything a merge needs besides the replications: the same in every shard of a study.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Plan {
    /// The verb.
    pub verb: Verb,
    /// Master seed.
    pub seed: u64,
    /// Replications of each study.
    pub replications: u32,
    /// The inputs of every study, resolved as simulated: the run's one, every design of a comparison
    /// (in the order given), every point of a sweep (in grid order).
    pub studies: Vec<Inputs>,
    /// A sweep's varied parameters (empty otherwise).
    #[serde(default)]
    pub parameters: Vec<Vary>,
    /// A sweep's points: the value of each parameter (empty otherwise).
    #[serde(default)]
    pub points: Vec<Vec<String>>,
}

impl Plan {
    /// Units of work the study is split into: replications, or points × replications for a sweep.
    pub fn units(&self) -> u64 {
        match self.verb {
            Verb::Sweep => self.studies.len() as u64 * u64::from(self.replications),
            Verb::Run | Verb::Compare => u64::from(self.replications),
        }
    }

    /// The records of units `units`, in file order: (study, its replications), each study once.
    pub fn records(&self, units: Range<u64>) -> Vec<(usize, Range<u32>)> {
        let r = u64::from(self.replications);
        match self.verb {
            Verb::Run | Verb::Compare => {
                let reps = units.start as u32..units.end as u32;
                (0..self.studies.len()).map(|s| (s, reps.clone())).collect()
            }
            Verb::Sweep if r == 0 => Vec::new(),
            Verb::Sweep => {
                let mut out = Vec::new();
                let mut u = units.start;
                while u < units.end {
                    let point = u / r;
                    let end = units.end.min((point + 1) * r);
                    out.push((point as usize, (u % r) as u32..(end - point * r) as u32));
                    u = end;
                }
                out
            }
        }
    }

    /// The SHA-256 (hex) of the format version, the regionsim `version` and the plan: equal for every
    /// shard of one study made by one regionsim.
    pub fn fingerprint(&self, version: &str) -> String {
        let bytes = serde_json::to_vec(&(FORMAT_VERSION, version, self)).unwrap_or_default();
        hex(&Sha256::digest(&bytes))
    }
}

/// Which shard: `index` of `count`, from 0.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// From 0 to `count − 1`.
    pub index: u32,
    /// How many shards the study is split into (at least 1).
    pub count: u32,
}

impl Shard {
    /// This shard's contiguous range of `total` units: the i-th of `count` near-equal ranges
    /// (`total·i/count` to `total·(i+1)/count`), so the shards cover every unit once.
    pub fn units(&self, total: u64) -> Range<u64> {
        let (i, n) = (u64::from(self.index), u64::from(self.count.max(1)));
        total * i / n..total * (i + 1) / n
    }

    /// The file name of this shard's partial: `shard-0002-of-0004.partial`.
    pub fn file_name(&self) -> String {
        format!("shard-{:04}-of-{:04}.partial", self.index, self.count)
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

/// The first line of a partial file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Header {
    /// [`FORMAT`].
    pub format: String,
    /// [`FORMAT_VERSION`] when written.
    pub format_version: u32,
    /// The regionsim that simulated it.
    pub regionsim_version: String,
    /// [`Plan::fingerprint`].
    pub fingerprint: String,
    /// Which shard.
    pub shard: Shard,
    /// Its units, `[start, end)`.
    pub units: [u64; 2],
    /// The study.
    pub plan: Plan,
}

impl Header {
    /// Records the file holds: its units' replications of every study they concern.
    pub fn expected_records(&self) -> u64 {
        self.plan.records(self.units[0]..self.units[1]).iter().map(|(_, r)| u64::from(r.end - r.start)).sum()
    }
}

/// One replication of one study.
#[derive(Debug, Serialize, Deserialize)]
pub struct Record {
    /// Index of the study in [`Plan::studies`].
    pub study: usize,
    /// The replication.
    pub replication: u32,
    /// What it observed (its timeline left out, its truncation flag kept).
    pub observations: Observations,
}

#[derive(Debug, Serialize, Deserialize)]
struct EndLine {
    end: End,
}

#[derive(Debug, Serialize, Deserialize)]
struct End {
    records: u64,
    sha256: String,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes a partial file as the shard's replications finish; it appears (atomically) on
/// [`Writer::commit`] only.
#[derive(Debug)]
pub struct Writer {
    file: AtomicFile,
    hasher: Sha256,
    records: u64,
}

impl Writer {
    /// Starts the partial of `shard` of `plan` at `path`.
    pub fn create(path: &Path, plan: Plan, shard: Shard) -> std::io::Result<Writer> {
        let units = shard.units(plan.units());
        let header = Header {
            format: FORMAT.into(),
            format_version: FORMAT_VERSION,
            regionsim_version: env!("CARGO_PKG_VERSION").into(),
            fingerprint: plan.fingerprint(env!("CARGO_PKG_VERSION")),
            shard,
            units: [units.start, units.end],
            plan,
        };
        let mut w = Writer { file: AtomicFile::create(path)?, hasher: Sha256::new(), records: 0 };
        w.line(&header)?;
        Ok(w)
    }

    fn line(&mut self, v: &impl Serialize) -> std::io::Result<()> {
        let mut bytes = serde_json::to_vec(v).map_err(std::io::Error::other)?;
        bytes.push(b'\n');
        self.hasher.update(&bytes);
        self.file.write_all(&bytes)
    }

    /// Adds the next replication of study `study` (records must come in file order: see
    /// [`Plan::records`]).
    pub fn add(&mut self, study: usize, mut observations: Observations) -> std::io::Result<()> {
        let t = &observations.timeline;
        observations.timeline =
            Timeline { bucket_s: t.bucket_s, infra_truncated: t.infra_truncated, ..Timeline::default() };
        let replication = observations.replication;
        self.line(&Record { study, replication, observations })?;
        self.records += 1;
        Ok(())
    }

    /// Ends the file (its record count and checksum) and puts it in place; returns its path.
    pub fn commit(mut self) -> std::io::Result<PathBuf> {
        let end =
            EndLine { end: End { records: self.records, sha256: hex(&self.hasher.clone().finalize()) } };
        let mut bytes = serde_json::to_vec(&end).map_err(std::io::Error::other)?;
        bytes.push(b'\n');
        self.file.write_all(&bytes)?;
        let path = self.file.path().to_path_buf();
        self.file.commit()?;
        Ok(path)
    }
}

/// Why a partial file cannot be used; the message names the file.
#[derive(Debug, Error)]
pub enum PartialError {
    /// It cannot be read.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
    /// It is not a partial file (or one of another format version).
    #[error("{}: {message}", path.display())]
    NotPartial {
        /// The file.
        path: PathBuf,
        /// What it is instead.
        message: String,
    },
    /// It ends early: its shard did not finish writing it, or it was cut.
    #[error(
        "{}: truncated after {records} of its records (no end line): the shard did not finish writing it, or the \
         file was cut; run that shard again",
        path.display()
    )]
    Truncated {
        /// The file.
        path: PathBuf,
        /// Whole records read.
        records: u64,
    },
    /// Its bytes are not the ones written: the checksum or the record count does not match.
    #[error("{}: {message}: the file was altered or damaged after it was written; run that shard again", path.display())]
    Tampered {
        /// The file.
        path: PathBuf,
        /// What does not match.
        message: String,
    },
}

fn read_line(reader: &mut impl BufRead, path: &Path, buf: &mut Vec<u8>) -> Result<usize, PartialError> {
    buf.clear();
    reader.read_until(b'\n', buf).map_err(|source| PartialError::Io { path: path.to_path_buf(), source })
}

fn open(path: &Path) -> Result<BufReader<File>, PartialError> {
    let meta =
        std::fs::metadata(path).map_err(|source| PartialError::Io { path: path.to_path_buf(), source })?;
    if !meta.is_file() {
        return Err(PartialError::NotPartial {
            path: path.to_path_buf(),
            message: "not a regular file".into(),
        });
    }
    File::open(path)
        .map(|f| BufReader::with_capacity(1 << 16, f))
        .map_err(|source| PartialError::Io { path: path.to_path_buf(), source })
}

fn header(reader: &mut impl BufRead, path: &Path, buf: &mut Vec<u8>) -> Result<Header, PartialError> {
    let not = |message: String| PartialError::NotPartial { path: path.to_path_buf(), message };
    read_line(reader, path, buf)?;
    let value: serde_json::Value = serde_json::from_slice(buf)
        .map_err(|_| not("not a regionsim partial file (its first line is not a partial's header)".into()))?;
    if value.get("format").and_then(|f| f.as_str()) != Some(FORMAT) {
        return Err(not("not a regionsim partial file (its first line is not a partial's header)".into()));
    }
    let version = value.get("format_version").and_then(|v| v.as_u64());
    if version != Some(u64::from(FORMAT_VERSION)) {
        return Err(not(format!(
            "partial format version {}, this regionsim reads version {FORMAT_VERSION}: merge with the regionsim that \
             wrote it",
            version.map_or("unknown".into(), |v| v.to_string())
        )));
    }
    if !buf.ends_with(b"\n") {
        return Err(PartialError::Truncated { path: path.to_path_buf(), records: 0 });
    }
    serde_json::from_value(value).map_err(|e| PartialError::Tampered {
        path: path.to_path_buf(),
        message: format!("its header does not read as a partial's ({e})"),
    })
}

/// Reads a whole partial file and checks it: a header, every record, the end line, the checksum and
/// the record count its units call for. Returns the header.
pub fn verify(path: &Path) -> Result<Header, PartialError> {
    let mut reader = open(path)?;
    let mut buf = Vec::new();
    let mut hasher = Sha256::new();
    let header = header(&mut reader, path, &mut buf)?;
    hasher.update(&buf);
    let tampered = |message: String| PartialError::Tampered { path: path.to_path_buf(), message };
    let mut records = 0u64;
    loop {
        let n = read_line(&mut reader, path, &mut buf)?;
        if n == 0 || !buf.ends_with(b"\n") {
            return Err(PartialError::Truncated { path: path.to_path_buf(), records });
        }
        if buf.starts_with(b"{\"end\":") {
            let end: EndLine = serde_json::from_slice(&buf)
                .map_err(|e| tampered(format!("its end line does not read ({e})")))?;
            if read_line(&mut reader, path, &mut buf)? != 0 {
                return Err(tampered("bytes after its end line".into()));
            }
            let sum = hex(&hasher.finalize());
            if end.end.sha256 != sum {
                return Err(tampered(format!(
                    "checksum mismatch (SHA-256 {sum}, {} written)",
                    end.end.sha256
                )));
            }
            if end.end.records != records {
                return Err(tampered(format!("{records} records, its end line says {}", end.end.records)));
            }
            let expected = header.expected_records();
            if records != expected {
                return Err(tampered(format!("{records} records where its units call for {expected}")));
            }
            if header.fingerprint != header.plan.fingerprint(&header.regionsim_version) {
                return Err(tampered("its fingerprint does not match its inputs".into()));
            }
            let units = header.shard.units(header.plan.units());
            if header.shard.count == 0
                || header.shard.index >= header.shard.count
                || header.units != [units.start, units.end]
            {
                return Err(tampered(format!("its units do not match shard {}", header.shard)));
            }
            return Ok(header);
        }
        hasher.update(&buf);
        records += 1;
    }
}

/// The records of a partial file that [`verify`] accepted, in file order.
pub fn records(path: &Path) -> Result<impl Iterator<Item = Result<Record, PartialError>>, PartialError> {
    let mut reader = open(path)?;
    let mut buf = Vec::new();
    header(&mut reader, path, &mut buf)?;
    let path = path.to_path_buf();
    Ok(std::iter::from_fn(move || match read_line(&mut reader, &path, &mut buf) {
        Err(e) => Some(Err(e)),
        Ok(0) => Some(Err(PartialError::Truncated { path: path.clone(), records: 0 })),
        Ok(_) if buf.starts_with(b"{\"end\":") => None,
        Ok(_) => Some(serde_json::from_slice::<Record>(&buf).map_err(|e| PartialError::Tampered {
            path: path.clone(),
            message: format!("a record does not read ({e})"),
        })),
    }))
}

/// Checks that `partials` (file and header) are every shard of one study, each once: the same
/// fingerprint (so the same regionsim, seed and inputs) and shard count, no index twice, none missing.
/// Returns them in shard order, or every problem found.
pub fn check_set(mut partials: Vec<(PathBuf, Header)>) -> Result<Vec<(PathBuf, Header)>, Vec<String>> {
    let mut problems = Vec::new();
    let Some((first_path, first)) = partials.first().cloned() else {
        return Err(vec!["no partial file given".into()]);
    };
    let f = first_path.display();
    for (path, h) in &partials[1..] {
        let p = path.display();
        if h.fingerprint != first.fingerprint {
            problems.push(difference(&f.to_string(), &first, &p.to_string(), h));
        } else if h.shard.count != first.shard.count {
            problems.push(format!(
                "{f} is a shard of {} and {p} a shard of {}: split the study into the same number of shards",
                first.shard.count, h.shard.count
            ));
        }
    }
    let ours = env!("CARGO_PKG_VERSION");
    if problems.is_empty() && first.regionsim_version != ours {
        problems.push(format!(
            "{f} was written by regionsim {}, and this is regionsim {ours}: merge with the regionsim that ran the \
             shards (the merge aggregates exactly as it does)",
            first.regionsim_version
        ));
    }
    if !problems.is_empty() {
        return Err(problems);
    }
    partials.sort_by_key(|(_, h)| h.shard.index);
    for w in partials.windows(2) {
        if w[0].1.shard.index == w[1].1.shard.index {
            if w[0].0 == w[1].0 {
                problems.push(format!("{} is given twice: give each shard once", w[0].0.display()));
            } else {
                problems.push(format!(
                    "shard {} is given twice ({} and {}): give each shard once",
                    w[0].1.shard,
                    w[0].0.display(),
                    w[1].0.display()
                ));
            }
        }
    }
    let n = first.shard.count;
    let missing: Vec<String> = (0..n)
        .filter(|i| !partials.iter().any(|(_, h)| h.shard.index == *i))
        .map(|i| i.to_string())
        .collect();
    if !missing.is_empty() {
        problems.push(format!(
            "missing shard{} {} of {n} (indexes 0 to {}): run {} and give {} too",
            if missing.len() == 1 { "" } else { "s" },
            missing.join(", "),
            n - 1,
            if missing.len() == 1 { "it" } else { "them" },
            if missing.len() == 1 { "its partial" } else { "their partials" }
        ));
    }
    if problems.is_empty() { Ok(partials) } else { Err(problems) }
}

/// What differs between two partials of different fingerprints, in words.
fn difference(a: &str, ha: &Header, b: &str, hb: &Header) -> String {
    let (pa, pb) = (&ha.plan, &hb.plan);
    let what = if ha.regionsim_version != hb.regionsim_version {
        format!(
            "{a} was written by regionsim {} and {b} by regionsim {}",
            ha.regionsim_version, hb.regionsim_version
        )
    } else if pa.verb != pb.verb {
        format!("{a} is a shard of a {} and {b} of a {}", pa.verb.name(), pb.verb.name())
    } else if pa.seed != pb.seed {
        format!("{a} has seed {} and {b} seed {}", pa.seed, pb.seed)
    } else if pa.replications != pb.replications {
        format!("{a} has {} replications and {b} {}", pa.replications, pb.replications)
    } else {
        let field = inputs_difference(pa, pb);
        format!("{a} and {b} have different inputs ({field})")
    };
    format!("{what}: they are not shards of one study")
}

fn inputs_difference(a: &Plan, b: &Plan) -> String {
    if a.studies.len() != b.studies.len() {
        return format!("{} studies against {}", a.studies.len(), b.studies.len());
    }
    if a.parameters != b.parameters || a.points != b.points {
        return "the sweep's --vary".into();
    }
    let json = |v: &dyn erased::Json| v.json();
    for (x, y) in a.studies.iter().zip(&b.studies) {
        for (name, l, r) in [
            ("model file", json(&x.model_file), json(&y.model_file)),
            ("scenario file", json(&x.scenario_file), json(&y.scenario_file)),
            ("--set", json(&x.overrides), json(&y.overrides)),
            ("model", json(&x.model), json(&y.model)),
            ("scenario", json(&x.scenario), json(&y.scenario)),
        ] {
            if l != r {
                return format!("the {name}");
            }
        }
    }
    "their inputs".into()
}

mod erased {
    /// Any serializable value as JSON text, for comparisons of differing types in one list.
    pub trait Json {
        fn json(&self) -> String;
    }

    impl<T: serde::Serialize> Json for T {
        fn json(&self) -> String {
            serde_json::to_string(self).unwrap_or_default()
        }
    }
}
