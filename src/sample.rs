//! Fictional sample providers in Bellmap's CSV import format.
//!
//! Used for the bundled `data/providers.csv` and for benchmarks. Every record says it is fictional,
//! and every phone number is one that cannot ring a real person (see [`is_fictional_phone`]). Towns
//! come from a small GeoNames extract compiled into the binary (`data/gazetteer.csv`, CC BY 4.0).
//!
//! The output depends only on `count` and `seed`: the generator is ChaCha8, integers are drawn from
//! `u64` ranges and the only floating-point functions used are basic arithmetic, `sqrt` and a
//! polynomial cosine, so the bytes are the same on every platform.

use std::collections::BTreeMap;

use crate::model::Column;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const GAZETTEER: &str = include_str!("../data/gazetteer.csv");

/// Category slugs with a display word for names and a relative weight for the primary category.
const CATEGORIES: [(&str, &str, u64); 11] = [
    ("shelter", "Shelter", 18),
    ("helpline", "Helpline", 10),
    ("one_stop_centre", "One Stop Centre", 8),
    ("legal_aid", "Legal Aid Clinic", 12),
    ("counselling", "Counselling Centre", 14),
    ("medical", "Medical Centre", 8),
    ("police", "Police Help Desk", 8),
    ("protection_officer", "Protection Officer", 6),
    ("child_protection", "Child Protection Unit", 6),
    ("livelihood", "Livelihood Centre", 6),
    ("other", "Support Service", 4),
];

/// Share of rows placed in India.
const INDIA_SHARE: f64 = 0.7;
/// Providers are placed uniformly in a disc of this radius around the town's point.
const JITTER_M: f64 = 8_000.0;
/// Towns with no (or a tiny) population still get some weight.
const MIN_WEIGHT: u64 = 5_000;
/// WGS84 mean radius, as used for distances elsewhere in Bellmap.
const EARTH_RADIUS_M: f64 = 6_371_008.8;
const METRES_PER_DEGREE: f64 = EARTH_RADIUS_M * std::f64::consts::PI / 180.0;

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

/// US and Canadian area codes for the fictional 555-01XX lines (any area code works for those).
const AREA_CODES_US: [&str; 12] =
    ["212", "213", "305", "312", "404", "415", "512", "602", "617", "713", "206", "303"];
const AREA_CODES_CA: [&str; 9] = ["416", "604", "514", "403", "613", "780", "204", "306", "902"];

/// Why the sample could not be written.
#[derive(Debug, thiserror::Error)]
pub enum SampleError {
    #[error("could not write the sample CSV: {0}")]
    Csv(#[from] csv::Error),
    #[error("could not write the sample CSV: {0}")]
    Io(#[from] std::io::Error),
    #[error("the built-in gazetteer is invalid at line {line}: {message}")]
    Gazetteer { line: u64, message: String },
}

/// Writes `count` fictional providers as CSV in Bellmap's import format to `out`.
pub fn write_sample_csv<W: std::io::Write>(out: W, count: usize, seed: u64) -> Result<(), SampleError> {
    let towns = load_gazetteer()?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let plan = plan_towns(&towns, count, &mut rng);
    let mut phones = PhoneBook::default();
    let mut writer = csv::WriterBuilder::new().terminator(csv::Terminator::Any(b'\n')).from_writer(out);
    writer.write_record(Column::ALL.map(Column::name))?;
    for (i, &t) in plan.iter().enumerate() {
        let row = make_row(i, count, &towns[t], &mut rng, &mut phones);
        writer.write_record(&row)?;
    }
    writer.flush()?;
    Ok(())
}

/// True when `number` follows one of the fictional schemes the sample uses for `country`:
///
/// - US, CA: `+1 NXX-555-01XX` (555-0100 to 555-0199 are reserved for fiction in every area code);
/// - GB: `+44 7700 900XXX` (Ofcom's drama range);
/// - AU: `+61 A 5550 XXXX` or `+61 A 7010 XXXX`, A in 2, 3, 7, 8 (ACMA's fictitious geographic ranges);
/// - every other country: the country's calling code followed by `0`, which E.164 never allows
///   (a national significant number does not start with the trunk digit), e.g. `+91 0000 01 2345`.
pub fn is_fictional_phone(country: &str, number: &str) -> bool {
    let Some(code) = calling_code(country) else {
        return false;
    };
    let Some(rest) = number.strip_prefix('+').and_then(|r| r.strip_prefix(code)) else {
        return false;
    };
    let Some(rest) = rest.strip_prefix(' ') else {
        return false;
    };
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    match country {
        "US" | "CA" => {
            let parts: Vec<&str> = rest.split('-').collect();
            parts.len() == 3
                && digits(parts[0], 3)
                && (b'2'..=b'9').contains(&parts[0].as_bytes()[0])
                && parts[1] == "555"
                && digits(parts[2], 4)
                && parts[2].starts_with("01")
        }
        "GB" => rest.strip_prefix("7700 900").is_some_and(|d| digits(d, 3)),
        "AU" => {
            let parts: Vec<&str> = rest.split(' ').collect();
            parts.len() == 3
                && ["2", "3", "7", "8"].contains(&parts[0])
                && ["5550", "7010"].contains(&parts[1])
                && digits(parts[2], 4)
        }
        _ => {
            let total = code.len() + rest.bytes().filter(u8::is_ascii_digit).count();
            rest.starts_with('0')
                && rest.bytes().all(|b| b.is_ascii_digit() || b == b' ')
                && !rest.ends_with(' ')
                && total <= 15
        }
    }
}

/// International calling codes of the gazetteer's countries.
fn calling_code(country: &str) -> Option<&'static str> {
    Some(match country {
        "IN" => "91",
        "BD" => "880",
        "NP" => "977",
        "LK" => "94",
        "PK" => "92",
        "ZA" => "27",
        "US" | "CA" => "1",
        "GB" => "44",
        "KE" => "254",
        "AU" => "61",
        "PH" => "63",
        "FJ" => "679",
        "NZ" => "64",
        _ => return None,
    })
}

struct Town {
    name: String,
    country: String,
    state: String,
    lat: f64,
    lon: f64,
    population: u64,
}

fn load_gazetteer() -> Result<Vec<Town>, SampleError> {
    let mut reader = csv::Reader::from_reader(GAZETTEER.as_bytes());
    let mut towns = Vec::new();
    for record in reader.records() {
        let record = record?;
        let line = record.position().map_or(0, |p| p.line());
        let bad = |message: String| SampleError::Gazetteer { line, message };
        if record.len() != 6 {
            return Err(bad(format!("expected 6 columns, found {}", record.len())));
        }
        let number = |i: usize| {
            record[i]
                .parse::<f64>()
                .ok()
                .filter(|v| v.is_finite())
                .ok_or_else(|| bad(format!("'{}' is not a number", &record[i])))
        };
        let (lat, lon) = (number(3)?, number(4)?);
        if !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lon) {
            return Err(bad(format!("coordinates {lat},{lon} are out of range")));
        }
        let population = record[5]
            .parse::<u64>()
            .map_err(|_| bad(format!("population '{}' is not a whole number", &record[5])))?;
        towns.push(Town {
            name: record[0].to_string(),
            country: record[1].to_string(),
            state: record[2].to_string(),
            lat,
            lon,
            population,
        });
    }
    if towns.is_empty() {
        return Err(SampleError::Gazetteer { line: 1, message: "no towns".into() });
    }
    Ok(towns)
}

/// Population-weighted choice among some towns (integer weights, so the choice is portable).
struct Weighted {
    items: Vec<usize>,
    cumulative: Vec<u64>,
}

impl Weighted {
    fn new(items: Vec<usize>, towns: &[Town]) -> Self {
        let mut total = 0;
        let cumulative = items
            .iter()
            .map(|&i| {
                total += towns[i].population.max(MIN_WEIGHT);
                total
            })
            .collect();
        Weighted { items, cumulative }
    }

    fn pick(&self, rng: &mut ChaCha8Rng) -> usize {
        let total = *self.cumulative.last().expect("a weighted group is never empty");
        let r = rng.random_range(0..total);
        self.items[self.cumulative.partition_point(|&c| c <= r)]
    }
}

/// Chooses the town of every row.
///
/// With enough rows (at least four times the guaranteed ones: 864 with the bundled gazetteer, so
/// always for the 2,500-row sample), a first pass gives every (country, state) pair one provider
/// (pairs are split at longitude 0, so Fiji gets points on both sides of 180°) and every Indian
/// state or union territory two more. The rest are about 70% India, 30% a uniformly chosen other
/// country, population-weighted within it. The order is shuffled so guaranteed rows are not bunched.
fn plan_towns(towns: &[Town], count: usize, rng: &mut ChaCha8Rng) -> Vec<usize> {
    let mut india = Vec::new();
    let mut india_states: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    let mut others: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    let mut groups: BTreeMap<(&str, &str, bool), Vec<usize>> = BTreeMap::new();
    for (i, t) in towns.iter().enumerate() {
        if t.country == "IN" {
            india.push(i);
            india_states.entry(&t.state).or_default().push(i);
        } else {
            others.entry(&t.country).or_default().push(i);
        }
        groups.entry((&t.country, &t.state, t.lon >= 0.0)).or_default().push(i);
    }
    const EXTRA_INDIA_ROUNDS: usize = 2;
    let guaranteed_len = groups.len() + EXTRA_INDIA_ROUNDS * india_states.len();

    let mut plan = Vec::with_capacity(count);
    if count >= 4 * guaranteed_len {
        for g in groups.into_values() {
            plan.push(Weighted::new(g, towns).pick(rng));
        }
        let states: Vec<Weighted> = india_states.into_values().map(|g| Weighted::new(g, towns)).collect();
        for _ in 0..EXTRA_INDIA_ROUNDS {
            for s in &states {
                plan.push(s.pick(rng));
            }
        }
    }

    let india_done = plan.iter().filter(|&&i| towns[i].country == "IN").count();
    let remaining = count - plan.len();
    let india_target = (count as f64 * INDIA_SHARE).round() as usize;
    let p_india = match (india.is_empty(), others.is_empty()) {
        (true, _) => 0.0,
        (false, true) => 1.0,
        _ if remaining == 0 => 0.0,
        _ => (india_target.saturating_sub(india_done) as f64 / remaining as f64).clamp(0.0, 1.0),
    };
    let india = (!india.is_empty()).then(|| Weighted::new(india, towns));
    let others: Vec<Weighted> = others.into_values().map(|g| Weighted::new(g, towns)).collect();
    for _ in 0..remaining {
        let town = match &india {
            Some(india) if rng.random_bool(p_india) => india.pick(rng),
            _ => others[rng.random_range(0..others.len() as u64) as usize].pick(rng),
        };
        plan.push(town);
    }

    for i in (1..plan.len()).rev() {
        let j = rng.random_range(0..=i as u64) as usize;
        plan.swap(i, j);
    }
    plan
}

/// Hands out fictional numbers, one sequence per country (and AU area), so numbers rarely repeat.
#[derive(Default)]
struct PhoneBook {
    next: BTreeMap<String, u64>,
}

impl PhoneBook {
    fn number(&mut self, country: &str, state: &str) -> String {
        let Some(code) = calling_code(country) else {
            return String::new();
        };
        let au_area = match state {
            "New South Wales" | "Australian Capital Territory" => "2",
            "Victoria" | "Tasmania" => "3",
            "Queensland" => "7",
            _ => "8",
        };
        let key = if country == "AU" { format!("AU{au_area}") } else { country.to_string() };
        let counter = self.next.entry(key).or_insert(0);
        let k = *counter;
        *counter += 1;
        match country {
            "US" | "CA" => {
                let areas: &[&str] = if country == "US" { &AREA_CODES_US } else { &AREA_CODES_CA };
                let n = areas.len() as u64;
                let area = areas[(k % n) as usize];
                format!("+1 {area}-555-01{:02}", (k / n) % 100)
            }
            "GB" => format!("+44 7700 900{:03}", k % 1000),
            "AU" => {
                let block = if k.is_multiple_of(2) { "5550" } else { "7010" };
                format!("+61 {au_area} {block} {:04}", (k / 2) % 10_000)
            }
            _ => {
                let k = k + 1;
                format!("+{code} 0000 {:02} {:04}", (k / 10_000) % 100, k % 10_000)
            }
        }
    }
}

fn make_row(
    i: usize,
    count: usize,
    town: &Town,
    rng: &mut ChaCha8Rng,
    phones: &mut PhoneBook,
) -> Vec<String> {
    let n = i + 1;
    let india = town.country == "IN";

    // Categories: a primary one (each slug leads once in the first rows), plus up to two others.
    let primary = if i < CATEGORIES.len() {
        i
    } else {
        let total: u64 = CATEGORIES.iter().map(|c| c.2).sum();
        let mut r = rng.random_range(0..total);
        CATEGORIES
            .iter()
            .position(|c| {
                let hit = r < c.2;
                r = r.saturating_sub(c.2);
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
        let c = rng.random_range(0..CATEGORIES.len() as u64) as usize;
        if !cats.contains(&c) {
            cats.push(c);
        }
    }
    let has = |slug: &str| cats.iter().any(|&c| CATEGORIES[c].0 == slug);
    let shelter = has("shelter");
    let helpline = has("helpline");
    let confidential = shelter && rng.random_bool(0.21);

    let (east, north) = in_disc(rng);
    let (lat, lon) = offset(town.lat, town.lon, east * JITTER_M, north * JITTER_M);
    let (public_lat, public_lon) = if confidential && rng.random_bool(0.3) {
        let (dx, dy) = direction(rng);
        let d = 10_000.0 + 10_000.0 * rng.random::<f64>();
        let (plat, plon) = offset(lat, lon, dx * d, dy * d);
        (format!("{plat:.6}"), format!("{plon:.6}"))
    } else {
        (String::new(), String::new())
    };

    let label = CATEGORIES[primary].1;
    let name = format!("Sample {label} – {} {n} (fictional)", town.name);
    let org_max = (count / 10).max(1) as u64;
    let organization = format!("Sample Organisation {} (fictional)", rng.random_range(1..=org_max));
    let description = format!(
        "Fictional sample record ({}) generated for testing Bellmap; not a real service.",
        CATEGORIES[primary].0.replace('_', " ")
    );
    let categories: Vec<&str> = cats.iter().map(|&c| CATEGORIES[c].0).collect();

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

/// Languages spoken where the town is, most common first (ISO 639-1).
fn region_languages(country: &str, state: &str) -> &'static [&'static str] {
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

/// A point uniformly distributed in the unit disc (rejection sampling, no trigonometry).
fn in_disc(rng: &mut ChaCha8Rng) -> (f64, f64) {
    loop {
        let x = 2.0 * rng.random::<f64>() - 1.0;
        let y = 2.0 * rng.random::<f64>() - 1.0;
        if x * x + y * y <= 1.0 {
            return (x, y);
        }
    }
}

/// A uniformly distributed unit vector.
fn direction(rng: &mut ChaCha8Rng) -> (f64, f64) {
    loop {
        let (x, y) = in_disc(rng);
        let r2 = x * x + y * y;
        if r2 > 0.01 {
            let r = r2.sqrt();
            return (x / r, y / r);
        }
    }
}

/// Moves a point `east_m` metres east and `north_m` metres north (local flat approximation, fine
/// for tens of kilometres), keeping latitude in range and wrapping longitude into [-180, 180].
fn offset(lat: f64, lon: f64, east_m: f64, north_m: f64) -> (f64, f64) {
    let cos_lat = cos_degrees(lat).max(0.01);
    let new_lat = (lat + north_m / METRES_PER_DEGREE).clamp(-90.0, 90.0);
    let mut new_lon = lon + east_m / (METRES_PER_DEGREE * cos_lat);
    if new_lon > 180.0 {
        new_lon -= 360.0;
    } else if new_lon < -180.0 {
        new_lon += 360.0;
    }
    if new_lat.abs() < 1e-6 && new_lon.abs() < 1e-6 {
        // (0,0) is what broken spreadsheets produce; never emit it.
        return (1e-3, new_lon);
    }
    (new_lat, new_lon)
}

/// cos of a latitude in degrees (|lat| <= 90) by its Taylor series, using only + and *, so the
/// result is identical on every platform (libm's `cos` may differ in the last bit).
fn cos_degrees(lat: f64) -> f64 {
    let x = lat.clamp(-90.0, 90.0).to_radians();
    let x2 = x * x;
    // Horner form of sum_{k=0}^{11} (-1)^k x^(2k) / (2k)!; the next term is < 1e-16 for |x| <= pi/2.
    let mut acc = 1.0;
    for k in (1..=11u32).rev() {
        let denom = f64::from((2 * k - 1) * (2 * k));
        acc = 1.0 - x2 / denom * acc;
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::*;
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
        assert_eq!(header.len(), Column::ALL.len());
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
        let slugs: BTreeSet<&str> = CATEGORIES.iter().map(|c| c.0).collect();
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
            assert!(
                time::Date::parse(date, time::macros::format_description!("[year]-[month]-[day]")).is_ok()
            );
            for l in r["languages"].split(';') {
                assert!(l.len() == 2 && l.bytes().all(|b| b.is_ascii_lowercase()), "language {l}");
            }
            let email = &r["email"];
            assert!(
                email.is_empty() || (email.starts_with("contact@sample-") && email.ends_with(".example"))
            );
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
        for (cc, state) in [("US", ""), ("CA", ""), ("GB", "Wales"), ("AU", "Queensland"), ("KE", "Nairobi")]
        {
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
}
