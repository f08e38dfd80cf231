//! The bundled gazetteer, `data/places.csv`, parsed into [`Place`]s. Made by
//! `data/extract_places.py` from GeoNames, datta07/INDIAN-SHAPEFILES and India Post (see
//! data/SOURCES.md); rows are sorted by id.

use crate::model::LonLat;
use serde::Deserialize;
use std::sync::OnceLock;

/// `data/places.csv`: id,kind,name,alt_names,district,state,country,lat,lon,population,quality.
pub const PLACES_CSV: &str = include_str!("../../data/places.csv");

/// A gazetteer file that does not parse. For the bundled file only a broken build produces one.
#[derive(Debug, thiserror::Error)]
#[error("places.csv line {line}: {message}")]
pub struct GazetteerError {
    /// 1-based line in the file (the header is line 1).
    pub line: u64,
    pub message: String,
}

/// What a place is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PlaceKind {
    /// A town or city (GeoNames).
    Town,
    /// An Indian district's headquarters town.
    District,
    /// An Indian sub-district (tehsil, taluk) headquarters town.
    Subdistrict,
    /// An Indian PIN code's centroid (the mean of its post offices).
    Pincode,
}

/// How far a PIN code's centroid can be trusted: India Post's coordinates are often wrong. "Inside"
/// allows 2 km outside the simplified outline (harbours, beaches); see data/SOURCES.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PinQuality {
    /// Inside its district (or its state, where the district name matches no outline).
    Ok,
    /// Inside its state but not its district.
    OutsideDistrict,
    /// Not inside its state: the point is wrong.
    OutsideState,
}

/// One gazetteer entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    /// Stable id: `gn:<geonameid>`, `dhq:<census district code>`, `sdhq:<sub-district code>`,
    /// `pin:<pincode>`.
    pub id: String,
    pub kind: PlaceKind,
    /// The name as in the source (a PIN code's name is the code).
    pub name: String,
    /// Other names and spellings (Latin, Indic and Perso-Arabic scripts).
    pub alt_names: Vec<String>,
    /// Indian district, empty where unknown.
    pub district: String,
    /// First-level region; India's as in data/boundaries/india_states.geojson. May be empty.
    pub state: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    pub point: LonLat,
    /// GeoNames' population, 0 where none.
    pub population: u64,
    /// `Ok` for every place but a PIN code whose centroid fell outside its outlines.
    pub quality: PinQuality,
}

#[derive(Deserialize)]
struct Row {
    id: String,
    kind: PlaceKind,
    name: String,
    alt_names: String,
    district: String,
    state: String,
    country: String,
    lat: f64,
    lon: f64,
    population: u64,
    /// Empty for every place but a flagged PIN code.
    quality: Option<PinQuality>,
}

/// Every place of a gazetteer file, in file order (by id).
#[derive(Debug)]
pub struct Gazetteer {
    pub places: Vec<Place>,
}

impl Gazetteer {
    /// Parses a file in the shape of `data/places.csv`; ids must be non-empty and strictly
    /// increasing (so unique, and [`Gazetteer::get`] can search them), names non-empty, points valid.
    pub fn parse(text: &str) -> Result<Gazetteer, GazetteerError> {
        let mut places = Vec::new();
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        for record in reader.deserialize::<Row>() {
            let record = record.map_err(|e| GazetteerError {
                line: e.position().map_or(0, |p| p.line()),
                message: e.to_string(),
            })?;
            let line = places.len() as u64 + 2;
            let fail = |message: String| GazetteerError { line, message };
            if record.id.is_empty() || record.name.is_empty() {
                return Err(fail("empty id or name".into()));
            }
            if places.last().is_some_and(|p: &Place| p.id >= record.id) {
                return Err(fail(format!("id {} is not after the previous row's", record.id)));
            }
            let point = LonLat::new(record.lon, record.lat).map_err(|e| fail(e.to_string()))?;
            let alt_names =
                record.alt_names.split('|').filter(|a| !a.is_empty()).map(str::to_owned).collect();
            places.push(Place {
                id: record.id,
                kind: record.kind,
                name: record.name,
                alt_names,
                district: record.district,
                state: record.state,
                country: record.country,
                point,
                population: record.population,
                quality: record.quality.unwrap_or(PinQuality::Ok),
            });
        }
        Ok(Gazetteer { places })
    }

    /// The place with this id.
    pub fn get(&self, id: &str) -> Option<&Place> {
        self.places.binary_search_by(|p| p.id.as_str().cmp(id)).ok().map(|i| &self.places[i])
    }
}

/// The gazetteer compiled into the binary, parsed on first use. The tests parse the same file, so
/// a failure here is a broken build.
pub fn bundled() -> &'static Gazetteer {
    static BUNDLED: OnceLock<Gazetteer> = OnceLock::new();
    BUNDLED.get_or_init(|| Gazetteer::parse(PLACES_CSV).expect("the bundled gazetteer parses"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn lucknow() -> &'static Place {
        bundled().get("gn:1264733").expect("Lucknow's GeoNames id")
    }

    #[test]
    fn the_bundled_file_parses_with_plausible_counts_by_kind() {
        let mut counts: HashMap<PlaceKind, usize> = HashMap::new();
        for p in &bundled().places {
            *counts.entry(p.kind).or_default() += 1;
        }
        let n = |k| counts.get(&k).copied().unwrap_or(0);
        assert_eq!(n(PlaceKind::Pincode), 19_416, "every India Post centroid, flagged or not");
        assert!((700..=760).contains(&n(PlaceKind::District)), "{counts:?}");
        assert!((5_900..=5_950).contains(&n(PlaceKind::Subdistrict)), "{counts:?}");
        assert!((20_000..=40_000).contains(&n(PlaceKind::Town)), "{counts:?}");
        let indian_towns = bundled().places.iter().filter(|p| p.kind == PlaceKind::Town && p.country == "IN");
        assert!(indian_towns.count() >= 7_000, "every Indian town of GeoNames cities1000");
    }

    #[test]
    fn ids_are_unique_and_sorted() {
        let places = &bundled().places;
        assert!(places.windows(2).all(|w| w[0].id < w[1].id));
        assert!(
            places.iter().all(|p| ["gn:", "dhq:", "sdhq:", "pin:"].iter().any(|pre| p.id.starts_with(pre)))
        );
    }

    #[test]
    fn lucknow_is_a_town_with_hindi_and_old_names() {
        let l = lucknow();
        assert_eq!(
            (l.kind, l.name.as_str(), l.state.as_str()),
            (PlaceKind::Town, "Lucknow", "Uttar Pradesh")
        );
        assert_eq!(l.district, "Lucknow");
        assert!(l.alt_names.iter().any(|a| a == "लखनऊ"), "{:?}", l.alt_names);
        assert!(l.alt_names.iter().any(|a| a == "Lakhnau"), "{:?}", l.alt_names);
        assert!(!l.alt_names.iter().any(|a| a == "LKO"), "airport codes are dropped");
        assert!(l.population > 2_000_000);
    }

    #[test]
    fn pin_226001_is_in_lucknow() {
        let pin = bundled().get("pin:226001").expect("PIN 226001");
        assert_eq!(
            (pin.kind, pin.name.as_str(), pin.quality),
            (PlaceKind::Pincode, "226001", PinQuality::Ok)
        );
        let km = pin.point.distance_m(lucknow().point) / 1000.0;
        assert!(km < 20.0, "{km} km from Lucknow");
    }

    #[test]
    fn every_indian_state_and_union_territory_has_a_district_headquarters() {
        let with_hq: std::collections::HashSet<&str> = bundled()
            .places
            .iter()
            .filter(|p| p.kind == PlaceKind::District && p.country == "IN")
            .map(|p| p.state.as_str())
            .collect();
        let states = crate::geography::bundled().india_states();
        assert_eq!(states.names.len(), 36);
        for state in &states.names {
            assert!(with_hq.contains(state.as_str()), "no district HQ in {state}");
        }
        assert_eq!(with_hq.len(), 36, "a district HQ's state is not one of the outlines: {with_hq:?}");
    }

    #[test]
    fn flagged_pin_codes_are_a_minority() {
        let pins: Vec<_> = bundled().places.iter().filter(|p| p.kind == PlaceKind::Pincode).collect();
        let outside_state = pins.iter().filter(|p| p.quality == PinQuality::OutsideState).count();
        let outside_district = pins.iter().filter(|p| p.quality == PinQuality::OutsideDistrict).count();
        assert!(outside_state > 0 && outside_state < pins.len() / 20, "{outside_state}");
        assert!(outside_district > 0 && outside_district < pins.len() / 10, "{outside_district}");
        let others = bundled().places.iter().filter(|p| p.kind != PlaceKind::Pincode);
        assert!(others.into_iter().all(|p| p.quality == PinQuality::Ok));
    }

    #[test]
    fn a_broken_file_names_its_line() {
        let header = "id,kind,name,alt_names,district,state,country,lat,lon,population,quality\n";
        let good = "gn:1,town,A,B|C,,S,IN,10.0,20.0,5,\n";
        let g = Gazetteer::parse(&format!("{header}{good}")).unwrap();
        assert_eq!(g.places[0].alt_names, ["B", "C"]);
        assert_eq!(g.places[0].point, LonLat { lon: 20.0, lat: 10.0 });
        for (bad, line) in [
            ("gn:2,village,A,,,S,IN,10.0,20.0,5,\n", 3),
            ("gn:2,town,A,,,S,IN,100.0,20.0,5,\n", 3),
            ("gn:1,town,A,,,S,IN,10.0,20.0,5,\n", 3),
            ("gn:2,pincode,A,,,S,IN,10.0,20.0,0,bad\n", 3),
            ("gn:2,town,,,,S,IN,10.0,20.0,5,\n", 3),
        ] {
            let err = Gazetteer::parse(&format!("{header}{good}{bad}")).unwrap_err();
            assert_eq!(err.line, line, "{bad}: {err}");
        }
    }
}
