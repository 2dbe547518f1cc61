//! Appointment date-times as clinics write them, turned into one instant.
//! Local times are in the clinic's zone: a time skipped by the spring-forward change does not
//! exist and is refused; a time repeated by the fall-back change is read as the earlier instant.

use chrono::{
    DateTime, FixedOffset, LocalResult, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc,
};
use chrono_tz::Tz;

use crate::config::SlashOrder;

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
    if let Some(instant) = parse_with_offset(s) {
        return Ok(instant);
    }
    let naive = parse_iso_local(s)
        .or_else(|| parse_slash_local(s, slash))
        .ok_or_else(|| format!("is not a date and time we understand ({EXPECTED})"))?;
    match tz.from_local_datetime(&naive) {
        LocalResult::Single(t) => Ok(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(earlier, later) => Ok(earlier.min(later).with_timezone(&Utc)),
        LocalResult::None => Err(format!(
            "does not exist in {} (the clocks skip that hour for daylight saving time)",
            tz.name()
        )),
    }
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
