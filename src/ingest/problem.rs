//! What a reader reports: one shape for problems (the row is refused) and warnings (it is not),
//! each with a stable machine [`Code`] so a program can act on it and a sentence for a person.

use serde::{Serialize, Serializer};

/// One problem or warning in one cell, row or file, as a spreadsheet user would find it.
///
/// `Serialize` is for the copy of the report the import history stores; HTTP and its schema use
/// the DTO in `http::import_report`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RowProblem {
    /// Line of the file (the header is line 1); for a row, the line it starts on. 0 for a
    /// record that is not from a file (an admin edit).
    pub line: u64,
    /// Column name as written in the file's header, if the issue is in one cell.
    pub column: Option<String>,
    /// The offending value, if any (cut to 200 characters, with "…" when cut).
    pub value: Option<String>,
    pub code: Code,
    /// A sentence for a person; it names lines only where it needs another one
    /// ("a duplicate of line 2"), never as a "line N:" label.
    pub message: String,
}

/// Longest value shown back in a problem, in characters.
pub(super) const MAX_SHOWN: usize = 200;

pub(super) fn problem(
    line: u64,
    column: Option<&str>,
    value: Option<&str>,
    code: Code,
    message: impl Into<String>,
) -> RowProblem {
    let shown = |v: &str| {
        let mut chars = v.chars();
        let mut s: String = chars.by_ref().take(MAX_SHOWN).collect();
        if chars.next().is_some() {
            s.push('…');
        }
        s
    };
    RowProblem {
        line,
        column: column.map(str::to_string),
        value: value.map(shown),
        code,
        message: message.into(),
    }
}

/// Declares [`Code`] with its wire name and meaning from one list, so the schema's enum, its
/// description and the serialised names cannot disagree.
macro_rules! codes {
    ($($variant:ident = $name:literal: $about:literal,)*) => {
        /// The check behind a problem or warning. The names are stable: clients match on them.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum Code {
            $(#[doc = $about] $variant,)*
        }

        impl Code {
            /// Every code, in the order the schema lists them.
            pub const ALL: &'static [Code] = &[$(Code::$variant),*];

            /// The wire name, e.g. `swapped_coordinates`.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $name,)*
                }
            }

            /// When the reader reports it, in a few words.
            pub fn about(self) -> &'static str {
                match self {
                    $(Code::$variant => $about,)*
                }
            }
        }
    };
}

codes! {
    // The file as a whole.
    NotCsv = "not_csv": "the file is another format (PDF, Excel or OpenDocument workbook, UTF-16 text)",
    BinaryData = "binary_data": "the file is mostly binary data, not text",
    NotUtf8 = "not_utf8": "bytes that are neither UTF-8 nor Windows-1252 text",
    Windows1252 = "windows_1252": "warning: the file was read as Windows-1252, not UTF-8",
    EmptyFile = "empty_file": "the file is empty (no header row)",
    NoDataRows = "no_data_rows": "the file has a header but no data rows",
    UnclosedQuote = "unclosed_quote": "a quoted cell that is never closed",
    NulByte = "nul_byte": "a NUL byte in the header or a row",
    // The header.
    WrongSeparator = "wrong_separator": "columns separated by semicolons or tabs, not commas",
    DuplicateColumn = "duplicate_column": "a column appears twice (by name or alias)",
    MissingColumn = "missing_column": "a required column is missing",
    UnknownColumn = "unknown_column": "warning: a column Bellmap does not know was ignored",
    UnnamedColumn = "unnamed_column": "warning: a column without a name was ignored",
    DerivedIds = "derived_ids": "warning: no external_id column, so ids were derived from name and place",
    // A row or a cell.
    WrongCellCount = "wrong_cell_count": "a row has more or fewer cells than the header",
    DuplicateExternalId = "duplicate_external_id": "an external_id used by an earlier row",
    Required = "required": "a required value is empty",
    TooLong = "too_long": "a value longer than its column allows",
    InvalidCharacter = "invalid_character": "a control character, or a tab or line break in a one-line column",
    InvalidCountry = "invalid_country": "not an ISO 3166-1 two-letter country code",
    InvalidCategory = "invalid_category": "not one of the categories",
    NotANumber = "not_a_number": "a coordinate that is not a finite number",
    OutOfRange = "out_of_range": "a latitude outside -90..90 or a longitude outside -180..180",
    NotGeocoded = "not_geocoded": "with geocode=gazetteer: lat and lon are empty and neither the PIN code (postal_code) nor district and state placed the row",
    Geocoded = "geocoded": "warning: with geocode=gazetteer, a row without lat and lon was placed at its PIN code's centroid or its district's headquarters (location_precision approximate)",
    InvalidLocationPrecision = "invalid_location_precision": "not exact or approximate",
    NullIsland = "null_island": "the point 0,0, which almost always means missing coordinates",
    SwappedCoordinates = "swapped_coordinates": "the point is outside its country but inside with latitude and longitude swapped: a problem, or with fix=swap_coordinates a warning that the row was swapped",
    OutsideCountry = "outside_country": "warning: the point is outside its country, swapped or not",
    IncompletePublicPoint = "incomplete_public_point": "public_lat without public_lon, or the reverse",
    InvalidPublicPoint = "invalid_public_point": "a public point too close to or too far from the provider, or in another country",
    InvalidBoolean = "invalid_boolean": "not yes/no (true, false, yes, no, 1, 0)",
    SpreadsheetNumber = "spreadsheet_number": "a phone number a spreadsheet turned into scientific notation",
    InvalidPhone = "invalid_phone": "not a phone number (characters, '+' placement, 3 to 15 digits)",
    InvalidEmail = "invalid_email": "not an email address",
    InvalidWebsite = "invalid_website": "not an http or https web address",
    InvalidLanguage = "invalid_language": "not an ISO 639 language code",
    InvalidHours = "invalid_hours": "not in OpenStreetMap opening_hours format",
    InvalidDate = "invalid_date": "not a date in the form YYYY-MM-DD",
    InvalidWheelchair = "invalid_wheelchair": "not one of yes, limited, no, unknown",
    InvalidStatus = "invalid_status": "not active or inactive",
    SwappedColumns = "swapped_columns": "warning: most rows have latitude and longitude swapped, so the header probably names them the wrong way round",
    ProbableDuplicate = "probable_duplicate": "warning: the same phone number as an earlier row, or the same name within 200 m",
}

impl Serialize for Code {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A repair the reader may make instead of refusing a row, each one reported as a warning.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fix {
    /// A row whose point is outside its country but inside with latitude and longitude swapped
    /// is read swapped (warning `swapped_coordinates`) instead of refused.
    SwapCoordinates,
}

impl Fix {
    pub const ALL: &'static [Fix] = &[Fix::SwapCoordinates];

    pub fn as_str(self) -> &'static str {
        match self {
            Fix::SwapCoordinates => "swap_coordinates",
        }
    }

    /// Parses one fix name (the query parameter `fix`, the CLI's `--fix`).
    pub fn parse(raw: &str) -> Result<Fix, String> {
        Fix::ALL.iter().copied().find(|f| f.as_str() == raw.trim()).ok_or_else(|| {
            let known: Vec<&str> = Fix::ALL.iter().map(|f| f.as_str()).collect();
            format!("'{}' is not a fix; use {}", raw.trim(), known.join(", "))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_snake_case_and_serialise_by_name() {
        let names: std::collections::BTreeSet<&str> = Code::ALL.iter().map(|c| c.as_str()).collect();
        assert_eq!(names.len(), Code::ALL.len());
        assert!(
            names.iter().all(|n| n.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_'))
        );
        assert_eq!(serde_json::to_string(&Code::SwappedCoordinates).unwrap(), "\"swapped_coordinates\"");
    }

    #[test]
    fn fixes_parse_by_name() {
        assert_eq!(Fix::parse("swap_coordinates"), Ok(Fix::SwapCoordinates));
        assert!(Fix::parse("swap").unwrap_err().contains("use swap_coordinates"));
    }
}
