//! The layout shows the flow, and the compiler's module tree is checked against it: data flows one way,
//! input → model → sim → analysis → present (→ the command line), so no module imports from a later
//! stage, and no two modules import each other, directly or through others.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::common::root;

/// The stages in flow order.
const STAGES: [&str; 6] = ["input", "model", "sim", "analysis", "present", "cli"];

fn stage_rank(stage: &str) -> Option<usize> {
    STAGES.iter().position(|s| *s == stage)
}

/// `(module, file text)` for every source file: the module is `stage::name`, the second level of the
/// tree (`sim::engine` for `src/sim/engine/steering.rs`), or the stage for its own file.
fn sources() -> Vec<(String, String)> {
    fn walk(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("src is readable") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let src = root().join("src");
    let mut files = Vec::new();
    walk(&src, &mut files);
    files
        .into_iter()
        .filter_map(|path| {
            let rel = path.strip_prefix(&src).ok()?.with_extension("");
            let parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into_owned()).collect();
            let module = match parts.as_slice() {
                [one] if one == "lib" || one == "main" => return None,
                [stage] => stage.clone(),
                [stage, name, ..] => format!("{stage}::{name}"),
                [] => return None,
            };
            Some((module, std::fs::read_to_string(&path).expect("readable")))
        })
        .collect()
}

/// The modules a file's text refers to through `crate::stage::name` paths (comments included: a doc
/// link to a later stage is a dependency of the reader's mind too).
fn references(text: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (i, _) in text.match_indices("crate::") {
        let rest = &text[i + "crate::".len()..];
        // `crate::stage::{a, b::c}`: each item names a module of the stage.
        if let Some((stage, group)) = rest.split_once("::{")
            && stage_rank(stage).is_some()
            && !stage.contains(|c: char| !c.is_alphanumeric() && c != '_')
        {
            let group = &group[..group.find('}').unwrap_or(group.len())];
            for item in group.split(',') {
                let name: String =
                    item.trim().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                match name.as_str() {
                    "" => {}
                    "self" => {
                        out.insert(stage.to_string());
                    }
                    n => {
                        out.insert(format!("{stage}::{n}"));
                    }
                }
            }
            continue;
        }
        let path: String =
            rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':').collect();
        let parts: Vec<&str> = path.split("::").filter(|p| !p.is_empty()).collect();
        match parts.as_slice() {
            [stage, name, ..]
                if stage_rank(stage).is_some() && name.chars().all(|c| c.is_lowercase() || c == '_') =>
            {
                out.insert(format!("{stage}::{name}"));
            }
            [stage, ..] if stage_rank(stage).is_some() => {
                out.insert(stage.to_string());
            }
            _ => {}
        }
    }
    out
}

fn stage_of(module: &str) -> &str {
    module.split("::").next().unwrap_or(module)
}

#[test]
fn no_module_imports_from_a_later_stage() {
    let mut upward = Vec::new();
    for (module, text) in sources() {
        let own = stage_rank(stage_of(&module)).expect("every source file is in a stage");
        for r in references(&text) {
            let theirs = stage_rank(stage_of(&r)).expect("a stage");
            if theirs > own {
                upward.push(format!("{module} uses {r}"));
            }
        }
    }
    upward.sort();
    upward.dedup();
    assert!(upward.is_empty(), "imports against the flow:\n{}", upward.join("\n"));
}

#[test]
fn modules_form_no_cycle() {
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, text) in sources() {
        let edges = graph.entry(module.clone()).or_default();
        for r in references(&text) {
            // A stage's own file is the parent of its modules, which may name each other through it.
            if r != module && r.contains("::") {
                edges.insert(r);
            }
        }
    }
    // Depth-first search; a back edge is a cycle.
    fn visit(
        node: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
        cycles: &mut Vec<String>,
    ) {
        state.insert(node.to_string(), 1);
        stack.push(node.to_string());
        for next in graph.get(node).into_iter().flatten() {
            match state.get(next.as_str()).copied().unwrap_or(0) {
                0 => visit(next, graph, state, stack, cycles),
                1 => {
                    let from = stack.iter().position(|s| s == next).unwrap_or(0);
                    cycles.push(format!("{} -> {next}", stack[from..].join(" -> ")));
                }
                _ => {}
            }
        }
        stack.pop();
        state.insert(node.to_string(), 2);
    }
    let (mut state, mut cycles) = (BTreeMap::new(), Vec::new());
    for node in graph.keys() {
        if state.get(node.as_str()).copied().unwrap_or(0) == 0 {
            visit(node, &graph, &mut state, &mut Vec::new(), &mut cycles);
        }
    }
    assert!(cycles.is_empty(), "module cycles:\n{}", cycles.join("\n"));
}

/// Paths name the module they reach (`crate::model::architecture::Model`, not a stage's re-export
/// `crate::model::Model`), or the checks above could not see the edge.
#[test]
fn paths_name_their_module() {
    let mut vague = Vec::new();
    for (module, text) in sources() {
        for (i, _) in text.match_indices("crate::") {
            let rest = &text[i + "crate::".len()..];
            let parts: Vec<&str> = rest.split("::").take(2).collect();
            if let [stage, next] = parts.as_slice()
                && stage_rank(stage).is_some()
                && next.starts_with(|c: char| c.is_uppercase())
            {
                vague.push(format!("{module}: crate::{stage}::{}", &next[..next.len().min(30)]));
            }
        }
    }
    assert!(vague.is_empty(), "paths through a stage's re-exports:\n{}", vague.join("\n"));
}

/// The checks above would pass on a tree they could not read: they must see every stage.
#[test]
fn the_layout_has_every_stage() {
    let modules: BTreeSet<String> = sources().into_iter().map(|(m, _)| stage_of(&m).to_string()).collect();
    for stage in STAGES {
        assert!(modules.contains(stage), "no source file in stage {stage}: {modules:?}");
    }
    assert!(references("use crate::sim::engine::Engine; crate::present::chart").contains("present::chart"));
    let grouped = references("use crate::analysis::{compare, report::Report, self};");
    assert!(grouped.contains("analysis::compare") && grouped.contains("analysis::report"), "{grouped:?}");
}
