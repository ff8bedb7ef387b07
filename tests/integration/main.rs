//! Integration tests: one binary, one module per theme. Statistical tests use fixed seeds and compare
//! against closed forms with tolerances derived from the reported confidence intervals.

mod analytic;
mod architecture;
mod availability;
mod browser;
mod cli;
mod common;
mod compare;
mod console;
mod determinism;
mod docs;
mod examples_work;
mod fidelity;
mod multiregion;
mod objectives;
mod properties;
mod report_outputs;
mod streams;
mod support;
mod sweep;
mod trust;
mod validation;
