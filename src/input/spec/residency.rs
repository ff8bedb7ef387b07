//! A population's data residency as written: the regions its data may be served and stored in, and
//! what its requests do when none of them can serve (docs/architecture.md#residency).

use serde::{Deserialize, Serialize};

/// Where a population's data may be (docs/architecture.md#residency): its requests may be served only
/// by services and store copies in `regions`, and its writes are replicated only to copies there.
/// GDPR chapter V lets personal data leave the EEA only under its conditions, and contracts or sector
/// rules often forbid it outright (docs/references.md#data-residency).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResidencySpec {
    /// Names of the regions its data may be in; at least one.
    pub regions: Vec<String>,
    /// What a request does when it reaches a service, or needs a store copy, outside `regions`.
    /// Default `Fail`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub when_unavailable: Option<WhenUnavailableSpec>,
}

/// What a request of a population with data residency does outside its regions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum WhenUnavailableSpec {
    /// It fails (`residency`): the data never leaves the set, at the cost of availability. Its writes
    /// are replicated only to the copies in the set.
    Fail,
    /// It is served anyway, and counted as a residency violation (`residency_violations`); its writes
    /// are replicated to every copy, so that there is data to serve elsewhere.
    ServeElsewhere,
}
