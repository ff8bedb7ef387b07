//! Reactions to an operator's runbook: an alarm that fires, a decision that wakes standbys and starts
//! promotions.

use crate::sim::engine::Engine;
use crate::sim::engine::failover::Phase;
use crate::sim::trace::What;

/// Operator-triggered failovers (docs/architecture.md#failover-trigger): the engine tells the watches
/// what still fails when an alarm or a decision is due, and applies the decision.
impl Engine<'_> {
    /// Watch `w`'s alarm is due: it fires if a subject still fails (the standbys' region still does not
    /// serve, a store still waits for its promotion), and the operator's decision is scheduled.
    pub(in crate::sim::engine) fn on_alarm(&mut self, w: usize, epoch: u32) {
        let Some(mut due) = self.failover.due(w, epoch, Phase::Alarming) else { return };
        due.standby &= !self.endpoint_serves(due.region);
        due.stores.retain(|&s| self.stores.awaits_operator(s));
        let (region, runbook) = (due.region, due.runbook);
        if self.failover.fire(&mut self.kernel, w, due).is_some() {
            let alarm = self.failover.operator(runbook).alarm;
            let periods = alarm.evaluation_periods;
            let what = What::AlarmFired { periods, period_s: alarm.period.as_secs_f64() };
            self.trace_region(region, what);
        }
    }

    /// Watch `w`'s operator decides: what still fails is failed over (the runbook's standbys away from
    /// the region, the stores waiting for their promotion); with nothing left, the operator stands down.
    pub(in crate::sim::engine) fn on_decision(&mut self, w: usize, epoch: u32) {
        let Some(due) = self.failover.due(w, epoch, Phase::Deciding) else { return };
        self.failover.reset(w);
        let (model, f, k) = (self.model, due.region, due.runbook);
        let mut acted = false;
        if due.standby && !self.endpoint_serves(f) {
            let failover = &self.failover;
            let wakes = |d| failover.standby_runbook(d) == Some(k);
            let woken =
                self.standby.begin_failover(model, &mut self.kernel, &self.faults, &self.fleet, f, wakes);
            let to = woken.iter().map(|&r| model.regions[r].name.clone()).collect();
            self.trace_region(f, What::OperatorDecided { to });
            acted = true;
        }
        for s in due.stores {
            let target = self.stores.promotion_target(model, &self.faults, s);
            if self.stores.operator_decided(model, &mut self.kernel, s) {
                let now = self.kernel.now;
                if self.recorder.tracing(now) {
                    let to = target.map(|r| model.regions[r].name.clone()).into_iter().collect();
                    let subject = Some(format!("store:{}", model.stores[s].name));
                    let region = Some(model.regions[f].name.clone());
                    self.recorder.trace_event(now, What::OperatorDecided { to }, subject, region, None);
                }
                acted = true;
            }
        }
        if !acted {
            self.trace_region(f, What::OperatorStoodDown);
        }
    }

    /// Keeps a trace event about region `r` when tracing.
    pub(super) fn trace_region(&mut self, r: usize, what: What) {
        let now = self.kernel.now;
        if self.recorder.tracing(now) {
            let name = self.model.regions[r].name.clone();
            self.recorder.trace_event(now, what, Some(format!("region:{name}")), Some(name), None);
        }
    }
}
