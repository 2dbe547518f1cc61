//! A text from a patient (docs/behaviour.md, "Replies and keywords"): what it says — in the words
//! of any language pack, case, accents and surrounding punctuation ignored — applied to every appointment of the
//! message it answers, kept in `replies` with its words, and answered in the patient's language.
//!
//! Twilio's default opt-out handling answers its own words (STOP, START, HELP…) and blocks
//! texts to a number that said STOP; its `OptOutType` parameter says when it did. The other
//! languages' words (ARRET, BAJA, AIDE…) it does not know: the listener records and answers them.

use anyhow::Result;
use chrono::Duration;
use rusqlite::Connection;

use super::handlers::{Answer, Settings, answer_event, xml};
use super::offer_reply;
use super::reply_text::{Text, kept};
use super::twiml;
use crate::clock::Stamp;
use crate::db::{appointments, attempts, offers, replies};
use crate::domain::contact_kind::ContactKind;
use crate::domain::keywords::Reply;
use crate::domain::state::{Event, State};
use crate::domain::waitlist;
use crate::mask;
use crate::news;

/// A free-text reply gets one polite answer per this many hours per number, so an
/// auto-responder on the patient's phone cannot start a ping-pong.
const OTHER_ANSWER_HOURS: i64 = 24;

fn kind(reply: Reply) -> &'static str {
    match reply {
        Reply::Confirm => "confirm",
        Reply::Cancel => "cancel",
        Reply::OptOut => "opt_out",
        Reply::OptIn => "opt_in",
        Reply::Help => "help",
        Reply::Other => "other",
    }
}

pub fn reply(
    conn: &Connection,
    s: &Settings,
    t: Text<'_>,
    fresh: bool,
    now: Stamp,
) -> Result<(Answer, String)> {
    let mut said = s.languages.interpret(t.body);
    let thread: Vec<&str> = [Some(t.to), t.messaging_service]
        .into_iter()
        .flatten()
        .filter(|s| !s.is_empty())
        .collect();
    let mut targets = appointments::answered_by_reply(conn, t.from, &thread, now)?;
    let last = attempts::last_text_to(
        conn,
        t.from,
        thread.first().copied(),
        thread.get(1).copied(),
    )?;
    // A YES or NO to an offer of a freed slot answers the offer.
    if let Some((_, ContactKind::Offer, log_id)) = last
        && let Some(offer) = offers::by_log(conn, log_id)?
        && let Some(answer) = waitlist::answer(&s.languages, t.body)
    {
        return offer_reply::reply(conn, s, &t, fresh, now, &offer, answer);
    }
    // An answer to a message after a missed visit, a clinic's cancellation or an offer is not a
    // reply to a reminder: a person reads it (STOP and HELP still do what they say).
    if let Some((appt, kind, _)) = last
        && !kind.answers_the_reminder()
    {
        if matches!(said.reply, Reply::Confirm | Reply::Cancel) {
            said.reply = Reply::Other;
        }
        // An offer's appointment is the one that freed the slot: someone else's.
        targets = if kind == ContactKind::Offer {
            Vec::new()
        } else {
            appointments::get(conn, appt)?.into_iter().collect()
        };
    }
    // The language the patient wrote in, else the one their appointment is in.
    let pack = match said.language {
        Some(l) => s.languages.pack(l),
        None => targets
            .first()
            .map_or(s.languages.default_pack(), |a| s.languages.pack(a.language)),
    };
    let said_text = |key: &str| twiml::message(pack.text(key));
    let who = mask::phone(t.from);
    let body = kept(t.body);
    let words = kept(t.body.trim());
    let words = words.as_ref();
    let mut notes = Vec::new();
    if fresh {
        replies::insert(
            conn,
            &replies::NewReply {
                message_sid: t.message_sid,
                phone_number: t.from,
                body: &body,
                kind: kind(said.reply),
                appointment: targets.first().map(|a| a.id),
                site: targets.first().map_or("", |a| a.site.as_str()),
                now,
            },
        )?;
        for a in &targets {
            appointments::set_last_reply(conn, a.id, words, now)?;
        }
        if said.reply == Reply::OptOut || t.twilio_handled == Some("STOP") {
            let stopped = news::opt_out(conn, t.from, "reply", Some(words), now)?;
            notes.push(format!(
                "{who} opted out ({stopped} appointment(s) stopped)"
            ));
        }
        if said.reply == Reply::OptIn || t.twilio_handled == Some("START") {
            let done = news::opt_in(conn, &s.rules, t.from, "reply", Some(words), now)?;
            notes.push(format!(
                "{who} opted in (opt-out lifted: {}, {} appointment(s) resumed)",
                done.lifted, done.resumed
            ));
        }
    }
    // Twilio answered its own words already; the listener answers what it did not.
    let twilio_answered = t.twilio_handled.is_some();
    let answer = match said.reply {
        Reply::OptOut if twilio_answered => twiml::empty(),
        Reply::OptOut => said_text("texts.sms_opted_out"),
        Reply::OptIn | Reply::Help if twilio_answered => twiml::empty(),
        Reply::OptIn => said_text("texts.sms_opted_in"),
        Reply::Help => said_text("texts.sms_help"),
        Reply::Other => {
            notes.push(format!("{who} sent a free-text reply, kept for the clinic"));
            let since = Stamp::from(now.instant() - Duration::hours(OTHER_ANSWER_HOURS));
            if replies::answered_other_since(conn, t.from, t.message_sid, since)? {
                twiml::empty()
            } else {
                said_text("texts.sms_seen")
            }
        }
        Reply::Confirm | Reply::Cancel => {
            let (event, target, text) = if said.reply == Reply::Confirm {
                (Event::Confirmed, State::Confirmed, "texts.sms_confirmed")
            } else {
                (
                    Event::CancelRequested,
                    State::CancelRequested,
                    "texts.sms_cancel",
                )
            };
            if targets.is_empty() {
                notes.push(format!(
                    "{who} replied {words}: no contacted upcoming appointment"
                ));
                said_text("texts.sms_no_appointment")
            } else {
                let mut any = false;
                for appt in &targets {
                    let (state, note) = answer_event(conn, appt, event, fresh, now)?;
                    any |= state == target;
                    notes.push(format!(
                        "{who} replied {words}: appointment #{}, {note}",
                        appt.id
                    ));
                }
                let text = if any {
                    twiml::counted(pack, text, targets.len())
                } else {
                    pack.text("texts.sms_no_appointment").to_string()
                };
                twiml::message(&text)
            }
        }
    };
    if !fresh {
        notes.push("repeated, not applied again".into());
    }
    Ok((xml(answer), notes.join("; ")))
}
