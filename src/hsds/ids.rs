//! Stable HSDS identifiers. HSDS wants a UUID for every object, the same across restarts and
//! instances. A provider's service, location and service_at_location carry the provider id
//! itself (a version 8 UUID: a fixed Bellmap tag, the kind and the id), so an id leads back to
//! its provider with no table, however many providers there are. Every other object's id is a
//! version 5 UUID from one fixed namespace and a name made of its kind and the provider id (or
//! category slug, or attribute name): those are never looked up.

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
    /// The kind's nibble in its ids.
    fn code(self) -> u8 {
        match self {
            Kind::Service => 1,
            Kind::Location => 2,
            Kind::ServiceAtLocation => 3,
        }
    }
}

/// The first six bytes of every per-provider id (from Bellmap's namespace).
const TAG: [u8; 6] = [0x6a, 0x1f, 0x4d, 0x2e, 0x8c, 0x1b];
/// Provider ids are positive and below this (62 bits): the rest of the 64 carry the variant.
const MAX_PROVIDER_ID: i64 = 1 << 62;

/// The id of the provider's object of `kind`: the tag, version 8 with the kind, a zero byte,
/// then the RFC 9562 variant bits and the provider id in the low 62 bits.
pub fn of(kind: Kind, id: ProviderId) -> Uuid {
    debug_assert!((0..MAX_PROVIDER_ID).contains(&id.0), "provider ids are database serials");
    let mut b = [0u8; 16];
    b[..6].copy_from_slice(&TAG);
    b[6] = 0x80 | kind.code();
    b[8..].copy_from_slice(&(id.0 as u64).to_be_bytes());
    b[8] = 0x80 | (b[8] & 0x3f);
    Uuid::from_bytes(b)
}

/// The provider whose object of `kind` has this id, if it is one.
pub fn provider_of(kind: Kind, id: Uuid) -> Option<ProviderId> {
    let b = id.as_bytes();
    if b[..6] != TAG || b[6] != 0x80 | kind.code() || b[7] != 0 || b[8] & 0xc0 != 0x80 {
        return None;
    }
    let mut n = [0u8; 8];
    n.copy_from_slice(&b[8..]);
    n[0] &= 0x3f;
    Some(ProviderId(i64::from_be_bytes(n)))
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
    fn ids_are_stable_distinct_uuids() {
        let a = service(ProviderId(7));
        assert_eq!(a, service(ProviderId(7)));
        assert_eq!(a.get_version_num(), 8);
        assert_eq!(a.get_variant(), uuid::Variant::RFC4122);
        assert_eq!(part(ProviderId(7), "phone:main").get_version_num(), 5);
        assert_ne!(a, service(ProviderId(8)));
        assert_ne!(a, location(ProviderId(7)));
        assert_ne!(location(ProviderId(7)), service_at_location(ProviderId(7)));
        // One organization per name, whatever its case and spacing.
        let o = organization(Some("Sample  Org"), ProviderId(1));
        assert_eq!(o, organization(Some("sample org"), ProviderId(2)));
        assert_ne!(organization(None, ProviderId(1)), organization(None, ProviderId(2)));
        assert_ne!(category_term(Category::Shelter, "en"), category_term(Category::Shelter, "hi"));
    }

    /// A per-provider id leads back to its provider, for any provider id the database can
    /// give, and only for its own kind; other UUIDs lead nowhere.
    #[test]
    fn per_provider_ids_lead_back_to_their_provider() {
        for id in [1, 2, 255, 256, 969_857, i64::from(u32::MAX) + 1, MAX_PROVIDER_ID - 1] {
            for kind in [Kind::Service, Kind::Location, Kind::ServiceAtLocation] {
                let uuid = of(kind, ProviderId(id));
                assert_eq!(provider_of(kind, uuid), Some(ProviderId(id)), "{kind:?} {id}");
                for other in [Kind::Service, Kind::Location, Kind::ServiceAtLocation] {
                    if other != kind {
                        assert_eq!(provider_of(other, uuid), None);
                    }
                }
            }
        }
        assert_eq!(provider_of(Kind::Service, Uuid::nil()), None);
        assert_eq!(provider_of(Kind::Service, part(ProviderId(1), "phone:main")), None);
        assert_eq!(provider_of(Kind::Service, organization(None, ProviderId(1))), None);
    }
}
