//! Stage 2, the resolved architecture and scenario: names replaced by indices, defaults applied, units
//! normalised, samplers built; and the study loader that turns files into them.

pub mod architecture;
pub mod autoscaling;
pub mod breaker;
pub mod cdn;
pub mod dependency;
pub mod distribution;
pub mod failover;
pub mod fidelity;
pub mod ids;
pub mod keyspace;
pub mod network;
pub mod objective;
pub mod outlier;
pub mod placement;
pub mod prices;
pub mod queueing;
pub mod region;
pub mod residency;
pub mod retry;
pub mod routing;
pub mod scenario;
pub mod store;
pub mod study;
pub mod time;

pub use architecture::*;
