//! The days a person names on the command line (SPEC §13): `today`, `tomorrow`, `yesterday` or
//! `YYYY-MM-DD`, read against the clinic's today (which the caller works out in the right zone).

use chrono::{Duration, NaiveDate};

/// The accepted forms, for usage errors and help texts.
pub const FORMS: &str = "today, tomorrow, yesterday or YYYY-MM-DD (e.g. 2026-11-25)";

/// The day `word` names, `today` being the clinic's local date now; anything else is an error
/// that lists the accepted forms.
pub fn parse_day(word: &str, today: NaiveDate) -> Result<NaiveDate, String> {
    let w = word.trim();
    match w.to_ascii_lowercase().as_str() {
        "today" => return Ok(today),
        "tomorrow" => return Ok(today + Duration::days(1)),
        "yesterday" => return Ok(today - Duration::days(1)),
        _ => {}
    }
    // Exactly four, two and two digits: chrono alone would also take `2026-1-5` or `+2026-…`,
    // and a script that writes one of those has a bug worth hearing about.
    let b = w.as_bytes();
    let shaped = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if shaped && let Ok(day) = NaiveDate::parse_from_str(w, "%Y-%m-%d") {
        return Ok(day);
    }
    if shaped {
        Err(format!(
            "{word:?} is not a date in the calendar; use {FORMS}"
        ))
    } else {
        Err(format!("{word:?} is not a day; use {FORMS}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn words_and_dates() {
        let today = d("2026-12-31");
        for (word, want) in [
            ("today", "2026-12-31"),
            ("Tomorrow", "2027-01-01"),
            (" yesterday ", "2026-12-30"),
            ("TODAY", "2026-12-31"),
            ("2026-11-25", "2026-11-25"),
            ("2028-02-29", "2028-02-29"),
            (" 2026-11-25\n", "2026-11-25"),
        ] {
            assert_eq!(parse_day(word, today), Ok(d(want)), "{word:?}");
        }
    }

    #[test]
    fn anything_else_lists_the_forms() {
        let today = d("2026-11-24");
        for word in [
            "",
            "now",
            "tmrw",
            "next monday",
            "2026-1-5",
            "26-11-25",
            "2026/11/25",
            "11/25/2026",
            "+2026-11-25",
            "2026-11-25T09:00",
            "２０２６-11-25",
        ] {
            let err = parse_day(word, today).unwrap_err();
            assert!(err.contains(FORMS), "{word:?}: {err}");
            assert!(err.contains("not a day"), "{word:?}: {err}");
        }
        for word in ["2026-02-30", "2026-13-01", "2027-02-29"] {
            let err = parse_day(word, today).unwrap_err();
            assert!(
                err.contains("not a date in the calendar") && err.contains(FORMS),
                "{word:?}: {err}"
            );
        }
    }
}
