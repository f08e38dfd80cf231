//! Clusters for a map viewport, and the providers inside one cluster.

use super::AppState;
use super::auth::Viewer;
use super::params::Params;
use super::problem::{ApiError, FieldError, PROBLEM_JSON, Problem};
use super::providers::{MAX_LIMIT, Shape, allowed, location_bytes, paginate, query_key, wants_geojson};
use crate::index::Snapshot;
use crate::index::clusters::{ClusterIndex, LEAF_ZOOM, Node, unproject};
use crate::model::Category;
use crate::query::{self, BoundingBox, Filters, Hit};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Most features one viewport answer holds; a box that needs more must be narrowed or zoomed.
pub const MAX_FEATURES: usize = 5_000;
/// Highest zoom accepted; every zoom past the leaf level shows single providers.
const MAX_ZOOM_PARAM: f64 = 30.0;
const DEFAULT_LEAVES_LIMIT: u64 = 50;

/// How a client names a cluster: the snapshot, the filter and the cluster, so an id from an
/// older snapshot or used with other filters is refused instead of answering for another cluster.
pub fn cluster_ref(version: u64, filter_key: &str, id: u32) -> String {
    format!("{version}.{}.{id}", filter_tag(filter_key))
}

fn filter_tag(filter_key: &str) -> String {
    if filter_key.is_empty() {
        return "all".into();
    }
    Sha256::digest(filter_key.as_bytes()).iter().take(4).map(|b| format!("{b:02x}")).collect()
}

/// One feature of a viewport answer.
#[derive(Serialize)]
struct Feature {
    r#type: &'static str,
    id: Value,
    geometry: Point,
    properties: Properties,
}

#[derive(Serialize)]
struct Point {
    r#type: &'static str,
    coordinates: [f64; 2],
}

#[derive(Serialize)]
#[serde(untagged)]
enum Properties {
    Cluster {
        cluster: bool,
        cluster_id: String,
        count: u32,
        expansion_zoom: u8,
        /// Providers per category slug (categories with none are left out).
        categories: BTreeMap<&'static str, u32>,
    },
    /// A map marker: enough to draw and label it; the full record is at /v1/providers/{id}.
    Provider {
        cluster: bool,
        id: i64,
        name: String,
        categories: Vec<Category>,
        confidential: bool,
        location_precision: &'static str,
        open_24_7: bool,
    },
}

#[derive(Serialize)]
struct Collection {
    r#type: &'static str,
    features: Vec<Feature>,
    zoom: u8,
    total: usize,
}

/// The GeoJSON body for one viewport: clusters, and single providers as map markers at their
/// public point. Fails with the number of items when there are more than `MAX_FEATURES`.
pub fn viewport(
    snap: &Snapshot,
    index: &ClusterIndex,
    filter_key: &str,
    zoom: u8,
    bbox: &BoundingBox,
) -> Result<Vec<u8>, usize> {
    let items = index.in_bbox(zoom, bbox.west, bbox.south, bbox.east, bbox.north);
    if items.len() > MAX_FEATURES {
        return Err(items.len());
    }
    let features: Vec<Feature> = items
        .into_iter()
        .map(|item| match item.node {
            Node::Provider(slot) => {
                let p = &snap.records[slot as usize];
                let at = snap.points[slot as usize];
                Feature {
                    r#type: "Feature",
                    id: p.id.0.into(),
                    geometry: Point { r#type: "Point", coordinates: [at.lon, at.lat] },
                    properties: Properties::Provider {
                        cluster: false,
                        id: p.id.0,
                        name: p.data.name.clone(),
                        categories: p.data.categories.clone(),
                        confidential: p.data.confidential,
                        location_precision: if p.data.confidential { "approximate" } else { "exact" },
                        open_24_7: p.data.open_24_7,
                    },
                }
            }
            Node::Cluster(id) => {
                let cluster = index.cluster(id).expect("items name clusters of their own index");
                let at = unproject(item.xy);
                let categories = Category::ALL
                    .iter()
                    .zip(cluster.categories)
                    .filter(|(_, n)| *n > 0)
                    .map(|(c, n)| (c.slug(), n))
                    .collect();
                let cid = cluster_ref(snap.version, filter_key, id);
                Feature {
                    r#type: "Feature",
                    id: cid.clone().into(),
                    // A weighted centre of public points, to 1e-6 degrees (0.1 m).
                    geometry: Point { r#type: "Point", coordinates: [round6(at.lon), round6(at.lat)] },
                    properties: Properties::Cluster {
                        cluster: true,
                        cluster_id: cid,
                        count: item.count,
                        expansion_zoom: cluster.expansion_zoom(),
                        categories,
                    },
                }
            }
        })
        .collect();
    let total = features.len();
    let body = Collection { r#type: "FeatureCollection", features, zoom, total };
    Ok(serde_json::to_vec(&body).expect("a viewport serialises"))
}

/// Clusters and single providers in a map viewport.
#[utoipa::path(
    get, path = "/v1/clusters", tag = "providers",
    operation_id = "listClusters",
    security((), ("bearer" = [])),
    params(
        ("bbox" = String, Query, description = "west,south,east,north in degrees; west > east crosses the antimeridian"),
        ("zoom" = f64, Query, description = "Map zoom, 0..30 (fractions are floored); from 19 on every provider is single"),
        ("category" = Option<String>, Query, description = "Comma-separated category slugs (any of; at most 11, none empty)"),
        ("language" = Option<String>, Query, description = "Comma-separated ISO 639 codes (any of; at most 20, none empty)"),
        ("open_24_7" = Option<bool>, Query, description = "Only providers open around the clock"),
    ),
    responses(
        (status = 200, description = "A GeoJSON FeatureCollection (application/geo+json) with `zoom` and `total`. \
            A cluster's properties: `cluster: true`, `cluster_id`, `count`, `expansion_zoom` (the zoom at which it \
            splits) and `categories` (providers per category slug). A single provider is a map marker at its \
            public point with `cluster: false`, `id`, `name`, `categories`, `confidential`, `location_precision` \
            and `open_24_7`; its full record is at /v1/providers/{id}. Every matching provider is in exactly one \
            feature. Cluster positions are on the Web Mercator plane, which ends at ±85.0511°.", body = Object, content_type = "application/geo+json"),
        (status = 400, description = "Invalid input, or a box holding more than 5,000 features at this zoom", body = Problem, content_type = PROBLEM_JSON),
    )
)]
pub async fn clusters(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let snap = state.index.load();
    let mut p = Params::parse(req.query_string(), &["bbox", "zoom", "category", "language", "open_24_7"])?;
    let bbox = p.bbox();
    let zoom = zoom_param(&mut p);
    let filters = p.filters();
    p.finish()?;
    let (bbox, zoom) = (bbox.expect("checked"), zoom.expect("checked"));
    let key = filters.key();
    let index = clusters_for(&snap, filters).await?;
    let body = viewport(&snap, &index, &key, zoom, &bbox).map_err(|n| {
        ApiError::field(
            "bbox",
            format!(
                "holds {n} features at zoom {zoom}, more than the {MAX_FEATURES} one answer may hold; \
                 zoom in or send a smaller box"
            ),
        )
    })?;
    Ok(location_bytes(body, true))
}

/// The clusters of the providers `filters` accept. A filter's first use builds them, so this
/// runs off the async workers.
async fn clusters_for(snap: &Arc<Snapshot>, filters: Filters) -> Result<Arc<ClusterIndex>, ApiError> {
    let snap = snap.clone();
    web::block(move || query::clusters(&snap, &filters)).await.map_err(|e| ApiError::Internal(e.to_string()))
}

/// `zoom`: required, 0..=30, floored, capped at the leaf level.
fn zoom_param(p: &mut Params) -> Option<u8> {
    if p.str("zoom").is_none() {
        p.errors.push(FieldError::new("zoom", "is required: a map zoom from 0 to 30"));
        return None;
    }
    let z = p.number("zoom")?;
    if !(0.0..=MAX_ZOOM_PARAM).contains(&z) {
        p.errors.push(FieldError::new("zoom", format!("{z} is not a zoom from 0 to 30")));
        return None;
    }
    Some((z.floor() as u8).min(LEAF_ZOOM))
}

/// The providers in one cluster, by id, paged.
#[utoipa::path(
    get, path = "/v1/clusters/{cluster_id}/leaves", tag = "providers",
    operation_id = "listClusterLeaves",
    security((), ("bearer" = [])),
    params(
        ("cluster_id" = String, Path, description = "cluster_id from /v1/clusters"),
        ("limit" = Option<u32>, Query, description = "Page size (1..500, default 50)"),
        ("cursor" = Option<String>, Query, description = "next_cursor of the previous page"),
        ("category" = Option<String>, Query, description = "The same filters as the /v1/clusters request the id came from"),
        ("language" = Option<String>, Query, description = "The same filters as the /v1/clusters request"),
        ("open_24_7" = Option<bool>, Query, description = "The same filters as the /v1/clusters request"),
        ("format" = Option<String>, Query, description = "json (default) or geojson"),
    ),
    responses(
        (status = 200, description = "A page of the cluster's providers, by id", body = super::dto::ProviderPage),
        (status = 400, description = "Invalid input, or filters other than the ones the cluster was made with", body = Problem, content_type = PROBLEM_JSON),
        (status = 404, description = "No such cluster in the current directory (it changed since: request /v1/clusters again)", body = Problem, content_type = PROBLEM_JSON),
    )
)]
pub async fn leaves(
    req: HttpRequest,
    path: web::Path<String>,
    viewer: Viewer,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let snap = state.index.load();
    let mut p = Params::parse(req.query_string(), &allowed(&["limit", "cursor"]))?;
    let limit = p.int_in("limit", 1, MAX_LIMIT, DEFAULT_LEAVES_LIMIT);
    let filters = p.filters();
    let geojson = wants_geojson(&req, &mut p);
    let cursor = p.str("cursor").map(str::to_string);
    p.finish()?;
    let raw = path.into_inner();
    let malformed =
        || ApiError::field("cluster_id", format!("'{raw}' is not a cluster_id from /v1/clusters"));
    let parts: Vec<&str> = raw.split('.').collect();
    let [version, tag, id] = parts[..] else { return Err(malformed()) };
    let (Ok(version), Ok(id)) = (version.parse::<u64>(), id.parse::<u32>()) else { return Err(malformed()) };
    let key = filters.key();
    if tag != filter_tag(&key) {
        return Err(ApiError::field(
            "cluster_id",
            "was made with other filters: send the same category, language and open_24_7 as the \
             /v1/clusters request it came from",
        ));
    }
    let gone = || {
        ApiError::NotFound(format!("no cluster {raw} in the current directory; request /v1/clusters again"))
    };
    if version != snap.version {
        return Err(gone());
    }
    let index = clusters_for(&snap, filters).await?;
    index.cluster(id).ok_or_else(gone)?;
    let hits: Vec<Hit> = index.leaves(id).into_iter().map(|slot| Hit { slot, distance_m: None }).collect();
    let shape = Shape { viewer: &viewer, geojson, emergency: None };
    paginate(&state, &snap, hits, limit, cursor.as_deref(), &query_key(&format!("leaves/{raw}"), &req), shape)
        .await
}

fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}
