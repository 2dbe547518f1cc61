//! A Twilio simulator for `demo`, the end-to-end tests and the benchmarks: an HTTP server on
//! loopback speaking the REST endpoints the client uses (create, fetch, list; calls and
//! messages) with Twilio's response shapes. Each number plays a script of steps (`lifecycle.rs`):
//! outcomes Twilio reports, refusals, and the faults a proxy or Twilio itself can produce
//! (a created call answered with a 502, an HTML page, a truncated body, or never answered).
//! When asked to `deliver`, it posts signed status callbacks, keypresses and patient replies to
//! the listener in the order Twilio generates them (Twilio's status callback docs); `incoming_call`
//! asks the listener, as Twilio does, what to do with a call to one of our numbers.
//!
//! The account side (`account.rs`) answers what `check` asks: the account and its status, the
//! numbers on it, messaging services; a test sets each (`set_account_status`, `add_number`,
//! `add_messaging_service`).
//!
//! Everything it receives is kept (`received`), so tests assert on what Twilio was asked. A test
//! can have it keep its answers to create requests (`hold_creates_from`, `release`), to act while
//! a run is known to be waiting on Twilio.

mod account;
mod answer;
mod http;
mod lifecycle;

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use base64::Engine;
use chrono::{DateTime, Utc};

use crate::domain::channel::Channel;
use crate::domain::routes::Route;
use crate::twilio::signature;
pub use account::Number;
pub use answer::Garble;
pub use lifecycle::Step;

/// One request as the simulator received it.
#[derive(Clone, Debug)]
pub struct Received {
    pub method: String,
    pub path: String,
    /// The form body of a POST, the query of a GET.
    pub params: Vec<(String, String)>,
    pub at: Instant,
    pub authorization: Option<String>,
    /// Which TCP connection it came on (numbered from 1 in order of arrival): the same number
    /// twice is a reused keep-alive connection.
    pub connection: u64,
}

impl Received {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    pub fn all(&self, name: &str) -> Vec<&str> {
        self.params
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }

    pub fn is_create(&self) -> bool {
        self.method == "POST"
    }
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

/// A call or message as the simulated Twilio holds it.
#[derive(Clone, Debug)]
pub struct Resource {
    pub sid: String,
    pub channel: Channel,
    pub to: String,
    pub from: String,
    /// What was sent: a text's body, or a call's TwiML (which only a message's resource shows).
    pub content: String,
    /// What a fetch reports: the final status of its step, or `queued` for a held one.
    pub status: String,
    pub created: DateTime<Utc>,
    pub answered_by: Option<&'static str>,
    pub duration: Option<i64>,
    pub error_code: Option<i64>,
    /// Fields a test set by hand (`set_status`), reported by fetch and list.
    pub extra: serde_json::Map<String, serde_json::Value>,
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
    /// The simulated clock: `now` when last set, moving on in real time since.
    now: DateTime<Utc>,
    now_set: Instant,
    scripts: HashMap<String, VecDeque<Step>>,
    default_call: Step,
    default_sms: Step,
    resources: Vec<Resource>,
    pending: VecDeque<Outbound>,
    contacts: HashMap<String, Contacts>,
    received: Vec<Received>,
    /// How long every answer takes, as Twilio's API does under load.
    latency: Duration,
    /// The account's status, numbers and messaging services.
    holdings: account::Holdings,
}

impl State {
    fn now(&self) -> DateTime<Utc> {
        self.now + chrono::Duration::from_std(self.now_set.elapsed()).unwrap_or_default()
    }
}

pub struct Simulator {
    addr: SocketAddr,
    account_sid: String,
    token: String,
    state: Arc<Mutex<State>>,
    in_flight: Arc<AtomicUsize>,
    max_in_flight: Arc<AtomicUsize>,
    hold: Arc<http::Hold>,
    /// Calls that came in to our numbers so far (each gets its own SID).
    calls_in: AtomicUsize,
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
            now_set: Instant::now(),
            scripts: HashMap::new(),
            default_call: Step::Answer { press: None },
            default_sms: Step::Deliver { reply: None },
            resources: Vec::new(),
            pending: VecDeque::new(),
            contacts: HashMap::new(),
            received: Vec::new(),
            latency: Duration::ZERO,
            holdings: account::Holdings::default(),
        }));
        let in_flight = Arc::new(AtomicUsize::new(0));
        let max_in_flight = Arc::new(AtomicUsize::new(0));
        let hold = Arc::new(http::Hold {
            from: tokio::sync::watch::Sender::new(None),
            waiting: AtomicUsize::new(0),
        });
        let (tx, rx) = tokio::sync::oneshot::channel();
        let app = Arc::new(http::App {
            account_sid: account_sid.to_string(),
            authorization: format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(format!("{account_sid}:{token}"))
            ),
            state: state.clone(),
            in_flight: in_flight.clone(),
            max_in_flight: max_in_flight.clone(),
            hold: hold.clone(),
        });
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("starting the simulator's runtime")?;
        let thread = std::thread::spawn(move || runtime.block_on(http::serve(listener, app, rx)));
        Ok(Simulator {
            addr,
            account_sid: account_sid.to_string(),
            token: token.to_string(),
            state,
            in_flight,
            max_in_flight,
            hold,
            calls_in: AtomicUsize::new(0),
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

    /// The simulated clock, stamped on what is created (`date_created`); it moves on in real
    /// time from here, as a run's clock does.
    pub fn set_now(&self, now: DateTime<Utc>) {
        let mut st = self.lock();
        st.now = now;
        st.now_set = Instant::now();
    }

    /// Steps for the next requests to `number`, one per request, in order.
    pub fn script(&self, number: &str, steps: Vec<Step>) {
        self.lock()
            .scripts
            .entry(number.to_string())
            .or_default()
            .extend(steps);
    }

    /// What a request to a number with no script left gets (default: answered / delivered).
    pub fn set_default(&self, channel: Channel, step: Step) {
        let mut st = self.lock();
        match channel {
            Channel::Call => st.default_call = step,
            _ => st.default_sms = step,
        }
    }

    pub fn set_latency(&self, latency: Duration) {
        self.lock().latency = latency;
    }

    /// From the `nth` create request on (the first is 1), Twilio acts on each but keeps its
    /// answer until [`release`](Self::release): a test then knows a run is waiting on Twilio
    /// with exactly `nth` contacts made, and does what it wants done at that moment.
    pub fn hold_creates_from(&self, nth: usize) {
        self.hold.from.send_replace(Some(nth.max(1)));
    }

    /// Answers every create request held, and holds no more.
    pub fn release(&self) {
        self.hold.from.send_replace(None);
    }

    /// Create requests being held now.
    pub fn held(&self) -> usize {
        self.hold.waiting.load(Ordering::SeqCst)
    }

    /// Changes what fetch and list report for a resource: an outcome whose callback never came.
    pub fn set_status(&self, sid: &str, status: &str, extra: serde_json::Value) {
        let mut st = self.lock();
        if let Some(r) = st.resources.iter_mut().find(|r| r.sid == sid) {
            r.status = status.to_string();
            if let Some(obj) = extra.as_object() {
                r.extra.extend(obj.clone());
            }
        }
    }

    /// The account's status: `active` (the default), `suspended` or `closed`.
    pub fn set_account_status(&self, status: &str) {
        self.lock().holdings.status = status.to_string();
    }

    /// Puts a number on the account (or replaces the one with the same digits).
    pub fn add_number(&self, number: Number) {
        let mut st = self.lock();
        let numbers = &mut st.holdings.numbers;
        numbers.retain(|n| n.phone_number != number.phone_number);
        numbers.push(number);
    }

    /// Creates a messaging service on the account.
    pub fn add_messaging_service(&self, sid: &str, friendly_name: &str) {
        self.lock()
            .holdings
            .services
            .push((sid.to_string(), friendly_name.to_string()));
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

    /// Every request received so far, in order of arrival (refused and unauthorised included).
    pub fn received(&self) -> Vec<Received> {
        self.lock().received.clone()
    }

    /// Create requests (calls and messages), in order of arrival.
    pub fn creates(&self) -> Vec<Received> {
        self.lock()
            .received
            .iter()
            .filter(|r| r.is_create())
            .cloned()
            .collect()
    }

    pub fn creates_to(&self, to: &str) -> Vec<Received> {
        self.creates()
            .into_iter()
            .filter(|r| r.param("To") == Some(to))
            .collect()
    }

    /// When each create request arrived, in order (for the rate a run reaches).
    pub fn create_times(&self) -> Vec<Instant> {
        self.creates().iter().map(|r| r.at).collect()
    }

    /// API requests received so far (creates, fetches, lists; refused ones included).
    pub fn requests(&self) -> usize {
        self.lock().received.len()
    }

    pub fn resources(&self) -> Vec<Resource> {
        self.lock().resources.clone()
    }

    /// The SID of the first call or message created for `to`.
    pub fn sid_to(&self, to: &str) -> Option<String> {
        self.lock()
            .resources
            .iter()
            .find(|r| r.to == to)
            .map(|r| r.sid.clone())
    }

    /// Requests being answered right now, and the most there ever were at once.
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::SeqCst)
    }

    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight.load(Ordering::SeqCst)
    }

    /// Posts every queued callback, keypress and reply to the listener, signed, in order; any
    /// answer but 200 is an error (a stored callback is what Twilio's 200 promises).
    pub fn deliver(&self) -> Result<Delivered> {
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(15)))
            .http_status_as_error(false)
            .build()
            .into();
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
                .header("X-Twilio-Signature", &sig)
                .send_form(form);
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

    /// Someone calls our number `to` from `from`: Twilio asks the number's voice URL (the
    /// listener under `public_url`) what to do, signed, and plays the TwiML it answers. Returns
    /// the listener's status and that TwiML; the call is not kept (it is not ours to fetch).
    pub fn incoming_call(&self, public_url: &str, from: &str, to: &str) -> Result<(u16, String)> {
        let n = self.calls_in.fetch_add(1, Ordering::SeqCst);
        let sid = format!("CA{:032x}", 0x00e0_0000 + n);
        let params: Vec<(String, String)> = [
            ("AccountSid", self.account_sid.as_str()),
            ("ApiVersion", "2010-04-01"),
            ("CallSid", &sid),
            ("CallStatus", "ringing"),
            ("Called", to),
            ("Caller", from),
            ("Direction", "inbound"),
            ("From", from),
            ("To", to),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let url = Route::VoiceInbound.url(public_url);
        let sig = signature::compute(&self.token, &url, &params);
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_global(Some(Duration::from_secs(15)))
            .http_status_as_error(false)
            .build()
            .into();
        let form: Vec<(&str, &str)> = params
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let mut resp = agent
            .post(&url)
            .header("X-Twilio-Signature", &sig)
            .send_form(form)
            .with_context(|| format!("posting to {url}"))?;
        let status = resp.status().as_u16();
        let body = resp
            .body_mut()
            .read_to_string()
            .with_context(|| format!("reading the answer of {url}"))?;
        Ok((status, body))
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
