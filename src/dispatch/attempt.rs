//! One contact — one call or text, for one appointment or for every appointment it lists —
//! exactly once. It reads top-down:
//!
//! 1. **claim** — each appointment is checked again just before the request (still in the state
//!    it was selected in and due, still in the future, its number not opted out, inside the
//!    site's contact hours); the message is rendered for those still due, and an attempt per
//!    appointment is written (status `dispatching`, no SID) and committed before it leaves;
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

use rusqlite::Connection;

use super::claim::{Claim, Claimed, number, unsettled};
use super::context::RunCtx;
use super::find::{CLOCK_SLACK_SECONDS, Fingerprint, find_created};
use super::follow_up;
use super::limits;
use super::message::{self, Request};
use super::offer;
use super::pacer::Pacer;
use super::select::{self, Job};
use super::unsent::{record_unbuildable, undo_all};
use crate::clock::Stamp;
use crate::db::appointments::{self, Stored};
use crate::db::attempts::{self, NewAttempt};
use crate::domain::channel::Channel;
use crate::domain::contact_kind::ContactKind;
use crate::domain::limits::{Rule, too_long};
use crate::domain::outcome::{ApiAction, Ending, api_error_action};
use crate::domain::schedule::Verdict;
use crate::domain::state::Event;
use crate::domain::twilio_errors;
use crate::mask;
use crate::news;
use crate::twilio::client::{ApiError, Resource};

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
    /// The site's contact hours are over: not contacted, left for the next window.
    AfterHours,
    /// A rule of contact held it (a cap reached, too long for the profile): recorded as a hold,
    /// still due.
    Held(Rule),
}

/// How a contact went, and for how many appointments.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Done {
    pub sent: Sent,
    pub channel: Channel,
    pub appointments: usize,
    /// A text's segments (each appointment of a combined text shares them).
    pub segments: u32,
}

/// Tries at most this many times when Twilio asks us to slow down or does not answer clearly.
pub const MAX_TRIES: u32 = 4;

/// The pause before try `n + 1`: doubling from the run's base (500 ms in a real run).
pub fn backoff(base: Duration, tries_so_far: u32) -> Duration {
    base * 2u32.saturating_pow(tries_so_far.saturating_sub(1))
}

/// Makes one contact for `job`.
pub fn run(conn: &mut Connection, ctx: &RunCtx<'_>, pacer: &Pacer, job: &Job) -> Result<Done> {
    let channel = job.channel();
    let done = |sent, n, segments| Done {
        sent,
        channel,
        appointments: n,
        segments,
    };
    let Some(_turn) = ctx.number_turn(job.to()) else {
        return Ok(done(Sent::Skipped, job.group.len(), 0));
    };
    pacer.wait_turn();
    if ctx.stop.load(Ordering::SeqCst) || (channel == Channel::Sms && ctx.texting_stopped()) {
        return Ok(done(Sent::Skipped, job.group.len(), 0));
    }
    let claimed = match &job.offer {
        Some(target) => offer::claim(conn, ctx, job, target)?,
        None => claim(conn, ctx, job)?,
    };
    let (claim, req) = match claimed {
        Claimed::Go(claim, req) => (claim, req),
        Claimed::Nothing => return Ok(done(Sent::Skipped, job.group.len(), 0)),
        Claimed::AfterHours => {
            ctx.close_site(&job.group[0].site);
            return Ok(done(Sent::AfterHours, job.group.len(), 0));
        }
        Claimed::Unbuildable(why) => {
            let n = record_unbuildable(conn, ctx, job, &why.to_string())?;
            return Ok(done(Sent::Refused, n, 0));
        }
        Claimed::Held(rule, n) => return Ok(done(Sent::Held(rule), n, 0)),
    };
    let outcome = send(conn, ctx, pacer, &claim, &req);
    let sent = settle(conn, ctx, &claim, req.channel, outcome)?;
    let segments = req.shape.map_or(0, |s| s.segments as u32);
    Ok(done(sent, claim.members.len(), segments))
}

/// Step 1: checks each appointment again, renders the message for those still due, and records
/// their attempts.
fn claim(conn: &mut Connection, ctx: &RunCtx<'_>, job: &Job) -> Result<Claimed> {
    if ctx.site_closed(&job.group[0].site) {
        return Ok(Claimed::AfterHours);
    }
    let began = ctx.now();
    let now = Stamp::from(began);
    let tx = crate::db::begin(conn)?;
    let mut still_due: Vec<Stored> = Vec::with_capacity(job.group.len());
    for selected in &job.group {
        let Some(appt) = appointments::get(&tx, selected.id)? else {
            continue;
        };
        if job.kind != ContactKind::Reminder {
            match follow_up::verdict(ctx.cfg, &tx, &ctx.opts, &appt, job.kind, began)? {
                follow_up::Verdict::Due => still_due.push(appt),
                follow_up::Verdict::AfterHours => return Ok(Claimed::AfterHours),
                follow_up::Verdict::No => {}
            }
            continue;
        }
        // The listener may have changed things since selection (a reply, an opt-out by text).
        if appt.state != selected.state || appt.channel != selected.channel {
            continue;
        }
        match select::verdict(ctx.cfg, &tx, &ctx.opts, &appt, began)? {
            Verdict::Contact { touch, .. } if touch == job.touch => still_due.push(appt),
            Verdict::OutsideHours => return Ok(Claimed::AfterHours),
            Verdict::OptedOut => {
                news::move_appointment(&tx, &appt, Event::OptedOut, now)?;
            }
            Verdict::Expire => {
                news::move_appointment(&tx, &appt, Event::Expired, now)?;
            }
            _ => {}
        }
    }
    if still_due.is_empty() {
        tx.commit()?;
        return Ok(Claimed::Nothing);
    }
    // An earlier contact to this number on this channel whose fate is unknown (Twilio could not
    // be asked): until it is settled, nothing can tell a new contact's call or text from it.
    let to = &still_due[0].phone_number;
    let channel = match job.kind {
        ContactKind::VoicemailText => Channel::Sms,
        _ => still_due[0].channel,
    };
    if unsettled(&tx, to, channel)? {
        tx.commit()?;
        return Ok(Claimed::Nothing);
    }
    // The caps, counted from the attempts (this run's included) just before the request.
    let site = &still_due[0].site;
    if let Some((rule, reason)) = limits::over_cap(ctx.cfg, &tx, site, to, job.kind, began, 0, &[])?
    {
        limits::hold(&tx, &still_due, rule, &reason, now, Some(ctx.run_id))?;
        tx.commit()?;
        return Ok(Claimed::Held(rule, still_due.len()));
    }
    let req = match message::build_kind(ctx.cfg, ctx.texts, ctx.public_url, &still_due, job.kind)? {
        Ok(req) => req,
        Err(why) => {
            tx.commit()?;
            return Ok(Claimed::Unbuildable(why));
        }
    };
    // A message the profile finds too long (a combined text grown past 160 characters) waits:
    // the appointments may yet be reached another way (a message of fewer, a call).
    if let Some((rule, reason)) = too_long(
        ctx.cfg.limits.profile,
        req.channel == Channel::Sms,
        &req.content,
    ) {
        limits::hold(&tx, &still_due, rule, &reason, now, Some(ctx.run_id))?;
        tx.commit()?;
        return Ok(Claimed::Held(rule, still_due.len()));
    }
    let mut members = Vec::with_capacity(still_due.len());
    let sent = req.sent_digest();
    for appt in &still_due {
        let (attempt, touch) = number(&tx, appt, job, now)?;
        let log_id = attempts::insert(
            &tx,
            &NewAttempt {
                appointment: appt.id,
                attempt,
                channel: req.channel,
                to: &appt.phone_number,
                from: req.sender(),
                run_id: Some(ctx.run_id),
                touch,
                segments: req.shape.map(|s| s.segments as u32),
                sent: sent.as_deref(),
                kind: job.kind,
                now,
            },
        )?;
        members.push((log_id, appt.appointment_id.clone(), attempt));
    }
    // Every attempt of this contact names the first: recovery settles them together, and never
    // together with another contact to the same number.
    let ids: Vec<i64> = members.iter().map(|m| m.0).collect();
    attempts::set_contact(&tx, &ids)?;
    tx.commit()?;
    Ok(Claimed::Go(
        Claim {
            members,
            to: still_due[0].phone_number.clone(),
            began,
            print: Fingerprint::new(req.sender(), sent.as_deref()),
        },
        req,
    ))
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
                // The claim made this the number's only unsettled contact on its channel.
                let unique = true;
                match find_created(
                    conn,
                    ctx.client,
                    req.channel,
                    &claim.to,
                    since,
                    &claim.print,
                    unique,
                ) {
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
    let now = Stamp::from(ctx.now());
    let who = mask::phone(&claim.to);
    match outcome {
        Outcome::Accepted(resource) => {
            ctx.note_contacted();
            let tx = crate::db::begin(conn)?;
            for (log_id, ..) in &claim.members {
                attempts::set_sid(&tx, *log_id, &resource.sid, &resource.status, now)?;
            }
            tx.commit()?;
            let ids: Vec<String> = claim
                .members
                .iter()
                .map(|(_, id, attempt)| format!("{id} (attempt {attempt})"))
                .collect();
            log::info!(
                "{} to {who} accepted as {} for appointment {}",
                channel.as_str(),
                resource.sid,
                ids.join(", ")
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
            // Nothing went out: the attempts did not happen.
            undo_all(conn, ctx.rules, &claim.log_ids(), code, &why, now)?;
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
            undo_all(conn, ctx.rules, &claim.log_ids(), code, &why, now)?;
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
            for (log_id, ..) in &claim.members {
                attempts::set_unsent(&tx, *log_id, "failed", code, Some(&message), now)?;
                if let Some(attempt) = attempts::by_id(&tx, *log_id)? {
                    news::end_attempt(&tx, ctx.rules, &attempt, ending, now)?;
                }
            }
            tx.commit()?;
            Ok(sent)
        }
        Outcome::NotSent(why) => {
            log::warn!(
                "{} to {who} not sent: {why}; Twilio has none: due again at the next run",
                channel.as_str()
            );
            undo_all(conn, ctx.rules, &claim.log_ids(), None, &why, now)?;
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
