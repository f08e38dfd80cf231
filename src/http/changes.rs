//! The change feed: which providers changed after a point, so that a mirror or a search index
//! stays in step without downloading every provider again. It names providers and changes only;
//! a mirror reads each changed provider's public answer.

use super::AppState;
use super::params::Params;
use super::problem::{ApiError, PROBLEM_JSON, Problem};
use super::providers::encode;
use crate::model::{ChangeKind, FeedPosition};
use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use utoipa::ToSchema;

/// Entries per page unless `limit` says otherwise, and the most a page holds.
const DEFAULT_LIMIT: u64 = 1_000;
const MAX_LIMIT: u64 = 10_000;

/// What a provider's latest change did. A mirror treats `created` and `updated` alike (read the
/// provider and keep it) and `deactivated` and `deleted` alike (drop it).
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ChangeName {
    Created,
    Updated,
    Deactivated,
    Deleted,
}

impl From<ChangeKind> for ChangeName {
    fn from(k: ChangeKind) -> ChangeName {
        match k {
            ChangeKind::Created => ChangeName::Created,
            ChangeKind::Updated => ChangeName::Updated,
            ChangeKind::Deactivated => ChangeName::Deactivated,
            ChangeKind::Deleted => ChangeName::Deleted,
        }
    }
}

/// One provider at its latest change.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangeDto {
    /// The provider's id (`GET /v1/providers/{id}`).
    pub id: i64,
    pub change: ChangeName,
    /// The change sequence value of that change.
    pub seq: i64,
}

/// A page of the change feed, in (seq, id) order.
#[derive(Debug, Serialize, ToSchema)]
pub struct ChangePage {
    pub items: Vec<ChangeDto>,
    /// Give it as `cursor` for the next page; null on the last page.
    pub next_cursor: Option<String>,
    /// The change this answer is complete up to (the published snapshot's), so every provider
    /// listed already reads as changed. After the last page, ask again later with
    /// `since=last_seq`.
    pub last_seq: i64,
}

/// A cursor: the position after the last entry of a page, as 16 bytes (seq and id).
fn encode_cursor(p: FeedPosition) -> String {
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&p.seq.to_be_bytes());
    bytes[8..].copy_from_slice(&p.id.to_be_bytes());
    URL_SAFE_NO_PAD.encode(bytes)
}

fn decode_cursor(raw: &str) -> Option<FeedPosition> {
    let bytes: [u8; 16] = URL_SAFE_NO_PAD.decode(raw).ok()?.try_into().ok()?;
    let seq = i64::from_be_bytes(bytes[..8].try_into().ok()?);
    let id = i64::from_be_bytes(bytes[8..].try_into().ok()?);
    (seq >= 0).then_some(FeedPosition { seq, id })
}

/// The providers whose latest change came after change `since`.
#[utoipa::path(
    get, path = "/v1/changes", tag = "providers",
    operation_id = "listChanges",
    params(
        ("since" = Option<i64>, Query, minimum = 0, description = "List changes after this one: 0 (the default) for every provider there is, else the `last_seq` of an earlier answer"),
        ("limit" = Option<u64>, Query, minimum = 1, maximum = 10000, description = "Entries per page (default 1000)"),
        ("cursor" = Option<String>, Query, description = "`next_cursor` of the previous page; it carries the position, so `since` is not needed with it"),
    ),
    responses(
        (status = 200, description = "Each provider changed after `since` once, at its latest change, in (seq, id) order", body = ChangePage),
        (status = 400, description = "Invalid input", body = Problem, content_type = PROBLEM_JSON),
        (status = 410, description = "`since` is older than the feed's history: copy every provider again (providers.ndjson) and follow the feed from 0", body = Problem, content_type = PROBLEM_JSON),
    )
)]
pub async fn changes(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let mut p = Params::parse(req.query_string(), &["since", "limit", "cursor"]);
    let since = p.int_in("since", 0, i64::MAX as u64, 0) as i64;
    let limit = p.int_in("limit", 1, MAX_LIMIT, DEFAULT_LIMIT) as usize;
    let cursor = match p.str("cursor").map(decode_cursor) {
        Some(None) => {
            p.errors.push(super::problem::FieldError::new(
                "cursor",
                "is not a cursor of this feed; give next_cursor as it was, or start from since",
            ));
            None
        }
        Some(found) => found,
        None => None,
    };
    p.finish()?;
    let from = cursor.unwrap_or(FeedPosition::after_change(since));
    let service = state.service.clone();
    let page = web::block(move || service.changes(from, limit)).await??;
    let answer = ChangePage {
        items: page
            .changes
            .iter()
            .map(|c| ChangeDto { id: c.id, change: c.kind.into(), seq: c.seq })
            .collect(),
        next_cursor: page.next.map(encode_cursor),
        last_seq: page.until,
    };
    Ok(HttpResponse::Ok().content_type("application/json").body(encode(&answer)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_carry_their_position_and_refuse_anything_else() {
        for p in [FeedPosition { seq: 0, id: 1 }, FeedPosition { seq: 41, id: i64::MAX }] {
            assert_eq!(decode_cursor(&encode_cursor(p)), Some(p));
        }
        assert_eq!(decode_cursor("not a cursor"), None);
        assert_eq!(decode_cursor(&URL_SAFE_NO_PAD.encode([0u8; 15])), None);
        let negative = encode_cursor(FeedPosition { seq: -1, id: 3 });
        assert_eq!(decode_cursor(&negative), None);
    }
}
