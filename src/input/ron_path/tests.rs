//! Unit tests of paths, splicing, origin mapping and locate, on hand-written files and on generated ones.

use super::*;
use Origin::Override;

const MODEL: &str = r###"#![enable(implicit_some)]
// A two-region model. Strings and comments below contain ( ) [ ] { } and // on purpose.
Model(
    name: "demo (v2) [draft] // not a comment",
    /* a block comment with ) and ] and /* a nested one ) */ still inside */
    services: [
        Service(
            name: "api",
            instances: 4,
            concurrency: 8,
            service_time: LogNormal(median_ms: 1.0, sigma: 0.5),
        ),
        Service(name: "db", instances: 2, concurrency: 1, service_time: Constant(3.0)),
    ],
    routing: (primary: "us-east-1", policy: RoundRobin, retry: Some((max: 3, backoff_ms: 1_000))),
    deployments: {
        "us-east-1": (instances: 2, zones: ['a', 'b']),
        "eu-west-1": (instances: 1, zones: []),
    },
    traffic: (populations: [(name: "eu", rate_per_s: 300.0e0), (name: "us", rate_per_s: -inf)]),
    notes: r##"raw ")" with "# inside"##,
    limits: (),
)
"###;

fn path(s: &str) -> RonPath {
    s.parse().unwrap_or_else(|e| panic!("{s}: {e}"))
}

fn set(source: &str, edits: &[(&str, &str)]) -> Result<String, PathError> {
    let edits: Vec<_> = edits.iter().map(|(p, v)| (path(p), v.to_string())).collect();
    splice(source, &edits).map(|s| s.text)
}

/// Splices one edit, checks that ron still parses the result, and returns it.
fn set_ok(source: &str, p: &str, value: &str) -> String {
    let text = set(source, &[(p, value)]).unwrap_or_else(|e| panic!("{p}={value}: {e}"));
    if let Err(e) = ron::from_str::<ron::Value>(&text) {
        panic!("{p}={value} gave text ron rejects ({e}):\n{text}");
    }
    text
}

/// The text at a 1-based (line, col) position, to the end of its line.
fn text_at(text: &str, (line, col): (usize, usize)) -> &str {
    let start = byte_offset(text, line, col);
    let rest = &text[start..];
    &rest[..rest.find('\n').unwrap_or(rest.len())]
}

#[test]
fn the_fixture_is_valid_ron() {
    ron::from_str::<ron::Value>(MODEL).unwrap();
}

#[test]
fn paths_parse_and_display_round_trip() {
    for s in ["a", "services[api].instances", "deployments[us-east-1]", "a[x.y][k[1]].b", "[0].a", "r[a b]"] {
        assert_eq!(path(s).to_string(), s);
    }
    let p = path("traffic.populations[eu].rate_per_s");
    let expected = ["traffic", "populations"].map(|f| Segment::Field(f.into())).to_vec();
    assert_eq!(p.segments[..2], expected);
    assert_eq!(p.segments[2], Segment::Key("eu".into()));
}

#[test]
fn malformed_paths_are_rejected_with_the_reason() {
    let error = |s: &str| s.parse::<RonPath>().unwrap_err().0;
    assert!(error("").contains("empty path"));
    assert!(error("a..b").contains("empty field name at character 3"), "{}", error("a..b"));
    assert!(error("a.").contains("empty field name"));
    assert!(error(".a").contains("empty field name at character 1"));
    assert!(error("services[api").contains("unclosed '['"));
    assert!(error("a[[b]").contains("unclosed '['"));
    assert!(error("a[]").contains("empty key"));
    assert!(error("a[b]c").contains("expected '.' or '['"));
    assert!(error("a b").contains("' ' cannot be part of a field name"));
    assert!(error("a]").contains("']' cannot be part of a field name"));
}

#[test]
fn replaces_a_number_in_a_list_element_chosen_by_name() {
    let text = set_ok(MODEL, "services[db].instances", "6");
    assert!(text.contains(r#"Service(name: "db", instances: 6, concurrency: 1"#));
    // Only that number changed: the text differs by one character.
    assert_eq!(text.len(), MODEL.len());
    let text = set_ok(MODEL, "traffic.populations[eu].rate_per_s", "450");
    assert!(text.contains(r#"(name: "eu", rate_per_s: 450)"#));
}

#[test]
fn an_index_selects_when_no_name_matches() {
    let text = set_ok(MODEL, "deployments[us-east-1].zones[1]", "'c'");
    assert!(text.contains("zones: ['a', 'c']"));
    assert!(set(MODEL, &[("deployments[us-east-1].zones[2]", "'c'")]).is_err());
}

#[test]
fn map_keys_may_contain_dashes() {
    let text = set_ok(MODEL, "deployments[eu-west-1].instances", "3");
    assert!(text.contains(r#""eu-west-1": (instances: 3, zones: [])"#));
}

#[test]
fn an_absent_map_key_is_inserted() {
    let text = set_ok(MODEL, "deployments[ap-south-1]", "(instances: 1, zones: [])");
    let expected = "\"eu-west-1\": (instances: 1, zones: []),\n        \"ap-south-1\": (instances: 1, zones: []),\n    }";
    assert!(text.contains(expected), "{text}");
}

#[test]
fn absent_fields_are_inserted_with_or_without_a_trailing_comma() {
    // Multi-line struct with a trailing comma: a new line, indented like the others.
    let text = set_ok(MODEL, "services[api].max_queue", "100");
    assert!(text.contains(
        "service_time: LogNormal(median_ms: 1.0, sigma: 0.5),\n            max_queue: 100,\n        ),"
    ));
    // One-line struct without a trailing comma.
    let text = set_ok(MODEL, "services[db].max_queue", "100");
    assert!(text.contains("service_time: Constant(3.0), max_queue: 100),"), "{text}");
    // Empty `()`.
    let text = set_ok(MODEL, "limits.max_rps", "5.0");
    assert!(text.contains("limits: (max_rps: 5.0),"));
    // One-line struct with a trailing comma, then a second insertion after it.
    let text = set_ok("(a: 1,)", "b", "2");
    assert_eq!(text, "(a: 1, b: 2,)");
    assert_eq!(set_ok(&text, "c", "Some(3)"), "(a: 1, b: 2, c: Some(3),)");
}

#[test]
fn values_may_be_enum_variants_and_paths_enter_them() {
    let text = set_ok(MODEL, "services[api].service_time", "LogNormal(median_ms: 5.0, sigma: 0.3)");
    assert!(text.contains("service_time: LogNormal(median_ms: 5.0, sigma: 0.3),"));
    let text = set_ok(MODEL, "services[api].service_time.sigma", "0.4");
    assert!(text.contains("LogNormal(median_ms: 1.0, sigma: 0.4)"));
    // `Some(..)` and newtype variants are looked through.
    let text = set_ok(MODEL, "routing.retry.max", "5");
    assert!(text.contains("retry: Some((max: 5, backoff_ms: 1_000))"));
    let text = set_ok(MODEL, "routing.policy", "Weighted({\"eu\": 1.0})");
    assert!(text.contains("policy: Weighted({\"eu\": 1.0}),"));
}

#[test]
fn a_bare_word_replacing_a_string_is_quoted() {
    let text = set_ok(MODEL, "routing.primary", "us-west-2");
    assert!(text.contains(r#"primary: "us-west-2","#));
    let text = set_ok(MODEL, "routing.primary", "eu");
    assert!(text.contains(r#"primary: "eu","#));
    let text = set_ok(MODEL, "routing.primary", r#"say "hi" \o/"#);
    assert!(text.contains(r#"primary: "say \"hi\" \\o/","#));
    // Already a string, or `None`: written as given.
    assert!(set_ok(MODEL, "routing.primary", "\"eu\"").contains(r#"primary: "eu","#));
    assert!(set_ok(MODEL, "routing.primary", "None").contains("primary: None,"));
    // Not replacing a string: an invalid value is an error, not quoted.
    let error = set(MODEL, &[("services[api].instances", "six-ish")]).unwrap_err().0;
    assert!(error.contains("the value for services[api].instances is not valid RON"), "{error}");
    assert!(set(MODEL, &[("limits.x", "(")]).is_err());
    assert!(set(MODEL, &[("limits.x", "1, y: 2")]).is_err());
}

#[test]
fn strings_and_comments_do_not_confuse_the_parser() {
    // The fixture hides brackets in a string, a raw string, line and nested block comments.
    let text = set_ok(MODEL, "notes", "\"plain\"");
    assert!(text.contains("notes: \"plain\",\n    limits"));
    let text = set_ok(MODEL, "name", "x");
    assert!(text.contains("    name: \"x\",\n    /* a block"));
    let source = "( /* ) */ a: [ \"]\" , 1 ], // b: 2 )\n b: '}', c: \"\\\")\" )";
    ron::from_str::<ron::Value>(source).unwrap();
    assert_eq!(set_ok(source, "c", "None"), "( /* ) */ a: [ \"]\" , 1 ], // b: 2 )\n b: '}', c: None )");
    assert_eq!(set_ok(source, "a[1]", "2"), "( /* ) */ a: [ \"]\" , 2 ], // b: 2 )\n b: '}', c: \"\\\")\" )");
}

#[test]
fn unresolved_paths_name_the_prefix_and_the_alternatives() {
    let error = |p: &str| set(MODEL, &[(p, "1")]).unwrap_err().0;
    assert_eq!(
        error("services[api].instancs.x"),
        "no field 'instancs' in services[api]; fields here: name, instances, concurrency, service_time"
    );
    assert_eq!(error("services[web].instances"), "no element named 'web' in services; names here: api, db");
    assert_eq!(error("services.instances"), "services is a list: select an element with [name]");
    assert_eq!(error("deployments.x"), "deployments is a map: select an entry with [key]");
    assert_eq!(
        error("deployments[ap].instances"),
        "no key 'ap' in deployments; keys here: us-east-1, eu-west-1"
    );
    assert_eq!(
        error("nme.x"),
        "no field 'nme' in the top level; fields here: name, services, routing, deployments, traffic, notes, limits"
    );
    assert_eq!(
        error("routing.policy.x"),
        "routing.policy is the plain value RoundRobin: it has no field 'x'"
    );
    assert_eq!(
        error("routing[x]"),
        "routing is a struct, it has no element [x]: select a field with .primary"
    );
    assert!(error("services[api].service_time.median_ms.x").contains("plain value 1.0"));
    // A list element is never inserted.
    assert!(error("services[web]").starts_with("no element named 'web'"));
    // The text itself is broken.
    let error = set("(a: 1", &[("a", "2")]).unwrap_err().0;
    assert_eq!(error, "cannot set a: the text does not parse at 1:6: expected ',' or ')'");
}

#[test]
fn no_edits_leave_the_text_untouched_even_when_invalid() {
    let spliced = splice("not ( ron", &[]).unwrap();
    assert_eq!(spliced.text, "not ( ron");
    assert_eq!(spliced.origin(1, 7), Origin::Source { line: 1, col: 7 });
}

#[test]
fn origin_maps_positions_before_inside_and_after_a_splice() {
    let source = "(\n  a: 1,\n  b: \"é\", c: 2,\n  d: 3,\n)";
    // `b` becomes three lines long; `c` (after it on the same line) and `d` (below it) move.
    let edits = [(path("b"), "[\n  10,\n  20]".to_string())];
    let spliced = splice(source, &edits).unwrap();
    assert_eq!(spliced.text, "(\n  a: 1,\n  b: [\n  10,\n  20], c: 2,\n  d: 3,\n)");
    assert_eq!(spliced.origin(2, 6), Origin::Source { line: 2, col: 6 }); // `1`, before
    assert_eq!(spliced.origin(3, 3), Origin::Source { line: 3, col: 3 }); // `b`, before on the same line
    assert_eq!(spliced.origin(3, 6), Override(0)); // `[`
    assert_eq!(spliced.origin(4, 3), Override(0)); // `10`
    assert_eq!(spliced.origin(5, 5), Override(0)); // `]`
    // `c` was at column 11 of line 3 (`é` is one character, two bytes): now after `20], `.
    assert_eq!(spliced.origin(5, 8), Origin::Source { line: 3, col: 11 });
    assert_eq!(spliced.origin(6, 3), Origin::Source { line: 4, col: 3 }); // `d`
    // Past the end of a line or of the text: clamped.
    assert_eq!(spliced.origin(6, 99), Origin::Source { line: 4, col: 8 });
    assert_eq!(spliced.origin(99, 1), Origin::Source { line: 5, col: 2 });
    assert_eq!(spliced.origin(0, 0), Origin::Source { line: 1, col: 1 });
}

#[test]
fn a_later_edit_inside_an_earlier_one_wins_where_they_overlap() {
    let source = "(a: 0, z: 9)";
    let edits = [(path("a"), "(x: 1, y: 2)".to_string()), (path("a.y"), "[3, 4]".to_string())];
    let spliced = splice(source, &edits).unwrap();
    assert_eq!(spliced.text, "(a: (x: 1, y: [3, 4]), z: 9)");
    assert_eq!(spliced.origin(1, 5), Override(0)); // `(`
    assert_eq!(spliced.origin(1, 9), Override(0)); // `1`
    assert_eq!(spliced.origin(1, 15), Override(1)); // `[`
    assert_eq!(spliced.origin(1, 20), Override(1)); // `]`
    assert_eq!(spliced.origin(1, 21), Override(0)); // `)` after the list
    assert_eq!(spliced.origin(1, 24), Origin::Source { line: 1, col: 8 }); // `z`
    // An inserted field maps to its override, separator included.
    let spliced = splice("(\n    a: 1,\n)", &[(path("b"), "2".into())]).unwrap();
    assert_eq!(spliced.text, "(\n    a: 1,\n    b: 2,\n)");
    assert_eq!(spliced.origin(3, 5), Override(0));
    assert_eq!(spliced.origin(4, 1), Origin::Source { line: 3, col: 1 });
}

#[test]
fn locate_points_at_the_value_on_its_line() {
    assert_eq!(locate(MODEL, &path("services[api].instances")), Some((9, 24)));
    assert_eq!(text_at(MODEL, (9, 24)), "4,");
    assert_eq!(text_at(MODEL, locate(MODEL, &path("services[api]")).unwrap()), "Service(");
    let at = locate(MODEL, &path("services[db].concurrency")).unwrap();
    assert_eq!(at.0, 13);
    assert!(text_at(MODEL, at).starts_with("1, service_time"));
    assert_eq!(text_at(MODEL, locate(MODEL, &path("deployments[eu-west-1].zones")).unwrap()), "[]),");
    assert_eq!(text_at(MODEL, locate(MODEL, &path("routing.retry.backoff_ms")).unwrap()), "1_000))),");
    // Missing below an existing ancestor: the ancestor.
    assert_eq!(text_at(MODEL, locate(MODEL, &path("services[api].oops.deeper")).unwrap()), "Service(");
    assert_eq!(locate(MODEL, &path("nothing.here")), None);
    assert_eq!(locate("(a: ", &path("a")), None);
    // Columns count characters, as ron's do.
    assert_eq!(locate("(é: \"ü\", b: 1)", &path("b")), Some((1, 13)));
    // ron's span for this error runs from the space after `:` to the offending `@`, at column 13 too.
    let error = ron::from_str::<ron::Value>("(é: \"ü\", b: @)").unwrap_err();
    assert_eq!(error.span.end, ron::error::Position { line: 1, col: 13 });
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert_eq!(locate(&deep, &path("[0]")), None);
    let error = set(&deep, &[("[0]", "1")]).unwrap_err().0;
    assert!(error.contains("nested too deeply"), "{error}");
}

#[test]
fn the_parser_accepts_ron_literals() {
    let source = r##"#![enable(implicit_some)]
#![enable(unwrap_newtypes)]
(a: 0x1F, b: -1_000, c: +1.5e-3, d: NaN, e: -inf, f: .5, g: 'x', h: '\'', i: b"by\x41", j: true,
 k: r"raw", l: "esc \u{1F600} \" \\ \n", m: {1: 2, k2: 3}, n: (1, "two", [3]), o: Some(()), r#type: 1u8,
 p: "line \
     continued", q: b'a', s: br#"x"#, u: 0b101, v: 0o17, w: 1e10)"##;
    ron::from_str::<ron::Value>(source).unwrap();
    for (p, v) in
        [("a", "1"), ("d", "2"), ("type", "3"), ("m[k2]", "4"), ("m[1]", "5"), ("n[1]", "\"z\""), ("w", "6")]
    {
        set_ok(source, p, v);
    }
    assert_eq!(text_at(source, locate(source, &path("p")).unwrap()), "\"line \\");
}

mod properties {
    use super::*;
    use proptest::prelude::*;
    use proptest::test_runner::RngSeed;

    /// A generated document, rendered one entry per line or all on one line, with comments.
    #[derive(Debug, Clone)]
    enum Doc {
        Number(i64),
        Text(String),
        Struct(Vec<(String, Doc)>),
        /// Elements are structs whose `name` is the key.
        Named(Vec<(String, Vec<(String, Doc)>)>),
        Map(Vec<(String, Doc)>),
        Some(Box<Doc>),
    }

    fn doc() -> impl Strategy<Value = Doc> {
        let leaf =
            prop_oneof![any::<i64>().prop_map(Doc::Number), "[a-z ()\\[\\]/\"]{0,8}".prop_map(Doc::Text)];
        leaf.prop_recursive(4, 40, 4, |inner| {
            let fields = prop::collection::btree_map("[a-z]{1,6}", inner.clone(), 0..4);
            prop_oneof![
                fields
                    .clone()
                    .prop_map(|m| Doc::Struct(m.into_iter().filter(|(k, _)| k != "name").collect())),
                prop::collection::btree_map("[a-z][a-z0-9-]{0,6}", fields, 0..4).prop_map(|m| Doc::Named(
                    m.into_iter()
                        .map(|(k, f)| (k, f.into_iter().filter(|(k, _)| k != "name").collect()))
                        .collect()
                )),
                prop::collection::btree_map("[a-z][a-z0-9.-]{0,6}", inner.clone(), 0..4)
                    .prop_map(|m| Doc::Map(m.into_iter().collect())),
                inner.prop_map(|d| Doc::Some(Box::new(d))),
            ]
        })
    }

    fn render(doc: &Doc, pretty: bool, out: &mut String) {
        let entries = |out: &mut String, items: &mut dyn Iterator<Item = (String, &Doc)>| {
            for (i, (key, value)) in items.enumerate() {
                out.push_str(if pretty {
                    "\n  "
                } else if i > 0 {
                    " "
                } else {
                    ""
                });
                out.push_str(&key);
                render(value, pretty, out);
                out.push_str(if pretty { ", // ) ]" } else { "," });
            }
            out.push_str(if pretty { "\n" } else { "" });
        };
        match doc {
            Doc::Number(n) => out.push_str(&n.to_string()),
            Doc::Text(s) => out.push_str(&quote(s)),
            Doc::Struct(fields) => {
                out.push_str("Rec( /* ( */");
                entries(out, &mut fields.iter().map(|(k, v)| (format!("{k}: "), v)));
                out.push(')');
            }
            Doc::Named(elements) => {
                out.push('[');
                for (name, fields) in elements {
                    out.push_str(&format!("(name: {}, ", quote(name)));
                    entries(out, &mut fields.iter().map(|(k, v)| (format!("{k}: "), v)));
                    out.push_str("),");
                }
                out.push(']');
            }
            Doc::Map(entries_) => {
                out.push('{');
                entries(out, &mut entries_.iter().map(|(k, v)| (format!("{}: ", quote(k)), v)));
                out.push('}');
            }
            Doc::Some(inner) => {
                out.push_str("Some(");
                render(inner, pretty, out);
                out.push(')');
            }
        }
    }

    /// Paths to every field and map value, and to one absent field per struct (to be inserted).
    fn paths(doc: &Doc, prefix: &[Segment], out: &mut Vec<Vec<Segment>>) {
        let under = |seg: Segment, value: &Doc, out: &mut Vec<Vec<Segment>>| {
            let mut p = prefix.to_vec();
            p.push(seg);
            out.push(p.clone());
            paths(value, &p, out);
        };
        let absent = |out: &mut Vec<Vec<Segment>>, prefix: Vec<Segment>| {
            out.push([prefix, vec![Segment::Field("new_field".into())]].concat());
        };
        match doc {
            Doc::Number(_) | Doc::Text(_) => {}
            Doc::Struct(fields) => {
                fields.iter().for_each(|(k, v)| under(Segment::Field(k.clone()), v, out));
                absent(out, prefix.to_vec());
            }
            Doc::Named(elements) => {
                for (name, fields) in elements {
                    let element = [prefix, &[Segment::Key(name.clone())]].concat();
                    for (k, v) in fields {
                        let p = [element.clone(), vec![Segment::Field(k.clone())]].concat();
                        out.push(p.clone());
                        paths(v, &p, out);
                    }
                    absent(out, element);
                }
            }
            Doc::Map(entries) => entries.iter().for_each(|(k, v)| under(Segment::Key(k.clone()), v, out)),
            Doc::Some(inner) => paths(inner, prefix, out),
        }
    }

    proptest! {
        // A fixed seed: the same cases on every run, so CI never meets a case no one has seen.
        #![proptest_config(ProptestConfig { rng_seed: RngSeed::Fixed(0x2026_1126), ..ProptestConfig::default() })]

        #[test]
        fn a_spliced_value_is_found_where_locate_says(
            fields in prop::collection::btree_map("[a-z]{1,6}", doc(), 1..4),
            pretty in any::<bool>(),
            pick in any::<prop::sample::Index>(),
            value in prop_oneof![Just("42"), Just("-1.5e3"), Just("Some(7)"), Just("\"s)\""), Just("[1, (a: 2)]"), Just("V(x: 1)")],
        ) {
            let root = Doc::Struct(fields.into_iter().filter(|(k, _)| k != "name").collect());
            let mut text = String::new();
            render(&root, pretty, &mut text);
            prop_assert!(ron::from_str::<ron::Value>(&text).is_ok(), "generated text ron rejects:\n{}", text);
            let mut all = Vec::new();
            paths(&root, &[], &mut all);
            let target = RonPath { segments: pick.get(&all).clone() };
            let spliced = set(&text, &[(&target.to_string(), value)]).map_err(|e| TestCaseError::fail(e.0))?;
            prop_assert!(ron::from_str::<ron::Value>(&spliced).is_ok(), "{}={} broke:\n{}", target, value, spliced);
            let at = locate(&spliced, &target).expect("located");
            let found = text_at(&spliced, at);
            prop_assert!(found.starts_with(value) || found.starts_with(&quote(value)), "{target}: found {found:?}");
            let origin = splice(&text, &[(target.clone(), value.to_string())]).unwrap().origin(at.0, at.1);
            prop_assert_eq!(origin, Override(0));
        }

        #[test]
        fn arbitrary_input_never_panics(source in "\\PC{0,80}", p in "\\PC{0,20}", value in "\\PC{0,12}") {
            if let Ok(parsed) = p.parse::<RonPath>() {
                prop_assert_eq!(parsed.to_string().parse::<RonPath>(), Ok(parsed.clone()));
                let _ = locate(&source, &parsed);
                if let Ok(spliced) = splice(&source, &[(parsed, value)]) {
                    let _ = spliced.origin(1, 3);
                }
            }
        }

        #[test]
        fn what_ron_accepts_the_tree_parser_accepts(source in "[(){}\\[\\],: a-c0-9\"'#!r/*\\\\\n.+-]{0,40}") {
            // Ranges (`a..b`, `..`; ron 0.12.3) are left out: no field of a model or scenario is one,
            // so typed parsing rejects them with a located error before the tree parser matters.
            if ron::from_str::<ron::Value>(&source).is_ok() && !source.contains("..") {
                prop_assert!(tree::parse_document(&source).is_ok(), "rejected {:?}", source);
            }
        }

        #[test]
        fn ron_like_input_never_panics(source in "[(){}\\[\\],: a-z0-9\"'#!r/*\\\\\n.+-]{0,60}", p in "[a-z]{1,2}(\\[[a-z0-9]\\])?") {
            let parsed: RonPath = p.parse().unwrap();
            let _ = locate(&source, &parsed);
            if let Ok(spliced) = splice(&source, &[(parsed, "1".into())]) {
                prop_assert!(tree::parse_document(&spliced.text).is_ok(), "{}", spliced.text);
            }
        }
    }
}
