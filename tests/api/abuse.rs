//! Abuse cases bounded (issue 10): a heavy polygon, bodies that trickle in, and multipart
//! uploads that hide bytes in parts without a filename.

use crate::fixtures::LUCKNOW;
use crate::helpers::{TestApp, assert_problem};
use bellmap::config::ServeArgs;
use bellmap::model::Role;
use serde_json::json;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

fn circle(n: usize) -> Vec<[f64; 2]> {
    let mut ring: Vec<[f64; 2]> = (0..n - 1)
        .map(|i| {
            let a = i as f64 / (n - 1) as f64 * std::f64::consts::TAU;
            [LUCKNOW.1 + 0.3 * a.cos(), LUCKNOW.0 + 0.3 * a.sin()]
        })
        .collect();
    ring.push(ring[0]);
    ring
}

/// A 10,000-position ring with one vertex pulled across the circle is refused, naming the
/// field; the same ring without the fault is accepted.
#[tokio::test]
async fn heavy_self_intersecting_polygon_is_refused_naming_the_field() {
    let app = TestApp::spawn(&crate::fixtures::generate(1000, 3).csv).await;
    let ring = circle(10_000);
    let ok = app
        .post_json("/v1/providers/search", &json!({"polygon": {"type": "Polygon", "coordinates": [ring]}}))
        .await;
    assert_eq!(ok.status(), 200);
    let mut bad = ring.clone();
    bad[5_000] = [LUCKNOW.1 + 0.5, LUCKNOW.0 + 0.01];
    let res = app
        .post_json("/v1/providers/search", &json!({"polygon": {"type": "Polygon", "coordinates": [bad]}}))
        .await;
    let p = assert_problem(res, 400, Some("polygon.coordinates")).await;
    assert!(p.to_string().contains("self-intersection"), "{p}");
}

/// What a raw HTTP/1.1 exchange over loopback TCP gave back.
struct Exchange {
    response: String,
    /// From the end of the headers sent to the first byte of the answer.
    answered_after: Option<Duration>,
    /// Whether the server closed the connection within 4 s of its answer.
    closed: bool,
}

impl Exchange {
    fn status(&self) -> u16 {
        self.response.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0)
    }

    fn header(&self, name: &str) -> Option<String> {
        let head = self.response.split("\r\n\r\n").next()?;
        head.lines().find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.eq_ignore_ascii_case(name).then(|| v.trim().to_ascii_lowercase())
        })
    }

    /// Headers and as many body bytes as Content-Length says have arrived.
    fn complete(&self) -> bool {
        let Some((_, body)) = self.response.split_once("\r\n\r\n") else { return false };
        self.header("content-length").and_then(|l| l.parse::<usize>().ok()).is_some_and(|l| body.len() >= l)
    }
}

/// Sends `head`, then `body` in pieces of `piece` bytes, one every `every`, on a thread of
/// its own, while reading the answer (for at most 15 s), then waits up to 4 s for the server
/// to close the connection.
fn trickle(addr: SocketAddr, head: String, body: Vec<u8>, piece: usize, every: Duration) -> Exchange {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.set_read_timeout(Some(Duration::from_secs(15))).unwrap();
    stream.write_all(head.as_bytes()).unwrap();
    let sent = Instant::now();
    let mut writer = stream.try_clone().unwrap();
    let pieces: Vec<Vec<u8>> = body.chunks(piece).map(<[u8]>::to_vec).collect();
    std::thread::spawn(move || {
        for p in pieces {
            std::thread::sleep(every);
            if writer.write_all(&p).is_err() {
                return; // the server has closed
            }
        }
    });
    let mut x = Exchange { response: String::new(), answered_after: None, closed: false };
    let mut buf = [0u8; 4096];
    loop {
        if x.complete() {
            stream.set_read_timeout(Some(Duration::from_secs(4))).unwrap();
        }
        match stream.read(&mut buf) {
            Ok(0) => return Exchange { closed: true, ..x },
            Ok(n) => {
                x.answered_after.get_or_insert(sent.elapsed());
                x.response.push_str(&String::from_utf8_lossy(&buf[..n]));
            }
            // A reset after the answer is a close too.
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => {
                return Exchange { closed: true, ..x };
            }
            Err(_) => return x,
        }
    }
}

/// A request head; `close` asks the server to close the connection after its answer.
fn request_head(path: &str, content_type: &str, token: Option<&str>, length: usize, close: bool) -> String {
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    let connection = if close { "Connection: close\r\n" } else { "" };
    format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n{auth}{connection}Content-Length: {length}\r\n\r\n"
    )
}

const IMPORT_CSV: &str = "external_id,name,categories,lat,lon,country,phone\n";

fn import_csv(n: usize) -> String {
    let mut csv = IMPORT_CSV.to_string();
    for i in 0..n {
        csv.push_str(&format!("t{i:05},Trickle {i},shelter,26.{i:04},80.9,IN,0522 230 {:04}\n", i % 10_000));
    }
    csv
}

/// Every kind of body (search JSON, admin JSON, CSV import, multipart import) sent one byte
/// per second is cut off at the 2 s deadline with a 408 problem, and the connection closes.
#[tokio::test]
async fn trickled_bodies_are_cut_off_at_the_deadline() {
    let args = ServeArgs { body_timeout_secs: 2, ..ServeArgs::default() };
    let app = TestApp::spawn_with(&crate::fixtures::generate(1000, 3).csv, args).await;
    let token = app.db().create_token("trickle", Role::Admin, "test").unwrap();
    let boundary = "bellmapboundary";
    let multipart = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.csv\"\r\n\
         Content-Type: text/csv\r\n\r\n{}\r\n--{boundary}--\r\n",
        import_csv(3)
    );
    let cases = [
        (
            "search",
            "/v1/providers/search",
            "application/json".to_string(),
            None,
            r#"{"near": {"lat": 26.8, "lon": 80.9}}"#.to_string(),
        ),
        (
            "admin JSON",
            "/v1/admin/providers",
            "application/json".into(),
            Some(token.clone()),
            r#"{"external_id": "x1", "name": "X"}"#.into(),
        ),
        ("CSV import", "/v1/admin/imports", "text/csv".into(), Some(token.clone()), import_csv(3)),
        (
            "multipart import",
            "/v1/admin/imports",
            format!("multipart/form-data; boundary={boundary}"),
            Some(token.clone()),
            multipart,
        ),
    ];
    let before = app.db().count_providers().unwrap();
    let tasks: Vec<_> = cases
        .into_iter()
        .map(|(what, path, content_type, token, body)| {
            let addr = app.addr;
            tokio::task::spawn_blocking(move || {
                let head = request_head(path, &content_type, token.as_deref(), body.len(), false);
                (what, trickle(addr, head, body.into_bytes(), 1, Duration::from_secs(1)))
            })
        })
        .collect();
    for task in tasks {
        let (what, x) = task.await.unwrap();
        assert_eq!(x.status(), 408, "{what}: {}", x.response);
        assert_eq!(x.header("content-type").as_deref(), Some("application/problem+json"), "{what}");
        assert_eq!(x.header("connection").as_deref(), Some("close"), "{what}: {}", x.response);
        assert!(x.response.contains("\"status\":408"), "{what}: {}", x.response);
        let after = x.answered_after.expect("answered");
        assert!(
            after >= Duration::from_millis(1900) && after < Duration::from_secs(4),
            "{what}: 408 after {after:?}"
        );
        assert!(x.closed, "{what}: the connection stays open");
    }
    assert_eq!(app.db().count_providers().unwrap(), before, "nothing was imported");
    // The server still answers.
    assert_eq!(app.get("/health").await.status(), 200);
}

/// Bodies that arrive in time still work: a search in three pieces, and an import longer than
/// the 2 s deadline that keeps above the minimum rate (1 KiB/s here, sent at 4 KiB/s).
#[tokio::test]
async fn bodies_in_time_are_answered() {
    let args = ServeArgs { body_timeout_secs: 2, body_min_kib_per_sec: 1, ..ServeArgs::default() };
    let app = TestApp::spawn_with(&crate::fixtures::generate(1000, 3).csv, args).await;
    let token = app.db().create_token("steady", Role::Admin, "test").unwrap();
    assert_eq!(
        app.post_json("/v1/providers/search", &json!({"near": {"lat": 26.8, "lon": 80.9}})).await.status(),
        200
    );
    let addr = app.addr;
    let search = tokio::task::spawn_blocking(move || {
        let body = r#"{"within": {"lat": 26.8, "lon": 80.9, "radius_km": 50}}"#;
        let head = request_head("/v1/providers/search", "application/json", None, body.len(), true);
        trickle(addr, head, body.as_bytes().to_vec(), 20, Duration::from_millis(300))
    });
    let csv = import_csv(250);
    assert!(csv.len() > 12 * 1024, "{} bytes: over 3 s at 4 KiB/s", csv.len());
    let import = tokio::task::spawn_blocking(move || {
        let head = request_head("/v1/admin/imports", "text/csv", Some(&token), csv.len(), true);
        trickle(addr, head, csv.into_bytes(), 1024, Duration::from_millis(250))
    });
    let search = search.await.unwrap();
    assert_eq!(search.status(), 200, "{}", search.response);
    // A body read to its end leaves the connection open for the next request.
    let kept = tokio::task::spawn_blocking(move || {
        let body = r#"{"near": {"lat": 26.8, "lon": 80.9}}"#;
        let head = request_head("/v1/providers/search", "application/json", None, body.len(), false);
        trickle(addr, head, body.as_bytes().to_vec(), 10, Duration::from_millis(100))
    })
    .await
    .unwrap();
    assert_eq!(kept.status(), 200, "{}", kept.response);
    assert!(!kept.closed && kept.header("connection").is_none(), "{}", kept.response);
    let import = import.await.unwrap();
    assert_eq!(import.status(), 200, "{}", import.response);
    assert!(
        import.answered_after.unwrap() > Duration::from_secs(3),
        "the import took longer than the base deadline"
    );
    assert!(import.response.contains("\"created\":250"), "{}", import.response);
}

/// A body the handler never reads (no token on an import) cannot hold the connection either:
/// the 401 comes at once and the connection closes, for a chunked body as for a sized one.
#[tokio::test]
async fn unread_bodies_do_not_hold_the_connection() {
    let app = TestApp::spawn(&crate::fixtures::generate(1000, 3).csv).await;
    let addr = app.addr;
    let chunked = tokio::task::spawn_blocking(move || {
        let head = "POST /v1/admin/imports HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: text/csv\r\n\
                    Transfer-Encoding: chunked\r\n\r\n";
        let body: Vec<u8> = (0..30).flat_map(|_| b"1\r\nx\r\n".to_vec()).collect();
        trickle(addr, head.to_string(), body, 6, Duration::from_millis(500))
    });
    let sized = tokio::task::spawn_blocking(move || {
        let head = request_head("/v1/admin/imports", "text/csv", None, 30, false);
        trickle(addr, head, vec![b'x'; 30], 1, Duration::from_millis(500))
    });
    for (what, x) in [("chunked", chunked.await.unwrap()), ("sized", sized.await.unwrap())] {
        assert_eq!(x.status(), 401, "{what}: {}", x.response);
        assert!(x.answered_after.unwrap() < Duration::from_secs(1), "{what}");
        assert!(x.closed, "{what}: the connection stays open");
    }
}

/// Multipart imports: parts without a filename count toward the limit (1 MiB here), more than
/// 16 parts are refused, and form fields beside a small file within the limit are fine.
#[tokio::test]
async fn every_multipart_part_counts_toward_the_upload_limit() {
    let args = ServeArgs { max_import_mb: 1, ..ServeArgs::default() };
    let app = TestApp::spawn_with(&crate::fixtures::generate(1000, 3).csv, args).await;
    let token = app.db().create_token("parts", Role::Admin, "test").unwrap();
    let before = app.db().count_providers().unwrap();
    let send = |form: reqwest::multipart::Form| {
        app.client.post(app.url("/v1/admin/imports")).bearer_auth(&token).multipart(form).send()
    };
    let file = || reqwest::multipart::Part::text(import_csv(3)).file_name("small.csv");

    // 3 x 400 KiB without a filename, then a small file: 1.2 MiB in all.
    let mut padded = reqwest::multipart::Form::new();
    for i in 0..3 {
        padded = padded.text(format!("pad{i}"), "x".repeat(400 * 1024));
    }
    let p = assert_problem(send(padded.part("file", file())).await.unwrap(), 413, None).await;
    assert!(p["detail"].as_str().unwrap().contains("BELLMAP_MAX_IMPORT_MB"), "{p}");

    // 17 tiny parts before the file.
    let mut many = reqwest::multipart::Form::new();
    for i in 0..17 {
        many = many.text(format!("f{i}"), "x");
    }
    let p = assert_problem(send(many.part("file", file())).await.unwrap(), 413, None).await;
    assert!(p["detail"].as_str().unwrap().contains("more than 16 parts"), "{p}");
    assert_eq!(app.db().count_providers().unwrap(), before, "nothing was imported");

    // Just under the limit: 2 x 400 KiB of padding and the file are imported.
    let fine = reqwest::multipart::Form::new()
        .text("note", "x".repeat(400 * 1024))
        .text("other", "x".repeat(400 * 1024))
        .part("file", file());
    let report = crate::helpers::ok_json(send(fine).await.unwrap(), "padded under the limit").await;
    assert_eq!(report["created"], 3, "{report}");
}
