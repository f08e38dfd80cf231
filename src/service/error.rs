//! What a use case can fail with, in the caller's terms; the store's own error enums stop here.

use crate::db::{DbError, EditError, RevertError, TokenError};
use crate::ingest::RowProblem;

/// One invalid input, named by its field (a CSV column, or `body`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
}

impl FieldProblem {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        FieldProblem { field: field.into(), message: message.into() }
    }
}

impl From<RowProblem> for FieldProblem {
    fn from(p: RowProblem) -> Self {
        FieldProblem::new(p.column.unwrap_or_else(|| "body".into()), p.message)
    }
}

/// A record changed after the import being reverted (re-exported from the store: plain data).
pub use crate::db::RevertConflict;

#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    #[error("{0}")]
    NotFound(String),
    /// The request clashes with the stored state; `conflicts` lists records when there are any.
    #[error("{detail}")]
    Conflict { detail: String, conflicts: Vec<RevertConflict> },
    #[error("{}", .0.iter().map(|p| p.message.as_str()).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldProblem>),
    /// The database is busy or unreachable: worth trying again shortly. The text is for the
    /// caller (the cause is logged where it is found).
    #[error("{0}")]
    Unavailable(String),
    /// A fault on our side; the text is for the log, not the caller.
    #[error("{0}")]
    Internal(String),
}

impl ServiceError {
    pub fn field(field: &str, message: impl Into<String>) -> ServiceError {
        ServiceError::Invalid(vec![FieldProblem::new(field, message)])
    }

    pub fn conflict(detail: impl Into<String>) -> ServiceError {
        ServiceError::Conflict { detail: detail.into(), conflicts: vec![] }
    }
}

impl From<DbError> for ServiceError {
    fn from(e: DbError) -> Self {
        let busy = match &e {
            DbError::Pool(_) => true,
            DbError::Query(diesel::result::Error::DatabaseError(_, info)) => {
                let m = info.message();
                m.contains("database is locked") || m.contains("busy") || m.contains("unable to open")
            }
            _ => false,
        };
        if !busy {
            return ServiceError::Internal(e.to_string());
        }
        tracing::warn!(cause = %e, "the database is busy or unreachable");
        ServiceError::Unavailable("the database is busy or unreachable; try again shortly".into())
    }
}

impl From<EditError> for ServiceError {
    fn from(e: EditError) -> Self {
        match e {
            EditError::NotFound(id) => ServiceError::NotFound(format!("no provider has id {id}")),
            e @ EditError::ExternalIdTaken(..) => ServiceError::field("external_id", e.to_string()),
            e @ EditError::NoDrawnPoint(_) => ServiceError::conflict(e.to_string()),
            EditError::Refused => ServiceError::Internal("an edit was refused without a reason".into()),
            EditError::Db(e) => e.into(),
        }
    }
}

impl From<RevertError> for ServiceError {
    fn from(e: RevertError) -> Self {
        let detail = e.to_string();
        match e {
            RevertError::NotFound(_) => ServiceError::NotFound(detail),
            RevertError::AlreadyReverted(..) => ServiceError::conflict(detail),
            RevertError::Conflict { conflicts, .. } => ServiceError::Conflict { detail, conflicts },
            RevertError::Db(e) => e.into(),
        }
    }
}

impl From<TokenError> for ServiceError {
    fn from(e: TokenError) -> Self {
        match e {
            e @ TokenError::NameTaken(_) => ServiceError::conflict(e.to_string()),
            e @ TokenError::NoSuchToken(_) => ServiceError::NotFound(e.to_string()),
            e @ TokenError::BadName => ServiceError::field("name", e.to_string()),
            TokenError::Db(e) => e.into(),
        }
    }
}
