//! What is read back about freed slots and their offers: `status backfill`, the clinic's
//! backfill file, `status --check` and the report. Read-only; the waitlist's engine writes
//! `slots` and `offers`.

use crate::clock::Stamp;
use crate::domain::slot_states::{OfferState, SlotState};
use anyhow::Result;
use rusqlite::{Connection, named_params};
use serde::Serialize;

/// What `slots` may be narrowed to. `None` means "any".
#[derive(Clone, Debug, Default)]
pub struct Filter {
    /// The slot's local date (YYYY-MM-DD).
    pub date: Option<String>,
    pub site: Option<String>,
    pub state: Option<SlotState>,
    pub limit: Option<i64>,
}

/// One freed slot, with how its offers stand. Times are UTC RFC 3339 as stored.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Slot {
    pub id: i64,
    pub local_date: String,
    pub starts_at: Stamp,
    pub site: String,
    pub provider: Option<String>,
    pub visit_type: Option<String>,
    pub duration_minutes: Option<i64>,
    /// The clinic's appointment_id of the appointment that freed it.
    pub freed_by: String,
    pub state: SlotState,
    pub closed_reason: Option<String>,
    pub opened_at: Stamp,
    pub closed_at: Option<Stamp>,
    pub waves: i64,
    /// Offers whose text went out (an attempt that never left is not one).
    pub offers_sent: i64,
    pub offers_open: i64,
    pub offers_declined: i64,
    pub offers_lost: i64,
    pub taker_patient_id: Option<String>,
    pub taker_moves_from: Option<String>,
    pub taken_at: Option<Stamp>,
    pub booked_at: Option<Stamp>,
    /// Filled only where a caller asks for them (`status backfill --json`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offers: Option<Vec<Offer>>,
}

/// One offer of a slot. `phone_number` is the stored E.164 number: the caller masks it.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct Offer {
    pub patient_id: String,
    pub phone_number: String,
    pub wave: i64,
    pub state: OfferState,
    pub sent_at: Stamp,
    pub answered_at: Option<Stamp>,
}

/// An offer counts as sent unless its text never left (`dispatch::unsent`'s `not-sent`).
const SENT: &str = "coalesce(l.status, '') <> 'not-sent'";

fn slots_sql(where_: &str) -> String {
    format!(
        "SELECT s.id, s.local_date, s.starts_at, s.site, s.provider, s.visit_type,
                s.duration_minutes, a.appointment_id, s.state, s.closed_reason, s.opened_at,
                s.closed_at, s.waves,
                (SELECT count(*) FROM offers o LEFT JOIN appointment_logs l ON l.id = o.log_id
                 WHERE o.slot_id = s.id AND {SENT}),
                (SELECT count(*) FROM offers o LEFT JOIN appointment_logs l ON l.id = o.log_id
                 WHERE o.slot_id = s.id AND o.state = 'open' AND {SENT}),
                (SELECT count(*) FROM offers o WHERE o.slot_id = s.id AND o.state = 'declined'),
                (SELECT count(*) FROM offers o WHERE o.slot_id = s.id AND o.state = 'lost'),
                s.taker_patient_id, s.taker_moves_from, s.taken_at, s.booked_at
         FROM slots s JOIN appointments a ON a.id = s.appointment_id
         WHERE {where_}
         ORDER BY s.starts_at, s.id"
    )
}

fn slot_of(r: &rusqlite::Row<'_>) -> rusqlite::Result<Slot> {
    Ok(Slot {
        id: r.get(0)?,
        local_date: r.get(1)?,
        starts_at: r.get(2)?,
        site: r.get(3)?,
        provider: r.get(4)?,
        visit_type: r.get(5)?,
        duration_minutes: r.get(6)?,
        freed_by: r.get(7)?,
        state: r.get(8)?,
        closed_reason: r.get(9)?,
        opened_at: r.get(10)?,
        closed_at: r.get(11)?,
        waves: r.get(12)?,
        offers_sent: r.get(13)?,
        offers_open: r.get(14)?,
        offers_declined: r.get(15)?,
        offers_lost: r.get(16)?,
        taker_patient_id: r.get(17)?,
        taker_moves_from: r.get(18)?,
        taken_at: r.get(19)?,
        booked_at: r.get(20)?,
        offers: None,
    })
}

pub(crate) fn filtered_sql() -> String {
    slots_sql(
        "(:date IS NULL OR s.local_date = :date) AND (:site IS NULL OR s.site = :site)
           AND (:state IS NULL OR s.state = :state)",
    ) + " LIMIT coalesce(:limit, -1)"
}

/// The slots the filter names, soonest first.
pub fn slots(conn: &Connection, f: &Filter) -> Result<Vec<Slot>> {
    let mut stmt = conn.prepare(&filtered_sql())?;
    let rows = stmt.query_map(
        named_params! {":date": f.date, ":site": f.site, ":state": f.state, ":limit": f.limit},
        slot_of,
    )?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(crate) const OFFERS_SQL: &str =
    "SELECT o.patient_id, o.phone_number, o.wave, o.state, o.sent_at, o.answered_at
     FROM offers o LEFT JOIN appointment_logs l ON l.id = o.log_id
     WHERE o.slot_id = :slot AND coalesce(l.status, '') <> 'not-sent'
     ORDER BY o.sent_at, o.id";

/// The offers of one slot that went out, in the order they were sent.
pub fn offers_of(conn: &Connection, slot_id: i64) -> Result<Vec<Offer>> {
    let mut stmt = conn.prepare_cached(OFFERS_SQL)?;
    let rows = stmt.query_map(named_params! {":slot": slot_id}, |r| {
        Ok(Offer {
            patient_id: r.get(0)?,
            phone_number: r.get(1)?,
            wave: r.get(2)?,
            state: r.get(3)?,
            sent_at: r.get(4)?,
            answered_at: r.get(5)?,
        })
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// The slots freed by one appointment (`appointments.id`), oldest first: `history` tells them.
pub fn slots_freed_by(conn: &Connection, appointment: i64) -> Result<Vec<Slot>> {
    let mut stmt = conn.prepare(&slots_sql("s.appointment_id = :appointment"))?;
    let rows = stmt.query_map(named_params! {":appointment": appointment}, slot_of)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(crate) fn taken_unbooked_sql() -> String {
    slots_sql("s.state = 'taken' AND s.starts_at > :now AND s.booked_at IS NULL")
}

/// Slots a patient took whose booking the clinic has not made yet (no export listed the taker
/// at that time), and whose time is still to come: `--check` asks a person to book them.
pub fn taken_unbooked(conn: &Connection, now: Stamp) -> Result<Vec<Slot>> {
    let mut stmt = conn.prepare(&taken_unbooked_sql())?;
    let rows = stmt.query_map(named_params! {":now": now}, slot_of)?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

pub(crate) const TOUCHED_SQL: &str = "SELECT DISTINCT site, local_date FROM slots
     WHERE opened_at >= :since OR closed_at >= :since OR last_wave_at >= :since
        OR taken_at >= :since OR booked_at >= :since
     ORDER BY local_date, site";

/// The (site, local date) of every slot that opened, sent a wave, was taken, closed or booked
/// at or after `since`: the backfill files to write again.
pub fn dates_touched_since(conn: &Connection, since: Stamp) -> Result<Vec<(String, String)>> {
    let mut stmt = conn.prepare(TOUCHED_SQL)?;
    let rows = stmt.query_map(named_params! {":since": since}, |r| {
        Ok((r.get(0)?, r.get(1)?))
    })?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// One slot of a report's period, as the report's tally reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeriodSlot {
    pub state: SlotState,
    pub opened_at: Stamp,
    pub taken_at: Option<Stamp>,
    pub offers_sent: i64,
    /// Offers answered yes: the taker's, and those who said yes after them.
    pub said_yes: i64,
}

pub(crate) const PERIOD_SQL: &str = "SELECT s.state, s.opened_at, s.taken_at,
        (SELECT count(*) FROM offers o LEFT JOIN appointment_logs l ON l.id = o.log_id
         WHERE o.slot_id = s.id AND coalesce(l.status, '') <> 'not-sent'),
        (SELECT count(*) FROM offers o WHERE o.slot_id = s.id AND o.state IN ('taken', 'lost'))
     FROM slots s
     WHERE s.starts_at >= :from AND s.starts_at < :to AND (:site IS NULL OR s.site = :site)
     ORDER BY s.starts_at, s.id";

/// The slots whose time falls in `[from, to)` (UTC; at one site or all), as the report's
/// appointments are counted by their time.
pub fn period_slots(
    conn: &Connection,
    from: Stamp,
    to: Stamp,
    site: Option<&str>,
) -> Result<Vec<PeriodSlot>> {
    let mut stmt = conn.prepare(PERIOD_SQL)?;
    let rows = stmt.query_map(
        named_params! {":from": from, ":to": to, ":site": site},
        |r| {
            Ok(PeriodSlot {
                state: r.get(0)?,
                opened_at: r.get(1)?,
                taken_at: r.get(2)?,
                offers_sent: r.get(3)?,
                said_yes: r.get(4)?,
            })
        },
    )?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

#[cfg(test)]
pub(crate) mod test_support {
    //! Slots and offers written by hand, as the waitlist's engine leaves them.
    use rusqlite::{Connection, params};

    /// An import and appointment `A{id}` (patient `P{id}`) at `at`, cancel requested.
    pub fn appointment(conn: &Connection, id: i64, at: &str) {
        conn.execute(
            "INSERT OR IGNORE INTO imports (id, file_name, sha256, status, user_id, started_at)
             VALUES (1, 'f.csv', 'x', 'completed', 'u', '2026-11-24T23:00:00Z')",
            [],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO appointments (id, appointment_id, patient_id, phone_number,
                 phone_preference, text_preference, appt_date_time, channel, status,
                 attempt_count, import_id, created_at, updated_at)
             VALUES (?1, 'A' || ?1, 'P' || ?1, '+14165550101', 0, 1, ?2, 'sms',
                 'cancel_requested', 1, 1, '2026-11-24T23:00:00Z', '')",
            params![id, at],
        )
        .unwrap();
    }

    /// A slot freed by appointment `appointment`; returns its id.
    #[allow(clippy::too_many_arguments)]
    pub fn slot(
        conn: &Connection,
        appointment: i64,
        site: &str,
        starts_at: &str,
        local_date: &str,
        state: &str,
        opened_at: &str,
        taken: Option<(&str, Option<&str>, &str)>,
    ) -> i64 {
        let (taker, moves_from, taken_at) = match taken {
            Some((t, m, at)) => (Some(t), m, Some(at)),
            None => (None, None, None),
        };
        conn.execute(
            "INSERT INTO slots (appointment_id, site, starts_at, local_date, provider, visit_type,
                 duration_minutes, freed_by_patient, state, closed_reason, opened_at, closed_at,
                 waves, taker_patient_id, taker_moves_from, taken_at)
             VALUES (?1, ?2, ?3, ?4, 'Dr Lee', 'check-up', 30, 'P' || ?1, ?5,
                 CASE ?5 WHEN 'closed' THEN '15 offers, no taker' END, ?6,
                 CASE WHEN ?5 <> 'open' THEN coalesce(?9, ?6) END, 1, ?7, ?8, ?9)",
            params![
                appointment,
                site,
                starts_at,
                local_date,
                state,
                opened_at,
                taker,
                moves_from,
                taken_at
            ],
        )
        .unwrap();
        conn.last_insert_rowid()
    }

    /// An offer of `slot` to `patient`, its text an attempt row of kind 'offer' on the freed
    /// appointment with Twilio's `status`.
    #[allow(clippy::too_many_arguments)]
    pub fn offer(
        conn: &Connection,
        slot: i64,
        appointment: i64,
        patient: &str,
        phone: &str,
        wave: i64,
        state: &str,
        sent_at: &str,
        status: &str,
    ) {
        conn.execute(
            "INSERT INTO appointment_logs (appointment_id, attempt, channel, \"to\", \"from\",
                 status, sid, kind, created_at, updated_at)
             VALUES (?1, 0, 'sms', ?2, '+14165550000', ?3, 'SM' || lower(hex(randomblob(16))),
                 'offer', ?4, ?4)",
            params![appointment, phone, status, sent_at],
        )
        .unwrap();
        let log = conn.last_insert_rowid();
        conn.execute(
            "INSERT INTO offers (slot_id, log_id, patient_id, phone_number, language, wave, state,
                 sent_at, answered_at)
             VALUES (?1, ?2, ?3, ?4, 'en', ?5, ?6, ?7,
                 CASE WHEN ?6 IN ('taken', 'lost', 'declined') THEN ?7 END)",
            params![slot, log, patient, phone, wave, state, sent_at],
        )
        .unwrap();
    }
}

#[cfg(test)]
mod tests {
    use super::test_support::*;
    use super::*;
    use crate::clock::stored_at;
    use crate::db::query_plan as plan;

    fn a_day() -> Connection {
        let conn = crate::db::open_memory();
        appointment(&conn, 1, "2026-11-25T14:30:00Z");
        appointment(&conn, 2, "2026-11-25T19:00:00Z");
        appointment(&conn, 3, "2026-11-26T15:00:00Z");
        let taken = slot(
            &conn,
            1,
            "bloor",
            "2026-11-25T14:30:00Z",
            "2026-11-25",
            "taken",
            "2026-11-24T19:00:00Z",
            Some(("P77", Some("A2044"), "2026-11-24T19:12:00Z")),
        );
        offer(
            &conn,
            taken,
            1,
            "P77",
            "+14165550177",
            1,
            "taken",
            "2026-11-24T19:00:00Z",
            "delivered",
        );
        offer(
            &conn,
            taken,
            1,
            "P78",
            "+14165550178",
            1,
            "lost",
            "2026-11-24T19:00:00Z",
            "delivered",
        );
        offer(
            &conn,
            taken,
            1,
            "P79",
            "+14165550179",
            1,
            "declined",
            "2026-11-24T19:00:00Z",
            "delivered",
        );
        offer(
            &conn,
            taken,
            1,
            "P80",
            "+14165550180",
            2,
            "closed",
            "2026-11-24T19:10:00Z",
            "delivered",
        );
        // A text that never left is no offer.
        offer(
            &conn,
            taken,
            1,
            "P81",
            "+14165550181",
            2,
            "closed",
            "2026-11-24T19:10:00Z",
            "not-sent",
        );
        let open = slot(
            &conn,
            2,
            "",
            "2026-11-25T19:00:00Z",
            "2026-11-25",
            "open",
            "2026-11-24T20:00:00Z",
            None,
        );
        offer(
            &conn,
            open,
            2,
            "P90",
            "+14165550190",
            1,
            "open",
            "2026-11-24T20:00:00Z",
            "sent",
        );
        slot(
            &conn,
            3,
            "bloor",
            "2026-11-26T15:00:00Z",
            "2026-11-26",
            "closed",
            "2026-11-25T09:00:00Z",
            None,
        );
        conn
    }

    #[test]
    fn slots_count_their_offers_by_state_and_filter_by_date_site_and_state() {
        let conn = a_day();
        let all = slots(&conn, &Filter::default()).unwrap();
        let freed: Vec<&str> = all.iter().map(|s| s.freed_by.as_str()).collect();
        assert_eq!(freed, ["A1", "A2", "A3"]);
        let t = &all[0];
        assert_eq!(
            (
                t.offers_sent,
                t.offers_open,
                t.offers_declined,
                t.offers_lost
            ),
            (4, 0, 1, 1)
        );
        assert_eq!(t.taker_patient_id.as_deref(), Some("P77"));
        assert_eq!(t.taker_moves_from.as_deref(), Some("A2044"));
        assert_eq!((all[1].offers_sent, all[1].offers_open), (1, 1));
        assert_eq!(all[2].closed_reason.as_deref(), Some("15 offers, no taker"));

        let day = |date: &str, site: Option<&str>, state: Option<&str>| -> Vec<String> {
            slots(
                &conn,
                &Filter {
                    date: Some(date.to_string()),
                    site: site.map(String::from),
                    state: state.and_then(SlotState::parse),
                    limit: None,
                },
            )
            .unwrap()
            .into_iter()
            .map(|s| s.freed_by)
            .collect()
        };
        assert_eq!(day("2026-11-25", None, None), ["A1", "A2"]);
        assert_eq!(day("2026-11-25", Some("bloor"), None), ["A1"]);
        assert_eq!(day("2026-11-25", None, Some("open")), ["A2"]);
        assert!(day("2026-11-27", None, None).is_empty());
    }

    #[test]
    fn a_slots_offers_are_those_sent_in_order() {
        let conn = a_day();
        let offers = offers_of(&conn, 1).unwrap();
        let who: Vec<(&str, i64, &str)> = offers
            .iter()
            .map(|o| (o.patient_id.as_str(), o.wave, o.state.as_str()))
            .collect();
        assert_eq!(
            who,
            [
                ("P77", 1, "taken"),
                ("P78", 1, "lost"),
                ("P79", 1, "declined"),
                ("P80", 2, "closed")
            ]
        );
        assert_eq!(
            offers[0].answered_at,
            Some(crate::clock::stored_at("2026-11-24T19:00:00Z"))
        );
    }

    #[test]
    fn a_taken_slot_waits_for_its_booking_until_booked_or_past() {
        let conn = a_day();
        let waiting = |now: Stamp| -> Vec<String> {
            taken_unbooked(&conn, now)
                .unwrap()
                .into_iter()
                .map(|s| s.freed_by)
                .collect()
        };
        assert_eq!(waiting(stored_at("2026-11-25T09:00:00Z")), ["A1"]);
        // Its time passed.
        assert!(waiting(stored_at("2026-11-25T14:30:00Z")).is_empty());
        conn.execute(
            "UPDATE slots SET booked_at = '2026-11-25T08:00:00Z' WHERE id = 1",
            [],
        )
        .unwrap();
        assert!(waiting(stored_at("2026-11-25T09:00:00Z")).is_empty());
    }

    #[test]
    fn touched_dates_are_those_of_slots_changed_since() {
        let conn = a_day();
        assert_eq!(
            dates_touched_since(&conn, stored_at("2026-11-24T19:30:00Z")).unwrap(),
            [
                (String::new(), "2026-11-25".to_string()),
                ("bloor".to_string(), "2026-11-26".to_string())
            ]
        );
        assert!(
            dates_touched_since(&conn, stored_at("2026-11-26T00:00:00Z"))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn the_period_counts_offers_and_yes_answers_per_slot() {
        let conn = a_day();
        let p = period_slots(
            &conn,
            stored_at("2026-11-25T05:00:00Z"),
            stored_at("2026-11-26T05:00:00Z"),
            None,
        )
        .unwrap();
        let got: Vec<(&str, i64, i64)> = p
            .iter()
            .map(|s| (s.state.as_str(), s.offers_sent, s.said_yes))
            .collect();
        assert_eq!(got, [("taken", 4, 2), ("open", 1, 0)]);
        let bloor = period_slots(
            &conn,
            stored_at("2026-11-25T05:00:00Z"),
            stored_at("2026-11-27T05:00:00Z"),
            Some("bloor"),
        )
        .unwrap();
        assert_eq!(bloor.len(), 2);
    }

    #[test]
    fn the_queries_use_their_indexes() {
        let conn = crate::db::open_memory();
        assert!(plan(&conn, &taken_unbooked_sql()).contains("slots_state"));
        assert!(plan(&conn, OFFERS_SQL).contains("offers_slot"));
        let p = plan(&conn, &filtered_sql());
        assert!(p.contains("offers_slot"), "{p}");
    }
}
