//! Checking a [`DistributionSpec`] as written into a [`Distribution`] in seconds, collecting every
//! problem with its field path.

use super::Distribution;
use crate::input::issue::Issues;
use crate::input::spec::distribution::DistributionSpec;

/// The unit suffixes in field order, with seconds per unit.
const UNITS: [(&str, f64); 4] = [("ms", 1e-3), ("s", 1.0), ("min", 60.0), ("h", 3600.0)];

/// The 99% quantile of the standard normal, Phi^-1(0.99).
const Z99: f64 = 2.326_347_874_040_840_8;

/// A duration parameter as written: its field name (`mean_ms`), the number written, and seconds.
#[derive(Debug, Clone)]
struct Dur {
    name: String,
    written: f64,
    s: f64,
}

/// What a value must satisfy besides being finite.
#[derive(Debug, Clone, Copy)]
enum Rule {
    Positive,
    NonNegative,
}

impl Rule {
    fn holds(self, v: f64) -> bool {
        match self {
            Rule::Positive => v > 0.0,
            Rule::NonNegative => v >= 0.0,
        }
    }

    fn text(self) -> &'static str {
        match self {
            Rule::Positive => "> 0",
            Rule::NonNegative => ">= 0",
        }
    }
}

/// The field name of parameter `base` in `unit`: `mean` + `ms` is `mean_ms`; `Fixed`'s bare `ms`.
fn field_name(base: &str, unit: &str) -> String {
    if base.is_empty() { unit.to_string() } else { format!("{base}_{unit}") }
}

/// All four spellings of `base`, for messages: `mean_ms, mean_s, mean_min, mean_h`.
fn spellings(base: &str) -> String {
    UNITS.iter().map(|(u, _)| field_name(base, u)).collect::<Vec<_>>().join(", ")
}

fn given<T>(values: [&Option<T>; 4]) -> bool {
    values.iter().any(|v| v.is_some())
}

/// Pushes problems under `path` (or `path.param`) and remembers whether there were any.
struct Check<'a> {
    path: &'a str,
    issues: &'a mut Issues,
    ok: bool,
}

impl Check<'_> {
    fn push(&mut self, param: &str, message: String) {
        let path = if param.is_empty() { self.path.to_string() } else { format!("{}.{param}", self.path) };
        self.issues.push(path, message);
        self.ok = false;
    }

    /// The one spelling of `base` that was written, as (field name, value, seconds per unit). Writing it
    /// in two units is an error; writing none gives `None` without one (see [`Check::missing`]).
    fn written<'v, T>(&mut self, base: &str, values: [&'v Option<T>; 4]) -> Option<(String, &'v T, f64)> {
        let mut all = values
            .into_iter()
            .zip(UNITS)
            .filter_map(|(v, (unit, factor))| v.as_ref().map(|v| (field_name(base, unit), v, factor)));
        let first = all.next()?;
        let others: Vec<String> = all.map(|(name, _, _)| name).collect();
        if others.is_empty() {
            return Some(first);
        }
        let what = if base.is_empty() { "the duration" } else { base };
        self.push(
            &first.0,
            format!(
                "{what} is given in more than one unit ({}, {}): keep exactly one",
                first.0,
                others.join(", ")
            ),
        );
        None
    }

    /// A duration parameter, checked against `rule`; `None` if absent (no issue) or invalid (issue pushed).
    fn duration(&mut self, base: &str, values: [&Option<f64>; 4], rule: Rule) -> Option<Dur> {
        let (name, &written, factor) = self.written(base, values)?;
        self.value(&name, written, rule)?;
        let s = written * factor;
        if !s.is_finite() {
            self.push(&name, format!("is too large to express in seconds (got {written})"));
            return None;
        }
        Some(Dur { name, written, s })
    }

    /// A plain number `name` checked to be finite and to satisfy `rule`.
    fn value(&mut self, name: &str, v: f64, rule: Rule) -> Option<f64> {
        if !v.is_finite() {
            self.push(name, format!("must be a finite number (got {v})"));
            None
        } else if !rule.holds(v) {
            self.push(name, format!("must be {} (got {v})", rule.text()));
            None
        } else {
            Some(v)
        }
    }

    /// A dimensionless parameter that must be present.
    fn required(&mut self, name: &str, v: Option<f64>, rule: Rule, example: &str) -> Option<f64> {
        match v {
            Some(v) => self.value(name, v, rule),
            None => {
                self.push("", format!("missing `{name}` (a number {}), e.g. {example}", rule.text()));
                None
            }
        }
    }

    /// Reports that no spelling of the duration `base` was written.
    fn missing(&mut self, base: &str, example: &str) {
        let what = if base.is_empty() { "the duration".to_string() } else { format!("`{base}`") };
        self.push("", format!("missing {what}: write one of {} (e.g. {example})", spellings(base)));
    }

    /// A required duration parameter.
    fn required_duration(
        &mut self,
        base: &str,
        values: [&Option<f64>; 4],
        rule: Rule,
        example: &str,
    ) -> Option<Dur> {
        if !given(values) {
            self.missing(base, example);
        }
        self.duration(base, values, rule)
    }
}

impl DistributionSpec {
    /// Checks the parameters and builds the sampler. Every problem is pushed onto `issues` under `path`
    /// (for example `services[api].service_time`) or `path.param` (`services[api].service_time.sigma`);
    /// returns `None` when there was any. Never panics.
    pub fn resolve(&self, path: &str, issues: &mut Issues) -> Option<Distribution> {
        let before = issues.len();
        let mut check = Check { path, issues, ok: true };
        let resolved = self.check(&mut check);
        let ok = check.ok;
        if !ok || resolved.is_none() {
            if issues.len() == before {
                issues.push(path, "could not build this distribution (please report this as a bug)");
            }
            return None;
        }
        resolved
    }

    fn check(&self, c: &mut Check<'_>) -> Option<Distribution> {
        use DistributionSpec as S;
        use Rule::{NonNegative, Positive};
        match self {
            S::Exponential { mean_ms, mean_s, mean_min, mean_h } => {
                let ex = "Exponential(mean_ms: 10.0)";
                let mean = c.required_duration("mean", [mean_ms, mean_s, mean_min, mean_h], Positive, ex)?;
                Some(Distribution::Exponential { mean_s: mean.s })
            }
            S::Fixed { ms, s, min, h } => {
                let v = c.required_duration("", [ms, s, min, h], NonNegative, "Fixed(ms: 5.0)")?;
                Some(Distribution::Fixed { s: v.s })
            }
            S::Uniform { min_ms, min_s, min_min, min_h, max_ms, max_s, max_min, max_h } => {
                let ex = "Uniform(min_ms: 1.0, max_ms: 3.0)";
                let min = c.required_duration("min", [min_ms, min_s, min_min, min_h], NonNegative, ex);
                let max = c.required_duration("max", [max_ms, max_s, max_min, max_h], NonNegative, ex);
                let (min, max) = (min?, max?);
                if max.s < min.s {
                    c.push(
                        &max.name,
                        format!(
                            "must be at least the minimum (got {}: {} < {}: {}): swap them",
                            max.name, max.written, min.name, min.written
                        ),
                    );
                    return None;
                }
                Some(Distribution::Uniform { min_s: min.s, max_s: max.s })
            }
            S::Normal { mean_ms, mean_s, mean_min, mean_h, sd_ms, sd_s, sd_min, sd_h } => {
                let ex = "Normal(mean_ms: 20.0, sd_ms: 5.0)";
                // A negative mean would put most of the mass below 0, where the normal is cut off.
                let mean = c.required_duration("mean", [mean_ms, mean_s, mean_min, mean_h], NonNegative, ex);
                let sd = c.required_duration("sd", [sd_ms, sd_s, sd_min, sd_h], Positive, ex);
                Some(Distribution::TruncatedNormal { mean_s: mean?.s, sd_s: sd?.s })
            }
            S::LogNormal {
                median_ms,
                median_s,
                median_min,
                median_h,
                sigma,
                mean_ms,
                mean_s,
                mean_min,
                mean_h,
                p99_ms,
                p99_s,
                p99_min,
                p99_h,
            } => {
                let median = c.duration("median", [median_ms, median_s, median_min, median_h], Positive);
                let sigma_ok = sigma.and_then(|v| c.value("sigma", v, Positive));
                let mean = c.duration("mean", [mean_ms, mean_s, mean_min, mean_h], Positive);
                let p99 = c.duration("p99", [p99_ms, p99_s, p99_min, p99_h], Positive);
                let by_median = given([median_ms, median_s, median_min, median_h]) || sigma.is_some();
                let by_mean =
                    given([mean_ms, mean_s, mean_min, mean_h]) || given([p99_ms, p99_s, p99_min, p99_h]);
                let forms =
                    "LogNormal(median_ms: 12.0, sigma: 0.5) or LogNormal(mean_ms: 15.0, p99_ms: 80.0)";
                match (by_median, by_mean) {
                    (true, true) => {
                        c.push(
                            "",
                            format!(
                                "mixes two forms: give either median + sigma or mean + p99, as in {forms}"
                            ),
                        );
                        None
                    }
                    (false, false) => {
                        c.push(
                            "",
                            format!("missing parameters: give median + sigma or mean + p99, as in {forms}"),
                        );
                        None
                    }
                    (true, false) => {
                        if !given([median_ms, median_s, median_min, median_h]) {
                            c.missing("median", "LogNormal(median_ms: 12.0, sigma: 0.5)");
                        }
                        if sigma.is_none() {
                            c.push(
                                "",
                                "missing `sigma` (a number > 0), e.g. LogNormal(median_ms: 12.0, sigma: 0.5)"
                                    .into(),
                            );
                        }
                        Some(Distribution::LogNormal { mu: median?.s.ln(), sigma: sigma_ok? })
                    }
                    (false, true) => {
                        if !given([mean_ms, mean_s, mean_min, mean_h]) {
                            c.missing("mean", "LogNormal(mean_ms: 15.0, p99_ms: 80.0)");
                        }
                        if !given([p99_ms, p99_s, p99_min, p99_h]) {
                            c.missing("p99", "LogNormal(mean_ms: 15.0, p99_ms: 80.0)");
                        }
                        lognormal_from_mean_p99(c, &mean?, &p99?)
                    }
                }
            }
            S::Weibull { shape, scale_ms, scale_s, scale_min, scale_h } => {
                let ex = "Weibull(shape: 1.5, scale_h: 1000.0)";
                let shape = c.required("shape", *shape, Positive, ex);
                let scale =
                    c.required_duration("scale", [scale_ms, scale_s, scale_min, scale_h], Positive, ex);
                let (shape, scale_s) = (shape?, scale?.s);
                let sampler = built(c, rand_distr::Weibull::new(scale_s, shape))?;
                Some(Distribution::Weibull { shape, scale_s, sampler })
            }
            S::Gamma { shape, scale_ms, scale_s, scale_min, scale_h, mean_ms, mean_s, mean_min, mean_h } => {
                let ex = "Gamma(shape: 2.0, scale_ms: 5.0) or Gamma(shape: 2.0, mean_ms: 10.0)";
                let shape = c.required("shape", *shape, Positive, ex);
                let scales = [scale_ms, scale_s, scale_min, scale_h];
                let means = [mean_ms, mean_s, mean_min, mean_h];
                let scale = c.duration("scale", scales, Positive);
                let mean = c.duration("mean", means, Positive);
                let shape = match (given(scales), given(means)) {
                    (true, true) => {
                        c.push("", format!("give either scale or mean, not both, as in {ex}"));
                        return None;
                    }
                    (false, false) => {
                        c.push("", format!("missing `scale` or `mean`: give one, as in {ex}"));
                        return None;
                    }
                    _ => shape?,
                };
                let scale_s = match (scale, mean) {
                    (Some(scale), _) => scale.s,
                    (None, Some(mean)) if (mean.s / shape).is_finite() => mean.s / shape,
                    (None, Some(mean)) => {
                        let why = format!("with shape {shape}, the scale (mean / shape) overflows");
                        c.push(&mean.name, format!("is too large: {why}; raise the shape or lower the mean"));
                        return None;
                    }
                    (None, None) => return None,
                };
                let sampler = built(c, rand_distr::Gamma::new(shape, scale_s))?;
                Some(Distribution::Gamma { shape, scale_s, sampler })
            }
            S::Pareto { shape, scale_ms, scale_s, scale_min, scale_h } => {
                let ex = "Pareto(shape: 2.5, scale_ms: 3.0)";
                let shape = c.required("shape", *shape, Positive, ex);
                let scale =
                    c.required_duration("scale", [scale_ms, scale_s, scale_min, scale_h], Positive, ex);
                let (shape, scale_s) = (shape?, scale?.s);
                let sampler = built(c, rand_distr::Pareto::new(scale_s, shape))?;
                Some(Distribution::Pareto { shape, scale_s, sampler })
            }
            S::Empirical { samples_ms, samples_s, samples_min, samples_h, cdf_ms, cdf_s, cdf_min, cdf_h } => {
                let samples = [samples_ms, samples_s, samples_min, samples_h];
                let cdf = [cdf_ms, cdf_s, cdf_min, cdf_h];
                let ex = "Empirical(samples_ms: [1.0, 2.0, 5.0]) or \
                          Empirical(cdf_ms: [(1.0, 0.0), (5.0, 0.5), (20.0, 1.0)])";
                match (given(samples), given(cdf)) {
                    (true, true) => {
                        c.push("", format!("give either samples or cdf, not both, as in {ex}"));
                        None
                    }
                    (false, false) => {
                        c.push("", format!("missing `samples` or `cdf`: give one, as in {ex}"));
                        None
                    }
                    (true, false) => {
                        let (name, values, factor) = c.written("samples", samples)?;
                        let samples_s = empirical_samples(c, &name, values, factor)?;
                        Some(Distribution::Empirical { samples_s })
                    }
                    (false, true) => {
                        let (name, points, factor) = c.written("cdf", cdf)?;
                        let points = empirical_cdf(c, &name, points, factor)?;
                        Some(Distribution::EmpiricalCdf { points })
                    }
                }
            }
        }
    }
}

/// Turns a sampler constructor's error (parameters valid one by one but out of its range together, such
/// as a scale that overflows) into an issue.
fn built<T, E: std::fmt::Display>(c: &mut Check<'_>, r: Result<T, E>) -> Option<T> {
    r.map_err(|e| c.push("", format!("parameters out of the supported range: {e}"))).ok()
}

/// Solves `exp(mu + sigma^2/2) = mean` and `exp(mu + Z99 sigma) = p99` for the log-normal.
///
/// With `r = ln(p99 / mean)`: `sigma^2/2 - Z99 sigma + r = 0`, so `sigma = Z99 - sqrt(Z99^2 - 2r)`, the
/// smaller root (the larger one, above Z99, puts the median far below the mean: not what anyone means).
/// A root exists iff `r <= Z99^2 / 2`, i.e. `p99 / mean <= exp(Z99^2 / 2) = 14.97`, and `sigma > 0` iff
/// `p99 > mean`. Written as `2r / (Z99 + sqrt(..))` to avoid cancellation for small `r`.
fn lognormal_from_mean_p99(c: &mut Check<'_>, mean: &Dur, p99: &Dur) -> Option<Distribution> {
    let max_ratio = (0.5 * Z99 * Z99).exp();
    let ratio = p99.s / mean.s;
    if ratio <= 1.0 {
        c.push(
            &p99.name,
            format!(
                "must be greater than the mean (got {}: {} with {}: {}): raise the p99, \
                 or give median + sigma instead",
                p99.name, p99.written, mean.name, mean.written
            ),
        );
        return None;
    }
    if ratio > max_ratio {
        c.push(
            &p99.name,
            format!(
                "must be at most {max_ratio:.2} times the mean for a log-normal (got p99/mean = {ratio:.2}): \
                 lower the p99, raise the mean, or use a heavier tail (Pareto, or Weibull with shape < 1)"
            ),
        );
        return None;
    }
    let r = ratio.ln();
    let sigma = 2.0 * r / (Z99 + (Z99 * Z99 - 2.0 * r).max(0.0).sqrt());
    let mu = mean.s.ln() - 0.5 * sigma * sigma;
    Some(Distribution::LogNormal { mu, sigma })
}

/// Checks and converts `Empirical(samples_*: [...])`: non-empty, every value finite and >= 0.
fn empirical_samples(c: &mut Check<'_>, name: &str, values: &[f64], factor: f64) -> Option<Box<[f64]>> {
    if values.is_empty() {
        c.push(
            name,
            "must not be empty: list at least one duration, e.g. samples_ms: [1.0, 2.0, 5.0]".into(),
        );
        return None;
    }
    let bad = |v: &f64| !(v.is_finite() && *v >= 0.0 && (v * factor).is_finite());
    let count = values.iter().filter(|v| bad(v)).count();
    if let Some(i) = values.iter().position(bad) {
        c.push(
            name,
            format!(
                "every value must be a finite duration >= 0: item {} of {} is {} ({count} bad in all)",
                i + 1,
                values.len(),
                values[i]
            ),
        );
        return None;
    }
    Some(values.iter().map(|v| v * factor).collect())
}

/// Checks and converts `Empirical(cdf_*: [(x, p), ...])`: at least one point, every x finite and >= 0,
/// every p in [0, 1], both non-decreasing, and the last p equal to 1. Each kind of problem is reported
/// once, at its first point.
fn empirical_cdf(
    c: &mut Check<'_>,
    name: &str,
    points: &[(f64, f64)],
    factor: f64,
) -> Option<Box<[(f64, f64)]>> {
    let Some(&(_, last_p)) = points.last() else {
        c.push(
            name,
            "must not be empty: list points (x, P(X <= x)) ending with p = 1, \
                      e.g. cdf_ms: [(1.0, 0.0), (5.0, 0.5), (20.0, 1.0)]"
                .into(),
        );
        return None;
    };
    let before = c.issues.len();
    let show = |i: usize| format!("point {} ({}, {})", i + 1, points[i].0, points[i].1);
    if let Some(i) =
        points.iter().position(|&(x, _)| !(x.is_finite() && x >= 0.0 && (x * factor).is_finite()))
    {
        c.push(name, format!("every x must be a finite duration >= 0: {} is not", show(i)));
    }
    if let Some(i) = points.iter().position(|&(_, p)| !(0.0..=1.0).contains(&p)) {
        c.push(name, format!("every p must be a probability in [0, 1]: {} is not", show(i)));
    }
    if let Some(i) = (1..points.len()).find(|&i| points[i].0 < points[i - 1].0) {
        c.push(
            name,
            format!(
                "x must be non-decreasing: {} comes after x = {}; sort the points",
                show(i),
                points[i - 1].0
            ),
        );
    }
    if let Some(i) = (1..points.len()).find(|&i| points[i].1 < points[i - 1].1) {
        c.push(
            name,
            format!(
                "p must be non-decreasing (a CDF never goes down): {} comes after p = {}",
                show(i),
                points[i - 1].1
            ),
        );
    }
    if last_p != 1.0 {
        c.push(
            name,
            format!("the last point's p must be 1, so the CDF reaches 1 at the largest x (got {last_p})"),
        );
    }
    (c.issues.len() == before).then(|| points.iter().map(|&(x, p)| (x * factor, p)).collect())
}
