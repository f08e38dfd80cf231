//! One fictional provider row: categories, names, contacts, hours and the rest.

use super::jitter::{direction, in_disc, offset};
use super::phones::PhoneBook;
use super::towns::Town;
use crate::model::{Category, LonLat};
use crate::public_point;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

/// The word a sample name uses for a category, and its relative weight as a primary category.
fn profile(category: Category) -> (&'static str, u64) {
    match category {
        Category::Shelter => ("Shelter", 18),
        Category::Helpline => ("Helpline", 10),
        Category::OneStopCentre => ("One Stop Centre", 8),
        Category::LegalAid => ("Legal Aid Clinic", 12),
        Category::Counselling => ("Counselling Centre", 14),
        Category::Medical => ("Medical Centre", 8),
        Category::Police => ("Police Help Desk", 8),
        Category::ProtectionOfficer => ("Protection Officer", 6),
        Category::ChildProtection => ("Child Protection Unit", 6),
        Category::Livelihood => ("Livelihood Centre", 6),
        Category::Other => ("Support Service", 4),
    }
}

/// Providers are placed uniformly in a disc of this radius around the town's point.
pub(super) const JITTER_M: f64 = 8_000.0;

/// OpenStreetMap `opening_hours` values used for rows that are not open around the clock.
const OFFICE_HOURS: [&str; 11] = [
    "Mo-Fr 09:00-17:00",
    "Mo-Sa 10:00-18:00",
    "Mo-Fr 09:00-13:00,14:00-17:30; Sa 10:00-14:00",
    "Mo-Fr 08:30-16:30",
    "Mo-Sa 09:30-17:30",
    "Mo-Fr 10:00-18:00; Sa 10:00-13:00",
    "Mo,We,Fr 10:00-16:00",
    "Tu-Sa 09:00-17:00",
    "Mo-Fr 09:00-17:00; PH off",
    "Mo-Su 08:00-20:00",
    "Mo-Fr 09:00-17:00; Sa 09:00-12:00; Su off",
];

const ELIGIBILITY: [&str; 6] = [
    "Women and children",
    "Women aged 18 and over",
    "Women, children and gender-diverse people",
    "Anyone affected by domestic violence",
    "Women survivors of violence and their children",
    "Adults and young people aged 16 and over",
];

const COST: [&str; 5] = ["Free", "Free", "Free; donations welcome", "Free for survivors", "Sliding scale"];

const STREETS_IN: [&str; 5] =
    ["Sample Marg", "Example Road", "Fictional Lane", "Placeholder Chowk Road", "Demo Main Road"];

const STREETS_OTHER: [&str; 5] =
    ["Sample Street", "Example Road", "Fictional Lane", "Placeholder Avenue", "Specimen Way"];

const LOCALITIES_IN: [&str; 6] = [
    "Sample Nagar",
    "Example Colony",
    "Demo Bazaar",
    "Fictional Enclave",
    "Placeholder Layout",
    "Test Vihar",
];

const LOCALITIES_OTHER: [&str; 5] =
    ["Sample Heights", "Example Park", "Demo Village", "Fictional Gardens", "Placeholder Quarter"];
pub(super) fn make_row(
    i: usize,
    count: usize,
    town: &Town,
    rng: &mut ChaCha8Rng,
    phones: &mut PhoneBook,
) -> Vec<String> {
    let n = i + 1;
    let india = town.country == "IN";

    // Categories: a primary one (each slug leads once in the first rows), plus up to two others.
    let primary = if i < Category::ALL.len() {
        i
    } else {
        let total: u64 = Category::ALL.iter().map(|&c| profile(c).1).sum();
        let mut r = rng.random_range(0..total);
        Category::ALL
            .iter()
            .position(|&c| {
                let weight = profile(c).1;
                let hit = r < weight;
                r = r.saturating_sub(weight);
                hit
            })
            .expect("r is below the total weight")
    };
    let extras = match rng.random::<f64>() {
        x if x < 0.5 => 0,
        x if x < 0.85 => 1,
        _ => 2,
    };
    let mut cats = vec![primary];
    while cats.len() < 1 + extras {
        let c = rng.random_range(0..Category::ALL.len() as u64) as usize;
        if !cats.contains(&c) {
            cats.push(c);
        }
    }
    let has = |slug: &str| cats.iter().any(|&c| Category::ALL[c].slug() == slug);
    let shelter = has("shelter");
    let helpline = has("helpline");
    let confidential = shelter && rng.random_bool(0.21);

    let (east, north) = in_disc(rng);
    let (lat, lon) = offset(town.lat, town.lon, east * JITTER_M, north * JITTER_M);
    let (public_lat, public_lon) = if confidential && rng.random_bool(0.3) {
        admin_public_point(lat, lon, &town.country, rng)
    } else {
        (String::new(), String::new())
    };

    let label = profile(Category::ALL[primary]).0;
    let name = format!("Sample {label} – {} {n} (fictional)", town.name);
    let org_max = (count / 10).max(1) as u64;
    let organization = format!("Sample Organisation {} (fictional)", rng.random_range(1..=org_max));
    let description = format!(
        "Fictional sample record ({}) generated for testing Bellmap; not a real service.",
        Category::ALL[primary].slug().replace('_', " ")
    );
    let categories: Vec<&str> = cats.iter().map(|&c| Category::ALL[c].slug()).collect();

    let address = if confidential || rng.random_bool(0.75) {
        let streets: &[&str] = if india { &STREETS_IN } else { &STREETS_OTHER };
        let street = streets[rng.random_range(0..streets.len() as u64) as usize];
        format!("{} {street}, {}", rng.random_range(1..=250u64), town.name)
    } else {
        String::new()
    };
    let localities: &[&str] = if india { &LOCALITIES_IN } else { &LOCALITIES_OTHER };
    let locality = if rng.random_bool(0.5) {
        localities[rng.random_range(0..localities.len() as u64) as usize].to_string()
    } else {
        String::new()
    };
    let district = if india && rng.random_bool(0.7) { town.name.clone() } else { String::new() };
    let postal_code = if india && rng.random_bool(0.5) {
        format!("9{:05}", rng.random_range(0..100_000u64))
    } else {
        String::new()
    };

    let mut phone_if = |p: bool| {
        if p { phones.number(&town.country, &town.state) } else { String::new() }
    };
    let phone = phone_if(rng.random_bool(0.85));
    let hotline = phone_if(helpline || (has("one_stop_centre") && rng.random_bool(0.5)));
    let sms = phone_if(rng.random_bool(0.05));
    let intake_phone = phone_if(confidential || (shelter && rng.random_bool(0.8)));
    let email = if rng.random_bool(0.5) { format!("contact@sample-{n}.example") } else { String::new() };
    let website =
        if rng.random_bool(1.0 / 3.0) { format!("https://sample-{n}.example.org/") } else { String::new() };

    let languages = pick_languages(&town.country, &town.state, rng);
    let round_the_clock = if shelter || helpline {
        0.85
    } else if has("one_stop_centre") || has("police") {
        0.6
    } else {
        0.05
    };
    let hours = if rng.random_bool(round_the_clock) {
        "24/7"
    } else {
        OFFICE_HOURS[rng.random_range(0..OFFICE_HOURS.len() as u64) as usize]
    };
    let eligibility = if has("child_protection") {
        "Children under 18 and their carers"
    } else {
        ELIGIBILITY[rng.random_range(0..ELIGIBILITY.len() as u64) as usize]
    };
    let cost = COST[rng.random_range(0..COST.len() as u64) as usize];
    let wheelchair = match rng.random_range(0..100u64) {
        0..35 => "yes",
        35..60 => "limited",
        60..75 => "no",
        _ => "unknown",
    };
    let verified_on = verified_on(rng.random_range(0..VERIFIED_DAYS));
    let status = if rng.random_bool(0.97) { "active" } else { "inactive" };

    vec![
        format!("sample-{n:06}"),
        name,
        organization,
        description,
        categories.join(";"),
        format!("{lat:.6}"),
        format!("{lon:.6}"),
        public_lat,
        public_lon,
        confidential.to_string(),
        address,
        locality,
        district,
        town.state.clone(),
        postal_code,
        town.country.clone(),
        phone,
        hotline,
        sms,
        intake_phone,
        email,
        website,
        languages,
        hours.to_string(),
        (hours == "24/7").to_string(),
        eligibility.to_string(),
        cost.to_string(),
        wheelchair.to_string(),
        verified_on,
        status.to_string(),
    ]
}

/// An admin-chosen public point 10–20 km from the exact one, as written to the CSV, that the
/// importer's rule accepts (in the provider's country: near a border the first direction may
/// cross it). Tries a few directions; none fitting (never seen) leaves it to the server to draw.
fn admin_public_point(lat: f64, lon: f64, country: &str, rng: &mut ChaCha8Rng) -> (String, String) {
    // Checked as the importer will read them: both points at the 6 decimals written.
    let as_written = |lat: f64, lon: f64| {
        let (lat, lon) = (format!("{lat:.6}"), format!("{lon:.6}"));
        let point = lat.parse().ok().zip(lon.parse().ok()).map(|(lat, lon)| LonLat { lon, lat });
        (lat, lon, point)
    };
    let (_, _, exact) = as_written(lat, lon);
    for _ in 0..8 {
        let (dx, dy) = direction(rng);
        let d = 10_000.0 + 10_000.0 * rng.random::<f64>();
        let (plat, plon) = offset(lat, lon, dx * d, dy * d);
        let (plat, plon, public) = as_written(plat, plon);
        if let (Some(exact), Some(public)) = (exact, public)
            && public_point::check_admin(exact, public, country).is_ok()
        {
            return (plat, plon);
        }
    }
    (String::new(), String::new())
}

/// Languages spoken where the town is, most common first (ISO 639-1).
pub(super) fn region_languages(country: &str, state: &str) -> &'static [&'static str] {
    match (country, state) {
        ("IN", s) => match s {
            "Andhra Pradesh" => &["te", "en", "hi", "ur"],
            "Telangana" => &["te", "ur", "hi", "en"],
            "Assam" => &["as", "bn", "hi", "en"],
            "Tripura" | "West Bengal" => &["bn", "hi", "en"],
            "Andaman and Nicobar Islands" => &["hi", "bn", "ta", "te", "en"],
            "Gujarat" | "Dadra and Nagar Haveli and Daman and Diu" => &["gu", "hi", "en"],
            "Karnataka" => &["kn", "en", "hi", "ur"],
            "Kerala" | "Lakshadweep" => &["ml", "en"],
            "Maharashtra" => &["mr", "hi", "en", "ur"],
            "Goa" => &["mr", "en", "hi"],
            "Odisha" => &["or", "hi", "en"],
            "Punjab" | "Chandigarh" => &["pa", "hi", "en"],
            "Tamil Nadu" => &["ta", "en"],
            "Puducherry" => &["ta", "en", "fr", "ml", "te"],
            "Jammu and Kashmir" => &["ur", "ks", "hi", "en"],
            "Ladakh" => &["hi", "bo", "ur", "en"],
            "Sikkim" => &["ne", "en", "hi"],
            "Delhi" => &["hi", "en", "pa", "ur"],
            "Uttar Pradesh" | "Bihar" => &["hi", "ur", "en"],
            "Manipur" | "Meghalaya" | "Mizoram" | "Nagaland" | "Arunachal Pradesh" => &["en", "hi"],
            _ => &["hi", "en"],
        },
        ("BD", _) => &["bn", "en"],
        ("NP", _) => &["ne", "en", "hi"],
        ("LK", "Northern" | "Eastern") => &["ta", "si", "en"],
        ("LK", _) => &["si", "ta", "en"],
        ("PK", "Sindh") => &["ur", "sd", "en"],
        ("PK", "Khyber Pakhtunkhwa") => &["ps", "ur", "en"],
        ("PK", "Punjab") => &["pa", "ur", "en"],
        ("PK", _) => &["ur", "en"],
        ("ZA", "KwaZulu-Natal") => &["zu", "en", "xh"],
        ("ZA", "Eastern Cape") => &["xh", "en", "af"],
        ("ZA", "Western Cape") => &["af", "en", "xh"],
        ("ZA", "Free State") => &["st", "af", "en"],
        ("ZA", "North West") => &["tn", "af", "en"],
        ("ZA", _) => &["en", "zu", "xh", "af", "st"],
        ("US", _) => &["en", "es", "zh", "vi"],
        ("CA", "Quebec") => &["fr", "en"],
        ("CA", _) => &["en", "fr", "pa", "zh"],
        ("GB", "Wales") => &["en", "cy"],
        ("GB", "Scotland") => &["en", "gd"],
        ("GB", _) => &["en", "pl", "ur", "pa"],
        ("KE", _) => &["sw", "en"],
        ("AU", _) => &["en", "zh", "ar", "vi"],
        ("PH", _) => &["tl", "en"],
        ("FJ", _) => &["en", "fj", "hi"],
        ("NZ", _) => &["en", "mi", "sm"],
        _ => &["en"],
    }
}

fn pick_languages(country: &str, state: &str, rng: &mut ChaCha8Rng) -> String {
    let all = region_languages(country, state);
    let mut chosen = vec![all[0]];
    for &l in &all[1..] {
        if rng.random_bool(0.55) {
            chosen.push(l);
        }
    }
    chosen.join(";")
}

/// Days from 2025-01-01 to 2026-10-31 inclusive.
const VERIFIED_DAYS: u64 = 365 + 304;

fn verified_on(day: u64) -> String {
    let start = time::Date::from_calendar_date(2025, time::Month::January, 1).expect("a valid date");
    let d = start + time::Duration::days(day as i64);
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}
