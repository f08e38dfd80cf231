//! Stable HSDS identifiers. HSDS wants a UUID for every object; Bellmap derives each one as a
//! version 5 UUID from one fixed namespace and a name made of the object's kind and the
//! provider id (or category slug, or attribute name), so an id never changes across restarts or
//! instances and every instance answers the same id for the same provider. Going back from an
//! id to a provider is a lookup in a table the HTTP layer builds once per snapshot.

use crate::model::{Category, ProviderId};
use uuid::Uuid;

/// Bellmap's HSDS namespace (itself a v5 UUID of "bellmap.hsds" in the URL namespace; fixed
/// here so that a change of that derivation can never move every id).
const NAMESPACE: Uuid = Uuid::from_u128(0x6a1f_4d2e_8c1b_5e7a_9f3d_2b6c_0e4a_7d19);

fn derive(name: &str) -> Uuid {
    Uuid::new_v5(&NAMESPACE, name.as_bytes())
}

/// The kinds of object that are one per provider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Service,
    Location,
    ServiceAtLocation,
}

impl Kind {
    fn prefix(self) -> &'static str {
        match self {
            Kind::Service => "service",
            Kind::Location => "location",
            Kind::ServiceAtLocation => "service_at_location",
        }
    }
}

/// The id of the provider's object of `kind`.
pub fn of(kind: Kind, id: ProviderId) -> Uuid {
    derive(&format!("{}:{}", kind.prefix(), id.0))
}

pub fn service(id: ProviderId) -> Uuid {
    of(Kind::Service, id)
}

pub fn location(id: ProviderId) -> Uuid {
    of(Kind::Location, id)
}

pub fn service_at_location(id: ProviderId) -> Uuid {
    of(Kind::ServiceAtLocation, id)
}

/// A member of a provider's object: `part` names it within the provider ("phone:hotline",
/// "schedule:0", "language:hi", "attribute:category:shelter:en").
pub fn part(id: ProviderId, part: &str) -> Uuid {
    derive(&format!("provider:{}:{part}", id.0))
}

/// The organization a provider belongs to: one per organization name (compared without case
/// and runs of spaces), or one of the provider's own when it names none.
pub fn organization(org_name: Option<&str>, id: ProviderId) -> Uuid {
    match org_name.map(normalise).filter(|n| !n.is_empty()) {
        Some(name) => derive(&format!("organization:{name}")),
        None => derive(&format!("organization:provider:{}", id.0)),
    }
}

/// Lower case with single spaces: how two organization names are found to be the same.
pub fn normalise(name: &str) -> String {
    name.split_whitespace().map(str::to_lowercase).collect::<Vec<_>>().join(" ")
}

/// The taxonomies Bellmap publishes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taxonomy {
    /// The service categories, English labels.
    CategoriesEn,
    /// The same categories, Hindi labels.
    CategoriesHi,
    /// Bellmap's own fields that HSDS has no member for.
    Attributes,
}

impl Taxonomy {
    pub const ALL: [Taxonomy; 3] = [Taxonomy::CategoriesEn, Taxonomy::CategoriesHi, Taxonomy::Attributes];

    pub fn id(self) -> Uuid {
        derive(match self {
            Taxonomy::CategoriesEn => "taxonomy:categories:en",
            Taxonomy::CategoriesHi => "taxonomy:categories:hi",
            Taxonomy::Attributes => "taxonomy:attributes",
        })
    }
}

/// The term of `category` in the taxonomy of language `lang` ("en" or "hi").
pub fn category_term(category: Category, lang: &str) -> Uuid {
    derive(&format!("taxonomy_term:category:{}:{lang}", category.slug()))
}

/// The term of one of Bellmap's own fields (`open_24_7`, `wheelchair`, ...).
pub fn attribute_term(name: &str) -> Uuid {
    derive(&format!("taxonomy_term:attribute:{name}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_stable_distinct_version_5_uuids() {
        let a = service(ProviderId(7));
        assert_eq!(a, service(ProviderId(7)));
        assert_eq!(a.get_version_num(), 5);
        assert_ne!(a, service(ProviderId(8)));
        assert_ne!(a, location(ProviderId(7)));
        assert_ne!(location(ProviderId(7)), service_at_location(ProviderId(7)));
        // One organization per name, whatever its case and spacing.
        let o = organization(Some("Sample  Org"), ProviderId(1));
        assert_eq!(o, organization(Some("sample org"), ProviderId(2)));
        assert_ne!(organization(None, ProviderId(1)), organization(None, ProviderId(2)));
        assert_ne!(category_term(Category::Shelter, "en"), category_term(Category::Shelter, "hi"));
    }
}
