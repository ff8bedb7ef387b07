//! Data stores as resolved from the model: where the primary and replicas live, how writes replicate
//! (docs/references.md#replication-lag), promotion on failover, and the prices of writes.

use std::collections::BTreeSet;

use crate::input::issue::Issues;
use crate::input::issue::known;
use crate::input::spec::model::{ReplicationSpec, StoreSpec, SyncFallback};
use crate::model::distribution::Distribution;
use crate::model::ids::RegionId;
use crate::model::placement::Placement;
use crate::model::region::{Region, Zone};

/// A store: an index into `Model::stores`.
pub type StoreId = usize;

/// How a write reaches the replicas.
#[derive(Debug, Clone)]
pub enum Replication {
    /// No replication: the primary holds the only copy.
    None,
    /// Applied at the next multiple of the interval \[s\].
    Backup {
        /// Time between backups \[s\].
        interval_s: f64,
    },
    /// Each write is applied at each replica after a sampled lag.
    Async {
        /// Replication lag of one write to one replica \[s\].
        lag: Distribution,
    },
    /// The write waits for the farthest reachable replica. When one is unreachable: `None` fails the
    /// write, `Some(lag)` accepts it and replicates asynchronously.
    Sync {
        /// Lag of the asynchronous replication a write falls back to \[s\]; `None`: the write fails.
        degrade_lag: Option<Distribution>,
    },
}

/// A data store: its copies, how writes reach them, and the prices of writes.
#[derive(Debug, Clone)]
pub struct Store {
    /// The store's name (unique among services and stores).
    pub name: String,
    /// The primary's region at the start of a replication.
    pub primary: RegionId,
    /// Regions with a copy, primary first.
    pub copies: Vec<RegionId>,
    /// Index of this store's first copy in `Model::store_copies`.
    pub first_copy: usize,
    /// Where each copy lives among its region's zones, in `copies` order.
    pub placement: Vec<Placement>,
    /// How writes reach the replicas.
    pub replication: Replication,
    /// Every copy accepts writes; concurrent writes to one key are resolved last-writer-wins.
    pub multi_writer: bool,
    /// From the primary's failure to a replica accepting writes, detection included \[s\].
    pub promotion: Distribution,
    /// Who starts the promotion (docs/architecture.md#failover-trigger).
    pub failover: crate::model::failover::Trigger,
    /// Time of one read or write at a copy \[s\].
    pub op_time: Distribution,
    /// Bytes sent to each replica per write.
    pub write_bytes: u32,
    /// Price of a million writes accepted \[USD\].
    pub price_usd_per_million_writes: f64,
    /// Price of a million writes applied at a replica (each replica counted) \[USD\].
    pub price_usd_per_million_replicated_writes: f64,
}

impl Store {
    /// The copy index (into `copies`) of a region's copy.
    pub fn copy_in(&self, region: RegionId) -> Option<usize> {
        self.copies.iter().position(|&r| r == region)
    }

    /// Checks a store's spec and resolves it against the model's `regions`; its copies start at index
    /// `first_copy` of `Model::store_copies`. Every problem is pushed onto `issues`; `None` if there was any.
    pub fn resolve(
        spec: &StoreSpec,
        first_copy: usize,
        regions: &[Region],
        zones: &[Zone],
        issues: &mut Issues,
    ) -> Option<Store> {
        let before = issues.len();
        let path = format!("stores[{}]", spec.name);
        let names = || known(regions.iter().map(|r| r.name.as_str()));
        let primary = regions.iter().position(|r| r.name == spec.primary);
        if primary.is_none() {
            issues.push(
                format!("{path}.primary"),
                format!("unknown region '{}'; known: {}", spec.primary, names()),
            );
        }
        let mut copies: Vec<RegionId> = primary.into_iter().collect();
        let mut seen = BTreeSet::new();
        for name in &spec.replicas {
            match regions.iter().position(|r| &r.name == name) {
                None => issues
                    .push(format!("{path}.replicas"), format!("unknown region '{name}'; known: {}", names())),
                Some(r) if Some(r) == primary || !seen.insert(r) => {
                    issues.push(format!("{path}.replicas"), format!("region '{name}' already holds a copy"))
                }
                Some(r) => copies.push(r),
            }
        }
        let mut placement = vec![Some(Placement::Regional); copies.len()];
        for (region_name, p) in &spec.placement {
            let ppath = format!("{path}.placement[{region_name}]");
            match copies.iter().position(|&r| regions[r].name == *region_name) {
                Some(c) => placement[c] = Placement::resolve(p, copies[c], regions, zones, &ppath, issues),
                None => issues.push(
                    &ppath,
                    format!(
                        "region '{region_name}' holds no copy of '{}'; its copies: {}",
                        spec.name,
                        known(copies.iter().map(|&r| regions[r].name.as_str()))
                    ),
                ),
            }
        }
        let replication = match &spec.replication {
            ReplicationSpec::None => Some(Replication::None),
            ReplicationSpec::Backup { interval_s } => {
                if !(interval_s.is_finite() && *interval_s > 0.0) {
                    issues.push(
                        format!("{path}.replication.interval_s"),
                        format!("must be > 0 (got {interval_s})"),
                    );
                }
                Some(Replication::Backup { interval_s: *interval_s })
            }
            ReplicationSpec::Async { lag } => {
                lag.resolve(&format!("{path}.replication.lag"), issues).map(|lag| Replication::Async { lag })
            }
            ReplicationSpec::Sync { on_replica_unreachable } => match on_replica_unreachable {
                None | Some(SyncFallback::FailWrite) => Some(Replication::Sync { degrade_lag: None }),
                Some(SyncFallback::DegradeToAsync { lag }) => lag
                    .resolve(&format!("{path}.replication.on_replica_unreachable.lag"), issues)
                    .map(|lag| Replication::Sync { degrade_lag: Some(lag) }),
            },
        };
        if copies.len() < 2 && !matches!(spec.replication, ReplicationSpec::None) {
            issues.push(format!("{path}.replicas"), "replication needs at least one replica region");
        }
        if spec.multi_writer && !matches!(spec.replication, ReplicationSpec::Async { .. }) {
            issues.push(
                format!("{path}.multi_writer"),
                "a multi-writer store replicates asynchronously: use `replication: Async(lag: ..)`",
            );
        }
        // Aurora Global Database promotes a secondary in "less than a minute" (docs/references.md#replication-lag).
        let promotion = match &spec.promotion {
            Some(d) => d.resolve(&format!("{path}.promotion"), issues),
            None => Some(Distribution::fixed(60.0)),
        };
        let failover = crate::model::failover::Trigger::resolve(
            spec.failover.as_ref(),
            &format!("{path}.failover"),
            issues,
        );
        let promotes =
            !spec.multi_writer && copies.len() > 1 && !matches!(spec.replication, ReplicationSpec::None);
        if failover.operator().is_some() && !promotes {
            issues.push(
                format!("{path}.failover"),
                "an operator has nothing to promote: only a single-writer store with a replica promotes one",
            );
        }
        let op_time = match &spec.op_time {
            Some(d) => d.resolve(&format!("{path}.op_time"), issues),
            None => Some(Distribution::fixed(0.001)),
        };
        let mut price = |name: &str, v: Option<f64>, default: f64| {
            let v = v.unwrap_or(default);
            if let Err(message) = crate::model::prices::check_price(v) {
                issues.push(format!("{path}.{name}"), message);
            }
            v
        };
        // DynamoDB on-demand after the Nov 2024 cut: WRU and rWRU both $0.625 per million (docs/references.md#costs).
        let price_w = price("price_usd_per_million_writes", spec.price_usd_per_million_writes, 0.625);
        let price_r = price(
            "price_usd_per_million_replicated_writes",
            spec.price_usd_per_million_replicated_writes,
            0.625,
        );
        if issues.len() > before {
            return None;
        }
        Some(Store {
            name: spec.name.clone(),
            primary: primary?,
            copies,
            first_copy,
            placement: placement.into_iter().collect::<Option<Vec<_>>>()?,
            replication: replication?,
            multi_writer: spec.multi_writer,
            promotion: promotion?,
            failover,
            op_time: op_time?,
            write_bytes: spec.write_bytes.unwrap_or(1000),
            price_usd_per_million_writes: price_w,
            price_usd_per_million_replicated_writes: price_r,
        })
    }
}
