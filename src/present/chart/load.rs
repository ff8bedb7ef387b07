//! Load per region over time in the representative replication: requests at its instances (queued or in
//! service) above, queued only below, with infrastructure events marked on both.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::markers::{self, Band, Marker};
use super::{
    AXIS_DESC_PX, ChartError, LINE_PX, Plot, TICK_PX, axis_format, short_number, stroke, text, time_unit,
    titled_with_key, within,
};
use crate::analysis::report::Report;

/// A panel's axis clips when its peak is more than this many times its 99th percentile.
const CLIP_RATIO: f64 = 3.0;

/// One region's two curves: `(bucket end [s], requests)`.
#[derive(Debug, Clone, PartialEq)]
pub struct RegionLoad {
    pub name: String,
    pub in_system: Vec<(f64, f64)>,
    pub queued: Vec<(f64, f64)>,
}

/// The load chart.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadOverTime {
    /// The replication shown (the representative one).
    pub replication: u32,
    /// The time axis's end \[s\]: the horizon, or the timeline's end if later.
    pub horizon_s: f64,
    /// Each region's curves, in the model's order.
    pub regions: Vec<RegionLoad>,
    /// Infrastructure and steering events, drawn as vertical lines.
    pub markers: Vec<Marker>,
    pub(crate) bands: Vec<Band>,
}

impl LoadOverTime {
    /// From `Report::representative`; `None` without buckets or regions.
    pub fn from_report(report: &Report) -> Option<LoadOverTime> {
        let rep = &report.representative;
        let tl = &rep.timeline;
        let series = |r: usize, f: fn(&crate::sim::observation::Bucket) -> &Vec<u32>| -> Vec<(f64, f64)> {
            tl.buckets
                .iter()
                .enumerate()
                .filter_map(|(i, b)| f(b).get(r).map(|v| ((i + 1) as f64 * tl.bucket_s, *v as f64)))
                .collect()
        };
        let regions: Vec<RegionLoad> = rep
            .region_names
            .iter()
            .enumerate()
            .map(|(r, name)| RegionLoad {
                name: name.clone(),
                in_system: series(r, |b| &b.in_region),
                queued: series(r, |b| &b.queued_in_region),
            })
            .filter(|r| !r.in_system.is_empty())
            .collect();
        if regions.is_empty() || tl.bucket_s <= 0.0 {
            return None;
        }
        let horizon_s = report.horizon_s.max(tl.buckets.len() as f64 * tl.bucket_s);
        Some(LoadOverTime {
            replication: rep.replication,
            horizon_s,
            regions,
            markers: markers::markers(tl),
            bands: markers::outage_bands(tl, horizon_s),
        })
    }

    /// The top of a panel's y axis for `values`, and whether it clips: the largest value, unless a spike
    /// dwarfs the rest, when the axis ends a quarter above the 99th percentile (and says so) so that one
    /// spike does not flatten hours of load.
    pub(crate) fn y_top(values: &[f64]) -> (f64, Option<f64>) {
        let mut v: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        v.sort_by(f64::total_cmp);
        let max = v.last().copied().unwrap_or(0.0);
        let p99 = v.get((v.len().saturating_sub(1) as f64 * 0.99).round() as usize).copied().unwrap_or(0.0);
        if p99 > 0.0 && max > CLIP_RATIO * p99 {
            ((p99 * 1.25).max(1.0), Some(max))
        } else {
            ((max * 1.1).max(1.0), None)
        }
    }

    fn panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        y_desc: &str,
        pick: fn(&RegionLoad) -> &Vec<(f64, f64)>,
        names: bool,
    ) -> Result<(), ChartError> {
        let colours = markers::series_colours(&self.markers, self.regions.len());
        let lines: Vec<(&[(f64, f64)], RGBColor)> =
            self.regions.iter().zip(colours).map(|(r, c)| (pick(r).as_slice(), c)).collect();
        let marks = (self.markers.as_slice(), self.bands.as_slice(), names);
        time_series_panel(area, self.horizon_s, y_desc, &lines, marks)
    }
}

/// One panel of counts over time: `lines` of `(t [s], value)` in their colours on a time axis to
/// `horizon_s`, the y axis clipped above a lone spike ([`LoadOverTime::y_top`], said in its title), and
/// the timeline's markers and outage bands (named when `marks.2`). Shared by the load and the
/// attempts-and-goodput charts.
pub(crate) fn time_series_panel<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    horizon_s: f64,
    y_desc: &str,
    lines: &[(&[(f64, f64)], RGBColor)],
    (marks, bands, names): (&[Marker], &[Band], bool),
) -> Result<(), ChartError> {
    let values: Vec<f64> = lines.iter().flat_map(|(points, _)| points.iter().map(|p| p.1)).collect();
    let (y1, clipped) = LoadOverTime::y_top(&values);
    // Counts (requests, instances) get whole ticks: an axis to at least 5, so the ticks' step is whole.
    let counts = values.iter().all(|v| v.fract() == 0.0);
    let y1 = if counts { y1.max(5.0) } else { y1 };
    let whole = |v: &f64| short_number(v.round());
    let fractional = axis_format(0.0, y1);
    let y_desc = match clipped {
        Some(peak) => format!("{y_desc} (peak {} clipped)", short_number(peak)),
        None => y_desc.to_string(),
    };
    let (unit, unit_s) = time_unit(horizon_s);
    let mut chart = ChartBuilder::on(area)
        .margin(16)
        .x_label_area_size(70)
        .y_label_area_size(110)
        .build_cartesian_2d(0.0..horizon_s / unit_s, 0.0..y1)?;
    chart
        .configure_mesh()
        .x_desc(format!("time [{unit}]"))
        .y_desc(y_desc.as_str())
        .axis_desc_style(text(AXIS_DESC_PX))
        .label_style(text(TICK_PX))
        .x_label_formatter(&axis_format(0.0, horizon_s / unit_s))
        .y_label_formatter(&|v| if counts { whole(v) } else { fractional(v) })
        .y_labels(5)
        .light_line_style(RGBColor(235, 235, 235))
        .draw()?;
    let x = (0.0, horizon_s / unit_s);
    markers::draw(&mut chart, marks, bands, (x, unit_s), (0.0, y1), names)?;
    for &(points, colour) in lines {
        let points = points.iter().map(|&(t, n)| (within(t / unit_s, x), within(n, (0.0, y1))));
        chart.draw_series(LineSeries::new(points, stroke(colour, LINE_PX)))?;
    }
    Ok(())
}

impl Plot for LoadOverTime {
    fn stem(&self) -> &'static str {
        "load_per_region"
    }

    fn title(&self) -> String {
        format!("Load per region (replication {})", self.replication)
    }

    fn size(&self) -> (u32, u32) {
        (1280, 960)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let colours = markers::series_colours(&self.markers, self.regions.len());
        let mut key: Vec<(String, ShapeStyle)> = self
            .regions
            .iter()
            .zip(colours)
            .map(|(r, colour)| (format!("region {}", r.name), stroke(colour, LINE_PX)))
            .collect();
        key.extend(markers::key_entries(&self.markers));
        let body = titled_with_key(root, &self.title(), &key)?;
        let (top, bottom) = body.split_vertically(body.dim_in_pixel().1 / 2);
        self.panel(&top, "requests in region", |r| &r.in_system, true)?;
        self.panel(&bottom, "queued requests", |r| &r.queued, false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Regression (fractional ticks on counts): a fleet of 2 to 7 instances was labelled 2.0, 4.0, 6.0;
    /// and an axis of small counts must not label 0.5 steps as repeated whole numbers.
    #[test]
    fn counts_get_whole_ticks() {
        for top in [3.0, 7.0] {
            let points: Vec<(f64, f64)> =
                (0..60).map(|i| (i as f64 * 10.0, if i < 30 { 2.0 } else { top })).collect();
            let chart = LoadOverTime {
                replication: 0,
                horizon_s: 600.0,
                regions: vec![RegionLoad { name: "r".into(), in_system: points.clone(), queued: points }],
                markers: vec![],
                bands: vec![],
            };
            let svg = super::super::render(&chart).expect("renders").svg;
            let labels: Vec<&str> = svg
                .split("</text>")
                .filter_map(|t| t.rsplit('>').next().map(str::trim))
                .filter(|t| !t.is_empty() && t.chars().all(|c| c.is_ascii_digit() || c == '.'))
                .collect();
            assert!(!labels.is_empty(), "{svg:.300}");
            // The time axis (0 to 10 min) is whole too; no label repeats on one axis pair.
            assert!(labels.iter().all(|l| !l.contains('.')), "{labels:?}");
        }
    }

    #[test]
    fn one_spike_does_not_flatten_hours_of_load() {
        // Four hours of about 100 requests and one 30k spike: the axis ends near 125 and says so.
        let mut values: Vec<f64> = (0..1_440).map(|i| 90.0 + (i % 20) as f64).collect();
        values[700] = 30_000.0;
        let (top, clipped) = LoadOverTime::y_top(&values);
        assert_eq!(clipped, Some(30_000.0));
        assert!((109.0 * 1.25 - 1e-9..=109.0 * 1.25 + 1e-9).contains(&top), "{top}");
        // Without a spike, the whole range shows.
        values[700] = 100.0;
        let (top, clipped) = LoadOverTime::y_top(&values);
        assert_eq!(clipped, None);
        assert!((top - 109.0 * 1.1).abs() < 1e-9);
        assert_eq!(LoadOverTime::y_top(&[]), (1.0, None));
    }
}
