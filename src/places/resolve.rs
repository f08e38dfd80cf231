//! Turning a place name a caller typed into one point, or saying why not.
//!
//! Only names that match exactly (after [`fold`](super::fold)), or else as a transliteration
//! variant, are taken: a prefix or a typo match is never used silently, since a wrong place sends
//! someone to the wrong shelter; those come back as candidates to pick from.
//!
//! **Ambiguity.** The best-quality matches are grouped into spots: a match within
//! [`SAME_SPOT_KM`] of a spot's first (largest) match is the same spot, so Lucknow as a town, a
//! district headquarters and a sub-district headquarters is one spot. A spot's population is the
//! largest of its matches. The name is ambiguous when there are two spots or more and the second
//! largest has at least 1/[`DOMINANCE`] of the largest's population ("Aurangabad": Maharashtra
//! and Bihar; "Hyderabad": India and Pakistan). When one spot dominates ("Lucknow", with a
//! village of that name in Canada), it is taken. Two spots without populations are ambiguous.
//!
//! **Narrowing.** `"Aurangabad, Bihar"`: a text after the last comma keeps only the matches
//! whose country code, state or district equals it (after folding); `place_id` picks exactly.

use super::fold::fold;
use super::gazetteer::Place;
use super::search::{MAX_LIMIT, Match, PlaceIndex, Quality};

/// Matches closer than this to a spot's first match are the same spot (km).
pub const SAME_SPOT_KM: f64 = 30.0;
/// A spot is taken over the others when its population is more than this many times theirs.
pub const DOMINANCE: u64 = 20;
/// Most candidates offered.
pub const MAX_CANDIDATES: usize = 5;

/// What a name resolves to.
#[derive(Debug, Clone)]
pub enum Resolution<'g> {
    /// One place.
    Found(Match<'g>),
    /// Several places are called this: the largest match of each spot, largest spot first.
    Ambiguous(Vec<Match<'g>>),
    /// Nothing is called exactly this; these are close (prefix or typo) matches.
    Unsure(Vec<Match<'g>>),
    /// Nothing is called anything like this.
    NotFound,
}

/// Resolves `text` (a name, optionally `"name, qualifier"`) over `index`.
pub fn resolve<'g>(index: &PlaceIndex<'g>, text: &str) -> Resolution<'g> {
    let (name, qualifier) = match text.rsplit_once(',') {
        Some((name, q)) if !fold(q).is_empty() => (name, Some(fold(q))),
        _ => (text, None),
    };
    let keep = |p: &Place| {
        qualifier.as_ref().is_none_or(|q| [&p.country, &p.state, &p.district].iter().any(|v| fold(v) == *q))
    };
    let found: Vec<_> = index.search(name, MAX_LIMIT, None).into_iter().filter(|m| keep(m.place)).collect();
    let Some(best) = found.first().map(|m| m.quality) else {
        return Resolution::NotFound;
    };
    // Search answers best quality first; only the best tier counts.
    let tier: Vec<Match> = found.iter().copied().take_while(|m| m.quality == best).collect();
    if !matches!(best, Quality::Exact | Quality::Variant) {
        return Resolution::Unsure(spots(&found).into_iter().map(|s| s.first).take(MAX_CANDIDATES).collect());
    }
    let spots = spots(&tier);
    match spots.as_slice() {
        [only] => Resolution::Found(only.first),
        [first, second, ..] if second.population.saturating_mul(DOMINANCE) < first.population => {
            Resolution::Found(first.first)
        }
        _ => Resolution::Ambiguous(spots.iter().map(|s| s.first).take(MAX_CANDIDATES).collect()),
    }
}

/// Matches at one spot.
struct Spot<'g> {
    first: Match<'g>,
    population: u64,
}

/// Groups places (in search order: largest first within a quality) into spots, largest spot
/// first; each spot is represented by its first place.
fn spots<'g>(matches: &[Match<'g>]) -> Vec<Spot<'g>> {
    let mut spots: Vec<Spot<'g>> = Vec::new();
    for &m in matches {
        let p = m.place;
        match spots.iter_mut().find(|s| s.first.place.point.distance_m(p.point) <= SAME_SPOT_KM * 1000.0) {
            Some(s) => s.population = s.population.max(p.population),
            None => spots.push(Spot { first: m, population: p.population }),
        }
    }
    // Stable: equal populations keep search order.
    spots.sort_by_key(|s| std::cmp::Reverse(s.population));
    spots
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::places::search::bundled;

    fn found(text: &str) -> &'static str {
        match resolve(bundled(), text) {
            Resolution::Found(m) => m.place.id.as_str(),
            other => panic!("{text}: {other:?}"),
        }
    }

    fn ambiguous(text: &str) -> Vec<&'static Place> {
        match resolve(bundled(), text) {
            Resolution::Ambiguous(c) => c.into_iter().map(|m| m.place).collect(),
            other => panic!("{text}: {other:?}"),
        }
    }

    #[test]
    fn lucknow_by_any_name_or_its_pin_code() {
        for q in ["Lucknow", "lucknow", "Lakhnau", "लखनऊ"] {
            assert_eq!(found(q), "gn:1264733", "{q}");
        }
        assert_eq!(found("226001"), "pin:226001");
    }

    #[test]
    fn town_district_and_subdistrict_at_one_spot_are_one_place() {
        // Lucknow is a town, a district HQ (and more) within a few km: one spot.
        let exact: Vec<_> = bundled()
            .search("Lucknow", 50, None)
            .into_iter()
            .filter(|m| m.quality == Quality::Exact)
            .map(|m| m.place)
            .collect();
        assert!(exact.len() >= 2, "{exact:?}");
        assert_eq!(found("Lucknow"), "gn:1264733");
    }

    #[test]
    fn aurangabad_is_ambiguous_between_maharashtra_and_bihar() {
        let c = ambiguous("Aurangabad");
        let states: Vec<&str> = c.iter().map(|p| p.state.as_str()).collect();
        assert!(states.contains(&"Maharashtra") && states.contains(&"Bihar"), "{states:?}");
        assert!(c.len() <= MAX_CANDIDATES);
        // Every candidate is at its own spot, more than SAME_SPOT_KM from the others.
        for (i, a) in c.iter().enumerate() {
            for b in &c[i + 1..] {
                assert!(a.point.distance_m(b.point) > SAME_SPOT_KM * 1000.0, "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn hyderabad_is_ambiguous_unless_narrowed() {
        let countries: Vec<&str> = ambiguous("Hyderabad").iter().map(|p| p.country.as_str()).collect();
        assert!(countries.contains(&"IN") && countries.contains(&"PK"), "{countries:?}");
        assert_eq!(found("Hyderabad, PK"), "gn:1176734");
        assert_eq!(found("Hyderabad, Telangana"), "gn:1269843");
        let bihar = found("Aurangabad, Bihar");
        assert_eq!(crate::places::gazetteer::bundled().get(bihar).unwrap().state, "Bihar");
    }

    #[test]
    fn near_misses_are_offered_never_taken_and_nonsense_finds_nothing() {
        match resolve(bundled(), "Luckno") {
            Resolution::Unsure(c) => assert_eq!(c[0].place.id, "gn:1264733", "{c:?}"),
            other => panic!("{other:?}"),
        }
        assert!(matches!(resolve(bundled(), "Qxzqxzqxz"), Resolution::NotFound));
        assert!(matches!(resolve(bundled(), "Lucknow, Bihar"), Resolution::NotFound));
    }

    /// The rule on made-up places, checked by hand: distances and populations decide.
    #[test]
    fn the_rule_on_a_small_gazetteer() {
        let header = "id,kind,name,alt_names,district,state,country,lat,lon,population,quality\n";
        let rows = "gn:1,town,Alpha,,,S,IN,10.0,20.0,1000000,\n\
                    gn:2,town,Alpha,,,T,IN,12.0,20.0,49999,\n\
                    gn:3,town,Beta,,,S,IN,10.0,20.0,1000000,\n\
                    gn:4,town,Beta,,,T,IN,12.0,20.0,50000,\n\
                    gn:5,town,Gamma,,,S,IN,10.0,20.0,0,\n\
                    gn:6,town,Gamma,,,T,IN,10.1,20.0,0,\n\
                    gn:7,town,Delta,,,S,IN,10.0,20.0,0,\n\
                    gn:8,town,Delta,,,T,IN,11.0,20.0,0,\n";
        let g = crate::places::Gazetteer::parse(&format!("{header}{rows}")).unwrap();
        let index = PlaceIndex::build(&g);
        let id = |r: Resolution| match r {
            Resolution::Found(m) => m.place.id.clone(),
            Resolution::Ambiguous(c) => format!("ambiguous {}", c.len()),
            other => format!("{other:?}"),
        };
        // 1,000,000 > 20 × 49,999: the large one wins; 1,000,000 = 20 × 50,000: ambiguous.
        assert_eq!(id(resolve(&index, "Alpha")), "gn:1");
        assert_eq!(id(resolve(&index, "Beta")), "ambiguous 2");
        // 11 km apart: one spot. 111 km apart without populations: ambiguous.
        assert_eq!(id(resolve(&index, "Gamma")), "gn:5");
        assert_eq!(id(resolve(&index, "Delta")), "ambiguous 2");
        assert_eq!(id(resolve(&index, "Delta, T")), "gn:8");
    }
}
