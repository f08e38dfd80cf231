//! Wiring: open the database, load the snapshot, bind the server.

use crate::config::ServeArgs;
use crate::db::Db;
use crate::emergency::{EmergencyDirectory, EmergencyError};
use crate::http::{self, AppState, cursor::CursorKey, page::PageSettings};
use crate::service::{Service, ServiceError};
use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web};
use std::net::{SocketAddr, TcpListener};
use std::sync::Arc;

/// The fictional sample directory bundled into the binary, loaded into an empty database.
pub const SAMPLE_CSV: &[u8] = include_bytes!("../data/providers.csv");

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Service(#[from] ServiceError),
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
    #[error("bundled emergency data: {0}")]
    Emergency(#[from] EmergencyError),
    #[error("cannot listen on {addr}: {source}")]
    Bind { addr: String, source: std::io::Error },
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("the seed file has {0} problem(s); the first: {1}")]
    Seed(usize, String),
    #[error("{0}")]
    Config(String),
}

/// A bound, not yet running, server.
pub struct Application {
    pub server: Server,
    pub addr: SocketAddr,
    pub service: Arc<Service>,
}

/// Opens the database (migrating it), seeds it when empty, loads the snapshot and binds.
/// `bind` may use port 0; `addr` reports the real port.
pub fn build(database_url: &str, args: &ServeArgs) -> Result<Application, AppError> {
    let page = PageSettings::new(args.tile_url.as_deref(), args.tile_attribution.as_deref(), &args.exit_url)
        .map_err(AppError::Config)?;
    let emergency = EmergencyDirectory::bundled()?;
    let db = Db::open(database_url)?;
    let service = Arc::new(match args.database_read_url.as_deref().filter(|u| !u.trim().is_empty()) {
        Some(read_url) => Service::open_with_replica(db, Db::open_replica(read_url)?)?,
        None => Service::open_saved(db, args.snapshot_path(database_url))?,
    });
    if !args.no_seed {
        let csv = match &args.seed_csv {
            Some(path) => std::fs::read(path)
                .map_err(|source| AppError::Read { path: path.display().to_string(), source })?,
            None => SAMPLE_CSV.to_vec(),
        };
        if let Some(report) = service.seed_if_empty(&csv)? {
            if let Some(first) = report.problems.first() {
                return Err(AppError::Seed(
                    report.problems.len(),
                    format!("line {}: {}", first.line, first.message),
                ));
            }
            tracing::info!(created = report.created, "seeded an empty database");
        }
    }
    service.watch(args.watch_interval());
    // The place index is built on first use; build it now, off the request path, so the first
    // place search does not wait for it.
    std::thread::spawn(|| {
        let started = std::time::Instant::now();
        crate::places::search::bundled();
        tracing::debug!(ms = started.elapsed().as_secs_f64() * 1000.0, "place index built");
    });
    let listener =
        TcpListener::bind(&args.bind).map_err(|source| AppError::Bind { addr: args.bind.clone(), source })?;
    let addr = listener.local_addr().map_err(|source| AppError::Bind { addr: args.bind.clone(), source })?;
    let state = web::Data::new(AppState {
        index: service.index().clone(),
        service: service.clone(),
        cursor_key: CursorKey::new(service.cursor_secret()?),
        emergency,
        max_import_bytes: args.max_import_mb.saturating_mul(1024 * 1024) as usize,
        body_deadline: http::deadline::BodyDeadline {
            base: std::time::Duration::from_secs(args.body_timeout_secs),
            min_rate: args.body_min_kib_per_sec.saturating_mul(1024),
        },
        page,
        hsds: http::hsds::CatalogCache::default(),
    });
    let mut server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .wrap(http::problem_handlers())
            .wrap(from_fn(http::deadline::body_deadline))
            .wrap(from_fn(http::security_headers))
            .wrap(from_fn(http::log_request))
            .configure(http::configure)
    })
    // Slow or idle clients cannot hold connections: headers must arrive within 10 s, bodies
    // within their deadline (http::deadline), idle keep-alive connections close after 30 s.
    // HTTP/1.1 serves one request at a time per connection.
    .client_request_timeout(std::time::Duration::from_secs(10))
    .client_disconnect_timeout(std::time::Duration::from_secs(2))
    .keep_alive(std::time::Duration::from_secs(30))
    .listen(listener)
    .map_err(|source| AppError::Bind { addr: args.bind.clone(), source })?;
    if let Some(workers) = args.workers {
        server = server.workers(workers);
    }
    Ok(Application { server: server.run(), addr, service })
}
