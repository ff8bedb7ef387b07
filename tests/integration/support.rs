//! Helpers shared by the integration tests: fixture studies run through the library, PNG checks.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use regionsim::analysis::objective;
use regionsim::analysis::report::{self, Report};
use regionsim::model::study::{self, Adjustments};
use regionsim::sim::{montecarlo, observation::Observations};

/// A path relative to the crate root.
pub fn repo(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(path)
}

/// Runs a study on one thread, without a progress bar, and builds its report.
pub fn run_study(model: &str, scenario: &str) -> Report {
    let study = study::load_study(&repo(model), &repo(scenario), &Adjustments::default())
        .unwrap_or_else(|e| panic!("{model} / {scenario}: {e}"));
    let options = montecarlo::RunOptions { threads: Some(1), progress: false };
    let runs: Vec<Observations> =
        montecarlo::run(&study.model, &study.scenario, &options).expect("the fixture study runs");
    objective::judged(report::build(&study, &[], &runs), &study.scenario.objectives)
}

/// The M/M/c validation model for 20 s, 2 replications, seed 1.
pub fn mmc_short() -> Report {
    run_study("models/validation/mmc.ron", "tests/fixtures/mmc_short.ron")
}

/// Two zones, an injected outage of z1 at 100..160 s, random instance failures.
pub fn zone_outage() -> Report {
    run_study("tests/fixtures/zone_outage_model.ron", "tests/fixtures/zone_outage_scenario.ron")
}

/// A decoded PNG: width, height and the number of distinct colours.
pub struct PngFacts {
    pub width: u32,
    pub height: u32,
    pub colours: usize,
}

/// Decodes a PNG (8-bit RGB or RGBA) into its width, height and RGB pixels, row by row; panics with `what`
/// if it is invalid or of another colour type.
pub fn png_rgb(bytes: &[u8], what: &str) -> (u32, u32, Vec<[u8; 3]>) {
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().unwrap_or_else(|e| panic!("{what}: {e}"));
    let mut buf = vec![0; reader.output_buffer_size().expect("a PNG of sane size")];
    let info = reader.next_frame(&mut buf).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(info.bit_depth, png::BitDepth::Eight, "{what}");
    let step = info.color_type.samples();
    assert!(step == 3 || step == 4, "{what}: colour type {:?}", info.color_type);
    let pixels = buf[..info.buffer_size()].chunks_exact(step).map(|p| [p[0], p[1], p[2]]).collect();
    (info.width, info.height, pixels)
}

/// Decodes a PNG (any 8-bit colour type) and counts its distinct colours; panics with `what` if invalid.
pub fn png_facts(bytes: &[u8], what: &str) -> PngFacts {
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "{what}: no PNG signature");
    let decoder = png::Decoder::new(std::io::Cursor::new(bytes));
    let mut reader = decoder.read_info().unwrap_or_else(|e| panic!("{what}: {e}"));
    let mut buf = vec![0; reader.output_buffer_size().expect("a PNG of sane size")];
    let info = reader.next_frame(&mut buf).unwrap_or_else(|e| panic!("{what}: {e}"));
    let data = &buf[..info.buffer_size()];
    let step = info.color_type.samples();
    assert_eq!(info.bit_depth, png::BitDepth::Eight, "{what}");
    let colours: HashSet<&[u8]> = data.chunks_exact(step).collect();
    PngFacts { width: info.width, height: info.height, colours: colours.len() }
}
