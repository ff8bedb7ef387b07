//! Fleet size per deployment over time in the representative replication: the instances provisioned and
//! not draining at the end of each timeline bucket, one line per deployment whose fleet changed (a
//! standby's scale-up, an autoscaler's launches and drains), with the scale events marked. Drawn only
//! when some fleet changed.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::load::time_series_panel;
use super::markers::{self, Band, Marker};
use super::{ChartError, LINE_PX, Plot, stroke, titled_with_key};
use crate::analysis::report::Report;

/// The most deployments drawn: the palette's colours, beyond which lines could not be told apart.
const MAX_LINES: usize = 8;

/// One deployment's fleet: `(bucket end [s], instances)`.
#[derive(Debug, Clone, PartialEq)]
pub struct DeploymentFleet {
    /// `service@region`.
    pub name: String,
    /// Instances provisioned and not draining at the end of each bucket.
    pub instances: Vec<(f64, f64)>,
}

/// The fleet-size chart.
#[derive(Debug, Clone, PartialEq)]
pub struct FleetSizeOverTime {
    /// The replication shown (the representative one).
    pub replication: u32,
    /// The time axis's end \[s\]: the horizon, or the timeline's end if later.
    pub horizon_s: f64,
    /// The deployments whose fleet changed, in the model's order (at most eight).
    pub deployments: Vec<DeploymentFleet>,
    /// Infrastructure, steering and scaling events, drawn as vertical lines.
    pub markers: Vec<Marker>,
    pub(crate) bands: Vec<Band>,
}

impl FleetSizeOverTime {
    /// From `Report::representative`; `None` when no deployment's fleet changed (or the timeline holds
    /// no fleet sizes, as in results written before they were recorded).
    pub fn from_report(report: &Report) -> Option<FleetSizeOverTime> {
        let rep = &report.representative;
        let tl = &rep.timeline;
        if tl.bucket_s <= 0.0 {
            return None;
        }
        let deployments: Vec<DeploymentFleet> = rep
            .deployment_names
            .iter()
            .enumerate()
            .map(|(d, name)| DeploymentFleet {
                name: name.clone(),
                instances: tl
                    .buckets
                    .iter()
                    .enumerate()
                    .filter_map(|(i, b)| {
                        b.instances.get(d).map(|&n| ((i + 1) as f64 * tl.bucket_s, f64::from(n)))
                    })
                    .collect(),
            })
            .filter(|f| f.instances.windows(2).any(|w| w[0].1 != w[1].1))
            .take(MAX_LINES)
            .collect();
        if deployments.is_empty() {
            return None;
        }
        let horizon_s = report.horizon_s.max(tl.buckets.len() as f64 * tl.bucket_s);
        Some(FleetSizeOverTime {
            replication: rep.replication,
            horizon_s,
            deployments,
            markers: markers::markers(tl),
            bands: markers::outage_bands(tl, horizon_s),
        })
    }
}

impl Plot for FleetSizeOverTime {
    fn stem(&self) -> &'static str {
        "fleet_size"
    }

    fn title(&self) -> String {
        format!("Fleet size per deployment (replication {})", self.replication)
    }

    fn size(&self) -> (u32, u32) {
        (1280, 720)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let colours = markers::series_colours(&self.markers, self.deployments.len());
        let mut key: Vec<(String, ShapeStyle)> = self
            .deployments
            .iter()
            .zip(&colours)
            .map(|(f, &colour)| (f.name.clone(), stroke(colour, LINE_PX)))
            .collect();
        key.extend(markers::key_entries(&self.markers));
        let body = titled_with_key(root, &self.title(), &key)?;
        let lines: Vec<(&[(f64, f64)], RGBColor)> =
            self.deployments.iter().zip(colours).map(|(f, c)| (f.instances.as_slice(), c)).collect();
        let marks = (self.markers.as_slice(), self.bands.as_slice(), true);
        time_series_panel(&body, self.horizon_s, "instances in service", &lines, marks)
    }
}
