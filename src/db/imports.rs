//! Imports in one transaction, their history with reports, and exact reverts.

use super::rows::{ProviderFields, ProviderRow, now_text};
use super::schema::{imports, provider_versions, providers};
use super::{Db, DbError, audit::write_audit};
use crate::model::ProviderData;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};

/// SQLite allows at most 32,766 bound variables per statement; each provider row binds 32.
const INSERT_BATCH: usize = 500;

/// Upsert keeps providers missing from the file; replace deactivates them (never deletes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ImportMode {
    Upsert,
    Replace,
}

impl ImportMode {
    pub fn as_str(self) -> &'static str {
        match self {
            ImportMode::Upsert => "upsert",
            ImportMode::Replace => "replace",
        }
    }
}

/// Who imports what, for the history and the audit log.
#[derive(Debug, Clone)]
pub struct ImportMeta {
    pub actor: String,
    pub source: String,
    pub mode: ImportMode,
    pub on_error: String,
}

/// What an import did (or would do) to the stored records.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct WriteCounts {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub deactivated: usize,
}

/// One entry of the import history.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = imports)]
pub struct ImportRecord {
    pub id: i64,
    pub created_at: String,
    pub actor: String,
    pub source: String,
    pub mode: String,
    pub on_error: String,
    pub reverts_import: Option<i64>,
    pub reverted_by: Option<i64>,
    /// The report as JSON.
    pub report: String,
}

/// Why a revert cannot go ahead.
#[derive(Debug, thiserror::Error)]
pub enum RevertError {
    #[error("import {0} does not exist")]
    NotFound(i64),
    #[error("import {0} was already reverted by import {1}")]
    AlreadyReverted(i64, i64),
    #[error("{} record(s) changed after import {import}, so reverting it would overwrite later work", conflicts.len())]
    Conflict { import: i64, conflicts: Vec<RevertConflict> },
    #[error(transparent)]
    Db(#[from] DbError),
}

/// A record changed after the import being reverted.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RevertConflict {
    pub provider_id: i64,
    pub external_id: String,
    /// The later import that changed it, when it was an import.
    pub changed_by_import: Option<i64>,
}

impl From<diesel::result::Error> for RevertError {
    fn from(e: diesel::result::Error) -> Self {
        RevertError::Db(DbError::Query(e))
    }
}

enum RollBack<E> {
    DryRun(WriteCounts),
    Err(E),
}

impl<E: From<diesel::result::Error>> From<diesel::result::Error> for RollBack<E> {
    fn from(e: diesel::result::Error) -> Self {
        RollBack::Err(E::from(e))
    }
}

fn to_json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).expect("rows serialise")
}

impl Db {
    /// Writes `records` in one transaction: upsert by external id, and with `Replace` deactivate
    /// active providers the file lacks. Every changed row's before and after is kept for revert.
    /// `report` turns the counts and the new import id into the report JSON stored in history.
    /// With `dry_run` the transaction is rolled back, so the counts are exactly a real run's.
    pub fn import(
        &self,
        records: &[ProviderData],
        meta: &ImportMeta,
        dry_run: bool,
        report: impl FnOnce(WriteCounts, i64) -> String,
    ) -> Result<(WriteCounts, Option<i64>), DbError> {
        let mut conn = self.pool.get()?;
        // IMMEDIATE takes the write lock up front, so concurrent imports queue instead of failing.
        let result = conn.immediate_transaction::<_, RollBack<DbError>, _>(|conn| {
            let import_id = insert_import(conn, meta, None)?;
            let counts = import_in(conn, records, meta.mode, import_id)?;
            if dry_run {
                return Err(RollBack::DryRun(counts));
            }
            diesel::update(imports::table.find(import_id))
                .set(imports::report.eq(report(counts, import_id)))
                .execute(conn)?;
            let changed = counts.created + counts.updated + counts.deactivated;
            let detail = format!(
                "import {import_id} ({}, {}): {} created, {} updated, {} unchanged, {} deactivated",
                meta.mode.as_str(),
                meta.source,
                counts.created,
                counts.updated,
                counts.unchanged,
                counts.deactivated
            );
            write_audit(conn, &meta.actor, "import", &detail, changed as i64)?;
            Ok((counts, Some(import_id)))
        });
        match result {
            Ok(done) => Ok(done),
            Err(RollBack::DryRun(counts)) => Ok((counts, None)),
            Err(RollBack::Err(e)) => Err(e),
        }
    }

    /// Restores every record import `id` touched to its state before it, as a new import.
    pub fn revert_import(&self, id: i64, actor: &str) -> Result<(i64, usize), RevertError> {
        let mut conn = self.pool.get().map_err(DbError::from)?;
        conn.immediate_transaction::<_, RevertError, _>(|conn| {
            let target: ImportRecord = imports::table
                .find(id)
                .select(ImportRecord::as_select())
                .first(conn)
                .optional()?
                .ok_or(RevertError::NotFound(id))?;
            if let Some(by) = target.reverted_by {
                return Err(RevertError::AlreadyReverted(id, by));
            }
            let versions: Vec<(i64, Option<String>, Option<String>)> = provider_versions::table
                .filter(provider_versions::import_id.eq(id))
                .order(provider_versions::id)
                .select((
                    provider_versions::provider_id,
                    provider_versions::before_json,
                    provider_versions::after_json,
                ))
                .load(conn)?;
            // Every record must still be exactly as the import left it.
            let mut conflicts = Vec::new();
            let mut plan = Vec::new();
            for (provider_id, before, after) in versions {
                let current: Option<ProviderRow> = providers::table
                    .find(provider_id)
                    .select(ProviderRow::as_select())
                    .first(conn)
                    .optional()?;
                let after: Option<ProviderRow> =
                    after.map(|a| serde_json::from_str(&a)).transpose().map_err(corrupt)?;
                if current != after {
                    let later: Option<i64> = provider_versions::table
                        .filter(provider_versions::provider_id.eq(provider_id))
                        .filter(provider_versions::import_id.gt(id))
                        .select(provider_versions::import_id)
                        .order(provider_versions::import_id.desc())
                        .first(conn)
                        .optional()?;
                    let external_id = current.or(after).map(|r| r.fields.external_id).unwrap_or_default();
                    conflicts.push(RevertConflict { provider_id, external_id, changed_by_import: later });
                    continue;
                }
                let before: Option<ProviderRow> =
                    before.map(|b| serde_json::from_str(&b)).transpose().map_err(corrupt)?;
                plan.push((provider_id, current, before));
            }
            if !conflicts.is_empty() {
                return Err(RevertError::Conflict { import: id, conflicts });
            }
            let meta = ImportMeta {
                actor: actor.to_string(),
                source: format!("revert of import {id}"),
                mode: ImportMode::Upsert,
                on_error: "abort".into(),
            };
            let revert_id = insert_import(conn, &meta, Some(id))?;
            for (provider_id, current, before) in &plan {
                match before {
                    // The import created this record: the state before it is no record at all.
                    None => {
                        diesel::delete(providers::table.find(provider_id)).execute(conn)?;
                    }
                    Some(row) => {
                        diesel::update(providers::table.find(provider_id))
                            .set((
                                &row.fields,
                                providers::created_at.eq(&row.created_at),
                                providers::updated_at.eq(&row.updated_at),
                            ))
                            .execute(conn)?;
                    }
                }
                diesel::insert_into(provider_versions::table)
                    .values((
                        provider_versions::import_id.eq(revert_id),
                        provider_versions::provider_id.eq(provider_id),
                        provider_versions::before_json.eq(current.as_ref().map(to_json)),
                        provider_versions::after_json.eq(before.as_ref().map(to_json)),
                    ))
                    .execute(conn)?;
            }
            let report = serde_json::json!({"reverted_import": id, "restored": plan.len()}).to_string();
            diesel::update(imports::table.find(revert_id)).set(imports::report.eq(report)).execute(conn)?;
            diesel::update(imports::table.find(id)).set(imports::reverted_by.eq(revert_id)).execute(conn)?;
            write_audit(
                conn,
                actor,
                "revert",
                &format!("import {revert_id} reverted import {id}"),
                plan.len() as i64,
            )?;
            Ok((revert_id, plan.len()))
        })
    }

    /// Import history, newest first.
    pub fn list_imports(&self, offset: i64, limit: i64) -> Result<(Vec<ImportRecord>, i64), DbError> {
        let mut conn = self.pool.get()?;
        let total = imports::table.count().get_result(&mut conn)?;
        let items = imports::table
            .order(imports::id.desc())
            .offset(offset)
            .limit(limit)
            .select(ImportRecord::as_select())
            .load(&mut conn)?;
        Ok((items, total))
    }

    pub fn get_import(&self, id: i64) -> Result<Option<ImportRecord>, DbError> {
        let mut conn = self.pool.get()?;
        Ok(imports::table.find(id).select(ImportRecord::as_select()).first(&mut conn).optional()?)
    }
}

fn corrupt(e: serde_json::Error) -> RevertError {
    RevertError::Db(DbError::Open(format!("stored version is not valid JSON: {e}")))
}

fn insert_import(conn: &mut SqliteConnection, meta: &ImportMeta, reverts: Option<i64>) -> QueryResult<i64> {
    diesel::insert_into(imports::table)
        .values((
            imports::created_at.eq(now_text()),
            imports::actor.eq(&meta.actor),
            imports::source.eq(&meta.source),
            imports::mode.eq(if reverts.is_some() { "revert" } else { meta.mode.as_str() }),
            imports::on_error.eq(&meta.on_error),
            imports::reverts_import.eq(reverts),
            imports::report.eq("{}"),
        ))
        .returning(imports::id)
        .get_result(conn)
}

fn record_version(
    conn: &mut SqliteConnection,
    import_id: i64,
    before: Option<&ProviderRow>,
    after: &ProviderRow,
) -> QueryResult<usize> {
    diesel::insert_into(provider_versions::table)
        .values((
            provider_versions::import_id.eq(import_id),
            provider_versions::provider_id.eq(after.id),
            provider_versions::before_json.eq(before.map(to_json)),
            provider_versions::after_json.eq(Some(to_json(after))),
        ))
        .execute(conn)
}

fn import_in(
    conn: &mut SqliteConnection,
    records: &[ProviderData],
    mode: ImportMode,
    import_id: i64,
) -> QueryResult<WriteCounts> {
    let existing: HashMap<String, ProviderRow> = providers::table
        .select(ProviderRow::as_select())
        .load::<ProviderRow>(conn)?
        .into_iter()
        .map(|r| (r.fields.external_id.clone(), r))
        .collect();
    let now = now_text();
    let mut counts = WriteCounts::default();
    let mut new_rows = Vec::new();
    let mut seen: HashSet<&str> = HashSet::with_capacity(records.len());
    for record in records {
        let fields = ProviderFields::from(record);
        seen.insert(&record.external_id);
        match existing.get(&fields.external_id) {
            Some(old) if old.fields == fields => counts.unchanged += 1,
            Some(old) => {
                let after = ProviderRow {
                    id: old.id,
                    fields,
                    created_at: old.created_at.clone(),
                    updated_at: now.clone(),
                };
                diesel::update(providers::table.find(old.id))
                    .set((&after.fields, providers::updated_at.eq(&now)))
                    .execute(conn)?;
                record_version(conn, import_id, Some(old), &after)?;
                counts.updated += 1;
            }
            None => new_rows.push(fields),
        }
    }
    if mode == ImportMode::Replace {
        for old in existing
            .values()
            .filter(|r| r.fields.status == "active" && !seen.contains(r.fields.external_id.as_str()))
        {
            let mut after = old.clone();
            after.fields.status = "inactive".into();
            after.updated_at = now.clone();
            diesel::update(providers::table.find(old.id))
                .set((providers::status.eq("inactive"), providers::updated_at.eq(&now)))
                .execute(conn)?;
            record_version(conn, import_id, Some(old), &after)?;
            counts.deactivated += 1;
        }
    }
    counts.created = new_rows.len();
    for batch in new_rows.chunks(INSERT_BATCH) {
        let values: Vec<_> = batch
            .iter()
            .map(|f| (f.clone(), providers::created_at.eq(&now), providers::updated_at.eq(&now)))
            .collect();
        let ids: Vec<i64> = diesel::insert_into(providers::table)
            .values(&values)
            .returning(providers::id)
            .get_results(conn)?;
        for (id, fields) in ids.into_iter().zip(batch) {
            let after =
                ProviderRow { id, fields: fields.clone(), created_at: now.clone(), updated_at: now.clone() };
            record_version(conn, import_id, None, &after)?;
        }
    }
    Ok(counts)
}
