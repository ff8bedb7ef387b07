//! Stage 3, the simulation: the discrete-event engine of one replication, its random streams, what it
//! observes, and the Monte Carlo over replications.

pub mod engine;
pub mod histogram;
pub mod montecarlo;
pub mod observation;
pub mod streams;
pub mod trace;
