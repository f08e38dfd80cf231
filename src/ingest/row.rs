//! Row parsing: one record's cells → a validated `ProviderData`, or every problem in it.

use super::geocode::{Address, Geocoder, Located};
use super::hints::{looks_swapped, swapped_problem};
use super::problem::{Code, RowProblem, problem};
use crate::model::fields::{
    check_text, looks_like_scientific_notation, parse_bool, parse_country, parse_date, parse_email,
    parse_hours, parse_languages, parse_phone, parse_website, split_list,
};
use crate::model::{
    Category, Column, CoordError, LocationPrecision, LonLat, ProviderData, Status, Wheelchair, check_lat,
    check_lon,
};
use std::collections::{BTreeMap, HashMap};

/// The first characters that make a spreadsheet treat a cell as a formula (or that would hide
/// the guard itself); see the module documentation for the rule.
pub(crate) const FORMULA_TRIGGERS: [char; 7] = ['=', '+', '-', '@', '\t', '\r', '\''];

/// Removes the export's formula guard: `'` followed by one of [`FORMULA_TRIGGERS`] loses the `'`.
pub(crate) fn unguard(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_TRIGGERS) => rest,
        _ => cell,
    }
}

/// Validates one record given as values by column by exactly the rules of a CSV row; an empty value means "not given". Values are
/// trimmed, but no formula guard is removed: these are values, not spreadsheet cells (so
/// `parse_fields(&to_fields(p)) == Ok(p)` for every record read from a file). Problems name the
/// column and carry line 0.
pub fn parse_fields(fields: &BTreeMap<Column, String>) -> Result<ProviderData, Vec<RowProblem>> {
    let headers: Vec<String> = fields.keys().map(|k| k.name().to_string()).collect();
    let cells: Vec<String> = fields.values().cloned().collect();
    let index: HashMap<Column, usize> = fields.keys().enumerate().map(|(i, k)| (*k, i)).collect();
    parse_row(0, &Cells { headers: &headers, cells: &cells, index: &index, unguard: false }, None)
        .map(|(data, _)| data)
}

/// One record's cells, looked up by column.
pub(super) struct Cells<'r> {
    pub(super) headers: &'r [String],
    pub(super) cells: &'r [String],
    pub(super) index: &'r HashMap<Column, usize>,
    /// Remove the export's formula guard (true for a file's cells).
    pub(super) unguard: bool,
}

impl<'r> Cells<'r> {
    /// The column's header as written and the value (trimmed, formula guard removed for a
    /// file), if the cell is not empty.
    pub(super) fn get(&self, column: Column) -> Option<(&'r str, &'r str)> {
        let i = *self.index.get(&column)?;
        let v = self.cells.get(i)?.trim();
        let v = if self.unguard { unguard(v) } else { v };
        (!v.is_empty()).then(|| (self.headers.get(i).map_or("", String::as_str), v))
    }
}

/// Validates one row, collecting every cell problem. With a `geocoder`, a row whose lat and lon
/// are both empty is placed by it (see `geocode`), `approximate`, and the answer says where.
pub(super) fn parse_row(
    line: u64,
    cells: &Cells<'_>,
    geocoder: Option<&Geocoder<'_>>,
) -> Result<(ProviderData, Option<Located>), Vec<RowProblem>> {
    let mut ps: Vec<RowProblem> = Vec::new();
    // Every cell's text rule first (length, control characters; the same rules as an admin
    // edit): one problem each, and a failing value goes no further.
    let mut refused: Vec<Column> = Vec::new();
    for column in Column::ALL {
        if let Some((col, v)) = cells.get(column)
            && let Err(m) = check_text(column, v)
        {
            // check_text checks the length first, then the characters.
            let too_long = v.chars().nth(column.text_rule().max_chars).is_some();
            let code = if too_long { Code::TooLong } else { Code::InvalidCharacter };
            ps.push(problem(line, Some(col), Some(v), code, m));
            refused.push(column);
        }
    }
    let cell = |column: Column| cells.get(column).filter(|_| !refused.contains(&column));
    let blank = |column: Column| cells.get(column).is_none();
    let text = |column: Column| cell(column).map(|(_, v)| v.to_string());

    let name = text(Column::Name);
    if blank(Column::Name) {
        ps.push(problem(line, Some("name"), None, Code::Required, "name is required"));
    }
    let organization = text(Column::Organization);
    let description = text(Column::Description);
    let address = text(Column::Address);
    let locality = text(Column::Locality);
    let district = text(Column::District);
    let state = text(Column::State);
    let postal_code = text(Column::PostalCode);
    let eligibility = text(Column::Eligibility);
    let cost = text(Column::Cost);
    let external_given = text(Column::ExternalId);

    // Any remaining cell parsed with a field parser; errors become problems with `code`.
    fn field<'a, T>(
        line: u64,
        ps: &mut Vec<RowProblem>,
        c: Option<(&'a str, &'a str)>,
        code: Code,
        f: impl FnOnce(&str) -> Result<T, String>,
    ) -> Option<T> {
        coded(line, ps, c, |v| f(v).map_err(|m| (code, m)))
    }
    // The same, for a parser with more than one check: it says which failed.
    fn coded<'a, T>(
        line: u64,
        ps: &mut Vec<RowProblem>,
        c: Option<(&'a str, &'a str)>,
        f: impl FnOnce(&str) -> Result<T, (Code, String)>,
    ) -> Option<T> {
        let (col, v) = c?;
        match f(v) {
            Ok(t) => Some(t),
            Err((code, m)) => {
                ps.push(problem(line, Some(col), Some(v), code, m));
                None
            }
        }
    }

    let country = field(line, &mut ps, cell(Column::Country), Code::InvalidCountry, parse_country);
    if blank(Column::Country) {
        ps.push(problem(
            line,
            Some("country"),
            None,
            Code::Required,
            "country is required (ISO two-letter code such as IN)",
        ));
    }
    let cc = country.clone().unwrap_or_default();
    let categories = field(line, &mut ps, cell(Column::Categories), Code::InvalidCategory, |v| {
        let mut cats = split_list(v)
            .map(|s| s.parse::<Category>().map_err(|e| e.to_string()))
            .collect::<Result<Vec<_>, _>>()?;
        cats.sort();
        cats.dedup();
        if cats.is_empty() {
            Err(format!("at least one category is required; allowed: {}", Category::allowed_list()))
        } else {
            Ok(cats)
        }
    });
    if blank(Column::Categories) {
        ps.push(problem(
            line,
            Some("categories"),
            None,
            Code::Required,
            format!("at least one category is required; allowed: {}", Category::allowed_list()),
        ));
    }
    // A coordinate: a number, then in range.
    let coordinate = |check: fn(f64) -> Result<f64, CoordError>| {
        move |v: &str| {
            let n = v.parse::<f64>().map_err(|_| (Code::NotANumber, format!("'{v}' is not a number")))?;
            check(n).map_err(|e| {
                let code = if e == CoordError::NotFinite { Code::NotANumber } else { Code::OutOfRange };
                (code, e.to_string())
            })
        }
    };
    let mut lat = coded(line, &mut ps, cell(Column::Lat), coordinate(check_lat));
    let mut lon = coded(line, &mut ps, cell(Column::Lon), coordinate(check_lon));
    let mut located = None;
    match geocoder {
        Some(g) if blank(Column::Lat) && blank(Column::Lon) => {
            let address = Address {
                postal_code: cell(Column::PostalCode).map(|(_, v)| v),
                address: cell(Column::Address).map(|(_, v)| v),
                district: cell(Column::District).map(|(_, v)| v),
                state: cell(Column::State).map(|(_, v)| v),
                country: country.as_deref(),
            };
            match g.locate(&address) {
                Ok(l) => {
                    (lat, lon) = (Some(l.point.lat), Some(l.point.lon));
                    located = Some(l);
                }
                Err(m) => ps.push(problem(line, None, None, Code::NotGeocoded, m)),
            }
        }
        _ => {
            if blank(Column::Lat) {
                ps.push(problem(line, Some("lat"), None, Code::Required, "latitude is required"));
            }
            if blank(Column::Lon) {
                ps.push(problem(line, Some("lon"), None, Code::Required, "longitude is required"));
            }
        }
    }
    let location_precision = field(
        line,
        &mut ps,
        cell(Column::LocationPrecision),
        Code::InvalidLocationPrecision,
        LocationPrecision::parse,
    )
    .unwrap_or_default();
    // A centroid is never the door, whatever the cell says.
    let location_precision =
        if located.is_some() { LocationPrecision::Approximate } else { location_precision };
    // Outside its country but inside swapped: the cells are the wrong way round. Checked on the
    // numbers as written, so a latitude out of range that is a longitude is explained too.
    let written = |column: Column| cell(column).and_then(|(_, v)| v.parse::<f64>().ok());
    if let (Some(cc), Some(lat_cell), Some(lat), Some(lon)) =
        (&country, cell(Column::Lat), written(Column::Lat), written(Column::Lon))
        && looks_swapped(cc, lat, lon)
    {
        ps.push(swapped_problem(line, lat_cell, lat, lon, cc));
    }
    if let (Some(0.0), Some(0.0)) = (lat, lon) {
        ps.push(problem(line, Some("lat"), Some("0"), Code::NullIsland, CoordError::NullIsland.to_string()));
    }
    let public_lat = coded(line, &mut ps, cell(Column::PublicLat), coordinate(check_lat));
    let public_lon = coded(line, &mut ps, cell(Column::PublicLon), coordinate(check_lon));
    if blank(Column::PublicLat) != blank(Column::PublicLon) {
        ps.push(problem(
            line,
            Some("public_lat"),
            None,
            Code::IncompletePublicPoint,
            "public_lat and public_lon must be given together",
        ));
    }
    // An admin's public point must displace the provider as much as a drawn one would (DESIGN §6).
    if let (Some(lat), Some(lon), Some(plat), Some(plon), Some(cc)) =
        (lat, lon, public_lat, public_lon, &country)
    {
        let shown = format!("{plat},{plon}");
        if let Err(why) =
            crate::public_point::check_admin(LonLat { lon, lat }, LonLat { lon: plon, lat: plat }, cc)
        {
            for column in ["public_lat", "public_lon"] {
                ps.push(problem(line, Some(column), Some(&shown), Code::InvalidPublicPoint, why.clone()));
            }
        }
    }
    let confidential =
        field(line, &mut ps, cell(Column::Confidential), Code::InvalidBoolean, parse_bool).unwrap_or(false);
    let phone_number = |v: &str| {
        parse_phone(v, &cc).map_err(|m| {
            let code =
                if looks_like_scientific_notation(v) { Code::SpreadsheetNumber } else { Code::InvalidPhone };
            (code, m)
        })
    };
    let phone = coded(line, &mut ps, cell(Column::Phone), phone_number);
    let hotline = coded(line, &mut ps, cell(Column::Hotline), phone_number);
    let sms = coded(line, &mut ps, cell(Column::Sms), phone_number);
    let intake_phone = coded(line, &mut ps, cell(Column::IntakePhone), phone_number);
    let email = field(line, &mut ps, cell(Column::Email), Code::InvalidEmail, parse_email);
    let website = field(line, &mut ps, cell(Column::Website), Code::InvalidWebsite, parse_website);
    let languages = field(line, &mut ps, cell(Column::Languages), Code::InvalidLanguage, parse_languages)
        .unwrap_or_default();
    let hours = field(line, &mut ps, cell(Column::Hours), Code::InvalidHours, parse_hours);
    let open_24_7 = field(line, &mut ps, cell(Column::Open247), Code::InvalidBoolean, parse_bool)
        .unwrap_or_else(|| hours.as_deref() == Some("24/7"));
    let wheelchair =
        field(line, &mut ps, cell(Column::Wheelchair), Code::InvalidWheelchair, Wheelchair::parse)
            .unwrap_or(Wheelchair::Unknown);
    let verified_on = field(line, &mut ps, cell(Column::VerifiedOn), Code::InvalidDate, parse_date);
    let status = field(line, &mut ps, cell(Column::Status), Code::InvalidStatus, Status::parse)
        .unwrap_or(Status::Active);

    if !ps.is_empty() {
        return Err(ps);
    }
    let (Some(name), Some(country), Some(categories), Some(lat), Some(lon)) =
        (name, country, categories, lat, lon)
    else {
        unreachable!("missing required values always add a problem");
    };
    let external_id = external_given.unwrap_or_else(|| {
        derive_external_id(&name, &country, state.as_deref(), district.as_deref(), locality.as_deref())
    });
    Ok((
        ProviderData {
            external_id,
            name,
            organization,
            description,
            categories,
            location: LonLat { lon, lat }.into(),
            location_precision,
            public_location: public_lat.zip(public_lon).map(|(lat, lon)| LonLat { lon, lat }),
            confidential,
            address: address.into(),
            locality,
            district,
            state,
            postal_code: postal_code.into(),
            country,
            phone,
            hotline,
            sms,
            intake_phone: intake_phone.into(),
            email,
            website,
            languages,
            hours,
            open_24_7,
            eligibility,
            cost,
            wheelchair,
            verified_on,
            status,
        },
        located,
    ))
}

/// `text` lower-cased, with every run of non-alphanumeric characters made one `sep`, for
/// comparing names as a person reads them.
pub(super) fn fold_words(text: &str, sep: &str) -> String {
    text.to_lowercase()
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { ' ' })
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(sep)
}

/// A stable key for files without external ids: normalised name and place, so re-importing the
/// same file updates rather than duplicates.
pub(super) fn derive_external_id(
    name: &str,
    country: &str,
    state: Option<&str>,
    district: Option<&str>,
    locality: Option<&str>,
) -> String {
    let key = [name, country, state.unwrap_or(""), district.unwrap_or(""), locality.unwrap_or("")]
        .map(|s| fold_words(s, "-"))
        .join("|");
    use sha2::{Digest, Sha256};
    let hash = Sha256::digest(key.as_bytes());
    let hex: String = hash.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("derived-{hex}")
}
