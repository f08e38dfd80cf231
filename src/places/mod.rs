//! Places: the bundled gazetteer of towns, Indian district and sub-district headquarters and PIN
//! codes (data/places.csv, see data/SOURCES.md), for finding a point by a name a caller knows.

pub mod fold;
pub mod gazetteer;
pub mod resolve;
pub mod search;

pub use fold::{fold, loose};
pub use gazetteer::{Gazetteer, GazetteerError, PinQuality, Place, PlaceKind};
pub use resolve::{Resolution, resolve};
pub use search::{Match, PlaceIndex, Quality};
