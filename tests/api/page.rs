//! The map page and its assets: served from the binary, with the right types, caching and
//! security policy; the operator's tile setting reaches /config.json and the page CSP. (What the
//! page does in a browser is tested by tests/browser/map.test.mjs.)

use crate::helpers::{TestApp, assert_problem};
use bellmap::config::ServeArgs;
use bellmap::http::page::LEAFLET_BUNDLED;

const CSV: &str = "name,categories,lat,lon,country\nSample,shelter,26.85,80.95,IN\n";

fn header(res: &reqwest::Response, name: &str) -> String {
    res.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("").to_string()
}

#[tokio::test]
async fn the_page_and_its_assets_are_served_from_the_binary() {
    let app = TestApp::spawn(CSV).await;
    let res = app.get("/").await;
    assert_eq!(res.status(), 200);
    assert_eq!(header(&res, "content-type"), "text/html; charset=utf-8");
    let csp = header(&res, "content-security-policy");
    assert!(csp.starts_with("default-src 'self';") && csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(!csp.contains("http"), "no third-party origin by default: {csp}");
    let html = res.text().await.unwrap();
    if !LEAFLET_BUNDLED {
        assert!(html.contains("npm ci"), "explains how to add Leaflet: {html}");
        return;
    }
    assert!(!html.contains("<script>") && !html.contains("https://"), "no inline script, no CDN: {html}");
    for (path, content_type, cache) in [
        ("/app.js", "text/javascript; charset=utf-8", "no-cache"),
        ("/i18n.js", "text/javascript; charset=utf-8", "no-cache"),
        ("/style.css", "text/css; charset=utf-8", "no-cache"),
        ("/vendor/leaflet/leaflet.js", "text/javascript; charset=utf-8", "public, max-age=86400"),
        ("/vendor/leaflet/leaflet.css", "text/css; charset=utf-8", "public, max-age=86400"),
        ("/vendor/leaflet/images/marker-icon.png", "image/png", "public, max-age=86400"),
        ("/vendor/leaflet/images/layers-2x.png", "image/png", "public, max-age=86400"),
        ("/basemap/countries.geojson", "application/geo+json", "public, max-age=86400"),
        ("/basemap/india_states.geojson", "application/geo+json", "public, max-age=86400"),
        ("/config.json", "application/json", "no-cache"),
    ] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 200, "{path}");
        assert_eq!(header(&res, "content-type"), content_type, "{path}");
        assert_eq!(header(&res, "cache-control"), cache, "{path}");
        assert!(res.headers().get("set-cookie").is_none(), "{path}");
        assert!(!res.bytes().await.unwrap().is_empty(), "{path}");
    }
    let states: serde_json::Value = app.get_ok("/basemap/india_states.geojson").await;
    assert_eq!(states["features"].as_array().unwrap().len(), 36);
    // Only Leaflet's own files, no path tricks; other methods are refused.
    assert_problem(app.get("/vendor/leaflet/../../Cargo.toml").await, 404, None).await;
    assert_problem(app.get("/vendor/leaflet/images/nope.png").await, 404, None).await;
    let res = app.client.post(app.url("/")).send().await.unwrap();
    assert_eq!(res.status(), 405);
    assert_eq!(header(&res, "allow"), "GET, HEAD");
    // /docs still works.
    assert_eq!(app.get("/docs/").await.status(), 200);
}

#[tokio::test]
async fn config_json_names_the_tiles_and_the_csp_allows_their_origin() {
    let plain = TestApp::spawn(CSV).await;
    let config = plain.get_ok("/config.json").await;
    assert_eq!(config["tile_url"], serde_json::Value::Null);
    assert_eq!(config["exit_url"], "https://www.google.com/search?q=weather");

    let args = ServeArgs {
        tile_url: Some("https://{s}.tiles.example.org/{z}/{x}/{y}.png".into()),
        tile_attribution: Some("© Example contributors".into()),
        exit_url: "https://example.org/weather".into(),
        ..ServeArgs::default()
    };
    let app = TestApp::spawn_with(CSV, args).await;
    let config = app.get_ok("/config.json").await;
    assert_eq!(config["tile_url"], "https://{s}.tiles.example.org/{z}/{x}/{y}.png");
    assert_eq!(config["tile_attribution"], "© Example contributors");
    assert_eq!(config["exit_url"], "https://example.org/weather");
    for path in ["/", "/docs/"] {
        let csp = header(&app.get(path).await, "content-security-policy");
        assert!(csp.contains("img-src 'self' data: https://*.tiles.example.org;"), "{path}: {csp}");
        assert!(csp.starts_with("default-src 'self';") && csp.contains("frame-ancestors 'none'"), "{csp}");
    }
    // JSON answers keep the API policy.
    let csp = header(&app.get("/v1/categories").await, "content-security-policy");
    assert!(csp.starts_with("default-src 'none'"), "{csp}");
}

#[test]
fn a_tile_url_that_is_not_http_is_refused_at_start() {
    for (tile_url, exit_url) in [
        (Some("file:///srv/tiles/{z}/{x}/{y}.png"), "https://example.org/"),
        (Some("javascript:alert(1)"), "https://example.org/"),
        (None, "javascript:history.back()"),
    ] {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let args = ServeArgs {
            bind: "127.0.0.1:0".into(),
            no_seed: true,
            tile_url: tile_url.map(str::to_string),
            exit_url: exit_url.into(),
            ..ServeArgs::default()
        };
        match bellmap::app::build(&url, &args) {
            Ok(_) => panic!("{tile_url:?} / {exit_url} accepted"),
            Err(e) => assert!(e.to_string().contains("BELLMAP_"), "{e}"),
        }
    }
}
