//! Data residency at the store (docs/architecture.md#residency): which copy serves a request of a
//! population whose data may be only in some regions.

use super::super::arena::Request;
use super::super::faults::Faults;
use super::Stores;
use crate::model::architecture::Model;
use crate::model::residency::{Policy, Residency};
use crate::sim::observation::FailureCause;

impl Stores {
    /// The copy that serves request `r` in `region`: a write's primary (unless every copy takes
    /// writes), else the nearest live copy, the nearest in its population's residency first
    /// (docs/architecture.md#residency). Under `Fail`, a copy outside the residency fails it
    /// (`residency`); under `ServeElsewhere` it serves, and `Ok((copy, true))` says it was outside.
    pub(super) fn serving_copy(
        &self,
        model: &Model,
        faults: &Faults,
        r: &Request,
        store: usize,
        region: usize,
        residency: Option<Residency>,
    ) -> Result<(usize, bool), FailureCause> {
        let st = &model.stores[store];
        let target = if r.write && !st.multi_writer {
            let primary = self.stores[store].primary;
            if self.stores[store].promoting || !self.copy_available(model, faults, store, primary) {
                return Err(FailureCause::StoreUnavailable);
            }
            primary
        } else {
            let inside = residency.and_then(|res| {
                self.by_distance[store][region]
                    .iter()
                    .copied()
                    .find(|&c| res.allows(st.copies[c]) && self.copy_available(model, faults, store, c))
            });
            match inside {
                Some(c) => c,
                None => {
                    self.nearest_copy(model, faults, store, region).ok_or(FailureCause::StoreUnavailable)?
                }
            }
        };
        match residency {
            Some(res) if !res.allows(st.copies[target]) => match res.policy {
                Policy::Fail => Err(FailureCause::Residency),
                Policy::ServeElsewhere => Ok((target, true)),
            },
            _ => Ok((target, false)),
        }
    }
}
