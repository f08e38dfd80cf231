//! Polygon validity in O(n log n). geo's `Validation` tests every pair of edges (10,000 vertices
//! took 1.2 s); this checks the same rules with one Shamos–Hoey sweep over all edges of a
//! polygon, using exact orientation tests, so no rounding decides.
//!
//! A valid polygon:
//! - has rings of at least 3 distinct points;
//! - has simple rings: edges meet only where consecutive edges share a vertex, a ring passes
//!   through no point twice and never doubles back on itself (a spike);
//! - has rings that neither cross nor touch one another (stricter than OGC, which lets rings
//!   touch at a point);
//! - has every interior ring inside the exterior ring and outside every other interior ring.
//!
//! Why the sweep finds every fault: a vertex repeated anywhere and a spike are found first, by
//! sorting and by one pass. Then each remaining fault is a pair of edges meeting where neither
//! is a consecutive pair; the leftmost such point has its two edges (or two edges through it)
//! next to each other in the sweep order just before it, and every pair that becomes neighbours
//! is tested, so the sweep stops there. Until it stops no edges have met, so the order is exact.

use geo::kernels::RobustKernel;
use geo::{Coord, Intersects, Kernel, Line, Orientation, Polygon};
use std::cell::Cell;
use std::cmp::Ordering;
use std::collections::BTreeSet;

/// Checks `polygon`; the error names the ring and the positions (as submitted) at fault.
pub(super) fn check(polygon: &Polygon<f64>) -> Result<(), String> {
    check_counting(polygon, &Cell::new(0))
}

/// `check`, counting the comparisons the sweep makes (tests bound them by n log n).
pub(super) fn check_counting(polygon: &Polygon<f64>, comparisons: &Cell<u64>) -> Result<(), String> {
    let rings: Vec<Vec<Vertex>> = std::iter::once(polygon.exterior())
        .chain(polygon.interiors())
        .map(|ring| distinct_vertices(&ring.0))
        .collect();
    for (r, ring) in rings.iter().enumerate() {
        if ring.len() < 3 {
            return Err(format!("{} must have at least 3 distinct points", ring_name(r)));
        }
        if let Some(v) = spike(ring) {
            return Err(format!(
                "{} has a self-intersection: it turns back on itself at position {}",
                ring_name(r),
                v.pos
            ));
        }
    }
    repeated_vertex(&rings)?;
    let edges = edges(&rings);
    let parents = Sweep { edges: &edges, comparisons }.run(&rings)?;
    for (r, parent) in parents.iter().enumerate().skip(1) {
        match parent {
            Some(0) => {}
            Some(p) => return Err(format!("{} lies inside {}", ring_name(r), ring_name(*p))),
            None => return Err(format!("{} is not inside the exterior ring", ring_name(r))),
        }
    }
    Ok(())
}

/// A ring vertex and its position in the submitted ring.
#[derive(Debug, Clone, Copy)]
struct Vertex {
    at: Coord<f64>,
    pos: usize,
}

/// One edge, stored left (lexicographically smaller) end first.
#[derive(Debug, Clone, Copy)]
struct Edge {
    left: Coord<f64>,
    right: Coord<f64>,
    ring: usize,
    /// Index of the edge in its ring, and the ring's edge count (for "consecutive").
    k: usize,
    n: usize,
    /// Whether the ring runs left to right along this edge.
    forward: bool,
    /// Position of the edge's first vertex in the submitted ring.
    pos: usize,
}

fn ring_name(r: usize) -> String {
    if r == 0 { "the exterior ring".into() } else { format!("interior ring {}", r - 1) }
}

/// Lexicographic order (x, then y): the sweep's order of points.
fn lex(a: Coord<f64>, b: Coord<f64>) -> Ordering {
    a.x.total_cmp(&b.x).then(a.y.total_cmp(&b.y))
}

fn orient(p: Coord<f64>, q: Coord<f64>, r: Coord<f64>) -> Orientation {
    <RobustKernel as Kernel<f64>>::orient2d(p, q, r)
}

/// The ring without its closing position and without consecutive repeated points. Adding 0.0
/// turns -0.0 into 0.0, so `lex` sees one point where `==` does.
fn distinct_vertices(closed: &[Coord<f64>]) -> Vec<Vertex> {
    let open = &closed[..closed.len().saturating_sub(1)];
    let mut out: Vec<Vertex> = Vec::with_capacity(open.len());
    for (pos, c) in open.iter().enumerate() {
        let at = Coord { x: c.x + 0.0, y: c.y + 0.0 };
        if out.last().is_none_or(|v| v.at != at) {
            out.push(Vertex { at, pos });
        }
    }
    while out.len() > 1 && out.first().map(|v| v.at) == out.last().map(|v| v.at) {
        out.pop();
    }
    out
}

/// A vertex where the ring doubles back along the edge it came in on.
fn spike(ring: &[Vertex]) -> Option<Vertex> {
    let n = ring.len();
    (0..n).map(|k| (ring[(k + n - 1) % n], ring[k], ring[(k + 1) % n])).find_map(|(prev, v, next)| {
        // Collinear points are ordered along their line as `lex` orders them.
        let back = (lex(prev.at, v.at) == Ordering::Less) == (lex(next.at, v.at) == Ordering::Less);
        (orient(prev.at, v.at, next.at) == Orientation::Collinear && back).then_some(v)
    })
}

/// A point that two vertices share: a ring passing through it twice, or two rings touching.
fn repeated_vertex(rings: &[Vec<Vertex>]) -> Result<(), String> {
    let mut all: Vec<(Vertex, usize)> =
        rings.iter().enumerate().flat_map(|(r, ring)| ring.iter().map(move |v| (*v, r))).collect();
    all.sort_by(|a, b| lex(a.0.at, b.0.at));
    match all.windows(2).find(|w| w[0].0.at == w[1].0.at) {
        None => Ok(()),
        Some(w) => {
            let ((a, ra), (b, rb)) = (w[0], w[1]);
            let at = format!("[{}, {}]", a.at.x, a.at.y);
            if ra == rb {
                let (p, q) = (a.pos.min(b.pos), a.pos.max(b.pos));
                Err(format!(
                    "{} has a self-intersection: it passes through {at} twice (positions {p} and {q})",
                    ring_name(ra)
                ))
            } else {
                Err(format!("{} and {} touch at {at}", ring_name(ra.min(rb)), ring_name(ra.max(rb))))
            }
        }
    }
}

fn edges(rings: &[Vec<Vertex>]) -> Vec<Edge> {
    let mut out = Vec::new();
    for (ring, vs) in rings.iter().enumerate() {
        let n = vs.len();
        for k in 0..n {
            let (a, b) = (vs[k].at, vs[(k + 1) % n].at);
            let forward = lex(a, b) == Ordering::Less;
            let (left, right) = if forward { (a, b) } else { (b, a) };
            out.push(Edge { left, right, ring, k, n, forward, pos: vs[k].pos });
        }
    }
    out
}

/// Consecutive edges of one ring share a vertex by construction, and (spikes being refused)
/// meet nowhere else.
fn consecutive(a: &Edge, b: &Edge) -> bool {
    a.ring == b.ring && ((a.k + 1) % a.n == b.k || (b.k + 1) % b.n == a.k)
}

struct Sweep<'a> {
    edges: &'a [Edge],
    comparisons: &'a Cell<u64>,
}

/// An edge in the sweep status, ordered bottom to top where the sweep line crosses it.
#[derive(Clone, Copy)]
struct Key<'a> {
    id: usize,
    sweep: &'a Sweep<'a>,
}

impl PartialEq for Key<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

impl Eq for Key<'_> {}

impl PartialOrd for Key<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Key<'_> {
    /// Both edges cross the sweep line. Compare where the later-starting one begins: it lies
    /// above or below the other edge (or, starting on it, continues above or below). Edges
    /// that have not met keep this order for as long as both are in the status.
    fn cmp(&self, other: &Self) -> Ordering {
        let c = &self.sweep.comparisons;
        c.set(c.get() + 1);
        if self.id == other.id {
            return Ordering::Equal;
        }
        let (a, b) = (&self.sweep.edges[self.id], &self.sweep.edges[other.id]);
        let a_first = lex(a.left, b.left).then(self.id.cmp(&other.id)) == Ordering::Less;
        let (first, second, ids) =
            if a_first { (a, b, (self.id, other.id)) } else { (b, a, (other.id, self.id)) };
        let side = match orient(first.left, first.right, second.left) {
            Orientation::Collinear => orient(first.left, first.right, second.right),
            o => o,
        };
        let first_vs_second = match side {
            Orientation::CounterClockwise => Ordering::Less,
            Orientation::Clockwise => Ordering::Greater,
            // Collinear edges overlap, which the neighbour test reports; any fixed order will do.
            Orientation::Collinear => ids.0.cmp(&ids.1),
        };
        if a_first { first_vs_second } else { first_vs_second.reverse() }
    }
}

impl<'a> Sweep<'a> {
    fn key(&'a self, id: usize) -> Key<'a> {
        Key { id, sweep: self }
    }

    /// Two edges in the status that became neighbours: they may meet only if consecutive.
    fn test(&self, a: Option<&Key>, b: Option<&Key>) -> Result<(), String> {
        let (Some(a), Some(b)) = (a, b) else { return Ok(()) };
        let (ea, eb) = (&self.edges[a.id], &self.edges[b.id]);
        if consecutive(ea, eb) || !Line::new(ea.left, ea.right).intersects(&Line::new(eb.left, eb.right)) {
            return Ok(());
        }
        let (first, second) = if (ea.ring, ea.pos) <= (eb.ring, eb.pos) { (ea, eb) } else { (eb, ea) };
        Err(if first.ring == second.ring {
            format!(
                "{} has a self-intersection: its edges from positions {} and {} meet",
                ring_name(first.ring),
                first.pos,
                second.pos
            )
        } else {
            format!(
                "{} and {} cross or touch (edges from positions {} and {})",
                ring_name(first.ring),
                ring_name(second.ring),
                first.pos,
                second.pos
            )
        })
    }

    /// Sweeps left to right (points in `lex` order; at one point, edges ending there leave
    /// before edges starting there arrive). Returns each ring's parent: the innermost ring
    /// around it, `None` for a ring outside all others.
    fn run(&'a self, rings: &[Vec<Vertex>]) -> Result<Vec<Option<usize>>, String> {
        let mut events: Vec<(Coord<f64>, bool, usize)> = Vec::with_capacity(self.edges.len() * 2);
        for (id, e) in self.edges.iter().enumerate() {
            events.push((e.left, true, id));
            events.push((e.right, false, id));
        }
        events.sort_by(|a, b| lex(a.0, b.0).then(a.1.cmp(&b.1)));
        // A ring is first met at its smallest vertex, where both of its edges there start.
        let smallest: Vec<Coord<f64>> = rings
            .iter()
            .map(|r| r.iter().map(|v| v.at).min_by(|a, b| lex(*a, *b)).expect("rings have 3 points"))
            .collect();
        let ccw: Vec<bool> = rings.iter().map(|r| counter_clockwise(r)).collect();
        let mut parents: Vec<Option<usize>> = vec![None; rings.len()];
        // The only interior mutability in a key is the comparison counter, which never
        // changes the order.
        #[allow(clippy::mutable_key_type)]
        let mut status: BTreeSet<Key<'a>> = BTreeSet::new();
        for group in events.chunk_by(|a, b| a.0 == b.0) {
            let mut started = Vec::new();
            for &(_, starts, id) in group {
                let key = self.key(id);
                if starts {
                    status.insert(key);
                    self.test(Some(&key), status.range(..key).next_back())?;
                    self.test(Some(&key), status.range(key..).nth(1))?;
                    started.push(key);
                } else {
                    let below = status.range(..key).next_back().copied();
                    let above = status.range(key..).nth(1).copied();
                    status.remove(&key);
                    self.test(below.as_ref(), above.as_ref())?;
                }
            }
            // Every vertex is distinct, so all edges at this point belong to one ring.
            let ring = self.edges[group[0].2].ring;
            if group[0].0 == smallest[ring]
                && let Some(lowest) = started.iter().min()
            {
                parents[ring] = status.range(..*lowest).next_back().and_then(|below| {
                    let e = &self.edges[below.id];
                    // Just above an edge is inside its ring when the ring's interior lies on
                    // that side; otherwise it is wherever that ring itself lies.
                    if ccw[e.ring] == e.forward { Some(e.ring) } else { parents[e.ring] }
                });
            }
        }
        Ok(parents)
    }
}

/// The turn at the smallest vertex is never straight (that would be a spike), so it gives the
/// ring's orientation exactly.
fn counter_clockwise(ring: &[Vertex]) -> bool {
    let n = ring.len();
    let k = (0..n).min_by(|a, b| lex(ring[*a].at, ring[*b].at)).expect("rings have 3 points");
    orient(ring[(k + n - 1) % n].at, ring[k].at, ring[(k + 1) % n].at) == Orientation::CounterClockwise
}

#[cfg(test)]
mod tests {
    use super::*;
    use geo::LineString;
    use geo::algorithm::Validation;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    type Ring = Vec<[i64; 2]>;

    fn polygon(rings: &[Ring]) -> Polygon<f64> {
        let line = |r: &Ring| {
            let mut c: Vec<Coord<f64>> = r.iter().map(|&[x, y]| Coord { x: x as f64, y: y as f64 }).collect();
            c.push(c[0]);
            LineString::new(c)
        };
        Polygon::new(line(&rings[0]), rings[1..].iter().map(line).collect())
    }

    // An oracle that tests every pair of edges, in exact integer arithmetic, by the rules in
    // the module comment.

    fn cross(o: [i64; 2], a: [i64; 2], b: [i64; 2]) -> i64 {
        (a[0] - o[0]) * (b[1] - o[1]) - (a[1] - o[1]) * (b[0] - o[0])
    }

    fn on_segment(p: [i64; 2], a: [i64; 2], b: [i64; 2]) -> bool {
        cross(a, b, p) == 0
            && a[0].min(b[0]) <= p[0]
            && p[0] <= a[0].max(b[0])
            && a[1].min(b[1]) <= p[1]
            && p[1] <= a[1].max(b[1])
    }

    fn segments_meet(a: [i64; 2], b: [i64; 2], c: [i64; 2], d: [i64; 2]) -> bool {
        let (d1, d2, d3, d4) = (cross(a, b, c), cross(a, b, d), cross(c, d, a), cross(c, d, b));
        ((d1 > 0 && d2 < 0) || (d1 < 0 && d2 > 0)) && ((d3 > 0 && d4 < 0) || (d3 < 0 && d4 > 0))
            || on_segment(c, a, b)
            || on_segment(d, a, b)
            || on_segment(a, c, d)
            || on_segment(b, c, d)
    }

    /// Even-odd ray casting towards +x; `p` is on no edge.
    fn inside(p: [i64; 2], ring: &Ring) -> bool {
        let n = ring.len();
        let mut odd = false;
        for i in 0..n {
            let (mut a, mut b) = (ring[i], ring[(i + 1) % n]);
            if (a[1] > p[1]) != (b[1] > p[1]) {
                if a[1] > b[1] {
                    std::mem::swap(&mut a, &mut b);
                }
                // p is left of the upward edge a->b.
                if cross(a, b, p) > 0 {
                    odd = !odd;
                }
            }
        }
        odd
    }

    fn oracle_valid(rings: &[Ring]) -> bool {
        let rings: Vec<Ring> = rings
            .iter()
            .map(|r| {
                let mut d: Ring = Vec::new();
                for &p in r {
                    if d.last() != Some(&p) {
                        d.push(p);
                    }
                }
                while d.len() > 1 && d.first() == d.last() {
                    d.pop();
                }
                d
            })
            .collect();
        if rings.iter().any(|r| r.len() < 3) {
            return false;
        }
        let edges: Vec<(usize, usize, [i64; 2], [i64; 2])> = rings
            .iter()
            .enumerate()
            .flat_map(|(ri, r)| (0..r.len()).map(move |k| (ri, k, r[k], r[(k + 1) % r.len()])))
            .collect();
        for (i, &(ri, ki, a, b)) in edges.iter().enumerate() {
            for &(rj, kj, c, d) in &edges[i + 1..] {
                let n = rings[ri].len();
                if ri == rj && (ki + 1) % n == kj {
                    // a-b then b-d: they may share only b.
                    if on_segment(d, a, b) || on_segment(a, b, d) {
                        return false;
                    }
                } else if ri == rj && (kj + 1) % n == ki {
                    if on_segment(b, c, d) || on_segment(c, a, b) {
                        return false;
                    }
                } else if segments_meet(a, b, c, d) {
                    return false;
                }
            }
        }
        (1..rings.len()).all(|h| {
            inside(rings[h][0], &rings[0])
                && (1..rings.len()).all(|o| o == h || !inside(rings[h][0], &rings[o]))
        })
    }

    fn random_ring(rng: &mut ChaCha8Rng, lo: i64, hi: i64) -> Ring {
        let n = rng.random_range(3..8);
        (0..n).map(|_| [rng.random_range(lo..=hi), rng.random_range(lo..=hi)]).collect()
    }

    /// Random small polygons on an integer grid, so collinear edges, shared vertices, vertical
    /// edges and touching rings are common.
    fn random_polygons(count: usize) -> Vec<Vec<Ring>> {
        let mut rng = ChaCha8Rng::seed_from_u64(10);
        (0..count)
            .map(|_| {
                // Exterior corners on a coarser grid, so small holes often fit inside; half of
                // them sorted by angle around the middle, which makes most of those simple.
                let mut exterior: Ring =
                    random_ring(&mut rng, 0, 8).into_iter().map(|[x, y]| [3 * x, 3 * y]).collect();
                if rng.random_bool(0.5) {
                    let angle = |p: &[i64; 2]| ((p[1] - 12) as f64).atan2((p[0] - 12) as f64);
                    exterior.sort_by(|a, b| angle(a).total_cmp(&angle(b)));
                }
                let mut rings = vec![exterior];
                for _ in 0..rng.random_range(0..3) {
                    let (cx, cy) = (rng.random_range(2..23), rng.random_range(2..23));
                    let mut hole = random_ring(&mut rng, -2, 2);
                    if rng.random_bool(0.7) {
                        hole.sort_by(|a, b| {
                            (a[1] as f64).atan2(a[0] as f64).total_cmp(&(b[1] as f64).atan2(b[0] as f64))
                        });
                    }
                    rings.push(hole.into_iter().map(|[x, y]| [cx + x, cy + y]).collect());
                }
                rings
            })
            .collect()
    }

    #[test]
    fn sweep_agrees_with_an_all_pairs_oracle() {
        let (mut valid, mut with_holes) = (0, 0);
        for rings in random_polygons(60_000) {
            let want = oracle_valid(&rings);
            let got = check(&polygon(&rings));
            assert_eq!(got.is_ok(), want, "{rings:?}: sweep says {got:?}");
            valid += want as usize;
            with_holes += (want && rings.len() > 1) as usize;
        }
        // The sample must hold enough of both kinds to mean something.
        assert!(valid > 10_000 && with_holes > 1_000, "{valid} valid, {with_holes} with holes");
    }

    #[test]
    fn everything_geo_refuses_is_still_refused() {
        let mut refused = 0;
        for rings in random_polygons(20_000) {
            let p = polygon(&rings);
            if p.check_validation().is_err() {
                refused += 1;
                assert!(check(&p).is_err(), "{rings:?}: geo refuses it, the sweep accepts it");
            }
        }
        assert!(refused > 5_000, "{refused}");
    }

    #[test]
    fn messages_name_the_fault() {
        let e = |rings: &[Ring]| check(&polygon(rings)).unwrap_err();
        let square = vec![[0, 0], [10, 0], [10, 10], [0, 10]];
        assert!(e(&[vec![[0, 0], [4, 4], [4, 0], [0, 4]]]).contains("exterior ring has a self-intersection"));
        assert!(e(&[vec![[0, 0], [4, 0], [8, 0], [4, 4], [4, 0]]]).contains("self-intersection"));
        assert!(e(&[vec![[0, 0], [4, 0], [2, 0]]]).contains("turns back"));
        assert!(e(&[vec![[0, 0], [1, 0], [1, 0], [0, 0]]]).contains("at least 3 distinct points"));
        let far_hole = vec![[20, 20], [21, 20], [21, 21]];
        assert!(e(&[square.clone(), far_hole]).contains("interior ring 0 is not inside"));
        let (outer, inner) = (vec![[2, 2], [8, 2], [8, 8], [2, 8]], vec![[4, 4], [5, 4], [5, 5]]);
        assert!(e(&[square.clone(), outer, inner]).contains("interior ring 1 lies inside interior ring 0"));
        let crossing = vec![[5, 5], [15, 5], [15, 6]];
        assert!(e(&[square.clone(), crossing]).contains("cross or touch"));
        let touching = vec![[0, 0], [5, 2], [5, 5]];
        assert!(e(&[square, touching]).contains("touch at [0, 0]"));
    }

    /// 10,000-vertex polygons, each built to defeat a shortcut: edges that all overlap in x
    /// (a comb, straight and slanted), a fine circle, a long sliver. Valid ones pass, a crossing
    /// added anywhere is found, and the sweep's comparisons stay within a multiple of n log n
    /// (all pairs would be 50 million).
    #[test]
    fn heavy_polygons_cost_n_log_n() {
        let n = 10_000usize;
        let comb = |slant: f64| -> Vec<Coord<f64>> {
            // Teeth pointing right, stacked upwards: every tooth edge spans the whole width.
            let teeth = (n - 2) / 4;
            let mut c = vec![Coord { x: 0.0, y: 0.0 }];
            for t in 0..teeth {
                let y = t as f64;
                c.push(Coord { x: 100.0, y: y + slant * 100.0 });
                c.push(Coord { x: 100.0, y: y + 0.5 + slant * 100.0 });
                c.push(Coord { x: 1.0, y: y + 0.5 + slant });
                c.push(Coord { x: 1.0, y: y + 1.0 + slant });
            }
            c.push(Coord { x: 0.0, y: teeth as f64 + 1.0 });
            c
        };
        let circle: Vec<Coord<f64>> = (0..n)
            .map(|i| {
                let a = i as f64 / n as f64 * std::f64::consts::TAU;
                Coord { x: 80.9 + 0.5 * a.cos(), y: 26.8 + 0.5 * a.sin() }
            })
            .collect();
        let sliver: Vec<Coord<f64>> = (0..n / 2)
            .map(|i| Coord { x: i as f64 * 1e-3, y: (i as f64 * 0.37).sin() * 1e-4 })
            .chain(
                (0..n / 2)
                    .rev()
                    .map(|i| Coord { x: i as f64 * 1e-3, y: (i as f64 * 0.37).sin() * 1e-4 + 1e-3 }),
            )
            .collect();
        let close = |mut c: Vec<Coord<f64>>| {
            c.push(c[0]);
            Polygon::new(LineString::new(c), vec![])
        };
        let bound = (40.0 * n as f64 * (n as f64).log2()) as u64;
        for (what, ring) in
            [("comb", comb(0.0)), ("slanted comb", comb(0.3)), ("circle", circle), ("sliver", sliver)]
        {
            let count = Cell::new(0);
            assert_eq!(check_counting(&close(ring.clone()), &count), Ok(()), "{what}");
            assert!(count.get() < bound, "{what}: {} comparisons, bound {bound}", count.get());
            // Pull the middle vertex far above the middle: its edges now cross the ring.
            let (x_mid, top) = (
                ring.iter().map(|c| c.x).sum::<f64>() / n as f64,
                ring.iter().map(|c| c.y).fold(f64::MIN, f64::max),
            );
            let mut bad = ring;
            bad[n / 2] = Coord { x: x_mid, y: 2.0 * top.abs() + 1.0 };
            let count = Cell::new(0);
            let found = check_counting(&close(bad), &count).unwrap_err();
            assert!(found.contains("self-intersection"), "{what}: {found}");
            assert!(count.get() < bound, "{what} (crossed): {} comparisons", count.get());
        }
    }
}
