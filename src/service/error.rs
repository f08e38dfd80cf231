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
    /// What was asked for existed once and is no longer kept (a change feed position older
    /// than the feed's history). The text is for the caller.
    #[error("{0}")]
    Gone(String),
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
            // A PostgreSQL server that went away mid-query.
            DbError::Query(diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::ClosedConnection,
                _,
            )) => true,
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

#[cfg(test)]
mod tests {
    use super::*;
    use diesel::result::{DatabaseErrorKind, Error};

    fn query_error(message: &str) -> DbError {
        DbError::Query(Error::DatabaseError(DatabaseErrorKind::Unknown, Box::new(message.to_string())))
    }

    #[test]
    fn a_busy_database_is_unavailable_and_other_faults_are_internal() {
        assert!(matches!(
            ServiceError::from(query_error("database is locked")),
            ServiceError::Unavailable(_)
        ));
        assert!(matches!(ServiceError::from(query_error("no such table: x")), ServiceError::Internal(_)));
        let closed = DbError::Query(Error::DatabaseError(
            DatabaseErrorKind::ClosedConnection,
            Box::new("server closed the connection unexpectedly".to_string()),
        ));
        assert!(matches!(ServiceError::from(closed), ServiceError::Unavailable(_)));
        assert!(matches!(ServiceError::from(DbError::Migration("x".into())), ServiceError::Internal(_)));
    }

    #[test]
    fn store_errors_keep_their_messages() {
        let e = ServiceError::from(TokenError::BadName);
        assert_eq!(e.to_string(), TokenError::BadName.to_string(), "the CLI prints the same line");
        assert!(matches!(&e, ServiceError::Invalid(p) if p[0].field == "name"));
        let e = ServiceError::from(EditError::ExternalIdTaken("a".into(), 3));
        assert!(matches!(&e, ServiceError::Invalid(p) if p[0].field == "external_id"));
        assert!(
            matches!(ServiceError::from(EditError::NotFound(9)), ServiceError::NotFound(m) if m == "no provider has id 9")
        );
        let conflicts =
            vec![RevertConflict { provider_id: 1, external_id: "a".into(), changed_by_import: Some(4) }];
        let e = ServiceError::from(RevertError::Conflict { import: 2, conflicts: conflicts.clone() });
        match e {
            ServiceError::Conflict { detail, conflicts: got } => {
                assert!(detail.starts_with("1 record(s) changed after import 2"), "{detail}");
                assert_eq!(got, conflicts);
            }
            other => panic!("{other:?}"),
        }
        assert!(
            matches!(ServiceError::from(RevertError::NotFound(5)), ServiceError::NotFound(m) if m == "import 5 does not exist")
        );
    }
}
