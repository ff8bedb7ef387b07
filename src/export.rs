//! Writing the files people open after a run, all read from one [`Report`]: `results.json` (the full
//! result, reproducible from itself), `runs.csv`, `summary.md`, `charts/*.svg` and `charts/*.png`, and
//! `report.html`. Every file is written atomically (temporary name, then rename).

pub mod compare;
pub mod csv;
pub mod html;
pub mod sweep;

use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::chart::{self, ChartError};
use crate::output::write_atomic;
use crate::report::{self, Report};

/// Why an output could not be written.
#[derive(Debug, Error)]
pub enum ExportError {
    #[error("writing {}: {source}", path.display())]
    Io { path: PathBuf, source: std::io::Error },
    #[error("serialising results: {0}")]
    Json(#[from] serde_json::Error),
    #[error("drawing charts: {0}")]
    Chart(#[from] ChartError),
}

fn write(path: PathBuf, bytes: &[u8], written: &mut Vec<PathBuf>) -> Result<(), ExportError> {
    write_atomic(&path, bytes).map_err(|source| ExportError::Io { path: path.clone(), source })?;
    written.push(path);
    Ok(())
}

/// Writes `results.json` into `dir`; returns its path.
pub fn write_results(dir: &Path, report: &Report) -> Result<PathBuf, ExportError> {
    let json = serde_json::to_string_pretty(report)?;
    let mut written = Vec::new();
    write(dir.join(RESULTS), json.as_bytes(), &mut written)?;
    Ok(dir.join(RESULTS))
}

/// The name of the results file in an output folder.
pub const RESULTS: &str = "results.json";

/// Writes every output derived from `report` into `dir` (not `results.json`: see [`write_results`]):
/// `runs.csv`, `summary.md`, `charts/<name>.svg` and `.png` for each chart with data, and `report.html`.
/// Charts of an earlier run into `dir` that have no data now are removed. Returns the files written, in
/// that order.
pub fn write_all(dir: &Path, report: &Report) -> Result<Vec<PathBuf>, ExportError> {
    let mut written = Vec::new();
    write(dir.join("runs.csv"), csv::runs_csv(report).as_bytes(), &mut written)?;
    write(dir.join("summary.md"), report::summary_markdown(report).as_bytes(), &mut written)?;
    let charts = chart::render_all(report)?;
    let chart_dir = dir.join("charts");
    for stem in chart::STEMS.iter().filter(|s| !charts.iter().any(|c| c.stem == **s)) {
        for ext in ["svg", "png"] {
            let stale = chart_dir.join(format!("{stem}.{ext}"));
            match std::fs::remove_file(&stale) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(ExportError::Io { path: stale, source: e });
                }
                _ => {}
            }
        }
    }
    for c in &charts {
        write(chart_dir.join(format!("{}.svg", c.stem)), c.svg.as_bytes(), &mut written)?;
        write(chart_dir.join(format!("{}.png", c.stem)), &c.png, &mut written)?;
    }
    write(dir.join("report.html"), html::report_html(report, &charts).as_bytes(), &mut written)?;
    Ok(written)
}
