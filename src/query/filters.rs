//! Filters: AND between kinds, OR within one kind.

use crate::model::{Category, ProviderData};

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Filters {
    /// Any of these categories (empty: no constraint).
    pub categories: Vec<Category>,
    /// Any of these language codes (empty: no constraint).
    pub languages: Vec<String>,
    /// When set, `open_24_7` must equal it.
    pub open_24_7: Option<bool>,
}

impl Filters {
    pub fn matches(&self, p: &ProviderData) -> bool {
        (self.categories.is_empty() || self.categories.iter().any(|c| p.has_category(*c)))
            && (self.languages.is_empty() || self.languages.iter().any(|l| p.languages.contains(l)))
            && self.open_24_7.is_none_or(|want| p.open_24_7 == want)
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
        if categories.is_empty() && languages.is_empty() && self.open_24_7.is_none() {
            return String::new();
        }
        let open = self.open_24_7.map_or("", |o| if o { "true" } else { "false" });
        format!("category={}&language={}&open_24_7={open}", categories.join(","), languages.join(","))
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
        };
        assert_eq!(Filters::default().key(), "");
        let a = f(&[Category::Shelter, Category::Helpline], &["hi", "en"], None);
        let b = f(&[Category::Helpline, Category::Shelter, Category::Shelter], &["en", "hi"], None);
        assert_eq!(a.key(), b.key());
        assert_ne!(a.key(), f(&[Category::Shelter], &["hi", "en"], None).key());
        assert_ne!(a.key(), f(&[Category::Shelter, Category::Helpline], &["hi", "en"], Some(true)).key());
        assert_ne!(f(&[], &[], Some(true)).key(), f(&[], &[], Some(false)).key());
    }
}
