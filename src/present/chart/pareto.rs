//! Monthly cost against availability, one point per sweep point, the Pareto frontier (no other point is
//! both cheaper and more available) joined by a line. Drawn only once reports carry a cost.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{
    AXIS_DESC_PX, ChartError, LINE_PX, Plot, TICK_PX, axis_format, decimals_for, padded, palette, stroke,
    text, titled_with_key, with_decimals, within,
};

/// The chart: `(label, cost [USD/month], availability [%])` per point, and the frontier's indices.
#[derive(Debug, Clone, PartialEq)]
pub struct Pareto {
    /// `(label, cost [USD/month], availability [%])` per sweep point; the label is the point's varied
    /// values only (`6, Warm`), the parameters' paths are in `labelled_by`.
    pub points: Vec<(String, f64, f64)>,
    /// Indices into `points`, by increasing cost.
    pub front: Vec<usize>,
    /// What the labels are the values of: the varied parameters' paths, shown once in the key.
    pub labelled_by: String,
}

/// A label's box in pixels `(x0, y0, x1, y1)`.
type LabelBox = (i32, i32, i32, i32);

/// Where to write each label beside its point (pixel position of the point, size of the label): right,
/// left, above or below it, the first spot that overlaps no label placed before and no point, within
/// `bounds`; `None` for a label with no free spot (its point is still drawn).
pub(crate) fn place_labels(
    points: &[(i32, i32)],
    sizes: &[(i32, i32)],
    bounds: LabelBox,
) -> Vec<Option<(i32, i32)>> {
    const GAP: i32 = 12;
    let overlaps = |a: &LabelBox, b: &LabelBox| a.0 < b.2 && b.0 < a.2 && a.1 < b.3 && b.1 < a.3;
    let dots: Vec<LabelBox> = points.iter().map(|&(x, y)| (x - 8, y - 8, x + 8, y + 8)).collect();
    let mut placed: Vec<LabelBox> = Vec::new();
    points
        .iter()
        .zip(sizes)
        .map(|(&(x, y), &(w, h))| {
            let spots = [
                (x + GAP, y - h / 2),
                (x - GAP - w, y - h / 2),
                (x - w / 2, y - GAP - h),
                (x - w / 2, y + GAP),
            ];
            let free = spots.into_iter().find(|&(sx, sy)| {
                let b = (sx, sy, sx + w, sy + h);
                b.0 >= bounds.0
                    && b.1 >= bounds.1
                    && b.2 <= bounds.2
                    && b.3 <= bounds.3
                    && !placed.iter().chain(&dots).any(|o| overlaps(&b, o))
            })?;
            placed.push((free.0, free.1, free.0 + w, free.1 + h));
            Some(free)
        })
        .collect()
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
        let point_name = if self.labelled_by.is_empty() {
            "sweep point".to_string()
        } else {
            format!("sweep point, labelled {}", self.labelled_by)
        };
        let key = vec![(point_name, dot), ("Pareto frontier".to_string(), front)];
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
            .x_label_formatter(&axis_format(x0, x1))
            .y_label_formatter(&|v| with_decimals(*v, yd))
            .light_line_style(RGBColor(235, 235, 235))
            .draw()?;
        let at = |i: usize| (within(self.points[i].1, (x0, x1)), within(self.points[i].2, (y0, y1)));
        chart.draw_series(LineSeries::new(self.front.iter().map(|&i| at(i)), front))?;
        chart.draw_series((0..self.points.len()).map(|i| Circle::new(at(i), 8, palette::BLUE.filled())))?;
        // Labels where they overlap nothing, in pixels on the whole canvas.
        let style = text(TICK_PX - 4);
        let pixels: Vec<(i32, i32)> = (0..self.points.len()).map(|i| chart.backend_coord(&at(i))).collect();
        let sizes: Vec<(i32, i32)> = self
            .points
            .iter()
            .map(|p| root.estimate_text_size(&p.0, &style).map(|(w, h)| (w as i32, h as i32)))
            .collect::<Result<_, _>>()?;
        let (px, py) = chart.plotting_area().get_pixel_range();
        let spots = place_labels(&pixels, &sizes, (px.start, py.start, px.end, py.end));
        for (p, spot) in self.points.iter().zip(spots) {
            if let Some(at) = spot {
                root.draw(&Text::new(p.0.clone(), at, style.clone()))?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pareto_labels_do_not_overlap() {
        // Five points in a tight cluster, labels 60 x 20 px.
        let points = [(100, 100), (104, 102), (108, 98), (300, 300), (102, 104)];
        let sizes = [(60, 20); 5];
        let spots = place_labels(&points, &sizes, (0, 0, 1000, 1000));
        let boxes: Vec<LabelBox> = spots
            .iter()
            .zip(&sizes)
            .filter_map(|(s, &(w, h))| s.map(|(x, y)| (x, y, x + w, y + h)))
            .collect();
        assert!(boxes.len() >= 4, "most labels find a spot: {spots:?}");
        for (i, a) in boxes.iter().enumerate() {
            for b in &boxes[i + 1..] {
                assert!(!(a.0 < b.2 && b.0 < a.2 && a.1 < b.3 && b.1 < a.3), "{a:?} overlaps {b:?}");
            }
        }
        // A lone point gets its label on its right.
        assert_eq!(spots[3], Some((312, 290)));
    }

    #[test]
    fn pareto_labels_are_the_varied_values_and_the_key_names_the_parameters() {
        let c = Pareto {
            points: vec![("6, Warm".into(), 900.0, 99.5), ("8, Hot".into(), 1400.0, 99.95)],
            front: vec![0, 1],
            labelled_by: "services[api].deployments[us-east-1].instances, standby".into(),
        };
        let svg = super::super::render(&c).unwrap().svg;
        assert!(svg.contains(">6, Warm<") || svg.contains("6, Warm\n"), "short label drawn");
        assert!(svg.contains("labelled services[api]"), "the paths once, in the key");
    }
}
