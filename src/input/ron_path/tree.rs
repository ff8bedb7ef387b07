//! A span-tracking structural parser for RON: tokens, then a tree of nodes with byte ranges. It checks
//! structure only (brackets, commas, `field:` pairs), never types, so it accepts every file ron accepts.

use std::ops::Range;

/// Deepest nesting accepted; deeper input is a syntax error instead of a stack overflow.
const MAX_DEPTH: usize = 256;

/// A syntax error at a byte offset of the parsed text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    pub offset: usize,
    pub message: String,
}

fn fail<T>(offset: usize, message: impl Into<String>) -> Result<T, SyntaxError> {
    Err(SyntaxError { offset, message: message.into() })
}

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Open(char),
    Close(char),
    Comma,
    Colon,
    Hash,
    Bang,
    /// A string literal (plain or raw), decoded.
    Str(String),
    /// An identifier, without the `r#` of a raw identifier.
    Ident(String),
    /// A number, char, byte string or byte literal.
    Atom,
}

#[derive(Debug, Clone)]
struct Token {
    tok: Tok,
    span: Range<usize>,
}

/// One value of the document.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Node {
    /// Bytes of the whole value, including a struct or variant name before `(`.
    pub span: Range<usize>,
    pub kind: Kind,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Kind {
    /// A string literal and its decoded value.
    Str(String),
    /// A bare identifier: unit variant, `None`, `true`, `inf`...
    Ident(String),
    /// A number, char or byte string.
    Atom,
    Group(Group),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GroupKind {
    /// `(a: 1)`, `Name(a: 1)` and also the empty `()` / `Name()`.
    Struct,
    /// `(1, 2)`, `Some(x)`, `Builtin("x")`.
    Tuple,
    List,
    Map,
}

/// A bracketed value: struct, tuple, list or map.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Group {
    pub kind: GroupKind,
    /// The name before `(`, if any.
    pub name: Option<String>,
    pub entries: Vec<Entry>,
    /// Byte offset of the closing delimiter.
    pub close: usize,
    /// Byte offset of a comma after the last entry, if there is one.
    pub trailing_comma: Option<usize>,
}

/// A struct field (`key` is an `Ident` node), a map entry (`key` is any node) or an element (no key).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    pub key: Option<Node>,
    pub value: Node,
}

impl Entry {
    /// Where the entry starts: its key, or its value when it has no key.
    pub fn start(&self) -> usize {
        self.key.as_ref().map_or(self.value.span.start, |k| k.span.start)
    }
}

/// Parses a whole document: `#![...]` attributes, then one value.
pub(crate) fn parse_document(src: &str) -> Result<Node, SyntaxError> {
    Parser::new(src)?.document(true)
}

/// Parses a single value, as given on a command line (no attributes).
pub(crate) fn parse_value(src: &str) -> Result<Node, SyntaxError> {
    Parser::new(src)?.document(false)
}

const fn is_whitespace(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t'
            | '\n'
            | '\r'
            | '\x0B'
            | '\x0C'
            | '\u{85}'
            | '\u{200E}'
            | '\u{200F}'
            | '\u{2028}'
            | '\u{2029}'
    )
}

fn is_ident_start(c: char) -> bool {
    c == '_' || c.is_alphabetic()
}

fn is_ident_char(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

fn is_raw_ident_char(c: char) -> bool {
    matches!(c, '.' | '+' | '-') || is_ident_char(c)
}

struct Lexer<'a> {
    src: &'a str,
    pos: usize,
}

impl Lexer<'_> {
    fn peek(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    fn peek_nth(&self, n: usize) -> Option<char> {
        self.src[self.pos..].chars().nth(n)
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn eat_while(&mut self, f: impl Fn(char) -> bool) {
        while self.peek().is_some_and(&f) {
            self.bump();
        }
    }

    fn tokens(mut self) -> Result<Vec<Token>, SyntaxError> {
        let mut out = Vec::new();
        loop {
            self.skip_trivia()?;
            let start = self.pos;
            let Some(c) = self.peek() else { return Ok(out) };
            let tok = match c {
                '(' | '[' | '{' => self.single(Tok::Open(c)),
                ')' | ']' | '}' => self.single(Tok::Close(c)),
                ',' => self.single(Tok::Comma),
                ':' => self.single(Tok::Colon),
                '#' => self.single(Tok::Hash),
                '!' => self.single(Tok::Bang),
                '"' => {
                    self.bump();
                    Tok::Str(self.string_body(start)?)
                }
                '\'' => self.char_literal(start)?,
                'b' if matches!(self.peek_nth(1), Some('"' | '\'')) => {
                    self.bump();
                    if self.peek() == Some('"') {
                        self.bump();
                        self.string_body(start)?;
                        Tok::Atom
                    } else {
                        self.char_literal(start)?
                    }
                }
                'b' if self.peek_nth(1) == Some('r') && self.raw_string_ahead(2) => {
                    self.pos += 1;
                    self.raw_string(start)?;
                    Tok::Atom
                }
                'r' if self.raw_string_ahead(1) => Tok::Str(self.raw_string(start)?),
                'r' if self.peek_nth(1) == Some('#') && self.peek_nth(2).is_some_and(is_raw_ident_char) => {
                    self.pos += 2;
                    self.eat_while(is_raw_ident_char);
                    Tok::Ident(self.src[start + 2..self.pos].to_string())
                }
                c if is_ident_start(c) => {
                    self.eat_while(is_ident_char);
                    Tok::Ident(self.src[start..self.pos].to_string())
                }
                c if c.is_ascii_digit() || self.signed_number_ahead(c) => self.number(),
                c => return fail(start, format!("unexpected character '{c}'")),
            };
            out.push(Token { tok, span: start..self.pos });
        }
    }

    fn single(&mut self, tok: Tok) -> Tok {
        self.bump();
        tok
    }

    fn skip_trivia(&mut self) -> Result<(), SyntaxError> {
        loop {
            self.eat_while(is_whitespace);
            let rest = &self.src[self.pos..];
            if rest.starts_with("//") {
                self.eat_while(|c| c != '\n');
            } else if rest.starts_with("/*") {
                let start = self.pos;
                self.pos += 2;
                let mut depth = 1;
                while depth > 0 {
                    let rest = &self.src[self.pos..];
                    if rest.starts_with("/*") {
                        depth += 1;
                        self.pos += 2;
                    } else if rest.starts_with("*/") {
                        depth -= 1;
                        self.pos += 2;
                    } else if self.bump().is_none() {
                        return fail(start, "unclosed block comment");
                    }
                }
            } else {
                return Ok(());
            }
        }
    }

    /// `+1`, `-.5`, `-inf`, `.5`: a sign or dot that starts a number.
    fn signed_number_ahead(&self, c: char) -> bool {
        let next = self.peek_nth(1);
        match c {
            '+' | '-' => next.is_some_and(|n| n.is_ascii_digit() || n == '.' || n.is_alphabetic()),
            '.' => next.is_some_and(|n| n.is_ascii_digit()),
            _ => false,
        }
    }

    fn number(&mut self) -> Tok {
        let start = self.pos;
        if matches!(self.peek(), Some('+' | '-')) {
            self.bump();
        }
        let digits = self.pos;
        let radix_prefix = matches!(self.src.get(digits..digits + 2), Some("0x" | "0X" | "0b" | "0o"));
        while let Some(c) = self.peek() {
            let after_exponent = !radix_prefix && self.src[start..self.pos].ends_with(['e', 'E']);
            if c.is_alphanumeric() || c == '_' || c == '.' || (after_exponent && matches!(c, '+' | '-')) {
                self.bump();
            } else {
                break;
            }
        }
        Tok::Atom
    }

    /// After the opening quote: reads up to the closing quote, decoding escapes.
    fn string_body(&mut self, start: usize) -> Result<String, SyntaxError> {
        let mut out = String::new();
        loop {
            match self.bump() {
                None => return fail(start, "unterminated string"),
                Some('"') => return Ok(out),
                Some('\\') => {
                    if let Some(c) = self.escape(start)? {
                        out.push(c);
                    }
                }
                Some(c) => out.push(c),
            }
        }
    }

    /// After a backslash; `None` for a line continuation.
    fn escape(&mut self, start: usize) -> Result<Option<char>, SyntaxError> {
        let c = match self.bump() {
            Some('n') => '\n',
            Some('r') => '\r',
            Some('t') => '\t',
            Some('0') => '\0',
            Some(c @ ('\\' | '"' | '\'')) => c,
            Some('x') => {
                let hex = self.src.get(self.pos..self.pos + 2).unwrap_or("");
                let Ok(byte) = u8::from_str_radix(hex, 16) else { return fail(start, "invalid \\x escape") };
                self.pos += 2;
                if byte.is_ascii() { char::from(byte) } else { char::REPLACEMENT_CHARACTER }
            }
            Some('u') => {
                let rest = &self.src[self.pos..];
                let Some(close) = rest.find('}').filter(|_| rest.starts_with('{')) else {
                    return fail(start, "invalid \\u escape: expected \\u{...}");
                };
                let code = u32::from_str_radix(&rest[1..close], 16).ok().and_then(char::from_u32);
                let Some(c) = code else { return fail(start, "invalid \\u escape") };
                self.pos += close + 1;
                c
            }
            Some(' ' | '\t' | '\n' | '\r') => {
                self.eat_while(|c| matches!(c, ' ' | '\t' | '\n' | '\r'));
                return Ok(None);
            }
            _ => return fail(start, "unknown escape in string"),
        };
        Ok(Some(c))
    }

    fn char_literal(&mut self, start: usize) -> Result<Tok, SyntaxError> {
        self.bump();
        match self.bump() {
            Some('\\') => {
                self.escape(start)?;
            }
            Some('\'') | None => return fail(start, "empty or unterminated character literal"),
            Some(_) => {}
        }
        if self.bump() != Some('\'') {
            return fail(start, "unterminated character literal");
        }
        Ok(Tok::Atom)
    }

    /// Whether `r`, `r#..#` then `"` starts `skip` characters ahead.
    fn raw_string_ahead(&self, skip: usize) -> bool {
        let mut rest = self.src[self.pos..].chars().skip(skip).skip_while(|&c| c == '#');
        rest.next() == Some('"')
    }

    /// At the `r` of `r#"..."#`: reads the raw string and returns its content.
    fn raw_string(&mut self, start: usize) -> Result<String, SyntaxError> {
        self.bump();
        let hashes = self.src[self.pos..].chars().take_while(|&c| c == '#').count();
        self.pos += hashes + 1;
        let terminator = format!("\"{}", "#".repeat(hashes));
        let Some(end) = self.src[self.pos..].find(&terminator) else {
            return fail(start, "unterminated raw string");
        };
        let content = self.src[self.pos..self.pos + end].to_string();
        self.pos += end + terminator.len();
        Ok(content)
    }
}

struct Parser {
    toks: Vec<Token>,
    at: usize,
    len: usize,
}

impl Parser {
    fn new(src: &str) -> Result<Self, SyntaxError> {
        let toks = Lexer { src, pos: 0 }.tokens()?;
        Ok(Parser { toks, at: 0, len: src.len() })
    }

    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.at).map(|t| &t.tok)
    }

    fn peek_nth(&self, n: usize) -> Option<&Tok> {
        self.toks.get(self.at + n).map(|t| &t.tok)
    }

    /// Offset of the next token, or the end of the text.
    fn here(&self) -> usize {
        self.toks.get(self.at).map_or(self.len, |t| t.span.start)
    }

    fn next(&mut self) -> Result<Token, SyntaxError> {
        let Some(t) = self.toks.get(self.at).cloned() else {
            return fail(self.len, "unexpected end of text");
        };
        self.at += 1;
        Ok(t)
    }

    fn expect(&mut self, tok: Tok, what: &str) -> Result<Token, SyntaxError> {
        let at = self.here();
        match self.next()? {
            t if t.tok == tok => Ok(t),
            _ => fail(at, format!("expected {what}")),
        }
    }

    fn document(&mut self, attributes: bool) -> Result<Node, SyntaxError> {
        while attributes && self.peek() == Some(&Tok::Hash) {
            self.next()?;
            if self.peek() == Some(&Tok::Bang) {
                self.next()?;
            }
            let open = self.expect(Tok::Open('['), "'[' after '#'")?;
            self.group('[', None, open.span.start, 1)?;
        }
        let node = self.value(0)?;
        if self.at < self.toks.len() {
            return fail(self.here(), "unexpected text after the value");
        }
        Ok(node)
    }

    fn value(&mut self, depth: usize) -> Result<Node, SyntaxError> {
        let at = self.here();
        if depth > MAX_DEPTH {
            return fail(at, "nested too deeply");
        }
        let t = self.next()?;
        let kind = match t.tok {
            Tok::Str(s) => Kind::Str(s),
            Tok::Atom => Kind::Atom,
            Tok::Ident(name) if self.peek() == Some(&Tok::Open('(')) => {
                self.next()?;
                return self.group('(', Some(name), t.span.start, depth + 1);
            }
            Tok::Ident(name) => Kind::Ident(name),
            Tok::Open(c) => return self.group(c, None, t.span.start, depth + 1),
            _ => return fail(at, "expected a value"),
        };
        Ok(Node { span: t.span, kind })
    }

    /// After the opening delimiter `open`; `start` is where the node starts (its name, if any).
    fn group(
        &mut self,
        open: char,
        name: Option<String>,
        start: usize,
        depth: usize,
    ) -> Result<Node, SyntaxError> {
        let (kind, close_char) = match open {
            '[' => (GroupKind::List, ']'),
            '{' => (GroupKind::Map, '}'),
            _ if self.peek() == Some(&Tok::Close(')')) => (GroupKind::Struct, ')'),
            _ if matches!(self.peek(), Some(Tok::Ident(_))) && self.peek_nth(1) == Some(&Tok::Colon) => {
                (GroupKind::Struct, ')')
            }
            _ => (GroupKind::Tuple, ')'),
        };
        let mut entries = Vec::new();
        let mut trailing_comma = None;
        loop {
            if self.peek() == Some(&Tok::Close(close_char)) {
                let close = self.next()?.span.start;
                let node = Group { kind, name, entries, close, trailing_comma };
                return Ok(Node { span: start..close + 1, kind: Kind::Group(node) });
            }
            let key = match kind {
                GroupKind::Struct => {
                    let at = self.here();
                    let t = self.next()?;
                    let Tok::Ident(field) = t.tok else { return fail(at, "expected a field name") };
                    self.expect(Tok::Colon, "':' after the field name")?;
                    Some(Node { span: t.span, kind: Kind::Ident(field) })
                }
                GroupKind::Map => {
                    let key = self.value(depth)?;
                    self.expect(Tok::Colon, "':' after the map key")?;
                    Some(key)
                }
                GroupKind::Tuple | GroupKind::List => None,
            };
            let value = self.value(depth)?;
            entries.push(Entry { key, value });
            let at = self.here();
            match self.peek() {
                Some(Tok::Comma) => trailing_comma = Some(self.next()?.span.start),
                Some(Tok::Close(c)) if *c == close_char => trailing_comma = None,
                _ => return fail(at, format!("expected ',' or '{close_char}'")),
            }
        }
    }
}
