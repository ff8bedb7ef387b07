//! Monthly cost as stacked bars, one bar per design (or scenario), one colour per cost component, drawn
//! from a [`CostBreakdown`] per bar.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{
    AXIS_DESC_PX, ChartError, Plot, TICK_PX, axis_format, palette, short_number, text, titled_with_key,
};

pub use crate::analysis::cost::CostBreakdown;

/// Half the width of a bar, in units of the x axis (one unit per bar).
const BAR_HALF_WIDTH: f64 = 0.3;

/// Stacked bars of monthly cost.
#[derive(Debug, Clone, PartialEq)]
pub struct CostChart {
    /// `(bar label, breakdown)`, drawn left to right.
    pub bars: Vec<(String, CostBreakdown)>,
}

impl CostChart {
    /// `None` without bars or when nothing costs anything.
    pub fn new(bars: Vec<(String, CostBreakdown)>) -> Option<CostChart> {
        let any = bars.iter().any(|(_, b)| b.total() > 0.0 && b.total().is_finite());
        any.then_some(CostChart { bars })
    }

    /// `(bottom, top)` of each component's box in bar `i` [USD/month]; negative components count as 0.
    pub fn stack(breakdown: &CostBreakdown) -> [(f64, f64); 6] {
        let mut out = [(0.0, 0.0); 6];
        let mut base = 0.0;
        for (slot, (_, v)) in out.iter_mut().zip(breakdown.components()) {
            let v = if v.is_finite() { v.max(0.0) } else { 0.0 };
            *slot = (base, base + v);
            base += v;
        }
        out
    }
}

impl Plot for CostChart {
    fn stem(&self) -> &'static str {
        "cost_per_month"
    }

    fn title(&self) -> String {
        "Cost per month".into()
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        if self.bars.is_empty() {
            return Err(ChartError::NoData(self.stem()));
        }
        let max = self.bars.iter().map(|(_, b)| Self::stack(b)[5].1).fold(0.0, f64::max);
        let n = self.bars.len();
        let key: Vec<(String, ShapeStyle)> = (0..6)
            .filter(|&c| self.bars.iter().any(|(_, b)| Self::stack(b)[c].1 > Self::stack(b)[c].0))
            .map(|c| {
                (CostBreakdown::default().components()[c].0.to_string(), palette::series(c).stroke_width(16))
            })
            .collect();
        let body = titled_with_key(root, &self.title(), &key)?;
        // A plain numeric x axis, bar i centred on x = i: a segmented axis of one bar has no segment end to
        // draw to (its bar came out with a negative width, left of the axis).
        let x = (-0.5, n as f64 - 0.5);
        let y1 = (max * 1.12).max(1.0);
        let mut chart = ChartBuilder::on(&body)
            .margin(24)
            .margin_top(8)
            .x_label_area_size(80)
            .y_label_area_size(130)
            .build_cartesian_2d(x.0..x.1, 0.0..y1)?;
        let labels: Vec<String> = self.bars.iter().map(|(l, _)| l.clone()).collect();
        chart
            .configure_mesh()
            .disable_x_mesh()
            .y_desc("cost [USD/month]")
            .axis_desc_style(text(AXIS_DESC_PX))
            .label_style(text(TICK_PX))
            .x_labels(2 * n + 1)
            .x_label_formatter(&|v| {
                let i = v.round();
                if (v - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < labels.len() {
                    labels[i as usize].clone()
                } else {
                    String::new()
                }
            })
            .y_label_formatter(&axis_format(0.0, y1))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()?;

        for c in 0..6 {
            let color = palette::series(c);
            let boxes = self.bars.iter().enumerate().filter_map(move |(i, (_, b))| {
                let (lo, hi) = Self::stack(b)[c];
                let i = i as f64;
                (hi > lo).then(|| {
                    Rectangle::new(
                        [(i - BAR_HALF_WIDTH, lo.min(y1)), (i + BAR_HALF_WIDTH, hi.min(y1))],
                        color.filled(),
                    )
                })
            });
            chart.draw_series(boxes)?;
        }
        chart.draw_series(self.bars.iter().enumerate().map(|(i, (_, b))| {
            Text::new(
                format!("${}", short_number(b.total())),
                (i as f64, (Self::stack(b)[5].1 + max * 0.06).min(y1)),
                text(TICK_PX + 2).pos(plotters::style::text_anchor::Pos::new(
                    plotters::style::text_anchor::HPos::Center,
                    plotters::style::text_anchor::VPos::Center,
                )),
            )
        }))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn breakdown() -> CostBreakdown {
        CostBreakdown {
            compute: 1400.0,
            transfer: 120.0,
            egress: 300.0,
            dns: 2.5,
            store_writes: 80.0,
            downtime: 0.0,
        }
    }

    #[test]
    fn components_stack_in_order_from_zero() {
        let s = CostChart::stack(&breakdown());
        assert_eq!(s[0], (0.0, 1400.0));
        assert_eq!(s[1], (1400.0, 1520.0));
        // The top of the stack is the total: 1400 + 120 + 300 + 2.5 + 80 + 0.
        assert_eq!(s[5].1, 1902.5);
        assert_eq!(breakdown().total(), 1902.5);
    }

    #[test]
    fn nothing_to_pay_is_no_chart() {
        assert!(CostChart::new(vec![]).is_none());
        let by_hand = CostChart { bars: vec![] };
        assert!(matches!(super::super::render(&by_hand), Err(ChartError::NoData("cost_per_month"))));
        assert!(CostChart::new(vec![("free".into(), CostBreakdown::default())]).is_none());
    }

    #[test]
    fn renders_stacked_bars_with_legend_and_totals() {
        let warm = CostBreakdown { compute: 700.0, downtime: 50.0, ..breakdown() };
        let chart =
            CostChart::new(vec![("hot standby".into(), breakdown()), ("warm standby".into(), warm)]).unwrap();
        let r = super::super::render(&chart).unwrap();
        for needle in ["Cost per month", "cost [USD/month]", "hot standby", "compute", "downtime", "$1902"] {
            assert!(r.svg.contains(needle), "{needle} missing");
        }
        assert!(r.png.starts_with(b"\x89PNG"));
        let single = CostChart::new(vec![("only".into(), breakdown())]).unwrap();
        assert!(super::super::render(&single).unwrap().svg.contains("only"));
    }
}
