//! Who is calling: Bearer tokens for admin routes (`Admin`) and optional ones on public routes
//! (`Viewer`), and the audit of what confidential data a token was shown.

use super::AppState;
use super::dto::ProviderDto;
use super::problem::ApiError;
use crate::model::{Caller, Role};
use actix_web::dev::Payload;
use actix_web::http::header;
use actix_web::{FromRequest, HttpRequest, web};
use std::future::Future;
use std::pin::Pin;

/// The holder of a valid admin token (401 without a valid token, 403 for a weaker one).
pub struct Admin(pub Caller);

/// Checks the Bearer token against the database; 401 without a valid one.
async fn caller(req: &HttpRequest) -> Result<Caller, ApiError> {
    caller_if_any(req)
        .await?
        .ok_or_else(|| ApiError::Unauthorized("send an API token as 'Authorization: Bearer <token>'".into()))
}

/// The token's holder, `None` without an Authorization header, 401 for a bad token.
async fn caller_if_any(req: &HttpRequest) -> Result<Option<Caller>, ApiError> {
    let Some(value) = req.headers().get(header::AUTHORIZATION) else { return Ok(None) };
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::Internal("the app state is not registered".into()))?
        .clone();
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(|t| t.trim().to_string())
        .ok_or_else(|| {
            ApiError::Unauthorized("send an API token as 'Authorization: Bearer <token>'".into())
        })?;
    let service = state.service.clone();
    let found = web::block(move || service.authenticate(&token)).await??;
    found.map(Some).ok_or_else(|| ApiError::Unauthorized("the API token is not valid or was revoked".into()))
}

impl FromRequest for Admin {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let who = caller(&req).await?;
            if who.role != Role::Admin {
                return Err(ApiError::Forbidden(format!(
                    "token '{}' is a {} token; this needs an admin token",
                    who.name,
                    who.role.as_str()
                )));
            }
            Ok(Admin(who))
        })
    }
}

/// The caller of a public route: anyone, or the holder of a caseworker or admin token, who sees
/// more of confidential providers (DESIGN §7). A token that is sent must be valid.
pub struct Viewer(pub Option<Caller>);

impl Viewer {
    pub fn role(&self) -> Option<Role> {
        self.0.as_ref().map(|c| c.role)
    }
}

impl FromRequest for Viewer {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { Ok(Viewer(caller_if_any(&req).await?)) })
    }
}

/// Records in the audit log which confidential providers, and which of their fields, an answer
/// showed to a token holder, without making the reader wait. Nothing to record for the public.
pub fn audit_reveals(state: &AppState, viewer: &Viewer, items: &[ProviderDto]) {
    let Some(who) = &viewer.0 else { return };
    let shown: Vec<String> = items
        .iter()
        .filter_map(|i| {
            let revealed = i.revealed_fields();
            (!revealed.is_empty()).then(|| format!("provider {} ({revealed})", i.id))
        })
        .collect();
    if shown.is_empty() {
        return;
    }
    state.service.audit_queue().record(&who.name, "reveal", shown.join("; "), shown.len() as i64);
}
