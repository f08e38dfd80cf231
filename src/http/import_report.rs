//! The import report as HTTP answers it: what was (or would be) written, then every problem and
//! every warning in one shape, `{line, column, value, code, message}`, whose `code` a program can
//! match on (the schema lists every code and what it means).

use super::admin_dto::{ImportModeDto, OnErrorDto};
use crate::service::{Code, GeocodedRow, ImportReport, RowProblem, Via};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa::openapi::schema::{Object, ObjectBuilder, Type};

/// What an import did, or (dry run, or rejected file) would have done.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = ImportReport)]
pub struct ImportReportDto<'a> {
    /// The history entry of a committed import.
    pub import_id: Option<i64>,
    pub mode: ImportModeDto,
    pub on_error: OnErrorDto,
    pub dry_run: bool,
    /// true only when records were committed.
    pub written: bool,
    /// Data rows in the file.
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    /// Providers missing from the file that a replace deactivated.
    pub deactivated: usize,
    /// Rows with at least one problem.
    pub invalid: usize,
    /// Invalid rows left out under on_error=skip.
    pub skipped: usize,
    /// Valid rows without coordinates that `geocode=gazetteer` placed by the bundled gazetteer
    /// (stored with `location_precision` approximate).
    pub geocoded: usize,
    /// Those rows, in file order; each also has a `geocoded` warning.
    pub geocoded_rows: Vec<GeocodedRowDto<'a>>,
    /// Why rows (or the file) cannot be imported.
    pub problems: Vec<RowProblemDto<'a>>,
    /// What looks wrong but does not block the import, and every row a `fix` repaired.
    pub warnings: Vec<RowProblemDto<'a>>,
}

/// A row placed by the gazetteer because it had no coordinates.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = GeocodedRow)]
pub struct GeocodedRowDto<'a> {
    /// Line of the file the row starts on.
    pub line: u64,
    pub external_id: &'a str,
    /// pincode: at its PIN code's centroid; district: at its district's headquarters (its PIN
    /// was missing, unknown, flagged by the gazetteer as outside its district or state, or in
    /// another state than the row's).
    pub via: ViaDto,
    /// The gazetteer entry whose point the row got, e.g. `pin:226001` or `dhq:157` (the ids of
    /// `/v1/places`).
    pub place_id: &'a str,
}

/// How a geocoded row was placed.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[schema(as = GeocodeVia)]
#[serde(rename_all = "lowercase")]
pub enum ViaDto {
    Pincode,
    District,
}

impl<'a> From<&'a GeocodedRow> for GeocodedRowDto<'a> {
    fn from(g: &'a GeocodedRow) -> Self {
        GeocodedRowDto {
            line: g.line,
            external_id: &g.external_id,
            via: match g.via {
                Via::Pincode => ViaDto::Pincode,
                Via::District => ViaDto::District,
            },
            place_id: &g.place_id,
        }
    }
}

/// One problem or warning in one cell, row or file, as a spreadsheet user would find it.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = RowProblem)]
pub struct RowProblemDto<'a> {
    /// Line of the file (the header is line 1); for a row, the line it starts on.
    pub line: u64,
    /// Column name as written in the file's header, if the issue is in one cell.
    pub column: Option<&'a str>,
    /// The offending value, if any (cut to 200 characters, with "…" when cut).
    pub value: Option<&'a str>,
    #[schema(schema_with = code_schema)]
    pub code: &'static str,
    /// A sentence for a person.
    pub message: &'a str,
}

/// The `code` schema: an enum of every [`Code`], each explained in the description.
fn code_schema() -> Object {
    let about: Vec<String> = Code::ALL.iter().map(|c| format!("- `{c}`: {}", c.about())).collect();
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(Code::ALL.iter().map(|c| c.as_str())))
        .description(Some(format!(
            "The check behind the entry; stable, for programs to match on (the message may change):\n{}",
            about.join("\n")
        )))
        .build()
}

impl<'a> From<&'a RowProblem> for RowProblemDto<'a> {
    fn from(p: &'a RowProblem) -> Self {
        RowProblemDto {
            line: p.line,
            column: p.column.as_deref(),
            value: p.value.as_deref(),
            code: p.code.as_str(),
            message: &p.message,
        }
    }
}

impl<'a> From<&'a ImportReport> for ImportReportDto<'a> {
    fn from(r: &'a ImportReport) -> Self {
        ImportReportDto {
            import_id: r.import_id,
            mode: r.mode.into(),
            on_error: r.on_error.into(),
            dry_run: r.dry_run,
            written: r.written,
            rows: r.rows,
            created: r.created,
            updated: r.updated,
            unchanged: r.unchanged,
            deactivated: r.deactivated,
            invalid: r.invalid,
            skipped: r.skipped,
            geocoded: r.geocoded,
            geocoded_rows: r.geocoded_rows.iter().map(GeocodedRowDto::from).collect(),
            problems: r.problems.iter().map(RowProblemDto::from).collect(),
            warnings: r.warnings.iter().map(RowProblemDto::from).collect(),
        }
    }
}
