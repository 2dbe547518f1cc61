//! What each route of the listener does with a checked request (`request::Plan`): `execute` stores
//! it and applies it in one transaction through `news`, the path every other command uses too.

use crate::clock::Stamp;
use anyhow::Result;
use rusqlite::Connection;

use crate::db::attempts::StatusReport;
use crate::db::{appointments, webhook_events};
use crate::domain::languages::Languages;
use crate::domain::state::{Event, State};
use crate::news::{self, Applied, OutcomeRules};
use crate::webhook::request::{Plan, Route};
use crate::webhook::twiml;

/// What the listener needs besides the connection.
#[derive(Clone)]
pub struct Settings {
    pub public_url: String,
    pub rules: OutcomeRules,
    /// Every language pack, voices set: the answers' words, and what a reply word means.
    pub languages: std::sync::Arc<Languages>,
    /// Our numbers and who answers each, for calls that come in.
    pub lines: super::voice_inbound::Lines,
    /// `[waitlist]`: when an offer's slot is still open.
    pub waitlist: crate::config::Waitlist,
}

/// A keypress, as the Gather action received it.
struct Gather<'a> {
    call_sid: &'a str,
    appointment: Option<i64>,
    repeat: bool,
    digits: &'a str,
}

/// The answer: HTTP status and, for TwiML routes, the document.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub xml: Option<String>,
}

/// Stores the callback and applies it on `conn`; returns the answer and a note for the log.
/// The caller owns the transaction (the writer groups callbacks), so on an error nothing of
/// this callback may be kept: the caller rolls it back and answers 503 so Twilio tries again.
pub fn apply(
    conn: &Connection,
    s: &Settings,
    route: Route,
    plan: &Plan,
    params_json: &str,
    now: Stamp,
) -> Result<(Answer, String)> {
    let key = plan.dedupe_key(route);
    let fresh =
        webhook_events::insert(conn, Some(plan.sid()), route.kind(), &key, params_json, now)?;
    match plan {
        Plan::Status { report } => status(conn, s, report, fresh, now),
        Plan::Gather {
            call_sid,
            appointment,
            repeat,
            digits,
        } => gather(
            conn,
            s,
            Gather {
                call_sid,
                appointment: *appointment,
                repeat: *repeat,
                digits,
            },
            fresh,
            now,
        ),
        Plan::Inbound {
            message_sid,
            from,
            to,
            messaging_service,
            body,
            twilio_handled,
        } => super::inbound::reply(
            conn,
            s,
            super::reply_text::Text {
                message_sid,
                from,
                to,
                messaging_service: messaging_service.as_deref(),
                body,
                twilio_handled: twilio_handled.as_deref(),
            },
            fresh,
            now,
        ),
        // The same answer however often Twilio asks: it depends on the settings and on the
        // caller's appointments only.
        Plan::Call { call_sid, from, to } => super::voice_inbound::answer(
            conn,
            s,
            super::voice_inbound::Call { call_sid, from, to },
            now,
        ),
    }
}

pub(super) fn ok() -> Answer {
    Answer {
        status: 200,
        xml: None,
    }
}

pub(super) fn xml(doc: String) -> Answer {
    Answer {
        status: 200,
        xml: Some(doc),
    }
}

fn moved_note(moved: Option<(State, State)>) -> String {
    match moved {
        Some((from, to)) => format!("appointment {} -> {}", from.as_str(), to.as_str()),
        None => "appointment unchanged".into(),
    }
}

fn status(
    conn: &Connection,
    s: &Settings,
    report: &StatusReport,
    fresh: bool,
    now: Stamp,
) -> Result<(Answer, String)> {
    if !fresh {
        return Ok((ok(), format!("{} repeated, ignored", report.status)));
    }
    let note = match news::apply_status(conn, &s.rules, report, false, now)? {
        Applied::UnknownSid => format!("{}: unknown SID, recorded only", report.status),
        Applied::Stale => format!(
            "{}: older than what is stored, recorded only",
            report.status
        ),
        Applied::Recorded { appointment, moved } => {
            format!(
                "{}: appointment #{appointment}, {}",
                report.status,
                moved_note(moved)
            )
        }
    };
    Ok((ok(), note))
}

/// Applies a patient's answer to `appt` (a repeat only reads the state) and says where it is.
pub(super) fn answer_event(
    conn: &Connection,
    appt: &appointments::Stored,
    event: Event,
    fresh: bool,
    now: Stamp,
) -> Result<(State, String)> {
    if !fresh {
        return Ok((appt.state, "repeated, not applied again".into()));
    }
    let moved = news::move_appointment(conn, appt, event, now)?;
    let state = moved.map_or(appt.state, |(_, to)| to);
    Ok((state, moved_note(moved)))
}

fn gather(
    conn: &Connection,
    s: &Settings,
    g: Gather<'_>,
    fresh: bool,
    now: Stamp,
) -> Result<(Answer, String)> {
    // A keypress answers for every appointment the call was about (a combined call lists
    // several); the appointment in the URL stands in when the call is not known.
    let mut appts = appointments::of_sid(conn, g.call_sid)?;
    if appts.is_empty()
        && let Some(appt) = g
            .appointment
            .map(|id| appointments::get(conn, id))
            .transpose()?
            .flatten()
    {
        appts.push(appt);
    }
    let Some(first) = appts.first() else {
        let pack = s.languages.default_pack();
        let doc = twiml::say_and_hang_up(pack, pack.text("texts.call_unknown"));
        return Ok((
            xml(doc),
            format!("keypress for unknown appointment {:?}", g.appointment),
        ));
    };
    let pack = s.languages.spoken(first.language.code());
    let digits = g.digits;
    let (event, target, said) = match digits {
        "1" => (Event::Confirmed, State::Confirmed, "texts.call_confirmed"),
        "2" => (
            Event::CancelRequested,
            State::CancelRequested,
            "texts.call_cancel",
        ),
        _ if !g.repeat => {
            let action = format!(
                "{}?appointment={}&repeat=1",
                Route::VoiceGather.url(&s.public_url),
                first.id
            );
            let note = format!(
                "appointment #{}: keypress {digits:?}, asked again",
                first.id
            );
            return Ok((xml(twiml::gather_again(pack, &action, appts.len())), note));
        }
        _ => {
            let note = format!(
                "appointment #{}: keypress {digits:?} on the repeat, goodbye",
                first.id
            );
            return Ok((
                xml(twiml::say_and_hang_up(
                    pack,
                    pack.text("texts.call_goodbye"),
                )),
                note,
            ));
        }
    };
    let mut notes = Vec::new();
    let mut any = false;
    for appt in &appts {
        let (state, note) = answer_event(conn, appt, event, fresh, now)?;
        any |= state == target;
        notes.push(format!("appointment #{}: {note}", appt.id));
    }
    let text = if any {
        twiml::counted(pack, said, appts.len())
    } else {
        pack.text("texts.call_unknown").to_string()
    };
    Ok((
        xml(twiml::say_and_hang_up(pack, &text)),
        format!("keypress {digits}: {}", notes.join("; ")),
    ))
}

/// `GET /healthz`: the database answers a trivial query over the schema.
pub fn health(conn: &Connection) -> Result<()> {
    crate::db::webhook_events::probe(conn)
}
