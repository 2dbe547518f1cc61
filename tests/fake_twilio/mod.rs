//! A fake Twilio REST API over real HTTP on 127.0.0.1, for the binary's real client to talk to
//! through `TWILIO_API_BASE`. It records every request (form parameters, arrival time), creates
//! calls and messages with Twilio's response shapes, answers fetch and list requests, plays
//! scripted errors per number, and can answer slowly.

#![allow(dead_code)]

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

pub const ACCOUNT: &str = "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";
pub const TOKEN: &str = "ffffffffffffffffffffffffffffffff";

#[derive(Clone, Debug)]
pub struct Received {
    pub method: String,
    pub path: String,
    pub params: Vec<(String, String)>,
    pub at: Instant,
    pub authorization: Option<String>,
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

/// A scripted answer to the next create request for a number.
#[derive(Clone, Debug)]
pub enum Script {
    Error {
        http: u16,
        code: i64,
        message: &'static str,
    },
}

#[derive(Clone, Debug)]
pub struct Resource {
    pub sid: String,
    pub kind: &'static str,
    pub to: String,
    pub status: String,
    pub created: DateTime<Utc>,
    pub extra: serde_json::Map<String, serde_json::Value>,
}

impl Resource {
    fn json(&self) -> serde_json::Value {
        let mut v = serde_json::json!({
            "sid": self.sid,
            "account_sid": ACCOUNT,
            "to": self.to,
            "from": "+16135550000",
            "status": self.status,
            "date_created": self.created.to_rfc2822(),
            "uri": format!("/2010-04-01/Accounts/{ACCOUNT}/{}/{}.json", self.kind, self.sid),
        });
        if let Some(obj) = v.as_object_mut() {
            for (k, val) in &self.extra {
                obj.insert(k.clone(), val.clone());
            }
        }
        v
    }
}

#[derive(Default)]
struct State {
    received: Vec<Received>,
    resources: Vec<Resource>,
    scripts: HashMap<String, VecDeque<Script>>,
    latency: Duration,
}

pub struct FakeTwilio {
    server: Arc<tiny_http::Server>,
    state: Arc<Mutex<State>>,
    in_flight: Arc<AtomicUsize>,
    max_in_flight: Arc<AtomicUsize>,
    pub base: String,
    /// The instant stamped as `date_created` at start: the tests' simulated "now".
    clock_start: DateTime<Utc>,
    started: Instant,
}

impl FakeTwilio {
    pub fn start(now: &str) -> FakeTwilio {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind fake twilio"));
        let port = server.server_addr().to_ip().expect("ip").port();
        let fake = FakeTwilio {
            server: server.clone(),
            state: Arc::new(Mutex::new(State::default())),
            in_flight: Arc::new(AtomicUsize::new(0)),
            max_in_flight: Arc::new(AtomicUsize::new(0)),
            base: format!("http://127.0.0.1:{port}"),
            clock_start: DateTime::parse_from_rfc3339(now)
                .expect("now")
                .with_timezone(&Utc),
            started: Instant::now(),
        };
        let (state, in_flight, max, clock_start, started) = (
            fake.state.clone(),
            fake.in_flight.clone(),
            fake.max_in_flight.clone(),
            fake.clock_start,
            fake.started,
        );
        std::thread::spawn(move || {
            for request in server.incoming_requests() {
                let (state, in_flight, max) = (state.clone(), in_flight.clone(), max.clone());
                std::thread::spawn(move || {
                    let n = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
                    max.fetch_max(n, Ordering::SeqCst);
                    handle(request, &state, clock_start, started);
                    in_flight.fetch_sub(1, Ordering::SeqCst);
                });
            }
        });
        fake
    }

    pub fn set_latency(&self, d: Duration) {
        self.state.lock().unwrap().latency = d;
    }

    /// The next create request to `to` gets this answer instead of success.
    pub fn script(&self, to: &str, s: Script) {
        self.state
            .lock()
            .unwrap()
            .scripts
            .entry(to.to_string())
            .or_default()
            .push_back(s);
    }

    pub fn received(&self) -> Vec<Received> {
        self.state.lock().unwrap().received.clone()
    }

    pub fn creates(&self) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(Received::is_create)
            .collect()
    }

    pub fn creates_to(&self, to: &str) -> Vec<Received> {
        self.creates()
            .into_iter()
            .filter(|r| r.param("To") == Some(to))
            .collect()
    }

    /// The SID of the first call or message created for `to`.
    pub fn sid_to(&self, to: &str) -> String {
        self.resources()
            .into_iter()
            .find(|r| r.to == to)
            .map(|r| r.sid)
            .unwrap_or_else(|| panic!("nothing was created for {to}"))
    }

    pub fn resources(&self) -> Vec<Resource> {
        self.state.lock().unwrap().resources.clone()
    }

    /// Changes what fetch/list report for a resource (a final status the callback never brought).
    pub fn set_status(&self, sid: &str, status: &str, extra: serde_json::Value) {
        let mut st = self.state.lock().unwrap();
        if let Some(r) = st.resources.iter_mut().find(|r| r.sid == sid) {
            r.status = status.to_string();
            if let Some(obj) = extra.as_object() {
                for (k, v) in obj {
                    r.extra.insert(k.clone(), v.clone());
                }
            }
        }
    }

    pub fn max_in_flight(&self) -> usize {
        self.max_in_flight.load(Ordering::SeqCst)
    }

    /// Environment for the binary: credentials and this fake as the API base.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("TWILIO_ACCOUNT_SID", ACCOUNT.to_string()),
            ("TWILIO_AUTH_TOKEN", TOKEN.to_string()),
            ("TWILIO_PHONE_NUMBER", "+16135550000".to_string()),
            ("TWILIO_API_BASE", self.base.clone()),
            ("REMINDERS_PUBLIC_URL", "https://rem.example.ca".to_string()),
        ]
    }
}

impl Drop for FakeTwilio {
    fn drop(&mut self) {
        self.server.unblock();
    }
}

fn handle(
    mut request: tiny_http::Request,
    state: &Mutex<State>,
    clock_start: DateTime<Utc>,
    started: Instant,
) {
    let arrived = Instant::now();
    let method = request.method().to_string();
    let url = request.url().to_string();
    let (path, query) = url.split_once('?').unwrap_or((&url, ""));
    let path = path.to_string();
    let mut body = String::new();
    let _ = std::io::Read::read_to_string(request.as_reader(), &mut body);
    let source = if method == "POST" {
        body.as_str()
    } else {
        query
    };
    let params: Vec<(String, String)> = form_urlencoded::parse(source.as_bytes())
        .into_owned()
        .collect();
    let authorization = request
        .headers()
        .iter()
        .find(|h| h.field.equiv("Authorization"))
        .map(|h| h.value.to_string());
    let received = Received {
        method: method.clone(),
        path: path.clone(),
        params: params.clone(),
        at: arrived,
        authorization,
    };
    let latency = {
        let mut st = state.lock().unwrap();
        st.received.push(received);
        st.latency
    };
    let now = clock_start + chrono::Duration::from_std(started.elapsed()).unwrap();
    let (status, json) = answer(&method, &path, &params, state, now);
    // Twilio has acted on the request before its answer travels back: a client killed while
    // waiting has still created the call.
    std::thread::sleep(latency);
    let response = tiny_http::Response::from_string(json.to_string())
        .with_status_code(status)
        .with_header(
            "Content-Type: application/json"
                .parse::<tiny_http::Header>()
                .unwrap(),
        );
    let _ = request.respond(response);
}

fn answer(
    method: &str,
    path: &str,
    params: &[(String, String)],
    state: &Mutex<State>,
    now: DateTime<Utc>,
) -> (u16, serde_json::Value) {
    let prefix = format!("/2010-04-01/Accounts/{ACCOUNT}/");
    let Some(rest) = path.strip_prefix(&prefix) else {
        return (
            404,
            serde_json::json!({"code": 20404, "message": "not found", "status": 404}),
        );
    };
    let param = |n: &str| params.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone());
    let mut st = state.lock().unwrap();
    match (method, rest) {
        ("POST", "Calls.json" | "Messages.json") => {
            let to = param("To").unwrap_or_default();
            if let Some(Script::Error {
                http,
                code,
                message,
            }) = st.scripts.get_mut(&to).and_then(|q| q.pop_front())
            {
                return (
                    http,
                    serde_json::json!({"code": code, "message": message, "status": http}),
                );
            }
            let kind = if rest == "Calls.json" {
                "Calls"
            } else {
                "Messages"
            };
            let prefix = if kind == "Calls" { "CA" } else { "SM" };
            let sid = format!("{prefix}{:032x}", st.resources.len() + 1);
            let r = Resource {
                sid,
                kind,
                to,
                status: "queued".into(),
                created: now,
                extra: Default::default(),
            };
            st.resources.push(r.clone());
            (201, r.json())
        }
        ("GET", "Calls.json" | "Messages.json") => {
            let kind = if rest == "Calls.json" {
                "Calls"
            } else {
                "Messages"
            };
            let to = param("To");
            let mut list: Vec<serde_json::Value> = st
                .resources
                .iter()
                .rev()
                .filter(|r| r.kind == kind && to.as_deref().is_none_or(|t| t == r.to))
                .map(Resource::json)
                .collect();
            list.truncate(50);
            let key = if kind == "Calls" { "calls" } else { "messages" };
            (
                200,
                serde_json::json!({ key: list, "next_page_uri": null, "page_size": 50 }),
            )
        }
        ("GET", other) => {
            let sid = other
                .rsplit('/')
                .next()
                .unwrap_or("")
                .trim_end_matches(".json");
            match st.resources.iter().find(|r| r.sid == sid) {
                Some(r) => (200, r.json()),
                None => (
                    404,
                    serde_json::json!({"code": 20404, "message": "not found", "status": 404}),
                ),
            }
        }
        _ => (
            405,
            serde_json::json!({"code": 20004, "message": "method not allowed", "status": 405}),
        ),
    }
}
