//! Per-hop retries of service-to-service calls against closed forms: the amplification of layered
//! retries at the bottom when everything below fails, and one retrying hop over independent failures.

use regionsim::analysis::report::Report;

use crate::common::{Files, assert_within_ci, mean_ci, run};

/// A request path of the services `names` (each one instance of ample capacity in region "r", taking
/// `service`), each service's `retry` given by `retry(k)`; the last one's instance gets `mode` for the
/// whole run if given. No client retries.
fn study(names: &[&str], retry: impl Fn(usize) -> &'static str, service: &str, mode: Option<&str>) -> Report {
    let services: Vec<String> = names
        .iter()
        .enumerate()
        .map(|(k, name)| {
            let retry = match retry(k) {
                "" => String::new(),
                r => format!(", retry: {r}"),
            };
            format!(
                r#"(name: "{name}", service_time: {service}, concurrency: 1000, price_usd_per_hour: 0.1,
                    deployments: {{ "r": (instances: 1) }}{retry})"#
            )
        })
        .collect();
    let path: Vec<String> = names.iter().map(|n| format!("\"{n}\"")).collect();
    let model = format!(
        r#"(
    name: "hops",
    regions: [(name: "r", zones: ["z1"])],
    services: [{}],
    request_path: [{}],
    populations: [(name: "clients", location: "r", share: 1.0)],
    network: (connect_timeout_ms: 0.0, request_timeout_ms: 10000.0),
)"#,
        services.join(", "),
        path.join(", ")
    );
    let bottom = names.last().expect("a service");
    let outages = match mode {
        None => "[]".to_string(),
        Some(mode) => format!(
            r#"[(target: Instance(service: "{bottom}", region: "r", index: 0), start_s: 0.0, duration_s: 5000.0{mode})]"#
        ),
    };
    let scenario = format!(
        r#"(name: "hops", horizon_s: 1000.0, warmup_s: 10.0, replications: 20, seed: 7,
            traffic: (rate_per_s: 100.0), outages: {outages})"#
    );
    run(&Files::new(&model, &scenario).load(&[]).expect("valid study"))
}

/// Three attempts per call, at once (no backoff, no jitter), nothing but the deadline to limit them.
const THREE_ATTEMPTS: &str =
    "(max_attempts: 3, backoff: (base_ms: 0.0, cap_ms: 0.0, jitter: None), budget: Unlimited)";

/// Services a → b → c → d, where a, b and c each make r + 1 = 3 attempts of their call to the next hop
/// and d's only instance is down all run. Services and connect timeouts take no time, so every request
/// ends at the instant it arrives and none is left unfinished. c calls d 3 times per call it gets, b
/// calls c 3 times, a calls b 3 times: per request, a sees 1 call, b 3, c 9 and d (r + 1)^k = 3³ = 27
/// (k = 3 retrying layers), exactly. The retries are the calls beyond the first of each call made:
/// 2 × (1 + 3 + 9) = 26 per request. Every request fails (`no_healthy_instance`).
#[test]
fn layered_retries_amplify_to_r_plus_one_to_the_k_at_the_bottom() {
    let report =
        study(&["a", "b", "c", "d"], |k| if k < 3 { THREE_ATTEMPTS } else { "" }, "Fixed(ms: 0.0)", Some(""));
    let r = &report.requests;
    assert!(r.total > 1_000_000, "{r:?}");
    assert_eq!(r.failed_by_cause["unfinished"], 0, "{r:?}");
    assert_eq!(r.failed_by_cause["no_healthy_instance"], r.total, "{r:?}");
    let calls = |s: &str| r.calls_by_hop[s];
    assert_eq!(
        (calls("a"), calls("b"), calls("c"), calls("d")),
        (r.total, 3 * r.total, 9 * r.total, 27 * r.total)
    );
    assert_eq!(r.hop_retries, 26 * r.total);
    // The client does not retry: one attempt per request.
    assert_eq!(r.attempts, r.total);
}

/// Services a → b, where a makes up to r + 1 = 3 attempts of its call to b and b's instance fails each
/// call independently with p = 0.5 (a gray failure, `Failing(share: 0.5)`, an error at once). A
/// request succeeds with probability 1 − p³ = 0.875, and b sees (1 − p³)/(1 − p) = 1.75 calls per
/// request (a retries after each failure until one succeeds or three failed).
#[test]
fn one_retrying_hop_succeeds_with_one_minus_p_to_the_attempts() {
    let report = study(
        &["a", "b"],
        |k| if k == 0 { "(max_attempts: 3, backoff: (base_ms: 1.0), budget: Unlimited)" } else { "" },
        "Fixed(ms: 1.0)",
        Some(", mode: Failing(share: 0.5)"),
    );
    let a = &report.availability;
    assert_within_ci("availability with a retrying hop", a.mean, a.ci95, 0.875, 2.0);
    let r = &report.requests;
    assert!(r.failed_by_cause["instance_error"] > 0 && r.attempts == r.total, "{r:?}");
    // Calls per request at b: a proportion over ~2 M requests, its standard error ~0.0006.
    let per_request = r.calls_by_hop["b"] as f64 / r.total as f64;
    assert!((per_request - 1.75).abs() < 0.005, "b sees {per_request} calls per request, expected 1.75");
    let (mean, ci) = mean_ci(&report.runs.iter().map(|run| run.availability).collect::<Vec<_>>());
    assert_within_ci("availability per replication", mean, ci, 0.875, 2.0);
}

/// Without per-hop retries the report carries no hop counters (they cost nothing when off).
#[test]
fn without_per_hop_retries_no_calls_are_counted() {
    let report = study(&["a", "b"], |_| "", "Fixed(ms: 1.0)", None);
    assert!(report.requests.calls_by_hop.is_empty());
    assert_eq!(report.requests.hop_retries, 0);
}

/// A service's retry that cannot be honoured gets a located error: a budget or an attempt timeout
/// (neither is modelled per hop), too many attempts for the packed counters, or no next hop to call.
#[test]
fn impossible_per_hop_retries_are_located_errors() {
    let model = |retry: &str| {
        format!(
            r#"(
    name: "hops",
    regions: [(name: "r", zones: ["z1"])],
    services: [
        (name: "a", service_time: Fixed(ms: 1.0), concurrency: 10, price_usd_per_hour: 0.1,
         deployments: {{ "r": (instances: 1) }}, retry: {retry}),
        (name: "b", service_time: Fixed(ms: 1.0), concurrency: 10, price_usd_per_hour: 0.1,
         deployments: {{ "r": (instances: 1) }}, retry: (budget: Unlimited)),
    ],
    request_path: ["a", "b"],
    populations: [(name: "clients", location: "r", share: 1.0)],
)"#
        )
    };
    let scenario = r#"(name: "s", horizon_s: 100.0, replications: 2, seed: 1, traffic: (rate_per_s: 10.0))"#;
    let errors = |retry: &str| match Files::new(&model(retry), scenario).load(&[]) {
        Ok(_) => panic!("expected errors for {retry}"),
        Err(e) => e.0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("\n"),
    };
    let e = errors("(max_attempts: 16, attempt_timeout_ms: 100.0)");
    assert!(
        e.contains("services[a].retry.max_attempts: a service's calls to the next hop take at most 15"),
        "{e}"
    );
    assert!(
        e.contains("services[a].retry.attempt_timeout_ms: per-hop attempt timeouts are not modelled"),
        "{e}"
    );
    assert!(e.contains("services[a].retry.budget: per-hop retry budgets are not modelled"), "{e}");
    assert!(e.contains("services[b].retry: the last service of the request path calls no next hop"), "{e}");
}
