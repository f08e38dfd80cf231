//! Longitude/latitude boxes and their bounding boxes in unit-sphere xyz.

use crate::model::LonLat;
use rstar::AABB;

/// A viewport in degrees. `west > east` means the box crosses the antimeridian.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BBox {
    pub west: f64,
    pub south: f64,
    pub east: f64,
    pub north: f64,
}

impl BBox {
    pub fn crosses_antimeridian(&self) -> bool {
        self.west > self.east
    }

    /// One or two plain longitude ranges covering the box.
    pub fn lon_ranges(&self) -> Vec<(f64, f64)> {
        if self.crosses_antimeridian() {
            vec![(self.west, 180.0), (-180.0, self.east)]
        } else {
            vec![(self.west, self.east)]
        }
    }

    /// Edges included. At a pole every longitude is the same place.
    pub fn contains(&self, p: LonLat) -> bool {
        if p.lat < self.south || p.lat > self.north {
            return false;
        }
        let in_lon = if self.crosses_antimeridian() {
            p.lon >= self.west || p.lon <= self.east
        } else {
            (self.west <= p.lon && p.lon <= self.east)
                || (p.lon == -180.0 && self.east == 180.0)
                || (p.lon == 180.0 && self.west == -180.0)
        };
        in_lon || p.lat.abs() == 90.0
    }
}

/// The xyz bounding box of the spherical region `south..=north` × `west..=east` (west <= east,
/// both within -180..=180), padded slightly. Every point of the region lies inside it.
pub fn envelope_for(south: f64, north: f64, west: f64, east: f64) -> AABB<[f64; 3]> {
    let (s, n) = (south.to_radians(), north.to_radians());
    let (w, e) = (west.to_radians(), east.to_radians());
    // cos(lat) over the latitude range (never negative).
    let cos_lo = s.cos().min(n.cos());
    let cos_hi = if south <= 0.0 && north >= 0.0 { 1.0 } else { s.cos().max(n.cos()) };
    // cos and sin of longitude over the range: the ends, plus any axis crossed.
    let (mut cl, mut sl) = (span(w.cos(), e.cos()), span(w.sin(), e.sin()));
    let crosses = |deg: f64| west <= deg && deg <= east;
    if crosses(0.0) {
        cl[1] = 1.0;
    }
    if crosses(180.0) || crosses(-180.0) {
        cl[0] = -1.0;
    }
    if crosses(90.0) {
        sl[1] = 1.0;
    }
    if crosses(-90.0) {
        sl[0] = -1.0;
    }
    let range = |[lo, hi]: [f64; 2]| {
        // c * t for c in [cos_lo, cos_hi] and t in [lo, hi] is bilinear: extremes at corners.
        let products = [cos_lo * lo, cos_lo * hi, cos_hi * lo, cos_hi * hi];
        let min = products.iter().copied().fold(f64::INFINITY, f64::min);
        let max = products.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (min, max)
    };
    let (x0, x1) = range(cl);
    let (y0, y1) = range(sl);
    let pad = 1e-9;
    AABB::from_corners([x0 - pad, y0 - pad, s.sin() - pad], [x1 + pad, y1 + pad, n.sin() + pad])
}

/// [min, max] of two values.
fn span(a: f64, b: f64) -> [f64; 2] {
    [a.min(b), a.max(b)]
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rstar::Envelope;

    #[test]
    fn envelope_holds_every_point_of_random_regions() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for _ in 0..2000 {
            let a: f64 = rng.random_range(-90.0..=90.0);
            let b: f64 = rng.random_range(-90.0..=90.0);
            let c: f64 = rng.random_range(-180.0..=180.0);
            let d: f64 = rng.random_range(-180.0..=180.0);
            let (s, n, w, e) = (a.min(b), a.max(b), c.min(d), c.max(d));
            let env = envelope_for(s, n, w, e);
            for _ in 0..20 {
                let p = LonLat { lat: rng.random_range(s..=n), lon: rng.random_range(w..=e) };
                assert!(env.contains_point(&p.to_xyz()), "{p:?} outside envelope of {s},{n},{w},{e}");
            }
            for p in [LonLat { lat: s, lon: w }, LonLat { lat: n, lon: e }] {
                assert!(env.distance_2(&p.to_xyz()) == 0.0);
            }
        }
    }

    #[test]
    fn antimeridian_box_contains_both_sides() {
        let b = BBox { west: 170.0, south: -20.0, east: -170.0, north: -10.0 };
        assert!(b.contains(LonLat { lon: 179.5, lat: -17.0 }));
        assert!(b.contains(LonLat { lon: -179.5, lat: -17.0 }));
        assert!(!b.contains(LonLat { lon: 0.0, lat: -17.0 }));
    }
}
