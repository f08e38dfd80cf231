//! The OpenAPI definition of `/ogc`. utoipa writes OpenAPI 3.1; GIS clients read 3.0, so the
//! OGC part is converted here: `openapi: 3.0.3`, `type: [T, "null"]` and `oneOf` with a null
//! branch become `nullable: true`, and the few 3.1-only keywords utoipa emits are rewritten.

use super::super::problem;
use super::{Collection, Collections, Conformance, Extent, LandingPage, Link, SpatialExtent, TemporalExtent};
use serde_json::{Map, Value, json};
use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Bellmap OGC API – Features",
        description = "Domestic-violence service providers as OGC API – Features (Part 1 Core, GeoJSON, \
            OpenAPI 3.0; Part 3 queryables and CQL2 filters). Confidential shelters appear only at an \
            approximate public point, without address.",
        license(name = "Apache-2.0"),
    ),
    paths(
        super::landing,
        super::api,
        super::conformance,
        super::collections,
        super::collection,
        super::queryables,
        super::items,
        super::item,
    ),
    components(schemas(
        LandingPage,
        Link,
        Conformance,
        Collections,
        Collection,
        Extent,
        SpatialExtent,
        TemporalExtent,
        problem::Problem,
        problem::FieldError,
    )),
    tags((name = "ogc", description = "OGC API – Features: the providers as a feature collection for GIS tools")),
)]
pub struct OgcDoc;

/// The OGC part as OpenAPI 3.0 (pretty JSON).
pub fn openapi_30() -> Result<String, serde_json::Error> {
    let mut v = serde_json::to_value(OgcDoc::openapi())?;
    to_30(&mut v);
    // Paths relative to the API's root, `/ogc` (the server), as OGC clients look them up: GDAL
    // reads the parameters of `/collections/{collectionId}/items` to learn what it may send.
    if let Some(paths) = v.get_mut("paths").and_then(Value::as_object_mut) {
        let relative: Map<String, Value> = std::mem::take(paths)
            .into_iter()
            .map(|(path, item)| {
                let rest = path.strip_prefix("/ogc").unwrap_or(&path);
                (if rest.is_empty() { "/".to_string() } else { rest.to_string() }, item)
            })
            .collect();
        *paths = relative;
    }
    v["servers"] = json!([{ "url": "/ogc", "description": "This server's OGC API – Features" }]);
    // utoipa has no default or enum for a parameter given as a tuple: set here.
    let items = &mut v["paths"]["/collections/{collectionId}/items"]["get"]["parameters"];
    if let Some(params) = items.as_array_mut() {
        for p in params.iter_mut() {
            match p["name"].as_str() {
                Some("limit") => p["schema"]["default"] = json!(super::DEFAULT_LIMIT),
                Some("filter-lang") => p["schema"]["enum"] = json!(["cql2-text", "cql2-json"]),
                Some("f") => p["schema"]["enum"] = json!(["geojson", "json"]),
                _ => {}
            }
        }
    }
    serde_json::to_string_pretty(&v)
}

/// Rewrites a 3.1 document (as utoipa writes it) into 3.0.
pub fn to_30(doc: &mut Value) {
    if let Some(o) = doc.as_object_mut() {
        o.insert("openapi".into(), json!("3.0.3"));
        o.remove("jsonSchemaDialect");
        o.remove("webhooks");
        if let Some(license) =
            o.get_mut("info").and_then(|i| i.get_mut("license")).and_then(Value::as_object_mut)
        {
            // 3.0 has no licence identifier.
            license.remove("identifier");
        }
    }
    walk(doc);
}

/// Rewrites every schema-like object below `v`.
fn walk(v: &mut Value) {
    match v {
        Value::Array(items) => items.iter_mut().for_each(walk),
        Value::Object(o) => {
            for child in o.values_mut() {
                walk(child);
            }
            schema_30(o);
        }
        _ => {}
    }
}

fn is_null_schema(v: &Value) -> bool {
    v.get("type").and_then(Value::as_str) == Some("null")
}

/// One schema object from 3.1 to 3.0 (its children are already rewritten).
fn schema_30(o: &mut Map<String, Value>) {
    // type: [T, "null"] -> type: T, nullable
    if let Some(Value::Array(types)) = o.get("type").cloned() {
        let rest: Vec<Value> = types.iter().filter(|t| t.as_str() != Some("null")).cloned().collect();
        if rest.len() < types.len() {
            o.insert("nullable".into(), json!(true));
        }
        match rest.as_slice() {
            [one] => {
                o.insert("type".into(), one.clone());
            }
            [] => {
                o.remove("type");
            }
            many => {
                // Several types: 3.0 can only say "any of these".
                o.remove("type");
                let branches: Vec<Value> = many.iter().map(|t| json!({ "type": t })).collect();
                o.insert("anyOf".into(), Value::Array(branches));
            }
        }
    }
    // oneOf/anyOf with a {"type": "null"} branch -> the other branches, nullable.
    for key in ["oneOf", "anyOf"] {
        if let Some(Value::Array(branches)) = o.get(key).cloned() {
            let rest: Vec<Value> = branches.iter().filter(|b| !is_null_schema(b)).cloned().collect();
            if rest.len() < branches.len() {
                o.insert("nullable".into(), json!(true));
                if rest.len() == 1 {
                    // A $ref may have no siblings in 3.0: wrap it in allOf.
                    o.remove(key);
                    let only = rest.into_iter().next().unwrap_or(Value::Null);
                    if only.get("$ref").is_some() {
                        o.insert("allOf".into(), json!([only]));
                    } else if let Value::Object(inner) = only {
                        for (k, val) in inner {
                            o.entry(k).or_insert(val);
                        }
                    }
                } else {
                    o.insert(key.into(), Value::Array(rest));
                }
            }
        }
    }
    // const -> a one-value enum.
    if let Some(c) = o.remove("const") {
        o.insert("enum".into(), json!([c]));
    }
    // 3.1's numeric exclusive bounds -> 3.0's boolean form.
    for (exclusive, bound) in [("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")] {
        if let Some(n) = o.get(exclusive).filter(|v| v.is_number()).cloned() {
            o.insert(bound.into(), n);
            o.insert(exclusive.into(), json!(true));
        }
    }
    // examples (a list) -> example (one), in schemas; media types keep their examples map.
    if let Some(Value::Array(examples)) = o.get("examples").cloned() {
        o.remove("examples");
        if let Some(first) = examples.into_iter().next() {
            o.insert("example".into(), first);
        }
    }
    o.remove("$schema");
    o.remove("contentMediaType");
    o.remove("contentEncoding");
    // A $ref with siblings (description, nullable): 3.0 ignores or forbids them.
    if o.contains_key("$ref") && o.len() > 1 {
        let r = o.remove("$ref").unwrap_or(Value::Null);
        o.insert("allOf".into(), json!([{ "$ref": r }]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ogc_definition_is_openapi_30() {
        let text = openapi_30().unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v["openapi"], "3.0.3");
        assert!(v["paths"]["/collections/{collectionId}/items"].is_object());
        assert!(v["paths"]["/"].is_object(), "the landing page");
        assert_eq!(v["servers"][0]["url"], "/ogc");
        // Nothing of 3.1 is left: no type lists, no null types.
        fn check(v: &Value, at: &str) {
            match v {
                Value::Object(o) => {
                    if let Some(t) = o.get("type").filter(|t| !t.is_object()) {
                        assert!(t.is_string() && t != "null", "{at}: type {t}");
                    }
                    assert!(!o.contains_key("const"), "{at}");
                    if o.contains_key("$ref") {
                        assert_eq!(o.len(), 1, "{at}: a $ref with siblings");
                    }
                    for (k, c) in o {
                        check(c, &format!("{at}/{k}"));
                    }
                }
                Value::Array(a) => a.iter().enumerate().for_each(|(i, c)| check(c, &format!("{at}/{i}"))),
                _ => {}
            }
        }
        check(&v, "");
        // limit is declared with its bounds (GDAL reads the maximum as its page size).
        let params = v["paths"]["/collections/{collectionId}/items"]["get"]["parameters"].as_array().unwrap();
        let limit = params.iter().find(|p| p["name"] == "limit").unwrap();
        assert_eq!(limit["schema"]["minimum"], 1);
        assert_eq!(limit["schema"]["maximum"], super::super::MAX_LIMIT);
        assert_eq!(limit["schema"]["default"], super::super::DEFAULT_LIMIT);
    }

    #[test]
    fn nullable_forms_are_rewritten() {
        let mut v = json!({"openapi": "3.1.0", "components": {"schemas": {"A": {"type": "object", "properties": {
            "a": {"type": ["string", "null"]},
            "b": {"oneOf": [{"type": "null"}, {"$ref": "#/components/schemas/B"}]},
            "c": {"$ref": "#/components/schemas/B", "description": "x"},
            "d": {"type": "integer", "exclusiveMinimum": 0},
        }}}}});
        to_30(&mut v);
        let p = &v["components"]["schemas"]["A"]["properties"];
        assert_eq!(p["a"], json!({"type": "string", "nullable": true}));
        assert_eq!(p["b"], json!({"allOf": [{"$ref": "#/components/schemas/B"}], "nullable": true}));
        assert_eq!(p["c"], json!({"allOf": [{"$ref": "#/components/schemas/B"}], "description": "x"}));
        assert_eq!(p["d"], json!({"type": "integer", "minimum": 0, "exclusiveMinimum": true}));
        assert_eq!(v["openapi"], "3.0.3");
    }
}
