//! The rules one row of a waitlist file must pass (docs/waitlist.md): a patient, a number to
//! text, the site, and what they wait for (provider, visit type, how long, which dates). Read
//! like an export's row: the same ids, phone numbers, languages, sites and dates; every problem
//! of a row is reported together, each naming its field.

use chrono::{DateTime, NaiveDate, Utc};
use chrono_tz::Tz;

use crate::domain::columns::named_field;
use crate::domain::datetime::{self, SlashOrder};
use crate::domain::languages::{Language, Languages};
use crate::domain::row::{clean_id, non_empty, read_duration, read_phone};
use crate::domain::sites::SiteTable;
pub use crate::domain::waitlist_columns::{WaitlistColumns, resolve};

/// A row that passed every rule, normalised: one patient waiting.
#[derive(Clone, Debug, PartialEq)]
pub struct Entry {
    pub patient_id: String,
    /// E.164.
    pub phone_number: String,
    pub language: Language,
    /// The language cell when it named no language we speak (the entry is kept, in the
    /// default language).
    pub unknown_language: Option<String>,
    /// The site's key ('' when the clinic is one site).
    pub site: String,
    pub provider: Option<String>,
    pub visit_type: Option<String>,
    /// How long a visit they need, in minutes.
    pub duration_minutes: Option<i64>,
    /// The local dates they can come (either may be open).
    pub earliest: Option<NaiveDate>,
    pub latest: Option<NaiveDate>,
    /// The booking they would move from.
    pub appointment_id: Option<String>,
    /// When they joined the list: the file's value, or the import's time when it has none.
    pub added: DateTime<Utc>,
    /// Every column of the row as a JSON object, by normalised header.
    pub data: String,
}

pub struct EntryRules<'a> {
    pub columns: &'a WaitlistColumns,
    pub sites: &'a SiteTable,
    pub region: phonenumber::country::Id,
    pub order: SlashOrder,
    pub languages: &'a Languages,
    /// The import's time: when a row that does not say when its patient joined is taken to.
    pub imported_at: DateTime<Utc>,
}

impl EntryRules<'_> {
    /// Checks one row; `field(i)` is column `i`'s text (`None` past the row's end: a short row
    /// reads its missing trailing fields as empty).
    pub fn check<'r>(&self, field: impl Fn(usize) -> Option<&'r str>) -> Result<Entry, String> {
        let c = self.columns;
        let get = |i: usize| field(i).unwrap_or_default();
        let named = |i: usize, what: &str| named_field(&c.keys, &c.names, i, what);
        let mut problems = Vec::new();

        let patient_id = clean_id(get(c.patient_id));
        if patient_id.is_empty() {
            problems.push(format!("{} is empty", named(c.patient_id, "patient_id")));
        }
        let site = match self.sites.pick(c.clinic.map(get)) {
            Ok((key, tz)) => Some((key, tz)),
            Err(why) => {
                problems.push(why);
                None
            }
        };
        let tz = site.map_or_else(|| self.sites.zone(""), |(_, tz)| tz);
        let phone = self
            .phone(&get, &named)
            .map_err(|why| problems.push(why))
            .ok();
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
        let mut date = |i: Option<usize>, what: &str| -> Option<NaiveDate> {
            let i = i?;
            let raw = get(i);
            if raw.trim().is_empty() {
                return None;
            }
            read_date(raw, tz, self.order)
                .map_err(|why| problems.push(format!("{} '{}' {why}", named(i, what), raw.trim())))
                .ok()
        };
        let earliest = date(c.earliest, "earliest");
        let latest = date(c.latest, "latest");
        if let (Some(from), Some(to), Some(i), Some(j)) = (earliest, latest, c.earliest, c.latest)
            && from > to
        {
            problems.push(format!(
                "{} {from} is after {} {to}: no date is left for an offer",
                named(i, "earliest"),
                named(j, "latest")
            ));
        }
        let added = match c.added.map(get).filter(|raw| !raw.trim().is_empty()) {
            None => Some(self.imported_at),
            Some(raw) => read_moment(raw, tz, self.order)
                .map_err(|why| {
                    let i = c.added.unwrap_or_default();
                    problems.push(format!("{} '{}' {why}", named(i, "added"), raw.trim()))
                })
                .ok(),
        };

        let raw_language = c.language.map(get).unwrap_or_default();
        let (language, unknown_language) = match self.languages.resolve(raw_language) {
            Some(l) => (l, None),
            None => (
                self.languages.default_pack().code,
                Some(raw_language.trim().to_string()),
            ),
        };

        let (Some(phone_number), Some((site, _)), Some(added), true) =
            (phone, site, added, problems.is_empty())
        else {
            return Err(problems.join("; "));
        };
        let appointment_id = c
            .appointment_id
            .map(|i| clean_id(get(i)))
            .filter(|id| !id.is_empty());
        Ok(Entry {
            patient_id,
            phone_number,
            language,
            unknown_language,
            site: site.to_string(),
            provider: c.provider.and_then(|i| non_empty(get(i))),
            visit_type: c.visit_type.and_then(|i| non_empty(get(i))),
            duration_minutes,
            earliest,
            latest,
            appointment_id,
            added,
            data: self.data(&get),
        })
    }

    /// The first phone column with a valid number, or why none has one.
    fn phone<'r>(
        &self,
        get: &impl Fn(usize) -> &'r str,
        named: &impl Fn(usize, &str) -> String,
    ) -> Result<String, String> {
        let mut why = Vec::new();
        for &i in &self.columns.phones {
            let raw = get(i);
            if raw.trim().is_empty() {
                continue;
            }
            match read_phone(raw, self.region) {
                Ok(number) => return Ok(number),
                Err(reason) => why.push(format!(
                    "{} '{}' {reason}",
                    named(i, "phone_number"),
                    raw.trim()
                )),
            }
        }
        if why.is_empty() {
            why.push(match self.columns.phones.as_slice() {
                [one] => format!("{} is empty", named(*one, "phone_number")),
                phones => {
                    let names: Vec<String> = phones
                        .iter()
                        .map(|&i| {
                            let name = self.columns.names.get(i).map_or("", |n| n.trim());
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

    fn data<'r>(&self, get: &impl Fn(usize) -> &'r str) -> String {
        let mut map = serde_json::Map::new();
        for (i, key) in self.columns.keys.iter().enumerate() {
            if key.is_empty() || map.contains_key(key) {
                continue;
            }
            map.insert(key.clone(), serde_json::Value::String(get(i).to_string()));
        }
        serde_json::Value::Object(map).to_string()
    }
}

/// A date, or the date of a date and time (in the site's zone when it names an offset).
pub fn read_date(raw: &str, tz: Tz, order: SlashOrder) -> Result<NaiveDate, String> {
    match datetime::parse_date(raw, order) {
        Ok(d) => Ok(d),
        Err(date_why) => datetime::parse_appointment_time(raw, tz, order)
            .map(|at| at.with_timezone(&tz).date_naive())
            .map_err(|_| date_why),
    }
}

/// An instant from a date and time, or from a date alone (its start, in the site's zone).
fn read_moment(raw: &str, tz: Tz, order: SlashOrder) -> Result<DateTime<Utc>, String> {
    if let Ok(day) = datetime::parse_date(raw, order) {
        return Ok(crate::domain::dates::day_bounds(day, tz).0);
    }
    datetime::parse_appointment_time(raw, tz, order).map_err(|_| {
        "is not a date, or a date and time, we understand (e.g. 2026-11-20 or 2026-11-20 14:05)"
            .to_string()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::parse_db_time;
    use crate::domain::columns::{Field, Mapping};

    fn header(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|c| c.to_string()).collect()
    }

    const FULL: [&str; 11] = [
        "patient_id",
        "phone_number",
        "language",
        "clinic",
        "provider",
        "visit_type",
        "duration_minutes",
        "earliest",
        "latest",
        "appointment_id",
        "added",
    ];

    fn sites() -> SiteTable {
        let mut sites = SiteTable::single(chrono_tz::America::Toronto);
        sites.add("bloor", &["Bloor".into()], chrono_tz::America::Toronto);
        sites.add("west", &["Kitsilano".into()], chrono_tz::America::Vancouver);
        sites
    }

    fn check_with(
        cols: &WaitlistColumns,
        sites: &SiteTable,
        row: &[&str],
    ) -> Result<Entry, String> {
        let languages = Languages::built_in();
        let rules = EntryRules {
            columns: cols,
            sites,
            region: phonenumber::country::Id::CA,
            order: SlashOrder::MonthFirst,
            languages: &languages,
            imported_at: parse_db_time("2026-11-24T23:00:00Z").unwrap(),
        };
        rules.check(|i| row.get(i).copied())
    }

    fn check(row: &[&str]) -> Result<Entry, String> {
        let cols = resolve(&header(&FULL), &Mapping::default()).unwrap();
        check_with(&cols, &sites(), row)
    }

    const GOOD: [&str; 11] = [
        " P1\u{200b}",
        "(416) 555-0101",
        "fr",
        "bloor",
        " Dr. Li ",
        "cleaning",
        "30.0",
        "11/25/2026",
        "2026-12-01 17:00",
        "A9",
        "2026-11-01 08:15",
    ];

    #[test]
    fn a_good_row_is_normalised() {
        let e = check(&GOOD).unwrap();
        assert_eq!(e.patient_id, "P1");
        assert_eq!(e.phone_number, "+14165550101");
        assert_eq!((e.language, e.unknown_language), (Language::FR, None));
        assert_eq!(e.site, "bloor");
        assert_eq!(e.provider.as_deref(), Some("Dr. Li"));
        assert_eq!(e.duration_minutes, Some(30));
        assert_eq!(e.earliest.unwrap().to_string(), "2026-11-25");
        // A date-time is taken as its date.
        assert_eq!(e.latest.unwrap().to_string(), "2026-12-01");
        assert_eq!(e.appointment_id.as_deref(), Some("A9"));
        assert_eq!(e.added, parse_db_time("2026-11-01T13:15:00Z").unwrap());
        let data: serde_json::Value = serde_json::from_str(&e.data).unwrap();
        assert_eq!(data["provider"], " Dr. Li ");
    }

    #[test]
    fn open_fields_may_be_empty_and_added_defaults_to_the_import() {
        let row = [
            "P2",
            "4165550102",
            "",
            "Kitsilano",
            "",
            "",
            "",
            "",
            "",
            "",
            "",
        ];
        let e = check(&row).unwrap();
        assert_eq!(e.site, "west");
        assert_eq!(
            (e.provider, e.duration_minutes, e.earliest, e.latest),
            (None, None, None, None)
        );
        assert_eq!(e.appointment_id, None);
        assert_eq!(e.added, parse_db_time("2026-11-24T23:00:00Z").unwrap());
        // A date alone is the start of that day in the site's zone.
        let mut row = row;
        row[10] = "2026-11-20";
        let e = check(&row).unwrap();
        assert_eq!(e.added, parse_db_time("2026-11-20T08:00:00Z").unwrap());
        row[2] = "Klingon";
        let e = check(&row).unwrap();
        assert_eq!(
            (e.language, e.unknown_language.as_deref()),
            (Language::EN, Some("Klingon"))
        );
    }

    #[test]
    fn each_rule_has_a_reason_naming_its_field() {
        let cases: [(usize, &str, &str); 8] = [
            (0, " ", "patient_id is empty"),
            (
                1,
                "555-1234",
                "phone_number '555-1234' is not a valid phone number",
            ),
            (1, "", "phone_number is empty"),
            (
                3,
                "Danforth",
                "clinic 'Danforth' names no configured site (sites: bloor, west",
            ),
            (
                6,
                "half an hour",
                "duration_minutes 'half an hour' is not a whole number of minutes",
            ),
            (
                6,
                "0",
                "duration_minutes '0' is not a duration from 1 to 1440 minutes",
            ),
            (
                7,
                "12/02/2026",
                "earliest 2026-12-02 is after latest 2026-12-01",
            ),
            (
                10,
                "someday",
                "added 'someday' is not a date, or a date and time",
            ),
        ];
        for (i, value, reason) in cases {
            let mut row = GOOD;
            row[i] = value;
            let why = check(&row).unwrap_err();
            assert!(why.contains(reason), "{value:?}: {why}");
        }
        let mut row = GOOD;
        row[7] = "13/45/2026";
        let why = check(&row).unwrap_err();
        assert!(
            why.starts_with("earliest '13/45/2026' is not a real date"),
            "{why}"
        );
    }

    #[test]
    fn durations_read_as_clinics_write_them() {
        assert_eq!(read_duration(""), Ok(None));
        assert_eq!(read_duration(" 45 "), Ok(Some(45)));
        assert_eq!(read_duration("45.0"), Ok(Some(45)));
        assert_eq!(read_duration("45 min"), Ok(Some(45)));
        assert_eq!(read_duration("60 Minutes"), Ok(Some(60)));
        assert!(read_duration("-5").is_err());
        assert!(read_duration("+5").is_err());
        assert!(read_duration("45.5").is_err());
        assert!(read_duration("1441").is_err());
    }

    #[test]
    fn a_mapping_with_a_phone_list_reads_the_first_valid_number() {
        let mut m = Mapping::default();
        m.map(Field::PatientId, &["Patient #".into()]);
        m.map(Field::PhoneNumber, &["Cell".into(), "Home".into()]);
        m.map(Field::DurationMinutes, &["Needs (min)".into()]);
        let cols = resolve(
            &header(&["Patient #", "Cell", "Home", "Needs (min)", "Note"]),
            &m,
        )
        .unwrap();
        assert_eq!(cols.phones, vec![1, 2]);
        assert_eq!(cols.extra, vec![4]);
        let single = SiteTable::single(chrono_tz::America::Toronto);
        let e = check_with(&cols, &single, &["77", "", "416-555-0177", "20", "x"]).unwrap();
        assert_eq!(
            (e.phone_number.as_str(), e.site.as_str()),
            ("+14165550177", "")
        );
        let why = check_with(&cols, &single, &["77", "", "", "20", ""]).unwrap_err();
        assert!(
            why.contains(
                "phone_number is empty in every column it is read from (\"Cell\", \"Home\")"
            ),
            "{why}"
        );
        assert!(why.starts_with("phone_number"), "{why}");
        let why = check_with(&cols, &single, &["77", "12", "", "20", ""]).unwrap_err();
        assert!(
            why.starts_with("phone_number (column \"Cell\") '12'"),
            "{why}"
        );
    }
}
