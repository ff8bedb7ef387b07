//! A grid of variants of one design on one scenario: `--vary PATH=V1,V2,...` or `--vary
//! PATH=FROM..TO:STEP`, each value applied like `--set`, every point of the cartesian product run with
//! common random numbers (the same seed, so the same arrivals and failures at every point).

use std::path::Path;

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::analysis::metric::{self, Series};
use crate::analysis::objective;
use crate::analysis::report::{self, Report};
use crate::analysis::verdict::{self, Verdict};
use crate::model::study::{self, Adjustments, InputErrors, Override, Study};
use crate::sim::engine::SimError;
use crate::sim::montecarlo::RunOptions;

/// More points than this is a mistake more often than a plan (and hours of simulation).
pub const MAX_POINTS: usize = 1000;

/// Version of `sweep.json`'s own fields.
pub const SCHEMA_VERSION: u32 = 1;

/// A `--vary` that cannot be used.
#[derive(Debug, Clone, PartialEq, Error)]
#[error("--vary {vary}: {message}")]
pub struct VaryError {
    /// The `--vary` as typed (or the paths it concerns).
    pub vary: String,
    /// What is wrong with it.
    pub message: String,
}

/// One varied parameter and its values (RON text, applied as `--set PATH=VALUE`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Vary {
    /// The `--set` path of the parameter, e.g. `services[api].deployments[us-east-1].instances`.
    pub path: String,
    /// Its values as RON text, in the order they run.
    pub values: Vec<String>,
}

impl Vary {
    /// Parses `PATH=V1,V2,...` (commas inside brackets, parentheses or quotes do not split) or
    /// `PATH=FROM..TO:STEP` (numbers; integers print as integers).
    pub fn parse(raw: &str) -> Result<Vary, VaryError> {
        let err = |message: String| VaryError { vary: raw.to_string(), message };
        let (path, spec) = raw.split_once('=').ok_or_else(|| {
            err("expected PATH=V1,V2,... or PATH=FROM..TO:STEP, e.g. \
                 services[api].deployments[us-east-1].instances=4..8:1"
                .into())
        })?;
        let path = path.trim().to_string();
        let spec = spec.trim();
        let values = if spec.contains("..") && !spec.starts_with(['"', '(', '[', '{']) {
            range(spec).map_err(err)?
        } else {
            list(spec).map_err(err)?
        };
        // The path must be one `--set` accepts; the first value stands in for all.
        Override::parse(&format!("{path}={}", values[0])).map_err(|e| match e {
            study::InputError::Override { message, .. } => err(message),
            other => err(other.to_string()),
        })?;
        Ok(Vary { path, values })
    }
}

/// `FROM..TO:STEP` into its values, `TO` included when the steps land on it.
fn range(spec: &str) -> Result<Vec<String>, String> {
    let (bounds, step) =
        spec.split_once(':').ok_or_else(|| format!("a range needs a step: FROM..TO:STEP, e.g. {spec}:1"))?;
    let (from, to) = bounds.split_once("..").ok_or("expected FROM..TO:STEP")?;
    let number = |what: &str, s: &str| -> Result<f64, String> {
        let s = s.trim();
        if s.is_empty() {
            return Err(format!("{what} is empty: expected FROM..TO:STEP, e.g. 2..10:2"));
        }
        s.parse::<f64>().ok().filter(|v| v.is_finite()).ok_or_else(|| format!("{what} '{s}' is not a number"))
    };
    let (a, b, step_v) = (number("FROM", from)?, number("TO", to)?, number("STEP", step)?);
    if step_v <= 0.0 {
        return Err(format!("STEP must be > 0 (got {})", step.trim()));
    }
    if b < a {
        return Err(format!(
            "the range is reversed: FROM {} > TO {}; write {}..{}:{}",
            from.trim(),
            to.trim(),
            to.trim(),
            from.trim(),
            step.trim()
        ));
    }
    let steps = ((b - a) / step_v + 1e-9).floor();
    if steps + 1.0 > MAX_POINTS as f64 {
        return Err(format!(
            "{} values, more than the {MAX_POINTS} a sweep allows: use a larger STEP",
            steps + 1.0
        ));
    }
    let integral = [a, b, step_v].iter().all(|v| v.fract() == 0.0 && v.abs() < 1e15);
    let decimals = [from, step].iter().map(|s| decimals(s.trim())).max().unwrap_or(0);
    Ok((0..=steps as usize)
        .map(|i| {
            let v = a + i as f64 * step_v;
            if integral { format!("{}", v as i64) } else { format!("{v:.decimals$}") }
        })
        .collect())
}

/// Digits after the decimal point as typed (`0.25` → 2); 10 for exponent forms.
fn decimals(s: &str) -> usize {
    if s.contains(['e', 'E']) {
        return 10;
    }
    s.split_once('.').map_or(0, |(_, d)| d.len())
}

/// `V1,V2,...` split at top-level commas.
fn list(spec: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let (mut depth, mut quoted, mut start) = (0i32, false, 0);
    for (i, c) in spec.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '(' | '[' | '{' if !quoted => depth += 1,
            ')' | ']' | '}' if !quoted => depth -= 1,
            ',' if !quoted && depth == 0 => {
                out.push(spec[start..i].trim().to_string());
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(spec[start..].trim().to_string());
    if out.iter().any(String::is_empty) {
        return Err("an empty value: expected V1,V2,... (e.g. 4,6,8) or FROM..TO:STEP".into());
    }
    if out.len() > MAX_POINTS {
        return Err(format!("{} values, more than the {MAX_POINTS} a sweep allows", out.len()));
    }
    Ok(out)
}

/// Every combination of the values, the last parameter changing fastest. Fails on a repeated path or
/// more than [`MAX_POINTS`] points.
pub fn grid(varies: &[Vary]) -> Result<Vec<Vec<String>>, VaryError> {
    for (i, v) in varies.iter().enumerate() {
        if varies[..i].iter().any(|w| w.path == v.path) {
            return Err(VaryError { vary: v.path.clone(), message: "this path is varied twice".into() });
        }
    }
    let total = varies.iter().try_fold(1usize, |n, v| n.checked_mul(v.values.len()));
    if total.is_none_or(|n| n > MAX_POINTS) {
        return Err(VaryError {
            vary: varies.iter().map(|v| v.path.as_str()).collect::<Vec<_>>().join(" × "),
            message: format!(
                "{} points, more than the {MAX_POINTS} a sweep allows: vary fewer values",
                varies.iter().map(|v| v.values.len().to_string()).collect::<Vec<_>>().join(" × ")
            ),
        });
    }
    let mut points: Vec<Vec<String>> = vec![Vec::new()];
    for v in varies {
        points = points
            .into_iter()
            .flat_map(|p| {
                v.values.iter().map(move |x| {
                    let mut q = p.clone();
                    q.push(x.clone());
                    q
                })
            })
            .collect();
    }
    Ok(points)
}

/// `path=value, path=value`: how a point is named in messages.
pub fn label(varies: &[Vary], values: &[String]) -> String {
    varies.iter().zip(values).map(|(v, x)| format!("{}={x}", v.path)).collect::<Vec<_>>().join(", ")
}

/// A point that failed validation: its label and its problems.
#[derive(Debug, Clone, PartialEq)]
pub struct PointErrors {
    /// The point's label (`path=value, ...`).
    pub point: String,
    /// Every problem of its study.
    pub errors: InputErrors,
}

/// Loads the study of every point (the base `--set`s first, then the point's values).
pub fn load(
    model: &Path,
    scenario: &Path,
    adjust: &Adjustments,
    varies: &[Vary],
    points: &[Vec<String>],
) -> Result<Vec<Study>, Vec<PointErrors>> {
    let mut studies = Vec::new();
    let mut failed = Vec::new();
    'points: for values in points {
        let mut a = adjust.clone();
        for (v, x) in varies.iter().zip(values) {
            match Override::parse(&format!("{}={x}", v.path)) {
                Ok(o) => a.overrides.push(o),
                Err(e) => {
                    failed.push(PointErrors { point: label(varies, values), errors: InputErrors(vec![e]) });
                    continue 'points;
                }
            }
        }
        match study::load_study(model, scenario, &a) {
            Ok(s) => studies.push(s),
            Err(errors) => failed.push(PointErrors { point: label(varies, values), errors }),
        }
    }
    if failed.is_empty() { Ok(studies) } else { Err(failed) }
}

/// One point of the grid: its values (in `--vary` order) and its report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// The value of each parameter, in `--vary` order.
    pub values: Vec<String>,
    /// The point's results, objectives judged.
    pub results: Report,
}

/// `sweep.json`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sweep {
    /// Version of this file's own fields ([`SCHEMA_VERSION`]); each point's results carry their own.
    pub schema_version: u32,
    /// The model's name.
    pub model: String,
    /// The scenario's name.
    pub scenario: String,
    /// The varied parameters, in `--vary` order.
    pub parameters: Vec<Vary>,
    /// Every point of the grid: the cartesian product of the parameters' values, the last parameter varying
    /// fastest.
    pub points: Vec<Point>,
    /// The point recommended: the cheapest passing every objective (see [`choose`]).
    pub chosen: Option<usize>,
    /// How it was chosen, in words.
    pub chosen_by: String,
}

/// Runs every point one after the other (each on the rayon pool, same seed: common random numbers).
pub fn run(
    studies: &[Study],
    varies: &[Vary],
    points: &[Vec<String>],
    base_sets: &[String],
    options: &RunOptions,
) -> Result<Sweep, SimError> {
    let mut out = Vec::new();
    for (study, values) in studies.iter().zip(points) {
        let sets = point_sets(base_sets, varies, values);
        let results = objective::judged(report::run(study, &sets, options)?, &study.scenario.objectives);
        out.push(Point { values: values.clone(), results });
    }
    Ok(sweep(varies.to_vec(), out))
}

/// The `--set`s of a point, as its report lists them: the base ones, then the point's values.
pub fn point_sets(base_sets: &[String], varies: &[Vary], values: &[String]) -> Vec<String> {
    let mut sets = base_sets.to_vec();
    sets.extend(varies.iter().zip(values).map(|(v, x)| format!("{}={x}", v.path)));
    sets
}

/// A sweep from points already run.
pub fn sweep(parameters: Vec<Vary>, points: Vec<Point>) -> Sweep {
    let (chosen, chosen_by) = choose(&points);
    let first = points.first().map(|p| &p.results.inputs);
    Sweep {
        schema_version: SCHEMA_VERSION,
        model: first.map(|i| i.model.name.clone()).unwrap_or_default(),
        scenario: first.map(|i| i.scenario.name.clone()).unwrap_or_default(),
        parameters,
        points,
        chosen,
        chosen_by,
    }
}

/// Whether a point passes: it has objectives and every measured one passes.
fn passes(p: &Point) -> bool {
    !p.results.objectives.is_empty() && verdict::all_passed(&p.results.objectives)
}

/// The cheapest point that passes every objective (by the cost metric's mean) or, while the report
/// has no cost, the first passing point in grid order. `None` without objectives or a passing point.
pub fn choose(points: &[Point]) -> (Option<usize>, String) {
    if points.iter().all(|p| p.results.objectives.is_empty()) {
        return (None, "no objectives stated in the scenario: no point chosen".into());
    }
    let passing: Vec<usize> = (0..points.len()).filter(|&i| passes(&points[i])).collect();
    if passing.is_empty() {
        return (None, "no point passes every objective".into());
    }
    let cost = |i: usize| metric::find(&points[i].results, metric::COST).and_then(|s| s.estimate());
    if passing.iter().all(|&i| cost(i).is_some()) {
        let best = passing.iter().copied().min_by(|&a, &b| {
            let (ca, cb) =
                (cost(a).map_or(f64::INFINITY, |e| e.mean), cost(b).map_or(f64::INFINITY, |e| e.mean));
            ca.total_cmp(&cb).then(a.cmp(&b))
        });
        return (best, "the cheapest point (mean monthly cost) passing every objective".into());
    }
    (
        passing.first().copied(),
        "the first point in grid order passing every objective (cost is not measured yet, so not the \
         cheapest)"
            .into(),
    )
}

/// Indices of the points on the Pareto frontier of (cost: lower is better, availability: higher is
/// better), by increasing cost: no other point is at least as good on both and better on one.
pub fn pareto_front(points: &[(f64, f64)]) -> Vec<usize> {
    let mut order: Vec<usize> =
        (0..points.len()).filter(|&i| points[i].0.is_finite() && points[i].1.is_finite()).collect();
    order.sort_by(|&a, &b| points[a].0.total_cmp(&points[b].0).then(points[b].1.total_cmp(&points[a].1)));
    let mut front = Vec::new();
    let mut best = f64::NEG_INFINITY;
    for i in order {
        if points[i].1 > best {
            front.push(i);
            best = points[i].1;
        }
    }
    front
}

/// The parameter's values as numbers, when every one is a number.
pub fn numeric(values: &[String]) -> Option<Vec<f64>> {
    values.iter().map(|v| v.trim().parse::<f64>().ok().filter(|x| x.is_finite())).collect()
}

/// The metric series measured at any point, in [`metric::METRICS`] order (names and labels).
pub fn measured_series(s: &Sweep) -> Vec<Series> {
    let Some(first) = s.points.first() else { return Vec::new() };
    metric::series(&first.results)
        .into_iter()
        .filter(|x| s.points.iter().any(|p| metric::find(&p.results, &x.name).is_some_and(|y| y.measured())))
        .collect()
}

/// Whether a point's overall verdict is a fail (for charts and messages).
pub fn failed(p: &Point) -> bool {
    verdict::overall(&p.results.objectives) == Verdict::Fail
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_ranges_print_as_integers() {
        let v = Vary::parse("services[api].deployments[us-east-1].instances=4..8:2").unwrap();
        assert_eq!(v.values, ["4", "6", "8"]);
        assert_eq!(Vary::parse("horizon_s=10..11:5").unwrap().values, ["10"], "TO need not be hit");
    }

    #[test]
    fn float_ranges_keep_the_typed_decimals() {
        // 0.1 + 2 * 0.1 is 0.30000000000000004 in binary: printed with the typed precision.
        assert_eq!(
            Vary::parse("horizon_s=0.1..0.5:0.1").unwrap().values,
            ["0.1", "0.2", "0.3", "0.4", "0.5"]
        );
        assert_eq!(
            Vary::parse("horizon_s=1..2:0.25").unwrap().values,
            ["1.00", "1.25", "1.50", "1.75", "2.00"]
        );
    }

    #[test]
    fn lists_split_at_top_level_commas() {
        let v = Vary::parse("traffic.rate_per_s=100, 200 ,300").unwrap();
        assert_eq!(v.values, ["100", "200", "300"]);
        assert_eq!(list("(a: 1, b: 2),\"x,y\"").unwrap(), ["(a: 1, b: 2)", "\"x,y\""]);
    }

    #[test]
    fn bad_ranges_say_what_is_wrong() {
        let msg = |s: &str| Vary::parse(s).unwrap_err().to_string();
        assert!(msg("horizon_s=10..2:1").contains("reversed"), "{}", msg("horizon_s=10..2:1"));
        assert!(msg("horizon_s=1..10:0").contains("STEP must be > 0"));
        assert!(msg("horizon_s=1..10:-1").contains("STEP must be > 0"));
        assert!(msg("horizon_s=..10:1").contains("FROM is empty"));
        assert!(msg("horizon_s=1..10").contains("needs a step"));
        assert!(msg("horizon_s=1..x:1").contains("TO 'x' is not a number"));
        assert!(msg("horizon_s=1..5000:1").contains("more than the 1000"));
        assert!(msg("horizon_s=").contains("empty value"));
        assert!(msg("horizon_s=1,,2").contains("empty value"));
        assert!(msg("horizon_s").contains("expected PATH="));
        assert!(msg("nonsense=1,2").contains("no top-level field 'nonsense'"), "{}", msg("nonsense=1,2"));
    }

    #[test]
    fn the_grid_is_the_cartesian_product_last_fastest() {
        let a = Vary { path: "a".into(), values: vec!["1".into(), "2".into()] };
        let b = Vary { path: "b".into(), values: vec!["x".into(), "y".into(), "z".into()] };
        let g = grid(&[a.clone(), b.clone()]).unwrap();
        assert_eq!(g.len(), 6);
        assert_eq!(g[0], ["1", "x"]);
        assert_eq!(g[1], ["1", "y"]);
        assert_eq!(g[3], ["2", "x"]);
        assert!(grid(&[a.clone(), a.clone()]).unwrap_err().message.contains("twice"));
        let big = Vary { path: "c".into(), values: (0..501).map(|i| i.to_string()).collect() };
        assert!(grid(&[a, big]).unwrap_err().message.contains("more than the 1000"));
        assert_eq!(label(&[b], &["y".into()]), "b=y");
    }

    #[test]
    fn the_pareto_front_keeps_only_undominated_points() {
        // (cost, availability): 1 is dominated by 0 (dearer, less available); 3 by 2 (same cost, less).
        let pts = [(100.0, 0.999), (120.0, 0.998), (150.0, 0.9999), (150.0, 0.9995), (300.0, 0.99999)];
        assert_eq!(pareto_front(&pts), [0, 2, 4]);
        assert_eq!(pareto_front(&[]), Vec::<usize>::new());
    }

    #[test]
    fn numbers_are_recognised_only_when_all_are() {
        assert_eq!(numeric(&["1".into(), "2.5".into()]), Some(vec![1.0, 2.5]));
        assert_eq!(numeric(&["1".into(), "Hot".into()]), None);
    }
}
