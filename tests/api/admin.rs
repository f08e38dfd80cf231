//! Admin over HTTP: tokens, imports (abort/skip, dry run, upsert, replace), history, revert, audit.

use crate::helpers::{TestApp, assert_problem, ok_json};
use bellmap::model::Role;
use serde_json::Value;

const HEADER: &str = "external_id,name,categories,lat,lon,country,phone";

/// `n` valid rows `p0000..`, names suffixed with `tag`.
fn rows(n: usize, tag: &str) -> String {
    let mut csv = format!("{HEADER}\n");
    for i in 0..n {
        let (lat, lon) = (20.0 + (i % 100) as f64 * 0.05, 75.0 + (i / 100) as f64 * 0.05);
        csv.push_str(&format!(
            "p{i:04},Sample {i} {tag},shelter,{lat:.4},{lon:.4},IN,0522 230 {:04}\n",
            i % 10_000
        ));
    }
    csv
}

struct Admin {
    app: TestApp,
    token: String,
}

impl Admin {
    async fn spawn(seed: &str) -> Admin {
        let app = TestApp::spawn(seed).await;
        let token = app.db().create_token("test-admin", Role::Admin, "test").unwrap();
        Admin { app, token }
    }

    async fn import(&self, query: &str, csv: &str) -> reqwest::Response {
        self.app.import_csv(query, &self.token, csv).await
    }

    async fn import_ok(&self, query: &str, csv: &str) -> Value {
        ok_json(self.import(query, csv).await, query).await
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.app.client.get(self.app.url(path)).bearer_auth(&self.token).send().await.unwrap()
    }

    async fn post(&self, path: &str) -> reqwest::Response {
        self.app.client.post(self.app.url(path)).bearer_auth(&self.token).send().await.unwrap()
    }

    /// Every stored provider, as the database holds it (ids, fields, timestamps).
    fn stored(&self) -> Vec<bellmap::model::Provider> {
        self.app.db().load_all().unwrap()
    }

    fn active_names(&self) -> Vec<String> {
        self.app.service.index().load().records.iter().map(|p| p.name().to_string()).collect()
    }
}

#[tokio::test]
async fn tokens_guard_admin_routes() {
    let a = Admin::spawn(&rows(3, "seed")).await;
    let db = a.app.db();
    let caseworker = db.create_token("field-worker", Role::Caseworker, "test").unwrap();
    assert!(a.token.len() >= 40 && a.token != caseworker);
    // The token itself is never stored or listed.
    let listed = format!("{:?}", db.list_tokens().unwrap());
    assert!(!listed.contains(&a.token) && listed.contains("field-worker"));

    let url = a.app.url("/v1/admin/imports");
    let res = a.app.client.get(&url).send().await.unwrap();
    assert_eq!(res.headers().get("www-authenticate").unwrap(), "Bearer");
    assert_problem(res, 401, None).await;
    let res = a.app.client.get(&url).bearer_auth("bm_not-a-real-token").send().await.unwrap();
    assert_problem(res, 401, None).await;
    let res = a.app.client.get(&url).bearer_auth(&caseworker).send().await.unwrap();
    assert_problem(res, 403, None).await;
    let res = a
        .app
        .client
        .post(&url)
        .bearer_auth(&caseworker)
        .header("content-type", "text/csv")
        .body(rows(1, "x"))
        .send()
        .await
        .unwrap();
    assert_problem(res, 403, None).await;
    assert_eq!(a.get("/v1/admin/imports").await.status(), 200);

    db.revoke_token("test-admin", "test").unwrap();
    assert_problem(a.get("/v1/admin/audit").await, 401, None).await;
    assert!(db.revoke_token("test-admin", "test").is_err(), "revoking twice is an error");
}

#[tokio::test]
async fn admin_routes_send_no_cors_headers_public_ones_do() {
    let a = Admin::spawn(&rows(3, "seed")).await;
    let admin = a
        .app
        .client
        .get(a.app.url("/v1/admin/audit"))
        .bearer_auth(&a.token)
        .header("origin", "https://evil.example")
        .send()
        .await
        .unwrap();
    assert_eq!(admin.status(), 200);
    assert!(
        admin.headers().keys().all(|k| !k.as_str().starts_with("access-control-")),
        "{:?}",
        admin.headers()
    );
    let preflight = a
        .app
        .client
        .request(reqwest::Method::OPTIONS, a.app.url("/v1/admin/imports"))
        .header("origin", "https://evil.example")
        .header("access-control-request-method", "POST")
        .send()
        .await
        .unwrap();
    assert!(preflight.headers().get("access-control-allow-origin").is_none());
    let public = a
        .app
        .client
        .get(a.app.url("/v1/categories"))
        .header("origin", "https://map.example")
        .send()
        .await
        .unwrap();
    assert_eq!(public.headers().get("access-control-allow-origin").unwrap(), "*");
    assert!(public.headers().get("access-control-allow-credentials").is_none());
}

#[tokio::test]
async fn one_bad_row_in_a_thousand_abort_writes_nothing_skip_writes_999() {
    let a = Admin::spawn(&rows(2, "seed")).await;
    let before = a.stored();
    let mut csv = rows(1000, "batch");
    csv = csv.replacen("p0500,Sample 500 batch,shelter,", "p0500,Sample 500 batch,spa,", 1);
    let report = a.import_ok("", &csv).await;
    assert_eq!(report["written"], false);
    assert_eq!(report["invalid"], 1);
    assert_eq!(report["problems"][0]["line"], 502, "{report}");
    assert_eq!(report["problems"][0]["column"], "categories");
    assert_eq!(a.stored(), before, "abort wrote nothing");

    let report = a.import_ok("on_error=skip", &csv).await;
    assert_eq!(report["written"], true);
    assert_eq!(
        (report["skipped"].as_u64(), report["created"].as_u64(), report["updated"].as_u64()),
        (Some(1), Some(997), Some(2))
    );
    let stored = a.stored();
    assert_eq!(stored.len(), 999, "2 seeded rows updated, 997 created, the bad one skipped");
    assert!(!stored.iter().any(|p| p.data.external_id == "p0500"));
    assert_eq!(a.active_names().len(), 999, "the snapshot was published");
}

#[tokio::test]
async fn dry_run_then_real_run_give_the_same_report_and_upsert_is_idempotent() {
    let a = Admin::spawn(&rows(50, "seed")).await;
    let before = a.stored();
    let mut csv = rows(60, "seed");
    csv = csv.replace("Sample 7 seed", "Sample 7 renamed");
    let dry = a.import_ok("dry_run=true", &csv).await;
    assert_eq!(a.stored(), before, "a dry run writes nothing");
    let real = a.import_ok("dry_run=false", &csv).await;
    for key in [
        "rows",
        "created",
        "updated",
        "unchanged",
        "deactivated",
        "invalid",
        "skipped",
        "problems",
        "warnings",
    ] {
        assert_eq!(dry[key], real[key], "{key}: dry {dry} real {real}");
    }
    assert_eq!(
        (real["created"].as_u64(), real["updated"].as_u64(), real["unchanged"].as_u64()),
        (Some(10), Some(1), Some(49))
    );
    let again = a.import_ok("", &csv).await;
    assert_eq!(
        (again["created"].as_u64(), again["updated"].as_u64(), again["unchanged"].as_u64()),
        (Some(0), Some(0), Some(60))
    );
}

#[tokio::test]
async fn replace_deactivates_exactly_the_missing_ones_never_deletes() {
    let a = Admin::spawn(&rows(20, "seed")).await;
    let keep: String = rows(20, "seed")
        .lines()
        .enumerate()
        .filter(|(i, _)| *i == 0 || i % 4 != 0)
        .map(|(_, l)| format!("{l}\n"))
        .collect();
    let report = a.import_ok("mode=replace", &keep).await;
    assert_eq!(report["deactivated"], 5, "{report}");
    let stored = a.stored();
    assert_eq!(stored.len(), 20, "nothing deleted");
    let inactive: Vec<&str> = stored
        .iter()
        .filter(|p| p.data.status == bellmap::model::Status::Inactive)
        .map(|p| p.data.external_id.as_str())
        .collect();
    assert_eq!(inactive, ["p0003", "p0007", "p0011", "p0015", "p0019"]);
    assert_eq!(a.active_names().len(), 15);
    let res = a.import("mode=replace&on_error=skip", &keep).await;
    assert_problem(res, 400, Some("on_error")).await;
}

#[tokio::test]
async fn revert_restores_identical_records_and_refuses_twice_or_after_later_changes() {
    let a = Admin::spawn(&rows(10, "seed")).await;
    let before = a.stored();
    let mut csv = rows(12, "seed");
    csv = csv.replace("Sample 3 seed", "Sample 3 changed");
    let first = a
        .import_ok("mode=replace", &csv.replace("p0009,Sample 9 seed,shelter,", "p0099,Sample 99,shelter,"))
        .await;
    assert!(
        first["updated"].as_u64().unwrap() >= 1
            && first["created"].as_u64().unwrap() >= 1
            && first["deactivated"] == 1,
        "{first}"
    );
    let id = first["import_id"].as_i64().unwrap();
    assert_ne!(a.stored(), before);

    let res = a.post(&format!("/v1/admin/imports/{id}/revert")).await;
    let reverted = ok_json(res, "revert").await;
    assert_eq!(reverted["reverted_import"], id);
    assert_eq!(a.stored(), before, "every record is back exactly, timestamps included");
    let names: Vec<String> = before.iter().map(|p| p.data.name.clone()).collect();
    assert_eq!(a.active_names(), names, "the snapshot shows the restored records");

    let twice = assert_problem(a.post(&format!("/v1/admin/imports/{id}/revert")).await, 409, None).await;
    assert!(twice["detail"].as_str().unwrap().contains("already reverted"), "{twice}");

    // A later import changes a record the second import touched: reverting it would lose that work.
    let second = a.import_ok("", &rows(10, "seed").replace("Sample 2 seed", "Sample 2 v2")).await;
    let second_id = second["import_id"].as_i64().unwrap();
    a.import_ok("", &rows(10, "seed").replace("Sample 2 seed", "Sample 2 v3")).await;
    let conflict =
        assert_problem(a.post(&format!("/v1/admin/imports/{second_id}/revert")).await, 409, None).await;
    let conflicts = conflict["conflicts"].as_array().unwrap();
    assert_eq!(conflicts.len(), 1, "{conflict}");
    assert_eq!(conflicts[0]["external_id"], "p0002");
    assert_eq!(conflicts[0]["changed_by_import"], second_id + 1);

    assert_problem(a.post("/v1/admin/imports/999/revert").await, 404, None).await;
    assert_problem(a.post("/v1/admin/imports/abc/revert").await, 400, Some("id")).await;
}

/// The records of an import that created some, by external id.
fn ids_of(stored: &[bellmap::model::Provider], external_ids: &[&str]) -> Vec<i64> {
    external_ids
        .iter()
        .map(|e| stored.iter().find(|p| p.data.external_id == *e).expect("stored").id.0)
        .collect()
}

#[tokio::test]
async fn revert_of_a_creation_deletes_exactly_what_it_created_unless_changed_since() {
    let a = Admin::spawn(&rows(3, "seed")).await;
    // More than one batch of created records (and runs of ids), beside untouched ones.
    let first = a.import_ok("", &rows(2_345, "seed")).await;
    assert_eq!((first["created"].as_u64(), first["unchanged"].as_u64()), (Some(2_342), Some(3)), "{first}");
    let id = first["import_id"].as_i64().unwrap();
    let after_first = a.stored();
    let [edited, reimported] = ids_of(&after_first, &["p0005", "p2000"])[..] else { unreachable!() };

    // An admin edits one created record, a later import another: reverting would lose both.
    let res = a
        .app
        .client
        .patch(a.app.url(&format!("/v1/admin/providers/{edited}")))
        .bearer_auth(&a.token)
        .json(&serde_json::json!({"name": "Sample 5 edited"}))
        .send()
        .await
        .unwrap();
    ok_json(res, "patch").await;
    let csv = rows(2_345, "seed").replace("Sample 5 seed", "Sample 5 edited");
    let later = a.import_ok("", &csv.replace("Sample 2000 seed", "Sample 2000 v2")).await;
    let later_id = later["import_id"].as_i64().unwrap();
    assert_eq!(later["updated"], 1, "{later}");
    let conflict = assert_problem(a.post(&format!("/v1/admin/imports/{id}/revert")).await, 409, None).await;
    let mut conflicts: Vec<(i64, String, Value)> = conflict["conflicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["provider_id"].as_i64().unwrap(),
                c["external_id"].as_str().unwrap().into(),
                c["changed_by_import"].clone(),
            )
        })
        .collect();
    conflicts.sort_by_key(|c| c.0);
    assert_eq!(
        conflicts,
        [(edited, "p0005".into(), Value::Null), (reimported, "p2000".into(), Value::from(later_id))],
        "{conflict}"
    );
    assert_eq!(a.stored().len(), 2_345, "a refused revert deletes nothing");

    // Once the later import is reverted, only the admin's edit stands in the way.
    ok_json(a.post(&format!("/v1/admin/imports/{later_id}/revert")).await, "revert of the later import")
        .await;
    let conflict = assert_problem(a.post(&format!("/v1/admin/imports/{id}/revert")).await, 409, None).await;
    assert_eq!(conflict["conflicts"].as_array().unwrap().len(), 1, "{conflict}");
    assert_eq!(conflict["conflicts"][0]["provider_id"], edited);

    // An import that only created records reverts to exactly the records before it.
    let b = Admin::spawn(&rows(3, "seed")).await;
    let seeded = b.stored();
    let created = b.import_ok("", &rows(1_500, "seed")).await;
    assert_eq!(created["created"], 1_497, "{created}");
    let id = created["import_id"].as_i64().unwrap();
    let reverted = ok_json(b.post(&format!("/v1/admin/imports/{id}/revert")).await, "revert").await;
    assert_eq!(reverted["restored"], 1_497, "{reverted}");
    assert_eq!(b.stored(), seeded, "the created records are gone, the others untouched");
    let names: Vec<String> = seeded.iter().map(|p| p.data.name.clone()).collect();
    assert_eq!(b.active_names(), names, "the snapshot shows it");
}

#[tokio::test]
async fn history_and_audit_record_every_write() {
    let a = Admin::spawn(&rows(3, "seed")).await;
    let first = a.import_ok("", &rows(5, "seed")).await;
    a.import_ok("dry_run=true", &rows(6, "seed")).await;
    let id = first["import_id"].as_i64().unwrap();
    let res = a
        .app
        .client
        .post(a.app.url("/v1/admin/imports"))
        .bearer_auth(&a.token)
        .multipart(
            reqwest::multipart::Form::new()
                .part("file", reqwest::multipart::Part::text(rows(7, "seed")).file_name("partner.csv")),
        )
        .send()
        .await
        .unwrap();
    let multipart = ok_json(res, "multipart import").await;
    assert_eq!(multipart["created"], 2);
    ok_json(a.post(&format!("/v1/admin/imports/{id}/revert")).await, "revert").await;

    let history = ok_json(a.get("/v1/admin/imports?limit=2").await, "history").await;
    // seed (cli), first, multipart, revert: the dry run is not a write.
    assert_eq!(history["total"], 4, "{history}");
    assert_eq!(history["items"][0]["mode"], "revert");
    assert_eq!(history["items"][0]["reverts_import"], id);
    assert_eq!(history["items"][1]["source"], "partner.csv");
    assert_eq!(history["items"][1]["actor"], "test-admin");
    assert_eq!(history["next_offset"], 2);
    let one = ok_json(a.get(&format!("/v1/admin/imports/{id}")).await, "one import").await;
    assert_eq!(one["report"]["created"], 2);
    assert_eq!(one["reverted_by"], id + 2);
    assert_problem(a.get("/v1/admin/imports/12345").await, 404, None).await;

    let audit = ok_json(a.get("/v1/admin/audit?limit=500").await, "audit").await;
    let actions: Vec<(&str, &str)> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["action"].as_str().unwrap(), e["actor"].as_str().unwrap()))
        .collect();
    assert_eq!(
        actions,
        [
            ("revert", "test-admin"),
            ("import", "test-admin"),
            ("import", "test-admin"),
            ("token.create", "test"),
            ("import", "cli")
        ]
    );
    assert_eq!(audit["items"][0]["records"], 2);
}

#[tokio::test]
async fn import_bodies_are_checked() {
    let a = Admin::spawn(&rows(3, "seed")).await;
    let res = a
        .app
        .client
        .post(a.app.url("/v1/admin/imports"))
        .bearer_auth(&a.token)
        .header("content-type", "application/pdf")
        .body("%PDF-1.4")
        .send()
        .await
        .unwrap();
    assert_problem(res, 415, None).await;
    assert_problem(a.import("mode=merge", "x").await, 400, Some("mode")).await;
    assert_problem(a.import("on_error=ignore", "x").await, 400, Some("on_error")).await;
    assert_problem(a.import("dry_run=perhaps", "x").await, 400, Some("dry_run")).await;
    let empty = a.import_ok("", "").await;
    assert_eq!(empty["written"], false);
    assert!(empty["problems"][0]["message"].as_str().unwrap().contains("empty"), "{empty}");
}

#[tokio::test]
async fn import_limit_is_configurable_and_answers_413() {
    let args = bellmap::config::ServeArgs { max_import_mb: 1, ..Default::default() };
    let app = TestApp::spawn_with(&rows(3, "seed"), args).await;
    let token = app.db().create_token("limit", Role::Admin, "test").unwrap();
    let big = rows(9000, "x"); // about 0.5 MB per 9,000 rows: double it past 1 MiB
    let body = format!("{big}{}", big.lines().skip(1).map(|l| format!("{l}\n")).collect::<String>());
    assert!(body.len() > 1024 * 1024);
    let res = app
        .client
        .post(app.url("/v1/admin/imports"))
        .bearer_auth(&token)
        .header("content-type", "text/csv")
        .body(body)
        .send()
        .await
        .unwrap();
    let p = assert_problem(res, 413, None).await;
    assert!(p["detail"].as_str().unwrap().contains("BELLMAP_MAX_IMPORT_MB"), "{p}");
    assert_eq!(app.db().count_providers().unwrap(), 3);
}

/// Formula-looking cells survive export and re-import over HTTP, and the re-import changes nothing.
#[tokio::test]
async fn export_then_import_changes_nothing_even_with_formula_cells() {
    let seed = "external_id,name,categories,lat,lon,country,phone,description,address,confidential,intake_phone\n\
        f1,=HYPERLINK(\"http://x.example\"),shelter,26.85,80.95,IN,+91 0000 00 0001,@risk,-,true,+91 0000 00 0002\n\
        f2,Sample \"Two\",legal_aid,-33.9,18.4,ZA,,'quoted',\"a, b\",false,\n";
    let a = Admin::spawn(seed).await;
    let res = a.get("/v1/admin/providers.csv").await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-type"].to_str().unwrap().starts_with("text/csv"));
    let csv = res.text().await.unwrap();
    for line in csv.lines().skip(1) {
        for cell in line.split(',') {
            let c = cell.trim_start_matches('"');
            assert!(!c.starts_with(['=', '+', '@']), "unguarded formula cell {cell:?} in {line}");
        }
    }
    assert!(csv.contains("26.85") && csv.contains("+91 0000 00 0002"), "admins export exact fields: {csv}");
    let before = a.stored();
    let report = a.import_ok("", &csv).await;
    assert_eq!(
        (report["created"].as_u64(), report["updated"].as_u64(), report["unchanged"].as_u64()),
        (Some(0), Some(0), Some(2)),
        "{report}"
    );
    assert_eq!(a.stored(), before);
    assert_eq!(a.stored()[0].data.name, "=HYPERLINK(\"http://x.example\")");
}
