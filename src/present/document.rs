//! One document type for every summary regionsim shows (a run, a comparison, a sweep): a title, meta
//! lines, sections of tables and text, warnings, charts, the inputs, and the command that reproduces
//! it. Renderers turn it into terminal text, Markdown or a self-contained HTML page; each verb builds a
//! document once and every output is rendered from it (as hyperfine's exporters read one results
//! struct).

use crate::present::table::Table;

/// A summary, ready to be rendered.
#[derive(Debug, Clone, Default)]
pub struct Document {
    /// The heading, e.g. `regionsim: sweep of MODEL on SCENARIO`.
    pub title: String,
    /// Lines under the title: what ran, how many requests had which outcome.
    pub meta: Vec<String>,
    /// The body, in order.
    pub sections: Vec<Section>,
    /// Soft problems, each with advice.
    pub warnings: Vec<String>,
    /// The charts written beside the document.
    pub charts: Vec<Figure>,
    /// What was simulated.
    pub inputs: Inputs,
    /// The command that reproduces this document, as arguments (quoted for the shell when shown).
    pub reproduce: Vec<String>,
    /// The regionsim that made it.
    pub version: String,
}

/// A titled part of a document.
#[derive(Debug, Clone, Default)]
pub struct Section {
    /// Stable anchor (`summary`, `per-population`).
    pub id: String,
    /// The section's heading.
    pub title: String,
    /// What it holds, in order.
    pub blocks: Vec<Block>,
    /// Shown folded (HTML) because it is long and secondary.
    pub folded: bool,
}

/// What a section holds.
#[derive(Debug, Clone)]
pub enum Block {
    /// A table, with its own heading when a section holds several.
    Table {
        /// Its heading, if any.
        title: Option<String>,
        /// The table.
        table: Table,
    },
    /// A paragraph.
    Text(String),
    /// A paragraph of secondary information (shown muted).
    Note(String),
}

/// A chart: its files (`charts/latency_cdf` for `.svg` and `.png`), its title, its SVG for inlining.
#[derive(Debug, Clone)]
pub struct Figure {
    /// Path of the chart's files relative to the output folder, without extension.
    pub path: String,
    /// The chart's title.
    pub title: String,
    /// The chart as SVG text, for inlining in HTML.
    pub svg: String,
}

/// What was simulated: key facts as rows, and the full inputs as JSON blocks.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// Key facts as `(label, value)` rows.
    pub rows: Vec<(String, String)>,
    /// `(summary, JSON text)` of each input file as simulated.
    pub blocks: Vec<(String, String)>,
}

impl Document {
    /// The reproduce command as one line a shell reads back as the same arguments.
    pub fn reproduce_line(&self) -> String {
        shlex::try_join(self.reproduce.iter().map(String::as_str))
            .unwrap_or_else(|_| self.reproduce.join(" "))
    }

    /// The section with id `id`, created at the end if missing.
    pub fn section(&mut self, id: &str, title: &str) -> &mut Section {
        if let Some(i) = self.sections.iter().position(|s| s.id == id) {
            return &mut self.sections[i];
        }
        self.sections.push(Section { id: id.into(), title: title.into(), ..Section::default() });
        self.sections.last_mut().expect("just pushed")
    }
}

impl Section {
    /// Adds a table (skipped when it has no rows: an empty table says nothing).
    pub fn table(&mut self, title: Option<&str>, table: Table) -> &mut Section {
        if !table.rows.is_empty() {
            self.blocks.push(Block::Table { title: title.map(str::to_string), table });
        }
        self
    }

    /// Adds a paragraph.
    pub fn text(&mut self, text: impl Into<String>) -> &mut Section {
        self.blocks.push(Block::Text(text.into()));
        self
    }

    /// Adds a paragraph of secondary information (shown muted).
    pub fn note(&mut self, text: impl Into<String>) -> &mut Section {
        self.blocks.push(Block::Note(text.into()));
        self
    }

    /// Whether the section shows anything.
    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }
}

/// Turns a document into text of one format.
pub trait Renderer {
    /// The whole document in this renderer's format.
    fn render(&self, doc: &Document) -> String;
}
