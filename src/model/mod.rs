//! Pure domain types: no I/O, no framework types.

mod category;
mod change;
mod column;
mod confidential;
pub mod fields;
mod geo_point;
mod import;
mod provider;
mod role;

pub use category::{Category, UnknownCategory};
pub use change::{Change, ChangeKind, FeedPosition};
pub use column::{Column, TextRule};
pub use confidential::Confidential;
pub use fields::{Phone, calling_code};
pub use geo_point::{CoordError, EARTH_RADIUS_M, LonLat, check_lat, check_lon, chord2_for_distance_m};
pub use import::{Geocode, ImportMode, OnError};
pub use provider::{LocationPrecision, Provider, ProviderData, ProviderId, Status, Wheelchair};
pub use role::{Caller, Role};
