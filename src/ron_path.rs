//! Dotted paths into RON text (`services[api].instances`): find where a value is written, and splice a
//! new value in. `--set PATH=VALUE` and the line numbers of validation errors both rest on this.
//!
//! STUB: a helper replaces this file. The public API below is the contract the rest of the crate uses.

use std::fmt;
use std::str::FromStr;

/// One step of a path: a struct field (`.instances`) or a list element / map entry chosen by name
/// (`[api]`: the list element whose `name` is "api", or the map entry whose key is "api").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Field(String),
    Key(String),
}

/// A parsed path such as `traffic.populations[eu].rate_per_s`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RonPath {
    pub segments: Vec<Segment>,
}

/// Why a path could not be parsed, found or spliced; the message says what exists instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathError(pub String);

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PathError {}

impl FromStr for RonPath {
    type Err = PathError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let segments = s.split('.').map(|f| Segment::Field(f.to_string())).collect();
        Ok(RonPath { segments })
    }
}

impl fmt::Display for RonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.segments.iter().enumerate() {
            match s {
                Segment::Field(name) if i == 0 => write!(f, "{name}")?,
                Segment::Field(name) => write!(f, ".{name}")?,
                Segment::Key(key) => write!(f, "[{key}]")?,
            }
        }
        Ok(())
    }
}

/// Where a (line, column) of spliced text came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// A position in the original text (1-based line and column).
    Source { line: usize, col: usize },
    /// Inside the value spliced in by the override with this index.
    Override(usize),
}

/// RON text after overrides were spliced in, able to map positions back to the original.
#[derive(Debug, Clone)]
pub struct Spliced {
    pub text: String,
}

impl Spliced {
    /// Maps a 1-based position in `self.text` back to where it came from.
    pub fn origin(&self, line: usize, col: usize) -> Origin {
        Origin::Source { line, col }
    }
}

/// Replaces (or, for a struct field that is absent, inserts) the value at each path by the given RON text,
/// in order. Fails with a message naming the path and what exists there when a path does not resolve.
pub fn splice(source: &str, edits: &[(RonPath, String)]) -> Result<Spliced, PathError> {
    if edits.is_empty() {
        return Ok(Spliced { text: source.to_string() });
    }
    Err(PathError("--set is not implemented yet".into()))
}

/// The 1-based (line, column) where the value at `path` is written, or of its nearest ancestor that is
/// written; `None` when the text does not parse or not even the first segment is present.
pub fn locate(_source: &str, _path: &RonPath) -> Option<(usize, usize)> {
    None
}
