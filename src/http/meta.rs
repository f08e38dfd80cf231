//! Taxonomy, liveness and readiness.

use super::AppState;
use super::dto::{CategoryDto, CategoryLabels, CategoryList, Health, Readiness, ReplicaReadiness};
use super::problem::{ApiError, PROBLEM_JSON, Problem};
use crate::model::Category;
use actix_web::{HttpResponse, web};
use time::OffsetDateTime;

/// The category taxonomy with English and Hindi labels and live counts.
#[utoipa::path(
    get, path = "/v1/categories", tag = "meta",
    operation_id = "listCategories",
    responses((status = 200, description = "Every category, in taxonomy order", body = CategoryList))
)]
pub async fn categories(state: web::Data<AppState>) -> HttpResponse {
    let snap = state.index.load();
    let counts = snap.category_counts();
    let items = Category::ALL
        .into_iter()
        .map(|c| CategoryDto {
            slug: c,
            label: CategoryLabels { en: c.label_en(), hi: c.label_hi() },
            count: counts.get(&c).copied().unwrap_or(0),
        })
        .collect();
    HttpResponse::Ok().json(CategoryList { items })
}

/// Liveness: the process answers.
#[utoipa::path(
    get, path = "/health", tag = "meta",
    operation_id = "getHealth",
    responses((status = 200, description = "Alive", body = Health))
)]
pub async fn health() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

/// Readiness: the snapshot is loaded and the database answers.
#[utoipa::path(
    get, path = "/ready", tag = "meta",
    operation_id = "getReadiness",
    responses(
        (status = 200, description = "Ready", body = Readiness),
        (status = 503, description = "The database does not answer", body = Problem, content_type = PROBLEM_JSON),
    )
)]
pub async fn ready(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let snap = state.index.load();
    let service = state.service.clone();
    web::block(move || service.readiness())
        .await
        .map_err(|_| ApiError::Unavailable("the database is not reachable".into()))??;
    Ok(HttpResponse::Ok().json(Readiness {
        status: "ready",
        providers: snap.len(),
        snapshot_version: snap.version,
        snapshot_age_s: (OffsetDateTime::now_utc() - snap.built_at).as_seconds_f64(),
        database: "ok",
        replica: state
            .service
            .replica_status()
            .map(|r| ReplicaReadiness { sequence: r.sequence, behind_by: r.behind_by }),
    }))
}
