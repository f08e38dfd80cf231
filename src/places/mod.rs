//! Places: the bundled gazetteer of towns, Indian district and sub-district headquarters and PIN
//! codes (data/places.csv, see data/SOURCES.md), for finding a point by a name a caller knows.

pub mod gazetteer;

pub use gazetteer::{Gazetteer, GazetteerError, PinQuality, Place, PlaceKind};
