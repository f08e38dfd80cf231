//! Opening hours: each provider's `hours` (OpenStreetMap `opening_hours`) evaluated in its own
//! time zone, which is found from its public point (never the confidential exact one; the zone
//! of a displaced point is the same in practice). Public holidays (`PH`) come from the record's
//! country where the `opening-hours` crate knows its holidays (India is not among them: there
//! `PH` never matches).
//!
//! Many providers share an hours string and a zone, so each distinct (hours, zone, country) is
//! compiled once at snapshot build and every provider gets an index into that table. A compiled
//! schedule keeps its states in UTC over a window around the build time, so evaluating one is a
//! binary search; an instant outside the window is asked of the crate (correct, but slower).

use crate::model::{LonLat, Provider};
use chrono::{DateTime, Datelike, Offset, Timelike, Utc};
use chrono_tz::Tz;
use opening_hours::localization::{Coordinates, Country, TzLocation};
use opening_hours::{Context, OpeningHours, RuleKind};
use std::collections::HashMap;
use std::sync::Arc;

/// An instant in whole seconds since the Unix epoch (UTC).
pub type UnixTime = i64;

/// The precomputed window starts this long before the snapshot is built...
const WINDOW_BEFORE_S: i64 = 86_400;
/// ...and ends this long after it (a snapshot is rebuilt on every change; an older one still
/// answers right, through the crate).
const WINDOW_AFTER_S: i64 = 28 * 86_400;
/// Most state ranges read from the crate when looking for the next change.
const MAX_RANGES: usize = 2_000;

/// A provider's state at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    Open,
    Closed,
    /// The hours say "unknown" then, or there are no hours the evaluator can read.
    Unknown,
}

impl State {
    /// `open_now` as answered: true, false, or null when unknown.
    pub fn as_bool(self) -> Option<bool> {
        match self {
            State::Open => Some(true),
            State::Closed => Some(false),
            State::Unknown => None,
        }
    }

    fn of(kind: RuleKind) -> State {
        match kind {
            RuleKind::Open => State::Open,
            RuleKind::Closed => State::Closed,
            RuleKind::Unknown => State::Unknown,
        }
    }
}

/// The next time a provider opens or closes, in its own time zone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// RFC 3339 with the provider's UTC offset at that instant.
    pub at: String,
    /// Whether it is open from then on.
    pub open: bool,
    /// "closes 18:00" when the change is on the same local day, "opens Mon 09:00" within the
    /// week, "opens 2026-12-25 09:00" later.
    pub text: String,
}

/// Every distinct schedule of a snapshot, and each slot's index into them.
pub struct Table {
    /// Shared with the snapshots built from this one by a small change.
    schedules: Vec<Arc<Schedule>>,
    /// Shared with the background builds of open-now trees (`index::open`).
    of_slot: Arc<[u32]>,
}

enum Schedule {
    /// `24/7`, or `open_24_7` set.
    Always,
    /// No hours, or hours the evaluator cannot read.
    Unknown,
    Compiled(Box<Compiled>),
}

const UNKNOWN: u32 = 0;
const ALWAYS: u32 = 1;

struct Compiled {
    hours: OpeningHours<TzLocation<Tz>>,
    tz: Tz,
    /// State changes over the window: (from when, state from then on), the first at the
    /// window's start, no two neighbours with the same state.
    spans: Vec<(UnixTime, State)>,
    /// The window's end (exclusive).
    end: UnixTime,
}

/// What makes two providers' schedules the same: the hours, the zone, the holiday country
/// (only when the hours name holidays) and the point (only when they name sun events).
type Key<'a> = (&'a str, &'static str, Option<Country>, Option<(u64, u64)>);

/// What a provider's schedule is made from.
#[derive(Debug, Clone, Copy)]
pub struct HoursOf<'a> {
    pub hours: Option<&'a str>,
    pub open_24_7: bool,
    /// ISO 3166-1 alpha-2: whose public holidays `PH` means.
    pub country: &'a str,
}

impl<'a> HoursOf<'a> {
    pub fn of(p: &'a Provider) -> HoursOf<'a> {
        HoursOf { hours: p.data.hours.as_deref(), open_24_7: p.data.open_24_7, country: &p.data.country }
    }
}

impl Table {
    /// Compiles the schedules of `len` records, `of(slot)` giving what each one's hours are
    /// made from and `points` their public points, with a precomputed window around `now`.
    pub fn build<'a>(
        len: usize,
        of: impl Fn(usize) -> HoursOf<'a> + Sync,
        points: &[LonLat],
        now: UnixTime,
    ) -> Table {
        Table::build_keeping(None, |_| None, len, of, points, now)
    }

    /// As `build`, but a slot `s` with `kept[s] == Some(old)` (its record and point unchanged
    /// since `previous` gave them slot `old`) keeps its schedule, so only new and changed
    /// records are looked up and compiled; and a point whose zone `known` gives (one an
    /// earlier snapshot already looked up: an edit that leaves the point) is not looked up.
    pub fn build_keeping<'a>(
        previous: Option<(&Table, &[Option<u32>])>,
        known: impl Fn(LonLat) -> Option<Tz> + Sync,
        len: usize,
        of: impl Fn(usize) -> HoursOf<'a> + Sync,
        points: &[LonLat],
        now: UnixTime,
    ) -> Table {
        let mut schedules = match previous {
            Some((table, _)) => table.schedules.clone(),
            None => vec![Arc::new(Schedule::Unknown), Arc::new(Schedule::Always)],
        };
        let mut of_slot = vec![UNKNOWN; len];
        let mut todo = Vec::new();
        for slot in 0..len {
            match previous.and_then(|(table, kept)| Some(table.of_slot[kept[slot]? as usize])) {
                Some(id) => of_slot[slot] = id,
                None => todo.push(slot),
            }
        }
        let mut ids: HashMap<Key, u32> = HashMap::new();
        let mut parsed: HashMap<&str, Option<OpeningHours>> = HashMap::new();
        let start = now - now.rem_euclid(60) - WINDOW_BEFORE_S;
        let end = start + WINDOW_BEFORE_S + WINDOW_AFTER_S;
        let mut unreadable = 0usize;
        let zones = zones(&todo, &of, points, &known);
        for (&slot, zone) in todo.iter().zip(zones) {
            let (d, at) = (of(slot), points[slot]);
            let Some(raw) = needs_zone(d) else {
                of_slot[slot] = if d.open_24_7 || d.hours.is_some() { ALWAYS } else { UNKNOWN };
                continue;
            };
            let Some(expression) = parsed.entry(raw).or_insert_with(|| raw.parse::<OpeningHours>().ok())
            else {
                unreadable += 1;
                continue;
            };
            let (Some(coords), Some(tz)) = (Coordinates::new(at.lat, at.lon), zone) else {
                continue;
            };
            let country = names_holidays(raw).then(|| d.country.parse::<Country>().ok()).flatten();
            let sun = names_sun_events(raw).then_some((at.lat.to_bits(), at.lon.to_bits()));
            of_slot[slot] = *ids.entry((raw, tz.name(), country, sun)).or_insert_with(|| {
                let mut context = Context::default();
                if let Some(c) = country {
                    context = context.with_holidays(c.holidays());
                }
                let locale = match sun {
                    Some(_) => TzLocation::new(tz).with_coords(coords),
                    None => TzLocation::new(tz),
                };
                let hours = expression.clone().with_context(context.with_locale(locale));
                schedules.push(Arc::new(Schedule::Compiled(Box::new(Compiled::new(hours, tz, start, end)))));
                (schedules.len() - 1) as u32
            });
        }
        if unreadable > 0 {
            // Validated on import by an older syntax crate: such hours answer open_now null.
            tracing::warn!(providers = unreadable, "hours the evaluator cannot read");
        }
        Table { schedules, of_slot: of_slot.into() }
    }

    /// How many distinct schedules were compiled (24/7 and unknown not counted).
    pub fn compiled(&self) -> usize {
        self.schedules.iter().filter(|s| matches!(***s, Schedule::Compiled(_))).count()
    }

    fn of(&self, slot: u32) -> &Schedule {
        &self.schedules[self.of_slot[slot as usize] as usize]
    }

    /// Each slot's schedule id (an index into `open_schedules`' flags): two slots with the same id are
    /// open at the same instants.
    pub fn slot_schedules(&self) -> Arc<[u32]> {
        self.of_slot.clone()
    }

    /// The schedule id of `slot`.
    pub fn schedule_of(&self, slot: u32) -> u32 {
        self.of_slot[slot as usize]
    }

    /// Which schedule ids are open at `at`, one flag per id: what every provider's `is_open`
    /// at that instant comes down to.
    pub fn open_schedules(&self, at: UnixTime) -> Vec<bool> {
        self.schedules.iter().map(|s| s.state(at) == State::Open).collect()
    }

    /// The state of the provider in `slot` at `at`. Cheap inside the window (the hot path of
    /// an `open_at` filter).
    pub fn state(&self, slot: u32, at: UnixTime) -> State {
        self.of(slot).state(at)
    }

    pub fn is_open(&self, slot: u32, at: UnixTime) -> bool {
        self.state(slot, at) == State::Open
    }

    /// The time zone the hours of the provider in `slot` are read in: `None` for 24/7, no hours
    /// or hours the evaluator cannot read.
    pub fn zone(&self, slot: u32) -> Option<Tz> {
        match self.of(slot) {
            Schedule::Compiled(c) => Some(c.tz),
            Schedule::Always | Schedule::Unknown => None,
        }
    }

    /// The UTC offset in seconds of the zone of `slot`'s hours at `at`, if they have one.
    pub fn utc_offset_s(&self, slot: u32, at: UnixTime) -> Option<i32> {
        let tz = self.zone(slot)?;
        let t = DateTime::<Utc>::from_timestamp(at, 0)?.with_timezone(&tz);
        Some(t.offset().fix().local_minus_utc())
    }

    /// The next time after `at` the provider in `slot` opens or closes (a change between
    /// closed and unknown does not count); `None` when it never does.
    pub fn next_change(&self, slot: u32, at: UnixTime) -> Option<Change> {
        match self.of(slot) {
            Schedule::Always | Schedule::Unknown => None,
            Schedule::Compiled(c) => c.next_change(at),
        }
    }
}

impl Schedule {
    fn state(&self, at: UnixTime) -> State {
        match self {
            Schedule::Always => State::Open,
            Schedule::Unknown => State::Unknown,
            Schedule::Compiled(c) => c.state(at),
        }
    }
}

/// The hours of a provider that are evaluated in its time zone: not 24/7 nor `open_24_7`.
fn needs_zone(d: HoursOf<'_>) -> Option<&str> {
    let raw = d.hours?.trim();
    (!d.open_24_7 && raw != "24/7").then_some(raw)
}

/// Time zones from points, with tzf-rs's data: its tile index answers most points, its polygons
/// the rest (as its `DefaultFinder`, which `opening-hours` keeps for the life of the process).
/// Made for one table build and dropped after it: the two hold about 100 MB a server would
/// otherwise keep between changes. A small change reads the polygons without their index
/// (65 ms to load, instead of 0.4 s, for slower lookups it makes few of).
struct ZoneFinder {
    tiles: tzf_rs::FuzzyFinder,
    polygons: std::sync::OnceLock<tzf_rs::Finder>,
    indexed: bool,
}

/// Lookups from which the polygons' index pays for its build.
const INDEXED_FROM: usize = 2_000;

impl ZoneFinder {
    fn new(lookups: usize) -> ZoneFinder {
        ZoneFinder {
            tiles: tzf_rs::FuzzyFinder::new(),
            polygons: std::sync::OnceLock::new(),
            indexed: lookups >= INDEXED_FROM,
        }
    }

    fn zone(&self, at: LonLat) -> Option<Tz> {
        Coordinates::new(at.lat, at.lon)?;
        let name = match self.tiles.get_tz_name(at.lon, at.lat) {
            "" => self
                .polygons
                .get_or_init(|| {
                    let options = if self.indexed {
                        tzf_rs::FinderOptions::y_stripes()
                    } else {
                        tzf_rs::FinderOptions::no_index()
                    };
                    let data = tzf_dist::load_topology_compress_topo();
                    let zones = tzf_rs::pbgen::CompressedTopoTimezones::try_from(data).unwrap_or_default();
                    tzf_rs::Finder::from_compressed_topo_with_options(zones, options)
                })
                .get_tz_name(at.lon, at.lat),
            name => name,
        };
        name.parse().ok()
    }
}

/// The time zone of each record in `slots` whose hours need one, from its public point. The
/// lookup is most of the table's build time, so it runs on a few threads.
fn zones<'a>(
    slots: &[usize],
    of: &(impl Fn(usize) -> HoursOf<'a> + Sync),
    points: &[LonLat],
    known: &(impl Fn(LonLat) -> Option<Tz> + Sync),
) -> Vec<Option<Tz>> {
    // Made on the first point no earlier snapshot looked up.
    let finder = std::sync::OnceLock::new();
    let zone = |&slot: &usize| {
        needs_zone(of(slot))?;
        let at = points[slot];
        known(at).or_else(|| finder.get_or_init(|| ZoneFinder::new(slots.len())).zone(at))
    };
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get()).clamp(1, 4);
    let chunk = slots.len().div_ceil(threads).max(1_000);
    std::thread::scope(|s| {
        let parts: Vec<_> =
            slots.chunks(chunk).map(|part| s.spawn(|| part.iter().map(zone).collect::<Vec<_>>())).collect();
        parts.into_iter().flat_map(|h| h.join().unwrap_or_else(|e| std::panic::resume_unwind(e))).collect()
    })
}

/// Whether hours name public or school holidays (only then does the country matter).
fn names_holidays(raw: &str) -> bool {
    raw.contains("PH") || raw.contains("SH")
}

/// Whether hours name sun events (only then does the exact point matter).
fn names_sun_events(raw: &str) -> bool {
    let raw = raw.to_ascii_lowercase();
    ["sunrise", "sunset", "dawn", "dusk"].iter().any(|e| raw.contains(e))
}

impl Compiled {
    fn new(hours: OpeningHours<TzLocation<Tz>>, tz: Tz, start: UnixTime, end: UnixTime) -> Compiled {
        let mut c = Compiled { hours, tz, spans: Vec::new(), end: start };
        if let (Some(from), Some(to)) = (c.local(start), c.local(end)) {
            let mut spans: Vec<(UnixTime, State)> = Vec::new();
            for range in c.hours.iter_range(from, to) {
                let state = State::of(range.kind);
                if spans.last().is_none_or(|s| s.1 != state) {
                    spans.push((range.range.start.timestamp(), state));
                }
            }
            // A window the crate did not cover from its start is not used.
            if spans.first().is_some_and(|s| s.0 == start) {
                c.spans = spans;
                c.end = end;
            }
        }
        c
    }

    fn local(&self, at: UnixTime) -> Option<DateTime<Tz>> {
        DateTime::<Utc>::from_timestamp(at, 0).map(|t| t.with_timezone(&self.tz))
    }

    fn in_window(&self, at: UnixTime) -> bool {
        self.spans.first().is_some_and(|s| s.0 <= at) && at < self.end
    }

    fn state(&self, at: UnixTime) -> State {
        if self.in_window(at) {
            return self.spans[self.spans.partition_point(|s| s.0 <= at) - 1].1;
        }
        self.local(at).map_or(State::Unknown, |t| State::of(self.hours.state(t).0))
    }

    fn next_change(&self, at: UnixTime) -> Option<Change> {
        let open = self.state(at) == State::Open;
        let from = if self.in_window(at) {
            let after = self.spans.partition_point(|s| s.0 <= at);
            if let Some(s) = self.spans[after..].iter().find(|s| (s.1 == State::Open) != open) {
                return self.change(at, s.0, !open);
            }
            // No change before the window's end: look on from there.
            self.end
        } else {
            at
        };
        let found = self
            .hours
            .iter_from(self.local(from)?)
            .take(MAX_RANGES)
            .find(|r| (r.kind == RuleKind::Open) != open)?;
        self.change(at, found.range.start.timestamp(), !open)
    }

    /// The change at `when` as seen at `now`.
    fn change(&self, now: UnixTime, when: UnixTime, open: bool) -> Option<Change> {
        let (now, when) = (self.local(now)?, self.local(when)?);
        let days = (when.date_naive() - now.date_naive()).num_days();
        let verb = if open { "opens" } else { "closes" };
        // Written field by field: chrono's format strings are parsed on every call, which
        // showed in a profile of nearest under load (issue 14).
        let (date, time) = (when.date_naive(), when.time());
        let hh_mm = format!("{:02}:{:02}", time.hour(), time.minute());
        let ymd = format!("{:04}-{:02}-{:02}", date.year(), date.month(), date.day());
        let text = match days {
            0 => format!("{verb} {hh_mm}"),
            1..=6 => format!("{verb} {} {hh_mm}", date.weekday()),
            _ => format!("{verb} {ymd} {hh_mm}"),
        };
        let offset_m = when.offset().fix().local_minus_utc() / 60;
        let sign = if offset_m < 0 { '-' } else { '+' };
        let (oh, om) = (offset_m.abs() / 60, offset_m.abs() % 60);
        let at = format!("{ymd}T{hh_mm}:{:02}{sign}{oh:02}:{om:02}", time.second());
        Some(Change { at, open, text })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Category, ProviderData, ProviderId, Status, Wheelchair};
    use time::OffsetDateTime;
    use time::macros::datetime;

    /// The finder made for each build answers as the one `opening-hours` keeps for the process
    /// (tiles, then indexed polygons), with and without the polygons' index, on land, at sea, on
    /// borders and coasts.
    #[test]
    fn zones_are_those_opening_hours_finds() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(5);
        let mut points: Vec<LonLat> = (0..600)
            .map(|i| match i % 3 {
                0 => LonLat { lon: rng.random_range(-180.0..180.0), lat: rng.random_range(-80.0..80.0) },
                // India and its neighbours, the coasts of the Bay of Bengal and the Arabian Sea.
                _ => LonLat { lon: rng.random_range(66.0..98.0), lat: rng.random_range(5.0..36.0) },
            })
            .collect();
        points.extend([
            LUCKNOW,
            SUVA,
            NEW_YORK,
            LonLat { lon: 180.0, lat: 0.0 },
            LonLat { lon: 0.0, lat: 90.0 },
        ]);
        let process =
            |at: LonLat| Coordinates::new(at.lat, at.lon).map(|c| *TzLocation::from_coords(c).get_timezone());
        for lookups in [1, INDEXED_FROM] {
            let finder = ZoneFinder::new(lookups);
            for &at in &points {
                assert_eq!(finder.zone(at), process(at), "{at:?} (index: {})", finder.indexed);
            }
        }
    }

    const LUCKNOW: LonLat = LonLat { lon: 80.9462, lat: 26.8467 };
    const SUVA: LonLat = LonLat { lon: 178.44, lat: -18.14 };
    const NEW_YORK: LonLat = LonLat { lon: -74.006, lat: 40.7128 };
    /// The snapshot's build time in these tests: the window runs from a day before to 28 after.
    const BUILT: OffsetDateTime = datetime!(2026-12-02 00:00 UTC);

    fn provider(hours: Option<&str>, open_24_7: bool, country: &str, at: LonLat) -> Provider {
        let data = ProviderData {
            external_id: "x".into(),
            name: "x".into(),
            organization: None,
            description: None,
            categories: vec![Category::Shelter],
            location: at.into(),
            public_location: None,
            location_precision: crate::model::LocationPrecision::Exact,
            confidential: false,
            address: None.into(),
            locality: None,
            district: None,
            state: None,
            postal_code: None.into(),
            country: country.into(),
            phone: None,
            hotline: None,
            sms: None,
            intake_phone: None.into(),
            email: None,
            website: None,
            languages: vec![],
            hours: hours.map(str::to_string),
            open_24_7,
            eligibility: None,
            cost: None,
            wheelchair: Wheelchair::Unknown,
            verified_on: None,
            status: Status::Active,
        };
        let epoch = OffsetDateTime::UNIX_EPOCH;
        Provider { id: ProviderId(1), data, drawn_public: None, created_at: epoch, updated_at: epoch }
    }

    fn table(providers: &[Provider]) -> Table {
        let points: Vec<LonLat> = providers.iter().map(|p| p.public_point().unwrap()).collect();
        Table::build(providers.len(), |s| HoursOf::of(&providers[s]), &points, BUILT.unix_timestamp())
    }

    fn t(at: OffsetDateTime) -> UnixTime {
        at.unix_timestamp()
    }

    /// Reference: the local second of the day and weekday (Monday 0) at a fixed UTC offset.
    fn local(at: UnixTime, offset_s: i64) -> (i64, i64) {
        let local = at + offset_s;
        // 1970-01-01 was a Thursday.
        (local.rem_euclid(86_400), (local.div_euclid(86_400) + 3).rem_euclid(7))
    }

    /// Reference for `Mo-Fr 09:00-17:00` at a fixed offset.
    fn office(at: UnixTime, offset_s: i64) -> bool {
        let (second, weekday) = local(at, offset_s);
        weekday < 5 && (9 * 3600..17 * 3600).contains(&second)
    }

    #[test]
    fn an_overnight_range_is_open_before_midnight_and_after_until_it_ends() {
        let hours = table(&[provider(Some("Mo-Su 20:00-08:00"), false, "IN", LUCKNOW)]);
        // India is UTC+05:30 all year.
        let reference = |at: UnixTime| {
            let (second, _) = local(at, 19_800);
            !(8 * 3600..20 * 3600).contains(&second)
        };
        // Before, during (both sides of midnight) and after, IST.
        let cases = [
            (datetime!(2026-12-02 19:59 +05:30), false),
            (datetime!(2026-12-02 20:00 +05:30), true),
            (datetime!(2026-12-02 23:59 +05:30), true),
            (datetime!(2026-12-03 00:00 +05:30), true),
            (datetime!(2026-12-03 07:59 +05:30), true),
            (datetime!(2026-12-03 08:00 +05:30), false),
        ];
        for (at, open) in cases {
            assert_eq!(reference(t(at)), open, "reference at {at}");
            assert_eq!(hours.is_open(0, t(at)), open, "at {at}");
        }
        // Every 7 minutes over three days in the window, and three days long after it (the crate).
        for start in [t(BUILT), t(datetime!(2027-06-01 00:00 UTC))] {
            for step in 0..(3 * 24 * 60 / 7) {
                let at = start + step * 7 * 60;
                assert_eq!(hours.is_open(0, at), reference(at), "at {at}");
            }
        }
    }

    #[test]
    fn around_the_clock_unknown_and_unreadable_hours() {
        let hours = table(&[
            provider(Some("24/7"), true, "IN", LUCKNOW),
            provider(None, true, "IN", LUCKNOW),
            provider(None, false, "IN", LUCKNOW),
            provider(Some("Mo-Fr 09:00-17:00 open \"by appointment\"; Sa unknown"), false, "IN", LUCKNOW),
            provider(Some("nine to five"), false, "IN", LUCKNOW),
        ]);
        let at = t(datetime!(2026-12-05 12:00 +05:30)); // a Saturday
        assert_eq!(hours.state(0, at), State::Open);
        assert_eq!(hours.state(1, at), State::Open);
        assert_eq!(hours.next_change(0, at), None);
        assert_eq!(hours.state(2, at), State::Unknown);
        assert_eq!(hours.state(2, at).as_bool(), None);
        assert_eq!(hours.next_change(2, at), None);
        assert_eq!(hours.state(3, at), State::Unknown);
        assert_eq!((hours.state(4, at), hours.next_change(4, at)), (State::Unknown, None));
        // Around the clock needs no zone and no schedule of its own.
        assert_eq!(hours.compiled(), 1);
    }

    #[test]
    fn public_holidays_close_where_the_crate_knows_the_country() {
        let hours = table(&[
            provider(Some("Mo-Fr 09:00-17:00; PH off"), false, "US", NEW_YORK),
            provider(Some("Mo-Fr 09:00-17:00; PH off"), false, "IN", LUCKNOW),
        ]);
        // Thanksgiving, Thursday 2026-11-26 (US public holiday), noon in New York (EST, -05:00).
        let thanksgiving = t(datetime!(2026-11-26 12:00 -05:00));
        let day_before = t(datetime!(2026-11-25 12:00 -05:00));
        assert!(office(thanksgiving, -5 * 3600) && office(day_before, -5 * 3600));
        assert!(!hours.is_open(0, thanksgiving));
        assert!(hours.is_open(0, day_before));
        // Republic Day, Monday 2027-01-26: the crate has no Indian holidays, so `PH off` never
        // applies there (documented in the README).
        assert!(hours.is_open(1, t(datetime!(2027-01-26 12:00 +05:30))));
    }

    #[test]
    fn fiji_and_new_york_at_the_same_instant() {
        let hours = table(&[
            provider(Some("Mo-Fr 09:00-17:00"), false, "FJ", SUVA),
            provider(Some("Mo-Fr 09:00-17:00"), false, "US", NEW_YORK),
        ]);
        // Fiji keeps UTC+12 all year; New York is at -05:00 from November to March.
        let (fiji, new_york) = (12 * 3600, -5 * 3600);
        let at = t(datetime!(2026-12-02 22:00 UTC)); // Thu 10:00 in Suva, Wed 17:00 in New York
        assert!(office(at, fiji) && !office(at, new_york));
        assert!(hours.is_open(0, at) && !hours.is_open(1, at));
        let at = t(datetime!(2026-12-02 15:00 UTC)); // Thu 03:00 in Suva, Wed 10:00 in New York
        assert!(!office(at, fiji) && office(at, new_york));
        assert!(!hours.is_open(0, at) && hours.is_open(1, at));
        // Every 13 minutes over a week in the window, against the reference.
        for step in 0..(7 * 24 * 60 / 13) {
            let at = t(BUILT) + step * 13 * 60;
            assert_eq!(hours.is_open(0, at), office(at, fiji), "Suva at {at}");
            assert_eq!(hours.is_open(1, at), office(at, new_york), "New York at {at}");
        }
    }

    #[test]
    fn the_next_change_is_told_in_the_providers_own_time() {
        let hours = table(&[provider(Some("Mo-Fr 09:00-18:00"), false, "IN", LUCKNOW)]);
        let change = |at| hours.next_change(0, t(at)).unwrap();
        // Wednesday noon: closes today.
        let c = change(datetime!(2026-12-02 12:00 +05:30));
        assert_eq!(
            (c.at.as_str(), c.open, c.text.as_str()),
            ("2026-12-02T18:00:00+05:30", false, "closes 18:00")
        );
        // Friday evening: opens on Monday.
        let c = change(datetime!(2026-12-04 19:00 +05:30));
        assert_eq!(
            (c.at.as_str(), c.open, c.text.as_str()),
            ("2026-12-07T09:00:00+05:30", true, "opens Mon 09:00")
        );
        // Wednesday early morning: opens today.
        assert_eq!(change(datetime!(2026-12-02 07:00 +05:30)).text, "opens 09:00");
        // Outside the window, through the crate: the same answer a week on.
        let c = change(datetime!(2027-06-04 19:00 +05:30));
        assert_eq!((c.at.as_str(), c.text.as_str()), ("2027-06-07T09:00:00+05:30", "opens Mon 09:00"));
        // A change more than a week away is dated.
        let rare = table(&[provider(Some("Dec 25 10:00-12:00"), false, "IN", LUCKNOW)]);
        let c = rare.next_change(0, t(datetime!(2026-12-02 12:00 +05:30))).unwrap();
        assert_eq!(c.text, "opens 2026-12-25 10:00");
    }

    #[test]
    fn schedules_are_compiled_once_per_hours_zone_and_holiday_country() {
        let hours = table(&[
            provider(Some("Mo-Fr 09:00-17:00"), false, "IN", LUCKNOW),
            provider(Some("Mo-Fr 09:00-17:00"), false, "IN", LonLat { lon: 77.2, lat: 28.6 }),
            provider(Some("Mo-Fr 09:00-17:00"), false, "US", NEW_YORK),
            provider(Some("Mo-Fr 09:00-17:00; PH off"), false, "US", NEW_YORK),
            provider(Some("Mo-Fr 09:00-17:00; PH off"), false, "CA", NEW_YORK),
            provider(Some("24/7"), false, "IN", LUCKNOW),
        ]);
        // Lucknow and Delhi share a zone; "PH off" differs by country.
        assert_eq!(hours.compiled(), 4);
    }
}
