//! Hierarchical greedy clustering of the public points for every zoom level 0–18 (the
//! supercluster approach): at each zoom, going from the most detailed level up, an item absorbs
//! its unabsorbed neighbours within a fixed screen radius, at their weighted centre.
//! Built once per snapshot; answering a viewport is then an R-tree query on one level.

use crate::model::{Category, LonLat};
use rstar::primitives::GeomWithData;
use rstar::{AABB, RTree};

pub const MAX_ZOOM: u8 = 18;
/// Cluster radius in screen pixels, and the tile size those pixels are measured on.
const RADIUS_PX: f64 = 40.0;
const EXTENT_PX: f64 = 512.0;

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

/// One item of a level: a single provider (`slot`) or a cluster of several.
#[derive(Debug, Clone)]
pub struct Item {
    pub xy: [f64; 2],
    /// Providers below this item.
    pub count: u32,
    /// Providers per category (index as in `Category::ALL`); a provider counts once per category.
    pub categories: [u32; 11],
    pub kind: ItemKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ItemKind {
    /// A snapshot slot.
    Provider(u32),
    /// A cluster made at `zoom`; its children are these items of level `zoom + 1`.
    Cluster { id: u64, zoom: u8, children: Vec<u32> },
}

type Entry = GeomWithData<[f64; 2], u32>;

/// Every level, from zoom 0 to `MAX_ZOOM + 1` (the single providers).
pub struct ClusterIndex {
    levels: Vec<Vec<Item>>,
    trees: Vec<RTree<Entry>>,
}

/// A cluster id names its zoom and its place in that level.
fn cluster_id(zoom: u8, index: usize) -> u64 {
    ((index as u64) << 5) | zoom as u64
}

impl ClusterIndex {
    /// `points[slot]` and `categories[slot]` describe each provider of the snapshot.
    pub fn build(points: &[LonLat], categories: &[Vec<Category>]) -> ClusterIndex {
        let leaves: Vec<Item> = points
            .iter()
            .zip(categories)
            .enumerate()
            .map(|(slot, (p, cats))| {
                let mut counts = [0u32; 11];
                for c in cats {
                    counts[Category::ALL.iter().position(|a| a == c).expect("a known category")] += 1;
                }
                Item { xy: project(*p), count: 1, categories: counts, kind: ItemKind::Provider(slot as u32) }
            })
            .collect();
        let mut levels = vec![leaves];
        for zoom in (0..=MAX_ZOOM).rev() {
            let below = levels.last().expect("at least the leaves");
            let next = cluster_level(below, zoom);
            levels.push(next);
        }
        levels.reverse(); // levels[z] is zoom z; levels[MAX_ZOOM + 1] the providers
        let trees = levels
            .iter()
            .map(|items| {
                RTree::bulk_load(
                    items.iter().enumerate().map(|(i, it)| Entry::new(it.xy, i as u32)).collect(),
                )
            })
            .collect();
        ClusterIndex { levels, trees }
    }

    pub fn level(&self, zoom: u8) -> &[Item] {
        &self.levels[zoom.min(MAX_ZOOM + 1) as usize]
    }

    /// Items of level `zoom` inside the box (degrees; `west > east` crosses the antimeridian).
    pub fn in_bbox(&self, zoom: u8, west: f64, south: f64, east: f64, north: f64) -> Vec<&Item> {
        let z = zoom.min(MAX_ZOOM) as usize;
        let ranges = if west > east { vec![(west, 180.0), (-180.0, east)] } else { vec![(west, east)] };
        let mut out = Vec::new();
        for (w, e) in ranges {
            let [x0, y1] = project(LonLat { lon: w, lat: south });
            let [x1, y0] = project(LonLat { lon: e, lat: north });
            let env = AABB::from_corners([x0, y0], [x1, y1]);
            out.extend(self.trees[z].locate_in_envelope(&env).map(|e| &self.levels[z][e.data as usize]));
        }
        out
    }

    /// The cluster with `id`, if there is one.
    pub fn cluster(&self, id: u64) -> Option<&Item> {
        let zoom = (id & 31) as usize;
        let item = self.levels.get(zoom)?.get((id >> 5) as usize)?;
        matches!(&item.kind, ItemKind::Cluster { id: own, .. } if *own == id).then_some(item)
    }

    /// The snapshot slots of every provider below `item`, in ascending slot order.
    pub fn leaves(&self, item: &Item) -> Vec<u32> {
        let mut out = Vec::new();
        let mut stack = vec![(item, 0usize)];
        while let Some((it, depth)) = stack.pop() {
            match &it.kind {
                ItemKind::Provider(slot) => out.push(*slot),
                ItemKind::Cluster { zoom, children, .. } => {
                    let level = &self.levels[*zoom as usize + 1];
                    stack.extend(children.iter().map(|c| (&level[*c as usize], depth + 1)));
                }
            }
        }
        out.sort_unstable();
        out
    }

    /// The lowest zoom at which this cluster falls apart into more than one item.
    pub fn expansion_zoom(&self, item: &Item) -> u8 {
        let mut current = item;
        loop {
            match &current.kind {
                ItemKind::Cluster { zoom, children, .. } if children.len() == 1 => {
                    current = &self.levels[*zoom as usize + 1][children[0] as usize];
                }
                ItemKind::Cluster { zoom, .. } => return (*zoom + 1).min(MAX_ZOOM),
                ItemKind::Provider(_) => return MAX_ZOOM,
            }
        }
    }
}

/// Clusters the items of one level into the level `zoom` above it.
fn cluster_level(below: &[Item], zoom: u8) -> Vec<Item> {
    let r = RADIUS_PX / (EXTENT_PX * f64::from(1u32 << zoom));
    let tree: RTree<Entry> =
        RTree::bulk_load(below.iter().enumerate().map(|(i, it)| Entry::new(it.xy, i as u32)).collect());
    let mut taken = vec![false; below.len()];
    let mut out: Vec<Item> = Vec::new();
    for (i, item) in below.iter().enumerate() {
        if taken[i] {
            continue;
        }
        taken[i] = true;
        let mut members = vec![i as u32];
        for n in tree.locate_within_distance(item.xy, r * r) {
            if !taken[n.data as usize] {
                taken[n.data as usize] = true;
                members.push(n.data);
            }
        }
        if members.len() == 1 {
            // A lone provider stays itself; a lone cluster is carried up as a one-child cluster
            // of this zoom, so every cluster's children are on the level just below it.
            let mut lone = item.clone();
            if let ItemKind::Cluster { .. } = item.kind {
                lone.kind =
                    ItemKind::Cluster { id: cluster_id(zoom, out.len()), zoom, children: vec![i as u32] };
            }
            out.push(lone);
            continue;
        }
        let (mut wx, mut wy, mut count, mut cats) = (0.0, 0.0, 0u32, [0u32; 11]);
        for m in &members {
            let it = &below[*m as usize];
            wx += it.xy[0] * f64::from(it.count);
            wy += it.xy[1] * f64::from(it.count);
            count += it.count;
            for (c, n) in cats.iter_mut().zip(it.categories) {
                *c += n;
            }
        }
        let index = out.len();
        out.push(Item {
            xy: [wx / f64::from(count), wy / f64::from(count)],
            count,
            categories: cats,
            kind: ItemKind::Cluster { id: cluster_id(zoom, index), zoom, children: members },
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn random_points(n: usize, seed: u64) -> (Vec<LonLat>, Vec<Vec<Category>>) {
        let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
        let mut points = Vec::new();
        let mut cats = Vec::new();
        for i in 0..n {
            // Half in a dense city, half spread over the world, some on the antimeridian.
            let p = match i % 4 {
                0 => LonLat {
                    lon: 80.95 + rng.random_range(-0.2..0.2),
                    lat: 26.85 + rng.random_range(-0.2..0.2),
                },
                1 => LonLat {
                    lon: if rng.random_bool(0.5) { 179.99 } else { -179.99 },
                    lat: rng.random_range(-20.0..-15.0),
                },
                _ => LonLat { lon: rng.random_range(-180.0..180.0), lat: rng.random_range(-85.0..85.0) },
            };
            points.push(p);
            cats.push(vec![Category::ALL[i % 11], Category::ALL[(i * 7 + 3) % 11]]);
        }
        (points, cats)
    }

    #[test]
    fn every_provider_is_in_exactly_one_item_per_zoom_and_counts_add_up() {
        let (points, cats) = random_points(3000, 11);
        let index = ClusterIndex::build(&points, &cats);
        for zoom in 0..=MAX_ZOOM + 1 {
            let level = index.level(zoom);
            let mut seen = vec![0u32; points.len()];
            for item in level {
                let leaves = index.leaves(item);
                assert_eq!(leaves.len() as u32, item.count, "zoom {zoom}: count equals the leaves");
                let mut expect = [0u32; 11];
                for s in &leaves {
                    seen[*s as usize] += 1;
                    for c in &cats[*s as usize] {
                        expect[Category::ALL.iter().position(|a| a == c).unwrap()] += 1;
                    }
                }
                assert_eq!(item.categories, expect, "zoom {zoom}: category counts add up");
                if let ItemKind::Cluster { id, .. } = &item.kind {
                    assert!(index.cluster(*id).is_some(), "zoom {zoom}: cluster {id} is found by id");
                    let ez = index.expansion_zoom(item);
                    assert!(
                        ez > zoom.min(MAX_ZOOM) || zoom >= MAX_ZOOM,
                        "expansion zoom {ez} is deeper than {zoom}"
                    );
                }
            }
            assert!(seen.iter().all(|n| *n == 1), "zoom {zoom}: every provider exactly once");
        }
        assert!(index.level(0).len() < 200, "clusters form when zoomed out: {}", index.level(0).len());
        assert_eq!(index.level(MAX_ZOOM + 1).len(), points.len());
    }

    /// Brute force: no two items of a level closer than the radius both stand alone, and a bbox
    /// query returns exactly the items whose position is inside it.
    #[test]
    fn bbox_queries_match_a_scan_including_across_the_antimeridian() {
        let (points, cats) = random_points(2000, 5);
        let index = ClusterIndex::build(&points, &cats);
        for zoom in [0u8, 3, 6, 10, 18] {
            for (w, s, e, n) in
                [(170.0, -25.0, -170.0, -10.0), (80.0, 26.0, 82.0, 28.0), (-180.0, -85.0, 180.0, 85.0)]
            {
                let mut got: Vec<(u64, u64)> = index
                    .in_bbox(zoom, w, s, e, n)
                    .iter()
                    .map(|i| (i.xy[0].to_bits(), i.xy[1].to_bits()))
                    .collect();
                let mut want: Vec<(u64, u64)> = index
                    .level(zoom)
                    .iter()
                    .filter(|i| {
                        let p = unproject(i.xy);
                        let in_lon = if w > e {
                            p.lon >= w - 1e-9 || p.lon <= e + 1e-9
                        } else {
                            p.lon >= w - 1e-9 && p.lon <= e + 1e-9
                        };
                        in_lon && p.lat >= s - 1e-9 && p.lat <= n + 1e-9
                    })
                    .map(|i| (i.xy[0].to_bits(), i.xy[1].to_bits()))
                    .collect();
                got.sort_unstable();
                want.sort_unstable();
                assert_eq!(got, want, "zoom {zoom} box {w},{s},{e},{n}");
            }
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
