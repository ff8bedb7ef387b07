//! The units metrics are measured in, and how each shows a value: one type instead of unit names
//! compared as strings.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A metric's unit. Serialised as its name (`fraction`, `ms`, `s`, `min/year`, `writes`, `USD/month`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Unit {
    /// A share in [0, 1], shown as a percentage.
    #[serde(rename = "fraction")]
    Fraction,
    /// Milliseconds.
    #[serde(rename = "ms")]
    Ms,
    /// Seconds.
    #[serde(rename = "s")]
    S,
    /// Minutes per (Julian) year: downtime.
    #[serde(rename = "min/year")]
    MinPerYear,
    /// A count of writes.
    #[serde(rename = "writes")]
    Writes,
    /// A count of requests.
    #[serde(rename = "requests")]
    Requests,
    /// US dollars per month (730 h).
    #[serde(rename = "USD/month")]
    UsdPerMonth,
}

impl Unit {
    /// The name in files: `fraction`, `ms`, ...
    pub fn name(self) -> &'static str {
        match self {
            Unit::Fraction => "fraction",
            Unit::Ms => "ms",
            Unit::S => "s",
            Unit::MinPerYear => "min/year",
            Unit::Writes => "writes",
            Unit::Requests => "requests",
            Unit::UsdPerMonth => "USD/month",
        }
    }

    /// What an axis or a column header shows: `%` for fractions, else the name.
    pub fn shown(self) -> &'static str {
        if self == Unit::Fraction { "%" } else { self.name() }
    }

    /// The factor from the stored value to the shown one: 100 for fractions, else 1.
    pub fn scale(self) -> f64 {
        if self == Unit::Fraction { 100.0 } else { 1.0 }
    }

    /// The unit of a difference of two values: percentage points for fractions.
    pub fn difference_shown(self) -> &'static str {
        if self == Unit::Fraction { "percentage points" } else { self.name() }
    }

    /// A value for tables: fractions as percentages with enough digits to tell four nines from five,
    /// other units with three decimals below 100 and one above; `-` when not finite.
    pub fn format(self, v: f64) -> String {
        if !v.is_finite() {
            return "-".into();
        }
        match self {
            Unit::Fraction => format!("{:.4}%", v * 100.0),
            _ if v.abs() >= 100.0 => format!("{v:.1}"),
            _ => format!("{v:.3}"),
        }
    }

    /// `[lo, hi]`, or empty for a degenerate interval.
    pub fn format_ci(self, ci: [f64; 2]) -> String {
        if ci[0] == ci[1] {
            return String::new();
        }
        format!("[{}, {}]", self.format(ci[0]), self.format(ci[1]))
    }

    /// A signed difference: `+0.0123 pp` for fractions, `-4.500` otherwise.
    pub fn format_difference(self, v: f64) -> String {
        let s = match self {
            Unit::Fraction => format!("{:.4} pp", v * 100.0),
            _ => self.format(v),
        };
        if v > 0.0 { format!("+{s}") } else { s }
    }
}

impl fmt::Display for Unit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_show_their_values() {
        assert_eq!(Unit::Fraction.format(0.99995), "99.9950%");
        assert_eq!(Unit::Ms.format(1234.5), "1234.5");
        assert_eq!(Unit::S.format(f64::NAN), "-");
        assert_eq!(Unit::Fraction.format_difference(0.0001), "+0.0100 pp");
        assert_eq!(Unit::Ms.format_ci([1.0, 1.0]), "");
        assert_eq!(serde_json::to_string(&Unit::UsdPerMonth).unwrap(), "\"USD/month\"");
        assert_eq!(serde_json::from_str::<Unit>("\"min/year\"").unwrap(), Unit::MinPerYear);
    }
}
