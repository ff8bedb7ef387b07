//! The distribution of one metric across replications, as an empirical CDF (a step per replication) with
//! the mean marked. Generic: availability and p99 latency use it now, RTO and RPO will.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{
    AXIS_DESC_PX, ChartError, LINE_PX, Plot, TICK_PX, decimals_for, legend, legend_line, padded, palette,
    stroke, text, title_style, with_decimals,
};
use crate::analysis::report::Report;

/// One metric's values, one per replication.
#[derive(Debug, Clone, PartialEq)]
pub struct Distribution {
    /// File name without extension.
    pub stem: &'static str,
    /// What is measured, e.g. `Availability`; the title adds "across N replications".
    pub metric: String,
    /// The x axis: the metric with its unit, e.g. `p99 latency [ms]`.
    pub x_desc: String,
    /// Finite values, ascending.
    pub values: Vec<f64>,
}

impl Distribution {
    /// `None` when no value is finite (e.g. no replication had a successful request).
    pub fn new(stem: &'static str, metric: &str, x_desc: &str, values: &[f64]) -> Option<Distribution> {
        let mut values: Vec<f64> = values.iter().copied().filter(|v| v.is_finite()).collect();
        if values.is_empty() {
            return None;
        }
        values.sort_by(f64::total_cmp);
        Some(Distribution { stem, metric: metric.into(), x_desc: x_desc.into(), values })
    }

    /// The distributions charted for every run: per-replication availability and p99 latency.
    pub fn from_report(report: &Report) -> Vec<Distribution> {
        let availability: Vec<f64> = report.runs.iter().map(|r| 100.0 * r.availability).collect();
        let p99: Vec<f64> = report.runs.iter().filter_map(|r| r.latency_p99_ms).collect();
        [
            Distribution::new(
                "availability_across_runs",
                "Availability",
                "requests succeeded [%]",
                &availability,
            ),
            Distribution::new("latency_p99_across_runs", "p99 latency", "p99 latency [ms]", &p99),
        ]
        .into_iter()
        .flatten()
        .collect()
    }

    /// The mean of the values.
    pub fn mean(&self) -> f64 {
        self.values.iter().sum::<f64>() / self.values.len() as f64
    }

    /// The empirical CDF as a step path: up by 1/n at each value.
    pub fn ecdf_steps(&self) -> Vec<(f64, f64)> {
        let n = self.values.len() as f64;
        let mut out = Vec::with_capacity(2 * self.values.len());
        for (i, v) in self.values.iter().enumerate() {
            out.push((*v, i as f64 / n));
            out.push((*v, (i + 1) as f64 / n));
        }
        out
    }
}

impl Plot for Distribution {
    fn stem(&self) -> &'static str {
        self.stem
    }

    fn title(&self) -> String {
        let n = self.values.len();
        format!("{} across {n} replication{}", self.metric, if n == 1 { "" } else { "s" })
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let (Some(&lo), Some(&hi)) = (self.values.first(), self.values.last()) else {
            return Err(ChartError::NoData(self.stem));
        };
        let (x0, x1) = padded(lo, hi, 0.08);
        let decimals = decimals_for(x0, x1);
        let mut chart = ChartBuilder::on(root)
            .caption(self.title(), title_style())
            .margin(24)
            .x_label_area_size(80)
            .y_label_area_size(110)
            .build_cartesian_2d(x0..x1, 0.0..1.05)?;
        chart
            .configure_mesh()
            .x_desc(self.x_desc.as_str())
            .y_desc("fraction of replications")
            .axis_desc_style(text(AXIS_DESC_PX))
            .label_style(text(TICK_PX))
            .x_label_formatter(&|v| with_decimals(*v, decimals))
            .y_label_formatter(&|v| format!("{v:.1}"))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()?;

        let mean = self.mean();
        let mean_line = stroke(palette::VERMILLION, 3);
        chart
            .draw_series(DashedLineSeries::new([(mean, 0.0), (mean, 1.05)], 14, 8, mean_line))?
            .label(format!("mean {}", with_decimals(mean, decimals + 1)))
            .legend(legend_line(mean_line));

        let mut steps = vec![(x0, 0.0)];
        steps.extend(self.ecdf_steps());
        steps.push((x1, 1.0));
        let line = stroke(palette::BLUE, LINE_PX);
        chart
            .draw_series(LineSeries::new(steps, line))?
            .label("replications (empirical CDF)")
            .legend(legend_line(line));
        chart.draw_series(self.values.iter().enumerate().map(|(i, v)| {
            Circle::new((*v, (i + 1) as f64 / self.values.len() as f64), 7, palette::BLUE.filled())
        }))?;
        legend(&mut chart, SeriesLabelPosition::LowerRight)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ecdf_steps_rise_by_one_over_n_at_each_value_in_order() {
        let d = Distribution::new("x", "RTO", "RTO [s]", &[30.0, 10.0, f64::NAN, 20.0]).unwrap();
        assert_eq!(d.values, [10.0, 20.0, 30.0], "NaN dropped, sorted");
        assert_eq!(d.mean(), 20.0);
        let third = 1.0 / 3.0;
        assert_eq!(
            d.ecdf_steps(),
            [
                (10.0, 0.0),
                (10.0, third),
                (20.0, third),
                (20.0, 2.0 * third),
                (30.0, 2.0 * third),
                (30.0, 1.0)
            ]
        );
        assert_eq!(d.title(), "RTO across 3 replications");
    }

    #[test]
    fn no_finite_value_means_no_chart() {
        assert!(Distribution::new("x", "RPO", "RPO [s]", &[f64::NAN]).is_none());
        assert!(Distribution::new("x", "RPO", "RPO [s]", &[]).is_none());
    }

    #[test]
    fn a_single_value_renders() {
        let d = Distribution::new("x", "RPO", "RPO [s]", &[1.5]).unwrap();
        let r = super::super::render(&d).unwrap();
        assert!(
            r.svg.contains("RPO across 1 replication\n"),
            "singular, then the end of the text: {}",
            r.svg
        );
        assert!(r.svg.contains("RPO [s]"));
    }
}
