//! The `runs` table: one row per `send`, `retry` or `reconcile`.

use crate::clock::Stamp;
use crate::domain::run_job::RunJob;
use crate::domain::run_outcome::RunOutcome;
use anyhow::Result;
use rusqlite::{Connection, OptionalExtension, named_params};
use serde::Serialize;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub selected: i64,
    pub dispatched: i64,
    pub failed: i64,
    pub skipped: i64,
}

/// The window of the day a run was started for by `reminders run`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WindowTag {
    /// `send 19:00`, `retry 09:00`.
    pub label: String,
    /// The site-local date (`YYYY-MM-DD`) it was that window of.
    pub date: String,
    /// When the window opened (UTC).
    pub opens: Stamp,
}

/// Records a run's start; `sites`: the sites it serves (empty: all).
pub fn start(conn: &Connection, kind: RunJob, sites: &[String], now: Stamp) -> Result<i64> {
    start_for(conn, kind, sites, None, now)
}

/// Records a run's start, with the window it is for.
pub fn start_for(
    conn: &Connection,
    kind: RunJob,
    sites: &[String],
    window: Option<&WindowTag>,
    now: Stamp,
) -> Result<i64> {
    conn.execute(
        "INSERT INTO runs (kind, started_at, sites, window, window_date, window_opens)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        rusqlite::params![
            kind,
            now,
            sites.join(","),
            window.map(|w| &w.label),
            window.map(|w| &w.date),
            window.map(|w| &w.opens)
        ],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Records a run that was refused before it contacted anyone, with the reason.
pub fn refused(
    conn: &Connection,
    kind: RunJob,
    sites: &[String],
    window: Option<&WindowTag>,
    why: &str,
    now: Stamp,
) -> Result<i64> {
    let id = start_for(conn, kind, sites, window, now)?;
    conn.execute(
        "UPDATE runs SET finished_at = ?2, outcome = ?3, error = ?4 WHERE id = ?1",
        rusqlite::params![id, now, RunOutcome::Refused, why],
    )?;
    Ok(id)
}

/// Whether `window` of `date` has run for `site`: a run for it that ended in a way that did the
/// window (`RunOutcome::did_the_window`). One that was refused, interrupted or died did not, so
/// the next tick runs it again while it may.
pub fn window_done(conn: &Connection, site: &str, label: &str, date: &str) -> Result<bool> {
    let mut stmt = conn.prepare_cached(
        "SELECT outcome FROM runs WHERE window_date = ?1 AND window = ?2 AND sites = ?3
           AND outcome IS NOT NULL",
    )?;
    let outcomes = stmt.query_map(rusqlite::params![date, label, site], |r| {
        r.get::<_, RunOutcome>(0)
    })?;
    for o in outcomes {
        if o?.did_the_window() {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Whether a refusal with these words was recorded for `site` since `since`: `run` records
/// (and mails) a refusal once a day, not at every tick.
pub fn refused_since(conn: &Connection, site: &str, why: &str, since: Stamp) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT 1 FROM runs WHERE outcome = ?4 AND sites = ?1 AND error = ?2
               AND started_at >= ?3 LIMIT 1",
        )?
        .query_row(
            rusqlite::params![site, why, since, RunOutcome::Refused],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// How a run ended.
pub struct Ending<'a> {
    pub tally: &'a Tally,
    /// Why it failed, stopped or was interrupted.
    pub error: Option<&'a str>,
    pub outcome: RunOutcome,
    /// Contacts still due when it stopped, for the next window.
    pub left_for_next: i64,
    /// Attempts it left `dispatching` (Twilio could not be asked).
    pub unresolved: i64,
    /// The fit check's warning.
    pub note: Option<&'a str>,
}

pub fn end(conn: &Connection, id: i64, e: &Ending<'_>, now: Stamp) -> Result<()> {
    conn.execute(
        "UPDATE runs SET finished_at = :now, selected = :selected, dispatched = :dispatched,
             failed = :failed, skipped = :skipped, error = :error, outcome = :outcome,
             left_for_next = :left, unresolved = :unresolved, note = :note
         WHERE id = :id",
        named_params! {
            ":now": now, ":selected": e.tally.selected, ":dispatched": e.tally.dispatched,
            ":failed": e.tally.failed, ":skipped": e.tally.skipped, ":error": e.error,
            ":outcome": e.outcome, ":left": e.left_for_next, ":unresolved": e.unresolved,
            ":note": e.note, ":id": id,
        },
    )?;
    Ok(())
}

/// What a dead run's error says when the run closing it checks its contacts with Twilio.
pub const DIED_CHECKED: &str = "the run died before it finished (killed, crashed or the machine stopped); its contacts were checked with Twilio by the next run";
/// ... and when another command noticed it first.
pub const DIED_UNCHECKED: &str = "the run died before it finished (killed, crashed or the machine stopped); the next send, retry or reconcile checks its contacts with Twilio";

/// How many runs have not recorded their end.
pub fn unfinished(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT count(*) FROM runs WHERE finished_at IS NULL",
        [],
        |r| r.get(0),
    )?)
}

/// Runs that never recorded their end: called while holding the run lock, so none of them is
/// still going. They are closed as `died` (`why`), with how far each got: the attempts it had
/// recorded, and of those the ones Twilio had taken (a SID) — what it had placed.
pub fn close_dead(conn: &Connection, now: Stamp, why: &str) -> Result<usize> {
    Ok(conn.execute(
        "UPDATE runs SET finished_at = :now, outcome = :died,
             selected = (SELECT count(*) FROM appointment_logs l WHERE l.run_id = runs.id),
             dispatched = (SELECT count(*) FROM appointment_logs l
                           WHERE l.run_id = runs.id AND l.sid IS NOT NULL),
             error = coalesce(error || '; ', '') || :why
         WHERE finished_at IS NULL",
        named_params! {":now": now, ":why": why, ":died": RunOutcome::Died},
    )?)
}

/// Whether a run of `kind` serving `site` (or every site) started in `[from, to)`: a window
/// covered by hand (`import --now`, `retry`) or by `reminders run`. A refused run counts: it
/// is listed as refused, not also as a window that did not run.
pub fn covered(
    conn: &Connection,
    site: &str,
    kind: RunJob,
    from: Stamp,
    to: Stamp,
) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT 1 FROM runs
             WHERE kind = ?1 AND started_at >= ?3 AND started_at < ?4
               AND (sites = '' OR ',' || sites || ',' LIKE '%,' || ?2 || ',%')
             LIMIT 1",
        )?
        .query_row(rusqlite::params![kind, site, from, to], |_| Ok(()))
        .optional()?
        .is_some())
}

/// A window's run that started later than `late_after` after the window opened.
#[derive(Clone, Debug)]
pub struct LateRun {
    pub sites: String,
    pub window: String,
    pub opens: Stamp,
    pub started_at: Stamp,
}

/// Window runs of windows that opened since `since` and started late.
pub fn late_since(
    conn: &Connection,
    since: Stamp,
    late_after_minutes: i64,
) -> Result<Vec<LateRun>> {
    let mut stmt = conn.prepare_cached(
        "SELECT sites, window, window_opens, started_at FROM runs
         WHERE window_opens >= ?1 AND coalesce(outcome, '') != ?3
           AND julianday(started_at) - julianday(window_opens) > ?2 / 1440.0
         ORDER BY window_opens, id",
    )?;
    let refused = RunOutcome::Refused;
    let rows = stmt.query_map(rusqlite::params![since, late_after_minutes, refused], |r| {
        Ok(LateRun {
            sites: r.get(0)?,
            window: r.get(1)?,
            opens: r.get(2)?,
            started_at: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// When the first import started: before it there was nothing to send, so no window is
/// expected to have run.
pub fn first_activity(conn: &Connection) -> Result<Option<Stamp>> {
    Ok(conn.query_row("SELECT min(started_at) FROM imports", [], |r| r.get(0))?)
}
