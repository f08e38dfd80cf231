//! Strict request parsing: empty and overlong filter lists, repeated JSON keys and numbers out
//! of range are 400s naming the field; every provider answer is `no-store`; operationIds are
//! unique.

use crate::helpers::{TestApp, assert_problem, ok_json};
use bellmap::model::Role;
use reqwest::Method;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// Twelve providers near Lucknow, in two categories and two languages.
fn csv() -> String {
    let mut csv = String::from("external_id,name,categories,lat,lon,country,languages\n");
    for i in 0..12 {
        let (lat, lon) = (26.80 + i as f64 * 0.01, 80.90 + i as f64 * 0.01);
        let (category, language) = if i % 2 == 0 { ("shelter", "hi") } else { ("helpline", "en") };
        csv.push_str(&format!("e{i},Provider {i},{category},{lat:.4},{lon:.4},IN,{language}\n"));
    }
    csv
}

async fn spawn() -> (TestApp, String) {
    let app = TestApp::spawn(&csv()).await;
    let token = app.db().create_token("strict", Role::Admin, "test").unwrap();
    (app, token)
}

/// POSTs raw JSON text (so it can hold what `serde_json::Value` cannot: repeated keys, 1e400).
async fn post_raw(
    app: &TestApp,
    token: Option<&str>,
    method: Method,
    path: &str,
    body: &str,
) -> reqwest::Response {
    let mut req = app.client.request(method, app.url(path)).header("content-type", "application/json");
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.body(body.to_string()).send().await.unwrap()
}

const NEAR: &str = "/v1/providers/nearest?lat=26.85&lon=80.95&k=100";

#[tokio::test]
async fn empty_filter_values_are_refused_never_widened() {
    let (app, _) = spawn().await;
    let routes = [
        NEAR.to_string(),
        "/v1/providers/within?lat=26.85&lon=80.95&radius_km=50".into(),
        "/v1/providers?bbox=80,26,82,28".into(),
        "/v1/clusters?bbox=80,26,82,28&zoom=3".into(),
    ];
    for route in &routes {
        for (query, field) in [
            ("category=", "category"),
            ("category=,,,", "category"),
            ("category=%20", "category"),
            ("category=shelter,", "category"),
            ("category=,shelter", "category"),
            ("language=", "language"),
            ("language=hi,,en", "language"),
        ] {
            let path = format!("{route}&{query}");
            let p = assert_problem(app.get(&path).await, 400, Some(field)).await;
            assert_eq!(p["errors"].as_array().unwrap().len(), 1, "{path}: {p}");
        }
        // The same filters written properly still narrow the answer.
        app.get_ok(&format!("{route}&category=shelter&language=hi")).await;
    }
    let near = json!({"lat": 26.85, "lon": 80.95});
    for (filter, field) in [
        (json!({"category": []}), "category"),
        (json!({"category": [""]}), "category"),
        (json!({"category": ["shelter", " "]}), "category"),
        (json!({"language": []}), "language"),
        (json!({"language": ["hi", ""]}), "language"),
    ] {
        let mut body = filter.clone();
        body["near"] = near.clone();
        let res = app.post_json("/v1/providers/search", &body).await;
        assert_problem(res, 400, Some(field)).await;
    }
    // A real filter narrows: every answer is a shelter, and there are fewer than without it.
    let all = app.post_ok("/v1/providers/search", &json!({"near": near, "k": 100})).await;
    let shelters =
        app.post_ok("/v1/providers/search", &json!({"near": near, "k": 100, "category": ["shelter"]})).await;
    let items = shelters["items"].as_array().unwrap();
    assert!(items.iter().all(|p| p["categories"] == json!(["shelter"])), "{shelters}");
    assert!(items.len() < all["items"].as_array().unwrap().len());
}

#[tokio::test]
async fn filter_lists_are_bounded_before_their_entries_are_read() {
    let (app, _) = spawn().await;
    let letter = |i: u32| char::from(b'a' + (i % 26) as u8);
    let codes: Vec<String> = (0..26 * 26).map(|i| format!("{}{}", letter(i / 26), letter(i))).collect();
    // 20 distinct languages and all 11 categories are fine.
    let twenty = codes[..20].join(",");
    app.get_ok(&format!("{NEAR}&language={twenty}")).await;
    let eleven = "shelter,helpline,one_stop_centre,legal_aid,counselling,medical,police,protection_officer,\
        child_protection,livelihood,other";
    app.get_ok(&format!("{NEAR}&category={eleven}")).await;
    // One more is refused, and so is a long list of entries that are not codes at all: the count
    // is decided first.
    let p =
        assert_problem(app.get(&format!("{NEAR}&language={},zz", twenty)).await, 400, Some("language")).await;
    assert!(p.to_string().contains("at most 20"), "{p}");
    assert_problem(app.get(&format!("{NEAR}&category={eleven},other")).await, 400, Some("category")).await;
    let junk = vec!["not-a-code!"; 1000].join(",");
    let p = assert_problem(app.get(&format!("{NEAR}&language={junk}")).await, 400, Some("language")).await;
    assert!(p.to_string().contains("1000 entries"), "{p}");

    let near = json!({"lat": 26.85, "lon": 80.95});
    let body = json!({"near": near, "language": &codes[..20]});
    app.post_ok("/v1/providers/search", &body).await;
    // The measured attack: 140,000 languages in one search body.
    let many: Vec<&str> = (0..140_000).map(|i| codes[i % codes.len()].as_str()).collect();
    let p = assert_problem(
        app.post_json("/v1/providers/search", &json!({"near": near, "language": many})).await,
        400,
        Some("language"),
    )
    .await;
    assert!(p.to_string().contains("at most 20"), "{p}");
    // Entry 21 is refused by its position, whatever it is.
    let mut mixed: Vec<Value> = codes[..20].iter().map(|c| json!(c)).collect();
    mixed.push(json!({"not": "a string"}));
    let p = assert_problem(
        app.post_json("/v1/providers/search", &json!({"near": near, "language": mixed})).await,
        400,
        Some("language"),
    )
    .await;
    assert!(p.to_string().contains("at most 20"), "{p}");
    let twelve = vec!["shelter"; 12];
    assert_problem(
        app.post_json("/v1/providers/search", &json!({"near": near, "category": twelve})).await,
        400,
        Some("category"),
    )
    .await;
    assert_eq!(app.get_ok("/health").await["status"], "ok");
}

#[tokio::test]
async fn repeated_json_keys_are_refused_and_named() {
    let (app, token) = spawn().await;
    for (body, field) in [
        (r#"{"near": {"lat": 26.85, "lon": 80.95}, "near": {"lat": -33.9, "lon": 18.4}}"#, "near"),
        (r#"{"near": {"lat": 26.85, "lat": -33.9, "lon": 80.95}}"#, "near.lat"),
        (r#"{"bbox": [80, 26, 82, 28], "limit": 5, "limit": 500}"#, "limit"),
        (r#"{"polygon": {"type": "Polygon", "type": "Point", "coordinates": []}}"#, "polygon.type"),
    ] {
        let res = post_raw(&app, None, Method::POST, "/v1/providers/search", body).await;
        let p = assert_problem(res, 400, Some(field)).await;
        assert!(p.to_string().contains("more than once"), "{body}: {p}");
    }
    let create =
        r#"{"name": "A", "name": "B", "categories": "shelter", "lat": 26.9, "lon": 80.9, "country": "IN"}"#;
    let res = post_raw(&app, Some(&token), Method::POST, "/v1/admin/providers", create).await;
    assert_problem(res, 400, Some("name")).await;
    let before = app.db().load_all().unwrap();
    let patch = r#"{"confidential": true, "confidential": false}"#;
    let res = post_raw(&app, Some(&token), Method::PATCH, "/v1/admin/providers/1", patch).await;
    assert_problem(res, 400, Some("confidential")).await;
    assert_eq!(app.db().load_all().unwrap(), before, "nothing was written");
}

#[tokio::test]
async fn numbers_out_of_range_name_their_field() {
    let (app, token) = spawn().await;
    for (body, field) in [
        (r#"{"near": {"lat": 1e400, "lon": 0}}"#, "near.lat"),
        (r#"{"near": {"lat": 0, "lon": -1e400}}"#, "near.lon"),
        (r#"{"within": {"lat": 26.85, "lon": 80.95, "radius_km": 1e999}}"#, "within.radius_km"),
        (r#"{"bbox": [80, 26, 1e400, 28]}"#, "bbox[2]"),
        (r#"{"near": {"lat": 26.85, "lon": 80.95}, "k": 1e400}"#, "k"),
        (r#"{"near": {"lat": 26.85, "lon": 80.95}, "k": 18446744073709551616}"#, "k"),
    ] {
        let res = post_raw(&app, None, Method::POST, "/v1/providers/search", body).await;
        assert_problem(res, 400, Some(field)).await;
    }
    let create = r#"{"name": "A", "categories": "shelter", "lat": 1e400, "lon": 80.9, "country": "IN"}"#;
    let res = post_raw(&app, Some(&token), Method::POST, "/v1/admin/providers", create).await;
    assert_problem(res, 400, Some("lat")).await;
}

/// A request body: content type and text.
type Body = (&'static str, String);

fn cache_control(res: &reqwest::Response) -> String {
    res.headers().get("cache-control").and_then(|v| v.to_str().ok()).unwrap_or("").to_string()
}

/// Every provider answer, public or admin, success or error, says `no-store`.
#[tokio::test]
async fn every_provider_answer_is_no_store() {
    let (app, token) = spawn().await;
    let cluster = app.get_ok("/v1/clusters?bbox=80,26,82,28&zoom=0").await;
    let cluster_id = cluster["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["cluster"] == true)
        .map(|f| f["properties"]["cluster_id"].as_str().unwrap().to_string())
        .expect("twelve close providers make a cluster at zoom 0");
    let import_csv = "external_id,name,categories,lat,lon,country\nnew-1,New One,shelter,26.9,80.9,IN\n";

    let public = [
        "/v1/providers/nearest?lat=26.85&lon=80.95".to_string(),
        "/v1/providers/within?lat=26.85&lon=80.95&radius_km=10".into(),
        "/v1/providers?bbox=80,26,82,28".into(),
        "/v1/providers/1".into(),
        "/v1/providers/1?format=geojson".into(),
        "/v1/providers/999999".into(),
        "/v1/providers/nearest?lat=91&lon=0".into(),
        "/v1/clusters?bbox=80,26,82,28&zoom=3".into(),
        format!("/v1/clusters/{cluster_id}/leaves"),
    ];
    let mut wrong = Vec::new();
    for path in &public {
        for with_token in [false, true] {
            let mut req = app.client.get(app.url(path));
            if with_token {
                req = req.bearer_auth(&token);
            }
            let res = req.send().await.unwrap();
            if cache_control(&res) != "no-store" {
                wrong.push(format!(
                    "GET {path} (token: {with_token}): {} '{}'",
                    res.status(),
                    cache_control(&res)
                ));
            }
        }
    }
    let near = json!({"near": {"lat": 26.85, "lon": 80.95}});
    let res = app
        .client
        .post(app.url("/v1/providers/search"))
        .bearer_auth(&token)
        .json(&near)
        .send()
        .await
        .unwrap();
    if cache_control(&res) != "no-store" {
        wrong.push(format!("POST search: '{}'", cache_control(&res)));
    }

    // Admin: each request in turn, as an admin would make them (the create's id is used later).
    let send = |method: Method, path: String, body: Option<Body>| {
        let mut req = app.client.request(method, app.url(&path)).bearer_auth(&token);
        if let Some((content_type, body)) = body {
            req = req.header("content-type", content_type).body(body);
        }
        req.send()
    };
    let create =
        json!({"name": "Created", "categories": "shelter", "lat": 26.9, "lon": 80.9, "country": "IN"});
    let res =
        send(Method::POST, "/v1/admin/providers".into(), Some(("application/json", create.to_string())))
            .await
            .unwrap();
    let cc = cache_control(&res);
    let id = ok_json(res, "create").await["id"].as_i64().unwrap();
    if cc != "no-store" {
        wrong.push(format!("POST /v1/admin/providers: '{cc}'"));
    }
    let admin: Vec<(Method, String, Option<Body>)> = vec![
        (Method::GET, format!("/v1/admin/providers/{id}"), None),
        (
            Method::PATCH,
            format!("/v1/admin/providers/{id}"),
            Some(("application/json", r#"{"name": "Renamed"}"#.into())),
        ),
        (Method::POST, format!("/v1/admin/providers/{id}/deactivate"), None),
        (Method::POST, format!("/v1/admin/providers/{id}/reactivate"), None),
        (Method::GET, "/v1/admin/providers/999999".into(), None),
        (Method::POST, "/v1/admin/imports".into(), Some(("text/csv", import_csv.into()))),
        (Method::GET, "/v1/admin/imports".into(), None),
        (Method::GET, "/v1/admin/imports/1".into(), None),
        (Method::GET, "/v1/admin/audit".into(), None),
        (Method::GET, "/v1/admin/providers.csv".into(), None),
    ];
    for (method, path, body) in admin {
        let res = send(method.clone(), path.clone(), body).await.unwrap();
        if cache_control(&res) != "no-store" {
            wrong.push(format!("{method} {path}: {} '{}'", res.status(), cache_control(&res)));
        }
    }
    let imports =
        ok_json(send(Method::GET, "/v1/admin/imports".into(), None).await.unwrap(), "imports").await;
    let last = imports["items"][0]["id"].as_i64().unwrap();
    let res = send(Method::POST, format!("/v1/admin/imports/{last}/revert"), None).await.unwrap();
    assert_eq!(res.status(), 200, "revert");
    if cache_control(&res) != "no-store" {
        wrong.push(format!("POST revert: '{}'", cache_control(&res)));
    }
    // Without a token, too.
    let res = app.client.get(app.url(&format!("/v1/admin/providers/{id}"))).send().await.unwrap();
    assert_eq!(res.status(), 401);
    if cache_control(&res) != "no-store" {
        wrong.push(format!("401: '{}'", cache_control(&res)));
    }
    assert!(wrong.is_empty(), "answers without Cache-Control: no-store:\n{}", wrong.join("\n"));
}

/// openapi-spec-validator (run in .ci/run) refuses a document with a repeated operationId; so
/// does this walk of the served spec, which also wants one on every operation.
#[tokio::test]
async fn operation_ids_are_unique() {
    let app = TestApp::spawn(&csv()).await;
    let spec = app.get_ok("/openapi.json").await;
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    let mut operations = 0;
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if !["get", "put", "post", "delete", "options", "head", "patch", "trace"]
                .contains(&method.as_str())
            {
                continue;
            }
            operations += 1;
            let id =
                op["operationId"].as_str().unwrap_or_else(|| panic!("{method} {path} has no operationId"));
            if let Some(other) = seen.insert(id.to_string(), format!("{method} {path}")) {
                panic!("operationId {id} is used by {other} and {method} {path}");
            }
        }
    }
    assert!(operations >= 21, "{operations} operations");
}
