//! Shards and their merge: `--shard I/N` writes a partial file, `merge` of every shard writes the very
//! bytes one process writes (run, compare, sweep; shards of unequal sizes), and every way a set of
//! partials can be wrong is refused with a message naming it, exit 2.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use sha2::{Digest, Sha256};

use crate::common::regionsim;

const MODEL: &str = "models/active-passive.ron";
const SCENARIO: &str = "scenarios/region-outage.ron";

fn ok(out: &Output, what: &str) {
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{what}: exit {:?}\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Every file under `dir` by relative path, with its bytes.
fn files(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    fn walk(base: &Path, dir: &Path, out: &mut BTreeMap<String, Vec<u8>>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                walk(base, &p, out);
            } else {
                let rel = p.strip_prefix(base).unwrap().to_string_lossy().into_owned();
                out.insert(rel, std::fs::read(&p).unwrap());
            }
        }
    }
    let mut out = BTreeMap::new();
    walk(dir, dir, &mut out);
    out
}

fn assert_same_files(single: &Path, merged: &Path, expected: &[&str]) {
    let (a, b) = (files(single), files(merged));
    for f in expected {
        assert!(a.contains_key(*f), "the single run wrote no {f}: {:?}", a.keys().collect::<Vec<_>>());
    }
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>(), "different files");
    for (name, bytes) in &a {
        assert!(bytes == &b[name], "{name} differs between the single run and the merge");
    }
}

/// Runs `args` once whole into `single`, and as `n` shards into `parts`; returns the partials.
fn single_and_shards(args: &[&str], n: u32, single: &Path, parts: &Path) -> Vec<PathBuf> {
    let mut whole = args.to_vec();
    whole.extend(["--quiet", "--out", single.to_str().unwrap()]);
    ok(&regionsim(&whole), "the single run");
    (0..n)
        .map(|i| {
            let shard = format!("{i}/{n}");
            let mut a = args.to_vec();
            a.extend(["--quiet", "--shard", &shard, "--out", parts.to_str().unwrap()]);
            ok(&regionsim(&a), &format!("shard {shard}"));
            parts.join(format!("shard-{i:04}-of-{n:04}.partial"))
        })
        .collect()
}

fn merge(partials: &[PathBuf], out: &Path) -> Output {
    let mut args: Vec<String> = vec!["merge".into()];
    args.extend(partials.iter().map(|p| p.display().to_string()));
    args.extend(["--quiet".into(), "--out".into(), out.display().to_string()]);
    regionsim(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

#[test]
fn a_run_in_three_unequal_shards_merges_into_the_bytes_of_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let (single, parts, merged) =
        (dir.path().join("single"), dir.path().join("parts"), dir.path().join("merged"));
    let partials = single_and_shards(
        &["run", MODEL, SCENARIO, "--replications", "7", "--set", "horizon_s=7200", "--set", "warmup_s=60"],
        3,
        &single,
        &parts,
    );
    // 7 replications in 3 shards: 2, 2 and 3.
    let records = |p: &Path| std::fs::read_to_string(p).unwrap().lines().count() - 2;
    assert_eq!(partials.iter().map(|p| records(p)).collect::<Vec<_>>(), [2, 2, 3]);
    // Any order on the command line.
    let reversed: Vec<PathBuf> = partials.iter().rev().cloned().collect();
    ok(&merge(&reversed, &merged), "the merge");
    assert_same_files(&single, &merged, &["results.json", "runs.csv", "summary.md", "report.html"]);
    assert!(files(&merged).keys().any(|k| k.starts_with("charts/") && k.ends_with(".svg")));
}

#[test]
fn a_comparison_in_two_shards_merges_into_the_bytes_of_one_comparison() {
    let dir = tempfile::tempdir().unwrap();
    let (single, parts, merged) =
        (dir.path().join("single"), dir.path().join("parts"), dir.path().join("merged"));
    let partials = single_and_shards(
        &[
            "compare",
            MODEL,
            "models/warm-standby.ron",
            "--scenario",
            SCENARIO,
            "--replications",
            "5",
            "--set",
            "horizon_s=7200",
            "--set",
            "warmup_s=60",
        ],
        2,
        &single,
        &parts,
    );
    ok(&merge(&partials, &merged), "the merge");
    assert_same_files(&single, &merged, &["compare.json", "compare.html", "compare.md"]);
}

#[test]
fn a_sweep_in_shards_that_cut_its_points_merges_into_the_bytes_of_one_sweep() {
    let dir = tempfile::tempdir().unwrap();
    let (single, parts, merged) =
        (dir.path().join("single"), dir.path().join("parts"), dir.path().join("merged"));
    // 2 points × 4 replications = 8 units in 3 shards: 2, 3 and 3, the second across both points.
    let partials = single_and_shards(
        &[
            "sweep",
            "models/validation/mmc.ron",
            "scenarios/validation/mmc.ron",
            "--vary",
            "services[mm].concurrency=12,14",
            "--set",
            "replications=4",
            "--set",
            "horizon_s=30",
        ],
        3,
        &single,
        &parts,
    );
    let text = std::fs::read_to_string(&partials[1]).unwrap();
    let studies: Vec<&str> =
        text.lines().filter_map(|l| l.strip_prefix("{\"study\":")).map(|l| &l[..1]).collect();
    assert_eq!(studies, ["0", "0", "1"], "shard 1 holds units 2..5");
    ok(&merge(&partials, &merged), "the merge");
    assert_same_files(&single, &merged, &["sweep.json", "sweep.csv", "sweep.html", "sweep.md"]);
}

/// Three shards of a short run, for the refusals.
fn three_partials(dir: &Path, extra: &[&str]) -> Vec<PathBuf> {
    let parts = dir.join("parts");
    let mut args =
        vec!["run", "models/validation/mmc.ron", "tests/fixtures/mmc_short.ron", "--replications", "3"];
    args.extend(extra);
    (0..3)
        .map(|i| {
            let shard = format!("{i}/3");
            let mut a = args.clone();
            a.extend(["--quiet", "--shard", &shard, "--out", parts.to_str().unwrap()]);
            ok(&regionsim(&a), &shard);
            let p = parts.join(format!("shard-{i:04}-of-0003.partial"));
            let kept = dir.join(format!("{}-{i}.partial", extra.join("_").replace(['=', '/'], "-")));
            std::fs::rename(&p, &kept).unwrap();
            kept
        })
        .collect()
}

fn refused(partials: &[PathBuf], needles: &[&str]) {
    let dir = tempfile::tempdir().unwrap();
    let out = merge(partials, &dir.path().join("merged"));
    let e = stderr(&out);
    assert_eq!(out.status.code(), Some(2), "{e}");
    for n in needles {
        assert!(e.contains(n), "{n:?} not in:\n{e}");
    }
    assert!(!dir.path().join("merged").exists(), "a refused merge wrote outputs");
}

/// Rewrites a partial's header with `edit` and signs it again (a shard of another study, not damage).
fn resign(path: &Path, edit: impl Fn(&mut serde_json::Value)) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines: Vec<String> = text.lines().map(String::from).collect();
    let mut header: serde_json::Value = serde_json::from_str(&lines[0]).unwrap();
    edit(&mut header);
    lines[0] = serde_json::to_string(&header).unwrap();
    let body: String = lines[..lines.len() - 1].iter().map(|l| format!("{l}\n")).collect();
    let sum: String = Sha256::digest(body.as_bytes()).iter().map(|b| format!("{b:02x}")).collect();
    let end = format!("{{\"end\":{{\"records\":{},\"sha256\":\"{sum}\"}}}}\n", lines.len() - 2);
    std::fs::write(path, body + &end).unwrap();
}

#[test]
fn merges_of_wrong_sets_are_refused_naming_what_is_wrong() {
    let dir = tempfile::tempdir().unwrap();
    let p = three_partials(dir.path(), &[]);
    let other_seed = three_partials(dir.path(), &["--seed", "99"]);
    let other_input = three_partials(dir.path(), &["--set", "traffic.rate_per_s=800"]);

    refused(&[p[0].clone(), p[2].clone()], &["missing shard 1 of 3"]);
    refused(&[p[1].clone()], &["missing shards 0, 2 of 3"]);
    refused(&[p[0].clone(), p[1].clone(), p[1].clone(), p[2].clone()], &["is given twice"]);
    let copy = dir.path().join("copy.partial");
    std::fs::copy(&p[1], &copy).unwrap();
    refused(&[p[0].clone(), p[1].clone(), copy, p[2].clone()], &["shard 1/3 is given twice"]);
    refused(&[p[0].clone(), other_seed[1].clone(), p[2].clone()], &["has seed", "seed 99"]);
    refused(&[p[0].clone(), other_input[1].clone(), p[2].clone()], &["different inputs"]);

    // Another regionsim's shards: named by version, not taken for damage.
    let old: Vec<PathBuf> = p
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let q = dir.path().join(format!("old-{i}.partial"));
            std::fs::copy(f, &q).unwrap();
            resign(&q, |h| {
                h["regionsim_version"] = "0.0.9".into();
                h["fingerprint"] = "0".repeat(64).into();
            });
            q
        })
        .collect();
    // Its fingerprint is its own version's, which the rewrite above does not recompute: rejected...
    refused(&old, &["fingerprint does not match"]);
    // ...and with a consistent one, the version is named.
    for q in &old {
        resign(q, |h| {
            let plan: regionsim::present::partial::Plan = serde_json::from_value(h["plan"].clone()).unwrap();
            h["fingerprint"] = plan.fingerprint("0.0.9").into();
        });
    }
    refused(&old, &["written by regionsim 0.0.9", "merge with the regionsim that ran the shards"]);
    refused(
        &[old[0].clone(), p[1].clone(), p[2].clone()],
        &["written by regionsim 0.0.9 and", "by regionsim"],
    );
}

#[test]
fn truncated_altered_and_foreign_files_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let p = three_partials(dir.path(), &[]);
    let bytes = std::fs::read(&p[1]).unwrap();

    let cut = dir.path().join("cut.partial");
    std::fs::write(&cut, &bytes[..bytes.len() * 2 / 3]).unwrap();
    let no_end = dir.path().join("no-end.partial");
    let text = String::from_utf8(bytes.clone()).unwrap();
    let without_end: String = text.lines().take(text.lines().count() - 1).map(|l| format!("{l}\n")).collect();
    std::fs::write(&no_end, without_end).unwrap();
    let altered = dir.path().join("altered.partial");
    // One digit of a record changed: still JSON, still a partial, not the bytes written.
    let at = text.find("\"events\":").unwrap() + "\"events\":".len();
    let mut changed = bytes.clone();
    changed[at] = if changed[at] == b'1' { b'2' } else { b'1' };
    std::fs::write(&altered, changed).unwrap();
    let foreign = dir.path().join("notes.partial");
    std::fs::write(&foreign, "hello\n").unwrap();

    refused(&[p[0].clone(), cut.clone(), p[2].clone()], &["cut.partial: truncated"]);
    refused(
        &[p[0].clone(), no_end.clone(), p[2].clone()],
        &["no-end.partial: truncated after 1 of its records"],
    );
    refused(&[p[0].clone(), altered.clone(), p[2].clone()], &["altered.partial: checksum mismatch"]);
    refused(&[p[0].clone(), foreign, p[2].clone()], &["notes.partial: not a regionsim partial file"]);
    // Every bad file is named, not only the first.
    refused(&[cut, altered, p[0].clone()], &["cut.partial", "altered.partial", "2 problems found"]);
}

#[test]
fn bad_shards_and_scheduler_variables_exit_2() {
    let base = ["run", "models/validation/mmc.ron", "tests/fixtures/mmc_short.ron", "--quiet"];
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().to_str().unwrap();
    for (shard, needle) in [
        ("5/4", "shard 5 does not exist: the 4 shards are numbered 0 to 3"),
        ("4/4", "numbered 0 to 3"),
        ("0/0", "the number of shards must be at least 1"),
        ("1", "expected I/N"),
        ("a/4", "is not a whole number"),
    ] {
        let mut args = base.to_vec();
        args.extend(["--shard", shard, "--out", out_dir]);
        let out = regionsim(&args);
        assert_eq!(out.status.code(), Some(2), "--shard {shard}: {}", stderr(&out));
        assert!(stderr(&out).contains(needle), "--shard {shard}: {}", stderr(&out));
    }
    let auto = |vars: &[(&str, &str)], extra: &[&str]| {
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_regionsim"));
        c.current_dir(crate::common::root())
            .args(base)
            .args(["--shard", "auto", "--out", out_dir])
            .args(extra);
        for v in
            ["SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT", "SLURM_ARRAY_TASK_MIN", "JOB_COMPLETION_INDEX"]
        {
            c.env_remove(v);
        }
        c.env_remove("AWS_BATCH_JOB_ARRAY_INDEX").env_remove("AWS_BATCH_JOB_ARRAY_SIZE");
        c.envs(vars.iter().copied());
        c.output().unwrap()
    };
    for (vars, extra, needle) in [
        (
            &[("SLURM_ARRAY_TASK_ID", ""), ("SLURM_ARRAY_TASK_COUNT", "4")][..],
            &[][..],
            "SLURM_ARRAY_TASK_ID is set but empty",
        ),
        (
            &[("JOB_COMPLETION_INDEX", "")][..],
            &["--shards", "2"][..],
            "JOB_COMPLETION_INDEX is set but empty",
        ),
        (&[("JOB_COMPLETION_INDEX", "1")][..], &[][..], "add --shards N"),
        (&[][..], &[][..], "none of SLURM_ARRAY_TASK_ID"),
        (
            &[("AWS_BATCH_JOB_ARRAY_INDEX", "3"), ("AWS_BATCH_JOB_ARRAY_SIZE", "3")][..],
            &[][..],
            "numbered 0 to 2",
        ),
    ] {
        let out = auto(vars, extra);
        assert_eq!(out.status.code(), Some(2), "{vars:?}: {}", stderr(&out));
        assert!(stderr(&out).contains(needle), "{vars:?}: {}", stderr(&out));
    }
    assert!(std::fs::read_dir(dir.path()).unwrap().next().is_none(), "a refused shard wrote a file");
    // A good one writes its partial, named by its index.
    let out = auto(&[("JOB_COMPLETION_INDEX", "1")], &["--shards", "2"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(dir.path().join("shard-0001-of-0002.partial").is_file());
}

/// Regression (built-in examples across machines): shards of a study named by built-in examples used to
/// record each process's temporary copy of the example, so shards run in different folders (or machines)
/// had different inputs and the merge refused them. They record the name as given, and merge into the
/// bytes of one run.
#[test]
fn shards_of_a_built_in_example_run_in_different_folders_merge() {
    let tmp = tempfile::tempdir().unwrap();
    let run_in = |folder: &str, extra: &[&str]| {
        let cwd = tmp.path().join(folder);
        std::fs::create_dir_all(&cwd).unwrap();
        let mut args = vec![
            "run",
            "single-region",
            "steady-state",
            "--replications",
            "4",
            "--set",
            "horizon_s=120",
            "-q",
        ];
        args.extend_from_slice(extra);
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_regionsim"))
            .current_dir(&cwd)
            .args(&args)
            .output()
            .unwrap();
        ok(&out, &format!("{args:?} in {folder}"));
        cwd
    };
    let a = run_in("machine-a", &["--shard", "0/2", "--out", "parts"]);
    let b = run_in("machine-b", &["--shard", "1/2", "--out", "parts"]);
    let single = run_in("machine-c", &["--out", "single"]).join("single");
    let partials = [a.join("parts/shard-0000-of-0002.partial"), b.join("parts/shard-0001-of-0002.partial")];
    let merged = tmp.path().join("merged");
    ok(&merge(&partials, &merged), "the merge");
    assert_same_files(&single, &merged, &["results.json", "report.html"]);
}
