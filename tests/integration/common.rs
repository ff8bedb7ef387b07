//! Helpers shared by the integration tests: studies from inline RON, run through the library.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use regionsim::analysis::objective;
use regionsim::analysis::report::{self, Report};
use regionsim::model::study::{self, Adjustments, InputErrors, Override, Study};
use regionsim::sim::montecarlo::{self, RunOptions};

pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// A temporary folder holding `model.ron` and `scenario.ron` with the given texts.
pub struct Files {
    pub dir: tempfile::TempDir,
}

impl Files {
    pub fn new(model: &str, scenario: &str) -> Files {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("model.ron"), model).expect("write model");
        std::fs::write(dir.path().join("scenario.ron"), scenario).expect("write scenario");
        Files { dir }
    }

    pub fn model(&self) -> PathBuf {
        self.dir.path().join("model.ron")
    }

    pub fn scenario(&self) -> PathBuf {
        self.dir.path().join("scenario.ron")
    }

    pub fn load(&self, sets: &[&str]) -> Result<Study, InputErrors> {
        load(&self.model(), &self.scenario(), sets, None, None)
    }

    /// The files (with `sets`) are refused, with every one of `needles` among the errors; and
    /// `regionsim validate` on them exits 2 naming `field`.
    pub fn assert_refused(&self, sets: &[&str], needles: &[&str], field: &str) {
        let errors = self.load(sets).expect_err("invalid").to_string();
        for needle in needles {
            assert!(errors.contains(needle), "{sets:?}: no '{needle}' in:\n{errors}");
        }
        if sets.is_empty() {
            let (m, s) = (self.model(), self.scenario());
            let out = regionsim(&["validate", m.to_str().unwrap(), s.to_str().unwrap()]);
            assert_eq!(out.status.code(), Some(2));
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert!(stderr.contains(field), "{stderr}");
        }
    }
}

pub fn load(
    model: &Path,
    scenario: &Path,
    sets: &[&str],
    replications: Option<u32>,
    seed: Option<u64>,
) -> Result<Study, InputErrors> {
    let overrides = sets
        .iter()
        .map(|s| Override::parse(s).map_err(|e| InputErrors(vec![e])))
        .collect::<Result<_, _>>()?;
    study::load_study(model, scenario, &Adjustments { overrides, replications, seed })
}

/// Runs a study on two threads and builds its report.
pub fn run(study: &Study) -> Report {
    let obs =
        montecarlo::run(&study.model, &study.scenario, &RunOptions { threads: Some(2), progress: false })
            .expect("the study runs within its budgets");
    objective::judged(report::build(study, &[], &obs), &study.scenario.objectives)
}

/// Asserts `truth` lies within `k` half-widths of the 95% CI around `estimate`, and reports all three.
pub fn assert_within_ci(what: &str, estimate: f64, ci: [f64; 2], truth: f64, k: f64) {
    let half = (ci[1] - ci[0]) / 2.0;
    assert!(
        (estimate - truth).abs() <= k * half,
        "{what}: estimate {estimate:.6} with 95% CI [{:.6}, {:.6}] is {:.2} half-widths from the closed form {truth:.6}",
        ci[0],
        ci[1],
        (estimate - truth).abs() / half
    );
}

/// One region, one service `svc` of `instances` × `concurrency` exponential servers (mean `mean_ms`),
/// one population at 0 ms.
pub fn queue_model(instances: u32, concurrency: u32, mean_ms: f64) -> String {
    format!(
        r#"(
    name: "queue",
    regions: [(name: "r", zones: ["z1", "z2"])],
    services: [(
        name: "svc",
        service_time: Exponential(mean_ms: {mean_ms}),
        concurrency: {concurrency},
        price_usd_per_hour: 0.1,
        deployments: {{ "r": (instances: {instances}) }},
    )],
    request_path: ["svc"],
    populations: [(name: "clients", location: "r", share: 1.0)],
)"#
    )
}

/// Runs the `regionsim` binary from the crate root and returns what it printed and its exit status.
pub fn regionsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_regionsim"))
        .current_dir(root())
        .args(args)
        .output()
        .expect("binary runs")
}

/// Runs `regionsim explain MODEL SCENARIO --quiet` into a temporary folder, asserts it exits 0, and
/// returns the folder (kept alive by the guard) and the output directory in it.
pub fn explain_into_temp(model: &str, scenario: &str) -> (tempfile::TempDir, std::path::PathBuf) {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = dir.path().join("explain");
    let status = regionsim(&["explain", model, scenario, "--quiet", "--out", out.to_str().expect("utf-8")]);
    assert_eq!(status.status.code(), Some(0), "{}", String::from_utf8_lossy(&status.stderr));
    (dir, out)
}

/// Mean and Student-t 95% CI of per-replication values, computed in the test, independently of the
/// report's estimators.
pub fn mean_ci(values: &[f64]) -> (f64, [f64; 2]) {
    use statrs::distribution::{ContinuousCDF, StudentsT};
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    let t = StudentsT::new(0.0, 1.0, n - 1.0).expect("n > 1").inverse_cdf(0.975);
    let half = t * (var / n).sqrt();
    (mean, [mean - half, mean + half])
}
