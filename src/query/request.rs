//! Typed search requests. The HTTP layer builds them from a query string or a JSON body
//! (`http::params`) and only once every part is valid, so answering one cannot fail.

use super::envelope::envelope_for;
use super::{Area, BoundingBox, Filters, Hit, finish_by_id, nearest, within};
use crate::index::Snapshot;
use crate::model::LonLat;
use sha2::{Digest, Sha256};

/// The `k` providers nearest to a point, optionally no farther than `max_distance_m`.
#[derive(Debug, Clone, PartialEq)]
pub struct Near {
    pub origin: LonLat,
    pub k: usize,
    pub max_distance_m: Option<f64>,
}

/// Every provider within `radius_m` of a point.
#[derive(Debug, Clone, PartialEq)]
pub struct Within {
    pub origin: LonLat,
    pub radius_m: f64,
}

/// Where a region search looks: a longitude/latitude box or a polygon area. Both are
/// answered alike (candidates from the tree by envelope, then an exact test), by id.
#[derive(Debug, Clone)]
pub enum Region {
    Box(BoundingBox),
    Area(Area),
}

/// One search, valid by construction.
#[derive(Debug, Clone)]
pub enum Search {
    Near(Near),
    Within(Within),
    Region(Region),
}

impl Region {
    /// One to three plain longitude ranges (each within -180..=180) covering the region.
    fn lon_ranges(&self) -> Vec<(f64, f64)> {
        match self {
            Region::Box(b) => b.lon_ranges(),
            Region::Area(a) => a.lon_ranges(),
        }
    }

    fn lat_range(&self) -> (f64, f64) {
        match self {
            Region::Box(b) => (b.south, b.north),
            Region::Area(a) => (a.south(), a.north()),
        }
    }

    /// Boundary included.
    pub fn contains(&self, p: LonLat) -> bool {
        match self {
            Region::Box(b) => b.contains(p),
            Region::Area(a) => a.contains(p),
        }
    }

    fn feed(&self, h: &mut Sha256) {
        match self {
            Region::Box(b) => {
                h.update(b"box");
                for v in [b.west, b.south, b.east, b.north] {
                    h.update(v.to_bits().to_be_bytes());
                }
            }
            Region::Area(a) => {
                h.update(b"area");
                a.feed(h);
            }
        }
    }
}

/// Every provider inside the region (boundary included) that passes `filters`, by id.
pub fn in_region(snap: &Snapshot, region: &Region, filters: &Filters) -> Vec<Hit> {
    let (south, north) = region.lat_range();
    let mut slots: Vec<u32> = Vec::new();
    for (w, e) in region.lon_ranges() {
        slots.extend(
            snap.tree
                .locate_in_envelope_intersecting(&envelope_for(south, north, w, e))
                .map(|p| p.data)
                .filter(|slot| region.contains(snap.points[*slot as usize])),
        );
    }
    finish_by_id(snap, slots, filters)
}

impl Search {
    /// The query point of a point search (near, within); regions have none.
    pub fn origin(&self) -> Option<LonLat> {
        match self {
            Search::Near(n) => Some(n.origin),
            Search::Within(w) => Some(w.origin),
            Search::Region(_) => None,
        }
    }

    /// Every hit: nearest first for point searches, by id for regions.
    pub fn run(&self, snap: &Snapshot, filters: &Filters) -> Vec<Hit> {
        match self {
            Search::Near(n) => nearest(snap, n.origin, n.k, n.max_distance_m, filters),
            Search::Within(w) => within(snap, w.origin, w.radius_m, filters),
            Search::Region(r) => in_region(snap, r, filters),
        }
    }

    /// Feeds a canonical encoding of the search to `h` (what a page cursor is bound to):
    /// equal searches feed equal bytes however they were written, different ones differ.
    pub fn feed(&self, h: &mut Sha256) {
        let point = |h: &mut Sha256, p: LonLat| {
            h.update(p.lon.to_bits().to_be_bytes());
            h.update(p.lat.to_bits().to_be_bytes());
        };
        match self {
            Search::Near(n) => {
                h.update(b"near");
                point(h, n.origin);
                h.update((n.k as u64).to_be_bytes());
                h.update(n.max_distance_m.map_or(u64::MAX, f64::to_bits).to_be_bytes());
            }
            Search::Within(w) => {
                h.update(b"within");
                point(h, w.origin);
                h.update(w.radius_m.to_bits().to_be_bytes());
            }
            Search::Region(r) => r.feed(h),
        }
    }
}
