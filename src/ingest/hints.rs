//! Hints: checks of a row against its country and against earlier rows of the file: a point
//! outside its country (swapped, or not), probable duplicates, and the file-wide summary when
//! most rows are swapped.

use super::problem::{Code, RowProblem, problem};
use super::row::{Cells, fold_words};
use crate::model::fields::{parse_country, parse_phone};
use crate::model::{Column, LonLat, Phone};
use std::collections::HashMap;

/// What the checks need from one row, read from its cells even when the row has problems (so a
/// file with bad phones still gets its duplicate warnings and its swapped summary).
pub(super) struct RowHint<'r> {
    line: u64,
    country: Option<String>,
    /// The latitude cell: header as written, value.
    lat: Option<(&'r str, &'r str)>,
    /// (lat, lon) as written (swapped by [`Self::swap`]), when both are finite numbers (not
    /// range-checked).
    point: Option<(f64, f64)>,
    /// The name cell and the name lower-cased, with punctuation and repeated spaces removed.
    name: Option<((&'r str, &'r str), String)>,
    /// The phone cell and its E.164 digits, else its digits; only numbers with at least 7 digits.
    phone: Option<((&'r str, &'r str), String)>,
}

/// Where a row's point lies with respect to its country's boxes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Place {
    /// No point, no country, or a country without boxes.
    Unchecked,
    Inside,
    /// Outside, and outside with latitude and longitude swapped too.
    Outside,
    /// Outside, but inside with latitude and longitude swapped.
    Swapped,
}

impl<'r> RowHint<'r> {
    pub(super) fn new(line: u64, cells: &Cells<'r>) -> RowHint<'r> {
        let get = |column: Column| cells.get(column).filter(|(_, v)| v.len() <= column.text_rule().max_chars);
        let value = |column: Column| get(column).map(|(_, v)| v);
        let country = value(Column::Country).and_then(|v| parse_country(v).ok());
        let number =
            |column: Column| value(column).and_then(|v| v.parse::<f64>().ok()).filter(|n| n.is_finite());
        let name = get(Column::Name).map(|c| (c, fold_words(c.1, " "))).filter(|(_, n)| !n.is_empty());
        let phone = get(Column::Phone).and_then(|c| {
            let digits = match parse_phone(c.1, country.as_deref().unwrap_or("")) {
                Ok(Phone { e164: Some(e), .. }) => e.trim_start_matches('+').to_string(),
                Ok(p) => p.display.chars().filter(char::is_ascii_digit).collect(),
                Err(_) => return None,
            };
            (digits.len() >= 7).then_some((c, digits))
        });
        RowHint {
            line,
            country,
            lat: get(Column::Lat),
            point: number(Column::Lat).zip(number(Column::Lon)),
            name,
            phone,
        }
    }

    pub(super) fn place(&self) -> Place {
        match (&self.country, self.point) {
            (Some(country), Some((lat, lon))) => place(country, lat, lon),
            _ => Place::Unchecked,
        }
    }

    /// The row is read with latitude and longitude swapped (the fix): so are later checks.
    pub(super) fn swap(&mut self) {
        self.point = self.point.map(|(lat, lon)| (lon, lat));
    }

    /// The point as a valid position, for distances.
    fn position(&self) -> Option<LonLat> {
        self.point.and_then(|(lat, lon)| LonLat::new(lon, lat).ok())
    }

    /// The warning of a [`Place::Swapped`] row read swapped by the fix (call before [`Self::swap`]).
    pub(super) fn swapped_warning(&self) -> RowProblem {
        let (lat, lon, country) = self.described();
        problem(
            self.line,
            self.lat.map(|(h, _)| h),
            self.lat.map(|(_, v)| v),
            Code::SwappedCoordinates,
            format!(
                "latitude and longitude were swapped (fix=swap_coordinates): lat {lat}, lon {lon} is outside \
                 {country}, so the row was read as lat {lon}, lon {lat}, which is inside"
            ),
        )
    }

    /// The warning of a [`Place::Outside`] row: imported, but probably wrong.
    pub(super) fn outside_warning(&self) -> RowProblem {
        let (lat, lon, country) = self.described();
        problem(
            self.line,
            None,
            None,
            Code::OutsideCountry,
            format!(
                "lat {lat}, lon {lon} is outside {country}, and so is lat {lon}, lon {lat}; check the \
                 coordinates and the country"
            ),
        )
    }

    fn described(&self) -> (f64, f64, &str) {
        let (lat, lon) = self.point.unwrap_or_default();
        (lat, lon, self.country.as_deref().unwrap_or_default())
    }
}

/// Where (lat, lon) lies with respect to `country`'s boxes.
pub(super) fn place(country: &str, lat: f64, lon: f64) -> Place {
    match (in_country(country, lat, lon), in_country(country, lon, lat)) {
        (Some(true), _) => Place::Inside,
        (Some(false), Some(true)) => Place::Swapped,
        (Some(false), _) => Place::Outside,
        (None, _) => Place::Unchecked,
    }
}

/// Whether the importer refuses (lat, lon) in `country` as swapped: outside the country, but
/// inside with latitude and longitude swapped. (For generators of valid records.)
pub fn looks_swapped(country: &str, lat: f64, lon: f64) -> bool {
    place(country, lat, lon) == Place::Swapped
}

/// The problem of a point that [`looks_swapped`], on the latitude cell `(header, value)`.
pub(super) fn swapped_problem(
    line: u64,
    lat_cell: (&str, &str),
    lat: f64,
    lon: f64,
    country: &str,
) -> RowProblem {
    problem(
        line,
        Some(lat_cell.0),
        Some(lat_cell.1),
        Code::SwappedCoordinates,
        format!(
            "latitude and longitude look swapped: lat {lat}, lon {lon} is outside {country}, but lat {lon}, \
             lon {lat} is inside; swap the two values (a file can be imported with fix=swap_coordinates to \
             swap every such row)"
        ),
    )
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

/// Distance within which two rows of the same name are probably the same provider.
const SAME_PLACE_M: f64 = 200.0;
/// Rows of one name compared with each new row at most (keeps a pathological file linear).
const MAX_NAME_GROUP: usize = 1000;

/// The file-wide checks, fed one row at a time so no row is kept: probable duplicates (the same
/// phone number, or the same name within 200 m; each warning names both lines) and the count of
/// swapped rows for the summary.
#[derive(Default)]
pub(super) struct Hints {
    by_phone: HashMap<String, u64>,
    by_name: HashMap<String, Vec<(u64, LonLat)>>,
    checked: usize,
    swapped: Vec<u64>,
}

impl Hints {
    /// Takes one row (its place as read from the file), adding its duplicate warnings.
    pub(super) fn row(&mut self, h: &RowHint<'_>, place: Place, warnings: &mut Vec<RowProblem>) {
        if place != Place::Unchecked {
            self.checked += 1;
        }
        if place == Place::Swapped {
            self.swapped.push(h.line);
        }
        if let Some(((column, value), phone)) = &h.phone {
            match self.by_phone.get(phone) {
                Some(first) => warnings.push(problem(
                    h.line,
                    Some(column),
                    Some(value),
                    Code::ProbableDuplicate,
                    format!(
                        "line {} may be a duplicate of line {first}: the same phone number (digits {phone})",
                        h.line
                    ),
                )),
                None => {
                    self.by_phone.insert(phone.clone(), h.line);
                }
            }
        }
        if let (Some(((column, value), name)), Some(here)) = (&h.name, h.position()) {
            let group = self.by_name.entry(name.clone()).or_default();
            let near = group.iter().take(MAX_NAME_GROUP).find(|(_, p)| p.distance_m(here) <= SAME_PLACE_M);
            if let Some((first, p)) = near {
                warnings.push(problem(
                    h.line,
                    Some(column),
                    Some(value),
                    Code::ProbableDuplicate,
                    format!(
                        "line {} may be a duplicate of line {first}: the same name ('{name}') {:.0} m away",
                        h.line,
                        p.distance_m(here)
                    ),
                ));
            }
            group.push((h.line, here));
        }
    }

    /// The summary when most checked rows are swapped (then the column headers are probably the
    /// wrong way round), as a warning on the header line.
    pub(super) fn finish(self, header_line: u64, warnings: &mut Vec<RowProblem>) {
        let n = self.swapped.len();
        if n >= 3 && n * 2 > self.checked {
            let shown: Vec<String> = self.swapped.iter().take(5).map(u64::to_string).collect();
            let more = if n > 5 { ", …" } else { "" };
            warnings.push(problem(
                header_line,
                None,
                None,
                Code::SwappedColumns,
                format!(
                    "{n} of {} rows have latitude and longitude the wrong way round (lines {}{more}); the lat \
                     and lon columns are probably swapped in the header (fix=swap_coordinates swaps every \
                     such row)",
                    self.checked,
                    shown.join(", ")
                ),
            ));
        }
    }
}
