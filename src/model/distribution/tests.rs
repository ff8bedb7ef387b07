//! Unit tests of the distributions: parsing, validation messages, and sample means against closed forms.

use rand::SeedableRng;
use rand::rngs::Xoshiro256PlusPlus;
use statrs::distribution::{Continuous, ContinuousCDF, Normal};

use super::{Distribution, DistributionSpec};
use crate::input::issue::Issues;

const N: usize = 200_000;
const PATH: &str = "services[api].service_time";

fn parse(ron: &str) -> DistributionSpec {
    ron::from_str::<DistributionSpec>(ron).unwrap_or_else(|e| panic!("{ron}: {e}"))
}

fn resolve(ron: &str) -> Distribution {
    let mut issues = Issues::default();
    let d = parse(ron).resolve(PATH, &mut issues);
    assert!(issues.is_empty(), "{ron}: {issues:?}");
    d.unwrap()
}

/// The issues `ron` resolves to (it must parse, and must fail to resolve).
fn issues_of(ron: &str) -> Vec<String> {
    let mut issues = Issues::default();
    let d = parse(ron).resolve(PATH, &mut issues);
    assert!(d.is_none(), "{ron} resolved to {d:?}");
    assert!(!issues.is_empty());
    issues.0.iter().map(|i| i.to_string()).collect()
}

/// Asserts some issue starts with `path_and_words[0]` (`path: `) and contains every other word.
fn assert_issue(issues: &[String], path: &str, words: &[&str]) {
    let hit = issues
        .iter()
        .any(|i| i.starts_with(&format!("{PATH}{path}: ")) && words.iter().all(|w| i.contains(w)));
    assert!(hit, "no issue at {PATH}{path} containing {words:?} in {issues:#?}");
}

fn draws(d: &Distribution, seed: u64) -> Vec<f64> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    (0..N).map(|_| d.sample_s(&mut rng)).collect()
}

/// Parses and resolves `ron`, checks `mean_s()` against `mean` (relative 1e-9), and the mean of N draws
/// against `mean` within 4 standard errors `sd / sqrt(N)`; every draw must be finite and >= 0.
fn check_mean(ron: &str, mean: f64, sd: f64) -> Distribution {
    let d = resolve(ron);
    assert!((d.mean_s() - mean).abs() <= 1e-9 * mean, "{ron}: mean_s() = {} vs {mean}", d.mean_s());
    let xs = draws(&d, 42);
    assert!(xs.iter().all(|x| x.is_finite() && *x >= 0.0), "{ron}");
    let sample_mean = xs.iter().sum::<f64>() / N as f64;
    let se = sd / (N as f64).sqrt();
    assert!(
        (sample_mean - mean).abs() <= 4.0 * se + 1e-12 * mean,
        "{ron}: sample mean {sample_mean} vs {mean} (se {se})"
    );
    d
}

#[test]
fn exponential_mean() {
    // Mean 10 ms; an exponential's sd equals its mean.
    check_mean("Exponential(mean_ms: 10.0)", 0.010, 0.010);
    // Integer tokens are accepted for floats.
    check_mean("Exponential(mean_s: 2)", 2.0, 2.0);
}

#[test]
fn fixed_in_every_unit() {
    check_mean("Fixed(ms: 5.0)", 0.005, 0.0);
    check_mean("Fixed(s: 60.0)", 60.0, 0.0);
    // 2 min = 120 s; 1 h = 3600 s.
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    assert_eq!(resolve("Fixed(min: 2.0)").sample_s(&mut rng), 120.0);
    assert_eq!(resolve("Fixed(h: 1.0)").sample_s(&mut rng), 3600.0);
    assert_eq!(Distribution::fixed(0.25).sample_s(&mut rng), 0.25);
}

#[test]
fn uniform_mean() {
    // Mean (1 + 3) / 2 = 2 ms, sd (3 - 1) / sqrt(12) ms; units may differ between parameters.
    check_mean("Uniform(min_ms: 1.0, max_s: 0.003)", 0.002, 0.002 / 12f64.sqrt());
}

#[test]
fn truncated_normal_mean() {
    // With mean 4 sd above 0 the truncation is negligible: mean 20 ms, sd 5 ms.
    let n = Normal::standard();
    let closed_form = |mean: f64, sd: f64| {
        // mean + sd phi(a) / (1 - Phi(a)), a = (0 - mean) / sd.
        let a = -mean / sd;
        mean + sd * n.pdf(a) / (1.0 - n.cdf(a))
    };
    check_mean("Normal(mean_ms: 20.0, sd_ms: 5.0)", closed_form(0.020, 0.005), 0.005);
    // Heavy truncation: a = -0.4, mean = 2 + 5 * 0.36827 / 0.65542 = 4.8094 ms. Clamping at 0 instead
    // would give 2 + 5 * (phi(0.4) - 0.4 (1 - Phi(0.4)))... = 3.53 ms, far outside 4 standard errors.
    // The truncated sd is below the untruncated 5 ms, so 5 ms bounds the standard error.
    let mean = closed_form(0.002, 0.005);
    assert!((mean - 0.0048094).abs() < 1e-7, "{mean}");
    check_mean("Normal(mean_ms: 2.0, sd_ms: 5.0)", mean, 0.005);
}

#[test]
fn lognormal_by_median_and_sigma() {
    // mu = ln(12 ms); mean = exp(mu + sigma^2 / 2) = 12 ms * e^0.125 = 13.598 ms;
    // sd = mean * sqrt(e^(sigma^2) - 1) = 13.598 * 0.5329 = 7.247 ms.
    let mean = 0.012 * 0.125f64.exp();
    check_mean("LogNormal(median_ms: 12.0, sigma: 0.5)", mean, mean * (0.25f64.exp() - 1.0).sqrt());
}

#[test]
fn lognormal_by_mean_and_p99() {
    let d = resolve("LogNormal(mean_ms: 15.0, p99_ms: 80.0)");
    let Distribution::LogNormal { mu, sigma } = d else { panic!("{d:?}") };
    // The solved parameters reproduce both inputs exactly: exp(mu + sigma^2/2) = 15 ms and
    // exp(mu + z99 sigma) = 80 ms with z99 = Phi^-1(0.99) from statrs.
    let z99 = Normal::standard().inverse_cdf(0.99);
    assert!(((mu + 0.5 * sigma * sigma).exp() - 0.015).abs() < 1e-12);
    assert!(((mu + z99 * sigma).exp() - 0.080).abs() < 1e-12);
    // sigma = 0.8897 (derived by hand: r = ln(80/15) = 1.674, sigma = 2r / (z + sqrt(z^2 - 2r))).
    assert!((sigma - 0.8897).abs() < 1e-3, "{sigma}");
    check_mean("LogNormal(mean_ms: 15.0, p99_ms: 80.0)", 0.015, 0.015 * ((sigma * sigma).exp() - 1.0).sqrt());
    // Empirical p99 of N draws: its standard error is sqrt(0.99 * 0.01 / N) / pdf(p99) = 0.6 ms, so 3%
    // (2.4 ms) is about 4 standard errors.
    let mut xs = draws(&d, 7);
    xs.sort_by(f64::total_cmp);
    let p99 = xs[(0.99 * N as f64) as usize];
    assert!((p99 / 0.080 - 1.0).abs() < 0.03, "empirical p99 {p99}");
}

#[test]
fn weibull_mean() {
    // mean = scale Gamma(1 + 1/1.5) = 1000 h * 0.902745 = 902.745 h;
    // sd = scale sqrt(Gamma(1 + 2/1.5) - Gamma(1 + 1/1.5)^2) = 1000 h * sqrt(1.190639 - 0.814949) = 612.9 h.
    check_mean("Weibull(shape: 1.5, scale_h: 1000.0)", 902.745_292_950_933_6 * 3600.0, 612.93 * 3600.0);
}

#[test]
fn gamma_by_scale_or_mean() {
    // mean = shape * scale = 2 * 5 ms = 10 ms, sd = sqrt(shape) * scale = 7.071 ms.
    let by_scale = check_mean("Gamma(shape: 2.0, scale_ms: 5.0)", 0.010, 2f64.sqrt() * 0.005);
    let by_mean = check_mean("Gamma(shape: 2.0, mean_ms: 10.0)", 0.010, 2f64.sqrt() * 0.005);
    assert_eq!(by_scale, by_mean);
    // Shape < 1 takes a different sampler: mean 0.5 * 4 ms = 2 ms, sd sqrt(0.5) * 4 ms.
    check_mean("Gamma(shape: 0.5, scale_ms: 4.0)", 0.002, 0.5f64.sqrt() * 0.004);
}

#[test]
fn pareto_mean() {
    // mean = shape * scale / (shape - 1) = 2.5 * 3 / 1.5 = 5 ms;
    // variance = scale^2 shape / ((shape - 1)^2 (shape - 2)) = 9 * 2.5 / (2.25 * 0.5) = 20 ms^2.
    let d = check_mean("Pareto(shape: 2.5, scale_ms: 3.0)", 0.005, 20f64.sqrt() * 1e-3);
    assert!(draws(&d, 3).iter().all(|&x| x >= 0.003));
    // No mean for shape <= 1, yet the draws stay finite.
    let d = resolve("Pareto(shape: 0.01, scale_ms: 1.0)");
    assert_eq!(d.mean_s(), f64::INFINITY);
    assert!(draws(&d, 3).iter().all(|x| x.is_finite()));
}

#[test]
fn empirical_samples_mean() {
    // mean = (1 + 2 + 5) / 3 = 8/3 ms; E[X^2] = (1 + 4 + 25) / 3 = 10 ms^2, sd = sqrt(10 - 64/9) = 1.700 ms.
    let d = check_mean(
        "Empirical(samples_ms: [1.0, 2.0, 5.0])",
        0.008 / 3.0,
        (10.0f64 - 64.0 / 9.0).sqrt() * 1e-3,
    );
    assert!(draws(&d, 5).iter().all(|x| [0.001, 0.002, 0.005].contains(x)));
}

#[test]
fn empirical_cdf_mean() {
    // Half the mass uniform on [1, 5] ms, half on [5, 20] ms: mean = 0.5 * 3 + 0.5 * 12.5 = 7.75 ms;
    // E[X^2] = 0.5 (1 + 5 + 25) / 3 + 0.5 (25 + 100 + 400) / 3 = 92.667 ms^2,
    // sd = sqrt(92.667 - 60.0625) = 5.710 ms.
    let d = check_mean("Empirical(cdf_ms: [(1.0, 0.0), (5.0, 0.5), (20.0, 1.0)])", 0.00775, 5.710e-3);
    let xs = draws(&d, 9);
    assert!(xs.iter().all(|&x| (0.001..=0.020).contains(&x)));
    // Median: P(X <= 5 ms) = 0.5.
    let below = xs.iter().filter(|&&x| x <= 0.005).count() as f64 / N as f64;
    assert!((below - 0.5).abs() < 0.01, "{below}");
    // A first p above 0 is an atom at the first x: 30% at 2 s, the rest uniform on [2, 4] s.
    // mean = 0.3 * 2 + 0.7 * 3 = 2.7 s, sd <= 1 s.
    check_mean("Empirical(cdf_s: [(2.0, 0.3), (4.0, 1.0)])", 2.7, 1.0);
}

#[test]
fn distribution_stays_small() {
    assert!(std::mem::size_of::<Distribution>() <= 64, "{}", std::mem::size_of::<Distribution>());
}

#[test]
fn serialization_mirrors_the_input() {
    let spec = parse("LogNormal(median_ms: 12, sigma: 0.5)");
    assert_eq!(serde_json::to_string(&spec).unwrap(), r#"{"LogNormal":{"median_ms":12.0,"sigma":0.5}}"#);
    let text = ron::to_string(&spec).unwrap();
    assert_eq!(text, "LogNormal(median_ms:12.0,sigma:0.5)");
    assert_eq!(parse(&text), spec);
    let cdf = parse("Empirical(cdf_ms: [(1.0, 0.0), (5.0, 1.0)])");
    assert_eq!(parse(&ron::to_string(&cdf).unwrap()), cdf);
}

#[test]
fn unknown_parameter_is_a_parse_error_at_its_line() {
    let text = "Exponential(\n    mean_sec: 10.0,\n)";
    let err = ron::from_str::<DistributionSpec>(text).unwrap_err();
    let message = err.to_string();
    assert_eq!(err.span.start.line, 2, "{message}");
    for word in ["mean_sec", "mean_ms", "mean_s", "mean_min", "mean_h"] {
        assert!(message.contains(word), "{message}");
    }
    let err = ron::from_str::<DistributionSpec>("Exponential(mean_ms: 10.0, sigma: 0.5)").unwrap_err();
    assert!(err.to_string().contains("sigma") && err.to_string().contains("mean_ms"), "{err}");
    let err = ron::from_str::<DistributionSpec>("Exponental(mean_ms: 10.0)").unwrap_err();
    assert!(err.to_string().contains("LogNormal"), "{err}");
}

#[test]
fn bad_values_are_located_and_explained() {
    let issues = issues_of("LogNormal(median_ms: 12.0, sigma: -0.5)");
    assert_issue(&issues, ".sigma", &["must be > 0", "-0.5"]);
    assert_eq!(issues, [format!("{PATH}.sigma: must be > 0 (got -0.5)")]);

    let issues = issues_of("Exponential(mean_ms: 10.0, mean_s: 0.01)");
    assert_issue(&issues, ".mean_ms", &["more than one unit", "mean_s", "keep exactly one"]);

    let issues = issues_of("Exponential()");
    assert_issue(&issues, "", &["missing", "mean_ms", "mean_h"]);

    let issues = issues_of("Normal(mean_ms: NaN, sd_ms: inf)");
    assert_issue(&issues, ".mean_ms", &["finite", "NaN"]);
    assert_issue(&issues, ".sd_ms", &["finite", "inf"]);

    let issues = issues_of("Exponential(mean_h: 1e308)");
    assert_issue(&issues, ".mean_h", &["too large"]);

    let issues = issues_of("Uniform(min_ms: 3.0, max_ms: 1.0)");
    assert_issue(&issues, ".max_ms", &["at least the minimum", "swap"]);
}

#[test]
fn every_problem_is_collected() {
    // Three independent problems: all three are reported.
    let issues = issues_of("Gamma(shape: -1.0, scale_ms: NaN, scale_s: 1.0, mean_ms: 2.0)");
    assert_issue(&issues, ".shape", &["> 0", "-1"]);
    assert_issue(&issues, ".scale_ms", &["more than one unit"]);
    assert_issue(&issues, "", &["either scale or mean"]);
    let issues = issues_of("Gamma(shape: 1e-300, mean_s: 1e300)");
    assert_issue(&issues, ".mean_s", &["too large", "raise the shape"]);
    let issues = issues_of("Empirical(cdf_ms: [(5.0, 0.5), (1.0, 0.2), (-3.0, 1.5)])");
    assert_eq!(issues.len(), 5, "{issues:#?}");
}

#[test]
fn lognormal_p99_must_be_reachable() {
    let issues = issues_of("LogNormal(mean_ms: 15.0, p99_ms: 15.0)");
    assert_issue(&issues, ".p99_ms", &["greater than the mean", "15"]);
    // exp(z99^2 / 2) = 14.97: a p99 of 20 times the mean is out of reach.
    let issues = issues_of("LogNormal(mean_ms: 1.0, p99_ms: 20.0)");
    assert_issue(&issues, ".p99_ms", &["at most 14.97 times the mean", "20.00", "Pareto"]);
    // Just inside the limit: sigma = z99.
    let d = resolve("LogNormal(mean_ms: 1.0, p99_ms: 14.96)");
    assert!(matches!(d, Distribution::LogNormal { sigma, .. } if (sigma - 2.3).abs() < 0.1));
    let issues = issues_of("LogNormal(median_ms: 1.0, p99_ms: 20.0)");
    assert_issue(&issues, "", &["either median + sigma or mean + p99"]);
    let issues = issues_of("LogNormal(mean_ms: 1.0)");
    assert_issue(&issues, "", &["missing `p99`", "p99_ms"]);
}

#[test]
fn bad_empirical_tables() {
    let issues = issues_of("Empirical(samples_ms: [])");
    assert_issue(&issues, ".samples_ms", &["must not be empty"]);
    let issues = issues_of("Empirical(samples_s: [1.0, -2.0, NaN])");
    assert_issue(&issues, ".samples_s", &["item 2 of 3", "-2", "2 bad"]);
    let issues = issues_of("Empirical(cdf_ms: [(1.0, 0.0), (5.0, 0.6), (20.0, 0.5), (30.0, 1.0)])");
    assert_issue(&issues, ".cdf_ms", &["p must be non-decreasing", "point 3 (20, 0.5)"]);
    let issues = issues_of("Empirical(cdf_ms: [(1.0, 0.0), (5.0, 0.5), (20.0, 0.9)])");
    assert_issue(&issues, ".cdf_ms", &["last point's p must be 1", "0.9"]);
    let issues = issues_of("Empirical(cdf_ms: [(5.0, 0.0), (1.0, 1.0)])");
    assert_issue(&issues, ".cdf_ms", &["x must be non-decreasing", "sort"]);
    let issues = issues_of("Empirical(cdf_ms: [])");
    assert_issue(&issues, ".cdf_ms", &["must not be empty"]);
    let issues = issues_of("Empirical()");
    assert_issue(&issues, "", &["missing `samples` or `cdf`"]);
}

#[test]
fn extreme_parameters_never_panic_and_draws_stay_finite() {
    for ron in [
        "Weibull(shape: 0.001, scale_h: 1e10)",
        "Gamma(shape: 1e-300, mean_s: 1e300)",
        "Gamma(shape: 1e-300, mean_s: 1.0)",
        "LogNormal(median_h: 1e300, sigma: 50.0)",
        "Exponential(mean_s: 1e308)",
        "Pareto(shape: 1e-300, scale_s: 1.0)",
        "Normal(mean_s: 0.0, sd_s: 1e-300)",
    ] {
        let mut issues = Issues::default();
        if let Some(d) = parse(ron).resolve(PATH, &mut issues) {
            let _ = d.mean_s();
            assert!(draws(&d, 1).iter().take(1000).all(|x| x.is_finite() && *x >= 0.0), "{ron}");
        } else {
            assert!(!issues.is_empty(), "{ron}");
        }
    }
}

/// The closed-form CDF against the sampler: at the draws' 10th, 50th and 90th percentiles the CDF must
/// give 0.1, 0.5 and 0.9 within 4 binomial standard errors sqrt(p(1-p)/N).
#[test]
fn cdf_agrees_with_the_sampler_of_every_family() {
    for ron in [
        "Fixed(s: 2.0)",
        "Exponential(mean_s: 3.0)",
        "Uniform(min_s: 1.0, max_s: 4.0)",
        "Normal(mean_s: 1.0, sd_s: 1.5)",
        "LogNormal(median_s: 60.0, sigma: 2.2)",
        "Weibull(shape: 0.7, scale_s: 10.0)",
        "Gamma(shape: 2.5, mean_s: 5.0)",
        "Pareto(shape: 1.5, scale_s: 2.0)",
        "Empirical(samples_s: [1.0, 2.0, 2.0, 7.0])",
        "Empirical(cdf_s: [(1.0, 0.2), (5.0, 0.5), (20.0, 1.0)])",
    ] {
        let d = resolve(ron);
        let mut x = draws(&d, 9);
        x.sort_by(f64::total_cmp);
        for p in [0.1, 0.5, 0.9] {
            let q = x[(p * N as f64) as usize];
            // An atom at q: the CDF jumps over p there; the share of draws at or below q bounds it.
            let below = x.partition_point(|&v| v < q) as f64 / N as f64;
            let at_or_below = x.partition_point(|&v| v <= q) as f64 / N as f64;
            let tol = 4.0 * (p * (1.0 - p) / N as f64).sqrt();
            let c = d.cdf(q);
            assert!(
                c >= below - tol && c <= at_or_below + tol,
                "{ron}: cdf({q}) = {c}, draws {below}..{at_or_below}"
            );
        }
        assert_eq!(d.cdf(-1.0), 0.0, "{ron}");
        assert!((d.cdf(1e12) - 1.0).abs() < 1e-9, "{ron}");
    }
}
