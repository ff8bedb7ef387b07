//! Dependencies on shared or managed services, as written in a model file: identity and tokens, key
//! management, secrets, configuration. Each is called per request by the services that list it in
//! `depends_on`, through a client-side cache (a token or a data key kept for `cache_ttl_s`).

use serde::{Deserialize, Serialize};

/// A shared or managed service the model's services call per request, through a client-side cache.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DependencySpec {
    /// Unique name among dependencies, used in services' `depends_on` (`"sign-in"`).
    pub name: String,
    /// Where its copies are: one global endpoint in a home region, or a copy in every region.
    pub scope: DependencyScopeSpec,
    /// How long an instance keeps what a call returned (a token, a data key) before calling again \[s\],
    /// at least 0 (0: every request calls). Default 300 (an assumption: docs/references.md#assumptions).
    #[serde(default = "DependencySpec::default_cache_ttl_s")]
    pub cache_ttl_s: f64,
}

impl DependencySpec {
    fn default_cache_ttl_s() -> f64 {
        300.0
    }
}

/// Where a dependency's copies live: its fault domain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum DependencyScopeSpec {
    /// One endpoint in region `home`, used from every region (as IAM's and Route 53's control planes
    /// are in us-east-1): down while `home` is.
    Global {
        /// The region whose copy every region uses.
        home: String,
    },
    /// A copy in every region, each used by its own region (multi-Region keys, replicated secrets):
    /// a region's copy is down while that region is.
    Regional,
}
