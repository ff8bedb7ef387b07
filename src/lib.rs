//! regionsim: a discrete-event Monte Carlo simulator for multi-region cloud architectures.

pub mod chart;
pub mod cli;
pub mod compare;
pub mod cost;
pub mod distribution;
pub mod engine;
pub mod export;
pub mod issue;
pub mod metric;
pub mod model;
pub mod montecarlo;
pub mod network;
pub mod objective;
pub mod observation;
pub mod output;
pub mod report;
pub mod ron_path;
pub mod routing;
pub mod scenario;
pub mod spec;
pub mod stats;
pub mod store;
pub mod streams;
pub mod study;
pub mod sweep;
pub mod time;
