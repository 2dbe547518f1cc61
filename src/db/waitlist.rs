//! The `waitlist_entries` table, as waitlist files fill it (docs/waitlist.md), and the mark an
//! export leaves on a taken slot when it lists the taker at the slot's time.

use crate::clock::Stamp;
use anyhow::Result;
use rusqlite::{Connection, named_params};

use crate::domain::waitlist_entry::Entry;

/// One checked row of a waitlist file, ready to store.
#[derive(Clone, Debug, PartialEq)]
pub struct NewEntry {
    pub entry: Entry,
    /// The row of the file it came from.
    pub row: i64,
}

/// Makes `entries` the whole waitlist of each site in `sites` (inside the caller's
/// transaction): every entry of those sites goes, the file's entries come in, in file order.
/// Other sites' entries stay. How many entries were removed.
pub fn replace_sites(
    tx: &Connection,
    import_id: i64,
    sites: &[&str],
    entries: &[NewEntry],
) -> Result<usize> {
    let mut removed = 0;
    {
        let mut delete = tx.prepare_cached("DELETE FROM waitlist_entries WHERE site = ?1")?;
        for site in sites {
            removed += delete.execute([site])?;
        }
    }
    let mut insert = tx.prepare_cached(
        "INSERT INTO waitlist_entries
             (import_id, row_number, site, patient_id, phone_number, language, provider,
              visit_type, duration_minutes, earliest, latest, appointment_id, added, data)
         VALUES (:import, :row, :site, :patient, :phone, :language, :provider, :visit_type,
                 :duration, :earliest, :latest, :appointment, :added, :data)",
    )?;
    for new in entries {
        let e = &new.entry;
        insert.execute(named_params! {
            ":import": import_id,
            ":row": new.row,
            ":site": e.site,
            ":patient": e.patient_id,
            ":phone": e.phone_number,
            ":language": e.language,
            ":provider": e.provider,
            ":visit_type": e.visit_type,
            ":duration": e.duration_minutes,
            ":earliest": e.earliest.map(|d| d.to_string()),
            ":latest": e.latest.map(|d| d.to_string()),
            ":appointment": e.appointment_id,
            ":added": crate::clock::db_time(e.added),
            ":data": e.data,
        })?;
    }
    Ok(removed)
}

/// How many entries each site's waitlist holds, by site key.
pub fn count_by_site(conn: &Connection) -> Result<Vec<(String, i64)>> {
    let mut stmt =
        conn.prepare("SELECT site, count(*) FROM waitlist_entries GROUP BY site ORDER BY site")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Marks as booked every taken slot whose taker an appointment import listed at the slot's
/// time and site — stored by it, or seen again by it (a duplicate, or one it brought back):
/// the clinic has made the booking, and nobody needs to be told to make it. How many.
pub fn mark_booked(conn: &Connection, import_id: i64, now: Stamp) -> Result<usize> {
    Ok(conn.execute(
        "UPDATE slots SET booked_at = :now
         WHERE state = 'taken' AND booked_at IS NULL AND taker_patient_id IS NOT NULL
           AND EXISTS (
               SELECT 1 FROM appointments a
               WHERE a.patient_id = slots.taker_patient_id
                 AND a.appt_date_time = slots.starts_at
                 AND a.site = slots.site
                 AND a.deleted_at IS NULL
                 AND (a.import_id = :import
                      OR a.id IN (SELECT e.appointment FROM import_events e
                                  WHERE e.import_id = :import AND e.appointment IS NOT NULL)))",
        named_params! {":now": now, ":import": import_id},
    )?)
}
