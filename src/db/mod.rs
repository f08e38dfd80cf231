//! Storage: the only module that names diesel. A pool, embedded migrations, and the queries.

mod audit;
mod changes;
mod edits;
mod imports;
mod public_points;
mod rows;
mod schema;
mod tokens;

use crate::model::Provider;
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::r2d2::{ConnectionManager, CustomizeConnection, Pool};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use rows::ProviderRow;
use schema::providers;

pub use audit::AuditEntry;
pub use edits::EditError;
pub use imports::{ImportMeta, ImportRecord, RevertConflict, RevertError, WriteCounts};
pub use rows::CorruptRow;
pub use tokens::{TokenError, TokenInfo};

const MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");

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
    pub(crate) pool: Pool<ConnectionManager<SqliteConnection>>,
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
        db.draw_missing_public_points()?;
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

    /// Every provider with status active, by id, with the change sequence they are current at:
    /// both are read in one transaction, so the rows are exactly those of that sequence.
    pub fn load_active(&self) -> Result<(i64, Vec<Provider>), DbError> {
        let mut conn = self.pool.get()?;
        let (seq, rows) = conn.transaction::<_, diesel::result::Error, _>(|conn| {
            let seq = changes::current(conn)?;
            let rows: Vec<ProviderRow> = providers::table
                .filter(providers::status.eq("active"))
                .order(providers::id)
                .select(ProviderRow::as_select())
                .load(conn)?;
            Ok((seq, rows))
        })?;
        let records = rows.into_iter().map(Provider::try_from).collect::<Result<_, _>>()?;
        Ok((seq, records))
    }

    /// Up to `limit` providers (any status) with ids above `after_id`, by id: for streaming exports.
    pub fn providers_after(&self, after_id: i64, limit: i64) -> Result<Vec<Provider>, DbError> {
        let mut conn = self.pool.get()?;
        let rows: Vec<ProviderRow> = providers::table
            .filter(providers::id.gt(after_id))
            .order(providers::id)
            .limit(limit)
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
}
