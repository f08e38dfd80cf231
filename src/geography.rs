//! The bundled geography: which country, Indian state or district a point is in, and whether a
//! large town is near it. Parsed once per process from files compiled into the binary (see
//! data/SOURCES.md): country outlines (Natural Earth), India's states and districts (DataMeet) and
//! the towns of 50,000 people or more (GeoNames).
//!
//! Lookups are strict: a point is in an area only when it is inside (or on) one of its outlines.
//! The outlines are simplified (countries and states about 1 km, districts about 150 m), so a point
//! on a beach may be in none; callers that need a coastal tolerance (emergency numbers) add it.
//! A lookup is a point-in-polygon test behind an R-tree of polygon bounding boxes, remembered
//! per eighth of a degree where no outline crosses that cell (see [`Layer::find`]).
//!
//! Antimeridian: rings that cross 180° (Fiji, Russia) are stored unwrapped, with western
//! longitudes plus 360, so a point is tested at `lon` and, when `lon < 0`, at `lon + 360` too.

use crate::basemap::{COUNTRIES_GEOJSON, INDIA_STATES_GEOJSON};
use crate::model::{EARTH_RADIUS_M, LonLat, chord2_for_distance_m};
use geo::{BoundingRect, Coord, Intersects, LineString, Point, Polygon};
use rstar::primitives::{GeomWithData, Rectangle};
use rstar::{AABB, RTree};
use serde::Deserialize;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, OnceLock, PoisonError, RwLock};

/// India's 723 districts (properties `district` and `state`).
pub const INDIA_DISTRICTS_GEOJSON: &str = include_str!("../data/boundaries/india_districts.geojson");
/// `data/towns_50k.csv`: name,country,lat,lon,population, every town of 50,000 or more.
pub const TOWNS_CSV: &str = include_str!("../data/towns_50k.csv");

/// A bundled file that does not parse. Only a broken build produces one.
#[derive(Debug, thiserror::Error)]
#[error("{file}: {message}")]
pub struct BoundaryError {
    pub file: &'static str,
    pub message: String,
}

#[derive(Deserialize)]
struct FeatureCollection {
    features: Vec<Feature>,
}

#[derive(Deserialize)]
struct Feature {
    properties: serde_json::Map<String, serde_json::Value>,
    geometry: Geometry,
}

impl Feature {
    fn property(&self, file: &'static str, i: usize, key: &str) -> Result<&str, BoundaryError> {
        self.properties.get(key).and_then(|v| v.as_str()).ok_or_else(|| BoundaryError {
            file,
            message: format!("feature {i} has no string property '{key}'"),
        })
    }
}

#[derive(Deserialize)]
#[serde(tag = "type", content = "coordinates")]
enum Geometry {
    Polygon(Vec<Vec<[f64; 2]>>),
    MultiPolygon(Vec<Vec<Vec<[f64; 2]>>>),
}

fn features(file: &'static str, text: &str) -> Result<Vec<Feature>, BoundaryError> {
    let fc: FeatureCollection =
        serde_json::from_str(text).map_err(|e| BoundaryError { file, message: e.to_string() })?;
    Ok(fc.features)
}

type Entry = GeomWithData<Rectangle<[f64; 2]>, usize>;

/// The side of a cell of a layer's lookup cache, in degrees: a power of two, so that a point's
/// cell and the cell's edges are computed exactly.
const CELL_DEG: f64 = 0.125;
/// The side of the finer cells that a cell an outline crosses is split into: an outline runs
/// through few of the 64, so few points are tested against it.
const FINE_CELL_DEG: f64 = CELL_DEG / 8.0;
/// Lookups in a mixed cell before its finer cells are used: working one out is a pass over the
/// outlines, worth it where points keep coming (a town on a border), not for a one-off.
const FINE_AFTER: u32 = 16;
/// Counters of lookups in mixed cells, shared by cells whose keys hash alike (a rough count).
const ASK_COUNTERS: usize = 4096;
/// The most cells of each size a layer remembers (about 2 MB); past it, lookups in new cells are worked out
/// each time, so a caller sweeping the globe cannot grow the cache without bound.
const MAX_CELLS: usize = 1 << 16;

/// What [`Layer::find`] answers everywhere in one cell.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Cell {
    /// No outline crosses or touches the cell: this area (or none) for every point in it.
    Uniform(Option<usize>),
    /// An outline runs through the cell: each point is tested.
    Mixed,
}

/// Named areas (countries, states or districts): polygons behind an R-tree of their bounding boxes.
pub(crate) struct Layer {
    /// One name per area, in file order; an area's index is its position here.
    pub(crate) names: Vec<String>,
    /// Each polygon with the index of its area.
    polygons: Vec<(usize, Polygon<f64>)>,
    tree: RTree<Entry>,
    /// `find`'s answers by cell (column and row of [`CELL_DEG`] degrees), filled as cells are
    /// asked about: a search answer asks for the emergency numbers of its point, and testing
    /// India's outline point by point was a twentieth of a nearest answer's time.
    cells: RwLock<foldhash::HashMap<(i32, i32), Cell>>,
    /// The same by cells of [`FINE_CELL_DEG`], asked about for points in mixed cells.
    fine_cells: RwLock<foldhash::HashMap<(i32, i32), Cell>>,
    /// Lookups in mixed cells, by [`asked`].
    asks: Box<[AtomicU32]>,
}

/// The column and row of the cell of `side` degrees holding the point.
fn cell_key(side: f64, lon: f64, lat: f64) -> (i32, i32) {
    ((lon / side).floor() as i32, (lat / side).floor() as i32)
}

impl Layer {
    /// A layer from a GeoJSON FeatureCollection whose string property `key` names each area.
    pub(crate) fn parse(file: &'static str, text: &str, key: &str) -> Result<Layer, BoundaryError> {
        Layer::from_features(file, features(file, text)?, key)
    }

    fn from_features(file: &'static str, features: Vec<Feature>, key: &str) -> Result<Layer, BoundaryError> {
        let mut names = Vec::with_capacity(features.len());
        let mut polygons = Vec::new();
        for (i, f) in features.into_iter().enumerate() {
            names.push(f.property(file, i, key)?.to_string());
            let parts = match f.geometry {
                Geometry::Polygon(rings) => vec![rings],
                Geometry::MultiPolygon(parts) => parts,
            };
            for rings in parts {
                let mut rings = rings
                    .into_iter()
                    .map(|r| LineString::new(r.into_iter().map(|[x, y]| Coord { x, y }).collect::<Vec<_>>()));
                let exterior = rings.next().ok_or_else(|| BoundaryError {
                    file,
                    message: format!("feature {i} has an empty polygon"),
                })?;
                polygons.push((i, Polygon::new(exterior, rings.collect())));
            }
        }
        let entries = polygons
            .iter()
            .enumerate()
            .filter_map(|(slot, (_, poly))| {
                let r = poly.bounding_rect()?;
                Some(GeomWithData::new(
                    Rectangle::from_corners([r.min().x, r.min().y], [r.max().x, r.max().y]),
                    slot,
                ))
            })
            .collect();
        Ok(Layer {
            names,
            polygons,
            tree: RTree::bulk_load(entries),
            cells: RwLock::default(),
            fine_cells: RwLock::default(),
            asks: (0..ASK_COUNTERS).map(|_| AtomicU32::new(0)).collect(),
        })
    }

    /// The areas containing (x, y) in the stored frame.
    fn areas_xy(&self, x: f64, y: f64) -> impl Iterator<Item = usize> {
        let point = Point::new(x, y);
        self.tree
            .locate_all_at_point(&[x, y])
            .filter(move |e| self.polygons[e.data].1.intersects(&point))
            .map(|e| self.polygons[e.data].0)
    }

    /// The area containing `lon`, `lat`, trying both sides of the antimeridian; the lowest index
    /// when several touch it. Answered from the point's cell when no outline crosses it.
    pub(crate) fn find(&self, lon: f64, lat: f64) -> Option<usize> {
        let key = cell_key(CELL_DEG, lon, lat);
        let cell = match self.cached(&self.cells, key, CELL_DEG) {
            Cell::Mixed if self.asked(key) >= FINE_AFTER => {
                self.cached(&self.fine_cells, cell_key(FINE_CELL_DEG, lon, lat), FINE_CELL_DEG)
            }
            cell => cell,
        };
        match cell {
            Cell::Uniform(area) => area,
            Cell::Mixed => self.find_exact(lon, lat),
        }
    }

    /// The cell of `side` degrees at `key`, from `cells` or worked out and kept there.
    fn cached(
        &self,
        cells: &RwLock<foldhash::HashMap<(i32, i32), Cell>>,
        key: (i32, i32),
        side: f64,
    ) -> Cell {
        let (known, full) = {
            let cells = cells.read().unwrap_or_else(PoisonError::into_inner);
            (cells.get(&key).copied(), cells.len() >= MAX_CELLS)
        };
        match known {
            Some(cell) => cell,
            // Not worked out for a lookup it would not be kept for: the point is tested.
            None if full => Cell::Mixed,
            None => {
                let cell = self.cell(key, side);
                let mut cells = cells.write().unwrap_or_else(PoisonError::into_inner);
                if cells.len() < MAX_CELLS {
                    cells.insert(key, cell);
                }
                cell
            }
        }
    }

    /// Counts a lookup in the mixed cell at `(i, j)`; how many there have been.
    fn asked(&self, (i, j): (i32, i32)) -> u32 {
        let hash = (i as u32).wrapping_mul(0x9e37_79b1) ^ (j as u32).wrapping_mul(0x85eb_ca6b);
        let counter = &self.asks[hash as usize % ASK_COUNTERS];
        counter.fetch_add(1, Ordering::Relaxed).saturating_add(1)
    }

    /// `find` by testing the point against the outlines.
    pub(crate) fn find_exact(&self, lon: f64, lat: f64) -> Option<usize> {
        frames(lon).find_map(|x| self.areas_xy(x, lat).min())
    }

    /// What `find` answers in the cell of `side` degrees (a power of two) at column `i`, row
    /// `j`. Where no ring of any polygon
    /// crosses or touches the cell (closed, in each frame its points are tested in), every
    /// polygon holds all of it or none, so its centre stands for all of its points.
    fn cell(&self, (i, j): (i32, i32), side: f64) -> Cell {
        let (west, south) = (f64::from(i) * side, f64::from(j) * side);
        // `frames`: west of 0° a point is also tested 360° east; a cell reaching 180° holds
        // points tested once and a point (180° itself) tested twice, so it is not summarised.
        let shifts: &[f64] = match (i < 0, west + side <= 180.0) {
            (true, _) => &[0.0, 360.0],
            (false, true) => &[0.0],
            (false, false) => return Cell::Mixed,
        };
        let mut found = None;
        for &dx in shifts {
            let (x0, x1, y1) = (west + dx, west + dx + side, south + side);
            let rect = geo::Rect::new(Coord { x: x0, y: south }, Coord { x: x1, y: y1 });
            let crossed = self
                .tree
                .locate_in_envelope_intersecting(&AABB::from_corners([x0, south], [x1, y1]))
                .any(|e| {
                    let poly = &self.polygons[e.data].1;
                    std::iter::once(poly.exterior()).chain(poly.interiors()).any(|r| r.intersects(&rect))
                });
            if crossed {
                return Cell::Mixed;
            }
            found = found.or_else(|| self.areas_xy((x0 + x1) / 2.0, (south + y1) / 2.0).min());
        }
        Cell::Uniform(found)
    }

    /// Whether area `area` contains `p` (on either side of the antimeridian).
    fn contains(&self, area: usize, p: LonLat) -> bool {
        frames(p.lon).any(|x| self.areas_xy(x, p.lat).any(|a| a == area))
    }

    fn index_of(&self, name: &str) -> Option<usize> {
        self.names.iter().position(|n| n == name)
    }
}

/// The tests' reference for a layer: every polygon with its bounding box, scanned in full (no R-tree).
#[cfg(test)]
pub(crate) struct Scan<'a>(Vec<(usize, geo::Rect<f64>, &'a Polygon<f64>)>);

#[cfg(test)]
impl<'a> Scan<'a> {
    pub(crate) fn new(layer: &'a Layer) -> Self {
        Scan(layer.polygons.iter().filter_map(|(a, poly)| Some((*a, poly.bounding_rect()?, poly))).collect())
    }

    /// Every area containing `p` (interior or outer boundary, either side of the antimeridian).
    pub(crate) fn at(&self, p: LonLat) -> Vec<usize> {
        use geo::Contains;
        let mut found: Vec<usize> = frames(p.lon)
            .flat_map(|x| {
                let point = Point::new(x, p.lat);
                self.0
                    .iter()
                    .filter(move |(_, rect, poly)| {
                        rect.intersects(&point)
                            && (poly.contains(&point) || poly.exterior().intersects(&point))
                    })
                    .map(|(area, _, _)| *area)
            })
            .collect();
        found.sort_unstable();
        found.dedup();
        found
    }
}

/// The longitudes at which to test a point: itself and, across the antimeridian, ±360.
fn frames(lon: f64) -> impl Iterator<Item = f64> {
    std::iter::once(lon)
        .chain((lon < 0.0).then_some(lon + 360.0))
        .chain((lon >= 180.0).then_some(lon - 360.0))
}

/// The point `distance_m` from `p` along `bearing_deg` (clockwise from north) on the great circle,
/// as (lon, lat) with lon in -180..180.
pub fn destination(p: LonLat, distance_m: f64, bearing_deg: f64) -> (f64, f64) {
    let d = distance_m / EARTH_RADIUS_M;
    let b = bearing_deg.to_radians();
    let (lat1, lon1) = (p.lat.to_radians(), p.lon.to_radians());
    let lat2 = (lat1.sin() * d.cos() + lat1.cos() * d.sin() * b.cos()).asin();
    let lon2 = lon1 + (b.sin() * d.sin() * lat1.cos()).atan2(d.cos() - lat1.sin() * lat2.sin());
    let mut lon = lon2.to_degrees();
    if lon > 180.0 {
        lon -= 360.0;
    } else if lon < -180.0 {
        lon += 360.0;
    }
    (lon, lat2.to_degrees())
}

/// One of India's districts: an index into the bundled district outlines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct DistrictId(u16);

#[derive(Deserialize)]
struct TownRow {
    lat: f64,
    lon: f64,
}

/// The bundled outlines and large towns.
pub struct Geography {
    countries: Arc<Layer>,
    india_states: Arc<Layer>,
    districts: Layer,
    /// The state (index into `india_states`) of each district.
    district_states: Vec<usize>,
    /// Towns of 50,000 or more as unit vectors, so chord order is great-circle order.
    towns: RTree<[f64; 3]>,
}

impl std::fmt::Debug for Geography {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Geography")
            .field("countries", &self.countries.names.len())
            .field("india_states", &self.india_states.names.len())
            .field("districts", &self.districts.names.len())
            .field("towns", &self.towns.size())
            .finish()
    }
}

/// The geography compiled into the binary, parsed on first use. The files are checked by the
/// tests, so a failure here is a broken build.
pub fn bundled() -> &'static Geography {
    static BUNDLED: OnceLock<Geography> = OnceLock::new();
    BUNDLED.get_or_init(|| {
        Geography::parse(COUNTRIES_GEOJSON, INDIA_STATES_GEOJSON, INDIA_DISTRICTS_GEOJSON, TOWNS_CSV)
            .expect("the bundled geography parses")
    })
}

impl Geography {
    /// Builds the geography from the four files' contents; every district's state must be one of
    /// the states.
    pub fn parse(
        countries_geojson: &str,
        india_states_geojson: &str,
        india_districts_geojson: &str,
        towns_csv: &str,
    ) -> Result<Geography, BoundaryError> {
        let countries = Layer::parse("countries.geojson", countries_geojson, "iso_a2")?;
        let india_states = Layer::parse("india_states.geojson", india_states_geojson, "name")?;

        let file = "india_districts.geojson";
        let features = features(file, india_districts_geojson)?;
        let district_states = features
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let state = f.property(file, i, "state")?;
                india_states.index_of(state).ok_or_else(|| BoundaryError {
                    file,
                    message: format!("feature {i}: unknown state '{state}'"),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        if district_states.len() > usize::from(u16::MAX) {
            return Err(BoundaryError { file, message: "too many districts".into() });
        }
        let districts = Layer::from_features(file, features, "district")?;

        let file = "towns_50k.csv";
        let mut towns = Vec::new();
        for (i, row) in csv::Reader::from_reader(towns_csv.as_bytes()).deserialize::<TownRow>().enumerate() {
            let row = row.map_err(|e| BoundaryError { file, message: e.to_string() })?;
            let p = LonLat::new(row.lon, row.lat)
                .map_err(|e| BoundaryError { file, message: format!("row {}: {e}", i + 1) })?;
            towns.push(p.to_xyz());
        }

        Ok(Geography {
            countries: Arc::new(countries),
            india_states: Arc::new(india_states),
            districts,
            district_states,
            towns: RTree::bulk_load(towns),
        })
    }

    /// The ISO 3166-1 alpha-2 code of the country whose outline contains `p`; `None` at sea (or just
    /// off a simplified coast).
    pub fn country_at(&self, p: LonLat) -> Option<&str> {
        self.countries.find(p.lon, p.lat).map(|i| self.countries.names[i].as_str())
    }

    /// Whether the bundled outlines have the country `code` (ISO 3166-1 alpha-2).
    pub fn has_country(&self, code: &str) -> bool {
        self.countries.index_of(code).is_some()
    }

    /// Whether `p` is inside the outline of country `code`; for India, inside India's outline or
    /// any of its district outlines, which are finer (Natural Earth's 1:50m coast leaves out South
    /// Mumbai). False for a code without an outline.
    pub fn in_country(&self, code: &str, p: LonLat) -> bool {
        self.countries.index_of(code).is_some_and(|i| self.countries.contains(i, p))
            || (code == "IN" && self.india_district_at(p).is_some())
    }

    /// The Indian district whose outline contains `p`.
    pub fn india_district_at(&self, p: LonLat) -> Option<DistrictId> {
        self.districts.find(p.lon, p.lat).map(|i| DistrictId(i as u16))
    }

    /// Whether `p` is inside the outline of district `id`.
    pub fn in_district(&self, id: DistrictId, p: LonLat) -> bool {
        self.districts.contains(usize::from(id.0), p)
    }

    /// The district's name as in the source (e.g. "Lucknow"); names repeat across states.
    pub fn district_name(&self, id: DistrictId) -> &str {
        &self.districts.names[usize::from(id.0)]
    }

    /// The state or union territory the district is in (e.g. "Uttar Pradesh").
    pub fn district_state(&self, id: DistrictId) -> &str {
        &self.india_states.names[self.district_states[usize::from(id.0)]]
    }

    /// The Indian state or union territory whose outline contains `p`.
    pub fn india_state_at(&self, p: LonLat) -> Option<&str> {
        self.india_states.find(p.lon, p.lat).map(|i| self.india_states.names[i].as_str())
    }

    /// Whether `p` is inside the outline of the Indian state or union territory `name`.
    pub fn in_india_state(&self, name: &str, p: LonLat) -> bool {
        self.india_states.index_of(name).is_some_and(|i| self.india_states.contains(i, p))
    }

    /// Whether a town of 50,000 people or more lies within `metres` (great circle) of `p`.
    pub fn large_town_within(&self, p: LonLat, metres: f64) -> bool {
        self.towns.locate_within_distance(p.to_xyz(), chord2_for_distance_m(metres)).next().is_some()
    }

    /// The country outlines, shared with the emergency directory.
    pub(crate) fn countries(&self) -> Arc<Layer> {
        self.countries.clone()
    }

    /// India's state outlines, shared with the emergency directory.
    pub(crate) fn india_states(&self) -> Arc<Layer> {
        self.india_states.clone()
    }

    #[cfg(test)]
    pub(crate) fn layers(&self) -> (&Layer, &Layer, &Layer) {
        (&self.countries, &self.india_states, &self.districts)
    }

    #[cfg(test)]
    pub(crate) fn district_ids(&self) -> impl Iterator<Item = DistrictId> {
        (0..self.districts.names.len()).map(|i| DistrictId(i as u16))
    }

    #[cfg(test)]
    pub(crate) fn district_index(id: DistrictId) -> usize {
        usize::from(id.0)
    }

    /// The polygons of one district (tests pick exact points inside them).
    #[cfg(test)]
    pub(crate) fn district_polygons(&self, id: DistrictId) -> impl Iterator<Item = &Polygon<f64>> {
        self.districts.polygons.iter().filter(move |(a, _)| *a == usize::from(id.0)).map(|(_, p)| p)
    }
}

/// Every town of `data/towns_50k.csv`, read again without the R-tree: the tests' reference.
#[cfg(test)]
pub(crate) fn scan_towns() -> Vec<LonLat> {
    csv::Reader::from_reader(TOWNS_CSV.as_bytes())
        .deserialize::<TownRow>()
        .map(|r| r.map(|r| LonLat { lon: r.lon, lat: r.lat }).expect("towns_50k.csv parses"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    fn at(lat: f64, lon: f64) -> LonLat {
        LonLat::new(lon, lat).unwrap()
    }

    #[test]
    fn every_district_has_a_known_state_and_a_unique_name_in_it() {
        let g = bundled();
        let (countries, states, districts) = g.layers();
        assert_eq!(districts.names.len(), 723, "the source has 723 districts");
        assert_eq!(states.names.len(), 36);
        assert!(countries.names.len() > 200);
        let mut pairs: Vec<(&str, &str)> =
            g.district_ids().map(|d| (g.district_state(d), g.district_name(d))).collect();
        pairs.sort_unstable();
        pairs.dedup();
        assert_eq!(pairs.len(), 723, "a district is known by its state and name");
        for state in &states.names {
            assert!(pairs.iter().any(|(s, _)| s == state), "{state} has no district");
        }
        let bad = INDIA_DISTRICTS_GEOJSON.replacen("\"state\":\"Goa\"", "\"state\":\"Gao\"", 1);
        let e = Geography::parse(COUNTRIES_GEOJSON, INDIA_STATES_GEOJSON, &bad, TOWNS_CSV).unwrap_err();
        assert!(e.to_string().contains("unknown state 'Gao'"), "{e}");
        let e = Geography::parse(
            COUNTRIES_GEOJSON,
            INDIA_STATES_GEOJSON,
            INDIA_DISTRICTS_GEOJSON,
            "name,country,lat,lon,population\nX,IN,95,80,60000\n",
        )
        .unwrap_err();
        assert!(e.to_string().contains("towns_50k.csv"), "{e}");
    }

    #[test]
    fn known_places_are_in_their_country_state_and_district() {
        let g = bundled();
        // (lat, lon, district, state): hand-picked points well inside each district.
        let places = [
            (26.85, 80.95, "Lucknow", "Uttar Pradesh"),
            (28.63, 77.22, "Delhi", "Delhi"), // Connaught Place
            (22.57, 88.36, "Kolkata", "West Bengal"),
            (19.07, 72.88, "Mumbai", "Maharashtra"), // Kurla
            (11.727, 75.545, "Mahe", "Puducherry"),  // an enclave in Kerala, 2 km² here
            (24.75, 84.38, "Aurangabad", "Bihar"),   // the name repeats in two states
            (19.88, 75.34, "Aurangabad", "Maharashtra"),
            (26.92, 70.91, "Jaisalmer", "Rajasthan"),
            (11.62, 92.72, "South Andaman", "Andaman and Nicobar Islands"), // Port Blair
        ];
        for (lat, lon, district, state) in places {
            let p = at(lat, lon);
            let d =
                g.india_district_at(p).unwrap_or_else(|| panic!("{district}: no district at {lat},{lon}"));
            assert_eq!((g.district_name(d), g.district_state(d)), (district, state), "{lat},{lon}");
            assert!(g.in_district(d, p));
            assert_eq!(g.india_state_at(p), Some(state), "{lat},{lon}");
            assert!(g.in_india_state(state, p));
            assert_eq!(g.country_at(p), Some("IN"), "{lat},{lon}");
            assert!(g.in_country("IN", p));
        }
        let sydney = at(-33.87, 151.21);
        assert_eq!(g.country_at(sydney), Some("AU"));
        assert!(!g.in_country("IN", sydney));
        assert_eq!((g.india_district_at(sydney), g.india_state_at(sydney)), (None, None));
        assert!(!g.in_country("ZZ", sydney) && !g.has_country("ZZ") && g.has_country("AU"));
        // Fiji on both sides of 180° (Taveuni, Lakeba, Viti Levu), mid-ocean and off Mumbai nowhere.
        for (lat, lon) in [(-16.9, 179.95), (-16.8, -179.9), (-18.2, -178.8), (-18.0, 178.3)] {
            assert_eq!(g.country_at(at(lat, lon)), Some("FJ"), "{lat},{lon}");
            assert!(g.in_country("FJ", at(lat, lon)));
        }
        for (lat, lon) in [(-30.0, -140.0), (0.0, -30.0), (10.0, 65.0), (19.0, 72.2)] {
            assert_eq!(g.country_at(at(lat, lon)), None, "{lat},{lon}");
        }
    }

    /// A point uniform on the sphere, or in a lon/lat box.
    fn random_point(rng: &mut ChaCha8Rng, lon: (f64, f64), lat: (f64, f64)) -> LonLat {
        let (s, n) = (lat.0.to_radians().sin(), lat.1.to_radians().sin());
        LonLat { lon: rng.random_range(lon.0..lon.1), lat: rng.random_range(s..n).asin().to_degrees() }
    }

    #[test]
    fn lookups_match_a_scan_of_every_polygon() {
        let g = bundled();
        let (countries, states, districts) = g.layers();
        let scans = [Scan::new(countries), Scan::new(states), Scan::new(districts)];
        let mut rng = ChaCha8Rng::seed_from_u64(10);
        let mut hits = [0; 3];
        for i in 0..3_000 {
            // India's box, then the whole world, then the Pacific around Fiji.
            let p = match i % 3 {
                0 => random_point(&mut rng, (68.0, 98.0), (6.0, 37.0)),
                1 => random_point(&mut rng, (-180.0, 180.0), (-90.0, 90.0)),
                _ => random_point(&mut rng, (176.0, 180.0), (-20.0, -15.0)),
            };
            let p =
                if i % 3 == 2 && rng.random_bool(0.5) { LonLat { lon: p.lon - 360.0 + 4.0, ..p } } else { p };
            let found = [
                g.country_at(p).map(|c| countries.index_of(c).unwrap()),
                g.india_state_at(p).map(|s| states.index_of(s).unwrap()),
                g.india_district_at(p).map(Geography::district_index),
            ];
            for (k, found) in found.into_iter().enumerate() {
                let scan = scans[k].at(p);
                match found {
                    None => assert!(scan.is_empty(), "{p:?}: the scan finds {scan:?}"),
                    Some(a) => {
                        hits[k] += 1;
                        assert_eq!(Some(&a), scan.first(), "{p:?}: lowest index of {scan:?}");
                    }
                }
            }
        }
        // Enough points fell inside something for the comparison to mean anything.
        assert!(hits.iter().all(|&h| h > 300), "{hits:?}");
    }

    #[test]
    fn cached_cells_answer_as_the_outlines_do_everywhere_in_them() {
        let g = bundled();
        let (countries, states, districts) = g.layers();
        let layers = [countries, states, districts];
        let scans = layers.map(Scan::new);
        let mut rng = ChaCha8Rng::seed_from_u64(12);
        let (mut kinds, mut fine_kinds) = ([0usize; 3], [0usize; 3]);
        for i in 0..600 {
            // Cells over India (borders, coasts, states' and districts' edges), then over Fiji and
            // on both sides of the antimeridian.
            let c = match i % 3 {
                0 | 1 => random_point(&mut rng, (68.0, 98.0), (6.0, 37.0)),
                _ => random_point(&mut rng, (-180.0, 180.0), (-20.0, -15.0)),
            };
            let (west, south) =
                ((c.lon / CELL_DEG).floor() * CELL_DEG, (c.lat / CELL_DEG).floor() * CELL_DEG);
            // The cell's south-west corner, points on its west and south edges, points just inside
            // its east and north edges, and random points inside, each asked twice.
            let inside = |f: f64| f * CELL_DEG;
            let mut points = vec![(west, south), (west, south + inside(0.5)), (west + inside(0.5), south)];
            points.push(((west + CELL_DEG).next_down(), (south + CELL_DEG).next_down()));
            points.extend((0..8).map(|_| (west + inside(rng.random()), south + inside(rng.random()))));
            // And on the edges of the finer cells a mixed cell is split into, and just inside them.
            for m in 1..8 {
                let edge = inside(f64::from(m) / 8.0);
                points.push((west + edge, south + inside(rng.random())));
                points.push((west + inside(rng.random()), (south + edge).next_down()));
            }
            for (k, layer) in layers.iter().enumerate() {
                let key = ((west / CELL_DEG) as i32, (south / CELL_DEG) as i32);
                let kind = |cell| match cell {
                    Cell::Mixed => 0,
                    Cell::Uniform(None) => 1,
                    Cell::Uniform(Some(_)) => 2,
                };
                let coarse = layer.cell(key, CELL_DEG);
                kinds[kind(coarse)] += 1;
                if coarse == Cell::Mixed {
                    let fine = cell_key(FINE_CELL_DEG, c.lon, c.lat);
                    fine_kinds[kind(layer.cell(fine, FINE_CELL_DEG))] += 1;
                }
                for &(lon, lat) in points.iter().chain(&points) {
                    let p = LonLat { lon, lat };
                    assert_eq!(layer.find(lon, lat), scans[k].at(p).first().copied(), "{p:?} in layer {k}");
                }
            }
        }
        // Each kind of cell was met often enough to be tested, and so were mixed cells' finer
        // cells that an outline crosses and that it does not.
        assert!(kinds.iter().all(|&n| n > 100), "{kinds:?}");
        assert!(fine_kinds[0] > 10 && fine_kinds[2] > 50, "{fine_kinds:?}");
    }

    #[test]
    fn a_full_cache_leaves_lookups_exact() {
        let layer = Layer::parse("countries.geojson", COUNTRIES_GEOJSON, "iso_a2").unwrap();
        // One lookup in each of more cells than the cache holds, in the Pacific (a few islands).
        let side = ((MAX_CELLS + 100) as f64).sqrt().ceil() as i32;
        for i in 0..side {
            for j in 0..side {
                let (lon, lat) = (-170.0 + f64::from(i) * CELL_DEG, -30.0 + f64::from(j) * CELL_DEG);
                assert_eq!(layer.find(lon, lat), layer.find_exact(lon, lat));
            }
        }
        assert_eq!(layer.cells.read().unwrap().len(), MAX_CELLS);
        let fiji = (178.4, -18.1);
        assert_eq!(layer.find(fiji.0, fiji.1).map(|a| layer.names[a].as_str()), Some("FJ"));
    }

    #[test]
    fn large_town_within_matches_a_scan_of_every_town() {
        let g = bundled();
        let towns = scan_towns();
        assert!(towns.len() > 10_000, "{}", towns.len());
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let (mut yes, mut no) = (0, 0);
        for i in 0..2_000 {
            let p = if i % 2 == 0 {
                let t = towns[rng.random_range(0..towns.len())];
                let (lon, lat) =
                    destination(t, rng.random_range(0.0..30_000.0), rng.random_range(0.0..360.0));
                LonLat { lon, lat }
            } else {
                random_point(&mut rng, (-180.0, 180.0), (-90.0, 90.0))
            };
            let radius = [2_000.0, 10_000.0, 25_000.0][i % 3];
            let nearest = towns.iter().map(|t| t.distance_m(p)).fold(f64::INFINITY, f64::min);
            if (nearest - radius).abs() < 1.0 {
                continue; // too close to call in floating point
            }
            let expected = nearest <= radius;
            assert_eq!(
                g.large_town_within(p, radius),
                expected,
                "{p:?} within {radius} m: nearest {nearest}"
            );
            if expected { yes += 1 } else { no += 1 }
        }
        assert!(yes > 300 && no > 300, "{yes} {no}");
    }
}
