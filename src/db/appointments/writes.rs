//! What changes on an appointment besides its state (`transitions.rs` writes that): its
//! channel, its last reply, and how many attempts a touch has had.

use crate::clock::Stamp;
use anyhow::Result;
use rusqlite::Connection;

use crate::domain::channel::Channel;

/// Attempts left in the touch an appointment is in, once an undone attempt is recounted.
pub fn touch_attempts_without(conn: &Connection, id: i64, undone_log: i64) -> Result<u32> {
    Ok(conn
        .prepare_cached(
            "SELECT count(*) FROM appointment_logs l
             WHERE l.appointment_id = ?1 AND l.id != ?2 AND l.status != 'not-sent'
               AND l.touch_days IS (SELECT touch_days FROM appointment_logs WHERE id = ?2)",
        )?
        .query_row(rusqlite::params![id, undone_log], |r| r.get(0))?)
}

pub fn set_channel(conn: &Connection, id: i64, channel: Channel, now: Stamp) -> Result<()> {
    conn.execute(
        "UPDATE appointments SET channel = ?1, updated_at = ?2 WHERE id = ?3",
        rusqlite::params![channel.as_str(), now, id],
    )?;
    Ok(())
}

/// The patient's last text, kept on each appointment it was about (for the results file).
pub fn set_last_reply(conn: &Connection, id: i64, text: &str, now: Stamp) -> Result<()> {
    conn.prepare_cached("UPDATE appointments SET last_reply = ?2, updated_at = ?3 WHERE id = ?1")?
        .execute(rusqlite::params![id, text, now])?;
    Ok(())
}
