//! No location trails: the caller's coordinates, places, times, polygons and search bodies never reach the logs,
//! even at trace level. Runs the real binary and reads everything it wrote.

use crate::helpers::TestDatabase;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Kills the server we started (by its own handle) however the test ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn location_queries_leave_no_coordinates_in_trace_logs() {
    let dir = tempfile::tempdir().unwrap();
    let database = TestDatabase::new();
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let log_path = dir.path().join("server.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let server = Server(
        Command::new(env!("CARGO_BIN_EXE_bellmap"))
            .env("DATABASE_URL", database.url())
            .env("BELLMAP_BIND", format!("127.0.0.1:{port}"))
            .env("BELLMAP_LOG", "trace")
            .stdout(Stdio::from(log.try_clone().unwrap()))
            .stderr(Stdio::from(log))
            .spawn()
            .expect("the binary starts"),
    );
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    while client.get(format!("{base}/ready")).send().await.map(|r| r.status() != 200).unwrap_or(true) {
        assert!(started.elapsed() < Duration::from_secs(60), "server did not become ready");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Distinctive coordinates that appear nowhere in the sample data.
    let (lat, lon) = ("23.456789", "85.432198");
    for path in [
        format!("/v1/providers/nearest?lat={lat}&lon={lon}&k=3"),
        format!("/v1/providers/within?lat={lat}&lon={lon}&radius_km=50"),
        "/v1/providers?bbox=85.432198,23.456789,86.111111,24.222222".to_string(),
        format!("/v1/providers/nearest?lat={lat}&lon=999.123456"),
    ] {
        let res = client.get(format!("{base}{path}")).send().await.unwrap();
        assert!(res.status() == 200 || res.status() == 400, "{path}: {}", res.status());
    }
    let polygon = serde_json::json!({"polygon": {"type": "Polygon", "coordinates": [[
        [85.432198, 23.456789], [86.111111, 23.456789], [86.111111, 24.222222], [85.432198, 23.456789]]]}});
    let near = serde_json::json!({"near": {"lat": 23.456789, "lon": 85.432198}, "k": 2});
    for body in [polygon, near] {
        let res = client.post(format!("{base}/v1/providers/search")).json(&body).send().await.unwrap();
        assert_eq!(res.status(), 200);
    }
    // Place and time searches, and a Photon search biased to a point: nothing of them may be
    // logged either.
    for path in [
        "/v1/places?q=Lakhnau".to_string(),
        "/v1/places?q=226001".to_string(),
        "/v1/places/photon?q=Gorakhpur&lat=26.731977&lon=83.417731".to_string(),
        "/v1/providers/nearest?near=Lakhnau".to_string(),
        format!("/v1/providers/nearest?lat={lat}&lon={lon}&open_at=2026-12-02T02:13:57%2B05:30"),
    ] {
        let res = client.get(format!("{base}{path}")).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
    }
    for (path, body) in [
        ("/v1/places/search", serde_json::json!({"q": "Varanasi"})),
        ("/v1/providers/search", serde_json::json!({"near": {"place": "Varanasi"}, "open_now": true})),
    ] {
        let res = client.post(format!("{base}{path}")).json(&body).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
    }
    drop(server);
    let text = std::fs::read_to_string(&log_path).unwrap();
    assert!(
        text.contains("/v1/providers/nearest") && text.contains("/v1/providers/search"),
        "requests are logged: {text}"
    );
    for secret in [
        "23.456789",
        "85.432198",
        "23.4567",
        "85.4321",
        "86.111111",
        "24.222222",
        "999.123456",
        "radius_km",
        "Lakhnau",
        "226001",
        "Varanasi",
        "Gorakhpur",
        "26.731977",
        "83.417731",
        "02:13:57",
        "2026-12-02T02",
    ] {
        assert!(!text.contains(secret), "the log contains '{secret}'");
    }
}
