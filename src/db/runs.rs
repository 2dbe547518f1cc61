//! The `runs` table: one row per `send`, `retry` or `reconcile`.

use anyhow::Result;
use rusqlite::{Connection, named_params};
use serde::Serialize;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub selected: i64,
    pub dispatched: i64,
    pub failed: i64,
    pub skipped: i64,
}

/// Records a run's start; `sites`: the sites it serves (empty: all).
pub fn start(conn: &Connection, kind: &str, sites: &[String], now: &str) -> Result<i64> {
    conn.execute(
        "INSERT INTO runs (kind, started_at, sites) VALUES (?1, ?2, ?3)",
        rusqlite::params![kind, now, sites.join(",")],
    )?;
    Ok(conn.last_insert_rowid())
}

/// How a run ended.
pub struct Ending<'a> {
    pub tally: &'a Tally,
    /// Why it failed, stopped or was interrupted.
    pub error: Option<&'a str>,
    /// completed, failed, interrupted, or stopped at the end of contact hours.
    pub outcome: &'a str,
    /// Contacts still due when it stopped, for the next window.
    pub left_for_next: i64,
    /// Attempts it left `dispatching` (Twilio could not be asked).
    pub unresolved: i64,
    /// The fit check's warning.
    pub note: Option<&'a str>,
}

pub fn end(conn: &Connection, id: i64, e: &Ending<'_>, now: &str) -> Result<()> {
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
/// still going. They are closed as died (`why`), with what they had recorded.
pub fn close_dead(conn: &Connection, now: &str, why: &str) -> Result<usize> {
    Ok(conn.execute(
        "UPDATE runs SET finished_at = :now,
             error = coalesce(error || '; ', '') || :why
         WHERE finished_at IS NULL",
        named_params! {":now": now, ":why": why},
    )?)
}
