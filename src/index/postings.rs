//! Which slots have each category and each language: a filter matching few providers is
//! answered from these lists instead of a tree walk that would step over everything nearer than
//! its first match (a 0.1 % language far from the query point was a 0.6 s walk at 1M).

use super::records::{Records, View};
use crate::model::Category;
use std::collections::{HashMap, HashSet};

#[derive(Debug, Default, PartialEq)]
pub struct Postings {
    categories: HashMap<Category, Vec<u32>>,
    languages: HashMap<String, Vec<u32>>,
}

impl Postings {
    /// The lists of `records` (by slot), each in slot order.
    pub fn build(records: &Records) -> Postings {
        let mut p = Postings::default();
        for (slot, r) in records.iter().enumerate() {
            p.add(slot as u32, r);
        }
        p
    }

    fn add(&mut self, slot: u32, r: View<'_>) {
        for c in r.categories() {
            self.categories.entry(*c).or_default().push(slot);
        }
        for l in r.languages().iter() {
            match self.languages.get_mut(l) {
                Some(list) => list.push(slot),
                None => drop(self.languages.insert(l.to_string(), vec![slot])),
            }
        }
    }

    /// These lists after a small change: each kept slot renumbered by `new_slot` (`None` when
    /// its record is gone or changed), then `added` (new slots, with their records) put in.
    pub fn renumbered(&self, new_slot: &[Option<u32>], added: &[(u32, View<'_>)]) -> Postings {
        let renumber =
            |list: &Vec<u32>| -> Vec<u32> { list.iter().filter_map(|&s| new_slot[s as usize]).collect() };
        let mut p = Postings {
            categories: self.categories.iter().map(|(c, l)| (*c, renumber(l))).collect(),
            languages: self.languages.iter().map(|(code, l)| (code.clone(), renumber(l))).collect(),
        };
        let mut touched_categories = HashSet::new();
        let mut touched_languages = HashSet::new();
        for &(slot, r) in added {
            p.add(slot, r);
            touched_categories.extend(r.categories());
            touched_languages.extend(r.languages().iter().map(str::to_string));
        }
        // Renumbering keeps order; the added slots fall anywhere in it.
        for c in touched_categories {
            p.categories.get_mut(&c).into_iter().for_each(|l| l.sort_unstable());
        }
        for code in touched_languages {
            p.languages.get_mut(&code).into_iter().for_each(|l| l.sort_unstable());
        }
        p.categories.retain(|_, l| !l.is_empty());
        p.languages.retain(|_, l| !l.is_empty());
        p
    }

    /// Bytes on the heap (allocator overhead and the maps' own tables aside).
    pub fn heap_bytes(&self) -> usize {
        let lists = self.categories.values().chain(self.languages.values());
        lists.map(|l| l.capacity() * size_of::<u32>()).sum()
    }

    pub fn category(&self, c: Category) -> &[u32] {
        self.categories.get(&c).map_or(&[], Vec::as_slice)
    }

    pub fn language(&self, code: &str) -> &[u32] {
        self.languages.get(code).map_or(&[], Vec::as_slice)
    }
}
