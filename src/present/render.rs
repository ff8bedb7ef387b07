//! Renderers of a [`crate::present::document::Document`]: terminal text, Markdown, HTML.

pub mod html;
pub mod markdown;
pub mod text;
