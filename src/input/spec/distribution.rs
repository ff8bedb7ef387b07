//! The distribution syntax of model files: [`DistributionSpec`] mirrors what the user writes;
//! `model::distribution` checks it (collecting every problem) into a resolved distribution in seconds.
//!
//! Each duration parameter has one field per unit spelling (`mean_ms`, `mean_s`, `mean_min`, `mean_h`), so
//! serde's `deny_unknown_fields` makes the RON parser itself reject `mean_sec` at its line and column,
//! listing the accepted names. Fields are `Option`s read from bare numbers (no `Some(..)` in files).

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Declares [`DistributionSpec`]: every field is optional, read from a bare value, and left out of the
/// serialized form when absent (so an echo of the inputs mirrors what the user wrote).
macro_rules! spec_enum {
    ($(#[$meta:meta])* pub enum $name:ident {
        $( $(#[$vmeta:meta])* $variant:ident { $( $field:ident : $ty:ty ),* $(,)? } ),* $(,)?
    }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(deny_unknown_fields)]
        pub enum $name {
            $( $(#[$vmeta])* $variant {
                $(
                    /// One parameter of the variant, in the unit its suffix names (`_ms`, `_s`, `_min`,
                    /// `_h`; none for `sigma` and `shape`); at most one spelling of each may be given.
                    #[serde(
                        default,
                        deserialize_with = "bare",
                        serialize_with = "unwrap_some",
                        skip_serializing_if = "Option::is_none"
                    )]
                    $field: Option<$ty>,
                )*
            }, )*
        }
    };
}

spec_enum! {
    /// A duration distribution as written in a model or scenario file, e.g. `Exponential(mean_ms: 10.0)`.
    ///
    /// Every duration parameter carries exactly one unit suffix: `_ms`, `_s`, `_min` or `_h` (units may
    /// differ between parameters). Dimensionless parameters (`sigma`, `shape`) have none.
    pub enum DistributionSpec {
        /// `Exponential(mean_ms: 10.0)`.
        Exponential { mean_ms: f64, mean_s: f64, mean_min: f64, mean_h: f64 },
        /// `Fixed(ms: 5.0)` or `Fixed(s: 60.0)`: always the same duration.
        Fixed { ms: f64, s: f64, min: f64, h: f64 },
        /// `Uniform(min_ms: 1.0, max_ms: 3.0)`.
        Uniform {
            min_ms: f64, min_s: f64, min_min: f64, min_h: f64,
            max_ms: f64, max_s: f64, max_min: f64, max_h: f64,
        },
        /// `Normal(mean_ms: 20.0, sd_ms: 5.0)`: mean and sd before truncation at 0 (values below 0 are
        /// redrawn, not clamped).
        Normal {
            mean_ms: f64, mean_s: f64, mean_min: f64, mean_h: f64,
            sd_ms: f64, sd_s: f64, sd_min: f64, sd_h: f64,
        },
        /// `LogNormal(median_ms: 12.0, sigma: 0.5)` or `LogNormal(mean_ms: 15.0, p99_ms: 80.0)`.
        LogNormal {
            median_ms: f64, median_s: f64, median_min: f64, median_h: f64,
            sigma: f64,
            mean_ms: f64, mean_s: f64, mean_min: f64, mean_h: f64,
            p99_ms: f64, p99_s: f64, p99_min: f64, p99_h: f64,
        },
        /// `Weibull(shape: 1.5, scale_h: 1000.0)`.
        Weibull { shape: f64, scale_ms: f64, scale_s: f64, scale_min: f64, scale_h: f64 },
        /// `Gamma(shape: 2.0, scale_ms: 5.0)` or `Gamma(shape: 2.0, mean_ms: 10.0)`.
        Gamma {
            shape: f64,
            scale_ms: f64, scale_s: f64, scale_min: f64, scale_h: f64,
            mean_ms: f64, mean_s: f64, mean_min: f64, mean_h: f64,
        },
        /// `Pareto(shape: 2.5, scale_ms: 3.0)`: the scale is the minimum value.
        Pareto { shape: f64, scale_ms: f64, scale_s: f64, scale_min: f64, scale_h: f64 },
        /// `Empirical(samples_ms: [1.0, 2.0, 5.0])` (each sample equally likely) or
        /// `Empirical(cdf_ms: [(1.0, 0.0), (5.0, 0.5), (20.0, 1.0)])` (points `(x, P(X <= x))`, linear
        /// in between).
        Empirical {
            samples_ms: Vec<f64>, samples_s: Vec<f64>, samples_min: Vec<f64>, samples_h: Vec<f64>,
            cdf_ms: Vec<(f64, f64)>, cdf_s: Vec<(f64, f64)>, cdf_min: Vec<(f64, f64)>, cdf_h: Vec<(f64, f64)>,
        },
    }
}

/// Reads an optional field from its bare value: `mean_ms: 10.0`, not `mean_ms: Some(10.0)`.
fn bare<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// Writes an optional field as its bare value, so RON output reads back through [`bare`].
fn unwrap_some<S: Serializer, T: Serialize>(v: &Option<T>, s: S) -> Result<S::Ok, S::Error> {
    match v {
        Some(v) => v.serialize(s),
        None => s.serialize_none(),
    }
}
