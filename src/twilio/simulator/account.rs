//! The account side of the simulated Twilio, which `check` reads: the account itself (its
//! status a test can set), the phone numbers on it with their capabilities and incoming
//! webhooks, and messaging services (served under the same base, at the Messaging API's path).

use super::answer::{Reply, error, json};

/// A phone number on the simulated account.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Number {
    pub phone_number: String,
    pub voice: bool,
    pub sms: bool,
    /// "A message comes in" / "a call comes in"; empty when not set.
    pub sms_url: String,
    pub voice_url: String,
}

impl Number {
    /// A number that can call and text, its webhooks not yet set.
    pub fn new(phone_number: &str) -> Number {
        Number {
            phone_number: phone_number.to_string(),
            voice: true,
            sms: true,
            sms_url: String::new(),
            voice_url: String::new(),
        }
    }

    /// Where its incoming texts and calls go.
    pub fn webhooks(mut self, sms_url: &str, voice_url: &str) -> Number {
        self.sms_url = sms_url.to_string();
        self.voice_url = voice_url.to_string();
        self
    }

    /// What it can do.
    pub fn capable(mut self, voice: bool, sms: bool) -> Number {
        self.voice = voice;
        self.sms = sms;
        self
    }
}

/// What the account holds.
#[derive(Clone, Debug)]
pub(super) struct Holdings {
    /// `active`, `suspended` or `closed`.
    pub status: String,
    pub numbers: Vec<Number>,
    /// Messaging services: (SID, friendly name).
    pub services: Vec<(String, String)>,
}

impl Default for Holdings {
    fn default() -> Self {
        Holdings {
            status: "active".into(),
            numbers: Vec::new(),
            services: Vec::new(),
        }
    }
}

/// Answers the account's resources; `None` for any other path.
pub(super) fn route(
    account_sid: &str,
    held: &Holdings,
    method: &str,
    path: &str,
    params: &[(String, String)],
) -> Option<Reply> {
    let accounts = "/2010-04-01/Accounts/";
    if let Some(sid) = path
        .strip_prefix(accounts)
        .and_then(|rest| rest.strip_suffix(".json"))
        .filter(|rest| !rest.contains('/'))
    {
        return Some(only_get(method, || {
            if sid == account_sid {
                json(200, account(account_sid, &held.status))
            } else {
                error(404, 20404, "The requested resource was not found")
            }
        }));
    }
    if path == format!("{accounts}{account_sid}/IncomingPhoneNumbers.json") {
        return Some(only_get(method, || {
            let wanted = params
                .iter()
                .find(|(k, _)| k == "PhoneNumber")
                .map(|(_, v)| v.as_str());
            let list: Vec<serde_json::Value> = held
                .numbers
                .iter()
                .enumerate()
                .filter(|(_, n)| wanted.is_none_or(|w| w == n.phone_number))
                .map(|(i, n)| number(account_sid, i, n))
                .collect();
            json(
                200,
                serde_json::json!({
                    "incoming_phone_numbers": list, "page": 0, "page_size": 50,
                    "next_page_uri": null,
                }),
            )
        }));
    }
    let sid = path.strip_prefix("/v1/Services/")?;
    Some(only_get(method, || {
        match held.services.iter().find(|(s, _)| s == sid) {
            Some((sid, name)) => json(
                200,
                serde_json::json!({
                    "sid": sid, "account_sid": account_sid, "friendly_name": name,
                    "url": format!("https://messaging.twilio.com/v1/Services/{sid}"),
                }),
            ),
            None => error(
                404,
                20404,
                &format!("The requested resource /Services/{sid} was not found"),
            ),
        }
    }))
}

fn only_get(
    method: &str,
    answer: impl FnOnce() -> hyper::Response<http_body_util::Full<bytes::Bytes>>,
) -> Reply {
    if method == "GET" {
        Reply::Now(answer())
    } else {
        Reply::Now(error(405, 20004, "Method not allowed"))
    }
}

fn account(sid: &str, status: &str) -> serde_json::Value {
    serde_json::json!({
        "sid": sid, "owner_account_sid": sid, "friendly_name": "Simulated clinic",
        "status": status, "type": "Full",
        "uri": format!("/2010-04-01/Accounts/{sid}.json"),
    })
}

fn number(account_sid: &str, i: usize, n: &Number) -> serde_json::Value {
    let sid = format!("PN{:032x}", i + 1);
    serde_json::json!({
        "sid": sid, "account_sid": account_sid, "phone_number": n.phone_number,
        "friendly_name": n.phone_number,
        "capabilities": { "voice": n.voice, "sms": n.sms, "mms": false, "fax": false },
        "sms_url": n.sms_url, "sms_method": "POST",
        "voice_url": n.voice_url, "voice_method": "POST",
        "status_callback": "",
        "uri": format!("/2010-04-01/Accounts/{account_sid}/IncomingPhoneNumbers/{sid}.json"),
    })
}
