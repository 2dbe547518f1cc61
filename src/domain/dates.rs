//! The day words people type on the command line (SPEC §13): `today`, `tomorrow`, `yesterday`
//! or a `YYYY-MM-DD` date. "Today" is the caller's to decide (the clinic's or a site's local
//! date at the command's start), so the words mean the same day to every command.

use chrono::{Days, NaiveDate};

/// What a day flag accepts, for help texts and errors.
pub const ACCEPTED: &str = "today, tomorrow, yesterday or a date as YYYY-MM-DD";

/// The day `word` names, counted from `today`; anything else is an error that says what is
/// accepted (the caller turns it into a usage error naming its flag).
pub fn parse_day(word: &str, today: NaiveDate) -> Result<NaiveDate, String> {
    let w = word.trim();
    let shifted = match w.to_ascii_lowercase().as_str() {
        "today" => Some(today),
        "tomorrow" => today.checked_add_days(Days::new(1)),
        "yesterday" => today.checked_sub_days(Days::new(1)),
        _ => {
            // Exactly four-two-two digits: chrono alone would also take `2026-1-5` or `+2026-…`.
            let shape = w.len() == 10
                && w.bytes().enumerate().all(|(i, b)| match i {
                    4 | 7 => b == b'-',
                    _ => b.is_ascii_digit(),
                });
            return match NaiveDate::parse_from_str(w, "%Y-%m-%d") {
                Ok(day) if shape => Ok(day),
                _ if shape => Err(format!("{word:?} is not a real date (use {ACCEPTED})")),
                _ => Err(format!("{word:?} is not a day: use {ACCEPTED}")),
            };
        }
    };
    shifted.ok_or_else(|| format!("{word:?} is past the end of the calendar"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn words_count_from_today() {
        let today = day("2026-11-30");
        for (word, want) in [
            ("today", "2026-11-30"),
            ("Tomorrow", "2026-12-01"),
            (" YESTERDAY ", "2026-11-29"),
            ("2026-11-25", "2026-11-25"),
            ("2024-02-29", "2024-02-29"),
        ] {
            assert_eq!(parse_day(word, today), Ok(day(want)), "{word}");
        }
    }

    #[test]
    fn anything_else_says_what_is_accepted() {
        let today = day("2026-11-30");
        for word in [
            "",
            "now",
            "next week",
            "2026-11-3",
            "25/11/2026",
            "2026/11/25",
            "+2026-11-25",
            "20261125",
            "2026-11-25T09:00",
        ] {
            let err = parse_day(word, today).unwrap_err();
            assert!(
                err.contains("today, tomorrow, yesterday or a date as YYYY-MM-DD"),
                "{word}: {err}"
            );
        }
        let err = parse_day("2026-02-30", today).unwrap_err();
        assert!(err.contains("not a real date"), "{err}");
    }
}
