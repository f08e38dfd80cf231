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
// None is NULL both in updates and in inserts (where diesel would write DEFAULT, which is NULL
// for every nullable column here, but which makes SQLite insert a batch one row at a time).
#[diesel(table_name = providers, treat_none_as_null = true, treat_none_as_default_value = false)]
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
        ProviderFields::from(d.clone())
    }
}

/// Moves the texts of the record into the row (an import writes a million records: copying each
/// text costs its writing thread an allocation and a copy per cell).
impl From<ProviderData> for ProviderFields {
    fn from(d: ProviderData) -> Self {
        let phone = |p: Option<Phone>| p.map(|p| p.display);
        let location = *d.location.reveal();
        ProviderFields {
            external_id: d.external_id,
            name: d.name,
            organization: d.organization,
            description: d.description,
            categories: d.categories.iter().map(|c| c.slug()).collect::<Vec<_>>().join(";"),
            lat: location.lat,
            lon: location.lon,
            location_precision: d.location_precision.as_str().to_string(),
            public_lat: d.public_location.map(|p| p.lat),
            public_lon: d.public_location.map(|p| p.lon),
            confidential: d.confidential,
            address: d.address.into_inner(),
            locality: d.locality,
            district: d.district,
            state: d.state,
            postal_code: d.postal_code.into_inner(),
            country: d.country,
            phone: phone(d.phone),
            hotline: phone(d.hotline),
            sms: phone(d.sms),
            intake_phone: phone(d.intake_phone.into_inner()),
            email: d.email,
            website: d.website,
            languages: d.languages.join(";"),
            hours: d.hours,
            open_24_7: d.open_24_7,
            eligibility: d.eligibility,
            cost: d.cost,
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

/// Bytes of a row digest: the first half of a SHA-256.
pub const DIGEST_LEN: usize = 16;

/// What a revert compares a record an import created against, instead of a kept copy of the
/// row: the first [`DIGEST_LEN`] bytes of the SHA-256 of every column of `row` but its id, in a
/// fixed encoding (texts length-prefixed, `None` apart from any value, floats by their bits with
/// -0 as 0, since `==` and the databases treat them alike). Two rows with the same id are equal
/// exactly when their digests are, but for a chance of 2^-128.
pub fn row_digest(row: &ProviderRow) -> [u8; DIGEST_LEN] {
    use sha2::{Digest, Sha256};
    // Every field named, so a new column cannot be left out unnoticed.
    let ProviderRow { id: _, fields, drawn_lat, drawn_lon, created_at, updated_at } = row;
    let ProviderFields {
        external_id,
        name,
        organization,
        description,
        categories,
        lat,
        lon,
        location_precision,
        public_lat,
        public_lon,
        confidential,
        address,
        locality,
        district,
        state,
        postal_code,
        country,
        phone,
        hotline,
        sms,
        intake_phone,
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
    } = fields;
    let mut out = Encoded(Vec::with_capacity(512));
    out.text(external_id);
    out.text(name);
    out.maybe_text(organization);
    out.maybe_text(description);
    out.text(categories);
    out.float(*lat);
    out.float(*lon);
    out.text(location_precision);
    out.maybe_float(*public_lat);
    out.maybe_float(*public_lon);
    out.flag(*confidential);
    for text in [address, locality, district, state, postal_code] {
        out.maybe_text(text);
    }
    out.text(country);
    for text in [phone, hotline, sms, intake_phone, email, website] {
        out.maybe_text(text);
    }
    out.text(languages);
    out.maybe_text(hours);
    out.flag(*open_24_7);
    out.maybe_text(eligibility);
    out.maybe_text(cost);
    out.text(wheelchair);
    out.maybe_text(verified_on);
    out.text(status);
    out.maybe_float(*drawn_lat);
    out.maybe_float(*drawn_lon);
    out.text(created_at);
    out.text(updated_at);
    let full = Sha256::digest(&out.0);
    let mut digest = [0; DIGEST_LEN];
    digest.copy_from_slice(&full[..DIGEST_LEN]);
    digest
}

/// The byte encoding [`row_digest`] hashes.
struct Encoded(Vec<u8>);

impl Encoded {
    fn text(&mut self, s: &str) {
        self.0.extend_from_slice(&(s.len() as u64).to_le_bytes());
        self.0.extend_from_slice(s.as_bytes());
    }

    fn maybe_text(&mut self, s: &Option<String>) {
        match s {
            None => self.0.push(0),
            Some(s) => {
                self.0.push(1);
                self.text(s);
            }
        }
    }

    fn float(&mut self, v: f64) {
        let v = if v == 0.0 { 0.0 } else { v };
        self.0.extend_from_slice(&v.to_bits().to_le_bytes());
    }

    fn maybe_float(&mut self, v: Option<f64>) {
        match v {
            None => self.0.push(0),
            Some(v) => {
                self.0.push(1);
                self.float(v);
            }
        }
    }

    fn flag(&mut self, b: bool) {
        self.0.push(u8::from(b));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row() -> ProviderRow {
        let data = crate::ingest::parse_csv(
            "external_id,name,categories,lat,lon,country,confidential\nx-1,Sample,shelter,26.85,80.95,IN,true\n"
                .as_bytes(),
        )
        .rows
        .remove(0)
        .data;
        ProviderRow {
            id: 7,
            fields: ProviderFields::from(&data),
            drawn_lat: Some(26.9),
            drawn_lon: Some(80.9),
            created_at: "2026-12-07T10:00:00.123Z".into(),
            updated_at: "2026-12-07T10:00:00.123Z".into(),
        }
    }

    /// Rows equal by `==` have one digest; changing any one column, to any value, changes it.
    #[test]
    fn the_digest_follows_equality() {
        let base = row();
        let digest = row_digest(&base);
        assert_eq!(row_digest(&base.clone()), digest);
        assert_eq!(
            row_digest(&ProviderRow { id: 8, ..base.clone() }),
            digest,
            "the id is the key, not hashed"
        );
        let mut zero = base.clone();
        zero.fields.public_lat = Some(0.0);
        let mut negative_zero = base.clone();
        negative_zero.fields.public_lat = Some(-0.0);
        assert_eq!(zero, negative_zero);
        assert_eq!(row_digest(&zero), row_digest(&negative_zero));

        type Change = Box<dyn Fn(&mut ProviderRow)>;
        let changes: Vec<(&str, Change)> = vec![
            ("name", Box::new(|r| r.fields.name.push('.'))),
            ("organization", Box::new(|r| r.fields.organization = Some(String::new()))),
            ("organization text", Box::new(|r| r.fields.organization = Some("x".into()))),
            ("lat", Box::new(|r| r.fields.lat = f64::from_bits(r.fields.lat.to_bits() + 1))),
            ("public_lat", Box::new(|r| r.fields.public_lat = Some(0.0))),
            ("confidential", Box::new(|r| r.fields.confidential = false)),
            ("open_24_7", Box::new(|r| r.fields.open_24_7 = true)),
            ("email", Box::new(|r| r.fields.email = Some("a@example.org".into()))),
            ("status", Box::new(|r| r.fields.status = "inactive".into())),
            ("location_precision", Box::new(|r| r.fields.location_precision = "approximate".into())),
            ("drawn_lat", Box::new(|r| r.drawn_lat = None)),
            ("drawn_lon", Box::new(|r| r.drawn_lon = Some(80.95))),
            ("created_at", Box::new(|r| r.created_at = "2026-12-07T10:00:00.124Z".into())),
            ("updated_at", Box::new(|r| r.updated_at.push('x'))),
            // Text moved across the boundary of two columns.
            (
                "country and phone",
                Box::new(|r| {
                    r.fields.phone = Some(r.fields.country.split_off(1));
                }),
            ),
        ];
        let mut seen = std::collections::HashSet::from([digest]);
        for (what, change) in changes {
            let mut changed = base.clone();
            change(&mut changed);
            assert_ne!(changed, base, "{what}");
            assert!(seen.insert(row_digest(&changed)), "{what} changes the digest");
        }
    }
}
