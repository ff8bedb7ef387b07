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
    pub fn push(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.0.push(Issue { path: path.into(), message: message.into() });
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }
}
