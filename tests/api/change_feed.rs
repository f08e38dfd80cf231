//! `GET /v1/changes`: each provider changed after a point, once, at its latest change, with what
//! the change did; every kind of write shows, however many rows it wrote, and no entry runs ahead
//! of the public answers.

use crate::helpers::{CSV_HEADER, TestApp, assert_problem, ok_json};
use bellmap::model::Role;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

const SEED: &str = "external_id,name,categories,lat,lon,country,confidential,address\n\
    f-1,Feed Shelter One,shelter,26.83,80.91,IN,false,1 Open Lane\n\
    f-2,Feed Helpline Two,helpline,26.86,80.95,IN,false,\n\
    f-3,Feed Safe House Three,shelter,26.80,80.90,IN,true,3 Hidden Lane\n\
    f-4,Feed Legal Four,legal_aid,26.81,80.92,IN,false,\n";

fn admin_token(app: &TestApp) -> String {
    app.db().create_token("feed-admin", Role::Admin, "test").unwrap()
}

async fn send(app: &TestApp, token: &str, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
    let mut req = app.client.request(method, app.url(path)).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    ok_json(req.send().await.unwrap(), path).await
}

/// Every entry after `since`, following the cursors, with the `last_seq` of the first page.
async fn feed(app: &TestApp, since: i64, limit: usize) -> (Vec<(i64, String, i64)>, i64) {
    let first = format!("/v1/changes?since={since}&limit={limit}");
    let pages = app.get_pages(&first).await;
    let last_seq = pages[0]["last_seq"].as_i64().unwrap();
    let mut entries = Vec::new();
    for page in &pages {
        let items = page["items"].as_array().unwrap();
        assert!(items.len() <= limit, "a page holds at most limit entries");
        for e in items {
            let keys: BTreeSet<&str> = e.as_object().unwrap().keys().map(String::as_str).collect();
            assert_eq!(keys, BTreeSet::from(["id", "change", "seq"]), "an entry names a change only: {e}");
            entries.push((
                e["id"].as_i64().unwrap(),
                e["change"].as_str().unwrap().to_string(),
                e["seq"].as_i64().unwrap(),
            ));
        }
    }
    // In (seq, id) order, each provider once, and none past the answer's own bound.
    let order: Vec<(i64, i64)> = entries.iter().map(|(id, _, seq)| (*seq, *id)).collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "entries in (seq, id) order: {order:?}");
    let ids: BTreeSet<i64> = entries.iter().map(|e| e.0).collect();
    assert_eq!(ids.len(), entries.len(), "each provider once: {entries:?}");
    assert!(entries.iter().all(|(_, _, seq)| *seq > since && *seq <= last_seq), "{entries:?} after {since}");
    (entries, last_seq)
}

/// What the feed says of each provider, by id.
fn kinds(entries: &[(i64, String, i64)]) -> BTreeMap<i64, &str> {
    entries.iter().map(|(id, kind, _)| (*id, kind.as_str())).collect()
}

/// The ids of the active providers the public sees, by external id order of names.
async fn public_ids(app: &TestApp) -> BTreeMap<String, i64> {
    let page = app.get_ok("/v1/providers?bbox=80,26,82,28&limit=100").await;
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["name"].as_str().unwrap().to_string(), p["id"].as_i64().unwrap()))
        .collect()
}

#[tokio::test]
async fn every_write_shows_once_at_its_latest_change_and_paging_misses_nothing() {
    let app = TestApp::spawn(SEED).await;
    let token = admin_token(&app);
    let seeded = public_ids(&app).await;
    assert_eq!(seeded.len(), 4);

    // From 0: every provider, created, by the seed's one change; the answer is complete up to
    // the published snapshot.
    let (all, last) = feed(&app, 0, 1000).await;
    assert_eq!(last, app.service.index().version() as i64);
    assert_eq!(kinds(&all), seeded.values().map(|id| (*id, "created")).collect());
    let seed_seq = all[0].2;
    assert!(all.iter().all(|e| e.2 == seed_seq), "one import is one change: {all:?}");
    // Pages of one entry walk the same list: the seed is one change, paged inside it.
    assert_eq!(feed(&app, 0, 1).await.0, all);
    // Nothing after the last change.
    let (none, same) = feed(&app, last, 10).await;
    assert!(none.is_empty());
    assert_eq!(same, last);

    // An edit, a deactivation and a creation by the admin routes.
    let one = seeded["Feed Shelter One"];
    let two = seeded["Feed Helpline Two"];
    send(
        &app,
        &token,
        reqwest::Method::PATCH,
        &format!("/v1/admin/providers/{one}"),
        Some(json!({"name": "Feed Shelter One Renamed"})),
    )
    .await;
    send(&app, &token, reqwest::Method::POST, &format!("/v1/admin/providers/{two}/deactivate"), None).await;
    let body = json!({"external_id": "f-5", "name": "Feed Counselling Five", "categories": ["counselling"],
        "lat": 26.84, "lon": 80.93, "country": "IN"});
    let five = send(&app, &token, reqwest::Method::POST, "/v1/admin/providers", Some(body)).await["id"]
        .as_i64()
        .unwrap();
    let (edits, last_edits) = feed(&app, last, 1000).await;
    assert_eq!(kinds(&edits), BTreeMap::from([(one, "updated"), (two, "deactivated"), (five, "created")]));
    assert_eq!(
        edits.iter().map(|e| e.0).collect::<Vec<_>>(),
        vec![one, two, five],
        "in the order they happened"
    );
    assert_eq!(last_edits, app.service.index().version() as i64);

    // Reactivated is updated; and from 0, each provider once at its latest change.
    send(&app, &token, reqwest::Method::POST, &format!("/v1/admin/providers/{two}/reactivate"), None).await;
    let (all, _) = feed(&app, 0, 2).await;
    let mut expected: BTreeMap<i64, &str> = seeded.values().map(|id| (*id, "created")).collect();
    expected.extend([(one, "updated"), (two, "updated"), (five, "created")]);
    assert_eq!(kinds(&all), expected);

    // An import that creates two and updates one; then its revert, which deletes the two.
    let (_, before_import) = feed(&app, 0, 1000).await;
    let csv = format!(
        "{SEED}f-6,Feed Medical Six,medical,26.85,80.96,IN,false,\n\
         f-7,Feed Police Seven,police,26.87,80.97,IN,false,\n"
    )
    .replace("Feed Legal Four", "Feed Legal Four Moved");
    let report = ok_json(app.import_csv("", &token, &csv).await, "import").await;
    assert_eq!((report["created"].as_u64(), report["updated"].as_u64()), (Some(2), Some(2)), "{report}");
    let now = public_ids(&app).await;
    let (six, seven, four) =
        (now["Feed Medical Six"], now["Feed Police Seven"], now["Feed Legal Four Moved"]);
    let (imported, _) = feed(&app, before_import, 1000).await;
    // The seed names "Feed Shelter One", renamed since: the import writes it back.
    assert_eq!(
        kinds(&imported),
        BTreeMap::from([(one, "updated"), (four, "updated"), (six, "created"), (seven, "created")])
    );
    let import_seq = imported[0].2;
    assert!(imported.iter().all(|e| e.2 == import_seq));

    let id = report["import_id"].as_i64().unwrap();
    send(&app, &token, reqwest::Method::POST, &format!("/v1/admin/imports/{id}/revert"), None).await;
    let (reverted, _) = feed(&app, import_seq, 1000).await;
    assert_eq!(
        kinds(&reverted),
        BTreeMap::from([(one, "updated"), (four, "updated"), (six, "deleted"), (seven, "deleted")])
    );
    // A deleted provider stays in the feed from 0 (a mirror that saw it must learn it went),
    // and the public no longer serves it.
    let (all, _) = feed(&app, 0, 3).await;
    assert_eq!((kinds(&all)[&six], kinds(&all)[&seven]), ("deleted", "deleted"));
    assert_eq!(app.get(&format!("/v1/providers/{six}")).await.status(), 404);
}

#[tokio::test]
async fn a_change_of_more_rows_than_a_server_applies_one_by_one_is_listed_whole() {
    let app = TestApp::spawn(SEED).await;
    let token = admin_token(&app);
    let (_, before) = feed(&app, 0, 1000).await;
    // More rows than MARKED_MAX: such a change used to go unmarked (servers reload instead).
    let n = bellmap::db::MARKED_MAX + 7;
    let mut csv = format!("{CSV_HEADER}\n");
    let columns = CSV_HEADER.split(',').count();
    for i in 0..n {
        let mut cells = vec![String::new(); columns];
        let (lat, lon) = (20.0 + (i % 97) as f64 * 0.05, 75.0 + (i / 97) as f64 * 0.05);
        for (k, name) in CSV_HEADER.split(',').enumerate() {
            cells[k] = match name {
                "external_id" => format!("bulk-{i}"),
                "name" => format!("Bulk Provider {i}"),
                "categories" => "helpline".into(),
                "lat" => format!("{lat:.4}"),
                "lon" => format!("{lon:.4}"),
                "country" => "IN".into(),
                _ => String::new(),
            };
        }
        csv.push_str(&cells.join(","));
        csv.push('\n');
    }
    let report = ok_json(app.import_csv("", &token, &csv).await, "import").await;
    assert_eq!(report["created"].as_u64(), Some(n as u64), "{report}");
    let (bulk, _) = feed(&app, before, 10_000).await;
    assert_eq!(bulk.len(), n);
    assert!(bulk.iter().all(|(_, kind, _)| kind == "created"));
    let served = app.get_ok("/v1/providers?bbox=70,15,90,35&limit=1").await["total"].as_u64().unwrap();
    assert_eq!(served, (n + 4) as u64, "the feed lists what the public answers hold");
}

#[tokio::test]
async fn bad_positions_are_problems_naming_the_parameter() {
    let app = TestApp::spawn(SEED).await;
    for (query, field) in [
        ("since=-1", "since"),
        ("since=abc", "since"),
        ("since=1.5", "since"),
        ("limit=0", "limit"),
        ("limit=10001", "limit"),
        ("cursor=not-a-cursor", "cursor"),
        ("cursor=AAAA", "cursor"),
        ("after=3", "after"),
    ] {
        assert_problem(app.get(&format!("/v1/changes?{query}")).await, 400, Some(field)).await;
    }
}
