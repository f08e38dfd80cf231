//! The k-nearest walk over an R-tree: depth first, each node's children nearest first, never
//! into a node that lies beyond the k-th nearest kept entry found so far.
//!
//! rstar's nearest-neighbour iterator keeps every child of every node it opens in a binary heap,
//! and its pushes and pops were half the cost of a nearest query. Descending the nearest child
//! first finds k entries within a leaf or two, and their distance then rules out almost every
//! other node before it is opened. Distances here are chord² on the unit sphere (as the tree
//! holds its points); the caller works out metres for the few entries this returns.

use super::visit;
use crate::index::TreePoint;
use crate::model::EARTH_RADIUS_M;
use rstar::{ParentNode, PointDistance, RTree, RTreeNode};

/// Children whose distances fit on the stack; a node with more (rstar keeps at most 6) is
/// ordered in a `Vec`.
const ON_STACK: usize = 8;

/// Metres beyond the k-th nearest that are still collected: distances are answered to 0.1 m
/// and ties broken by id, so anything that may round to the k-th distance must be seen.
const TIE_MARGIN_M: f64 = 0.1;

/// The walk gave up after stepping over its budget of entries.
pub struct GaveUp;

/// The kept entries of `tree` that may be among the `k` nearest to `q` (a unit vector), as
/// (chord², slot): every kept entry within `max_chord2` whose distance is within
/// [`TIE_MARGIN_M`] of the k-th nearest kept one, nearest first. `GaveUp` once more than `budget`
/// entries within reach have been checked.
pub fn k_nearest(
    tree: &RTree<TreePoint>,
    q: [f64; 3],
    k: usize,
    max_chord2: f64,
    budget: usize,
    keep: impl Fn(u32) -> bool,
) -> Result<Vec<(f64, u32)>, GaveUp> {
    let mut walk = Walk {
        q,
        k,
        keep,
        found: Vec::with_capacity(2 * k + 2),
        cap: max_chord2,
        bound: max_chord2,
        stepped: 0,
        budget,
    };
    walk.descend(tree.root())?;
    Ok(walk.found)
}

struct Walk<K> {
    q: [f64; 3],
    k: usize,
    keep: K,
    /// Kept entries within `bound`, as (chord², slot).
    found: Vec<(f64, u32)>,
    /// The farthest any entry may be (the caller's maximum distance).
    cap: f64,
    /// Entries and nodes beyond this chord² cannot be among the k nearest kept ones.
    bound: f64,
    stepped: usize,
    budget: usize,
}

impl<K: Fn(u32) -> bool> Walk<K> {
    fn descend(&mut self, node: &ParentNode<TreePoint>) -> Result<(), GaveUp> {
        let children = node.children();
        let mut stack = [(0.0, 0usize); ON_STACK];
        let mut heap = Vec::new();
        let order: &mut [(f64, usize)] = if children.len() <= ON_STACK {
            &mut stack[..children.len()]
        } else {
            heap.resize(children.len(), (0.0, 0));
            &mut heap
        };
        let mut parents = 0;
        for (i, child) in children.iter().enumerate() {
            match child {
                RTreeNode::Leaf(point) => self.offer(point)?,
                RTreeNode::Parent(p) => {
                    order[parents] = (p.envelope().distance_2(&self.q), i);
                    parents += 1;
                }
            }
        }
        let order = &mut order[..parents];
        sort_children(order);
        for &(d2, i) in order.iter() {
            // The bound only shrinks, and the rest are farther still.
            if d2 > self.bound {
                break;
            }
            if let RTreeNode::Parent(p) = &children[i] {
                self.descend(p)?;
            }
        }
        Ok(())
    }

    fn offer(&mut self, point: &TreePoint) -> Result<(), GaveUp> {
        let d2 = point.distance_2(&self.q);
        if d2 > self.bound {
            return Ok(());
        }
        if self.stepped >= self.budget {
            return Err(GaveUp);
        }
        self.stepped += 1;
        visit();
        if (self.keep)(point.data) {
            let at = self.found.partition_point(|f| f.0 <= d2);
            self.found.insert(at, (d2, point.data));
            if self.found.len() >= self.k {
                self.tighten();
            }
        }
        Ok(())
    }

    /// Sets the bound to just past the k-th nearest find (`found` holds at least k, nearest
    /// first), and drops the finds beyond it.
    fn tighten(&mut self) {
        // A chord grows no faster than the arc: TIE_MARGIN_M more metres is at most
        // TIE_MARGIN_M / R more chord. Loosened so float rounding never drops a tie.
        let chord = self.found[self.k - 1].0.sqrt() + TIE_MARGIN_M / EARTH_RADIUS_M;
        self.bound = self.cap.min(super::loosen(chord * chord));
        while self.found.last().is_some_and(|f| f.0 > self.bound) {
            self.found.pop();
        }
    }
}

/// Sorts a node's children by distance: an insertion sort, as there are at most a handful and
/// no distance is NaN.
fn sort_children(order: &mut [(f64, usize)]) {
    for i in 1..order.len() {
        let mut j = i;
        while j > 0 && order[j - 1].0 > order[j].0 {
            order.swap(j - 1, j);
            j -= 1;
        }
    }
}
