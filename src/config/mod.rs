//! Settings from the TOML file, then the environment, then flags (each wins over the one before),
//! every key with its default (docs/configuration.md). A bad value is a usage error (exit 2) naming
//! the key and where the value came from. Secrets are kept out of `Debug`.

use std::path::{Path, PathBuf};

use anyhow::Result;
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

mod credentials;
pub mod csv;
mod file;
pub mod languages;
mod layers;
mod limits;
pub mod locate;
mod schedule;
pub mod sites;
pub mod values;
mod waitlist;

use layers::{Layers, Source, check_known_keys};
pub use limits::Limits;
pub use schedule::Schedule;
use schedule::schedule;
use values::{boolean, parse_now, path, positive_f64, whole};
pub use values::{parse_public_url, read_template};
pub use waitlist::{MatchField, OpenFrom, Waitlist};

pub use credentials::{Credentials, Secret};
pub use languages::Templates;

use crate::clock::Clock;
pub use crate::domain::channel::DefaultChannel;
pub use crate::domain::contact_hours::{ContactHours, Hours, parse_hours};
pub use crate::domain::datetime::SlashOrder;
use crate::domain::languages::Languages;
use crate::exit::usage;

#[derive(Clone, Debug)]
pub struct Twilio {
    pub account_sid: String,
    pub auth_token: Secret,
    pub phone_number: String,
    pub messaging_service_sid: Option<String>,
    pub api_base: String,
    /// Base URL of Twilio's Messaging API (messaging services live on their own host).
    pub messaging_api_base: String,
    /// The most any one request to Twilio may take, answer included.
    pub timeout: std::time::Duration,
}

#[derive(Clone, Debug)]
pub struct Sending {
    pub max_attempts: u32,
    pub min_retry_gap_minutes: i64,
    /// `quiet_hours`, and `[sending.hours_by_day]` on the days it names.
    pub hours: ContactHours,
    pub calls_per_second: f64,
    pub sms_per_second: f64,
    pub max_in_flight: usize,
    pub default_channel: DefaultChannel,
    pub voicemail_counts_as_reached: bool,
    /// A call an answering machine took is followed by one text (`[sending] voicemail_text`).
    pub voicemail_text: bool,
    /// A visit the clinic's system marks as missed gets one message (`[followup] no_show`).
    pub no_show_follow_up: bool,
    pub sms_validity_minutes: u32,
    pub lock_wait_seconds: u64,
}

/// One site's settings, the top level's filling what it leaves out.
#[derive(Clone, Copy, Debug)]
pub struct SiteView<'a> {
    pub key: &'a str,
    pub tz: Tz,
    pub hours: ContactHours,
    pub identity: &'a sites::Identity,
    /// Caller ID and SMS sender (E.164 once `credentials` checked the top level's).
    pub phone_number: &'a str,
    pub messaging_service_sid: Option<&'a str>,
    pub templates: &'a Templates,
    /// How many contacts one number may get (docs/behaviour.md, "Holds").
    pub caps: crate::domain::limits::Caps,
}

#[derive(Clone, Debug)]
pub struct Webhook {
    pub listen: String,
    pub public_url: Option<String>,
}

#[derive(Clone, Debug)]
pub struct Config {
    pub db: PathBuf,
    pub csv_dir: PathBuf,
    pub archive_dir: PathBuf,
    pub timezone: Tz,
    pub region: phonenumber::country::Id,
    pub slash_dates: SlashOrder,
    pub csv: csv::Csv,
    /// The clinic's name, call-back number and address for the one site (and what sites
    /// leave out).
    pub identity: sites::Identity,
    /// `[sites.NAME]`; empty when the clinic is one site.
    pub sites: Vec<sites::Site>,
    pub schedule: Schedule,
    /// `[limits]`: the profile and the caps of every site that sets none of its own.
    pub limits: Limits,
    /// `[waitlist]`: the waitlist files and how a freed slot is offered.
    pub waitlist: Waitlist,
    pub outbox_dir: PathBuf,
    /// Patient data older than this many days may be pruned; `None` keeps everything.
    pub retention_days: Option<u32>,
    pub twilio: Twilio,
    pub sending: Sending,
    /// Every language pack (built in and the clinic's), voices set, and the default.
    pub languages: std::sync::Arc<Languages>,
    pub templates: Templates,
    pub webhook: Webhook,
    pub clock: Clock,
    /// The configuration file, when it holds the Twilio auth token: whose mode is checked so
    /// that a token others can read is said (`access::warn_if_token_exposed`).
    pub token_file: Option<PathBuf>,
}

/// A variable of the process environment; empty counts as unset.
pub fn process_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// Which configuration file is read: `--config`, else `$REMINDERS_CONFIG` (both must exist),
/// else `./reminders.toml` when there is one. The flag says whether the file must exist.
pub fn file_location(
    overrides: &Overrides,
    env: &dyn Fn(&str) -> Option<String>,
) -> (Option<PathBuf>, bool) {
    let system = env(locate::SYSTEM_FILE_ENV).unwrap_or_else(|| locate::SYSTEM_FILE.to_string());
    match locate::locate(
        overrides.config.as_deref(),
        env("REMINDERS_CONFIG").as_deref(),
        Path::new(&system),
        &locate::present,
    ) {
        Some(l) => (Some(l.path), l.named),
        None => (None, false),
    }
}

/// Whether a configuration file's text sets `twilio.auth_token` (to anything but "").
pub fn holds_auth_token(text: &str) -> bool {
    text.parse::<toml::Table>().ok().is_some_and(|t| {
        t.get("twilio")
            .and_then(|v| v.get("auth_token"))
            .and_then(toml::Value::as_str)
            .is_some_and(|v| !v.trim().is_empty())
    })
}

/// Flags that override both file and environment.
#[derive(Clone, Debug, Default)]
pub struct Overrides {
    pub config: Option<PathBuf>,
    pub db: Option<PathBuf>,
    pub listen: Option<String>,
}

/// The file's `[twilio] auth_token`, if it has one.
fn holds_token(file: &toml::Table) -> Option<&str> {
    file.get("twilio")?.get("auth_token")?.as_str()
}

impl Config {
    /// Loads the configuration the way every command does: `--config`, else `$REMINDERS_CONFIG`,
    /// else `./reminders.toml` if it exists, else `/etc/reminders/reminders.toml` if it exists
    /// (`locate::locate`); then the process environment; then flags.
    pub fn load(overrides: &Overrides) -> Result<Config> {
        Config::load_with(overrides, &process_env)
    }

    pub fn load_with(
        overrides: &Overrides,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Config> {
        let (file_path, must_exist) = file_location(overrides, env);
        let file = match &file_path {
            Some(p) => {
                let text = match file::read_small(p, "config file") {
                    Ok(t) => t,
                    Err(file::Unreadable::Missing(_)) if !must_exist => String::new(),
                    Err(file::Unreadable::Missing(e)) => {
                        return Err(usage(format!(
                            "cannot read config file {}: {e}",
                            p.display()
                        )));
                    }
                    Err(file::Unreadable::Refused(why)) => return Err(usage(why)),
                };
                let table: toml::Table = text.parse().map_err(|e| {
                    usage(format!(
                        "config file {} is not valid TOML: {e}",
                        p.display()
                    ))
                })?;
                check_known_keys(&table, p)?;
                table
            }
            None => toml::Table::new(),
        };
        let token_file = file_path
            .clone()
            .filter(|_| holds_token(&file).is_some_and(|t| !t.trim().is_empty()));
        let layers = Layers {
            file_path: file_path.as_deref(),
            file,
            env,
        };
        let l = &layers;

        let mut db = l.get("db", PathBuf::from("reminders.db"), path)?;
        if let Some(flag) = &overrides.db {
            db = path(&flag.to_string_lossy())
                .map_err(|why| usage(format!("{} --db: {why}", Source::Flag("--db"))))?;
        }
        let sending = Sending {
            max_attempts: l.get("sending.max_attempts", 3, whole(1u32, 10))?,
            min_retry_gap_minutes: l.get("sending.min_retry_gap_minutes", 30, whole(0i64, 1440))?,
            hours: sites::contact_hours(
                l,
                "sending",
                ContactHours::every_day(parse_hours("08:00-21:00").map_err(anyhow::Error::msg)?),
            )?,
            calls_per_second: l.get("sending.calls_per_second", 1.0, positive_f64)?,
            sms_per_second: l.get("sending.sms_per_second", 1.0, positive_f64)?,
            max_in_flight: l.get("sending.max_in_flight", 16, whole(1usize, 256))?,
            default_channel: l.get("sending.default_channel", DefaultChannel::Call, |s| match s
                .to_ascii_lowercase()
                .as_str()
            {
                "call" => Ok(DefaultChannel::Call),
                "sms" => Ok(DefaultChannel::Sms),
                "none" => Ok(DefaultChannel::None),
                _ => Err("must be \"call\", \"sms\" or \"none\"".into()),
            })?,
            voicemail_counts_as_reached: l.get(
                "sending.voicemail_counts_as_reached",
                true,
                boolean,
            )?,
            voicemail_text: l.get("sending.voicemail_text", false, boolean)?,
            no_show_follow_up: l.get("followup.no_show", true, boolean)?,
            sms_validity_minutes: l.get("sending.sms_validity_minutes", 120, whole(1u32, 600))?,
            lock_wait_seconds: l.get("sending.lock_wait_seconds", 900, whole(0u64, 86_400))?,
        };
        let mut listen = l.get("webhook.listen", "127.0.0.1:8080".to_string(), |s| {
            s.parse::<std::net::SocketAddr>()
                .map(|_| s.to_string())
                .map_err(|_| "must be an address like 127.0.0.1:8080".into())
        })?;
        if let Some(flag) = &overrides.listen {
            flag.parse::<std::net::SocketAddr>().map_err(|_| {
                usage(format!(
                    "flag --listen: must be an address like 127.0.0.1:8080 (got {flag:?})"
                ))
            })?;
            listen = flag.clone();
        }
        let public_url = match l.raw("webhook.public_url") {
            Some((v, source)) if !v.trim().is_empty() => {
                Some(parse_public_url(v.trim()).map_err(|why| {
                    usage(format!(
                        "configuration key `webhook.public_url` from {source}: {why} (got {:?})",
                        values::public_url_shown(v.trim())
                    ))
                })?)
            }
            _ => None,
        };
        let languages = languages::load(l)?;
        let templates = Templates::load(l, "templates", &languages)?;
        let identity = sites::Identity {
            clinic_name: l.optional_string("clinic_name"),
            callback_number: l.optional_string("callback_number"),
            address: l.optional_string("address"),
        };
        let timezone = l.get("timezone", chrono_tz::America::Toronto, |s| {
            s.parse::<Tz>()
                .map_err(|_| "must be an IANA time zone such as America/Toronto".into())
        })?;
        let region = l.get("region", phonenumber::country::Id::CA, |s| {
            s.to_ascii_uppercase()
                .parse()
                .map_err(|_| "must be a two-letter country code such as CA".into())
        })?;
        let limits = limits::load(l)?;
        let sites = sites::load(
            l,
            sites::TopLevel {
                timezone,
                hours: sending.hours,
                identity: &identity,
                templates: &templates,
                languages: &languages,
                region,
                caps: limits.caps,
            },
        )?;
        limits::check_identity(&limits, &identity, &sites)?;
        // The clock file is the test harness's hand on the clock; REMINDERS_NOW gives way to it.
        let clock = match (env("REMINDERS_CLOCK_FILE"), env("REMINDERS_NOW")) {
            (Some(file), _) => {
                Clock::from_file(Path::new(&file)).map_err(|e| usage(format!("{e:#}")))?
            }
            (None, Some(raw)) => Clock::starting_at(parse_now(&raw)?),
            (None, None) => Clock::real(),
        };
        Ok(Config {
            db,
            csv_dir: l.get("csv_dir", PathBuf::from("csv"), path)?,
            archive_dir: l.get("archive_dir", PathBuf::from("archive"), path)?,
            timezone,
            region,
            slash_dates: l.get("slash_dates", SlashOrder::MonthFirst, |s| {
                match SlashOrder::from_word(s) {
                    Some(o @ (SlashOrder::MonthFirst | SlashOrder::DayFirst)) => Ok(o),
                    _ => Err("must be \"mdy\" or \"dmy\"".into()),
                }
            })?,
            csv: csv::load(l)?,
            schedule: schedule(l)?,
            limits,
            waitlist: waitlist::load(l)?,
            identity,
            sites,
            outbox_dir: l.get("outbox_dir", PathBuf::from("outbox"), path)?,
            retention_days: l.get("retention_days", None, |s| whole(1u32, 36_500)(s).map(Some))?,
            twilio: Twilio {
                account_sid: l.optional_string("twilio.account_sid").unwrap_or_default(),
                auth_token: Secret::new(l.optional_string("twilio.auth_token").unwrap_or_default()),
                phone_number: l.optional_string("twilio.phone_number").unwrap_or_default(),
                messaging_service_sid: l.optional_string("twilio.messaging_service_sid"),
                api_base: l
                    .optional_string("twilio.api_base")
                    .unwrap_or_else(|| "https://api.twilio.com".to_string())
                    .trim_end_matches('/')
                    .to_string(),
                messaging_api_base: l
                    .optional_string("twilio.messaging_api_base")
                    .unwrap_or_else(|| "https://messaging.twilio.com".to_string())
                    .trim_end_matches('/')
                    .to_string(),
                timeout: std::time::Duration::from_secs(l.get(
                    "twilio.timeout_seconds",
                    30,
                    whole(1u64, 600),
                )?),
            },
            sending,
            languages: std::sync::Arc::new(languages),
            templates,
            webhook: Webhook { listen, public_url },
            clock,
            token_file,
        })
    }

    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    /// The rules that decide how an outcome moves an appointment (runs and the listener alike).
    pub fn news_rules(&self) -> crate::news::OutcomeRules {
        crate::news::OutcomeRules {
            max_attempts: self.sending.max_attempts,
            voicemail_counts_as_reached: self.sending.voicemail_counts_as_reached,
            touches: self.schedule.touches.clone(),
            sites: self.site_table(),
        }
    }

    /// A site's settings (its own, else the top level's); `""` or an unknown key: the top level.
    pub fn site(&self, key: &str) -> SiteView<'_> {
        // Per row of an import, a report and a results file: `text::same`.
        match self.sites.iter().find(|s| crate::text::same(&s.key, key)) {
            Some(s) => SiteView {
                key: &s.key,
                tz: s.timezone,
                hours: s.hours,
                identity: &s.identity,
                phone_number: s
                    .phone_number
                    .as_deref()
                    .unwrap_or(&self.twilio.phone_number),
                messaging_service_sid: s
                    .messaging_service_sid
                    .as_deref()
                    .or(self.twilio.messaging_service_sid.as_deref()),
                templates: &s.templates,
                caps: s.caps,
            },
            None => SiteView {
                key: "",
                tz: self.timezone,
                hours: self.sending.hours,
                identity: &self.identity,
                phone_number: &self.twilio.phone_number,
                messaging_service_sid: self.twilio.messaging_service_sid.as_deref(),
                templates: &self.templates,
                caps: self.limits.caps,
            },
        }
    }

    /// Every site's key (`""` alone when the clinic is one site).
    pub fn site_keys(&self) -> Vec<&str> {
        if self.sites.is_empty() {
            vec![""]
        } else {
            self.sites.iter().map(|s| s.key.as_str()).collect()
        }
    }

    /// Which site each export row belongs to, and in which zone its times are read.
    pub fn site_table(&self) -> crate::domain::sites::SiteTable {
        let mut t = crate::domain::sites::SiteTable::single(self.timezone);
        for s in &self.sites {
            t.add(&s.key, &s.names, s.timezone);
        }
        t
    }

    /// The lock file that serialises dispatching runs sits beside the database.
    pub fn lock_path(&self) -> PathBuf {
        let mut name = self.db.as_os_str().to_owned();
        name.push(".lock");
        PathBuf::from(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(file: Option<&str>, env: &[(&str, &str)], flags: Overrides) -> Result<Config> {
        let dir = tempfile::tempdir().unwrap();
        let mut flags = flags;
        if let Some(text) = file {
            let p = dir.path().join("reminders.toml");
            std::fs::write(&p, text).unwrap();
            flags.config = Some(p);
        }
        let mut map: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        // Never this machine's /etc/reminders/reminders.toml.
        let system = dir.path().join("system.toml");
        map.entry(locate::SYSTEM_FILE_ENV.to_string())
            .or_insert_with(|| system.display().to_string());
        Config::load_with(&flags, &|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_follow_the_spec() {
        let c = load(None, &[], Overrides::default()).unwrap();
        assert_eq!(c.db, PathBuf::from("reminders.db"));
        assert_eq!(c.csv_dir, PathBuf::from("csv"));
        assert_eq!(c.timezone, chrono_tz::America::Toronto);
        assert_eq!(c.region, phonenumber::country::Id::CA);
        assert_eq!(c.sending.max_attempts, 3);
        assert_eq!(c.sending.min_retry_gap_minutes, 30);
        assert_eq!(c.sending.max_in_flight, 16);
        assert_eq!(c.sending.sms_validity_minutes, 120);
        assert_eq!(c.sending.lock_wait_seconds, 900);
        assert_eq!(c.sending.default_channel, DefaultChannel::Call);
        assert_eq!(c.twilio.api_base, "https://api.twilio.com");
        assert_eq!(c.twilio.messaging_api_base, "https://messaging.twilio.com");
        assert_eq!(c.webhook.listen, "127.0.0.1:8080");
    }

    #[test]
    fn env_beats_file_and_flag_beats_both() {
        let file =
            "db = \"file.db\"\ntimezone = \"America/Vancouver\"\n[sending]\nmax_attempts = 5\n";
        let c = load(
            Some(file),
            &[("REMINDERS_DB", "env.db")],
            Overrides::default(),
        )
        .unwrap();
        assert_eq!(c.db, PathBuf::from("env.db"));
        assert_eq!(c.timezone, chrono_tz::America::Vancouver);
        assert_eq!(c.sending.max_attempts, 5);
        let flags = Overrides {
            db: Some("flag.db".into()),
            ..Default::default()
        };
        let c = load(Some(file), &[("REMINDERS_DB", "env.db")], flags).unwrap();
        assert_eq!(c.db, PathBuf::from("flag.db"));
    }

    #[test]
    fn bad_values_name_key_and_source() {
        let err = load(
            Some("[sending]\ncalls_per_second = -1\n"),
            &[],
            Overrides::default(),
        )
        .unwrap_err();
        let msg = format!("{err:#}");
        assert!(msg.contains("sending.calls_per_second"), "{msg}");
        assert!(msg.contains("config file"), "{msg}");
        assert_eq!(crate::exit::code_for(&err), 2);

        let err = load(
            None,
            &[("REMINDERS_TZ", "Mars/Olympus")],
            Overrides::default(),
        )
        .unwrap_err();
        let msg = format!("{err:#}");
        assert!(
            msg.contains("`timezone`") && msg.contains("REMINDERS_TZ"),
            "{msg}"
        );

        let err = load(Some("colour = \"blue\"\n"), &[], Overrides::default()).unwrap_err();
        assert!(format!("{err:#}").contains("unknown key `colour`"));

        let err = load(
            None,
            &[("REMINDERS_NOW", "yesterday")],
            Overrides::default(),
        )
        .unwrap_err();
        assert!(format!("{err:#}").contains("REMINDERS_NOW"));
    }

    #[test]
    fn the_clock_file_beats_reminders_now_and_must_hold_an_instant() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("now");
        let name = file.display().to_string();
        let env = [
            ("REMINDERS_CLOCK_FILE", name.as_str()),
            ("REMINDERS_NOW", "2026-11-24T19:00:00-05:00"),
        ];
        let err = load(None, &env, Overrides::default()).unwrap_err();
        assert_eq!(crate::exit::code_for(&err), 2);
        assert!(
            format!("{err:#}").contains(&format!("clock file {name} (REMINDERS_CLOCK_FILE)")),
            "{err:#}"
        );
        std::fs::write(&file, "2026-11-24T20:59:50-05:00").unwrap();
        let c = load(None, &env, Overrides::default()).unwrap();
        let at = DateTime::parse_from_rfc3339("2026-11-24T20:59:50-05:00").unwrap();
        assert_eq!(c.now(), at);
        // Without it, REMINDERS_NOW as ever: its instant, then moving on.
        let c = load(None, &env[1..], Overrides::default()).unwrap();
        assert!(c.now() >= DateTime::parse_from_rfc3339(env[1].1).unwrap());
        assert!(c.now() < at);
    }

    #[test]
    fn limits_come_from_the_profile_and_sites_may_only_tighten_them() {
        let c = load(None, &[], Overrides::default()).unwrap();
        assert!(!c.limits.caps.any());
        let health = "clinic_name = \"Bloor\"\ncallback_number = \"+14165550001\"\n\
                      [limits]\nprofile = \"us-health\"\n";
        let c = load(Some(health), &[], Overrides::default()).unwrap();
        assert_eq!((c.site("").caps.per_day, c.site("").caps.per_week), (1, 3));
        let sites = format!(
            "{health}[sites.a]\nnames = [\"A\"]\n[sites.b]\nnames = [\"B\"]\n[sites.b.limits]\nper_week = 2\n"
        );
        let c = load(Some(&sites), &[], Overrides::default()).unwrap();
        assert_eq!(c.site("a").caps.per_week, 3);
        assert_eq!(
            (c.site("b").caps.per_day, c.site("b").caps.per_week),
            (1, 2)
        );
        for (text, says) in [
            (
                format!("{health}per_day = 2\n"),
                "per_day = 2 is looser than the 1",
            ),
            (
                format!("{health}[sites.a]\n[sites.a.limits]\nper_week = 0\n"),
                "[sites.a.limits]",
            ),
            (
                "[limits]\nprofile = \"us-health\"\n".to_string(),
                "requires clinic_name and callback_number",
            ),
            (
                format!("{health}[sites.a]\nclinic_name = \"A\"\ncallback_number = \"\"\n")
                    .replace("callback_number = \"+14165550001\"\n", ""),
                "[sites.a] lacks callback_number",
            ),
            (
                "[limits]\nprofile = \"hipaa\"\n".to_string(),
                "limits.profile",
            ),
        ] {
            let err = load(Some(&text), &[], Overrides::default()).unwrap_err();
            assert!(format!("{err:#}").contains(says), "{text}: {err:#}");
            assert_eq!(crate::exit::code_for(&err), 2);
        }
    }

    #[test]
    fn debug_never_shows_the_token() {
        let c = load(
            Some("[twilio]\nauth_token = \"supersecret-token\"\n"),
            &[],
            Overrides::default(),
        )
        .unwrap();
        let dbg = format!("{c:?}");
        assert!(!dbg.contains("supersecret-token"), "{dbg}");
        assert!(dbg.contains("[redacted]"));
    }

    #[test]
    fn the_file_is_remembered_only_when_it_holds_the_token() {
        let with = |text: &str, env: &[(&str, &str)]| {
            load(Some(text), env, Overrides::default())
                .unwrap()
                .token_file
                .is_some()
        };
        assert!(with("[twilio]\nauth_token = \"t0ken\"\n", &[]));
        // The environment wins, but the file still holds the token for anyone to read.
        assert!(with(
            "[twilio]\nauth_token = \"t0ken\"\n",
            &[("TWILIO_AUTH_TOKEN", "other")]
        ));
        assert!(!with("[twilio]\nauth_token = \"\"\n", &[]));
        assert!(!with(
            "[twilio]\naccount_sid = \"AC1\"\n",
            &[("TWILIO_AUTH_TOKEN", "t")]
        ));
    }

    #[test]
    fn credentials_name_what_is_missing() {
        let c = load(None, &[("TWILIO_ACCOUNT_SID", "AC1")], Overrides::default()).unwrap();
        let msg = format!("{:#}", c.credentials().unwrap_err());
        assert!(msg.contains("TWILIO_AUTH_TOKEN") && msg.contains("REMINDERS_PUBLIC_URL"));
        assert!(!msg.contains("TWILIO_ACCOUNT_SID"));
    }

    #[test]
    fn a_file_holds_the_token_only_when_it_sets_one() {
        assert!(holds_auth_token("[twilio]\nauth_token = \"abc\"\n"));
        assert!(!holds_auth_token("[twilio]\nauth_token = \"\"\n"));
        assert!(!holds_auth_token("[twilio]\naccount_sid = \"AC1\"\n"));
        assert!(!holds_auth_token("not toml ["));
    }

    #[test]
    fn public_url_is_normalised() {
        assert_eq!(
            parse_public_url("HTTPS://Rem.Example.ca/").unwrap(),
            "https://rem.example.ca"
        );
        for (raw, normal) in [
            (
                "https://rem.example.ca/hooks//",
                "https://rem.example.ca/hooks",
            ),
            ("http://127.0.0.1:8080/", "http://127.0.0.1:8080"),
            ("https://[::1]:8443", "https://[::1]:8443"),
        ] {
            assert_eq!(parse_public_url(raw).unwrap(), normal, "{raw}");
        }
        for (raw, why) in [
            ("rem.example.ca", "https://"),
            ("ftp://rem.example.ca", "https://"),
            ("https://", "no host"),
            ("https:///twilio", "no host"),
            ("https://h?x=1", "query"),
            ("https://h/base?x=1", "query"),
            ("https://h#top", "fragment"),
            ("https://user:pw@h", "user name or password"),
            ("https://h:port", "invalid port"),
            ("https://h:0", "invalid port"),
            ("https://h x", "spaces"),
            ("https://h%2e", "invalid host"),
        ] {
            let err = parse_public_url(raw).unwrap_err();
            assert!(err.contains(why), "{raw}: {err}");
        }
        assert_eq!(
            values::public_url_shown("https://user:pw@h/x"),
            "https://***@h/x"
        );
    }

    #[test]
    fn hours_by_day_replace_quiet_hours_on_their_day_per_site() {
        use chrono::Weekday::{Mon, Sat, Sun};
        let file = "[sending]\nquiet_hours = \"08:00-21:00\"\n[sending.hours_by_day]\nsat = \"10:00-18:00\"\nsun = \"12:00-16:00\"\n\
            [sites.bloor]\nnames = [\"Bloor\"]\nquiet_hours = \"09:00-20:00\"\n[sites.bloor.hours_by_day]\nsun = \"11:00-15:00\"\n\
            [sites.king]\nnames = [\"King\"]\n";
        let c = load(Some(file), &[], Overrides::default()).unwrap();
        let hours = |site: &str, day| c.site(site).hours.on(day).label();
        assert_eq!(hours("king", Mon), "08:00-21:00");
        assert_eq!(hours("king", Sat), "10:00-18:00");
        // A site's own quiet_hours and Sunday; Saturday still the top level's.
        assert_eq!(hours("bloor", Mon), "09:00-20:00");
        assert_eq!(hours("bloor", Sat), "10:00-18:00");
        assert_eq!(hours("bloor", Sun), "11:00-15:00");
        let bad = load(
            Some("[sending.hours_by_day]\nsat = \"10-18\"\n"),
            &[],
            Overrides::default(),
        )
        .unwrap_err();
        assert!(
            format!("{bad:#}").contains("sending.hours_by_day.sat"),
            "{bad:#}"
        );
        let unknown = load(
            Some("[sending.hours_by_day]\nsaturday = \"10:00-18:00\"\n"),
            &[],
            Overrides::default(),
        )
        .unwrap_err();
        assert!(format!("{unknown:#}").contains("sending.hours_by_day.saturday"));
    }
}
