//! Faults: one table of every component that can fail (instances, zones, regions, store copies, links,
//! control planes, dependency copies, CDN edges, the DNS layer) and how many causes hold each down (its own failure process, injected outages),
//! with the failure and repair processes that drive them. What a component's state means for the
//! rest (a zone takes its instances down) is decided by the subsystems that read this table.

use std::collections::BTreeMap;

use rand::rngs::Xoshiro256PlusPlus;

use super::event::{Event, FaultCause, FaultEvent};
use super::kernel::{Change, Kernel};
use crate::model::architecture::Model;
use crate::model::scenario::{Component, FailureMode, LinkId, Scenario};
use crate::model::time::SimTime;
use crate::sim::streams::{Purpose, stream};

/// The table of components and their down counts: one `Vec` with a block per kind.
pub(super) struct Faults {
    down: Vec<u16>,
    /// Where each kind's block starts: instances, zones, regions, store copies, links, control planes,
    /// dependency copies (one slot per dependency and region), CDN edges (one per population), the DNS
    /// layer (one).
    offset: [usize; 9],
    regions: usize,
    /// Each failure process's time-to-failure and time-to-repair streams, in `scenario.failures` order.
    rng: Vec<(Xoshiro256PlusPlus, Xoshiro256PlusPlus)>,
    /// The failure process of each component that has one.
    process_of: BTreeMap<Component, usize>,
    /// Links down now (a fast check for replication and calls).
    links_down: u32,
    /// The gray failures in force: a component and how it fails, one entry per cause.
    gray: Vec<(Component, FailureMode)>,
    /// Since when the DNS layer has been down, while it is (docs/architecture.md#dns-layer).
    dns_down_since: Option<SimTime>,
}

/// How an instance's gray failures combine: slowdowns multiply, failing shares compound.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) struct Degradation {
    /// Service-time multiplier, at least 1.
    pub slow: f64,
    /// The share of requests (and health checks) that fail, in [0, 1].
    pub fail_share: f64,
    /// Failed requests hang until their client's timeout (if any failing cause says so).
    pub hang: bool,
}

impl Degradation {
    /// No gray failure.
    pub const NONE: Degradation = Degradation { slow: 1.0, fail_share: 0.0, hang: false };
}

impl Faults {
    pub fn new(model: &Model, scenario: &Scenario, seed: u64, replication: u32) -> Faults {
        let n = model.regions.len();
        let sizes = [
            model.instances.len(),
            model.zones.len(),
            n,
            model.store_copies.len(),
            n * n,
            n,
            model.dependencies.len() * n,
            model.populations.len(),
            1,
        ];
        let mut offset = [0; 9];
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
            gray: Vec::new(),
            dns_down_since: None,
        }
    }

    /// The failure mode of `cause` for component `c`.
    pub fn mode(&self, scenario: &Scenario, c: Component, cause: FaultCause) -> FailureMode {
        match cause {
            FaultCause::Outage(k) => scenario.outages[k as usize].mode,
            FaultCause::Process => {
                self.process_of.get(&c).map_or(FailureMode::Crash, |&p| scenario.failures[p].1.mode)
            }
        }
    }

    /// The gray failures of instance `i` (its own, its zone's, its region's), combined.
    pub fn degradation(&self, model: &Model, i: usize) -> Degradation {
        if self.gray.is_empty() {
            return Degradation::NONE;
        }
        let inst = &model.instances[i];
        let mut d = Degradation::NONE;
        let mut passes = 1.0;
        for &(c, mode) in &self.gray {
            let applies = match c {
                Component::Instance(x) => x as usize == i,
                Component::Zone(z) => z as usize == inst.zone,
                Component::Region(r) => r as usize == inst.region,
                _ => false,
            };
            if !applies {
                continue;
            }
            match mode {
                FailureMode::Crash => {}
                FailureMode::Slow { factor } => d.slow *= factor,
                FailureMode::Failing { share, hang } => {
                    passes *= 1.0 - share;
                    d.hang |= hang;
                }
            }
        }
        d.fail_share = (1.0 - passes).clamp(0.0, 1.0);
        d
    }

    fn index(&self, c: Component) -> usize {
        match c {
            Component::Instance(i) => self.offset[0] + i as usize,
            Component::Zone(z) => self.offset[1] + z as usize,
            Component::Region(r) => self.offset[2] + r as usize,
            Component::Store(c) => self.offset[3] + c as usize,
            Component::Link(l) => self.offset[4] + l.index(self.regions),
            Component::ControlPlane(r) => self.offset[5] + r as usize,
            Component::Dependency(c) => self.offset[6] + c.index(self.regions),
            Component::Cdn(p) => self.offset[7] + p as usize,
            Component::Dns => self.offset[8],
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

    /// Whether population `p`'s CDN edge is down.
    #[inline]
    pub fn cdn_down(&self, p: usize) -> bool {
        self.down[self.offset[7] + p] > 0
    }

    /// Since when the DNS layer has been down, if it is: the clients whose cached answer was filled
    /// after that instant would have resolved during the outage, and cannot have.
    #[inline]
    pub fn dns_down_since(&self) -> Option<SimTime> {
        self.dns_down_since
    }

    /// Whether the copy of dependency `d` that an instance in region `r` calls answers: its region is up
    /// and no cause holds the copy itself down.
    #[inline]
    pub fn dependency_up(&self, model: &Model, d: usize, r: usize) -> bool {
        let copy = model.dependencies[d].copy_for(r);
        !self.region_down(copy) && self.down[self.offset[6] + d * self.regions + copy] == 0
    }

    /// Whether the control plane that scales deployment `d` and activates its standby is impaired: its
    /// region's control plane is down, or a copy of a dependency its service's control plane uses
    /// (`ControlPlane`) is (docs/architecture.md#dependencies).
    pub fn control_plane_impaired(&self, model: &Model, d: usize) -> bool {
        let dep = &model.deployments[d];
        self.control_plane_down(dep.region)
            || model.services[dep.service]
                .control_plane_needs
                .iter()
                .any(|&k| !self.dependency_up(model, k, dep.region))
    }

    /// Whether an instance of deployment `d` can start launching now: every copy of a dependency its
    /// service uses at launch (`AtLaunch`) is up.
    pub fn launch_needs_up(&self, model: &Model, d: usize) -> bool {
        let dep = &model.deployments[d];
        model.services[dep.service].launch_needs.iter().all(|&k| self.dependency_up(model, k, dep.region))
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
            let event = Event::Fault(FaultEvent::Down { component: *component, cause: FaultCause::Process });
            kernel.schedule_change(SimTime::from_secs_f64(ttf), event, Change::TakesAway);
        }
        for (k, o) in scenario.outages.iter().enumerate() {
            let cause = FaultCause::Outage(k as u32);
            let down = Event::Fault(FaultEvent::Down { component: o.component, cause });
            kernel.schedule_change(o.start, down, Change::TakesAway);
            let up = Event::Fault(FaultEvent::Up { component: o.component, cause });
            kernel.schedule_change(o.end, up, Change::Adds);
        }
    }

    /// A cause takes `c` down (or, with a gray mode, makes it serve worse); a random failure schedules
    /// its repair. Returns whether what depends on `c` must be refreshed: it was up, or the failure is
    /// gray.
    pub fn down(
        &mut self,
        kernel: &mut Kernel,
        scenario: &Scenario,
        c: Component,
        cause: FaultCause,
    ) -> bool {
        let mode = self.mode(scenario, c, cause);
        let changed = if mode == FailureMode::Crash {
            let i = self.index(c);
            let was_up = self.down[i] == 0;
            self.down[i] += 1;
            if was_up && matches!(c, Component::Link(_)) {
                self.links_down += 1;
            }
            if was_up && c == Component::Dns {
                self.dns_down_since = Some(kernel.now);
            }
            was_up
        } else {
            self.gray.push((c, mode));
            true
        };
        if cause == FaultCause::Process
            && let Some(&p) = self.process_of.get(&c)
        {
            let ttr = scenario.failures[p].1.time_to_repair.sample_s(&mut self.rng[p].1);
            let up = Event::Fault(FaultEvent::Up { component: c, cause });
            kernel.schedule_change(kernel.now.plus(SimTime::from_secs_f64(ttr)), up, Change::Adds);
        }
        changed
    }

    /// A cause of `c` ends; a repaired random failure schedules the next failure. Returns whether what
    /// depends on `c` must be refreshed: it is up now, or the failure that ended was gray.
    pub fn up(&mut self, kernel: &mut Kernel, scenario: &Scenario, c: Component, cause: FaultCause) -> bool {
        let mode = self.mode(scenario, c, cause);
        let changed = if mode == FailureMode::Crash {
            let i = self.index(c);
            let was_down = self.down[i] > 0;
            self.down[i] = self.down[i].saturating_sub(1);
            let now_up = self.down[i] == 0;
            if now_up && was_down && matches!(c, Component::Link(_)) {
                self.links_down = self.links_down.saturating_sub(1);
            }
            if now_up && c == Component::Dns {
                self.dns_down_since = None;
            }
            now_up
        } else {
            if let Some(k) = self.gray.iter().position(|&(x, m)| x == c && m == mode) {
                self.gray.swap_remove(k);
            }
            true
        };
        if cause == FaultCause::Process
            && let Some(&p) = self.process_of.get(&c)
        {
            let ttf = scenario.failures[p].1.time_to_failure.sample_s(&mut self.rng[p].0);
            let down = Event::Fault(FaultEvent::Down { component: c, cause });
            kernel.schedule_change(kernel.now.plus(SimTime::from_secs_f64(ttf)), down, Change::TakesAway);
        }
        changed
    }
}
