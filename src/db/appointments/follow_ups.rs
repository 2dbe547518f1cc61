//! Which appointments are due a follow-up message (`ContactKind`): a text after a voicemail, a
//! message after a missed visit, a notice of the clinic's cancellation. Each is made once: once
//! per touch for the voicemail text, once for the others; an attempt Twilio never got
//! (`not-sent`) does not count as made.

use crate::clock::Stamp;
use anyhow::Result;
use rusqlite::{Connection, named_params};

use super::{COLUMNS, Stored, from_row};
use crate::db::appointments::CLINIC_CANCELLED;
use crate::domain::contact_kind::ContactKind;
use crate::domain::state::State;

/// Error codes that say a number cannot take texts (a landline, not a mobile).
const CANNOT_TEXT: [i64; 3] = [21614, 21635, 30006];

/// The condition, on `appointments a`, that `kind` is due and not made yet.
fn due_sql(kind: ContactKind) -> String {
    let not_made = format!(
        "NOT EXISTS (SELECT 1 FROM appointment_logs f
                     WHERE f.appointment_id = a.id AND f.kind = '{}' AND f.status != 'not-sent'
                       {})",
        kind.stored().unwrap_or_default(),
        if kind == ContactKind::VoicemailText {
            "AND f.touch_days IS a.touch_days"
        } else {
            ""
        }
    );
    let codes = CANNOT_TEXT.map(|c| c.to_string()).join(", ");
    let reason = match kind {
        // Reached by voicemail (the call counted it): the reminder's last attempt was a call an
        // answering machine took, on a number that can take texts — neither a call-only column
        // (a text-preferring patient called instead) nor one Twilio said cannot take texts.
        ContactKind::VoicemailText => format!(
            "a.status = '{reached}' AND a.appt_date_time > :now
             AND NOT (a.text_preference = 1 AND a.channel = 'call')
             AND (SELECT l.channel = 'call' AND l.answered_by LIKE 'machine%'
                  FROM appointment_logs l
                  WHERE l.appointment_id = a.id AND l.kind IS NULL AND l.status != 'not-sent'
                  ORDER BY l.attempt DESC, l.id DESC LIMIT 1)
             AND NOT EXISTS (SELECT 1 FROM appointment_logs e
                             WHERE e.\"to\" = a.phone_number AND e.error_code IN ({codes}))",
            reached = State::Reached.as_str()
        ),
        // Missed: the message goes at a send window of a later day (the caller checks the day).
        ContactKind::NoShow => format!(
            "a.status = '{}' AND :now IS NOT NULL",
            State::NoShow.as_str()
        ),
        ContactKind::ClinicCancelled => format!(
            "a.status = '{}' AND a.withdrawn_reason = '{CLINIC_CANCELLED}'
             AND a.appt_date_time > :now",
            State::Withdrawn.as_str()
        ),
        // Reminders are selected by the schedule, offers by their slot.
        ContactKind::Reminder | ContactKind::Offer => "0".to_string(),
    };
    format!("{reason} AND a.deleted_at IS NULL AND {not_made}")
}

/// Appointments due `kind` at `now`, soonest first.
pub fn due(conn: &Connection, kind: ContactKind, now: Stamp) -> Result<Vec<Stored>> {
    let sql = format!(
        "SELECT {COLUMNS} FROM appointments a WHERE {} ORDER BY a.appt_date_time, a.id",
        due_sql(kind)
    )
    .replace("appointments.import_id", "a.import_id");
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map(named_params! {":now": now}, from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Whether appointment `id` is still due `kind` (checked again just before it is sent).
pub fn still_due(conn: &Connection, id: i64, kind: ContactKind, now: Stamp) -> Result<bool> {
    let sql = format!(
        "SELECT count(*) FROM appointments a WHERE a.id = :id AND {}",
        due_sql(kind)
    );
    let n: i64 = conn
        .prepare_cached(&sql)?
        .query_row(named_params! {":id": id, ":now": now}, |r| r.get(0))?;
    Ok(n > 0)
}
