//! Regions and their availability zones: the fault domains everything else is placed in.

use super::ids::{InstanceId, RegionId, ZoneId};

/// A named place (`us-east-1`) with its zones.
#[derive(Debug, Clone)]
pub struct Region {
    pub name: String,
    pub zones: Vec<ZoneId>,
    /// This region's index in [`crate::model::network::Network::locations`].
    pub location: usize,
}

/// An availability zone of a region, and the instances placed in it.
#[derive(Debug, Clone)]
pub struct Zone {
    pub name: String,
    pub region: RegionId,
    pub instances: Vec<InstanceId>,
}
