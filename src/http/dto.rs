//! JSON shapes of the public API. Redaction of confidential providers happens here and only
//! here, driven by the caller's role: every view of a provider is built by `ProviderDto::view`.

use crate::emergency::Emergency;
use crate::index::Snapshot;
use crate::model::Role;
use crate::model::fields::format_date;
use crate::model::{Category, Phone, Provider, Status, Wheelchair};
use crate::query::Hit;
use serde::Serialize;
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;
use utoipa::ToSchema;

pub const CONFIDENTIAL_NOTE: &str =
    "This service keeps its location confidential for safety. Call the listed number to be told where to go.";

/// A provider as the public sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProviderDto {
    pub id: i64,
    pub name: String,
    pub organization: Option<String>,
    pub description: Option<String>,
    pub categories: Vec<Category>,
    /// WGS84 degrees. For a confidential provider this is its public (approximate) point.
    pub lat: f64,
    pub lon: f64,
    /// "exact", or "approximate" for a confidential provider.
    pub location_precision: &'static str,
    pub confidential: bool,
    /// Withheld (null) for confidential providers.
    pub address: Option<String>,
    /// Withheld (null) for confidential providers.
    pub locality: Option<String>,
    pub district: Option<String>,
    pub state: Option<String>,
    /// Withheld (null) for confidential providers.
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    pub phone: Option<Phone>,
    pub hotline: Option<Phone>,
    pub sms: Option<Phone>,
    /// Withheld (null) for confidential providers, except for caseworker and admin tokens.
    pub intake_phone: Option<Phone>,
    pub email: Option<String>,
    pub website: Option<String>,
    /// ISO 639 codes.
    pub languages: Vec<String>,
    /// OpenStreetMap opening_hours syntax.
    pub hours: Option<String>,
    pub open_24_7: bool,
    pub eligibility: Option<String>,
    pub cost: Option<String>,
    pub wheelchair: Wheelchair,
    /// YYYY-MM-DD: when someone last confirmed this record.
    pub verified_on: Option<String>,
    pub status: Status,
    /// RFC 3339.
    pub updated_at: String,
    /// How to reach a confidential provider.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_note: Option<&'static str>,
    /// A confidential provider's exact point: admin tokens only (every decision still uses lat/lon).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exact_lat: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exact_lon: Option<f64>,
    /// Great-circle distance in metres from the query point, to 0.1 m (point queries only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_m: Option<f64>,
}

impl ProviderDto {
    /// The public view of the provider in `slot` of `snap`.
    pub fn public(snap: &Snapshot, slot: u32, distance_m: Option<f64>) -> ProviderDto {
        ProviderDto::view(snap, slot, distance_m, None)
    }

    /// The view for a caller: the public (`None`) sees a confidential provider only at its public
    /// point, without address, locality, postal code or intake phone; a caseworker also sees the
    /// intake phone; an admin sees everything. Position, distance and order are the same for all.
    pub fn view(snap: &Snapshot, slot: u32, distance_m: Option<f64>, role: Option<Role>) -> ProviderDto {
        let p: &Provider = &snap.records[slot as usize];
        let point = snap.points[slot as usize];
        let d = &p.data;
        let secret = d.confidential;
        let admin = role == Some(Role::Admin);
        let open = |v: &Option<String>| if secret && !admin { None } else { v.clone() };
        let exact = |v: f64| (secret && admin).then_some(v);
        ProviderDto {
            id: p.id.0,
            name: d.name.clone(),
            organization: d.organization.clone(),
            description: d.description.clone(),
            categories: d.categories.clone(),
            lat: point.lat,
            lon: point.lon,
            location_precision: if secret { "approximate" } else { "exact" },
            confidential: secret,
            address: open(d.address.reveal()),
            locality: open(&d.locality),
            district: d.district.clone(),
            state: d.state.clone(),
            postal_code: open(d.postal_code.reveal()),
            country: d.country.clone(),
            phone: d.phone.clone(),
            hotline: d.hotline.clone(),
            sms: d.sms.clone(),
            intake_phone: if secret && role.is_none() { None } else { d.intake_phone.reveal().clone() },
            email: d.email.clone(),
            website: d.website.clone(),
            languages: d.languages.clone(),
            hours: d.hours.clone(),
            open_24_7: d.open_24_7,
            eligibility: d.eligibility.clone(),
            cost: d.cost.clone(),
            wheelchair: d.wheelchair,
            verified_on: d.verified_on.map(format_date),
            status: d.status,
            updated_at: p.updated_at.format(&Rfc3339).unwrap_or_default(),
            contact_note: secret.then_some(CONFIDENTIAL_NOTE),
            exact_lat: exact(d.location.reveal().lat),
            exact_lon: exact(d.location.reveal().lon),
            distance_m,
        }
    }

    pub fn from_hits(snap: &Snapshot, hits: &[Hit], role: Option<Role>) -> Vec<ProviderDto> {
        hits.iter().map(|h| ProviderDto::view(snap, h.slot, h.distance_m, role)).collect()
    }

    /// The confidential fields this view shows beyond the public one (for the audit log).
    pub fn revealed_fields(&self) -> &'static str {
        match (self.confidential, self.exact_lat.is_some()) {
            (false, _) => "",
            (true, true) => "exact location, address, locality, postal code, intake phone",
            (true, false) if self.intake_phone.is_some() => "intake phone",
            (true, false) => "",
        }
    }

    /// A GeoJSON Feature with the same fields (minus lat/lon) as properties.
    pub fn to_feature(&self) -> Value {
        let mut props = serde_json::to_value(self).unwrap_or(Value::Null);
        if let Value::Object(m) = &mut props {
            m.shift_remove("lat");
            m.shift_remove("lon");
        }
        json!({
            "type": "Feature",
            "id": self.id,
            "geometry": {"type": "Point", "coordinates": [self.lon, self.lat]},
            "properties": props,
        })
    }
}

/// A page of providers.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProviderPage {
    pub items: Vec<ProviderDto>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
    /// How many providers match in all pages.
    pub total: usize,
    /// Emergency numbers for the query point's country and state, also when no provider
    /// matches. Present for point searches (within, and search with near or within); absent
    /// for bbox and polygon, which have no single point.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub emergency: Option<Emergency>,
}

/// The k nearest providers (no paging).
#[derive(Debug, Serialize, ToSchema)]
pub struct NearestAnswer {
    pub items: Vec<ProviderDto>,
    pub total: usize,
    /// Emergency numbers for the query point's country and state, also when no provider matches.
    pub emergency: Emergency,
}

/// A GeoJSON FeatureCollection of providers; `emergency`, when given, is a top-level foreign
/// member of the same name.
pub fn feature_collection(
    items: &[ProviderDto],
    next_cursor: Option<&str>,
    total: usize,
    emergency: Option<&Emergency>,
) -> Value {
    let mut fc = json!({
        "type": "FeatureCollection",
        "features": items.iter().map(ProviderDto::to_feature).collect::<Vec<_>>(),
        "next_cursor": next_cursor,
        "total": total,
    });
    if let (Some(e), Value::Object(m)) = (emergency, &mut fc) {
        m.insert("emergency".into(), serde_json::to_value(e).unwrap_or(Value::Null));
    }
    fc
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryLabels {
    pub en: &'static str,
    pub hi: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryDto {
    pub slug: Category,
    pub label: CategoryLabels,
    /// Active providers in this category.
    pub count: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryList {
    pub items: Vec<CategoryDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    pub status: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    pub status: &'static str,
    /// Active providers in the published snapshot.
    pub providers: usize,
    /// The database's change sequence the snapshot is current at: the same on every instance
    /// that has caught up, and it survives restarts.
    pub snapshot_version: u64,
    pub snapshot_age_s: f64,
    pub database: &'static str,
}
