//! Placing a row that has no coordinates (`geocode=gazetteer`): at its PIN code's centroid, else
//! at its district's headquarters, from the bundled gazetteer (`places::gazetteer`). Nothing
//! leaves the machine.
//!
//! Rules, for a row whose lat and lon are both empty:
//! 1. `postal_code` is an Indian PIN (6 digits, spaces allowed, first digit not 0), the row's
//!    country is IN, the PIN is in the gazetteer with quality `ok` and, when the row names a
//!    state, the PIN lies in that state: the PIN's centroid (`via: pincode`). With no
//!    `postal_code`, one PIN written in `address` (directories often end it so: "..., Bettiah-845438")
//!    counts, under the same checks, when the address holds no other six-digit number.
//! 2. Else `district` and `state` (compared after [`fold`]: case, accents, punctuation; `&` is
//!    "and") name a district of the gazetteer: its headquarters town (`via: district`). So a PIN
//!    India Post puts outside its district or state falls back to the district the row names.
//!    A name the gazetteer spells otherwise is read as the one district of that state spelt the
//!    same after [`loose`] transliteration, with compass words in any language or order ("Champaran
//!    West" is "Pashchim Champaran", "Beed" is "Bid"), or named so by its headquarters or their
//!    other names ("Mohali" is Sahibzada Ajit Singh Nagar); the report says which district it was
//!    read as. A spelling two districts share places nothing, and nothing is guessed by edit
//!    distance: in Chhattisgarh "Korea" is one letter from Korba, another district.
//! 3. Else the row is a problem (`not_geocoded`) naming the columns and why each did not place it.
//!
//! Lookups go through two maps built once from the gazetteer, never a scan per row.

use crate::model::LonLat;
use crate::places::{Gazetteer, PinQuality, Place, PlaceKind, fold, loose};
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
    /// The street address, searched for a PIN when `postal_code` is empty.
    pub address: Option<&'a str>,
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
    /// (folded state, a [`spelling`] of the district's names) → its key in `districts`, or
    /// `None` where two districts share the spelling; for names the gazetteer spells otherwise.
    spellings: HashMap<(String, String), Option<(String, String)>>,
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
        // District names first; a headquarters' own names never displace a district's.
        let mut spellings = HashMap::new();
        for k in districts.keys() {
            let spelt = (k.0.clone(), spelling(&k.1));
            if spellings.insert(spelt.clone(), Some(k.clone())).is_some_and(|other| other.as_ref() != Some(k))
            {
                spellings.insert(spelt, None);
            }
        }
        let primary: std::collections::HashSet<(String, String)> = spellings.keys().cloned().collect();
        for (k, hq) in &districts {
            for name in other_names(hq) {
                let spelt = (k.0.clone(), spelling(&key(&name)));
                if primary.contains(&spelt) {
                    continue;
                }
                match spellings.entry(spelt) {
                    Entry::Vacant(e) => {
                        e.insert(Some(k.clone()));
                    }
                    Entry::Occupied(mut e) => {
                        if e.get().as_ref() != Some(k) {
                            e.insert(None);
                        }
                    }
                }
            }
        }
        Geocoder { pins, districts, spellings }
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
        let from_address = a.postal_code.is_none().then(|| a.address.and_then(pin_in_address)).flatten();
        match a.postal_code.or(from_address) {
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
                            described: describe(
                                &if from_address.is_some() {
                                    format!("PIN {} (from the address)", pin.name)
                                } else {
                                    format!("PIN {}", pin.name)
                                },
                                pin,
                            ),
                        });
                    }
                },
                Err(e) => why.push(e),
            },
            None if india => why.push("there is no postal_code, and no PIN in the address".into()),
            _ => {}
        }
        if india {
            match (a.district, a.state) {
                (Some(district), Some(state)) => match self.district(state, district) {
                    Ok((hq, exact)) => {
                        let what = if exact {
                            format!("the headquarters of {} district", hq.district)
                        } else {
                            format!(
                                "the headquarters of {} district (read '{district}' as {})",
                                hq.district, hq.district
                            )
                        };
                        return Ok(Located {
                            point: hq.point,
                            via: Via::District,
                            place_id: hq.id.clone(),
                            described: describe(&what, hq),
                        });
                    }
                    Err(e) => why.push(e),
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

    /// The headquarters of `district` in `state`, and whether the name matched as written
    /// (else it was read as the one district spelt alike).
    fn district(&self, state: &str, district: &str) -> Result<(&'g Place, bool), String> {
        let state_key = key(state);
        if let Some(hq) = self.districts.get(&(state_key.clone(), key(district))) {
            return Ok((hq, true));
        }
        // The name as written, else each part of it around a bracket ("S.A.S Nagar (Mohali)").
        let mut written = vec![district];
        if let Some((before, after)) = district.split_once('(') {
            written.extend([before, after.trim_end_matches(')')]);
        }
        for name in written {
            match self.spellings.get(&(state_key.clone(), spelling(&key(name)))) {
                Some(Some(k)) => return Ok((self.districts[k], false)),
                Some(None) => {
                    return Err(format!(
                        "district '{district}' in state '{state}' is not known, and two districts are spelt like it"
                    ));
                }
                None => {}
            }
        }
        Err(format!("no district '{district}' in state '{state}' is known"))
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

/// A district key for tolerant comparison: compass words in one language and order-free (the
/// gazetteer says "Pashchim Champaran", directories "West Champaran" or "Champaran West"),
/// then [`loose`].
fn spelling(key: &str) -> String {
    let mut words: Vec<&str> = key
        .split(' ')
        .filter(|w| !w.is_empty() && *w != "district")
        .map(|w| match w {
            "east" | "purba" | "purbi" | "purva" | "poorvi" => "east",
            "west" | "pashchim" | "paschim" | "pashchimi" => "west",
            "north" | "uttar" | "uttari" => "north",
            "south" | "dakshin" | "dakshina" | "dakshini" => "south",
            w => w,
        })
        .collect();
    words.sort_unstable();
    loose(&words.join(" "))
}

/// A headquarters' names besides its district's: the town, its other names, and each part of a
/// name with a bracket ("Kaimur (Bhabua)" is also "Kaimur" and "Bhabua").
fn other_names(hq: &Place) -> Vec<String> {
    let mut names = Vec::new();
    for name in std::iter::once(&hq.name).chain(&hq.alt_names).chain(std::iter::once(&hq.district)) {
        names.push(name.clone());
        if let Some((before, after)) = name.split_once('(') {
            names.push(before.to_string());
            names.push(after.trim_end_matches(')').to_string());
        }
    }
    names
}

/// The one PIN code written in an address: six digits standing alone (not part of a longer
/// number, nor joined by a hyphen to other digits as in a phone "08732-223272"), first digit
/// not 0. None when there are several different ones.
fn pin_in_address(address: &str) -> Option<&str> {
    let bytes = address.as_bytes();
    let mut found: Option<&str> = None;
    let mut start = 0;
    while start < bytes.len() {
        if !bytes[start].is_ascii_digit() {
            start += 1;
            continue;
        }
        let end = start + bytes[start..].iter().take_while(|b| b.is_ascii_digit()).count();
        let number = &address[start..end];
        let joined =
            |i: usize, j: usize| bytes.get(i) == Some(&b'-') && bytes.get(j).is_some_and(u8::is_ascii_digit);
        let in_phone = (start >= 2 && joined(start - 1, start - 2)) || joined(end, end + 1);
        if end - start == 6 && !number.starts_with('0') && !in_phone {
            match found {
                Some(f) if f != number => return None,
                _ => found = Some(number),
            }
        }
        start = end;
    }
    found
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
        Address { postal_code, address: None, district, state, country: Some("IN") }
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
    fn a_pin_at_the_end_of_the_address_counts_when_postal_code_is_empty() {
        let g = Geocoder::bundled();
        let a = Address {
            address: Some("Near Vipin High School, Bettiah-845438"),
            ..at(None, Some("Champaran West"), Some("Bihar"))
        };
        let l = g.locate(&a).unwrap();
        assert_eq!((l.via, l.place_id.as_str()), (Via::Pincode, "pin:845438"));
        assert!(l.described.contains("from the address"), "{}", l.described);
        // A postal_code cell wins over the address.
        let l = g.locate(&Address { postal_code: Some("226001"), state: None, ..a }).unwrap();
        assert_eq!(l.place_id, "pin:226001");
        // Two different PINs, or six digits inside a phone number, are not read as a PIN.
        for address in ["Lucknow 226001, branch at 845438", "Collector Chowk, phone 08732-223272"] {
            assert_eq!(pin_in_address(address), None, "{address}");
        }
        assert_eq!(pin_in_address("Basti General Bus stand Anantnag,-192101"), Some("192101"));
        assert_eq!(pin_in_address("Plot 12, 1234567 and 012345"), None);
    }

    #[test]
    fn a_district_spelt_otherwise_is_read_as_the_one_spelt_alike() {
        let g = Geocoder::bundled();
        for (written, state, district) in [
            ("Champaran West", "Bihar", "Pashchim Champaran"),
            ("West Champaran", "Bihar", "Pashchim Champaran"),
            ("Beed", "Maharashtra", "Bid"),
            ("East Singhbhum", "Jharkhand", "Purbi Singhbhum"),
            ("Mohali", "Punjab", "Sahibzada Ajit Singh Nagar"),
            ("Kaimur", "Bihar", "Kaimur (Bhabua)"),
            ("S.A.S Nagar (Mohali)", "Punjab", "Sahibzada Ajit Singh Nagar"),
        ] {
            let l = g.locate(&at(None, Some(written), Some(state))).unwrap();
            assert_eq!(place(&l.place_id).district, district, "{written}");
            assert!(l.described.contains(&format!("read '{written}' as {district}")), "{}", l.described);
        }
        // Exact names are not reported as read otherwise.
        let l = g.locate(&at(None, Some("Lucknow"), Some("Uttar Pradesh"))).unwrap();
        assert!(!l.described.contains("read"), "{}", l.described);
        // Too far from every district of the state, or a short name: nothing is guessed.
        for (written, state) in [("Lakhmipur Kheri", "Uttar Pradesh"), ("Goa", "Bihar"), ("Patna", "Gujarat")]
        {
            assert!(g.locate(&at(None, Some(written), Some(state))).is_err(), "{written}");
        }
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
