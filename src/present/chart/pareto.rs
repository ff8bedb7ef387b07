//! Monthly cost against availability, one point per sweep point, the Pareto frontier (no other point is
//! both cheaper and more available) joined by a line. Drawn only once reports carry a cost.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{
    AXIS_DESC_PX, ChartError, LINE_PX, Plot, TICK_PX, decimals_for, padded, palette, short_number, stroke,
    text, titled_with_key, with_decimals, within,
};

/// The chart: `(label, cost [USD/month], availability [%])` per point, and the frontier's indices.
#[derive(Debug, Clone, PartialEq)]
pub struct Pareto {
    /// `(label, cost [USD/month], availability [%])` per sweep point.
    pub points: Vec<(String, f64, f64)>,
    /// Indices into `points`, by increasing cost.
    pub front: Vec<usize>,
}

impl Plot for Pareto {
    fn stem(&self) -> &'static str {
        "pareto"
    }

    fn title(&self) -> String {
        "Monthly cost against availability".into()
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        if self.points.is_empty() {
            return Err(ChartError::NoData("pareto"));
        }
        let dot = stroke(palette::BLUE, LINE_PX);
        let front = stroke(palette::VERMILLION, LINE_PX);
        let key = vec![("sweep point".to_string(), dot), ("Pareto frontier".to_string(), front)];
        let body = titled_with_key(root, &self.title(), &key)?;
        let fold = |f: fn(&(String, f64, f64)) -> f64| {
            let v: Vec<f64> = self.points.iter().map(f).filter(|v| v.is_finite()).collect();
            padded(
                v.iter().copied().fold(f64::INFINITY, f64::min),
                v.iter().copied().fold(f64::NEG_INFINITY, f64::max),
                0.08,
            )
        };
        let (x0, x1) = fold(|p| p.1);
        let (y0, y1) = fold(|p| p.2);
        let yd = decimals_for(y0, y1);
        let mut chart = ChartBuilder::on(&body)
            .margin(24)
            .margin_top(8)
            .x_label_area_size(80)
            .y_label_area_size(130)
            .build_cartesian_2d(x0..x1, y0..y1)?;
        chart
            .configure_mesh()
            .x_desc("cost [USD/month]")
            .y_desc("availability [%]")
            .axis_desc_style(text(AXIS_DESC_PX))
            .label_style(text(TICK_PX))
            .x_label_formatter(&|v| short_number(*v))
            .y_label_formatter(&|v| with_decimals(*v, yd))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()?;
        let at = |i: usize| (within(self.points[i].1, (x0, x1)), within(self.points[i].2, (y0, y1)));
        chart.draw_series(LineSeries::new(self.front.iter().map(|&i| at(i)), front))?;
        chart.draw_series((0..self.points.len()).map(|i| Circle::new(at(i), 8, palette::BLUE.filled())))?;
        chart.draw_series(
            (0..self.points.len())
                .map(|i| Text::new(self.points[i].0.clone(), (at(i).0, at(i).1), text(TICK_PX - 4))),
        )?;
        Ok(())
    }
}
