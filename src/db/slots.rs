//! The `slots` table: the times patients gave back, offered to the waitlist. A slot is open
//! while offers go out; it ends taken (the first patient to say yes), closed (unfilled, with the
//! reason), or expired (too close to its time).

use crate::clock::Stamp;
use anyhow::Result;
use rusqlite::{Connection, OptionalExtension, named_params};

use crate::config::{OpenFrom, Waitlist};
use crate::db::appointments::CANCELLED;
use crate::domain::slot_states::SlotState;
use crate::domain::state::State;
use crate::domain::waitlist::RETURNED;

/// The SQL condition under which the appointment `a` is given back, for these settings.
fn freed_condition(w: &Waitlist) -> String {
    let mut any = vec!["0".to_string()];
    if w.opens_from(OpenFrom::CancelRequested) {
        any.push(format!("a.status = '{}'", State::CancelRequested.as_str()));
    }
    if w.opens_from(OpenFrom::Cancelled) {
        any.push(format!(
            "(a.status = '{}' AND a.withdrawn_reason = '{CANCELLED}')",
            State::Withdrawn.as_str()
        ));
    }
    format!("({})", any.join(" OR "))
}

/// An appointment whose time is free to offer.
#[derive(Clone, Debug)]
pub struct Freed {
    pub appointment: i64,
    pub site: String,
    pub starts_at: Stamp,
    pub provider: Option<String>,
    pub visit_type: Option<String>,
    pub duration_minutes: Option<i64>,
    pub patient_id: String,
}

/// Appointments given back, starting after `after`, at a site with a waitlist, that have no
/// slot yet — or whose last slot closed because they came back, and that were given back again
/// since.
pub fn freed_without_slot(conn: &Connection, w: &Waitlist, after: Stamp) -> Result<Vec<Freed>> {
    let sql = format!(
        "SELECT a.id, a.site, a.appt_date_time, a.provider, a.visit_type, a.duration_minutes,
                a.patient_id
         FROM appointments a
         WHERE {} AND a.appt_date_time > :after AND a.deleted_at IS NULL
           AND EXISTS (SELECT 1 FROM waitlist_entries e WHERE e.site = a.site)
           AND NOT EXISTS (SELECT 1 FROM slots s WHERE s.appointment_id = a.id
                           AND (s.state != 'closed' OR s.closed_reason IS NOT :returned
                                OR s.closed_at >= a.updated_at))
         ORDER BY a.appt_date_time, a.id",
        freed_condition(w)
    );
    let mut stmt = conn.prepare(&sql)?;
    let rows = stmt.query_map(
        named_params! {":after": after, ":returned": RETURNED},
        |r| {
            Ok(Freed {
                appointment: r.get(0)?,
                site: r.get(1)?,
                starts_at: r.get(2)?,
                provider: r.get(3)?,
                visit_type: r.get(4)?,
                duration_minutes: r.get(5)?,
                patient_id: r.get(6)?,
            })
        },
    )?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Opens a slot for `f`; its id.
pub fn open(conn: &Connection, f: &Freed, local_date: &str, now: Stamp) -> Result<i64> {
    conn.execute(
        "INSERT INTO slots (appointment_id, site, starts_at, local_date, provider, visit_type,
                            duration_minutes, freed_by_patient, opened_at)
         VALUES (:a, :site, :at, :date, :provider, :visit, :duration, :patient, :now)",
        named_params! {
            ":a": f.appointment, ":site": f.site, ":at": f.starts_at, ":date": local_date,
            ":provider": f.provider, ":visit": f.visit_type, ":duration": f.duration_minutes,
            ":patient": f.patient_id, ":now": now,
        },
    )?;
    Ok(conn.last_insert_rowid())
}

/// A slot as the engine reads it.
#[derive(Clone, Debug)]
pub struct Slot {
    pub id: i64,
    pub appointment: i64,
    pub site: String,
    pub starts_at: Stamp,
    pub local_date: String,
    pub provider: Option<String>,
    pub visit_type: Option<String>,
    pub duration_minutes: Option<i64>,
    pub freed_by_patient: String,
    pub state: SlotState,
    pub waves: u32,
    pub last_wave_at: Option<Stamp>,
    /// Offers whose text went out (or may have: its attempt is not undone).
    pub sent: u32,
    /// Its appointment has not come back (`CAME_BACK`).
    pub still_freed: bool,
}

/// The states in which a freed appointment has come back: its patient confirmed after all, or
/// a later export listed it again (it is due its reminders again). Moved, withdrawn or still
/// cancel-requested, its time stays free.
const CAME_BACK: [State; 6] = [
    State::Pending,
    State::InFlight,
    State::Reached,
    State::RetryWait,
    State::Failed,
    State::Confirmed,
];

fn select(filter: &str) -> String {
    let came_back: Vec<String> = CAME_BACK
        .iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect();
    format!(
        "SELECT s.id, s.appointment_id, s.site, s.starts_at, s.local_date, s.provider,
                s.visit_type, s.duration_minutes, s.freed_by_patient, s.state, s.waves,
                s.last_wave_at,
                (SELECT count(*) FROM offers o WHERE o.slot_id = s.id),
                (SELECT a.status NOT IN ({}) FROM appointments a WHERE a.id = s.appointment_id)
         FROM slots s WHERE {filter}",
        came_back.join(", ")
    )
}

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Slot> {
    Ok(Slot {
        id: r.get(0)?,
        appointment: r.get(1)?,
        site: r.get(2)?,
        starts_at: r.get(3)?,
        local_date: r.get(4)?,
        provider: r.get(5)?,
        visit_type: r.get(6)?,
        duration_minutes: r.get(7)?,
        freed_by_patient: r.get(8)?,
        state: r.get(9)?,
        waves: r.get(10)?,
        last_wave_at: r.get(11)?,
        sent: r.get(12)?,
        still_freed: r.get::<_, Option<bool>>(13)?.unwrap_or(false),
    })
}

/// Every open slot, soonest first.
pub fn open_slots(conn: &Connection) -> Result<Vec<Slot>> {
    let mut stmt = conn.prepare(&select("s.state = 'open' ORDER BY s.starts_at, s.id"))?;
    let rows = stmt.query_map([], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<Slot>> {
    Ok(conn
        .query_row(&select("s.id = ?1"), [id], from_row)
        .optional()?)
}

/// Ends an open slot unfilled (`closed` with `reason`, or `expired`); its offers still
/// unanswered close with it. Whether it was still open.
pub fn end(conn: &Connection, id: i64, state: SlotState, reason: &str, now: Stamp) -> Result<bool> {
    let n = conn.execute(
        "UPDATE slots SET state = :state, closed_reason = :reason, closed_at = :now
         WHERE id = :id AND state = 'open'",
        named_params! {":state": state, ":reason": reason, ":now": now, ":id": id},
    )?;
    conn.execute(
        "UPDATE offers SET state = 'closed' WHERE slot_id = ?1 AND state = 'open'",
        [id],
    )?;
    Ok(n == 1)
}

/// Notes wave `wave` as begun at `now` (once per wave, whichever offer records it first).
pub fn mark_wave(conn: &Connection, id: i64, wave: u32, now: Stamp) -> Result<()> {
    conn.execute(
        "UPDATE slots SET waves = :wave, last_wave_at = :now WHERE id = :id AND waves < :wave",
        named_params! {":wave": wave, ":now": now, ":id": id},
    )?;
    Ok(())
}

/// The slot goes to the patient of `offer`, if it is still open: whether they got it. The
/// caller's transaction makes the first of two replies arriving together the only winner.
pub fn take(conn: &Connection, id: i64, offer: &super::offers::Offer, now: Stamp) -> Result<bool> {
    let n = conn.execute(
        "UPDATE slots SET state = 'taken', taker_patient_id = :patient,
                          taker_moves_from = :moves, taken_at = :now, closed_at = :now
         WHERE id = :id AND state = 'open'",
        named_params! {
            ":patient": offer.patient_id, ":moves": offer.moves_from, ":now": now, ":id": id,
        },
    )?;
    if n == 1 {
        conn.execute(
            "UPDATE offers SET state = 'closed' WHERE slot_id = ?1 AND state = 'open' AND id != ?2",
            rusqlite::params![id, offer.id],
        )?;
    }
    Ok(n == 1)
}

/// Whether any slot is open, or any appointment waits for one: a run has waitlist work.
pub fn any_work(conn: &Connection, w: &Waitlist, after: Stamp) -> Result<bool> {
    let open: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM slots WHERE state = 'open')",
        [],
        |r| r.get(0),
    )?;
    Ok(open || !freed_without_slot(conn, w, after)?.is_empty())
}
