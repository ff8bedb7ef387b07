//! Integration tests: one binary, one module per theme. Statistical tests use fixed seeds and compare
//! against closed forms with tolerances derived from the reported confidence intervals.

mod analytic;
mod architecture;
mod autoscaling;
mod availability;
mod breakers;
mod browser;
mod cdn;
mod chart_marks;
mod cli;
mod common;
mod compare;
mod console;
mod dependencies;
mod determinism;
mod docs;
mod examples_work;
mod failover_trigger;
mod fault_domains;
mod fidelity;
mod multiregion;
mod objectives;
mod partial_failures;
mod properties;
mod report_outputs;
mod retries;
mod shards;
mod shedding;
mod streams;
mod support;
mod svg_marks;
mod sweep;
mod trace;
mod trust;
mod validation;
mod workshop;
