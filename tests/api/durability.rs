//! Durability: readers under live imports (one snapshot per answer, no failures, cursors never
//! cross snapshots) and a SIGKILL in the middle of a large import (all or nothing on restart).

use crate::helpers::{TestDatabase, sqlite_only};
use bellmap::app;
use bellmap::config::ServeArgs;
use bellmap::model::Role;
use reqwest::Client;
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const HEADER: &str = "external_id,name,categories,lat,lon,country,phone";

/// `n` valid providers `{prefix}00000..`, each named "Sample NNNNN gen{generation}", spread
/// over the whole globe.
fn generation_csv(prefix: &str, n: usize, generation: u32) -> String {
    let mut csv = format!("{HEADER}\n");
    for i in 0..n {
        let lat = -60.0 + (i % 100) as f64 * 1.2;
        let lon = -170.0 + (i / 100) as f64 * 16.9 + (i % 7) as f64 * 0.01;
        csv.push_str(&format!(
            "{prefix}{i:05},Sample {i:05} gen{generation},shelter,{lat:.4},{lon:.4},IN,0522 230 {:04}\n",
            i % 10_000
        ));
    }
    csv
}

/// The generation tag a provider name ends with.
fn generation_of(name: &str) -> Option<u32> {
    name.rsplit_once(" gen").and_then(|(_, g)| g.parse().ok())
}

/// The one generation every item of an answer carries, or why not.
fn one_generation(body: &Value) -> Result<u32, String> {
    let items = body["items"].as_array().ok_or("no items array")?;
    let gens: BTreeSet<Option<u32>> =
        items.iter().map(|i| i["name"].as_str().and_then(generation_of)).collect();
    match gens.into_iter().collect::<Vec<_>>().as_slice() {
        [Some(g)] => Ok(*g),
        [] => Err("no items".into()),
        other => Err(format!("a mix of generations {other:?}")),
    }
}

/// An error with its causes, e.g. "error sending request: ...: connection closed".
fn with_causes(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(&format!(": {c}"));
        cause = c.source();
    }
    text
}

/// A client that reuses a connection only while it has been idle for less than 2 s, well inside
/// the server's keep-alive timeout: a request written into a connection the server is closing at
/// that moment fails in the client (hyper's IncompleteMessage race), which says nothing about
/// the server.
fn client() -> Client {
    Client::builder().pool_idle_timeout(Duration::from_secs(2)).build().expect("client")
}

/// GET returning the status and the parsed JSON body (or why it failed).
async fn get_json(client: &Client, url: &str) -> Result<(u16, Value), String> {
    let res = client.get(url).send().await.map_err(|e| format!("GET {url}: {}", with_causes(&e)))?;
    let status = res.status().as_u16();
    let text = res.text().await.map_err(|e| format!("GET {url}: body: {e}"))?;
    let body = serde_json::from_str(&text).map_err(|e| format!("GET {url}: not JSON ({e}): {text}"))?;
    Ok((status, body))
}

/// True when `body` is a 400 problem whose errors name `cursor` as stale.
fn is_stale_cursor_problem(status: u16, body: &Value) -> bool {
    status == 400
        && body["status"] == 400
        && body["errors"].as_array().is_some_and(|errs| {
            errs.iter().any(|e| {
                e["field"] == "cursor" && e["message"].as_str().is_some_and(|m| m.contains("changed"))
            })
        })
}

const PROVIDERS: usize = 2_000;
const IMPORTS: u32 = 8;
/// Imports after this long (from the test's start) are skipped, to keep the test bounded.
const IMPORT_PHASE: Duration = Duration::from_secs(20);
const LIST: &str = "/v1/providers?bbox=-180,-90,180,90&limit=500";

/// What one reader saw.
#[derive(Default)]
struct Seen {
    requests: u64,
    by_generation: BTreeMap<u32, u64>,
    failures: Vec<String>,
}

impl Seen {
    fn fail(&mut self, what: String) {
        if self.failures.len() < 5 {
            self.failures.push(what);
        } else if self.failures.len() == 5 {
            self.failures.push("(more failures left out)".into());
        }
    }
}

/// Loops over bbox listings and nearest queries until `stop`; every answer must be a 200 from
/// one snapshot, and a reader's generations never go backwards.
async fn reader(client: Client, base: String, reader_no: u64, stop: Arc<AtomicBool>) -> Seen {
    let mut seen = Seen::default();
    let mut last = 0;
    let mut n = reader_no * 1_000;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let (url, expect_items, expect_total) = if n.is_multiple_of(2) {
            (format!("{base}{LIST}"), 500, Some(PROVIDERS as u64))
        } else {
            let lat = ((n * 37) % 160) as f64 - 80.0;
            let lon = ((n * 53) % 340) as f64 - 170.0;
            (format!("{base}/v1/providers/nearest?lat={lat}&lon={lon}&k=100"), 100, None)
        };
        seen.requests += 1;
        let (status, body) = match get_json(&client, &url).await {
            Ok(answer) => answer,
            Err(e) => {
                seen.fail(e);
                continue;
            }
        };
        if status != 200 {
            seen.fail(format!("GET {url}: status {status}: {body}"));
            continue;
        }
        let count = body["items"].as_array().map_or(0, Vec::len);
        if count != expect_items || expect_total.is_some_and(|t| body["total"] != t) {
            seen.fail(format!("GET {url}: {count} items, total {}", body["total"]));
        }
        match one_generation(&body) {
            Ok(g) => {
                *seen.by_generation.entry(g).or_default() += 1;
                if g < last {
                    seen.fail(format!("GET {url}: generation {g} after {last}"));
                }
                last = last.max(g);
            }
            Err(e) => seen.fail(format!("GET {url}: {e}")),
        }
    }
    seen
}

/// What the cursor pager saw.
#[derive(Default)]
struct Walks {
    pages: u64,
    complete: u64,
    stale_restarts: u64,
    failures: Vec<String>,
}

/// Pages through the whole listing again and again until `stop`. Every page of a walk must come
/// from the walk's first snapshot; a cursor from an older snapshot must be refused as stale.
async fn pager(client: Client, base: String, stop: Arc<AtomicBool>) -> Walks {
    let mut walks = Walks::default();
    'walk: while !stop.load(Ordering::Relaxed) {
        let mut url = format!("{base}{LIST}");
        let mut generation = None;
        let mut ids: Vec<i64> = Vec::new();
        loop {
            walks.pages += 1;
            let (status, body) = match get_json(&client, &url).await {
                Ok(answer) => answer,
                Err(e) => {
                    walks.failures.push(e);
                    continue 'walk;
                }
            };
            if generation.is_some() && is_stale_cursor_problem(status, &body) {
                walks.stale_restarts += 1;
                continue 'walk;
            }
            if status != 200 {
                walks.failures.push(format!("page {}: status {status}: {body}", ids.len() / 500 + 1));
                continue 'walk;
            }
            match (one_generation(&body), generation) {
                (Ok(g), None) => generation = Some(g),
                (Ok(g), Some(first)) if g == first => {}
                (Ok(g), Some(first)) => {
                    walks.failures.push(format!("a walk began at generation {first} and went on at {g}"));
                    continue 'walk;
                }
                (Err(e), _) => {
                    walks.failures.push(e);
                    continue 'walk;
                }
            }
            ids.extend(body["items"].as_array().into_iter().flatten().filter_map(|i| i["id"].as_i64()));
            match body["next_cursor"].as_str() {
                Some(cursor) => url = format!("{base}{LIST}&cursor={cursor}"),
                None => break,
            }
        }
        let distinct: BTreeSet<i64> = ids.iter().copied().collect();
        if ids.len() != PROVIDERS || distinct.len() != PROVIDERS || !ids.is_sorted() {
            walks.failures.push(format!("a walk gave {} ids, {} distinct", ids.len(), distinct.len()));
        }
        walks.complete += 1;
    }
    walks
}

/// An admin import over HTTP that must be written; returns the report.
async fn import_ok(client: &Client, base: &str, token: &str, csv: String) -> Value {
    let res = client
        .post(format!("{base}/v1/admin/imports"))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .expect("import sent");
    let status = res.status();
    let text = res.text().await.expect("import answer");
    assert_eq!(status, 200, "import: {text}");
    let report: Value = serde_json::from_str(&text).expect("report is JSON");
    assert_eq!(report["written"], true, "{report}");
    report
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn live_swap_under_load() {
    let started = Instant::now();
    let dir = tempfile::tempdir().expect("temp dir");
    let seed = dir.path().join("seed.csv");
    std::fs::write(&seed, generation_csv("g", PROVIDERS, 0)).expect("write seed");
    let database = TestDatabase::new();
    let url = database.url().to_string();
    let args = ServeArgs {
        bind: "127.0.0.1:0".into(),
        seed_csv: Some(seed),
        workers: Some(2),
        ..ServeArgs::default()
    };
    let application = app::build(&url, &args).expect("app builds");
    let handle = application.server.handle();
    tokio::spawn(application.server);
    let base = format!("http://{}", application.addr);
    let token = application.service.create_token("loader", Role::Admin, "test").expect("token");
    let client = client();

    let first = get_json(&client, &format!("{base}{LIST}")).await.expect("first listing");
    assert_eq!(one_generation(&first.1), Ok(0), "the seed is generation 0");

    // Readers and a pager run until the importer has written every generation.
    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> =
        (0..4).map(|r| tokio::spawn(reader(client.clone(), base.clone(), r, stop.clone()))).collect();
    let paging = tokio::spawn(pager(client.clone(), base.clone(), stop.clone()));
    let importer = {
        let (client, base, token) = (client.clone(), base.clone(), token.clone());
        tokio::spawn(async move {
            let mut took = Vec::new();
            for generation in 1..=IMPORTS {
                // On a slow machine, stop early (but after at least 3 imports) to stay bounded.
                if generation > 3 && started.elapsed() > IMPORT_PHASE {
                    break;
                }
                let csv = generation_csv("g", PROVIDERS, generation);
                let t = Instant::now();
                let report = import_ok(&client, &base, &token, csv).await;
                took.push(t.elapsed());
                assert_eq!(report["updated"], PROVIDERS as u64, "every provider renamed: {report}");
                // Let the readers see this generation before the next one.
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            took
        })
    };
    let took = tokio::time::timeout(Duration::from_secs(60), importer)
        .await
        .expect("the imports finish within 60 s")
        .expect("the importer did not panic");
    stop.store(true, Ordering::Relaxed);
    let last_generation = took.len() as u32;

    let mut requests = 0;
    let mut by_generation: BTreeMap<u32, u64> = BTreeMap::new();
    let mut failures = Vec::new();
    for (r, task) in readers.into_iter().enumerate() {
        let seen = task.await.expect("reader did not panic");
        requests += seen.requests;
        for (g, n) in seen.by_generation {
            *by_generation.entry(g).or_default() += n;
        }
        failures.extend(seen.failures.into_iter().map(|f| format!("reader {r}: {f}")));
    }
    let walks = paging.await.expect("pager did not panic");
    failures.extend(walks.failures.iter().map(|f| format!("pager: {f}")));
    println!(
        "live_swap_under_load: {last_generation} imports of {PROVIDERS} renamed providers (each {:?}); \
         {requests} reader requests, by generation {by_generation:?}; pager: {} pages, {} complete walks, \
         {} stale-cursor restarts",
        took, walks.pages, walks.complete, walks.stale_restarts
    );
    assert!(failures.is_empty(), "failed or mixed answers: {failures:#?}");
    assert!(by_generation.len() >= 2, "readers must overlap imports: saw only {by_generation:?}");
    assert!(requests >= 20, "too few reader requests ({requests}) to mean anything");

    // After the last import, everything shows the last generation.
    let (status, last) = get_json(&client, &format!("{base}{LIST}")).await.expect("final listing");
    assert_eq!(status, 200);
    assert_eq!(one_generation(&last), Ok(last_generation), "the final generation is the last one imported");
    let (_, ready) = get_json(&client, &format!("{base}/ready")).await.expect("ready");
    assert_eq!(ready["providers"], PROVIDERS as u64, "{ready}");

    // An import between two pages: the next page continues the same snapshot or the cursor is
    // refused as stale (400 naming `cursor`), never a page of the new generation.
    let page1 = last;
    let cursor = page1["next_cursor"].as_str().expect("a second page").to_string();
    import_ok(&client, &base, &token, generation_csv("g", PROVIDERS, last_generation + 1)).await;
    let res = client.get(format!("{base}{LIST}&cursor={cursor}")).send().await.expect("page 2 sent");
    let status = res.status().as_u16();
    let content_type =
        res.headers().get("content-type").and_then(|v| v.to_str().ok()).unwrap_or("").to_string();
    let page2: Value = serde_json::from_str(&res.text().await.expect("page 2 body")).expect("page 2 JSON");
    let page2_outcome = if status == 200 {
        assert_eq!(
            one_generation(&page2),
            Ok(last_generation),
            "page 2 continues page 1's snapshot: {page2}"
        );
        "continued the old snapshot"
    } else {
        assert!(is_stale_cursor_problem(status, &page2), "a clear stale-cursor 400: {status} {page2}");
        assert_eq!(content_type, "application/problem+json");
        "refused as stale (400, cursor)"
    };
    println!("live_swap_under_load: a cursor across an import: {page2_outcome}");
    // Starting again without a cursor walks the new snapshot whole.
    let mut url = format!("{base}{LIST}");
    let mut ids = Vec::new();
    loop {
        let (status, page) = get_json(&client, &url).await.expect("page");
        assert_eq!(status, 200, "{page}");
        assert_eq!(one_generation(&page), Ok(last_generation + 1));
        ids.extend(page["items"].as_array().unwrap().iter().map(|i| i["id"].as_i64().unwrap()));
        match page["next_cursor"].as_str() {
            Some(c) => url = format!("{base}{LIST}&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(ids.len(), PROVIDERS);
    assert_eq!(ids.iter().collect::<BTreeSet<_>>().len(), PROVIDERS, "no id twice");
    println!("live_swap_under_load: took {:?}", started.elapsed());
    handle.stop(false).await;
}

/// The binary under test, run as a child process that is SIGKILLed when dropped.
struct Server {
    child: Child,
    base: String,
    log: PathBuf,
}

impl Server {
    /// Starts `bellmap serve` on a free loopback port and waits (at most 20 s) for /ready. Tries
    /// another port if someone else took the chosen one first.
    async fn start(database_url: &str, log: PathBuf, client: &Client) -> Server {
        for attempt in 1..=3 {
            let port = free_port();
            let child = bellmap(database_url)
                .arg("serve")
                .env("BELLMAP_BIND", format!("127.0.0.1:{port}"))
                .env("BELLMAP_NO_SEED", "true")
                .env("BELLMAP_WORKERS", "2")
                .stdout(Stdio::null())
                .stderr(std::fs::File::create(&log).expect("log file"))
                .spawn()
                .expect("the binary starts");
            let mut server = Server { child, base: format!("http://127.0.0.1:{port}"), log: log.clone() };
            let deadline = Instant::now() + Duration::from_secs(20);
            loop {
                if let Ok((200, _)) = get_json(client, &format!("{}/ready", server.base)).await {
                    return server;
                }
                if let Some(status) = server.child.try_wait().expect("child status") {
                    let text = server.log_text();
                    assert!(
                        attempt < 3 && text.contains("cannot listen"),
                        "the server exited with {status}: {text}"
                    );
                    break;
                }
                assert!(Instant::now() < deadline, "not ready within 20 s: {}", server.log_text());
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        unreachable!("the third attempt returns or panics")
    }

    fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGKILL, by this child's pid only.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
    }
}

/// The binary with a clean environment for its settings.
fn bellmap(database_url: &str) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_bellmap"));
    for var in ["BELLMAP_SEED_CSV", "BELLMAP_MAX_IMPORT_MB", "BELLMAP_WORKERS", "BELLMAP_NO_SEED"] {
        cmd.env_remove(var);
    }
    cmd.env("DATABASE_URL", database_url).env("BELLMAP_LOG", "warn");
    cmd
}

/// A loopback port nobody listened on a moment ago.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

fn file_len(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// Everything a client can observe of the directory: readiness count, every listed provider
/// (id, name), the import history and the audit log size.
#[derive(Debug, PartialEq)]
struct Observed {
    providers: u64,
    listing: Vec<(i64, String)>,
    history: Vec<(i64, String, Value)>,
    audit_total: u64,
}

async fn observe(client: &Client, base: &str, token: &str) -> Observed {
    let (status, ready) = get_json(client, &format!("{base}/ready")).await.expect("ready");
    assert_eq!(status, 200, "{ready}");
    let list = "/v1/providers?bbox=-180,-90,180,90&limit=100";
    let mut url = format!("{base}{list}");
    let mut listing = Vec::new();
    loop {
        let (status, page) = get_json(client, &url).await.expect("page");
        assert_eq!(status, 200, "{page}");
        for item in page["items"].as_array().expect("items") {
            listing.push((item["id"].as_i64().unwrap(), item["name"].as_str().unwrap().to_string()));
        }
        match page["next_cursor"].as_str() {
            Some(c) => url = format!("{base}{list}&cursor={c}"),
            None => break,
        }
    }
    let admin_get = |path: &str| {
        let req = client.get(format!("{base}{path}")).bearer_auth(token);
        async move {
            let res = req.send().await.expect("admin request");
            assert_eq!(res.status(), 200);
            res.json::<Value>().await.expect("admin JSON")
        }
    };
    let history = admin_get("/v1/admin/imports?limit=500").await;
    let history = history["items"]
        .as_array()
        .expect("history items")
        .iter()
        .map(|i| (i["id"].as_i64().unwrap(), i["mode"].as_str().unwrap().to_string(), i["report"].clone()))
        .collect();
    let audit_total = admin_get("/v1/admin/audit?limit=1").await["total"].as_u64().expect("audit total");
    Observed { providers: ready["providers"].as_u64().expect("count"), listing, history, audit_total }
}

/// Rows in the large import, and how many bytes it must have written before the kill (a
/// complete import of these rows writes about 37 MiB of WAL in one transaction).
const LARGE_ROWS: usize = 24_000;
const WRITTEN_BEFORE_KILL: u64 = 8 * 1024 * 1024;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_mid_import_keeps_the_previous_state() {
    // It times the kill by the growth of SQLite's WAL file.
    if sqlite_only("sigkill_mid_import_keeps_the_previous_state") {
        return;
    }
    // On a loaded machine the watcher below can be starved until the import has committed: such
    // a kill tests nothing about an open transaction. That attempt must then show the whole
    // import (an import is one transaction), and a fresh one is made.
    for attempt in 1..=3 {
        if kill_mid_import(attempt).await {
            return;
        }
    }
    panic!("in three attempts the import committed before the kill landed");
}

/// One attempt of `sigkill_mid_import_keeps_the_previous_state`, in a fresh directory: `false`
/// when the import had committed before the kill (after checking all of it is there).
async fn kill_mid_import(attempt: u32) -> bool {
    let started = Instant::now();
    let dir = tempfile::tempdir().expect("temp dir");
    let db_path = dir.path().join("k.db");
    let wal = dir.path().join("k.db-wal");
    let database_url = format!("sqlite://{}", db_path.display());
    let client = client();

    // The admin token, made by the command line before the server starts.
    let out = bellmap(&database_url)
        .args(["token", "create", "--name", "killer", "--role", "admin"])
        .output()
        .expect("token create runs");
    assert!(out.status.success(), "token create: {}", String::from_utf8_lossy(&out.stderr));
    let token = String::from_utf8(out.stdout).expect("token is UTF-8").trim().to_string();
    assert!(!token.is_empty() && !token.contains(char::is_whitespace), "one token on stdout: {token:?}");

    let mut server = Server::start(&database_url, dir.path().join("server1.log"), &client).await;
    let first = import_ok(&client, &server.base, &token, generation_csv("first-", 300, 1)).await;
    assert_eq!(first["created"], 300, "{first}");
    let before = observe(&client, &server.base, &token).await;
    assert_eq!(before.providers, 300);
    assert_eq!(before.listing.len(), 300);
    assert_eq!(before.history.len(), 1, "{:?}", before.history);

    // A large file of other providers (external ids sample-NNNNNN), from the binary itself.
    let out = bellmap(&database_url)
        .args(["sample", "--count", &LARGE_ROWS.to_string(), "--seed", "9"])
        .output()
        .expect("sample runs");
    assert!(out.status.success(), "sample: {}", String::from_utf8_lossy(&out.stderr));
    let large = out.stdout;
    let large_mib = large.len() as f64 / (1024.0 * 1024.0);

    let (wal_before, db_before) = (file_len(&wal), file_len(&db_path));
    // Bytes written since the POST: an open transaction grows the WAL; writes committed bit by bit
    // (which would be a bug) are checkpointed into the database file and grow that instead.
    let written = || file_len(&wal).saturating_sub(wal_before) + file_len(&db_path).saturating_sub(db_before);
    let posted = Instant::now();
    let upload = {
        let (client, url, token) =
            (client.clone(), format!("{}/v1/admin/imports", server.base), token.clone());
        tokio::spawn(async move {
            let res = client
                .post(url)
                .bearer_auth(token)
                .header("content-type", "text/csv")
                .body(large)
                .send()
                .await;
            match res {
                Ok(res) => Ok((res.status().as_u16(), res.text().await.unwrap_or_default())),
                Err(e) => Err(with_causes(&e)),
            }
        })
    };
    // The import is under way once it has written well past the old WAL size.
    let deadline = posted + Duration::from_secs(40);
    let written_at_kill = loop {
        let n = written();
        if n >= WRITTEN_BEFORE_KILL || upload.is_finished() {
            break n;
        }
        assert!(Instant::now() < deadline, "the import did not start writing within 40 s ({n} bytes)");
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let (wal_at_kill, db_at_kill) = (file_len(&wal), file_len(&db_path));
    server.kill();
    let killed_after = posted.elapsed();
    let answer = tokio::time::timeout(Duration::from_secs(10), upload)
        .await
        .expect("the upload ends once the server is dead")
        .expect("upload task");
    if answer.is_ok() {
        drop(server);
        let server = Server::start(&database_url, dir.path().join("server2.log"), &client).await;
        return committed_whole(attempt, &before, observe(&client, &server.base, &token).await, &answer);
    }
    let wal_after_kill = file_len(&wal);
    println!(
        "sigkill: {LARGE_ROWS} rows ({large_mib:.1} MiB) posted; killed {killed_after:?} after the POST with the \
         WAL at {:.1} MiB (from {:.1}) and the database file at {:.1} MiB (from {:.1}): {:.1} MiB written \
         by the import; the upload saw: {}",
        wal_at_kill as f64 / 1048576.0,
        wal_before as f64 / 1048576.0,
        db_at_kill as f64 / 1048576.0,
        db_before as f64 / 1048576.0,
        written_at_kill as f64 / 1048576.0,
        answer.as_ref().unwrap_err()
    );
    drop(server);

    // Restart on the same files: SQLite recovers, dropping the uncommitted frames.
    let server = Server::start(&database_url, dir.path().join("server2.log"), &client).await;
    let after = observe(&client, &server.base, &token).await;
    if after.history.len() > before.history.len() {
        return committed_whole(attempt, &before, after, &answer);
    }
    assert_eq!(after.providers, before.providers, "provider count after restart");
    assert_eq!(after.listing, before.listing, "the listing after restart equals the one before");
    assert_eq!(after.history, before.history, "no history entry for the killed import");
    assert_eq!(after.audit_total, before.audit_total, "no audit entry for the killed import");

    let (status, nearest) =
        get_json(&client, &format!("{}/v1/providers/nearest?lat=0&lon=0&k=10", server.base)).await.unwrap();
    assert_eq!(status, 200, "{nearest}");
    let items = nearest["items"].as_array().expect("items");
    assert_eq!(items.len(), 10);
    let names: BTreeSet<&str> = before.listing.iter().map(|(_, n)| n.as_str()).collect();
    assert!(items.iter().all(|i| names.contains(i["name"].as_str().unwrap())), "{nearest}");

    // The recovered database takes writes again.
    let again = import_ok(&client, &server.base, &token, generation_csv("first-", 300, 2)).await;
    assert_eq!(again["updated"], 300, "{again}");
    assert_eq!(again["import_id"].as_i64(), Some(before.history[0].0 + 1), "{again}");
    println!(
        "sigkill: WAL after the kill {:.1} MiB; after restart state identical; took {:?} (attempt {attempt})",
        wal_after_kill as f64 / 1048576.0,
        started.elapsed()
    );
    true
}

/// After a kill that landed once the import had committed: the import is there whole, as one
/// more history entry that created every row, with nothing else changed. Returns `false`.
fn committed_whole(attempt: u32, before: &Observed, after: Observed, answer: &impl std::fmt::Debug) -> bool {
    println!(
        "sigkill attempt {attempt}: the import committed before the kill landed (the upload saw {answer:?})"
    );
    assert_eq!(after.history.len(), before.history.len() + 1, "{:?}", after.history);
    let created: Vec<u64> =
        after.history.iter().filter_map(|(_, _, report)| report["created"].as_u64()).collect();
    assert!(created.contains(&(LARGE_ROWS as u64)), "one entry created all {LARGE_ROWS} rows: {created:?}");
    assert!(after.providers > before.providers, "{} then {}", before.providers, after.providers);
    let kept: BTreeSet<&(i64, String)> = after.listing.iter().collect();
    assert!(before.listing.iter().all(|p| kept.contains(p)), "the earlier providers are all still listed");
    false
}

/// An import and a PATCH of the same record, sent while the import runs: both are kept, in
/// commit order. (The PATCH once read the record before the import committed and wrote it back
/// after, silently undoing the import.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_edit_during_an_import_loses_neither() {
    const N: usize = 2_000;
    let app = crate::helpers::TestApp::spawn(&generation_csv("p", N, 0)).await;
    let token = app.db().create_token("editor", Role::Admin, "test").unwrap();
    let id = app.db().load_all().unwrap().iter().find(|p| p.data.external_id == "p00000").unwrap().id.0;
    let base = app.url("");
    let client = client();
    for round in 1..=3u32 {
        let import = tokio::spawn({
            let (client, base, token) = (client.clone(), base.clone(), token.clone());
            async move { import_ok(&client, &base, &token, generation_csv("p", N, round)).await }
        });
        tokio::time::sleep(Duration::from_millis(150)).await;
        let phone = format!("0522 271 {:04}", 9000 + round);
        let res = client
            .patch(format!("{base}/v1/admin/providers/{id}"))
            .bearer_auth(&token)
            .json(&serde_json::json!({"phone": phone}))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
        import.await.unwrap();

        let stored = app.db().get_provider(id).unwrap().unwrap();
        assert_eq!(generation_of(&stored.data.name), Some(round), "round {round}: the import was lost");
        let audit = app.db().list_audit(0, 10).unwrap().0;
        let position = |action: &str| audit.iter().position(|e| e.action == action).unwrap();
        // Newest first: a PATCH committed after the import must have survived it.
        if position("provider.update") < position("import") {
            assert_eq!(
                stored.data.phone.map(|p| p.display),
                Some(phone),
                "round {round}: the edit committed last but was lost"
            );
        }
    }
}
