//! Which column of a waitlist file holds which field (docs/waitlist.md): `[waitlist.columns]`,
//! or each field under its own name, found as an export's columns are.

use crate::domain::columns::{Field, Finder, Mapping, Missing};

/// Where each field sits in a waitlist file's rows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct WaitlistColumns {
    pub patient_id: usize,
    /// The phone columns in order: the first valid number wins.
    pub phones: Vec<usize>,
    pub language: Option<usize>,
    pub clinic: Option<usize>,
    pub provider: Option<usize>,
    pub visit_type: Option<usize>,
    pub duration_minutes: Option<usize>,
    pub earliest: Option<usize>,
    pub latest: Option<usize>,
    pub appointment_id: Option<usize>,
    pub added: Option<usize>,
    /// The file's header, as written.
    pub names: Vec<String>,
    /// Normalised header names: the keys of an entry's data.
    pub keys: Vec<String>,
    /// Columns no field reads.
    pub extra: Vec<usize>,
    /// Columns of a mapped list this file does not have (the others were read).
    pub absent: Vec<String>,
}

impl WaitlistColumns {
    pub fn width(&self) -> usize {
        self.names.len()
    }

    /// The columns holding dates, for deciding a file's slash-date order.
    pub fn date_columns(&self) -> Vec<usize> {
        [self.earliest, self.latest, self.added]
            .into_iter()
            .flatten()
            .collect()
    }
}

/// Resolves a candidate header row against `[waitlist.columns]`, or says what it lacks.
/// Required: patient_id and a phone column; a field the clinic mapped must be found.
pub fn resolve(header: &[String], mapping: &Mapping) -> Result<WaitlistColumns, Missing> {
    let mut find = Finder::new(header, mapping, "[waitlist.columns]");
    let patient_id = find.first(Field::PatientId);
    let phones = find.all(Field::PhoneNumber);
    let language = find.first(Field::Language);
    let clinic = find.first(Field::Clinic);
    let provider = find.first(Field::Provider);
    let visit_type = find.first(Field::VisitType);
    let duration_minutes = find.first(Field::DurationMinutes);
    let earliest = find.first(Field::Earliest);
    let latest = find.first(Field::Latest);
    let appointment_id = find.first(Field::AppointmentId);
    let added = find.first(Field::Added);
    if patient_id.is_none() {
        find.require(Field::PatientId, "patient_id", "no patient_id column");
    }
    if phones.is_empty() {
        find.require(Field::PhoneNumber, "phone_number", "no phone_number column");
    }
    let (Some(patient_id), false, true) = (patient_id, phones.is_empty(), find.missing.is_empty())
    else {
        return Err(Missing(find.missing));
    };
    Ok(WaitlistColumns {
        patient_id,
        phones,
        language,
        clinic,
        provider,
        visit_type,
        duration_minutes,
        earliest,
        latest,
        appointment_id,
        added,
        names: header.to_vec(),
        extra: find.extra(),
        absent: find.absent,
        keys: find.keys,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|c| c.to_string()).collect()
    }

    #[test]
    fn a_header_without_the_required_columns_says_what_it_lacks() {
        let mut m = Mapping::default();
        m.map(Field::PatientId, &["Patient #".into()]);
        m.map(Field::PhoneNumber, &["Cell".into(), "Home".into()]);
        m.map(Field::DurationMinutes, &["Needs (min)".into()]);
        // A mapped column the file lacks: the header is not found, and the reason says so.
        let missing = resolve(&header(&["Name", "Cell", "Needs (min)"]), &m)
            .unwrap_err()
            .to_string();
        assert!(
            missing
                .contains("patient_id is mapped to \"Patient #\" but the file has no such column"),
            "{missing}"
        );
        let missing = resolve(&header(&["id", "tel"]), &Mapping::default())
            .unwrap_err()
            .to_string();
        assert_eq!(missing, "no patient_id column; no phone_number column");
        // Every field by its own name, the date columns for the slash order.
        let cols = resolve(
            &header(&[
                "added",
                "patient_id",
                "earliest",
                "phone_number",
                "latest",
                "x",
            ]),
            &Mapping::default(),
        )
        .unwrap();
        assert_eq!((cols.patient_id, cols.phones.as_slice()), (1, &[3][..]));
        assert_eq!(cols.date_columns(), vec![2, 4, 0]);
        assert_eq!(cols.extra, vec![5]);
    }
}
