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

/// How an import places a row that has no coordinates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Geocode {
    /// At its PIN code's centroid, else its district's headquarters, from the bundled gazetteer
    /// (`places::gazetteer`); nothing leaves the machine.
    Gazetteer,
}

impl Geocode {
    pub fn as_str(self) -> &'static str {
        match self {
            Geocode::Gazetteer => "gazetteer",
        }
    }

    /// Parses the query parameter `geocode` and the CLI's `--geocode`.
    pub fn parse(raw: &str) -> Result<Geocode, String> {
        match raw.trim() {
            "gazetteer" => Ok(Geocode::Gazetteer),
            other => Err(format!("'{other}' is not a geocoder; use gazetteer")),
        }
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
        assert_eq!(Geocode::parse(Geocode::Gazetteer.as_str()), Ok(Geocode::Gazetteer));
        assert!(Geocode::parse("google").unwrap_err().contains("use gazetteer"));
    }
}
