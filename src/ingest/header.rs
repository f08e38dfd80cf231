//! Header mapping: the header row's names → column positions, with aliases, duplicates,
//! missing required columns and unknown columns reported.

use super::csv_file::{ParsedFile, problem};
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

/// Maps canonical column → index, reporting duplicate and missing required columns as problems
/// and unknown ones as warnings. `None` when the header is unusable.
pub(super) fn map_columns(
    headers: &[String],
    line: u64,
    out: &mut ParsedFile,
) -> Option<HashMap<&'static str, usize>> {
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
