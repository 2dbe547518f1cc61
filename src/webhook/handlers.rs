//! The routes of SPEC §6. A request is first turned into a `Plan` (pure: which parameters it
//! carries, whether they make sense, how a repeat is recognised), then `execute` stores it and
//! applies it in one transaction through `track`, the path every other command uses too.

use anyhow::Result;
use rusqlite::{Connection, TransactionBehavior};

use crate::db::attempts::StatusReport;
use crate::db::{appointments, webhook_events};
use crate::domain::channel::Channel;
use crate::domain::keywords::{self, Reply};
use crate::domain::outcome;
use crate::domain::state::{Event, State};
use crate::mask;
use crate::track::{self, Applied, Rules};
use crate::webhook::form;
use crate::webhook::twiml::{self, Lang};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Route {
    CallStatus,
    SmsStatus,
    VoiceGather,
    SmsInbound,
    Health,
}

impl Route {
    pub fn from_path(path: &str) -> Option<Route> {
        Some(match path {
            "/twilio/call-status" => Route::CallStatus,
            "/twilio/sms-status" => Route::SmsStatus,
            "/twilio/voice-gather" => Route::VoiceGather,
            "/twilio/sms-inbound" => Route::SmsInbound,
            "/healthz" => Route::Health,
            _ => return None,
        })
    }

    pub fn kind(self) -> &'static str {
        match self {
            Route::CallStatus => "call-status",
            Route::SmsStatus => "sms-status",
            Route::VoiceGather => "voice-gather",
            Route::SmsInbound => "sms-inbound",
            Route::Health => "healthz",
        }
    }
}

/// What the listener needs besides the connection.
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

/// A signed request, understood.
#[derive(Debug)]
pub enum Plan {
    Status {
        report: StatusReport,
    },
    Gather {
        call_sid: String,
        appointment: Option<i64>,
        repeat: bool,
        digits: String,
    },
    Inbound {
        message_sid: String,
        from: String,
        body: String,
        /// Set when Twilio's own opt-out handling matched the message (`STOP`, `START`, `HELP`).
        twilio_handled: Option<String>,
    },
}

/// The answer: HTTP status and, for TwiML routes, the document.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub xml: Option<String>,
}

fn required<'a>(params: &'a [(String, String)], name: &'static str) -> Result<&'a str, String> {
    form::get(params, name)
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| format!("missing {name}"))
}

/// Checks a request's parameters; the error says what is wrong (answered 400).
pub fn plan(route: Route, query: &str, params: &[(String, String)]) -> Result<Plan, String> {
    let number = |name: &'static str| -> Result<Option<i64>, String> {
        match form::get(params, name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
        {
            None => Ok(None),
            Some(v) => v
                .parse()
                .map(Some)
                .map_err(|_| format!("{name} is not a number")),
        }
    };
    let text = |name: &str| {
        form::get(params, name)
            .map(str::to_string)
            .filter(|v| !v.is_empty())
    };
    match route {
        Route::CallStatus => {
            let sid = required(params, "CallSid")?.to_string();
            let status = required(params, "CallStatus")?.to_string();
            let end_time = if outcome::is_final(Channel::Call, &status) {
                form::get(params, "Timestamp")
                    .and_then(|t| chrono::DateTime::parse_from_rfc2822(t).ok())
                    .map(|t| crate::clock::db_time(t.with_timezone(&chrono::Utc)))
            } else {
                None
            };
            Ok(Plan::Status {
                report: StatusReport {
                    sid,
                    status,
                    sequence_number: number("SequenceNumber")?,
                    duration: number("CallDuration").ok().flatten(),
                    end_time,
                    answered_by: text("AnsweredBy"),
                    ..Default::default()
                },
            })
        }
        Route::SmsStatus => {
            let sid = required(params, "MessageSid").or_else(|_| required(params, "SmsSid"))?;
            let status =
                required(params, "MessageStatus").or_else(|_| required(params, "SmsStatus"))?;
            Ok(Plan::Status {
                report: StatusReport {
                    sid: sid.to_string(),
                    status: status.to_string(),
                    error_code: number("ErrorCode").ok().flatten(),
                    error_message: text("ErrorMessage"),
                    ..Default::default()
                },
            })
        }
        Route::VoiceGather => {
            let query: Vec<(String, String)> = form_urlencoded::parse(query.as_bytes())
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect();
            Ok(Plan::Gather {
                call_sid: required(params, "CallSid")?.to_string(),
                appointment: form::get(&query, "appointment").and_then(|v| v.parse().ok()),
                repeat: form::get(&query, "repeat").is_some_and(|v| v == "1"),
                digits: form::get(params, "Digits").unwrap_or("").trim().to_string(),
            })
        }
        Route::SmsInbound => Ok(Plan::Inbound {
            message_sid: required(params, "MessageSid")
                .or_else(|_| required(params, "SmsMessageSid"))?
                .to_string(),
            from: required(params, "From")?.to_string(),
            body: form::get(params, "Body").unwrap_or("").to_string(),
            twilio_handled: text("OptOutType").map(|t| t.to_ascii_uppercase()),
        }),
        Route::Health => Err("not a callback".into()),
    }
}

impl Plan {
    fn sid(&self) -> &str {
        match self {
            Plan::Status { report } => &report.sid,
            Plan::Gather { call_sid, .. } => call_sid,
            Plan::Inbound { message_sid, .. } => message_sid,
        }
    }

    /// What makes a repeat a repeat (twilio.md: (CallSid, SequenceNumber), (MessageSid,
    /// MessageStatus)); a keypress or reply is the same event when Twilio posts it again.
    fn dedupe_key(&self, route: Route) -> String {
        match self {
            Plan::Status { report } if route == Route::CallStatus => match report.sequence_number {
                Some(seq) => format!("call:{}:{seq}", report.sid),
                None => format!("call:{}:{}", report.sid, report.status),
            },
            Plan::Status { report } => format!("sms:{}:{}", report.sid, report.status),
            Plan::Gather {
                call_sid,
                appointment,
                repeat,
                ..
            } => format!(
                "gather:{call_sid}:{}:{}",
                appointment.unwrap_or(0),
                u8::from(*repeat)
            ),
            Plan::Inbound { message_sid, .. } => format!("inbound:{message_sid}"),
        }
    }
}

/// Stores the callback and applies it, in one transaction. An error means nothing was stored
/// (the caller answers 503 so Twilio tries again).
pub fn execute(
    conn: &mut Connection,
    s: &Settings,
    route: Route,
    plan: &Plan,
    params_json: &str,
    now: &str,
) -> Result<Answer> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let key = plan.dedupe_key(route);
    let fresh =
        webhook_events::insert(&tx, Some(plan.sid()), route.kind(), &key, params_json, now)?;
    let (answer, note) = match plan {
        Plan::Status { report } => status(&tx, s, report, fresh, now)?,
        Plan::Gather {
            appointment,
            repeat,
            digits,
            ..
        } => gather(&tx, s, *appointment, *repeat, digits, fresh, now)?,
        Plan::Inbound {
            from,
            body,
            twilio_handled,
            ..
        } => inbound(&tx, s, from, body, twilio_handled.as_deref(), fresh, now)?,
    };
    tx.commit()?;
    log::info!("{} {}: {note}", route.kind(), plan.sid());
    Ok(answer)
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
    let note = match track::apply_status(conn, s.rules, report, false, now)? {
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
    let moved = track::move_appointment(conn, appt, event, now)?;
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
                "{}/twilio/voice-gather?appointment={}&repeat=1",
                s.public_url, appt.id
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
            let stopped = track::opt_out(conn, from, &format!("sms-{word}"), now)?;
            notes.push(format!(
                "{who} opted out ({stopped} appointment(s) stopped)"
            ));
        }
        if reply == Reply::OptIn || twilio_handled == Some("START") {
            let lifted = track::opt_in(conn, s.rules, from, now)?;
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
