//! The `appointments` table.

use anyhow::Result;
use rusqlite::{Connection, named_params};

use crate::clock::db_time;
use crate::domain::channel::Channel;
use crate::domain::row::Appointment;

/// Stores a new appointment; `false` when the same (appointment, patient, instant) is already
/// there — from this file or any earlier one — which makes the row a duplicate.
pub fn insert_new(
    conn: &Connection,
    a: &Appointment,
    channel: Channel,
    import_id: i64,
    now: &str,
) -> Result<bool> {
    let mut stmt = conn.prepare_cached(
        "INSERT OR IGNORE INTO appointments
             (appointment_id, patient_id, phone_number, phone_preference, text_preference,
              appt_date_time, appointment_msg, language, channel, status, import_id,
              created_at, updated_at)
         VALUES (:aid, :pid, :phone, :pp, :tp, :at, :msg, :lang, :channel, 'pending', :import,
                 :now, :now)",
    )?;
    let n = stmt.execute(named_params! {
        ":aid": a.appointment_id, ":pid": a.patient_id, ":phone": a.phone_number,
        ":pp": a.phone_preference, ":tp": a.text_preference, ":at": db_time(a.at),
        ":msg": a.message, ":lang": a.language.code(), ":channel": channel.as_str(),
        ":import": import_id, ":now": now,
    })?;
    Ok(n == 1)
}
