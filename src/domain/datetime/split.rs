//! An appointment given as a date column and a time column (`appt_date` + `appt_time`).
//! Excel types every cell as a date-time, so each column may carry the other's half: a date cell
//! exports with a midnight (`11/25/2026 12:00:00 AM`), and Access writes a time cell on Excel's
//! day zero (`12/30/1899 9:30:00 AM`). Those halves are dropped; any other must agree.

use std::fmt;

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use chrono_tz::Tz;

use super::{SlashOrder, Unread, local, parse_date, parse_time, to_instant};

/// Which column is wrong, its value (trimmed) and why; `Display` gives the whole sentence a
/// failed row shows ("appt_date '13/45/2026' is not a real date read month-first (mdy)").
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SplitError {
    Date {
        raw: String,
        why: String,
    },
    Time {
        raw: String,
        why: String,
    },
    /// Neither column reads: both are named, so one fix mends the row.
    Both {
        date_raw: String,
        date_why: String,
        time_raw: String,
        time_why: String,
    },
    /// Both columns read, but together they name no instant (a spring-forward gap).
    Instant {
        date: String,
        time: String,
        why: String,
    },
}

impl fmt::Display for SplitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SplitError::Date { raw, why } => write!(f, "appt_date '{raw}' {why}"),
            SplitError::Time { raw, why } => write!(f, "appt_time '{raw}' {why}"),
            SplitError::Both {
                date_raw,
                date_why,
                time_raw,
                time_why,
            } => write!(
                f,
                "appt_date '{date_raw}' {date_why}; appt_time '{time_raw}' {time_why}"
            ),
            SplitError::Instant { date, time, why } => {
                write!(f, "appt_date '{date}' with appt_time '{time}' {why}")
            }
        }
    }
}

impl std::error::Error for SplitError {}

/// The instant a date column and a time column name together, local to `tz` with the same
/// daylight-saving rules as `parse_appointment_time`.
pub fn parse_split(
    date_raw: &str,
    time_raw: &str,
    tz: Tz,
    order: SlashOrder,
) -> Result<DateTime<Utc>, SplitError> {
    let (date_raw, time_raw) = (date_raw.trim(), time_raw.trim());
    let date_err = |why| SplitError::Date {
        raw: date_raw.to_string(),
        why,
    };
    let time_err = |why| SplitError::Time {
        raw: time_raw.to_string(),
        why,
    };
    let (date, time_in_date, date_in_time, time) =
        match (date_column(date_raw, order), time_column(time_raw, order)) {
            (Ok((date, t)), Ok((d, time))) => (date, t, d, time),
            (Err(date_why), Err(time_why)) => {
                return Err(SplitError::Both {
                    date_raw: date_raw.to_string(),
                    date_why,
                    time_raw: time_raw.to_string(),
                    time_why,
                });
            }
            (Err(why), _) => return Err(date_err(why)),
            (_, Err(why)) => return Err(time_err(why)),
        };
    if let Some(other) = time_in_date.filter(|&t| t != NaiveTime::MIN && t != time) {
        return Err(date_err(format!(
            "carries a time ({}) that is not appt_time's ({})",
            other.format("%H:%M"),
            time.format("%H:%M")
        )));
    }
    if let Some(other) = date_in_time.filter(|&d| Some(d) != excel_day_zero() && d != date) {
        return Err(time_err(format!(
            "carries a date ({other}) that is not appt_date's ({date})"
        )));
    }
    to_instant(date.and_time(time), tz).map_err(|why| SplitError::Instant {
        date: date_raw.to_string(),
        time: time_raw.to_string(),
        why,
    })
}

/// The date, and the time if the column carries one too.
fn date_column(s: &str, order: SlashOrder) -> Result<(NaiveDate, Option<NaiveTime>), String> {
    let why = match parse_date(s, order) {
        Ok(date) => return Ok((date, None)),
        Err(why) => why,
    };
    match local(s, order) {
        Ok(naive) => Ok((naive.date(), Some(naive.time()))),
        // A date and a time, one of them wrong: say which.
        Err(unread @ Unread::Part { .. }) => Err(unread.reason()),
        Err(Unread::Whole(_)) => Err(why),
    }
}

/// The time, and the date if the column carries one too.
fn time_column(s: &str, order: SlashOrder) -> Result<(Option<NaiveDate>, NaiveTime), String> {
    let why = match parse_time(s) {
        Ok(time) => return Ok((None, time)),
        Err(why) => why,
    };
    match local(s, order) {
        Ok(naive) => Ok((Some(naive.date()), naive.time())),
        Err(unread @ Unread::Part { what: "time", .. }) => Err(unread.reason()),
        Err(_) => Err(why),
    }
}

/// 1899-12-30: Excel's day 0 as Access, LibreOffice and most converters write it, the date part
/// of a time-only cell.
fn excel_day_zero() -> Option<NaiveDate> {
    NaiveDate::from_ymd_opt(1899, 12, 30)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::America::Toronto;

    const MDY: SlashOrder = SlashOrder::MonthFirst;
    const DMY: SlashOrder = SlashOrder::DayFirst;

    fn utc(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn a_date_column_and_a_time_column_name_one_instant() {
        let nine_thirty = utc("2026-11-25T14:30:00Z");
        for (date, time, order) in [
            ("2026-11-25", "09:30", MDY),
            (" 2026-11-25 ", " 9:30 AM ", DMY),
            ("11/25/2026", "9:30 AM", MDY),
            ("25/11/2026", "09:30:00", DMY),
            ("25/11/26", "9 h 30", DMY),
            ("25.11.2026", "9h30", MDY),
            ("Nov 25, 2026", "9:30 a.m.", MDY),
            ("25 novembre 2026", "9 h 30", MDY),
            ("mercredi 25 novembre 2026", "09:30", DMY),
            ("46351", "0.395833", MDY),
            ("46351.0", "0.395833", DMY),
            // Excel's midnight on a date cell, in either of its spellings.
            ("11/25/2026 12:00:00 AM", "9:30 AM", MDY),
            ("25/11/2026 00:00", "9:30", DMY),
            ("2026-11-25 00:00:00", "09:30:00", MDY),
            // A full date-time in both columns, agreeing.
            ("11/25/2026 9:30 AM", "9:30 AM", MDY),
            ("46351.395833", "09:30", MDY),
            // A time cell on Excel's day zero, or on the appointment's own day.
            ("11/25/2026", "12/30/1899 9:30:00 AM", MDY),
            ("2026-11-25", "1899-12-30 09:30:00", DMY),
            ("2026-11-25", "2026-11-25 09:30", MDY),
            ("2026-11-25", "46351.395833", MDY),
        ] {
            assert_eq!(
                parse_split(date, time, Toronto, order),
                Ok(nine_thirty),
                "{date} + {time}"
            );
        }
    }

    #[test]
    fn daylight_saving_rules_hold_for_split_columns() {
        let gap = parse_split("2026-03-08", "2:30 AM", Toronto, MDY).unwrap_err();
        assert_eq!(
            gap.to_string(),
            "appt_date '2026-03-08' with appt_time '2:30 AM' does not exist in America/Toronto \
             (the clocks skip that hour for daylight saving time)"
        );
        for (date, time) in [("2026-11-01", "01:30"), ("11/01/2026", "1:30 AM")] {
            assert_eq!(
                parse_split(date, time, Toronto, MDY),
                Ok(utc("2026-11-01T05:30:00Z")),
                "{date} + {time}"
            );
        }
    }

    #[test]
    fn the_wrong_column_is_named() {
        for (date, time, order, want) in [
            ("", "9:30", MDY, "appt_date '' is empty"),
            ("", "", MDY, "appt_date '' is empty; appt_time '' is empty"),
            (
                "13/45/2026",
                "930",
                MDY,
                "appt_date '13/45/2026' is not a real date read month-first (mdy); appt_time \
                 '930' is a bare number, not a time (expected e.g. 9:30, 14:30:00, 9:30 AM or \
                 9 h 30)",
            ),
            ("2026-11-25", " ", MDY, "appt_time '' is empty"),
            (
                "13/45/2026",
                "9:30",
                MDY,
                "appt_date '13/45/2026' is not a real date read month-first (mdy)",
            ),
            (
                "11/25/2026",
                "9:30",
                DMY,
                "appt_date '11/25/2026' is not a real date read day-first (dmy)",
            ),
            (
                "11/25/2026 12:00:00 AM",
                "9:30",
                DMY,
                "appt_date '11/25/2026 12:00:00 AM' has a date part '11/25/2026' that is not a \
                 real date read day-first (dmy)",
            ),
            (
                "20261125",
                "9:30",
                MDY,
                "appt_date '20261125' is a number, not a date (Excel day numbers are read from \
                 36526 (2000-01-01) to 73050 (2099-12-31))",
            ),
            (
                "2026-11-25",
                "930",
                MDY,
                "appt_time '930' is a bare number, not a time (expected e.g. 9:30, 14:30:00, \
                 9:30 AM or 9 h 30)",
            ),
            (
                "2026-11-25",
                "1899-12-30 25:00",
                MDY,
                "appt_time '1899-12-30 25:00' has a time part '25:00' that is not a real time \
                 (hours 0 to 23, minutes and seconds 0 to 59)",
            ),
            (
                "11/25/2026 9:30 AM",
                "10:00",
                MDY,
                "appt_date '11/25/2026 9:30 AM' carries a time (09:30) that is not appt_time's \
                 (10:00)",
            ),
            (
                "2026-11-25",
                "2026-11-26 09:30",
                MDY,
                "appt_time '2026-11-26 09:30' carries a date (2026-11-26) that is not \
                 appt_date's (2026-11-25)",
            ),
        ] {
            let err = parse_split(date, time, Toronto, order).unwrap_err();
            assert_eq!(err.to_string(), want, "{date} + {time}");
        }
    }
}
