//! Calendar dates as clinics and their exports write them: ISO, slash, dash and dot numbers,
//! month names in English and French, and Excel's day numbers.

use chrono::{Month, NaiveDate};

use super::{SlashOrder, excel};

/// The date `raw` names, or a reason a person understands. `order` says how a slash or dash date
/// with the year last reads (`01/02/2026`); a date starting with a four-digit year always reads
/// year, month, day, and a dotted one (`25.11.2026`) day, month, year.
pub fn parse_date(raw: &str, order: SlashOrder) -> Result<NaiveDate, String> {
    let s = raw.trim();
    if s.is_empty() {
        return Err("is empty".into());
    }
    numeric(s, order)
        .or_else(|| excel::date(s))
        .or_else(|| named_month(s))
        .unwrap_or_else(|| Err(not_understood(order)))
}

fn not_understood(order: SlashOrder) -> String {
    let slash = match order {
        SlashOrder::MonthFirst => "11/25/2026",
        SlashOrder::DayFirst => "25/11/2026",
        SlashOrder::YearFirst => "2026/11/25",
    };
    format!(
        "is not a date we understand (expected e.g. 2026-11-25, {slash}, Nov 25, 2026 or 25 novembre 2026)"
    )
}

/// Three runs of digits joined by one of `/`, `-` or `.`. `None` when `s` has another shape.
fn numeric(s: &str, order: SlashOrder) -> Option<Result<NaiveDate, String>> {
    let sep = s.bytes().find(|b| !b.is_ascii_digit())?;
    if !matches!(sep, b'/' | b'-' | b'.') {
        return None;
    }
    let mut parts = s.split(char::from(sep));
    let (a, b, c) = (parts.next()?, parts.next()?, parts.next()?);
    let all_digits = [a, b, c]
        .iter()
        .all(|p| !p.is_empty() && p.bytes().all(|d| d.is_ascii_digit()));
    if parts.next().is_some() || !all_digits {
        return None;
    }
    let n = |p: &str| p.parse::<u32>().ok();
    let short = |p: &str| (1..=2).contains(&p.len());
    // A two-digit year is this century's: clinics book appointments, not birthdays.
    let year = |p: &str| n(p).map(|y| y as i32 + if p.len() == 2 { 2000 } else { 0 });
    let date = |y: i32, m: u32, d: u32| NaiveDate::from_ymd_opt(y, m, d);
    if a.len() == 4 && short(b) && short(c) {
        return Some(
            date(year(a)?, n(b)?, n(c)?)
                .ok_or_else(|| "is not a real date (read as year, month, day)".to_string()),
        );
    }
    if !(short(a) && short(b) && matches!(c.len(), 2 | 4)) {
        return None;
    }
    let (first, second) = (n(a)?, n(b)?);
    if sep == b'.' {
        // Dotted dates are European: always day.month.year.
        return Some(date(year(c)?, second, first).ok_or_else(|| {
            "is not a real date read day-first (a date with dots reads day.month.year)".to_string()
        }));
    }
    let read = match order {
        SlashOrder::MonthFirst => date(year(c)?, first, second),
        SlashOrder::DayFirst => date(year(c)?, second, first),
        SlashOrder::YearFirst if a.len() == 2 && c.len() == 2 => date(year(a)?, second, n(c)?),
        SlashOrder::YearFirst => None,
    };
    Some(read.ok_or_else(|| format!("is not a real date read {}", order.describe())))
}

/// A date with its month in words, day before or after the month, year last, maybe after a
/// weekday: `Nov 25, 2026`, `25-Nov-2026`, `1er décembre 2026`, `mercredi 25 novembre 2026`.
fn named_month(s: &str) -> Option<Result<NaiveDate, String>> {
    let folded: String = s
        .chars()
        .flat_map(char::to_lowercase)
        .map(unaccent)
        .collect();
    let mut words: Vec<&str> = folded
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | '-' | '/' | '.'))
        .filter(|w| !w.is_empty())
        .collect();
    // The weekday is dropped unread: an export that writes it also writes the date it names.
    if words.len() == 4 && WEEKDAYS.iter().any(|day| day.contains(&words[0])) {
        words.remove(0);
    }
    let [first, second, year] = words[..] else {
        return None;
    };
    let (month, day) = match (month_number(first), month_number(second)) {
        (Some(month), None) => (month, second),
        (None, Some(month)) => (month, first),
        _ => return None,
    };
    let day = day_number(day)?;
    if !matches!(year.len(), 2 | 4) || !year.bytes().all(|d| d.is_ascii_digit()) {
        return None;
    }
    let year = year.parse::<i32>().ok()? + if year.len() == 2 { 2000 } else { 0 };
    Some(
        NaiveDate::from_ymd_opt(year, month.number_from_month(), day).ok_or_else(|| {
            let days = month.num_days(year).unwrap_or(31);
            format!(
                "is not a real date ({} {year} has {days} days)",
                month.name()
            )
        }),
    )
}

/// French accents dropped, so `février`, `fevrier` and `FÉVR.` are one word.
fn unaccent(c: char) -> char {
    match c {
        'à' | 'â' | 'ä' => 'a',
        'é' | 'è' | 'ê' | 'ë' => 'e',
        'î' | 'ï' => 'i',
        'ô' | 'ö' => 'o',
        'ù' | 'û' | 'ü' => 'u',
        'ç' => 'c',
        _ => c,
    }
}

/// Month words, lower case and unaccented, English then French, full and abbreviated.
const MONTH_WORDS: [(Month, &[&str]); 12] = [
    (Month::January, &["january", "jan", "janvier", "janv"]),
    (
        Month::February,
        &["february", "feb", "fevrier", "fevr", "fev"],
    ),
    (Month::March, &["march", "mar", "mars"]),
    (Month::April, &["april", "apr", "avril", "avr"]),
    (Month::May, &["may", "mai"]),
    (Month::June, &["june", "jun", "juin"]),
    (Month::July, &["july", "jul", "juillet", "juil"]),
    (Month::August, &["august", "aug", "aout"]),
    (Month::September, &["september", "sep", "sept", "septembre"]),
    (Month::October, &["october", "oct", "octobre"]),
    (Month::November, &["november", "nov", "novembre"]),
    (Month::December, &["december", "dec", "decembre"]),
];

/// Weekday words, lower case and unaccented, English then French; `mar` is also March.
const WEEKDAYS: [&[&str]; 7] = [
    &["monday", "mon", "lundi", "lun"],
    &["tuesday", "tue", "tues", "mardi", "mar"],
    &["wednesday", "wed", "mercredi", "mer"],
    &["thursday", "thu", "thur", "thurs", "jeudi", "jeu"],
    &["friday", "fri", "vendredi", "ven"],
    &["saturday", "sat", "samedi", "sam"],
    &["sunday", "sun", "dimanche", "dim"],
];

fn month_number(word: &str) -> Option<Month> {
    MONTH_WORDS
        .iter()
        .find_map(|&(month, words)| words.contains(&word).then_some(month))
}

/// `25`, `1er`, `1st`, `25th`.
fn day_number(word: &str) -> Option<u32> {
    let digits = word.bytes().take_while(|b| b.is_ascii_digit()).count();
    let suffix = &word[digits..];
    if !(1..=2).contains(&digits) || !matches!(suffix, "" | "er" | "st" | "nd" | "rd" | "th") {
        return None;
    }
    word[..digits].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const MDY: SlashOrder = SlashOrder::MonthFirst;
    const DMY: SlashOrder = SlashOrder::DayFirst;
    const YMD: SlashOrder = SlashOrder::YearFirst;

    fn ymd(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn numeric_dates_read_by_their_shape_and_the_order() {
        let nov25 = ymd(2026, 11, 25);
        for (s, order, want) in [
            ("2026-11-25", MDY, nov25),
            ("2026-11-25", DMY, nov25),
            (" 2026-11-25 ", YMD, nov25),
            ("2026-1-5", MDY, ymd(2026, 1, 5)),
            ("2026/11/25", MDY, nov25),
            ("2026/11/25", DMY, nov25),
            ("2026.11.25", DMY, nov25),
            ("11/25/2026", MDY, nov25),
            ("25/11/2026", DMY, nov25),
            ("11/25/26", MDY, nov25),
            ("25/11/26", DMY, nov25),
            ("26/11/25", YMD, nov25),
            ("01/02/2026", MDY, ymd(2026, 1, 2)),
            ("01/02/2026", DMY, ymd(2026, 2, 1)),
            ("1/2/2026", MDY, ymd(2026, 1, 2)),
            ("01/02/03", YMD, ymd(2001, 2, 3)),
            ("11-25-2026", MDY, nov25),
            ("25-11-2026", DMY, nov25),
            ("25.11.2026", MDY, nov25),
            ("25.11.2026", DMY, nov25),
            ("25.11.26", MDY, nov25),
            ("46351", MDY, nov25),
            ("46351.0", DMY, nov25),
        ] {
            assert_eq!(parse_date(s, order), Ok(want), "{s} {order:?}");
        }
    }

    #[test]
    fn month_names_read_in_english_and_french() {
        let nov25 = ymd(2026, 11, 25);
        for s in [
            "Nov 25, 2026",
            "Nov. 25, 2026",
            "November 25 2026",
            "NOVEMBER 25, 2026",
            "Nov 25th, 2026",
            "25-Nov-2026",
            "25-NOV-26",
            "25 nov. 2026",
            "25 Nov 2026",
            "25 November, 2026",
            "25 novembre 2026",
            "25/Nov/2026",
            "mercredi 25 novembre 2026",
            "Mercredi, 25 Novembre 2026",
            "mer. 25 nov. 2026",
            "Wed, Nov 25, 2026",
            "Wednesday, November 25, 2026",
        ] {
            for order in [MDY, DMY, YMD] {
                assert_eq!(parse_date(s, order), Ok(nov25), "{s} {order:?}");
            }
        }
        for (s, want) in [
            ("1er décembre 2026", ymd(2026, 12, 1)),
            ("1er decembre 2026", ymd(2026, 12, 1)),
            ("1 DÉC. 2026", ymd(2026, 12, 1)),
            ("3 février 2027", ymd(2027, 2, 3)),
            ("3 fevrier 2027", ymd(2027, 2, 3)),
            ("3 févr. 2027", ymd(2027, 2, 3)),
            ("14 août 2026", ymd(2026, 8, 14)),
            ("14 aout 2026", ymd(2026, 8, 14)),
            ("14 juil. 2026", ymd(2026, 7, 14)),
            ("2 juin 2026", ymd(2026, 6, 2)),
            ("5 janv. 2027", ymd(2027, 1, 5)),
            ("Mar 3, 2027", ymd(2027, 3, 3)),
            ("mar. 2 mars 2027", ymd(2027, 3, 2)),
            ("Sept 1st, 2026", ymd(2026, 9, 1)),
            ("May 2nd 2026", ymd(2026, 5, 2)),
        ] {
            assert_eq!(parse_date(s, MDY), Ok(want), "{s}");
        }
    }

    #[test]
    fn unreadable_dates_say_why() {
        for (s, order, why) in [
            ("", MDY, "is empty"),
            (
                "13/45/2026",
                MDY,
                "is not a real date read month-first (mdy)",
            ),
            ("11/25/2026", DMY, "is not a real date read day-first (dmy)"),
            (
                "11/25/2026",
                YMD,
                "is not a real date read year-first (ymd)",
            ),
            (
                "02/29/2027",
                MDY,
                "is not a real date read month-first (mdy)",
            ),
            (
                "2026-13-01",
                MDY,
                "is not a real date (read as year, month, day)",
            ),
            (
                "2026/25/11",
                DMY,
                "is not a real date (read as year, month, day)",
            ),
            (
                "11.25.2026",
                MDY,
                "is not a real date read day-first (a date with dots",
            ),
            (
                "Feb 29, 2027",
                MDY,
                "is not a real date (February 2027 has 28 days)",
            ),
            (
                "31 novembre 2026",
                MDY,
                "is not a real date (November 2026 has 30 days)",
            ),
            (
                "20261125",
                MDY,
                "is a number, not a date (Excel day numbers",
            ),
            (
                "tomorrow",
                MDY,
                "is not a date we understand (expected e.g. 2026-11-25, 11/25/2026, Nov 25, 2026 or 25 novembre 2026)",
            ),
            (
                "someday",
                DMY,
                "is not a date we understand (expected e.g. 2026-11-25, 25/11/2026,",
            ),
            ("Nov 25", MDY, "is not a date we understand"),
            ("Novembr 25, 2026", MDY, "is not a date we understand"),
            ("Nov 25, 226", MDY, "is not a date we understand"),
            ("1/2/3", MDY, "is not a date we understand"),
            ("11/25/2026/1", MDY, "is not a date we understand"),
            ("11/25-2026", MDY, "is not a date we understand"),
            ("2026-11-25 09:30", MDY, "is not a date we understand"),
            ("Tue Nov 25 2026 x", MDY, "is not a date we understand"),
        ] {
            let err = parse_date(s, order).unwrap_err();
            assert!(err.starts_with(why), "{s}: {err}");
        }
    }
}
