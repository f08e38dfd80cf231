//! The snapshot's providers, packed. A `Provider` holds about 25 separately allocated strings
//! (1.8 KB a record at 1M, spread over the heap, so a nearest answer missed the cache on nearly
//! every string it wrote). Here a record is fixed members plus a place in a chunk of text that
//! many records share, its members found by stepping over lengths; and values that many
//! providers share (organisation, description, place names, languages, hours, eligibility,
//! cost) are kept once, in a dictionary.

mod bytes;

use super::clusters::category_bits;
use crate::hours::HoursOf;
use crate::model::fields::{E164, e164_of};
use crate::model::{
    Category, Confidential, LocationPrecision, LonLat, Phone, Provider, ProviderId, Status, Wheelchair,
};
use serde::Serialize;
use serde::ser::{SerializeSeq, Serializer};
use std::sync::{Arc, OnceLock};
use time::{Date, OffsetDateTime};

/// The text members of a record, in the order its text holds them: a member is found by stepping
/// over the ones before it, so those every snapshot build reads (country, languages, hours) and
/// those the shortest answers write (name, phone) come first.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Text {
    Country,
    /// The language codes joined by ';' (a code never holds one).
    Languages,
    Hours,
    Name,
    Phone,
    PhoneE164,
    Organization,
    Description,
    Address,
    Locality,
    District,
    State,
    PostalCode,
    Hotline,
    HotlineE164,
    Sms,
    SmsE164,
    IntakePhone,
    IntakeE164,
    Email,
    Website,
    Eligibility,
    Cost,
}

const TEXTS: usize = Text::Cost as usize + 1;

/// The E.164 members, as bits.
const DERIVABLE: u32 = 1 << Text::PhoneE164 as u32
    | 1 << Text::HotlineE164 as u32
    | 1 << Text::SmsE164 as u32
    | 1 << Text::IntakeE164 as u32;

impl Text {
    /// For an E.164 member, the phone it is the E.164 form of.
    fn display(self) -> Option<Text> {
        match self {
            Text::PhoneE164 => Some(Text::Phone),
            Text::HotlineE164 => Some(Text::Hotline),
            Text::SmsE164 => Some(Text::Sms),
            Text::IntakeE164 => Some(Text::IntakePhone),
            _ => None,
        }
    }

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

/// How a record's text members are laid out in its text: numbers written as one `char` each
/// (see [`push_number`]), so the whole record stays one `str` with no unsafe decoding. A member
/// present in `present` is, in member order, either a dictionary id (its bit set in `shared`)
/// or a byte length followed by that many bytes of the value.
fn push_number(text: &mut String, n: u32) {
    // A char holds 0..=0x10FFFF except the surrogates: 0x10F800 values. Lengths (at most 16,000
    // bytes by validation) and dictionary ids take one char; anything larger, an escape and two.
    match char_of(n) {
        Some(c) if n < ESCAPE => text.push(c),
        _ => {
            for part in [ESCAPE, n / ESCAPE, n % ESCAPE] {
                text.push(char_of(part).expect("every part is below ESCAPE"));
            }
        }
    }
}

/// The last value one char holds; it also marks a number written as two more chars.
const ESCAPE: u32 = 0x10_F7FF;

fn char_of(n: u32) -> Option<char> {
    char::from_u32(if n < 0xD800 { n } else { n.checked_add(0x800)? })
}

fn number_of(c: char) -> u32 {
    let c = c as u32;
    if c < 0xD800 { c } else { c - 0x800 }
}

/// The number at the start of `text`, and what follows it.
fn take_number(text: &str) -> (u32, &str) {
    let mut chars = text.chars();
    let first = chars.next().map_or(0, number_of);
    if first < ESCAPE {
        return (first, chars.as_str());
    }
    let high = chars.next().map_or(0, number_of);
    let low = chars.next().map_or(0, number_of);
    (high * ESCAPE + low, chars.as_str())
}

/// One provider, packed: what answers show of it, in 48 bytes plus its text in a chunk. Read
/// it through [`View`], which knows the chunks and the dictionary. The public point is the
/// snapshot's (`Snapshot::points`), and it is the exact point of every provider but the
/// confidential ones, whose exact points [`Records`] keeps apart; the external id, creation
/// time and the stored public points it was worked out from are only in the store.
#[derive(Debug, Clone)]
pub struct Record {
    id: ProviderId,
    updated_at: OffsetDateTime,
    /// Where the text members start (see [`push_number`]); the text ends after the last one.
    text: TextAt,
    verified_on: Option<Date>,
    /// Bit `i` set when text member `i` has a value...
    present: u32,
    /// ...and when that value is in the dictionary (for an E.164 member: when it is the one
    /// [`e164_of`] works out, and nothing is kept of it).
    shared: u32,
    /// Bit `i` for `Category::ALL[i]`.
    categories: u16,
    /// See the `FLAG_` constants.
    flags: u8,
}

/// A record's text: chunk `chunk` of its records' chunks, from byte `start`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct TextAt {
    chunk: u32,
    start: u32,
}

/// How long a chunk of text grows before the next is begun. One allocation per record's text
/// cost 16 bytes of reference counts and about as much of allocator rounding (31 MB at 1M);
/// a large chunk wastes at most the allocator's 64 KiB rounding. Small in tests, so that they
/// cross chunks.
const CHUNK_BYTES: usize = if cfg!(test) { 512 } else { 4 << 20 };

/// The most chunks before an edit copies every text into new ones (each edit adds one).
const MAX_CHUNKS: usize = if cfg!(test) { 256 } else { 1 << 14 };

/// Texts being written, one after another, into chunks. A chunk holds the exact addresses and
/// intake phones of confidential providers: never printed.
#[derive(Default)]
struct Chunks {
    done: Vec<Confidential<Arc<str>>>,
    open: String,
}

impl Chunks {
    /// Where the next text starts; a full chunk is closed first.
    fn next(&mut self) -> TextAt {
        if self.open.len() >= CHUNK_BYTES {
            self.close();
        }
        TextAt { chunk: self.done.len() as u32, start: self.open.len() as u32 }
    }

    fn close(&mut self) {
        if !self.open.is_empty() {
            self.done.push(Confidential::new(Arc::from(self.open.as_str())));
            self.open.clear();
        }
    }

    fn finish(mut self) -> Vec<Confidential<Arc<str>>> {
        self.close();
        self.done.shrink_to_fit();
        self.done
    }
}

/// The text of `record` in `chunks`: from its start to the end of its last member.
fn text_of<'a>(chunks: &'a [Confidential<Arc<str>>], record: &Record) -> &'a str {
    let all = &chunks[record.text.chunk as usize].reveal()[record.text.start as usize..];
    let mut rest = all;
    for j in (0..TEXTS).filter(|j| record.kept() >> j & 1 != 0) {
        let (n, after) = take_number(rest);
        rest = if record.shared >> j & 1 != 0 { after } else { &after[n as usize..] };
    }
    &all[..all.len() - rest.len()]
}

const FLAG_CONFIDENTIAL: u8 = 1;
const FLAG_OPEN_24_7: u8 = 1 << 1;
/// Index in `LocationPrecision::ALL`, `Status::ALL` and (two bits) `Wheelchair::ALL`.
const FLAG_PRECISION: u32 = 2;
const FLAG_STATUS: u32 = 3;
const FLAG_WHEELCHAIR: u32 = 4;

fn position<T: PartialEq>(all: &[T], value: &T) -> u8 {
    all.iter().position(|v| v == value).unwrap_or(0) as u8
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

/// Packs `p` with its text at the end of `chunks`, asking `shared` for the dictionary id of
/// each value of a shared member (`None`: kept in the record's own text).
fn pack(p: &Provider, chunks: &mut Chunks, mut shared: impl FnMut(&str) -> Option<u32>) -> Record {
    let d = &p.data;
    let languages = (!d.languages.is_empty()).then(|| d.languages.join(";"));
    fn split(ph: &Option<Phone>) -> (Option<&str>, Option<&str>) {
        (ph.as_ref().map(|x| x.display.as_str()), ph.as_ref().and_then(|x| x.e164.as_deref()))
    }
    let (phone, phone_e164) = split(&d.phone);
    let (hotline, hotline_e164) = split(&d.hotline);
    let (sms, sms_e164) = split(&d.sms);
    let (intake, intake_e164) = split(d.intake_phone.reveal());
    // In member order: the text holds them in it.
    let values: [(Text, Option<&str>); TEXTS] = [
        (Text::Country, Some(&d.country)),
        (Text::Languages, languages.as_deref()),
        (Text::Hours, d.hours.as_deref()),
        (Text::Name, Some(&d.name)),
        (Text::Phone, phone),
        (Text::PhoneE164, phone_e164),
        (Text::Organization, d.organization.as_deref()),
        (Text::Description, d.description.as_deref()),
        (Text::Address, d.address.reveal().as_deref()),
        (Text::Locality, d.locality.as_deref()),
        (Text::District, d.district.as_deref()),
        (Text::State, d.state.as_deref()),
        (Text::PostalCode, d.postal_code.reveal().as_deref()),
        (Text::Hotline, hotline),
        (Text::HotlineE164, hotline_e164),
        (Text::Sms, sms),
        (Text::SmsE164, sms_e164),
        (Text::IntakePhone, intake),
        (Text::IntakeE164, intake_e164),
        (Text::Email, d.email.as_deref()),
        (Text::Website, d.website.as_deref()),
        (Text::Eligibility, d.eligibility.as_deref()),
        (Text::Cost, d.cost.as_deref()),
    ];
    debug_assert!(values.iter().enumerate().all(|(i, (member, _))| *member as usize == i));
    let at = chunks.next();
    let text = &mut chunks.open;
    let (mut present, mut in_dictionary) = (0u32, 0u32);
    for (member, value) in values {
        let Some(value) = value else { continue };
        let bit = 1 << member as u32;
        present |= bit;
        if let Some(display) = member.display() {
            // Kept only when it is not the one worked out from the number and the country.
            let derived = values[display as usize].1.and_then(|display| e164_of(display, &d.country));
            if derived.is_some_and(|e| e.as_str() == value) {
                in_dictionary |= bit;
                continue;
            }
        }
        match member.shared().then(|| shared(value)).flatten() {
            Some(id) => {
                in_dictionary |= bit;
                push_number(text, id);
            }
            None => {
                push_number(text, value.len() as u32);
                text.push_str(value);
            }
        }
    }
    let flags = (u8::from(d.confidential) * FLAG_CONFIDENTIAL)
        | (u8::from(d.open_24_7) * FLAG_OPEN_24_7)
        | (position(&LocationPrecision::ALL, &d.location_precision) << FLAG_PRECISION)
        | (position(&Status::ALL, &d.status) << FLAG_STATUS)
        | (position(&Wheelchair::ALL, &d.wheelchair) << FLAG_WHEELCHAIR);
    Record {
        id: p.id,
        updated_at: p.updated_at,
        text: at,
        verified_on: d.verified_on,
        present,
        shared: in_dictionary,
        categories: category_bits(&d.categories),
        flags,
    }
}

/// The records of a snapshot, by slot, with the chunks their texts are in and the dictionary
/// their shared values are in.
pub struct Records {
    dictionary: Arc<Dictionary>,
    chunks: Vec<Confidential<Arc<str>>>,
    items: Vec<Record>,
    /// The exact points of the confidential records, by id.
    exact: Vec<(ProviderId, Confidential<LonLat>)>,
    /// Bytes of the chunks that no record reads any longer: texts of records changed or gone
    /// since they were written (see [`Editor::finish`]).
    dead: usize,
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
        self.view(&self.items[slot as usize])
    }

    fn view<'a>(&'a self, record: &'a Record) -> View<'a> {
        View { record, records: self, starts: None }
    }

    pub fn id(&self, slot: usize) -> ProviderId {
        self.items[slot].id
    }

    pub fn iter(&self) -> impl ExactSizeIterator<Item = View<'_>> {
        self.items.iter().map(|record| self.view(record))
    }

    /// Bytes on the heap: the records, the chunks of text (with their `Arc` counts), and the
    /// dictionary (allocator overhead aside; chunks shared with an earlier snapshot count in both).
    pub fn heap_bytes(&self) -> usize {
        let text: usize = self.chunks.iter().map(|c| c.reveal().len() + 16).sum();
        let d = &self.dictionary;
        let values: usize = d.values.iter().map(|v| v.len() + 16).sum();
        self.items.capacity() * size_of::<Record>()
            + self.exact.capacity() * size_of::<(ProviderId, LonLat)>()
            + self.chunks.capacity() * size_of::<Arc<str>>()
            + text
            + values
            + d.values.capacity() * size_of::<Arc<str>>()
            + d.ids.capacity() * (size_of::<(Arc<str>, u32)>() + 1)
    }

    /// The slot of the record with this id.
    pub fn slot_of(&self, id: ProviderId) -> Option<u32> {
        self.items.binary_search_by_key(&id, |r| r.id).ok().map(|slot| slot as u32)
    }

    /// The records of a small change from these: see [`Editor`].
    pub fn edit(&self) -> Editor<'_> {
        Editor {
            from: self,
            chunks: Chunks { done: self.chunks.clone(), open: String::new() },
            dead: self.dead,
            exact: Vec::new(),
            dropped: Vec::new(),
        }
    }
}

/// `(id, exact point)` of `p` when it is confidential: its public point is somewhere else.
fn exact_of(p: &Provider) -> Option<(ProviderId, Confidential<LonLat>)> {
    p.data.confidential.then_some((p.id, p.data.location))
}

/// Makes the records of a later snapshot from a small change: records kept from the earlier
/// one (`shared`) share its chunks and dictionary; changed ones (`pack`) go to new chunks.
pub struct Editor<'a> {
    from: &'a Records,
    chunks: Chunks,
    dead: usize,
    /// The exact points of the confidential records packed here, by id.
    exact: Vec<(ProviderId, Confidential<LonLat>)>,
    /// The ids of the earlier records dropped.
    dropped: Vec<ProviderId>,
}

impl Editor<'_> {
    /// The record in `slot` of the earlier records, kept as it is.
    pub fn shared(&self, slot: usize) -> Record {
        self.from.items[slot].clone()
    }

    /// The record in `slot` of the earlier records is replaced or gone: its text is dead.
    /// Every earlier record is either kept (`shared`) or dropped.
    pub fn drop(&mut self, slot: usize) {
        let record = &self.from.items[slot];
        self.dead += text_of(&self.from.chunks, record).len();
        self.dropped.push(record.id);
    }

    /// `p` packed against the earlier dictionary: values it lacks are kept in the record's
    /// own text (a full reload makes a new dictionary).
    pub fn pack(&mut self, p: &Provider) -> Record {
        self.exact.extend(exact_of(p));
        let dictionary = &self.from.dictionary;
        pack(p, &mut self.chunks, |value| dictionary.find(value))
    }

    /// The records `items` (shared or packed here), by slot. Once more than half of the
    /// chunks' bytes are dead, every text is copied into new chunks, so a server that is
    /// edited for months holds what it shows and not every earlier version of it; and once
    /// edits have made many small chunks, which each snapshot's list of chunks repeats.
    pub fn finish(self, mut items: Vec<Record>) -> Records {
        let chunks = self.chunks.finish();
        let bytes: usize = chunks.iter().map(|c| c.reveal().len()).sum();
        let mut dead = self.dead;
        let chunks = if dead * 2 > bytes || chunks.len() > MAX_CHUNKS {
            let mut fresh = Chunks::default();
            for record in &mut items {
                let text = text_of(&chunks, record);
                record.text = fresh.next();
                fresh.open.push_str(text);
            }
            dead = 0;
            fresh.finish()
        } else {
            chunks
        };
        // The confidential records' exact points: those packed here, and the earlier ones of
        // records kept as they were (neither dropped nor packed again); a change reads only
        // these few, not every record.
        let (mut packed, mut dropped) = (self.exact, self.dropped);
        packed.sort_unstable_by_key(|(id, _)| *id);
        dropped.sort_unstable();
        let mut exact: Vec<_> = self
            .from
            .exact
            .iter()
            .copied()
            .filter(|(id, _)| dropped.binary_search(id).is_err() && find_exact(&packed, *id).is_none())
            .collect();
        exact.append(&mut packed);
        exact.sort_unstable_by_key(|(id, _)| *id);
        Records { dictionary: self.from.dictionary.clone(), chunks, items, exact, dead }
    }
}

/// Packs providers one at a time into new chunks and a new dictionary (start-up packs each
/// page of rows as it is read, so the rows are never all held at once).
#[derive(Default)]
pub struct Packer {
    dictionary: Dictionary,
    chunks: Chunks,
    exact: Vec<(ProviderId, Confidential<LonLat>)>,
}

impl Packer {
    pub fn pack(&mut self, p: &Provider) -> Record {
        self.exact.extend(exact_of(p));
        let dictionary = &mut self.dictionary;
        pack(p, &mut self.chunks, |value| Some(dictionary.intern(value)))
    }

    /// The records `items` (packed here), by slot.
    pub fn finish(mut self, mut items: Vec<Record>) -> Records {
        self.dictionary.ids.shrink_to_fit();
        self.dictionary.values.shrink_to_fit();
        items.shrink_to_fit();
        self.exact.sort_unstable_by_key(|(id, _)| *id);
        self.exact.shrink_to_fit();
        let chunks = self.chunks.finish();
        Records { dictionary: Arc::new(self.dictionary), chunks, items, exact: self.exact, dead: 0 }
    }
}

impl Record {
    pub fn id(&self) -> ProviderId {
        self.id
    }

    /// Members with something in the text: not absent, nor an E.164 form worked out.
    fn kept(&self) -> u32 {
        self.present & !(self.shared & DERIVABLE)
    }
}

/// The exact point of `id` in `exact` (sorted by id), with its id.
fn find_exact(
    exact: &[(ProviderId, Confidential<LonLat>)],
    id: ProviderId,
) -> Option<(ProviderId, Confidential<LonLat>)> {
    exact.binary_search_by_key(&id, |(id, _)| *id).ok().map(|i| exact[i])
}

/// A record read with its records' chunks, dictionary and exact points: the provider's
/// members, borrowed.
#[derive(Clone, Copy)]
pub struct View<'a> {
    record: &'a Record,
    records: &'a Records,
    /// Where each kept text member starts in the record's text, once [`View::decoded`].
    starts: Option<[u16; TEXTS]>,
}

/// A phone number of a record, borrowed: serialised as [`Phone`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct PhoneRef<'a> {
    pub display: &'a str,
    pub e164: Option<E164Ref<'a>>,
}

/// A phone's E.164 form: kept in the record, or worked out from the number as written.
#[derive(Debug, Clone, Copy)]
pub enum E164Ref<'a> {
    Kept(&'a str),
    Derived(E164),
}

impl E164Ref<'_> {
    pub fn as_str(&self) -> &str {
        match self {
            E164Ref::Kept(s) => s,
            E164Ref::Derived(e) => e.as_str(),
        }
    }
}

impl PartialEq for E164Ref<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for E164Ref<'_> {}

impl Serialize for E164Ref<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
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

    /// The record's text, from its start to the end of its chunk.
    fn text_from_start(self) -> &'a str {
        let at = self.record.text;
        &self.records.chunks[at.chunk as usize].reveal()[at.start as usize..]
    }

    /// The first byte of the record's text (0 when it has none): reading it brings the record
    /// and the start of its text into the cache.
    pub fn touch(self) -> u8 {
        self.text_from_start().as_bytes().first().copied().unwrap_or(0)
    }

    /// The value of kept member `j` written at the start of `rest`, and what follows it.
    fn member(self, j: usize, rest: &'a str) -> (&'a str, &'a str) {
        let (n, after) = take_number(rest);
        if self.record.shared >> j & 1 != 0 {
            (&self.records.dictionary.values[n as usize], after)
        } else {
            after.split_at(n as usize)
        }
    }

    /// The text member with index `i`: from where [`View::decoded`] found it, or by stepping
    /// over the members before it.
    fn text_at(self, i: usize) -> Option<&'a str> {
        let kept = self.record.kept();
        if kept >> i & 1 == 0 {
            return None;
        }
        let mut rest = self.text_from_start();
        if let Some(starts) = self.starts {
            return Some(self.member(i, &rest[usize::from(starts[i])..]).0);
        }
        for j in (0..=i).filter(|j| kept >> j & 1 != 0) {
            let (value, after) = self.member(j, rest);
            if j == i {
                return Some(value);
            }
            rest = after;
        }
        None
    }

    /// This view with where each text member starts worked out in one pass, for a reader of
    /// most members (a full answer), who would otherwise step over the members before each
    /// one again: 23 members in 276 steps. A text too long for 16-bit offsets is left as it is.
    pub fn decoded(self) -> View<'a> {
        let text = self.text_from_start();
        let mut starts = [0u16; TEXTS];
        let mut rest = text;
        for j in (0..TEXTS).filter(|j| self.record.kept() >> j & 1 != 0) {
            let Ok(start) = u16::try_from(text.len() - rest.len()) else { return self };
            starts[j] = start;
            rest = self.member(j, rest).1;
        }
        View { starts: Some(starts), ..self }
    }

    fn flag(self, flag: u8) -> bool {
        self.record.flags & flag != 0
    }

    fn flag_index(self, shift: u32, bits: u8) -> usize {
        usize::from(self.record.flags >> shift & bits)
    }

    fn phone_of(self, display: Text, e164: Text) -> Option<PhoneRef<'a>> {
        let shown = self.text(display)?;
        let e164 = if self.record.shared >> e164 as u32 & 1 != 0 {
            e164_of(shown, self.country()).map(E164Ref::Derived)
        } else {
            self.text(e164).map(E164Ref::Kept)
        };
        Some(PhoneRef { display: shown, e164 })
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

    /// The exact point of a confidential provider: it never leaves the server publicly.
    /// `None` for any other provider, whose exact point is its public one (`Snapshot::points`).
    pub fn exact_location(self) -> Confidential<Option<LonLat>> {
        let found = self.confidential().then(|| find_exact(&self.records.exact, self.record.id)).flatten();
        Confidential::new(found.map(|(_, at)| *at.reveal()))
    }

    pub fn location_precision(self) -> LocationPrecision {
        LocationPrecision::ALL[self.flag_index(FLAG_PRECISION, 1)]
    }

    /// See [`Provider::public_precision`].
    pub fn public_precision(self) -> LocationPrecision {
        if self.confidential() { LocationPrecision::Approximate } else { self.location_precision() }
    }

    pub fn confidential(self) -> bool {
        self.flag(FLAG_CONFIDENTIAL)
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
        self.flag(FLAG_OPEN_24_7)
    }

    /// What its schedule depends on.
    pub fn hours_of(self) -> HoursOf<'a> {
        HoursOf { hours: self.hours(), open_24_7: self.open_24_7(), country: self.country() }
    }

    pub fn eligibility(self) -> Option<&'a str> {
        self.text(Text::Eligibility)
    }

    pub fn cost(self) -> Option<&'a str> {
        self.text(Text::Cost)
    }

    pub fn wheelchair(self) -> Wheelchair {
        Wheelchair::ALL[self.flag_index(FLAG_WHEELCHAIR, 3)]
    }

    pub fn verified_on(self) -> Option<Date> {
        self.record.verified_on
    }

    pub fn status(self) -> Status {
        Status::ALL[self.flag_index(FLAG_STATUS, 1)]
    }

    pub fn updated_at(self) -> OffsetDateTime {
        self.record.updated_at
    }

    /// Whether this record holds what `p` would be packed into: every member an answer shows.
    pub fn holds(self, p: &Provider) -> bool {
        let mut packer = Packer::default();
        let other = packer.pack(p);
        let records = packer.finish(vec![other]);
        self == records.get(0)
    }
}

impl PartialEq for View<'_> {
    /// Equal members, however each is stored (shared or own).
    fn eq(&self, o: &View<'_>) -> bool {
        let (a, b) = (self.record, o.record);
        a.id == b.id
            && self.exact_location() == o.exact_location()
            && a.updated_at == b.updated_at
            && a.verified_on == b.verified_on
            && a.categories == b.categories
            && a.flags == b.flags
            && (0..TEXTS).all(|i| self.text_at(i) == o.text_at(i))
            && self.phone() == o.phone()
            && self.hotline() == o.hotline()
            && self.sms() == o.sms()
            && self.intake_phone().reveal() == o.intake_phone().reveal()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every member of `view` is `p`'s, read the way answers read it.
    fn assert_members(view: View<'_>, p: &Provider) {
        let d = &p.data;
        let phone = |x: &Option<Phone>| x.as_ref().map(|x| (x.display.clone(), x.e164.clone()));
        let phone_ref =
            |x: Option<PhoneRef>| x.map(|x| (x.display.to_string(), x.e164.map(|e| e.as_str().to_string())));
        assert_eq!(view.id(), p.id);
        assert_eq!(view.name(), d.name);
        assert_eq!(view.organization(), d.organization.as_deref());
        assert_eq!(view.description(), d.description.as_deref());
        assert_eq!(view.categories(), d.categories);
        let exact = d.confidential.then_some(*d.location.reveal());
        assert_eq!(*view.exact_location().reveal(), exact);
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
            assert_members(view.decoded(), p);
        }
        // Later records against the first half's dictionary: some values are not in it.
        for p in &providers[1_500..] {
            let mut editor = first.edit();
            let items = vec![editor.pack(p)];
            assert_members(editor.finish(items).get(0), p);
        }
    }

    /// Records kept, replaced, dropped and added, edit after edit: every record reads as its
    /// provider, however many chunks the edits made and whenever the texts were copied anew.
    #[test]
    fn edited_records_read_as_their_providers_through_every_copy_of_the_texts() {
        use rand::{Rng, SeedableRng};
        let providers = crate::sample::providers(2_000, 8);
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(8);
        let mut packer = Packer::default();
        let mut shown: Vec<Provider> = providers[..300].to_vec();
        let items = shown.iter().map(|p| packer.pack(p)).collect();
        let mut records = packer.finish(items);
        assert!(records.chunks.len() > 10, "a few records fill a test chunk");
        let (mut copies, mut grown, mut chunks_before) = (0, 0, records.chunks.len());
        for round in 0..400 {
            // Replace one record with another provider's members (same id), drop one, add one.
            let replace = rng.random_range(0..shown.len());
            let mut changed = providers[300 + round].clone();
            changed.id = shown[replace].id;
            let gone = rng.random_range(0..shown.len());
            let mut editor = records.edit();
            let mut next = Vec::new();
            let mut items = Vec::new();
            for (slot, p) in shown.iter().enumerate() {
                if slot == gone && slot != replace {
                    editor.drop(slot);
                } else if slot == replace {
                    editor.drop(slot);
                    items.push(editor.pack(&changed));
                    next.push(changed.clone());
                } else {
                    items.push(editor.shared(slot));
                    next.push(p.clone());
                }
            }
            let added = providers[1_000 + round].clone();
            items.push(editor.pack(&added));
            next.push(added);
            records = editor.finish(items);
            shown = next;
            for (view, p) in records.iter().zip(&shown) {
                assert_members(view, p);
            }
            copies += usize::from(records.chunks.len() < chunks_before);
            grown += usize::from(records.chunks.len() > chunks_before);
            chunks_before = records.chunks.len();
            let live: usize = records.items.iter().map(|r| text_of(&records.chunks, r).len()).sum();
            let bytes: usize = records.chunks.iter().map(|c| c.reveal().len()).sum();
            assert_eq!(bytes, live + records.dead, "round {round}: every byte is live or counted dead");
        }
        assert!(copies >= 2 && grown > 300, "the texts were copied anew {copies} times, added to {grown}");
        // Confidential records came and went, with their exact points kept apart.
        let secret = shown.iter().filter(|p| p.data.confidential).count();
        assert!(
            secret > 5 && records.exact.len() == secret,
            "{secret} confidential, {}",
            records.exact.len()
        );
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
    fn a_text_too_long_to_decode_is_read_member_by_member() {
        let mut p = crate::sample::providers(1, 4).remove(0);
        // Own values (not in the dictionary) before the email: 80,000 bytes.
        p.data.name = "é".repeat(20_000);
        p.data.address = Some("ü".repeat(20_000)).into();
        p.data.email = Some("a@example.org".into());
        let mut packer = Packer::default();
        let record = packer.pack(&p);
        let records = packer.finish(vec![record]);
        let view = records.get(0);
        assert!(view.decoded().starts.is_none(), "the email starts past 65,535 bytes");
        assert_members(view.decoded(), &p);
        p.data.address = None.into();
        let mut packer = Packer::default();
        let record = packer.pack(&p);
        let records = packer.finish(vec![record]);
        assert!(records.get(0).decoded().starts.is_some());
        assert_members(records.get(0).decoded(), &p);
    }

    #[test]
    fn numbers_of_any_size_read_back_as_written() {
        let numbers = [
            0,
            1,
            127,
            128,
            0xD7FF,
            0xD800,
            0xDFFF,
            0xE000,
            0xFFFF,
            ESCAPE - 1,
            ESCAPE,
            ESCAPE + 1,
            u32::MAX,
        ];
        let mut text = String::new();
        for n in numbers {
            push_number(&mut text, n);
            text.push('x');
        }
        let mut rest = text.as_str();
        for n in numbers {
            let (got, after) = take_number(rest);
            assert_eq!(got, n);
            assert_eq!(after.chars().next(), Some('x'));
            rest = &after[1..];
        }
        assert!(rest.is_empty());
        let mut short = String::new();
        push_number(&mut short, 100);
        assert_eq!(short.len(), 1, "a short value's length takes one byte");
    }

    /// An E.164 form is worked out again when it is the one the number and country give, and
    /// kept when it is not (a record holds whatever it was given).
    #[test]
    fn e164_forms_are_worked_out_or_kept() {
        let mut p = crate::sample::providers(1, 3).remove(0);
        p.data.country = "IN".into();
        p.data.phone = Some(Phone { display: "0522 230 5551".into(), e164: Some("+915222305551".into()) });
        p.data.hotline = Some(Phone { display: "+91 522 230 5552".into(), e164: Some("+999".into()) });
        p.data.sms = Some(Phone { display: "1091".into(), e164: None });
        p.data.intake_phone = Some(Phone { display: "0522 230 5553".into(), e164: None }).into();
        let mut packer = Packer::default();
        let record = packer.pack(&p);
        let records = packer.finish(vec![record]);
        assert_members(records.get(0), &p);
        let e164 = |x: Option<PhoneRef>| x.and_then(|x| x.e164).map(|e| e.as_str().to_string());
        assert_eq!(e164(records.get(0).phone()).as_deref(), Some("+915222305551"));
        assert!(matches!(records.get(0).phone().unwrap().e164, Some(E164Ref::Derived(_))));
        assert_eq!(e164(records.get(0).hotline()).as_deref(), Some("+999"));
        assert_eq!(e164(*records.get(0).intake_phone().reveal()), None, "none given, none shown");
        let text = text_of(&records.chunks, &records.items[0]);
        assert!(!text.contains("+915222305551") && text.contains("+999"), "{text:?}");
    }

    #[test]
    fn a_record_is_48_bytes() {
        assert_eq!(size_of::<Record>(), 48);
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
