//! Stage 1, the files as written: the shipped examples, the spec types that mirror the RON files, the paths into RON text
//! that `--set` and error locations use, and located problems.

pub mod examples;
pub mod issue;
pub mod ron_path;
pub mod spec;
