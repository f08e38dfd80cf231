//! Admin single-record routes: create, read, patch, deactivate, reactivate; same validation as import.

use crate::helpers::{TestApp, assert_problem, ok_json};
use bellmap::model::Role;
use serde_json::{Value, json};

async fn spawn() -> (TestApp, String) {
    let app = TestApp::spawn(
        "external_id,name,categories,lat,lon,country\nseed-1,Sample One,shelter,26.85,80.95,IN\n",
    )
    .await;
    let token = app.db().create_token("editor", Role::Admin, "test").unwrap();
    (app, token)
}

async fn send(
    app: &TestApp,
    token: &str,
    method: reqwest::Method,
    path: &str,
    body: Option<Value>,
) -> reqwest::Response {
    let mut req = app.client.request(method, app.url(path)).bearer_auth(token);
    if let Some(b) = body {
        req = req.json(&b);
    }
    req.send().await.unwrap()
}

#[tokio::test]
async fn create_read_patch_deactivate_reactivate() {
    let (app, token) = spawn().await;
    let body = json!({
        "external_id": "new-1", "name": "Sample Safe House", "categories": ["shelter", "counselling"],
        "lat": 26.9123, "lon": 80.9456, "country": "IN", "confidential": true,
        "address": "1 Hidden Lane", "intake_phone": "0522 271 9183", "hours": "24/7", "languages": ["hi", "en"]
    });
    let res = send(&app, &token, reqwest::Method::POST, "/v1/admin/providers", Some(body)).await;
    assert_eq!(res.status(), 201);
    let created = ok_json(res, "create").await;
    let id = created["id"].as_i64().unwrap();
    assert_eq!(created["lat"], 26.9123, "admins see the exact point");
    assert_eq!(created["address"], "1 Hidden Lane");
    assert_eq!(created["intake_phone"]["e164"], "+915222719183");
    assert_eq!(created["open_24_7"], true);

    // The public sees it at once, at its public point only.
    let public = app.get_ok(&format!("/v1/providers/{id}")).await;
    assert_eq!(public["address"], Value::Null);
    assert_ne!(public["lat"], 26.9123);

    let admin_view = ok_json(
        send(&app, &token, reqwest::Method::GET, &format!("/v1/admin/providers/{id}"), None).await,
        "get",
    )
    .await;
    assert_eq!(admin_view, created);

    let res = send(
        &app,
        &token,
        reqwest::Method::PATCH,
        &format!("/v1/admin/providers/{id}"),
        Some(json!({"name": "Sample Safe House East", "address": null})),
    )
    .await;
    let patched = ok_json(res, "patch").await;
    assert_eq!(patched["name"], "Sample Safe House East");
    assert_eq!(patched["address"], Value::Null);
    assert_eq!(patched["categories"], json!(["shelter", "counselling"]), "untouched fields stay");
    assert_eq!(app.get_ok(&format!("/v1/providers/{id}")).await["name"], "Sample Safe House East");

    let res =
        send(&app, &token, reqwest::Method::POST, &format!("/v1/admin/providers/{id}/deactivate"), None)
            .await;
    assert_eq!(ok_json(res, "deactivate").await["status"], "inactive");
    assert_eq!(app.get(&format!("/v1/providers/{id}")).await.status(), 404, "off the public map");
    let still = ok_json(
        send(&app, &token, reqwest::Method::GET, &format!("/v1/admin/providers/{id}"), None).await,
        "get",
    )
    .await;
    assert_eq!(still["status"], "inactive", "kept, not deleted");
    let res =
        send(&app, &token, reqwest::Method::POST, &format!("/v1/admin/providers/{id}/reactivate"), None)
            .await;
    assert_eq!(ok_json(res, "reactivate").await["status"], "active");
    assert_eq!(app.get(&format!("/v1/providers/{id}")).await.status(), 200);

    app.service.audit_queue().flush();
    let audit =
        ok_json(send(&app, &token, reqwest::Method::GET, "/v1/admin/audit", None).await, "audit").await;
    let actions: Vec<&str> =
        audit["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    let writes: Vec<&str> = actions.iter().copied().filter(|a| *a != "reveal").collect();
    assert_eq!(
        &writes[..5],
        [
            "provider.reactivate",
            "provider.deactivate",
            "provider.update",
            "public_point.draw",
            "provider.create"
        ],
        "the confidential provider's public point was drawn once, at creation"
    );
    // Reveals are written off the request path, so only their number is certain.
    assert_eq!(
        actions.iter().filter(|a| **a == "reveal").count(),
        2,
        "each admin read of the record is a reveal"
    );
}

#[tokio::test]
async fn edits_are_validated_like_import_rows() {
    let (app, token) = spawn().await;
    let bad = json!({"name": "", "categories": ["spa"], "lat": 91, "lon": 80, "country": "India", "phone": "1.80043E+11", "colour": "red", "id": 5});
    let res = send(&app, &token, reqwest::Method::POST, "/v1/admin/providers", Some(bad.clone())).await;
    let p = assert_problem(res, 400, Some("colour")).await;
    assert!(
        p["errors"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["field"] == "id" && e["message"].as_str().unwrap().contains("server"))
    );
    let mut fields_only = bad;
    fields_only.as_object_mut().unwrap().retain(|k, _| k != "colour" && k != "id");
    let res = send(&app, &token, reqwest::Method::POST, "/v1/admin/providers", Some(fields_only)).await;
    let p = assert_problem(res, 400, Some("categories")).await;
    for field in ["name", "lat", "country", "phone"] {
        assert!(p["errors"].as_array().unwrap().iter().any(|e| e["field"] == field), "{field} named: {p}");
    }
    let dup = json!({"external_id": "seed-1", "name": "Sample Copy", "categories": "shelter", "lat": 1, "lon": 1, "country": "IN"});
    assert_problem(
        send(&app, &token, reqwest::Method::POST, "/v1/admin/providers", Some(dup)).await,
        400,
        Some("external_id"),
    )
    .await;
    assert_problem(
        send(&app, &token, reqwest::Method::PATCH, "/v1/admin/providers/1", Some(json!({"lat": "north"})))
            .await,
        400,
        Some("lat"),
    )
    .await;
    assert_problem(
        send(&app, &token, reqwest::Method::PATCH, "/v1/admin/providers/999", Some(json!({"name": "x"})))
            .await,
        404,
        None,
    )
    .await;
    assert_problem(
        send(&app, &token, reqwest::Method::GET, "/v1/admin/providers/abc", None).await,
        400,
        Some("id"),
    )
    .await;
    let res = app
        .client
        .post(app.url("/v1/admin/providers"))
        .bearer_auth(&token)
        .header("content-type", "text/plain")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_problem(res, 415, None).await;
    let res = app
        .client
        .post(app.url("/v1/admin/providers"))
        .bearer_auth(&token)
        .header("content-type", "application/json")
        .body("{nope")
        .send()
        .await
        .unwrap();
    assert_problem(res, 400, Some("body")).await;
    // Nothing of the above was written.
    assert_eq!(app.db().count_providers().unwrap(), 1);
}
