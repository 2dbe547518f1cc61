//! Retention (docs/operations.md, "Retention"): what `prune` deletes, table by table, for a cut-off
//! instant. Each table's condition is written once and serves both the count of a dry run and the
//! delete, so the two can never disagree. Kept: `imports` (their checksums stop an old file from
//! being imported again) and `opt_outs` (a number that said STOP stays uncontacted), and `runs`,
//! which hold no patient data.

use anyhow::{Context, Result};
use rusqlite::{Connection, named_params};
use serde::Serialize;

use crate::clock::Stamp;
use crate::db::appointments::in_every_state;

/// The appointments older than the cut-off (`:cut`, UTC RFC 3339), by the (status, time) index.
fn old_appointments() -> String {
    format!(
        "SELECT id FROM appointments WHERE {} AND appt_date_time < :cut",
        in_every_state("status")
    )
}

/// Every table `prune` deletes from, children before their parents (attempts and replies point
/// at appointments), with the condition its rows go on.
fn tables() -> [(&'static str, String); 10] {
    [
        // A slot an old appointment freed, and its offers (whose texts are that appointment's
        // attempt rows), before both.
        (
            "offers",
            format!(
                "slot_id IN (SELECT id FROM slots WHERE appointment_id IN ({}))",
                old_appointments()
            ),
        ),
        (
            "slots",
            format!("appointment_id IN ({})", old_appointments()),
        ),
        // Before the appointments, which its rows refer to.
        (
            "import_events",
            format!("at < :cut OR appointment IN ({})", old_appointments()),
        ),
        (
            "holds",
            format!("appointment_id IN ({})", old_appointments()),
        ),
        (
            "appointment_logs",
            format!("appointment_id IN ({})", old_appointments()),
        ),
        // A reply older than the cut-off goes, and so does any reply about an appointment that
        // goes (its reference would otherwise break).
        (
            "replies",
            format!(
                "received_at < :cut OR appointment IN ({})",
                old_appointments()
            ),
        ),
        ("appointments", format!("id IN ({})", old_appointments())),
        ("webhook_events", "received_at < :cut".to_string()),
        (
            "failed_import_rows",
            "import_id IN (SELECT id FROM imports WHERE started_at < :cut)".to_string(),
        ),
        // A waitlist no file has replaced since the cut-off is as old as its file.
        (
            "waitlist_entries",
            "import_id IN (SELECT id FROM imports WHERE started_at < :cut)".to_string(),
        ),
    ]
}

/// How many rows of each table go (or went).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub appointments: u64,
    pub attempts: u64,
    pub holds: u64,
    pub replies: u64,
    pub webhook_events: u64,
    pub failed_import_rows: u64,
    pub import_events: u64,
    pub slots: u64,
    pub offers: u64,
    pub waitlist_entries: u64,
}

impl Counts {
    fn set(&mut self, table: &str, n: u64) {
        match table {
            "appointment_logs" => self.attempts = n,
            "holds" => self.holds = n,
            "replies" => self.replies = n,
            "appointments" => self.appointments = n,
            "webhook_events" => self.webhook_events = n,
            "import_events" => self.import_events = n,
            "slots" => self.slots = n,
            "offers" => self.offers = n,
            "waitlist_entries" => self.waitlist_entries = n,
            _ => self.failed_import_rows = n,
        }
    }

    /// (what, how many), as `prune` prints them.
    pub fn lines(&self) -> [(&'static str, u64); 10] {
        [
            ("appointments", self.appointments),
            ("attempts (appointment_logs)", self.attempts),
            ("holds", self.holds),
            ("replies", self.replies),
            ("callbacks (webhook_events)", self.webhook_events),
            (
                "rejected rows (failed_import_rows)",
                self.failed_import_rows,
            ),
            ("what import rows did (import_events)", self.import_events),
            ("freed slots (slots)", self.slots),
            ("offers of freed slots (offers)", self.offers),
            ("waiting patients (waitlist_entries)", self.waitlist_entries),
        ]
    }
}

/// What a prune at `cut` would delete; changes nothing.
pub fn count(conn: &Connection, cut: Stamp) -> Result<Counts> {
    let tx = conn.unchecked_transaction()?;
    let mut counts = Counts::default();
    for (table, condition) in tables() {
        let n: i64 = tx
            .query_row(
                &format!("SELECT count(*) FROM {table} WHERE {condition}"),
                named_params! {":cut": cut},
                |r| r.get(0),
            )
            .with_context(|| format!("counting the {table} to prune"))?;
        counts.set(table, n.max(0) as u64);
    }
    tx.finish()?;
    Ok(counts)
}

/// Deletes everything older than `cut` in one transaction: all of it goes, or (on any error)
/// none of it. Deleted content is overwritten (`secure_delete`), not left in free pages.
pub fn delete(conn: &mut Connection, cut: Stamp) -> Result<Counts> {
    conn.pragma_update(None, "secure_delete", "ON")?;
    let tx = crate::db::begin(conn)?;
    let mut counts = Counts::default();
    for (table, condition) in tables() {
        let n = tx
            .execute(
                &format!("DELETE FROM {table} WHERE {condition}"),
                named_params! {":cut": cut},
            )
            .with_context(|| format!("deleting the {table} older than {cut}"))?;
        counts.set(table, n as u64);
    }
    tx.commit().context("committing the prune")?;
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::stored_at;

    #[test]
    fn appointments_and_imports_are_found_by_their_time_indexes() {
        let conn = crate::db::open_memory();
        for (table, condition) in tables() {
            let sql = format!("EXPLAIN QUERY PLAN SELECT count(*) FROM {table} WHERE {condition}");
            let mut stmt = conn.prepare(&sql).unwrap();
            let mut rows = stmt.raw_query();
            let mut plan = Vec::new();
            while let Some(row) = rows.next().unwrap() {
                plan.push(row.get::<_, String>(3).unwrap());
            }
            let plan = plan.join("; ");
            let want = match table {
                "appointment_logs" => vec![
                    "appointments_status_time (status=? AND appt_date_time<?)",
                    "appointment_logs_appointment (appointment_id=?)",
                ],
                "appointments" => vec!["appointments_status_time (status=? AND appt_date_time<?)"],
                "holds" => vec![
                    "appointments_status_time (status=? AND appt_date_time<?)",
                    "holds_appointment (appointment_id=?)",
                ],
                "failed_import_rows" => vec![
                    "imports_started (started_at<?)",
                    "failed_import_rows_import (import_id=?)",
                ],
                // No index on these times: a prune reads them whole, once a day at most.
                _ => vec![],
            };
            for w in want {
                assert!(plan.contains(w), "{table}: {plan}");
            }
        }
    }

    #[test]
    fn what_import_rows_did_goes_with_the_appointments_it_names() {
        let mut conn = crate::db::open_memory();
        conn.execute_batch(
            "INSERT INTO imports (id, file_name, sha256, status, user_id, started_at)
                 VALUES (1, 'f.csv', 'x', 'completed', 'u', '2026-11-24T17:00:00Z');
             INSERT INTO appointments (id, appointment_id, patient_id, phone_number,
                 phone_preference, text_preference, appt_date_time, channel, import_id,
                 created_at, updated_at)
                 VALUES (1, 'A1', 'P1', '+14165550101', 1, 0, '2026-11-25T15:00:00Z', 'call', 1,
                     '2026-11-24T17:00:00Z', '2026-11-24T17:00:00Z'),
                        (2, 'A2', 'P2', '+14165550102', 1, 0, '2027-01-25T15:00:00Z', 'call', 1,
                     '2026-11-24T17:00:00Z', '2026-11-24T17:00:00Z');
             INSERT INTO import_events (import_id, appointment_id, patient_id, appointment,
                 row_number, action, at)
                 VALUES (1, 'A1', 'P1', 1, 2, 'duplicate', '2026-11-26T17:00:00Z'),
                        (1, 'A2', 'P2', 2, 3, 'duplicate', '2026-11-26T17:00:00Z');",
        )
        .unwrap();
        // A1 is past the cut-off: its event goes with it (the row refers to it), though the
        // event itself is newer; A2's stays.
        let counts = delete(&mut conn, stored_at("2026-11-26T00:00:00Z")).unwrap();
        assert_eq!((counts.appointments, counts.import_events), (1, 1));
        let left: Vec<String> = conn
            .prepare("SELECT appointment_id FROM import_events")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<rusqlite::Result<_>>()
            .unwrap();
        assert_eq!(left, ["A2"]);
    }
}
