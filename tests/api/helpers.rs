//! Spawning the app and calling it over HTTP.

use bellmap::app;
use bellmap::config::ServeArgs;
use bellmap::db::{Backend, Db};
use reqwest::{Client, Response};
use serde_json::Value;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tempfile::TempDir;

/// The variable that puts the suite on PostgreSQL: an admin URL of a server on which each test
/// creates (and drops) its own database.
pub const POSTGRES_URL_VAR: &str = "BELLMAP_TEST_POSTGRES_URL";

/// The PostgreSQL admin URL, when the suite runs there.
pub fn postgres_admin_url() -> Option<String> {
    std::env::var(POSTGRES_URL_VAR).ok().filter(|u| !u.trim().is_empty())
}

/// The backend every test database of this run is on.
pub fn backend() -> Backend {
    if postgres_admin_url().is_some() { Backend::Postgres } else { Backend::Sqlite }
}

/// For tests that look at SQLite's files themselves: true (after a printed notice) when the
/// suite is on PostgreSQL, where there are no such files, so the test should return.
pub fn sqlite_only(test: &str) -> bool {
    let skip = backend() == Backend::Postgres;
    if skip {
        notice(&format!("{test}: skipped on PostgreSQL (it inspects SQLite's database files)"));
    }
    skip
}

/// Writes a line to stderr past the test harness's capture (which only takes `eprintln!`), so it
/// shows even when the test passes.
pub fn notice(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr(), "NOTICE: {line}");
}

/// A fresh, empty database for one test: a SQLite file in a temp dir, or, when
/// BELLMAP_TEST_POSTGRES_URL is set, a database of its own on that server, dropped on Drop.
pub struct TestDatabase {
    url: String,
    /// The admin URL and the database's name, to drop it.
    postgres: Option<(String, String)>,
    _dir: Option<TempDir>,
}

impl TestDatabase {
    pub fn new() -> TestDatabase {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        match postgres_admin_url() {
            Some(admin) => {
                let n = COUNTER.fetch_add(1, Ordering::Relaxed);
                let name = format!("bellmap_t_{}_{n}_{:08x}", std::process::id(), rand::random::<u32>());
                bellmap::db::create_postgres_database(&admin, &name)
                    .unwrap_or_else(|e| panic!("{POSTGRES_URL_VAR}={admin}: cannot create {name}: {e}"));
                let url = bellmap::db::postgres_url_for(&admin, &name);
                TestDatabase { url, postgres: Some((admin, name)), _dir: None }
            }
            None => {
                let dir = tempfile::tempdir().expect("temp dir");
                let url = format!("sqlite://{}", dir.path().join("test.db").display());
                TestDatabase { url, postgres: None, _dir: Some(dir) }
            }
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Opens (and migrates) it.
    pub fn open(&self) -> Db {
        Db::open(&self.url).expect("the test database opens")
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.postgres {
            // FORCE ends the sessions of servers that are still stopping.
            if let Err(e) = bellmap::db::drop_postgres_database(admin, name) {
                eprintln!("could not drop test database {name}: {e}");
            }
        }
    }
}

/// A running app on a loopback port with its own database (see [`TestDatabase`]). Dropping it
/// stops the server.
pub struct TestApp {
    pub addr: SocketAddr,
    pub client: Client,
    pub service: Arc<bellmap::service::Service>,
    /// The app's database opened directly, for tests that look behind the service.
    db: Db,
    pub dir: TempDir,
    handle: actix_web::dev::ServerHandle,
    /// Shared with instances spawned on the same database; dropped (so the database with it)
    /// after the last of them, and after `handle` has been told to stop.
    database: Arc<TestDatabase>,
    /// The read replica the app builds its snapshots from, if any; kept as long as the app.
    replica: Option<Arc<TestDatabase>>,
}

impl TestApp {
    /// Starts the app seeded with `csv` (an empty database first, so the seed is imported).
    pub async fn spawn(csv: &str) -> TestApp {
        TestApp::spawn_with(csv, ServeArgs::default()).await
    }

    /// Like `spawn`, with other settings (bind, seed and workers are set here).
    pub async fn spawn_with(csv: &str, args: ServeArgs) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let seed = dir.path().join("seed.csv");
        std::fs::write(&seed, csv).expect("write seed");
        let database = Arc::new(TestDatabase::new());
        let args = ServeArgs { bind: "127.0.0.1:0".into(), seed_csv: Some(seed), workers: Some(1), ..args };
        let application = app::build(database.url(), &args).expect("app builds");
        TestApp::started(application, database, dir)
    }

    /// Like `spawn`, with snapshots read from `replica` (a second test database, which the
    /// test fills itself: nothing replicates to it), kept until the app is dropped.
    pub async fn spawn_with_replica(csv: &str, replica: Arc<TestDatabase>, args: ServeArgs) -> TestApp {
        let args = ServeArgs { database_read_url: Some(replica.url().to_string()), ..args };
        let mut app = TestApp::spawn_with(csv, args).await;
        app.replica = Some(replica);
        app
    }

    fn started(application: app::Application, database: Arc<TestDatabase>, dir: TempDir) -> TestApp {
        let db = database.open();
        let handle = application.server.handle();
        tokio::spawn(application.server);
        TestApp {
            addr: application.addr,
            client: Client::new(),
            service: application.service,
            db,
            dir,
            handle,
            database,
            replica: None,
        }
    }

    /// The same database as the app's, opened directly (not through the service).
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Another server on this app's database, as a second instance or a restart would be.
    pub async fn spawn_on_same_database(&self) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let args =
            ServeArgs { bind: "127.0.0.1:0".into(), no_seed: true, workers: Some(1), ..ServeArgs::default() };
        let application = app::build(self.database.url(), &args).expect("app builds");
        TestApp::started(application, self.database.clone(), dir)
    }

    /// Another server on this app's database reached through `url` (the same database by
    /// another route, such as a proxy the test can cut).
    pub async fn spawn_on_url(&self, url: &str) -> TestApp {
        let dir = tempfile::tempdir().expect("temp dir");
        let args =
            ServeArgs { bind: "127.0.0.1:0".into(), no_seed: true, workers: Some(1), ..ServeArgs::default() };
        let application = app::build(url, &args).expect("app builds");
        TestApp::started(application, self.database.clone(), dir)
    }

    /// The app's database URL, for the CLI or another process.
    pub fn database_url(&self) -> String {
        self.database.url().to_string()
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.expect("request sent")
    }

    pub async fn post_json(&self, path: &str, body: &Value) -> Response {
        self.client.post(self.url(path)).json(body).send().await.expect("request sent")
    }

    /// POSTs `csv` to the admin import route (`query` after the `?`, may be empty) with `token`.
    pub async fn import_csv(&self, query: &str, token: &str, csv: &str) -> Response {
        self.client
            .post(self.url(&format!("/v1/admin/imports?{query}")))
            .bearer_auth(token)
            .header("content-type", "text/csv")
            .body(csv.to_string())
            .send()
            .await
            .expect("request sent")
    }

    /// GET expecting 200 and JSON; prints the body when the status is wrong.
    pub async fn get_ok(&self, path: &str) -> Value {
        ok_json(self.get(path).await, path).await
    }

    /// Follows next_cursor from `first` (a GET path with a query, without cursor); returns
    /// every page.
    pub async fn get_pages(&self, first: &str) -> Vec<Value> {
        let mut pages = vec![self.get_ok(first).await];
        while let Some(c) = pages.last().unwrap()["next_cursor"].as_str() {
            let path = format!("{first}&cursor={c}");
            pages.push(self.get_ok(&path).await);
            assert!(pages.len() < 100, "paging does not end");
        }
        pages
    }

    pub async fn post_ok(&self, path: &str, body: &Value) -> Value {
        ok_json(self.post_json(path, body).await, path).await
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        // Stop without waiting; the runtime ends with the test.
        drop(self.handle.stop(false));
    }
}

pub async fn ok_json(res: Response, what: &str) -> Value {
    let status = res.status();
    let text = res.text().await.expect("body");
    assert!(status.is_success(), "{what}: status {status}, body {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{what}: not JSON ({e}): {text}"))
}

/// Asserts a problem+json answer with `status` whose `errors` name `field`; returns the body.
pub async fn assert_problem(res: Response, status: u16, field: Option<&str>) -> Value {
    let got = res.status().as_u16();
    let content_type =
        res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let text = res.text().await.expect("body");
    assert_eq!(got, status, "unexpected status; body {text}");
    assert_eq!(content_type, "application/problem+json", "body {text}");
    let body: Value = serde_json::from_str(&text).expect("problem is JSON");
    assert_eq!(body["status"].as_u64(), Some(status as u64), "{text}");
    for key in ["type", "title", "detail"] {
        assert!(body[key].is_string(), "problem lacks {key}: {text}");
    }
    if let Some(field) = field {
        let named = body["errors"].as_array().is_some_and(|errs| errs.iter().any(|e| e["field"] == field));
        assert!(named, "expected an error naming '{field}': {text}");
    }
    body
}

/// The header every generated CSV in the tests uses (the export format).
pub const CSV_HEADER: &str = "external_id,name,organization,description,categories,lat,lon,public_lat,public_lon,confidential,address,locality,district,state,postal_code,country,phone,hotline,sms,intake_phone,email,website,languages,hours,open_24_7,eligibility,cost,wheelchair,verified_on,status";
