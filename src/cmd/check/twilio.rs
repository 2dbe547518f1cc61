//! Twilio, live: the credentials and the account's status, each sender number on the account
//! with the capabilities it is used for and its incoming webhooks, each messaging service.

use super::Report;
use crate::config::{Config, Credentials};
use crate::domain::readiness::{self, Finding, Level};
use crate::domain::routes::Route;
use crate::twilio::client::{ApiError, Client, IncomingNumber};

const CONSOLE: &str = "https://console.twilio.com";

/// A client for the check, or `None` when the credentials are missing (said already).
pub fn client(cfg: &Config) -> Option<Client> {
    if cfg.twilio.account_sid.is_empty() || cfg.twilio.auth_token.is_empty() {
        return None;
    }
    Some(Client::new(&Credentials {
        account_sid: cfg.twilio.account_sid.clone(),
        auth_token: cfg.twilio.auth_token.clone(),
        phone_number: cfg.twilio.phone_number.clone(),
        api_base: cfg.twilio.api_base.clone(),
        messaging_api_base: cfg.twilio.messaging_api_base.clone(),
        public_url: cfg.webhook.public_url.clone().unwrap_or_default(),
        timeout: cfg.twilio.timeout,
    }))
}

pub fn run(r: &mut Report, cfg: &Config) {
    let Some(client) = client(cfg) else { return };
    if !account(r, cfg, &client) {
        return;
    }
    for sender in senders(cfg) {
        number(r, cfg, &client, &sender);
    }
    let mut services: Vec<(&str, String)> = Vec::new();
    for key in cfg.site_keys() {
        if let Some(sid) = cfg.site(key).messaging_service_sid {
            let setting = if cfg.twilio.messaging_service_sid.as_deref() == Some(sid) {
                "twilio.messaging_service_sid (TWILIO_MESSAGING_SERVICE_SID)".to_string()
            } else {
                format!("sites.{key}.messaging_service_sid")
            };
            if !services.iter().any(|(s, _)| *s == sid) {
                services.push((sid, setting));
            }
        }
    }
    for (sid, setting) in services {
        service(r, cfg, &client, sid, &setting);
    }
}

/// The account: `false` when nothing more can be asked (credentials refused, Twilio out of reach).
fn account(r: &mut Report, cfg: &Config, client: &Client) -> bool {
    let sid = &cfg.twilio.account_sid;
    match client.fetch_account() {
        Ok(a) => {
            let name = a.friendly_name.map_or(String::new(), |n| format!(" ({n})"));
            let what = format!("Twilio account {sid}{name}: {}", a.status);
            match readiness::account_status(&a.status) {
                None if a.kind.as_deref() == Some("Trial") => r.add(Finding::warn(
                    format!("{what}, a trial account"),
                    format!("a trial account reaches only verified numbers and prefixes every text: upgrade it at {CONSOLE} (Billing)"),
                )),
                None => r.add(Finding::ok(what)),
                Some(Level::Fail) => r.add(Finding::fail(
                    what,
                    format!("nothing can be sent from a {} account: see {CONSOLE} (Billing, or Twilio support)", a.status),
                )),
                Some(_) => r.add(Finding::warn(
                    what,
                    format!("Twilio names this status; see {CONSOLE}"),
                )),
            }
            true
        }
        Err(ApiError::Refused {
            http_status: 401, ..
        })
        | Err(ApiError::Refused {
            code: Some(20003), ..
        }) => {
            r.add(Finding::fail(
                format!("Twilio refused the account SID and auth token of {sid} (error 20003: wrong credentials)"),
                format!(
                    "copy both from {CONSOLE} (Account Info) into twilio.account_sid and twilio.auth_token; after changing the token, restart the listener too"
                ),
            ));
            false
        }
        Err(e) => {
            r.add(Finding::fail(
                format!("Twilio account {sid}: {e}"),
                format!(
                    "check that this machine reaches {} (DNS, firewall, proxy)",
                    cfg.twilio.api_base
                ),
            ));
            false
        }
    }
}

/// A number calls or texts go out from, what it is used for, and the setting that names it.
struct Sender {
    number: String,
    calls: bool,
    texts: bool,
    setting: String,
}

fn senders(cfg: &Config) -> Vec<Sender> {
    let mut found: Vec<Sender> = Vec::new();
    let mut add = |number: &str, texts: bool, setting: String| {
        let Ok(number) = crate::domain::phone::parse_e164(number, cfg.region) else {
            return; // Said by the configuration's checks.
        };
        match found.iter_mut().find(|s| s.number == number) {
            Some(s) => s.texts |= texts,
            None => found.push(Sender {
                number,
                calls: true,
                texts,
                setting,
            }),
        }
    };
    if !cfg.twilio.phone_number.is_empty() {
        add(
            &cfg.twilio.phone_number,
            cfg.twilio.messaging_service_sid.is_none(),
            "twilio.phone_number (TWILIO_PHONE_NUMBER)".into(),
        );
    }
    for s in &cfg.sites {
        let view = cfg.site(&s.key);
        add(
            view.phone_number,
            view.messaging_service_sid.is_none(),
            format!("sites.{}.phone_number", s.key),
        );
    }
    found
}

fn number(r: &mut Report, cfg: &Config, client: &Client, s: &Sender) {
    let n = &s.number;
    let found = match client.incoming_number(n) {
        Ok(Some(found)) => found,
        Ok(None) => {
            r.add(Finding::fail(
                format!("{n} is not a number of account {}", cfg.twilio.account_sid),
                format!(
                    "buy or port it at {CONSOLE} (Phone Numbers > Manage > Active numbers), or fix {}",
                    s.setting
                ),
            ));
            return;
        }
        Err(e) => {
            r.add(Finding::fail(
                format!("{n}: looking it up on the account: {e}"),
                format!("check that this machine reaches {}", cfg.twilio.api_base),
            ));
            return;
        }
    };
    let mut lacks = Vec::new();
    if s.calls && !found.capabilities.voice {
        lacks.push("make calls (voice)");
    }
    if s.texts && !found.capabilities.sms {
        lacks.push("send texts (SMS)");
    }
    if lacks.is_empty() {
        let uses = if s.texts { "calls and texts" } else { "calls" };
        r.add(Finding::ok(format!(
            "{n}: on the account, can make the {uses} it is used for"
        )));
    } else {
        r.add(Finding::fail(
            format!("{n} cannot {}", lacks.join(" or ")),
            format!(
                "use a number that can (see its capabilities at {CONSOLE}), and set it in {}",
                s.setting
            ),
        ));
    }
    if let Some(public) = &cfg.webhook.public_url {
        webhooks(r, &found, public);
    }
}

/// Where the number sends the texts and calls that come in: replies and call-backs must reach
/// this listener.
fn webhooks(r: &mut Report, n: &IncomingNumber, public: &str) {
    let sms = Route::SmsInbound.url(public);
    let voice = Route::VoiceInbound.url(public);
    let post = |m: &Option<String>| m.as_deref().is_none_or(|m| m.eq_ignore_ascii_case("POST"));
    let sms_ok = readiness::same_url(n.sms_url.as_deref(), &sms) && post(&n.sms_method);
    let voice_ok = readiness::same_url(n.voice_url.as_deref(), &voice) && post(&n.voice_method);
    let number = &n.phone_number;
    if sms_ok && voice_ok {
        r.add(Finding::ok(format!(
            "{number}: texts and calls that come in go to this listener"
        )));
        return;
    }
    let shown = |u: &Option<String>| match u.as_deref().map(str::trim) {
        None | Some("") => "nowhere".to_string(),
        Some(u) => u.to_string(),
    };
    let mut wrong = Vec::new();
    let mut set = Vec::new();
    if !sms_ok {
        wrong.push(format!("texts that come in go to {}", shown(&n.sms_url)));
        set.push(format!("\"A message comes in\": Webhook, {sms}, HTTP POST"));
    }
    if !voice_ok {
        wrong.push(format!("calls that come in go to {}", shown(&n.voice_url)));
        set.push(format!("\"A call comes in\": Webhook, {voice}, HTTP POST"));
    }
    r.add(Finding::warn(
        format!("{number}: {}", wrong.join("; ")),
        format!(
            "at {CONSOLE}, Phone Numbers > Manage > Active numbers > {number}, set\n{}",
            set.join("\n")
        ),
    ));
}

fn service(r: &mut Report, cfg: &Config, client: &Client, sid: &str, setting: &str) {
    match client.messaging_service(sid) {
        Ok(Some(s)) => {
            let name = s.friendly_name.map_or(String::new(), |n| format!(" ({n})"));
            r.add(Finding::ok(format!("messaging service {sid}{name} exists")));
        }
        Ok(None) => r.add(Finding::fail(
            format!(
                "messaging service {sid} is not on account {}",
                cfg.twilio.account_sid
            ),
            format!(
                "copy the SID from {CONSOLE} (Messaging > Services) into {setting}, or remove it to text from the number itself"
            ),
        )),
        Err(e) => r.add(Finding::fail(
            format!("messaging service {sid}: {e}"),
            format!(
                "check that this machine reaches {}",
                cfg.twilio.messaging_api_base
            ),
        )),
    }
}
