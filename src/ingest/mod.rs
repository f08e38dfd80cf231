//! CSV → model and back. Reads a whole file, validates every cell, and collects every problem
//! before anything is written anywhere; writes records in the same format.

mod csv_file;
mod export;

pub use csv_file::{CSV_COLUMNS, ParsedFile, ParsedRow, RowProblem, parse_csv, parse_csv_with, parse_fields};
pub use export::{ExportError, csv_header_line, csv_row, to_fields, write_csv};
