//! Fictional phone numbers: the schemes that cannot ring a real person, and the book that hands
//! them out.

use crate::model::calling_code;
use std::collections::BTreeMap;

/// US and Canadian area codes for the fictional 555-01XX lines (any area code works for those).
const AREA_CODES_US: [&str; 12] =
    ["212", "213", "305", "312", "404", "415", "512", "602", "617", "713", "206", "303"];
const AREA_CODES_CA: [&str; 9] = ["416", "604", "514", "403", "613", "780", "204", "306", "902"];
/// True when `number` follows one of the fictional schemes the sample uses for `country`:
///
/// - US, CA: `+1 NXX-555-01XX` (555-0100 to 555-0199 are reserved for fiction in every area code);
/// - GB: `+44 7700 900XXX` (Ofcom's drama range);
/// - AU: `+61 A 5550 XXXX` or `+61 A 7010 XXXX`, A in 2, 3, 7, 8 (ACMA's fictitious geographic ranges);
/// - every other country: the country's calling code followed by `0`, which E.164 never allows
///   (a national significant number does not start with the trunk digit), e.g. `+91 0000 01 2345`.
pub fn is_fictional_phone(country: &str, number: &str) -> bool {
    let Some(code) = calling_code(country) else {
        return false;
    };
    let Some(rest) = number.strip_prefix('+').and_then(|r| r.strip_prefix(code)) else {
        return false;
    };
    let Some(rest) = rest.strip_prefix(' ') else {
        return false;
    };
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    match country {
        "US" | "CA" => {
            let parts: Vec<&str> = rest.split('-').collect();
            parts.len() == 3
                && digits(parts[0], 3)
                && (b'2'..=b'9').contains(&parts[0].as_bytes()[0])
                && parts[1] == "555"
                && digits(parts[2], 4)
                && parts[2].starts_with("01")
        }
        "GB" => rest.strip_prefix("7700 900").is_some_and(|d| digits(d, 3)),
        "AU" => {
            let parts: Vec<&str> = rest.split(' ').collect();
            parts.len() == 3
                && ["2", "3", "7", "8"].contains(&parts[0])
                && ["5550", "7010"].contains(&parts[1])
                && digits(parts[2], 4)
        }
        _ => {
            let total = code.len() + rest.bytes().filter(u8::is_ascii_digit).count();
            rest.starts_with('0')
                && rest.bytes().all(|b| b.is_ascii_digit() || b == b' ')
                && !rest.ends_with(' ')
                && total <= 15
        }
    }
}

/// Hands out fictional numbers, one sequence per country (and AU area), so numbers rarely repeat.
#[derive(Default)]
pub(super) struct PhoneBook {
    next: BTreeMap<String, u64>,
}

impl PhoneBook {
    pub(super) fn number(&mut self, country: &str, state: &str) -> String {
        let Some(code) = calling_code(country) else {
            return String::new();
        };
        let au_area = match state {
            "New South Wales" | "Australian Capital Territory" => "2",
            "Victoria" | "Tasmania" => "3",
            "Queensland" => "7",
            _ => "8",
        };
        let key = if country == "AU" { format!("AU{au_area}") } else { country.to_string() };
        let counter = self.next.entry(key).or_insert(0);
        let k = *counter;
        *counter += 1;
        match country {
            "US" | "CA" => {
                let areas: &[&str] = if country == "US" { &AREA_CODES_US } else { &AREA_CODES_CA };
                let n = areas.len() as u64;
                let area = areas[(k % n) as usize];
                format!("+1 {area}-555-01{:02}", (k / n) % 100)
            }
            "GB" => format!("+44 7700 900{:03}", k % 1000),
            "AU" => {
                let block = if k.is_multiple_of(2) { "5550" } else { "7010" };
                format!("+61 {au_area} {block} {:04}", (k / 2) % 10_000)
            }
            _ => {
                let k = k + 1;
                format!("+{code} 0000 {:02} {:04}", (k / 10_000) % 100, k % 10_000)
            }
        }
    }
}
