//! OGC API – Features under `/ogc`: Part 1 (Core, GeoJSON, OpenAPI 3.0) and Part 3 (queryables,
//! CQL2 filters), so GIS tools (QGIS, ArcGIS, GDAL) read the directory with no plugin.
//!
//! An adapter over the same snapshot and queries as `/v1`: one collection, `providers`, whose
//! features are the public provider answers (`ProviderDto` with no role, whatever token is
//! sent): a confidential provider is at its public point, without address, locality, postal
//! code or intake phone, and every bbox, filter and paging decision is made on that view.

mod cql;
pub mod doc;

use super::AppState;
use super::cursor::{Cursor, CursorError};
use super::dto::{Fields, ProviderDto};
use super::params::{Params, now};
use super::problem::{ApiError, FieldError, PROBLEM_JSON, Problem};
use crate::index::Snapshot;
use crate::query::{BoundingBox, Filters, Region, in_region};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use sha2::Digest;
use std::sync::Arc;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

pub use cql::MAX_FILTER_BYTES;

/// The one collection.
pub const COLLECTION: &str = "providers";
pub const GEOJSON: &str = "application/geo+json";
pub const JSON: &str = "application/json";
pub const OPENAPI_30: &str = "application/vnd.oai.openapi+json;version=3.0";
pub const SCHEMA_JSON: &str = "application/schema+json";
pub const CRS84: &str = "http://www.opengis.net/def/crs/OGC/1.3/CRS84";
const GREGORIAN: &str = "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian";

/// Page sizes of `/items`.
pub const DEFAULT_LIMIT: u64 = 100;
pub const MAX_LIMIT: u64 = 1000;

/// The conformance classes this server implements, and no others.
pub const CONFORMS_TO: &[&str] = &[
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
];

/// The parameters of `/items`.
const ITEMS_PARAMS: &[&str] = &[
    "f",
    "bbox",
    "limit",
    "cursor",
    "datetime",
    "filter",
    "filter-lang",
    "category",
    "language",
    "open_24_7",
    "open_at",
];

/// A link of an OGC answer.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Link {
    pub href: String,
    pub rel: String,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    pub media_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
}

fn link(href: String, rel: &str, media_type: &str, title: &str) -> Link {
    Link { href, rel: rel.into(), media_type: Some(media_type.into()), title: Some(title.into()) }
}

/// The landing page.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LandingPage {
    pub title: String,
    pub description: String,
    pub links: Vec<Link>,
}

/// The conformance declaration.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Conformance {
    #[serde(rename = "conformsTo")]
    pub conforms_to: Vec<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SpatialExtent {
    /// One box, [west, south, east, north], of the public points.
    pub bbox: Vec<[f64; 4]>,
    pub crs: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TemporalExtent {
    /// One interval of `updated_at` (RFC 3339; null ends are open).
    pub interval: Vec<[Option<String>; 2]>,
    pub trs: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Extent {
    pub spatial: SpatialExtent,
    pub temporal: TemporalExtent,
}

/// A collection's description.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Collection {
    pub id: String,
    pub title: String,
    pub description: String,
    #[serde(rename = "itemType")]
    pub item_type: String,
    pub crs: Vec<String>,
    #[serde(rename = "storageCrs")]
    pub storage_crs: String,
    pub extent: Extent,
    pub links: Vec<Link>,
}

/// The collections.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Collections {
    pub links: Vec<Link>,
    pub collections: Vec<Collection>,
}

/// `scheme://host` of the request, for absolute links.
fn base(req: &HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}", info.scheme(), info.host())
}

fn json_answer(value: &impl Serialize, media_type: &str) -> Result<HttpResponse, ApiError> {
    let body = super::providers::encode(value)?;
    Ok(HttpResponse::Ok().content_type(media_type).body(body))
}

/// `f=json` (the default) on the metadata routes; anything else is a 400 naming `f`.
fn json_only(req: &HttpRequest) -> Result<(), ApiError> {
    let p = Params::parse(req.query_string(), &["f"]);
    check_f(p, &["json"]).map(|_| ())
}

/// The `f` of a request, one of `allowed` (the first when absent), after every other check.
fn check_f(mut p: Params, allowed: &[&'static str]) -> Result<&'static str, ApiError> {
    let f = match p.str("f").map(str::trim) {
        None => Some(allowed[0]),
        Some(v) => {
            let found = allowed.iter().find(|a| **a == v).copied();
            if found.is_none() {
                let message = format!("'{v}' is not a format of this resource; use {}", allowed.join(" or "));
                p.errors.push(FieldError::new("f", message));
            }
            found
        }
    };
    p.done(f)
}

fn collection_id(id: &str) -> Result<(), ApiError> {
    if id == COLLECTION {
        Ok(())
    } else {
        Err(ApiError::NotFound(format!(
            "there is no collection '{id}'; the one collection is '{COLLECTION}'"
        )))
    }
}

/// The landing page: what this API offers and where.
#[utoipa::path(
    get, path = "/ogc", tag = "ogc", operation_id = "getLandingPage",
    params(("f" = Option<String>, Query, description = "json (the only format)")),
    responses(
        (status = 200, description = "Links to the API definition, conformance and collections", body = LandingPage),
        (status = 400, description = "An unknown parameter or format", body = Problem, content_type = PROBLEM_JSON),
    )
)]
pub async fn landing(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    json_only(&req)?;
    let b = base(&req);
    let page = LandingPage {
        title: "Bellmap – OGC API – Features".into(),
        description: "Domestic-violence service providers as OGC API – Features. Confidential \
            shelters appear only at an approximate public point, without address."
            .into(),
        links: vec![
            link(format!("{b}/ogc"), "self", JSON, "This document"),
            link(format!("{b}/ogc/api"), "service-desc", OPENAPI_30, "The API definition (OpenAPI 3.0)"),
            link(format!("{b}/docs/"), "service-doc", "text/html", "The API documentation"),
            link(format!("{b}/ogc/conformance"), "conformance", JSON, "Conformance classes implemented"),
            link(format!("{b}/ogc/collections"), "data", JSON, "The collections"),
        ],
    };
    json_answer(&page, JSON)
}

/// The OpenAPI 3.0 definition of `/ogc`.
#[utoipa::path(
    get, path = "/ogc/api", tag = "ogc", operation_id = "getApiDefinition",
    params(("f" = Option<String>, Query, description = "json (the only format)")),
    responses(
        (status = 200, description = "OpenAPI 3.0 of the /ogc routes", body = Object, content_type = "application/vnd.oai.openapi+json;version=3.0"),
        (status = 400, description = "An unknown parameter or format", body = Problem, content_type = PROBLEM_JSON),
    )
)]
pub async fn api(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    json_only(&req)?;
    // Built once: it depends on nothing but the code.
    static DOC: std::sync::OnceLock<Result<String, String>> = std::sync::OnceLock::new();
    let doc = DOC.get_or_init(|| doc::openapi_30().map_err(|e| e.to_string()));
    match doc {
        Ok(doc) => Ok(HttpResponse::Ok().content_type(OPENAPI_30).body(doc.clone())),
        Err(e) => Err(ApiError::Internal(format!("the OGC API definition: {e}"))),
    }
}

/// The conformance classes implemented.
#[utoipa::path(
    get, path = "/ogc/conformance", tag = "ogc", operation_id = "getConformanceDeclaration",
    params(("f" = Option<String>, Query, description = "json (the only format)")),
    responses(
        (status = 200, description = "The conformance classes", body = Conformance),
        (status = 400, description = "An unknown parameter or format", body = Problem, content_type = PROBLEM_JSON),
    )
)]
pub async fn conformance(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    json_only(&req)?;
    json_answer(&Conformance { conforms_to: CONFORMS_TO.iter().map(|c| c.to_string()).collect() }, JSON)
}

/// The bounding box of the public points and the interval of `updated_at` of one snapshot.
fn extent(snap: &Snapshot) -> Extent {
    let mut b = [f64::INFINITY, f64::INFINITY, f64::NEG_INFINITY, f64::NEG_INFINITY];
    for p in snap.points.iter() {
        b = [b[0].min(p.lon), b[1].min(p.lat), b[2].max(p.lon), b[3].max(p.lat)];
    }
    if snap.is_empty() {
        b = [-180.0, -90.0, 180.0, 90.0];
    }
    let mut first: Option<OffsetDateTime> = None;
    let mut last: Option<OffsetDateTime> = None;
    for r in snap.records.iter() {
        let t = r.updated_at();
        first = Some(first.map_or(t, |f| f.min(t)));
        last = Some(last.map_or(t, |l| l.max(t)));
    }
    let fmt = |t: Option<OffsetDateTime>| t.and_then(|t| t.format(&Rfc3339).ok());
    Extent {
        spatial: SpatialExtent { bbox: vec![b], crs: CRS84.into() },
        temporal: TemporalExtent { interval: vec![[fmt(first), fmt(last)]], trs: GREGORIAN.into() },
    }
}

fn describe_collection(b: &str, snap: &Snapshot) -> Collection {
    let items = format!("{b}/ogc/collections/{COLLECTION}/items");
    Collection {
        id: COLLECTION.into(),
        title: "Service providers".into(),
        description: "Active domestic-violence service providers: shelters, helplines, one-stop \
            centres, legal aid and more. A confidential provider is at its approximate public \
            point, without address, locality, postal code or intake phone."
            .into(),
        item_type: "feature".into(),
        crs: vec![CRS84.into()],
        storage_crs: CRS84.into(),
        extent: extent(snap),
        links: vec![
            link(format!("{b}/ogc/collections/{COLLECTION}"), "self", JSON, "This collection"),
            link(items, "items", GEOJSON, "The providers"),
            link(
                format!("{b}/ogc/collections/{COLLECTION}/queryables"),
                "http://www.opengis.net/def/rel/ogc/1.0/queryables",
                SCHEMA_JSON,
                "What a filter may name",
            ),
        ],
    }
}

/// The collections (one: `providers`).
#[utoipa::path(
    get, path = "/ogc/collections", tag = "ogc", operation_id = "getCollections",
    params(("f" = Option<String>, Query, description = "json (the only format)")),
    responses(
        (status = 200, description = "The collections", body = Collections),
        (status = 400, description = "An unknown parameter or format", body = Problem, content_type = PROBLEM_JSON),
    )
)]
pub async fn collections(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    json_only(&req)?;
    let b = base(&req);
    let snap = state.index.load();
    let answer = Collections {
        links: vec![link(format!("{b}/ogc/collections"), "self", JSON, "The collections")],
        collections: vec![describe_collection(&b, &snap)],
    };
    json_answer(&answer, JSON)
}

/// One collection.
#[utoipa::path(
    get, path = "/ogc/collections/{collectionId}", tag = "ogc", operation_id = "describeCollection",
    params(
        ("collectionId" = String, Path, description = "providers"),
        ("f" = Option<String>, Query, description = "json (the only format)"),
    ),
    responses(
        (status = 200, description = "The collection: extent, CRS, links", body = Collection),
        (status = 400, description = "An unknown parameter or format", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "No such collection", body = Problem, content_type = PROBLEM_JSON),
    )
)]
pub async fn collection(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    collection_id(&path)?;
    json_only(&req)?;
    let snap = state.index.load();
    json_answer(&describe_collection(&base(&req), &snap), JSON)
}

/// What a filter may name: a JSON Schema of the public properties and `geometry`.
#[utoipa::path(
    get, path = "/ogc/collections/{collectionId}/queryables", tag = "ogc", operation_id = "getQueryables",
    params(
        ("collectionId" = String, Path, description = "providers"),
        ("f" = Option<String>, Query, description = "json (the only format)"),
    ),
    responses(
        (status = 200, description = "A JSON Schema of the queryables", body = Object, content_type = "application/schema+json"),
        (status = 400, description = "An unknown parameter or format", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "No such collection", body = Problem, content_type = PROBLEM_JSON),
    )
)]
pub async fn queryables(req: HttpRequest, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    collection_id(&path)?;
    json_only(&req)?;
    let schema = serde_json::json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": format!("{}/ogc/collections/{COLLECTION}/queryables", base(&req)),
        "type": "object",
        "title": "Service providers",
        "description": "The public properties a CQL2 filter may name, and geometry (the public point).",
        "properties": cql::queryable_schemas(),
        "additionalProperties": false,
    });
    json_answer(&schema, SCHEMA_JSON)
}

/// An interval of instants (`None`: open at that end).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Interval {
    start: Option<OffsetDateTime>,
    end: Option<OffsetDateTime>,
}

impl Interval {
    fn contains(&self, t: OffsetDateTime) -> bool {
        self.start.is_none_or(|s| t >= s) && self.end.is_none_or(|e| t <= e)
    }
}

/// `datetime=`: an instant, or `start/end` with `..` (or nothing) for an open end.
fn datetime(raw: &str) -> Result<Interval, String> {
    let instant = |s: &str| {
        OffsetDateTime::parse(s.trim(), &Rfc3339)
            .map_err(|_| format!("'{}' is not an RFC 3339 date-time such as 2026-01-31T12:00:00Z", s.trim()))
    };
    let end = |s: &str| if matches!(s.trim(), "" | "..") { Ok(None) } else { instant(s).map(Some) };
    match raw.split_once('/') {
        None if raw.trim() == ".." || raw.trim().is_empty() => {
            Err("give an instant, or an interval start/end where .. leaves an end open".into())
        }
        None => instant(raw).map(|t| Interval { start: Some(t), end: Some(t) }),
        Some((a, b)) => {
            let i = Interval { start: end(a)?, end: end(b)? };
            match (i.start, i.end) {
                (None, None) => Err("an interval needs at least one end; '../..' is every time".into()),
                (Some(s), Some(e)) if s > e => Err("the interval's start is after its end".into()),
                _ => Ok(i),
            }
        }
    }
}

/// A request for items, valid in every part.
struct ItemsQuery {
    bbox: Option<BoundingBox>,
    filters: Filters,
    datetime: Option<Interval>,
    filter: Option<cql::Filter>,
    limit: usize,
    cursor: Option<String>,
    /// `geojson` or `json` (the same body, typed as asked).
    f: &'static str,
}

impl ItemsQuery {
    fn parse(query_string: &str) -> Result<ItemsQuery, ApiError> {
        let mut p = Params::parse(query_string, ITEMS_PARAMS);
        let bbox = if p.str("bbox").is_some() { p.bbox() } else { None };
        let limit = p.int_in("limit", 1, MAX_LIMIT, DEFAULT_LIMIT) as usize;
        let filters = p.filters(now());
        let datetime = match p.str("datetime").map(datetime) {
            Some(Err(m)) => {
                p.errors.push(FieldError::new("datetime", m));
                None
            }
            Some(Ok(i)) => Some(i),
            None => None,
        };
        let lang = match p.str("filter-lang").map(cql::Lang::parse) {
            None => Some(cql::Lang::Text),
            Some(Ok(l)) => Some(l),
            Some(Err(m)) => {
                p.errors.push(FieldError::new("filter-lang", m));
                None
            }
        };
        let filter = match (p.str("filter"), lang) {
            (Some(raw), Some(lang)) => match cql::Filter::parse(raw, lang) {
                Ok(f) => Some(f),
                Err(m) => {
                    p.errors.push(FieldError::new("filter", m));
                    None
                }
            },
            _ => None,
        };
        let cursor = p.str("cursor").map(str::to_string);
        let f = check_f(p, &["geojson", "json"])?;
        Ok(ItemsQuery { bbox, filters, datetime, filter, limit, cursor, f })
    }

    /// What a cursor of this request is bound to: everything but the cursor and `f`.
    fn scope(&self) -> [u8; 32] {
        super::cursor::scope("ogc-items", |h| {
            match self.bbox {
                Some(b) => {
                    h.update(b"bbox");
                    for v in [b.west, b.south, b.east, b.north] {
                        h.update(v.to_bits().to_be_bytes());
                    }
                }
                None => h.update(b"all"),
            }
            h.update(self.filters.key().as_bytes());
            h.update(b"|");
            let instant = |t: Option<OffsetDateTime>| t.map_or(i128::MIN, |t| t.unix_timestamp_nanos());
            if let Some(i) = self.datetime {
                h.update(instant(i.start).to_be_bytes());
                h.update(instant(i.end).to_be_bytes());
            }
            h.update(b"|");
            if let Some(f) = &self.filter {
                f.feed(h);
            }
            h.update((self.limit as u64).to_be_bytes());
        })
    }

    /// Every matching provider's slot, in id order.
    fn run(&self, snap: &Snapshot) -> Vec<u32> {
        let mut slots: Vec<u32> = match self.bbox {
            Some(b) => in_region(snap, &Region::Box(b), &self.filters).into_iter().map(|h| h.slot).collect(),
            None => {
                let m = self.filters.matcher(snap);
                (0..snap.len() as u32).filter(|s| m.matches(*s)).collect()
            }
        };
        if let Some(i) = self.datetime {
            slots.retain(|s| i.contains(snap.record(*s).updated_at()));
        }
        if let Some(f) = &self.filter {
            let at = now();
            // The public view (no role), with just the members the filter reads.
            slots.retain(|s| f.matches(&ProviderDto::view(snap, *s, None, None, at, f.members)));
        }
        slots
    }
}

/// The request's own query pairs but `cursor`, then `cursor` when given.
fn with_cursor(query_string: &str, cursor: Option<&str>, f: Option<&str>) -> String {
    let mut pairs: Vec<(String, String)> = serde_urlencoded::from_str(query_string).unwrap_or_default();
    pairs.retain(|(k, _)| k != "cursor" && (f.is_none() || k != "f"));
    if let Some(f) = f {
        pairs.push(("f".into(), f.into()));
    }
    if let Some(c) = cursor {
        pairs.push(("cursor".into(), c.into()));
    }
    let q = serde_urlencoded::to_string(&pairs).unwrap_or_default();
    if q.is_empty() { q } else { format!("?{q}") }
}

fn other_format(f: &str) -> (&'static str, &'static str) {
    if f == "json" { ("geojson", GEOJSON) } else { ("json", JSON) }
}

fn media_type(f: &str) -> &'static str {
    if f == "json" { JSON } else { GEOJSON }
}

/// The providers of the collection, filtered and paged.
#[utoipa::path(
    get, path = "/ogc/collections/{collectionId}/items", tag = "ogc", operation_id = "getFeatures",
    params(
        ("collectionId" = String, Path, description = "providers"),
        ("bbox" = Option<Vec<f64>>, Query, style = Form, explode = false, min_items = 4, max_items = 4,
            description = "west,south,east,north in degrees (CRS84); west > east crosses the antimeridian"),
        ("limit" = Option<u32>, Query, minimum = 1, maximum = 1000, description = "Page size (1..1000, default 100)"),
        ("cursor" = Option<String>, Query, description = "From a next or prev link: the page to return (tied to the snapshot; a stale one is a 400)"),
        ("datetime" = Option<String>, Query, description = "updated_at at this RFC 3339 instant, or in start/end where .. leaves an end open (2026-01-01T00:00:00Z/..)"),
        ("filter" = Option<String>, Query, description = "A CQL2 filter on the queryables (Basic CQL2, LIKE, BETWEEN, IN, and S_INTERSECTS on geometry, the public point)"),
        ("filter-lang" = Option<String>, Query, description = "cql2-text (default) or cql2-json"),
        ("category" = Option<String>, Query, description = "Comma-separated category slugs (any of)"),
        ("language" = Option<String>, Query, description = "Comma-separated ISO 639 codes (any of)"),
        ("open_24_7" = Option<bool>, Query, description = "Only providers open around the clock"),
        ("open_at" = Option<String>, Query, description = "Only providers open at this RFC 3339 date-time with an offset"),
        ("f" = Option<String>, Query, description = "geojson (default, application/geo+json) or json (the same body as application/json)"),
    ),
    responses(
        (status = 200, description = "A GeoJSON FeatureCollection, by id, with numberMatched, numberReturned, timeStamp and links", body = Object, content_type = "application/geo+json"),
        (status = 400, description = "Invalid input, naming the parameter", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "No such collection", body = Problem, content_type = PROBLEM_JSON),
    )
)]
pub async fn items(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    collection_id(&path)?;
    let raw = req.query_string().to_string();
    let snap = state.index.load();
    let s = snap.clone();
    // Parsing a large polygon and filtering every provider take time that grows with the input
    // and the directory: off the async workers.
    let (query, slots) = web::block(move || {
        let query = ItemsQuery::parse(&raw)?;
        let slots = query.run(&s);
        Ok::<_, ApiError>((query, slots))
    })
    .await??;
    let scope = query.scope();
    let offset = match query.cursor.as_deref() {
        None => 0,
        Some(c) => match state.cursor_key.decode(c, &scope, snap.version) {
            Ok(Cursor { offset, .. }) => usize::try_from(offset).unwrap_or(usize::MAX),
            Err(e @ (CursorError::Invalid | CursorError::Stale)) => {
                return Err(ApiError::field("cursor", e.to_string()));
            }
        },
    };
    let end = offset.saturating_add(query.limit).min(slots.len());
    let page = slots.get(offset..end).unwrap_or(&[]);
    let cursor_at = |at: usize| {
        state.cursor_key.encode(Cursor { snapshot: snap.version, offset: at as u64, at: None }, &scope)
    };
    let b = base(&req);
    let here = format!("{b}{}", req.path());
    let qs = req.query_string();
    let (other, other_type) = other_format(query.f);
    let mut links = vec![
        link(
            format!("{here}{}", with_cursor(qs, query.cursor.as_deref(), None)),
            "self",
            media_type(query.f),
            "This page",
        ),
        link(
            format!("{here}{}", with_cursor(qs, query.cursor.as_deref(), Some(other))),
            "alternate",
            other_type,
            "This page as another media type",
        ),
    ];
    if end < slots.len() {
        let next = cursor_at(end);
        links.push(link(
            format!("{here}{}", with_cursor(qs, Some(&next), None)),
            "next",
            media_type(query.f),
            "The next page",
        ));
    }
    if offset > 0 {
        let prev_at = offset.saturating_sub(query.limit);
        let prev = (prev_at > 0).then(|| cursor_at(prev_at));
        links.push(link(
            format!("{here}{}", with_cursor(qs, prev.as_deref(), None)),
            "prev",
            media_type(query.f),
            "The previous page",
        ));
    }
    links.push(link(format!("{b}/ogc/collections/{COLLECTION}"), "collection", JSON, "The collection"));
    let at = now();
    let dtos: Vec<ProviderDto> =
        page.iter().map(|s| ProviderDto::view(&snap, *s, None, None, at, Fields::ALL)).collect();
    let body = feature_collection(&dtos, slots.len(), &links)
        .map_err(|e| ApiError::Internal(format!("an answer did not serialise: {e}")))?;
    Ok(HttpResponse::Ok().content_type(media_type(query.f)).body(body))
}

/// A FeatureCollection of public features with the OGC members.
fn feature_collection(
    items: &[ProviderDto],
    matched: usize,
    links: &[Link],
) -> Result<Vec<u8>, serde_json::Error> {
    let mut buf = Vec::with_capacity(2048 + 1024 * items.len());
    buf.extend_from_slice(b"{\"type\":\"FeatureCollection\",\"features\":[");
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        item.write_feature(&mut buf)?;
    }
    buf.extend_from_slice(b"],\"numberMatched\":");
    serde_json::to_writer(&mut buf, &matched)?;
    buf.extend_from_slice(b",\"numberReturned\":");
    serde_json::to_writer(&mut buf, &items.len())?;
    buf.extend_from_slice(b",\"timeStamp\":");
    let stamp = OffsetDateTime::now_utc().replace_nanosecond(0).unwrap_or(OffsetDateTime::now_utc());
    serde_json::to_writer(&mut buf, &stamp.format(&Rfc3339).unwrap_or_default())?;
    buf.extend_from_slice(b",\"links\":");
    serde_json::to_writer(&mut buf, links)?;
    buf.push(b'}');
    Ok(buf)
}

/// One provider, as the public sees it.
#[utoipa::path(
    get, path = "/ogc/collections/{collectionId}/items/{featureId}", tag = "ogc", operation_id = "getFeature",
    params(
        ("collectionId" = String, Path, description = "providers"),
        ("featureId" = String, Path, description = "Provider id"),
        ("f" = Option<String>, Query, description = "geojson (default) or json"),
    ),
    responses(
        (status = 200, description = "A GeoJSON Feature with links", body = Object, content_type = "application/geo+json"),
        (status = 400, description = "An unknown parameter or format", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "No such collection, or no active provider has this id", body = Problem, content_type = PROBLEM_JSON),
    )
)]
pub async fn item(
    req: HttpRequest,
    path: web::Path<(String, String)>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (collection, id) = path.into_inner();
    collection_id(&collection)?;
    let p = Params::parse(req.query_string(), &["f"]);
    let f = check_f(p, &["geojson", "json"])?;
    let snap: Arc<Snapshot> = state.index.load();
    let missing = || ApiError::NotFound(format!("no active provider has id '{id}'"));
    let id_n: i64 = id.parse().map_err(|_| missing())?;
    let slot = snap.slot_of(crate::model::ProviderId(id_n)).ok_or_else(missing)?;
    let dto = ProviderDto::view(&snap, slot, None, None, now(), Fields::ALL);
    let mut feature = Vec::with_capacity(2048);
    dto.write_feature(&mut feature)
        .map_err(|e| ApiError::Internal(format!("a feature did not serialise: {e}")))?;
    // The feature with its links appended as a foreign member.
    let b = base(&req);
    let here = format!("{b}{}", req.path());
    let (other, other_type) = other_format(f);
    let links = [
        link(here.clone(), "self", media_type(f), "This provider"),
        link(format!("{here}?f={other}"), "alternate", other_type, "This provider as another media type"),
        link(format!("{b}/ogc/collections/{COLLECTION}"), "collection", JSON, "The collection"),
    ];
    feature.pop();
    feature.extend_from_slice(b",\"links\":");
    serde_json::to_writer(&mut feature, &links).map_err(|e| ApiError::Internal(e.to_string()))?;
    feature.push(b'}');
    Ok(HttpResponse::Ok().content_type(media_type(f)).body(feature))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetime_instants_and_intervals() {
        let t = |s: &str| OffsetDateTime::parse(s, &Rfc3339).unwrap();
        let a = "2026-01-01T00:00:00Z";
        assert_eq!(datetime(a).unwrap(), Interval { start: Some(t(a)), end: Some(t(a)) });
        let i = datetime("2026-01-01T00:00:00Z/..").unwrap();
        assert_eq!(i, Interval { start: Some(t(a)), end: None });
        assert!(i.contains(t("2030-01-01T00:00:00Z")) && !i.contains(t("2025-12-31T23:59:59Z")));
        assert_eq!(datetime("../2026-01-01T00:00:00Z").unwrap(), Interval { start: None, end: Some(t(a)) });
        assert_eq!(datetime("/2026-01-01T00:00:00Z").unwrap(), Interval { start: None, end: Some(t(a)) });
        for bad in ["", "..", "../..", "2026-01-01", "2026-02-01T00:00:00Z/2026-01-01T00:00:00Z", "x/.."] {
            assert!(datetime(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn links_keep_the_query_but_the_cursor() {
        assert_eq!(
            with_cursor("bbox=1,2,3,4&cursor=abc&limit=5", Some("xyz"), None),
            "?bbox=1%2C2%2C3%2C4&limit=5&cursor=xyz"
        );
        assert_eq!(with_cursor("cursor=abc", None, None), "");
        assert_eq!(with_cursor("f=json&limit=2", None, Some("geojson")), "?limit=2&f=geojson");
    }
}
