//! Every bad input is a 4xx `application/problem+json` that names the field, never a 500; the
//! server keeps answering afterwards.

use crate::helpers::{TestApp, assert_problem};
use reqwest::Method;
use serde_json::{Value, json};

/// A few providers around Lucknow: enough for several pages with a small limit.
fn csv() -> String {
    let mut csv = String::from("external_id,name,categories,lat,lon,country\n");
    for i in 0..12 {
        let (lat, lon) = (26.80 + i as f64 * 0.01, 80.90 + i as f64 * 0.01);
        csv.push_str(&format!("e{i},Provider {i},shelter;helpline,{lat:.4},{lon:.4},IN\n"));
    }
    csv
}

/// GETs `path` and asserts a 400 problem naming `field`.
async fn bad_get(app: &TestApp, path: &str, field: &str) -> Value {
    let res = app.get(path).await;
    let got = res.status();
    if got.as_u16() != 400 {
        panic!("GET {path}: expected 400 naming '{field}', got {got}: {}", res.text().await.unwrap());
    }
    assert_problem(res, 400, Some(field)).await
}

/// POSTs `body` as JSON to the search and asserts a 400 problem naming `field`.
async fn bad_search(app: &TestApp, case: &str, body: &Value, field: &str) -> Value {
    let res = app.post_json("/v1/providers/search", body).await;
    let got = res.status();
    if got.as_u16() != 400 {
        panic!("search ({case}): expected 400 naming '{field}', got {got}: {}", res.text().await.unwrap());
    }
    assert_problem(res, 400, Some(field)).await
}

/// The message of the first error naming `field`.
fn message_for<'a>(problem: &'a Value, field: &str) -> &'a str {
    problem["errors"]
        .as_array()
        .and_then(|errs| errs.iter().find(|e| e["field"] == field))
        .and_then(|e| e["message"].as_str())
        .unwrap_or_else(|| panic!("no message for '{field}' in {problem}"))
}

#[tokio::test]
async fn nearest_rejects_bad_parameters() {
    let app = TestApp::spawn(&csv()).await;
    let cases = [
        ("latitude above 90", "lat=91&lon=80.9", "lat"),
        ("latitude below -90", "lat=-90.5&lon=80.9", "lat"),
        ("latitude NaN", "lat=NaN&lon=80.9", "lat"),
        ("latitude infinite", "lat=inf&lon=80.9", "lat"),
        ("latitude overflowing to infinity", "lat=1e400&lon=80.9", "lat"),
        ("latitude not a number", "lat=abc&lon=80.9", "lat"),
        ("latitude empty", "lat=&lon=80.9", "lat"),
        ("latitude invalid percent-encoding", "lat=%ZZ&lon=80.9", "lat"),
        ("latitude invalid UTF-8", "lat=%FF&lon=80.9", "lat"),
        ("longitude 200", "lat=26.8&lon=200", "lon"),
        ("longitude missing", "lat=26.8", "lon"),
        ("latitude missing", "lon=80.9", "lat"),
        ("k zero", "lat=26.8&lon=80.9&k=0", "k"),
        ("k 101", "lat=26.8&lon=80.9&k=101", "k"),
        ("k 1e9", "lat=26.8&lon=80.9&k=1e9", "k"),
        ("k negative", "lat=26.8&lon=80.9&k=-1", "k"),
        ("k fractional", "lat=26.8&lon=80.9&k=1.5", "k"),
        ("k beyond u64", "lat=26.8&lon=80.9&k=99999999999999999999999", "k"),
        ("max_distance_km negative", "lat=26.8&lon=80.9&max_distance_km=-1", "max_distance_km"),
        ("max_distance_km zero", "lat=26.8&lon=80.9&max_distance_km=0", "max_distance_km"),
        ("max_distance_km 1e12", "lat=26.8&lon=80.9&max_distance_km=1e12", "max_distance_km"),
        ("max_distance_km NaN", "lat=26.8&lon=80.9&max_distance_km=NaN", "max_distance_km"),
    ];
    for (case, query, field) in cases {
        let problem = bad_get(&app, &format!("/v1/providers/nearest?{query}"), field).await;
        assert!(!message_for(&problem, field).is_empty(), "{case}: empty message");
    }
    // Several bad fields are all reported at once.
    let problem = bad_get(&app, "/v1/providers/nearest?lat=91&lon=200&k=0", "lat").await;
    for field in ["lon", "k"] {
        message_for(&problem, field);
    }
}

#[tokio::test]
async fn within_rejects_bad_radius() {
    let app = TestApp::spawn(&csv()).await;
    for (case, query, field) in [
        ("negative radius", "lat=26.8&lon=80.9&radius_km=-5", "radius_km"),
        ("zero radius", "lat=26.8&lon=80.9&radius_km=0", "radius_km"),
        ("radius 1e9", "lat=26.8&lon=80.9&radius_km=1e9", "radius_km"),
        ("radius just over 500", "lat=26.8&lon=80.9&radius_km=500.001", "radius_km"),
        ("radius not a number", "lat=26.8&lon=80.9&radius_km=far", "radius_km"),
        ("radius missing", "lat=26.8&lon=80.9", "radius_km"),
        ("latitude missing", "lon=80.9&radius_km=5", "lat"),
        ("limit zero", "lat=26.8&lon=80.9&radius_km=5&limit=0", "limit"),
        ("limit 501", "lat=26.8&lon=80.9&radius_km=5&limit=501", "limit"),
    ] {
        let problem = bad_get(&app, &format!("/v1/providers/within?{query}"), field).await;
        assert!(!message_for(&problem, field).is_empty(), "{case}: empty message");
    }
}

#[tokio::test]
async fn bbox_rejects_bad_boxes() {
    let app = TestApp::spawn(&csv()).await;
    for (case, query, field) in [
        ("south greater than north", "bbox=80,27,81,26", "bbox"),
        ("three numbers", "bbox=80,26,81", "bbox"),
        ("five numbers", "bbox=80,26,81,27,1", "bbox"),
        ("longitude 200", "bbox=80,26,200,27", "bbox"),
        ("latitude 95", "bbox=80,26,81,95", "bbox"),
        ("letters", "bbox=a,b,c,d", "bbox"),
        ("NaN", "bbox=NaN,26,81,27", "bbox"),
        ("empty", "bbox=", "bbox"),
        ("missing", "limit=5", "bbox"),
        ("no query string at all", "", "bbox"),
        ("limit zero", "bbox=80,26,81,27&limit=0", "limit"),
        ("limit 501", "bbox=80,26,81,27&limit=501", "limit"),
    ] {
        let path =
            if query.is_empty() { "/v1/providers".to_string() } else { format!("/v1/providers?{query}") };
        let problem = bad_get(&app, &path, field).await;
        assert!(!message_for(&problem, field).is_empty(), "{case}: empty message");
    }
}

#[tokio::test]
async fn filters_format_and_repeated_parameters_are_checked() {
    let app = TestApp::spawn(&csv()).await;
    let near = "/v1/providers/nearest?lat=26.8&lon=80.9";
    let problem = bad_get(&app, &format!("{near}&category=spa"), "category").await;
    let msg = message_for(&problem, "category");
    for slug in ["one_stop_centre", "shelter", "legal_aid", "child_protection"] {
        assert!(msg.contains(slug), "the unknown-category message lists allowed slug {slug}: {msg}");
    }
    // One bad slug among good ones still fails.
    bad_get(&app, &format!("{near}&category=shelter,spa"), "category").await;
    bad_get(&app, "/v1/providers?bbox=80,26,81,27&category=spa", "category").await;
    bad_get(&app, &format!("{near}&language=Hindi"), "language").await;
    bad_get(&app, &format!("{near}&language=h1"), "language").await;
    bad_get(&app, &format!("{near}&open_24_7=maybe"), "open_24_7").await;
    bad_get(&app, &format!("{near}&format=xml"), "format").await;
    bad_get(&app, "/v1/providers?bbox=80,26,81,27&format=xml", "format").await;
    bad_get(&app, "/v1/providers/within?lat=26.8&lon=80.9&radius_km=5&format=csv", "format").await;
    // A parameter given twice is refused, whichever it is.
    bad_get(&app, "/v1/providers/nearest?lat=26.8&lat=26.9&lon=80.9", "lat").await;
    bad_get(&app, &format!("{near}&k=5&k=6"), "k").await;
    bad_get(&app, &format!("{near}&category=shelter&category=helpline"), "category").await;
    bad_get(&app, "/v1/providers?bbox=80,26,81,27&bbox=0,0,1,1", "bbox").await;
}

#[tokio::test]
async fn search_body_is_validated() {
    let app = TestApp::spawn(&csv()).await;
    let near = json!({"lat": 26.8, "lon": 80.9});
    let square =
        json!({"type": "Polygon", "coordinates": [[[80, 26], [81, 26], [81, 27], [80, 27], [80, 26]]]});

    let few = json!({"polygon": {"type": "Polygon", "coordinates": [[[80, 26], [81, 26], [80, 26]]]}});
    let p = bad_search(&app, "ring of 3 positions", &few, "polygon.coordinates[0]").await;
    assert!(message_for(&p, "polygon.coordinates[0]").contains("at least 4"), "{p}");

    let unclosed =
        json!({"polygon": {"type": "Polygon", "coordinates": [[[80, 26], [81, 26], [81, 27], [80, 27]]]}});
    let p = bad_search(&app, "unclosed ring", &unclosed, "polygon.coordinates[0]").await;
    assert!(message_for(&p, "polygon.coordinates[0]").contains("not closed"), "{p}");

    let bow_tie = [[80, 26], [81, 27], [81, 26], [80, 27], [80, 26]];
    let bow_tie = json!({"polygon": {"type": "Polygon", "coordinates": [bow_tie]}});
    let p = bad_search(&app, "bow-tie ring", &bow_tie, "polygon.coordinates").await;
    assert!(message_for(&p, "polygon.coordinates").contains("self-intersection"), "{p}");

    // 10,001 positions in one closed ring.
    let mut ring: Vec<[f64; 2]> = (0..10_000).map(|i| [80.0 + i as f64 * 1e-5, 26.0]).collect();
    ring.push(ring[0]);
    let big = json!({"polygon": {"type": "Polygon", "coordinates": [ring]}});
    let p = bad_search(&app, "10,001 vertices", &big, "polygon.coordinates").await;
    assert!(message_for(&p, "polygon.coordinates").contains("too many vertices"), "{p}");

    let out_of_range =
        json!({"polygon": {"type": "Polygon", "coordinates": [[[80, 26], [200, 26], [81, 27], [80, 26]]]}});
    bad_search(&app, "longitude 200 in a polygon", &out_of_range, "polygon.coordinates[0][1]").await;
    let lat_out =
        json!({"polygon": {"type": "Polygon", "coordinates": [[[80, 26], [81, 95], [81, 27], [80, 26]]]}});
    bad_search(&app, "latitude 95 in a polygon", &lat_out, "polygon.coordinates[0][1]").await;
    let not_number =
        json!({"polygon": {"type": "Polygon", "coordinates": [[[80, 26], ["x", 26], [81, 27], [80, 26]]]}});
    bad_search(&app, "a position that is not numbers", &not_number, "polygon.coordinates[0][1]").await;
    bad_search(
        &app,
        "a Point instead of a polygon",
        &json!({"polygon": {"type": "Point", "coordinates": [80, 26]}}),
        "polygon.type",
    )
    .await;
    bad_search(&app, "polygon without type", &json!({"polygon": {"coordinates": []}}), "polygon.type").await;
    bad_search(&app, "polygon that is a string", &json!({"polygon": "square"}), "polygon.type").await;
    bad_search(
        &app,
        "Polygon without rings",
        &json!({"polygon": {"type": "Polygon", "coordinates": []}}),
        "polygon.coordinates",
    )
    .await;
    bad_search(
        &app,
        "empty MultiPolygon",
        &json!({"polygon": {"type": "MultiPolygon", "coordinates": []}}),
        "polygon.coordinates",
    )
    .await;
    bad_search(
        &app,
        "Feature without geometry",
        &json!({"polygon": {"type": "Feature", "geometry": null}}),
        "polygon.geometry",
    )
    .await;

    bad_search(
        &app,
        "near and within",
        &json!({"near": near, "within": {"lat": 26.8, "lon": 80.9, "radius_km": 5}}),
        "body",
    )
    .await;
    bad_search(&app, "bbox and polygon", &json!({"bbox": [80, 26, 81, 27], "polygon": square}), "body").await;
    bad_search(&app, "near and polygon", &json!({"near": near, "polygon": square}), "body").await;
    bad_search(&app, "none of near/within/bbox/polygon", &json!({"k": 5}), "body").await;
    bad_search(&app, "empty object", &json!({}), "body").await;

    // Unknown members are named by their JSON path.
    bad_search(&app, "unknown top-level member", &json!({"near": near, "radius": 5}), "radius").await;
    bad_search(
        &app,
        "unknown member inside near",
        &json!({"near": {"lat": 26.8, "lon": 80.9, "k": 5}}),
        "near.k",
    )
    .await;
    bad_search(&app, "format is not a body member", &json!({"near": near, "format": "geojson"}), "format")
        .await;
    bad_search(&app, "near.lat a string", &json!({"near": {"lat": "abc", "lon": 80.9}}), "near.lat").await;
    bad_search(&app, "near.lat 91", &json!({"near": {"lat": 91, "lon": 80.9}}), "near.lat").await;
    bad_search(&app, "near.lon 200", &json!({"near": {"lat": 26.8, "lon": 200}}), "near.lon").await;
    bad_search(&app, "near.lon missing", &json!({"near": {"lat": 26.8}}), "near.lon").await;
    bad_search(
        &app,
        "near.max_distance_km negative",
        &json!({"near": {"lat": 26.8, "lon": 80.9, "max_distance_km": -1}}),
        "near.max_distance_km",
    )
    .await;
    bad_search(
        &app,
        "near.max_distance_km 1e12",
        &json!({"near": {"lat": 26.8, "lon": 80.9, "max_distance_km": 1e12}}),
        "near.max_distance_km",
    )
    .await;
    bad_search(
        &app,
        "within.radius_km -5",
        &json!({"within": {"lat": 26.8, "lon": 80.9, "radius_km": -5}}),
        "within.radius_km",
    )
    .await;
    bad_search(
        &app,
        "within.radius_km 1e9",
        &json!({"within": {"lat": 26.8, "lon": 80.9, "radius_km": 1e9}}),
        "within.radius_km",
    )
    .await;
    bad_search(
        &app,
        "within.lat 91",
        &json!({"within": {"lat": 91, "lon": 80.9, "radius_km": 5}}),
        "within.lat",
    )
    .await;
    bad_search(&app, "bbox of three numbers", &json!({"bbox": [80, 26, 81]}), "bbox").await;
    bad_search(&app, "bbox south > north", &json!({"bbox": [80, 27, 81, 26]}), "bbox").await;
    bad_search(&app, "bbox longitude 200", &json!({"bbox": [80, 26, 200, 27]}), "bbox").await;
    bad_search(&app, "bbox of strings", &json!({"bbox": ["a", "b", "c", "d"]}), "bbox[0]").await;
    bad_search(&app, "k 0", &json!({"near": near, "k": 0}), "k").await;
    bad_search(&app, "k 101", &json!({"near": near, "k": 101}), "k").await;
    bad_search(&app, "k negative", &json!({"near": near, "k": -1}), "k").await;
    bad_search(&app, "k a string", &json!({"near": near, "k": "5"}), "k").await;
    bad_search(&app, "limit 0", &json!({"bbox": [80, 26, 81, 27], "limit": 0}), "limit").await;
    bad_search(&app, "limit 501", &json!({"polygon": square, "limit": 501}), "limit").await;
    bad_search(&app, "unknown category", &json!({"near": near, "category": ["spa"]}), "category").await;
    bad_search(&app, "category not a list", &json!({"near": near, "category": "shelter"}), "category").await;
    bad_search(&app, "bad language", &json!({"near": near, "language": ["Hindi"]}), "language").await;
    bad_search(&app, "open_24_7 a string", &json!({"near": near, "open_24_7": "maybe"}), "open_24_7").await;
    bad_search(&app, "a JSON array", &json!([]), "body").await;
    bad_search(&app, "JSON null", &Value::Null, "body").await;

    for (case, raw) in [
        ("malformed JSON", "{\"near\": {\"lat\": 26.8,"),
        ("not JSON at all", "lat=26.8&lon=80.9"),
        ("empty body", ""),
        ("trailing garbage", "{\"near\": {\"lat\": 26.8, \"lon\": 80.9}} x"),
    ] {
        let res = app
            .client
            .post(app.url("/v1/providers/search"))
            .header("content-type", "application/json")
            .body(raw)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 400, "{case}");
        assert_problem(res, 400, Some("body")).await;
    }
    // A number JSON can write but f64 cannot hold is named by its path, not the body.
    let res = app
        .client
        .post(app.url("/v1/providers/search"))
        .header("content-type", "application/json")
        .body("{\"near\": {\"lat\": 1e400, \"lon\": 80.9}}")
        .send()
        .await
        .unwrap();
    assert_problem(res, 400, Some("near.lat")).await;
}

/// The total vertex limit covers all polygons of a MultiPolygon, not each one separately.
#[tokio::test]
async fn search_multipolygon_vertex_limit_counts_all_polygons() {
    let app = TestApp::spawn(&csv()).await;
    // Three valid, disjoint circles of 4,000 positions each: 12,000 vertices in all.
    let circle = |cx: f64| {
        let mut ring: Vec<[f64; 2]> = (0..3_999)
            .map(|i| {
                let a = i as f64 / 3_999.0 * std::f64::consts::TAU;
                [cx + 0.5 * a.cos(), 26.0 + 0.5 * a.sin()]
            })
            .collect();
        ring.push(ring[0]);
        json!([ring])
    };
    let multi = json!({"type": "MultiPolygon", "coordinates": [circle(70.0), circle(75.0), circle(80.0)]});
    let res = app.post_json("/v1/providers/search", &json!({"polygon": multi})).await;
    let status = res.status();
    assert_eq!(status, 400, "a 12,000-vertex MultiPolygon is over the 10,000 limit: got {status}");
    assert_problem(res, 400, None).await;
}

#[tokio::test]
async fn search_body_size_and_content_type() {
    let app = TestApp::spawn(&csv()).await;
    // A syntactically valid JSON body just over 1 MiB.
    let pad = "x".repeat(1024 * 1024);
    let body = format!("{{\"near\": {{\"lat\": 26.8, \"lon\": 80.9}}, \"cursor\": \"{pad}\"}}");
    let res = app
        .client
        .post(app.url("/v1/providers/search"))
        .header("content-type", "application/json")
        .body(body)
        .send()
        .await
        .expect("the server answers an oversized body");
    assert_problem(res, 413, None).await;

    let res = app
        .client
        .post(app.url("/v1/providers/search"))
        .header("content-type", "text/plain")
        .body(json!({"near": {"lat": 26.8, "lon": 80.9}}).to_string())
        .send()
        .await
        .unwrap();
    assert_problem(res, 415, None).await;
    let res = app
        .client
        .post(app.url("/v1/providers/search"))
        .body(json!({"near": {"lat": 26.8, "lon": 80.9}}).to_string())
        .send()
        .await
        .unwrap();
    assert_problem(res, 415, None).await;
    let res = app
        .client
        .post(app.url("/v1/providers/search"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body("lat=26.8&lon=80.9")
        .send()
        .await
        .unwrap();
    assert_problem(res, 415, None).await;
}

/// Flips one character of a cursor to another base64url character.
fn flip(cursor: &str, at: usize) -> String {
    let mut chars: Vec<char> = cursor.chars().collect();
    chars[at] = if chars[at] == 'A' { 'B' } else { 'A' };
    chars.into_iter().collect()
}

#[tokio::test]
async fn cursors_are_checked() {
    let app = TestApp::spawn(&csv()).await;
    let list = "/v1/providers?bbox=80,26,82,28&limit=5";
    let first = app.get_ok(list).await;
    let cursor =
        first["next_cursor"].as_str().expect("a first page of 5 of 12 has a next cursor").to_string();
    // The real cursor works.
    app.get_ok(&format!("{list}&cursor={cursor}")).await;

    for at in [0, cursor.len() / 2, cursor.len() - 2] {
        let tampered = flip(&cursor, at);
        bad_get(&app, &format!("{list}&cursor={tampered}"), "cursor").await;
    }
    bad_get(&app, &format!("{list}&cursor=not-a-cursor"), "cursor").await;
    bad_get(&app, &format!("{list}&cursor="), "cursor").await;
    bad_get(&app, &format!("{list}&cursor={cursor}x"), "cursor").await;
    // A cursor is bound to its query: another box, another limit, another filter, another route.
    bad_get(&app, &format!("/v1/providers?bbox=80,26,82,29&limit=5&cursor={cursor}"), "cursor").await;
    bad_get(&app, &format!("/v1/providers?bbox=80,26,82,28&limit=6&cursor={cursor}"), "cursor").await;
    bad_get(&app, &format!("{list}&category=shelter&cursor={cursor}"), "cursor").await;
    bad_get(
        &app,
        &format!("/v1/providers/within?lat=26.8&lon=80.9&radius_km=100&limit=5&cursor={cursor}"),
        "cursor",
    )
    .await;
    bad_search(
        &app,
        "a GET cursor in a search body",
        &json!({"bbox": [80, 26, 82, 28], "limit": 5, "cursor": cursor}),
        "cursor",
    )
    .await;

    // Search cursors: bound to the body, tamper-evident.
    let body = json!({"bbox": [80, 26, 82, 28], "limit": 5});
    let page = app.post_ok("/v1/providers/search", &body).await;
    let scursor = page["next_cursor"].as_str().expect("search has a next cursor").to_string();
    app.post_ok("/v1/providers/search", &json!({"bbox": [80, 26, 82, 28], "limit": 5, "cursor": scursor}))
        .await;
    bad_search(
        &app,
        "search cursor with another box",
        &json!({"bbox": [80, 26, 82, 29], "limit": 5, "cursor": scursor}),
        "cursor",
    )
    .await;
    bad_search(
        &app,
        "tampered search cursor",
        &json!({"bbox": [80, 26, 82, 28], "limit": 5, "cursor": flip(&scursor, 3)}),
        "cursor",
    )
    .await;
    bad_get(&app, &format!("{list}&cursor={scursor}"), "cursor").await;

    // Stale: the directory changes (a new snapshot) between pages.
    let mut changed = csv();
    changed.push_str("e99,Provider 99,shelter,26.95,80.95,IN\n");
    let service = app.service.clone();
    let report = tokio::task::spawn_blocking(move || service.import_csv(changed.as_bytes(), false))
        .await
        .unwrap()
        .expect("import runs");
    assert!(report.written, "{report:?}");
    let p = bad_get(&app, &format!("{list}&cursor={cursor}"), "cursor").await;
    assert!(message_for(&p, "cursor").contains("changed"), "the stale cursor message says why: {p}");
    bad_search(
        &app,
        "stale search cursor",
        &json!({"bbox": [80, 26, 82, 28], "limit": 5, "cursor": scursor}),
        "cursor",
    )
    .await;
    // Starting again works and sees the new provider.
    assert_eq!(app.get_ok(list).await["total"], 13);
}

#[tokio::test]
async fn ids_paths_and_methods() {
    let app = TestApp::spawn(&csv()).await;
    bad_get(&app, "/v1/providers/abc", "id").await;
    bad_get(&app, "/v1/providers/1.5", "id").await;
    bad_get(&app, "/v1/providers/99999999999999999999999", "id").await;
    assert_problem(app.get("/v1/providers/999999").await, 404, None).await;
    assert_problem(app.get("/v1/providers/-1").await, 404, None).await;
    assert_problem(app.get("/v1/providers/0").await, 404, None).await;
    assert_problem(app.get("/v1/nothing-here").await, 404, None).await;
    assert_problem(app.get("/v2/providers/nearest?lat=1&lon=1").await, 404, None).await;
    assert_problem(app.get("/v1/providers/1/extra").await, 404, None).await;

    // A path segment that is not UTF-8: a 4xx problem, not a 500.
    let res = app.get("/v1/providers/%FF").await;
    let status = res.status().as_u16();
    assert!((400..500).contains(&status), "invalid UTF-8 in the path: got {status}");
    assert_problem(res, status, None).await;

    for (method, path, allow) in [
        (Method::DELETE, "/v1/providers/nearest?lat=1&lon=1", "GET"),
        (Method::POST, "/v1/providers/nearest", "GET"),
        (Method::PUT, "/v1/providers/1", "GET"),
        (Method::DELETE, "/v1/providers?bbox=0,0,1,1", "GET"),
        (Method::PATCH, "/v1/categories", "GET"),
        (Method::POST, "/health", "GET"),
        (Method::GET, "/v1/providers/search", "POST"),
        (Method::DELETE, "/v1/providers/search", "POST"),
    ] {
        let res = app.client.request(method.clone(), app.url(path)).send().await.unwrap();
        let allow_header =
            res.headers().get("allow").and_then(|v| v.to_str().ok()).map(str::to_string).unwrap_or_default();
        assert_problem(res, 405, None).await;
        assert!(allow_header.contains(allow), "{method} {path}: Allow header '{allow_header}' lists {allow}");
    }

    // After all of that, and all the cases above, the server still answers.
    assert_eq!(app.get_ok("/health").await["status"], "ok");
    assert_eq!(app.get_ok("/ready").await["status"], "ready");
}

/// A burst of every kind of bad request leaves the server healthy and serving real answers.
#[tokio::test]
async fn server_keeps_answering_after_bad_input() {
    let app = TestApp::spawn(&csv()).await;
    let paths = [
        "/v1/providers/nearest?lat=NaN&lon=NaN",
        "/v1/providers/nearest?lat=1e400&lon=-1e400&k=1e400",
        "/v1/providers/within?lat=26.8&lon=80.9&radius_km=1e308",
        "/v1/providers?bbox=-1e308,-1e308,1e308,1e308",
        "/v1/providers?bbox=,,,",
        "/v1/providers/nearest?lat=26.8&lon=80.9&category=,,,&language=;;;",
        "/v1/providers/18446744073709551616",
        "/v1/providers/within?lat=26.8&lon=80.9&radius_km=5&cursor=%00%01",
    ];
    for path in paths {
        let res = app.get(path).await;
        let status = res.status().as_u16();
        assert!(status < 500, "GET {path}: got {status}");
    }
    for body in [
        json!({"polygon": {"type": "Feature", "geometry": {"type": "Feature", "geometry": {"type": "Pt"}}}}),
        json!({"polygon": {"type": "MultiPolygon", "coordinates": [[[[0, 0]]]]}}),
        json!({"polygon": {"type": "Polygon", "coordinates": [[[0, 0, 0, 0], [1, 0], [1, 1], [0, 0]]]}}),
        json!({"near": {"lat": -0.0, "lon": 180}, "k": 100}),
        json!({"within": {"lat": 90, "lon": 0, "radius_km": 500}}),
        json!({"bbox": [180, -90, -180, 90]}),
    ] {
        let res = app.post_json("/v1/providers/search", &body).await;
        let status = res.status().as_u16();
        assert!(status < 500, "search {body}: got {status}");
    }
    assert_eq!(app.get_ok("/health").await["status"], "ok");
    let near = app.get_ok("/v1/providers/nearest?lat=26.8&lon=80.9&k=3").await;
    assert_eq!(near["items"].as_array().unwrap().len(), 3);
}

/// HEAD must answer with the status GET would give (RFC 9110 §9.3.2): a HEAD for a bad query or a
/// missing provider is not a 200.
#[tokio::test]
async fn head_mirrors_get_status() {
    let app = TestApp::spawn(&csv()).await;
    let mut wrong = Vec::new();
    for path in [
        "/v1/providers/nearest?lat=91&lon=80.9",
        "/v1/providers/nearest?lon=80.9",
        "/v1/providers/within?lat=26.8&lon=80.9",
        "/v1/providers?bbox=a,b,c,d",
        "/v1/providers/abc",
        "/v1/providers/999999",
    ] {
        let get = app.get(path).await.status();
        let head = app.client.head(app.url(path)).send().await.unwrap().status();
        if head != get {
            wrong.push(format!("HEAD {path}: {head}, but GET gives {get}"));
        }
    }
    assert!(wrong.is_empty(), "HEAD and GET disagree:\n{}", wrong.join("\n"));
}

/// A mistyped parameter must not silently widen an answer (e.g. `categories=` for `category=`).
#[tokio::test]
async fn unknown_parameters_are_named() {
    let app = TestApp::spawn(&csv()).await;
    let p = bad_get(&app, "/v1/providers/nearest?lat=26.8&lon=80.9&categories=shelter", "categories").await;
    assert!(message_for(&p, "categories").contains("category"), "{p}");
    bad_get(&app, "/v1/providers?bbox=80,26,81,27&radius_km=3", "radius_km").await;
    bad_get(&app, "/v1/providers/1?lat=1", "lat").await;
    bad_get(&app, "/v1/providers/within?lat=26.8&lon=80.9&radius_km=5&k=3", "k").await;
}
