//! The `offers` table: one text offering a slot to one waiting patient, and what they answered.
//! The text itself is an attempt row of kind `offer` (`log_id`), so it is sent, recovered after
//! a crash and counted for the caps as every contact is.

use crate::clock::Stamp;
use crate::domain::languages::code::Language;
use crate::domain::slot_states::OfferState;
use anyhow::Result;
use rusqlite::{Connection, OptionalExtension, named_params};

#[derive(Clone, Debug)]
pub struct Offer {
    pub id: i64,
    pub slot: i64,
    pub log_id: i64,
    pub patient_id: String,
    pub phone_number: String,
    pub language: Language,
    pub moves_from: Option<String>,
    pub wave: u32,
    pub state: OfferState,
}

pub struct NewOffer<'a> {
    pub slot: i64,
    pub log_id: i64,
    pub patient_id: &'a str,
    pub phone_number: &'a str,
    pub language: Language,
    pub moves_from: Option<&'a str>,
    pub wave: u32,
    pub now: Stamp,
}

pub fn insert(conn: &Connection, o: &NewOffer<'_>) -> Result<i64> {
    conn.execute(
        "INSERT INTO offers (slot_id, log_id, patient_id, phone_number, language, moves_from,
                             wave, sent_at)
         VALUES (:slot, :log, :patient, :phone, :language, :moves, :wave, :now)",
        named_params! {
            ":slot": o.slot, ":log": o.log_id, ":patient": o.patient_id,
            ":phone": o.phone_number, ":language": o.language, ":moves": o.moves_from,
            ":wave": o.wave, ":now": o.now,
        },
    )?;
    Ok(conn.last_insert_rowid())
}

/// The offer whose text is the attempt row `log_id`.
pub fn by_log(conn: &Connection, log_id: i64) -> Result<Option<Offer>> {
    Ok(conn
        .query_row(
            "SELECT id, slot_id, log_id, patient_id, phone_number, language, moves_from, wave,
                    state
             FROM offers WHERE log_id = ?1",
            [log_id],
            |r| {
                Ok(Offer {
                    id: r.get(0)?,
                    slot: r.get(1)?,
                    log_id: r.get(2)?,
                    patient_id: r.get(3)?,
                    phone_number: r.get(4)?,
                    language: r.get(5)?,
                    moves_from: r.get(6)?,
                    wave: r.get(7)?,
                    state: r.get(8)?,
                })
            },
        )
        .optional()?)
}

/// Records the patient's answer: `taken`, `lost`, `declined`. An answer already recorded (a
/// repeated reply) is not changed.
pub fn answer(conn: &Connection, id: i64, state: OfferState, now: Stamp) -> Result<()> {
    conn.execute(
        "UPDATE offers SET state = :state, answered_at = :now
         WHERE id = :id AND answered_at IS NULL",
        named_params! {":state": state, ":now": now, ":id": id},
    )?;
    Ok(())
}

/// An offer whose text never went out did not happen: the patient may be offered the slot
/// again.
pub fn forget(conn: &Connection, log_id: i64) -> Result<()> {
    conn.execute("DELETE FROM offers WHERE log_id = ?1", [log_id])?;
    Ok(())
}

/// Whether `phone` holds an offer of an open slot other than `slot`.
pub fn open_elsewhere(conn: &Connection, phone: &str, slot: i64) -> Result<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM offers o JOIN slots s ON s.id = o.slot_id
                        WHERE o.phone_number = ?1 AND o.state = 'open' AND s.state = 'open'
                          AND o.slot_id != ?2)",
        rusqlite::params![phone, slot],
        |r| r.get(0),
    )?)
}

/// Whether `slot` was offered to this patient or this number already.
pub fn offered(conn: &Connection, slot: i64, patient_id: &str, phone: &str) -> Result<bool> {
    Ok(conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM offers
                        WHERE slot_id = ?1 AND (patient_id = ?2 OR phone_number = ?3))",
        rusqlite::params![slot, patient_id, phone],
        |r| r.get(0),
    )?)
}
