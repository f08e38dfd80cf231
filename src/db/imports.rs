//! Imports in one transaction, their history with reports, and exact reverts.

use super::changes::{self, MARKED_MAX, Wrote};
use super::rows::{DIGEST_LEN, ProviderFields, ProviderRow, now_text, row_digest};
use super::schema::{created_runs, imports, provider_versions, providers};
use super::{AnyConnection, write_transaction};
use super::{Db, DbError, audit::write_audit, public_points};
use crate::model::{ImportMode, OnError, ProviderData};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde::Serialize;
use std::collections::{HashMap, HashSet};

/// Who imports what, for the history and the audit log.
#[derive(Debug, Clone)]
pub struct ImportMeta {
    pub actor: String,
    pub source: String,
    pub mode: ImportMode,
    pub on_error: OnError,
}

/// What an import did (or would do) to the stored records.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
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
#[derive(Debug, Clone, PartialEq, Eq)]
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
    /// Runs an import in one transaction. `feed` parses the file and hands each valid record to
    /// the sink, which writes them in batches (upsert by external id; versions kept for revert);
    /// afterwards `Replace` deactivates active providers the file lacked. `finish` sees what
    /// `feed` returned and the counts, and gives the report JSON to commit, or `None` to roll
    /// everything back (dry run, rejected file), so counts are always a real run's.
    pub fn import<R>(
        &self,
        meta: &ImportMeta,
        feed: impl FnOnce(&mut ImportSink<'_>) -> R,
        finish: impl FnOnce(&R, WriteCounts, i64) -> Option<String>,
    ) -> Result<(WriteCounts, Option<i64>, R), DbError> {
        let mut conn = self.pool.get()?;
        let sqlite = matches!(*conn, AnyConnection::Sqlite(_));
        if sqlite {
            conn.batch_execute(&format!(
                "PRAGMA cache_size = -{IMPORT_CACHE_KIB}; PRAGMA temp_store = MEMORY"
            ))?;
        }
        let mut fed: Option<R> = None;
        // IMMEDIATE takes the write lock up front, so concurrent imports queue instead of failing.
        let result = write_transaction::<_, RollBack<DbError>, _>(&mut conn, |conn| {
            let import_id = insert_import(conn, meta, None)?;
            let mut sink = ImportSink::new(conn, import_id, meta)?;
            let seq = sink.seq;
            let out = feed(&mut sink);
            let counts = sink.finish()?;
            let report = finish(&out, counts, import_id);
            fed = Some(out);
            let Some(report) = report else { return Err(RollBack::DryRun(counts)) };
            diesel::update(imports::table.find(import_id)).set(imports::report.eq(report)).execute(conn)?;
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
            if changed > 0 {
                changes::bump(conn, Wrote::Marked { seq })?;
            }
            Ok((counts, Some(import_id)))
        });
        if sqlite {
            conn.batch_execute(&format!(
                "PRAGMA cache_size = -{DEFAULT_CACHE_KIB}; PRAGMA temp_store = DEFAULT"
            ))?;
        }
        let (counts, id) = match result {
            Ok(done) => done,
            Err(RollBack::DryRun(counts)) => (counts, None),
            Err(RollBack::Err(e)) => return Err(e),
        };
        // PostgreSQL plans from statistics autovacuum gathers only a while later; until then a
        // start-up's paged read of a freshly imported table sorts every active row for each page
        // (45 s instead of 6 s at 1M). The import is committed: a failure here is only logged.
        let changed = counts.created + counts.updated + counts.deactivated;
        if !sqlite
            && id.is_some()
            && changed > MARKED_MAX
            && let Err(e) = conn.batch_execute("ANALYZE providers")
        {
            tracing::warn!(error = %e, "ANALYZE after a large import failed");
        }
        Ok((counts, id, fed.expect("feed ran")))
    }

    /// Restores every record import `id` touched to its state before it, as a new import.
    pub fn revert_import(&self, id: i64, actor: &str) -> Result<(i64, usize), RevertError> {
        let mut conn = self.pool.get().map_err(DbError::from)?;
        write_transaction::<_, RevertError, _>(&mut conn, |conn| {
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
                    let later = later_import(conn, provider_id, id)?;
                    let external_id = current.or(after).map(|r| r.fields.external_id).unwrap_or_default();
                    conflicts.push(RevertConflict { provider_id, external_id, changed_by_import: later });
                    continue;
                }
                let mut before: Option<ProviderRow> =
                    before.map(|b| serde_json::from_str(&b)).transpose().map_err(corrupt)?;
                // A version kept before public points were stored has none: settle one, so the
                // restored record is never left without a public point.
                let mut drawn = None;
                if let Some(row) = before.as_mut().filter(|r| r.drawn().is_none()) {
                    drawn = public_points::settle(current.as_ref(), row);
                }
                plan.push((provider_id, current, before, drawn));
            }
            // A record the import created must still be there with the digest of the row it
            // wrote. Read a run of ids at a time: the records of one run are neighbours.
            let created = created_by(conn, id)?;
            for run in created.chunk_by(|a, b| b.0 == a.0 + 1) {
                let (first, last) = (run[0].0, run[run.len() - 1].0);
                let mut current: HashMap<i64, ProviderRow> = providers::table
                    .filter(providers::id.between(first, last))
                    .select(ProviderRow::as_select())
                    .load(conn)?
                    .into_iter()
                    .map(|r| (r.id, r))
                    .collect();
                for (provider_id, digest) in run {
                    let current = current.remove(provider_id);
                    if current.as_ref().map(row_digest) != Some(*digest) {
                        let later = later_import(conn, *provider_id, id)?;
                        // A record deleted since (by hand: nothing else deletes a record an
                        // import created and which that import still lists) has no name left.
                        let external_id = current.map(|r| r.fields.external_id).unwrap_or_default();
                        conflicts.push(RevertConflict {
                            provider_id: *provider_id,
                            external_id,
                            changed_by_import: later,
                        });
                        continue;
                    }
                    plan.push((*provider_id, current, None, None));
                }
            }
            if !conflicts.is_empty() {
                return Err(RevertError::Conflict { import: id, conflicts });
            }
            let meta = ImportMeta {
                actor: actor.to_string(),
                source: format!("revert of import {id}"),
                mode: ImportMode::Upsert,
                on_error: OnError::Abort,
            };
            let revert_id = insert_import(conn, &meta, Some(id))?;
            let seq = changes::next(conn)?;
            let mut deleted = Vec::new();
            for (provider_id, current, before, drawn) in &plan {
                if let Some(rule) = drawn {
                    public_points::audit_draw(conn, actor, *provider_id, rule)?;
                }
                match before {
                    // The import created this record: the state before it is no record at all.
                    None => {
                        diesel::delete(providers::table.find(provider_id)).execute(conn)?;
                        deleted.push(*provider_id);
                    }
                    Some(row) => {
                        diesel::update(providers::table.find(provider_id))
                            .set((
                                &row.fields,
                                providers::drawn_lat.eq(row.drawn_lat),
                                providers::drawn_lon.eq(row.drawn_lon),
                                providers::created_at.eq(&row.created_at),
                                providers::updated_at.eq(&row.updated_at),
                                providers::change_seq.eq(seq),
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
            // Deleted rows cannot be marked: they leave tombstones, and servers reload.
            let wrote = if deleted.is_empty() {
                Wrote::Marked { seq }
            } else {
                changes::bury(conn, &deleted, seq)?;
                Wrote::MarkedAndDeleted { seq }
            };
            changes::bump(conn, wrote)?;
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

/// SQLite's page cache for an import's connection, in KiB: a large import touches far more
/// pages than the default 2 MiB hold, and each dirty page pushed out mid-transaction is written
/// to the WAL then, and again when it is touched again. The import also keeps its statement
/// journals (what a multi-row INSERT would undo if it failed half-way) in memory
/// (`temp_store = MEMORY`) instead of a temporary file each statement writes to.
const IMPORT_CACHE_KIB: i64 = 256 * 1024;
/// SQLite's default, restored when the import is done (the connection goes back to the pool).
const DEFAULT_CACHE_KIB: i64 = 2000;

/// The last import after `id` that kept a version of provider `provider_id`.
fn later_import(conn: &mut AnyConnection, provider_id: i64, id: i64) -> QueryResult<Option<i64>> {
    provider_versions::table
        .filter(provider_versions::provider_id.eq(provider_id))
        .filter(provider_versions::import_id.gt(id))
        .select(provider_versions::import_id)
        .order(provider_versions::import_id.desc())
        .first(conn)
        .optional()
}

fn corrupt(e: serde_json::Error) -> RevertError {
    RevertError::Db(DbError::Open(format!("stored version is not valid JSON: {e}")))
}

/// Import ids count 1, 2, 3 on both backends: the next is max + 1, taken under the writers'
/// lock, since a PostgreSQL sequence would skip the ids of rolled-back dry runs.
fn insert_import(conn: &mut AnyConnection, meta: &ImportMeta, reverts: Option<i64>) -> QueryResult<i64> {
    let last: Option<i64> = imports::table.select(diesel::dsl::max(imports::id)).first(conn)?;
    diesel::insert_into(imports::table)
        .values((
            imports::id.eq(last.unwrap_or(0) + 1),
            imports::created_at.eq(now_text()),
            imports::actor.eq(&meta.actor),
            imports::source.eq(&meta.source),
            imports::mode.eq(if reverts.is_some() { "revert" } else { meta.mode.as_str() }),
            imports::on_error.eq(meta.on_error.as_str()),
            imports::reverts_import.eq(reverts),
            imports::report.eq("{}"),
        ))
        .returning(imports::id)
        .get_result(conn)
}

fn record_version(
    conn: &mut AnyConnection,
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

/// Rows per multi-row INSERT of providers: SQLite allows at most 32,766 bound variables per
/// statement, and a provider row binds 37 (880 rows bind 32,560): as few statements to run as
/// the limit allows.
const INSERT_BATCH: usize = 880;
/// Rows per multi-row INSERT of versions (4 variables each): a whole batch.
const VERSIONS_BATCH: usize = IMPORT_BATCH;

/// Runs `body` on the rows `values` yields, `chunk` rows at a time, bound to `rows`: a
/// fixed-size array for full chunks (so diesel prepares a multi-row insert of them once and
/// caches it), a vector for a last, shorter one.
macro_rules! insert_chunked {
    ($chunk:expr, $values:expr, |$rows:ident| $body:block) => {{
        let mut values = $values.peekable();
        while values.peek().is_some() {
            let chunk: Vec<_> = values.by_ref().take($chunk).collect();
            match <Box<[_; $chunk]>>::try_from(chunk.into_boxed_slice()) {
                Ok($rows) => $body,
                Err(rest) => {
                    let $rows = rest.into_vec();
                    $body
                }
            }
        }
    }};
}

/// A version to record: the provider, its row before (none when the import created it) and
/// after.
struct Version {
    provider_id: i64,
    before: Option<String>,
    after: Option<String>,
}

/// Inserts the versions of one batch in multi-row statements.
fn record_versions(conn: &mut AnyConnection, import_id: i64, versions: Vec<Version>) -> QueryResult<()> {
    // Owned values: a cached statement's type must be 'static.
    let values = versions.into_iter().map(|v| {
        (
            provider_versions::import_id.eq(import_id),
            provider_versions::provider_id.eq(v.provider_id),
            provider_versions::before_json.eq(v.before),
            provider_versions::after_json.eq(v.after),
        )
    });
    // The derived connection cannot batch inserts of optional columns; each backend can.
    insert_chunked!(VERSIONS_BATCH, values, |rows| {
        let insert = diesel::insert_into(provider_versions::table).values(rows);
        match &mut *conn {
            AnyConnection::Sqlite(c) => insert.execute(c)?,
            AnyConnection::Postgres(c) => insert.execute(c)?,
        };
    });
    Ok(())
}

/// The error of a multi-row insert that left out `count` rows a constraint refused.
fn refused(count: usize) -> diesel::result::Error {
    diesel::result::Error::DatabaseError(
        diesel::result::DatabaseErrorKind::Unknown,
        Box::new(format!("{count} new provider row(s) refused by a constraint of the providers table")),
    )
}

/// Records the providers an import created, `ids` with their rows' `digests` in the same
/// order: one row of `created_runs` per run of consecutive ids.
fn record_created(
    conn: &mut AnyConnection,
    import_id: i64,
    ids: &[i64],
    digests: &[[u8; DIGEST_LEN]],
) -> QueryResult<()> {
    let mut start = 0;
    while start < ids.len() {
        let mut end = start + 1;
        while end < ids.len() && ids[end] == ids[end - 1] + 1 {
            end += 1;
        }
        diesel::insert_into(created_runs::table)
            .values((
                created_runs::import_id.eq(import_id),
                created_runs::first_id.eq(ids[start]),
                created_runs::last_id.eq(ids[end - 1]),
                created_runs::digests.eq(digests[start..end].concat()),
            ))
            .execute(conn)?;
        start = end;
    }
    Ok(())
}

/// The providers import `id` created, by id, each with the digest of its row as written.
fn created_by(conn: &mut AnyConnection, id: i64) -> QueryResult<Vec<(i64, [u8; DIGEST_LEN])>> {
    let runs: Vec<(i64, i64, Vec<u8>)> = created_runs::table
        .filter(created_runs::import_id.eq(id))
        .order(created_runs::id)
        .select((created_runs::first_id, created_runs::last_id, created_runs::digests))
        .load(conn)?;
    let mut created = Vec::new();
    for (first, last, digests) in runs {
        let count = (last - first + 1) as usize;
        if digests.len() != count * DIGEST_LEN {
            return Err(diesel::result::Error::DeserializationError(
                format!(
                    "created_runs of import {id}: {} digest bytes for ids {first}..={last}",
                    digests.len()
                )
                .into(),
            ));
        }
        for (provider_id, digest) in (first..=last).zip(digests.chunks_exact(DIGEST_LEN)) {
            created.push((provider_id, digest.try_into().expect("chunks of DIGEST_LEN")));
        }
    }
    Ok(created)
}

/// Records rows to write during an import and writes them a batch at a time, so memory holds
/// one batch plus the set of external ids seen.
pub struct ImportSink<'c> {
    conn: &'c mut AnyConnection,
    import_id: i64,
    mode: ImportMode,
    /// Who imports, for the audit rows of drawn public points.
    actor: String,
    now: String,
    /// The providers table held no row when the import began: every record is new (the parser
    /// refuses a file that repeats an external id, and the unique index would refuse it too),
    /// so no batch looks up existing rows.
    into_empty: bool,
    /// The change this import will be: every row it writes is marked with it.
    seq: i64,
    batch: Vec<ProviderData>,
    seen: HashSet<String>,
    counts: WriteCounts,
    /// The first database error; later rows are ignored and `finish` reports it.
    error: Option<diesel::result::Error>,
}

/// Records looked up and written per batch (SQLite binds one variable per looked-up id): two
/// full multi-row inserts when every record is new.
const IMPORT_BATCH: usize = 2 * INSERT_BATCH;

impl<'c> ImportSink<'c> {
    fn new(conn: &'c mut AnyConnection, import_id: i64, meta: &ImportMeta) -> QueryResult<Self> {
        let into_empty = !diesel::select(diesel::dsl::exists(providers::table.select(providers::id)))
            .get_result::<bool>(conn)?;
        let seq = changes::next(conn)?;
        Ok(ImportSink {
            conn,
            import_id,
            mode: meta.mode,
            actor: meta.actor.clone(),
            now: now_text(),
            into_empty,
            seq,
            batch: Vec::with_capacity(IMPORT_BATCH),
            seen: HashSet::new(),
            counts: WriteCounts::default(),
            error: None,
        })
    }

    /// Queues one validated record; writes when a batch is full.
    pub fn push(&mut self, record: ProviderData) {
        if self.error.is_some() {
            return;
        }
        self.batch.push(record);
        if self.batch.len() >= IMPORT_BATCH {
            self.flush();
        }
    }

    fn flush(&mut self) {
        let batch = std::mem::replace(&mut self.batch, Vec::with_capacity(IMPORT_BATCH));
        if let Err(e) = self.write_batch(batch) {
            self.error.get_or_insert(e);
        }
    }

    /// The stored rows of `records`' external ids (none when the table was empty to begin
    /// with).
    fn existing(&mut self, records: &[ProviderData]) -> QueryResult<HashMap<String, ProviderRow>> {
        if self.into_empty {
            return Ok(HashMap::new());
        }
        let ids: Vec<&str> = records.iter().map(|r| r.external_id.as_str()).collect();
        Ok(providers::table
            .filter(providers::external_id.eq_any(&ids))
            .select(ProviderRow::as_select())
            .load::<ProviderRow>(self.conn)?
            .into_iter()
            .map(|r| (r.fields.external_id.clone(), r))
            .collect())
    }

    fn write_batch(&mut self, records: Vec<ProviderData>) -> QueryResult<()> {
        let existing = self.existing(&records)?;
        let conn = &mut *self.conn;
        let now = &self.now;
        let seq = self.seq;
        let mut new_rows = Vec::new();
        let mut versions = Vec::new();
        let mut draws = Vec::new();
        for record in records {
            if self.mode == ImportMode::Replace {
                self.seen.insert(record.external_id.clone());
            }
            let fields = ProviderFields::from(record);
            match existing.get(&fields.external_id) {
                Some(old) if old.fields == fields => self.counts.unchanged += 1,
                Some(old) => {
                    let mut after = ProviderRow { fields, updated_at: now.clone(), ..old.clone() };
                    let drawn = public_points::settle(Some(old), &mut after);
                    diesel::update(providers::table.find(old.id))
                        .set((
                            &after.fields,
                            providers::drawn_lat.eq(after.drawn_lat),
                            providers::drawn_lon.eq(after.drawn_lon),
                            providers::updated_at.eq(now),
                            providers::change_seq.eq(self.seq),
                        ))
                        .execute(conn)?;
                    versions.push(Version {
                        provider_id: old.id,
                        before: Some(to_json(old)),
                        after: Some(to_json(&after)),
                    });
                    if let Some(rule) = drawn {
                        draws.push((old.id, rule));
                    }
                    self.counts.updated += 1;
                }
                None => {
                    let mut row = ProviderRow {
                        id: 0,
                        fields,
                        drawn_lat: None,
                        drawn_lon: None,
                        created_at: now.clone(),
                        updated_at: now.clone(),
                    };
                    let drawn = public_points::settle(None, &mut row);
                    new_rows.push((row, drawn));
                }
            }
        }
        self.counts.created += new_rows.len();
        // What revert needs of a created record: its digest (the row is all the state after the
        // import, and no record the state before it), and the draw to audit once its id is known.
        let mut digests = Vec::with_capacity(new_rows.len());
        let mut rules = Vec::with_capacity(new_rows.len());
        let mut external_ids = Vec::with_capacity(new_rows.len());
        let values: Vec<_> = new_rows
            .into_iter()
            .map(|(r, drawn)| {
                digests.push(row_digest(&r));
                rules.push(drawn);
                external_ids.push(r.fields.external_id.clone());
                (
                    r.fields,
                    providers::drawn_lat.eq(r.drawn_lat),
                    providers::drawn_lon.eq(r.drawn_lon),
                    providers::created_at.eq(r.created_at),
                    providers::updated_at.eq(r.updated_at),
                    providers::change_seq.eq(seq),
                    providers::created_seq.eq(seq),
                )
            })
            .collect();
        // Each row's id, found by its external id (unique): neither backend promises to return
        // the rows of a multi-row INSERT in the order of its VALUES.
        let mut ids: HashMap<String, i64> = HashMap::with_capacity(values.len());
        // The derived connection cannot batch inserts of optional columns; each backend can.
        // On SQLite, OR IGNORE: a multi-row INSERT that may abort on a constraint makes SQLite
        // keep a statement journal (a copy of every page the statement changes, to undo just
        // the statement), which cost the import about a sixth of its time. No constraint can
        // fail here (the ids are new, and the parser refuses a file that repeats one); should
        // one ever, the row is left out, the count of rows returned says so, and the whole
        // import fails and rolls back, as the aborted statement made it do before.
        insert_chunked!(INSERT_BATCH, values.into_iter(), |rows| {
            let sent = rows.len();
            let returned = (providers::id, providers::external_id);
            let written = match &mut *conn {
                AnyConnection::Sqlite(c) => diesel::insert_or_ignore_into(providers::table)
                    .values(rows)
                    .returning(returned)
                    .get_results::<(i64, String)>(c)?,
                AnyConnection::Postgres(c) => diesel::insert_into(providers::table)
                    .values(rows)
                    .returning(returned)
                    .get_results::<(i64, String)>(c)?,
            };
            if written.len() != sent {
                return Err(refused(sent - written.len()));
            }
            ids.extend(written.into_iter().map(|(id, external_id)| (external_id, id)));
        });
        let ids: Vec<i64> = external_ids
            .iter()
            .map(|e| ids.get(e).copied().ok_or_else(|| refused(1)))
            .collect::<Result<_, _>>()?;
        for (id, rule) in ids.iter().zip(rules) {
            if let Some(rule) = rule {
                draws.push((*id, rule));
            }
        }
        record_created(conn, self.import_id, &ids, &digests)?;
        record_versions(conn, self.import_id, versions)?;
        public_points::audit_draws(conn, &self.actor, &draws)
    }

    /// Writes the last batch; under `Replace`, deactivates active providers the file lacked.
    fn finish(mut self) -> QueryResult<WriteCounts> {
        self.flush();
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        if self.mode == ImportMode::Replace {
            self.deactivate_missing()?;
        }
        Ok(self.counts)
    }

    fn deactivate_missing(&mut self) -> QueryResult<()> {
        let mut after_id = 0i64;
        loop {
            let page: Vec<(i64, String)> = providers::table
                .filter(providers::status.eq("active"))
                .filter(providers::id.gt(after_id))
                .order(providers::id)
                .limit(10_000)
                .select((providers::id, providers::external_id))
                .load(self.conn)?;
            let Some((last, _)) = page.last() else { return Ok(()) };
            after_id = *last;
            for (id, _) in page.iter().filter(|(_, ext)| !self.seen.contains(ext)) {
                let old: ProviderRow =
                    providers::table.find(id).select(ProviderRow::as_select()).first(self.conn)?;
                let mut after = old.clone();
                after.fields.status = "inactive".into();
                after.updated_at = self.now.clone();
                diesel::update(providers::table.find(id))
                    .set((
                        providers::status.eq("inactive"),
                        providers::updated_at.eq(&self.now),
                        providers::change_seq.eq(self.seq),
                    ))
                    .execute(self.conn)?;
                record_version(self.conn, self.import_id, Some(&old), &after)?;
                self.counts.deactivated += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db::schema::audit_log;

    fn upsert() -> ImportMeta {
        ImportMeta {
            actor: "test".into(),
            source: "t.csv".into(),
            mode: ImportMode::Upsert,
            on_error: OnError::Abort,
        }
    }

    /// Imports `csv` (valid) in one committed import; returns its counts and id, and whether it
    /// took the path for an empty table.
    fn import(db: &Db, csv: &str) -> (WriteCounts, i64, bool) {
        let parsed = crate::ingest::parse_csv(csv.as_bytes());
        assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
        let (counts, id, into_empty) = db
            .import(
                &upsert(),
                |sink| {
                    let into_empty = sink.into_empty;
                    parsed.rows.into_iter().for_each(|r| sink.push(r.data));
                    into_empty
                },
                |_, _, _| Some("{}".into()),
            )
            .unwrap();
        (counts, id.expect("committed"), into_empty)
    }

    fn stored(db: &Db) -> Vec<ProviderRow> {
        let mut conn = db.pool.get().unwrap();
        providers::table.order(providers::id).select(ProviderRow::as_select()).load(&mut conn).unwrap()
    }

    /// The versions an import kept, by provider id.
    fn versions(db: &Db, import_id: i64) -> Vec<(i64, Option<String>, Option<String>)> {
        let mut conn = db.pool.get().unwrap();
        provider_versions::table
            .filter(provider_versions::import_id.eq(import_id))
            .order(provider_versions::provider_id)
            .select((
                provider_versions::provider_id,
                provider_versions::before_json,
                provider_versions::after_json,
            ))
            .load(&mut conn)
            .unwrap()
    }

    fn draws(db: &Db) -> usize {
        let mut conn = db.pool.get().unwrap();
        let actions: Vec<String> = audit_log::table.select(audit_log::action).load(&mut conn).unwrap();
        actions.iter().filter(|a| *a == "public_point.draw").count()
    }

    /// An import into an empty table (no lookups of existing rows) writes what the ordinary
    /// path writes for the same file into a table that already holds another record: the same
    /// rows, a version per row from which revert restores exactly, the same audited draws.
    #[test]
    fn an_import_into_an_empty_table_writes_what_the_lookup_path_writes() {
        let mut csv = Vec::new();
        // More than one batch, and a last chunk shorter than a full multi-row insert.
        crate::sample::write_sample_csv(&mut csv, IMPORT_BATCH + 234, 11).unwrap();
        let csv = String::from_utf8(csv).unwrap();
        let dir = tempfile::tempdir().unwrap();
        let empty = Db::open(&dir.path().join("empty.db").display().to_string()).unwrap();
        let other = Db::open(&dir.path().join("other.db").display().to_string()).unwrap();
        let header = csv.lines().next().unwrap();
        let first = csv.lines().nth(1).unwrap().replacen("sample-", "earlier-", 1);
        let (_, _, was_empty) = import(&other, &format!("{header}\n{first}\n"));
        assert!(was_empty);
        let before_other = stored(&other);

        let (fast, fast_id, fast_path) = import(&empty, &csv);
        let (slow, slow_id, slow_path) = import(&other, &csv);
        assert!(fast_path && !slow_path, "each database took the path meant for it");
        let n = IMPORT_BATCH + 234;
        assert_eq!(fast, WriteCounts { created: n, ..Default::default() });
        assert_eq!(fast, slow);

        let fast_rows = stored(&empty);
        let slow_rows: Vec<ProviderRow> = stored(&other).into_iter().skip(1).collect();
        assert_eq!(fast_rows.len(), n);
        for (a, b) in fast_rows.iter().zip(&slow_rows) {
            assert_eq!(a.fields, b.fields);
            // Drawn points are random; both drew one exactly for the confidential rows.
            assert_eq!(a.drawn().is_some(), b.drawn().is_some(), "{}", a.fields.external_id);
            assert_eq!(a.drawn().is_some(), a.fields.confidential && a.fields.public_lat.is_none());
        }
        let confidential = fast_rows.iter().filter(|r| r.drawn().is_some()).count();
        assert!(confidential > 0, "the sample has confidential rows");
        assert_eq!(draws(&empty), confidential);
        assert_eq!(draws(&other), confidential + before_other.iter().filter(|r| r.drawn().is_some()).count());

        for (db, id, rows) in [(&empty, fast_id, &fast_rows), (&other, slow_id, &slow_rows)] {
            assert!(versions(db, id).is_empty(), "created rows keep no copy: no state before, the row after");
            let created = created_by(&mut db.pool.get().unwrap(), id).unwrap();
            assert_eq!(created.len(), n);
            for ((provider_id, digest), row) in created.iter().zip(rows.iter()) {
                assert_eq!(*provider_id, row.id);
                assert_eq!(*digest, row_digest(row), "the digest is the row's as written");
            }
        }

        assert_eq!(empty.revert_import(fast_id, "test").unwrap().1, n);
        assert_eq!(other.revert_import(slow_id, "test").unwrap().1, n);
        assert!(stored(&empty).is_empty());
        assert_eq!(stored(&other), before_other, "only the earlier record is left, as it was");
    }

    /// A revert compares each record an import created with the digest of the row it wrote: any
    /// column changed since, even one no route writes (here by hand), or the record gone, is a
    /// conflict, and nothing is deleted; records left as written are deleted, and only they.
    #[test]
    fn reverting_a_creation_detects_any_later_change_to_a_created_record() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("t.db").display().to_string()).unwrap();
        let mut csv = Vec::new();
        crate::sample::write_sample_csv(&mut csv, 30, 5).unwrap();
        let csv = String::from_utf8(csv).unwrap();
        let first: String = csv.lines().take(11).map(|l| format!("{l}\n")).collect();
        let (_, seed_id, _) = import(&db, &first);
        let seeded = stored(&db);
        let (counts, id, _) = import(&db, &csv);
        assert_eq!(counts, WriteCounts { created: 20, unchanged: 10, ..Default::default() });
        let rows = stored(&db);
        let created: Vec<&ProviderRow> = rows.iter().skip(10).collect();

        let mut conn = db.pool.get().unwrap();
        // Only the seconds of created_at differ: a copy compared field by field would notice.
        let (moved, gone) = (created[3].id, created[7].id);
        let changed_at = created[3].created_at.replacen(":", ";", 1);
        diesel::update(providers::table.find(moved))
            .set(providers::created_at.eq(&changed_at))
            .execute(&mut conn)
            .unwrap();
        diesel::delete(providers::table.find(gone)).execute(&mut conn).unwrap();
        drop(conn);
        let Err(RevertError::Conflict { import, mut conflicts }) = db.revert_import(id, "test") else {
            panic!("the revert must be refused")
        };
        assert_eq!(import, id);
        conflicts.sort_by_key(|c| c.provider_id);
        assert_eq!(
            conflicts,
            [
                RevertConflict {
                    provider_id: moved,
                    external_id: created[3].fields.external_id.clone(),
                    changed_by_import: None
                },
                RevertConflict { provider_id: gone, external_id: String::new(), changed_by_import: None },
            ]
        );
        assert_eq!(stored(&db).len(), 29, "a refused revert deletes nothing");

        // Put back as written: the revert deletes exactly the records the import created.
        let mut conn = db.pool.get().unwrap();
        diesel::update(providers::table.find(moved))
            .set(providers::created_at.eq(&created[3].created_at))
            .execute(&mut conn)
            .unwrap();
        let restored = created[7].clone();
        diesel::insert_into(providers::table)
            .values((
                providers::id.eq(restored.id),
                restored.fields.clone(),
                providers::drawn_lat.eq(restored.drawn_lat),
                providers::drawn_lon.eq(restored.drawn_lon),
                providers::created_at.eq(&restored.created_at),
                providers::updated_at.eq(&restored.updated_at),
            ))
            .execute(&mut conn)
            .unwrap();
        drop(conn);
        assert_eq!(stored(&db), rows);
        assert_eq!(db.revert_import(id, "test").unwrap().1, 20);
        assert_eq!(stored(&db), seeded);
        assert_eq!(db.revert_import(seed_id, "test").unwrap().1, 10);
        assert!(stored(&db).is_empty());
    }

    /// Should a constraint refuse a created row (here a row with the same external id written
    /// inside the import, after it found the table empty), the import fails and writes nothing,
    /// on SQLite too, where the insert leaves refused rows out instead of aborting: in a full
    /// multi-row insert and in the last, shorter one.
    #[test]
    fn a_created_row_a_constraint_refuses_fails_the_whole_import() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("t.db").display().to_string()).unwrap();
        let mut csv = Vec::new();
        crate::sample::write_sample_csv(&mut csv, INSERT_BATCH + 10, 3).unwrap();
        let parsed = crate::ingest::parse_csv(&csv);
        assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
        let seq = db.change_seq().unwrap();
        for taken in [17, INSERT_BATCH + 3] {
            let taken = ProviderFields::from(&parsed.rows[taken].data);
            let rows = parsed.rows.clone();
            let result = db.import(
                &upsert(),
                |sink| {
                    assert!(sink.into_empty);
                    diesel::insert_into(providers::table)
                        .values((
                            taken,
                            providers::created_at.eq(now_text()),
                            providers::updated_at.eq(now_text()),
                        ))
                        .execute(sink.conn)
                        .unwrap();
                    rows.into_iter().for_each(|r| sink.push(r.data));
                },
                |_, _, _| Some("{}".into()),
            );
            let Err(err) = result else { panic!("the import must fail") };
            assert!(err.to_string().contains("1 new provider row(s) refused"), "{err}");
            assert!(stored(&db).is_empty(), "nothing is written");
            assert_eq!(db.list_imports(0, 10).unwrap().1, 0, "no history entry either");
            assert_eq!(db.change_seq().unwrap(), seq);
        }
    }
}
