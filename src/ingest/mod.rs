//! CSV → model and back. Reads a whole file, validates every cell, and collects every problem
//! before anything is written anywhere; writes records in the same format.
//!
//! One file per job: `decode` (bytes → text), `records` (text → records with their lines),
//! `header` (header row → columns), `geocode` (a row without coordinates → a gazetteer point), `row` (cells → a validated record), `hints` (a point against
//! its country, probable duplicates), `csv_file` (the whole file, in that order) and `export` (records → CSV);
//! `problem` is the one shape of every problem and warning, with its machine code.

mod csv_file;
mod decode;
mod export;
mod geocode;
mod header;
mod hints;
pub mod hsds;
mod problem;
mod records;
mod row;

pub use csv_file::{
    GeocodedRow, ParsedFile, ParsedRow, ReadOptions, parse_csv, parse_csv_fixing, parse_csv_reading,
    parse_csv_with,
};
pub use export::{ExportError, csv_header_line, csv_row, csv_row_of_fields, to_fields, write_csv};
pub use geocode::{Address, Geocoder, Located, Via};
pub use hints::looks_swapped;
pub use problem::{Code, Fix, RowProblem};
pub use row::parse_fields;
