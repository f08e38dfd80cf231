//! Pure answers over one snapshot. Every distance, order and containment decision uses the
//! providers' public points (`Snapshot::points`), never a confidential exact location.

mod area;
mod envelope;
mod filters;
mod request;
mod walk;

pub use area::{Area, AreaError};
pub use filters::{Filters, Matcher};
pub use request::{Near, Region, Search, Within, in_region};

use crate::index::clusters::ClusterIndex;
use crate::index::{Snapshot, TreePoint};
use crate::model::{LonLat, chord2_for_distance_m};
use rstar::RTree;

/// What one step of a nearest walk costs, in checks of a candidate from a posting list.
const WALK_STEP_COST: usize = 16;

#[cfg(test)]
thread_local! {
    /// Entries a nearest query looked at on this thread (tree steps and candidates checked).
    static VISITED: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// Counts one entry looked at, in tests (which bound the work a filtered walk can do).
#[inline(always)]
fn visit() {
    #[cfg(test)]
    VISITED.with(|v| v.set(v.get() + 1));
}

/// One provider in an answer: its slot in the snapshot and, for point queries, its distance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    pub slot: u32,
    pub distance_m: Option<f64>,
}

pub use envelope::BBox as BoundingBox;

/// Loosens a chord² bound so float rounding never drops a provider that haversine keeps.
fn loosen(chord2: f64) -> f64 {
    chord2 * (1.0 + 1e-9) + 1e-15
}

/// Distances are answered to 0.1 m. Ordering uses the same rounded value, so two providers a
/// caller sees at equal distances are always in id order (float noise such as lon 180 vs -180,
/// or longitude at a pole, never decides).
fn shown(distance_m: f64) -> f64 {
    (distance_m * 10.0).round() / 10.0
}

/// Sorts by distance, then by id (slots are in id order), so ties are stable.
fn sort_by_distance(hits: &mut [Hit]) {
    hits.sort_by(|a, b| {
        a.distance_m.unwrap_or(0.0).total_cmp(&b.distance_m.unwrap_or(0.0)).then(a.slot.cmp(&b.slot))
    });
}

/// The `k` providers nearest to `origin` that pass `filters`, optionally within `max_distance_m`,
/// nearest first (ties by id).
pub fn nearest(
    snap: &Snapshot,
    origin: LonLat,
    k: usize,
    max_distance_m: Option<f64>,
    filters: &Filters,
) -> Vec<Hit> {
    if k == 0 {
        return Vec::new();
    }
    // Every provider a category or language filter can match: how many at most, and the name
    // their own tree is kept under.
    let candidates = filters.candidate_set(snap);
    let candidate_tree =
        |key: &str| snap.candidate_tree(key, || filters.candidates(snap).unwrap_or_default());
    let walk_all = |tree: &RTree<TreePoint>, matcher: &Matcher| {
        nearest_in(snap, tree, origin, k, max_distance_m, usize::MAX, |s| matcher.matches(s))
            .unwrap_or_default()
    };
    // A rare filter: a tree of just the providers it can match, built by its first query (which
    // costs about what checking each of them once would) and kept for the next ones.
    if let Some((c, key)) = &candidates
        && filters::scan_beats_walk(*c, k, snap.len())
    {
        return walk_all(&candidate_tree(key), &filters.matcher(snap));
    }
    // Otherwise a walk, which a filter whose providers are all far away (Gujarati near Delhi)
    // would run over most of the tree: it gives up after stepping over a sixteenth as many
    // entries as the filter has candidates (a step of the walk costs about 16 checks of a
    // candidate, measured at 1M), and walks a tree of just the candidates instead.
    let budget = candidates.as_ref().map_or(usize::MAX, |(c, _)| c / WALK_STEP_COST);
    let matcher = filters.nearest_matcher(snap);
    // Once a far query has built the candidates' own tree, every query of that filter walks
    // it: it holds every provider the filter can match and nothing else.
    if let Some(tree) = candidates.as_ref().and_then(|(_, key)| snap.built_candidate_tree(key)) {
        return walk_all(&tree, &matcher);
    }
    // With an open filter, the tree of just the open providers when it is built: the same
    // answers, without stepping over the closed ones.
    let walked = match matcher.open_tree() {
        Some(open) => {
            nearest_in(snap, open, origin, k, max_distance_m, budget, |s| matcher.matches_besides_open(s))
        }
        None => nearest_in(snap, &snap.tree, origin, k, max_distance_m, budget, |s| matcher.matches(s)),
    };
    walked.unwrap_or_else(|| match &candidates {
        // A walk gives up only with a budget, so only with candidates.
        Some((_, key)) => walk_all(&candidate_tree(key), &matcher),
        None => Vec::new(),
    })
}

/// `nearest` over `tree` (the snapshot's or a subset's), keeping the slots `keep` accepts;
/// `None` once it has stepped over more than `budget` entries.
fn nearest_in(
    snap: &Snapshot,
    tree: &RTree<TreePoint>,
    origin: LonLat,
    k: usize,
    max_distance_m: Option<f64>,
    budget: usize,
    keep: impl Fn(u32) -> bool,
) -> Option<Vec<Hit>> {
    let max_chord2 = max_distance_m.map_or(f64::INFINITY, |m| loosen(chord2_for_distance_m(m)));
    let found = walk::k_nearest(tree, origin.to_xyz(), k, max_chord2, budget, keep).ok()?;
    let from = origin.distances();
    let mut hits: Vec<Hit> = found
        .into_iter()
        .filter_map(|(_, slot)| {
            let d = from.to(snap.points[slot as usize]);
            max_distance_m.is_none_or(|m| d <= m).then_some(Hit { slot, distance_m: Some(shown(d)) })
        })
        .collect();
    sort_by_distance(&mut hits);
    hits.truncate(k);
    Some(hits)
}

/// The clusters of the providers `filters` accept (built on first use for a filter).
pub fn clusters(snap: &Snapshot, filters: &Filters) -> std::sync::Arc<ClusterIndex> {
    let matcher = filters.matcher(snap);
    snap.clusters_where(&filters.key(), |slot| matcher.matches(slot))
}

/// Every provider within `radius_m` of `origin` that passes `filters`, nearest first.
pub fn within(snap: &Snapshot, origin: LonLat, radius_m: f64, filters: &Filters) -> Vec<Hit> {
    let q = origin.to_xyz();
    let matcher = filters.matcher(snap);
    let from = origin.distances();
    let mut hits: Vec<Hit> = snap
        .tree
        .locate_within_distance(q, loosen(chord2_for_distance_m(radius_m)))
        .filter(|p| matcher.matches(p.data))
        .filter_map(|p| {
            let d = from.to(snap.points[p.data as usize]);
            (d <= radius_m).then_some(Hit { slot: p.data, distance_m: Some(shown(d)) })
        })
        .collect();
    sort_by_distance(&mut hits);
    hits
}

fn finish_by_id(snap: &Snapshot, mut slots: Vec<u32>, filters: &Filters) -> Vec<Hit> {
    slots.sort_unstable();
    slots.dedup();
    let matcher = filters.matcher(snap);
    slots.into_iter().filter(|s| matcher.matches(*s)).map(|slot| Hit { slot, distance_m: None }).collect()
}

#[cfg(test)]
mod tests;
