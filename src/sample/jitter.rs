//! Portable planar offsets for placing a row near its town: only basic arithmetic, `sqrt` and a
//! polynomial cosine, so the bytes are the same on every platform.

use crate::model::EARTH_RADIUS_M;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

pub(super) const METRES_PER_DEGREE: f64 = EARTH_RADIUS_M * std::f64::consts::PI / 180.0;

/// A point uniformly distributed in the unit disc (rejection sampling, no trigonometry).
pub(super) fn in_disc(rng: &mut ChaCha8Rng) -> (f64, f64) {
    loop {
        let x = 2.0 * rng.random::<f64>() - 1.0;
        let y = 2.0 * rng.random::<f64>() - 1.0;
        if x * x + y * y <= 1.0 {
            return (x, y);
        }
    }
}

/// A uniformly distributed unit vector.
pub(super) fn direction(rng: &mut ChaCha8Rng) -> (f64, f64) {
    loop {
        let (x, y) = in_disc(rng);
        let r2 = x * x + y * y;
        if r2 > 0.01 {
            let r = r2.sqrt();
            return (x / r, y / r);
        }
    }
}

/// Moves a point `east_m` metres east and `north_m` metres north (local flat approximation, fine
/// for tens of kilometres), keeping latitude in range and wrapping longitude into [-180, 180].
pub(super) fn offset(lat: f64, lon: f64, east_m: f64, north_m: f64) -> (f64, f64) {
    let cos_lat = cos_degrees(lat).max(0.01);
    let new_lat = (lat + north_m / METRES_PER_DEGREE).clamp(-90.0, 90.0);
    let mut new_lon = lon + east_m / (METRES_PER_DEGREE * cos_lat);
    if new_lon > 180.0 {
        new_lon -= 360.0;
    } else if new_lon < -180.0 {
        new_lon += 360.0;
    }
    if new_lat.abs() < 1e-6 && new_lon.abs() < 1e-6 {
        // (0,0) is what broken spreadsheets produce; never emit it.
        return (1e-3, new_lon);
    }
    (new_lat, new_lon)
}

/// cos of a latitude in degrees (|lat| <= 90) by its Taylor series, using only + and *, so the
/// result is identical on every platform (libm's `cos` may differ in the last bit).
pub(super) fn cos_degrees(lat: f64) -> f64 {
    let x = lat.clamp(-90.0, 90.0).to_radians();
    let x2 = x * x;
    // Horner form of sum_{k=0}^{11} (-1)^k x^(2k) / (2k)!; the next term is < 1e-16 for |x| <= pi/2.
    let mut acc = 1.0;
    for k in (1..=11u32).rev() {
        let denom = f64::from((2 * k - 1) * (2 * k));
        acc = 1.0 - x2 / denom * acc;
    }
    acc
}
