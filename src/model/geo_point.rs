//! Points on the WGS84 sphere and the great-circle distance between them.

use serde::Serialize;

/// Mean Earth radius in metres (IUGG / WGS84 mean radius R1).
pub const EARTH_RADIUS_M: f64 = 6_371_008.8;

/// A validated WGS84 position in degrees. Note the field order: longitude first, as in GeoJSON.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct LonLat {
    pub lon: f64,
    pub lat: f64,
}

/// Why a coordinate was refused; the caller adds the field name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CoordError {
    #[error("must be a finite number")]
    NotFinite,
    #[error("latitude must be between -90 and 90")]
    LatRange,
    #[error("longitude must be between -180 and 180")]
    LonRange,
    #[error("the point 0,0 is in the Atlantic Ocean and almost always means missing coordinates")]
    NullIsland,
}

/// Checks one latitude value.
pub fn check_lat(lat: f64) -> Result<f64, CoordError> {
    if !lat.is_finite() {
        Err(CoordError::NotFinite)
    } else if !(-90.0..=90.0).contains(&lat) {
        Err(CoordError::LatRange)
    } else {
        Ok(lat)
    }
}

/// Checks one longitude value.
pub fn check_lon(lon: f64) -> Result<f64, CoordError> {
    if !lon.is_finite() {
        Err(CoordError::NotFinite)
    } else if !(-180.0..=180.0).contains(&lon) {
        Err(CoordError::LonRange)
    } else {
        Ok(lon)
    }
}

impl LonLat {
    /// A point that passed range checks. (0,0) is allowed here; records refuse it separately.
    pub fn new(lon: f64, lat: f64) -> Result<Self, CoordError> {
        Ok(LonLat { lon: check_lon(lon)?, lat: check_lat(lat)? })
    }

    /// The point as a unit vector (x, y, z): chord order on the sphere equals great-circle order.
    pub fn to_xyz(self) -> [f64; 3] {
        let (lat, lon) = (self.lat.to_radians(), self.lon.to_radians());
        [lat.cos() * lon.cos(), lat.cos() * lon.sin(), lat.sin()]
    }

    /// Great-circle distance in metres (haversine on the mean radius).
    pub fn distance_m(self, other: LonLat) -> f64 {
        self.distances().to(other)
    }

    /// Distances from this point to many, its cosine worked out once.
    pub fn distances(self) -> DistancesFrom {
        let lat = self.lat.to_radians();
        DistancesFrom { lon: self.lon, lat, cos_lat: lat.cos() }
    }
}

/// [`LonLat::distance_m`] from one origin: the same operations, so the same bits.
#[derive(Debug, Clone, Copy)]
pub struct DistancesFrom {
    lon: f64,
    /// In radians.
    lat: f64,
    cos_lat: f64,
}

impl DistancesFrom {
    pub fn to(&self, other: LonLat) -> f64 {
        let p2 = other.lat.to_radians();
        let dp = p2 - self.lat;
        let dl = (other.lon - self.lon).to_radians();
        let a = (dp / 2.0).sin().powi(2) + self.cos_lat * p2.cos() * (dl / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_M * a.sqrt().min(1.0).asin()
    }
}

/// The squared chord length on the unit sphere that corresponds to a great-circle distance.
pub fn chord2_for_distance_m(distance_m: f64) -> f64 {
    let angle = (distance_m / EARTH_RADIUS_M).min(std::f64::consts::PI);
    let chord = 2.0 * (angle / 2.0).sin();
    chord * chord
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_out_of_range_and_nan() {
        assert_eq!(LonLat::new(0.0, 91.0), Err(CoordError::LatRange));
        assert_eq!(LonLat::new(200.0, 0.0), Err(CoordError::LonRange));
        assert_eq!(LonLat::new(f64::NAN, 0.0), Err(CoordError::NotFinite));
    }

    #[test]
    fn one_degree_of_latitude_is_about_111_km() {
        let d = LonLat::new(80.0, 26.0).unwrap().distance_m(LonLat::new(80.0, 27.0).unwrap());
        assert!((d - 111_195.0).abs() < 5.0, "{d}");
    }

    #[test]
    fn antipodes_are_half_the_circumference() {
        let d = LonLat::new(0.0, 10.0).unwrap().distance_m(LonLat::new(180.0, -10.0).unwrap());
        assert!((d - std::f64::consts::PI * EARTH_RADIUS_M).abs() < 1.0);
    }

    #[test]
    fn chord_is_monotonic_with_distance() {
        let c1 = chord2_for_distance_m(1_000.0);
        let c2 = chord2_for_distance_m(2_000.0);
        assert!(c1 < c2);
        let a = LonLat::new(10.0, 10.0).unwrap();
        let b = LonLat::new(10.01, 10.0).unwrap();
        let [x1, y1, z1] = a.to_xyz();
        let [x2, y2, z2] = b.to_xyz();
        let chord2 = (x1 - x2).powi(2) + (y1 - y2).powi(2) + (z1 - z2).powi(2);
        assert!((chord2 - chord2_for_distance_m(a.distance_m(b))).abs() < 1e-15);
    }
}
