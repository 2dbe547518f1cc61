//! The configuration: the file holding the token kept to its owner, the Twilio settings, each
//! site's sender and zone, every template rendered for a sample appointment in every language,
//! and contact hours (`hours.rs`).

use std::path::{Path, PathBuf};

use chrono::{Duration, TimeZone};

use super::Report;
use crate::clock::Stamp;
use crate::config::{self, Config, Overrides, Templates};
use crate::db::appointments::Stored;
use crate::dispatch::message::{self, Texts};
use crate::domain::channel::Channel;
use crate::domain::readiness::{self, Finding};
use crate::domain::row::Language;
use crate::domain::state::State;
use crate::domain::templates::{self, RenderError};

/// The config file's permissions when it holds the auth token; returns the file read, if any.
pub fn config_file(r: &mut Report, overrides: &Overrides) -> Option<PathBuf> {
    let (path, _) = config::file_location(overrides, &config::process_env);
    let path = path?;
    // Unreadable or missing: loading it fails and says so.
    let text = std::fs::read_to_string(&path).ok()?;
    if !config::holds_auth_token(&text) {
        return Some(path);
    }
    let shown = path.display();
    match crate::host::owner(&path) {
        Ok(o) if readiness::others_may_access(o.mode) => r.add(Finding::fail(
            format!(
                "config file {shown} holds the auth token and others can read it (mode {:04o}, owner {})",
                o.mode, o.user.name
            ),
            format!("chmod 600 {shown}"),
        )),
        Ok(o) => r.add(Finding::ok(format!(
            "config file {shown} holds the auth token and is its owner's alone (mode {:04o})",
            o.mode
        ))),
        Err(e) => r.add(Finding::fail(
            format!("config file {shown}: {e}"),
            "check the file's permissions",
        )),
    }
    Some(path)
}

pub fn loaded(r: &mut Report, file: Option<&Path>) {
    r.add(Finding::ok(match file {
        Some(p) => format!("configuration: {} and the environment", p.display()),
        None => "configuration: no file; the environment and defaults".to_string(),
    }));
}

/// Everything in the configuration that can be judged without the network.
pub fn settings(r: &mut Report, cfg: &Config) {
    credentials(r, cfg);
    sites(r, cfg);
    templates(r, cfg);
    limits(r, cfg);
    super::hours::contact_hours(r, cfg);
    super::hours::windows_within_contact_hours(r, cfg);
}

/// The rules of contact: what caps apply, and, under a profile, that every template can fit.
fn limits(r: &mut Report, cfg: &Config) {
    let l = &cfg.limits;
    if l.profile == crate::domain::limits::Profile::None
        && !l.caps.any()
        && cfg.sites.iter().all(|s| !s.caps.any())
    {
        return;
    }
    match crate::dispatch::limits::check_templates(cfg) {
        Ok(()) => {
            let cap = |n: u32, what: &str| {
                if n == 0 {
                    format!("no cap {what}")
                } else {
                    format!("{n} {what}")
                }
            };
            let profile = match l.profile.name() {
                "" => String::new(),
                name => format!("profile {name}; "),
            };
            r.add(Finding::ok(format!(
                "rules of contact: {profile}{} and {} per number (sites may be tighter)",
                cap(l.caps.per_day, "a day"),
                cap(l.caps.per_week, "a week")
            )));
        }
        Err(e) => r.add(Finding::fail(
            format!("rules of contact: {e:#}"),
            "shorten the template, or leave it out to use the built-in one",
        )),
    }
}

fn credentials(r: &mut Report, cfg: &Config) {
    let mut missing = Vec::new();
    if cfg.twilio.account_sid.is_empty() {
        missing.push("twilio.account_sid (TWILIO_ACCOUNT_SID)");
    }
    if cfg.twilio.auth_token.is_empty() {
        missing.push("twilio.auth_token (TWILIO_AUTH_TOKEN)");
    }
    if missing.is_empty() {
        r.add(Finding::ok(format!(
            "Twilio credentials: account {}, auth token set (never shown)",
            cfg.twilio.account_sid
        )));
    } else {
        r.add(Finding::fail(
            format!("Twilio credentials: {} not set", missing.join(" and ")),
            "copy them from https://console.twilio.com (Account Info) into the config file's [twilio] section",
        ));
    }
}

fn sites(r: &mut Report, cfg: &Config) {
    for key in cfg.site_keys() {
        let site = cfg.site(key);
        let name = label(key);
        let number_key = if key.is_empty() || cfg.sites.iter().all(|s| s.phone_number.is_none()) {
            "twilio.phone_number (TWILIO_PHONE_NUMBER)".to_string()
        } else {
            format!("sites.{key}.phone_number")
        };
        let sender = crate::domain::phone::parse_e164(site.phone_number, cfg.region);
        let service = site.messaging_service_sid.map_or(String::new(), |s| {
            format!(", texts through messaging service {s}")
        });
        match sender {
            Ok(n) => r.add(Finding::ok(format!(
                "{name}sender {n}, zone {}{service}",
                site.tz.name()
            ))),
            Err(_) if site.phone_number.is_empty() => r.add(Finding::fail(
                format!("{name}no sender number"),
                format!("set {number_key} to the Twilio number calls and texts come from, e.g. +16135550000"),
            )),
            Err(why) => r.add(Finding::fail(
                format!("{name}sender {:?}: {why}", site.phone_number),
                format!("set {number_key} to the number in E.164 form, e.g. +16135550000"),
            )),
        }
    }
}

/// "" for the one site; "site north: " when the clinic has several.
pub(super) fn label(key: &str) -> String {
    if key.is_empty() {
        String::new()
    } else {
        format!("site {key}: ")
    }
}

/// The placeholder a template may use besides the built-in ones: the export's own columns, as
/// the last import kept them.
struct Columns {
    last_import: Option<String>,
    names: Vec<String>,
}

fn columns(cfg: &Config) -> Columns {
    let last = crate::db::open_read_only(&cfg.db)
        .ok()
        .and_then(|c| crate::db::imports::last_columns(&c).ok().flatten());
    match last {
        Some((file, names)) => Columns {
            last_import: Some(file),
            names,
        },
        None => Columns {
            last_import: None,
            names: Vec::new(),
        },
    }
}

fn templates(r: &mut Report, cfg: &Config) {
    let texts = match Texts::load(cfg) {
        Ok(t) => t,
        Err(e) => {
            r.add(Finding::fail(
                format!("templates: {e:#}"),
                "fix the path under [templates] (or the site's) or create the file",
            ));
            return;
        }
    };
    let columns = columns(cfg);
    // Only a call's length depends on it (the keypress URL in its TwiML).
    let public_url = cfg
        .webhook
        .public_url
        .clone()
        .unwrap_or_else(|| "https://rem.example.ca".into());
    for key in cfg.site_keys() {
        for channel in [Channel::Sms, Channel::Call] {
            for pack in cfg.languages.all() {
                // A text-only language is never called.
                if channel == Channel::Call && pack.say_language().is_none() {
                    continue;
                }
                let lang = pack.code;
                let t = Template {
                    site: key,
                    channel,
                    lang,
                };
                r.add(template(cfg, &texts, &public_url, &columns, t));
            }
        }
        for pack in cfg.languages.all() {
            r.add(offer(cfg, &texts, &public_url, key, pack.code));
        }
    }
}

/// The waitlist's offer of a sample slot tomorrow at 10:30, with a provider, in `lang`.
fn offer(cfg: &Config, texts: &Texts, public_url: &str, site: &str, lang: Language) -> Finding {
    let template = cfg
        .site(site)
        .templates
        .files()
        .find(|(k, _)| *k == format!("sms_offer_{}", lang.code()))
        .map_or("built in".to_string(), |(_, p)| p.display().to_string());
    let what = format!(
        "{}waitlist offer in {} ({template})",
        label(site),
        lang.code()
    );
    let freed = &sample(cfg, site, Channel::Sms, lang, 1, &[])[0];
    let slot = crate::dispatch::offer::sample_slot(site, freed.at);
    let built =
        crate::dispatch::offer::build(cfg, texts, public_url, &slot, &freed.phone_number, lang);
    match built {
        Ok(Ok(req)) => Finding::ok(format!("{what}: {}", size(Channel::Sms, 1, &req.content))),
        Ok(Err(RenderError::Unknown(name))) => Finding::fail(
            format!("{what}: {{{name}}} is not a placeholder of an offer"),
            "use {date}, {time}, {provider}, {with_provider}, {clinic_name} or {callback_number}",
        ),
        Ok(Err(RenderError::TooLong(why))) => {
            Finding::fail(format!("{what}: {why}"), "shorten the template")
        }
        Err(e) => Finding::fail(format!("{what}: {e:#}"), "fix the template"),
    }
}

/// One site's template for one channel and language.
#[derive(Clone, Copy)]
struct Template<'a> {
    site: &'a str,
    channel: Channel,
    lang: Language,
}

/// A template rendered for one sample appointment and for two on one number, with its size.
fn template(
    cfg: &Config,
    texts: &Texts,
    public_url: &str,
    columns: &Columns,
    t: Template<'_>,
) -> Finding {
    let (single, combined) = files_of(cfg.site(t.site).templates, t.channel, t.lang);
    let files: Vec<String> = [single, combined]
        .iter()
        .flatten()
        .map(|p| p.display().to_string())
        .collect();
    let source = if files.is_empty() {
        "built in".to_string()
    } else {
        files.join(", ")
    };
    let kind = if t.channel == Channel::Sms {
        "text"
    } else {
        "call"
    };
    let what = format!("{}{kind} in {} ({source})", label(t.site), t.lang.code());
    let mut sizes = Vec::new();
    for count in [1, 2] {
        let group = sample(cfg, t.site, t.channel, t.lang, count, &columns.names);
        match message::build(cfg, texts, public_url, &group) {
            Ok(Ok(req)) => sizes.push(size(t.channel, count, &req.content)),
            Ok(Err(why)) => return render_failure(&what, &why, columns),
            Err(e) => return Finding::fail(format!("{what}: {e:#}"), "fix the template"),
        }
    }
    Finding::ok(format!("{what}: {}", sizes.join("; ")))
}

fn render_failure(what: &str, why: &RenderError, columns: &Columns) -> Finding {
    let built_in = templates::PLACEHOLDERS.join("}, {");
    match (why, &columns.last_import) {
        (RenderError::Unknown(name), None) => Finding::warn(
            format!("{what}: uses {{{name}}}, not a built-in placeholder"),
            format!(
                "it must be a column of the clinic's export; that is known after the first import (`reminders import`). Built in: {{{built_in}}}"
            ),
        ),
        (RenderError::Unknown(name), Some(file)) => Finding::fail(
            format!(
                "{what}: {{{name}}} is neither built in nor a column of the last export ({file})"
            ),
            format!(
                "use one of {{{built_in}}}{}",
                if columns.names.is_empty() {
                    String::new()
                } else {
                    format!(" or the export's {{{}}}", columns.names.join("}, {"))
                }
            ),
        ),
        (RenderError::TooLong(why), _) => {
            Finding::fail(format!("{what}: {why}"), "shorten the template")
        }
    }
}

/// "131 characters, GSM-7, 1 segment" for one appointment's text; "2 appointments: …" after.
fn size(channel: Channel, count: usize, content: &str) -> String {
    let size = match channel {
        Channel::Call => format!("TwiML of {} characters", content.chars().count()),
        _ => readiness::sms_size(content),
    };
    if count == 1 {
        size
    } else {
        format!("{count} on one number: {size}")
    }
}

/// The clinic's template files for a channel and language: (one appointment, several).
fn files_of(
    t: &Templates,
    channel: Channel,
    lang: Language,
) -> (Option<&PathBuf>, Option<&PathBuf>) {
    let (single, combined) = match channel {
        Channel::Call => ("voice", "voice_combined"),
        _ => ("sms", "sms_combined"),
    };
    (t.get(single, lang.code()), t.get(combined, lang.code()))
}

/// `count` sample appointments on one number, tomorrow morning in the site's zone, each
/// export column filled with its own name.
fn sample(
    cfg: &Config,
    site: &str,
    channel: Channel,
    lang: Language,
    count: usize,
    columns: &[String],
) -> Vec<Stored> {
    let tz = cfg.site(site).tz;
    let tomorrow = cfg.now().with_timezone(&tz).date_naive() + Duration::days(1);
    let data = serde_json::Value::Object(
        columns
            .iter()
            .map(|c| (c.clone(), serde_json::Value::String(format!("[{c}]"))))
            .collect(),
    )
    .to_string();
    (0..count)
        .map(|i| {
            let local = tomorrow
                .and_hms_opt(10, 30 * i as u32, 0)
                .unwrap_or_default();
            let at = tz
                .from_local_datetime(&local)
                .earliest()
                .map(|t| t.with_timezone(&chrono::Utc))
                .unwrap_or_else(|| cfg.now());
            Stored {
                id: i as i64 + 1,
                appointment_id: format!("A{}", 1001 + i),
                patient_id: format!("P{}", 501 + i),
                phone_number: "+14165550123".into(),
                at: Stamp::from(at),
                // No message of the export's: the pack's own sentence, as most patients get.
                message: String::new(),
                language: lang,
                channel,
                state: State::Pending,
                attempt_count: 0,
                last_attempt_at: None,
                site: site.to_string(),
                touch_days: None,
                touch_attempts: 0,
                reached_before: false,
                data: Some(data.clone()),
                data_keys: None,
                moved_from: None,
            }
        })
        .collect()
}
