//! The terminal renderer: the meta lines, each section's tables as aligned text (a table wider than
//! the terminal becomes one block per row), and the warnings. Charts and inputs are in the files.

use std::fmt::Write;

use crate::present::document::{Block, Document, Renderer};

/// Renders a [`Document`] for a terminal `width` columns wide.
pub struct Text {
    /// Terminal width, in columns.
    pub width: usize,
}

impl Text {
    /// The width of the terminal from `COLUMNS` (what shells export), else 100 columns.
    pub fn for_terminal() -> Text {
        let width =
            std::env::var("COLUMNS").ok().and_then(|c| c.parse().ok()).filter(|w| *w >= 40).unwrap_or(100);
        Text { width }
    }
}

impl Renderer for Text {
    fn render(&self, doc: &Document) -> String {
        let mut out = String::new();
        for line in &doc.meta {
            let _ = writeln!(out, "{line}");
        }
        for s in doc.sections.iter().filter(|s| !s.is_empty()) {
            for b in &s.blocks {
                out.push('\n');
                match b {
                    Block::Table { title, table } => {
                        let _ = writeln!(out, "{}", title.as_deref().unwrap_or(&s.title));
                        out.push_str(&table.text_fit(self.width));
                    }
                    Block::Text(t) | Block::Note(t) => {
                        let _ = writeln!(out, "{t}");
                    }
                }
            }
        }
        if !doc.warnings.is_empty() {
            out.push_str("\nWarnings\n");
            for w in &doc.warnings {
                let _ = writeln!(out, "- {w}");
            }
        }
        out
    }
}
