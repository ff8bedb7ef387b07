//! Problems found in user input, each with the place it was found.
//!
//! Validation never stops at the first problem: every check pushes an [`Issue`] onto [`Issues`] and the
//! caller reports them all at once.

use std::fmt;

/// One problem in a model or scenario, located by its field path (`services[api].instances`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Issue {
    /// Dotted path into the file, list elements by name: `services[api].service_time.sigma`.
    pub path: String,
    /// What is wrong, and how to fix it when we can say.
    pub message: String,
}

impl fmt::Display for Issue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

/// The problems found so far.
#[derive(Debug, Default, Clone)]
pub struct Issues(pub Vec<Issue>);

impl Issues {
    /// Records a problem at field `path`.
    pub fn push(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.0.push(Issue { path: path.into(), message: message.into() });
    }

    /// Whether no problem was found.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Number of problems found.
    pub fn len(&self) -> usize {
        self.0.len()
    }
}

/// A comma-separated list of names for "known: ..." hints; `(none)` when empty.
pub fn known<'a>(names: impl Iterator<Item = &'a str>) -> String {
    let names: Vec<&str> = names.collect();
    if names.is_empty() { "(none)".to_string() } else { names.join(", ") }
}

/// The one of `candidates` closest to `name`, when it is close enough to be a typo of it: at most one
/// edit (an insertion, a deletion, a substitution or a swap of neighbours) per three characters, at
/// least one; never `name` itself.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let allowed = (name.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .filter(|c| *c != name)
        .map(|c| (strsim::damerau_levenshtein(name, c), c))
        .filter(|(edits, _)| *edits <= allowed)
        .min_by_key(|(edits, _)| *edits)
        .map(|(_, c)| c)
}

/// `"; did you mean 'x'?"` when one of `candidates` is close to `name` (see [`closest`]), else `""`.
pub fn did_you_mean<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> String {
    closest(name, candidates).map(|c| format!("; did you mean '{c}'?")).unwrap_or_default()
}

/// A number as a message shows it: as written for ordinary magnitudes, in scientific notation beyond
/// (`1e308`, not 309 digits).
pub fn number(v: f64) -> String {
    if v.is_finite() && v != 0.0 && !(1e-6..1e15).contains(&v.abs()) {
        format!("{v:e}")
    } else {
        format!("{v}")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_close_name_is_suggested_and_a_far_one_is_not() {
        let known = ["use1-az1", "use1-az2", "eu-west-1"];
        assert_eq!(super::closest("use1-az3", known), Some("use1-az1"));
        assert_eq!(super::did_you_mean("eu-wst-1", known), "; did you mean 'eu-west-1'?");
        assert_eq!(super::closest("lba", ["lab", "lab-a"]), Some("lab"), "a swap of neighbours is one edit");
        assert_eq!(super::closest("mars", known), None);
        assert_eq!(super::did_you_mean("use1-az1", ["use1-az1"]), "", "an exact match is not a suggestion");
    }

    #[test]
    fn huge_and_tiny_numbers_are_written_in_scientific_notation() {
        assert_eq!(super::number(1e308), "1e308");
        assert_eq!(super::number(2.5e-9), "2.5e-9");
        assert_eq!(super::number(0.096), "0.096");
        assert_eq!(super::number(-1.0), "-1");
        assert_eq!(super::number(f64::INFINITY), "inf");
    }
}
