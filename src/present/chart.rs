//! Charts of a [`Report`], drawn with plotters into SVG and PNG with an embedded font (DejaVu Sans), so a
//! fresh machine needs nothing beyond `cargo` (docs/architecture.md#charts). One file per chart kind in
//! `chart/`; this file holds what they share: the palette, the sizes, the font and the two renderers.
//!
//! Each chart kind is a small data struct built from a `Report` (`from_report` returns `None` when there is
//! nothing to draw, and the chart is skipped) that implements [`Plot`]; [`render`] draws it twice, once
//! per backend, so the SVG and the PNG always show the same picture.

mod across_runs;
mod attempts;
mod availability;
mod cost;
mod fleet;
mod intervals;
mod latency_cdf;
mod load;
mod markers;
mod pareto;
mod sweep_line;
mod trace;

use std::sync::OnceLock;

use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::{FontStyle, RGBColor, register_font};
use thiserror::Error;

use crate::analysis::report::Report;

pub use across_runs::Distribution;
pub use attempts::AttemptsOverTime;
pub use availability::{AvailabilityOverTime, Zoom};
pub use cost::{CostBreakdown, CostChart};
pub use fleet::{DeploymentFleet, FleetSizeOverTime};
pub use intervals::{IntervalRow, Intervals};
pub use latency_cdf::LatencyCdf;
pub use load::LoadOverTime;
pub use markers::{Marker, MarkerKind};
pub use pareto::Pareto;
pub use sweep_line::{SweepLine, SweepSeries};
pub use trace::TraceTimeline;

/// Pixel size of every chart: 16:9, sharp on a projector.
pub const SIZE: (u32, u32) = (1280, 720);

/// The font family every chart uses; registered from the `dejavu` crate before the first drawing.
pub(crate) const FONT: &str = "sans-serif";

/// Font sizes \[px\]: large enough to read from the back of a room.
pub(crate) const TITLE_PX: u32 = 40;
pub(crate) const AXIS_DESC_PX: u32 = 30;
pub(crate) const TICK_PX: u32 = 24;
pub(crate) const LEGEND_PX: u32 = 24;
/// Stroke width of data lines \[px\].
pub(crate) const LINE_PX: u32 = 4;

/// The Okabe-Ito palette, safe for the common forms of colour blindness, in the order series use it.
pub mod palette {
    use plotters::style::RGBColor;

    /// Blue, `#0072B2`.
    pub const BLUE: RGBColor = RGBColor(0x00, 0x72, 0xB2);
    /// Vermillion, `#D55E00`.
    pub const VERMILLION: RGBColor = RGBColor(0xD5, 0x5E, 0x00);
    /// Bluish green, `#009E73`.
    pub const BLUISH_GREEN: RGBColor = RGBColor(0x00, 0x9E, 0x73);
    /// Orange, `#E69F00`.
    pub const ORANGE: RGBColor = RGBColor(0xE6, 0x9F, 0x00);
    /// Reddish purple, `#CC79A7`.
    pub const REDDISH_PURPLE: RGBColor = RGBColor(0xCC, 0x79, 0xA7);
    /// Sky blue, `#56B4E9`.
    pub const SKY_BLUE: RGBColor = RGBColor(0x56, 0xB4, 0xE9);
    /// Yellow, `#F0E442`.
    pub const YELLOW: RGBColor = RGBColor(0xF0, 0xE4, 0x42);
    /// Black, `#000000`.
    pub const BLACK: RGBColor = RGBColor(0x00, 0x00, 0x00);
    /// Grey, `#777777`: the neutral that goes with the palette, for one more kind of marker.
    pub const GREY: RGBColor = RGBColor(0x77, 0x77, 0x77);

    /// Series colours, in order; series beyond the eighth reuse them. The first four differ from the
    /// marker colours of timelines (vermillion, orange, bluish green: see `chart/markers.rs`).
    pub const SERIES: [RGBColor; 8] =
        [BLUE, REDDISH_PURPLE, SKY_BLUE, BLACK, VERMILLION, BLUISH_GREEN, ORANGE, YELLOW];

    /// The colour of series `i`.
    pub fn series(i: usize) -> RGBColor {
        SERIES[i % SERIES.len()]
    }
}

/// Why a chart could not be drawn.
#[derive(Debug, Error)]
pub enum ChartError {
    /// The embedded DejaVu font could not be registered.
    #[error("the embedded chart font could not be loaded")]
    Font,
    /// A chart struct built by hand with nothing to draw (`from_report` returns `None` instead).
    #[error("nothing to draw in {0}")]
    NoData(&'static str),
    /// A plotters backend failed; the message is its error.
    #[error("drawing failed: {0}")]
    Draw(String),
    /// The PNG encoder failed.
    #[error("PNG encoding failed: {0}")]
    Png(#[from] png::EncodingError),
}

impl<E: std::error::Error + Send + Sync> From<DrawingAreaErrorKind<E>> for ChartError {
    fn from(e: DrawingAreaErrorKind<E>) -> ChartError {
        ChartError::Draw(e.to_string())
    }
}

/// A chart kind: its file name, its title, and how to draw it on any plotters backend.
pub trait Plot {
    /// File name without extension, e.g. `latency_cdf`.
    fn stem(&self) -> &'static str;
    /// The chart's title, drawn above it and used as its caption.
    fn title(&self) -> String;
    /// Pixel size; most charts use [`SIZE`].
    fn size(&self) -> (u32, u32) {
        SIZE
    }
    /// Draws the chart on `root`, already filled white.
    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError>;
}

/// One chart, drawn in both formats.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// File name without extension (see [`Plot::stem`]).
    pub stem: &'static str,
    /// The chart's title.
    pub title: String,
    /// A standalone `<svg>` element (no XML prolog), also fit to inline in HTML.
    pub svg: String,
    /// The PNG file's bytes.
    pub png: Vec<u8>,
}

impl Rendered {
    /// The chart as a document's figure, its files in the output folder's `charts/`.
    pub fn figure(&self) -> crate::present::document::Figure {
        crate::present::document::Figure {
            path: format!("charts/{}", self.stem),
            title: self.title.clone(),
            svg: self.svg.clone(),
        }
    }
}

/// Registers the embedded font once per process; plotters looks fonts up by family and style.
fn fonts() -> Result<(), ChartError> {
    static REGISTERED: OnceLock<bool> = OnceLock::new();
    let ok = *REGISTERED.get_or_init(|| {
        register_font(FONT, FontStyle::Normal, dejavu::sans::regular()).is_ok()
            && register_font(FONT, FontStyle::Bold, dejavu::sans::bold()).is_ok()
    });
    if ok { Ok(()) } else { Err(ChartError::Font) }
}

/// Draws `plot` as SVG and as PNG.
pub fn render<P: Plot>(plot: &P) -> Result<Rendered, ChartError> {
    fonts()?;
    let (w, h) = plot.size();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (w, h)).into_drawing_area();
        root.fill(&WHITE)?;
        plot.draw(&root)?;
        root.present()?;
    }
    let mut rgb = vec![0u8; w as usize * h as usize * 3];
    {
        let root = BitMapBackend::with_buffer(&mut rgb, (w, h)).into_drawing_area();
        root.fill(&WHITE)?;
        plot.draw(&root)?;
        root.present()?;
    }
    Ok(Rendered { stem: plot.stem(), title: plot.title(), svg, png: encode_png(&rgb, w, h)? })
}

fn encode_png(rgb: &[u8], w: u32, h: u32) -> Result<Vec<u8>, png::EncodingError> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, w, h);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    // fdeflate's PNG-tuned fast mode: charts are flat colour, so it compresses them well at a fraction of
    // the default's time (encoding dominated the cost of writing a run's outputs).
    encoder.set_compression(png::Compression::Fast);
    // One filter for every row instead of the adaptive choice (which tries all five per row and cost more
    // than the deflate): Paeth alone keeps the files within ~15% of adaptive at about half the time.
    encoder.set_filter(png::Filter::Paeth);
    let mut writer = encoder.write_header()?;
    writer.write_image_data(rgb)?;
    writer.finish()?;
    Ok(out)
}

/// The file names (without extension) of every chart [`render_all`] can draw; an output folder's charts
/// not drawn this time (no data) are removed, so a folder never shows a chart from an earlier run.
pub const STEMS: &[&str] = &[
    "latency_cdf",
    "availability_over_time",
    "load_per_region",
    "attempts_and_goodput",
    "fleet_size",
    "availability_across_runs",
    "latency_p99_across_runs",
    "cost_per_month",
];

/// Every chart the report has data for, in the order the HTML report shows them. Charts without data are
/// left out, not errors.
pub fn render_all(report: &Report) -> Result<Vec<Rendered>, ChartError> {
    let mut out = Vec::new();
    if let Some(p) = LatencyCdf::from_report(report) {
        out.push(render(&p)?);
    }
    if let Some(p) = AvailabilityOverTime::from_report(report) {
        out.push(render(&p)?);
    }
    if let Some(p) = LoadOverTime::from_report(report) {
        out.push(render(&p)?);
    }
    if let Some(p) = AttemptsOverTime::from_report(report) {
        out.push(render(&p)?);
    }
    if let Some(p) = FleetSizeOverTime::from_report(report) {
        out.push(render(&p)?);
    }
    for p in Distribution::from_report(report) {
        out.push(render(&p)?);
    }
    let bill = report.cost_usd_per_month.breakdown;
    if let Some(p) = CostChart::new(vec![(report.inputs.model.name.clone(), bill)]) {
        out.push(render(&p)?);
    }
    Ok(out)
}

// ----- helpers shared by the chart kinds -----

/// `(lo, hi)` padded so a flat series or a single value still gets a visible range.
pub(crate) fn padded(lo: f64, hi: f64, fraction: f64) -> (f64, f64) {
    let span = hi - lo;
    if span > 0.0 {
        (lo - span * fraction, hi + span * fraction)
    } else {
        let pad = (lo.abs() * 0.01).max(1e-6);
        (lo - pad, hi + pad)
    }
}

/// The unit a time axis reads best in for a horizon of `horizon_s`: its name and its length \[s\].
pub(crate) fn time_unit(horizon_s: f64) -> (&'static str, f64) {
    match horizon_s {
        h if h <= 1_200.0 => ("s", 1.0),
        h if h <= 4.0 * 3_600.0 => ("min", 60.0),
        h if h <= 4.0 * 86_400.0 => ("h", 3_600.0),
        _ => ("d", 86_400.0),
    }
}

/// A bucket width as a reader says it: `7.5 s`, `2 min`, `1.5 h`, in the largest unit it is at least
/// one of.
pub(crate) fn duration_label(seconds: f64) -> String {
    let (unit, length) = match seconds {
        s if s >= 86_400.0 => ("d", 86_400.0),
        s if s >= 3_600.0 => ("h", 3_600.0),
        s if s >= 60.0 => ("min", 60.0),
        _ => ("s", 1.0),
    };
    format!("{} {unit}", trim(seconds / length, 3))
}

/// The highest position of the nines scale: seven nines, where 100% (no failure seen) is drawn.
pub(crate) const NINES_MAX: f64 = 7.0;

/// An availability `percent` as its position on a nines scale: `-log10(1 - a)` (99% at 2, 99.9% at 3),
/// capped at [`NINES_MAX`] so that 100% is drawn at the top; below 0% at 0.
pub(crate) fn nines_position(percent: f64) -> f64 {
    let unavailable = (1.0 - percent / 100.0).clamp(10f64.powf(-NINES_MAX), 1.0);
    if percent.is_nan() { 0.0 } else { -unavailable.log10() }
}

/// The tick label at position `n` of a nines scale: the availability there, with the decimals its nines
/// need (`99.0%` at 2, `99.90%` at 3, `99.9997%` at 5.5).
pub(crate) fn nines_tick(n: f64) -> String {
    let decimals = (n.floor() as i64 - 1).clamp(1, 6) as usize;
    format!("{:.decimals$}%", 100.0 * (1.0 - 10f64.powf(-n)))
}

/// Ticks on a nines scale: few, since each label is long.
pub(crate) const NINES_TICKS: usize = 5;

/// One tick format for a whole axis from `lo` to `hi` (so `-10k` never sits beside `-5000`): a `k` or `M`
/// suffix when the axis's largest magnitude calls for one, and the decimals its step needs.
pub(crate) fn axis_format(lo: f64, hi: f64) -> impl Fn(&f64) -> String {
    let top = lo.abs().max(hi.abs());
    let (divisor, suffix) = match top {
        t if t >= 1e6 => (1e6, "M"),
        t if t >= 1e4 => (1e3, "k"),
        _ => (1.0, ""),
    };
    let decimals = decimals_for(lo / divisor, hi / divisor);
    move |v: &f64| {
        let x = v / divisor;
        // No "-0" from rounding a tiny negative.
        let x = if x.abs() < 0.5 * 10f64.powi(-(decimals as i32)) { 0.0 } else { x };
        format!("{x:.decimals$}{suffix}")
    }
}

/// `v` pulled into `[lo, hi]` (NaN to `lo`). Data far outside an axis would overflow plotters' pixel
/// arithmetic, and a hand-edited results file can hold anything.
pub(crate) fn within(v: f64, (lo, hi): (f64, f64)) -> f64 {
    if v.is_nan() { lo } else { v.clamp(lo.min(hi), hi.max(lo)) }
}

/// A caption style for chart titles.
pub(crate) fn title_style() -> TextStyle<'static> {
    (FONT, TITLE_PX).into_font().style(FontStyle::Bold).into()
}

pub(crate) fn text(px: u32) -> TextStyle<'static> {
    (FONT, px).into_font().into()
}

/// A solid stroke of `width` px.
pub(crate) fn stroke(color: RGBColor, width: u32) -> ShapeStyle {
    color.stroke_width(width)
}

/// Draws the legend of `chart` with the shared style.
pub(crate) fn legend<'a, DB: DrawingBackend + 'a, CT: plotters::coord::CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
) -> Result<(), ChartError> {
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK.stroke_width(1))
        .label_font(text(LEGEND_PX))
        .legend_area_size(40)
        .margin(16)
        .draw()?;
    Ok(())
}

/// The title, then a row of legend entries (wrapping), above the body; returns the body. Timelines use
/// it so the legend never hides data.
pub(crate) fn titled_with_key<DB: DrawingBackend>(
    root: &DrawingArea<DB, Shift>,
    title: &str,
    entries: &[(String, ShapeStyle)],
) -> Result<DrawingArea<DB, Shift>, ChartError> {
    use plotters::style::text_anchor::{HPos, Pos, VPos};
    let body = root.margin(12, 0, 0, 0).titled(title, title_style())?;
    let style = text(LEGEND_PX).pos(Pos::new(HPos::Left, VPos::Center));
    let width = body.dim_in_pixel().0 as i32;
    let (left, row_px) = (130, 36);
    // Lay out first, to know how many rows to reserve.
    let mut placed = Vec::new();
    let (mut x, mut row) = (left, 0);
    for (label, line) in entries {
        let (w, _) = body.estimate_text_size(label, &style)?;
        let needed = 46 + w as i32 + 30;
        if x + needed > width && x > left {
            (x, row) = (left, row + 1);
        }
        placed.push((x, row, label, line));
        x += needed;
    }
    let rows = if entries.is_empty() { 0 } else { row + 1 };
    let (key, body) = body.split_vertically(rows as u32 * row_px as u32 + 8);
    for (x, row, label, line) in placed {
        let y = row * row_px + row_px / 2;
        key.draw(&PathElement::new(vec![(x, y), (x + 36, y)], *line))?;
        key.draw(&Text::new(label.clone(), (x + 46, y), style.clone()))?;
    }
    Ok(body)
}

/// A short line in the legend, in the series' style.
pub(crate) fn legend_line(style: ShapeStyle) -> impl Fn((i32, i32)) -> PathElement<(i32, i32)> {
    move |(x, y)| PathElement::new(vec![(x, y), (x + 32, y)], style)
}

/// Ticks like `0.5`, `12`, `1.2k`: short, without trailing zeros.
pub(crate) fn short_number(v: f64) -> String {
    let a = v.abs();
    if a >= 1e6 {
        format!("{}M", trim(v / 1e6, 1))
    } else if a >= 1e4 {
        format!("{}k", trim(v / 1e3, 1))
    } else if a >= 100.0 || a == 0.0 {
        format!("{v:.0}")
    } else if a >= 1.0 {
        trim(v, 1)
    } else if a >= 0.01 {
        trim(v, 3)
    } else {
        format!("{v:.1e}")
    }
}

/// Decimals that tell apart the ticks of an axis from `lo` to `hi` (about ten ticks).
pub(crate) fn decimals_for(lo: f64, hi: f64) -> usize {
    let step = (hi - lo).abs() / 10.0;
    if step > 0.0 && step.is_finite() { (-step.log10()).ceil().clamp(0.0, 9.0) as usize } else { 2 }
}

/// `v` with `decimals` decimals; with none, the short form (`12.5k`).
pub(crate) fn with_decimals(v: f64, decimals: usize) -> String {
    if decimals == 0 { short_number(v) } else { format!("{v:.decimals$}") }
}

fn trim(v: f64, decimals: usize) -> String {
    let s = format!("{v:.decimals$}");
    if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_numbers_are_short() {
        assert_eq!(short_number(0.0), "0");
        assert_eq!(short_number(0.5), "0.5");
        assert_eq!(short_number(12.0), "12");
        assert_eq!(short_number(12.25), "12.2");
        assert_eq!(short_number(250.0), "250");
        assert_eq!(short_number(12_500.0), "12.5k");
        assert_eq!(short_number(0.001), "1.0e-3");
    }

    #[test]
    fn tick_labels_keep_enough_decimals_to_differ() {
        // Availability between 99.99% and 100%: steps of 0.001, three decimals.
        assert_eq!(decimals_for(99.99, 100.0), 3);
        assert_eq!(with_decimals(99.9951, 3), "99.995");
        assert_eq!(decimals_for(0.0, 300.0), 0);
        assert_eq!(with_decimals(12_500.0, 0), "12.5k");
        assert_eq!(decimals_for(1.0, 1.0), 2);
    }

    #[test]
    fn bucket_widths_read_in_a_unit_they_are_at_least_one_of() {
        // Not "per 0.125 min" nor "per 0.025 h".
        assert_eq!(duration_label(7.5), "7.5 s");
        assert_eq!(duration_label(90.0), "1.5 min");
        assert_eq!(duration_label(0.025 * 3_600.0), "1.5 min");
        assert_eq!(duration_label(7_200.0), "2 h");
        assert_eq!(duration_label(0.5), "0.5 s");
    }

    #[test]
    fn one_axis_has_one_tick_format() {
        // An axis from -12k to 0 labels -5000 as -5k, like its -10k.
        let f = axis_format(-12_000.0, 0.0);
        assert_eq!((f(&-10_000.0), f(&-5_000.0), f(&0.0)), ("-10k".into(), "-5k".into(), "0k".into()));
        let f = axis_format(0.0, 2_000.0);
        assert_eq!((f(&500.0), f(&1_500.0)), ("500".into(), "1500".into()));
        let f = axis_format(0.0, 1.0);
        assert_eq!(f(&0.5), "0.5");
        let f = axis_format(-1.0, 1.0);
        assert_eq!(f(&-0.000001), "0.0");
    }

    #[test]
    fn the_nines_scale_spreads_availabilities_near_one_hundred_percent() {
        assert!((nines_position(99.0) - 2.0).abs() < 1e-9);
        assert!((nines_position(99.9) - 3.0).abs() < 1e-9);
        assert_eq!(nines_position(100.0), NINES_MAX);
        assert_eq!(nines_position(-5.0), 0.0);
        // 97.9%, 98.95% and 99.2% are a third of a nine apart, not a tenth of an axis from 0 to 100%.
        let spread = nines_position(99.2) - nines_position(97.9);
        assert!(spread > 0.4, "{spread}");
        assert_eq!(nines_tick(2.0), "99.0%");
        assert_eq!(nines_tick(3.0), "99.90%");
        assert_eq!(nines_tick(5.5), "99.9997%");
    }

    #[test]
    fn time_axes_use_a_unit_that_fits_the_horizon() {
        assert_eq!(time_unit(300.0), ("s", 1.0));
        assert_eq!(time_unit(3_600.0), ("min", 60.0));
        assert_eq!(time_unit(86_400.0), ("h", 3_600.0));
        assert_eq!(time_unit(365.0 * 86_400.0), ("d", 86_400.0));
    }

    #[test]
    fn padding_gives_a_flat_series_a_range() {
        let (lo, hi) = padded(100.0, 100.0, 0.05);
        assert!(lo < 100.0 && hi > 100.0);
        assert_eq!(padded(0.0, 10.0, 0.1), (-1.0, 11.0));
    }
}
