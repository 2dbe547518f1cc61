//! What the results file (SPEC 12.1) reads: a time range's appointments and their attempts, and
//! which appointments a run contacted. A day is read by one statement, so one snapshot: a file
//! never mixes an appointment's state before a callback with its attempts after it.

use anyhow::Result;
use rusqlite::{Connection, named_params};

use crate::db::appointments::in_every_state;
use crate::domain::results::{Appointment, Attempt};

/// `[from, to)` bounds of the appointment time (UTC RFC 3339) and, optionally, one site.
const RANGE: &str = "a.appt_date_time >= :from AND a.appt_date_time < :to
    AND a.deleted_at IS NULL AND (:site IS NULL OR a.site = :site)";

/// A range's appointments with their attempts, in one query: the appointments by the (status,
/// time) index, each one's attempts by `appointment_logs_appointment`, sorted by SQLite (which
/// spills a big day to temporary files), so a day of a million appointments is read in flat
/// memory, one appointment at a time.
fn day_sql() -> String {
    format!(
        "SELECT a.id, a.appointment_id, a.patient_id, a.site, a.appt_date_time, a.status,
                a.withdrawn_reason, a.channel, a.attempt_count, a.reached_at, a.confirmed_at,
                a.cancel_requested_at, a.last_reply,
                l.attempt, l.id, l.channel, l.status, l.answered_by, l.error_code,
                l.error_message, l.touch_days
         FROM appointments a
         LEFT JOIN appointment_logs l ON l.appointment_id = a.id AND l.deleted_at IS NULL
         WHERE {} AND {RANGE}
         ORDER BY a.appt_date_time, a.id, l.attempt, l.id",
        in_every_state("a.status")
    )
}

/// Calls `each` with every appointment with a time in `[from, to)` (of `site` only, when
/// given), soonest first, and its attempts, oldest first: one appointment in memory at a time.
pub fn each_in_range(
    conn: &Connection,
    from: &str,
    to: &str,
    site: Option<&str>,
    mut each: impl FnMut(Appointment, Vec<Attempt>) -> Result<()>,
) -> Result<()> {
    let mut stmt = conn.prepare(&day_sql())?;
    let mut rows = stmt.query(named_params! {":from": from, ":to": to, ":site": site})?;
    let mut current: Option<(i64, Appointment, Vec<Attempt>)> = None;
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        if current.as_ref().map(|c| c.0) != Some(id) {
            if let Some((_, appointment, attempts)) = current.take() {
                each(appointment, attempts)?;
            }
            current = Some((
                id,
                Appointment {
                    appointment_id: r.get(1)?,
                    patient_id: r.get(2)?,
                    site: r.get(3)?,
                    at: r.get(4)?,
                    state: r.get(5)?,
                    withdrawn_reason: r.get(6)?,
                    channel: r.get(7)?,
                    attempt_count: r.get(8)?,
                    reached_at: r.get(9)?,
                    confirmed_at: r.get(10)?,
                    cancel_requested_at: r.get(11)?,
                    last_reply: r.get(12)?,
                },
                Vec::new(),
            ));
        }
        // NULL: an appointment without attempts (the LEFT JOIN's one row for it).
        if r.get::<_, Option<i64>>(13)?.is_some()
            && let Some((_, _, attempts)) = current.as_mut()
        {
            attempts.push(Attempt {
                channel: r.get(15)?,
                status: r.get(16)?,
                answered_by: r.get(17)?,
                error_code: r.get(18)?,
                error_message: r.get(19)?,
                touch_days: r.get(20)?,
            });
        }
    }
    if let Some((_, appointment, attempts)) = current {
        each(appointment, attempts)?;
    }
    Ok(())
}

/// [`each_in_range`], collected: for a range known to be small.
pub fn in_range(
    conn: &Connection,
    from: &str,
    to: &str,
    site: Option<&str>,
) -> Result<Vec<(Appointment, Vec<Attempt>)>> {
    let mut found = Vec::new();
    each_in_range(conn, from, to, site, |a, t| {
        found.push((a, t));
        Ok(())
    })?;
    Ok(found)
}

fn contacted_sql() -> &'static str {
    "SELECT DISTINCT a.site, a.appt_date_time
     FROM appointment_logs l JOIN appointments a ON a.id = l.appointment_id
     WHERE l.created_at >= (SELECT started_at FROM runs WHERE id = :run)
       AND l.run_id = :run AND l.status != 'not-sent'"
}

/// The (site, time) of every appointment run `run_id` made an attempt for: the days whose
/// results it changed beyond the ones ahead. By the attempts' creation time (indexed), as no
/// attempt of a run is older than the run.
pub fn contacted_by_run(conn: &Connection, run_id: i64) -> Result<Vec<(String, String)>> {
    let mut stmt = conn.prepare(contacted_sql())?;
    let rows = stmt.query_map(named_params! {":run": run_id}, |r| {
        Ok((r.get(0)?, r.get(1)?))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::db::query_plan as plan;

    #[test]
    fn each_query_reads_by_an_index() {
        let conn = crate::db::open_memory();
        // Either index that leads with (status, time) serves.
        let by_time = "(status=? AND appt_date_time>? AND appt_date_time<?)";
        let p = plan(&conn, &day_sql());
        assert!(
            (p.contains(&format!(
                "SEARCH a USING INDEX appointments_status_time {by_time}"
            )) || p.contains(&format!(
                "SEARCH a USING INDEX appointments_due_count {by_time}"
            ))) && p
                .contains("SEARCH l USING INDEX appointment_logs_appointment (appointment_id=?)")
                // The one sort: the day's rows, by SQLite's sorter (bounded memory).
                && p.contains("USE TEMP B-TREE FOR ORDER BY")
                && !p.contains("SCAN"),
            "{p}"
        );
        let p = plan(&conn, contacted_sql());
        assert!(
            p.contains("SEARCH l USING INDEX appointment_logs_created (created_at>?)"),
            "{p}"
        );
    }

    fn insert(conn: &Connection, id: i64, appointment_id: &str, site: &str, at: &str) {
        conn.execute(
            "INSERT INTO appointments (id, appointment_id, patient_id, phone_number,
                 phone_preference, text_preference, appt_date_time, channel, status, attempt_count,
                 import_id, site, created_at, updated_at)
             VALUES (?1, ?2, 'P', '+14165550101', 1, 0, ?3, 'call', 'failed', 2, 1, ?4, '', '')",
            rusqlite::params![id, appointment_id, at, site],
        )
        .unwrap();
    }

    fn attempt(conn: &Connection, appointment: i64, n: i64, status: &str, run: i64) {
        conn.execute(
            "INSERT INTO appointment_logs (appointment_id, attempt, channel, \"to\", \"from\",
                 status, touch_days, run_id, created_at, updated_at)
             VALUES (?1, ?2, 'call', '+14165550101', '+14165550000', ?3, 1, ?4,
                 '2026-11-25T00:00:0' || ?2 || 'Z', '')",
            rusqlite::params![appointment, n, status, run],
        )
        .unwrap();
    }

    #[test]
    fn a_ranges_appointments_with_their_attempts_in_order() {
        let conn = crate::db::open_memory();
        conn.execute_batch(
            "INSERT INTO imports (id, file_name, sha256, status, user_id, started_at)
                 VALUES (1, 'f.csv', 'x', 'completed', 'u', '2026-11-24T23:00:00Z');
             INSERT INTO runs (id, kind, started_at) VALUES (7, 'send', '2026-11-25T00:00:00Z');",
        )
        .unwrap();
        insert(&conn, 1, "A1", "", "2026-11-25T15:00:00Z");
        insert(&conn, 2, "A2", "bloor", "2026-11-25T14:00:00Z");
        insert(&conn, 3, "A3", "", "2026-11-26T15:00:00Z");
        insert(&conn, 4, "A4", "", "2026-11-25T16:00:00Z");
        attempt(&conn, 1, 2, "busy", 7);
        attempt(&conn, 1, 1, "no-answer", 7);
        attempt(&conn, 3, 1, "busy", 7);
        attempt(&conn, 2, 1, "not-sent", 7);

        let got = in_range(&conn, "2026-11-25T05:00:00Z", "2026-11-26T05:00:00Z", None).unwrap();
        let summary: Vec<(&str, Vec<&str>)> = got
            .iter()
            .map(|(a, l)| {
                (
                    a.appointment_id.as_str(),
                    l.iter().map(|t| t.status.as_str()).collect(),
                )
            })
            .collect();
        assert_eq!(
            summary,
            [
                ("A2", vec!["not-sent"]),
                ("A1", vec!["no-answer", "busy"]),
                ("A4", vec![]),
            ]
        );
        let bloor = in_range(
            &conn,
            "2026-11-25T05:00:00Z",
            "2026-11-26T05:00:00Z",
            Some("bloor"),
        )
        .unwrap();
        assert_eq!(bloor.len(), 1);
        assert_eq!(bloor[0].0.appointment_id, "A2");

        let mut contacted = contacted_by_run(&conn, 7).unwrap();
        contacted.sort();
        assert_eq!(
            contacted,
            [
                (String::new(), "2026-11-25T15:00:00Z".to_string()),
                (String::new(), "2026-11-26T15:00:00Z".to_string()),
            ]
        );
        assert!(contacted_by_run(&conn, 8).unwrap().is_empty());
    }
}
