//! Provider records → the CSV format of DESIGN §4: exactly [`Column::ALL`], so that
//! `parse_csv(write_csv(records))` gives back records equal to the ones written.
//!
//! - Every field is written, confidential ones included (exact lat/lon, address, intake phone):
//!   an export is an admin's backup, not a public document.
//! - Coordinates use Rust's shortest round-trip float formatting, so they come back bit for bit;
//!   phones are written as displayed; lists are `;`-joined; dates are YYYY-MM-DD; booleans are
//!   `true`/`false`; wheelchair, location precision and status are their lower-case words.
//! - The importer trims every cell, so imported values never start or end with whitespace; a
//!   record built some other way with such whitespace comes back trimmed (nothing else changes).
//!   An empty optional text (`Some("")`) comes back as `None`.
//! - Formula guard: a text cell (every column whose [`Column::is_text`] holds: all but lat, lon,
//!   public_lat, public_lon, confidential, open_24_7 and verified_on) that starts with `=`, `+`, `-`, `@`, tab, CR or `'`
//!   is written with one `'` in front, so a spreadsheet shows it as text instead of running it.
//!   The importer removes exactly that `'` (see `csv_file`), so `+91 …` phones, `-` and
//!   `=HYPERLINK(…)` all round-trip.
//! - RFC 4180 quoting, only where needed (a comma, quote, CR or LF in the cell); lines end with LF.
//!
//! [`write_csv`] writes row by row; [`csv_header_line`] and [`csv_row`] give one encoded line
//! each, for a handler that streams the body chunk by chunk.

use super::row::FORMULA_TRIGGERS;
use crate::model::fields::format_date;
use crate::model::{Column, Phone, ProviderData};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::io::Write;

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error("could not write the CSV: {0}")]
    Io(#[from] std::io::Error),
}

/// Writes the header and one line per provider to `out`, row by row (wrap a file or socket in a
/// `BufWriter`; nothing is collected in memory).
pub fn write_csv<'p, W: Write>(
    mut out: W,
    providers: impl IntoIterator<Item = &'p ProviderData>,
) -> Result<(), ExportError> {
    out.write_all(&csv_header_line())?;
    for p in providers {
        out.write_all(&csv_row(p))?;
    }
    out.flush()?;
    Ok(())
}

/// The header line, LF included.
pub fn csv_header_line() -> Vec<u8> {
    let mut line = Column::ALL.map(Column::name).join(",").into_bytes();
    line.push(b'\n');
    line
}

/// One provider as one CSV record (which spans several lines when a cell holds a line break),
/// LF included.
pub fn csv_row(p: &ProviderData) -> Vec<u8> {
    let mut line = Vec::with_capacity(512);
    for (i, column) in Column::ALL.into_iter().enumerate() {
        if i > 0 {
            line.push(b',');
        }
        push_cell(&mut line, &cell(p, column));
    }
    line.push(b'\n');
    line
}

/// One record from each column's value in the CSV format's words (as [`to_fields`] gives
/// them; a missing column is empty), guarded as [`csv_row`] guards: what the importer reads back
/// as those values.
pub fn csv_row_of_fields(fields: &BTreeMap<Column, String>) -> Vec<u8> {
    let mut line = Vec::with_capacity(512);
    for (i, column) in Column::ALL.into_iter().enumerate() {
        if i > 0 {
            line.push(b',');
        }
        let v = fields.get(&column).map_or("", String::as_str);
        push_cell(&mut line, &if column.is_text() { guard(v) } else { Cow::Borrowed(v) });
    }
    line.push(b'\n');
    line
}

/// RFC 4180: quote the cell when it holds a comma, a quote or a line break; double its quotes.
fn push_cell(line: &mut Vec<u8>, cell: &str) {
    if cell.contains([',', '"', '\r', '\n']) {
        line.push(b'"');
        line.extend_from_slice(cell.replace('"', "\"\"").as_bytes());
        line.push(b'"');
    } else {
        line.extend_from_slice(cell.as_bytes());
    }
}

/// The formula guard: one `'` before a text cell that starts with a formula trigger.
fn guard(text: &str) -> Cow<'_, str> {
    if text.starts_with(FORMULA_TRIGGERS) { Cow::Owned(format!("'{text}")) } else { Cow::Borrowed(text) }
}

/// The cell of `column` for `p` as written to a file: its value, guarded where it is text.
fn cell(p: &ProviderData, column: Column) -> Cow<'_, str> {
    match value(p, column) {
        Cow::Borrowed(v) if column.is_text() => guard(v),
        Cow::Owned(v) if column.is_text() => Cow::Owned(guard(&v).into_owned()),
        v => v,
    }
}

/// Every column's value for `p`, exactly as the CSV format writes it but without the formula
/// guard (empty for a missing value): the inverse of `parse_fields`, for editing one record.
pub fn to_fields(p: &ProviderData) -> BTreeMap<Column, String> {
    Column::ALL.into_iter().map(|c| (c, value(p, c).into_owned())).collect()
}

/// The value of `column` for `p` in the CSV format's words, before any formula guard.
fn value<'p>(p: &'p ProviderData, column: Column) -> Cow<'p, str> {
    let text = |v: &'p Option<String>| v.as_deref().map_or(Cow::Borrowed(""), Cow::Borrowed);
    let phone =
        |v: &'p Option<Phone>| v.as_ref().map_or(Cow::Borrowed(""), |p| Cow::Borrowed(p.display.as_str()));
    let list = |items: Vec<&str>| Cow::Owned(items.join(";"));
    let number = |v: f64| Cow::Owned(v.to_string());
    let boolean = |b: bool| Cow::Borrowed(if b { "true" } else { "false" });
    match column {
        Column::ExternalId => Cow::Borrowed(p.external_id.as_str()),
        Column::Name => Cow::Borrowed(p.name.as_str()),
        Column::Organization => text(&p.organization),
        Column::Description => text(&p.description),
        Column::Categories => list(p.categories.iter().map(|c| c.slug()).collect()),
        Column::Lat => number(p.location.reveal().lat),
        Column::Lon => number(p.location.reveal().lon),
        Column::LocationPrecision => Cow::Borrowed(p.location_precision.as_str()),
        Column::PublicLat => p.public_location.map_or(Cow::Borrowed(""), |l| number(l.lat)),
        Column::PublicLon => p.public_location.map_or(Cow::Borrowed(""), |l| number(l.lon)),
        Column::Confidential => boolean(p.confidential),
        Column::Address => text(p.address.reveal()),
        Column::Locality => text(&p.locality),
        Column::District => text(&p.district),
        Column::State => text(&p.state),
        Column::PostalCode => text(p.postal_code.reveal()),
        Column::Country => Cow::Borrowed(p.country.as_str()),
        Column::Phone => phone(&p.phone),
        Column::Hotline => phone(&p.hotline),
        Column::Sms => phone(&p.sms),
        Column::IntakePhone => phone(p.intake_phone.reveal()),
        Column::Email => text(&p.email),
        Column::Website => text(&p.website),
        Column::Languages => list(p.languages.iter().map(String::as_str).collect()),
        Column::Hours => text(&p.hours),
        Column::Open247 => boolean(p.open_24_7),
        Column::Eligibility => text(&p.eligibility),
        Column::Cost => text(&p.cost),
        Column::Wheelchair => Cow::Borrowed(p.wheelchair.as_str()),
        Column::VerifiedOn => p.verified_on.map_or(Cow::Borrowed(""), |d| Cow::Owned(format_date(d))),
        Column::Status => Cow::Borrowed(p.status.as_str()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::parse_csv;
    use crate::model::fields::{parse_date, parse_phone};
    use crate::model::{Category, LocationPrecision, LonLat, Status, Wheelchair};

    fn export(records: &[ProviderData]) -> Vec<u8> {
        let mut out = Vec::new();
        write_csv(&mut out, records).unwrap();
        out
    }

    fn reparse(records: &[ProviderData]) -> Vec<ProviderData> {
        let bytes = export(records);
        let f = parse_csv(&bytes);
        assert!(f.problems.is_empty(), "{:?}\n{}", f.problems, String::from_utf8_lossy(&bytes));
        f.rows.into_iter().map(|r| r.data).collect()
    }

    /// A record with every field set, from the given name and texts.
    fn full(external_id: &str, name: &str, text: &str) -> ProviderData {
        let phone = |s: &str| Some(parse_phone(s, "IN").unwrap());
        ProviderData {
            external_id: external_id.into(),
            name: name.into(),
            organization: Some(text.into()),
            description: Some(format!("{text}\nsecond line, \"quoted\"\r\nthird")),
            categories: vec![Category::Shelter, Category::Helpline, Category::Other],
            location: LonLat { lon: 80.946_166_666_666_67, lat: -0.000_000_1 }.into(),
            location_precision: LocationPrecision::Approximate,
            public_location: Some(LonLat { lon: 80.946_166_666_666_67 + 1e-7, lat: 0.1 + 0.2 }),
            confidential: true,
            address: Some(text.to_string()).into(),
            locality: Some(text.into()),
            district: Some(text.into()),
            state: Some(text.into()),
            postal_code: Some("-226001".to_string()).into(),
            country: "IN".into(),
            phone: phone("+91 0000 00 0918"),
            hotline: phone("181"),
            sms: phone("(0522) 230-5550"),
            intake_phone: phone("+91 522 230 5551").into(),
            email: Some("+help@ngo.example".into()),
            website: Some("https://ngo.example/a,b?c=\"d\"".into()),
            languages: vec!["hi".into(), "en".into(), "mai".into()],
            hours: Some("Mo-Fr 09:00-17:00; Sa 10:00-14:00".into()),
            open_24_7: false,
            eligibility: Some(text.into()),
            cost: Some(text.into()),
            wheelchair: Wheelchair::Limited,
            verified_on: Some(parse_date("2026-02-03").unwrap()),
            status: Status::Inactive,
        }
    }

    #[test]
    fn bundled_sample_round_trips_exactly() {
        let first = parse_csv(crate::app::SAMPLE_CSV);
        assert!(first.problems.is_empty(), "{:?}", &first.problems[..first.problems.len().min(3)]);
        let records: Vec<ProviderData> = first.rows.into_iter().map(|r| r.data).collect();
        assert_eq!(records.len(), 2500);
        let again = reparse(&records);
        assert_eq!(again.len(), records.len());
        for (a, b) in records.iter().zip(&again) {
            assert_eq!(a, b);
            // Bit for bit, not just ==.
            let (a, b) = (a.location.reveal(), b.location.reveal());
            assert_eq!(a.lat.to_bits(), b.lat.to_bits());
            assert_eq!(a.lon.to_bits(), b.lon.to_bits());
        }
    }

    #[test]
    fn nasty_values_round_trip() {
        let nasty = [
            "=HYPERLINK(\"http://x\",\"y\")",
            "+91 0000 00 0918",
            "-",
            "@home",
            "'quoted'",
            "''",
            "'=already guarded",
            "'Sakhi'",
            "a, b, and c",
            "say \"hello\"",
            "\"",
            "line one\nline two",
            "सखी वन स्टॉप सेंटर, लखनऊ",
            "emoji 🛟 and ß",
            "\tstarts with a tab",
        ];
        let records: Vec<ProviderData> = nasty
            .iter()
            .enumerate()
            .map(|(i, v)| {
                if !v.contains(['\n', '\t']) {
                    return full(&format!("{v}-{i}"), v, v);
                }
                // Tabs and line breaks are allowed in the multi-line columns only.
                let mut p = full(&format!("multi-line-{i}"), &format!("Multi-line {i}"), "x");
                let text = Some(v.to_string());
                (p.description, p.address, p.eligibility, p.cost) =
                    (text.clone(), text.clone().into(), text.clone(), text);
                p
            })
            .collect();
        let again = reparse(&records);
        assert_eq!(again.len(), records.len());
        for (a, b) in records.iter().zip(&again) {
            assert_eq!(a, b);
        }
        // Each guarded cell starts with exactly one extra quote in the file.
        let bytes = export(&records[..1]);
        let text = String::from_utf8(bytes).unwrap();
        assert!(text.contains(",\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\","), "{text}");
        assert!(text.contains(",'+91 0000 00 0918,"), "{text}");
        assert!(text.contains(",'-226001,"), "{text}");
        // Numbers, booleans and dates are never guarded, even when negative.
        assert!(
            text.contains(
                ",-0.0000001,80.94616666666667,approximate,0.30000000000000004,80.94616676666666,true,"
            ),
            "{text}"
        );
    }

    #[test]
    fn values_are_stored_trimmed() {
        let mut p = full("  spaced  ", "  name  ", " x ");
        p.description = Some("  \n text \n ".into());
        p.organization = Some(String::new());
        let again = reparse(&[p]).remove(0);
        assert_eq!((again.external_id.as_str(), again.name.as_str()), ("spaced", "name"));
        assert_eq!(again.address.reveal().as_deref(), Some("x"));
        assert_eq!(again.description.as_deref(), Some("text"));
        assert_eq!(again.organization, None);
    }

    #[test]
    fn every_column_is_written_in_header_order() {
        assert_eq!(csv_header_line(), format!("{}\n", Column::ALL.map(Column::name).join(",")).into_bytes());
        let p = full("id", "Name", "x");
        for column in Column::ALL {
            assert!(!cell(&p, column).is_empty(), "{column} has no cell");
        }
        let row = String::from_utf8(csv_row(&p)).unwrap();
        assert!(
            row.starts_with("id,Name,x,\"x\nsecond line, \"\"quoted\"\"\r\nthird\",shelter;helpline;other,")
        );
        assert!(row.ends_with(",limited,2026-02-03,inactive\n"), "{row}");
        // Streaming a row at a time gives the same bytes as write_csv.
        assert_eq!([csv_header_line(), row.into_bytes()].concat(), export(&[p]));
    }

    #[test]
    fn to_fields_and_parse_fields_are_inverse_and_unguarded() {
        for p in [full("=id", "+91 0000 00 0918", "'quoted'"), full("x", "सखी", "-")] {
            let fields = to_fields(&p);
            assert_eq!(fields.len(), Column::ALL.len());
            assert_eq!(fields[&Column::Name], p.name, "values carry no formula guard");
            assert_eq!(crate::ingest::parse_fields(&fields), Ok(p));
        }
        let mut fields = to_fields(&full("x", "X", "x"));
        fields.insert(Column::Lat, "91".into());
        fields.insert(Column::Name, "  ".into());
        let problems = crate::ingest::parse_fields(&fields).unwrap_err();
        let columns: Vec<_> = problems.iter().map(|p| (p.line, p.column.as_deref())).collect();
        assert_eq!(columns, vec![(0, Some("name")), (0, Some("lat"))]);
    }
}
