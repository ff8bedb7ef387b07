//! Tables and the formatting of their cells: a grid of strings with a header row, rendered as aligned
//! text (fitted to a terminal's width) or Markdown; percentages, milliseconds, counts and nines as
//! every summary shows them.

use std::fmt::Write;

use crate::analysis::stats::Estimate;

/// Whether a cell holds a sentence (a reason, an advice, what happened) rather than a value: such a
/// cell wraps and reads left-aligned.
pub fn is_prose(cell: &str) -> bool {
    cell.chars().count() > 40 && cell.split_whitespace().count() > 4
}

/// Whether a cell reads as a value (it starts with a digit, a sign, a currency, an interval's bracket or
/// a comparison) rather than a word.
fn is_value(cell: &str) -> bool {
    cell.chars().next().is_some_and(|ch| ch.is_ascii_digit() || "+-−$€£[(±.<>≤≥≈~×".contains(ch))
}

/// A grid of cells with a header row, rendered as aligned text or Markdown.
#[derive(Debug, Clone, Default)]
pub struct Table {
    /// The column headings.
    pub header: Vec<String>,
    /// The rows, each a cell per column.
    pub rows: Vec<Vec<String>>,
}

impl Table {
    /// An empty table with these column headings.
    pub fn new(header: &[&str]) -> Table {
        Table { header: header.iter().map(|s| s.to_string()).collect(), rows: Vec::new() }
    }

    /// Adds a row, a cell per column.
    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// The width of [`Table::text`]'s widest line.
    pub fn text_width(&self) -> usize {
        self.text().lines().map(|l| l.chars().count()).max().unwrap_or(0)
    }

    /// Aligned text when it fits in `width` columns; otherwise one block per row, each cell on its own
    /// line under the row's first cell (a terminal of 100 columns cannot show 263).
    pub fn text_fit(&self, width: usize) -> String {
        if self.text_width() <= width {
            return self.text();
        }
        let mut out = String::new();
        let label = self.header.iter().skip(1).map(|h| h.chars().count()).max().unwrap_or(0);
        for r in &self.rows {
            let _ =
                writeln!(out, "{}: {}", self.header.first().map_or("", |s| s), r.first().map_or("", |s| s));
            for (h, c) in self.header.iter().zip(r).skip(1) {
                if !c.is_empty() {
                    let _ = writeln!(out, "  {h:<label$}  {c}");
                }
            }
        }
        out
    }

    /// Whether column `c` reads left-aligned: the first (names), any holding a sentence, and any whose
    /// cells are mostly words (a class, a kind, a verdict) rather than values. Values (numbers,
    /// percentages, dollars, signed differences, intervals) align right, so their digits line up; a
    /// `-` (no value) counts for neither.
    pub fn left_aligned(&self, c: usize) -> bool {
        if c == 0 {
            return true;
        }
        let cells = || {
            self.rows.iter().filter_map(|r| r.get(c)).map(|s| s.trim()).filter(|s| !s.is_empty() && *s != "-")
        };
        if cells().any(is_prose) {
            return true;
        }
        let (values, words) =
            cells().fold((0, 0), |(v, w), s| if is_value(s) { (v + 1, w) } else { (v, w + 1) });
        words > values
    }

    /// Aligned text: the first column and sentences left-aligned, the others (numbers) right-aligned.
    pub fn text(&self) -> String {
        let widths: Vec<usize> = (0..self.header.len())
            .map(|c| {
                std::iter::once(&self.header)
                    .chain(&self.rows)
                    .map(|r| r.get(c).map_or(0, |s| s.chars().count()))
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        let mut out = String::new();
        let line = |cells: &Vec<String>, out: &mut String| {
            let mut s = String::new();
            for (c, w) in widths.iter().enumerate() {
                let cell = cells.get(c).map_or("", |s| s.as_str());
                if c == 0 {
                    let _ = write!(s, "{cell:<w$}");
                } else if self.left_aligned(c) {
                    let _ = write!(s, "  {cell:<w$}");
                } else {
                    let _ = write!(s, "  {cell:>w$}");
                }
            }
            out.push_str(s.trim_end());
            out.push('\n');
        };
        line(&self.header, &mut out);
        line(&widths.iter().map(|w| "-".repeat(*w)).collect(), &mut out);
        for r in &self.rows {
            line(r, &mut out);
        }
        out
    }

    /// The table as Markdown: `|` in a cell is escaped and a line break becomes `<br>`, so a name
    /// holding either cannot break the table.
    pub fn markdown(&self) -> String {
        let mut out = String::new();
        let esc = |s: &str| s.replace('|', "\\|").replace("\r\n", "<br>").replace(['\n', '\r'], "<br>");
        let _ = writeln!(out, "| {} |", self.header.iter().map(|s| esc(s)).collect::<Vec<_>>().join(" | "));
        let _ = writeln!(
            out,
            "|{}|",
            (0..self.header.len())
                .map(|c| if self.left_aligned(c) { " --- " } else { " ---: " })
                .collect::<Vec<_>>()
                .join("|")
        );
        for r in &self.rows {
            let _ = writeln!(out, "| {} |", r.iter().map(|s| esc(s)).collect::<Vec<_>>().join(" | "));
        }
        out
    }
}

/// A fraction as a percentage with four decimals (`0.99995` as `99.9950%`); `-` when not finite.
pub fn percent(v: f64) -> String {
    if !v.is_finite() {
        return "-".into();
    }
    // Enough digits to tell four nines from five.
    format!("{:.4}%", v * 100.0)
}

/// An availability as its number of nines, `-log10(1 - a)` with two decimals (`0.999` as `3.00`);
/// `no failure seen` at 1, `-` when not finite.
pub fn nines(a: f64) -> String {
    if !a.is_finite() {
        return "-".into();
    }
    if a >= 1.0 {
        return "no failure seen".into();
    }
    format!("{:.2}", -(1.0 - a).log10())
}

/// A latency \[ms\]: one decimal from 100 ms, three below; `-` when there is none.
pub fn ms(v: Option<f64>) -> String {
    match v {
        None => "-".into(),
        Some(v) if v >= 100.0 => format!("{v:.1}"),
        Some(v) => format!("{v:.3}"),
    }
}

/// `1234567` as `1,234,567`.
pub fn count(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, ch) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

/// A number for tables: no decimals from 100 on, three below; `-` when not finite.
pub fn num(v: f64) -> String {
    if !v.is_finite() {
        "-".into()
    } else if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.3}")
    }
}

/// `[lo, hi]` of an estimate, or empty when it has no interval.
pub fn ci_num(e: &Estimate) -> String {
    if !e.has_ci() { String::new() } else { format!("[{}, {}]", num(e.ci95[0]), num(e.ci95[1])) }
}

/// `[lo%, hi%]` of a fraction's estimate, or empty when it has no interval.
pub fn ci_percent(e: &Estimate) -> String {
    if !e.has_ci() {
        return String::new();
    }
    format!("[{:.4}%, {:.4}%]", e.ci95[0] * 100.0, e.ci95[1] * 100.0)
}

/// `[lo, hi]` in milliseconds, or empty.
pub fn ci_ms(ci: Option<[f64; 2]>) -> String {
    ci.map_or(String::new(), |[lo, hi]| format!("[{}, {}]", ms(Some(lo)), ms(Some(hi))))
}

/// `n` followed by `word`, plural when n is not 1: `1 replication`, `3 replications`.
pub fn plural(n: u64, word: &str) -> String {
    if n == 1 { format!("1 {word}") } else { format!("{} {word}s", count(n)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_read_left_and_values_right() {
        let mut t = Table::new(&["domain", "class", "loss", "nines", "cost"]);
        t.row(vec!["a".into(), "cascading".into(), "17.21%".into(), "3.00".into(), "$1,200".into()]);
        t.row(vec!["b".into(), "redundant".into(), "-".into(), "no failure seen".into(), "-".into()]);
        t.row(vec!["c".into(), "ignorable".into(), "+0.5 ms".into(), "4.10".into(), "-".into()]);
        let aligned: Vec<bool> = (0..5).map(|c| t.left_aligned(c)).collect();
        assert_eq!(aligned, [true, true, false, false, false], "names and classes left, values right");
        let md = t.markdown();
        assert!(md.contains("| --- | --- | ---: | ---: | ---: |"), "{md}");
        let text = t.text();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[2].find("cascading"),
            lines[0].find("class"),
            "a word starts under its heading: {text}"
        );
        assert_eq!(lines[2].find("17.21%").map(|i| i + 6), lines[0].find("loss").map(|i| i + 4), "{text}");
    }

    #[test]
    fn markdown_cells_cannot_break_the_table() {
        let mut t = Table::new(&["name", "value"]);
        t.row(vec!["a|b".into(), "line\nbreak".into()]);
        let md = t.markdown();
        assert!(md.contains("a\\|b") && md.contains("line<br>break"), "{md}");
        assert_eq!(md.lines().count(), 3, "{md}");
    }

    #[test]
    fn a_table_too_wide_for_the_terminal_becomes_blocks() {
        let mut t = Table::new(&["design", "availability", "cost"]);
        t.row(vec!["one".into(), "99.0000%".into(), "1200.0".into()]);
        assert_eq!(t.text_fit(200), t.text());
        let narrow = t.text_fit(10);
        assert!(
            narrow.starts_with("design: one\n") && narrow.contains("  availability  99.0000%"),
            "{narrow}"
        );
        assert_eq!(plural(1, "replication"), "1 replication");
        assert_eq!(plural(1200, "replication"), "1,200 replications");
    }
}
