//! Place search routes: autocomplete over the bundled gazetteer (towns, district and
//! sub-district headquarters, PIN codes), as JSON or in Photon's GeoJSON shape so Leaflet
//! geocoder controls work unchanged. Nothing leaves the machine; nothing of a query is logged.

use super::body::{read_typed, require_json};
use super::dto::Point;
use super::params::Params;
use super::problem::{ApiError, FieldError, PROBLEM_JSON, Problem};
use super::providers::encode;
use crate::model::{LonLat, check_lat, check_lon};
use crate::places::{self, Match, Place, PlaceKind, Quality};
use crate::query::BoundingBox;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Longest query, in characters after trimming.
pub const MAX_Q_CHARS: usize = places::search::MAX_QUERY_CHARS;
pub const DEFAULT_LIMIT: u64 = 10;
pub const MAX_LIMIT: u64 = places::search::MAX_LIMIT as u64;

/// A place of the bundled gazetteer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PlaceDto {
    /// Stable id: `gn:<geonameid>`, `dhq:<district code>`, `sdhq:<sub-district code>`, `pin:<PIN>`;
    /// give it as `place_id` to search near this place.
    #[schema(example = "gn:1264733")]
    pub id: &'static str,
    pub name: &'static str,
    /// town, district (an Indian district's headquarters), subdistrict or pincode.
    #[schema(example = "town")]
    pub kind: &'static str,
    pub district: Option<&'static str>,
    pub state: Option<&'static str>,
    /// ISO 3166-1 alpha-2.
    pub country: &'static str,
    /// WGS84 degrees.
    pub lat: f64,
    pub lon: f64,
    /// GeoNames' population; null where unknown.
    pub population: Option<u64>,
    /// The name or alternate name that matched the query (null when picked by id).
    pub matched_name: Option<&'static str>,
    /// exact, variant (a transliteration variant), prefix or typo (null when picked by id).
    #[serde(rename = "match")]
    pub quality: Option<&'static str>,
}

fn kind_name(kind: PlaceKind) -> &'static str {
    match kind {
        PlaceKind::Town => "town",
        PlaceKind::District => "district",
        PlaceKind::Subdistrict => "subdistrict",
        PlaceKind::Pincode => "pincode",
    }
}

fn quality_name(q: Quality) -> &'static str {
    match q {
        Quality::Exact => "exact",
        Quality::Variant => "variant",
        Quality::Prefix => "prefix",
        Quality::Fuzzy(_) => "typo",
    }
}

fn non_empty(s: &'static str) -> Option<&'static str> {
    (!s.is_empty()).then_some(s)
}

impl PlaceDto {
    /// A place picked by id.
    pub fn of(p: &'static Place) -> PlaceDto {
        PlaceDto {
            id: &p.id,
            name: &p.name,
            kind: kind_name(p.kind),
            district: non_empty(&p.district),
            state: non_empty(&p.state),
            country: &p.country,
            lat: p.point.lat,
            lon: p.point.lon,
            population: (p.population > 0).then_some(p.population),
            matched_name: None,
            quality: None,
        }
    }

    /// A place found by a search, with how it matched.
    pub fn found(m: &Match<'static>) -> PlaceDto {
        PlaceDto {
            matched_name: Some(m.matched_name),
            quality: Some(quality_name(m.quality)),
            ..PlaceDto::of(m.place)
        }
    }

    /// A Photon-shaped GeoJSON Feature.
    fn photon(&self) -> PhotonFeature {
        let kind = self.kind;
        let (osm_value, kind_type) = match kind {
            "town" if self.population.unwrap_or(0) >= 100_000 => ("city", "city"),
            "town" => ("town", "city"),
            "district" => ("town", "county"),
            "subdistrict" => ("town", "district"),
            _ => ("postcode", "other"),
        };
        PhotonFeature {
            r#type: "Feature",
            geometry: Point::new(self.lon, self.lat),
            properties: PhotonProperties {
                name: self.name,
                country: self.country,
                countrycode: self.country,
                state: self.state,
                county: self.district,
                postcode: (kind == "pincode").then_some(self.name),
                osm_key: "place",
                osm_value,
                r#type: kind_type,
                id: self.id,
                kind,
            },
        }
    }
}

/// Places found, best first.
#[derive(Debug, Serialize, ToSchema)]
pub struct PlaceList {
    pub items: Vec<PlaceDto>,
}

/// Photon's answer shape (a GeoJSON FeatureCollection).
#[derive(Debug, Serialize, ToSchema)]
pub struct PhotonCollection {
    #[schema(example = "FeatureCollection")]
    r#type: &'static str,
    features: Vec<PhotonFeature>,
}

/// One Photon feature: a point and the properties Photon's clients read.
#[derive(Debug, Serialize, ToSchema)]
pub struct PhotonFeature {
    #[schema(example = "Feature")]
    r#type: &'static str,
    #[schema(value_type = Object)]
    geometry: Point,
    properties: PhotonProperties,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PhotonProperties {
    name: &'static str,
    /// ISO 3166-1 alpha-2 (Photon gives a country name; the gazetteer has codes only).
    country: &'static str,
    countrycode: &'static str,
    state: Option<&'static str>,
    /// The Indian district.
    county: Option<&'static str>,
    /// The PIN code, for PIN-code places.
    #[serde(skip_serializing_if = "Option::is_none")]
    postcode: Option<&'static str>,
    osm_key: &'static str,
    osm_value: &'static str,
    r#type: &'static str,
    /// The place's id, for `place_id`.
    id: &'static str,
    kind: &'static str,
}

/// A place search, valid.
struct Query {
    q: String,
    limit: usize,
    country: Option<String>,
    /// Photon's location bias: equally good matches nearest this point first.
    bias: Option<LonLat>,
    /// Photon's `bbox`: only places inside it.
    within: Option<BoundingBox>,
}

fn check_q(errors: &mut Vec<FieldError>, q: Option<&str>) -> Option<String> {
    let Some(q) = q else {
        errors.push(FieldError::new("q", "is required: a town, district or PIN code"));
        return None;
    };
    let q = q.trim();
    let n = q.chars().count();
    if n == 0 || n > MAX_Q_CHARS {
        errors.push(FieldError::new("q", format!("must be 1 to {MAX_Q_CHARS} characters, not {n}")));
        return None;
    }
    Some(q.to_string())
}

fn check_limit(errors: &mut Vec<FieldError>, limit: Option<Result<u64, String>>) -> Option<usize> {
    match limit.unwrap_or(Ok(DEFAULT_LIMIT)) {
        Ok(l) if (1..=MAX_LIMIT).contains(&l) => Some(l as usize),
        Ok(l) => {
            errors.push(FieldError::new(
                "limit",
                format!("must be a whole number from 1 to {MAX_LIMIT}, not {l}"),
            ));
            None
        }
        Err(m) => {
            errors.push(FieldError::new("limit", m));
            None
        }
    }
}

/// `Some(None)` when absent; `None` after recording an error.
fn check_country(errors: &mut Vec<FieldError>, country: Option<&str>) -> Option<Option<String>> {
    match country.map(str::trim) {
        None => Some(None),
        Some(c) if c.len() == 2 && c.bytes().all(|b| b.is_ascii_alphabetic()) => {
            Some(Some(c.to_ascii_uppercase()))
        }
        Some(c) => {
            errors.push(FieldError::new(
                "country",
                format!("'{c}' is not an ISO 3166-1 alpha-2 code such as IN"),
            ));
            None
        }
    }
}

fn build(
    mut errors: Vec<FieldError>,
    q: Option<&str>,
    limit: Option<Result<u64, String>>,
    country: Option<&str>,
) -> Result<Query, ApiError> {
    let q = check_q(&mut errors, q);
    let limit = check_limit(&mut errors, limit);
    let country = check_country(&mut errors, country);
    match (q, limit, country) {
        (Some(q), Some(limit), Some(country)) if errors.is_empty() => {
            Ok(Query { q, limit, country, bias: None, within: None })
        }
        _ => Err(ApiError::invalid(errors)),
    }
}

fn whole(raw: &str) -> Result<u64, String> {
    raw.trim().parse::<u64>().map_err(|_| format!("'{}' is not a whole number", raw.trim()))
}

/// Runs a search off the async workers (the first one builds the index; typo matching is CPU work).
async fn run(query: Query) -> Result<Vec<PlaceDto>, ApiError> {
    Ok(web::block(move || {
        let narrowed = query.bias.is_some() || query.within.is_some();
        // A bias or box reorders or drops matches, so it picks from the most the index gives.
        let wanted = if narrowed { places::search::MAX_LIMIT } else { query.limit };
        let mut found = places::search::bundled().search(&query.q, wanted, query.country.as_deref());
        if let Some(within) = &query.within {
            found.retain(|m| within.contains(m.place.point));
        }
        if let Some(bias) = query.bias {
            // Stable: within one match quality, nearest first; population no longer decides.
            found.sort_by(|a, b| {
                a.quality
                    .cmp(&b.quality)
                    .then(bias.distance_m(a.place.point).total_cmp(&bias.distance_m(b.place.point)))
            });
        }
        found.truncate(query.limit);
        found.iter().map(PlaceDto::found).collect::<Vec<_>>()
    })
    .await?)
}

fn answer(items: Vec<PlaceDto>, geojson: bool) -> Result<HttpResponse, ApiError> {
    let body = if geojson {
        let features = items.iter().map(PlaceDto::photon).collect();
        encode(&PhotonCollection { r#type: "FeatureCollection", features })?
    } else {
        encode(&PlaceList { items })?
    };
    let content_type = if geojson { "application/geo+json" } else { "application/json" };
    Ok(HttpResponse::Ok().content_type(content_type).body(body))
}

/// Autocomplete towns, districts and PIN codes by name, alternate name or code.
#[utoipa::path(
    get, path = "/v1/places", tag = "places",
    operation_id = "searchPlaces",
    params(
        ("q" = String, Query, description = "A town, district or PIN code: 1..100 characters after trimming, any case or script; prefixes, transliteration variants and one or two typos match"),
        ("limit" = Option<u32>, Query, description = "How many (1..50, default 10)"),
        ("country" = Option<String>, Query, description = "Only this country (ISO 3166-1 alpha-2)"),
        ("format" = Option<String>, Query, description = "json (default) or geojson (Photon's shape)"),
    ),
    responses(
        (status = 200, description = "Best first: exact, variant, prefix, typo; then by population", body = PlaceList),
        (status = 400, description = "Invalid input", body = Problem, content_type = PROBLEM_JSON),
    )
)]
pub async fn search_get(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let mut p = Params::parse(req.query_string(), &["q", "limit", "country", "format"]);
    let geojson = p.geojson(&req);
    let query =
        build(std::mem::take(&mut p.errors), p.str("q"), p.str("limit").map(whole), p.str("country"))?;
    answer(run(query).await?, geojson)
}

/// A place search with the query in the body, so a place typed never lands in a URL.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlaceSearchBody {
    /// 1..100 characters after trimming.
    pub q: String,
    /// 1..50, default 10.
    pub limit: Option<u64>,
    /// ISO 3166-1 alpha-2.
    pub country: Option<String>,
}

/// The same search as `GET /v1/places`, with the query in a JSON body.
#[utoipa::path(
    post, path = "/v1/places/search", tag = "places",
    operation_id = "searchPlacesByBody",
    params(("format" = Option<String>, Query, description = "json (default) or geojson (Photon's shape)")),
    request_body(content = PlaceSearchBody, content_type = "application/json"),
    responses(
        (status = 200, description = "Best first", body = PlaceList),
        (status = 400, description = "Invalid input", body = Problem, content_type = PROBLEM_JSON),
        (status = 415, description = "Not JSON", body = Problem, content_type = PROBLEM_JSON),
    )
)]
pub async fn search_post(req: HttpRequest, body: web::Bytes) -> Result<HttpResponse, ApiError> {
    require_json(&req)?;
    let mut p = Params::parse(req.query_string(), &["format"]);
    let geojson = p.geojson(&req);
    p.finish()?;
    let b: PlaceSearchBody = read_typed(&body)?;
    let query = build(Vec::new(), Some(&b.q), b.limit.map(Ok), b.country.as_deref())?;
    answer(run(query).await?, geojson)
}

/// Photon's `/api` for Leaflet geocoder controls: point their Photon adapter's `serviceUrl`
/// here.
#[utoipa::path(
    get, path = "/v1/places/photon", tag = "places",
    operation_id = "photonPlaces",
    params(
        ("q" = String, Query, description = "As for /v1/places"),
        ("limit" = Option<u32>, Query, description = "1..50, default 10"),
        ("lang" = Option<String>, Query, description = "Accepted for Photon clients; names come as the gazetteer has them"),
        ("lat" = Option<f64>, Query, description = "Location bias, with lon: among equally good matches, the nearest first"),
        ("lon" = Option<f64>, Query, description = "Location bias, with lat"),
        ("zoom" = Option<f64>, Query, description = "Accepted for Photon clients (0..=18); the bias does not depend on it"),
        ("location_bias_scale" = Option<f64>, Query, description = "Accepted for Photon clients (0..=1); the bias does not depend on it"),
        ("bbox" = Option<String>, Query, description = "minLon,minLat,maxLon,maxLat: only places inside"),
    ),
    responses(
        (status = 200, description = "A GeoJSON FeatureCollection in Photon's shape, best first", body = PhotonCollection, content_type = "application/geo+json"),
        (status = 400, description = "Invalid input", body = Problem, content_type = PROBLEM_JSON),
    )
)]
pub async fn photon(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let allowed = ["q", "limit", "lang", "lat", "lon", "zoom", "location_bias_scale", "bbox"];
    let mut p = Params::parse(req.query_string(), &allowed);
    if let Some(lang) = p.str("lang")
        && !(lang == "default"
            || (2..=3).contains(&lang.len()) && lang.bytes().all(|b| b.is_ascii_alphabetic()))
    {
        let message = format!("'{lang}' is not a language code such as en or hi");
        p.errors.push(FieldError::new("lang", message));
    }
    let bias = photon_bias(&mut p);
    let within = if p.str("bbox").is_some() { p.bbox() } else { None };
    for (name, max) in [("zoom", 18.0), ("location_bias_scale", 1.0)] {
        if p.number(name).is_some_and(|v| !(0.0..=max).contains(&v)) {
            p.errors.push(FieldError::new(name, format!("must be a number from 0 to {max}")));
        }
    }
    let mut query = build(std::mem::take(&mut p.errors), p.str("q"), p.str("limit").map(whole), None)?;
    (query.bias, query.within) = (bias, within);
    answer(run(query).await?, true)
}

/// Photon's `lat`/`lon` bias: both or neither, each in range.
fn photon_bias(p: &mut Params) -> Option<LonLat> {
    let (lat, lon) = (p.number("lat"), p.number("lon"));
    match (lat, lon) {
        (Some(lat), Some(lon)) => {
            let checked = (check_lat(lat), check_lon(lon));
            for (name, r) in [("lat", &checked.0), ("lon", &checked.1)] {
                if let Err(e) = r {
                    p.errors.push(FieldError::new(name, e.to_string()));
                }
            }
            Some(LonLat { lon: checked.1.ok()?, lat: checked.0.ok()? })
        }
        (Some(_), None) => {
            p.errors.push(FieldError::new("lon", "is required with lat"));
            None
        }
        (None, Some(_)) => {
            p.errors.push(FieldError::new("lat", "is required with lon"));
            None
        }
        (None, None) => None,
    }
}
