//! Stored public points (DESIGN §6, issue 10 part 1): every confidential provider is published at
//! least 2 km from its door, at a point drawn once and stored, which edits of other fields and
//! switching the flag off and on never move.
//!
//! Distances here use the test's own haversine, not the server's.

use crate::helpers::{TestApp, ok_json};
use bellmap::model::Role;
use serde_json::{Value, json};
use std::collections::HashMap;

fn haversine_m((lat1, lon1): (f64, f64), (lat2, lon2): (f64, f64)) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let a = ((p2 - p1) / 2.0).sin().powi(2)
        + p1.cos() * p2.cos() * ((lon2 - lon1).to_radians() / 2.0).sin().powi(2);
    2.0 * 6_371_008.8 * a.sqrt().asin()
}

fn point(v: &Value) -> (f64, f64) {
    (v["lat"].as_f64().unwrap(), v["lon"].as_f64().unwrap())
}

/// Every active provider as the public sees it, by id, through the paged world listing.
async fn served(app: &TestApp) -> HashMap<i64, Value> {
    let pages = app.get_pages("/v1/providers?bbox=-180,-90,180,90&limit=500").await;
    pages
        .iter()
        .flat_map(|p| p["items"].as_array().unwrap().clone())
        .map(|i| (i["id"].as_i64().unwrap(), i))
        .collect()
}

/// For every confidential provider: served ≥ 2 km from the stored exact point (≥ the rule's own
/// minimum for drawn points), never at the exact point, and the same on a second look.
async fn assert_displaced(app: &TestApp, what: &str) -> usize {
    let stored = app.db().load_all().unwrap();
    let served = served(app).await;
    let mut checked = 0;
    for p in stored.iter().filter(|p| p.data.confidential && p.data.status == bellmap::model::Status::Active)
    {
        let s = &served[&p.id.0];
        let exact = (p.data.location.reveal().lat, p.data.location.reveal().lon);
        let d = haversine_m(exact, point(s));
        assert!(d >= 2_000.0, "{what}: provider {} is published {d:.0} m from its exact point", p.id.0);
        if p.data.public_location.is_none() {
            let min = bellmap::public_point::min_distance_m(*p.data.location.reveal());
            assert!(
                d >= min - 1.0 && d <= 50_000.0,
                "{what}: drawn point of {} at {d:.0} m (min {min})",
                p.id.0
            );
            let drawn = p.drawn_public.expect("a drawn point is stored");
            assert_eq!(point(s), (drawn.lat, drawn.lon), "{what}: served at the stored point");
        }
        checked += 1;
    }
    checked
}

#[tokio::test]
async fn no_confidential_provider_of_the_sample_is_published_within_2_km() {
    let app = TestApp::spawn(std::str::from_utf8(bellmap::app::SAMPLE_CSV).unwrap()).await;
    let checked = assert_displaced(&app, "sample").await;
    assert!(checked > 50, "the sample has confidential providers ({checked})");
    // A restart on the same database serves the same points: they are stored, not derived.
    let before = served(&app).await;
    let again = app.spawn_on_same_database().await;
    let after = served(&again).await;
    for (id, p) in &before {
        assert_eq!(point(p), point(&after[id]), "provider {id} moved on restart");
    }
}

#[tokio::test]
async fn no_confidential_provider_of_a_generated_set_is_published_within_2_km() {
    // Poles, the antimeridian, duplicates, mid-ocean points, admin points 6-30 km away.
    for seed in [11, 12] {
        let fixture = crate::fixtures::generate(2_000, seed);
        let app = TestApp::spawn(&fixture.csv).await;
        let checked = assert_displaced(&app, &format!("seed {seed}")).await;
        assert!(checked > 50, "seed {seed}: {checked} confidential providers");
    }
}

const CSV: &str = "external_id,name,categories,lat,lon,country,confidential,address,phone\n\
    safe-1,Sample Safe House,shelter,26.861234,80.913711,IN,true,17 Hidden Lane,0522 230 5550\n\
    open-1,Sample Legal Aid,legal_aid,26.85,80.95,IN,false,2 Court Road,0522 230 5551\n";

async fn patch(app: &TestApp, token: &str, id: i64, body: Value) -> Value {
    let res = app
        .client
        .patch(app.url(&format!("/v1/admin/providers/{id}")))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await
        .unwrap();
    ok_json(res, "patch").await
}

async fn public_point_of(app: &TestApp, id: i64) -> (f64, f64) {
    point(&app.get_ok(&format!("/v1/providers/{id}")).await)
}

async fn draws(app: &TestApp, token: &str) -> usize {
    let res = app.client.get(app.url("/v1/admin/audit?limit=500")).bearer_auth(token).send().await.unwrap();
    let audit = ok_json(res, "audit").await;
    audit["items"].as_array().unwrap().iter().filter(|e| e["action"] == "public_point.draw").count()
}

#[tokio::test]
async fn the_drawn_point_survives_edits_and_toggles_and_moves_only_with_the_door() {
    let app = TestApp::spawn(CSV).await;
    let token = app.db().create_token("editor", Role::Admin, "test").unwrap();
    let id = served(&app).await.into_iter().find(|(_, v)| v["name"] == "Sample Safe House").unwrap().0;
    let exact = (26.861234, 80.913711);
    let first = public_point_of(&app, id).await;
    assert!(haversine_m(first, exact) >= 2_000.0);
    assert_eq!(draws(&app, &token).await, 1, "drawn once, at import");

    for i in 0..20 {
        let body = match i % 4 {
            0 => json!({"name": format!("Sample Safe House {i}")}),
            1 => json!({"phone": format!("0522 230 55{:02}", 60 + i)}),
            2 => json!({"description": format!("Edit number {i}")}),
            _ => json!({"hours": if i % 8 == 3 { "24/7" } else { "Mo-Fr 09:00-17:00" }}),
        };
        patch(&app, &token, id, body).await;
        assert_eq!(public_point_of(&app, id).await, first, "edit {i} moved the public point");
    }
    for round in 0..2 {
        patch(&app, &token, id, json!({"confidential": false})).await;
        assert_eq!(public_point_of(&app, id).await, exact, "round {round}: an open provider is at its door");
        patch(&app, &token, id, json!({"confidential": true})).await;
        assert_eq!(public_point_of(&app, id).await, first, "round {round}: the same point again");
    }
    assert_eq!(draws(&app, &token).await, 1, "no edit or toggle drew again");

    // A small correction of the door keeps the point; a move of more than 2 km draws a new one.
    patch(&app, &token, id, json!({"lat": 26.861734, "lon": 80.913711})).await;
    assert_eq!(public_point_of(&app, id).await, first, "a 56 m correction keeps the point");
    let moved = (26.861734, 80.953711);
    patch(&app, &token, id, json!({"lat": moved.0, "lon": moved.1})).await;
    let second = public_point_of(&app, id).await;
    assert_ne!(second, first, "a 4 km move draws again");
    assert!(haversine_m(second, moved) >= 2_000.0, "and keeps 2 km from the new door");
    assert_eq!(draws(&app, &token).await, 2, "the new draw is audited");

    // An admin may ask for a new point; only a drawn point can be redrawn.
    let redraw = |id: i64| {
        app.client
            .post(app.url(&format!("/v1/admin/providers/{id}/redraw-public-point")))
            .bearer_auth(&token)
            .send()
    };
    let redrawn = ok_json(redraw(id).await.unwrap(), "redraw").await;
    let third = public_point_of(&app, id).await;
    assert_eq!(
        (redrawn["drawn_lat"].as_f64(), redrawn["drawn_lon"].as_f64()),
        (Some(third.0), Some(third.1))
    );
    assert_ne!(third, second, "a new point");
    assert!(haversine_m(third, moved) >= 2_000.0);
    assert_eq!(draws(&app, &token).await, 3, "the admin's draw is audited");
    let open = served(&app).await.into_iter().find(|(_, v)| v["name"] == "Sample Legal Aid").unwrap().0;
    crate::helpers::assert_problem(redraw(open).await.unwrap(), 409, None).await;
}

#[tokio::test]
async fn admin_public_points_too_close_too_far_or_abroad_are_refused_naming_the_field() {
    let app = TestApp::spawn(CSV).await;
    let token = app.db().create_token("editor", Role::Admin, "test").unwrap();
    let id = served(&app).await.into_iter().find(|(_, v)| v["name"] == "Sample Safe House").unwrap().0;
    let before = public_point_of(&app, id).await;
    let exact = (26.861234, 80.913711);
    // The exact point itself ("approximate" would be a lie), 1 km away, 60 km away, Sydney, Nepal.
    for (lat, lon) in [exact, (26.870234, 80.913711), (27.40, 80.913711), (-33.87, 151.21), (27.7, 85.3)] {
        let res = app
            .client
            .patch(app.url(&format!("/v1/admin/providers/{id}")))
            .bearer_auth(&token)
            .json(&json!({"public_lat": lat, "public_lon": lon}))
            .send()
            .await
            .unwrap();
        let problem = crate::helpers::assert_problem(res, 400, Some("public_lat")).await;
        assert!(
            problem["errors"].as_array().unwrap().iter().any(|e| e["field"] == "public_lon"),
            "{problem}"
        );
    }
    assert_eq!(public_point_of(&app, id).await, before, "nothing was written");

    let csv = CSV.replace(
        "external_id,name,categories,lat,lon,country,confidential,address,phone",
        "external_id,name,categories,lat,lon,country,confidential,address,phone,public_lat,public_lon",
    );
    let csv =
        csv.replacen("0522 230 5550\n", "0522 230 5550,-33.87,151.21\n", 1).replacen("5551\n", "5551,,\n", 1);
    let res = app
        .client
        .post(app.url("/v1/admin/imports"))
        .bearer_auth(&token)
        .header("content-type", "text/csv")
        .body(csv)
        .send()
        .await
        .unwrap();
    let report = ok_json(res, "import").await;
    assert_eq!(report["written"], false, "{report}");
    let columns: Vec<&str> =
        report["problems"].as_array().unwrap().iter().filter_map(|p| p["column"].as_str()).collect();
    assert_eq!(columns, ["public_lat", "public_lon"], "{report}");

    // A point 3 km away in the same country is the admin's to choose, and is served as is.
    let chosen = (26.888234, 80.913711);
    patch(&app, &token, id, json!({"public_lat": chosen.0, "public_lon": chosen.1})).await;
    assert_eq!(public_point_of(&app, id).await, chosen);
}
