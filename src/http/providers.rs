//! Public provider routes. Each handler builds one typed request, runs it on one snapshot and
//! encodes the hits once, straight from borrowed DTOs to bytes.

use super::AppState;
use super::auth::{Viewer, audit_reveals};
use super::body::require_json;
use super::cursor::{Cursor, CursorError};
use super::dto::{FeatureCollection, Fields, NearestAnswer, ProviderDto, ProviderPage};
use super::params::{Page, Params, Request, Route, SearchBody, now, parse_id};
use super::places::PlaceDto;
use super::problem::{ApiError, PROBLEM_JSON, Problem};
use crate::emergency::Emergency;
use crate::hours::UnixTime;
use crate::index::Snapshot;
use crate::model::ProviderId;
use crate::query::{Hit, Search};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use std::sync::Arc;

/// JSON or GeoJSON for routes whose only query parameter is `format`.
fn format_only(req: &HttpRequest) -> Result<bool, ApiError> {
    let mut p = Params::parse(req.query_string(), &["format"]);
    let geojson = p.geojson(req);
    p.finish()?;
    Ok(geojson)
}

/// Serialises an answer once, straight to bytes. A failure is ours: a logged 500, never a 200.
pub(super) fn encode(answer: &impl Serialize) -> Result<Vec<u8>, ApiError> {
    serde_json::to_vec(answer).map_err(|e| ApiError::Internal(format!("an answer did not serialise: {e}")))
}

/// A serialised location answer (never cached: `no_store` in the route table covers every
/// provider route).
pub(super) fn location_bytes(body: Vec<u8>, geojson: bool) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(if geojson { "application/geo+json" } else { "application/json" })
        .body(body)
}

/// How to shape a list answer: for whom, JSON or GeoJSON, the emergency numbers of the
/// query point, if any, and the instant opening hours are evaluated at.
pub(super) struct Shape<'v> {
    pub viewer: &'v Viewer,
    pub geojson: bool,
    pub emergency: Option<Arc<Emergency>>,
    pub at: UnixTime,
    /// The place the search was located by (near=, place_id=), if any.
    pub place: Option<&'v PlaceDto>,
    /// The members of each provider to write (`fields=`).
    pub fields: Fields,
}

/// The hits of one page: those after the cursor's offset, at most `page.limit`, and the
/// cursor of the next page. `scope` is what the cursor is bound to (see `cursor::scope`).
fn page_of<'h>(
    state: &AppState,
    snap: &Snapshot,
    hits: &'h [Hit],
    page: &Page,
    scope: &[u8],
) -> Result<(&'h [Hit], Option<String>), ApiError> {
    let offset = match page.cursor.as_deref() {
        None => 0,
        Some(raw) => match state.cursor_key.decode(raw, scope, snap.version) {
            Ok(Cursor { offset, .. }) => usize::try_from(offset).unwrap_or(usize::MAX),
            Err(e @ (CursorError::Invalid | CursorError::Stale)) => {
                return Err(ApiError::field("cursor", e.to_string()));
            }
        },
    };
    let end = offset.saturating_add(page.limit).min(hits.len());
    let next = (end < hits.len()).then(|| {
        state.cursor_key.encode(Cursor { snapshot: snap.version, offset: end as u64, at: page.at }, scope)
    });
    Ok((hits.get(offset..end).unwrap_or(&[]), next))
}

/// One page of `hits` as a list answer.
pub(super) fn paginate(
    state: &AppState,
    snap: &Snapshot,
    hits: &[Hit],
    page: &Page,
    scope: &[u8],
    shape: Shape<'_>,
) -> Result<HttpResponse, ApiError> {
    let (shown, next) = page_of(state, snap, hits, page, scope)?;
    list_answer(state, snap, shown, next, hits.len(), shape, false)
}

/// A list answer: JSON `{items, next_cursor, total, emergency?}` (`unpaged`: GET nearest's
/// `{items, total, emergency}`) or a GeoJSON FeatureCollection, encoded once.
fn list_answer(
    state: &AppState,
    snap: &Snapshot,
    hits: &[Hit],
    next_cursor: Option<String>,
    total: usize,
    shape: Shape<'_>,
    unpaged: bool,
) -> Result<HttpResponse, ApiError> {
    let Shape { viewer, geojson, emergency, at, place, fields } = shape;
    let items = ProviderDto::from_hits(snap, hits, viewer.role(), at, fields);
    audit_reveals(state, viewer, &items);
    let body = match (geojson, unpaged, emergency.as_deref()) {
        (true, _, emergency) => FeatureCollection::new(&items, next_cursor.as_deref(), total, emergency)
            .with_place(place)
            .encode(),
        (false, true, Some(emergency)) => NearestAnswer { items, total, emergency, place }.encode(),
        (false, _, emergency) => ProviderPage { items, next_cursor, total, emergency, place }.encode(),
    }
    .map_err(|e| ApiError::Internal(format!("an answer did not serialise: {e}")))?;
    Ok(location_bytes(body, geojson))
}

/// The answer to a search whose `hits` were found on `snap`: near in one piece, the others a
/// page. `route` is the GET route the request came from, `None` for POST search.
fn respond(
    state: &AppState,
    viewer: &Viewer,
    snap: &Snapshot,
    request: &Request,
    hits: Vec<Hit>,
    route: Option<Route>,
    geojson: bool,
) -> Result<HttpResponse, ApiError> {
    let emergency = request.search.origin().map(|o| state.emergency.at(o));
    // The open filter's instant, so the hours shown agree with the filter; else now.
    let at = request.filters.open_at.unwrap_or_else(now);
    let shape =
        Shape { viewer, geojson, emergency, at, place: request.place.as_ref(), fields: request.fields };
    match request.search {
        Search::Near(_) => {
            list_answer(state, snap, &hits, None, hits.len(), shape, route == Some(Route::Nearest))
        }
        _ => {
            let scope = request.scope(route.map_or("search", Route::name));
            paginate(state, snap, &hits, &request.page, &scope, shape)
        }
    }
}

/// Answers a GET search route.
fn get_search(
    req: &HttpRequest,
    viewer: &Viewer,
    state: &AppState,
    route: Route,
) -> Result<HttpResponse, ApiError> {
    let (request, geojson) = Request::from_query(route, req)?;
    let snap = state.index.load();
    let hits = request.search.run(&snap, &request.filters);
    respond(state, viewer, &snap, &request, hits, Some(route), geojson)
}

/// The k nearest active providers to a point.
#[utoipa::path(
    get, path = "/v1/providers/nearest", tag = "providers",
    operation_id = "listNearestProviders",
    security((), ("bearer" = [])),
    params(
        ("lat" = Option<f64>, Query, description = "Latitude, WGS84 degrees (-90..90); with lon, or give near or place_id instead"),
        ("lon" = Option<f64>, Query, description = "Longitude, WGS84 degrees (-180..180)"),
        ("near" = Option<String>, Query, description = "Instead of lat/lon: a town, district or PIN code (\"Lucknow\", \"226001\"; \"Aurangabad, Bihar\" narrows by country code, state or district). An ambiguous name is a 400 with `candidates`"),
        ("place_id" = Option<String>, Query, description = "Instead of lat/lon: a place id from /v1/places or from `candidates`"),
        ("k" = Option<u32>, Query, description = "How many providers (1..100, default 10)"),
        ("max_distance_km" = Option<f64>, Query, description = "Only providers at most this far (km)"),
        ("category" = Option<String>, Query, description = "Comma-separated category slugs (any of; at most 11, none empty)"),
        ("language" = Option<String>, Query, description = "Comma-separated ISO 639 codes (any of; at most 20, none empty)"),
        ("open_24_7" = Option<bool>, Query, description = "Only providers open around the clock"),
        ("open_now" = Option<bool>, Query, description = "true: only providers open now by their hours, in their own time zone (not with open_at; the pages of a list are all evaluated at the first page's instant)"),
        ("open_at" = Option<String>, Query, format = DateTime, description = "Only providers open at this RFC 3339 date-time with an offset, to the minute, in their own time zone (not with open_now); open_now and next_change are evaluated at it too"),
        ("format" = Option<String>, Query, description = "json (default) or geojson"),
        ("fields" = Option<String>, Query, description = "Comma-separated members of each provider to write (id, name, lat, lon, distance_m, phone, ...: any member of the provider answer; id is always written, repeats are fine); the others are left out. In GeoJSON the geometry is always there and the properties are restricted. Only narrows what the caller may see: a confidential provider's withheld members stay null. Unknown names are a 400. All members when left out"),
    ),
    responses(
        (status = 200, description = "Nearest first, each with distance_m, plus `emergency` for the query point and `place` when located by one", body = NearestAnswer),
        (status = 400, description = "Invalid input; an ambiguous or unknown place names `near`, with `candidates`", body = Problem, content_type = PROBLEM_JSON),
    )
)]
pub async fn nearest(
    req: HttpRequest,
    viewer: Viewer,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    get_search(&req, &viewer, &state, Route::Nearest)
}

/// Every active provider within a radius, nearest first, paged.
#[utoipa::path(
    get, path = "/v1/providers/within", tag = "providers",
    operation_id = "listProvidersWithin",
    security((), ("bearer" = [])),
    params(
        ("lat" = Option<f64>, Query, description = "Latitude, WGS84 degrees (-90..90); with lon, or give near or place_id instead"),
        ("lon" = Option<f64>, Query, description = "Longitude, WGS84 degrees (-180..180)"),
        ("near" = Option<String>, Query, description = "Instead of lat/lon: a town, district or PIN code (\"Lucknow\", \"226001\"; \"Aurangabad, Bihar\" narrows by country code, state or district). An ambiguous name is a 400 with `candidates`"),
        ("place_id" = Option<String>, Query, description = "Instead of lat/lon: a place id from /v1/places or from `candidates`"),
        ("radius_km" = f64, Query, description = "Radius in km (greater than 0, at most 500)"),
        ("limit" = Option<u32>, Query, description = "Page size (1..500, default 50)"),
        ("cursor" = Option<String>, Query, description = "next_cursor of the previous page"),
        ("category" = Option<String>, Query, description = "Comma-separated category slugs (any of; at most 11, none empty)"),
        ("language" = Option<String>, Query, description = "Comma-separated ISO 639 codes (any of; at most 20, none empty)"),
        ("open_24_7" = Option<bool>, Query, description = "Only providers open around the clock"),
        ("open_now" = Option<bool>, Query, description = "true: only providers open now by their hours, in their own time zone (not with open_at; the pages of a list are all evaluated at the first page's instant)"),
        ("open_at" = Option<String>, Query, format = DateTime, description = "Only providers open at this RFC 3339 date-time with an offset, to the minute, in their own time zone (not with open_now); open_now and next_change are evaluated at it too"),
        ("format" = Option<String>, Query, description = "json (default) or geojson"),
        ("fields" = Option<String>, Query, description = "Comma-separated members of each provider to write (id, name, lat, lon, distance_m, phone, ...: any member of the provider answer; id is always written, repeats are fine); the others are left out. In GeoJSON the geometry is always there and the properties are restricted. Only narrows what the caller may see: a confidential provider's withheld members stay null. Unknown names are a 400. All members when left out"),
    ),
    responses(
        (status = 200, description = "A page, nearest first, with `emergency` for the query point and `place` when located by one", body = ProviderPage),
        (status = 400, description = "Invalid input; an ambiguous or unknown place names `near`, with `candidates`", body = Problem, content_type = PROBLEM_JSON),
    )
)]
pub async fn within(
    req: HttpRequest,
    viewer: Viewer,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    get_search(&req, &viewer, &state, Route::Within)
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
        ("open_now" = Option<bool>, Query, description = "true: only providers open now by their hours, in their own time zone (not with open_at; the pages of a list are all evaluated at the first page's instant)"),
        ("open_at" = Option<String>, Query, format = DateTime, description = "Only providers open at this RFC 3339 date-time with an offset, to the minute, in their own time zone (not with open_now); open_now and next_change are evaluated at it too"),
        ("format" = Option<String>, Query, description = "json (default) or geojson"),
        ("fields" = Option<String>, Query, description = "Comma-separated members of each provider to write (id, name, lat, lon, distance_m, phone, ...: any member of the provider answer; id is always written, repeats are fine); the others are left out. In GeoJSON the geometry is always there and the properties are restricted. Only narrows what the caller may see: a confidential provider's withheld members stay null. Unknown names are a 400. All members when left out"),
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
    get_search(&req, &viewer, &state, Route::Bbox)
}

/// One active provider.
#[utoipa::path(
    get, path = "/v1/providers/{id}", tag = "providers",
    operation_id = "getProvider",
    security((), ("bearer" = [])),
    params(
        ("id" = i64, Path, description = "Provider id"),
        ("open_at" = Option<String>, Query, format = DateTime, description = "Evaluate open_now and next_change at this RFC 3339 date-time with an offset instead of now"),
        ("format" = Option<String>, Query, description = "json (default) or geojson"),
        ("fields" = Option<String>, Query, description = "Comma-separated members of each provider to write (id, name, lat, lon, distance_m, phone, ...: any member of the provider answer; id is always written, repeats are fine); the others are left out. In GeoJSON the geometry is always there and the properties are restricted. Only narrows what the caller may see: a confidential provider's withheld members stay null. Unknown names are a 400. All members when left out"),
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
    let mut p = Params::parse(req.query_string(), &["format", "open_at", "fields"]);
    let geojson = p.geojson(&req);
    let at = p.given_instant("open_at");
    let fields = p.fields();
    p.finish()?;
    let at = at.unwrap_or_else(now);
    let snap = state.index.load();
    let id = parse_id(&path, "provider")?;
    let slot = snap
        .slot_of(ProviderId(id))
        .ok_or_else(|| ApiError::NotFound(format!("no active provider has id {id}")))?;
    let dto = ProviderDto::view(&snap, slot, None, viewer.role(), at, fields);
    audit_reveals(&state, &viewer, std::slice::from_ref(&dto));
    let body = if geojson { encode(&dto.to_feature())? } else { encode(&dto)? };
    Ok(location_bytes(body, geojson))
}

/// Providers per chunk of the NDJSON stream (about 1 MB).
const NDJSON_CHUNK: u32 = 1_000;

/// Every active provider as the public sees it, one GeoJSON Feature per line (NDJSON), for
/// mirrors and bulk consumers.
///
/// One snapshot from the first line to the last, streamed a thousand providers at a time, so
/// the answer's size costs the server no memory. The view is the public one whatever token
/// is sent: a confidential provider is at its public point, without address, locality, postal
/// code or intake phone.
#[utoipa::path(
    get, path = "/v1/providers.ndjson", tag = "providers",
    operation_id = "streamProviders",
    security((), ("bearer" = [])),
    params(
        ("fields" = Option<String>, Query, description = "Comma-separated members of each provider to write (see getProvider); the geometry is always there. All members when left out"),
    ),
    responses(
        (status = 200, description = "One GeoJSON Feature per line (the properties of a provider answer), by id", body = String, content_type = "application/x-ndjson"),
        (status = 400, description = "An unknown parameter or member name", body = Problem, content_type = PROBLEM_JSON),
    )
)]
pub async fn ndjson(
    req: HttpRequest,
    _viewer: Viewer,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let mut p = Params::parse(req.query_string(), &["fields"]);
    let fields = p.fields();
    p.finish()?;
    let snap = state.index.load();
    let at = now();
    let chunks = futures_util::stream::unfold(0u32, move |from| {
        let snap = snap.clone();
        async move {
            let to = from.saturating_add(NDJSON_CHUNK).min(snap.len() as u32);
            if from >= to {
                return None;
            }
            let mut buf = Vec::with_capacity(NDJSON_CHUNK as usize * 1_200);
            for slot in from..to {
                let dto = ProviderDto::view(&snap, slot, None, None, at, fields);
                if let Err(e) = serde_json::to_writer(&mut buf, &dto.to_feature()) {
                    return Some((
                        Err(ApiError::Internal(format!("a feature did not serialise: {e}"))),
                        u32::MAX,
                    ));
                }
                buf.push(b'\n');
            }
            Some((Ok(web::Bytes::from(buf)), to))
        }
    });
    Ok(HttpResponse::Ok().content_type("application/x-ndjson").streaming::<_, ApiError>(chunks))
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
    // Reading the body, validating a polygon and testing points against it take time that
    // grows with the body (up to 10,000 vertices): all of it runs off the async workers.
    let s = snap.clone();
    let (request, hits) = web::block(move || {
        let request = Request::from_body(&body)?;
        let hits = request.search.run(&s, &request.filters);
        Ok::<_, ApiError>((request, hits))
    })
    .await??;
    respond(&state, &viewer, &snap, &request, hits, None, geojson)
}
