//! How an import treats the directory and invalid rows.

use serde::{Deserialize, Serialize};

/// Upsert keeps providers missing from the file; replace deactivates them (never deletes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ImportMode {
    Upsert,
    Replace,
}

impl ImportMode {
    pub fn as_str(self) -> &'static str {
        match self {
            ImportMode::Upsert => "upsert",
            ImportMode::Replace => "replace",
        }
    }

    pub fn parse(s: &str) -> Option<ImportMode> {
        [ImportMode::Upsert, ImportMode::Replace].into_iter().find(|m| m.as_str() == s)
    }
}

/// What to do with invalid rows: write nothing, or write the valid rows and report the rest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnError {
    Abort,
    Skip,
}

impl OnError {
    pub fn as_str(self) -> &'static str {
        match self {
            OnError::Abort => "abort",
            OnError::Skip => "skip",
        }
    }

    pub fn parse(s: &str) -> Option<OnError> {
        [OnError::Abort, OnError::Skip].into_iter().find(|m| m.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policies_parse_back_from_their_names() {
        for m in [ImportMode::Upsert, ImportMode::Replace] {
            assert_eq!(ImportMode::parse(m.as_str()), Some(m));
        }
        for o in [OnError::Abort, OnError::Skip] {
            assert_eq!(OnError::parse(o.as_str()), Some(o));
        }
        assert_eq!(ImportMode::parse("revert"), None);
    }
}
