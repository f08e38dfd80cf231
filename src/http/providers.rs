//! Public provider routes. Each handler takes one snapshot, parses input, calls one query and
//! maps the hits to DTOs.

use super::AppState;
use super::auth::{Viewer, audit_reveals};
use super::body::{Bounded, parse_unique, require_json, typed};
use super::cursor::{Cursor, CursorError};
use super::dto::{NearestAnswer, ProviderDto, ProviderPage, feature_collection};
use super::params::{
    MAX_CATEGORIES, MAX_LANGUAGES, Params, bbox_from_numbers, category_filter, language_filter, parse_id,
};
use super::problem::{ApiError, FieldError, PROBLEM_JSON, Problem};
use crate::emergency::{Emergency, EmergencyDirectory};
use crate::index::Snapshot;
use crate::model::{LonLat, ProviderId, check_lat, check_lon};
use crate::query::{self, Area, Filters, Hit};
use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use serde_json::Value;
use utoipa::ToSchema;

/// Most providers a nearest query returns.
pub const MAX_K: u64 = 100;
/// Largest radius accepted, in km.
pub const MAX_RADIUS_KM: f64 = 500.0;
/// Largest max_distance_km accepted for nearest (half the Earth's circumference).
pub const MAX_DISTANCE_KM: f64 = 20_016.0;
pub const DEFAULT_LIMIT: u64 = 50;
pub const MAX_LIMIT: u64 = 500;

/// Query parameters every location list accepts besides its own.
const FILTER_PARAMS: [&str; 4] = ["category", "language", "open_24_7", "format"];

pub(super) fn allowed(own: &[&'static str]) -> Vec<&'static str> {
    own.iter().copied().chain(FILTER_PARAMS).collect()
}

/// JSON or GeoJSON for routes whose only query parameter is `format`.
fn format_only(req: &HttpRequest) -> Result<bool, ApiError> {
    let mut p = Params::parse(req.query_string(), &["format"])?;
    let geojson = wants_geojson(req, &mut p);
    p.finish()?;
    Ok(geojson)
}

/// JSON or GeoJSON, from `format=` or the Accept header.
pub(super) fn wants_geojson(req: &HttpRequest, params: &mut Params) -> bool {
    match params.str("format") {
        Some("geojson") => true,
        Some("json") => false,
        Some(other) => {
            params
                .errors
                .push(FieldError::new("format", format!("'{other}' is not a format; use json or geojson")));
            false
        }
        None => accepts_geojson(req),
    }
}

fn accepts_geojson(req: &HttpRequest) -> bool {
    req.headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/geo+json"))
}

/// A location answer (never cached: `no_store` in the route table covers every provider route).
fn location_response(body: Value, geojson: bool) -> HttpResponse {
    location_bytes(serde_json::to_vec(&body).unwrap_or_default(), geojson)
}

/// A serialised location answer.
pub(super) fn location_bytes(body: Vec<u8>, geojson: bool) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(if geojson { "application/geo+json" } else { "application/json" })
        .body(body)
}

/// How to shape a page: for whom, JSON or GeoJSON, and the emergency numbers of the query
/// point, if any.
pub(super) struct Shape<'v> {
    pub viewer: &'v Viewer,
    pub geojson: bool,
    pub emergency: Option<Emergency>,
}

/// Slices `hits` at the cursor's offset and makes the next cursor.
pub(super) async fn paginate(
    state: &AppState,
    snap: &Snapshot,
    hits: Vec<Hit>,
    limit: u64,
    cursor: Option<&str>,
    query_key: &str,
    shape: Shape<'_>,
) -> Result<HttpResponse, ApiError> {
    let Shape { viewer, geojson, emergency } = shape;
    let offset = match cursor {
        None => 0,
        Some(raw) => match state.cursor_key.decode(raw, query_key, snap.version) {
            Ok(Cursor { offset, .. }) => offset as usize,
            Err(e @ (CursorError::Invalid | CursorError::Stale)) => {
                return Err(ApiError::field("cursor", e.to_string()));
            }
        },
    };
    let total = hits.len();
    let end = offset.saturating_add(limit as usize).min(total);
    let page = if offset < total { &hits[offset..end] } else { &[][..] };
    let next = (end < total)
        .then(|| state.cursor_key.encode(Cursor { snapshot: snap.version, offset: end as u64 }, query_key));
    let items = ProviderDto::from_hits(snap, page, viewer.role());
    audit_reveals(state, viewer, &items);
    let body = if geojson {
        feature_collection(&items, next.as_deref(), total, emergency.as_ref())
    } else {
        serde_json::to_value(ProviderPage { items, next_cursor: next, total, emergency })
            .unwrap_or(Value::Null)
    };
    Ok(location_response(body, geojson))
}

/// The request's parameters other than cursor and format, sorted: what a cursor is bound to.
pub(super) fn query_key(route: &str, req: &HttpRequest) -> String {
    let mut pairs: Vec<(String, String)> = serde_urlencoded::from_str(req.query_string()).unwrap_or_default();
    pairs.retain(|(k, _)| k != "cursor" && k != "format");
    pairs.sort();
    format!("{route}?{}", serde_urlencoded::to_string(pairs).unwrap_or_default())
}

/// The k nearest active providers to a point.
#[utoipa::path(
    get, path = "/v1/providers/nearest", tag = "providers",
    operation_id = "listNearestProviders",
    security((), ("bearer" = [])),
    params(
        ("lat" = f64, Query, description = "Latitude, WGS84 degrees (-90..90)"),
        ("lon" = f64, Query, description = "Longitude, WGS84 degrees (-180..180)"),
        ("k" = Option<u32>, Query, description = "How many providers (1..100, default 10)"),
        ("max_distance_km" = Option<f64>, Query, description = "Only providers at most this far (km)"),
        ("category" = Option<String>, Query, description = "Comma-separated category slugs (any of; at most 11, none empty)"),
        ("language" = Option<String>, Query, description = "Comma-separated ISO 639 codes (any of; at most 20, none empty)"),
        ("open_24_7" = Option<bool>, Query, description = "Only providers open around the clock"),
        ("format" = Option<String>, Query, description = "json (default) or geojson"),
    ),
    responses(
        (status = 200, description = "Nearest first, each with distance_m, plus `emergency` for the query point", body = NearestAnswer),
        (status = 400, description = "Invalid input", body = Problem, content_type = PROBLEM_JSON),
    )
)]
pub async fn nearest(
    req: HttpRequest,
    viewer: Viewer,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let snap = state.index.load();
    let mut p = Params::parse(req.query_string(), &allowed(&["lat", "lon", "k", "max_distance_km"]))?;
    let origin = p.point();
    let k = p.int_in("k", 1, MAX_K, 10);
    let max_km = p.positive_up_to("max_distance_km", MAX_DISTANCE_KM, "km");
    let filters = p.filters();
    let geojson = wants_geojson(&req, &mut p);
    p.finish()?;
    let origin = origin.expect("checked by finish");
    let hits = query::nearest(&snap, origin, k as usize, max_km.map(|km| km * 1000.0), &filters);
    let emergency = state.emergency.at(origin);
    let items = ProviderDto::from_hits(&snap, &hits, viewer.role());
    audit_reveals(&state, &viewer, &items);
    let total = items.len();
    let body = if geojson {
        feature_collection(&items, None, total, Some(&emergency))
    } else {
        serde_json::to_value(NearestAnswer { items, total, emergency }).unwrap_or(Value::Null)
    };
    Ok(location_response(body, geojson))
}

/// Every active provider within a radius, nearest first, paged.
#[utoipa::path(
    get, path = "/v1/providers/within", tag = "providers",
    operation_id = "listProvidersWithin",
    security((), ("bearer" = [])),
    params(
        ("lat" = f64, Query, description = "Latitude, WGS84 degrees"),
        ("lon" = f64, Query, description = "Longitude, WGS84 degrees"),
        ("radius_km" = f64, Query, description = "Radius in km (greater than 0, at most 500)"),
        ("limit" = Option<u32>, Query, description = "Page size (1..500, default 50)"),
        ("cursor" = Option<String>, Query, description = "next_cursor of the previous page"),
        ("category" = Option<String>, Query, description = "Comma-separated category slugs (any of; at most 11, none empty)"),
        ("language" = Option<String>, Query, description = "Comma-separated ISO 639 codes (any of; at most 20, none empty)"),
        ("open_24_7" = Option<bool>, Query, description = "Only providers open around the clock"),
        ("format" = Option<String>, Query, description = "json (default) or geojson"),
    ),
    responses(
        (status = 200, description = "A page, nearest first, with `emergency` for the query point", body = ProviderPage),
        (status = 400, description = "Invalid input", body = Problem, content_type = PROBLEM_JSON),
    )
)]
pub async fn within(
    req: HttpRequest,
    viewer: Viewer,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let snap = state.index.load();
    let mut p = Params::parse(req.query_string(), &allowed(&["lat", "lon", "radius_km", "limit", "cursor"]))?;
    let origin = p.point();
    let radius = if p.str("radius_km").is_none() {
        p.errors.push(FieldError::new("radius_km", "is required"));
        None
    } else {
        p.positive_up_to("radius_km", MAX_RADIUS_KM, "km")
    };
    let limit = p.int_in("limit", 1, MAX_LIMIT, DEFAULT_LIMIT);
    let filters = p.filters();
    let geojson = wants_geojson(&req, &mut p);
    let cursor = p.str("cursor").map(str::to_string);
    p.finish()?;
    let origin = origin.expect("checked");
    let hits = query::within(&snap, origin, radius.expect("checked") * 1000.0, &filters);
    let shape = Shape { viewer: &viewer, geojson, emergency: Some(state.emergency.at(origin)) };
    paginate(&state, &snap, hits, limit, cursor.as_deref(), &query_key("within", &req), shape).await
}

/// Every active provider in a viewport, by id, paged.
#[utoipa::path(
    get, path = "/v1/providers", tag = "providers",
    operation_id = "listProvidersInBbox",
    security((), ("bearer" = [])),
    params(
        ("bbox" = String, Query, description = "west,south,east,north in degrees; west > east crosses the antimeridian"),
        ("limit" = Option<u32>, Query, description = "Page size (1..500, default 50)"),
        ("cursor" = Option<String>, Query, description = "next_cursor of the previous page"),
        ("category" = Option<String>, Query, description = "Comma-separated category slugs (any of; at most 11, none empty)"),
        ("language" = Option<String>, Query, description = "Comma-separated ISO 639 codes (any of; at most 20, none empty)"),
        ("open_24_7" = Option<bool>, Query, description = "Only providers open around the clock"),
        ("format" = Option<String>, Query, description = "json (default) or geojson"),
    ),
    responses(
        (status = 200, description = "A page, by id", body = ProviderPage),
        (status = 400, description = "Invalid input", body = Problem, content_type = PROBLEM_JSON),
    )
)]
pub async fn list(
    req: HttpRequest,
    viewer: Viewer,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let snap = state.index.load();
    let mut p = Params::parse(req.query_string(), &allowed(&["bbox", "limit", "cursor"]))?;
    let bbox = p.bbox();
    let limit = p.int_in("limit", 1, MAX_LIMIT, DEFAULT_LIMIT);
    let filters = p.filters();
    let geojson = wants_geojson(&req, &mut p);
    let cursor = p.str("cursor").map(str::to_string);
    p.finish()?;
    let hits = query::in_bbox(&snap, &bbox.expect("checked"), &filters);
    let shape = Shape { viewer: &viewer, geojson, emergency: None };
    paginate(&state, &snap, hits, limit, cursor.as_deref(), &query_key("bbox", &req), shape).await
}

/// One active provider.
#[utoipa::path(
    get, path = "/v1/providers/{id}", tag = "providers",
    operation_id = "getProvider",
    security((), ("bearer" = [])),
    params(
        ("id" = i64, Path, description = "Provider id"),
        ("format" = Option<String>, Query, description = "json (default) or geojson"),
    ),
    responses(
        (status = 200, description = "The provider", body = ProviderDto),
        (status = 400, description = "The id is not a number", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "No active provider has this id", body = Problem, content_type = PROBLEM_JSON),
    )
)]
pub async fn get_one(
    req: HttpRequest,
    path: web::Path<String>,
    viewer: Viewer,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let geojson = format_only(&req)?;
    let snap = state.index.load();
    let id = parse_id(&path, "provider")?;
    let slot = snap
        .slot_of(ProviderId(id))
        .ok_or_else(|| ApiError::NotFound(format!("no active provider has id {id}")))?;
    let dto = ProviderDto::view(&snap, slot, None, viewer.role());
    audit_reveals(&state, &viewer, std::slice::from_ref(&dto));
    if geojson {
        return Ok(HttpResponse::Ok().content_type("application/geo+json").json(dto.to_feature()));
    }
    Ok(HttpResponse::Ok().json(dto))
}

/// A point in a search body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NearBody {
    pub lat: f64,
    pub lon: f64,
    /// Only providers at most this far (km).
    pub max_distance_km: Option<f64>,
}

/// A circle in a search body.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithinBody {
    pub lat: f64,
    pub lon: f64,
    /// Greater than 0, at most 500.
    pub radius_km: f64,
}

/// A search whose location stays out of URLs and logs. Exactly one of near, within, bbox, polygon.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchBody {
    pub near: Option<NearBody>,
    pub within: Option<WithinBody>,
    /// [west, south, east, north]; west > east crosses the antimeridian.
    pub bbox: Option<Vec<f64>>,
    /// GeoJSON Polygon, MultiPolygon, or Feature with one; at most 10,000 vertices.
    #[schema(value_type = Object)]
    pub polygon: Option<Value>,
    /// For near: how many (1..100, default 10).
    pub k: Option<u64>,
    /// For within, bbox, polygon: page size (1..500, default 50).
    pub limit: Option<u64>,
    pub cursor: Option<String>,
    /// Category slugs (any of); at least one, at most 11.
    #[schema(value_type = Option<Vec<String>>, min_items = 1, max_items = 11)]
    pub category: Option<Bounded<String, MAX_CATEGORIES>>,
    /// ISO 639 codes (any of); at least one, at most 20.
    #[schema(value_type = Option<Vec<String>>, min_items = 1, max_items = 20)]
    pub language: Option<Bounded<String, MAX_LANGUAGES>>,
    pub open_24_7: Option<bool>,
}

/// Largest search body accepted (a 10,000-vertex polygon fits easily).
pub const SEARCH_BODY_LIMIT: usize = 1024 * 1024;

/// Search by point, circle, box or polygon, with the location in the body.
#[utoipa::path(
    post, path = "/v1/providers/search", tag = "providers",
    operation_id = "searchProviders",
    security((), ("bearer" = [])),
    params(("format" = Option<String>, Query, description = "json (default) or geojson")),
    request_body(content = SearchBody, content_type = "application/json"),
    responses(
        (status = 200, description = "Near: the k nearest, nearest first. Within: a page nearest first. Bbox and polygon: a page by id. Near and within carry `emergency` for the query point.", body = ProviderPage),
        (status = 400, description = "Invalid input", body = Problem, content_type = PROBLEM_JSON),
        (status = 408, description = "The body did not arrive in time; the connection is closed", body = Problem, content_type = PROBLEM_JSON),
        (status = 413, description = "Body too large", body = Problem, content_type = PROBLEM_JSON),
        (status = 415, description = "Not JSON", body = Problem, content_type = PROBLEM_JSON),
    )
)]
pub async fn search(
    req: HttpRequest,
    body: web::Bytes,
    viewer: Viewer,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    require_json(&req)?;
    let geojson = format_only(&req)?;
    let snap = state.index.load();
    // Parsing, polygon validation and the query take time that grows with the body (up to a
    // 10,000-vertex polygon): they run on the blocking pool, never on an async worker.
    let (s, places) = (snap.clone(), state.emergency.clone());
    let answer = web::block(move || plan_search(&body, &s, &places)).await??;
    match answer {
        SearchAnswer::Nearest { hits, emergency } => {
            let items = ProviderDto::from_hits(&snap, &hits, viewer.role());
            audit_reveals(&state, &viewer, &items);
            let total = items.len();
            let body = if geojson {
                feature_collection(&items, None, total, Some(&emergency))
            } else {
                serde_json::to_value(ProviderPage {
                    items,
                    next_cursor: None,
                    total,
                    emergency: Some(emergency),
                })
                .unwrap_or(Value::Null)
            };
            Ok(location_response(body, geojson))
        }
        SearchAnswer::Page { hits, limit, cursor, query_key, emergency } => {
            let shape = Shape { viewer: &viewer, geojson, emergency };
            paginate(&state, &snap, hits, limit, cursor.as_deref(), &query_key, shape).await
        }
    }
}

/// A search body, answered: the nearest providers, or every hit to page through.
enum SearchAnswer {
    Nearest {
        hits: Vec<Hit>,
        emergency: Emergency,
    },
    Page {
        hits: Vec<Hit>,
        limit: u64,
        cursor: Option<String>,
        query_key: String,
        emergency: Option<Emergency>,
    },
}

/// Parses and validates a search body and runs its query. CPU-bound: call it in `web::block`.
fn plan_search(body: &[u8], snap: &Snapshot, places: &EmergencyDirectory) -> Result<SearchAnswer, ApiError> {
    let raw = parse_unique(body)?;
    let b: SearchBody = typed(&raw)?;
    let mut errors: Vec<FieldError> = Vec::new();
    let filters = body_filters(&b, &mut errors);
    let kinds = [b.near.is_some(), b.within.is_some(), b.bbox.is_some(), b.polygon.is_some()];
    if kinds.iter().filter(|k| **k).count() != 1 {
        errors.push(FieldError::new("body", "give exactly one of near, within, bbox or polygon"));
        return Err(ApiError::invalid(errors));
    }
    let limit = match b.limit {
        None => DEFAULT_LIMIT,
        Some(l) if (1..=MAX_LIMIT).contains(&l) => l,
        Some(l) => {
            errors.push(FieldError::new(
                "limit",
                format!("must be a whole number from 1 to {MAX_LIMIT}, not {l}"),
            ));
            DEFAULT_LIMIT
        }
    };
    let mut cursor_query = raw.clone();
    if let Value::Object(m) = &mut cursor_query {
        m.remove("cursor");
    }
    let query_key = format!("search:{cursor_query}");
    if let Some(near) = &b.near {
        let origin = body_point(near.lat, near.lon, "near", &mut errors);
        let k = match b.k {
            None => 10,
            Some(k) if (1..=MAX_K).contains(&k) => k,
            Some(k) => {
                errors
                    .push(FieldError::new("k", format!("must be a whole number from 1 to {MAX_K}, not {k}")));
                10
            }
        };
        let max_km = near.max_distance_km.filter(|km| {
            let ok = *km > 0.0 && *km <= MAX_DISTANCE_KM;
            if !ok {
                errors.push(FieldError::new(
                    "near.max_distance_km",
                    format!("must be greater than 0 and at most {MAX_DISTANCE_KM} km"),
                ));
            }
            ok
        });
        if !errors.is_empty() {
            return Err(ApiError::invalid(errors));
        }
        let origin = origin.expect("checked");
        let hits = query::nearest(snap, origin, k as usize, max_km.map(|km| km * 1000.0), &filters);
        return Ok(SearchAnswer::Nearest { hits, emergency: places.at(origin) });
    }
    let mut emergency = None;
    let hits = if let Some(w) = &b.within {
        let origin = body_point(w.lat, w.lon, "within", &mut errors);
        if !(w.radius_km > 0.0 && w.radius_km <= MAX_RADIUS_KM) {
            errors.push(FieldError::new(
                "within.radius_km",
                format!("must be greater than 0 and at most {MAX_RADIUS_KM} km"),
            ));
        }
        if !errors.is_empty() {
            return Err(ApiError::invalid(errors));
        }
        let origin = origin.expect("checked");
        emergency = Some(places.at(origin));
        query::within(snap, origin, w.radius_km * 1000.0, &filters)
    } else if let Some(parts) = &b.bbox {
        let bbox = match <[f64; 4]>::try_from(parts.as_slice()) {
            Ok(four) => bbox_from_numbers(four).map_err(|m| errors.push(FieldError::new("bbox", m))).ok(),
            Err(_) => {
                errors.push(FieldError::new(
                    "bbox",
                    format!("needs exactly four numbers [west, south, east, north]; got {}", parts.len()),
                ));
                None
            }
        };
        if !errors.is_empty() {
            return Err(ApiError::invalid(errors));
        }
        query::in_bbox(snap, &bbox.expect("checked"), &filters)
    } else {
        let polygon = b.polygon.as_ref().expect("one kind is set");
        let area = Area::from_geojson(polygon, "polygon")
            .map_err(|e| errors.push(FieldError::new(e.field, e.message)))
            .ok();
        if !errors.is_empty() {
            return Err(ApiError::invalid(errors));
        }
        query::in_area(snap, &area.expect("checked"), &filters)
    };
    Ok(SearchAnswer::Page { hits, limit, cursor: b.cursor, query_key, emergency })
}

fn body_point(lat: f64, lon: f64, field: &str, errors: &mut Vec<FieldError>) -> Option<LonLat> {
    let lat =
        check_lat(lat).map_err(|e| errors.push(FieldError::new(format!("{field}.lat"), e.to_string()))).ok();
    let lon =
        check_lon(lon).map_err(|e| errors.push(FieldError::new(format!("{field}.lon"), e.to_string()))).ok();
    Some(LonLat { lon: lon?, lat: lat? })
}

fn body_filters(b: &SearchBody, errors: &mut Vec<FieldError>) -> Filters {
    let mut f = Filters { open_24_7: b.open_24_7, ..Filters::default() };
    if let Some(Bounded(entries)) = &b.category {
        match category_filter(entries) {
            Ok(c) => f.categories = c,
            Err(m) => errors.push(FieldError::new("category", m)),
        }
    }
    if let Some(Bounded(entries)) = &b.language {
        match language_filter(entries) {
            Ok(l) => f.languages = l,
            Err(m) => errors.push(FieldError::new("language", m)),
        }
    }
    f
}
