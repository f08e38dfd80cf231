//! Open Referral HSDS 3.0: what the read API (`http::hsds`) and the tabular data package
//! (`ingest::hsds`) share: stable ids, the translation of opening hours into schedules, and the
//! terms Bellmap's own fields are published under. Pure: no I/O.

pub mod ids;
pub mod schedule;

/// What every organization says of itself (HSDS requires a description; Bellmap has none).
pub const ORGANIZATION_DESCRIPTION: &str =
    "An organization with services in Bellmap's directory of support for survivors of domestic violence.";

/// What a confidential provider's location says in public.
pub const APPROXIMATE: &str = "Approximate location: this service keeps its address confidential for safety, and this point is not its door.";

/// What a confidential provider's location says in an admin's backup package.
pub const EXACT_BACKUP: &str =
    "Confidential: exact point and address, in an admin's backup; never publish this package.";

/// Bellmap's own fields, published as attribute values under these terms: (code, name,
/// description). `hours` is the OSM text that schedules cannot always say; `external_id`,
/// `public_lat`, `public_lon` and `organization` appear only in an admin's data package
/// (`--include-confidential`), which must carry every column back to an import.
pub const FIELD_TERMS: [(&str, &str, &str); 10] = [
    ("open_24_7", "Open 24/7", "Whether the service is open around the clock: true or false."),
    ("wheelchair", "Wheelchair access", "Wheelchair access to the place: yes, limited, no or unknown."),
    ("verified_on", "Verified on", "When someone last confirmed the record (YYYY-MM-DD)."),
    (
        "confidential",
        "Confidential location",
        "true: the service keeps its location confidential; its point is approximate and it has no address.",
    ),
    (
        "location_precision",
        "Location precision",
        "exact, or approximate: a confidential service's displaced point, or a place known only by its PIN code or district.",
    ),
    ("hours", "Opening hours", "The opening hours as written, in OpenStreetMap opening_hours syntax."),
    ("external_id", "External id", "The importer's key of the record (admin data packages only)."),
    (
        "public_lat",
        "Public latitude",
        "The stored public point's latitude of a confidential service (admin data packages only).",
    ),
    (
        "public_lon",
        "Public longitude",
        "The stored public point's longitude of a confidential service (admin data packages only).",
    ),
    (
        "organization",
        "Organization as written",
        "The organization's name as this record spells it, where it differs from the organization's (admin data packages only).",
    ),
];

/// The name and description of a taxonomy Bellmap publishes.
pub fn taxonomy_text(t: ids::Taxonomy) -> (&'static str, &'static str) {
    match t {
        ids::Taxonomy::CategoriesEn => (
            "Bellmap service categories",
            "The kinds of support a Bellmap service offers, with English labels.",
        ),
        ids::Taxonomy::CategoriesHi => (
            "Bellmap service categories (Hindi)",
            "The same kinds of support with Hindi labels; each term has the code of its English term.",
        ),
        ids::Taxonomy::Attributes => (
            "Bellmap fields",
            "Fields of a Bellmap record that HSDS has no member for, given as attribute values.",
        ),
    }
}
