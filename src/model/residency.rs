//! A population's data residency, resolved (docs/architecture.md#residency): the regions its requests
//! may be served in and its data stored in, and what a request does outside them.

use crate::input::issue::{Issues, did_you_mean, known};
use crate::input::spec::residency::{ResidencySpec, WhenUnavailableSpec};
use crate::model::ids::RegionId;
use crate::model::region::Region;
use crate::model::routing::Routing;
use crate::model::store::Store;

/// What a request does when it reaches a service, or needs a store copy, outside its population's
/// regions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Policy {
    /// It fails (`residency`); the population's writes replicate only to copies in its regions.
    Fail,
    /// It is served and counted as a violation; its writes replicate to every copy.
    ServeElsewhere,
}

/// The regions a population's data may be in, as a bit set over the model's regions, and its policy.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Residency {
    allowed: u64,
    /// What a request does outside the set.
    pub policy: Policy,
}

impl Residency {
    /// Whether the population's data may be in `region`.
    #[inline]
    pub fn allows(&self, region: RegionId) -> bool {
        self.allowed >> region & 1 == 1
    }

    /// The allowed regions, in the model's region order.
    pub fn regions(&self) -> impl Iterator<Item = RegionId> + '_ {
        (0..64).filter(|&r| self.allows(r))
    }

    /// Checks a population's `residency` against the model's regions; every problem is pushed at its
    /// field path (`path` is `populations[NAME].residency`). `None` if there was any.
    pub fn resolve(
        spec: &ResidencySpec,
        regions: &[Region],
        path: &str,
        issues: &mut Issues,
    ) -> Option<Residency> {
        let before = issues.len();
        let names = || regions.iter().map(|r| r.name.as_str());
        if spec.regions.is_empty() {
            issues.push(
                format!("{path}.regions"),
                format!("leaves the population no region at all: name at least one of {}", known(names())),
            );
        }
        if regions.len() > 64 {
            issues.push(path, "data residency supports at most 64 regions");
        }
        let mut allowed = 0u64;
        for name in &spec.regions {
            match regions.iter().position(|r| &r.name == name) {
                None => issues.push(
                    format!("{path}.regions"),
                    format!(
                        "unknown region '{name}'{}; known: {}",
                        did_you_mean(name, names()),
                        known(names())
                    ),
                ),
                Some(r) if r < 64 && allowed >> r & 1 == 1 => {
                    issues.push(format!("{path}.regions"), format!("region '{name}' is listed twice"))
                }
                Some(r) if r < 64 => allowed |= 1 << r,
                Some(_) => {}
            }
        }
        let policy = match spec.when_unavailable.unwrap_or(WhenUnavailableSpec::Fail) {
            WhenUnavailableSpec::Fail => Policy::Fail,
            WhenUnavailableSpec::ServeElsewhere => Policy::ServeElsewhere,
        };
        (issues.len() == before).then_some(Residency { allowed, policy })
    }

    /// Checks that the residency leaves the population somewhere to be served: a region its routing
    /// can send it to that runs the first service of the path (`entry_regions`), and, when its requests
    /// reach a store, a copy of it in the set. A rule that leaves none fails every request (under
    /// `Fail`) or violates on every one (under `ServeElsewhere`): surely unintended, so an error.
    #[allow(clippy::too_many_arguments)]
    pub fn check_reachable(
        &self,
        routing: &Routing,
        entry_regions: &[bool],
        entry_service: &str,
        store: Option<&Store>,
        regions: &[Region],
        path: &str,
        issues: &mut Issues,
    ) {
        let set = || known(self.regions().map(|r| regions[r].name.as_str()));
        let routed = routing.candidates(entry_regions);
        if !routed.iter().any(|&r| self.allows(r)) {
            issues.push(
                format!("{path}.regions"),
                format!(
                    "leaves the population no region at all: its routing sends it only to {}, none of them \
                     in its residency ({}), or none of those runs '{entry_service}', the first service of \
                     the path",
                    known(routed.iter().map(|&r| regions[r].name.as_str())),
                    set(),
                ),
            );
        }
        if let Some(st) = store
            && !st.copies.iter().any(|&r| self.allows(r))
        {
            issues.push(
                format!("{path}.regions"),
                format!(
                    "leaves the population's data no store copy at all: '{}' has copies only in {}, none \
                     of them in its residency ({})",
                    st.name,
                    known(st.copies.iter().map(|&r| regions[r].name.as_str())),
                    set(),
                ),
            );
        }
    }
}
