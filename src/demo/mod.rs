//! The whole day on the bundled sample, for a first look and as the proof that it all fits:
//! a temporary workspace, the Twilio simulator, the real `serve-webhook` (this same binary, as
//! a child process) on a free loopback port, and a simulated clock through 19:00 import + send,
//! 19:05 the waitlist offered the slot a patient gave back,
//! 19:45 retry and 09:00 final retry. Nothing of the user's is read or touched.

pub mod script;

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use chrono::{DateTime, Utc};
use clap::Parser;

use crate::cmd;
use crate::config::{Config, Overrides};
use crate::domain::routes::Route;
use crate::twilio::simulator::{Delivered, Simulator};

pub const SAMPLE_CSV: &str = include_str!("sample.csv");
/// The clinic's waitlist, dropped beside the export: who waits for an earlier appointment.
pub const WAITLIST_CSV: &str = include_str!("waitlist.csv");
const ACCOUNT_SID: &str = "ACdddddddddddddddddddddddddddddddd";
/// Signs the simulator's callbacks; the listener checks them as it would Twilio's.
const AUTH_TOKEN: &str = "demo-token-not-a-secret-0000000000";

/// Lets the demo build a subcommand's arguments exactly as the command line would.
#[derive(Parser)]
struct StatusLine {
    #[command(flatten)]
    args: cmd::status::Args,
}

pub fn run() -> Result<()> {
    let started = Instant::now();
    let dir = tempfile::Builder::new()
        .prefix("reminders-demo-")
        .tempdir()
        .context("creating the demo's temporary workspace")?;
    let sim = Simulator::start(ACCOUNT_SID, AUTH_TOKEN, at(script::WINDOWS[0].0)?)?;
    for p in script::patients() {
        sim.script(p.number, p.steps);
    }
    for p in script::waiting() {
        sim.script(p.number, p.steps);
    }
    let port = free_port()?;
    let config = write_config(dir.path(), &sim.base_url(), port)?;
    crate::files::private_dir(&dir.path().join("csv"), "the demo's drop folder")?;
    for (name, text) in [
        ("appointments-2026-11-24.csv", SAMPLE_CSV),
        ("waitlist-2026-11-24.csv", WAITLIST_CSV),
    ] {
        let file = dir.path().join("csv").join(name);
        std::fs::write(&file, text)?;
        // Dropped long before 19:00: the import takes only files that have settled.
        std::fs::File::options()
            .write(true)
            .open(&file)?
            .set_modified(std::time::SystemTime::now() - Duration::from_secs(3600))?;
    }

    println!("reminders demo: one clinic evening and the next morning, simulated.");
    println!(
        "Workspace {} (removed at the end); Twilio simulator at {}; webhook listener at 127.0.0.1:{port}.",
        dir.path().display(),
        sim.base_url()
    );
    for (i, (when, title)) in script::WINDOWS.iter().enumerate() {
        let now = at(when)?;
        sim.set_now(now);
        let cfg = load(&config, when)?;
        println!("\n══════ {title} ══════");
        let d = with_listener(&sim, &config, when, port, dir.path(), || {
            if i == 0 {
                cmd::import::run(
                    &cfg,
                    &cmd::import::Args {
                        files: Vec::new(),
                        now: true,
                        dry_run: false,
                        force: false,
                        sites: Vec::new(),
                    },
                )
            } else {
                cmd::retry::run(
                    &cfg,
                    &cmd::retry::Args {
                        run: cmd::send::RunArgs::default(),
                    },
                )
            }
        })?;
        println!(
            "Twilio reported back to the listener: {} status callback(s), {} keypress(es), {} text repl(ies).",
            d.callbacks, d.keypresses, d.replies
        );
        status(&cfg, &["status", "--date", "2026-11-25"])?;
        if i == 0 {
            waitlist(&sim, &config, port, dir.path())?;
        }
    }
    let cfg = load(&config, script::WINDOWS[2].0)?;
    println!("\n══════ Where every appointment ended ══════");
    status(&cfg, &["status", "appointments", "--date", "2026-11-25"])?;
    let total = sim.total_contacts();
    let appointments: usize = script::patients()
        .iter()
        .map(|p| p.appointments.len())
        .sum();
    println!(
        "The simulator placed {} call(s) and {} text(s) for {appointments} appointments and {} waiting patients; demo done in {:.1} s.",
        total.calls,
        total.texts,
        script::waiting().len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// 19:05: the slot A1004's patient gave back at 19:00 is offered to the waitlist imported with
/// the export; the first YES gets it.
fn waitlist(sim: &Simulator, config: &Path, port: u16, dir: &Path) -> Result<()> {
    let when = script::WAITLIST_AT;
    sim.set_now(at(when)?);
    let cfg = load(config, when)?;
    println!("\n══════ 19:05 — the slot A1004 gave back, offered to the waitlist ══════");
    let d = with_listener(sim, config, when, port, dir, || {
        cmd::backfill::run(
            &cfg,
            &cmd::backfill::Args {
                dry_run: false,
                force: false,
                sites: Vec::new(),
            },
        )
    })?;
    println!(
        "Twilio reported back to the listener: {} status callback(s), {} text repl(ies).",
        d.callbacks, d.replies
    );
    status(&cfg, &["status", "backfill"])
}

/// Runs `work` with the listener up at `when`, then has the simulator report everything back to
/// it before it stops: what Twilio told the listener.
fn with_listener(
    sim: &Simulator,
    config: &Path,
    when: &str,
    port: u16,
    dir: &Path,
    work: impl FnOnce() -> Result<()>,
) -> Result<Delivered> {
    let mut listener = Listener::start(config, when, port, dir)?;
    let ran = work();
    let delivered = sim.deliver();
    listener.stop()?;
    ran?;
    delivered
}

fn status(cfg: &Config, argv: &[&str]) -> Result<()> {
    let line = StatusLine::try_parse_from(argv).context("building the status arguments")?;
    cmd::status::run(cfg, &line.args)
}

fn at(rfc3339: &str) -> Result<DateTime<Utc>> {
    Ok(DateTime::parse_from_rfc3339(rfc3339)?.with_timezone(&Utc))
}

/// The demo's configuration, as a config file in the workspace. The user's environment is not
/// consulted at all, so a real `TWILIO_*` or `REMINDERS_DB` can never leak into the demo.
fn load(config: &Path, reminders_now: &str) -> Result<Config> {
    let overrides = Overrides {
        config: Some(config.to_path_buf()),
        ..Default::default()
    };
    let reminders_now = reminders_now.to_string();
    Config::load_with(&overrides, &move |k| {
        (k == "REMINDERS_NOW").then(|| reminders_now.clone())
    })
}

fn write_config(dir: &Path, api_base: &str, port: u16) -> Result<PathBuf> {
    let path = dir.join("reminders.toml");
    // The built-in language packs only: a clinic's packs in the folder the demo is run from are
    // not the demo's.
    std::fs::create_dir_all(dir.join("languages")).context("making the demo's packs folder")?;
    let d = dir.display();
    let text = format!(
        "db = \"{d}/reminders.db\"\ncsv_dir = \"{d}/csv\"\narchive_dir = \"{d}/archive\"\noutbox_dir = \"{d}/outbox\"\n\n\
         [twilio]\naccount_sid = \"{ACCOUNT_SID}\"\nauth_token = \"{AUTH_TOKEN}\"\n\
         phone_number = \"+16135550000\"\napi_base = \"{api_base}\"\n\n\
         [sending]\ncalls_per_second = 20\nsms_per_second = 20\nlock_wait_seconds = 10\n\n\
         [webhook]\nlisten = \"127.0.0.1:{port}\"\npublic_url = \"http://127.0.0.1:{port}\"\n\n\
         [languages]\ndir = \"{d}/languages\"\n"
    );
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(true)
        .write(true)
        .mode(0o600)
        .open(&path)?;
    f.write_all(text.as_bytes())?;
    Ok(path)
}

fn free_port() -> Result<u16> {
    let l = std::net::TcpListener::bind("127.0.0.1:0").context("finding a free port")?;
    Ok(l.local_addr()?.port())
}

/// `reminders serve-webhook` as a child process: this very binary, with only the demo's settings.
struct Listener {
    child: Child,
}

impl Listener {
    fn start(config: &Path, reminders_now: &str, port: u16, dir: &Path) -> Result<Listener> {
        let exe = std::env::current_exe().context("finding this program to start the listener")?;
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("listener.log"))?;
        let child = Command::new(exe)
            .args(["serve-webhook"])
            .env_clear()
            .env("REMINDERS_CONFIG", config)
            .env("REMINDERS_NOW", reminders_now)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .context("starting serve-webhook")?;
        let mut listener = Listener { child };
        // Generous: on a loaded machine (a CI running tests in parallel) a start takes seconds.
        let deadline = Instant::now() + Duration::from_secs(30);
        let url = Route::Health.url(&format!("http://127.0.0.1:{port}"));
        loop {
            let health = ureq::get(&url)
                .config()
                .timeout_global(Some(Duration::from_secs(1)))
                .build()
                .call();
            if health.is_ok() {
                return Ok(listener);
            }
            if let Some(status) = listener.child.try_wait()? {
                bail!(
                    "serve-webhook exited ({status}); see {}",
                    dir.join("listener.log").display()
                );
            }
            if Instant::now() > deadline {
                bail!("serve-webhook did not come up on port {port}");
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// SIGTERM, as systemd would send: the listener finishes what is in flight and exits 0.
    fn stop(&mut self) -> Result<()> {
        let pid = libc::pid_t::try_from(self.child.id()).context("listener pid")?;
        // SAFETY: kill(2) with a pid we own and a valid signal number has no memory effects.
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
        let status = self.child.wait()?;
        if !status.success() {
            bail!("serve-webhook stopped with {status}");
        }
        Ok(())
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}
