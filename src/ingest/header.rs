//! Header mapping: the header row's names → column positions, with aliases, duplicates,
//! missing required columns and unknown columns reported.

use super::csv_file::ParsedFile;
use super::problem::{Code, problem};
use crate::model::Column;
use std::collections::HashMap;

/// Maps canonical column → index, reporting duplicate and missing required columns as problems
/// and unknown ones as warnings. `None` when the header is unusable. When `geocoding`, a file may
/// leave out both lat and lon (every row is then placed by the gazetteer), not just one.
pub(super) fn map_columns(
    headers: &[String],
    line: u64,
    geocoding: bool,
    out: &mut ParsedFile,
) -> Option<HashMap<Column, usize>> {
    if let [only] = headers {
        for (sep, what) in [(';', "semicolons"), ('\t', "tabs")] {
            if only.contains(sep) {
                out.problems.push(problem(
                    line,
                    None,
                    Some(only),
                    Code::WrongSeparator,
                    format!(
                        "the columns are separated by {what}, not commas; in Excel use File › Save As › \
                         CSV UTF-8 (Comma delimited)"
                    ),
                ));
                return None;
            }
        }
    }
    let mut index: HashMap<Column, usize> = HashMap::new();
    for (i, h) in headers.iter().enumerate() {
        if h.is_empty() {
            out.warnings.push(problem(
                line,
                None,
                None,
                Code::UnnamedColumn,
                format!("column {} has no name in the header and was ignored", i + 1),
            ));
            continue;
        }
        match Column::from_header(h) {
            Some(c) => {
                if let Some(prev) = index.insert(c, i) {
                    out.problems.push(problem(
                        line,
                        Some(h),
                        None,
                        Code::DuplicateColumn,
                        format!(
                            "column '{c}' appears twice: '{}' (column {}) and '{h}' (column {}); keep one",
                            headers[prev],
                            prev + 1,
                            i + 1
                        ),
                    ));
                }
            }
            None => out.warnings.push(problem(
                line,
                Some(h),
                None,
                Code::UnknownColumn,
                format!("unknown column '{h}' (column {}) was ignored", i + 1),
            )),
        }
    }
    let no_point = geocoding && !index.contains_key(&Column::Lat) && !index.contains_key(&Column::Lon);
    let needed = |c: &Column| c.required() && !(no_point && matches!(c, Column::Lat | Column::Lon));
    for required in Column::ALL.into_iter().filter(needed) {
        if !index.contains_key(&required) {
            out.problems.push(problem(
                line,
                Some(required.name()),
                None,
                Code::MissingColumn,
                format!("required column '{required}' is missing"),
            ));
        }
    }
    if !out.problems.is_empty() {
        return None;
    }
    if !index.contains_key(&Column::ExternalId) {
        out.warnings.push(problem(
            line,
            None,
            None,
            Code::DerivedIds,
            "the file has no external_id column; ids were derived from name, country, state, district and locality",
        ));
    }
    Some(index)
}
