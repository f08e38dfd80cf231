//! Typed requests, parsed once. A search is built by [`Request::from_query`] from a query
//! string or by [`Request::from_body`] from a JSON body; both read their input into the same
//! shape ([`Given`]) and build it with the same functions and checks, so the limits and
//! messages exist once. Every invalid field is reported at once, each named by its query
//! parameter or JSON path; a request that comes out is valid in every part.

use super::body::{Bounded, read_typed};
use super::cursor;
use super::dto::{Fields, Member};
use super::places::PlaceDto;
use super::problem::{ApiError, FieldError};
use crate::hours::UnixTime;
use crate::model::{Category, LonLat, check_lat, check_lon};
use crate::places::{self, Resolution};
use crate::query::{Area, BoundingBox, Filters, Near, Region, Search, Within};
use actix_web::HttpRequest;
use actix_web::http::header;
use serde::Deserialize;
use serde_json::Value;
use sha2::Digest;
use std::borrow::Cow;
use utoipa::ToSchema;

/// Most providers a nearest query returns.
pub const MAX_K: u64 = 100;
const DEFAULT_K: u64 = 10;
/// Largest radius accepted, in km.
pub const MAX_RADIUS_KM: f64 = 500.0;
/// Largest max_distance_km accepted for nearest (half the Earth's circumference).
pub const MAX_DISTANCE_KM: f64 = 20_016.0;
pub const DEFAULT_LIMIT: u64 = 50;
pub const MAX_LIMIT: u64 = 500;
/// Most entries of a `category` filter: the taxonomy's size.
pub const MAX_CATEGORIES: usize = Category::ALL.len();
/// Most entries of a `language` filter.
pub const MAX_LANGUAGES: usize = 20;
/// Most entries of `fields` (repeats allowed).
pub const MAX_FIELDS: usize = 100;

/// Query parameters every location list accepts besides its own: the filters and the shape.
const FILTER_PARAMS: [&str; 7] =
    ["category", "language", "open_24_7", "open_now", "open_at", "format", "fields"];

/// The parameters a route accepts: its own and the filters.
pub fn allowed(own: &[&'static str]) -> Vec<&'static str> {
    own.iter().copied().chain(FILTER_PARAMS).collect()
}

/// The value of parameter `name` in `values`.
fn value_of<'a>(values: &'a [(Cow<'_, str>, Cow<'_, str>)], name: &str) -> Option<&'a str> {
    values.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_ref())
}

/// A value as a request gave it: `None` when absent, else read or not (with the reason).
type Given<T> = Option<Result<T, String>>;

/// The parameters of one request, and the errors found so far. Values borrow the query string
/// unless decoding changed them.
pub struct Params<'q> {
    values: Vec<(Cow<'q, str>, Cow<'q, str>)>,
    pub errors: Vec<FieldError>,
}

impl<'q> Params<'q> {
    /// Parses a query string. Parameters outside `allowed` are errors: a mistyped filter
    /// (`categories=` for `category=`) must not silently widen an answer.
    pub fn parse(query_string: &'q str, allowed: &[&str]) -> Params<'q> {
        // Decoded as serde_urlencoded decodes (`+` is a space, bytes that are not UTF-8 are
        // replaced), which cannot fail; into a short list, not a map (a handful of parameters).
        let mut values: Vec<(Cow<'q, str>, Cow<'q, str>)> = Vec::new();
        let mut errors = Vec::new();
        // With no '%' or '+' nothing is decoded, and the pairs are the string's own slices.
        let plain = !query_string.bytes().any(|b| b == b'%' || b == b'+');
        let pairs: Vec<(Cow<'q, str>, Cow<'q, str>)> = if plain {
            let pair = |p: &'q str| p.split_once('=').unwrap_or((p, ""));
            let pairs = query_string.split('&').filter(|p| !p.is_empty()).map(pair);
            pairs.map(|(k, v)| (Cow::Borrowed(k), Cow::Borrowed(v))).collect()
        } else {
            form_urlencoded::parse(query_string.as_bytes()).collect()
        };
        for (k, v) in pairs {
            if !allowed.contains(&k.as_ref()) {
                errors.push(FieldError::new(
                    k.as_ref(),
                    format!("is not a parameter of this route; allowed: {}", allowed.join(", ")),
                ));
            } else if values.iter().any(|(seen, _)| *seen == k) {
                errors.push(FieldError::new(
                    k.as_ref(),
                    "is given more than once; give it once (lists are comma-separated)",
                ));
            } else {
                values.push((k, v));
            }
        }
        Params { values, errors }
    }

    pub fn str(&self, name: &str) -> Option<&str> {
        value_of(&self.values, name)
    }

    /// `name` read by `read`, if present.
    fn given<T>(&self, name: &str, read: impl FnOnce(&str) -> Result<T, String>) -> Given<T> {
        self.str(name).map(read)
    }

    /// A finite number, if present.
    pub fn number(&mut self, name: &str) -> Option<f64> {
        let given = self.given(name, number)?;
        check(&mut self.errors, name, given)
    }

    /// An integer in `min..=max`, or `default` when absent.
    pub fn int_in(&mut self, name: &str, min: u64, max: u64, default: u64) -> u64 {
        let given = self.given(name, whole).map(|r| r.and_then(|v| whole_in(v, min, max)));
        optional(&mut self.errors, name, given).flatten().unwrap_or(default)
    }

    /// `bbox=w,s,e,n`.
    pub fn bbox(&mut self) -> Option<BoundingBox> {
        let given = self.given("bbox", |raw| bbox_parts(&raw.split(',').map(str::trim).collect::<Vec<_>>()));
        bounding_box(&mut self.errors, given)
    }

    /// `category`, `language` (comma-separated lists), `open_24_7`, `open_now`, `open_at`
    /// (`open_now` is evaluated at `now`).
    pub fn filters(&mut self, now: UnixTime) -> Filters {
        let get = |name: &str| value_of(&self.values, name);
        let category = get("category").map(|raw| split_entries(raw, MAX_CATEGORIES));
        let language = get("language").map(|raw| split_entries(raw, MAX_LANGUAGES));
        let open = get("open_24_7").map(crate::model::fields::parse_bool);
        let open_now = get("open_now").map(crate::model::fields::parse_bool);
        let open_at = get("open_at").map(|raw| Ok(raw.to_string()));
        let mut f = filters(&mut self.errors, category, language, open);
        f.open_at = open_instant(&mut self.errors, open_now, open_at, now);
        f
    }

    /// An RFC 3339 date-time with an offset, if present.
    pub fn given_instant(&mut self, name: &str) -> Option<UnixTime> {
        let given = self.given(name, instant)?;
        check(&mut self.errors, name, given)
    }

    /// `fields=id,name,...`: the members of each provider to write; all when absent.
    pub fn fields(&mut self) -> Fields {
        let given = self.given("fields", |raw| split_entries(raw, MAX_FIELDS).and_then(|e| fields_list(&e)));
        optional(&mut self.errors, "fields", given).flatten().unwrap_or_default()
    }

    /// `limit` (`default` when absent) and `cursor`.
    pub fn page(&mut self, default: u64) -> Option<Page> {
        let limit = self.given("limit", whole);
        let cursor = self.str("cursor").map(str::to_string);
        page(&mut self.errors, limit, default, cursor)
    }

    /// JSON or GeoJSON, from `format=` or the Accept header.
    pub fn geojson(&mut self, req: &HttpRequest) -> bool {
        match self.str("format") {
            Some("geojson") => true,
            Some("json") => false,
            Some(other) => {
                let message = format!("'{other}' is not a format; use json or geojson");
                self.errors.push(FieldError::new("format", message));
                false
            }
            None => req
                .headers()
                .get(header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.contains("application/geo+json")),
        }
    }

    /// Fails with every collected error, if any.
    pub fn finish(self) -> Result<(), ApiError> {
        done(self.errors, Some(()))
    }

    /// `value`, if every part of the request was valid; else every collected error.
    pub fn done<T>(self, value: Option<T>) -> Result<T, ApiError> {
        done(self.errors, value)
    }
}

/// Keeps `r`'s value, or records its reason against `field`.
fn check<T>(errors: &mut Vec<FieldError>, field: &str, r: Result<T, String>) -> Option<T> {
    r.map_err(|m| errors.push(FieldError::new(field, m))).ok()
}

/// A value that must be given; `None` after recording why not.
fn required<T>(errors: &mut Vec<FieldError>, field: &str, given: Given<T>, hint: &str) -> Option<T> {
    check(errors, field, given.unwrap_or_else(|| Err(format!("is required{hint}"))))
}

/// `Some(None)` when absent, `Some(Some(v))` when valid, `None` after recording why not.
fn optional<T>(errors: &mut Vec<FieldError>, field: &str, given: Given<T>) -> Option<Option<T>> {
    match given {
        None => Some(None),
        Some(r) => check(errors, field, r).map(Some),
    }
}

/// `value` when no error was recorded. A reader returns `None` only after recording an error,
/// so a missing value without one is a bug on our side, never the caller's.
fn done<T>(errors: Vec<FieldError>, value: Option<T>) -> Result<T, ApiError> {
    match value {
        Some(v) if errors.is_empty() => Ok(v),
        None if errors.is_empty() => Err(ApiError::Internal("a request part failed without an error".into())),
        _ => Err(ApiError::invalid(errors)),
    }
}

fn number(raw: &str) -> Result<f64, String> {
    let raw = raw.trim();
    raw.parse::<f64>().ok().filter(|v| v.is_finite()).ok_or_else(|| format!("'{raw}' is not a finite number"))
}

fn whole(raw: &str) -> Result<u64, String> {
    let raw = raw.trim();
    raw.parse::<u64>().map_err(|_| format!("'{raw}' is not a whole number"))
}

fn whole_in(v: u64, min: u64, max: u64) -> Result<u64, String> {
    if (min..=max).contains(&v) {
        Ok(v)
    } else {
        Err(format!("must be a whole number from {min} to {max}, not {v}"))
    }
}

fn positive_up_to(v: f64, max: f64) -> Result<f64, String> {
    if v > 0.0 && v <= max { Ok(v) } else { Err(format!("must be greater than 0 and at most {max} km")) }
}

/// Applies `f` to a given value that was read.
fn then<T, U>(given: Given<T>, f: impl FnOnce(T) -> Result<U, String>) -> Given<U> {
    given.map(|r| r.and_then(f))
}

/// A point from `{at}lat` and `{at}lon`.
fn point(errors: &mut Vec<FieldError>, at: &str, lat: Given<f64>, lon: Given<f64>) -> Option<LonLat> {
    let lat = then(lat, |v| check_lat(v).map_err(|e| e.to_string()));
    let lon = then(lon, |v| check_lon(v).map_err(|e| e.to_string()));
    let hint = " (or give a place name or place id instead)";
    let lat = required(errors, &format!("{at}lat"), lat, hint);
    let lon = required(errors, &format!("{at}lon"), lon, hint);
    Some(LonLat { lon: lon?, lat: lat? })
}

/// Where a point search looks from, as given: coordinates, a place name or a place id. The
/// field names differ between a query string (`near`, `place_id`) and a body (`near.place`).
struct Origin<'a> {
    lat: Given<f64>,
    lon: Given<f64>,
    /// (field, name)
    place: Option<(String, &'a str)>,
    /// (field, id)
    place_id: Option<(String, &'a str)>,
}

/// The search point, and the place it is when located by one. Exactly one of lat+lon, a place
/// name and a place id; an ambiguous or uncertain name records its `candidates`.
fn locate(
    errors: &mut Vec<FieldError>,
    candidates: &mut Vec<PlaceDto>,
    at: &str,
    o: Origin<'_>,
) -> Option<(LonLat, Option<PlaceDto>)> {
    let coordinates = o.lat.is_some() || o.lon.is_some();
    let given = [coordinates, o.place.is_some(), o.place_id.is_some()];
    if given.iter().filter(|g| **g).count() > 1 {
        let mut fields: Vec<String> = Vec::new();
        if coordinates {
            fields.extend([format!("{at}lat"), format!("{at}lon")]);
        }
        fields.extend(o.place.iter().chain(&o.place_id).map(|(f, _)| f.clone()));
        let message =
            format!("give exactly one of: lat and lon, a place name, a place id ({})", fields.join(", "));
        errors.extend(fields.iter().map(|f| FieldError::new(f, message.clone())));
        return None;
    }
    if let Some((field, id)) = o.place_id {
        return match places::gazetteer::bundled().get(id.trim()) {
            Some(p) => Some((p.point, Some(PlaceDto::of(p)))),
            None => {
                errors.push(FieldError::new(
                    field,
                    format!("no place has id '{id}'; ids come from /v1/places"),
                ));
                None
            }
        };
    }
    let Some((field, name)) = o.place else {
        return point(errors, at, o.lat, o.lon).map(|p| (p, None));
    };
    let n = name.trim().chars().count();
    if n == 0 || n > places::search::MAX_QUERY_CHARS {
        let max = places::search::MAX_QUERY_CHARS;
        errors.push(FieldError::new(field, format!("must be a place name of 1 to {max} characters")));
        return None;
    }
    let (message, found) = match places::resolve(places::search::bundled(), name) {
        Resolution::Found(m) => return Some((m.place.point, Some(PlaceDto::found(&m)))),
        Resolution::Ambiguous(c) => {
            ("names more than one place; pick one of the candidates by its place_id".to_string(), c)
        }
        Resolution::Unsure(c) => {
            (format!("no place is called '{}'; did you mean one of the candidates?", name.trim()), c)
        }
        Resolution::NotFound => (format!("no place matches '{}'", name.trim()), vec![]),
    };
    errors.push(FieldError::new(field, message));
    candidates.extend(found.iter().map(PlaceDto::found));
    None
}

/// Near: `k` is a top-level member in a body too.
fn near(
    errors: &mut Vec<FieldError>,
    at: &str,
    origin: Option<LonLat>,
    k: Given<u64>,
    km: Given<f64>,
) -> Option<Search> {
    let k = optional(errors, "k", then(k, |k| whole_in(k, 1, MAX_K)));
    let km =
        optional(errors, &format!("{at}max_distance_km"), then(km, |v| positive_up_to(v, MAX_DISTANCE_KM)));
    let (origin, k, km) = (origin?, k?.unwrap_or(DEFAULT_K), km?);
    Some(Search::Near(Near { origin, k: k as usize, max_distance_m: km.map(|km| km * 1000.0) }))
}

fn within(errors: &mut Vec<FieldError>, at: &str, origin: Option<LonLat>, km: Given<f64>) -> Option<Search> {
    let km = required(errors, &format!("{at}radius_km"), then(km, |v| positive_up_to(v, MAX_RADIUS_KM)), "");
    Some(Search::Within(Within { origin: origin?, radius_m: km? * 1000.0 }))
}

fn bounding_box(errors: &mut Vec<FieldError>, given: Given<[f64; 4]>) -> Option<BoundingBox> {
    required(errors, "bbox", then(given, bbox_from_numbers), ": west,south,east,north in degrees")
}

fn page(
    errors: &mut Vec<FieldError>,
    limit: Given<u64>,
    default: u64,
    cursor: Option<String>,
) -> Option<Page> {
    let limit = optional(errors, "limit", then(limit, |l| whole_in(l, 1, MAX_LIMIT)))?.unwrap_or(default);
    Some(Page { limit: limit as usize, cursor, at: None })
}

/// Filters from their entries (each list already bounded in length).
fn filters<S: AsRef<str>>(
    errors: &mut Vec<FieldError>,
    category: Given<Vec<S>>,
    language: Given<Vec<S>>,
    open_24_7: Given<bool>,
) -> Filters {
    let categories = optional(errors, "category", then(category, |e| category_filter(&e)));
    let languages = optional(errors, "language", then(language, |e| language_filter(&e)));
    let open_24_7 = optional(errors, "open_24_7", open_24_7);
    Filters {
        categories: categories.flatten().unwrap_or_default(),
        languages: languages.flatten().unwrap_or_default(),
        open_24_7: open_24_7.flatten(),
        open_at: None,
    }
}

/// The instant an open filter asks about: `open_at`, or `now` for `open_now=true` (at most
/// one of them), floored to the minute.
fn open_instant(
    errors: &mut Vec<FieldError>,
    open_now: Given<bool>,
    open_at: Given<String>,
    now: UnixTime,
) -> Option<UnixTime> {
    let open_now =
        then(open_now, |on| if on { Ok(now) } else { Err("give open_now=true or leave it out".to_string()) });
    let open_at = then(open_at, |raw| instant(&raw));
    if open_now.is_some() && open_at.is_some() {
        for field in ["open_now", "open_at"] {
            errors.push(FieldError::new(field, "give either open_now or open_at, not both"));
        }
        return None;
    }
    let at = optional(errors, "open_now", open_now)?.or(optional(errors, "open_at", open_at)?)?;
    Some(at - at.rem_euclid(60))
}

/// An RFC 3339 date-time with an offset, as seconds since the epoch.
pub fn instant(raw: &str) -> Result<UnixTime, String> {
    let raw = raw.trim();
    time::OffsetDateTime::parse(raw, &time::format_description::well_known::Rfc3339)
        .map(|t| t.unix_timestamp())
        .map_err(|_| {
            format!("'{raw}' is not an RFC 3339 date-time with an offset, such as 2026-12-02T21:30:00+05:30")
        })
}

/// The request's now, for `open_now`.
pub fn now() -> UnixTime {
    time::OffsetDateTime::now_utc().unix_timestamp()
}

/// A comma-separated list, counted before it is split (an overlong list costs one scan).
fn split_entries(raw: &str, max: usize) -> Result<Vec<&str>, String> {
    let n = raw.bytes().filter(|b| *b == b',').count() + 1;
    if n > max {
        return Err(format!("has {n} entries; give at most {max}"));
    }
    Ok(raw.split(',').collect())
}

/// Checks a filter list's shape: not empty, and no empty entry (a filter that is there must
/// narrow the answer, never silently widen it). The caller has bounded its length.
fn check_entries<S: AsRef<str>>(entries: &[S]) -> Result<(), String> {
    if entries.iter().all(|e| e.as_ref().trim().is_empty()) {
        return Err("is empty; give at least one value, or leave the filter out".into());
    }
    if entries.iter().any(|e| e.as_ref().trim().is_empty()) {
        return Err("has an empty entry; remove the extra comma".into());
    }
    Ok(())
}

/// A category filter from its entries (at most [`MAX_CATEGORIES`]): known slugs, each once.
pub fn category_filter<S: AsRef<str>>(entries: &[S]) -> Result<Vec<Category>, String> {
    check_entries(entries)?;
    let mut out: Vec<Category> = Vec::new();
    for entry in entries {
        let c = entry.as_ref().trim().parse::<Category>().map_err(|e| e.to_string())?;
        if !out.contains(&c) {
            out.push(c);
        }
    }
    Ok(out)
}

/// A language filter from its entries (at most [`MAX_LANGUAGES`]): ISO 639 codes, lower-cased,
/// each once.
pub fn language_filter<S: AsRef<str>>(entries: &[S]) -> Result<Vec<String>, String> {
    check_entries(entries)?;
    let mut out: Vec<String> = Vec::new();
    for entry in entries {
        let entry = entry.as_ref().trim();
        let code = entry.to_ascii_lowercase();
        if !(2..=3).contains(&code.len()) || !code.bytes().all(|b| b.is_ascii_lowercase()) {
            return Err(format!("'{entry}' is not a language code; use ISO 639 codes such as hi, en, ta"));
        }
        if !out.contains(&code) {
            out.push(code);
        }
    }
    Ok(out)
}

/// The members `fields` names (`id` is always written). Repeats are fine; an empty list, an
/// empty entry or a name that is not a member of a provider answer is not.
pub fn fields_list<S: AsRef<str>>(entries: &[S]) -> Result<Fields, String> {
    if entries.iter().all(|e| e.as_ref().trim().is_empty()) {
        return Err("is empty; name at least one member of a provider answer, or leave fields out".into());
    }
    let mut members = Vec::with_capacity(entries.len());
    for entry in entries {
        let name = entry.as_ref().trim();
        if name.is_empty() {
            return Err("has an empty entry; remove the extra comma".into());
        }
        members.push(Member::from_name(name).ok_or_else(|| {
            let all: Vec<&str> = Member::ALL.iter().map(|m| m.name()).collect();
            format!("'{name}' is not a member of a provider answer; give some of: {}", all.join(", "))
        })?);
    }
    Ok(Fields::of(members))
}

/// A path id such as `/v1/providers/{id}`; `what` names the thing in the message ("provider").
pub fn parse_id(raw: &str, what: &str) -> Result<i64, ApiError> {
    raw.parse().map_err(|_| ApiError::field("id", format!("'{raw}' is not a {what} id (a whole number)")))
}

/// The four numbers of `bbox=w,s,e,n`.
fn bbox_parts(parts: &[&str]) -> Result<[f64; 4], String> {
    let four: [&str; 4] = parts
        .try_into()
        .map_err(|_| format!("needs exactly four numbers west,south,east,north; got {}", parts.len()))?;
    let mut v = [0.0; 4];
    for (slot, p) in v.iter_mut().zip(four) {
        *slot = number(p)?;
    }
    Ok(v)
}

pub fn bbox_from_numbers([west, south, east, north]: [f64; 4]) -> Result<BoundingBox, String> {
    if !v_in(west, 180.0) || !v_in(east, 180.0) {
        return Err("west and east must be longitudes between -180 and 180".into());
    }
    if !v_in(south, 90.0) || !v_in(north, 90.0) {
        return Err("south and north must be latitudes between -90 and 90".into());
    }
    if south > north {
        return Err(format!("south ({south}) must not be greater than north ({north})"));
    }
    Ok(BoundingBox { west, south, east, north })
}

fn v_in(v: f64, limit: f64) -> bool {
    v.is_finite() && (-limit..=limit).contains(&v)
}

/// Which page of a list: at most `limit` items from where `cursor` left off.
#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub limit: usize,
    pub cursor: Option<String>,
    /// The instant an open filter is evaluated at, carried in the next page's cursor so that
    /// every page of an `open_now` list is evaluated at the same one.
    pub at: Option<UnixTime>,
}

impl Page {
    /// Feeds everything but the cursor to a cursor scope.
    pub fn feed(&self, h: &mut sha2::Sha256) {
        h.update((self.limit as u64).to_be_bytes());
    }
}

/// The GET routes that search, each with its own parameters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Nearest,
    Within,
    Bbox,
}

impl Route {
    /// The name a cursor of this route is bound to.
    pub fn name(self) -> &'static str {
        match self {
            Route::Nearest => "nearest",
            Route::Within => "within",
            Route::Bbox => "bbox",
        }
    }
}

/// A search as a handler receives it: valid in every part.
#[derive(Debug, Clone)]
pub struct Request {
    pub search: Search,
    pub filters: Filters,
    /// For near: unused (the answer is the k nearest, in one piece).
    pub page: Page,
    /// The place the search is located by, when given by name or id.
    pub place: Option<PlaceDto>,
    /// The members of each provider to write.
    pub fields: Fields,
}

impl Request {
    /// The search a GET route's query string asks for, and whether it wants GeoJSON.
    pub fn from_query(route: Route, req: &HttpRequest) -> Result<(Request, bool), ApiError> {
        let own: &[&'static str] = match route {
            Route::Nearest => &["lat", "lon", "near", "place_id", "k", "max_distance_km"],
            Route::Within => &["lat", "lon", "near", "place_id", "radius_km", "limit", "cursor"],
            Route::Bbox => &["bbox", "limit", "cursor"],
        };
        let mut p = Params::parse(req.query_string(), &allowed(own));
        let mut candidates = Vec::new();
        let mut place = None;
        let mut origin = || {
            let o = Origin {
                lat: p.given("lat", number),
                lon: p.given("lon", number),
                place: p.str("near").map(|v| ("near".to_string(), v)),
                place_id: p.str("place_id").map(|v| ("place_id".to_string(), v)),
            };
            let mut errors = Vec::new();
            let located = locate(&mut errors, &mut candidates, "", o);
            p.errors.extend(errors);
            located.map(|(point, found)| {
                place = found;
                point
            })
        };
        let search = match route {
            Route::Nearest => {
                let origin = origin();
                let (k, km) = (p.given("k", whole), p.given("max_distance_km", number));
                near(&mut p.errors, "", origin, k, km)
            }
            Route::Within => {
                let origin = origin();
                let km = p.given("radius_km", number);
                within(&mut p.errors, "", origin, km)
            }
            // lat and lon are not parameters here: `parse` refused them.
            Route::Bbox => p.bbox().map(|b| Search::Region(Region::Box(b))),
        };
        let page = if route == Route::Nearest {
            Some(Page { limit: MAX_K as usize, cursor: None, at: None })
        } else {
            p.page(DEFAULT_LIMIT)
        };
        let now = now_for(p.str("open_now").is_some(), p.str("cursor"));
        let filters = p.filters(now);
        let fields = p.fields();
        let geojson = p.geojson(req);
        let request =
            search.zip(page).map(|(search, page)| Request::new(search, filters, page, place, fields));
        if !candidates.is_empty() {
            return Err(ApiError::invalid_with_candidates(p.errors, candidates));
        }
        Ok((p.done(request)?, geojson))
    }

    /// The search a POST body asks for: read strictly (see `body`), then built as a query
    /// string is. CPU-bound for a large polygon: call it off the async workers.
    pub fn from_body(bytes: &[u8]) -> Result<Request, ApiError> {
        let b: SearchBody = read_typed(bytes)?;
        let mut errors = Vec::new();
        let mut filters = filters(
            &mut errors,
            b.category.map(|Bounded(c)| Ok(c)),
            b.language.map(|Bounded(l)| Ok(l)),
            b.open_24_7.map(Ok),
        );
        let now = now_for(b.open_now.is_some(), b.cursor.as_deref());
        filters.open_at = open_instant(&mut errors, b.open_now.map(Ok), b.open_at.map(Ok), now);
        let mut candidates = Vec::new();
        let mut place = None;
        let mut origin = |errors: &mut Vec<FieldError>,
                          at: &str,
                          lat: Option<f64>,
                          lon: Option<f64>,
                          name: &Option<String>,
                          id: &Option<String>| {
            let o = Origin {
                lat: lat.map(Ok),
                lon: lon.map(Ok),
                place: name.as_deref().map(|v| (format!("{at}place"), v)),
                place_id: id.as_deref().map(|v| (format!("{at}place_id"), v)),
            };
            locate(errors, &mut candidates, at, o).map(|(point, found)| {
                place = found;
                point
            })
        };
        let search = match (b.near, b.within, b.bbox, b.polygon) {
            (Some(n), None, None, None) => {
                let o = origin(&mut errors, "near.", n.lat, n.lon, &n.place, &n.place_id);
                near(&mut errors, "near.", o, b.k.map(Ok), n.max_distance_km.map(Ok))
            }
            (None, Some(w), None, None) => {
                let o = origin(&mut errors, "within.", w.lat, w.lon, &w.place, &w.place_id);
                within(&mut errors, "within.", o, w.radius_km.map(Ok))
            }
            (None, None, Some(parts), None) => {
                let four = <[f64; 4]>::try_from(parts.as_slice()).map_err(|_| {
                    format!("needs exactly four numbers [west, south, east, north]; got {}", parts.len())
                });
                bounding_box(&mut errors, Some(four)).map(|b| Search::Region(Region::Box(b)))
            }
            (None, None, None, Some(polygon)) => match Area::from_geojson(&polygon, "polygon") {
                Ok(area) => Some(Search::Region(Region::Area(area))),
                Err(e) => {
                    errors.push(FieldError::new(e.field, e.message));
                    None
                }
            },
            _ => {
                errors.push(FieldError::new("body", "give exactly one of near, within, bbox or polygon"));
                None
            }
        };
        let page = page(&mut errors, b.limit.map(Ok), DEFAULT_LIMIT, b.cursor);
        let fields = optional(&mut errors, "fields", b.fields.map(|Bounded(f)| fields_list(&f)));
        let fields = fields.flatten().unwrap_or_default();
        if !candidates.is_empty() {
            return Err(ApiError::invalid_with_candidates(errors, candidates));
        }
        let request =
            search.zip(page).map(|(search, page)| Request::new(search, filters, page, place, fields));
        done(errors, request)
    }

    fn new(search: Search, filters: Filters, page: Page, place: Option<PlaceDto>, fields: Fields) -> Request {
        let page = Page { at: filters.open_at, ..page };
        Request { search, filters, page, place, fields }
    }

    /// What a cursor for this request from `route` is bound to: everything but the cursor and
    /// `fields`, which chooses what each item shows, never which items or their order, so a
    /// page's cursor also serves the same search with other fields.
    pub fn scope(&self, route: &str) -> [u8; 32] {
        cursor::scope(route, |h| {
            self.search.feed(h);
            self.page.feed(h);
            h.update(self.filters.key().as_bytes());
        })
    }
}

/// The now of an `open_now` request: the one its cursor carries, so that every page is
/// evaluated at the first page's instant (the cursor is checked later against the request,
/// instant included, so a forged one is refused), else the clock's.
fn now_for(open_now: bool, cursor: Option<&str>) -> UnixTime {
    open_now.then(|| cursor.and_then(cursor::instant)).flatten().unwrap_or_else(now)
}

/// A point in a search body: exactly one of lat and lon, `place` (a name, as for
/// /v1/places; "Aurangabad, Bihar" narrows by country code, state or district) or `place_id`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NearBody {
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// A town, district or PIN code; an ambiguous name is a 400 with `candidates`.
    pub place: Option<String>,
    /// An id from /v1/places or from `candidates`.
    pub place_id: Option<String>,
    /// Only providers at most this far (km).
    pub max_distance_km: Option<f64>,
}

/// A circle in a search body: its centre as for `near`.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithinBody {
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub place: Option<String>,
    pub place_id: Option<String>,
    /// Greater than 0, at most 500.
    pub radius_km: Option<f64>,
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
    /// Only providers open now: true, or leave it out. Not with open_at.
    pub open_now: Option<bool>,
    /// Only providers open at this RFC 3339 date-time with an offset (evaluated to the minute,
    /// in each provider's own time zone). Not with open_now.
    #[schema(format = DateTime)]
    pub open_at: Option<String>,
    /// Members of each provider to write (`id` is always written), as for `fields=`: names from
    /// the provider answer, at least one, at most 100 (repeats allowed). All when left out.
    #[schema(value_type = Option<Vec<String>>, min_items = 1, max_items = 100)]
    pub fields: Option<Bounded<String, MAX_FIELDS>>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_strings_read_as_form_urlencoded_reads_them() {
        let names = ["lat", "lon", "k", "fields", "near", "category", "", "x"];
        let strings = [
            "",
            "&",
            "lat=26.85&lon=80.95&k=10&fields=id,name,lat,lon,distance_m,phone",
            "lat=26.85&&lon=80.95&",
            "k&lat=&=5&near==a=b",
            "near=New+Delhi&category=shelter%2Clegal_aid",
            "near=%E0%A4%A6%E0%A4%BF&lat=%ZZ&lon=%FF",
            "fields=id,name&x=a%20b+c",
        ];
        for q in strings {
            let p = Params::parse(q, &names);
            let mut want: Vec<(String, String)> = Vec::new();
            for (k, v) in form_urlencoded::parse(q.as_bytes()) {
                if names.contains(&k.as_ref()) && !want.iter().any(|(seen, _)| *seen == k) {
                    want.push((k.into_owned(), v.into_owned()));
                }
            }
            let got: Vec<(String, String)> =
                p.values.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
            assert_eq!(got, want, "{q:?}");
        }
    }
}
