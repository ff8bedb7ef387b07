//! A population's CDN as written: an edge tier in front of the origin (CloudFront-like), with the
//! share of requests it may cache, its hit ratio, an optional origin shield, an optional origin
//! failover group, and whether it serves stale content when the origin fails.

use serde::{Deserialize, Serialize};

/// An edge tier in front of the origin for one population (docs/architecture.md#cdn). Defaults:
/// CloudFront's origin connection timeout and attempts (docs/references.md#cloudfront-origin-timeouts)
/// and its first-tier price to the internet in North America and Europe
/// (docs/references.md#cloudfront-pricing).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CdnSpec {
    /// Round trip between the population's clients and their edge location \[ms\], at least 0.
    pub edge_latency_ms: f64,
    /// Share of requests whose responses the edge may cache (static assets, cacheable GETs), in [0, 1].
    pub cacheable_share: f64,
    /// Share of cacheable requests the edge answers from its cache, in [0, 1].
    pub hit_ratio: f64,
    /// A regional cache between the edges and the origin: the edge's misses try it first.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin_shield: Option<OriginShieldSpec>,
    /// An origin failover group `[primary, secondary]` (region names): the edge sends misses to the
    /// primary and, when that attempt fails (an error, or no connection), once to the secondary,
    /// whatever DNS says. Default: none, the edge's origin is the region DNS answers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub origins: Vec<String>,
    /// Serve the cached copy of a cacheable response when the origin fails (`stale-if-error`).
    /// Default false.
    #[serde(default)]
    pub stale_on_error: bool,
    /// How long the edge tries to connect to an origin before it counts the attempt failed \[s\],
    /// 1 to 10. Default 10 (CloudFront's `ConnectionTimeout`).
    #[serde(default = "CdnSpec::default_connection_timeout_s")]
    pub connection_timeout_s: f64,
    /// Connection attempts to an origin before the edge gives up on it, 1 to 3. Default 3
    /// (CloudFront's connection attempts).
    #[serde(default = "CdnSpec::default_connection_attempts")]
    pub connection_attempts: u32,
    /// Price of data served from the edge to the internet \[USD/GB\], at least 0. Default 0.085
    /// (CloudFront, first 10 TB, North America and Europe).
    #[serde(default = "CdnSpec::default_price_usd_per_gb")]
    pub price_usd_per_gb: f64,
}

impl CdnSpec {
    fn default_connection_timeout_s() -> f64 {
        10.0
    }

    fn default_connection_attempts() -> u32 {
        3
    }

    fn default_price_usd_per_gb() -> f64 {
        0.085
    }
}

/// An origin shield: one regional cache every edge's misses pass through.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OriginShieldSpec {
    /// The region (or a location of the latency matrix) the shield is in.
    pub location: String,
    /// Share of the edge's cacheable misses the shield answers, in [0, 1].
    pub hit_ratio: f64,
}
