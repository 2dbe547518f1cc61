//! Who is offered a freed slot: the waiting patients of its site whose wishes the slot meets,
//! earliest on the list first, then the least recently offered (docs/waitlist.md, "Who is
//! offered a slot").
//!
//! The entries are read in the order of the (site, added) index and the reading stops as soon
//! as the wave is full and the next entry joined the list later than the wave's last: a wave
//! over a long list reads the few entries it needs, not the whole list (BENCHMARKS.md,
//! "Waitlist waves").

use crate::domain::languages::code::Language;
use std::collections::HashSet;

use anyhow::Result;
use rusqlite::Connection;

use super::slots::Slot;
use crate::config::{MatchField, Waitlist};
use crate::domain::state::State;

/// A waiting patient the slot could go to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    pub entry: i64,
    pub patient_id: String,
    pub phone_number: String,
    pub language: Language,
    /// The booking they would move from.
    pub moves_from: Option<String>,
    pub added: String,
    /// When they were last offered any slot.
    pub last_offered: Option<String>,
}

fn query(w: &Waitlist) -> String {
    let agree = |field: MatchField, column: &str| {
        if w.matches_on(field) {
            format!(
                "AND (e.{column} IS NULL OR :{column} IS NULL OR e.{column} = :{column} COLLATE NOCASE)"
            )
        } else {
            String::new()
        }
    };
    format!(
        "SELECT e.id, e.patient_id, e.phone_number, e.language, e.appointment_id, e.added,
                (SELECT max(o.sent_at) FROM offers o WHERE o.patient_id = e.patient_id)
         FROM waitlist_entries e
         WHERE e.site = :site
           {provider} {visit_type}
           AND (e.duration_minutes IS NULL OR :duration IS NULL OR e.duration_minutes <= :duration)
           AND (e.earliest IS NULL OR e.earliest <= :date)
           AND (e.latest IS NULL OR e.latest >= :date)
           AND e.patient_id != :freed_by
           AND (e.appointment_id IS NULL OR NOT EXISTS (
                SELECT 1 FROM appointments b
                WHERE b.appointment_id = e.appointment_id AND b.patient_id = e.patient_id
                  AND b.deleted_at IS NULL AND b.status != '{withdrawn}'
                  AND b.appt_date_time <= :starts_at))
           AND (SELECT x.event FROM opt_outs x WHERE x.phone_number = e.phone_number
                ORDER BY x.id DESC LIMIT 1) IS NOT 'opt_out'
           AND NOT EXISTS (SELECT 1 FROM offers o
                           WHERE o.slot_id = :slot
                             AND (o.patient_id = e.patient_id OR o.phone_number = e.phone_number))
           AND NOT EXISTS (SELECT 1 FROM offers o JOIN slots s ON s.id = o.slot_id
                           WHERE o.phone_number = e.phone_number AND o.state = 'open'
                             AND s.state = 'open')
         ORDER BY e.added, e.id",
        provider = agree(MatchField::Provider, "provider"),
        visit_type = agree(MatchField::VisitType, "visit_type"),
        withdrawn = State::Withdrawn.as_str(),
    )
}

/// At most `n` candidates for `slot`, one per number, none of the numbers in `taken` (offered
/// another slot by the same run).
pub fn next(
    conn: &Connection,
    w: &Waitlist,
    slot: &Slot,
    n: usize,
    taken: &HashSet<String>,
) -> Result<Vec<Candidate>> {
    let sql = query(w);
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut params = vec![
        (":site", &slot.site as &dyn rusqlite::ToSql),
        (":duration", &slot.duration_minutes),
        (":date", &slot.local_date),
        (":freed_by", &slot.freed_by_patient),
        (":starts_at", &slot.starts_at),
        (":slot", &slot.id),
    ];
    if w.matches_on(MatchField::Provider) {
        params.push((":provider", &slot.provider));
    }
    if w.matches_on(MatchField::VisitType) {
        params.push((":visit_type", &slot.visit_type));
    }
    let mut rows = stmt.query(params.as_slice())?;
    let mut found: Vec<Candidate> = Vec::new();
    let mut numbers = HashSet::new();
    while let Some(r) = rows.next()? {
        let c = Candidate {
            entry: r.get(0)?,
            patient_id: r.get(1)?,
            phone_number: r.get(2)?,
            language: r.get(3)?,
            moves_from: r.get(4)?,
            added: r.get(5)?,
            last_offered: r.get(6)?,
        };
        // Full, and this one joined later than the last taken: no later entry can come first.
        if found.len() >= n && found.last().is_some_and(|l| l.added < c.added) {
            break;
        }
        if !taken.contains(&c.phone_number) && numbers.insert(c.phone_number.clone()) {
            found.push(c);
        }
    }
    // Among those who joined at the same time, the least recently offered first (never
    // offered before all).
    found.sort_by(|a, b| {
        (&a.added, a.last_offered.is_some(), &a.last_offered, a.entry).cmp(&(
            &b.added,
            b.last_offered.is_some(),
            &b.last_offered,
            b.entry,
        ))
    });
    found.truncate(n);
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::db;

    fn waitlist() -> Waitlist {
        Waitlist::default()
    }

    /// A store with one appointment (id 1, patient P0, 2026-11-25 14:30Z, Dr. Singh, cleaning,
    /// 30 minutes) given back, its slot, and `entries`.
    fn store(entries: &[&str]) -> (Connection, Slot) {
        let conn = db::open_in_memory().unwrap();
        conn.execute_batch(
            "INSERT INTO imports (id, file_name, sha256, status, user_id, started_at)
                 VALUES (1, 'w.csv', 'x', 'completed', 'ops', '2026-11-24T00:00:00Z');
             INSERT INTO appointments (id, appointment_id, patient_id, phone_number,
                 phone_preference, text_preference, appt_date_time, appointment_msg, language,
                 channel, status, import_id, created_at, updated_at, site, provider, visit_type,
                 duration_minutes)
             VALUES (1, 'A1', 'P0', '+14165550100', 0, 1, '2026-11-25T14:30:00Z', '', 'en',
                 'sms', 'cancel_requested', 1, '2026-11-24T00:00:00Z', '2026-11-24T00:00:00Z',
                 '', 'Dr. Singh', 'cleaning', 30);
             INSERT INTO slots (id, appointment_id, site, starts_at, local_date, provider,
                 visit_type, duration_minutes, freed_by_patient, opened_at)
             VALUES (1, 1, '', '2026-11-25T14:30:00Z', '2026-11-25', 'Dr. Singh', 'cleaning',
                 30, 'P0', '2026-11-24T00:00:00Z');",
        )
        .unwrap();
        for (i, values) in entries.iter().enumerate() {
            conn.execute(
                &format!(
                    "INSERT INTO waitlist_entries (import_id, row_number, site, patient_id,
                         phone_number, language, provider, visit_type, duration_minutes,
                         earliest, latest, appointment_id, added, data)
                     VALUES (1, {}, {values}, '{{}}')",
                    i + 2
                ),
                [],
            )
            .unwrap();
        }
        let slot = super::super::slots::get(&conn, 1).unwrap().unwrap();
        (conn, slot)
    }

    fn chosen(conn: &Connection, slot: &Slot, n: usize) -> Vec<String> {
        next(conn, &waitlist(), slot, n, &HashSet::new())
            .unwrap()
            .into_iter()
            .map(|c| c.patient_id)
            .collect()
    }

    #[test]
    fn each_rule_leaves_out_its_entry_and_the_rest_come_earliest_added_first() {
        let (conn, slot) = store(&[
            // site, patient, phone, lang, provider, visit, duration, earliest, latest, booking, added
            "'', 'P9', '+14165550109', 'en', NULL, NULL, NULL, NULL, NULL, NULL, '2026-03-01T00:00:00Z'",
            "'', 'P1', '+14165550101', 'en', 'Dr. Singh', 'cleaning', 30, NULL, NULL, NULL, '2026-01-01T00:00:00Z'",
            "'east', 'Pa', '+14165550111', 'en', NULL, NULL, NULL, NULL, NULL, NULL, '2025-01-01T00:00:00Z'",
            "'', 'Pb', '+14165550112', 'en', 'Dr. Wu', NULL, NULL, NULL, NULL, NULL, '2025-01-01T00:00:00Z'",
            "'', 'Pc', '+14165550113', 'en', NULL, 'surgery', NULL, NULL, NULL, NULL, '2025-01-01T00:00:00Z'",
            "'', 'Pd', '+14165550114', 'en', NULL, NULL, 60, NULL, NULL, NULL, '2025-01-01T00:00:00Z'",
            "'', 'Pe', '+14165550115', 'en', NULL, NULL, NULL, '2026-11-26', NULL, NULL, '2025-01-01T00:00:00Z'",
            "'', 'Pf', '+14165550116', 'en', NULL, NULL, NULL, NULL, '2026-11-24', NULL, '2025-01-01T00:00:00Z'",
            "'', 'P0', '+14165550199', 'en', NULL, NULL, NULL, NULL, NULL, NULL, '2025-01-01T00:00:00Z'",
            "'', 'Pg', '+14165550117', 'en', NULL, NULL, NULL, NULL, NULL, 'B1', '2025-01-01T00:00:00Z'",
            "'', 'Ph', '+14165550118', 'en', NULL, NULL, NULL, NULL, NULL, NULL, '2025-01-01T00:00:00Z'",
            "'', 'P2', '+14165550102', 'en', NULL, NULL, 15, '2026-11-01', '2026-11-30', 'B2', '2026-02-01T00:00:00Z'",
        ]);
        // Pg's own booking is before the slot; P2's after it.
        conn.execute_batch(
            "INSERT INTO appointments (appointment_id, patient_id, phone_number, phone_preference,
                 text_preference, appt_date_time, appointment_msg, language, channel, status,
                 import_id, created_at, updated_at, site)
             VALUES ('B1', 'Pg', '+14165550117', 0, 1, '2026-11-25T13:00:00Z', '', 'en', 'sms',
                     'pending', 1, '', '', ''),
                    ('B2', 'P2', '+14165550102', 0, 1, '2026-12-20T13:00:00Z', '', 'en', 'sms',
                     'pending', 1, '', '', '');
             INSERT INTO opt_outs (phone_number, event, source, created_at)
                 VALUES ('+14165550118', 'opt_out', 'reply', '2026-01-01T00:00:00Z');",
        )
        .unwrap();
        assert_eq!(chosen(&conn, &slot, 3), ["P1", "P2", "P9"]);
        assert_eq!(chosen(&conn, &slot, 2), ["P1", "P2"]);
    }

    #[test]
    fn a_number_with_an_open_offer_or_already_offered_this_slot_is_left_out() {
        let (conn, slot) = store(&[
            "'', 'P1', '+14165550101', 'en', NULL, NULL, NULL, NULL, NULL, NULL, '2026-01-01T00:00:00Z'",
            "'', 'P2', '+14165550102', 'en', NULL, NULL, NULL, NULL, NULL, NULL, '2026-01-02T00:00:00Z'",
            "'', 'P3', '+14165550102', 'en', NULL, NULL, NULL, NULL, NULL, NULL, '2026-01-03T00:00:00Z'",
            "'', 'P4', '+14165550104', 'en', NULL, NULL, NULL, NULL, NULL, NULL, '2026-01-04T00:00:00Z'",
        ]);
        // P2 and P3 share a number: one offer for both.
        assert_eq!(chosen(&conn, &slot, 3), ["P1", "P2", "P4"]);
        conn.execute_batch(
            "INSERT INTO appointments (id, appointment_id, patient_id, phone_number, phone_preference,
                 text_preference, appt_date_time, appointment_msg, language, channel, status,
                 import_id, created_at, updated_at, site)
             VALUES (2, 'A2', 'Px', '+14165550190', 0, 1, '2026-11-26T13:00:00Z', '', 'en', 'sms',
                     'cancel_requested', 1, '', '', '');
             INSERT INTO slots (id, appointment_id, site, starts_at, local_date, freed_by_patient,
                 opened_at)
             VALUES (2, 2, '', '2026-11-26T13:00:00Z', '2026-11-26', 'Px', '');
             INSERT INTO appointment_logs (id, appointment_id, attempt, channel, \"to\", \"from\",
                 status, created_at, updated_at)
             VALUES (1, 2, 0, 'sms', '+14165550101', '+1', 'sent', '', ''),
                    (2, 1, 0, 'sms', '+14165550104', '+1', 'sent', '', '');
             INSERT INTO offers (slot_id, log_id, patient_id, phone_number, language, wave, sent_at)
             VALUES (2, 1, 'P1', '+14165550101', 'en', 1, '2026-11-24T01:00:00Z'),
                    (1, 2, 'P4', '+14165550104', 'en', 1, '2026-11-24T01:00:00Z');",
        )
        .unwrap();
        // P1 holds an open offer of slot 2; P4 was offered this slot already.
        assert_eq!(chosen(&conn, &slot, 3), ["P2"]);
        conn.execute_batch("UPDATE slots SET state = 'closed' WHERE id = 2")
            .unwrap();
        assert_eq!(chosen(&conn, &slot, 3), ["P1", "P2"]);
    }

    #[test]
    fn among_entries_added_together_the_least_recently_offered_goes_first() {
        let (conn, slot) = store(&[
            "'', 'P1', '+14165550101', 'en', NULL, NULL, NULL, NULL, NULL, NULL, '2026-01-01T00:00:00Z'",
            "'', 'P2', '+14165550102', 'en', NULL, NULL, NULL, NULL, NULL, NULL, '2026-01-01T00:00:00Z'",
            "'', 'P3', '+14165550103', 'en', NULL, NULL, NULL, NULL, NULL, NULL, '2026-01-01T00:00:00Z'",
        ]);
        conn.execute_batch(
            "INSERT INTO appointments (id, appointment_id, patient_id, phone_number, phone_preference,
                 text_preference, appt_date_time, appointment_msg, language, channel, status,
                 import_id, created_at, updated_at, site)
             VALUES (2, 'A2', 'Px', '+14165550190', 0, 1, '2026-11-20T13:00:00Z', '', 'en', 'sms',
                     'cancel_requested', 1, '', '', '');
             INSERT INTO slots (id, appointment_id, site, starts_at, local_date, freed_by_patient,
                 opened_at, state)
             VALUES (2, 2, '', '2026-11-20T13:00:00Z', '2026-11-20', 'Px', '', 'closed');
             INSERT INTO appointment_logs (id, appointment_id, attempt, channel, \"to\", \"from\",
                 status, created_at, updated_at)
             VALUES (1, 2, 0, 'sms', '+14165550101', '+1', 'sent', '', ''),
                    (2, 2, 0, 'sms', '+14165550102', '+1', 'sent', '', '');
             INSERT INTO offers (slot_id, log_id, patient_id, phone_number, language, wave, sent_at, state)
             VALUES (2, 1, 'P1', '+14165550101', 'en', 1, '2026-11-19T01:00:00Z', 'closed'),
                    (2, 2, 'P2', '+14165550102', 'en', 1, '2026-11-18T01:00:00Z', 'closed');",
        )
        .unwrap();
        assert_eq!(chosen(&conn, &slot, 2), ["P3", "P2"]);
    }
}
