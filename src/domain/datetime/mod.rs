//! Appointment date-times as clinics write them, turned into one instant.
//! Local times are in the clinic's zone: a time skipped by the spring-forward change does not
//! exist and is refused; a time repeated by the fall-back change is read as the earlier instant.

use chrono::{
    DateTime, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc,
};
use chrono_tz::Tz;

mod date;
mod excel;
mod order;
mod time;

pub use date::parse_date;
pub use order::SlashOrder;
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
    let naive = match plain_iso_local(s) {
        Some(naive) => naive,
        None => {
            if let Some(instant) = parse_with_offset(s) {
                return Ok(instant);
            }
            parse_iso_local(s)
                .or_else(|| parse_slash_local(s, slash))
                .ok_or_else(|| format!("is not a date and time we understand ({EXPECTED})"))?
        }
    };
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

fn parse_iso_local(s: &str) -> Option<NaiveDateTime> {
    let with_t = s.replacen(' ', "T", 1);
    ["%Y-%m-%dT%H:%M:%S%.f", "%Y-%m-%dT%H:%M"]
        .iter()
        .find_map(|fmt| NaiveDateTime::parse_from_str(&with_t, fmt).ok())
}

fn parse_slash_local(s: &str, order: SlashOrder) -> Option<NaiveDateTime> {
    let (date_part, time_part) = s.split_once(char::is_whitespace)?;
    let mut nums = date_part.split('/').map(|p| p.trim().parse::<u32>().ok());
    let (a, b, y) = (nums.next()??, nums.next()??, nums.next()??);
    if nums.next().is_some() || y < 1000 {
        return None;
    }
    let (month, day) = match order {
        SlashOrder::MonthFirst => (a, b),
        SlashOrder::DayFirst => (b, a),
        // A four-digit year last cannot read year-first.
        SlashOrder::YearFirst => return None,
    };
    let date = NaiveDate::from_ymd_opt(y as i32, month, day)?;
    let time = parse_clock_time(time_part.trim())?;
    Some(date.and_time(time))
}

fn parse_clock_time(s: &str) -> Option<NaiveTime> {
    let upper = s.to_ascii_uppercase().replace('.', "");
    let compact = upper.split_whitespace().collect::<Vec<_>>().join(" ");
    [
        "%I:%M %p",
        "%I:%M:%S %p",
        "%I:%M%p",
        "%I:%M:%S%p",
        "%H:%M",
        "%H:%M:%S",
    ]
    .iter()
    .find_map(|fmt| NaiveTime::parse_from_str(&compact, fmt).ok())
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
