//! The `appointment_logs` table: one row per attempt to reach a patient.

use crate::clock::Stamp;
use anyhow::Result;
use rusqlite::{Connection, OptionalExtension, named_params};

use crate::domain::channel::Channel;
use crate::domain::contact_kind::ContactKind;

/// An attempt as stored.
#[derive(Clone, Debug)]
pub struct Attempt {
    pub id: i64,
    pub appointment: i64,
    pub attempt: i64,
    pub channel: Channel,
    pub sid: Option<String>,
    pub to: String,
    pub status: String,
    pub sequence_number: Option<i64>,
    pub created_at: Stamp,
    pub from: Option<String>,
    /// The first attempt of the contact this one was part of (none before schema 9).
    pub contact: Option<i64>,
    /// SHA-256 of a text's body.
    pub sent_sha256: Option<String>,
    pub kind: ContactKind,
}

const COLUMNS: &str =
    "id, appointment_id, attempt, channel, sid, \"to\", status, sequence_number, created_at,
     \"from\", contact_id, sent_sha256, kind";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Attempt> {
    let channel: String = r.get(3)?;
    Ok(Attempt {
        id: r.get(0)?,
        appointment: r.get(1)?,
        attempt: r.get(2)?,
        channel: Channel::parse(&channel).unwrap_or(Channel::Call),
        sid: r.get(4)?,
        to: r.get(5)?,
        status: r.get(6)?,
        sequence_number: r.get(7)?,
        created_at: r.get(8)?,
        from: r.get(9)?,
        contact: r.get(10)?,
        sent_sha256: r.get(11)?,
        // A kind this build does not know (a newer one wrote it) moves nothing.
        kind: ContactKind::from_stored(r.get::<_, Option<String>>(12)?.as_deref())
            .unwrap_or(ContactKind::VoicemailText),
    })
}

pub struct NewAttempt<'a> {
    pub appointment: i64,
    pub attempt: i64,
    pub channel: Channel,
    pub to: &'a str,
    pub from: &'a str,
    pub run_id: Option<i64>,
    /// The touch (its `days_before`) the attempt belongs to.
    pub touch: Option<u32>,
    /// A text's segments, as counted here (Twilio's own count replaces it when reported).
    pub segments: Option<u32>,
    /// SHA-256 of a text's body (`message::digest`).
    pub sent: Option<&'a str>,
    pub kind: ContactKind,
    pub now: Stamp,
}

/// Records an attempt before its request goes out: status `dispatching`, no SID yet.
pub fn insert(conn: &Connection, a: &NewAttempt<'_>) -> Result<i64> {
    conn.prepare_cached(
        "INSERT INTO appointment_logs (appointment_id, attempt, channel, \"to\", \"from\", status,
             run_id, touch_days, num_segments, sent_sha256, kind, created_at, updated_at)
         VALUES (:appt, :attempt, :channel, :to, :from, 'dispatching', :run, :touch, :segments,
             :sent, :kind, :now, :now)",
    )?
    .execute(named_params! {
        ":appt": a.appointment, ":attempt": a.attempt, ":channel": a.channel.as_str(),
        ":to": a.to, ":from": a.from, ":run": a.run_id, ":touch": a.touch,
        ":segments": a.segments, ":sent": a.sent, ":kind": a.kind.stored(), ":now": a.now,
    })?;
    Ok(conn.last_insert_rowid())
}

/// Marks `ids` (the attempts of one contact, first first) as one contact.
pub fn set_contact(conn: &Connection, ids: &[i64]) -> Result<()> {
    let Some(&first) = ids.first() else {
        return Ok(());
    };
    let mut stmt =
        conn.prepare_cached("UPDATE appointment_logs SET contact_id = ?1 WHERE id = ?2")?;
    for id in ids {
        stmt.execute([first, *id])?;
    }
    Ok(())
}

/// Whether a contact to `to` on `channel` is recorded as going out but not settled: no SID,
/// still `dispatching` (a run died, or Twilio could not be asked what became of it).
pub fn unsettled_to(conn: &Connection, to: &str, channel: Channel) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT 1 FROM appointment_logs
             WHERE \"to\" = ?1 AND channel = ?2 AND sid IS NULL AND status = 'dispatching' LIMIT 1",
        )?
        .query_row(rusqlite::params![to, channel.as_str()], |_| Ok(()))
        .optional()?
        .is_some())
}

/// The attempts a call or message made: one per appointment it was about.
pub fn by_sid(conn: &Connection, sid: &str) -> Result<Vec<Attempt>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM appointment_logs WHERE sid = ?1 ORDER BY id"
    ))?;
    let rows = stmt.query_map([sid], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn by_id(conn: &Connection, id: i64) -> Result<Option<Attempt>> {
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM appointment_logs WHERE id = ?1"
        ))?
        .query_row([id], from_row)
        .optional()?)
}

/// Attempts a dead run left between "recorded" and "Twilio answered".
pub fn unfinished_without_sid(conn: &Connection) -> Result<Vec<Attempt>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM appointment_logs WHERE sid IS NULL AND status = 'dispatching' ORDER BY id"
    ))?;
    let rows = stmt.query_map([], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Attempts Twilio has accepted but whose final outcome has not reached us.
pub fn awaiting_outcome(conn: &Connection) -> Result<Vec<Attempt>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM appointment_logs
         WHERE sid IS NOT NULL AND status IN
             ('queued', 'accepted', 'scheduled', 'sending', 'sent', 'initiated', 'ringing', 'in-progress')
         ORDER BY id"
    ))?;
    let rows = stmt.query_map([], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn known_sids_to(conn: &Connection, to: &str) -> Result<Vec<String>> {
    let mut stmt =
        conn.prepare("SELECT sid FROM appointment_logs WHERE \"to\" = ?1 AND sid IS NOT NULL")?;
    let rows = stmt.query_map([to], |r| r.get(0))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Twilio accepted the request: the attempt now has its SID and first status.
pub fn set_sid(conn: &Connection, id: i64, sid: &str, status: &str, now: Stamp) -> Result<()> {
    conn.execute(
        "UPDATE appointment_logs SET sid = :sid, status = :status, updated_at = :now WHERE id = :id",
        named_params! {":sid": sid, ":status": status, ":now": now, ":id": id},
    )?;
    Ok(())
}

/// The request ended without a SID: Twilio refused it, or it never reached Twilio.
pub fn set_unsent(
    conn: &Connection,
    id: i64,
    status: &str,
    error_code: Option<i64>,
    error_message: Option<&str>,
    now: Stamp,
) -> Result<()> {
    conn.execute(
        "UPDATE appointment_logs SET status = :status, error_code = :code, error_message = :msg,
             updated_at = :now WHERE id = :id",
        named_params! {":status": status, ":code": error_code, ":msg": error_message, ":now": now, ":id": id},
    )?;
    Ok(())
}

/// What a status callback or a fetch says about an attempt; `None` keeps what is stored.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StatusReport {
    pub sid: String,
    pub status: String,
    pub sequence_number: Option<i64>,
    pub duration: Option<i64>,
    pub start_time: Option<String>,
    pub end_time: Option<String>,
    pub answered_by: Option<String>,
    pub error_code: Option<i64>,
    pub error_message: Option<String>,
    /// What Twilio reported it cost (its sign flipped: a cost is positive), and in what.
    pub price: Option<f64>,
    pub price_unit: Option<String>,
    pub num_segments: Option<i64>,
}

pub fn record_status(conn: &Connection, id: i64, r: &StatusReport, now: Stamp) -> Result<()> {
    // Cached: the listener runs this for nearly every callback.
    conn.prepare_cached(
        "UPDATE appointment_logs SET status = :status,
             sequence_number = coalesce(:seq, sequence_number),
             duration = coalesce(:duration, duration),
             start_time = coalesce(:start, start_time),
             end_time = coalesce(:end, end_time),
             answered_by = coalesce(:answered_by, answered_by),
             error_code = coalesce(:code, error_code),
             error_message = coalesce(:msg, error_message),
             price = coalesce(:price, price),
             price_unit = coalesce(:unit, price_unit),
             num_segments = coalesce(:segments, num_segments),
             updated_at = :now
         WHERE id = :id",
    )?
    .execute(named_params! {
            ":status": r.status, ":seq": r.sequence_number, ":duration": r.duration,
            ":start": r.start_time, ":end": r.end_time, ":answered_by": r.answered_by,
            ":code": r.error_code, ":msg": r.error_message, ":price": r.price,
            ":unit": r.price_unit, ":segments": r.num_segments, ":now": now, ":id": id,
    })?;
    Ok(())
}

/// What the last text to `phone` (from `a` or `b` when given) was: its appointment and kind.
/// A reply answers it.
pub fn last_text_to(
    conn: &Connection,
    phone: &str,
    a: Option<&str>,
    b: Option<&str>,
) -> Result<Option<(i64, ContactKind, i64)>> {
    use rusqlite::OptionalExtension;
    let last: Option<(i64, Option<String>, i64)> = conn
        .prepare_cached(
            "SELECT appointment_id, kind, id FROM appointment_logs
             WHERE \"to\" = ?1 AND channel = 'sms' AND sid IS NOT NULL
               AND (?2 IS NULL OR \"from\" IN (?2, ?3))
             ORDER BY id DESC LIMIT 1",
        )?
        .query_row(rusqlite::params![phone, a, b.or(a)], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?;
    Ok(last.map(|(id, kind, log_id)| {
        (
            id,
            ContactKind::from_stored(kind.as_deref()).unwrap_or(ContactKind::Reminder),
            log_id,
        )
    }))
}
