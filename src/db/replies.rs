//! The `replies` table: every text a patient sent, what it meant and what it was about.

use crate::clock::Stamp;
use anyhow::Result;
use rusqlite::{Connection, named_params};
use serde::Serialize;

pub struct NewReply<'a> {
    pub message_sid: &'a str,
    pub phone_number: &'a str,
    pub body: &'a str,
    /// confirm, cancel, opt_out, opt_in, help, other
    pub kind: &'a str,
    pub appointment: Option<i64>,
    pub site: &'a str,
    pub now: Stamp,
}

/// Keeps a reply; `false` when this message was kept before (Twilio sent it again).
pub fn insert(conn: &Connection, r: &NewReply<'_>) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "INSERT INTO replies (message_sid, phone_number, body, kind, appointment, site, received_at)
             VALUES (:sid, :phone, :body, :kind, :appt, :site, :now)
             ON CONFLICT (message_sid) DO NOTHING",
        )?
        .execute(named_params! {
            ":sid": r.message_sid, ":phone": r.phone_number, ":body": r.body, ":kind": r.kind,
            ":appt": r.appointment, ":site": r.site, ":now": r.now,
        })?
        == 1)
}

/// Whether the number sent a free-text reply (other than `except`) since `since`: it has had
/// its answer already, so an auto-responder cannot start a ping-pong.
pub fn answered_other_since(
    conn: &Connection,
    phone: &str,
    except: &str,
    since: Stamp,
) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT count(*) FROM replies
             WHERE +kind = 'other' AND phone_number = :phone AND message_sid != :except
               AND received_at >= :since",
        )?
        .query_row(
            named_params! {":phone": phone, ":except": except, ":since": since},
            |r| r.get::<_, i64>(0),
        )?
        > 0)
}

/// A reply no word matched, for the people who read them.
#[derive(Clone, Debug, Serialize)]
pub struct Unmatched {
    pub phone_number: String,
    pub body: String,
    pub appointment_id: Option<String>,
    pub patient_id: Option<String>,
    pub site: String,
    pub received_at: Stamp,
}

/// Free-text replies received in `[from, to)`, oldest first.
pub fn unmatched(conn: &Connection, from: Stamp, to: Stamp) -> Result<Vec<Unmatched>> {
    let mut stmt = conn.prepare_cached(
        "SELECT r.phone_number, r.body, a.appointment_id, a.patient_id, r.site, r.received_at
         FROM replies r LEFT JOIN appointments a ON a.id = r.appointment
         WHERE r.kind = 'other' AND r.received_at >= :from AND r.received_at < :to
         ORDER BY r.received_at, r.id",
    )?;
    let rows = stmt.query_map(named_params! {":from": from, ":to": to}, |r| {
        Ok(Unmatched {
            phone_number: r.get(0)?,
            body: r.get(1)?,
            appointment_id: r.get(2)?,
            patient_id: r.get(3)?,
            site: r.get(4)?,
            received_at: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}
