//! A population's CDN, resolved (docs/architecture.md#cdn): an edge tier at the population's location
//! that answers the cacheable share of requests from its cache with the hit ratio, sends the rest to
//! the origin (through an optional origin shield), fails over to a secondary origin when an origin
//! failover group names one, and may serve stale content when the origin fails.
//!
//! Defaults: CloudFront's origin connection timeout (10 s) and attempts (3)
//! (docs/references.md#cloudfront-origin-timeouts), and its price for the first 10 TB a month to the
//! internet from North America and Europe, $0.085/GB (docs/references.md#cloudfront-pricing).

use crate::input::issue::{Issues, did_you_mean, known, number};
use crate::input::spec::cdn::CdnSpec;
use crate::model::ids::RegionId;
use crate::model::region::Region;

/// A regional cache the edge's misses try before the origin.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OriginShield {
    /// The region it is in.
    pub region: RegionId,
    /// Share of the edge's cacheable misses it answers, in [0, 1].
    pub hit_ratio: f64,
}

/// An edge tier in front of one population's origin.
#[derive(Debug, Clone, PartialEq)]
pub struct Cdn {
    /// Round trip between the clients and their edge \[s\].
    pub edge_rtt_s: f64,
    /// Share of requests the edge may cache, in [0, 1].
    pub cacheable_share: f64,
    /// Share of cacheable requests answered from the edge's cache, in [0, 1].
    pub hit_ratio: f64,
    /// The origin shield, if any.
    pub shield: Option<OriginShield>,
    /// The origin failover group `(primary, secondary)`; `None`: the origin is the region DNS answers.
    pub origins: Option<(RegionId, RegionId)>,
    /// Whether a cacheable request whose origin failed is served from the stale copy.
    pub stale_on_error: bool,
    /// How long the edge waits for an origin that does not answer before it fails the attempt \[s\]:
    /// its connection timeout times its connection attempts.
    pub origin_connect_wait_s: f64,
    /// Price of data served from the edge \[USD/GB\].
    pub price_usd_per_gb: f64,
}

impl Cdn {
    /// The share of a population's requests that reach the origin with every component up:
    /// 1 − c·(1 − (1 − h)(1 − h_shield)).
    pub fn origin_share(&self) -> f64 {
        let shield = self.shield.map_or(0.0, |s| s.hit_ratio);
        1.0 - self.cacheable_share * (1.0 - (1.0 - self.hit_ratio) * (1.0 - shield))
    }

    /// Resolves `spec` at `path` (`populations[NAME].cdn`) against the model's regions, recording every
    /// problem; `None` if any.
    pub fn resolve(spec: &CdnSpec, regions: &[Region], path: &str, issues: &mut Issues) -> Option<Cdn> {
        let before = issues.len();
        let share = |issues: &mut Issues, field: &str, v: f64| {
            if !(0.0..=1.0).contains(&v) {
                issues.push(format!("{path}.{field}"), format!("must be in [0, 1], got {}", number(v)));
            }
        };
        share(issues, "cacheable_share", spec.cacheable_share);
        share(issues, "hit_ratio", spec.hit_ratio);
        if !(spec.edge_latency_ms.is_finite() && spec.edge_latency_ms >= 0.0) {
            issues.push(
                format!("{path}.edge_latency_ms"),
                format!("must be a round trip of at least 0 ms, got {}", number(spec.edge_latency_ms)),
            );
        }
        if !(1.0..=10.0).contains(&spec.connection_timeout_s) {
            issues.push(
                format!("{path}.connection_timeout_s"),
                format!(
                    "must be from 1 to 10 s (CloudFront's range), got {}",
                    number(spec.connection_timeout_s)
                ),
            );
        }
        if !(1..=3).contains(&spec.connection_attempts) {
            issues.push(
                format!("{path}.connection_attempts"),
                format!("must be from 1 to 3 (CloudFront's range), got {}", spec.connection_attempts),
            );
        }
        if !(spec.price_usd_per_gb.is_finite() && spec.price_usd_per_gb >= 0.0) {
            issues.push(
                format!("{path}.price_usd_per_gb"),
                format!("must be at least 0, got {}", number(spec.price_usd_per_gb)),
            );
        }
        let region = |issues: &mut Issues, at: String, name: &str| {
            let found = regions.iter().position(|r| r.name == name);
            if found.is_none() {
                let names = || regions.iter().map(|r| r.name.as_str());
                issues.push(
                    at,
                    format!(
                        "unknown region '{name}'; known: {}{}",
                        known(names()),
                        did_you_mean(name, names())
                    ),
                );
            }
            found
        };
        let shield = spec.origin_shield.as_ref().and_then(|s| {
            share(issues, "origin_shield.hit_ratio", s.hit_ratio);
            let r = region(issues, format!("{path}.origin_shield.location"), &s.location)?;
            Some(OriginShield { region: r, hit_ratio: s.hit_ratio })
        });
        let origins = match spec.origins.as_slice() {
            [] => None,
            [a, b] => {
                let a = region(issues, format!("{path}.origins[0]"), a);
                let b = region(issues, format!("{path}.origins[1]"), b);
                if a.is_some() && a == b {
                    issues.push(
                        format!("{path}.origins"),
                        "the primary and the secondary origin are the same region",
                    );
                }
                a.zip(b)
            }
            other => {
                issues.push(
                    format!("{path}.origins"),
                    format!(
                        "an origin failover group is [primary, secondary]: two regions, got {}",
                        other.len()
                    ),
                );
                None
            }
        };
        (issues.len() == before).then(|| Cdn {
            edge_rtt_s: spec.edge_latency_ms / 1000.0,
            cacheable_share: spec.cacheable_share,
            hit_ratio: spec.hit_ratio,
            shield,
            origins,
            stale_on_error: spec.stale_on_error,
            origin_connect_wait_s: spec.connection_timeout_s * f64::from(spec.connection_attempts),
            price_usd_per_gb: spec.price_usd_per_gb,
        })
    }
}
