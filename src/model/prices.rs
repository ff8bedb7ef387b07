//! Prices, resolved from the model and the shipped price table (docs/references.md#data-transfer-prices,
//! #route-53-and-edge-prices): what `analysis::cost` bills the physical usage of a run at.

use std::sync::OnceLock;

use crate::input::issue::{Issues, known};
use crate::input::spec::model::PricesSpec;
use crate::model::region::Region;

/// The largest price any field accepts [USD per unit]: a billion dollars an hour or per gigabyte is no
/// real price, and anything above it makes a month's bill overflow into infinities.
pub const MAX_PRICE_USD: f64 = 1e9;

/// Checks a price: finite, in [0, [`MAX_PRICE_USD`]]; the message says what is wrong.
pub fn check_price(v: f64) -> Result<f64, String> {
    if v.is_finite() && (0.0..=MAX_PRICE_USD).contains(&v) {
        Ok(v)
    } else {
        Err(format!(
            "must be a price between 0 and {MAX_PRICE_USD:e} USD (got {})",
            crate::input::issue::number(v)
        ))
    }
}

/// Internet egress when the table has no row for a region [USD/GB]: the first paid tier in us-east-1.
pub const DEFAULT_EGRESS_USD_PER_GB: f64 = 0.09;
/// Inter-region transfer when the table has no row [USD/GB]: the price from US and EU sources.
pub const DEFAULT_TRANSFER_USD_PER_GB: f64 = 0.02;

/// `(src, dst, USD/GB)` rows of the shipped 2022-23 transfer price table (data/README.md).
fn transfer_table() -> &'static [(String, String, f64)] {
    static TABLE: OnceLock<Vec<(String, String, f64)>> = OnceLock::new();
    TABLE.get_or_init(|| {
        include_str!("../../data/aws-transfer-2023.csv")
            .lines()
            .skip(1)
            .filter_map(|line| {
                let mut f = line.split(',');
                let (src, dst, cost) = (f.next()?, f.next()?, f.next()?.trim().parse().ok()?);
                Some((src.to_string(), dst.to_string(), cost))
            })
            .collect()
    })
}

fn table_price(src: &str, dst: &str) -> Option<f64> {
    transfer_table().iter().find(|(s, d, _)| s == src && d == dst).map(|(_, _, c)| *c)
}

/// Prices other than instances', resolved.
#[derive(Debug, Clone)]
pub struct Prices {
    /// `transfer_usd_per_gb[a][b]`: out of region a into region b.
    pub transfer_usd_per_gb: Vec<Vec<f64>>,
    /// Out of each region to the internet.
    pub egress_usd_per_gb: Vec<f64>,
    /// `None`: the routing policy's Route 53 price.
    pub dns_usd_per_million_queries: Option<f64>,
    /// One health check, per region endpoint [USD/month].
    pub health_check_usd_per_month: f64,
    /// What an hour of unavailability (time, traffic-weighted) costs the business [USD/h].
    pub downtime_usd_per_hour: f64,
}

impl Prices {
    /// Resolves the model's `prices` for `regions`, with the defaults of docs/references.md#cost-defaults for
    /// what it leaves out; `fast_checks` (a health-check interval under 30 s) adds the fast-check surcharge.
    /// Every problem is pushed onto `issues`.
    pub fn resolve(
        spec: Option<&PricesSpec>,
        regions: &[Region],
        fast_checks: bool,
        issues: &mut Issues,
    ) -> Prices {
        let default = PricesSpec::default();
        let spec = spec.unwrap_or(&default);
        fn check(issues: &mut Issues, path: &str, v: f64) -> f64 {
            if let Err(message) = check_price(v) {
                issues.push(format!("prices.{path}"), message);
            }
            v
        }
        for (name, &v) in &spec.transfer_usd_per_gb {
            check(issues, &format!("transfer_usd_per_gb[{name}]"), v);
            if !regions.iter().any(|r| &r.name == name) {
                issues.push(
                    format!("prices.transfer_usd_per_gb[{name}]"),
                    format!(
                        "unknown region '{name}'; known: {}",
                        known(regions.iter().map(|r| r.name.as_str()))
                    ),
                );
            }
        }
        let transfer = regions
            .iter()
            .map(|a| {
                regions
                    .iter()
                    .map(|b| match spec.transfer_usd_per_gb.get(&a.name) {
                        Some(&v) => v,
                        None => table_price(&a.name, &b.name).unwrap_or(DEFAULT_TRANSFER_USD_PER_GB),
                    })
                    .collect()
            })
            .collect();
        let egress = regions
            .iter()
            .map(|r| {
                spec.internet_egress_usd_per_gb
                    .unwrap_or_else(|| table_price(&r.name, "internet").unwrap_or(DEFAULT_EGRESS_USD_PER_GB))
            })
            .collect::<Vec<_>>();
        if let Some(v) = spec.internet_egress_usd_per_gb {
            check(issues, "internet_egress_usd_per_gb", v);
        }
        let dns = spec.dns_usd_per_million_queries.map(|v| check(issues, "dns_usd_per_million_queries", v));
        // Route 53: a basic health check of an AWS endpoint $0.50/month, the fast 10 s interval $1.00 more.
        let health = check(
            issues,
            "health_check_usd_per_month",
            spec.health_check_usd_per_month.unwrap_or(if fast_checks { 1.50 } else { 0.50 }),
        );
        let downtime = check(issues, "downtime_usd_per_hour", spec.downtime_usd_per_hour.unwrap_or(0.0));
        Prices {
            transfer_usd_per_gb: transfer,
            egress_usd_per_gb: egress,
            dns_usd_per_million_queries: dns,
            health_check_usd_per_month: health,
            downtime_usd_per_hour: downtime,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_has_the_published_prices() {
        // us-east-1 -> us-east-2 $0.01/GB, US sources $0.02 to other regions, egress $0.09
        // (docs/references.md#data-transfer-prices).
        assert_eq!(table_price("us-east-1", "us-east-2"), Some(0.01));
        assert_eq!(table_price("us-east-1", "eu-west-1"), Some(0.02));
        assert_eq!(table_price("us-east-1", "internet"), Some(0.09));
    }
}
