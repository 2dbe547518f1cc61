//! Whether an installation is ready for its night: the judgments `reminders check` makes about
//! facts gathered elsewhere (a URL, a file's mode, free space, a crontab's text, what a test
//! message's callbacks said). Each takes the facts and returns a verdict in words.

use chrono::NaiveTime;

use crate::domain::channel::Channel;
use crate::domain::contact_hours::Hours;
use crate::domain::languages::Pack;
use crate::domain::{outcome, segments, templates, twilio_errors};

/// How a check came out; a run with any `Fail` exits 1.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Ok,
    Warn,
    Fail,
}

impl Level {
    pub fn word(self) -> &'static str {
        match self {
            Level::Ok => "ok",
            Level::Warn => "warn",
            Level::Fail => "FAIL",
        }
    }
}

/// One line of the report: what was checked, and for a warning or failure what to do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    pub level: Level,
    pub what: String,
    pub advice: Option<String>,
}

impl Finding {
    pub fn ok(what: impl Into<String>) -> Finding {
        Finding {
            level: Level::Ok,
            what: what.into(),
            advice: None,
        }
    }

    pub fn warn(what: impl Into<String>, advice: impl Into<String>) -> Finding {
        Finding {
            level: Level::Warn,
            what: what.into(),
            advice: Some(advice.into()),
        }
    }

    pub fn fail(what: impl Into<String>, advice: impl Into<String>) -> Finding {
        Finding {
            level: Level::Fail,
            what: what.into(),
            advice: Some(advice.into()),
        }
    }
}

/// Why contact hours look wrong, if they do: patients reached in the night, or so short a
/// window that an evening's contacts cannot fit.
pub fn contact_hours(q: Hours) -> Option<String> {
    let early = NaiveTime::from_hms_opt(7, 0, 0)?;
    let late = NaiveTime::from_hms_opt(22, 0, 0)?;
    let shown = format!("{}-{}", q.start.format("%H:%M"), q.end.format("%H:%M"));
    if q.start > q.end {
        return Some(format!(
            "{shown} runs past midnight: patients would be contacted in the night"
        ));
    }
    if q.start < early || q.end > late {
        return Some(format!(
            "{shown} allows contact before 07:00 or after 22:00"
        ));
    }
    let minutes = (q.end - q.start).num_minutes();
    if minutes < 120 {
        return Some(format!(
            "{shown} leaves {minutes} minutes a day to reach everyone"
        ));
    }
    None
}

/// Whether Twilio may be given `public_url`: https, or plain http to this machine only (a
/// test or a demo; Twilio itself cannot reach it). `Err` says why not.
pub fn public_url(url: &str) -> Result<&'static str, String> {
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| format!("{url} is not a URL"))?;
    match scheme.to_ascii_lowercase().as_str() {
        "https" => Ok("https"),
        "http" if is_loopback(host_of(rest)) => Ok("plain http, on this machine only"),
        "http" => Err(format!(
            "{url} is plain http: Twilio's requests and their signatures would cross the network unencrypted"
        )),
        _ => Err(format!("{url} is neither https nor http")),
    }
}

/// The host of `host[:port]/path`, without brackets or port.
fn host_of(rest: &str) -> &str {
    let authority = rest.split('/').next().unwrap_or("");
    if let Some(v6) = authority.strip_prefix('[') {
        return v6.split(']').next().unwrap_or("");
    }
    authority.split(':').next().unwrap_or("")
}

fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// Whether a number's webhook (as Twilio holds it) is `expected`, ignoring the case of scheme
/// and host and a trailing slash.
pub fn same_url(actual: Option<&str>, expected: &str) -> bool {
    let norm = |u: &str| {
        let u = u.trim().trim_end_matches('/');
        match u.split_once("://") {
            Some((scheme, rest)) => {
                let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
                format!(
                    "{}://{}{path}",
                    scheme.to_ascii_lowercase(),
                    host.to_ascii_lowercase()
                )
            }
            None => u.to_string(),
        }
    };
    actual.is_some_and(|a| norm(a) == norm(expected))
}

const MIB: u64 = 1024 * 1024;
const GIB: u64 = 1024 * MIB;

/// Free space on the data folder's disk: a failure when almost nothing is left (the night's
/// writes would fail), a warning under 1 GiB or 5%.
pub fn free_space(free: u64, total: u64) -> Level {
    if free < 100 * MIB {
        Level::Fail
    } else if free < GIB || (total > 0 && free.saturating_mul(20) < total) {
        Level::Warn
    } else {
        Level::Ok
    }
}

/// `1.5 GiB`, `300 MiB`.
pub fn bytes(n: u64) -> String {
    if n >= GIB {
        format!("{:.1} GiB", n as f64 / GIB as f64)
    } else {
        format!("{} MiB", n / MIB)
    }
}

/// Whether a file holding a secret lets anyone but its owner read or change it.
pub fn others_may_access(mode: u32) -> bool {
    mode & 0o077 != 0
}

/// A crontab line that runs `reminders run`, and as whom when the file says (`/etc/cron.d`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Heartbeat {
    pub user: Option<String>,
    pub line: String,
}

/// The lines of a crontab that run `reminders run`. `system`: the `/etc/cron.d` form, whose
/// lines name the user between the time and the command.
pub fn heartbeats(text: &str, system: bool) -> Vec<Heartbeat> {
    let mut found = Vec::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let fields: Vec<&str> = line.split_whitespace().collect();
        let first = fields.first().copied().unwrap_or("");
        // A variable assignment (`MAILTO=...`, `CRON_TZ=...`), not a job.
        if first.contains('=') && !first.starts_with('@') {
            continue;
        }
        let time_fields = if first.starts_with('@') { 1 } else { 5 };
        let user = system.then(|| fields.get(time_fields).map(|u| u.to_string()));
        let command_from = time_fields + usize::from(system);
        if fields.len() <= command_from {
            continue;
        }
        if runs_heartbeat(&fields[command_from..].join(" ")) {
            found.push(Heartbeat {
                user: user.flatten(),
                line: line.to_string(),
            });
        }
    }
    found
}

/// Whether a shell command runs `reminders [global flags] run`, alone or after `cd DIR &&`.
fn runs_heartbeat(command: &str) -> bool {
    let words: Vec<&str> = command
        .split(|c: char| c.is_whitespace() || matches!(c, ';' | '&' | '|' | '(' | ')'))
        .filter(|w| !w.is_empty())
        .collect();
    words.iter().enumerate().any(|(i, w)| {
        if *w != "reminders" && !w.ends_with("/reminders") {
            return false;
        }
        let mut j = i + 1;
        while let Some(flag) = words.get(j).filter(|w| w.starts_with('-')) {
            let takes_value = matches!(*flag, "--config" | "--db");
            j += if takes_value { 2 } else { 1 };
        }
        words.get(j) == Some(&"run")
    })
}

/// What Twilio says of an account's status, when it is not `active`.
pub fn account_status(status: &str) -> Option<Level> {
    match status {
        "active" => None,
        "suspended" | "closed" => Some(Level::Fail),
        _ => Some(Level::Warn),
    }
}

/// An SMS body's length and how it travels: "131 characters, GSM-7, 1 segment".
pub fn sms_size(body: &str) -> String {
    format!(
        "{} characters, {}",
        body.chars().count(),
        segments::describe(segments::shape(body))
    )
}

/// The words of `check --send-test`'s text (for the clinic's staff: in English).
pub fn test_text(clinic: Option<&str>) -> String {
    let from = clinic.map_or(String::new(), |c| format!(" ({c})"));
    format!(
        "Test from the appointment reminders{from}: texts to patients will work. No reply needed."
    )
}

/// The words of `check --send-test --call`'s call (TwiML, in English): `english` gives the
/// `<Say>` its language and the configured voice.
pub fn test_call(clinic: Option<&str>, english: &Pack) -> String {
    let from = clinic.map_or(String::new(), |c| format!(" {}", templates::xml_escape(c)));
    format!(
        "<Response><Say{}>This is a test call from the appointment reminders{from}. Calls to patients will work. Goodbye.</Say><Hangup/></Response>",
        templates::say_attrs(english)
    )
}

/// How a test call or text ended, from the last status its callbacks brought: a failure when
/// it could not be delivered, a warning when a call went unanswered (the path works).
pub fn test_outcome(channel: Channel, status: &str, error_code: Option<i64>) -> (Level, String) {
    let error = error_code.map_or(String::new(), |c| {
        format!(": Twilio error {}", twilio_errors::describe(c))
    });
    let level = match (channel, status) {
        (Channel::Call, "completed") | (_, "delivered") | (_, "read") => Level::Ok,
        (Channel::Call, "busy" | "no-answer") => Level::Warn,
        _ if !outcome::is_final(channel, status) => Level::Warn,
        _ => Level::Fail,
    };
    let words = match (channel, status) {
        (Channel::Call, "completed") => "answered (completed)".to_string(),
        (Channel::Call, "busy" | "no-answer") => format!("{status}: nobody answered"),
        _ => status.to_string(),
    };
    (level, format!("{words}{error}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::contact_hours::parse_hours;

    #[test]
    fn contact_hours_in_the_night_or_too_short_are_questioned() {
        let hours = |s| contact_hours(parse_hours(s).unwrap());
        assert_eq!(hours("08:00-21:00"), None);
        assert_eq!(hours("07:00-22:00"), None);
        assert!(hours("22:00-02:00").unwrap().contains("midnight"));
        assert!(hours("06:00-21:00").unwrap().contains("before 07:00"));
        assert!(hours("08:00-23:30").unwrap().contains("after 22:00"));
        assert!(hours("19:00-20:00").unwrap().contains("60 minutes"));
    }

    #[test]
    fn plain_http_is_only_for_this_machine() {
        assert!(public_url("https://rem.example.ca").is_ok());
        assert!(public_url("HTTPS://rem.example.ca/reminders").is_ok());
        for local in [
            "http://127.0.0.1:8080",
            "http://localhost",
            "http://[::1]:9000/x",
            "http://127.3.4.5",
        ] {
            assert!(public_url(local).is_ok(), "{local}");
        }
        for remote in ["http://rem.example.ca", "http://10.0.0.5:8080", "ftp://x"] {
            assert!(public_url(remote).is_err(), "{remote}");
        }
    }

    #[test]
    fn webhook_urls_compare_as_twilio_would_call_them() {
        let want = "https://rem.example.ca/twilio/sms-inbound";
        assert!(same_url(
            Some("HTTPS://Rem.Example.ca/twilio/sms-inbound/"),
            want
        ));
        assert!(!same_url(
            Some("https://rem.example.ca/Twilio/sms-inbound"),
            want
        ));
        assert!(!same_url(
            Some("https://demo.twilio.com/welcome/sms/reply"),
            want
        ));
        assert!(!same_url(Some(""), want));
        assert!(!same_url(None, want));
    }

    #[test]
    fn free_space_thresholds() {
        let g = 1024 * 1024 * 1024;
        assert_eq!(free_space(50 * 1024 * 1024, 100 * g), Level::Fail);
        assert_eq!(free_space(g / 2, 2 * g), Level::Warn);
        assert_eq!(free_space(4 * g, 100 * g), Level::Warn);
        assert_eq!(free_space(6 * g, 100 * g), Level::Ok);
        assert_eq!(bytes(3 * g / 2), "1.5 GiB");
        assert_eq!(bytes(300 * 1024 * 1024), "300 MiB");
    }

    #[test]
    fn a_secret_file_is_for_its_owner_alone() {
        assert!(!others_may_access(0o600));
        assert!(!others_may_access(0o400));
        assert!(others_may_access(0o640));
        assert!(others_may_access(0o604));
        assert!(others_may_access(0o620));
    }

    #[test]
    fn crontabs_are_searched_for_the_heartbeat() {
        let user = "MAILTO=ops@example.ca\n# */5 * * * * reminders run\n\
                    */5 * * * * cd /var/lib/reminders && reminders run\n\
                    0 3 * * * reminders prune\n";
        let found = heartbeats(user, false);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].user, None);
        assert!(found[0].line.starts_with("*/5"));

        let system = "*/5 * * * * reminders cd /var/lib/reminders && /usr/bin/reminders --config /etc/reminders/reminders.toml run\n\
                      @reboot root /usr/bin/reminders -q run >/dev/null\n";
        let found = heartbeats(system, true);
        assert_eq!(
            found.iter().map(|h| h.user.as_deref()).collect::<Vec<_>>(),
            vec![Some("reminders"), Some("root")]
        );
        assert!(heartbeats("0 19 * * * reminders import --now\n", false).is_empty());
        assert!(heartbeats("0 19 * * * echo reminders; run-parts x\n", false).is_empty());
        assert!(heartbeats("*/5 * * * * reminders\n", true).is_empty());
    }

    #[test]
    fn accounts_other_than_active_are_questioned() {
        assert_eq!(account_status("active"), None);
        assert_eq!(account_status("suspended"), Some(Level::Fail));
        assert_eq!(account_status("closed"), Some(Level::Fail));
        assert_eq!(account_status("pending"), Some(Level::Warn));
    }

    #[test]
    fn a_test_message_ends_in_words() {
        assert_eq!(
            test_outcome(Channel::Sms, "delivered", None),
            (Level::Ok, "delivered".into())
        );
        let (level, words) = test_outcome(Channel::Sms, "undelivered", Some(30006));
        assert_eq!(level, Level::Fail);
        assert!(
            words.starts_with("undelivered: Twilio error 30006"),
            "{words}"
        );
        assert_eq!(test_outcome(Channel::Sms, "sent", None).0, Level::Warn);
        assert_eq!(test_outcome(Channel::Call, "completed", None).0, Level::Ok);
        assert_eq!(
            test_outcome(Channel::Call, "no-answer", None).0,
            Level::Warn
        );
        assert_eq!(test_outcome(Channel::Call, "failed", None).0, Level::Fail);
        let mut en = crate::domain::languages::Languages::built_in()
            .get("en")
            .clone();
        en.set_voice("Polly.Joanna");
        let call = test_call(Some("Clinique A&B"), &en);
        assert!(call.contains("Clinique A&amp;B") && call.contains("language=\"en-CA\""));
        assert!(call.contains("voice=\"Polly.Joanna\""), "{call}");
        assert!(test_text(Some("Bloor Clinic")).contains("(Bloor Clinic)"));
        assert_eq!(
            sms_size("Hello"),
            "5 characters, GSM-7, 1 segment".to_string()
        );
    }
}
