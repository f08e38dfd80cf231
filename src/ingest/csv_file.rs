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
//! - **Warnings** (which never block an import): unknown columns, a missing external_id column,
//!   probable duplicates within the file, and probably swapped latitude/longitude.

use crate::model::fields::{
    check_text, parse_bool, parse_country, parse_date, parse_email, parse_hours, parse_languages,
    parse_phone, parse_website, split_list, text_rule,
};
use crate::model::{Category, LonLat, Phone, ProviderData, Status, Wheelchair, check_lat, check_lon};
use serde::Serialize;
use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

/// The columns Bellmap writes, in order; import accepts them in any order, case and common aliases.
pub const CSV_COLUMNS: [&str; 30] = [
    "external_id",
    "name",
    "organization",
    "description",
    "categories",
    "lat",
    "lon",
    "public_lat",
    "public_lon",
    "confidential",
    "address",
    "locality",
    "district",
    "state",
    "postal_code",
    "country",
    "phone",
    "hotline",
    "sms",
    "intake_phone",
    "email",
    "website",
    "languages",
    "hours",
    "open_24_7",
    "eligibility",
    "cost",
    "wheelchair",
    "verified_on",
    "status",
];

/// The first characters that make a spreadsheet treat a cell as a formula (or that would hide
/// the guard itself); see the module documentation for the rule.
pub(crate) const FORMULA_TRIGGERS: [char; 7] = ['=', '+', '-', '@', '\t', '\r', '\''];

/// Removes the export's formula guard: `'` followed by one of [`FORMULA_TRIGGERS`] loses the `'`.
pub(crate) fn unguard(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_TRIGGERS) => rest,
        _ => cell,
    }
}

/// Other names people give the same columns.
fn canonical(header: &str) -> Option<&'static str> {
    let h = header.trim().trim_start_matches('\u{feff}').to_ascii_lowercase().replace([' ', '-'], "_");
    let name = match h.as_str() {
        "latitude" | "y" => "lat",
        "longitude" | "lng" | "long" | "x" => "lon",
        "phone_number" | "telephone" | "tel" => "phone",
        "category" => "categories",
        "organisation" | "org" => "organization",
        "language" => "languages",
        "opening_hours" => "hours",
        "pincode" | "pin_code" | "postcode" | "zip" | "zip_code" => "postal_code",
        "country_code" => "country",
        "id_external" | "externalid" => "external_id",
        "24_7" | "open_24x7" => "open_24_7",
        other => other,
    };
    CSV_COLUMNS.iter().copied().find(|c| *c == name)
}

/// One problem in one cell (or row), as a spreadsheet user would find it.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RowProblem {
    /// Line of the file (the header is line 1); for a row, the line it starts on.
    pub line: u64,
    /// Column name as written in the file's header, if the problem is in one cell.
    pub column: Option<String>,
    /// The offending value, if any (cut to 200 characters, with "…" when cut).
    pub value: Option<String>,
    pub message: String,
}

#[derive(Debug, Clone)]
pub struct ParsedRow {
    pub line: u64,
    pub data: ProviderData,
}

/// The outcome of reading a file: the valid rows, every problem, and warnings.
#[derive(Debug, Clone, Default)]
pub struct ParsedFile {
    pub rows: Vec<ParsedRow>,
    pub problems: Vec<RowProblem>,
    pub warnings: Vec<String>,
    /// Number of data rows seen (valid or not).
    pub row_count: usize,
}

/// Longest value shown back in a problem, in characters.
const MAX_SHOWN: usize = 200;

fn problem(line: u64, column: Option<&str>, value: Option<&str>, message: impl Into<String>) -> RowProblem {
    let shown = |v: &str| {
        let mut chars = v.chars();
        let mut s: String = chars.by_ref().take(MAX_SHOWN).collect();
        if chars.next().is_some() {
            s.push('…');
        }
        s
    };
    RowProblem { line, column: column.map(str::to_string), value: value.map(shown), message: message.into() }
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
    let mut out = ParsedFile::default();
    let Some(text) = decode(bytes, &mut out) else {
        return out;
    };
    if text.trim().is_empty() {
        out.problems.push(problem(1, None, None, "the file is empty; the first line must be a header row"));
        return out;
    }
    let mut records = Records { text: text.as_bytes(), pos: 0, line: 1 };
    let Some(header) = records.next() else {
        out.problems.push(problem(1, None, None, "the file is empty; the first line must be a header row"));
        return out;
    };
    if let Some(open) = header.unclosed_quote {
        out.problems.push(problem(
            open,
            None,
            None,
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
            "the header row contains a NUL byte (an invisible control character); the file is damaged or \
             not a text file: save it again from your spreadsheet as CSV UTF-8",
        ));
        return out;
    }
    let headers: Vec<String> = header.cells.iter().map(|h| h.trim().to_string()).collect();
    let Some(index) = map_columns(&headers, header.line, &mut out) else {
        return out;
    };

    let mut seen_ids: HashMap<String, u64> = HashMap::new();
    let mut hints: Vec<RowHint> = Vec::new();
    for record in records {
        if let Some(open) = record.unclosed_quote {
            out.row_count += 1;
            out.problems.push(problem(
                open,
                None,
                None,
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
                format!(
                    "line {line} has {} cells but the header has {} columns; a cell that contains a comma \
                     must be in double quotes",
                    record.cells.len(),
                    headers.len()
                ),
            ));
            continue;
        }
        let cells = Cells { headers: &headers, cells: &record.cells, index: &index, unguard: true };
        hints.push(RowHint::new(line, &cells));
        match parse_row(line, &cells) {
            Ok(data) => {
                if let Some(first) = seen_ids.insert(data.external_id.clone(), line) {
                    out.problems.push(problem(
                        line,
                        Some("external_id"),
                        Some(&data.external_id),
                        format!("external_id '{}' is used again (first on line {first})", data.external_id),
                    ));
                } else {
                    on_row(ParsedRow { line, data }, out.problems.len());
                }
            }
            Err(mut ps) => out.problems.append(&mut ps),
        }
    }
    if out.row_count == 0 {
        out.problems.push(problem(1, None, None, "the file has a header but no data rows"));
    }
    swapped_coordinate_warnings(&hints, &mut out.warnings);
    duplicate_warnings(&hints, &mut out.warnings);
    out
}

/// The last line of the text (for messages).
fn records_end_line(text: &str) -> u64 {
    1 + count_breaks(text.trim_end().as_bytes())
}

/// Maps canonical column → index, reporting duplicate and missing required columns as problems
/// and unknown ones as warnings. `None` when the header is unusable.
fn map_columns(headers: &[String], line: u64, out: &mut ParsedFile) -> Option<HashMap<&'static str, usize>> {
    if let [only] = headers {
        for (sep, what) in [(';', "semicolons"), ('\t', "tabs")] {
            if only.contains(sep) {
                out.problems.push(problem(
                    line,
                    None,
                    Some(only),
                    format!(
                        "the columns are separated by {what}, not commas; in Excel use File › Save As › \
                         CSV UTF-8 (Comma delimited)"
                    ),
                ));
                return None;
            }
        }
    }
    let mut index: HashMap<&'static str, usize> = HashMap::new();
    for (i, h) in headers.iter().enumerate() {
        if h.is_empty() {
            out.warnings.push(format!("column {} has no name in the header and was ignored", i + 1));
            continue;
        }
        match canonical(h) {
            Some(c) => {
                if let Some(prev) = index.insert(c, i) {
                    out.problems.push(problem(
                        line,
                        Some(h),
                        None,
                        format!(
                            "column '{c}' appears twice: '{}' (column {}) and '{h}' (column {}); keep one",
                            headers[prev],
                            prev + 1,
                            i + 1
                        ),
                    ));
                }
            }
            None => out.warnings.push(format!("unknown column '{h}' (column {}) was ignored", i + 1)),
        }
    }
    for required in ["name", "categories", "lat", "lon", "country"] {
        if !index.contains_key(required) {
            out.problems.push(problem(
                line,
                Some(required),
                None,
                format!("required column '{required}' is missing"),
            ));
        }
    }
    if !out.problems.is_empty() {
        return None;
    }
    if !index.contains_key("external_id") {
        out.warnings.push(
            "the file has no external_id column; ids were derived from name, country, state, district and locality"
                .into(),
        );
    }
    Some(index)
}

// ---------------------------------------------------------------------------------------------
// Bytes → text

/// Turns the file's bytes into text, or explains (as one problem) why it cannot be read as CSV.
fn decode<'b>(bytes: &'b [u8], out: &mut ParsedFile) -> Option<Cow<'b, str>> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    if let Some(message) = other_format(bytes) {
        out.problems.push(problem(1, None, None, message));
        return None;
    }
    if looks_binary(bytes) {
        out.problems.push(problem(
            1,
            None,
            None,
            "this is not a CSV file: it is mostly binary data (such as an image, a database or a program), \
             not text; in Excel use File › Save As › CSV UTF-8 (Comma delimited)",
        ));
        return None;
    }
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => Cow::Borrowed(t),
        Err(e) => {
            let line = 1 + count_breaks(&bytes[..e.valid_up_to()]);
            if !plausible_windows_1252(bytes) {
                out.problems.push(problem(
                    line,
                    None,
                    None,
                    format!(
                        "line {line} contains bytes that are not UTF-8 text, and the file is not Windows-1252 \
                         text either (it may mix encodings or be damaged); save it from your spreadsheet as \
                         'CSV UTF-8' and try again"
                    ),
                ));
                return None;
            }
            out.warnings.push(format!(
                "the file is not UTF-8, so it was read as Windows-1252 (what older Excel saves as 'CSV'); the \
                 first character that is not UTF-8 is on line {line}. Check that accented letters look right, \
                 and next time save as 'CSV UTF-8'"
            ));
            encoding_rs::WINDOWS_1252.decode_without_bom_handling(bytes).0
        }
    };
    Some(text)
}

/// Recognises files that are certainly not CSV by their first bytes.
fn other_format(b: &[u8]) -> Option<&'static str> {
    Some(if b.starts_with(b"%PDF-") {
        "this is a PDF, not CSV; open the table in Excel (or copy it there) and use File › Save As › \
         CSV UTF-8 (Comma delimited)"
    } else if b.starts_with(b"PK\x03\x04")
        && b.get(30..).is_some_and(|r| r.starts_with(b"mimetypeapplication/vnd.oasis.opendocument"))
    {
        "this is an OpenDocument spreadsheet (.ods), not CSV; in LibreOffice use File › Save As › \
         Text CSV (UTF-8)"
    } else if b.starts_with(b"PK\x03\x04") {
        "this is an Excel workbook (.xlsx, a zip file), not CSV; in Excel use File › Save As › \
         CSV UTF-8 (Comma delimited)"
    } else if b.starts_with(b"\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1") {
        "this is an Excel 97-2003 workbook (.xls), not CSV; in Excel use File › Save As › \
         CSV UTF-8 (Comma delimited)"
    } else if b.starts_with(b"\xFF\xFE") || b.starts_with(b"\xFE\xFF") {
        "this file is UTF-16 text (what Excel calls 'Unicode Text'), not CSV UTF-8; in Excel use File › \
         Save As › CSV UTF-8 (Comma delimited)"
    } else {
        return None;
    })
}

/// Control bytes that never occur in text: NUL and the other C0 controls except tab, LF, FF, CR.
fn is_binary_byte(c: u8) -> bool {
    (c < 0x20 && !matches!(c, b'\t' | b'\n' | 0x0c | b'\r')) || c == 0x7f
}

/// More than 5% of the first 64 KiB are control bytes: binary data, or UTF-16 without a BOM.
fn looks_binary(b: &[u8]) -> bool {
    let sample = &b[..b.len().min(64 * 1024)];
    sample.iter().filter(|c| is_binary_byte(**c)).count() * 20 > sample.len()
}

/// Text saved as Windows-1252: none of the five bytes 1252 leaves undefined, and no valid
/// multi-byte UTF-8 sequence. (Such a sequence means a UTF-8 file with a few damaged bytes,
/// which reading as 1252 would garble everywhere else.)
fn plausible_windows_1252(b: &[u8]) -> bool {
    !b.iter().any(|c| matches!(c, 0x81 | 0x8d | 0x8f | 0x90 | 0x9d))
        && b.utf8_chunks().all(|chunk| chunk.valid().is_ascii())
}

// ---------------------------------------------------------------------------------------------
// Text → records

/// One record as read: the line it starts on and its cells, untrimmed.
struct RawRecord {
    line: u64,
    cells: Vec<String>,
    /// The line where a quoted cell opened that never closed (it ran to the end of the file).
    unclosed_quote: Option<u64>,
}

/// RFC 4180 records read as the `csv` crate reads them (see the module documentation), but
/// with true line numbers (the crate's are off after empty lines) and unclosed quotes reported.
/// One pass over the bytes: every delimiter is ASCII, so slicing between them keeps UTF-8 intact.
struct Records<'t> {
    text: &'t [u8],
    pos: usize,
    line: u64,
}

/// Line breaks in `b`: LF, CRLF, or a CR alone (old Mac spreadsheets), each counted once.
fn count_breaks(b: &[u8]) -> u64 {
    b.iter()
        .enumerate()
        .filter(|(i, c)| **c == b'\n' || (**c == b'\r' && b.get(i + 1) != Some(&b'\n')))
        .count() as u64
}

impl Iterator for Records<'_> {
    type Item = RawRecord;

    fn next(&mut self) -> Option<RawRecord> {
        let b = self.text;
        while let Some(c @ (b'\r' | b'\n')) = b.get(self.pos) {
            self.line += u64::from(*c == b'\n' || b.get(self.pos + 1) != Some(&b'\n'));
            self.pos += 1;
        }
        if self.pos >= b.len() {
            return None;
        }
        let mut record = RawRecord { line: self.line, cells: Vec::new(), unclosed_quote: None };
        loop {
            let mut cell: Vec<u8> = Vec::new();
            if b.get(self.pos) == Some(&b'"') {
                let open = self.line;
                self.pos += 1;
                loop {
                    let rest = &b[self.pos..];
                    let Some(i) = rest.iter().position(|c| *c == b'"') else {
                        self.line += count_breaks(rest);
                        cell.extend_from_slice(rest);
                        self.pos = b.len();
                        record.unclosed_quote = Some(open);
                        break;
                    };
                    self.line += count_breaks(&rest[..i]);
                    cell.extend_from_slice(&rest[..i]);
                    self.pos += i + 1;
                    if b.get(self.pos) == Some(&b'"') {
                        cell.push(b'"');
                        self.pos += 1;
                    } else {
                        break;
                    }
                }
            }
            // Unquoted text, or text after a closing quote (kept, as the csv crate does).
            let rest = &b[self.pos..];
            let end = rest.iter().position(|c| matches!(c, b',' | b'\r' | b'\n')).unwrap_or(rest.len());
            cell.extend_from_slice(&rest[..end]);
            self.pos += end;
            record.cells.push(
                String::from_utf8(cell)
                    .unwrap_or_else(|e| String::from_utf8_lossy(e.as_bytes()).into_owned()),
            );
            match b.get(self.pos) {
                Some(b',') => self.pos += 1,
                Some(b'\r') => {
                    self.pos += 1;
                    if b.get(self.pos) == Some(&b'\n') {
                        self.pos += 1;
                    }
                    self.line += 1;
                    return Some(record);
                }
                Some(_) => {
                    self.pos += 1;
                    self.line += 1;
                    return Some(record);
                }
                None => return Some(record),
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Record → ProviderData

/// Validates one record given as values by column name (keys from [`CSV_COLUMNS`]; others are
/// ignored) by exactly the rules of a CSV row; an empty value means "not given". Values are
/// trimmed, but no formula guard is removed: these are values, not spreadsheet cells (so
/// `parse_fields(&to_fields(p)) == Ok(p)` for every record read from a file). Problems name the
/// column and carry line 0.
pub fn parse_fields(fields: &BTreeMap<&'static str, String>) -> Result<ProviderData, Vec<RowProblem>> {
    let headers: Vec<String> = fields.keys().map(|k| k.to_string()).collect();
    let cells: Vec<String> = fields.values().cloned().collect();
    let index: HashMap<&'static str, usize> =
        fields.keys().enumerate().filter(|(_, k)| CSV_COLUMNS.contains(k)).map(|(i, k)| (*k, i)).collect();
    parse_row(0, &Cells { headers: &headers, cells: &cells, index: &index, unguard: false })
}

/// One record's cells, looked up by canonical column name.
struct Cells<'r> {
    headers: &'r [String],
    cells: &'r [String],
    index: &'r HashMap<&'static str, usize>,
    /// Remove the export's formula guard (true for a file's cells).
    unguard: bool,
}

impl<'r> Cells<'r> {
    /// The column's header as written and the value (trimmed, formula guard removed for a
    /// file), if the cell is not empty.
    fn get(&self, name: &str) -> Option<(&'r str, &'r str)> {
        let i = *self.index.get(name)?;
        let v = self.cells.get(i)?.trim();
        let v = if self.unguard { unguard(v) } else { v };
        (!v.is_empty()).then(|| (self.headers.get(i).map_or("", String::as_str), v))
    }
}

/// Validates one row, collecting every cell problem.
fn parse_row(line: u64, cells: &Cells<'_>) -> Result<ProviderData, Vec<RowProblem>> {
    let mut ps: Vec<RowProblem> = Vec::new();
    // Every cell's text rule first (length, control characters; the same rules as an admin
    // edit): one problem each, and a failing value goes no further.
    let mut refused: Vec<&str> = Vec::new();
    for name in CSV_COLUMNS {
        if let Some((col, v)) = cells.get(name)
            && let Err(m) = check_text(name, v)
        {
            ps.push(problem(line, Some(col), Some(v), m));
            refused.push(name);
        }
    }
    let cell = |name: &str| cells.get(name).filter(|_| !refused.contains(&name));
    let blank = |name: &str| cells.get(name).is_none();
    let text = |name: &str| cell(name).map(|(_, v)| v.to_string());

    let name = text("name");
    if blank("name") {
        ps.push(problem(line, Some("name"), None, "name is required"));
    }
    let organization = text("organization");
    let description = text("description");
    let address = text("address");
    let locality = text("locality");
    let district = text("district");
    let state = text("state");
    let postal_code = text("postal_code");
    let eligibility = text("eligibility");
    let cost = text("cost");
    let external_given = text("external_id");

    // Any remaining cell parsed with a field parser; errors become problems.
    fn field<'a, T>(
        line: u64,
        ps: &mut Vec<RowProblem>,
        c: Option<(&'a str, &'a str)>,
        f: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        let (col, v) = c?;
        match f(v) {
            Ok(t) => Some(t),
            Err(m) => {
                ps.push(problem(line, Some(col), Some(v), m));
                None
            }
        }
    }

    let country = field(line, &mut ps, cell("country"), parse_country);
    if blank("country") {
        ps.push(problem(line, Some("country"), None, "country is required (ISO two-letter code such as IN)"));
    }
    let cc = country.clone().unwrap_or_default();
    let categories = field(line, &mut ps, cell("categories"), |v| {
        let mut cats = split_list(v)
            .map(|s| s.parse::<Category>().map_err(|e| e.to_string()))
            .collect::<Result<Vec<_>, _>>()?;
        cats.sort();
        cats.dedup();
        if cats.is_empty() {
            Err(format!("at least one category is required; allowed: {}", Category::allowed_list()))
        } else {
            Ok(cats)
        }
    });
    if blank("categories") {
        ps.push(problem(
            line,
            Some("categories"),
            None,
            format!("at least one category is required; allowed: {}", Category::allowed_list()),
        ));
    }
    let number = |v: &str| v.parse::<f64>().map_err(|_| format!("'{v}' is not a number"));
    let lat = field(line, &mut ps, cell("lat"), |v| {
        number(v).and_then(|n| check_lat(n).map_err(|e| e.to_string()))
    });
    let lon = field(line, &mut ps, cell("lon"), |v| {
        number(v).and_then(|n| check_lon(n).map_err(|e| e.to_string()))
    });
    if blank("lat") {
        ps.push(problem(line, Some("lat"), None, "latitude is required"));
    }
    if blank("lon") {
        ps.push(problem(line, Some("lon"), None, "longitude is required"));
    }
    if let (Some(0.0), Some(0.0)) = (lat, lon) {
        ps.push(problem(
            line,
            Some("lat"),
            Some("0"),
            "the point 0,0 is in the Atlantic Ocean and almost always means missing coordinates",
        ));
    }
    let public_lat = field(line, &mut ps, cell("public_lat"), |v| {
        number(v).and_then(|n| check_lat(n).map_err(|e| e.to_string()))
    });
    let public_lon = field(line, &mut ps, cell("public_lon"), |v| {
        number(v).and_then(|n| check_lon(n).map_err(|e| e.to_string()))
    });
    if blank("public_lat") != blank("public_lon") {
        ps.push(problem(line, Some("public_lat"), None, "public_lat and public_lon must be given together"));
    }
    // An admin's public point must displace the provider as much as a drawn one would (DESIGN §6).
    if let (Some(lat), Some(lon), Some(plat), Some(plon), Some(cc)) =
        (lat, lon, public_lat, public_lon, &country)
    {
        let shown = format!("{plat},{plon}");
        if let Err(why) =
            crate::public_point::check_admin(LonLat { lon, lat }, LonLat { lon: plon, lat: plat }, cc)
        {
            for column in ["public_lat", "public_lon"] {
                ps.push(problem(line, Some(column), Some(&shown), why.clone()));
            }
        }
    }
    let confidential = field(line, &mut ps, cell("confidential"), parse_bool).unwrap_or(false);
    let phone = field(line, &mut ps, cell("phone"), |v| parse_phone(v, &cc));
    let hotline = field(line, &mut ps, cell("hotline"), |v| parse_phone(v, &cc));
    let sms = field(line, &mut ps, cell("sms"), |v| parse_phone(v, &cc));
    let intake_phone = field(line, &mut ps, cell("intake_phone"), |v| parse_phone(v, &cc));
    let email = field(line, &mut ps, cell("email"), parse_email);
    let website = field(line, &mut ps, cell("website"), parse_website);
    let languages = field(line, &mut ps, cell("languages"), parse_languages).unwrap_or_default();
    let hours = field(line, &mut ps, cell("hours"), parse_hours);
    let open_24_7 = field(line, &mut ps, cell("open_24_7"), parse_bool)
        .unwrap_or_else(|| hours.as_deref() == Some("24/7"));
    let wheelchair =
        field(line, &mut ps, cell("wheelchair"), Wheelchair::parse).unwrap_or(Wheelchair::Unknown);
    let verified_on = field(line, &mut ps, cell("verified_on"), parse_date);
    let status = field(line, &mut ps, cell("status"), Status::parse).unwrap_or(Status::Active);

    if !ps.is_empty() {
        return Err(ps);
    }
    let (Some(name), Some(country), Some(categories), Some(lat), Some(lon)) =
        (name, country, categories, lat, lon)
    else {
        unreachable!("missing required values always add a problem");
    };
    let external_id = external_given.unwrap_or_else(|| {
        derive_external_id(&name, &country, state.as_deref(), district.as_deref(), locality.as_deref())
    });
    Ok(ProviderData {
        external_id,
        name,
        organization,
        description,
        categories,
        location: LonLat { lon, lat },
        public_location: public_lat.zip(public_lon).map(|(lat, lon)| LonLat { lon, lat }),
        confidential,
        address,
        locality,
        district,
        state,
        postal_code,
        country,
        phone,
        hotline,
        sms,
        intake_phone,
        email,
        website,
        languages,
        hours,
        open_24_7,
        eligibility,
        cost,
        wheelchair,
        verified_on,
        status,
    })
}

// ---------------------------------------------------------------------------------------------
// File-wide warnings: swapped coordinates and probable duplicates

/// What the file-wide checks need from one row, read from its cells even when the row has
/// problems (so a file with bad phones still gets its swapped-coordinate warnings).
struct RowHint {
    line: u64,
    country: Option<String>,
    /// (lat, lon) as written, when both are finite numbers (not range-checked).
    point: Option<(f64, f64)>,
    /// The name lower-cased, with punctuation and repeated spaces removed.
    name: Option<String>,
    /// The phone's E.164 digits, else its digits; only numbers with at least 7 digits.
    phone: Option<String>,
}

impl RowHint {
    fn new(line: u64, cells: &Cells<'_>) -> RowHint {
        let get =
            |name: &str| cells.get(name).map(|(_, v)| v).filter(|v| v.len() <= text_rule(name).max_chars);
        let country = get("country").and_then(|v| parse_country(v).ok());
        let number = |name: &str| get(name).and_then(|v| v.parse::<f64>().ok()).filter(|n| n.is_finite());
        let name = get("name").map(normalise_name).filter(|n| !n.is_empty());
        let phone = get("phone").and_then(|v| match parse_phone(v, country.as_deref().unwrap_or("")) {
            Ok(Phone { e164: Some(e), .. }) => Some(e.trim_start_matches('+').to_string()),
            Ok(p) => Some(p.display.chars().filter(char::is_ascii_digit).collect()),
            Err(_) => None,
        });
        RowHint {
            line,
            country,
            point: number("lat").zip(number("lon")),
            name,
            phone: phone.filter(|d: &String| d.len() >= 7),
        }
    }

    /// The point as a valid position, for distances.
    fn position(&self) -> Option<LonLat> {
        self.point.and_then(|(lat, lon)| LonLat::new(lon, lat).ok())
    }
}

fn normalise_name(name: &str) -> String {
    name.to_lowercase()
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Rough bounding boxes `[south, north, west, east]` in degrees, for the swapped-coordinates hint
/// only: a row whose point lies outside every box of its country while the swapped point lies
/// inside one is probably swapped. Each box is a little generous; outlying islands are left out
/// (a point there is simply not checked: it is outside, but so is its swap).
/// - IN: mainland, Lakshadweep and the Andaman and Nicobar Islands.
/// - ZA: the mainland (Alexander Bay 16.5°E to Kosi Bay 32.9°E, Limpopo 22.1°S to Cape Agulhas 34.8°S).
/// - US: the contiguous states (24.4–49.4°N, 124.8–66.9°W); Alaska, including the Aleutians west
///   of the antimeridian; the main Hawaiian islands (18.9–22.3°N, 160.3–154.8°W).
/// - GB: Great Britain and Northern Ireland, Scilly to Shetland (49.9–60.9°N, 8.6°W–1.8°E).
/// - AU: the mainland and Tasmania (10.7–43.7°S, 113.1–153.7°E) plus the Torres Strait islands.
/// - KE: 4.7°S–5.0°N (the Ilemi Triangle a little further), 33.9–41.9°E.
const COUNTRY_BOXES: &[(&str, &[[f64; 4]])] = &[
    ("IN", &[[6.0, 37.5, 68.0, 97.5]]),
    ("ZA", &[[-35.0, -22.0, 16.3, 33.0]]),
    (
        "US",
        &[
            [24.3, 49.5, -125.0, -66.8],
            [51.0, 71.5, -180.0, -129.9],
            [51.0, 53.1, 172.0, 180.0],
            [18.8, 22.4, -160.5, -154.7],
        ],
    ),
    ("GB", &[[49.8, 60.9, -8.7, 1.8]]),
    ("AU", &[[-44.0, -9.0, 112.5, 154.0]]),
    ("KE", &[[-4.8, 5.5, 33.8, 42.0]]),
];

/// `Some(inside)` for a country in [`COUNTRY_BOXES`], `None` for one Bellmap has no box for.
fn in_country(country: &str, lat: f64, lon: f64) -> Option<bool> {
    let (_, boxes) = COUNTRY_BOXES.iter().find(|(c, _)| *c == country)?;
    Some(boxes.iter().any(|[s, n, w, e]| (*s..=*n).contains(&lat) && (*w..=*e).contains(&lon)))
}

/// One warning per row whose latitude and longitude look swapped, led by a summary when most
/// checked rows do (then the column headers are probably the wrong way round).
fn swapped_coordinate_warnings(hints: &[RowHint], warnings: &mut Vec<String>) {
    let mut checked = 0;
    let mut swapped: Vec<String> = Vec::new();
    let mut lines: Vec<u64> = Vec::new();
    for h in hints {
        let (Some(country), Some((lat, lon))) = (&h.country, h.point) else { continue };
        let (Some(inside), Some(swap_inside)) =
            (in_country(country, lat, lon), in_country(country, lon, lat))
        else {
            continue;
        };
        checked += 1;
        if !inside && swap_inside {
            lines.push(h.line);
            swapped.push(format!(
                "line {}: latitude and longitude look swapped: lat {lat}, lon {lon} is outside {country}, but \
                 lat {lon}, lon {lat} is inside; swap the two cells",
                h.line
            ));
        }
    }
    if swapped.len() >= 3 && swapped.len() * 2 > checked {
        let shown: Vec<String> = lines.iter().take(5).map(u64::to_string).collect();
        let more = if lines.len() > 5 { ", …" } else { "" };
        warnings.push(format!(
            "{} of {checked} rows have latitude and longitude the wrong way round (lines {}{more}); the lat \
             and lon columns are probably swapped in the header",
            swapped.len(),
            shown.join(", ")
        ));
    }
    warnings.append(&mut swapped);
}

/// Distance within which two rows of the same name are probably the same provider.
const SAME_PLACE_M: f64 = 200.0;
/// Rows of one name compared with each new row at most (keeps a pathological file linear).
const MAX_NAME_GROUP: usize = 1000;

/// Warns about rows that look like another row of the file: the same phone number, or the same
/// name within 200 m. Each warning names both lines.
fn duplicate_warnings(hints: &[RowHint], warnings: &mut Vec<String>) {
    let mut by_phone: HashMap<&str, u64> = HashMap::new();
    let mut by_name: HashMap<&str, Vec<(u64, LonLat)>> = HashMap::new();
    for h in hints {
        if let Some(phone) = &h.phone {
            match by_phone.get(phone.as_str()) {
                Some(first) => warnings.push(format!(
                    "line {} may be a duplicate of line {first}: the same phone number (digits {phone})",
                    h.line
                )),
                None => {
                    by_phone.insert(phone, h.line);
                }
            }
        }
        if let (Some(name), Some(here)) = (&h.name, h.position()) {
            let group = by_name.entry(name).or_default();
            let near = group.iter().take(MAX_NAME_GROUP).find(|(_, p)| p.distance_m(here) <= SAME_PLACE_M);
            if let Some((first, p)) = near {
                warnings.push(format!(
                    "line {} may be a duplicate of line {first}: the same name ('{name}') {:.0} m away",
                    h.line,
                    p.distance_m(here)
                ));
            }
            group.push((h.line, here));
        }
    }
}

/// A stable key for files without external ids: normalised name and place, so re-importing the
/// same file updates rather than duplicates.
fn derive_external_id(
    name: &str,
    country: &str,
    state: Option<&str>,
    district: Option<&str>,
    locality: Option<&str>,
) -> String {
    let norm = |s: &str| {
        s.to_lowercase()
            .chars()
            .map(|c| if c.is_alphanumeric() { c } else { ' ' })
            .collect::<String>()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join("-")
    };
    let key = [name, country, state.unwrap_or(""), district.unwrap_or(""), locality.unwrap_or("")]
        .map(norm)
        .join("|");
    use sha2::{Digest, Sha256};
    let hash = Sha256::digest(key.as_bytes());
    let hex: String = hash.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("derived-{hex}")
}

#[cfg(test)]
mod tests {
    use super::*;

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
        assert!(f.warnings.iter().any(|w| w.contains("Colour")));
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
            f.warnings[0].contains("Windows-1252") && f.warnings[0].contains("line 2"),
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
        assert_eq!((d.location.lat, d.location.lon), (-33.9, 18.4));
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

    #[test]
    fn swapped_coordinates_are_warnings_naming_the_line() {
        let f = parse_csv(
            format!(
                "{HEADER}a1,A,shelter,26.85,80.95,IN,,\na2,B,shelter,80.95,26.85,IN,,\n\
                 a3,C,shelter,28.3,-26.2,ZA,,\na4,D,shelter,-122.4,37.8,US,,\na5,E,shelter,-0.12,51.5,GB,,\n\
                 a6,F,shelter,28.3,-26.2,NP,,\n"
            )
            .as_bytes(),
        );
        let swapped: Vec<&String> = f.warnings.iter().filter(|w| w.contains("swapped")).collect();
        assert_eq!(swapped.len(), 1 + 4, "{:?}", f.warnings);
        assert!(
            swapped[0].contains("4 of 5 rows") && swapped[0].contains("lines 3, 4, 5, 6)"),
            "{swapped:?}"
        );
        for (w, line) in swapped[1..].iter().zip([3, 4, 5, 6]) {
            assert!(w.starts_with(&format!("line {line}: ")), "{w}");
        }
        // Line 5 (lat -122.4) is also an error; the warning says why.
        assert!(f.problems.iter().any(|p| p.line == 5 && p.column.as_deref() == Some("lat")));
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
        let dup: Vec<&String> = f.warnings.iter().filter(|w| w.contains("duplicate")).collect();
        assert_eq!(dup.len(), 2, "{dup:?}");
        assert!(dup[0].starts_with("line 3 may be a duplicate of line 2") && dup[0].contains("915222305550"));
        assert!(dup[1].starts_with("line 4 may be a duplicate of line 2") && dup[1].contains("sakhi centre"));
    }
}
