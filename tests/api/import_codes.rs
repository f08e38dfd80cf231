//! Import reports a program can use: every problem and warning is `{line, column, value, code,
//! message}` with a stable code; swapped coordinates are refused unless `fix=swap_coordinates`
//! (HTTP) or `--fix swap_coordinates` (CLI) asks for them to be swapped, each one reported.

use crate::helpers::{TestApp, assert_problem, ok_json};
use serde_json::{Value, json};
use std::process::{Command, Output};

const HEADER: &str = "external_id,name,categories,lat,lon,country,phone";
const SEED: &str = "external_id,name,categories,lat,lon,country\nseed,Seed,shelter,26.85,80.95,IN\n";

/// Two rows inside their country and two with latitude and longitude swapped (lines 3 and 4).
fn swapped_csv() -> String {
    format!(
        "{HEADER}\na1,Lucknow,shelter,26.85,80.95,IN,\na2,Lucknow swapped,shelter,80.95,26.85,IN,\n\
         a3,Cape Town swapped,shelter,18.42,-33.92,ZA,\na4,Cape Town,shelter,-33.92,18.42,ZA,\n"
    )
}

/// The bellmap binary on `app`'s database.
fn bellmap(app: &TestApp, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bellmap"))
        .args(args)
        .env("DATABASE_URL", app.database_url())
        .env("BELLMAP_LOG", "warn")
        .env_remove("RUST_LOG")
        .output()
        .expect("the bellmap binary runs")
}

/// A new admin token, made by the CLI as an operator would.
fn admin_token(app: &TestApp) -> String {
    let out = bellmap(app, &["token", "create", "--name", "codes-admin", "--role", "admin"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

async fn post_import(app: &TestApp, token: &str, query: &str, csv: String) -> reqwest::Response {
    app.client
        .post(app.url(&format!("/v1/admin/imports?{query}")))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap()
}

/// The (line, column, value, code) of every entry with `code` in a report's `key` list.
fn entries(report: &Value, key: &str, code: &str) -> Vec<Value> {
    report[key]
        .as_array()
        .unwrap_or_else(|| panic!("{key} is a list: {report}"))
        .iter()
        .filter(|p| p["code"] == code)
        .map(|p| json!([p["line"], p["column"], p["value"], p["code"]]))
        .collect()
}

#[tokio::test]
async fn problems_and_warnings_share_one_shape_with_a_code() {
    let app = TestApp::spawn(SEED).await;
    let token = admin_token(&app);
    let csv = "Name,Categories,Lat,Lon,Country,Phone,Colour\n\
        Sakhi,shelter,26.85,80.95,IN,1.80043E+11,red\n\
        ,spa,95,80.95,IN,0522 230 5550,red\n\
        Sakhi,shelter,26.8501,80.9501,IN,,blue\n\
        Nairobi?,shelter,-1.29,36.82,IN,,green\n";
    let report = ok_json(post_import(&app, &token, "dry_run=true", csv.into()).await, "import").await;
    for entry in report["problems"].as_array().unwrap().iter().chain(report["warnings"].as_array().unwrap()) {
        let keys: Vec<&str> = entry.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(keys, ["line", "column", "value", "code", "message"], "{entry}");
        let label = format!("line {}:", entry["line"]);
        assert!(
            entry["message"].as_str().is_some_and(|m| !m.is_empty() && !m.starts_with(&label)),
            "{entry}"
        );
    }
    let problems: Vec<Value> = ["spreadsheet_number", "required", "invalid_category", "out_of_range"]
        .into_iter()
        .flat_map(|code| entries(&report, "problems", code))
        .collect();
    assert_eq!(
        problems,
        vec![
            json!([2, "Phone", "1.80043E+11", "spreadsheet_number"]),
            json!([3, "name", null, "required"]),
            json!([3, "Categories", "spa", "invalid_category"]),
            json!([3, "Lat", "95", "out_of_range"]),
        ],
        "{report}"
    );
    assert_eq!(
        entries(&report, "warnings", "unknown_column"),
        vec![json!([1, "Colour", null, "unknown_column"])]
    );
    assert_eq!(entries(&report, "warnings", "derived_ids"), vec![json!([1, null, null, "derived_ids"])]);
    assert_eq!(
        entries(&report, "warnings", "probable_duplicate"),
        vec![json!([4, "Name", "Sakhi", "probable_duplicate"])],
        "{report}"
    );
    // Outside India, and not India swapped either: imported, with a warning.
    assert_eq!(
        entries(&report, "warnings", "outside_country"),
        vec![json!([5, null, null, "outside_country"])]
    );
    assert_eq!((report["invalid"].as_u64(), report["rows"].as_u64()), (Some(2), Some(4)));
}

#[tokio::test]
async fn swapped_rows_are_problems_unless_the_swap_fix_is_asked_for() {
    let app = TestApp::spawn(SEED).await;
    let token = admin_token(&app);
    let refused = ok_json(post_import(&app, &token, "", swapped_csv()).await, "import").await;
    assert_eq!(refused["written"], false);
    assert_eq!(
        entries(&refused, "problems", "swapped_coordinates"),
        vec![
            json!([3, "lat", "80.95", "swapped_coordinates"]),
            json!([4, "lat", "18.42", "swapped_coordinates"])
        ],
        "{refused}"
    );
    assert_eq!(refused["problems"].as_array().unwrap().len(), 2, "{refused}");

    let fixed = ok_json(post_import(&app, &token, "fix=swap_coordinates", swapped_csv()).await, "fix").await;
    assert_eq!((fixed["written"].as_bool(), fixed["created"].as_u64()), (Some(true), Some(4)), "{fixed}");
    assert_eq!(fixed["problems"], json!([]));
    assert_eq!(
        entries(&fixed, "warnings", "swapped_coordinates"),
        vec![
            json!([3, "lat", "80.95", "swapped_coordinates"]),
            json!([4, "lat", "18.42", "swapped_coordinates"])
        ],
        "{fixed}"
    );
    // Each swapped row is where its correct twin is.
    let listed = app.get_ok("/v1/providers?bbox=-180,-90,180,90&limit=50").await;
    let point = |name: &str| {
        let p = listed["items"].as_array().unwrap().iter().find(|p| p["name"] == name).unwrap();
        (p["lat"].as_f64().unwrap(), p["lon"].as_f64().unwrap())
    };
    assert_eq!(point("Lucknow swapped"), point("Lucknow"));
    assert_eq!(point("Cape Town swapped"), (-33.92, 18.42));

    // The history keeps the report as it was answered.
    let id = fixed["import_id"].as_i64().unwrap();
    let res =
        app.client.get(app.url(&format!("/v1/admin/imports/{id}"))).bearer_auth(&token).send().await.unwrap();
    assert_eq!(ok_json(res, "history").await["report"], fixed);
}

#[tokio::test]
async fn an_unknown_fix_is_a_problem_naming_fix() {
    let app = TestApp::spawn(SEED).await;
    let token = admin_token(&app);
    for query in ["fix=swap", "fix=", "fix=swap_coordinates,round_phones"] {
        let body =
            assert_problem(post_import(&app, &token, query, swapped_csv()).await, 400, Some("fix")).await;
        assert!(body.to_string().contains("swap_coordinates"), "{body}");
    }
}

#[tokio::test]
async fn the_cli_import_swaps_with_fix_and_refuses_without() {
    let app = TestApp::spawn(SEED).await;
    let file = app.dir.path().join("swapped.csv");
    std::fs::write(&file, swapped_csv()).unwrap();
    let file = file.to_str().unwrap();

    let out = bellmap(&app, &["import", file]);
    assert!(!out.status.success());
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        entries(&report, "problems", "swapped_coordinates"),
        vec![
            json!([3, "lat", "80.95", "swapped_coordinates"]),
            json!([4, "lat", "18.42", "swapped_coordinates"])
        ],
        "{report}"
    );
    assert_eq!(report["written"], false);

    let out = bellmap(&app, &["import", "--fix", "swap_coordinates", file]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!((report["written"].as_bool(), report["created"].as_u64()), (Some(true), Some(4)), "{report}");
    assert_eq!(
        entries(&report, "warnings", "swapped_coordinates"),
        vec![
            json!([3, "lat", "80.95", "swapped_coordinates"]),
            json!([4, "lat", "18.42", "swapped_coordinates"])
        ],
        "{report}"
    );

    let out = bellmap(&app, &["import", "--fix", "swap", file]);
    assert_eq!(out.status.code(), Some(2), "clap refuses the value");
    assert!(String::from_utf8_lossy(&out.stderr).contains("use swap_coordinates"));
}

#[tokio::test]
async fn an_admin_edit_with_a_swapped_point_is_refused_naming_lat() {
    let app = TestApp::spawn(SEED).await;
    let token = admin_token(&app);
    let body = json!({"name": "Cape Town swapped", "categories": ["shelter"], "lat": 18.42, "lon": -33.92, "country": "ZA"});
    let res =
        app.client.post(app.url("/v1/admin/providers")).bearer_auth(&token).json(&body).send().await.unwrap();
    let p = assert_problem(res, 400, Some("lat")).await;
    assert!(p.to_string().contains("look swapped"), "{p}");
}
