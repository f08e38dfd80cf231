//! The in-memory snapshot every public answer reads: the active providers and an R-tree of
//! their public points on the unit sphere, published atomically.

pub mod clusters;

use crate::model::{Category, LonLat, Provider, ProviderId};
use arc_swap::ArcSwap;
use rstar::RTree;
use rstar::primitives::GeomWithData;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use time::OffsetDateTime;

/// A point of the tree: unit-sphere xyz of a provider's public point, and its slot in `records`.
pub type TreePoint = GeomWithData<[f64; 3], u32>;

/// One immutable, consistent view of all active providers.
pub struct Snapshot {
    /// Increases with every publish; cursors carry it so a page never mixes two snapshots.
    pub version: u64,
    pub built_at: OffsetDateTime,
    /// Active providers sorted by id.
    pub records: Vec<Provider>,
    /// Each record's public point (the only point public answers may use), by slot.
    pub points: Vec<LonLat>,
    pub tree: RTree<TreePoint>,
    by_id: HashMap<ProviderId, u32>,
}

impl Snapshot {
    /// Builds a snapshot; inactive providers are dropped here, so nothing downstream sees them.
    pub fn build(version: u64, mut records: Vec<Provider>) -> Snapshot {
        records.retain(|p| p.data.status == crate::model::Status::Active);
        records.sort_by_key(|p| p.id);
        let points: Vec<LonLat> = records.iter().map(|p| p.data.public_point()).collect();
        let tree = RTree::bulk_load(
            points.iter().enumerate().map(|(slot, p)| TreePoint::new(p.to_xyz(), slot as u32)).collect(),
        );
        let by_id = records.iter().enumerate().map(|(slot, p)| (p.id, slot as u32)).collect();
        Snapshot { version, built_at: OffsetDateTime::now_utc(), records, points, tree, by_id }
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    pub fn slot_of(&self, id: ProviderId) -> Option<u32> {
        self.by_id.get(&id).copied()
    }

    /// Active providers per category.
    pub fn category_counts(&self) -> HashMap<Category, usize> {
        let mut counts = HashMap::new();
        for p in &self.records {
            for c in &p.data.categories {
                *counts.entry(*c).or_insert(0) += 1;
            }
        }
        counts
    }
}

/// The published snapshot. Readers `load()` one per request and never wait; writers build a
/// new snapshot off to the side and swap it in.
pub struct LiveIndex {
    current: ArcSwap<Snapshot>,
    next_version: AtomicU64,
}

impl LiveIndex {
    pub fn new(records: Vec<Provider>) -> LiveIndex {
        LiveIndex {
            current: ArcSwap::from_pointee(Snapshot::build(1, records)),
            next_version: AtomicU64::new(2),
        }
    }

    pub fn load(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    /// Builds a snapshot from `records` and publishes it; returns its version.
    pub fn publish(&self, records: Vec<Provider>) -> u64 {
        let version = self.next_version.fetch_add(1, Ordering::SeqCst);
        self.current.store(Arc::new(Snapshot::build(version, records)));
        version
    }
}
