//! OpenStreetMap `opening_hours` → HSDS schedules (RFC 5545 weekly rules).
//!
//! The common forms are translated exactly: `24/7`, and `;`-separated rules of weekdays
//! (`Mo`, `Mo-Fr`, `Mo,We,Fr`, `Su-Tu`) followed by times (`09:00-17:00`, several with commas)
//! or `off`. A later rule replaces what an earlier one said for its days, as in OSM. The
//! result is one schedule row per distinct opening interval, with the days that share it.
//! Anything else (public holidays, months, weeks, comments, `open`/`closed` words) cannot be
//! said in these rows: a rule `PH off` is dropped with the rows kept (the rows are then not the
//! whole story), and any other unread rule leaves only the original text.

/// RFC 5545 weekday codes, Monday first (the order of OSM's `Mo`..`Su`).
pub const DAYS: [&str; 7] = ["MO", "TU", "WE", "TH", "FR", "SA", "SU"];
const OSM_DAYS: [&str; 7] = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"];

/// Minutes since midnight (0..=1440).
pub type Minute = u16;

/// One HSDS schedule row: open from `opens` to `closes` on each of `days` (indexes into
/// [`DAYS`], ascending). `closes` before `opens` runs past midnight.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub days: Vec<usize>,
    pub opens: Minute,
    pub closes: Minute,
}

/// What the hours say as rows, and whether the rows say all of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Translation {
    pub rows: Vec<Row>,
    /// False when part of the hours could not be expressed (the original text must be kept).
    pub complete: bool,
}

/// Translates `hours`; `open_24_7` (the record's flag) counts as `24/7`.
pub fn translate(hours: &str, open_24_7: bool) -> Translation {
    let hours = hours.trim();
    if open_24_7 || hours == "24/7" {
        return Translation {
            rows: vec![Row { days: (0..7).collect(), opens: 0, closes: 1440 }],
            complete: true,
        };
    }
    let mut week: [Intervals; 7] = Default::default();
    let mut complete = true;
    for rule in hours.split(';').map(str::trim).filter(|r| !r.is_empty()) {
        if rule == "PH off" {
            complete = false;
            continue;
        }
        match parse_rule(rule) {
            Some((days, intervals)) => {
                for d in days {
                    week[d] = intervals.clone();
                }
            }
            None => return Translation { rows: Vec::new(), complete: false },
        }
    }
    // One row per distinct interval, in the order intervals first appear in the week.
    let mut rows: Vec<Row> = Vec::new();
    for (day, intervals) in week.iter().enumerate() {
        for &(opens, closes) in intervals {
            match rows.iter_mut().find(|r| r.opens == opens && r.closes == closes) {
                Some(r) => r.days.push(day),
                None => rows.push(Row { days: vec![day], opens, closes }),
            }
        }
    }
    Translation { rows, complete }
}

/// Opening intervals of one day: (opens, closes).
type Intervals = Vec<(Minute, Minute)>;

/// `Mo-Fr 09:00-13:00,14:00-17:30` or `Su off`: the days and their intervals (none when off).
fn parse_rule(rule: &str) -> Option<(Vec<usize>, Intervals)> {
    let (days, times) = rule.split_once(' ')?;
    let days = parse_days(days)?;
    let times = times.trim();
    if times == "off" || times == "closed" {
        return Some((days, Vec::new()));
    }
    let intervals = times.split(',').map(|t| parse_interval(t.trim())).collect::<Option<Vec<_>>>()?;
    Some((days, intervals))
}

/// `Mo`, `Mo-Fr`, `Mo,We,Fr`, `Mo-We,Fr`, `Sa-Mo` (wrapping).
fn parse_days(raw: &str) -> Option<Vec<usize>> {
    let day = |s: &str| OSM_DAYS.iter().position(|d| *d == s);
    let mut out = Vec::new();
    for part in raw.split(',') {
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (day(a)?, day(b)?);
                let mut d = a;
                loop {
                    out.push(d);
                    if d == b {
                        break;
                    }
                    d = (d + 1) % 7;
                }
            }
            None => out.push(day(part)?),
        }
    }
    out.sort_unstable();
    out.dedup();
    Some(out)
}

/// `09:00-17:00` (end `24:00` allowed; an end before the start runs past midnight).
fn parse_interval(raw: &str) -> Option<(Minute, Minute)> {
    let (a, b) = raw.split_once('-')?;
    let (a, b) = (parse_time(a)?, parse_time(b)?);
    (a < 1440 && a != b).then_some((a, b))
}

fn parse_time(raw: &str) -> Option<Minute> {
    let (h, m) = raw.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    (h <= 24 && m < 60 && (h < 24 || m == 0)).then_some(h * 60 + m)
}

/// `HH:MM` for a minute of the day (1440 is `24:00`).
pub fn clock(m: Minute) -> String {
    format!("{:02}:{:02}", m / 60, m % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(days: &[usize], opens: &str, closes: &str) -> Row {
        Row { days: days.to_vec(), opens: parse_time(opens).unwrap(), closes: parse_time(closes).unwrap() }
    }

    #[test]
    fn common_forms_become_weekly_rows() {
        let all = Translation { rows: vec![row(&[0, 1, 2, 3, 4, 5, 6], "00:00", "24:00")], complete: true };
        assert_eq!(translate("24/7", false), all);
        assert_eq!(translate("Mo-Fr 09:00-17:00", true), all, "the open_24_7 flag wins");
        assert_eq!(
            translate("Mo-Fr 09:00-17:00", false),
            Translation { rows: vec![row(&[0, 1, 2, 3, 4], "09:00", "17:00")], complete: true }
        );
        assert_eq!(
            translate("Mo-Sa 10:00-18:00; Su off", false),
            Translation { rows: vec![row(&[0, 1, 2, 3, 4, 5], "10:00", "18:00")], complete: true }
        );
        assert_eq!(
            translate("Mo-Fr 09:00-13:00,14:00-17:30; Sa 10:00-14:00", false),
            Translation {
                rows: vec![
                    row(&[0, 1, 2, 3, 4], "09:00", "13:00"),
                    row(&[0, 1, 2, 3, 4], "14:00", "17:30"),
                    row(&[5], "10:00", "14:00"),
                ],
                complete: true
            }
        );
        assert_eq!(translate("Mo,We,Fr 10:00-16:00", false).rows, vec![row(&[0, 2, 4], "10:00", "16:00")]);
        assert_eq!(translate("Sa-Mo 08:00-12:00", false).rows, vec![row(&[0, 5, 6], "08:00", "12:00")]);
    }

    #[test]
    fn a_later_rule_replaces_an_earlier_one_for_its_days() {
        assert_eq!(
            translate("Mo-Fr 09:00-17:00; Fr 10:00-12:00; We off", false).rows,
            vec![row(&[0, 1, 3], "09:00", "17:00"), row(&[4], "10:00", "12:00")]
        );
    }

    #[test]
    fn what_rows_cannot_say_is_flagged() {
        let ph = translate("Mo-Fr 09:00-17:00; PH off", false);
        assert_eq!(ph.rows, vec![row(&[0, 1, 2, 3, 4], "09:00", "17:00")]);
        assert!(!ph.complete);
        for odd in
            ["Jan-Mar Mo 09:00-12:00", "Mo-Fr 09:00-17:00 \"by appointment\"", "sunrise-sunset", "Mo 9-5"]
        {
            assert_eq!(translate(odd, false), Translation { rows: vec![], complete: false }, "{odd}");
        }
    }
}
