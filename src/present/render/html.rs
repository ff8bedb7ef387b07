//! The HTML renderer: one self-contained page (inline CSS and SVG, no script, no external request) with
//! the sections, the warnings, the charts and the exact inputs, so it can be mailed or opened offline.
//! Wide tables scroll inside their own box; long secondary sections fold.

use std::fmt::Write;

use crate::present::document::{Block, Document, Renderer};
use crate::present::table::{Table, is_prose};

/// The house style of every page.
pub const CSS: &str = "
:root { --fg: #1a1a1a; --muted: #555; --line: #d0d0d0; --accent: #0072b2; --warn: #d55e00; }
* { box-sizing: border-box; }
body { margin: 0; color: var(--fg); background: #fff;
  font: 16px/1.5 system-ui, -apple-system, 'Segoe UI', 'DejaVu Sans', sans-serif; }
main { max-width: 1320px; margin: 0 auto; padding: 24px 32px 64px; }
h1 { font-size: 2rem; margin: 0 0 4px; }
h2 { font-size: 1.4rem; margin: 40px 0 12px; padding-bottom: 4px; border-bottom: 2px solid var(--accent); }
h3 { font-size: 1.1rem; margin: 24px 0 8px; }
p.meta { color: var(--muted); margin: 0 0 8px; }
nav a { margin-right: 16px; color: var(--accent); }
table { border-collapse: collapse; margin: 8px 0 16px; font-variant-numeric: tabular-nums; }
th, td { padding: 6px 12px; border-bottom: 1px solid var(--line); text-align: right; white-space: nowrap; }
/* Headings wrap, so a table with a prose column fits the page instead of hiding that column's end. */
th { white-space: normal; }
div.table-wrap { overflow-x: auto; max-width: 100%; }
p.note { color: var(--muted); }
th:first-child, td:first-child { text-align: left; }
td.prose { text-align: left; white-space: normal; min-width: 22em; }
th.text, td.text { text-align: left; }
thead th { background: #f3f6f9; border-bottom: 2px solid var(--line); }
ul.warnings li { color: var(--warn); margin-bottom: 4px; }
figure.chart { margin: 16px 0 32px; border: 1px solid var(--line); padding: 8px; }
figure.chart svg { display: block; width: 100%; height: auto; }
figcaption { color: var(--muted); padding: 4px 8px 0; }
details { margin: 8px 0; border: 1px solid var(--line); padding: 6px 10px; }
summary { cursor: pointer; font-weight: 600; }
details.section { border: none; padding: 0; }
details.section > summary { list-style-position: outside; }
details.section > summary h2 { display: inline-block; width: calc(100% - 24px); }
pre { overflow-x: auto; font: 13px/1.4 ui-monospace, 'DejaVu Sans Mono', monospace; }
footer { margin-top: 48px; color: var(--muted); font-size: 0.9rem; }
@media print { figure.chart { break-inside: avoid; } details { display: block; } }
";

/// Escapes text for HTML content and double-quoted attributes.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Renders a [`Document`] as a page.
pub struct Html;

impl Renderer for Html {
    fn render(&self, doc: &Document) -> String {
        let mut out =
            String::with_capacity(64 * 1024 + doc.charts.iter().map(|c| c.svg.len()).sum::<usize>());
        let _ = write!(
            out,
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <meta name=\"generator\" content=\"regionsim {}\">\n<title>{}</title>\n<style>{CSS}</style>\n</head>\n\
             <body>\n<main>\n<h1 id=\"title\">{}</h1>\n",
            escape(&doc.version),
            escape(&doc.title),
            escape(&doc.title)
        );
        for line in &doc.meta {
            let _ = writeln!(out, "<p class=\"meta\">{}</p>", escape(line));
        }
        out.push_str("<nav>");
        for s in doc.sections.iter().filter(|s| !s.is_empty()) {
            let _ = write!(out, "<a href=\"#{}\">{}</a>", escape(&s.id), escape(&s.title));
        }
        out.push_str("<a href=\"#warnings\">Warnings</a><a href=\"#charts\">Charts</a><a href=\"#inputs\">Inputs</a></nav>\n");
        for s in doc.sections.iter().filter(|s| !s.is_empty()) {
            let _ = writeln!(out, "<section id=\"{}\">", escape(&s.id));
            // Every section folds (no script: `<details>`); the main ones start open.
            let open = if s.folded { "" } else { " open" };
            let _ = writeln!(
                out,
                "<details class=\"section\"{open}>\n<summary><h2>{}</h2></summary>",
                escape(&s.title)
            );
            for b in &s.blocks {
                match b {
                    Block::Table { title, table } => {
                        if let Some(t) = title {
                            let _ = writeln!(out, "<h3>{}</h3>", escape(t));
                        }
                        table_html(table, &mut out);
                    }
                    Block::Text(t) => {
                        let _ = writeln!(out, "<p>{}</p>", escape(t));
                    }
                    Block::Note(t) => {
                        let _ = writeln!(out, "<p class=\"note\">{}</p>", escape(t));
                    }
                }
            }
            out.push_str("</details>\n</section>\n");
        }
        let _ = writeln!(out, "<section id=\"warnings\">\n<h2>Warnings ({})</h2>", doc.warnings.len());
        if doc.warnings.is_empty() {
            out.push_str("<p>None.</p>\n");
        } else {
            out.push_str("<ul class=\"warnings\">\n");
            for w in &doc.warnings {
                let _ = writeln!(out, "<li>{}</li>", escape(w));
            }
            out.push_str("</ul>\n");
        }
        out.push_str("</section>\n<section id=\"charts\">\n<h2>Charts</h2>\n");
        if doc.charts.is_empty() {
            out.push_str("<p>No chart: there is no data to draw.</p>\n");
        }
        // Charts in a subfolder (`charts/designs/`, `charts/differences/`) fold by subfolder, in the order
        // the subfolders first appear: the first open, the others closed, so a comparison of many metrics
        // is not a page of 20,000 px. Charts at the top of `charts/` are shown as they come.
        let mut groups: Vec<Option<&str>> = Vec::new();
        for c in &doc.charts {
            let g = chart_group(&c.path);
            if !groups.contains(&g) {
                groups.push(g);
            }
        }
        let mut first = true;
        for g in groups {
            let members: Vec<&crate::present::document::Figure> =
                doc.charts.iter().filter(|c| chart_group(&c.path) == g).collect();
            if let Some(name) = g {
                let open = if first { " open" } else { "" };
                first = false;
                let _ = writeln!(
                    out,
                    "<details class=\"charts\"{open}>\n<summary>charts/{} ({})</summary>",
                    escape(name),
                    members.len()
                );
            }
            for c in members {
                let id = c.path.trim_start_matches("charts/").replace('/', "-");
                let _ = writeln!(out, "<figure class=\"chart\" id=\"chart-{}\">", escape(&id));
                out.push_str(c.svg.trim());
                let _ = writeln!(
                    out,
                    "\n<figcaption>{} (also <code>{}.svg</code> and <code>.png</code>)</figcaption>\n</figure>",
                    escape(&c.title),
                    escape(&c.path)
                );
            }
            if g.is_some() {
                out.push_str("</details>\n");
            }
        }
        out.push_str("</section>\n<section id=\"inputs\">\n<h2>Inputs</h2>\n");
        if !doc.inputs.rows.is_empty() {
            out.push_str("<div class=\"table-wrap\"><table>\n<tbody>\n");
            for (k, v) in &doc.inputs.rows {
                let _ = writeln!(out, "<tr><td>{}</td><td>{}</td></tr>", escape(k), escape(v));
            }
            out.push_str("</tbody>\n</table></div>\n");
        }
        for (summary, text) in &doc.inputs.blocks {
            let _ = writeln!(
                out,
                "<details><summary>{}</summary><pre>{}</pre></details>",
                escape(summary),
                escape(text)
            );
        }
        out.push_str("</section>\n");
        let _ = write!(
            out,
            "<footer>regionsim {} · reproduce with <code>{}</code></footer>\n</main>\n</body>\n</html>\n",
            escape(&doc.version),
            escape(&doc.reproduce_line())
        );
        out
    }
}

/// The subfolder of a chart's path (`designs` of `charts/designs/availability`), if any.
fn chart_group(path: &str) -> Option<&str> {
    path.trim_start_matches("charts/").rsplit_once('/').map(|(dir, _)| dir)
}

/// A table in its scrolling box.
fn table_html(t: &Table, out: &mut String) {
    out.push_str("<div class=\"table-wrap\"><table>\n<thead><tr>");
    // A column of sentences reads left-aligned throughout, its short cells and heading too.
    let text: Vec<bool> = (0..t.header.len()).map(|c| c > 0 && t.left_aligned(c)).collect();
    for (h, &left) in t.header.iter().zip(&text) {
        if left {
            let _ = write!(out, "<th class=\"text\">{}</th>", escape(h));
        } else {
            let _ = write!(out, "<th>{}</th>", escape(h));
        }
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for r in &t.rows {
        out.push_str("<tr>");
        for (k, c) in r.iter().enumerate() {
            if is_prose(c) {
                let _ = write!(out, "<td class=\"prose\">{}</td>", escape(c));
            } else if text.get(k).copied().unwrap_or(false) {
                let _ = write!(out, "<td class=\"text\">{}</td>", escape(c));
            } else {
                let _ = write!(out, "<td>{}</td>", escape(c));
            }
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table></div>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::present::document::Section;

    #[test]
    fn a_reason_in_a_table_wraps_left_aligned_and_figures_do_not() {
        let t = Table {
            header: vec!["fault domain".into(), "lost".into(), "reason".into()],
            rows: vec![vec![
                "zone use1-az1".into(),
                "100%".into(),
                "orders@us-east-1 (single-AZ in use1-az1) is down: stops 100% of requests".into(),
            ]],
        };
        let mut out = String::new();
        table_html(&t, &mut out);
        assert!(out.contains("<td>100%</td>"), "{out}");
        assert!(out.contains("<td class=\"prose\">orders@us-east-1"), "{out}");
        assert!(!out.contains("<td class=\"prose\">zone use1-az1"), "{out}");
        assert!(out.contains("<th class=\"text\">reason</th>") && out.contains("<th>lost</th>"), "{out}");
    }

    #[test]
    fn wide_tables_scroll_and_sections_fold_without_script() {
        let mut wide = Table::new(&["design", "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k"]);
        wide.row((0..12).map(|i| format!("value number {i} of a wide row")).collect());
        let mut doc = Document::default();
        doc.section("summary", "Summary").table(None, wide);
        doc.section("differences", "Differences").text("long").folded = true;
        doc.charts = ["charts/designs/a", "charts/differences/a", "charts/designs/b"]
            .iter()
            .map(|p| crate::present::document::Figure {
                path: p.to_string(),
                title: p.to_string(),
                svg: "<svg></svg>".into(),
            })
            .collect();
        let page = Html.render(&doc);
        // The table scrolls inside its box, which the CSS makes scroll sideways.
        assert!(
            page.contains("<div class=\"table-wrap\"><table>")
                && CSS.contains("div.table-wrap { overflow-x: auto;")
        );
        assert!(page.contains("<details class=\"section\" open>\n<summary><h2>Summary</h2>"), "summary open");
        assert!(
            page.contains("<details class=\"section\">\n<summary><h2>Differences</h2>"),
            "secondary folded"
        );
        assert!(page.contains("<details class=\"charts\" open>\n<summary>charts/designs (2)</summary>"));
        assert!(page.contains("<details class=\"charts\">\n<summary>charts/differences (1)</summary>"));
        assert_eq!(page.matches("<details").count(), page.matches("</details>").count());
        assert!(!page.contains("<script"));
    }

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(escape("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
    }

    #[test]
    fn a_page_holds_every_part_escaped() {
        let mut t = Table::new(&["name", "value"]);
        t.row(vec!["<b>".into(), "1".into()]);
        let doc = Document {
            title: "T & U".into(),
            meta: vec!["m".into()],
            sections: vec![Section {
                id: "summary".into(),
                title: "Summary".into(),
                blocks: vec![Block::Table { title: None, table: t }],
                folded: true,
            }],
            warnings: vec!["careful".into()],
            reproduce: vec!["regionsim".into(), "run".into(), "a b.ron".into()],
            version: "0.1.0".into(),
            ..Document::default()
        };
        let page = Html.render(&doc);
        for needle in [
            "<title>T &amp; U</title>",
            "&lt;b&gt;",
            "<details class=\"section\">\n<summary><h2>Summary</h2>",
            "<div class=\"table-wrap\"><table>",
            "Warnings (1)",
            "regionsim run &#39;a b.ron&#39;",
        ] {
            assert!(page.contains(needle), "{needle} missing");
        }
    }
}
