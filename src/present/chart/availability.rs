//! Request availability over time in the representative replication, with infrastructure events marked.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::markers::{self, Band, Marker};
use super::{
    AXIS_DESC_PX, ChartError, LINE_PX, Plot, TICK_PX, axis_format, decimals_for, duration_label, palette,
    stroke, text, time_unit, titled_with_key, with_decimals, within,
};
use crate::analysis::report::Report;

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
}

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
        })
    }

    /// A y range [%] that shows a dip clearly and still shows a flat 100% as a line below the top.
    fn y_range(&self) -> (f64, f64) {
        let min = self.points.iter().map(|p| p.1).fold(100.0, f64::min);
        let lo = if min > 99.0 { 99.0 } else { (min - 0.08 * (100.0 - min)).max(0.0) };
        (lo, 100.0 + 0.08 * (100.0 - lo))
    }
}

impl Plot for AvailabilityOverTime {
    fn stem(&self) -> &'static str {
        "availability_over_time"
    }

    fn title(&self) -> String {
        format!("Availability over time (replication {})", self.replication)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let (y0, y1) = self.y_range();
        let (unit, unit_s) = time_unit(self.horizon_s);
        let line = stroke(palette::BLUE, LINE_PX);
        let mut key = vec![(format!("availability per {}", duration_label(self.bucket_s)), line)];
        key.extend(markers::key_entries(&self.markers));
        let body = titled_with_key(root, &self.title(), &key)?;
        let mut chart = ChartBuilder::on(&body)
            .margin(24)
            .margin_top(8)
            .x_label_area_size(80)
            .y_label_area_size(120)
            .build_cartesian_2d(0.0..self.horizon_s / unit_s, y0..y1)?;
        chart
            .configure_mesh()
            .x_desc(format!("time [{unit}]"))
            .y_desc("requests succeeded [%]")
            .axis_desc_style(text(AXIS_DESC_PX))
            .label_style(text(TICK_PX))
            .x_label_formatter(&axis_format(0.0, self.horizon_s / unit_s))
            .y_label_formatter(&|v| with_decimals(*v, decimals_for(y0, y1)))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()?;
        let x = (0.0, self.horizon_s / unit_s);
        markers::draw(&mut chart, &self.markers, &self.bands, (x, unit_s), (y0, y1), true)?;
        let points = self.points.iter().map(|&(t, a)| (within(t / unit_s, x), within(a, (y0, y1))));
        chart.draw_series(LineSeries::new(points, line))?;
        Ok(())
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
        };
        let (lo, hi) = c.y_range();
        assert!(lo <= 99.0 && hi > 100.0);
        c.points.push((2.5, 50.0));
        let (lo, hi) = c.y_range();
        assert!((0.0..50.0).contains(&lo) && hi > 100.0, "{lo} {hi}");
    }
}
