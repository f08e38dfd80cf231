//! CSV → model. Reads a whole file, validates every cell, and collects every problem before
//! anything is written anywhere.

mod csv_file;

pub use csv_file::{CSV_COLUMNS, ParsedFile, ParsedRow, RowProblem, parse_csv};
