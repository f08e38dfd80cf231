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
use diesel::r2d2::{ManageConnection, Pool, R2D2Connection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};
use rows::ProviderRow;
use schema::{change_sequence, providers};

pub use audit::AuditEntry;
pub use changes::{Feed, MARKED_MAX, Since};
pub use edits::EditError;
pub use imports::{ImportMeta, ImportRecord, RevertConflict, RevertError, WriteCounts};
pub use rows::CorruptRow;
pub use tokens::{TokenError, TokenInfo};

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");
/// The PostgreSQL advisory-lock key held while migrating ("bellmap" as digits, any constant).
const MIGRATION_LOCK: i64 = 2_355_376_227;

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("cannot open the database: {0}")]
    Open(String),
    #[error("database migration failed: {0}")]
    Migration(String),
    #[error("the read replica's schema is behind this build's: {0}")]
    ReplicaBehind(String),
    #[error("database error: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("no database connection available: {0}")]
    Pool(#[from] diesel::r2d2::PoolError),
    #[error(transparent)]
    Corrupt(#[from] CorruptRow),
}

/// One connection to either backend; every query in this module is written once against it.
#[derive(diesel::MultiConnection)]
pub enum AnyConnection {
    Postgres(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

/// Which backend a database URL names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    /// `postgres://` or `postgresql://` is PostgreSQL; anything else is a SQLite file.
    pub fn of_url(url: &str) -> Backend {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            Backend::Postgres
        } else {
            Backend::Sqlite
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// Opens connections of the backend its URL names, with SQLite's pragmas on SQLite only.
#[derive(Debug)]
pub(crate) struct Manager {
    backend: Backend,
    /// The PostgreSQL URL, or the SQLite path without its scheme.
    target: String,
}

impl ManageConnection for Manager {
    type Connection = AnyConnection;
    type Error = diesel::r2d2::Error;

    fn connect(&self) -> Result<AnyConnection, Self::Error> {
        use diesel::r2d2::Error;
        match self.backend {
            Backend::Postgres => diesel::PgConnection::establish(&self.target)
                .map(AnyConnection::Postgres)
                .map_err(Error::ConnectionError),
            Backend::Sqlite => {
                let mut conn =
                    diesel::SqliteConnection::establish(&self.target).map_err(Error::ConnectionError)?;
                // WAL lets readers run beside the one writer; synchronous=FULL makes a commit
                // durable before it is acknowledged; busy_timeout makes writers queue rather
                // than fail.
                conn.batch_execute(
                    "PRAGMA busy_timeout = 10000; PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
                )
                .map_err(Error::QueryError)?;
                Ok(AnyConnection::Sqlite(conn))
            }
        }
    }

    fn is_valid(&self, conn: &mut AnyConnection) -> Result<(), Self::Error> {
        conn.ping().map_err(diesel::r2d2::Error::QueryError)
    }

    fn has_broken(&self, conn: &mut AnyConnection) -> bool {
        conn.is_broken()
    }
}

type AnyTransactions = <AnyConnection as Connection>::TransactionManager;

/// Begins a transaction; on SQLite with BEGIN IMMEDIATE, which takes the database write lock at
/// once.
fn begin_writing(conn: &mut AnyConnection) -> QueryResult<()> {
    use diesel::connection::{AnsiTransactionManager, TransactionManager};
    match conn {
        AnyConnection::Sqlite(inner) => {
            AnsiTransactionManager::begin_transaction_sql(inner, "BEGIN IMMEDIATE")
        }
        AnyConnection::Postgres(_) => AnyTransactions::begin_transaction(conn),
    }
}

/// Ends the transaction `begin_writing` began: commits on `Ok`, rolls back on `Err`.
fn end_writing<T, E: From<diesel::result::Error>>(
    conn: &mut AnyConnection,
    result: Result<T, E>,
) -> Result<T, E> {
    use diesel::connection::TransactionManager;
    match result {
        Ok(value) => {
            AnyTransactions::commit_transaction(conn)?;
            Ok(value)
        }
        Err(e) => match AnyTransactions::rollback_transaction(conn) {
            Ok(()) | Err(diesel::result::Error::BrokenTransactionManager) => Err(e),
            Err(rollback) => Err(rollback.into()),
        },
    }
}

/// Runs `f` in a transaction that holds the writers' lock from its first statement, so writers
/// run one at a time on either backend: SQLite's BEGIN IMMEDIATE takes the database write
/// lock, and on PostgreSQL the no-op update of the change-sequence row takes that row's lock,
/// which a second writer waits on until the first commits (it then reads the committed data,
/// since each statement of a READ COMMITTED transaction sees what committed before it).
pub(crate) fn write_transaction<T, E, F>(conn: &mut AnyConnection, f: F) -> Result<T, E>
where
    E: From<diesel::result::Error>,
    F: FnOnce(&mut AnyConnection) -> Result<T, E>,
{
    begin_writing(conn)?;
    let locked = diesel::update(change_sequence::table.find(1))
        .set(change_sequence::seq.eq(change_sequence::seq))
        .execute(conn);
    let result = locked.map_err(E::from).and_then(|_| f(&mut *conn));
    end_writing(conn, result)
}

/// How long a request waits for a PostgreSQL connection before it is answered 503.
const POSTGRES_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// `url` with libpq's `connect_timeout` (5 s) and `tcp_user_timeout` (10 s) unless it sets them:
/// without them a connection to a server that stops answering (no reset, packets dropped)
/// blocks its caller for minutes.
fn with_timeouts(url: &str) -> String {
    let mut url = url.to_string();
    for (name, value) in [("connect_timeout", "5"), ("tcp_user_timeout", "10000")] {
        if !url.contains(&format!("{name}=")) {
            url.push(if url.contains('?') { '&' } else { '?' });
            url.push_str(&format!("{name}={value}"));
        }
    }
    url
}

/// A handle on the database; cheap to clone.
#[derive(Clone)]
pub struct Db {
    pub(crate) pool: Pool<Manager>,
    backend: Backend,
}

/// Rows per page when loading every active provider: pages in flight are memory the records
/// are allocated around, so they are kept small (a page is one short index range read).
const LOAD_PAGE: i64 = 4_000;

/// Makes the open transaction read one snapshot: a SQLite transaction does; a PostgreSQL one
/// must ask, as its first statement.
fn read_snapshot(conn: &mut AnyConnection) -> QueryResult<()> {
    if let AnyConnection::Postgres(_) = conn {
        conn.batch_execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")?;
    }
    Ok(())
}

impl Db {
    /// Opens the database at `url` and runs pending migrations: `postgres://...` (or
    /// `postgresql://...`) is PostgreSQL; `sqlite://path`, `sqlite:path` or a plain path is a
    /// SQLite file, created if needed.
    pub fn open(url: &str) -> Result<Db, DbError> {
        let db = Db::connect(url)?;
        db.migrate()?;
        db.draw_missing_public_points()?;
        Ok(db)
    }

    /// Opens a read replica at `url`: no migrations and no writes (a replica is read-only), and
    /// an error when its schema is behind this build's, rather than failing on its first query.
    pub fn open_replica(url: &str) -> Result<Db, DbError> {
        let db = Db::connect(url)?;
        let applied = db.applied_migrations()?;
        let pending: Vec<String> =
            db.migration_versions().into_iter().filter(|v| !applied.contains(v)).collect();
        if !pending.is_empty() {
            return Err(DbError::ReplicaBehind(format!(
                "migration(s) {} not applied there (migrate the primary and let the replica catch up)",
                pending.join(", ")
            )));
        }
        Ok(db)
    }

    /// The versions of this build's migrations.
    fn migration_versions(&self) -> Vec<String> {
        use diesel::migration::MigrationSource;
        let versions = match self.backend {
            Backend::Sqlite => MigrationSource::<diesel::sqlite::Sqlite>::migrations(&SQLITE_MIGRATIONS)
                .map(|m| m.into_iter().map(|m| m.name().version().to_string()).collect()),
            Backend::Postgres => MigrationSource::<diesel::pg::Pg>::migrations(&POSTGRES_MIGRATIONS)
                .map(|m| m.into_iter().map(|m| m.name().version().to_string()).collect()),
        };
        versions.expect("embedded migrations list themselves")
    }

    /// The migration versions applied to this database, read without the harness, which would
    /// create its table when missing (a write).
    fn applied_migrations(&self) -> Result<Vec<String>, DbError> {
        let mut conn = self.pool.get()?;
        schema::diesel_schema_migrations::table
            .select(schema::diesel_schema_migrations::version)
            .load(&mut conn)
            .map_err(|e| DbError::ReplicaBehind(format!("it has no migrations table ({e})")))
    }

    fn connect(url: &str) -> Result<Db, DbError> {
        let backend = Backend::of_url(url);
        let target = match backend {
            Backend::Postgres => with_timeouts(url),
            Backend::Sqlite => sqlite_target(url).to_string(),
        };
        let pool = Pool::builder()
            .max_size(8)
            .min_idle(Some(1))
            // A request waits this long for a connection, then fails as 503. PostgreSQL can go
            // away; a SQLite file only gets busy, so it keeps r2d2's 30 s.
            .connection_timeout(match backend {
                Backend::Postgres => POSTGRES_WAIT,
                Backend::Sqlite => std::time::Duration::from_secs(30),
            })
            .build(Manager { backend, target })
            .map_err(|e| DbError::Open(e.to_string()))?;
        Ok(Db { pool, backend })
    }

    /// The backend this database is on.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    fn migrations(&self) -> EmbeddedMigrations {
        match self.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS,
            Backend::Postgres => POSTGRES_MIGRATIONS,
        }
    }

    fn migrate(&self) -> Result<(), DbError> {
        let mut conn = self.pool.get()?;
        let conn: &mut AnyConnection = &mut conn;
        // Instances starting together on a new database migrate it one at a time: the write
        // lock on SQLite, an advisory lock on PostgreSQL (the change-sequence row may not exist
        // yet), both held to the end of the transaction the migrations run in.
        begin_writing(conn)?;
        let mut migrated = Ok(());
        if let AnyConnection::Postgres(_) = conn {
            migrated = conn.batch_execute(&format!("SELECT pg_advisory_xact_lock({MIGRATION_LOCK})"));
        }
        let migrated = migrated.map_err(DbError::from).and_then(|()| {
            conn.run_pending_migrations(self.migrations())
                .map(drop)
                .map_err(|e| DbError::Migration(e.to_string()))
        });
        end_writing(conn, migrated)
    }

    /// Reverts every migration and applies them again (tests down.sql).
    pub fn redo_all_migrations(&self) -> Result<(), DbError> {
        let mut conn = self.pool.get()?;
        conn.revert_all_migrations(self.migrations()).map_err(|e| DbError::Migration(e.to_string()))?;
        conn.run_pending_migrations(self.migrations()).map_err(|e| DbError::Migration(e.to_string()))?;
        Ok(())
    }

    /// Is the database answering?
    pub fn ping(&self) -> Result<(), DbError> {
        let mut conn = self.pool.get()?;
        conn.batch_execute("SELECT 1")?;
        Ok(())
    }

    /// Whether PostgreSQL has planner statistics of the providers table (`None` on SQLite).
    pub fn providers_analyzed(&self) -> Result<Option<bool>, DbError> {
        let mut conn = self.pool.get()?;
        if matches!(*conn, AnyConnection::Sqlite(_)) {
            return Ok(None);
        }
        let analyzed: bool = diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(
            "(SELECT last_analyze IS NOT NULL OR last_autoanalyze IS NOT NULL \
             FROM pg_stat_user_tables WHERE relname = 'providers')",
        ))
        .get_result(&mut conn)?;
        Ok(Some(analyzed))
    }

    /// Providers with status active (by the status index).
    pub fn count_active(&self) -> Result<usize, DbError> {
        let mut conn = self.pool.get()?;
        let n: i64 = providers::table.filter(providers::status.eq("active")).count().get_result(&mut conn)?;
        Ok(n as usize)
    }

    pub fn count_providers(&self) -> Result<i64, DbError> {
        let mut conn = self.pool.get()?;
        Ok(providers::table.count().get_result(&mut conn)?)
    }

    /// Every provider with status active, by id, with the change sequence they are current at:
    /// both are read in one transaction, so the rows are exactly those of that sequence.
    /// Rows are read a page at a time and converted as they come: a million rows loaded at
    /// once would hold two copies of everything (rows and records) at the peak; `each` takes them
    /// one at a time.
    pub fn load_active(&self, mut each: impl FnMut(Provider)) -> Result<i64, DbError> {
        // The first corrupt row ends the conversion; the read runs on to its end.
        let mut converted = Ok(());
        let seq = self.load_active_pages(|page| {
            if converted.is_ok() {
                converted = page.providers().try_for_each(|p| p.map(&mut each));
            }
        })?;
        converted.map(|()| seq)
    }

    /// `load_active` a page of rows at a time, unconverted: the caller may convert them on
    /// another thread while the next page is read.
    pub fn load_active_pages(&self, mut each: impl FnMut(ActiveRows)) -> Result<i64, DbError> {
        let mut conn = self.pool.get()?;
        conn.transaction::<_, DbError, _>(|conn| {
            read_snapshot(conn)?;
            let seq = changes::current(conn)?;
            let active = providers::table.filter(providers::status.eq("active"));
            let mut after = 0i64;
            loop {
                let page: Vec<ProviderRow> = active
                    .filter(providers::id.gt(after))
                    .order(providers::id)
                    .limit(LOAD_PAGE)
                    .select(ProviderRow::as_select())
                    .load(conn)?;
                let Some(last) = page.last() else { break };
                after = last.id;
                each(ActiveRows(page));
            }
            Ok(seq)
        })
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

/// What SQLite opens for `url` (a SQLite URL).
fn sqlite_target(url: &str) -> &str {
    url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url)
}

/// The file of a SQLite database at `url`; `None` for PostgreSQL and for a database in memory.
pub fn sqlite_file(url: &str) -> Option<std::path::PathBuf> {
    let target = sqlite_target(url);
    let in_memory = target.is_empty() || target.starts_with(":memory:") || target.contains("mode=memory");
    (Backend::of_url(url) == Backend::Sqlite && !in_memory).then(|| target.into())
}

/// A page of active rows as read (see `Db::load_active_pages`).
pub struct ActiveRows(Vec<ProviderRow>);

impl ActiveRows {
    pub fn providers(self) -> impl Iterator<Item = Result<Provider, DbError>> {
        self.0.into_iter().map(|row| Provider::try_from(row).map_err(DbError::from))
    }
}

/// A database name that needs no quoting: lower-case letters, digits and '_'.
fn plain_name(name: &str) -> Result<&str, DbError> {
    let plain = !name.is_empty()
        && name.len() <= 63
        && name.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain { Ok(name) } else { Err(DbError::Open(format!("'{name}' is not a plain database name"))) }
}

fn admin_connection(admin_url: &str) -> Result<diesel::PgConnection, DbError> {
    diesel::PgConnection::establish(admin_url).map_err(|e| DbError::Open(e.to_string()))
}

/// Creates the empty database `name` on the PostgreSQL server that `admin_url` reaches (a
/// connection to an existing database, such as `postgres`): the test suite makes one per test.
pub fn create_postgres_database(admin_url: &str, name: &str) -> Result<(), DbError> {
    let name = plain_name(name)?;
    admin_connection(admin_url)?.batch_execute(&format!("CREATE DATABASE {name}"))?;
    Ok(())
}

/// Drops the database `name` there, ending any sessions still connected to it.
pub fn drop_postgres_database(admin_url: &str, name: &str) -> Result<(), DbError> {
    let name = plain_name(name)?;
    admin_connection(admin_url)?.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))?;
    Ok(())
}

/// The URL of database `name` on the server of `admin_url` (its last path segment replaced).
pub fn postgres_url_for(admin_url: &str, name: &str) -> String {
    let (base, query) = admin_url.split_once('?').map_or((admin_url, None), |(b, q)| (b, Some(q)));
    let scheme_end = base.find("://").map_or(0, |i| i + 3);
    let server = match base[scheme_end..].find('/') {
        Some(slash) => &base[..scheme_end + slash],
        None => base,
    };
    match query {
        Some(q) => format!("{server}/{name}?{q}"),
        None => format!("{server}/{name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_url_names_the_backend() {
        for url in ["postgres://u@127.0.0.1:5432/db", "postgresql://127.0.0.1/db?sslmode=disable"] {
            assert_eq!(Backend::of_url(url), Backend::Postgres, "{url}");
        }
        for url in ["sqlite://bellmap.db", "sqlite:x.db", "/tmp/postgres://x.db", "bellmap.db"] {
            assert_eq!(Backend::of_url(url), Backend::Sqlite, "{url}");
        }
    }

    #[test]
    fn a_database_url_on_the_admin_urls_server() {
        assert_eq!(
            postgres_url_for("postgres://postgres@127.0.0.1:5432/postgres", "bellmap_t_1"),
            "postgres://postgres@127.0.0.1:5432/bellmap_t_1"
        );
        assert_eq!(
            postgres_url_for("postgresql://u:p@h/postgres?sslmode=disable", "d"),
            "postgresql://u:p@h/d?sslmode=disable"
        );
        assert_eq!(postgres_url_for("postgres://h:5432", "d"), "postgres://h:5432/d");
    }

    #[test]
    fn postgres_urls_get_timeouts_unless_they_set_their_own() {
        assert_eq!(
            with_timeouts("postgres://h/d"),
            "postgres://h/d?connect_timeout=5&tcp_user_timeout=10000"
        );
        assert_eq!(
            with_timeouts("postgres://h/d?sslmode=disable&connect_timeout=2"),
            "postgres://h/d?sslmode=disable&connect_timeout=2&tcp_user_timeout=10000"
        );
    }

    #[test]
    fn a_replica_missing_a_migration_is_refused_and_names_it() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("replica.db").display());
        let db = Db::open(&url).unwrap();
        assert!(Db::open_replica(&url).is_ok(), "a replica with every migration opens");
        let newest = db.migration_versions().into_iter().max().unwrap();
        db.pool
            .get()
            .unwrap()
            .batch_execute(&format!("DELETE FROM __diesel_schema_migrations WHERE version = '{newest}'"))
            .unwrap();
        let err = Db::open_replica(&url).err().expect("one migration behind is refused");
        assert!(matches!(&err, DbError::ReplicaBehind(m) if m.contains(&newest)), "{err}");
    }

    /// A row the store cannot read back fails a snapshot load, naming its column, whether the
    /// rows are converted as read or on the service's packing thread; nothing is half loaded.
    #[test]
    fn a_corrupt_active_row_fails_the_load_and_names_its_column() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("corrupt.db").display());
        let service = crate::service::Service::open(Db::open(&url).unwrap()).unwrap();
        service.seed_if_empty(crate::app::SAMPLE_CSV).unwrap().expect("an empty database is seeded");
        let db = Db::open(&url).unwrap();
        let mut read = 0;
        db.load_active(|_| read += 1).unwrap();
        assert!(read > 2_000, "the sample loads: {read}");
        db.pool
            .get()
            .unwrap()
            .batch_execute("UPDATE providers SET categories = 'bogus' WHERE id = (SELECT MAX(id) FROM providers WHERE status = 'active')")
            .unwrap();
        let err = db.load_active(|_| {}).expect_err("a corrupt row fails the load");
        assert!(matches!(&err, DbError::Corrupt(c) if c.column == "categories"), "{err}");
        let err = crate::service::Service::open(db).err().expect("and the service does not start on it");
        assert!(err.to_string().contains("categories"), "{err}");
    }

    #[test]
    fn only_plain_database_names_reach_sql() {
        assert!(plain_name("bellmap_t_12_0_ab12").is_ok());
        for bad in ["", "A", "x; DROP DATABASE postgres", "a-b", &"a".repeat(64)] {
            assert!(plain_name(bad).is_err(), "{bad}");
        }
    }
}
