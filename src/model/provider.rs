//! The provider record (DESIGN §3) and the rule that decides where the public sees it (§6).

use super::{Category, Confidential, LonLat, Phone};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

/// Server-assigned, stable provider id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ProviderId(pub i64);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Wheelchair {
    Yes,
    Limited,
    No,
    Unknown,
}

impl Wheelchair {
    pub const ALL: [Wheelchair; 4] =
        [Wheelchair::Yes, Wheelchair::Limited, Wheelchair::No, Wheelchair::Unknown];

    pub fn as_str(self) -> &'static str {
        match self {
            Wheelchair::Yes => "yes",
            Wheelchair::Limited => "limited",
            Wheelchair::No => "no",
            Wheelchair::Unknown => "unknown",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "yes" | "true" => Ok(Wheelchair::Yes),
            "limited" | "partial" => Ok(Wheelchair::Limited),
            "no" | "false" => Ok(Wheelchair::No),
            "unknown" | "" => Ok(Wheelchair::Unknown),
            other => Err(format!("'{other}' is not one of yes, limited, no, unknown")),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Active,
    Inactive,
}

impl Status {
    pub const ALL: [Status; 2] = [Status::Active, Status::Inactive];

    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Inactive => "inactive",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "active" | "" => Ok(Status::Active),
            "inactive" | "closed" => Ok(Status::Inactive),
            other => Err(format!("'{other}' is not a status; use active or inactive")),
        }
    }
}

/// How closely `location` marks the provider's door: `Exact` as given by coordinates, or
/// `Approximate` when an import placed it at a gazetteer centroid (a PIN code's, a district
/// headquarters') because the row had no coordinates.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LocationPrecision {
    #[default]
    Exact,
    Approximate,
}

impl LocationPrecision {
    pub const ALL: [LocationPrecision; 2] = [LocationPrecision::Exact, LocationPrecision::Approximate];

    pub fn as_str(self) -> &'static str {
        match self {
            LocationPrecision::Exact => "exact",
            LocationPrecision::Approximate => "approximate",
        }
    }

    /// An empty cell is exact: a row with coordinates marks the door.
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "exact" | "" => Ok(LocationPrecision::Exact),
            "approximate" => Ok(LocationPrecision::Approximate),
            other => Err(format!("'{other}' is not a location precision; use exact or approximate")),
        }
    }
}

/// Everything an importer or editor sets about a provider: a validated record without id or timestamps.
#[derive(Debug, Clone, PartialEq)]
pub struct ProviderData {
    pub external_id: String,
    pub name: String,
    pub organization: Option<String>,
    pub description: Option<String>,
    /// At least one, sorted and without duplicates.
    pub categories: Vec<Category>,
    /// The exact location. For a confidential provider this never leaves the server publicly.
    pub location: Confidential<LonLat>,
    /// Whether `location` is the door or a centroid an import placed the provider at.
    pub location_precision: LocationPrecision,
    /// Where the public sees a confidential provider, when an admin chose the point.
    pub public_location: Option<LonLat>,
    pub confidential: bool,
    /// Street address: for a confidential provider, where it is.
    pub address: Confidential<Option<String>>,
    pub locality: Option<String>,
    pub district: Option<String>,
    pub state: Option<String>,
    pub postal_code: Confidential<Option<String>>,
    /// ISO 3166-1 alpha-2, upper case.
    pub country: String,
    pub phone: Option<Phone>,
    pub hotline: Option<Phone>,
    pub sms: Option<Phone>,
    /// The number a survivor calls to be admitted: for a confidential shelter, only for admins.
    pub intake_phone: Confidential<Option<Phone>>,
    pub email: Option<String>,
    pub website: Option<String>,
    pub languages: Vec<String>,
    /// OpenStreetMap opening_hours syntax.
    pub hours: Option<String>,
    pub open_24_7: bool,
    pub eligibility: Option<String>,
    pub cost: Option<String>,
    pub wheelchair: Wheelchair,
    pub verified_on: Option<Date>,
    pub status: Status,
}

/// A stored provider.
#[derive(Debug, Clone, PartialEq)]
pub struct Provider {
    pub id: ProviderId,
    pub data: ProviderData,
    /// The public point drawn once for this provider (kept while it is not confidential, so the
    /// flag can be switched back without a new point). Set only by the store, never by an import.
    pub drawn_public: Option<LonLat>,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

impl Provider {
    /// The only point any public answer may use: the exact one for ordinary providers; for a
    /// confidential one the admin's public point, else the point drawn for it and stored with
    /// the record (DESIGN §6). `None` only for a confidential record that has neither, which is
    /// then left out of every public answer rather than shown anywhere near its door.
    pub fn public_point(&self) -> Option<LonLat> {
        if !self.data.confidential {
            return Some(*self.data.location.reveal());
        }
        self.data.public_location.or(self.drawn_public)
    }
}

impl Provider {
    /// How closely [`Provider::public_point`] marks the door: approximate for a confidential
    /// provider (a displaced point) and for one placed at a gazetteer centroid.
    pub fn public_precision(&self) -> LocationPrecision {
        if self.data.confidential { LocationPrecision::Approximate } else { self.data.location_precision }
    }
}

impl ProviderData {
    pub fn has_category(&self, c: Category) -> bool {
        self.categories.contains(&c)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn sample(lon: f64, lat: f64, confidential: bool) -> ProviderData {
        ProviderData {
            external_id: "x".into(),
            name: "x".into(),
            organization: None,
            description: None,
            categories: vec![Category::Shelter],
            location: LonLat { lon, lat }.into(),
            location_precision: LocationPrecision::Exact,
            public_location: None,
            confidential,
            address: None.into(),
            locality: None,
            district: None,
            state: None,
            postal_code: None.into(),
            country: "IN".into(),
            phone: None,
            hotline: None,
            sms: None,
            intake_phone: None.into(),
            email: None,
            website: None,
            languages: vec![],
            hours: None,
            open_24_7: false,
            eligibility: None,
            cost: None,
            wheelchair: Wheelchair::Unknown,
            verified_on: None,
            status: Status::Active,
        }
    }

    fn stored(data: ProviderData, drawn: Option<LonLat>) -> Provider {
        let now = OffsetDateTime::UNIX_EPOCH;
        Provider { id: ProviderId(1), data, drawn_public: drawn, created_at: now, updated_at: now }
    }

    #[test]
    fn ordinary_providers_are_public_at_their_point() {
        let p = stored(sample(80.9462, 26.8467, false), Some(LonLat { lon: 81.0, lat: 27.0 }));
        assert_eq!(p.public_point(), Some(*p.data.location.reveal()));
    }

    #[test]
    fn confidential_providers_use_the_admin_point_then_the_drawn_one_and_never_the_exact_one() {
        let admin = LonLat { lon: 81.0, lat: 27.0 };
        let drawn = LonLat { lon: 80.9, lat: 26.9 };
        let mut data = sample(80.9462, 26.8467, true);
        assert_eq!(stored(data.clone(), None).public_point(), None);
        assert_eq!(stored(data.clone(), Some(drawn)).public_point(), Some(drawn));
        data.public_location = Some(admin);
        assert_eq!(stored(data, Some(drawn)).public_point(), Some(admin));
    }

    #[test]
    fn debug_of_a_record_shows_no_exact_point_address_postal_code_or_intake_phone() {
        let mut data = sample(80.946_123, 26.846_789, true);
        data.address = Some("12 Hidden Lane".to_string()).into();
        data.postal_code = Some("226001".to_string()).into();
        data.intake_phone = Some(Phone { display: "0522 230 5551".into(), e164: None }).into();
        let shown = format!("{:?}", stored(data, None));
        for secret in ["80.946", "26.846", "Hidden", "226001", "230 5551"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
    }
}
