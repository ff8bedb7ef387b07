//! Latency CDF per population on a logarithmic latency axis, with each population's p50 and p99 marked.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{
    AXIS_DESC_PX, ChartError, LINE_PX, Plot, TICK_PX, legend, legend_line, palette, short_number, stroke,
    text, title_style,
};
use crate::analysis::report::Report;

/// One population's curve.
#[derive(Debug, Clone, PartialEq)]
pub struct CdfSeries {
    pub name: String,
    /// `(latency [ms], cumulative fraction)`, latency > 0, ascending.
    pub points: Vec<(f64, f64)>,
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
}

/// The latency CDF chart.
#[derive(Debug, Clone, PartialEq)]
pub struct LatencyCdf {
    /// One curve per population, in the report's order.
    pub series: Vec<CdfSeries>,
}

impl LatencyCdf {
    /// From `Report::latency_cdf` and the pooled percentiles of `Report::per_population`; `None` when no
    /// request succeeded.
    pub fn from_report(report: &Report) -> Option<LatencyCdf> {
        let series: Vec<CdfSeries> = report
            .latency_cdf
            .iter()
            .map(|cdf| {
                let pop = report.per_population.iter().find(|p| p.name == cdf.name);
                CdfSeries {
                    name: cdf.name.clone(),
                    points: cdf
                        .points
                        .iter()
                        .filter(|[x, f]| *x > 0.0 && x.is_finite() && f.is_finite())
                        .map(|[x, f]| (*x, *f))
                        .collect(),
                    p50_ms: pop.and_then(|p| p.latency_ms.p50.map(|e| e.mean)),
                    p99_ms: pop.and_then(|p| p.latency_ms.p99.map(|e| e.mean)),
                }
            })
            .filter(|s| !s.points.is_empty())
            .collect();
        (!series.is_empty()).then_some(LatencyCdf { series })
    }

    fn x_range(&self) -> (f64, f64) {
        let xs = self.series.iter().flat_map(|s| s.points.iter().map(|p| p.0));
        let (lo, hi) = xs.fold((f64::INFINITY, 0.0f64), |(lo, hi), x| (lo.min(x), hi.max(x)));
        // Whole decades read best on a log axis.
        (10f64.powf(lo.log10().floor()), 10f64.powf((hi * 1.01).log10().ceil()))
    }
}

impl Plot for LatencyCdf {
    fn stem(&self) -> &'static str {
        "latency_cdf"
    }

    fn title(&self) -> String {
        "Latency of successful requests (CDF)".into()
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        if self.series.iter().all(|s| s.points.is_empty()) {
            return Err(ChartError::NoData(self.stem()));
        }
        let (lo, hi) = self.x_range();
        let mut chart = ChartBuilder::on(root)
            .caption(self.title(), title_style())
            .margin(24)
            .x_label_area_size(80)
            .y_label_area_size(110)
            .build_cartesian_2d((lo..hi).log_scale(), 0.0..1.02)?;
        chart
            .configure_mesh()
            .x_desc("latency [ms] (log scale)")
            .y_desc("fraction of requests")
            .axis_desc_style(text(AXIS_DESC_PX))
            .label_style(text(TICK_PX))
            .x_label_formatter(&|v| short_number(*v))
            .y_label_formatter(&|v| format!("{v:.1}"))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()?;

        // Reference levels of the two percentiles.
        let grey = RGBColor(120, 120, 120);
        for level in [0.5, 0.99] {
            chart.draw_series(DashedLineSeries::new([(lo, level), (hi, level)], 12, 8, stroke(grey, 2)))?;
        }

        for (i, s) in self.series.iter().enumerate() {
            let color = palette::series(i);
            chart
                .draw_series(LineSeries::new(s.points.iter().copied(), stroke(color, LINE_PX)))?
                .label(s.name.clone())
                .legend(legend_line(stroke(color, LINE_PX)));
            let marks = [("p50", s.p50_ms, 0.5), ("p99", s.p99_ms, 0.99)];
            for (name, value, level) in marks {
                let Some(v) = value.filter(|v| *v > 0.0 && v.is_finite()) else { continue };
                let x = v.clamp(lo, hi);
                chart.draw_series(std::iter::once(Circle::new((x, level), 9, color.filled())))?;
                // Labels of later series sit lower, so two populations' labels do not overlap.
                let label = format!("{name} {} ms", short_number(v));
                chart.draw_series(std::iter::once(Text::new(
                    label,
                    (x, level - 0.05 - 0.06 * i as f64),
                    text(TICK_PX).color(&color),
                )))?;
            }
        }
        legend(&mut chart, SeriesLabelPosition::LowerRight)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chart() -> LatencyCdf {
        LatencyCdf {
            series: vec![CdfSeries {
                name: "clients".into(),
                points: vec![(1.0, 0.1), (10.0, 0.5), (50.0, 0.99), (80.0, 1.0)],
                p50_ms: Some(10.0),
                p99_ms: Some(50.0),
            }],
        }
    }

    #[test]
    fn the_x_axis_spans_whole_decades() {
        // 1 ms .. 80 ms: from 10^0 to 10^2.
        assert_eq!(chart().x_range(), (1.0, 100.0));
    }

    #[test]
    fn renders_with_title_and_axis_labels() {
        let r = super::super::render(&chart()).unwrap();
        assert!(r.svg.contains("Latency of successful requests"));
        assert!(r.svg.contains("latency [ms]"));
        assert!(r.svg.contains("p99 50 ms"));
    }
}
