//! `report.html`: one self-contained page (inline CSS and SVG, no script, no external request) with the
//! summary tables, the warnings, the charts and the exact inputs, so it can be mailed or opened offline.

use std::fmt::Write;

use crate::chart::Rendered;
use crate::report::{self, Report, Table};

pub(crate) const CSS: &str = "
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
th, td { padding: 6px 14px; border-bottom: 1px solid var(--line); text-align: right; white-space: nowrap; }
th:first-child, td:first-child { text-align: left; }
thead th { background: #f3f6f9; border-bottom: 2px solid var(--line); }
ul.warnings li { color: var(--warn); margin-bottom: 4px; }
figure.chart { margin: 16px 0 32px; border: 1px solid var(--line); padding: 8px; }
figure.chart svg { display: block; width: 100%; height: auto; }
figcaption { color: var(--muted); padding: 4px 8px 0; }
details { margin: 8px 0; border: 1px solid var(--line); padding: 6px 10px; }
summary { cursor: pointer; font-weight: 600; }
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

/// The page title: also the `<h1>`, and what a browser tab shows.
pub fn title(report: &Report) -> String {
    format!("regionsim: {} × {}", report.inputs.model.name, report.inputs.scenario.name)
}

pub(crate) fn table_html(t: &Table, out: &mut String) {
    out.push_str("<table>\n<thead><tr>");
    for h in &t.header {
        let _ = write!(out, "<th>{}</th>", escape(h));
    }
    out.push_str("</tr></thead>\n<tbody>\n");
    for r in &t.rows {
        out.push_str("<tr>");
        for c in r {
            let _ = write!(out, "<td>{}</td>", escape(c));
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody>\n</table>\n");
}

pub(crate) fn json_details(summary: &str, value: &impl serde::Serialize, out: &mut String) {
    let text = serde_json::to_string_pretty(value).unwrap_or_else(|e| format!("(not shown: {e})"));
    let _ = writeln!(
        out,
        "<details><summary>{}</summary><pre>{}</pre></details>",
        escape(summary),
        escape(&text)
    );
}

/// The opening of a page in the report's style, up to and including the `<h1>`, the meta lines and
/// the navigation (`(anchor, text)` pairs); close it with [`page_end`].
pub(crate) fn page_start(title: &str, version: &str, meta: &[String], nav: &[(&str, &str)]) -> String {
    let mut out = String::with_capacity(64 * 1024);
    let _ = write!(
        out,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <meta name=\"generator\" content=\"regionsim {}\">\n<title>{}</title>\n<style>{CSS}</style>\n</head>\n\
         <body>\n<main>\n<h1 id=\"title\">{}</h1>\n",
        escape(version),
        escape(title),
        escape(title)
    );
    for line in meta {
        let _ = writeln!(out, "<p class=\"meta\">{}</p>", escape(line));
    }
    out.push_str("<nav>");
    for (anchor, text) in nav {
        let _ = write!(out, "<a href=\"#{}\">{}</a>", escape(anchor), escape(text));
    }
    out.push_str("</nav>\n");
    out
}

/// A chart inlined as SVG in a figure, its files named in the caption (`path` without extension).
pub(crate) fn figure(c: &Rendered, id: &str, path: &str, out: &mut String) {
    let _ = writeln!(out, "<figure class=\"chart\" id=\"chart-{}\">", escape(id));
    out.push_str(c.svg.trim());
    let _ = writeln!(
        out,
        "\n<figcaption>{} (also <code>{}.svg</code> and <code>.png</code>)</figcaption>\n</figure>",
        escape(&c.title),
        escape(path)
    );
}

/// The footer and the closing tags.
pub(crate) fn page_end(version: &str, reproduce: &str, out: &mut String) {
    let _ = write!(
        out,
        "<footer>regionsim {} · reproduce with <code>{}</code></footer>\n</main>\n</body>\n</html>\n",
        escape(version),
        escape(reproduce)
    );
}

/// The whole page. `charts` are the rendered charts, inlined as SVG in the order given.
pub fn report_html(report: &Report, charts: &[Rendered]) -> String {
    let title = title(report);
    let mut meta: Vec<String> = report::heading(report).lines().map(str::to_string).collect();
    let desc = &report.inputs.model.description;
    if !desc.is_empty() {
        meta.push(desc.clone());
    }
    let nav = [("summary", "Summary"), ("warnings", "Warnings"), ("charts", "Charts"), ("inputs", "Inputs")];
    let mut out = page_start(&title, &report.regionsim_version, &meta, &nav);
    out.reserve(charts.iter().map(|c| c.svg.len()).sum::<usize>());

    out.push_str("<section id=\"summary\">\n<h2>Summary</h2>\n");
    for (name, t) in report::tables(report) {
        if t.rows.is_empty() {
            continue;
        }
        let _ = writeln!(out, "<h3>{}</h3>", escape(&name));
        table_html(&t, &mut out);
    }
    out.push_str("</section>\n");

    warnings_section(&report.warnings, &mut out);

    out.push_str("<section id=\"charts\">\n<h2>Charts</h2>\n");
    if charts.is_empty() {
        out.push_str("<p>No chart: the run has no data to draw.</p>\n");
    }
    for c in charts {
        let _ = writeln!(out, "<figure class=\"chart\" id=\"chart-{}\">", escape(c.stem));
        out.push_str(c.svg.trim());
        let _ = writeln!(
            out,
            "\n<figcaption>{} (also <code>charts/{}.svg</code> and <code>.png</code>)</figcaption>\n</figure>",
            escape(&c.title),
            escape(c.stem)
        );
    }
    out.push_str("</section>\n");

    let inputs = &report.inputs;
    out.push_str("<section id=\"inputs\">\n<h2>Inputs</h2>\n<table>\n<tbody>\n");
    let mut row = |k: &str, v: &str| {
        let _ = writeln!(out, "<tr><td>{}</td><td>{}</td></tr>", escape(k), escape(v));
    };
    row("model file", &inputs.model_file);
    row("scenario file", &inputs.scenario_file);
    row(
        "overrides (--set)",
        &if inputs.overrides.is_empty() { "none".into() } else { inputs.overrides.join(" ") },
    );
    row("seed", &report.seed.to_string());
    row("replications", &report.replications.to_string());
    out.push_str("</tbody>\n</table>\n");
    json_details("Model, as simulated (after overrides)", &inputs.model, &mut out);
    json_details("Scenario, as simulated (after overrides)", &inputs.scenario, &mut out);
    out.push_str("</section>\n");

    let _ = write!(
        out,
        "<footer>regionsim {} · results schema version {} · reproduce with <code>regionsim run {} {} --seed {} \
         --replications {}{}</code></footer>\n</main>\n</body>\n</html>\n",
        escape(&report.regionsim_version),
        report.schema_version,
        escape(&inputs.model_file),
        escape(&inputs.scenario_file),
        report.seed,
        report.replications,
        inputs.overrides.iter().map(|o| format!(" --set {}", escape(o))).collect::<String>(),
    );
    out
}

/// The warnings section of a page (`run`, `compare`, `sweep`): a count and the list, or "None.".
pub(crate) fn warnings_section(warnings: &[String], out: &mut String) {
    let _ = writeln!(out, "<section id=\"warnings\">\n<h2>Warnings ({})</h2>", warnings.len());
    if warnings.is_empty() {
        out.push_str("<p>None.</p>\n");
    } else {
        out.push_str("<ul class=\"warnings\">\n");
        for w in warnings {
            let _ = writeln!(out, "<li>{}</li>", escape(w));
        }
        out.push_str("</ul>\n");
    }
    out.push_str("</section>\n");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(escape("<a href=\"x\">&'"), "&lt;a href=&quot;x&quot;&gt;&amp;&#39;");
    }
}
