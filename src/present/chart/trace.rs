//! The timeline of one traced replication (`regionsim trace`): one lane per region, per component
//! that failed and per population (the regions its answer sends clients to), with the state as bands,
//! the events as vertical lines, and a strip of each population's success ratio below; a second panel
//! zooms on the first failover, whose minutes a whole-horizon axis squeezes into pixels.

use plotters::coord::Shift;
use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;

use super::markers::MarkerKind;
use super::{
    AXIS_DESC_PX, ChartError, LINE_PX, Plot, TICK_PX, palette, stroke, text, time_unit, titled_with_key,
    within,
};
use crate::analysis::closeup;
use crate::analysis::story::{self, clock};
use crate::analysis::trace::Traced;
use crate::sim::trace::What;

/// Component lanes shown one by one; the rest share one lane.
const MAX_COMPONENT_LANES: usize = 6;
/// Points per population a panel draws at most (finer bins are merged).
const MAX_POINTS: usize = 600;

/// What a lane's band means.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum State {
    /// Down (crashed, or out of rotation).
    Down,
    /// Serving badly (a gray failure).
    Gray,
    /// Declared unhealthy by health checks (drawn in the lower part of the lane).
    Unhealthy,
    /// A population's answer: index into [`TraceTimeline::answers`]; `fading` while clients still
    /// follow a change (until 90% have moved).
    Answer {
        /// Which answer.
        index: usize,
        /// Clients are still moving to it.
        fading: bool,
    },
}

/// One lane: its name and its bands `(from [s], to [s], state)`.
#[derive(Debug, Clone, PartialEq)]
pub struct Lane {
    /// Shown at the left.
    pub name: String,
    /// The bands.
    pub spans: Vec<(f64, f64, State)>,
}

/// One bin of a population's strip.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StripBin {
    /// Its start \[s\].
    pub start_s: f64,
    /// Its width \[s\].
    pub width_s: f64,
    /// Requests that succeeded in it.
    pub succeeded: u32,
    /// Requests that had their outcome in it.
    pub finished: u32,
}

/// The trace timeline chart.
#[derive(Debug, Clone, PartialEq)]
pub struct TraceTimeline {
    /// `model × scenario`.
    pub subject: String,
    /// The replication.
    pub replication: u32,
    /// The window \[s\].
    pub window: (f64, f64),
    /// The zoomed interval, around the first failover.
    pub zoom: Option<(f64, f64)>,
    /// Lanes, top to bottom.
    pub lanes: Vec<Lane>,
    /// The distinct answers (region lists joined), in order of first use.
    pub answers: Vec<String>,
    /// Per population: its name and its bins.
    pub strips: Vec<(String, Vec<StripBin>)>,
    /// Events drawn as lines.
    pub marks: Vec<(f64, MarkerKind)>,
    /// Stretches sampled fidelity fast-forwarded (no outcome there).
    pub skipped: Vec<(f64, f64)>,
}

fn region_lane_name(r: &str) -> String {
    format!("region {r}")
}

impl TraceTimeline {
    /// From a traced replication; `None` for an empty window.
    pub fn from_traced(t: &Traced) -> Option<TraceTimeline> {
        let (from, to) = (t.trace.from_s, t.trace.to_s);
        if to <= from {
            return None;
        }
        let events = &t.trace.events;
        // Lanes of what went down: regions always, other components as they appear.
        let mut lanes: Vec<Lane> =
            t.regions.iter().map(|r| Lane { name: region_lane_name(r), spans: Vec::new() }).collect();
        let mut open: Vec<(String, f64, State)> = Vec::new();
        let mut components: Vec<String> = Vec::new();
        let mut marks = Vec::new();
        let mut skipped = Vec::new();
        let lane_of = story::component;
        fn close(
            open: &mut Vec<(String, f64, State)>,
            lanes: &mut [Lane],
            name: &str,
            state_is: fn(&State) -> bool,
            at: f64,
        ) {
            if let Some(k) = open.iter().position(|(n, _, s)| n == name && state_is(s)) {
                let (n, since, state) = open.remove(k);
                if let Some(l) = lanes.iter_mut().find(|l| l.name == n) {
                    l.spans.push((since, at, state));
                }
            }
        }
        let mut pending_open: Vec<(String, f64, State)> = Vec::new();
        for e in events {
            match &e.what {
                What::Down { injected, mode } => {
                    let Some(c) = &e.component else { continue };
                    let name = lane_of(c);
                    if !c.starts_with("region:") && !components.contains(&name) {
                        components.push(name.clone());
                    }
                    let state = if mode.is_some() { State::Gray } else { State::Down };
                    pending_open.push((name, e.t_s, state));
                    if !c.starts_with("instance:") {
                        marks.push((
                            e.t_s,
                            if *injected { MarkerKind::OutageStart } else { MarkerKind::Failure },
                        ));
                    }
                }
                What::Up { .. } => {
                    let Some(c) = &e.component else { continue };
                    let name = lane_of(c);
                    pending_open.retain(|(n, _, s)| !(n == &name && matches!(s, State::Down | State::Gray)));
                    close(&mut open, &mut lanes, &name, |s| matches!(s, State::Down | State::Gray), e.t_s);
                    if !c.starts_with("instance:") {
                        marks.push((e.t_s, MarkerKind::Recovery));
                    }
                }
                What::Unhealthy { .. } => {
                    if let Some(r) = &e.region {
                        pending_open.push((region_lane_name(r), e.t_s, State::Unhealthy));
                    }
                    marks.push((e.t_s, MarkerKind::Detection));
                }
                What::Healthy { .. } => {
                    if let Some(r) = &e.region {
                        let name = region_lane_name(r);
                        pending_open.retain(|(n, _, s)| !(n == &name && *s == State::Unhealthy));
                        close(&mut open, &mut lanes, &name, |s| *s == State::Unhealthy, e.t_s);
                    }
                }
                What::AnswerChanged { .. } => marks.push((e.t_s, MarkerKind::DnsSwitch)),
                What::Promoted | What::ZoneFailover => marks.push((e.t_s, MarkerKind::Promotion)),
                What::ScaledUp { .. } | What::ScaleOut { .. } => marks.push((e.t_s, MarkerKind::ScaleUp)),
                What::FastForward { until_s } => skipped.push((e.t_s, *until_s)),
                What::Incident { .. }
                | What::Rotation { .. }
                | What::WritesLost { .. }
                | What::ScaledIn { .. }
                | What::ScaleIn { .. }
                | What::ScaleBlocked { .. }
                | What::Launched { .. }
                | What::Recovered { .. }
                | What::AlarmFired { .. }
                | What::OperatorDecided { .. }
                | What::OperatorStoodDown
                | What::BreakerOpened { .. }
                | What::BreakerHalfOpen { .. }
                | What::BreakerClosed
                | What::Ejected { .. }
                | What::Returned => {}
            }
            // Lanes for new components exist before their band opens.
            for name in &components {
                if !lanes.iter().any(|l| &l.name == name) {
                    lanes.push(Lane { name: name.clone(), spans: Vec::new() });
                }
            }
            open.append(&mut pending_open);
        }
        for (name, since, state) in open {
            if let Some(l) = lanes.iter_mut().find(|l| l.name == name) {
                l.spans.push((since, to, state));
            }
        }
        let lanes = fold_components(lanes, t.regions.len());
        let (population_lanes, answers) = answer_lanes(t);
        let mut lanes = lanes;
        lanes.extend(population_lanes);
        let s = &t.trace.series;
        let strips = t
            .populations
            .iter()
            .zip(&s.outcomes)
            .map(|(name, bins)| {
                let points = bins
                    .iter()
                    .enumerate()
                    .map(|(k, [ok, failed])| StripBin {
                        start_s: s.from_s + k as f64 * s.bin_s,
                        width_s: s.bin_s,
                        succeeded: *ok,
                        finished: ok + failed,
                    })
                    .collect();
                (name.clone(), points)
            })
            .collect();
        Some(TraceTimeline {
            subject: format!("{} × {}", t.model, t.scenario),
            replication: t.replication,
            window: (from, to),
            zoom: closeup::window(&t.trace),
            lanes,
            answers,
            strips,
            marks,
            skipped,
        })
    }
}

/// Component lanes past [`MAX_COMPONENT_LANES`] merged into one.
fn fold_components(mut lanes: Vec<Lane>, regions: usize) -> Vec<Lane> {
    if lanes.len() <= regions + MAX_COMPONENT_LANES {
        return lanes;
    }
    let rest = lanes.split_off(regions + MAX_COMPONENT_LANES - 1);
    let spans = rest.iter().flat_map(|l| l.spans.iter().copied()).collect();
    lanes.push(Lane { name: format!("{} other components", rest.len()), spans });
    lanes
}

/// One lane per population: the answer its clients are sent to over time (the new answer faded
/// while 90% of clients have not yet followed it).
fn answer_lanes(t: &Traced) -> (Vec<Lane>, Vec<String>) {
    let mut answers: Vec<String> = Vec::new();
    let mut index = |regions: &[String]| -> usize {
        let name = regions.join(" + ");
        answers.iter().position(|a| *a == name).unwrap_or_else(|| {
            answers.push(name);
            answers.len() - 1
        })
    };
    let mut lanes = Vec::new();
    for (p, name) in t.populations.iter().enumerate() {
        let start: &[String] = t.trace.answers_at_start.get(p).map_or(&[], Vec::as_slice);
        let mut current = (t.trace.from_s, index(start));
        let mut spans = Vec::new();
        for e in &t.trace.events {
            if let (What::AnswerChanged { to, .. }, Some(pop)) = (&e.what, &e.population)
                && pop == name
            {
                spans.push((current.0, e.t_s, State::Answer { index: current.1, fading: false }));
                let next = index(to);
                let settled = t.moved_90_s.map_or(e.t_s, |a| (e.t_s + a).min(t.trace.to_s));
                spans.push((e.t_s, settled, State::Answer { index: next, fading: true }));
                current = (settled, next);
            }
        }
        spans.push((current.0, t.trace.to_s, State::Answer { index: current.1, fading: false }));
        spans.retain(|(a, b, _)| b > a);
        lanes.push(Lane { name: format!("{name} sent to"), spans });
    }
    (lanes, answers)
}

/// The answers' colours, clear of the marker colours.
const ANSWER_COLOURS: [RGBColor; 4] = [palette::BLUE, palette::YELLOW, palette::SKY_BLUE, palette::GREY];

fn state_colour(state: State) -> RGBAColor {
    match state {
        State::Down => palette::VERMILLION.to_rgba(),
        State::Gray => palette::ORANGE.to_rgba(),
        State::Unhealthy => palette::REDDISH_PURPLE.to_rgba(),
        State::Answer { index, fading } => {
            let c = ANSWER_COLOURS[index % ANSWER_COLOURS.len()];
            if fading { c.mix(0.35) } else { c.mix(0.8) }
        }
    }
}

/// The success ratio points of a strip over `[a, b]`, bins merged so at most [`MAX_POINTS`] remain:
/// runs of bins with outcomes, each a separate line (no line across a stretch without requests).
/// Bins that overlap a fast-forwarded stretch count as without outcome: only part of them ran
/// request by request.
fn strip_runs(points: &[StripBin], (a, b): (f64, f64), skipped: &[(f64, f64)]) -> Vec<Vec<(f64, f64)>> {
    let end = |p: &StripBin| p.start_s + p.width_s;
    let partial = |p: &StripBin| skipped.iter().any(|s| s.0 < end(p) && s.1 > p.start_s);
    let inside: Vec<StripBin> = points
        .iter()
        .filter(|p| end(p) > a && p.start_s < b)
        .map(|&p| if partial(&p) { StripBin { succeeded: 0, finished: 0, ..p } } else { p })
        .collect();
    let merge = inside.len().div_ceil(MAX_POINTS).max(1);
    let mut runs = vec![Vec::new()];
    for chunk in inside.chunks(merge) {
        let (ok, n): (u32, u32) = chunk.iter().fold((0, 0), |(o, f), p| (o + p.succeeded, f + p.finished));
        let mid = 0.5 * (chunk[0].start_s + end(&chunk[chunk.len() - 1]));
        if n == 0 {
            if runs.last().is_some_and(|r: &Vec<(f64, f64)>| !r.is_empty()) {
                runs.push(Vec::new());
            }
        } else if let Some(run) = runs.last_mut() {
            run.push((mid, 100.0 * f64::from(ok) / f64::from(n)));
        }
    }
    runs.retain(|r| !r.is_empty());
    runs
}

impl TraceTimeline {
    fn draw_panel<DB: DrawingBackend>(
        &self,
        area: &DrawingArea<DB, Shift>,
        (a, b): (f64, f64),
        heading: &str,
    ) -> Result<(), ChartError> {
        let (_, unit_s) = time_unit(b - a);
        let x = (a / unit_s, b / unit_s);
        let n = self.lanes.len() as i32;
        let lane_px = 40 * n as u32 + 70;
        let (top, bottom) = area.split_vertically(lane_px.min(area.dim_in_pixel().1 / 2 + 80));
        let mut lanes = ChartBuilder::on(&top)
            .caption(heading, text(AXIS_DESC_PX))
            .margin(12)
            .margin_right(40)
            .x_label_area_size(0)
            .y_label_area_size(300)
            .build_cartesian_2d(x.0..x.1, (0..n).into_segmented())?;
        let names: Vec<String> = self.lanes.iter().rev().map(|l| l.name.clone()).collect();
        lanes
            .configure_mesh()
            .disable_x_mesh()
            .y_labels(n as usize)
            .y_label_style(text(TICK_PX))
            .y_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) => names.get(*i as usize).cloned().unwrap_or_default(),
                _ => String::new(),
            })
            .draw()?;
        let row = |k: usize| n - 1 - k as i32;
        for (k, lane) in self.lanes.iter().enumerate() {
            let y = row(k);
            lanes.draw_series(lane.spans.iter().filter(|s| s.1 > a && s.0 < b).map(|&(s0, s1, state)| {
                let (lo, hi) = if state == State::Unhealthy { (y, y) } else { (y, y + 1) };
                let x0 = within(s0 / unit_s, x);
                let x1 = within(s1 / unit_s, x);
                let fill = state_colour(state).filled();
                if state == State::Unhealthy {
                    // The lower part of a region's lane, under its down band.
                    Rectangle::new([(x0, SegmentValue::Exact(lo)), (x1, SegmentValue::CenterOf(lo))], fill)
                } else {
                    Rectangle::new([(x0, SegmentValue::Exact(lo)), (x1, SegmentValue::Exact(hi))], fill)
                }
            }))?;
        }
        for &(t, kind) in self.marks.iter().filter(|m| m.0 >= a && m.0 <= b) {
            let style = kind.style();
            let line = style.color.stroke_width(style.width);
            let xt = t / unit_s;
            lanes.draw_series(std::iter::once(PathElement::new(
                vec![(xt, SegmentValue::Exact(0)), (xt, SegmentValue::Exact(n))],
                line,
            )))?;
        }

        let mut strip = ChartBuilder::on(&bottom)
            .margin(12)
            .margin_right(40)
            .margin_top(0)
            .x_label_area_size(70)
            .y_label_area_size(300)
            .build_cartesian_2d(x.0..x.1, 0.0..105.0)?;
        strip
            .configure_mesh()
            .x_desc("time from the start of the replication")
            .x_labels(7)
            .y_desc("succeeded [%]")
            .axis_desc_style(text(AXIS_DESC_PX))
            .label_style(text(TICK_PX))
            .x_label_formatter(&|v| clock_tick(*v * unit_s, b - a))
            .y_label_formatter(&|v| format!("{v:.0}"))
            .y_labels(6)
            .light_line_style(RGBColor(235, 235, 235))
            .draw()?;
        strip.draw_series(self.skipped.iter().filter(|s| s.1 > a && s.0 < b).map(|&(s0, s1)| {
            Rectangle::new(
                [(within(s0 / unit_s, x), 0.0), (within(s1 / unit_s, x), 105.0)],
                RGBColor(225, 225, 225).filled(),
            )
        }))?;
        for &(t, kind) in self.marks.iter().filter(|m| m.0 >= a && m.0 <= b) {
            let style = kind.style();
            let xt = t / unit_s;
            strip.draw_series(std::iter::once(PathElement::new(
                vec![(xt, 0.0), (xt, 105.0)],
                style.color.stroke_width(style.width),
            )))?;
        }
        for (i, (_, points)) in self.strips.iter().enumerate() {
            let line = stroke(strip_colour(i), LINE_PX);
            for run in strip_runs(points, (a, b), &self.skipped) {
                let pts = run.into_iter().map(|(t, v)| (within(t / unit_s, x), v));
                strip.draw_series(LineSeries::new(pts, line))?;
            }
        }
        Ok(())
    }
}

/// A tick as a clock (`00:30:00`), without seconds over a long span (`04:30`).
fn clock_tick(t_s: f64, span_s: f64) -> String {
    let c = clock(t_s.round());
    if span_s > 2.0 * 3_600.0 { c.rsplit_once(':').map_or(c.clone(), |(hm, _)| hm.to_string()) } else { c }
}

fn strip_colour(i: usize) -> RGBColor {
    // Clear of the marker and answer colours.
    [palette::BLACK, palette::BLUISH_GREEN, palette::BLUE, palette::REDDISH_PURPLE][i % 4]
}

impl Plot for TraceTimeline {
    fn stem(&self) -> &'static str {
        "trace_timeline"
    }

    fn title(&self) -> String {
        format!("{}, replication {}", self.subject, self.replication)
    }

    fn size(&self) -> (u32, u32) {
        let lanes = self.lanes.len() as u32;
        let panel = 40 * lanes + 70 + 330;
        let panels = if self.zoom.is_some() { 2 } else { 1 };
        (1280, 180 + panels * panel)
    }

    fn draw<DB: DrawingBackend>(&self, root: &DrawingArea<DB, Shift>) -> Result<(), ChartError> {
        let mut key: Vec<(String, ShapeStyle)> = vec![
            ("down".into(), stroke(palette::VERMILLION, 14)),
            ("gray".into(), stroke(palette::ORANGE, 14)),
            ("declared unhealthy".into(), stroke(palette::REDDISH_PURPLE, 14)),
        ];
        for (i, a) in self.answers.iter().enumerate() {
            key.push((
                format!("sent to {a}"),
                ShapeStyle::from(state_colour(State::Answer { index: i, fading: false })).stroke_width(14),
            ));
        }
        for (i, (name, _)) in self.strips.iter().enumerate() {
            key.push((format!("{name} succeeded"), stroke(strip_colour(i), LINE_PX)));
        }
        if !self.skipped.is_empty() {
            key.push(("fast-forwarded (steady)".into(), stroke(RGBColor(215, 215, 215), 14)));
        }
        let kinds: Vec<MarkerKind> =
            MarkerKind::ALL.iter().copied().filter(|k| self.marks.iter().any(|m| m.1 == *k)).collect();
        for k in kinds {
            let s = k.style();
            key.push((s.label.to_string(), stroke(s.color, s.width)));
        }
        let body = titled_with_key(root, &self.title(), &key)?;
        match self.zoom {
            Some(z) => {
                let h = body.dim_in_pixel().1;
                let (whole, zoomed) = body.split_vertically(h / 2);
                self.draw_panel(&whole, self.window, "the whole window")?;
                self.draw_panel(&zoomed, z, "zoomed on the first failover")?;
            }
            None => self.draw_panel(&body, self.window, "the whole window")?,
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_break_where_no_request_finished_and_merge_fine_bins() {
        let bin =
            |k: usize, succeeded, finished| StripBin { start_s: k as f64, width_s: 1.0, succeeded, finished };
        let points: Vec<StripBin> =
            (0..10).map(|k| if k == 4 { bin(k, 0, 0) } else { bin(k, 9, 10) }).collect();
        let runs = strip_runs(&points, (0.0, 10.0), &[]);
        assert_eq!(runs.len(), 2);
        assert_eq!(runs[0].len(), 4);
        assert!((runs[0][0].1 - 90.0).abs() < 1e-9);
        let many: Vec<StripBin> = (0..5_000).map(|k| bin(k, 1, 1)).collect();
        assert!(strip_runs(&many, (0.0, 5_000.0), &[])[0].len() <= MAX_POINTS);
        // A bin half fast-forwarded is left out: its few outcomes would draw a false dip.
        let runs = strip_runs(&points, (0.0, 10.0), &[(8.5, 20.0)]);
        assert_eq!(runs.iter().map(Vec::len).sum::<usize>(), 7);
    }
}
