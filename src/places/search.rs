//! Place search over the gazetteer: exact, transliteration variant, prefix (autocomplete) and
//! one- or two-typo matches of every name, alternate name and PIN code, from two `fst` maps
//! (folded keys and their loose keys) rather than a scan. A prefix's keys are neighbours in a
//! map, so its best places come from a min-tree over their ranks, not from reading every key
//! (a one-letter prefix has thousands); typo matches come from an edit-distance automaton over
//! the folded map, and only when nothing matches better.

use super::fold::{fold, loose};
use super::gazetteer::{Gazetteer, Place, PlaceKind};
use fst::{Automaton, IntoStreamer, Map, Streamer};
use std::cmp::Reverse;
use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::sync::OnceLock;

/// At most this many matches are returned, whatever the caller asks.
pub const MAX_LIMIT: usize = 50;
/// Longer queries (in characters, before folding) find nothing: no place name is this long.
pub const MAX_QUERY_CHARS: usize = 100;
/// Folded queries of at least this many characters may have one typo...
const ONE_TYPO_CHARS: usize = 4;
/// ...and of at least this many, two (after a correct first character, see [`Typos`]).
const TWO_TYPOS_CHARS: usize = 8;
/// Folded queries longer than this are matched without typos: no place name is near it.
const MAX_TYPO_CHARS: usize = 40;
/// Prefixes with at most this many postings are read whole; longer ones best place first.
const SCAN_POSTINGS: usize = 256;

/// How a query matched a place, best first (the derived order is the ranking).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Quality {
    /// A name equals the query (after [`fold`]).
    Exact,
    /// A name equals the query after the [`loose`] transliteration rules.
    Variant,
    /// A name starts with the query (folded or loose).
    Prefix,
    /// A name is this many edits (1 or 2) from the folded query.
    Fuzzy(u8),
}

/// One place found, with its best match.
#[derive(Debug, Clone, Copy)]
pub struct Match<'g> {
    /// The place's index in [`Gazetteer::places`].
    pub index: u32,
    pub place: &'g Place,
    pub quality: Quality,
    /// The name or alternate name that matched, as in the gazetteer.
    pub matched_name: &'g str,
}

/// A place and which of its names (0: `name`, i: `alt_names[i - 1]`) a key came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct Posting {
    place: u32,
    name: u16,
}

/// The search index of one gazetteer.
pub struct PlaceIndex<'g> {
    gazetteer: &'g Gazetteer,
    /// Folded name → posting list number.
    folded: Map<Vec<u8>>,
    /// Loose key of a folded name → posting list number.
    loose: Map<Vec<u8>>,
    /// Every posting list, one after the other (one allocation, not one per key): list `i` is
    /// `postings[starts[i]..starts[i + 1]]`.
    postings: Vec<Posting>,
    starts: Vec<u32>,
    /// How many posting lists are the folded map's (the loose map's are numbered after them).
    folded_lists: usize,
    /// The rank of every posting's place, for the best places of a long prefix span.
    ranks: RankTree,
    /// Every place's country code, upper case, packed so a country filter reads no `Place`.
    countries: Vec<[u8; 2]>,
}

impl<'g> PlaceIndex<'g> {
    /// Indexes every name and alternate name of every place (a PIN code's name is the code).
    pub fn build(gazetteer: &'g Gazetteer) -> PlaceIndex<'g> {
        let mut folded: BTreeMap<String, Vec<Posting>> = BTreeMap::new();
        let mut loose_keys: BTreeMap<String, Vec<Posting>> = BTreeMap::new();
        for (i, place) in gazetteer.places.iter().enumerate() {
            let names = std::iter::once(&place.name).chain(&place.alt_names);
            // More names than u16 would be a broken file; they are not indexed.
            for (n, name) in names.take(usize::from(u16::MAX)).enumerate() {
                let key = fold(name);
                if key.is_empty() {
                    continue;
                }
                let posting = Posting { place: i as u32, name: n as u16 };
                loose_keys.entry(loose(&key)).or_default().push(posting);
                folded.entry(key).or_default().push(posting);
            }
        }
        let (mut postings, mut starts) = (Vec::new(), vec![0]);
        let folded = to_map(folded, &mut postings, &mut starts);
        let folded_lists = starts.len() - 1;
        let loose = to_map(loose_keys, &mut postings, &mut starts);
        postings.shrink_to_fit();
        starts.shrink_to_fit();
        let mut order: Vec<u32> = (0..gazetteer.places.len() as u32).collect();
        order.sort_by_key(|&i| place_order(&gazetteer.places[i as usize], i));
        let mut place_rank = vec![0; order.len()];
        for (rank, &i) in order.iter().enumerate() {
            place_rank[i as usize] = rank as u32;
        }
        let ranks = RankTree::new(postings.iter().map(|p| place_rank[p.place as usize]).collect());
        let countries = gazetteer.places.iter().map(|p| country_code(&p.country).unwrap_or([0, 0])).collect();
        PlaceIndex { gazetteer, folded, loose, postings, starts, folded_lists, ranks, countries }
    }

    /// Where in `postings` the lists of every key of `map` starting with `prefix` lie: keys with
    /// a common prefix are neighbours in the map, and their lists were laid out in key order.
    fn prefix_span(&self, map: &Map<Vec<u8>>, lists: Range<usize>, prefix: &str) -> Range<usize> {
        let first_from =
            |from: &[u8]| map.range().ge(from).into_stream().next().map(|(_, list)| list as usize);
        let Some(low) = first_from(prefix.as_bytes()) else {
            return 0..0;
        };
        // Past every key with this prefix: the prefix with its last byte raised (UTF-8 never
        // ends in 0xff, so this cannot overflow).
        let mut past = prefix.as_bytes().to_vec();
        if let Some(last) = past.last_mut() {
            *last += 1;
        }
        let high = first_from(&past).unwrap_or(lists.end);
        self.starts[low] as usize..self.starts[high.max(low)] as usize
    }

    /// The places matching `query`, best first: by [`Quality`], then population (largest first),
    /// then kind (town, district, sub-district, PIN code), then gazetteer order; one entry per
    /// place, at most `limit` (capped at [`MAX_LIMIT`]). `country` (ISO 3166-1 alpha-2, any case)
    /// keeps only that country's places. An empty or over-long query finds nothing. Typos are
    /// looked for only when no name equals, varies or extends the query: first one typo (a
    /// wrong first character staying in the query's script), then two after a correct first
    /// character, for queries of at least 4 and 8 characters and at most 40.
    pub fn search(&self, query: &str, limit: usize, country: Option<&str>) -> Vec<Match<'g>> {
        let limit = limit.min(MAX_LIMIT);
        let key = fold(query);
        if limit == 0 || key.is_empty() || query.chars().count() > MAX_QUERY_CHARS {
            return Vec::new();
        }
        let loose_key = loose(&key);
        let country = match country.map(country_code) {
            None => None,
            Some(Some(code)) => Some(code),
            // Not a two-letter code: no place is in it.
            Some(None) => return Vec::new(),
        };
        let mut best = Best { index: self, country, found: HashMap::new() };
        best.add(self.folded.get(&key), Quality::Exact);
        best.add(self.loose.get(&loose_key), Quality::Variant);
        let spans = [
            self.prefix_span(&self.folded, 0..self.folded_lists, &key),
            self.prefix_span(&self.loose, self.folded_lists..self.starts.len() - 1, &loose_key),
        ];
        best.add_prefixes(&spans, limit);
        // Typos correct a query that matches nothing better (they would rank below every other
        // match anyway): one typo anywhere, then, if that finds nothing either, two after a
        // correct first character (a second typo from the first character on would walk most
        // of the map).
        let chars: Vec<char> = key.chars().collect();
        for (max, first_fixed) in [(1, false), (2, true)] {
            if !best.found.is_empty() || max > typos_allowed(chars.len()) {
                break;
            }
            let mut stream =
                self.folded.search_with_state(Typos::new(&chars, max, first_fixed)).into_stream();
            while let Some((_, list, state)) = stream.next() {
                let distance = state.map_or(max, |s| s.row[chars.len()]);
                best.add(Some(list), Quality::Fuzzy(distance));
            }
        }
        let mut found: Vec<Match<'g>> = best
            .found
            .into_iter()
            .map(|(index, (quality, name))| {
                let place = &self.gazetteer.places[index as usize];
                let matched_name = match name {
                    0 => place.name.as_str(),
                    n => place.alt_names[usize::from(n) - 1].as_str(),
                };
                Match { index, place, quality, matched_name }
            })
            .collect();
        found.sort_by_key(rank);
        found.truncate(limit);
        found
    }
}

/// An ISO 3166-1 alpha-2 code, upper case, if `code` is two ASCII letters.
fn country_code(code: &str) -> Option<[u8; 2]> {
    match code.as_bytes() {
        &[a, b] if a.is_ascii_alphabetic() && b.is_ascii_alphabetic() => {
            Some([a.to_ascii_uppercase(), b.to_ascii_uppercase()])
        }
        _ => None,
    }
}

/// How many typos a folded query of `chars` characters may have.
fn typos_allowed(chars: usize) -> u8 {
    match chars {
        n if n > MAX_TYPO_CHARS => 0,
        n if n >= TWO_TYPOS_CHARS => 2,
        n if n >= ONE_TYPO_CHARS => 1,
        _ => 0,
    }
}

/// The order of places of equal match quality: population (largest first), kind (town,
/// district, sub-district, PIN code), gazetteer order.
fn place_order(place: &Place, index: u32) -> (Reverse<u64>, u8, u32) {
    let kind = match place.kind {
        PlaceKind::Town => 0,
        PlaceKind::District => 1,
        PlaceKind::Subdistrict => 2,
        PlaceKind::Pincode => 3,
    };
    (Reverse(place.population), kind, index)
}

/// The sort key of a match: quality, then [`place_order`].
fn rank(m: &Match) -> (Quality, (Reverse<u64>, u8, u32)) {
    (m.quality, place_order(m.place, m.index))
}

/// Builds an fst map from sorted keys, appending their posting lists (sorted) to `postings` and
/// where each ends to `starts`.
fn to_map(
    keys: BTreeMap<String, Vec<Posting>>,
    postings: &mut Vec<Posting>,
    starts: &mut Vec<u32>,
) -> Map<Vec<u8>> {
    let entries = keys.into_iter().map(|(key, mut list)| {
        list.sort_unstable();
        list.dedup();
        postings.extend(list);
        starts.push(postings.len() as u32);
        (key, starts.len() as u64 - 2)
    });
    Map::from_iter(entries).expect("a BTreeMap's keys are sorted and unique, all fst asks")
}

/// Keys at most `max` edits (insertions, deletions, substitutions of characters) from `query`:
/// the edit-distance table's last row, one key character at a time, pruned once every entry
/// exceeds `max`. Only the band of the row within `max` of the diagonal can be that small, so
/// only it is computed. With `first_fixed`, the first character must be the query's.
struct Typos<'q> {
    query: &'q [char],
    max: u8,
    first_fixed: bool,
}

/// A live [`Typos`] state: the distances of the key so far to each prefix of the query (capped
/// at `max + 1`), how many characters the key has so far, and the code point being decoded
/// (UTF-8 continuation bytes still expected).
#[derive(Clone)]
struct TyposState {
    row: [u8; MAX_TYPO_CHARS + 1],
    depth: u8,
    partial: u32,
    pending: u8,
}

impl<'q> Typos<'q> {
    /// `query` has at most [`MAX_TYPO_CHARS`] characters.
    fn new(query: &'q [char], max: u8, first_fixed: bool) -> Typos<'q> {
        debug_assert!(query.len() <= MAX_TYPO_CHARS);
        Typos { query, max, first_fixed }
    }
}

/// A character's script, roughly: Latin (and digits) below U+0250, else its 128-character block
/// (each Indic script has one; Arabic, Cyrillic, Greek their own).
fn block(c: char) -> u32 {
    if (c as u32) < 0x250 { 0 } else { c as u32 >> 7 }
}

impl Automaton for Typos<'_> {
    /// `None` once no key with this prefix can match.
    type State = Option<TyposState>;

    fn start(&self) -> Self::State {
        let mut row = [self.max + 1; MAX_TYPO_CHARS + 1];
        for (j, cell) in row.iter_mut().enumerate().take(self.query.len() + 1) {
            *cell = j.min(usize::from(self.max) + 1) as u8;
        }
        Some(TyposState { row, depth: 0, partial: 0, pending: 0 })
    }

    fn is_match(&self, state: &Self::State) -> bool {
        state.as_ref().is_some_and(|s| s.pending == 0 && s.row[self.query.len()] <= self.max)
    }

    fn can_match(&self, state: &Self::State) -> bool {
        state.is_some()
    }

    fn accept(&self, state: &Self::State, byte: u8) -> Self::State {
        let s = state.as_ref()?;
        let (partial, pending) = match (s.pending, byte) {
            (0, 0x00..=0x7f) => (u32::from(byte), 0),
            (0, 0xc0..=0xdf) => (u32::from(byte & 0x1f), 1),
            (0, 0xe0..=0xef) => (u32::from(byte & 0x0f), 2),
            (0, _) => (u32::from(byte & 0x07), 3),
            (n, _) => ((s.partial << 6) | u32::from(byte & 0x3f), n - 1),
        };
        if pending > 0 {
            return Some(TyposState { partial, pending, ..s.clone() });
        }
        // Keys are UTF-8 (from `fold`), so every complete sequence is a char.
        let c = char::from_u32(partial)?;
        if s.depth == 0 {
            // A typo in the first character stays in the query's script: "xucknow" may be a
            // typo of "lucknow", a Devanagari letter followed by "ucknow" never is, and not
            // walking the other scripts' keys is most of what keeps a walk short.
            let first = self.query.first().copied()?;
            if (self.first_fixed && c != first) || block(c) != block(first) {
                return None;
            }
        }
        let (n, max, cap) = (self.query.len(), usize::from(self.max), self.max + 1);
        let depth = usize::from(s.depth) + 1;
        // Cells farther than `max` from the diagonal stay at the cap.
        let (low, high) = (depth.saturating_sub(max), (depth + max).min(n));
        let mut row = [cap; MAX_TYPO_CHARS + 1];
        if low == 0 {
            row[0] = (s.row[0] + 1).min(cap);
        }
        for j in low.max(1)..=high {
            let substitute = s.row[j - 1] + u8::from(self.query[j - 1] != c);
            row[j] = substitute.min(s.row[j] + 1).min(row[j - 1] + 1).min(cap);
        }
        let alive = low <= high && row[low..=high].iter().any(|&d| d <= self.max);
        // A live key is at most `n + max` characters deep, so `depth` fits a u8.
        alive.then_some(TyposState { row, depth: depth as u8, partial: 0, pending: 0 })
    }
}

/// The best match so far of each place passing the country filter.
struct Best<'a, 'g> {
    index: &'a PlaceIndex<'g>,
    country: Option<[u8; 2]>,
    /// Place index → (quality, which name).
    found: HashMap<u32, (Quality, u16)>,
}

impl Best<'_, '_> {
    fn add(&mut self, posting_list: Option<u64>, quality: Quality) {
        let starts = &self.index.starts;
        let Some(&[start, end]) = posting_list.and_then(|i| starts.get(i as usize..i as usize + 2)) else {
            return;
        };
        for at in start as usize..end as usize {
            self.add_posting(self.index.postings[at], quality);
        }
    }

    fn add_posting(&mut self, p: Posting, quality: Quality) {
        if self.country.is_some_and(|c| self.index.countries[p.place as usize] != c) {
            return;
        }
        let entry = self.found.entry(p.place).or_insert((quality, p.name));
        if quality < entry.0 {
            *entry = (quality, p.name);
        }
    }

    /// Adds the prefix matches of the posting `spans` until `limit` places are found: a short
    /// span is read whole; a long one (a prefix of one or two letters has thousands of
    /// postings) best place first, so only its best places are met. If a country filter keeps
    /// few of them, the spans are read whole after all (a scan that keeps few is cheap).
    fn add_prefixes(&mut self, spans: &[Range<usize>; 2], limit: usize) {
        let total: usize = spans.iter().map(Range::len).sum();
        if total > SCAN_POSTINGS {
            // A filtered-out posting costs a pop; reading a span whole costs little more than
            // checking each posting's country, so a filter that keeps few stops the pops soon.
            let mut budget = 4 * limit + 64;
            let mut filled = false;
            self.index.ranks.best_first(spans, |at| {
                self.add_posting(self.index.postings[at], Quality::Prefix);
                filled = self.found.len() >= limit;
                budget -= 1;
                !filled && budget > 0
            });
            if filled || self.country.is_none() {
                return;
            }
        }
        for span in spans {
            for at in span.clone() {
                self.add_posting(self.index.postings[at], Quality::Prefix);
            }
        }
    }
}

/// A min-tree over the rank of every posting's place (leaves `size..2 * size`, in posting
/// order; padding ranks last), to meet the postings of a span best place first without reading
/// the whole span.
struct RankTree {
    nodes: Vec<u32>,
    size: usize,
}

impl RankTree {
    fn new(ranks: Vec<u32>) -> RankTree {
        let size = ranks.len().next_power_of_two();
        let mut nodes = vec![u32::MAX; 2 * size];
        nodes[size..size + ranks.len()].copy_from_slice(&ranks);
        for i in (1..size).rev() {
            nodes[i] = nodes[2 * i].min(nodes[2 * i + 1]);
        }
        RankTree { nodes, size }
    }

    /// Calls `visit` with the position of every posting in `spans`, best rank first, while it
    /// returns true.
    fn best_first(&self, spans: &[Range<usize>], mut visit: impl FnMut(usize) -> bool) {
        let mut heap = std::collections::BinaryHeap::new();
        let push = |heap: &mut std::collections::BinaryHeap<_>, node: usize| {
            heap.push(Reverse((self.nodes[node], node)));
        };
        for span in spans {
            // The nodes that together cover the span exactly, bottom up.
            let (mut low, mut high) = (span.start + self.size, span.end + self.size);
            while low < high {
                if low & 1 == 1 {
                    push(&mut heap, low);
                    low += 1;
                }
                if high & 1 == 1 {
                    high -= 1;
                    push(&mut heap, high);
                }
                low /= 2;
                high /= 2;
            }
        }
        while let Some(Reverse((_, node))) = heap.pop() {
            if node >= self.size {
                if !visit(node - self.size) {
                    return;
                }
            } else {
                push(&mut heap, 2 * node);
                push(&mut heap, 2 * node + 1);
            }
        }
    }
}

/// The index of the bundled gazetteer, built on first use.
pub fn bundled() -> &'static PlaceIndex<'static> {
    static INDEX: OnceLock<PlaceIndex<'static>> = OnceLock::new();
    INDEX.get_or_init(|| PlaceIndex::build(super::gazetteer::bundled()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn ids(query: &str, limit: usize, country: Option<&str>) -> Vec<&'static str> {
        bundled().search(query, limit, country).iter().map(|m| m.place.id.as_str()).collect()
    }

    /// The id of the best match, and its quality.
    fn first(query: &str) -> (&'static str, Quality) {
        let found = bundled().search(query, 10, None);
        let m = found.first().unwrap_or_else(|| panic!("nothing for {query}"));
        (m.place.id.as_str(), m.quality)
    }

    const LUCKNOW: &str = "gn:1264733";

    #[test]
    fn lucknow_by_case_old_name_hindi_and_pin_code() {
        for q in ["lucknow", "Lucknow", "LUCKNOW", "Lakhnau", "लखनऊ", " lucknow. "] {
            assert_eq!(first(q), (LUCKNOW, Quality::Exact), "{q}");
            // The town before its district and sub-district headquarters of the same name.
            assert_eq!(ids(q, 3, None)[0], LUCKNOW);
        }
        let m = &bundled().search("Lakhnau", 1, None)[0];
        assert_eq!(m.matched_name, "Lakhnau");
        assert_eq!(first("226001"), ("pin:226001", Quality::Exact));
    }

    #[test]
    fn a_prefix_autocompletes_and_a_typo_is_forgiven() {
        assert!(ids("Luck", 3, None).contains(&LUCKNOW), "{:?}", ids("Luck", 3, None));
        assert!(bundled().search("Luck", 3, None).iter().all(|m| m.quality == Quality::Prefix));
        assert_eq!(first("Lucknoww").0, LUCKNOW);
        assert_eq!(first("Lucknw"), (LUCKNOW, Quality::Fuzzy(1)));
        assert_eq!(first("Lucknouw"), (LUCKNOW, Quality::Fuzzy(1)));
        assert_eq!(first("Thiruvanantapuran"), ("gn:1254163", Quality::Fuzzy(2)), "two from 8 characters");
        assert_eq!(first("लखनऊऊ"), (LUCKNOW, Quality::Fuzzy(1)), "a typo in Devanagari is one character");
        let short = bundled().search("Lko", 50, None);
        assert!(short.iter().all(|m| !matches!(m.quality, Quality::Fuzzy(_))), "no typos under 4 characters");
    }

    #[test]
    fn old_and_other_script_names_find_todays_city() {
        for (q, id) in [
            ("Calcutta", "gn:1275004"),
            ("Banaras", "gn:1253405"),
            ("Gurgaon", "gn:1270642"),
            ("Trivandrum", "gn:1254163"),
            ("Bangalore", "gn:1277333"),
            ("मुंबई", "gn:1275339"),
            ("Bombay", "gn:1275339"),
        ] {
            assert_eq!(first(q), (id, Quality::Exact), "{q}");
        }
    }

    #[test]
    fn transliteration_variants_match_as_variants() {
        // Spellings not in the gazetteer: v/w, sh/s, doubled vowels, a doubled consonant, aspirates.
        for (q, name) in [
            ("Vazirabad", "Wazirabad"),
            ("Hosiarpur", "Hoshiārpur"),
            ("Vaaranasi", "Varanasi"),
            ("Miirut", "Meerut"),
            ("Kolkatta", "Kolkata"),
            ("Bhatinda", "Bathinda"),
        ] {
            let found = bundled().search(q, 5, None);
            let m = found.first().unwrap_or_else(|| panic!("nothing for {q}"));
            assert_eq!(
                (m.place.name.as_str(), m.quality, m.place.kind),
                (name, Quality::Variant, PlaceKind::Town),
                "{q}"
            );
        }
    }

    #[test]
    fn an_ambiguous_name_gives_several_places() {
        let found = bundled().search("Aurangabad", 10, None);
        let exact: Vec<_> = found.iter().filter(|m| m.quality == Quality::Exact).collect();
        let states: std::collections::HashSet<_> = exact.iter().map(|m| m.place.state.as_str()).collect();
        assert!(exact.len() >= 2 && states.contains("Bihar") && states.contains("Maharashtra"), "{found:?}");
        assert_eq!(found[0].place.id, "gn:1278149", "the larger city first");
    }

    #[test]
    fn country_filter_limit_and_bad_queries() {
        assert!(bundled().search("Paris", 50, Some("fr")).iter().all(|m| m.place.country == "FR"));
        assert_eq!(ids("Paris", 1, Some("FR")), ["gn:2988507"]);
        assert!(ids("Lucknow", 10, Some("US")).iter().all(|id| *id != LUCKNOW));
        assert_eq!(bundled().search("a", 1000, None).len(), MAX_LIMIT);
        assert!(ids("Lucknow", 0, None).is_empty());
        for q in ["", "  ", "...", &"a".repeat(MAX_QUERY_CHARS + 1)] {
            assert!(ids(q, 10, None).is_empty(), "{q}");
        }
        assert!(!ids(&"a".repeat(MAX_QUERY_CHARS), 10, None).contains(&LUCKNOW));
    }

    #[test]
    fn one_entry_per_place_with_its_best_match() {
        let found = bundled().search("Kolkata", 50, None);
        let mut seen = std::collections::HashSet::new();
        assert!(found.iter().all(|m| seen.insert(m.index)));
        assert!(found.windows(2).all(|w| rank(&w[0]) <= rank(&w[1])));
        assert_eq!((found[0].place.id.as_str(), found[0].matched_name), ("gn:1275004", "Kolkata"));
    }

    /// What a scan of every name of every place answers, by the rules `search` documents:
    /// exact, variant and prefix matches best first; if there are none, places one typo away
    /// (a typo in the first character staying in its script); if none either, two typos away
    /// after a correct first character.
    /// A name's folded key, loose key and folded characters.
    type Keys = (String, String, Vec<char>);
    /// A match as the scan ranks it: quality, place order, place index.
    type Ranked = (Quality, (Reverse<u64>, u8, u32), u32);

    fn scan(query: &str, limit: usize, country: Option<&str>) -> Vec<(u32, Quality)> {
        let places = &super::super::gazetteer::bundled().places;
        let (q, lq) = (fold(query), loose(&fold(query)));
        let qc: Vec<char> = q.chars().collect();
        // Every place's names, folded, loosened and as characters, computed once for all scans.
        static KEYS: OnceLock<Vec<Vec<Keys>>> = OnceLock::new();
        let keys = KEYS.get_or_init(|| {
            let names = |p: &Place| -> Vec<Keys> {
                let folded = std::iter::once(&p.name).chain(&p.alt_names).map(|n| fold(n));
                folded
                    .filter(|k| !k.is_empty())
                    .map(|k| (k.clone(), loose(&k), k.chars().collect()))
                    .collect()
            };
            places.iter().map(names).collect()
        });
        let mut better: Vec<Ranked> = Vec::new();
        let mut one: Vec<Ranked> = Vec::new();
        let mut two: Vec<Ranked> = Vec::new();
        for (i, (place, names)) in places.iter().zip(keys).enumerate() {
            if country.is_some_and(|c| place.country != c) {
                continue;
            }
            let (mut b, mut o, mut t) = (None::<Quality>, None::<u8>, None::<u8>);
            for (k, l, kc) in names {
                let quality = if *k == q {
                    Some(Quality::Exact)
                } else if *l == lq {
                    Some(Quality::Variant)
                } else if k.starts_with(&q) || l.starts_with(&lq) {
                    Some(Quality::Prefix)
                } else {
                    None
                };
                b = match (b, quality) {
                    (Some(b), Some(q)) => Some(b.min(q)),
                    (b, q) => b.or(q),
                };
                if kc.len().abs_diff(qc.len()) > 2 || qc.is_empty() {
                    continue;
                }
                let d = edit_distance(k, &q) as u8;
                if d <= 1 && block(kc[0]) == block(qc[0]) {
                    o = Some(o.map_or(d, |o| o.min(d)));
                }
                if d <= 2 && kc[0] == qc[0] {
                    t = Some(t.map_or(d, |t| t.min(d)));
                }
            }
            let order = place_order(place, i as u32);
            if let Some(b) = b {
                better.push((b, order, i as u32));
            }
            if let Some(d) = o {
                one.push((Quality::Fuzzy(d), order, i as u32));
            }
            if let Some(d) = t {
                two.push((Quality::Fuzzy(d), order, i as u32));
            }
        }
        let allowed = typos_allowed(qc.len());
        let mut found = match (better.is_empty(), one.is_empty()) {
            (false, _) => better,
            (true, false) if allowed >= 1 => one,
            _ if allowed >= 2 => two,
            _ => Vec::new(),
        };
        found.sort();
        found.truncate(limit.min(MAX_LIMIT));
        found.into_iter().map(|(quality, _, i)| (i, quality)).collect()
    }

    fn searched(query: &str, limit: usize, country: Option<&str>) -> Vec<(u32, Quality)> {
        bundled().search(query, limit, country).iter().map(|m| (m.index, m.quality)).collect()
    }

    /// Prefixes of real names as a caller types them, and the shortest prefixes (thousands of
    /// names each) with and without a country filter: the same places in the same order as a
    /// scan of every name.
    #[test]
    fn prefix_results_equal_a_brute_force_scan() {
        let places = &super::super::gazetteer::bundled().places;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(12);
        for _ in 0..40 {
            let place = &places[rng.random_range(0..places.len())];
            let name = if place.alt_names.is_empty() || rng.random_bool(0.5) {
                &place.name
            } else {
                &place.alt_names[rng.random_range(0..place.alt_names.len())]
            };
            let chars: Vec<char> = name.chars().collect();
            let query: String = chars[..rng.random_range(1..=chars.len())].iter().collect();
            let country = rng.random_bool(0.3).then_some(place.country.as_str());
            assert_eq!(
                searched(&query, MAX_LIMIT, country),
                scan(&query, MAX_LIMIT, country),
                "{query:?} {country:?}"
            );
        }
        for query in ["a", "l", "s", "5", "2", "ल", "ka", "ch"] {
            for country in [None, Some("IN"), Some("PK"), Some("FJ"), Some("US")] {
                for limit in [1, 10, MAX_LIMIT] {
                    assert_eq!(
                        searched(query, limit, country),
                        scan(query, limit, country),
                        "{query:?} {country:?}"
                    );
                }
            }
        }
    }

    /// Names with one or two random typos: the same places, qualities and order as the scan.
    #[test]
    fn typo_results_equal_a_brute_force_scan() {
        let places = &super::super::gazetteer::bundled().places;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(13);
        let letters: Vec<char> = "abcdefghijklmnopqrstuvwxyz".chars().collect();
        for round in 0..24 {
            let place = &places[rng.random_range(0..places.len())];
            let mut chars: Vec<char> = place.name.chars().collect();
            for _ in 0..1 + round % 2 {
                let at = rng.random_range(0..chars.len());
                let letter = letters[rng.random_range(0..letters.len())];
                match rng.random_range(0..3) {
                    0 => chars[at] = letter,
                    1 => chars.insert(at, letter),
                    _ if chars.len() > 1 => drop(chars.remove(at)),
                    _ => chars.push(letter),
                }
            }
            let query: String = chars.iter().collect();
            let country = rng.random_bool(0.3).then_some(place.country.as_str());
            assert_eq!(searched(&query, 10, country), scan(&query, 10, country), "{query:?} {country:?}");
        }
        for query in ["Lucknoww", "Xucknow", "Thiruvanantapuran", "लखनऊऊ", "Bengalru", "zzzzzzzz"] {
            assert_eq!(searched(query, 10, None), scan(query, 10, None), "{query:?}");
        }
    }

    #[test]
    fn typo_matches_are_within_their_distance() {
        for q in ["Lucknoww", "Varanasy", "Thiruvananthapuran", "Bengalru", "लखनऊऊ", "मुम्बाई"]
        {
            let found = bundled().search(q, 50, None);
            assert!(!found.is_empty(), "{q}");
            for m in found.iter().filter(|m| matches!(m.quality, Quality::Fuzzy(_))) {
                let Quality::Fuzzy(d) = m.quality else { unreachable!() };
                let names = std::iter::once(&m.place.name).chain(&m.place.alt_names);
                let closest = names.map(|n| edit_distance(&fold(n), &fold(q))).min();
                assert_eq!(closest, Some(usize::from(d)), "{q}: {m:?}");
                assert!(usize::from(d) <= if q.chars().count() >= TWO_TYPOS_CHARS { 2 } else { 1 });
            }
        }
    }

    /// Levenshtein distance in characters, the reference for the automaton.
    fn edit_distance(a: &str, b: &str) -> usize {
        let b: Vec<char> = b.chars().collect();
        let mut row: Vec<usize> = (0..=b.len()).collect();
        for (i, ca) in a.chars().enumerate() {
            let mut diagonal = row[0];
            row[0] = i + 1;
            for (j, cb) in b.iter().enumerate() {
                let next = (row[j + 1] + 1).min(row[j] + 1).min(diagonal + usize::from(ca != *cb));
                diagonal = row[j + 1];
                row[j + 1] = next;
            }
        }
        row[b.len()]
    }
}
