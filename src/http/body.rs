//! JSON request bodies: one strict reader for every route that takes one (search, admin
//! create and edit).
//!
//! serde_json alone keeps the last of two equal keys (`{"near": …, "near": …}` would search
//! the second point) and reports a number it cannot hold against the whole body. Here a
//! repeated key at any depth is refused, and every error names the path where it happened
//! (`near`, `near.lat`, `polygon.coordinates[0]`), or `body` when it concerns the whole text.

use super::problem::ApiError;
use actix_web::HttpRequest;
use actix_web::http::header;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, de::DeserializeOwned};
use serde_json::{Map, Number, Value};
use serde_path_to_error::{Path, Segment};
use std::fmt;

/// Checks the content type and reads `bytes` as JSON with unique keys.
pub fn read_json(req: &HttpRequest, bytes: &[u8]) -> Result<Value, ApiError> {
    require_json(req)?;
    parse_unique(bytes)
}

/// Refuses a body that is not declared as JSON.
pub fn require_json(req: &HttpRequest) -> Result<(), ApiError> {
    let content_type = req.headers().get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let mime = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if mime != "application/json" && !mime.ends_with("+json") {
        return Err(ApiError::UnsupportedMediaType(format!(
            "send the body as application/json, not '{}'",
            if content_type.is_empty() { "nothing" } else { content_type }
        )));
    }
    Ok(())
}

/// Parses JSON text, refusing a repeated key anywhere; errors name the path.
pub fn parse_unique(bytes: &[u8]) -> Result<Value, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize::<_, UniqueKeys>(&mut de).map_err(|e| {
        // A body that ends too early is wrong as a whole; anything else is named where it happened.
        match field_of(e.path()).filter(|_| !e.inner().is_eof()) {
            Some(field) => ApiError::field(&field, e.into_inner().to_string()),
            None => ApiError::field("body", format!("is not valid JSON: {}", e.into_inner())),
        }
    })?;
    de.end().map_err(|e| ApiError::field("body", format!("is not valid JSON: {e}")))?;
    Ok(value.0)
}

/// Reads `bytes` as JSON with unique keys straight into `T`: the text is parsed once, and the
/// parsed tree is moved (never copied) into the typed body. Errors name the field's path.
pub fn read_typed<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(parse_unique(bytes)?)
        .map_err(|e| ApiError::field(field_of(e.path()).as_deref().unwrap_or("body"), e.inner().to_string()))
}

/// `near.lat`, `bbox[2]`: the path as far as it is known (a key that failed to parse is not);
/// `None` at the top level.
fn field_of(path: &Path) -> Option<String> {
    let mut out = String::new();
    for segment in path.iter() {
        match segment {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Segment::Unknown => break,
        }
    }
    (!out.is_empty()).then_some(out)
}

/// A JSON value read with unique object keys.
struct UniqueKeys(Value);

impl<'de> Deserialize<'de> for UniqueKeys {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(UniqueVisitor).map(UniqueKeys)
    }
}

struct UniqueVisitor;

impl<'de> Visitor<'de> for UniqueVisitor {
    type Value = Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<Value, E> {
        Ok(Value::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<Value, E> {
        Ok(Value::Number(v.into()))
    }

    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Value, E> {
        Number::from_f64(v).map(Value::Number).ok_or_else(|| E::custom("is not a finite number"))
    }

    fn visit_str<E>(self, v: &str) -> Result<Value, E> {
        Ok(Value::String(v.to_string()))
    }

    fn visit_string<E>(self, v: String) -> Result<Value, E> {
        Ok(Value::String(v))
    }

    fn visit_unit<E>(self) -> Result<Value, E> {
        Ok(Value::Null)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Value, A::Error> {
        let mut items = Vec::new();
        while let Some(UniqueKeys(v)) = seq.next_element()? {
            items.push(v);
        }
        Ok(Value::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Value, A::Error> {
        let mut out = Map::new();
        while let Some(key) = map.next_key::<String>()? {
            if out.contains_key(&key) {
                // Fails inside the repeated key's value, so the error's path names that key.
                map.next_value_seed(Repeated)?;
            }
            let UniqueKeys(v) = map.next_value()?;
            out.insert(key, v);
        }
        Ok(Value::Object(out))
    }
}

/// The value of a key seen before: always an error.
struct Repeated;

impl<'de> DeserializeSeed<'de> for Repeated {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, _: D) -> Result<(), D::Error> {
        Err(de::Error::custom("is given more than once; give each key once"))
    }
}

/// A list of at most `N` items. Item `N + 1` is refused without being read as an item, so an
/// overlong list gets no per-item work (checking codes, removing repeats) before it is refused.
#[derive(Debug, Clone, PartialEq)]
pub struct Bounded<T, const N: usize>(pub Vec<T>);

impl<'de, T: Deserialize<'de>, const N: usize> Deserialize<'de> for Bounded<T, N> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T, const N: usize>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>, const N: usize> Visitor<'de> for V<T, N> {
            type Value = Bounded<T, N>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(f, "a list of at most {N} items")
            }

            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut items = Vec::new();
                while items.len() < N {
                    match seq.next_element()? {
                        Some(item) => items.push(item),
                        None => return Ok(Bounded(items)),
                    }
                }
                match seq.next_element::<de::IgnoredAny>()? {
                    Some(_) => Err(de::Error::custom(format!("has more than {N} entries; give at most {N}"))),
                    None => Ok(Bounded(items)),
                }
            }
        }
        d.deserialize_seq(V::<T, N>(std::marker::PhantomData))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::problem::FieldError;

    fn fields(e: ApiError) -> Vec<FieldError> {
        match e {
            ApiError::BadRequest { errors, .. } => errors,
            other => panic!("not a 400: {other:?}"),
        }
    }

    #[test]
    fn repeated_keys_are_refused_at_their_path() {
        for (text, field) in [
            (r#"{"near": {"lat": 1, "lon": 2}, "near": {"lat": 3, "lon": 4}}"#, "near"),
            (r#"{"near": {"lat": 1, "lat": 2, "lon": 3}}"#, "near.lat"),
            (r#"{"polygon": {"coordinates": [[{"a": 1, "a": 1}]]}}"#, "polygon.coordinates[0][0].a"),
        ] {
            let errors = fields(parse_unique(text.as_bytes()).unwrap_err());
            assert_eq!(errors[0].field, field, "{text}: {errors:?}");
            assert!(errors[0].message.contains("more than once"), "{errors:?}");
        }
        // Equal keys in different objects are fine, and order is kept.
        let v = parse_unique(br#"{"b": {"x": 1}, "a": {"x": [1.5, -2, true, null, "s"]}}"#).unwrap();
        assert_eq!(v.to_string(), r#"{"b":{"x":1},"a":{"x":[1.5,-2,true,null,"s"]}}"#);
    }

    #[test]
    fn errors_name_their_path_or_the_body() {
        let at = |text: &str| fields(parse_unique(text.as_bytes()).unwrap_err())[0].field.clone();
        assert_eq!(at(r#"{"near": {"lat": 1e400, "lon": 0}}"#), "near.lat");
        assert_eq!(at(r#"{"bbox": [1, 2, -1e999, 4]}"#), "bbox[2]");
        assert_eq!(at("{nope"), "body");
        assert_eq!(at(r#"{"near": {"lat": 26.8,"#), "body", "a truncated body");
        assert_eq!(at(r#"{"near": {"lat": 26.8,, "lon": 1}}"#), "near", "where the syntax broke");
        assert_eq!(at(r#"{"a": 1} trailing"#), "body");
        let deep = format!("{}{}", "[".repeat(200), "]".repeat(200));
        assert!(parse_unique(deep.as_bytes()).is_err(), "nesting depth is limited");
    }

    #[test]
    fn bounded_lists_stop_at_the_bound() {
        let ok: Bounded<String, 2> = serde_json::from_str(r#"["a", "b"]"#).unwrap();
        assert_eq!(ok.0, vec!["a", "b"]);
        let e = serde_json::from_str::<Bounded<String, 2>>(r#"["a", "b", 3]"#).unwrap_err();
        assert!(e.to_string().contains("more than 2 entries"), "{e}: the third is not read as a string");
    }
}
