//! Search areas: GeoJSON Polygon, MultiPolygon or a Feature holding one, validated and
//! prepared for containment tests, including polygons that cross the antimeridian.

mod validity;

use crate::model::LonLat;
use geo::{BoundingRect, Intersects};
use geo::{Coord, LineString, MultiPolygon, Polygon, Rect};
use serde_json::Value;

/// Most vertices accepted in one search area (all rings of all polygons).
pub const MAX_VERTICES: usize = 10_000;

/// A problem with a submitted area; `field` is a JSON path such as `polygon.coordinates[0][2]`.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct AreaError {
    pub field: String,
    pub message: String,
}

fn err(field: impl Into<String>, message: impl Into<String>) -> AreaError {
    AreaError { field: field.into(), message: message.into() }
}

/// A validated search area. Polygons that cross the antimeridian are stored with continuous
/// longitudes (e.g. 177..183), and points are tested at `lon` and `lon ± 360`.
#[derive(Debug, Clone)]
pub struct Area {
    shape: MultiPolygon<f64>,
    bounds: Rect<f64>,
}

impl Area {
    /// Parses GeoJSON. `field` names the member in the request (e.g. "polygon") for errors.
    pub fn from_geojson(value: &Value, field: &str) -> Result<Area, AreaError> {
        let kind = value.get("type").and_then(Value::as_str).ok_or_else(|| {
            err(format!("{field}.type"), "must be \"Polygon\", \"MultiPolygon\" or \"Feature\"")
        })?;
        let coordinates = value.get("coordinates");
        let coords =
            |_: &Value| coordinates.ok_or_else(|| err(format!("{field}.coordinates"), "is required"));
        let polygons = match kind {
            "Feature" => {
                let geometry = value.get("geometry").filter(|g| !g.is_null()).ok_or_else(|| {
                    err(format!("{field}.geometry"), "a Feature needs a Polygon or MultiPolygon geometry")
                })?;
                return Area::from_geojson(geometry, &format!("{field}.geometry"));
            }
            "Polygon" => vec![parse_polygon(coords(value)?, &format!("{field}.coordinates"), &mut 0)?],
            "MultiPolygon" => {
                let list = coords(value)?
                    .as_array()
                    .ok_or_else(|| err(format!("{field}.coordinates"), "must be an array of polygons"))?;
                if list.is_empty() {
                    return Err(err(format!("{field}.coordinates"), "must hold at least one polygon"));
                }
                // The vertex limit holds for all polygons together.
                let mut vertices = 0;
                list.iter()
                    .enumerate()
                    .map(|(i, p)| parse_polygon(p, &format!("{field}.coordinates[{i}]"), &mut vertices))
                    .collect::<Result<Vec<_>, _>>()?
            }
            other => {
                return Err(err(
                    format!("{field}.type"),
                    format!("'{other}' is not supported; use Polygon, MultiPolygon or Feature"),
                ));
            }
        };
        let shape = MultiPolygon::new(polygons);
        let bounds = shape.bounding_rect().ok_or_else(|| err(field, "is empty"))?;
        Ok(Area { shape, bounds })
    }

    pub fn south(&self) -> f64 {
        self.bounds.min().y
    }

    pub fn north(&self) -> f64 {
        self.bounds.max().y
    }

    /// The longitude ranges (each within -180..=180) that the area's bounds cover.
    pub fn lon_ranges(&self) -> Vec<(f64, f64)> {
        let (w, e) = (self.bounds.min().x, self.bounds.max().x);
        if e - w >= 360.0 {
            return vec![(-180.0, 180.0)];
        }
        let mut out = Vec::new();
        // Shift the range into pieces inside -180..=180.
        for shift in [-360.0, 0.0, 360.0] {
            let (a, b) = ((w + shift).max(-180.0), (e + shift).min(180.0));
            if a <= b {
                out.push((a, b));
            }
        }
        out
    }

    /// Feeds every vertex, ring by ring, to `h`, each ring and polygon preceded by its length
    /// so that no two different areas feed the same bytes.
    pub fn feed(&self, h: &mut sha2::Sha256) {
        use sha2::Digest;
        h.update((self.shape.0.len() as u64).to_be_bytes());
        for polygon in &self.shape.0 {
            h.update((polygon.interiors().len() as u64).to_be_bytes());
            for ring in std::iter::once(polygon.exterior()).chain(polygon.interiors()) {
                h.update((ring.0.len() as u64).to_be_bytes());
                for c in &ring.0 {
                    h.update(c.x.to_bits().to_be_bytes());
                    h.update(c.y.to_bits().to_be_bytes());
                }
            }
        }
    }

    /// Boundary included. Each test walks every edge, so the bounds come first: they rule out
    /// two of the three longitudes tried for almost every point.
    pub fn contains(&self, p: LonLat) -> bool {
        let (min, max) = (self.bounds.min(), self.bounds.max());
        [0.0, 360.0, -360.0].into_iter().map(|shift| Coord { x: p.lon + shift, y: p.lat }).any(|c| {
            (min.x..=max.x).contains(&c.x) && (min.y..=max.y).contains(&c.y) && self.shape.intersects(&c)
        })
    }
}

/// Parses one polygon; `total` counts vertices across every polygon of the request.
fn parse_polygon(v: &Value, path: &str, total: &mut usize) -> Result<Polygon<f64>, AreaError> {
    let rings = v.as_array().ok_or_else(|| err(path, "must be an array of linear rings"))?;
    if rings.is_empty() {
        return Err(err(path, "a polygon needs an exterior ring"));
    }
    let mut parsed: Vec<Vec<Coord<f64>>> = Vec::with_capacity(rings.len());
    for (r, ring) in rings.iter().enumerate() {
        let rpath = format!("{path}[{r}]");
        let positions =
            ring.as_array().ok_or_else(|| err(&rpath, "a ring must be an array of [lon, lat] positions"))?;
        *total += positions.len();
        if *total > MAX_VERTICES {
            return Err(err(path, format!("too many vertices: at most {MAX_VERTICES} are accepted")));
        }
        if positions.len() < 4 {
            return Err(err(
                &rpath,
                format!(
                    "a ring needs at least 4 positions (the first repeated at the end); this one has {}",
                    positions.len()
                ),
            ));
        }
        let mut coords = Vec::with_capacity(positions.len());
        for (i, pos) in positions.iter().enumerate() {
            coords.push(parse_position(pos, &format!("{rpath}[{i}]"))?);
        }
        if coords.first() != coords.last() {
            return Err(err(&rpath, "the ring is not closed: its last position must equal its first"));
        }
        parsed.push(coords);
    }
    // A ring with an edge longer than 180° of longitude crosses the antimeridian: unwrap it.
    let crosses = parsed.iter().any(|ring| ring.windows(2).any(|w| (w[1].x - w[0].x).abs() > 180.0));
    if crosses {
        for ring in &mut parsed {
            for c in ring.iter_mut() {
                if c.x < 0.0 {
                    c.x += 360.0;
                }
            }
        }
    }
    let mut rings = parsed.into_iter().map(LineString::new);
    let exterior = rings.next().expect("checked non-empty");
    let polygon = Polygon::new(exterior, rings.collect());
    // Sweep-based, O(n log n): a heavy polygon costs milliseconds, not seconds.
    if let Err(problem) = validity::check(&polygon) {
        return Err(err(path, format!("invalid polygon: {problem}")));
    }
    Ok(polygon)
}

fn parse_position(v: &Value, path: &str) -> Result<Coord<f64>, AreaError> {
    let arr = v
        .as_array()
        .filter(|a| a.len() == 2 || a.len() == 3)
        .ok_or_else(|| err(path, "a position must be [longitude, latitude]"))?;
    let lon = arr[0].as_f64().ok_or_else(|| err(path, "longitude must be a number"))?;
    let lat = arr[1].as_f64().ok_or_else(|| err(path, "latitude must be a number"))?;
    if !(-180.0..=180.0).contains(&lon) {
        return Err(err(path, format!("longitude {lon} is outside -180..180")));
    }
    if !(-90.0..=90.0).contains(&lat) {
        return Err(err(path, format!("latitude {lat} is outside -90..90")));
    }
    Ok(Coord { x: lon, y: lat })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn square(w: f64, s: f64, e: f64, n: f64) -> Vec<[f64; 2]> {
        vec![[w, s], [e, s], [e, n], [w, n], [w, s]]
    }

    #[test]
    fn polygon_with_hole() {
        let a = Area::from_geojson(
            &json!({"type": "Polygon", "coordinates": [square(0.0, 0.0, 10.0, 10.0), square(4.0, 4.0, 6.0, 6.0)]}),
            "polygon",
        )
        .unwrap();
        assert!(a.contains(LonLat { lon: 1.0, lat: 1.0 }));
        assert!(!a.contains(LonLat { lon: 5.0, lat: 5.0 }));
        assert!(!a.contains(LonLat { lon: 11.0, lat: 5.0 }));
    }

    #[test]
    fn polygon_across_the_antimeridian() {
        let ring = vec![[177.0, -19.0], [-178.0, -19.0], [-178.0, -16.0], [177.0, -16.0], [177.0, -19.0]];
        let a = Area::from_geojson(&json!({"type": "Polygon", "coordinates": [ring]}), "polygon").unwrap();
        assert!(a.contains(LonLat { lon: 179.0, lat: -17.0 }));
        assert!(a.contains(LonLat { lon: -179.0, lat: -17.0 }));
        assert!(!a.contains(LonLat { lon: 0.0, lat: -17.0 }));
        assert!(!a.contains(LonLat { lon: 176.0, lat: -17.0 }));
        assert_eq!(a.lon_ranges(), vec![(-180.0, -178.0), (177.0, 180.0)]);
    }

    #[test]
    fn invalid_polygons_name_the_problem() {
        let e = |v: Value| Area::from_geojson(&v, "polygon").unwrap_err();
        assert!(
            e(json!({"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [0, 0]]]}))
                .message
                .contains("at least 4")
        );
        assert!(
            e(json!({"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}))
                .message
                .contains("not closed")
        );
        let bow = json!({"type": "Polygon", "coordinates": [[[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]]});
        assert!(e(bow).message.contains("self-intersection"));
        assert_eq!(e(json!({"type": "Point", "coordinates": [0, 0]})).field, "polygon.type");
        let big: Vec<[f64; 2]> = (0..10_001).map(|i| [i as f64 * 1e-5, 0.0]).collect();
        assert!(e(json!({"type": "Polygon", "coordinates": [big]})).message.contains("too many vertices"));
        assert_eq!(
            e(json!({"type": "Polygon", "coordinates": [[[0, 0], [200, 0], [1, 1], [0, 0]]]})).field,
            "polygon.coordinates[0][1]"
        );
    }
}
