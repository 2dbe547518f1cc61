//! The `webhook_events` table: every accepted callback as received, and how repeats are known.

use crate::clock::Stamp;
use anyhow::Result;
use rusqlite::{Connection, named_params};

/// Stores a callback; `false` when one with the same `dedupe_key` is already there (a repeat).
pub fn insert(
    conn: &Connection,
    sid: Option<&str>,
    kind: &str,
    dedupe_key: &str,
    params_json: &str,
    now: Stamp,
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

/// The kind of the row that marks a call or text `check --send-test` made: the test is known
/// as one, and no appointment is involved.
pub const SEND_TEST: &str = "send-test";

/// Records that `sid` is a test call or text (to a number given masked).
pub fn record_test(
    conn: &Connection,
    sid: &str,
    channel: &str,
    to_masked: &str,
    now: Stamp,
) -> Result<()> {
    let params = serde_json::json!({ "channel": channel, "to": to_masked }).to_string();
    insert(
        conn,
        Some(sid),
        SEND_TEST,
        &format!("{SEND_TEST}:{sid}"),
        &params,
        now,
    )?;
    Ok(())
}

/// A status a callback brought.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Reported {
    pub status: String,
    pub error_code: Option<i64>,
}

/// The statuses the callbacks for `sid` brought, in order of arrival.
pub fn reported(conn: &Connection, sid: &str) -> Result<Vec<Reported>> {
    let mut stmt = conn.prepare_cached(
        "SELECT coalesce(json_extract(params, '$.MessageStatus'),
                         json_extract(params, '$.SmsStatus'),
                         json_extract(params, '$.CallStatus')),
                json_extract(params, '$.ErrorCode')
         FROM webhook_events
         WHERE sid = :sid AND kind IN ('sms-status', 'call-status')
         ORDER BY id",
    )?;
    let rows = stmt.query_map(named_params! {":sid": sid}, |r| {
        Ok(Reported {
            status: r.get::<_, Option<String>>(0)?.unwrap_or_default(),
            error_code: r
                .get::<_, Option<String>>(1)?
                .and_then(|c| c.trim().parse().ok()),
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::stored_at;

    #[test]
    fn a_test_is_recorded_once_and_its_callbacks_read_back_in_order() {
        let conn = crate::db::open_memory();
        record_test(
            &conn,
            "SM1",
            "sms",
            "+1416***0123",
            stored_at("2026-11-25T00:00:00Z"),
        )
        .unwrap();
        record_test(
            &conn,
            "SM1",
            "sms",
            "+1416***0123",
            stored_at("2026-11-25T00:00:00Z"),
        )
        .unwrap();
        let sent = r#"{"MessageSid":"SM1","MessageStatus":"sent"}"#;
        let failed = r#"{"MessageSid":"SM1","MessageStatus":"undelivered","ErrorCode":"30006"}"#;
        insert(
            &conn,
            Some("SM1"),
            "sms-status",
            "sms:SM1:sent",
            sent,
            stored_at("2026-11-25T00:01:00Z"),
        )
        .unwrap();
        insert(
            &conn,
            Some("SM1"),
            "sms-status",
            "sms:SM1:undelivered",
            failed,
            stored_at("2026-11-25T00:02:00Z"),
        )
        .unwrap();
        insert(
            &conn,
            Some("SM2"),
            "sms-status",
            "sms:SM2:sent",
            sent,
            stored_at("2026-11-25T00:03:00Z"),
        )
        .unwrap();
        let got = reported(&conn, "SM1").unwrap();
        assert_eq!(
            got,
            vec![
                Reported {
                    status: "sent".into(),
                    error_code: None
                },
                Reported {
                    status: "undelivered".into(),
                    error_code: Some(30006)
                },
            ]
        );
        let tests: i64 = conn
            .query_row(
                "SELECT count(*) FROM webhook_events WHERE kind = ?1",
                [SEND_TEST],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(tests, 1);
    }
}
