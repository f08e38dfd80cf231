//! HSDS 3.0 (Open Referral's Human Services Data Specification) read API under `/hsds`,
//! following the reference API's routes and parameters, over the same snapshot as `/v1`.
//! Every answer is the public view: handlers map providers through `map`, which starts from
//! the DTO layer's public view of each one.

mod dto;
mod map;

pub use dto::*;

use super::AppState;
use super::params::{Params, instant};
use super::problem::{ApiError, FieldError, PROBLEM_JSON, Problem};
use super::providers::encode;
use crate::hours::UnixTime;
use crate::hsds::ids::{self, Kind, Taxonomy};
use crate::index::Snapshot;
use crate::model::Category;
use crate::places;
use crate::query::{Filters, within};
use actix_web::{HttpRequest, HttpResponse, web};
use map::{Depth, Mapper};
use serde::Serialize;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError, Weak};
use uuid::Uuid;

/// The HSDS version served.
pub const VERSION: &str = "3.0";
/// Where HSDS 3.0 is defined (Bellmap publishes no profile of its own).
pub const PROFILE: &str = "https://raw.githubusercontent.com/openreferral/specification/3.0/schema/";
/// Objects per page unless `per_page` says otherwise, and the most it may say.
pub const DEFAULT_PER_PAGE: u64 = 50;
pub const MAX_PER_PAGE: u64 = 500;
/// Largest `proximity` accepted, in metres (the largest radius of `/v1/providers/within`).
pub const MAX_PROXIMITY_M: f64 = 500_000.0;
/// Longest `search` text, in characters.
pub const MAX_SEARCH_CHARS: usize = 200;

/// The slot of the active provider whose `kind` object has this id.
fn slot_of(snap: &Snapshot, kind: Kind, id: Uuid) -> Option<u32> {
    ids::provider_of(kind, id).and_then(|p| snap.slot_of(p))
}

/// The organizations of one snapshot, built once per snapshot on first use.
pub struct Catalog {
    /// Organizations by name (then id): (id, name, the slots of their services by id).
    organizations: Vec<(Uuid, String, Vec<u32>)>,
    organization_index: HashMap<Uuid, usize>,
}

impl Catalog {
    fn build(snap: &Snapshot) -> Catalog {
        let mut by_id: HashMap<Uuid, (String, Vec<u32>)> = HashMap::new();
        for (slot, p) in snap.records.iter().enumerate() {
            let id = ids::organization(p.organization(), p.id());
            let name = p.organization().unwrap_or(p.name());
            by_id.entry(id).or_insert_with(|| (name.to_string(), Vec::new())).1.push(slot as u32);
        }
        let mut organizations: Vec<(Uuid, String, Vec<u32>)> =
            by_id.into_iter().map(|(id, (name, slots))| (id, name, slots)).collect();
        organizations.sort_by_cached_key(|o| (ids::normalise(&o.1), o.0));
        let organization_index = organizations.iter().enumerate().map(|(i, o)| (o.0, i)).collect();
        Catalog { organizations, organization_index }
    }

    fn organization(&self, id: Uuid) -> Option<&(Uuid, String, Vec<u32>)> {
        self.organization_index.get(&id).map(|i| &self.organizations[*i])
    }
}

/// The catalog of the snapshot last asked about.
#[derive(Default)]
pub struct CatalogCache {
    kept: Mutex<Option<(Weak<Snapshot>, Arc<Catalog>)>>,
}

impl CatalogCache {
    fn get(&self, snap: &Arc<Snapshot>) -> Arc<Catalog> {
        let mut kept = self.kept.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some((of, catalog)) = kept.as_ref()
            && std::ptr::eq(of.as_ptr(), Arc::as_ptr(snap))
        {
            return catalog.clone();
        }
        let catalog = Arc::new(Catalog::build(snap));
        *kept = Some((Arc::downgrade(snap), catalog.clone()));
        catalog
    }
}

/// The `/hsds` routes (CORS and caching are set by the route table's scope).
pub fn routes(cfg: &mut web::ServiceConfig) {
    use super::get;
    cfg.service(get("", meta))
        .service(get("/", meta))
        .service(get("/services", services))
        .service(get("/services/{id}", service))
        .service(get("/organizations", organizations))
        .service(get("/organizations/{id}", organization))
        .service(get("/service_at_locations", service_at_locations))
        .service(get("/service_at_locations/{id}", service_at_location))
        .service(get("/taxonomies", taxonomies))
        .service(get("/taxonomies/{id}", taxonomy))
        .service(get("/taxonomy_terms", taxonomy_terms))
        .service(get("/taxonomy_terms/{id}", taxonomy_term));
}

fn json(answer: &impl Serialize) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().content_type("application/json").body(encode(answer)?))
}

/// A UUID path segment or parameter.
fn uuid(raw: &str) -> Result<Uuid, String> {
    Uuid::parse_str(raw.trim()).map_err(|_| format!("'{raw}' is not a UUID (HSDS ids are UUIDs)"))
}

fn path_id(raw: &str) -> Result<Uuid, ApiError> {
    uuid(raw).map_err(|m| ApiError::field("id", m))
}

/// `page` and `per_page`.
struct Paging {
    page: usize,
    per_page: usize,
}

impl Paging {
    fn read(p: &mut Params) -> Paging {
        let page = p.int_in("page", 1, 1_000_000_000, 1) as usize;
        let per_page = p.int_in("per_page", 1, MAX_PER_PAGE, DEFAULT_PER_PAGE) as usize;
        Paging { page, per_page }
    }

    /// The page of `items` asked for, each mapped by `f`.
    fn apply<I: Copy, T>(&self, items: &[I], f: impl Fn(I) -> T) -> HsdsPage<T> {
        let total = items.len();
        let total_pages = total.div_ceil(self.per_page);
        let start = (self.page - 1).saturating_mul(self.per_page).min(total);
        let end = start.saturating_add(self.per_page).min(total);
        let contents: Vec<T> = items[start..end].iter().map(|i| f(*i)).collect();
        HsdsPage {
            total_items: total,
            total_pages,
            page_number: self.page,
            size: contents.len(),
            first_page: self.page == 1,
            last_page: self.page >= total_pages,
            empty: total == 0,
            contents,
        }
    }
}

/// `format`: HSDS allows json (the default) and ndjson; Bellmap answers json only.
fn format(p: &mut Params) {
    if let Some(f) = p.str("format")
        && f != "json"
    {
        let message = format!(
            "'{f}' is not a format of these routes; use json (for every record at once, GET /v1/providers.ndjson)"
        );
        p.errors.push(FieldError::new("format", message));
    }
}

/// A boolean parameter, false when absent.
fn flag(p: &mut Params, name: &str) -> bool {
    match p.str(name).map(crate::model::fields::parse_bool) {
        None => false,
        Some(Ok(v)) => v,
        Some(Err(m)) => {
            p.errors.push(FieldError::new(name, m));
            false
        }
    }
}

/// A term a `taxonomy_term_id` names.
#[derive(Debug, Clone, Copy)]
enum Term {
    Category(Category),
    Field(&'static str),
}

fn term_of(id: Uuid) -> Option<Term> {
    for c in Category::ALL {
        if map::CATEGORY_LANGUAGES.iter().any(|l| ids::category_term(c, l) == id) {
            return Some(Term::Category(c));
        }
    }
    crate::hsds::FIELD_TERMS
        .iter()
        .find(|(code, _, _)| ids::attribute_term(code) == id)
        .map(|(code, _, _)| Term::Field(code))
}

/// The filters of `/services` and `/service_at_locations`.
#[derive(Default, Clone)]
struct Selection {
    /// Folded words, each of which must be in the name, organization or description.
    words: Vec<String>,
    term: Option<Term>,
    organization: Option<Uuid>,
    modified_after: Option<UnixTime>,
}

impl Selection {
    fn read(p: &mut Params) -> Selection {
        let mut s = Selection::default();
        if let Some(raw) = p.str("search").map(str::to_string) {
            let n = raw.trim().chars().count();
            if n == 0 || n > MAX_SEARCH_CHARS {
                p.errors.push(FieldError::new(
                    "search",
                    format!("must be 1 to {MAX_SEARCH_CHARS} characters of text"),
                ));
            } else {
                s.words = places::fold::fold(&raw).split_whitespace().map(str::to_string).collect();
                if s.words.is_empty() {
                    p.errors.push(FieldError::new("search", "must hold a letter or digit"));
                }
            }
        }
        if let Some(raw) = p.str("taxonomy_term_id").map(str::to_string) {
            match uuid(&raw).and_then(|id| {
                term_of(id).ok_or_else(|| format!("no taxonomy term has id {id}; see /hsds/taxonomy_terms"))
            }) {
                Ok(t) => s.term = Some(t),
                Err(m) => p.errors.push(FieldError::new("taxonomy_term_id", m)),
            }
        }
        if let Some(raw) = p.str("taxonomy_id").map(str::to_string) {
            let known = uuid(&raw).and_then(|id| {
                Taxonomy::ALL
                    .iter()
                    .any(|t| t.id() == id)
                    .then_some(())
                    .ok_or_else(|| format!("no taxonomy has id {id}; see /hsds/taxonomies"))
            });
            // Every service has terms of every taxonomy: a known one narrows nothing.
            if let Err(m) = known {
                p.errors.push(FieldError::new("taxonomy_id", m));
            }
        }
        if let Some(raw) = p.str("organization_id").map(str::to_string) {
            match uuid(&raw) {
                Ok(id) => s.organization = Some(id),
                Err(m) => p.errors.push(FieldError::new("organization_id", m)),
            }
        }
        if let Some(raw) = p.str("modified_after").map(str::to_string) {
            match instant(&raw) {
                Ok(t) => s.modified_after = Some(t),
                Err(m) => p.errors.push(FieldError::new("modified_after", m)),
            }
        }
        s
    }

    /// Whether the provider in `slot` passes. Only public members are searched: never an
    /// address, locality, postal code or phone a confidential provider withholds.
    fn matches(&self, snap: &Snapshot, slot: u32, folded: &mut Folded) -> bool {
        let p = snap.record(slot);
        if let Some(t) = self.modified_after
            && p.updated_at().unix_timestamp() < t
        {
            return false;
        }
        if let Some(org) = self.organization
            && ids::organization(p.organization(), p.id()) != org
        {
            return false;
        }
        match self.term {
            Some(Term::Category(c)) if !p.has_category(c) => return false,
            Some(Term::Field("verified_on")) if p.verified_on().is_none() => return false,
            _ => {}
        }
        if !self.words.is_empty() {
            let Folded(texts) = folded;
            for (text, into) in
                [Some(p.name()), p.organization(), p.description()].into_iter().zip(texts.iter_mut())
            {
                places::fold::fold_into(text.unwrap_or(""), into);
            }
            // A word is never split between two texts: it holds no space.
            if !self.words.iter().all(|w| texts.iter().any(|t| t.contains(w.as_str()))) {
                return false;
            }
        }
        true
    }

    /// Every slot that passes, by id. An organization's services are its catalog entry's, not
    /// a scan of every provider.
    fn slots(&self, snap: &Arc<Snapshot>, catalog: &CatalogCache) -> Vec<u32> {
        let mut folded = Folded::default();
        match self.organization {
            Some(org) => {
                let rest = Selection { organization: None, ..self.clone() };
                let catalog = catalog.get(snap);
                let services = catalog.organization(org).map_or(&[][..], |o| &o.2[..]);
                services.iter().copied().filter(|s| rest.matches(snap, *s, &mut folded)).collect()
            }
            None => (0..snap.len() as u32).filter(|s| self.matches(snap, *s, &mut folded)).collect(),
        }
    }
}

/// Folded copies of one provider's searched texts (name, organization, description), reused from
/// provider to provider so that a scan of a million allocates nothing for ASCII text.
#[derive(Default)]
struct Folded([String; 3]);

const LIST_PARAMS: [&str; 11] = [
    "search",
    "page",
    "per_page",
    "format",
    "taxonomy_term_id",
    "taxonomy_id",
    "organization_id",
    "modified_after",
    "full",
    "full_service",
    "minimal",
];

/// What this API is.
#[utoipa::path(
    get, path = "/hsds/", tag = "hsds",
    operation_id = "getHsdsMeta",
    responses((status = 200, description = "The HSDS version, profile and OpenAPI document", body = HsdsMeta))
)]
pub async fn meta(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    Params::parse(req.query_string(), &[]).finish()?;
    let info = req.connection_info();
    let openapi_url = format!("{}://{}/openapi.json", info.scheme(), info.host());
    json(&HsdsMeta { version: VERSION, profile: PROFILE, openapi_url })
}

/// Services (one per active provider), by provider id, paged.
#[utoipa::path(
    get, path = "/hsds/services", tag = "hsds",
    operation_id = "listHsdsServices",
    params(
        ("search" = Option<String>, Query, description = "Words (1 to 200 characters), each of which must be in the name, organization or description; case and accents are ignored"),
        ("taxonomy_term_id" = Option<String>, Query, description = "Only services with this term (a UUID from /hsds/taxonomy_terms; English and Hindi terms of a category are alike)"),
        ("taxonomy_id" = Option<String>, Query, description = "A taxonomy from /hsds/taxonomies (every service has terms of each, so it narrows nothing)"),
        ("organization_id" = Option<String>, Query, description = "Only services of this organization (UUID)"),
        ("modified_after" = Option<String>, Query, format = DateTime, description = "Only services whose record changed at or after this RFC 3339 date-time with an offset"),
        ("page" = Option<u64>, Query, description = "Page number, from 1 (default 1)"),
        ("per_page" = Option<u64>, Query, description = "Services per page (1..500, default 50)"),
        ("full" = Option<bool>, Query, description = "true: each service fully nested (phones, schedules, service_at_locations, languages, attributes), as /hsds/services/{id}"),
        ("full_service" = Option<bool>, Query, description = "The same as full"),
        ("minimal" = Option<bool>, Query, description = "Not supported: false or absent"),
        ("format" = Option<String>, Query, description = "json (the only one; GET /v1/providers.ndjson streams every record)"),
    ),
    responses(
        (status = 200, description = "A page of services (one-to-one members and organization unless full)", body = HsdsPage<HsdsService>),
        (status = 400, description = "Invalid input, naming the parameter", body = Problem, content_type = PROBLEM_JSON),
    )
)]
pub async fn services(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let mut p = Params::parse(req.query_string(), &LIST_PARAMS);
    let paging = Paging::read(&mut p);
    let selection = Selection::read(&mut p);
    let full = flag(&mut p, "full") | flag(&mut p, "full_service");
    minimal(&mut p);
    format(&mut p);
    p.finish()?;
    let snap = state.index.load();
    // A scan of every provider: off the async workers.
    let slots = {
        let (snap, state) = (snap.clone(), state.clone());
        web::block(move || selection.slots(&snap, &state.hsds)).await?
    };
    let mapper = Mapper { snap: &snap, at: super::params::now() };
    let depth = if full { Depth::Full } else { Depth::List };
    json(&paging.apply(&slots, |slot| mapper.service(slot, depth)))
}

/// `minimal=true` is not offered.
fn minimal(p: &mut Params) {
    if flag(p, "minimal") {
        p.errors.push(FieldError::new(
            "minimal",
            "is not supported; leave it out (use per_page and modified_after)",
        ));
    }
}

/// One service, fully nested.
#[utoipa::path(
    get, path = "/hsds/services/{id}", tag = "hsds",
    operation_id = "getHsdsService",
    params(("id" = String, Path, description = "The service's UUID")),
    responses(
        (status = 200, description = "The service with its organization, phones, schedules, languages, attributes and service_at_locations", body = HsdsService),
        (status = 400, description = "The id is not a UUID", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "No active provider has this service id", body = Problem, content_type = PROBLEM_JSON),
    )
)]
pub async fn service(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Params::parse(req.query_string(), &[]).finish()?;
    let id = path_id(&path)?;
    let snap = state.index.load();
    let slot = slot_of(&snap, Kind::Service, id)
        .ok_or_else(|| ApiError::NotFound(format!("no service has id {id}")))?;
    json(&Mapper { snap: &snap, at: super::params::now() }.service(slot, Depth::Full))
}

const ORGANIZATION_PARAMS: [&str; 5] = ["search", "full_service", "full", "page", "per_page"];

/// Organizations (one per organization name), by name, paged.
#[utoipa::path(
    get, path = "/hsds/organizations", tag = "hsds",
    operation_id = "listHsdsOrganizations",
    params(
        ("search" = Option<String>, Query, description = "Words (1 to 200 characters), each of which must be in the name"),
        ("full_service" = Option<bool>, Query, description = "true: each organization with its services fully nested"),
        ("full" = Option<bool>, Query, description = "true: each organization with its services (one-to-one members)"),
        ("page" = Option<u64>, Query, description = "Page number, from 1 (default 1)"),
        ("per_page" = Option<u64>, Query, description = "Organizations per page (1..500, default 50)"),
    ),
    responses(
        (status = 200, description = "A page of organizations", body = HsdsPage<HsdsOrganization>),
        (status = 400, description = "Invalid input, naming the parameter", body = Problem, content_type = PROBLEM_JSON),
    )
)]
pub async fn organizations(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let mut p = Params::parse(req.query_string(), &ORGANIZATION_PARAMS);
    let paging = Paging::read(&mut p);
    let selection = Selection::read(&mut p);
    let full_service = flag(&mut p, "full_service");
    let full = flag(&mut p, "full");
    p.finish()?;
    let snap = state.index.load();
    let catalog = state.hsds.get(&snap);
    let mapper = Mapper { snap: &snap, at: super::params::now() };
    let chosen: Vec<usize> = (0..catalog.organizations.len())
        .filter(|i| {
            let name = places::fold::fold(&catalog.organizations[*i].1);
            selection.words.iter().all(|w| name.contains(w.as_str()))
        })
        .collect();
    let depth = (full_service || full).then_some(if full_service { Depth::Full } else { Depth::List });
    json(&paging.apply(&chosen, |i| organization_answer(&mapper, &catalog.organizations[i], depth)))
}

fn organization_answer(
    mapper: &Mapper<'_>,
    org: &(Uuid, String, Vec<u32>),
    services: Option<Depth>,
) -> HsdsOrganization {
    let mut answer = mapper.organization(org.2[0]);
    answer.services = services.map(|depth| org.2.iter().map(|slot| mapper.service(*slot, depth)).collect());
    answer
}

/// One organization with its services.
#[utoipa::path(
    get, path = "/hsds/organizations/{id}", tag = "hsds",
    operation_id = "getHsdsOrganization",
    params(
        ("id" = String, Path, description = "The organization's UUID"),
        ("full_service" = Option<bool>, Query, description = "true: its services fully nested; else their one-to-one members"),
    ),
    responses(
        (status = 200, description = "The organization and its services", body = HsdsOrganization),
        (status = 400, description = "The id is not a UUID", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "No organization has this id", body = Problem, content_type = PROBLEM_JSON),
    )
)]
pub async fn organization(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let mut p = Params::parse(req.query_string(), &["full_service"]);
    let full_service = flag(&mut p, "full_service");
    p.finish()?;
    let id = path_id(&path)?;
    let snap = state.index.load();
    let catalog = state.hsds.get(&snap);
    let org =
        catalog.organization(id).ok_or_else(|| ApiError::NotFound(format!("no organization has id {id}")))?;
    let mapper = Mapper { snap: &snap, at: super::params::now() };
    json(&organization_answer(&mapper, org, Some(if full_service { Depth::Full } else { Depth::List })))
}

const SAL_PARAMS: [&str; 12] = [
    "search",
    "taxonomy_term_id",
    "taxonomy_id",
    "organization_id",
    "modified_after",
    "full",
    "page",
    "per_page",
    "format",
    "postcode",
    "proximity",
    "minimal",
];

/// Where `postcode` puts a search: the centroid of an Indian PIN code in the bundled gazetteer.
fn postcode_point(raw: &str) -> Result<crate::model::LonLat, String> {
    let code: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("'{raw}' is not a postcode Bellmap knows: give a six-digit Indian PIN code"));
    }
    match places::gazetteer::bundled().get(&format!("pin:{code}")) {
        Some(place) if place.quality != places::gazetteer::PinQuality::OutsideState => Ok(place.point),
        Some(_) => Err(format!("PIN code {code} has no reliable centroid in the bundled gazetteer")),
        None => Err(format!("PIN code {code} is not in the bundled gazetteer")),
    }
}

/// Services at their locations: by provider id, or nearest first from a postcode's centroid.
#[utoipa::path(
    get, path = "/hsds/service_at_locations", tag = "hsds",
    operation_id = "listHsdsServiceAtLocations",
    params(
        ("search" = Option<String>, Query, description = "Words (1 to 200 characters), each of which must be in the name, organization or description"),
        ("taxonomy_term_id" = Option<String>, Query, description = "Only services with this term (UUID)"),
        ("taxonomy_id" = Option<String>, Query, description = "A taxonomy from /hsds/taxonomies (narrows nothing)"),
        ("organization_id" = Option<String>, Query, description = "Only services of this organization (UUID)"),
        ("modified_after" = Option<String>, Query, format = DateTime, description = "Only services whose record changed at or after this RFC 3339 date-time"),
        ("postcode" = Option<String>, Query, description = "A six-digit Indian PIN code: answers are ordered nearest first from its centroid (by each service's public point), within proximity"),
        ("proximity" = Option<f64>, Query, description = "With postcode: only services at most this many metres from its centroid (greater than 0, at most 500000, the default)"),
        ("full" = Option<bool>, Query, description = "true: each fully nested (location with address and accessibility, service with phones, schedules, languages and attributes)"),
        ("minimal" = Option<bool>, Query, description = "Not supported: false or absent"),
        ("page" = Option<u64>, Query, description = "Page number, from 1 (default 1)"),
        ("per_page" = Option<u64>, Query, description = "Per page (1..500, default 50)"),
        ("format" = Option<String>, Query, description = "json (the only one)"),
    ),
    responses(
        (status = 200, description = "A page of service_at_locations; never cached", body = HsdsPage<HsdsServiceAtLocation>),
        (status = 400, description = "Invalid input, naming the parameter", body = Problem, content_type = PROBLEM_JSON),
    )
)]
pub async fn service_at_locations(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let mut p = Params::parse(req.query_string(), &SAL_PARAMS);
    let paging = Paging::read(&mut p);
    let selection = Selection::read(&mut p);
    let full = flag(&mut p, "full");
    minimal(&mut p);
    format(&mut p);
    let origin = match p.str("postcode").map(postcode_point) {
        None => None,
        Some(Ok(point)) => Some(point),
        Some(Err(m)) => {
            p.errors.push(FieldError::new("postcode", m));
            None
        }
    };
    let proximity = p.number("proximity");
    if let Some(m) = proximity {
        if !(m > 0.0 && m <= MAX_PROXIMITY_M) {
            p.errors.push(FieldError::new(
                "proximity",
                format!("must be greater than 0 and at most {MAX_PROXIMITY_M} metres"),
            ));
        } else if p.str("postcode").is_none() {
            p.errors.push(FieldError::new(
                "proximity",
                "is a distance from a postcode's centroid: give postcode too",
            ));
        }
    }
    p.finish()?;
    let snap = state.index.load();
    // A scan of every provider, or of those within 500 km: off the async workers.
    let slots: Vec<u32> = {
        let (snap, state) = (snap.clone(), state.clone());
        web::block(move || match origin {
            // Nearest first by public point: the same query as /v1/providers/within.
            Some(o) => {
                let mut folded = Folded::default();
                within(&snap, o, proximity.unwrap_or(MAX_PROXIMITY_M), &Filters::default())
                    .into_iter()
                    .map(|h| h.slot)
                    .filter(|s| selection.matches(&snap, *s, &mut folded))
                    .collect()
            }
            None => selection.slots(&snap, &state.hsds),
        })
        .await?
    };
    let mapper = Mapper { snap: &snap, at: super::params::now() };
    json(&paging.apply(&slots, |slot| mapper.service_at_location(slot, full)))
}

/// One service at its location, fully nested.
#[utoipa::path(
    get, path = "/hsds/service_at_locations/{id}", tag = "hsds",
    operation_id = "getHsdsServiceAtLocation",
    params(("id" = String, Path, description = "The service_at_location's UUID")),
    responses(
        (status = 200, description = "The service_at_location with its location and service", body = HsdsServiceAtLocation),
        (status = 400, description = "The id is not a UUID", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "No active provider has this id", body = Problem, content_type = PROBLEM_JSON),
    )
)]
pub async fn service_at_location(
    req: HttpRequest,
    path: web::Path<String>,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    Params::parse(req.query_string(), &[]).finish()?;
    let id = path_id(&path)?;
    let snap = state.index.load();
    let slot = slot_of(&snap, Kind::ServiceAtLocation, id)
        .ok_or_else(|| ApiError::NotFound(format!("no service_at_location has id {id}")))?;
    json(&Mapper { snap: &snap, at: super::params::now() }.service_at_location(slot, true))
}

/// Bellmap's taxonomies: its categories in English and in Hindi, and its own fields.
#[utoipa::path(
    get, path = "/hsds/taxonomies", tag = "hsds",
    operation_id = "listHsdsTaxonomies",
    params(
        ("search" = Option<String>, Query, description = "Words each of which must be in the name"),
        ("page" = Option<u64>, Query, description = "Page number, from 1 (default 1)"),
        ("per_page" = Option<u64>, Query, description = "Per page (1..500, default 50)"),
    ),
    responses(
        (status = 200, description = "A page of taxonomies", body = HsdsPage<HsdsTaxonomy>),
        (status = 400, description = "Invalid input, naming the parameter", body = Problem, content_type = PROBLEM_JSON),
    )
)]
pub async fn taxonomies(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let mut p = Params::parse(req.query_string(), &["search", "page", "per_page", "format"]);
    let paging = Paging::read(&mut p);
    let selection = Selection::read(&mut p);
    format(&mut p);
    p.finish()?;
    let all: Vec<HsdsTaxonomy> =
        Taxonomy::ALL.into_iter().map(map::taxonomy).filter(|t| words_in(&selection.words, t.name)).collect();
    let idx: Vec<usize> = (0..all.len()).collect();
    json(&paging.apply(&idx, |i| all[i].clone()))
}

fn words_in(words: &[String], text: &str) -> bool {
    let text = places::fold::fold(text);
    words.iter().all(|w| text.contains(w.as_str()))
}

/// One taxonomy.
#[utoipa::path(
    get, path = "/hsds/taxonomies/{id}", tag = "hsds",
    operation_id = "getHsdsTaxonomy",
    params(("id" = String, Path, description = "The taxonomy's UUID")),
    responses(
        (status = 200, description = "The taxonomy", body = HsdsTaxonomy),
        (status = 400, description = "The id is not a UUID", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "No taxonomy has this id", body = Problem, content_type = PROBLEM_JSON),
    )
)]
pub async fn taxonomy(req: HttpRequest, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    Params::parse(req.query_string(), &[]).finish()?;
    let id = path_id(&path)?;
    let t = Taxonomy::ALL
        .into_iter()
        .find(|t| t.id() == id)
        .ok_or_else(|| ApiError::NotFound(format!("no taxonomy has id {id}")))?;
    json(&map::taxonomy(t))
}

/// The terms: each category in English and in Hindi, and Bellmap's own fields.
#[utoipa::path(
    get, path = "/hsds/taxonomy_terms", tag = "hsds",
    operation_id = "listHsdsTaxonomyTerms",
    params(
        ("search" = Option<String>, Query, description = "Words each of which must be in the term's name or description"),
        ("taxonomy_id" = Option<String>, Query, description = "Only the terms of this taxonomy (UUID)"),
        ("top_only" = Option<bool>, Query, description = "Only terms without a parent (all of Bellmap's are)"),
        ("parent_id" = Option<String>, Query, description = "Only terms with this parent (none of Bellmap's has one)"),
        ("page" = Option<u64>, Query, description = "Page number, from 1 (default 1)"),
        ("per_page" = Option<u64>, Query, description = "Per page (1..500, default 50)"),
    ),
    responses(
        (status = 200, description = "A page of terms", body = HsdsPage<HsdsTaxonomyTerm>),
        (status = 400, description = "Invalid input, naming the parameter", body = Problem, content_type = PROBLEM_JSON),
    )
)]
pub async fn taxonomy_terms(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let mut p = Params::parse(
        req.query_string(),
        &["search", "page", "per_page", "format", "taxonomy_id", "top_only", "parent_id"],
    );
    let paging = Paging::read(&mut p);
    let selection = Selection::read(&mut p);
    format(&mut p);
    let _ = flag(&mut p, "top_only");
    let taxonomy = match p.str("taxonomy_id").map(uuid) {
        None => None,
        Some(Ok(id)) => Some(id),
        Some(Err(m)) => {
            p.errors.push(FieldError::new("taxonomy_id", m));
            None
        }
    };
    let parent = match p.str("parent_id").map(uuid) {
        None => false,
        Some(Ok(_)) => true,
        Some(Err(m)) => {
            p.errors.push(FieldError::new("parent_id", m));
            false
        }
    };
    p.finish()?;
    let terms: Vec<HsdsTaxonomyTerm> = map::all_terms()
        .into_iter()
        .filter(|t| !parent && taxonomy.is_none_or(|id| t.taxonomy_id == id.to_string()))
        .filter(|t| words_in(&selection.words, &format!("{} {}", t.name, t.description)))
        .collect();
    let idx: Vec<usize> = (0..terms.len()).collect();
    json(&paging.apply(&idx, |i| terms[i].clone()))
}

/// One term.
#[utoipa::path(
    get, path = "/hsds/taxonomy_terms/{id}", tag = "hsds",
    operation_id = "getHsdsTaxonomyTerm",
    params(("id" = String, Path, description = "The term's UUID")),
    responses(
        (status = 200, description = "The term", body = HsdsTaxonomyTerm),
        (status = 400, description = "The id is not a UUID", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "No term has this id", body = Problem, content_type = PROBLEM_JSON),
    )
)]
pub async fn taxonomy_term(req: HttpRequest, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    Params::parse(req.query_string(), &[]).finish()?;
    let id = path_id(&path)?;
    let term = map::all_terms()
        .into_iter()
        .find(|t| t.id == id.to_string())
        .ok_or_else(|| ApiError::NotFound(format!("no taxonomy term has id {id}")))?;
    json(&term)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_cover_every_item_once() {
        let items: Vec<u32> = (0..7).collect();
        let mut seen = Vec::new();
        for page in 1..=4 {
            let p = Paging { page, per_page: 3 }.apply(&items, |i| i);
            assert_eq!(p.total_items, 7);
            assert_eq!(p.total_pages, 3);
            assert_eq!(p.first_page, page == 1);
            assert_eq!(p.last_page, page >= 3);
            assert_eq!(p.size, p.contents.len());
            seen.extend(p.contents);
        }
        assert_eq!(seen, items);
        let empty = Paging { page: 1, per_page: 3 }.apply(&[] as &[u32], |i| i);
        assert!(empty.empty && empty.first_page && empty.last_page && empty.total_pages == 0);
    }

    #[test]
    fn terms_are_found_by_id() {
        assert!(matches!(
            term_of(ids::category_term(Category::Shelter, "hi")),
            Some(Term::Category(Category::Shelter))
        ));
        assert!(matches!(term_of(ids::attribute_term("wheelchair")), Some(Term::Field("wheelchair"))));
        assert!(term_of(Uuid::nil()).is_none());
    }
}
