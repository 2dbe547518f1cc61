//! What the simulator answers, in Twilio's JSON shapes, and the faulty answers a step can ask
//! for: shared by the HTTP side (`http.rs`) and what a request does (`lifecycle.rs`).

use bytes::Bytes;
use http_body_util::Full;
use hyper::Response;

use super::Resource;
use crate::domain::channel::Channel;

/// How the answer to a create request that did create something can go wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Garble {
    /// A proxy's 502 page.
    BadGateway,
    /// Twilio's own 503 with its JSON error.
    Unavailable,
    /// 200 with an HTML page instead of JSON.
    HtmlOk,
    /// 201 with an empty body.
    EmptyOk,
    /// 201 with the JSON cut half-way.
    Truncated,
}

/// What the simulator does with a request once it has acted on it.
pub(super) enum Reply {
    Now(Response<Full<Bytes>>),
    /// Accept the request and never answer (a stalled connection).
    Never,
}

pub(super) fn json(status: u16, body: serde_json::Value) -> Response<Full<Bytes>> {
    raw(status, "application/json", body.to_string())
}

fn raw(status: u16, content_type: &str, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header("Content-Type", content_type)
        .body(Full::new(body.into()))
        .unwrap_or_else(|_| Response::new(Full::new(Bytes::new())))
}

pub(super) fn error(status: u16, code: i64, message: &str) -> Response<Full<Bytes>> {
    json(
        status,
        serde_json::json!({
            "code": code, "message": message, "status": status,
            "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
        }),
    )
}

/// The answer a proxy or a troubled Twilio gives after the resource was created.
pub(super) fn garbled(g: Garble, created: &serde_json::Value) -> Response<Full<Bytes>> {
    const PAGE: &str =
        "<html><head><title>502 Bad Gateway</title></head><body><h1>Bad Gateway</h1></body></html>";
    match g {
        Garble::BadGateway => raw(502, "text/html", PAGE),
        Garble::Unavailable => error(503, 20500, "Service Unavailable"),
        Garble::HtmlOk => raw(200, "text/html", PAGE),
        Garble::EmptyOk => raw(201, "application/json", Bytes::new()),
        Garble::Truncated => {
            let text = created.to_string();
            raw(201, "application/json", text[..text.len() / 2].to_string())
        }
    }
}

/// A resource in Twilio's JSON shape: as created (`queued`) or as a fetch finds it later.
pub(super) fn describe(r: &Resource, later: bool) -> serde_json::Value {
    let status = if later { r.status.as_str() } else { "queued" };
    let collection = if r.channel == Channel::Call {
        "Calls"
    } else {
        "Messages"
    };
    let mut v = serde_json::json!({
        "sid": r.sid,
        "to": r.to,
        "from": r.from,
        "status": status,
        "date_created": r.created.to_rfc2822(),
        "start_time": if later && r.duration.is_some() { Some(r.created.to_rfc2822()) } else { None },
        "end_time": if later { r.duration.map(|d| (r.created + chrono::Duration::seconds(d)).to_rfc2822()) } else { None },
        "duration": if later { r.duration.map(|d| d.to_string()) } else { None },
        "answered_by": if later { r.answered_by } else { None },
        "error_code": if later { r.error_code } else { None },
        "error_message": null,
        "uri": format!("/2010-04-01/Accounts/AC/{collection}/{}.json", r.sid),
    });
    if let Some(obj) = v.as_object_mut() {
        if r.channel == Channel::Sms {
            obj.insert("body".into(), r.content.clone().into());
        }
        if later {
            obj.extend(r.extra.clone());
        }
    }
    v
}
