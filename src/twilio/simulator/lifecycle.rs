//! What happens to each call or message: the outcome Twilio reports for it (and the callbacks,
//! keypresses and replies that follow), or the fault that befalls the request.

use std::collections::VecDeque;

use super::answer::{self, Garble, Reply, describe, error, json};
use super::{Kind, Outbound, Resource, State};
use crate::domain::channel::Channel;
use crate::domain::routes::Route;

/// What happens to one call or message to a number. Steps are used in order, one per request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// A person answers; optionally presses a key at the question.
    Answer {
        press: Option<&'static str>,
    },
    /// Voicemail picks up; the message is left after the beep.
    Voicemail,
    NoAnswer,
    Busy,
    CallFailed,
    /// The text is delivered; optionally the patient replies.
    Deliver {
        reply: Option<&'static str>,
    },
    /// The carrier never sends a delivery receipt: the message stays `sent`.
    SentNoReceipt,
    /// The text is not delivered, with this delivery error code.
    Undeliver(i64),
    /// Twilio refuses the create request with this HTTP status and error code.
    Refuse {
        http: u16,
        code: i64,
    },
    /// As the inner step, but the final status callback is lost on the way.
    LoseFinalCallback(Box<Step>),
    /// Twilio accepts the request and the call or message makes no progress: it stays
    /// `queued`, and no callback comes (a test sets its outcome with `set_status`).
    Stay,
    /// The inner step happens at Twilio, but the answer to the create request is garbled on
    /// the way back (a proxy in between, or Twilio in trouble).
    Garbled(Garble, Box<Step>),
    /// The inner step happens at Twilio, and the answer never comes: the connection stalls.
    Stall(Box<Step>),
    /// The request is lost on the way: Twilio never acts on it, and no answer comes.
    Lost,
}

pub(super) fn create(st: &mut State, channel: Channel, params: &[(String, String)]) -> Reply {
    let get = |n: &str| params.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    let Some(to) = get("To") else {
        return Reply::Now(error(400, 21604, "A 'To' phone number is required."));
    };
    let default = match channel {
        Channel::Call => st.default_call.clone(),
        _ => st.default_sms.clone(),
    };
    let step = st
        .scripts
        .get_mut(&to)
        .and_then(VecDeque::pop_front)
        .unwrap_or(default);
    if let Step::Refuse { http, code } = step {
        return Reply::Now(error(http, code, &refusal_message(code, &to)));
    }
    if step == Step::Lost {
        return Reply::Never;
    }
    // How the answer to this request travels back, once Twilio has acted on it.
    let (step, answer_fault) = match step {
        Step::Garbled(g, inner) => (*inner, Some(Some(g))),
        Step::Stall(inner) => (*inner, Some(None)),
        s => (s, None),
    };
    let (step, lose_final) = match step {
        Step::LoseFinalCallback(inner) => (*inner, true),
        s => (s, false),
    };
    let n = st.resources.len() + 1;
    let account = st.account_sid.clone();
    let from = get("From")
        .or_else(|| get("MessagingServiceSid"))
        .unwrap_or_default();
    let callback = get("StatusCallback").map(|u| u.split('#').next().unwrap_or("").to_string());
    let mut r = Resource {
        sid: format!(
            "{}{n:032x}",
            if channel == Channel::Call { "CA" } else { "SM" }
        ),
        channel,
        to: to.clone(),
        from: from.clone(),
        content: get(if channel == Channel::Call {
            "Twiml"
        } else {
            "Body"
        })
        .unwrap_or_default(),
        status: String::new(),
        created: st.now(),
        answered_by: None,
        duration: None,
        error_code: None,
        extra: serde_json::Map::new(),
    };
    let mut events: Vec<Outbound> = Vec::new();
    let now = st.now();
    let entry = st.contacts.entry(to.clone()).or_default();
    match channel {
        _ if step == Step::Stay => {
            match channel {
                Channel::Call => entry.calls += 1,
                _ => entry.texts += 1,
            }
            r.status = "queued".into();
        }
        Channel::Call => {
            entry.calls += 1;
            let wanted: Vec<String> = params
                .iter()
                .filter(|(k, _)| k == "StatusCallbackEvent")
                .map(|(_, v)| v.clone())
                .collect();
            let (path, final_status, answered_by, duration, press): (
                &[&str],
                &str,
                Option<&'static str>,
                Option<i64>,
                Option<&str>,
            ) = match &step {
                Step::Answer { press } => (
                    &["initiated", "ringing", "answered"],
                    "completed",
                    Some("human"),
                    Some(24),
                    *press,
                ),
                Step::Voicemail => (
                    &["initiated", "ringing", "answered"],
                    "completed",
                    Some("machine_end_beep"),
                    Some(38),
                    None,
                ),
                Step::NoAnswer => (&["initiated", "ringing"], "no-answer", None, Some(0), None),
                Step::Busy => (&["initiated"], "busy", None, Some(0), None),
                _ => (&["initiated"], "failed", None, Some(0), None),
            };
            r.status = final_status.to_string();
            r.answered_by = answered_by;
            r.duration = duration;
            let mut seq = 0;
            let call_params = |status: &str, seq: i64, last: bool| {
                let mut p = vec![
                    ("AccountSid", account.clone()),
                    ("ApiVersion", "2010-04-01".to_string()),
                    ("CallSid", r.sid.clone()),
                    ("CallStatus", status.to_string()),
                    ("Called", to.clone()),
                    ("Caller", from.clone()),
                    ("Direction", "outbound-api".to_string()),
                    ("From", from.clone()),
                    ("To", to.clone()),
                    ("CallbackSource", "call-progress-events".to_string()),
                    ("SequenceNumber", seq.to_string()),
                    ("Timestamp", now.to_rfc2822()),
                ];
                if last {
                    p.push(("CallDuration", duration.unwrap_or(0).to_string()));
                    p.push((
                        "Duration",
                        duration.map(|d| (d + 59) / 60).unwrap_or(0).to_string(),
                    ));
                    if let Some(a) = answered_by {
                        p.push(("AnsweredBy", a.to_string()));
                    }
                }
                p.into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect::<Vec<_>>()
            };
            if let Some(url) = &callback {
                for event in path {
                    let status = if *event == "answered" {
                        "in-progress"
                    } else {
                        event
                    };
                    if wanted.iter().any(|w| w == event) {
                        events.push(Outbound {
                            url: url.clone(),
                            params: call_params(status, seq, false),
                            kind: Kind::Callback,
                        });
                        seq += 1;
                    }
                }
            }
            if let (Some(digits), Some(action)) =
                (press, get("Twiml").and_then(|t| gather_action(&t)))
            {
                let p = [
                    ("AccountSid", account.as_str()),
                    ("CallSid", &r.sid),
                    ("Digits", digits),
                    ("FinishedOnKey", ""),
                    ("From", &from),
                    ("To", &to),
                    ("CallStatus", "in-progress"),
                    ("Direction", "outbound-api"),
                    ("ApiVersion", "2010-04-01"),
                ];
                events.push(Outbound {
                    url: action,
                    params: p
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect(),
                    kind: Kind::Keypress,
                });
            }
            if let (Some(url), false) = (&callback, lose_final) {
                events.push(Outbound {
                    url: url.clone(),
                    params: call_params(final_status, seq, true),
                    kind: Kind::Callback,
                });
            }
        }
        _ => {
            entry.texts += 1;
            let (final_status, code, reply) = match &step {
                Step::Deliver { reply } => (Some("delivered"), None, *reply),
                Step::SentNoReceipt => (None, None, None),
                Step::Undeliver(code) => (Some("undelivered"), Some(*code), None),
                _ => (Some("failed"), Some(30008), None),
            };
            r.status = final_status.unwrap_or("sent").to_string();
            r.error_code = code;
            let sms_params = |status: &str, code: Option<i64>| {
                let mut p = vec![
                    ("AccountSid", account.clone()),
                    ("ApiVersion", "2010-04-01".to_string()),
                    ("From", from.clone()),
                    ("To", to.clone()),
                    ("MessageSid", r.sid.clone()),
                    ("MessageStatus", status.to_string()),
                    ("SmsSid", r.sid.clone()),
                    ("SmsStatus", status.to_string()),
                ];
                if let Some(c) = code {
                    p.push(("ErrorCode", c.to_string()));
                }
                p.into_iter()
                    .map(|(k, v)| (k.to_string(), v))
                    .collect::<Vec<_>>()
            };
            if let Some(url) = &callback {
                events.push(Outbound {
                    url: url.clone(),
                    params: sms_params("sent", None),
                    kind: Kind::Callback,
                });
                if let (Some(status), false) = (final_status, lose_final) {
                    events.push(Outbound {
                        url: url.clone(),
                        params: sms_params(status, code),
                        kind: Kind::Callback,
                    });
                }
                if let Some(body) = reply {
                    let base = url.trim_end_matches(Route::SmsStatus.path());
                    let sid = format!("SM{:032x}", 0x00f0_0000 + n);
                    let p = [
                        ("MessageSid", sid.as_str()),
                        ("SmsSid", &sid),
                        ("AccountSid", account.as_str()),
                        ("From", &to),
                        ("To", &from),
                        ("Body", body),
                        ("NumMedia", "0"),
                        ("NumSegments", "1"),
                        ("SmsStatus", "received"),
                        ("ApiVersion", "2010-04-01"),
                    ];
                    events.push(Outbound {
                        url: Route::SmsInbound.url(base),
                        params: p
                            .iter()
                            .map(|(k, v)| (k.to_string(), v.to_string()))
                            .collect(),
                        kind: Kind::Reply,
                    });
                }
            }
        }
    }
    let answer = describe(&r, false);
    st.resources.push(r);
    st.pending.extend(events);
    match answer_fault {
        None => Reply::Now(json(201, answer)),
        Some(Some(garble)) => Reply::Now(answer::garbled(garble, &answer)),
        Some(None) => Reply::Never,
    }
}

/// The absolute `action` URL of the TwiML's `<Gather>`, unescaped.
fn gather_action(twiml: &str) -> Option<String> {
    let start = twiml.find("<Gather")?;
    let rest = &twiml[start..];
    let at = rest.find("action=\"")? + "action=\"".len();
    let end = rest[at..].find('"')?;
    Some(
        rest[at..at + end]
            .replace("&amp;", "&")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&lt;", "<")
            .replace("&gt;", ">"),
    )
}

/// Twilio's own words for a refusal; like Twilio's, some quote the number.
fn refusal_message(code: i64, to: &str) -> String {
    match code {
        20429 => "Too Many Requests".into(),
        20003 => "Authenticate".into(),
        21211 => format!("The 'To' number {to} is not a valid phone number."),
        21610 => "Attempt to send to unsubscribed recipient".into(),
        21614 => format!("The 'To' number {to} is not a valid mobile number."),
        _ => "Simulated error".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_gather_action() {
        let twiml = r#"<Response><Gather input="dtmf" action="https://x.test/twilio/voice-gather?appointment=7&amp;a=1"><Say>x</Say></Gather></Response>"#;
        assert_eq!(
            gather_action(twiml).as_deref(),
            Some("https://x.test/twilio/voice-gather?appointment=7&a=1")
        );
        assert_eq!(gather_action("<Response/>"), None);
    }
}
