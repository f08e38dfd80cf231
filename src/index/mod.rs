//! The in-memory snapshot every public answer reads: the active providers, an R-tree of
//! their public points on the unit sphere and their clusters per zoom, published atomically.

pub mod clusters;
pub mod open;
pub mod postings;

use crate::hours;
use crate::model::{Category, LonLat, Provider, ProviderId};
use arc_swap::ArcSwap;
use clusters::{ClusterIndex, category_bits};
use open::{OpenSet, OpenSets};
use rstar::RTree;
use rstar::primitives::GeomWithData;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use time::OffsetDateTime;

/// A point of the tree: unit-sphere xyz of a provider's public point, and its slot in `records`.
pub type TreePoint = GeomWithData<[f64; 3], u32>;

/// One immutable, consistent view of all active providers.
pub struct Snapshot {
    /// The change sequence the records are current at (the same on every process sharing the
    /// database); cursors and cluster ids carry it so a page never mixes two snapshots.
    pub version: u64,
    pub built_at: OffsetDateTime,
    /// Active providers sorted by id.
    pub records: Vec<Provider>,
    /// Each record's public point (the only point public answers may use), by slot.
    pub points: Vec<LonLat>,
    /// Shared with background builds of open-now trees.
    pub tree: Arc<RTree<TreePoint>>,
    /// Each record's opening hours, compiled once per distinct schedule, by slot.
    pub hours: hours::Table,
    /// Clusters of every provider, per zoom.
    pub clusters: Arc<ClusterIndex>,
    /// Slots by category and by language, for rare filters.
    pub postings: postings::Postings,
    by_id: HashMap<ProviderId, u32>,
    /// Each record's categories as bits, for building filtered clusters.
    category_bits: Vec<u16>,
    /// Clusters of filtered subsets, made on first use; most recently used last.
    filtered: Mutex<Vec<(String, Lazy)>>,
    /// Who is open at the instants asked about, with trees of their own.
    open: OpenSets,
}

/// A cluster index built by the first request that needs it.
type Lazy = Arc<OnceLock<Arc<ClusterIndex>>>;

/// Filtered cluster indexes a snapshot keeps at most...
const FILTERED_KEPT: usize = 16;
/// ...and while the providers they hold add up to at most this many times the snapshot's.
const FILTERED_KEPT_SIZE: usize = 2;

impl Snapshot {
    /// Builds a snapshot; inactive providers are dropped here, so nothing downstream sees them.
    pub fn build(version: u64, mut records: Vec<Provider>) -> Snapshot {
        records.retain(|p| p.data.status == crate::model::Status::Active);
        // A confidential record without a stored public point is never shown anywhere, rather
        // than near its door (the store gives every one a point; this is the last line).
        let before = records.len();
        records.retain(|p| p.public_point().is_some());
        if records.len() < before {
            tracing::error!(
                left_out = before - records.len(),
                "confidential providers without a public point"
            );
        }
        records.sort_by_key(|p| p.id);
        let points: Vec<LonLat> = records.iter().filter_map(Provider::public_point).collect();
        let tree = Arc::new(RTree::bulk_load(
            points.iter().enumerate().map(|(slot, p)| TreePoint::new(p.to_xyz(), slot as u32)).collect(),
        ));
        let postings = postings::Postings::build(&records);
        let by_id = records.iter().enumerate().map(|(slot, p)| (p.id, slot as u32)).collect();
        let category_bits: Vec<u16> = records.iter().map(|p| category_bits(&p.data.categories)).collect();
        let clusters = Arc::new(ClusterIndex::build(&points, &category_bits, 0..records.len() as u32));
        let built_at = OffsetDateTime::now_utc();
        // Zones from the public points, like every other decision of the snapshot.
        let hours = hours::Table::build(&records, &points, built_at.unix_timestamp());
        Snapshot {
            version,
            built_at,
            records,
            points,
            tree,
            hours,
            clusters,
            postings,
            by_id,
            category_bits,
            filtered: Mutex::new(Vec::new()),
            open: OpenSets::new(),
        }
    }

    /// The providers open at `at` (to the minute).
    pub fn open_at(&self, at: hours::UnixTime) -> Arc<OpenSet> {
        self.open.at(at, &self.hours)
    }

    /// The providers open at `at`, for a walk that would use their own tree: it is built
    /// (in the background) once the same set is wanted again.
    pub fn open_at_with_tree(&self, at: hours::UnixTime) -> Arc<OpenSet> {
        let set = self.open.at(at, &self.hours);
        self.open.want_tree(&set, &self.tree, &self.hours);
        set
    }

    /// Blocks until the tree of the providers open at `at` is built (tests and benches).
    pub fn wait_for_open_tree(&self, at: hours::UnixTime) -> Arc<OpenSet> {
        let set = self.open_at(at);
        open::wait_for_tree(&set, &self.tree, &self.hours);
        set
    }

    /// Turns open-now trees on or off (benches measure the path without them).
    pub fn set_open_trees(&self, on: bool) {
        self.open.set_trees(on);
    }

    /// The clusters of the providers whose slots `keep` accepts, `key` naming that subset ("" for
    /// all).
    /// Built on first use (callers waiting for the same key share one build) and kept for
    /// later requests while the kept ones stay small.
    pub fn clusters_where(&self, key: &str, keep: impl Fn(u32) -> bool) -> Arc<ClusterIndex> {
        if key.is_empty() {
            return self.clusters.clone();
        }
        let cell = {
            let mut kept = self.filtered.lock().unwrap_or_else(PoisonError::into_inner);
            let entry = match kept.iter().position(|(k, _)| k == key) {
                Some(i) => kept.remove(i),
                None => (key.to_string(), Arc::new(OnceLock::new())),
            };
            kept.push(entry.clone());
            entry.1
        };
        let index = cell
            .get_or_init(|| {
                let slots = (0..self.records.len() as u32).filter(|s| keep(*s));
                Arc::new(ClusterIndex::build(&self.points, &self.category_bits, slots))
            })
            .clone();
        let mut kept = self.filtered.lock().unwrap_or_else(PoisonError::into_inner);
        let size = |kept: &[(String, Lazy)]| -> usize {
            kept.iter().filter_map(|(_, c)| c.get()).map(|c| c.len()).sum()
        };
        while kept.len() > 1
            && (kept.len() > FILTERED_KEPT || size(&kept) > FILTERED_KEPT_SIZE * self.records.len().max(1))
        {
            kept.remove(0);
        }
        index
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
    /// Held while a snapshot is built and swapped, so versions are published in order.
    publishing: Mutex<()>,
}

impl LiveIndex {
    /// `version` is the change sequence the records are current at.
    pub fn new(version: u64, records: Vec<Provider>) -> LiveIndex {
        LiveIndex {
            current: ArcSwap::from_pointee(Snapshot::build(version, records)),
            publishing: Mutex::new(()),
        }
    }

    pub fn load(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    /// The version readers see now.
    pub fn version(&self) -> u64 {
        self.current.load().version
    }

    /// Builds the snapshot of change `version` from `load()` and publishes it, unless the
    /// published one is already that new. Returns whether it published. `load` runs under the
    /// publishing lock, so two callers never swap an older snapshot over a newer one.
    pub fn publish_if_newer<E>(
        &self,
        version: u64,
        load: impl FnOnce() -> Result<(u64, Vec<Provider>), E>,
    ) -> Result<bool, E> {
        let _publishing = self.publishing.lock().unwrap_or_else(PoisonError::into_inner);
        if version <= self.version() {
            return Ok(false);
        }
        let (version, records) = load()?;
        if version <= self.version() {
            return Ok(false);
        }
        self.current.store(Arc::new(Snapshot::build(version, records)));
        Ok(true)
    }
}
