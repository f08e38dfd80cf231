//! OGC API – Features under /ogc: the metadata documents, and items checked against a
//! brute-force scan of the providers as the public /v1 listing serves them (bbox across 180°
//! and at the poles, datetime, filters, CQL2 text and JSON, S_INTERSECTS), paging that visits
//! every match once, and every bad parameter a 400 naming it.

use crate::fixtures;
use crate::helpers::{TestApp, assert_problem, ok_json};
use crate::spatial::{OraclePolygon, bbox_contains};
use bellmap::model::Role;
use serde_json::{Value, json};
use std::collections::HashSet;

const N: usize = 1500;
const SEED: u64 = 0x0ac_f00d;
const ITEMS: &str = "/ogc/collections/providers/items";

/// A provider as /v1 serves it publicly.
#[derive(Debug, Clone)]
struct Public {
    id: i64,
    name: String,
    lat: f64,
    lon: f64,
    categories: Vec<String>,
    languages: Vec<String>,
    open_24_7: bool,
    confidential: bool,
    updated_at: String,
    locality: Option<String>,
}

/// Every active provider as the public /v1 listing serves it, by id.
async fn public_world(app: &TestApp) -> Vec<Public> {
    let mut out = Vec::new();
    let first = "/v1/providers?bbox=-180,-90,180,90&limit=500";
    let mut url = first.to_string();
    loop {
        let body = app.get_ok(&url).await;
        for v in body["items"].as_array().unwrap() {
            let strings = |k: &str| -> Vec<String> {
                v[k].as_array().unwrap().iter().map(|s| s.as_str().unwrap().to_string()).collect()
            };
            out.push(Public {
                id: v["id"].as_i64().unwrap(),
                name: v["name"].as_str().unwrap().to_string(),
                lat: v["lat"].as_f64().unwrap(),
                lon: v["lon"].as_f64().unwrap(),
                categories: strings("categories"),
                languages: strings("languages"),
                open_24_7: v["open_24_7"].as_bool().unwrap(),
                confidential: v["confidential"].as_bool().unwrap(),
                updated_at: v["updated_at"].as_str().unwrap().to_string(),
                locality: v["locality"].as_str().map(String::from),
            });
        }
        match body["next_cursor"].as_str() {
            Some(c) => url = format!("{first}&cursor={c}"),
            None => return out,
        }
    }
}

/// Follows `next` links from `path`; checks numberMatched on every page, numberReturned, the
/// limit and each id once; returns the ids in order.
async fn all_pages(app: &TestApp, path: &str) -> (Vec<i64>, u64) {
    let mut url = app.url(path);
    let mut ids: Vec<i64> = Vec::new();
    let mut matched: Option<u64> = None;
    for _ in 0..10_000 {
        let res = app.client.get(&url).send().await.unwrap();
        let status = res.status();
        let ct = res.headers()["content-type"].to_str().unwrap().to_string();
        let text = res.text().await.unwrap();
        assert_eq!(status, 200, "{url}: {text}");
        assert_eq!(ct, "application/geo+json", "{url}");
        let body: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(body["type"], "FeatureCollection");
        let features = body["features"].as_array().unwrap();
        let m = body["numberMatched"].as_u64().unwrap();
        assert_eq!(*matched.get_or_insert(m), m, "{url}: numberMatched changed between pages");
        assert_eq!(body["numberReturned"].as_u64(), Some(features.len() as u64), "{url}");
        assert!(body["timeStamp"].as_str().is_some_and(|t| t.ends_with('Z')), "{url}: {}", body["timeStamp"]);
        let links = body["links"].as_array().unwrap();
        let rel =
            |r: &str| links.iter().find(|l| l["rel"] == r).and_then(|l| l["href"].as_str()).map(String::from);
        assert!(rel("self").is_some() && rel("alternate").is_some(), "{url}: {}", body["links"]);
        for f in features {
            assert_eq!(f["type"], "Feature");
            assert_eq!(f["geometry"]["type"], "Point");
            ids.push(f["id"].as_i64().unwrap());
        }
        match rel("next") {
            Some(next) => {
                assert!(!features.is_empty(), "{url}: an empty page with a next link");
                url = next;
            }
            None => {
                let unique: HashSet<i64> = ids.iter().copied().collect();
                assert_eq!(unique.len(), ids.len(), "{path}: an item came twice");
                assert_eq!(ids.len() as u64, m, "{path}: numberMatched equals the items of all pages");
                return (ids, m);
            }
        }
    }
    panic!("{path}: paging does not end");
}

/// A brute-force test of one provider.
type Keep<'a> = Box<dyn Fn(&Public) -> bool + 'a>;

fn ids_where(world: &[Public], keep: impl Fn(&Public) -> bool) -> Vec<i64> {
    world.iter().filter(|p| keep(p)).map(|p| p.id).collect()
}

/// Edits each provider of `ids` through the admin API (so each has an `updated_at` of its own),
/// and waits until the public listing shows the edit.
async fn edit(app: &TestApp, ids: &[i64]) {
    let token = app.db().create_token("ogc-editor", Role::Admin, "test").unwrap();
    for (n, id) in ids.iter().enumerate() {
        let description = format!("Edited for the datetime test, {n}");
        let res = app
            .client
            .patch(app.url(&format!("/v1/admin/providers/{id}")))
            .bearer_auth(&token)
            .json(&json!({"description": description}))
            .send()
            .await
            .unwrap();
        ok_json(res, "patch").await;
        for _ in 0..100 {
            let served = app.get_ok(&format!("/v1/providers/{id}")).await;
            if served["description"] == description.as_str() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
}

fn enc(s: &str) -> String {
    serde_urlencoded::to_string([("x", s)]).unwrap()[2..].to_string()
}

#[tokio::test]
async fn metadata_documents_link_up_and_declare_what_is_implemented() {
    let fixture = fixtures::generate(1000, SEED);
    let app = TestApp::spawn(&fixture.csv).await;
    let world = public_world(&app).await;
    for path in ["/ogc", "/ogc/"] {
        let res =
            app.client.get(app.url(path)).header("origin", "https://gis.example.org").send().await.unwrap();
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "application/json");
        assert_eq!(res.headers()["access-control-allow-origin"], "*", "CORS like /v1");
        let body: Value = res.json().await.unwrap();
        let rels: Vec<&str> =
            body["links"].as_array().unwrap().iter().map(|l| l["rel"].as_str().unwrap()).collect();
        for want in ["self", "service-desc", "service-doc", "conformance", "data"] {
            assert!(rels.contains(&want), "{path}: no {want} link: {body}");
        }
        let desc = body["links"].as_array().unwrap().iter().find(|l| l["rel"] == "service-desc").unwrap();
        assert_eq!(desc["href"], app.url("/ogc/api"));
        assert_eq!(desc["type"], "application/vnd.oai.openapi+json;version=3.0");
    }
    let conf = app.get_ok("/ogc/conformance").await;
    let classes: Vec<&str> =
        conf["conformsTo"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    for want in [
        "ogcapi-features-1/1.0/conf/core",
        "ogcapi-features-1/1.0/conf/geojson",
        "ogcapi-features-1/1.0/conf/oas30",
        "cql2/1.0/conf/basic-cql2",
    ] {
        assert!(classes.iter().any(|c| c.ends_with(want)), "{want} in {classes:?}");
    }
    assert!(!classes.iter().any(|c| c.ends_with("/html")), "HTML is not served, so not declared");

    let cols = app.get_ok("/ogc/collections").await;
    assert_eq!(cols["collections"].as_array().unwrap().len(), 1);
    let col = app.get_ok("/ogc/collections/providers").await;
    assert_eq!(cols["collections"][0]["id"], col["id"]);
    assert_eq!(col["id"], "providers");
    assert_eq!(col["itemType"], "feature");
    let crs84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
    assert_eq!(col["crs"], json!([crs84]));
    assert_eq!(col["storageCrs"], crs84);
    // The extent is the box of the public points.
    let b = &col["extent"]["spatial"]["bbox"][0];
    let fold = |f: fn(f64, f64) -> f64, init: f64, g: fn(&Public) -> f64| world.iter().map(g).fold(init, f);
    assert_eq!(b[0].as_f64(), Some(fold(f64::min, f64::INFINITY, |p| p.lon)));
    assert_eq!(b[1].as_f64(), Some(fold(f64::min, f64::INFINITY, |p| p.lat)));
    assert_eq!(b[2].as_f64(), Some(fold(f64::max, f64::NEG_INFINITY, |p| p.lon)));
    assert_eq!(b[3].as_f64(), Some(fold(f64::max, f64::NEG_INFINITY, |p| p.lat)));
    assert!(col["title"].is_string() && col["description"].is_string());

    let res = app.get("/ogc/collections/providers/queryables").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/schema+json");
    let q: Value = res.json().await.unwrap();
    let props = q["properties"].as_object().unwrap();
    for want in ["geometry", "name", "category", "open_24_7", "updated_at", "confidential"] {
        assert!(props.contains_key(want), "{want} is queryable");
    }
    for never in ["exact_lat", "exact_lon", "intake_phone", "lat", "lon"] {
        assert!(!props.contains_key(never), "{never} must not be queryable");
    }

    let res = app.get("/ogc/api").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/vnd.oai.openapi+json;version=3.0");
    let api: Value = res.json().await.unwrap();
    assert_eq!(api["openapi"], "3.0.3");
    assert_eq!(api["servers"][0]["url"], "/ogc", "paths are relative to /ogc");
    for path in ["/", "/conformance", "/collections/{collectionId}/items/{featureId}"] {
        assert!(api["paths"][path].is_object(), "{path} is documented");
    }
    // The main spec (3.1) documents them too.
    let main = app.get_ok("/openapi.json").await;
    assert!(main["paths"]["/ogc/collections/{collectionId}/items"].is_object());

    for path in [
        "/ogc/collections/nope",
        "/ogc/collections/nope/items",
        "/ogc/collections/nope/items/1",
        "/ogc/collections/nope/queryables",
    ] {
        assert_problem(app.get(path).await, 404, None).await;
    }
    for path in ["/ogc?f=html", "/ogc/conformance?f=xml", "/ogc/collections?f=html"] {
        assert_problem(app.get(path).await, 400, Some("f")).await;
    }
    assert_problem(app.get("/ogc/collections?bbox=1,2,3,4").await, 400, Some("bbox")).await;
}

#[tokio::test]
async fn items_are_the_brute_force_answer() {
    let fixture = fixtures::generate(N, SEED);
    let app = TestApp::spawn(&fixture.csv).await;
    let before = public_world(&app).await;
    // Three providers edited one after another: four instants of updated_at in all.
    edit(&app, &[before[3].id, before[50].id, before[500].id]).await;
    let world = public_world(&app).await;
    assert_eq!(world.len(), fixture.providers.iter().filter(|g| g.active).count());

    // Everything, paged with a small limit.
    let (ids, matched) = all_pages(&app, &format!("{ITEMS}?limit=97")).await;
    assert_eq!(ids, ids_where(&world, |_| true), "every active provider once, by id");
    assert_eq!(matched as usize, world.len());
    // The default page and the largest.
    let first = app.get_ok(ITEMS).await;
    assert_eq!(first["numberReturned"], 100);
    let big = app.get_ok(&format!("{ITEMS}?limit=1000")).await;
    assert_eq!(big["numberReturned"].as_u64(), Some(world.len().min(1000) as u64));

    // Boxes: ordinary, across 180° (both ways of writing it), touching each pole, the world,
    // a box that is only the antimeridian, and an empty one.
    let boxes: [[f64; 4]; 9] = [
        [80.5, 26.5, 81.5, 27.2],
        [170.0, -25.0, -170.0, -10.0],
        [179.0, -90.0, -179.0, 90.0],
        [-180.0, 85.0, 180.0, 90.0],
        [0.0, -90.0, 10.0, -80.0],
        [-180.0, -90.0, 180.0, 90.0],
        [180.0, -90.0, 180.0, 90.0],
        [-180.0, -30.0, -179.5, 60.0],
        [10.0, 10.0, 10.0001, 10.0001],
    ];
    for b in boxes {
        let q = format!("{},{},{},{}", b[0], b[1], b[2], b[3]);
        let want = ids_where(&world, |p| bbox_contains(b, p.lat, p.lon));
        let (got, _) = all_pages(&app, &format!("{ITEMS}?bbox={q}&limit=250")).await;
        assert_eq!(got, want, "bbox {q}");
        // With the filters as simple parameters.
        let want = ids_where(&world, |p| {
            bbox_contains(b, p.lat, p.lon)
                && p.categories.iter().any(|c| c == "shelter" || c == "helpline")
                && p.open_24_7
        });
        let (got, _) =
            all_pages(&app, &format!("{ITEMS}?bbox={q}&category=shelter,helpline&open_24_7=true")).await;
        assert_eq!(got, want, "bbox {q} with filters");
    }
    assert!(ids_where(&world, |p| bbox_contains(boxes[1], p.lat, p.lon)).len() > 20, "Fiji is in the data");

    let want = ids_where(&world, |p| p.languages.iter().any(|l| l == "ta") && !p.open_24_7);
    let (got, _) = all_pages(&app, &format!("{ITEMS}?language=ta&open_24_7=false")).await;
    assert_eq!(got, want, "language and open_24_7");

    // datetime on updated_at: every provider's own instant, before and after.
    let mut times: Vec<&str> = world.iter().map(|p| p.updated_at.as_str()).collect();
    times.sort_unstable();
    times.dedup();
    assert!(times.len() >= 4, "the edits have instants of their own: {times:?}");
    let probes = [times[0], times[1], times[times.len() - 2], times[times.len() - 1]];
    let parse =
        |t: &str| time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339).unwrap();
    for t in probes {
        let at = parse(t);
        let cases: [(String, Keep<'_>); 3] = [
            (t.to_string(), Box::new(move |p: &Public| parse(&p.updated_at) == at)),
            (format!("{t}/.."), Box::new(move |p: &Public| parse(&p.updated_at) >= at)),
            (format!("../{t}"), Box::new(move |p: &Public| parse(&p.updated_at) <= at)),
        ];
        for (dt, keep) in cases {
            let (got, _) = all_pages(&app, &format!("{ITEMS}?datetime={}&limit=1000", enc(&dt))).await;
            assert_eq!(got, ids_where(&world, keep), "datetime={dt}");
        }
    }
    let (got, _) =
        all_pages(&app, &format!("{ITEMS}?datetime={}", enc("2000-01-01T00:00:00Z/2001-01-01T00:00:00Z")))
            .await;
    assert!(got.is_empty(), "nothing was updated in 2000");
    let (got, _) = all_pages(
        &app,
        &format!("{ITEMS}?datetime={}&limit=1000", enc("2000-01-01T00:00:00Z/2999-01-01T00:00:00Z")),
    )
    .await;
    assert_eq!(got.len(), world.len(), "everything was updated between 2000 and 2999");

    // CQL2: text and JSON, against the same brute force.
    let shelter_open = |p: &Public| p.categories.iter().any(|c| c == "shelter") && p.open_24_7;
    let lucknow: Vec<[f64; 2]> = vec![[80.6, 26.6], [81.3, 26.7], [81.1, 27.1], [80.7, 27.0], [80.6, 26.6]];
    let oracle = OraclePolygon::new(&vec![lucknow.clone()]);
    let fiji_box = [170.0, -25.0, -170.0, -10.0];
    let polygon_wkt = lucknow.iter().map(|[x, y]| format!("{x} {y}")).collect::<Vec<_>>().join(", ");
    let t_mid = probes[2];
    let cases: Vec<(String, &str, Keep<'_>)> = vec![
        ("category = 'shelter' AND open_24_7 = true".into(), "cql2-text", Box::new(shelter_open)),
        (
            json!({"op": "and", "args": [
                {"op": "=", "args": [{"property": "category"}, "shelter"]},
                {"op": "=", "args": [{"property": "open_24_7"}, true]}
            ]})
            .to_string(),
            "cql2-json",
            Box::new(shelter_open),
        ),
        ("NOT (open_24_7 = true) OR category <> 'police'".into(), "cql2-text", Box::new(|p: &Public| !p.open_24_7 || !p.categories.iter().any(|c| c == "police"))),
        ("confidential = true".into(), "cql2-text", Box::new(|p: &Public| p.confidential)),
        ("name LIKE 'Sample p00%'".into(), "cql2-text", Box::new(|p: &Public| p.name.starts_with("Sample p00"))),
        (
            "name LIKE '%1_3'".into(),
            "cql2-text",
            Box::new(|p: &Public| p.name.len() >= 3 && p.name.ends_with('3') && p.name[..p.name.len() - 2].ends_with('1')),
        ),
        (
            "category IN ('police', 'legal_aid') AND NOT (language IN ('hi'))".into(),
            "cql2-text",
            Box::new(|p: &Public| {
                p.categories.iter().any(|c| c == "police" || c == "legal_aid") && !p.languages.is_empty() && !p.languages.iter().any(|l| l == "hi")
            }),
        ),
        (
            format!("id BETWEEN {} AND {}", world[100].id, world[300].id),
            "cql2-text",
            Box::new({
                let (lo, hi) = (world[100].id, world[300].id);
                move |p: &Public| (lo..=hi).contains(&p.id)
            }),
        ),
        ("language IS NULL".into(), "cql2-text", Box::new(|p: &Public| p.languages.is_empty())),
        ("locality IS NULL".into(), "cql2-text", Box::new(|p: &Public| p.locality.is_none())),
        (format!("id >= {} AND id < {}", world[10].id, world[40].id), "cql2-text", Box::new({
            let (lo, hi) = (world[10].id, world[40].id);
            move |p: &Public| p.id >= lo && p.id < hi
        })),
        (format!("updated_at <= TIMESTAMP('{t_mid}')"), "cql2-text", Box::new(move |p: &Public| parse(&p.updated_at) <= parse(t_mid))),
        (format!("S_INTERSECTS(geometry, POLYGON(({polygon_wkt})))"), "cql2-text", Box::new(move |p: &Public| oracle.contains(p.lat, p.lon))),
        (
            json!({"op": "s_intersects", "args": [{"property": "geometry"}, {"type": "Polygon", "coordinates": [lucknow]}]}).to_string(),
            "cql2-json",
            Box::new({
                let oracle = OraclePolygon::new(&vec![lucknow.clone()]);
                move |p: &Public| oracle.contains(p.lat, p.lon)
            }),
        ),
        ("S_INTERSECTS(geometry, BBOX(170, -25, -170, -10)) AND category = 'shelter'".into(), "cql2-text", Box::new(move |p: &Public| bbox_contains(fiji_box, p.lat, p.lon) && p.categories.iter().any(|c| c == "shelter"))),
    ];
    let mut nonempty = 0;
    for (filter, lang, keep) in &cases {
        let want = ids_where(&world, keep);
        nonempty += usize::from(!want.is_empty());
        let (got, _) =
            all_pages(&app, &format!("{ITEMS}?filter={}&filter-lang={lang}&limit=500", enc(filter))).await;
        assert_eq!(got, want, "filter {filter}");
        // With a bbox and a simple filter too: all of them apply.
        let b = [80.5, 26.5, 81.5, 27.2];
        let want = ids_where(&world, |p| {
            keep(p) && bbox_contains(b, p.lat, p.lon) && p.categories.iter().any(|c| c == "helpline")
        });
        let path = format!(
            "{ITEMS}?filter={}&filter-lang={lang}&bbox=80.5,26.5,81.5,27.2&category=helpline",
            enc(filter)
        );
        let (got, _) = all_pages(&app, &path).await;
        assert_eq!(got, want, "filter {filter} in a box");
    }
    assert!(nonempty >= cases.len() - 1, "the filters select something");
}

#[tokio::test]
async fn paging_links_cursor_and_items_by_id() {
    let fixture = fixtures::generate(1000, SEED ^ 7);
    let app = TestApp::spawn(&fixture.csv).await;
    let world = public_world(&app).await;
    // Pages of 7: next then prev gives back the same page.
    let p1 = app.get_ok(&format!("{ITEMS}?limit=7&category=shelter")).await;
    let link = |body: &Value, rel: &str| -> Option<String> {
        body["links"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["rel"] == rel)
            .map(|l| l["href"].as_str().unwrap().to_string())
    };
    assert!(link(&p1, "prev").is_none(), "the first page has no prev");
    let next = link(&p1, "next").expect("a next link");
    assert!(next.contains("category=shelter") && next.contains("limit=7"), "{next}");
    let p2: Value = app.client.get(&next).send().await.unwrap().json().await.unwrap();
    let p3: Value = app.client.get(link(&p2, "next").unwrap()).send().await.unwrap().json().await.unwrap();
    let back: Value = app.client.get(link(&p3, "prev").unwrap()).send().await.unwrap().json().await.unwrap();
    assert_eq!(back["features"], p2["features"], "prev of page 3 is page 2");
    let back: Value = app.client.get(link(&p2, "prev").unwrap()).send().await.unwrap().json().await.unwrap();
    assert_eq!(back["features"], p1["features"], "prev of page 2 is page 1");
    // A cursor pages one snapshot: after a change it is refused, never silently shifted.
    let stale = link(&p2, "next").unwrap();
    edit(&app, &[world[0].id]).await;
    let res = app.client.get(&stale).send().await.unwrap();
    assert_problem(res, 400, Some("cursor")).await;
    let p1 = app.get_ok(&format!("{ITEMS}?limit=7&category=shelter")).await;
    let next = link(&p1, "next").expect("a next link");
    // A cursor only pages the query it came from.
    let cursor = next.split("cursor=").nth(1).unwrap();
    let other = format!("{ITEMS}?limit=7&category=helpline&cursor={cursor}");
    assert_problem(app.get(&other).await, 400, Some("cursor")).await;
    // f=json: the same body as application/json; the alternate link says so.
    let res = app.get(&format!("{ITEMS}?limit=7&category=shelter&f=json")).await;
    assert_eq!(res.headers()["content-type"], "application/json");
    assert_eq!(res.headers()["cache-control"], "no-store");
    let as_json: Value = res.json().await.unwrap();
    assert_eq!(as_json["features"], p1["features"]);
    let alt = p1["links"].as_array().unwrap().iter().find(|l| l["rel"] == "alternate").unwrap();
    assert_eq!(alt["type"], "application/json");

    // Items by id: the same feature as in the list; inactive, unknown and non-numeric are 404.
    for f in p1["features"].as_array().unwrap() {
        let id = f["id"].as_i64().unwrap();
        let path = format!("{ITEMS}/{id}");
        let res = app.get(&path).await;
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "application/geo+json");
        assert_eq!(res.headers()["cache-control"], "no-store");
        let mut one: Value = res.json().await.unwrap();
        assert!(one["links"].as_array().unwrap().iter().any(|l| l["rel"] == "self"));
        one.as_object_mut().unwrap().remove("links");
        let (mut a, mut b) = (one, f.clone());
        for v in [&mut a, &mut b] {
            let props = v["properties"].as_object_mut().unwrap();
            props.remove("open_now");
            props.remove("next_change");
        }
        assert_eq!(a, b, "{path}");
    }
    let active: HashSet<i64> = world.iter().map(|p| p.id).collect();
    let all = app.db().load_all().unwrap();
    let inactive: Vec<i64> = all.iter().map(|p| p.id.0).filter(|id| !active.contains(id)).collect();
    assert!(!inactive.is_empty(), "the fixture has inactive providers");
    for id in &inactive {
        assert_problem(app.get(&format!("{ITEMS}/{id}")).await, 404, None).await;
    }
    let (listed, _) = all_pages(&app, &format!("{ITEMS}?limit=1000")).await;
    assert!(listed.iter().all(|id| !inactive.contains(id)), "inactive providers are not listed");
    let max = all.iter().map(|p| p.id.0).max().unwrap();
    for bad in [format!("{}", max + 1), "abc".into(), "-1".into(), "1.5".into()] {
        assert_problem(app.get(&format!("{ITEMS}/{bad}")).await, 404, None).await;
    }
    assert_problem(app.get(&format!("{ITEMS}/{}?f=xml", world[0].id)).await, 400, Some("f")).await;
    assert_problem(app.get(&format!("{ITEMS}/{}?bbox=1,2,3,4", world[0].id)).await, 400, Some("bbox")).await;
}

#[tokio::test]
async fn bad_parameters_are_problems_naming_them() {
    let app = TestApp::spawn(std::str::from_utf8(bellmap::app::SAMPLE_CSV).unwrap()).await;
    let cases: &[(&str, &str)] = &[
        ("limit=0", "limit"),
        ("limit=1001", "limit"),
        ("limit=-3", "limit"),
        ("limit=ten", "limit"),
        ("bbox=1,2,3", "bbox"),
        ("bbox=1,2,3,4,5,6", "bbox"),
        ("bbox=a,b,c,d", "bbox"),
        ("bbox=0,10,1,5", "bbox"),
        ("bbox=0,0,200,10", "bbox"),
        ("datetime=yesterday", "datetime"),
        ("datetime=2026-02-01T00:00:00Z/2026-01-01T00:00:00Z", "datetime"),
        ("datetime=../..", "datetime"),
        ("filter=name%20%3D", "filter"),
        ("filter=exact_lat%20%3E%200", "filter"),
        ("filter=intake_phone%20IS%20NULL", "filter"),
        ("filter=name%20%3D%203", "filter"),
        ("filter=S_INTERSECTS(geometry%2CLINESTRING(0%200%2C1%201))", "filter"),
        ("filter=S_INTERSECTS(geometry%2CPOLYGON((0%200%2C1%201%2C0%200)))", "filter"),
        ("filter=%7B%22op%22%3A1%7D&filter-lang=cql2-json", "filter"),
        ("filter=name%3D%27a%27&filter-lang=sql", "filter-lang"),
        ("category=unicorn", "category"),
        ("open_24_7=maybe", "open_24_7"),
        ("f=html", "f"),
        ("sortby=name", "sortby"),
        ("properties=name", "properties"),
        ("cursor=abc", "cursor"),
        ("limit=5&limit=6", "limit"),
    ];
    for (query, field) in cases {
        let path = format!("{ITEMS}?{query}");
        let res = app.get(&path).await;
        let body = assert_problem(res, 400, Some(field)).await;
        assert!(body["errors"].as_array().unwrap().iter().any(|e| e["field"] == *field), "{path}: {body}");
    }
    // A huge filter is refused, not parsed.
    let huge = format!("name = '{}'", "x".repeat(bellmap::http::ogc::MAX_FILTER_BYTES + 1));
    let res = app.client.get(app.url(ITEMS)).query(&[("filter", huge.as_str())]).send().await.unwrap();
    assert_problem(res, 400, Some("filter")).await;
    // So is a deeply nested one, in either language.
    let deep = format!("{}name = 'a'{}", "(".repeat(500), ")".repeat(500));
    let res = app.client.get(app.url(ITEMS)).query(&[("filter", deep.as_str())]).send().await.unwrap();
    assert_problem(res, 400, Some("filter")).await;
    let mut nested = json!({"op": "=", "args": [{"property": "name"}, "a"]});
    for _ in 0..300 {
        nested = json!({"op": "not", "args": [nested]});
    }
    let res = app
        .client
        .get(app.url(ITEMS))
        .query(&[("filter", nested.to_string().as_str()), ("filter-lang", "cql2-json")])
        .send()
        .await
        .unwrap();
    assert_problem(res, 400, Some("filter")).await;
}
