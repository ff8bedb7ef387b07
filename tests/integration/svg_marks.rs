//! A check of what a chart's SVG draws, independent of how it was drawn: every mark (rect, line, circle,
//! polyline, polygon) has a positive size and lies on the canvas, and every coloured mark (data, not the
//! black and grey chrome) lies inside a plot area or in the key band above all plot areas. A plot area is
//! found the way a reader finds it: the corner where a long black x axis meets a long black y axis.
//!
//! This is what would have caught the empty cost chart (bars of width -60, drawn over the tick labels).

/// One drawn element: its tag, its attributes.
struct Element<'a> {
    tag: &'a str,
    attrs: Vec<(&'a str, &'a str)>,
}

impl<'a> Element<'a> {
    fn get(&self, name: &str) -> Option<&'a str> {
        self.attrs.iter().find(|(k, _)| *k == name).map(|(_, v)| *v)
    }

    fn num(&self, name: &str, what: &str) -> f64 {
        let v = self.get(name).unwrap_or_else(|| panic!("{what}: <{}> without {name}", self.tag));
        v.parse().unwrap_or_else(|_| panic!("{what}: <{}> {name}=\"{v}\" is not a number", self.tag))
    }

    /// The colour it is drawn in (its fill, else its stroke), upper case, `#RRGGBB`.
    fn colour(&self) -> String {
        let fill = self.get("fill").filter(|f| *f != "none");
        fill.or(self.get("stroke")).unwrap_or("none").to_ascii_uppercase()
    }

    fn points(&self, what: &str) -> Vec<(f64, f64)> {
        let text = self.get("points").unwrap_or_else(|| panic!("{what}: <{}> without points", self.tag));
        text.split_whitespace()
            .map(|p| {
                let (x, y) = p.split_once(',').unwrap_or_else(|| panic!("{what}: point '{p}'"));
                (
                    x.parse().unwrap_or_else(|_| panic!("{what}: point '{p}'")),
                    y.parse().unwrap_or_else(|_| panic!("{what}: point '{p}'")),
                )
            })
            .collect()
    }
}

/// The elements of `svg` with their attributes (plotters writes one self-closed element per mark).
fn elements(svg: &str) -> Vec<Element<'_>> {
    let mut out = Vec::new();
    for piece in svg.split('<').skip(1) {
        let Some(end) = piece.find('>') else { continue };
        let inner = piece[..end].trim_end_matches('/');
        let mut parts = inner.splitn(2, char::is_whitespace);
        let tag = parts.next().unwrap_or("");
        let mut attrs = Vec::new();
        let mut rest = parts.next().unwrap_or("");
        while let Some(eq) = rest.find("=\"") {
            let name = rest[..eq].trim();
            let after = &rest[eq + 2..];
            let Some(close) = after.find('"') else { break };
            attrs.push((name, &after[..close]));
            rest = &after[close + 1..];
        }
        out.push(Element { tag, attrs });
    }
    out
}

/// An axis-aligned box `(x0, y0, x1, y1)` in pixels.
pub type Area = (f64, f64, f64, f64);

/// The plot areas of a chart: each where a long black horizontal line (an x axis) and a long black vertical
/// line (a y axis) meet at their bottom-left ends.
pub fn plot_areas(svg: &str) -> Vec<Area> {
    const LONG: f64 = 60.0;
    const NEAR: f64 = 3.0;
    let mut horizontal = Vec::new();
    let mut vertical = Vec::new();
    for e in elements(svg) {
        if e.tag != "polyline" || e.colour() != "#000000" {
            continue;
        }
        let p = e.points("axes");
        if p.len() != 2 {
            continue;
        }
        let ((ax, ay), (bx, by)) = (p[0], p[1]);
        if ay == by && (ax - bx).abs() > LONG {
            horizontal.push((ax.min(bx), ax.max(bx), ay));
        } else if ax == bx && (ay - by).abs() > LONG {
            vertical.push((ax, ay.min(by), ay.max(by)));
        }
    }
    let mut out = Vec::new();
    for &(x0, x1, y) in &horizontal {
        for &(x, y0, y1) in &vertical {
            if (x - x0).abs() <= NEAR && (y - y1).abs() <= NEAR {
                out.push((x0.min(x), y0, x1, y.max(y1)));
            }
        }
    }
    out
}

/// Whether `c` is chrome (black, white, a grey: axes, grid, text boxes) rather than data.
fn is_chrome(c: &str) -> bool {
    let hex = |i: usize| u8::from_str_radix(&c[i..i + 2], 16).ok();
    match (c.len(), c.starts_with('#')) {
        (7, true) => {
            let (r, g, b) = (hex(1), hex(3), hex(5));
            r.is_some() && r == g && g == b
        }
        _ => true,
    }
}

/// Asserts every mark of `svg` is sound (see the module's comment); `what` names the chart in messages.
/// Returns the number of data marks checked, so a caller can tell that there was something to check.
pub fn assert_marks_in_plot_area(svg: &str, what: &str) -> usize {
    let all = elements(svg);
    let root = all.iter().find(|e| e.tag == "svg").unwrap_or_else(|| panic!("{what}: no <svg>"));
    let (w, h) = (root.num("width", what), root.num("height", what));
    let areas = plot_areas(svg);
    assert!(!areas.is_empty(), "{what}: no plot area (no pair of axes) found");
    let key_band = areas.iter().map(|a| a.1).fold(f64::INFINITY, f64::min);
    // Stroke widths and anti-aliasing reach a few pixels past a line's end.
    const SLACK: f64 = 4.0;
    let inside = |(x, y): (f64, f64), a: &Area| {
        x >= a.0 - SLACK && x <= a.2 + SLACK && y >= a.1 - SLACK && y <= a.3 + SLACK
    };
    let mut checked = 0;
    for (i, e) in all.iter().enumerate() {
        let corners: Vec<(f64, f64)> = match e.tag {
            "rect" => {
                let (x, y) = (e.num("x", what), e.num("y", what));
                let (rw, rh) = (e.num("width", what), e.num("height", what));
                assert!(rw > 0.0 && rh > 0.0, "{what}: element {i}, a rect of size {rw} x {rh}");
                vec![(x, y), (x + rw, y + rh)]
            }
            "circle" => {
                let r = e.num("r", what);
                assert!(r > 0.0, "{what}: element {i}, a circle of radius {r}");
                // Its centre: a ringed point at the edge of the area may reach past it.
                vec![(e.num("cx", what), e.num("cy", what))]
            }
            "line" => vec![(e.num("x1", what), e.num("y1", what)), (e.num("x2", what), e.num("y2", what))],
            "polyline" | "polygon" => {
                let p = e.points(what);
                assert!(!p.is_empty(), "{what}: element {i}, an empty <{}>", e.tag);
                p
            }
            _ => continue,
        };
        for &(x, y) in &corners {
            assert!(
                x.is_finite() && y.is_finite() && (0.0..=w).contains(&x) && (0.0..=h).contains(&y),
                "{what}: element {i} <{}> has a point ({x}, {y}) off the {w} x {h} canvas",
                e.tag
            );
        }
        let colour = e.colour();
        if is_chrome(&colour) {
            continue;
        }
        checked += 1;
        let in_key_band = corners.iter().all(|p| p.1 < key_band);
        let in_an_area = areas.iter().any(|a| corners.iter().all(|p| inside(*p, a)));
        assert!(
            in_key_band || in_an_area,
            "{what}: element {i} <{}> in {colour} at {corners:?} is outside every plot area {areas:?}",
            e.tag
        );
    }
    checked
}

#[test]
fn the_check_finds_plot_areas_and_rejects_marks_outside_them() {
    let svg = r##"<svg width="400" height="300" viewBox="0 0 400 300" xmlns="http://www.w3.org/2000/svg">
<rect x="0" y="0" width="400" height="300" opacity="1" fill="#FFFFFF" stroke="none"/>
<polyline fill="none" opacity="1" stroke="#000000" stroke-width="1" points="100,50 100,250 "/>
<polyline fill="none" opacity="1" stroke="#000000" stroke-width="1" points="100,250 380,250 "/>
<polyline fill="none" opacity="1" stroke="#000000" stroke-width="1" points="95,100 100,100 "/>
<polyline fill="none" opacity="1" stroke="#0072B2" stroke-width="3" points="120,20 150,20 "/>
<rect x="150" y="120" width="60" height="130" opacity="1" fill="#0072B2" stroke="none"/>
</svg>"##;
    assert_eq!(plot_areas(svg), [(100.0, 50.0, 380.0, 250.0)]);
    assert_eq!(assert_marks_in_plot_area(svg, "good"), 2, "the key line and the bar");
    let negative = svg.replace("x=\"150\" y=\"120\" width=\"60\"", "x=\"150\" y=\"120\" width=\"-60\"");
    assert!(std::panic::catch_unwind(|| assert_marks_in_plot_area(&negative, "negative")).is_err());
    let over_labels = svg.replace("x=\"150\" y=\"120\"", "x=\"20\" y=\"120\"");
    assert!(std::panic::catch_unwind(|| assert_marks_in_plot_area(&over_labels, "over labels")).is_err());
}
