//! Several instances on one database (SQLite file or PostgreSQL, whichever the suite is on): a
//! change through any of them, or through a service opened beside them, reaches every other
//! within 2 s; references issued by one work on the others; concurrent imports are serialised.

use crate::helpers::{TestApp, TestDatabase, ok_json};
use bellmap::model::Role;
use bellmap::service::Service;
use serde_json::Value;
use std::time::{Duration, Instant};

/// The bound for a committed change to reach every instance.
const REACH: Duration = Duration::from_secs(2);

const SEED: &str = "external_id,name,categories,lat,lon,country\n\
    s-1,Sample Shelter One,shelter,26.83,80.91,IN\n\
    s-2,Sample Helpline Two,helpline,26.86,80.95,IN\n\
    s-3,Sample Legal Three,legal_aid,26.80,80.90,IN\n";

/// An admin token, stored in the one database, so it is valid on every instance.
fn admin_token(app: &TestApp) -> String {
    app.db().create_token("instances-admin", Role::Admin, "test").unwrap()
}

async fn import(app: &TestApp, token: &str, csv: &str) -> Value {
    ok_json(app.import_csv("", token, csv).await, "import").await
}

/// The names of the providers `app` serves in the seed's area.
async fn names(app: &TestApp) -> Vec<String> {
    let page = app.get_ok("/v1/providers?bbox=80,26,82,28&limit=100").await;
    let mut names: Vec<String> =
        page["items"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap().to_string()).collect();
    names.sort();
    names
}

/// Polls `app` until it serves `name`; fails when that takes longer than `REACH` from `since`.
async fn wait_for_name(app: &TestApp, name: &str, since: Instant) {
    loop {
        if names(app).await.iter().any(|n| n == name) {
            return;
        }
        assert!(since.elapsed() < REACH, "{name} not served by {} within {REACH:?}", app.addr);
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[tokio::test]
async fn an_import_through_one_instance_reaches_the_other_and_its_references_work_there() {
    let a = TestApp::spawn(SEED).await;
    let b = a.spawn_on_same_database().await;
    let token = admin_token(&a);

    let csv = format!("{SEED}s-4,Sample Counselling Four,counselling,26.82,80.93,IN\n");
    let report = import(&a, &token, &csv).await;
    let committed = Instant::now();
    assert_eq!((report["created"].as_u64(), report["unchanged"].as_u64()), (Some(1), Some(3)), "{report}");
    assert!(names(&a).await.contains(&"Sample Counselling Four".to_string()), "A publishes its own import");
    wait_for_name(&b, "Sample Counselling Four", committed).await;
    let version = a.service.index().version();
    assert_eq!(b.service.index().version(), version, "one database, one snapshot version");

    // A's cursor pages on B exactly as on A.
    let first = a.get_ok("/v1/providers?bbox=80,26,82,28&limit=2").await;
    let cursor = first["next_cursor"].as_str().expect("four providers, pages of two").to_string();
    let next = format!("/v1/providers?bbox=80,26,82,28&limit=2&cursor={cursor}");
    let on_a = a.get_ok(&next).await;
    assert_eq!(on_a["items"].as_array().unwrap().len(), 2);
    assert_eq!(b.get_ok(&next).await, on_a, "A's cursor gives B the same next page");

    // A's cluster id names the same leaves on B.
    let clusters = a.get_ok("/v1/clusters?bbox=80,26,82,28&zoom=3").await;
    let cluster = clusters["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["cluster"] == true)
        .expect("four providers a few km apart cluster at zoom 3")["properties"]["cluster_id"]
        .as_str()
        .unwrap()
        .to_string();
    let leaves = format!("/v1/clusters/{cluster}/leaves");
    let leaves_a = a.get_ok(&leaves).await;
    assert_eq!(leaves_a["items"].as_array().unwrap().len(), 4, "{leaves_a}");
    assert_eq!(b.get_ok(&leaves).await, leaves_a, "A's cluster id works on B");
}

/// A file of `n` new rows tagged `tag`, plus the seed's first row renamed to `shared`.
fn file(tag: &str, n: usize, shared: &str) -> String {
    let mut csv = SEED.replace("Sample Shelter One", shared);
    for i in 0..n {
        csv.push_str(&format!("{tag}-{i},Sample {tag} {i},shelter,27.{i}1,81.{i}2,IN\n"));
    }
    csv
}

/// What a comparison of two stores looks at: everything but timestamps.
fn stored(db: &bellmap::db::Db) -> Vec<(i64, String, String, f64, f64, String)> {
    db.load_all()
        .unwrap()
        .into_iter()
        .map(|p| {
            let at = p.data.location.reveal();
            (p.id.0, p.data.external_id, p.data.name, at.lat, at.lon, p.data.status.as_str().to_string())
        })
        .collect()
}

#[tokio::test]
async fn two_imports_through_two_instances_at_once_are_serialised_with_both_reports_right() {
    let a = TestApp::spawn(SEED).await;
    let b = a.spawn_on_same_database().await;
    let token = admin_token(&a);
    let (file_a, file_b) = (file("alpha", 3, "Sample Shelter A"), file("beta", 4, "Sample Shelter B"));

    let (report_a, report_b) = tokio::join!(import(&a, &token, &file_a), import(&b, &token, &file_b));
    let counts = |r: &Value| (r["created"].as_u64(), r["updated"].as_u64(), r["unchanged"].as_u64());
    assert_eq!(counts(&report_a), (Some(3), Some(1), Some(2)), "A's report is A's file's: {report_a}");
    assert_eq!(counts(&report_b), (Some(4), Some(1), Some(2)), "B's report is B's file's: {report_b}");
    let (id_a, id_b) = (report_a["import_id"].as_i64().unwrap(), report_b["import_id"].as_i64().unwrap());
    let (low, high) = (id_a.min(id_b), id_a.max(id_b));
    assert_eq!(high, low + 1, "distinct, consecutive import ids: {id_a}, {id_b}");
    assert_eq!(low, 2, "the seed was import 1");

    // The same two files applied one after the other, in the order of their ids, to a fresh store.
    let replay = TestDatabase::new();
    let service = Service::open(replay.open()).unwrap();
    let in_order = if id_a < id_b { [SEED, &file_a, &file_b] } else { [SEED, &file_b, &file_a] };
    for csv in in_order {
        assert!(service.import_csv(csv.as_bytes(), false).unwrap().written);
    }
    assert_eq!(stored(a.db()), stored(&replay.open()), "the result is the two imports one after the other");
    let last = if id_a < id_b { "Sample Shelter B" } else { "Sample Shelter A" };
    let since = Instant::now();
    for app in [&a, &b] {
        wait_for_name(app, last, since).await;
        assert_eq!(names(app).await.len(), 3 + 3 + 4, "every row of both files is served");
    }
}

#[tokio::test]
async fn a_write_by_a_service_beside_the_instances_reaches_both_within_two_seconds() {
    let a = TestApp::spawn(SEED).await;
    let b = a.spawn_on_same_database().await;
    // As the CLI does: its own service on the database URL.
    let cli = Service::without_snapshot(bellmap::db::Db::open(&a.database_url()).unwrap());
    let csv = format!("{SEED}s-5,Sample Clinic Five,medical,26.84,80.92,IN\n");
    assert_eq!(cli.import_csv(csv.as_bytes(), false).unwrap().created, 1);
    let committed = Instant::now();
    wait_for_name(&a, "Sample Clinic Five", committed).await;
    wait_for_name(&b, "Sample Clinic Five", committed).await;
}
