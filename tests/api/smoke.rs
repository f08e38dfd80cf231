//! The bundled sample, service status, docs and the committed OpenAPI spec.

use crate::helpers::TestApp;
use bellmap::model::LonLat;

/// The README's first example: five providers near Lucknow, nearest first, each with distance_m.
#[tokio::test]
async fn bundled_sample_answers_nearest_near_lucknow() {
    let sample = std::str::from_utf8(bellmap::app::SAMPLE_CSV).unwrap();
    let app = TestApp::spawn(sample).await;
    let body = app.get_ok("/v1/providers/nearest?lat=26.85&lon=80.95&k=5").await;
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), 5);
    let origin = LonLat { lon: 80.95, lat: 26.85 };
    let mut last = 0.0;
    for item in items {
        let d = item["distance_m"].as_f64().unwrap();
        let point = LonLat { lon: item["lon"].as_f64().unwrap(), lat: item["lat"].as_f64().unwrap() };
        assert!((origin.distance_m(point) - d).abs() < 0.1, "distance_m matches the returned point");
        assert!(d >= last, "nearest first");
        last = d;
    }
    let ready = app.get_ok("/ready").await;
    assert_eq!(ready["status"], "ready");
    assert!(ready["providers"].as_u64().unwrap() >= 2000);
    assert_eq!(app.get_ok("/health").await["status"], "ok");
}

#[tokio::test]
async fn categories_have_labels_and_live_counts() {
    let csv = format!(
        "{}\na,Sample A,shelter;helpline,10,10,IN,active\nb,Sample B,shelter,11,11,IN,\nc,Sample C,legal_aid,12,12,IN,inactive\n",
        "external_id,name,categories,lat,lon,country,status"
    );
    let app = TestApp::spawn(&csv).await;
    let body = app.get_ok("/v1/categories").await;
    let items = body["items"].as_array().unwrap();
    assert_eq!(items.len(), 11);
    let count = |slug: &str| items.iter().find(|i| i["slug"] == slug).unwrap()["count"].as_u64().unwrap();
    assert_eq!(count("shelter"), 2);
    assert_eq!(count("helpline"), 1);
    assert_eq!(count("legal_aid"), 0, "inactive providers are not counted");
    let shelter = items.iter().find(|i| i["slug"] == "shelter").unwrap();
    assert_eq!(shelter["label"]["en"], "Shelter");
    assert!(!shelter["label"]["hi"].as_str().unwrap().is_empty());
}

/// The served spec must equal openapi/openapi.json. `BLESS=1 cargo test` rewrites the file.
#[tokio::test]
async fn served_spec_matches_the_committed_one() {
    let app = TestApp::spawn("name,categories,lat,lon,country\nSample,shelter,1,1,IN\n").await;
    let served = app.get("/openapi.json").await.text().await.unwrap();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/openapi.json");
    if std::env::var("BLESS").is_ok_and(|v| v == "1") {
        std::fs::write(path, &served).unwrap();
    }
    let committed =
        std::fs::read_to_string(path).expect("openapi/openapi.json exists (run BLESS=1 cargo test)");
    assert!(
        served == committed,
        "the served OpenAPI spec differs from openapi/openapi.json; run BLESS=1 cargo test"
    );
    let spec: serde_json::Value = serde_json::from_str(&served).unwrap();
    for path in [
        "/v1/providers/nearest",
        "/v1/providers/within",
        "/v1/providers",
        "/v1/providers/search",
        "/v1/providers/{id}",
        "/v1/categories",
        "/health",
        "/ready",
    ] {
        assert!(spec["paths"][path].is_object(), "spec documents {path}");
    }
}

/// Swagger UI is served from the binary (no CDN), so /docs works offline.
#[tokio::test]
async fn docs_are_served_offline() {
    let app = TestApp::spawn("name,categories,lat,lon,country\nSample,shelter,1,1,IN\n").await;
    let res = app.get("/docs/").await;
    assert_eq!(res.status(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "{html}");
    assert!(!html.contains("https://"), "no third-party assets: {html}");
    let js = app.get("/docs/swagger-ui-bundle.js").await;
    assert_eq!(js.status(), 200);
    let init = app.get("/docs/swagger-initializer.js").await.text().await.unwrap();
    assert!(init.contains("/openapi.json"), "{init}");
    assert!(init.contains("\"validatorUrl\": \"none\""), "no call to the third-party validator: {init}");
}

/// Every answer, page or error, carries the security headers; pages may load only from here.
#[tokio::test]
async fn security_headers_on_every_response() {
    let app = TestApp::spawn("name,categories,lat,lon,country\nSample,shelter,1,1,IN\n").await;
    for (path, page) in [
        ("/v1/providers/nearest?lat=1&lon=1", false),
        ("/nope", false),
        ("/docs/", true),
        ("/v1/providers/nearest?lat=91", false),
    ] {
        let res = app.get(path).await;
        let h = res.headers();
        assert_eq!(h["x-content-type-options"], "nosniff", "{path}");
        assert_eq!(h["referrer-policy"], "no-referrer", "{path}");
        assert_eq!(h["x-frame-options"], "DENY", "{path}");
        let csp = h["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        if page {
            assert!(csp.starts_with("default-src 'self'") && !csp.contains("http"), "{path}: {csp}");
        } else {
            assert!(csp.starts_with("default-src 'none'"), "{path}: {csp}");
        }
        assert!(h.get("set-cookie").is_none(), "{path}");
    }
}
