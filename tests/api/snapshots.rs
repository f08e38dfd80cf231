//! Every write path marks the rows it wrote with its change, so a running server applies just
//! those rows to its snapshot. After each kind of write, the published snapshot (here and on a
//! second instance on the same database) must equal one built from every row, and the store
//! must say whether the change is applied row by row or needs a reload.

use crate::helpers::{TestApp, ok_json};
use bellmap::db::{MARKED_MAX, Since};
use bellmap::index::Snapshot;
use bellmap::model::Role;
use serde_json::json;
use std::time::{Duration, Instant};

const CSV: &str = "external_id,name,categories,lat,lon,country,confidential,hours,languages\n\
    s-1,Sample Shelter,shelter,26.85,80.95,IN,false,Mo-Fr 09:00-17:00,hi\n\
    s-2,Sample Helpline,helpline,26.86,80.96,IN,false,24/7,hi;en\n\
    s-3,Sample Safe House,shelter,26.87,80.97,IN,true,,hi\n\
    s-4,Sample Legal Aid,legal_aid,28.61,77.21,IN,false,Mo-Su 20:00-08:00,en\n";

/// Asserts `app`'s published snapshot equals one built from every active row.
fn assert_current(app: &TestApp, what: &str) {
    let published = app.service.index().load();
    let mut rows = Vec::new();
    let seq = app.db().load_active(|p| rows.push(p)).unwrap();
    assert_eq!(published.version, seq as u64, "{what}: the published version is the store's");
    assert_eq!(published.difference(&Snapshot::build(seq as u64, rows)), None, "{what}");
}

/// The provider ids the store lists as written after `version` (`None`: a reload).
fn written_since(app: &TestApp, version: u64) -> Option<Vec<i64>> {
    match app.db().changed_since(version as i64).unwrap() {
        Since::Rows { rows, .. } => Some(rows.iter().map(|p| p.id.0).collect()),
        Since::Reload => None,
    }
}

fn id_of(app: &TestApp, external_id: &str) -> i64 {
    app.db().load_all().unwrap().iter().find(|p| p.data.external_id == external_id).map(|p| p.id.0).unwrap()
}

#[tokio::test]
async fn every_write_path_reaches_the_snapshot_as_a_full_reload_would() {
    let app = TestApp::spawn(CSV).await;
    let other = app.spawn_on_same_database().await;
    let token = app.db().create_token("editor", Role::Admin, "test").unwrap();
    let admin = |method: reqwest::Method, path: String| {
        app.client.request(method, app.url(&path)).bearer_auth(&token)
    };
    let version = || app.service.index().load().version;
    assert_current(&app, "seeded");

    // An upsert import: one row changed, one new.
    let before = version();
    let csv = format!(
        "{}s-5,Sample Counselling,counselling,26.9,80.9,IN,false,,en\n",
        CSV.replace("Sample Helpline", "Sample Helpline Two")
    );
    ok_json(app.import_csv("", &token, &csv).await, "upsert").await;
    let mut written = written_since(&app, before).expect("a small import is applied row by row");
    written.sort_unstable();
    assert_eq!(written, vec![id_of(&app, "s-2"), id_of(&app, "s-5")]);
    assert_current(&app, "upsert import");

    // A replace import deactivates the row the file lacks.
    let before = version();
    let gone = id_of(&app, "s-4");
    let replace: String = csv.lines().filter(|l| !l.starts_with("s-4,")).map(|l| format!("{l}\n")).collect();
    ok_json(app.import_csv("mode=replace", &token, &replace).await, "replace").await;
    assert_eq!(written_since(&app, before), Some(vec![gone]));
    assert_current(&app, "replace import");

    // Admin edits, one record each: create (confidential, so a point is drawn), move and
    // rename, new hours and languages, deactivate, reactivate, redraw the public point.
    let before = version();
    let body = json!({"external_id": "s-6", "name": "Sample Hidden Shelter", "categories": ["shelter"],
        "lat": 26.91, "lon": 80.99, "country": "IN", "confidential": true, "hours": "Mo-Sa 10:00-16:00"});
    let created = ok_json(
        admin(reqwest::Method::POST, "/v1/admin/providers".into()).json(&body).send().await.unwrap(),
        "create",
    )
    .await;
    let id = created["id"].as_i64().unwrap();
    assert_eq!(written_since(&app, before), Some(vec![id]));
    assert_current(&app, "create");
    let s1 = id_of(&app, "s-1");
    let edits = [
        (
            reqwest::Method::PATCH,
            format!("/v1/admin/providers/{s1}"),
            Some(json!({"lat": 26.5, "lon": 80.5, "name": "Sample Shelter Moved"})),
        ),
        (
            reqwest::Method::PATCH,
            format!("/v1/admin/providers/{s1}"),
            Some(json!({"hours": "Mo-Su 22:00-06:00", "languages": ["ur"]})),
        ),
        (reqwest::Method::POST, format!("/v1/admin/providers/{s1}/deactivate"), None),
        (reqwest::Method::POST, format!("/v1/admin/providers/{s1}/reactivate"), None),
        (reqwest::Method::POST, format!("/v1/admin/providers/{id}/redraw-public-point"), None),
    ];
    for (method, path, body) in edits {
        let before = version();
        let mut req = admin(method, path.clone());
        if let Some(b) = body {
            req = req.json(&b);
        }
        ok_json(req.send().await.unwrap(), &path).await;
        let edited = if path.contains("redraw") { id } else { s1 };
        assert_eq!(written_since(&app, before), Some(vec![edited]), "{path}");
        assert_current(&app, &path);
    }

    // Reverting an import that only updated rows is applied row by row; reverting one that
    // created rows deletes them, which no mark can list: a reload.
    let before = version();
    let renamed = CSV.replace("Sample Legal Aid", "Sample Legal Aid Two");
    ok_json(app.import_csv("", &token, &renamed).await, "update only").await;
    let update_only = app.db().list_imports(0, 1).unwrap().0[0].id;
    ok_json(
        admin(reqwest::Method::POST, format!("/v1/admin/imports/{update_only}/revert")).send().await.unwrap(),
        "revert",
    )
    .await;
    assert!(written_since(&app, before).is_some(), "reverting updates is applied row by row");
    assert_current(&app, "revert of updates");
    let header = CSV.lines().next().unwrap();
    let one_new = format!("{header}\ns-7,Sample Clinic,medical,26.95,80.92,IN,false,,hi\n");
    ok_json(app.import_csv("", &token, &one_new).await, "one new").await;
    let creation = app.db().list_imports(0, 1).unwrap().0[0].id;
    let before = version();
    ok_json(
        admin(reqwest::Method::POST, format!("/v1/admin/imports/{creation}/revert")).send().await.unwrap(),
        "revert",
    )
    .await;
    assert_eq!(written_since(&app, before), None, "a revert that deletes rows reloads");
    assert_current(&app, "revert of a creation");

    // An import of more rows than are marked one by one reloads too.
    let before = version();
    let mut big = Vec::new();
    bellmap::sample::write_sample_csv(&mut big, MARKED_MAX + 1, 5).unwrap();
    ok_json(app.import_csv("", &token, std::str::from_utf8(&big).unwrap()).await, "big").await;
    assert_eq!(written_since(&app, before), None, "more than {MARKED_MAX} rows reload");
    assert_current(&app, "a large import");
    // On PostgreSQL a large import leaves planner statistics behind it (a start-up's read
    // of the table is planned from them).
    if let Some(analyzed) = app.db().providers_analyzed().unwrap() {
        assert!(analyzed, "a large import analyzes the providers table");
    }

    // The other instance took every change by polling, through the same two paths.
    let deadline = Instant::now() + Duration::from_secs(10);
    while other.service.index().load().version != version() && Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_current(&other, "the other instance");
}
