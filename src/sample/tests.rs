//! The sample's promises: same seed same bytes, the import format, fictional numbers, ranges.

use super::jitter::{METRES_PER_DEGREE, cos_degrees, offset};
use super::phones::PhoneBook;
use super::row::{JITTER_M, region_languages};
use super::towns::load_gazetteer;
use super::*;
use crate::model::{Category, EARTH_RADIUS_M, calling_code};
use std::collections::{BTreeSet, HashMap};

fn generate(count: usize, seed: u64) -> Vec<u8> {
    let mut out = Vec::new();
    write_sample_csv(&mut out, count, seed).expect("the sample writes");
    out
}

fn rows(bytes: &[u8]) -> (csv::StringRecord, Vec<HashMap<String, String>>) {
    let mut reader = csv::Reader::from_reader(bytes);
    let header = reader.headers().unwrap().clone();
    let rows = reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            header.iter().zip(r.iter()).map(|(h, v)| (h.to_string(), v.to_string())).collect()
        })
        .collect();
    (header, rows)
}

fn haversine_m(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = p2 - p1;
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_M * a.sqrt().asin()
}

#[test]
fn same_seed_same_bytes_and_other_seed_differs() {
    let a = generate(500, 7);
    assert_eq!(a, generate(500, 7));
    assert_ne!(a, generate(500, 8));
}

#[test]
fn small_counts() {
    let (header, empty) = rows(&generate(0, 1));
    assert_eq!(header.len(), Column::ALL.len() - 1, "all but location_precision");
    assert!(empty.is_empty());
    let (_, few) = rows(&generate(3, 1));
    assert_eq!(few.len(), 3);
    assert_eq!(few[2]["external_id"], "sample-000003");
}

#[test]
fn header_is_exactly_the_import_format() {
    let bytes = generate(1, 1);
    let first_line = std::str::from_utf8(&bytes).unwrap().lines().next().unwrap();
    assert_eq!(
        first_line,
        "external_id,name,organization,description,categories,lat,lon,public_lat,public_lon,\
         confidential,address,locality,district,state,postal_code,country,phone,hotline,sms,\
         intake_phone,email,website,languages,hours,open_24_7,eligibility,cost,wheelchair,\
         verified_on,status"
    );
}

#[test]
fn bundled_sample_has_the_promised_shape() {
    let count = 2500;
    let (_, rows) = rows(&generate(count, 2026));
    assert_eq!(rows.len(), count);
    let towns = load_gazetteer().unwrap();

    // Categories: 1-3 distinct known slugs; every slug occurs.
    let slugs: BTreeSet<&str> = Category::ALL.iter().map(|c| c.slug()).collect();
    let mut seen_slugs = BTreeSet::new();
    for r in &rows {
        let cats: Vec<&str> = r["categories"].split(';').collect();
        assert!((1..=3).contains(&cats.len()), "{}", r["categories"]);
        assert_eq!(cats.iter().collect::<BTreeSet<_>>().len(), cats.len(), "duplicate slug");
        for c in cats {
            assert!(slugs.contains(c), "unknown slug {c}");
            seen_slugs.insert(c.to_string());
        }
    }
    assert_eq!(seen_slugs.len(), slugs.len());

    // Places: every Indian state/UT of the gazetteer, at least 10 other countries, ~70% India.
    let gazetteer_states: BTreeSet<&str> =
        towns.iter().filter(|t| t.country == "IN").map(|t| t.state.as_str()).collect();
    let sample_states: BTreeSet<&str> =
        rows.iter().filter(|r| r["country"] == "IN").map(|r| r["state"].as_str()).collect();
    assert_eq!(sample_states, gazetteer_states);
    assert_eq!(gazetteer_states.len(), 36, "the gazetteer covers all states and UTs");
    let countries: BTreeSet<&str> =
        rows.iter().map(|r| r["country"].as_str()).filter(|c| *c != "IN").collect();
    assert!(countries.len() >= 10, "{countries:?}");
    let india = rows.iter().filter(|r| r["country"] == "IN").count() as f64 / count as f64;
    assert!((0.65..=0.75).contains(&india), "India share {india}");

    // Fiji on both sides of the antimeridian when the gazetteer has towns there.
    let fiji_towns = |east: bool| towns.iter().any(|t| t.country == "FJ" && (t.lon > 0.0) == east);
    let fiji_rows = |east: bool| {
        rows.iter().any(|r| r["country"] == "FJ" && (r["lon"].parse::<f64>().unwrap() > 0.0) == east)
    };
    for east in [true, false] {
        assert_eq!(fiji_rows(east), fiji_towns(east), "Fiji, east of 0: {east}");
    }
    assert!(fiji_towns(true) && fiji_towns(false), "the gazetteer has Fiji on both sides");

    // Points: in range, never (0,0), within the jitter radius of a town of that name.
    for r in &rows {
        let lat: f64 = r["lat"].parse().unwrap();
        let lon: f64 = r["lon"].parse().unwrap();
        assert!((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon));
        assert!(lat != 0.0 || lon != 0.0);
        let nearest = towns
            .iter()
            .filter(|t| t.country == r["country"] && t.state == r["state"])
            .filter(|t| r["name"].contains(&format!(" {} ", t.name)))
            .map(|t| haversine_m(lat, lon, t.lat, t.lon))
            .fold(f64::INFINITY, f64::min);
        assert!(nearest <= JITTER_M * 1.01, "{} is {nearest} m from its town", r["external_id"]);
    }

    // Confidential: 3-8%, shelters only, address and intake phone; a few with a public point
    // 10-20 km away, most without.
    let confidential: Vec<_> = rows.iter().filter(|r| r["confidential"] == "true").collect();
    let share = confidential.len() as f64 / count as f64;
    assert!((0.03..=0.08).contains(&share), "confidential share {share}");
    let mut with_public = 0;
    for r in &confidential {
        assert!(r["categories"].split(';').any(|c| c == "shelter"));
        assert!(!r["address"].is_empty() && !r["intake_phone"].is_empty());
        if !r["public_lat"].is_empty() {
            with_public += 1;
            let d = haversine_m(
                r["lat"].parse().unwrap(),
                r["lon"].parse().unwrap(),
                r["public_lat"].parse().unwrap(),
                r["public_lon"].parse().unwrap(),
            );
            assert!((9_900.0..=20_100.0).contains(&d), "public point {d} m away");
        }
    }
    assert!(with_public > 0 && with_public * 2 < confidential.len(), "{with_public}");
    for r in rows.iter().filter(|r| r["confidential"] == "false") {
        assert!(r["public_lat"].is_empty() && r["public_lon"].is_empty());
    }

    // Phones: all fictional, none repeated; helplines have a hotline.
    let mut numbers = BTreeSet::new();
    for r in &rows {
        for field in ["phone", "hotline", "sms", "intake_phone"] {
            let p = &r[field];
            if !p.is_empty() {
                assert!(is_fictional_phone(&r["country"], p), "{} {field} {p}", r["country"]);
                assert!(numbers.insert(p.clone()), "{p} repeated");
            }
        }
        if r["categories"].split(';').any(|c| c == "helpline") {
            assert!(!r["hotline"].is_empty());
        }
    }

    // The remaining fields.
    let mut ids = BTreeSet::new();
    let mut inactive = 0;
    for r in &rows {
        assert!(ids.insert(r["external_id"].clone()));
        assert!(r["external_id"].starts_with("sample-") && r["external_id"].len() == 13);
        assert!(r["name"].starts_with("Sample ") && r["name"].ends_with("(fictional)"));
        assert!(
            r["organization"].starts_with("Sample Organisation ")
                && r["organization"].ends_with("(fictional)")
        );
        assert!(r["description"].contains("Fictional"));
        assert!(opening_hours_syntax::parse(&r["hours"]).is_ok(), "hours {}", r["hours"]);
        assert_eq!(r["open_24_7"] == "true", r["hours"] == "24/7");
        assert!(["yes", "limited", "no", "unknown"].contains(&r["wheelchair"].as_str()));
        assert!(["active", "inactive"].contains(&r["status"].as_str()));
        inactive += usize::from(r["status"] == "inactive");
        let date = &r["verified_on"];
        assert!(date.len() == 10 && (date.starts_with("2025-") || date.starts_with("2026-")), "{date}");
        assert!(time::Date::parse(date, time::macros::format_description!("[year]-[month]-[day]")).is_ok());
        for l in r["languages"].split(';') {
            assert!(l.len() == 2 && l.bytes().all(|b| b.is_ascii_lowercase()), "language {l}");
        }
        let email = &r["email"];
        assert!(email.is_empty() || (email.starts_with("contact@sample-") && email.ends_with(".example")));
        let web = &r["website"];
        assert!(web.is_empty() || (web.starts_with("https://sample-") && web.ends_with(".example.org/")));
        let pin = &r["postal_code"];
        if r["country"] == "IN" {
            assert!(pin.is_empty() || (pin.len() == 6 && pin.starts_with('9')), "{pin}");
        } else {
            assert!(pin.is_empty() && r["district"].is_empty());
        }
        assert!(!r["eligibility"].is_empty() && !r["cost"].is_empty());
    }
    assert!(inactive > 0 && inactive * 100 < count * 6, "{inactive} inactive");
}

#[test]
fn fictional_phone_rules() {
    for (cc, ok) in [
        ("US", "+1 212-555-0147"),
        ("CA", "+1 416-555-0100"),
        ("GB", "+44 7700 900123"),
        ("AU", "+61 2 5550 0001"),
        ("AU", "+61 8 7010 9999"),
        ("IN", "+91 0000 01 2345"),
        ("FJ", "+679 0000 00 0001"),
        ("BD", "+880 0000 00 0001"),
    ] {
        assert!(is_fictional_phone(cc, ok), "{cc} {ok}");
    }
    for (cc, bad) in [
        ("US", "+1 212-555-1234"),
        ("US", "+1 112-555-0147"),
        ("GB", "+44 7700 901123"),
        ("GB", "+44 20 7946 0000"),
        ("AU", "+61 491 570 123"),
        ("AU", "+61 4 5550 0001"),
        ("IN", "+91 98765 43210"),
        ("IN", "+91 0000 01 2345 6789"),
        ("IN", "+92 0000 01 2345"),
        ("IN", "0522 230 5550"),
        ("XX", "+0 0000"),
    ] {
        assert!(!is_fictional_phone(cc, bad), "{cc} {bad}");
    }
    let mut book = PhoneBook::default();
    for (cc, state) in [("US", ""), ("CA", ""), ("GB", "Wales"), ("AU", "Queensland"), ("KE", "Nairobi")] {
        for _ in 0..3000 {
            let p = book.number(cc, state);
            assert!(is_fictional_phone(cc, &p), "{cc} {p}");
        }
    }
}

#[test]
fn every_gazetteer_country_has_a_calling_code() {
    for t in load_gazetteer().unwrap() {
        assert!(calling_code(&t.country).is_some(), "{}", t.country);
        assert!(!region_languages(&t.country, &t.state).is_empty());
    }
}

#[test]
fn offsets_wrap_at_the_antimeridian_and_stay_in_range() {
    let (lat, lon) = offset(-16.8, 179.99, 5_000.0, 0.0);
    assert!((-180.0..-179.9).contains(&lon), "{lon}");
    assert!((lat + 16.8).abs() < 1e-12);
    let (_, lon) = offset(-18.2, -179.99, -5_000.0, 0.0);
    assert!((179.9..=180.0).contains(&lon), "{lon}");
    let (lat, _) = offset(89.99, 10.0, 0.0, 5_000.0);
    assert_eq!(lat, 90.0);
    let east = haversine_m(
        -16.8,
        179.99,
        -16.8,
        179.99 + 5_000.0 / (METRES_PER_DEGREE * 16.8f64.to_radians().cos()),
    );
    assert!((east - 5_000.0).abs() < 1.0, "{east}");
    assert_ne!(offset(0.0, 0.0, 0.0, 0.0), (0.0, 0.0));
}

#[test]
fn portable_cosine_matches_std() {
    for i in -900..=900 {
        let deg = f64::from(i) / 10.0;
        assert!((cos_degrees(deg) - deg.to_radians().cos()).abs() < 1e-15, "{deg}");
    }
}

#[test]
fn admin_public_points_pass_the_importers_rule_even_near_borders() {
    // Main's 1M-row sample had 39 public points across the India-Nepal (and other) borders; the
    // importer refused them. Check every public point of a sample large enough to have many
    // border towns against the importer's own rule.
    let (_, rows) = rows(&generate(60_000, 7));
    let mut checked = 0;
    for r in rows.iter().filter(|r| !r["public_lat"].is_empty()) {
        let point = |lat: &str, lon: &str| crate::model::LonLat {
            lat: lat.parse().unwrap(),
            lon: lon.parse().unwrap(),
        };
        let exact = point(&r["lat"], &r["lon"]);
        let public = point(&r["public_lat"], &r["public_lon"]);
        if let Err(e) = crate::public_point::check_admin(exact, public, &r["country"]) {
            panic!("{}: {e}", r["external_id"]);
        }
        checked += 1;
    }
    assert!(checked > 500, "only {checked} public points");
}
