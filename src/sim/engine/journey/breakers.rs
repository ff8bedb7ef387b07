//! Where the journey meets the clients' circuit breakers (`breaker`): an attempt's outcome reaching its
//! breaker, a breaker half-opening, and the record of their changes of state.

use crate::sim::engine::Engine;
use crate::sim::engine::breaker::{State, Trip};
use crate::sim::trace::What;

impl Engine<'_> {
    /// The outcome of an attempt reaches population `p`'s breaker for `region` (see `breaker`).
    pub(in crate::sim::engine) fn on_breaker_outcome(
        &mut self,
        p: usize,
        region: usize,
        epoch: u32,
        failed: bool,
    ) {
        let now = self.kernel.now;
        self.behaviours.breakers.count(&mut self.kernel, p, region, epoch, failed, now);
        self.note_breakers();
    }

    /// Population `p`'s breaker for `region` has been open for its interval: it half-opens.
    pub(in crate::sim::engine) fn on_half_open(&mut self, p: usize, region: usize, epoch: u32) {
        self.behaviours.breakers.half_open(p, region, epoch, self.kernel.now);
        self.note_breakers();
    }

    /// Records the breakers' changes of state (trips, trace events).
    pub(super) fn note_breakers(&mut self) {
        if !self.behaviours.breakers.moved() {
            return;
        }
        let model = self.model;
        for t in self.behaviours.breakers.take_transitions() {
            if t.to == State::Open {
                self.recorder.breaker_tripped(self.scenario, t.at);
            }
            if self.recorder.tracing(t.at) {
                let what = match (t.to, t.trip) {
                    (State::Open, trip) => What::BreakerOpened {
                        reason: match trip {
                            Some(Trip::Consecutive(n)) => format!("{n} attempts failed in a row"),
                            Some(Trip::Ratio { failed, of }) => {
                                format!("{failed} of the last {of} attempts failed")
                            }
                            Some(Trip::Probe) | None => "a half-open probe failed".to_string(),
                        },
                    },
                    (State::HalfOpen, _) => What::BreakerHalfOpen {
                        probes: model.populations[t.population].breaker.map_or(0, |b| b.half_open_probes),
                    },
                    (State::Closed, _) => What::BreakerClosed,
                };
                let region = Some(model.regions[t.region].name.clone());
                let population = Some(model.populations[t.population].name.clone());
                self.recorder.trace_event(t.at, what, None, region, population);
            }
        }
    }
}
