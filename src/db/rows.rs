//! Row structs and their conversions to and from the domain model.

use super::schema::providers;
use crate::model::fields::{format_date, parse_date, parse_phone};
use crate::model::{
    Category, LocationPrecision, LonLat, Phone, Provider, ProviderData, ProviderId, Status, Wheelchair,
};
use diesel::prelude::*;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

/// A whole stored row. Its JSON form is what import history keeps, so a revert can restore it
/// byte for byte.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, serde::Serialize, serde::Deserialize)]
#[diesel(table_name = providers)]
pub struct ProviderRow {
    pub id: i64,
    #[diesel(embed)]
    #[serde(flatten)]
    pub fields: ProviderFields,
    /// The stored drawn public point (`Provider::drawn_public`); absent in versions kept before
    /// it existed.
    #[serde(default)]
    pub drawn_lat: Option<f64>,
    #[serde(default)]
    pub drawn_lon: Option<f64>,
    pub created_at: String,
    pub updated_at: String,
}

impl ProviderRow {
    pub fn drawn(&self) -> Option<LonLat> {
        self.drawn_lat.zip(self.drawn_lon).map(|(lat, lon)| LonLat { lon, lat })
    }
}

/// The columns an import or edit sets; equality here means "unchanged".
#[derive(
    Debug,
    Clone,
    PartialEq,
    Queryable,
    Selectable,
    Insertable,
    AsChangeset,
    serde::Serialize,
    serde::Deserialize,
)]
#[diesel(table_name = providers, treat_none_as_null = true)]
pub struct ProviderFields {
    pub external_id: String,
    pub name: String,
    pub organization: Option<String>,
    pub description: Option<String>,
    pub categories: String,
    pub lat: f64,
    pub lon: f64,
    /// `exact` or `approximate`; absent (so exact) in versions kept before it existed.
    #[serde(default = "exact")]
    pub location_precision: String,
    pub public_lat: Option<f64>,
    pub public_lon: Option<f64>,
    pub confidential: bool,
    pub address: Option<String>,
    pub locality: Option<String>,
    pub district: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub country: String,
    pub phone: Option<String>,
    pub hotline: Option<String>,
    pub sms: Option<String>,
    pub intake_phone: Option<String>,
    pub email: Option<String>,
    pub website: Option<String>,
    pub languages: String,
    pub hours: Option<String>,
    pub open_24_7: bool,
    pub eligibility: Option<String>,
    pub cost: Option<String>,
    pub wheelchair: String,
    pub verified_on: Option<String>,
    pub status: String,
}

impl From<&ProviderData> for ProviderFields {
    fn from(d: &ProviderData) -> Self {
        let phone = |p: &Option<Phone>| p.as_ref().map(|p| p.display.clone());
        ProviderFields {
            external_id: d.external_id.clone(),
            name: d.name.clone(),
            organization: d.organization.clone(),
            description: d.description.clone(),
            categories: d.categories.iter().map(|c| c.slug()).collect::<Vec<_>>().join(";"),
            lat: d.location.reveal().lat,
            lon: d.location.reveal().lon,
            location_precision: d.location_precision.as_str().to_string(),
            public_lat: d.public_location.map(|p| p.lat),
            public_lon: d.public_location.map(|p| p.lon),
            confidential: d.confidential,
            address: d.address.reveal().clone(),
            locality: d.locality.clone(),
            district: d.district.clone(),
            state: d.state.clone(),
            postal_code: d.postal_code.reveal().clone(),
            country: d.country.clone(),
            phone: phone(&d.phone),
            hotline: phone(&d.hotline),
            sms: phone(&d.sms),
            intake_phone: phone(d.intake_phone.reveal()),
            email: d.email.clone(),
            website: d.website.clone(),
            languages: d.languages.join(";"),
            hours: d.hours.clone(),
            open_24_7: d.open_24_7,
            eligibility: d.eligibility.clone(),
            cost: d.cost.clone(),
            wheelchair: d.wheelchair.as_str().to_string(),
            verified_on: d.verified_on.map(format_date),
            status: d.status.as_str().to_string(),
        }
    }
}

/// A stored row that no longer parses: only possible if the database was edited by hand.
#[derive(Debug, thiserror::Error)]
#[error("provider {id}: column {column}: {message}")]
pub struct CorruptRow {
    pub id: i64,
    pub column: &'static str,
    pub message: String,
}

impl TryFrom<ProviderRow> for Provider {
    type Error = CorruptRow;

    fn try_from(row: ProviderRow) -> Result<Self, Self::Error> {
        let id = row.id;
        let drawn_public = row.drawn();
        let bad = |column: &'static str| move |message: String| CorruptRow { id, column, message };
        let f = row.fields;
        // Stored phones passed validation on the way in; re-derive the E.164 form.
        let phone = |p: Option<String>, column: &'static str| {
            p.map(|p| parse_phone(&p, &f.country).map_err(bad(column))).transpose()
        };
        let categories = f
            .categories
            .split(';')
            .map(|s| s.parse::<Category>().map_err(|e| bad("categories")(e.to_string())))
            .collect::<Result<Vec<_>, _>>()?;
        let ts = |s: &str, column: &'static str| {
            OffsetDateTime::parse(s, &Rfc3339).map_err(|e| bad(column)(e.to_string()))
        };
        let data = ProviderData {
            phone: phone(f.phone.clone(), "phone")?,
            hotline: phone(f.hotline.clone(), "hotline")?,
            sms: phone(f.sms.clone(), "sms")?,
            intake_phone: phone(f.intake_phone.clone(), "intake_phone")?.into(),
            external_id: f.external_id,
            name: f.name,
            organization: f.organization,
            description: f.description,
            categories,
            location: LonLat { lon: f.lon, lat: f.lat }.into(),
            location_precision: LocationPrecision::parse(&f.location_precision)
                .map_err(bad("location_precision"))?,
            public_location: f.public_lat.zip(f.public_lon).map(|(lat, lon)| LonLat { lon, lat }),
            confidential: f.confidential,
            address: f.address.into(),
            locality: f.locality,
            district: f.district,
            state: f.state,
            postal_code: f.postal_code.into(),
            country: f.country,
            email: f.email,
            website: f.website,
            languages: f.languages.split(';').filter(|s| !s.is_empty()).map(str::to_string).collect(),
            hours: f.hours,
            open_24_7: f.open_24_7,
            eligibility: f.eligibility,
            cost: f.cost,
            wheelchair: Wheelchair::parse(&f.wheelchair).map_err(bad("wheelchair"))?,
            verified_on: f.verified_on.as_deref().map(parse_date).transpose().map_err(bad("verified_on"))?,
            status: Status::parse(&f.status).map_err(bad("status"))?,
        };
        Ok(Provider {
            id: ProviderId(id),
            data,
            drawn_public,
            created_at: ts(&row.created_at, "created_at")?,
            updated_at: ts(&row.updated_at, "updated_at")?,
        })
    }
}

fn exact() -> String {
    LocationPrecision::Exact.as_str().to_string()
}

pub fn now_text() -> String {
    OffsetDateTime::now_utc().format(&Rfc3339).expect("now always formats")
}
