//! Every committed change reaches every running server: the change sequence, polled, is the
//! snapshot version, and the cursor key is stored in the database, so cursors and cluster ids mean
//! the same on every instance and after a restart.

use crate::helpers::{TestApp, assert_problem};
use serde_json::Value;
use std::time::{Duration, Instant};

const CSV: &str = "external_id,name,categories,lat,lon,country,confidential,address\n\
    door-1,Sample Shelter Door,shelter,26.834567,80.912378,IN,false,14 Open Lane\n\
    door-2,Sample Helpline,helpline,26.86,80.95,IN,false,\n\
    door-3,Sample Legal Aid,legal_aid,26.80,80.90,IN,false,\n";

fn cli(app: &TestApp, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_bellmap"))
        .args(args)
        .env("DATABASE_URL", app.database_url())
        .env_remove("RUST_LOG")
        .output()
        .expect("the bellmap binary runs")
}

async fn provider(app: &TestApp, id: i64) -> Value {
    app.get_ok(&format!("/v1/providers/{id}")).await
}

#[tokio::test]
async fn a_cli_import_reaches_the_running_server_within_two_seconds() {
    let app = TestApp::spawn(CSV).await;
    let id = app.get_ok("/v1/providers?bbox=80,26,81,27").await["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "Sample Shelter Door")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let before = provider(&app, id).await;
    assert_eq!((before["lat"].as_f64(), before["address"].as_str()), (Some(26.834567), Some("14 Open Lane")));

    let file = app.dir.path().join("hide.csv");
    std::fs::write(&file, CSV.replace("IN,false,14 Open Lane", "IN,true,14 Open Lane")).unwrap();
    let out = cli(&app, &["import", file.to_str().unwrap()]);
    assert!(out.status.success(), "import failed: {}", String::from_utf8_lossy(&out.stderr));
    let committed = Instant::now();

    // The server was not told; it must notice by itself.
    let seen = loop {
        let now = provider(&app, id).await;
        if now["location_precision"] == "approximate" {
            break now;
        }
        assert!(
            committed.elapsed() < Duration::from_secs(2),
            "still served exactly 2 s after the commit: {now}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(seen["address"].is_null(), "the address is withheld: {seen}");
    assert_ne!((seen["lat"].as_f64(), seen["lon"].as_f64()), (Some(26.834567), Some(80.912378)));
    let near = app.get_ok("/v1/providers/nearest?lat=26.834567&lon=80.912378&k=3").await;
    let hit = near["items"].as_array().unwrap().iter().find(|p| p["id"] == id).unwrap();
    assert!(hit["distance_m"].as_f64().unwrap() >= 2_000.0, "ranked at its public point: {hit}");
}

#[tokio::test]
async fn versions_cursors_and_cluster_ids_mean_the_same_on_every_instance_and_after_a_restart() {
    let a = TestApp::spawn(CSV).await;
    let b = a.spawn_on_same_database().await;
    let version = |app: &TestApp| app.service.index().version();
    assert_eq!(version(&a), version(&b), "one database, one snapshot version");

    let first = a.get_ok("/v1/providers?bbox=80,26,81,27&limit=1").await;
    let cursor = first["next_cursor"].as_str().unwrap().to_string();
    let next = format!("/v1/providers?bbox=80,26,81,27&limit=1&cursor={cursor}");
    let on_a = a.get_ok(&next).await;
    assert_eq!(b.get_ok(&next).await, on_a, "a cursor from one instance pages on the other");

    let clusters = a.get_ok("/v1/clusters?bbox=80,26,81,27&zoom=3").await;
    let cluster = clusters["features"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["properties"]["cluster"] == true)
        .expect("three providers 10 km apart cluster at zoom 3")["properties"]["cluster_id"]
        .as_str()
        .unwrap()
        .to_string();
    let leaves = format!("/v1/clusters/{cluster}/leaves");
    let leaves_a = a.get_ok(&leaves).await;
    assert_eq!(leaves_a["items"].as_array().unwrap().len(), 3);
    assert_eq!(b.get_ok(&leaves).await, leaves_a, "a cluster id from one instance works on the other");

    // A restart: the same database, a new process state.
    drop(b);
    let c = a.spawn_on_same_database().await;
    assert_eq!(c.get_ok(&next).await, on_a, "a cursor survives a restart");
    assert_eq!(c.get_ok(&leaves).await, leaves_a, "a cluster id survives a restart");

    // A change through one instance moves every instance on, and old references go stale.
    let file = a.dir.path().join("more.csv");
    std::fs::write(&file, format!("{CSV}door-4,Sample Counselling,counselling,26.82,80.93,IN,false,\n"))
        .unwrap();
    let before = version(&a);
    let out = cli(&a, &["import", file.to_str().unwrap()]);
    assert!(out.status.success(), "import failed: {}", String::from_utf8_lossy(&out.stderr));
    let committed = Instant::now();
    // (Not "until the two differ": both may pick the change up in the same poll.)
    while version(&a) == before {
        assert!(committed.elapsed() < Duration::from_secs(2), "versions did not move on");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    while version(&c) != version(&a) {
        assert!(committed.elapsed() < Duration::from_secs(2), "instances disagree on the version");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_problem(c.get(&next).await, 400, Some("cursor")).await;
    assert_eq!(c.get(&leaves).await.status().as_u16(), 404, "an old cluster id is not a different cluster");
}

#[tokio::test]
async fn dry_runs_and_unchanged_imports_keep_the_version() {
    let app = TestApp::spawn(CSV).await;
    let version = app.service.index().version();
    let file = app.dir.path().join("same.csv");
    std::fs::write(&file, CSV).unwrap();
    for args in [vec!["import", "--dry-run", file.to_str().unwrap()], vec!["import", file.to_str().unwrap()]]
    {
        let out = cli(&app, &args);
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    app.service.refresh().unwrap();
    assert_eq!(app.service.index().version(), version, "nothing changed, so no new snapshot");
}
