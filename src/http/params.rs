//! Query-string parsing with an error per named field, all reported at once.

use super::problem::{ApiError, FieldError};
use crate::model::fields::parse_languages;
use crate::model::{Category, LonLat, check_lat, check_lon};
use crate::query::{BoundingBox, Filters};
use std::collections::HashMap;

/// The parameters of one request, and the errors found so far.
pub struct Params {
    values: HashMap<String, String>,
    pub errors: Vec<FieldError>,
}

impl Params {
    /// Parses a query string. Parameters outside `allowed` are errors: a mistyped filter
    /// (`categories=` for `category=`) must not silently widen an answer.
    pub fn parse(query_string: &str, allowed: &[&str]) -> Result<Params, ApiError> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query_string)
            .map_err(|_| ApiError::field("query", "the query string is not valid URL encoding"))?;
        let mut values = HashMap::new();
        let mut errors = Vec::new();
        for (k, v) in pairs {
            if !allowed.contains(&k.as_str()) {
                errors.push(FieldError::new(
                    &k,
                    format!("is not a parameter of this route; allowed: {}", allowed.join(", ")),
                ));
            } else if values.insert(k.clone(), v).is_some() {
                errors.push(FieldError::new(
                    &k,
                    "is given more than once; give it once (lists are comma-separated)",
                ));
            }
        }
        Ok(Params { values, errors })
    }

    fn error(&mut self, field: &str, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, message));
    }

    pub fn str(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// A finite number, if present.
    pub fn number(&mut self, name: &str) -> Option<f64> {
        let raw = self.values.get(name)?.trim().to_string();
        match raw.parse::<f64>() {
            Ok(v) if v.is_finite() => Some(v),
            _ => {
                self.error(name, format!("'{raw}' is not a finite number"));
                None
            }
        }
    }

    pub fn required_number(&mut self, name: &str) -> Option<f64> {
        if !self.values.contains_key(name) {
            self.error(name, "is required");
            return None;
        }
        self.number(name)
    }

    /// A point from `lat` and `lon`.
    pub fn point(&mut self) -> Option<LonLat> {
        let lat = self.required_number("lat").and_then(|v| self.check(v, "lat", check_lat));
        let lon = self.required_number("lon").and_then(|v| self.check(v, "lon", check_lon));
        Some(LonLat { lon: lon?, lat: lat? })
    }

    fn check<E: ToString>(&mut self, v: f64, name: &str, f: impl Fn(f64) -> Result<f64, E>) -> Option<f64> {
        f(v).map_err(|e| self.error(name, e.to_string())).ok()
    }

    /// An integer in `min..=max`, or `default` when absent.
    pub fn int_in(&mut self, name: &str, min: u64, max: u64, default: u64) -> u64 {
        let Some(raw) = self.values.get(name).map(|s| s.trim().to_string()) else {
            return default;
        };
        match raw.parse::<u64>() {
            Ok(v) if (min..=max).contains(&v) => v,
            _ => {
                self.error(name, format!("must be a whole number from {min} to {max}, not '{raw}'"));
                default
            }
        }
    }

    /// A positive number up to `max`, if present.
    pub fn positive_up_to(&mut self, name: &str, max: f64, unit: &str) -> Option<f64> {
        let v = self.number(name)?;
        if v > 0.0 && v <= max {
            Some(v)
        } else {
            self.error(name, format!("must be greater than 0 and at most {max} {unit}"));
            None
        }
    }

    /// `bbox=w,s,e,n`.
    pub fn bbox(&mut self) -> Option<BoundingBox> {
        let Some(raw) = self.values.get("bbox").cloned() else {
            self.error("bbox", "is required: west,south,east,north in degrees");
            return None;
        };
        match parse_bbox_parts(&raw.split(',').map(str::trim).collect::<Vec<_>>()) {
            Ok(b) => Some(b),
            Err(m) => {
                self.error("bbox", m);
                None
            }
        }
    }

    /// `category`, `language`, `open_24_7`.
    pub fn filters(&mut self) -> Filters {
        let mut f = Filters::default();
        if let Some(raw) = self.values.get("category").cloned() {
            for part in raw.split(',').map(str::trim).filter(|s| !s.is_empty()) {
                match part.parse::<Category>() {
                    Ok(c) if !f.categories.contains(&c) => f.categories.push(c),
                    Ok(_) => {}
                    Err(e) => self.error("category", e.to_string()),
                }
            }
        }
        if let Some(raw) = self.values.get("language").cloned() {
            match parse_languages(&raw) {
                Ok(l) => f.languages = l,
                Err(m) => self.error("language", m),
            }
        }
        if let Some(raw) = self.values.get("open_24_7").cloned() {
            match crate::model::fields::parse_bool(&raw) {
                Ok(b) => f.open_24_7 = Some(b),
                Err(m) => self.error("open_24_7", m),
            }
        }
        f
    }

    /// Fails with every collected error, if any.
    pub fn finish(self) -> Result<(), ApiError> {
        if self.errors.is_empty() { Ok(()) } else { Err(ApiError::invalid(self.errors)) }
    }
}

/// A path id such as `/v1/providers/{id}`; `what` names the thing in the message ("provider").
pub fn parse_id(raw: &str, what: &str) -> Result<i64, ApiError> {
    raw.parse().map_err(|_| ApiError::field("id", format!("'{raw}' is not a {what} id (a whole number)")))
}

/// Checks the four numbers of a bounding box.
pub fn parse_bbox_parts<S: AsRef<str>>(parts: &[S]) -> Result<BoundingBox, String> {
    if parts.len() != 4 {
        return Err(format!("needs exactly four numbers west,south,east,north; got {}", parts.len()));
    }
    let mut v = [0.0; 4];
    for (i, p) in parts.iter().enumerate() {
        let p = p.as_ref();
        v[i] = p
            .parse::<f64>()
            .ok()
            .filter(|x| x.is_finite())
            .ok_or_else(|| format!("'{p}' is not a finite number"))?;
    }
    bbox_from_numbers(v)
}

pub fn bbox_from_numbers([west, south, east, north]: [f64; 4]) -> Result<BoundingBox, String> {
    if !v_in(west, 180.0) || !v_in(east, 180.0) {
        return Err("west and east must be longitudes between -180 and 180".into());
    }
    if !v_in(south, 90.0) || !v_in(north, 90.0) {
        return Err("south and north must be latitudes between -90 and 90".into());
    }
    if south > north {
        return Err(format!("south ({south}) must not be greater than north ({north})"));
    }
    Ok(BoundingBox { west, south, east, north })
}

fn v_in(v: f64, limit: f64) -> bool {
    v.is_finite() && (-limit..=limit).contains(&v)
}
