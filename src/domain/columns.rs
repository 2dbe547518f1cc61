//! Which column of an export holds which field (docs/exports.md): the clinic's mapping
//! (`[csv.columns]`), or each field under its own name; where the header row is; and where
//! each field sits in it.

use std::fmt;

pub use super::fields::{FIELDS, Field, WAITLIST_FIELDS};

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

/// The clinic's mapping: for each mapped field, the headers that may hold it, in order (the first
/// non-empty valid value wins). Without any mapping, each field is found by its own name (the plain
/// format); with one, only the fields it names are read, and every other column is data: an
/// export's own `status` or `language` column may mean something else (OpenEMR's `status` is the
/// patient's marital status).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Mapping {
    /// (field, headers normalised, headers as the configuration wrote them)
    mapped: Vec<(Field, Vec<String>, Vec<String>)>,
    /// Phone columns whose numbers are called, never texted (landlines), normalised.
    pub call_only: Vec<String>,
}

impl Mapping {
    pub fn map(&mut self, field: Field, headers: &[String]) {
        self.mapped.retain(|(f, _, _)| *f != field);
        self.mapped.push((
            field,
            headers.iter().map(|h| normalise_header(h)).collect(),
            headers.iter().map(|h| h.trim().to_string()).collect(),
        ));
    }

    pub fn set_call_only(&mut self, headers: &[String]) {
        self.call_only = headers.iter().map(|h| normalise_header(h)).collect();
    }

    /// The headers (normalised) a field is looked for under, and whether the clinic named them:
    /// its own name without a mapping, none when a mapping leaves it out.
    fn headers(&self, field: Field) -> (Vec<String>, bool) {
        match self.mapped.iter().find(|(f, _, _)| *f == field) {
            Some((_, h, _)) => (h.clone(), true),
            None if self.mapped.is_empty() => (vec![field.name().to_string()], false),
            None => (Vec::new(), false),
        }
    }

    /// The header a mapped field names, as the configuration wrote it.
    fn written(&self, field: Field, normalised: &str) -> String {
        self.mapped
            .iter()
            .find(|(f, _, _)| *f == field)
            .and_then(|(_, norm, written)| {
                norm.iter()
                    .position(|n| n == normalised)
                    .and_then(|i| written.get(i).cloned())
            })
            .unwrap_or_else(|| normalised.to_string())
    }

    /// Two fields mapped to one column (the headers as the configuration wrote them, which
    /// match once normalised): each row's value there would be read as both, so its rows
    /// would swap their ids, or dial an id. The first such pair, in the mapping's order.
    pub fn shared_column(&self) -> Option<SharedColumn<'_>> {
        for (n, (later, norms, written)) in self.mapped.iter().enumerate() {
            for (norm, header) in norms.iter().zip(written) {
                let earlier = self.mapped[..n].iter().find_map(|(f, ns, ws)| {
                    let at = ns.iter().position(|x| x == norm)?;
                    Some((*f, ws[at].as_str()))
                });
                if let Some(first) = earlier {
                    return Some(SharedColumn {
                        first,
                        second: (*later, header.as_str()),
                    });
                }
            }
        }
        None
    }

    pub fn is_mapped(&self, field: Field) -> bool {
        self.mapped.iter().any(|(f, _, _)| *f == field)
    }

    /// Whether `[csv.columns]` maps anything (then only what it maps is read).
    pub fn is_empty(&self) -> bool {
        self.mapped.is_empty()
    }

    /// The phone columns (normalised) a file is read for: those mapped, or `phone_number`.
    pub fn phone_headers(&self) -> Vec<String> {
        match self
            .mapped
            .iter()
            .find(|(f, _, _)| *f == Field::PhoneNumber)
        {
            Some((_, h, _)) => h.clone(),
            None => vec![Field::PhoneNumber.name().to_string()],
        }
    }
}

/// A column two fields are mapped to: each field, with the header as the configuration wrote it
/// for that field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SharedColumn<'a> {
    pub first: (Field, &'a str),
    pub second: (Field, &'a str),
}

/// One phone column: where it is and whether its numbers may be texted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PhoneColumn {
    pub index: usize,
    pub call_only: bool,
}

/// Where each field sits in a file's rows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Columns {
    pub appointment_id: Option<usize>,
    pub patient_id: usize,
    pub phones: Vec<PhoneColumn>,
    pub phone_preference: Option<usize>,
    pub text_preference: Option<usize>,
    pub when: When,
    pub appointment_msg: Option<usize>,
    pub language: Option<usize>,
    pub status: Option<usize>,
    pub clinic: Option<usize>,
    /// What the appointment is, for matching a freed slot with a waiting patient.
    pub provider: Option<usize>,
    pub visit_type: Option<usize>,
    pub duration_minutes: Option<usize>,
    /// The file's header, as written (for the row's data and the failed-rows view).
    pub names: Vec<String>,
    /// Normalised header names, the placeholder names of every column.
    pub keys: Vec<String>,
    /// Columns holding none of the fields.
    pub extra: Vec<usize>,
    /// Columns of a mapped list this file does not have, said in the import summary (`phone_number:
    /// no "phone_biz" column; read from "phone_cell", "phone_home"`): an export that leaves out
    /// one of several phone columns is read from the ones it has.
    pub absent: Vec<String>,
    /// Columns kept in the appointment's data (JSON, by normalised header: every one a template
    /// placeholder): all but those read as a field under the field's own name, whose value is
    /// that field of the appointment. In key order; of two columns with one key, the first.
    pub data: Vec<usize>,
}

/// Where the appointment's time is.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum When {
    #[default]
    Missing,
    DateTime(usize),
    Split {
        date: usize,
        time: usize,
    },
}

impl Columns {
    pub fn width(&self) -> usize {
        self.names.len()
    }

    /// The columns holding dates, for deciding a file's slash-date order.
    pub fn date_columns(&self) -> Vec<usize> {
        match self.when {
            When::DateTime(i) => vec![i],
            When::Split { date, .. } => vec![date],
            When::Missing => Vec::new(),
        }
    }
}

/// Why a row of cells is not the header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Missing(pub Vec<String>);

impl fmt::Display for Missing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join("; "))
    }
}

/// Finds the columns of fields in one candidate header row, for an export's layout and a
/// waitlist's alike: what a mapped field lacks, and which columns of a mapped list are absent.
pub struct Finder<'a> {
    /// The header's names, normalised.
    pub keys: Vec<String>,
    mapping: &'a Mapping,
    /// The configuration section the mapping comes from, for the reasons (`[csv.columns]`).
    section: &'static str,
    /// Which field reads each column.
    used: Vec<Option<Field>>,
    /// Why this row is not the header, so far.
    pub missing: Vec<String>,
    /// Columns of mapped lists this file does not have (the others are read).
    pub absent: Vec<String>,
}

impl<'a> Finder<'a> {
    pub fn new(header: &[String], mapping: &'a Mapping, section: &'static str) -> Finder<'a> {
        let keys: Vec<String> = header.iter().map(|h| normalise_header(h)).collect();
        Finder {
            used: vec![None; keys.len()],
            keys,
            mapping,
            section,
            missing: Vec::new(),
            absent: Vec::new(),
        }
    }

    /// Every column of `field`, in the mapping's order.
    pub fn all(&mut self, field: Field) -> Vec<usize> {
        let (wanted, named) = self.mapping.headers(field);
        let keys = &self.keys;
        let found: Vec<usize> = wanted
            .iter()
            .filter_map(|w| keys.iter().position(|k| k == w))
            .collect();
        if named && found.len() < wanted.len() {
            let absent: Vec<String> = wanted
                .iter()
                .filter(|w| !keys.contains(w))
                .map(|a| self.mapping.written(field, a))
                .collect();
            if found.is_empty() {
                self.missing.push(format!(
                    "{field} is mapped to {} but the file has no such column",
                    quote_list(&absent)
                ));
            } else {
                // A list of columns (the first valid value wins): the ones present are read.
                let present: Vec<String> = found
                    .iter()
                    .map(|&i| self.mapping.written(field, &keys[i]))
                    .collect();
                self.absent.push(format!(
                    "{field}: no {} column in this file; read from {}",
                    quote_list(&absent),
                    quote_list(&present)
                ));
            }
        }
        for &i in &found {
            self.used[i] = Some(field);
        }
        found
    }

    /// The first column of `field`.
    pub fn first(&mut self, field: Field) -> Option<usize> {
        self.all(field).first().copied()
    }

    /// Notes a required field the file has no column for (`without_mapping` when nothing is
    /// mapped; with a mapping, that it is not mapped, pointing at a column of its own name).
    /// A field mapped but not found was noted by [`Finder::all`].
    pub fn require(&mut self, field: Field, shown: &str, without_mapping: &str) {
        if self.mapping.is_mapped(field) {
            return;
        }
        if self.mapping.is_empty() {
            self.missing.push(without_mapping.to_string());
            return;
        }
        let hint = if self.keys.iter().any(|k| k == field.name()) {
            format!(": the file has a \"{field}\" column, add {field} = \"{field}\"")
        } else {
            String::new()
        };
        self.missing.push(format!(
            "{shown} is not mapped in {} (with a mapping, only the fields it names are read){hint}",
            self.section
        ));
    }

    /// Columns no field reads.
    pub fn extra(&self) -> Vec<usize> {
        (0..self.keys.len())
            .filter(|&i| self.used[i].is_none())
            .collect()
    }

    /// Columns kept in a row's data (`Columns::data`).
    pub fn data(&self) -> Vec<usize> {
        let keys = &self.keys;
        // A column read under its field's own name is that field of the row, and a
        // placeholder under that name already; every other column is kept in the data.
        // In the order the row's JSON lists them (by key), one column per key: the first.
        let mut data: Vec<usize> = (0..keys.len())
            .filter(|&i| {
                !keys[i].is_empty()
                    && self.used[i].is_none_or(|f| keys[i] != f.name() || f.also_data())
            })
            .collect();
        data.sort_by(|&a, &b| keys[a].cmp(&keys[b]).then(a.cmp(&b)));
        data.dedup_by(|later, first| keys[*later] == keys[*first]);
        data
    }
}

/// Resolves a candidate header row against the mapping, or says what it lacks. Required:
/// patient_id, a phone column, and the time (appt_date_time, or appt_date and appt_time). A
/// field the clinic mapped must be found under one of its headers.
pub fn resolve(header: &[String], mapping: &Mapping) -> Result<Columns, Missing> {
    let mut find = Finder::new(header, mapping, "[csv.columns]");
    let appointment_id = find.first(Field::AppointmentId);
    let patient_id = find.first(Field::PatientId);
    let phones: Vec<PhoneColumn> = find
        .all(Field::PhoneNumber)
        .into_iter()
        .map(|index| PhoneColumn {
            index,
            call_only: mapping.call_only.contains(&find.keys[index]),
        })
        .collect();
    let phone_preference = find.first(Field::PhonePreference);
    let text_preference = find.first(Field::TextPreference);
    let date_time = find.first(Field::ApptDateTime);
    let date = find.first(Field::ApptDate);
    let time = find.first(Field::ApptTime);
    let appointment_msg = find.first(Field::AppointmentMsg);
    let language = find.first(Field::Language);
    let status = find.first(Field::Status);
    let clinic = find.first(Field::Clinic);
    let provider = find.first(Field::Provider);
    let visit_type = find.first(Field::VisitType);
    let duration_minutes = find.first(Field::DurationMinutes);
    if patient_id.is_none() {
        find.require(Field::PatientId, "patient_id", "no patient_id column");
    }
    if phones.is_empty() {
        find.require(Field::PhoneNumber, "phone_number", "no phone_number column");
    }
    let when = match (date_time, date, time) {
        (Some(i), _, _) => When::DateTime(i),
        (None, Some(date), Some(time)) => When::Split { date, time },
        (None, Some(_), None) => {
            find.missing
                .push("appt_date has no appt_time column beside it".into());
            When::Missing
        }
        (None, None, Some(_)) => {
            find.missing
                .push("appt_time has no appt_date column beside it".into());
            When::Missing
        }
        (None, None, None) => {
            if !mapping.is_mapped(Field::ApptDate) {
                find.require(
                    Field::ApptDateTime,
                    "appt_date_time (nor appt_date and appt_time)",
                    "no appt_date_time column (nor appt_date and appt_time)",
                );
            }
            When::Missing
        }
    };
    let (Some(patient_id), false, true) = (patient_id, phones.is_empty(), find.missing.is_empty())
    else {
        return Err(Missing(find.missing));
    };
    Ok(Columns {
        appointment_id,
        patient_id,
        phones,
        phone_preference,
        text_preference,
        when,
        appointment_msg,
        language,
        status,
        clinic,
        provider,
        visit_type,
        duration_minutes,
        names: header.to_vec(),
        extra: find.extra(),
        data: find.data(),
        absent: find.absent,
        keys: find.keys,
    })
}

fn quote_list(items: &[String]) -> String {
    items
        .iter()
        .map(|i| format!("\"{i}\""))
        .collect::<Vec<_>>()
        .join(" or ")
}

/// A field as a rejected row's reason names it: by its own name when the column is called that,
/// else with the export's header (`phone_number (column "Cell")`). `keys` and `names` are a
/// file's normalised and written headers, by column.
pub fn named_field(keys: &[String], names: &[String], i: usize, what: &str) -> String {
    let key = keys.get(i).map(String::as_str).unwrap_or(what);
    if key == what {
        what.to_string()
    } else {
        format!(
            "{what} (column \"{}\")",
            names.get(i).map_or(key, |n| n.trim())
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|c| c.to_string()).collect()
    }

    #[test]
    fn headers_normalise() {
        assert_eq!(normalise_header("Appt Date/Time"), "appt_date_time");
        assert_eq!(normalise_header("\u{feff}Appointment ID"), "appointment_id");
        assert_eq!(normalise_header("  __Phone--Number__ "), "phone_number");
        assert_eq!(normalise_header("Appt #"), "appt");
        assert_eq!(normalise_header("Téléphone"), "téléphone");
    }

    #[test]
    fn fields_are_found_by_their_own_names_without_a_mapping() {
        let cols = resolve(
            &header(&[
                "Appointment ID",
                "patient_id",
                "Phone Number",
                "phone_preference",
                "text_preference",
                "Appt Date/Time",
                "Provider",
            ]),
            &Mapping::default(),
        )
        .unwrap();
        assert_eq!(cols.appointment_id, Some(0));
        assert_eq!(cols.when, When::DateTime(5));
        // Provider is a field, and stays in the data: `{provider}` is a placeholder too.
        assert_eq!(cols.provider, Some(6));
        assert!(cols.extra.is_empty());
        assert_eq!(cols.data, vec![6]);
        assert_eq!(cols.keys[6], "provider");
    }

    #[test]
    fn a_mapping_with_split_date_and_a_phone_list() {
        let mut m = Mapping::default();
        m.map(Field::AppointmentId, &["AptNum".into()]);
        m.map(Field::PatientId, &["PatNum".into()]);
        m.map(
            Field::PhoneNumber,
            &["WirelessPhone".into(), "HmPhone".into()],
        );
        m.map(Field::ApptDate, &["Appt Date".into()]);
        m.map(Field::ApptTime, &["Appt Time".into()]);
        m.set_call_only(&["HmPhone".into()]);
        let cols = resolve(
            &header(&[
                "PatNum",
                "HMPHONE",
                "APPT_DATE",
                "Appt Time",
                "AptNum",
                "WirelessPhone",
            ]),
            &m,
        )
        .unwrap();
        assert_eq!(
            cols.phones,
            vec![
                PhoneColumn {
                    index: 5,
                    call_only: false
                },
                PhoneColumn {
                    index: 1,
                    call_only: true
                }
            ]
        );
        assert_eq!(cols.when, When::Split { date: 2, time: 3 });
        assert_eq!(cols.appointment_id, Some(4));
        assert!(cols.extra.is_empty());
    }

    #[test]
    fn what_a_header_lacks_is_named() {
        let err = resolve(&header(&["appointment_id", "phone"]), &Mapping::default()).unwrap_err();
        let text = err.to_string();
        assert!(text.contains("no patient_id column"), "{text}");
        assert!(text.contains("no phone_number column"), "{text}");
        assert!(text.contains("no appt_date_time column"), "{text}");

        let mut m = Mapping::default();
        m.map(Field::PatientId, &["PatNum".into()]);
        let err = resolve(
            &header(&["PatientNumber", "phone_number", "appt_date_time"]),
            &m,
        )
        .unwrap_err();
        let text = err.to_string();
        // The header as the configuration wrote it.
        assert!(
            text.starts_with(
                "patient_id is mapped to \"PatNum\" but the file has no such column; "
            ),
            "{text}"
        );
        // With a mapping, the other fields are not found by their own names, but the file's
        // columns of those names are pointed out.
        assert!(
            text.contains(
                "phone_number is not mapped in [csv.columns] (with a mapping, only the fields it \
                 names are read): the file has a \"phone_number\" column, add phone_number = \
                 \"phone_number\""
            ),
            "{text}"
        );
        // Optional columns absent are fine: no appointment id, no preferences.
        let cols = resolve(
            &header(&["patient_id", "phone_number", "appt_date", "appt_time"]),
            &Mapping::default(),
        )
        .unwrap();
        assert_eq!(cols.appointment_id, None);
        assert_eq!(cols.phone_preference, None);
    }

    #[test]
    fn a_column_mapped_to_two_fields_is_found() {
        let mut m = Mapping::default();
        m.map(Field::AppointmentId, &["ID".into()]);
        m.map(Field::PatientId, &["PatNum".into()]);
        m.map(Field::PhoneNumber, &["Cell".into(), "Cell".into()]);
        // One field naming a column twice is only a repeat.
        assert_eq!(m.shared_column(), None);
        m.map(Field::Clinic, &["pat num".into(), "Site".into()]);
        assert_eq!(m.shared_column(), None, "pat_num is not patnum");
        m.map(Field::Status, &["Where".into(), "PATNUM".into()]);
        assert_eq!(
            m.shared_column(),
            Some(SharedColumn {
                first: (Field::PatientId, "PatNum"),
                second: (Field::Status, "PATNUM")
            })
        );
    }

    #[test]
    fn with_a_mapping_unmapped_columns_are_data_even_under_a_field_name() {
        // OpenEMR's patient `status` is the marital status, its `id` a row number.
        let mut m = Mapping::default();
        m.map(Field::PatientId, &["pubpid".into()]);
        m.map(Field::PhoneNumber, &["phone_cell".into()]);
        m.map(Field::ApptDate, &["next_appt".into()]);
        m.map(Field::ApptTime, &["appt_start_time".into()]);
        let cols = resolve(
            &header(&[
                "id",
                "status",
                "language",
                "pubpid",
                "phone_cell",
                "next_appt",
                "appt_start_time",
            ]),
            &m,
        )
        .unwrap();
        assert_eq!((cols.status, cols.language), (None, None));
        assert_eq!(cols.extra, vec![0, 1, 2]);
        // Every column is data: none is read under its field's own name.
        let data: Vec<&str> = cols.data.iter().map(|&i| cols.keys[i].as_str()).collect();
        assert_eq!(
            data,
            [
                "appt_start_time",
                "id",
                "language",
                "next_appt",
                "phone_cell",
                "pubpid",
                "status"
            ]
        );
        // Without a mapping the same header reads `status` and `language`.
        let cols = resolve(
            &header(&[
                "status",
                "language",
                "patient_id",
                "phone_number",
                "appt_date_time",
            ]),
            &Mapping::default(),
        )
        .unwrap();
        assert_eq!((cols.status, cols.language), (Some(0), Some(1)));
        assert!(cols.data.is_empty());
    }
}
