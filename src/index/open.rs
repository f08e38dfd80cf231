//! Who is open at an instant, and an R-tree of just those providers.
//!
//! Every provider's state at an instant comes down to its schedule's (`hours::Table`), so the
//! open set of a minute is one flag per schedule, computed once per minute and shared. The
//! set only changes when some schedule opens or closes, and recurs (every weeknight has the
//! same one), so sets are kept by their flags. A nearest query with an open filter walks the
//! set's own tree when it is built: at night half the providers are closed, and walking the
//! whole tree would visit twice as many neighbours to find k open ones. The tree is built on a
//! background thread the second time a set is asked for (a one-off `open_at` never costs a
//! build), one build at a time; until it is ready, queries walk the whole tree and check the
//! flags, with the same answers.

use super::TreePoint;
use crate::hours::{self, UnixTime};
use rstar::RTree;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

/// Minutes whose open sets are remembered (a burst of open_now requests spans one or two).
const MINUTES_KEPT: usize = 8;
/// Distinct open sets kept, with their trees (about 32 bytes per open provider each).
const SETS_KEPT: usize = 2;

/// The providers open at some instant.
pub struct OpenSet {
    /// Per schedule id: open.
    open: Vec<bool>,
    /// The open providers' points, once built.
    tree: OnceLock<RTree<TreePoint>>,
    asked: AtomicU32,
    started: AtomicBool,
}

impl OpenSet {
    /// Whether providers of schedule `id` are open.
    pub fn has(&self, schedule: u32) -> bool {
        self.open[schedule as usize]
    }

    /// The tree of the open providers, if it is built yet.
    pub fn tree(&self) -> Option<&RTree<TreePoint>> {
        self.tree.get()
    }
}

/// A snapshot's open sets: by minute, and the distinct ones with their trees.
pub struct OpenSets {
    minutes: Mutex<Vec<(UnixTime, Arc<OpenSet>)>>,
    /// Most recently used last.
    sets: Mutex<Vec<Arc<OpenSet>>>,
    building: Arc<AtomicBool>,
    trees: AtomicBool,
}

impl OpenSets {
    pub fn new() -> OpenSets {
        OpenSets {
            minutes: Mutex::new(Vec::new()),
            sets: Mutex::new(Vec::new()),
            building: Arc::new(AtomicBool::new(false)),
            trees: AtomicBool::new(true),
        }
    }

    /// Whether sets get trees (on by default; off answers every open query by the flags alone,
    /// which benches use to measure that path).
    pub fn set_trees(&self, on: bool) {
        self.trees.store(on, Ordering::Relaxed);
    }

    /// The set open at `at`'s minute.
    pub fn at(&self, at: UnixTime, hours: &hours::Table) -> Arc<OpenSet> {
        let minute = at - at.rem_euclid(60);
        let known = {
            let minutes = self.minutes.lock().unwrap_or_else(PoisonError::into_inner);
            minutes.iter().find(|(m, _)| *m == minute).map(|(_, s)| s.clone())
        };
        known.unwrap_or_else(|| {
            // Outside the lock: out of the precomputed window this asks the crate per schedule.
            let open = hours.open_schedules(minute);
            let set = self.shared(open);
            let mut minutes = self.minutes.lock().unwrap_or_else(PoisonError::into_inner);
            if !minutes.iter().any(|(m, _)| *m == minute) {
                minutes.push((minute, set.clone()));
                if minutes.len() > MINUTES_KEPT {
                    minutes.remove(0);
                }
            }
            set
        })
    }

    /// Says a walk wants `set`'s tree: the second time, its build starts. `tree` and `hours`
    /// are the snapshot's.
    pub fn want_tree(&self, set: &Arc<OpenSet>, tree: &Arc<RTree<TreePoint>>, hours: &hours::Table) {
        if set.tree().is_none() && set.asked.fetch_add(1, Ordering::Relaxed) >= 1 {
            self.build(set, tree, hours);
        }
    }

    /// The kept set with these flags, or a new one (kept, dropping the least recently used).
    fn shared(&self, open: Vec<bool>) -> Arc<OpenSet> {
        let mut sets = self.sets.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(i) = sets.iter().position(|s| s.open == open) {
            let set = sets.remove(i);
            sets.push(set.clone());
            return set;
        }
        let set = Arc::new(OpenSet {
            open,
            tree: OnceLock::new(),
            asked: AtomicU32::new(0),
            started: AtomicBool::new(false),
        });
        sets.push(set.clone());
        if sets.len() > SETS_KEPT {
            let dropped = sets.remove(0);
            // No minute may keep a dropped set (and its tree) alive.
            let mut minutes = self.minutes.lock().unwrap_or_else(PoisonError::into_inner);
            minutes.retain(|(_, s)| !Arc::ptr_eq(s, &dropped));
        }
        set
    }

    /// Starts building `set`'s tree in the background, unless trees are off, it is started
    /// already, or another build is running (it will be asked again).
    fn build(&self, set: &Arc<OpenSet>, tree: &Arc<RTree<TreePoint>>, hours: &hours::Table) {
        if !self.trees.load(Ordering::Relaxed) || set.started.load(Ordering::Relaxed) {
            return;
        }
        if self.building.swap(true, Ordering::AcqRel) {
            return;
        }
        if set.started.swap(true, Ordering::AcqRel) {
            self.building.store(false, Ordering::Release);
            return;
        }
        let (target, tree, of_slot, building) =
            (set.clone(), tree.clone(), hours.slot_schedules(), self.building.clone());
        let spawned = std::thread::Builder::new().name("open-tree".into()).spawn(move || {
            let built = build_tree(&tree, &of_slot, &target);
            let _ = target.tree.set(built);
            building.store(false, Ordering::Release);
        });
        if spawned.is_err() {
            // No thread: the flags still answer; let a later ask try again.
            set.started.store(false, Ordering::Release);
            self.building.store(false, Ordering::Release);
        }
    }
}

impl Default for OpenSets {
    fn default() -> Self {
        OpenSets::new()
    }
}

/// The points of `tree` whose schedule `set` has open, as a tree of their own.
pub fn build_tree(tree: &RTree<TreePoint>, of_slot: &[u32], set: &OpenSet) -> RTree<TreePoint> {
    RTree::bulk_load(tree.iter().filter(|p| set.has(of_slot[p.data as usize])).copied().collect())
}

/// Blocks until `set`'s tree is built (building it here if no build has started): for tests
/// and benches that compare the two paths.
pub fn wait_for_tree<'a>(
    set: &'a OpenSet,
    tree: &RTree<TreePoint>,
    hours: &hours::Table,
) -> &'a RTree<TreePoint> {
    if !set.started.swap(true, Ordering::AcqRel) {
        let _ = set.tree.set(build_tree(tree, &hours.slot_schedules(), set));
    }
    loop {
        if let Some(t) = set.tree.get() {
            return t;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}
