//! What an import writes to `appointments`: new rows many to a statement, lookups of what is
//! stored under each (appointment id, patient id), and withdrawals.

use anyhow::Result;
use rusqlite::{Connection, named_params};

use super::{in_every_state, transitions};
use crate::clock::{Stamp, db_time};
use crate::domain::row::Appointment;
use crate::domain::state::{Event, State};

/// Rows per multi-row insert: one statement step for many rows is what makes a large import
/// fast; SQLite allows 32,766 parameters, far above 2 + 64 × 16.
pub const INSERT_BATCH: usize = 64;

/// Parameters each row binds (the rest are shared by the statement).
const ROW_PARAMS: usize = 16;

/// `OR FAIL`: a constraint broken half-way through a statement stops it without undoing the
/// rows before it (the import's transaction is rolled back on the error, which undoes them all).
/// With the default `ABORT` SQLite must be able to undo a statement alone, so it copied every
/// page each insert touched to a statement journal first: 4% of the storing thread, and a
/// temporary file written for nothing.
const INSERT_COLUMNS: &str = "INSERT OR FAIL INTO appointments
    (appointment_id, patient_id, phone_number, phone_preference, text_preference, appt_date_time,
     appointment_msg, language, channel, site, data, moved_from, import_row,
     provider, visit_type, duration_minutes, status, import_id, seen_import, created_at, updated_at) VALUES ";

/// The insert statement for `n` rows (1..=INSERT_BATCH), built once per size. The import and
/// the time are the same for every row: bound once as ?1 and ?2, which saves a quarter of the
/// binding work per row.
fn insert_sql(n: usize) -> &'static str {
    static SQL: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let all = SQL.get_or_init(|| {
        (1..=INSERT_BATCH)
            .map(|rows| {
                let values: Vec<String> = (0..rows)
                    .map(|i| {
                        let first = 3 + i * ROW_PARAMS;
                        let p: Vec<String> = (first..first + ROW_PARAMS)
                            .map(|k| format!("?{k}"))
                            .collect();
                        // Every appointment is born pending: the state no event put it in.
                        format!(
                            "({}, '{}', ?1, ?1, ?2, ?2)",
                            p.join(", "),
                            State::Pending.as_str()
                        )
                    })
                    .collect();
                format!("{INSERT_COLUMNS}{}", values.join(", "))
            })
            .collect()
    });
    &all[n - 1]
}

/// A checked row ready to store, with its time already in the stored form so the thread that
/// checked it (not the one writing the database) pays for formatting it.
#[derive(Clone, Debug)]
pub struct NewAppointment {
    pub appt: Appointment,
    /// `appt.at` as stored: UTC RFC 3339.
    pub at: String,
    /// The time of the appointment this one replaces, when it was moved.
    pub moved_from: Option<String>,
    /// The row of the file it came from, as `failed-rows` numbers them.
    pub row: i64,
}

impl NewAppointment {
    pub fn new(appt: Appointment, row: i64) -> Self {
        let at = db_time(appt.at);
        NewAppointment {
            appt,
            at,
            moved_from: None,
            row,
        }
    }
}

/// The import's two batch statements. Those for a full batch (`INSERT_BATCH` rows or keys),
/// nearly every one of a large file, are prepared once per import and kept: taken from the
/// connection's statement cache and given back for every batch, they cost a sixth of the
/// storing thread (the cache clears all 770 bindings on the way back, and hashes the long SQL
/// text both ways). Shorter batches use the cache.
pub struct Batches<'c> {
    conn: &'c Connection,
    insert_full: rusqlite::Statement<'c>,
    lookup_full: rusqlite::Statement<'c>,
}

impl<'c> Batches<'c> {
    pub fn new(conn: &'c Connection) -> Result<Batches<'c>> {
        Ok(Batches {
            conn,
            insert_full: conn.prepare(insert_sql(INSERT_BATCH))?,
            lookup_full: conn.prepare(lookup_sql(INSERT_BATCH))?,
        })
    }

    /// Stores up to `INSERT_BATCH` new appointments in one statement. The caller has checked
    /// each is new (`lookup`), so a clash is an error, never a silently dropped row.
    pub fn insert(&mut self, rows: &[NewAppointment], import_id: i64, now: Stamp) -> Result<usize> {
        debug_assert!((1..=INSERT_BATCH).contains(&rows.len()));
        let mut params: Vec<&dyn rusqlite::ToSql> = Vec::with_capacity(2 + rows.len() * ROW_PARAMS);
        params.extend_from_slice(&[&import_id as &dyn rusqlite::ToSql, &now]);
        for row in rows {
            let a = &row.appt;
            params.extend_from_slice(&[
                &a.appointment_id as &dyn rusqlite::ToSql,
                &a.patient_id,
                &a.phone_number,
                &a.phone_preference,
                &a.text_preference,
                &row.at,
                &a.message,
                &a.language,
                &a.channel,
                &a.site,
                &a.data,
                &row.moved_from,
                &row.row,
                &a.provider,
                &a.visit_type,
                &a.duration_minutes,
            ]);
        }
        if rows.len() == INSERT_BATCH {
            Ok(self.insert_full.execute(params.as_slice())?)
        } else {
            let mut stmt = self.conn.prepare_cached(insert_sql(rows.len()))?;
            Ok(stmt.execute(params.as_slice())?)
        }
    }

    /// What is stored under each (appointment_id, patient_id) of `keys` (at most
    /// INSERT_BATCH).
    pub fn lookup(
        &mut self,
        keys: &[(&str, &str)],
    ) -> Result<Vec<(String, String, crate::domain::dedupe::Stored)>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        debug_assert!(keys.len() <= INSERT_BATCH);
        let params: Vec<&dyn rusqlite::ToSql> = keys
            .iter()
            .flat_map(|(a, p)| [a as &dyn rusqlite::ToSql, p as &dyn rusqlite::ToSql])
            .collect();
        let read = |r: &rusqlite::Row<'_>| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                crate::domain::dedupe::Stored {
                    id: r.get(2)?,
                    at: r.get(3)?,
                    withdrawn: r.get(4)?,
                },
            ))
        };
        if keys.len() == INSERT_BATCH {
            let rows = self.lookup_full.query_map(params.as_slice(), read)?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        } else {
            let mut stmt = self.conn.prepare_cached(lookup_sql(keys.len()))?;
            let rows = stmt.query_map(params.as_slice(), read)?;
            Ok(rows.collect::<rusqlite::Result<_>>()?)
        }
    }
}

/// The lookup statement for `n` keys (1..=INSERT_BATCH), built once per size: a join with
/// the keys, so each is one search of the unique (appointment_id, patient_id, time) index.
fn lookup_sql(n: usize) -> &'static str {
    static SQL: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();
    let all = SQL.get_or_init(|| {
        (1..=INSERT_BATCH)
            .map(|n| {
                let keys: Vec<String> = (0..n)
                    .map(|i| format!("(?{}, ?{})", 2 * i + 1, 2 * i + 2))
                    .collect();
                format!(
                    "SELECT a.appointment_id, a.patient_id, a.id, a.appt_date_time,
                            a.status = 'withdrawn'
                     FROM (VALUES {}) AS k JOIN appointments a
                       ON a.appointment_id = k.column1 AND a.patient_id = k.column2
                     WHERE a.deleted_at IS NULL",
                    keys.join(", ")
                )
            })
            .collect()
    });
    &all[n - 1]
}

/// Takes appointments out of the schedule for good (`reason`: moved, cancelled, not in
/// export, or an operator's words). An attempt already out finishes and is recorded.
pub fn withdraw(conn: &Connection, ids: &[i64], reason: &str, now: Stamp) -> Result<usize> {
    let mut n = 0;
    for &id in ids {
        if transitions::apply_to(conn, id, Event::Withdrawn { reason }, now)?.is_some() {
            n += 1;
        }
    }
    Ok(n)
}

/// Why an appointment was withdrawn, in the words staff read (`withdrawn_reason`).
pub const CANCELLED: &str = "cancelled";
pub const CLINIC_CANCELLED: &str = "cancelled by the clinic";

/// A later export says the patient did not come: every appointment of (appointment_id,
/// patient_id) whose time has passed becomes `no_show`. How many did.
pub fn mark_no_show(
    conn: &Connection,
    appointment_id: &str,
    patient_id: &str,
    now: Stamp,
) -> Result<usize> {
    let ids = conn
        .prepare_cached(
            "SELECT id FROM appointments
             WHERE appointment_id = ?1 AND patient_id = ?2 AND appt_date_time <= ?3
               AND deleted_at IS NULL",
        )?
        .query_map(rusqlite::params![appointment_id, patient_id, now], |r| {
            r.get(0)
        })?
        .collect::<rusqlite::Result<Vec<i64>>>()?;
    let mut n = 0;
    for id in ids {
        if transitions::apply_to(conn, id, Event::NoShow, now)?.is_some() {
            n += 1;
        }
    }
    Ok(n)
}

/// Withdraws every appointment of (appointment_id, patient_id) still in the schedule.
pub fn withdraw_pair(
    conn: &Connection,
    appointment_id: &str,
    patient_id: &str,
    reason: &str,
    now: Stamp,
) -> Result<usize> {
    let ids = conn
        .prepare_cached(
            "SELECT id FROM appointments
             WHERE appointment_id = ?1 AND patient_id = ?2 AND status != 'withdrawn'
               AND deleted_at IS NULL",
        )?
        .query_map([appointment_id, patient_id], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<i64>>>()?;
    withdraw(conn, &ids, reason, now)
}

/// A withdrawn appointment listed again: back in the schedule as if new (the touches it had
/// already had still count), listed by this import.
pub fn reinstate(conn: &Connection, id: i64, import_id: i64, now: Stamp) -> Result<()> {
    transitions::apply_to(conn, id, Event::Reinstated { import: import_id }, now)?;
    Ok(())
}

/// Marks appointments as listed by this import (snapshot files withdraw the rest).
pub fn mark_seen(conn: &Connection, ids: &[i64], import_id: i64) -> Result<()> {
    let mut stmt = conn.prepare_cached("UPDATE appointments SET seen_import = ?2 WHERE id = ?1")?;
    for id in ids {
        stmt.execute(rusqlite::params![id, import_id])?;
    }
    Ok(())
}

/// A snapshot file lists every appointment of its dates: those of `site` in `[from, to)` it did
/// not list are withdrawn.
pub fn withdraw_unlisted(
    conn: &Connection,
    site: &str,
    from: Stamp,
    to: Stamp,
    import_id: i64,
    now: Stamp,
) -> Result<usize> {
    let ids = conn
        .prepare(&format!(
            "SELECT id FROM appointments
             WHERE {} AND appt_date_time >= :from AND appt_date_time < :to
               AND status != 'withdrawn' AND +site = :site
               AND coalesce(seen_import, 0) != :import AND deleted_at IS NULL",
            in_every_state("status")
        ))?
        .query_map(
            named_params! {":from": from, ":to": to, ":site": site, ":import": import_id},
            |r| r.get(0),
        )?
        .collect::<rusqlite::Result<Vec<i64>>>()?;
    withdraw(conn, &ids, "not in export", now)
}

/// SQLite `cache_size` during an import: negative means KiB (24 MiB: at 32 MiB peak RSS of a
/// 1M-row import reached 62 MB, too near the 64 MB budget).
const IMPORT_CACHE_SIZE: i64 = -24 * 1024;

/// The connection's settings for an import, returning the cache size to restore after it. With
/// foreign keys on, SQLite must be able to undo a multi-row insert half-way (a row whose parent
/// is missing aborts the statement), so it copies every page each insert touches to a statement
/// journal first: on a large file a third of the storing time went there. Every row refers to
/// the import row the same transaction writes first, so the check cannot fail; it is off for
/// the import only (the pragma is ignored inside a transaction, hence before it). A row-by-row
/// import (`big_cache`) fills the indexes in no particular order: a bigger cache keeps SQLite
/// from spilling pages to the WAL and reading them back.
pub fn import_settings(conn: &Connection, big_cache: bool) -> Result<i64> {
    let previous: i64 = conn.pragma_query_value(None, "cache_size", |r| r.get(0))?;
    if big_cache {
        conn.pragma_update(None, "cache_size", IMPORT_CACHE_SIZE)?;
    }
    conn.pragma_update(None, "foreign_keys", "OFF")?;
    Ok(previous)
}

/// Back to the connection's usual settings after an import.
pub fn restore_settings(conn: &Connection, cache_size: i64) -> Result<()> {
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "cache_size", cache_size)?;
    Ok(())
}

/// Drops the appointments' secondary indexes for a bulk load (inside its transaction, so a kill
/// leaves them as they were) and returns them for [`rebuild_indexes`]; SQLite may sort for the
/// rebuild on a second core.
pub fn drop_secondary_indexes(tx: &Connection) -> Result<Vec<(String, String)>> {
    tx.pragma_update(None, "threads", 2)?;
    let indexes = super::secondary_indexes(tx)?;
    for (name, _) in &indexes {
        tx.execute_batch(&format!("DROP INDEX \"{name}\""))?;
    }
    Ok(indexes)
}

/// Builds again the indexes [`drop_secondary_indexes`] dropped.
pub fn rebuild_indexes(tx: &Connection, indexes: &[(String, String)]) -> Result<()> {
    for (_, sql) in indexes {
        tx.execute_batch(sql)?;
    }
    Ok(())
}
