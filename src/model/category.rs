//! The fixed taxonomy of provider categories (DESIGN §3).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// A provider category. The slug is the stable wire and CSV form.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Shelter,
    Helpline,
    OneStopCentre,
    LegalAid,
    Counselling,
    Medical,
    Police,
    ProtectionOfficer,
    ChildProtection,
    Livelihood,
    Other,
}

impl Category {
    pub const ALL: [Category; 11] = [
        Category::Shelter,
        Category::Helpline,
        Category::OneStopCentre,
        Category::LegalAid,
        Category::Counselling,
        Category::Medical,
        Category::Police,
        Category::ProtectionOfficer,
        Category::ChildProtection,
        Category::Livelihood,
        Category::Other,
    ];

    pub fn slug(self) -> &'static str {
        match self {
            Category::Shelter => "shelter",
            Category::Helpline => "helpline",
            Category::OneStopCentre => "one_stop_centre",
            Category::LegalAid => "legal_aid",
            Category::Counselling => "counselling",
            Category::Medical => "medical",
            Category::Police => "police",
            Category::ProtectionOfficer => "protection_officer",
            Category::ChildProtection => "child_protection",
            Category::Livelihood => "livelihood",
            Category::Other => "other",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Category::Shelter => "Shelter",
            Category::Helpline => "Helpline",
            Category::OneStopCentre => "One Stop Centre",
            Category::LegalAid => "Legal aid",
            Category::Counselling => "Counselling",
            Category::Medical => "Medical care",
            Category::Police => "Police / women's desk",
            Category::ProtectionOfficer => "Protection officer",
            Category::ChildProtection => "Child protection",
            Category::Livelihood => "Livelihood support",
            Category::Other => "Other support",
        }
    }

    pub fn label_hi(self) -> &'static str {
        match self {
            Category::Shelter => "आश्रय गृह",
            Category::Helpline => "हेल्पलाइन",
            Category::OneStopCentre => "वन स्टॉप सेंटर",
            Category::LegalAid => "कानूनी सहायता",
            Category::Counselling => "परामर्श",
            Category::Medical => "चिकित्सा सहायता",
            Category::Police => "पुलिस / महिला डेस्क",
            Category::ProtectionOfficer => "संरक्षण अधिकारी",
            Category::ChildProtection => "बाल संरक्षण",
            Category::Livelihood => "आजीविका सहायता",
            Category::Other => "अन्य सहायता",
        }
    }

    /// The allowed slugs, comma-separated, for error messages.
    pub fn allowed_list() -> String {
        Self::ALL.map(Category::slug).join(", ")
    }
}

impl fmt::Display for Category {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.slug())
    }
}

/// The error for a slug outside the taxonomy; its message lists the allowed ones.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown category '{0}'; allowed: {list}", list = Category::allowed_list())]
pub struct UnknownCategory(pub String);

impl FromStr for Category {
    type Err = UnknownCategory;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase().replace([' ', '-'], "_");
        Self::ALL
            .into_iter()
            .find(|c| c.slug() == wanted || (wanted == "one_stop_center" && *c == Category::OneStopCentre))
            .ok_or_else(|| UnknownCategory(s.trim().to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_round_trip() {
        for c in Category::ALL {
            assert_eq!(c.slug().parse::<Category>().unwrap(), c);
        }
    }

    #[test]
    fn accepts_case_and_spacing_variants() {
        assert_eq!("One Stop Centre".parse::<Category>().unwrap(), Category::OneStopCentre);
        assert_eq!("LEGAL-AID".parse::<Category>().unwrap(), Category::LegalAid);
    }

    #[test]
    fn unknown_lists_allowed() {
        let err = "spa".parse::<Category>().unwrap_err().to_string();
        assert!(err.contains("'spa'") && err.contains("one_stop_centre") && err.contains("livelihood"));
    }
}
