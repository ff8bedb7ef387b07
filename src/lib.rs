//! regionsim: a discrete-event Monte Carlo simulator for multi-region cloud architectures.

pub mod analysis;
pub mod cli;
pub mod input;
pub mod model;
pub mod present;
pub mod sim;
