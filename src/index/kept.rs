//! Values a snapshot builds on first use, by name, and keeps for later requests while they
//! stay few and small: filtered clusters, candidate trees.

use std::sync::{Arc, Mutex, OnceLock, PoisonError};

type Lazy<T> = Arc<OnceLock<Arc<T>>>;

pub struct Kept<T> {
    /// Most recently used last.
    entries: Mutex<Vec<(String, Lazy<T>)>>,
    /// At most this many are kept...
    most: usize,
    /// ...while their sizes add up to at most this (the newest is always kept).
    budget: usize,
    size: fn(&T) -> usize,
}

impl<T> Kept<T> {
    pub fn new(most: usize, budget: usize, size: fn(&T) -> usize) -> Kept<T> {
        Kept { entries: Mutex::new(Vec::new()), most, budget, size }
    }

    /// The value named `key`, built by `build` if no caller has (callers asking for the same
    /// key at once share one build); then the least recently used are dropped while too many
    /// or too large are kept.
    pub fn get_or_build(&self, key: &str, build: impl FnOnce() -> T) -> Arc<T> {
        let cell = {
            let mut entries = self.lock();
            let entry = match entries.iter().position(|(k, _)| k == key) {
                Some(i) => entries.remove(i),
                None => (key.to_string(), Arc::new(OnceLock::new())),
            };
            entries.push(entry.clone());
            entry.1
        };
        let value = cell.get_or_init(|| Arc::new(build())).clone();
        let mut entries = self.lock();
        let total = |entries: &[(String, Lazy<T>)]| -> usize {
            entries.iter().filter_map(|(_, v)| v.get()).map(|v| (self.size)(v)).sum()
        };
        while entries.len() > 1 && (entries.len() > self.most || total(&entries) > self.budget) {
            entries.remove(0);
        }
        value
    }

    /// The value named `key`, if it is built and kept.
    pub fn get(&self, key: &str) -> Option<Arc<T>> {
        self.lock().iter().find(|(k, _)| k == key).and_then(|(_, v)| v.get()).cloned()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(String, Lazy<T>)>> {
        self.entries.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_most_recently_used_within_count_and_size() {
        let kept: Kept<Vec<u8>> = Kept::new(2, 10, Vec::len);
        let built = std::cell::Cell::new(0);
        let make = |n: usize| {
            built.set(built.get() + 1);
            vec![0; n]
        };
        kept.get_or_build("a", || make(3));
        kept.get_or_build("b", || make(3));
        assert_eq!(kept.get_or_build("a", || make(3)).len(), 3);
        assert_eq!(built.get(), 2, "a kept value is not built again");
        kept.get_or_build("c", || make(3));
        assert!(kept.get("b").is_none(), "the least recently used goes when too many are kept");
        assert!(kept.get("a").is_some() && kept.get("c").is_some());
        kept.get_or_build("d", || make(9));
        assert!(kept.get("a").is_none() && kept.get("c").is_none(), "too large together");
        assert_eq!(kept.get("d").map(|v| v.len()), Some(9), "the newest stays, however large");
    }
}
