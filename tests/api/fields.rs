//! Sparse fieldsets: `fields=` on every public route that returns providers (nearest, within,
//! bbox, POST search, cluster leaves, one provider), in JSON and GeoJSON. Each answer is
//! compared with the full answer to the same request: the same providers in the same order,
//! and for each only `id` and the chosen members, in the full answer's order and with its
//! values; GeoJSON keeps its geometry. Bad lists are a 400 naming `fields`.

use crate::helpers::{CSV_HEADER, TestApp, assert_problem};
use serde_json::{Map, Value, json};

/// 30 providers around Lucknow with most columns filled (every fifth has no phone, one is
/// confidential), so each member has values to compare.
fn csv() -> String {
    let mut out = format!("{CSV_HEADER}\n");
    for i in 0..30 {
        let lat = 26.75 + ((i * 37) % 31) as f64 * 0.0071;
        let lon = 80.85 + ((i * 17) % 31) as f64 * 0.0067;
        let confidential = i == 7;
        let phone = if i % 5 == 4 { String::new() } else { format!("0522 27{i:02} {i:03}") };
        let hours = if i % 2 == 0 { "24/7" } else { "Mo-Fr 09:00-17:00" };
        let cats = if i % 3 == 0 { "shelter;helpline" } else { "legal_aid" };
        out.push_str(&format!(
            "f{i:02},Centre {i:02},Org {i},Help for all {i},{cats},{lat:.5},{lon:.5},,,{confidential},\
             {i} Station Road,Ward {i},Lucknow,Uttar Pradesh,2260{i:02},IN,{phone},181,,0522 400 {i:04},\
             c{i}@example.org,https://example.org/{i},hi;en,{hours},{},free for women,free,yes,2026-11-0{},active\n",
            i % 2 == 0,
            i % 9 + 1,
        ));
    }
    out
}

const CHOSEN: &str = "id,name,lat,lon,distance_m,phone";
/// Another choice, in an order of its own, with a repeat and without `id`.
const OTHER: &str = "hours,categories,address,name,contact_note,verified_on,hours,intake_phone";

fn names(fields: &str) -> Vec<&str> {
    fields.split(',').collect()
}

/// The members of `full` that a `fields` list keeps: `id` and the named ones, in `full`'s order.
fn restricted(full: &Map<String, Value>, fields: &str) -> Vec<(String, Value)> {
    let chosen = names(fields);
    full.iter()
        .filter(|(k, _)| *k == "id" || chosen.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

fn pairs(m: &Map<String, Value>) -> Vec<(String, Value)> {
    m.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// The providers of an answer (a list, a FeatureCollection, one provider or one Feature).
fn items(body: &Value) -> Vec<Value> {
    match (body["items"].as_array(), body["features"].as_array()) {
        (Some(items), _) => items.clone(),
        (None, Some(features)) => features.clone(),
        (None, None) => vec![body.clone()],
    }
}

/// Checks that `narrow` is `full` with each provider restricted to `fields`: the same
/// providers in the same order, the same members around them (total, next_cursor, emergency,
/// the GeoJSON geometry), the chosen members in full's order with full's values, nothing else.
fn assert_restricted(what: &str, full: &Value, narrow: &Value, fields: &str) {
    let (full_items, narrow_items) = (items(full), items(narrow));
    assert!(!full_items.is_empty(), "{what}: the full answer has providers: {full}");
    assert_eq!(full_items.len(), narrow_items.len(), "{what}: {narrow}");
    for key in ["total", "emergency", "type", "place"] {
        assert_eq!(full.get(key), narrow.get(key), "{what}: {key}");
    }
    // Cursors are signed afresh per answer, but both are there or neither.
    assert_eq!(full["next_cursor"].is_string(), narrow["next_cursor"].is_string(), "{what}");
    for (f, n) in full_items.iter().zip(&narrow_items) {
        let (f_props, n_props) = if f["type"] == "Feature" {
            assert_eq!(f["geometry"], n["geometry"], "{what}: the geometry is always there: {n}");
            assert!(n["geometry"]["coordinates"].is_array(), "{what}: {n}");
            assert_eq!(f["id"], n["id"], "{what}");
            assert_eq!(f["type"], n["type"], "{what}");
            (&f["properties"], &n["properties"])
        } else {
            (f, n)
        };
        let (f_props, n_props) = (f_props.as_object().unwrap(), n_props.as_object().unwrap());
        assert_eq!(pairs(n_props), restricted(f_props, fields), "{what}: {n}");
    }
}

/// A GET route's full answer and its answer with `fields`, in JSON and GeoJSON.
async fn check_get(app: &TestApp, path: &str, fields: &str) {
    for format in ["json", "geojson"] {
        let full = app.get_ok(&format!("{path}&format={format}")).await;
        let narrow = app.get_ok(&format!("{path}&format={format}&fields={fields}")).await;
        assert_restricted(&format!("GET {path} {format} fields={fields}"), &full, &narrow, fields);
    }
}

/// The same for POST search, with `fields` as a list in the body.
async fn check_post(app: &TestApp, body: Value, fields: &str) {
    for format in ["json", "geojson"] {
        let path = format!("/v1/providers/search?format={format}");
        let full = app.post_ok(&path, &body).await;
        let mut with = body.clone();
        with["fields"] = json!(names(fields));
        let narrow = app.post_ok(&path, &with).await;
        assert_restricted(&format!("POST {path} {with}"), &full, &narrow, fields);
    }
}

#[tokio::test]
async fn every_route_writes_only_the_chosen_members() {
    let app = TestApp::spawn(&csv()).await;
    let (lat, lon) = (26.85, 80.95);
    let polygon = json!({"type": "Polygon", "coordinates": [[[80.8, 26.7], [81.1, 26.7], [81.1, 27.0], [80.8, 27.0], [80.8, 26.7]]]});
    let cluster = app.get_ok("/v1/clusters?bbox=80,26,82,28&zoom=3").await;
    let cluster_id = cluster["features"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|f| f["properties"]["cluster_id"].as_str())
        .expect("the providers make a cluster at zoom 3")
        .to_string();
    let some_id =
        app.get_ok(&format!("/v1/providers/nearest?lat={lat}&lon={lon}&k=1")).await["items"][0]["id"]
            .as_i64()
            .unwrap();
    for fields in [CHOSEN, OTHER, "name", "id", "distance_m,exact_lat,exact_lon"] {
        check_get(&app, &format!("/v1/providers/nearest?lat={lat}&lon={lon}&k=12"), fields).await;
        check_get(&app, &format!("/v1/providers/within?lat={lat}&lon={lon}&radius_km=8&limit=7"), fields)
            .await;
        check_get(&app, "/v1/providers?bbox=80.8,26.7,81.1,27.0&limit=9", fields).await;
        check_get(&app, &format!("/v1/clusters/{cluster_id}/leaves?limit=6"), fields).await;
        check_get(&app, &format!("/v1/providers/{some_id}?open_at=2026-12-02T10:00:00%2B05:30"), fields)
            .await;
        check_post(&app, json!({"near": {"lat": lat, "lon": lon}, "k": 12}), fields).await;
        check_post(&app, json!({"within": {"lat": lat, "lon": lon, "radius_km": 8}, "limit": 7}), fields)
            .await;
        check_post(&app, json!({"bbox": [80.8, 26.7, 81.1, 27.0], "limit": 9}), fields).await;
        check_post(&app, json!({"polygon": polygon, "category": ["shelter"]}), fields).await;
    }
    // `id` is always written, however the list is written; repeats are fine.
    let body =
        app.get_ok(&format!("/v1/providers/nearest?lat={lat}&lon={lon}&fields=name,name,%20phone")).await;
    for item in body["items"].as_array().unwrap() {
        let keys: Vec<&str> = item.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["id", "name", "phone"], "{item}");
    }
}

#[tokio::test]
async fn bad_fields_are_a_400_naming_the_field() {
    let app = TestApp::spawn(&csv()).await;
    let near = "/v1/providers/nearest?lat=26.85&lon=80.95";
    for (query, says) in [
        ("fields=id,exact_location", "'exact_location' is not a member"),
        ("fields=Name", "'Name' is not a member"),
        ("fields=", "is empty"),
        ("fields=%20", "is empty"),
        ("fields=id,,name", "empty entry"),
    ] {
        let problem = assert_problem(app.get(&format!("{near}&{query}")).await, 400, Some("fields")).await;
        let message = problem["errors"][0]["message"].as_str().unwrap_or("");
        assert!(message.contains(says), "{query}: {problem}");
        if says.contains("not a member") {
            assert!(
                message.contains("distance_m") && message.contains("open_24_7"),
                "lists the allowed: {problem}"
            );
        }
    }
    let too_many = vec!["id"; 101].join(",");
    assert_problem(app.get(&format!("{near}&fields={too_many}")).await, 400, Some("fields")).await;
    for path in [
        "/v1/providers/within?lat=26.85&lon=80.95&radius_km=5&fields=nope",
        "/v1/providers?bbox=80,26,82,28&fields=nope",
        "/v1/providers/1?fields=nope",
    ] {
        assert_problem(app.get(path).await, 400, Some("fields")).await;
    }
    // The other errors of the request are reported with it.
    let problem =
        assert_problem(app.get("/v1/providers/nearest?lat=95&lon=80&fields=nope").await, 400, Some("fields"))
            .await;
    assert!(problem["errors"].as_array().unwrap().iter().any(|e| e["field"] == "lat"), "{problem}");
    for fields in [json!([]), json!(["nope"]), json!(["id", ""]), json!("id,name")] {
        let body = json!({"near": {"lat": 26.85, "lon": 80.95}, "fields": fields});
        let res = app.post_json("/v1/providers/search", &body).await;
        assert_problem(res, 400, Some("fields")).await;
    }
}

/// `fields` chooses what each provider shows, never which providers or their order, so a
/// cursor is not bound to it: a page's cursor serves the same search with other fields.
#[tokio::test]
async fn a_cursor_serves_the_same_search_with_other_fields() {
    let app = TestApp::spawn(&csv()).await;
    let base = "/v1/providers?bbox=80.8,26.7,81.1,27.0&limit=4";
    let full: Vec<i64> = app
        .get_pages(base)
        .await
        .iter()
        .flat_map(|p| {
            p["items"].as_array().unwrap().iter().map(|i| i["id"].as_i64().unwrap()).collect::<Vec<_>>()
        })
        .collect();
    assert!(full.len() > 8, "several pages");
    // Alternate between two field lists while paging.
    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    for page in 0.. {
        let fields = if page % 2 == 0 { "name" } else { CHOSEN };
        let path = match &cursor {
            None => format!("{base}&fields={fields}"),
            Some(c) => format!("{base}&fields={fields}&cursor={c}"),
        };
        let body = app.get_ok(&path).await;
        for item in body["items"].as_array().unwrap() {
            assert!(item.get("country").is_none(), "{item}");
            ids.push(item["id"].as_i64().unwrap());
        }
        match body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
        assert!(page < 100);
    }
    assert_eq!(ids, full);
    // A cursor from a narrow POST search serves the full one too.
    let body = json!({"bbox": [80.8, 26.7, 81.1, 27.0], "limit": 4, "fields": ["name"]});
    let first = app.post_ok("/v1/providers/search", &body).await;
    let next = json!({"bbox": [80.8, 26.7, 81.1, 27.0], "limit": 4, "cursor": first["next_cursor"]});
    let second = app.post_ok("/v1/providers/search", &next).await;
    let got: Vec<i64> = [first, second]
        .iter()
        .flat_map(|p| {
            p["items"].as_array().unwrap().iter().map(|i| i["id"].as_i64().unwrap()).collect::<Vec<_>>()
        })
        .collect();
    assert_eq!(got, full[..8]);
}
