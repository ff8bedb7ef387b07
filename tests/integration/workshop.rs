//! docs/workshop.md stays true: every command in it runs from a folder without the repository's files
//! (as with an installed binary: the examples are built in), each exercise has its question, prediction,
//! what to look at and answer, and every figure its answer tables quote lies within the 95% CI of a fresh
//! measurement by the command it shows (or, without a CI, equals it to its printed decimals).

use std::path::Path;

use serde_json::Value;

use crate::common::root;

/// One quoted figure: the row's design (a model name, or a swept value), the metric and the figure.
#[derive(Debug)]
struct Quoted {
    design: String,
    metric: String,
    value: f64,
    decimals: i32,
}

#[derive(Debug, Default)]
struct Section {
    title: String,
    text: String,
    commands: Vec<String>,
    quoted: Vec<Quoted>,
}

fn sections(doc: &str) -> Vec<Section> {
    let mut out: Vec<Section> = vec![Section::default()];
    let mut in_sh = false;
    for line in doc.lines() {
        if let Some(title) = line.strip_prefix("## ") {
            out.push(Section { title: title.to_string(), ..Section::default() });
            continue;
        }
        let s = out.last_mut().expect("a section");
        s.text.push_str(line);
        s.text.push('\n');
        if line.starts_with("```") {
            in_sh = !in_sh && line == "```sh";
            continue;
        }
        if in_sh && line.starts_with("regionsim ") {
            s.commands.push(line.to_string());
        }
        let cells: Vec<&str> = line.split('|').map(str::trim).collect();
        // `| design | metric | measured | 95% CI |` rows: cells[0] and the last are empty.
        if cells.len() == 6 && !cells[1].is_empty() && cells[2] != "metric" && !cells[2].starts_with("---") {
            let figure = cells[3].trim_end_matches('%');
            if let Ok(value) = figure.parse::<f64>() {
                let decimals = figure.split_once('.').map_or(0, |(_, d)| d.len() as i32);
                s.quoted.push(Quoted { design: cells[1].into(), metric: cells[2].into(), value, decimals });
            }
        }
    }
    out
}

/// The estimate of `metric` in a report (results.json's form) in the unit the guide quotes it in:
/// `(mean, half-width of the 95% CI)`.
fn estimate(report: &Value, metric: &str) -> (f64, f64) {
    let of = |v: &Value, scale: f64| -> (f64, f64) {
        let mean = v["mean"].as_f64().unwrap_or_else(|| panic!("{metric}: no mean in {v}"));
        let ci = v["ci95"].as_array().map(|c| (c[0].as_f64().unwrap_or(mean), c[1].as_f64().unwrap_or(mean)));
        let half = ci.map_or(0.0, |(lo, hi)| (hi - lo) / 2.0);
        (scale * mean, scale * half)
    };
    match metric {
        "availability" => of(&report["availability"], 100.0),
        "p50 latency [ms]" => of(&report["latency_ms"]["p50"], 1.0),
        "p99 latency [ms]" => of(&report["latency_ms"]["p99"], 1.0),
        "RTO [s]" => of(&report["failovers"]["rto_s"], 1.0),
        "RPO [s]" => of(&report["failovers"]["rpo_s"], 1.0),
        "writes lost" => of(&report["failovers"]["writes_lost"], 1.0),
        "cost [USD/month]" => {
            let c = &report["cost_usd_per_month"];
            let total = c["total"].as_f64().expect("a total");
            let ci = c["total_ci95"].as_array().expect("a CI");
            (total, (ci[1].as_f64().unwrap_or(total) - ci[0].as_f64().unwrap_or(total)) / 2.0)
        }
        other => panic!("the workshop quotes a metric this test does not know: {other}"),
    }
}

/// The report of `design` in the output of `verb`.
fn report_of<'a>(verb: &str, output: &'a Value, design: &str) -> &'a Value {
    match verb {
        "run" => output,
        "compare" => output["designs"]
            .as_array()
            .and_then(|d| d.iter().find(|d| d["name"] == design))
            .map(|d| &d["results"])
            .unwrap_or_else(|| panic!("no design {design} in the comparison")),
        "sweep" => output["points"]
            .as_array()
            .and_then(|p| {
                p.iter().find(|p| {
                    let values: Vec<&str> =
                        p["values"].as_array().into_iter().flatten().filter_map(Value::as_str).collect();
                    values.join(",") == design
                })
            })
            .map(|p| &p["results"])
            .unwrap_or_else(|| panic!("no sweep point {design}")),
        other => panic!("no figures come from {other}"),
    }
}

fn read_json(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn the_workshop_runs_and_its_numbers_are_what_regionsim_measures() {
    let doc = std::fs::read_to_string(root().join("docs/workshop.md")).expect("docs/workshop.md");
    let all = sections(&doc);
    let exercises: Vec<&Section> = all.iter().filter(|s| s.title.starts_with("Exercise")).collect();
    assert_eq!(exercises.len(), 6, "six exercises");
    for e in &exercises {
        for part in ["**Question.**", "**Predict.**", "**What to look at.**", "**Answer.**"] {
            assert!(e.text.contains(part), "{}: no {part}", e.title);
        }
        assert!(!e.commands.is_empty() && !e.quoted.is_empty(), "{}: a command and quoted figures", e.title);
    }
    // A folder without models/ or scenarios/: the built-in examples are what the room runs.
    let dir = tempfile::tempdir().expect("temp dir");
    let mut failures = Vec::new();
    for (k, s) in all.iter().enumerate() {
        let mut figures_from: Option<(String, Value)> = None;
        for (j, command) in s.commands.iter().enumerate() {
            let args = shlex::split(command).unwrap_or_else(|| panic!("not a shell line: {command}"));
            let verb = args[1].clone();
            let out = dir.path().join(format!("{k}-{j}"));
            let mut args: Vec<String> = args[1..].to_vec();
            args.extend(["-q".into(), "--out".into(), out.display().to_string()]);
            let o = std::process::Command::new(env!("CARGO_BIN_EXE_regionsim"))
                .current_dir(dir.path())
                .args(&args)
                .output()
                .expect("the binary runs");
            assert!(o.status.success(), "{command}: {}", String::from_utf8_lossy(&o.stderr));
            let file = match verb.as_str() {
                "run" => Some("results.json"),
                "compare" => Some("compare.json"),
                "sweep" => Some("sweep.json"),
                _ => None,
            };
            if let (Some(file), None) = (file, &figures_from) {
                figures_from = Some((verb, read_json(&out.join(file))));
            }
        }
        if s.quoted.is_empty() {
            continue;
        }
        let (verb, output) =
            figures_from.as_ref().unwrap_or_else(|| panic!("{}: figures but no study", s.title));
        // "the sweep recommends N instances": the point the sweep chose.
        if let Some(n) = s.text.split("the sweep recommends").nth(1).and_then(|r| r.split_whitespace().next())
        {
            let chosen = output["chosen"].as_u64().map(|i| &output["points"][i as usize]["values"]);
            let chosen: Vec<&str> =
                chosen.and_then(Value::as_array).into_iter().flatten().filter_map(Value::as_str).collect();
            if chosen != [n] {
                failures.push(format!(
                    "{}: the guide says the sweep recommends {n}, it chose {chosen:?}",
                    s.title
                ));
            }
        }
        for q in &s.quoted {
            let (mean, half) = estimate(report_of(verb, output, &q.design), &q.metric);
            let rounding = 0.5 * 10f64.powi(-q.decimals);
            if (q.value - mean).abs() > half + rounding + 1e-9 {
                failures.push(format!(
                    "{}: {} {} quoted {} but measured {mean:.4} ± {half:.4}",
                    s.title, q.design, q.metric, q.value
                ));
            }
        }
    }
    assert!(failures.is_empty(), "docs/workshop.md has drifted from the code:\n{}", failures.join("\n"));
}
