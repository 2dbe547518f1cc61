//! The CSV row rules of SPEC §4.1: header names, required columns, and what makes a row valid.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;

use crate::domain::datetime::SlashOrder;
use crate::domain::{datetime, phone};
use crate::mask;

pub const REQUIRED: [&str; 6] = [
    "appointment_id",
    "patient_id",
    "phone_number",
    "phone_preference",
    "text_preference",
    "appt_date_time",
];

/// "Appt Date/Time" → `appt_date_time`: lower-case, every run of non-alphanumerics one `_`.
pub fn normalise_header(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    let mut gap = false;
    for c in name.trim_start_matches('\u{feff}').chars() {
        if c.is_alphanumeric() {
            if gap && !out.is_empty() {
                out.push('_');
            }
            gap = false;
            out.extend(c.to_lowercase());
        } else {
            gap = true;
        }
    }
    out
}

/// Where each known column sits in a file's rows.
#[derive(Clone, Debug)]
pub struct Columns {
    pub appointment_id: usize,
    pub patient_id: usize,
    pub phone_number: usize,
    pub phone_preference: usize,
    pub text_preference: usize,
    pub appt_date_time: usize,
    pub appointment_msg: Option<usize>,
    pub language: Option<usize>,
}

impl Columns {
    /// Maps a header row, or says which required columns are missing.
    pub fn from_header<'a>(header: impl IntoIterator<Item = &'a str>) -> Result<Columns, String> {
        let names: Vec<String> = header.into_iter().map(normalise_header).collect();
        let find = |want: &str| names.iter().position(|n| n == want);
        let missing: Vec<&str> = REQUIRED
            .iter()
            .copied()
            .filter(|c| find(c).is_none())
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "the header row lacks the required column(s) {} (found: {})",
                missing.join(", "),
                names.join(", ")
            ));
        }
        let req = |c: &str| find(c).unwrap_or(usize::MAX);
        Ok(Columns {
            appointment_id: req("appointment_id"),
            patient_id: req("patient_id"),
            phone_number: req("phone_number"),
            phone_preference: req("phone_preference"),
            text_preference: req("text_preference"),
            appt_date_time: req("appt_date_time"),
            appointment_msg: find("appointment_msg"),
            language: find("language"),
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Language {
    En,
    Fr,
}

impl Language {
    pub fn code(self) -> &'static str {
        match self {
            Language::En => "en",
            Language::Fr => "fr",
        }
    }
    /// `fr` (any case) is French; anything else reads as English.
    pub fn from_code(s: &str) -> Language {
        if s.trim().eq_ignore_ascii_case("fr") {
            Language::Fr
        } else {
            Language::En
        }
    }
}

/// A row that passed every rule, normalised.
#[derive(Clone, Debug, PartialEq)]
pub struct Appointment {
    pub appointment_id: String,
    pub patient_id: String,
    pub phone_number: String,
    pub phone_preference: bool,
    pub text_preference: bool,
    pub at: DateTime<Utc>,
    pub message: String,
    pub language: Language,
}

pub struct Rules {
    pub tz: Tz,
    pub region: phonenumber::country::Id,
    pub slash: SlashOrder,
    pub now: DateTime<Utc>,
}

pub fn parse_bool(raw: &str) -> Option<bool> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "yes" | "y" | "true" | "1" => Some(true),
        "no" | "n" | "false" | "0" | "" => Some(false),
        _ => None,
    }
}

impl Rules {
    /// Checks one row against every rule; all the problems are reported together, one per field.
    pub fn check<'r>(
        &self,
        cols: &Columns,
        field: impl Fn(usize) -> Option<&'r str>,
    ) -> Result<Appointment, String> {
        let mut problems = Vec::new();
        let get = |i: usize| field(i).unwrap_or_default();
        let opt = |i: Option<usize>| i.and_then(&field).unwrap_or_default();

        let appointment_id = get(cols.appointment_id).trim().to_string();
        if appointment_id.is_empty() {
            problems.push("appointment_id is empty".to_string());
        }
        let patient_id = get(cols.patient_id).trim().to_string();
        if patient_id.is_empty() {
            problems.push("patient_id is empty".to_string());
        }
        let raw_phone = get(cols.phone_number);
        let phone_number = phone::parse_e164(raw_phone, self.region)
            .map_err(|why| {
                problems.push(format!(
                    "phone_number '{}' {why}",
                    mask::phone(raw_phone.trim())
                ))
            })
            .unwrap_or_default();
        let mut pref = |name: &str, raw: &str| {
            parse_bool(raw).unwrap_or_else(|| {
                problems.push(format!(
                    "{name} '{}' is not yes or no (accepted: yes/no, y/n, true/false, 1/0, empty for no)",
                    raw.trim()
                ));
                false
            })
        };
        let phone_preference = pref("phone_preference", get(cols.phone_preference));
        let text_preference = pref("text_preference", get(cols.text_preference));
        let raw_time = get(cols.appt_date_time);
        let at = match datetime::parse_appointment_time(raw_time, self.tz, self.slash) {
            Ok(at) if at <= self.now => {
                problems.push(format!(
                    "appt_date_time '{}' is already in the past",
                    raw_time.trim()
                ));
                None
            }
            Ok(at) => Some(at),
            Err(why) => {
                problems.push(format!("appt_date_time '{}' {why}", raw_time.trim()));
                None
            }
        };
        let raw_language = opt(cols.language).trim().to_ascii_lowercase();
        let language = match raw_language.as_str() {
            "" | "en" => Language::En,
            "fr" => Language::Fr,
            other => {
                problems.push(format!("language '{other}' is not en or fr"));
                Language::En
            }
        };
        match at {
            Some(at) if problems.is_empty() => Ok(Appointment {
                appointment_id,
                patient_id,
                phone_number,
                phone_preference,
                text_preference,
                at,
                message: opt(cols.appointment_msg).trim().to_string(),
                language,
            }),
            _ => Err(problems.join("; ")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::parse_db_time;

    #[test]
    fn headers_normalise() {
        assert_eq!(normalise_header("Appt Date/Time"), "appt_date_time");
        assert_eq!(normalise_header("\u{feff}Appointment ID"), "appointment_id");
        assert_eq!(normalise_header("  __Phone--Number__ "), "phone_number");
        assert_eq!(normalise_header("LANGUAGE"), "language");
    }

    #[test]
    fn missing_columns_are_named() {
        let err = Columns::from_header(["appointment_id", "Patient ID", "phone"]).unwrap_err();
        assert!(
            err.contains("phone_number, phone_preference, text_preference, appt_date_time"),
            "{err}"
        );
    }

    #[test]
    fn booleans() {
        for (raw, want) in [
            ("Yes", Some(true)),
            ("y", Some(true)),
            ("TRUE", Some(true)),
            ("1", Some(true)),
            ("no", Some(false)),
            ("N", Some(false)),
            ("false", Some(false)),
            ("0", Some(false)),
            ("", Some(false)),
            (" ", Some(false)),
            ("maybe", None),
            ("2", None),
        ] {
            assert_eq!(parse_bool(raw), want, "{raw:?}");
        }
    }

    fn rules() -> Rules {
        Rules {
            tz: chrono_tz::America::Toronto,
            region: phonenumber::country::Id::CA,
            slash: SlashOrder::MonthFirst,
            now: parse_db_time("2026-11-25T00:00:00Z").unwrap(),
        }
    }

    fn check(row: [&str; 8]) -> Result<Appointment, String> {
        let cols = Columns::from_header([
            "appointment_id",
            "patient_id",
            "phone_number",
            "phone_preference",
            "text_preference",
            "appt_date_time",
            "appointment_msg",
            "language",
        ])
        .unwrap();
        rules().check(&cols, |i| row.get(i).copied())
    }

    #[test]
    fn a_good_row_is_normalised() {
        let a = check([
            " A1 ",
            "P1",
            "(416) 555-0101",
            "Y",
            "",
            "2026-11-25 09:30",
            " Hi ",
            "FR",
        ])
        .unwrap();
        assert_eq!(a.appointment_id, "A1");
        assert_eq!(a.phone_number, "+14165550101");
        assert!(a.phone_preference && !a.text_preference);
        assert_eq!(a.at, parse_db_time("2026-11-25T14:30:00Z").unwrap());
        assert_eq!(a.message, "Hi");
        assert_eq!(a.language, Language::Fr);
    }

    #[test]
    fn each_rule_has_a_reason() {
        let base = [
            "A1",
            "P1",
            "416-555-0101",
            "y",
            "n",
            "2026-11-25 09:30",
            "",
            "en",
        ];
        let cases: [(usize, &str, &str); 8] = [
            (0, "  ", "appointment_id is empty"),
            (1, "", "patient_id is empty"),
            (
                2,
                "555-1234",
                "phone_number '***1234' is not a valid phone number",
            ),
            (3, "maybe", "phone_preference 'maybe' is not yes or no"),
            (
                4,
                "sometimes",
                "text_preference 'sometimes' is not yes or no",
            ),
            (
                5,
                "2026-11-24 09:30",
                "appt_date_time '2026-11-24 09:30' is already in the past",
            ),
            (
                5,
                "soon",
                "appt_date_time 'soon' is not a date and time we understand",
            ),
            (7, "de", "language 'de' is not en or fr"),
        ];
        for (i, value, reason) in cases {
            let mut row = base;
            row[i] = value;
            let err = check(row).unwrap_err();
            assert!(err.contains(reason), "{value:?}: {err}");
        }
        let err = check(["", "", "x", "y", "n", "2026-11-25 09:30", "", "en"]).unwrap_err();
        assert_eq!(err.matches("; ").count(), 2, "{err}");
    }
}
