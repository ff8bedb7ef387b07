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
    fn huge_and_tiny_numbers_are_written_in_scientific_notation() {
        assert_eq!(super::number(1e308), "1e308");
        assert_eq!(super::number(2.5e-9), "2.5e-9");
        assert_eq!(super::number(0.096), "0.096");
        assert_eq!(super::number(-1.0), "-1");
        assert_eq!(super::number(f64::INFINITY), "inf");
    }
}
