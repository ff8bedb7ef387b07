//! A metric against a swept parameter: the mean as a line with points, its 95% CI as a band, one series
//! per combination of the other parameters, the objective's target as a dashed line and the chosen
//! point ringed. With the p99 metric and an instance count as the parameter, this is the
//! capacity-planning view.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{
    AXIS_DESC_PX, ChartError, LINE_PX, Plot, TICK_PX, axis_format, padded, palette, stroke, text,
    titled_with_key, within,
};

/// One line: `(x, mean, ci_lo, ci_hi)` per point, by increasing x.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepSeries {
    /// The population (or `all requests`), with the values of the other varied parameters.
    pub label: String,
    /// `(x, mean, ci_lo, ci_hi)` per point, by increasing x.
    pub points: Vec<(f64, f64, f64, f64)>,
}

/// The chart.
#[derive(Debug, Clone, PartialEq)]
pub struct SweepLine {
    /// File name without extension: the metric's key (the folder names the chart kind).
    pub stem: &'static str,
    /// The chart's title.
    pub title: String,
    /// The x axis: the varied parameter.
    pub x_desc: String,
    /// The y axis: the metric with its unit.
    pub y_desc: String,
    /// Tick labels when the parameter is not numeric (x is then the value's index).
    pub x_labels: Option<Vec<String>>,
    /// One line per population and combination of the other varied parameters.
    pub series: Vec<SweepSeries>,
    /// A horizontal line (an objective's target) and its legend name.
    pub reference: Option<(f64, String)>,
    /// The chosen point `(x, y)`, ringed.
    pub chosen: Option<(f64, f64)>,
    /// The parameter takes whole values (instances, concurrency): ticks only at integers.
    pub integer_x: bool,
    /// The metric is an availability \[%\], drawn on a nines scale (`-log10(1 - a)`, labelled in %).
    pub nines: bool,
}

impl SweepLine {
    /// The y position of a metric's value: itself, or its place on the nines scale.
    fn y(&self, v: f64) -> f64 {
        if self.nines { super::nines_position(v) } else { v }
    }

    fn ranges(&self) -> ((f64, f64), (f64, f64)) {
        let pts = self.series.iter().flat_map(|s| s.points.iter());
        let xs: Vec<f64> = pts.clone().map(|p| p.0).filter(|v| v.is_finite()).collect();
        let mut ys: Vec<f64> =
            pts.flat_map(|p| [p.1, p.2, p.3]).filter(|v| v.is_finite()).map(|v| self.y(v)).collect();
        if let Some((v, _)) = &self.reference {
            ys.push(self.y(*v));
        }
        let span = |v: &[f64]| {
            (
                v.iter().copied().fold(f64::INFINITY, f64::min),
                v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            )
        };
        let (x0, x1) = span(&xs);
        let (y0, y1) = span(&ys);
        (padded(x0, x1, 0.05), padded(y0, y1, 0.08))
    }
}

impl Plot for SweepLine {
    fn stem(&self) -> &'static str {
        self.stem
    }

    fn title(&self) -> String {
        self.title.clone()
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        if self.series.iter().all(|s| s.points.is_empty()) {
            return Err(ChartError::NoData(self.stem));
        }
        let mut key: Vec<(String, ShapeStyle)> = self
            .series
            .iter()
            .enumerate()
            .map(|(i, s)| (format!("{} (band: 95% CI)", s.label), stroke(palette::series(i), LINE_PX)))
            .collect();
        let reference = stroke(palette::VERMILLION, 3);
        if let Some((_, name)) = &self.reference {
            key.push((name.clone(), reference));
        }
        let chosen_style = stroke(palette::BLUISH_GREEN, 4);
        if self.chosen.is_some() {
            key.push(("chosen point".into(), chosen_style));
        }
        let body = titled_with_key(root, &self.title, &key)?;
        let ((x0, x1), (y0, y1)) = self.ranges();
        let mut chart = ChartBuilder::on(&body)
            .margin(24)
            .margin_top(8)
            .x_label_area_size(80)
            .y_label_area_size(130)
            .build_cartesian_2d(x0..x1, y0..y1)?;
        let labels = self.x_labels.clone();
        let integer_x = self.integer_x;
        let x_linear = axis_format(x0, x1);
        let x_format = move |v: &f64| match &labels {
            Some(l) => {
                let i = v.round();
                if (v - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < l.len() {
                    l[i as usize].clone()
                } else {
                    String::new()
                }
            }
            None if integer_x && (v - v.round()).abs() > 1e-9 => String::new(),
            None if integer_x => format!("{}", v.round()),
            None => x_linear(v),
        };
        let y_linear = axis_format(y0, y1);
        let y_format = |v: &f64| if self.nines { super::nines_tick(*v) } else { y_linear(v) };
        let y_desc = if self.nines { format!("{}, nines scale", self.y_desc) } else { self.y_desc.clone() };
        let mut mesh = chart.configure_mesh();
        mesh.x_desc(self.x_desc.as_str())
            .y_desc(y_desc.as_str())
            .axis_desc_style(text(AXIS_DESC_PX))
            .label_style(text(TICK_PX))
            .x_label_formatter(&x_format)
            .y_label_formatter(&y_format)
            .light_line_style(RGBColor(235, 235, 235));
        if self.nines {
            mesh.y_labels(super::NINES_TICKS);
        }
        if let Some(l) = &self.x_labels {
            mesh.x_labels(l.len() * 2 + 1);
        } else if self.integer_x {
            // A tick per whole value when they are few; plotters' steps from 1 up are whole anyway.
            mesh.x_labels(((x1 - x0).floor() as usize + 1).clamp(2, 12));
        }
        mesh.draw()?;
        let clamp = |(x, y): (f64, f64)| (within(x, (x0, x1)), within(self.y(y), (y0, y1)));
        for (i, s) in self.series.iter().enumerate() {
            let colour = palette::series(i);
            let pts: Vec<_> = s.points.iter().filter(|p| p.1.is_finite()).collect();
            if pts.len() >= 2 {
                let mut band: Vec<(f64, f64)> = pts.iter().map(|p| clamp((p.0, p.3))).collect();
                band.extend(pts.iter().rev().map(|p| clamp((p.0, p.2))));
                chart.draw_series([Polygon::new(band, colour.mix(0.18).filled())])?;
            } else {
                for p in &pts {
                    chart.draw_series(LineSeries::new(
                        [clamp((p.0, p.2)), clamp((p.0, p.3))],
                        stroke(colour, 3),
                    ))?;
                }
            }
            chart.draw_series(LineSeries::new(
                pts.iter().map(|p| clamp((p.0, p.1))),
                stroke(colour, LINE_PX),
            ))?;
            chart.draw_series(pts.iter().map(|p| Circle::new(clamp((p.0, p.1)), 7, colour.filled())))?;
        }
        if let Some((v, _)) = &self.reference {
            let v = within(self.y(*v), (y0, y1));
            chart.draw_series(DashedLineSeries::new([(x0, v), (x1, v)], 14, 8, reference))?;
        }
        if let Some(p) = self.chosen {
            chart.draw_series([Circle::new(clamp(p), 16, chosen_style)])?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_a_band_a_target_and_categorical_ticks() {
        let c = SweepLine {
            stem: "latency_p99_ms",
            title: "p99 latency".into(),
            x_desc: "standby".into(),
            y_desc: "p99 latency [ms]".into(),
            x_labels: Some(vec!["Hot".into(), "Warm".into()]),
            series: vec![SweepSeries {
                label: "mean".into(),
                points: vec![(0.0, 100.0, 90.0, 110.0), (1.0, 150.0, 140.0, 170.0)],
            }],
            reference: Some((120.0, "objective p99 <= 120 ms".into())),
            chosen: Some((0.0, 100.0)),
            integer_x: false,
            nines: false,
        };
        let ((_, _), (y0, y1)) = c.ranges();
        assert!(y0 < 90.0 && y1 > 170.0);
        let r = super::super::render(&c).unwrap();
        assert!(r.svg.contains("Warm") && r.svg.contains("objective p99"));
    }

    /// The tick labels of an SVG: the text of every `<text>` element.
    fn texts(svg: &str) -> Vec<String> {
        svg.split("<text")
            .skip(1)
            .filter_map(|t| Some(t.split_once('>')?.1.split_once("</text>")?.0.trim().to_string()))
            .collect()
    }

    #[test]
    fn integer_sweep_parameters_get_integer_ticks() {
        let c = SweepLine {
            stem: "latency_p99_ms",
            title: "p99".into(),
            x_desc: "services[mm].concurrency".into(),
            y_desc: "p99 latency [ms]".into(),
            x_labels: None,
            series: vec![SweepSeries {
                label: "all".into(),
                points: vec![(10.0, 120.0, 110.0, 130.0), (12.0, 50.0, 48.0, 52.0), (13.0, 46.0, 45.0, 47.0)],
            }],
            reference: None,
            chosen: None,
            integer_x: true,
            nines: false,
        };
        let labels = texts(&super::super::render(&c).unwrap().svg);
        for n in ["10", "11", "12", "13"] {
            assert!(labels.iter().any(|l| l == n), "tick {n} missing: {labels:?}");
        }
        assert!(!labels.iter().any(|l| l.contains("10.5") || l.contains("12.5")), "{labels:?}");
    }
}
