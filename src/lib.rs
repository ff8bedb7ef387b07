//! regionsim: a discrete-event Monte Carlo simulator for multi-region cloud architectures.

pub mod distribution;
pub mod issue;
pub mod ron_path;
pub mod time;
