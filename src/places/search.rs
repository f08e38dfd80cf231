//! Place search over the gazetteer: exact, transliteration variant, prefix (autocomplete) and
//! one- or two-typo matches of every name, alternate name and PIN code, from two `fst` maps
//! (folded keys and their loose keys) rather than a scan.

use super::fold::{fold, loose};
use super::gazetteer::{Gazetteer, Place, PlaceKind};
use fst::automaton::Str;
use fst::{Automaton, IntoStreamer, Map, Streamer};
use std::cmp::Reverse;
use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

/// At most this many matches are returned, whatever the caller asks.
pub const MAX_LIMIT: usize = 50;
/// Longer queries (in characters, before folding) find nothing: no place name is this long.
pub const MAX_QUERY_CHARS: usize = 100;
/// Folded queries of at least this many characters may have one typo...
const ONE_TYPO_CHARS: usize = 4;
/// ...and of at least this many, two.
const TWO_TYPOS_CHARS: usize = 8;

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
        let loose = to_map(loose_keys, &mut postings, &mut starts);
        postings.shrink_to_fit();
        starts.shrink_to_fit();
        PlaceIndex { gazetteer, folded, loose, postings, starts }
    }

    /// The places matching `query`, best first: by [`Quality`], then population (largest first),
    /// then kind (town, district, sub-district, PIN code), then gazetteer order; one entry per
    /// place, at most `limit` (capped at [`MAX_LIMIT`]). `country` (ISO 3166-1 alpha-2, any case)
    /// keeps only that country's places. An empty or over-long query finds nothing.
    pub fn search(&self, query: &str, limit: usize, country: Option<&str>) -> Vec<Match<'g>> {
        let limit = limit.min(MAX_LIMIT);
        let key = fold(query);
        if limit == 0 || key.is_empty() || query.chars().count() > MAX_QUERY_CHARS {
            return Vec::new();
        }
        let loose_key = loose(&key);
        let mut best = Best { index: self, country, found: HashMap::new() };
        best.add(self.folded.get(&key), Quality::Exact);
        best.add(self.loose.get(&loose_key), Quality::Variant);
        best.stream(&self.folded, Str::new(&key).starts_with(), Quality::Prefix);
        best.stream(&self.loose, Str::new(&loose_key).starts_with(), Quality::Prefix);
        // Typo matches rank below every other match, so they are only looked for when the better
        // ones leave room.
        let chars: Vec<char> = key.chars().collect();
        let max = match chars.len() {
            n if n >= TWO_TYPOS_CHARS => 2,
            n if n >= ONE_TYPO_CHARS => 1,
            _ => 0,
        };
        if max > 0 && best.found.len() < limit {
            let mut stream = self.folded.search_with_state(Typos { query: &chars, max }).into_stream();
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

/// The sort key of a match: quality, then population (largest first), kind, gazetteer order.
fn rank(m: &Match) -> (Quality, Reverse<u64>, u8, u32) {
    let kind = match m.place.kind {
        PlaceKind::Town => 0,
        PlaceKind::District => 1,
        PlaceKind::Subdistrict => 2,
        PlaceKind::Pincode => 3,
    };
    (m.quality, Reverse(m.place.population), kind, m.index)
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

/// Keys at most `max` edits (insertions, deletions, substitutions of characters) from `query`: the
/// edit-distance table's last row, one key byte at a time, pruned once every entry exceeds `max`.
/// Cheaper than fst's `Levenshtein`, whose up-front DFA takes milliseconds for two typos.
struct Typos<'q> {
    query: &'q [char],
    max: u8,
}

/// A live [`Typos`] state: the distances of the key so far to each prefix of the query, and the
/// code point being decoded (UTF-8 continuation bytes still expected).
#[derive(Clone)]
struct TyposState {
    row: Vec<u8>,
    partial: u32,
    pending: u8,
}

impl Automaton for Typos<'_> {
    /// `None` once no key with this prefix can match.
    type State = Option<TyposState>;

    fn start(&self) -> Self::State {
        let row = (0..=self.query.len()).map(|j| j.min(usize::from(self.max) + 1) as u8).collect();
        Some(TyposState { row, partial: 0, pending: 0 })
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
            return Some(TyposState { row: s.row.clone(), partial, pending });
        }
        // Keys are UTF-8 (from `fold`), so every complete sequence is a char.
        let c = char::from_u32(partial)?;
        let cap = self.max + 1;
        let mut row = Vec::with_capacity(s.row.len());
        row.push((s.row[0] + 1).min(cap));
        for (j, q) in self.query.iter().enumerate() {
            let substitute = s.row[j] + u8::from(*q != c);
            row.push(substitute.min(s.row[j + 1] + 1).min(row[j] + 1).min(cap));
        }
        row.iter().any(|&d| d <= self.max).then_some(TyposState { row, partial: 0, pending: 0 })
    }
}

/// The best match so far of each place passing the country filter.
struct Best<'a, 'g> {
    index: &'a PlaceIndex<'g>,
    country: Option<&'a str>,
    /// Place index → (quality, which name).
    found: HashMap<u32, (Quality, u16)>,
}

impl Best<'_, '_> {
    fn add(&mut self, posting_list: Option<u64>, quality: Quality) {
        let starts = &self.index.starts;
        let Some(&[start, end]) = posting_list.and_then(|i| starts.get(i as usize..i as usize + 2)) else {
            return;
        };
        let list = &self.index.postings[start as usize..end as usize];
        for p in list {
            let place = &self.index.gazetteer.places[p.place as usize];
            if self.country.is_some_and(|c| !place.country.eq_ignore_ascii_case(c)) {
                continue;
            }
            let entry = self.found.entry(p.place).or_insert((quality, p.name));
            if quality < entry.0 {
                *entry = (quality, p.name);
            }
        }
    }

    fn stream<A: Automaton>(&mut self, map: &Map<Vec<u8>>, automaton: A, quality: Quality) {
        let mut stream = map.search(automaton).into_stream();
        while let Some((_, list)) = stream.next() {
            self.add(Some(list), quality);
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

    /// For prefixes of real names, exact, variant and prefix matches are what a scan of every
    /// name finds, in the same order, up to the limit.
    #[test]
    fn prefix_results_equal_a_brute_force_scan() {
        let places = &super::super::gazetteer::bundled().places;
        let keys: Vec<Vec<(String, String)>> = places
            .iter()
            .map(|p| {
                std::iter::once(&p.name).chain(&p.alt_names).map(|n| (fold(n), loose(&fold(n)))).collect()
            })
            .collect();
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(12);
        for _ in 0..50 {
            let place = &places[rng.random_range(0..places.len())];
            let name = if place.alt_names.is_empty() || rng.random_bool(0.5) {
                &place.name
            } else {
                &place.alt_names[rng.random_range(0..place.alt_names.len())]
            };
            let chars: Vec<char> = name.chars().collect();
            let query: String = chars[..rng.random_range(1..=chars.len())].iter().collect();
            let country = rng.random_bool(0.3).then_some(place.country.as_str());
            let (q, lq) = (fold(&query), loose(&fold(&query)));
            if q.is_empty() {
                continue;
            }
            let mut expected: Vec<Match> = Vec::new();
            for (i, (place, keys)) in places.iter().zip(&keys).enumerate() {
                if country.is_some_and(|c| place.country != c) {
                    continue;
                }
                let quality = keys
                    .iter()
                    .filter_map(|(k, l)| {
                        if *k == q {
                            Some(Quality::Exact)
                        } else if *l == lq {
                            Some(Quality::Variant)
                        } else if k.starts_with(&q) || l.starts_with(&lq) {
                            Some(Quality::Prefix)
                        } else {
                            None
                        }
                    })
                    .min();
                if let Some(quality) = quality {
                    expected.push(Match { index: i as u32, place, quality, matched_name: "" });
                }
            }
            expected.sort_by_key(rank);
            expected.truncate(MAX_LIMIT);
            let found: Vec<_> = bundled()
                .search(&query, MAX_LIMIT, country)
                .into_iter()
                .filter(|m| !matches!(m.quality, Quality::Fuzzy(_)))
                .map(|m| (m.index, m.quality))
                .collect();
            let expected: Vec<_> = expected.iter().map(|m| (m.index, m.quality)).collect();
            assert_eq!(found, expected, "{query:?} in {country:?}");
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
