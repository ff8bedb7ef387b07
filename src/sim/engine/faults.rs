//! Faults: one table of every component that can fail (instances, zones, regions, store copies, links,
//! control planes) and how many causes hold each down (its own failure process, injected outages),
//! with the failure and repair processes that drive them. What a component's state means for the
//! rest (a zone takes its instances down) is decided by the subsystems that read this table.

use std::collections::BTreeMap;

use rand::rngs::Xoshiro256PlusPlus;

use super::event::{Event, FaultEvent};
use super::kernel::{Change, Kernel};
use crate::model::architecture::Model;
use crate::model::scenario::{Component, LinkId, Scenario};
use crate::model::time::SimTime;
use crate::sim::streams::{Purpose, stream};

/// The table of components and their down counts: one `Vec` with a block per kind.
pub(super) struct Faults {
    down: Vec<u16>,
    /// Where each kind's block starts: instances, zones, regions, store copies, links, control planes.
    offset: [usize; 6],
    regions: usize,
    /// Each failure process's time-to-failure and time-to-repair streams, in `scenario.failures` order.
    rng: Vec<(Xoshiro256PlusPlus, Xoshiro256PlusPlus)>,
    /// The failure process of each component that has one.
    process_of: BTreeMap<Component, usize>,
    /// Links down now (a fast check for replication and calls).
    links_down: u32,
}

impl Faults {
    pub fn new(model: &Model, scenario: &Scenario, seed: u64, replication: u32) -> Faults {
        let n = model.regions.len();
        let sizes = [model.instances.len(), model.zones.len(), n, model.store_copies.len(), n * n, n];
        let mut offset = [0; 6];
        let mut total = 0;
        for (o, s) in offset.iter_mut().zip(sizes) {
            *o = total;
            total += s;
        }
        Faults {
            down: vec![0; total],
            offset,
            regions: n,
            rng: scenario
                .failures
                .iter()
                .map(|(c, _)| {
                    let name = c.name(model);
                    (
                        stream(seed, replication, Purpose::TimeToFailure, &name),
                        stream(seed, replication, Purpose::TimeToRepair, &name),
                    )
                })
                .collect(),
            process_of: scenario.failures.iter().enumerate().map(|(i, (c, _))| (*c, i)).collect(),
            links_down: 0,
        }
    }

    fn index(&self, c: Component) -> usize {
        match c {
            Component::Instance(i) => self.offset[0] + i as usize,
            Component::Zone(z) => self.offset[1] + z as usize,
            Component::Region(r) => self.offset[2] + r as usize,
            Component::Store(c) => self.offset[3] + c as usize,
            Component::Link(l) => self.offset[4] + l.index(self.regions),
            Component::ControlPlane(r) => self.offset[5] + r as usize,
        }
    }

    /// Whether any cause holds `c` down.
    #[inline]
    pub fn is_down(&self, c: Component) -> bool {
        self.down[self.index(c)] > 0
    }

    #[inline]
    pub fn region_down(&self, r: usize) -> bool {
        self.down[self.offset[2] + r] > 0
    }

    #[inline]
    pub fn zone_down(&self, z: usize) -> bool {
        self.down[self.offset[1] + z] > 0
    }

    #[inline]
    pub fn instance_down(&self, i: usize) -> bool {
        self.down[self.offset[0] + i] > 0
    }

    #[inline]
    pub fn store_copy_down(&self, c: usize) -> bool {
        self.down[self.offset[3] + c] > 0
    }

    #[inline]
    pub fn control_plane_down(&self, r: usize) -> bool {
        self.down[self.offset[5] + r] > 0
    }

    /// Whether regions `a` and `b` are partitioned (never a region from itself).
    #[inline]
    pub fn link_down(&self, a: usize, b: usize) -> bool {
        a != b && self.links_down > 0 && self.is_down(Component::Link(LinkId::between(a, b)))
    }

    /// Whether any link is down.
    pub fn any_link_down(&self) -> bool {
        self.links_down > 0
    }

    /// Schedules the first failure of every component with a failure process, and every injected
    /// outage's start and end.
    pub fn schedule_initial(&mut self, kernel: &mut Kernel, scenario: &Scenario) {
        for (i, (component, process)) in scenario.failures.iter().enumerate() {
            let ttf = process.time_to_failure.sample_s(&mut self.rng[i].0);
            let event = Event::Fault(FaultEvent::Down { component: *component, injected: false });
            kernel.schedule_change(SimTime::from_secs_f64(ttf), event, Change::TakesAway);
        }
        for o in &scenario.outages {
            let down = Event::Fault(FaultEvent::Down { component: o.component, injected: true });
            kernel.schedule_change(o.start, down, Change::TakesAway);
            let up = Event::Fault(FaultEvent::Up { component: o.component, injected: true });
            kernel.schedule_change(o.end, up, Change::Adds);
        }
    }

    /// A cause takes `c` down; a random failure schedules its repair. Returns whether `c` was up.
    pub fn down(&mut self, kernel: &mut Kernel, scenario: &Scenario, c: Component, injected: bool) -> bool {
        let i = self.index(c);
        let was_up = self.down[i] == 0;
        self.down[i] += 1;
        if was_up && matches!(c, Component::Link(_)) {
            self.links_down += 1;
        }
        if !injected && let Some(&p) = self.process_of.get(&c) {
            let ttr = scenario.failures[p].1.time_to_repair.sample_s(&mut self.rng[p].1);
            let up = Event::Fault(FaultEvent::Up { component: c, injected });
            kernel.schedule_change(kernel.now.plus(SimTime::from_secs_f64(ttr)), up, Change::Adds);
        }
        was_up
    }

    /// A cause of `c` ends; a repaired random failure schedules the next failure. Returns whether `c`
    /// is up now.
    pub fn up(&mut self, kernel: &mut Kernel, scenario: &Scenario, c: Component, injected: bool) -> bool {
        let i = self.index(c);
        let was_down = self.down[i] > 0;
        self.down[i] = self.down[i].saturating_sub(1);
        let now_up = self.down[i] == 0;
        if now_up && was_down && matches!(c, Component::Link(_)) {
            self.links_down = self.links_down.saturating_sub(1);
        }
        if !injected && let Some(&p) = self.process_of.get(&c) {
            let ttf = scenario.failures[p].1.time_to_failure.sample_s(&mut self.rng[p].0);
            let down = Event::Fault(FaultEvent::Down { component: c, injected });
            kernel.schedule_change(kernel.now.plus(SimTime::from_secs_f64(ttf)), down, Change::TakesAway);
        }
        now_up
    }
}
