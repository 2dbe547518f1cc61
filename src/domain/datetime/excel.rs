//! Excel's numbers for dates and times, as Excel writes them to a CSV file when a column is not
//! formatted as text: a day number in the 1900 date system, a fraction of a day, or both
//! (`46351.395833` is 2026-11-25 09:30).

use chrono::{Datelike, Days, NaiveDate, NaiveDateTime, NaiveTime};

const MINUTES_PER_DAY: u32 = 24 * 60;

/// The Excel day numbers read as dates: 2000-01-01 to 2099-12-31. A number outside them in a date
/// column is a typo or not a date at all (a compact 20261125, an id), never an appointment.
const FIRST_DAY: u32 = 36526;
const LAST_DAY: u32 = 73050;
const RANGE: &str = "Excel day numbers are read from 36526 (2000-01-01) to 73050 (2099-12-31)";

/// Day `n` of Excel's 1900 date system. Excel counts 1900-01-01 as day 1 and, keeping a Lotus 1-2-3
/// bug, also counts a 29 February 1900 that never was, as day 60: from day 61 (1900-03-01) on, day
/// `n` is 1899-12-30 plus `n` days. Day 0 and day 60 are no real date.
fn serial_date(n: u32) -> Option<NaiveDate> {
    let base = match n {
        0 | 60 => return None,
        1..=59 => NaiveDate::from_ymd_opt(1899, 12, 31)?,
        _ => NaiveDate::from_ymd_opt(1899, 12, 30)?,
    };
    base.checked_add_days(Days::new(u64::from(n)))
}

/// Day `n` as a date, if it is one an appointment could be on.
fn plausible_day(n: u32) -> Result<NaiveDate, String> {
    match serial_date(n) {
        Some(date) if (FIRST_DAY..=LAST_DAY).contains(&n) => Ok(date),
        Some(date) if date.year() <= 9999 => Err(format!(
            "is Excel day number {n}, which is {date}: not a plausible appointment date ({RANGE})"
        )),
        _ if n == 60 => Err(format!(
            "is Excel day number 60, which Excel counts as 29 February 1900, a day that never was ({RANGE})"
        )),
        _ => Err(format!("is a number, not a date ({RANGE})")),
    }
}

/// A date Excel wrote as its day number (`46351`, or `46351.0` from an export that writes every
/// number with a point). `None` when `s` is not a plain number or is a time alone (`0.5`).
pub(super) fn date(s: &str) -> Option<Result<NaiveDate, String>> {
    let (whole, frac, point) = decimal(s)?;
    let whole = whole.filter(|&n| n != 0 || !point)?;
    Some(plausible_day(whole).and_then(|date| {
        if frac.bytes().all(|d| d == b'0') {
            Ok(date)
        } else {
            let time = clock(minutes_of(frac)).unwrap_or_default();
            Err(format!(
                "is an Excel date and time ({date} {}), where a date alone is expected",
                time.format("%H:%M")
            ))
        }
    }))
}

/// `s` as a plain decimal number: its whole part (`None` when empty, as in `.5`), its fraction's
/// digits (empty when it has none) and whether it has a decimal point. `None` for anything else:
/// a sign, an exponent, a second point, no digits, or a whole part too long to be a day number.
fn decimal(s: &str) -> Option<(Option<u32>, &str, bool)> {
    let (whole, frac, point) = match s.split_once('.') {
        Some((whole, frac)) => (whole, frac, true),
        None => (s, "", false),
    };
    let digits = |t: &str| t.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || !digits(frac) || whole.is_empty() && frac.is_empty() || whole.len() > 9 {
        return None;
    }
    let whole = if whole.is_empty() {
        None
    } else {
        Some(whole.parse().ok()?)
    };
    Some((whole, frac, point))
}

/// A fraction of a day, given by its digits after the point, in whole minutes: Excel stores 09:30
/// as 0.3958333…, and exports cut it to `0.395833`, a few hundredths of a second short, so the
/// nearest minute is the one meant. Never past 23:59: a fraction is a moment inside its day, and
/// 23:59:59.9 rounded up would be the next day's midnight, an appointment on the wrong date.
fn minutes_of(frac: &str) -> u32 {
    let day = frac
        .bytes()
        .rev()
        .fold(0.0, |acc, d| (acc + f64::from(d - b'0')) / 10.0);
    // `day` is in [0, 1), so the product is in [0, 1440]: no truncation or sign to lose.
    ((day * f64::from(MINUTES_PER_DAY)).round() as u32).min(MINUTES_PER_DAY - 1)
}

fn clock(minutes: u32) -> Option<NaiveTime> {
    NaiveTime::from_hms_opt(minutes / 60, minutes % 60, 0)
}

/// A time Excel wrote as a fraction of a day (`0.395833` is 09:30), to the nearest minute (at
/// most 23:59). `None` when `s` is not such a fraction.
pub(super) fn time(s: &str) -> Option<Result<NaiveTime, String>> {
    let (whole, frac, point) = decimal(s)?;
    if !point || whole.unwrap_or(0) != 0 {
        return None;
    }
    Some(clock(minutes_of(frac)).ok_or_else(|| "is not a time of day".into()))
}

/// A date and time Excel wrote as a day number and a fraction of the day (`46351.395833` is
/// 2026-11-25 09:30), to the nearest minute and always on the day the number names
/// (`46351.999999` is 23:59 that day). `None` when `s` is not a plain number or is a time alone
/// (`0.5`).
pub(super) fn date_time(s: &str) -> Option<Result<NaiveDateTime, String>> {
    let (whole, frac, point) = decimal(s)?;
    let whole = whole.filter(|&n| n != 0 || !point)?;
    if frac.bytes().all(|d| d == b'0') {
        // A date cell: Excel wrote no fraction, so nothing says when in the day.
        return Some(plausible_day(whole).and_then(|date| {
            Err(format!(
                "has a date ({date}) but no time: an Excel day number with no fraction of a day"
            ))
        }));
    }
    let minutes = minutes_of(frac);
    Some(plausible_day(whole).map(|date| date.and_time(clock(minutes).unwrap_or_default())))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn day_numbers_count_excels_29_february_1900() {
        for (n, want) in [
            (1, Some(ymd(1900, 1, 1))),
            (59, Some(ymd(1900, 2, 28))),
            (60, None),
            (61, Some(ymd(1900, 3, 1))),
            (0, None),
            (36526, Some(ymd(2000, 1, 1))),
            // 2026-11-25 is 46351 days after 1899-12-30 (checked apart: Python's
            // date(1899, 12, 30) + timedelta(46351)).
            (46351, Some(ymd(2026, 11, 25))),
            (73050, Some(ymd(2099, 12, 31))),
        ] {
            assert_eq!(serial_date(n), want, "{n}");
        }
    }

    #[test]
    fn a_date_column_reads_plausible_day_numbers_only() {
        for s in ["46351", "46351.0", "46351.", "46351.000"] {
            assert_eq!(date(s), Some(Ok(ymd(2026, 11, 25))), "{s}");
        }
        for (s, why) in [
            (
                "46351.395833",
                "is an Excel date and time (2026-11-25 09:30), where a date alone",
            ),
            (
                "36525",
                "is Excel day number 36525, which is 1999-12-31: not a plausible",
            ),
            (
                "73051",
                "is Excel day number 73051, which is 2100-01-01: not a plausible",
            ),
            (
                "60",
                "is Excel day number 60, which Excel counts as 29 February 1900",
            ),
            (
                "0",
                "is a number, not a date (Excel day numbers are read from 36526 (2000-01-01)",
            ),
            ("20261125", "is a number, not a date"),
            ("999999999", "is a number, not a date"),
        ] {
            let err = date(s).unwrap().unwrap_err();
            assert!(err.starts_with(why), "{s}: {err}");
        }
        for s in [
            "0.5",
            ".5",
            "1e5",
            "-46351",
            "46,351",
            "9999999999",
            "2026-11-25",
        ] {
            assert_eq!(date(s), None, "{s}");
        }
    }

    fn hm(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
    }

    #[test]
    fn day_numbers_with_fractions_are_date_times() {
        let at = |y, mo, d, h, mi| ymd(y, mo, d).and_hms_opt(h, mi, 0).unwrap();
        for (s, want) in [
            ("46351.395833", at(2026, 11, 25, 9, 30)),
            ("46351.5", at(2026, 11, 25, 12, 0)),
            ("46351.604167", at(2026, 11, 25, 14, 30)),
            // A moment before midnight stays on its day.
            ("46351.999999", at(2026, 11, 25, 23, 59)),
            ("46351.9999999", at(2026, 11, 25, 23, 59)),
            ("46351.999305", at(2026, 11, 25, 23, 59)),
            ("36526.25", at(2000, 1, 1, 6, 0)),
        ] {
            assert_eq!(date_time(s), Some(Ok(want)), "{s}");
        }
        for (s, why) in [
            ("46351", "has a date (2026-11-25) but no time"),
            ("46351.0", "has a date (2026-11-25) but no time"),
            (
                "100.5",
                "is Excel day number 100, which is 1900-04-09: not a plausible",
            ),
            (
                "60.5",
                "is Excel day number 60, which Excel counts as 29 February 1900",
            ),
            ("20261125.5", "is a number, not a date"),
        ] {
            let err = date_time(s).unwrap().unwrap_err();
            assert!(err.starts_with(why), "{s}: {err}");
        }
        for s in ["0.5", ".5", "46351,5", "46351.5.1", "46351 9:30"] {
            assert_eq!(date_time(s), None, "{s}");
        }
    }

    #[test]
    fn fractions_of_a_day_are_times_to_the_minute() {
        for (s, want) in [
            ("0.395833", hm(9, 30)),
            ("0.3958333333333333", hm(9, 30)),
            (".395833", hm(9, 30)),
            ("0.5", hm(12, 0)),
            ("0.0", hm(0, 0)),
            ("0.", hm(0, 0)),
            ("0.999305", hm(23, 59)),
            ("0.604167", hm(14, 30)),
        ] {
            assert_eq!(time(s), Some(Ok(want)), "{s}");
        }
        // Never rounded to 24:00, the end of the day rather than a time in it.
        assert_eq!(time("0.9999999"), Some(Ok(hm(23, 59))));
        for s in [
            "0", "930", "1.5", "-0.5", "0.5e1", "0.3.9", "", ".", "0,5", "9:30",
        ] {
            assert_eq!(time(s), None, "{s}");
        }
    }
}
