//! Taxonomy, liveness and readiness.

use super::AppState;
use super::dto::{CategoryDto, CategoryLabels, CategoryList, Health, Readiness, ReplicaReadiness};
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

/// Readiness: the snapshot is loaded; whether the database answered the last change poll.
///
/// While the database is away the instance still answers every public read from its snapshot,
/// so it stays in a load balancer's rotation: `/ready` is 200 with `status: degraded` (all
/// instances share the one database, and taking them all out would turn an outage of admin
/// writes into an outage of the map). Only the process not answering at all takes it out.
#[utoipa::path(
    get, path = "/ready", tag = "meta",
    operation_id = "getReadiness",
    responses(
        (status = 200, description = "Serving: `ready`, or `degraded` when the database did not answer the last change poll (public reads still answer from the snapshot; admin calls get 503)", body = Readiness),
    )
)]
pub async fn ready(state: web::Data<AppState>) -> HttpResponse {
    let snap = state.index.load();
    let contact = state.service.database_contact();
    HttpResponse::Ok().json(Readiness {
        status: if contact.reachable { "ready" } else { "degraded" },
        providers: snap.len(),
        snapshot_version: snap.version,
        snapshot_age_s: (OffsetDateTime::now_utc() - snap.built_at).as_seconds_f64(),
        database: if contact.reachable { "ok" } else { "unreachable" },
        database_answered_s_ago: contact.since_last_answer.as_secs_f64(),
        replica: state
            .service
            .replica_status()
            .map(|r| ReplicaReadiness { sequence: r.sequence, behind_by: r.behind_by }),
    })
}
