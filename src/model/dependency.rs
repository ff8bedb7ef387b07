//! Dependencies on shared or managed services (identity and tokens, key management, secrets), resolved:
//! each with its scope (one global copy in a home region, or a copy per region) and the time an instance
//! caches what a call returns. A copy is down while its region is; a request served by an instance whose
//! cache has expired needs its region's copy up (docs/architecture.md#dependencies).

use std::collections::BTreeSet;

use crate::input::issue::{Issues, did_you_mean, known, number};
use crate::input::spec::dependency::{DependencyScopeSpec, DependencySpec};
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

/// A shared or managed service called per request through a client-side cache.
#[derive(Debug, Clone, PartialEq)]
pub struct Dependency {
    /// Its name (unique among dependencies).
    pub name: String,
    /// Where its copies live.
    pub scope: Scope,
    /// How long an instance keeps what a call returned \[s\] (0: every request calls).
    pub cache_ttl_s: f64,
}

impl Dependency {
    /// The region whose copy an instance in region `r` calls.
    pub fn copy_for(&self, r: RegionId) -> RegionId {
        match self.scope {
            Scope::Global { home } => home,
            Scope::Regional => r,
        }
    }

    /// A short description for reports: `global, homed in us-east-1, cached 300 s`.
    pub fn describe(&self, regions: &[Region]) -> String {
        let scope = match self.scope {
            Scope::Global { home } => format!("global, homed in {}", regions[home].name),
            Scope::Regional => "a copy per region".to_string(),
        };
        format!("{scope}, cached {} s", number(self.cache_ttl_s))
    }
}

/// Checks the model's `dependencies` (names unique, a known home region, a TTL of at least 0). Every
/// problem is pushed onto `issues`; the valid ones are returned, in `specs` order.
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
        if !(d.cache_ttl_s.is_finite() && d.cache_ttl_s >= 0.0) {
            issues.push(
                format!("{path}.cache_ttl_s"),
                format!("must be a number of seconds of at least 0 (got {})", number(d.cache_ttl_s)),
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
        out.push(Dependency { name: d.name.clone(), scope, cache_ttl_s: d.cache_ttl_s });
    }
    out
}

/// Resolves one service's `depends_on` (at `path`) against the model's dependencies: each name known
/// and listed once. Returns the ids, sorted.
pub fn resolve_uses(
    names: &[String],
    specs: &[DependencySpec],
    path: &str,
    issues: &mut Issues,
) -> Vec<DependencyId> {
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
    ids
}
