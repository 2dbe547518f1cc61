//! The `opt_outs` table: numbers never to contact again.

use anyhow::Result;
use rusqlite::{Connection, OptionalExtension};

pub fn add(conn: &Connection, phone: &str, source: &str, now: &str) -> Result<()> {
    conn.execute(
        "INSERT OR IGNORE INTO opt_outs (phone_number, source, created_at) VALUES (?1, ?2, ?3)",
        rusqlite::params![phone, source, now],
    )?;
    Ok(())
}

/// Lifts an opt-out; `true` if there was one.
pub fn remove(conn: &Connection, phone: &str) -> Result<bool> {
    Ok(conn.execute("DELETE FROM opt_outs WHERE phone_number = ?1", [phone])? > 0)
}

pub fn contains(conn: &Connection, phone: &str) -> Result<bool> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM opt_outs WHERE phone_number = ?1",
            [phone],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}
