//! Cursor paging, GeoJSON answers, caching and cookie headers, inactive providers, and the
//! import path (all-or-nothing, then a new snapshot the next request sees).

use crate::helpers::{TestApp, assert_problem};
use bellmap::model::Status;
use bellmap::service::ImportReport;
use reqwest::header::HeaderMap;
use serde_json::{Value, json};
use std::collections::BTreeSet;

const HEADER: &str = "external_id,name,categories,lat,lon,confidential,status,country";
/// Active providers in `csv()`.
const ACTIVE: usize = 40;

/// 40 active providers scattered over a box around Lucknow (one confidential) and 3 inactive
/// ones among them. Data rows start on line 2.
fn rows() -> Vec<String> {
    let mut rows = Vec::new();
    let mut inactive = 0;
    for i in 0..ACTIVE + 3 {
        // A deterministic scatter (no two points alike).
        let lat = 26.70 + ((i * 37) % 43) as f64 * 0.007;
        let lon = 80.80 + ((i * 17) % 43) as f64 * 0.0069;
        let cats = if i % 3 == 0 { "shelter;helpline" } else { "legal_aid" };
        let confidential = i == 5;
        let status = if i % 14 == 13 {
            inactive += 1;
            "inactive"
        } else {
            "active"
        };
        rows.push(format!("p{i:02},Provider {i:02},{cats},{lat:.4},{lon:.4},{confidential},{status},IN"));
    }
    assert_eq!(inactive, 3);
    rows
}

fn csv() -> String {
    format!("{HEADER}\n{}\n", rows().join("\n"))
}

const BOX: &str = "80.7,26.6,81.2,27.1";

/// A closed GeoJSON Polygon ring around a box.
fn square(w: f64, s: f64, e: f64, n: f64) -> Value {
    json!({"type": "Polygon", "coordinates": [[[w, s], [e, s], [e, n], [w, n], [w, s]]]})
}

fn header(headers: &HeaderMap, name: &str) -> String {
    headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_string()
}

/// Ids of the active and inactive providers, from the store.
fn stored_ids(app: &TestApp) -> (BTreeSet<i64>, BTreeSet<i64>) {
    let all = app.db().load_all().expect("load");
    let active = all.iter().filter(|p| p.data.status == Status::Active).map(|p| p.id.0).collect();
    let inactive = all.iter().filter(|p| p.data.status != Status::Active).map(|p| p.id.0).collect();
    (active, inactive)
}

fn ids(body: &Value) -> Vec<i64> {
    let list = body["items"].as_array().or_else(|| body["features"].as_array()).expect("a list answer");
    list.iter().map(|i| i["id"].as_i64().unwrap()).collect()
}

/// Follows next_cursor for a search body.
async fn pages_post(app: &TestApp, body: &Value) -> Vec<Value> {
    let mut pages = vec![app.post_ok("/v1/providers/search", body).await];
    while let Some(c) = pages.last().unwrap()["next_cursor"].as_str() {
        let mut next = body.clone();
        next["cursor"] = json!(c);
        pages.push(app.post_ok("/v1/providers/search", &next).await);
        assert!(pages.len() < 100, "paging does not end");
    }
    pages
}

/// Every page but the last is full, totals agree, and the last has next_cursor null.
fn check_pages(what: &str, pages: &[Value], limit: usize, total: usize) -> Vec<i64> {
    assert_eq!(pages.len(), total.div_ceil(limit).max(1), "{what}: number of pages");
    let mut all = Vec::new();
    for (n, page) in pages.iter().enumerate() {
        assert_eq!(page["total"].as_u64(), Some(total as u64), "{what}: total on page {n}");
        let got = ids(page);
        if n + 1 < pages.len() {
            assert_eq!(got.len(), limit, "{what}: page {n} is full");
            assert!(page["next_cursor"].is_string(), "{what}: page {n} has a next cursor");
        } else {
            assert!(page["next_cursor"].is_null(), "{what}: the last page has next_cursor null");
        }
        all.extend(got);
    }
    all
}

#[tokio::test]
async fn bbox_pages_cover_everything_once_in_id_order() {
    let app = TestApp::spawn(&csv()).await;
    let (active, _) = stored_ids(&app);
    assert_eq!(active.len(), ACTIVE);

    let pages = app.get_pages(&format!("/v1/providers?bbox={BOX}&limit=7")).await;
    let all = check_pages("bbox limit=7", &pages, 7, ACTIVE);
    assert!(all.windows(2).all(|w| w[0] < w[1]), "ascending ids, no repeats: {all:?}");
    assert_eq!(all.iter().copied().collect::<BTreeSet<_>>(), active, "every active provider, once");

    // The same in GeoJSON.
    let pages = app.get_pages(&format!("/v1/providers?bbox={BOX}&limit=7&format=geojson")).await;
    assert_eq!(check_pages("bbox limit=7 geojson", &pages, 7, ACTIVE), all);

    // Filters page too.
    let shelters = app.get_ok(&format!("/v1/providers?bbox={BOX}&limit=500&category=shelter")).await;
    let n = shelters["total"].as_u64().unwrap() as usize;
    let pages = app.get_pages(&format!("/v1/providers?bbox={BOX}&limit=4&category=shelter")).await;
    assert_eq!(check_pages("bbox shelters limit=4", &pages, 4, n), ids(&shelters));

    // Exactly one full page: no next cursor.
    let one = app.get_ok(&format!("/v1/providers?bbox={BOX}&limit={ACTIVE}")).await;
    assert!(one["next_cursor"].is_null());
    assert_eq!(ids(&one), all);
    // An empty box: total 0, no items, no cursor.
    let none = app.get_ok("/v1/providers?bbox=0,-10,1,-9&limit=7").await;
    assert_eq!((none["total"].as_u64(), ids(&none).len()), (Some(0), 0));
    assert!(none["next_cursor"].is_null());
}

#[tokio::test]
async fn within_and_search_pages_cover_everything_once() {
    let app = TestApp::spawn(&csv()).await;
    let (active, _) = stored_ids(&app);

    // within: nearest first across page boundaries.
    let pages = app.get_pages("/v1/providers/within?lat=26.85&lon=80.95&radius_km=100&limit=7").await;
    let all = check_pages("within limit=7", &pages, 7, ACTIVE);
    assert_eq!(all.iter().copied().collect::<BTreeSet<_>>(), active);
    assert_eq!(all.len(), active.len(), "no repeats");
    let distances: Vec<f64> = pages
        .iter()
        .flat_map(|p| p["items"].as_array().unwrap().iter().map(|i| i["distance_m"].as_f64().unwrap()))
        .collect();
    assert!(distances.windows(2).all(|w| w[0] <= w[1]), "nearest first across pages: {distances:?}");

    // search: bbox, polygon and within, with the cursor in the body.
    let area = square(80.7, 26.6, 81.2, 27.1);
    for body in [
        json!({"bbox": [80.7, 26.6, 81.2, 27.1], "limit": 7}),
        json!({"polygon": area, "limit": 7}),
        json!({"within": {"lat": 26.85, "lon": 80.95, "radius_km": 100}, "limit": 7}),
    ] {
        let pages = pages_post(&app, &body).await;
        let got = check_pages(&format!("search {body}"), &pages, 7, ACTIVE);
        assert_eq!(got.iter().copied().collect::<BTreeSet<_>>(), active, "search {body}");
        assert_eq!(got.len(), active.len(), "search {body}: no repeats");
        if body.get("within").is_none() {
            assert!(got.windows(2).all(|w| w[0] < w[1]), "search {body}: ascending ids");
        }
    }
}

/// `properties` must equal the JSON item without lat/lon; `geometry` is `[lon, lat]`.
fn assert_same_providers(what: &str, json_items: &[Value], features: &[Value]) {
    assert_eq!(json_items.len(), features.len(), "{what}: same number of providers");
    for (item, feature) in json_items.iter().zip(features) {
        assert_eq!(feature["type"], "Feature", "{what}");
        assert_eq!(feature["geometry"]["type"], "Point", "{what}");
        assert_eq!(
            feature["geometry"]["coordinates"],
            json!([item["lon"], item["lat"]]),
            "{what}: [lon, lat]"
        );
        assert_eq!(feature["id"], item["id"], "{what}");
        let mut props = item.clone();
        let m = props.as_object_mut().unwrap();
        m.remove("lat");
        m.remove("lon");
        // updated_at and every other field: identical.
        assert_eq!(feature["properties"], props, "{what}: properties equal the JSON fields");
    }
}

#[tokio::test]
async fn geojson_answers_match_json_answers() {
    let app = TestApp::spawn(&csv()).await;
    let gets = [
        "/v1/providers/nearest?lat=26.85&lon=80.95&k=12",
        "/v1/providers/within?lat=26.85&lon=80.95&radius_km=10&limit=5",
        "/v1/providers?bbox=80.7,26.6,81.2,27.1&limit=9",
        "/v1/providers?bbox=80.7,26.6,81.2,27.1&limit=500&category=shelter",
    ];
    for path in gets {
        let res = app.get(path).await;
        assert_eq!(header(res.headers(), "content-type"), "application/json", "{path}");
        let json_body: Value = res.json().await.unwrap();
        assert!(!ids(&json_body).is_empty(), "{path}: not empty");
        for (how, rb) in [
            ("format=geojson", app.client.get(app.url(&format!("{path}&format=geojson")))),
            ("Accept", app.client.get(app.url(path)).header("accept", "application/geo+json")),
            (
                "Accept with q-values",
                app.client
                    .get(app.url(path))
                    .header("accept", "application/geo+json, application/json;q=0.5"),
            ),
        ] {
            let what = format!("GET {path} ({how})");
            let res = rb.send().await.unwrap();
            assert_eq!(res.status(), 200, "{what}");
            assert_eq!(header(res.headers(), "content-type"), "application/geo+json", "{what}");
            let geo: Value = res.json().await.unwrap();
            assert_eq!(geo["type"], "FeatureCollection", "{what}");
            assert_eq!(geo["total"], json_body["total"], "{what}");
            assert_eq!(geo["next_cursor"], json_body["next_cursor"], "{what}");
            assert_same_providers(
                &what,
                json_body["items"].as_array().unwrap(),
                geo["features"].as_array().unwrap(),
            );
        }
        // format=json wins over the Accept header.
        let res = app
            .client
            .get(app.url(&format!("{path}&format=json")))
            .header("accept", "application/geo+json")
            .send()
            .await
            .unwrap();
        assert_eq!(header(res.headers(), "content-type"), "application/json", "{path} format=json");
    }

    let area = square(80.7, 26.6, 81.2, 27.1);
    for body in [
        json!({"near": {"lat": 26.85, "lon": 80.95}, "k": 8}),
        json!({"within": {"lat": 26.85, "lon": 80.95, "radius_km": 10}, "limit": 5}),
        json!({"bbox": [80.7, 26.6, 81.2, 27.1], "limit": 9}),
        json!({"polygon": area, "limit": 9}),
    ] {
        let what = format!("search {body}");
        let json_body = app.post_ok("/v1/providers/search", &body).await;
        let res = app
            .client
            .post(app.url("/v1/providers/search"))
            .header("accept", "application/geo+json")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{what}");
        assert_eq!(header(res.headers(), "content-type"), "application/geo+json", "{what}");
        let geo: Value = res.json().await.unwrap();
        assert_eq!(geo["type"], "FeatureCollection", "{what}");
        assert_eq!(geo["total"], json_body["total"], "{what}");
        assert_eq!(geo["next_cursor"], json_body["next_cursor"], "{what}");
        assert_same_providers(
            &what,
            json_body["items"].as_array().unwrap(),
            geo["features"].as_array().unwrap(),
        );
    }

    // One provider: a Feature with the same fields.
    let (active, _) = stored_ids(&app);
    for id in active.iter().take(6) {
        let path = format!("/v1/providers/{id}");
        let item = app.get_ok(&path).await;
        let res =
            app.client.get(app.url(&path)).header("accept", "application/geo+json").send().await.unwrap();
        assert_eq!(header(res.headers(), "content-type"), "application/geo+json", "{path}");
        let feature: Value = res.json().await.unwrap();
        assert_same_providers(&path, &[item], &[feature]);
    }
}

/// DESIGN §5: `format=geojson` selects GeoJSON like the Accept header does; the search and
/// the single-provider routes should honour it too.
#[tokio::test]
async fn format_geojson_is_honoured_on_search_and_by_id() {
    let app = TestApp::spawn(&csv()).await;
    let (active, _) = stored_ids(&app);
    let id = active.first().unwrap();
    let mut wrong = Vec::new();
    let res = app
        .client
        .post(app.url("/v1/providers/search?format=geojson"))
        .json(&json!({"near": {"lat": 26.85, "lon": 80.95}, "k": 3}))
        .send()
        .await
        .unwrap();
    let ct = header(res.headers(), "content-type");
    if ct != "application/geo+json" {
        wrong.push(format!("POST /v1/providers/search?format=geojson answered {ct}"));
    }
    let res = app.get(&format!("/v1/providers/{id}?format=geojson")).await;
    let ct = header(res.headers(), "content-type");
    if ct != "application/geo+json" {
        wrong.push(format!("GET /v1/providers/{id}?format=geojson answered {ct}"));
    }
    assert!(wrong.is_empty(), "format=geojson ignored:\n{}", wrong.join("\n"));
}

#[tokio::test]
async fn location_answers_are_not_cached_and_nothing_sets_a_cookie() {
    let app = TestApp::spawn(&csv()).await;
    let location_gets = [
        "/v1/providers/nearest?lat=26.85&lon=80.95",
        "/v1/providers/nearest?lat=26.85&lon=80.95&format=geojson",
        "/v1/providers/within?lat=26.85&lon=80.95&radius_km=10",
        "/v1/providers/within?lat=26.85&lon=80.95&radius_km=10&format=geojson",
        "/v1/providers?bbox=80.7,26.6,81.2,27.1",
        "/v1/providers?bbox=80.7,26.6,81.2,27.1&format=geojson",
    ];
    for path in location_gets {
        for accept in ["application/json", "application/geo+json"] {
            let res = app.client.get(app.url(path)).header("accept", accept).send().await.unwrap();
            assert_eq!(res.status(), 200, "{path}");
            let cc = header(res.headers(), "cache-control");
            assert!(cc.contains("no-store"), "GET {path} (Accept {accept}): Cache-Control '{cc}'");
            assert!(res.headers().get("set-cookie").is_none(), "GET {path} sets a cookie");
        }
    }
    for body in [
        json!({"near": {"lat": 26.85, "lon": 80.95}}),
        json!({"within": {"lat": 26.85, "lon": 80.95, "radius_km": 10}}),
        json!({"bbox": [80.7, 26.6, 81.2, 27.1]}),
        json!({"polygon": square(80.7, 26.6, 81.2, 27.1)}),
    ] {
        for accept in ["application/json", "application/geo+json"] {
            let res = app
                .client
                .post(app.url("/v1/providers/search"))
                .header("accept", accept)
                .json(&body)
                .send()
                .await
                .unwrap();
            assert_eq!(res.status(), 200, "search {body}");
            let cc = header(res.headers(), "cache-control");
            assert!(cc.contains("no-store"), "search {body} (Accept {accept}): Cache-Control '{cc}'");
            assert!(res.headers().get("set-cookie").is_none(), "search {body} sets a cookie");
        }
    }
    // No cookie from anything else either, errors included.
    let (active, _) = stored_ids(&app);
    let id = active.first().unwrap();
    let others = [
        "/".to_string(),
        "/health".into(),
        "/ready".into(),
        "/docs/".into(),
        "/openapi.json".into(),
        "/v1/categories".into(),
        format!("/v1/providers/{id}"),
        "/v1/providers/999999".into(),
        "/v1/providers/nearest?lat=91&lon=0".into(),
        "/nothing".into(),
    ];
    for path in &others {
        let res = app.client.get(app.url(path)).header("origin", "https://example.org").send().await.unwrap();
        assert!(res.status().as_u16() < 500, "GET {path}");
        assert!(res.headers().get("set-cookie").is_none(), "GET {path} sets a cookie");
    }
    let res = app.client.delete(app.url("/v1/providers/nearest")).send().await.unwrap();
    assert!(res.headers().get("set-cookie").is_none(), "405 sets a cookie");
    let res = app
        .client
        .post(app.url("/v1/providers/search"))
        .header("content-type", "text/plain")
        .body("x")
        .send()
        .await
        .unwrap();
    assert!(res.headers().get("set-cookie").is_none(), "415 sets a cookie");
}

#[tokio::test]
async fn inactive_providers_are_never_served() {
    let app = TestApp::spawn(&csv()).await;
    let (active, inactive) = stored_ids(&app);
    assert_eq!(inactive.len(), 3);
    for id in &inactive {
        let res = app.get(&format!("/v1/providers/{id}")).await;
        assert_problem(res, 404, None).await;
        let res = app
            .client
            .get(app.url(&format!("/v1/providers/{id}")))
            .header("accept", "application/geo+json")
            .send()
            .await
            .unwrap();
        assert_problem(res, 404, None).await;
    }
    let all = app.db().load_all().unwrap();
    let mut answers = vec![
        app.get_ok("/v1/providers?bbox=-180,-90,180,90&limit=500").await,
        app.get_ok("/v1/providers?bbox=-180,-90,180,90&limit=500&format=geojson").await,
        app.post_ok("/v1/providers/search", &json!({"bbox": [-180, -90, 180, 90], "limit": 500})).await,
    ];
    for p in all.iter().filter(|p| inactive.contains(&p.id.0)) {
        let (lat, lon) = (p.data.location.reveal().lat, p.data.location.reveal().lon);
        answers.push(app.get_ok(&format!("/v1/providers/nearest?lat={lat}&lon={lon}&k=100")).await);
        answers.push(
            app.get_ok(&format!("/v1/providers/within?lat={lat}&lon={lon}&radius_km=1&limit=500")).await,
        );
        answers.push(
            app.post_ok("/v1/providers/search", &json!({"near": {"lat": lat, "lon": lon}, "k": 1})).await,
        );
        let d = 0.0001;
        let tiny = square(lon - d, lat - d, lon + d, lat + d);
        let poly = app.post_ok("/v1/providers/search", &json!({"polygon": tiny})).await;
        assert!(ids(&poly).is_empty(), "a tiny polygon around inactive {} finds {poly}", p.id.0);
        answers.push(poly);
    }
    for body in &answers {
        let got: BTreeSet<i64> = ids(body).into_iter().collect();
        assert!(got.is_disjoint(&inactive), "an inactive provider is listed: {got:?}");
        assert!(got.is_subset(&active));
    }
    assert_eq!(answers[0]["total"].as_u64(), Some(active.len() as u64));
    let ready = app.get_ok("/ready").await;
    assert_eq!(ready["providers"].as_u64(), Some(active.len() as u64));
}

/// Runs an import off the async runtime.
async fn import(app: &TestApp, csv: String, dry_run: bool) -> ImportReport {
    let service = app.service.clone();
    tokio::task::spawn_blocking(move || service.import_csv(csv.as_bytes(), dry_run))
        .await
        .expect("import task")
        .expect("import runs")
}

#[tokio::test]
async fn imports_are_all_or_nothing_and_publish_a_new_snapshot() {
    let app = TestApp::spawn(&csv()).await;
    let list = "/v1/providers?bbox=-180,-90,180,90&limit=500";
    let before = app.get_ok(list).await;
    let version = app.get_ok("/ready").await["snapshot_version"].as_u64().unwrap();
    let id_of = |ext: &str| {
        let all = app.db().load_all().unwrap();
        all.iter().find(|p| p.data.external_id == ext).map(|p| p.id.0).unwrap()
    };
    let (renamed, deactivated) = (id_of("p00"), id_of("p01"));

    // A file that renames one provider, adds one, and has two bad rows: nothing is written.
    let mut bad_rows = rows();
    bad_rows[0] = bad_rows[0].replace("Provider 00", "Provider 00 renamed");
    bad_rows.push("p90,Provider 90,shelter,26.9,80.9,false,active,IN".into());
    // The header is line 1, so rows[i] is on line i + 2.
    let bad_line_lat = bad_rows.len() as u64 + 2;
    bad_rows.push("p91,Provider 91,shelter,95,80.9,false,active,IN".into());
    bad_rows.push("p92,Provider 92,spa,26.9,80.91,false,active,IN".into());
    let bad = format!("{HEADER}\n{}\n", bad_rows.join("\n"));
    let report = import(&app, bad, false).await;
    assert!(!report.written, "{report:?}");
    assert_eq!(report.invalid, 2, "{report:?}");
    let lat = report.problems.iter().find(|p| p.column.as_deref() == Some("lat")).expect("a lat problem");
    assert_eq!(lat.line, bad_line_lat, "spreadsheet line of the bad latitude: {report:?}");
    assert_eq!(lat.value.as_deref(), Some("95"));
    assert!(!lat.message.is_empty());
    let cat = report
        .problems
        .iter()
        .find(|p| p.column.as_deref() == Some("categories"))
        .expect("a category problem");
    assert_eq!(cat.line, bad_line_lat + 1);
    assert_eq!(cat.value.as_deref(), Some("spa"));
    assert!(cat.message.contains("one_stop_centre"), "{}", cat.message);

    let after = app.get_ok(list).await;
    assert_eq!(after, before, "a rejected import changes nothing");
    assert_eq!(app.get_ok("/ready").await["snapshot_version"].as_u64(), Some(version));
    assert_eq!(app.db().count_providers().unwrap(), (ACTIVE + 3) as i64);

    // A valid dry run reports but writes nothing.
    let mut rows = rows();
    rows[0] = rows[0].replace("Provider 00", "Provider 00 renamed");
    rows[1] = rows[1].replace(",active,", ",inactive,");
    rows.push("p90,Provider 90,shelter,26.9,80.9,false,active,IN".into());
    let good = format!("{HEADER}\n{}\n", rows.join("\n"));
    let report = import(&app, good.clone(), true).await;
    assert!(report.problems.is_empty(), "{report:?}");
    assert!(!report.written && report.dry_run);
    assert_eq!((report.created, report.updated), (1, 2), "{report:?}");
    assert_eq!(app.get_ok(list).await, before, "a dry run changes nothing");
    assert_eq!(app.get_ok("/ready").await["snapshot_version"].as_u64(), Some(version));

    // The real import: the very next request sees the new snapshot.
    let report = import(&app, good, false).await;
    assert!(report.written, "{report:?}");
    assert_eq!((report.created, report.updated), (1, 2), "{report:?}");
    let now = app.get_ok(list).await;
    assert_eq!(now["total"].as_u64(), Some(ACTIVE as u64), "one added, one deactivated");
    let names: Vec<&str> =
        now["items"].as_array().unwrap().iter().map(|i| i["name"].as_str().unwrap()).collect();
    assert!(names.contains(&"Provider 90"), "{names:?}");
    assert!(names.contains(&"Provider 00 renamed"), "{names:?}");
    assert!(!names.contains(&"Provider 01"), "the deactivated provider is gone: {names:?}");
    assert_eq!(app.get_ok(&format!("/v1/providers/{renamed}")).await["name"], "Provider 00 renamed");
    assert_problem(app.get(&format!("/v1/providers/{deactivated}")).await, 404, None).await;
    assert!(app.get_ok("/ready").await["snapshot_version"].as_u64().unwrap() > version);
    let near = app.get_ok("/v1/providers/nearest?lat=26.9&lon=80.9&k=1").await;
    assert_eq!(near["items"][0]["name"], "Provider 90");
}
