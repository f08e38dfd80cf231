//! Emergency and helpline numbers for the place a query point is in, so that a location answer
//! is never a dead end, even when no provider matches.
//!
//! Built once at start from `data/emergency_numbers.csv` (compiled into the binary, see
//! data/SOURCES.md) and the country and Indian state outlines of [`crate::geography`], which does
//! the point-in-polygon lookups (antimeridian included).
//!
//! Coasts: the outlines are simplified (about 1 km), so a point just offshore (a harbour, a
//! beach, a sample point placed in the sea) is tested again at offsets up to
//! [`COAST_TOLERANCE_M`] and gets the country found nearest.

use crate::geography::{BoundaryError, Layer, destination};
use crate::model::LonLat;
use serde::{Deserialize, Serialize};
use std::sync::{Arc, OnceLock};
use utoipa::ToSchema;

/// `data/emergency_numbers.csv`: country,region,label,number,languages,open_24_7,source.
pub const NUMBERS_CSV: &str = include_str!("../data/emergency_numbers.csv");

/// How far (metres) from a country's simplified outline a point still counts as in it.
pub const COAST_TOLERANCE_M: f64 = 25_000.0;
/// The distances (metres) at which offset points are tried, nearest first.
const OFFSET_RINGS_M: [f64; 4] = [3_000.0, 8_000.0, 15_000.0, COAST_TOLERANCE_M];
/// Offset points per ring (every 30°).
const BEARINGS: u32 = 12;

/// One number to call.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct EmergencyNumber {
    /// What the number is for, in English.
    pub label: String,
    /// As dialled inside the country, e.g. "112" or "0808 2000 247".
    pub number: String,
    /// ISO 639 codes of languages the line is known to answer in (may be empty).
    pub languages: Vec<String>,
    /// True when the source says the line is open around the clock; false means not known to be.
    pub open_24_7: bool,
    /// The state or region the number serves; null for a national number.
    #[schema(required = true)]
    pub region: Option<String>,
    /// The official page the number was taken from.
    pub source: String,
}

/// The emergency numbers for one point: the country's national numbers, then its region's.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Emergency {
    /// ISO 3166-1 alpha-2 of the country the point is in (or within 25 km of); null at sea.
    #[schema(required = true)]
    pub country: Option<String>,
    /// The state or union territory (India only, for now); null when unknown.
    #[schema(required = true)]
    pub region: Option<String>,
    /// National numbers first, then the region's, in the order of data/emergency_numbers.csv.
    /// Empty when the country is unknown or has no numbers on file.
    pub numbers: Vec<EmergencyNumber>,
    /// These members as JSON, written once: every location answer carries them (about 1.5 KB
    /// in India), and copying is cheaper than writing them again.
    #[serde(skip)]
    json: Box<str>,
}

impl Emergency {
    pub fn new(country: Option<String>, region: Option<String>, numbers: Vec<EmergencyNumber>) -> Emergency {
        let mut e = Emergency { country, region, numbers, json: Box::default() };
        e.json = serde_json::to_string(&e).expect("strings, lists and booleans always serialise").into();
        e
    }

    /// The answer as JSON, as serialising it writes it.
    pub fn json(&self) -> &str {
        &self.json
    }
}

/// Why the bundled files could not be read. Only a broken build produces one.
#[derive(Debug, thiserror::Error)]
pub enum EmergencyError {
    #[error("emergency_numbers.csv, line {line}: {message}")]
    Numbers { line: u64, message: String },
    #[error("{file}: {message}")]
    Boundaries { file: &'static str, message: String },
}

impl From<BoundaryError> for EmergencyError {
    fn from(BoundaryError { file, message }: BoundaryError) -> Self {
        EmergencyError::Boundaries { file, message }
    }
}

#[derive(Debug, Deserialize)]
struct Row {
    country: String,
    region: String,
    label: String,
    number: String,
    languages: String,
    open_24_7: String,
    source: String,
}

/// The area of `layer` containing `p`, else the one found at the nearest offset point (up to
/// [`COAST_TOLERANCE_M`]).
fn find_near(layer: &Layer, p: LonLat) -> Option<usize> {
    layer.find(p.lon, p.lat).or_else(|| {
        OFFSET_RINGS_M.iter().find_map(|&d| {
            (0..BEARINGS).find_map(|i| {
                let (lon, lat) = destination(p, d, f64::from(i) * 360.0 / f64::from(BEARINGS));
                layer.find(lon, lat)
            })
        })
    })
}

/// Every emergency number on file and the boundaries that say which ones apply where.
pub struct EmergencyDirectory {
    /// (ISO country code, number), in file order.
    numbers: Vec<(String, EmergencyNumber)>,
    countries: Arc<Layer>,
    india_states: Arc<Layer>,
    /// The answer for each country (by its index in `countries`), each Indian state (by its
    /// index in `india_states`) and the sea, made once: every point search answers with one.
    by_country: Vec<Arc<Emergency>>,
    by_india_state: Vec<Arc<Emergency>>,
    at_sea: Arc<Emergency>,
}

impl std::fmt::Debug for EmergencyDirectory {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmergencyDirectory")
            .field("numbers", &self.numbers.len())
            .field("countries", &self.countries.names.len())
            .field("india_states", &self.india_states.names.len())
            .finish()
    }
}

impl EmergencyDirectory {
    /// The directory built from the files compiled into the binary, over the bundled geography's
    /// outlines; parsed once per process.
    pub fn bundled() -> Result<Arc<EmergencyDirectory>, EmergencyError> {
        static BUNDLED: OnceLock<Arc<EmergencyDirectory>> = OnceLock::new();
        if let Some(dir) = BUNDLED.get() {
            return Ok(dir.clone());
        }
        let geography = crate::geography::bundled();
        let dir = Arc::new(EmergencyDirectory::with_layers(
            NUMBERS_CSV,
            geography.countries(),
            geography.india_states(),
        )?);
        Ok(BUNDLED.get_or_init(|| dir).clone())
    }

    /// Builds a directory from the three files' contents, checking every row: a region must be a
    /// state in `india_states` (regions exist for India only).
    pub fn parse(
        numbers_csv: &str,
        countries_geojson: &str,
        india_states_geojson: &str,
    ) -> Result<EmergencyDirectory, EmergencyError> {
        let countries = Layer::parse("countries.geojson", countries_geojson, "iso_a2")?;
        let india_states = Layer::parse("india_states.geojson", india_states_geojson, "name")?;
        EmergencyDirectory::with_layers(numbers_csv, Arc::new(countries), Arc::new(india_states))
    }

    fn with_layers(
        numbers_csv: &str,
        countries: Arc<Layer>,
        india_states: Arc<Layer>,
    ) -> Result<EmergencyDirectory, EmergencyError> {
        let mut numbers = Vec::new();
        let mut reader = csv::Reader::from_reader(numbers_csv.as_bytes());
        let csv_error = |e: csv::Error| EmergencyError::Numbers {
            line: e.position().map_or(0, csv::Position::line),
            message: e.to_string(),
        };
        let headers = reader.headers().map_err(csv_error)?.clone();
        let mut record = csv::StringRecord::new();
        while reader.read_record(&mut record).map_err(csv_error)? {
            let line = record.position().map_or(0, csv::Position::line);
            let bad = |message: String| EmergencyError::Numbers { line, message };
            let row: Row = record.deserialize(Some(&headers)).map_err(|e| bad(e.to_string()))?;
            if row.country.len() != 2 || !row.country.bytes().all(|b| b.is_ascii_uppercase()) {
                return Err(bad(format!("country '{}' is not an ISO 3166-1 alpha-2 code", row.country)));
            }
            if row.label.trim().is_empty() || row.number.trim().is_empty() {
                return Err(bad("label and number are required".into()));
            }
            if !row.source.starts_with("https://") {
                return Err(bad(format!("source '{}' is not an https URL", row.source)));
            }
            let open_24_7 = match row.open_24_7.as_str() {
                "true" => true,
                "false" => false,
                other => return Err(bad(format!("open_24_7 must be true or false, not '{other}'"))),
            };
            let region = match row.region.trim() {
                "" => None,
                r if row.country == "IN" && india_states.names.iter().any(|n| n == r) => Some(r.to_string()),
                r => return Err(bad(format!("region '{r}' of {} has no boundary", row.country))),
            };
            let languages = row
                .languages
                .split(';')
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(str::to_string)
                .collect();
            numbers.push((
                row.country,
                EmergencyNumber {
                    label: row.label,
                    number: row.number,
                    languages,
                    open_24_7,
                    region,
                    source: row.source,
                },
            ));
        }
        let answer = |country: &str, region: Option<&str>| {
            let of_country = || numbers.iter().filter(|(c, _)| *c == country).map(|(_, n)| n);
            let national = of_country().filter(|n| n.region.is_none());
            let regional = of_country().filter(|n| region.is_some() && n.region.as_deref() == region);
            let numbers = national.chain(regional).cloned().collect();
            Arc::new(Emergency::new(Some(country.into()), region.map(Into::into), numbers))
        };
        let by_country = countries.names.iter().map(|c| answer(c, None)).collect();
        let by_india_state = india_states.names.iter().map(|s| answer("IN", Some(s))).collect();
        let at_sea = Arc::new(Emergency::new(None, None, Vec::new()));
        Ok(EmergencyDirectory { numbers, countries, india_states, by_country, by_india_state, at_sea })
    }

    /// The country (and, in India, the state) that `p` is in or within 25 km of, with their
    /// numbers: national first, then the region's, in file order.
    pub fn at(&self, p: LonLat) -> Arc<Emergency> {
        let Some(country) = find_near(&self.countries, p) else { return self.at_sea.clone() };
        let state =
            (self.countries.names[country] == "IN").then(|| find_near(&self.india_states, p)).flatten();
        match state {
            Some(state) => self.by_india_state[state].clone(),
            None => self.by_country[country].clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::basemap::{COUNTRIES_GEOJSON, INDIA_STATES_GEOJSON};

    fn dir() -> Arc<EmergencyDirectory> {
        EmergencyDirectory::bundled().expect("bundled files parse")
    }

    fn at(lat: f64, lon: f64) -> Arc<Emergency> {
        dir().at(LonLat::new(lon, lat).unwrap())
    }

    fn numbers(e: &Emergency) -> Vec<&str> {
        e.numbers.iter().map(|n| n.number.as_str()).collect()
    }

    #[test]
    fn indian_states_get_national_then_state_numbers() {
        // (lat, lon, state): inland towns of five states and two union territories.
        let places = [
            (26.85, 80.95, "Uttar Pradesh"),    // Lucknow
            (25.6, 85.14, "Bihar"),             // Patna
            (26.91, 75.79, "Rajasthan"),        // Jaipur
            (12.97, 77.59, "Karnataka"),        // Bengaluru
            (22.57, 88.36, "West Bengal"),      // Kolkata
            (17.385, 78.487, "Telangana"),      // Hyderabad
            (28.61, 77.21, "Delhi"),            // New Delhi
            (23.26, 77.41, "Madhya Pradesh"),   // Bhopal
            (8.52, 76.94, "Kerala"),            // Thiruvananthapuram
            (34.08, 74.8, "Jammu and Kashmir"), // Srinagar
        ];
        for (lat, lon, state) in places {
            let e = at(lat, lon);
            assert_eq!(e.country.as_deref(), Some("IN"), "{state}");
            assert_eq!(e.region.as_deref(), Some(state), "{lat},{lon}");
            let got = numbers(&e);
            assert_eq!(&got[..4], ["112", "181", "1091", "1098"], "{state}: national numbers first");
            assert!(e.numbers[..4].iter().all(|n| n.region.is_none()));
            assert!(e.numbers[4..].iter().all(|n| n.region.as_deref() == Some(state)), "{state}: {got:?}");
        }
        let up = at(26.85, 80.95);
        assert_eq!(numbers(&up), ["112", "181", "1091", "1098", "1090", "1800-180-5220"]);
        assert_eq!(
            numbers(&at(25.6, 85.14)),
            ["112", "181", "1091", "1098"],
            "Bihar has no state line on file"
        );
    }

    #[test]
    fn every_sample_country_gets_its_numbers() {
        // (lat, lon, country, a number that must be there): a capital or big town of each.
        let places = [
            (23.81, 90.41, "BD", "999"),
            (27.72, 85.32, "NP", "100"),
            (6.93, 79.86, "LK", "119"),
            (24.86, 67.01, "PK", "15"),
            (-26.2, 28.05, "ZA", "10111"),
            (39.74, -104.99, "US", "1-800-799-7233"),
            (52.49, -1.89, "GB", "0808 2000 247"),
            (-1.29, 36.82, "KE", "1195"),
            (-35.28, 149.13, "AU", "1800 737 732"),
            (45.42, -75.7, "CA", "911"),
            (14.6, 120.98, "PH", "911"),
            (-18.14, 178.44, "FJ", "1560"),
            (-41.29, 174.78, "NZ", "111"),
            (26.85, 80.95, "IN", "112"),
        ];
        for (lat, lon, country, number) in places {
            let e = at(lat, lon);
            assert_eq!(e.country.as_deref(), Some(country), "{lat},{lon}");
            assert!(numbers(&e).contains(&number), "{country}: {:?}", numbers(&e));
            assert!(e.numbers.iter().all(|n| n.source.starts_with("https://")));
            if country != "IN" {
                assert_eq!(e.region, None);
            }
        }
    }

    #[test]
    fn fiji_on_both_sides_of_the_antimeridian() {
        // Taveuni straddles 180°; Lakeba (Lau group) is at 178.8°W; Suva at 178.4°E.
        for (lat, lon) in [
            (-16.85, 179.95),
            (-16.85, -179.95),
            (-18.2, -178.8),
            (-18.14, 178.44),
            (-16.8, 180.0),
            (-16.8, -180.0),
        ] {
            assert_eq!(at(lat, lon).country.as_deref(), Some("FJ"), "{lat},{lon}");
        }
    }

    #[test]
    fn mid_ocean_has_no_country_and_no_numbers() {
        for (lat, lon) in [(-30.0, -140.0), (0.0, -30.0), (-40.0, 80.0), (10.0, 65.0)] {
            let e = at(lat, lon);
            assert_eq!(*e, Emergency::new(None, None, Vec::new()), "{lat},{lon}");
        }
    }

    #[test]
    fn just_offshore_counts_as_the_nearest_coast() {
        // Off Mumbai's west coast, about 5 and 15 km out in the Arabian Sea.
        for (lat, lon) in [(18.95, 72.75), (19.05, 72.68)] {
            let e = at(lat, lon);
            assert_eq!(e.country.as_deref(), Some("IN"), "{lat},{lon}");
            assert_eq!(e.region.as_deref(), Some("Maharashtra"), "{lat},{lon}");
            assert!(numbers(&e).contains(&"181"));
        }
        // 60 km out is the sea.
        assert_eq!(at(19.0, 72.2).country, None);
    }

    #[test]
    fn answers_made_once_are_the_numbers_picked_for_each_point() {
        use rand::{Rng, SeedableRng};
        let d = dir();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(9);
        let (mut regional, mut at_sea) = (0, 0);
        for i in 0..1_500 {
            // India and its coasts, then anywhere.
            let (lon, lat) = if i % 2 == 0 {
                (rng.random_range(66.0..99.0), rng.random_range(5.0..38.0))
            } else {
                (rng.random_range(-180.0..180.0), rng.random_range(-80.0..80.0))
            };
            let p = LonLat::new(lon, lat).unwrap();
            // The reference: outlines tested point by point (no cells), numbers picked from the file.
            let offsets = OFFSET_RINGS_M.iter().flat_map(|&m| {
                (0..BEARINGS).map(move |b| destination(p, m, f64::from(b) * 360.0 / f64::from(BEARINGS)))
            });
            let near = |layer: &Layer| {
                std::iter::once((p.lon, p.lat))
                    .chain(offsets.clone())
                    .find_map(|(x, y)| layer.find_exact(x, y))
            };
            let country = near(&d.countries).map(|c| d.countries.names[c].clone());
            let region = (country.as_deref() == Some("IN"))
                .then(|| near(&d.india_states).map(|s| d.india_states.names[s].clone()))
                .flatten();
            let of_country = d.numbers.iter().filter(|(c, _)| Some(c) == country.as_ref()).map(|(_, n)| n);
            let numbers = of_country
                .clone()
                .filter(|n| n.region.is_none())
                .chain(of_country.filter(|n| region.is_some() && n.region == region))
                .cloned()
                .collect();
            regional += usize::from(region.is_some());
            at_sea += usize::from(country.is_none());
            assert_eq!(*d.at(p), Emergency::new(country, region, numbers), "{p:?}");
        }
        assert!(regional > 200 && at_sea > 200, "{regional} {at_sea}");
    }

    #[test]
    fn every_region_is_a_known_state_and_bad_rows_are_refused() {
        let d = dir();
        assert_eq!(d.india_states.names.len(), 36);
        for (country, n) in &d.numbers {
            if let Some(r) = &n.region {
                assert_eq!(country, "IN");
                assert!(d.india_states.names.contains(r));
            }
        }
        let header = "country,region,label,number,languages,open_24_7,source\n";
        for row in [
            "IN,Uttar Pardesh,X,1,hi,true,https://example.org/\n",
            "India,,X,1,hi,true,https://example.org/\n",
            "IN,,X,1,hi,maybe,https://example.org/\n",
            "IN,,X,1,hi,true,not a url\n",
            "IN,,X,,hi,true,https://example.org/\n",
        ] {
            let csv = format!("{header}{row}");
            let e = EmergencyDirectory::parse(&csv, COUNTRIES_GEOJSON, INDIA_STATES_GEOJSON).unwrap_err();
            assert!(e.to_string().contains("line 2"), "{e}");
        }
    }

    #[test]
    fn destination_moves_the_stated_distance() {
        let p = LonLat::new(179.99, -16.8).unwrap();
        let (lon, lat) = destination(p, 25_000.0, 90.0);
        assert!(lon < -179.0, "wraps across 180°: {lon}");
        let d = p.distance_m(LonLat::new(lon, lat).unwrap());
        assert!((d - 25_000.0).abs() < 1.0, "{d}");
    }
}
