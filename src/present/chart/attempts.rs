//! Offered attempts against goodput over time in the representative replication: the requests clients
//! send, the attempts they make (first attempts and retries) and the requests that succeed, per second.
//! A retry storm shows as attempts far above the requests sent while goodput stays low after its
//! trigger has gone (the sustaining loop of a metastable failure); drawn only when clients retried.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::load::time_series_panel;
use super::markers::{self, Band, Marker};
use super::{ChartError, LINE_PX, Plot, stroke, titled_with_key};
use crate::analysis::report::Report;

/// The attempts-and-goodput chart.
#[derive(Debug, Clone, PartialEq)]
pub struct AttemptsOverTime {
    /// The replication shown (the representative one).
    pub replication: u32,
    /// The time axis's end \[s\]: the horizon, or the timeline's end if later.
    pub horizon_s: f64,
    /// `(bucket midpoint [s], per second)` of the requests clients sent (the offered load).
    pub sent: Vec<(f64, f64)>,
    /// The attempts sent, first attempts and retries, per second.
    pub attempts: Vec<(f64, f64)>,
    /// The requests that succeeded (goodput), per second, by the bucket they finished in.
    pub goodput: Vec<(f64, f64)>,
    /// Infrastructure and steering events, drawn as vertical lines.
    pub markers: Vec<Marker>,
    pub(crate) bands: Vec<Band>,
}

impl AttemptsOverTime {
    /// From `Report::representative`; `None` when no client retried (attempts equal the requests sent
    /// in every bucket, and the chart would repeat the load).
    pub fn from_report(report: &Report) -> Option<AttemptsOverTime> {
        let tl = &report.representative.timeline;
        if tl.bucket_s <= 0.0 || tl.buckets.iter().all(|b| b.attempts <= b.arrived) {
            return None;
        }
        let per_s = |f: fn(&crate::sim::observation::Bucket) -> u64| -> Vec<(f64, f64)> {
            tl.buckets
                .iter()
                .enumerate()
                .map(|(i, b)| ((i as f64 + 0.5) * tl.bucket_s, f(b) as f64 / tl.bucket_s))
                .collect()
        };
        let horizon_s = report.horizon_s.max(tl.buckets.len() as f64 * tl.bucket_s);
        Some(AttemptsOverTime {
            replication: report.representative.replication,
            horizon_s,
            sent: per_s(|b| b.arrived),
            attempts: per_s(|b| b.attempts),
            goodput: per_s(|b| b.succeeded),
            markers: markers::markers(tl),
            bands: markers::outage_bands(tl, horizon_s),
        })
    }

    fn series(&self) -> [(&'static str, &Vec<(f64, f64)>); 3] {
        [
            ("attempts sent (with retries)", &self.attempts),
            ("requests sent (offered load)", &self.sent),
            ("requests succeeded (goodput)", &self.goodput),
        ]
    }
}

impl Plot for AttemptsOverTime {
    fn stem(&self) -> &'static str {
        "attempts_and_goodput"
    }

    fn title(&self) -> String {
        format!("Attempts and goodput (replication {})", self.replication)
    }

    fn size(&self) -> (u32, u32) {
        (1280, 720)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let colours = markers::series_colours(&self.markers, 3);
        let mut key: Vec<(String, ShapeStyle)> = self
            .series()
            .iter()
            .zip(&colours)
            .map(|((name, _), &colour)| (name.to_string(), stroke(colour, LINE_PX)))
            .collect();
        key.extend(markers::key_entries(&self.markers));
        let body = titled_with_key(root, &self.title(), &key)?;

        let lines: Vec<(&[(f64, f64)], RGBColor)> =
            self.series().iter().zip(colours).map(|((_, points), c)| (points.as_slice(), c)).collect();
        let marks = (self.markers.as_slice(), self.bands.as_slice(), true);
        time_series_panel(&body, self.horizon_s, "per second", &lines, marks)
    }
}
