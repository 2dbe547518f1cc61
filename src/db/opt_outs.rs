//! The `opt_outs` table: the history of every opt-out and opt-in of a number, with where it came
//! from and the words used. A number is opted out when its latest event is an opt-out.

use crate::clock::Stamp;
use anyhow::Result;
use rusqlite::{Connection, OptionalExtension};
use serde::Serialize;

/// Records that `phone` asked not to be contacted (`source`: a reply, a Twilio error, by hand).
pub fn add(
    conn: &Connection,
    phone: &str,
    source: &str,
    words: Option<&str>,
    now: Stamp,
) -> Result<()> {
    record(conn, phone, "opt_out", source, words, now)
}

/// Records that `phone` may be contacted again; `true` if it had been opted out.
pub fn remove(
    conn: &Connection,
    phone: &str,
    source: &str,
    words: Option<&str>,
    now: Stamp,
) -> Result<bool> {
    let was = contains(conn, phone)?;
    record(conn, phone, "opt_in", source, words, now)?;
    Ok(was)
}

fn record(
    conn: &Connection,
    phone: &str,
    event: &str,
    source: &str,
    words: Option<&str>,
    now: Stamp,
) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO opt_outs (phone_number, event, source, words, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )?
    .execute(rusqlite::params![phone, event, source, words, now])?;
    Ok(())
}

/// Whether the number's latest event is an opt-out.
pub fn contains(conn: &Connection, phone: &str) -> Result<bool> {
    Ok(conn
        .prepare_cached(
            "SELECT event FROM opt_outs WHERE phone_number = ?1 ORDER BY id DESC LIMIT 1",
        )?
        .query_row([phone], |r| r.get::<_, String>(0))
        .optional()?
        .is_some_and(|e| e == "opt_out"))
}

/// One event of the history.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Event {
    pub phone_number: String,
    pub event: String,
    pub source: String,
    pub words: Option<String>,
    pub created_at: Stamp,
}

/// A number's history, oldest first.
pub fn history(conn: &Connection, phone: &str) -> Result<Vec<Event>> {
    let mut stmt = conn.prepare(
        "SELECT phone_number, event, source, words, created_at FROM opt_outs
         WHERE phone_number = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([phone], |r| {
        Ok(Event {
            phone_number: r.get(0)?,
            event: r.get(1)?,
            source: r.get(2)?,
            words: r.get(3)?,
            created_at: r.get(4)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::stored_at;

    #[test]
    fn the_latest_event_decides_and_the_history_stays() {
        let conn = crate::db::open_memory();
        let n = "+14165550101";
        assert!(!contains(&conn, n).unwrap());
        add(
            &conn,
            n,
            "reply",
            Some("ARRÊT"),
            stored_at("2026-11-25T00:00:00Z"),
        )
        .unwrap();
        assert!(contains(&conn, n).unwrap());
        assert!(
            remove(
                &conn,
                n,
                "reply",
                Some("START"),
                stored_at("2026-11-25T00:05:00Z")
            )
            .unwrap()
        );
        assert!(!contains(&conn, n).unwrap());
        let h = history(&conn, n).unwrap();
        assert_eq!(
            h.iter()
                .map(|e| (e.event.as_str(), e.words.as_deref()))
                .collect::<Vec<_>>(),
            [("opt_out", Some("ARRÊT")), ("opt_in", Some("START"))]
        );
    }
}
