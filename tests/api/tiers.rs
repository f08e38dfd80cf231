//! Tiered disclosure: the public sees a confidential provider at its public point without
//! address or intake phone; a caseworker token adds the intake phone; an admin token sees
//! everything. Position, distance and order are the same for all, and every reveal is audited.

use crate::helpers::{TestApp, assert_problem, ok_json};
use bellmap::model::Role;
use serde_json::Value;

const CSV: &str = "external_id,name,categories,lat,lon,country,confidential,address,intake_phone,phone\n\
    safe-1,Sample Safe House,shelter,26.834567,80.912378,IN,true,14 Hidden Lane,0522 271 9183,0522 230 5550\n\
    open-1,Sample Legal Aid,legal_aid,26.85,80.95,IN,false,2 Court Road,0522 230 5551,0522 230 5552\n";

async fn as_token(app: &TestApp, token: Option<&str>, path: &str) -> Value {
    let mut req = app.client.get(app.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    ok_json(req.send().await.unwrap(), path).await
}

fn find<'a>(body: &'a Value, name: &str) -> &'a Value {
    body["items"].as_array().unwrap().iter().find(|i| i["name"] == name).unwrap()
}

#[tokio::test]
async fn tokens_see_more_of_confidential_providers_and_reveals_are_audited() {
    let app = TestApp::spawn(CSV).await;
    let db = app.db();
    let caseworker = db.create_token("case-1", Role::Caseworker, "test").unwrap();
    let admin = db.create_token("admin-1", Role::Admin, "test").unwrap();
    let path = "/v1/providers/nearest?lat=26.84&lon=80.93&k=5";

    let public = as_token(&app, None, path).await;
    let p = find(&public, "Sample Safe House");
    assert_eq!((p["address"].clone(), p["intake_phone"].clone()), (Value::Null, Value::Null));
    assert!(p.get("exact_lat").is_none());

    let case = as_token(&app, Some(&caseworker), path).await;
    let c = find(&case, "Sample Safe House");
    assert_eq!(c["intake_phone"]["display"], "0522 271 9183", "caseworkers get the intake phone");
    assert_eq!(c["address"], Value::Null, "but not the address");
    assert!(c.get("exact_lat").is_none(), "nor the exact point");

    let adm = as_token(&app, Some(&admin), path).await;
    let a = find(&adm, "Sample Safe House");
    assert_eq!(a["address"], "14 Hidden Lane");
    assert_eq!((a["exact_lat"].as_f64(), a["exact_lon"].as_f64()), (Some(26.834567), Some(80.912378)));

    // Position, distance and order do not depend on who asks.
    for body in [&case, &adm] {
        let ids = |b: &Value| {
            b["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| (i["id"].clone(), i["lat"].clone(), i["lon"].clone(), i["distance_m"].clone()))
                .collect::<Vec<_>>()
        };
        assert_eq!(ids(body), ids(&public));
    }
    // The ordinary provider looks the same to everyone.
    assert_eq!(find(&public, "Sample Legal Aid"), find(&case, "Sample Legal Aid"));

    let by_id = as_token(&app, Some(&caseworker), &format!("/v1/providers/{}", c["id"])).await;
    assert_eq!(by_id["intake_phone"]["display"], "0522 271 9183");

    app.service.audit_queue().flush();
    let (audit, _) = db.list_audit(0, 100).unwrap();
    let reveals: Vec<(&str, &str)> = audit
        .iter()
        .filter(|e| e.action == "reveal")
        .map(|e| (e.actor.as_str(), e.detail.as_str()))
        .collect();
    let id = c["id"].as_i64().unwrap();
    assert_eq!(reveals.len(), 3, "{reveals:?}");
    assert_eq!(reveals[0], ("case-1", format!("provider {id} (intake phone)").as_str()));
    assert!(reveals[1].0 == "admin-1" && reveals[1].1.contains("exact location"), "{reveals:?}");
    assert_eq!(reveals[2].0, "case-1");

    // An answer without confidential providers reveals nothing, so nothing is recorded.
    as_token(&app, Some(&admin), "/v1/providers/nearest?lat=26.85&lon=80.95&k=1&category=legal_aid").await;
    app.service.audit_queue().flush();
    assert_eq!(db.list_audit(0, 100).unwrap().0.iter().filter(|e| e.action == "reveal").count(), 3);
}

#[tokio::test]
async fn a_bad_token_on_a_public_route_is_refused_not_ignored() {
    let app = TestApp::spawn(CSV).await;
    let res = app
        .client
        .get(app.url("/v1/providers/nearest?lat=26.84&lon=80.93"))
        .bearer_auth("bm_wrong")
        .send()
        .await
        .unwrap();
    assert_problem(res, 401, None).await;
    let res = app.client.get(app.url("/v1/providers/nearest?lat=26.84&lon=80.93")).send().await.unwrap();
    assert_eq!(res.status(), 200);
}

/// A reveal is audited without making the reader wait, even while an import holds the database's
/// write lock (the audit row is stored once the lock is free).
#[tokio::test]
async fn reveals_during_an_import_answer_at_once_and_are_still_audited() {
    let app = TestApp::spawn(CSV).await;
    let caseworker = app.db().create_token("case-2", Role::Caseworker, "test").unwrap();
    let db = app.db().clone();
    // An "import" that holds the write lock for 3 s, then rolls back.
    let meta = bellmap::db::ImportMeta {
        actor: "test".into(),
        source: "lock".into(),
        mode: bellmap::model::ImportMode::Upsert,
        on_error: bellmap::model::OnError::Abort,
    };
    let (locked_tx, locked_rx) = std::sync::mpsc::channel();
    let holder = std::thread::spawn(move || {
        db.import(
            &meta,
            |_| {
                locked_tx.send(()).unwrap();
                std::thread::sleep(std::time::Duration::from_secs(3));
            },
            |_, _, _| None,
        )
        .unwrap();
    });
    locked_rx.recv().unwrap();
    let started = std::time::Instant::now();
    let body = as_token(&app, Some(&caseworker), "/v1/providers/nearest?lat=26.84&lon=80.93&k=5").await;
    let took = started.elapsed();
    assert_eq!(find(&body, "Sample Safe House")["intake_phone"]["display"], "0522 271 9183");
    assert!(took < std::time::Duration::from_secs(2), "the reader waited {took:?} for the import");
    holder.join().unwrap();
    app.service.audit_queue().flush();
    let (audit, _) = app.db().list_audit(0, 100).unwrap();
    assert!(audit.iter().any(|e| e.action == "reveal" && e.actor == "case-2"), "the reveal was recorded");
}
