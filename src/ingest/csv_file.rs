//! The CSV format of DESIGN §4.

use crate::model::fields::{
    parse_bool, parse_country, parse_date, parse_email, parse_hours, parse_languages, parse_phone,
    parse_website, split_list,
};
use crate::model::{Category, LonLat, ProviderData, Status, Wheelchair, check_lat, check_lon};
use serde::Serialize;
use std::collections::HashMap;

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
    /// Line number as a spreadsheet shows it (the header is line 1).
    pub line: u64,
    /// Column name as written in the file's header, if the problem is in one cell.
    pub column: Option<String>,
    /// The offending value, if any (truncated to 200 characters).
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

const MAX_TEXT: usize = 500;

fn problem(line: u64, column: Option<&str>, value: Option<&str>, message: impl Into<String>) -> RowProblem {
    RowProblem {
        line,
        column: column.map(str::to_string),
        value: value.map(|v| v.chars().take(200).collect()),
        message: message.into(),
    }
}

/// Parses a whole CSV file. Never fails: every issue becomes a problem in the result.
pub fn parse_csv(bytes: &[u8]) -> ParsedFile {
    let mut out = ParsedFile::default();
    let text = match std::str::from_utf8(bytes) {
        Ok(t) => t,
        Err(e) => {
            let line = 1 + bytes[..e.valid_up_to()].iter().filter(|b| **b == b'\n').count() as u64;
            out.problems.push(problem(
                line,
                None,
                None,
                "the file is not UTF-8 text; save it from your spreadsheet as 'CSV UTF-8' and try again",
            ));
            return out;
        }
    };
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        out.problems.push(problem(1, None, None, "the file is empty; the first line must be a header row"));
        return out;
    }
    let mut reader = csv::ReaderBuilder::new().has_headers(true).flexible(true).from_reader(text.as_bytes());
    let headers = match reader.headers() {
        Ok(h) => h.clone(),
        Err(e) => {
            out.problems.push(problem(1, None, None, format!("the header row cannot be read: {e}")));
            return out;
        }
    };
    // Map canonical column -> index, reporting duplicates and unknown columns.
    let mut index: HashMap<&'static str, usize> = HashMap::new();
    for (i, h) in headers.iter().enumerate() {
        match canonical(h) {
            Some(c) => {
                if let Some(prev) = index.insert(c, i) {
                    out.problems.push(problem(
                        1,
                        Some(h),
                        None,
                        format!("column '{c}' appears twice (columns {} and {}); keep one", prev + 1, i + 1),
                    ));
                }
            }
            None => {
                out.warnings.push(format!("unknown column '{}' (column {}) was ignored", h.trim(), i + 1))
            }
        }
    }
    for required in ["name", "categories", "lat", "lon", "country"] {
        if !index.contains_key(required) {
            out.problems.push(problem(
                1,
                Some(required),
                None,
                format!("required column '{required}' is missing"),
            ));
        }
    }
    if !out.problems.is_empty() {
        return out;
    }
    if !index.contains_key("external_id") {
        out.warnings.push(
            "the file has no external_id column; ids were derived from name, country, state, district and locality"
                .into(),
        );
    }
    let mut seen_ids: HashMap<String, u64> = HashMap::new();
    for record in reader.records() {
        let record = match record {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map(|p| p.line()).unwrap_or(0);
                out.problems.push(problem(line, None, None, format!("this row cannot be read as CSV: {e}")));
                out.row_count += 1;
                continue;
            }
        };
        out.row_count += 1;
        let line = record.position().map(|p| p.line()).unwrap_or(0);
        if record.len() != headers.len() {
            out.problems.push(problem(
                line,
                None,
                None,
                format!("this row has {} fields but the header has {}", record.len(), headers.len()),
            ));
            continue;
        }
        let cells = Cells { headers: &headers, record: &record, index: &index };
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
                    out.rows.push(ParsedRow { line, data });
                }
            }
            Err(mut ps) => out.problems.append(&mut ps),
        }
    }
    if out.row_count == 0 {
        out.problems.push(problem(1, None, None, "the file has a header but no data rows"));
    }
    out
}

/// One record's cells, looked up by canonical column name.
struct Cells<'r> {
    headers: &'r csv::StringRecord,
    record: &'r csv::StringRecord,
    index: &'r HashMap<&'static str, usize>,
}

impl<'r> Cells<'r> {
    /// The column's header as written and the trimmed value, if the cell is not empty.
    fn get(&self, name: &str) -> Option<(&'r str, &'r str)> {
        let i = *self.index.get(name)?;
        let v = self.record.get(i)?.trim();
        (!v.is_empty()).then(|| (self.headers.get(i).unwrap_or_default().trim(), v))
    }
}

/// Validates one row, collecting every cell problem.
fn parse_row(line: u64, cells: &Cells<'_>) -> Result<ProviderData, Vec<RowProblem>> {
    let cell = |name: &str| cells.get(name);
    let mut ps: Vec<RowProblem> = Vec::new();
    let text = |name: &str, max: usize, ps: &mut Vec<RowProblem>| -> Option<String> {
        let (col, v) = cell(name)?;
        if v.contains('\0') {
            ps.push(problem(line, Some(col), None, "contains a NUL character"));
            return None;
        }
        if v.chars().count() > max {
            ps.push(problem(line, Some(col), Some(v), format!("is longer than {max} characters")));
            return None;
        }
        Some(v.to_string())
    };
    let name = text("name", 200, &mut ps);
    if name.is_none()
        && !ps.iter().any(|p| p.column.as_deref().is_some_and(|c| c.eq_ignore_ascii_case("name")))
    {
        ps.push(problem(line, Some("name"), None, "name is required"));
    }
    let organization = text("organization", 200, &mut ps);
    let description = text("description", 4000, &mut ps);
    let address = text("address", MAX_TEXT, &mut ps);
    let locality = text("locality", 200, &mut ps);
    let district = text("district", 200, &mut ps);
    let state = text("state", 200, &mut ps);
    let postal_code = text("postal_code", 20, &mut ps);
    let eligibility = text("eligibility", MAX_TEXT, &mut ps);
    let cost = text("cost", MAX_TEXT, &mut ps);
    let external_given = text("external_id", 100, &mut ps);

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
    if cell("country").is_none() {
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
    if cell("categories").is_none() {
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
    if cell("lat").is_none() {
        ps.push(problem(line, Some("lat"), None, "latitude is required"));
    }
    if cell("lon").is_none() {
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
    if public_lat.is_some() != public_lon.is_some()
        && cell("public_lat").is_some() != cell("public_lon").is_some()
    {
        ps.push(problem(line, Some("public_lat"), None, "public_lat and public_lon must be given together"));
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
        assert!(f.problems[0].message.contains("fields"));
        assert!(
            parse_csv(b"name,categories,lat,lon,country\n\xff,shelter,1,2,IN\n").problems[0]
                .message
                .contains("UTF-8")
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
}
