//! JSON shapes of the public API. Redaction of confidential providers happens here and only
//! here, driven by the caller's role: every view of a provider is built by `ProviderDto::view`.

use super::places::PlaceDto;
use crate::emergency::Emergency;
use crate::hours::{self, UnixTime};
use crate::index::Snapshot;
use crate::index::records::{E164Ref, Languages, PhoneRef};
use crate::model::Role;
use crate::model::fields::format_date;
use crate::model::{Category, Phone, Status, Wheelchair};
use crate::query::Hit;
use serde::Serialize;
use serde::ser::{SerializeStruct, Serializer};
use std::fmt;
use time::format_description::well_known::Rfc3339;
use utoipa::ToSchema;

pub const CONFIDENTIAL_NOTE: &str =
    "This service keeps its location confidential for safety. Call the listed number to be told where to go.";

/// Declares [`Member`]: every member of a provider answer in the order it is written, with
/// its name in JSON.
macro_rules! members {
    ($($member:ident = $name:literal),* $(,)?) => {
        /// A member of a provider answer (`fields=` names them).
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum Member { $($member),* }

        impl Member {
            /// Every member, in the order an answer writes them.
            pub const ALL: &'static [Member] = &[$(Member::$member),*];

            pub fn name(self) -> &'static str {
                match self { $(Member::$member => $name),* }
            }

            pub fn from_name(name: &str) -> Option<Member> {
                match name { $($name => Some(Member::$member),)* _ => None }
            }

            /// `,"name":` as JSON writes it after another member (a name needs no escaping).
            fn key_after_another(self) -> &'static [u8] {
                match self { $(Member::$member => concat!(",\"", $name, "\":").as_bytes()),* }
            }
        }
    };
}

members! {
    Id = "id", Name = "name", Organization = "organization", Description = "description",
    Categories = "categories", Lat = "lat", Lon = "lon", LocationPrecision = "location_precision",
    Confidential = "confidential", Address = "address", Locality = "locality", District = "district",
    State = "state", PostalCode = "postal_code", Country = "country", Phone = "phone",
    Hotline = "hotline", Sms = "sms", IntakePhone = "intake_phone", Email = "email",
    Website = "website", Languages = "languages", Hours = "hours", Open247 = "open_24_7",
    OpenNow = "open_now", NextChange = "next_change", Eligibility = "eligibility", Cost = "cost",
    Wheelchair = "wheelchair", VerifiedOn = "verified_on", Status = "status",
    UpdatedAt = "updated_at", ContactNote = "contact_note", ExactLat = "exact_lat",
    ExactLon = "exact_lon", DistanceM = "distance_m",
}

/// Which members of a provider answer to write (`fields=`): a set that always holds `id`.
/// It only ever narrows the caller's view: what the view withholds stays withheld.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Fields(u64);

impl Fields {
    /// Every member (no `fields=`).
    pub const ALL: Fields = Fields(u64::MAX);

    /// `id` and `members`.
    pub fn of(members: impl IntoIterator<Item = Member>) -> Fields {
        members.into_iter().fold(Fields(Fields::bit(Member::Id)), |f, m| Fields(f.0 | Fields::bit(m)))
    }

    fn bit(m: Member) -> u64 {
        1 << m as u32
    }

    pub fn has(self, m: Member) -> bool {
        self.0 & Fields::bit(m) != 0
    }

    /// How many members are written (64 for all).
    pub fn count(self) -> u32 {
        self.0.count_ones()
    }
}

impl Default for Fields {
    fn default() -> Fields {
        Fields::ALL
    }
}

impl fmt::Debug for Fields {
    fn fmt(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.debug_set().entries(Member::ALL.iter().filter(|m| self.has(**m)).map(|m| m.name())).finish()
    }
}

/// Where [`ProviderDto::members`] puts the members its `fields` has: a serde struct (the
/// `Serialize` impl, which the schema and tests use) or an answer buffer ([`JsonOut`]).
trait Sink {
    type Error;
    fn value<T: Serialize + ?Sized>(&mut self, member: Member, value: &T) -> Result<(), Self::Error>;
    /// A string member (`None`: null); written as `value` writes it.
    fn text(&mut self, member: Member, value: Option<&str>) -> Result<(), Self::Error> {
        self.value(member, &value)
    }
    /// A phone member (`None`: null); written as `value` writes it.
    fn phone(&mut self, member: Member, value: Option<PhoneRef<'_>>) -> Result<(), Self::Error> {
        self.value(member, &value)
    }
}

struct StructSink<'m, M>(&'m mut M, Fields);

impl<M: SerializeStruct> Sink for StructSink<'_, M> {
    type Error = M::Error;

    fn value<T: Serialize + ?Sized>(&mut self, member: Member, value: &T) -> Result<(), M::Error> {
        if self.1.has(member) { self.0.serialize_field(member.name(), value) } else { Ok(()) }
    }
}

/// Writes members straight into an answer buffer, with the same bytes as serde_json: member
/// names need no escaping and are copied, and so are strings that need none (most), found by
/// a scan that is not byte by byte; anything else goes through serde_json. Escaping strings
/// one byte at a time was a quarter of a full nearest answer's CPU under load (issue 14).
pub struct JsonOut<'b> {
    buf: &'b mut Vec<u8>,
    fields: Fields,
    first: bool,
}

impl JsonOut<'_> {
    fn key(&mut self, member: Member) {
        let key = member.key_after_another();
        self.buf.extend_from_slice(if self.first { &key[1..] } else { key });
        self.first = false;
    }
}

impl Sink for JsonOut<'_> {
    type Error = serde_json::Error;

    fn value<T: Serialize + ?Sized>(&mut self, member: Member, value: &T) -> Result<(), serde_json::Error> {
        if !self.fields.has(member) {
            return Ok(());
        }
        self.key(member);
        serde_json::to_writer(&mut *self.buf, value)
    }

    fn text(&mut self, member: Member, value: Option<&str>) -> Result<(), serde_json::Error> {
        if !self.fields.has(member) {
            return Ok(());
        }
        self.key(member);
        match value {
            None => {
                self.buf.extend_from_slice(b"null");
                Ok(())
            }
            Some(s) => write_str(self.buf, s),
        }
    }

    /// `{"display":…,"e164":…}`, as serde writes a `PhoneRef`: up to four on every provider.
    fn phone(&mut self, member: Member, value: Option<PhoneRef<'_>>) -> Result<(), serde_json::Error> {
        if !self.fields.has(member) {
            return Ok(());
        }
        self.key(member);
        let Some(phone) = value else {
            self.buf.extend_from_slice(b"null");
            return Ok(());
        };
        self.buf.extend_from_slice(b"{\"display\":");
        write_str(self.buf, phone.display)?;
        self.buf.extend_from_slice(b",\"e164\":");
        match phone.e164 {
            // Worked out here, so only '+' and digits: nothing to escape.
            Some(E164Ref::Derived(e164)) => {
                self.buf.push(b'"');
                self.buf.extend_from_slice(e164.as_bytes());
                self.buf.push(b'"');
            }
            Some(e164) => write_str(self.buf, e164.as_str())?,
            None => self.buf.extend_from_slice(b"null"),
        }
        self.buf.push(b'}');
        Ok(())
    }
}

/// Whether serde_json would write `s` as it is: no control character, quote or backslash
/// (the only bytes it escapes). Eight bytes at a time: a byte below 0x20 sets its top bit in
/// `(w - 0x20..) & !w`, and a byte equal to `c` is a zero byte of `w ^ c..`; a borrow from a
/// byte that matches can only add hits, so there are no misses.
fn needs_no_escape(s: &str) -> bool {
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGH: u64 = u64::from_ne_bytes([0x80; 8]);
    let below = |w: u64, n: u8| w.wrapping_sub(ONES * u64::from(n)) & !w & HIGH != 0;
    let has = |w: u64, c: u8| below(w ^ (ONES * u64::from(c)), 1);
    let mut words = s.as_bytes().chunks_exact(8);
    let clean_words = words.by_ref().all(|chunk| {
        let w = u64::from_le_bytes(chunk.try_into().unwrap_or([0; 8]));
        !(below(w, 0x20) | has(w, b'"') | has(w, b'\\'))
    });
    clean_words && words.remainder().iter().all(|&b| b >= 0x20 && b != b'"' && b != b'\\')
}

/// `s` as a JSON string, as serde_json writes it.
fn write_str(buf: &mut Vec<u8>, s: &str) -> Result<(), serde_json::Error> {
    if needs_no_escape(s) {
        buf.reserve(s.len() + 2);
        buf.push(b'"');
        buf.extend_from_slice(s.as_bytes());
        buf.push(b'"');
        Ok(())
    } else {
        serde_json::to_writer(buf, s)
    }
}

// Borrows from the snapshot's record: nothing is copied but the two formatted dates (and only
// when they are written). Serialised by hand, so that JSON and GeoJSON properties come from
// one list of members (`write`); a test checks those members against the schema.
/// A provider as the public sees it. With `fields=`, only `id` and the chosen members are written.
#[derive(Debug, ToSchema)]
pub struct ProviderDto<'a> {
    pub id: i64,
    pub name: &'a str,
    pub organization: Option<&'a str>,
    pub description: Option<&'a str>,
    pub categories: &'static [Category],
    /// WGS84 degrees. For a confidential provider this is its public (approximate) point.
    pub lat: f64,
    pub lon: f64,
    /// "exact", or "approximate": a confidential provider (lat/lon are its displaced public
    /// point), or one an import placed at a gazetteer centroid (PIN code, district headquarters)
    /// because its row had no coordinates.
    pub location_precision: &'static str,
    pub confidential: bool,
    /// Withheld (null) for confidential providers.
    pub address: Option<&'a str>,
    /// Withheld (null) for confidential providers.
    pub locality: Option<&'a str>,
    pub district: Option<&'a str>,
    pub state: Option<&'a str>,
    /// Withheld (null) for confidential providers.
    pub postal_code: Option<&'a str>,
    /// ISO 3166-1 alpha-2.
    pub country: &'a str,
    #[schema(value_type = Option<Phone>)]
    pub phone: Option<PhoneRef<'a>>,
    #[schema(value_type = Option<Phone>)]
    pub hotline: Option<PhoneRef<'a>>,
    #[schema(value_type = Option<Phone>)]
    pub sms: Option<PhoneRef<'a>>,
    /// Withheld (null) for confidential providers, except for caseworker and admin tokens.
    #[schema(value_type = Option<Phone>)]
    pub intake_phone: Option<PhoneRef<'a>>,
    pub email: Option<&'a str>,
    pub website: Option<&'a str>,
    /// ISO 639 codes.
    #[schema(value_type = Vec<String>)]
    pub languages: Languages<'a>,
    /// OpenStreetMap opening_hours syntax.
    pub hours: Option<&'a str>,
    pub open_24_7: bool,
    /// Whether it is open at `open_at` (when the request gave one) or now, by its `hours` in
    /// its own time zone; null when it has no hours and is not open_24_7, or they cannot be read.
    pub open_now: Option<bool>,
    /// When it next opens or closes, from the same instant; null when it never changes.
    pub next_change: Option<NextChange>,
    pub eligibility: Option<&'a str>,
    pub cost: Option<&'a str>,
    pub wheelchair: Wheelchair,
    /// YYYY-MM-DD: when someone last confirmed this record.
    pub verified_on: Option<String>,
    pub status: Status,
    /// RFC 3339.
    pub updated_at: String,
    /// How to reach a confidential provider.
    pub contact_note: Option<&'static str>,
    /// A confidential provider's exact point: admin tokens only (every decision still uses lat/lon).
    pub exact_lat: Option<f64>,
    pub exact_lon: Option<f64>,
    /// Great-circle distance in metres from the query point, to 0.1 m (point queries only).
    pub distance_m: Option<f64>,
    /// The members written (`fields=`); the others are left out.
    #[schema(ignore)]
    pub fields: Fields,
}

impl<'a> ProviderDto<'a> {
    /// The public view of the provider in `slot` of `snap`, its hours evaluated at `at`.
    pub fn public(snap: &'a Snapshot, slot: u32, distance_m: Option<f64>, at: UnixTime) -> ProviderDto<'a> {
        ProviderDto::view(snap, slot, distance_m, None, at, Fields::ALL)
    }

    /// The view for a caller: the public (`None`) sees a confidential provider only at its public
    /// point, without address, locality, postal code or intake phone; a caseworker also sees the
    /// intake phone; an admin sees everything. Position, distance and order are the same for all.
    /// `open_now` and `next_change` are evaluated at `at`. Only the members in `fields` are
    /// written, and those that take work (hours, dates) are only worked out when they are.
    pub fn view(
        snap: &'a Snapshot,
        slot: u32,
        distance_m: Option<f64>,
        role: Option<Role>,
        at: UnixTime,
        fields: Fields,
    ) -> ProviderDto<'a> {
        // An answer of many members finds where each starts once (see `View::decoded`).
        let p = if fields.count() > 8 { snap.record(slot).decoded() } else { snap.record(slot) };
        let point = snap.points[slot as usize];
        let secret = p.confidential();
        let admin = role == Some(Role::Admin);
        // Only the members written are looked up: a `fields=` answer reads a few of each record.
        let want = |m: Member| fields.has(m);
        let open = |v: Option<&'a str>| if secret && !admin { None } else { v };
        // Only an admin sees a confidential provider's exact point.
        let exact = (secret && admin).then(|| *p.exact_location().reveal()).flatten();
        ProviderDto {
            id: p.id().0,
            name: if want(Member::Name) { p.name() } else { "" },
            organization: want(Member::Organization).then(|| p.organization()).flatten(),
            description: want(Member::Description).then(|| p.description()).flatten(),
            categories: p.categories(),
            lat: point.lat,
            lon: point.lon,
            location_precision: p.public_precision().as_str(),
            confidential: secret,
            address: want(Member::Address).then(|| open(*p.address().reveal())).flatten(),
            locality: want(Member::Locality).then(|| open(p.locality())).flatten(),
            district: want(Member::District).then(|| p.district()).flatten(),
            state: want(Member::State).then(|| p.state()).flatten(),
            postal_code: want(Member::PostalCode).then(|| open(*p.postal_code().reveal())).flatten(),
            country: if want(Member::Country) { p.country() } else { "" },
            phone: want(Member::Phone).then(|| p.phone()).flatten(),
            hotline: want(Member::Hotline).then(|| p.hotline()).flatten(),
            sms: want(Member::Sms).then(|| p.sms()).flatten(),
            intake_phone: if secret && role.is_none() || !want(Member::IntakePhone) {
                None
            } else {
                *p.intake_phone().reveal()
            },
            email: want(Member::Email).then(|| p.email()).flatten(),
            website: want(Member::Website).then(|| p.website()).flatten(),
            languages: if want(Member::Languages) { p.languages() } else { Languages(None) },
            hours: want(Member::Hours).then(|| p.hours()).flatten(),
            open_24_7: p.open_24_7(),
            open_now: if want(Member::OpenNow) { snap.hours.state(slot, at).as_bool() } else { None },
            next_change: if want(Member::NextChange) {
                snap.hours.next_change(slot, at).map(NextChange::from)
            } else {
                None
            },
            eligibility: want(Member::Eligibility).then(|| p.eligibility()).flatten(),
            cost: want(Member::Cost).then(|| p.cost()).flatten(),
            wheelchair: p.wheelchair(),
            verified_on: p.verified_on().filter(|_| want(Member::VerifiedOn)).map(format_date),
            status: p.status(),
            updated_at: if want(Member::UpdatedAt) {
                p.updated_at().format(&Rfc3339).unwrap_or_default()
            } else {
                String::new()
            },
            contact_note: secret.then_some(CONFIDENTIAL_NOTE),
            exact_lat: exact.map(|at| at.lat),
            exact_lon: exact.map(|at| at.lon),
            distance_m,
            fields,
        }
    }

    pub fn from_hits(
        snap: &'a Snapshot,
        hits: &[Hit],
        role: Option<Role>,
        at: UnixTime,
        fields: Fields,
    ) -> Vec<ProviderDto<'a>> {
        // Each hit's record, text and point first, in a loop of independent reads: they miss the
        // cache (records lie in id order, hits come in distance order), and read together the
        // processor waits for them at once rather than once per answer built.
        let touched = hits.iter().fold(0u64, |acc, h| {
            acc ^ u64::from(snap.record(h.slot).touch()) ^ snap.points[h.slot as usize].lat.to_bits()
        });
        std::hint::black_box(touched);
        hits.iter().map(|h| ProviderDto::view(snap, h.slot, h.distance_m, role, at, fields)).collect()
    }

    /// The confidential fields this view shows beyond the public one (for the audit log):
    /// those of an admin's or a caseworker's view that its `fields` write.
    pub fn revealed_fields(&self) -> String {
        if !self.confidential {
            return String::new();
        }
        let admin = self.exact_lat.is_some();
        let shown: [(&[Member], &str, bool); 5] = [
            (&[Member::ExactLat, Member::ExactLon], "exact location", admin),
            (&[Member::Address], "address", admin),
            (&[Member::Locality], "locality", admin),
            (&[Member::PostalCode], "postal code", admin),
            (&[Member::IntakePhone], "intake phone", admin || self.intake_phone.is_some()),
        ];
        let names: Vec<&str> = shown
            .iter()
            .filter(|(members, _, seen)| *seen && members.iter().any(|m| self.fields.has(*m)))
            .map(|(_, name, _)| *name)
            .collect();
        names.join(", ")
    }

    /// A GeoJSON Feature with the same members (minus lat/lon) as properties.
    pub fn to_feature(&self) -> Feature<i64, Properties<'_, 'a>> {
        Feature::new(self.id, Point::new(self.lon, self.lat), Properties(self))
    }

    /// The members of `fields` in schema order; `with_point: false` leaves out lat and lon
    /// (GeoJSON properties, whose geometry holds them). Absent optional extras are left out.
    fn members<K: Sink>(&self, k: &mut K, with_point: bool) -> Result<(), K::Error> {
        use Member as M;
        k.value(M::Id, &self.id)?;
        k.text(M::Name, Some(self.name))?;
        k.text(M::Organization, self.organization)?;
        k.text(M::Description, self.description)?;
        k.value(M::Categories, self.categories)?;
        if with_point {
            k.value(M::Lat, &self.lat)?;
            k.value(M::Lon, &self.lon)?;
        }
        k.text(M::LocationPrecision, Some(self.location_precision))?;
        k.value(M::Confidential, &self.confidential)?;
        k.text(M::Address, self.address)?;
        k.text(M::Locality, self.locality)?;
        k.text(M::District, self.district)?;
        k.text(M::State, self.state)?;
        k.text(M::PostalCode, self.postal_code)?;
        k.text(M::Country, Some(self.country))?;
        k.phone(M::Phone, self.phone)?;
        k.phone(M::Hotline, self.hotline)?;
        k.phone(M::Sms, self.sms)?;
        k.phone(M::IntakePhone, self.intake_phone)?;
        k.text(M::Email, self.email)?;
        k.text(M::Website, self.website)?;
        k.value(M::Languages, &self.languages)?;
        k.text(M::Hours, self.hours)?;
        k.value(M::Open247, &self.open_24_7)?;
        k.value(M::OpenNow, &self.open_now)?;
        k.value(M::NextChange, &self.next_change)?;
        k.text(M::Eligibility, self.eligibility)?;
        k.text(M::Cost, self.cost)?;
        k.value(M::Wheelchair, &self.wheelchair)?;
        k.text(M::VerifiedOn, self.verified_on.as_deref())?;
        k.value(M::Status, &self.status)?;
        k.text(M::UpdatedAt, Some(&self.updated_at))?;
        if let Some(note) = self.contact_note {
            k.text(M::ContactNote, Some(note))?;
        }
        for (member, v) in
            [(M::ExactLat, self.exact_lat), (M::ExactLon, self.exact_lon), (M::DistanceM, self.distance_m)]
        {
            if let Some(v) = v {
                k.value(member, &v)?;
            }
        }
        Ok(())
    }

    fn write<S: Serializer>(&self, s: S, with_point: bool) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_struct("ProviderDto", Member::ALL.len())?;
        self.members(&mut StructSink(&mut m, self.fields), with_point)?;
        m.end()
    }

    /// Appends the provider as a JSON object (`with_point: false`: GeoJSON properties), the
    /// same bytes as serialising it.
    fn write_json(&self, buf: &mut Vec<u8>, with_point: bool) -> Result<(), serde_json::Error> {
        buf.push(b'{');
        self.members(&mut JsonOut { buf, fields: self.fields, first: true }, with_point)?;
        buf.push(b'}');
        Ok(())
    }

    /// Appends the provider as a GeoJSON Feature, the same bytes as serialising `to_feature`.
    pub(crate) fn write_feature(&self, buf: &mut Vec<u8>) -> Result<(), serde_json::Error> {
        buf.extend_from_slice(b"{\"type\":\"Feature\",\"id\":");
        serde_json::to_writer(&mut *buf, &self.id)?;
        buf.extend_from_slice(b",\"geometry\":");
        serde_json::to_writer(&mut *buf, &Point::new(self.lon, self.lat))?;
        buf.extend_from_slice(b",\"properties\":");
        self.write_json(buf, false)?;
        buf.push(b'}');
        Ok(())
    }
}

impl Serialize for ProviderDto<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.write(s, true)
    }
}

/// When a provider next opens or closes.
#[derive(Debug, Serialize, ToSchema)]
pub struct NextChange {
    /// RFC 3339, with the provider's own UTC offset at that time.
    #[schema(format = DateTime, example = "2026-12-02T18:00:00+05:30")]
    pub at: String,
    /// Whether it is open from then on.
    pub open: bool,
    /// In the provider's own time zone: "closes 18:00" (today), "opens Mon 09:00" (within a
    /// week), "opens 2026-12-25 09:00" (later).
    #[schema(example = "closes 18:00")]
    pub text: String,
}

impl From<hours::Change> for NextChange {
    fn from(c: hours::Change) -> NextChange {
        NextChange { at: c.at, open: c.open, text: c.text }
    }
}

/// A provider's GeoJSON properties: its members but lat and lon.
#[derive(Debug)]
pub struct Properties<'d, 'a>(&'d ProviderDto<'a>);

impl Serialize for Properties<'_, '_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.write(s, false)
    }
}

/// A GeoJSON Point geometry.
#[derive(Debug, Serialize)]
pub struct Point {
    r#type: &'static str,
    coordinates: [f64; 2],
}

impl Point {
    pub fn new(lon: f64, lat: f64) -> Point {
        Point { r#type: "Point", coordinates: [lon, lat] }
    }
}

/// A GeoJSON Feature with a point geometry.
#[derive(Debug, Serialize)]
pub struct Feature<I, P> {
    r#type: &'static str,
    id: I,
    geometry: Point,
    properties: P,
}

impl<I, P> Feature<I, P> {
    pub fn new(id: I, geometry: Point, properties: P) -> Feature<I, P> {
        Feature { r#type: "Feature", id, geometry, properties }
    }
}

/// A page of providers.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProviderPage<'a> {
    pub items: Vec<ProviderDto<'a>>,
    /// Pass as `cursor` to get the next page; null on the last page.
    pub next_cursor: Option<String>,
    /// How many providers match in all pages.
    pub total: usize,
    /// Emergency numbers for the query point's country and state, also when no provider
    /// matches. Present for point searches (within, and search with near or within); absent
    /// for bbox and polygon, which have no single point.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub emergency: Option<&'a Emergency>,
    /// The place the search was located by (`near=`, `place_id=`, `near.place`, ...), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub place: Option<&'a PlaceDto>,
}

/// The k nearest providers (no paging).
#[derive(Debug, Serialize, ToSchema)]
pub struct NearestAnswer<'a> {
    pub items: Vec<ProviderDto<'a>>,
    pub total: usize,
    /// Emergency numbers for the query point's country and state, also when no provider matches.
    pub emergency: &'a Emergency,
    /// The place the search was located by (`near=`, `place_id=`), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub place: Option<&'a PlaceDto>,
}

/// A GeoJSON FeatureCollection of providers; `emergency`, when given, is a top-level foreign
/// member of the same name.
#[derive(Debug, Serialize)]
pub struct FeatureCollection<'d, 'a> {
    r#type: &'static str,
    features: Vec<Feature<i64, Properties<'d, 'a>>>,
    next_cursor: Option<&'d str>,
    total: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    emergency: Option<&'d Emergency>,
    /// The place the search was located by: a foreign member.
    #[serde(skip_serializing_if = "Option::is_none")]
    place: Option<&'d PlaceDto>,
}

impl<'d, 'a> FeatureCollection<'d, 'a> {
    pub fn new(
        items: &'d [ProviderDto<'a>],
        next_cursor: Option<&'d str>,
        total: usize,
        emergency: Option<&'d Emergency>,
    ) -> FeatureCollection<'d, 'a> {
        let features = items.iter().map(ProviderDto::to_feature).collect();
        FeatureCollection {
            r#type: "FeatureCollection",
            features,
            next_cursor,
            total,
            emergency,
            place: None,
        }
    }

    /// Adds the place the search was located by.
    pub fn with_place(self, place: Option<&'d PlaceDto>) -> FeatureCollection<'d, 'a> {
        FeatureCollection { place, ..self }
    }
}

/// Room for an answer of `n` full providers (about 1 KB each), so the buffer is not regrown.
fn answer_capacity(n: usize) -> usize {
    2048 + 1024 * n
}

/// `items` as a JSON array of objects, or of GeoJSON Features.
fn write_items(buf: &mut Vec<u8>, items: &[ProviderDto], features: bool) -> Result<(), serde_json::Error> {
    buf.push(b'[');
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        if features { item.write_feature(buf)? } else { item.write_json(buf, true)? }
    }
    buf.push(b']');
    Ok(())
}

/// The start of a member after the first of an object: `,"name":`.
fn write_key(buf: &mut Vec<u8>, name: &str) {
    buf.extend_from_slice(b",\"");
    buf.extend_from_slice(name.as_bytes());
    buf.extend_from_slice(b"\":");
}

/// A member after the first of an object: `,"name":value`.
fn write_member<T: Serialize + ?Sized>(
    buf: &mut Vec<u8>,
    name: &str,
    value: &T,
) -> Result<(), serde_json::Error> {
    write_key(buf, name);
    serde_json::to_writer(&mut *buf, value)
}

/// `,"name":json`, with `json` already written.
fn write_raw_member(buf: &mut Vec<u8>, name: &str, json: &str) {
    write_key(buf, name);
    buf.extend_from_slice(json.as_bytes());
}

// The `encode`s below write the same bytes as serialising the derived structs (a test checks),
// with the providers written straight into the buffer by `write_json`.

impl ProviderPage<'_> {
    pub fn encode(&self) -> Result<Vec<u8>, serde_json::Error> {
        let mut buf = Vec::with_capacity(answer_capacity(self.items.len()));
        buf.extend_from_slice(b"{\"items\":");
        write_items(&mut buf, &self.items, false)?;
        write_member(&mut buf, "next_cursor", &self.next_cursor)?;
        write_member(&mut buf, "total", &self.total)?;
        if let Some(e) = self.emergency {
            write_raw_member(&mut buf, "emergency", e.json());
        }
        if let Some(p) = self.place {
            write_member(&mut buf, "place", p)?;
        }
        buf.push(b'}');
        Ok(buf)
    }
}

impl NearestAnswer<'_> {
    pub fn encode(&self) -> Result<Vec<u8>, serde_json::Error> {
        let mut buf = Vec::with_capacity(answer_capacity(self.items.len()));
        buf.extend_from_slice(b"{\"items\":");
        write_items(&mut buf, &self.items, false)?;
        write_member(&mut buf, "total", &self.total)?;
        write_raw_member(&mut buf, "emergency", self.emergency.json());
        if let Some(p) = self.place {
            write_member(&mut buf, "place", p)?;
        }
        buf.push(b'}');
        Ok(buf)
    }
}

impl FeatureCollection<'_, '_> {
    pub fn encode(&self) -> Result<Vec<u8>, serde_json::Error> {
        let mut buf = Vec::with_capacity(answer_capacity(self.features.len()));
        buf.extend_from_slice(b"{\"type\":\"FeatureCollection\",\"features\":[");
        for (i, f) in self.features.iter().enumerate() {
            if i > 0 {
                buf.push(b',');
            }
            f.properties.0.write_feature(&mut buf)?;
        }
        buf.push(b']');
        write_member(&mut buf, "next_cursor", &self.next_cursor)?;
        write_member(&mut buf, "total", &self.total)?;
        if let Some(e) = self.emergency {
            write_raw_member(&mut buf, "emergency", e.json());
        }
        if let Some(p) = self.place {
            write_member(&mut buf, "place", p)?;
        }
        buf.push(b'}');
        Ok(buf)
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryLabels {
    pub en: &'static str,
    pub hi: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryDto {
    pub slug: Category,
    pub label: CategoryLabels,
    /// Active providers in this category.
    pub count: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryList {
    pub items: Vec<CategoryDto>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    pub status: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    pub status: &'static str,
    /// Active providers in the published snapshot.
    pub providers: usize,
    /// The database's change sequence the snapshot is current at: the same on every instance
    /// that has caught up, and it survives restarts.
    pub snapshot_version: u64,
    /// Since the snapshot was built (it is rebuilt only when the data change).
    pub snapshot_age_s: f64,
    /// `ok`, or `unreachable` when the last change poll could not reach the database.
    pub database: &'static str,
    /// Seconds since the database last answered a change poll (polled every `BELLMAP_WATCH_MS`):
    /// while it is away, how stale the snapshot may be.
    pub database_answered_s_ago: f64,
    /// The read replica snapshots are built from (`DATABASE_READ_URL`); null without one.
    #[schema(required)]
    pub replica: Option<ReplicaReadiness>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReplicaReadiness {
    /// The replica's change sequence when last read (at the last poll or retry).
    pub sequence: u64,
    /// Changes the primary had then that the replica had not: while above 0, the snapshot
    /// waits at the replica's state.
    pub behind_by: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// An admin's view of a confidential provider with a distance: every member present.
    fn full() -> ProviderDto<'static> {
        let phone = PhoneRef { display: "181", e164: None };
        let langs = Languages(Some("hi"));
        ProviderDto {
            id: 7,
            name: "A",
            organization: Some("O"),
            description: Some("D"),
            categories: &[Category::Shelter],
            lat: 26.8,
            lon: 80.9,
            location_precision: "approximate",
            confidential: true,
            address: Some("a"),
            locality: Some("l"),
            district: Some("d"),
            state: Some("s"),
            postal_code: Some("p"),
            country: "IN",
            phone: Some(phone),
            hotline: Some(phone),
            sms: Some(phone),
            intake_phone: Some(phone),
            email: Some("e"),
            website: Some("w"),
            languages: langs,
            hours: Some("24/7"),
            open_24_7: true,
            open_now: Some(true),
            next_change: Some(NextChange {
                at: "2026-12-02T18:00:00+05:30".into(),
                open: false,
                text: "closes 18:00".into(),
            }),
            eligibility: Some("e"),
            cost: Some("free"),
            wheelchair: Wheelchair::Unknown,
            verified_on: Some("2026-01-02".into()),
            status: Status::Active,
            updated_at: "2026-01-02T00:00:00Z".into(),
            contact_note: Some(CONFIDENTIAL_NOTE),
            exact_lat: Some(26.81),
            exact_lon: Some(80.91),
            distance_m: Some(12.5),
            fields: Fields::ALL,
        }
    }

    fn keys(v: &serde_json::Value) -> BTreeSet<String> {
        v.as_object().map(|m| m.keys().cloned().collect()).unwrap_or_default()
    }

    #[test]
    fn serialised_members_are_the_schema_properties() {
        let dto = full();
        let schema = serde_json::to_value(<ProviderDto as utoipa::PartialSchema>::schema()).unwrap();
        let json = serde_json::to_value(&dto).unwrap();
        assert_eq!(keys(&json), keys(&schema["properties"]));
        // GeoJSON: the same members but lat and lon, which are the geometry.
        let feature = serde_json::to_value(dto.to_feature()).unwrap();
        let mut expected = keys(&json);
        expected.remove("lat");
        expected.remove("lon");
        assert_eq!(keys(&feature["properties"]), expected);
        assert_eq!(feature["geometry"]["coordinates"], serde_json::json!([80.9, 26.8]));
        assert_eq!(feature["id"], 7);
        assert_eq!(feature["properties"]["distance_m"], json["distance_m"]);
    }

    #[test]
    fn members_are_written_in_their_order_and_each_alone() {
        let dto = full();
        let json = serde_json::to_value(&dto).unwrap();
        let order: Vec<&str> = json.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(order, Member::ALL.iter().map(|m| m.name()).collect::<Vec<_>>());
        for member in Member::ALL {
            assert_eq!(Member::from_name(member.name()), Some(*member));
            let only = ProviderDto { fields: Fields::of([*member]), ..full() };
            let got = serde_json::to_value(&only).unwrap();
            let want: BTreeSet<String> = ["id", member.name()].map(String::from).into();
            assert_eq!(keys(&got), want, "{member:?}");
            assert_eq!(got[member.name()], json[member.name()], "{member:?}");
            let props = serde_json::to_value(only.to_feature()).unwrap()["properties"].clone();
            let want_props =
                if matches!(member, Member::Lat | Member::Lon) { ["id".to_string()].into() } else { want };
            assert_eq!(keys(&props), want_props, "{member:?}");
        }
        assert_eq!(Member::from_name("exact_location"), None);
    }

    #[test]
    fn reveals_are_what_the_fields_write() {
        let admin = full();
        assert_eq!(admin.revealed_fields(), "exact location, address, locality, postal code, intake phone");
        let narrow = ProviderDto { fields: Fields::of([Member::Name, Member::Address]), ..full() };
        assert_eq!(narrow.revealed_fields(), "address");
        let none = ProviderDto { fields: Fields::of([Member::Name]), ..full() };
        assert_eq!(none.revealed_fields(), "");
        let caseworker = ProviderDto { exact_lat: None, exact_lon: None, ..full() };
        assert_eq!(caseworker.revealed_fields(), "intake phone");
    }

    #[test]
    fn answers_written_directly_are_the_serialised_bytes() {
        let tricky = ProviderDto {
            name: "Quote \" back\\slash \n tab\t ctrl\u{1} – नमस्ते \u{7f}",
            organization: None,
            address: Some("\"\""),
            contact_note: None,
            exact_lat: None,
            distance_m: None,
            phone: Some(PhoneRef {
                display: "0522 \"230\" 5551",
                e164: Some(E164Ref::Kept("+915222305551")),
            }),
            // An E.164 form worked out from the display, as records give most of them.
            hotline: Some(PhoneRef {
                display: "0522 230 5552",
                e164: crate::model::fields::e164_of("0522 230 5552", "IN").map(E164Ref::Derived),
            }),
            ..full()
        };
        assert!(matches!(tricky.hotline, Some(PhoneRef { e164: Some(E164Ref::Derived(_)), .. })));
        let narrow =
            ProviderDto { fields: Fields::of([Member::Name, Member::DistanceM, Member::Lat]), ..full() };
        // The numbers of Lucknow, as every answer there carries them (written once, copied).
        let directory = crate::emergency::EmergencyDirectory::bundled().unwrap();
        let emergency = directory.at(crate::model::LonLat { lon: 80.95, lat: 26.85 });
        let emergency: &Emergency = &emergency;
        assert!(emergency.numbers.len() > 3);
        for items in [vec![], vec![full()], vec![full(), tricky, narrow]] {
            let n = items.len();
            let page = ProviderPage {
                items,
                next_cursor: Some("c\"1".into()),
                total: 7,
                emergency: None,
                place: None,
            };
            assert_eq!(page.encode().unwrap(), serde_json::to_vec(&page).unwrap());
            let page = ProviderPage { next_cursor: None, emergency: Some(emergency), ..page };
            assert_eq!(page.encode().unwrap(), serde_json::to_vec(&page).unwrap());
            let collection = FeatureCollection::new(&page.items, Some("c"), n, Some(emergency));
            assert_eq!(collection.encode().unwrap(), serde_json::to_vec(&collection).unwrap());
            let collection = FeatureCollection::new(&page.items, None, n, None);
            assert_eq!(collection.encode().unwrap(), serde_json::to_vec(&collection).unwrap());
            let nearest = NearestAnswer { items: page.items, total: n, emergency, place: None };
            assert_eq!(nearest.encode().unwrap(), serde_json::to_vec(&nearest).unwrap());
        }
    }

    #[test]
    fn strings_written_directly_are_escaped_as_serde_json_escapes_them() {
        let mut probes: Vec<String> = vec![String::new(), "plain ascii text".into(), "नमस्ते – ü".into()];
        for c in (0u8..0x80).map(char::from).chain(['\u{80}', 'é', '–', '\u{10ffff}']) {
            for at in 0..18 {
                let mut s: String = "abcdefghijklmnopq".chars().take(at).collect();
                s.push(c);
                s.push_str("rstuvwxyz0123456");
                probes.push(s);
            }
        }
        assert!(needs_no_escape("Sample Shelter – Lucknow 1006 (fictional), नमस्ते"));
        assert!(!needs_no_escape("a long line that ends with a quote\""));
        for s in probes {
            let mut buf = Vec::new();
            write_str(&mut buf, &s).unwrap();
            assert_eq!(buf, serde_json::to_vec(&s).unwrap(), "{s:?}");
        }
    }
}
