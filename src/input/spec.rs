//! What the user writes: types that mirror the RON files exactly (names as strings, optional fields as
//! `Option`). The model stage (`model`) resolves them into the indexed form the engine runs on.
//!
//! Files are parsed with RON's `implicit_some` extension, so an optional field is written as its value
//! (`max_queue: 100`), not `Some(100)`.

pub mod autoscaling;
pub mod breaker;
pub mod cdn;
pub mod dependency;
pub mod distribution;
pub mod failover;
pub mod model;
pub mod outlier;
pub mod residency;
pub mod retry;
pub mod scenario;

pub use model::ModelSpec;
pub use scenario::ScenarioSpec;
