//! The fields an import reads, by the names the configuration and the headers use: an
//! export's (`[csv.columns]`) and a waitlist file's (`[waitlist.columns]`).

use std::fmt;

/// A field the import reads. Every other column is kept as data.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Field {
    AppointmentId,
    PatientId,
    PhoneNumber,
    PhonePreference,
    TextPreference,
    ApptDateTime,
    ApptDate,
    ApptTime,
    AppointmentMsg,
    Language,
    Status,
    Clinic,
    Provider,
    VisitType,
    DurationMinutes,
    /// Waitlist only: the first and last dates a waiting patient can come, and when they
    /// joined the list.
    Earliest,
    Latest,
    Added,
}

/// The fields of an export (`[csv.columns]`).
pub const FIELDS: [Field; 15] = [
    Field::AppointmentId,
    Field::PatientId,
    Field::PhoneNumber,
    Field::PhonePreference,
    Field::TextPreference,
    Field::ApptDateTime,
    Field::ApptDate,
    Field::ApptTime,
    Field::AppointmentMsg,
    Field::Language,
    Field::Status,
    Field::Clinic,
    Field::Provider,
    Field::VisitType,
    Field::DurationMinutes,
];

/// The fields of a waitlist file (`[waitlist.columns]`).
pub const WAITLIST_FIELDS: [Field; 11] = [
    Field::PatientId,
    Field::PhoneNumber,
    Field::Language,
    Field::Clinic,
    Field::Provider,
    Field::VisitType,
    Field::DurationMinutes,
    Field::Earliest,
    Field::Latest,
    Field::AppointmentId,
    Field::Added,
];

impl Field {
    /// The name in the config file and, unmapped, the column's own (normalised) name.
    pub fn name(self) -> &'static str {
        match self {
            Field::AppointmentId => "appointment_id",
            Field::PatientId => "patient_id",
            Field::PhoneNumber => "phone_number",
            Field::PhonePreference => "phone_preference",
            Field::TextPreference => "text_preference",
            Field::ApptDateTime => "appt_date_time",
            Field::ApptDate => "appt_date",
            Field::ApptTime => "appt_time",
            Field::AppointmentMsg => "appointment_msg",
            Field::Language => "language",
            Field::Status => "status",
            Field::Clinic => "clinic",
            Field::Provider => "provider",
            Field::VisitType => "visit_type",
            Field::DurationMinutes => "duration_minutes",
            Field::Earliest => "earliest",
            Field::Latest => "latest",
            Field::Added => "added",
        }
    }

    /// Read as a field and kept in the row's data all the same: `{provider}` and `{visit_type}`
    /// were template placeholders before they were fields.
    pub(crate) fn also_data(self) -> bool {
        matches!(
            self,
            Field::Provider | Field::VisitType | Field::DurationMinutes
        )
    }

    pub fn from_name(name: &str) -> Option<Field> {
        FIELDS.into_iter().find(|f| f.name() == name)
    }
}

impl fmt::Display for Field {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
