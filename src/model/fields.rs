//! Parsers for the individual provider fields. Each returns a plain-language message on failure;
//! callers attach the field (and, for CSV, the line) to it.

use super::column::Column;
use serde::Serialize;
use time::Date;
use time::macros::format_description;

/// A phone number as written (for display) plus its E.164 form where one can be derived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Phone {
    /// As the provider writes it, e.g. "0522 230 5550" or "181".
    pub display: String,
    /// "+915222305550"; absent for short codes and numbers without a known country prefix.
    pub e164: Option<String>,
}

/// Checks a trimmed value against its column's [`TextRule`](super::column::TextRule): its length,
/// then its characters. A CSV row and an admin JSON edit are both checked by it before any other
/// parsing.
/// Control characters (NUL, escape, the C1 range, ...) are never allowed: they are invisible,
/// and some break the CSV export or a terminal. Tabs and line breaks (LF, CR, U+2028, U+2029)
/// are allowed only in multi-line columns.
pub fn check_text(column: Column, value: &str) -> Result<(), String> {
    let rule = column.text_rule();
    if value.len() > rule.max_chars {
        let n = value.chars().count();
        if n > rule.max_chars {
            return Err(format!(
                "is {n} characters long; the most allowed for {column} is {}",
                rule.max_chars
            ));
        }
    }
    let line_break = |c: char| matches!(c, '\n' | '\r' | '\u{2028}' | '\u{2029}');
    let Some((at, bad)) = value.chars().enumerate().find(|(_, c)| {
        if rule.multi_line && (*c == '\t' || line_break(*c)) {
            false
        } else {
            c.is_control() || line_break(*c)
        }
    }) else {
        return Ok(());
    };
    let position = at + 1;
    Err(match bad {
        '\t' => format!("contains a tab (character {position}); {column} must be one line of text"),
        c if line_break(c) => {
            format!("contains a line break (character {position}); {column} must be one line of text")
        }
        '\0' => format!(
            "contains a NUL byte (an invisible control character) at character {position}; retype the value"
        ),
        c => format!(
            "contains the invisible control character U+{:04X} at character {position}; retype the value{}",
            c as u32,
            if rule.multi_line { " (tabs and line breaks are fine)" } else { "" }
        ),
    })
}

/// International calling codes for the countries Bellmap has been used with.
pub fn calling_code(country: &str) -> Option<&'static str> {
    Some(match country {
        "IN" => "91",
        "BD" => "880",
        "NP" => "977",
        "LK" => "94",
        "PK" => "92",
        "ZA" => "27",
        "US" | "CA" => "1",
        "GB" => "44",
        "KE" => "254",
        "AU" => "61",
        "PH" => "63",
        "FJ" => "679",
        "NZ" => "64",
        _ => return None,
    })
}

/// Parses a phone cell. `country` (ISO alpha-2) helps derive E.164 from national numbers.
pub fn parse_phone(raw: &str, country: &str) -> Result<Phone, String> {
    let s = raw.trim();
    if looks_like_scientific_notation(s) {
        return Err(format!(
            "'{s}' looks like a phone number a spreadsheet turned into scientific notation, which loses digits; \
             format the column as text and type the number again"
        ));
    }
    let allowed = |c: char| c.is_ascii_digit() || " +-().-/".contains(c);
    if let Some(bad) = s.chars().find(|c| !allowed(*c)) {
        return Err(format!(
            "phone numbers may contain only digits, spaces, '+', '-', '(', ')' and '/', not '{bad}' (put one number per column)"
        ));
    }
    if s.chars().skip(1).any(|c| c == '+') {
        return Err("'+' may only start a phone number".into());
    }
    let digits: String = s.chars().filter(char::is_ascii_digit).collect();
    if !(3..=15).contains(&digits.len()) {
        return Err(format!("a phone number has 3 to 15 digits; this one has {}", digits.len()));
    }
    let e164 = e164_of(s, country).map(|e| e.as_str().to_string());
    Ok(Phone { display: s.to_string(), e164 })
}

/// An E.164 number worked out from a phone as written, held inline (a '+', at most a
/// three-digit calling code and 15 digits): the snapshot works it out again when it writes a
/// phone rather than keeping it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct E164 {
    len: u8,
    bytes: [u8; 19],
}

impl E164 {
    pub fn as_str(&self) -> &str {
        // Only '+' and ASCII digits are ever put in.
        std::str::from_utf8(self.as_bytes()).unwrap_or_default()
    }

    /// The form's bytes: '+' and ASCII digits, which JSON writes as they are.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    fn of(parts: &[&[u8]]) -> Option<E164> {
        let mut e = E164 { len: 0, bytes: [0; 19] };
        for part in parts {
            let at = usize::from(e.len);
            e.bytes.get_mut(at..at + part.len())?.copy_from_slice(part);
            e.len += part.len() as u8;
        }
        Some(e)
    }
}

/// The E.164 form of the phone `display` (as [`parse_phone`] accepted it) in `country`: a number
/// written with '+' and at least 8 digits, or a national number with its trunk '0' and a known
/// calling code; `None` for short codes and anything else.
pub fn e164_of(display: &str, country: &str) -> Option<E164> {
    let mut buf = [0u8; 15];
    let mut n = 0;
    for d in display.bytes().filter(u8::is_ascii_digit) {
        *buf.get_mut(n)? = d;
        n += 1;
    }
    let digits = &buf[..n];
    if display.trim_start().starts_with('+') {
        (digits.len() >= 8).then(|| E164::of(&[b"+", digits])).flatten()
    } else {
        let national = digits.strip_prefix(b"0")?;
        let code = calling_code(country)?;
        (national.len() >= 7 && !national.starts_with(b"0"))
            .then(|| E164::of(&[b"+", code.as_bytes(), national]))
            .flatten()
    }
}

/// "1.80043E+11", "9.1E9": what Excel shows for a long number typed into a General cell.
pub fn looks_like_scientific_notation(s: &str) -> bool {
    let Some((mantissa, exponent)) = s.split_once(['e', 'E']) else {
        return false;
    };
    let exponent = exponent.strip_prefix('+').unwrap_or(exponent);
    !mantissa.is_empty()
        && mantissa.chars().all(|c| c.is_ascii_digit() || c == '.')
        && mantissa.chars().any(|c| c.is_ascii_digit())
        && !exponent.is_empty()
        && exponent.chars().all(|c| c.is_ascii_digit())
}

/// A simple, strict-enough email check: one '@', a dotted domain, no spaces.
pub fn parse_email(raw: &str) -> Result<String, String> {
    let s = raw.trim();
    let ok = match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !s.chars().any(|c| c.is_whitespace() || c == ',' || c == ';')
        }
        None => false,
    };
    if ok && s.len() <= 254 { Ok(s.to_string()) } else { Err(format!("'{s}' is not an email address")) }
}

/// An http or https URL with a host.
pub fn parse_website(raw: &str) -> Result<String, String> {
    let s = raw.trim();
    let rest = s
        .strip_prefix("https://")
        .or_else(|| s.strip_prefix("http://"))
        .ok_or_else(|| format!("'{s}' must be a web address starting with http:// or https://"))?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || !host.contains('.') || s.chars().any(char::is_whitespace) || s.len() > 2000 {
        return Err(format!("'{s}' is not a valid web address"));
    }
    Ok(s.to_string())
}

/// `hi;en;ta`: ISO 639-1 (two letters) or 639-3 (three letters) codes, lowercased, de-duplicated.
pub fn parse_languages(raw: &str) -> Result<Vec<String>, String> {
    let mut out: Vec<String> = Vec::new();
    for part in split_list(raw) {
        let code = part.to_ascii_lowercase();
        if !(2..=3).contains(&code.len()) || !code.chars().all(|c| c.is_ascii_lowercase()) {
            return Err(format!(
                "'{part}' is not a language code; use ISO 639 codes such as hi, en, ta, separated by ';'"
            ));
        }
        if !out.contains(&code) {
            out.push(code);
        }
    }
    Ok(out)
}

/// Splits a `;`-separated list cell (commas are accepted too), dropping empty parts.
pub fn split_list(raw: &str) -> impl Iterator<Item = &str> {
    raw.split([';', ',', '|']).map(str::trim).filter(|p| !p.is_empty())
}

/// OpenStreetMap `opening_hours` syntax, e.g. `Mo-Fr 09:00-17:00` or `24/7`.
pub fn parse_hours(raw: &str) -> Result<String, String> {
    let s = raw.trim();
    valid_hours(s).then(|| s.to_string()).ok_or_else(|| {
        format!("'{s}' is not in OpenStreetMap opening_hours format (examples: '24/7', 'Mo-Fr 09:00-17:00; Sa 10:00-14:00')")
    })
}

/// Whether `s` parses as opening_hours. A directory repeats a few hours strings across many
/// rows, and parsing one costs about as much as the rest of its row, so each thread remembers
/// the answers for the last distinct strings it saw (up to `HOURS_REMEMBERED`).
fn valid_hours(s: &str) -> bool {
    const HOURS_REMEMBERED: usize = 1024;
    thread_local! {
        static SEEN: std::cell::RefCell<std::collections::HashMap<String, bool>> = Default::default();
    }
    SEEN.with_borrow_mut(|seen| {
        if let Some(valid) = seen.get(s) {
            return *valid;
        }
        let valid = opening_hours_syntax::parse(s).is_ok();
        if seen.len() >= HOURS_REMEMBERED {
            seen.clear();
        }
        seen.insert(s.to_string(), valid);
        valid
    })
}

/// true/false/yes/no/1/0/y/n, any case.
pub fn parse_bool(raw: &str) -> Result<bool, String> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" | "yes" | "y" | "1" => Ok(true),
        "false" | "no" | "n" | "0" => Ok(false),
        other => Err(format!("'{other}' is not yes/no (use true, false, yes, no, 1 or 0)")),
    }
}

/// A calendar date `YYYY-MM-DD`.
pub fn parse_date(raw: &str) -> Result<Date, String> {
    Date::parse(raw.trim(), format_description!("[year]-[month]-[day]"))
        .map_err(|_| format!("'{}' is not a date in the form YYYY-MM-DD", raw.trim()))
}

pub fn format_date(d: Date) -> String {
    d.format(format_description!("[year]-[month]-[day]")).expect("dates always format")
}

/// ISO 3166-1 alpha-2 codes (officially assigned), from the ISO 3166 Maintenance Agency list.
const ISO_3166_ALPHA2: &str = "AD AE AF AG AI AL AM AO AQ AR AS AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR \
BS BT BV BW BY BZ CA CC CD CF CG CH CI CK CL CM CN CO CR CU CV CW CX CY CZ DE DJ DK DM DO DZ EC EE EG EH ER ES ET FI FJ FK \
FM FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HM HN HR HT HU ID IE IL IM IN IO IQ IR IS IT JE JM JO \
JP KE KG KH KI KM KN KP KR KW KY KZ LA LB LC LI LK LR LS LT LU LV LY MA MC MD ME MF MG MH MK ML MM MN MO MP MQ MR MS MT MU \
MV MW MX MY MZ NA NC NE NF NG NI NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PW PY QA RE RO RS RU RW SA SB SC \
SD SE SG SH SI SJ SK SL SM SN SO SR SS ST SV SX SY SZ TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ UA UG UM US UY UZ VA \
VC VE VG VI VN VU WF WS YE YT ZA ZM ZW";

/// An ISO 3166-1 alpha-2 country code, upper-cased.
pub fn parse_country(raw: &str) -> Result<String, String> {
    let code = raw.trim().to_ascii_uppercase();
    if code.len() == 2 && ISO_3166_ALPHA2.split(' ').any(|c| c == code) {
        Ok(code)
    } else {
        Err(format!("'{}' is not an ISO 3166-1 two-letter country code (e.g. IN, ZA, US)", raw.trim()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::TextRule;

    #[test]
    fn text_rules_limit_length_and_control_characters() {
        assert!(check_text(Column::Name, &"é".repeat(200)).is_ok(), "200 two-byte characters fit");
        assert!(check_text(Column::Name, &"é".repeat(201)).unwrap_err().contains("201 characters"));
        assert!(check_text(Column::Description, &"x".repeat(4000)).is_ok());
        assert!(check_text(Column::Description, &"x".repeat(4001)).is_err());
        assert!(check_text(Column::ExternalId, &"x".repeat(101)).is_err());
        assert!(check_text(Column::Name, "Sakhi \u{1F6DF} \"One\", =stop").is_ok());
        assert!(check_text(Column::Name, "A\0B").unwrap_err().contains("NUL"));
        for bad in ["A\tB", "A\nB", "A\rB", "A\u{2028}B"] {
            assert!(check_text(Column::Name, bad).is_err(), "{bad:?} in a name");
            assert!(check_text(Column::Description, bad).is_ok(), "{bad:?} in a description");
        }
        for bad in ["\u{1b}[31m", "x\u{7f}", "x\u{85}y", "x\u{1}"] {
            for column in [Column::Name, Column::Description, Column::Phone, Column::Website] {
                let e = check_text(column, bad).unwrap_err();
                assert!(e.contains("control character"), "{column} {bad:?}: {e}");
            }
        }
        assert_eq!(Column::Description.text_rule(), TextRule { max_chars: 4000, multi_line: true });
        assert!(!Column::ExternalId.text_rule().multi_line);
    }

    #[test]
    fn phone_keeps_display_and_derives_e164() {
        let p = parse_phone("0522 230 5550", "IN").unwrap();
        assert_eq!(p.display, "0522 230 5550");
        assert_eq!(p.e164.as_deref(), Some("+915222305550"));
        assert_eq!(parse_phone("+27 21 555 0100", "ZA").unwrap().e164.as_deref(), Some("+27215550100"));
        assert_eq!(parse_phone("181", "IN").unwrap().e164, None);
    }

    #[test]
    fn phone_rejects_spreadsheet_damage_and_garbage() {
        assert!(parse_phone("1.80043E+11", "IN").unwrap_err().contains("scientific notation"));
        assert!(parse_phone("9.1e9", "IN").is_err());
        assert!(parse_phone("call us", "IN").is_err());
        assert!(parse_phone("12", "IN").is_err());
        assert!(parse_phone("91+22", "IN").is_err());
    }

    #[test]
    fn email_and_website() {
        assert!(parse_email("help@ngo.example").is_ok());
        assert!(parse_email("help at ngo").is_err());
        assert!(parse_email("a@b").is_err());
        assert!(parse_website("https://ngo.example.org/x").is_ok());
        assert!(parse_website("ngo.example.org").is_err());
        assert!(parse_website("javascript:alert(1)").is_err());
    }

    #[test]
    fn languages_hours_bools_dates_countries() {
        assert_eq!(parse_languages("hi; EN;hi;tam").unwrap(), vec!["hi", "en", "tam"]);
        assert!(parse_languages("Hindi").is_err());
        assert!(parse_hours("Mo-Fr 09:00-17:00; Sa 10:00-14:00").is_ok());
        assert!(parse_hours("24/7").is_ok());
        assert!(parse_hours("nine to five").is_err());
        assert!(parse_bool("Yes").unwrap());
        assert!(!parse_bool("0").unwrap());
        assert!(parse_bool("maybe").is_err());
        assert!(parse_date("2026-02-30").is_err());
        assert_eq!(format_date(parse_date("2026-02-03").unwrap()), "2026-02-03");
        assert_eq!(parse_country("in").unwrap(), "IN");
        assert!(parse_country("XX").is_err());
        assert!(parse_country("India").is_err());
    }
}
