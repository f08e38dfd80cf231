//! Place search and searches located by a place (issue 12).

use crate::fixtures;
use crate::helpers::{TestApp, assert_problem};
use serde_json::{Value, json};

const LUCKNOW: &str = "gn:1264733";

fn ids(v: &Value) -> Vec<String> {
    v["items"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn names_old_names_hindi_and_pin_codes_find_lucknow_first() {
    let app = TestApp::spawn(&fixtures::generate(1000, 1).csv).await;
    for q in ["lucknow", "Lakhnau", "%E0%A4%B2%E0%A4%96%E0%A4%A8%E0%A4%8A"] {
        let v = app.get_ok(&format!("/v1/places?q={q}")).await;
        assert_eq!(ids(&v)[0], LUCKNOW, "{q}: {v}");
        assert_eq!(v["items"][0]["match"], "exact");
    }
    let v = app.get_ok("/v1/places?q=226001").await;
    assert_eq!(
        (v["items"][0]["id"].as_str(), v["items"][0]["district"].as_str()),
        (Some("pin:226001"), Some("Lucknow"))
    );
    let v = app.get_ok("/v1/places?q=Luck&limit=5").await;
    assert!(ids(&v).contains(&LUCKNOW.to_string()), "{v}");
    let v = app.post_ok("/v1/places/search", &json!({"q": "Hyderabad", "country": "PK"})).await;
    assert!(v["items"].as_array().unwrap().iter().all(|p| p["country"] == "PK"), "{v}");
    assert!(!v["items"].as_array().unwrap().is_empty());
    let v = app.get_ok("/v1/places?q=a&limit=50").await;
    assert!(v["items"].as_array().unwrap().len() <= 50);
    for (path, field) in [
        ("/v1/places?q=%20%20", "q"),
        ("/v1/places", "q"),
        ("/v1/places?q=Lucknow&limit=0", "limit"),
        ("/v1/places?q=Lucknow&limit=51", "limit"),
        ("/v1/places?q=Lucknow&country=India", "country"),
    ] {
        assert_problem(app.get(path).await, 400, Some(field)).await;
    }
    let long = "a".repeat(101);
    assert_problem(app.post_json("/v1/places/search", &json!({"q": long})).await, 400, Some("q")).await;
}

#[tokio::test]
async fn photon_shape_has_lon_lat_geometry_and_photon_properties() {
    let app = TestApp::spawn(&fixtures::generate(1000, 1).csv).await;
    let v = app.get_ok("/v1/places/photon?q=Lucknow&limit=3&lang=en").await;
    assert_eq!(v["type"], "FeatureCollection");
    let f = &v["features"][0];
    let place = app.get_ok("/v1/places?q=Lucknow&limit=1").await["items"][0].clone();
    assert_eq!(f["geometry"]["coordinates"], json!([place["lon"], place["lat"]]));
    let p = &f["properties"];
    assert_eq!(
        (p["name"].as_str(), p["countrycode"].as_str(), p["id"].as_str()),
        (Some("Lucknow"), Some("IN"), Some(LUCKNOW))
    );
    assert_eq!(
        (p["state"].as_str(), p["county"].as_str(), p["osm_key"].as_str()),
        (Some("Uttar Pradesh"), Some("Lucknow"), Some("place"))
    );
    let pin = app.get_ok("/v1/places?q=226001&format=geojson").await;
    assert_eq!(pin["features"][0]["properties"]["postcode"], "226001");
}

#[tokio::test]
async fn near_a_place_equals_near_its_point_and_ambiguity_offers_candidates() {
    let app = TestApp::spawn(&fixtures::generate(1000, 7).csv).await;
    let place = app.get_ok("/v1/places?q=Lucknow&limit=1").await["items"][0].clone();
    let by_point =
        app.get_ok(&format!("/v1/providers/nearest?lat={}&lon={}&k=10", place["lat"], place["lon"])).await;
    for q in ["Lucknow", "Lakhnau"] {
        let by_name = app.get_ok(&format!("/v1/providers/nearest?near={q}&k=10")).await;
        assert_eq!(by_name["items"], by_point["items"], "{q}");
        assert_eq!(by_name["place"]["id"], LUCKNOW);
    }
    let pin = app.get_ok("/v1/providers/nearest?near=226001").await;
    assert_eq!(pin["place"]["id"], "pin:226001");
    let body =
        assert_problem(app.get("/v1/providers/nearest?near=Aurangabad").await, 400, Some("near")).await;
    let candidates = body["candidates"].as_array().unwrap();
    let states: Vec<&str> = candidates.iter().map(|c| c["state"].as_str().unwrap()).collect();
    assert!(states.contains(&"Maharashtra") && states.contains(&"Bihar"), "{body}");
    for c in candidates {
        let v = app.get_ok(&format!("/v1/providers/nearest?place_id={}", c["id"].as_str().unwrap())).await;
        assert_eq!(v["place"]["id"], c["id"]);
    }
    assert_problem(app.get("/v1/providers/nearest?near=Hyderabad").await, 400, Some("near")).await;
    let v = app.get_ok("/v1/providers/nearest?near=Hyderabad,%20PK").await;
    assert_eq!(v["place"]["country"], "PK");
    assert_problem(app.get("/v1/providers/nearest?near=Qxzqxzqxz").await, 400, Some("near")).await;
    assert_problem(app.get("/v1/providers/nearest?near=Lucknow&lat=1&lon=2").await, 400, Some("near")).await;
    assert_problem(app.get("/v1/providers/nearest?place_id=gn:0").await, 400, Some("place_id")).await;
    let body = app.post_json("/v1/providers/search", &json!({"near": {"place": "Aurangabad"}})).await;
    assert_problem(body, 400, Some("near.place")).await;
    let post = app.post_ok("/v1/providers/search", &json!({"near": {"place": "Lucknow"}, "k": 10})).await;
    assert_eq!(
        (post["items"].clone(), post["place"]["id"].clone()),
        (by_point["items"].clone(), json!(LUCKNOW))
    );
}

#[tokio::test]
async fn within_a_place_pages_with_a_cursor() {
    let app = TestApp::spawn(&fixtures::generate(1000, 3).csv).await;
    let place = app.get_ok("/v1/places?q=Lucknow&limit=1").await["items"][0].clone();
    let by_point = app
        .get_pages(&format!(
            "/v1/providers/within?lat={}&lon={}&radius_km=100&limit=7",
            place["lat"], place["lon"]
        ))
        .await;
    let by_place = app.get_pages("/v1/providers/within?near=Lucknow&radius_km=100&limit=7").await;
    assert!(by_place.len() > 1, "several pages");
    let all = |pages: &[Value]| {
        pages.iter().flat_map(|p| p["items"].as_array().unwrap().clone()).collect::<Vec<_>>()
    };
    assert_eq!(all(&by_place), all(&by_point));
    assert!(by_place.iter().all(|p| p["place"]["id"] == LUCKNOW));
}

/// Leaflet geocoder controls may send Photon's bias parameters; they are honoured, not refused.
#[tokio::test]
async fn photon_bias_puts_the_nearer_namesake_first_and_bbox_keeps_only_inside() {
    let app = TestApp::spawn(&fixtures::generate(1000, 1).csv).await;
    let all = app.get_ok("/v1/places/photon?q=Aurangabad&limit=50").await;
    let features = all["features"].as_array().unwrap().clone();
    let coords = |f: &Value| {
        (f["geometry"]["coordinates"][0].as_f64().unwrap(), f["geometry"]["coordinates"][1].as_f64().unwrap())
    };
    let exact: Vec<&Value> = features.iter().filter(|f| f["properties"]["name"] == "Aurangabad").collect();
    assert!(exact.len() >= 2, "{all}");
    for target in &exact {
        let (lon, lat) = coords(target);
        // Close to, not at, each namesake: the nearest exact match comes first.
        let url = format!("/v1/places/photon?q=Aurangabad&lat={}&lon={}", lat + 0.3, lon - 0.3);
        let v = app.get_ok(&url).await;
        let nearest = exact
            .iter()
            .min_by(|a, b| {
                let d = |f: &Value| {
                    let (x, y) = coords(f);
                    (x - (lon - 0.3)).powi(2) + (y - (lat + 0.3)).powi(2)
                };
                d(a).total_cmp(&d(b))
            })
            .unwrap();
        assert_eq!(v["features"][0]["properties"]["id"], nearest["properties"]["id"], "{url}: {v}");
    }
    let (w, s, e, n) = (84.0, 24.0, 85.0, 25.5);
    let boxed = app
        .get_ok(&format!(
            "/v1/places/photon?q=Aurangabad&bbox={w},{s},{e},{n}&zoom=12&location_bias_scale=0.2"
        ))
        .await;
    let inside = boxed["features"].as_array().unwrap();
    let expected = features.iter().filter(|f| {
        let (x, y) = coords(f);
        (w..=e).contains(&x) && (s..=n).contains(&y)
    });
    assert!(!inside.is_empty());
    assert_eq!(inside.len(), expected.count().min(10), "{boxed}");
    assert!(inside.iter().all(|f| f["properties"]["state"] == "Bihar"), "{boxed}");
    for (path, field) in [
        ("/v1/places/photon?q=Aurangabad&lat=24", "lon"),
        ("/v1/places/photon?q=Aurangabad&lon=84", "lat"),
        ("/v1/places/photon?q=Aurangabad&lat=95&lon=84", "lat"),
        ("/v1/places/photon?q=Aurangabad&zoom=40", "zoom"),
        ("/v1/places/photon?q=Aurangabad&bbox=1,2,3", "bbox"),
    ] {
        assert_problem(app.get(path).await, 400, Some(field)).await;
    }
}
