//! `reminders serve-webhook`: the HTTP listener Twilio reports to.

use std::net::SocketAddr;

use anyhow::Result;

use crate::config::Config;
use crate::exit::usage;
use crate::webhook::voice_inbound::{Line, Lines};
use crate::webhook::{self, handlers::Settings};

#[derive(clap::Args, Debug)]
#[command(
    about = "Run the HTTP listener Twilio sends call/SMS status callbacks, keypresses and replies to",
    long_about = "Run the HTTP listener Twilio sends call/SMS status callbacks, keypresses and \
patient replies to. Every POST must carry a valid X-Twilio-Signature computed over the public URL \
(REMINDERS_PUBLIC_URL + path), so the auth token and the public URL must be configured. Normally \
runs behind a TLS reverse proxy that forwards to --listen; the proxy must pass the path and query \
through unchanged (strip any path prefix that is part of REMINDERS_PUBLIC_URL).\n\n\
Routes: POST /twilio/call-status, /twilio/sms-status, /twilio/voice-gather?appointment=ID, \
/twilio/sms-inbound, /twilio/voice-inbound (the numbers' \"a call comes in\": the caller hears \
which clinic this is and is put through to its call-back number); GET /healthz. Logs one line per request on stderr (phone numbers masked). \
SIGTERM or SIGINT: stops accepting, answers requests in flight, exits 0.",
    after_help = "Example:\n  TWILIO_AUTH_TOKEN=... REMINDERS_PUBLIC_URL=https://rem.example.ca \\\n    reminders serve-webhook --listen 127.0.0.1:8080"
)]
pub struct Args {
    /// Address and port to listen on [default: webhook.listen, else 127.0.0.1:8080].
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<String>,
}

/// `cfg` already holds `--listen` (it flows through `Overrides`, so a bad value exits 2).
pub fn run(cfg: &Config, _args: &Args) -> Result<()> {
    let mut missing = Vec::new();
    if cfg.twilio.auth_token.is_empty() {
        missing.push("TWILIO_AUTH_TOKEN (twilio.auth_token) to check request signatures");
    }
    let Some(public_url) = cfg.webhook.public_url.clone() else {
        missing
            .push("REMINDERS_PUBLIC_URL (webhook.public_url), the URL Twilio signs requests for");
        return Err(usage(format!(
            "serve-webhook needs {}",
            missing.join(" and ")
        )));
    };
    if !missing.is_empty() {
        return Err(usage(format!(
            "serve-webhook needs {}",
            missing.join(" and ")
        )));
    }
    let listen: SocketAddr = cfg.webhook.listen.parse().map_err(|_| {
        usage(format!(
            "webhook.listen: must be an address like 127.0.0.1:8080 (got {:?})",
            cfg.webhook.listen
        ))
    })?;
    webhook::serve(webhook::Options {
        listen,
        db: cfg.db.clone(),
        lock: cfg.lock_path(),
        token: cfg.twilio.auth_token.clone(),
        settings: Settings {
            public_url,
            rules: cfg.news_rules(),
            languages: cfg.languages.clone(),
            lines: lines(cfg),
            waitlist: cfg.waitlist.clone(),
        },
        clock: cfg.clock.clone(),
    })
}

/// Our numbers and who answers each: every site with its own number, then the clinic's. A
/// call-back number is dialled in E.164 when it reads as a number in the configured region,
/// else as written.
fn lines(cfg: &Config) -> Lines {
    let e164 = |n: &str| {
        crate::domain::phone::parse_e164(n, cfg.region).unwrap_or_else(|_| n.trim().to_string())
    };
    let line = |key: &str| {
        let site = cfg.site(key);
        let id = site.identity;
        Line {
            site: site.key.to_string(),
            number: e164(site.phone_number),
            clinic_name: id.clinic_name.clone().filter(|c| !c.trim().is_empty()),
            callback_number: id
                .callback_number
                .as_deref()
                .filter(|n| !n.trim().is_empty())
                .map(e164),
            address: id.address.clone().filter(|a| !a.trim().is_empty()),
        }
    };
    Lines {
        sites: cfg
            .sites
            .iter()
            .filter(|s| s.phone_number.is_some())
            .map(|s| line(&s.key))
            .collect(),
        main: line(""),
    }
}
