//! Indices of the resolved model's components: each names a position in one of `Model`'s lists, which
//! are sorted by name (see `architecture`).

/// A region: an index into `Model::regions`.
pub type RegionId = usize;
/// An availability zone: an index into `Model::zones`.
pub type ZoneId = usize;
/// A service: an index into `Model::services`.
pub type ServiceId = usize;
/// One service's deployment in one region: an index into `Model::deployments`.
pub type DeploymentId = usize;
/// An instance: an index into `Model::instances`.
pub type InstanceId = usize;
/// A client population: an index into `Model::populations`.
pub type PopulationId = usize;
