//! Admin single-record routes: create, read (any status, every field), patch, deactivate and
//! reactivate. Input is validated by the same code as a CSV row.

use super::AppState;
use super::admin::Admin;
use super::body::read_json;
use super::params::parse_id;
use super::problem::{ApiError, FieldError, PROBLEM_JSON, Problem};
use crate::model::fields::format_date;
use crate::model::{Category, Column, Phone, Provider, Status, Wheelchair};
use crate::service::ProviderEdit;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use time::format_description::well_known::Rfc3339;
use utoipa::ToSchema;

/// A provider as an admin sees it: every field, including a confidential provider's exact place.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminProviderDto {
    pub id: i64,
    pub external_id: String,
    pub name: String,
    pub organization: Option<String>,
    pub description: Option<String>,
    pub categories: Vec<Category>,
    /// Exact location, WGS84 degrees.
    pub lat: f64,
    pub lon: f64,
    /// The public point an admin chose for a confidential provider, if any.
    pub public_lat: Option<f64>,
    pub public_lon: Option<f64>,
    /// The public point the server drew and stored (set by the server; a confidential provider
    /// without an admin point is shown here). Kept while the provider is not confidential.
    pub drawn_lat: Option<f64>,
    pub drawn_lon: Option<f64>,
    pub confidential: bool,
    pub address: Option<String>,
    pub locality: Option<String>,
    pub district: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub country: String,
    pub phone: Option<Phone>,
    pub hotline: Option<Phone>,
    pub sms: Option<Phone>,
    pub intake_phone: Option<Phone>,
    pub email: Option<String>,
    pub website: Option<String>,
    pub languages: Vec<String>,
    pub hours: Option<String>,
    pub open_24_7: bool,
    pub eligibility: Option<String>,
    pub cost: Option<String>,
    pub wheelchair: Wheelchair,
    pub verified_on: Option<String>,
    pub status: Status,
    pub created_at: String,
    pub updated_at: String,
}

impl From<Provider> for AdminProviderDto {
    fn from(p: Provider) -> Self {
        let d = p.data;
        AdminProviderDto {
            id: p.id.0,
            external_id: d.external_id,
            name: d.name,
            organization: d.organization,
            description: d.description,
            categories: d.categories,
            lat: d.location.reveal().lat,
            lon: d.location.reveal().lon,
            public_lat: d.public_location.map(|p| p.lat),
            public_lon: d.public_location.map(|p| p.lon),
            drawn_lat: p.drawn_public.map(|p| p.lat),
            drawn_lon: p.drawn_public.map(|p| p.lon),
            confidential: d.confidential,
            address: d.address.into_inner(),
            locality: d.locality,
            district: d.district,
            state: d.state,
            postal_code: d.postal_code.into_inner(),
            country: d.country,
            phone: d.phone,
            hotline: d.hotline,
            sms: d.sms,
            intake_phone: d.intake_phone.into_inner(),
            email: d.email,
            website: d.website,
            languages: d.languages,
            hours: d.hours,
            open_24_7: d.open_24_7,
            eligibility: d.eligibility,
            cost: d.cost,
            wheelchair: d.wheelchair,
            verified_on: d.verified_on.map(format_date),
            status: d.status,
            created_at: p.created_at.format(&Rfc3339).unwrap_or_default(),
            updated_at: p.updated_at.format(&Rfc3339).unwrap_or_default(),
        }
    }
}

/// A JSON object with import column names as keys, turned into cells (lists joined by ';',
/// null = empty). Unknown and server-set keys are errors.
fn object_to_cells(body: &Value) -> Result<BTreeMap<Column, String>, ApiError> {
    let mut cells = BTreeMap::new();
    let obj: &Map<String, Value> = body
        .as_object()
        .ok_or_else(|| ApiError::field("body", "must be a JSON object of provider fields"))?;
    let mut errors = Vec::new();
    for (key, value) in obj {
        let Some(column) = Column::from_name(key) else {
            let why = if ["id", "created_at", "updated_at", "drawn_lat", "drawn_lon"].contains(&key.as_str())
            {
                "is set by the server".to_string()
            } else {
                format!("is not a provider field; fields: {}", Column::ALL.map(Column::name).join(", "))
            };
            errors.push(FieldError::new(key, why));
            continue;
        };
        let cell = match value {
            Value::Null => String::new(),
            Value::String(s) => s.clone(),
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => n.to_string(),
            Value::Array(items) if items.iter().all(Value::is_string) => {
                items.iter().filter_map(Value::as_str).collect::<Vec<_>>().join(";")
            }
            // A phone as the API shows it: {"display": ..., "e164": ...}.
            Value::Object(o) if o.get("display").is_some_and(Value::is_string) => {
                o["display"].as_str().unwrap_or_default().to_string()
            }
            _ => {
                errors
                    .push(FieldError::new(key, "must be a string, number, boolean, list of strings or null"));
                continue;
            }
        };
        cells.insert(column, cell);
    }
    if errors.is_empty() { Ok(cells) } else { Err(ApiError::invalid(errors)) }
}

/// Create one provider (same fields and rules as a CSV row).
#[utoipa::path(
    post, path = "/v1/admin/providers", tag = "admin",
    operation_id = "adminCreateProvider",
    security(("bearer" = [])),
    request_body(content = Object, description = "Provider fields named as the CSV columns", content_type = "application/json"),
    responses(
        (status = 201, description = "Created", body = AdminProviderDto),
        (status = 400, description = "Invalid fields", body = Problem, content_type = PROBLEM_JSON),
        (status = 401, description = "No valid token", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "Not an admin token", body = Problem, content_type = PROBLEM_JSON),
        (status = 408, description = "The body did not arrive in time; the connection is closed", body = Problem, content_type = PROBLEM_JSON),
    )
)]
pub async fn create(
    req: HttpRequest,
    Admin(who): Admin,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let cells = object_to_cells(&read_json(&req, &body)?)?;
    let service = state.service.clone();
    let created = web::block(move || service.create_provider(&cells, &who.name)).await??;
    Ok(HttpResponse::Created().json(AdminProviderDto::from(created)))
}

/// One provider with every field, any status.
#[utoipa::path(
    get, path = "/v1/admin/providers/{id}", tag = "admin",
    operation_id = "adminGetProvider",
    security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses(
        (status = 200, description = "The provider", body = AdminProviderDto),
        (status = 401, description = "No valid token", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "Not an admin token", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "No such provider", body = Problem, content_type = PROBLEM_JSON),
    )
)]
pub async fn get_one(
    path: web::Path<String>,
    Admin(who): Admin,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&path, "provider")?;
    let service = state.service.clone();
    let p = web::block(move || service.provider_record(id, &who.name)).await??;
    Ok(HttpResponse::Ok().json(AdminProviderDto::from(p)))
}

/// Change some fields (JSON merge patch: a field set to null is cleared).
#[utoipa::path(
    patch, path = "/v1/admin/providers/{id}", tag = "admin",
    operation_id = "adminUpdateProvider",
    security(("bearer" = [])),
    params(("id" = i64, Path)),
    request_body(content = Object, description = "The fields to change, named as the CSV columns", content_type = "application/json"),
    responses(
        (status = 200, description = "The updated provider", body = AdminProviderDto),
        (status = 400, description = "Invalid fields", body = Problem, content_type = PROBLEM_JSON),
        (status = 401, description = "No valid token", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "Not an admin token", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "No such provider", body = Problem, content_type = PROBLEM_JSON),
        (status = 408, description = "The body did not arrive in time; the connection is closed", body = Problem, content_type = PROBLEM_JSON),
    )
)]
pub async fn patch(
    req: HttpRequest,
    path: web::Path<String>,
    Admin(who): Admin,
    body: web::Bytes,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&path, "provider")?;
    let cells = object_to_cells(&read_json(&req, &body)?)?;
    edit(id, who.name, state, ProviderEdit::Update(cells)).await
}

/// Take a provider off the public map (it is kept, and can be reactivated).
#[utoipa::path(
    post, path = "/v1/admin/providers/{id}/deactivate", tag = "admin",
    operation_id = "adminDeactivateProvider",
    security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses(
        (status = 200, description = "The provider, now inactive", body = AdminProviderDto),
        (status = 401, description = "No valid token", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "Not an admin token", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "No such provider", body = Problem, content_type = PROBLEM_JSON),
    )
)]
pub async fn deactivate(
    path: web::Path<String>,
    Admin(who): Admin,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&path, "provider")?;
    edit(id, who.name, state, ProviderEdit::Deactivate).await
}

/// Put a provider back on the public map.
#[utoipa::path(
    post, path = "/v1/admin/providers/{id}/reactivate", tag = "admin",
    operation_id = "adminReactivateProvider",
    security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses(
        (status = 200, description = "The provider, now active", body = AdminProviderDto),
        (status = 401, description = "No valid token", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "Not an admin token", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "No such provider", body = Problem, content_type = PROBLEM_JSON),
    )
)]
pub async fn reactivate(
    path: web::Path<String>,
    Admin(who): Admin,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&path, "provider")?;
    edit(id, who.name, state, ProviderEdit::Reactivate).await
}

/// Draw a new public point for a confidential provider (for example after its published point
/// was seen to be too telling); the draw is audited. The old point is gone.
#[utoipa::path(
    post, path = "/v1/admin/providers/{id}/redraw-public-point", tag = "admin",
    operation_id = "adminRedrawPublicPoint",
    security(("bearer" = [])),
    params(("id" = i64, Path)),
    responses(
        (status = 200, description = "The provider with its new public point", body = AdminProviderDto),
        (status = 401, description = "No valid token", body = Problem, content_type = PROBLEM_JSON),
        (status = 403, description = "Not an admin token", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "No such provider", body = Problem, content_type = PROBLEM_JSON),
        (status = 409, description = "Not confidential, or its public point is the admin's", body = Problem, content_type = PROBLEM_JSON),
    )
)]
pub async fn redraw_public_point(
    path: web::Path<String>,
    Admin(who): Admin,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&path, "provider")?;
    let service = state.service.clone();
    let updated = web::block(move || service.redraw_public_point(id, &who.name)).await??;
    Ok(HttpResponse::Ok().json(AdminProviderDto::from(updated)))
}

/// Applies `change` to provider `id` through the service (one transaction under its write lock).
async fn edit(
    id: i64,
    actor: String,
    state: web::Data<AppState>,
    change: ProviderEdit,
) -> Result<HttpResponse, ApiError> {
    let service = state.service.clone();
    let updated = web::block(move || service.edit_provider(id, &actor, change)).await??;
    Ok(HttpResponse::Ok().json(AdminProviderDto::from(updated)))
}
