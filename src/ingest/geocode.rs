//! Placing a row that has no coordinates (`geocode=gazetteer`): at its PIN code's centroid, else
//! at its district's headquarters, from the bundled gazetteer (`places::gazetteer`). Nothing
//! leaves the machine.
//!
//! Rules, for a row whose lat and lon are both empty:
//! 1. `postal_code` is an Indian PIN (6 digits, spaces allowed, first digit not 0), the row's
//!    country is IN, the PIN is in the gazetteer with quality `ok` and, when the row names a
//!    state, the PIN lies in that state: the PIN's centroid (`via: pincode`).
//! 2. Else `district` and `state` (compared after [`fold`]: case, accents, punctuation; `&` is
//!    "and") name a
//!    district of the gazetteer: its headquarters town (`via: district`). So a PIN India Post
//!    puts outside its district or state falls back to the district the row names.
//! 3. Else the row is a problem (`not_geocoded`) naming the columns and why each did not place it.
//!
//! Lookups go through two maps built once from the gazetteer, never a scan per row.

use crate::model::LonLat;
use crate::places::{Gazetteer, PinQuality, Place, PlaceKind, fold};
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::OnceLock;

/// How a geocoded row was placed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Via {
    /// At its PIN code's centroid.
    Pincode,
    /// At its district's headquarters town.
    District,
}

impl Via {
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Pincode => "pincode",
            Via::District => "district",
        }
    }
}

/// Where a row was placed, and by which gazetteer entry.
#[derive(Debug, Clone, PartialEq)]
pub struct Located {
    pub point: LonLat,
    pub via: Via,
    /// The gazetteer id, e.g. `pin:226001` or `dhq:157`.
    pub place_id: String,
    /// The place in words, for the report: "PIN 226001 (Lucknow, Uttar Pradesh)".
    pub described: String,
}

/// The cells a row is placed by (trimmed, empty = `None`).
#[derive(Debug, Clone, Copy, Default)]
pub struct Address<'a> {
    pub postal_code: Option<&'a str>,
    pub district: Option<&'a str>,
    pub state: Option<&'a str>,
    /// ISO 3166-1 alpha-2, upper case, when valid.
    pub country: Option<&'a str>,
}

/// The gazetteer's PIN codes and district headquarters, by key.
pub struct Geocoder<'g> {
    /// `226001` → its PIN place (every quality, so a flagged PIN can be explained).
    pins: HashMap<&'g str, &'g Place>,
    /// (folded state, folded district) → the district's headquarters.
    districts: HashMap<(String, String), &'g Place>,
}

impl<'g> Geocoder<'g> {
    /// Builds the maps from every Indian PIN code and district headquarters of `gazetteer`. Where
    /// two headquarters share a state and district name (a district split, the old HQ kept), the
    /// one named like the district wins, else the first by id.
    pub fn new(gazetteer: &'g Gazetteer) -> Geocoder<'g> {
        let mut pins = HashMap::new();
        let mut districts: HashMap<(String, String), &Place> = HashMap::new();
        for p in gazetteer.places.iter().filter(|p| p.country == "IN") {
            match p.kind {
                PlaceKind::Pincode => {
                    pins.insert(p.name.as_str(), p);
                }
                PlaceKind::District => match districts.entry((key(&p.state), key(&p.district))) {
                    Entry::Vacant(e) => {
                        e.insert(p);
                    }
                    Entry::Occupied(mut e) => {
                        if key(&p.name) == e.key().1 && key(&e.get().name) != e.key().1 {
                            e.insert(p);
                        }
                    }
                },
                _ => {}
            }
        }
        Geocoder { pins, districts }
    }

    /// The geocoder over the bundled gazetteer, built on first use.
    pub fn bundled() -> &'static Geocoder<'static> {
        static BUNDLED: OnceLock<Geocoder<'static>> = OnceLock::new();
        BUNDLED.get_or_init(|| Geocoder::new(crate::places::gazetteer::bundled()))
    }

    /// Where the row goes, or (`Err`) a sentence saying why each way failed.
    pub fn locate(&self, a: &Address<'_>) -> Result<Located, String> {
        let mut why: Vec<String> = Vec::new();
        let india = a.country == Some("IN");
        if !india {
            why.push(format!(
                "the gazetteer places only Indian PIN codes and districts, and the country is {}",
                a.country.unwrap_or("not valid")
            ));
        }
        match a.postal_code {
            Some(code) if india => match self.pin(code) {
                Ok(pin) => match a.state {
                    Some(state) if key(state) != key(&pin.state) => why.push(format!(
                        "PIN {} is in {}, not in {state}",
                        pin.name,
                        if pin.state.is_empty() { "no known state" } else { &pin.state }
                    )),
                    _ => {
                        return Ok(Located {
                            point: pin.point,
                            via: Via::Pincode,
                            place_id: pin.id.clone(),
                            described: describe(&format!("PIN {}", pin.name), pin),
                        });
                    }
                },
                Err(e) => why.push(e),
            },
            None if india => why.push("there is no postal_code".into()),
            _ => {}
        }
        if india {
            match (a.district, a.state) {
                (Some(district), Some(state)) => match self.districts.get(&(key(state), key(district))) {
                    Some(hq) => {
                        return Ok(Located {
                            point: hq.point,
                            via: Via::District,
                            place_id: hq.id.clone(),
                            described: describe(&format!("the headquarters of {} district", hq.district), hq),
                        });
                    }
                    None => why.push(format!("no district '{district}' in state '{state}' is known")),
                },
                _ => why.push("district and state are not both given".into()),
            }
        }
        Err(format!(
            "lat and lon are empty, and postal_code, district and state did not place the row: {}; give \
             lat and lon, or a PIN code or district and state the gazetteer knows",
            why.join("; ")
        ))
    }

    /// The PIN place of a cell, if its centroid can be trusted.
    fn pin(&self, code: &str) -> Result<&'g Place, String> {
        let digits: String = code.chars().filter(|c| *c != ' ').collect();
        if digits.len() != 6 || !digits.bytes().all(|b| b.is_ascii_digit()) || digits.starts_with('0') {
            return Err(format!("postal_code '{code}' is not an Indian PIN code (six digits)"));
        }
        let pin =
            self.pins.get(digits.as_str()).ok_or_else(|| format!("PIN {digits} is not in the gazetteer"))?;
        match pin.quality {
            PinQuality::Ok => Ok(pin),
            PinQuality::OutsideDistrict => Err(format!(
                "India Post's centroid of PIN {digits} lies outside its district ({})",
                pin.district
            )),
            PinQuality::OutsideState => {
                Err(format!("India Post's centroid of PIN {digits} lies outside its state ({})", pin.state))
            }
        }
    }
}

/// A district or state name as a lookup key: [`fold`]ed, with `&` read as "and" ("Jammu & Kashmir"
/// is "Jammu and Kashmir").
fn key(name: &str) -> String {
    fold(&name.replace('&', " and "))
}

fn describe(what: &str, p: &Place) -> String {
    let mut parts = vec![p.name.as_str()];
    if !p.district.is_empty() && p.district != p.name {
        parts.push(&p.district);
    }
    if !p.state.is_empty() {
        parts.push(&p.state);
    }
    match p.kind {
        PlaceKind::Pincode => format!("{what} ({})", parts[1..].join(", ")),
        _ => format!("{what} ({})", parts.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at<'a>(
        postal_code: Option<&'a str>,
        district: Option<&'a str>,
        state: Option<&'a str>,
    ) -> Address<'a> {
        Address { postal_code, district, state, country: Some("IN") }
    }

    fn place(id: &str) -> &'static Place {
        crate::places::gazetteer::bundled().get(id).unwrap()
    }

    #[test]
    fn a_trusted_pin_is_its_centroid() {
        let g = Geocoder::bundled();
        let l = g.locate(&at(Some("226 001"), None, None)).unwrap();
        assert_eq!(
            (l.via, l.place_id.as_str(), l.point),
            (Via::Pincode, "pin:226001", place("pin:226001").point)
        );
        assert_eq!(l.described, "PIN 226001 (Lucknow, Uttar Pradesh)");
        // The same with a matching state, in another case and with accents.
        let l = g.locate(&at(Some("226001"), None, Some("uttar pradésh"))).unwrap();
        assert_eq!(l.place_id, "pin:226001");
    }

    #[test]
    fn a_district_and_state_are_its_headquarters() {
        let g = Geocoder::bundled();
        let l = g.locate(&at(None, Some("LUCKNOW"), Some("Uttar Pradesh"))).unwrap();
        assert_eq!((l.via, l.place_id.as_str()), (Via::District, "dhq:157"));
        assert_eq!(l.point, place("dhq:157").point);
        // Of two HQs recorded for Medak, the one named Medak.
        let l = g.locate(&at(None, Some("Medak"), Some("Telangana"))).unwrap();
        assert_eq!(l.place_id, "dhq:535");
        // "&" is "and", on both sides.
        let l = g.locate(&at(None, Some("Kupwara"), Some("Jammu & Kashmir"))).unwrap();
        assert_eq!(l.place_id, "dhq:001");
    }

    #[test]
    fn flagged_pins_and_pins_in_another_state_fall_back_to_the_district() {
        let g = Geocoder::bundled();
        let flagged = place("pin:122105");
        assert_eq!(flagged.quality, PinQuality::OutsideDistrict);
        let l = g.locate(&at(Some("122105"), Some("Nuh"), Some("Haryana"))).unwrap();
        assert_eq!(l.via, Via::District);
        assert_eq!(place(&l.place_id).district, "Nuh");
        let l = g.locate(&at(Some("226001"), Some("Patna"), Some("Bihar"))).unwrap();
        assert_eq!((l.via, place(&l.place_id).district.as_str()), (Via::District, "Patna"));
        // "&" is "and" in the state check too.
        let l = g.locate(&at(Some("190001"), None, Some("Jammu & Kashmir"))).unwrap();
        assert_eq!((l.via, l.place_id.as_str()), (Via::Pincode, "pin:190001"));
        let e = g.locate(&at(Some("122105"), None, None)).unwrap_err();
        assert!(e.contains("outside its district") && e.contains("not both given"), "{e}");
    }

    #[test]
    fn what_cannot_be_placed_says_why() {
        let g = Geocoder::bundled();
        for (a, words) in [
            (at(Some("12345"), None, None), "not an Indian PIN code"),
            (at(Some("999999"), None, None), "not in the gazetteer"),
            (at(None, Some("Atlantis"), Some("Uttar Pradesh")), "no district 'Atlantis'"),
            (at(None, Some("Lucknow"), None), "not both given"),
            (
                Address { country: Some("NP"), ..at(Some("226001"), Some("Lucknow"), Some("Uttar Pradesh")) },
                "NP",
            ),
        ] {
            let e = g.locate(&a).unwrap_err();
            assert!(e.contains(words), "{a:?}: {e}");
        }
    }
}
