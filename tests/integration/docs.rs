//! Documentation that lives in the repository: every citation of `docs/references.md#anchor` or
//! `docs/architecture.md#anchor` resolves to an anchor those files define, and nothing cites a file
//! outside the repository.

use std::collections::BTreeSet;
use std::path::Path;

use crate::common::root;

/// Every text file of the repository the project writes: sources, models, scenarios, docs, tests.
fn files() -> Vec<std::path::PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else { return };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                walk(&p, out);
            } else if p.extension().is_some_and(|x| ["rs", "ron", "md", "toml", "sh"].iter().any(|e| x == *e))
            {
                out.push(p);
            }
        }
    }
    let mut out = vec![root().join("README.md"), root().join("Cargo.toml")];
    for d in ["src", "models", "scenarios", "docs", "tests", "benches", "data", ".ci"] {
        walk(&root().join(d), &mut out);
    }
    out.retain(|p| p.exists());
    out
}

/// The anchors a Markdown file defines: explicit `<a id="...">` and headings (GitHub's slugs).
fn anchors(doc: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for line in doc.lines() {
        if let Some(rest) = line.split("<a id=\"").nth(1) {
            out.insert(rest.split('"').next().unwrap_or("").to_string());
        }
        if let Some(h) = line.strip_prefix('#') {
            let title = h.trim_start_matches('#').trim().to_lowercase();
            let slug: String = title
                .chars()
                .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-' || *c == '_')
                .map(|c| if c == ' ' { '-' } else { c })
                .collect();
            out.insert(slug);
        }
    }
    out
}

#[test]
fn every_cited_anchor_exists() {
    let mut missing = Vec::new();
    for doc in ["docs/references.md", "docs/architecture.md"] {
        let defined = anchors(&std::fs::read_to_string(root().join(doc)).expect("the doc exists"));
        assert!(defined.len() > 10, "{doc}: too few anchors found: {defined:?}");
        for f in files().into_iter().filter(|f| !f.ends_with("tests/integration/docs.rs")) {
            let text = std::fs::read_to_string(&f).unwrap_or_default();
            for (i, _) in text.match_indices(&format!("{doc}#")) {
                let anchor: String = text[i + doc.len() + 1..]
                    .chars()
                    .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '-')
                    .collect();
                if !defined.contains(&anchor) {
                    missing.push(format!("{}: {doc}#{anchor}", f.strip_prefix(root()).unwrap().display()));
                }
            }
        }
    }
    assert!(missing.is_empty(), "citations of anchors that do not exist:\n{}", missing.join("\n"));
}

#[test]
fn nothing_cites_a_file_outside_the_repository() {
    let mut outside = Vec::new();
    for f in files() {
        let text = std::fs::read_to_string(&f).unwrap_or_default();
        let rel = f.strip_prefix(root()).unwrap().display().to_string();
        if rel == "tests/integration/docs.rs" {
            continue;
        }
        // Spelled in pieces so that this file does not itself contain what it looks for.
        let needles = [
            concat!("shared", "/reference"),
            concat!("figures", ".md"),
            concat!("DESIGN", ".md"),
            concat!("..", "/shared"),
        ];
        for needle in needles {
            if text.contains(needle) {
                outside.push(format!("{rel}: {needle}"));
            }
        }
    }
    assert!(outside.is_empty(), "citations of files outside the repository:\n{}", outside.join("\n"));
}
