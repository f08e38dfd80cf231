//! What the admin routes answer: DTOs (with their OpenAPI schemas) mapped from the service's
//! types, so no row or domain type is served as JSON. Schema names stay those of the spec.

use crate::model::{ImportMode, OnError};
use crate::service::{AuditEntry, ImportRecord, RevertConflict};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

/// Upsert keeps providers missing from the file; replace deactivates them (never deletes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = ImportMode)]
#[serde(rename_all = "lowercase")]
pub enum ImportModeDto {
    Upsert,
    Replace,
}

impl From<ImportMode> for ImportModeDto {
    fn from(m: ImportMode) -> Self {
        match m {
            ImportMode::Upsert => ImportModeDto::Upsert,
            ImportMode::Replace => ImportModeDto::Replace,
        }
    }
}

/// What to do with invalid rows: write nothing, or write the valid rows and report the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = OnError)]
#[serde(rename_all = "lowercase")]
pub enum OnErrorDto {
    Abort,
    Skip,
}

impl From<OnError> for OnErrorDto {
    fn from(o: OnError) -> Self {
        match o {
            OnError::Abort => OnErrorDto::Abort,
            OnError::Skip => OnErrorDto::Skip,
        }
    }
}

/// One entry of the audit log.
#[derive(Debug, Serialize, ToSchema)]
#[schema(as = AuditEntry)]
pub struct AuditEntryDto {
    pub id: i64,
    /// RFC 3339.
    pub at: String,
    /// Token name, or "cli".
    pub actor: String,
    pub action: String,
    pub detail: String,
    /// How many records the action touched.
    pub records: i64,
}

impl From<AuditEntry> for AuditEntryDto {
    fn from(e: AuditEntry) -> Self {
        AuditEntryDto {
            id: e.id,
            at: e.at,
            actor: e.actor,
            action: e.action,
            detail: e.detail,
            records: e.records,
        }
    }
}

/// One entry of the import history.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportDto {
    pub id: i64,
    pub created_at: String,
    /// Token name, or "cli".
    pub actor: String,
    pub source: String,
    /// upsert, replace or revert.
    pub mode: String,
    pub on_error: String,
    pub reverts_import: Option<i64>,
    pub reverted_by: Option<i64>,
    /// The report as returned when the import ran.
    #[schema(value_type = Object)]
    pub report: Value,
}

impl From<ImportRecord> for ImportDto {
    fn from(r: ImportRecord) -> Self {
        ImportDto {
            id: r.id,
            created_at: r.created_at,
            actor: r.actor,
            source: r.source,
            mode: r.mode,
            on_error: r.on_error,
            reverts_import: r.reverts_import,
            reverted_by: r.reverted_by,
            report: serde_json::from_str(&r.report).unwrap_or(Value::Null),
        }
    }
}

/// A page of an admin list.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdminPage<T> {
    pub items: Vec<T>,
    pub total: i64,
    /// Pass as `offset` for the next page; null on the last page.
    pub next_offset: Option<i64>,
}

impl<T> AdminPage<T> {
    /// The page at `offset` of a list of `total` entries, each mapped to its DTO.
    pub fn new<S>(items: Vec<S>, total: i64, offset: i64) -> Self
    where
        T: From<S>,
    {
        let next = offset + items.len() as i64;
        let next_offset = (next < total && !items.is_empty()).then_some(next);
        AdminPage { items: items.into_iter().map(T::from).collect(), total, next_offset }
    }
}

/// The answer to a revert.
#[derive(Debug, Serialize, ToSchema)]
pub struct RevertDto {
    /// The history entry of the revert itself.
    pub import_id: i64,
    pub reverted_import: i64,
    /// Records restored to their state before the reverted import.
    pub restored: usize,
}

/// A record changed after the import being reverted.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = RevertConflict)]
pub struct RevertConflictDto {
    pub provider_id: i64,
    pub external_id: String,
    /// The later import that changed it, when it was an import.
    pub changed_by_import: Option<i64>,
}

impl From<RevertConflict> for RevertConflictDto {
    fn from(c: RevertConflict) -> Self {
        RevertConflictDto {
            provider_id: c.provider_id,
            external_id: c.external_id,
            changed_by_import: c.changed_by_import,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_schemas_name_the_values_the_model_serialises() {
        for m in [ImportMode::Upsert, ImportMode::Replace] {
            assert_eq!(
                serde_json::to_value(ImportModeDto::from(m)).unwrap(),
                serde_json::to_value(m).unwrap()
            );
        }
        for o in [OnError::Abort, OnError::Skip] {
            assert_eq!(serde_json::to_value(OnErrorDto::from(o)).unwrap(), serde_json::to_value(o).unwrap());
        }
    }

    #[test]
    fn a_page_points_to_the_next_one_until_the_last() {
        let page = AdminPage::<RevertDto>::new(Vec::<RevertDto>::new(), 0, 0);
        assert_eq!(page.next_offset, None);
        let entry = |id| AuditEntry {
            id,
            at: String::new(),
            actor: String::new(),
            action: String::new(),
            detail: String::new(),
            records: 0,
        };
        let page = AdminPage::<AuditEntryDto>::new(vec![entry(1), entry(2)], 5, 2);
        assert_eq!((page.items.len(), page.next_offset), (2, Some(4)));
        let page = AdminPage::<AuditEntryDto>::new(vec![entry(1)], 5, 4);
        assert_eq!(page.next_offset, None);
    }
}
