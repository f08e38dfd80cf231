//! Admin routes: imports (dry run, upsert or replace, history, revert) and the audit log.
//! Every route needs a Bearer token; these routes send no CORS headers.

use super::AppState;
pub use super::auth::Admin;
use super::import_report::ImportReportDto;
use super::params::{Params, parse_id};
use super::problem::{ApiError, FieldError, PROBLEM_JSON, Problem};
use crate::db::{AuditEntry, ImportMode, ImportRecord, RevertError};
use crate::service::{Fix, ImportOptions, OnError};
use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// Most parts a multipart import may have (the file and a few form fields).
const MAX_PARTS: usize = 16;

/// Reads the CSV from a `text/csv` body or the first file of a `multipart/form-data` body,
/// refusing more than `limit` bytes (in a multipart body, of all parts up to the file together).
async fn read_csv_body(
    req: &HttpRequest,
    payload: web::Payload,
    limit: usize,
) -> Result<(Vec<u8>, String), ApiError> {
    let content_type =
        req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let mime = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    let too_large = || {
        ApiError::PayloadTooLarge(format!(
            "the upload is larger than the import limit of {} MiB (BELLMAP_MAX_IMPORT_MB)",
            limit / (1024 * 1024)
        ))
    };
    match mime.as_str() {
        "text/csv" | "application/csv" | "text/plain" => {
            let mut body = Vec::new();
            let mut payload = payload;
            while let Some(chunk) = payload.next().await {
                let chunk = chunk.map_err(|e| ApiError::field("body", format!("the upload failed: {e}")))?;
                if body.len() + chunk.len() > limit {
                    return Err(too_large());
                }
                body.extend_from_slice(&chunk);
            }
            Ok((body, "upload.csv".to_string()))
        }
        "multipart/form-data" => {
            // Every part counts toward the limit, file or not: bytes in a part the import
            // ignores are still bytes the server has to read.
            let mut multipart = Multipart::new(req.headers(), payload);
            let (mut parts, mut total) = (0, 0);
            while let Some(field) = multipart.next().await {
                let mut field = field
                    .map_err(|e| ApiError::field("body", format!("the multipart body is malformed: {e}")))?;
                parts += 1;
                if parts > MAX_PARTS {
                    return Err(ApiError::PayloadTooLarge(format!(
                        "the multipart body has more than {MAX_PARTS} parts"
                    )));
                }
                let filename =
                    field.content_disposition().and_then(|cd| cd.get_filename()).map(str::to_string);
                let mut body = Vec::new();
                while let Some(chunk) = field.next().await {
                    let chunk =
                        chunk.map_err(|e| ApiError::field("file", format!("the upload failed: {e}")))?;
                    total += chunk.len();
                    if total > limit {
                        return Err(too_large());
                    }
                    if filename.is_some() {
                        body.extend_from_slice(&chunk);
                    }
                }
                if let Some(filename) = filename {
                    return Ok((body, filename));
                }
            }
            Err(ApiError::field("file", "the multipart body has no file part"))
        }
        _ => Err(ApiError::UnsupportedMediaType(format!(
            "send the CSV as text/csv or as a multipart/form-data file, not '{}'",
            if content_type.is_empty() { "nothing" } else { &content_type }
        ))),
    }
}

/// Import a CSV file: validate every row, then write in one transaction and publish.
#[utoipa::path(
    post, path = "/v1/admin/imports", tag = "admin",
    operation_id = "adminCreateImport",
    security(("bearer" = [])),
    params(
        ("mode" = Option<String>, Query, description = "upsert (default) keeps providers missing from the file; replace deactivates them (never deletes)"),
        ("dry_run" = Option<bool>, Query, description = "Compute exactly what would happen and write nothing"),
        ("on_error" = Option<String>, Query, description = "abort (default): any invalid row writes nothing; skip: write the valid rows"),
        ("fix" = Option<String>, Query, description = "Repairs to apply, comma-separated. swap_coordinates: a row whose point is outside its country but inside with latitude and longitude swapped is imported swapped, with a swapped_coordinates warning, instead of refused"),
    ),
    request_body(content = String, content_type = "text/csv", description = "The CSV (or a multipart/form-data file)"),
    responses(
        (status = 200, description = "The import report (also when rows were invalid and nothing was written)", body = ImportReportDto),
        (status = 400, description = "Invalid parameters", body = Problem, content_type = PROBLEM_JSON),
        (status = 401, description = "No valid token", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "Not an admin token", body = Problem, content_type = PROBLEM_JSON),
        (status = 408, description = "The body did not arrive in time; the connection is closed", body = Problem, content_type = PROBLEM_JSON),
        (status = 413, description = "The upload (all parts together) is over BELLMAP_MAX_IMPORT_MB, or has more than 16 parts", body = Problem, content_type = PROBLEM_JSON),
        (status = 415, description = "Not CSV or multipart", body = Problem, content_type = PROBLEM_JSON),
    )
)]
pub async fn create_import(
    req: HttpRequest,
    Admin(who): Admin,
    payload: web::Payload,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let mut p = Params::parse(req.query_string(), &["mode", "dry_run", "on_error", "fix"])?;
    let mode = match p.str("mode").unwrap_or("upsert") {
        "upsert" => ImportMode::Upsert,
        "replace" => ImportMode::Replace,
        other => {
            p.errors.push(FieldError::new("mode", format!("'{other}' is not a mode; use upsert or replace")));
            ImportMode::Upsert
        }
    };
    let on_error = match p.str("on_error").unwrap_or("abort") {
        "abort" => OnError::Abort,
        "skip" => OnError::Skip,
        other => {
            p.errors
                .push(FieldError::new("on_error", format!("'{other}' is not allowed; use abort or skip")));
            OnError::Abort
        }
    };
    let dry_run = match p.str("dry_run").map(crate::model::fields::parse_bool) {
        None => false,
        Some(Ok(b)) => b,
        Some(Err(m)) => {
            p.errors.push(FieldError::new("dry_run", m));
            false
        }
    };
    // A comma-separated list of fixes.
    let fixes = p.str("fix").map_or(Ok(Vec::new()), |v| v.split(',').map(Fix::parse).collect());
    let fixes = fixes.unwrap_or_else(|m| {
        p.errors.push(FieldError::new("fix", m));
        Vec::new()
    });
    if mode == ImportMode::Replace && on_error == OnError::Skip {
        p.errors.push(FieldError::new(
            "on_error",
            "replace needs every row to be valid: a skipped row would deactivate its provider; use on_error=abort",
        ));
    }
    p.finish()?;
    let (bytes, source) = read_csv_body(&req, payload, state.max_import_bytes).await?;
    let opts = ImportOptions { mode, dry_run, on_error, actor: who.name, source, fixes };
    let service = state.service.clone();
    let report = web::block(move || service.import(bytes, &opts)).await??;
    Ok(HttpResponse::Ok().json(ImportReportDto::from(&report)))
}

/// One entry of the import history.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportDto {
    pub id: i64,
    pub created_at: String,
    /// Token name, or "cli".
    pub actor: String,
    pub source: String,
    /// upsert, replace or revert.
    pub mode: String,
    pub on_error: String,
    pub reverts_import: Option<i64>,
    pub reverted_by: Option<i64>,
    /// The report as returned when the import ran.
    #[schema(value_type = Object)]
    pub report: Value,
}

impl From<ImportRecord> for ImportDto {
    fn from(r: ImportRecord) -> Self {
        ImportDto {
            id: r.id,
            created_at: r.created_at,
            actor: r.actor,
            source: r.source,
            mode: r.mode,
            on_error: r.on_error,
            reverts_import: r.reverts_import,
            reverted_by: r.reverted_by,
            report: serde_json::from_str(&r.report).unwrap_or(Value::Null),
        }
    }
}

/// A page of an admin list.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminPage<T> {
    pub items: Vec<T>,
    pub total: i64,
    /// Pass as `offset` for the next page; null on the last page.
    pub next_offset: Option<i64>,
}

fn paging(req: &HttpRequest) -> Result<(i64, i64), ApiError> {
    let mut p = Params::parse(req.query_string(), &["limit", "offset"])?;
    let limit = p.int_in("limit", 1, 500, 50) as i64;
    let offset = p.int_in("offset", 0, i64::MAX as u64, 0) as i64;
    p.finish()?;
    Ok((offset, limit))
}

fn next_offset(offset: i64, len: usize, total: i64) -> Option<i64> {
    let next = offset + len as i64;
    (next < total && len > 0).then_some(next)
}

/// Import history, newest first.
#[utoipa::path(
    get, path = "/v1/admin/imports", tag = "admin",
    operation_id = "adminListImports",
    security(("bearer" = [])),
    params(("limit" = Option<u32>, Query, description = "1..500, default 50"), ("offset" = Option<u64>, Query)),
    responses(
        (status = 200, description = "Newest first", body = AdminPage<ImportDto>),
        (status = 401, description = "No valid token", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "Not an admin token", body = Problem, content_type = PROBLEM_JSON),
    )
)]
pub async fn list_imports(
    req: HttpRequest,
    _: Admin,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (offset, limit) = paging(&req)?;
    let db = state.service.db().clone();
    let (items, total) = web::block(move || db.list_imports(offset, limit)).await??;
    let next = next_offset(offset, items.len(), total);
    Ok(HttpResponse::Ok().json(AdminPage {
        items: items.into_iter().map(ImportDto::from).collect(),
        total,
        next_offset: next,
    }))
}

/// One import with its report.
#[utoipa::path(
    get, path = "/v1/admin/imports/{id}", tag = "admin",
    operation_id = "adminGetImport",
    security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses(
        (status = 200, description = "The import", body = ImportDto),
        (status = 401, description = "No valid token", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "Not an admin token", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "No such import", body = Problem, content_type = PROBLEM_JSON),
    )
)]
pub async fn get_import(
    path: web::Path<String>,
    _: Admin,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&path, "import")?;
    let db = state.service.db().clone();
    let found = web::block(move || db.get_import(id)).await??;
    let record = found.ok_or_else(|| ApiError::NotFound(format!("import {id} does not exist")))?;
    Ok(HttpResponse::Ok().json(ImportDto::from(record)))
}

/// The answer to a revert.
#[derive(Debug, Serialize, ToSchema)]
pub struct RevertDto {
    /// The history entry of the revert itself.
    pub import_id: i64,
    pub reverted_import: i64,
    /// Records restored to their state before the reverted import.
    pub restored: usize,
}

/// Restore every record an import touched to its state before it.
#[utoipa::path(
    post, path = "/v1/admin/imports/{id}/revert", tag = "admin",
    operation_id = "adminRevertImport",
    security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses(
        (status = 200, description = "Reverted", body = RevertDto),
        (status = 401, description = "No valid token", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "Not an admin token", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "No such import", body = Problem, content_type = PROBLEM_JSON),
        (status = 409, description = "Already reverted, or records changed since (listed in conflicts)", body = Problem, content_type = PROBLEM_JSON),
    )
)]
pub async fn revert_import(
    path: web::Path<String>,
    Admin(who): Admin,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&path, "import")?;
    let service = state.service.clone();
    let result = web::block(move || service.revert(id, &who.name)).await?;
    match result {
        Ok((import_id, restored)) => {
            Ok(HttpResponse::Ok().json(RevertDto { import_id, reverted_import: id, restored }))
        }
        Err(RevertError::NotFound(_)) => Err(ApiError::NotFound(format!("import {id} does not exist"))),
        Err(e @ RevertError::AlreadyReverted(..)) => {
            Err(ApiError::Conflict { detail: e.to_string(), conflicts: vec![] })
        }
        Err(e @ RevertError::Conflict { .. }) => {
            let detail = e.to_string();
            let RevertError::Conflict { conflicts, .. } = e else { unreachable!() };
            Err(ApiError::Conflict { detail, conflicts })
        }
        Err(RevertError::Db(e)) => Err(e.into()),
    }
}

/// The audit log, newest first.
#[utoipa::path(
    get, path = "/v1/admin/audit", tag = "admin",
    operation_id = "adminListAudit",
    security(("bearer" = [])),
    params(("limit" = Option<u32>, Query, description = "1..500, default 50"), ("offset" = Option<u64>, Query)),
    responses(
        (status = 200, description = "Newest first", body = AdminPage<AuditEntry>),
        (status = 401, description = "No valid token", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "Not an admin token", body = Problem, content_type = PROBLEM_JSON),
    )
)]
pub async fn audit(req: HttpRequest, _: Admin, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let (offset, limit) = paging(&req)?;
    let db = state.service.db().clone();
    let (items, total) = web::block(move || db.list_audit(offset, limit)).await??;
    let next = next_offset(offset, items.len(), total);
    Ok(HttpResponse::Ok().json(AdminPage { items, total, next_offset: next }))
}

/// Rows fetched from the database per chunk of an export.
const EXPORT_BATCH: i64 = 1000;

/// Every provider (any status, every field, confidential ones included) in the import format,
/// streamed in batches, so memory stays flat however large the directory.
#[utoipa::path(
    get, path = "/v1/admin/providers.csv", tag = "admin",
    operation_id = "adminExportProviders",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "CSV in the import format; importing it back changes nothing", content_type = "text/csv", body = String),
        (status = 401, description = "No valid token", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "Not an admin token", body = Problem, content_type = PROBLEM_JSON),
    )
)]
pub async fn export(Admin(who): Admin, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let db = state.service.db().clone();
    let detail = "CSV export of all providers, exact fields included".to_string();
    state.service.audit_queue().record(&who.name, "export", detail, 0);
    let header = futures_util::stream::once(async {
        Ok::<_, ApiError>(web::Bytes::from(crate::ingest::csv_header_line()))
    });
    let rows = futures_util::stream::try_unfold(Some(0i64), move |after| {
        let db = db.clone();
        async move {
            let Some(after) = after else { return Ok(None) };
            let batch = web::block(move || db.providers_after(after, EXPORT_BATCH)).await??;
            let Some(last) = batch.last().map(|p| p.id.0) else { return Ok(None) };
            let mut chunk = Vec::new();
            for p in &batch {
                chunk.extend_from_slice(&crate::ingest::csv_row(&p.data));
            }
            let next = (batch.len() as i64 == EXPORT_BATCH).then_some(last);
            Ok(Some((web::Bytes::from(chunk), next)))
        }
    });
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((header::CONTENT_DISPOSITION, "attachment; filename=\"bellmap-providers.csv\""))
        .streaming(header.chain(rows)))
}
