//! Read-only queries behind `reminders status`. Each returns plain records; the command decides
//! how to show them. Dates are chosen by the caller as a UTC range `[from, to)` so the clinic's
//! local day (DST included) is worked out once, in `domain::day`, and every query can use the
//! time indexes.

use crate::clock::Stamp;
use crate::domain::languages::code::Language;
use crate::domain::run_job::RunJob;
use anyhow::Result;
use rusqlite::{Connection, OptionalExtension, named_params};
use serde::Serialize;

use crate::db::appointments::in_every_state;
use crate::domain::channel::Channel;
use crate::domain::contact_kind::ContactKind;
use crate::domain::run_outcome::RunOutcome;
use crate::domain::state::State;

/// What `appointments` and `logs` may be narrowed to. `None` means "any".
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// UTC RFC 3339 bounds of the appointment time, `[from, to)`.
    pub from: Option<Stamp>,
    pub to: Option<Stamp>,
    pub state: Option<String>,
    pub channel: Option<String>,
    pub import: Option<i64>,
    /// Matches the clinic's appointment id or patient id exactly.
    pub search: Option<String>,
    pub site: Option<String>,
    pub limit: Option<i64>,
}

/// The WHERE clause every appointment-based view shares (alias `a`); `:channel` is applied by
/// each query to the column that means "channel" there. Absent bounds are the widest ones, so
/// the time range always reaches the index. A search is written only when there is one: in the
/// `:search IS NULL OR …` form SQLite cannot look the ids up in their indexes and reads every
/// appointment instead.
fn appointment_filter(f: &Filter) -> String {
    // With a search the two id indexes decide, and state and time only filter what they find:
    // `+` keeps SQLite's planner (no statistics) from preferring the state index in a join.
    let (search, only_filter) = match f.search {
        Some(_) => (
            "(a.appointment_id = :search OR a.patient_id = :search)",
            "+",
        ),
        None => (":search IS NULL", ""),
    };
    format!(
        "a.deleted_at IS NULL AND {}
    AND {only_filter}a.appt_date_time >= coalesce(:from, '')
    AND {only_filter}a.appt_date_time < coalesce(:to, '~')
    AND (:state IS NULL OR a.status = :state)
    AND (:import IS NULL OR a.import_id = :import)
    AND (:site IS NULL OR a.site = :site)
    AND {search}",
        in_every_state(&format!("{only_filter}a.status"))
    )
}

fn next_appointment_sql() -> String {
    format!(
        "SELECT min(appt_date_time) FROM appointments
         WHERE {} AND appt_date_time >= :now AND deleted_at IS NULL",
        in_every_state("status")
    )
}

/// The stored time of the first appointment at or after `now`: it names "the coming day".
pub fn next_appointment_at(conn: &Connection, now: Stamp) -> Result<Option<Stamp>> {
    Ok(conn
        .query_row(&next_appointment_sql(), named_params! {":now": now}, |r| {
            r.get::<_, Option<Stamp>>(0)
        })
        .optional()?
        .flatten())
}

#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct StateCount {
    pub state: State,
    pub channel: Channel,
    pub count: i64,
}

fn counts_sql() -> String {
    format!(
        "SELECT status, channel, count(*) FROM appointments
         WHERE {} AND appt_date_time >= :from AND appt_date_time < :to AND deleted_at IS NULL
           AND (:site IS NULL OR +site = :site)
         GROUP BY status, channel ORDER BY status, channel",
        in_every_state("status")
    )
}

/// How many appointments of `[from, to)` are in each (state, channel).
pub fn counts(
    conn: &Connection,
    from: Stamp,
    to: Stamp,
    site: Option<&str>,
) -> Result<Vec<StateCount>> {
    let mut stmt = conn.prepare(&counts_sql())?;
    let rows = stmt.query_map(
        named_params! {":from": from, ":to": to, ":site": site},
        |r| {
            Ok(StateCount {
                state: r.get(0)?,
                channel: r.get(1)?,
                count: r.get(2)?,
            })
        },
    )?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// One appointment as `status appointments` shows it. `phone_number` is the stored E.164 number;
/// the command masks it.
#[derive(Clone, Debug, Serialize)]
pub struct AppointmentRow {
    pub id: i64,
    pub appointment_id: String,
    pub patient_id: String,
    pub phone_number: String,
    pub appt_date_time: Stamp,
    pub language: Language,
    pub channel: Channel,
    pub state: State,
    pub attempt_count: i64,
    pub last_attempt_at: Option<Stamp>,
    pub success_at: Option<Stamp>,
    pub import_id: i64,
    pub site: String,
    /// `days_before` of the last touch begun.
    pub touch_days: Option<u32>,
    pub withdrawn_reason: Option<String>,
    /// Why it waits, when a rule of contact held its contact since its last attempt ("held: 1
    /// a day reached for +1416***0101").
    pub held: Option<String>,
}

fn appointments_sql(f: &Filter) -> String {
    format!(
        "SELECT a.id, a.appointment_id, a.patient_id, a.phone_number, a.appt_date_time, a.language,
                a.channel, a.status, a.attempt_count, a.last_attempt_at, a.success_at, a.import_id,
                a.site, a.touch_days, a.withdrawn_reason, {}
         FROM appointments a
         WHERE {} AND (:channel IS NULL OR a.channel = :channel)
         ORDER BY a.appt_date_time, a.id LIMIT :limit",
        crate::db::holds::current_reason_sql("a"),
        appointment_filter(f)
    )
}

/// Appointments matching `f`, soonest first.
pub fn appointments(conn: &Connection, f: &Filter) -> Result<Vec<AppointmentRow>> {
    let mut stmt = conn.prepare(&appointments_sql(f))?;
    let rows = stmt.query_map(
        named_params! {
            ":from": f.from, ":to": f.to, ":state": f.state, ":import": f.import,
            ":search": f.search, ":channel": f.channel, ":site": f.site,
            ":limit": f.limit.unwrap_or(-1),
        },
        |r| {
            Ok(AppointmentRow {
                id: r.get(0)?,
                appointment_id: r.get(1)?,
                patient_id: r.get(2)?,
                phone_number: r.get(3)?,
                appt_date_time: r.get(4)?,
                language: r.get(5)?,
                channel: r.get(6)?,
                state: r.get(7)?,
                attempt_count: r.get(8)?,
                last_attempt_at: r.get(9)?,
                success_at: r.get(10)?,
                import_id: r.get(11)?,
                site: r.get(12)?,
                touch_days: r.get(13)?,
                withdrawn_reason: r.get(14)?,
                held: r.get(15)?,
            })
        },
    )?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// One attempt (a row of `appointment_logs`) with the appointment it was for.
#[derive(Clone, Debug, Serialize)]
pub struct LogRow {
    pub id: i64,
    pub appointment: i64,
    pub appointment_id: String,
    pub patient_id: String,
    pub appt_date_time: Stamp,
    pub attempt: i64,
    pub channel: Channel,
    pub sid: Option<String>,
    pub to: String,
    pub status: String,
    pub duration: Option<i64>,
    pub answered_by: Option<String>,
    pub error_code: Option<i64>,
    pub error_message: Option<String>,
    pub start_time: Option<String>,
    pub end_time: Option<String>,
    pub run_id: Option<i64>,
    pub created_at: Stamp,
    pub updated_at: Stamp,
    /// The touch (its `days_before`) the attempt belonged to.
    pub touch_days: Option<u32>,
    pub num_segments: Option<i64>,
    /// What it was for: a reminder, a follow-up, or an offer of the slot the appointment freed.
    pub kind: ContactKind,
    /// For an offer: the waiting patient it went to (the appointment's own patient did not
    /// get it).
    pub offered_to: Option<String>,
}

fn logs_sql(f: &Filter) -> String {
    // A day's attempts were all made in the weeks before its end (a touch is at most
    // MAX_DAYS_BEFORE days ahead, and nobody is contacted after the appointment): read them
    // from the attempts' creation index in that window, in the order shown, so `--limit 20`
    // stops after 20 and a day with no attempts costs nothing, rather than visiting each of
    // the day's appointments first.
    let join = if f.search.is_none() {
        "appointment_logs l CROSS JOIN appointments a ON a.id = l.appointment_id"
    } else {
        // A search: the two id indexes find the appointments, then their attempts.
        "appointments a JOIN appointment_logs l ON l.appointment_id = a.id"
    };
    let from = if f.search.is_none() && f.from.is_some() {
        format!(
            "l.created_at >= strftime('%Y-%m-%dT%H:%M:%SZ', :from, '-{} days')
           AND l.created_at < coalesce(:to, '~') AND",
            crate::domain::schedule::MAX_DAYS_BEFORE + 2
        )
    } else {
        String::new()
    };
    format!(
        "SELECT l.id, a.id, a.appointment_id, a.patient_id, a.appt_date_time, l.attempt, l.channel,
                l.sid, l.\"to\", l.status, l.duration, l.answered_by, l.error_code,
                l.error_message, l.start_time, l.end_time, l.run_id, l.created_at, l.updated_at,
                l.touch_days, l.num_segments, l.kind,
                (SELECT o.patient_id FROM offers o WHERE o.log_id = l.id)
         FROM {join}
         WHERE {from} {} AND l.deleted_at IS NULL
           AND (:channel IS NULL OR l.channel = :channel)
         ORDER BY l.created_at, l.id LIMIT :limit",
        appointment_filter(f)
    )
}

/// Every attempt of the appointments matching `f` (`channel` is the attempt's own channel),
/// in the order they were made.
pub fn logs(conn: &Connection, f: &Filter) -> Result<Vec<LogRow>> {
    let mut stmt = conn.prepare(&logs_sql(f))?;
    let rows = stmt.query_map(
        named_params! {
            ":from": f.from, ":to": f.to, ":state": f.state, ":import": f.import,
            ":search": f.search, ":channel": f.channel, ":site": f.site,
            ":limit": f.limit.unwrap_or(-1),
        },
        |r| {
            Ok(LogRow {
                id: r.get(0)?,
                appointment: r.get(1)?,
                appointment_id: r.get(2)?,
                patient_id: r.get(3)?,
                appt_date_time: r.get(4)?,
                attempt: r.get(5)?,
                channel: r.get(6)?,
                sid: r.get(7)?,
                to: r.get(8)?,
                status: r.get(9)?,
                duration: r.get(10)?,
                answered_by: r.get(11)?,
                error_code: r.get(12)?,
                error_message: r.get(13)?,
                start_time: r.get(14)?,
                end_time: r.get(15)?,
                run_id: r.get(16)?,
                created_at: r.get(17)?,
                updated_at: r.get(18)?,
                touch_days: r.get(19)?,
                num_segments: r.get(20)?,
                // A kind a newer build wrote is shown as a follow-up, never as a reminder.
                kind: ContactKind::from_stored(r.get::<_, Option<String>>(21)?.as_deref())
                    .unwrap_or(ContactKind::VoicemailText),
                offered_to: r.get(22)?,
            })
        },
    )?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

#[derive(Clone, Debug, Serialize)]
pub struct RunRow {
    pub id: i64,
    pub kind: RunJob,
    pub started_at: Stamp,
    pub finished_at: Option<Stamp>,
    pub selected: i64,
    pub dispatched: i64,
    pub failed: i64,
    pub skipped: i64,
    pub error: Option<String>,
    /// `None` while it is going.
    pub outcome: Option<RunOutcome>,
    /// The sites it served (empty: all).
    pub sites: String,
    pub left_for_next: i64,
    pub unresolved: i64,
    /// The fit check's warning.
    pub note: Option<String>,
}

/// Runs started in `[from, to)` (either bound optional), newest first.
pub fn runs(
    conn: &Connection,
    from: Option<Stamp>,
    to: Option<Stamp>,
    limit: Option<i64>,
) -> Result<Vec<RunRow>> {
    // Newest first by id: runs are numbered as they start, while a run records its start time
    // after taking the lock, so two runs of one minute may not be ordered by it.
    let mut stmt = conn.prepare(
        "SELECT id, kind, started_at, finished_at, selected, dispatched, failed, skipped, error,
                outcome, sites, left_for_next, unresolved, note
         FROM runs
         WHERE (:from IS NULL OR started_at >= :from) AND (:to IS NULL OR started_at < :to)
         ORDER BY id DESC LIMIT :limit",
    )?;
    let rows = stmt.query_map(
        named_params! {":from": from, ":to": to, ":limit": limit.unwrap_or(-1)},
        |r| {
            Ok(RunRow {
                id: r.get(0)?,
                kind: r.get(1)?,
                started_at: r.get(2)?,
                finished_at: r.get(3)?,
                selected: r.get(4)?,
                dispatched: r.get(5)?,
                failed: r.get(6)?,
                skipped: r.get(7)?,
                error: r.get(8)?,
                outcome: r.get(9)?,
                sites: r.get(10)?,
                left_for_next: r.get(11)?,
                unresolved: r.get(12)?,
                note: r.get(13)?,
            })
        },
    )?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// When the latest import of an export started (whatever became of it; a waitlist file is
/// not the evening's export).
pub fn last_import_at(conn: &Connection) -> Result<Option<Stamp>> {
    Ok(conn.query_row(
        "SELECT max(started_at) FROM imports WHERE kind = 'appointments'",
        [],
        |r| r.get(0),
    )?)
}

/// A number opted out now: the opt-out that is its latest event.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct OptedOutRow {
    /// The stored E.164 number; the command masks it.
    pub phone_number: String,
    pub opted_out_at: Stamp,
    /// `reply`, `by hand`, `twilio error 21610`.
    pub source: String,
    /// What the patient wrote, or the reason given by hand.
    pub words: Option<String>,
}

/// The numbers whose latest event is an opt-out, the latest first. Each number's latest event is
/// found by the (phone_number, id) index.
pub fn opted_out(conn: &Connection, limit: Option<i64>) -> Result<Vec<OptedOutRow>> {
    let mut stmt = conn.prepare(
        "SELECT o.phone_number, o.created_at, o.source, o.words FROM opt_outs o
         WHERE o.event = 'opt_out'
           AND o.id = (SELECT max(l.id) FROM opt_outs l WHERE l.phone_number = o.phone_number)
         ORDER BY o.id DESC LIMIT :limit",
    )?;
    let rows = stmt.query_map(named_params! {":limit": limit.unwrap_or(-1)}, |r| {
        Ok(OptedOutRow {
            phone_number: r.get(0)?,
            opted_out_at: r.get(1)?,
            source: r.get(2)?,
            words: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// An appointment of the day that a reminder reached, whose number opted out afterwards and
/// still is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LateOptOutRow {
    pub appointment_id: String,
    pub patient_id: String,
    pub appt_date_time: Stamp,
    pub phone_number: String,
    pub source: String,
    pub words: Option<String>,
}

/// From the numbers opted out now (a small table, read whole) to their appointments in
/// `[from, to)` by the phone index: those reached before the opt-out, not stopped by it.
pub(crate) fn late_opt_outs_sql() -> &'static str {
    "SELECT a.appointment_id, a.patient_id, a.appt_date_time, a.phone_number, o.source, o.words
     FROM opt_outs o CROSS JOIN appointments a
     WHERE o.event = 'opt_out'
       AND o.id = (SELECT max(l.id) FROM opt_outs l WHERE l.phone_number = o.phone_number)
       AND a.phone_number = o.phone_number AND a.deleted_at IS NULL
       AND +a.appt_date_time >= :from AND +a.appt_date_time < :to
       AND a.reached_at IS NOT NULL AND a.reached_at <= o.created_at
       AND +a.status <> 'opted_out'
     ORDER BY a.appt_date_time, a.id"
}

pub fn late_opt_outs(conn: &Connection, from: Stamp, to: Stamp) -> Result<Vec<LateOptOutRow>> {
    let mut stmt = conn.prepare(late_opt_outs_sql())?;
    let rows = stmt.query_map(named_params! {":from": from, ":to": to}, |r| {
        Ok(LateOptOutRow {
            appointment_id: r.get(0)?,
            patient_id: r.get(1)?,
            appt_date_time: r.get(2)?,
            phone_number: r.get(3)?,
            source: r.get(4)?,
            words: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Imports started in `[from, to)`, newest first: the ones a day's attention list looks at.
pub fn imports_started(
    conn: &Connection,
    from: Stamp,
    to: Stamp,
) -> Result<Vec<crate::db::imports::ImportRow>> {
    let ids: Vec<i64> = {
        let mut stmt = conn.prepare(
            "SELECT id FROM imports WHERE started_at >= :from AND started_at < :to
             ORDER BY started_at DESC, id DESC",
        )?;
        let rows = stmt.query_map(named_params! {":from": from, ":to": to}, |r| r.get(0))?;
        rows.collect::<rusqlite::Result<_>>()?
    };
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        out.extend(crate::db::imports::list(conn, Some(1), Some(id))?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::stored_at;

    #[test]
    fn empty_database_has_no_coming_day_and_no_rows() {
        let conn = crate::db::open_memory();
        assert_eq!(
            next_appointment_at(&conn, stored_at("2026-11-24T00:00:00Z")).unwrap(),
            None
        );
        assert!(appointments(&conn, &Filter::default()).unwrap().is_empty());
        assert!(logs(&conn, &Filter::default()).unwrap().is_empty());
        assert!(runs(&conn, None, None, None).unwrap().is_empty());
        assert!(
            counts(
                &conn,
                stored_at("2026-11-24T00:00:00Z"),
                stored_at("2026-11-25T00:00:00Z"),
                None
            )
            .unwrap()
            .is_empty()
        );
    }

    use crate::db::query_plan as plan;

    #[test]
    fn attempts_are_read_in_the_order_shown_so_a_limit_stops_early() {
        let conn = crate::db::open_memory();
        let day = Filter {
            from: Some(stored_at("2026-11-25T05:00:00Z")),
            to: Some(stored_at("2026-11-26T05:00:00Z")),
            ..Filter::default()
        };
        for f in [Filter::default(), day] {
            let plan = plan(&conn, &logs_sql(&f));
            assert!(
                plan.starts_with("SEARCH l USING INDEX appointment_logs_created")
                    || plan.starts_with("SCAN l USING INDEX appointment_logs_created"),
                "{plan}"
            );
            assert!(
                plan.contains("SEARCH a USING INTEGER PRIMARY KEY"),
                "{plan}"
            );
            assert!(!plan.contains("TEMP B-TREE"), "{plan}");
        }
    }

    #[test]
    fn opted_out_lists_each_number_whose_latest_event_is_an_opt_out_once() {
        use crate::db::opt_outs::{add, remove};
        let conn = crate::db::open_memory();
        let t = |m: u32| stored_at(&format!("2026-11-24T20:0{m}:00Z"));
        add(&conn, "+14165550101", "reply", Some("STOP"), t(0)).unwrap();
        remove(&conn, "+14165550101", "reply", Some("START"), t(1)).unwrap();
        add(&conn, "+14165550102", "by hand", Some("asked"), t(2)).unwrap();
        add(&conn, "+14165550103", "reply", Some("STOP"), t(3)).unwrap();
        add(&conn, "+14165550103", "reply", Some("ARRET"), t(4)).unwrap();
        let rows = opted_out(&conn, None).unwrap();
        assert_eq!(
            rows.iter()
                .map(|r| (
                    r.phone_number.as_str(),
                    r.source.as_str(),
                    r.words.as_deref()
                ))
                .collect::<Vec<_>>(),
            [
                ("+14165550103", "reply", Some("ARRET")),
                ("+14165550102", "by hand", Some("asked")),
            ]
        );
        assert_eq!(opted_out(&conn, Some(1)).unwrap().len(), 1);
    }

    #[test]
    fn status_queries_use_indexes() {
        let conn = crate::db::open_memory();
        for sql in [
            "SELECT id FROM imports WHERE started_at >= '1' AND started_at < '2'",
            "SELECT 1 FROM appointments a WHERE a.patient_id = 'P1'",
            crate::db::attention::silent_attempts_sql(),
            &crate::db::attention::bad_numbers_sql(),
            late_opt_outs_sql(),
        ] {
            let plan = plan(&conn, sql);
            assert!(plan.contains("USING"), "{sql}: {plan}");
            assert!(
                !plan.contains("SCAN l") && !plan.contains("SCAN appointment_logs"),
                "{sql}: {plan}"
            );
        }
        // Bounded by time alone, these reach the (status, time) index through the list of
        // every state rather than scanning the table.
        for sql in [
            next_appointment_sql(),
            counts_sql(),
            appointments_sql(&Filter::default()),
        ] {
            let plan = plan(&conn, &sql);
            assert!(
                plan.contains("USING INDEX appointments_status_time (status=? AND appt_date_time>? AND appt_date_time<?)")
                    || plan.contains("SEARCH appointments USING INDEX appointments_status_time")
                    || plan.contains("USING COVERING INDEX appointments_status_time (status=? AND appt_date_time>"),
                "{sql}: {plan}"
            );
        }
        // A search looks both ids up in their indexes.
        let search = Filter {
            search: Some("A1".into()),
            ..Filter::default()
        };
        for sql in [appointments_sql(&search), logs_sql(&search)] {
            let plan = plan(&conn, &sql);
            assert!(
                plan.contains("MULTI-INDEX OR")
                    && plan.contains("sqlite_autoindex_appointments_1 (appointment_id=?)")
                    && plan.contains("appointments_patient (patient_id=?)"),
                "{sql}: {plan}"
            );
        }
    }
}
