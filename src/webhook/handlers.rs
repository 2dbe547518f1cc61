//! What each route of SPEC §6 does with a checked request (`request::Plan`): `execute` stores it
//! and applies it in one transaction through `news`, the path every other command uses too.

use anyhow::Result;
use rusqlite::Connection;

use crate::db::attempts::StatusReport;
use crate::db::{appointments, webhook_events};
use crate::domain::keywords::{self, Reply};
use crate::domain::state::{Event, State};
use crate::mask;
use crate::news::{self, Applied, Rules};
use crate::webhook::request::{Plan, Route};
use crate::webhook::twiml::{self, Lang};

/// What the listener needs besides the connection.
#[derive(Clone)]
pub struct Settings {
    pub public_url: String,
    pub rules: Rules,
    pub voice_en: Option<String>,
    pub voice_fr: Option<String>,
}

impl Settings {
    fn voice(&self, lang: Lang) -> Option<&str> {
        match lang {
            Lang::En => self.voice_en.as_deref(),
            Lang::Fr => self.voice_fr.as_deref(),
        }
    }
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
    now: &str,
) -> Result<(Answer, String)> {
    let key = plan.dedupe_key(route);
    let fresh =
        webhook_events::insert(conn, Some(plan.sid()), route.kind(), &key, params_json, now)?;
    match plan {
        Plan::Status { report } => status(conn, s, report, fresh, now),
        Plan::Gather {
            appointment,
            repeat,
            digits,
            ..
        } => gather(conn, s, *appointment, *repeat, digits, fresh, now),
        Plan::Inbound {
            from,
            body,
            twilio_handled,
            ..
        } => inbound(conn, s, from, body, twilio_handled.as_deref(), fresh, now),
    }
}

fn ok() -> Answer {
    Answer {
        status: 200,
        xml: None,
    }
}

fn xml(doc: String) -> Answer {
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
    now: &str,
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
fn answer_event(
    conn: &Connection,
    appt: &appointments::Stored,
    event: Event,
    fresh: bool,
    now: &str,
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
    appointment: Option<i64>,
    repeat: bool,
    digits: &str,
    fresh: bool,
    now: &str,
) -> Result<(Answer, String)> {
    let appt = match appointment {
        Some(id) => appointments::get(conn, id)?,
        None => None,
    };
    let Some(appt) = appt else {
        let doc = twiml::say_and_hang_up(
            Lang::En,
            s.voice(Lang::En),
            twiml::CALL_UNKNOWN.get(Lang::En),
        );
        return Ok((
            xml(doc),
            format!("keypress for unknown appointment {appointment:?}"),
        ));
    };
    let lang = Lang::from_code(&appt.language);
    let voice = s.voice(lang);
    let (event, target, said) = match digits {
        "1" => (Event::Confirmed, State::Confirmed, &twiml::CALL_CONFIRMED),
        "2" => (
            Event::CancelRequested,
            State::CancelRequested,
            &twiml::CALL_CANCEL,
        ),
        _ if !repeat => {
            let action = format!(
                "{}?appointment={}&repeat=1",
                Route::VoiceGather.url(&s.public_url),
                appt.id
            );
            let note = format!("appointment #{}: keypress {digits:?}, asked again", appt.id);
            return Ok((xml(twiml::gather_again(lang, voice, &action)), note));
        }
        _ => {
            let note = format!(
                "appointment #{}: keypress {digits:?} on the repeat, goodbye",
                appt.id
            );
            return Ok((
                xml(twiml::say_and_hang_up(
                    lang,
                    voice,
                    twiml::CALL_GOODBYE.get(lang),
                )),
                note,
            ));
        }
    };
    let (state, note) = answer_event(conn, &appt, event, fresh, now)?;
    let text = if state == target {
        said
    } else {
        &twiml::CALL_UNKNOWN
    };
    let note = format!("appointment #{}: keypress {digits}, {note}", appt.id);
    Ok((
        xml(twiml::say_and_hang_up(lang, voice, text.get(lang))),
        note,
    ))
}

/// A text from a patient. Twilio's default opt-out handling already answers STOP, START and
/// HELP (and blocks messages to a number that said STOP), so those get an empty `<Response/>`;
/// when Twilio did not handle the word (`OptOutType` absent, e.g. advanced opt-out turned off)
/// START and HELP are answered here. Whatever Twilio's handling decided about the number is
/// mirrored in `opt_outs`, so we never try to text a number Twilio will refuse.
fn inbound(
    conn: &Connection,
    s: &Settings,
    from: &str,
    body: &str,
    twilio_handled: Option<&str>,
    fresh: bool,
    now: &str,
) -> Result<(Answer, String)> {
    let reply = keywords::classify(body);
    let appt = appointments::soonest_contacted_for_phone(conn, from, now)?;
    let lang = appt
        .as_ref()
        .map_or(Lang::En, |a| Lang::from_code(&a.language));
    let who = mask::phone(from);
    let word = body.trim().to_uppercase();
    let mut notes = Vec::new();
    if fresh {
        if reply == Reply::OptOut || twilio_handled == Some("STOP") {
            let stopped = news::opt_out(conn, from, "reply", Some(body.trim()), now)?;
            notes.push(format!(
                "{who} opted out ({stopped} appointment(s) stopped)"
            ));
        }
        if reply == Reply::OptIn || twilio_handled == Some("START") {
            let lifted = news::opt_in(conn, &s.rules, from, "reply", Some(body.trim()), now)?;
            notes.push(format!("{who} opted in (opt-out lifted: {lifted})"));
        }
    }
    let answer = match reply {
        Reply::OptOut => twiml::empty(),
        Reply::OptIn | Reply::Help if twilio_handled.is_some() => twiml::empty(),
        Reply::OptIn => twiml::message(twiml::SMS_OPTED_IN.get(lang)),
        Reply::Help => twiml::message(twiml::SMS_HELP.get(lang)),
        Reply::Other => {
            notes.push(format!("{who} sent an unrecognised reply"));
            twiml::message(twiml::SMS_NOT_UNDERSTOOD.get(lang))
        }
        Reply::Confirm | Reply::Cancel => {
            let (event, target, text) = if reply == Reply::Confirm {
                (Event::Confirmed, State::Confirmed, &twiml::SMS_CONFIRMED)
            } else {
                (
                    Event::CancelRequested,
                    State::CancelRequested,
                    &twiml::SMS_CANCEL,
                )
            };
            match &appt {
                Some(appt) => {
                    let (state, note) = answer_event(conn, appt, event, fresh, now)?;
                    notes.push(format!(
                        "{who} replied {word}: appointment #{}, {note}",
                        appt.id
                    ));
                    let text = if state == target {
                        text
                    } else {
                        &twiml::SMS_NO_APPOINTMENT
                    };
                    twiml::message(text.get(lang))
                }
                None => {
                    notes.push(format!(
                        "{who} replied {word}: no contacted upcoming appointment"
                    ));
                    twiml::message(twiml::SMS_NO_APPOINTMENT.get(lang))
                }
            }
        }
    };
    if !fresh {
        notes.push("repeated, not applied again".into());
    }
    Ok((xml(answer), notes.join("; ")))
}

/// `GET /healthz`: the database answers a trivial query over the schema.
pub fn health(conn: &Connection) -> Result<()> {
    conn.query_row(
        "SELECT count(*) FROM webhook_events WHERE id = 0",
        [],
        |r| r.get::<_, i64>(0),
    )?;
    Ok(())
}
