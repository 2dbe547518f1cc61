//! What the results file reads: a time range's appointments and their attempts, and
//! which appointments a run contacted. A day is read by one statement, so one snapshot: a file
//! never mixes an appointment's state before a callback with its attempts after it.

use anyhow::Result;
use rusqlite::{Connection, named_params};

use crate::clock::Stamp;
use crate::db::appointments::in_every_state;
use crate::domain::results::{Appointment, Attempt};

/// `[from, to)` bounds of the appointment time (UTC RFC 3339) and, optionally, one site.
const RANGE: &str = "a.appt_date_time >= :from AND a.appt_date_time < :to
    AND a.deleted_at IS NULL AND (:site IS NULL OR a.site = :site)";

/// Every column the file needs: the appointment's, then one of its attempts' (NULL when it has
/// none: the LEFT JOIN's one row for it).
const COLUMNS: &str = "a.id, a.appointment_id, a.patient_id, a.site, a.appt_date_time, a.status,
    a.withdrawn_reason, a.channel, a.attempt_count, a.reached_at, a.confirmed_at,
    a.cancel_requested_at, a.last_reply,
    l.attempt, l.id, l.channel, l.status, l.answered_by, l.error_code, l.error_message,
    l.touch_days, l.kind, ";

const JOINED: &str = "FROM appointments a
    LEFT JOIN appointment_logs l ON l.appointment_id = a.id AND l.deleted_at IS NULL";

/// The order a range's appointments come in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// Soonest first (by time, then id): sorted by SQLite, which spills a big day to temporary
    /// files, so a day of a million appointments is read in flat memory.
    SoonestFirst,
    /// One state after another, each state's in (time, id) order: the order of the (status,
    /// time, id, …) index, which holds every column of the appointment the file needs (schema
    /// 8), so the range's index entries are all that is read (not the table's rows of other
    /// days) and SQLite sorts nothing. For a caller that sorts them itself.
    ByState,
}

/// A range's appointments with their attempts in one query, in `order`; each one's attempts
/// by `appointment_logs_appointment`, oldest first.
fn range_sql(order: Order) -> String {
    let order = match order {
        Order::SoonestFirst => "a.appt_date_time, a.id",
        Order::ByState => "a.status, a.appt_date_time, a.id",
    };
    // The hold since the last attempt: a look-up in `holds_appointment` per row.
    format!(
        "SELECT {COLUMNS}{} {JOINED}
         WHERE {} AND {RANGE}
         ORDER BY {order}, l.attempt, l.id",
        crate::db::holds::current_reason_sql("a"),
        in_every_state("a.status")
    )
}

/// Calls `each` with every appointment with a time in `[from, to)` (of `site` only, when
/// given), in `order`, and its attempts, oldest first: one appointment in memory at a time.
pub fn each_in_range(
    conn: &Connection,
    order: Order,
    from: Stamp,
    to: Stamp,
    site: Option<&str>,
    each: impl FnMut(&mut Appointment, &mut Vec<Attempt>) -> Result<()>,
) -> Result<()> {
    let mut stmt = conn.prepare(&range_sql(order))?;
    let rows = stmt.query(named_params! {":from": from, ":to": to, ":site": site})?;
    grouped(rows, each)
}

/// Rows of [`COLUMNS`], an appointment's together, to one call per appointment. The same
/// appointment and attempts are filled again for each (their strings keep their buffers): a
/// day of 195,000 appointments no longer allocates a dozen strings for each. `each` may swap
/// them for others to keep them (every field is written again for the next appointment).
fn grouped(
    mut rows: rusqlite::Rows<'_>,
    mut each: impl FnMut(&mut Appointment, &mut Vec<Attempt>) -> Result<()>,
) -> Result<()> {
    let mut current: Option<i64> = None;
    let mut a = Appointment::default();
    let mut attempts: Vec<Attempt> = Vec::new();
    // Attempts done with, to be filled again.
    let mut spare: Vec<Attempt> = Vec::new();
    while let Some(r) = rows.next()? {
        let id: i64 = r.get(0)?;
        if current != Some(id) {
            if current.is_some() {
                each(&mut a, &mut attempts)?;
            }
            current = Some(id);
            spare.append(&mut attempts);
            a.id = id;
            text(&mut a.appointment_id, r.get_ref(1)?)?;
            text(&mut a.patient_id, r.get_ref(2)?)?;
            text(&mut a.site, r.get_ref(3)?)?;
            text(&mut a.at, r.get_ref(4)?)?;
            text(&mut a.state, r.get_ref(5)?)?;
            optional(&mut a.withdrawn_reason, r.get_ref(6)?)?;
            text(&mut a.channel, r.get_ref(7)?)?;
            a.attempt_count = r.get(8)?;
            optional(&mut a.reached_at, r.get_ref(9)?)?;
            optional(&mut a.confirmed_at, r.get_ref(10)?)?;
            optional(&mut a.cancel_requested_at, r.get_ref(11)?)?;
            optional(&mut a.last_reply, r.get_ref(12)?)?;
            optional(&mut a.held, r.get_ref(22)?)?;
        }
        // NULL: an appointment without attempts (the LEFT JOIN's one row for it).
        if r.get::<_, Option<i64>>(13)?.is_some() {
            let mut t = spare.pop().unwrap_or_default();
            text(&mut t.channel, r.get_ref(15)?)?;
            text(&mut t.status, r.get_ref(16)?)?;
            optional(&mut t.answered_by, r.get_ref(17)?)?;
            t.error_code = r.get(18)?;
            optional(&mut t.error_message, r.get_ref(19)?)?;
            t.touch_days = r.get(20)?;
            optional(&mut t.kind, r.get_ref(21)?)?;
            attempts.push(t);
        }
    }
    if current.is_some() {
        each(&mut a, &mut attempts)?;
    }
    Ok(())
}

/// `into` holds the text `v` now, in the buffer it had.
fn text(into: &mut String, v: rusqlite::types::ValueRef<'_>) -> Result<()> {
    into.clear();
    into.push_str(v.as_str()?);
    Ok(())
}

/// [`text`] for a column that may be NULL.
fn optional(into: &mut Option<String>, v: rusqlite::types::ValueRef<'_>) -> Result<()> {
    match (v.as_str_or_null()?, into) {
        (None, into) => *into = None,
        (Some(v), Some(into)) => {
            into.clear();
            into.push_str(v);
        }
        (Some(v), into) => *into = Some(v.to_string()),
    }
    Ok(())
}

/// [`each_in_range`], collected: for a range known to be small.
pub fn in_range(
    conn: &Connection,
    from: Stamp,
    to: Stamp,
    site: Option<&str>,
) -> Result<Vec<(Appointment, Vec<Attempt>)>> {
    let mut found = Vec::new();
    each_in_range(conn, Order::SoonestFirst, from, to, site, |a, t| {
        found.push((a.clone(), t.clone()));
        Ok(())
    })?;
    Ok(found)
}

/// One appointment's row of the results file, whatever its day (`reminders history`).
pub fn of_appointment(conn: &Connection, id: i64) -> Result<Option<(Appointment, Vec<Attempt>)>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS}{} {JOINED} WHERE a.id = :id AND a.deleted_at IS NULL
         ORDER BY l.attempt, l.id",
        crate::db::holds::current_reason_sql("a"),
    ))?;
    let rows = stmt.query(named_params! {":id": id})?;
    let mut found = None;
    grouped(rows, |a, t| {
        found = Some((a.clone(), t.clone()));
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
    use crate::clock::stored_at;

    use crate::db::query_plan as plan;

    #[test]
    fn each_query_reads_by_an_index() {
        let conn = crate::db::open_memory();
        let by_time = "(status=? AND appt_date_time>? AND appt_date_time<?)";
        let p = plan(&conn, &range_sql(Order::SoonestFirst));
        assert!(
            p.contains(&format!(
                "SEARCH a USING COVERING INDEX appointments_status_time {by_time}"
            )) && p
                .contains("SEARCH l USING INDEX appointment_logs_appointment (appointment_id=?)")
                // The one sort: the day's rows, by SQLite's sorter (bounded memory).
                && p.contains("USE TEMP B-TREE FOR ORDER BY")
                && !p.contains("SCAN"),
            "{p}"
        );
        // By state: the index alone (every column is in it), and no sort at all.
        let p = plan(&conn, &range_sql(Order::ByState));
        assert!(
            p.contains(&format!(
                "SEARCH a USING COVERING INDEX appointments_status_time {by_time}"
            )) && p
                .contains("SEARCH l USING INDEX appointment_logs_appointment (appointment_id=?)")
                && !p.contains("TEMP B-TREE")
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

        let got = in_range(
            &conn,
            stored_at("2026-11-25T05:00:00Z"),
            stored_at("2026-11-26T05:00:00Z"),
            None,
        )
        .unwrap();
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
            stored_at("2026-11-25T05:00:00Z"),
            stored_at("2026-11-26T05:00:00Z"),
            Some("bloor"),
        )
        .unwrap();
        assert_eq!(bloor.len(), 1);
        assert_eq!(bloor[0].0.appointment_id, "A2");

        // One state after another, each soonest first: the same appointments and attempts.
        insert(&conn, 5, "A5", "", "2026-11-25T13:00:00Z");
        conn.execute(
            "UPDATE appointments SET status = 'confirmed' WHERE id = 5",
            [],
        )
        .unwrap();
        let (from, to) = (
            stored_at("2026-11-25T05:00:00Z"),
            stored_at("2026-11-26T05:00:00Z"),
        );
        for site in [None, Some("bloor")] {
            let mut seen = Vec::new();
            each_in_range(&conn, Order::ByState, from, to, site, |a, l| {
                let statuses: Vec<String> = l.iter().map(|t| t.status.clone()).collect();
                seen.push((a.id, a.appointment_id.clone(), statuses));
                Ok(())
            })
            .unwrap();
            let want: Vec<(i64, String, Vec<String>)> = match site {
                None => vec![
                    (5, "A5".into(), vec![]),
                    (2, "A2".into(), vec!["not-sent".into()]),
                    (1, "A1".into(), vec!["no-answer".into(), "busy".into()]),
                    (4, "A4".into(), vec![]),
                ],
                Some(_) => vec![(2, "A2".into(), vec!["not-sent".into()])],
            };
            assert_eq!(seen, want, "{site:?}");
        }

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
