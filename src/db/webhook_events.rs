//! The `webhook_events` table: every accepted callback as received, and how repeats are known.

use anyhow::Result;
use rusqlite::{Connection, named_params};

/// Stores a callback; `false` when one with the same `dedupe_key` is already there (a repeat).
pub fn insert(
    conn: &Connection,
    sid: Option<&str>,
    kind: &str,
    dedupe_key: &str,
    params_json: &str,
    now: &str,
) -> Result<bool> {
    let mut stmt = conn.prepare_cached(
        "INSERT INTO webhook_events (sid, kind, dedupe_key, params, received_at)
         VALUES (:sid, :kind, :key, :params, :now)
         ON CONFLICT (dedupe_key) DO NOTHING",
    )?;
    let n = stmt.execute(named_params! {
        ":sid": sid, ":kind": kind, ":key": dedupe_key, ":params": params_json, ":now": now,
    })?;
    Ok(n == 1)
}

/// A trivial query over the events table: whether the database answers (`/healthz`).
pub fn probe(conn: &Connection) -> Result<()> {
    conn.query_row(
        "SELECT count(*) FROM webhook_events WHERE id = 0",
        [],
        |r| r.get::<_, i64>(0),
    )?;
    Ok(())
}
