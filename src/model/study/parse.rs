//! Parsing a model or scenario file with its `--set` overrides spliced in: each override that cannot be
//! applied reported on its own, and RON's errors turned into located messages in words.

use std::path::Path;

use serde::de::DeserializeOwned;

use super::{InputError, Override, Target};
use crate::input::issue::did_you_mean;
use crate::input::ron_path::{self, Origin, RonPath, Spliced};

/// A file parsed: the spec, the text it was parsed from (overrides spliced in), and the overrides that
/// were spliced (those of this file that could be applied, in order).
pub(super) struct Parsed<T> {
    pub spec: T,
    pub spliced: Spliced,
    pub applied: Vec<Override>,
}

/// Splices the overrides into `text` (the contents of `file`) and parses it. Every override that cannot
/// be applied, or whose value does not parse, is reported on its own, and the file is parsed again
/// without it, so that one bad `--set` hides neither another nor the file's own problems (the result
/// then only serves to find more problems: `errors` is not empty).
pub(super) fn parse_text<T: DeserializeOwned>(
    file: &Path,
    text: &str,
    target: Target,
    overrides: &[Override],
    errors: &mut Vec<InputError>,
) -> Option<Parsed<T>> {
    let mut active: Vec<&Override> = overrides.iter().filter(|o| o.target == target).collect();
    let edit = |o: &Override| (o.path.clone(), o.value.clone());
    loop {
        let edits: Vec<(RonPath, String)> = active.iter().map(|o| edit(o)).collect();
        let spliced = match ron_path::splice(text, &edits) {
            Ok(s) => s,
            Err(e) => {
                // Each override that fails on its own is named with its own message; if none does, it is
                // their combination, and all are named.
                let before = active.len();
                active.retain(|o| match ron_path::splice(text, &[edit(o)]) {
                    Ok(_) => true,
                    Err(alone) => {
                        errors.push(InputError::Override { set: o.raw.clone(), message: alone.to_string() });
                        false
                    }
                });
                if active.len() == before {
                    let set = active.iter().map(|o| o.raw.as_str()).collect::<Vec<_>>().join(" ");
                    errors.push(InputError::Override { set, message: e.to_string() });
                    return None;
                }
                continue;
            }
        };
        match deserialize::<T>(&spliced.text) {
            Ok(spec) => {
                return Some(Parsed { spec, spliced, applied: active.into_iter().cloned().collect() });
            }
            Err(e) => {
                // RON may start a span at the blank before a token: an error whose span touches a spliced
                // value is that override's.
                let from_override =
                    [e.start, e.end].into_iter().find_map(|(line, col)| match spliced.origin(line, col) {
                        Origin::Override(i) => Some(i),
                        Origin::Source { .. } => None,
                    });
                match (from_override, spliced.origin(e.start.0, e.start.1)) {
                    (Some(i), _) | (None, Origin::Override(i)) => {
                        errors.push(InputError::Override { set: active[i].raw.clone(), message: e.message });
                        active.remove(i);
                    }
                    (None, Origin::Source { line, col }) => {
                        errors.push(InputError::At {
                            file: file.display().to_string(),
                            line,
                            col,
                            field: e.field,
                            message: e.message,
                        });
                        return None;
                    }
                }
            }
        }
    }
}

/// Where and why RON text failed to parse.
struct ParseFailure {
    /// 1-based (line, column) where the offending span starts and ends.
    start: (usize, usize),
    end: (usize, usize),
    /// The field path, when inside one (`services[0].concurrency`).
    field: Option<String>,
    message: String,
}

impl ParseFailure {
    fn new(e: &ron::error::SpannedError, field: Option<String>, text: &str) -> ParseFailure {
        let start = (e.span.start.line, e.span.start.col);
        let mut message = describe_ron(&e.code);
        if matches!(e.code, ron::Error::ExpectedComma) {
            // RON read a value and expected a separator: say what the value was when the text shows it.
            if let Some(better) = after_a_value(text, start) {
                message = better;
            }
        }
        // serde_path_to_error writes `?` for a place it cannot name: keep the part of the path it could.
        let field = field.and_then(|f| {
            let known = f.split(".?").next().unwrap_or_default().trim_end_matches('?').trim_end_matches('.');
            (!known.is_empty() && known != "?").then(|| known.to_string())
        });
        // RON quotes what it found in some messages: keep them to a line.
        let (message, field) = (cut(&message, 300), field.map(|f| cut(&f, 200)));
        ParseFailure { start, end: (e.span.end.line, e.span.end.col), field, message }
    }
}

/// What an "expected comma" at 1-based `(line, col)` of `text` means, when the text around it shows it:
/// a fraction after a whole number (`16.5` where an integer is expected), or arguments after a name
/// that takes none (`RoundRobin(1)`).
fn after_a_value(text: &str, (line, col): (usize, usize)) -> Option<String> {
    let row = text.lines().nth(line.checked_sub(1)?)?;
    let chars: Vec<char> = row.chars().collect();
    // RON may point at the blank before the token.
    let mut at = col.checked_sub(1)?;
    while chars.get(at).is_some_and(|c| c.is_whitespace()) {
        at += 1;
    }
    let before: String = chars[..at.min(chars.len())].iter().collect();
    let token: String = before.chars().rev().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
    let token: String = token.chars().rev().collect();
    match chars.get(at) {
        Some('.' | 'e' | 'E') if !token.is_empty() && token.chars().all(|c| c.is_ascii_digit()) => Some(
            format!("expected an integer (a whole number), found {token} followed by a fraction or exponent"),
        ),
        Some('(') if token.chars().next().is_some_and(char::is_alphabetic) => {
            Some(format!("'{token}' takes no value here: write {token} alone, without (...)"))
        }
        _ => None,
    }
}

/// Parses RON text into `T` with the `implicit_some` extension.
fn deserialize<T: DeserializeOwned>(text: &str) -> Result<T, ParseFailure> {
    let options = ron::Options::default().with_default_extension(ron::extensions::Extensions::IMPLICIT_SOME);
    let mut de = ron::Deserializer::from_str_with_options(text, &options)
        .map_err(|e| ParseFailure::new(&e, None, text))?;
    let value = serde_path_to_error::deserialize::<_, T>(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let field = (path != "." && !path.is_empty()).then_some(path);
        ParseFailure::new(&de.span_error(e.into_inner()), field, text)
    })?;
    de.end().map_err(|e| ParseFailure::new(&de.span_error(e), None, text))?;
    Ok(value)
}

/// RON's message, reworded where ours can say more plainly what exists.
fn describe_ron(e: &ron::Error) -> String {
    match e {
        ron::Error::NoSuchStructField { expected, found, .. } => {
            format!(
                "unknown field '{}'; fields here: {}{}",
                shorten(found),
                expected.join(", "),
                did_you_mean(found, expected.iter().copied())
            )
        }
        ron::Error::MissingStructField { field, .. } => format!("missing field '{field}'"),
        ron::Error::NoSuchEnumVariant { expected, found, .. } => {
            format!(
                "unknown variant '{}'; expected one of: {}{}",
                shorten(found),
                expected.join(", "),
                did_you_mean(found, expected.iter().copied())
            )
        }
        ron::Error::DuplicateStructField { field, .. } => format!("field '{field}' is given twice"),
        other => other.to_string(),
    }
}

/// A name quoted in a message, cut to 60 characters: a garbage file must not make a garbage-sized
/// message.
fn shorten(text: &str) -> String {
    cut(text, 60)
}

/// `text`, cut to `max` characters.
fn cut(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}...", &text[..at]),
        None => text.to_string(),
    }
}
