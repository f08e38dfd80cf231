//! Read replicas without replication: the "replica" is a second test database on the suite's
//! backend, brought up to date by replaying each import onto it through a service of its own.

use crate::helpers::{TestApp, TestDatabase, ok_json};
use bellmap::config::ServeArgs;
use bellmap::model::Role;
use bellmap::service::Service;
use serde_json::Value;
use std::sync::Arc;
use std::time::{Duration, Instant};

const SEED: &str = "external_id,name,categories,lat,lon,country\n\
    r-1,Sample Shelter One,shelter,26.83,80.91,IN\n\
    r-2,Sample Helpline Two,helpline,26.86,80.95,IN\n";

/// What one poll of the instance shows.
struct Seen {
    version: u64,
    has_new: bool,
    ready: Value,
}

async fn look(app: &TestApp, name: &str) -> Seen {
    // The page first: a snapshot published in between makes /ready newer, never older.
    let page = app.get_ok("/v1/providers?bbox=80,26,82,28&limit=100").await;
    let ready = app.get_ok("/ready").await;
    let has_new = page["items"].as_array().unwrap().iter().any(|p| p["name"] == name);
    Seen { version: ready["snapshot_version"].as_u64().unwrap(), has_new, ready }
}

#[tokio::test]
async fn a_replica_that_is_behind_holds_the_snapshot_until_it_has_the_change() {
    // Primary and replica seeded alike: the same import on two fresh databases.
    let replica = Arc::new(TestDatabase::new());
    let on_replica = Service::without_snapshot(replica.open());
    assert!(on_replica.import_csv(SEED.as_bytes(), false).unwrap().written);
    let app = TestApp::spawn_with_replica(SEED, replica.clone(), ServeArgs::default()).await;
    let start = look(&app, "").await;
    assert_eq!(start.ready["replica"]["behind_by"], 0, "seeded alike: {}", start.ready);
    assert_eq!(start.ready["replica"]["sequence"].as_u64(), Some(start.version), "{}", start.ready);
    assert_eq!(start.ready["providers"], 2);

    // An import through the instance writes the primary only.
    let token = app.db().create_token("replica-admin", Role::Admin, "test").unwrap();
    let csv = format!("{SEED}r-3,Sample Legal Three,legal_aid,26.80,80.90,IN\n");
    let report = ok_json(app.import_csv("", &token, &csv).await, "import").await;
    assert_eq!(report["created"], 1, "{report}");
    assert!(app.db().change_seq().unwrap() as u64 > start.version, "the primary moved on");

    // For 1.5 s (three polls and many retries) the replica has not got it: the snapshot stays.
    let held = Instant::now();
    let mut last = start.version;
    while held.elapsed() < Duration::from_millis(1500) {
        let seen = look(&app, "Sample Legal Three").await;
        assert!(!seen.has_new, "published before the replica had the change: {}", seen.ready);
        assert_eq!(seen.version, start.version, "{}", seen.ready);
        assert_eq!(seen.ready["replica"]["sequence"].as_u64(), Some(start.version), "{}", seen.ready);
        assert_eq!(
            seen.ready["replica"]["behind_by"], 1,
            "/ready says the replica is behind: {}",
            seen.ready
        );
        last = seen.version;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // Replicate by replaying the import; the change must then be served within 2 s.
    assert_eq!(on_replica.import_csv(csv.as_bytes(), false).unwrap().created, 1);
    let replayed = Instant::now();
    let seen = loop {
        let seen = look(&app, "Sample Legal Three").await;
        assert!(seen.version >= last, "the snapshot version went back from {last}: {}", seen.ready);
        last = seen.version;
        if seen.has_new {
            break seen;
        }
        assert!(replayed.elapsed() < Duration::from_secs(2), "not served 2 s after the replica had it");
        tokio::time::sleep(Duration::from_millis(25)).await;
    };
    assert_eq!(seen.version, app.db().change_seq().unwrap() as u64, "{}", seen.ready);
    // /ready's replica figures are those of the last read, which found the change.
    assert_eq!(seen.ready["replica"]["sequence"].as_u64(), Some(seen.version), "{}", seen.ready);
    assert_eq!(seen.ready["replica"]["behind_by"], 0, "{}", seen.ready);
    assert_eq!(seen.ready["providers"], 3);
}

#[tokio::test]
async fn without_a_replica_ready_says_null() {
    let app = TestApp::spawn(SEED).await;
    let ready = app.get_ok("/ready").await;
    assert!(ready["replica"].is_null(), "{ready}");
}

#[tokio::test]
async fn a_replica_whose_schema_is_behind_is_refused_at_start() {
    let primary = TestDatabase::new();
    let replica = TestDatabase::new();
    let args = ServeArgs {
        bind: "127.0.0.1:0".into(),
        database_read_url: Some(replica.url().to_string()),
        ..ServeArgs::default()
    };
    let err = bellmap::app::build(primary.url(), &args).err().expect("an empty replica is refused");
    let text = err.to_string();
    assert!(text.contains("read replica's schema is behind"), "{text}");
}

#[tokio::test]
async fn a_replica_part_way_there_publishes_the_change_waited_for_and_then_the_next() {
    let (primary, replica) = (TestDatabase::new(), TestDatabase::new());
    let (primary_db, replica_db) = (primary.open(), replica.open());
    let on_replica = Service::without_snapshot(replica_db.clone());
    for db in [&primary_db, &replica_db] {
        assert!(Service::without_snapshot(db.clone()).import_csv(SEED.as_bytes(), false).unwrap().written);
    }
    // No watch thread: every refresh here is explicit.
    let service = Service::open_with_replica(primary_db.clone(), replica_db.clone()).unwrap();
    let version = || service.index().version();
    let status = || service.replica_status().unwrap();
    let base = version();
    assert_eq!(
        (base, status().sequence, status().behind_by),
        (primary_db.change_seq().unwrap() as u64, base, 0)
    );
    let one = format!("{SEED}r-3,Sample Legal Three,legal_aid,26.80,80.90,IN\n");
    let two = format!("{one}r-4,Sample Clinic Four,medical,26.81,80.92,IN\n");

    // Two writes through the instance; the replica has neither.
    service.import_csv(one.as_bytes(), false).unwrap();
    let first = primary_db.change_seq().unwrap() as u64;
    service.import_csv(two.as_bytes(), false).unwrap();
    let second = primary_db.change_seq().unwrap() as u64;
    assert!(base < first && first < second);
    assert!(!service.refresh().unwrap(), "nothing to publish while the replica is behind");
    assert_eq!((version(), status().sequence, status().behind_by), (base, base, second - base));

    // The replica reaches the first: it is published, though the primary is further on.
    on_replica.import_csv(one.as_bytes(), false).unwrap();
    assert_eq!(replica_db.change_seq().unwrap() as u64, first, "replayed alike");
    assert!(service.refresh().unwrap(), "the change waited for is published");
    assert_eq!((version(), service.index().load().len()), (first, 3));
    assert_eq!((status().sequence, status().behind_by), (first, second - first));
    assert!(!service.refresh().unwrap(), "the next change is waited for");
    assert_eq!(version(), first);

    on_replica.import_csv(two.as_bytes(), false).unwrap();
    assert!(service.refresh().unwrap());
    assert_eq!((version(), service.index().load().len(), status().behind_by), (second, 4, 0));
}

#[tokio::test]
async fn an_instance_started_on_a_replica_that_is_behind_serves_its_state_then_catches_up() {
    // Migrated but empty: the primary is seeded at start, the replica not yet.
    let replica = Arc::new(TestDatabase::new());
    let on_replica = Service::without_snapshot(replica.open());
    let app = TestApp::spawn_with_replica(SEED, replica.clone(), ServeArgs::default()).await;
    let start = look(&app, "Sample Shelter One").await;
    assert!(!start.has_new, "nothing is served before the replica has it: {}", start.ready);
    assert_eq!(start.ready["providers"], 0, "{}", start.ready);
    assert!(start.ready["replica"]["behind_by"].as_u64().unwrap() > 0, "{}", start.ready);

    assert!(on_replica.import_csv(SEED.as_bytes(), false).unwrap().written);
    let replayed = Instant::now();
    while !look(&app, "Sample Shelter One").await.has_new {
        assert!(replayed.elapsed() < Duration::from_secs(2), "not served 2 s after the replica had it");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let ready = app.get_ok("/ready").await;
    assert_eq!((ready["providers"].as_u64(), ready["replica"]["behind_by"].as_u64()), (Some(2), Some(0)));
}
