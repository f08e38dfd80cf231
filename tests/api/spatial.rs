//! Spatial answers over HTTP compared with a brute-force scan (DESIGN §6, §9).
//!
//! The oracle here is written independently of `src/`: its own haversine, its own bbox test and
//! its own ray-casting point-in-polygon. It scans the points the API serves publicly (for a
//! confidential provider, its public point), which are the only points public answers may use.

use crate::fixtures::{self, DUPLICATE_POINTS, Generated, LUCKNOW};
use crate::helpers::TestApp;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};

const N: usize = 3000;
const SEED: u64 = 0x5eed_be11;
/// WGS84 mean radius, metres.
const EARTH_R: f64 = 6_371_008.8;
/// Distances this close are one tie (e.g. the pole written at two longitudes): ordered by id.
const TIE_M: f64 = 1e-6;
/// The API rounds distance_m to 0.1 m.
const DISTANCE_TOLERANCE_M: f64 = 0.1;

// ---------------------------------------------------------------------------------------------
// The oracle.

/// Great-circle distance in metres (haversine on the mean radius).
fn haversine_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (phi1, phi2) = (lat1.to_radians(), lat2.to_radians());
    let half_dphi = (phi2 - phi1) / 2.0;
    let half_dlambda = (lon2 - lon1).to_radians() / 2.0;
    let h = half_dphi.sin().powi(2) + phi1.cos() * phi2.cos() * half_dlambda.sin().powi(2);
    2.0 * EARTH_R * h.sqrt().min(1.0).asin()
}

/// West, south, east, north. Edges included; `w > e` crosses the antimeridian; -180 and 180 are
/// one meridian; a pole is one place whatever its longitude.
pub(crate) fn bbox_contains(b: [f64; 4], lat: f64, lon: f64) -> bool {
    let [w, s, e, n] = b;
    if lat < s || lat > n {
        return false;
    }
    if lat.abs() == 90.0 {
        return true;
    }
    let twin = if lon == 180.0 {
        -180.0
    } else if lon == -180.0 {
        180.0
    } else {
        lon
    };
    [lon, twin].into_iter().any(|x| if w <= e { w <= x && x <= e } else { x >= w || x <= e })
}

/// Rings as [lon, lat] positions; the first is the exterior, the rest are holes.
pub(crate) type Rings = Vec<Vec<[f64; 2]>>;

/// A polygon as the oracle holds it: a ring crossing the antimeridian (an edge longer than 180°
/// of longitude) has its whole polygon unwrapped to continuous longitudes (negative ones + 360).
pub(crate) struct OraclePolygon {
    rings: Rings,
}

impl OraclePolygon {
    pub(crate) fn new(rings: &Rings) -> OraclePolygon {
        let jumps = rings.iter().any(|r| r.windows(2).any(|w| (w[1][0] - w[0][0]).abs() > 180.0));
        let rings = rings
            .iter()
            .map(|r| r.iter().map(|&[x, y]| [if jumps && x < 0.0 { x + 360.0 } else { x }, y]).collect())
            .collect();
        OraclePolygon { rings }
    }

    /// Even-odd ray casting towards +x.
    fn ring_contains(ring: &[[f64; 2]], x: f64, y: f64) -> bool {
        let mut inside = false;
        for edge in ring.windows(2) {
            let ([x1, y1], [x2, y2]) = (edge[0], edge[1]);
            if (y1 > y) != (y2 > y) {
                let x_cross = x1 + (y - y1) * (x2 - x1) / (y2 - y1);
                if x < x_cross {
                    inside = !inside;
                }
            }
        }
        inside
    }

    pub(crate) fn contains(&self, lat: f64, lon: f64) -> bool {
        [lon, lon + 360.0, lon - 360.0].into_iter().any(|x| {
            Self::ring_contains(&self.rings[0], x, lat)
                && !self.rings[1..].iter().any(|hole| Self::ring_contains(hole, x, lat))
        })
    }

    /// Whether the point is within `eps` degrees of an edge (then the oracle's answer is fragile).
    fn near_edge(&self, lat: f64, lon: f64, eps: f64) -> bool {
        let seg_dist = |[x1, y1]: [f64; 2], [x2, y2]: [f64; 2], x: f64, y: f64| {
            let (dx, dy) = (x2 - x1, y2 - y1);
            let t = (((x - x1) * dx + (y - y1) * dy) / (dx * dx + dy * dy)).clamp(0.0, 1.0);
            ((x - x1 - t * dx).powi(2) + (y - y1 - t * dy).powi(2)).sqrt()
        };
        [lon, lon + 360.0, lon - 360.0]
            .into_iter()
            .any(|x| self.rings.iter().any(|r| r.windows(2).any(|w| seg_dist(w[0], w[1], x, lat) < eps)))
    }
}

/// A search area: one polygon or several (a MultiPolygon).
struct OracleArea(Vec<OraclePolygon>);

impl OracleArea {
    fn contains(&self, lat: f64, lon: f64) -> bool {
        self.0.iter().any(|p| p.contains(lat, lon))
    }
}

/// Brute force for point queries: (id, distance) by distance; ties (distances within TIE_M)
/// by id.
fn by_distance(
    served: &[Served],
    lat: f64,
    lon: f64,
    filter: &Filter,
    max_m: Option<f64>,
) -> Vec<(i64, f64)> {
    let mut v: Vec<(i64, f64)> = served
        .iter()
        .filter(|s| filter.matches(s))
        .map(|s| (s.id, haversine_m(lat, lon, s.lat, s.lon)))
        .filter(|(_, d)| max_m.is_none_or(|m| *d <= m))
        .collect();
    v.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    let mut i = 0;
    while i < v.len() {
        let mut j = i + 1;
        while j < v.len() && v[j].1 - v[j - 1].1 <= TIE_M {
            j += 1;
        }
        v[i..j].sort_by_key(|x| x.0);
        i = j;
    }
    v
}

/// Filters: OR within a kind, AND between kinds.
#[derive(Debug, Clone, Default)]
struct Filter {
    categories: Vec<&'static str>,
    languages: Vec<&'static str>,
    open_24_7: Option<bool>,
}

impl Filter {
    fn cats(mut self, c: &[&'static str]) -> Filter {
        self.categories = c.to_vec();
        self
    }

    fn langs(mut self, l: &[&'static str]) -> Filter {
        self.languages = l.to_vec();
        self
    }

    fn open(mut self, open: bool) -> Filter {
        self.open_24_7 = Some(open);
        self
    }

    fn matches(&self, s: &Served) -> bool {
        (self.categories.is_empty() || self.categories.iter().any(|c| s.categories.iter().any(|x| x == c)))
            && (self.languages.is_empty()
                || self.languages.iter().any(|l| s.languages.iter().any(|x| x == l)))
            && self.open_24_7.is_none_or(|want| s.open_24_7 == want)
    }

    /// As query parameters, each with a leading `&`.
    fn query(&self) -> String {
        let mut q = String::new();
        if !self.categories.is_empty() {
            q += &format!("&category={}", self.categories.join(","));
        }
        if !self.languages.is_empty() {
            q += &format!("&language={}", self.languages.join(","));
        }
        if let Some(open) = self.open_24_7 {
            q += &format!("&open_24_7={open}");
        }
        q
    }

    /// Adds the filters to a search body.
    fn into_body(self, mut body: Value) -> Value {
        if !self.categories.is_empty() {
            body["category"] = json!(self.categories);
        }
        if !self.languages.is_empty() {
            body["language"] = json!(self.languages);
        }
        if let Some(open) = self.open_24_7 {
            body["open_24_7"] = json!(open);
        }
        body
    }
}

/// The filter mixes the point queries rotate through.
fn filter_mixes() -> Vec<Filter> {
    vec![
        Filter::default().cats(&["shelter", "helpline"]),
        Filter::default().langs(&["hi"]),
        Filter::default().open(true),
        Filter::default().cats(&["legal_aid"]).langs(&["ta", "bn"]),
        Filter::default().cats(&["medical", "police", "other"]).open(false),
        Filter::default().cats(&["counselling", "shelter", "child_protection"]).langs(&["zu"]).open(true),
        Filter::default().langs(&["en", "zu"]).open(false),
    ]
}

// ---------------------------------------------------------------------------------------------
// The world as served.

/// A provider as the public listing serves it.
#[derive(Debug, Clone)]
struct Served {
    id: i64,
    name: String,
    lat: f64,
    lon: f64,
    categories: Vec<String>,
    languages: Vec<String>,
    open_24_7: bool,
}

fn served(v: &Value) -> Served {
    let strings = |key: &str| -> Vec<String> {
        v[key]
            .as_array()
            .unwrap_or_else(|| panic!("{key} is a list: {v}"))
            .iter()
            .map(|s| s.as_str().unwrap_or_else(|| panic!("{key} holds strings: {v}")).to_string())
            .collect()
    };
    Served {
        id: v["id"].as_i64().unwrap_or_else(|| panic!("id: {v}")),
        name: v["name"].as_str().unwrap_or_else(|| panic!("name: {v}")).to_string(),
        lat: v["lat"].as_f64().unwrap_or_else(|| panic!("lat: {v}")),
        lon: v["lon"].as_f64().unwrap_or_else(|| panic!("lon: {v}")),
        categories: strings("categories"),
        languages: strings("languages"),
        open_24_7: v["open_24_7"].as_bool().unwrap_or_else(|| panic!("open_24_7: {v}")),
    }
}

struct World {
    app: TestApp,
    /// Every active provider as served, by ascending id.
    served: Vec<Served>,
    generated: Vec<Generated>,
}

impl World {
    /// Spawns the app on the generated data and reads the whole public listing, checking that
    /// it holds exactly the active generated providers, each at the point the rules allow.
    async fn start() -> World {
        let fixture = fixtures::generate(N, SEED);
        let app = TestApp::spawn(&fixture.csv).await;
        let items = get_pages(&app, "/v1/providers?bbox=-180,-90,180,90", 500).await;
        let served: Vec<Served> = items.iter().map(served).collect();
        assert!(served.windows(2).all(|w| w[0].id < w[1].id), "the listing is by ascending id");

        let by_name: HashMap<&str, &Generated> =
            fixture.providers.iter().map(|g| (g.name.as_str(), g)).collect();
        let active: HashSet<&str> =
            fixture.providers.iter().filter(|g| g.active).map(|g| g.name.as_str()).collect();
        let listed: HashSet<&str> = served.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(listed.len(), served.len(), "names are unique in the listing");
        let missing: Vec<_> = active.difference(&listed).take(5).collect();
        let extra: Vec<_> = listed.difference(&active).take(5).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "listing vs active: missing {missing:?}, extra {extra:?}"
        );

        for (s, item) in served.iter().zip(&items) {
            let g = by_name[s.name.as_str()];
            let set = |v: &[String]| v.iter().cloned().collect::<HashSet<_>>();
            let want = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<HashSet<_>>();
            assert_eq!(set(&s.categories), want(&g.categories), "categories of {}", g.name);
            assert_eq!(set(&s.languages), want(&g.languages), "languages of {}", g.name);
            assert_eq!(s.open_24_7, g.open_24_7, "open_24_7 of {}", g.name);
            assert_eq!(item["confidential"].as_bool(), Some(g.confidential), "confidential of {}", g.name);
            let at = (s.lat, s.lon);
            match (g.confidential, g.public_point) {
                (false, _) => assert_eq!(at, (g.lat, g.lon), "{} is served at its exact point", g.name),
                (true, Some(public)) => assert_eq!(at, public, "{} is served at its public point", g.name),
                (true, None) => {
                    assert_ne!(at, (g.lat, g.lon), "{} (confidential) must not be served exactly", g.name);
                    assert_eq!(item["location_precision"], "approximate", "{item}");
                }
            }
        }
        // The fixture must actually exercise what it is meant to.
        let count = |f: &dyn Fn(&Generated) -> bool| fixture.providers.iter().filter(|g| f(g)).count();
        assert!(count(&|g| !g.active) > 10);
        assert!(count(&|g| g.active && g.confidential && g.public_point.is_none()) > 10);
        assert!(count(&|g| g.active && g.confidential && g.public_point.is_some()) > 5);
        assert!(count(&|g| g.active && !g.confidential && g.public_point.is_some()) > 5);
        assert!(count(&|g| g.active && g.lat.abs() == 90.0) > 5);
        assert!(count(&|g| g.active && g.lon.abs() == 180.0) > 5);
        World { app, served, generated: fixture.providers }
    }

    fn by_distance(&self, lat: f64, lon: f64, filter: &Filter, max_m: Option<f64>) -> Vec<(i64, f64)> {
        by_distance(&self.served, lat, lon, filter, max_m)
    }

    /// Brute force for areas: ids in ascending order.
    fn ids_where(&self, filter: &Filter, inside: impl Fn(&Served) -> bool) -> Vec<i64> {
        self.served.iter().filter(|s| filter.matches(s) && inside(s)).map(|s| s.id).collect()
    }

    /// The query points: hot spots, every duplicate point, a confidential provider's exact
    /// point, and uniform random ones.
    fn query_points(&self, rng: &mut ChaCha8Rng, random: usize) -> Vec<(f64, f64)> {
        let mut q = vec![
            LUCKNOW,
            (26.9, 81.02),
            (-17.0, 179.5),
            (-17.5, -179.8),
            (0.5, 180.0),
            (10.0, -180.0),
            (-45.0, 179.99),
            (90.0, 0.0),
            (90.0, 123.0),
            (89.5, -60.0),
            (-90.0, 0.0),
            (-89.9, 170.0),
            (26.850001, 80.950001),
        ];
        q.extend(DUPLICATE_POINTS);
        if let Some(g) =
            self.generated.iter().find(|g| g.active && g.confidential && g.public_point.is_none())
        {
            q.push((g.lat, g.lon));
        }
        for _ in 0..random {
            let lat = fixtures::round6(rng.random_range(-1.0f64..=1.0).asin().to_degrees());
            q.push((lat, fixtures::round6(rng.random_range(-180.0..=180.0))));
        }
        q
    }
}

// ---------------------------------------------------------------------------------------------
// Calling the API.

fn cursor_param(cursor: &str) -> String {
    serde_urlencoded::to_string([("cursor", cursor)]).expect("encodes")
}

/// Every item of a paged GET answer, following next_cursor; checks `total` and page sizes.
async fn get_pages(app: &TestApp, path: &str, limit: usize) -> Vec<Value> {
    let first = format!("{path}&limit={limit}");
    let mut url = first.clone();
    let mut items: Vec<Value> = Vec::new();
    let mut total: Option<u64> = None;
    for _ in 0..1000 {
        let body = app.get_ok(&url).await;
        let t = body["total"].as_u64().unwrap_or_else(|| panic!("{url}: no total: {body}"));
        assert_eq!(*total.get_or_insert(t), t, "{path}: total changed between pages");
        let page = body["items"].as_array().unwrap_or_else(|| panic!("{url}: no items: {body}"));
        items.extend(page.iter().cloned());
        match &body["next_cursor"] {
            Value::String(c) => {
                assert_eq!(page.len(), limit, "{url}: a page before the last is full");
                url = format!("{first}&{}", cursor_param(c));
            }
            Value::Null => {
                assert!(page.len() <= limit, "{url}: page larger than the limit");
                assert_eq!(items.len() as u64, t, "{path}: total equals the number of items in all pages");
                return items;
            }
            other => panic!("{url}: next_cursor is {other}"),
        }
    }
    panic!("{path}: more than 1000 pages");
}

/// Every item of a paged search answer, sending next_cursor back in the body.
async fn post_pages(app: &TestApp, body: &Value, limit: usize) -> Vec<Value> {
    let mut body = body.clone();
    body["limit"] = json!(limit);
    let mut items: Vec<Value> = Vec::new();
    let mut total: Option<u64> = None;
    for _ in 0..1000 {
        let answer = app.post_ok("/v1/providers/search", &body).await;
        let t = answer["total"].as_u64().unwrap_or_else(|| panic!("{body}: no total: {answer}"));
        assert_eq!(*total.get_or_insert(t), t, "{body}: total changed between pages");
        let page = answer["items"].as_array().unwrap_or_else(|| panic!("{body}: no items: {answer}"));
        items.extend(page.iter().cloned());
        match &answer["next_cursor"] {
            Value::String(c) => {
                assert_eq!(page.len(), limit, "{body}: a page before the last is full");
                body["cursor"] = json!(c);
            }
            Value::Null => {
                assert!(page.len() <= limit);
                assert_eq!(items.len() as u64, t, "{body}: total equals the number of items in all pages");
                return items;
            }
            other => panic!("{body}: next_cursor is {other}"),
        }
    }
    panic!("{body}: more than 1000 pages");
}

fn ids(items: &[Value]) -> Vec<i64> {
    items.iter().map(|v| v["id"].as_i64().unwrap_or_else(|| panic!("id: {v}"))).collect()
}

/// Position of the first difference between two lists, if any.
fn first_difference<T: PartialEq>(a: &[T], b: &[T]) -> Option<usize> {
    (0..a.len().max(b.len())).find(|&i| a.get(i) != b.get(i))
}

/// Name and served point of a provider, for failure messages.
fn describe(served: &[Served], id: i64) -> Option<(&str, f64, f64)> {
    served.iter().find(|s| s.id == id).map(|s| (s.name.as_str(), s.lat, s.lon))
}

/// How strictly a point answer's order is checked.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Ties {
    /// Every tie (distances within TIE_M, e.g. one place written as lon 180 and -180, or the
    /// pole at two longitudes, or two points mirrored about the query's meridian) by id.
    ById,
    /// Providers at the very same served coordinates by id; other ties (equal only up to float
    /// noise) in any order. `equidistant_providers_are_ordered_by_id` checks those strictly.
    SamePointById,
}

/// A point answer must list the first `take` of `full` (the brute force, by distance, ties by
/// id) in order, with distances within 0.1 m.
fn assert_point_answer(
    served: &[Served],
    what: &str,
    items: &[Value],
    full: &[(i64, f64)],
    take: usize,
    ties: Ties,
) {
    let expected = &full[..take.min(full.len())];
    let got: Vec<(i64, f64)> = items
        .iter()
        .map(|v| {
            let d = v["distance_m"].as_f64().unwrap_or_else(|| panic!("{what}: no distance_m in {v}"));
            (v["id"].as_i64().unwrap_or_else(|| panic!("{what}: no id in {v}")), d)
        })
        .collect();
    let fail = |i: usize, why: &str| -> ! {
        let show = |list: &[(i64, f64)]| {
            list.iter()
                .skip(i.saturating_sub(2))
                .take(5)
                .map(|(id, d)| format!("{id} {:?} {d:.3} m", describe(served, *id)))
                .collect::<Vec<_>>()
        };
        panic!(
            "{what}: {why}; expected {} items, got {}; at position {i}:\n  expected {:?}\n  got      {:?}",
            expected.len(),
            got.len(),
            show(expected),
            show(&got)
        );
    };
    let got_ids: Vec<i64> = got.iter().map(|x| x.0).collect();
    let want_ids: Vec<i64> = expected.iter().map(|x| x.0).collect();
    if let Some(i) = first_difference(&got_ids, &want_ids) {
        if ties == Ties::ById || got.len() != expected.len() {
            fail(i, "ids or order differ");
        }
        let unique: HashSet<i64> = got_ids.iter().copied().collect();
        assert_eq!(unique.len(), got_ids.len(), "{what}: an id is listed twice");
        // Walk the tie groups of the full brute force; the answer may permute each group, and
        // take any of the last group's members when the cut falls inside it.
        let mut start = 0;
        while start < expected.len() {
            let mut end = start + 1;
            while end < full.len() && full[end].1 - full[end - 1].1 <= TIE_M {
                end += 1;
            }
            let group: HashSet<i64> = full[start..end].iter().map(|x| x.0).collect();
            let stop = end.min(expected.len());
            for i in start..stop {
                if !group.contains(&got[i].0) {
                    fail(i, "ids or order differ (beyond float-noise ties)");
                }
                // Among providers at the very same point, lower ids come first and are kept
                // when the cut falls inside the group.
                let here = describe(served, got[i].0).map(|d| (d.1, d.2));
                let kept: HashSet<i64> = got[start..stop].iter().map(|x| x.0).collect();
                for (other, _) in &full[start..end] {
                    let there = describe(served, *other).map(|d| (d.1, d.2));
                    if there == here && *other < got[i].0 && !kept.contains(other) {
                        fail(i, &format!("provider {other} at the same point has a lower id but is missing"));
                    }
                }
                for j in start..i {
                    let (a, b) = (describe(served, got[j].0), describe(served, got[i].0));
                    let same_point = a.zip(b).is_some_and(|(a, b)| (a.1, a.2) == (b.1, b.2));
                    if same_point && got[j].0 > got[i].0 {
                        fail(i, "providers at the same point are not in id order");
                    }
                }
            }
            start = end;
        }
    }
    for ((id, d), (_, want)) in got.iter().zip(expected) {
        assert!(
            (d - want).abs() <= DISTANCE_TOLERANCE_M + 1e-9,
            "{what}: provider {id} distance_m {d}, brute force {want}"
        );
    }
}

/// An area answer must list exactly the expected ids, ascending.
fn assert_area_answer(world: &World, what: &str, items: &[Value], expected: &[i64]) {
    let got = ids(items);
    if let Some(i) = first_difference(&got, expected) {
        let got_set: HashSet<i64> = got.iter().copied().collect();
        let want_set: HashSet<i64> = expected.iter().copied().collect();
        let describe = |ids: Vec<&i64>| {
            ids.into_iter()
                .take(5)
                .map(|id| format!("{id} {:?}", describe(&world.served, *id)))
                .collect::<Vec<_>>()
        };
        panic!(
            "{what}: expected {} ids, got {}; first difference at position {i}\n  missing {:?}\n  unexpected {:?}",
            expected.len(),
            got.len(),
            describe(want_set.difference(&got_set).collect()),
            describe(got_set.difference(&want_set).collect()),
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Tests.

/// GET /v1/providers/nearest: k = 1, 10, 100 at ~30 points (antimeridian, poles, duplicate
/// points, a confidential provider's exact point, random), with filters and max_distance_km.
#[tokio::test]
async fn nearest_matches_brute_force() {
    let world = World::start().await;
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let points = world.query_points(&mut rng, 9);
    let mixes = filter_mixes();
    let none = Filter::default();
    for (i, &(lat, lon)) in points.iter().enumerate() {
        for k in [1, 10, 100] {
            let path = format!("/v1/providers/nearest?lat={lat}&lon={lon}&k={k}");
            let body = world.app.get_ok(&path).await;
            let want = world.by_distance(lat, lon, &none, None);
            let items = body["items"].as_array().expect("items");
            assert_point_answer(&world.served, &path, items, &want, k, Ties::SamePointById);
            assert_eq!(body["total"].as_u64(), Some(k.min(want.len()) as u64), "{path}: total");
        }
        // One filter mix per point, with or without a distance cap.
        let filter = &mixes[i % mixes.len()];
        let k = [10, 100][i % 2];
        let max_km = [None, Some(1500.0), Some(120.0)][i % 3];
        let cap = max_km.map_or(String::new(), |km| format!("&max_distance_km={km}"));
        let path = format!("/v1/providers/nearest?lat={lat}&lon={lon}&k={k}{cap}{}", filter.query());
        let want = world.by_distance(lat, lon, filter, max_km.map(|km| km * 1000.0));
        let body = world.app.get_ok(&path).await;
        let items = body["items"].as_array().expect("items");
        assert_point_answer(&world.served, &path, items, &want, k, Ties::SamePointById);
    }
    // A distance cap alone, including one that keeps only the providers exactly at the point.
    for (lat, lon, km) in [(LUCKNOW.0, LUCKNOW.1, 5.0), (90.0, -10.0, 250.0), (-16.5, 180.0, 0.001)] {
        let path = format!("/v1/providers/nearest?lat={lat}&lon={lon}&k=100&max_distance_km={km}");
        let want = world.by_distance(lat, lon, &none, Some(km * 1000.0));
        assert!(!want.is_empty(), "{path}: the case finds something");
        let body = world.app.get_ok(&path).await;
        let items = body["items"].as_array().expect("items");
        assert_point_answer(&world.served, &path, items, &want, 100, Ties::SamePointById);
    }
}

/// GET /v1/providers/within: paged with limit=37; the concatenated pages equal the brute-force
/// list by (distance, id) and `total` its length.
#[tokio::test]
async fn within_pages_match_brute_force() {
    let world = World::start().await;
    let none = Filter::default();
    let mut cases: Vec<(f64, f64, f64, Filter)> = vec![
        (LUCKNOW.0, LUCKNOW.1, 60.0, none.clone()),
        (26.5, 81.3, 500.0, Filter::default().cats(&["shelter", "helpline"])),
        (26.9, 80.9, 40.0, Filter::default().langs(&["hi"]).open(true)),
        (-17.0, 179.9, 300.0, none.clone()),
        (-17.3, -179.2, 150.0, Filter::default().cats(&["police", "medical"])),
        (0.5, 180.0, 250.0, none.clone()),
        (45.0, -180.0, 400.0, none.clone()),
        (90.0, 0.0, 500.0, none.clone()),
        (89.2, 140.0, 180.0, none.clone()),
        (-90.0, 77.0, 230.0, none.clone()),
        (-89.95, -179.99, 120.0, Filter::default().open(false)),
    ];
    for &(lat, lon) in &DUPLICATE_POINTS {
        cases.push((lat, lon, 0.001, none.clone()));
    }
    let mut rng = ChaCha8Rng::seed_from_u64(2);
    for _ in 0..4 {
        let lat = fixtures::round6(rng.random_range(-1.0f64..=1.0).asin().to_degrees());
        cases.push((lat, fixtures::round6(rng.random_range(-180.0..=180.0)), 500.0, none.clone()));
    }
    for (lat, lon, km, filter) in cases {
        let path = format!("/v1/providers/within?lat={lat}&lon={lon}&radius_km={km}{}", filter.query());
        let want = world.by_distance(lat, lon, &filter, Some(km * 1000.0));
        let items = get_pages(&world.app, &path, 37).await;
        assert!(!want.is_empty(), "{path}: the case finds something");
        assert_point_answer(&world.served, &path, &items, &want, usize::MAX, Ties::SamePointById);
    }
}

/// GET /v1/providers?bbox: paged; by ascending id; antimeridian-crossing boxes, boxes touching
/// a pole, degenerate boxes on a duplicate point and at the pole, edges at ±180, the world.
#[tokio::test]
async fn bbox_pages_match_brute_force() {
    let world = World::start().await;
    let none = Filter::default();
    let (dup_lat, dup_lon) = DUPLICATE_POINTS[1];
    let mut cases: Vec<([f64; 4], Filter, usize)> = vec![
        ([-180.0, -90.0, 180.0, 90.0], none.clone(), 250),
        ([-180.0, -90.0, 180.0, 90.0], Filter::default().langs(&["zu"]).open(true), 37),
        ([80.5, 26.4, 81.4, 27.3], none.clone(), 37),
        ([80.5, 26.4, 81.4, 27.3], Filter::default().cats(&["shelter", "helpline"]), 37),
        ([178.0, -20.0, -178.0, -14.0], none.clone(), 37),
        ([170.0, -90.0, -170.0, 90.0], none.clone(), 37),
        ([179.5, -60.0, -179.5, 60.0], none.clone(), 37),
        ([-180.0, -30.0, -170.0, 30.0], none.clone(), 37),
        ([170.0, -30.0, 180.0, 30.0], none.clone(), 37),
        ([-180.0, 88.0, 180.0, 90.0], none.clone(), 37),
        ([-30.0, 85.0, 60.0, 90.0], none.clone(), 37),
        ([-180.0, -90.0, 180.0, -88.5], none.clone(), 37),
        ([100.0, -90.0, -100.0, -87.0], none.clone(), 37),
        ([10.0, 90.0, 20.0, 90.0], none.clone(), 37),
        ([dup_lon, dup_lat, dup_lon, dup_lat], none.clone(), 37),
        ([180.0, -16.5, 180.0, -16.5], none.clone(), 37),
    ];
    let mut rng = ChaCha8Rng::seed_from_u64(3);
    for i in 0..6 {
        let (w, e) = (rng.random_range(-180.0..180.0), rng.random_range(-180.0..180.0));
        let (a, b) = (rng.random_range(-90.0..90.0), rng.random_range(-90.0..90.0));
        let b4 = [w, f64::min(a, b), e, f64::max(a, b)].map(fixtures::round6);
        let mixes = filter_mixes();
        cases.push((b4, if i % 2 == 0 { none.clone() } else { mixes[i % mixes.len()].clone() }, 97));
    }
    for (b4 @ [w, s, e, n], filter, limit) in cases {
        let path = format!("/v1/providers?bbox={w},{s},{e},{n}{}", filter.query());
        let want = world.ids_where(&filter, |p| bbox_contains(b4, p.lat, p.lon));
        let items = get_pages(&world.app, &path, limit).await;
        assert_area_answer(&world, &path, &items, &want);
    }
}

fn ring(points: &[[f64; 2]]) -> Vec<[f64; 2]> {
    let mut r = points.to_vec();
    r.push(points[0]);
    r
}

/// POST /v1/providers/search with a polygon: holes, a MultiPolygon, polygons across the
/// antimeridian written with an edge from 178 to -178, a Feature, and filters in the body.
#[tokio::test]
async fn polygon_search_matches_brute_force() {
    let world = World::start().await;
    let none = Filter::default();
    // Lucknow, irregular, with an irregular hole around the centre.
    let lucknow: Rings = vec![
        ring(&[
            [80.5312, 26.4417],
            [81.3823, 26.5129],
            [81.4471, 27.1934],
            [80.9066, 27.3551],
            [80.4789, 26.9921],
        ]),
        ring(&[[80.9213, 26.8117], [80.9167, 26.8873], [80.9871, 26.8941], [80.9949, 26.8233]]),
    ];
    // Fiji across 180°: the first edge jumps from 176.8 to -178.1.
    let fiji: Rings = vec![ring(&[
        [176.8123, -20.3011],
        [-178.1017, -20.7213],
        [-178.6019, -14.9137],
        [177.2311, -15.3317],
    ])];
    // A wide band across 180° with a hole that also crosses it.
    let band: Rings = vec![
        ring(&[[170.1113, -50.2221], [-170.3337, -50.1119], [-170.2229, 50.3331], [170.4447, 50.1117]]),
        ring(&[[178.5557, -10.2223], [178.7771, 10.1119], [-178.8883, 10.4441], [-178.6667, -10.5553]]),
    ];
    let south_america: Rings =
        vec![ring(&[[-81.1234, -55.4321], [-34.5678, -5.8765], [-50.1111, 11.2222], [-80.3333, 7.4444]])];
    let arctic: Rings = vec![ring(&[
        [-150.1231, 80.1237],
        [-10.4561, 79.8761],
        [150.7891, 80.3331],
        [149.2221, 88.6663],
        [0.3337, 88.9119],
        [-149.8887, 88.4441],
    ])];
    let africa_europe: Rings = vec![ring(&[
        [-18.2341, -35.1123],
        [52.3417, -35.6677],
        [61.1235, 40.2229],
        [10.4561, 71.3331],
        [-25.7893, 38.8887],
    ])];

    let polygon = |rings: &Rings| json!({"type": "Polygon", "coordinates": rings});
    let mut cases: Vec<(&str, Value, Vec<&Rings>, Filter)> = vec![
        ("polygon with a hole", polygon(&lucknow), vec![&lucknow], none.clone()),
        ("polygon across 180°", polygon(&fiji), vec![&fiji], none.clone()),
        ("band across 180° with a hole across it", polygon(&band), vec![&band], none.clone()),
        (
            "MultiPolygon",
            json!({"type": "MultiPolygon", "coordinates": [&lucknow, &south_america, &arctic, &fiji]}),
            vec![&lucknow, &south_america, &arctic, &fiji],
            none.clone(),
        ),
        (
            "Feature",
            json!({"type": "Feature", "properties": {"name": "test"}, "geometry": polygon(&africa_europe)}),
            vec![&africa_europe],
            none.clone(),
        ),
        (
            "polygon with a hole, filtered",
            polygon(&lucknow),
            vec![&lucknow],
            Filter::default().cats(&["shelter"]).langs(&["hi"]).open(true),
        ),
        ("Fiji, filtered", polygon(&fiji), vec![&fiji], Filter::default().cats(&["shelter", "helpline"])),
        ("band, filtered", polygon(&band), vec![&band], Filter::default().langs(&["ta", "bn"]).open(false)),
    ];
    // Random triangles.
    let mut rng = ChaCha8Rng::seed_from_u64(4);
    let triangles: Vec<Rings> = (0..3)
        .map(|_| {
            let (lat, lon): (f64, f64) = (rng.random_range(-60.0..60.0), rng.random_range(-155.0..155.0));
            let mut corner = || [lon + rng.random_range(-20.0..20.0), lat + rng.random_range(-20.0..20.0)];
            let (a, b, c) = (corner(), corner(), corner());
            // Counter-clockwise, as RFC 7946 asks of exteriors.
            let cross = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0]);
            vec![if cross > 0.0 { ring(&[a, b, c]) } else { ring(&[a, c, b]) }]
        })
        .collect();
    for t in &triangles {
        cases.push(("random triangle", polygon(t), vec![t], none.clone()));
    }
    // 10,000 positions, the most a search accepts: a fine circle, and a comb whose 2,499 teeth
    // are slivers 0.00018° high that all overlap in longitude. Edges sit half-way between the
    // fixture's 6-decimal coordinates.
    let circle: Rings = vec![ring(
        &(0..9_999)
            .map(|i| {
                let a = i as f64 / 9_999.0 * std::f64::consts::TAU;
                [LUCKNOW.1 + 0.3 * a.cos(), LUCKNOW.0 + 0.3 * a.sin()]
            })
            .collect::<Vec<_>>(),
    )];
    let comb: Rings = {
        let (spine, base, tip, south) = (80.4990005, 80.5000005, 81.4000005, 26.4000005);
        let mut c = vec![[spine, south]];
        for t in 0..2_499 {
            let y = south + t as f64 * 0.00036;
            c.extend([[tip, y], [tip, y + 0.00018], [base, y + 0.00018], [base, y + 0.00036]]);
        }
        c.push([spine, south + 2_499.0 * 0.00036 + 0.00018]);
        vec![ring(&c)]
    };
    assert_eq!((circle[0].len(), comb[0].len()), (10_000, 9_999));
    cases.push(("10,000-vertex circle", polygon(&circle), vec![&circle], none.clone()));
    cases.push(("10,000-vertex comb", polygon(&comb), vec![&comb], none.clone()));

    for (what, geometry, parts, filter) in cases {
        let area = OracleArea(parts.iter().map(|r| OraclePolygon::new(r)).collect());
        for s in &world.served {
            assert!(
                !area.0.iter().any(|p| p.near_edge(s.lat, s.lon, 1e-7)),
                "{what}: fixture point {} ({}, {}) lies on an edge; move the polygon",
                s.name,
                s.lat,
                s.lon
            );
        }
        let want = world.ids_where(&filter, |p| area.contains(p.lat, p.lon));
        assert!(!want.is_empty() || what.contains("filtered"), "{what}: the case finds something");
        let body = filter.into_body(json!({ "polygon": geometry }));
        // Big pages for the heavy polygons: each page repeats the whole search.
        let limit = if what.starts_with("10,000") { 500 } else { 37 };
        let items = post_pages(&world.app, &body, limit).await;
        assert_area_answer(&world, &format!("{what}: {body}"), &items, &want);
    }
}

/// POST /v1/providers/search with near, within and bbox, filters in the body.
#[tokio::test]
async fn search_near_within_bbox_match_brute_force() {
    let world = World::start().await;
    let none = Filter::default();
    let mixes = filter_mixes();
    let mut rng = ChaCha8Rng::seed_from_u64(5);
    let points = world.query_points(&mut rng, 3);

    for (i, &(lat, lon)) in points.iter().enumerate() {
        let filter = if i % 3 == 0 { none.clone() } else { mixes[i % mixes.len()].clone() };
        let k = [1, 10, 100][i % 3];
        let max_km = [None, Some(800.0)][i % 2];
        let mut near = json!({"lat": lat, "lon": lon});
        if let Some(km) = max_km {
            near["max_distance_km"] = json!(km);
        }
        let body = filter.clone().into_body(json!({"near": near, "k": k}));
        let answer = world.app.post_ok("/v1/providers/search", &body).await;
        let want = world.by_distance(lat, lon, &filter, max_km.map(|km| km * 1000.0));
        let items = answer["items"].as_array().expect("items");
        assert_point_answer(&world.served, &body.to_string(), items, &want, k, Ties::SamePointById);
        assert!(answer["next_cursor"].is_null(), "{body}: near has no cursor");
    }

    let within_cases: Vec<(f64, f64, f64, Filter)> = vec![
        (LUCKNOW.0, LUCKNOW.1, 45.0, none.clone()),
        (LUCKNOW.0, LUCKNOW.1, 500.0, Filter::default().cats(&["shelter"]).langs(&["hi"]).open(true)),
        (-17.0, -179.9, 400.0, none.clone()),
        (90.0, 77.0, 500.0, Filter::default().cats(&["shelter", "legal_aid", "medical"])),
        (-90.0, 0.0, 300.0, none.clone()),
        (DUPLICATE_POINTS[6].0, DUPLICATE_POINTS[6].1, 0.01, none.clone()),
    ];
    for (lat, lon, km, filter) in within_cases {
        let body = filter.clone().into_body(json!({"within": {"lat": lat, "lon": lon, "radius_km": km}}));
        let want = world.by_distance(lat, lon, &filter, Some(km * 1000.0));
        let items = post_pages(&world.app, &body, 37).await;
        assert_point_answer(&world.served, &body.to_string(), &items, &want, usize::MAX, Ties::SamePointById);
    }

    let (dup_lat, dup_lon) = DUPLICATE_POINTS[3];
    let bbox_cases: Vec<([f64; 4], Filter)> = vec![
        ([80.6, 26.5, 81.3, 27.2], Filter::default().cats(&["shelter"])),
        ([80.6, 26.5, 81.3, 27.2], Filter::default().langs(&["hi"]).open(true)),
        ([177.5, -21.0, -178.5, -15.0], none.clone()),
        ([175.0, 85.0, -175.0, 90.0], none.clone()),
        ([-180.0, -90.0, 180.0, -88.0], Filter::default().open(false)),
        ([dup_lon, dup_lat, dup_lon, dup_lat], none.clone()),
        ([-180.0, -90.0, 180.0, 90.0], Filter::default().cats(&["shelter"]).langs(&["hi"]).open(true)),
    ];
    for (b4, filter) in bbox_cases {
        let body = filter.clone().into_body(json!({ "bbox": b4 }));
        let want = world.ids_where(&filter, |p| bbox_contains(b4, p.lat, p.lon));
        let items = post_pages(&world.app, &body, 37).await;
        assert_area_answer(&world, &body.to_string(), &items, &want);
    }
}

/// Providers at equal distances are listed by ascending id, also when the distances are equal
/// only mathematically, not in floating point: one place written as lon 180 and as -180, the
/// north pole at two longitudes, two points mirrored about the query's meridian.
#[tokio::test]
async fn equidistant_providers_are_ordered_by_id() {
    let csv = "external_id,name,categories,lat,lon,country\n\
        t1,Tie west,shelter,0.5,-180,FJ\n\
        t2,Tie east,shelter,0.5,180,FJ\n\
        t3,Pole at -180,shelter,90,-180,GL\n\
        t4,Pole at 45,shelter,90,45,GL\n\
        t5,Mirror west,shelter,27.15,80.85,IN\n\
        t6,Mirror east,shelter,27.15,81.05,IN\n";
    let app = TestApp::spawn(csv).await;
    let all: Vec<Served> =
        get_pages(&app, "/v1/providers?bbox=-180,-90,180,90", 500).await.iter().map(served).collect();
    assert_eq!(all.len(), 6);
    let none = Filter::default();
    let cases = [
        (0.5, 180.0, 1.0, ["Tie west", "Tie east"]),
        (0.5, -180.0, 1.0, ["Tie west", "Tie east"]),
        (90.0, 0.0, 1.0, ["Pole at -180", "Pole at 45"]),
        (90.0, -180.0, 1.0, ["Pole at -180", "Pole at 45"]),
        (26.85, 80.95, 40.0, ["Mirror west", "Mirror east"]),
    ];
    let mut wrong: Vec<String> = Vec::new();
    for (lat, lon, radius_km, pair) in cases {
        let want = by_distance(&all, lat, lon, &none, Some(radius_km * 1000.0));
        let names: HashSet<&str> =
            want.iter().filter_map(|(id, _)| describe(&all, *id)).map(|d| d.0).collect();
        assert_eq!(names, HashSet::from(pair), "the oracle finds the pair at ({lat}, {lon})");
        assert!((want[0].1 - want[1].1).abs() <= TIE_M, "a tie: {want:?}");
        let want_ids: Vec<i64> = want.iter().map(|x| x.0).collect();

        let path = format!("/v1/providers/nearest?lat={lat}&lon={lon}&k=2");
        let nearest = app.get_ok(&path).await["items"].as_array().expect("items").clone();
        let path_within = format!("/v1/providers/within?lat={lat}&lon={lon}&radius_km={radius_km}");
        let within = get_pages(&app, &path_within, 37).await;
        let body = json!({"near": {"lat": lat, "lon": lon}, "k": 2});
        let near =
            app.post_ok("/v1/providers/search", &body).await["items"].as_array().expect("items").clone();
        for (what, items) in [(path, nearest), (path_within, within), (body.to_string(), near)] {
            // Same members and distances whatever the order; then the order itself.
            assert_point_answer(&all, &what, &items, &want, 2, Ties::SamePointById);
            let got = ids(&items);
            if got != want_ids {
                let named =
                    |ids: &[i64]| ids.iter().map(|id| describe(&all, *id).map(|d| d.0)).collect::<Vec<_>>();
                wrong.push(format!("{what}: expected {:?}, got {:?}", named(&want_ids), named(&got)));
            }
        }
    }
    assert!(wrong.is_empty(), "equidistant providers not in id order:\n{}", wrong.join("\n"));
}
