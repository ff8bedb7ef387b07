//! Load per region over time in the representative replication: requests at its instances (queued or in
//! service) above, queued only below, with infrastructure events marked on both.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::markers::{self, Band, Marker};
use super::{
    AXIS_DESC_PX, ChartError, LINE_PX, Plot, TICK_PX, palette, short_number, stroke, text, time_unit,
    titled_with_key, within,
};
use crate::analysis::report::Report;

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

    fn panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        y_desc: &str,
        pick: fn(&RegionLoad) -> &Vec<(f64, f64)>,
        names: bool,
    ) -> Result<(), ChartError> {
        let max = self.regions.iter().flat_map(|r| pick(r).iter().map(|p| p.1)).fold(0.0, f64::max);
        let y1 = (max * 1.1).max(1.0);
        let (unit, unit_s) = time_unit(self.horizon_s);
        let mut chart = ChartBuilder::on(area)
            .margin(16)
            .x_label_area_size(70)
            .y_label_area_size(110)
            .build_cartesian_2d(0.0..self.horizon_s / unit_s, 0.0..y1)?;
        chart
            .configure_mesh()
            .x_desc(format!("time [{unit}]"))
            .y_desc(y_desc)
            .axis_desc_style(text(AXIS_DESC_PX))
            .label_style(text(TICK_PX))
            .x_label_formatter(&|v| short_number(*v))
            .y_label_formatter(&|v| short_number(*v))
            .y_labels(5)
            .light_line_style(RGBColor(235, 235, 235))
            .draw()?;
        let x = (0.0, self.horizon_s / unit_s);
        markers::draw(&mut chart, &self.markers, &self.bands, (x, unit_s), (0.0, y1), names)?;
        for (i, r) in self.regions.iter().enumerate() {
            let points = pick(r).iter().map(|&(t, n)| (within(t / unit_s, x), within(n, (0.0, y1))));
            chart.draw_series(LineSeries::new(points, stroke(palette::series(i), LINE_PX)))?;
        }
        Ok(())
    }
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
        let mut key: Vec<(String, ShapeStyle)> = self
            .regions
            .iter()
            .enumerate()
            .map(|(i, r)| (format!("region {}", r.name), stroke(palette::series(i), LINE_PX)))
            .collect();
        key.extend(markers::key_entries(&self.markers));
        let body = titled_with_key(root, &self.title(), &key)?;
        let (top, bottom) = body.split_vertically(body.dim_in_pixel().1 / 2);
        self.panel(&top, "requests in region", |r| &r.in_system, true)?;
        self.panel(&bottom, "queued requests", |r| &r.queued, false)
    }
}
