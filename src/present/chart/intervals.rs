//! Estimates with their 95% CIs, one row per item (a design, or a design's difference against the
//! baseline), as points with whiskers; optionally a second, contrasting interval per row (the unpaired
//! CI beside the paired one) and a reference line (an objective's target, or zero for differences).
//! Positive estimates that span two orders of magnitude or more (RTOs from seconds to hours) are drawn
//! on a logarithmic axis, so the small ones do not collapse onto zero.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{
    AXIS_DESC_PX, ChartError, LINE_PX, Plot, TICK_PX, padded, palette, stroke, text, titled_with_key, within,
};

/// One row: a label, a point and its interval, and perhaps a contrasting interval.
#[derive(Debug, Clone, PartialEq)]
pub struct IntervalRow {
    /// The row's label (a design, or a difference against the baseline).
    pub label: String,
    /// The point estimate.
    pub mean: f64,
    /// Its 95% CI.
    pub ci: [f64; 2],
    /// A second interval drawn beside it (the unpaired CI beside the paired one), if any.
    pub contrast: Option<[f64; 2]>,
}

/// The chart.
#[derive(Debug, Clone, PartialEq)]
pub struct Intervals {
    /// File name without extension (a metric key: files go in a folder naming the chart kind).
    pub stem: &'static str,
    /// The chart's title.
    pub title: String,
    /// The x axis with its unit.
    pub x_desc: String,
    /// Top to bottom.
    pub rows: Vec<IntervalRow>,
    /// Legend names of the interval and of the contrasting interval.
    pub names: (String, String),
    /// A vertical line and its legend name.
    pub reference: Option<(f64, String)>,
    /// Values are availabilities \[%\] drawn on a nines scale (see [`Intervals::on_nines_scale`]).
    pub nines: bool,
}

/// The widest ratio of largest to smallest value a linear axis is used for.
const LINEAR_SPAN_MAX: f64 = 100.0;

impl Intervals {
    /// `None` without a row with a finite mean.
    pub fn new(
        stem: &'static str,
        title: String,
        x_desc: String,
        rows: Vec<IntervalRow>,
        names: (String, String),
        reference: Option<(f64, String)>,
    ) -> Option<Intervals> {
        rows.iter().any(|r| r.mean.is_finite()).then_some(Intervals {
            stem,
            title,
            x_desc,
            rows,
            names,
            reference,
            nines: false,
        })
    }

    /// Draws availabilities \[%\] on a nines scale (`-log10(1 - a)`, labelled in %): 97.9%, 98.95% and
    /// 99.2% are a third of a nine apart, where a linear axis squashes them into one spot.
    pub fn on_nines_scale(mut self) -> Intervals {
        self.nines = true;
        self
    }

    /// The axis position of value `v`.
    fn position(&self, v: f64) -> f64 {
        if self.nines {
            super::nines_position(v)
        } else if self.log() {
            v.log10()
        } else {
            v
        }
    }

    /// Whether the axis is logarithmic (base 10): every value positive, spanning a factor of
    /// [`LINEAR_SPAN_MAX`] or more.
    fn log(&self) -> bool {
        let values = self.values();
        let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        !self.nines && lo > 0.0 && hi / lo >= LINEAR_SPAN_MAX
    }

    /// Every finite value drawn: means, interval ends, the reference.
    fn values(&self) -> Vec<f64> {
        let mut values: Vec<f64> = Vec::new();
        for r in &self.rows {
            values.extend([r.mean, r.ci[0], r.ci[1]]);
            if let Some(c) = r.contrast {
                values.extend(c);
            }
        }
        if let Some((v, _)) = &self.reference {
            values.push(*v);
        }
        values.retain(|v| v.is_finite());
        values
    }

    fn x_range(&self) -> (f64, f64) {
        let positions: Vec<f64> = self.values().into_iter().map(|v| self.position(v)).collect();
        let lo = positions.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = positions.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        padded(lo, hi, 0.08)
    }
}

/// A tick label of a logarithmic axis at position `v`: the power of ten there (`1`, `1000`, `10k`), blank
/// between powers.
fn log_tick(v: f64) -> String {
    if (v - v.round()).abs() < 1e-6 {
        super::short_number(10f64.powi(v.round() as i32))
    } else {
        String::new()
    }
}

impl Plot for Intervals {
    fn stem(&self) -> &'static str {
        self.stem
    }

    fn title(&self) -> String {
        self.title.clone()
    }

    fn size(&self) -> (u32, u32) {
        // Rows need room: grow past 16:9 when there are many.
        (super::SIZE.0, super::SIZE.1.max(220 + 90 * self.rows.len() as u32))
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        if self.rows.is_empty() {
            return Err(ChartError::NoData(self.stem));
        }
        let main = stroke(palette::BLUE, LINE_PX);
        let contrast = stroke(palette::SKY_BLUE, 3);
        let reference = stroke(palette::VERMILLION, 3);
        let mut key = vec![(self.names.0.clone(), main)];
        if self.rows.iter().any(|r| r.contrast.is_some()) {
            key.push((self.names.1.clone(), contrast));
        }
        if let Some((_, name)) = &self.reference {
            key.push((name.clone(), reference));
        }
        let body = titled_with_key(root, &self.title, &key)?;
        let (x0, x1) = self.x_range();
        let n = self.rows.len() as f64;
        let label_px = self.rows.iter().map(|r| r.label.chars().count()).max().unwrap_or(4) as u32 * 14 + 30;
        let mut chart = ChartBuilder::on(&body)
            .margin(24)
            .margin_top(8)
            .x_label_area_size(80)
            .y_label_area_size(label_px.clamp(120, 520))
            .build_cartesian_2d(x0..x1, -0.5..n - 0.5)?;
        let labels: Vec<String> = self.rows.iter().map(|r| r.label.clone()).collect();
        // On a log axis, a tick at each power of ten (asking for one per unit of the axis).
        let log = self.log();
        let x_labels = if log {
            (x1 - x0).ceil() as usize + 1
        } else if self.nines {
            super::NINES_TICKS
        } else {
            6
        };
        let x_desc = if log {
            format!("{}, log scale", self.x_desc)
        } else if self.nines {
            format!("{}, nines scale (log of 100% - availability)", self.x_desc)
        } else {
            self.x_desc.clone()
        };
        let linear = super::axis_format(x0, x1);
        chart
            .configure_mesh()
            .x_desc(x_desc.as_str())
            .axis_desc_style(text(AXIS_DESC_PX))
            .label_style(text(TICK_PX))
            .x_labels(x_labels)
            .x_label_formatter(&|v| {
                if log {
                    log_tick(*v)
                } else if self.nines {
                    super::nines_tick(*v)
                } else {
                    linear(v)
                }
            })
            .y_labels(self.rows.len() * 2 + 1)
            .y_label_formatter(&|v| {
                // Row i sits at y = n − 1 − i (first row on top); other ticks are blank.
                let i = (n - 1.0 - v).round();
                if (v - v.round()).abs() < 1e-6 && i >= 0.0 && (i as usize) < labels.len() {
                    labels[i as usize].clone()
                } else {
                    String::new()
                }
            })
            .disable_y_mesh()
            .light_line_style(RGBColor(235, 235, 235))
            .draw()?;
        let x = |v: f64| within(self.position(v), (x0, x1));
        if let Some((v, _)) = &self.reference {
            chart.draw_series(DashedLineSeries::new([(x(*v), -0.5), (x(*v), n - 0.5)], 14, 8, reference))?;
        }
        for (i, r) in self.rows.iter().enumerate() {
            let y = n - 1.0 - i as f64;
            if let Some(c) = r.contrast {
                let yc = y - 0.22;
                chart.draw_series(LineSeries::new([(x(c[0]), yc), (x(c[1]), yc)], contrast))?;
                for end in c {
                    chart
                        .draw_series(LineSeries::new([(x(end), yc - 0.08), (x(end), yc + 0.08)], contrast))?;
                }
            }
            if r.mean.is_finite() {
                chart.draw_series(LineSeries::new([(x(r.ci[0]), y), (x(r.ci[1]), y)], main))?;
                for end in r.ci {
                    chart.draw_series(LineSeries::new([(x(end), y - 0.12), (x(end), y + 0.12)], main))?;
                }
                chart.draw_series([Circle::new((x(r.mean), y), 9, palette::BLUE.filled())])?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_rows_with_contrast_and_reference() {
        let rows = vec![
            IntervalRow { label: "large".into(), mean: -5.0, ci: [-6.0, -4.0], contrast: Some([-12.0, 2.0]) },
            IntervalRow { label: "small".into(), mean: 3.0, ci: [2.0, 4.0], contrast: None },
        ];
        let c = Intervals::new(
            "latency_p99_ms",
            "p99 latency".into(),
            "p99 latency [ms]".into(),
            rows,
            ("paired 95% CI".into(), "unpaired 95% CI".into()),
            Some((0.0, "no difference".into())),
        )
        .unwrap();
        assert!(c.x_range().0 < -12.0, "the contrast interval is in range");
        let r = super::super::render(&c).unwrap();
        assert!(r.svg.contains("large") && r.svg.contains("unpaired 95% CI"));
        assert!(!c.log(), "negative values: a linear axis");
        assert!(
            Intervals::new("x", String::new(), String::new(), vec![], Default::default(), None).is_none()
        );
    }

    #[test]
    fn availabilities_get_a_nines_scale_that_spreads_them() {
        let rows = [97.9, 98.95, 99.2]
            .iter()
            .map(|&m| IntervalRow {
                label: format!("{m}"),
                mean: m,
                ci: [m - 0.05, (m + 0.05).min(100.0)],
                contrast: None,
            })
            .collect();
        let c = Intervals::new(
            "availability",
            "a".into(),
            "availability [%]".into(),
            rows,
            Default::default(),
            None,
        )
        .unwrap()
        .on_nines_scale();
        let (lo, hi) = c.x_range();
        // On a nines scale the three means span more than half the axis.
        let span = c.position(99.2) - c.position(97.9);
        assert!(span > 0.5 * (hi - lo), "{span} of {lo}..{hi}");
        let svg = super::super::render(&c).unwrap().svg;
        assert!(svg.contains("nines scale"), "the axis says it is not linear");
        assert!(svg.contains("99.0%") || svg.contains("98.5%"), "ticks are availabilities in %");
    }

    fn rto_chart(means: &[f64]) -> Intervals {
        let rows = means
            .iter()
            .map(|&m| IntervalRow { label: format!("{m}"), mean: m, ci: [m * 0.9, m * 1.1], contrast: None })
            .collect();
        Intervals::new("rto_s", "RTO".into(), "RTO [s]".into(), rows, Default::default(), None).unwrap()
    }

    #[test]
    fn values_over_two_orders_of_magnitude_get_a_log_axis_labelled_in_powers_of_ten() {
        // RTOs of the DR strategies: 38 s to 3 h.
        let c = rto_chart(&[11_185.0, 1_519.0, 93.4, 37.7]);
        assert!(c.log());
        let (lo, hi) = c.x_range();
        assert!(lo < (37.7f64 * 0.9).log10() && hi > (11_185.0f64 * 1.1).log10() && hi < 5.0, "{lo}..{hi}");
        let svg = super::super::render(&c).unwrap().svg;
        assert!(svg.contains("RTO [s], log scale"), "the axis says it is logarithmic");
        for label in ["100", "1000", "10k"] {
            assert!(svg.lines().any(|l| l.trim() == label), "tick {label} missing");
        }
        assert_eq!(
            (log_tick(2.0), log_tick(4.0), log_tick(2.5)),
            ("100".into(), "10k".into(), String::new())
        );
        // Within a factor of 100, or touching zero: linear.
        assert!(!rto_chart(&[93.4, 37.7, 120.0]).log());
        assert!(!rto_chart(&[0.0, 5_000.0]).log());
    }
}
