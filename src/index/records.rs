//! The snapshot's providers, packed. A `Provider` holds about 25 separately allocated strings
//! (1.8 KB a record at 1M, spread over the heap, so a nearest answer missed the cache on nearly
//! every string it wrote). Here a record is one allocation of fixed members plus one of its own
//! text, found by offsets; and values that many providers share (organisation, description,
//! place names, languages, hours, eligibility, cost) are kept once, in a dictionary.

use super::clusters::category_bits;
use crate::hours::HoursOf;
use crate::model::{
    Category, Confidential, LocationPrecision, LonLat, Phone, Provider, ProviderId, Status, Wheelchair,
};
use serde::Serialize;
use serde::ser::{SerializeSeq, Serializer};
use std::sync::{Arc, OnceLock};
use time::{Date, OffsetDateTime};

/// The text members of a record, in the order its own text holds them.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Text {
    Name,
    Organization,
    Description,
    Address,
    Locality,
    District,
    State,
    PostalCode,
    Country,
    Phone,
    PhoneE164,
    Hotline,
    HotlineE164,
    Sms,
    SmsE164,
    IntakePhone,
    IntakeE164,
    Email,
    Website,
    /// The language codes joined by ';' (a code never holds one).
    Languages,
    Hours,
    Eligibility,
    Cost,
}

const TEXTS: usize = Text::Cost as usize + 1;

impl Text {
    /// Members whose values recur across providers, kept once in the dictionary. Addresses,
    /// postal codes and intake phones are never among them.
    fn shared(self) -> bool {
        matches!(
            self,
            Text::Organization
                | Text::Description
                | Text::Locality
                | Text::District
                | Text::State
                | Text::Country
                | Text::Languages
                | Text::Hours
                | Text::Eligibility
                | Text::Cost
        )
    }
}

/// A text member's value: absent, an entry of the dictionary (`SHARED` set), or the end of its
/// bytes in the record's own text, where it starts at the end of the previous own value.
const ABSENT: u32 = u32::MAX;
const SHARED: u32 = 1 << 31;

/// One provider, packed: what answers show of it. Read it through [`View`], which knows the
/// dictionary. The public point is the snapshot's (`Snapshot::points`); the external id,
/// creation time and the stored public points it was worked out from are only in the store.
#[derive(Debug)]
pub struct Record {
    id: ProviderId,
    location: Confidential<LonLat>,
    updated_at: OffsetDateTime,
    verified_on: Option<Date>,
    /// Bit `i` for `Category::ALL[i]`.
    categories: u16,
    confidential: bool,
    open_24_7: bool,
    precision: LocationPrecision,
    wheelchair: Wheelchair,
    status: Status,
    texts: [u32; TEXTS],
    /// Holds the exact address and intake phone of a confidential provider: never printed.
    own: Confidential<Box<str>>,
}

/// The values records share, each kept once. Frozen once its records are packed: records a
/// small change adds look values up in it, and keep the ones it lacks in their own text.
#[derive(Default)]
pub struct Dictionary {
    values: Vec<Arc<str>>,
    ids: foldhash::HashMap<Arc<str>, u32>,
}

impl Dictionary {
    fn intern(&mut self, value: &str) -> u32 {
        if let Some(&id) = self.ids.get(value) {
            return id;
        }
        let id = self.values.len() as u32;
        let value: Arc<str> = value.into();
        self.values.push(value.clone());
        self.ids.insert(value, id);
        id
    }

    fn find(&self, value: &str) -> Option<u32> {
        self.ids.get(value).copied()
    }
}

/// The categories of `bits`, in taxonomy order (the order a record's are sorted in): one list
/// per set of bits, made once, so every record's categories borrow a list nobody frees.
pub fn categories_of(bits: u16) -> &'static [Category] {
    static LISTS: OnceLock<Vec<Vec<Category>>> = OnceLock::new();
    let lists = LISTS.get_or_init(|| {
        (0..1u32 << Category::ALL.len())
            .map(|bits| {
                Category::ALL
                    .into_iter()
                    .enumerate()
                    .filter(|(i, _)| bits & 1 << i != 0)
                    .map(|(_, c)| c)
                    .collect()
            })
            .collect()
    });
    &lists[bits as usize & ((1 << Category::ALL.len()) - 1)]
}

/// Packs `p`, asking `shared` for the dictionary id of each value of a shared member (`None`:
/// kept in the record's own text).
fn pack(p: &Provider, mut shared: impl FnMut(&str) -> Option<u32>) -> Record {
    let d = &p.data;
    let languages = (!d.languages.is_empty()).then(|| d.languages.join(";"));
    fn split(ph: &Option<Phone>) -> (Option<&str>, Option<&str>) {
        (ph.as_ref().map(|x| x.display.as_str()), ph.as_ref().and_then(|x| x.e164.as_deref()))
    }
    let (phone, phone_e164) = split(&d.phone);
    let (hotline, hotline_e164) = split(&d.hotline);
    let (sms, sms_e164) = split(&d.sms);
    let (intake, intake_e164) = split(d.intake_phone.reveal());
    // In member order: own values are laid end to end in it.
    let values: [(Text, Option<&str>); TEXTS] = [
        (Text::Name, Some(&d.name)),
        (Text::Organization, d.organization.as_deref()),
        (Text::Description, d.description.as_deref()),
        (Text::Address, d.address.reveal().as_deref()),
        (Text::Locality, d.locality.as_deref()),
        (Text::District, d.district.as_deref()),
        (Text::State, d.state.as_deref()),
        (Text::PostalCode, d.postal_code.reveal().as_deref()),
        (Text::Country, Some(&d.country)),
        (Text::Phone, phone),
        (Text::PhoneE164, phone_e164),
        (Text::Hotline, hotline),
        (Text::HotlineE164, hotline_e164),
        (Text::Sms, sms),
        (Text::SmsE164, sms_e164),
        (Text::IntakePhone, intake),
        (Text::IntakeE164, intake_e164),
        (Text::Email, d.email.as_deref()),
        (Text::Website, d.website.as_deref()),
        (Text::Languages, languages.as_deref()),
        (Text::Hours, d.hours.as_deref()),
        (Text::Eligibility, d.eligibility.as_deref()),
        (Text::Cost, d.cost.as_deref()),
    ];
    debug_assert!(values.iter().enumerate().all(|(i, (member, _))| *member as usize == i));
    let mut own = String::new();
    let mut texts = [ABSENT; TEXTS];
    for (member, value) in values {
        let Some(value) = value else { continue };
        texts[member as usize] = match member.shared().then(|| shared(value)).flatten() {
            Some(id) => id | SHARED,
            None => {
                own.push_str(value);
                own.len() as u32
            }
        };
    }
    Record {
        id: p.id,
        location: Confidential::new(*d.location.reveal()),
        updated_at: p.updated_at,
        verified_on: d.verified_on,
        categories: category_bits(&d.categories),
        confidential: d.confidential,
        open_24_7: d.open_24_7,
        precision: d.location_precision,
        wheelchair: d.wheelchair,
        status: d.status,
        texts,
        own: Confidential::new(own.into_boxed_str()),
    }
}

/// The records of a snapshot, by slot, with the dictionary their shared values are in.
pub struct Records {
    dictionary: Arc<Dictionary>,
    items: Vec<Arc<Record>>,
}

impl Records {
    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The record in `slot` (which must be one of these records').
    pub fn get(&self, slot: u32) -> View<'_> {
        View { record: &self.items[slot as usize], dictionary: &self.dictionary }
    }

    pub fn id(&self, slot: usize) -> ProviderId {
        self.items[slot].id
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = View<'_>> {
        self.items.iter().map(|record| View { record, dictionary: &self.dictionary })
    }

    /// Bytes on the heap: the slot list, each record (with its `Arc` counts) and its own
    /// text, and the dictionary (allocator overhead aside).
    pub fn heap_bytes(&self) -> usize {
        let own: usize = self.items.iter().map(|r| r.own.reveal().len()).sum();
        let d = &self.dictionary;
        let values: usize = d.values.iter().map(|v| v.len() + 16).sum();
        self.items.capacity() * size_of::<Arc<Record>>()
            + self.items.len() * (size_of::<Record>() + 16)
            + own
            + values
            + d.values.capacity() * size_of::<Arc<str>>()
            + d.ids.capacity() * (size_of::<(Arc<str>, u32)>() + 1)
    }

    /// The slot of the record with this id.
    pub fn slot_of(&self, id: ProviderId) -> Option<u32> {
        self.items.binary_search_by_key(&id, |r| r.id).ok().map(|slot| slot as u32)
    }

    /// Records made by a small change from this one: `records` (shared with it or packed by
    /// [`Records::pack`]) with the same dictionary.
    pub fn with_items(&self, items: Vec<Arc<Record>>) -> Records {
        Records { dictionary: self.dictionary.clone(), items }
    }

    /// The record in `slot`, to share with the records of a later snapshot.
    pub fn shared(&self, slot: usize) -> Arc<Record> {
        self.items[slot].clone()
    }

    /// `p` packed against this dictionary, for the records of a later snapshot: values it
    /// lacks are kept in the record's own text (a full reload makes a new dictionary).
    pub fn pack(&self, p: &Provider) -> Arc<Record> {
        Arc::new(pack(p, |value| self.dictionary.find(value)))
    }
}

/// Packs providers one at a time into a new dictionary (start-up packs each page of rows as
/// it is read, so the rows are never all held at once).
#[derive(Default)]
pub struct Packer {
    dictionary: Dictionary,
}

impl Packer {
    pub fn pack(&mut self, p: &Provider) -> Arc<Record> {
        let dictionary = &mut self.dictionary;
        Arc::new(pack(p, |value| Some(dictionary.intern(value))))
    }

    /// The records `items` (packed here), by slot.
    pub fn finish(mut self, mut items: Vec<Arc<Record>>) -> Records {
        self.dictionary.ids.shrink_to_fit();
        self.dictionary.values.shrink_to_fit();
        items.shrink_to_fit();
        Records { dictionary: Arc::new(self.dictionary), items }
    }
}

impl Record {
    pub fn id(&self) -> ProviderId {
        self.id
    }
}

/// A record read with its dictionary: the provider's members, borrowed.
#[derive(Clone, Copy)]
pub struct View<'a> {
    record: &'a Record,
    dictionary: &'a Dictionary,
}

/// A phone number of a record, borrowed: serialised as [`Phone`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PhoneRef<'a> {
    pub display: &'a str,
    pub e164: Option<&'a str>,
}

/// A record's language codes, borrowed (joined by ';'): serialised as a list of strings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Languages<'a>(pub Option<&'a str>);

impl<'a> Languages<'a> {
    pub fn iter(self) -> impl Iterator<Item = &'a str> {
        self.0.into_iter().flat_map(|joined| joined.split(';'))
    }

    pub fn contains(self, code: &str) -> bool {
        self.iter().any(|c| c == code)
    }
}

impl Serialize for Languages<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(None)?;
        for code in self.iter() {
            seq.serialize_element(code)?;
        }
        seq.end()
    }
}

impl<'a> View<'a> {
    fn text(self, member: Text) -> Option<&'a str> {
        self.text_at(member as usize)
    }

    /// The text member with index `i`.
    fn text_at(self, i: usize) -> Option<&'a str> {
        let value = self.record.texts[i];
        if value == ABSENT {
            return None;
        }
        if value & SHARED != 0 {
            return Some(&self.dictionary.values[(value & !SHARED) as usize]);
        }
        // Own values are laid out in member order: this one starts where the last before it ends.
        let start = self.record.texts[..i].iter().rev().find(|&&v| v & SHARED == 0).map_or(0, |&end| end);
        Some(&self.record.own.reveal()[start as usize..value as usize])
    }

    fn phone_of(self, display: Text, e164: Text) -> Option<PhoneRef<'a>> {
        self.text(display).map(|display| PhoneRef { display, e164: self.text(e164) })
    }

    pub fn id(self) -> ProviderId {
        self.record.id
    }

    pub fn name(self) -> &'a str {
        self.text(Text::Name).unwrap_or_default()
    }

    pub fn organization(self) -> Option<&'a str> {
        self.text(Text::Organization)
    }

    pub fn description(self) -> Option<&'a str> {
        self.text(Text::Description)
    }

    /// The sorted categories.
    pub fn categories(self) -> &'static [Category] {
        categories_of(self.record.categories)
    }

    pub fn category_bits(self) -> u16 {
        self.record.categories
    }

    pub fn has_category(self, c: Category) -> bool {
        self.categories().contains(&c)
    }

    /// The exact location: for a confidential provider it never leaves the server publicly.
    pub fn location(self) -> Confidential<LonLat> {
        self.record.location
    }

    pub fn location_precision(self) -> LocationPrecision {
        self.record.precision
    }

    /// See [`Provider::public_precision`].
    pub fn public_precision(self) -> LocationPrecision {
        if self.record.confidential { LocationPrecision::Approximate } else { self.record.precision }
    }

    pub fn confidential(self) -> bool {
        self.record.confidential
    }

    pub fn address(self) -> Confidential<Option<&'a str>> {
        Confidential::new(self.text(Text::Address))
    }

    pub fn locality(self) -> Option<&'a str> {
        self.text(Text::Locality)
    }

    pub fn district(self) -> Option<&'a str> {
        self.text(Text::District)
    }

    pub fn state(self) -> Option<&'a str> {
        self.text(Text::State)
    }

    pub fn postal_code(self) -> Confidential<Option<&'a str>> {
        Confidential::new(self.text(Text::PostalCode))
    }

    pub fn country(self) -> &'a str {
        self.text(Text::Country).unwrap_or_default()
    }

    pub fn phone(self) -> Option<PhoneRef<'a>> {
        self.phone_of(Text::Phone, Text::PhoneE164)
    }

    pub fn hotline(self) -> Option<PhoneRef<'a>> {
        self.phone_of(Text::Hotline, Text::HotlineE164)
    }

    pub fn sms(self) -> Option<PhoneRef<'a>> {
        self.phone_of(Text::Sms, Text::SmsE164)
    }

    pub fn intake_phone(self) -> Confidential<Option<PhoneRef<'a>>> {
        Confidential::new(self.phone_of(Text::IntakePhone, Text::IntakeE164))
    }

    pub fn email(self) -> Option<&'a str> {
        self.text(Text::Email)
    }

    pub fn website(self) -> Option<&'a str> {
        self.text(Text::Website)
    }

    pub fn languages(self) -> Languages<'a> {
        Languages(self.text(Text::Languages))
    }

    pub fn hours(self) -> Option<&'a str> {
        self.text(Text::Hours)
    }

    pub fn open_24_7(self) -> bool {
        self.record.open_24_7
    }

    /// What its schedule depends on.
    pub fn hours_of(self) -> HoursOf<'a> {
        HoursOf { hours: self.hours(), open_24_7: self.record.open_24_7, country: self.country() }
    }

    pub fn eligibility(self) -> Option<&'a str> {
        self.text(Text::Eligibility)
    }

    pub fn cost(self) -> Option<&'a str> {
        self.text(Text::Cost)
    }

    pub fn wheelchair(self) -> Wheelchair {
        self.record.wheelchair
    }

    pub fn verified_on(self) -> Option<Date> {
        self.record.verified_on
    }

    pub fn status(self) -> Status {
        self.record.status
    }

    pub fn updated_at(self) -> OffsetDateTime {
        self.record.updated_at
    }

    /// Whether this record holds what `p` would be packed into: every member an answer shows.
    pub fn holds(self, p: &Provider) -> bool {
        let mut packer = Packer::default();
        let other = packer.pack(p);
        let dictionary = packer.dictionary;
        self == View { record: &other, dictionary: &dictionary }
    }
}

impl PartialEq for View<'_> {
    /// Equal members, however each is stored (shared or own).
    fn eq(&self, o: &View<'_>) -> bool {
        let (a, b) = (self.record, o.record);
        a.id == b.id
            && a.location == b.location
            && a.updated_at == b.updated_at
            && a.verified_on == b.verified_on
            && a.categories == b.categories
            && a.confidential == b.confidential
            && a.open_24_7 == b.open_24_7
            && a.precision == b.precision
            && a.wheelchair == b.wheelchair
            && a.status == b.status
            && (0..TEXTS).all(|i| self.text_at(i) == o.text_at(i))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every member of `view` is `p`'s, read the way answers read it.
    fn assert_members(view: View<'_>, p: &Provider) {
        let d = &p.data;
        let phone = |x: &Option<Phone>| x.as_ref().map(|x| (x.display.clone(), x.e164.clone()));
        let phone_ref = |x: Option<PhoneRef>| x.map(|x| (x.display.to_string(), x.e164.map(str::to_string)));
        assert_eq!(view.id(), p.id);
        assert_eq!(view.name(), d.name);
        assert_eq!(view.organization(), d.organization.as_deref());
        assert_eq!(view.description(), d.description.as_deref());
        assert_eq!(view.categories(), d.categories);
        assert_eq!(view.location(), d.location);
        assert_eq!(view.location_precision(), d.location_precision);
        assert_eq!(view.public_precision(), p.public_precision());
        assert_eq!(view.confidential(), d.confidential);
        assert_eq!(*view.address().reveal(), d.address.reveal().as_deref());
        assert_eq!(view.locality(), d.locality.as_deref());
        assert_eq!(view.district(), d.district.as_deref());
        assert_eq!(view.state(), d.state.as_deref());
        assert_eq!(*view.postal_code().reveal(), d.postal_code.reveal().as_deref());
        assert_eq!(view.country(), d.country);
        assert_eq!(phone_ref(view.phone()), phone(&d.phone));
        assert_eq!(phone_ref(view.hotline()), phone(&d.hotline));
        assert_eq!(phone_ref(view.sms()), phone(&d.sms));
        assert_eq!(phone_ref(*view.intake_phone().reveal()), phone(d.intake_phone.reveal()));
        assert_eq!(view.email(), d.email.as_deref());
        assert_eq!(view.website(), d.website.as_deref());
        assert_eq!(view.languages().iter().collect::<Vec<_>>(), d.languages);
        assert_eq!(view.hours(), d.hours.as_deref());
        assert_eq!(view.open_24_7(), d.open_24_7);
        assert_eq!(view.eligibility(), d.eligibility.as_deref());
        assert_eq!(view.cost(), d.cost.as_deref());
        assert_eq!(view.wheelchair(), d.wheelchair);
        assert_eq!(view.verified_on(), d.verified_on);
        assert_eq!(view.status(), d.status);
        assert_eq!(view.updated_at(), p.updated_at);
        assert!(view.holds(p));
    }

    #[test]
    fn every_sample_provider_unpacks_to_itself_with_its_own_dictionary_or_an_older_one() {
        let providers = crate::sample::providers(3_000, 5);
        let mut packer = Packer::default();
        let items = providers[..1_500].iter().map(|p| packer.pack(p)).collect();
        let first = packer.finish(items);
        for (p, view) in providers.iter().zip(first.iter()) {
            assert_members(view, p);
        }
        // Later records against the first half's dictionary: some values are not in it.
        for p in &providers[1_500..] {
            let items = vec![first.pack(p)];
            assert_members(first.with_items(items).get(0), p);
        }
    }

    #[test]
    fn absent_empty_and_shared_values_keep_their_places() {
        let mut p = crate::sample::providers(1, 3).remove(0);
        p.data.organization = None;
        p.data.description = Some(String::new());
        p.data.languages = vec!["hi".into(), "en".into()];
        p.data.address = Some("12 Lane".to_string()).into();
        p.data.intake_phone = Some(Phone { display: "181".into(), e164: None }).into();
        p.data.categories = vec![Category::Shelter, Category::Other];
        let mut packer = Packer::default();
        let items = vec![packer.pack(&p), packer.pack(&p)];
        let records = packer.finish(items);
        let view = records.get(1);
        assert_members(view, &p);
        assert!(view == records.get(0), "equal however stored");
        let mut renamed = p.clone();
        renamed.data.name.push('!');
        assert!(!view.holds(&renamed));
        assert_eq!(view.organization(), None);
        assert_eq!(view.description(), Some(""));
        assert_eq!(view.languages().iter().collect::<Vec<_>>(), ["hi", "en"]);
        assert!(view.languages().contains("en") && !view.languages().contains("e"));
        assert_eq!(serde_json::to_string(&view.languages()).unwrap(), r#"["hi","en"]"#);
        assert_eq!(*view.address().reveal(), Some("12 Lane"));
        assert_eq!(view.categories(), [Category::Shelter, Category::Other]);
        let phone = serde_json::to_value(view.intake_phone().reveal().unwrap()).unwrap();
        assert_eq!(phone, serde_json::to_value(Phone { display: "181".into(), e164: None }).unwrap());
    }

    #[test]
    fn a_record_debug_shows_no_exact_point_address_or_intake_phone() {
        let mut p = crate::sample::providers(1, 3).remove(0);
        p.data.location = LonLat { lon: 80.946_123, lat: 26.846_789 }.into();
        p.data.address = Some("12 Hidden Lane".to_string()).into();
        p.data.intake_phone = Some(Phone { display: "0522 230 5551".into(), e164: None }).into();
        let shown = format!("{:?}", Packer::default().pack(&p));
        for secret in ["80.946", "26.846", "Hidden", "230 5551"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
    }
}
