//! Hierarchical greedy clustering of public points for every zoom level 0–18 (the supercluster
//! approach): going from the most detailed level up, each item absorbs its unabsorbed
//! neighbours within a fixed screen radius, at their weighted centre; an item nothing joins is
//! carried up unchanged. Built once per snapshot (and per filter, on demand); answering a
//! viewport is then a box query on one level.
//!
//! Each level is a flat array kept in k-d order (as kdbush does): sorting by recursive median
//! split is the whole index, so a level costs 32 bytes per item and builds in one pass.

use crate::model::{Category, LonLat};

pub const MAX_ZOOM: u8 = 18;
/// The level holding every provider on its own.
pub const LEAF_ZOOM: u8 = MAX_ZOOM + 1;
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

/// One item of a level: 24 bytes (a level of a million items is 24 MB, and the top levels
/// hold nearly every provider).
#[derive(Debug, Clone, Copy)]
pub struct Item {
    /// Projected position (see `project`): a provider's public point, or a cluster's weighted centre.
    pub xy: [f64; 2],
    /// Providers below this item.
    pub count: u32,
    /// A slot, or a cluster id with `CLUSTER` set.
    node: u32,
}

/// Marks a cluster id in `Item::node`: slots and cluster ids stay below it.
const CLUSTER: u32 = 1 << 31;

impl Item {
    fn new(xy: [f64; 2], count: u32, node: Node) -> Item {
        let node = match node {
            Node::Provider(slot) => slot,
            Node::Cluster(id) => id | CLUSTER,
        };
        Item { xy, count, node }
    }

    pub fn node(&self) -> Node {
        if self.node & CLUSTER == 0 { Node::Provider(self.node) } else { Node::Cluster(self.node & !CLUSTER) }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Node {
    /// A snapshot slot.
    Provider(u32),
    /// An index into the cluster table, which is also the cluster's id within this index.
    Cluster(u32),
}

/// A cluster: made at `zoom` from items of level `zoom + 1`.
#[derive(Debug, Clone)]
pub struct Cluster {
    pub zoom: u8,
    /// Providers per category (index as in `Category::ALL`); a provider counts once per category.
    pub categories: [u32; 11],
    /// Its members in `children` (positions in level `zoom + 1`).
    first_child: u32,
    child_count: u32,
}

impl Cluster {
    /// The zoom at which this cluster falls apart: it has at least two members, and they are
    /// separate items one level down.
    pub fn expansion_zoom(&self) -> u8 {
        self.zoom + 1
    }
}

/// Every level from zoom 0 to `LEAF_ZOOM`, and the cluster table.
pub struct ClusterIndex {
    levels: Vec<Vec<Item>>,
    clusters: Vec<Cluster>,
    children: Vec<u32>,
    /// Providers indexed.
    len: usize,
}

/// Bit `i` set for `Category::ALL[i]`.
pub fn category_bits(categories: &[Category]) -> u16 {
    categories.iter().fold(0, |bits, c| bits | 1 << Category::ALL.iter().position(|a| a == c).unwrap_or(0))
}

impl ClusterIndex {
    /// Clusters the providers in `slots`; `points[slot]` is a provider's public point and
    /// `category_bits[slot]` its categories (see `category_bits`).
    pub fn build(points: &[LonLat], category_bits: &[u16], slots: impl Iterator<Item = u32>) -> ClusterIndex {
        let mut leaves: Vec<Item> =
            slots.map(|slot| Item::new(project(points[slot as usize]), 1, Node::Provider(slot))).collect();
        let len = leaves.len();
        kd_sort(&mut leaves, 0);
        let mut index =
            ClusterIndex { levels: vec![leaves], clusters: Vec::new(), children: Vec::new(), len };
        for zoom in (0..=MAX_ZOOM).rev() {
            let mut next = index.cluster_level(zoom, category_bits);
            kd_sort(&mut next, 0);
            index.levels.push(next);
        }
        index.levels.reverse(); // levels[z] is zoom z
        index
    }

    /// Bytes on the heap (allocator overhead aside).
    pub fn heap_bytes(&self) -> usize {
        self.levels.iter().map(|l| l.capacity() * size_of::<Item>()).sum::<usize>()
            + self.clusters.capacity() * size_of::<Cluster>()
            + self.children.capacity() * size_of::<u32>()
    }

    /// Providers indexed.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// All items of level `zoom` (zooms past `LEAF_ZOOM` are the leaf level).
    pub fn level(&self, zoom: u8) -> &[Item] {
        &self.levels[zoom.min(LEAF_ZOOM) as usize]
    }

    /// Items of level `zoom` inside the box (degrees; `west > east` crosses the antimeridian).
    pub fn in_bbox(&self, zoom: u8, west: f64, south: f64, east: f64, north: f64) -> Vec<&Item> {
        let level = self.level(zoom);
        let ranges = if west > east { vec![(west, 180.0), (-180.0, east)] } else { vec![(west, east)] };
        let mut out = Vec::new();
        for (w, e) in ranges {
            let [x0, y1] = project(LonLat { lon: w, lat: south });
            let [x1, y0] = project(LonLat { lon: e, lat: north });
            kd_range(level, [x0, y0], [x1, y1], &mut |i| out.push(&level[i]));
        }
        out
    }

    /// The cluster with this id, if there is one.
    pub fn cluster(&self, id: u32) -> Option<&Cluster> {
        self.clusters.get(id as usize)
    }

    /// The snapshot slots of every provider in cluster `id`, ascending.
    pub fn leaves(&self, id: u32) -> Vec<u32> {
        let mut out = Vec::new();
        let mut stack = vec![id];
        while let Some(c) = stack.pop() {
            let cluster = &self.clusters[c as usize];
            let level = &self.levels[cluster.zoom as usize + 1];
            let members = &self.children
                [cluster.first_child as usize..(cluster.first_child + cluster.child_count) as usize];
            for m in members {
                match level[*m as usize].node() {
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
        let r = RADIUS_PX / (EXTENT_PX * f64::from(1u32 << zoom));
        let mut taken = vec![false; below.len()];
        let mut out = Vec::new();
        let mut members = Vec::new();
        for (i, item) in below.iter().enumerate() {
            if taken[i] {
                continue;
            }
            taken[i] = true;
            members.clear();
            members.push(i as u32);
            kd_within(below, item.xy, r, &mut |n| {
                if !taken[n] {
                    taken[n] = true;
                    members.push(n as u32);
                }
            });
            if members.len() == 1 {
                out.push(*item);
                continue;
            }
            let (mut wx, mut wy, mut count, mut categories) = (0.0, 0.0, 0u32, [0u32; 11]);
            for m in &members {
                let it = &below[*m as usize];
                wx += it.xy[0] * f64::from(it.count);
                wy += it.xy[1] * f64::from(it.count);
                count += it.count;
                match it.node() {
                    Node::Provider(slot) => {
                        let bits = category_bits[slot as usize];
                        for (c, n) in categories.iter_mut().enumerate() {
                            *n += u32::from(bits >> c & 1);
                        }
                    }
                    Node::Cluster(c) => {
                        for (n, add) in categories.iter_mut().zip(self.clusters[c as usize].categories) {
                            *n += add;
                        }
                    }
                }
            }
            let id = self.clusters.len() as u32;
            self.clusters.push(Cluster {
                zoom,
                categories,
                first_child: self.children.len() as u32,
                child_count: members.len() as u32,
            });
            self.children.extend_from_slice(&members);
            let c = f64::from(count);
            out.push(Item::new([wx / c, wy / c], count, Node::Cluster(id)));
        }
        out
    }
}

/// Puts `items` in k-d order: the median by x (axis 0) or y in the middle, each half likewise
/// on the other axis, down to buckets of `NODE_SIZE`.
fn kd_sort(items: &mut [Item], axis: usize) {
    if items.len() <= NODE_SIZE {
        return;
    }
    let m = items.len() / 2;
    items.select_nth_unstable_by(m, |a, b| a.xy[axis].total_cmp(&b.xy[axis]));
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
fn kd_range(items: &[Item], min: [f64; 2], max: [f64; 2], found: &mut impl FnMut(usize)) {
    let sides = |xy: [f64; 2], axis: usize| (min[axis] <= xy[axis], max[axis] >= xy[axis]);
    kd_visit(items, 0, items.len(), 0, &sides, &mut |i| {
        let p = items[i].xy;
        if p[0] >= min[0] && p[0] <= max[0] && p[1] >= min[1] && p[1] <= max[1] {
            found(i);
        }
    });
}

/// Calls `found` with the index of every item within distance `r` of `c`.
fn kd_within(items: &[Item], c: [f64; 2], r: f64, found: &mut impl FnMut(usize)) {
    let r2 = r * r;
    let sides = |xy: [f64; 2], axis: usize| (c[axis] - r <= xy[axis], c[axis] + r >= xy[axis]);
    kd_visit(items, 0, items.len(), 0, &sides, &mut |i| {
        let p = items[i].xy;
        if (p[0] - c[0]).powi(2) + (p[1] - c[1]).powi(2) <= r2 {
            found(i);
        }
    });
}

/// Walks the k-d tree over `items[from..to]` split on `axis`; `sides` says, for the median's
/// position, whether the query may reach its lower and its upper half; `check` tests one item.
fn kd_visit<S, C>(items: &[Item], from: usize, to: usize, axis: usize, sides: &S, check: &mut C)
where
    S: Fn([f64; 2], usize) -> (bool, bool),
    C: FnMut(usize),
{
    if to - from <= NODE_SIZE {
        (from..to).for_each(&mut *check);
        return;
    }
    let m = from + (to - from) / 2;
    check(m);
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
            for item in index.level(zoom) {
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
                    assert_eq!(cluster.categories, expect, "zoom {zoom}: category counts add up");
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
            for item in index.level(zoom) {
                let Node::Cluster(id) = item.node() else { continue };
                let cluster = index.cluster(id).unwrap();
                let deeper = index.level(cluster.expansion_zoom());
                let mut parts: Vec<u32> = Vec::new();
                let mut pieces = 0;
                for other in deeper {
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

    /// Brute force: a bbox query returns exactly the items whose position is inside the box,
    /// and the radius query used for clustering finds exactly the items within the radius.
    #[test]
    fn queries_match_a_scan_including_across_the_antimeridian() {
        let (points, bits) = random_points(2000, 5);
        let index = ClusterIndex::build(&points, &bits, 0..points.len() as u32);
        let key = |i: &Item| (i.xy[0].to_bits(), i.xy[1].to_bits(), i.count);
        for zoom in [0u8, 3, 6, 10, 18, 19] {
            for (w, s, e, n) in [
                (170.0, -25.0, -170.0, -10.0),
                (80.0, 26.0, 82.0, 28.0),
                (-180.0, -85.0, 180.0, 85.0),
                (77.2, 28.6, 77.2, 28.6),
            ] {
                let mut got: Vec<_> = index.in_bbox(zoom, w, s, e, n).into_iter().map(key).collect();
                let (x0, y0) = (project(LonLat { lon: w, lat: n }), project(LonLat { lon: e, lat: s }));
                let mut want: Vec<_> = index
                    .level(zoom)
                    .iter()
                    .filter(|i| {
                        let [x, y] = i.xy;
                        let in_x = if w > e { x >= x0[0] || x <= y0[0] } else { x >= x0[0] && x <= y0[0] };
                        in_x && y >= x0[1] && y <= y0[1]
                    })
                    .map(key)
                    .collect();
                got.sort_unstable();
                want.sort_unstable();
                assert_eq!(got, want, "zoom {zoom} box {w},{s},{e},{n}");
            }
            let level = index.level(zoom);
            for c in level.iter().step_by(97) {
                let r = 0.01;
                let mut got = Vec::new();
                kd_within(level, c.xy, r, &mut |i| got.push(i));
                got.sort_unstable();
                let want: Vec<usize> = (0..level.len())
                    .filter(|i| {
                        (level[*i].xy[0] - c.xy[0]).powi(2) + (level[*i].xy[1] - c.xy[1]).powi(2) <= r * r
                    })
                    .collect();
                assert_eq!(got, want);
            }
        }
    }

    #[test]
    fn items_are_24_bytes_and_keep_their_node() {
        assert_eq!(std::mem::size_of::<Item>(), 24);
        for node in
            [Node::Provider(0), Node::Provider(CLUSTER - 1), Node::Cluster(0), Node::Cluster(CLUSTER - 1)]
        {
            assert_eq!(Item::new([0.5, 0.5], 1, node).node(), node);
        }
    }

    #[test]
    fn projection_round_trips() {
        for (lon, lat) in [(0.0, 0.0), (80.95, 26.85), (-179.99, -17.0), (179.99, 60.0)] {
            let p = unproject(project(LonLat { lon, lat }));
            assert!((p.lon - lon).abs() < 1e-9 && (p.lat - lat).abs() < 1e-9, "{lon},{lat} -> {p:?}");
        }
    }
}
