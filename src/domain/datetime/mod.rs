//! Appointment date-times as clinics write them, turned into one instant.
//! Local times are in the clinic's zone: a time skipped by the spring-forward change does not
//! exist and is refused; a time repeated by the fall-back change is read as the earlier instant.
//!
//! `date` reads dates alone, `time` times alone, `excel` Excel's numbers for both, `order` which
//! way a slash date reads, `split` a date column with a time column; this file puts a date and a
//! time together.

use chrono::{
    DateTime, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc,
};
use chrono_tz::Tz;

mod date;
mod excel;
mod order;
mod split;
mod time;

pub use date::parse_date;
pub use order::{Decision, Evidence, OrderTally, SlashOrder, slash_evidence};
pub use split::{SplitError, parse_split};
pub use time::parse_time;

const EXPECTED: &str =
    "expected e.g. 2026-11-24 09:30, 2026-11-24T09:30:00-05:00 or 11/24/2026 9:30 AM";

/// The instant `raw` names, or a reason a person understands.
pub fn parse_appointment_time(
    raw: &str,
    tz: Tz,
    slash: SlashOrder,
) -> Result<DateTime<Utc>, String> {
    let s = raw.trim();
    if s.is_empty() {
        return Err("is empty".into());
    }
    // The plain form first: it is nearly every row of a big import.
    let naive = match plain_iso_local(s) {
        Some(naive) => naive,
        None => {
            if let Some(instant) = looks_iso(s).then(|| parse_with_offset(s)).flatten() {
                return Ok(instant);
            }
            local(s, slash).map_err(Unread::reason)?
        }
    };
    to_instant(naive, tz)
}

/// The instant a local time in `tz` names: refused in a spring-forward gap, the earlier of two in
/// a fall-back overlap.
fn to_instant(naive: NaiveDateTime, tz: Tz) -> Result<DateTime<Utc>, String> {
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) => Ok(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(earlier, later) => Ok(earlier.min(later).with_timezone(&Utc)),
        LocalResult::None => Err(format!(
            "does not exist in {} (the clocks skip that hour for daylight saving time)",
            tz.name()
        )),
    }
}

/// The common export form `YYYY-MM-DD HH:MM` (or `T`, with or without `:SS`) read by hand: chrono's
/// format-string parser costs more than the rest of the row. Anything else, or any value out of
/// range (hour 24, a leap second, 30 February), returns `None` and takes the general path, which
/// reads these forms to the same local time (no offset, so `parse_with_offset` cannot match).
fn plain_iso_local(s: &str) -> Option<NaiveDateTime> {
    let b = s.as_bytes();
    if !(b.len() == 16 || b.len() == 19 && b[16] == b':') {
        return None;
    }
    if b[4] != b'-' || b[7] != b'-' || !(b[10] == b' ' || b[10] == b'T') || b[13] != b':' {
        return None;
    }
    let num = |r: std::ops::Range<usize>| {
        b[r].iter().try_fold(0u32, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
        })
    };
    let date = NaiveDate::from_ymd_opt(num(0..4)? as i32, num(5..7)?, num(8..10)?)?;
    let sec = if b.len() == 19 { num(17..19)? } else { 0 };
    let time = NaiveTime::from_hms_opt(num(11..13)?, num(14..16)?, sec)?;
    Some(date.and_time(time))
}

/// Starts `YYYY-`: only such a value can be ISO 8601, so the others skip chrono's format parsers.
fn looks_iso(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() > 4 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-'
}

fn parse_with_offset(s: &str) -> Option<DateTime<Utc>> {
    let with_t = s.replacen(' ', "T", 1);
    if let Ok(t) = DateTime::parse_from_rfc3339(&with_t) {
        return Some(t.with_timezone(&Utc));
    }
    // RFC 3339 insists on seconds; clinics often leave them out.
    for fmt in [
        "%Y-%m-%dT%H:%M%:z",
        "%Y-%m-%dT%H:%M%z",
        "%Y-%m-%dT%H:%M:%S%z",
        "%Y-%m-%dT%H:%MZ",
    ] {
        if fmt.ends_with('Z') {
            if let Ok(n) = NaiveDateTime::parse_from_str(&with_t, fmt) {
                return Some(n.and_utc());
            }
        } else if let Ok(t) = DateTime::<FixedOffset>::parse_from_str(&with_t, fmt) {
            return Some(t.with_timezone(&Utc));
        }
    }
    None
}

/// ISO 8601 without an offset, with any fraction of a second (`2026-11-25 08:30:00.0`, OpenMRS).
fn parse_iso_local(s: &str) -> Option<NaiveDateTime> {
    let with_t = s.replacen(' ', "T", 1);
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|fmt| NaiveDateTime::parse_from_str(&with_t, fmt).ok())
}

/// Why a local date-time did not read.
enum Unread<'a> {
    /// It has a date and a time, and this one (`what`) is wrong.
    Part {
        what: &'static str,
        part: &'a str,
        why: String,
    },
    /// No date and time in it could be told apart, or it is a wrong Excel number.
    Whole(String),
}

impl Unread<'_> {
    fn reason(self) -> String {
        match self {
            Unread::Part { what, part, why } => format!("has a {what} part '{part}' that {why}"),
            Unread::Whole(why) => why,
        }
    }
}

/// Any local date-time form: ISO, an Excel number, or any date `parse_date` reads followed by
/// whitespace and any time `parse_time` reads.
fn local(s: &str, order: SlashOrder) -> Result<NaiveDateTime, Unread<'_>> {
    if let Some(naive) = looks_iso(s).then(|| parse_iso_local(s)).flatten() {
        return Ok(naive);
    }
    if let Some(read) = excel::date_time(s) {
        return read.map_err(Unread::Whole);
    }
    // Dates and times both may hold spaces (`Nov 25, 2026`, `9:30 AM`, `9 h 30`), so each
    // whitespace, from the left, is tried as the place where the date ends. No date form can take
    // a time's first word as its last, so one place at most reads; the usual `11/25/2026 9:30 AM`
    // reads at the first.
    let mut time_wrong = None;
    let mut date_wrong = None;
    for (at, _) in s.match_indices(char::is_whitespace) {
        let (date_part, time_part) = (s[..at].trim_end(), s[at..].trim_start());
        match (parse_date(date_part, order), parse_time(time_part)) {
            (Ok(date), Ok(time)) => return Ok(date.and_time(time)),
            (Ok(_), Err(why)) => time_wrong = time_wrong.or(Some((time_part, why))),
            (Err(why), Ok(_)) => date_wrong = date_wrong.or(Some((date_part, why))),
            (Err(_), Err(_)) => {}
        }
    }
    if let Some((part, why)) = time_wrong {
        return Err(Unread::Part {
            what: "time",
            part,
            why,
        });
    }
    if let Some((part, why)) = date_wrong {
        return Err(Unread::Part {
            what: "date",
            part,
            why,
        });
    }
    Err(Unread::Whole(if parse_date(s, order).is_ok() {
        format!("has a date but no time ({EXPECTED})")
    } else if parse_time(s).is_ok() {
        format!("has a time but no date ({EXPECTED})")
    } else {
        format!("is not a date and time we understand ({EXPECTED})")
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::America::Toronto;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn p(s: &str) -> Result<DateTime<Utc>, String> {
        parse_appointment_time(s, Toronto, SlashOrder::MonthFirst)
    }

    #[test]
    fn iso_forms_name_one_instant() {
        let want = utc("2026-11-24T14:30:00Z");
        for s in [
            "2026-11-24 09:30",
            "2026-11-24T09:30",
            "2026-11-24 09:30:00",
            "2026-11-24T09:30:00-05:00",
            "2026-11-24T14:30:00Z",
            "2026-11-24 09:30-05:00",
            "2026-11-24T14:30Z",
            " 2026-11-24T09:30:00.000 ",
        ] {
            assert_eq!(p(s), Ok(want), "{s}");
        }
    }

    #[test]
    fn slash_forms_follow_the_configured_order() {
        let want = utc("2026-11-24T14:30:00Z");
        for s in [
            "11/24/2026 9:30 AM",
            "11/24/2026 09:30",
            "11/24/2026 9:30am",
            "11/24/2026 9:30:00 A.M.",
        ] {
            assert_eq!(p(s), Ok(want), "{s}");
        }
        assert_eq!(p("11/24/2026 2:15 PM"), Ok(utc("2026-11-24T19:15:00Z")));
        assert_eq!(p("11/24/2026 12:00 AM"), Ok(utc("2026-11-24T05:00:00Z")));
        assert_eq!(
            parse_appointment_time("01/02/2026 10:00", Toronto, SlashOrder::DayFirst),
            Ok(utc("2026-02-01T15:00:00Z"))
        );
        assert_eq!(p("01/02/2026 10:00"), Ok(utc("2026-01-02T15:00:00Z")));
        assert!(parse_appointment_time("11/24/2026 9:30", Toronto, SlashOrder::DayFirst).is_err());
    }

    #[test]
    fn dst_gap_is_refused_and_overlap_takes_the_earlier_instant() {
        let gap = p("2026-03-08 02:30").unwrap_err();
        assert!(gap.contains("does not exist in America/Toronto"), "{gap}");
        // 01:30 happens twice on 2026-11-01: first in EDT (-04:00), then in EST.
        assert_eq!(p("2026-11-01 01:30"), Ok(utc("2026-11-01T05:30:00Z")));
    }

    #[test]
    fn the_plain_form_reads_as_the_general_parser_does() {
        let general = |s: &str| parse_iso_local(s).map(|n| n.and_utc());
        for s in [
            "2026-11-24 09:30",
            "2026-11-24T23:59",
            "2026-11-24 09:30:59",
            "2024-02-29 00:00",
            "0999-01-01 00:00",
        ] {
            assert_eq!(plain_iso_local(s).map(|n| n.and_utc()), general(s), "{s}");
            assert!(plain_iso_local(s).is_some(), "{s}");
        }
        // Out of range or unusual: left to the general path.
        for s in [
            "2026-11-24 24:00",
            "2026-02-30 09:30",
            "2026-11-24 09:30:60",
            "2026-13-01 09:00",
            "2026-11-24 9:30",
            "2026-11-24 09:30Z",
            "2026-11-24_09:30",
            "+202-11-24 09:30",
            "2026-1-124 09:30",
            "2026-11-24 09:30:0",
        ] {
            assert!(plain_iso_local(s).is_none(), "{s}");
        }
        // Sweep every minute of a day around the DST changes through the public function.
        for day in ["2026-03-08", "2026-11-01", "2026-11-24"] {
            for h in 0..24 {
                for m in (0..60).step_by(7) {
                    let s = format!("{day} {h:02}:{m:02}");
                    let slow = general(&s).map(|n| n.naive_utc());
                    assert_eq!(plain_iso_local(&s), slow, "{s}");
                }
            }
        }
    }

    #[test]
    fn any_date_with_any_time_names_one_instant() {
        let (mdy, dmy) = (SlashOrder::MonthFirst, SlashOrder::DayFirst);
        let nine_thirty = "2026-11-25T14:30:00Z";
        let two_pm = "2026-11-25T19:00:00Z";
        for (s, order, want) in [
            ("2026-11-25 08:30:00.0", mdy, "2026-11-25T13:30:00Z"),
            ("2026-11-25 9:30 AM", mdy, nine_thirty),
            ("2026/11/25 09:30", dmy, nine_thirty),
            ("11/25/2026 9:30:00 AM", mdy, nine_thirty),
            ("11/25/2026  9:30 AM", mdy, nine_thirty),
            ("11/25/26 9:30", mdy, nine_thirty),
            ("25/11/26 14:00", dmy, two_pm),
            ("25.11.2026 14:00", mdy, two_pm),
            ("11-25-2026 2:00 p.m.", mdy, two_pm),
            ("Nov 25, 2026 9:30 AM", mdy, nine_thirty),
            ("Nov 25, 2026, 9:30 AM", dmy, nine_thirty),
            ("Wed, Nov 25, 2026 2:00 PM", mdy, two_pm),
            ("November 25 2026 14:00:00", mdy, two_pm),
            ("25-Nov-2026 09:30", mdy, nine_thirty),
            ("25 novembre 2026 9 h 30", mdy, nine_thirty),
            ("mercredi 25 novembre 2026 14 h", dmy, two_pm),
            ("25 nov. 2026 14h", dmy, two_pm),
            ("2026-11-25T13:30:00Z", dmy, "2026-11-25T13:30:00Z"),
            ("46351.395833", mdy, nine_thirty),
            ("46351.583333", dmy, two_pm),
        ] {
            assert_eq!(
                parse_appointment_time(s, Toronto, order),
                Ok(utc(want)),
                "{s}"
            );
        }
    }

    #[test]
    fn every_form_keeps_the_daylight_saving_rules() {
        for s in ["03/08/2026 2:30 AM", "Mar 8, 2026 2:30 AM", "46089.104167"] {
            let gap = p(s).unwrap_err();
            assert!(
                gap.starts_with("does not exist in America/Toronto"),
                "{s}: {gap}"
            );
        }
        for s in ["11/01/2026 1:30 AM", "1 novembre 2026 1 h 30", "46327.0625"] {
            assert_eq!(p(s), Ok(utc("2026-11-01T05:30:00Z")), "{s}");
        }
    }

    #[test]
    fn a_wrong_part_is_named() {
        for (s, why) in [
            ("", "is empty"),
            ("46351", "has a date (2026-11-25) but no time"),
            ("2026-11-24", "has a date but no time (expected e.g."),
            ("Nov 25, 2026", "has a date but no time"),
            ("9:30 AM", "has a time but no date"),
            (
                "13/45/2026 9:30",
                "has a date part '13/45/2026' that is not a real date read month-first (mdy)",
            ),
            (
                "2026-02-30 09:30",
                "has a date part '2026-02-30' that is not a real date (read as year, month, day)",
            ),
            (
                "11/25/2026 25:00",
                "has a time part '25:00' that is not a real time",
            ),
            (
                "11/25/2026 930",
                "has a time part '930' that is a bare number",
            ),
            (
                "Nov 25, 2026 13:00 PM",
                "has a time part '13:00 PM' that has AM or PM",
            ),
            ("20261125", "is a number, not a date (Excel day numbers"),
            (
                "soon",
                "is not a date and time we understand (expected e.g.",
            ),
            ("9:30 11/25/2026", "is not a date and time we understand"),
        ] {
            let err = p(s).unwrap_err();
            assert!(err.starts_with(why), "{s}: {err}");
        }
        let why = parse_appointment_time("11/25/2026 9:30", Toronto, SlashOrder::DayFirst);
        assert_eq!(
            why,
            Err("has a date part '11/25/2026' that is not a real date read day-first (dmy)".into())
        );
    }

    #[test]
    fn nonsense_says_what_was_expected() {
        for s in [
            "tomorrow",
            "2026-13-01 09:00",
            "24/11/2026",
            "2026-11-24",
            "",
        ] {
            assert!(p(s).is_err(), "{s}");
        }
        assert!(p("next tuesday").unwrap_err().contains("expected e.g."));
    }
}
