//! Admin routes: imports (dry run, upsert or replace, history, revert) and the audit log.
//! Every route needs a Bearer token; these routes send no CORS headers.

use super::AppState;
use super::admin_dto::{AdminPage, AuditEntryDto, ImportDto, RevertDto};
pub use super::auth::Admin;
use super::import_report::ImportReportDto;
use super::params::{Params, parse_id};
use super::problem::{ApiError, FieldError, PROBLEM_JSON, Problem};
use crate::model::{Geocode, ImportMode, OnError};
use crate::service::{Fix, ImportOptions};
use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;

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
        ("geocode" = Option<String>, Query, description = "gazetteer: a row whose lat and lon are both empty is placed at its PIN code's centroid (postal_code, India), else at its district's headquarters (district and state), from the bundled gazetteer, stored with location_precision approximate, counted and listed in the report (geocoded, geocoded_rows) and warned about (geocoded); a row it cannot place is a not_geocoded problem. Without it such a row is a required problem"),
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
    let mut p = Params::parse(req.query_string(), &["mode", "dry_run", "on_error", "fix", "geocode"]);
    let raw = p.str("mode").unwrap_or("upsert").to_string();
    let mode = ImportMode::parse(&raw).unwrap_or_else(|| {
        p.errors.push(FieldError::new("mode", format!("'{raw}' is not a mode; use upsert or replace")));
        ImportMode::Upsert
    });
    let raw = p.str("on_error").unwrap_or("abort").to_string();
    let on_error = OnError::parse(&raw).unwrap_or_else(|| {
        p.errors.push(FieldError::new("on_error", format!("'{raw}' is not allowed; use abort or skip")));
        OnError::Abort
    });
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
    let geocode = p.str("geocode").map(Geocode::parse).transpose().unwrap_or_else(|m| {
        p.errors.push(FieldError::new("geocode", m));
        None
    });
    if mode == ImportMode::Replace && on_error == OnError::Skip {
        p.errors.push(FieldError::new(
            "on_error",
            "replace needs every row to be valid: a skipped row would deactivate its provider; use on_error=abort",
        ));
    }
    p.finish()?;
    let (bytes, source) = read_csv_body(&req, payload, state.max_import_bytes).await?;
    let opts = ImportOptions { mode, dry_run, on_error, actor: who.name, source, fixes, geocode };
    let service = state.service.clone();
    let report = web::block(move || service.import(bytes, &opts)).await??;
    Ok(HttpResponse::Ok().json(ImportReportDto::from(&report)))
}

fn paging(req: &HttpRequest) -> Result<(i64, i64), ApiError> {
    let mut p = Params::parse(req.query_string(), &["limit", "offset"]);
    let limit = p.int_in("limit", 1, 500, 50) as i64;
    let offset = p.int_in("offset", 0, i64::MAX as u64, 0) as i64;
    p.finish()?;
    Ok((offset, limit))
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
    let service = state.service.clone();
    let (items, total) = web::block(move || service.list_imports(offset, limit)).await??;
    Ok(HttpResponse::Ok().json(AdminPage::<ImportDto>::new(items, total, offset)))
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
    let service = state.service.clone();
    let record = web::block(move || service.import_report(id)).await??;
    Ok(HttpResponse::Ok().json(ImportDto::from(record)))
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
    let (import_id, restored) = web::block(move || service.revert(id, &who.name)).await??;
    Ok(HttpResponse::Ok().json(RevertDto { import_id, reverted_import: id, restored }))
}

/// The audit log, newest first.
#[utoipa::path(
    get, path = "/v1/admin/audit", tag = "admin",
    operation_id = "adminListAudit",
    security(("bearer" = [])),
    params(("limit" = Option<u32>, Query, description = "1..500, default 50"), ("offset" = Option<u64>, Query)),
    responses(
        (status = 200, description = "Newest first", body = AdminPage<AuditEntryDto>),
        (status = 401, description = "No valid token", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "Not an admin token", body = Problem, content_type = PROBLEM_JSON),
    )
)]
pub async fn audit(req: HttpRequest, _: Admin, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let (offset, limit) = paging(&req)?;
    let service = state.service.clone();
    let (items, total) = web::block(move || service.audit_log(offset, limit)).await??;
    Ok(HttpResponse::Ok().json(AdminPage::<AuditEntryDto>::new(items, total, offset)))
}

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
    let export = state.service.export(&who.name);
    // Each chunk is read off the async workers; the stream ends after the last one.
    let chunks = futures_util::stream::try_unfold(export, |mut export| async move {
        let (chunk, export) = web::block(move || (export.next(), export)).await?;
        match chunk {
            None => Ok(None),
            Some(chunk) => Ok(Some((web::Bytes::from(chunk?), export))),
        }
    });
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((header::CONTENT_DISPOSITION, "attachment; filename=\"bellmap-providers.csv\""))
        .streaming::<_, ApiError>(chunks))
}
