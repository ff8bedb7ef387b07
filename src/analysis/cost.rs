//! Cost in USD per month (730 h, docs/references.md#cost-defaults): the physical usage a replication
//! recorded (instance-seconds, bytes, writes, DNS queries, health checks, unavailable time), billed at the
//! model's prices after the simulation, so a results file can be re-priced without simulating again.

use serde::{Deserialize, Serialize};

use crate::model::architecture::Model;
use crate::sim::observation::Usage;

/// AWS's hours-per-month convention.
pub const HOURS_PER_MONTH: f64 = 730.0;

/// A monthly bill by kind [USD/month].
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct CostBreakdown {
    /// Instance-hours actually provisioned (standby and scale-ups included).
    pub compute: f64,
    /// Inter-region transfer: replication and cross-region calls.
    pub transfer: f64,
    /// Responses to clients over the internet: from the origin regions at their egress prices, or from
    /// a CDN's edges at its price per GB (docs/references.md#cloudfront-pricing).
    pub egress: f64,
    /// Health checks and DNS queries.
    pub dns: f64,
    /// Writes at primaries and replicated writes at replicas.
    pub store_writes: f64,
    /// Hours unavailable (time, traffic-weighted) × the model's downtime price.
    pub downtime: f64,
}

impl CostBreakdown {
    /// Components in stacking order (bottom first), with their legend names.
    pub fn components(&self) -> [(&'static str, f64); 6] {
        [
            ("compute", self.compute),
            ("inter-region transfer", self.transfer),
            ("internet egress", self.egress),
            ("DNS and health checks", self.dns),
            ("store writes", self.store_writes),
            ("downtime", self.downtime),
        ]
    }

    /// The whole bill [USD/month].
    pub fn total(&self) -> f64 {
        self.components().iter().map(|c| c.1).sum()
    }
}

/// What a replication's usage costs per month at the model's prices: each quantity scaled from the
/// observed window to a 730-hour month.
pub fn monthly(usage: &Usage, model: &Model) -> CostBreakdown {
    let observed_h = usage.observed_s / 3600.0;
    if observed_h <= 0.0 {
        return CostBreakdown::default();
    }
    let per_month = HOURS_PER_MONTH / observed_h;
    let gb = 1e-9;
    let compute: f64 = usage
        .instance_s
        .iter()
        .zip(&model.deployments)
        .map(|(s, d)| s / 3600.0 * model.services[d.service].price_usd_per_hour)
        .sum();
    let regions = model.regions.len();
    let transfer: f64 = usage
        .transfer_bytes
        .iter()
        .enumerate()
        .map(|(i, bytes)| bytes * gb * model.prices.transfer_usd_per_gb[i / regions][i % regions])
        .sum();
    let egress: f64 =
        usage.egress_bytes.iter().zip(&model.prices.egress_usd_per_gb).map(|(b, p)| b * gb * p).sum::<f64>()
            + edge_delivery(usage, model).0 / per_month;
    let store_writes: f64 = usage
        .writes
        .iter()
        .zip(&usage.replicated_writes)
        .zip(&model.stores)
        .map(|((w, r), s)| {
            (w * s.price_usd_per_million_writes + r * s.price_usd_per_million_replicated_writes) / 1e6
        })
        .sum();
    let dns_queries: f64 = usage
        .dns_queries
        .iter()
        .zip(&model.populations)
        .map(|(q, p)| {
            q / 1e6
                * model.prices.dns_usd_per_million_queries.unwrap_or(p.routing.query_price_usd_per_million())
        })
        .sum();
    // `+ 0.0` turns the -0.0 an empty sum gives into 0.0.
    CostBreakdown {
        compute: compute * per_month + 0.0,
        transfer: transfer * per_month + 0.0,
        egress: egress * per_month + 0.0,
        dns: dns_queries * per_month + usage.health_checks * model.prices.health_check_usd_per_month,
        store_writes: store_writes * per_month + 0.0,
        downtime: usage.unavailable_s / 3600.0 * per_month * model.prices.downtime_usd_per_hour,
    }
}

/// What CDN edges' deliveries cost per month at the CDN's prices, and what the same bytes would have
/// cost as the origin regions' internet egress (the egress the CDN saves: an AWS origin's transfer to
/// CloudFront is free, docs/references.md#cloudfront-pricing) [USD/month]. Zeros without a CDN.
pub fn edge_delivery(usage: &Usage, model: &Model) -> (f64, f64) {
    let observed_h = usage.observed_s / 3600.0;
    let regions = model.regions.len();
    if observed_h <= 0.0 || usage.cdn_bytes.len() != model.populations.len() * regions {
        return (0.0, 0.0);
    }
    let per_month = HOURS_PER_MONTH / observed_h;
    let (mut cdn, mut saved) = (0.0, 0.0);
    for (i, bytes) in usage.cdn_bytes.iter().enumerate() {
        let gb = bytes * 1e-9;
        cdn += gb * model.populations[i / regions].cdn.as_ref().map_or(0.0, |c| c.price_usd_per_gb);
        saved += gb * model.prices.egress_usd_per_gb[i % regions];
    }
    (cdn * per_month, saved * per_month)
}
