//! The actix adapter: route table, errors, DTOs and thin handlers.

mod admin;
pub mod admin_dto;
mod admin_providers;
mod auth;
mod body;
mod changes;
pub mod clusters;
pub mod cursor;
pub mod deadline;
pub mod dto;
pub mod hsds;
pub mod import_report;
mod meta;
pub mod ogc;
pub mod openapi;
pub mod page;
mod params;
pub mod places;
pub mod problem;
mod providers;
mod schema;

use crate::emergency::EmergencyDirectory;
use crate::index::LiveIndex;
use crate::service::Service;
use actix_cors::Cors;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::{ErrorHandlers, Next, from_fn};
use actix_web::{HttpResponse, web};
use cursor::CursorKey;
use std::sync::Arc;
use std::time::Instant;
use utoipa_swagger_ui::{Config, SwaggerUi};

/// Shared by every worker.
pub struct AppState {
    pub index: Arc<LiveIndex>,
    pub service: Arc<Service>,
    pub cursor_key: CursorKey,
    /// Emergency numbers by place, for every location answer.
    pub emergency: Arc<EmergencyDirectory>,
    /// Largest CSV an admin may upload, in bytes.
    pub max_import_bytes: usize,
    /// How long any request body may take to arrive.
    pub body_deadline: deadline::BodyDeadline,
    /// The map page's settings (tiles, quick-exit page) and the pages' CSP.
    pub page: page::PageSettings,
    /// HSDS ids to providers and the organizations, for the snapshot last asked about.
    pub hsds: hsds::CatalogCache,
}

/// The whole route table, used by the server and by tests.
pub fn configure(cfg: &mut web::ServiceConfig) {
    // Every JSON body is read as bytes under this limit, then parsed by `body::read_json`.
    cfg.app_data(web::PayloadConfig::new(providers::SEARCH_BODY_LIMIT))
        .app_data(
            web::PathConfig::default()
                .error_handler(|e, _| problem::ApiError::field("path", e.to_string()).into()),
        )
        // Routes are tried in order, and a pattern with a variable part costs a regular
        // expression: the API's scopes come before the page's and the docs' (no path is in two).
        .service(get("/health", meta::health))
        .service(get("/ready", meta::ready))
        // Admin first, so /v1/admin never falls into the public scope; no CORS here.
        .service(
            web::scope("/v1/admin")
                .wrap(from_fn(no_store))
                .service(
                    web::resource("/imports")
                        .route(web::get().to(admin::list_imports))
                        .route(web::post().to(admin::create_import))
                        .default_service(web::to(|| async { method_not_allowed("GET, POST") })),
                )
                .service(get("/imports/{id}", admin::get_import))
                .service(post("/imports/{id}/revert", admin::revert_import))
                .service(get("/audit", admin::audit))
                .service(get("/providers.csv", admin::export))
                .service(post("/providers", admin_providers::create))
                .service(
                    web::resource("/providers/{id}")
                        .route(web::get().to(admin_providers::get_one))
                        .route(web::patch().to(admin_providers::patch))
                        .default_service(web::to(|| async { method_not_allowed("GET, PATCH") })),
                )
                .service(post("/providers/{id}/deactivate", admin_providers::deactivate))
                .service(post("/providers/{id}/reactivate", admin_providers::reactivate))
                .service(post("/providers/{id}/redraw-public-point", admin_providers::redraw_public_point)),
        )
        // Public, read-only, no credentials: any site may call it.
        .service(
            web::scope("/v1")
                .wrap(public_cors())
                .wrap(from_fn(no_store))
                .service(get("/providers/nearest", providers::nearest))
                .service(get("/providers", providers::list))
                .service(get("/clusters", clusters::clusters))
                .service(get("/providers/within", providers::within))
                .service(post("/providers/search", providers::search))
                .service(get("/providers.ndjson", providers::ndjson))
                .service(get("/providers/{id}", providers::get_one))
                .service(get("/clusters/{id}/leaves", clusters::leaves))
                .service(get("/categories", meta::categories))
                .service(get("/changes", changes::changes))
                .service(get("/places", places::search_get))
                .service(post("/places/search", places::search_post))
                .service(get("/places/photon", places::photon)),
        )
        // OGC API – Features: public and read-only like /v1, for GIS tools.
        .service(
            web::scope("/ogc")
                .wrap(public_cors())
                .wrap(from_fn(no_store))
                .service(get("", ogc::landing))
                .service(get("/", ogc::landing))
                .service(get("/api", ogc::api))
                .service(get("/conformance", ogc::conformance))
                .service(get("/collections", ogc::collections))
                .service(get("/collections/{collectionId}", ogc::collection))
                .service(get("/collections/{collectionId}/queryables", ogc::queryables))
                .service(get("/collections/{collectionId}/items", ogc::items))
                .service(get("/collections/{collectionId}/items/{featureId}", ogc::item)),
        )
        // HSDS 3.0, public and read-only like /v1.
        .service(web::scope("/hsds").wrap(public_cors()).wrap(from_fn(no_store)).configure(hsds::routes))
        .service(get("/openapi.json", || async {
            let spec = openapi::spec_json().map_err(|e| problem::ApiError::Internal(e.to_string()))?;
            Ok::<_, problem::ApiError>(HttpResponse::Ok().content_type("application/json").body(spec))
        }))
        .service(get("/docs", || async { redirect("/docs/") }))
        // validator_url none: Swagger UI would otherwise call validator.swagger.io, a third party.
        .service(SwaggerUi::new("/docs/{_:.*}").config(Config::new(["/openapi.json"]).validator_url("none")))
        .configure(page::routes);
}

/// CORS of the public read-only scopes: any site may call them, without credentials.
fn public_cors() -> Cors {
    Cors::default()
        .allow_any_origin()
        .send_wildcard()
        .allowed_methods(["GET", "HEAD", "POST"])
        .allowed_header(header::CONTENT_TYPE)
        .allowed_header(header::ACCEPT)
        .max_age(3600)
}

/// A POST-only resource; other methods get a 405.
fn post<F, Args>(path: &str, handler: F) -> actix_web::Resource
where
    F: actix_web::Handler<Args>,
    Args: actix_web::FromRequest + 'static,
    F::Output: actix_web::Responder + 'static,
{
    web::resource(path)
        .route(web::post().to(handler))
        .default_service(web::to(|| async { method_not_allowed("POST") }))
}

/// A GET resource (HEAD runs the same handler; actix drops the body); other methods get a 405
/// naming the allowed ones.
fn get<F, Args>(path: &str, handler: F) -> actix_web::Resource
where
    F: actix_web::Handler<Args>,
    Args: actix_web::FromRequest + 'static,
    F::Output: actix_web::Responder + 'static,
{
    web::resource(path)
        .route(web::get().to(handler.clone()))
        .route(web::head().to(handler))
        .default_service(web::to(|| async { method_not_allowed("GET, HEAD") }))
}

fn method_not_allowed(allow: &'static str) -> HttpResponse {
    HttpResponse::MethodNotAllowed().insert_header((header::ALLOW, allow)).finish()
}

fn redirect(to: &'static str) -> HttpResponse {
    HttpResponse::TemporaryRedirect().insert_header((header::LOCATION, to)).finish()
}

/// Every error response becomes problem+json.
pub fn problem_handlers<B: MessageBody + 'static>() -> ErrorHandlers<B> {
    ErrorHandlers::new().default_handler(problem::render_problem)
}

/// JSON answers load nothing and may not be framed.
const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

/// Security headers on every response: no sniffing, no referrer, no framing, and a content
/// security policy that lets pages load nothing from a third party.
pub async fn security_headers(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let is_page = req.path().starts_with("/docs") || page::is_page_path(req.path());
    // Pages (the map, /docs) get the page policy, which names the tile origin when configured.
    let csp = match req.app_data::<web::Data<AppState>>() {
        Some(state) if is_page => state.page.csp.clone(),
        _ => header::HeaderValue::from_static(API_CSP),
    };
    let mut res = next.call(req).await?;
    let headers = res.headers_mut();
    headers.insert(header::CONTENT_SECURITY_POLICY, csp);
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, header::HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, header::HeaderValue::from_static("no-referrer"));
    headers.insert(header::X_FRAME_OPTIONS, header::HeaderValue::from_static("DENY"));
    Ok(res)
}

/// `Cache-Control: no-store` on every answer about providers (public or admin, the OGC items and
/// HSDS service_at_locations, searched by postcode) and places, errors included: they carry where
/// someone searched, and with a token a shelter's exact point; no
/// shared or browser cache may keep them. Other /v1 answers (categories) keep their own headers.
async fn no_store(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let sensitive = [
        "/v1/admin",
        "/v1/providers",
        "/v1/clusters",
        "/v1/places",
        "/ogc/collections/providers/items",
        "/hsds/service_at_locations",
    ]
    .iter()
    .any(|p| under(req.path(), p));
    let mut res = next.call(req).await?;
    if sensitive {
        res.headers_mut().insert(header::CACHE_CONTROL, header::HeaderValue::from_static("no-store"));
    }
    Ok(res)
}

/// `path` is `prefix` itself or a path below it.
fn under(path: &str, prefix: &str) -> bool {
    path.strip_prefix(prefix).is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
}

/// One log line per request: method, path (never the query string, which may hold a caller's
/// location), status and time taken.
pub async fn log_request(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let started = Instant::now();
    let method = req.method().to_string();
    let path = req.path().to_string();
    let res = next.call(req).await?;
    tracing::info!(
        target: "bellmap::http",
        %method,
        %path,
        status = res.status().as_u16(),
        ms = started.elapsed().as_secs_f64() * 1000.0,
        "request"
    );
    Ok(res)
}
