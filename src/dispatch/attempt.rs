//! One attempt, exactly once: recorded and committed before the request leaves, completed with
//! Twilio's SID after. A run that dies in between leaves a `dispatching` row that the next run
//! resolves by asking Twilio (see `recover`) before anyone is contacted again.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use anyhow::Result;
use rusqlite::Connection;

use crate::clock::db_time;
use crate::db::attempts::{self, NewAttempt};
use crate::db::{appointments, opt_outs};
use crate::dispatch::message::Request;
use crate::dispatch::pacer::Pacer;
use crate::domain::outcome::{ApiAction, Ending, api_error_action};
use crate::domain::state::{self, Event, State};
use crate::mask;
use crate::track::{self, Rules};
use crate::twilio::client::{ApiError, Client};

/// How a single attempt went, for the run's tally.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sent {
    /// Twilio accepted the request.
    Dispatched,
    /// Twilio refused it, or it could not be built; recorded on the attempt.
    Refused,
    /// Nothing was sent (state changed meanwhile, run stopped).
    Skipped,
    /// Twilio did not answer; the attempt stays `dispatching` for the next run to resolve.
    Unresolved,
}

/// Tries at most this many times when Twilio answers 429/5xx or does not answer.
const MAX_TRIES: u32 = 4;

pub struct Ctx<'a> {
    pub client: &'a Client,
    pub rules: Rules,
    pub from: &'a str,
    pub run_id: i64,
    pub stop: &'a AtomicBool,
    /// Why the run stopped (bad credentials, bad sender), set once.
    pub stop_reason: &'a std::sync::Mutex<Option<String>>,
    pub backoff: Duration,
    pub now: &'a (dyn Fn() -> chrono::DateTime<chrono::Utc> + Sync),
}

/// Sends one prepared request for appointment `appt_id` (`req` already rendered).
pub fn run(
    conn: &mut Connection,
    ctx: &Ctx<'_>,
    pacer: &Pacer,
    appt_id: i64,
    req: &Request,
) -> Result<Sent> {
    pacer.wait_turn();
    if ctx.stop.load(Ordering::SeqCst) {
        return Ok(Sent::Skipped);
    }
    let now = db_time((ctx.now)());
    let tx = crate::db::begin(conn)?;
    let Some(appt) = appointments::get(&tx, appt_id)? else {
        return Ok(Sent::Skipped);
    };
    // The listener may have changed things since selection (an opt-out by text, say).
    if state::next(appt.state, Event::AttemptStarted).is_none() || appt.channel != req.channel {
        return Ok(Sent::Skipped);
    }
    if opt_outs::contains(&tx, &appt.phone_number)? {
        track::move_appointment(&tx, &appt, Event::OptedOut, &now)?;
        tx.commit()?;
        return Ok(Sent::Skipped);
    }
    let attempt = appointments::start_attempt(&tx, appt.id, &now)?;
    let from = req
        .params
        .iter()
        .find(|(k, _)| *k == "From" || *k == "MessagingServiceSid")
        .map(|(_, v)| v.as_str())
        .unwrap_or(ctx.from);
    let log_id = attempts::insert(
        &tx,
        &NewAttempt {
            appointment: appt.id,
            attempt,
            channel: req.channel,
            to: &appt.phone_number,
            from,
            run_id: Some(ctx.run_id),
            now: &now,
        },
    )?;
    tx.commit()?;

    let params: Vec<(&str, &str)> = req.params.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut tries = 0;
    loop {
        tries += 1;
        let answer = ctx.client.create(req.channel, &params);
        let now = db_time((ctx.now)());
        match answer {
            Ok(resource) => {
                let tx = crate::db::begin(conn)?;
                attempts::set_sid(&tx, log_id, &resource.sid, &resource.status, &now)?;
                tx.commit()?;
                log::info!(
                    "{} to {} accepted as {} (appointment {}, attempt {attempt})",
                    req.channel.as_str(),
                    mask::phone(&appt.phone_number),
                    resource.sid,
                    appt.appointment_id
                );
                return Ok(Sent::Dispatched);
            }
            Err(ApiError::Twilio {
                http_status,
                code,
                message,
            }) => {
                match api_error_action(http_status, code) {
                    ApiAction::Backoff if tries < MAX_TRIES => {
                        log::warn!(
                            "Twilio answered HTTP {http_status}; trying again after a pause"
                        );
                        std::thread::sleep(ctx.backoff * 2u32.pow(tries - 1));
                        pacer.wait_turn();
                    }
                    ApiAction::Backoff => {
                        let why = format!("Twilio kept refusing (HTTP {http_status}): {message}");
                        return refuse(conn, ctx, log_id, code, &why, Ending::Retryable, &now);
                    }
                    // StopTexting (30034, unregistered US sender) stops the whole run for now,
                    // calls included; SPEC §11.4 wants only the texts stopped.
                    ApiAction::StopRun | ApiAction::StopTexting => {
                        let why = format!(
                            "Twilio refused the account's request (error {}): {message} — check TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_PHONE_NUMBER",
                            code.map(|c| c.to_string())
                                .unwrap_or_else(|| http_status.to_string())
                        );
                        ctx.stop.store(true, Ordering::SeqCst);
                        ctx.stop_reason
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .get_or_insert(why.clone());
                        // Nothing went out: the attempt did not happen.
                        let tx = crate::db::begin(conn)?;
                        attempts::set_unsent(&tx, log_id, "not-sent", code, Some(&why), &now)?;
                        let resume =
                            state::resume_state(attempt as u32 - 1, ctx.rules.max_attempts);
                        if let Some(to) = state::next(State::InFlight, Event::NotSent { resume }) {
                            appointments::forget_attempt(&tx, appt.id, to, &now)?;
                        }
                        tx.commit()?;
                        return Ok(Sent::Skipped);
                    }
                    ApiAction::Attempt(ending) => {
                        let why = format!(
                            "Twilio error {}: {message}",
                            code.unwrap_or(http_status as i64)
                        );
                        log::warn!(
                            "{} to {} refused: {why}",
                            req.channel.as_str(),
                            mask::phone(&appt.phone_number)
                        );
                        return refuse(conn, ctx, log_id, code, &message, ending, &now);
                    }
                }
            }
            Err(ApiError::Transport(why)) => {
                // The request may have reached Twilio: never simply send it again. The next run
                // asks Twilio what it has before deciding.
                if tries >= MAX_TRIES {
                    log::warn!(
                        "no answer from Twilio for {} to {} ({why}); the next run will check with Twilio",
                        req.channel.as_str(),
                        mask::phone(&appt.phone_number)
                    );
                    return Ok(Sent::Unresolved);
                }
                std::thread::sleep(ctx.backoff * 2u32.pow(tries - 1));
                let since = crate::clock::parse_db_time(&now).unwrap_or_else(|| (ctx.now)())
                    - chrono::Duration::seconds(super::recover::CLOCK_SLACK_SECONDS);
                if let Ok(Some(found)) = super::recover::find_created(
                    conn,
                    ctx.client,
                    req.channel,
                    &appt.phone_number,
                    since,
                ) {
                    let tx = crate::db::begin(conn)?;
                    attempts::set_sid(&tx, log_id, &found.sid, &found.status, &now)?;
                    tx.commit()?;
                    return Ok(Sent::Dispatched);
                }
                pacer.wait_turn();
            }
        }
    }
}

fn refuse(
    conn: &mut Connection,
    ctx: &Ctx<'_>,
    log_id: i64,
    code: Option<i64>,
    message: &str,
    ending: Ending,
    now: &str,
) -> Result<Sent> {
    let tx = crate::db::begin(conn)?;
    attempts::set_unsent(&tx, log_id, "failed", code, Some(message), now)?;
    if let Some(attempt) = attempts::by_id(&tx, log_id)? {
        track::end_attempt(&tx, ctx.rules, &attempt, ending, now)?;
    }
    tx.commit()?;
    Ok(Sent::Refused)
}

/// An attempt that could not even be built (a message over Twilio's limits): recorded as a
/// failed attempt with the reason; sending it again would fail the same way.
pub fn record_unbuildable(
    conn: &mut Connection,
    ctx: &Ctx<'_>,
    appt_id: i64,
    why: &str,
) -> Result<Sent> {
    let now = db_time((ctx.now)());
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
        track::end_attempt(&tx, ctx.rules, &a, Ending::Permanent, &now)?;
    }
    tx.commit()?;
    log::warn!("appointment {} not sent: {why}", appt.appointment_id);
    Ok(Sent::Refused)
}
