//! How clients pick a region: routing policies (which healthy region answers) and steering (how fast
//! health checks notice a failure and clients follow: DNS with TTLs and violators, or anycast).

use crate::input::issue::Issues;
use crate::input::issue::known;
use crate::input::spec::model::{HealthCheckSpec, RoutingSpec, SteeringSpec};
use crate::model::distribution::Distribution;
use crate::model::ids::RegionId;
use crate::model::network::Network;
use crate::model::region::Region;

/// A routing policy with region names resolved.
#[derive(Debug, Clone, PartialEq)]
pub enum Routing {
    /// Active-passive: the first healthy region of the list, in order of preference.
    Failover(Vec<RegionId>),
    /// Active-active: the nearest healthy region by round trip.
    Latency,
    /// Shares over the healthy regions by weight, renormalised when one is unhealthy.
    Weighted(Vec<(RegionId, f64)>),
    /// Data residency: the nearest healthy region of the list, never one outside it.
    Geolocation(Vec<RegionId>),
}

/// A DNS answer: the regions a client may be sent to, with cumulative weights ending at 1.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Answer {
    /// `(region, cumulative weight)`, the last weight 1.
    pub choices: Vec<(RegionId, f64)>,
}

impl Answer {
    fn single(r: RegionId) -> Answer {
        Answer { choices: vec![(r, 1.0)] }
    }

    /// The region for a uniform draw `u` in [0, 1).
    pub fn pick(&self, u: f64) -> Option<RegionId> {
        self.choices.iter().find(|(_, c)| u < *c).or(self.choices.last()).map(|(r, _)| *r)
    }

    /// Whether the answer may send a client to region `r`.
    pub fn contains(&self, r: RegionId) -> bool {
        self.choices.iter().any(|(x, _)| *x == r)
    }

    /// The probability that [`Answer::pick`] gives each region (`choices` holds cumulative weights).
    pub fn shares(&self) -> impl Iterator<Item = (RegionId, f64)> + '_ {
        let mut below = 0.0;
        self.choices.iter().map(move |&(r, c)| {
            let share = (c.min(1.0) - below).max(0.0);
            below = c.max(below);
            (r, share)
        })
    }
}

impl Routing {
    /// Resolves a routing spec against the model's `regions`; `path` is its field path, for issues. Every
    /// problem is pushed onto `issues`; `None` if there was any.
    pub fn resolve(
        spec: &RoutingSpec,
        path: &str,
        regions: &[Region],
        issues: &mut Issues,
    ) -> Option<Routing> {
        let names = || known(regions.iter().map(|r| r.name.as_str()));
        let lookup = |name: &str, issues: &mut Issues| {
            let r = regions.iter().position(|r| r.name == name);
            if r.is_none() {
                issues.push(path, format!("unknown region '{name}'; known: {}", names()));
            }
            r
        };
        let before = issues.len();
        let routing = match spec {
            RoutingSpec::Latency => Routing::Latency,
            RoutingSpec::Failover { order } => {
                if order.is_empty() {
                    issues.push(format!("{path}.order"), "list at least one region");
                }
                Routing::Failover(order.iter().filter_map(|n| lookup(n, issues)).collect())
            }
            RoutingSpec::Geolocation { allowed } => {
                if allowed.is_empty() {
                    issues.push(format!("{path}.allowed"), "list at least one region");
                }
                Routing::Geolocation(allowed.iter().filter_map(|n| lookup(n, issues)).collect())
            }
            RoutingSpec::Weighted { weights } => {
                let mut out = Vec::new();
                for (name, &w) in weights {
                    if !(w.is_finite() && w >= 0.0) {
                        issues.push(format!("{path}.weights[{name}]"), format!("must be >= 0 (got {w})"));
                    }
                    if let Some(r) = lookup(name, issues) {
                        out.push((r, w));
                    }
                }
                if out.iter().map(|(_, w)| w).sum::<f64>() <= 0.0 {
                    issues.push(format!("{path}.weights"), "give at least one region a weight > 0");
                }
                Routing::Weighted(out)
            }
        };
        (issues.len() == before).then_some(routing)
    }

    /// The regions this policy may ever send to, among `serving` (regions running the entry service).
    pub fn candidates(&self, serving: &[bool]) -> Vec<RegionId> {
        let all = || (0..serving.len()).filter(|&r| serving[r]).collect::<Vec<_>>();
        match self {
            Routing::Latency => all(),
            Routing::Failover(order) | Routing::Geolocation(order) => {
                order.iter().copied().filter(|&r| serving[r]).collect()
            }
            Routing::Weighted(w) => {
                w.iter().filter(|(r, w)| serving[*r] && *w > 0.0).map(|(r, _)| *r).collect()
            }
        }
    }

    /// The answer for clients at `location`, given which regions' health checks pass. With no healthy
    /// candidate the answer fails open to what it would be with all healthy (Route 53's behaviour), so a
    /// geolocation population never leaves its allowed set.
    pub fn answer(
        &self,
        location: usize,
        serving: &[bool],
        healthy: &[bool],
        regions: &[Region],
        network: &Network,
    ) -> Answer {
        let candidates = self.candidates(serving);
        let up: Vec<RegionId> = candidates.iter().copied().filter(|&r| healthy[r]).collect();
        let pool = if up.is_empty() { &candidates } else { &up };
        // Nearest by round trip; at equal round trips the region at the clients' own location, then by
        // name (never by the order regions are listed).
        let nearest = |pool: &[RegionId]| {
            pool.iter()
                .copied()
                .min_by(|&a, &b| {
                    network
                        .rtt_s(location, regions[a].location)
                        .total_cmp(&network.rtt_s(location, regions[b].location))
                        .then((regions[a].location != location).cmp(&(regions[b].location != location)))
                        .then_with(|| regions[a].name.cmp(&regions[b].name))
                })
                .map(Answer::single)
                .unwrap_or_default()
        };
        match self {
            Routing::Latency | Routing::Geolocation(_) => nearest(pool),
            Routing::Failover(_) => pool.first().map(|&r| Answer::single(r)).unwrap_or_default(),
            Routing::Weighted(weights) => {
                let w: Vec<(RegionId, f64)> =
                    weights.iter().copied().filter(|(r, w)| pool.contains(r) && *w > 0.0).collect();
                let total: f64 = w.iter().map(|(_, w)| w).sum();
                let mut acc = 0.0;
                Answer {
                    choices: w
                        .into_iter()
                        .map(|(r, x)| {
                            acc += x / total;
                            (r, acc)
                        })
                        .collect(),
                }
            }
        }
    }

    /// Route 53 query price [USD per million] for this policy (docs/references.md#costs).
    pub fn query_price_usd_per_million(&self) -> f64 {
        match self {
            Routing::Failover(_) | Routing::Weighted(_) => 0.40,
            Routing::Latency => 0.60,
            Routing::Geolocation(_) => 0.70,
        }
    }
}

/// Health checking of each region's entry point (docs/references.md#route-53-health-checks).
#[derive(Debug, Clone, PartialEq)]
pub struct HealthCheck {
    /// Time between two checks of one checker \[s\].
    pub interval_s: f64,
    /// Consecutive failures (or successes) that flip one checker.
    pub threshold: u32,
    /// Time before a check against a dead endpoint fails \[s\].
    pub timeout_s: f64,
    /// Independent checkers.
    pub checkers: u32,
    /// Checkers that must fail before the endpoint is unhealthy.
    pub to_fail: u32,
    /// Checkers that must pass before the endpoint is healthy again.
    pub to_recover: u32,
}

/// How clients follow a change of answer.
#[derive(Debug, Clone)]
pub enum Follow {
    /// DNS: a client moves when its cached answer expires (uniform over the TTL); a share of clients
    /// keeps it longer by an extra staleness.
    Dns {
        /// Answer TTL \[s\].
        ttl_s: f64,
        /// From a health status change to the authoritative answer changing \[s\].
        propagation_s: f64,
        /// Share of clients whose resolvers keep answers past their TTL, in [0, 1].
        violators_share: f64,
        /// How much longer than the TTL a violator keeps an answer \[s\].
        extra_staleness: Distribution,
    },
    /// Anycast: traffic shifts uniformly within `shift_s` of detection.
    Anycast {
        /// Time after detection by which all traffic has shifted \[s\].
        shift_s: f64,
    },
}

/// The extra staleness of TTL violators when a model does not say (Flavel et al. 2014, see above).
fn default_extra_staleness() -> Distribution {
    Distribution::LogNormal {
        mu: DEFAULT_EXTRA_STALENESS_MEDIAN_S.ln(),
        sigma: DEFAULT_EXTRA_STALENESS_SIGMA,
    }
}

impl Follow {
    /// DNS steering with the default TTL violators: what a model gets when it says only the TTL and
    /// the propagation time.
    pub fn dns_with_default_violators(ttl_s: f64, propagation_s: f64) -> Follow {
        Follow::Dns {
            ttl_s,
            propagation_s,
            violators_share: DEFAULT_VIOLATORS_SHARE,
            extra_staleness: default_extra_staleness(),
        }
    }

    /// The probability that a request sent `age_s` after the answers changed uses the new answer: the
    /// closed form of the per-request draw in `engine::steering` (a client's cached answer expires
    /// uniformly over the TTL; a violator keeps it an extra staleness X longer, so it moves when
    /// `TTL·U + X <= age`, whose CDF is the mean of `F_X(age − TTL·u)` over u in [0, 1)).
    pub fn moved_share(&self, age_s: f64) -> f64 {
        match self {
            Follow::Anycast { shift_s } => uniform_cdf(age_s, *shift_s),
            Follow::Dns { ttl_s, violators_share, extra_staleness, .. } => {
                let followers = uniform_cdf(age_s, *ttl_s);
                let violators = if *ttl_s <= 0.0 {
                    extra_staleness.cdf(age_s)
                } else {
                    // Midpoint rule over u; F_X is monotone and bounded, so 64 points are ample.
                    const POINTS: usize = 64;
                    (0..POINTS)
                        .map(|k| extra_staleness.cdf(age_s - ttl_s * (k as f64 + 0.5) / POINTS as f64))
                        .sum::<f64>()
                        / POINTS as f64
                };
                (1.0 - violators_share) * followers + violators_share * violators
            }
        }
    }
}

/// P(width · U <= x) for U uniform on [0, 1).
fn uniform_cdf(x: f64, width: f64) -> f64 {
    if width <= 0.0 { f64::from(u8::from(x >= 0.0)) } else { (x / width).clamp(0.0, 1.0) }
}

/// How routing learns of failures and how clients follow a change of answer.
#[derive(Debug, Clone)]
pub struct Steering {
    /// Health checks of each region's entry point.
    pub health: HealthCheck,
    /// How clients follow a change of answer (DNS caching, or anycast).
    pub follow: Follow,
    /// The integral of [`Follow::moved_share`] by age, tabulated once per model: the users' view of
    /// time availability and the fast-forward's routing shares read it.
    pub moved: MovedIntegral,
}

impl Steering {
    /// The share of clients on each retained answer version at `t`, given when each version took
    /// effect (`since`, oldest first; the last is the current answer): a client whose cached answer is
    /// `S` old uses the latest version with `since <= t - S` (the oldest when none), and
    /// P(S <= age) = [`Follow::moved_share`]`(age)`.
    pub fn version_shares(&self, since: &[f64], t: f64) -> impl Iterator<Item = f64> + '_ {
        let n = since.len();
        let m: Vec<f64> = since.iter().map(|&s| self.follow.moved_share(t - s)).collect();
        (0..n).map(move |i| {
            let upper = if i == 0 { 1.0 } else { m[i] };
            let lower = if i + 1 < n { m[i + 1] } else { 0.0 };
            (upper - lower).clamp(0.0, 1.0)
        })
    }

    /// ∫ over `[a, b)` of each version's share (see [`Steering::version_shares`]) \[s\].
    pub fn version_integrals(&self, since: &[f64], a: f64, b: f64) -> Vec<f64> {
        let integral = |s: f64| self.moved.at(b - s) - self.moved.at(a - s);
        // Version i holds what has moved to it but not yet on to version i + 1: each integral is
        // computed once, as the lower bound of one version and the upper bound of the next.
        let mut upper = b - a;
        let mut out = Vec::with_capacity(since.len());
        for i in 0..since.len() {
            let lower = since.get(i + 1).map_or(0.0, |&s| integral(s));
            out.push((upper - lower).clamp(0.0, b - a));
            upper = lower;
        }
        out
    }
}

/// Most health checkers a check may have: each is simulated on its own.
pub const MAX_CHECKERS: u32 = 1000;

/// Flavel, Mani and Maltz 2014 (docs/references.md#dns-ttl-and-resolvers): with a 20 s TTL, 90% of clients moved within 60 s and 2%
/// were still stale after 15 min. Compliant clients move within the TTL, so violators are 10% of clients,
/// and 2% of all clients (20% of violators) must be stale for more than ~900 s past the TTL. A lognormal
/// with median 150 s and sigma 2.2 has P(X > 880 s) = P(Z > ln(880/150)/2.2 = 0.80) = 0.21, and its
/// median puts most violators "within about 2-5 min" as docs/references.md#dns-ttl-and-resolvers suggests.
pub const DEFAULT_VIOLATORS_SHARE: f64 = 0.10;
/// Median extra staleness of a TTL violator \[s\] (see [`DEFAULT_VIOLATORS_SHARE`]).
pub const DEFAULT_EXTRA_STALENESS_MEDIAN_S: f64 = 150.0;
/// Sigma of the lognormal extra staleness of a TTL violator (see [`DEFAULT_VIOLATORS_SHARE`]).
pub const DEFAULT_EXTRA_STALENESS_SIGMA: f64 = 2.2;

impl Steering {
    /// Resolves the model's `steering` (DNS with Route 53's defaults when absent). Every problem is pushed
    /// onto `issues`; `None` if there was any.
    pub fn resolve(spec: Option<&SteeringSpec>, issues: &mut Issues) -> Option<Steering> {
        let before = issues.len();
        let default =
            SteeringSpec::Dns { health_check: None, ttl_s: None, propagation_s: None, ttl_violators: None };
        let spec = spec.unwrap_or(&default);
        let seconds = |path: &str, v: Option<f64>, default: f64, issues: &mut Issues| {
            let v = v.unwrap_or(default);
            if !(v.is_finite() && v >= 0.0) {
                issues.push(path, format!("must be a finite number >= 0 (got {v})"));
            }
            v
        };
        let (health, follow) = match spec {
            SteeringSpec::Dns { health_check, ttl_s, propagation_s, ttl_violators } => {
                let health = resolve_health(health_check.as_ref(), "steering.health_check", issues);
                let ttl_s = seconds("steering.ttl_s", *ttl_s, 60.0, issues);
                let propagation_s = seconds("steering.propagation_s", *propagation_s, 5.0, issues);
                let (share, extra) = match ttl_violators {
                    None => (DEFAULT_VIOLATORS_SHARE, Some(default_extra_staleness())),
                    Some(v) => {
                        (v.share, v.extra_staleness.resolve("steering.ttl_violators.extra_staleness", issues))
                    }
                };
                if !(0.0..=1.0).contains(&share) {
                    issues.push("steering.ttl_violators.share", format!("must be in [0, 1] (got {share})"));
                }
                (
                    health,
                    extra.map(|extra_staleness| Follow::Dns {
                        ttl_s,
                        propagation_s,
                        violators_share: share,
                        extra_staleness,
                    }),
                )
            }
            SteeringSpec::Anycast { health_check, shift_s } => {
                let health = resolve_health(health_check.as_ref(), "steering.health_check", issues);
                let shift_s = seconds("steering.shift_s", *shift_s, 30.0, issues);
                (health, Some(Follow::Anycast { shift_s }))
            }
        };
        if issues.len() > before {
            return None;
        }
        let follow = follow?;
        let moved = MovedIntegral::new(&follow, MOVED_TABLE_MAX_AGE_S);
        Some(Steering { health, follow, moved })
    }
}

fn resolve_health(spec: Option<&HealthCheckSpec>, path: &str, issues: &mut Issues) -> HealthCheck {
    let d = HealthCheckSpec::default();
    let s = spec.unwrap_or(&d);
    let interval_s = s.interval_s.unwrap_or(30.0);
    if !(interval_s.is_finite() && interval_s > 0.0) {
        issues.push(format!("{path}.interval_s"), format!("must be > 0 (got {interval_s})"));
    }
    let threshold = s.failure_threshold.unwrap_or(3);
    if !(1..=10).contains(&threshold) {
        issues
            .push(format!("{path}.failure_threshold"), format!("Route 53 allows 1 to 10 (got {threshold})"));
    }
    let timeout_s = s.timeout_s.unwrap_or(4.0);
    if !(timeout_s.is_finite() && timeout_s >= 0.0) {
        issues.push(format!("{path}.timeout_s"), format!("must be >= 0 (got {timeout_s})"));
    }
    let checkers = s.checkers.unwrap_or(15);
    if checkers == 0 {
        issues.push(format!("{path}.checkers"), "must be at least 1");
    } else if checkers > MAX_CHECKERS {
        issues.push(
            format!("{path}.checkers"),
            format!("must be at most {MAX_CHECKERS} (got {checkers}; Route 53 uses about 15)"),
        );
    }
    let fraction = s.healthy_above_fraction.unwrap_or(0.18);
    if !(0.0..1.0).contains(&fraction) {
        issues.push(format!("{path}.healthy_above_fraction"), format!("must be in [0, 1) (got {fraction})"));
    }
    // Healthy while more than `fraction` of the checkers pass: it takes floor(f·n) + 1 passing checkers to
    // be healthy, so n − floor(f·n) failing ones to be unhealthy.
    let keep = (fraction * checkers as f64).floor() as u32;
    HealthCheck {
        interval_s,
        threshold,
        timeout_s,
        checkers,
        to_fail: checkers.saturating_sub(keep).max(1),
        to_recover: (keep + 1).min(checkers.max(1)),
    }
}

/// Cells per unit of ln(1 + age) of the tabulated integral of the moved share ([`MovedIntegral`]):
/// the share is smooth in log-age, so 48 per unit (about 2% of the age per cell) are ample.
const ROUTING_POINTS_PER_LOG_UNIT: f64 = 48.0;

/// The longest age the moved-share table covers \[s\]: ten years; past it the share is taken as constant.
pub const MOVED_TABLE_MAX_AGE_S: f64 = 10.0 * 365.25 * 86_400.0;

/// The mean of [`Follow::moved_share`] over ages `[a, b)` \[s\], from its integral tabulated once per
/// replication: every timeline bucket a stretch covers averages the same curve again, hundreds of times
/// per stretch, which a fresh quadrature each time made a few percent of a sampled run.
///
/// The integral I(age) = ∫₀^age share(t) dt is kept on a grid uniform in ln(1 + age), with
/// `ROUTING_POINTS_PER_LOG_UNIT` (48) cells per unit (the midpoint rule per cell), which puts points where
/// the share still moves (just after a change) rather than spreading them over hours in which it creeps
/// towards 1; between grid points it is linear in age.
#[derive(Debug, Clone)]
pub struct MovedIntegral {
    /// Grid step in ln(1 + age).
    step: f64,
    /// I at ages e^{k·step} − 1.
    cumulative: Vec<f64>,
    /// The grid ages e^{k·step} − 1, kept so that a lookup costs one logarithm, not two exponentials
    /// as well (the fast-forward looks the integral up millions of times a simulated year).
    ages: Vec<f64>,
    /// The share at the last grid age, for ages past it.
    last_share: f64,
}

impl MovedIntegral {
    /// Tabulates the integral of `follow`'s moved share for ages up to `max_age_s` \[s\].
    pub fn new(follow: &Follow, max_age_s: f64) -> MovedIntegral {
        let step = 1.0 / ROUTING_POINTS_PER_LOG_UNIT;
        let cells = (max_age_s.max(1.0).ln_1p() / step).ceil() as usize + 1;
        let mut cumulative = Vec::with_capacity(cells + 1);
        let mut sum = 0.0;
        cumulative.push(sum);
        for k in 0..cells {
            let (lo, hi) = ((k as f64 * step).exp_m1(), ((k + 1) as f64 * step).exp_m1());
            sum += follow.moved_share(((k as f64 + 0.5) * step).exp_m1()) * (hi - lo);
            cumulative.push(sum);
        }
        let last_share = follow.moved_share((cells as f64 * step).exp_m1());
        let ages = (0..=cells).map(|k| (k as f64 * step).exp_m1()).collect();
        MovedIntegral { step, cumulative, ages, last_share }
    }

    /// ∫₀^age share(t) dt \[s\]; 0 for ages <= 0.
    pub fn at(&self, age_s: f64) -> f64 {
        if age_s <= 0.0 {
            return 0.0;
        }
        let y = age_s.max(0.0).ln_1p() / self.step;
        let k = y.floor() as usize;
        if k + 1 >= self.cumulative.len() {
            let last = self.cumulative.len() - 1;
            return self.cumulative[last] + self.last_share * (age_s - self.ages[last]);
        }
        let (lo, hi) = (self.ages[k], self.ages[k + 1]);
        let t = ((age_s - lo) / (hi - lo)).clamp(0.0, 1.0);
        self.cumulative[k] + t * (self.cumulative[k + 1] - self.cumulative[k])
    }

    /// The mean of [`Follow::moved_share`] over ages `[a, b)` \[s\], in [0, 1]; the share at `a` when the
    /// interval is empty.
    pub fn mean(&self, follow: &Follow, a: f64, b: f64) -> f64 {
        if b <= a {
            return follow.moved_share(a);
        }
        ((self.at(b) - self.at(a)) / (b - a)).clamp(0.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn route53_defaults_need_13_of_15_checkers_to_fail_and_3_to_recover() {
        // 15 checkers, healthy above 18%: floor(2.7) = 2 may pass while unhealthy.
        let h = resolve_health(None, "x", &mut Issues::default());
        assert_eq!((h.checkers, h.to_fail, h.to_recover), (15, 13, 3));
    }
    #[test]
    fn the_mean_moved_share_matches_a_fine_uniform_sum() {
        let follow = Follow::dns_with_default_violators(60.0, 5.0);
        // Stretches (whose expected requests make the totals) to 1e-4; timeline buckets (a chart's
        // flows) to 2e-3, as a 2 s bucket across the TTL's kink falls inside one 1.3 s cell of the table.
        let stretches = [(90.0, 14_400.0), (0.0, 60.0), (200.0, 300.0), (5_000.0, 5_090.0), (1e4, 1e6)];
        let buckets = [(59.0, 61.0), (0.0, 0.5), (12_000.0, 12_030.0)];
        let cases = stretches.iter().map(|&s| (s, 1e-4)).chain(buckets.iter().map(|&s| (s, 2e-3)));
        let table = MovedIntegral::new(&follow, 1e6);
        for ((a, b), tolerance) in cases {
            const N: usize = 200_000;
            let h = (b - a) / N as f64;
            let fine: f64 =
                (0..N).map(|k| follow.moved_share(a + (k as f64 + 0.5) * h)).sum::<f64>() / N as f64;
            let quick = table.mean(&follow, a, b);
            assert!((fine - quick).abs() < tolerance, "[{a}, {b}): {quick} vs {fine}");
        }
    }
}
