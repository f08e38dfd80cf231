//! The store and the import path without HTTP: migrations, all-or-nothing imports, the sample.

use crate::helpers::{POSTGRES_URL_VAR, TestDatabase, backend, notice};
use bellmap::db::{Backend, Db};
use bellmap::service::Service;

fn temp_db() -> (TestDatabase, Db) {
    let database = TestDatabase::new();
    let db = database.open();
    (database, db)
}

/// The suite's databases are on the backend the environment names; without PostgreSQL that
/// half is skipped, and this says so.
#[test]
fn the_suite_runs_on_the_backend_it_says() {
    let (database, db) = temp_db();
    let expected = if std::env::var(POSTGRES_URL_VAR).is_ok_and(|u| !u.trim().is_empty()) {
        Backend::Postgres
    } else {
        notice(&format!(
            "{POSTGRES_URL_VAR} is not set, so the suite ran on SQLite only and its PostgreSQL half was skipped"
        ));
        Backend::Sqlite
    };
    assert_eq!(backend(), expected);
    assert_eq!(db.backend(), expected);
    assert_eq!(Backend::of_url(database.url()), expected, "{}", database.url());
    db.ping().unwrap();
}

const GOOD: &str = "external_id,name,categories,lat,lon,country,phone\n\
    a,Sample A,shelter,26.85,80.95,IN,0522 230 5550\n\
    b,Sample B,helpline,19.07,72.87,IN,181\n";

#[test]
fn migrations_go_down_and_up_again() {
    let (_dir, db) = temp_db();
    let service = Service::open(db.clone()).unwrap();
    service.import_csv(GOOD.as_bytes(), false).unwrap();
    assert_eq!(db.count_providers().unwrap(), 2);
    db.redo_all_migrations().unwrap();
    assert_eq!(db.count_providers().unwrap(), 0, "down.sql dropped the table, up.sql recreated it");
    Service::open(db.clone()).unwrap().import_csv(GOOD.as_bytes(), false).unwrap();
    assert_eq!(db.count_providers().unwrap(), 2);
}

#[test]
fn a_file_with_one_bad_row_writes_nothing() {
    let (_dir, db) = temp_db();
    let service = Service::open(db.clone()).unwrap();
    let bad = format!("{GOOD}c,Sample C,shelter,95,80,IN,\n");
    let report = service.import_csv(bad.as_bytes(), false).unwrap();
    assert!(!report.written);
    assert_eq!(report.invalid, 1);
    let p = &report.problems[0];
    assert_eq!((p.line, p.column.as_deref(), p.value.as_deref()), (4, Some("lat"), Some("95")));
    assert_eq!(db.count_providers().unwrap(), 0);
    assert_eq!(service.index().load().len(), 0);
}

#[test]
fn dry_run_counts_what_a_real_run_does_and_writes_nothing() {
    let (_dir, db) = temp_db();
    let service = Service::open(db.clone()).unwrap();
    let dry = service.import_csv(GOOD.as_bytes(), true).unwrap();
    assert_eq!((dry.created, dry.updated, dry.written), (2, 0, false));
    assert_eq!(db.count_providers().unwrap(), 0);
    let real = service.import_csv(GOOD.as_bytes(), false).unwrap();
    assert_eq!((real.created, real.updated, real.unchanged, real.written), (2, 0, 0, true));
    let again = service.import_csv(GOOD.as_bytes(), false).unwrap();
    assert_eq!((again.created, again.updated, again.unchanged), (0, 0, 2), "upsert is idempotent");
    let changed = GOOD.replace("Sample B", "Sample B renamed");
    let upd = service.import_csv(changed.as_bytes(), false).unwrap();
    assert_eq!((upd.created, upd.updated, upd.unchanged), (0, 1, 1));
    let snap = service.index().load();
    assert!(snap.records.iter().any(|p| p.data.name == "Sample B renamed"), "the new snapshot is published");
}

#[test]
fn stored_records_round_trip_exactly() {
    let (_dir, db) = temp_db();
    let service = Service::open(db.clone()).unwrap();
    let parsed = bellmap::ingest::parse_csv(bellmap::app::SAMPLE_CSV);
    assert!(parsed.problems.is_empty(), "{:?}", &parsed.problems[..parsed.problems.len().min(3)]);
    service.import_csv(bellmap::app::SAMPLE_CSV, false).unwrap();
    let stored = db.load_all().unwrap();
    assert_eq!(stored.len(), parsed.rows.len());
    for (row, p) in parsed.rows.iter().zip(&stored) {
        assert_eq!(row.data, p.data, "line {}", row.line);
    }
}

/// data/providers.csv is exactly what the documented command generates.
#[test]
fn bundled_sample_is_reproducible() {
    let mut out = Vec::new();
    bellmap::sample::write_sample_csv(&mut out, 2500, 2026).unwrap();
    assert!(
        out == bellmap::app::SAMPLE_CSV,
        "regenerate with: cargo run --release -- sample --count 2500 --seed 2026 > data/providers.csv"
    );
}
