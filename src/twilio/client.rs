//! Twilio's REST API (2010-04-01) on ureq: create a call or message, fetch one, and list those
//! sent to a number. Basic auth, form bodies, JSON answers, Twilio's error JSON as a typed error.
//!
//! Twilio's error texts quote the number ("The 'To' number +14165550101 is not a valid phone
//! number"): every number in them is masked here, as they come in, so the send log, the stored
//! attempt and the views built on it never hold one.

use std::fmt;
use std::time::Duration;

use base64::Engine;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::config::Credentials;
use crate::db::attempts::StatusReport;
use crate::domain::channel::Channel;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiError {
    /// Twilio refused the request with its own error (JSON body with a code), or asked us to
    /// slow down (429): nothing was created.
    Refused {
        http_status: u16,
        code: Option<i64>,
        /// Twilio's text, with every phone number in it masked.
        message: String,
    },
    /// The answer does not say what happened: none came (connection failure, a deadline
    /// passed), or it was a 5xx, or not Twilio's JSON (a proxy's page, an empty or truncated
    /// body). For a create request the call or message may exist: ask Twilio before sending
    /// again.
    Unclear(String),
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::Refused {
                http_status,
                code: Some(code),
                message,
            } => write!(f, "Twilio error {code} (HTTP {http_status}): {message}"),
            ApiError::Refused {
                http_status,
                code: None,
                message,
            } => write!(f, "Twilio answered HTTP {http_status}: {message}"),
            ApiError::Unclear(why) => write!(f, "no clear answer from Twilio: {why}"),
        }
    }
}

impl std::error::Error for ApiError {}

/// A call or message as Twilio describes it (the fields this tool reads).
#[derive(Debug, Clone, Deserialize, PartialEq)]
pub struct Resource {
    pub sid: String,
    pub status: String,
    #[serde(default)]
    pub to: Option<String>,
    #[serde(default)]
    pub from: Option<String>,
    /// A message's text (a call's resource has none).
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub date_created: Option<String>,
    #[serde(default)]
    pub start_time: Option<String>,
    #[serde(default)]
    pub end_time: Option<String>,
    #[serde(default)]
    pub duration: Option<serde_json::Value>,
    #[serde(default)]
    pub answered_by: Option<String>,
    #[serde(default)]
    pub error_code: Option<serde_json::Value>,
    #[serde(default)]
    pub error_message: Option<String>,
    /// What Twilio charged, as it writes it (`"-0.00750"`, negative), once known.
    #[serde(default)]
    pub price: Option<serde_json::Value>,
    #[serde(default)]
    pub price_unit: Option<String>,
    #[serde(default)]
    pub num_segments: Option<serde_json::Value>,
}

impl Resource {
    pub fn created_at(&self) -> Option<DateTime<Utc>> {
        rfc2822(self.date_created.as_deref())
    }

    /// The resource as a status report, as a callback would have brought it.
    pub fn report(&self) -> StatusReport {
        StatusReport {
            sid: self.sid.clone(),
            status: self.status.clone(),
            sequence_number: None,
            duration: self.duration.as_ref().and_then(number),
            start_time: rfc2822(self.start_time.as_deref()).map(crate::clock::db_time),
            end_time: rfc2822(self.end_time.as_deref()).map(crate::clock::db_time),
            answered_by: self.answered_by.clone().filter(|s| !s.is_empty()),
            error_code: self.error_code.as_ref().and_then(number),
            error_message: self
                .error_message
                .as_deref()
                .filter(|s| !s.is_empty())
                .map(crate::mask::phones_in),
            // Twilio writes a charge as a negative amount; a cost is kept positive.
            price: self.price.as_ref().and_then(decimal).map(f64::abs),
            price_unit: self.price_unit.clone().filter(|s| !s.is_empty()),
            num_segments: self.num_segments.as_ref().and_then(number),
        }
    }
}

/// Twilio sends numbers as JSON numbers or as strings, depending on the field.
fn number(v: &serde_json::Value) -> Option<i64> {
    match v {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn decimal(v: &serde_json::Value) -> Option<f64> {
    match v {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => s.parse().ok(),
        _ => None,
    }
}

fn rfc2822(s: Option<&str>) -> Option<DateTime<Utc>> {
    s.filter(|s| !s.is_empty())
        .and_then(|s| DateTime::parse_from_rfc2822(s).ok())
        .map(|t| t.with_timezone(&Utc))
}

#[derive(Deserialize)]
struct ErrorBody {
    code: Option<i64>,
    message: Option<String>,
}

#[derive(Deserialize)]
struct Page {
    #[serde(default)]
    calls: Vec<Resource>,
    #[serde(default)]
    messages: Vec<Resource>,
    next_page_uri: Option<String>,
}

/// The account, as `check` reads it.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Account {
    pub sid: String,
    /// `active`, `suspended` or `closed`.
    pub status: String,
    #[serde(default)]
    pub friendly_name: Option<String>,
    /// `Trial` or `Full`.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
}

/// What a number of the account can do.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
pub struct Capabilities {
    #[serde(default)]
    pub voice: bool,
    #[serde(default)]
    pub sms: bool,
}

/// A phone number on the account, with where its incoming calls and texts go.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct IncomingNumber {
    pub sid: String,
    pub phone_number: String,
    #[serde(default)]
    pub capabilities: Capabilities,
    #[serde(default)]
    pub sms_url: Option<String>,
    #[serde(default)]
    pub sms_method: Option<String>,
    #[serde(default)]
    pub voice_url: Option<String>,
    #[serde(default)]
    pub voice_method: Option<String>,
}

#[derive(Deserialize)]
struct NumberPage {
    #[serde(default)]
    incoming_phone_numbers: Vec<IncomingNumber>,
}

/// A messaging service (Messaging API v1).
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct MessagingService {
    pub sid: String,
    #[serde(default)]
    pub friendly_name: Option<String>,
}

#[derive(Clone)]
pub struct Client {
    agent: ureq::Agent,
    base: String,
    /// Messaging services live on another host than the 2010-04-01 API.
    messaging_base: String,
    account_sid: String,
    authorization: String,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

fn collection(channel: Channel) -> &'static str {
    match channel {
        Channel::Call => "Calls",
        _ => "Messages",
    }
}

/// The longest a connection may take to open; the whole request has `Credentials::timeout`.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

impl Client {
    pub fn new(creds: &Credentials) -> Client {
        // Every request has a deadline for the whole exchange, on a new connection or on a
        // reused keep-alive one alike: a Twilio (or proxy) that accepts a request and never
        // answers must not hold a run, and with it the run lock, forever.
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .timeout_connect(Some(CONNECT_TIMEOUT.min(creds.timeout)))
            .timeout_global(Some(creds.timeout))
            .max_idle_connections_per_host(64)
            // Error answers carry Twilio's JSON: read them rather than turning them into errors.
            .http_status_as_error(false)
            .build()
            .into();
        let token = base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            creds.account_sid,
            creds.auth_token.expose()
        ));
        Client {
            agent,
            base: creds.api_base.trim_end_matches('/').to_string(),
            messaging_base: creds.messaging_api_base.trim_end_matches('/').to_string(),
            account_sid: creds.account_sid.clone(),
            authorization: format!("Basic {token}"),
        }
    }

    fn url(&self, tail: &str) -> String {
        format!(
            "{}/2010-04-01/Accounts/{}/{tail}",
            self.base, self.account_sid
        )
    }

    /// Creates a call or a message; `params` may repeat a name (one value each).
    pub fn create(&self, channel: Channel, params: &[(&str, &str)]) -> Result<Resource, ApiError> {
        let req = self
            .agent
            .post(&self.url(&format!("{}.json", collection(channel))))
            .header("Authorization", &self.authorization);
        read(req.send_form(params.iter().copied()))
    }

    pub fn fetch(&self, channel: Channel, sid: &str) -> Result<Resource, ApiError> {
        let req = self
            .agent
            .get(&self.url(&format!("{}/{sid}.json", collection(channel))))
            .header("Authorization", &self.authorization);
        read(req.call())
    }

    /// Calls or messages to `to` created at or after `since`, newest first. Twilio's date filters
    /// take whole days and a queued call has no start time, so pages are read until they reach
    /// resources older than `since`.
    pub fn list_to(
        &self,
        channel: Channel,
        to: &str,
        since: DateTime<Utc>,
    ) -> Result<Vec<Resource>, ApiError> {
        let mut found = Vec::new();
        let mut url = format!(
            "{}?{}",
            self.url(&format!("{}.json", collection(channel))),
            form_urlencoded::Serializer::new(String::new())
                .append_pair("To", to)
                .append_pair("PageSize", "50")
                .finish()
        );
        for _page in 0..20 {
            let req = self
                .agent
                .get(&url)
                .header("Authorization", &self.authorization);
            let page: Page = read_json(req.call())?;
            let items = if channel == Channel::Call {
                page.calls
            } else {
                page.messages
            };
            let mut older = false;
            for item in items {
                match item.created_at() {
                    Some(t) if t < since => older = true,
                    _ => found.push(item),
                }
            }
            match page.next_page_uri {
                Some(next) if !older && !next.is_empty() => url = format!("{}{next}", self.base),
                _ => break,
            }
        }
        Ok(found)
    }
}

impl Client {
    fn get_json<T: for<'de> Deserialize<'de>>(&self, url: &str) -> Result<T, ApiError> {
        let req = self
            .agent
            .get(url)
            .header("Authorization", &self.authorization);
        read_json(req.call())
    }

    /// The account the credentials belong to; wrong credentials are `Refused` with 20003.
    pub fn fetch_account(&self) -> Result<Account, ApiError> {
        self.get_json(&format!(
            "{}/2010-04-01/Accounts/{}.json",
            self.base, self.account_sid
        ))
    }

    /// The account's number `e164`, if it is one of the account's (an empty page: it is not).
    pub fn incoming_number(&self, e164: &str) -> Result<Option<IncomingNumber>, ApiError> {
        let url = format!(
            "{}?{}",
            self.url("IncomingPhoneNumbers.json"),
            form_urlencoded::Serializer::new(String::new())
                .append_pair("PhoneNumber", e164)
                .finish()
        );
        let page: NumberPage = self.get_json(&url)?;
        Ok(page
            .incoming_phone_numbers
            .into_iter()
            .find(|n| n.phone_number == e164))
    }

    /// The messaging service `sid`, or `None` when the account has none by that SID (404).
    pub fn messaging_service(&self, sid: &str) -> Result<Option<MessagingService>, ApiError> {
        match self.get_json(&format!("{}/v1/Services/{sid}", self.messaging_base)) {
            Err(ApiError::Refused {
                http_status: 404, ..
            }) => Ok(None),
            other => other.map(Some),
        }
    }
}

fn read(
    result: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
) -> Result<Resource, ApiError> {
    read_json(result)
}

/// Twilio's answer decides, not its status code alone: only its own JSON says what happened.
fn read_json<T: for<'de> Deserialize<'de>>(
    result: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
) -> Result<T, ApiError> {
    let resp = result.map_err(|e| ApiError::Unclear(e.to_string()))?;
    let status = resp.status().as_u16();
    let body = resp
        .into_body()
        .read_to_string()
        .map_err(|e| ApiError::Unclear(format!("HTTP {status}, reading the answer: {e}")))?;
    classify(status, &body)
}

fn classify<T: for<'de> Deserialize<'de>>(status: u16, body: &str) -> Result<T, ApiError> {
    match status {
        200..=299 => serde_json::from_str(body).map_err(|e| {
            ApiError::Unclear(format!(
                "HTTP {status} with a body that is not Twilio's answer ({})",
                describe_body(body, &e)
            ))
        }),
        // Too many requests: never processed, whatever carries the answer.
        429 => {
            let parsed: Option<ErrorBody> = serde_json::from_str(body).ok();
            Err(ApiError::Refused {
                http_status: status,
                code: parsed.as_ref().and_then(|p| p.code).or(Some(20429)),
                message: parsed.and_then(|p| p.message).map_or_else(
                    || "Too Many Requests".into(),
                    |m| crate::mask::phones_in(&m),
                ),
            })
        }
        400..=499 => match serde_json::from_str::<ErrorBody>(body) {
            Ok(ErrorBody {
                code: Some(code),
                message,
            }) => Err(ApiError::Refused {
                http_status: status,
                code: Some(code),
                message: crate::mask::phones_in(&message.unwrap_or_default()),
            }),
            _ => Err(ApiError::Unclear(format!(
                "HTTP {status} without Twilio's error body ({})",
                describe_body(body, &"not JSON")
            ))),
        },
        _ => Err(ApiError::Unclear(format!("Twilio answered HTTP {status}"))),
    }
}

/// What a body that is not Twilio's JSON looked like, in a few words (never its content: a
/// proxy page could echo anything).
fn describe_body(body: &str, why: &dyn fmt::Display) -> String {
    let trimmed = body.trim_start();
    if trimmed.is_empty() {
        "empty".into()
    } else if trimmed.starts_with('<') {
        "an HTML page".into()
    } else {
        format!("{} bytes: {why}", body.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_accounts_read_as_twilio_writes_them() {
        let page: NumberPage = serde_json::from_str(
            r#"{"incoming_phone_numbers":[{"sid":"PN1","phone_number":"+16135550000",
                "capabilities":{"voice":true,"sms":false,"mms":false,"fax":false},
                "sms_url":"","sms_method":"POST","voice_url":"https://x/twilio/voice-inbound",
                "voice_method":"POST","status_callback":""}],"page_size":50}"#,
        )
        .unwrap();
        let n = &page.incoming_phone_numbers[0];
        assert!(n.capabilities.voice && !n.capabilities.sms);
        assert_eq!(n.sms_url.as_deref(), Some(""));
        let a: Account = serde_json::from_str(
            r#"{"sid":"AC1","status":"suspended","friendly_name":"Clinic","type":"Full"}"#,
        )
        .unwrap();
        assert_eq!(
            (a.status.as_str(), a.kind.as_deref()),
            ("suspended", Some("Full"))
        );
    }

    #[test]
    fn resource_becomes_a_report() {
        let r: Resource = serde_json::from_str(
            r#"{"sid":"CA1","status":"completed","to":"+14165550101","date_created":"Wed, 25 Nov 2026 00:00:01 +0000",
                "start_time":"Wed, 25 Nov 2026 00:00:05 +0000","end_time":"Wed, 25 Nov 2026 00:00:28 +0000",
                "duration":"23","answered_by":"human","error_code":null}"#,
        )
        .unwrap();
        let rep = r.report();
        assert_eq!(rep.duration, Some(23));
        assert_eq!(rep.start_time.as_deref(), Some("2026-11-25T00:00:05Z"));
        assert_eq!(rep.answered_by.as_deref(), Some("human"));
        assert_eq!(
            r.created_at().map(crate::clock::db_time).as_deref(),
            Some("2026-11-25T00:00:01Z")
        );
        let m: Resource = serde_json::from_str(
            r#"{"sid":"SM1","status":"undelivered","error_code":30006,"error_message":"Landline"}"#,
        )
        .unwrap();
        assert_eq!(m.report().error_code, Some(30006));
        let priced: Resource = serde_json::from_str(
            r#"{"sid":"SM2","status":"delivered","price":"-0.00750","price_unit":"USD","num_segments":"2"}"#,
        )
        .unwrap();
        let r = priced.report();
        assert_eq!(
            (r.price, r.price_unit.as_deref(), r.num_segments),
            (Some(0.0075), Some("USD"), Some(2))
        );
    }

    #[test]
    fn numbers_in_twilios_error_texts_are_masked() {
        let body = r#"{"code":21211,"message":"The 'To' number +14165550101 is not a valid phone number.","status":400}"#;
        assert_eq!(
            classify::<Resource>(400, body),
            Err(ApiError::Refused {
                http_status: 400,
                code: Some(21211),
                message: "The 'To' number +1416***0101 is not a valid phone number.".into(),
            })
        );
        let m: Resource = serde_json::from_str(
            r#"{"sid":"SM1","status":"undelivered","error_code":30003,"error_message":"Unreachable handset 4165550101"}"#,
        )
        .unwrap();
        assert_eq!(
            m.report().error_message.as_deref(),
            Some("Unreachable handset ***0101")
        );
    }
}
