//! Promotion: a replica becomes the primary after the primary's copy fails, started at once or, for an
//! operator-triggered store, once the operator decides (docs/architecture.md#failover-trigger).

use super::super::event::{Event, StoreEvent};
use super::super::faults::Faults;
use super::super::kernel::{Change, Kernel};
use super::{Loss, Stores};
use crate::model::architecture::Model;
use crate::model::time::SimTime;

impl Stores {
    /// Store `s`'s promotion starts now: the replica nearest the old primary takes over after
    /// `promotion`.
    pub(super) fn start_promotion(&mut self, model: &Model, kernel: &mut Kernel, s: usize) {
        let delay = model.stores[s].promotion.sample_s(&mut self.stores[s].promotion_rng);
        let state = &mut self.stores[s];
        state.promoting = true;
        let event = Event::Store(StoreEvent::Promote { store: s as u32, epoch: state.epoch });
        kernel.schedule_change(kernel.now.plus(SimTime::from_secs_f64(delay)), event, Change::TakesAway);
    }

    /// Stores whose promotion started to wait for an operator since the last call, with the region of
    /// their failed primary's copy.
    pub fn take_awaiting(&mut self, model: &Model) -> Vec<(usize, usize)> {
        let stores = std::mem::take(&mut self.newly_awaiting);
        stores.into_iter().map(|s| (s, model.stores[s].copies[self.stores[s].primary])).collect()
    }

    /// Whether store `s`'s promotion still waits for an operator (its primary's copy has not come back).
    pub fn awaits_operator(&self, s: usize) -> bool {
        self.stores[s].awaiting_operator
    }

    /// An operator decided to fail store `s` over: its promotion starts, as it would have at the
    /// failure automatically. `false` when it no longer waits.
    pub fn operator_decided(&mut self, model: &Model, kernel: &mut Kernel, s: usize) -> bool {
        if !self.stores[s].awaiting_operator {
            return false;
        }
        self.stores[s].awaiting_operator = false;
        self.start_promotion(model, kernel, s);
        true
    }

    /// The region of the replica a promotion of store `s` would make the primary now (the live copy
    /// nearest the primary's).
    pub fn promotion_target(&self, model: &Model, faults: &Faults, s: usize) -> Option<usize> {
        let st = &model.stores[s];
        let from = st.copies[self.stores[s].primary];
        self.nearest_copy(model, faults, s, from).map(|c| st.copies[c])
    }

    /// A promotion is due: the replica nearest the old primary becomes the primary. Returns the region
    /// of the old primary's copy with the writes the promotion makes lost, and the new primary's region;
    /// `None` when superseded, or when no replica is up (it is tried again at the next change).
    pub fn promote(
        &mut self,
        model: &Model,
        faults: &Faults,
        s: usize,
        epoch: u32,
    ) -> Option<(usize, Option<Loss>, usize)> {
        let state = &self.stores[s];
        if epoch != state.epoch || !state.promoting {
            return None;
        }
        let st = &model.stores[s];
        let old = state.primary;
        let Some(target) = self.nearest_copy(model, faults, s, st.copies[old]) else {
            self.stores[s].promoting = false;
            return None;
        };
        let state = &mut self.stores[s];
        state.primary = target;
        state.promoting = false;
        state.inflight[old].clear();
        Some((st.copies[old], state.pending_loss.take(), st.copies[target]))
    }
}
