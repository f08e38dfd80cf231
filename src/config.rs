//! Command line and environment. One clap struct; every setting has a safe default.

use crate::model::Role;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(name = "bellmap", version, about = "A map API of domestic-violence service providers")]
#[command(args_conflicts_with_subcommands = true)]
pub struct Cli {
    /// Database URL: `sqlite://FILE` (created if missing) or `postgres://USER@HOST:PORT/DB`.
    #[arg(long, global = true, env = "DATABASE_URL", default_value = "sqlite://bellmap.db")]
    pub database_url: String,

    #[command(subcommand)]
    pub command: Option<Command>,

    /// Settings for `serve` when no command is given (so `cargo run` reads BELLMAP_* too).
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the HTTP API (the default when no command is given).
    Serve(ServeArgs),
    /// Import a CSV file, or an HSDS 3.0 tabular data package (a directory with
    /// datapackage.json and services.csv, ...): all rows or nothing.
    Import {
        file: PathBuf,
        /// csv, or hsds (a package directory); a directory is read as hsds without it.
        #[arg(long, value_enum)]
        format: Option<FormatArg>,
        /// Validate and count what would change, writing nothing.
        #[arg(long)]
        dry_run: bool,
        /// A repair to apply instead of refusing rows; repeatable. swap_coordinates: a row whose
        /// point is outside its country but inside with latitude and longitude swapped is imported
        /// swapped, with a swapped_coordinates warning.
        #[arg(long = "fix", value_name = "FIX", value_parser = crate::ingest::Fix::parse)]
        fix: Vec<crate::ingest::Fix>,
        /// gazetteer: place a row whose lat and lon are both empty at its PIN code's centroid,
        /// else its district's headquarters (district and state), from the bundled gazetteer;
        /// such providers are location_precision approximate and the report lists them.
        #[arg(long, value_name = "GEOCODER", value_parser = crate::model::Geocode::parse)]
        geocode: Option<crate::model::Geocode>,
    },
    /// Write every provider (any status, every field) as CSV in the import format, or an HSDS
    /// 3.0 tabular data package (`--format hsds`: the public view unless --include-confidential).
    Export {
        /// csv (default) or hsds.
        #[arg(long, value_enum, default_value_t = FormatArg::Csv)]
        format: FormatArg,
        /// File to write (a directory for hsds, which needs it); standard output when absent.
        #[arg(long, short)]
        output: Option<PathBuf>,
        /// hsds only: every provider and every field, confidential ones included (exact point,
        /// address, intake phone, keys): an admin's backup that imports back unchanged. Without
        /// it the package is what the public API shows.
        #[arg(long)]
        include_confidential: bool,
        /// The HSDS package's directory (the same as --output).
        #[arg(value_name = "DIR")]
        dir: Option<PathBuf>,
    },
    /// Run pending database migrations and exit.
    Migrate,
    /// Manage API tokens for admins and caseworkers.
    Token {
        #[command(subcommand)]
        command: TokenCommand,
    },
    /// Write fictional sample providers as CSV to standard output.
    Sample {
        #[arg(long, default_value_t = 2500)]
        count: usize,
        #[arg(long, default_value_t = 2026)]
        seed: u64,
    },
}

/// A file format of import and export.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum FormatArg {
    Csv,
    Hsds,
}

#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token and print it once (only its hash is stored).
    Create {
        #[arg(long)]
        name: String,
        #[arg(long, value_enum)]
        role: RoleArg,
    },
    /// List tokens (names, roles, dates; never the tokens).
    List,
    /// Revoke a token by name.
    Revoke { name: String },
}

/// A token's role as typed on the command line (the domain's `Role` knows nothing of clap).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum RoleArg {
    Caseworker,
    Admin,
}

impl From<RoleArg> for Role {
    fn from(r: RoleArg) -> Role {
        match r {
            RoleArg::Caseworker => Role::Caseworker,
            RoleArg::Admin => Role::Admin,
        }
    }
}

#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "BELLMAP_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// CSV to load into an empty database at start; the bundled fictional sample by default.
    #[arg(long, env = "BELLMAP_SEED_CSV")]
    pub seed_csv: Option<PathBuf>,
    /// Do not seed an empty database.
    #[arg(long, env = "BELLMAP_NO_SEED")]
    pub no_seed: bool,
    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "BELLMAP_WORKERS")]
    pub workers: Option<usize>,
    /// Largest CSV file an admin may upload over HTTP, in MiB.
    #[arg(long, env = "BELLMAP_MAX_IMPORT_MB", default_value_t = 100)]
    pub max_import_mb: u64,
    /// Seconds any request body (JSON, CSV, multipart) has to arrive once its headers have;
    /// a slower body gets 408 and its connection is closed.
    #[arg(long, env = "BELLMAP_BODY_TIMEOUT_SECS", default_value_t = 10)]
    pub body_timeout_secs: u64,
    /// Extra time for large bodies (imports): one more second for every this many KiB
    /// received, so an upload averaging this rate finishes while a trickle does not. 0: none.
    #[arg(long, env = "BELLMAP_BODY_MIN_KIB_PER_SEC", default_value_t = 32)]
    pub body_min_kib_per_sec: u64,
    /// Raster tiles under the map page, e.g. `https://tile.example.org/{z}/{x}/{y}.png` (http or
    /// https; `{s}.` as the first host label means any subdomain). Without it the page draws
    /// only the bundled country and state outlines and loads nothing from elsewhere.
    #[arg(long, env = "BELLMAP_TILE_URL")]
    pub tile_url: Option<String>,
    /// Attribution shown for the tiles (plain text), e.g. "© OpenStreetMap contributors".
    #[arg(long, env = "BELLMAP_TILE_ATTRIBUTION")]
    pub tile_attribution: Option<String>,
    /// Where the map page's "Quick exit" button goes: a neutral http(s) page.
    #[arg(long, env = "BELLMAP_EXIT_URL", default_value = crate::http::page::DEFAULT_EXIT_URL)]
    pub exit_url: String,
    /// How often to check the database for changes made by other processes (the CLI, other
    /// instances), in milliseconds; a change is served within this plus one snapshot build.
    #[arg(long, env = "BELLMAP_WATCH_MS", default_value_t = 500)]
    pub watch_ms: u64,
    /// A read replica of DATABASE_URL's database (same URL forms): snapshots are built from it,
    /// once it has reached the change the primary reported; writes and the change poll go to
    /// the primary. Never migrated: the server refuses to start if its schema is behind.
    #[arg(long, env = "DATABASE_READ_URL")]
    pub database_read_url: Option<String>,
    /// Where the snapshot is saved for the next start-up, which then reads this file and the
    /// rows changed since instead of every row. Default: beside a SQLite database file
    /// (`bellmap.db.snapshot`); none for PostgreSQL. `off` saves none. The file holds
    /// confidential addresses, as the database does: it is written readable by its owner only.
    #[arg(long, env = "BELLMAP_SNAPSHOT_FILE")]
    pub snapshot_file: Option<String>,
}

impl Default for ServeArgs {
    fn default() -> Self {
        ServeArgs {
            bind: "127.0.0.1:8080".into(),
            seed_csv: None,
            no_seed: false,
            workers: None,
            max_import_mb: 100,
            body_timeout_secs: 10,
            body_min_kib_per_sec: 32,
            tile_url: None,
            tile_attribution: None,
            exit_url: crate::http::page::DEFAULT_EXIT_URL.into(),
            watch_ms: 500,
            database_read_url: None,
            snapshot_file: None,
        }
    }
}

impl ServeArgs {
    pub fn watch_interval(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.watch_ms.max(10))
    }

    /// The file the snapshot is saved in for a server on `database_url` (see `snapshot_file`).
    pub fn snapshot_path(&self, database_url: &str) -> Option<std::path::PathBuf> {
        match self.snapshot_file.as_deref().map(str::trim) {
            Some("off") | Some("") => None,
            Some(path) => Some(path.into()),
            None => {
                crate::db::sqlite_file(database_url).map(|db| format!("{}.snapshot", db.display()).into())
            }
        }
    }
}
