//! One attempt, exactly once. It reads top-down:
//!
//! 1. **claim** — the attempt is written (status `dispatching`, no SID) and committed before the
//!    request leaves, after checking the appointment is still due and its number not opted out;
//! 2. **send** — the create request; "too many requests" is tried again after a pause; an answer
//!    that does not say what happened (none, a 5xx, a proxy's page, a garbled body) may hide a
//!    created call, so Twilio is asked what it has before anything is sent again;
//! 3. **settle** — Twilio's SID (accepted), its refusal (recorded, the appointment moved), or an
//!    undo when nothing went out. When even asking fails, the attempt stays `dispatching`.
//!
//! A run that dies between 1 and 3 leaves a `dispatching` row; `recover` settles it the same
//! way, with the same question to Twilio and the same `undo`.

use std::sync::atomic::Ordering;
use std::time::Duration;

use anyhow::Result;
use chrono::{DateTime, Utc};
use rusqlite::Connection;

use super::context::RunCtx;
use super::message::Request;
use super::pacer::Pacer;
use crate::clock::db_time;
use crate::db::attempts::{self, NewAttempt};
use crate::db::{appointments, opt_outs};
use crate::domain::channel::Channel;
use crate::domain::outcome::{ApiAction, Ending, api_error_action};
use crate::domain::state::{self, Event};
use crate::domain::twilio_errors;
use crate::mask;
use crate::news::{self, Rules};
use crate::twilio::client::{ApiError, Client, Resource};

/// How a single attempt went, for the run's tally.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sent {
    /// Twilio accepted the request.
    Dispatched,
    /// Twilio refused it for this patient, or it could not be built; recorded on the attempt.
    Refused,
    /// Twilio kept asking us to slow down: recorded as a failed attempt.
    Throttled,
    /// Nothing was sent (the appointment changed meanwhile, the run stopped).
    Skipped,
    /// Twilio never answered clearly and has nothing: the attempt was undone, the patient is
    /// due again at the next run.
    Undone,
    /// Twilio could not even be asked: the attempt stays `dispatching` for the next run.
    Unresolved,
}

/// Tries at most this many times when Twilio asks us to slow down or does not answer clearly.
pub const MAX_TRIES: u32 = 4;

/// The pause before try `n + 1`: doubling from the run's base (500 ms in a real run).
pub fn backoff(base: Duration, tries_so_far: u32) -> Duration {
    base * 2u32.saturating_pow(tries_so_far.saturating_sub(1))
}

/// Twilio stamps `date_created` to the second with its own clock: look this far before the
/// attempt began so a slightly different clock cannot hide a call we made.
pub const CLOCK_SLACK_SECONDS: i64 = 60;

/// An attempt that is recorded and about to go out.
struct Claim {
    log_id: i64,
    appointment_id: String,
    attempt: i64,
    to: String,
    began: DateTime<Utc>,
}

/// Sends one prepared request for appointment `appt_id` (`req` already rendered).
pub fn run(
    conn: &mut Connection,
    ctx: &RunCtx<'_>,
    pacer: &Pacer,
    appt_id: i64,
    req: &Request,
) -> Result<Sent> {
    pacer.wait_turn();
    if ctx.stop.load(Ordering::SeqCst) || (req.channel == Channel::Sms && ctx.texting_stopped()) {
        return Ok(Sent::Skipped);
    }
    let Some(claim) = claim(conn, ctx, appt_id, req)? else {
        return Ok(Sent::Skipped);
    };
    let outcome = send(conn, ctx, pacer, &claim, req);
    if let Outcome::Accepted(_) = outcome {
        ctx.note_contacted();
    }
    settle(conn, ctx, &claim, req.channel, outcome)
}

/// Step 1: records the attempt, or `None` when the appointment is no longer due as selected.
fn claim(
    conn: &mut Connection,
    ctx: &RunCtx<'_>,
    appt_id: i64,
    req: &Request,
) -> Result<Option<Claim>> {
    let began = ctx.now();
    let now = db_time(began);
    let tx = crate::db::begin(conn)?;
    let Some(appt) = appointments::get(&tx, appt_id)? else {
        return Ok(None);
    };
    // The listener may have changed things since selection (an opt-out by text, say).
    if state::next(appt.state, Event::AttemptStarted).is_none() || appt.channel != req.channel {
        return Ok(None);
    }
    if opt_outs::contains(&tx, &appt.phone_number)? {
        news::move_appointment(&tx, &appt, Event::OptedOut, &now)?;
        tx.commit()?;
        return Ok(None);
    }
    let attempt = appointments::start_attempt(&tx, appt.id, &now)?;
    let log_id = attempts::insert(
        &tx,
        &NewAttempt {
            appointment: appt.id,
            attempt,
            channel: req.channel,
            to: &appt.phone_number,
            from: req.sender(),
            run_id: Some(ctx.run_id),
            now: &now,
        },
    )?;
    tx.commit()?;
    Ok(Some(Claim {
        log_id,
        appointment_id: appt.appointment_id,
        attempt,
        to: appt.phone_number,
        began,
    }))
}

/// What step 2 learned.
enum Outcome {
    Accepted(Box<Resource>),
    Refused {
        http_status: u16,
        code: Option<i64>,
        message: String,
        action: ApiAction,
    },
    /// Twilio has no call or message from this attempt: nothing went out.
    NotSent(String),
    /// Whether anything went out cannot be known now.
    Unknown(String),
}

/// Step 2: the create request, tried again only when that cannot make a second call.
fn send(
    conn: &Connection,
    ctx: &RunCtx<'_>,
    pacer: &Pacer,
    claim: &Claim,
    req: &Request,
) -> Outcome {
    let params: Vec<(&str, &str)> = req.params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut tries = 0;
    loop {
        tries += 1;
        match ctx.client.create(req.channel, &params) {
            Ok(resource) => return Outcome::Accepted(Box::new(resource)),
            Err(ApiError::Refused {
                http_status,
                code,
                message,
            }) => match api_error_action(http_status, code) {
                ApiAction::Backoff if tries < MAX_TRIES => {
                    log::warn!("Twilio answered HTTP {http_status}; trying again after a pause");
                    std::thread::sleep(backoff(ctx.backoff, tries));
                    pacer.wait_turn();
                }
                action => {
                    return Outcome::Refused {
                        http_status,
                        code,
                        message,
                        action,
                    };
                }
            },
            Err(ApiError::Unclear(why)) => {
                std::thread::sleep(backoff(ctx.backoff, tries));
                let since = claim.began - chrono::Duration::seconds(CLOCK_SLACK_SECONDS);
                match find_created(conn, ctx.client, req.channel, &claim.to, since) {
                    Ok(Some(found)) => return Outcome::Accepted(Box::new(found)),
                    Ok(None) if tries < MAX_TRIES => {
                        log::warn!(
                            "{why}; Twilio has no {} to {} from this attempt: sending again",
                            req.channel.as_str(),
                            mask::phone(&claim.to)
                        );
                        pacer.wait_turn();
                    }
                    Ok(None) => return Outcome::NotSent(why),
                    Err(e) => return Outcome::Unknown(format!("{why}; asking Twilio: {e}")),
                }
            }
        }
    }
}

/// Step 3: what the run learned, into the store.
fn settle(
    conn: &mut Connection,
    ctx: &RunCtx<'_>,
    claim: &Claim,
    channel: Channel,
    outcome: Outcome,
) -> Result<Sent> {
    let now = db_time(ctx.now());
    let who = mask::phone(&claim.to);
    match outcome {
        Outcome::Accepted(resource) => {
            let tx = crate::db::begin(conn)?;
            attempts::set_sid(&tx, claim.log_id, &resource.sid, &resource.status, &now)?;
            tx.commit()?;
            log::info!(
                "{} to {who} accepted as {} (appointment {}, attempt {})",
                channel.as_str(),
                resource.sid,
                claim.appointment_id,
                claim.attempt
            );
            Ok(Sent::Dispatched)
        }
        Outcome::Refused {
            code,
            message,
            action: ApiAction::StopRun,
            http_status,
        } => {
            let why = format!(
                "Twilio refused the account's request (error {}): {message} — check TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_PHONE_NUMBER",
                code.unwrap_or(i64::from(http_status))
            );
            ctx.stop_with(&why);
            // Nothing went out: the attempt did not happen.
            let tx = crate::db::begin(conn)?;
            undo(&tx, ctx.rules, claim.log_id, code, &why, &now)?;
            tx.commit()?;
            Ok(Sent::Skipped)
        }
        Outcome::Refused {
            code,
            action: ApiAction::StopTexting,
            http_status,
            ..
        } => {
            let why = format!(
                "Twilio refused to send texts from this number ({}): US numbers must be registered for A2P 10DLC before they can text US patients; texting stopped for this run, calls go on — register the number (or use a messaging service) in the Twilio console",
                twilio_errors::describe(code.unwrap_or(i64::from(http_status)))
            );
            ctx.stop_texting(&why);
            let tx = crate::db::begin(conn)?;
            undo(&tx, ctx.rules, claim.log_id, code, &why, &now)?;
            tx.commit()?;
            Ok(Sent::Skipped)
        }
        Outcome::Refused {
            http_status,
            code,
            message,
            action,
        } => {
            let (ending, sent) = match action {
                ApiAction::Attempt(ending) => (ending, Sent::Refused),
                // Twilio kept asking us to slow down: this attempt failed, a later one may not.
                _ => (Ending::Retryable, Sent::Throttled),
            };
            log::warn!(
                "{} to {who} refused: Twilio error {}: {message}",
                channel.as_str(),
                code.unwrap_or(i64::from(http_status))
            );
            let tx = crate::db::begin(conn)?;
            attempts::set_unsent(&tx, claim.log_id, "failed", code, Some(&message), &now)?;
            if let Some(attempt) = attempts::by_id(&tx, claim.log_id)? {
                news::end_attempt(&tx, ctx.rules, &attempt, ending, &now)?;
            }
            tx.commit()?;
            Ok(sent)
        }
        Outcome::NotSent(why) => {
            log::warn!(
                "{} to {who} not sent: {why}; Twilio has none: due again at the next run",
                channel.as_str()
            );
            let tx = crate::db::begin(conn)?;
            undo(&tx, ctx.rules, claim.log_id, None, &why, &now)?;
            tx.commit()?;
            Ok(Sent::Undone)
        }
        Outcome::Unknown(why) => {
            log::warn!(
                "{} to {who}: {why}; the next run checks with Twilio before contacting again",
                channel.as_str()
            );
            Ok(Sent::Unresolved)
        }
    }
}

/// A call or message to `to` created since `since` that no attempt of ours has claimed yet.
pub fn find_created(
    conn: &Connection,
    client: &Client,
    channel: Channel,
    to: &str,
    since: DateTime<Utc>,
) -> Result<Option<Resource>> {
    let known = attempts::known_sids_to(conn, to)?;
    let mut found: Vec<Resource> = client
        .list_to(channel, to, since)?
        .into_iter()
        .filter(|r| !known.contains(&r.sid))
        .collect();
    // Newest first from Twilio; the oldest unclaimed one is the earliest unfinished attempt's.
    Ok(found.pop())
}

/// An attempt that never reached Twilio did not happen: it is marked `not-sent` with the reason
/// and, if it is still its appointment's latest, the appointment goes back to where it was.
pub fn undo(
    conn: &Connection,
    rules: Rules,
    log_id: i64,
    code: Option<i64>,
    why: &str,
    now: &str,
) -> Result<()> {
    attempts::set_unsent(conn, log_id, "not-sent", code, Some(why), now)?;
    let Some(attempt) = attempts::by_id(conn, log_id)? else {
        return Ok(());
    };
    if let Some(appt) = appointments::get(conn, attempt.appointment)?
        && appt.attempt_count == attempt.attempt
    {
        let resume = state::resume_state(attempt.attempt as u32 - 1, rules.max_attempts);
        if let Some(to) = state::next(appt.state, Event::NotSent { resume }) {
            appointments::forget_attempt(conn, appt.id, to, now)?;
        }
    }
    Ok(())
}

/// An attempt that could not even be built (a message over Twilio's limits): recorded as a
/// failed attempt with the reason; sending it again would fail the same way.
pub fn record_unbuildable(
    conn: &mut Connection,
    ctx: &RunCtx<'_>,
    appt_id: i64,
    why: &str,
) -> Result<Sent> {
    let now = db_time(ctx.now());
    let tx = crate::db::begin(conn)?;
    let Some(appt) = appointments::get(&tx, appt_id)? else {
        return Ok(Sent::Skipped);
    };
    let attempt = appointments::start_attempt(&tx, appt.id, &now)?;
    let log_id = attempts::insert(
        &tx,
        &NewAttempt {
            appointment: appt.id,
            attempt,
            channel: appt.channel,
            to: &appt.phone_number,
            from: ctx.from,
            run_id: Some(ctx.run_id),
            now: &now,
        },
    )?;
    attempts::set_unsent(&tx, log_id, "failed", None, Some(why), &now)?;
    if let Some(a) = attempts::by_id(&tx, log_id)? {
        news::end_attempt(&tx, ctx.rules, &a, Ending::Permanent, &now)?;
    }
    tx.commit()?;
    log::warn!("appointment {} not sent: {why}", appt.appointment_id);
    Ok(Sent::Refused)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_from_the_base() {
        let base = Duration::from_millis(500);
        let pauses: Vec<u64> = (1..=MAX_TRIES)
            .map(|n| backoff(base, n).as_millis() as u64)
            .collect();
        assert_eq!(pauses, [500, 1000, 2000, 4000]);
    }
}
