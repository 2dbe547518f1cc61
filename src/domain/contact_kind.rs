//! What a contact is for. A reminder attempt moves its appointment through the schedule; the
//! other kinds are one message each, sent after something happened, that move nothing.

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum ContactKind {
    /// A reminder touch's call or text.
    #[default]
    Reminder,
    /// One text after a call reached an answering machine: the patient can answer it.
    VoicemailText,
    /// One message after a visit the clinic's system marks as missed.
    NoShow,
    /// One notice that the clinic cancelled the appointment.
    ClinicCancelled,
    /// A text offering a freed slot to a waiting patient: its attempt row is on the appointment
    /// that freed the slot, its number the waiting patient's.
    Offer,
}

pub const FOLLOW_UPS: [ContactKind; 3] = [
    ContactKind::VoicemailText,
    ContactKind::NoShow,
    ContactKind::ClinicCancelled,
];

impl ContactKind {
    /// The word stored in `appointment_logs.kind`; a reminder has none (every attempt made
    /// before there were other kinds is one).
    pub fn stored(self) -> Option<&'static str> {
        match self {
            ContactKind::Reminder => None,
            ContactKind::VoicemailText => Some("voicemail_text"),
            ContactKind::NoShow => Some("no_show"),
            ContactKind::ClinicCancelled => Some("clinic_cancelled"),
            ContactKind::Offer => Some("offer"),
        }
    }

    pub fn from_stored(word: Option<&str>) -> Option<ContactKind> {
        match word {
            None => Some(ContactKind::Reminder),
            Some(w) => FOLLOW_UPS
                .into_iter()
                .chain([ContactKind::Offer])
                .find(|k| k.stored() == Some(w)),
        }
    }

    /// When a cap per number leaves room for fewer contacts than are due, the lower goes
    /// first: a reminder, then a voicemail's text, then a message after a missed visit or a
    /// clinic's cancellation, then an offer of a freed slot.
    pub fn priority(self) -> u8 {
        match self {
            ContactKind::Reminder => 0,
            ContactKind::VoicemailText => 1,
            ContactKind::NoShow | ContactKind::ClinicCancelled => 2,
            ContactKind::Offer => 3,
        }
    }

    /// In words, for people.
    pub fn describe(self) -> &'static str {
        match self {
            ContactKind::Reminder => "reminder",
            ContactKind::VoicemailText => "text after a voicemail",
            ContactKind::NoShow => "message after a missed visit",
            ContactKind::ClinicCancelled => "notice of the clinic's cancellation",
            ContactKind::Offer => "offer of a freed slot",
        }
    }

    /// Whether the patient's answer to it is taken as a reply to the reminder (confirm,
    /// reschedule); otherwise, anything but STOP or HELP is listed for staff.
    pub fn answers_the_reminder(self) -> bool {
        matches!(self, ContactKind::Reminder | ContactKind::VoicemailText)
    }
}

/// As its stored word (`reminder` for a reminder), in `--json` output.
impl serde::Serialize for ContactKind {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.stored().unwrap_or("reminder"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stored_words_round_trip() {
        for k in [ContactKind::Reminder, ContactKind::Offer]
            .into_iter()
            .chain(FOLLOW_UPS)
        {
            assert_eq!(ContactKind::from_stored(k.stored()), Some(k));
        }
        assert_eq!(ContactKind::from_stored(Some("offer?")), None);
    }
}
