//! The Markdown renderer (`summary.md`, `compare.md`, `sweep.md`): the title, the meta lines, each
//! section's tables, the warnings, links to the charts, and the command that reproduces it.

use std::fmt::Write;

use crate::present::document::{Block, Document, Renderer};

/// Renders a [`Document`] as Markdown.
pub struct Markdown;

/// Text safe in a Markdown paragraph or list item: no line break inside.
fn inline(s: &str) -> String {
    s.replace(['\n', '\r'], " ")
}

impl Renderer for Markdown {
    fn render(&self, doc: &Document) -> String {
        let mut out = format!("# {}\n\n", inline(&doc.title));
        for line in &doc.meta {
            let _ = writeln!(out, "{}  ", inline(line));
        }
        for s in doc.sections.iter().filter(|s| !s.is_empty()) {
            let _ = write!(out, "\n## {}\n", inline(&s.title));
            for b in &s.blocks {
                out.push('\n');
                match b {
                    Block::Table { title, table } => {
                        if let Some(t) = title {
                            let _ = write!(out, "### {}\n\n", inline(t));
                        }
                        out.push_str(&table.markdown());
                    }
                    Block::Text(t) => {
                        let _ = writeln!(out, "{}", inline(t));
                    }
                    Block::Note(t) => {
                        let _ = writeln!(out, "*{}*", inline(t));
                    }
                }
            }
        }
        if !doc.warnings.is_empty() {
            out.push_str("\n## Warnings\n\n");
            for w in &doc.warnings {
                let _ = writeln!(out, "- {}", inline(w));
            }
        }
        if !doc.charts.is_empty() {
            out.push_str("\n## Charts\n\n");
            for c in &doc.charts {
                let _ = writeln!(out, "- [{}]({}.svg)", inline(&c.title).replace(['[', ']'], ""), c.path);
            }
        }
        if !doc.reproduce.is_empty() {
            let _ = write!(out, "\nReproduce with:\n\n```sh\n{}\n```\n", doc.reproduce_line());
        }
        out
    }
}
