//! The listener, end to end, as Twilio reaches it: through `public_url` (the proxy and TLS
//! included), its health, and a request signed with the auth token accepted.

use std::time::Duration;

use super::Report;
use crate::config::Config;
use crate::domain::readiness::{self, Finding};
use crate::domain::routes::Route;
use crate::twilio::signature;

/// How long each request to the listener may take.
const TIMEOUT: Duration = Duration::from_secs(15);

pub fn run(r: &mut Report, cfg: &Config) {
    let Some(public) = cfg.webhook.public_url.as_deref() else {
        r.add(Finding::fail(
            "listener: webhook.public_url (REMINDERS_PUBLIC_URL) is not set",
            "set it to the https address Twilio reaches the listener at, e.g. https://rem.example.ca",
        ));
        return;
    };
    match readiness::public_url(public) {
        Ok(how) => r.add(Finding::ok(format!("listener: public URL {public} ({how})"))),
        Err(why) => r.add(Finding::fail(
            format!("listener: {why}"),
            format!(
                "put the listener behind a TLS proxy (it listens on {}) and set webhook.public_url to its https:// address",
                cfg.webhook.listen
            ),
        )),
    }
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(TIMEOUT))
        .http_status_as_error(false)
        .build()
        .into();
    if !health(r, cfg, &agent, public) {
        return;
    }
    if !cfg.twilio.auth_token.is_empty() {
        signed(r, cfg, &agent, public);
    }
}

fn health(r: &mut Report, cfg: &Config, agent: &ureq::Agent, public: &str) -> bool {
    let url = Route::Health.url(public);
    let forward = format!(
        "start the listener (`systemctl start reminders-webhook`, or `reminders serve-webhook`) and have the proxy forward {public}/ to webhook.listen ({}) with the path unchanged",
        cfg.webhook.listen
    );
    match agent.get(&url).call() {
        Ok(resp) if resp.status() == 200 => {
            r.add(Finding::ok(format!(
                "listener: GET {url} answered 200 (listener and database up)"
            )));
            true
        }
        Ok(resp) if resp.status() == 503 => {
            r.add(Finding::fail(
                format!("listener: GET {url} answered 503: the listener cannot reach its database"),
                "read the listener's log (journalctl -u reminders-webhook): its database is missing or unreadable",
            ));
            false
        }
        Ok(resp) => {
            r.add(Finding::fail(
                format!(
                    "listener: GET {url} answered {}: that is not the listener",
                    resp.status().as_u16()
                ),
                forward,
            ));
            false
        }
        Err(e) => {
            r.add(Finding::fail(
                format!("listener: nothing answered GET {url}: {e}"),
                forward,
            ));
            false
        }
    }
}

/// A status report for a message that is none of ours, signed over `public_url` as Twilio signs
/// it: the listener stores it as a report for an unknown SID and answers 200, unless something
/// on the way changed what the signature covers.
fn signed(r: &mut Report, cfg: &Config, agent: &ureq::Agent, public: &str) {
    let url = Route::SmsStatus.url(public);
    let sid = probe_sid();
    let params: Vec<(String, String)> = [
        ("AccountSid", cfg.twilio.account_sid.as_str()),
        ("ApiVersion", "2010-04-01"),
        ("MessageSid", sid.as_str()),
        ("MessageStatus", "sent"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let sig = signature::compute(cfg.twilio.auth_token.expose(), &url, &params);
    let form = params.iter().map(|(k, v)| (k.as_str(), v.as_str()));
    let answer = agent
        .post(&url)
        .header("X-Twilio-Signature", &sig)
        .send_form(form);
    match answer {
        Ok(resp) if resp.status() == 200 => r.add(Finding::ok(format!(
            "listener: a request signed for {url} was accepted (the way there keeps what the signature covers)"
        ))),
        Ok(resp) if resp.status() == 403 => r.add(Finding::fail(
            format!("listener: a request signed for {url} was refused (403, invalid signature)"),
            format!(
                "Twilio signs the exact URL it calls, and the listener checks it over webhook.public_url ({public}) plus the path and query it receives. Something between here and the listener changes what the signature covers (scheme, Host, port, path or query): make the proxy pass path and query unchanged (strip only a prefix that is part of public_url). Or the listener runs with another auth token: restart it after changing the token."
            ),
        )),
        Ok(resp) => r.add(Finding::fail(
            format!(
                "listener: a signed POST to {url} answered {}",
                resp.status().as_u16()
            ),
            format!(
                "have the proxy forward POST {public}/twilio/ to webhook.listen ({}) unchanged",
                cfg.webhook.listen
            ),
        )),
        Err(e) => r.add(Finding::fail(
            format!("listener: a signed POST to {url}: {e}"),
            "read the listener's log (journalctl -u reminders-webhook)",
        )),
    }
}

/// A message SID no attempt has: `SM` and 32 hex digits from the clock and this process.
fn probe_sid() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let mixed = nanos ^ (u128::from(std::process::id()) << 96);
    format!("SM{mixed:032x}")
}
