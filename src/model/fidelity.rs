//! Request-level fidelity: every request simulated, or steady states sampled and fast-forwarded
//! (docs/architecture.md#fidelity). The engine side lives in `sim::engine::fidelity`.

use crate::input::issue::Issues;
use crate::input::spec::scenario::FidelitySpec;
use crate::model::time::SimTime;

/// Full fidelity after each change before the window opens, by default \[s\] (and at least twice the
/// connect timeout, so requests caught by the change have failed or been served).
pub const DEFAULT_SETTLE_S: f64 = 5.0;
/// The sampled window, by default \[s\]; longer when that would see fewer than
/// [`MIN_WINDOW_ARRIVALS`] requests.
pub const DEFAULT_WINDOW_S: f64 = 10.0;
/// The fewest requests a window is meant to see at the scenario's base rate: enough that each
/// (population, region) cell's p99 rests on a hundred or so slow requests.
pub const MIN_WINDOW_ARRIVALS: f64 = 10_000.0;
/// Full fidelity before each known failure, scale-in or promotion, by default \[s\].
pub const DEFAULT_LEAD_S: f64 = 10.0;

/// Request-level fidelity, resolved.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Fidelity {
    /// Every request of the horizon is simulated.
    #[default]
    Full,
    /// Steady stretches fast-forwarded from sampled windows.
    Sampled(Sampling),
}

/// The timing of sampled fidelity (see [`FidelitySpec::Sampled`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sampling {
    /// Full fidelity after each change before the window opens.
    pub settle: SimTime,
    /// The sampled window.
    pub window: SimTime,
    /// Full fidelity before each known failure, scale-in or promotion.
    pub lead: SimTime,
}

impl Fidelity {
    /// `rate_per_s` is the scenario's total base arrival rate: a default window is stretched to see
    /// [`MIN_WINDOW_ARRIVALS`] requests; a window the scenario states is taken as it is.
    pub fn resolve(spec: Option<&FidelitySpec>, rate_per_s: f64, issues: &mut Issues) -> Fidelity {
        let Some(FidelitySpec::Sampled { settle_s, window_s, lead_s }) = spec else {
            return Fidelity::Full;
        };
        let mut seconds = |field: &str, v: Option<f64>, default: f64, min_exclusive: bool| {
            let v = v.unwrap_or(default);
            let ok = v.is_finite() && if min_exclusive { v > 0.0 } else { v >= 0.0 };
            if !ok {
                let bound = if min_exclusive { "> 0" } else { ">= 0" };
                issues
                    .push(format!("fidelity.{field}"), format!("must be a finite number {bound} (got {v})"));
            }
            SimTime::from_secs_f64(v.max(0.0))
        };
        Fidelity::Sampled(Sampling {
            settle: seconds("settle_s", *settle_s, DEFAULT_SETTLE_S, false),
            window: match window_s {
                Some(_) => seconds("window_s", *window_s, DEFAULT_WINDOW_S, true),
                None if rate_per_s > 0.0 => {
                    SimTime::from_secs_f64(DEFAULT_WINDOW_S.max(MIN_WINDOW_ARRIVALS / rate_per_s))
                }
                None => SimTime::from_secs_f64(DEFAULT_WINDOW_S),
            },
            lead: seconds("lead_s", *lead_s, DEFAULT_LEAD_S, false),
        })
    }

    /// The name used in reports: `full` or `sampled`.
    pub fn key(&self) -> &'static str {
        match self {
            Fidelity::Full => "full",
            Fidelity::Sampled(_) => "sampled",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_is_full_and_sampled_takes_defaults() {
        let mut issues = Issues::default();
        assert_eq!(Fidelity::resolve(None, 1000.0, &mut issues), Fidelity::Full);
        let spec = FidelitySpec::Sampled { settle_s: None, window_s: Some(60.0), lead_s: None };
        let Fidelity::Sampled(s) = Fidelity::resolve(Some(&spec), 1000.0, &mut issues) else {
            panic!("sampled expected");
        };
        assert_eq!(s.settle, SimTime::from_secs_f64(DEFAULT_SETTLE_S));
        assert_eq!(s.window, SimTime::from_secs_f64(60.0));
        assert!(issues.is_empty());
    }

    fn default_window_s(rate_per_s: f64) -> f64 {
        let spec = FidelitySpec::Sampled { settle_s: None, window_s: None, lead_s: None };
        let Fidelity::Sampled(s) = Fidelity::resolve(Some(&spec), rate_per_s, &mut Issues::default()) else {
            panic!("sampled expected");
        };
        s.window.as_secs_f64()
    }

    #[test]
    fn a_default_window_sees_ten_thousand_requests_and_a_stated_one_is_kept() {
        assert_eq!(default_window_s(1100.0), 10.0, "1,100 req/s bring 11,000 in 10 s");
        assert!((default_window_s(50.0) - 200.0).abs() < 1e-6, "50 req/s need 200 s for 10,000");
        assert_eq!(default_window_s(0.0), 10.0, "no traffic: the default");
        let spec = FidelitySpec::Sampled { settle_s: None, window_s: Some(3.0), lead_s: None };
        let Fidelity::Sampled(s) = Fidelity::resolve(Some(&spec), 50.0, &mut Issues::default()) else {
            panic!("sampled expected");
        };
        assert_eq!(s.window, SimTime::from_secs_f64(3.0), "a stated window is not stretched");
    }

    #[test]
    fn a_zero_window_is_an_issue_at_its_path() {
        let mut issues = Issues::default();
        let spec = FidelitySpec::Sampled { settle_s: Some(-1.0), window_s: Some(0.0), lead_s: None };
        Fidelity::resolve(Some(&spec), 1000.0, &mut issues);
        let text = format!("{issues:?}");
        assert!(text.contains("fidelity.window_s") && text.contains("fidelity.settle_s"), "{text}");
    }
}
