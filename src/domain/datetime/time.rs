//! Times of day as clinics and their exports write them: 24-hour and 12-hour clocks, the French
//! `9 h 30`, and Excel's fractions of a day.

use chrono::NaiveTime;

use super::excel;

const EXPECTED: &str = "expected e.g. 9:30, 14:30:00, 9:30 AM or 9 h 30";

/// The time of day `raw` names, or a reason a person understands.
pub fn parse_time(raw: &str) -> Result<NaiveTime, String> {
    let s = raw.trim();
    if s.is_empty() {
        return Err("is empty".into());
    }
    if let Some(time) = excel::time(s) {
        return time;
    }
    let lower = s.to_ascii_lowercase();
    let (body, pm) = match split_meridiem(&lower) {
        Some((body, pm)) => (body, Some(pm)),
        None => (lower.as_str(), None),
    };
    if pm.is_none() && body.bytes().all(|b| b.is_ascii_digit()) {
        // 930 is likely 9:30, but 1230 may be a room and 14 a duration: a number is not guessed.
        return Err(format!("is a bare number, not a time ({EXPECTED})"));
    }
    let clock =
        read_clock(body).ok_or_else(|| format!("is not a time we understand ({EXPECTED})"))?;
    let hour = match pm {
        None => clock.hour,
        Some(_) if !(1..=12).contains(&clock.hour) => {
            return Err("has AM or PM, so its hour must be 1 to 12".into());
        }
        // 12:00 AM is midnight and 12:00 PM noon.
        Some(pm) => clock.hour % 12 + if pm { 12 } else { 0 },
    };
    NaiveTime::from_hms_nano_opt(hour, clock.minute, clock.second, clock.nano)
        .ok_or_else(|| "is not a real time (hours 0 to 23, minutes and seconds 0 to 59)".into())
}

/// The body and whether it is PM, when `lower` ends with am, pm, a.m. or p.m.
fn split_meridiem(lower: &str) -> Option<(&str, bool)> {
    let s = lower.strip_suffix('.').unwrap_or(lower);
    let (rest, pm) = [("am", false), ("pm", true), ("a.m", false), ("p.m", true)]
        .into_iter()
        .find_map(|(word, pm)| s.strip_suffix(word).map(|rest| (rest, pm)))?;
    Some((rest.trim_end(), pm))
}

/// The numbers of a clock reading, not yet checked against the clock's ranges.
struct Clock {
    hour: u32,
    minute: u32,
    second: u32,
    nano: u32,
}

/// `H:MM`, `H:MM:SS`, `H:MM:SS.fff`, `H h`, `H h MM` (spaces around `h` optional), or `H` alone.
fn read_clock(body: &str) -> Option<Clock> {
    let mut rest = body.as_bytes();
    let hour = take_digits(&mut rest, 1, 2)?;
    let mut clock = Clock {
        hour,
        minute: 0,
        second: 0,
        nano: 0,
    };
    if rest.first() == Some(&b':') {
        rest = &rest[1..];
        clock.minute = take_digits(&mut rest, 2, 2)?;
        if rest.first() == Some(&b':') {
            rest = &rest[1..];
            clock.second = take_digits(&mut rest, 2, 2)?;
            if rest.first() == Some(&b'.') {
                rest = &rest[1..];
                let before = rest.len();
                let frac = take_digits(&mut rest, 1, 9)?;
                let digits = (before - rest.len()) as u32;
                clock.nano = frac * 10u32.pow(9 - digits);
            }
        }
    } else if rest.trim_ascii_start().first() == Some(&b'h') {
        rest = rest.trim_ascii_start()[1..].trim_ascii_start();
        if !rest.is_empty() {
            clock.minute = take_digits(&mut rest, 2, 2)?;
        }
    }
    rest.is_empty().then_some(clock)
}

/// Reads `min..=max` ASCII digits from the front of `rest`, and no more: a longer run is `None`.
fn take_digits(rest: &mut &[u8], min: usize, max: usize) -> Option<u32> {
    let n = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    if n < min || n > max {
        return None;
    }
    let value = rest[..n]
        .iter()
        .fold(0u32, |acc, &d| acc * 10 + u32::from(d - b'0'));
    *rest = &rest[n..];
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hms(h: u32, m: u32, s: u32) -> NaiveTime {
        NaiveTime::from_hms_opt(h, m, s).unwrap()
    }

    #[test]
    fn every_written_form_reads() {
        for (s, want) in [
            ("9:30", hms(9, 30, 0)),
            ("09:30", hms(9, 30, 0)),
            ("09:30:00", hms(9, 30, 0)),
            ("09:30:15", hms(9, 30, 15)),
            ("09:30:00.0", hms(9, 30, 0)),
            ("23:59", hms(23, 59, 0)),
            ("0:05", hms(0, 5, 0)),
            (" 9:30 ", hms(9, 30, 0)),
            ("9:30 AM", hms(9, 30, 0)),
            ("9:30AM", hms(9, 30, 0)),
            ("9:30am", hms(9, 30, 0)),
            ("9:30 a.m.", hms(9, 30, 0)),
            ("9:30 A.M.", hms(9, 30, 0)),
            ("9:30 a.m", hms(9, 30, 0)),
            ("9:30 p.m.", hms(21, 30, 0)),
            ("9:30 PM", hms(21, 30, 0)),
            ("9:30:00 AM", hms(9, 30, 0)),
            ("2:15:30 PM", hms(14, 15, 30)),
            ("12:00 PM", hms(12, 0, 0)),
            ("12:30 PM", hms(12, 30, 0)),
            ("12:00 AM", hms(0, 0, 0)),
            ("12:30 a.m.", hms(0, 30, 0)),
            ("9 AM", hms(9, 0, 0)),
            ("9pm", hms(21, 0, 0)),
            ("9 h 30", hms(9, 30, 0)),
            ("9h30", hms(9, 30, 0)),
            ("09H30", hms(9, 30, 0)),
            ("9 h30", hms(9, 30, 0)),
            ("14 h", hms(14, 0, 0)),
            ("14h", hms(14, 0, 0)),
            ("14 h 05", hms(14, 5, 0)),
            ("0.395833", hms(9, 30, 0)),
            ("0.5", hms(12, 0, 0)),
            // A moment before midnight is 23:59, never 24:00.
            ("0.9999999", hms(23, 59, 0)),
        ] {
            assert_eq!(parse_time(s), Ok(want), "{s}");
        }
        let frac = parse_time("08:30:00.250").unwrap();
        assert_eq!(frac, NaiveTime::from_hms_milli_opt(8, 30, 0, 250).unwrap());
    }

    #[test]
    fn unreadable_times_say_why() {
        for (s, why) in [
            ("", "is empty"),
            ("930", "is a bare number, not a time (expected e.g. 9:30"),
            ("0930", "is a bare number"),
            ("14", "is a bare number"),
            ("0", "is a bare number"),
            ("13:00 PM", "has AM or PM, so its hour must be 1 to 12"),
            ("0:30 AM", "has AM or PM, so its hour must be 1 to 12"),
            ("24:00", "is not a real time"),
            ("9:60", "is not a real time"),
            ("23:59:60", "is not a real time"),
            ("9:5", "is not a time we understand"),
            ("9:30 XM", "is not a time we understand"),
            ("9.30", "is not a time we understand"),
            ("9h3", "is not a time we understand"),
            ("h30", "is not a time we understand"),
            ("noon", "is not a time we understand"),
            ("09:30:00.0000000001", "is not a time we understand"),
            ("09:30:00.5xxxxxxxxxxxxx", "is not a time we understand"),
            ("09:30:00.", "is not a time we understand"),
        ] {
            let err = parse_time(s).unwrap_err();
            assert!(err.starts_with(why), "{s}: {err}");
        }
    }
}
