//! Days as people type them: `today`, `tomorrow`, `yesterday` or `YYYY-MM-DD`, read in
//! the clinic's (or a site's) zone. Anything else is refused with the forms that are accepted.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use chrono_tz::Tz;

pub const ACCEPTED: &str = "today, tomorrow, yesterday or a date as YYYY-MM-DD (e.g. 2026-11-25)";

/// The local day of the next appointment at or after `now`; today when nothing is coming.
pub fn coming_day(next: Option<DateTime<Utc>>, now: DateTime<Utc>, tz: Tz) -> NaiveDate {
    next.unwrap_or(now).with_timezone(&tz).date_naive()
}

/// The UTC instants `[start, end)` of a local day. A day can be 23 or 25 hours long, and in a few
/// zones midnight itself is skipped by DST, so the day starts at its first local time that exists.
pub fn day_bounds(day: NaiveDate, tz: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
    (start_of(day, tz), start_of(day + Duration::days(1), tz))
}

fn start_of(day: NaiveDate, tz: Tz) -> DateTime<Utc> {
    let mut t = day.and_hms_opt(0, 0, 0).unwrap_or_default();
    // A DST gap lasts at most a few hours; step through it by quarter hours.
    for _ in 0..16 {
        if let Some(dt) = tz.from_local_datetime(&t).earliest() {
            return dt.with_timezone(&Utc);
        }
        t += Duration::minutes(15);
    }
    Utc.from_utc_datetime(&day.and_hms_opt(0, 0, 0).unwrap_or_default())
}

/// The window whose imports and runs belong to a day: from the start of the evening before
/// (the 19:00 import and send happen then) to the end of the day itself.
pub fn activity_window(day: NaiveDate, tz: Tz) -> (DateTime<Utc>, DateTime<Utc>) {
    (start_of(day - Duration::days(1), tz), day_bounds(day, tz).1)
}

/// The day `word` names, `today` being the local date now; anything else is an error that says
/// what is accepted (the caller turns it into a usage error naming its flag).
pub fn parse_day(word: &str, today: NaiveDate) -> Result<NaiveDate, String> {
    let w = word.trim();
    match w.to_ascii_lowercase().as_str() {
        "today" => Ok(today),
        "tomorrow" => Ok(today + Duration::days(1)),
        "yesterday" => Ok(today - Duration::days(1)),
        _ => {
            // Exactly four-two-two digits: chrono alone would also take `2026-1-5` or `+2026-…`.
            let shape = w.len() == 10
                && w.bytes().enumerate().all(|(i, b)| match i {
                    4 | 7 => b == b'-',
                    _ => b.is_ascii_digit(),
                });
            match NaiveDate::parse_from_str(w, "%Y-%m-%d") {
                Ok(day) if shape => Ok(day),
                _ if shape => Err(format!("{w:?} is not a real date (use {ACCEPTED})")),
                _ => Err(format!("{w:?} is not a day: use {ACCEPTED}")),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn days_follow_the_clinic_zone_across_dst() {
        let tz = chrono_tz::America::Toronto;
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        let (a, b) = day_bounds(d("2026-11-25"), tz);
        assert_eq!(
            (a, b),
            (t("2026-11-25T05:00:00Z"), t("2026-11-26T05:00:00Z"))
        );
        // 2026-11-01 is 25 hours long in Toronto (clocks go back).
        let (a, b) = day_bounds(d("2026-11-01"), tz);
        assert_eq!(b - a, Duration::hours(25));
        // 19:00 local on the 24th is already the 25th in UTC, but the coming day is the 25th
        // only because of the next appointment; with none it is today.
        let now = t("2026-11-25T00:00:00Z");
        assert_eq!(coming_day(None, now, tz), d("2026-11-24"));
        assert_eq!(
            coming_day(Some(t("2026-11-25T14:30:00Z")), now, tz),
            d("2026-11-25")
        );
        // In Sao Paulo's old rules midnight was skipped; the day starts at 01:00.
        let (a, _) = day_bounds(d("2018-11-04"), chrono_tz::America::Sao_Paulo);
        assert_eq!(a, t("2018-11-04T03:00:00Z"));
        let (from, to) = activity_window(d("2026-11-25"), tz);
        assert_eq!(
            (from, to),
            (t("2026-11-24T05:00:00Z"), t("2026-11-26T05:00:00Z"))
        );
    }

    #[test]
    fn words_and_dates() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
        let d = |s: &str| NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        for (word, want) in [
            ("today", d("2026-11-24")),
            (" Tomorrow ", d("2026-11-25")),
            ("YESTERDAY", d("2026-11-23")),
            ("2026-12-31", d("2026-12-31")),
        ] {
            assert_eq!(parse_day(word, today), Ok(want), "{word}");
        }
        for word in ["25/11/2026", "2026-11-31", "2026-1-5", "next monday", ""] {
            let err = parse_day(word, today).unwrap_err();
            assert!(err.contains("today, tomorrow, yesterday"), "{word}: {err}");
        }
    }
}
