//! /v1/clusters and /v1/clusters/{id}/leaves over HTTP, against a brute-force reference built
//! from the public listing: every matching provider is in exactly one feature per zoom, counts
//! and category counts add up, a viewport holds exactly the world's features inside it, and a
//! cluster splits at its expansion zoom.

use crate::fixtures::{self, CATEGORIES};
use crate::helpers::{TestApp, assert_problem};
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, HashSet};

const SEED: u64 = 0xc105;
const WORLD: &str = "-180,-90,180,90";
const MERCATOR_LAT: f64 = 85.051_129;

/// A filter as the reference applies it.
type Keep = fn(&Listed) -> bool;

/// A provider as the public listing serves it: the reference data.
struct Listed {
    lon: f64,
    lat: f64,
    categories: Vec<String>,
    languages: Vec<String>,
    open_24_7: bool,
}

/// Every active provider, from the paged public bbox listing.
async fn listing(app: &TestApp) -> BTreeMap<i64, Listed> {
    let mut out = BTreeMap::new();
    for page in app.get_pages(&format!("/v1/providers?bbox={WORLD}&limit=500")).await {
        for p in page["items"].as_array().unwrap() {
            let strings =
                |v: &Value| v.as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect();
            out.insert(
                p["id"].as_i64().unwrap(),
                Listed {
                    lon: p["lon"].as_f64().unwrap(),
                    lat: p["lat"].as_f64().unwrap(),
                    categories: strings(&p["categories"]),
                    languages: strings(&p["languages"]),
                    open_24_7: p["open_24_7"].as_bool().unwrap(),
                },
            );
        }
    }
    out
}

/// Every provider id of a cluster, through all pages of its leaves.
async fn leaves(app: &TestApp, cluster_id: &str, filter: &str, limit: u32) -> Vec<i64> {
    let pages = app.get_pages(&format!("/v1/clusters/{cluster_id}/leaves?limit={limit}{filter}")).await;
    pages
        .iter()
        .flat_map(|page| page["items"].as_array().unwrap().iter().map(|p| p["id"].as_i64().unwrap()))
        .collect()
}

fn point(f: &Value) -> (f64, f64) {
    let c = &f["geometry"]["coordinates"];
    (c[0].as_f64().unwrap(), c[1].as_f64().unwrap())
}

/// What one feature stands for: its provider ids (fetched for clusters).
async fn ids_of(app: &TestApp, f: &Value, filter: &str) -> Vec<i64> {
    let props = &f["properties"];
    if props["cluster"] == true {
        leaves(app, props["cluster_id"].as_str().unwrap(), filter, 500).await
    } else {
        assert_eq!(props["cluster"], false, "{f}");
        vec![props["id"].as_i64().unwrap()]
    }
}

/// The reference check of one zoom over the whole world: a partition of `expected`, with each
/// cluster's count, category counts and position agreeing with its leaves.
async fn check_partition(
    app: &TestApp,
    all: &BTreeMap<i64, Listed>,
    expected: &HashSet<i64>,
    zoom: u8,
    filter: &str,
) -> Value {
    let body = app.get_ok(&format!("/v1/clusters?bbox={WORLD}&zoom={zoom}{filter}")).await;
    assert_eq!(body["type"], "FeatureCollection");
    let features = body["features"].as_array().unwrap();
    assert_eq!(body["total"].as_u64().unwrap() as usize, features.len());
    let mut seen: HashMap<i64, usize> = HashMap::new();
    for f in features {
        let ids = ids_of(app, f, filter).await;
        for id in &ids {
            *seen.entry(*id).or_default() += 1;
        }
        let props = &f["properties"];
        let (lon, lat) = point(f);
        if props["cluster"] == true {
            assert_eq!(props["count"].as_u64().unwrap() as usize, ids.len(), "zoom {zoom}: count of {f}");
            assert!(ids.len() >= 2, "a cluster holds at least two providers: {f}");
            let mut want: BTreeMap<String, u64> = BTreeMap::new();
            for id in &ids {
                for c in &all[id].categories {
                    *want.entry(c.clone()).or_default() += 1;
                }
            }
            let got: BTreeMap<String, u64> = props["categories"]
                .as_object()
                .unwrap()
                .iter()
                .map(|(k, v)| (k.clone(), v.as_u64().unwrap()))
                .collect();
            assert_eq!(got, want, "zoom {zoom}: category counts of {f}");
            let ez = props["expansion_zoom"].as_u64().unwrap();
            assert!(ez > zoom as u64 && ez <= 19, "zoom {zoom}: expansion_zoom {ez}");
            // Antimeridian-safe: a cluster sits within the extent of its members' public points
            // (a cluster of Fiji's two sides would otherwise land near longitude 0).
            let lons = ids.iter().map(|i| all[i].lon);
            // Clusters live on the Web Mercator plane, which ends at ±85.0511°.
            let lats = ids.iter().map(|i| all[i].lat.clamp(-MERCATOR_LAT, MERCATOR_LAT));
            let (lo, hi) = lons.fold((f64::MAX, f64::MIN), |(a, b), x| (a.min(x), b.max(x)));
            let (la, ha) = lats.fold((f64::MAX, f64::MIN), |(a, b), x| (a.min(x), b.max(x)));
            assert!(hi - lo < 180.0, "zoom {zoom}: members of one cluster span the antimeridian: {f}");
            assert!(
                lon >= lo - 1e-6 && lon <= hi + 1e-6 && lat >= la - 1e-6 && lat <= ha + 1e-6,
                "zoom {zoom}: cluster at {lon},{lat} outside its members' extent"
            );
        } else {
            let id = ids[0];
            assert_eq!((lon, lat), (all[&id].lon, all[&id].lat), "a single provider is at its public point");
        }
    }
    for id in expected {
        assert_eq!(
            seen.get(id).copied().unwrap_or(0),
            1,
            "zoom {zoom}{filter}: provider {id} in one feature"
        );
    }
    assert_eq!(seen.len(), expected.len(), "zoom {zoom}{filter}: only matching providers appear");
    body
}

fn in_box([w, s, e, n]: [f64; 4], (lon, lat): (f64, f64)) -> bool {
    let in_lon = if w <= e { lon >= w && lon <= e } else { lon >= w || lon <= e };
    in_lon && lat >= s && lat <= n
}

fn feature_key(f: &Value) -> String {
    let p = &f["properties"];
    if p["cluster"] == true { p["cluster_id"].as_str().unwrap().to_string() } else { p["id"].to_string() }
}

#[tokio::test]
async fn clusters_partition_the_directory_at_every_zoom_and_viewports_match_the_world() {
    let fixture = fixtures::generate(2000, SEED);
    let app = TestApp::spawn(&fixture.csv).await;
    let all = listing(&app).await;
    assert!(all.len() > 1500, "the fixture loaded: {}", all.len());
    let everyone: HashSet<i64> = all.keys().copied().collect();

    let mut clusters_seen = 0;
    for zoom in [0u8, 2, 4, 6, 8, 11, 14, 17, 18, 19] {
        let world = check_partition(&app, &all, &everyone, zoom, "").await;
        let features = world["features"].as_array().unwrap();
        clusters_seen += features.iter().filter(|f| f["properties"]["cluster"] == true).count();
        if zoom == 19 {
            assert_eq!(features.len(), all.len(), "zoom 19 shows every provider on its own");
        }
        if zoom == 0 {
            assert!(features.len() < 300, "zoomed out, providers cluster: {} features", features.len());
        }

        // A viewport holds exactly the world's features whose point is inside it.
        for bbox in [
            [170.0, -25.0, -170.0, -10.0],
            [80.0, 26.0, 82.0, 28.0],
            [-180.0, 80.0, 180.0, 90.0],
            [-10.0, -60.0, 40.0, 10.0],
        ] {
            let [w, s, e, n] = bbox;
            let got = app.get_ok(&format!("/v1/clusters?bbox={w},{s},{e},{n}&zoom={zoom}")).await;
            let mut got: Vec<String> = got["features"].as_array().unwrap().iter().map(feature_key).collect();
            let mut want: Vec<String> =
                features.iter().filter(|f| in_box(bbox, point(f))).map(feature_key).collect();
            got.sort();
            want.sort();
            assert_eq!(got, want, "zoom {zoom} bbox {bbox:?}");
        }

        // At its expansion zoom, a cluster's providers are in at least two features.
        if [0, 6, 14].contains(&zoom) {
            for f in features.iter().filter(|f| f["properties"]["cluster"] == true).take(4) {
                let ez = f["properties"]["expansion_zoom"].as_u64().unwrap();
                let id = f["properties"]["cluster_id"].as_str().unwrap();
                let members: HashSet<i64> = leaves(&app, id, "", 500).await.into_iter().collect();
                let extent = members.iter().fold([f64::MAX, f64::MAX, f64::MIN, f64::MIN], |e, i| {
                    let lat = all[i].lat.clamp(-MERCATOR_LAT, MERCATOR_LAT);
                    [e[0].min(all[i].lon), e[1].min(lat), e[2].max(all[i].lon), e[3].max(lat)]
                });
                let deeper = app.get_ok(&format!("/v1/clusters?bbox={WORLD}&zoom={ez}")).await;
                let mut parts = 0;
                for g in deeper["features"].as_array().unwrap() {
                    // Only features inside the members' extent can hold members (a child sits
                    // at a weighted centre of some of them).
                    let (lon, lat) = point(g);
                    let lat = lat.clamp(-MERCATOR_LAT, MERCATOR_LAT);
                    let inside = |lo: f64, hi: f64, v: f64| v >= lo - 1e-6 && v <= hi + 1e-6;
                    if !inside(extent[0], extent[2], lon) || !inside(extent[1], extent[3], lat) {
                        continue;
                    }
                    let ids = ids_of(&app, g, "").await;
                    if ids.iter().any(|i| members.contains(i)) {
                        assert!(ids.iter().all(|i| members.contains(i)), "a child lies within its parent");
                        parts += ids.len();
                        assert!(ids.len() < members.len(), "cluster {id} splits at zoom {ez}");
                    }
                }
                assert_eq!(parts, members.len(), "cluster {id}'s members are all near it at zoom {ez}");
            }
        }
    }
    assert!(clusters_seen > 50, "the fixture makes clusters: {clusters_seen}");
}

#[tokio::test]
async fn filtered_clusters_hold_exactly_the_matching_providers() {
    let fixture = fixtures::generate(1200, SEED + 1);
    let app = TestApp::spawn(&fixture.csv).await;
    let all = listing(&app).await;
    let filters: [(&str, Keep); 3] = [
        ("&category=shelter,legal_aid", |p| p.categories.iter().any(|c| c == "shelter" || c == "legal_aid")),
        ("&language=hi&open_24_7=true", |p| p.open_24_7 && p.languages.iter().any(|l| l == "hi")),
        ("&category=helpline&language=ta,bn", |p| {
            p.categories.iter().any(|c| c == "helpline") && p.languages.iter().any(|l| l == "ta" || l == "bn")
        }),
    ];
    for (filter, keep) in filters {
        let expected: HashSet<i64> = all.iter().filter(|(_, p)| keep(p)).map(|(id, _)| *id).collect();
        assert!(expected.len() > 10 && expected.len() < all.len(), "{filter}: {} match", expected.len());
        for zoom in [0u8, 5, 10, 19] {
            check_partition(&app, &all, &expected, zoom, filter).await;
        }
    }
    assert!(CATEGORIES.contains(&"legal_aid"));
}

#[tokio::test]
async fn leaves_page_and_refuse_stale_or_mismatched_ids() {
    let fixture = fixtures::generate(1000, SEED + 2);
    let app = TestApp::spawn(&fixture.csv).await;
    let body = app.get_ok(&format!("/v1/clusters?bbox={WORLD}&zoom=1")).await;
    let big = body["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["properties"]["cluster"] == true)
        .max_by_key(|f| f["properties"]["count"].as_u64().unwrap())
        .expect("a cluster at zoom 1")
        .clone();
    let id = big["properties"]["cluster_id"].as_str().unwrap().to_string();
    let count = big["properties"]["count"].as_u64().unwrap() as usize;
    assert!(count > 20, "a big cluster: {count}");

    let whole = leaves(&app, &id, "", 500).await;
    let paged = leaves(&app, &id, "", 7).await;
    assert_eq!(whole.len(), count);
    assert_eq!(paged, whole, "paging returns the same providers in the same order");
    assert!(whole.windows(2).all(|w| w[0] < w[1]), "leaves come by id");
    let geo = app.get_ok(&format!("/v1/clusters/{id}/leaves?format=geojson&limit=3")).await;
    assert_eq!(geo["type"], "FeatureCollection");
    assert_eq!(geo["total"].as_u64().unwrap() as usize, count);

    // Other filters than the cluster was made with.
    assert_problem(
        app.get(&format!("/v1/clusters/{id}/leaves?category=shelter")).await,
        400,
        Some("cluster_id"),
    )
    .await;
    for bad in ["x", "1.all", "a.all.3", "1.all.-3", "1.all.3.4"] {
        assert_problem(app.get(&format!("/v1/clusters/{bad}/leaves")).await, 400, Some("cluster_id")).await;
    }
    let unknown = format!("{}.999999", id.rsplit_once('.').unwrap().0);
    assert_problem(app.get(&format!("/v1/clusters/{unknown}/leaves")).await, 404, None).await;
    let cursor = app.get_ok(&format!("/v1/clusters/{id}/leaves?limit=2")).await["next_cursor"]
        .as_str()
        .unwrap()
        .to_string();

    // After the directory changes, the old id is refused instead of naming another cluster.
    let extra = format!(
        "{}\nnew-1,Added Later,,,shelter,10,10,,,false,,,,,,IN,,,,,,,,,false,,,,,active\n",
        crate::helpers::CSV_HEADER
    );
    let report = app.service.import_csv(extra.as_bytes(), false).unwrap();
    assert_eq!(report.created, 1);
    assert_problem(app.get(&format!("/v1/clusters/{id}/leaves")).await, 404, None).await;
    assert_problem(app.get(&format!("/v1/clusters/{id}/leaves?limit=2&cursor={cursor}")).await, 404, None)
        .await;
}

#[tokio::test]
async fn bad_cluster_requests_are_problems_naming_the_field() {
    let fixture = fixtures::generate(1000, SEED + 3);
    let app = TestApp::spawn(&fixture.csv).await;
    for (query, field) in [
        ("zoom=3", "bbox"),
        (&format!("bbox={WORLD}") as &str, "zoom"),
        (&format!("bbox={WORLD}&zoom=-1"), "zoom"),
        (&format!("bbox={WORLD}&zoom=31"), "zoom"),
        (&format!("bbox={WORLD}&zoom=NaN"), "zoom"),
        (&format!("bbox={WORLD}&zoom=x"), "zoom"),
        ("bbox=1,2,3&zoom=3", "bbox"),
        ("bbox=0,10,5,5&zoom=3", "bbox"),
        ("bbox=-200,0,10,10&zoom=3", "bbox"),
        (&format!("bbox={WORLD}&zoom=3&category=castle"), "category"),
        (&format!("bbox={WORLD}&zoom=3&open_24_7=maybe"), "open_24_7"),
        (&format!("bbox={WORLD}&zoom=3&lat=5"), "lat"),
    ] {
        assert_problem(app.get(&format!("/v1/clusters?{query}")).await, 400, Some(field)).await;
    }
    assert_problem(app.post_json("/v1/clusters", &serde_json::json!({})).await, 405, None).await;
    // Fractional zooms are floored; zooms past 19 are the leaf level.
    let a = app.get_ok(&format!("/v1/clusters?bbox={WORLD}&zoom=3.7")).await;
    let b = app.get_ok(&format!("/v1/clusters?bbox={WORLD}&zoom=3")).await;
    assert_eq!(a["features"], b["features"]);
    let deep = app.get_ok(&format!("/v1/clusters?bbox={WORLD}&zoom=25")).await;
    assert_eq!(deep["zoom"], 19);
    let res = app.get(&format!("/v1/clusters?bbox={WORLD}&zoom=0")).await;
    assert_eq!(res.headers()["content-type"], "application/geo+json");
    assert_eq!(res.headers()["cache-control"], "no-store");
}

/// One answer holds at most 5,000 features: a box too big for its zoom is refused, naming bbox.
#[tokio::test]
async fn a_box_with_too_many_features_is_refused() {
    let fixture = fixtures::generate(5_400, SEED + 4);
    let app = TestApp::spawn(&fixture.csv).await;
    let res = app.get(&format!("/v1/clusters?bbox={WORLD}&zoom=19")).await;
    let body = assert_problem(res, 400, Some("bbox")).await;
    assert!(body["detail"].as_str().unwrap().contains("5000") || body.to_string().contains("5000"), "{body}");
    app.get_ok(&format!("/v1/clusters?bbox={WORLD}&zoom=4")).await;
}
