//! The DNS layer as a fault domain (docs/architecture.md#dns-layer): every population of a model that
//! steers by DNS resolves through its authoritative servers when its clients' cached answers expire, and
//! every region stays healthy while they are down, so nothing fails over. Nothing fails while the caches
//! hold (the share that has to resolve grows from 0 over one TTL, and over the extra staleness of the
//! clients whose resolvers keep answers past it); from then on every client that resolves fails, but
//! the share whose resolvers serve stale answers (RFC 8767).

use super::{Class, Domain, Impact, percent};
use crate::model::architecture::Model;
use crate::model::routing::Follow;
use crate::model::scenario::Component;

/// The DNS layer's domain, or `None` (with the reason, for the notes) when the model steers by anycast
/// and so has no DNS layer its clients resolve through.
pub(super) fn domain(model: &Model) -> Result<Domain, String> {
    let Follow::Dns { ttl_s, violators_share, .. } = &model.steering.follow else {
        return Err("No DNS layer is listed: the model steers by anycast (static addresses that health \
                    checks move), so its clients resolve no answer the model has."
            .to_string());
    };
    let follow = &model.steering.follow;
    let after_ttl = follow.moved_share(*ttl_s);
    let almost_all = age_reaching(follow, 0.99);
    let impacts = model
        .population_order
        .iter()
        .map(|&p| {
            let pop = &model.populations[p];
            let keeps = pop.serve_stale_share;
            let lost = 1.0 - keeps;
            let stale = if keeps > 0.0 {
                format!(
                    "; the {} of its clients whose resolvers serve stale answers (RFC 8767) keep the one \
                     they had",
                    percent(keeps)
                )
            } else {
                String::new()
            };
            let violators = if *violators_share > 0.0 {
                format!(
                    ", and {} once the {} of clients whose resolvers keep answers past their TTL have \
                     expired too (99% of all caches within {:.0} s of the failure)",
                    percent(lost),
                    percent(*violators_share),
                    almost_all
                )
            } else {
                String::new()
            };
            let what = format!(
                "every request of {name} resolves through the authoritative DNS once its client's cached \
                 answer expires, and every region stays healthy, so nothing fails over: while the caches \
                 hold nothing fails (ignorable for the first seconds), then the share that fails grows \
                 with the time since the failure, to {ramp} after one TTL ({ttl_s:.0} s){violators}{stale}",
                name = pop.name,
                ramp = percent(lost * after_ttl),
            );
            let (class, reason) = if lost > 1e-12 {
                (
                    Class::Cascading,
                    format!(
                        "{what}: stops {} of {}'s requests until it is repaired: cascading",
                        percent(lost),
                        pop.name
                    ),
                )
            } else {
                (Class::Ignorable, format!("{what}: ignorable"))
            };
            Impact {
                population: pop.name.clone(),
                class,
                blast_radius: lost,
                lost_until_repair: lost,
                utilisation: None,
                reason,
            }
        })
        .collect();
    Ok(Domain {
        kind: "dns layer".to_string(),
        name: "authoritative servers".to_string(),
        impacts,
        component: Some(Component::Dns),
        lost_after_caches: true,
    })
}

/// The cache age by which `share` of clients would have had to resolve again (bisection on the closed
/// form, which is monotone) \[s\].
fn age_reaching(follow: &Follow, share: f64) -> f64 {
    let (mut lo, mut hi) = (0.0, 1.0);
    while follow.moved_share(hi) < share && hi < 1e9 {
        hi *= 2.0;
    }
    for _ in 0..60 {
        let mid = 0.5 * (lo + hi);
        if follow.moved_share(mid) < share { lo = mid } else { hi = mid }
    }
    hi
}
