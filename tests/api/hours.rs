//! Open now / open at over HTTP: `open_now` and `next_change` on every provider, the
//! `open_at` and `open_now` filters in nearest, within, bbox, POST search and clusters, each
//! checked against a reference evaluation written here with fixed UTC offsets (India +05:30
//! all year, Fiji +12:00 all year, New York -05:00 from November to March). The tests never
//! depend on the wall clock except where they check that `open_now` pages agree with each other.

use crate::helpers::{TestApp, assert_problem};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};

const IST: i64 = 19_800;
const FIJI: i64 = 12 * 3600;
const NEW_YORK_WINTER: i64 = -5 * 3600;

/// How a test provider's hours are judged by hand.
#[derive(Clone, Copy, Debug)]
enum Reference {
    /// `Mo-Su 20:00-08:00`.
    Overnight,
    /// `Mo-Fr 09:00-17:00`.
    Office,
    /// `Mo-Fr 09:00-17:00; PH off`, with these holidays (local dates as days since the epoch).
    OfficeBut(&'static [i64]),
    Always,
    /// No hours: never open, open_now null.
    Unknown,
}

struct Row {
    name: &'static str,
    lat: f64,
    lon: f64,
    country: &'static str,
    hours: &'static str,
    open_24_7: bool,
    offset: i64,
    reference: Reference,
}

/// Thanksgiving 2026-11-26, as days since 1970-01-01.
const THANKSGIVING: i64 = 20_783;

const ROWS: [Row; 7] = [
    Row {
        name: "Overnight Lucknow",
        lat: 26.85,
        lon: 80.95,
        country: "IN",
        hours: "Mo-Su 20:00-08:00",
        open_24_7: false,
        offset: IST,
        reference: Reference::Overnight,
    },
    Row {
        name: "Office Lucknow",
        lat: 26.86,
        lon: 80.95,
        country: "IN",
        hours: "Mo-Fr 09:00-17:00",
        open_24_7: false,
        offset: IST,
        reference: Reference::Office,
    },
    Row {
        name: "Always Lucknow",
        lat: 26.87,
        lon: 80.95,
        country: "IN",
        hours: "24/7",
        open_24_7: true,
        offset: IST,
        reference: Reference::Always,
    },
    Row {
        name: "Unknown Lucknow",
        lat: 26.88,
        lon: 80.95,
        country: "IN",
        hours: "",
        open_24_7: false,
        offset: IST,
        reference: Reference::Unknown,
    },
    Row {
        name: "Office Suva",
        lat: -18.14,
        lon: 178.44,
        country: "FJ",
        hours: "Mo-Fr 09:00-17:00",
        open_24_7: false,
        offset: FIJI,
        reference: Reference::Office,
    },
    Row {
        name: "Office New York",
        lat: 40.7128,
        lon: -74.006,
        country: "US",
        hours: "Mo-Fr 09:00-17:00",
        open_24_7: false,
        offset: NEW_YORK_WINTER,
        reference: Reference::Office,
    },
    Row {
        name: "Holiday New York",
        lat: 40.7138,
        lon: -74.006,
        country: "US",
        hours: "Mo-Fr 09:00-17:00; PH off",
        open_24_7: false,
        offset: NEW_YORK_WINTER,
        reference: Reference::OfficeBut(&[THANKSGIVING]),
    },
];

/// More providers around Lucknow, for paging: office, overnight and round-the-clock hours.
const PAGED: usize = 45;

fn paged_row(i: usize) -> (String, f64, f64, &'static str, Reference) {
    let (hours, reference) = match i % 3 {
        0 => ("Mo-Fr 09:00-17:00", Reference::Office),
        1 => ("Mo-Su 20:00-08:00", Reference::Overnight),
        _ => ("24/7", Reference::Always),
    };
    (format!("Paged {i:02}"), 26.5 + i as f64 * 0.01, 80.5, hours, reference)
}

fn csv() -> String {
    let mut csv = String::from("external_id,name,categories,lat,lon,country,hours,open_24_7\n");
    for (i, r) in ROWS.iter().enumerate() {
        csv.push_str(&format!(
            "h{i},{},shelter,{},{},{},{},{}\n",
            r.name, r.lat, r.lon, r.country, r.hours, r.open_24_7
        ));
    }
    for i in 0..PAGED {
        let (name, lat, lon, hours, _) = paged_row(i);
        csv.push_str(&format!("p{i},{name},shelter,{lat},{lon},IN,{hours},{}\n", hours == "24/7"));
    }
    csv
}

/// The reference state at `at` (seconds since the epoch): Some(open), or None when unknown.
fn reference(reference: Reference, offset: i64, at: i64) -> Option<bool> {
    let local = at + offset;
    let (day, second) = (local.div_euclid(86_400), local.rem_euclid(86_400));
    // 1970-01-01 was a Thursday; Monday is 0.
    let weekday = (day + 3).rem_euclid(7);
    let office = weekday < 5 && (9 * 3600..17 * 3600).contains(&second);
    match reference {
        Reference::Overnight => Some(!(8 * 3600..20 * 3600).contains(&second)),
        Reference::Office => Some(office),
        Reference::OfficeBut(holidays) => Some(office && !holidays.contains(&day)),
        Reference::Always => Some(true),
        Reference::Unknown => None,
    }
}

/// Every provider's reference, by name.
fn references() -> BTreeMap<String, (Reference, i64)> {
    let mut out: BTreeMap<String, (Reference, i64)> =
        ROWS.iter().map(|r| (r.name.to_string(), (r.reference, r.offset))).collect();
    for i in 0..PAGED {
        let (name, _, _, _, reference) = paged_row(i);
        out.insert(name, (reference, IST));
    }
    out
}

/// `2026-12-02T20:00:00+05:30` as seconds since the epoch.
fn secs(rfc3339: &str) -> i64 {
    time::OffsetDateTime::parse(rfc3339, &time::format_description::well_known::Rfc3339)
        .unwrap()
        .unix_timestamp()
}

/// For a query string.
fn encoded(rfc3339: &str) -> String {
    rfc3339.replace('+', "%2B")
}

fn names(items: &Value) -> BTreeSet<String> {
    items.as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap().to_string()).collect()
}

/// The names the reference says are open at `at` among `among`.
fn open_by_reference(at: i64, among: &BTreeSet<String>) -> BTreeSet<String> {
    let refs = references();
    among.iter().filter(|n| reference(refs[*n].0, refs[*n].1, at) == Some(true)).cloned().collect()
}

/// Every provider's answer checked against the reference at `at`: `open_now` and the state
/// just after `next_change.at` (and just before it).
fn check_items(items: &Value, at: i64) {
    let refs = references();
    for p in items.as_array().unwrap() {
        let name = p["name"].as_str().unwrap();
        let (r, offset) = refs[name];
        assert_eq!(p["open_now"].as_bool(), reference(r, offset, at), "{name} at {at}: {p}");
        match &p["next_change"] {
            Value::Null => assert!(matches!(r, Reference::Always | Reference::Unknown), "{name}: {p}"),
            change => {
                let when = secs(change["at"].as_str().unwrap());
                assert!(when > at, "{name}: {change}");
                let open = change["open"].as_bool().unwrap();
                assert_eq!(reference(r, offset, when), Some(open), "{name} after {change}");
                assert_eq!(reference(r, offset, when - 60), Some(!open), "{name} before {change}");
                // No change between `at` and the one announced.
                let now = reference(r, offset, at);
                assert!((at..when).step_by(600).all(|t| reference(r, offset, t) == now), "{name}: {change}");
                let verb = if open { "opens " } else { "closes " };
                assert!(change["text"].as_str().unwrap().starts_with(verb), "{change}");
            }
        }
    }
}

fn all_names() -> BTreeSet<String> {
    references().into_keys().collect()
}

const WORLD: &str = "-180,-90,180,90";

#[tokio::test]
async fn open_at_filters_and_answers_around_an_overnight_range() {
    let app = TestApp::spawn(&csv()).await;
    let lucknow: BTreeSet<String> =
        all_names().into_iter().filter(|n| n.contains("Lucknow") || n.starts_with("Paged")).collect();
    for at in [
        "2026-12-02T19:59:00+05:30",
        "2026-12-02T20:00:00+05:30",
        "2026-12-02T23:59:30+05:30",
        "2026-12-03T00:00:00+05:30",
        "2026-12-03T07:59:00+05:30",
        "2026-12-03T08:00:00+05:30",
        "2026-12-03T12:00:00+05:30",
    ] {
        let t = secs(at);
        let expected = open_by_reference(t, &lucknow);
        assert_eq!(
            expected.contains("Overnight Lucknow"),
            at.contains("T2") || at.contains("T00") || at.contains("T07"),
            "the reference itself at {at}"
        );
        // GET nearest.
        let body = app
            .get_ok(&format!(
                "/v1/providers/nearest?lat=26.85&lon=80.95&k=100&max_distance_km=200&open_at={}",
                encoded(at)
            ))
            .await;
        assert_eq!(names(&body["items"]), expected, "nearest at {at}");
        check_items(&body["items"], t);
        // POST search, within.
        let body = app
            .post_ok("/v1/providers/search", &json!({"within": {"lat": 26.85, "lon": 80.95, "radius_km": 200}, "limit": 500, "open_at": at}))
            .await;
        assert_eq!(names(&body["items"]), expected, "within at {at}");
        // Unfiltered, every provider still says whether it is open at that time.
        let body = app.get_ok(&format!("/v1/providers?bbox={WORLD}&limit=500&open_at={}", encoded(at))).await;
        assert_eq!(names(&body["items"]), open_by_reference(t, &all_names()), "bbox at {at}");
        let body =
            app.post_ok("/v1/providers/search", &json!({"bbox": [-180, -90, 180, 90], "limit": 500})).await;
        assert_eq!(names(&body["items"]), all_names());
    }
}

#[tokio::test]
async fn fiji_and_new_york_at_the_same_instant_and_a_public_holiday() {
    let app = TestApp::spawn(&csv()).await;
    let everyone = all_names();
    let cases = [
        // Thu 10:00 in Suva, Wed 17:00 in New York: Suva open, New York just closed.
        ("2026-12-02T22:00:00Z", true, false),
        // Thu 03:00 in Suva, Wed 10:00 in New York.
        ("2026-12-02T15:00:00Z", false, true),
    ];
    for (at, suva, new_york) in cases {
        let t = secs(at);
        let expected = open_by_reference(t, &everyone);
        assert_eq!(expected.contains("Office Suva"), suva, "reference at {at}");
        assert_eq!(expected.contains("Office New York"), new_york, "reference at {at}");
        let body = app.get_ok(&format!("/v1/providers?bbox={WORLD}&limit=500&open_at={at}")).await;
        assert_eq!(names(&body["items"]), expected, "at {at}");
        // Both answered at one instant, unfiltered, with their own state.
        let all =
            app.get_ok(&format!("/v1/providers?bbox={WORLD}&limit=500&format=geojson&open_at={at}")).await;
        let props: Vec<Value> =
            all["features"].as_array().unwrap().iter().map(|f| f["properties"].clone()).collect();
        check_items(&Value::Array(props), t);
    }
    // Thanksgiving at noon in New York: "PH off" closes one, the other is open.
    let at = "2026-11-26T12:00:00-05:00";
    let body = app
        .get_ok(&format!("/v1/providers/nearest?lat=40.71&lon=-74.0&k=5&max_distance_km=10&open_at={at}"))
        .await;
    assert_eq!(names(&body["items"]), BTreeSet::from(["Office New York".to_string()]));
    let body = app
        .get_ok(&format!("/v1/providers/nearest?lat=40.71&lon=-74.0&k=2&max_distance_km=10&open_at={at}"))
        .await;
    check_items(&body["items"], secs(at));
    // The day before, both are open.
    let at = "2026-11-25T12:00:00-05:00";
    let body = app
        .get_ok(&format!("/v1/providers/nearest?lat=40.71&lon=-74.0&k=5&max_distance_km=10&open_at={at}"))
        .await;
    assert_eq!(names(&body["items"]).len(), 2);
}

#[tokio::test]
async fn one_record_and_its_next_change_in_its_own_time() {
    let app = TestApp::spawn(&csv()).await;
    let listed = app.get_ok(&format!("/v1/providers?bbox={WORLD}&limit=500")).await;
    let id = |name: &str| {
        listed["items"].as_array().unwrap().iter().find(|p| p["name"] == name).unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    let office = id("Office Lucknow");
    // Wednesday noon in Lucknow: closes at 17:00 today.
    let at = "2026-12-02T12:00:00%2B05:30";
    let p = app.get_ok(&format!("/v1/providers/{office}?open_at={at}")).await;
    assert_eq!(p["open_now"], true);
    assert_eq!(
        p["next_change"],
        json!({"at": "2026-12-02T17:00:00+05:30", "open": false, "text": "closes 17:00"})
    );
    // Friday evening: opens on Monday.
    let p = app.get_ok(&format!("/v1/providers/{office}?open_at=2026-12-04T18:00:00Z")).await;
    assert_eq!(p["open_now"], false);
    assert_eq!(
        p["next_change"],
        json!({"at": "2026-12-07T09:00:00+05:30", "open": true, "text": "opens Mon 09:00"})
    );
    let f = app.get_ok(&format!("/v1/providers/{office}?open_at=2026-12-04T18:00:00Z&format=geojson")).await;
    assert_eq!(f["properties"]["next_change"]["text"], "opens Mon 09:00");
    // Round the clock, and no hours at all.
    let p = app.get_ok(&format!("/v1/providers/{}?open_at={at}", id("Always Lucknow"))).await;
    assert_eq!((&p["open_now"], &p["next_change"]), (&json!(true), &Value::Null));
    let p = app.get_ok(&format!("/v1/providers/{}?open_at={at}", id("Unknown Lucknow"))).await;
    assert_eq!((&p["open_now"], &p["next_change"]), (&Value::Null, &Value::Null));
    // Without open_at, now: the members are there all the same.
    let p = app.get_ok(&format!("/v1/providers/{office}")).await;
    assert!(p["open_now"].is_boolean() && p["next_change"].is_object(), "{p}");
    let res = app.get(&format!("/v1/providers/{office}?open_at=noon")).await;
    assert_problem(res, 400, Some("open_at")).await;
}

#[tokio::test]
async fn bad_open_filters_are_400s_naming_the_field() {
    let app = TestApp::spawn(&csv()).await;
    let near = "/v1/providers/nearest?lat=26.85&lon=80.95";
    for (query, field) in [
        ("&open_at=tomorrow", "open_at"),
        ("&open_at=2026-12-02T20:00:00", "open_at"), // no offset
        ("&open_at=2026-13-02T20:00:00Z", "open_at"),
        ("&open_at=", "open_at"),
        ("&open_now=false", "open_now"),
        ("&open_now=maybe", "open_now"),
        ("&open_now=true&open_at=2026-12-02T20:00:00Z", "open_now"),
        ("&open_now=true&open_at=2026-12-02T20:00:00Z", "open_at"),
    ] {
        let res = app.get(&format!("{near}{query}")).await;
        let body = assert_problem(res, 400, Some(field)).await;
        if query.contains("open_now=false") {
            assert!(body.to_string().contains("give open_now=true or leave it out"), "{body}");
        }
    }
    for route in [
        "/v1/providers?bbox=80,26,81,27",
        "/v1/providers/within?lat=26.85&lon=80.95&radius_km=5",
        "/v1/clusters?bbox=80,26,81,27&zoom=3",
    ] {
        assert_problem(app.get(&format!("{route}&open_at=x")).await, 400, Some("open_at")).await;
    }
    for (body, field) in [
        (json!({"near": {"lat": 26.85, "lon": 80.95}, "open_at": "soon"}), "open_at"),
        (json!({"near": {"lat": 26.85, "lon": 80.95}, "open_now": false}), "open_now"),
        (
            json!({"near": {"lat": 26.85, "lon": 80.95}, "open_now": true, "open_at": "2026-12-02T20:00:00Z"}),
            "open_at",
        ),
    ] {
        assert_problem(app.post_json("/v1/providers/search", &body).await, 400, Some(field)).await;
    }
}

#[tokio::test]
async fn pages_of_an_open_list_share_one_instant() {
    let app = TestApp::spawn(&csv()).await;
    let everyone = all_names();
    // open_at: pages never overlap and add up to the reference.
    let at = "2026-12-03T07:30:00%2B05:30";
    let t = secs("2026-12-03T07:30:00+05:30");
    let pages = app
        .get_pages(&format!("/v1/providers/within?lat=26.7&lon=80.6&radius_km=100&limit=4&open_at={at}"))
        .await;
    let mut seen = BTreeSet::new();
    for page in &pages {
        for n in names(&page["items"]) {
            assert!(seen.insert(n.clone()), "{n} on two pages");
        }
        check_items(&page["items"], t);
    }
    let near: BTreeSet<String> =
        everyone.iter().filter(|n| n.starts_with("Paged") || n.contains("Lucknow")).cloned().collect();
    assert_eq!(seen, open_by_reference(t, &near));
    assert!(pages.len() > 2);
    // A cursor made at one instant does not page a list at another.
    let cursor = pages[0]["next_cursor"].as_str().unwrap();
    let other = format!(
        "/v1/providers/within?lat=26.7&lon=80.6&radius_km=100&limit=4&open_at=2026-12-03T12:00:00Z&cursor={cursor}"
    );
    assert_problem(app.get(&other).await, 400, Some("cursor")).await;
    // open_now: every page is evaluated at the first page's instant (whatever the clock says
    // by the time the later pages are asked), so pages agree with one reference minute.
    let before = time::OffsetDateTime::now_utc().unix_timestamp();
    let pages =
        app.get_pages("/v1/providers/within?lat=26.7&lon=80.6&radius_km=100&limit=4&open_now=true").await;
    let after = time::OffsetDateTime::now_utc().unix_timestamp();
    let mut seen = BTreeSet::new();
    for page in &pages {
        for n in names(&page["items"]) {
            assert!(seen.insert(n.clone()), "{n} on two pages");
        }
        assert!(page["items"].as_array().unwrap().iter().all(|p| p["open_now"] == true));
    }
    let minutes = (before - before.rem_euclid(60)..=after).step_by(60);
    assert!(minutes.clone().any(|m| open_by_reference(m, &near) == seen), "no minute gives {seen:?}");
    // POST search pages alike.
    let body = json!({"within": {"lat": 26.7, "lon": 80.6, "radius_km": 100}, "limit": 4, "open_at": "2026-12-03T07:30:00+05:30"});
    let first = app.post_ok("/v1/providers/search", &body).await;
    let mut next = body.clone();
    next["cursor"] = first["next_cursor"].clone();
    let second = app.post_ok("/v1/providers/search", &next).await;
    assert!(names(&first["items"]).is_disjoint(&names(&second["items"])));
    assert_eq!(first["total"], open_by_reference(t, &near).len());
}

#[tokio::test]
async fn clusters_and_their_leaves_with_an_open_filter() {
    let app = TestApp::spawn(&csv()).await;
    let everyone = all_names();
    let listed = app.get_ok(&format!("/v1/providers?bbox={WORLD}&limit=500")).await;
    let name_of: BTreeMap<i64, String> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (p["id"].as_i64().unwrap(), p["name"].as_str().unwrap().to_string()))
        .collect();
    let at = "2026-12-03T07:30:00Z"; // 13:00 in Lucknow, Thursday
    let t = secs(at);
    // At the leaf zoom every provider is a marker: exactly the open ones, each saying so.
    let leaf = app.get_ok(&format!("/v1/clusters?bbox={WORLD}&zoom=19&open_at={at}")).await;
    let ids: BTreeSet<String> = leaf["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            assert_eq!(f["properties"]["open_now"], true, "{f}");
            name_of[&f["id"].as_i64().unwrap()].clone()
        })
        .collect();
    assert_eq!(ids, open_by_reference(t, &everyone));
    // At zoom 0 clusters: their leaves, asked with the same filter, add up to the open set.
    for filter in [format!("&open_at={at}"), "&open_now=true".to_string()] {
        let world = app.get_ok(&format!("/v1/clusters?bbox={WORLD}&zoom=0{filter}")).await;
        let mut leaves = BTreeSet::new();
        for f in world["features"].as_array().unwrap() {
            if f["properties"]["cluster"] == true {
                let id = f["properties"]["cluster_id"].as_str().unwrap();
                for page in app.get_pages(&format!("/v1/clusters/{id}/leaves?limit=7{filter}")).await {
                    for p in page["items"].as_array().unwrap() {
                        assert_eq!(p["open_now"], true, "{p}");
                        leaves.insert(p["name"].as_str().unwrap().to_string());
                    }
                }
            } else {
                leaves.insert(name_of[&f["id"].as_i64().unwrap()].clone());
            }
        }
        if filter.contains("open_at") {
            assert_eq!(leaves, open_by_reference(t, &everyone));
        }
        let total: u64 = world["features"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["properties"]["count"].as_u64().unwrap_or(1))
            .sum();
        assert_eq!(total as usize, leaves.len(), "{filter}");
        // A cluster made with one instant refuses another's filters.
        if let Some(f) =
            world["features"].as_array().unwrap().iter().find(|f| f["properties"]["cluster"] == true)
        {
            let id = f["properties"]["cluster_id"].as_str().unwrap();
            let res = app.get(&format!("/v1/clusters/{id}/leaves?open_at=2020-01-01T00:00:00Z")).await;
            assert_problem(res, 400, Some("cluster_id")).await;
        }
    }
}
