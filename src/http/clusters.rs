//! Clusters for a map viewport, and the providers inside one cluster.

use super::AppState;
use super::auth::Viewer;
use super::cursor;
use super::dto::{Feature, Point};
use super::params::{DEFAULT_LIMIT, Page, Params, allowed, now};
use super::problem::{ApiError, FieldError, PROBLEM_JSON, Problem};
use super::providers::{Shape, encode, location_bytes, paginate};
use crate::hours::UnixTime;
use crate::index::Snapshot;
use crate::index::clusters::{ClusterIndex, LEAF_ZOOM, Node, unproject};
use crate::model::Category;
use crate::query::{self, BoundingBox, Filters, Hit};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Most features one viewport answer holds; a box that needs more must be narrowed or zoomed.
pub const MAX_FEATURES: usize = 5_000;
/// Highest zoom accepted; every zoom past the leaf level shows single providers.
const MAX_ZOOM_PARAM: f64 = 30.0;

/// How a client names a cluster: `{snapshot}.{filter tag}.{id}`, so an id from an older
/// snapshot or used with other filters is refused instead of answering for another cluster.
/// The tag is a hash of the filter's canonical key: the same on every instance and restart.
/// An open filter's tag ends in `m` and its minute (since the epoch), so the leaves of a cluster
/// found with `open_now` are listed at that same minute.
fn filter_tag(filters: &Filters) -> String {
    let key = filters.key();
    if key.is_empty() {
        return "all".into();
    }
    let hash: String = Sha256::digest(key.as_bytes()).iter().take(4).map(|b| format!("{b:02x}")).collect();
    match filters.open_at {
        Some(at) => format!("{hash}m{}", at.div_euclid(60)),
        None => hash,
    }
}

/// The instant of an open filter's tag (see [`filter_tag`]).
fn tag_instant(tag: &str) -> Option<UnixTime> {
    let (_, minute) = tag.split_once('m')?;
    minute.parse::<i64>().ok()?.checked_mul(60)
}

/// One feature of a viewport answer: a cluster (named by its cluster_id) or a provider.
type ViewFeature<'a> = Feature<Id<'a>, Properties<'a>>;

/// A feature id: a provider's number, or a cluster's cluster_id.
#[derive(Serialize)]
#[serde(untagged)]
enum Id<'a> {
    Provider(i64),
    Cluster(ClusterRef<'a>),
}

/// A cluster_id, written straight into the answer when serialised.
#[derive(Clone, Copy)]
struct ClusterRef<'a> {
    version: u64,
    tag: &'a str,
    id: u32,
}

impl std::fmt::Display for ClusterRef<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}.{}.{}", self.version, self.tag, self.id)
    }
}

impl Serialize for ClusterRef<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[derive(Serialize)]
#[serde(untagged)]
enum Properties<'a> {
    Cluster {
        cluster: bool,
        cluster_id: ClusterRef<'a>,
        count: u32,
        expansion_zoom: u8,
        /// Providers per category slug (categories with none are left out).
        categories: BTreeMap<&'static str, u32>,
    },
    /// A map marker: enough to draw and label it; the full record is at /v1/providers/{id}.
    Provider {
        cluster: bool,
        id: i64,
        name: &'a str,
        categories: &'a [Category],
        confidential: bool,
        location_precision: &'static str,
        open_24_7: bool,
        /// As in the full record, at the filter's open_at or now.
        open_now: Option<bool>,
    },
}

#[derive(Serialize)]
struct Collection<'a> {
    r#type: &'static str,
    features: Vec<ViewFeature<'a>>,
    zoom: u8,
    total: usize,
}

/// The GeoJSON body for one viewport of the clusters `index` of the providers `filters`
/// accept: clusters, and single providers as map markers at their public point. A box holding
/// more than `MAX_FEATURES` items is refused (400, naming bbox).
pub fn viewport(
    snap: &Snapshot,
    index: &ClusterIndex,
    filters: &Filters,
    zoom: u8,
    bbox: &BoundingBox,
) -> Result<Vec<u8>, ApiError> {
    let items = index.in_bbox(zoom, bbox.west, bbox.south, bbox.east, bbox.north);
    if items.len() > MAX_FEATURES {
        return Err(ApiError::field(
            "bbox",
            format!(
                "holds {} features at zoom {zoom}, more than the {MAX_FEATURES} one answer may hold; \
                 zoom in or send a smaller box",
                items.len()
            ),
        ));
    }
    // Every cluster of this answer shares the filter's tag: hashed once, not per feature.
    let tag = filter_tag(filters);
    let when = filters.open_at.unwrap_or_else(now);
    let mut features: Vec<ViewFeature> = Vec::with_capacity(items.len());
    for item in &items {
        features.push(match item.node() {
            Node::Provider(slot) => {
                let p = snap.record(slot);
                let at = snap.points[slot as usize];
                let properties = Properties::Provider {
                    cluster: false,
                    id: p.id().0,
                    name: p.name(),
                    categories: p.categories(),
                    confidential: p.confidential(),
                    location_precision: p.public_precision().as_str(),
                    open_24_7: p.open_24_7(),
                    open_now: snap.hours.state(slot, when).as_bool(),
                };
                Feature::new(Id::Provider(p.id().0), Point::new(at.lon, at.lat), properties)
            }
            Node::Cluster(id) => {
                let cluster = index.cluster(id).ok_or_else(|| {
                    ApiError::Internal(format!("cluster {id} is not in the index that listed it"))
                })?;
                let cid = ClusterRef { version: snap.version, tag: &tag, id };
                let at = unproject(item.xy());
                let categories = Category::ALL
                    .iter()
                    .zip(index.categories(id))
                    .filter(|(_, n)| *n > 0)
                    .map(|(c, n)| (c.slug(), n))
                    .collect();
                let properties = Properties::Cluster {
                    cluster: true,
                    cluster_id: cid,
                    count: item.count,
                    expansion_zoom: cluster.expansion_zoom(),
                    categories,
                };
                // A weighted centre of public points, to 1e-6 degrees (0.1 m).
                Feature::new(Id::Cluster(cid), Point::new(round6(at.lon), round6(at.lat)), properties)
            }
        });
    }
    let total = features.len();
    encode(&Collection { r#type: "FeatureCollection", features, zoom, total })
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
        ("open_now" = Option<bool>, Query, description = "true: only providers open now by their hours, in their own time zone (not with open_at)"),
        ("open_at" = Option<String>, Query, format = DateTime, description = "Only providers open at this RFC 3339 date-time with an offset, to the minute, in their own time zone (not with open_now)"),
    ),
    responses(
        (status = 200, description = "A GeoJSON FeatureCollection (application/geo+json) with `zoom` and `total`. \
            A cluster's properties: `cluster: true`, `cluster_id`, `count`, `expansion_zoom` (the zoom at which it \
            splits) and `categories` (providers per category slug). A single provider is a map marker at its \
            public point with `cluster: false`, `id`, `name`, `categories`, `confidential`, `location_precision` \
            `open_24_7` and `open_now` (at open_at, or now); its full record is at /v1/providers/{id}. Every matching provider is in exactly one \
            feature. Cluster positions are on the Web Mercator plane, which ends at ±85.0511°.", body = Object, content_type = "application/geo+json"),
        (status = 400, description = "Invalid input, or a box holding more than 5,000 features at this zoom", body = Problem, content_type = PROBLEM_JSON),
    )
)]
pub async fn clusters(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let snap = state.index.load();
    let mut p = Params::parse(
        req.query_string(),
        &["bbox", "zoom", "category", "language", "open_24_7", "open_now", "open_at"],
    );
    let bbox = p.bbox();
    let zoom = zoom_param(&mut p);
    let filters = p.filters(now());
    let (bbox, zoom) = p.done(bbox.zip(zoom))?;
    let index = clusters_for(&snap, filters.clone()).await?;
    Ok(location_bytes(viewport(&snap, &index, &filters, zoom, &bbox)?, true))
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
        ("open_now" = Option<bool>, Query, description = "The same filters as the /v1/clusters request; evaluated at the minute the cluster was made"),
        ("open_at" = Option<String>, Query, format = DateTime, description = "The same filters as the /v1/clusters request"),
        ("format" = Option<String>, Query, description = "json (default) or geojson"),
        ("fields" = Option<String>, Query, description = "Comma-separated members of each provider to write (id, name, lat, lon, distance_m, phone, ...: any member of the provider answer; id is always written, repeats are fine); the others are left out. In GeoJSON the geometry is always there and the properties are restricted. Only narrows what the caller may see: a confidential provider's withheld members stay null. Unknown names are a 400. All members when left out"),
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
    let mut p = Params::parse(req.query_string(), &allowed(&["limit", "cursor"]));
    let raw = path.into_inner();
    let malformed =
        || ApiError::field("cluster_id", format!("'{raw}' is not a cluster_id from /v1/clusters"));
    let parts: Vec<&str> = raw.split('.').collect();
    let [version, tag, id] = parts[..] else { return Err(malformed()) };
    let (Ok(version), Ok(id)) = (version.parse::<u64>(), id.parse::<u32>()) else { return Err(malformed()) };
    let page = p.page(DEFAULT_LIMIT);
    // open_now means the minute the cluster was made at, which its tag carries.
    let filters = p.filters(tag_instant(tag).unwrap_or_else(now));
    let geojson = p.geojson(&req);
    let fields = p.fields();
    let page = p.done(page)?;
    let page = Page { at: filters.open_at, ..page };
    let key = filters.key();
    if tag != filter_tag(&filters) {
        return Err(ApiError::field(
            "cluster_id",
            "was made with other filters: send the same category, language, open_24_7, open_now \
             and open_at as the /v1/clusters request it came from",
        ));
    }
    let gone = || {
        ApiError::NotFound(format!("no cluster {raw} in the current directory; request /v1/clusters again"))
    };
    if version != snap.version {
        return Err(gone());
    }
    let index = clusters_for(&snap, filters.clone()).await?;
    index.cluster(id).ok_or_else(gone)?;
    let hits: Vec<Hit> = index.leaves(id).into_iter().map(|slot| Hit { slot, distance_m: None }).collect();
    let at = filters.open_at.unwrap_or_else(now);
    let shape = Shape { viewer: &viewer, geojson, emergency: None, at, place: None, fields };
    let scope = cursor::scope(&format!("leaves/{raw}"), |h| {
        page.feed(h);
        h.update(key.as_bytes());
    });
    paginate(&state, &snap, &hits, &page, &scope, shape)
}

fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}
