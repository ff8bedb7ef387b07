//! Round-trip times between locations: a shipped matrix (docs/references.md#inter-region-latency) plus the links a model adds.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

use crate::input::issue::Issues;
use crate::input::spec::model::NetworkSpec;
use crate::model::distribution::Distribution;

/// Names of the matrices compiled into the binary.
pub const BUILTIN_MATRICES: &[&str] = &["aws-p50-2025"];

/// Default client connect timeout \[ms\] when nothing healthy answers: a typical HTTP client's connect
/// timeout is a few seconds (CloudFront uses up to 10 s per attempt, docs/references.md#cloudfront-origin-timeouts).
pub const DEFAULT_CONNECT_TIMEOUT_MS: f64 = 3000.0;

/// Default client request timeout \[ms\]: CloudFront waits 30 s for an origin's response unless told
/// otherwise (OriginReadTimeout), API Gateway 29 s for an integration; browsers and SDKs wait longer.
pub const DEFAULT_REQUEST_TIMEOUT_MS: f64 = 30_000.0;

type Matrix = BTreeMap<String, BTreeMap<String, f64>>;

#[derive(Deserialize)]
struct CloudPing {
    data: Matrix,
}

/// CloudPing p50 round trips between 32 AWS regions over a year to May 2025 (data/README.md).
fn aws_p50_2025() -> &'static Matrix {
    static MATRIX: OnceLock<Matrix> = OnceLock::new();
    MATRIX.get_or_init(|| {
        let parsed: CloudPing = serde_json::from_str(include_str!("../../data/aws-p50-2025.json"))
            .expect("the embedded latency matrix is valid JSON (checked by a unit test)");
        parsed.data
    })
}

/// Resolved network: a dense round-trip matrix over the locations a model uses.
#[derive(Debug, Clone)]
pub struct Network {
    /// Location names: the regions (model order), then the populations' other locations.
    pub locations: Vec<String>,
    /// `rtt_s[a * n + b]`: round trip from location a to location b \[s\].
    rtt_s: Vec<f64>,
    /// Extra one-way delay per crossing \[s\].
    pub jitter: Option<Distribution>,
    /// Round trip of a call between two services in one region \[s\].
    pub hop_rtt_s: f64,
    /// How long a client waits for a connection when nothing healthy answers \[s\]: a request that reaches a
    /// deployment with no healthy instance fails (`no_healthy_instance`) this long after.
    pub connect_timeout_s: f64,
    /// A client gives up on a request this long after sending it \[s\]: its outcome is a timeout, and
    /// a server that reaches it in a queue afterwards drops it unserved.
    pub request_timeout_s: f64,
}

/// The locations `spec` knows round trips for, beyond the model's regions: its links' ends and its
/// built-in matrix's locations. Used to tell a misspelt population location from a location of its own.
pub fn known_locations(spec: &NetworkSpec) -> Vec<String> {
    let mut names: Vec<String> = spec.links.iter().flat_map(|l| [l.a.clone(), l.b.clone()]).collect();
    if spec.builtin.as_deref() == Some("aws-p50-2025") {
        names.extend(aws_p50_2025().keys().cloned());
    }
    names.sort();
    names.dedup();
    names
}

impl Network {
    /// Round trip from location `a` to location `b` \[s\].
    pub fn rtt_s(&self, a: usize, b: usize) -> f64 {
        self.rtt_s[a * self.locations.len() + b]
    }

    /// Index of the location named `name`, if the model uses it.
    pub fn location(&self, name: &str) -> Option<usize> {
        self.locations.iter().position(|l| l == name)
    }

    /// Builds the matrix for `locations` (deduplicated by the caller). A pair with no known round trip is
    /// an issue; the same location with no entry is 0 ms.
    pub fn resolve(spec: &NetworkSpec, locations: Vec<String>, issues: &mut Issues) -> Option<Network> {
        let mut ok = true;
        let builtin = match spec.builtin.as_deref() {
            None => None,
            Some("aws-p50-2025") => Some(aws_p50_2025()),
            Some(other) => {
                issues.push(
                    "network.builtin",
                    format!("unknown matrix '{other}'; known: {}", BUILTIN_MATRICES.join(", ")),
                );
                ok = false;
                None
            }
        };
        let mut links: BTreeMap<(&str, &str), f64> = BTreeMap::new();
        for (i, link) in spec.links.iter().enumerate() {
            let path = format!("network.links[{i}].rtt_ms");
            if !(link.rtt_ms.is_finite() && link.rtt_ms >= 0.0) {
                issues.push(path, format!("must be a finite number >= 0 (got {})", link.rtt_ms));
                ok = false;
                continue;
            }
            links.insert((&link.a, &link.b), link.rtt_ms);
            links.insert((&link.b, &link.a), link.rtt_ms);
        }
        let n = locations.len();
        let mut rtt_s = vec![0.0; n * n];
        let mut missing = Vec::new();
        for (i, a) in locations.iter().enumerate() {
            for (j, b) in locations.iter().enumerate() {
                let from_matrix = builtin.and_then(|m| {
                    m.get(a).and_then(|row| row.get(b)).or_else(|| m.get(b).and_then(|row| row.get(a)))
                });
                let ms = match (links.get(&(a.as_str(), b.as_str())), from_matrix) {
                    (Some(&ms), _) | (None, Some(&ms)) => ms,
                    (None, None) if i == j => 0.0,
                    (None, None) => {
                        if i < j {
                            missing.push(format!("{a} <-> {b}"));
                        }
                        continue;
                    }
                };
                rtt_s[i * n + j] = ms / 1e3;
            }
        }
        if !missing.is_empty() {
            issues.push(
                "network",
                format!(
                    "no round-trip time for {}; add `links: [(a: \"..\", b: \"..\", rtt_ms: ..)]` or a `builtin` \
                     matrix that knows these locations",
                    missing.join(", ")
                ),
            );
            ok = false;
        }
        let jitter = match &spec.jitter {
            Some(d) => match d.resolve("network.jitter", issues) {
                Some(d) => Some(d),
                None => {
                    ok = false;
                    None
                }
            },
            None => None,
        };
        let mut non_negative_ms = |name: &str, value: Option<f64>, default: f64| {
            let v = value.unwrap_or(default);
            if !(v.is_finite() && v >= 0.0) {
                issues.push(format!("network.{name}"), format!("must be a finite number >= 0 (got {v})"));
                ok = false;
            }
            v / 1e3
        };
        let hop_rtt_s = non_negative_ms("hop_rtt_ms", spec.hop_rtt_ms, 0.0);
        let connect_timeout_s =
            non_negative_ms("connect_timeout_ms", spec.connect_timeout_ms, DEFAULT_CONNECT_TIMEOUT_MS);
        let request_timeout_s =
            non_negative_ms("request_timeout_ms", spec.request_timeout_ms, DEFAULT_REQUEST_TIMEOUT_MS);
        if request_timeout_s <= connect_timeout_s {
            issues.push(
                "network.request_timeout_ms",
                format!(
                    "must be longer than the connect timeout ({} ms), which it includes (got {} ms)",
                    connect_timeout_s * 1e3,
                    request_timeout_s * 1e3
                ),
            );
            ok = false;
        }
        ok.then_some(Network { locations, rtt_s, jitter, hop_rtt_s, connect_timeout_s, request_timeout_s })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_matrix_has_the_published_figures() {
        let m = aws_p50_2025();
        assert_eq!(m.len(), 32);
        // docs/references.md#inter-region-latency: us-east-1 -> eu-west-1 p50 69.6 ms.
        assert!((m["us-east-1"]["eu-west-1"] - 69.6).abs() < 0.5);
    }

    #[test]
    fn links_override_the_matrix_and_missing_pairs_are_reported() {
        let spec = NetworkSpec {
            builtin: Some("aws-p50-2025".into()),
            links: vec![crate::input::spec::model::LinkSpec {
                a: "office".into(),
                b: "us-east-1".into(),
                rtt_ms: 12.0,
            }],
            ..NetworkSpec::default()
        };
        let mut issues = Issues::default();
        let net = Network::resolve(&spec, vec!["office".into(), "us-east-1".into()], &mut issues).unwrap();
        assert!((net.rtt_s(0, 1) - 0.012).abs() < 1e-12);
        assert_eq!(net.rtt_s(0, 0), 0.0);
        assert!(net.rtt_s(1, 1) > 0.004, "intra-region round trip comes from the matrix diagonal");

        let mut issues = Issues::default();
        let none = Network::resolve(&spec, vec!["office".into(), "eu-west-1".into()], &mut issues);
        assert!(none.is_none());
        assert!(issues.0[0].message.contains("office <-> eu-west-1"), "{:?}", issues);
    }
}
