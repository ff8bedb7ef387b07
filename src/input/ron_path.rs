//! Dotted paths into RON text (`services[api].instances`): find where a value is written, and splice a
//! new value in. `--set PATH=VALUE` and the line numbers of validation errors both rest on this.
//!
//! Built on a small structural parser of its own (`tree`) because ron's `Value` keeps no positions and
//! loses comments, struct names and formatting: splicing edits the text itself, so the file stays as written.

mod navigate;
mod tree;

use std::fmt;
use std::ops::Range;
use std::str::FromStr;

use navigate::Failure;
use tree::{Group, Kind};

/// One step of a path: a struct field (`.instances`) or a list element / map entry chosen by name
/// (`[api]`: the list element whose `name` is "api", or the map entry whose key is "api").
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    /// `.name`: the struct field `name`.
    Field(String),
    /// `[key]`: the list element whose `name` is `key`, or the map entry whose key is `key`.
    Key(String),
}

/// A parsed path such as `traffic.populations[eu].rate_per_s`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RonPath {
    /// The steps, from the top of the file.
    pub segments: Vec<Segment>,
}

/// Why a path could not be parsed, found or spliced; the message says what exists instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathError(pub String);

impl fmt::Display for PathError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for PathError {}

impl FromStr for RonPath {
    type Err = PathError;

    /// Parses `a.b[key].c`. A key runs to the matching `]` (brackets inside nest), so it may hold `-`, `.`
    /// or spaces; a field is a RON identifier (letters, digits, `_`).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let malformed = |at: usize, what: &str| {
            let column = s[..at].chars().count() + 1;
            PathError(format!("malformed path '{s}': {what} at character {column}"))
        };
        if s.is_empty() {
            return Err(PathError("empty path: expected something like services[api].instances".into()));
        }
        let mut segments = Vec::new();
        let mut at = 0;
        let mut need_field = !s.starts_with('[');
        while at < s.len() || need_field {
            if need_field {
                let len = s[at..].find(['.', '[']).unwrap_or(s.len() - at);
                let field = &s[at..at + len];
                if field.is_empty() {
                    return Err(malformed(at, "empty field name"));
                }
                if let Some((i, c)) = field.char_indices().find(|&(_, c)| !(c == '_' || c.is_alphanumeric()))
                {
                    return Err(malformed(at + i, &format!("'{c}' cannot be part of a field name")));
                }
                segments.push(Segment::Field(field.to_string()));
                at += len;
                need_field = false;
            } else if s[at..].starts_with('[') {
                let mut depth = 0;
                let close = s[at..].char_indices().find_map(|(i, c)| {
                    depth += i32::from(c == '[') - i32::from(c == ']');
                    (depth == 0).then_some(at + i)
                });
                let Some(close) = close else { return Err(malformed(at, "unclosed '['")) };
                if close == at + 1 {
                    return Err(malformed(at, "empty key '[]'"));
                }
                segments.push(Segment::Key(s[at + 1..close].to_string()));
                at = close + 1;
            } else if s[at..].starts_with('.') {
                at += 1;
                need_field = true;
            } else {
                return Err(malformed(at, "expected '.' or '[' after ']'"));
            }
        }
        Ok(RonPath { segments })
    }
}
/// Writes the path back in the syntax `from_str` reads, so parsed paths round-trip (a hand-built key with
/// unbalanced brackets cannot).
impl fmt::Display for RonPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, s) in self.segments.iter().enumerate() {
            match s {
                Segment::Field(name) if i == 0 => write!(f, "{name}")?,
                Segment::Field(name) => write!(f, ".{name}")?,
                Segment::Key(key) => write!(f, "[{key}]")?,
            }
        }
        Ok(())
    }
}

/// Where a (line, column) of spliced text came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// A position in the original text (1-based line and column).
    Source {
        /// Line, from 1.
        line: usize,
        /// Column, from 1.
        col: usize,
    },
    /// Inside the value spliced in by the override with this index.
    Override(usize),
}

/// RON text after overrides were spliced in, able to map positions back to the original.
#[derive(Debug, Clone)]
pub struct Spliced {
    /// The text with every override spliced in.
    pub text: String,
    /// The original text, for line and column numbers.
    source: String,
    /// Consecutive runs of `text`, each from the source or from one override.
    pieces: Vec<Piece>,
}

/// A run of `len` bytes of the spliced text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Piece {
    len: usize,
    from: Provenance,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Provenance {
    /// Copied from the source, starting at this byte offset.
    Source(usize),
    /// Written by the override with this index.
    Override(usize),
}

impl Piece {
    /// The first `n` bytes and the rest.
    fn split(self, n: usize) -> (Piece, Piece) {
        let rest = match self.from {
            Provenance::Source(offset) => Provenance::Source(offset + n),
            from => from,
        };
        (Piece { len: n, from: self.from }, Piece { len: self.len - n, from: rest })
    }
}

/// Splits runs at byte `n`: the runs before it and the runs after it.
fn split_pieces(pieces: Vec<Piece>, n: usize) -> (Vec<Piece>, Vec<Piece>) {
    let (mut before, mut after) = (Vec::new(), Vec::new());
    let mut pos = 0;
    for piece in pieces {
        if pos + piece.len <= n {
            before.push(piece);
        } else if pos >= n {
            after.push(piece);
        } else {
            let (head, tail) = piece.split(n - pos);
            before.push(head);
            after.push(tail);
        }
        pos += piece.len;
    }
    (before, after)
}

impl Spliced {
    fn unchanged(source: &str) -> Self {
        let pieces = vec![Piece { len: source.len(), from: Provenance::Source(0) }];
        Spliced { text: source.to_string(), source: source.to_string(), pieces }
    }

    /// Replaces `range` of the text by `new`, written by override `edit`.
    fn replace(&mut self, range: Range<usize>, new: &str, edit: usize) {
        let (before, rest) = split_pieces(std::mem::take(&mut self.pieces), range.start);
        let (_, after) = split_pieces(rest, range.end - range.start);
        self.pieces = before;
        self.pieces.push(Piece { len: new.len(), from: Provenance::Override(edit) });
        self.pieces.extend(after);
        self.pieces.retain(|p| p.len > 0);
        self.text.replace_range(range, new);
    }

    /// Maps a 1-based position in `self.text` back to where it came from. Columns count characters, as
    /// ron's error positions do. Text written by an override maps to that override, even where a later
    /// override replaced part of it (the later one wins where they overlap). Positions past the end of a
    /// line or of the text are clamped to it.
    pub fn origin(&self, line: usize, col: usize) -> Origin {
        let offset = byte_offset(&self.text, line, col);
        let mut pos = 0;
        for piece in &self.pieces {
            let end = pos + piece.len;
            if offset < end || end == self.text.len() {
                return match piece.from {
                    Provenance::Source(start) => {
                        let (line, col) = line_col(&self.source, start + (offset - pos).min(piece.len));
                        Origin::Source { line, col }
                    }
                    Provenance::Override(edit) => Origin::Override(edit),
                };
            }
            pos = end;
        }
        Origin::Source { line: 1, col: 1 }
    }
}

/// The byte offset of a 1-based (line, column-in-characters) position, clamped to the line and the text.
fn byte_offset(text: &str, line: usize, col: usize) -> usize {
    let mut start = 0;
    for _ in 1..line {
        match text[start..].find('\n') {
            Some(newline) => start += newline + 1,
            None => return text.len(),
        }
    }
    let line_text = &text[start..];
    let line_len = line_text.find('\n').unwrap_or(line_text.len());
    let within = line_text.char_indices().nth(col.saturating_sub(1)).map_or(line_text.len(), |(i, _)| i);
    start + within.min(line_len)
}

/// The 1-based line and column (in characters, as ron counts them) of a byte offset.
fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset).unwrap_or(text);
    let line = 1 + before.matches('\n').count();
    let col = 1 + before.chars().rev().take_while(|&c| c != '\n').count();
    (line, col)
}

/// Replaces (or, for a struct field or map key that is absent, inserts) the value at each path by the
/// given RON text, in order; each edit sees the text left by the previous ones.
///
/// - An absent last segment is inserted when its parent exists: `field: VALUE` before a struct's `)`, or
///   `"key": VALUE` before a map's `}`, after the last entry (on its own line, indented like the last
///   entry, when entries are one per line) and keeping a trailing comma if there was one.
/// - When the value replaced is a string literal, a new value that is not a string literal, `None` or a
///   bracketed value is quoted: `--set routing.primary=us-west-2` writes `"us-west-2"`.
/// - Every new value must be one valid RON value. With no edits the text is returned as is, unparsed.
///
/// Fails with a message naming the path and what exists there when a path does not resolve.
pub fn splice(source: &str, edits: &[(RonPath, String)]) -> Result<Spliced, PathError> {
    let mut spliced = Spliced::unchanged(source);
    for (edit, (path, value)) in edits.iter().enumerate() {
        let root = tree::parse_document(&spliced.text).map_err(|e| {
            let (line, col) = line_col(&spliced.text, e.offset);
            PathError(format!("cannot set {path}: the text does not parse at {line}:{col}: {}", e.message))
        })?;
        let walk = navigate::walk(&root, path, &spliced.text);
        let value = value.trim();
        let (range, new) = match walk.failure {
            None => {
                let was_string = matches!(walk.node.kind, Kind::Str(_));
                (walk.node.span.clone(), checked_value(path, value, was_string)?)
            }
            Some(Failure { slot: Some(group), .. }) if walk.depth + 1 == path.segments.len() => {
                let entry = match &path.segments[walk.depth] {
                    Segment::Field(field) => format!("{field}: {}", checked_value(path, value, false)?),
                    Segment::Key(key) => format!("{}: {}", quote(key), checked_value(path, value, false)?),
                };
                insertion(&spliced.text, group, &entry)
            }
            Some(failure) => return Err(PathError(failure.message)),
        };
        spliced.replace(range, &new, edit);
    }
    Ok(spliced)
}

/// The text to write for `value`: quoted when it replaces a string and is not a string, `None` or a
/// bracketed value; an error when it is not one RON value.
fn checked_value(path: &RonPath, value: &str, was_string: bool) -> Result<String, PathError> {
    let parsed = tree::parse_value(value);
    if was_string {
        let keep = match &parsed {
            Ok(node) => {
                matches!(&node.kind, Kind::Str(_) | Kind::Group(_)) || node.kind == Kind::Ident("None".into())
            }
            Err(_) => false,
        };
        return Ok(if keep { value.to_string() } else { quote(value) });
    }
    match parsed {
        Ok(_) => Ok(value.to_string()),
        Err(e) if value.is_empty() => Err(PathError(format!("no value given for {path}: {}", e.message))),
        Err(e) => {
            let col = value.get(..e.offset).unwrap_or(value).chars().count() + 1;
            Err(PathError(format!(
                "the value for {path} is not valid RON ({} at character {col}): write strings in double quotes",
                e.message
            )))
        }
    }
}

/// `text` as a RON string literal.
fn quote(text: &str) -> String {
    let mut out = String::from('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{{{:x}}}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Where and what to insert so that `entry` becomes the last entry of `group`.
fn insertion(text: &str, group: &Group, entry: &str) -> (Range<usize>, String) {
    let Some(last) = group.entries.last() else { return (group.close..group.close, entry.to_string()) };
    let line_start = text[..last.start()].rfind('\n').map_or(0, |i| i + 1);
    let indent = &text[line_start..last.start()];
    let one_per_line =
        indent.chars().all(char::is_whitespace) && text[last.value.span.end..group.close].contains('\n');
    let separator = if one_per_line { format!("\n{indent}") } else { " ".to_string() };
    match group.trailing_comma {
        Some(comma) => (comma + 1..comma + 1, format!("{separator}{entry},")),
        None => (last.value.span.end..last.value.span.end, format!(",{separator}{entry}")),
    }
}

/// The 1-based (line, column) where the value at `path` is written, or of its nearest ancestor that is
/// written; `None` when the text does not parse or not even the first segment is present.
///
/// The position is that of the value's first character (for `services[api]`, the `S` of
/// `Service(name: "api", ..)`; for `services[api].instances`, the `4` of `instances: 4`), so it is also
/// where ron reports a type error in that value. Columns count characters, as ron's do.
pub fn locate(source: &str, path: &RonPath) -> Option<(usize, usize)> {
    let root = tree::parse_document(source).ok()?;
    let walk = navigate::walk(&root, path, source);
    if walk.depth == 0 && walk.failure.is_some() {
        return None;
    }
    Some(line_col(source, walk.node.span.start))
}

#[cfg(test)]
mod tests;
