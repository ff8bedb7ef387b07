//! What can be wrong with a study's input: one located problem ([`InputError`]) and every problem
//! found ([`InputErrors`]).

use std::fmt;

use thiserror::Error;

/// One problem with the input, located as precisely as we can.
#[derive(Debug, Clone, PartialEq, Error)]
pub enum InputError {
    /// The file cannot be used at all (missing, a directory, unreadable, empty).
    #[error("{file}: {message}")]
    File {
        /// The file, as named on the command line.
        file: String,
        /// What is wrong with it.
        message: String,
    },
    /// A problem at a known place in a file: a syntax or type error, or a rule a value breaks.
    #[error("{file}:{line}:{col}: {}{message}", field_prefix(.field))]
    At {
        /// The file, as named on the command line.
        file: String,
        /// Line of the problem, from 1.
        line: usize,
        /// Column of the problem, from 1.
        col: usize,
        /// The field path, when known (`services[api].concurrency`).
        field: Option<String>,
        /// What is wrong.
        message: String,
    },
    /// A rule broken at a field whose place in the file could not be found.
    #[error("{file}: {field}: {message}")]
    Field {
        /// The file, as named on the command line.
        file: String,
        /// The field path (`services[api].concurrency`).
        field: String,
        /// What is wrong.
        message: String,
    },
    /// A command-line flag whose value is not valid (`--replications 0`).
    #[error("{flag}: {message}")]
    Flag {
        /// The flag and its value, as typed.
        flag: String,
        /// What is wrong with it.
        message: String,
    },
    /// Advice about the other problems (two files given in the wrong order); not a problem itself.
    #[error("hint: {message}")]
    Hint {
        /// The advice.
        message: String,
    },
    /// A `--set` that does not apply, or whose value is not valid there.
    #[error("--set {set}: {message}")]
    Override {
        /// The `PATH=VALUE` as typed (all of one file's, space-separated, when the culprit is unknown).
        set: String,
        /// What is wrong with it.
        message: String,
    },
}

fn field_prefix(field: &Option<String>) -> String {
    field.as_ref().map(|f| format!("{f}: ")).unwrap_or_default()
}

/// Every problem found; displayed one per line.
#[derive(Debug, Clone, PartialEq, Error)]
pub struct InputErrors(pub Vec<InputError>);

impl fmt::Display for InputErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}
