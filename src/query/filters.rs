//! Filters: AND between kinds, OR within one kind.

use crate::hours::UnixTime;
use crate::index::Snapshot;
use crate::index::open::OpenSet;
use crate::model::Category;
use rstar::RTree;
use std::sync::Arc;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filters {
    /// Any of these categories (empty: no constraint).
    pub categories: Vec<Category>,
    /// Any of these language codes (empty: no constraint).
    pub languages: Vec<String>,
    /// When set, `open_24_7` must equal it.
    pub open_24_7: Option<bool>,
    /// When set, only providers open at this instant (`open_at`, or the request's now for
    /// `open_now`), floored to the minute: hours have minute steps, so the answer is the same.
    pub open_at: Option<UnixTime>,
}

impl Filters {
    /// Whether the provider in `slot` of `snap` passes, evaluating its hours on their own
    /// (walks use `matcher`, which gives the same answers faster).
    pub fn matches(&self, snap: &Snapshot, slot: u32) -> bool {
        self.matches_record(snap, slot) && self.open_at.is_none_or(|at| snap.hours.is_open(slot, at))
    }

    /// Everything but the open filter.
    fn matches_record(&self, snap: &Snapshot, slot: u32) -> bool {
        // Without record filters the record is never read: a walk would miss the cache on
        // each one it steps over.
        if self.categories.is_empty() && self.languages.is_empty() && self.open_24_7.is_none() {
            return true;
        }
        let p = snap.record(slot);
        (self.categories.is_empty() || self.categories.iter().any(|c| p.has_category(*c)))
            && (self.languages.is_empty() || self.languages.iter().any(|l| p.languages().contains(l)))
            && self.open_24_7.is_none_or(|want| p.open_24_7() == want)
    }

    /// These filters ready for walks over `snap`: the open set of `open_at` is looked up once,
    /// so each provider's check is a flag.
    pub fn matcher<'a>(&'a self, snap: &'a Snapshot) -> Matcher<'a> {
        Matcher { filters: self, snap, open: self.open_at.map(|at| snap.open_at(at)) }
    }

    /// `matcher` for a nearest walk, which uses the open providers' own tree once it is built.
    pub fn nearest_matcher<'a>(&'a self, snap: &'a Snapshot) -> Matcher<'a> {
        Matcher { filters: self, snap, open: self.open_at.map(|at| snap.open_at_with_tree(at)) }
    }

    /// The posting lists of the kind (categories or languages; AND between them) with the
    /// fewest entries: every provider these filters accept is in one of them. `None` when
    /// neither kind is given.
    fn shortest_lists<'s>(&self, snap: &'s Snapshot) -> Option<Vec<&'s [u32]>> {
        self.shortest(snap).map(|(_, lists)| lists)
    }

    /// `shortest_lists`, and whether they are the categories' (else the languages').
    fn shortest<'s>(&self, snap: &'s Snapshot) -> Option<(bool, Vec<&'s [u32]>)> {
        let categories: Vec<&[u32]> = self.categories.iter().map(|c| snap.postings.category(*c)).collect();
        let languages: Vec<&[u32]> = self.languages.iter().map(|l| snap.postings.language(l)).collect();
        [(true, categories), (false, languages)]
            .into_iter()
            .filter(|(_, ls)| !ls.is_empty())
            .min_by_key(|(_, ls)| ls.iter().map(|l| l.len()).sum::<usize>())
    }

    /// At most how many providers these filters can accept (see `candidate_bound`), and a
    /// canonical name of the set `candidates` returns: equal for filters with the same
    /// candidates however written or whatever else they filter on.
    pub fn candidate_set(&self, snap: &Snapshot) -> Option<(usize, String)> {
        let (categories, lists) = self.shortest(snap)?;
        let mut names: Vec<&str> = if categories {
            self.categories.iter().map(|c| c.slug()).collect()
        } else {
            self.languages.iter().map(String::as_str).collect()
        };
        names.sort_unstable();
        names.dedup();
        let kind = if categories { "category" } else { "language" };
        Some((lists.iter().map(|l| l.len()).sum(), format!("{kind}={}", names.join(","))))
    }

    /// At most how many providers these filters can accept, from the posting lists (`None`
    /// without a category or language filter).
    pub fn candidate_bound(&self, snap: &Snapshot) -> Option<usize> {
        self.candidate_set(snap).map(|(bound, _)| bound)
    }

    /// Every slot these filters can accept (a superset: other filters still apply), in slot
    /// order; `None` without a category or language filter.
    pub fn candidates(&self, snap: &Snapshot) -> Option<Vec<u32>> {
        let mut slots: Vec<u32> = self.shortest_lists(snap)?.concat();
        slots.sort_unstable();
        slots.dedup();
        Some(slots)
    }

    /// The candidates when they are few enough that nearest for `k` gives them a tree of their
    /// own at once (a build costs about what checking each of them once would): to find k of c
    /// matches among n providers a walk steps over about k·n/c entries (more when the matches
    /// are far away), so that is while c² ≤ 4·k·n.
    pub fn rare_candidates(&self, snap: &Snapshot, k: usize) -> Option<Vec<u32>> {
        let c = self.candidate_bound(snap)?;
        scan_beats_walk(c, k, snap.len()).then(|| self.candidates(snap)).flatten()
    }

    /// A canonical name of this filter ("" when it lets everything through): equal filters,
    /// however written, have equal keys.
    pub fn key(&self) -> String {
        let mut categories: Vec<&str> = self.categories.iter().map(|c| c.slug()).collect();
        categories.sort_unstable();
        categories.dedup();
        let mut languages: Vec<&str> = self.languages.iter().map(String::as_str).collect();
        languages.sort_unstable();
        languages.dedup();
        if categories.is_empty() && languages.is_empty() && self.open_24_7.is_none() && self.open_at.is_none()
        {
            return String::new();
        }
        let open = self.open_24_7.map_or("", |o| if o { "true" } else { "false" });
        let mut key =
            format!("category={}&language={}&open_24_7={open}", categories.join(","), languages.join(","));
        // open_now and open_at at the same minute answer alike, so they share a key.
        if let Some(at) = self.open_at {
            key.push_str(&format!("&open_at={}", at - at.rem_euclid(60)));
        }
        key
    }
}

/// Whether checking `candidates` one by one beats a nearest walk for `k` among `n` (see
/// [`Filters::rare_candidates`]).
pub fn scan_beats_walk(candidates: usize, k: usize, n: usize) -> bool {
    let c = candidates as u128;
    c * c <= 4 * k as u128 * n as u128
}

/// Filters bound to one snapshot and instant; called inside every walk, before a page is cut.
pub struct Matcher<'a> {
    filters: &'a Filters,
    snap: &'a Snapshot,
    open: Option<Arc<OpenSet>>,
}

impl Matcher<'_> {
    pub fn matches(&self, slot: u32) -> bool {
        self.filters.matches_record(self.snap, slot)
            && self.open.as_ref().is_none_or(|o| o.has(self.snap.hours.schedule_of(slot)))
    }

    /// Whether only the open filter is left to check once a walk uses `open_tree`.
    pub fn matches_besides_open(&self, slot: u32) -> bool {
        self.filters.matches_record(self.snap, slot)
    }

    /// The tree of just the providers open at the filter's instant, once built.
    pub fn open_tree(&self) -> Option<&RTree<crate::index::TreePoint>> {
        self.open.as_ref().and_then(|o| o.tree())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_ignore_order_and_repeats_and_tell_filters_apart() {
        let f = |c: &[Category], l: &[&str], o| Filters {
            categories: c.to_vec(),
            languages: l.iter().map(|s| s.to_string()).collect(),
            open_24_7: o,
            open_at: None,
        };
        assert_eq!(Filters::default().key(), "");
        let a = f(&[Category::Shelter, Category::Helpline], &["hi", "en"], None);
        let b = f(&[Category::Helpline, Category::Shelter, Category::Shelter], &["en", "hi"], None);
        assert_eq!(a.key(), b.key());
        assert_ne!(a.key(), f(&[Category::Shelter], &["hi", "en"], None).key());
        assert_ne!(a.key(), f(&[Category::Shelter, Category::Helpline], &["hi", "en"], Some(true)).key());
        assert_ne!(f(&[], &[], Some(true)).key(), f(&[], &[], Some(false)).key());
        // An instant is part of the key, to the minute.
        let at = |t| Filters { open_at: Some(t), ..Filters::default() };
        assert_ne!(at(1_800_000_000).key(), "");
        assert_eq!(at(1_800_000_000).key(), at(1_800_000_059).key());
        assert_ne!(at(1_800_000_000).key(), at(1_800_000_060).key());
        assert_ne!(at(1_800_000_000).key(), Filters::default().key());
    }
}
