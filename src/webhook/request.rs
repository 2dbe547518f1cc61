//! What a signed request asks for, checked before any database work: the routes, the
//! parameters each needs (a missing one is a 400), and how a repeat of the same event is
//! recognised.

use crate::db::attempts::StatusReport;
use crate::domain::channel::Channel;
use crate::domain::outcome;
pub use crate::domain::routes::Route;
use crate::webhook::form;

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
        /// The number the patient wrote to, and the messaging service it belongs to if any:
        /// the thread, which says which of our senders (which site) they answer.
        to: String,
        messaging_service: Option<String>,
        body: String,
        /// Set when Twilio's own opt-out handling matched the message (`STOP`, `START`, `HELP`).
        twilio_handled: Option<String>,
    },
    /// Someone calls one of our numbers (a patient calling the number a reminder came from).
    Call {
        call_sid: String,
        /// The caller; empty or `anonymous` when the caller ID is withheld.
        from: String,
        /// The number they called: which site's line it is.
        to: String,
    },
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
                    // Twilio's text may quote the patient's number: stored masked.
                    error_message: text("ErrorMessage").map(|m| crate::mask::phones_in(&m)),
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
            to: form::get(params, "To").unwrap_or("").trim().to_string(),
            messaging_service: text("MessagingServiceSid"),
            body: form::get(params, "Body").unwrap_or("").to_string(),
            twilio_handled: text("OptOutType").map(|t| t.to_ascii_uppercase()),
        }),
        Route::VoiceInbound => Ok(Plan::Call {
            call_sid: required(params, "CallSid")?.to_string(),
            from: form::get(params, "From").unwrap_or("").trim().to_string(),
            to: form::get(params, "To").unwrap_or("").trim().to_string(),
        }),
        Route::Health => Err("not a callback".into()),
    }
}

impl Plan {
    pub fn sid(&self) -> &str {
        match self {
            Plan::Status { report } => &report.sid,
            Plan::Gather { call_sid, .. } => call_sid,
            Plan::Inbound { message_sid, .. } => message_sid,
            Plan::Call { call_sid, .. } => call_sid,
        }
    }

    /// What makes a repeat a repeat (Twilio's callbacks: (CallSid, SequenceNumber), (MessageSid,
    /// MessageStatus)); a keypress or reply is the same event when Twilio posts it again.
    pub fn dedupe_key(&self, route: Route) -> String {
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
            Plan::Call { call_sid, .. } => format!("incoming-call:{call_sid}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::twilio::signature;

    /// Random bodies, queries and signatures through every check a request meets before the
    /// database (form parsing, the signature, the plan): none panics, and a signature that was
    /// not made with the token never passes. Seeded (xorshift), bounded to about a second.
    #[test]
    fn fuzzed_requests_never_panic_and_random_signatures_never_pass() {
        let mut state: u64 = 0x0ddb_a11c_0ffe_e123;
        let mut next = move || {
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            state.wrapping_mul(0x2545_F491_4F6C_DD1D)
        };
        let alphabet = b"aA%+=&;,. 09fFzZ\x00\xff\xc3\xa9\xe2\x80\x8b";
        let names = [
            "CallSid",
            "CallStatus",
            "SequenceNumber",
            "MessageSid",
            "From",
            "Body",
        ];
        let started = std::time::Instant::now();
        let mut n = 0;
        while started.elapsed() < std::time::Duration::from_secs(1) || n < 2000 {
            n += 1;
            let len = (next() % 96) as usize;
            let mut body: Vec<u8> = (0..len)
                .map(|_| alphabet[(next() % alphabet.len() as u64) as usize])
                .collect();
            if next() % 2 == 0 {
                let name = names[(next() % names.len() as u64) as usize];
                body.extend_from_slice(format!("&{name}=").as_bytes());
            }
            let query = String::from_utf8_lossy(&body[..len / 3]).into_owned();
            let Ok(params) = form::parse(&body) else {
                continue;
            };
            for route in [
                Route::CallStatus,
                Route::SmsStatus,
                Route::VoiceGather,
                Route::SmsInbound,
                Route::VoiceInbound,
                Route::Health,
            ] {
                if let Ok(p) = plan(route, &query, &params) {
                    let _ = (p.sid().len(), p.dedupe_key(route));
                }
            }
            let sig = String::from_utf8_lossy(&body[len / 2..]).into_owned();
            let url = format!("https://rem.example.ca/twilio/call-status?{query}");
            assert!(
                !signature::validate("token", &url, &params, &sig),
                "{body:?}"
            );
            let good = signature::compute("token", &url, &params);
            assert!(signature::validate("token", &url, &params, &good));
            assert!(!signature::validate("other", &url, &params, &good));
        }
    }
}
