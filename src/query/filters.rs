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
}
