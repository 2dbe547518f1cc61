//! What `status --check` reads beside a day's appointments: calls and texts whose callbacks
//! never came, and numbers Twilio refused.

use crate::clock::Stamp;
use anyhow::Result;
use rusqlite::{Connection, named_params};

pub(crate) fn silent_attempts_sql() -> &'static str {
    "SELECT count(DISTINCT CASE WHEN NOT heard THEN sid END),
            count(DISTINCT CASE WHEN NOT heard AND open THEN sid END),
            count(DISTINCT CASE WHEN heard THEN sid END),
            min(CASE WHEN NOT heard THEN created_at END)
     FROM (SELECT l.sid, l.created_at,
                  EXISTS (SELECT 1 FROM webhook_events e WHERE e.sid = l.sid) AS heard,
                  l.status IN ('queued', 'accepted', 'scheduled', 'sending', 'initiated',
                               'ringing', 'in-progress') AS open
           FROM appointment_logs l
           WHERE l.created_at >= :from AND l.created_at < :to AND l.created_at < :before
             AND l.sid IS NOT NULL)"
}

/// Calls and texts made in `[from, to)`, before `before`, and their callbacks.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Silence {
    /// No callback was ever received for them.
    pub silent: i64,
    /// ... and their outcome is still unknown (`reconcile` has not found it either).
    pub silent_open: i64,
    /// A callback arrived for them: the listener is reached.
    pub heard: i64,
    pub oldest_silent: Option<String>,
}

pub fn silent_attempts(
    conn: &Connection,
    from: Stamp,
    to: Stamp,
    before: Stamp,
) -> Result<Silence> {
    Ok(conn.query_row(
        silent_attempts_sql(),
        named_params! {":from": from, ":to": to, ":before": before},
        |r| {
            Ok(Silence {
                silent: r.get(0)?,
                silent_open: r.get(1)?,
                heard: r.get(2)?,
                oldest_silent: r.get(3)?,
            })
        },
    )?)
}

/// Twilio error codes that mean the number itself is wrong for the channel (invalid, not a
/// mobile, unknown or a landline for texts).
pub const BAD_NUMBER_CODES: [i64; 7] = [21211, 13224, 21217, 21614, 21635, 30005, 30006];

#[derive(Clone, Debug)]
pub struct BadNumberRow {
    pub appointment_id: String,
    pub patient_id: String,
    pub phone_number: String,
    pub error_code: i64,
    pub at: Stamp,
    /// The appointment was reached after all (by a later attempt).
    pub reached_later: bool,
    /// An offer of a freed slot to a waiting patient (`patient_id` is theirs): their number is
    /// on the waitlist file, not the appointment's row.
    pub waitlist: bool,
}

pub(crate) fn bad_numbers_sql() -> String {
    format!(
        "SELECT a.appointment_id, coalesce(o.patient_id, a.patient_id), l.\"to\", l.error_code,
             l.created_at, o.id IS NULL AND a.reached_at IS NOT NULL, o.id IS NOT NULL
         FROM appointment_logs l JOIN appointments a ON a.id = l.appointment_id
              LEFT JOIN offers o ON o.log_id = l.id
         WHERE l.created_at >= :from AND l.created_at < :to AND l.error_code IN ({})
         ORDER BY l.created_at, l.id",
        BAD_NUMBER_CODES.map(|c| c.to_string()).join(", ")
    )
}

/// Attempts of `[from, to)` Twilio refused because of the number.
pub fn bad_numbers(conn: &Connection, from: Stamp, to: Stamp) -> Result<Vec<BadNumberRow>> {
    let mut stmt = conn.prepare(&bad_numbers_sql())?;
    let rows = stmt.query_map(named_params! {":from": from, ":to": to}, |r| {
        Ok(BadNumberRow {
            appointment_id: r.get(0)?,
            patient_id: r.get(1)?,
            phone_number: r.get(2)?,
            error_code: r.get(3)?,
            at: r.get(4)?,
            reached_later: r.get(5)?,
            waitlist: r.get(6)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
