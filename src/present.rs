//! Stage 5, presentation: one document type rendered as terminal text, Markdown and HTML, the tables
//! and charts it shows, CSV files, and the bundle writer that replaces an output folder as one unit.
//! Everything here only reads the results model.

pub mod bundle;
pub mod chart;
pub mod compare;
pub mod csv;
pub mod document;
pub mod explain;
pub mod partial;
pub mod render;
pub mod run;
pub mod story;
pub mod sweep;
pub mod table;
pub mod trace;
