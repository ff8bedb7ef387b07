//! Stage 4, analysis: estimators, the results model built from the replications' observations, metrics,
//! objectives, cost, and the comparison and sweep of several studies.

pub mod closeup;
pub mod compare;
pub mod cost;
pub mod explain;
pub mod metric;
pub mod objective;
pub mod report;
pub mod reprice;
pub mod stats;
pub mod story;
pub mod sweep;
pub mod trace;
pub mod unit;
pub mod verdict;
