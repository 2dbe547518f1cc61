//! The raw layers of the configuration — the TOML file, then the environment — and the one
//! table of every key the file may hold. Values are read as text here, with where they came
//! from, so every bad value is reported naming its key and its source.

use std::fmt;
use std::path::Path;

use anyhow::Result;

use crate::exit::usage;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source<'a> {
    File(&'a Path),
    Env(&'static str),
    Flag(&'static str),
}

impl fmt::Display for Source<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::File(p) => write!(f, "config file {}", p.display()),
            Source::Env(name) => write!(f, "environment variable {name}"),
            Source::Flag(name) => write!(f, "flag {name}"),
        }
    }
}

/// Every key the file may hold, with the environment variable that overrides it. `*` stands
/// for any one name (a site's).
pub const KEYS: &[(&str, Option<&str>)] = &[
    ("db", Some("REMINDERS_DB")),
    ("csv_dir", Some("REMINDERS_CSV_DIR")),
    ("archive_dir", Some("REMINDERS_ARCHIVE_DIR")),
    ("outbox_dir", Some("REMINDERS_OUTBOX_DIR")),
    ("timezone", Some("REMINDERS_TZ")),
    ("region", Some("REMINDERS_REGION")),
    ("slash_dates", None),
    ("retention_days", None),
    ("clinic_name", None),
    ("callback_number", None),
    ("address", None),
    ("twilio.account_sid", Some("TWILIO_ACCOUNT_SID")),
    ("twilio.auth_token", Some("TWILIO_AUTH_TOKEN")),
    ("twilio.phone_number", Some("TWILIO_PHONE_NUMBER")),
    (
        "twilio.messaging_service_sid",
        Some("TWILIO_MESSAGING_SERVICE_SID"),
    ),
    ("twilio.api_base", Some("TWILIO_API_BASE")),
    (
        "twilio.messaging_api_base",
        Some("TWILIO_MESSAGING_API_BASE"),
    ),
    ("twilio.timeout_seconds", None),
    ("sending.max_attempts", None),
    ("sending.min_retry_gap_minutes", None),
    ("sending.quiet_hours", None),
    ("sending.hours_by_day.mon", None),
    ("sending.hours_by_day.tue", None),
    ("sending.hours_by_day.wed", None),
    ("sending.hours_by_day.thu", None),
    ("sending.hours_by_day.fri", None),
    ("sending.hours_by_day.sat", None),
    ("sending.hours_by_day.sun", None),
    ("sending.calls_per_second", None),
    ("sending.sms_per_second", None),
    ("sending.max_in_flight", None),
    ("sending.default_channel", None),
    ("sending.voicemail_counts_as_reached", None),
    ("sending.voicemail_text", None),
    ("followup.no_show", None),
    ("sending.sms_validity_minutes", None),
    ("sending.say_voice_en", None),
    ("sending.say_voice_fr", None),
    ("sending.lock_wait_seconds", None),
    ("default_language", Some("REMINDERS_DEFAULT_LANGUAGE")),
    ("languages.dir", Some("REMINDERS_LANGUAGES_DIR")),
    // Each a kind and a language's code (`sms_es`): `Templates::load` checks the names.
    ("templates.*", None),
    ("limits.per_day", None),
    ("limits.per_week", None),
    ("limits.profile", None),
    ("waitlist.files", None),
    ("waitlist.min_notice_hours", None),
    ("waitlist.wave_size", None),
    ("waitlist.wave_minutes", None),
    ("waitlist.max_offers", None),
    ("waitlist.open_from", None),
    ("waitlist.match", None),
    ("waitlist.columns.patient_id", None),
    ("waitlist.columns.phone_number", None),
    ("waitlist.columns.language", None),
    ("waitlist.columns.clinic", None),
    ("waitlist.columns.provider", None),
    ("waitlist.columns.visit_type", None),
    ("waitlist.columns.duration_minutes", None),
    ("waitlist.columns.earliest", None),
    ("waitlist.columns.latest", None),
    ("waitlist.columns.appointment_id", None),
    ("waitlist.columns.added", None),
    ("webhook.listen", None),
    ("webhook.public_url", Some("REMINDERS_PUBLIC_URL")),
    ("csv.delimiter", None),
    ("csv.dates", None),
    ("csv.snapshot", None),
    ("csv.call_only", None),
    ("csv.columns.appointment_id", None),
    ("csv.columns.patient_id", None),
    ("csv.columns.phone_number", None),
    ("csv.columns.phone_preference", None),
    ("csv.columns.text_preference", None),
    ("csv.columns.appt_date_time", None),
    ("csv.columns.appt_date", None),
    ("csv.columns.appt_time", None),
    ("csv.columns.appointment_msg", None),
    ("csv.columns.language", None),
    ("csv.columns.status", None),
    ("csv.columns.clinic", None),
    ("csv.columns.provider", None),
    ("csv.columns.visit_type", None),
    ("csv.columns.duration_minutes", None),
    ("csv.values.yes", None),
    ("csv.values.no", None),
    ("csv.values.cancelled", None),
    ("csv.values.clinic_cancelled", None),
    ("csv.values.no_show", None),
    ("schedule.days_before", None),
    ("schedule.combine", None),
    ("schedule.expect_files", None),
    ("schedule.send", None),
    ("schedule.retry", None),
    ("schedule.catch_up_minutes", None),
    ("sites.*.names", None),
    ("sites.*.timezone", None),
    ("sites.*.phone_number", None),
    ("sites.*.messaging_service_sid", None),
    ("sites.*.clinic_name", None),
    ("sites.*.callback_number", None),
    ("sites.*.address", None),
    ("sites.*.quiet_hours", None),
    ("sites.*.hours_by_day.mon", None),
    ("sites.*.hours_by_day.tue", None),
    ("sites.*.hours_by_day.wed", None),
    ("sites.*.hours_by_day.thu", None),
    ("sites.*.hours_by_day.fri", None),
    ("sites.*.hours_by_day.sat", None),
    ("sites.*.hours_by_day.sun", None),
    ("sites.*.templates.*", None),
    ("sites.*.limits.per_day", None),
    ("sites.*.limits.per_week", None),
];

fn matches(pattern: &str, key: &str) -> bool {
    let (p, k): (Vec<&str>, Vec<&str>) = (pattern.split('.').collect(), key.split('.').collect());
    p.len() == k.len() && p.iter().zip(&k).all(|(p, k)| *p == "*" || p == k)
}

fn env_name(key: &str) -> Option<&'static str> {
    KEYS.iter()
        .find(|(k, _)| matches(k, key))
        .and_then(|(_, e)| *e)
}

/// The raw layers, before any value is interpreted.
pub struct Layers<'a> {
    pub file_path: Option<&'a Path>,
    pub file: toml::Table,
    pub env: &'a dyn Fn(&str) -> Option<String>,
}

impl<'a> Layers<'a> {
    /// The winning raw value of a key, as text, and where it came from.
    pub fn raw(&self, key: &str) -> Option<(String, Source<'a>)> {
        if let Some(name) = env_name(key)
            && let Some(v) = (self.env)(name)
        {
            return Some((v, Source::Env(name)));
        }
        let (value, source) = self.value(key)?;
        let text = match value {
            toml::Value::String(s) => s.clone(),
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Float(f) => f.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            other => other.to_string(),
        };
        Some((text, source))
    }

    /// A key's value in the file, as TOML.
    pub fn value(&self, key: &str) -> Option<(&toml::Value, Source<'a>)> {
        let path = self.file_path?;
        let mut parts = key.split('.');
        let mut value = self.file.get(parts.next()?)?;
        for part in parts {
            value = value.as_table()?.get(part)?;
        }
        Some((value, Source::File(path)))
    }

    /// A list of words: a TOML array of strings, or one string for a list of one.
    pub fn words(&self, key: &str) -> Result<Option<Vec<String>>> {
        let Some((value, source)) = self.value(key) else {
            return Ok(None);
        };
        let bad = || {
            usage(format!(
                "configuration key `{key}` from {source}: must be a string or a list of strings, e.g. [\"HmPhone\", \"WkPhone\"]"
            ))
        };
        match value {
            toml::Value::String(s) => Ok(Some(vec![s.clone()])),
            toml::Value::Array(items) => items
                .iter()
                .map(|i| i.as_str().map(str::to_string).ok_or_else(bad))
                .collect::<Result<Vec<_>>>()
                .map(Some),
            _ => Err(bad()),
        }
    }

    /// The names of the tables under `key` (`sites` → each site's name).
    pub fn table_names(&self, key: &str) -> Vec<String> {
        self.value(key)
            .and_then(|(v, _)| v.as_table())
            .map(|t| t.keys().cloned().collect())
            .unwrap_or_default()
    }

    /// A key's value, parsed after trimming spaces around it, or `default` when it is not set.
    pub fn get<T>(
        &self,
        key: &str,
        default: T,
        parse: impl Fn(&str) -> std::result::Result<T, String>,
    ) -> Result<T> {
        self.get_exact(key, default, |s| parse(s.trim()))
    }

    /// As `get`, but the value is parsed as written: for a value where a space, a tab or a line
    /// end means something (a delimiter).
    pub fn get_exact<T>(
        &self,
        key: &str,
        default: T,
        parse: impl Fn(&str) -> std::result::Result<T, String>,
    ) -> Result<T> {
        match self.raw(key) {
            None => Ok(default),
            Some((text, source)) => parse(&text).map_err(|why| {
                usage(format!(
                    "configuration key `{key}` from {source}: {why} (got {})",
                    shown_value(key, &text)
                ))
            }),
        }
    }

    /// Empty strings mean "not set", as in `reminders.toml.example`.
    pub fn optional_string(&self, key: &str) -> Option<String> {
        self.raw(key)
            .map(|(v, _)| v.trim().to_string())
            .filter(|v| !v.is_empty())
    }
}

fn shown_value(key: &str, text: &str) -> String {
    if key.ends_with("auth_token") {
        "[redacted]".to_string()
    } else {
        format!("{text:?}")
    }
}

/// Every key in the file must be one this program reads: a misspelt key would otherwise be
/// silently ignored and its default used.
pub fn check_known_keys(file: &toml::Table, path: &Path) -> Result<()> {
    fn walk(table: &toml::Table, prefix: &str, path: &Path) -> Result<()> {
        for (name, value) in table {
            let key = if prefix.is_empty() {
                name.clone()
            } else {
                format!("{prefix}.{name}")
            };
            let known = KEYS.iter().any(|(k, _)| matches(k, &key));
            let section = KEYS.iter().any(|(k, _)| {
                k.len() > key.len() && matches(&k[..k.len().min(key.len())], &key)
                    || prefix_of(k, &key)
            });
            match value.as_table() {
                Some(inner) if !known && section => walk(inner, &key, path)?,
                _ if known => {}
                _ => {
                    let fields = if key.starts_with("csv.columns.") {
                        Some(&crate::domain::columns::FIELDS[..])
                    } else if key.starts_with("waitlist.columns.") {
                        Some(&crate::domain::columns::WAITLIST_FIELDS[..])
                    } else {
                        None
                    };
                    let hint = if let Some(fields) = fields {
                        format!(
                            " (fields: {})",
                            fields
                                .iter()
                                .map(|f| f.name())
                                .collect::<Vec<_>>()
                                .join(", ")
                        )
                    } else {
                        String::new()
                    };
                    return Err(usage(format!(
                        "config file {}: unknown key `{key}`{hint}",
                        path.display()
                    )));
                }
            }
        }
        Ok(())
    }
    walk(file, "", path)
}

/// Whether `key` names a section that holds some of the keys matching `pattern`.
fn prefix_of(pattern: &str, key: &str) -> bool {
    let p: Vec<&str> = pattern.split('.').collect();
    let k: Vec<&str> = key.split('.').collect();
    k.len() < p.len() && p.iter().zip(&k).all(|(p, k)| *p == "*" || p == k)
}
