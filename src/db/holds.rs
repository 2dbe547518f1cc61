//! The `holds` table (docs/behaviour.md, "Holds"): each contact the rules of contact did not let
//! out, per appointment, with its rule and reason in words; and the count the caps read — a
//! number's contacts in a span of time, from the attempts table.

use anyhow::Result;
use rusqlite::{Connection, named_params};
use serde::Serialize;

use crate::clock::Stamp;
use crate::domain::limits::Rule;

/// A number's contacts created in `[from, until)`: every call or message we made to it, each
/// once however many appointments it was for (a combined message's attempts share its SID; an
/// attempt without one yet is counted by its contact). Whatever its purpose — a reminder, a
/// voicemail's text, a follow-up, an offer — every contact is an attempt row, so each counts
/// here. A request Twilio refused (no SID, `failed`) or that never reached it (`not-sent`)
/// made no contact; one whose fate is not known yet (`dispatching`) may have, and counts.
pub fn contacts_to(conn: &Connection, to: &str, from: Stamp, until: Stamp) -> Result<u32> {
    let n: i64 = conn
        .prepare_cached(
            "SELECT count(DISTINCT coalesce(sid, 'contact ' || coalesce(contact_id, id)))
             FROM appointment_logs
             WHERE \"to\" = :to AND created_at >= :from AND created_at < :until
               AND (sid IS NOT NULL OR status = 'dispatching') AND deleted_at IS NULL",
        )?
        .query_row(
            named_params! {":to": to, ":from": from, ":until": until},
            |r| r.get(0),
        )?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

pub struct NewHold<'a> {
    pub appointment: i64,
    pub rule: Rule,
    pub reason: &'a str,
    pub at: Stamp,
    pub run_id: Option<i64>,
}

pub fn insert(conn: &Connection, h: &NewHold<'_>) -> Result<()> {
    conn.prepare_cached(
        "INSERT INTO holds (appointment_id, rule, reason, at, run_id)
         VALUES (:appt, :rule, :reason, :at, :run)",
    )?
    .execute(named_params! {
        ":appt": h.appointment, ":rule": h.rule.as_str(), ":reason": h.reason, ":at": h.at,
        ":run": h.run_id,
    })?;
    Ok(())
}

/// One hold of an appointment, as its history shows it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Hold {
    pub at: Stamp,
    /// `per_day`, `per_week`, `text_length`, `call_length`.
    pub rule: String,
    /// In words, the number masked: "held: 1 a day reached for +1416***0101".
    pub reason: String,
    pub run_id: Option<i64>,
}

/// Every hold of the appointment with database id `appointment`, oldest first.
pub fn of_appointment(conn: &Connection, appointment: i64) -> Result<Vec<Hold>> {
    let mut stmt = conn.prepare_cached(
        "SELECT at, rule, reason, run_id FROM holds WHERE appointment_id = ?1 ORDER BY at, id",
    )?;
    let rows = stmt.query_map([appointment], |r| {
        Ok(Hold {
            at: r.get(0)?,
            rule: r.get(1)?,
            reason: r.get(2)?,
            run_id: r.get(3)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// SQL for the reason of the appointment `alias`'s hold since its last attempt, if any: why it
/// is waiting now. A hold older than its last attempt was lifted by that attempt.
pub fn current_reason_sql(alias: &str) -> String {
    format!(
        "(SELECT h.reason FROM holds h WHERE h.appointment_id = {alias}.id
             AND h.at >= coalesce({alias}.last_attempt_at, '')
          ORDER BY h.at DESC, h.id DESC LIMIT 1)"
    )
}

/// How many holds each rule made in `[from, to)` (the hold's time), of one site when given.
pub fn counts_by_rule(
    conn: &Connection,
    from: Stamp,
    to: Stamp,
    site: Option<&str>,
) -> Result<Vec<(String, i64)>> {
    rule_counts(
        conn,
        "SELECT h.rule, count(*) FROM holds h JOIN appointments a ON a.id = h.appointment_id
         WHERE h.at >= :from AND h.at < :to AND (:site IS NULL OR a.site = :site)
         GROUP BY h.rule ORDER BY h.rule",
        (from, to, site),
    )
}

/// Runs `sql` (rule, count) over `[from, to)` and a site.
fn rule_counts(
    conn: &Connection,
    sql: &str,
    (from, to, site): (Stamp, Stamp, Option<&str>),
) -> Result<Vec<(String, i64)>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let rows = stmt.query_map(
        named_params! {":from": from, ":to": to, ":site": site},
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The appointments of `[from, to)` (their time) that wait on a hold now — their latest hold is
/// since their last attempt, and they are still waiting or passed waiting — by that hold's rule.
pub fn waiting_by_rule(
    conn: &Connection,
    from: Stamp,
    to: Stamp,
    site: Option<&str>,
) -> Result<Vec<(String, i64)>> {
    // From the holds (few) to their appointments, not the other way.
    rule_counts(
        conn,
        "SELECT h.rule, count(*) FROM holds h JOIN appointments a ON a.id = h.appointment_id
         WHERE h.id = (SELECT max(h2.id) FROM holds h2 WHERE h2.appointment_id = h.appointment_id)
           AND h.at >= coalesce(a.last_attempt_at, '')
           AND a.status IN ('pending', 'retry_wait', 'reached', 'expired')
           AND a.appt_date_time >= :from AND a.appt_date_time < :to AND a.deleted_at IS NULL
           AND (:site IS NULL OR a.site = :site)
         GROUP BY h.rule ORDER BY h.rule",
        (from, to, site),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::stored_at;

    fn attempt(
        conn: &Connection,
        to: &str,
        at: &str,
        sid: Option<&str>,
        status: &str,
        contact: i64,
    ) {
        conn.execute(
            "INSERT INTO appointment_logs (appointment_id, attempt, channel, sid, \"to\", \"from\",
                 status, contact_id, created_at, updated_at)
             VALUES (1, 1, 'sms', ?1, ?2, '+16135550000', ?3, ?4, ?5, ?5)",
            rusqlite::params![sid, to, status, contact, at],
        )
        .unwrap();
    }

    #[test]
    fn a_combined_message_is_one_contact_and_a_refused_one_is_none() {
        let conn = crate::db::open_memory();
        conn.execute_batch("PRAGMA foreign_keys = OFF").unwrap();
        let to = "+14165550101";
        let at = "2026-11-24T23:00:00Z";
        // A family of three on one text.
        for _ in 0..3 {
            attempt(&conn, to, at, Some("SM1"), "delivered", 1);
        }
        // Refused by Twilio, and never sent: no contact.
        attempt(&conn, to, at, None, "failed", 4);
        attempt(&conn, to, at, None, "not-sent", 5);
        // Its fate unknown: it may have gone out.
        attempt(&conn, to, at, None, "dispatching", 6);
        attempt(&conn, to, at, None, "dispatching", 6);
        // Another number, and another day.
        attempt(&conn, "+14165550102", at, Some("SM2"), "delivered", 8);
        attempt(
            &conn,
            to,
            "2026-11-23T23:00:00Z",
            Some("SM3"),
            "delivered",
            9,
        );
        let day = contacts_to(
            &conn,
            to,
            stored_at("2026-11-24T05:00:00Z"),
            stored_at("2026-11-25T05:00:00Z"),
        )
        .unwrap();
        assert_eq!(day, 2);
        let week = contacts_to(
            &conn,
            to,
            stored_at("2026-11-18T05:00:00Z"),
            stored_at("2026-11-25T05:00:00Z"),
        )
        .unwrap();
        assert_eq!(week, 3);
    }

    #[test]
    fn the_count_uses_the_number_and_time_index() {
        let conn = crate::db::open_memory();
        let mut stmt = conn
            .prepare(
                "EXPLAIN QUERY PLAN SELECT count(*) FROM appointment_logs
                 WHERE \"to\" = 'x' AND created_at >= 'a' AND created_at < 'b'",
            )
            .unwrap();
        let plan: Vec<String> = stmt
            .query_map([], |r| r.get(3))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert!(
            plan.join(";").contains("appointment_logs_to_created"),
            "{plan:?}"
        );
    }
}
