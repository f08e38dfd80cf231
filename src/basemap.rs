//! The basemap: country and Indian state outlines compiled into the binary (Natural Earth and
//! DataMeet, see data/SOURCES.md). The map page draws them, so it works without a tile server,
//! and [`crate::geography`] uses the same outlines for its point-in-area lookups.

/// Country outlines, one Feature per ISO 3166-1 alpha-2 code (property `iso_a2`).
pub const COUNTRIES_GEOJSON: &str = include_str!("../data/boundaries/countries.geojson");
/// India's 36 states and union territories (property `name`).
pub const INDIA_STATES_GEOJSON: &str = include_str!("../data/boundaries/india_states.geojson");
