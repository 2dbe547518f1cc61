//! The HTTP listener Twilio calls (docs/behaviour.md, "The listener's guarantees"): hyper 1 on
//! a tokio runtime.
//!
//! Every POST is checked the same way before anything is written: size (64 KiB, from
//! Content-Length and again while reading), a deadline for headers and for the body (a stalled
//! client is dropped and never holds up others), a well-formed body, and a valid
//! `X-Twilio-Signature` over the *public* URL. The database work then goes to one writer thread
//! that commits the callbacks waiting for it together (`writer.rs`); a callback is answered only
//! once its commit succeeded, and if it cannot be stored the answer is 503 so Twilio tries
//! again, never 200 for a callback that was not stored.
//!
//! SIGTERM/SIGINT: stop accepting, let requests in flight finish, exit 0.

pub mod form;
pub mod handlers;
pub mod inbound;
pub mod offer_reply;
pub mod reply_text;
pub mod request;
pub mod twiml;
pub mod voice_inbound;
pub mod writer;

use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use bytes::Bytes;
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::header::{ALLOW, CONTENT_LENGTH, CONTENT_TYPE};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::signal::unix::{SignalKind, signal};
use tokio::sync::Semaphore;

use crate::clock::{Clock, Stamp};
use crate::config::Secret;
use crate::twilio::signature;
use handlers::Settings;
use request::Route;
use writer::Writer;

/// Twilio's callbacks are a few hundred bytes; anything this big is not from Twilio.
pub const MAX_BODY: usize = 64 * 1024;
/// A client gets this long to send its request headers, and again its body.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
const BODY_TIMEOUT: Duration = Duration::from_secs(10);
/// Open connections at once; further clients wait in the kernel's backlog.
const MAX_CONNECTIONS: usize = 4096;
/// Requests waiting for (or in) the writer at once; beyond it they wait here, up to `DB_WAIT`,
/// so the writer's queue stays bounded.
const MAX_DB_WORK: usize = 64;
/// How long a request may wait for its turn at the database before it is answered 503.
const DB_WAIT: Duration = Duration::from_secs(10);
/// On SIGTERM, how long requests in flight get to finish.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(20);

pub struct Options {
    pub listen: SocketAddr,
    pub db: PathBuf,
    /// The run lock beside the database: runs that died are closed only while nobody holds it.
    pub lock: PathBuf,
    pub token: Secret,
    pub settings: Settings,
    pub clock: Clock,
}

struct App {
    token: Secret,
    settings: Settings,
    clock: Clock,
    /// The one writer: SQLite takes one write at a time anyway, and a single connection keeps
    /// its prepared statements warm.
    writer: Writer,
    db_work: Semaphore,
}

/// Runs the listener until SIGTERM or SIGINT.
pub fn serve(opts: Options) -> Result<()> {
    let store = writer::Store::open(&opts.db, crate::db::BUSY_TIMEOUT)?;
    if let Some(conn) = store.connection_for_startup() {
        crate::dispatch::lock::close_dead_runs(conn, &opts.lock, Stamp::from(opts.clock.now()));
    }
    log::info!(
        "storing callbacks in {} (each answered only once its commit is on the disk: synchronous=FULL)",
        opts.db.display()
    );
    let (writer, writer_thread) = Writer::start(store, opts.settings.clone())?;
    let app = Arc::new(App {
        token: opts.token,
        settings: opts.settings,
        clock: opts.clock,
        writer,
        db_work: Semaphore::new(MAX_DB_WORK),
    });
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let served = runtime.block_on(accept_loop(app, opts.listen));
    // Dropping the runtime drops what still holds the writer's handle, which lets it finish.
    drop(runtime);
    writer::join(writer_thread, SHUTDOWN_GRACE);
    served
}

async fn accept_loop(app: Arc<App>, listen: SocketAddr) -> Result<()> {
    // Signal handlers first, so a SIGTERM right after "listening" is already a clean stop.
    let mut term = signal(SignalKind::terminate()).context("installing the SIGTERM handler")?;
    let mut int = signal(SignalKind::interrupt()).context("installing the SIGINT handler")?;
    let listener = TcpListener::bind(listen)
        .await
        .with_context(|| format!("listening on {listen}"))?;
    let local = listener.local_addr()?;
    log::info!(
        "listening on {local} for {}/twilio/...",
        app.settings.public_url
    );

    let mut http = http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(HEADER_TIMEOUT)
        .keep_alive(true);
    let graceful = GracefulShutdown::new();
    let connections = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let reason = loop {
        let permit = tokio::select! {
            p = connections.clone().acquire_owned() => p.context("connection limit")?,
            _ = term.recv() => break "SIGTERM",
            _ = int.recv() => break "SIGINT",
        };
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(pair) => pair,
                Err(e) => {
                    // Out of file descriptors and the like: pause rather than spin.
                    log::warn!("accepting a connection: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = term.recv() => break "SIGTERM",
            _ = int.recv() => break "SIGINT",
        };
        let _ = stream.set_nodelay(true);
        let app = app.clone();
        let service = service_fn(move |req| {
            let app = app.clone();
            async move { Ok::<_, Infallible>(handle(app, peer, req).await) }
        });
        let conn = graceful.watch(http.serve_connection(TokioIo::new(stream), service));
        tokio::spawn(async move {
            if let Err(e) = conn.await {
                log::debug!("connection from {peer}: {e}");
            }
            drop(permit);
        });
    };
    drop(listener);
    log::info!("{reason}: no longer accepting; finishing requests in flight");
    tokio::select! {
        _ = graceful.shutdown() => log::info!("all requests answered; stopped"),
        _ = tokio::time::sleep(SHUTDOWN_GRACE) => {
            log::warn!("stopped with requests still open after {}s", SHUTDOWN_GRACE.as_secs())
        }
    }
    Ok(())
}

fn respond(
    status: StatusCode,
    content_type: &'static str,
    body: impl Into<Bytes>,
) -> Response<Full<Bytes>> {
    let mut res = Response::new(Full::new(body.into()));
    *res.status_mut() = status;
    res.headers_mut().insert(
        CONTENT_TYPE,
        hyper::header::HeaderValue::from_static(content_type),
    );
    res
}

fn plain(status: StatusCode, text: &'static str) -> Response<Full<Bytes>> {
    respond(status, "text/plain; charset=utf-8", text)
}

fn not_allowed(allow: &'static str) -> Response<Full<Bytes>> {
    let mut res = plain(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
    res.headers_mut()
        .insert(ALLOW, hyper::header::HeaderValue::from_static(allow));
    res
}

async fn handle(app: Arc<App>, peer: SocketAddr, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let Some(route) = Route::from_path(req.uri().path()) else {
        return plain(StatusCode::NOT_FOUND, "not found\n");
    };
    if route == Route::Health {
        if req.method() != Method::GET && req.method() != Method::HEAD {
            return not_allowed("GET, HEAD");
        }
        return health(app).await;
    }
    if req.method() != Method::POST {
        return not_allowed("POST");
    }
    let kind = route.kind();
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > MAX_BODY as u64) {
        log::warn!("{kind} from {peer}: body over {MAX_BODY} bytes, refused");
        return plain(StatusCode::PAYLOAD_TOO_LARGE, "body too large\n");
    }
    let given_signature = req
        .headers()
        .get("x-twilio-signature")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    // The URL Twilio requested: the configured public base, never the Host header, plus the
    // path and query exactly as they arrived.
    let url = format!(
        "{}{}",
        app.settings.public_url,
        req.uri().path_and_query().map_or("", |pq| pq.as_str())
    );
    let query = req.uri().query().unwrap_or("").to_string();

    let body = match tokio::time::timeout(
        BODY_TIMEOUT,
        Limited::new(req.into_body(), MAX_BODY).collect(),
    )
    .await
    {
        Err(_) => {
            log::warn!(
                "{kind} from {peer}: body not received within {}s",
                BODY_TIMEOUT.as_secs()
            );
            return plain(StatusCode::REQUEST_TIMEOUT, "request body timed out\n");
        }
        Ok(Err(e)) if e.downcast_ref::<LengthLimitError>().is_some() => {
            log::warn!("{kind} from {peer}: body over {MAX_BODY} bytes, refused");
            return plain(StatusCode::PAYLOAD_TOO_LARGE, "body too large\n");
        }
        Ok(Err(e)) => {
            log::warn!("{kind} from {peer}: reading the body: {e}");
            return plain(StatusCode::BAD_REQUEST, "unreadable body\n");
        }
        Ok(Ok(collected)) => collected.to_bytes(),
    };
    let params = match form::parse(&body) {
        Ok(p) => p,
        Err(form::Malformed(why)) => {
            log::warn!("{kind} from {peer}: malformed form body ({why})");
            return plain(StatusCode::BAD_REQUEST, "malformed form body\n");
        }
    };
    let signed = given_signature
        .is_some_and(|sig| signature::validate(app.token.expose(), &url, &params, &sig));
    if !signed {
        log::warn!("{kind} from {peer}: missing or invalid X-Twilio-Signature, refused");
        return plain(StatusCode::FORBIDDEN, "invalid signature\n");
    }
    let plan = match request::plan(route, &query, &params) {
        Ok(plan) => plan,
        Err(why) => {
            log::warn!("{kind} from {peer}: {why}");
            return plain(StatusCode::BAD_REQUEST, "missing or invalid parameters\n");
        }
    };
    let params_json = form::to_json(&params);
    let now = Stamp::from(app.clock.now());
    let Ok(Ok(_turn)) = tokio::time::timeout(DB_WAIT, app.db_work.acquire()).await else {
        log::error!(
            "{kind}: no turn at the database within {}s; answered 503",
            DB_WAIT.as_secs()
        );
        return plain(StatusCode::SERVICE_UNAVAILABLE, "busy, try again\n");
    };
    let callback = writer::Callback {
        route,
        plan,
        params_json,
        now,
    };
    match app.writer.store(callback).await {
        Ok(answer) => {
            let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
            match answer.xml {
                Some(doc) => respond(status, "text/xml; charset=utf-8", doc),
                None => respond(status, "text/plain; charset=utf-8", Bytes::new()),
            }
        }
        Err(e) => {
            log::error!("{kind}: not stored, answered 503 so Twilio retries: {e:#}");
            plain(StatusCode::SERVICE_UNAVAILABLE, "not stored, try again\n")
        }
    }
}

async fn health(app: Arc<App>) -> Response<Full<Bytes>> {
    match app.writer.health().await {
        Ok(()) => plain(StatusCode::OK, "ok\n"),
        Err(e) => {
            log::error!("healthz: database unreachable: {e:#}");
            plain(StatusCode::SERVICE_UNAVAILABLE, "database unreachable\n")
        }
    }
}
