//! The provider record (DESIGN §3) and the rule that decides where the public sees it (§6).

use super::{Category, LonLat, Phone};
use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

/// Server-assigned, stable provider id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct ProviderId(pub i64);

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Wheelchair {
    Yes,
    Limited,
    No,
    Unknown,
}

impl Wheelchair {
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

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Active,
    Inactive,
}

impl Status {
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
    pub location: LonLat,
    /// Where the public sees a confidential provider, when an admin chose the point.
    pub public_location: Option<LonLat>,
    pub confidential: bool,
    pub address: Option<String>,
    pub locality: Option<String>,
    pub district: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2, upper case.
    pub country: String,
    pub phone: Option<Phone>,
    pub hotline: Option<Phone>,
    pub sms: Option<Phone>,
    pub intake_phone: Option<Phone>,
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
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// Size of the grid used to coarsen confidential locations, in degrees of latitude (~11 km).
pub const CONFIDENTIAL_GRID_DEG: f64 = 0.1;

impl ProviderData {
    /// The only point any public answer may use: the exact one for ordinary providers; for
    /// confidential ones the admin's public point, else the centre of the grid cell around them.
    /// It depends only on the record, so repeated or chosen queries cannot reveal more.
    pub fn public_point(&self) -> LonLat {
        if !self.confidential {
            return self.location;
        }
        if let Some(p) = self.public_location {
            return p;
        }
        let cell = |v: f64| ((v / CONFIDENTIAL_GRID_DEG).floor() + 0.5) * CONFIDENTIAL_GRID_DEG;
        let lat = cell(self.location.lat).clamp(-89.95, 89.95);
        let lon = cell(self.location.lon);
        let lon = if lon > 180.0 { lon - 360.0 } else { lon };
        // Round away float noise so the value is a clean grid centre (e.g. 26.85, not 26.850000000000001).
        let round = |v: f64| (v * 1e6).round() / 1e6;
        LonLat { lon: round(lon), lat: round(lat) }
    }

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
            location: LonLat { lon, lat },
            public_location: None,
            confidential,
            address: None,
            locality: None,
            district: None,
            state: None,
            postal_code: None,
            country: "IN".into(),
            phone: None,
            hotline: None,
            sms: None,
            intake_phone: None,
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

    #[test]
    fn ordinary_providers_are_public_at_their_point() {
        let p = sample(80.9462, 26.8467, false);
        assert_eq!(p.public_point(), p.location);
    }

    #[test]
    fn confidential_providers_snap_to_the_cell_centre() {
        let a = sample(80.9462, 26.8467, true).public_point();
        let b = sample(80.9031, 26.8011, true).public_point();
        assert_eq!(a, b, "two points in one cell share a public point");
        assert_eq!(a, LonLat { lon: 80.95, lat: 26.85 });
        let south = sample(-0.01, -33.91, true).public_point();
        assert_eq!(south, LonLat { lon: -0.05, lat: -33.95 });
    }

    #[test]
    fn admin_public_point_wins() {
        let mut p = sample(80.9462, 26.8467, true);
        p.public_location = Some(LonLat { lon: 81.0, lat: 27.0 });
        assert_eq!(p.public_point(), LonLat { lon: 81.0, lat: 27.0 });
    }
}
