//! Request availability over time in the representative replication, with infrastructure events marked,
//! and, when the replication had a failover, a second panel zoomed on it (from its trace's close-up:
//! the whole horizon's buckets are too coarse to show detection, DNS and promotion apart).

use plotters::coord::Shift;
use plotters::prelude::*;

use super::markers::{self, Band, Marker};
use super::{
    AXIS_DESC_PX, ChartError, LINE_PX, Plot, SIZE, TICK_PX, axis_format, decimals_for, duration_label,
    palette, stroke, text, time_unit, titled_with_key, with_decimals, within,
};
use crate::analysis::report::Report;
use crate::analysis::story::clock;

/// The availability timeline chart.
#[derive(Debug, Clone, PartialEq)]
pub struct AvailabilityOverTime {
    /// The replication shown (the representative one).
    pub replication: u32,
    /// The time axis's end \[s\]: the horizon, or the timeline's end if later.
    pub horizon_s: f64,
    /// Width of one timeline bucket \[s\].
    pub bucket_s: f64,
    /// `(bucket midpoint [s], succeeded / finished [%])`, for buckets where a request finished.
    pub points: Vec<(f64, f64)>,
    /// Infrastructure and steering events, drawn as vertical lines.
    pub markers: Vec<Marker>,
    pub(crate) bands: Vec<Band>,
    /// The zoomed panel, from the report's close-up.
    pub zoom: Option<Zoom>,
}

/// The panel zoomed on the first failover.
#[derive(Debug, Clone, PartialEq)]
pub struct Zoom {
    /// Its interval \[s\].
    pub window: (f64, f64),
    /// Its bins' width \[s\].
    pub bin_s: f64,
    /// `(bin midpoint [s], succeeded / finished [%])`, for bins where a request finished, in runs of
    /// consecutive bins.
    pub runs: Vec<Vec<(f64, f64)>>,
    /// Stretches fast-forwarded over (sampled fidelity), drawn grey: no request ran in them one by one.
    pub skipped: Vec<(f64, f64)>,
}

/// The grey of fast-forwarded stretches.
const SKIPPED: RGBColor = RGBColor(225, 225, 225);

impl AvailabilityOverTime {
    /// From `Report::representative`; `None` when no request finished in any bucket.
    pub fn from_report(report: &Report) -> Option<AvailabilityOverTime> {
        let tl = &report.representative.timeline;
        let points: Vec<(f64, f64)> = tl
            .buckets
            .iter()
            .enumerate()
            .filter(|(_, b)| b.finished > 0)
            .map(|(i, b)| ((i as f64 + 0.5) * tl.bucket_s, 100.0 * b.succeeded as f64 / b.finished as f64))
            .collect();
        if points.is_empty() || tl.bucket_s <= 0.0 {
            return None;
        }
        let horizon_s = report.horizon_s.max(tl.buckets.len() as f64 * tl.bucket_s);
        Some(AvailabilityOverTime {
            replication: report.representative.replication,
            horizon_s,
            bucket_s: tl.bucket_s,
            points,
            markers: markers::markers(tl),
            bands: markers::outage_bands(tl, horizon_s),
            zoom: report
                .representative
                .close_up
                .as_ref()
                .map(|c| Zoom {
                    window: (c.from_s, c.to_s),
                    bin_s: c.bins.first().map_or(0.0, |b| b[1]),
                    runs: c.availability_runs(),
                    skipped: c.skipped.iter().map(|s| (s[0], s[1])).collect(),
                })
                .filter(|z| !z.runs.is_empty()),
        })
    }

    /// A y range [%] that shows a dip of `points` clearly and still shows a flat 100% as a line below
    /// the top.
    fn y_range(points: &[(f64, f64)]) -> (f64, f64) {
        let min = points.iter().map(|p| p.1).fold(100.0, f64::min);
        let lo = if min > 99.0 { 99.0 } else { (min - 0.08 * (100.0 - min)).max(0.0) };
        (lo, 100.0 + 0.08 * (100.0 - lo))
    }

    /// One panel: the lines `runs` over `[a, b]` seconds, with `skipped` stretches grey; a zoomed
    /// panel (`heading`) tells the time as the run's clock.
    fn draw_panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        (a, b): (f64, f64),
        runs: &[Vec<(f64, f64)>],
        skipped: &[(f64, f64)],
        heading: Option<&str>,
    ) -> Result<(), ChartError> {
        let all: Vec<(f64, f64)> = runs.iter().flatten().copied().collect();
        let (y0, y1) = Self::y_range(&all);
        let (unit, unit_s) = if heading.is_some() { ("hh:mm:ss", 1.0) } else { time_unit(b - a) };
        let x = (a / unit_s, b / unit_s);
        let whole = axis_format(x.0, x.1);
        let clock_ticks = |v: &f64| clock(*v);
        let x_format: &dyn Fn(&f64) -> String = if heading.is_some() { &clock_ticks } else { &whole };
        let mut builder = ChartBuilder::on(area);
        builder.margin(24).margin_top(8).x_label_area_size(80).y_label_area_size(120);
        if let Some(h) = heading {
            builder.caption(h, text(AXIS_DESC_PX));
        }
        let mut chart = builder.build_cartesian_2d(x.0..x.1, y0..y1)?;
        chart
            .configure_mesh()
            .x_desc(format!("time [{unit}]"))
            .y_desc("requests succeeded [%]")
            .axis_desc_style(text(AXIS_DESC_PX))
            .label_style(text(TICK_PX))
            .x_labels(if heading.is_some() { 6 } else { 10 })
            .x_label_formatter(x_format)
            .y_label_formatter(&|v| with_decimals(*v, decimals_for(y0, y1)))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()?;
        chart.draw_series(skipped.iter().filter(|s| s.1 > a && s.0 < b).map(|&(s0, s1)| {
            Rectangle::new([(within(s0 / unit_s, x), y0), (within(s1 / unit_s, x), y1)], SKIPPED.filled())
        }))?;
        markers::draw(&mut chart, &self.markers, &self.bands, (x, unit_s), (y0, y1), true)?;
        let line = stroke(palette::BLUE, LINE_PX);
        for run in runs {
            let points = run
                .iter()
                .filter(|(t, _)| (a..=b).contains(t))
                .map(|&(t, v)| (within(t / unit_s, x), within(v, (y0, y1))));
            chart.draw_series(LineSeries::new(points, line))?;
        }
        Ok(())
    }
}

impl Plot for AvailabilityOverTime {
    fn stem(&self) -> &'static str {
        "availability_over_time"
    }

    fn title(&self) -> String {
        format!("Availability over time (replication {})", self.replication)
    }

    fn size(&self) -> (u32, u32) {
        if self.zoom.is_some() { (SIZE.0, SIZE.1 * 2 - 120) } else { SIZE }
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let line = stroke(palette::BLUE, LINE_PX);
        let mut key = vec![(format!("availability per {}", duration_label(self.bucket_s)), line)];
        key.extend(markers::key_entries(&self.markers));
        if self.zoom.as_ref().is_some_and(|z| !z.skipped.is_empty()) {
            key.push(("fast-forwarded (steady)".into(), stroke(SKIPPED, 14)));
        }
        let body = titled_with_key(root, &self.title(), &key)?;
        let whole = (0.0, self.horizon_s);
        match &self.zoom {
            None => self.draw_panel(&body, whole, std::slice::from_ref(&self.points), &[], None),
            Some(z) => {
                let h = body.dim_in_pixel().1;
                let (top, bottom) = body.split_vertically(h / 2);
                self.draw_panel(&top, whole, std::slice::from_ref(&self.points), &[], None)?;
                let heading = format!(
                    "zoomed on the first failover, {} to {} (per {})",
                    clock(z.window.0),
                    clock(z.window.1),
                    duration_label(z.bin_s)
                );
                self.draw_panel(&bottom, z.window, &z.runs, &z.skipped, Some(&heading))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flat_hundred_percent_is_visible_and_a_dip_is_in_range() {
        let mut c = AvailabilityOverTime {
            replication: 0,
            horizon_s: 10.0,
            bucket_s: 1.0,
            points: vec![(0.5, 100.0), (1.5, 100.0)],
            markers: vec![],
            bands: vec![],
            zoom: None,
        };
        let (lo, hi) = AvailabilityOverTime::y_range(&c.points);
        assert!(lo <= 99.0 && hi > 100.0);
        c.points.push((2.5, 50.0));
        let (lo, hi) = AvailabilityOverTime::y_range(&c.points);
        assert!((0.0..50.0).contains(&lo) && hi > 100.0, "{lo} {hi}");
    }
}
