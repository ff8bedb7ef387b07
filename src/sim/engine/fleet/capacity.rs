//! Capacity changes of an autoscaled deployment, one instance at a time, and the metrics its
//! autoscaler reads. A launched instance is provisioned and joins its balancer like a new one (at once
//! without health checks, after one passed check with them). A removed instance drains: it leaves the
//! rotation at once, keeps serving what it holds, and stops once idle or when its deregistration delay
//! has passed, as an Elastic Load Balancing target does (docs/references.md#autoscaling-defaults).

use super::{Fleet, InstanceState};
use crate::model::architecture::Model;
use crate::model::ids::{DeploymentId, InstanceId};
use crate::model::time::SimTime;

impl InstanceState {
    fn idle(&self) -> bool {
        self.in_service.is_empty() && self.queue.is_empty()
    }
}

impl Fleet {
    /// Instances of deployment `d` provisioned and not draining: its fleet size.
    pub fn in_service(&self, d: DeploymentId) -> u32 {
        self.deployments[d].provisioned - self.deployments[d].draining
    }

    /// Instances of deployment `d` in rotation and up: those that report the metric.
    pub fn answering(&self, d: DeploymentId) -> u32 {
        self.deployments[d].answering
    }

    /// Every deployment's fleet size, for the timeline.
    pub fn fleet_sizes(&self) -> Vec<u32> {
        (0..self.deployments.len()).map(|d| self.in_service(d)).collect()
    }

    /// Deployment `d`'s work taken on \[s\] and requests received so far, the stretch being skipped
    /// included at its window's rates.
    pub fn load_totals(&self, d: DeploymentId, now: SimTime) -> (f64, f64) {
        let state = &self.deployments[d];
        let (mut work, mut requests) = (state.work_s, state.requests as f64);
        if let Some((from, rates)) = &self.skip {
            let seconds = now.since(*from).as_secs_f64();
            work += rates[d].0 * seconds;
            requests += rates[d].1 * seconds;
        }
        (work, requests)
    }

    /// Every deployment's (work, requests) so far, for a sampled window's start.
    pub fn load_snapshot(&self) -> Vec<(f64, u64)> {
        self.deployments.iter().map(|s| (s.work_s, s.requests)).collect()
    }

    /// A skip begins now: each deployment's metrics accrue at its window's rate, `(work, requests)` per
    /// second, measured since `snapshot` was taken `window_s` ago.
    pub fn begin_skip(&mut self, now: SimTime, snapshot: &[(f64, u64)], window_s: f64) {
        let rates = self
            .deployments
            .iter()
            .zip(snapshot)
            .map(|(s, &(w, r))| ((s.work_s - w) / window_s, (s.requests - r) as f64 / window_s))
            .collect();
        self.skip = Some((now, rates));
    }

    /// The skip ends now: what it accrued joins the metrics (the requests rounded to a count).
    pub fn end_skip(&mut self, now: SimTime) {
        let Some((from, rates)) = self.skip.take() else { return };
        let seconds = now.since(from).as_secs_f64();
        for (state, (w, r)) in self.deployments.iter_mut().zip(rates) {
            state.work_s += w * seconds;
            state.requests += (r * seconds).round() as u64;
        }
    }

    /// Provisions one more instance of deployment `d` (the first of its pool not running); `None` when
    /// the pool is full. The caller accounts the instance-seconds before and refreshes the instance.
    pub fn launch_one(&mut self, model: &Model, d: DeploymentId) -> Option<InstanceId> {
        let i = model.deployments[d].instances.iter().copied().find(|&i| !self.instances[i].provisioned)?;
        self.instances[i].provisioned = true;
        self.deployments[d].provisioned += 1;
        Some(i)
    }

    /// Free places in deployment `d`'s pool (instances neither running nor draining).
    pub fn free_slots(&self, model: &Model, d: DeploymentId) -> u32 {
        model.deployments[d].instances.len() as u32 - self.deployments[d].provisioned
    }

    /// Starts draining `k` instances of deployment `d`: those that are down first (they hold nothing and
    /// stop at once), then the last of the pool. Returns the instances that stopped at once, which the
    /// caller refreshes after accounting the instance-seconds.
    pub fn drain(&mut self, model: &Model, d: DeploymentId, k: u32, now: SimTime) -> Vec<InstanceId> {
        let members = &model.deployments[d].instances;
        let active =
            |f: &Fleet, i: InstanceId| f.instances[i].provisioned && f.instances[i].draining.is_none();
        let down = members.iter().copied().filter(|&i| active(self, i) && !self.instances[i].up);
        let up = members.iter().rev().copied().filter(|&i| active(self, i) && self.instances[i].up);
        let chosen: Vec<InstanceId> = down.chain(up).take(k as usize).collect();
        let mut stopped = Vec::new();
        for i in chosen {
            let was_up = self.instances[i].up;
            // Out of rotation now; pending health-check flips are stale.
            self.set(model, i, was_up, false);
            let state = &mut self.instances[i];
            state.check_epoch = state.check_epoch.wrapping_add(1);
            if was_up && !state.idle() {
                state.draining = Some(now);
                self.deployments[d].draining += 1;
            } else {
                state.provisioned = false;
                self.deployments[d].provisioned -= 1;
                stopped.push(i);
            }
        }
        stopped
    }

    /// Draining instances of deployment `d` that stop now: idle ones, and those draining for `delay`
    /// or longer. They are no longer provisioned; the caller accounts the instance-seconds before and
    /// refreshes them (failing what the overdue ones still hold).
    pub fn finish_drains(
        &mut self,
        model: &Model,
        d: DeploymentId,
        now: SimTime,
        delay: SimTime,
    ) -> Vec<InstanceId> {
        if self.deployments[d].draining == 0 {
            return Vec::new();
        }
        let mut stopped = Vec::new();
        for &i in &model.deployments[d].instances {
            let state = &mut self.instances[i];
            let Some(since) = state.draining else { continue };
            if state.idle() || !state.up || now.since(since) >= delay {
                state.draining = None;
                state.provisioned = false;
                self.deployments[d].draining -= 1;
                self.deployments[d].provisioned -= 1;
                stopped.push(i);
            }
        }
        stopped
    }
}
