//! CQL2 filters (OGC API – Features Part 3) over the public view of a provider.
//!
//! The `cql2` crate parses cql2-text and cql2-json into one expression tree; this module checks
//! that tree against the queryables (every property known, every comparison of like types,
//! every operator one we implement) and compiles it into a [`Filter`] that is evaluated on a
//! provider's **public** answer (`ProviderDto` with no role): a confidential provider's withheld
//! members are null there and its point is its public point, so a filter can learn nothing the
//! public answer does not show.
//!
//! Supported: Basic CQL2 (`=`, `<>`, `<`, `<=`, `>`, `>=`, `IS NULL`, `AND`, `OR`, `NOT`, on
//! string, number, boolean, `DATE` and `TIMESTAMP` literals), the advanced comparison operators
//! (`LIKE`, `BETWEEN`, `IN`) and `S_INTERSECTS` of `geometry`
//! with a `POINT`, a `BBOX`, a `POLYGON` or a `MULTIPOLYGON`. Logic is three-valued: a
//! comparison with a null property is unknown, and an item is kept only when the whole filter
//! is true.

use crate::http::dto::{Fields, Member, ProviderDto};
use crate::model::LonLat;
use crate::query::{Area, BoundingBox};
use cql2::Expr;
use serde_json::{Value, json};
use sha2::Digest;
use time::format_description::well_known::Rfc3339;
use time::{Date, OffsetDateTime};

/// Longest filter accepted, in bytes: a polygon of a few hundred vertices fits, and the whole
/// request line stays within what the server reads (about 32 KiB with the headers).
pub const MAX_FILTER_BYTES: usize = 8 * 1024;
/// Deepest nesting of operators accepted.
const MAX_DEPTH: usize = 64;

/// The encoding of a `filter` (`filter-lang`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Text,
    Json,
}

impl Lang {
    pub fn parse(raw: &str) -> Result<Lang, String> {
        match raw.trim() {
            "cql2-text" => Ok(Lang::Text),
            "cql2-json" => Ok(Lang::Json),
            other => {
                Err(format!("'{other}' is not a filter language of this server; use cql2-text or cql2-json"))
            }
        }
    }
}

/// The type of a queryable's values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    String,
    Integer,
    Boolean,
    Date,
    Timestamp,
    /// A list of strings (categories, languages): `=` means "has it", `<>` "has it not".
    Tags,
}

/// One property a filter may name: its name, type, the answer member it is read from, and its
/// description in the queryables document.
struct Queryable {
    name: &'static str,
    kind: Kind,
    member: Member,
    title: &'static str,
}

const fn q(name: &'static str, kind: Kind, member: Member, title: &'static str) -> Queryable {
    Queryable { name, kind, member, title }
}

/// Every queryable but `geometry`: members of the public answer. Address, locality and postal
/// code are null for a confidential provider there, and so they are to a filter.
const QUERYABLES: &[Queryable] = &[
    q("id", Kind::Integer, Member::Id, "Provider id"),
    q("name", Kind::String, Member::Name, "Name"),
    q("organization", Kind::String, Member::Organization, "Organisation"),
    q("description", Kind::String, Member::Description, "Description"),
    q(
        "category",
        Kind::Tags,
        Member::Categories,
        "A category slug the provider has (= has it, <> has it not)",
    ),
    q(
        "language",
        Kind::Tags,
        Member::Languages,
        "An ISO 639 language code the provider speaks (= speaks it, <> does not)",
    ),
    q("location_precision", Kind::String, Member::LocationPrecision, "exact or approximate"),
    q(
        "confidential",
        Kind::Boolean,
        Member::Confidential,
        "Whether the location is confidential (served at an approximate public point)",
    ),
    q("address", Kind::String, Member::Address, "Street address (null for a confidential provider)"),
    q("locality", Kind::String, Member::Locality, "Locality (null for a confidential provider)"),
    q("district", Kind::String, Member::District, "District"),
    q("state", Kind::String, Member::State, "State or province"),
    q("postal_code", Kind::String, Member::PostalCode, "Postal code (null for a confidential provider)"),
    q("country", Kind::String, Member::Country, "ISO 3166-1 alpha-2 country code"),
    q("email", Kind::String, Member::Email, "E-mail address"),
    q("website", Kind::String, Member::Website, "Website"),
    q("hours", Kind::String, Member::Hours, "Opening hours, OpenStreetMap opening_hours syntax"),
    q("open_24_7", Kind::Boolean, Member::Open247, "Open around the clock"),
    q("eligibility", Kind::String, Member::Eligibility, "Who may use the service"),
    q("cost", Kind::String, Member::Cost, "Cost"),
    q("wheelchair", Kind::String, Member::Wheelchair, "Wheelchair access: yes, limited, no or unknown"),
    q("verified_on", Kind::Date, Member::VerifiedOn, "When someone last confirmed the record"),
    q("updated_at", Kind::Timestamp, Member::UpdatedAt, "When the record last changed"),
];

/// The name of the spatial queryable: the provider's public point.
pub const GEOMETRY: &str = "geometry";

/// The queryables document's `properties`: each queryable's JSON Schema.
pub fn queryable_schemas() -> serde_json::Map<String, Value> {
    let mut out = serde_json::Map::new();
    out.insert(
        GEOMETRY.into(),
        json!({"title": "The provider's public point (approximate for a confidential provider)", "format": "geometry-point"}),
    );
    for qb in QUERYABLES {
        let mut schema = match qb.kind {
            Kind::String | Kind::Tags => json!({"type": "string"}),
            Kind::Integer => json!({"type": "integer"}),
            Kind::Boolean => json!({"type": "boolean"}),
            Kind::Date => json!({"type": "string", "format": "date"}),
            Kind::Timestamp => json!({"type": "string", "format": "date-time"}),
        };
        schema["title"] = json!(qb.title);
        if qb.name == "category" {
            schema["enum"] = json!(crate::model::Category::ALL.iter().map(|c| c.slug()).collect::<Vec<_>>());
        }
        if qb.name == "location_precision" {
            schema["enum"] = json!(["exact", "approximate"]);
        }
        if qb.name == "wheelchair" {
            schema["enum"] = json!(["yes", "limited", "no", "unknown"]);
        }
        out.insert(qb.name.into(), schema);
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl Op {
    fn parse(op: &str) -> Option<Op> {
        Some(match op {
            "=" => Op::Eq,
            "<>" => Op::Ne,
            "<" => Op::Lt,
            "<=" => Op::Le,
            ">" => Op::Gt,
            ">=" => Op::Ge,
            _ => return None,
        })
    }

    /// The same comparison with its operands swapped (`5 < id` is `id > 5`).
    fn flipped(self) -> Op {
        match self {
            Op::Lt => Op::Gt,
            Op::Le => Op::Ge,
            Op::Gt => Op::Lt,
            Op::Ge => Op::Le,
            same => same,
        }
    }

    fn holds(self, ord: std::cmp::Ordering) -> bool {
        use std::cmp::Ordering::*;
        match self {
            Op::Eq => ord == Equal,
            Op::Ne => ord != Equal,
            Op::Lt => ord == Less,
            Op::Le => ord != Greater,
            Op::Gt => ord == Greater,
            Op::Ge => ord != Less,
        }
    }
}

/// A literal, typed.
#[derive(Debug, Clone, PartialEq)]
enum Lit {
    Str(String),
    Num(f64),
    Bool(bool),
    Date(Date),
    Time(OffsetDateTime),
}

/// Where `S_INTERSECTS` looks.
#[derive(Debug, Clone)]
enum Shape {
    Point(LonLat),
    Box(BoundingBox),
    Area(Box<Area>),
}

impl Shape {
    fn contains(&self, p: LonLat) -> bool {
        match self {
            Shape::Point(q) => q.lat == p.lat && (q.lon == p.lon || p.lat.abs() == 90.0),
            Shape::Box(b) => b.contains(p),
            Shape::Area(a) => a.contains(p),
        }
    }
}

/// A compiled filter expression.
#[derive(Debug, Clone)]
enum Node {
    And(Vec<Node>),
    Or(Vec<Node>),
    Not(Box<Node>),
    Compare(usize, Op, Lit),
    Like(usize, Vec<char>),
    IsNull(usize),
    Intersects(Shape),
}

/// A checked filter, ready to evaluate on public answers.
#[derive(Debug, Clone)]
pub struct Filter {
    node: Node,
    /// The answer members the filter reads (the rest need not be looked up).
    pub members: Fields,
    /// The filter's canonical cql2-json, for cursor scopes.
    pub canonical: String,
}

impl Filter {
    /// Parses and checks a filter. The message names what is wrong; the caller names `filter`.
    pub fn parse(raw: &str, lang: Lang) -> Result<Filter, String> {
        if raw.trim().is_empty() {
            return Err("is empty; give a CQL2 expression or leave filter out".into());
        }
        if raw.len() > MAX_FILTER_BYTES {
            return Err(format!("is longer than {MAX_FILTER_BYTES} bytes"));
        }
        let expr = match lang {
            // The parser recurses per parenthesis: a deep nest is refused before it runs.
            Lang::Text if paren_depth(raw) > MAX_DEPTH => {
                return Err(format!("nests deeper than {MAX_DEPTH} parentheses"));
            }
            Lang::Text => cql2::parse_text(raw)
                .map_err(|e| format!("is not valid cql2-text: {}", first_line(&e.to_string())))?,
            Lang::Json => {
                // Depth first: serde_json's own limit would otherwise be the only one.
                let value: Value = serde_json::from_str(raw).map_err(|e| format!("is not JSON: {e}"))?;
                if depth(&value) > MAX_DEPTH * 2 {
                    return Err(format!("nests deeper than {MAX_DEPTH} operators"));
                }
                cql2::parse_json(raw)
                    .map_err(|e| format!("is not valid cql2-json: {}", first_line(&e.to_string())))?
            }
        };
        let mut members = Vec::new();
        let node = compile(&expr, &mut members, 0)?;
        let canonical = expr.to_json().unwrap_or_else(|_| raw.to_string());
        Ok(Filter { node, members: Fields::of(members), canonical })
    }

    /// Whether the public answer `dto` passes (unknown counts as no).
    pub fn matches(&self, dto: &ProviderDto) -> bool {
        eval(&self.node, dto) == Some(true)
    }

    pub fn feed(&self, h: &mut sha2::Sha256) {
        h.update((self.canonical.len() as u64).to_be_bytes());
        h.update(self.canonical.as_bytes());
    }
}

fn first_line(s: &str) -> String {
    let line = s.lines().next().unwrap_or(s);
    line.chars().take(300).collect()
}

/// The deepest nesting of parentheses outside quoted strings.
fn paren_depth(raw: &str) -> usize {
    let (mut depth, mut max, mut quoted) = (0usize, 0usize, false);
    for c in raw.chars() {
        match c {
            '\'' => quoted = !quoted,
            '(' if !quoted => {
                depth += 1;
                max = max.max(depth);
            }
            ')' if !quoted => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

fn depth(v: &Value) -> usize {
    match v {
        Value::Array(a) => 1 + a.iter().map(depth).max().unwrap_or(0),
        Value::Object(o) => 1 + o.values().map(depth).max().unwrap_or(0),
        _ => 0,
    }
}

fn queryable(name: &str) -> Result<usize, String> {
    QUERYABLES.iter().position(|qb| qb.name == name).ok_or_else(|| {
        let names: Vec<&str> = std::iter::once(GEOMETRY).chain(QUERYABLES.iter().map(|qb| qb.name)).collect();
        format!(
            "'{name}' is not a queryable; see /ogc/collections/providers/queryables ({})",
            names.join(", ")
        )
    })
}

fn compile(e: &Expr, members: &mut Vec<Member>, level: usize) -> Result<Node, String> {
    if level > MAX_DEPTH {
        return Err(format!("nests deeper than {MAX_DEPTH} operators"));
    }
    let Expr::Operation { op, args } = e else {
        return Err(format!(
            "must be a predicate (a comparison, IS NULL, S_INTERSECTS, AND, OR or NOT), not {}",
            describe(e)
        ));
    };
    let n = |want: usize| {
        if args.len() == want {
            Ok(())
        } else {
            Err(format!("{op} takes {want} operands, not {}", args.len()))
        }
    };
    match op.as_str() {
        "and" | "or" => {
            if args.len() < 2 {
                return Err(format!("{op} takes at least two operands"));
            }
            let parts = args.iter().map(|a| compile(a, members, level + 1)).collect::<Result<Vec<_>, _>>()?;
            Ok(if op == "and" { Node::And(parts) } else { Node::Or(parts) })
        }
        "not" => {
            n(1)?;
            Ok(Node::Not(Box::new(compile(&args[0], members, level + 1)?)))
        }
        "isNull" => {
            n(1)?;
            let Expr::Property { property } = &*args[0] else {
                return Err("IS NULL applies to a queryable".into());
            };
            if property == GEOMETRY {
                // Every provider has a point.
                return Ok(Node::Not(Box::new(Node::Intersects(Shape::Box(world())))));
            }
            let i = queryable(property)?;
            members.push(QUERYABLES[i].member);
            Ok(Node::IsNull(i))
        }
        "s_intersects" => {
            n(2)?;
            let shape = match (&*args[0], &*args[1]) {
                (Expr::Property { property }, other) | (other, Expr::Property { property })
                    if property == GEOMETRY =>
                {
                    shape(other)?
                }
                _ => {
                    return Err("S_INTERSECTS compares the queryable geometry with a geometry literal".into());
                }
            };
            Ok(Node::Intersects(shape))
        }
        "like" => {
            n(2)?;
            let (Expr::Property { property }, Expr::Literal(pattern)) = (&*args[0], &*args[1]) else {
                return Err("LIKE compares a queryable with a pattern string".into());
            };
            let i = queryable(property)?;
            if QUERYABLES[i].kind != Kind::String {
                return Err(format!("'{property}' is not a string: LIKE applies to strings"));
            }
            members.push(QUERYABLES[i].member);
            Ok(Node::Like(i, pattern.chars().collect()))
        }
        "between" => {
            n(3)?;
            let Expr::Property { property } = &*args[0] else {
                return Err("BETWEEN applies to a queryable".into());
            };
            let low = comparison(property, Op::Ge, literal(&args[1])?, members)?;
            let high = comparison(property, Op::Le, literal(&args[2])?, members)?;
            Ok(Node::And(vec![low, high]))
        }
        "in" => {
            n(2)?;
            let (Expr::Property { property }, Expr::Array(items)) = (&*args[0], &*args[1]) else {
                return Err("IN compares a queryable with a list of literals".into());
            };
            if items.is_empty() {
                return Err("IN needs at least one value".into());
            }
            let any = items
                .iter()
                .map(|item| comparison(property, Op::Eq, literal(item)?, members))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Node::Or(any))
        }
        other => {
            let Some(cmp) = Op::parse(other) else {
                return Err(format!(
                    "the operator '{other}' is not supported; use =, <>, <, <=, >, >=, LIKE, BETWEEN, IN, IS NULL, \
                     AND, OR, NOT or S_INTERSECTS"
                ));
            };
            n(2)?;
            match (&*args[0], &*args[1]) {
                (Expr::Property { property }, lit) => comparison(property, cmp, literal(lit)?, members),
                (lit, Expr::Property { property }) => {
                    comparison(property, cmp.flipped(), literal(lit)?, members)
                }
                _ => Err(format!("{other} compares a queryable with a literal")),
            }
        }
    }
}

/// `property cmp lit`, checked: a known queryable, a literal of its type, an operator it takes.
fn comparison(property: &str, cmp: Op, lit: Lit, members: &mut Vec<Member>) -> Result<Node, String> {
    let i = queryable(property)?;
    let qb = &QUERYABLES[i];
    let fits = matches!(
        (qb.kind, &lit),
        (Kind::String | Kind::Tags, Lit::Str(_))
            | (Kind::Integer, Lit::Num(_))
            | (Kind::Boolean, Lit::Bool(_))
            | (Kind::Date, Lit::Date(_))
            | (Kind::Timestamp, Lit::Time(_))
    );
    if !fits {
        let want = match qb.kind {
            Kind::String | Kind::Tags => "a string ('...')",
            Kind::Integer => "a number",
            Kind::Boolean => "true or false",
            Kind::Date => "DATE('YYYY-MM-DD')",
            Kind::Timestamp => "TIMESTAMP('YYYY-MM-DDThh:mm:ssZ')",
        };
        return Err(format!("'{}' is compared with {}; compare it with {want}", qb.name, describe_lit(&lit)));
    }
    if qb.kind == Kind::Tags && !matches!(cmp, Op::Eq | Op::Ne) {
        return Err(format!("'{}' is a list: compare it with = or <> (or IN) only", qb.name));
    }
    if qb.kind == Kind::Boolean && !matches!(cmp, Op::Eq | Op::Ne) {
        return Err(format!("'{}' is true or false: compare it with = or <> only", qb.name));
    }
    members.push(qb.member);
    Ok(Node::Compare(i, cmp, lit))
}

/// CQL2 LIKE: `%` any run of characters, `_` one character, `\` makes the next one literal.
/// Case-sensitive. Greedy with one backtrack point, so at worst value × pattern steps.
fn like(value: &str, pattern: &[char]) -> bool {
    let v: Vec<char> = value.chars().collect();
    let (mut vi, mut pi) = (0usize, 0usize);
    // Where the last % was, and where in the value it resumes.
    let mut star: Option<(usize, usize)> = None;
    while vi < v.len() {
        let step = match pattern.get(pi) {
            Some('%') => {
                star = Some((pi, vi));
                pi += 1;
                continue;
            }
            Some('_') => Some(1),
            Some('\\') => pattern.get(pi + 1).filter(|c| **c == v[vi]).map(|_| 2),
            Some(c) if *c == v[vi] => Some(1),
            _ => None,
        };
        match (step, star) {
            (Some(n), _) => {
                pi += n;
                vi += 1;
            }
            (None, Some((sp, sv))) => {
                pi = sp + 1;
                vi = sv + 1;
                star = Some((sp, sv + 1));
            }
            (None, None) => return false,
        }
    }
    pattern[pi..].iter().all(|c| *c == '%')
}

fn world() -> BoundingBox {
    BoundingBox { west: -180.0, south: -90.0, east: 180.0, north: 90.0 }
}

fn describe(e: &Expr) -> String {
    match e {
        Expr::Property { property } => format!("the property '{property}'"),
        Expr::Literal(s) => format!("the string '{s}'"),
        Expr::Float(v) => format!("the number {v}"),
        Expr::Bool(b) => format!("{b}"),
        Expr::Null => "null".into(),
        _ => "a literal".into(),
    }
}

fn describe_lit(l: &Lit) -> String {
    match l {
        Lit::Str(s) => format!("the string '{s}'"),
        Lit::Num(v) => format!("the number {v}"),
        Lit::Bool(b) => format!("{b}"),
        Lit::Date(_) => "a date".into(),
        Lit::Time(_) => "a timestamp".into(),
    }
}

fn literal(e: &Expr) -> Result<Lit, String> {
    let text = |e: &Expr| match e {
        Expr::Literal(s) => Ok(s.clone()),
        _ => Err("DATE and TIMESTAMP take a string".to_string()),
    };
    match e {
        Expr::Literal(s) => Ok(Lit::Str(s.clone())),
        Expr::Float(v) if v.is_finite() => Ok(Lit::Num(*v)),
        Expr::Bool(b) => Ok(Lit::Bool(*b)),
        Expr::Date { date } => {
            let s = text(date)?;
            let fmt = time::macros::format_description!("[year]-[month]-[day]");
            Date::parse(&s, fmt).map(Lit::Date).map_err(|_| format!("DATE('{s}') is not a date YYYY-MM-DD"))
        }
        Expr::Timestamp { timestamp } => {
            let s = text(timestamp)?;
            OffsetDateTime::parse(&s, &Rfc3339)
                .map(Lit::Time)
                .map_err(|_| format!("TIMESTAMP('{s}') is not an RFC 3339 date-time"))
        }
        Expr::Null => Err("compare with null using IS NULL".into()),
        other => Err(format!("{} cannot be compared here", describe(other))),
    }
}

fn number(e: &Expr) -> Result<f64, String> {
    match e {
        Expr::Float(v) if v.is_finite() => Ok(*v),
        _ => Err("a coordinate must be a number".into()),
    }
}

/// A geometry literal as a shape to test the public point against.
fn shape(e: &Expr) -> Result<Shape, String> {
    match e {
        Expr::BBox { bbox } => {
            let v = bbox.iter().map(|b| number(b)).collect::<Result<Vec<_>, _>>()?;
            let four: [f64; 4] = match v.len() {
                4 => [v[0], v[1], v[2], v[3]],
                6 => [v[0], v[1], v[3], v[4]],
                n => return Err(format!("BBOX takes 4 (or 6) numbers, not {n}")),
            };
            crate::http::params::bbox_from_numbers(four).map(Shape::Box).map_err(|m| format!("BBOX: {m}"))
        }
        Expr::Geometry(g) => {
            let value = serde_json::to_value(g).map_err(|e| format!("is not a valid geometry: {e}"))?;
            match value.get("type").and_then(Value::as_str) {
                Some("Point") => {
                    let c = value["coordinates"].as_array().cloned().unwrap_or_default();
                    let (lon, lat) =
                        match (c.first().and_then(Value::as_f64), c.get(1).and_then(Value::as_f64)) {
                            (Some(lon), Some(lat)) => (lon, lat),
                            _ => return Err("POINT needs a longitude and a latitude".into()),
                        };
                    let lon = crate::model::check_lon(lon).map_err(|e| format!("POINT: {e}"))?;
                    let lat = crate::model::check_lat(lat).map_err(|e| format!("POINT: {e}"))?;
                    Ok(Shape::Point(LonLat { lon, lat }))
                }
                Some("Polygon" | "MultiPolygon") => Area::from_geojson(&value, "geometry")
                    .map(|a| Shape::Area(Box::new(a)))
                    .map_err(|e| format!("{}: {}", e.field, e.message)),
                Some(other) => Err(format!(
                    "S_INTERSECTS takes a POINT, BBOX, POLYGON or MULTIPOLYGON here, not a {other}"
                )),
                None => Err("is not a valid geometry".into()),
            }
        }
        other => Err(format!("S_INTERSECTS needs a geometry literal, not {}", describe(other))),
    }
}

/// The value of queryable `i` in a public answer.
enum Val<'a> {
    Str(Option<&'a str>),
    Num(f64),
    Bool(bool),
    Date(Option<Date>),
    Time(Option<OffsetDateTime>),
    Tags(Vec<&'a str>),
}

fn value<'a>(i: usize, d: &'a ProviderDto) -> Val<'a> {
    match QUERYABLES[i].name {
        "id" => Val::Num(d.id as f64),
        "name" => Val::Str(Some(d.name)),
        "organization" => Val::Str(d.organization),
        "description" => Val::Str(d.description),
        "category" => Val::Tags(d.categories.iter().map(|c| c.slug()).collect()),
        "language" => Val::Tags(d.languages.iter().collect()),
        "location_precision" => Val::Str(Some(d.location_precision)),
        "confidential" => Val::Bool(d.confidential),
        "address" => Val::Str(d.address),
        "locality" => Val::Str(d.locality),
        "district" => Val::Str(d.district),
        "state" => Val::Str(d.state),
        "postal_code" => Val::Str(d.postal_code),
        "country" => Val::Str(Some(d.country)),
        "email" => Val::Str(d.email),
        "website" => Val::Str(d.website),
        "hours" => Val::Str(d.hours),
        "open_24_7" => Val::Bool(d.open_24_7),
        "eligibility" => Val::Str(d.eligibility),
        "cost" => Val::Str(d.cost),
        "wheelchair" => Val::Str(Some(d.wheelchair.as_str())),
        "verified_on" => Val::Date(
            d.verified_on
                .as_deref()
                .and_then(|s| Date::parse(s, time::macros::format_description!("[year]-[month]-[day]")).ok()),
        ),
        "updated_at" => Val::Time(OffsetDateTime::parse(&d.updated_at, &Rfc3339).ok()),
        _ => Val::Str(None),
    }
}

fn eval(node: &Node, d: &ProviderDto) -> Option<bool> {
    match node {
        // Three-valued: false wins an AND, true wins an OR, else unknown stays unknown.
        Node::And(parts) => and3(parts.iter().map(|p| eval(p, d))),
        Node::Or(parts) => or3(parts.iter().map(|p| eval(p, d))),
        Node::Not(inner) => eval(inner, d).map(|b| !b),
        Node::IsNull(i) => Some(match value(*i, d) {
            Val::Str(v) => v.is_none(),
            Val::Date(v) => v.is_none(),
            Val::Time(v) => v.is_none(),
            Val::Tags(v) => v.is_empty(),
            Val::Num(_) | Val::Bool(_) => false,
        }),
        Node::Compare(i, op, lit) => compare(value(*i, d), *op, lit),
        Node::Like(i, pattern) => match value(*i, d) {
            Val::Str(v) => v.map(|v| like(v, pattern)),
            _ => None,
        },
        Node::Intersects(shape) => Some(shape.contains(LonLat { lon: d.lon, lat: d.lat })),
    }
}

fn and3(values: impl Iterator<Item = Option<bool>>) -> Option<bool> {
    let mut unknown = false;
    for v in values {
        match v {
            Some(false) => return Some(false),
            None => unknown = true,
            Some(true) => {}
        }
    }
    if unknown { None } else { Some(true) }
}

fn or3(values: impl Iterator<Item = Option<bool>>) -> Option<bool> {
    let mut unknown = false;
    for v in values {
        match v {
            Some(true) => return Some(true),
            None => unknown = true,
            Some(false) => {}
        }
    }
    if unknown { None } else { Some(false) }
}

fn compare(v: Val, op: Op, lit: &Lit) -> Option<bool> {
    match (v, lit) {
        (Val::Str(s), Lit::Str(l)) => s.map(|s| op.holds(s.cmp(l.as_str()))),
        (Val::Tags(tags), Lit::Str(l)) => {
            if tags.is_empty() {
                return None;
            }
            let has = tags.contains(&l.as_str());
            Some(if op == Op::Eq { has } else { !has })
        }
        (Val::Num(n), Lit::Num(l)) => n.partial_cmp(l).map(|o| op.holds(o)),
        (Val::Bool(b), Lit::Bool(l)) => Some(op.holds(b.cmp(l))),
        (Val::Date(d), Lit::Date(l)) => d.map(|d| op.holds(d.cmp(l))),
        (Val::Time(t), Lit::Time(l)) => t.map(|t| op.holds(t.cmp(l))),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_json_compile_alike_and_bad_filters_say_why() {
        let t = Filter::parse("category = 'shelter' AND open_24_7 = true", Lang::Text).unwrap();
        let j = Filter::parse(
            r#"{"op":"and","args":[{"op":"=","args":[{"property":"category"},"shelter"]},{"op":"=","args":[{"property":"open_24_7"},true]}]}"#,
            Lang::Json,
        )
        .unwrap();
        assert_eq!(t.canonical, j.canonical);
        for (bad, says) in [
            ("exact_lat > 1", "not a queryable"),
            ("name > 3", "compared with the number"),
            ("name", "must be a predicate"),
            ("category < 'a'", "= or <>"),
            ("S_INTERSECTS(geometry, LINESTRING(0 0, 1 1))", "LineString"),
            ("name ILIKE 'a%'", "not valid"),
            ("open_24_7 LIKE 'a%'", "not a string"),
            ("category IN (1, 2)", "compared with the number"),
            ("id BETWEEN 'a' AND 'b'", "compared with the string"),
            ("casei(name) = 'a'", "compares a queryable with a literal"),
            ("updated_at > TIMESTAMP('yesterday')", "RFC 3339"),
            ("((", "not valid cql2-text"),
            ("", "empty"),
        ] {
            let e = Filter::parse(bad, Lang::Text).unwrap_err();
            assert!(e.contains(says), "{bad}: {e}");
        }
        assert!(Filter::parse("{", Lang::Json).unwrap_err().contains("not JSON"));
    }

    #[test]
    fn like_patterns() {
        let m = |v: &str, p: &str| like(v, &p.chars().collect::<Vec<_>>());
        assert!(m("Sample Shelter", "Sample%"));
        assert!(m("Sample Shelter", "%Shelter"));
        assert!(m("Sample Shelter", "%mpl%Sh_lter"));
        assert!(m("", "%"));
        assert!(m("a%b", "a\\%b"));
        assert!(!m("axb", "a\\%b"));
        assert!(!m("Sample", "sample"), "case-sensitive");
        assert!(!m("Sample", "Sampl"));
        assert!(!m("Sample", "_Sample"));
        assert!(m("aaaaaaaaaaaaaaaaaaab", "%a%a%a%a%b"));
        assert!(!m("aaaaaaaaaaaaaaaaaaaa", "%a%a%a%a%b"));
        assert!(m("नमस्ते", "नम%"));
    }

    #[test]
    fn three_valued_logic() {
        assert_eq!(and3([Some(true), None].into_iter()), None);
        assert_eq!(and3([Some(false), None].into_iter()), Some(false));
        assert_eq!(or3([Some(true), None].into_iter()), Some(true));
        assert_eq!(or3([Some(false), None].into_iter()), None);
    }
}
