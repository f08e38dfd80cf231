//! Hierarchical greedy clustering of public points for every zoom level 0–18 (the supercluster
//! approach): going from the most detailed level up, each item absorbs its unabsorbed
//! neighbours within a fixed screen radius, at their weighted centre; an item nothing joins is
//! carried up unchanged. Built once per snapshot (and per filter, on demand); answering a
//! viewport is then a box query on one level.
//!
//! Each level is a flat array kept in k-d order (as kdbush does): sorting by recursive median
//! split is the whole index, so a level costs 16 bytes per item and builds in one pass.
//!
//! The most detailed zooms (from [`DELTA_FROM`]) are not kept as levels: they hold nearly every
//! provider on its own (at 1M, 801k–953k items for 970k providers, 42 MB), so they are answered
//! from the leaf level and the few clusters made there, each item knowing the zooms it shows at.
//!
//! Memory is what limits a server (a million providers make about six million items), so
//! positions are fixed-point (`Fixed`: 2^-32 of the unit square, about 1 cm at the equator,
//! far below the 1e-6 degrees answers are rounded to), and a cluster keeps its category counts
//! as u16, with the few clusters of more than 65,535 providers counted exactly in a side table.

use crate::model::{Category, LonLat};
use std::borrow::Cow;

pub const MAX_ZOOM: u8 = 18;
/// The level holding every provider on its own.
pub const LEAF_ZOOM: u8 = MAX_ZOOM + 1;
/// The lowest zoom answered from the leaves and the clusters made at or above it rather than
/// from a level of its own.
const DELTA_FROM: u8 = 16;
/// Cluster radius in screen pixels, and the tile size those pixels are measured on: 256 px
/// tiles are what zoom means in Leaflet and raster maps, so clusters are 40 px apart on screen.
const RADIUS_PX: f64 = 40.0;
const EXTENT_PX: f64 = 256.0;
/// Items per k-d leaf bucket: below this a query scans.
const NODE_SIZE: usize = 64;
/// Halves at least this long are sorted on their own thread.
const PARALLEL_SORT: usize = 200_000;

/// Web Mercator, normalised to the unit square (x east, y south).
pub fn project(p: LonLat) -> [f64; 2] {
    let lat = p.lat.clamp(-85.051_128_78, 85.051_128_78).to_radians();
    let y = 0.5 - ((std::f64::consts::FRAC_PI_4 + lat / 2.0).tan().ln()) / (2.0 * std::f64::consts::PI);
    [p.lon / 360.0 + 0.5, y.clamp(0.0, 1.0)]
}

/// The inverse of `project`.
pub fn unproject([x, y]: [f64; 2]) -> LonLat {
    let lat = (std::f64::consts::PI * (1.0 - 2.0 * y)).sinh().atan().to_degrees();
    LonLat { lon: (x - 0.5) * 360.0, lat }
}

/// A projected position in fixed point: the unit square scaled by 2^32.
pub type Fixed = [u32; 2];

/// 2^32: one fixed-point unit is 1/SCALE of the unit square.
const SCALE: f64 = 4_294_967_296.0;

/// `xy` (the unit square) in fixed point, rounded to nearest and clamped (1.0 is `u32::MAX`).
/// Monotonic: a ≤ b gives fixed(a) ≤ fixed(b), so a box converted the same way as the points
/// keeps every point that was inside it in f64 (and may take one up to half a unit outside).
pub fn fixed(xy: [f64; 2]) -> Fixed {
    // `as` saturates: below 0 is 0, 2^32 and above are u32::MAX.
    xy.map(|v| (v * SCALE).round() as u32)
}

/// One item of a level: 16 bytes (a level of a million items is 16 MB, and the top levels
/// hold nearly every provider).
#[derive(Debug, Clone, Copy)]
pub struct Item {
    /// Projected position (see `project`, `fixed`): a provider's public point, or a cluster's
    /// weighted centre.
    xy: Fixed,
    /// Providers below this item.
    pub count: u32,
    /// A slot, or a cluster id with `CLUSTER` set.
    node: u32,
}

/// Marks a cluster id in `Item::node`: slots and cluster ids stay below it.
const CLUSTER: u32 = 1 << 31;

impl Item {
    fn new(xy: Fixed, count: u32, node: Node) -> Item {
        let node = match node {
            Node::Provider(slot) => slot,
            Node::Cluster(id) => id | CLUSTER,
        };
        Item { xy, count, node }
    }

    /// Projected position in the unit square (see `project`), to 2^-32.
    pub fn xy(&self) -> [f64; 2] {
        self.xy.map(|v| f64::from(v) / SCALE)
    }

    /// Projected position in fixed point, as stored.
    pub fn fixed(&self) -> Fixed {
        self.xy
    }

    pub fn node(&self) -> Node {
        Node::of(self.node)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Node {
    /// A snapshot slot.
    Provider(u32),
    /// An index into the cluster table, which is also the cluster's id within this index.
    Cluster(u32),
}

impl Node {
    /// The node an `Item::node` (or a cluster's member) holds.
    fn of(raw: u32) -> Node {
        if raw & CLUSTER == 0 { Node::Provider(raw) } else { Node::Cluster(raw & !CLUSTER) }
    }
}

/// A cluster: made at `zoom` from items of level `zoom + 1`. 28 bytes.
#[derive(Debug, Clone)]
pub struct Cluster {
    /// Its members start here in `children` (their nodes, as `Item::node` holds them) and run
    /// to the next cluster's start: clusters are made in id order, each appending its members.
    first_child: u32,
    /// Providers per category (index as in `Category::ALL`), when the cluster holds at most
    /// 65,535 providers (so every count fits); else `ClusterIndex::large` has them.
    categories: [u16; 11],
    pub zoom: u8,
    /// The lowest zoom it shows at: one above the zoom a larger cluster took it in, or 0.
    from: u8,
}

impl Cluster {
    /// The zoom at which this cluster falls apart: it has at least two members, and they are
    /// separate items one level down.
    pub fn expansion_zoom(&self) -> u8 {
        self.zoom + 1
    }
}

/// Every level from zoom 0 to `LEAF_ZOOM` (those from `delta_from` to `MAX_ZOOM` empty), and
/// the cluster table.
pub struct ClusterIndex {
    levels: Vec<Vec<Item>>,
    /// The zooms from this one to `MAX_ZOOM` are answered from the leaf level and `high`.
    delta_from: u8,
    /// The clusters made at `delta_from` or above, in k-d order.
    high: Vec<Item>,
    /// By slot, the lowest zoom a provider shows at on its own: one above the zoom a cluster
    /// took it in, or 0.
    leaf_from: Vec<u8>,
    clusters: Vec<Cluster>,
    children: Vec<u32>,
    /// The exact category counts of the clusters of more than 65,535 providers, by id
    /// (ascending): a few at the lowest zooms.
    large: Vec<(u32, [u32; 11])>,
    /// Providers indexed.
    len: usize,
}

/// Bit `i` set for `Category::ALL[i]`.
pub fn category_bits(categories: &[Category]) -> u16 {
    categories.iter().fold(0, |bits, c| bits | 1 << Category::ALL.iter().position(|a| a == c).unwrap_or(0))
}

/// `v` in an allocation of exactly its length. `shrink_to_fit` would not do: mimalloc keeps a
/// block in place when it shrinks by less than half, so the slack would stay allocated.
fn exact<T: Clone>(v: Vec<T>) -> Vec<T> {
    if v.capacity() == v.len() { v } else { v.as_slice().to_vec() }
}

impl ClusterIndex {
    /// Clusters the providers in `slots`; `points[slot]` is a provider's public point and
    /// `category_bits[slot]` its categories (see `category_bits`).
    pub fn build(points: &[LonLat], category_bits: &[u16], slots: impl Iterator<Item = u32>) -> ClusterIndex {
        ClusterIndex::build_from(points, category_bits, slots, DELTA_FROM)
    }

    /// `build`, keeping levels up to `delta_from - 1` (tests compare against every level kept).
    fn build_from(
        points: &[LonLat],
        category_bits: &[u16],
        slots: impl Iterator<Item = u32>,
        delta_from: u8,
    ) -> ClusterIndex {
        let leaves: Vec<Item> = slots
            .map(|slot| Item::new(fixed(project(points[slot as usize])), 1, Node::Provider(slot)))
            .collect();
        let mut leaves = exact(leaves);
        let len = leaves.len();
        let slot_count = leaves.iter().map(|i| i.node as usize + 1).max().unwrap_or(0);
        kd_sort(&mut leaves, 0);
        let mut index = ClusterIndex {
            levels: vec![leaves],
            delta_from,
            high: Vec::new(),
            leaf_from: vec![0; slot_count],
            clusters: Vec::new(),
            children: Vec::new(),
            large: Vec::new(),
            len,
        };
        for zoom in (0..=MAX_ZOOM).rev() {
            let mut next = exact(index.cluster_level(zoom, category_bits));
            kd_sort(&mut next, 0);
            // The level just clustered is dropped when its zoom is answered from the leaves:
            // at most two such levels are held at once while building.
            if index.is_delta(zoom + 1) {
                *index.levels.last_mut().expect("the level below") = Vec::new();
            }
            index.levels.push(next);
        }
        index.levels.reverse(); // levels[z] is zoom z
        kd_sort(&mut index.high, 0);
        index.high = exact(std::mem::take(&mut index.high));
        index.clusters = exact(std::mem::take(&mut index.clusters));
        index.children = exact(std::mem::take(&mut index.children));
        index.large = exact(std::mem::take(&mut index.large));
        index
    }

    /// Whether `zoom` has no level of its own (see `DELTA_FROM`).
    fn is_delta(&self, zoom: u8) -> bool {
        (self.delta_from..=MAX_ZOOM).contains(&zoom)
    }

    /// Whether `item` (of the leaf level or `high`) is one of the items of `zoom`.
    fn shows(&self, item: &Item, zoom: u8) -> bool {
        match item.node() {
            Node::Provider(slot) => self.leaf_from[slot as usize] <= zoom,
            Node::Cluster(id) => {
                let c = &self.clusters[id as usize];
                c.from <= zoom && zoom <= c.zoom
            }
        }
    }

    /// Bytes on the heap (allocator overhead aside).
    pub fn heap_bytes(&self) -> usize {
        self.levels.capacity() * size_of::<Vec<Item>>()
            + self.levels.iter().map(|l| l.capacity() * size_of::<Item>()).sum::<usize>()
            + self.high.capacity() * size_of::<Item>()
            + self.leaf_from.capacity()
            + self.clusters.capacity() * size_of::<Cluster>()
            + self.children.capacity() * size_of::<u32>()
            + self.large.capacity() * size_of::<(u32, [u32; 11])>()
    }

    /// Providers indexed.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// All items of level `zoom` (zooms past `LEAF_ZOOM` are the leaf level), in k-d order
    /// where the level is kept, else gathered from the leaves and `high`.
    pub fn level(&self, zoom: u8) -> Cow<'_, [Item]> {
        let zoom = zoom.min(LEAF_ZOOM);
        if !self.is_delta(zoom) {
            return Cow::Borrowed(&self.levels[zoom as usize]);
        }
        let leaves = &self.levels[LEAF_ZOOM as usize];
        Cow::Owned(leaves.iter().chain(&self.high).filter(|i| self.shows(i, zoom)).copied().collect())
    }

    /// Items of level `zoom` inside the box (degrees; `west > east` crosses the antimeridian).
    /// The box's corners are made fixed-point as the points were, so a point inside it (or on
    /// its edge) is always found; one within half a unit (~0.5 cm) outside may be too.
    pub fn in_bbox(&self, zoom: u8, west: f64, south: f64, east: f64, north: f64) -> Vec<&Item> {
        let zoom = zoom.min(LEAF_ZOOM);
        let delta = self.is_delta(zoom);
        let sources: Vec<&[Item]> = if delta {
            vec![&self.levels[LEAF_ZOOM as usize], &self.high]
        } else {
            vec![&self.levels[zoom as usize]]
        };
        let ranges = if west > east { vec![(west, 180.0), (-180.0, east)] } else { vec![(west, east)] };
        let mut out = Vec::new();
        for (w, e) in ranges {
            let [x0, y1] = fixed(project(LonLat { lon: w, lat: south }));
            let [x1, y0] = fixed(project(LonLat { lon: e, lat: north }));
            for level in &sources {
                kd_range(level, [x0, y0], [x1, y1], &mut |i| {
                    if !delta || self.shows(&level[i], zoom) {
                        out.push(&level[i]);
                    }
                });
            }
        }
        out
    }

    /// The cluster with this id, if there is one.
    pub fn cluster(&self, id: u32) -> Option<&Cluster> {
        self.clusters.get(id as usize)
    }

    /// Providers per category (index as in `Category::ALL`) of cluster `id`; a provider counts
    /// once per category.
    ///
    /// # Panics
    /// If there is no such cluster.
    pub fn categories(&self, id: u32) -> [u32; 11] {
        match self.large.binary_search_by_key(&id, |(c, _)| *c) {
            Ok(at) => self.large[at].1,
            Err(_) => self.clusters[id as usize].categories.map(u32::from),
        }
    }

    /// The members of cluster `id`: their nodes (as `Item::node` holds them) in level `zoom + 1`.
    fn members(&self, id: u32) -> &[u32] {
        let from = self.clusters[id as usize].first_child as usize;
        let to = self.clusters.get(id as usize + 1).map_or(self.children.len(), |c| c.first_child as usize);
        &self.children[from..to]
    }

    /// The snapshot slots of every provider in cluster `id`, ascending.
    pub fn leaves(&self, id: u32) -> Vec<u32> {
        let mut out = Vec::new();
        let mut stack = vec![id];
        while let Some(c) = stack.pop() {
            for m in self.members(c) {
                match Node::of(*m) {
                    Node::Provider(slot) => out.push(slot),
                    Node::Cluster(inner) => stack.push(inner),
                }
            }
        }
        out.sort_unstable();
        out
    }

    /// Clusters the (k-d sorted) top level into the level of `zoom`.
    fn cluster_level(&mut self, zoom: u8, category_bits: &[u16]) -> Vec<Item> {
        let below = self.levels.last().expect("the leaf level comes first");
        let r = radius(zoom);
        // One bit per item: which items a cluster has taken already.
        let mut taken = vec![0u64; below.len().div_ceil(64)];
        let take = |taken: &mut [u64], i: usize| {
            let (word, bit) = (i / 64, 1u64 << (i % 64));
            let was = taken[word] & bit != 0;
            taken[word] |= bit;
            was
        };
        // At most one item per item below; `build` trims the slack.
        let mut out = Vec::with_capacity(below.len());
        let mut members = Vec::new();
        for (i, item) in below.iter().enumerate() {
            if take(&mut taken, i) {
                continue;
            }
            members.clear();
            members.push(i as u32);
            kd_within(below, item.xy, r, &mut |n| {
                if !take(&mut taken, n) {
                    members.push(n as u32);
                }
            });
            if members.len() == 1 {
                out.push(*item);
                continue;
            }
            // The weighted centre in f64, from the members' fixed-point positions.
            // The members show down to the zoom above this one (`leaf_from`, `Cluster::from`).
            let (mut wx, mut wy, mut count, mut categories) = (0.0, 0.0, 0u32, [0u32; 11]);
            for m in &members {
                let it = &below[*m as usize];
                let [x, y] = it.xy();
                wx += x * f64::from(it.count);
                wy += y * f64::from(it.count);
                count += it.count;
                match it.node() {
                    Node::Provider(slot) => {
                        let bits = category_bits[slot as usize];
                        for (c, n) in categories.iter_mut().enumerate() {
                            *n += u32::from(bits >> c & 1);
                        }
                        self.leaf_from[slot as usize] = zoom + 1;
                    }
                    Node::Cluster(c) => {
                        for (n, add) in categories.iter_mut().zip(self.categories(c)) {
                            *n += add;
                        }
                        self.clusters[c as usize].from = zoom + 1;
                    }
                }
            }
            let id = self.clusters.len() as u32;
            // A count per category is at most the cluster's count.
            let small = if count <= u32::from(u16::MAX) {
                categories.map(|n| n as u16)
            } else {
                self.large.push((id, categories));
                [u16::MAX; 11]
            };
            self.clusters.push(Cluster {
                zoom,
                categories: small,
                first_child: self.children.len() as u32,
                from: 0,
            });
            self.children.extend(members.iter().map(|m| below[*m as usize].node));
            let c = f64::from(count);
            let item = Item::new(fixed([wx / c, wy / c]), count, Node::Cluster(id));
            if self.is_delta(zoom) {
                self.high.push(item);
            }
            out.push(item);
        }
        out
    }
}

/// The cluster radius at `zoom` in fixed-point units: `RADIUS_PX` of a world `EXTENT_PX` ·
/// 2^zoom wide, which is 5 · 2^(27 - zoom), a whole number at every zoom up to 18.
fn radius(zoom: u8) -> u32 {
    (RADIUS_PX / (EXTENT_PX * f64::from(1u32 << zoom)) * SCALE) as u32
}

/// Puts `items` in k-d order: the median by x (axis 0) or y in the middle, each half likewise
/// on the other axis, down to buckets of `NODE_SIZE`.
fn kd_sort(items: &mut [Item], axis: usize) {
    if items.len() <= NODE_SIZE {
        return;
    }
    let m = items.len() / 2;
    items.select_nth_unstable_by_key(m, |a| a.xy[axis]);
    let (left, right) = items.split_at_mut(m);
    if left.len() >= PARALLEL_SORT {
        std::thread::scope(|s| {
            s.spawn(|| kd_sort(left, 1 - axis));
            kd_sort(&mut right[1..], 1 - axis);
        });
    } else {
        kd_sort(left, 1 - axis);
        kd_sort(&mut right[1..], 1 - axis);
    }
}

/// Calls `found` with the index of every item inside the box `min`..=`max`.
fn kd_range(items: &[Item], min: Fixed, max: Fixed, found: &mut impl FnMut(usize)) {
    let sides = |xy: Fixed, axis: usize| (min[axis] <= xy[axis], max[axis] >= xy[axis]);
    kd_visit(items, 0, items.len(), 0, &sides, &mut |run| {
        for i in run {
            let p = items[i].xy;
            if p[0] >= min[0] && p[0] <= max[0] && p[1] >= min[1] && p[1] <= max[1] {
                found(i);
            }
        }
    });
}

/// Squared distance in fixed-point units (exact: each square is below 2^64, the sum saturates).
#[inline]
fn distance2(a: Fixed, b: Fixed) -> u64 {
    let d = |axis: usize| u64::from(a[axis].abs_diff(b[axis]));
    (d(0) * d(0)).saturating_add(d(1) * d(1))
}

/// Calls `found` with the index of every item within distance `r` of `c` (fixed-point units).
fn kd_within(items: &[Item], c: Fixed, r: u32, found: &mut impl FnMut(usize)) {
    let r2 = u64::from(r) * u64::from(r);
    let sides = |xy: Fixed, axis: usize| {
        (c[axis].saturating_sub(r) <= xy[axis], c[axis].saturating_add(r) >= xy[axis])
    };
    kd_visit(items, 0, items.len(), 0, &sides, &mut |run| {
        for i in run {
            if distance2(items[i].xy, c) <= r2 {
                found(i);
            }
        }
    });
}

/// Walks the k-d tree over `items[from..to]` split on `axis`; `sides` says, for the median's
/// position, whether the query may reach its lower and its upper half; `check` tests a run of
/// items (a whole bucket at once, so the test loop stays tight whether or not it is inlined).
fn kd_visit<S, C>(items: &[Item], from: usize, to: usize, axis: usize, sides: &S, check: &mut C)
where
    S: Fn(Fixed, usize) -> (bool, bool),
    C: FnMut(std::ops::Range<usize>),
{
    if to - from <= NODE_SIZE {
        check(from..to);
        return;
    }
    let m = from + (to - from) / 2;
    check(m..m + 1);
    let (lower, upper) = sides(items[m].xy, axis);
    if lower {
        kd_visit(items, from, m, 1 - axis, sides, check);
    }
    if upper {
        kd_visit(items, m + 1, to, 1 - axis, sides, check);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn random_points(n: usize, seed: u64) -> (Vec<LonLat>, Vec<u16>) {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let mut points = Vec::new();
        let mut bits = Vec::new();
        for i in 0..n {
            // Half in a dense city, half spread over the world, some on the antimeridian,
            // and a few stacked on one spot.
            let p = match i % 5 {
                0 => LonLat {
                    lon: 80.95 + rng.random_range(-0.2..0.2),
                    lat: 26.85 + rng.random_range(-0.2..0.2),
                },
                1 => LonLat {
                    lon: if rng.random_bool(0.5) { 179.99 } else { -179.99 },
                    lat: rng.random_range(-20.0..-15.0),
                },
                2 if i % 3 == 0 => LonLat { lon: 77.2, lat: 28.6 },
                _ => LonLat { lon: rng.random_range(-180.0..180.0), lat: rng.random_range(-85.0..85.0) },
            };
            points.push(p);
            bits.push(category_bits(&[Category::ALL[i % 11], Category::ALL[(i * 7 + 3) % 11]]));
        }
        (points, bits)
    }

    fn leaves_of(index: &ClusterIndex, item: &Item) -> Vec<u32> {
        match item.node() {
            Node::Provider(slot) => vec![slot],
            Node::Cluster(id) => index.leaves(id),
        }
    }

    #[test]
    fn every_provider_is_in_exactly_one_item_per_zoom_and_counts_add_up() {
        let (points, bits) = random_points(3000, 11);
        // Index every slot but the multiples of 7, as a filtered index would.
        let slots: Vec<u32> = (0..points.len() as u32).filter(|s| s % 7 != 0).collect();
        let index = ClusterIndex::build(&points, &bits, slots.iter().copied());
        assert_eq!(index.len(), slots.len());
        for zoom in 0..=LEAF_ZOOM {
            let mut seen = vec![0u32; points.len()];
            for item in index.level(zoom).iter() {
                let leaves = leaves_of(&index, item);
                assert_eq!(leaves.len() as u32, item.count, "zoom {zoom}: count equals the leaves");
                let mut expect = [0u32; 11];
                for s in &leaves {
                    seen[*s as usize] += 1;
                    for (c, n) in expect.iter_mut().enumerate() {
                        *n += u32::from(bits[*s as usize] >> c & 1);
                    }
                }
                if let Node::Cluster(id) = item.node() {
                    let cluster = index.cluster(id).unwrap();
                    assert_eq!(index.categories(id), expect, "zoom {zoom}: category counts add up");
                    assert!(cluster.zoom >= zoom, "a cluster shows from the zoom it was made at up");
                    assert!(cluster.expansion_zoom() > zoom, "expansion zoom is deeper than {zoom}");
                    assert!(item.count >= 2);
                }
            }
            for (slot, n) in seen.iter().enumerate() {
                let want = u32::from(slot % 7 != 0);
                assert_eq!(*n, want, "zoom {zoom}: slot {slot} appears {want} time(s)");
            }
        }
        assert!(index.level(0).len() < 200, "clusters form when zoomed out: {}", index.level(0).len());
        assert_eq!(index.level(LEAF_ZOOM).len(), slots.len());
    }

    /// At its expansion zoom a cluster's members are separate items whose leaves partition it.
    #[test]
    fn a_cluster_splits_at_its_expansion_zoom() {
        let (points, bits) = random_points(2000, 3);
        let index = ClusterIndex::build(&points, &bits, 0..points.len() as u32);
        for zoom in [0u8, 4, 9, 14, 18] {
            for item in index.level(zoom).iter() {
                let Node::Cluster(id) = item.node() else { continue };
                let cluster = index.cluster(id).unwrap();
                let deeper = index.level(cluster.expansion_zoom());
                let mut parts: Vec<u32> = Vec::new();
                let mut pieces = 0;
                for other in deeper.iter() {
                    let l = leaves_of(&index, other);
                    if l.iter().all(|s| index.leaves(id).binary_search(s).is_ok()) {
                        pieces += 1;
                        parts.extend(l);
                    }
                }
                parts.sort_unstable();
                assert!(pieces >= 2, "cluster {id} splits");
                assert_eq!(parts, index.leaves(id));
            }
        }
    }

    /// Brute force: a bbox query returns exactly the items whose fixed-point position is inside
    /// the box made fixed-point the same way, and the radius query used for clustering finds
    /// exactly the items within the radius.
    #[test]
    fn queries_match_a_scan_including_across_the_antimeridian() {
        let (points, bits) = random_points(2000, 5);
        let index = ClusterIndex::build(&points, &bits, 0..points.len() as u32);
        let key = |i: &Item| (i.fixed(), i.count);
        for zoom in [0u8, 3, 6, 10, 18, 19] {
            for (w, s, e, n) in [
                (170.0, -25.0, -170.0, -10.0),
                (80.0, 26.0, 82.0, 28.0),
                (-180.0, -85.0, 180.0, 85.0),
                (77.2, 28.6, 77.2, 28.6),
            ] {
                let mut got: Vec<_> = index.in_bbox(zoom, w, s, e, n).into_iter().map(key).collect();
                let nw = fixed(project(LonLat { lon: w, lat: n }));
                let se = fixed(project(LonLat { lon: e, lat: s }));
                let mut want: Vec<_> = index
                    .level(zoom)
                    .iter()
                    .filter(|i| {
                        let [x, y] = i.fixed();
                        let in_x = if w > e { x >= nw[0] || x <= se[0] } else { x >= nw[0] && x <= se[0] };
                        in_x && y >= nw[1] && y <= se[1]
                    })
                    .map(key)
                    .collect();
                got.sort_unstable();
                want.sort_unstable();
                assert_eq!(got, want, "zoom {zoom} box {w},{s},{e},{n}");
            }
            // The radius query runs on levels in k-d order, as while building.
            let mut level = index.level(zoom).into_owned();
            kd_sort(&mut level, 0);
            for c in level.iter().step_by(97) {
                let r = 42_949_673; // 0.01 of the unit square
                let mut got = Vec::new();
                kd_within(&level, c.fixed(), r, &mut |i| got.push(i));
                got.sort_unstable();
                let d = |a: u32, b: u32| i128::from(a) - i128::from(b);
                let want: Vec<usize> = (0..level.len())
                    .filter(|i| {
                        let [x, y] = level[*i].fixed();
                        d(x, c.fixed()[0]).pow(2) + d(y, c.fixed()[1]).pow(2) <= i128::from(r).pow(2)
                    })
                    .collect();
                assert_eq!(got, want);
            }
        }
    }

    /// The zooms answered from the leaves and the clusters made there hold exactly the items
    /// the same build keeping every level has, answer boxes alike, and keep their clusters'
    /// leaves.
    #[test]
    fn zooms_without_a_level_answer_as_kept_levels_do() {
        let (mut points, mut bits) = random_points(4000, 17);
        // And a patch 1 km across, dense enough for clusters to form, grow and be taken in
        // at every zoom without a level.
        let mut rng = rand::rngs::StdRng::seed_from_u64(18);
        for i in 0..1500 {
            let (dx, dy): (f64, f64) = (rng.random_range(-0.005..0.005), rng.random_range(-0.005..0.005));
            points.push(LonLat { lon: 75.0 + dx, lat: 20.0 + dy });
            bits.push(category_bits(&[Category::ALL[i % 11]]));
        }
        let slots = || (0..points.len() as u32).filter(|s| s % 5 != 1);
        let delta = ClusterIndex::build(&points, &bits, slots());
        let kept = ClusterIndex::build_from(&points, &bits, slots(), LEAF_ZOOM);
        assert!((DELTA_FROM..=MAX_ZOOM).all(|z| delta.levels[z as usize].is_empty() && delta.is_delta(z)));
        assert!(!kept.is_delta(MAX_ZOOM) && !delta.is_delta(LEAF_ZOOM) && !delta.is_delta(DELTA_FROM - 1));
        let key = |i: &Item| (i.fixed(), i.count, i.node);
        let sorted = |mut v: Vec<(Fixed, u32, u32)>| {
            v.sort_unstable();
            v
        };
        let mut clustered = 0;
        for zoom in 0..=LEAF_ZOOM + 1 {
            let want = sorted(kept.level(zoom).iter().map(key).collect());
            assert_eq!(sorted(delta.level(zoom).iter().map(key).collect()), want, "zoom {zoom}");
            clustered += want.iter().filter(|(_, count, _)| *count > 1).count();
            for (w, s, e, n) in
                [(80.7, 26.6, 81.2, 27.1), (170.0, -25.0, -170.0, -10.0), (-180.0, -85.0, 180.0, 85.0)]
            {
                let got = sorted(delta.in_bbox(zoom, w, s, e, n).into_iter().map(key).collect());
                let want = sorted(kept.in_bbox(zoom, w, s, e, n).into_iter().map(key).collect());
                assert_eq!(got, want, "zoom {zoom} box {w},{s},{e},{n}");
            }
        }
        assert!(clustered > 1000, "{clustered} clusters over all zooms");
        // Providers and clusters taken in at each zoom without a level, so each boundary counts.
        for z in DELTA_FROM..=MAX_ZOOM {
            assert!(delta.leaf_from.contains(&(z + 1)), "a provider taken in at zoom {z}");
            let taken = delta
                .high
                .iter()
                .filter(|i| matches!(i.node(), Node::Cluster(c) if delta.clusters[c as usize].from == z + 1));
            assert!(taken.count() > 0 || z == MAX_ZOOM, "a cluster made above {z} taken in at {z}");
        }
        assert_eq!(delta.clusters.len(), kept.clusters.len());
        for id in 0..delta.clusters.len() as u32 {
            assert_eq!(delta.leaves(id), kept.leaves(id));
            assert_eq!(delta.categories(id), kept.categories(id));
        }
        assert!(delta.heap_bytes() < kept.heap_bytes());
    }

    /// Points on the edges and corners of a box (in f64 degrees) are inside it, and a point a
    /// millionth of a degree outside is not.
    #[test]
    fn a_point_on_the_box_edge_is_returned() {
        let (w, s, e, n) = (80.123_456_789, 26.987_654_321, 80.2, 27.1);
        let on = [(w, s), (w, n), (e, s), (e, n), (w, 27.0), (e, 27.0), (80.15, s), (80.15, n)];
        let off = [(w - 1e-6, 27.0), (e + 1e-6, 27.0), (80.15, s - 1e-6), (80.15, n + 1e-6)];
        let points: Vec<LonLat> = on.iter().chain(&off).map(|&(lon, lat)| LonLat { lon, lat }).collect();
        let bits = vec![1; points.len()];
        let index = ClusterIndex::build(&points, &bits, 0..points.len() as u32);
        let mut got: Vec<u32> = index
            .in_bbox(LEAF_ZOOM, w, s, e, n)
            .into_iter()
            .map(|i| match i.node() {
                Node::Provider(slot) => slot,
                Node::Cluster(_) => unreachable!("the leaf level holds providers"),
            })
            .collect();
        got.sort_unstable();
        assert_eq!(got, (0..on.len() as u32).collect::<Vec<_>>());
        // And across the antimeridian, on both edges.
        let points = [LonLat { lon: 179.5, lat: 0.0 }, LonLat { lon: -179.5, lat: 0.0 }];
        let index = ClusterIndex::build(&points, &[1, 1], 0..2);
        assert_eq!(index.in_bbox(LEAF_ZOOM, 179.5, 0.0, -179.5, 0.0).len(), 2);
    }

    /// A cluster of more than 65,535 providers (its counts don't fit u16) counts exactly, and
    /// so does a cluster containing it.
    #[test]
    fn category_counts_of_a_cluster_over_65535_providers_are_exact() {
        let stacked = 70_000;
        let mut points = vec![LonLat { lon: 80.95, lat: 26.85 }; stacked];
        // Three more about 1 km away: they join the stack a few zooms up.
        points.extend([LonLat { lon: 80.96, lat: 26.85 }; 3]);
        let bits: Vec<u16> = (0..points.len())
            .map(|i| category_bits(&[Category::ALL[0], Category::ALL[1 + i % 3], Category::ALL[10 - i % 2]]))
            .collect();
        let index = ClusterIndex::build(&points, &bits, 0..points.len() as u32);
        let want = |n: usize| {
            let mut c = [0u32; 11];
            for b in &bits[..n] {
                for (k, v) in c.iter_mut().enumerate() {
                    *v += u32::from(b >> k & 1);
                }
            }
            c
        };
        let top = index.level(MAX_ZOOM);
        let big = top.iter().find(|i| i.count == stacked as u32).expect("the stack is one cluster");
        let Node::Cluster(id) = big.node() else { panic!("a cluster") };
        assert_eq!(index.categories(id), want(stacked));
        assert_eq!(index.members(id).len(), stacked, "more members than a u16 counts");
        let all = index.level(0);
        assert_eq!(all.len(), 1);
        let Node::Cluster(id) = all[0].node() else { panic!("a cluster") };
        assert_eq!(index.categories(id), want(points.len()));
        assert_eq!(index.categories(id)[0], 70_003);
    }

    #[test]
    fn items_are_16_bytes_clusters_28_and_items_keep_their_node() {
        assert_eq!(std::mem::size_of::<Item>(), 16);
        assert_eq!(std::mem::size_of::<Cluster>(), 28);
        for node in
            [Node::Provider(0), Node::Provider(CLUSTER - 1), Node::Cluster(0), Node::Cluster(CLUSTER - 1)]
        {
            assert_eq!(Item::new([1 << 31, 1 << 31], 1, node).node(), node);
        }
    }

    #[test]
    fn projection_round_trips() {
        for (lon, lat) in [(0.0, 0.0), (80.95, 26.85), (-179.99, -17.0), (179.99, 60.0)] {
            let p = unproject(project(LonLat { lon, lat }));
            assert!((p.lon - lon).abs() < 1e-9 && (p.lat - lat).abs() < 1e-9, "{lon},{lat} -> {p:?}");
            // Fixed point keeps a position to well within the 1e-6 degrees answers show.
            let item = Item::new(fixed(project(LonLat { lon, lat })), 1, Node::Provider(0));
            let p = unproject(item.xy());
            assert!((p.lon - lon).abs() < 1e-7 && (p.lat - lat).abs() < 1e-7, "{lon},{lat} -> {p:?}");
        }
    }
}
