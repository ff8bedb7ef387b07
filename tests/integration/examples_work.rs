//! Issue 15, item 10: `services[api].instances=6` in the help and in an error message was an invalid
//! path. Every command example of the README, the docs and the `--help` texts is run here: simulations
//! are checked with `validate` on the same files and `--set`s (a run would take minutes), the rest as
//! written.

use std::path::{Path, PathBuf};

use crate::common::{regionsim, root};

/// The command lines of the Markdown file's code blocks that call regionsim on real files.
fn commands(markdown: &str) -> Vec<Vec<String>> {
    let mut out = Vec::new();
    let mut in_code = false;
    let mut pending = String::new();
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            in_code = !in_code;
            continue;
        }
        if !in_code {
            continue;
        }
        let line = line.split("  #").next().unwrap_or_default().trim_end();
        if let Some(head) = line.strip_suffix('\\') {
            pending.push_str(head);
            pending.push(' ');
            continue;
        }
        pending.push_str(line);
        let full = std::mem::take(&mut pending);
        let full = full.trim();
        let rest = full.strip_prefix("cargo run --release -- ").or_else(|| full.strip_prefix("regionsim "));
        let Some(rest) = rest else { continue };
        // Synopses (`regionsim run MODEL SCENARIO [options]`) are not examples.
        let placeholder = |w: &str| {
            let w = w.trim_matches(|c: char| "[].|".contains(c));
            w.len() > 1 && w.chars().all(|c| c.is_ascii_uppercase() || c == '_')
        };
        if rest.split_whitespace().any(placeholder) {
            continue;
        }
        let mut words = shlex::split(rest).unwrap_or_else(|| panic!("cannot split {rest}"));
        // The shell's part (`> file`, `| head`, `&& man ...`) is not regionsim's.
        if let Some(at) = words.iter().position(|w| [">", "|", "&&", ";"].contains(&w.as_str())) {
            words.truncate(at);
        }
        out.push(words);
    }
    out
}

/// The value of every `--NAME VALUE` in `words`.
fn values<'a>(words: &'a [String], name: &str) -> Vec<&'a str> {
    words.windows(2).filter(|w| w[0] == name).map(|w| w[1].as_str()).collect()
}

/// The positional arguments after the verb (flags and their values left out).
fn positional(words: &[String]) -> Vec<&str> {
    let mut out = Vec::new();
    let mut i = 1;
    while i < words.len() {
        if words[i].starts_with("--") || words[i] == "-q" {
            i += if ["--quiet", "-q"].contains(&words[i].as_str()) { 1 } else { 2 };
        } else {
            out.push(words[i].as_str());
            i += 1;
        }
    }
    out
}

/// `PATH=FROM..TO:STEP` or `PATH=V1,V2` as its first `PATH=VALUE`.
fn first_value(vary: &str) -> String {
    let (path, spec) = vary.split_once('=').expect("PATH=VALUES");
    let first = spec.split("..").next().unwrap_or(spec).split(',').next().unwrap_or(spec);
    format!("{path}={first}")
}

fn validate(model: &str, scenario: &str, sets: &[String], what: &str) {
    let mut args = vec!["validate".to_string(), model.into(), scenario.into()];
    for s in sets {
        args.extend(["--set".to_string(), s.clone()]);
    }
    let refs: Vec<&str> = args.iter().map(String::as_str).collect();
    let out = regionsim(&refs);
    assert_eq!(out.status.code(), Some(0), "{what}\n{args:?}\n{}", String::from_utf8_lossy(&out.stderr));
}

fn results_file(dir: &Path) -> PathBuf {
    let out = dir.join("mmc");
    let o = regionsim(&[
        "run",
        "models/validation/mmc.ron",
        "scenarios/validation/mmc.ron",
        "--replications",
        "2",
        "--set",
        "horizon_s=30",
        "-q",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    out.join("results.json")
}

fn check(words: &[String], what: &str, results: &Path) {
    let sets: Vec<String> = values(words, "--set").into_iter().map(String::from).collect();
    let pos = positional(words);
    match words[0].as_str() {
        "validate" => {
            let out = regionsim(&words.iter().map(String::as_str).collect::<Vec<_>>());
            assert_eq!(
                out.status.code(),
                Some(0),
                "{what}: {words:?}\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        "run" => validate(pos[0], pos[1], &sets, what),
        "compare" => {
            let scenario = values(words, "--scenario")[0];
            for model in &pos {
                validate(model, scenario, &sets, what);
            }
        }
        "sweep" => {
            let mut all = sets.clone();
            all.extend(values(words, "--vary").into_iter().map(first_value));
            validate(pos[0], pos[1], &all, what);
        }
        "report" => {
            let dir = tempfile::tempdir().unwrap();
            let mut args = vec!["report".to_string(), results.display().to_string(), "-q".into()];
            for s in &sets {
                args.extend(["--set".to_string(), s.clone()]);
            }
            args.extend(["--out".to_string(), dir.path().join("r").display().to_string()]);
            let out = regionsim(&args.iter().map(String::as_str).collect::<Vec<_>>());
            assert_eq!(
                out.status.code(),
                Some(0),
                "{what}: {args:?}\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        "merge" => {
            // The example's partials come from shards run before it: stand two real ones in for them.
            let dir = tempfile::tempdir().unwrap();
            let parts = dir.path().join("parts");
            for shard in ["0/2", "1/2"] {
                let o = regionsim(&[
                    "run",
                    "models/validation/mmc.ron",
                    "tests/fixtures/mmc_short.ron",
                    "-q",
                    "--shard",
                    shard,
                    "--out",
                    parts.to_str().unwrap(),
                ]);
                assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            }
            let mut args = vec!["merge".to_string()];
            for i in 0..2 {
                args.push(parts.join(format!("shard-{i:04}-of-0002.partial")).display().to_string());
            }
            assert!(values(words, "--out").len() == 1, "{what}: {words:?} names no --out");
            args.extend(["-q".into(), "--out".into(), dir.path().join("merged").display().to_string()]);
            let out = regionsim(&args.iter().map(String::as_str).collect::<Vec<_>>());
            assert_eq!(
                out.status.code(),
                Some(0),
                "{what}: {words:?}\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        other => {
            let out = regionsim(&words.iter().map(String::as_str).collect::<Vec<_>>());
            assert_eq!(
                out.status.code(),
                Some(0),
                "{what}: {other} {words:?}\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
    }
}

#[test]
fn every_command_example_in_the_readme_and_docs_works_when_pasted() {
    let dir = tempfile::tempdir().unwrap();
    let results = results_file(dir.path());
    let mut seen = 0;
    let mut files = vec![root().join("README.md")];
    for entry in std::fs::read_dir(root().join("docs")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            files.push(path);
        }
    }
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        for words in commands(&text) {
            check(&words, &file.display().to_string(), &results);
            seen += 1;
        }
    }
    assert!(seen >= 10, "only {seen} examples found: is the extraction still right?");
}

#[test]
fn every_example_in_the_help_texts_is_a_valid_path() {
    let dir = tempfile::tempdir().unwrap();
    let results = results_file(dir.path());
    let mut seen = 0;
    for verb in ["validate", "run", "report", "compare", "sweep"] {
        let out = regionsim(&[verb, "--help"]);
        let help = String::from_utf8_lossy(&out.stdout).to_string();
        for chunk in help.split('`').skip(1).step_by(2) {
            let example = chunk.trim_matches('\'');
            if !example.contains('=') || example.contains("PATH") || example.contains(' ') {
                continue;
            }
            let set = if example.contains("..") || example.contains(',') {
                first_value(example)
            } else {
                example.into()
            };
            if verb == "report" {
                check(&["report".into(), "--set".into(), set], "report --help", &results);
            } else {
                validate(
                    "models/single-region.ron",
                    "scenarios/zone-outage.ron",
                    &[set],
                    &format!("{verb} --help"),
                );
            }
            seen += 1;
        }
    }
    assert!(seen >= 4, "only {seen} examples found in the help texts");
}
