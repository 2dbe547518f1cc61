//! The rules one export row must pass (docs/exports.md): ids, a phone number to reach, preferences,
//! the appointment's time in its site's zone, language; a row whose status says cancelled
//! withdraws an appointment instead. Every problem of a row is reported together, each naming
//! its field.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::domain::channel::{self, Channel, DefaultChannel};
use crate::domain::columns::{Columns, PhoneColumn, When, named_field};
use crate::domain::datetime::{self, SlashOrder, SplitError};
use crate::domain::languages::Languages;
use crate::domain::phone;
use crate::domain::sites::SiteTable;
use crate::domain::values::{StatusWord, Words};

pub use crate::domain::languages::Language;

/// How a row in a text-only language (no `<Say>` language in its pack) is reached when a call
/// was asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SpokenFallback {
    /// By text instead.
    Texted,
    /// The number takes no texts: called in the default language instead of this one.
    CalledInDefault(Language),
}

/// A row that passed every rule, normalised.
#[derive(Clone, Debug, PartialEq)]
pub struct Appointment {
    pub appointment_id: String,
    pub patient_id: String,
    pub phone_number: String,
    pub phone_preference: bool,
    pub text_preference: bool,
    pub channel: Channel,
    pub at: DateTime<Utc>,
    /// The appointment's date in its site's zone (the import summary counts by it).
    pub local_date: NaiveDate,
    pub message: String,
    pub language: Language,
    /// The language cell when it named no language we speak (the row is kept, in the default
    /// language).
    pub unknown_language: Option<String>,
    /// The row's language is text-only and a call was asked for: what was done instead.
    pub spoken_fallback: Option<SpokenFallback>,
    pub site: String,
    /// What the appointment is, for matching a freed slot with a waiting patient: the
    /// export's values, when it has those columns and they are not empty.
    pub provider: Option<String>,
    pub visit_type: Option<String>,
    pub duration_minutes: Option<i64>,
    /// The row's other columns as JSON (`{"provider": "Dr. Li"}`), when it has any.
    pub data: Option<String>,
}

/// What a row asks for.
#[derive(Clone, Debug, PartialEq)]
pub enum Verdict {
    Keep(Box<Appointment>),
    /// The clinic's system says the appointment was cancelled (by the clinic, or not saying by
    /// whom) or missed: the stored appointment changes, the row is not stored.
    Cancel {
        appointment_id: String,
        patient_id: String,
        news: StatusWord,
    },
    /// The row cannot be used; every reason, each naming its field.
    Fail(String),
}

pub struct RowContext<'a> {
    pub columns: &'a Columns,
    pub words: &'a Words,
    pub sites: &'a SiteTable,
    pub region: phonenumber::country::Id,
    pub order: SlashOrder,
    pub now: DateTime<Utc>,
    pub default_channel: DefaultChannel,
    pub languages: &'a Languages,
}

/// An id as a person sees it: surrounding spaces, control characters and invisible
/// (zero-width) characters removed, so `A1`, `A1\0` and `A1\u{200b}` are one appointment.
pub fn clean_id(raw: &str) -> String {
    // Printable ASCII (nearly every id) has nothing to strip but spaces.
    if raw.bytes().all(|b| (0x20..0x7f).contains(&b)) {
        return raw.trim().to_string();
    }
    raw.chars()
        .filter(|c| !c.is_control() && !is_invisible(*c))
        .collect::<String>()
        .trim()
        .to_string()
}

fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{00AD}' | '\u{180E}'
    )
}

/// The phone number in a cell, with Excel's damage undone where it can be (`4165550101.0`,
/// `'4165550101`) and named where it cannot (scientific notation has lost digits).
pub fn read_phone(raw: &str, region: phonenumber::country::Id) -> Result<String, String> {
    let t = raw.trim().trim_start_matches('\'');
    if is_scientific(t) {
        return Err(format!(
            "Excel shortened this number to {t}: format the column as text and export again"
        ));
    }
    let t = match t.strip_suffix(".0") {
        Some(digits) if !digits.is_empty() && digits.chars().all(|c| c.is_ascii_digit()) => digits,
        _ => t,
    };
    phone::parse_e164(t, region)
}

/// The longest visit a duration may name: a day.
const MAX_DURATION_MINUTES: i64 = 24 * 60;

/// A visit's length in whole minutes (`30`, `30.0` as Excel writes it, `30 min`), `None` when
/// the cell is empty, or why it is not one.
pub fn read_duration(raw: &str) -> Result<Option<i64>, String> {
    let t = raw.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let lower = t.to_ascii_lowercase();
    let number = ["minutes", "minute", "mins", "min", "m"]
        .iter()
        .find_map(|unit| lower.strip_suffix(unit))
        .unwrap_or(&lower)
        .trim_end();
    let number = match number.strip_suffix(".0") {
        Some(n) if !n.is_empty() => n,
        _ => number,
    };
    match number.parse::<i64>() {
        Ok(n) if (1..=MAX_DURATION_MINUTES).contains(&n) && !number.starts_with('+') => Ok(Some(n)),
        Ok(_) => Err(format!(
            "is not a duration from 1 to {MAX_DURATION_MINUTES} minutes"
        )),
        Err(_) => Err("is not a whole number of minutes (e.g. 30)".into()),
    }
}

/// A cell's text, trimmed, when it holds any.
pub fn non_empty(raw: &str) -> Option<String> {
    let t = raw.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// `1.41656E+10`, `4,16556e+09`: how Excel shows a long number in a General column.
fn is_scientific(s: &str) -> bool {
    let Some((mantissa, exp)) = s.split_once(['E', 'e']) else {
        return false;
    };
    let exp = exp.strip_prefix('+').unwrap_or(exp);
    !mantissa.is_empty()
        && mantissa
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == ',')
        && mantissa.chars().any(|c| c.is_ascii_digit())
        && !exp.is_empty()
        && exp.chars().all(|c| c.is_ascii_digit())
}

impl RowContext<'_> {
    /// Checks one row; `field(i)` is column `i`'s text (`None` past the row's end: a short row
    /// reads its missing trailing fields as empty).
    pub fn check<'r>(&self, field: impl Fn(usize) -> Option<&'r str>) -> Verdict {
        let c = self.columns;
        let get = |i: usize| field(i).unwrap_or_default();
        let opt = |i: Option<usize>| i.map(get).unwrap_or_default();
        let named = |i: usize, what: &str| named_field(&c.keys, &c.names, i, what);
        let mut problems = Vec::new();

        let patient_id = clean_id(get(c.patient_id));
        if patient_id.is_empty() {
            problems.push(format!("{} is empty", named(c.patient_id, "patient_id")));
        }
        let given_id = c.appointment_id.map(|i| clean_id(get(i)));
        if let (Some(i), Some("")) = (c.appointment_id, given_id.as_deref()) {
            problems.push(format!("{} is empty", named(i, "appointment_id")));
        }

        let site = match self.sites.pick(c.clinic.map(get)) {
            Ok((key, tz)) => Some((key, tz)),
            Err(why) => {
                problems.push(why);
                None
            }
        };
        let tz = site.map_or_else(|| self.sites.zone(""), |(_, tz)| tz);
        let at = self
            .when(&get, tz, &named)
            .map_err(|why| problems.push(why))
            .ok();

        // Cancelled or missed in the clinic's system: only the ids matter (a missed visit is in
        // the past, which a row to store may not be).
        if let Some(news) = c.status.and_then(|i| self.words.status_word(get(i))) {
            let appointment_id = match (given_id, at) {
                (Some(id), _) => Some(id),
                (None, Some(at)) => Some(synthetic_id(&patient_id, at, tz)),
                (None, None) => None,
            };
            return match appointment_id {
                Some(appointment_id) if !appointment_id.is_empty() && !patient_id.is_empty() => {
                    Verdict::Cancel {
                        appointment_id,
                        patient_id,
                        news,
                    }
                }
                _ => Verdict::Fail(problems.join("; ")),
            };
        }
        if let Some(at) = at
            && at <= self.now
        {
            let fields = match c.when {
                When::DateTime(i) => named(i, "appt_date_time"),
                When::Split { date, time } => {
                    format!(
                        "{} and {}",
                        named(date, "appt_date"),
                        named(time, "appt_time")
                    )
                }
                When::Missing => "appt_date_time".to_string(),
            };
            problems.push(format!(
                "{fields}: the appointment time {} is already in the past",
                at.with_timezone(&tz).format("%Y-%m-%d %H:%M")
            ));
        }

        let phone = self
            .phone(&get, &named)
            .map_err(|why| problems.push(why))
            .ok();
        let mut pref = |i: Option<usize>, what: &str| -> bool {
            let Some(i) = i else { return false };
            let raw = get(i);
            self.words.yes_no(raw).unwrap_or_else(|| {
                problems.push(format!(
                    "{} '{}' is not yes or no (accepted: {})",
                    named(i, what),
                    raw.trim(),
                    self.words.accepted()
                ));
                false
            })
        };
        let phone_preference = pref(c.phone_preference, "phone_preference");
        let text_preference = pref(c.text_preference, "text_preference");

        let duration_minutes = c.duration_minutes.and_then(|i| {
            read_duration(get(i))
                .map_err(|why| {
                    problems.push(format!(
                        "{} '{}' {why}",
                        named(i, "duration_minutes"),
                        get(i).trim()
                    ))
                })
                .ok()
                .flatten()
        });

        let raw_language = opt(c.language);
        let (mut language, unknown_language) = match self.languages.resolve(raw_language) {
            Some(l) => (l, None),
            None => (
                self.languages.default_pack().code,
                Some(raw_language.trim().to_string()),
            ),
        };

        let (Some(at), Some((number, call_only)), Some((site, _)), true) =
            (at, phone, site, problems.is_empty())
        else {
            return Verdict::Fail(problems.join("; "));
        };
        let mut channel = channel::choose(text_preference, phone_preference, self.default_channel);
        if call_only && channel == Channel::Sms {
            channel = Channel::Call;
        }
        let mut spoken_fallback = None;
        if channel == Channel::Call && self.languages.pack(language).say_language().is_none() {
            if call_only {
                spoken_fallback = Some(SpokenFallback::CalledInDefault(language));
                language = self.languages.default_pack().code;
            } else {
                channel = Channel::Sms;
                spoken_fallback = Some(SpokenFallback::Texted);
            }
        }
        let appointment_id = given_id.unwrap_or_else(|| synthetic_id(&patient_id, at, tz));
        Verdict::Keep(Box::new(Appointment {
            appointment_id,
            patient_id,
            phone_number: number,
            phone_preference,
            text_preference,
            channel,
            at,
            local_date: at.with_timezone(&tz).date_naive(),
            message: opt(c.appointment_msg).trim().to_string(),
            language,
            unknown_language,
            spoken_fallback,
            site: site.to_string(),
            provider: c.provider.and_then(|i| non_empty(get(i))),
            visit_type: c.visit_type.and_then(|i| non_empty(get(i))),
            duration_minutes,
            data: self.data(&get),
        }))
    }

    fn when<'r>(
        &self,
        get: &impl Fn(usize) -> &'r str,
        tz: Tz,
        named: &impl Fn(usize, &str) -> String,
    ) -> Result<DateTime<Utc>, String> {
        match self.columns.when {
            When::DateTime(i) => datetime::parse_appointment_time(get(i), tz, self.order)
                .map_err(|why| format!("{} '{}' {why}", named(i, "appt_date_time"), get(i).trim())),
            When::Split { date, time } => {
                datetime::parse_split(get(date), get(time), tz, self.order).map_err(|e| {
                    // Each part under the column it came from.
                    let (d, t) = (named(date, "appt_date"), named(time, "appt_time"));
                    match e {
                        SplitError::Date { raw, why } => format!("{d} '{raw}' {why}"),
                        SplitError::Time { raw, why } => format!("{t} '{raw}' {why}"),
                        SplitError::Both {
                            date_raw,
                            date_why,
                            time_raw,
                            time_why,
                        } => format!("{d} '{date_raw}' {date_why}; {t} '{time_raw}' {time_why}"),
                        SplitError::Instant { date, time, why } => {
                            format!("{d} '{date}' with {t} '{time}' {why}")
                        }
                    }
                })
            }
            When::Missing => Err("the file has no appointment time column".into()),
        }
    }

    /// The first phone column with a valid number, and whether it may only be called; or why
    /// none has one.
    fn phone<'r>(
        &self,
        get: &impl Fn(usize) -> &'r str,
        named: &impl Fn(usize, &str) -> String,
    ) -> Result<(String, bool), String> {
        let mut why = Vec::new();
        for PhoneColumn { index, call_only } in &self.columns.phones {
            let raw = get(*index);
            if raw.trim().is_empty() {
                continue;
            }
            match read_phone(raw, self.region) {
                Ok(number) => return Ok((number, *call_only)),
                Err(reason) => why.push(format!(
                    "{} '{}' {reason}",
                    named(*index, "phone_number"),
                    raw.trim()
                )),
            }
        }
        if why.is_empty() {
            let phones = &self.columns.phones;
            why.push(match phones.as_slice() {
                [one] => format!("{} is empty", named(one.index, "phone_number")),
                _ => {
                    let names: Vec<String> = phones
                        .iter()
                        .map(|p| {
                            let name = self.columns.names.get(p.index).map_or("", |n| n.trim());
                            format!("\"{name}\"")
                        })
                        .collect();
                    format!(
                        "phone_number is empty in every column it is read from ({})",
                        names.join(", ")
                    )
                }
            });
        }
        Err(why.join("; "))
    }

    /// The row's columns kept as data (`Columns::data`): their values as a JSON array, in the
    /// order of `Columns::data` (the import keeps their names once, `imports.data_keys`).
    /// Written by hand: through `serde_json::Value` it cost more than the rest of a mapped
    /// row's checks, on every row of the file.
    fn data<'r>(&self, get: &impl Fn(usize) -> &'r str) -> Option<String> {
        let columns = &self.columns.data;
        if columns.is_empty() {
            return None;
        }
        let mut out = String::with_capacity(2 + columns.len() * 12);
        out.push('[');
        for (n, &i) in columns.iter().enumerate() {
            if n > 0 {
                out.push(',');
            }
            json_string(&mut out, get(i));
        }
        out.push(']');
        Some(out)
    }
}

/// `s` as a JSON string, escaped as serde_json escapes it.
fn json_string(out: &mut String, s: &str) {
    out.push('"');
    // Whether anything needs escaping, without stopping early (so it compiles to a few wide
    // compares): nearly no cell does.
    let plain = !s.bytes().fold(false, |any, b| {
        any | (b < 0x20) | (b == b'"') | (b == b'\\')
    });
    if plain {
        out.push_str(s);
        out.push('"');
        return;
    }
    let mut done = 0;
    for (i, b) in s.bytes().enumerate() {
        let escaped = match b {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0x08 => "\\b",
            0x0c => "\\f",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&s[done..i]);
        if escaped.is_empty() {
            out.push_str(&format!("\\u{b:04x}"));
        } else {
            out.push_str(escaped);
        }
        done = i + 1;
    }
    out.push_str(&s[done..]);
    out.push('"');
}

/// The id of an appointment in an export that has none: the patient and the local time.
fn synthetic_id(patient_id: &str, at: DateTime<Utc>, tz: Tz) -> String {
    format!(
        "{patient_id}@{}",
        at.with_timezone(&tz).format("%Y-%m-%d %H:%M")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::parse_db_time;
    use crate::domain::columns::{Mapping, resolve};

    fn header(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|c| c.to_string()).collect()
    }

    const FULL: [&str; 8] = [
        "appointment_id",
        "patient_id",
        "phone_number",
        "phone_preference",
        "text_preference",
        "appt_date_time",
        "appointment_msg",
        "language",
    ];

    fn check_with(cols: &Columns, sites: &SiteTable, row: &[&str]) -> Verdict {
        let words = Words::default();
        let languages = Languages::built_in();
        let rules = RowContext {
            columns: cols,
            words: &words,
            sites,
            region: phonenumber::country::Id::CA,
            order: SlashOrder::MonthFirst,
            now: parse_db_time("2026-11-25T00:00:00Z").unwrap(),
            default_channel: DefaultChannel::Call,
            languages: &languages,
        };
        rules.check(|i| row.get(i).copied())
    }

    fn check(row: &[&str]) -> Verdict {
        let cols = resolve(&header(&FULL), &Mapping::default()).unwrap();
        check_with(&cols, &SiteTable::single(chrono_tz::America::Toronto), row)
    }

    fn kept(v: Verdict) -> Appointment {
        match v {
            Verdict::Keep(a) => *a,
            other => panic!("not kept: {other:?}"),
        }
    }

    fn failed(v: Verdict) -> String {
        match v {
            Verdict::Fail(why) => why,
            other => panic!("not failed: {other:?}"),
        }
    }

    #[test]
    fn a_good_row_is_normalised() {
        let a = kept(check(&[
            " A1\u{200b} ",
            "P1\0",
            "(416) 555-0101",
            "Y",
            "",
            "2026-11-25 09:30",
            " Hi ",
            "Français",
        ]));
        assert_eq!(
            (a.appointment_id.as_str(), a.patient_id.as_str()),
            ("A1", "P1")
        );
        assert_eq!(a.phone_number, "+14165550101");
        assert_eq!(a.channel, Channel::Call);
        assert_eq!(a.at, parse_db_time("2026-11-25T14:30:00Z").unwrap());
        assert_eq!(a.local_date.to_string(), "2026-11-25");
        assert_eq!((a.message.as_str(), a.language), ("Hi", Language::FR));
        assert_eq!(a.data, None);
    }

    #[test]
    fn each_rule_has_a_reason_naming_its_field() {
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
                "phone_number '555-1234' is not a valid phone number",
            ),
            (
                2,
                "1.41656E+10",
                "Excel shortened this number to 1.41656E+10",
            ),
            (
                3,
                "maybe",
                "phone_preference 'maybe' is not yes or no (accepted: yes: yes/y",
            ),
            (
                4,
                "sometimes",
                "text_preference 'sometimes' is not yes or no",
            ),
            (
                5,
                "2026-11-24 09:30",
                "appt_date_time: the appointment time 2026-11-24 09:30 is already in the past",
            ),
            (
                5,
                "soon",
                "appt_date_time 'soon' is not a date and time we understand",
            ),
        ];
        for (i, value, reason) in cases {
            let mut row = base;
            row[i] = value;
            let why = failed(check(&row));
            assert!(why.contains(reason), "{value:?}: {why}");
        }
        let why = failed(check(&[
            "",
            "",
            "x",
            "y",
            "n",
            "2026-11-25 09:30",
            "",
            "en",
        ]));
        assert_eq!(why.matches("; ").count(), 2, "{why}");
    }

    #[test]
    fn excel_numbers_and_languages_never_reject() {
        let mut row = [
            "A1",
            "P1",
            "4165550101.0",
            "",
            "yes",
            "2026-11-25 09:30",
            "",
            "Klingon",
        ];
        let a = kept(check(&row));
        assert_eq!(a.phone_number, "+14165550101");
        assert_eq!(a.channel, Channel::Sms);
        assert_eq!(
            (a.language, a.unknown_language.as_deref()),
            (Language::EN, Some("Klingon"))
        );
        row[7] = "Spanish";
        assert_eq!(
            (
                kept(check(&row)).language,
                kept(check(&row)).unknown_language
            ),
            (Language::ES, None)
        );
        row[2] = "'4165550101";
        assert_eq!(kept(check(&row)).phone_number, "+14165550101");
    }

    #[test]
    fn a_mapped_export_with_split_time_a_phone_list_and_landlines() {
        let mut m = Mapping::default();
        m.map(crate::domain::columns::Field::PatientId, &["PatNum".into()]);
        m.map(
            crate::domain::columns::Field::PhoneNumber,
            &["WirelessPhone".into(), "HmPhone".into()],
        );
        m.map(
            crate::domain::columns::Field::TextPreference,
            &["TxtMsgOk".into()],
        );
        m.map(
            crate::domain::columns::Field::ApptDate,
            &["Appt Date".into()],
        );
        m.map(
            crate::domain::columns::Field::ApptTime,
            &["Appt Time".into()],
        );
        m.set_call_only(&["HmPhone".into()]);
        let cols = resolve(
            &header(&[
                "PatNum",
                "WirelessPhone",
                "HmPhone",
                "TxtMsgOk",
                "Appt Date",
                "Appt Time",
                "Provider",
            ]),
            &m,
        )
        .unwrap();
        let sites = SiteTable::single(chrono_tz::America::Toronto);
        let a = kept(check_with(
            &cols,
            &sites,
            &[
                "P9",
                "",
                "416-555-0109",
                "Yes",
                "11/25/2026",
                "9:30 AM",
                "Dr. Li",
            ],
        ));
        // No appointment id column: the patient and the local time make one.
        assert_eq!(a.appointment_id, "P9@2026-11-25 09:30");
        // A landline from a call-only column is called even when texts are allowed.
        assert_eq!(
            (a.phone_number.as_str(), a.channel),
            ("+14165550109", Channel::Call)
        );
        // Every column is data but those read under their field's own name (Appt Date, Appt
        // Time): mapped ones too, under their own headers (kept once, by the import), the
        // values in that order.
        let keys: Vec<&str> = cols.data.iter().map(|&i| cols.keys[i].as_str()).collect();
        assert_eq!(
            keys,
            ["hmphone", "patnum", "provider", "txtmsgok", "wirelessphone"]
        );
        assert_eq!(
            a.data.as_deref(),
            Some(r#"["416-555-0109","P9","Dr. Li","Yes",""]"#)
        );
        let why = failed(check_with(
            &cols,
            &sites,
            &["P9", "", "", "Yes", "13/45/2026", "9:30 AM", ""],
        ));
        assert!(
            why.contains("appt_date '13/45/2026' is not a real date read month-first"),
            "{why}"
        );
        assert!(
            why.contains(
                "phone_number is empty in every column it is read from (\"WirelessPhone\", \"HmPhone\")"
            ),
            "{why}"
        );
    }

    #[test]
    fn cancelled_rows_and_sites() {
        let cols = resolve(
            &header(&[
                "appointment_id",
                "patient_id",
                "phone_number",
                "appt_date_time",
                "status",
                "clinic",
            ]),
            &Mapping::default(),
        )
        .unwrap();
        let mut sites = SiteTable::single(chrono_tz::America::Toronto);
        sites.add("west", &["Kitsilano".into()], chrono_tz::America::Vancouver);
        let v = check_with(&cols, &sites, &["A1", "P1", "", "", "Annulé", ""]);
        assert_eq!(
            v,
            Verdict::Cancel {
                appointment_id: "A1".into(),
                patient_id: "P1".into(),
                news: StatusWord::Cancelled,
            }
        );
        let a = kept(check_with(
            &cols,
            &sites,
            &[
                "A2",
                "P2",
                "604-555-0102",
                "2026-11-25 09:30",
                "Booked",
                "kitsilano",
            ],
        ));
        // Read in the site's own zone.
        assert_eq!(
            (a.site.as_str(), a.at),
            ("west", parse_db_time("2026-11-25T17:30:00Z").unwrap())
        );
        let why = failed(check_with(
            &cols,
            &sites,
            &[
                "A3",
                "P3",
                "604-555-0103",
                "2026-11-25 09:30",
                "",
                "Danforth",
            ],
        ));
        assert!(
            why.contains("clinic 'Danforth' names no configured site"),
            "{why}"
        );
    }

    #[test]
    fn what_the_appointment_is_for_a_freed_slot() {
        let cols = resolve(
            &header(&[
                "patient_id",
                "phone_number",
                "appt_date_time",
                "Provider",
                "Visit Type",
                "Duration (minutes)",
            ]),
            &Mapping::default(),
        )
        .unwrap();
        assert_eq!(
            (cols.provider, cols.visit_type, cols.duration_minutes),
            (Some(3), Some(4), Some(5))
        );
        let sites = SiteTable::single(chrono_tz::America::Toronto);
        let row = |duration: &'static str| {
            [
                "P1",
                "416-555-0101",
                "2026-11-25 09:30",
                " Dr. Li ",
                "",
                duration,
            ]
        };
        let a = kept(check_with(&cols, &sites, &row("45")));
        assert_eq!(
            (a.provider.as_deref(), a.visit_type, a.duration_minutes),
            (Some("Dr. Li"), None, Some(45))
        );
        assert_eq!(
            kept(check_with(&cols, &sites, &row(""))).duration_minutes,
            None
        );
        let why = failed(check_with(&cols, &sites, &row("an hour")));
        assert_eq!(
            why,
            "duration_minutes 'an hour' is not a whole number of minutes (e.g. 30)"
        );
    }

    #[test]
    fn data_json_is_escaped_as_serde_json_escapes_it() {
        for s in [
            "",
            "plain",
            "Hélène \"Lena\" O'Neil",
            "back\\slash / slash",
            "tab\tnew\nline\rcr\u{8}\u{c}",
            "\u{0}\u{1f}\u{7f}\u{200b}",
            "Zoë 😀",
        ] {
            let mut mine = String::new();
            json_string(&mut mine, s);
            assert_eq!(mine, serde_json::to_string(s).unwrap(), "{s:?}");
        }
    }
}
