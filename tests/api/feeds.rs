//! Bulk feeds: `GET /v1/providers.ndjson` streams every active provider of one snapshot, one
//! GeoJSON Feature per line, each the same as the public answer for that provider by id.

use crate::helpers::{TestApp, assert_problem};
use serde_json::Value;

async fn lines(app: &TestApp, path: &str) -> Vec<Value> {
    let res = app.get(path).await;
    assert_eq!(res.status(), 200, "{path}");
    let ct = res.headers()["content-type"].to_str().unwrap().to_string();
    assert_eq!(ct, "application/x-ndjson", "{path}");
    let text = res.text().await.unwrap();
    assert!(text.ends_with('\n'), "every line ends with a newline");
    text.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"))).collect()
}

#[tokio::test]
async fn the_ndjson_feed_is_every_active_provider_once_as_its_public_feature() {
    let sample = std::str::from_utf8(bellmap::app::SAMPLE_CSV).unwrap();
    let app = TestApp::spawn(sample).await;
    let active: Vec<i64> = {
        let snap = app.service.index().load();
        snap.records.iter().map(|r| r.id().0).collect()
    };
    assert!(active.len() > 2_000, "the sample is loaded: {}", active.len());
    let all = app.db().load_all().unwrap();
    assert!(all.len() > active.len(), "some of the sample are inactive, and left out");

    let features = lines(&app, "/v1/providers.ndjson").await;
    let ids: Vec<i64> = features.iter().map(|f| f["id"].as_i64().unwrap()).collect();
    assert_eq!(ids, active, "every active provider once, by id (more than one chunk of 1,000)");
    // Each line is the public GeoJSON answer for that provider, but for when it was made.
    for f in features.iter().step_by(37) {
        let id = f["id"].as_i64().unwrap();
        let mut want = app.get_ok(&format!("/v1/providers/{id}?format=geojson")).await;
        let mut got = f.clone();
        for v in [&mut want, &mut got] {
            let props = v["properties"].as_object_mut().unwrap();
            props.remove("open_now");
            props.remove("next_change");
        }
        assert_eq!(got, want, "provider {id}");
    }

    let narrow = lines(&app, "/v1/providers.ndjson?fields=name,phone").await;
    assert_eq!(narrow.len(), active.len());
    for f in &narrow {
        let keys: Vec<&str> = f["properties"].as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["id", "name", "phone"], "{f}");
        assert_eq!(f["geometry"]["type"], "Point");
    }

    let res = app.get("/v1/providers.ndjson?fields=name,exact").await;
    assert_problem(res, 400, Some("fields")).await;
    let res = app.get("/v1/providers.ndjson?bbox=0,0,1,1").await;
    assert_problem(res, 400, Some("bbox")).await;
}
