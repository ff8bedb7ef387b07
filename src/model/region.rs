//! Regions and their availability zones: the fault domains everything else is placed in.

use super::ids::{InstanceId, RegionId, ZoneId};

/// A named place (`us-east-1`) with its zones.
#[derive(Debug, Clone)]
pub struct Region {
    /// The region's name, e.g. `us-east-1`.
    pub name: String,
    /// Its availability zones.
    pub zones: Vec<ZoneId>,
    /// This region's index in [`crate::model::network::Network::locations`].
    pub location: usize,
}

/// An availability zone of a region, and the instances placed in it.
#[derive(Debug, Clone)]
pub struct Zone {
    /// The zone's name, e.g. `use1-az1`.
    pub name: String,
    /// The region it belongs to.
    pub region: RegionId,
    /// The instances placed in it, of every service.
    pub instances: Vec<InstanceId>,
}
