//! The simulator's HTTP side: a hyper server on loopback, Twilio's URL layout and JSON shapes,
//! and the faulty answers a step can ask for.

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;

use super::answer::{Reply, describe, error, json};
use super::lifecycle;
use super::{Received, State};
use crate::domain::channel::Channel;

pub(super) struct App {
    pub account_sid: String,
    pub authorization: String,
    pub state: Arc<Mutex<State>>,
    pub in_flight: Arc<AtomicUsize>,
    pub max_in_flight: Arc<AtomicUsize>,
    pub hold: Arc<Hold>,
}

/// Create requests a test has the simulator keep unanswered until it says so: it then acts
/// while a run is known to be waiting on Twilio (moves the clock, sends a signal, kills it).
pub(super) struct Hold {
    /// Creates numbered from this one on (the first create is 1) wait; `None` lets all go.
    pub from: tokio::sync::watch::Sender<Option<usize>>,
    /// How many are waiting now.
    pub waiting: AtomicUsize,
}

pub(super) async fn serve(
    listener: std::net::TcpListener,
    app: Arc<App>,
    mut stop: tokio::sync::oneshot::Receiver<()>,
) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
        return;
    };
    let mut connections = 0u64;
    loop {
        let accepted = tokio::select! {
            a = listener.accept() => a,
            _ = &mut stop => return,
        };
        let Ok((stream, _)) = accepted else { continue };
        connections += 1;
        let connection = connections;
        let app = app.clone();
        tokio::spawn(async move {
            let service = service_fn(move |req| {
                let app = app.clone();
                async move { Ok::<_, Infallible>(handle(&app, req, connection).await) }
            });
            // Keep-alive, as at Twilio: a client reuses its connections.
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

async fn handle(
    app: &App,
    req: Request<hyper::body::Incoming>,
    connection: u64,
) -> Response<Full<Bytes>> {
    let n = app.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
    app.max_in_flight.fetch_max(n, Ordering::SeqCst);
    let (reply, latency, create) = answer(app, req, connection).await;
    // Twilio has acted on the request before its answer travels back: a client killed while
    // waiting has still created the call.
    if let Some(number) = create {
        let mut from = app.hold.from.subscribe();
        let held = |f: &Option<usize>| f.is_some_and(|f| number >= f);
        if held(&from.borrow()) {
            app.hold.waiting.fetch_add(1, Ordering::SeqCst);
            // An error means the simulator is going away: nothing is held any more.
            let _ = from.wait_for(|f| !held(f)).await;
            app.hold.waiting.fetch_sub(1, Ordering::SeqCst);
        }
    }
    tokio::time::sleep(latency).await;
    let response = match reply {
        Reply::Now(r) => r,
        Reply::Never => std::future::pending().await,
    };
    app.in_flight.fetch_sub(1, Ordering::SeqCst);
    response
}

/// The reply, the latency to answer it with, and the number of a create request (counted from 1).
async fn answer(
    app: &App,
    req: Request<hyper::body::Incoming>,
    connection: u64,
) -> (Reply, std::time::Duration, Option<usize>) {
    let arrived = Instant::now();
    let method = req.method().to_string();
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or("").to_string();
    let authorization = req
        .headers()
        .get("Authorization")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let body = match req.into_body().collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => {
            return (
                Reply::Now(error(400, 20001, "unreadable body")),
                std::time::Duration::ZERO,
                None,
            );
        }
    };
    let source = if method == "POST" {
        &body[..]
    } else {
        query.as_bytes()
    };
    let params: Vec<(String, String)> = form_urlencoded::parse(source).into_owned().collect();
    let mut st = app.state.lock().unwrap_or_else(|e| e.into_inner());
    let latency = st.latency;
    st.received.push(Received {
        method: method.clone(),
        path: path.clone(),
        params: params.clone(),
        at: arrived,
        authorization: authorization.clone(),
        connection,
    });
    let create = (method == "POST").then(|| st.received.iter().filter(|r| r.is_create()).count());
    if authorization.as_deref() != Some(app.authorization.as_str()) {
        return (
            Reply::Now(error(401, 20003, "Authenticate")),
            latency,
            create,
        );
    }
    (
        route(app, &mut st, &method, &path, &params),
        latency,
        create,
    )
}

fn route(
    app: &App,
    st: &mut State,
    method: &str,
    path: &str,
    params: &[(String, String)],
) -> Reply {
    if let Some(reply) = super::account::route(&app.account_sid, &st.holdings, method, path, params)
    {
        return reply;
    }
    let not_found = || Reply::Now(error(404, 20404, "The requested resource was not found"));
    let prefix = format!("/2010-04-01/Accounts/{}/", app.account_sid);
    let Some(rest) = path.strip_prefix(&prefix) else {
        return not_found();
    };
    let (collection, sid) = match rest.split_once('/') {
        Some((c, s)) => (c, Some(s.trim_end_matches(".json"))),
        None => (rest.trim_end_matches(".json"), None),
    };
    let channel = match collection {
        "Calls" => Channel::Call,
        "Messages" => Channel::Sms,
        _ => return not_found(),
    };
    match (method, sid) {
        ("POST", None) => lifecycle::create(st, channel, params),
        ("GET", Some(sid)) => match st
            .resources
            .iter()
            .find(|r| r.sid == sid && r.channel == channel)
        {
            Some(r) => Reply::Now(json(200, describe(r, true))),
            None => not_found(),
        },
        ("GET", None) => {
            let to = params.iter().find(|(k, _)| k == "To").map(|(_, v)| v);
            let list: Vec<serde_json::Value> = st
                .resources
                .iter()
                .rev()
                .filter(|r| r.channel == channel && to.is_none_or(|t| *t == r.to))
                .take(50)
                .map(|r| describe(r, true))
                .collect();
            let key = if channel == Channel::Call {
                "calls"
            } else {
                "messages"
            };
            Reply::Now(json(
                200,
                serde_json::json!({ key: list, "next_page_uri": null, "page_size": 50 }),
            ))
        }
        _ => Reply::Now(error(405, 20004, "Method not allowed")),
    }
}
