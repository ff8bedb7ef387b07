//! Integration tests, one module per theme. Statistical tests use fixed seeds and compare against
//! closed forms with tolerances derived from the reported confidence intervals.

mod analytic;
mod availability;
mod cli;
mod common;
mod determinism;
mod streams;
mod validation;
