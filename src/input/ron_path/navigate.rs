//! Walks a parsed RON tree along a path, and explains in words what exists where a path stops resolving.

use super::tree::{Group, GroupKind, Kind, Node};
use super::{RonPath, Segment};

/// How far a path resolved.
pub(crate) struct Walk<'a> {
    /// The deepest node reached: the target when `failure` is `None`, else the last ancestor found.
    pub node: &'a Node,
    /// How many segments resolved.
    pub depth: usize,
    pub failure: Option<Failure<'a>>,
}

/// Why the segment after `depth` did not resolve.
pub(crate) struct Failure<'a> {
    pub message: String,
    /// The struct (missing field) or map (missing key) where the segment could be inserted.
    pub slot: Option<&'a Group>,
}

/// Follows `path` from `root` as far as it goes. `src` is the parsed text, quoted in messages.
pub(crate) fn walk<'a>(root: &'a Node, path: &RonPath, src: &str) -> Walk<'a> {
    let mut node = root;
    for (depth, segment) in path.segments.iter().enumerate() {
        let prefix = RonPath { segments: path.segments[..depth].to_vec() };
        match step(node, segment, &prefix, src) {
            Ok(next) => node = next,
            Err(failure) => return Walk { node, depth, failure: Some(failure) },
        }
    }
    Walk { node, depth: path.segments.len(), failure: None }
}

/// Looks through one-element tuples: `Some(x)`, newtype variants such as `Constant(x)`, and `(x)`.
pub(crate) fn unwrap_transparent(mut node: &Node) -> &Node {
    while let Kind::Group(g) = &node.kind {
        match g.entries.as_slice() {
            [only] if g.kind == GroupKind::Tuple => node = &only.value,
            _ => break,
        }
    }
    node
}

fn step<'a>(node: &'a Node, segment: &Segment, prefix: &RonPath, src: &str) -> Result<&'a Node, Failure<'a>> {
    let node = unwrap_transparent(node);
    let place = if prefix.segments.is_empty() { "the top level".to_string() } else { prefix.to_string() };
    let error = |message: String| Failure { message, slot: None };
    let Kind::Group(group) = &node.kind else {
        let text = snippet(src, node);
        return Err(error(match segment {
            Segment::Field(f) => format!("{place} is the plain value {text}: it has no field '{f}'"),
            Segment::Key(k) => format!("{place} is the plain value {text}: it has no element [{k}]"),
        }));
    };
    match (segment, group.kind) {
        (Segment::Field(field), GroupKind::Struct) => {
            field_value(group, field).ok_or_else(|| Failure {
                message: format!("no field '{field}' in {place}; fields here: {}", listing(field_names(group))),
                slot: Some(group),
            })
        }
        (Segment::Field(_), GroupKind::List) => Err(error(format!("{place} is a list: select an element with [name]"))),
        (Segment::Field(_), GroupKind::Map) => Err(error(format!("{place} is a map: select an entry with [key]"))),
        (Segment::Field(field), GroupKind::Tuple) => Err(error(format!(
            "{place} is a tuple of {} values, not a struct: it has no field '{field}'",
            group.entries.len()
        ))),
        (Segment::Key(key), GroupKind::List) => list_element(group, key).ok_or_else(|| {
            let names: Vec<String> = group.entries.iter().filter_map(|e| element_name(&e.value)).collect();
            let message = match (names.is_empty(), group.entries.len()) {
                (_, 0) => format!("no element named '{key}' in {place}: the list is empty"),
                (false, _) => format!(
                    "no element named '{key}' in {place}; names here: {}{}",
                    names.join(", "),
                    crate::input::issue::did_you_mean(&key.to_string(), names.iter().map(String::as_str))
                ),
                (true, n) => format!(
                    "no element named '{key}' in {place}; its elements have no `name` field: select one by index 0..{}",
                    n - 1
                ),
            };
            error(message)
        }),
        (Segment::Key(key), GroupKind::Map) => map_value(group, key, src).ok_or_else(|| {
            let keys = group.entries.iter().filter_map(|e| e.key.as_ref()).map(|k| key_text(k, src)).collect();
            Failure { message: format!("no key '{key}' in {place}; keys here: {}", listing(keys)), slot: Some(group) }
        }),
        (Segment::Key(key), GroupKind::Tuple) => {
            let n = group.entries.len();
            index(key, n).map(|i| &group.entries[i].value).ok_or_else(|| {
                error(format!("no element [{key}] in {place}: it is a tuple of {n} values, select one with [0]..[{}]", n.saturating_sub(1)))
            })
        }
        (Segment::Key(key), GroupKind::Struct) => {
            let hint = field_names(group).first().map_or(String::new(), |f| format!(": select a field with .{f}"));
            Err(error(format!("{place} is a struct, it has no element [{key}]{hint}")))
        }
    }
}

fn field_value<'a>(group: &'a Group, field: &str) -> Option<&'a Node> {
    let found = group
        .entries
        .iter()
        .find(|e| matches!(&e.key, Some(Node { kind: Kind::Ident(f), .. }) if f == field));
    found.map(|e| &e.value)
}

fn field_names(group: &Group) -> Vec<String> {
    group
        .entries
        .iter()
        .filter_map(|e| match &e.key {
            Some(Node { kind: Kind::Ident(f), .. }) => Some(f.clone()),
            _ => None,
        })
        .collect()
}

/// The string value of a struct's `name` field (looking through `Some(..)` and newtype wrappers).
fn element_name(node: &Node) -> Option<String> {
    let Kind::Group(group) = &unwrap_transparent(node).kind else { return None };
    if group.kind != GroupKind::Struct {
        return None;
    }
    match &field_value(group, "name")?.kind {
        Kind::Str(s) => Some(s.clone()),
        _ => None,
    }
}

/// The element named `key`, else the element at index `key` when `key` is a number.
fn list_element<'a>(group: &'a Group, key: &str) -> Option<&'a Node> {
    let named = group.entries.iter().find(|e| element_name(&e.value).is_some_and(|n| n == key));
    let indexed = || index(key, group.entries.len()).map(|i| &group.entries[i]);
    named.or_else(indexed).map(|e| &e.value)
}

fn index(key: &str, len: usize) -> Option<usize> {
    key.parse::<usize>().ok().filter(|&i| i < len)
}

/// A map key as written in a path: a string's value, else the key's text (`k2`, `3`).
fn key_text(key: &Node, src: &str) -> String {
    match &key.kind {
        Kind::Str(s) | Kind::Ident(s) => s.clone(),
        _ => src.get(key.span.clone()).unwrap_or_default().to_string(),
    }
}

fn map_value<'a>(group: &'a Group, key: &str, src: &str) -> Option<&'a Node> {
    let found = group.entries.iter().find(|e| e.key.as_ref().is_some_and(|k| key_text(k, src) == key));
    found.map(|e| &e.value)
}

fn listing(names: Vec<String>) -> String {
    if names.is_empty() { "(none)".to_string() } else { names.join(", ") }
}

/// The node's text, shortened to one line of at most 40 characters.
fn snippet(src: &str, node: &Node) -> String {
    let text = src.get(node.span.clone()).unwrap_or_default();
    let line = text.lines().next().unwrap_or_default();
    if line.chars().count() > 40 || line.len() < text.len() {
        format!("{}...", line.chars().take(40).collect::<String>())
    } else {
        line.to_string()
    }
}
