//! `reminders run`: the heartbeat. Cron wakes it every five minutes; it looks at the clock and
//! the windows of every site, in the site's own zone, and does what is due — at a send window,
//! import the drop folder then send; at a retry window, retry — each window at most once per
//! site and local date, a missed one caught up within `catch_up_minutes`.

use anyhow::Result;
use chrono::{DateTime, Utc};

use crate::clock::Stamp;
use crate::config::Config;
use crate::db::{self, runs};
use crate::dispatch::{Options, message::Texts};
use crate::domain::dates::day_bounds;
use crate::domain::schedule::RunKind;
use crate::domain::windows::{self, Due, name as window_name};

#[derive(clap::Args, Debug)]
#[command(
    about = "Do whatever is due now (cron runs this every 5 minutes)",
    long_about = "The one command cron needs. Every site has its windows in its own time zone \
([schedule] send = \"19:00\", retry = [\"19:45\", \"09:00\"]): at a send window `run` imports \
the drop folder and sends the first reminders, at a retry window it retries. Each window runs \
once per site and local day, whatever the server's zone and across DST changes; a window cron \
missed (server down, cron late) is still run up to catch_up_minutes after its time, and never \
once the next window has begun. At every tick it also sends the waitlist's due waves of \
offers of freed slots (docs/waitlist.md). When another run holds the lock, `run` exits 0 at \
once and the next tick carries on.\n\n\
Prints nothing when nothing was due (cron mails only news), a short account when it did \
something; exits 1 when a window failed or was refused (missing credentials: recorded once a \
day and listed by `status --check`).",
    after_help = "Examples:\n  \
*/5 * * * * cd /var/lib/reminders && reminders run     # the crontab line\n  \
sudo -u reminders reminders run                        # by hand: does only what is due now"
)]
pub struct Args {
    /// Only this site's windows (repeatable); default: every site.
    #[arg(long = "site", value_name = "NAME")]
    pub sites: Vec<String>,
}

/// A window due at one site.
struct DueAt {
    site: String,
    due: Due,
}

pub fn run(cfg: &Config, args: &Args) -> Result<()> {
    let sites = crate::cmd::send::check_sites(cfg, &args.sites)?;
    let now = cfg.now();
    let due = due_now(cfg, &sites, now)?;
    let mut failed = Vec::new();
    if due.is_empty() {
        waitlist(cfg, &sites, &mut failed);
        return finish(failed);
    }
    if let Some(why) = refusal(cfg) {
        // Nothing can be sent: each window's refusal is recorded and reported once a day; the
        // drop folder is still imported (the appointments are there once the fix is made).
        if refused_already(cfg, &due, &why, now)? {
            return Ok(());
        }
        import_drop_folder(cfg, &mut failed);
        for d in &due {
            report_refusal(cfg, d, &why, now, &mut failed)?;
        }
        return finish(failed);
    }
    if due
        .iter()
        .any(|d| d.due.occurrence.window.kind == RunKind::Send)
    {
        // The send window's import: the evening's export, then everything stored is sent,
        // whatever this import found (a file imported by hand earlier is sent too).
        import_drop_folder(cfg, &mut failed);
    }
    for d in &due {
        let o = &d.due.occurrence;
        let name = window_name(&d.site, &o.label());
        if d.due.late {
            let local = now.with_timezone(&cfg.site(&d.site).tz);
            eprintln!(
                "{name} starts late, at {} (cron missed its time): catching up",
                local.format("%H:%M")
            );
        }
        let opts = Options {
            kind: o.window.kind,
            dry_run: false,
            force: false,
            limit: None,
            sites: site_list(&d.site),
            window: Some(tag(d)),
            // Another run has the lock: it is doing the work; the next tick carries on.
            lock_wait: Some(std::time::Duration::ZERO),
        };
        match crate::cmd::send::dispatch_and_print(cfg, opts, false) {
            Ok(()) => {}
            Err(e) if e.chain().any(|c| c.is::<crate::exit::LockBusy>()) => {
                log::info!("{name}: another run holds the lock ({e}); the next tick carries on");
                return finish(failed);
            }
            Err(e) => {
                eprintln!("error: {name}: {e:#}");
                failed.push(name);
            }
        }
    }
    waitlist(cfg, &sites, &mut failed);
    finish(failed)
}

/// The waitlist's waves, at every tick: slots given back are offered within minutes, not at
/// the next window.
fn waitlist(cfg: &Config, sites: &[String], failed: &mut Vec<String>) {
    if refusal(cfg).is_some() {
        // Nothing can be sent; the windows' refusal is what is reported.
        return;
    }
    if let Err(e) = crate::cmd::backfill::tick(cfg, sites) {
        eprintln!("error: {e:#}");
        failed.push("the waitlist".to_string());
    }
}

fn import_drop_folder(cfg: &Config, failed: &mut Vec<String>) {
    let import = crate::cmd::import::Args {
        files: Vec::new(),
        now: false,
        dry_run: false,
        force: false,
        sites: Vec::new(),
    };
    if let Err(e) = crate::cmd::import::run(cfg, &import) {
        eprintln!("error: importing the drop folder: {e:#}");
        failed.push("the import".to_string());
    }
}

fn finish(failed: Vec<String>) -> Result<()> {
    if failed.is_empty() {
        Ok(())
    } else {
        Err(anyhow::anyhow!(
            "{} did not go as planned: see `reminders status --check`",
            failed.join(", ")
        ))
    }
}

fn site_list(site: &str) -> Vec<String> {
    if site.is_empty() {
        Vec::new()
    } else {
        vec![site.to_string()]
    }
}

fn tag(d: &DueAt) -> runs::WindowTag {
    let o = &d.due.occurrence;
    runs::WindowTag {
        label: o.label(),
        date: o.date.to_string(),
        opens: o.opens.into(),
    }
}

/// The window due now at each site in scope.
fn due_now(cfg: &Config, sites: &[String], now: DateTime<Utc>) -> Result<Vec<DueAt>> {
    // Without a database nothing has run yet; and nothing is created just to look.
    let conn = if cfg.db.exists() {
        Some(db::open(&cfg.db)?)
    } else {
        None
    };
    let mut out = Vec::new();
    for key in cfg.site_keys() {
        if !sites.is_empty() && !sites.iter().any(|s| s == key) {
            continue;
        }
        let site = cfg.site(key);
        let recorded = site_list(key).join(",");
        let mut failure = None;
        let due = windows::due(
            &cfg.schedule.day,
            site.tz,
            now,
            cfg.schedule.catch_up,
            |o| match &conn {
                None => false,
                Some(c) => runs::window_done(c, &recorded, &o.label(), &o.date.to_string())
                    .unwrap_or_else(|e| {
                        failure.get_or_insert(e);
                        true
                    }),
            },
        );
        if let Some(e) = failure {
            return Err(e.context("reading which windows have run"));
        }
        if let Some(due) = due {
            out.push(DueAt {
                site: key.to_string(),
                due,
            });
        }
    }
    Ok(out)
}

/// Why a dispatching run would be refused before it starts: missing credentials or public URL,
/// a template that cannot be read, or that the rules of contact could never let out.
fn refusal(cfg: &Config) -> Option<String> {
    cfg.credentials()
        .err()
        .or_else(|| Texts::load(cfg).err())
        .or_else(|| crate::dispatch::limits::check_templates(cfg).err())
        .map(|e| format!("{e:#}"))
}

/// Whether every due window's refusal, with these words, was recorded today already: an
/// unconfigured server would otherwise mail the same words every five minutes.
fn refused_already(cfg: &Config, due: &[DueAt], why: &str, now: DateTime<Utc>) -> Result<bool> {
    if !cfg.db.exists() {
        return Ok(false);
    }
    let conn = db::open(&cfg.db)?;
    for d in due {
        let tz = cfg.site(&d.site).tz;
        let (day_start, _) = day_bounds(now.with_timezone(&tz).date_naive(), tz);
        let recorded = site_list(&d.site).join(",");
        if !runs::refused_since(&conn, &recorded, why, day_start.into())? {
            return Ok(false);
        }
    }
    Ok(true)
}

/// A refused window: recorded and reported; `status --check` lists it until a run gets past it.
/// The database is created for it if there is none yet: a freshly installed, unconfigured
/// server has no export and no database, and would otherwise mail the same refusal every tick.
fn report_refusal(
    cfg: &Config,
    d: &DueAt,
    why: &str,
    now: DateTime<Utc>,
    failed: &mut Vec<String>,
) -> Result<()> {
    let name = window_name(&d.site, &d.due.occurrence.label());
    eprintln!(
        "error: {name} was refused: {why}\n  nobody was contacted; fix the configuration, then check it with `reminders check`"
    );
    failed.push(name);
    let conn = db::open(&cfg.db)?;
    runs::refused(
        &conn,
        d.due.occurrence.window.kind.into(),
        &site_list(&d.site),
        Some(&tag(d)),
        why,
        Stamp::from(now),
    )?;
    Ok(())
}
