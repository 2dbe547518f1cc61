//! A Twilio simulator for `demo` and the end-to-end tests: an HTTP server on loopback speaking
//! the REST endpoints the client uses (create, fetch, list; calls and messages) with Twilio's
//! response shapes, playing a scripted outcome per number and attempt, and — when asked to
//! `deliver` — posting signed status callbacks, keypresses and patient replies to the listener
//! in the order Twilio generates them (`../shared/twilio.md`).

use std::collections::{HashMap, VecDeque};
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use anyhow::{Context, Result, bail};
use base64::Engine;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

use crate::domain::channel::Channel;
use crate::twilio::signature;

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
}

/// How many calls and texts actually went out to a number (refused requests do not count).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Contacts {
    pub calls: u32,
    pub texts: u32,
}

/// What one `deliver` posted to the listener.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Delivered {
    pub callbacks: usize,
    pub keypresses: usize,
    pub replies: usize,
}

#[derive(Clone, Debug)]
struct Resource {
    sid: String,
    channel: Channel,
    to: String,
    from: String,
    status: String,
    created: DateTime<Utc>,
    answered_by: Option<&'static str>,
    duration: Option<i64>,
    error_code: Option<i64>,
}

#[derive(Clone, Debug)]
enum Kind {
    Callback,
    Keypress,
    Reply,
}

#[derive(Clone, Debug)]
struct Outbound {
    url: String,
    params: Vec<(String, String)>,
    kind: Kind,
}

struct State {
    account_sid: String,
    now: DateTime<Utc>,
    scripts: HashMap<String, VecDeque<Step>>,
    resources: Vec<Resource>,
    pending: VecDeque<Outbound>,
    contacts: HashMap<String, Contacts>,
    requests: usize,
    /// When each create request arrived (for measuring the rate a run reaches).
    created_at: Vec<std::time::Instant>,
    /// How long every answer takes, as Twilio's API does under load.
    latency: std::time::Duration,
}

pub struct Simulator {
    addr: SocketAddr,
    account_sid: String,
    token: String,
    state: Arc<Mutex<State>>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Simulator {
    /// Starts on a free loopback port; requests must carry these credentials, as at Twilio.
    pub fn start(account_sid: &str, token: &str, now: DateTime<Utc>) -> Result<Simulator> {
        let listener =
            std::net::TcpListener::bind("127.0.0.1:0").context("binding the simulator")?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let state = Arc::new(Mutex::new(State {
            account_sid: account_sid.to_string(),
            now,
            scripts: HashMap::new(),
            resources: Vec::new(),
            pending: VecDeque::new(),
            contacts: HashMap::new(),
            requests: 0,
            created_at: Vec::new(),
            latency: std::time::Duration::ZERO,
        }));
        let (tx, rx) = tokio::sync::oneshot::channel();
        let app = Arc::new(App {
            account_sid: account_sid.to_string(),
            authorization: format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{account_sid}:{token}"))
            ),
            state: state.clone(),
        });
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("starting the simulator's runtime")?;
        let thread = std::thread::spawn(move || runtime.block_on(serve(listener, app, rx)));
        Ok(Simulator {
            addr,
            account_sid: account_sid.to_string(),
            token: token.to_string(),
            state,
            shutdown: Some(tx),
            thread: Some(thread),
        })
    }

    /// The API base to give the client (`TWILIO_API_BASE`).
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn account_sid(&self) -> &str {
        &self.account_sid
    }

    /// The simulated clock, stamped on what is created (`date_created`).
    pub fn set_now(&self, now: DateTime<Utc>) {
        self.lock().now = now;
    }

    pub fn script(&self, number: &str, steps: Vec<Step>) {
        self.lock()
            .scripts
            .entry(number.to_string())
            .or_default()
            .extend(steps);
    }

    pub fn contacts(&self, number: &str) -> Contacts {
        self.lock()
            .contacts
            .get(number)
            .copied()
            .unwrap_or_default()
    }

    pub fn total_contacts(&self) -> Contacts {
        self.lock()
            .contacts
            .values()
            .fold(Contacts::default(), |a, c| Contacts {
                calls: a.calls + c.calls,
                texts: a.texts + c.texts,
            })
    }

    pub fn set_latency(&self, latency: std::time::Duration) {
        self.lock().latency = latency;
    }

    /// When each create request arrived, in order.
    pub fn create_times(&self) -> Vec<std::time::Instant> {
        self.lock().created_at.clone()
    }

    /// API requests received so far (creates, fetches, lists; refused ones included).
    pub fn requests(&self) -> usize {
        self.lock().requests
    }

    /// Posts every queued callback, keypress and reply to the listener, signed, in order; any
    /// answer but 200 is an error (a stored callback is what Twilio's 200 promises).
    pub fn deliver(&self) -> Result<Delivered> {
        let agent = ureq::AgentBuilder::new()
            .timeout(std::time::Duration::from_secs(15))
            .build();
        let mut done = Delivered::default();
        loop {
            let next = self.lock().pending.pop_front();
            let Some(out) = next else { break };
            let sig = signature::compute(&self.token, &out.url, &out.params);
            let form: Vec<(&str, &str)> = out
                .params
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let resp = agent
                .post(&out.url)
                .set("X-Twilio-Signature", &sig)
                .send_form(&form);
            match resp {
                Ok(r) if r.status() == 200 => {}
                Ok(r) => bail!("the listener answered {} to {}", r.status(), out.url),
                Err(e) => bail!("posting to {}: {e}", out.url),
            }
            match out.kind {
                Kind::Callback => done.callbacks += 1,
                Kind::Keypress => done.keypresses += 1,
                Kind::Reply => done.replies += 1,
            }
        }
        Ok(done)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Drop for Simulator {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

struct App {
    account_sid: String,
    authorization: String,
    state: Arc<Mutex<State>>,
}

async fn serve(
    listener: std::net::TcpListener,
    app: Arc<App>,
    mut stop: tokio::sync::oneshot::Receiver<()>,
) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
        return;
    };
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = &mut stop => return,
        };
        let Ok((stream, _)) = accepted else { continue };
        let app = app.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let app = app.clone();
                async move { Ok::<_, Infallible>(handle(&app, req).await) }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

fn json(status: u16, body: serde_json::Value) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("Content-Type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
}

fn error(status: u16, code: i64, message: &str) -> Response<Full<Bytes>> {
    json(
        status,
        serde_json::json!({
            "code": code, "message": message, "status": status,
            "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
        }),
    )
}

async fn handle(app: &App, req: Request<hyper::body::Incoming>) -> Response<Full<Bytes>> {
    let arrived = std::time::Instant::now();
    let (response, latency) = answer(app, req, arrived).await;
    tokio::time::sleep(latency).await;
    response
}

async fn answer(
    app: &App,
    req: Request<hyper::body::Incoming>,
    arrived: std::time::Instant,
) -> (Response<Full<Bytes>>, std::time::Duration) {
    let method = req.method().clone();
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let authorized = req
        .headers()
        .get("Authorization")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == app.authorization);
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            return (
                error(400, 20001, "unreadable body"),
                std::time::Duration::ZERO,
            );
        }
    };
    let mut st = app.state.lock().unwrap_or_else(|e| e.into_inner());
    let latency = st.latency;
    st.requests += 1;
    if !authorized {
        return (error(401, 20003, "Authenticate"), latency);
    }
    (
        route(app, &mut st, &method, &path, &query, &body, arrived),
        latency,
    )
}

fn route(
    app: &App,
    st: &mut State,
    method: &hyper::Method,
    path: &str,
    query: &str,
    body: &[u8],
    arrived: std::time::Instant,
) -> Response<Full<Bytes>> {
    let prefix = format!("/2010-04-01/Accounts/{}/", app.account_sid);
    let Some(rest) = path.strip_prefix(&prefix) else {
        return error(404, 20404, "The requested resource was not found");
    };
    let (collection, sid) = match rest.split_once('/') {
        Some((c, s)) => (c, Some(s.trim_end_matches(".json"))),
        None => (rest.trim_end_matches(".json"), None),
    };
    let channel = match collection {
        "Calls" => Channel::Call,
        "Messages" => Channel::Sms,
        _ => return error(404, 20404, "The requested resource was not found"),
    };
    let params: Vec<(String, String)> = form_urlencoded::parse(body).into_owned().collect();
    match (method.as_str(), sid) {
        ("POST", None) => {
            st.created_at.push(arrived);
            create(st, channel, &params)
        }
        ("GET", Some(sid)) => match st
            .resources
            .iter()
            .find(|r| r.sid == sid && r.channel == channel)
        {
            Some(r) => json(200, describe(r, true)),
            None => error(404, 20404, "The requested resource was not found"),
        },
        ("GET", None) => {
            let to: Option<String> = form_urlencoded::parse(query.as_bytes())
                .find(|(k, _)| k == "To")
                .map(|(_, v)| v.into_owned());
            let list: Vec<serde_json::Value> = st
                .resources
                .iter()
                .rev()
                .filter(|r| r.channel == channel && to.as_deref().is_none_or(|t| t == r.to))
                .take(50)
                .map(|r| describe(r, true))
                .collect();
            let key = if channel == Channel::Call {
                "calls"
            } else {
                "messages"
            };
            json(
                200,
                serde_json::json!({ key: list, "next_page_uri": null, "page_size": 50 }),
            )
        }
        _ => error(405, 20004, "Method not allowed"),
    }
}

fn describe(r: &Resource, final_state: bool) -> serde_json::Value {
    let status = if final_state {
        r.status.as_str()
    } else {
        "queued"
    };
    let collection = if r.channel == Channel::Call {
        "Calls"
    } else {
        "Messages"
    };
    serde_json::json!({
        "sid": r.sid,
        "to": r.to,
        "from": r.from,
        "status": status,
        "date_created": r.created.to_rfc2822(),
        "start_time": if final_state && r.duration.is_some() { Some(r.created.to_rfc2822()) } else { None },
        "end_time": if final_state { r.duration.map(|d| (r.created + chrono::Duration::seconds(d)).to_rfc2822()) } else { None },
        "duration": if final_state { r.duration.map(|d| d.to_string()) } else { None },
        "answered_by": if final_state { r.answered_by } else { None },
        "error_code": if final_state { r.error_code } else { None },
        "error_message": null,
        "uri": format!("/2010-04-01/Accounts/AC/{collection}/{}.json", r.sid),
    })
}

fn create(st: &mut State, channel: Channel, params: &[(String, String)]) -> Response<Full<Bytes>> {
    let get = |n: &str| params.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    let Some(to) = get("To") else {
        return error(400, 21604, "A 'To' phone number is required.");
    };
    let default = match channel {
        Channel::Call => Step::Answer { press: None },
        _ => Step::Deliver { reply: None },
    };
    let step = st
        .scripts
        .get_mut(&to)
        .and_then(VecDeque::pop_front)
        .unwrap_or(default);
    if let Step::Refuse { http, code } = step {
        return error(http, code, refusal_message(code));
    }
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
        status: String::new(),
        created: st.now,
        answered_by: None,
        duration: None,
        error_code: None,
    };
    let mut events: Vec<Outbound> = Vec::new();
    let entry = st.contacts.entry(to.clone()).or_default();
    match channel {
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
                    ("Timestamp", st.now.to_rfc2822()),
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
                    let base = url.trim_end_matches(crate::dispatch::message::SMS_STATUS_PATH);
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
                        url: format!("{base}/twilio/sms-inbound"),
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
    json(201, answer)
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

fn refusal_message(code: i64) -> &'static str {
    match code {
        20429 => "Too Many Requests",
        20003 => "Authenticate",
        21211 => "The 'To' number is not a valid phone number.",
        21610 => "Attempt to send to unsubscribed recipient",
        21614 => "'To' number is not a valid mobile number",
        _ => "Simulated error",
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
