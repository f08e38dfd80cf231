//! Emergency numbers in every point answer, also when no provider matches (issue 5, item 4).

use crate::helpers::TestApp;
use serde_json::{Value, json};

/// One fictional provider in Fiji, far from every query point below.
const FAR_AWAY: &str =
    "name,categories,lat,lon,country\nSample Shelter Suva (fictional),shelter,-18.14,178.44,FJ\n";

fn numbers(emergency: &Value) -> Vec<&str> {
    emergency["numbers"]
        .as_array()
        .expect("numbers is a list")
        .iter()
        .map(|n| n["number"].as_str().unwrap())
        .collect()
}

/// Lucknow: India's national numbers, then Uttar Pradesh's.
fn assert_lucknow(emergency: &Value, what: &str) {
    assert_eq!(emergency["country"], "IN", "{what}: {emergency}");
    assert_eq!(emergency["region"], "Uttar Pradesh", "{what}: {emergency}");
    let got = numbers(emergency);
    assert!(got.contains(&"112") && got.contains(&"181"), "{what}: {got:?}");
    assert_eq!(&got[..2], ["112", "181"], "{what}: national numbers first");
    let first = &emergency["numbers"][0];
    for key in ["label", "number", "languages", "open_24_7", "region", "source"] {
        assert!(first.get(key).is_some(), "{what}: a number has {key}: {first}");
    }
}

#[tokio::test]
async fn nearest_with_no_provider_nearby_still_gives_emergency_numbers() {
    let app = TestApp::spawn(FAR_AWAY).await;
    let body = app.get_ok("/v1/providers/nearest?lat=26.85&lon=80.95&max_distance_km=1").await;
    assert_eq!(body["total"], 0);
    assert_eq!(body["items"].as_array().unwrap().len(), 0);
    assert_lucknow(&body["emergency"], "nearest");

    let fc = app.get_ok("/v1/providers/nearest?lat=26.85&lon=80.95&max_distance_km=1&format=geojson").await;
    assert_eq!(fc["type"], "FeatureCollection");
    assert_lucknow(&fc["emergency"], "nearest geojson");

    // The provider's own country when it is found.
    let body = app.get_ok("/v1/providers/nearest?lat=-18.15&lon=178.45&k=1").await;
    assert_eq!(body["total"], 1);
    assert_eq!(body["emergency"]["country"], "FJ");
    assert!(numbers(&body["emergency"]).contains(&"1560"));
}

#[tokio::test]
async fn within_answers_carry_emergency_numbers() {
    let app = TestApp::spawn(FAR_AWAY).await;
    let body = app.get_ok("/v1/providers/within?lat=-1.29&lon=36.82&radius_km=10").await;
    assert_eq!(body["total"], 0);
    assert_eq!(body["emergency"]["country"], "KE");
    assert!(numbers(&body["emergency"]).contains(&"1195"), "{body}");

    let res = app
        .client
        .get(app.url("/v1/providers/within?lat=26.85&lon=80.95&radius_km=5"))
        .header("Accept", "application/geo+json")
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-type"], "application/geo+json");
    let fc: Value = res.json().await.unwrap();
    assert_lucknow(&fc["emergency"], "within geojson");
}

#[tokio::test]
async fn search_near_and_within_carry_emergency_numbers_bbox_does_not() {
    let app = TestApp::spawn(FAR_AWAY).await;
    let near = json!({"near": {"lat": 26.85, "lon": 80.95, "max_distance_km": 1}});
    let body = app.post_ok("/v1/providers/search", &near).await;
    assert_eq!(body["total"], 0);
    assert_lucknow(&body["emergency"], "search near");

    let fc = app.post_ok("/v1/providers/search?format=geojson", &near).await;
    assert_lucknow(&fc["emergency"], "search near geojson");

    let within = json!({"within": {"lat": 51.5, "lon": -0.12, "radius_km": 2}});
    let body = app.post_ok("/v1/providers/search", &within).await;
    assert_eq!(body["emergency"]["country"], "GB");
    assert_eq!(body["emergency"]["region"], Value::Null);
    assert_eq!(numbers(&body["emergency"]), ["999", "0808 2000 247"]);

    // A viewport has no single point: no emergency block.
    let bbox = app.post_ok("/v1/providers/search", &json!({"bbox": [178.0, -19.0, 179.0, -18.0]})).await;
    assert_eq!(bbox["total"], 1);
    assert!(bbox.get("emergency").is_none(), "{bbox}");
    let list = app.get_ok("/v1/providers?bbox=178,-19,179,-18").await;
    assert!(list.get("emergency").is_none(), "{list}");
}

#[tokio::test]
async fn a_point_at_sea_gets_an_empty_emergency_block() {
    let app = TestApp::spawn(FAR_AWAY).await;
    let body = app.get_ok("/v1/providers/nearest?lat=-30&lon=-140&max_distance_km=1").await;
    assert_eq!(body["emergency"], json!({"country": null, "region": null, "numbers": []}));
}
