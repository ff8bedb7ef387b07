//! What can fail: every component a failure process or an outage can take down, named for reports.

use crate::model::architecture::Model;

/// A component that can fail.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Component {
    /// An instance: an index into [`Model::instances`].
    Instance(u32),
    /// An availability zone, with every instance in it: an index into [`Model::zones`].
    Zone(u32),
    /// A whole region, with every zone in it: an index into [`Model::regions`].
    Region(u32),
    /// A store's copy: an index into [`Model::store_copies`].
    Store(u32),
    /// The network between two regions.
    Link(LinkId),
    /// A region's control plane (an index into [`Model::regions`]): while down, no scale-up or provisioning
    /// completes there.
    ControlPlane(u32),
    /// A dependency's copy in a region (the region staying up).
    Dependency(DependencyCopy),
    /// A population's CDN edge (an index into [`Model::populations`], of one with a `cdn`): while down,
    /// its requests fail at the edge (docs/architecture.md#cdn).
    Cdn(u32),
    /// The model's DNS layer: the authoritative servers of its `Dns` steering. While down, clients
    /// whose cached answer has expired cannot resolve (docs/architecture.md#dns-layer).
    Dns,
}

/// A dependency's copy: the dependency (an index into [`Model::dependencies`]) and the region of the copy
/// (its home for a `Global` one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DependencyCopy {
    /// The dependency.
    pub dependency: u32,
    /// The region the copy is in.
    pub region: u32,
}

impl DependencyCopy {
    /// Its index among the `dependencies × regions` pairs.
    pub fn index(self, regions: usize) -> usize {
        self.dependency as usize * regions + self.region as usize
    }
}

/// The network between two distinct regions, `a < b` (so each pair has one id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LinkId {
    /// The region of lower index.
    pub a: u32,
    /// The region of higher index.
    pub b: u32,
}

impl LinkId {
    /// The link between regions `x` and `y`, in either order.
    pub fn between(x: usize, y: usize) -> LinkId {
        LinkId { a: x.min(y) as u32, b: x.max(y) as u32 }
    }

    /// Its index among the `regions × regions` pairs.
    pub fn index(self, regions: usize) -> usize {
        self.a as usize * regions + self.b as usize
    }
}

impl Component {
    /// A stable name: random streams are keyed by it, so designs that share it share failure times.
    pub fn name(self, model: &Model) -> String {
        match self {
            Component::Instance(i) => format!("instance:{}", model.instances[i as usize].name),
            Component::Zone(z) => format!("zone:{}", model.zones[z as usize].name),
            Component::Region(r) => format!("region:{}", model.regions[r as usize].name),
            Component::Store(c) => {
                let (store, region) = model.store_copies[c as usize];
                format!("store:{}@{}", model.stores[store].name, model.regions[region].name)
            }
            Component::Link(l) => {
                format!("link:{}/{}", model.regions[l.a as usize].name, model.regions[l.b as usize].name)
            }
            Component::ControlPlane(r) => format!("control-plane:{}", model.regions[r as usize].name),
            Component::Dependency(c) => format!(
                "dependency:{}@{}",
                model.dependencies[c.dependency as usize].name, model.regions[c.region as usize].name
            ),
            Component::Cdn(p) => format!("cdn:{}", model.populations[p as usize].name),
            Component::Dns => "dns:authoritative".to_string(),
        }
    }

    /// The link between two distinct regions.
    pub fn link(a: usize, b: usize) -> Component {
        Component::Link(LinkId::between(a, b))
    }
}
