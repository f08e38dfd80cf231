//! A confidential provider's exact point, address, locality, postal code and intake phone never
//! appear in any public answer, JSON or GeoJSON; every distance, order and containment decision
//! uses its public point.

use crate::helpers::{CSV_HEADER, TestApp, assert_problem};
use bellmap::model::LonLat;
use serde_json::{Value, json};
use std::collections::HashMap;

/// One seeded provider.
struct Seed {
    ext: &'static str,
    name: &'static str,
    lat: f64,
    lon: f64,
    /// The admin-given public point (lat, lon).
    public: Option<(f64, f64)>,
    confidential: bool,
    address: &'static str,
    locality: &'static str,
    postal_code: &'static str,
    intake_phone: &'static str,
    /// The E.164 form the server derives from `intake_phone`.
    intake_e164: &'static str,
}

const SEEDS: &[Seed] = &[
    Seed {
        ext: "conf-admin-lko",
        name: "Safe House Alpha",
        lat: 26.834567,
        lon: 80.912378,
        public: Some((26.8, 80.9)),
        confidential: true,
        address: "14 Gulmohar Hidden Lane",
        locality: "Zzyzx Ward Alpha",
        postal_code: "PIN-A7731X",
        intake_phone: "0522 271 9183",
        intake_e164: "+915222719183",
    },
    Seed {
        ext: "conf-grid-lko",
        name: "Safe House Bravo",
        lat: 26.871234,
        lon: 80.987654,
        public: None,
        confidential: true,
        address: "7 Banyan Hidden Court",
        locality: "Zzyzx Ward Bravo",
        postal_code: "PIN-B8842Y",
        intake_phone: "0522 398 4471",
        intake_e164: "+915223984471",
    },
    Seed {
        ext: "conf-admin-far",
        name: "Safe House Charlie",
        lat: 26.923456,
        lon: 80.856789,
        public: Some((26.95, 80.75)),
        confidential: true,
        address: "3 Neem Hidden Gali",
        locality: "Zzyzx Ward Charlie",
        postal_code: "PIN-C9953Z",
        intake_phone: "0522 417 6629",
        intake_e164: "+915224176629",
    },
    Seed {
        ext: "conf-grid-del",
        name: "Safe House Delta",
        lat: 28.613579,
        lon: 77.209135,
        public: None,
        confidential: true,
        address: "22 Hidden Kothi Marg",
        locality: "Zzyzx Ward Delta",
        postal_code: "PIN-D1064W",
        intake_phone: "011 4155 7302",
        intake_e164: "+911141557302",
    },
    Seed {
        ext: "open-1",
        name: "Open Centre One",
        lat: 26.8412,
        lon: 80.9301,
        public: None,
        confidential: false,
        address: "5 Open Road Hazratganj",
        locality: "Hazratganj",
        postal_code: "226001",
        intake_phone: "0522 230 5550",
        intake_e164: "+915222305550",
    },
    Seed {
        ext: "open-2",
        name: "Open Centre Two",
        lat: 26.8501,
        lon: 80.9499,
        public: None,
        confidential: false,
        address: "9 Open Marg Aliganj",
        locality: "Aliganj",
        postal_code: "226024",
        intake_phone: "0522 232 1111",
        intake_e164: "+915222321111",
    },
    Seed {
        ext: "open-3",
        name: "Open Centre Three",
        lat: 26.8203,
        lon: 80.9015,
        public: None,
        confidential: false,
        address: "1 Open Chowk Charbagh",
        locality: "Charbagh",
        postal_code: "226004",
        intake_phone: "0522 240 2222",
        intake_e164: "+915222402222",
    },
    Seed {
        ext: "open-4",
        name: "Open Centre Four",
        lat: 26.8866,
        lon: 80.9788,
        public: None,
        confidential: false,
        address: "12 Open Path Indiranagar",
        locality: "Indiranagar",
        postal_code: "226016",
        intake_phone: "0522 250 3333",
        intake_e164: "+915222503333",
    },
    Seed {
        ext: "open-5",
        name: "Open Centre Five",
        lat: 28.6304,
        lon: 77.2177,
        public: None,
        confidential: false,
        address: "40 Open Circus Connaught Place",
        locality: "Connaught Place",
        postal_code: "110001",
        intake_phone: "011 2334 4444",
        intake_e164: "+911123344444",
    },
];

/// Filters every seeded provider passes.
const FILTERS: &str = "category=shelter,police&language=hi,ta&open_24_7=true";

fn csv() -> String {
    let mut csv = format!("{CSV_HEADER}\n");
    for s in SEEDS {
        let (plat, plon) = s.public.map(|(a, b)| (a.to_string(), b.to_string())).unwrap_or_default();
        let cells = [
            s.ext.to_string(),
            s.name.to_string(),
            "Sample Org".into(),
            "A fictional provider for tests".into(),
            "shelter;helpline".into(),
            s.lat.to_string(),
            s.lon.to_string(),
            plat,
            plon,
            s.confidential.to_string(),
            s.address.into(),
            s.locality.into(),
            "Lucknow".into(),
            "Uttar Pradesh".into(),
            s.postal_code.into(),
            "IN".into(),
            "181".into(),
            "1800 102 7282".into(),
            String::new(),
            s.intake_phone.into(),
            "help@example.org".into(),
            "https://example.org/".into(),
            "hi;en".into(),
            "24/7".into(),
            "true".into(),
            "Women and children".into(),
            "Free".into(),
            "yes".into(),
            "2026-01-15".into(),
            "active".into(),
        ];
        assert_eq!(cells.len(), CSV_HEADER.split(',').count());
        csv.push_str(&cells.map(|c| format!("\"{c}\"")).join(","));
        csv.push('\n');
    }
    csv
}

/// `v` cut (not rounded) to `places` decimals.
fn truncated(v: f64, places: usize) -> String {
    let full = format!("{v:.12}");
    let dot = full.find('.').expect("a decimal point");
    full[..dot + 1 + places].to_string()
}

/// Does `text` contain `secret`? A coordinate form ("28.614") counts when a whole number in
/// the text is exactly it, as a leaked or rounded coordinate would be; as a mere prefix it
/// may be chance, since a drawn public point 2 km due east shares the latitude's digits.
fn leaks(text: &str, secret: &str) -> bool {
    if !secret.contains('.') || secret.parse::<f64>().is_err() {
        return text.contains(secret);
    }
    text.split(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-')).any(|number| number == secret)
}

/// Every string that must never appear in a public body.
fn secrets() -> Vec<String> {
    let mut out = Vec::new();
    for s in SEEDS.iter().filter(|s| s.confidential) {
        out.extend([s.address, s.locality, s.postal_code, s.intake_phone, s.intake_e164].map(String::from));
        // The phone's digits in any formatting.
        out.push(s.intake_e164.trim_start_matches("+91").to_string());
        for v in [s.lat, s.lon] {
            for places in [3, 4] {
                out.push(format!("{v:.places$}"));
                out.push(truncated(v, places));
            }
            out.push(v.to_string());
        }
    }
    out.sort();
    out.dedup();
    out
}

/// One public request.
enum Req {
    Get(String),
    Post(Value),
}

struct Probe {
    what: String,
    req: Req,
    /// The query point, for answers with distance_m.
    origin: Option<LonLat>,
}

fn get(what: impl Into<String>, path: impl Into<String>, origin: Option<LonLat>) -> Probe {
    Probe { what: what.into(), req: Req::Get(path.into()), origin }
}

fn post(what: impl Into<String>, body: Value, origin: Option<LonLat>) -> Probe {
    Probe { what: what.into(), req: Req::Post(body), origin }
}

/// Every (description, status, content type, body) for a probe in JSON and both GeoJSON forms.
async fn fetch_all(app: &TestApp, probe: &Probe) -> Vec<(String, u16, String, String)> {
    let mut out = Vec::new();
    let requests: Vec<(String, reqwest::RequestBuilder)> = match &probe.req {
        // Clusters answer GeoJSON only.
        Req::Get(path) if path.starts_with("/v1/clusters?") => {
            vec![(format!("GET {path}"), app.client.get(app.url(path)))]
        }
        // OGC items answer GeoJSON by default; `format` is not one of their parameters.
        Req::Get(path) if path.starts_with("/ogc/") => vec![
            (format!("GET {path}"), app.client.get(app.url(path))),
            (
                format!("GET {path} (Accept: application/geo+json)"),
                app.client.get(app.url(path)).header("accept", "application/geo+json"),
            ),
        ],
        Req::Get(path) => {
            let sep = if path.contains('?') { '&' } else { '?' };
            vec![
                (format!("GET {path}"), app.client.get(app.url(path))),
                (
                    format!("GET {path}{sep}format=geojson"),
                    app.client.get(app.url(&format!("{path}{sep}format=geojson"))),
                ),
                (
                    format!("GET {path} (Accept: application/geo+json)"),
                    app.client.get(app.url(path)).header("accept", "application/geo+json"),
                ),
            ]
        }
        Req::Post(body) => {
            let url = app.url("/v1/providers/search");
            vec![
                (format!("POST search {body}"), app.client.post(&url).json(body)),
                (
                    format!("POST search {body} (Accept: application/geo+json)"),
                    app.client.post(&url).json(body).header("accept", "application/geo+json"),
                ),
                (
                    format!("POST search?format=geojson {body}"),
                    app.client.post(app.url("/v1/providers/search?format=geojson")).json(body),
                ),
            ]
        }
    };
    for (label, rb) in requests {
        let res = rb.send().await.expect("request sent");
        let status = res.status().as_u16();
        let ct = res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
        let headers: String =
            res.headers().iter().map(|(k, v)| format!("{k}: {}\n", v.to_str().unwrap_or(""))).collect();
        for s in secrets() {
            assert!(!leaks(&headers, &s), "{label}: a response header contains the secret '{s}'");
        }
        let text = res.text().await.expect("body");
        out.push((format!("{} — {label}", probe.what), status, ct, text));
    }
    out
}

/// A provider in an answer: its properties and the point it is served at.
struct Served {
    props: Value,
    point: LonLat,
}

/// The providers in any public answer shape: a page, a FeatureCollection, one DTO or one Feature.
fn providers_in(body: &Value) -> Vec<Served> {
    let one = |v: &Value| -> Served {
        if v["type"] == "Feature" {
            let c = &v["geometry"]["coordinates"];
            let point = LonLat { lon: c[0].as_f64().unwrap(), lat: c[1].as_f64().unwrap() };
            assert!(v["properties"].get("lat").is_none(), "GeoJSON properties carry no lat: {v}");
            assert_eq!(v["id"], v["properties"]["id"], "feature id is the provider id");
            Served { props: v["properties"].clone(), point }
        } else {
            let point = LonLat { lon: v["lon"].as_f64().unwrap(), lat: v["lat"].as_f64().unwrap() };
            Served { props: v.clone(), point }
        }
    };
    if let Some(items) = body["items"].as_array() {
        items.iter().map(one).collect()
    } else if let Some(features) = body["features"].as_array() {
        // A cluster carries counts only, never a provider's fields.
        let (clusters, providers): (Vec<&Value>, Vec<&Value>) =
            features.iter().partition(|f| f["properties"]["cluster"] == true);
        for c in clusters {
            let keys: Vec<&str> = c["properties"].as_object().unwrap().keys().map(String::as_str).collect();
            assert_eq!(keys, ["cluster", "cluster_id", "count", "expansion_zoom", "categories"], "{c}");
        }
        // A single provider in a clusters answer is a map marker: a few public fields only.
        for m in providers.iter().filter(|f| f["properties"]["cluster"] == false) {
            let keys: Vec<&str> = m["properties"].as_object().unwrap().keys().map(String::as_str).collect();
            assert_eq!(
                keys,
                [
                    "cluster",
                    "id",
                    "name",
                    "categories",
                    "confidential",
                    "location_precision",
                    "open_24_7",
                    "open_now"
                ],
                "{m}"
            );
        }
        providers.into_iter().map(one).collect()
    } else if body.get("id").is_some() {
        vec![one(body)]
    } else {
        vec![]
    }
}

/// What the sweep learns: each confidential provider's public point, as served.
struct Sweep {
    seeds: HashMap<i64, &'static Seed>,
    secrets: Vec<String>,
    public_points: HashMap<i64, LonLat>,
    seen_confidential: HashMap<i64, usize>,
}

impl Sweep {
    /// Checks one answer body; `origin` is the query point of a distance answer.
    fn check(&mut self, label: &str, status: u16, ct: &str, text: &str, origin: Option<LonLat>) {
        assert_eq!(status, 200, "{label}: {text}");
        for s in &self.secrets {
            assert!(!leaks(text, s), "{label}: the body contains the secret '{s}': {text}");
        }
        let body: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{label}: {e}: {text}"));
        let geo = body["type"] == "FeatureCollection" || body["type"] == "Feature";
        let want_ct = if geo { "application/geo+json" } else { "application/json" };
        assert_eq!(ct, want_ct, "{label}: content type");
        for Served { props, point } in providers_in(&body) {
            let id = props["id"].as_i64().unwrap_or_else(|| panic!("{label}: no id in {props}"));
            let seed = self.seeds[&id];
            // A map marker in a clusters answer carries only a few public fields.
            let marker = props.get("cluster").is_some();
            for key in ["address", "locality", "postal_code", "intake_phone", "location_precision", "lat"] {
                if key == "lat" && geo || marker && key != "location_precision" {
                    continue;
                }
                assert!(props.get(key).is_some(), "{label}: provider {id} lacks the '{key}' key: {props}");
            }
            if let (Some(origin), Some(d)) = (origin, props.get("distance_m")) {
                let d = d.as_f64().unwrap();
                let want = origin.distance_m(point);
                assert!(
                    (d - want).abs() <= 0.051,
                    "{label}: provider {id} distance_m {d} is not the distance to its served point ({want})"
                );
            }
            if seed.confidential {
                *self.seen_confidential.entry(id).or_default() += 1;
                for key in ["address", "locality", "postal_code", "intake_phone"] {
                    assert!(props[key].is_null(), "{label}: confidential {id} has {key}: {props}");
                }
                assert_eq!(props["location_precision"], "approximate", "{label}: {props}");
                assert_eq!(props["confidential"], true, "{label}: {props}");
                let note = props["contact_note"].as_str().unwrap_or("");
                assert!(
                    marker || !note.trim().is_empty(),
                    "{label}: confidential {id} has no contact_note: {props}"
                );
                let exact = LonLat { lon: seed.lon, lat: seed.lat };
                assert!(
                    exact.distance_m(point) > 1_000.0,
                    "{label}: confidential {id} is served within 1 km of its exact point: {point:?}"
                );
                assert!(
                    exact.distance_m(point) < 15_000.0,
                    "{label}: confidential {id} is served implausibly far away: {point:?}"
                );
                if let Some((lat, lon)) = seed.public {
                    assert_eq!(
                        point,
                        LonLat { lon, lat },
                        "{label}: {id} is served at the admin's public point"
                    );
                }
                let first = *self.public_points.entry(id).or_insert(point);
                assert_eq!(first, point, "{label}: confidential {id} is served at one fixed point");
            } else {
                assert_eq!(
                    point,
                    LonLat { lon: seed.lon, lat: seed.lat },
                    "{label}: ordinary point is exact"
                );
                if !marker {
                    assert_eq!(props["address"], seed.address, "{label}: {props}");
                    assert_eq!(props["locality"], seed.locality, "{label}: {props}");
                    assert_eq!(props["postal_code"], seed.postal_code, "{label}: {props}");
                    assert_eq!(props["intake_phone"]["display"], seed.intake_phone, "{label}: {props}");
                }
                assert_eq!(props["location_precision"], "exact", "{label}: {props}");
                assert_eq!(props["confidential"], false, "{label}: {props}");
                assert!(props.get("contact_note").is_none_or(Value::is_null), "{label}: {props}");
            }
        }
    }
}

/// Ids of the seeds, from the store (ids are server-assigned).
fn ids(app: &TestApp) -> HashMap<i64, &'static Seed> {
    let all = app.db().load_all().expect("load");
    all.iter()
        .map(|p| {
            let seed = SEEDS.iter().find(|s| s.ext == p.data.external_id).expect("a seeded provider");
            (p.id.0, seed)
        })
        .collect()
}

/// A closed GeoJSON Polygon ring around a box.
fn square(w: f64, s: f64, e: f64, n: f64) -> Value {
    json!({"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]})
}

fn ll(lat: f64, lon: f64) -> LonLat {
    LonLat { lon, lat }
}

#[tokio::test]
async fn confidential_details_never_leave_the_server() {
    let app = TestApp::spawn(&csv()).await;
    let by_id = ids(&app);
    assert_eq!(by_id.len(), SEEDS.len());
    let mut sweep = Sweep {
        seeds: by_id.clone(),
        secrets: secrets(),
        public_points: HashMap::new(),
        seen_confidential: HashMap::new(),
    };

    let mut probes: Vec<Probe> = Vec::new();
    for s in SEEDS.iter().filter(|s| s.confidential) {
        let mut points = vec![(s.lat, s.lon)];
        for (dlat, dlon) in
            [(0.001, 0.0), (-0.001, 0.0), (0.0, 0.001), (0.0, -0.001), (0.02, 0.02), (-0.05, 0.03)]
        {
            points.push((s.lat + dlat, s.lon + dlon));
        }
        if let Some(p) = s.public {
            points.push(p);
        }
        for (lat, lon) in points {
            let o = Some(ll(lat, lon));
            probes.push(get(s.name, format!("/v1/providers/nearest?lat={lat}&lon={lon}&k=100"), o));
            probes.push(get(s.name, format!("/v1/providers/nearest?lat={lat}&lon={lon}&k=3"), o));
            probes.push(get(s.name, format!("/v1/providers/within?lat={lat}&lon={lon}&radius_km=25"), o));
        }
        let (lat, lon) = (s.lat, s.lon);
        let o = Some(ll(lat, lon));
        probes.push(get(
            s.name,
            format!("/v1/providers/within?lat={lat}&lon={lon}&radius_km=500&limit=3"),
            o,
        ));
        probes.push(get(
            s.name,
            format!("/v1/providers/nearest?lat={lat}&lon={lon}&k=10&max_distance_km=50&{FILTERS}"),
            o,
        ));
        probes.push(get(
            s.name,
            format!("/v1/providers?bbox={},{},{},{}", lon - 0.2, lat - 0.2, lon + 0.2, lat + 0.2),
            None,
        ));
        let ogc = "/ogc/collections/providers/items";
        for d in [0.2, 0.01, 0.001] {
            let (w, so, e, n) = (lon - d, lat - d, lon + d, lat + d);
            probes.push(get(s.name, format!("{ogc}?bbox={w},{so},{e},{n}"), None));
            probes.push(get(s.name, format!("{ogc}?bbox={w},{so},{e},{n}&limit=1"), None));
            let cql = format!("S_INTERSECTS(geometry,BBOX({w},{so},{e},{n}))").replace(' ', "%20");
            probes.push(get(s.name, format!("{ogc}?filter={cql}"), None));
        }
        probes.push(get(
            s.name,
            format!("{ogc}?bbox={},{},{},{}&{FILTERS}", lon - 0.3, lat - 0.3, lon + 0.3, lat + 0.3),
            None,
        ));
        probes.push(post(s.name, json!({"near": {"lat": lat, "lon": lon}, "k": 100}), o));
        probes.push(post(s.name, json!({"within": {"lat": lat, "lon": lon, "radius_km": 30}}), o));
        probes.push(post(s.name, json!({"bbox": [lon - 0.3, lat - 0.3, lon + 0.3, lat + 0.3]}), None));
        let (w, so, e, n) = (lon - 0.3, lat - 0.3, lon + 0.3, lat + 0.3);
        let area = square(w, so, e, n);
        probes.push(post(s.name, json!({"polygon": area}), None));
        probes.push(post(
            s.name,
            json!({"polygon": {"type": "Feature", "properties": {}, "geometry": area}}),
            None,
        ));
    }
    for s in SEEDS.iter().filter(|s| s.confidential) {
        let (w, so, e, n) = (s.lon - 0.5, s.lat - 0.5, s.lon + 0.5, s.lat + 0.5);
        for zoom in [3, 8, 12, 16, 19] {
            probes.push(get(s.name, format!("/v1/clusters?bbox={w},{so},{e},{n}&zoom={zoom}"), None));
        }
    }
    let mut cluster_ids = Vec::new();
    for zoom in [0, 4, 8, 12] {
        let path = format!("/v1/clusters?bbox=-180,-90,180,90&zoom={zoom}");
        let body = app.get_ok(&path).await;
        for f in body["features"].as_array().unwrap() {
            if let Some(id) = f["properties"]["cluster_id"].as_str() {
                cluster_ids.push(id.to_string());
            }
        }
        probes.push(get("world clusters", path, None));
    }
    assert!(!cluster_ids.is_empty(), "the seeds make clusters");
    for id in cluster_ids {
        probes.push(get("leaves", format!("/v1/clusters/{id}/leaves?limit=500"), None));
    }
    probes.push(get("city", "/v1/providers?bbox=80.5,26.5,81.5,27.2", None));
    probes.push(get("world", "/v1/providers?bbox=-180,-90,180,90&limit=500", None));
    probes.push(get("world, paged", "/v1/providers?bbox=-180,-90,180,90&limit=2", None));
    for id in by_id.keys() {
        probes.push(get("by id", format!("/v1/providers/{id}"), None));
        probes.push(get("OGC item", format!("/ogc/collections/providers/items/{id}"), None));
    }
    for query in
        ["limit=1000", "limit=2", "category=shelter&open_24_7=true", "filter=confidential%20%3D%20true"]
    {
        probes.push(get("OGC items", format!("/ogc/collections/providers/items?{query}"), None));
    }

    for probe in &probes {
        for (label, status, ct, text) in fetch_all(&app, probe).await {
            sweep.check(&label, status, &ct, &text, probe.origin);
        }
    }
    // The bulk feed: each line is one provider's Feature.
    let res = app.get("/v1/providers.ndjson").await;
    assert_eq!(res.headers()["content-type"], "application/x-ndjson");
    for (i, line) in res.text().await.unwrap().lines().enumerate() {
        sweep.check(&format!("ndjson line {i}"), 200, "application/geo+json", line, None);
    }
    for path in [
        "/v1/categories",
        "/ready",
        "/health",
        "/openapi.json",
        "/ogc",
        "/ogc/api",
        "/ogc/collections",
        "/ogc/collections/providers",
        "/ogc/collections/providers/queryables",
        "/v1/changes",
        "/v1/changes?limit=1",
    ] {
        let text = app.get(path).await.text().await.unwrap();
        for s in &sweep.secrets {
            assert!(!leaks(&text, s), "{path}: contains the secret '{s}'");
        }
    }
    for (id, seed) in &by_id {
        if seed.confidential {
            assert!(
                sweep.seen_confidential.get(id).copied().unwrap_or(0) > 0,
                "{} was never served",
                seed.name
            );
        }
    }
}

/// The provider properties of an answer (a list, a FeatureCollection, one provider or one
/// Feature), whichever members `fields` kept.
fn served_properties(body: &Value) -> Vec<Value> {
    let list = body["items"].as_array().or(body["features"].as_array()).cloned();
    let list = list.unwrap_or_else(|| vec![body.clone()]);
    list.into_iter().map(|v| if v["type"] == "Feature" { v["properties"].clone() } else { v }).collect()
}

/// `fields=` only narrows the public view: asking a public route for a confidential provider's
/// withheld members (exact point, address, locality, postal code, intake phone) gets them null
/// or left out, in JSON and GeoJSON, by GET and by POST; a name that is not a member of the
/// answer is a 400.
#[tokio::test]
async fn fields_cannot_ask_for_confidential_details() {
    let app = TestApp::spawn(&csv()).await;
    let by_id = ids(&app);
    let secrets = secrets();
    let withheld = ["exact_lat", "exact_lon", "address", "locality", "postal_code", "intake_phone"];
    let mut lists: Vec<String> = withheld.iter().map(|m| m.to_string()).collect();
    lists.push(withheld.join(","));
    lists.push(format!("{},lat,lon,distance_m,contact_note", withheld.join(",")));
    let mut served = 0;
    let mut check = |label: &str, status: u16, text: &str| {
        assert_eq!(status, 200, "{label}: {text}");
        for secret in &secrets {
            assert!(!leaks(text, secret), "{label}: the body contains the secret '{secret}': {text}");
        }
        let body: Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{label}: {e}: {text}"));
        for props in served_properties(&body) {
            let id = props["id"].as_i64().unwrap_or_else(|| panic!("{label}: no id in {props}"));
            if !by_id[&id].confidential {
                continue;
            }
            served += 1;
            for key in withheld {
                assert!(
                    props.get(key).is_none_or(Value::is_null),
                    "{label}: confidential {id} has {key}: {props}"
                );
            }
        }
    };
    for s in SEEDS.iter().filter(|s| s.confidential) {
        let (lat, lon) = (s.lat, s.lon);
        let o = Some(ll(lat, lon));
        let (w, so, e, n) = (lon - 0.3, lat - 0.3, lon + 0.3, lat + 0.3);
        for list in &lists {
            let members: Vec<&str> = list.split(',').collect();
            let probes = [
                get(s.name, format!("/v1/providers/nearest?lat={lat}&lon={lon}&k=100&fields={list}"), o),
                get(
                    s.name,
                    format!("/v1/providers/within?lat={lat}&lon={lon}&radius_km=25&fields={list}"),
                    o,
                ),
                get(s.name, format!("/v1/providers?bbox={w},{so},{e},{n}&fields={list}"), None),
                post(s.name, json!({"near": {"lat": lat, "lon": lon}, "k": 100, "fields": members}), o),
                post(
                    s.name,
                    json!({"within": {"lat": lat, "lon": lon, "radius_km": 30}, "fields": members}),
                    o,
                ),
                post(s.name, json!({"polygon": square(w, so, e, n), "fields": members}), None),
            ];
            for probe in &probes {
                for (label, status, _, text) in fetch_all(&app, probe).await {
                    check(&label, status, &text);
                }
            }
        }
    }
    for id in by_id.keys() {
        for list in &lists {
            let probe = get("by id", format!("/v1/providers/{id}?fields={list}"), None);
            for (label, status, _, text) in fetch_all(&app, &probe).await {
                check(&label, status, &text);
            }
        }
    }
    assert!(served > 0, "the confidential providers were served");
    // Names outside the answer are refused, not ignored.
    for name in ["exact_location", "exact_point", "location", "public_lat", "lat_exact", "intake", "secret"] {
        let path = format!("/v1/providers/nearest?lat=26.8&lon=80.9&fields=id,{name}");
        let problem = assert_problem(app.get(&path).await, 400, Some("fields")).await;
        assert!(problem.to_string().contains(name), "{path}: names the bad member: {problem}");
        let body = json!({"near": {"lat": 26.8, "lon": 80.9}, "fields": ["id", name]});
        assert_problem(app.post_json("/v1/providers/search", &body).await, 400, Some("fields")).await;
    }
}

/// Order, radius, box and polygon decisions use the public point: probes around the exact point
/// cannot find a confidential provider there, and nearest order equals order by public point.
#[tokio::test]
async fn spatial_decisions_use_the_public_point() {
    let app = TestApp::spawn(&csv()).await;
    let by_id = ids(&app);
    let id_of = |ext: &str| *by_id.iter().find(|(_, s)| s.ext == ext).unwrap().0;
    // Served points of everyone, from the world listing.
    let world = app.get_ok("/v1/providers?bbox=-180,-90,180,90&limit=500").await;
    let served: HashMap<i64, LonLat> =
        providers_in(&world).into_iter().map(|s| (s.props["id"].as_i64().unwrap(), s.point)).collect();
    assert_eq!(served.len(), SEEDS.len());
    let admin = id_of("conf-admin-lko");
    assert_eq!(served[&admin], ll(26.8, 80.9), "the admin-given public point is the one served");
    let admin_far = id_of("conf-admin-far");
    assert_eq!(served[&admin_far], ll(26.95, 80.75));

    for s in SEEDS.iter().filter(|s| s.confidential) {
        let id = id_of(s.ext);
        let (lat, lon) = (s.lat, s.lon);
        let ids_in = |body: &Value| -> Vec<i64> {
            providers_in(body).iter().map(|p| p.props["id"].as_i64().unwrap()).collect()
        };
        // Nearest at the exact point: order is by distance to served points (ties by id).
        let body = app.get_ok(&format!("/v1/providers/nearest?lat={lat}&lon={lon}&k=100")).await;
        let origin = ll(lat, lon);
        let mut want: Vec<(f64, i64)> = served.iter().map(|(id, p)| (origin.distance_m(*p), *id)).collect();
        want.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let want: Vec<i64> = want.into_iter().map(|(_, id)| id).collect();
        assert_eq!(ids_in(&body), want, "{}: nearest order is by public point", s.name);

        // Small probes at the exact point do not find it.
        let near =
            app.get_ok(&format!("/v1/providers/nearest?lat={lat}&lon={lon}&k=100&max_distance_km=0.5")).await;
        assert!(!ids_in(&near).contains(&id), "{}: max_distance_km=0.5 at its exact point finds it", s.name);
        let within = app.get_ok(&format!("/v1/providers/within?lat={lat}&lon={lon}&radius_km=0.5")).await;
        assert!(!ids_in(&within).contains(&id), "{}: radius 0.5 km at its exact point finds it", s.name);
        let d = 0.001;
        let bbox =
            app.get_ok(&format!("/v1/providers?bbox={},{},{},{}", lon - d, lat - d, lon + d, lat + d)).await;
        assert!(!ids_in(&bbox).contains(&id), "{}: a tiny box around its exact point finds it", s.name);
        let tiny = square(lon - d, lat - d, lon + d, lat + d);
        let poly = app.post_ok("/v1/providers/search", &json!({"polygon": tiny})).await;
        assert!(!ids_in(&poly).contains(&id), "{}: a tiny polygon around its exact point finds it", s.name);
        let body = app
            .post_ok("/v1/providers/search", &json!({"within": {"lat": lat, "lon": lon, "radius_km": 0.5}}))
            .await;
        assert!(!ids_in(&body).contains(&id), "{}: search within 0.5 km of its exact point finds it", s.name);

        // The same probes at the public point do find it.
        let p = served[&id];
        let within =
            app.get_ok(&format!("/v1/providers/within?lat={}&lon={}&radius_km=0.5", p.lat, p.lon)).await;
        assert!(ids_in(&within).contains(&id), "{}: radius 0.5 km at its public point misses it", s.name);
        let bbox = app
            .get_ok(&format!("/v1/providers?bbox={},{},{},{}", p.lon - d, p.lat - d, p.lon + d, p.lat + d))
            .await;
        assert!(ids_in(&bbox).contains(&id), "{}: a tiny box around its public point misses it", s.name);
        let tiny = square(p.lon - d, p.lat - d, p.lon + d, p.lat + d);
        let poly = app.post_ok("/v1/providers/search", &json!({"polygon": tiny})).await;
        assert!(ids_in(&poly).contains(&id), "{}: a tiny polygon around its public point misses it", s.name);

        // Distance to it is the distance to the public point, from anywhere.
        for (qlat, qlon) in [(lat, lon), (lat + 0.3, lon - 0.2), (p.lat, p.lon)] {
            let body = app.get_ok(&format!("/v1/providers/nearest?lat={qlat}&lon={qlon}&k=100")).await;
            let item = body["items"].as_array().unwrap().iter().find(|i| i["id"] == id).unwrap();
            let want = ll(qlat, qlon).distance_m(p);
            let got = item["distance_m"].as_f64().unwrap();
            assert!(
                (got - want).abs() <= 0.051,
                "{}: distance_m {got}, want {want} (to the public point)",
                s.name
            );
        }
    }
}

/// CQL2 filters on /ogc are evaluated on the public record: naming a confidential provider's
/// withheld values (locality, postal code, address) or its exact point finds nothing, a filter
/// sees its withheld members as null, and names outside the public answer are refused.
#[tokio::test]
async fn ogc_filters_see_only_the_public_record() {
    let app = TestApp::spawn(&csv()).await;
    let by_id = ids(&app);
    let secrets = secrets();
    let items = "/ogc/collections/providers/items";
    // The ids a filter matches; the features (links echo the query, so they are left out) must
    // hold no secret and every confidential one only its public view.
    let matched = |filter: String| {
        let app = &app;
        let secrets = &secrets;
        let by_id = &by_id;
        async move {
            let res = app
                .client
                .get(app.url(items))
                .query(&[("filter", filter.as_str()), ("limit", "1000")])
                .send()
                .await
                .unwrap();
            let status = res.status();
            let body: Value = res.json().await.unwrap();
            assert_eq!(status, 200, "{filter}: {body}");
            let features = body["features"].clone();
            let text = features.to_string();
            for secret in secrets {
                assert!(!leaks(&text, secret), "{filter}: the features contain the secret '{secret}'");
            }
            let mut ids = Vec::new();
            for f in features.as_array().unwrap() {
                let id = f["id"].as_i64().unwrap();
                if by_id[&id].confidential {
                    for key in ["address", "locality", "postal_code", "intake_phone"] {
                        assert!(f["properties"][key].is_null(), "{filter}: confidential {id} has {key}");
                    }
                }
                ids.push(id);
            }
            assert_eq!(body["numberMatched"].as_u64(), Some(ids.len() as u64));
            ids
        }
    };
    let confidential: Vec<i64> = {
        let mut v: Vec<i64> = by_id.iter().filter(|(_, s)| s.confidential).map(|(id, _)| *id).collect();
        v.sort_unstable();
        v
    };
    let public_points: HashMap<i64, LonLat> = {
        let world = app.get_ok(&format!("{items}?limit=1000")).await;
        providers_in(&world).into_iter().map(|s| (s.props["id"].as_i64().unwrap(), s.point)).collect()
    };
    for (id, s) in by_id.iter().filter(|(_, s)| s.confidential) {
        for (key, value) in [("locality", s.locality), ("postal_code", s.postal_code), ("address", s.address)]
        {
            assert!(matched(format!("{key} = '{value}'")).await.is_empty(), "{key} of {} finds it", s.name);
            assert!(
                matched(format!("{key} <> '{value}' AND confidential = true")).await.is_empty(),
                "{key} <> of {}",
                s.name
            );
        }
        let (lat, lon) = (s.lat, s.lon);
        let d = 0.001;
        let exact_box =
            format!("S_INTERSECTS(geometry, BBOX({}, {}, {}, {}))", lon - d, lat - d, lon + d, lat + d);
        assert!(!matched(exact_box).await.contains(id), "{}: a box at the exact point finds it", s.name);
        let exact_point = format!("S_INTERSECTS(geometry, POINT({lon} {lat}))");
        assert!(matched(exact_point).await.is_empty(), "{}: its exact point finds it", s.name);
        let ring = format!(
            "{} {}, {} {}, {} {}, {} {}",
            lon - d,
            lat - d,
            lon + d,
            lat - d,
            lon + d,
            lat + d,
            lon - d,
            lat - d
        );
        let exact_polygon = format!("S_INTERSECTS(geometry, POLYGON(({ring})))");
        assert!(
            !matched(exact_polygon).await.contains(id),
            "{}: a polygon at the exact point finds it",
            s.name
        );
        // The same probes at its public point do find it.
        let p = public_points[id];
        let public_box = format!(
            "S_INTERSECTS(geometry, BBOX({}, {}, {}, {}))",
            p.lon - d,
            p.lat - d,
            p.lon + d,
            p.lat + d
        );
        assert!(matched(public_box).await.contains(id), "{}: a box at its public point misses it", s.name);
        let public_point = format!("S_INTERSECTS(geometry, POINT({} {}))", p.lon, p.lat);
        assert_eq!(matched(public_point).await, vec![*id], "{}: its public point finds it", s.name);
    }
    for pattern in ["Zzyzx%", "%Hidden%", "PIN-%", "%Ward Alpha"] {
        for key in ["locality", "address", "postal_code"] {
            assert!(matched(format!("{key} LIKE '{pattern}'")).await.is_empty(), "{key} LIKE '{pattern}'");
        }
    }
    // Withheld members are null to a filter, as in the public answer.
    assert_eq!(matched("locality IS NULL".into()).await, confidential);
    assert_eq!(matched("postal_code IS NULL AND address IS NULL".into()).await, confidential);
    assert!(matched("locality IS NOT NULL AND confidential = true".into()).await.is_empty());
    // An open provider's locality is public, and found.
    let open_one = *by_id.iter().find(|(_, s)| s.ext == "open-1").unwrap().0;
    assert_eq!(matched("locality = 'Hazratganj'".into()).await, vec![open_one]);
    // Names outside the public answer are not queryable.
    for name in ["intake_phone", "exact_lat", "exact_lon", "lat", "lon", "public_lat", "location"] {
        let res = app
            .client
            .get(app.url(items))
            .query(&[("filter", format!("{name} IS NULL"))])
            .send()
            .await
            .unwrap();
        assert_problem(res, 400, Some("filter")).await;
    }
}

/// Every location object in an HSDS answer (services, service_at_locations, organizations).
fn hsds_locations(v: &Value, out: &mut Vec<(String, Value)>) {
    match v {
        Value::Object(m) => {
            if let Some(sals) = m.get("service_at_locations").and_then(Value::as_array) {
                let name = m.get("name").and_then(Value::as_str).unwrap_or("").to_string();
                for sal in sals {
                    out.push((name.clone(), sal["location"].clone()));
                }
            }
            if let (Some(loc), Some(service)) = (m.get("location"), m.get("service")) {
                out.push((service["name"].as_str().unwrap_or("").to_string(), loc.clone()));
            }
            for child in m.values() {
                hsds_locations(child, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|i| hsds_locations(i, out)),
        _ => {}
    }
}

/// HSDS answers are the public view: no confidential address, locality, postal code, intake
/// phone or exact point in any route, list or nested object; each confidential location is its
/// public point with no address; proximity around a confidential provider orders by public
/// points; and a search for a withheld detail finds nothing.
#[tokio::test]
async fn hsds_answers_never_carry_confidential_details() {
    let app = TestApp::spawn(&csv()).await;
    let by_id = ids(&app);
    let secrets = secrets();
    let world = app.get_ok("/v1/providers?bbox=-180,-90,180,90&limit=500").await;
    let served: HashMap<String, LonLat> = providers_in(&world)
        .into_iter()
        .map(|s| (s.props["name"].as_str().unwrap().to_string(), s.point))
        .collect();
    let mut paths: Vec<String> = vec![
        "/hsds/".into(),
        "/hsds/services?per_page=500".into(),
        "/hsds/services?per_page=500&full=true".into(),
        "/hsds/services?per_page=2&page=2&full_service=true".into(),
        "/hsds/service_at_locations?per_page=500".into(),
        "/hsds/service_at_locations?per_page=500&full=true".into(),
        "/hsds/organizations?per_page=500".into(),
        "/hsds/organizations?per_page=500&full_service=true".into(),
        "/hsds/organizations?per_page=500&full=true".into(),
        "/hsds/taxonomies".into(),
        "/hsds/taxonomy_terms?per_page=500".into(),
    ];
    // Postcodes at and around the seeds, with radii from tight to wide.
    for pin in ["226001", "226024", "226004", "226016", "226010", "110001", "110002"] {
        for proximity in ["500", "2000", "5000", "12000", "25000", "500000"] {
            paths.push(format!(
                "/hsds/service_at_locations?postcode={pin}&proximity={proximity}&per_page=500&full=true"
            ));
            paths.push(format!("/hsds/service_at_locations?postcode={pin}&proximity={proximity}&per_page=1"));
        }
        paths.push(format!("/hsds/service_at_locations?postcode={pin}&per_page=500"));
    }
    let full = app.get_ok("/hsds/services?per_page=500&full=true").await;
    for s in full["contents"].as_array().unwrap() {
        paths.push(format!("/hsds/services/{}", s["id"].as_str().unwrap()));
        paths.push(format!(
            "/hsds/organizations/{}?full_service=true",
            s["organization_id"].as_str().unwrap()
        ));
        paths.push(format!("/hsds/organizations/{}", s["organization_id"].as_str().unwrap()));
        for sal in s["service_at_locations"].as_array().unwrap() {
            paths.push(format!("/hsds/service_at_locations/{}", sal["id"].as_str().unwrap()));
        }
    }
    assert_eq!(full["total_items"], by_id.len());
    let mut confidential_seen = 0;
    for path in &paths {
        let res = app.get(path).await;
        let status = res.status().as_u16();
        let headers: String =
            res.headers().iter().map(|(k, v)| format!("{k}: {}\n", v.to_str().unwrap_or(""))).collect();
        let text = res.text().await.unwrap();
        assert_eq!(status, 200, "{path}: {text}");
        for s in &secrets {
            assert!(!leaks(&text, s), "{path}: the body contains the secret '{s}': {text}");
            assert!(!leaks(&headers, s), "{path}: a header contains the secret '{s}'");
        }
        let body: Value = serde_json::from_str(&text).unwrap();
        let mut locations = Vec::new();
        hsds_locations(&body, &mut locations);
        for (name, loc) in locations {
            let seed = SEEDS.iter().find(|s| s.name == name).unwrap_or_else(|| panic!("{path}: {name}"));
            let point =
                LonLat { lon: loc["longitude"].as_f64().unwrap(), lat: loc["latitude"].as_f64().unwrap() };
            assert_eq!(point, served[&name], "{path}: {name} is at its served point");
            if seed.confidential {
                confidential_seen += 1;
                assert!(loc.get("addresses").is_none_or(|a| a == &json!([])), "{path}: {loc}");
                assert!(loc["description"].as_str().unwrap().starts_with("Approximate"), "{path}: {loc}");
                let exact = LonLat { lon: seed.lon, lat: seed.lat };
                assert!(exact.distance_m(point) > 1_000.0, "{path}: {name} within 1 km of its door");
            }
        }
        // Proximity: nearest first by public point.
        if let Some(pin) = path.split("postcode=").nth(1).map(|r| &r[..6]) {
            let places = app.get_ok(&format!("/v1/places?q={pin}")).await;
            let place =
                places["items"].as_array().unwrap().iter().find(|p| p["name"] == pin).unwrap().clone();
            let origin = LonLat { lon: place["lon"].as_f64().unwrap(), lat: place["lat"].as_f64().unwrap() };
            let d: Vec<f64> = body["contents"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| served[s["service"]["name"].as_str().unwrap()])
                .map(|p| origin.distance_m(p))
                .collect();
            assert!(
                d.windows(2).all(|w| w[0] <= w[1] + 0.1),
                "{path}: not nearest first by public point: {d:?}"
            );
        }
    }
    assert!(confidential_seen > 0, "confidential services were served");
    // The publication data package (`bellmap export --format hsds DIR`): no secret in any file,
    // and each confidential location row is its served public point.
    let dir = tempfile::tempdir().unwrap();
    let package = dir.path().join("hsds");
    let command = bellmap::config::Command::Export {
        format: bellmap::config::FormatArg::Hsds,
        output: None,
        include_confidential: false,
        dir: Some(package.clone()),
    };
    let url = app.database_url();
    let code = tokio::task::spawn_blocking(move || bellmap::cli::run(command, &url).unwrap()).await.unwrap();
    assert_eq!(code, std::process::ExitCode::SUCCESS);
    let mut files = 0;
    for entry in std::fs::read_dir(&package).unwrap() {
        let path = entry.unwrap().path();
        let text = std::fs::read_to_string(&path).unwrap();
        for s in &secrets {
            assert!(!leaks(&text, s), "{}: contains the secret '{s}'", path.display());
        }
        files += 1;
    }
    assert!(files >= 10, "the package's files");
    let mut locations = csv::Reader::from_path(package.join("locations.csv")).unwrap();
    let mut rows = 0;
    for r in locations.records() {
        let r = r.unwrap();
        let (name, lat, lon) = (&r[3], r[5].parse::<f64>().unwrap(), r[6].parse::<f64>().unwrap());
        assert_eq!(LonLat { lon, lat }, served[name], "package location of {name}");
        rows += 1;
    }
    assert_eq!(rows, SEEDS.len());

    // A search for a withheld detail finds nothing (and so tells nothing).
    for q in ["Zzyzx", "Hidden", "Banyan", "PIN-A7731X", "4155"] {
        for route in ["services", "service_at_locations"] {
            let body = app.get_ok(&format!("/hsds/{route}?search={q}")).await;
            assert_eq!(body["total_items"], 0, "{route} search={q}: {body}");
        }
    }
}
