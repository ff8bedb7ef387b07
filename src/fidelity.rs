//! Request-level fidelity: every request simulated, or steady states sampled and fast-forwarded
//! (DESIGN.md decision 7). The engine side lives in `engine::fast_forward`.

use crate::issue::Issues;
use crate::spec::scenario::FidelitySpec;
use crate::time::SimTime;

/// Full fidelity after each change before the window opens, by default [s].
pub const DEFAULT_SETTLE_S: f64 = 10.0;
/// The sampled window, by default [s].
pub const DEFAULT_WINDOW_S: f64 = 20.0;
/// Full fidelity before each known failure, scale-in or promotion, by default [s].
pub const DEFAULT_LEAD_S: f64 = 10.0;

#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Fidelity {
    /// Every request of the horizon is simulated.
    #[default]
    Full,
    Sampled(Sampling),
}

/// The timing of sampled fidelity (see [`FidelitySpec::Sampled`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sampling {
    pub settle: SimTime,
    pub window: SimTime,
    pub lead: SimTime,
}

impl Fidelity {
    pub fn resolve(spec: Option<&FidelitySpec>, issues: &mut Issues) -> Fidelity {
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
            window: seconds("window_s", *window_s, DEFAULT_WINDOW_S, true),
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
        assert_eq!(Fidelity::resolve(None, &mut issues), Fidelity::Full);
        let spec = FidelitySpec::Sampled { settle_s: None, window_s: Some(60.0), lead_s: None };
        let Fidelity::Sampled(s) = Fidelity::resolve(Some(&spec), &mut issues) else {
            panic!("sampled expected");
        };
        assert_eq!(s.settle, SimTime::from_secs_f64(DEFAULT_SETTLE_S));
        assert_eq!(s.window, SimTime::from_secs_f64(60.0));
        assert!(issues.is_empty());
    }

    #[test]
    fn a_zero_window_is_an_issue_at_its_path() {
        let mut issues = Issues::default();
        let spec = FidelitySpec::Sampled { settle_s: Some(-1.0), window_s: Some(0.0), lead_s: None };
        Fidelity::resolve(Some(&spec), &mut issues);
        let text = format!("{issues:?}");
        assert!(text.contains("fidelity.window_s") && text.contains("fidelity.settle_s"), "{text}");
    }
}
