//! Standard output and error as a well-behaved command-line tool uses them: a closed pipe is not an
//! error, a full disk is, and nothing panics (exit 101) on either.

use std::process::{Command, Stdio};

use crate::common::root;

fn short_run(out: &std::path::Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_regionsim"));
    cmd.current_dir(root()).args([
        "run",
        "models/validation/mmc.ron",
        "scenarios/validation/mmc.ron",
        "--replications",
        "1",
        "--set",
        "horizon_s=30",
        "--out",
        out.to_str().expect("a UTF-8 temp path"),
    ]);
    cmd
}

#[test]
fn a_closed_pipe_exits_quietly_with_the_documented_code() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    // `regionsim run ... | head -0`: the reader is gone before anything is written.
    let mut child = short_run(&out).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert!(!stderr.contains("panicked") && !stderr.contains("error"), "{stderr}");
    // The verb carried on: its outputs are written.
    assert!(out.join("results.json").is_file() && out.join("report.html").is_file());
}

#[test]
fn help_into_a_closed_pipe_exits_quietly() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_regionsim"))
        .arg("--help")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", String::from_utf8_lossy(&output.stderr));
}

#[cfg(target_os = "linux")]
#[test]
fn a_full_disk_on_stdout_is_exit_2_with_one_message() {
    let dir = tempfile::tempdir().unwrap();
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").expect("/dev/full on Linux");
    let output = short_run(&dir.path().join("out")).stdout(full).output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.matches("error: cannot write to standard output").count(), 1, "{stderr}");
    assert!(stderr.contains("No space left on device") && !stderr.contains("panicked"), "{stderr}");

    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_regionsim")).arg("--help").stdout(full).output().unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", String::from_utf8_lossy(&output.stderr));
}

#[test]
fn a_closed_stderr_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let mut child =
        short_run(&dir.path().join("out")).stdout(Stdio::null()).stderr(Stdio::piped()).spawn().unwrap();
    drop(child.stderr.take());
    assert_eq!(child.wait().unwrap().code(), Some(0));
    // A usage error with nowhere to say so is still exit 2.
    let mut child = Command::new(env!("CARGO_BIN_EXE_regionsim"))
        .args(["run", "--threads", "0", "a.ron", "b.ron"])
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stderr.take());
    assert_eq!(child.wait().unwrap().code(), Some(2));
}
