//! Dependencies on shared or managed services, as written in a model file: identity and tokens, key
//! management, secrets, configuration, a container registry. Each states how the services that list it
//! in `depends_on` use it (`used`): per request, through a client-side cache (a token or a data key kept
//! for `cache_ttl_s`); when one of their instances launches (an image pulled from a registry); or by the
//! control plane that scales them and fails them over (docs/architecture.md#dependencies).

use serde::{Deserialize, Serialize};

/// A shared or managed service the model's services need: per request (through a client-side cache), at
/// the launch of an instance, or for their control plane's actions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DependencySpec {
    /// Unique name among dependencies, used in services' `depends_on` (`"sign-in"`).
    pub name: String,
    /// Where its copies are: one global endpoint in a home region, or a copy in every region.
    pub scope: DependencyScopeSpec,
    /// How the services that list it use it. Default `PerRequest`.
    #[serde(default, skip_serializing_if = "DependencyUseSpec::is_per_request")]
    pub used: DependencyUseSpec,
    /// `PerRequest` only: how long an instance keeps what a call returned (a token, a data key) before
    /// calling again \[s\], at least 0 (0: every request calls). Default 300 (an assumption:
    /// docs/references.md#assumptions). Refused for the other uses, which cache nothing.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_ttl_s: Option<f64>,
}

impl DependencySpec {
    /// The cache TTL when `cache_ttl_s` is not given \[s\] (docs/references.md#assumptions).
    pub const DEFAULT_CACHE_TTL_S: f64 = 300.0;
}

/// How the services that list a dependency in `depends_on` use it: what its failure stops.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum DependencyUseSpec {
    /// Every request an instance serves needs it, through the instance's cache (`cache_ttl_s`): a copy
    /// down fails the requests that find their entry expired (sign-in tokens, data keys).
    #[default]
    PerRequest,
    /// An instance launching needs it (an image pulled from a container registry, a launch template's
    /// parameters): a copy down makes the launches of the region's instances wait (a standby's scale-up,
    /// an autoscaler's scale-out) until it returns; instances already running are not affected.
    AtLaunch,
    /// The control plane that scales the services and fails them over needs it (an identity service
    /// the control plane calls): a copy down impairs the region's control plane for them as a
    /// `ControlPlane` outage does (the autoscaler blocked, a standby's activation waiting).
    ControlPlane,
}

impl DependencyUseSpec {
    /// Whether it is the default, `PerRequest` (not written out).
    pub fn is_per_request(&self) -> bool {
        *self == DependencyUseSpec::PerRequest
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
