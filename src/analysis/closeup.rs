//! The close-up of a replication's first failover: the minutes in which detection, the DNS change,
//! the clients' move and the promotion happen, which an axis over the whole horizon squeezes into a
//! few pixels (a 6-hour run's timeline has 90-second buckets; its failover lasts two minutes). Taken
//! from the replication's trace, whose outcome bins are seconds wide, it gives the run report's
//! availability chart its zoomed panel and the trace chart its second panel.

use serde::{Deserialize, Serialize};

use crate::sim::trace::{Trace, What};

/// The close-up opens this long before the failure \[s\].
const BEFORE_S: f64 = 60.0;
/// ... and closes this long after the last recovery \[s\] ...
const AFTER_S: f64 = 120.0;
/// ... or this long after the failure when its users did not recover, or recovered only when a close-up
/// would be most of the window \[s\].
const UNRECOVERED_S: f64 = 900.0;
/// Bins a close-up keeps at most (finer trace bins are merged).
const MAX_BINS: usize = 300;

/// Outcomes in the close-up's interval, all populations together.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CloseUp {
    /// Its start \[s\].
    pub from_s: f64,
    /// Its end \[s\].
    pub to_s: f64,
    /// Outcome bins `[start [s], width [s], succeeded, finished]` in time order; a bin with none
    /// finished had no request, or was fast-forwarded over (sampled fidelity: only part of it ran
    /// request by request, so its ratio would mislead).
    pub bins: Vec<[f64; 4]>,
    /// Stretches `[from [s], to [s]]` within it that sampled fidelity fast-forwarded over.
    #[serde(default)]
    pub skipped: Vec<[f64; 2]>,
}

impl CloseUp {
    /// The close-up of `trace`'s first failover; `None` without a failover, or when a close-up would be
    /// most of the traced window anyway.
    pub fn of(trace: &Trace) -> Option<CloseUp> {
        let (from_s, to_s) = window(trace)?;
        let s = &trace.series;
        if s.bin_s <= 0.0 {
            return None;
        }
        let skipped = trace.skipped();
        let bins_in = ((to_s - from_s) / s.bin_s).ceil().max(1.0) as usize;
        let merge = bins_in.div_ceil(MAX_BINS).max(1);
        let first = ((from_s - s.from_s) / s.bin_s).floor().max(0.0) as usize;
        let total = s.outcomes.first().map_or(0, Vec::len);
        let mut bins = Vec::new();
        let mut k = first;
        while k < total {
            let start = s.from_s + k as f64 * s.bin_s;
            if start >= to_s {
                break;
            }
            let end = (k + merge).min(total);
            let width = (end - k) as f64 * s.bin_s;
            let (mut succeeded, mut finished) = (0u64, 0u64);
            for population in &s.outcomes {
                for [ok, failed] in &population[k..end] {
                    succeeded += u64::from(*ok);
                    finished += u64::from(*ok) + u64::from(*failed);
                }
            }
            if skipped.iter().any(|&(a, b)| a < start + width && b > start) {
                (succeeded, finished) = (0, 0);
            }
            bins.push([start, width, succeeded as f64, finished as f64]);
            k = end;
        }
        let skipped = skipped
            .iter()
            .filter(|&&(a, b)| b > from_s && a < to_s)
            .map(|&(a, b)| [a.max(from_s), b.min(to_s)])
            .collect();
        Some(CloseUp { from_s, to_s, bins, skipped })
    }

    /// `(bin midpoint [s], succeeded / finished [%])` of the bins where a request finished, in runs of
    /// consecutive such bins (a line drawn across a bin without outcomes would invent them).
    pub fn availability_runs(&self) -> Vec<Vec<(f64, f64)>> {
        let mut runs: Vec<Vec<(f64, f64)>> = Vec::new();
        let mut open = false;
        for b in &self.bins {
            if b[3] > 0.0 {
                let point = (b[0] + b[1] / 2.0, 100.0 * b[2] / b[3]);
                match runs.last_mut() {
                    Some(run) if open => run.push(point),
                    _ => runs.push(vec![point]),
                }
            }
            open = b[3] > 0.0;
        }
        runs
    }
}

/// The first failover's interval in `trace`: from a minute before its incident to two minutes after its
/// last recovery, or its first quarter hour when recovery is late or absent; `None` without an incident
/// or when the interval would be half the window or more.
pub fn window(trace: &Trace) -> Option<(f64, f64)> {
    let (from, to) = (trace.from_s, trace.to_s);
    let incident = trace.events.iter().find(|e| matches!(e.what, What::Incident { .. }))?;
    let start = incident.t_s;
    let recovered = trace
        .events
        .iter()
        .filter_map(|e| match e.what {
            What::Recovered { after_s } if e.region == incident.region && e.t_s >= start => {
                Some(start + after_s)
            }
            _ => None,
        })
        .fold(None, |m: Option<f64>, x| Some(m.map_or(x, |m| m.max(x))));
    let begin = (start - BEFORE_S).max(from);
    let short = |end: f64| (end - begin < 0.5 * (to - from)).then_some((begin, end));
    // Through the recovery when it is quick; else the first quarter hour, where detection, DNS and the
    // promotion happen (a recovery hours later would make the close-up the whole window).
    let first_minutes = (start + UNRECOVERED_S).min(to);
    recovered.and_then(|r| short((r + AFTER_S).min(to))).or_else(|| short(first_minutes))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sim::trace::{Series, TraceEvent};

    fn event(t_s: f64, what: What) -> TraceEvent {
        TraceEvent { t_s, what, component: None, region: Some("a".into()), population: None }
    }

    fn trace(events: Vec<TraceEvent>, outcomes: Vec<Vec<[u32; 2]>>) -> Trace {
        Trace {
            from_s: 0.0,
            to_s: 21_600.0,
            events,
            series: Series { from_s: 0.0, bin_s: 1.0, outcomes, failed_by_cause: Vec::new() },
            ..Trace::default()
        }
    }

    /// A quick recovery is framed whole (a minute before, two after); a late one by the first quarter
    /// hour; none without an incident.
    #[test]
    fn the_window_frames_the_first_failover() {
        let incident = || event(1_800.0, What::Incident { populations: vec![] });
        let quick = trace(vec![incident(), event(1_958.0, What::Recovered { after_s: 158.0 })], vec![]);
        assert_eq!(window(&quick), Some((1_740.0, 2_078.0)));
        let late = trace(vec![incident(), event(16_200.0, What::Recovered { after_s: 14_400.0 })], vec![]);
        assert_eq!(window(&late), Some((1_740.0, 2_700.0)));
        assert_eq!(window(&trace(vec![], vec![])), None);
    }

    /// Bins are summed over populations, cut to the window, and blanked where fast-forwarded.
    #[test]
    fn the_close_up_sums_populations_and_blanks_fast_forwards() {
        let bins = |ok: u32, failed: u32| vec![[ok, failed]; 3_600];
        let t = trace(
            vec![
                event(1_800.0, What::Incident { populations: vec![] }),
                event(1_900.0, What::FastForward { until_s: 1_910.0 }),
                event(1_950.0, What::Recovered { after_s: 150.0 }),
            ],
            vec![bins(3, 1), bins(1, 1)],
        );
        let c = CloseUp::of(&t).expect("a failover");
        assert_eq!((c.from_s, c.to_s), (1_740.0, 2_070.0));
        // 330 one-second bins merged in pairs to stay within 300.
        assert_eq!(c.bins.len(), 165);
        assert_eq!(c.bins[0], [1_740.0, 2.0, 8.0, 12.0]);
        let blank = c.bins.iter().filter(|b| b[3] == 0.0).map(|b| b[0]).collect::<Vec<_>>();
        assert_eq!(blank, (1_900..1_910).step_by(2).map(f64::from).collect::<Vec<_>>());
        assert_eq!(c.skipped, [[1_900.0, 1_910.0]]);
        let runs = c.availability_runs();
        assert_eq!(runs.iter().map(Vec::len).collect::<Vec<_>>(), [80, 80]);
        assert!(runs.iter().flatten().all(|&(_, a)| (a - 200.0 / 3.0).abs() < 1e-9));
    }
}
