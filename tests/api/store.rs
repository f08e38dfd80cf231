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
    assert!(snap.records.iter().any(|p| p.name() == "Sample B renamed"), "the new snapshot is published");
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

/// `n` valid rows with external ids `{prefix}0..`, in one CSV.
fn rows(prefix: &str, n: usize) -> String {
    let mut csv = String::from("external_id,name,categories,lat,lon,country\n");
    for i in 0..n {
        let lat = 8.0 + (i % 200) as f64 * 0.1;
        let lon = 70.0 + (i / 200) as f64 * 0.1;
        csv.push_str(&format!("{prefix}{i},Sample {prefix} {i},shelter,{lat:.4},{lon:.4},IN\n"));
    }
    csv
}

/// Writers are serialised on either backend: imports through two handles on one database (as
/// two instances would hold) at once each see the other's committed rows, never half of them,
/// so both reports are right and the import ids and the change sequence advance once each.
#[test]
fn concurrent_imports_through_two_handles_are_serialised() {
    let (database, db) = temp_db();
    let one = Service::open(db.clone()).unwrap();
    let two = Service::open(database.open()).unwrap();
    let seq = db.change_seq().unwrap();
    let shared = rows("s", 1500);
    let barrier = std::sync::Barrier::new(2);
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| {
            barrier.wait();
            one.import_csv(shared.as_bytes(), false).unwrap()
        });
        let b = s.spawn(|| {
            barrier.wait();
            two.import_csv(shared.as_bytes(), false).unwrap()
        });
        (a.join().unwrap(), b.join().unwrap())
    });
    // Whichever ran second found every row of the first: nothing created twice, no unique
    // violation, nothing half-seen.
    let mut counts = [(a.created, a.unchanged), (b.created, b.unchanged)];
    counts.sort();
    assert_eq!(counts, [(0, 1500), (1500, 0)], "{a:?} / {b:?}");
    let mut ids = [a.import_id.unwrap(), b.import_id.unwrap()];
    ids.sort();
    assert_eq!(ids, [1, 2]);
    assert_eq!(db.count_providers().unwrap(), 1500);
    assert_eq!(db.change_seq().unwrap(), seq + 1, "only the import that created rows moved the sequence");
}

/// Dry runs and refused files roll back without using an import id, on PostgreSQL too (where a
/// sequence would have skipped them): the history counts 1, 2, 3.
#[test]
fn import_ids_have_no_gaps_after_dry_runs() {
    let (_database, db) = temp_db();
    let service = Service::open(db.clone()).unwrap();
    let mut ids = Vec::new();
    for (i, csv) in [rows("a", 3), rows("b", 2), rows("c", 4)].iter().enumerate() {
        assert_eq!(service.import_csv(csv.as_bytes(), true).unwrap().import_id, None);
        let bad = format!("{csv}x,Sample X,shelter,95,80,IN\n");
        assert!(!service.import_csv(bad.as_bytes(), false).unwrap().written);
        let real = service.import_csv(csv.as_bytes(), false).unwrap();
        assert!(real.written, "import {i}");
        ids.push(real.import_id.unwrap());
    }
    assert_eq!(ids, [1, 2, 3]);
    let (history, total) = db.list_imports(0, 10).unwrap();
    assert_eq!(total, 3);
    assert_eq!(history.iter().map(|r| r.id).collect::<Vec<_>>(), [3, 2, 1]);
    let (reverted_by, restored) = service.revert(2, "test").unwrap();
    assert_eq!((reverted_by, restored), (4, 2));
    assert_eq!(db.count_providers().unwrap(), 7);
}

/// A snapshot load is one consistent read: the rows are exactly those of the sequence it
/// reports, while another handle keeps writing.
#[test]
fn snapshot_loads_match_their_sequence_under_concurrent_writes() {
    let (database, db) = temp_db();
    let writer = Service::open(database.open()).unwrap();
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        s.spawn(|| {
            for i in 1..=15 {
                writer.import_csv(rows(&format!("w{i}_"), 40).as_bytes(), false).unwrap();
            }
            stop.store(true, std::sync::atomic::Ordering::Relaxed);
        });
        let mut loads = 0;
        while !stop.load(std::sync::atomic::Ordering::Relaxed) || loads == 0 {
            let mut active = Vec::new();
            let seq = db.load_active(|p| active.push(p)).unwrap();
            // Each import creates 40 rows and moves the sequence by one from its start.
            let start = 1;
            assert_eq!(active.len() as i64, (seq - start) * 40, "sequence {seq}");
            loads += 1;
        }
    });
}

/// Instances that start together on a new database migrate it once between them.
#[test]
fn instances_starting_together_migrate_once() {
    let database = TestDatabase::new();
    let opened: Vec<Result<Db, String>> = std::thread::scope(|s| {
        let handles: Vec<_> =
            (0..4).map(|_| s.spawn(|| Db::open(database.url()).map_err(|e| e.to_string()))).collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for db in &opened {
        let db = db.as_ref().expect("every instance opens");
        assert_eq!(db.count_providers().unwrap(), 0);
    }
}
