//! report.html in a real browser: headless Chromium loads it offline, and the DOM dump and a screenshot
//! show it rendered. Ignored by default (it needs Chromium, which a developer's machine may lack);
//! `.ci/run` runs it with `cargo test --release -- --ignored`, where a missing browser is a failure.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use regionsim::present::{chart, run};

use crate::support::{self, png_facts, png_rgb};
use crate::svg_marks::plot_areas;

/// The browser to use: `$REGIONSIM_CHROMIUM`, else the first of these on the PATH that runs.
const CANDIDATES: &[&str] = &["chromium", "chromium-browser", "google-chrome"];

fn find_chromium() -> Option<String> {
    let from_env = std::env::var("REGIONSIM_CHROMIUM").ok();
    from_env.into_iter().chain(CANDIDATES.iter().map(|s| s.to_string())).find(|name| {
        Command::new(name)
            .arg("--version")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// What a browser run left: its exit status and its output, read from files (a pipe that nobody reads
/// while we wait would fill up and stall the browser).
struct Run {
    success: bool,
    stdout: String,
    stderr: String,
}

/// Runs headless Chromium with `args` on `url`, offline-minded flags and a fresh profile; kills it after
/// `timeout`.
fn chromium(browser: &str, args: &[String], url: &str, timeout: Duration) -> Run {
    let scratch = tempfile::tempdir().unwrap();
    let (out_path, err_path) = (scratch.path().join("stdout"), scratch.path().join("stderr"));
    let file = |p: &Path| std::fs::File::create(p).unwrap();
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", scratch.path().join("profile").display()))
        .args(args)
        .arg(url)
        .stdin(Stdio::null())
        .stdout(file(&out_path))
        .stderr(file(&err_path))
        .spawn()
        .unwrap_or_else(|e| panic!("starting {browser}: {e}"));
    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > timeout => {
                let _ = child.kill();
                let _ = child.wait();
                let err = std::fs::read_to_string(&err_path).unwrap_or_default();
                panic!("{browser} did not finish in {timeout:?}; stderr:\n{err}");
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(100)),
            Err(e) => panic!("waiting for {browser}: {e}"),
        }
    };
    let read = |p: &Path| String::from_utf8_lossy(&std::fs::read(p).unwrap_or_default()).into_owned();
    Run { success: status.success(), stdout: read(&out_path), stderr: read(&err_path) }
}

/// A screenshot of the top of `url` (1280 × 2000) and its number of distinct colours: thousands for text,
/// tables and a chart, a handful for a blank or unstyled page.
fn screenshot_colours(browser: &str, url: &str, dir: &Path, timeout: Duration) -> usize {
    let shot = dir.join("screenshot.png");
    let out = chromium(
        browser,
        &[format!("--screenshot={}", shot.display()), "--window-size=1280,2000".to_string()],
        url,
        timeout,
    );
    assert!(out.success, "--screenshot failed: {}", out.stderr);
    let bytes = std::fs::read(&shot).unwrap_or_else(|e| panic!("no screenshot at {}: {e}", shot.display()));
    let png = png_facts(&bytes, "screenshot");
    assert_eq!((png.width, png.height), (1280, 2000));
    png.colours
}

fn file_url(path: &Path) -> String {
    format!("file://{}", path.canonicalize().unwrap().display())
}

#[test]
#[ignore = "needs Chromium: run with `cargo test --release -- --ignored` (CI does)"]
fn report_html_renders_in_headless_chromium() {
    let browser = find_chromium().unwrap_or_else(|| {
        panic!(
            "no Chromium found (tried $REGIONSIM_CHROMIUM and {CANDIDATES:?}): install it with \
             `apt-get install -y chromium`"
        )
    });
    let report = support::zone_outage();
    let dir = tempfile::tempdir().unwrap();
    run::bundle(&report, serde_json::to_vec_pretty(&report).unwrap()).unwrap().write(dir.path()).unwrap();
    let url = file_url(&dir.path().join("report.html"));
    let stems: Vec<&str> = chart::render_all(&report).unwrap().iter().map(|c| c.stem).collect();
    assert!(stems.len() >= 5, "{stems:?}");
    let timeout = Duration::from_secs(90);

    // The DOM after parsing: the title, every chart as an inline SVG with its text.
    let dom = chromium(&browser, &["--dump-dom".to_string()], &url, timeout);
    assert!(dom.success, "--dump-dom failed: {}", dom.stderr);
    let dom = dom.stdout;
    assert!(dom.contains("<title>regionsim: two-zones × zone-outage</title>"), "title missing:\n{dom:.2000}");
    assert!(dom.contains("<h1 id=\"title\">regionsim: two-zones × zone-outage</h1>"));
    for stem in &stems {
        let at = dom
            .find(&format!("id=\"chart-{stem}\""))
            .unwrap_or_else(|| panic!("chart {stem} not in the DOM"));
        let figure = &dom[at..at + dom[at..].find("</figure>").unwrap_or(dom.len() - at)];
        assert!(figure.contains("<svg") && figure.contains("</svg>"), "chart {stem} has no inline svg");
    }
    assert!(dom.matches("<svg").count() >= stems.len());
    for text in ["Latency of successful requests", "zone:z1 down", "Warnings", "Model, as simulated"] {
        assert!(dom.contains(text), "'{text}' not in the DOM");
    }

    // The pixels: a screenshot of the top of the page is not blank.
    let colours = screenshot_colours(&browser, &url, dir.path(), timeout);
    assert!(colours > 200, "screenshot has only {colours} colours: blank page?");

    // And every chart's plot area, as the browser draws it, holds data.
    let html = std::fs::read_to_string(dir.path().join("report.html")).unwrap();
    assert_plot_areas_drawn(&browser, &html, &stems, dir.path(), timeout);
}

/// Pixels of a plot area in colour (not white, black or a grey of the grid and text) that make it
/// "not blank": a line across it paints thousands, a few labels' antialiasing a handful.
const MIN_COLOURED: usize = 200;

/// Renders each chart's `<svg>` as report.html holds it, one under the other at its own size in a page
/// of its own (so their places are known: a fragment's scroll is not honoured by headless
/// screenshots), and asserts each plot area found in the SVG (two axes meeting) has coloured marks in
/// the browser's pixels. The empty cost chart (its bars of negative width drawn over the tick labels)
/// had none.
fn assert_plot_areas_drawn(browser: &str, html: &str, stems: &[&str], dir: &Path, timeout: Duration) {
    let mut page = String::from("<!doctype html><html><body style=\"margin:0;background:#fff\">");
    let mut charts = Vec::new();
    let mut top = 0.0;
    for stem in stems {
        let at = html.find(&format!("id=\"chart-{stem}\"")).expect("the chart's figure");
        let start = at + html[at..].find("<svg").expect("an svg");
        let end = start + html[start..].find("</svg>").expect("a closed svg") + "</svg>".len();
        let svg = &html[start..end];
        let attr = |name: &str| -> f64 {
            let open = &svg[..svg.find('>').unwrap()];
            let v = open.split(&format!(" {name}=\"")).nth(1).and_then(|r| r.split('"').next());
            v.and_then(|v| v.parse().ok()).unwrap_or_else(|| panic!("{stem}: no {name} on <svg>"))
        };
        let (w, h) = (attr("width"), attr("height"));
        page += &format!("<div style=\"width:{w}px;height:{h}px;overflow:hidden\">{svg}</div>");
        charts.push((stem, top, plot_areas(svg)));
        top += h;
    }
    page += "</body></html>";
    let file = dir.join("charts-alone.html");
    std::fs::write(&file, page).unwrap();
    let shot = dir.join("charts-alone.png");
    let height = top.ceil() as u32;
    let out = chromium(
        browser,
        &[format!("--screenshot={}", shot.display()), format!("--window-size=1280,{height}")],
        &file_url(&file),
        timeout,
    );
    assert!(out.success, "--screenshot failed: {}", out.stderr);
    let (width, h, pixels) = png_rgb(&std::fs::read(&shot).unwrap(), "charts screenshot");
    assert_eq!((width, h), (1280, height));
    let coloured = |&[r, g, b]: &[u8; 3]| r.max(g).max(b) - r.min(g).min(b) > 40;
    for (stem, top, areas) in charts {
        assert!(!areas.is_empty(), "{stem}: no plot area in its svg");
        for (x0, y0, x1, y1) in areas {
            // Inside the axes, clear of them.
            let (x0, x1) = (x0 as u32 + 3, (x1 as u32).saturating_sub(3).min(width));
            let (y0, y1) = ((top + y0) as u32 + 3, ((top + y1) as u32).saturating_sub(3).min(h));
            let n = (y0..y1)
                .flat_map(|y| (x0..x1).map(move |x| (x, y)))
                .filter(|&(x, y)| coloured(&pixels[(y * width + x) as usize]))
                .count();
            assert!(
                n >= MIN_COLOURED,
                "{stem}: its plot area ({x0}..{x1}, {y0}..{y1}) is blank in the browser: {n} coloured pixels"
            );
        }
    }
}

#[test]
#[ignore = "needs Chromium: run with `cargo test --release -- --ignored` (CI does)"]
fn trace_html_renders_in_headless_chromium() {
    let browser = find_chromium()
        .unwrap_or_else(|| panic!("no Chromium found: install it with `apt-get install -y chromium`"));
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let study = crate::common::load(
        &root.join("models/active-passive.ron"),
        &root.join("scenarios/region-outage.ron"),
        &["horizon_s=3600"],
        Some(1),
        None,
    )
    .expect("loads");
    let window = regionsim::sim::trace::Window { from_s: 0.0, to_s: 3600.0 };
    let traced = regionsim::analysis::trace::trace(&study, &[], 0, window).expect("runs");
    let dir = tempfile::tempdir().unwrap();
    regionsim::present::trace::bundle(&traced).unwrap().write(dir.path()).unwrap();
    let url = file_url(&dir.path().join("trace.html"));
    let timeout = Duration::from_secs(90);
    let dom = chromium(&browser, &["--dump-dom".to_string()], &url, timeout);
    assert!(dom.success, "--dump-dom failed: {}", dom.stderr);
    let dom = dom.stdout;
    assert!(
        dom.contains("<title>regionsim trace: active-passive × region-outage, replication 0</title>"),
        "{dom:.2000}"
    );
    for text in [
        "What happened",
        "health checks declare us-east-1 unhealthy (13 of 15 checkers)",
        "Failovers in this replication",
    ] {
        assert!(dom.contains(text), "'{text}' not in the DOM");
    }
    let at = dom.find("id=\"chart-trace_timeline\"").expect("the timeline chart in the DOM");
    assert!(dom[at..].contains("<svg"), "the timeline chart has no inline svg");
    let colours = screenshot_colours(&browser, &url, dir.path(), timeout);
    assert!(colours > 200, "screenshot has only {colours} colours: blank page?");
}

/// Regression (explain.html, 3 Dec 2026): the per-population table's reason column ran past the right
/// edge of a 1280-pixel window, its end hidden behind a horizontal scroll, because no heading could
/// wrap. A script appended to a copy of the page writes, once laid out, every table wider than its
/// wrapper (`scrollWidth > clientWidth`) into the body's `data-overflowing`; the DOM dump shows it.
#[test]
#[ignore = "needs Chromium: run with `cargo test --release -- --ignored` (CI does)"]
fn explain_html_tables_fit_a_1280_pixel_window() {
    let browser = find_chromium()
        .unwrap_or_else(|| panic!("no Chromium found: install it with `apt-get install -y chromium`"));
    let (dir, out) =
        crate::common::explain_into_temp("models/single-az-database.ron", "scenarios/zone-outage.ron");
    let html = std::fs::read_to_string(out.join("explain.html")).expect("explain.html");
    let wraps = html.matches("class=\"table-wrap\"").count();
    assert!(wraps >= 2, "explain.html has {wraps} tables");
    let probe = "<script>window.addEventListener('load', () => { \
        const wide = [...document.querySelectorAll('div.table-wrap')] \
            .filter(w => w.scrollWidth > w.clientWidth + 1) \
            .map(w => (w.previousElementSibling || w.parentElement).textContent.trim().slice(0, 60)); \
        document.body.dataset.checked = document.querySelectorAll('div.table-wrap').length; \
        document.body.dataset.overflowing = JSON.stringify(wide); });</script>";
    let probed = html.replace("</body>", &format!("{probe}</body>"));
    let page = dir.path().join("probed.html");
    std::fs::write(&page, probed).unwrap();
    let args = ["--dump-dom".to_string(), "--window-size=1280,2000".to_string()];
    let dom = chromium(&browser, &args, &file_url(&page), Duration::from_secs(90));
    assert!(dom.success, "--dump-dom failed: {}", dom.stderr);
    let checked = format!("data-checked=\"{wraps}\"");
    assert!(
        dom.stdout.contains(&checked),
        "the probe did not run over {wraps} tables:\n{:.3000}",
        dom.stdout
    );
    assert!(
        dom.stdout.contains("data-overflowing=\"[]\""),
        "tables wider than a 1280-pixel window: {}",
        dom.stdout
            .split("data-overflowing=")
            .nth(1)
            .map_or(String::from("?"), |s| s.chars().take(300).collect())
    );
}
