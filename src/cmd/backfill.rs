//! `reminders backfill`: offers the slots patients gave back to the waitlist now, as `run` does
//! at every tick; `--dry-run` lists the offers it would send.

use anyhow::Result;

use crate::config::Config;
use crate::dispatch::backfill::{self, Options, Summary};
use crate::mask;

#[derive(clap::Args, Debug)]
#[command(
    about = "Offer freed slots to the waitlist now (run does this at every tick)",
    long_about = "When a patient gives an appointment back (replies R, presses 2, or a later \
export cancels it, per [waitlist] open_from) more than min_notice_hours ahead, its time opens \
as a slot. Each run texts the next wave of waiting patients for every open slot (wave_size \
offers, wave_minutes apart, at most max_offers, inside contact hours): the first to reply YES \
gets it, and the clinic is told whom to book (`status backfill`, the backfill file in the \
outbox, `status --check`). `reminders run` does this at every tick; this command does it now, \
under the same run lock.",
    after_help = "Examples:\n  sudo -u reminders reminders backfill --dry-run\n  \
sudo -u reminders reminders backfill --site bloor"
)]
pub struct Args {
    /// List the offers that would be sent, with their texts; contact nobody, change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Send outside contact hours.
    #[arg(long)]
    pub force: bool,
    /// Only this site's slots (repeatable); default: every site.
    #[arg(long = "site", value_name = "NAME")]
    pub sites: Vec<String>,
}

pub fn run(cfg: &Config, args: &Args) -> Result<()> {
    let opts = Options {
        dry_run: args.dry_run,
        force: args.force,
        sites: crate::cmd::send::check_sites(cfg, &args.sites)?,
        lock_wait: None,
    };
    if opts.dry_run {
        return dry_run(cfg, &opts);
    }
    let started = cfg.now();
    let summary = backfill::run(cfg, &opts, &|_| {})?;
    print(&summary, true);
    clinic_files(cfg, started, &opts.sites);
    after(&summary)
}

/// `reminders run`'s tick: a backfill run when there is waitlist work, quiet when nothing
/// happened; another run holding the lock leaves it to the next tick.
pub fn tick(cfg: &Config, sites: &[String]) -> Result<()> {
    if !cfg.db.exists() {
        return Ok(());
    }
    let opts = Options {
        sites: sites.to_vec(),
        lock_wait: Some(std::time::Duration::ZERO),
        ..Options::default()
    };
    // Answers come in between ticks (a slot taken at 19:17): the files of what changed since a
    // few ticks ago are written again whether or not this tick runs.
    let since = cfg.now() - chrono::Duration::minutes(TOUCHED_MINUTES);
    let mut conn = crate::db::open(&cfg.db)?;
    if !backfill::has_work(cfg, &mut conn, &opts)? {
        drop(conn);
        clinic_files(cfg, since, sites);
        return Ok(());
    }
    drop(conn);
    match backfill::run(cfg, &opts, &|_| {}) {
        Ok(summary) => {
            print(&summary, false);
            clinic_files(cfg, since, sites);
            after(&summary)
        }
        Err(e) if e.chain().any(|c| c.is::<crate::exit::LockBusy>()) => {
            log::info!("the waitlist: another run holds the lock ({e}); the next tick carries on");
            Ok(())
        }
        Err(e) => Err(e.context("offering freed slots to the waitlist")),
    }
}

/// How far back `run`'s tick looks for slots whose file must be written again: three ticks.
const TOUCHED_MINUTES: i64 = 15;

/// The clinic's backfill files of every slot date that changed since `since`. A file that
/// cannot be written is said on stderr; the run's outcome stands.
fn clinic_files(cfg: &Config, since: chrono::DateTime<chrono::Utc>, sites: &[String]) {
    let written = crate::db::open(&cfg.db).and_then(|conn| {
        crate::backfill_file::write_touched_since(cfg, &conn, since.into(), sites)
    });
    if let Err(e) = written {
        eprintln!("warning: writing the backfill files for the clinic: {e:#}");
    }
}

fn after(s: &Summary) -> Result<()> {
    match &s.error {
        Some(why) => Err(anyhow::anyhow!("the waitlist run: {why}")),
        None => Ok(()),
    }
}

/// What the run did; nothing at all, from `run`, when it did nothing.
fn print(s: &Summary, always: bool) {
    if !always && !s.is_news() {
        return;
    }
    let o = &s.offers;
    let mut parts = vec![format!(
        "{} offer(s) sent in {} wave(s)",
        o.dispatched, s.waves
    )];
    if s.opened > 0 {
        parts.push(format!("{} slot(s) opened", s.opened));
    }
    if o.refused > 0 {
        parts.push(format!("{} refused by Twilio", o.refused));
    }
    if o.unanswered > 0 {
        parts.push(format!("{} unanswered by Twilio", o.unanswered));
    }
    if s.held > 0 {
        parts.push(format!("{} held by the rules of contact", s.held));
    }
    if s.after_hours > 0 {
        parts.push(format!("{} wave(s) wait for contact hours", s.after_hours));
    }
    if s.nobody_left > 0 {
        parts.push(format!(
            "{} open slot(s) with nobody left to offer",
            s.nobody_left
        ));
    }
    if s.expired > 0 {
        parts.push(format!("{} slot(s) expired unfilled", s.expired));
    }
    for why in &s.closed {
        parts.push(format!("a slot closed: {why}"));
    }
    println!("waitlist: {}.", parts.join("; "));
}

fn dry_run(cfg: &Config, opts: &Options) -> Result<()> {
    println!("Dry run: nobody is contacted and nothing is changed.");
    let (summary, offers) = backfill::dry_run(cfg, opts)?;
    for (job, built) in &offers {
        let Some(target) = &job.offer else { continue };
        let freed = &job.group[0];
        let tz = cfg.site(&freed.site).tz;
        let c = &target.candidate;
        let tail = match built {
            Ok(req) => match req.shape {
                Some(shape) => format!(
                    "{}, {} chars",
                    crate::domain::segments::describe(shape),
                    req.content.chars().count()
                ),
                None => String::new(),
            },
            Err(why) => format!("NOT SENDABLE: {why}"),
        };
        println!(
            "sms (offer) {} {} — slot {} freed by {}, to patient {}, wave {} — {}",
            mask::phone(&c.phone_number),
            c.language,
            freed.at.local(tz),
            freed.appointment_id,
            c.patient_id,
            target.wave,
            tail
        );
        if let Ok(req) = built {
            println!("{}\n", req.content.trim_end());
        }
    }
    println!("{} offer(s) listed.", offers.len());
    let mut would = Vec::new();
    if summary.opened > 0 {
        would.push(format!("{} slot(s) would open", summary.opened));
    }
    if summary.expired > 0 {
        would.push(format!("{} would expire unfilled", summary.expired));
    }
    for why in &summary.closed {
        would.push(format!("a slot would close: {why}"));
    }
    if summary.after_hours > 0 {
        would.push(format!(
            "{} wave(s) wait for contact hours",
            summary.after_hours
        ));
    }
    if summary.nobody_left > 0 {
        would.push(format!(
            "{} open slot(s) with nobody left to offer",
            summary.nobody_left
        ));
    }
    if !would.is_empty() {
        println!("waitlist: {}.", would.join("; "));
    }
    Ok(())
}
