//! Infrastructure events drawn on time axes: vertical lines whose look depends on what happened, and
//! shaded bands while an injected outage lasts. A new kind of event (health-check detection, a DNS switch)
//! is one variant of [`MarkerKind`] and one line in [`MarkerKind::style`].

use plotters::coord::types::RangedCoordf64;
use plotters::prelude::*;

use super::{ChartError, FONT, TICK_PX, palette, within};
use crate::sim::observation::{SteeringKind, Timeline};

/// What a marker on a timeline means.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum MarkerKind {
    /// An injected outage took a component down.
    OutageStart,
    /// A component failed at random.
    Failure,
    /// A component came back (after an outage or a random failure).
    Recovery,
    /// Health checks declared a region down.
    Detection,
    /// DNS answers (or anycast routes) moved.
    DnsSwitch,
    /// A store replica was promoted to primary.
    Promotion,
    /// A standby deployment reached its full fleet, or an autoscaler launched instances.
    ScaleUp,
    /// An autoscaler could not act: its region's control plane was down.
    ScaleBlocked,
}

/// How one kind of marker looks.
#[derive(Debug, Clone, Copy)]
pub(crate) struct MarkerStyle {
    pub label: &'static str,
    pub color: RGBColor,
    pub width: u32,
    pub dashed: bool,
    /// Write the component's name beside the line (kept for rare, important events).
    pub named: bool,
}

impl MarkerKind {
    /// Legend order.
    pub const ALL: [MarkerKind; 8] = [
        MarkerKind::OutageStart,
        MarkerKind::Failure,
        MarkerKind::Detection,
        MarkerKind::DnsSwitch,
        MarkerKind::Promotion,
        MarkerKind::ScaleUp,
        MarkerKind::ScaleBlocked,
        MarkerKind::Recovery,
    ];

    pub(crate) fn style(self) -> MarkerStyle {
        let s = |label, color, width, dashed, named| MarkerStyle { label, color, width, dashed, named };
        match self {
            MarkerKind::OutageStart => s("outage starts (injected)", palette::VERMILLION, 4, false, true),
            MarkerKind::Failure => s("random failure", palette::ORANGE, 2, true, false),
            MarkerKind::Recovery => s("recovery", palette::BLUISH_GREEN, 3, true, false),
            MarkerKind::Detection => s("health checks detect", palette::REDDISH_PURPLE, 3, false, false),
            MarkerKind::DnsSwitch => s("DNS switch", palette::BLACK, 3, false, false),
            MarkerKind::Promotion => s("replica promoted", palette::SKY_BLUE, 3, true, false),
            MarkerKind::ScaleUp => s("scaled up (standby, autoscaler)", palette::GREY, 3, false, false),
            MarkerKind::ScaleBlocked => {
                s("scaling blocked (control plane down)", palette::YELLOW, 4, true, false)
            }
        }
    }
}

/// The colours of the markers present, so that a chart's series can stay clear of them.
pub(crate) fn colours(markers: &[Marker]) -> Vec<RGBColor> {
    MarkerKind::ALL
        .iter()
        .filter(|k| markers.iter().any(|m| m.kind == **k))
        .map(|k| k.style().color)
        .collect()
}

/// Colours for `n` series on a timeline with `markers`: the palette's series colours that no marker
/// present uses, then (when they run out) the others.
pub(crate) fn series_colours(markers: &[Marker], n: usize) -> Vec<RGBColor> {
    let taken = colours(markers);
    let free = palette::SERIES.iter().filter(|c| !taken.contains(c));
    let rest = palette::SERIES.iter().filter(|c| taken.contains(c));
    free.chain(rest).copied().cycle().take(n).collect()
}

/// One event at a time on the timeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Marker {
    /// When it happened \[s\].
    pub t_s: f64,
    /// What happened, which sets the line's look.
    pub kind: MarkerKind,
    /// `zone:use1-az1`, `instance:api@us-east-1#0`, ...
    pub component: String,
    /// A gray failure's state (`slow ×3`), named instead of `down`.
    pub degraded: Option<String>,
}

/// An interval during which an injected outage held a component down \[s\].
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Band {
    pub from_s: f64,
    pub to_s: f64,
}

/// The markers of a replication's timeline, in time order.
pub(crate) fn markers(timeline: &Timeline) -> Vec<Marker> {
    let mut out: Vec<Marker> = timeline
        .infra
        .iter()
        .map(|e| Marker {
            t_s: e.t_s,
            kind: match (e.up, e.injected) {
                (false, true) => MarkerKind::OutageStart,
                (false, false) => MarkerKind::Failure,
                (true, _) => MarkerKind::Recovery,
            },
            component: e.component.clone(),
            degraded: e.degraded.clone(),
        })
        .collect();
    for e in &timeline.steering {
        let kind = match e.kind {
            SteeringKind::Detection => MarkerKind::Detection,
            SteeringKind::DnsSwitch => MarkerKind::DnsSwitch,
            SteeringKind::Promotion => MarkerKind::Promotion,
            SteeringKind::ScaleUp | SteeringKind::AutoscaleOut => MarkerKind::ScaleUp,
            SteeringKind::AutoscaleBlocked => MarkerKind::ScaleBlocked,
            // Scale-ins (a standby's return, an autoscaler's drain) show in the fleet-size line itself.
            SteeringKind::Recovered | SteeringKind::ScaleIn | SteeringKind::AutoscaleIn => continue,
        };
        out.push(Marker { t_s: e.t_s, kind, component: e.subject.clone(), degraded: None });
    }
    out.sort_by(|a, b| a.t_s.total_cmp(&b.t_s));
    out
}

/// Injected outages as bands: from each injected down to the next up of the same component, or to
/// `end_s` when it did not come back inside the horizon.
pub(crate) fn outage_bands(timeline: &Timeline, end_s: f64) -> Vec<Band> {
    let mut out = Vec::new();
    for (i, e) in timeline.infra.iter().enumerate() {
        if e.up || !e.injected {
            continue;
        }
        let back = timeline.infra[i + 1..].iter().find(|u| u.up && u.component == e.component);
        out.push(Band { from_s: e.t_s, to_s: back.map_or(end_s, |u| u.t_s) });
    }
    out
}

type TimeChart<'a, DB> = ChartContext<'a, DB, Cartesian2d<RangedCoordf64, RangedCoordf64>>;

/// One legend entry per kind of marker present, in legend order.
pub(crate) fn key_entries(markers: &[Marker]) -> Vec<(String, ShapeStyle)> {
    MarkerKind::ALL
        .iter()
        .filter(|k| markers.iter().any(|m| m.kind == **k))
        .map(|k| {
            let s = k.style();
            (s.label.to_string(), s.color.stroke_width(s.width))
        })
        .collect()
}

/// Draws bands and markers over the full height `y` of a chart whose x axis is time `x` in units of
/// `unit_s` seconds (so its ticks fall on round hours or minutes); markers outside `x` are left out.
/// With `names`, important markers are labelled.
pub(crate) fn draw<DB: DrawingBackend>(
    chart: &mut TimeChart<'_, DB>,
    markers: &[Marker],
    bands: &[Band],
    (x, unit_s): ((f64, f64), f64),
    y: (f64, f64),
    names: bool,
) -> Result<(), ChartError> {
    let (y0, y1) = y;
    let at = |t_s: f64| t_s / unit_s;
    chart.draw_series(bands.iter().map(|b| {
        let corners = [(within(at(b.from_s), x), y0), (within(at(b.to_s), x), y1)];
        Rectangle::new(corners, palette::VERMILLION.mix(0.12).filled())
    }))?;
    let markers: Vec<&Marker> = markers.iter().filter(|m| at(m.t_s) >= x.0 && at(m.t_s) <= x.1).collect();
    for kind in MarkerKind::ALL {
        let style = kind.style();
        let line = style.color.stroke_width(style.width);
        let of_kind: Vec<&Marker> = markers.iter().copied().filter(|m| m.kind == kind).collect();
        if of_kind.is_empty() {
            continue;
        }
        let segments = of_kind.iter().flat_map(|m| {
            let pieces = if style.dashed { DASHES } else { 1 };
            (0..pieces).map(move |k| {
                let step = (y1 - y0) / (2 * pieces - 1).max(1) as f64;
                let (a, b) = if style.dashed {
                    (y0 + 2.0 * k as f64 * step, y0 + (2 * k + 1) as f64 * step)
                } else {
                    (y0, y1)
                };
                PathElement::new(vec![(at(m.t_s), a), (at(m.t_s), b)], line)
            })
        });
        chart.draw_series(segments)?;
        if names && style.named {
            let label_style = TextStyle::from((FONT, TICK_PX).into_font()).color(&style.color);
            chart.draw_series(of_kind.iter().take(MAX_NAMED).enumerate().map(|(i, m)| {
                // Staggered downwards so close events stay readable.
                let height = y1 - (y1 - y0) * (0.04 + 0.07 * (i % 3) as f64);
                let state = m.degraded.as_deref().unwrap_or("down");
                Text::new(format!(" {} {state}", m.component), (at(m.t_s), height), label_style.clone())
            }))?;
        }
    }
    Ok(())
}

/// Dashes per dashed marker line.
const DASHES: usize = 16;
/// At most this many markers are named, so a long incident list does not bury the chart in text.
const MAX_NAMED: usize = 8;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::observation::InfraEvent;

    fn event(t_s: f64, component: &str, up: bool, injected: bool) -> InfraEvent {
        InfraEvent { t_s, component: component.into(), up, injected, degraded: None }
    }

    #[test]
    fn each_kind_of_marker_has_its_own_colour_and_series_avoid_them() {
        // "region us-west-2", "health checks detect" and "replica promoted" once shared one pink.
        let colours: Vec<RGBColor> = MarkerKind::ALL.iter().map(|k| k.style().color).collect();
        for (i, a) in colours.iter().enumerate() {
            for b in &colours[i + 1..] {
                assert_ne!(a, b, "two kinds of marker share a colour");
            }
        }
        let all: Vec<Marker> = MarkerKind::ALL
            .iter()
            .map(|&kind| Marker { t_s: 1.0, kind, component: String::new(), degraded: None })
            .collect();
        let series = series_colours(&all, 1);
        assert!(!colours.contains(&series[0]), "the first series is clear of every marker");
        let few = &all[..3];
        for c in series_colours(few, 3) {
            assert!(!super::colours(few).contains(&c));
        }
    }

    #[test]
    fn events_become_markers_and_injected_outages_bands() {
        let timeline = Timeline {
            infra: vec![
                event(100.0, "zone:z1", false, true),
                event(120.0, "instance:api@r#1", false, false),
                event(130.0, "instance:api@r#1", true, false),
                event(160.0, "zone:z1", true, true),
                event(190.0, "zone:z2", false, true),
            ],
            ..Timeline::default()
        };
        let kinds: Vec<MarkerKind> = markers(&timeline).iter().map(|m| m.kind).collect();
        use MarkerKind::*;
        assert_eq!(kinds, [OutageStart, Failure, Recovery, Recovery, OutageStart]);
        // z1 is down 100..160; z2 never comes back before the end of the horizon, 200 s.
        assert_eq!(
            outage_bands(&timeline, 200.0),
            [Band { from_s: 100.0, to_s: 160.0 }, Band { from_s: 190.0, to_s: 200.0 }]
        );
    }
}
