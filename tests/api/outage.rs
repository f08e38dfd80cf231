//! The database going away (issue 13): an instance cut off from PostgreSQL keeps answering public
//! reads from its snapshot, says `degraded` on /ready (200, so a load balancer keeps it), refuses
//! admin writes with 503 and Retry-After, and recovers by itself, catching up on what another
//! instance wrote meanwhile. PostgreSQL only: a SQLite file cannot be cut off.

use crate::helpers::{TestApp, backend, notice, ok_json};
use crate::proxy::Proxy;
use bellmap::db::Backend;
use bellmap::model::Role;
use serde_json::Value;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

const HEADER: &str = "external_id,name,categories,lat,lon,country,phone";

fn csv(rows: &[(&str, &str)]) -> String {
    let mut csv = format!("{HEADER}\n");
    for (i, (id, name)) in rows.iter().enumerate() {
        csv.push_str(&format!("{id},{name},shelter,26.{:02},80.95,IN,0522 230 55{:02}\n", 80 + i, 10 + i));
    }
    csv
}

/// The host:port of a PostgreSQL URL such as postgres://user@127.0.0.1:5432/db.
fn server_of(url: &str) -> SocketAddr {
    let authority = url.split_once("://").and_then(|(_, rest)| rest.split_once('/')).expect("a URL").0;
    let host = authority.rsplit_once('@').map_or(authority, |(_, host)| host);
    host.parse().expect("the test server is host:port, such as 127.0.0.1:5432")
}

/// Polls `path` on `app` until `done` holds, for at most `limit`.
async fn until(app: &TestApp, path: &str, limit: Duration, done: impl Fn(&Value) -> bool) -> Value {
    let started = Instant::now();
    loop {
        let v = app.get_ok(path).await;
        if done(&v) {
            return v;
        }
        assert!(started.elapsed() < limit, "{path} not as wanted within {limit:?}: {v}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn names(v: &Value) -> Vec<String> {
    v["items"].as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap().to_string()).collect()
}

#[tokio::test]
async fn an_instance_cut_off_from_postgres_reads_refuses_writes_and_recovers() {
    if backend() != Backend::Postgres {
        notice("outage: skipped on SQLite (a file cannot be cut off); runs with BELLMAP_TEST_POSTGRES_URL");
        return;
    }
    let direct = TestApp::spawn(&csv(&[("a", "Before A"), ("b", "Before B")])).await;
    let token = direct.db().create_token("outage-admin", Role::Admin, "test").unwrap();
    let server = server_of(&direct.database_url());
    let proxy = Proxy::start(server);
    let url = direct.database_url().replacen(&server.to_string(), &proxy.addr.to_string(), 1);
    let cut_off = direct.spawn_on_url(&url).await;
    let nearest = "/v1/providers/nearest?lat=26.8&lon=80.95&k=10";
    assert_eq!(names(&cut_off.get_ok(nearest).await).len(), 2);
    assert_eq!(cut_off.get_ok("/ready").await["status"], "ready");

    proxy.cut();
    // Within a few polls (each waits at most the pool's 5 s for a connection) /ready says so,
    // still 200.
    let ready = until(&cut_off, "/ready", Duration::from_secs(20), |v| v["status"] == "degraded").await;
    assert_eq!(ready["database"], "unreachable");
    assert!(ready["database_answered_s_ago"].as_f64().unwrap() > 0.0, "{ready}");
    assert_eq!(ready["providers"], 2);
    // Public reads answer from the snapshot.
    assert_eq!(names(&cut_off.get_ok(nearest).await).len(), 2);
    assert!(!cut_off.get_ok("/v1/categories").await["items"].as_array().unwrap().is_empty());
    // An admin write is a 503 problem with Retry-After, and writes nothing.
    let refused = cut_off.import_csv("", &token, &csv(&[("c", "Refused C")])).await;
    assert_eq!(refused.status(), 503);
    assert!(refused.headers().get("retry-after").is_some(), "{:?}", refused.headers());
    assert_eq!(refused.headers()["content-type"], "application/problem+json");
    // Meanwhile another instance, which still reaches the database, writes.
    let during = ok_json(
        direct.import_csv("", &token, &csv(&[("d", "During D")])).await,
        "import on the other instance",
    )
    .await;
    assert_eq!(during["created"], 1);

    proxy.restore();
    // Back by itself: ready again, with the change made during the outage, and writes succeed.
    until(&cut_off, "/ready", Duration::from_secs(20), |v| v["status"] == "ready").await;
    let v = until(&cut_off, nearest, Duration::from_secs(5), |v| names(v).contains(&"During D".to_string()))
        .await;
    assert!(!names(&v).contains(&"Refused C".to_string()), "{v}");
    let after =
        ok_json(cut_off.import_csv("", &token, &csv(&[("e", "After E")])).await, "import after the outage")
            .await;
    assert_eq!(after["created"], 1);
    let v =
        until(&direct, nearest, Duration::from_secs(5), |v| names(v).contains(&"After E".to_string())).await;
    assert_eq!(names(&v).len(), 4, "A, B, D and E: {v}");
}
