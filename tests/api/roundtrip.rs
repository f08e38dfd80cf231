//! One validator for every way in: whatever the admin API accepts exports and re-imports
//! unchanged, and CSV rows and admin JSON refuse the same values.
//!
//! Records are generated with awkward values (quotes, commas, formula triggers, line breaks,
//! emoji, right-to-left text, invisible and control characters, lengths at the limits) and
//! either refused with problems naming a column, or written, exported and read back equal.

use crate::helpers::{CSV_HEADER, TestApp, assert_problem, ok_json};
use bellmap::ingest::{parse_csv, parse_fields, to_fields, write_csv};
use bellmap::model::Column;
use bellmap::model::Role;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, TestRunner};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// Pieces of text people (and attackers) put in spreadsheets. A few are refused everywhere
/// (control characters) and some only in one-line columns (tabs and line breaks).
fn piece() -> impl Strategy<Value = String> {
    let fixed = vec![
        "=",
        "+",
        "-",
        "@",
        "'",
        "\"",
        ",",
        ";",
        "|",
        " ",
        "\u{a0}",
        "\u{feff}",
        "\u{200b}",
        "\u{202e}",
        "\u{200f}",
        "🛟",
        "👩\u{200d}👧",
        "सखी",
        "مرکز",
        "é",
        "e\u{301}",
        "ß",
        "𝔘",
        "=HYPERLINK(\"x\")",
        "+91 0000",
        "'=",
        "''",
        "\"\"",
        "a, b",
        "\\",
        "%00",
        "<b>",
    ];
    let breaks = vec!["\n", "\r\n", "\r", "\t", "\u{2028}"];
    let controls = vec!["\0", "\u{1}", "\u{1b}", "\u{7f}", "\u{85}", "\u{c}"];
    prop_oneof![
        30 => proptest::sample::select(fixed).prop_map(str::to_string),
        30 => "[a-zA-Z0-9 ]{1,12}",
        4 => any::<char>().prop_map(String::from),
        1 => proptest::sample::select(breaks).prop_map(str::to_string),
        1 => proptest::sample::select(controls).prop_map(str::to_string),
    ]
}

/// A text value for a column whose limit is `max` characters: usually short pieces, sometimes
/// a value a few characters either side of the limit.
fn text(max: usize) -> impl Strategy<Value = String> {
    let short = vec(piece(), 0..6).prop_map(|p| p.concat());
    let near_limit = (max - 2..=max + 2, prop_oneof![Just("x"), Just("é"), Just("🛟")], piece())
        .prop_map(|(n, c, p)| format!("{p}{}", c.repeat(n.saturating_sub(p.chars().count()))));
    prop_oneof![12 => short, 1 => near_limit]
}

fn one_of(values: &'static [&'static str]) -> BoxedStrategy<Value> {
    proptest::sample::select(values).prop_map(|v| Value::String(v.to_string())).boxed()
}

/// Mostly one of `valid`, sometimes one of `invalid`.
fn choice(valid: &'static [&'static str], invalid: &'static [&'static str]) -> BoxedStrategy<Value> {
    prop_oneof![12 => one_of(valid), 1 => one_of(invalid)].boxed()
}

/// Absent (`None`), `null` or a value.
fn optional(s: BoxedStrategy<Value>) -> BoxedStrategy<Option<Value>> {
    prop_oneof![4 => Just(None), 1 => Just(Some(Value::Null)), 5 => s.prop_map(Some)].boxed()
}

fn phone() -> BoxedStrategy<Value> {
    const PHONES: &[&str] =
        &["+91 522 230 5550", "0522 230 5550", "181", "(0522) 230-5550", "+27 21 555 0100"];
    prop_oneof![
        12 => one_of(PHONES),
        3 => proptest::sample::select(PHONES).prop_map(|d| json!({"display": d, "e164": "ignored"})),
        1 => one_of(&["1.80043E+11", "call us"]),
    ]
    .boxed()
}

fn degrees(limit: f64) -> BoxedStrategy<Value> {
    prop_oneof![
        12 => (-limit..limit).prop_map(|v| json!(v)),
        4 => (-limit..limit).prop_map(|v| json!(format!("{v}"))),
        2 => (0.0..limit).prop_map(|v| json!(format!("+{v}"))),
        1 => Just(json!(1e-7)),
        1 => Just(json!(limit + 1.0)),
    ]
    .boxed()
}

/// A web address with an awkward path (a space or a control character makes it invalid).
fn website() -> BoxedStrategy<Value> {
    let path = prop_oneof![
        12 => "[a-zA-Z0-9/?=&%,\"'+@;.~-]{0,30}",
        1 => vec(piece(), 1..4).prop_map(|p| p.concat()),
    ];
    path.prop_map(|p| json!(format!("https://ngo.example/{p}"))).boxed()
}

/// One generated admin body: provider fields named as the CSV columns.
fn record() -> impl Strategy<Value = Map<String, Value>> {
    let string = |max: usize| text(max).prop_map(Value::String).boxed();
    let name = prop_oneof![9 => "[A-Z]".prop_flat_map(|c| text(199).prop_map(move |t| format!("{c}{t}"))), 1 => text(200)]
        .prop_map(Value::String)
        .boxed();
    let categories = prop_oneof![
        3 => proptest::sample::subsequence(vec!["shelter", "helpline", "legal_aid", "other"], 1..4)
            .prop_map(|c| json!(c)),
        1 => choice(&["shelter;helpline", "counselling, medical", " police "], &["spa"]),
    ]
    .boxed();
    let languages = prop_oneof![
        2 => proptest::sample::subsequence(vec!["hi", "en", "ta", "mai", "HI"], 0..4).prop_map(|l| json!(l)),
        1 => choice(&["hi;en", " ta , bn "], &["Hindi"]),
    ]
    .boxed();
    let boolean =
        prop_oneof![any::<bool>().prop_map(|b| json!(b)), choice(&["yes", "no", "1", "0", "Y"], &["maybe"])]
            .boxed();
    let columns: Vec<(&'static str, BoxedStrategy<Option<Value>>)> = vec![
        ("external_id", optional(string(100))),
        ("name", name.prop_map(Some).boxed()),
        ("organization", optional(string(200))),
        ("description", optional(string(4000))),
        ("categories", categories.prop_map(Some).boxed()),
        ("lat", degrees(90.0).prop_map(Some).boxed()),
        ("lon", degrees(180.0).prop_map(Some).boxed()),
        ("confidential", optional(boolean.clone())),
        ("address", optional(string(500))),
        ("locality", optional(string(200))),
        ("district", optional(string(200))),
        ("state", optional(string(200))),
        ("postal_code", optional(string(20))),
        ("country", choice(&["IN", "in", " ZA ", "US", "GB", "KE"], &["XX", "India"]).prop_map(Some).boxed()),
        ("phone", optional(phone())),
        ("hotline", optional(phone())),
        ("sms", optional(phone())),
        ("intake_phone", optional(phone())),
        (
            "email",
            optional(choice(&["help@ngo.example", "+help@ngo.example", "=x@y.example"], &["help at ngo"])),
        ),
        ("website", optional(website())),
        ("languages", optional(languages)),
        (
            "hours",
            optional(choice(&["24/7", "Mo-Fr 09:00-17:00", "Mo-Fr 09:00-17:00; Sa 10:00-14:00"], &["soon"])),
        ),
        ("open_24_7", optional(boolean)),
        ("eligibility", optional(string(500))),
        ("cost", optional(string(500))),
        ("wheelchair", optional(choice(&["yes", "limited", "no", "unknown", "partial", "Yes"], &["ramp"]))),
        ("verified_on", optional(choice(&["2026-02-03", "1999-12-31"], &["2026-02-30", "03/02/2026"]))),
        ("status", optional(choice(&["active", "inactive", "closed", " Active "], &["gone"]))),
    ];
    let public = prop_oneof![
        3 => Just(None),
        1 => (degrees(90.0), degrees(180.0)).prop_map(Some),
    ];
    let (keys, strategies): (Vec<&'static str>, Vec<_>) = columns.into_iter().unzip();
    (strategies, public).prop_map(move |(values, public)| {
        let mut body = Map::new();
        for (k, v) in keys.iter().zip(values) {
            if let Some(v) = v {
                body.insert(k.to_string(), v);
            }
        }
        if let Some((lat, lon)) = public {
            body.insert("public_lat".into(), lat);
            body.insert("public_lon".into(), lon);
        }
        body
    })
}

/// A body as cells, the way the admin API documents it: lists joined by ';', a phone by its
/// display text, numbers and booleans as written, null as empty.
fn cells(body: &Map<String, Value>) -> BTreeMap<Column, String> {
    let mut out = BTreeMap::new();
    for (k, v) in body {
        let column = Column::from_name(k).expect("generated keys are columns");
        let cell = match v {
            Value::Null => String::new(),
            Value::String(s) => s.clone(),
            Value::Array(items) => items.iter().map(|i| i.as_str().unwrap()).collect::<Vec<_>>().join(";"),
            Value::Object(o) => o["display"].as_str().unwrap().to_string(),
            other => other.to_string(),
        };
        out.insert(column, cell);
    }
    out
}

const SEED: &str = "external_id,name,categories,lat,lon,country\nseed-1,Sample One,shelter,26.85,80.95,IN\n";

/// The property at the model level, 256 cases: a record the validator accepts is written as
/// one CSV row that reads back equal, without a problem; one it refuses has problems that
/// each name a column. A PATCH's reading of a stored record (to_fields) also gives it back.
#[test]
fn accepted_records_export_and_reimport_unchanged() {
    let mut runner = TestRunner::new(Config { cases: 256, failure_persistence: None, ..Config::default() });
    let counts = std::cell::Cell::new((0, 0));
    runner
        .run(&record(), |body| {
            let (accepted, refused) = counts.get();
            match parse_fields(&cells(&body)) {
                Err(problems) => {
                    counts.set((accepted, refused + 1));
                    prop_assert!(!problems.is_empty());
                    for p in &problems {
                        let named = p.column.as_deref().is_some_and(|c| Column::from_name(c).is_some());
                        prop_assert!(named, "a problem without a column: {:?}", p);
                    }
                }
                Ok(record) => {
                    counts.set((accepted + 1, refused));
                    let mut bytes = Vec::new();
                    write_csv(&mut bytes, [&record]).unwrap();
                    let back = parse_csv(&bytes);
                    let text = String::from_utf8_lossy(&bytes);
                    prop_assert!(back.problems.is_empty(), "{:?}\n{}", back.problems, text);
                    prop_assert_eq!(back.rows.len(), 1, "{}", text);
                    prop_assert_eq!(&back.rows[0].data, &record, "{}", text);
                    prop_assert_eq!(parse_fields(&to_fields(&record)), Ok(record.clone()));
                }
            }
            Ok(())
        })
        .unwrap();
    let (accepted, refused) = counts.get();
    // Both outcomes are exercised, so the property is not vacuous.
    assert!(accepted >= 32 && refused >= 32, "accepted {accepted}, refused {refused} of 256");
}

/// The same property over HTTP: generated bodies are POSTed to the admin API; every answer is a
/// 201 or a 400 naming columns; the CSV export of the result re-imports as unchanged, and every
/// stored record (and its admin view) is exactly as before.
#[tokio::test]
async fn what_the_admin_api_accepts_exports_and_reimports_unchanged() {
    let app = TestApp::spawn(SEED).await;
    let token = app.db().create_token("prop", Role::Admin, "test").unwrap();
    let mut runner = TestRunner::deterministic();
    let strategy = record();
    let mut created: Vec<(i64, Value)> = Vec::new();
    let mut refused = 0;
    for _ in 0..256 {
        let body = Value::Object(strategy.new_tree(&mut runner).unwrap().current());
        let res = app
            .client
            .post(app.url("/v1/admin/providers"))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .unwrap();
        if res.status() == 201 {
            let dto = ok_json(res, "create").await;
            created.push((dto["id"].as_i64().unwrap(), dto));
            continue;
        }
        let problem = assert_problem(res, 400, None).await;
        let errors = problem["errors"].as_array().unwrap();
        assert!(!errors.is_empty(), "{problem}");
        for e in errors {
            let field = e["field"].as_str().unwrap();
            assert!(Column::from_name(field).is_some(), "'{field}' is not a column: {problem}\nbody {body}");
        }
        refused += 1;
    }
    assert!(created.len() >= 32 && refused >= 32, "created {}, refused {refused}", created.len());

    let before = app.db().load_all().unwrap();
    let res = app.client.get(app.url("/v1/admin/providers.csv")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let csv = res.text().await.unwrap();
    let res = app
        .client
        .post(app.url("/v1/admin/imports"))
        .bearer_auth(&token)
        .header("content-type", "text/csv")
        .body(csv.clone())
        .send()
        .await
        .unwrap();
    let report = ok_json(res, "re-import").await;
    let n = created.len() as u64 + 1; // and the seed
    assert_eq!(report["problems"], json!([]), "{report}");
    assert_eq!(
        (report["created"].as_u64(), report["updated"].as_u64(), report["unchanged"].as_u64()),
        (Some(0), Some(0), Some(n)),
        "{report}"
    );
    assert_eq!(app.db().load_all().unwrap(), before, "the stored records are unchanged");
    for (id, dto) in &created {
        let res = app
            .client
            .get(app.url(&format!("/v1/admin/providers/{id}")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(&ok_json(res, "read back").await, dto);
    }
}

/// A CSV row and an admin body holding the same value get the same decision, named by column.
#[tokio::test]
async fn csv_rows_and_admin_json_refuse_the_same_values() {
    let app = TestApp::spawn(SEED).await;
    let token = app.db().create_token("same", Role::Admin, "test").unwrap();
    let cases: [(&str, &str, bool); 12] = [
        ("name", "Sakhi\u{0}Centre", false),
        ("name", "Sakhi\u{1b}[2J", false),
        ("name", "Sakhi\u{7f}", false),
        ("name", "Sakhi\u{85}Centre", false),
        ("name", "Sakhi\nCentre", false),
        ("name", "Sakhi\tCentre", false),
        ("website", "https://ngo.example/\u{1}", false),
        ("description", "Line one\nline two\ttabbed\r\nthree", true),
        ("address", "1 Lane\nLucknow", true),
        ("description", "bell\u{7}", false),
        ("name", &"é".repeat(201), false),
        ("name", "=cmd|' /C calc'!A0 🛟 \u{202e}", true),
    ];
    for (i, (column, value, ok)) in cases.into_iter().enumerate() {
        let mut body = json!({"external_id": format!("same-{i}"), "name": "Sample", "categories": "shelter",
            "lat": 26.85, "lon": 80.95, "country": "IN"});
        body[column] = json!(value);
        let res = app
            .client
            .post(app.url("/v1/admin/providers"))
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await
            .unwrap();
        let json_ok = if ok {
            assert_eq!(res.status(), 201, "{column} {value:?}: {}", res.text().await.unwrap());
            true
        } else {
            let p = assert_problem(res, 400, Some(column)).await;
            assert!(p["errors"].as_array().unwrap().len() == 1, "{p}");
            false
        };
        // The same value in a CSV row, written as a spreadsheet would (quoted).
        let mut row: Vec<String> = CSV_HEADER.split(',').map(|_| String::new()).collect();
        let set = |row: &mut Vec<String>, c: &str, v: &str| {
            let i = CSV_HEADER.split(',').position(|h| h == c).unwrap();
            row[i] = format!("\"{}\"", v.replace('"', "\"\""));
        };
        for (c, v) in
            [("external_id", "csv"), ("name", "Sample"), ("categories", "shelter"), ("lat", "26.85")]
        {
            set(&mut row, c, v);
        }
        set(&mut row, "lon", "80.95");
        set(&mut row, "country", "IN");
        set(&mut row, column, value);
        let parsed = parse_csv(format!("{CSV_HEADER}\n{}\n", row.join(",")).as_bytes());
        assert_eq!(parsed.problems.is_empty(), json_ok, "{column} {value:?}: {:?}", parsed.problems);
        if !json_ok {
            assert_eq!(parsed.problems[0].column.as_deref(), Some(column), "{:?}", parsed.problems);
        }
    }
}
