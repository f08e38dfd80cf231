//! Hints: file-wide warnings about probable damage (swapped coordinates, duplicates).

use super::row::{Cells, fold_words};
use crate::model::fields::{parse_country, parse_phone};
use crate::model::{Column, LonLat, Phone};
use std::collections::HashMap;

/// What the file-wide checks need from one row, read from its cells even when the row has
/// problems (so a file with bad phones still gets its swapped-coordinate warnings).
pub(super) struct RowHint {
    line: u64,
    country: Option<String>,
    /// (lat, lon) as written, when both are finite numbers (not range-checked).
    point: Option<(f64, f64)>,
    /// The name lower-cased, with punctuation and repeated spaces removed.
    name: Option<String>,
    /// The phone's E.164 digits, else its digits; only numbers with at least 7 digits.
    phone: Option<String>,
}

impl RowHint {
    pub(super) fn new(line: u64, cells: &Cells<'_>) -> RowHint {
        let get = |column: Column| {
            cells.get(column).map(|(_, v)| v).filter(|v| v.len() <= column.text_rule().max_chars)
        };
        let country = get(Column::Country).and_then(|v| parse_country(v).ok());
        let number =
            |column: Column| get(column).and_then(|v| v.parse::<f64>().ok()).filter(|n| n.is_finite());
        let name = get(Column::Name).map(|n| fold_words(n, " ")).filter(|n| !n.is_empty());
        let phone = get(Column::Phone).and_then(|v| match parse_phone(v, country.as_deref().unwrap_or("")) {
            Ok(Phone { e164: Some(e), .. }) => Some(e.trim_start_matches('+').to_string()),
            Ok(p) => Some(p.display.chars().filter(char::is_ascii_digit).collect()),
            Err(_) => None,
        });
        RowHint {
            line,
            country,
            point: number(Column::Lat).zip(number(Column::Lon)),
            name,
            phone: phone.filter(|d: &String| d.len() >= 7),
        }
    }

    /// The point as a valid position, for distances.
    fn position(&self) -> Option<LonLat> {
        self.point.and_then(|(lat, lon)| LonLat::new(lon, lat).ok())
    }
}

/// Rough bounding boxes `[south, north, west, east]` in degrees, for the swapped-coordinates hint
/// only: a row whose point lies outside every box of its country while the swapped point lies
/// inside one is probably swapped. Each box is a little generous; outlying islands are left out
/// (a point there is simply not checked: it is outside, but so is its swap).
/// - IN: mainland, Lakshadweep and the Andaman and Nicobar Islands.
/// - ZA: the mainland (Alexander Bay 16.5°E to Kosi Bay 32.9°E, Limpopo 22.1°S to Cape Agulhas 34.8°S).
/// - US: the contiguous states (24.4–49.4°N, 124.8–66.9°W); Alaska, including the Aleutians west
///   of the antimeridian; the main Hawaiian islands (18.9–22.3°N, 160.3–154.8°W).
/// - GB: Great Britain and Northern Ireland, Scilly to Shetland (49.9–60.9°N, 8.6°W–1.8°E).
/// - AU: the mainland and Tasmania (10.7–43.7°S, 113.1–153.7°E) plus the Torres Strait islands.
/// - KE: 4.7°S–5.0°N (the Ilemi Triangle a little further), 33.9–41.9°E.
const COUNTRY_BOXES: &[(&str, &[[f64; 4]])] = &[
    ("IN", &[[6.0, 37.5, 68.0, 97.5]]),
    ("ZA", &[[-35.0, -22.0, 16.3, 33.0]]),
    (
        "US",
        &[
            [24.3, 49.5, -125.0, -66.8],
            [51.0, 71.5, -180.0, -129.9],
            [51.0, 53.1, 172.0, 180.0],
            [18.8, 22.4, -160.5, -154.7],
        ],
    ),
    ("GB", &[[49.8, 60.9, -8.7, 1.8]]),
    ("AU", &[[-44.0, -9.0, 112.5, 154.0]]),
    ("KE", &[[-4.8, 5.5, 33.8, 42.0]]),
];

/// `Some(inside)` for a country in [`COUNTRY_BOXES`], `None` for one Bellmap has no box for.
pub(super) fn in_country(country: &str, lat: f64, lon: f64) -> Option<bool> {
    let (_, boxes) = COUNTRY_BOXES.iter().find(|(c, _)| *c == country)?;
    Some(boxes.iter().any(|[s, n, w, e]| (*s..=*n).contains(&lat) && (*w..=*e).contains(&lon)))
}

/// One warning per row whose latitude and longitude look swapped, led by a summary when most
/// checked rows do (then the column headers are probably the wrong way round).
pub(super) fn swapped_coordinate_warnings(hints: &[RowHint], warnings: &mut Vec<String>) {
    let mut checked = 0;
    let mut swapped: Vec<String> = Vec::new();
    let mut lines: Vec<u64> = Vec::new();
    for h in hints {
        let (Some(country), Some((lat, lon))) = (&h.country, h.point) else { continue };
        let (Some(inside), Some(swap_inside)) =
            (in_country(country, lat, lon), in_country(country, lon, lat))
        else {
            continue;
        };
        checked += 1;
        if !inside && swap_inside {
            lines.push(h.line);
            swapped.push(format!(
                "line {}: latitude and longitude look swapped: lat {lat}, lon {lon} is outside {country}, but \
                 lat {lon}, lon {lat} is inside; swap the two cells",
                h.line
            ));
        }
    }
    if swapped.len() >= 3 && swapped.len() * 2 > checked {
        let shown: Vec<String> = lines.iter().take(5).map(u64::to_string).collect();
        let more = if lines.len() > 5 { ", …" } else { "" };
        warnings.push(format!(
            "{} of {checked} rows have latitude and longitude the wrong way round (lines {}{more}); the lat \
             and lon columns are probably swapped in the header",
            swapped.len(),
            shown.join(", ")
        ));
    }
    warnings.append(&mut swapped);
}

/// Distance within which two rows of the same name are probably the same provider.
const SAME_PLACE_M: f64 = 200.0;
/// Rows of one name compared with each new row at most (keeps a pathological file linear).
const MAX_NAME_GROUP: usize = 1000;

/// Warns about rows that look like another row of the file: the same phone number, or the same
/// name within 200 m. Each warning names both lines.
pub(super) fn duplicate_warnings(hints: &[RowHint], warnings: &mut Vec<String>) {
    let mut by_phone: HashMap<&str, u64> = HashMap::new();
    let mut by_name: HashMap<&str, Vec<(u64, LonLat)>> = HashMap::new();
    for h in hints {
        if let Some(phone) = &h.phone {
            match by_phone.get(phone.as_str()) {
                Some(first) => warnings.push(format!(
                    "line {} may be a duplicate of line {first}: the same phone number (digits {phone})",
                    h.line
                )),
                None => {
                    by_phone.insert(phone, h.line);
                }
            }
        }
        if let (Some(name), Some(here)) = (&h.name, h.position()) {
            let group = by_name.entry(name).or_default();
            let near = group.iter().take(MAX_NAME_GROUP).find(|(_, p)| p.distance_m(here) <= SAME_PLACE_M);
            if let Some((first, p)) = near {
                warnings.push(format!(
                    "line {} may be a duplicate of line {first}: the same name ('{name}') {:.0} m away",
                    h.line,
                    p.distance_m(here)
                ));
            }
            group.push((h.line, here));
        }
    }
}
