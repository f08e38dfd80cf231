//! Storage: the only module that names diesel. A pool, embedded migrations, and the queries.

mod rows;
mod schema;

use crate::model::{Provider, ProviderData};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use rows::{ProviderFields, ProviderRow, now_text};
use schema::providers;
use serde::Serialize;
use std::collections::HashMap;

pub use rows::CorruptRow;

const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

/// SQLite allows at most 32,766 bound variables per statement; each provider row binds 32.
const INSERT_BATCH: usize = 500;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot open the database: {0}")]
    Open(String),
    #[error("database migration failed: {0}")]
    Migration(String),
    #[error("database error: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("no database connection available: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    #[error(transparent)]
    Corrupt(#[from] CorruptRow),
}

#[derive(Debug)]
struct SqlitePragmas;

impl CustomizeConnection<SqliteConnection, diesel::r2d2::Error> for SqlitePragmas {
    fn on_acquire(&self, conn: &mut SqliteConnection) -> Result<(), diesel::r2d2::Error> {
        // WAL lets readers run beside the one writer; synchronous=FULL makes a commit durable
        // before it is acknowledged; busy_timeout makes writers queue rather than fail.
        conn.batch_execute(
            "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
        )
        .map_err(diesel::r2d2::Error::QueryError)
    }
}

/// A handle on the database; cheap to clone.
#[derive(Clone)]
pub struct Db {
    pool: Pool<ConnectionManager<SqliteConnection>>,
}

/// What an import did (or would do) to the stored records.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct WriteCounts {
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
}

impl Db {
    /// Opens (creating if needed) the database at `url` (`sqlite://path`, `sqlite:path` or a
    /// plain path) and runs pending migrations.
    pub fn open(url: &str) -> Result<Db, DbError> {
        let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
        let manager = ConnectionManager::<SqliteConnection>::new(path);
        let pool = Pool::builder()
            .max_size(8)
            .min_idle(Some(1))
            .connection_customizer(Box::new(SqlitePragmas))
            .build(manager)
            .map_err(|e| DbError::Open(e.to_string()))?;
        let db = Db { pool };
        db.migrate()?;
        Ok(db)
    }

    fn migrate(&self) -> Result<(), DbError> {
        let mut conn = self.pool.get()?;
        conn.run_pending_migrations(MIGRATIONS).map_err(|e| DbError::Migration(e.to_string()))?;
        Ok(())
    }

    /// Reverts every migration and applies them again (tests down.sql).
    pub fn redo_all_migrations(&self) -> Result<(), DbError> {
        let mut conn = self.pool.get()?;
        conn.revert_all_migrations(MIGRATIONS).map_err(|e| DbError::Migration(e.to_string()))?;
        conn.run_pending_migrations(MIGRATIONS).map_err(|e| DbError::Migration(e.to_string()))?;
        Ok(())
    }

    /// Is the database answering?
    pub fn ping(&self) -> Result<(), DbError> {
        let mut conn = self.pool.get()?;
        conn.batch_execute("SELECT 1")?;
        Ok(())
    }

    pub fn count_providers(&self) -> Result<i64, DbError> {
        let mut conn = self.pool.get()?;
        Ok(providers::table.count().get_result(&mut conn)?)
    }

    /// Every provider with status active, by id.
    pub fn load_active(&self) -> Result<Vec<Provider>, DbError> {
        let mut conn = self.pool.get()?;
        let rows: Vec<ProviderRow> = providers::table
            .filter(providers::status.eq("active"))
            .order(providers::id)
            .select(ProviderRow::as_select())
            .load(&mut conn)?;
        rows.into_iter().map(|r| Provider::try_from(r).map_err(DbError::from)).collect()
    }

    /// Every provider, any status, by id.
    pub fn load_all(&self) -> Result<Vec<Provider>, DbError> {
        let mut conn = self.pool.get()?;
        let rows: Vec<ProviderRow> =
            providers::table.order(providers::id).select(ProviderRow::as_select()).load(&mut conn)?;
        rows.into_iter().map(|r| Provider::try_from(r).map_err(DbError::from)).collect()
    }

    /// Inserts or updates `records` by external id in one transaction. With `dry_run`, the
    /// transaction is rolled back, so the counts are exactly what a real run would do.
    pub fn upsert(&self, records: &[ProviderData], dry_run: bool) -> Result<WriteCounts, DbError> {
        let mut conn = self.pool.get()?;
        // IMMEDIATE takes the write lock up front, so concurrent imports queue instead of failing.
        let result = conn.immediate_transaction(|conn| {
            let counts = upsert_in(conn, records)?;
            if dry_run { Err(RollBack::DryRun(counts)) } else { Ok(counts) }
        });
        match result {
            Ok(c) | Err(RollBack::DryRun(c)) => Ok(c),
            Err(RollBack::Db(e)) => Err(DbError::Query(e)),
        }
    }
}

enum RollBack {
    DryRun(WriteCounts),
    Db(diesel::result::Error),
}

impl From<diesel::result::Error> for RollBack {
    fn from(e: diesel::result::Error) -> Self {
        RollBack::Db(e)
    }
}

fn upsert_in(
    conn: &mut SqliteConnection,
    records: &[ProviderData],
) -> Result<WriteCounts, diesel::result::Error> {
    let existing: HashMap<String, (i64, ProviderFields)> = providers::table
        .select((providers::id, ProviderFields::as_select()))
        .load::<(i64, ProviderFields)>(conn)?
        .into_iter()
        .map(|(id, f)| (f.external_id.clone(), (id, f)))
        .collect();
    let now = now_text();
    let mut counts = WriteCounts::default();
    let mut new_rows = Vec::new();
    for record in records {
        let fields = ProviderFields::from(record);
        match existing.get(&fields.external_id) {
            Some((_, old)) if *old == fields => counts.unchanged += 1,
            Some((id, _)) => {
                diesel::update(providers::table.find(*id))
                    .set((&fields, providers::updated_at.eq(&now)))
                    .execute(conn)?;
                counts.updated += 1;
            }
            None => new_rows.push(fields),
        }
    }
    counts.created = new_rows.len();
    for batch in new_rows.chunks(INSERT_BATCH) {
        let values: Vec<_> = batch
            .iter()
            .map(|f| (f.clone(), providers::created_at.eq(&now), providers::updated_at.eq(&now)))
            .collect();
        diesel::insert_into(providers::table).values(&values).execute(conn)?;
    }
    Ok(counts)
}
