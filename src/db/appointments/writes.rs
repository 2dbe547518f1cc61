//! How an appointment's state moves as attempts are made and news comes in.

use anyhow::Result;
use rusqlite::{Connection, named_params};

use crate::domain::channel::Channel;
use crate::domain::state::State;

/// Moves an appointment to `to`, stamping when it was reached, confirmed or asked to be
/// cancelled (`success_at` is stamped on reaching and again on confirming).
pub fn set_state(conn: &Connection, id: i64, to: State, now: &str) -> Result<()> {
    let success = matches!(to, State::Reached | State::Confirmed);
    // A patient who confirms or asks to cancel was reached, even if no status said so first.
    let reached = to.is_reached();
    // Cached: every status callback that ends an attempt runs this.
    conn.prepare_cached(
        "UPDATE appointments SET status = :to, updated_at = :now,
             success_at = CASE WHEN :success THEN :now
                               WHEN :reached THEN coalesce(success_at, :now)
                               ELSE success_at END,
             reached_at = CASE WHEN :reached THEN coalesce(reached_at, :now) ELSE reached_at END,
             confirmed_at = CASE WHEN :to = 'confirmed' THEN :now ELSE confirmed_at END,
             cancel_requested_at = CASE WHEN :to = 'cancel_requested' THEN :now
                                        ELSE cancel_requested_at END
         WHERE id = :id",
    )?
    .execute(named_params! {
        ":to": to.as_str(), ":now": now, ":success": success, ":reached": reached, ":id": id,
    })?;
    Ok(())
}

/// Counts the attempt of touch `touch` that is about to go out and marks the appointment in
/// flight; the attempt's number (across all touches).
pub fn start_attempt(conn: &Connection, id: i64, touch: u32, now: &str) -> Result<i64> {
    Ok(conn
        .prepare_cached(
            "UPDATE appointments SET status = 'in_flight', attempt_count = attempt_count + 1,
                 touch_attempts = CASE WHEN touch_days IS :touch THEN touch_attempts + 1 ELSE 1 END,
                 touch_days = :touch, last_attempt_at = :now, updated_at = :now
             WHERE id = :id RETURNING attempt_count",
        )?
        .query_row(
            named_params! {":now": now, ":id": id, ":touch": touch},
            |r| r.get(0),
        )?)
}

/// Undoes `start_attempt` for an attempt that never reached Twilio (its log row already marked
/// `not-sent`): the touch is recounted from the attempts that did happen.
pub fn forget_attempt(conn: &Connection, id: i64, to: State, now: &str) -> Result<()> {
    conn.prepare_cached(
        "UPDATE appointments SET status = :to, attempt_count = max(attempt_count - 1, 0),
             touch_days = (SELECT l.touch_days FROM appointment_logs l
                           WHERE l.appointment_id = :id AND l.status != 'not-sent'
                           ORDER BY l.attempt DESC, l.id DESC LIMIT 1),
             updated_at = :now
         WHERE id = :id",
    )?
    .execute(named_params! {":to": to.as_str(), ":now": now, ":id": id})?;
    conn.prepare_cached(
        "UPDATE appointments SET touch_attempts =
             (SELECT count(*) FROM appointment_logs l
              WHERE l.appointment_id = :id AND l.status != 'not-sent'
                AND l.touch_days IS appointments.touch_days)
         WHERE id = :id",
    )?
    .execute(named_params! {":id": id})?;
    Ok(())
}

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

pub fn set_channel(conn: &Connection, id: i64, channel: Channel, now: &str) -> Result<()> {
    conn.execute(
        "UPDATE appointments SET channel = ?1, updated_at = ?2 WHERE id = ?3",
        rusqlite::params![channel.as_str(), now, id],
    )?;
    Ok(())
}

/// The patient's last text, kept on each appointment it was about (for the results file).
pub fn set_last_reply(conn: &Connection, id: i64, text: &str, now: &str) -> Result<()> {
    conn.prepare_cached("UPDATE appointments SET last_reply = ?2, updated_at = ?3 WHERE id = ?1")?
        .execute(rusqlite::params![id, text, now])?;
    Ok(())
}
