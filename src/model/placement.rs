//! Where a store's copy lives among its region's availability zones (docs/references.md#zonal-placement):
//! in one zone (single-AZ), in one zone with a synchronous standby in another (Multi-AZ, RDS-like),
//! spread over several zones with a quorum (Aurora, DynamoDB), or, by default, as a regional service
//! whose zones are not modelled (what every model meant before zonal placement, so their results hold).

use crate::input::issue::{Issues, known};
use crate::input::spec::model::PlacementSpec;
use crate::model::distribution::Distribution;
use crate::model::ids::{RegionId, ZoneId};
use crate::model::region::{Region, Zone};

/// A copy's placement, resolved to zone ids.
#[derive(Debug, Clone, PartialEq)]
pub enum Placement {
    /// Zone failures do not reach the copy; only its region's or its own do.
    Regional,
    /// Single-AZ: down while its zone is.
    Zone(ZoneId),
    /// Multi-AZ: a primary and a synchronous standby; when the active zone fails and the other is up,
    /// the standby serves after `failover` \[s\], losing no write.
    MultiAz {
        /// The primary's zone at the start.
        primary: ZoneId,
        /// The standby's zone at the start.
        standby: ZoneId,
        /// From the active zone's failure to the standby serving \[s\].
        failover: Distribution,
    },
    /// A quorum over `zones`: up while more than half of them are up.
    Spanning {
        /// The zones it spans (at least three).
        zones: Vec<ZoneId>,
    },
}

impl Placement {
    /// The zones the copy's data lives in (none for `Regional`: the zones are not modelled).
    pub fn zones(&self) -> Vec<ZoneId> {
        match self {
            Placement::Regional => Vec::new(),
            Placement::Zone(z) => vec![*z],
            Placement::MultiAz { primary, standby, .. } => vec![*primary, *standby],
            Placement::Spanning { zones } => zones.clone(),
        }
    }

    /// Whether the copy is up given which zones are down, its Multi-AZ side (`active`: 0 the primary's
    /// zone, 1 the standby's) and whether a failover is under way. The engine and the static analysis
    /// both decide with this one rule.
    pub fn serves(&self, zone_down: impl Fn(ZoneId) -> bool, active: usize, failing_over: bool) -> bool {
        match self {
            Placement::Regional => true,
            Placement::Zone(z) => !zone_down(*z),
            Placement::MultiAz { primary, standby, .. } => {
                !failing_over && !zone_down(if active == 0 { *primary } else { *standby })
            }
            Placement::Spanning { zones } => {
                let up = zones.iter().filter(|&&z| !zone_down(z)).count();
                2 * up > zones.len()
            }
        }
    }

    /// A short description for reports: `zone use1-az1`, `Multi-AZ use1-az1 + standby use1-az2`.
    pub fn describe(&self, zones: &[Zone]) -> String {
        let name = |z: &ZoneId| zones[*z].name.clone();
        match self {
            Placement::Regional => "regional (zones not modelled)".to_string(),
            Placement::Zone(z) => format!("single-AZ in {}", name(z)),
            Placement::MultiAz { primary, standby, .. } => {
                format!("Multi-AZ: {} with a standby in {}", name(primary), name(standby))
            }
            Placement::Spanning { zones: zs } => {
                format!("spans {} (quorum)", zs.iter().map(name).collect::<Vec<_>>().join(", "))
            }
        }
    }

    /// Checks one copy's placement against its region's zones (`path` is the field's). Every problem is
    /// pushed onto `issues`; `None` if there was any.
    pub fn resolve(
        spec: &PlacementSpec,
        region: RegionId,
        regions: &[Region],
        zones: &[Zone],
        path: &str,
        issues: &mut Issues,
    ) -> Option<Placement> {
        let r = &regions[region];
        let own = || known(r.zones.iter().map(|&z| zones[z].name.as_str()));
        let zone = |name: &str, field: &str, issues: &mut Issues| -> Option<ZoneId> {
            let found = r.zones.iter().copied().find(|&z| zones[z].name == name);
            if found.is_none() {
                issues.push(
                    format!("{path}{field}"),
                    format!("zone '{name}' is not in region '{}'; its zones: {}", r.name, own()),
                );
            }
            found
        };
        match spec {
            PlacementSpec::Regional => Some(Placement::Regional),
            PlacementSpec::Zone(name) => zone(name, "", issues).map(Placement::Zone),
            PlacementSpec::MultiAz { primary, standby, failover } => {
                let p = zone(primary, ".primary", issues);
                let s = zone(standby, ".standby", issues);
                if r.zones.len() < 2 {
                    issues.push(
                        path,
                        format!(
                            "Multi-AZ needs a second zone for its standby, and region '{}' has one ({}): \
                             add a zone to the region, or place the copy in `Zone(\"{}\")`",
                            r.name,
                            own(),
                            primary
                        ),
                    );
                    return None;
                }
                if p.is_some() && p == s {
                    issues.push(
                        format!("{path}.standby"),
                        format!("the standby must be in another zone than the primary ('{primary}')"),
                    );
                    return None;
                }
                // RDS: "Failover times are typically 60-120 seconds" (docs/references.md#database-failover-times).
                let failover = match failover {
                    Some(d) => d.resolve(&format!("{path}.failover"), issues)?,
                    None => Distribution::Uniform { min_s: 60.0, max_s: 120.0 },
                };
                Some(Placement::MultiAz { primary: p?, standby: s?, failover })
            }
            PlacementSpec::Spanning { zones: names } => {
                let ids: Vec<ZoneId> = match names {
                    None => r.zones.clone(),
                    Some(names) => {
                        let before = issues.len();
                        let mut ids: Vec<ZoneId> =
                            names.iter().filter_map(|n| zone(n, ".zones", issues)).collect();
                        if issues.len() > before {
                            return None;
                        }
                        ids.sort_unstable();
                        ids.dedup();
                        ids
                    }
                };
                if ids.len() < 3 {
                    issues.push(
                        path,
                        format!(
                            "spanning storage needs at least three zones for its quorum to survive a zone \
                             (Aurora and DynamoDB use three); it would span {} of region '{}' ({})",
                            ids.len(),
                            r.name,
                            own()
                        ),
                    );
                    return None;
                }
                Some(Placement::Spanning { zones: ids })
            }
        }
    }
}
