//! The in-memory snapshot every public answer reads: the active providers, an R-tree of
//! their public points on the unit sphere and their clusters per zoom, published atomically.

pub mod clusters;
mod kept;
pub mod open;
pub mod postings;
pub mod records;
pub mod saved;

use crate::hours;
use crate::model::{Category, LonLat, Provider, ProviderId, Status};
use arc_swap::ArcSwap;
use clusters::ClusterIndex;
use kept::Kept;
use open::{OpenSet, OpenSets};
use records::{Packer, Record, Records, View};
use rstar::RTree;
use rstar::primitives::GeomWithData;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, Weak};
use time::OffsetDateTime;

/// A point of the tree: unit-sphere xyz of a provider's public point, and its slot in `records`.
pub type TreePoint = GeomWithData<[f64; 3], u32>;

/// One immutable, consistent view of all active providers.
pub struct Snapshot {
    /// The change sequence the records are current at (the same on every process sharing the
    /// database); cursors and cluster ids carry it so a page never mixes two snapshots.
    pub version: u64,
    pub built_at: OffsetDateTime,
    /// Active providers sorted by id, packed; shared with the snapshots later small changes make.
    pub records: Records,
    /// Each record's public point (the only point public answers may use), by slot.
    pub points: Arc<[LonLat]>,
    /// Shared with background builds of open-now trees.
    pub tree: Arc<RTree<TreePoint>>,
    /// Each record's opening hours, compiled once per distinct schedule, by slot.
    pub hours: hours::Table,
    /// Clusters of every provider, per zoom: built on a thread of their own once the
    /// snapshot is made, so a change is in every other answer before its clusters are done.
    clusters: Arc<OnceLock<Arc<ClusterIndex>>>,
    /// Slots by category and by language, for rare filters.
    pub postings: postings::Postings,
    /// Each record's categories as bits, for building clusters.
    category_bits: Arc<[u16]>,
    /// Clusters of filtered subsets, made on first use.
    filtered: Kept<ClusterIndex>,
    /// Who is open at the instants asked about, with trees of their own.
    open: OpenSets,
    /// Trees of the providers in some posting lists, for rare filters and filters whose
    /// providers are far from where they are asked about.
    candidate_trees: Kept<RTree<TreePoint>>,
}

/// Candidate trees a snapshot keeps at most, while together they hold at most half its
/// providers (32 bytes each).
const CANDIDATE_TREES_KEPT: usize = 4;

/// Filtered cluster indexes a snapshot keeps at most...
const FILTERED_KEPT: usize = 16;
/// ...and while the providers they hold add up to at most this many times the snapshot's.
const FILTERED_KEPT_SIZE: usize = 2;
/// A change of more than this share of the records rebuilds the tree rather than editing a
/// copy of the previous one (a bulk load of 1M points takes about a second; an edit, microseconds).
const TREE_EDIT_SHARE: usize = 16;

/// What a snapshot built from a previous one keeps of it.
struct Previous<'a> {
    snap: &'a Snapshot,
    /// Per new slot: the previous slot of an unchanged record, `None` for a new or changed one.
    kept: &'a [Option<u32>],
    /// Per previous slot: its new slot, `None` for a record gone or changed.
    new_slot: &'a [Option<u32>],
}

/// Whether a record is in a snapshot, with the point it is shown at: active, and with a public
/// point. A confidential record without a stored public point is never shown anywhere, rather
/// than near its door (the store gives every one a point; this is the last line).
fn shown(p: &Provider) -> Option<LonLat> {
    (p.data.status == Status::Active).then(|| p.public_point()).flatten()
}

fn log_left_out(left_out: usize) {
    if left_out > 0 {
        tracing::error!(left_out, "confidential providers without a public point");
    }
}

/// The providers of a new snapshot, packed as they are read; inactive providers are dropped
/// here, so nothing downstream sees them.
#[derive(Default)]
pub struct Loader {
    packer: Packer,
    records: Vec<Record>,
    points: Vec<LonLat>,
    left_out: usize,
}

impl Loader {
    /// A loader for about `n` providers: its lists are made that long at once, not grown by
    /// doubling (each growth copied every record and left the old copy to the allocator).
    pub fn with_capacity(n: usize) -> Loader {
        Loader { records: Vec::with_capacity(n), points: Vec::with_capacity(n), ..Loader::default() }
    }

    pub fn push(&mut self, p: Provider) {
        match shown(&p) {
            Some(at) => {
                self.records.push(self.packer.pack(&p));
                self.points.push(at);
            }
            // Active but not shown: confidential without a public point.
            None => self.left_out += usize::from(p.data.status == Status::Active),
        }
    }
}

/// Records and points with a change applied, and how their slots map to the earlier ones'.
struct Merged {
    records: Records,
    points: Vec<LonLat>,
    /// Per new slot: the earlier slot of an unchanged record, `None` for a new or changed one.
    kept: Vec<Option<u32>>,
    /// Per earlier slot: its new slot, `None` for a record gone or changed.
    new_slot: Vec<Option<u32>>,
}

impl Merged {
    /// `before` (with `points_before`, by slot) with `changed` applied: every provider written
    /// since, any status.
    fn of(before: &Records, points_before: &[LonLat], mut changed: Vec<Provider>) -> Merged {
        // A record written twice counts as its last write.
        changed.reverse();
        changed.sort_by_key(|p| p.id);
        changed.dedup_by_key(|p| p.id);
        let n = before.len();
        let mut items = Vec::with_capacity(n + changed.len());
        let mut points = Vec::with_capacity(n + changed.len());
        let mut kept = Vec::with_capacity(n + changed.len());
        let mut new_slot = vec![None; n];
        let mut old = 0;
        let mut editor = before.edit();
        let mut keep_until = |id: Option<ProviderId>,
                              editor: &mut records::Editor,
                              items: &mut Vec<_>,
                              points: &mut Vec<_>,
                              kept: &mut Vec<_>| {
            while old < n && id.is_none_or(|id| before.id(old) < id) {
                new_slot[old] = Some(items.len() as u32);
                kept.push(Some(old as u32));
                items.push(editor.shared(old));
                points.push(points_before[old]);
                old += 1;
            }
            // The changed record replaces its old self, or leaves.
            if id.is_some_and(|id| old < n && before.id(old) == id) {
                editor.drop(old);
                old += 1;
            }
        };
        let mut not_shown = 0;
        for p in changed {
            keep_until(Some(p.id), &mut editor, &mut items, &mut points, &mut kept);
            match shown(&p) {
                Some(at) => {
                    kept.push(None);
                    items.push(editor.pack(&p));
                    points.push(at);
                }
                None => not_shown += usize::from(p.data.status == Status::Active),
            }
        }
        keep_until(None, &mut editor, &mut items, &mut points, &mut kept);
        log_left_out(not_shown);
        Merged { records: editor.finish(items), points, kept, new_slot }
    }
}

impl Snapshot {
    /// Builds a snapshot of `providers` (any order, any status).
    pub fn build(version: u64, providers: impl IntoIterator<Item = Provider>) -> Snapshot {
        let providers = providers.into_iter();
        let mut loader = Loader::with_capacity(providers.size_hint().0);
        providers.for_each(|p| loader.push(p));
        Snapshot::load(version, loader)
    }

    /// Builds the snapshot of what `loader` read (the store gives them in id order; anything
    /// else is put in it here).
    pub fn load(version: u64, loader: Loader) -> Snapshot {
        log_left_out(loader.left_out);
        let Loader { packer, mut records, mut points, .. } = loader;
        if !records.is_sorted_by_key(Record::id) {
            let mut order: Vec<usize> = (0..records.len()).collect();
            order.sort_by_key(|&i| records[i].id());
            records = order.iter().map(|&i| records[i].clone()).collect();
            points = order.iter().map(|&i| points[i]).collect();
        }
        Snapshot::assemble(version, packer.finish(records), points, None)
    }

    /// The snapshot of records read back from a file (`saved`) with `changed` (every provider
    /// written since, any status) applied, current at change `version`: built once, as a
    /// loaded one is.
    pub fn restore(saved: saved::Saved, version: u64, changed: Vec<Provider>) -> Snapshot {
        if changed.is_empty() {
            return Snapshot::assemble(version, saved.records, saved.points, None);
        }
        let merged = Merged::of(&saved.records, &saved.points, changed);
        Snapshot::assemble(version, merged.records, merged.points, None)
    }

    /// The snapshot of change `version`: this one with `changed` (every provider written since,
    /// any status) applied. Unchanged records keep what was worked out for them (tree entries,
    /// time zones, schedules, postings), so a small change costs a small part of a build.
    pub fn with_changes(&self, version: u64, changed: Vec<Provider>) -> Snapshot {
        let merged = Merged::of(&self.records, &self.points, changed);
        let previous = Previous { snap: self, kept: &merged.kept, new_slot: &merged.new_slot };
        Snapshot::assemble(version, merged.records, merged.points, Some(previous))
    }

    fn assemble(
        version: u64,
        records: Records,
        points: Vec<LonLat>,
        previous: Option<Previous<'_>>,
    ) -> Snapshot {
        let started = std::time::Instant::now();
        let added: Vec<(u32, View<'_>)> = match &previous {
            Some(prev) => prev
                .kept
                .iter()
                .enumerate()
                .filter(|(_, k)| k.is_none())
                .map(|(s, _)| (s as u32, records.get(s as u32)))
                .collect(),
            None => Vec::new(),
        };
        let points: Arc<[LonLat]> = points.into();
        let built_at = OffsetDateTime::now_utc();
        let n = records.len();
        // The hours table (time zones from points: loading the zone finder and looking up) and
        // the postings and category bits are made on threads of their own while the tree is
        // built or edited.
        let (tree, tree_done, hours, postings, category_bits) = std::thread::scope(|scope| {
            let hours = scope.spawn(|| {
                // Zones from the public points, like every other decision of the snapshot.
                let kept = previous.as_ref().map(|prev| (&prev.snap.hours, prev.kept));
                // A point the previous snapshot placed a provider with hours at has its zone.
                let known = |at: LonLat| {
                    let prev = previous.as_ref()?;
                    let xyz = at.to_xyz();
                    prev.snap.tree.locate_all_at_point(&xyz).find_map(|p| prev.snap.hours.zone(p.data))
                };
                let of = |slot: usize| records.get(slot as u32).hours_of();
                hours::Table::build_keeping(kept, known, n, of, &points, built_at.unix_timestamp())
            });
            let lists = scope.spawn(|| {
                let postings = match &previous {
                    Some(prev) => prev.snap.postings.renumbered(prev.new_slot, &added),
                    None => postings::Postings::build(&records),
                };
                // A kept record's bits are the previous snapshot's: reading a million records
                // again would miss the cache on each.
                let category_bits: Arc<[u16]> = match &previous {
                    Some(prev) => (0..records.len())
                        .map(|s| match prev.kept[s] {
                            Some(old) => prev.snap.category_bits[old as usize],
                            None => records.get(s as u32).category_bits(),
                        })
                        .collect(),
                    None => records.iter().map(View::category_bits).collect(),
                };
                (postings, category_bits)
            });
            // A small change edits a copy of the previous tree here, on the builder thread, whose
            // heap holds what the last copy freed. A new tree is bulk-loaded on a thread of its
            // own: its nodes then lie together in a fresh heap, and a nearest walk over them
            // runs a fifth faster (1.28 against 1.59 times raw rstar at 1M, same run).
            let tree = match &previous {
                Some(prev)
                    if (added.len() + prev.new_slot.iter().filter(|s| s.is_none()).count())
                        * TREE_EDIT_SHARE
                        <= prev.snap.len() =>
                {
                    edited_tree(prev, &added, &points)
                }
                _ => scope
                    .spawn(|| {
                        RTree::bulk_load(
                            points
                                .iter()
                                .enumerate()
                                .map(|(slot, p)| TreePoint::new(p.to_xyz(), slot as u32))
                                .collect(),
                        )
                    })
                    .join()
                    .unwrap_or_else(|e| std::panic::resume_unwind(e)),
            };
            let (tree, tree_done) = (Arc::new(tree), started.elapsed());
            let (postings, category_bits) = lists.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
            let hours = hours.join().unwrap_or_else(|e| std::panic::resume_unwind(e));
            (tree, tree_done, hours, postings, category_bits)
        });
        let clusters = clusters_in_background(points.clone(), category_bits.clone());
        tracing::debug!(
            version,
            providers = records.len(),
            changed = previous.as_ref().map(|_| added.len()),
            tree_ms = tree_done.as_millis() as u64,
            total_ms = started.elapsed().as_millis() as u64,
            "snapshot built"
        );
        Snapshot {
            version,
            built_at,
            records,
            points,
            tree,
            hours,
            clusters,
            postings,
            category_bits,
            filtered: Kept::new(FILTERED_KEPT, FILTERED_KEPT_SIZE * n.max(1), ClusterIndex::len),
            open: OpenSets::new(),
            candidate_trees: Kept::new(CANDIDATE_TREES_KEPT, n / 2, RTree::size),
        }
    }

    /// The first way `other` answers differently from this snapshot (records, points, tree,
    /// postings, categories, hours over the next year, clusters), or `None`: how tests show a
    /// snapshot made by `with_changes` equals one built from every row.
    #[doc(hidden)]
    pub fn difference(&self, other: &Snapshot) -> Option<String> {
        if self.len() != other.len() {
            return Some(format!("{} records, against {}", self.len(), other.len()));
        }
        if let Some(slot) = (0..self.len() as u32).find(|&s| self.records.get(s) != other.records.get(s)) {
            return Some(format!(
                "the records in slot {slot}: {:?}, against {:?}",
                self.records.get(slot).id(),
                other.records.get(slot).id()
            ));
        }
        if self.points != other.points {
            return Some("public points".into());
        }
        let entries = |s: &Snapshot| {
            let mut e: Vec<(u32, [u64; 3])> =
                s.tree.iter().map(|t| (t.data, t.geom().map(f64::to_bits))).collect();
            e.sort_unstable();
            e
        };
        if entries(self) != entries(other) {
            return Some("tree entries".into());
        }
        if self.postings != other.postings {
            return Some("postings".into());
        }
        if self.category_bits != other.category_bits {
            return Some("category bits".into());
        }
        let now = self.built_at.unix_timestamp();
        for at in [now, now + 5 * 3_600, now + 13 * 3_600, now + 3 * 86_400 + 7_200, now + 400 * 86_400] {
            for slot in 0..self.len() as u32 {
                if self.hours.state(slot, at) != other.hours.state(slot, at)
                    || self.hours.next_change(slot, at) != other.hours.next_change(slot, at)
                {
                    return Some(format!("the hours of slot {slot} at {at}"));
                }
            }
        }
        let (mine, theirs) = (self.clusters(), other.clusters());
        let level = |c: &ClusterIndex, zoom: u8| {
            let mut l: Vec<(u64, u64, u32)> =
                c.level(zoom).iter().map(|i| (i.xy()[0].to_bits(), i.xy()[1].to_bits(), i.count)).collect();
            l.sort_unstable();
            l
        };
        (0..=clusters::MAX_ZOOM)
            .find(|&z| level(&mine, z) != level(&theirs, z))
            .map(|z| format!("clusters at zoom {z}"))
    }

    /// What each structure of the snapshot holds on the heap, in bytes (allocator overhead
    /// aside; clusters once built): the parts of a server's memory that grow with providers.
    pub fn heap_bytes(&self) -> Vec<(&'static str, usize)> {
        fn nodes(parent: &rstar::ParentNode<TreePoint>) -> usize {
            let children = parent.children();
            size_of_val(children)
                + children
                    .iter()
                    .map(|c| match c {
                        rstar::RTreeNode::Parent(p) => nodes(p),
                        rstar::RTreeNode::Leaf(_) => 0,
                    })
                    .sum::<usize>()
        }
        vec![
            ("records", self.records.heap_bytes()),
            ("r-tree", nodes(self.tree.root())),
            ("points and category bits", self.len() * (size_of::<LonLat>() + size_of::<u16>())),
            ("postings", self.postings.heap_bytes()),
            ("hours", self.len() * size_of::<u32>()),
            ("clusters", self.clusters.get().map_or(0, |c| c.heap_bytes())),
        ]
    }

    /// The clusters of every provider: waits for the build the snapshot started, if it is
    /// still running (or builds them, if it never started).
    pub fn clusters(&self) -> Arc<ClusterIndex> {
        self.clusters
            .get_or_init(|| {
                Arc::new(ClusterIndex::build(&self.points, &self.category_bits, 0..self.len() as u32))
            })
            .clone()
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
            return self.clusters();
        }
        self.filtered.get_or_build(key, || {
            let slots = (0..self.len() as u32).filter(|s| keep(*s));
            ClusterIndex::build(&self.points, &self.category_bits, slots)
        })
    }

    /// The tree of the providers `candidates` lists, named `key`: built on first use and kept
    /// while the kept ones stay small. A walk of it finds a filter's nearest however far away
    /// they are.
    pub fn candidate_tree(&self, key: &str, candidates: impl FnOnce() -> Vec<u32>) -> Arc<RTree<TreePoint>> {
        self.candidate_trees.get_or_build(key, || {
            let slots = candidates();
            RTree::bulk_load(
                slots.iter().map(|&s| TreePoint::new(self.points[s as usize].to_xyz(), s)).collect(),
            )
        })
    }

    /// The candidate tree named `key`, if a query has built it (and it is still kept).
    pub fn built_candidate_tree(&self, key: &str) -> Option<Arc<RTree<TreePoint>>> {
        self.candidate_trees.get(key)
    }

    pub fn len(&self) -> usize {
        self.records.len()
    }

    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    pub fn slot_of(&self, id: ProviderId) -> Option<u32> {
        self.records.slot_of(id)
    }

    /// The record in `slot`.
    pub fn record(&self, slot: u32) -> View<'_> {
        self.records.get(slot)
    }

    /// Active providers per category.
    pub fn category_counts(&self) -> HashMap<Category, usize> {
        let mut counts = HashMap::new();
        for p in self.records.iter() {
            for c in p.categories() {
                *counts.entry(*c).or_insert(0) += 1;
            }
        }
        counts
    }
}

/// A copy of the previous snapshot's tree with the gone and changed records taken out, every
/// other entry renumbered to its new slot, and the new and changed records put in.
fn edited_tree(prev: &Previous<'_>, added: &[(u32, View<'_>)], points: &[LonLat]) -> RTree<TreePoint> {
    let mut tree = (*prev.snap.tree).clone();
    for (old, new) in prev.new_slot.iter().enumerate() {
        if new.is_none() {
            tree.remove(&TreePoint::new(prev.snap.points[old].to_xyz(), old as u32));
        }
    }
    for entry in tree.iter_mut() {
        if let Some(new) = prev.new_slot[entry.data as usize] {
            entry.data = new;
        }
    }
    for &(slot, _) in added {
        tree.insert(TreePoint::new(points[slot as usize].to_xyz(), slot));
    }
    tree
}

/// A snapshot's clusters waiting for the background builder.
struct ClusterJob {
    cell: Weak<OnceLock<Arc<ClusterIndex>>>,
    points: Arc<[LonLat]>,
    bits: Arc<[u16]>,
}

/// The newest snapshot's clusters to build; a newer snapshot replaces an older one's job.
static CLUSTER_JOB: Mutex<Option<ClusterJob>> = Mutex::new(None);
/// Whether the builder thread is running: one at a time in the process, so a burst of small
/// changes builds the clusters of the newest snapshot, not one build per change at once.
static CLUSTER_BUILDER: AtomicBool = AtomicBool::new(false);

/// Has the clusters of every provider built in the background; a request that needs them
/// first waits for that build, or runs it itself if the job was replaced by a newer
/// snapshot's (or the thread could not start). A snapshot dropped first is never built.
fn clusters_in_background(points: Arc<[LonLat]>, bits: Arc<[u16]>) -> Arc<OnceLock<Arc<ClusterIndex>>> {
    let cell = Arc::new(OnceLock::new());
    let job = ClusterJob { cell: Arc::downgrade(&cell), points, bits };
    *CLUSTER_JOB.lock().unwrap_or_else(PoisonError::into_inner) = Some(job);
    if !CLUSTER_BUILDER.swap(true, Ordering::AcqRel) {
        let spawned = std::thread::Builder::new().name("clusters".into()).spawn(build_cluster_jobs);
        if let Err(e) = spawned {
            CLUSTER_BUILDER.store(false, Ordering::Release);
            tracing::warn!(error = %e, "clusters will be built by the first request that needs them");
        }
    }
    cell
}

/// The builder thread: takes jobs until there are none.
fn build_cluster_jobs() {
    loop {
        let job = CLUSTER_JOB.lock().unwrap_or_else(PoisonError::into_inner).take();
        let Some(job) = job else {
            CLUSTER_BUILDER.store(false, Ordering::Release);
            // A job queued between the take and the store would wait for no builder.
            let queued = CLUSTER_JOB.lock().unwrap_or_else(PoisonError::into_inner).is_some();
            if queued && !CLUSTER_BUILDER.swap(true, Ordering::AcqRel) {
                continue;
            }
            return;
        };
        if let Some(cell) = job.cell.upgrade() {
            cell.get_or_init(|| {
                let index = ClusterIndex::build(&job.points, &job.bits, 0..job.points.len() as u32);
                tracing::debug!(
                    providers = index.len(),
                    heap_mb = index.heap_bytes() / 1_000_000,
                    "clusters built"
                );
                Arc::new(index)
            });
        }
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
    pub fn new(snapshot: Snapshot) -> LiveIndex {
        LiveIndex { current: ArcSwap::from_pointee(snapshot), publishing: Mutex::new(()) }
    }

    pub fn load(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    /// The version readers see now.
    pub fn version(&self) -> u64 {
        self.current.load().version
    }

    /// Builds the snapshot of change `version` from what `load` reads (given the published
    /// snapshot, to read only what changed since) and publishes it, unless the published one is
    /// already that new. Returns whether it published. `load` runs under the publishing lock, so
    /// two callers never swap an older snapshot over a newer one.
    pub fn publish_if_newer<E>(
        &self,
        version: u64,
        load: impl FnOnce(&Snapshot) -> Result<Loaded, E>,
    ) -> Result<bool, E> {
        let _publishing = self.publishing.lock().unwrap_or_else(PoisonError::into_inner);
        if version <= self.version() {
            return Ok(false);
        }
        let current = self.load();
        let next = match load(&current)? {
            Loaded::Everything(version, loader) if version > current.version => {
                on_builder(move || Snapshot::load(version, loader))
            }
            Loaded::Changes(version, rows) if version > current.version => {
                let base = current.clone();
                on_builder(move || base.with_changes(version, rows))
            }
            _ => return Ok(false),
        };
        self.current.store(Arc::new(next));
        Ok(true)
    }
}

/// Runs `build` on the one thread that builds snapshots, and waits for its result. A build
/// allocates a few hundred MB and frees the last snapshot's; in mimalloc, freed memory goes
/// back to the heap of the thread that allocated it, and that heap hands it out (or back to
/// the system) only when its thread allocates again. Built on whichever worker thread made a
/// change, every build left its predecessor's memory with a thread that might never build
/// again: at 1M, 20 edits took a server from 0.6 to 2.3 GB. On one thread, each build reuses it.
pub fn on_builder<T: Send + 'static>(build: impl FnOnce() -> T + Send + 'static) -> T {
    type Job = Box<dyn FnOnce() + Send>;
    static BUILDER: OnceLock<Option<Mutex<std::sync::mpsc::Sender<Job>>>> = OnceLock::new();
    let builder = BUILDER.get_or_init(|| {
        let (send, jobs) = std::sync::mpsc::channel::<Job>();
        let spawned = std::thread::Builder::new()
            .name("snapshots".into())
            .spawn(move || jobs.into_iter().for_each(|job| job()));
        spawned
            .map(|_| Mutex::new(send))
            .inspect_err(|e| tracing::warn!(error = %e, "snapshots are built where they are asked for"))
            .ok()
    });
    let (done, result) = std::sync::mpsc::sync_channel(1);
    let job: Job = Box::new(move || {
        let _ = done.send(std::panic::catch_unwind(std::panic::AssertUnwindSafe(build)));
    });
    let unsent = match builder {
        Some(b) => b.lock().unwrap_or_else(PoisonError::into_inner).send(job).err().map(|e| e.0),
        None => Some(job),
    };
    // No builder thread: build here.
    if let Some(job) = unsent {
        job();
    }
    match result.recv() {
        Ok(Ok(snapshot)) => snapshot,
        Ok(Err(panic)) => std::panic::resume_unwind(panic),
        Err(_) => unreachable!("a job always sends its result"),
    }
}

/// What a publisher read for the next snapshot, with the change sequence it is current at.
pub enum Loaded {
    /// Every active provider.
    Everything(u64, Loader),
    /// The providers (any status) written since the published snapshot's version.
    Changes(u64, Vec<Provider>),
}

#[cfg(test)]
mod tests;
