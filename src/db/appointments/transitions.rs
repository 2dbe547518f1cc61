//! The one place an appointment's state is written. Every change — an attempt starting or not
//! having happened, a callback's outcome, a reply, an opt-out or opt-in, expiry, a move, a
//! cancel, a withdrawal by hand, a reinstatement — is an [`Event`] put through the transition
//! table ([`state::next`]) here, together with the columns that go with it. A forbidden event
//! is an error and writes nothing; an event that leaves the state as it is writes nothing.

use crate::clock::Stamp;
use anyhow::{Context, Result};
use rusqlite::{Connection, OptionalExtension, named_params};

use super::Stored;
use crate::domain::state::{self, Event, State, Step};

/// A state change that was written: (from, to).
pub type Moved = Option<(State, State)>;

/// Applies `event` to the appointment `appt` (as read by the caller). When the stored state is
/// no longer `appt.state` (the listener took a reply in between), the event is applied to the
/// state as it is now, so news is never written over news.
pub fn apply(conn: &Connection, appt: &Stored, event: Event<'_>, now: Stamp) -> Result<Moved> {
    Ok(write(conn, appt.id, appt.state, event, now)?.map(|(from, to, _)| (from, to)))
}

/// [`apply`] for an appointment known by its row id; nothing when it does not exist.
pub fn apply_to(conn: &Connection, id: i64, event: Event<'_>, now: Stamp) -> Result<Moved> {
    match current(conn, id)? {
        Some(from) => Ok(write(conn, id, from, event, now)?.map(|(from, to, _)| (from, to))),
        None => Ok(None),
    }
}

/// Counts the attempt of touch `touch` that is about to go out and marks the appointment in
/// flight; the attempt's number (across all touches). An appointment that is not due a contact
/// is an error: callers check before they claim it.
pub fn start_attempt(conn: &Connection, appt: &Stored, touch: u32, now: Stamp) -> Result<i64> {
    match write(
        conn,
        appt.id,
        appt.state,
        Event::AttemptStarted { touch },
        now,
    )? {
        Some((_, _, attempt)) => Ok(attempt),
        None => anyhow::bail!("appointment {} no longer exists", appt.id),
    }
}

/// How many times a changing state is read again before giving up: each retry means another
/// writer moved the appointment between two statements of this one.
const TRIES: usize = 5;

/// Runs the table from `from` and writes the change, compare-and-set on the state; the
/// appointment's attempt number after it, with (from, to).
fn write(
    conn: &Connection,
    id: i64,
    mut from: State,
    event: Event<'_>,
    now: Stamp,
) -> Result<Option<(State, State, i64)>> {
    for _ in 0..TRIES {
        let to = match state::next(from, event).with_context(|| format!("appointment {id}"))? {
            Step::To(to) => to,
            Step::Unchanged => return Ok(None),
        };
        if let Some(attempt) = update(conn, id, from, to, event, now)? {
            return Ok(Some((from, to, attempt)));
        }
        match current(conn, id)? {
            Some(now_in) => from = now_in,
            None => return Ok(None),
        }
    }
    anyhow::bail!("appointment {id} kept changing while its state was being written")
}

fn current(conn: &Connection, id: i64) -> Result<Option<State>> {
    let word: Option<String> = conn
        .prepare_cached("SELECT status FROM appointments WHERE id = ?1 AND deleted_at IS NULL")?
        .query_row([id], |r| r.get(0))
        .optional()?;
    word.map(|w| State::parse(&w).with_context(|| format!("appointment {id} has state {w:?}")))
        .transpose()
}

/// The columns each kind of event sets besides the state and the stamps.
fn extra_columns(event: Event<'_>) -> &'static str {
    match event {
        Event::AttemptStarted { .. } => {
            ", attempt_count = attempt_count + 1,
             touch_attempts = CASE WHEN touch_days IS :touch THEN touch_attempts + 1 ELSE 1 END,
             touch_days = :touch, last_attempt_at = :now"
        }
        // The touch is recounted from the attempts that did happen (a second statement).
        Event::NotSent { .. } => {
            ", attempt_count = max(attempt_count - 1, 0),
             touch_days = (SELECT l.touch_days FROM appointment_logs l
                           WHERE l.appointment_id = :id AND l.status != 'not-sent'
                           ORDER BY l.attempt DESC, l.id DESC LIMIT 1)"
        }
        Event::Withdrawn { .. } => ", withdrawn_reason = :reason, withdrawn_at = :now",
        Event::NoShow => ", no_show_at = :now",
        // Back in the schedule as if new: the touches it had already had still count.
        Event::Reinstated { .. } => {
            ", withdrawn_reason = NULL, withdrawn_at = NULL, touch_attempts = 0,
             seen_import = :import"
        }
        _ => "",
    }
}

/// The change itself, only if the state is still `from`; the attempt number after it.
fn update(
    conn: &Connection,
    id: i64,
    from: State,
    to: State,
    event: Event<'_>,
    now: Stamp,
) -> Result<Option<i64>> {
    // `success_at` is stamped on reaching and again on confirming; a patient who confirms or asks
    // to cancel was reached, even if no status said so first.
    let sql = format!(
        "UPDATE appointments SET status = :to, updated_at = :now,
             success_at = CASE WHEN :to IN ('reached', 'confirmed') THEN :now
                               WHEN :to = 'cancel_requested' THEN coalesce(success_at, :now)
                               ELSE success_at END,
             reached_at = CASE WHEN :to IN ('reached', 'confirmed', 'cancel_requested')
                               THEN coalesce(reached_at, :now) ELSE reached_at END,
             confirmed_at = CASE WHEN :to = 'confirmed' THEN :now ELSE confirmed_at END,
             cancel_requested_at = CASE WHEN :to = 'cancel_requested' THEN :now
                                        ELSE cancel_requested_at END
             {}
         WHERE id = :id AND status = :from AND deleted_at IS NULL
         RETURNING attempt_count",
        extra_columns(event)
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut params: Vec<(&str, &dyn rusqlite::ToSql)> =
        vec![(":to", &to), (":from", &from), (":now", &now), (":id", &id)];
    let (touch, reason, import);
    match event {
        Event::AttemptStarted { touch: t } => {
            touch = t;
            params.push((":touch", &touch));
        }
        Event::Withdrawn { reason: r } => {
            reason = r;
            params.push((":reason", &reason));
        }
        Event::Reinstated { import: i } => {
            import = i;
            params.push((":import", &import));
        }
        _ => {}
    }
    let attempt: Option<i64> = stmt.query_row(&params[..], |r| r.get(0)).optional()?;
    if attempt.is_some() && matches!(event, Event::NotSent { .. }) {
        conn.prepare_cached(
            "UPDATE appointments SET touch_attempts =
                 (SELECT count(*) FROM appointment_logs l
                  WHERE l.appointment_id = :id AND l.status != 'not-sent'
                    AND l.touch_days IS appointments.touch_days)
             WHERE id = :id",
        )?
        .execute(named_params! {":id": id})?;
    }
    Ok(attempt)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::stored_at;
    use crate::domain::state::{ALL, Forbidden};

    const NOW: &str = "2026-11-25T00:00:00Z";
    const LATER: &str = "2026-11-25T01:00:00Z";

    /// One appointment in `state`, with one real attempt of touch 1 behind it.
    fn appointment_in(state: State) -> Connection {
        let conn = crate::db::open_memory();
        conn.execute_batch(&format!(
            "INSERT INTO imports (id, file_name, sha256, status, user_id, started_at)
                 VALUES (1, 'f.csv', 'x', 'completed', 'u', '{NOW}');
             INSERT INTO appointments (id, appointment_id, patient_id, phone_number,
                 phone_preference, text_preference, appt_date_time, channel, status,
                 attempt_count, touch_days, touch_attempts, withdrawn_reason, import_id,
                 created_at, updated_at)
                 VALUES (1, 'A1', 'P1', '+14165550101', 1, 0, '2026-11-25T15:00:00Z', 'call',
                         '{}', 1, 1, 1, {}, 1, '{NOW}', '{NOW}');
             INSERT INTO appointment_logs (id, appointment_id, attempt, channel, sid, \"to\",
                 \"from\", status, touch_days, created_at, updated_at)
                 VALUES (1, 1, 1, 'call', 'SID1', '+14165550101', '+14165550000', 'no-answer',
                         1, '{NOW}', '{NOW}');",
            state.as_str(),
            if state == State::Withdrawn {
                "'moved'"
            } else {
                "NULL"
            },
        ))
        .unwrap();
        conn
    }

    fn row(conn: &Connection) -> (State, String, i64) {
        conn.query_row(
            "SELECT status, updated_at, attempt_count FROM appointments WHERE id = 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap()
    }

    /// Every kind of event, with payloads the table allows and ones it never does.
    fn events() -> Vec<Event<'static>> {
        let mut all = vec![
            Event::AttemptStarted { touch: 1 },
            Event::Reached,
            Event::Confirmed,
            Event::CancelRequested,
            Event::OptedOut,
            Event::Expired,
            Event::Withdrawn {
                reason: "cancelled",
            },
            Event::Reinstated { import: 1 },
            Event::NoShow,
        ];
        for then in ALL {
            all.push(Event::AttemptFailed { then });
            all.push(Event::NotSent { resume: then });
            all.push(Event::OptedIn { resume: then });
        }
        all
    }

    /// The public path reaches every move the table allows, writes nothing where the table
    /// leaves the state as it is, and refuses (writing nothing) what it forbids.
    #[test]
    fn every_state_and_event_through_the_public_path() {
        let mut moves = 0;
        let mut forbidden = 0;
        for from in ALL {
            for event in events() {
                let conn = appointment_in(from);
                let before = row(&conn);
                let got = apply_to(&conn, 1, event, stored_at(LATER));
                let after = row(&conn);
                match state::next(from, event) {
                    Ok(Step::To(to)) => {
                        assert_eq!(got.unwrap(), Some((from, to)), "{from:?} + {event:?}");
                        assert_eq!((after.0, after.1.as_str()), (to, LATER));
                        moves += 1;
                    }
                    Ok(Step::Unchanged) => {
                        assert_eq!(got.unwrap(), None, "{from:?} + {event:?}");
                        assert_eq!(after, before, "{from:?} + {event:?} wrote something");
                    }
                    Err(f) => {
                        let err = got.expect_err("a forbidden event must be an error");
                        assert_eq!(err.downcast_ref::<Forbidden>(), Some(&f));
                        assert_eq!(after, before, "{from:?} + {event:?} wrote something");
                        forbidden += 1;
                    }
                }
            }
        }
        // The table's size: 53 moves; forbidden are the 231 impossible payloads (seven states a
        // failed or resumed attempt never leads to, for three events, in eleven states),
        // attempts in the eight states not due one, and reinstating the ten not withdrawn.
        assert_eq!((moves, forbidden), (53, 249));
    }

    #[test]
    fn each_change_writes_the_columns_that_go_with_it() {
        let conn = appointment_in(State::RetryWait);
        let appt = super::super::get(&conn, 1).unwrap().unwrap();
        assert_eq!(start_attempt(&conn, &appt, 1, stored_at(LATER)).unwrap(), 2);
        let cols = |conn: &Connection| -> (i64, i64, Option<String>) {
            conn.query_row(
                "SELECT attempt_count, touch_attempts, last_attempt_at FROM appointments",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap()
        };
        assert_eq!(cols(&conn), (2, 2, Some(LATER.into())));
        // The second attempt never reached Twilio: it is taken back and the touch recounted.
        conn.execute("INSERT INTO appointment_logs (appointment_id, attempt, channel, \"to\", \"from\", status, touch_days, created_at, updated_at) VALUES (1, 2, 'call', '+14165550101', '+14165550000', 'not-sent', 1, '', '')", []).unwrap();
        let appt = super::super::get(&conn, 1).unwrap().unwrap();
        let resume = State::RetryWait;
        assert_eq!(
            apply(&conn, &appt, Event::NotSent { resume }, stored_at(LATER)).unwrap(),
            Some((State::InFlight, State::RetryWait))
        );
        assert_eq!(cols(&conn).0, 1);
        assert_eq!(cols(&conn).1, 1);

        let reason = |conn: &Connection| -> Option<String> {
            conn.query_row("SELECT withdrawn_reason FROM appointments", [], |r| {
                r.get(0)
            })
            .unwrap()
        };
        apply_to(
            &conn,
            1,
            Event::Withdrawn { reason: "moved" },
            stored_at(LATER),
        )
        .unwrap();
        assert_eq!(reason(&conn).as_deref(), Some("moved"));
        apply_to(&conn, 1, Event::Reinstated { import: 1 }, stored_at(LATER)).unwrap();
        assert_eq!(reason(&conn), None);
        assert_eq!(row(&conn).0, State::Pending);
        assert_eq!(
            cols(&conn).1,
            0,
            "a reinstated appointment starts its touch again"
        );
    }

    /// A caller holding an old copy (selection read it before the listener took a reply)
    /// applies its event to the state as it is now: expiry never overwrites a confirmation.
    #[test]
    fn news_is_never_written_over_news() {
        let conn = appointment_in(State::RetryWait);
        let stale = super::super::get(&conn, 1).unwrap().unwrap();
        apply_to(&conn, 1, Event::Confirmed, stored_at(NOW)).unwrap();
        assert_eq!(
            apply(&conn, &stale, Event::Expired, stored_at(LATER)).unwrap(),
            None
        );
        assert_eq!(row(&conn).0, State::Confirmed);
        // ... and a stale copy of an appointment that can still move moves from where it is.
        let conn = appointment_in(State::RetryWait);
        let stale = super::super::get(&conn, 1).unwrap().unwrap();
        apply_to(&conn, 1, Event::Reached, stored_at(NOW)).unwrap();
        assert_eq!(
            apply(&conn, &stale, Event::CancelRequested, stored_at(LATER)).unwrap(),
            Some((State::Reached, State::CancelRequested))
        );
    }
}
