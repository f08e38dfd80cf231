//! Bad files get a clear report (line, column, value, plain words), never a panic, and write
//! nothing; export → import changes nothing; the real directories in ../shared/data (when
//! present) get reports that name the damage their READMEs describe.

use crate::helpers::TestDatabase;
use bellmap::db::Db;
use bellmap::ingest::write_csv;
use bellmap::model::LonLat;
use bellmap::service::{Code, Fix, ImportOptions, ImportReport, Service};
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// A service over a fresh test database.
fn service() -> (TestDatabase, Db, Service) {
    let database = TestDatabase::new();
    let db = database.open();
    let service = Service::open(db.clone()).unwrap();
    (database, db, service)
}

/// Imports `bytes` into a fresh database (not a dry run) and asserts that a report with problems
/// wrote nothing: no rows in the database, an empty snapshot.
fn import(bytes: &[u8]) -> ImportReport {
    let (_dir, db, service) = service();
    let report = service.import_csv(bytes, false).unwrap();
    if !report.problems.is_empty() {
        assert!(!report.written, "{report:?}");
        assert_eq!(db.count_providers().unwrap(), 0);
        assert_eq!(service.index().load().len(), 0);
    }
    report
}

/// The only problem of a rejected file; asserts its line and that its message has every needle.
fn sole_problem(report: &ImportReport, line: u64, needles: &[&str]) {
    assert_eq!(report.problems.len(), 1, "{:#?}", report.problems);
    let p = &report.problems[0];
    assert_eq!(p.line, line, "{p:?}");
    for needle in needles {
        assert!(p.message.contains(needle), "{needle:?} not in {:?}", p.message);
    }
}

const HEADER: &str = "external_id,name,categories,lat,lon,country,phone";

fn rows(rows: &[&str]) -> String {
    let mut s = format!("{HEADER}\n");
    for r in rows {
        s.push_str(r);
        s.push('\n');
    }
    s
}

#[test]
fn windows_1252_is_read_with_a_warning_naming_the_first_line() {
    // "Café" and "Näri" as Excel's legacy "CSV" writes them (é = 0xE9, ä = 0xE4).
    let bytes = [
        rows(&["a1,Sakhi,shelter,26.85,80.95,IN,"]).as_bytes(),
        b"a2,Caf\xe9 N\xe4ri,shelter,26.9,80.9,IN,\n",
    ]
    .concat();
    let (_dir, db, service) = service();
    let report = service.import_csv(&bytes, false).unwrap();
    assert!(report.problems.is_empty() && report.written, "{report:?}");
    let w = &report.warnings[0].message;
    assert!(w.contains("Windows-1252") && w.contains("line 3"), "{w}");
    let names: BTreeSet<String> = db.load_all().unwrap().into_iter().map(|p| p.data.name).collect();
    assert!(names.contains("Café Näri"), "{names:?}");
}

#[test]
fn bytes_that_are_neither_utf8_nor_windows_1252_are_an_error() {
    // 0x81 is undefined in Windows-1252; the rest of the file is fine.
    let bytes = [rows(&["a1,A,shelter,1,2,IN,"]).as_bytes(), b"a2,B\x81\x8d,shelter,1,2,IN,\n"].concat();
    sole_problem(&import(&bytes), 3, &["line 3", "not UTF-8", "CSV UTF-8"]);
    // A UTF-8 file (Devanagari) with one stray Latin-1 byte on line 4: not guessed, reported.
    let bytes = [
        rows(&["a1,सखी,shelter,1,2,IN,", "a2,B,shelter,1,2,IN,"]).as_bytes(),
        b"a3,Caf\xe9,shelter,1,2,IN,\n",
    ]
    .concat();
    sole_problem(&import(&bytes), 4, &["line 4", "not UTF-8"]);
}

#[test]
fn empty_file() {
    for bytes in [&b""[..], b"\n\n  \r\n", b"\xEF\xBB\xBF"] {
        sole_problem(&import(bytes), 1, &["empty", "header"]);
    }
}

#[test]
fn header_only() {
    sole_problem(&import(format!("{HEADER}\n").as_bytes()), 1, &["no data rows"]);
    // Blank spreadsheet rows (",,,,") are not data either.
    sole_problem(&import(format!("{HEADER}\n,,,,,,\n\n").as_bytes()), 1, &["no data rows"]);
}

#[test]
fn missing_required_column() {
    let report = import(b"external_id,name,categories,lon,country\na1,A,shelter,80.9,IN\n");
    sole_problem(&report, 1, &["required column 'lat' is missing"]);
    assert_eq!(report.problems[0].column.as_deref(), Some("lat"));
}

#[test]
fn the_same_column_twice() {
    let report = import(b"name,categories,lat,lon,country,Latitude\nA,shelter,1,2,IN,3\n");
    sole_problem(&report, 1, &["'lat' appears twice", "'lat' (column 3)", "'Latitude' (column 6)"]);
    let report = import(b"name,NAME,categories,lat,lon,country\nA,B,shelter,1,2,IN\n");
    sole_problem(&report, 1, &["'name' appears twice", "column 1", "column 2"]);
}

#[test]
fn rows_with_too_many_or_too_few_fields() {
    let report = import(
        rows(&[
            "a1,A,shelter,26.85,80.95,IN,",
            "a2,B,shelter,26.85,80.95",
            "a3,C,shelter,26.85,80.95,IN,,extra",
            "a4,Flat 2, Rose Villa,shelter,26.85,80.95,IN,",
        ])
        .as_bytes(),
    );
    let got: Vec<(u64, &str)> = report.problems.iter().map(|p| (p.line, p.message.as_str())).collect();
    assert_eq!(got.len(), 3, "{got:#?}");
    assert!(got[0].0 == 3 && got[0].1.contains("line 3 has 5 cells but the header has 7 columns"), "{got:?}");
    assert!(got[1].0 == 4 && got[1].1.contains("has 8 cells but the header has 7"), "{got:?}");
    assert!(
        got[2].0 == 5 && got[2].1.contains("has 8 cells") && got[2].1.contains("double quotes"),
        "{got:?}"
    );
    assert_eq!((report.rows, report.invalid), (4, 3));
}

#[test]
fn an_unterminated_quote_names_the_line_where_it_opened() {
    // The two-line cell is a description (a name must be one line), in the unused phone column.
    let report = import(
        rows(&[
            "a1,A,shelter,26.85,80.95,IN,",
            "a2,B,shelter,26.85,80.95,IN,\"B\nspans two lines\"",
            "a3,\"C, unclosed,shelter,26.85,80.95,IN,",
            "a4,D,shelter,26.85,80.95,IN,",
            "a5,E,shelter,26.85,80.95,IN,",
        ])
        .replacen(",phone\n", ",description\n", 1)
        .as_bytes(),
    );
    sole_problem(&report, 5, &["opens a cell on line 5", "never closed", "line 7"]);
    assert_eq!(report.rows, 3, "rows 2 and 3 were read; the rest was swallowed by the open quote");
    // In the header, too.
    sole_problem(
        &import(b"name,\"categories,lat,lon,country\nA,shelter,1,2,IN\n"),
        1,
        &["header", "never closed"],
    );
}

#[test]
fn nul_bytes_name_the_line_and_a_binary_file_is_not_csv() {
    let report = import(
        rows(&["a1,A,shelter,26.85,80.95,IN,", "a2,B\0,shelter,26.85,80.95,IN,", "a3,C,shelter,1,2,IN,"])
            .as_bytes(),
    );
    sole_problem(&report, 3, &["line 3", "NUL"]);
    assert_eq!(report.problems[0].column.as_deref(), Some("name"));
    // UTF-16 without a byte-order mark: every other byte is NUL.
    let utf16: Vec<u8> = rows(&["a1,A,shelter,26.85,80.95,IN,"]).bytes().flat_map(|b| [b, 0]).collect();
    sole_problem(&import(&utf16), 1, &["this is not a CSV file"]);
    // Random bytes (a fixed pseudo-random sequence), as from a photo or a database file.
    let mut x: u32 = 2026;
    let noise: Vec<u8> = (0..4096)
        .map(|_| {
            x = x.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            (x >> 16) as u8
        })
        .collect();
    sole_problem(&import(&noise), 1, &["this is not a CSV file"]);
}

#[test]
fn a_ten_megabyte_cell_is_reported_once_with_a_short_value() {
    let huge = "ab".repeat(5_000_000);
    let mut csv =
        format!("external_id,name,description,categories,lat,lon,country\na1,A,\"{huge}\",shelter,1,2,IN\n");
    csv.push_str(&format!("a2,{huge},,shelter,1,2,IN\n"));
    let started = std::time::Instant::now();
    let report = import(csv.as_bytes());
    eprintln!("a 20 MB file with two 10 MB cells took {:?} to check", started.elapsed());
    let got: Vec<(u64, Option<&str>)> =
        report.problems.iter().map(|p| (p.line, p.column.as_deref())).collect();
    assert_eq!(got, vec![(2, Some("description")), (3, Some("name"))], "{:?}", report.problems);
    for p in &report.problems {
        assert!(p.message.contains("10000000 characters"), "{}", p.message);
        assert!(p.value.as_ref().unwrap().chars().count() <= 201);
    }
    assert!(report.problems[0].message.contains("4000"));
    assert!(report.problems[1].message.contains("200"));
}

#[test]
fn crlf_and_lf_give_the_same_result() {
    // The two-line cell is a description: a name must be one line.
    let lf = rows(&[
        "a1,A,shelter,26.85,80.95,IN,0522 230 5550,",
        "a2,B,helpline,26.9,80.9,IN,181,\"B\nline two\"",
        "a3,C,shelter,95,80.95,IN,,",
    ])
    .replacen(",phone\n", ",phone,description\n", 1);
    let crlf = lf.replace('\n', "\r\n");
    let (bad_lf, bad_crlf) = (import(lf.as_bytes()), import(crlf.as_bytes()));
    assert_eq!(bad_lf.problems, bad_crlf.problems);
    assert_eq!(bad_lf.problems[0].line, 5, "the row after a two-line cell starts on line 5");

    let good_lf = lf.replace(",95,", ",26.95,");
    let (_dir, db, service) = service();
    let first = service.import_csv(good_lf.as_bytes(), false).unwrap();
    assert_eq!((first.created, first.written), (3, true), "{first:?}");
    // The same rows with CRLF endings change nothing (the line break inside the quoted cell is
    // LF in both: only the row endings differ).
    let good_crlf = good_lf.replace("\n", "\r\n").replace("B\r\nline two", "B\nline two");
    let again = service.import_csv(good_crlf.as_bytes(), false).unwrap();
    assert_eq!((again.created, again.updated, again.unchanged), (0, 0, 3), "{again:?}");
    assert_eq!(db.count_providers().unwrap(), 3);
}

#[test]
fn header_in_another_case_or_with_a_bom_is_fine() {
    let body = "a1,A,shelter,26.85,80.95,IN,\n";
    for header in [
        HEADER.to_uppercase(),
        format!("\u{feff}{HEADER}"),
        "External ID,NAME,Category,Latitude,Lng,Country,Telephone".into(),
    ] {
        let report = import(format!("{header}\n{body}").as_bytes());
        assert!(report.problems.is_empty() && report.written, "{header}: {report:?}");
        assert_eq!(report.created, 1);
    }
}

#[test]
fn a_pdf_or_a_workbook_is_one_clear_problem() {
    let pdf = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n";
    sole_problem(&import(pdf), 1, &["this is a PDF", "not CSV", "File › Save As › CSV UTF-8"]);
    let xlsx = b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00b\xee\x9dh^\x01\x00\x00\x90\x04\x00\x00\x13\x00\x08\x02[Content_Types].xml";
    sole_problem(&import(xlsx), 1, &["Excel workbook", "not CSV", "File › Save As › CSV UTF-8"]);
}

#[test]
fn probable_duplicates_are_warnings_naming_both_lines() {
    let (_dir, _db, service) = service();
    let report = service
        .import_csv(
            rows(&[
                "a1,Sakhi One Stop Centre,one_stop_centre,26.8500,80.9500,IN,0522 230 5550",
                "a2,Mahila Thana,police,26.7,80.8,IN,+91 522 230 5550",
                "a3,SAKHI one-stop centre,one_stop_centre,26.8509,80.9505,IN,",
                "a4,Sakhi One Stop Centre,one_stop_centre,27.5,81.5,IN,",
            ])
            .as_bytes(),
            false,
        )
        .unwrap();
    assert!(report.problems.is_empty() && report.written, "warnings never block: {report:?}");
    let dup: Vec<&String> =
        report.warnings.iter().map(|w| &w.message).filter(|w| w.contains("duplicate")).collect();
    assert_eq!(dup.len(), 2, "{dup:#?}");
    assert!(dup[0].contains("line 3") && dup[0].contains("line 2") && dup[0].contains("phone"), "{}", dup[0]);
    assert!(dup[1].contains("line 4") && dup[1].contains("line 2") && dup[1].contains("name"), "{}", dup[1]);
}

/// Options for a CLI-like import that applies `fixes`.
fn fixing(fixes: &[Fix], dry_run: bool) -> ImportOptions {
    ImportOptions { fixes: fixes.to_vec(), ..ImportOptions::cli("test.csv", dry_run) }
}

#[test]
fn swapped_coordinates_are_problems_naming_the_line_unless_fixed() {
    let csv = rows(&[
        "a1,Lucknow,shelter,26.85,80.95,IN,",
        "a2,Lucknow swapped,shelter,80.95,26.85,IN,",
        "a3,Cape Town swapped,shelter,18.42,-33.92,ZA,",
        "a4,Cape Town,shelter,-33.92,18.42,ZA,",
    ]);
    let report = import(csv.as_bytes());
    assert!(!report.written, "{report:?}");
    let swapped: Vec<_> =
        report.problems.iter().map(|p| (p.line, p.column.as_deref(), p.value.as_deref(), p.code)).collect();
    assert_eq!(
        swapped,
        vec![
            (3, Some("lat"), Some("80.95"), Code::SwappedCoordinates),
            (4, Some("lat"), Some("18.42"), Code::SwappedCoordinates)
        ],
        "{:#?}",
        report.problems
    );
    assert_eq!(report.invalid, 2);

    // With the fix, both rows are imported swapped, each one reported.
    let (_dir, db, service) = service();
    let report = service.import(csv.into_bytes(), &fixing(&[Fix::SwapCoordinates], false)).unwrap();
    assert!(report.problems.is_empty() && report.written, "{report:?}");
    assert_eq!(report.created, 4);
    let fixed: Vec<u64> =
        report.warnings.iter().filter(|w| w.code == Code::SwappedCoordinates).map(|w| w.line).collect();
    assert_eq!(fixed, vec![3, 4], "{:#?}", report.warnings);
    let points: BTreeMap<String, (f64, f64)> = db
        .load_all()
        .unwrap()
        .into_iter()
        .map(|p| (p.data.external_id, (p.data.location.reveal().lat, p.data.location.reveal().lon)))
        .collect();
    assert_eq!(points["a1"], points["a2"]);
    assert_eq!(points["a3"], points["a4"]);
    assert_eq!(points["a3"], (-33.92, 18.42));
}

#[test]
fn a_point_outside_its_country_without_a_swap_is_imported_with_a_warning() {
    // Nairobi's coordinates on a row that says South Africa: swapped, they are in the sea.
    let (_dir, db, service) = service();
    let report = service
        .import_csv(
            rows(&["a1,Nairobi?,shelter,-1.29,36.82,ZA,", "a2,Cape Town,shelter,-33.92,18.42,ZA,"])
                .as_bytes(),
            false,
        )
        .unwrap();
    assert!(report.problems.is_empty() && report.written, "{report:?}");
    assert_eq!(db.count_providers().unwrap(), 2);
    let outside: Vec<_> =
        report.warnings.iter().filter(|w| w.code == Code::OutsideCountry).map(|w| w.line).collect();
    assert_eq!(outside, vec![2], "{:#?}", report.warnings);
    // The fix changes nothing here: swapping would not put it inside either.
    let fixed = service
        .import(
            rows(&["a1,Nairobi?,shelter,-1.29,36.82,ZA,"]).into_bytes(),
            &fixing(&[Fix::SwapCoordinates], true),
        )
        .unwrap();
    assert!(fixed.warnings.iter().all(|w| w.code != Code::SwappedCoordinates), "{fixed:?}");
}

#[test]
fn export_then_import_changes_nothing() {
    let (_dir, db, service) = service();
    let first = service.import_csv(bellmap::app::SAMPLE_CSV, false).unwrap();
    assert!(first.written && first.created > 0, "{first:?}");
    let stored = db.load_all().unwrap();
    let mut exported = Vec::new();
    write_csv(&mut exported, stored.iter().map(|p| &p.data)).unwrap();
    let again = service.import_csv(&exported, false).unwrap();
    assert!(again.problems.is_empty(), "{:?}", &again.problems[..again.problems.len().min(3)]);
    assert_eq!((again.created, again.updated, again.unchanged), (0, 0, stored.len()), "{again:?}");
    assert_eq!(db.load_all().unwrap(), stored, "not even updated_at moved");
}

// ---------------------------------------------------------------------------------------------
// Real directories from ../shared/data (never copied into this repository)

/// The file's bytes, or `None` with a printed notice when the shared data folder is absent.
fn real_file(relative: &str) -> Option<Vec<u8>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/data").join(relative);
    match std::fs::read(&path) {
        Ok(bytes) => Some(bytes),
        Err(e) => {
            eprintln!("skipping: {} is not available ({e})", path.display());
            None
        }
    }
}

/// One converted data row: its line in the converted file (= the original's) and the
/// original cells by header name.
struct Source {
    line: u64,
    cells: BTreeMap<String, String>,
}

/// Rewrites a real file into Bellmap's columns: every original cell is kept (its header
/// prefixed with `src_`, so it is an ignored unknown column), and the Bellmap columns that
/// `map` computes from the original cells are appended, with line breaks turned into spaces.
/// Keeping every original cell keeps every row on the same lines as in the original. Returns the new file and its rows, whose line
/// numbers come from the csv crate, not from Bellmap's reader.
fn convert(
    original: &[u8],
    map: impl Fn(&BTreeMap<String, String>) -> Vec<(&'static str, String)>,
) -> (Vec<u8>, Vec<Source>) {
    let mut reader = csv::ReaderBuilder::new().from_reader(original);
    let headers: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
    let mut writer = csv::WriterBuilder::new().from_writer(Vec::new());
    let mut sources = Vec::new();
    let mut out_header: Option<Vec<String>> = None;
    for record in reader.records() {
        let record = record.unwrap();
        let cells: BTreeMap<String, String> =
            headers.iter().cloned().zip(record.iter().map(str::to_string)).collect();
        let mapped = map(&cells);
        if out_header.is_none() {
            let mut h: Vec<String> = headers.iter().map(|h| format!("src_{h}")).collect();
            h.extend(mapped.iter().map(|(c, _)| c.to_string()));
            writer.write_record(&h).unwrap();
            out_header = Some(h);
        }
        let mut row: Vec<String> = record.iter().map(str::to_string).collect();
        // A line break in a mapped value would add lines: the original cell already has it.
        row.extend(mapped.into_iter().map(|(_, v)| v.replace(['\r', '\n'], " ")));
        writer.write_record(&row).unwrap();
        sources.push(Source { line: record.position().unwrap().line(), cells });
    }
    let converted = writer.into_inner().unwrap();
    let lines = |b: &[u8]| b.trim_ascii_end().iter().filter(|c| **c == b'\n').count();
    assert_eq!(lines(&converted), lines(original), "the conversion keeps every row on its lines");
    (converted, sources)
}

/// Dry-runs `csv` through the service and asserts that nothing was written.
fn dry_run(csv: &[u8]) -> ImportReport {
    let (_dir, db, service) = service();
    let report = service.import_csv(csv, true).unwrap();
    assert!(!report.written);
    assert_eq!(db.count_providers().unwrap(), 0);
    report
}

/// Lines with a problem in `column` whose message contains `needle`.
fn problem_lines(report: &ImportReport, column: &str, needle: &str) -> BTreeSet<u64> {
    report
        .problems
        .iter()
        .filter(|p| p.column.as_deref() == Some(column) && p.message.contains(needle))
        .map(|p| p.line)
        .collect()
}

/// Lines of per-row swapped-coordinate problems.
fn swapped_lines(report: &ImportReport) -> BTreeSet<u64> {
    report.problems.iter().filter(|p| p.code == Code::SwappedCoordinates).map(|p| p.line).collect()
}

/// Lines of outside-country warnings.
fn outside_lines(report: &ImportReport) -> BTreeSet<u64> {
    report.warnings.iter().filter(|w| w.code == Code::OutsideCountry).map(|w| w.line).collect()
}

/// Prints what a report found (kinds of problem with counts and first lines, file-level
/// warnings, a few duplicates), for the record of what the real files contain.
fn summarise(name: &str, report: &ImportReport) {
    let mut by_kind: BTreeMap<String, Vec<u64>> = BTreeMap::new();
    for p in &report.problems {
        // The message without the quoted value it may start with, cut to a few words.
        let message = if p.message.starts_with('\'') {
            p.message.splitn(3, '\'').nth(2).unwrap_or_default()
        } else {
            p.message.as_str()
        };
        let words = message.split_whitespace().take(7).collect::<Vec<_>>().join(" ");
        by_kind.entry(format!("{} | {words}", p.column.as_deref().unwrap_or("-"))).or_default().push(p.line);
    }
    eprintln!(
        "{name}: {} rows, {} invalid, {} problems, {} warnings",
        report.rows,
        report.invalid,
        report.problems.len(),
        report.warnings.len()
    );
    for (kind, lines) in by_kind {
        let first: Vec<String> = lines.iter().take(5).map(u64::to_string).collect();
        eprintln!(
            "  {:>4} × {kind} (lines {}{})",
            lines.len(),
            first.join(", "),
            if lines.len() > 5 { ", …" } else { "" }
        );
    }
    let mut warned: BTreeMap<&str, usize> = BTreeMap::new();
    for w in &report.warnings {
        *warned.entry(w.code.as_str()).or_default() += 1;
    }
    eprintln!("  warnings by code: {warned:?}");
    let file_level = report.warnings.iter().filter(|w| w.line <= 1 && w.code != Code::UnknownColumn);
    let duplicates = report.warnings.iter().filter(|w| w.code == Code::ProbableDuplicate);
    for w in file_level.chain(duplicates.take(3)) {
        eprintln!("  warning: line {}: {}", w.line, w.message);
    }
}

fn cell(cells: &BTreeMap<String, String>, name: &str) -> String {
    cells.get(name).map(|s| s.trim().to_string()).unwrap_or_default()
}

/// South African shelters, 2019, before upstream fixed its swapped Latitude/Longitude columns,
/// in Bellmap's columns (with or without their phone cells); `None` when the shared data is
/// absent.
fn sa_swapped_shelters(with_phone: bool) -> Option<(Vec<u8>, Vec<Source>)> {
    let original = real_file("providers-south-africa/sa_shelters_2019_latlon_swapped_coarsened.csv")?;
    Some(convert(&original, |c| {
        let phone = if with_phone { cell(c, "Tel") } else { String::new() };
        vec![
            ("name", cell(c, "Name")),
            ("categories", "shelter".into()),
            ("lat", cell(c, "Latitude")),
            ("lon", cell(c, "Longitude")),
            ("state", cell(c, "Province")),
            ("locality", cell(c, "Subregion")),
            ("phone", phone),
            ("country", "ZA".into()),
        ]
    }))
}

/// Every one of the 115 rows must be refused as swapped, on its own line, plus a column-level
/// summary.
#[test]
fn real_sa_shelters_with_swapped_coordinates() {
    let Some((csv, sources)) = sa_swapped_shelters(true) else {
        return;
    };
    let report = dry_run(&csv);
    summarise("sa_shelters_2019_latlon_swapped_coarsened", &report);
    assert_eq!(sources.len(), 115, "the README's row count");
    let all: BTreeSet<u64> = sources.iter().map(|s| s.line).collect();
    assert_eq!(swapped_lines(&report), all, "every row is swapped (README)");
    assert_eq!(report.invalid, 115);
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.message.contains("115 of 115 rows") && w.message.contains("lines 2, 3, 4, 5, 6, …"))
    );
    // Two numbers in one phone cell ("079 693 2105/043 605 5171"): too many digits for one number.
    let two_numbers: BTreeSet<u64> =
        sources.iter().filter(|s| cell(&s.cells, "Tel").contains('/')).map(|s| s.line).collect();
    assert!(!two_numbers.is_empty());
    assert!(two_numbers.is_subset(&problem_lines(&report, "phone", "3 to 15 digits")));
    // The two empty header names are said out loud, not dropped silently.
    assert!(report.warnings.iter().any(|w| w.message.contains("unknown column 'src_'")));
}

/// With fix=swap_coordinates, every row is read swapped (one warning each) and every point lies
/// inside South Africa's outline, not in the ocean. (Without the phone cells: every one holds two
/// numbers, a problem of its own.)
#[test]
fn real_sa_shelters_are_placed_inside_south_africa_by_the_swap_fix() {
    let Some((csv, sources)) = sa_swapped_shelters(false) else {
        return;
    };
    let (_dir, db, service) = service();
    let opts =
        ImportOptions { on_error: bellmap::model::OnError::Skip, ..fixing(&[Fix::SwapCoordinates], false) };
    let report = service.import(csv, &opts).unwrap();
    summarise("sa_shelters_2019_latlon_swapped_coarsened, fixed", &report);
    let all: BTreeSet<u64> = sources.iter().map(|s| s.line).collect();
    let fixed: BTreeSet<u64> =
        report.warnings.iter().filter(|w| w.code == Code::SwappedCoordinates).map(|w| w.line).collect();
    assert_eq!(fixed, all, "every row is reported as swapped");
    assert!(swapped_lines(&report).is_empty(), "no row is refused as swapped");
    // Rows refused for other reasons (two numbers in one phone cell) are skipped; the rest are in.
    let stored = db.load_all().unwrap();
    assert_eq!(stored.len() + report.invalid, 115, "{report:?}");
    // Inside the outline, or a little off its simplified coast: rounding to 0.1 degree moves a
    // point up to 7 km.
    let geography = bellmap::geography::bundled();
    let near_south_africa = |p: LonLat| {
        geography.in_country("ZA", p)
            || (0..8).any(|i| {
                let (lon, lat) = bellmap::geography::destination(p, 10_000.0, f64::from(i) * 45.0);
                geography.in_country("ZA", LonLat { lon, lat })
            })
    };
    let points: Vec<LonLat> = stored.iter().map(|p| *p.data.location.reveal()).collect();
    let inside = points.iter().filter(|p| geography.in_country("ZA", **p)).count();
    eprintln!(
        "{} of 115 rows imported swapped; {inside} inside South Africa's outline, the rest within 10 km",
        points.len()
    );
    assert!(points.iter().all(|p| near_south_africa(*p)), "{points:?}");
    assert!(points.len() - inside <= 2, "two rounded points fall just off the 1:50m coast: {inside}");
    // As written, none of them would have been anywhere near it.
    assert!(!points.iter().any(|p| near_south_africa(LonLat { lon: p.lat, lat: p.lon })));
}

/// The same shelters with correct (coarse) coordinates: no swapped warnings at all.
#[test]
fn real_sa_shelters_with_correct_coordinates_raise_no_swap_warning() {
    let Some(original) = real_file("providers-south-africa/sa_shelters_low_res.csv") else {
        return;
    };
    let (csv, sources) = convert(&original, |c| {
        vec![
            ("name", cell(c, "Name")),
            ("categories", "shelter".into()),
            ("lat", cell(c, "Latitude")),
            ("lon", cell(c, "Longitude")),
            ("phone", cell(c, "Tel")),
            ("country", "ZA".into()),
        ]
    });
    let report = dry_run(&csv);
    summarise("sa_shelters_low_res", &report);
    assert_eq!(sources.len(), 80);
    assert!(swapped_lines(&report).is_empty(), "{:?}", report.warnings);
    assert!(outside_lines(&report).is_empty(), "every point is in South Africa");
    assert!(problem_lines(&report, "lat", "").is_empty() && problem_lines(&report, "lon", "").is_empty());
}

/// India's One Stop Centres with approximate (district HQ) coordinates: 27 rows have none, one
/// phone was turned into scientific notation by a spreadsheet, some email cells hold two addresses.
#[test]
fn real_india_one_stop_centres() {
    let Some(original) = real_file("providers-india/india_osc_directory_approx_geocoded.csv") else {
        return;
    };
    let (csv, sources) = convert(&original, |c| {
        vec![
            ("name", format!("One Stop Centre {}", cell(c, "district"))),
            ("categories", "one_stop_centre".into()),
            ("lat", cell(c, "approx_lat")),
            ("lon", cell(c, "approx_lon")),
            ("address", cell(c, "address")),
            ("district", cell(c, "district")),
            ("state", cell(c, "state")),
            ("phone", cell(c, "phone")),
            ("email", cell(c, "email")),
            ("country", "IN".into()),
        ]
    });
    let report = dry_run(&csv);
    summarise("india_osc_directory_approx_geocoded", &report);
    assert_eq!(sources.len(), 554);
    let no_coordinates: BTreeSet<u64> =
        sources.iter().filter(|s| cell(&s.cells, "approx_lat").is_empty()).map(|s| s.line).collect();
    assert_eq!(no_coordinates.len(), 27, "the README's unmatched districts");
    assert_eq!(problem_lines(&report, "lat", "latitude is required"), no_coordinates);
    let scientific: Vec<_> =
        report.problems.iter().filter(|p| p.message.contains("scientific notation")).collect();
    assert_eq!(scientific.len(), 1, "{scientific:?}");
    assert_eq!((scientific[0].line, scientific[0].value.as_deref()), (75, Some("1.80043E+11")));
    let two_emails: BTreeSet<u64> =
        sources.iter().filter(|s| cell(&s.cells, "email").contains([' ', ','])).map(|s| s.line).collect();
    assert!(!two_emails.is_empty());
    assert!(two_emails.is_subset(&problem_lines(&report, "email", "not an email address")));
    assert!(swapped_lines(&report).is_empty(), "district headquarters are in India");
    assert!(outside_lines(&report).is_empty(), "district headquarters are in India");
    // Centres that share a phone number with an earlier row are named with that row.
    let mut first_with: BTreeMap<String, u64> = BTreeMap::new();
    let mut shared = 0;
    for s in &sources {
        let digits: String = cell(&s.cells, "phone").chars().filter(char::is_ascii_digit).collect();
        if digits.len() < 7 || cell(&s.cells, "phone").contains('E') {
            continue;
        }
        if let Some(first) = first_with.get(&digits) {
            let want = format!("line {} may be a duplicate of line {first}: the same phone number", s.line);
            assert!(report.warnings.iter().any(|w| w.message.starts_with(&want)), "{want}");
            shared += 1;
        } else {
            first_with.insert(digits, s.line);
        }
    }
    assert!(shared > 0, "the directory repeats some phone numbers");
}

/// The curated Indian helpline sample: no coordinates at all, several numbers per phone cell,
/// and "24x7" where OpenStreetMap syntax says "24/7".
#[test]
fn real_india_support_directory() {
    let Some(original) = real_file("providers-india/india_support_directory_sample.csv") else {
        return;
    };
    let (csv, sources) = convert(&original, |c| {
        let category = match cell(c, "category").as_str() {
            "one_stop_centre" => "one_stop_centre",
            "legal_aid" => "legal_aid",
            "police_women" => "police",
            "child" => "child_protection",
            "women_helpline" | "emergency" | "cyber" | "mental_health" => "helpline",
            _ => "other",
        };
        vec![
            ("name", cell(c, "name")),
            ("categories", category.into()),
            ("lat", String::new()),
            ("lon", String::new()),
            ("state", cell(c, "state")),
            ("district", cell(c, "district")),
            ("phone", cell(c, "phones")),
            ("email", cell(c, "email")),
            ("website", cell(c, "website")),
            ("address", cell(c, "address")),
            ("hours", cell(c, "hours")),
            ("verified_on", cell(c, "verified_on")),
            ("country", "IN".into()),
        ]
    });
    let report = dry_run(&csv);
    summarise("india_support_directory_sample", &report);
    assert_eq!(sources.len(), 43);
    let all: BTreeSet<u64> = sources.iter().map(|s| s.line).collect();
    assert_eq!(problem_lines(&report, "lat", "latitude is required"), all);
    let several: BTreeSet<u64> =
        sources.iter().filter(|s| cell(&s.cells, "phones").contains(';')).map(|s| s.line).collect();
    assert!(!several.is_empty());
    assert_eq!(problem_lines(&report, "phone", "one number per column"), several);
    let x_hours: BTreeSet<u64> =
        sources.iter().filter(|s| cell(&s.cells, "hours") == "24x7").map(|s| s.line).collect();
    assert!(!x_hours.is_empty());
    assert!(x_hours.is_subset(&problem_lines(&report, "hours", "opening_hours format")));
    assert!(problem_lines(&report, "verified_on", "").is_empty(), "every row has a valid date");
}

/// The 2018 South African shelter directory: 13 cells hold line breaks, so rows start on lines
/// further and further from their index; every problem must name the line its row starts on.
#[test]
fn real_sa_directory_with_multi_line_cells() {
    let Some(original) = real_file("providers-south-africa/sa_shelter_directory_2018_nsm.csv") else {
        return;
    };
    let (csv, sources) = convert(&original, |c| {
        vec![
            ("name", cell(c, "Name of Shelter")),
            ("categories", "shelter".into()),
            ("lat", String::new()),
            ("lon", String::new()),
            ("state", cell(c, "Province")),
            ("locality", cell(c, "Area")),
            ("country", "ZA".into()),
        ]
    });
    let report = dry_run(&csv);
    summarise("sa_shelter_directory_2018_nsm", &report);
    assert_eq!(sources.len(), 80);
    assert!(sources.last().unwrap().line > 81, "multi-line cells push later rows down");
    let all: BTreeSet<u64> = sources.iter().map(|s| s.line).collect();
    assert_eq!(problem_lines(&report, "lat", "latitude is required"), all);
}

/// US pet-friendly shelters: vanity numbers ("…-HAVEN") and several numbers joined with "or".
#[test]
fn real_us_pet_friendly_shelters() {
    let Some(original) = real_file("providers-us/us_pet_friendly_dv_shelters.csv") else {
        return;
    };
    let (csv, sources) = convert(&original, |c| {
        vec![
            ("name", cell(c, "name")),
            ("categories", "shelter".into()),
            ("lat", String::new()),
            ("lon", String::new()),
            ("state", cell(c, "state")),
            ("locality", cell(c, "town")),
            ("phone", cell(c, "phone")),
            ("website", cell(c, "website")),
            ("country", "US".into()),
        ]
    });
    let report = dry_run(&csv);
    summarise("us_pet_friendly_dv_shelters", &report);
    assert_eq!(sources.len(), 209);
    let placeholders = sources.iter().filter(|s| cell(&s.cells, "name").is_empty()).count();
    assert_eq!(placeholders, 4, "the README's empty placeholder rows");
    assert_eq!(problem_lines(&report, "name", "name is required").len(), 4);
    let lettered: BTreeSet<u64> = sources
        .iter()
        .filter(|s| cell(&s.cells, "phone").contains(|c: char| c.is_ascii_alphabetic()))
        .map(|s| s.line)
        .collect();
    assert!(!lettered.is_empty());
    assert!(lettered.is_subset(&problem_lines(&report, "phone", "may contain only digits")));
}

/// US member agencies with real coordinates: nothing swapped, nothing out of range; a website
/// typed with two schemes ("https://http://...") is refused.
#[test]
fn real_us_agencies_raise_no_coordinate_problem() {
    let Some(original) = real_file("providers-us/us_ssc_member_agencies.csv") else {
        return;
    };
    let (csv, sources) = convert(&original, |c| {
        vec![
            ("name", cell(c, "agency_name")),
            ("categories", "other".into()),
            ("lat", cell(c, "lat")),
            ("lon", cell(c, "lon")),
            ("locality", cell(c, "location_text")),
            ("website", cell(c, "website")),
            ("description", cell(c, "description_html")),
            ("country", "US".into()),
        ]
    });
    let report = dry_run(&csv);
    summarise("us_ssc_member_agencies", &report);
    assert_eq!(sources.len(), 210);
    assert!(swapped_lines(&report).is_empty(), "{:?}", report.warnings);
    assert!(outside_lines(&report).is_empty(), "{:?}", report.warnings);
    assert!(problem_lines(&report, "lat", "").is_empty() && problem_lines(&report, "lon", "").is_empty());
    let two_schemes: BTreeSet<u64> =
        sources.iter().filter(|s| cell(&s.cells, "website").contains("://http")).map(|s| s.line).collect();
    assert!(!two_schemes.is_empty());
    assert_eq!(problem_lines(&report, "website", "not a valid web address"), two_schemes);
}
