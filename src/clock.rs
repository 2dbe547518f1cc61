//! "Now": the real clock, or the instant in `REMINDERS_NOW` (tests, the demo, catch-up runs).
//! `REMINDERS_NOW` sets the instant the process starts at; time then moves on with the real
//! clock, so a run started at 20:59:55 sees 21:00 come, as a real one would.

use std::time::Instant;

use chrono::{DateTime, SecondsFormat, Utc};

#[derive(Clone, Copy, Debug)]
pub struct Clock {
    start: Option<(DateTime<Utc>, Instant)>,
}

impl Clock {
    pub fn real() -> Self {
        Clock { start: None }
    }

    /// A clock that reads `at` now and moves on in real time from here.
    pub fn starting_at(at: DateTime<Utc>) -> Self {
        Clock {
            start: Some((at, Instant::now())),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        match self.start {
            Some((at, since)) => {
                at + chrono::Duration::from_std(since.elapsed()).unwrap_or_default()
            }
            None => Utc::now(),
        }
    }
}

/// The one timestamp format stored in the database: UTC, whole seconds, `Z`.
pub fn db_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

pub fn parse_db_time(s: &str) -> Option<DateTime<Utc>> {
    stored_form(s).or_else(|| {
        DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|t| t.with_timezone(&Utc))
    })
}

/// [`db_time`]'s own form (`2026-11-24T19:00:00Z`) read by hand: the results file and the report
/// read a million of these, and chrono's RFC 3339 parser took a tenth of the time. Anything else
/// (another offset, fractions, a leap second) is `None`, for the full parser.
fn stored_form(s: &str) -> Option<DateTime<Utc>> {
    let [y, mo, d, h, mi, sec] = stored_fields(s)?;
    let date = chrono::NaiveDate::from_ymd_opt(y as i32, mo, d)?;
    let time = chrono::NaiveTime::from_hms_opt(h, mi, sec)?;
    Some(date.and_time(time).and_utc())
}

/// The six numbers of a time in [`db_time`]'s form (year, month, day, hour, minute, second), not
/// checked as a date; `None` for text of any other shape.
pub fn stored_fields(s: &str) -> Option<[u32; 6]> {
    let b: &[u8; 20] = s.as_bytes().try_into().ok()?;
    let form = [
        (4, b'-'),
        (7, b'-'),
        (10, b'T'),
        (13, b':'),
        (16, b':'),
        (19, b'Z'),
    ];
    if form.iter().any(|&(i, c)| b[i] != c) {
        return None;
    }
    let n = |at: usize, len: usize| {
        b[at..at + len].iter().try_fold(0u32, |acc, &c| {
            let d = c.wrapping_sub(b'0');
            (d < 10).then(|| acc * 10 + u32::from(d))
        })
    };
    Some([
        n(0, 4)?,
        n(5, 2)?,
        n(8, 2)?,
        n(11, 2)?,
        n(14, 2)?,
        n(17, 2)?,
    ])
}

/// A stored UTC timestamp as the clinic reads it: `2026-11-24 19:00` in its own zone.
pub fn local_display(stored: &str, tz: chrono_tz::Tz) -> String {
    use chrono::{Datelike, Timelike};
    match parse_db_time(stored) {
        Some(t) => {
            let l = t.with_timezone(&tz);
            if !(0..=9999).contains(&l.year()) {
                return l.format("%Y-%m-%d %H:%M").to_string();
            }
            // By hand: chrono's formatter re-read the pattern for every cell.
            let mut s = String::with_capacity(16);
            let y = l.year() as u32;
            for (sep, n) in [
                ("", y / 100),
                ("", y % 100),
                ("-", l.month()),
                ("-", l.day()),
                (" ", l.hour()),
                (":", l.minute()),
            ] {
                s.push_str(sep);
                s.push(char::from(b'0' + (n / 10) as u8));
                s.push(char::from(b'0' + (n % 10) as u8));
            }
            s
        }
        None => stored.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_start_moves_on_in_real_time() {
        let at = DateTime::parse_from_rfc3339("2026-11-24T20:59:59-05:00")
            .unwrap()
            .with_timezone(&Utc);
        let clock = Clock::starting_at(at);
        let first = clock.now();
        assert!(first >= at && first - at < chrono::Duration::seconds(1));
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert!(clock.now() > first);
    }

    #[test]
    fn the_stored_form_is_read_as_the_full_parser_reads_it() {
        let full = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .ok()
                .map(|t| t.with_timezone(&Utc))
        };
        for s in [
            "2026-11-24T19:00:00Z",
            "2026-02-28T23:59:59Z",
            "0001-01-01T00:00:00Z",
            "2026-11-24T19:00:00.5Z",
            "2026-11-24T19:00:00-05:00",
            "2016-12-31T23:59:60Z",
            "2026-13-01T00:00:00Z",
            "2026-02-30T00:00:00Z",
            "2026-11-24T24:00:00Z",
            "2026-11-24 19:00:00Z",
            "2026-1a-24T19:00:00Z",
            "2026-11-24T19:00:00z",
            "",
            "garbage",
        ] {
            assert_eq!(parse_db_time(s), full(s), "{s}");
        }
        assert_eq!(stored_form("2026-11-24T19:00:00-05:00"), None);
    }

    #[test]
    fn local_display_is_minutes_in_the_zone() {
        let tz = chrono_tz::America::Toronto;
        for (stored, shown) in [
            ("2026-11-25T00:30:59Z", "2026-11-24 19:30"),
            ("2026-07-01T04:05:00Z", "2026-07-01 00:05"),
            ("0001-01-01T12:00:00Z", "0001-01-01 06:42"),
            ("not a time", "not a time"),
        ] {
            assert_eq!(local_display(stored, tz), shown, "{stored}");
            if let Some(t) = parse_db_time(stored) {
                assert_eq!(
                    t.with_timezone(&tz).format("%Y-%m-%d %H:%M").to_string(),
                    shown
                );
            }
        }
    }

    #[test]
    fn db_time_round_trips_in_utc_seconds() {
        let t = DateTime::parse_from_rfc3339("2026-11-24T19:00:00.750-05:00")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(db_time(t), "2026-11-25T00:00:00Z");
        assert_eq!(
            parse_db_time("2026-11-25T00:00:00Z").unwrap(),
            t - chrono::Duration::milliseconds(750)
        );
    }
}
