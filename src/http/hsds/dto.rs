//! HSDS 3.0 answer shapes, Bellmap's own types (written from the specification). Members HSDS
//! marks optional are left out when Bellmap has no value: HSDS schemas allow no nulls.

use serde::Serialize;
use utoipa::ToSchema;

/// `GET /hsds/`: what this API is.
#[derive(Debug, Serialize, ToSchema)]
pub struct HsdsMeta {
    /// The HSDS version served.
    pub version: &'static str,
    /// Where the HSDS profile is described.
    pub profile: &'static str,
    /// The OpenAPI document describing these routes.
    pub openapi_url: String,
}

/// A page of a list (HSDS `Page`), with the objects in `contents`.
#[derive(Debug, Serialize, ToSchema)]
pub struct HsdsPage<T> {
    pub total_items: usize,
    pub total_pages: usize,
    pub page_number: usize,
    /// Objects on this page.
    pub size: usize,
    pub first_page: bool,
    pub last_page: bool,
    /// Whether nothing matched.
    pub empty: bool,
    pub contents: Vec<T>,
}

/// An organization: one per organization name in the directory.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HsdsOrganization {
    /// UUID.
    pub id: String,
    pub name: String,
    pub description: String,
    /// With `full_service` (or on `/organizations/{id}`): its services.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(no_recursion)]
    pub services: Option<Vec<HsdsService>>,
}

/// A service: one Bellmap provider.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HsdsService {
    /// UUID, stable for the provider.
    pub id: String,
    pub organization_id: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The provider's website.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Always `active`: only active providers are published.
    pub status: &'static str,
    /// The provider's `cost`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fees_description: Option<String>,
    /// The provider's `eligibility`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eligibility_description: Option<String>,
    /// YYYY-MM-DD: the provider's `verified_on`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assured_date: Option<String>,
    /// RFC 3339: the provider's `updated_at`.
    pub last_modified: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phones: Option<Vec<HsdsPhone>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedules: Option<Vec<HsdsSchedule>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service_at_locations: Option<Vec<HsdsServiceAtLocation>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub languages: Option<Vec<HsdsLanguage>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub organization: Option<HsdsOrganization>,
    /// Categories (in English and Hindi terms) and Bellmap's own fields.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Vec<HsdsAttribute>>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HsdsPhone {
    pub id: String,
    pub service_id: String,
    /// As the directory lists it.
    pub number: String,
    /// RFC 6350 type: `voice`, or `text` for SMS.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub description: &'static str,
}

/// When a service is open: one weekly rule (RFC 5545) per opening interval.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HsdsSchedule {
    pub id: String,
    pub service_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub freq: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wkst: Option<&'static str>,
    /// Comma-separated RFC 5545 days (`MO,TU`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub byday: Option<String>,
    /// HH:MM with the provider's UTC offset (`09:00+05:30`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub opens_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub closes_at: Option<String>,
    /// The UTC offset of the times, in hours (5.5 for India).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub timezone: Option<f64>,
    /// The original OpenStreetMap hours, when the rows cannot say all of it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HsdsLanguage {
    pub id: String,
    pub service_id: String,
    /// ISO 639-1 or 639-3.
    pub code: String,
}

/// Where a service is offered.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HsdsServiceAtLocation {
    pub id: String,
    pub service_id: String,
    pub location_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<HsdsLocation>,
    /// On `/service_at_locations` answers: the service offered.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(no_recursion)]
    pub service: Option<Box<HsdsService>>,
}

/// A place. For a confidential provider: its approximate public point, no address, and a
/// description that says so.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HsdsLocation {
    pub id: String,
    /// `physical`.
    pub location_type: &'static str,
    pub organization_id: String,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// WGS84 degrees: the public point (approximate for a confidential provider).
    pub latitude: f64,
    pub longitude: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub addresses: Option<Vec<HsdsAddress>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub accessibility: Option<Vec<HsdsAccessibility>>,
    /// `location_precision`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attributes: Option<Vec<HsdsAttribute>>,
}

/// A street address (never for a confidential provider). Members HSDS requires but Bellmap
/// lacks are empty strings.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HsdsAddress {
    pub id: String,
    pub location_id: String,
    pub address_1: String,
    /// The provider's locality.
    pub city: String,
    /// The provider's district.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    pub state_province: String,
    pub postal_code: String,
    /// ISO 3166-1 alpha-2.
    pub country: String,
    /// `physical`.
    pub address_type: &'static str,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HsdsAccessibility {
    pub id: String,
    pub location_id: String,
    pub description: String,
}

/// A taxonomy term linked to an object, with a value.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HsdsAttribute {
    pub id: String,
    /// The object's id.
    pub link_id: String,
    pub taxonomy_term_id: String,
    /// `category` or `bellmap_field`.
    pub link_type: &'static str,
    /// `service` or `location`.
    pub link_entity: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
    pub taxonomy_term: HsdsTaxonomyTerm,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HsdsTaxonomy {
    pub id: String,
    pub name: &'static str,
    pub description: &'static str,
    pub version: &'static str,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HsdsTaxonomyTerm {
    pub id: String,
    /// The category slug or Bellmap field name.
    pub code: &'static str,
    pub name: &'static str,
    pub description: String,
    /// ISO 639-1.
    pub language: &'static str,
    pub taxonomy_id: String,
}
