//! A provider as HSDS objects. Every object is built from the provider's **public** view
//! (`ProviderDto::view` with no role), so the one place that redacts confidential providers
//! decides here too: a confidential provider comes out at its public point, with no address,
//! locality, postal code or intake phone, and a location that says it is approximate. The
//! intake phone is never published through HSDS, whoever the provider is.

use super::dto::*;
use crate::hours::UnixTime;
use crate::hsds::FIELD_TERMS;
use crate::hsds::ids::{self, Taxonomy};
use crate::hsds::schedule::{self, DAYS};
use crate::http::dto::{CONFIDENTIAL_NOTE, Fields, ProviderDto};
use crate::index::Snapshot;
use crate::model::{Category, ProviderId, Wheelchair};

/// How much of a service to write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Depth {
    /// One-to-one members and the organization (`compiled/service_list.json`).
    List,
    /// Everything, with its service_at_locations (`compiled/service.json`).
    Full,
    /// Everything but service_at_locations (a service inside a service_at_location).
    InLocation,
}

use crate::hsds::ORGANIZATION_DESCRIPTION;

/// What a confidential provider's location says.
pub fn approximate_note() -> String {
    format!("{} {CONFIDENTIAL_NOTE}", crate::hsds::APPROXIMATE)
}

pub const CATEGORY_LANGUAGES: [&str; 2] = ["en", "hi"];

/// The term of a category in one language.
pub fn category_term(c: Category, lang: &'static str) -> HsdsTaxonomyTerm {
    let (name, taxonomy, description) = if lang == "hi" {
        (
            c.label_hi(),
            Taxonomy::CategoriesHi,
            format!("{} ({}; Bellmap: {})", c.label_hi(), c.label_en(), c.slug()),
        )
    } else {
        (c.label_en(), Taxonomy::CategoriesEn, format!("{} (Bellmap category {})", c.label_en(), c.slug()))
    };
    HsdsTaxonomyTerm {
        id: ids::category_term(c, lang).to_string(),
        code: c.slug(),
        name,
        description,
        language: lang,
        taxonomy_id: taxonomy.id().to_string(),
    }
}

/// The term of one of Bellmap's own fields.
pub fn field_term(code: &str) -> Option<HsdsTaxonomyTerm> {
    FIELD_TERMS.iter().find(|(c, _, _)| *c == code).map(|&(code, name, description)| HsdsTaxonomyTerm {
        id: ids::attribute_term(code).to_string(),
        code,
        name,
        description: description.to_string(),
        language: "en",
        taxonomy_id: Taxonomy::Attributes.id().to_string(),
    })
}

/// Every taxonomy term, categories first (English, then Hindi), then the field terms.
pub fn all_terms() -> Vec<HsdsTaxonomyTerm> {
    let mut out: Vec<HsdsTaxonomyTerm> = CATEGORY_LANGUAGES
        .iter()
        .flat_map(|lang| Category::ALL.into_iter().map(move |c| category_term(c, lang)))
        .collect();
    out.extend(FIELD_TERMS.iter().filter_map(|(code, _, _)| field_term(code)));
    out
}

pub fn taxonomy(t: Taxonomy) -> HsdsTaxonomy {
    let (name, description) = crate::hsds::taxonomy_text(t);
    HsdsTaxonomy { id: t.id().to_string(), name, description, version: "1" }
}

/// The HSDS views of the providers of one snapshot, with opening hours offsets taken at `at`.
pub struct Mapper<'s> {
    pub snap: &'s Snapshot,
    pub at: UnixTime,
}

impl<'s> Mapper<'s> {
    fn public(&self, slot: u32) -> ProviderDto<'s> {
        ProviderDto::view(self.snap, slot, None, None, self.at, Fields::ALL)
    }

    /// The organization of the provider in `slot` (without services).
    pub fn organization(&self, slot: u32) -> HsdsOrganization {
        let p = self.public(slot);
        organization_of(&p)
    }

    pub fn service(&self, slot: u32, depth: Depth) -> HsdsService {
        let p = self.public(slot);
        let id = ProviderId(p.id);
        let service_id = ids::service(id).to_string();
        let full = depth != Depth::List;
        HsdsService {
            id: service_id.clone(),
            organization_id: ids::organization(p.organization, id).to_string(),
            name: p.name.to_string(),
            description: p.description.map(str::to_string),
            url: p.website.map(str::to_string),
            email: p.email.map(str::to_string),
            status: "active",
            fees_description: p.cost.map(str::to_string),
            eligibility_description: p.eligibility.map(str::to_string),
            assured_date: p.verified_on.clone(),
            last_modified: p.updated_at.clone(),
            phones: full.then(|| phones(&p, &service_id)),
            schedules: full.then(|| self.schedules(slot, &p, &service_id)),
            service_at_locations: (depth == Depth::Full).then(|| vec![self.service_at_location_of(&p, true)]),
            languages: full.then(|| {
                p.languages
                    .iter()
                    .map(|code| HsdsLanguage {
                        id: ids::part(id, &format!("language:{code}")).to_string(),
                        service_id: service_id.clone(),
                        code: code.to_string(),
                    })
                    .collect()
            }),
            organization: Some(organization_of(&p)),
            attributes: full.then(|| service_attributes(&p, &service_id)),
        }
    }

    /// The service_at_location of the provider in `slot`: `full` nests the whole location and
    /// service, else their one-to-one members.
    pub fn service_at_location(&self, slot: u32, full: bool) -> HsdsServiceAtLocation {
        let p = self.public(slot);
        let mut sal = self.service_at_location_of(&p, full);
        let depth = if full { Depth::InLocation } else { Depth::List };
        sal.service = Some(Box::new(self.service(slot, depth)));
        sal
    }

    fn service_at_location_of(&self, p: &ProviderDto<'_>, full_location: bool) -> HsdsServiceAtLocation {
        let id = ProviderId(p.id);
        HsdsServiceAtLocation {
            id: ids::service_at_location(id).to_string(),
            service_id: ids::service(id).to_string(),
            location_id: ids::location(id).to_string(),
            location: Some(location(p, full_location)),
            service: None,
        }
    }

    fn schedules(&self, slot: u32, p: &ProviderDto<'_>, service_id: &str) -> Vec<HsdsSchedule> {
        let id = ProviderId(p.id);
        let Some(hours) = p.hours.or(p.open_24_7.then_some("24/7")) else {
            return Vec::new();
        };
        let t = schedule::translate(hours, p.open_24_7);
        let offset = self.snap.hours.utc_offset_s(slot, self.at);
        let suffix = offset.map(offset_suffix).unwrap_or_default();
        let timezone = offset.map(|s| f64::from(s) / 3600.0);
        let original = (!t.complete).then(|| hours.to_string());
        if t.rows.is_empty() {
            return vec![HsdsSchedule {
                id: ids::part(id, "schedule:0").to_string(),
                service_id: service_id.to_string(),
                freq: None,
                wkst: None,
                byday: None,
                opens_at: None,
                closes_at: None,
                timezone: None,
                description: original,
            }];
        }
        t.rows
            .iter()
            .enumerate()
            .map(|(i, row)| HsdsSchedule {
                id: ids::part(id, &format!("schedule:{i}")).to_string(),
                service_id: service_id.to_string(),
                freq: Some("WEEKLY"),
                wkst: Some("MO"),
                byday: Some(row.days.iter().map(|d| DAYS[*d]).collect::<Vec<_>>().join(",")),
                opens_at: Some(format!("{}{suffix}", schedule::clock(row.opens))),
                closes_at: Some(format!("{}{suffix}", schedule::clock(row.closes))),
                timezone,
                description: original.clone(),
            })
            .collect()
    }
}

/// `+05:30`, `Z` or `-04:00` for an offset in seconds.
fn offset_suffix(s: i32) -> String {
    if s == 0 {
        return "Z".into();
    }
    let sign = if s < 0 { '-' } else { '+' };
    let m = s.unsigned_abs() / 60;
    format!("{sign}{:02}:{:02}", m / 60, m % 60)
}

fn organization_of(p: &ProviderDto<'_>) -> HsdsOrganization {
    let id = ProviderId(p.id);
    HsdsOrganization {
        id: ids::organization(p.organization, id).to_string(),
        name: p.organization.unwrap_or(p.name).to_string(),
        description: ORGANIZATION_DESCRIPTION.to_string(),
        services: None,
    }
}

fn phones(p: &ProviderDto<'_>, service_id: &str) -> Vec<HsdsPhone> {
    let id = ProviderId(p.id);
    [
        (p.phone, "phone", "voice", "Main number"),
        (p.hotline, "hotline", "voice", "Hotline"),
        (p.sms, "sms", "text", "SMS"),
    ]
    .into_iter()
    .filter_map(|(phone, part, kind, description)| {
        phone.map(|ph| HsdsPhone {
            id: ids::part(id, &format!("phone:{part}")).to_string(),
            service_id: service_id.to_string(),
            number: ph.display.to_string(),
            kind,
            description,
        })
    })
    .collect()
}

fn attribute(
    id: ProviderId,
    link_id: &str,
    link_entity: &'static str,
    link_type: &'static str,
    term: HsdsTaxonomyTerm,
    value: Option<String>,
) -> HsdsAttribute {
    HsdsAttribute {
        id: ids::part(id, &format!("attribute:{link_entity}:{}:{}", term.code, term.language)).to_string(),
        link_id: link_id.to_string(),
        taxonomy_term_id: term.id.clone(),
        link_type,
        link_entity,
        value,
        taxonomy_term: term,
    }
}

fn service_attributes(p: &ProviderDto<'_>, service_id: &str) -> Vec<HsdsAttribute> {
    let id = ProviderId(p.id);
    let mut out: Vec<HsdsAttribute> = CATEGORY_LANGUAGES
        .iter()
        .flat_map(|lang| {
            p.categories.iter().map(move |c| {
                attribute(
                    id,
                    service_id,
                    "service",
                    "category",
                    category_term(*c, lang),
                    Some(c.slug().into()),
                )
            })
        })
        .collect();
    let fields: [(&str, Option<String>); 4] = [
        ("open_24_7", Some(p.open_24_7.to_string())),
        ("wheelchair", Some(p.wheelchair.as_str().to_string())),
        ("verified_on", p.verified_on.clone()),
        ("confidential", Some(p.confidential.to_string())),
    ];
    for (code, value) in fields {
        if let (Some(term), Some(value)) = (field_term(code), value) {
            out.push(attribute(id, service_id, "service", "bellmap_field", term, Some(value)));
        }
    }
    out
}

/// The provider's place: full with its address (never a confidential one's), accessibility
/// and location_precision; else its one-to-one members.
fn location(p: &ProviderDto<'_>, full: bool) -> HsdsLocation {
    let id = ProviderId(p.id);
    let location_id = ids::location(id).to_string();
    let address = p.address.filter(|_| !p.confidential).map(|line| HsdsAddress {
        id: ids::part(id, "address").to_string(),
        location_id: location_id.clone(),
        address_1: line.to_string(),
        city: p.locality.unwrap_or_default().to_string(),
        region: p.district.map(str::to_string),
        state_province: p.state.unwrap_or_default().to_string(),
        postal_code: p.postal_code.unwrap_or_default().to_string(),
        country: p.country.to_string(),
        address_type: "physical",
    });
    let accessibility = match p.wheelchair {
        Wheelchair::Unknown => Vec::new(),
        w => vec![HsdsAccessibility {
            id: ids::part(id, "accessibility:wheelchair").to_string(),
            location_id: location_id.clone(),
            description: format!("Wheelchair access: {}", w.as_str()),
        }],
    };
    let precision = field_term("location_precision").map(|term| {
        attribute(id, &location_id, "location", "bellmap_field", term, Some(p.location_precision.to_string()))
    });
    HsdsLocation {
        id: location_id.clone(),
        location_type: "physical",
        organization_id: ids::organization(p.organization, id).to_string(),
        name: p.name.to_string(),
        description: p.confidential.then(approximate_note),
        latitude: p.lat,
        longitude: p.lon,
        addresses: full.then(|| address.into_iter().collect()),
        accessibility: full.then_some(accessibility),
        attributes: full.then(|| precision.into_iter().collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_written_as_iso_8601_suffixes() {
        assert_eq!(offset_suffix(19_800), "+05:30");
        assert_eq!(offset_suffix(0), "Z");
        assert_eq!(offset_suffix(-14_400), "-04:00");
        assert_eq!(offset_suffix(20_700), "+05:45");
    }

    #[test]
    fn every_term_has_a_distinct_id_and_every_field_a_term() {
        let terms = all_terms();
        let mut ids: Vec<&str> = terms.iter().map(|t| t.id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), Category::ALL.len() * 2 + FIELD_TERMS.len());
        assert!(field_term("nope").is_none());
    }
}
