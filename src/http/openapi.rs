//! The OpenAPI document, built from the handlers' annotations.

use super::{admin, admin_providers, changes, clusters, dto, hsds, meta, ogc, places, problem, providers};
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Bellmap API",
        description = "Find domestic-violence service providers near a point, in a viewport or in an area. \
            Confidential shelters appear only at an approximate public point, without address.",
        license(name = "Apache-2.0"),
    ),
    paths(
        providers::nearest,
        providers::within,
        providers::list,
        providers::search,
        providers::get_one,
        providers::ndjson,
        changes::changes,
        places::search_get,
        places::search_post,
        places::photon,
        clusters::clusters,
        clusters::leaves,
        meta::categories,
        meta::health,
        meta::ready,
        admin::create_import,
        admin::list_imports,
        admin::get_import,
        admin::revert_import,
        admin::audit,
        admin::export,
        admin_providers::create,
        admin_providers::get_one,
        admin_providers::patch,
        admin_providers::deactivate,
        admin_providers::reactivate,
        admin_providers::redraw_public_point,
        ogc::landing,
        ogc::api,
        ogc::conformance,
        ogc::collections,
        ogc::collection,
        ogc::queryables,
        ogc::items,
        ogc::item,
        hsds::meta,
        hsds::services,
        hsds::service,
        hsds::organizations,
        hsds::organization,
        hsds::service_at_locations,
        hsds::service_at_location,
        hsds::taxonomies,
        hsds::taxonomy,
        hsds::taxonomy_terms,
        hsds::taxonomy_term,
    ),
    components(schemas(
        problem::Problem,
        problem::FieldError,
        dto::ProviderDto,
        dto::ProviderPage,
        dto::NearestAnswer,
        places::PlaceDto,
        places::PlaceList,
        crate::emergency::Emergency,
        crate::emergency::EmergencyNumber,
        ogc::LandingPage,
        ogc::Link,
        ogc::Conformance,
        ogc::Collections,
        ogc::Collection,
        ogc::Extent,
        ogc::SpatialExtent,
        ogc::TemporalExtent,
    )),
    modifiers(&BearerAuth),
    tags(
        (name = "providers", description = "Public, read-only provider search"),
        (name = "places", description = "Towns, districts and PIN codes from the bundled gazetteer"),
        (name = "meta", description = "Taxonomy and service status"),
        (name = "ogc", description = "OGC API – Features for GIS tools; /ogc/api serves this part as OpenAPI 3.0"),
        (name = "hsds", description = "Open Referral HSDS 3.0 read API (the reference API's routes and parameters); always the public view"),
        (name = "admin", description = "Imports, history, revert and audit; needs an admin token (`bellmap token create`)"),
    )
)]
pub struct ApiDoc;

/// The `bearer` security scheme the admin routes name.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)));
    }
}

/// The spec as served and committed (pretty JSON with a trailing newline).
pub fn spec_json() -> Result<String, serde_json::Error> {
    let mut s = ApiDoc::openapi().to_pretty_json()?;
    s.push('\n');
    Ok(s)
}
