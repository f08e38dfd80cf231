//! Seeded random providers for the spatial tests, as import CSV plus the test's own records.
//!
//! The mix covers what spatial code gets wrong: a dense cluster (Lucknow), the antimeridian
//! (Fiji, points at exactly ±180), both poles (including exactly ±90), exact duplicate points,
//! confidential providers (some with an admin-chosen public point) and inactive ones.

use crate::helpers::CSV_HEADER;
use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

/// The taxonomy's slugs (DESIGN §3).
pub const CATEGORIES: [&str; 11] = [
    "shelter",
    "helpline",
    "one_stop_centre",
    "legal_aid",
    "counselling",
    "medical",
    "police",
    "protection_officer",
    "child_protection",
    "livelihood",
    "other",
];

/// The languages the generator assigns.
pub const LANGUAGES: [&str; 5] = ["hi", "en", "ta", "bn", "zu"];

/// Centre of the Lucknow cluster (lat, lon).
pub const LUCKNOW: (f64, f64) = (26.85, 80.95);

/// Where several providers share exactly one point (lat, lon). The first is also the centre
/// of a confidential grid cell, the last two are on the antimeridian and at the north pole.
pub const DUPLICATE_POINTS: [(f64, f64); 7] = [
    (26.85, 80.95),
    (26.912345, 80.871234),
    (-33.924869, 18.424055),
    (40.712776, -74.005974),
    (-17.713371, 178.065032),
    (-16.5, 180.0),
    (90.0, 45.0),
];

/// One generated provider, as the test knows it (its id is assigned by the server).
#[derive(Debug, Clone)]
pub struct Generated {
    pub external_id: String,
    /// Unique: the key that links a served provider to its generated record.
    pub name: String,
    pub categories: Vec<&'static str>,
    /// The exact point (what the importer stores).
    pub lat: f64,
    pub lon: f64,
    /// The admin-chosen public point (lat, lon), when given in the CSV.
    pub public_point: Option<(f64, f64)>,
    pub confidential: bool,
    pub languages: Vec<&'static str>,
    pub open_24_7: bool,
    pub active: bool,
}

/// A generated data set.
pub struct Fixture {
    pub csv: String,
    pub providers: Vec<Generated>,
}

/// The point `distance_m` from `(lat, lon)` along `bearing` (radians), on the sphere.
fn destination((lat, lon): (f64, f64), distance_m: f64, bearing: f64) -> (f64, f64) {
    let (p1, l1, a) = (lat.to_radians(), lon.to_radians(), distance_m / 6_371_008.8);
    let p2 = (p1.sin() * a.cos() + p1.cos() * a.sin() * bearing.cos()).asin();
    let l2 = l1 + (bearing.sin() * a.sin() * p1.cos()).atan2(a.cos() - p1.sin() * p2.sin());
    let lon2 = (l2.to_degrees() + 540.0).rem_euclid(360.0) - 180.0;
    (p2.to_degrees(), lon2)
}

/// Rounds to 6 decimals (about 0.1 m), the precision of real directories. Values like this
/// survive CSV and JSON exactly (they print and parse back to the same f64).
pub fn round6(v: f64) -> f64 {
    (v * 1e6).round() / 1e6
}

/// `n` providers (at least 1,000, so every group fits) from a fixed seed.
pub fn generate(n: usize, seed: u64) -> Fixture {
    assert!(n >= 1000, "the mix needs at least 1000 providers");
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut points: Vec<(f64, f64)> = Vec::with_capacity(n);

    // Exact duplicates: 3-6 providers on each point.
    for &p in &DUPLICATE_POINTS {
        for _ in 0..rng.random_range(3..=6) {
            points.push(p);
        }
    }
    // The north pole at several longitudes (all the same place), and the south pole.
    for lon in [-180.0, -90.0, 0.0, 123.456789, 180.0] {
        points.push((90.0, lon));
    }
    for lon in [-179.5, 0.0, 12.0, 180.0] {
        points.push((-90.0, lon));
    }
    // Exactly on the antimeridian, written both ways.
    for lat in [-17.2, 0.5, 45.0, -60.25] {
        points.push((lat, 180.0));
        points.push((lat, -180.0));
    }
    // Lucknow: 300 points within ~48 km.
    for _ in 0..300 {
        let d_km = 48.0 * rng.random::<f64>().sqrt();
        let bearing = rng.random_range(0.0..std::f64::consts::TAU);
        let dlat = d_km * bearing.cos() / 111.2;
        let dlon = d_km * bearing.sin() / (111.2 * LUCKNOW.0.to_radians().cos());
        points.push((LUCKNOW.0 + dlat, LUCKNOW.1 + dlon));
    }
    // Fiji, both sides of 180°.
    for _ in 0..120 {
        let lat = rng.random_range(-20.5..-15.0);
        let lon = if rng.random_bool(0.5) {
            rng.random_range(177.0..180.0)
        } else {
            rng.random_range(-180.0..-178.0)
        };
        points.push((lat, lon));
    }
    // Anywhere else within 2° of the antimeridian.
    for _ in 0..100 {
        let lat = rng.random_range(-80.0..80.0);
        let lon = if rng.random_bool(0.5) {
            rng.random_range(178.0..=180.0)
        } else {
            rng.random_range(-180.0..=-178.0)
        };
        points.push((lat, lon));
    }
    // Near both poles.
    for _ in 0..120 {
        let lat = rng.random_range(88.0..=90.0);
        let lat = if rng.random_bool(0.5) { lat } else { -lat };
        points.push((lat, rng.random_range(-180.0..=180.0)));
    }
    // The rest uniform over the sphere.
    while points.len() < n {
        let lat = rng.random_range(-1.0f64..=1.0).asin().to_degrees();
        points.push((lat, rng.random_range(-180.0..=180.0)));
    }
    points.truncate(n);

    let mut providers: Vec<Generated> = points
        .into_iter()
        .enumerate()
        .map(|(i, (lat, lon))| {
            let (lat, lon) = (round6(lat).clamp(-90.0, 90.0), round6(lon).clamp(-180.0, 180.0));
            assert!(!(lat == 0.0 && lon == 0.0), "never (0,0)");
            let mut categories: Vec<&'static str> = Vec::new();
            for _ in 0..rng.random_range(1..=3) {
                let c = CATEGORIES[rng.random_range(0..CATEGORIES.len())];
                if !categories.contains(&c) {
                    categories.push(c);
                }
            }
            let mut languages: Vec<&'static str> = Vec::new();
            for _ in 0..rng.random_range(0..=3) {
                let l = LANGUAGES[rng.random_range(0..LANGUAGES.len())];
                if !languages.contains(&l) {
                    languages.push(l);
                }
            }
            let confidential = rng.random_bool(0.05);
            let public_point = if (confidential && rng.random_bool(0.4)) || rng.random_bool(0.01) {
                // 6-30 km away, as an admin may choose (DESIGN §6: at least 2 km, 5 km where
                // rural, at most 50 km); kept only where the server's rule accepts it, so a
                // point across a border does not make the whole seed refused.
                let d_km = 6.0 + 24.0 * rng.random::<f64>();
                let bearing = rng.random_range(0.0..std::f64::consts::TAU);
                let (plat, plon) = destination((lat, lon), d_km * 1000.0, bearing);
                let (plat, plon) = (round6(plat), round6(plon));
                let ok = |(la, lo): (f64, f64)| bellmap::model::LonLat { lon: lo, lat: la };
                Some((plat, plon))
                    .filter(|p| bellmap::public_point::check_admin(ok((lat, lon)), ok(*p), "").is_ok())
            } else {
                None
            };
            Generated {
                external_id: format!("sp-{i:05}"),
                name: format!("Sample p{i:05}"),
                categories,
                lat,
                lon,
                public_point,
                confidential,
                languages,
                open_24_7: rng.random_bool(0.3),
                active: !rng.random_bool(0.03),
            }
        })
        .collect();
    // Row order (hence id order) differs from name order, so tie-breaking by id is visible.
    providers.shuffle(&mut rng);

    let columns: Vec<&str> = CSV_HEADER.split(',').collect();
    let mut csv = String::with_capacity(n * 120);
    csv.push_str(CSV_HEADER);
    csv.push('\n');
    let countries = ["IN", "FJ", "ZA", "US", "BR", "NZ", "RU", "GL", "AQ"];
    for p in &providers {
        let (yes, no) =
            [("true", "false"), ("yes", "no"), ("1", "0"), ("TRUE", "False")][rng.random_range(0..4)];
        let hours = match (p.open_24_7, rng.random_range(0..3)) {
            (true, 0) => "24/7",
            (false, 0) => "Mo-Fr 09:00-17:00",
            (false, 1) => "Mo-Sa 10:00-18:00; Su off",
            _ => "",
        };
        let row: Vec<String> = columns
            .iter()
            .map(|c| match *c {
                "external_id" => p.external_id.clone(),
                "name" => p.name.clone(),
                "categories" => p.categories.join(";"),
                "lat" => p.lat.to_string(),
                "lon" => p.lon.to_string(),
                "public_lat" => p.public_point.map(|q| q.0.to_string()).unwrap_or_default(),
                "public_lon" => p.public_point.map(|q| q.1.to_string()).unwrap_or_default(),
                "confidential" => {
                    if p.confidential {
                        yes.to_string()
                    } else if rng.random_bool(0.5) {
                        no.to_string()
                    } else {
                        String::new()
                    }
                }
                "country" => {
                    // Never a country the point looks swapped for: the importer refuses those rows.
                    let country = countries[rng.random_range(0..countries.len())];
                    if bellmap::ingest::looks_swapped(country, p.lat, p.lon) { "AQ" } else { country }
                        .to_string()
                }
                "languages" => p.languages.join(";"),
                "hours" => hours.to_string(),
                "open_24_7" => (if p.open_24_7 { yes } else { no }).to_string(),
                "status" => (if p.active { "active" } else { "inactive" }).to_string(),
                _ => String::new(),
            })
            .collect();
        csv.push_str(&row.join(","));
        csv.push('\n');
    }
    Fixture { csv, providers }
}
