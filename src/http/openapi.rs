//! The OpenAPI document, built from the handlers' annotations.

use super::{dto, meta, problem, providers};
use utoipa::OpenApi;

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
        meta::categories,
        meta::health,
        meta::ready,
    ),
    components(schemas(problem::Problem, problem::FieldError, dto::ProviderDto, dto::ProviderPage, dto::NearestAnswer)),
    tags(
        (name = "providers", description = "Public, read-only provider search"),
        (name = "meta", description = "Taxonomy and service status"),
    )
)]
pub struct ApiDoc;

/// The spec as served and committed (pretty JSON with a trailing newline).
pub fn spec_json() -> String {
    let mut s = ApiDoc::openapi().to_pretty_json().expect("the spec serialises");
    s.push('\n');
    s
}
