//! Abuse cases bounded (issue 10): a heavy polygon, bodies that trickle in, and multipart
//! uploads that hide bytes in parts without a filename.

use crate::fixtures::LUCKNOW;
use crate::helpers::{TestApp, assert_problem};
use serde_json::json;

fn circle(n: usize) -> Vec<[f64; 2]> {
    let mut ring: Vec<[f64; 2]> = (0..n - 1)
        .map(|i| {
            let a = i as f64 / (n - 1) as f64 * std::f64::consts::TAU;
            [LUCKNOW.1 + 0.3 * a.cos(), LUCKNOW.0 + 0.3 * a.sin()]
        })
        .collect();
    ring.push(ring[0]);
    ring
}

/// A 10,000-position ring with one vertex pulled across the circle is refused, naming the
/// field; the same ring without the fault is accepted.
#[tokio::test]
async fn heavy_self_intersecting_polygon_is_refused_naming_the_field() {
    let app = TestApp::spawn(&crate::fixtures::generate(1000, 3).csv).await;
    let ring = circle(10_000);
    let ok = app
        .post_json("/v1/providers/search", &json!({"polygon": {"type": "Polygon", "coordinates": [ring]}}))
        .await;
    assert_eq!(ok.status(), 200);
    let mut bad = ring.clone();
    bad[5_000] = [LUCKNOW.1 + 0.5, LUCKNOW.0 + 0.01];
    let res = app
        .post_json("/v1/providers/search", &json!({"polygon": {"type": "Polygon", "coordinates": [bad]}}))
        .await;
    let p = assert_problem(res, 400, Some("polygon.coordinates")).await;
    assert!(p.to_string().contains("self-intersection"), "{p}");
}
