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

pub fn start(conn: &Connection, kind: &str, now: &str) -> Result<i64> {
    conn.execute(
        "INSERT INTO runs (kind, started_at) VALUES (?1, ?2)",
        rusqlite::params![kind, now],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Runs that never recorded their end: called while holding the run lock (or having checked
/// nobody holds it), so none of them is still going. They are closed as died, with what they
/// had recorded.
pub fn close_dead(conn: &Connection, now: &str) -> Result<usize> {
    Ok(conn.execute(
        "UPDATE runs SET finished_at = :now,
             error = coalesce(error || '; ', '') || 'the run died before it finished (killed, crashed or the machine stopped); its contacts were checked with Twilio by the next run'
         WHERE finished_at IS NULL",
        named_params! {":now": now},
    )?)
}

pub fn finish(conn: &Connection, id: i64, t: &Tally, error: Option<&str>, now: &str) -> Result<()> {
    conn.execute(
        "UPDATE runs SET finished_at = :now, selected = :selected, dispatched = :dispatched,
             failed = :failed, skipped = :skipped, error = :error WHERE id = :id",
        named_params! {
            ":now": now, ":selected": t.selected, ":dispatched": t.dispatched,
            ":failed": t.failed, ":skipped": t.skipped, ":error": error, ":id": id,
        },
    )?;
    Ok(())
}
