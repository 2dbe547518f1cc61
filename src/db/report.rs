//! The queries behind `reminders report`. Each is bounded by the period (or the
//! coming day) and reads through an index or a key range the index gave, so a month's report
//! costs the month's rows whatever the database holds; `report::tally` turns the rows into the
//! page's figures.
//!
//! A month of a big clinic is a million appointments and more attempts, so rows are streamed
//! to a callback (borrowed, never collected) and each table is read in the order it is stored:
//! looking up a million rows one by one in time order costs five times what reading them in
//! stored order does (BENCHMARKS.md). The two passes — appointments, then attempts — meet in
//! the tally, by appointment id.

use anyhow::Result;
use rusqlite::{Connection, named_params};

use crate::clock::Stamp;
use crate::db::appointments::{in_every_state, state_list};
use crate::domain::channel::Channel;
use crate::domain::contact_kind::ContactKind;
use crate::domain::state::State;

/// UTC RFC 3339 bounds `[from, to)` of the appointments' time, and the one site to count
/// (`None`: every site).
#[derive(Clone, Copy, Debug)]
pub struct Period<'a> {
    pub from: Stamp,
    pub to: Stamp,
    pub site: Option<&'a str>,
}

/// Where the period's appointments sit in the table: how many, and the first and last id.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Span {
    pub count: i64,
    pub first: i64,
    pub last: i64,
}

impl Span {
    /// Whether reading the whole id range costs less than looking the period's rows up one by
    /// one: a row read in order costs about a quarter of one looked up (BENCHMARKS.md). An
    /// export per evening stores each day's appointments together, so a period is usually
    /// one dense range.
    pub fn dense(&self) -> bool {
        self.count > 0 && self.count.saturating_mul(4) > self.last - self.first
    }

    /// Whether every id of the range is one of the period's appointments, so there is no row
    /// to pass over: an import that held the period's appointments and nothing else.
    pub fn full(&self) -> bool {
        self.count > 0 && self.last.checked_sub(self.first) == Some(self.count - 1)
    }
}

pub(crate) fn span_sql() -> String {
    format!(
        "SELECT count(*), coalesce(min(id), 0), coalesce(max(id), -1) FROM appointments
         WHERE {} AND appt_date_time >= :from AND appt_date_time < :to",
        in_every_state("status")
    )
}

/// The period's span, off the (status, appt_date_time) index alone (every state listed, so
/// the time range is a seek per state).
pub fn span(conn: &Connection, p: &Period<'_>) -> Result<Span> {
    Ok(conn.query_row(
        &span_sql(),
        named_params! {":from": p.from, ":to": p.to},
        |r| {
            Ok(Span {
                count: r.get(0)?,
                first: r.get(1)?,
                last: r.get(2)?,
            })
        },
    )?)
}

/// One appointment of the period, borrowed from its row.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AppointmentRow<'a> {
    pub id: i64,
    pub status: State,
    pub channel: Channel,
    pub site: &'a str,
    /// UTC, as stored.
    pub at: &'a str,
    pub contacted: bool,
    pub reached: bool,
    /// When it was imported: none of its attempts is older.
    pub created_at: &'a str,
}

const APPOINTMENT_COLUMNS: &str = "id, status, channel, site, appt_date_time, attempt_count > 0,
    reached_at IS NOT NULL, created_at";

/// A dense period: its id range, read in stored order (`+` keeps SQLite from reaching for the
/// time index instead), the time checked on each row.
pub(crate) fn appointments_in_range_sql() -> String {
    format!(
        "SELECT {APPOINTMENT_COLUMNS} FROM appointments
         WHERE id >= :first AND id <= :last
           AND +appt_date_time >= :from AND +appt_date_time < :to
           AND deleted_at IS NULL AND (:site IS NULL OR site = :site)"
    )
}

/// A full period: its id range, no time checked on each row (the span counted every id of
/// the range in the period, in the same read).
pub(crate) fn appointments_in_full_range_sql() -> String {
    format!(
        "SELECT {APPOINTMENT_COLUMNS} FROM appointments
         WHERE id >= :first AND id <= :last AND :from < :to
           AND deleted_at IS NULL AND (:site IS NULL OR site = :site)"
    )
}

/// A sparse period: its rows through the (status, appt_date_time) index.
pub(crate) fn appointments_by_time_sql() -> String {
    format!(
        "SELECT {APPOINTMENT_COLUMNS} FROM appointments
         WHERE {} AND appt_date_time >= :from AND appt_date_time < :to
           AND :first <= :last AND deleted_at IS NULL AND (:site IS NULL OR +site = :site)",
        in_every_state("status")
    )
}

/// Every appointment of the period (at the site), in no particular order. `span` is the
/// period's, read in the same transaction.
pub fn appointments(
    conn: &Connection,
    p: &Period<'_>,
    span: &Span,
    mut each: impl FnMut(&AppointmentRow<'_>),
) -> Result<()> {
    let sql = if span.full() {
        appointments_in_full_range_sql()
    } else if span.dense() {
        appointments_in_range_sql()
    } else {
        appointments_by_time_sql()
    };
    let mut stmt = conn.prepare(&sql)?;
    let mut rows = stmt.query(named_params! {
        ":from": p.from, ":to": p.to, ":site": p.site, ":first": span.first, ":last": span.last,
    })?;
    while let Some(r) = rows.next()? {
        each(&AppointmentRow {
            id: r.get(0)?,
            status: r.get(1)?,
            channel: r.get(2)?,
            site: r.get_ref(3)?.as_str()?,
            at: r.get_ref(4)?.as_str()?,
            contacted: r.get(5)?,
            reached: r.get(6)?,
            created_at: r.get_ref(7)?.as_str()?,
        });
    }
    Ok(())
}

/// One attempt, borrowed from its row.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct AttemptRow<'a> {
    /// `appointments.id`.
    pub appointment: i64,
    pub touch_days: Option<i64>,
    pub channel: Channel,
    /// Twilio's own word.
    pub status: &'a str,
    pub answered_by: Option<&'a str>,
    pub error_code: Option<i64>,
    pub sid: Option<&'a str>,
    pub duration: Option<i64>,
    pub num_segments: Option<i64>,
    pub price: Option<f64>,
    pub price_unit: Option<&'a str>,
    /// What the contact was for (`appointment_logs.kind`; `None`: a reminder).
    pub kind: Option<&'a str>,
}

/// Attempts made in `[since, to)`, in the order they were made, off the `created_at` index:
/// rows are appended as attempts are made, so that order is the stored one. The attempts of
/// one combined message were recorded together (one transaction, one time), so they come one
/// after another.
pub(crate) const ATTEMPTS_MADE_SQL: &str =
    "SELECT appointment_id, touch_days, channel, status, answered_by, error_code, sid, duration,
            num_segments, price, price_unit, kind
     FROM appointment_logs
     WHERE created_at >= :since AND created_at < :to AND deleted_at IS NULL
     ORDER BY created_at, id";

/// The attempts made in `[since, to)`. For the period's attempts, `since` is when the first of
/// its appointments was imported (none can be older) and `to` the period's end (none is made
/// after its appointment).
pub fn attempts_made(
    conn: &Connection,
    since: Stamp,
    to: Stamp,
    mut each: impl FnMut(&AttemptRow<'_>),
) -> Result<()> {
    let mut stmt = conn.prepare(ATTEMPTS_MADE_SQL)?;
    let mut rows = stmt.query(named_params! {":since": since, ":to": to})?;
    while let Some(r) = rows.next()? {
        each(&AttemptRow {
            appointment: r.get(0)?,
            touch_days: r.get(1)?,
            channel: r.get(2)?,
            status: r.get_ref(3)?.as_str()?,
            answered_by: r.get_ref(4)?.as_str_or_null()?,
            error_code: r.get(5)?,
            sid: r.get_ref(6)?.as_str_or_null()?,
            duration: r.get(7)?,
            num_segments: r.get(8)?,
            price: r.get(9)?,
            price_unit: r.get_ref(10)?.as_str_or_null()?,
            kind: r.get_ref(11)?.as_str_or_null()?,
        });
    }
    Ok(())
}

/// An attempt as the hand-call list reads it.
#[derive(Clone, Debug, PartialEq)]
pub struct PastAttempt {
    pub touch_days: Option<i64>,
    pub channel: Channel,
    /// Twilio's own word.
    pub status: String,
    pub answered_by: Option<String>,
    pub error_code: Option<i64>,
}

/// An appointment of the coming day that needs a person: the reminder failed, or the patient
/// asked to cancel.
#[derive(Clone, Debug, PartialEq)]
pub struct ToCall {
    pub id: i64,
    pub appointment_id: String,
    pub patient_id: String,
    pub phone_number: String,
    pub site: String,
    pub at: String,
    pub status: State,
    pub channel: Channel,
    pub touch_days: Option<i64>,
    pub last_reply: Option<String>,
    /// Its attempts, in the order they were made.
    pub attempts: Vec<PastAttempt>,
}

pub(crate) fn to_call_sql() -> String {
    format!(
        "SELECT id, appointment_id, patient_id, phone_number, site, appt_date_time, status,
                channel, touch_days, last_reply
         FROM appointments
         WHERE status IN ({}) AND appt_date_time >= :from AND appt_date_time < :to
           AND deleted_at IS NULL AND (:site IS NULL OR +site = :site)
         ORDER BY appt_date_time, id",
        state_list(&[State::Failed, State::CancelRequested])
    )
}

/// An offer of the slot the appointment freed went to another patient: it says nothing of why
/// this one needs a call.
pub(crate) const ATTEMPTS_OF_SQL: &str =
    "SELECT touch_days, channel, status, answered_by, error_code
     FROM appointment_logs WHERE appointment_id = :id AND deleted_at IS NULL
       AND coalesce(kind, '') <> 'offer'
     ORDER BY attempt, id";

/// The failed and cancel-requested appointments of `[from, to)` with their attempts, soonest
/// first: the front desk's list for the coming day (a day's worth, so collected).
pub fn to_call(conn: &Connection, p: &Period<'_>) -> Result<Vec<ToCall>> {
    let mut stmt = conn.prepare(&to_call_sql())?;
    let rows = stmt.query_map(
        named_params! {":from": p.from, ":to": p.to, ":site": p.site},
        |r| {
            Ok(ToCall {
                id: r.get(0)?,
                appointment_id: r.get(1)?,
                patient_id: r.get(2)?,
                phone_number: r.get(3)?,
                site: r.get(4)?,
                at: r.get(5)?,
                status: r.get(6)?,
                channel: r.get(7)?,
                touch_days: r.get(8)?,
                last_reply: r.get(9)?,
                attempts: Vec::new(),
            })
        },
    )?;
    let mut out = rows.collect::<rusqlite::Result<Vec<_>>>()?;
    let mut attempts = conn.prepare(ATTEMPTS_OF_SQL)?;
    for c in &mut out {
        let rows = attempts.query_map(named_params! {":id": c.id}, |r| {
            Ok(PastAttempt {
                touch_days: r.get(0)?,
                channel: r.get(1)?,
                status: r.get(2)?,
                answered_by: r.get(3)?,
                error_code: r.get(4)?,
            })
        })?;
        c.attempts = rows.collect::<rusqlite::Result<_>>()?;
    }
    Ok(out)
}

/// Numbers that opted out in a period, and how many of them after a reminder had reached them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OptOutCounts {
    pub numbers: u64,
    pub after_reached: u64,
}

/// Each number once, however many times it said STOP in the period; "after reached": one of its
/// appointments had been reached before the opt-out (the reminder arrived, then the patient
/// asked for no more). With a site, only numbers with an appointment at that site. The history
/// is read whole by time (it holds a row per opt-out and opt-in, a small table next to the
/// appointments); each number's appointments are found by the phone index.
pub(crate) const OPT_OUTS_SQL: &str = "SELECT count(*), coalesce(sum(after), 0) FROM (
     SELECT max(EXISTS (SELECT 1 FROM appointments a
                        WHERE a.phone_number = o.phone_number AND a.deleted_at IS NULL
                          AND a.reached_at IS NOT NULL AND a.reached_at <= o.created_at
                          AND (:site IS NULL OR a.site = :site))) AS after
     FROM opt_outs o
     WHERE o.event = 'opt_out' AND o.created_at >= :from AND o.created_at < :to
       AND (:site IS NULL OR EXISTS (SELECT 1 FROM appointments s
                                     WHERE s.phone_number = o.phone_number
                                       AND s.deleted_at IS NULL AND s.site = :site))
     GROUP BY o.phone_number)";

/// Follow-up messages sent in `[from, to)` (by when they were made), by kind: a text after a
/// voicemail, a message after a missed visit, a notice of the clinic's cancellation.
pub fn follow_ups(conn: &Connection, p: &Period<'_>) -> Result<[u64; 3]> {
    let mut stmt = conn.prepare(
        "SELECT l.kind, count(*) FROM appointment_logs l
           JOIN appointments a ON a.id = l.appointment_id
         WHERE l.kind IS NOT NULL AND l.sid IS NOT NULL AND l.deleted_at IS NULL
           AND l.created_at >= :from AND l.created_at < :to
           AND (:site IS NULL OR a.site = :site)
         GROUP BY l.kind",
    )?;
    let mut out = [0u64; 3];
    let rows = stmt.query_map(
        named_params! {":from": p.from, ":to": p.to, ":site": p.site},
        |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)),
    )?;
    for row in rows {
        let (kind, n) = row?;
        let slot = match ContactKind::from_stored(Some(&kind)) {
            Some(ContactKind::VoicemailText) => 0,
            Some(ContactKind::NoShow) => 1,
            Some(ContactKind::ClinicCancelled) => 2,
            _ => continue,
        };
        out[slot] = n.try_into().unwrap_or(0);
    }
    Ok(out)
}

/// The numbers that opted out in `[from, to)` (the time of the opt-out, not of an appointment).
pub fn opt_outs(conn: &Connection, p: &Period<'_>) -> Result<OptOutCounts> {
    Ok(conn.query_row(
        OPT_OUTS_SQL,
        named_params! {":from": p.from, ":to": p.to, ":site": p.site},
        |r| {
            Ok(OptOutCounts {
                numbers: r.get::<_, i64>(0)?.try_into().unwrap_or(0),
                after_reached: r.get::<_, i64>(1)?.try_into().unwrap_or(0),
            })
        },
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::stored_at;

    use crate::db::query_plan as plan;

    #[track_caller]
    fn assert_plan(conn: &Connection, sql: &str, uses: &[&str], sorts: bool) {
        let plan = plan(conn, sql);
        for wanted in uses {
            assert!(plan.contains(wanted), "wanted {wanted}:\n{plan}\n{sql}");
        }
        // No full pass over a table, whatever it holds.
        assert!(!plan.contains("SCAN"), "{plan}\n{sql}");
        assert_eq!(plan.contains("TEMP B-TREE"), sorts, "{plan}\n{sql}");
    }

    const BY_TIME: &str =
        "appointments_status_time (status=? AND appt_date_time>? AND appt_date_time<?)";
    /// Either index that leads with (status, time) serves a period's appointments.
    const BY_TIME_RANGE: &str = "(status=? AND appt_date_time>? AND appt_date_time<?)";

    #[test]
    fn the_periods_appointments_are_found_by_the_state_and_time_index() {
        let conn = crate::db::open_memory();
        assert_plan(
            &conn,
            &span_sql(),
            // Either index that leads with (status, time) covers the span.
            &["SEARCH appointments USING COVERING INDEX appointments_"],
            false,
        );
        assert!(plan(&conn, &span_sql()).contains(BY_TIME_RANGE));
        assert_plan(
            &conn,
            &appointments_by_time_sql(),
            &["SEARCH appointments USING INDEX appointments_"],
            false,
        );
        assert!(plan(&conn, &appointments_by_time_sql()).contains(BY_TIME_RANGE));
        // A dense period: the id range the index gave, in stored order.
        for sql in [
            appointments_in_range_sql(),
            appointments_in_full_range_sql(),
        ] {
            assert_plan(
                &conn,
                &sql,
                &["SEARCH appointments USING INTEGER PRIMARY KEY (rowid>? AND rowid<?)"],
                false,
            );
        }
    }

    #[test]
    fn attempts_are_read_off_their_time_index() {
        let conn = crate::db::open_memory();
        assert_plan(
            &conn,
            ATTEMPTS_MADE_SQL,
            &[
                "SEARCH appointment_logs USING INDEX appointment_logs_created (created_at>? AND created_at<?)",
            ],
            false,
        );
    }

    #[test]
    fn the_coming_days_list_is_read_off_the_state_and_time_index() {
        let conn = crate::db::open_memory();
        // Two states' worth of one day, put in time order: a handful of rows.
        assert_plan(
            &conn,
            &to_call_sql(),
            &[&format!("SEARCH appointments USING INDEX {BY_TIME}")],
            true,
        );
        assert_plan(
            &conn,
            ATTEMPTS_OF_SQL,
            &[
                "SEARCH appointment_logs USING INDEX appointment_logs_appointment (appointment_id=?)",
            ],
            false,
        );
    }

    #[test]
    fn opt_outs_count_each_number_once_and_those_a_reminder_had_reached() {
        let conn = crate::db::open_memory();
        store(
            &conn,
            &[
                (1, "reached", "bloor", "2026-11-25T14:00:00Z", &[]),
                (2, "opted_out", "west", "2026-11-25T15:00:00Z", &[]),
            ],
        );
        conn.execute_batch(
            "UPDATE appointments SET reached_at = '2026-11-25T00:00:00Z' WHERE id = 1;
             UPDATE appointments SET phone_number = '+14165550102' WHERE id = 2;",
        )
        .unwrap();
        let add = |phone: &str, at: &str| {
            crate::db::opt_outs::add(
                &conn,
                phone,
                "reply",
                Some("STOP"),
                crate::clock::stored_at(at),
            )
            .unwrap()
        };
        // Reached at 00:00, STOP twice after it; the other number never reached.
        add("+14165550101", "2026-11-25T01:00:00Z");
        add("+14165550101", "2026-11-25T02:00:00Z");
        add("+14165550102", "2026-11-25T03:00:00Z");
        // Outside the period.
        add("+14165550103", "2026-11-27T03:00:00Z");
        let period = |site| Period {
            from: stored_at("2026-11-24T05:00:00Z"),
            to: stored_at("2026-11-26T05:00:00Z"),
            site,
        };
        assert_eq!(
            opt_outs(&conn, &period(None)).unwrap(),
            OptOutCounts {
                numbers: 2,
                after_reached: 1
            }
        );
        assert_eq!(
            opt_outs(&conn, &period(Some("west"))).unwrap(),
            OptOutCounts {
                numbers: 1,
                after_reached: 0
            }
        );
        // An opt-out before the reminder reached the number is not "after reached".
        conn.execute(
            "UPDATE appointments SET reached_at = '2026-11-25T05:00:00Z' WHERE id = 1",
            [],
        )
        .unwrap();
        assert_eq!(
            opt_outs(&conn, &period(Some("bloor")))
                .unwrap()
                .after_reached,
            0
        );
        assert!(plan(&conn, OPT_OUTS_SQL).contains("appointments_phone"));
    }

    #[test]
    fn a_period_is_read_as_a_range_only_when_most_of_the_range_is_the_period() {
        let span = |count, first, last| Span { count, first, last };
        assert!(span(100, 1, 100).dense());
        assert!(span(25, 1, 100).dense());
        assert!(!span(24, 1, 100).dense());
        assert!(!span(0, 0, -1).dense());
        // Full: every id of the range is the period's.
        assert!(span(100, 1, 100).full());
        assert!(span(1, 7, 7).full());
        assert!(!span(99, 1, 100).full());
        assert!(!span(0, 0, -1).full());
        assert!(!span(2, i64::MIN, i64::MAX).full());
    }

    /// Appointments: (id, status, site, time, attempts as (touch, status, sid, created)).
    type Fixture<'a> = (
        i64,
        &'a str,
        &'a str,
        &'a str,
        &'a [(i64, &'a str, Option<&'a str>, &'a str)],
    );

    fn store(conn: &Connection, appointments: &[Fixture<'_>]) {
        conn.execute_batch(
            "INSERT INTO imports (id, file_name, sha256, status, user_id, started_at)
             VALUES (1, 'x.csv', 'x', 'completed', 'ops', '2026-11-24T00:00:00Z')",
        )
        .unwrap();
        for (id, status, site, at, attempts) in appointments {
            conn.execute(
                "INSERT INTO appointments (id, appointment_id, patient_id, phone_number,
                     phone_preference, text_preference, appt_date_time, channel, status,
                     attempt_count, site, import_id, created_at, updated_at)
                 VALUES (?1, 'A' || ?1, 'P' || ?1, '+14165550101', 1, 0, ?2, 'call', ?3, ?4, ?5,
                     1, '2026-11-24T23:00:00Z', '2026-11-24T23:00:00Z')",
                rusqlite::params![id, at, status, attempts.len() as i64, site],
            )
            .unwrap();
            for (n, (touch, st, sid, created)) in attempts.iter().enumerate() {
                conn.execute(
                    "INSERT INTO appointment_logs (appointment_id, attempt, channel, sid, \"to\",
                         \"from\", status, touch_days, duration, created_at, updated_at)
                     VALUES (?1, ?2, 'call', ?3, '+14165550101', '+16135550000', ?4, ?5, 30, ?6,
                         ?6)",
                    rusqlite::params![id, n as i64 + 1, sid, st, touch, created],
                )
                .unwrap();
            }
        }
    }

    #[test]
    fn the_period_and_the_site_only_by_either_path() {
        let conn = crate::db::open_memory();
        store(
            &conn,
            &[
                (
                    1,
                    "failed",
                    "",
                    "2026-11-25T15:00:00Z",
                    &[
                        (1, "no-answer", Some("CA1"), "2026-11-25T00:00:00Z"),
                        (1, "busy", Some("CA2"), "2026-11-25T00:45:00Z"),
                    ],
                ),
                (2, "pending", "", "2026-11-25T16:00:00Z", &[]),
                // Outside the period, and at another site.
                (3, "pending", "", "2026-11-27T15:00:00Z", &[]),
                (
                    4,
                    "reached",
                    "east",
                    "2026-11-25T15:00:00Z",
                    &[(1, "completed", Some("CA4"), "2026-11-25T00:00:00Z")],
                ),
            ],
        );
        let p = |site| Period {
            from: stored_at("2026-11-25T05:00:00Z"),
            to: stored_at("2026-11-26T05:00:00Z"),
            site,
        };
        let found = span(&conn, &p(None)).unwrap();
        assert_eq!(
            found,
            Span {
                count: 3,
                first: 1,
                last: 4
            }
        );
        let sparse = Span { count: 1, ..found };
        for s in [found, sparse] {
            let read = |site| {
                let mut seen = Vec::new();
                appointments(&conn, &p(site), &s, |a| {
                    seen.push((a.id, a.status.as_str().to_string(), a.contacted))
                })
                .unwrap();
                seen.sort();
                seen
            };
            assert_eq!(
                read(None),
                [
                    (1, "failed".to_string(), true),
                    (2, "pending".to_string(), false),
                    (4, "reached".to_string(), true)
                ]
            );
            assert_eq!(read(Some("east")), [(4, "reached".to_string(), true)]);
        }
        // Ids 2 and 3 alone: a full range, read with no time checked.
        let later = |site: Option<&'static str>| Period {
            from: stored_at("2026-11-25T15:30:00Z"),
            to: stored_at("2026-11-28T05:00:00Z"),
            site,
        };
        let full = span(&conn, &later(None)).unwrap();
        assert_eq!(
            full,
            Span {
                count: 2,
                first: 2,
                last: 3
            }
        );
        assert!(full.full());
        let read = |site| {
            let mut seen = Vec::new();
            appointments(&conn, &later(site), &full, |a| seen.push(a.id)).unwrap();
            seen.sort();
            seen
        };
        assert_eq!(read(None), [2, 3]);
        assert!(read(Some("east")).is_empty());
        let empty = span(
            &conn,
            &Period {
                from: stored_at("2027-01-01T00:00:00Z"),
                to: stored_at("2027-01-02T00:00:00Z"),
                site: None,
            },
        )
        .unwrap();
        assert_eq!(empty.count, 0);
        assert!(!empty.dense());

        let made = |since: Stamp| {
            let mut seen = Vec::new();
            attempts_made(&conn, since, stored_at("2026-11-26T05:00:00Z"), |a| {
                seen.push((a.appointment, a.sid.unwrap_or("").to_string()))
            })
            .unwrap();
            seen
        };
        let pair = |id: i64, sid: &str| (id, sid.to_string());
        assert_eq!(
            made(stored_at("2026-11-24T23:00:00Z")),
            [pair(1, "CA1"), pair(4, "CA4"), pair(1, "CA2")]
        );
        assert_eq!(made(stored_at("2026-11-25T00:30:00Z")), [pair(1, "CA2")]);

        let calls = to_call(&conn, &p(None)).unwrap();
        assert_eq!(calls.len(), 1);
        assert_eq!(calls[0].appointment_id, "A1");
        let statuses: Vec<&str> = calls[0]
            .attempts
            .iter()
            .map(|a| a.status.as_str())
            .collect();
        assert_eq!(statuses, ["no-answer", "busy"]);
    }

    #[test]
    fn the_hand_call_list_leaves_out_offers_of_the_freed_slot() {
        use crate::db::backfill::test_support::{appointment, offer, slot};
        let conn = crate::db::open_memory();
        appointment(&conn, 1, "2026-11-25T14:30:00Z");
        let s = slot(
            &conn,
            1,
            "",
            "2026-11-25T14:30:00Z",
            "2026-11-25",
            "closed",
            "2026-11-24T23:00:00Z",
            None,
        );
        offer(
            &conn,
            s,
            1,
            "P77",
            "+14165550177",
            1,
            "closed",
            "2026-11-24T23:00:00Z",
            "undelivered",
        );
        conn.execute(
            "INSERT INTO appointment_logs (appointment_id, attempt, channel, \"to\", \"from\",
                 status, touch_days, created_at, updated_at)
             VALUES (1, 1, 'sms', '+14165550101', '+14165550000', 'undelivered', 1, '', '')",
            [],
        )
        .unwrap();
        // The appointment came back, and then its reminder failed.
        conn.execute("UPDATE appointments SET status = 'failed'", [])
            .unwrap();
        let p = Period {
            from: stored_at("2026-11-25T05:00:00Z"),
            to: stored_at("2026-11-26T05:00:00Z"),
            site: None,
        };
        let calls = to_call(&conn, &p).unwrap();
        assert_eq!(calls.len(), 1);
        assert_eq!(calls[0].attempts.len(), 1, "{:?}", calls[0].attempts);
        assert_eq!(calls[0].attempts[0].touch_days, Some(1));
    }
}
