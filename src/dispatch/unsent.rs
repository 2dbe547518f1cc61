//! Contacts that did not go out: an attempt that never reached Twilio is undone (it did not
//! happen, and the appointment goes back to where it was); a contact that could not even be
//! built is recorded as failed with the reason. `attempt.rs` and `recover.rs` both come here.

use anyhow::Result;
use rusqlite::Connection;

use super::claim;
use super::context::RunCtx;
use super::select::Job;
use crate::clock::Stamp;
use crate::db::attempts::{self, NewAttempt};
use crate::db::{appointments, offers};
use crate::domain::contact_kind::ContactKind;
use crate::domain::outcome::Ending;
use crate::domain::schedule;
use crate::domain::state::{self, Event};
use crate::news::{self, OutcomeRules};

/// Every attempt of a contact that never went out (`log_ids`), undone in one transaction.
pub(super) fn undo_all(
    conn: &mut Connection,
    rules: &OutcomeRules,
    log_ids: &[i64],
    code: Option<i64>,
    why: &str,
    now: Stamp,
) -> Result<()> {
    let tx = crate::db::begin(conn)?;
    for &log_id in log_ids {
        undo(&tx, rules, log_id, code, why, now)?;
    }
    tx.commit()?;
    Ok(())
}

/// An attempt that never reached Twilio did not happen: it is marked `not-sent` with the reason
/// and, if it is still its appointment's latest, the appointment goes back to where it was (its
/// touch recounted from the attempts that did happen).
pub fn undo(
    conn: &Connection,
    rules: &OutcomeRules,
    log_id: i64,
    code: Option<i64>,
    why: &str,
    now: Stamp,
) -> Result<()> {
    attempts::set_unsent(conn, log_id, "not-sent", code, Some(why), now)?;
    let Some(attempt) = attempts::by_id(conn, log_id)? else {
        return Ok(());
    };
    // An offer that never went out was not made: its patient may be offered the slot again.
    if attempt.kind == ContactKind::Offer {
        offers::forget(conn, log_id)?;
    }
    // A follow-up that never went out moves nothing: it is due again at the next run.
    if let Some(appt) = appointments::get(conn, attempt.appointment)?
        && attempt.kind == ContactKind::Reminder
        && appt.attempt_count == attempt.attempt
    {
        let left = appointments::touch_attempts_without(conn, appt.id, log_id)?;
        let resume = schedule::resume_state(left, rules.max_attempts, appt.reached_before);
        appointments::transitions::apply(conn, &appt, Event::NotSent { resume }, now)?;
    }
    Ok(())
}

/// A contact that could not even be built (a message over Twilio's limits, a placeholder its
/// export lacks): an attempt per appointment recorded as failed with the reason; sending it
/// again would fail the same way. How many appointments it was for.
pub(super) fn record_unbuildable(
    conn: &mut Connection,
    ctx: &RunCtx<'_>,
    job: &Job,
    why: &str,
) -> Result<usize> {
    let now = Stamp::from(ctx.now());
    let tx = crate::db::begin(conn)?;
    let mut n = 0;
    for selected in &job.group {
        let Some(appt) = appointments::get(&tx, selected.id)? else {
            continue;
        };
        if job.kind == ContactKind::Reminder
            && !state::changes(appt.state, Event::AttemptStarted { touch: job.touch })
        {
            continue;
        }
        let (attempt, touch) = claim::number(&tx, &appt, job, now)?;
        let log_id = attempts::insert(
            &tx,
            &NewAttempt {
                appointment: appt.id,
                attempt,
                channel: appt.channel,
                to: &appt.phone_number,
                from: ctx.cfg.site(&appt.site).phone_number,
                run_id: Some(ctx.run_id),
                touch,
                segments: None,
                sent: None,
                kind: job.kind,
                now,
            },
        )?;
        attempts::set_unsent(&tx, log_id, "failed", None, Some(why), now)?;
        if let Some(a) = attempts::by_id(&tx, log_id)? {
            news::end_attempt(&tx, ctx.rules, &a, Ending::Permanent, now)?;
        }
        n += 1;
        log::warn!("appointment {} not sent: {why}", appt.appointment_id);
    }
    tx.commit()?;
    Ok(n)
}
