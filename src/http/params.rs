//! Query-string parsing with an error per named field, all reported at once.

use super::problem::{ApiError, FieldError};
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

    /// `category`, `language` (comma-separated lists), `open_24_7`.
    pub fn filters(&mut self) -> Filters {
        let mut f = Filters::default();
        if let Some(raw) = self.values.get("category").cloned() {
            match split_entries(&raw, MAX_CATEGORIES).and_then(|e| category_filter(&e)) {
                Ok(c) => f.categories = c,
                Err(m) => self.error("category", m),
            }
        }
        if let Some(raw) = self.values.get("language").cloned() {
            match split_entries(&raw, MAX_LANGUAGES).and_then(|e| language_filter(&e)) {
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

/// Most entries of a `category` filter: the taxonomy's size.
pub const MAX_CATEGORIES: usize = Category::ALL.len();
/// Most entries of a `language` filter.
pub const MAX_LANGUAGES: usize = 20;

/// A comma-separated list, counted before it is split (an overlong list costs one scan).
fn split_entries(raw: &str, max: usize) -> Result<Vec<&str>, String> {
    let n = raw.bytes().filter(|b| *b == b',').count() + 1;
    if n > max {
        return Err(format!("has {n} entries; give at most {max}"));
    }
    Ok(raw.split(',').collect())
}

/// Checks a filter list's shape: not empty, and no empty entry (a filter that is there must
/// narrow the answer, never silently widen it). The caller has bounded its length.
fn check_entries<S: AsRef<str>>(entries: &[S]) -> Result<(), String> {
    if entries.iter().all(|e| e.as_ref().trim().is_empty()) {
        return Err("is empty; give at least one value, or leave the filter out".into());
    }
    if entries.iter().any(|e| e.as_ref().trim().is_empty()) {
        return Err("has an empty entry; remove the extra comma".into());
    }
    Ok(())
}

/// A category filter from its entries (at most [`MAX_CATEGORIES`]): known slugs, each once.
pub fn category_filter<S: AsRef<str>>(entries: &[S]) -> Result<Vec<Category>, String> {
    check_entries(entries)?;
    let mut out: Vec<Category> = Vec::new();
    for entry in entries {
        let c = entry.as_ref().trim().parse::<Category>().map_err(|e| e.to_string())?;
        if !out.contains(&c) {
            out.push(c);
        }
    }
    Ok(out)
}

/// A language filter from its entries (at most [`MAX_LANGUAGES`]): ISO 639 codes, lower-cased,
/// each once.
pub fn language_filter<S: AsRef<str>>(entries: &[S]) -> Result<Vec<String>, String> {
    check_entries(entries)?;
    let mut out: Vec<String> = Vec::new();
    for entry in entries {
        let entry = entry.as_ref().trim();
        let code = entry.to_ascii_lowercase();
        if !(2..=3).contains(&code.len()) || !code.bytes().all(|b| b.is_ascii_lowercase()) {
            return Err(format!("'{entry}' is not a language code; use ISO 639 codes such as hi, en, ta"));
        }
        if !out.contains(&code) {
            out.push(code);
        }
    }
    Ok(out)
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
