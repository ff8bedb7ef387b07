//! The engine against closed-form queueing results (docs/references.md#queueing-formulas).

use crate::common::{Files, assert_within_ci, load, queue_model, root, run};

/// Erlang C: probability that an arrival waits in an M/M/c queue with offered load `a` = λ/μ, by the
/// stable Erlang B recursion B(k) = a·B(k−1) / (k + a·B(k−1)), C = B / (1 − ρ(1 − B)).
pub(crate) fn erlang_c(c: u32, a: f64) -> f64 {
    let mut b = 1.0;
    for k in 1..=c {
        b = a * b / (k as f64 + a * b);
    }
    let rho = a / c as f64;
    b / (1.0 - rho * (1.0 - b))
}

/// P(T > t) for the response time T = Wq + S of an M/M/c queue. Wq is 0 with probability 1 − C and
/// Exp(θ), θ = cμ − λ, with probability C; S ~ Exp(μ) is independent. For θ ≠ μ,
/// P(E_θ + S > t) = (θ e^{−μt} − μ e^{−θt}) / (θ − μ); for θ = μ the sum is Gamma(2, μ) with
/// P(> t) = e^{−μt}(1 + μt).
fn mmc_response_ccdf(c: u32, lambda: f64, mu: f64, t: f64) -> f64 {
    let cw = erlang_c(c, lambda / mu);
    let theta = c as f64 * mu - lambda;
    let both = if (theta - mu).abs() < 1e-9 * mu {
        (-mu * t).exp() * (1.0 + mu * t)
    } else {
        (theta * (-mu * t).exp() - mu * (-theta * t).exp()) / (theta - mu)
    };
    (1.0 - cw) * (-mu * t).exp() + cw * both
}

/// The q-quantile of the M/M/c response time, by bisection on the CCDF (decreasing in t).
fn mmc_response_quantile(c: u32, lambda: f64, mu: f64, q: f64) -> f64 {
    let (mut lo, mut hi) = (0.0, 1.0);
    while mmc_response_ccdf(c, lambda, mu, hi) > 1.0 - q {
        hi *= 2.0;
    }
    for _ in 0..200 {
        let mid = (lo + hi) / 2.0;
        if mmc_response_ccdf(c, lambda, mu, mid) > 1.0 - q {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    (lo + hi) / 2.0
}

#[test]
fn oracle_reproduces_the_reference_test_vectors() {
    // docs/references.md#queueing-formulas: c = 4, λ = 3, μ = 1: C = 0.509434, W = 1.509434; c = 10, λ = 8: C = 0.409180.
    assert!((erlang_c(4, 3.0) - 0.509434).abs() < 1e-6);
    assert!((erlang_c(10, 8.0) - 0.409180).abs() < 1e-6);
    // M/M/1 (λ = 0.8, μ = 1): T ~ Exp(0.2): p50 = 3.466, p99 = 23.026.
    assert!((mmc_response_quantile(1, 0.8, 1.0, 0.5) - 3.466).abs() < 1e-3);
    assert!((mmc_response_quantile(1, 0.8, 1.0, 0.99) - 23.026).abs() < 1e-3);
}

/// M/M/1 with μ = 100/s (mean service 10 ms) and λ = 80/s: ρ = 0.8, T ~ Exp(μ − λ = 20/s), so
/// W = 50 ms, p50 = ln 2 / 20 s = 34.657 ms, p99 = ln 100 / 20 s = 230.259 ms.
#[test]
fn mm1_mean_and_percentiles_match_the_closed_form() {
    let files = Files::new(
        &queue_model(1, 1, 10.0),
        r#"(name: "mm1", horizon_s: 3000.0, warmup_s: 100.0, replications: 40, seed: 11,
            traffic: (rate_per_s: 80.0))"#,
    );
    let report = run(&files.load(&[]).expect("valid study"));
    let l = &report.latency_ms;
    let (mean, p50, p99) = (l.mean.unwrap(), l.p50.unwrap(), l.p99.unwrap());
    assert_within_ci("M/M/1 mean [ms]", mean.mean, mean.ci95, 50.0, 2.0);
    assert_within_ci("M/M/1 p99 [ms]", p99.mean, p99.ci95, 230.259, 2.0);
    assert_within_ci("M/M/1 p50 [ms]", p50.mean, p50.ci95, 34.657, 2.0);
    // Power: the intervals are narrow enough to catch a 2% error.
    assert!(mean.ci95[1] - mean.ci95[0] < 0.02 * 50.0);
    assert!(p99.ci95[1] - p99.ci95[0] < 0.05 * 230.259, "p99 CI {:?}", p99.ci95);
}

/// The shipped M/M/c validation study, run as the README does (40 replications, seed 7): c = 10,
/// μ = 100/s, λ = 900/s, a = 9, ρ = 0.9. Erlang C gives C(10, 9) = 0.66871, W = C/(cμ − λ) + 1/μ
/// = 0.66871/100 + 0.01 s = 16.687 ms; the percentiles come from the response-time CCDF above.
#[test]
fn shipped_mmc_study_matches_erlang_c() {
    let study = load(
        &root().join("models/validation/mmc.ron"),
        &root().join("scenarios/validation/mmc.ron"),
        &[],
        Some(40),
        Some(7),
    )
    .expect("the shipped study is valid");
    let report = run(&study);
    let (c, lambda, mu) = (10, 900.0, 100.0);
    let w_ms = (erlang_c(c, lambda / mu) / (c as f64 * mu - lambda) + 1.0 / mu) * 1e3;
    assert!((w_ms - 16.687).abs() < 1e-3, "closed form W = {w_ms}");
    let l = &report.latency_ms;
    let (mean, p50, p99) = (l.mean.unwrap(), l.p50.unwrap(), l.p99.unwrap());
    assert_within_ci("M/M/c mean [ms]", mean.mean, mean.ci95, w_ms, 2.0);
    let p99_truth = mmc_response_quantile(c, lambda, mu, 0.99) * 1e3;
    assert_within_ci("M/M/c p99 [ms]", p99.mean, p99.ci95, p99_truth, 2.0);
    let p50_truth = mmc_response_quantile(c, lambda, mu, 0.5) * 1e3;
    assert_within_ci("M/M/c p50 [ms]", p50.mean, p50.ci95, p50_truth, 2.0);

    // Little's law, L = λW, between two independent measurements: the time-average number in the system
    // (∫N dt / T) and arrivals per second × mean response time. Both also match λW of Erlang C: 15.018.
    let q = &report.queueing;
    assert_within_ci("L vs λW", q.mean_in_system.mean, q.mean_in_system.ci95, q.little_lambda_w.mean, 1.0);
    assert_within_ci("L vs Erlang C", q.mean_in_system.mean, q.mean_in_system.ci95, lambda * w_ms / 1e3, 2.0);
    assert_within_ci("λ", q.arrival_rate_per_s.mean, q.arrival_rate_per_s.ci95, lambda, 2.0);
    assert_eq!(report.availability.mean, 1.0, "nothing fails in this study");
}

/// Two instances of 5 servers behind a least-outstanding balancer (join the shortest queue) are neither
/// one pooled M/M/10 nor two independent M/M/5 queues fed by a random split, but lie between them. With
/// μ = 100/s and λ = 800/s (ρ = 0.8): pooled M/M/10, a = 8: W = C(10, 8)/(1000 − 800) + 10 ms = 12.046 ms;
/// random split, M/M/5 at λ = 400/s, a = 4: W = C(5, 4)/(500 − 400) + 10 ms = 15.541 ms. The CI must
/// lie inside (pooled, split): a balancer that ignored load would sit at the split value, one that lost
/// work would fall below the pooled bound.
#[test]
fn balanced_instances_sit_between_pooled_and_split_queues() {
    let files = Files::new(
        &queue_model(2, 5, 10.0),
        r#"(name: "lb", horizon_s: 600.0, warmup_s: 20.0, replications: 20, seed: 5, traffic: (rate_per_s: 800.0))"#,
    );
    let report = run(&files.load(&[]).expect("valid study"));
    let split_ms = (erlang_c(5, 4.0) / (500.0 - 400.0) + 0.01) * 1e3;
    let pooled_ms = (erlang_c(10, 8.0) / (1000.0 - 800.0) + 0.01) * 1e3;
    assert!((pooled_ms - 12.046).abs() < 1e-3 && (split_ms - 15.541).abs() < 1e-3);
    let ci = report.latency_ms.mean.unwrap().ci95;
    assert!(pooled_ms < ci[0] && ci[1] < split_ms, "mean CI {ci:?} not inside ({pooled_ms}, {split_ms})");
}

/// P(a client times out) in an M/M/1 queue whose clients give up `tau` seconds after sending (M/M/1+D).
/// A request whose wait would pass `tau` is dropped unserved when it reaches the head of the queue, so
/// the server only ever takes on work of requests whose offered wait V ≤ τ. The stationary density of V
/// follows from level crossing (Baccelli, Boyer and Hébuterne 1984): an atom P0 at 0,
/// f(x) = λP0·e^{−(μ−λ)x} on (0, τ] and f(τ)·e^{−μ(x−τ)} beyond, with
/// P0·[1 + ρ(1 − e^{−(μ−λ)τ})/(1 − ρ) + ρ·e^{−(μ−λ)τ}] = 1. The client sees a timeout when its wait plus
/// its service pass τ: P(V + S > τ) = P(V > τ) + P(V ≤ τ, S > τ − V) = P0·e^{−(μ−λ)τ}·(1 + ρ).
fn mm1_timeout_probability(lambda: f64, mu: f64, tau: f64) -> f64 {
    let rho = lambda / mu;
    let e = (-(mu - lambda) * tau).exp();
    let p0 = 1.0 / (1.0 + rho * (1.0 - e) / (1.0 - rho) + rho * e);
    p0 * e * (1.0 + rho)
}

#[test]
fn timeout_oracle_reduces_to_the_service_time_tail_without_load() {
    // With almost no traffic nobody waits: a timeout is a service longer than τ, e^{−μτ}.
    assert!((mm1_timeout_probability(1e-9, 100.0, 0.05) - (-5.0f64).exp()).abs() < 1e-9);
    // The hand-worked values in the next test.
    assert!((mm1_timeout_probability(120.0, 100.0, 0.05) - 0.410_40).abs() < 1e-5);
    assert!((mm1_timeout_probability(80.0, 100.0, 0.05) - 0.173_22).abs() < 1e-5);
}

/// Clients that give up after 50 ms (`network.request_timeout_ms`) in an M/M/1 queue with μ = 100/s:
/// at λ = 120/s (ρ = 1.2, an overload with no steady state without timeouts) P0 = 0.068627 and
/// 41.040% of requests time out; at λ = 80/s (ρ = 0.8) P0 = 0.261589 and 17.322% do (an M/M/1 with no
/// timeout would answer e^{−1} = 36.8% of them later than 50 ms). No success is slower than 50 ms.
#[test]
fn client_timeouts_match_the_mm1_with_deterministic_patience() {
    for (lambda, seed) in [(120.0, 21), (80.0, 22)] {
        let files = Files::new(
            &queue_model(1, 1, 10.0),
            &format!(
                r#"(name: "mm1-timeout", horizon_s: 2000.0, warmup_s: 50.0, replications: 30, seed: {seed},
                    traffic: (rate_per_s: {lambda}))"#
            ),
        );
        let study = files
            .load(&["network=(connect_timeout_ms: 10.0, request_timeout_ms: 50.0)"])
            .expect("valid study");
        let report = run(&study);
        let truth = 1.0 - mm1_timeout_probability(lambda, 100.0, 0.05);
        let a = &report.availability;
        assert_within_ci(&format!("availability at λ = {lambda}"), a.mean, a.ci95, truth, 2.0);
        assert!(a.ci95[1] - a.ci95[0] < 0.01, "power: the CI is narrower than 1 point");
        let timeouts = report.requests.failed_by_cause["timeout"];
        assert_eq!(timeouts, report.requests.failed, "every failure is a timeout");
        let slowest = report.latency_ms.p999.expect("successes").mean;
        assert!(slowest <= 50.0 * 1.001, "p99.9 of successes {slowest} ms is within the timeout");
    }
}
