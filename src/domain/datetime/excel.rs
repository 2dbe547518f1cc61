//! Excel's numbers for dates and times, as Excel writes them to a CSV file when a column is not
//! formatted as text: a day number in the 1900 date system, a fraction of a day, or both
//! (`46351.395833` is 2026-11-25 09:30).

use chrono::NaiveTime;

const MINUTES_PER_DAY: u32 = 24 * 60;

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
/// as 0.3958333…, and exports cut it to `0.395833`, a few hundredths of a second short.
fn minutes_of(frac: &str) -> u32 {
    let day = frac
        .bytes()
        .rev()
        .fold(0.0, |acc, d| (acc + f64::from(d - b'0')) / 10.0);
    // `day` is in [0, 1), so the product is in [0, 1440]: no truncation or sign to lose.
    (day * f64::from(MINUTES_PER_DAY)).round() as u32
}

fn clock(minutes: u32) -> Option<NaiveTime> {
    NaiveTime::from_hms_opt(minutes / 60, minutes % 60, 0)
}

/// A time Excel wrote as a fraction of a day (`0.395833` is 09:30), to the nearest minute.
/// `None` when `s` is not such a fraction.
pub(super) fn time(s: &str) -> Option<Result<NaiveTime, String>> {
    let (whole, frac, point) = decimal(s)?;
    if !point || whole.unwrap_or(0) != 0 {
        return None;
    }
    Some(clock(minutes_of(frac)).ok_or_else(|| {
        "is an Excel time that rounds to 24:00, the end of the day rather than a time in it".into()
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hm(h: u32, m: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, 0).unwrap()
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
        assert!(time("0.9999999").is_some_and(|r| r.is_err()));
        for s in [
            "0", "930", "1.5", "-0.5", "0.5e1", "0.3.9", "", ".", "0,5", "9:30",
        ] {
            assert_eq!(time(s), None, "{s}");
        }
    }
}
