//! RFC 9457 problem details: the only place that knows HTTP status codes.

use super::admin_dto::RevertConflictDto;
use super::places::PlaceDto;
use crate::service::ServiceError;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::ErrorHandlerResponse;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// One invalid input, named by its query parameter, JSON path or CSV column.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError { field: field.into(), message: message.into() }
    }
}

/// A problem details body.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// For 409 on revert: the records that changed after the import.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub conflicts: Vec<RevertConflictDto>,
    /// For an ambiguous or unsure place name (400 naming `near`): places to pick from, each
    /// with the id to give as `place_id`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub candidates: Vec<PlaceDto>,
}

/// Every error the HTTP layer returns.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{detail}")]
    BadRequest { detail: String, errors: Vec<FieldError>, candidates: Vec<PlaceDto> },
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    #[error("{detail}")]
    Conflict { detail: String, conflicts: Vec<RevertConflictDto> },
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    RequestTimeout(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    NotAcceptable(String),
    #[error("{0}")]
    Unavailable(String),
    #[error("{0}")]
    Gone(String),
    /// The cause is logged, never sent.
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    pub fn invalid(errors: Vec<FieldError>) -> ApiError {
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        ApiError::BadRequest {
            detail: format!("invalid input: {}", fields.join(", ")),
            errors,
            candidates: vec![],
        }
    }

    /// Invalid input that includes a place name to pick a place for.
    pub fn invalid_with_candidates(errors: Vec<FieldError>, candidates: Vec<PlaceDto>) -> ApiError {
        match ApiError::invalid(errors) {
            ApiError::BadRequest { detail, errors, .. } => {
                ApiError::BadRequest { detail, errors, candidates }
            }
            other => other,
        }
    }

    pub fn field(field: &str, message: impl Into<String>) -> ApiError {
        ApiError::invalid(vec![FieldError::new(field, message)])
    }

    fn kind(&self) -> (&'static str, &'static str) {
        match self {
            ApiError::BadRequest { .. } => ("invalid-input", "Your request has invalid input"),
            ApiError::Unauthorized(_) => ("unauthorized", "A valid API token is required"),
            ApiError::Forbidden(_) => ("forbidden", "This token may not do that"),
            ApiError::NotFound(_) => ("not-found", "Not found"),
            ApiError::Conflict { .. } => ("conflict", "Conflict"),
            ApiError::PayloadTooLarge(_) => ("payload-too-large", "The request body is too large"),
            ApiError::RequestTimeout(_) => ("request-timeout", "The request body did not arrive in time"),
            ApiError::UnsupportedMediaType(_) => ("unsupported-media-type", "Unsupported content type"),
            ApiError::NotAcceptable(_) => ("not-acceptable", "Not acceptable"),
            ApiError::Unavailable(_) => ("unavailable", "Service unavailable"),
            ApiError::Gone(_) => ("gone", "No longer available"),
            ApiError::Internal(_) => ("internal", "Internal server error"),
        }
    }

    pub fn to_problem(&self) -> Problem {
        let (slug, title) = self.kind();
        let conflicts = match self {
            ApiError::Conflict { conflicts, .. } => conflicts.clone(),
            _ => vec![],
        };
        let candidates = match self {
            ApiError::BadRequest { candidates, .. } => candidates.clone(),
            _ => vec![],
        };
        let (detail, errors) = match self {
            ApiError::BadRequest { detail, errors, .. } => (detail.clone(), errors.clone()),
            ApiError::Internal(_) => {
                ("Something went wrong on our side; please try again.".to_string(), vec![])
            }
            other => (other.to_string(), vec![]),
        };
        Problem {
            kind: format!("https://bellmap.org/problems/{slug}"),
            title: title.to_string(),
            status: self.status_code().as_u16(),
            detail,
            errors,
            conflicts,
            candidates,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::RequestTimeout(_) => StatusCode::REQUEST_TIMEOUT,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::NotAcceptable(_) => StatusCode::NOT_ACCEPTABLE,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Gone(_) => StatusCode::GONE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(cause) = self {
            tracing::error!(%cause, "internal error");
        }
        let mut res = HttpResponse::build(self.status_code());
        match self {
            ApiError::Unauthorized(_) => _ = res.insert_header((header::WWW_AUTHENTICATE, "Bearer")),
            // The database is busy or away: a client may try again shortly.
            ApiError::Unavailable(_) => _ = res.insert_header((header::RETRY_AFTER, "5")),
            _ => {}
        }
        res.content_type(PROBLEM_JSON).json(self.to_problem())
    }
}

impl From<actix_web::error::BlockingError> for ApiError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        ApiError::Internal(e.to_string())
    }
}

/// The one map from a use case's failure to HTTP.
impl From<ServiceError> for ApiError {
    fn from(e: ServiceError) -> Self {
        match e {
            ServiceError::NotFound(detail) => ApiError::NotFound(detail),
            ServiceError::Conflict { detail, conflicts } => ApiError::Conflict {
                detail,
                conflicts: conflicts.into_iter().map(RevertConflictDto::from).collect(),
            },
            ServiceError::Invalid(problems) => {
                ApiError::invalid(problems.into_iter().map(|p| FieldError::new(p.field, p.message)).collect())
            }
            ServiceError::Unavailable(detail) => ApiError::Unavailable(detail),
            ServiceError::Gone(detail) => ApiError::Gone(detail),
            ServiceError::Internal(cause) => ApiError::Internal(cause),
        }
    }
}

/// A problem body for a status that came from actix itself (routing, payload limits).
fn problem_for_status(status: StatusCode, detail: Option<String>) -> Problem {
    let (slug, detail) = match status {
        StatusCode::NOT_FOUND => {
            ("not-found", "There is nothing at this address. See /docs for the API.".to_string())
        }
        StatusCode::METHOD_NOT_ALLOWED => (
            "method-not-allowed",
            "This address does not accept that HTTP method. See /docs for the API.".to_string(),
        ),
        StatusCode::PAYLOAD_TOO_LARGE => {
            ("payload-too-large", detail.unwrap_or_else(|| "The request body is too large.".into()))
        }
        StatusCode::UNSUPPORTED_MEDIA_TYPE => {
            ("unsupported-media-type", detail.unwrap_or_else(|| "Unsupported content type.".into()))
        }
        s if s.is_server_error() => {
            ("internal", "Something went wrong on our side; please try again.".to_string())
        }
        _ => {
            ("http-error", detail.unwrap_or_else(|| status.canonical_reason().unwrap_or("Error").to_string()))
        }
    };
    Problem {
        kind: format!("https://bellmap.org/problems/{slug}"),
        title: status.canonical_reason().unwrap_or("Error").to_string(),
        status: status.as_u16(),
        detail,
        errors: vec![],
        conflicts: vec![],
        candidates: vec![],
    }
}

/// Middleware hook: turns any error response that is not already problem+json (actix's 404,
/// 405, payload errors) into one, so every failure has the same shape.
pub fn render_problem<B: MessageBody + 'static>(
    res: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    let is_problem = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(PROBLEM_JSON.as_bytes()));
    if is_problem {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let detail = res.response().error().map(|e| e.to_string());
    if status.is_server_error() {
        tracing::error!(status = status.as_u16(), cause = ?detail, "unhandled error");
    }
    let detail = if status.is_server_error() { None } else { detail };
    let body = serde_json::to_string(&problem_for_status(status, detail)).unwrap_or_default();
    let (req, res) = res.into_parts();
    let mut res = res.set_body(BoxBody::new(body));
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
    Ok(ErrorHandlerResponse::Response(ServiceResponse::new(req, res).map_into_right_body()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::service::{FieldProblem, RevertConflict};

    #[test]
    fn service_errors_map_to_their_statuses() {
        let cases = [
            (ServiceError::NotFound("x".into()), 404),
            (ServiceError::conflict("x"), 409),
            (ServiceError::Invalid(vec![FieldProblem::new("name", "is required")]), 400),
            (ServiceError::Unavailable("busy".into()), 503),
            (ServiceError::Gone("since: too old".into()), 410),
            (ServiceError::Internal("disk on fire".into()), 500),
        ];
        for (e, status) in cases {
            assert_eq!(ApiError::from(e).status_code().as_u16(), status);
        }
    }

    #[test]
    fn an_unavailable_database_asks_to_retry_and_internal_causes_stay_inside() {
        let res = ApiError::from(ServiceError::Unavailable("busy".into())).error_response();
        assert_eq!(res.headers().get(header::RETRY_AFTER).and_then(|v| v.to_str().ok()), Some("5"));
        let problem = ApiError::from(ServiceError::Internal("disk on fire".into())).to_problem();
        assert!(!problem.detail.contains("disk"), "{}", problem.detail);
    }

    #[test]
    fn invalid_input_and_conflicts_keep_their_details() {
        let problem = ApiError::from(ServiceError::field("external_id", "taken")).to_problem();
        assert_eq!(problem.errors, vec![FieldError::new("external_id", "taken")]);
        let conflict = RevertConflict { provider_id: 7, external_id: "a".into(), changed_by_import: None };
        let e = ServiceError::Conflict { detail: "changed".into(), conflicts: vec![conflict] };
        let problem = ApiError::from(e).to_problem();
        assert_eq!((problem.detail.as_str(), problem.conflicts[0].provider_id), ("changed", 7));
    }
}
