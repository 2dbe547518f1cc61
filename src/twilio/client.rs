//! Twilio's REST API (2010-04-01) on ureq: create a call or message, fetch one, and list those
//! sent to a number. Basic auth, form bodies, JSON answers, Twilio's error JSON as a typed error.

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
    /// Twilio answered with an error status (and usually its JSON error body).
    Twilio {
        http_status: u16,
        code: Option<i64>,
        message: String,
    },
    /// No answer: the connection failed or timed out. For a create request this means the
    /// request may or may not have reached Twilio.
    Transport(String),
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ApiError::Twilio {
                http_status,
                code: Some(code),
                message,
            } => write!(f, "Twilio error {code} (HTTP {http_status}): {message}"),
            ApiError::Twilio {
                http_status,
                code: None,
                message,
            } => write!(f, "Twilio answered HTTP {http_status}: {message}"),
            ApiError::Transport(why) => write!(f, "no answer from Twilio: {why}"),
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
            error_message: self.error_message.clone().filter(|s| !s.is_empty()),
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

#[derive(Clone)]
pub struct Client {
    agent: ureq::Agent,
    base: String,
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

impl Client {
    pub fn new(creds: &Credentials) -> Client {
        let agent = ureq::AgentBuilder::new()
            .timeout_connect(Duration::from_secs(10))
            .timeout_read(Duration::from_secs(30))
            .timeout_write(Duration::from_secs(30))
            .max_idle_connections_per_host(64)
            .build();
        let token = base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            creds.account_sid,
            creds.auth_token.expose()
        ));
        Client {
            agent,
            base: creds.api_base.trim_end_matches('/').to_string(),
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
            .set("Authorization", &self.authorization);
        read(req.send_form(params))
    }

    pub fn fetch(&self, channel: Channel, sid: &str) -> Result<Resource, ApiError> {
        let req = self
            .agent
            .get(&self.url(&format!("{}/{sid}.json", collection(channel))))
            .set("Authorization", &self.authorization);
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
        let mut req = self
            .agent
            .get(&self.url(&format!("{}.json", collection(channel))))
            .query("To", to)
            .query("PageSize", "50");
        for _page in 0..20 {
            let page: Page = read_json(req.set("Authorization", &self.authorization).call())?;
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
                Some(next) if !older && !next.is_empty() => {
                    req = self.agent.get(&format!("{}{next}", self.base));
                }
                _ => break,
            }
        }
        Ok(found)
    }
}

fn read(result: Result<ureq::Response, ureq::Error>) -> Result<Resource, ApiError> {
    read_json(result)
}

fn read_json<T: for<'de> Deserialize<'de>>(
    result: Result<ureq::Response, ureq::Error>,
) -> Result<T, ApiError> {
    match result {
        Ok(resp) => {
            let status = resp.status();
            let body = resp
                .into_string()
                .map_err(|e| ApiError::Transport(format!("reading the answer: {e}")))?;
            serde_json::from_str(&body).map_err(|e| ApiError::Twilio {
                http_status: status,
                code: None,
                message: format!("unexpected answer ({e})"),
            })
        }
        Err(ureq::Error::Status(status, resp)) => {
            let body = resp.into_string().unwrap_or_default();
            let parsed: Option<ErrorBody> = serde_json::from_str(&body).ok();
            Err(ApiError::Twilio {
                http_status: status,
                code: parsed.as_ref().and_then(|p| p.code),
                message: parsed
                    .and_then(|p| p.message)
                    .unwrap_or_else(|| body.chars().take(200).collect()),
            })
        }
        Err(ureq::Error::Transport(t)) => Err(ApiError::Transport(t.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    }
}
