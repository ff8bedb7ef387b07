//! `regionsim trace` and the run report's "What happened": a traced replication observes what the
//! untraced one does, its story tells each step of a failover at the instant the model implies, its
//! outcome series shows the outage, its window keeps only its events, and a report's story is the one
//! `trace` tells for the replication it shows.

use std::path::Path;

use regionsim::analysis::story::{self, StoryLine};
use regionsim::analysis::trace::{self as traced, Traced};
use regionsim::model::study::Study;
use regionsim::sim::engine;
use regionsim::sim::montecarlo::RunOptions;
use regionsim::sim::trace::{What, Window};

use crate::common::{load, regionsim, root};

/// The active-passive model on the region outage (us-east-1 dark from 1,800 s), one replication.
/// `ttl_violators` off: every client's cache expires uniformly over the 60 s TTL, so the share that
/// has followed an answer change `a` seconds ago is `a / 60`.
fn failover(sets: &[&str]) -> Study {
    let mut all =
        vec!["steering.ttl_violators=(share: 0.0, extra_staleness: Fixed(ms: 0.0))", "horizon_s=3600"];
    all.extend_from_slice(sets);
    load(
        &root().join("models/active-passive.ron"),
        &root().join("scenarios/region-outage.ron"),
        &all,
        Some(1),
        None,
    )
    .expect("the failover study loads")
}

fn whole(study: &Study) -> Window {
    Window { from_s: 0.0, to_s: study.scenario.horizon.as_secs_f64() }
}

fn line<'a>(lines: &'a [StoryLine], kind: &str, needle: &str) -> &'a StoryLine {
    lines
        .iter()
        .find(|l| l.kind == kind && l.text.contains(needle))
        .unwrap_or_else(|| panic!("no {kind} line with '{needle}' in {lines:#?}"))
}

/// Tracing draws no random number and decides nothing: the observations of a traced replication are
/// the untraced one's, byte for byte, under sampled and full fidelity, with retries, gray failures and
/// zonal stores.
#[test]
fn tracing_never_changes_what_a_replication_observes() {
    let studies = [
        ("models/active-passive.ron", "scenarios/region-outage.ron", vec!["horizon_s=3600"]),
        ("models/active-passive.ron", "scenarios/region-outage.ron", vec!["horizon_s=2400", "fidelity=Full"]),
        ("models/retry-storm.ron", "scenarios/retry-storm.ron", vec![]),
        ("models/multi-az-database.ron", "scenarios/zone-outage.ron", vec![]),
    ];
    for (model, scenario, sets) in studies {
        let study = load(&root().join(model), &root().join(scenario), &sets, Some(1), None).expect(model);
        let (m, s) = (&study.model, &study.scenario);
        let plain = engine::run(m, s, s.seed, 0).expect("runs");
        let (with_trace, trace) = engine::run_traced(m, s, s.seed, 0, whole(&study)).expect("runs traced");
        assert!(!trace.events.is_empty(), "{model} × {scenario}: an outage leaves events");
        assert_eq!(
            serde_json::to_string(&plain).expect("serializes"),
            serde_json::to_string(&with_trace).expect("serializes"),
            "{model} × {scenario} {sets:?}: tracing changed the observations"
        );
    }
}

/// Each step of the failover at the instant the model implies: the outage at its injected start; the
/// health checks' verdict within their closed-form bounds (a checker's first probe after the failure
/// comes within one 30 s interval, then 2 more intervals, then the 4 s timeout: 64 to 94 s); the DNS
/// answers 5 s later (Route 53's propagation, the model's default); 90% of clients moved 54 s after
/// that (0.9 × the 60 s TTL); the replica promoted after its fixed one minute; the writes lost and
/// the RTO those of the replication's observations.
#[test]
fn the_story_tells_a_failover_at_the_instants_the_model_implies() {
    let study = failover(&[]);
    let t: Traced = traced::trace(&study, &[], 0, whole(&study)).expect("runs");
    let s = &t.story;
    assert_eq!(line(s, "down", "region us-east-1 fails (injected)").t_s, 1800.0);
    assert_eq!(line(s, "incident", "us-east-1 stops serving users-eu and users-us").t_s, 1800.0);
    let unhealthy = line(s, "unhealthy", "health checks declare us-east-1 unhealthy (13 of 15 checkers)").t_s;
    assert!((1864.0..=1894.0).contains(&unhealthy), "detected at {unhealthy}");
    let switch =
        line(s, "answer_changed", "DNS answers for users-us switch to us-west-2 (from us-east-1)").t_s;
    assert!((switch - (unhealthy + 5.0)).abs() < 1e-6, "switch {switch}, detection {unhealthy}");
    let moved = line(s, "clients_moved", "90% of users-us's clients have moved to us-west-2").t_s;
    assert!((moved - (switch + 54.0)).abs() < 2e-3, "90% moved at {moved}, switch at {switch}");
    assert_eq!(line(s, "promoted", "store orders@us-west-2 promoted").t_s, 1860.0);
    let f = &t.failovers[0];
    let lost = line(s, "writes_lost", "writes to store orders@us-east-1 lost");
    assert!(lost.text.starts_with(&format!("{} write", f.writes_lost)), "{lost:?} vs {f:?}");
    let rto = f.rto_s.expect("recovered");
    let recovered = line(s, "recovered", "users-us recovered");
    let users_us_rto = t
        .trace
        .events
        .iter()
        .find_map(|e| match e.what {
            What::Recovered { after_s } if e.population.as_deref() == Some("users-us") => Some(after_s),
            _ => None,
        })
        .expect("a recovery event");
    assert!(users_us_rto <= rto + 1e-9 && (recovered.t_s - (1800.0 + users_us_rto)).abs() < 1e-6);
    assert!(recovered.text.contains(&format!("RTO {}", story::seconds(users_us_rto))), "{recovered:?}");
    // In time order, and no milestone after the trace's end.
    assert!(s.windows(2).all(|w| w[0].t_s <= w[1].t_s));
    assert!(s.iter().all(|l| l.t_s <= 3600.0));
}

/// At full fidelity the outcome series shows the outage as it must be: while us-east-1 is dark and
/// DNS still sends every client there, no request succeeds; before it, nearly all do.
#[test]
fn the_outcome_series_shows_no_success_while_the_only_serving_region_is_dark() {
    let study = failover(&["horizon_s=2400", "fidelity=Full"]);
    let t = traced::trace(&study, &[], 0, Window { from_s: 1700.0, to_s: 2400.0 }).expect("runs");
    let switch =
        t.trace.events.iter().find(|e| matches!(e.what, What::AnswerChanged { .. })).expect("a switch").t_s;
    let s = &t.trace.series;
    let (mut before, mut dark) = ([0u64; 2], [0u64; 2]);
    for bins in &s.outcomes {
        for (k, [ok, failed]) in bins.iter().enumerate() {
            let (a, b) = (s.from_s + k as f64 * s.bin_s, s.from_s + (k + 1) as f64 * s.bin_s);
            let slot = if b <= 1800.0 {
                &mut before
            } else if a > 1800.0 && b <= switch {
                &mut dark
            } else {
                continue;
            };
            slot[0] += u64::from(*ok);
            slot[1] += u64::from(*failed);
        }
    }
    assert!(dark[1] > 10_000, "the dark stretch holds failures: {dark:?}");
    assert_eq!(dark[0], 0, "a request succeeded while the only serving region was dark: {dark:?}");
    assert!(before[0] as f64 >= 0.999 * (before[0] + before[1]) as f64, "{before:?}");
}

/// A window keeps the events inside it only, and opens with the answers adopted before it (the
/// failover's, here).
#[test]
fn a_window_keeps_only_its_events_and_opens_with_the_answers_of_then() {
    let study = failover(&[]);
    let t = traced::trace(&study, &[], 0, Window { from_s: 2000.0, to_s: 3000.0 }).expect("runs");
    assert!(t.trace.events.iter().all(|e| (2000.0..=3000.0).contains(&e.t_s)), "{:?}", t.trace.events);
    assert_eq!(t.trace.answers_at_start, [["us-west-2"], ["us-west-2"]]);
    assert!(t.story.iter().all(|l| !l.text.contains("fails (injected)")));
}

/// `regionsim VERB models/active-passive.ron scenarios/region-outage.ron EXTRA... --out OUT`, from the
/// repository.
fn on_the_outage(verb: &str, extra: &[&str], out: &Path) -> std::process::Output {
    let mut args = vec![verb, "models/active-passive.ron", "scenarios/region-outage.ron"];
    args.extend_from_slice(extra);
    args.extend(["--out", out.to_str().expect("utf-8")]);
    regionsim(&args)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The documented kinds of `trace.jsonl` (docs/trace.md), each in backquotes in its table.
fn documented_kinds() -> Vec<String> {
    let doc = read(&root().join("docs/trace.md"));
    doc.lines()
        .filter(|l| l.starts_with("| `"))
        .filter_map(|l| l.split('`').nth(1).map(str::to_string))
        .collect()
}

/// The verb as a user runs it: the narration printed, every file written, every line of
/// `trace.jsonl` a JSON object with a time (in order) and a documented kind.
#[test]
fn regionsim_trace_narrates_and_writes_its_files() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("t");
    let o = on_the_outage("trace", &["--set", "horizon_s=3600"], &out);
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(o.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&o.stderr));
    assert!(stdout.contains("00:30:00 region us-east-1 fails (injected)"), "{stdout}");
    assert!(stdout.contains("health checks declare us-east-1 unhealthy (13 of 15 checkers)"), "{stdout}");
    let kinds = documented_kinds();
    assert!(kinds.len() >= 14, "docs/trace.md documents the kinds: {kinds:?}");
    let mut last = f64::NEG_INFINITY;
    let jsonl = read(&out.join("trace.jsonl"));
    for l in jsonl.lines() {
        let v: serde_json::Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{l}: {e}"));
        let t = v["t_s"].as_f64().unwrap_or_else(|| panic!("no t_s: {l}"));
        assert!(t >= last && t <= 3600.0, "{l}");
        last = t;
        let kind = v["kind"].as_str().unwrap_or_else(|| panic!("no kind: {l}"));
        assert!(kinds.iter().any(|k| k == kind), "undocumented kind {kind}");
    }
    assert!(jsonl.lines().count() >= 10);
    let md = read(&out.join("trace.md"));
    assert!(md.contains("## What happened") && md.contains("regionsim trace"), "{md}");
    let csv = read(&out.join("series.csv"));
    assert!(csv.starts_with("bin_start_s,bin_s,population,succeeded,failed\n"));
    let html = read(&out.join("trace.html"));
    assert!(html.contains("What happened") && html.contains("<svg"));
    let png = std::fs::read(out.join("charts/trace_timeline.png")).expect("the chart's PNG");
    let facts = crate::support::png_facts(&png, "trace_timeline.png");
    assert!(facts.width == 1280 && facts.height > 720 && facts.colours > 8);
}

/// Windows that cannot be followed are errors that say why, with exit 2, before anything runs.
#[test]
fn a_trace_window_outside_the_horizon_is_refused() {
    for (args, says) in [
        (vec!["--from", "00:40:00", "--to", "00:20:00"], "--from 00:40:00 is not before --to 00:20:00"),
        (vec!["--to", "2h"], "--to 02:00:00 is past the horizon (01:00:00)"),
        (vec!["--from", "soon"], "is not an instant"),
    ] {
        let mut all = vec![
            "trace",
            "models/active-passive.ron",
            "scenarios/region-outage.ron",
            "--set",
            "horizon_s=3600",
        ];
        all.extend(args);
        let o = regionsim(&all);
        let stderr = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{all:?}: {stderr}");
        assert!(stderr.contains(says), "{all:?}: {stderr}");
    }
}

/// The run report's close-up of its replication's failover (the availability chart's zoomed panel)
/// frames the outage and shows it at the trace's resolution: at full fidelity, every bin wholly
/// between the outage (1,800 s) and the DNS change is 0% (us-east-1 is the only serving region), the
/// bins before it nearly 100%, and the bins are seconds wide where the whole timeline's are 90 s.
#[test]
fn the_run_report_zooms_on_its_failover_at_the_traces_resolution() {
    let study = failover(&["fidelity=Full", "horizon_s=7200"]);
    let report = regionsim::analysis::report::run(&study, &[], &RunOptions::default()).expect("runs");
    let c = report.representative.close_up.as_ref().expect("a close-up of the failover");
    assert!(c.from_s <= 1_740.0 && c.to_s > 1_860.0 && c.to_s - c.from_s < 3_600.0, "{c:?}");
    assert!(c.bins.iter().all(|b| b[1] <= 10.0), "bins of at most 10 s");
    let story = report.representative.story.as_ref().expect("a story");
    let switch = story.iter().find(|l| l.kind == "answer_changed").expect("a DNS change").t_s;
    let (mut before, mut dark) = ([0.0; 2], [0.0; 2]);
    for b in &c.bins {
        let (start, end) = (b[0], b[0] + b[1]);
        let slot = if end <= 1_800.0 {
            &mut before
        } else if start > 1_800.0 && end <= switch {
            &mut dark
        } else {
            continue;
        };
        slot[0] += b[2];
        slot[1] += b[3];
    }
    assert!(dark[1] > 1_000.0 && dark[0] == 0.0, "dark: {dark:?}");
    assert!(before[0] >= 0.999 * before[1] && before[1] > 1_000.0, "before: {before:?}");
    assert!(c.skipped.is_empty(), "full fidelity fast-forwards nothing");
}

/// The run report tells the story of the replication it shows, and the command it gives for the
/// details, pasted, traces that same replication: the same lines.
#[test]
fn a_run_report_tells_what_happened_in_the_replication_it_shows() {
    let dir = tempfile::tempdir().expect("temp dir");
    let run_dir = dir.path().join("run");
    let o = on_the_outage("run", &["--replications", "3", "--set", "horizon_s=3600", "-q"], &run_dir);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let summary = read(&run_dir.join("summary.md"));
    let section = summary.split("## What happened").nth(1).expect("a What happened section");
    let section = section.split("\n## ").next().unwrap_or(section);
    let told: Vec<&str> = section.lines().filter(|l| l.starts_with("| 00:")).collect();
    assert!(told.iter().any(|l| l.contains("region us-east-1 fails (injected)")), "{section}");
    let command = section
        .lines()
        .find_map(|l| l.split("All of it: ").nth(1).or_else(|| l.split("its details: ").nth(1)))
        .expect("the trace command")
        .trim_end_matches('*');
    let mut args = shlex::split(command).expect("a shell line");
    assert_eq!(&args[..2], ["regionsim", "trace"]);
    let trace_dir = dir.path().join("trace");
    args.extend(["-q".into(), "--out".into(), trace_dir.display().to_string()]);
    let args: Vec<&str> = args.iter().skip(1).map(String::as_str).collect();
    let o = regionsim(&args);
    assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    let traced = read(&trace_dir.join("trace.md"));
    for l in &told {
        assert!(traced.contains(l), "the report says\n{l}\nwhich its trace does not:\n{traced}");
    }
}

/// Regression (the built-in example's temporary copy): a study named by a built-in example from a
/// folder without it used to record the path of a temporary copy, deleted on exit, in its reproduce
/// line. It names the example, and the line, pasted in that folder, runs.
#[test]
fn built_in_example_reproduce_line_names_the_example_not_a_temporary_copy() {
    let dir = tempfile::tempdir().expect("temp dir");
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_regionsim"))
            .current_dir(dir.path())
            .args(args)
            .output()
            .expect("binary runs")
    };
    let o =
        run(&["run", "single-region", "steady-state", "--replications", "2", "--set", "horizon_s=120", "-q"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let summary = read(&dir.path().join("output/single-region--steady-state/summary.md"));
    assert!(!summary.contains("regionsim-examples-"), "{summary}");
    let line = summary
        .lines()
        .find(|l| l.starts_with("regionsim run single-region steady-state"))
        .unwrap_or_else(|| panic!("no reproduce line naming the example:\n{summary}"));
    let args = shlex::split(line).expect("a shell line");
    let mut args: Vec<&str> = args.iter().skip(1).map(String::as_str).collect();
    args.extend(["-q", "--out", "again"]);
    let o = run(&args);
    assert!(o.status.success(), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
    assert!(dir.path().join("again/results.json").is_file());
}

/// The README's and docs/trace.md's excerpts of a narration are what the command they show prints.
#[test]
fn the_documented_narrations_are_what_trace_prints() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("t");
    let o = on_the_outage("trace", &["--replication", "2"], &out);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let printed = String::from_utf8_lossy(&o.stdout);
    for doc in ["README.md", "docs/trace.md"] {
        let text = read(&root().join(doc));
        let excerpt = text
            .split("--replication 2\n```\n")
            .nth(1)
            .and_then(|rest| rest.split("```text\n").nth(1))
            .and_then(|block| block.split("```").next())
            .unwrap_or_else(|| panic!("{doc}: no narration excerpt after the trace command"));
        assert!(excerpt.lines().count() >= 5, "{doc}: {excerpt}");
        for line in excerpt.lines() {
            assert!(printed.contains(line), "{doc} quotes\n{line}\nwhich trace does not print:\n{printed}");
        }
    }
}

/// A study of one replication traces it while it runs instead of simulating it a second time for its
/// story (the replay doubled the work of every one-replication run): its report is the one the replay
/// gives, byte for byte in results.json, story, close-up and timeline included.
#[test]
fn one_replication_is_simulated_once_and_reports_as_if_replayed() {
    use regionsim::analysis::report::{self, Aggregate};
    use regionsim::sim::montecarlo;
    let study = failover(&["horizon_s=7200"]);
    assert_eq!(study.scenario.replications, 1);
    let traced_once = report::run(&study, &[], &RunOptions::default()).expect("runs");
    let mut aggregate = Aggregate::new(&study, &[]);
    aggregate.add(&montecarlo::replay(&study.model, &study.scenario, 0).expect("replays"));
    let replayed = aggregate.replayed().expect("replays");
    assert!(traced_once.representative.story.as_ref().is_some_and(|s| !s.is_empty()), "a story is told");
    assert!(traced_once.representative.close_up.is_some(), "the failover gets its close-up");
    assert_eq!(
        serde_json::to_string(&traced_once).expect("serialises"),
        serde_json::to_string(&replayed).expect("serialises")
    );
}
