//! `reminders check`: whether this installation is ready for its night, one line per check.
//! The configuration (`check/setup.rs`), the folders, the database and its owner
//! (`check/files.rs`), Twilio's view of the account (`check/twilio.rs`), the listener reached
//! through its public URL (`check/listener.rs`), cron (`check/cron.rs`), and on request one real
//! message whose report must come back (`check/send_test.rs`). The judgments themselves are
//! `domain::readiness`.

mod cron;
mod files;
mod hours;
mod listener;
mod send_test;
mod setup;
mod twilio;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::{Result, anyhow};

use crate::config::{Config, Overrides};
use crate::domain::channel::Channel;
use crate::domain::readiness::{Finding, Level};
use crate::exit::usage;

#[derive(clap::Args, Debug)]
#[command(
    about = "Check that everything the night needs is in place (run before the first night and after every change)",
    long_about = "Checks, one line each (ok, warn or FAIL, with what to do): the configuration \
(sites, templates rendered in every language with their SMS size, contact hours); the data, drop, \
archive and outbox folders; the database (opens, schema current, integrity) and that the running \
user owns it; free disk; that a config file holding the auth token is for its owner alone; \
Twilio, live (the credentials, the account's status, each sender number on the account with the \
capabilities it is used for and its incoming webhooks, the messaging service); the listener \
through its public URL (https, /healthz, a signed request accepted through the proxy); and a cron \
line running `reminders run`. Nothing secret is printed and nothing is created.\n\n\
With --send-test NUMBER, one real text (or with --call, a call) goes to NUMBER from the \
configured sender and the check waits up to 60 s for its status report to come back through the \
listener: the proof that the night's reports will arrive. It is recorded as a test, never as an \
appointment.\n\n\
Exit status: 0 when nothing failed (warnings allowed), 1 otherwise.",
    after_help = "Examples:\n  sudo -u reminders reminders check\n  \
sudo -u reminders reminders check --send-test +14165550123\n  \
sudo -u reminders reminders check --send-test +14165550123 --call"
)]
pub struct Args {
    /// Send one real text to NUMBER (a staff phone) and wait for its status report.
    #[arg(long, value_name = "NUMBER")]
    pub send_test: Option<String>,

    /// With --send-test: place a call instead of sending a text.
    #[arg(long, requires = "send_test")]
    pub call: bool,

    /// How long --send-test waits for the report, in seconds.
    #[arg(
        long,
        hide = true,
        env = "REMINDERS_CHECK_WAIT_SECONDS",
        default_value_t = 60
    )]
    pub wait_seconds: u64,

    /// Where system crontabs live.
    #[arg(
        long,
        hide = true,
        env = "REMINDERS_CHECK_CRON_DIR",
        default_value = "/etc/cron.d"
    )]
    pub cron_dir: PathBuf,
}

/// Runs every check; an error (exit 1) when any failed. Reads the configuration itself: a
/// configuration that does not load is one of the failures it reports.
pub fn run(overrides: &Overrides, args: &Args) -> Result<()> {
    let mut report = Report::for_stdout();
    let file = setup::config_file(&mut report, overrides);
    let cfg = match Config::load(overrides) {
        Ok(cfg) => cfg,
        Err(e) => {
            report.add(Finding::fail(
                format!("configuration: {e:#}"),
                unloaded_advice(overrides),
            ));
            return report.finish();
        }
    };
    let test_to = args
        .send_test
        .as_deref()
        .map(|n| {
            crate::domain::phone::parse_e164(n, cfg.region)
                .map_err(|why| usage(format!("--send-test {n:?}: {why}")))
        })
        .transpose()?;
    setup::loaded(&mut report, file.as_deref());
    setup::settings(&mut report, &cfg);
    let db = files::run(&mut report, &cfg);
    let before = report.failures();
    twilio::run(&mut report, &cfg);
    listener::run(&mut report, &cfg);
    let contact_ready = report.failures() == before;
    cron::run(&mut report, &cfg, &args.cron_dir);
    if let Some(to) = test_to {
        let channel = if args.call {
            Channel::Call
        } else {
            Channel::Sms
        };
        let wait = Duration::from_secs(args.wait_seconds);
        send_test::run(&mut report, &cfg, &to, channel, wait, contact_ready && db);
    }
    report.finish()
}

/// What to do about a configuration that did not load: a file this user may not read is read
/// as its owner; anything else is fixed where the error says.
fn unloaded_advice(overrides: &Overrides) -> String {
    let (path, _) = crate::config::file_location(overrides, &crate::config::process_env);
    let denied = path.as_ref().is_some_and(|p| {
        std::fs::File::open(p).is_err_and(|e| e.kind() == std::io::ErrorKind::PermissionDenied)
    });
    match path.filter(|_| denied) {
        Some(p) => {
            let owner = crate::host::owner(&p).map_or_else(|_| "reminders".into(), |o| o.user.name);
            format!("run the check as the file's owner: sudo -u {owner} reminders check")
        }
        None => "fix what is named above (in the config file or the environment), then run `reminders check` again".into(),
    }
}

/// The lines printed so far and how they came out. Each line is printed as soon as it is known
/// (a live check takes seconds).
pub struct Report {
    width: usize,
    color: bool,
    counts: [usize; 3],
}

impl Report {
    /// Plain lines of at most 80 columns for cron mail and pipes; the terminal's width, and
    /// coloured levels, on a terminal.
    fn for_stdout() -> Report {
        let terminal = crate::output::terminal_width();
        Report {
            width: terminal.unwrap_or(80),
            color: terminal.is_some()
                && std::io::stdout().is_terminal()
                && std::env::var_os("NO_COLOR").is_none(),
            counts: [0; 3],
        }
    }

    pub fn add(&mut self, f: Finding) {
        self.counts[f.level as usize] += 1;
        let mut lines = lines(&f, self.width);
        if self.color
            && let Some(first) = lines.first_mut()
        {
            let code = match f.level {
                Level::Ok => "32",
                Level::Warn => "33",
                Level::Fail => "31;1",
            };
            let word = f.level.word();
            *first = format!("\x1b[{code}m{word}\x1b[0m{}", &first[word.len()..]);
        }
        let mut out = std::io::stdout().lock();
        for line in lines {
            // A closed pipe is noticed by `finish`; a report line is never worth a panic.
            let _ = writeln!(out, "{line}");
        }
        let _ = out.flush();
    }

    pub fn failures(&self) -> usize {
        self.counts[Level::Fail as usize]
    }

    fn finish(self) -> Result<()> {
        let [ok, warn, fail] = self.counts;
        let mut out = std::io::stdout().lock();
        writeln!(out, "{fail} failed, {warn} warnings, {ok} ok")?;
        out.flush()?;
        if fail > 0 {
            return Err(anyhow!(
                "{fail} check{} failed",
                if fail == 1 { "" } else { "s" }
            ));
        }
        Ok(())
    }
}

/// A finding as printed: the level, padded, then what was checked; the advice below it; every
/// line wrapped at `width` between words and indented under the first.
pub fn lines(f: &Finding, width: usize) -> Vec<String> {
    const INDENT: usize = 5;
    let room = width.saturating_sub(INDENT).max(20);
    let mut out = Vec::new();
    let mut push = |text: &str, first: Option<Level>| {
        for (i, line) in crate::output::wrap_words(text, room).lines().enumerate() {
            match (i, first) {
                (0, Some(level)) => out.push(format!("{:<4} {line}", level.word())),
                _ => out.push(format!("{}{line}", " ".repeat(INDENT))),
            }
        }
    };
    push(&f.what, Some(f.level));
    for paragraph in f.advice.iter().flat_map(|a| a.lines()) {
        push(paragraph, None);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn findings_wrap_under_their_level_within_the_width() {
        let f = Finding::fail(
            "config file /etc/reminders/reminders.toml holds the auth token and others can read it (mode 0644)",
            "chmod 600 /etc/reminders/reminders.toml\nthen run the check again",
        );
        let got = lines(&f, 60);
        assert!(got[0].starts_with("FAIL config file"), "{got:?}");
        assert!(got.iter().all(|l| l.chars().count() <= 60), "{got:?}");
        assert!(got[1..].iter().all(|l| l.starts_with("     ")), "{got:?}");
        assert!(got.contains(&"     chmod 600 /etc/reminders/reminders.toml".to_string()));
        assert_eq!(got.last().unwrap(), "     then run the check again");
        assert_eq!(
            lines(&Finding::ok("database: fine"), 80),
            vec!["ok   database: fine"]
        );
    }
}
