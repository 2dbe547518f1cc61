//! The shared helper for end-to-end tests: a temporary working directory with its own database,
//! drop and archive folders and environment, in which the real `reminders` binary runs.

#![allow(dead_code)]

pub mod listener;
pub mod twilio;
pub mod twiml;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use rusqlite::Connection;

/// Evening before the sample appointments (2026-11-25), in the clinic's zone.
pub const EVENING: &str = "2026-11-24T19:00:00-05:00";

/// The file of a clock the test holds (`Workdir::hold_clock`).
const CLOCK_FILE: &str = "clock";

/// Where the binary looks for the system-wide configuration file instead of /etc.
pub const SYSTEM_CONFIG_ENV: &str = reminders::config::locate::SYSTEM_FILE_ENV;

pub struct Workdir {
    dir: tempfile::TempDir,
    env: Vec<(String, String)>,
}

impl Workdir {
    pub fn new() -> Workdir {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::create_dir_all(dir.path().join("csv")).unwrap();
        // The system-wide file is looked for in here, never in /etc: a machine with the
        // package installed must not lend a test its settings (and a clinic's database).
        let system = dir.path().join("etc/reminders.toml").display().to_string();
        Workdir {
            dir,
            env: vec![
                ("REMINDERS_NOW".into(), EVENING.into()),
                (SYSTEM_CONFIG_ENV.into(), system),
            ],
        }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn join(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }

    /// Sets (or replaces) an environment variable for every later run.
    pub fn env(&mut self, key: &str, value: &str) -> &mut Self {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.into(), value.into()));
        self
    }

    /// Hands the clock to the test: from now on the binary reads "now" from a file in this
    /// directory (`REMINDERS_CLOCK_FILE`), which says `at` until [`move_clock`](Self::move_clock)
    /// changes it. Time does not pass by itself: the test decides when it does.
    pub fn hold_clock(&mut self, at: &str) -> &mut Self {
        self.move_clock(at);
        let file = self.join(CLOCK_FILE).display().to_string();
        self.env("REMINDERS_CLOCK_FILE", &file)
    }

    /// Sets the held clock to `at`, even under a running command (which sees it at its next
    /// look at the clock): a new file renamed over the old, so it is never read half written.
    pub fn move_clock(&self, at: &str) {
        let next = self.join(&format!("{CLOCK_FILE}.next"));
        std::fs::write(&next, at).unwrap();
        std::fs::rename(&next, self.join(CLOCK_FILE)).unwrap();
    }

    /// Writes a file as if it had been there a minute: an import leaves files modified in the
    /// last seconds for the next run (they may still be arriving). `write_fresh` does not.
    pub fn write(&self, rel: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let p = self.write_fresh(rel, contents);
        std::fs::File::options()
            .write(true)
            .open(&p)
            .and_then(|f| {
                f.set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(60))
            })
            .unwrap();
        p
    }

    pub fn write_fresh(&self, rel: &str, contents: impl AsRef<[u8]>) -> PathBuf {
        let p = self.join(rel);
        if let Some(parent) = p.parent() {
            std::fs::create_dir_all(parent).unwrap();
        }
        std::fs::write(&p, contents).unwrap();
        p
    }

    /// Copies a fixture from tests/fixtures into the drop folder (or wherever `rel` says).
    pub fn fixture(&self, name: &str, rel: &str) -> PathBuf {
        let src = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name);
        self.write(rel, std::fs::read(src).expect("fixture"))
    }

    /// The real binary, in this directory, with only this test's environment.
    pub fn command(&self, args: &[&str]) -> Command {
        self.program(env!("CARGO_BIN_EXE_reminders"), args)
    }

    /// Any program (e.g. `script`, to give the binary a terminal) with this test's environment.
    pub fn program(&self, program: &str, args: &[&str]) -> Command {
        let mut cmd = Command::new(program);
        cmd.current_dir(self.path()).args(args);
        for (k, _) in std::env::vars() {
            if k.starts_with("REMINDERS_") || k.starts_with("TWILIO_") || k == "RUST_LOG" {
                cmd.env_remove(k);
            }
        }
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        cmd
    }

    /// The binary started in the background, its output discarded (a run a test kills).
    pub fn spawn_quiet(&self, args: &[&str]) -> std::process::Child {
        self.command(args)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("starting reminders")
    }

    pub fn run(&self, args: &[&str]) -> Run {
        let out = self.command(args).output().expect("running reminders");
        Run(out)
    }

    /// An empty database with the schema, as the first command that writes creates it
    /// (`status` never creates one).
    pub fn empty_db(&self) {
        reminders::db::open(&self.join("reminders.db")).expect("creating the database");
    }

    pub fn db(&self) -> Connection {
        Connection::open(self.join("reminders.db")).expect("open db")
    }

    pub fn count(&self, sql: &str) -> i64 {
        self.db().query_row(sql, [], |r| r.get(0)).expect(sql)
    }
}

pub struct Run(pub Output);

impl Run {
    pub fn code(&self) -> i32 {
        self.0.status.code().unwrap_or(-1)
    }
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.0.stdout).into_owned()
    }
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.0.stderr).into_owned()
    }
    /// Asserts success and returns stdout.
    #[track_caller]
    pub fn ok(&self) -> String {
        assert_eq!(
            self.code(),
            0,
            "stdout:\n{}\nstderr:\n{}",
            self.stdout(),
            self.stderr()
        );
        self.stdout()
    }
}

/// Sends SIGTERM to `pid`, as cron's or systemd's stop does, and returns once the process has
/// taken the signal (it is no longer pending for it): its handler has run, so whatever the
/// test does next, the process does with the signal known.
pub fn terminate(pid: u32) {
    let sent = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status();
    assert!(sent.is_ok_and(|s| s.success()), "kill -TERM {pid}");
    let started = std::time::Instant::now();
    while term_pending(pid) {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(30),
            "SIGTERM still pending for {pid}"
        );
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
}

/// Whether SIGTERM is pending for the process (`ShdPnd` in /proc: signals sent to the process,
/// not yet taken by one of its threads). A process gone has nothing pending.
fn term_pending(pid: u32) -> bool {
    const SIGTERM_BIT: u64 = 1 << (15 - 1);
    let Ok(status) = std::fs::read_to_string(format!("/proc/{pid}/status")) else {
        return false;
    };
    status
        .lines()
        .find_map(|l| l.strip_prefix("ShdPnd:"))
        .and_then(|mask| u64::from_str_radix(mask.trim(), 16).ok())
        .is_some_and(|mask| mask & SIGTERM_BIT != 0)
}
