//! Admin single-record routes: create, read (any status, every field), patch, deactivate and
//! reactivate. Input is validated by the same code as a CSV row.

use super::AppState;
use super::admin::Admin;
use super::body::read_json;
use super::params::parse_id;
use super::problem::{ApiError, FieldError, PROBLEM_JSON, Problem};
use crate::model::fields::format_date;
use crate::model::{Column, LocationPrecision, Provider, ProviderData};
use crate::service::ProviderEdit;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use time::format_description::well_known::Rfc3339;
use utoipa::openapi::schema::{
    ArrayBuilder, KnownFormat, ObjectBuilder, OneOfBuilder, Schema, SchemaFormat, SchemaType, Type,
};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};

/// A provider as an admin sees it: every field, including a confidential provider's exact place.
/// Its members are the import columns (`Column::ALL`, named and typed as an admin edit takes
/// them), after the id and before what only the server sets; so a column added to the schema
/// appears here, in the spec and in edits by the compiler's exhaustive matches, not by a copy.
pub struct AdminProviderDto(Provider);

impl From<Provider> for AdminProviderDto {
    fn from(p: Provider) -> Self {
        AdminProviderDto(p)
    }
}

impl Serialize for AdminProviderDto {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let p = &self.0;
        let mut m = s.serialize_map(Some(Column::ALL.len() + 5))?;
        m.serialize_entry("id", &p.id.0)?;
        for column in Column::ALL {
            m.serialize_key(column.name())?;
            column_value(&mut m, &p.data, column)?;
        }
        m.serialize_entry("drawn_lat", &p.drawn_public.map(|q| q.lat))?;
        m.serialize_entry("drawn_lon", &p.drawn_public.map(|q| q.lon))?;
        m.serialize_entry("created_at", &p.created_at.format(&Rfc3339).unwrap_or_default())?;
        m.serialize_entry("updated_at", &p.updated_at.format(&Rfc3339).unwrap_or_default())?;
        m.end()
    }
}

/// One column's value as JSON: numbers, booleans, lists and phones keep their types. The
/// confidential fields are revealed: only an admin gets this view, and reading it is audited.
fn column_value<M: SerializeMap>(m: &mut M, d: &ProviderData, column: Column) -> Result<(), M::Error> {
    match column {
        Column::ExternalId => m.serialize_value(&d.external_id),
        Column::Name => m.serialize_value(&d.name),
        Column::Organization => m.serialize_value(&d.organization),
        Column::Description => m.serialize_value(&d.description),
        Column::Categories => m.serialize_value(&d.categories),
        Column::Lat => m.serialize_value(&d.location.reveal().lat),
        Column::Lon => m.serialize_value(&d.location.reveal().lon),
        Column::LocationPrecision => m.serialize_value(d.location_precision.as_str()),
        Column::PublicLat => m.serialize_value(&d.public_location.map(|q| q.lat)),
        Column::PublicLon => m.serialize_value(&d.public_location.map(|q| q.lon)),
        Column::Confidential => m.serialize_value(&d.confidential),
        Column::Address => m.serialize_value(d.address.reveal()),
        Column::Locality => m.serialize_value(&d.locality),
        Column::District => m.serialize_value(&d.district),
        Column::State => m.serialize_value(&d.state),
        Column::PostalCode => m.serialize_value(d.postal_code.reveal()),
        Column::Country => m.serialize_value(&d.country),
        Column::Phone => m.serialize_value(&d.phone),
        Column::Hotline => m.serialize_value(&d.hotline),
        Column::Sms => m.serialize_value(&d.sms),
        Column::IntakePhone => m.serialize_value(d.intake_phone.reveal()),
        Column::Email => m.serialize_value(&d.email),
        Column::Website => m.serialize_value(&d.website),
        Column::Languages => m.serialize_value(&d.languages),
        Column::Hours => m.serialize_value(&d.hours),
        Column::Open247 => m.serialize_value(&d.open_24_7),
        Column::Eligibility => m.serialize_value(&d.eligibility),
        Column::Cost => m.serialize_value(&d.cost),
        Column::Wheelchair => m.serialize_value(&d.wheelchair),
        Column::VerifiedOn => m.serialize_value(&d.verified_on.map(format_date)),
        Column::Status => m.serialize_value(&d.status),
    }
}

impl PartialSchema for AdminProviderDto {
    fn schema() -> RefOr<Schema> {
        let number = |nullable: bool| {
            let t = if nullable {
                SchemaType::from_iter([Type::Number, Type::Null])
            } else {
                Type::Number.into()
            };
            ObjectBuilder::new().schema_type(t).format(Some(SchemaFormat::KnownFormat(KnownFormat::Double)))
        };
        let string = |nullable: bool| {
            let t = if nullable {
                SchemaType::from_iter([Type::String, Type::Null])
            } else {
                Type::String.into()
            };
            ObjectBuilder::new().schema_type(t)
        };
        let reference = |name: &str| RefOr::Ref(Ref::from_schema_name(name));
        let mut o = ObjectBuilder::new()
            .schema_type(Type::Object)
            .description(Some(
                "A provider as an admin sees it: every field, including a confidential provider's exact place.",
            ))
            .property("id", ObjectBuilder::new().schema_type(Type::Integer).format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64))))
            .required("id");
        for column in Column::ALL {
            let (schema, required): (RefOr<Schema>, bool) = match column {
                Column::ExternalId | Column::Name | Column::Country => (string(false).into(), true),
                Column::Organization
                | Column::Description
                | Column::Address
                | Column::Locality
                | Column::District
                | Column::State
                | Column::PostalCode
                | Column::Email
                | Column::Website
                | Column::Hours
                | Column::Eligibility
                | Column::Cost
                | Column::VerifiedOn => (string(true).into(), false),
                Column::Categories => (ArrayBuilder::new().items(reference("Category")).into(), true),
                Column::Languages => (ArrayBuilder::new().items(string(false)).into(), true),
                Column::Lat => {
                    (number(false).description(Some("Exact location, WGS84 degrees.")).into(), true)
                }
                Column::Lon => (number(false).into(), true),
                Column::LocationPrecision => (
                    string(false)
                        .enum_values(Some(LocationPrecision::ALL.map(LocationPrecision::as_str)))
                        .description(Some(
                            "exact: lat/lon mark the door; approximate: an import placed the provider at a \
                             gazetteer centroid (PIN code, district headquarters) because its row had no \
                             coordinates. Default exact.",
                        ))
                        .into(),
                    true,
                ),
                Column::PublicLat => (
                    number(true)
                        .description(Some(
                            "The public point an admin chose for a confidential provider, if any.",
                        ))
                        .into(),
                    false,
                ),
                Column::PublicLon => (number(true).into(), false),
                Column::Confidential | Column::Open247 => {
                    (ObjectBuilder::new().schema_type(Type::Boolean).into(), true)
                }
                Column::Phone | Column::Hotline | Column::Sms | Column::IntakePhone => (
                    OneOfBuilder::new()
                        .item(reference("Phone"))
                        .item(ObjectBuilder::new().schema_type(Type::Null))
                        .into(),
                    false,
                ),
                Column::Wheelchair => (reference("Wheelchair"), true),
                Column::Status => (reference("Status"), true),
            };
            o = o.property(column.name(), schema);
            if required {
                o = o.required(column.name());
            }
        }
        o.property(
            "drawn_lat",
            number(true).description(Some(
                "The public point the server drew and stored (set by the server; a confidential provider\n\
                 without an admin point is shown here). Kept while the provider is not confidential.",
            )),
        )
        .property("drawn_lon", number(true))
        .property("created_at", string(false))
        .required("created_at")
        .property("updated_at", string(false))
        .required("updated_at")
        .into()
    }
}

impl ToSchema for AdminProviderDto {}

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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::ProviderId;
    use std::collections::BTreeSet;
    use time::OffsetDateTime;

    #[test]
    fn members_are_the_columns_and_match_the_schema() {
        let csv = "external_id,name,categories,lat,lon,country,confidential,address,intake_phone,phone\n\
                   a-1,A,shelter;legal_aid,26.85,80.95,IN,true,12 Hidden Lane,0522 230 5551,181\n";
        let parsed = crate::ingest::parse_csv(csv.as_bytes());
        assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
        let data = parsed.rows.into_iter().next().unwrap().data;
        let now = OffsetDateTime::UNIX_EPOCH;
        let p = Provider { id: ProviderId(7), data, drawn_public: None, created_at: now, updated_at: now };
        let json = serde_json::to_value(AdminProviderDto::from(p)).unwrap();
        let obj = json.as_object().unwrap();

        let mut expected: BTreeSet<&str> = Column::ALL.map(Column::name).into();
        expected.extend(["id", "drawn_lat", "drawn_lon", "created_at", "updated_at"]);
        assert_eq!(obj.keys().map(String::as_str).collect::<BTreeSet<_>>(), expected);
        // Typed as an admin edit takes them, confidential fields revealed.
        assert_eq!(obj["lat"], serde_json::json!(26.85));
        assert_eq!(obj["categories"], serde_json::json!(["shelter", "legal_aid"]));
        assert_eq!(obj["address"], "12 Hidden Lane");
        assert_eq!(obj["intake_phone"]["display"], "0522 230 5551");
        assert_eq!(obj["confidential"], true);

        let schema = serde_json::to_value(AdminProviderDto::schema()).unwrap();
        let props: BTreeSet<&str> =
            schema["properties"].as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(props, expected);
        for required in schema["required"].as_array().unwrap() {
            assert!(!obj[required.as_str().unwrap()].is_null(), "{required} is required but null");
        }
    }
}
