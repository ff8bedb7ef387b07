//! Failover triggers (docs/architecture.md#failover-trigger): the alarms and operators of the failovers
//! a person starts. An operator-triggered standby posture does not wake when the health checks declare
//! the region it backs up unhealthy, and an operator-triggered store does not start its promotion when
//! its primary's copy fails: each waits on a *watch*, one per runbook (a distinct `Operator`
//! configuration of the model) and watched region. The watch's alarm fires at the end of its
//! `evaluation_periods`-th consecutive breaching period after the first failure it sees; then one
//! decision time is drawn, and at the decision every subject still failing is failed over at once (one
//! operator, one decision, for the standbys and the stores of that runbook). A region back before the
//! alarm resets it; a subject back before the decision is not failed over (the operator stands down).
//!
//! The alarm and the decision are infrastructure events declared `Steers`: sampled fidelity runs the
//! requests around them one by one, and the activation or promotion the decision starts is scheduled as
//! it would be automatically, with its own declared change.

use rand::rngs::Xoshiro256PlusPlus;

use super::event::{Event, FailoverEvent};
use super::kernel::{Change, Kernel};
use crate::model::architecture::Model;
use crate::model::failover::Operator;
use crate::model::ids::DeploymentId;
use crate::model::time::SimTime;
use crate::sim::streams::{Purpose, stream};

/// Where a watch is in its cycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) enum Phase {
    /// Nothing waits on it.
    #[default]
    Idle,
    /// A failure was seen; the alarm fires at the end of its last evaluation period.
    Alarming,
    /// The alarm fired; the operator decides.
    Deciding,
}

/// One runbook's watch on one region: what waits on its alarm and decision.
#[derive(Debug, Default)]
struct Watch {
    phase: Phase,
    /// Bumped at every arming and reset: events with an older epoch are stale.
    epoch: u32,
    /// The region's entry point stopped while serving traffic: the runbook's standbys elsewhere wait.
    standby: bool,
    /// Stores whose primary copy (in the region) failed and whose promotion waits.
    stores: Vec<usize>,
}

/// What waits on a watch when its alarm or decision is due.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Subjects {
    /// The watched region.
    pub region: usize,
    /// The runbook (an index into [`Failover::operator`]).
    pub runbook: usize,
    /// Its standbys wait for the region's failover.
    pub standby: bool,
    /// Stores waiting for their promotion.
    pub stores: Vec<usize>,
}

pub(super) struct Failover {
    /// The model's distinct operator configurations, in the order first met (deployments, then stores).
    operators: Vec<Operator>,
    /// Per deployment: the runbook of its posture, when an operator starts its activation.
    standby_runbook: Vec<Option<usize>>,
    /// Per store: the runbook of its promotion, when an operator starts it.
    store_runbook: Vec<Option<usize>>,
    /// Per (runbook, region), `runbook * regions + region`.
    watches: Vec<Watch>,
    /// Per watch: the operator's decision times.
    rng: Vec<Xoshiro256PlusPlus>,
    regions: usize,
}

impl Failover {
    pub fn new(model: &Model, seed: u64, replication: u32) -> Failover {
        let mut operators: Vec<Operator> = Vec::new();
        let mut runbook = |op: Option<&Operator>| {
            let op = op?;
            Some(operators.iter().position(|o| o == op).unwrap_or_else(|| {
                operators.push(op.clone());
                operators.len() - 1
            }))
        };
        let standby_runbook = model
            .deployments
            .iter()
            .map(|d| if d.standby.activation().is_some() { runbook(d.failover.operator()) } else { None })
            .collect();
        let store_runbook = model.stores.iter().map(|s| runbook(s.failover.operator())).collect();
        let regions = model.regions.len();
        let rng = (0..operators.len() * regions)
            .map(|w| {
                let name = format!("{}#{}", model.regions[w % regions].name, w / regions);
                stream(seed, replication, Purpose::Decision, &name)
            })
            .collect();
        Failover {
            watches: (0..operators.len() * regions).map(|_| Watch::default()).collect(),
            operators,
            standby_runbook,
            store_runbook,
            rng,
            regions,
        }
    }

    /// The operator of runbook `k`.
    pub fn operator(&self, k: usize) -> &Operator {
        &self.operators[k]
    }

    /// The runbook that starts deployment `d`'s activation; `None`: the health checks do.
    pub fn standby_runbook(&self, d: DeploymentId) -> Option<usize> {
        self.standby_runbook[d]
    }

    /// Region `r`'s entry point stopped while serving traffic: every runbook with standbys elsewhere
    /// watches it.
    pub fn region_failed(&mut self, model: &Model, kernel: &mut Kernel, r: usize) {
        for k in 0..self.operators.len() {
            let backs_up = (0..model.deployments.len())
                .any(|d| self.standby_runbook[d] == Some(k) && model.deployments[d].region != r);
            if backs_up {
                let w = k * self.regions + r;
                self.watches[w].standby = true;
                self.arm(kernel, w);
            }
        }
    }

    /// Store `s`'s primary copy, in region `r`, failed and its promotion waits for an operator.
    pub fn store_failed(&mut self, kernel: &mut Kernel, s: usize, r: usize) {
        let Some(k) = self.store_runbook[s] else { return };
        let w = k * self.regions + r;
        if !self.watches[w].stores.contains(&s) {
            self.watches[w].stores.push(s);
        }
        self.arm(kernel, w);
    }

    /// A watch that nothing armed yet starts its alarm's evaluation; an armed one just gains a subject.
    fn arm(&mut self, kernel: &mut Kernel, w: usize) {
        let watch = &mut self.watches[w];
        if watch.phase != Phase::Idle {
            return;
        }
        watch.phase = Phase::Alarming;
        watch.epoch = watch.epoch.wrapping_add(1);
        let at = self.operators[w / self.regions].alarm.fires_at(kernel.now);
        let event = Event::Failover(FailoverEvent::Alarm { watch: w as u32, epoch: watch.epoch });
        kernel.schedule_change(at, event, Change::Steers);
    }

    /// What waits on watch `w` when its event of `epoch` in `phase` is due; `None` when stale.
    pub fn due(&self, w: usize, epoch: u32, phase: Phase) -> Option<Subjects> {
        let watch = &self.watches[w];
        (watch.epoch == epoch && watch.phase == phase).then(|| Subjects {
            region: w % self.regions,
            runbook: w / self.regions,
            standby: watch.standby,
            stores: watch.stores.clone(),
        })
    }

    /// The alarm of watch `w` is due with `still` the subjects still failing: with none it resets (no
    /// alarm); else it fires and the operator's decision is scheduled (returned: when).
    pub fn fire(&mut self, kernel: &mut Kernel, w: usize, still: Subjects) -> Option<SimTime> {
        if !still.standby && still.stores.is_empty() {
            self.reset(w);
            return None;
        }
        let decision = self.operators[still.runbook].decision.sample_s(&mut self.rng[w]);
        let watch = &mut self.watches[w];
        watch.phase = Phase::Deciding;
        watch.standby = still.standby;
        watch.stores = still.stores;
        let at = kernel.now.plus(SimTime::from_secs_f64(decision));
        let event = Event::Failover(FailoverEvent::Decision { watch: w as u32, epoch: watch.epoch });
        kernel.schedule_change(at, event, Change::Steers);
        Some(at)
    }

    /// Watch `w` is done (decided, or nothing left to decide on): a later failure arms it again.
    pub fn reset(&mut self, w: usize) {
        let watch = &mut self.watches[w];
        watch.phase = Phase::Idle;
        watch.epoch = watch.epoch.wrapping_add(1);
        watch.standby = false;
        watch.stores.clear();
    }
}
