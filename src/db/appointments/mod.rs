//! The `appointments` table: what the dispatcher and the listener read (`import.rs` holds what
//! an import writes, `transitions.rs` the one place a state is written).

pub mod follow_ups;
mod import;
pub mod transitions;
mod writes;

pub use import::*;
pub use writes::*;

use crate::clock::Stamp;
use crate::domain::languages::code::Language;
use anyhow::Result;
use rusqlite::Connection;

use crate::domain::channel::Channel;
use crate::domain::state::State;

/// An appointment as the dispatcher and the listener need it.
#[derive(Clone, Debug)]
pub struct Stored {
    pub id: i64,
    pub appointment_id: String,
    pub patient_id: String,
    pub phone_number: String,
    pub at: Stamp,
    pub message: String,
    pub language: Language,
    pub channel: Channel,
    pub state: State,
    pub attempt_count: i64,
    pub last_attempt_at: Option<Stamp>,
    pub site: String,
    /// `days_before` of the last touch begun, and the attempts made in it.
    pub touch_days: Option<u32>,
    pub touch_attempts: u32,
    /// Reached at some touch (the reminder arrived at least once).
    pub reached_before: bool,
    /// The export's other columns, for templates, as stored (`data_object` reads them).
    pub(crate) data: Option<String>,
    /// Their names, when `data` holds only the values (`imports.data_keys`).
    pub(crate) data_keys: Option<String>,
    /// The time of the appointment this one replaced, when a later export moved it.
    pub moved_from: Option<Stamp>,
}

impl Stored {
    /// The export's other columns by name, whichever way they were stored: a row's values (a
    /// JSON array) under its import's column names (`imports.data_keys`, schema 7, in the same
    /// order), or the object rows stored before schema 7 hold. `None` when the row has none.
    ///
    /// The two arrays are paired here in one pass, and only for a contact being rendered. In SQL
    /// (a join of two `json_each` on the index) the pairing was quadratic in the columns: a row
    /// of 10,000 columns took 10 s to read, on every read.
    pub fn data_object(&self) -> Option<serde_json::Map<String, serde_json::Value>> {
        let data = self.data.as_deref()?;
        if !data.starts_with('[') {
            return serde_json::from_str(data).ok();
        }
        let keys: Vec<String> = serde_json::from_str(self.data_keys.as_deref()?).ok()?;
        let values: Vec<serde_json::Value> = serde_json::from_str(data).ok()?;
        Some(keys.into_iter().zip(values).collect())
    }
}

/// An appointment's columns; its data's names come from its import only when the row holds an
/// array of values.
const COLUMNS: &str =
    "id, appointment_id, patient_id, phone_number, appt_date_time, appointment_msg,
    language, channel, status, attempt_count, last_attempt_at, site, touch_days, touch_attempts,
    reached_at IS NOT NULL, data, moved_from,
    CASE WHEN substr(data, 1, 1) = '[' THEN
        (SELECT data_keys FROM imports WHERE imports.id = appointments.import_id)
    END";

fn from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Stored> {
    Ok(Stored {
        id: r.get(0)?,
        appointment_id: r.get(1)?,
        patient_id: r.get(2)?,
        phone_number: r.get(3)?,
        at: r.get(4)?,
        message: r.get(5)?,
        language: r.get(6)?,
        channel: r.get(7)?,
        state: r.get(8)?,
        attempt_count: r.get(9)?,
        last_attempt_at: r.get(10)?,
        site: r.get(11)?,
        touch_days: r.get(12)?,
        touch_attempts: r.get(13)?,
        reached_before: r.get(14)?,
        data: r.get(15)?,
        moved_from: r.get(16)?,
        data_keys: r.get(17)?,
    })
}

pub fn get(conn: &Connection, id: i64) -> Result<Option<Stored>> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .prepare_cached(&format!(
            "SELECT {COLUMNS} FROM appointments WHERE id = ?1 AND deleted_at IS NULL"
        ))?
        .query_row([id], from_row)
        .optional()?)
}

/// `states` as an SQL list (`'pending', 'in_flight'`): the names are ours, never user input.
/// With every state listed, `status IN (…)` lets a time-range query use the
/// (status, appt_date_time) index.
pub fn state_list(states: &[State]) -> String {
    states
        .iter()
        .map(|s| format!("'{}'", s.as_str()))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `column IN (every state)`: lets a query bounded by time alone use the
/// (status, appt_date_time) index, one seek per state.
pub fn in_every_state(column: &str) -> String {
    format!("{column} IN ({})", state_list(&crate::domain::state::ALL))
}

/// The definitions of the table's secondary indexes (not the unique key dedupe relies on).
pub fn secondary_indexes(conn: &Connection) -> Result<Vec<(String, String)>> {
    let mut stmt = conn.prepare(
        "SELECT name, sql FROM sqlite_master
         WHERE type = 'index' AND tbl_name = 'appointments' AND sql IS NOT NULL ORDER BY name",
    )?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// How many appointments the table holds, near enough (ids only grow).
pub fn approximate_count(conn: &Connection) -> Result<i64> {
    Ok(
        conn.query_row("SELECT coalesce(max(id), 0) FROM appointments", [], |r| {
            r.get(0)
        })?,
    )
}

/// The appointments with this clinic id (and patient) not yet withdrawn, soonest first.
pub fn scheduled_by_id(
    conn: &Connection,
    appointment_id: &str,
    patient_id: Option<&str>,
) -> Result<Vec<Stored>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM appointments
         WHERE appointment_id = ?1 AND (?2 IS NULL OR patient_id = ?2)
           AND status != 'withdrawn' AND deleted_at IS NULL
         ORDER BY patient_id, appt_date_time, id"
    ))?;
    let rows = stmt.query_map(rusqlite::params![appointment_id, patient_id], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn due_batch_sql() -> String {
    format!(
        "SELECT {COLUMNS} FROM appointments
         WHERE status = :state AND (appt_date_time, id) > (:at, :id) AND appt_date_time < :to
           AND deleted_at IS NULL
         ORDER BY appt_date_time, id LIMIT :limit"
    )
}

/// The next `limit` appointments in `state` with a time before `to`, after `(at, id)` in the
/// (status, time) index's order: a run reads its candidates a batch at a time, whatever their
/// number, straight off the index.
pub fn due_batch(
    conn: &Connection,
    state: State,
    after: (Stamp, i64),
    to: Stamp,
    limit: usize,
) -> Result<Vec<Stored>> {
    let mut stmt = conn.prepare_cached(&due_batch_sql())?;
    let rows = stmt.query_map(
        rusqlite::named_params! {
            ":state": state.as_str(), ":at": after.0, ":id": after.1, ":to": to,
            ":limit": limit as i64,
        },
        from_row,
    )?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// A touch's window of appointment times at one site, for counting what a run has to do.
pub struct DueWindow<'a> {
    pub site: &'a str,
    /// The touch's `days_before`.
    pub touch: u32,
    pub from: Stamp,
    pub to: Stamp,
    /// For a retry: touches under way count too, when attempts are left and the gap passed.
    pub retry: Option<Retrying>,
}

pub struct Retrying {
    pub max_attempts: u32,
    /// Attempts made after this are too recent to retry.
    pub last_before: Stamp,
}

fn count_due_sql() -> String {
    "SELECT channel, count(*) FROM appointments
     WHERE status IN ('pending', 'reached', 'retry_wait')
       AND appt_date_time >= :from AND appt_date_time < :to
       AND +site = :site AND channel != 'none' AND deleted_at IS NULL
       AND (touch_days IS NULL OR touch_days > :touch
            OR (:retry AND status = 'retry_wait' AND touch_attempts < :max
                AND (last_attempt_at IS NULL OR last_attempt_at <= :last_before)))
     GROUP BY channel"
        .to_string()
}

/// How many appointments of a window a run would contact (calls, texts), by the schedule's rule
/// (`domain::schedule::verdict`) written as SQL: a touch not made yet, or with `retry` one under
/// way with attempts left. Opted-out numbers are not subtracted (the count is for planning).
pub fn count_due(conn: &Connection, w: &DueWindow<'_>) -> Result<(u64, u64)> {
    let (retry, max, last_before) = match &w.retry {
        Some(r) => (true, r.max_attempts, Some(r.last_before)),
        None => (false, 0, None),
    };
    let mut stmt = conn.prepare_cached(&count_due_sql())?;
    let rows = stmt.query_map(
        rusqlite::named_params! {
            ":from": w.from, ":to": w.to, ":site": w.site, ":touch": w.touch,
            ":retry": retry, ":max": max, ":last_before": last_before,
        },
        |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?.max(0) as u64)),
    )?;
    let (mut calls, mut texts) = (0, 0);
    for row in rows {
        match row? {
            (c, n) if c == "call" => calls += n,
            (_, n) => texts += n,
        }
    }
    Ok((calls, texts))
}

/// Appointments in any of `states`, soonest first.
pub fn in_states(conn: &Connection, states: &[State]) -> Result<Vec<Stored>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM appointments WHERE status IN ({}) AND deleted_at IS NULL
         ORDER BY appt_date_time, id",
        state_list(states)
    ))?;
    let rows = stmt.query_map([], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

fn for_phone_sql(states: &[State]) -> String {
    format!(
        "SELECT {COLUMNS} FROM appointments
         WHERE phone_number = ?1 AND +status IN ({}) AND deleted_at IS NULL
         ORDER BY appt_date_time, id",
        state_list(states)
    )
}

/// Whether `phone` has an appointment between `from` and `until` still waiting for a reminder
/// (not tried yet, or to be tried again): the room the caps keep for it before an offer.
pub fn awaiting_reminder(
    conn: &Connection,
    phone: &str,
    from: crate::clock::Stamp,
    until: crate::clock::Stamp,
) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM appointments
                            WHERE phone_number = ?1 AND status IN ('pending', 'retry_wait')
                              AND appt_date_time > ?2 AND appt_date_time < ?3
                              AND deleted_at IS NULL)",
        )?
        .query_row(rusqlite::params![phone, from, until], |r| r.get(0))?)
}

/// The appointments of one number that are in any of `states`, soonest first: what an opt-out
/// or its lifting applies to. By the phone index (`+status` keeps SQLite from preferring the
/// state index, which would read every pending appointment of the clinic).
pub fn for_phone_in_states(
    conn: &Connection,
    phone: &str,
    states: &[State],
) -> Result<Vec<Stored>> {
    let mut stmt = conn.prepare(&for_phone_sql(states))?;
    let rows = stmt.query_map([phone], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The language of `phone`'s appointments: the soonest upcoming one's, else the latest past
/// one's; `None` when no appointment has the number. By the phone index.
pub fn language_of(conn: &Connection, phone: &str, now: Stamp) -> Result<Option<Language>> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .prepare_cached(
            "SELECT language FROM appointments
             WHERE phone_number = ?1 AND deleted_at IS NULL
             ORDER BY appt_date_time >= ?2 DESC,
                      CASE WHEN appt_date_time >= ?2 THEN appt_date_time END,
                      appt_date_time DESC
             LIMIT 1",
        )?
        .query_row(rusqlite::params![phone, now], |r| r.get(0))
        .optional()?)
}

/// The appointments a call or message was about (a combined one lists several), not withdrawn.
pub fn of_sid(conn: &Connection, sid: &str) -> Result<Vec<Stored>> {
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM appointments
         WHERE id IN (SELECT appointment_id FROM appointment_logs WHERE sid = ?1)
           AND deleted_at IS NULL
         ORDER BY appt_date_time, id"
    ))?;
    let rows = stmt.query_map([sid], from_row)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// What a text reply from `phone` answers. First in its thread — the senders it wrote to
/// (`thread`: the number, and its messaging service), so that a patient of two sites answering
/// one site's text never answers the other's — then, when that thread holds nothing, on the
/// whole number: the upcoming appointments of the last text (with every other text that run
/// sent the number from the same sender: six appointments on one number go out as two texts,
/// and one reply answers all six), else the soonest contacted upcoming appointment.
pub fn answered_by_reply(
    conn: &Connection,
    phone: &str,
    thread: &[&str],
    now: Stamp,
) -> Result<Vec<Stored>> {
    let threads: &[&[&str]] = if thread.is_empty() {
        &[&[]]
    } else {
        &[thread, &[]]
    };
    for senders in threads {
        let (a, b) = (senders.first().copied(), senders.get(1).copied());
        let found = last_texts(conn, phone, a, b, now)?;
        if !found.is_empty() {
            return Ok(found);
        }
        if let Some(soonest) = soonest_contacted_for_phone(conn, phone, a, b, now)? {
            return Ok(vec![soonest]);
        }
    }
    Ok(Vec::new())
}

/// The upcoming, not withdrawn appointments of the last text to `phone` (from `a` or `b`
/// when given), and of the other texts of the run that sent it, to `phone` from its sender.
fn last_texts(
    conn: &Connection,
    phone: &str,
    a: Option<&str>,
    b: Option<&str>,
    now: Stamp,
) -> Result<Vec<Stored>> {
    use rusqlite::OptionalExtension;
    let last: Option<(String, Option<i64>, Option<String>)> = conn
        .prepare_cached(
            "SELECT sid, run_id, \"from\" FROM appointment_logs
             WHERE \"to\" = ?1 AND channel = 'sms' AND sid IS NOT NULL
               AND (?2 IS NULL OR \"from\" IN (?2, ?3))
             ORDER BY id DESC LIMIT 1",
        )?
        .query_row(rusqlite::params![phone, a, b.or(a)], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .optional()?;
    let Some((sid, run, from)) = last else {
        return Ok(Vec::new());
    };
    let all = match (run, from) {
        (Some(run), Some(from)) => {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM appointments
                 WHERE id IN (SELECT appointment_id FROM appointment_logs
                              WHERE \"to\" = ?1 AND channel = 'sms' AND sid IS NOT NULL
                                AND run_id = ?2 AND \"from\" = ?3)
                   AND deleted_at IS NULL
                 ORDER BY appt_date_time, id"
            ))?;
            let rows = stmt.query_map(rusqlite::params![phone, run, from], from_row)?;
            rows.collect::<rusqlite::Result<Vec<_>>>()?
        }
        _ => of_sid(conn, &sid)?,
    };
    Ok(all
        .into_iter()
        .filter(|a| a.at > now && a.state != State::Withdrawn)
        .collect())
}

/// The soonest upcoming appointment of a number that has been contacted (from `a` or `b` when
/// given): where a text reply goes when no text was sent.
fn soonest_contacted_for_phone(
    conn: &Connection,
    phone: &str,
    a: Option<&str>,
    b: Option<&str>,
    now: Stamp,
) -> Result<Option<Stored>> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .query_row(
            &format!(
                "SELECT {COLUMNS} FROM appointments
                 WHERE phone_number = ?1 AND attempt_count > 0 AND appt_date_time > ?2
                   AND +status != 'withdrawn' AND deleted_at IS NULL
                   AND (?3 IS NULL OR id IN (SELECT appointment_id FROM appointment_logs
                                             WHERE \"to\" = ?1 AND \"from\" IN (?3, ?4)))
                 ORDER BY appt_date_time, id LIMIT 1"
            ),
            rusqlite::params![phone, now, a, b.or(a)],
            from_row,
        )
        .optional()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_run_reads_its_candidates_straight_off_the_state_and_time_index() {
        let conn = crate::db::open_memory();
        let plan = crate::db::query_plan(&conn, &due_batch_sql());
        assert!(
            plan.contains("USING INDEX appointments_status_time (status=? AND appt_date_time>? AND appt_date_time<?)")
                && !plan.contains("TEMP B-TREE"),
            "{plan}"
        );
    }

    #[test]
    fn the_fit_check_counts_from_an_index_alone() {
        let conn = crate::db::open_memory();
        let plan = crate::db::query_plan(&conn, &count_due_sql());
        assert!(
            plan.contains("USING COVERING INDEX appointments_status_time (status=? AND appt_date_time>? AND appt_date_time<?)"),
            "{plan}"
        );
    }

    #[test]
    fn data_is_read_as_one_object_stored_either_way() {
        let conn = crate::db::open_memory();
        conn.execute_batch(
            r#"INSERT INTO imports (id, file_name, sha256, status, user_id, started_at, data_keys)
                   VALUES (1, 'a.csv', 'x', 'completed', 'u', '', '["provider","room","note"]'),
                          (2, 'b.csv', 'y', 'completed', 'u', '', NULL);
               INSERT INTO appointments (id, appointment_id, patient_id, phone_number,
                   phone_preference, text_preference, appt_date_time, channel, status,
                   import_id, created_at, updated_at, data)
               VALUES (1, 'A1', 'P1', '+14165550101', 1, 0, '2026-11-25T15:00:00Z', 'call',
                       'pending', 1, '', '', '["Dr Bélanger","","say \"hi\"\n"]'),
                      (2, 'A2', 'P2', '+14165550102', 1, 0, '2026-11-25T15:00:00Z', 'call',
                       'pending', 2, '', '', '{"provider":"Dr Li","room":"3"}'),
                      (3, 'A3', 'P3', '+14165550103', 1, 0, '2026-11-25T15:00:00Z', 'call',
                       'pending', 2, '', '', NULL);"#,
        )
        .unwrap();
        let data = |id| -> Option<serde_json::Value> {
            get(&conn, id)
                .unwrap()
                .unwrap()
                .data_object()
                .map(serde_json::Value::Object)
        };
        assert_eq!(
            data(1),
            Some(
                serde_json::json!({"provider": "Dr Bélanger", "room": "", "note": "say \"hi\"\n"})
            )
        );
        assert_eq!(
            data(2),
            Some(serde_json::json!({"provider": "Dr Li", "room": "3"}))
        );
        assert_eq!(data(3), None);

        // A wide row: every name with its own value, in one pass.
        let keys: Vec<String> = (0..5000).map(|i| format!("c{i}")).collect();
        let values: Vec<String> = (0..5000).map(|i| format!("v{i}")).collect();
        conn.execute(
            "INSERT INTO imports (id, file_name, sha256, status, user_id, started_at, data_keys)
             VALUES (3, 'c.csv', 'z', 'completed', 'u', '', ?1)",
            [serde_json::to_string(&keys).unwrap()],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO appointments (id, appointment_id, patient_id, phone_number,
                 phone_preference, text_preference, appt_date_time, channel, status,
                 import_id, created_at, updated_at, data)
             VALUES (4, 'A4', 'P4', '+14165550104', 1, 0, '2026-11-25T15:00:00Z', 'call',
                     'pending', 3, '', '', ?1)",
            [serde_json::to_string(&values).unwrap()],
        )
        .unwrap();
        let wide = data(4).unwrap();
        let wide = wide.as_object().unwrap();
        assert_eq!(wide.len(), 5000);
        assert_eq!(
            (&wide["c0"], &wide["c4999"]),
            (&"v0".into(), &"v4999".into())
        );
    }

    #[test]
    fn a_numbers_appointments_are_found_by_the_phone_index() {
        let conn = crate::db::open_memory();
        let sql = for_phone_sql(&[State::Pending, State::Failed]);
        let plan: String = conn
            .query_row(
                &format!("EXPLAIN QUERY PLAN {sql}"),
                ["+14165550123"],
                |r| r.get(3),
            )
            .unwrap();
        assert!(plan.contains("USING INDEX appointments_phone"), "{plan}");
    }
}
