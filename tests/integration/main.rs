//! Integration tests: one binary, one module per theme.

mod browser;
mod report_outputs;
mod support;
