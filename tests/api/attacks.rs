//! The four attacks on a confidential provider's location (issue 5, item 1), run over HTTP
//! against a real server: (a) trilateration from returned distances, (b) averaging repeated
//! queries, (c) bisecting bbox, polygon and radius edges, (d) nearest-order flips against a known
//! neighbour.
//!
//! Three settings: confidential shelters in a dense city (Lucknow, ~200 ordinary providers within
//! 10 km), on the India–Nepal border (ordinary providers on both sides), and alone in a sparse
//! region (Ladakh, nothing within 300 km). Some have an admin-given public point, most one drawn
//! by the server and stored. Each attack must recover nothing closer to the true point T than the served public
//! point P (within 1 m), and, stronger, where the attack converges its estimate equals P: the
//! attacker only ever learns P.
//!
//! Geometry here is independent of `src/`: own haversine, destination and bearing formulas.

use crate::helpers::{CSV_HEADER, TestApp};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::time::Instant;

/// WGS84 mean radius, metres (DESIGN §6).
const EARTH_R: f64 = 6_371_008.8;
/// The "no closer than P" tolerance, metres.
const NO_CLOSER_TOLERANCE_M: f64 = 1.0;
/// How close a distance-based estimate must come to P (distances are served to 0.1 m).
const CONVERGED_M: f64 = 0.5;
/// How close the order-flip estimate must come to P. Order follows distances rounded to 0.1 m with
/// ties by id, so each flip sits up to ~0.05 m off the true bisector, and reflecting N across a
/// circle through two such flips amplifies that: usually ~0.1 m, but with some drawn points over
/// 1 m (seen 0.83 and 1.37 m in about 1 run in 6). Still thousands of times closer to P than to T.
const ORDER_FLIP_CONVERGED_M: f64 = 5.0;
/// How close a bisected coordinate must come to P's, degrees.
const CONVERGED_DEG: f64 = 1e-7;
/// The bisection steps per edge.
const STEPS: usize = 34;

#[derive(Debug, Clone, Copy, PartialEq)]
struct Pt {
    lat: f64,
    lon: f64,
}

const fn pt(lat: f64, lon: f64) -> Pt {
    Pt { lat, lon }
}

fn haversine_m(a: Pt, b: Pt) -> f64 {
    let (p1, p2) = (a.lat.to_radians(), b.lat.to_radians());
    let dp = p2 - p1;
    let dl = (b.lon - a.lon).to_radians();
    let h = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_R * h.sqrt().min(1.0).asin()
}

/// The point `dist_m` from `p` along the initial bearing `bearing_deg` (great circle).
fn destination(p: Pt, bearing_deg: f64, dist_m: f64) -> Pt {
    let (phi1, lambda1) = (p.lat.to_radians(), p.lon.to_radians());
    let theta = bearing_deg.to_radians();
    let delta = dist_m / EARTH_R;
    let phi2 = (phi1.sin() * delta.cos() + phi1.cos() * delta.sin() * theta.cos()).asin();
    let lambda2 =
        lambda1 + (theta.sin() * delta.sin() * phi1.cos()).atan2(delta.cos() - phi1.sin() * phi2.sin());
    pt(phi2.to_degrees(), lambda2.to_degrees())
}

/// Initial bearing from `a` to `b`, degrees.
fn bearing_deg(a: Pt, b: Pt) -> f64 {
    let (p1, p2) = (a.lat.to_radians(), b.lat.to_radians());
    let dl = (b.lon - a.lon).to_radians();
    (dl.sin() * p2.cos()).atan2(p1.cos() * p2.sin() - p1.sin() * p2.cos() * dl.cos()).to_degrees()
}

fn xyz(p: Pt) -> [f64; 3] {
    let (la, lo) = (p.lat.to_radians(), p.lon.to_radians());
    [la.cos() * lo.cos(), la.cos() * lo.sin(), la.sin()]
}

fn from_xyz(v: [f64; 3]) -> Pt {
    pt(v[2].atan2(v[0].hypot(v[1])).to_degrees(), v[1].atan2(v[0]).to_degrees())
}

fn cross(a: [f64; 3], b: [f64; 3]) -> [f64; 3] {
    [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
}

fn dot(a: [f64; 3], b: [f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

// ---------------------------------------------------------------------------------------------
// The dataset.

/// A confidential shelter whose exact point the test knows.
struct Shelter {
    ext: &'static str,
    setting: &'static str,
    exact: Pt,
    /// The admin-given public point, if any (else the server draws and stores one).
    public: Option<Pt>,
    country: &'static str,
    state: &'static str,
    address: &'static str,
    /// The external id of a known ordinary neighbour, for the order-flip attack.
    neighbour: &'static str,
}

const SHELTERS: &[Shelter] = &[
    Shelter {
        ext: "lko-safe-grid",
        setting: "dense city",
        exact: pt(26.861234, 80.913711),
        public: None,
        country: "IN",
        state: "Uttar Pradesh",
        address: "17 Hidden Kachnar Lane",
        neighbour: "lko-nbr-1",
    },
    Shelter {
        ext: "lko-safe-admin",
        setting: "dense city",
        exact: pt(26.808813, 80.992147),
        public: Some(pt(26.79, 81.02)),
        country: "IN",
        state: "Uttar Pradesh",
        address: "4 Hidden Amaltas Court",
        neighbour: "lko-nbr-2",
    },
    Shelter {
        ext: "border-safe-grid",
        setting: "border",
        exact: pt(26.703391, 85.227154),
        public: None,
        country: "IN",
        state: "Bihar",
        address: "9 Hidden Bagmati Tola",
        neighbour: "np-nbr-gaur",
    },
    Shelter {
        ext: "border-safe-admin",
        setting: "border",
        exact: pt(27.018327, 84.864215),
        public: Some(pt(27.04, 84.88)),
        country: "NP",
        state: "Madhesh",
        address: "21 Hidden Ghantaghar Marg",
        neighbour: "in-nbr-raxaul",
    },
    Shelter {
        ext: "ladakh-safe-grid",
        setting: "sparse",
        exact: pt(34.164218, 77.584791),
        public: None,
        country: "IN",
        state: "Ladakh",
        address: "2 Hidden Shanti Stupa Road",
        neighbour: "hp-nbr-shimla",
    },
];

/// Named ordinary providers: the neighbours of the flip attack and a few far-away ones.
const NAMED: &[(&str, Pt, &str, &str)] = &[
    ("lko-nbr-1", pt(26.8702, 80.9893), "IN", "Uttar Pradesh"),
    ("lko-nbr-2", pt(26.7712, 80.9374), "IN", "Uttar Pradesh"),
    ("np-nbr-gaur", pt(26.7689, 85.2786), "NP", "Madhesh"),
    ("in-nbr-raxaul", pt(26.9812, 84.8511), "IN", "Bihar"),
    ("hp-nbr-shimla", pt(31.1048, 77.1734), "IN", "Himachal Pradesh"),
    ("ch-open", pt(30.7333, 76.7794), "IN", "Chandigarh"),
    ("dl-open", pt(28.6304, 77.2177), "IN", "Delhi"),
];

const LUCKNOW: Pt = pt(26.85, 80.95);
const OTHER_CATEGORIES: [&str; 6] =
    ["counselling", "legal_aid", "police", "medical", "helpline", "one_stop_centre"];

struct Row {
    ext: String,
    point: Pt,
    public: Option<Pt>,
    confidential: bool,
    categories: String,
    country: &'static str,
    state: &'static str,
    address: String,
    locality: String,
}

fn rows() -> Vec<Row> {
    let mut rng = ChaCha8Rng::seed_from_u64(0x00a7_7ac4);
    let mut out = Vec::new();
    for s in SHELTERS {
        out.push(Row {
            ext: s.ext.into(),
            point: s.exact,
            public: s.public,
            confidential: true,
            categories: "shelter;helpline".into(),
            country: s.country,
            state: s.state,
            address: s.address.into(),
            locality: format!("Zzyzx Ward {}", s.ext),
        });
    }
    for (ext, p, country, state) in NAMED {
        out.push(Row {
            ext: (*ext).into(),
            point: *p,
            public: None,
            confidential: false,
            categories: "shelter;counselling".into(),
            country,
            state,
            address: format!("1 Open Road, {ext}"),
            locality: "Open Ward".into(),
        });
    }
    let category = |i: usize| {
        if i.is_multiple_of(8) {
            "shelter".to_string()
        } else {
            OTHER_CATEGORIES[i % OTHER_CATEGORIES.len()].to_string()
        }
    };
    // Dense city: 200 ordinary providers within 9.5 km of central Lucknow.
    for i in 0..200 {
        let r = 9_500.0 * rng.random::<f64>().sqrt();
        let p = destination(LUCKNOW, rng.random_range(0.0..360.0), r);
        let p = pt((p.lat * 1e6).round() / 1e6, (p.lon * 1e6).round() / 1e6);
        out.push(ordinary(format!("lko-{i}"), p, category(i), "IN", "Uttar Pradesh"));
    }
    // Border: both sides, around Sitamarhi/Gaur and Raxaul/Birgunj.
    let boxes: [(&str, &str, usize, [f64; 4]); 4] = [
        ("IN", "Bihar", 10, [26.55, 26.70, 85.00, 85.45]),
        ("IN", "Bihar", 5, [26.60, 26.95, 84.75, 84.95]),
        ("NP", "Madhesh", 10, [26.80, 27.10, 85.00, 85.45]),
        ("NP", "Madhesh", 5, [27.00, 27.10, 84.80, 84.95]),
    ];
    let mut i = 0;
    for (country, state, n, [s, no, w, e]) in boxes {
        for _ in 0..n {
            let lat: f64 = rng.random_range(s..no);
            let lon: f64 = rng.random_range(w..e);
            let p = pt((lat * 1e6).round() / 1e6, (lon * 1e6).round() / 1e6);
            out.push(ordinary(format!("border-{i}"), p, category(i + 1), country, state));
            i += 1;
        }
    }
    out
}

fn ordinary(ext: String, point: Pt, categories: String, country: &'static str, state: &'static str) -> Row {
    Row {
        address: format!("{ext} Open Road"),
        ext,
        point,
        public: None,
        confidential: false,
        categories,
        country,
        state,
        locality: "Open Ward".into(),
    }
}

fn csv(rows: &[Row]) -> String {
    let mut csv = format!("{CSV_HEADER}\n");
    for r in rows {
        let (plat, plon) = r.public.map(|p| (p.lat.to_string(), p.lon.to_string())).unwrap_or_default();
        let cells: [String; 30] = [
            r.ext.clone(),
            format!("Provider {}", r.ext),
            "Test Org".into(),
            "A fictional provider for the attack tests".into(),
            r.categories.clone(),
            r.point.lat.to_string(),
            r.point.lon.to_string(),
            plat,
            plon,
            r.confidential.to_string(),
            r.address.clone(),
            r.locality.clone(),
            String::new(),
            r.state.into(),
            String::new(),
            r.country.into(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            String::new(),
            "hi;en".into(),
            String::new(),
            "false".into(),
            String::new(),
            String::new(),
            "unknown".into(),
            String::new(),
            "active".into(),
        ];
        assert_eq!(cells.len(), CSV_HEADER.split(',').count());
        csv.push_str(&cells.map(|c| format!("\"{c}\"")).join(","));
        csv.push('\n');
    }
    csv
}

/// One shelter under attack: its id, exact point T, served public point P, and its neighbour.
struct Target {
    s: &'static Shelter,
    id: i64,
    t: Pt,
    p: Pt,
    neighbour_id: i64,
    neighbour: Pt,
}

impl Target {
    fn label(&self) -> String {
        let kind = if self.s.public.is_some() { "admin public point" } else { "drawn point" };
        format!("{} ({}, {kind})", self.s.ext, self.s.setting)
    }
}

/// Spawns the app with all three settings and reads each shelter's public point from the API.
async fn setup() -> (TestApp, Vec<Target>) {
    let rows = rows();
    let ladakh = SHELTERS.iter().find(|s| s.setting == "sparse").unwrap();
    for r in rows.iter().filter(|r| r.ext != ladakh.ext) {
        let d = haversine_m(r.point, ladakh.exact);
        assert!(d > 300_000.0, "the sparse setting has {} only {d:.0} m away", r.ext);
    }
    let app = TestApp::spawn(&csv(&rows)).await;
    let all = app.db().load_all().expect("load");
    assert_eq!(all.len(), rows.len(), "every seeded row was imported");
    let ids: HashMap<String, i64> = all.iter().map(|p| (p.data.external_id.clone(), p.id.0)).collect();
    let mut targets = Vec::new();
    for s in SHELTERS {
        let id = ids[s.ext];
        let p = served_record_point(&app, id, s).await;
        let t = s.exact;
        assert!(haversine_m(p, t) >= 2_000.0, "{}: P is within 2 km of T (DESIGN §6 minimum)", s.ext);
        let neighbour = NAMED.iter().find(|n| n.0 == s.neighbour).unwrap().1;
        targets.push(Target { s, id, t, p, neighbour_id: ids[s.neighbour], neighbour });
    }
    (app, targets)
}

/// GET /v1/providers/{id}: the public point P, after a quick check that the record withholds the
/// exact point, address and locality.
async fn served_record_point(app: &TestApp, id: i64, s: &Shelter) -> Pt {
    let res = app.get(&format!("/v1/providers/{id}")).await;
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    let v: Value = serde_json::from_str(&text).unwrap();
    for key in ["address", "locality", "postal_code", "intake_phone"] {
        assert!(v[key].is_null(), "{}: {key} is served: {text}", s.ext);
    }
    assert_eq!(v["location_precision"], "approximate", "{text}");
    assert_eq!(v["confidential"], true, "{text}");
    let secrets = [
        format!("{:.4}", s.exact.lat),
        format!("{:.4}", s.exact.lon),
        format!("{:.3}", s.exact.lat),
        format!("{:.3}", s.exact.lon),
        s.address.to_string(),
        "Zzyzx".to_string(),
    ];
    // Coordinates count as leaked when a whole number in the body is one of them: a drawn point
    // 2 km due east of T shares its latitude's leading digits by chance.
    let numbers: Vec<&str> = text.split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-')).collect();
    for secret in &secrets {
        let leaked = if secret.contains('.') {
            numbers.contains(&secret.as_str())
        } else {
            text.contains(secret.as_str())
        };
        assert!(!leaked, "{}: the record contains '{secret}': {text}", s.ext);
    }
    let p = pt(v["lat"].as_f64().unwrap(), v["lon"].as_f64().unwrap());
    if let Some(public) = s.public {
        assert_eq!(p, public, "{}: served at the admin's public point", s.ext);
    }
    p
}

// ---------------------------------------------------------------------------------------------
// The attacker: only public HTTP answers, with a request count.

struct Attacker<'a> {
    app: &'a TestApp,
    requests: usize,
}

/// One edge to bisect: which request a trial value `x` becomes.
#[derive(Clone, Copy)]
enum Probe {
    /// GET /v1/providers?bbox with the given edge at `x` and the others at the outer box.
    BboxWest,
    BboxEast,
    BboxSouth,
    BboxNorth,
    /// POST /v1/providers/search with a rectangle polygon whose west / south edge is at `x`.
    PolygonWest,
    PolygonSouth,
    /// POST search with the triangle (w, s), (w + x, s), (w, s + x): a slanted edge lon + lat = const.
    Triangle,
    /// GET /v1/providers/within from a fixed centre with radius_km = `x`.
    Radius(Pt),
}

impl<'a> Attacker<'a> {
    fn new(app: &'a TestApp) -> Self {
        Attacker { app, requests: 0 }
    }

    async fn get(&mut self, path: &str) -> Value {
        self.requests += 1;
        self.app.get_ok(path).await
    }

    async fn post(&mut self, body: &Value) -> Value {
        self.requests += 1;
        self.app.post_ok("/v1/providers/search", body).await
    }

    /// The shelter's served point and distance in a nearest answer from `q` (all categories, else
    /// shelters only when it is not among the 100 nearest of everything).
    async fn seen_from(&mut self, id: i64, q: Pt) -> (Pt, f64) {
        for filter in ["", "&category=shelter"] {
            let body =
                self.get(&format!("/v1/providers/nearest?lat={}&lon={}&k=100{filter}", q.lat, q.lon)).await;
            if let Some(item) = body["items"].as_array().unwrap().iter().find(|i| i["id"] == id) {
                let p = pt(item["lat"].as_f64().unwrap(), item["lon"].as_f64().unwrap());
                return (p, item["distance_m"].as_f64().unwrap());
            }
        }
        panic!("provider {id} is not among the 100 nearest shelters of {q:?}");
    }

    /// Whether the shelter comes before its neighbour in nearest order from `q`.
    async fn shelter_first(&mut self, id: i64, neighbour: i64, q: Pt) -> bool {
        let body = self
            .get(&format!("/v1/providers/nearest?lat={}&lon={}&k=100&category=shelter", q.lat, q.lon))
            .await;
        let items = body["items"].as_array().unwrap();
        let at = |id: i64| items.iter().position(|i| i["id"] == id);
        match (at(id), at(neighbour)) {
            (Some(a), Some(b)) => a < b,
            (Some(_), None) => true,
            (None, Some(_)) => false,
            (None, None) => panic!("neither {id} nor {neighbour} is among the 100 nearest shelters of {q:?}"),
        }
    }

    /// Whether the answer for `probe` at `x` (other edges at `outer` = [w, s, e, n]) lists `id`.
    async fn lists(&mut self, id: i64, probe: Probe, outer: [f64; 4], x: f64) -> bool {
        let [w, s, e, n] = outer;
        let rect = |w: f64, s: f64, e: f64, n: f64| json!({"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]});
        let bbox = |b: [f64; 4]| format!("/v1/providers?bbox={},{},{},{}&limit=500", b[0], b[1], b[2], b[3]);
        let body = match probe {
            Probe::BboxWest => self.get(&bbox([x, s, e, n])).await,
            Probe::BboxEast => self.get(&bbox([w, s, x, n])).await,
            Probe::BboxSouth => self.get(&bbox([w, x, e, n])).await,
            Probe::BboxNorth => self.get(&bbox([w, s, e, x])).await,
            Probe::PolygonWest => self.post(&json!({"polygon": rect(x, s, e, n), "limit": 500})).await,
            Probe::PolygonSouth => self.post(&json!({"polygon": rect(w, x, e, n), "limit": 500})).await,
            Probe::Triangle => {
                let tri =
                    json!({"type": "Polygon", "coordinates": [[[w, s], [w + x, s], [w, s + x], [w, s]]]});
                self.post(&json!({"polygon": tri, "limit": 500})).await
            }
            Probe::Radius(c) => {
                self.get(&format!(
                    "/v1/providers/within?lat={}&lon={}&radius_km={x}&category=shelter&limit=500",
                    c.lat, c.lon
                ))
                .await
            }
        };
        assert!(body["next_cursor"].is_null(), "one page holds the answer");
        body["items"].as_array().unwrap().iter().any(|i| i["id"] == id)
    }

    /// Bisects between a value where the answer lists `id` and one where it does not; returns the
    /// last value that listed it.
    async fn bisect(&mut self, id: i64, probe: Probe, outer: [f64; 4], listed: f64, not_listed: f64) -> f64 {
        assert!(self.lists(id, probe, outer, listed).await, "the start of the bisection lists {id}");
        assert!(!self.lists(id, probe, outer, not_listed).await, "the end of the bisection omits {id}");
        let (mut a, mut b) = (listed, not_listed);
        for _ in 0..STEPS {
            let m = (a + b) / 2.0;
            if self.lists(id, probe, outer, m).await {
                a = m;
            } else {
                b = m;
            }
        }
        a
    }
}

// ---------------------------------------------------------------------------------------------
// Judging an estimate.

/// Prints an estimate and returns the failures: closer to T than P is (beyond 1 m), or not at P
/// within `converged_m`.
fn judge(attack: &str, target: &Target, est: Pt, converged_m: f64, extra: &str) -> Vec<String> {
    let (t, p) = (target.t, target.p);
    let (d_est_t, d_est_p, d_p_t) = (haversine_m(est, t), haversine_m(est, p), haversine_m(p, t));
    println!(
        "[{attack}] {}: estimate ({:.7}, {:.7}); d(est,T) = {d_est_t:.3} m, d(est,P) = {d_est_p:.4} m, \
         d(P,T) = {d_p_t:.3} m{extra}",
        target.label(),
        est.lat,
        est.lon
    );
    let mut failures = Vec::new();
    if d_est_t < d_p_t - NO_CLOSER_TOLERANCE_M {
        failures.push(format!(
            "[{attack}] {}: the estimate ({:.7}, {:.7}) is {d_est_t:.3} m from the exact point, closer than \
             the public point ({d_p_t:.3} m)",
            target.label(),
            est.lat,
            est.lon
        ));
    }
    if d_est_p > converged_m {
        failures.push(format!(
            "[{attack}] {}: the estimate is {d_est_p:.4} m from the public point (allowed {converged_m} m)",
            target.label()
        ));
    }
    failures
}

fn finish(attack: &str, failures: Vec<String>, requests: usize, started: Instant) {
    println!("[{attack}] {requests} requests in {:.2} s", started.elapsed().as_secs_f64());
    assert!(failures.is_empty(), "{attack}: {} failure(s):\n{}", failures.len(), failures.join("\n"));
}

// ---------------------------------------------------------------------------------------------
// (a) Trilateration.

/// Minimises the squared residuals of haversine distances by Gauss-Newton; returns the point and
/// the RMS residual in metres.
fn least_squares(obs: &[(Pt, f64)], start: Pt) -> (Pt, f64) {
    let mut x = start;
    let h = 1e-7;
    for _ in 0..100 {
        let (mut a11, mut a12, mut a22, mut b1, mut b2) = (0.0, 0.0, 0.0, 0.0, 0.0);
        for &(q, d) in obs {
            let r = haversine_m(x, q) - d;
            let jl =
                (haversine_m(pt(x.lat + h, x.lon), q) - haversine_m(pt(x.lat - h, x.lon), q)) / (2.0 * h);
            let jo =
                (haversine_m(pt(x.lat, x.lon + h), q) - haversine_m(pt(x.lat, x.lon - h), q)) / (2.0 * h);
            a11 += jl * jl;
            a12 += jl * jo;
            a22 += jo * jo;
            b1 += jl * r;
            b2 += jo * r;
        }
        let det = a11 * a22 - a12 * a12;
        let dlat = (a22 * b1 - a12 * b2) / det;
        let dlon = (a11 * b2 - a12 * b1) / det;
        x = pt(x.lat - dlat, x.lon - dlon);
        if dlat.abs() < 1e-13 && dlon.abs() < 1e-13 {
            break;
        }
    }
    let rms =
        (obs.iter().map(|&(q, d)| (haversine_m(x, q) - d).powi(2)).sum::<f64>() / obs.len() as f64).sqrt();
    (x, rms)
}

#[tokio::test]
async fn trilateration_recovers_only_the_public_point() {
    let started = Instant::now();
    let (app, targets) = setup().await;
    let mut attacker = Attacker::new(&app);
    let mut failures = Vec::new();
    for target in &targets {
        let before = attacker.requests;
        // 33 chosen points: T itself and rings of 8 at 1, 5, 20 and 150 km.
        let mut points = vec![target.t];
        for (ring, r) in [1_000.0, 5_000.0, 20_000.0, 150_000.0].into_iter().enumerate() {
            for j in 0..8 {
                points.push(destination(target.t, j as f64 * 45.0 + ring as f64 * 11.0, r));
            }
        }
        let mut obs = Vec::new();
        for &q in &points {
            let (_, d) = attacker.seen_from(target.id, q).await;
            obs.push((q, d));
        }
        let n = points.len() as f64;
        let centroid =
            pt(points.iter().map(|q| q.lat).sum::<f64>() / n, points.iter().map(|q| q.lon).sum::<f64>() / n);
        let (est, rms) = least_squares(&obs, centroid);
        // What the residuals would be if the answers were distances to T.
        let rms_t =
            (obs.iter().map(|&(q, d)| (haversine_m(target.t, q) - d).powi(2)).sum::<f64>() / n).sqrt();
        let extra = format!(
            "; RMS residual {rms:.3} m at the estimate vs {rms_t:.1} m at T; {} points, {} requests",
            points.len(),
            attacker.requests - before
        );
        failures.extend(judge("trilateration", target, est, CONVERGED_M, &extra));
    }
    finish("trilateration", failures, attacker.requests, started);
}

// ---------------------------------------------------------------------------------------------
// (b) Averaging.

#[tokio::test]
async fn averaging_repeated_queries_recovers_only_the_public_point() {
    let started = Instant::now();
    let (app, targets) = setup().await;
    let mut attacker = Attacker::new(&app);
    let mut failures = Vec::new();
    for target in &targets {
        let before = attacker.requests;
        let mut seen: Vec<(Pt, Pt, f64)> = Vec::new(); // (query point, served point, distance)
        for _ in 0..50 {
            let (p, d) = attacker.seen_from(target.id, target.t).await;
            seen.push((target.t, p, d));
        }
        for i in 0..20 {
            let q = destination(target.t, i as f64 * 18.0, 300.0 + 100.0 * i as f64);
            let (p, d) = attacker.seen_from(target.id, q).await;
            seen.push((q, p, d));
        }
        let repeated: Vec<f64> = seen[..50].iter().map(|s| s.2).collect();
        let spread = repeated.iter().cloned().fold(f64::MIN, f64::max)
            - repeated.iter().cloned().fold(f64::MAX, f64::min);
        let distinct_points = {
            let mut v: Vec<(u64, u64)> =
                seen.iter().map(|s| (s.1.lat.to_bits(), s.1.lon.to_bits())).collect();
            v.sort();
            v.dedup();
            v.len()
        };
        if spread != 0.0 || distinct_points != 1 {
            failures.push(format!(
                "[averaging] {}: answers vary (distance spread {spread} m, {distinct_points} distinct points)",
                target.label()
            ));
        }
        for &(q, p, d) in &seen {
            let want = haversine_m(q, target.p);
            if (d - want).abs() > 0.051 || p != target.p {
                failures.push(format!(
                    "[averaging] {}: from {q:?} served {p:?} at {d} m; the public point is {want:.2} m away",
                    target.label()
                ));
            }
        }
        let n = seen.len() as f64;
        let est =
            pt(seen.iter().map(|s| s.1.lat).sum::<f64>() / n, seen.iter().map(|s| s.1.lon).sum::<f64>() / n);
        let mean_d = repeated.iter().sum::<f64>() / repeated.len() as f64;
        let extra = format!(
            "; 50 repeats at T: mean distance {mean_d:.1} m (spread {spread} m, d(T,P) = {:.1} m); \
             {distinct_points} distinct served point(s) in 70 answers; {} requests",
            haversine_m(target.t, target.p),
            attacker.requests - before
        );
        failures.extend(judge("averaging", target, est, 1e-6, &extra));
    }
    finish("averaging", failures, attacker.requests, started);
}

// ---------------------------------------------------------------------------------------------
// (c) Bisecting edges.

#[tokio::test]
async fn bisecting_edges_recovers_only_the_public_point() {
    let started = Instant::now();
    let (app, targets) = setup().await;
    let mut attacker = Attacker::new(&app);
    let mut failures = Vec::new();
    for target in &targets {
        let t = target.t;
        let outer = [t.lon - 0.5, t.lat - 0.5, t.lon + 0.5, t.lat + 0.5];
        let [w0, s0, e0, n0] = outer;
        let id = target.id;

        // bbox: each edge alone, 34 steps over 1°.
        let before = attacker.requests;
        let west = attacker.bisect(id, Probe::BboxWest, outer, w0, e0).await;
        let east = attacker.bisect(id, Probe::BboxEast, outer, e0, w0).await;
        let south = attacker.bisect(id, Probe::BboxSouth, outer, s0, n0).await;
        let north = attacker.bisect(id, Probe::BboxNorth, outer, n0, s0).await;
        let est = pt((south + north) / 2.0, (west + east) / 2.0);
        for (edge, got, want, exact) in [
            ("west", west, target.p.lon, t.lon),
            ("east", east, target.p.lon, t.lon),
            ("south", south, target.p.lat, t.lat),
            ("north", north, target.p.lat, t.lat),
        ] {
            println!(
                "[bisect bbox] {}: {edge} edge flips at {got:.10} (P {want}, T {exact}; |got-P| = {:.1e}°)",
                target.label(),
                (got - want).abs()
            );
            if (got - want).abs() > CONVERGED_DEG {
                failures.push(format!(
                    "[bisect bbox] {}: {edge} edge flips at {got}, not P's {want}",
                    target.label()
                ));
            }
        }
        let extra = format!("; {} requests", attacker.requests - before);
        failures.extend(judge("bisect bbox", target, est, 0.05, &extra));

        // Polygon: a rectangle's west and south edges, then a triangle's slanted edge.
        let before = attacker.requests;
        // Stop 0.1° short of the far edge: a zero-width polygon is (rightly) invalid.
        let west = attacker.bisect(id, Probe::PolygonWest, outer, w0, e0 - 0.1).await;
        let south = attacker.bisect(id, Probe::PolygonSouth, outer, s0, n0 - 0.1).await;
        let diagonal = attacker.bisect(id, Probe::Triangle, outer, 2.0, 0.01).await;
        // The slanted edge gives lon + lat; with the west edge it gives lat a second way.
        let lat_from_diagonal = diagonal - (west - w0) + s0;
        let want_diagonal = (target.p.lon - w0) + (target.p.lat - s0);
        println!(
            "[bisect polygon] {}: west edge {west:.10}, south edge {south:.10}, triangle edge lon+lat offset \
             {diagonal:.10} (P gives {want_diagonal:.10}, T gives {:.10}); lat from the slanted edge \
             {lat_from_diagonal:.10}",
            target.label(),
            (t.lon - w0) + (t.lat - s0)
        );
        if (diagonal - want_diagonal).abs() > 2.0 * CONVERGED_DEG {
            failures.push(format!(
                "[bisect polygon] {}: the slanted edge flips at {diagonal}, not P's {want_diagonal}",
                target.label()
            ));
        }
        for (edge, got, want) in [("west", west, target.p.lon), ("south", south, target.p.lat)] {
            if (got - want).abs() > CONVERGED_DEG {
                failures.push(format!(
                    "[bisect polygon] {}: {edge} edge flips at {got}, not P's {want}",
                    target.label()
                ));
            }
        }
        let extra = format!("; {} requests", attacker.requests - before);
        failures.extend(judge("bisect polygon", target, pt(south, west), 0.05, &extra));

        // within: the radius from three fixed centres 7 km away, then the point those radii fix.
        let before = attacker.requests;
        let mut obs = Vec::new();
        for bearing in [0.0, 120.0, 240.0] {
            let c = destination(t, bearing, 7_000.0);
            let r_km = attacker.bisect(id, Probe::Radius(c), outer, 50.0, 0.001).await;
            let r = r_km * 1000.0;
            let (to_p, to_t) = (haversine_m(c, target.p), haversine_m(c, t));
            println!(
                "[bisect radius] {}: from ({:.5}, {:.5}) the radius edge is {r:.4} m; d(C,P) = {to_p:.4} m, \
                 d(C,T) = {to_t:.4} m",
                target.label(),
                c.lat,
                c.lon
            );
            if (r - to_p).abs() > 0.01 {
                failures.push(format!(
                    "[bisect radius] {}: the radius edge {r} m is not the distance to P ({to_p} m; to T {to_t} m)",
                    target.label()
                ));
            }
            obs.push((c, r));
        }
        let (est, rms) = least_squares(&obs, t);
        let extra = format!("; RMS residual {rms:.4} m; {} requests", attacker.requests - before);
        failures.extend(judge("bisect radius", target, est, 0.05, &extra));
    }
    finish("bisect", failures, attacker.requests, started);
}

// ---------------------------------------------------------------------------------------------
// (d) Nearest-order flips.

#[tokio::test]
async fn nearest_order_flips_recover_only_the_public_point() {
    let started = Instant::now();
    let (app, targets) = setup().await;
    let mut attacker = Attacker::new(&app);
    let mut failures = Vec::new();
    for target in &targets {
        let before = attacker.requests;
        let (t, p, nb) = (target.t, target.p, target.neighbour);
        let d_tn = haversine_m(t, nb);
        let d_pn = haversine_m(p, nb);
        let ext = (d_pn / 3.0).max(40_000.0);
        let theta = bearing_deg(p, nb);
        // Lines from beyond P (away from N) to beyond N, and parallel lines offset to both sides:
        // aimed at the point the answers rank by (P, which the attacker sees), so every line
        // crosses the P-N bisector; aimed at T, a line could miss it when P lies far off the T-N line.
        let a0 = destination(p, theta + 180.0, ext);
        let b0 = destination(nb, bearing_deg(nb, p) + 180.0, ext);
        let mut flips: Vec<Pt> = Vec::new();
        for offset in [0.0, 0.3 * d_pn, -0.3 * d_pn, 0.8 * d_pn, -0.8 * d_pn] {
            let shift = |p: Pt| {
                if offset >= 0.0 {
                    destination(p, theta + 90.0, offset)
                } else {
                    destination(p, theta - 90.0, -offset)
                }
            };
            let (a, b) = (shift(a0), shift(b0));
            let at = |f: f64| pt(a.lat + (b.lat - a.lat) * f, a.lon + (b.lon - a.lon) * f);
            let first_at_a = attacker.shelter_first(target.id, target.neighbour_id, a).await;
            let first_at_b = attacker.shelter_first(target.id, target.neighbour_id, b).await;
            if first_at_a == first_at_b || !first_at_a {
                println!(
                    "[order flips] {}: the line at offset {offset:.0} m has no flip; skipped",
                    target.label()
                );
                continue;
            }
            let (mut lo, mut hi) = (0.0, 1.0);
            for _ in 0..STEPS {
                let m = (lo + hi) / 2.0;
                if attacker.shelter_first(target.id, target.neighbour_id, at(m)).await {
                    lo = m;
                } else {
                    hi = m;
                }
            }
            let f = at(lo);
            let (fp, fn_, ft) = (haversine_m(f, p), haversine_m(f, nb), haversine_m(f, t));
            println!(
                "[order flips] {}: flip at ({:.7}, {:.7}) (offset {offset:.0} m): d(F,P) - d(F,N) = {:.3} m, \
                 d(F,T) - d(F,N) = {:.1} m",
                target.label(),
                f.lat,
                f.lon,
                fp - fn_,
                ft - fn_
            );
            if (fp - fn_).abs() > 1.0 {
                failures.push(format!(
                    "[order flips] {}: the flip at {f:?} is not equidistant to P and N (d(F,P) {fp:.3} m, \
                     d(F,N) {fn_:.3} m, d(F,T) {ft:.3} m)",
                    target.label()
                ));
            }
            flips.push(f);
        }
        if flips.len() < 2 {
            failures.push(format!(
                "[order flips] {}: only {} flip point(s) found",
                target.label(),
                flips.len()
            ));
            continue;
        }
        // The flips lie on a great circle; reflecting N across it gives the attacker's estimate.
        let (mut f1, mut f2, mut widest) = (flips[0], flips[1], 0.0);
        for (i, &x) in flips.iter().enumerate() {
            for &y in &flips[i + 1..] {
                let d = haversine_m(x, y);
                if d > widest {
                    (f1, f2, widest) = (x, y, d);
                }
            }
        }
        let c = cross(xyz(f1), xyz(f2));
        let len = dot(c, c).sqrt();
        let normal = [c[0] / len, c[1] / len, c[2] / len];
        let v = xyz(nb);
        let k = 2.0 * dot(v, normal);
        let est = from_xyz([v[0] - k * normal[0], v[1] - k * normal[1], v[2] - k * normal[2]]);
        let extra = format!(
            "; {} flips, widest pair {:.0} m apart; neighbour {:.0} m from T; {} requests",
            flips.len(),
            widest,
            d_tn,
            attacker.requests - before
        );
        failures.extend(judge("order flips", target, est, ORDER_FLIP_CONVERGED_M, &extra));
    }
    finish("order flips", failures, attacker.requests, started);
}
