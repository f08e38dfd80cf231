//! The provider schema as columns (DESIGN §3–4): the one list that the CSV reader, the CSV
//! writer, the sample generator and admin JSON edits all use, with each column's name, the
//! other names a spreadsheet may give it, its text limits and whether it holds text.

use std::fmt;

/// The text rule of one column: how long its value may be and whether it may span lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TextRule {
    /// Most characters (Unicode scalar values) after trimming.
    pub max_chars: usize,
    /// Tabs and line breaks are allowed (prose such as a description or a postal address).
    pub multi_line: bool,
}

/// One column of the CSV format, in the order Bellmap writes them (so `Ord` is file order).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Column {
    ExternalId,
    Name,
    Organization,
    Description,
    Categories,
    Lat,
    Lon,
    LocationPrecision,
    PublicLat,
    PublicLon,
    Confidential,
    Address,
    Locality,
    District,
    State,
    PostalCode,
    Country,
    Phone,
    Hotline,
    Sms,
    IntakePhone,
    Email,
    Website,
    Languages,
    Hours,
    Open247,
    Eligibility,
    Cost,
    Wheelchair,
    VerifiedOn,
    Status,
}

impl Column {
    /// Every column, in the order Bellmap writes them.
    pub const ALL: [Column; 31] = [
        Column::ExternalId,
        Column::Name,
        Column::Organization,
        Column::Description,
        Column::Categories,
        Column::Lat,
        Column::Lon,
        Column::LocationPrecision,
        Column::PublicLat,
        Column::PublicLon,
        Column::Confidential,
        Column::Address,
        Column::Locality,
        Column::District,
        Column::State,
        Column::PostalCode,
        Column::Country,
        Column::Phone,
        Column::Hotline,
        Column::Sms,
        Column::IntakePhone,
        Column::Email,
        Column::Website,
        Column::Languages,
        Column::Hours,
        Column::Open247,
        Column::Eligibility,
        Column::Cost,
        Column::Wheelchair,
        Column::VerifiedOn,
        Column::Status,
    ];

    /// The name Bellmap writes in a header and uses as a JSON key.
    pub fn name(self) -> &'static str {
        match self {
            Column::ExternalId => "external_id",
            Column::Name => "name",
            Column::Organization => "organization",
            Column::Description => "description",
            Column::Categories => "categories",
            Column::Lat => "lat",
            Column::Lon => "lon",
            Column::LocationPrecision => "location_precision",
            Column::PublicLat => "public_lat",
            Column::PublicLon => "public_lon",
            Column::Confidential => "confidential",
            Column::Address => "address",
            Column::Locality => "locality",
            Column::District => "district",
            Column::State => "state",
            Column::PostalCode => "postal_code",
            Column::Country => "country",
            Column::Phone => "phone",
            Column::Hotline => "hotline",
            Column::Sms => "sms",
            Column::IntakePhone => "intake_phone",
            Column::Email => "email",
            Column::Website => "website",
            Column::Languages => "languages",
            Column::Hours => "hours",
            Column::Open247 => "open_24_7",
            Column::Eligibility => "eligibility",
            Column::Cost => "cost",
            Column::Wheelchair => "wheelchair",
            Column::VerifiedOn => "verified_on",
            Column::Status => "status",
        }
    }

    /// Other names people give the column in a header (after [`Column::from_header`]'s
    /// normalisation: lower case, spaces and hyphens as `_`).
    pub fn aliases(self) -> &'static [&'static str] {
        match self {
            Column::Lat => &["latitude", "y"],
            Column::Lon => &["longitude", "lng", "long", "x"],
            Column::Phone => &["phone_number", "telephone", "tel"],
            Column::Categories => &["category"],
            Column::Organization => &["organisation", "org"],
            Column::Languages => &["language"],
            Column::Hours => &["opening_hours"],
            Column::PostalCode => &["pincode", "pin_code", "postcode", "zip", "zip_code"],
            Column::Country => &["country_code"],
            Column::ExternalId => &["id_external", "externalid"],
            Column::Open247 => &["24_7", "open_24x7"],
            _ => &[],
        }
    }

    /// The length limit and line rule every value of the column passes, in a CSV row and in an
    /// admin edit alike.
    pub fn text_rule(self) -> TextRule {
        let (max_chars, multi_line) = match self {
            Column::Description => (4000, true),
            Column::Address | Column::Eligibility | Column::Cost => (500, true),
            Column::Website => (2000, false),
            Column::Name | Column::Organization | Column::Locality | Column::District | Column::State => {
                (200, false)
            }
            Column::ExternalId => (100, false),
            Column::PostalCode => (20, false),
            _ => (500, false),
        };
        TextRule { max_chars, multi_line }
    }

    /// Whether the column holds free text, which the export guards against spreadsheet
    /// formulas. Numbers, booleans and dates are never guarded (a spreadsheet reads `-33.9` as
    /// a number, not a formula).
    pub fn is_text(self) -> bool {
        !matches!(
            self,
            Column::Lat
                | Column::Lon
                | Column::PublicLat
                | Column::PublicLon
                | Column::Confidential
                | Column::Open247
                | Column::VerifiedOn
        )
    }

    /// Whether a file must have the column.
    pub fn required(self) -> bool {
        matches!(self, Column::Name | Column::Categories | Column::Lat | Column::Lon | Column::Country)
    }

    /// The column of exactly this name (a JSON key), if any.
    pub fn from_name(name: &str) -> Option<Column> {
        Column::ALL.into_iter().find(|c| c.name() == name)
    }

    /// The column a header cell names: by name or alias, ignoring case, surrounding spaces, a
    /// byte-order mark, and spaces or hyphens inside (`Phone Number`, `pin-code`).
    pub fn from_header(header: &str) -> Option<Column> {
        let h = header.trim().trim_start_matches('\u{feff}').to_ascii_lowercase().replace([' ', '-'], "_");
        Column::ALL.into_iter().find(|c| c.name() == h || c.aliases().contains(&h.as_str()))
    }
}

impl fmt::Display for Column {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_aliases_are_unique_and_found_again() {
        let mut seen = std::collections::HashSet::new();
        for c in Column::ALL {
            assert_eq!(Column::from_name(c.name()), Some(c));
            assert_eq!(Column::from_header(&format!(" {} ", c.name().to_uppercase())), Some(c));
            for a in std::iter::once(c.name()).chain(c.aliases().iter().copied()) {
                assert!(seen.insert(a), "{a} names two columns");
                assert_eq!(Column::from_header(a), Some(c));
            }
        }
        assert_eq!(Column::from_header("\u{feff}Phone Number"), Some(Column::Phone));
        assert_eq!(Column::from_header("pin-code"), Some(Column::PostalCode));
        assert_eq!(Column::from_header("colour"), None);
        assert!(Column::ALL.windows(2).all(|w| w[0] < w[1]), "ALL is in declaration order");
    }
}
