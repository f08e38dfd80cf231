//! The CSV format of DESIGN §4: a file's bytes → validated records, every problem and warnings.
//!
//! Reading never fails and never panics: whatever the bytes, the answer is a [`ParsedFile`] whose
//! problems say, in words a spreadsheet user understands, what is wrong and where. Rules:
//!
//! - **Encoding.** UTF-8, with or without a byte-order mark. A file that is not UTF-8 but reads as
//!   Windows-1252 (what older Excel saves as "CSV") is transcoded, with a warning naming the first
//!   line that was not UTF-8. Anything else (PDF, Excel workbook, UTF-16, binary data, a UTF-8 file
//!   with a few damaged bytes) is one clear problem and no rows.
//! - **Structure.** RFC 4180 quoting, read the way the `csv` crate reads it (a quote opens a quoted
//!   cell only at the start of a cell; `""` inside quotes is one quote; CR, LF and CRLF all end a
//!   row; empty lines and rows whose cells are all empty are skipped). A quote that never closes is
//!   reported at the line where it opened.
//! - **Line numbers** count physical lines (LF, CRLF or a lone CR), the header being line 1, so a
//!   row is named by the line it starts on, as a text editor shows it. (A spreadsheet's row number
//!   is smaller after a cell that holds a line break.)
//! - **Cells are trimmed**: leading and trailing whitespace is never stored, so it does not survive
//!   an import → export → import round trip (nothing else is lost).
//! - **Text rules**: every cell passes `model::fields::check_text`, the same rules an admin edit
//!   passes: a length limit per column, no control characters, and tabs or line breaks only in
//!   multi-line columns (description, address, eligibility, cost).
//! - **Formula guard.** Export writes a text cell that starts with `=`, `+`, `-`, `@`, tab, CR or
//!   `'` with one extra `'` in front, so a spreadsheet shows it as text instead of running it as a
//!   formula. On import, a cell (after trimming) that starts with `'` followed by one of those seven
//!   characters loses exactly that one `'` before validation. A hand-typed `'Sakhi'` (quote, then a
//!   letter) is kept as written.
//! - **Coordinates and country.** A row whose point lies outside its country while the swapped
//!   point lies inside is refused (`swapped_coordinates`): imported as written it would land far
//!   away, often in the sea. With [`Fix::SwapCoordinates`] such a row is read swapped instead, with
//!   a `swapped_coordinates` warning. A point outside its country with no such explanation is a
//!   warning (`outside_country`). "Inside" means inside rough boxes (see `hints`); countries without
//!   boxes are not checked.
//! - **Placing rows without coordinates** (only with [`ReadOptions::geocode`]): a row whose lat
//!   and lon are both empty is placed at its PIN code's centroid or its district's headquarters
//!   (see `geocode`), marked `approximate`, listed in [`ParsedFile::geocoded`] and warned about
//!   (`geocoded`); one it cannot place is a problem (`not_geocoded`). A file may then leave out the
//!   lat and lon columns altogether.
//! - **Warnings** (which never block an import): unknown columns, a missing external_id column,
//!   probable duplicates within the file, points outside their country, swapped rows fixed, and
//!   a summary when most rows are swapped.
//!
//! Problems and warnings have one shape, [`RowProblem`], with a machine [`Code`](super::Code).

use super::decode::decode;
use super::geocode::{Geocoder, Via};
use super::header::map_columns;
use super::hints::{Hints, Place, RowHint};
use super::problem::{Code, Fix, RowProblem, problem};
use super::records::{Records, count_breaks};
use super::row::{Cells, parse_row};
use crate::model::{Column, ProviderData};
use std::collections::HashMap;

#[derive(Debug, Clone)]
pub struct ParsedRow {
    pub line: u64,
    pub data: ProviderData,
}

/// How to read a file beyond the format itself.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// Repairs to apply instead of refusing the rows they fix (each fixed row is a warning).
    pub fixes: Vec<Fix>,
    /// Place rows without coordinates by the bundled gazetteer.
    pub geocode: bool,
}

/// A valid row placed by the gazetteer because it had no coordinates.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct GeocodedRow {
    pub line: u64,
    pub external_id: String,
    pub via: Via,
    /// The gazetteer entry whose point the row got, e.g. `pin:226001`, `dhq:157`.
    pub place_id: String,
}

/// The outcome of reading a file: the valid rows, every problem, and warnings.
#[derive(Debug, Clone, Default)]
pub struct ParsedFile {
    pub rows: Vec<ParsedRow>,
    pub problems: Vec<RowProblem>,
    pub warnings: Vec<RowProblem>,
    /// Number of data rows seen (valid or not).
    pub row_count: usize,
    /// The valid rows the gazetteer placed, in file order.
    pub geocoded: Vec<GeocodedRow>,
}

/// Parses a whole CSV file. Never fails: every issue becomes a problem in the result.
pub fn parse_csv(bytes: &[u8]) -> ParsedFile {
    let mut rows = Vec::new();
    let mut out = parse_csv_with(bytes, &mut |row, _| rows.push(row));
    out.rows = rows;
    out
}

/// Parses a CSV file, handing each valid row to `on_row` as soon as it is read (with the number
/// of problems found so far) instead of keeping it, so a large import never holds every parsed
/// row at once. The result has every problem and warning, and no rows.
pub fn parse_csv_with(bytes: &[u8], on_row: &mut dyn FnMut(ParsedRow, usize)) -> ParsedFile {
    parse_csv_fixing(bytes, &[], on_row)
}

/// [`parse_csv_with`], applying `fixes` where they apply (each fixed row gets a warning).
pub fn parse_csv_fixing(bytes: &[u8], fixes: &[Fix], on_row: &mut dyn FnMut(ParsedRow, usize)) -> ParsedFile {
    parse_csv_reading(bytes, &ReadOptions { fixes: fixes.to_vec(), geocode: false }, on_row)
}

/// [`parse_csv_with`], reading as `opts` say.
pub fn parse_csv_reading(
    bytes: &[u8],
    opts: &ReadOptions,
    on_row: &mut dyn FnMut(ParsedRow, usize),
) -> ParsedFile {
    let swap_fix = opts.fixes.contains(&Fix::SwapCoordinates);
    let geocoder = opts.geocode.then(Geocoder::bundled);
    let mut out = ParsedFile::default();
    let Some(text) = decode(bytes, &mut out) else {
        return out;
    };
    let mut records = Records { text: text.as_bytes(), pos: 0, line: 1 };
    let header = records.next().filter(|_| !text.trim().is_empty());
    let Some(header) = header else {
        out.problems.push(problem(
            1,
            None,
            None,
            Code::EmptyFile,
            "the file is empty; the first line must be a header row",
        ));
        return out;
    };
    if let Some(open) = header.unclosed_quote {
        out.problems.push(problem(
            open,
            None,
            None,
            Code::UnclosedQuote,
            format!(
                "a quote (\") in the header row on line {open} is never closed, so the whole file was read \
                 as one cell; remove the quote or add the closing one"
            ),
        ));
        return out;
    }
    if header.cells.iter().any(|c| c.contains('\0')) {
        out.problems.push(problem(
            header.line,
            None,
            None,
            Code::NulByte,
            "the header row contains a NUL byte (an invisible control character); the file is damaged or \
             not a text file: save it again from your spreadsheet as CSV UTF-8",
        ));
        return out;
    }
    let headers: Vec<String> = header.cells.iter().map(|h| h.trim().to_string()).collect();
    let Some(index) = map_columns(&headers, header.line, opts.geocode, &mut out) else {
        return out;
    };

    let mut seen_ids: HashMap<String, u64> = HashMap::new();
    let mut hints = Hints::default();
    let swapped_index = swap_lat_lon(&index);
    for record in records {
        if let Some(open) = record.unclosed_quote {
            out.row_count += 1;
            out.problems.push(problem(
                open,
                None,
                None,
                Code::UnclosedQuote,
                format!(
                    "a quote (\") opens a cell on line {open} but is never closed, so everything from there to \
                     the end of the file (line {}) was read as one cell; add the closing quote or remove the \
                     opening one",
                    records_end_line(&text)
                ),
            ));
            continue;
        }
        if record.cells.iter().all(|c| c.trim().is_empty()) {
            continue; // a blank spreadsheet row such as ",,,,"
        }
        out.row_count += 1;
        let line = record.line;
        if let Some(i) = record.cells.iter().position(|c| c.contains('\0')) {
            out.problems.push(problem(
                line,
                headers.get(i).map(String::as_str),
                None,
                Code::NulByte,
                format!(
                    "line {line} contains a NUL byte (an invisible control character), so the file is damaged; \
                     retype this row or save the file again from your spreadsheet as CSV UTF-8"
                ),
            ));
            continue;
        }
        if record.cells.len() != headers.len() {
            out.problems.push(problem(
                line,
                None,
                None,
                Code::WrongCellCount,
                format!(
                    "line {line} has {} cells but the header has {} columns; a cell that contains a comma \
                     must be in double quotes",
                    record.cells.len(),
                    headers.len()
                ),
            ));
            continue;
        }
        let as_written = Cells { headers: &headers, cells: &record.cells, index: &index, unguard: true };
        let mut hint = RowHint::new(line, &as_written);
        let place = hint.place();
        // The fix reads the lat cell as the longitude and the lon cell as the latitude.
        let fixed = place == Place::Swapped && swap_fix;
        if fixed {
            out.warnings.push(hint.swapped_warning());
            hint.swap();
        }
        let cells = Cells { index: if fixed { &swapped_index } else { &index }, ..as_written };
        let parsed = parse_row(line, &cells, geocoder);
        hints.row(&hint, place, &mut out.warnings);
        match parsed {
            Ok((data, located)) => {
                if let Some(first) = seen_ids.insert(data.external_id.clone(), line) {
                    out.problems.push(problem(
                        line,
                        Some("external_id"),
                        Some(&data.external_id),
                        Code::DuplicateExternalId,
                        format!("external_id '{}' is used again (first on line {first})", data.external_id),
                    ));
                } else {
                    if place == Place::Outside {
                        out.warnings.push(hint.outside_warning());
                    }
                    if let Some(l) = located {
                        out.warnings.push(problem(
                            line,
                            None,
                            Some(&l.place_id),
                            Code::Geocoded,
                            format!(
                                "lat and lon are empty, so the row was placed at {} and marked \
                                 location_precision approximate",
                                l.described
                            ),
                        ));
                        out.geocoded.push(GeocodedRow {
                            line,
                            external_id: data.external_id.clone(),
                            via: l.via,
                            place_id: l.place_id,
                        });
                    }
                    on_row(ParsedRow { line, data }, out.problems.len());
                }
            }
            Err(mut ps) => out.problems.append(&mut ps),
        }
    }
    if out.row_count == 0 {
        out.problems.push(problem(1, None, None, Code::NoDataRows, "the file has a header but no data rows"));
    }
    hints.finish(header.line, &mut out.warnings);
    out
}

/// The column index with latitude and longitude exchanged.
fn swap_lat_lon(index: &HashMap<Column, usize>) -> HashMap<Column, usize> {
    let mut swapped = index.clone();
    if let (Some(lat), Some(lon)) = (index.get(&Column::Lat), index.get(&Column::Lon)) {
        swapped.insert(Column::Lat, *lon);
        swapped.insert(Column::Lon, *lat);
    }
    swapped
}

/// The last line of the text (for messages).
fn records_end_line(text: &str) -> u64 {
    1 + count_breaks(text.trim_end().as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::hints::in_country;
    use crate::ingest::problem::MAX_SHOWN;
    use crate::ingest::records::RawRecord;
    use crate::ingest::row::unguard;
    use crate::model::Category;

    const HEADER: &str = "external_id,name,categories,lat,lon,country,phone,hours\n";

    #[test]
    fn parses_a_valid_row() {
        let f = parse_csv(
            format!("{HEADER}a1,Sakhi Centre,one_stop_centre;helpline,26.85,80.95,IN,0522 230 5550,24/7\n")
                .as_bytes(),
        );
        assert!(f.problems.is_empty(), "{:?}", f.problems);
        let d = &f.rows[0].data;
        assert_eq!(d.categories, vec![Category::Helpline, Category::OneStopCentre]);
        assert!(d.open_24_7);
        assert_eq!(f.rows[0].line, 2);
    }

    #[test]
    fn reports_every_problem_with_line_column_and_value() {
        let f = parse_csv(
            format!("{HEADER}a1,,spa,91,80,IN,1.80043E+11,\na2,Ok,shelter,1,2,XX,,whenever\n").as_bytes(),
        );
        let got: Vec<(u64, Option<&str>)> =
            f.problems.iter().map(|p| (p.line, p.column.as_deref())).collect();
        for want in [
            (2, Some("name")),
            (2, Some("categories")),
            (2, Some("lat")),
            (2, Some("phone")),
            (3, Some("country")),
            (3, Some("hours")),
        ] {
            assert!(got.contains(&want), "missing {want:?} in {got:?}");
        }
        let cat = f.problems.iter().find(|p| p.column.as_deref() == Some("categories")).unwrap();
        assert_eq!(cat.value.as_deref(), Some("spa"));
        assert!(cat.message.contains("shelter"));
        assert!(f.rows.is_empty());
    }

    #[test]
    fn header_aliases_case_and_bom() {
        let f = parse_csv(
            "\u{feff}Name,CATEGORY,Latitude,Lng,Country,Colour\nA,shelter,10,20,in,red\n".as_bytes(),
        );
        assert!(f.problems.is_empty(), "{:?}", f.problems);
        assert!(f.warnings.iter().any(|w| w.code == Code::UnknownColumn && w.message.contains("Colour")));
        assert!(f.rows[0].data.external_id.starts_with("derived-"));
    }

    #[test]
    fn structural_problems() {
        assert!(!parse_csv(b"").problems.is_empty());
        assert!(parse_csv(HEADER.as_bytes()).problems[0].message.contains("no data rows"));
        assert!(parse_csv(b"name,lat,lon,country\nA,1,2,IN\n").problems[0].message.contains("categories"));
        assert!(parse_csv(b"name,name,categories,lat,lon,country\n").problems[0].message.contains("twice"));
        let f = parse_csv(format!("{HEADER}a1,A,shelter,1,2\n").as_bytes());
        assert!(f.problems[0].message.contains("has 5 cells but the header has 8 columns"));
        // Not UTF-8 but plausible Windows-1252: read, with a warning (deliberately no longer an error).
        let f = parse_csv(b"name,categories,lat,lon,country\n\xff,shelter,1,2,IN\n");
        assert!(f.problems.is_empty(), "{:?}", f.problems);
        assert_eq!(f.rows[0].data.name, "\u{ff}");
        assert!(
            f.warnings[0].message.contains("Windows-1252") && f.warnings[0].line == 2,
            "{:?}",
            f.warnings
        );
    }

    #[test]
    fn duplicate_external_ids_and_null_island() {
        let f = parse_csv(
            format!("{HEADER}a1,A,shelter,1,2,IN,,\na1,B,shelter,3,4,IN,,\na3,C,shelter,0,0,IN,,\n")
                .as_bytes(),
        );
        assert!(f.problems.iter().any(|p| p.line == 3 && p.message.contains("first on line 2")));
        assert!(f.problems.iter().any(|p| p.line == 4 && p.message.contains("0,0")));
    }

    #[test]
    fn records_keep_true_line_numbers() {
        let text = "a,b\n\n\n1,\"x\ny\"\r\n\"q\"\"r\"s,\"\"\n,\n3,4";
        let got: Vec<(u64, Vec<String>)> =
            Records { text: text.as_bytes(), pos: 0, line: 1 }.map(|r| (r.line, r.cells)).collect();
        let want: Vec<(u64, Vec<&str>)> = vec![
            (1, vec!["a", "b"]),
            (4, vec!["1", "x\ny"]),
            (6, vec!["q\"rs", ""]),
            (7, vec!["", ""]),
            (8, vec!["3", "4"]),
        ];
        assert_eq!(got.len(), want.len(), "{got:?}");
        for ((l, c), (wl, wc)) in got.iter().zip(&want) {
            assert_eq!((l, c.iter().map(String::as_str).collect::<Vec<_>>()), (wl, wc.clone()));
        }
        let open: Vec<Option<u64>> =
            Records { text: b"a,b\n1,2\n3,\"x\ny\n", pos: 0, line: 1 }.map(|r| r.unclosed_quote).collect();
        assert_eq!(open, vec![None, None, Some(3)]);
        // A trailing comma is an empty last cell; a lone quote at the end never closes.
        let r: Vec<RawRecord> = Records { text: b"a,\n\"", pos: 0, line: 1 }.collect();
        assert_eq!(r[0].cells, vec!["a", ""]);
        assert_eq!((r[1].line, r[1].unclosed_quote), (2, Some(2)));
        assert_eq!(r[1].cells, vec![""]);
    }

    #[test]
    fn crlf_lf_and_cr_only_read_the_same() {
        // The two-line cell is a description: a name must be one line.
        let header = HEADER.replace("hours", "description");
        let lf = format!(
            "{header}a1,A,shelter,1,2,IN,,\n\"a2\",B,shelter,3,4,IN,,\"B\nC\"\na3,D,shelter,5,6,IN,,\n"
        );
        let crlf = lf.replace('\n', "\r\n");
        let (f1, f2) = (parse_csv(lf.as_bytes()), parse_csv(crlf.as_bytes()));
        assert!(f1.problems.is_empty() && f2.problems.is_empty(), "{:?} {:?}", f1.problems, f2.problems);
        let lines = |f: &ParsedFile| f.rows.iter().map(|r| r.line).collect::<Vec<_>>();
        assert_eq!(lines(&f1), vec![2, 3, 5]);
        assert_eq!(lines(&f1), lines(&f2));
        // Inside quotes the line break is kept as written; everything else is equal.
        assert_eq!(f2.rows[1].data.description.as_deref(), Some("B\r\nC"));
        assert_eq!(f1.rows[2].data, f2.rows[2].data);
        let cr = format!("{HEADER}a1,A,shelter,1,2,IN,,\r\ra3,D,shelter,5,6,IN,,\r").replace('\n', "\r");
        assert_eq!(lines(&parse_csv(cr.as_bytes())), vec![2, 4]);
        assert_eq!(count_breaks(b"a\r\nb\rc\n\r"), 4);
    }

    #[test]
    fn formula_guard_is_removed_once_and_only_before_the_seven_characters() {
        for (cell, want) in [
            ("'=1+1", "=1+1"),
            ("'+91 0000 00 0918", "+91 0000 00 0918"),
            ("'-", "-"),
            ("'@home", "@home"),
            ("'\tx", "\tx"),
            ("'\rx", "\rx"),
            ("''quoted'", "'quoted'"),
            ("'''x", "''x"),
            ("'Sakhi'", "'Sakhi'"),
            ("'", "'"),
            ("=1", "=1"),
        ] {
            assert_eq!(unguard(cell), want, "{cell:?}");
        }
        let f = parse_csv(format!("{HEADER}'-x,'=A,shelter,'-33.9,'+18.4,ZA,'+27 21 555 0100,\n").as_bytes());
        assert!(f.problems.is_empty(), "{:?}", f.problems);
        let d = &f.rows[0].data;
        assert_eq!((d.external_id.as_str(), d.name.as_str()), ("-x", "=A"));
        assert_eq!((d.location.reveal().lat, d.location.reveal().lon), (-33.9, 18.4));
        assert_eq!(d.phone.as_ref().unwrap().display, "+27 21 555 0100");
    }

    #[test]
    fn encodings_and_other_formats() {
        // Windows-1252 bytes outside Latin-1 (0x93/0x94 quotes, 0x80 euro) are transcoded.
        let f =
            parse_csv(b"name,categories,lat,lon,country,cost\nCaf\xe9 \x93Sakhi\x94,shelter,1,2,IN,\x805\n");
        assert!(f.problems.is_empty(), "{:?}", f.problems);
        assert_eq!(f.rows[0].data.name, "Caf\u{e9} \u{201c}Sakhi\u{201d}");
        assert_eq!(f.rows[0].data.cost.as_deref(), Some("\u{20ac}5"));
        // A byte 1252 leaves undefined, or UTF-8 mixed with other bytes, stays an error.
        let f = parse_csv(b"name,categories,lat,lon,country\nA,shelter,1,2,IN\nB\x81,shelter,1,2,IN\n");
        assert_eq!((f.problems[0].line, f.rows.len()), (3, 0));
        assert!(f.problems[0].message.contains("not UTF-8"), "{:?}", f.problems);
        let mixed =
            [&b"name,categories,lat,lon,country\n"[..], "सखी".as_bytes(), b",shelter,1,2,IN\nB\xe9,x\n"]
                .concat();
        assert_eq!(parse_csv(&mixed).problems[0].line, 3);
        for (bytes, word) in [
            (&b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n"[..], "PDF"),
            (b"PK\x03\x04\x14\x00\x06\x00", "Excel workbook"),
            (b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1\x00\x00", "97-2003"),
            (b"\xFF\xFEn\x00a\x00", "UTF-16"),
            (b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR\x00\x00\x01\x00", "not a CSV file"),
        ] {
            let f = parse_csv(bytes);
            assert_eq!(f.problems.len(), 1, "{word}: {:?}", f.problems);
            assert!(f.problems[0].message.contains(word), "{word}: {:?}", f.problems);
        }
        let f = parse_csv(b"name;categories;lat;lon;country\nA;shelter;1;2;IN\n");
        assert!(f.problems[0].message.contains("semicolons"), "{:?}", f.problems);
    }

    #[test]
    fn long_cells_are_one_problem_with_a_short_value() {
        let long = "x".repeat(5000);
        let f = parse_csv(format!("{HEADER}a1,A,shelter,1,2,IN,{long},\"{long}\"\n").as_bytes());
        let cols: Vec<_> = f.problems.iter().map(|p| p.column.as_deref()).collect();
        assert_eq!(cols, vec![Some("phone"), Some("hours")], "{:?}", f.problems);
        assert!(f.problems[0].message.contains("5000 characters"));
        assert_eq!(f.problems[0].value.as_ref().unwrap().chars().count(), MAX_SHOWN + 1);
    }

    /// Lines whose `problems` or `warnings` have `code`.
    fn lines(entries: &[RowProblem], code: Code) -> Vec<u64> {
        entries.iter().filter(|p| p.code == code).map(|p| p.line).collect()
    }

    const SWAPPED: &str = "a1,A,shelter,26.85,80.95,IN,,\na2,B,shelter,80.95,26.85,IN,,\n\
        a3,C,shelter,28.3,-26.2,ZA,,\na4,D,shelter,-122.4,37.8,US,,\na5,E,shelter,-0.12,51.5,GB,,\n\
        a6,F,shelter,28.3,-26.2,NP,,\n";

    #[test]
    fn swapped_coordinates_are_problems_naming_the_line_and_cell() {
        let f = parse_csv(format!("{HEADER}{SWAPPED}").as_bytes());
        assert_eq!(lines(&f.problems, Code::SwappedCoordinates), vec![3, 4, 5, 6], "{:?}", f.problems);
        let summary: Vec<&RowProblem> =
            f.warnings.iter().filter(|w| w.code == Code::SwappedColumns).collect();
        assert_eq!(summary.len(), 1, "{:?}", f.warnings);
        assert!(
            summary[0].message.contains("4 of 5 rows") && summary[0].message.contains("lines 3, 4, 5, 6)")
        );
        assert_eq!(summary[0].line, 1);
        let p = f.problems.iter().find(|p| p.code == Code::SwappedCoordinates).unwrap();
        assert_eq!((p.column.as_deref(), p.value.as_deref()), (Some("lat"), Some("80.95")));
        assert!(p.message.contains("fix=swap_coordinates"), "{}", p.message);
        // Line 5 (lat -122.4) is also out of range; the swapped problem says why.
        assert!(f.problems.iter().any(|p| p.line == 5 && p.code == Code::OutOfRange));
        assert_eq!(f.rows.iter().map(|r| r.line).collect::<Vec<_>>(), vec![2, 7], "swapped rows are refused");
        for (cc, lat, lon) in [
            ("IN", 11.6, 92.7),
            ("IN", 10.6, 72.6),
            ("US", 61.2, -149.9),
            ("US", 21.3, -157.9),
            ("US", 52.9, 173.2),
            ("ZA", -33.9, 18.4),
            ("GB", 60.2, -1.1),
            ("GB", 54.6, -5.9),
            ("AU", -42.9, 147.3),
            ("KE", -1.3, 36.8),
        ] {
            assert_eq!(in_country(cc, lat, lon), Some(true), "{cc} {lat} {lon}");
            assert_eq!(in_country(cc, lon, lat), Some(false), "{cc} {lat} {lon} swapped");
        }
        assert_eq!(in_country("NP", 28.0, 84.0), None);
    }

    #[test]
    fn an_admin_edit_with_a_swapped_point_is_refused_by_the_same_rule() {
        let fields: std::collections::BTreeMap<Column, String> = [
            (Column::Name, "A"),
            (Column::Categories, "shelter"),
            (Column::Lat, "18.42"),
            (Column::Lon, "-33.92"),
            (Column::Country, "ZA"),
        ]
        .into_iter()
        .map(|(c, v)| (c, v.to_string()))
        .collect();
        let problems = crate::ingest::parse_fields(&fields).unwrap_err();
        let got: Vec<_> = problems.iter().map(|p| (p.line, p.column.as_deref(), p.code)).collect();
        assert_eq!(got, vec![(0, Some("lat"), Code::SwappedCoordinates)]);
    }

    #[test]
    fn the_swap_fix_reads_swapped_rows_swapped_with_a_warning_each() {
        let mut rows = Vec::new();
        let f = parse_csv_fixing(
            format!("{HEADER}{SWAPPED}").as_bytes(),
            &[Fix::SwapCoordinates],
            &mut |r, _| rows.push(r),
        );
        assert!(f.problems.is_empty(), "{:?}", f.problems);
        assert_eq!(lines(&f.warnings, Code::SwappedCoordinates), vec![3, 4, 5, 6], "{:?}", f.warnings);
        assert_eq!(lines(&f.warnings, Code::SwappedColumns), vec![1], "the header is still probably wrong");
        let point = |line: u64| {
            rows.iter()
                .find(|r| r.line == line)
                .map(|r| (r.data.location.reveal().lat, r.data.location.reveal().lon))
        };
        assert_eq!(point(2), Some((26.85, 80.95)), "a row inside its country is read as written");
        assert_eq!(point(3), Some((26.85, 80.95)));
        assert_eq!(point(4), Some((-26.2, 28.3)));
        assert_eq!(point(5), Some((37.8, -122.4)), "out of range as written, valid swapped");
        assert_eq!(point(7), Some((28.3, -26.2)), "no boxes for NP: not checked, not swapped");
        let w = f.warnings.iter().find(|w| w.code == Code::SwappedCoordinates).unwrap();
        assert_eq!((w.line, w.column.as_deref(), w.value.as_deref()), (3, Some("lat"), Some("80.95")));
        assert!(w.message.contains("were swapped") && w.message.contains("read as lat 26.85, lon 80.95"));
    }

    #[test]
    fn a_point_outside_its_country_without_a_swap_is_a_warning() {
        // Nairobi's coordinates in a row that says India: swapping does not help.
        let f = parse_csv(
            format!("{HEADER}a1,A,shelter,-1.3,36.8,IN,,\na2,B,shelter,26.85,80.95,IN,,\n").as_bytes(),
        );
        assert!(f.problems.is_empty(), "{:?}", f.problems);
        assert_eq!(f.rows.len(), 2);
        let outside: Vec<&RowProblem> =
            f.warnings.iter().filter(|w| w.code == Code::OutsideCountry).collect();
        assert_eq!(outside.len(), 1, "{:?}", f.warnings);
        assert_eq!((outside[0].line, outside[0].column.as_deref()), (2, None));
        assert!(outside[0].message.contains("outside IN"), "{}", outside[0].message);
        // A row refused for another reason gets no such warning; neither does a country without boxes.
        let f = parse_csv(
            format!("{HEADER}a1,,shelter,-1.3,36.8,IN,,\na2,B,shelter,-1.3,36.8,NP,,\n").as_bytes(),
        );
        assert!(!f.warnings.iter().any(|w| w.code == Code::OutsideCountry), "{:?}", f.warnings);
    }

    #[test]
    fn every_check_has_its_code() {
        let codes =
            |csv: &str| -> Vec<Code> { parse_csv(csv.as_bytes()).problems.iter().map(|p| p.code).collect() };
        let row = |cells: &str| format!("{HEADER}{cells}\n");
        for (cells, code) in [
            ("a1,,shelter,1,2,IN,,", Code::Required),
            ("a1,A,spa,1,2,IN,,", Code::InvalidCategory),
            ("a1,A,shelter,x,2,IN,,", Code::NotANumber),
            ("a1,A,shelter,91,2,IN,,", Code::OutOfRange),
            ("a1,A,shelter,0,0,IN,,", Code::NullIsland),
            ("a1,A,shelter,1,2,XX,,", Code::InvalidCountry),
            ("a1,A,shelter,1,2,IN,1.80043E+11,", Code::SpreadsheetNumber),
            ("a1,A,shelter,1,2,IN,call us,", Code::InvalidPhone),
            ("a1,A,shelter,1,2,IN,,whenever", Code::InvalidHours),
        ] {
            assert_eq!(codes(&row(cells)), vec![code], "{cells}");
        }
        let long = "x".repeat(201);
        assert_eq!(codes(&row(&format!("a1,{long},shelter,1,2,IN,,"))), vec![Code::TooLong]);
        assert_eq!(codes(&row("a1,\"A\nB\",shelter,1,2,IN,,")), vec![Code::InvalidCharacter]);
        assert_eq!(codes(&row("a1,A,shelter,1,2")), vec![Code::WrongCellCount]);
        assert_eq!(
            codes(&format!("{HEADER}a1,A,shelter,1,2,IN,,\na1,B,shelter,1,2,IN,,\n")),
            vec![Code::DuplicateExternalId]
        );
        assert_eq!(codes(""), vec![Code::EmptyFile]);
        assert_eq!(codes(HEADER), vec![Code::NoDataRows]);
        assert_eq!(codes("name,lat,lon,country\nA,1,2,IN\n"), vec![Code::MissingColumn]);
        assert_eq!(codes("name,name,categories,lat,lon,country\n"), vec![Code::DuplicateColumn]);
        assert_eq!(codes("name;categories;lat;lon;country\nA;shelter;1;2;IN\n"), vec![Code::WrongSeparator]);
        assert_eq!(codes("name,categories,lat,lon,country\n\"A,shelter,1,2,IN\n"), vec![Code::UnclosedQuote]);
        assert_eq!(codes("%PDF-1.7\n"), vec![Code::NotCsv]);
        let f =
            parse_csv(b"\xEF\xBB\xBFName,CATEGORY,Latitude,Lng,Country,Colour,\nA,shelter,10,20,in,red,\n");
        let warned: Vec<Code> = f.warnings.iter().map(|w| w.code).collect();
        for code in [Code::UnknownColumn, Code::UnnamedColumn, Code::DerivedIds] {
            assert!(warned.contains(&code), "{code} in {warned:?}");
        }
    }

    #[test]
    fn probable_duplicates_name_both_lines() {
        let f = parse_csv(
            format!(
                "{HEADER}a1,Sakhi Centre,shelter,26.85,80.95,IN,0522 230 5550,\n\
                 a2,Other,shelter,20,80,IN,+91 522 230 5550,\n\
                 a3,\"SAKHI  centre.\",shelter,26.851,80.9505,IN,181,\n\
                 a4,Sakhi Centre,shelter,26.9,80.95,IN,181,\n"
            )
            .as_bytes(),
        );
        assert!(f.problems.is_empty(), "{:?}", f.problems);
        let dup: Vec<&str> = f
            .warnings
            .iter()
            .filter(|w| w.code == Code::ProbableDuplicate)
            .map(|w| w.message.as_str())
            .collect();
        assert_eq!(dup.len(), 2, "{dup:?}");
        assert!(dup[0].starts_with("line 3 may be a duplicate of line 2") && dup[0].contains("915222305550"));
        assert!(dup[1].starts_with("line 4 may be a duplicate of line 2") && dup[1].contains("sakhi centre"));
    }
}
