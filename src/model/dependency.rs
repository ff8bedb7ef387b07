//! Dependencies on shared or managed services (identity and tokens, key management, secrets, a container
//! registry), resolved: each with its scope (one global copy in a home region, or a copy per region) and
//! how the services that list it use it: per request (with the time an instance caches what a call
//! returns), at an instance's launch, or by the control plane. A copy is down while its region is; a
//! request served by an instance whose cache has expired needs its region's copy up, a launch needs the
//! copies its service uses at launch up, a control-plane action the copies its control plane uses
//! (docs/architecture.md#dependencies).

use std::collections::BTreeSet;

use crate::input::issue::{Issues, did_you_mean, known, number};
use crate::input::spec::dependency::{DependencyScopeSpec, DependencySpec, DependencyUseSpec};
use crate::model::ids::RegionId;
use crate::model::region::Region;

/// A dependency: an index into `Model::dependencies`.
pub type DependencyId = usize;

/// Where a dependency's copies live.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// One copy, in `home`, used from every region.
    Global {
        /// The region of the only copy.
        home: RegionId,
    },
    /// A copy in every region, used by that region only.
    Regional,
}

/// How the services that list a dependency use it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use {
    /// Every request, through each instance's cache.
    PerRequest,
    /// An instance's launch (a standby's scale-up, an autoscaler's scale-out).
    AtLaunch,
    /// The control plane's actions for them (scaling, a standby's activation).
    ControlPlane,
}

impl Use {
    /// How it reads in reports: `per request`, `at launch`, `by the control plane`.
    pub fn words(self) -> &'static str {
        match self {
            Use::PerRequest => "per request",
            Use::AtLaunch => "at launch",
            Use::ControlPlane => "by the control plane",
        }
    }
}

/// A shared or managed service the model's services need: per request through a client-side cache, at
/// launch, or for their control plane's actions.
#[derive(Debug, Clone, PartialEq)]
pub struct Dependency {
    /// Its name (unique among dependencies).
    pub name: String,
    /// Where its copies live.
    pub scope: Scope,
    /// How the services that list it use it.
    pub used: Use,
    /// How long an instance keeps what a call returned \[s\] (0: every request calls); 0 and unused
    /// unless it is used per request.
    pub cache_ttl_s: f64,
}

/// What one service's `depends_on` resolves to, by use (each sorted, indices into
/// `Model::dependencies`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Uses {
    /// Needed by every request its instances serve, through their caches.
    pub per_request: Vec<DependencyId>,
    /// Needed to launch one of its instances.
    pub at_launch: Vec<DependencyId>,
    /// Needed by the control plane to scale it or activate its standby.
    pub control_plane: Vec<DependencyId>,
}

impl Dependency {
    /// The region whose copy an instance in region `r` calls.
    pub fn copy_for(&self, r: RegionId) -> RegionId {
        match self.scope {
            Scope::Global { home } => home,
            Scope::Regional => r,
        }
    }

    /// A short description for reports: `global, homed in us-east-1, cached 300 s`, or `a copy per
    /// region, used at launch`.
    pub fn describe(&self, regions: &[Region]) -> String {
        let scope = match self.scope {
            Scope::Global { home } => format!("global, homed in {}", regions[home].name),
            Scope::Regional => "a copy per region".to_string(),
        };
        match self.used {
            Use::PerRequest => format!("{scope}, cached {} s", number(self.cache_ttl_s)),
            used => format!("{scope}, used {}", used.words()),
        }
    }
}

/// Checks the model's `dependencies` (names unique, a known home region, a TTL of at least 0, and a TTL
/// only for one used per request). Every problem is pushed onto `issues`; the valid ones are returned,
/// in `specs` order.
pub fn resolve(specs: &[DependencySpec], regions: &[Region], issues: &mut Issues) -> Vec<Dependency> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for d in specs {
        let path = format!("dependencies[{}]", d.name);
        if d.name.trim().is_empty() {
            issues.push("dependencies", "a dependency needs a name");
        }
        if !seen.insert(d.name.as_str()) {
            issues.push(&path, format!("dependency '{}' is defined twice", d.name));
        }
        let used = match d.used {
            DependencyUseSpec::PerRequest => Use::PerRequest,
            DependencyUseSpec::AtLaunch => Use::AtLaunch,
            DependencyUseSpec::ControlPlane => Use::ControlPlane,
        };
        let cache_ttl_s = match (used, d.cache_ttl_s) {
            (Use::PerRequest, ttl) => ttl.unwrap_or(DependencySpec::DEFAULT_CACHE_TTL_S),
            (_, None) => 0.0,
            (_, Some(_)) => {
                issues.push(
                    format!("{path}.cache_ttl_s"),
                    format!(
                        "only a dependency used PerRequest has a cache; this one is used {} (remove \
                         cache_ttl_s, or make it used: PerRequest)",
                        match used {
                            Use::AtLaunch => "AtLaunch",
                            _ => "ControlPlane",
                        }
                    ),
                );
                0.0
            }
        };
        if !(cache_ttl_s.is_finite() && cache_ttl_s >= 0.0) {
            issues.push(
                format!("{path}.cache_ttl_s"),
                format!("must be a number of seconds of at least 0 (got {})", number(cache_ttl_s)),
            );
        }
        let scope = match &d.scope {
            DependencyScopeSpec::Regional => Scope::Regional,
            DependencyScopeSpec::Global { home } => match regions.iter().position(|r| &r.name == home) {
                Some(home) => Scope::Global { home },
                None => {
                    let names = || regions.iter().map(|r| r.name.as_str());
                    issues.push(
                        format!("{path}.scope.home"),
                        format!(
                            "unknown region '{home}'; known: {}{}",
                            known(names()),
                            did_you_mean(home, names())
                        ),
                    );
                    continue;
                }
            },
        };
        out.push(Dependency { name: d.name.clone(), scope, used, cache_ttl_s });
    }
    out
}

/// Resolves one service's `depends_on` (at `path`) against the model's dependencies: each name known
/// and listed once. Returns the ids by use, each sorted.
pub fn resolve_uses(names: &[String], specs: &[DependencySpec], path: &str, issues: &mut Issues) -> Uses {
    let mut ids = Vec::new();
    for (k, name) in names.iter().enumerate() {
        if names[..k].contains(name) {
            issues.push(path, format!("'{name}' is listed twice"));
            continue;
        }
        match specs.iter().position(|d| &d.name == name) {
            Some(id) => ids.push(id),
            None => {
                let candidates = || specs.iter().map(|d| d.name.as_str());
                issues.push(
                    path,
                    format!(
                        "unknown dependency '{name}'; known (the model's dependencies): {}{}",
                        known(candidates()),
                        did_you_mean(name, candidates())
                    ),
                );
            }
        }
    }
    ids.sort_unstable();
    let mut uses = Uses::default();
    for id in ids {
        match specs[id].used {
            DependencyUseSpec::PerRequest => uses.per_request.push(id),
            DependencyUseSpec::AtLaunch => uses.at_launch.push(id),
            DependencyUseSpec::ControlPlane => uses.control_plane.push(id),
        }
    }
    uses
}
