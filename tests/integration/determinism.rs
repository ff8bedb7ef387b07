//! Same inputs and seed, same bytes, whatever the thread count (docs/architecture.md#determinism).

use std::process::Command;

use crate::common::root;

fn run_cli(threads: &str, out: &std::path::Path) {
    let status = Command::new(env!("CARGO_BIN_EXE_regionsim"))
        .current_dir(root())
        .args([
            "run",
            "models/single-region.ron",
            "scenarios/zone-outage.ron",
            "--replications",
            "4",
            "--seed",
            "7",
        ])
        .args([
            "--set",
            "horizon_s=300",
            "--set",
            "outages[0].start_s=100",
            "--set",
            "outages[0].duration_s=100",
        ])
        .args(["--threads", threads, "--quiet", "--out"])
        .arg(out)
        .status()
        .expect("the binary runs");
    assert!(status.success());
}

#[test]
fn results_are_byte_identical_for_one_and_two_threads() {
    let dir = tempfile::tempdir().unwrap();
    let (one, two) = (dir.path().join("one"), dir.path().join("two"));
    run_cli("1", &one);
    run_cli("2", &two);
    let a = std::fs::read(one.join("results.json")).unwrap();
    let b = std::fs::read(two.join("results.json")).unwrap();
    assert!(a.len() > 1000);
    assert!(a == b, "results.json differs between --threads 1 and --threads 2");
    // And it holds no wall-clock time or host name: a second run gives the same bytes too.
    let again = dir.path().join("again");
    run_cli("2", &again);
    assert!(std::fs::read(again.join("results.json")).unwrap() == a);
}
