//! A run that gives freed slots to the waitlist (docs/waitlist.md): under the run lock, after
//! settling what earlier runs left open, it opens a slot for each appointment given back far
//! enough ahead, ends the slots whose time has come (taken, too close, out of offers, their
//! appointment kept after all), and sends the next wave of each open slot whose last wave is
//! `wave_minutes` old — `wave_size` texts, paced, inside contact hours, each exactly once
//! (`offer.rs`, through `attempt.rs`).

use std::collections::HashSet;
use std::time::Duration;

use anyhow::Result;
use chrono::{DateTime, Utc};
use rusqlite::Connection;

use super::attempt::{self, Sent};
use super::context::{Parts, RunCtx};
use super::message::{Request, Texts};
use super::offer::{self, Target};
use super::pacer::Pacer;
use super::select::Job;
use super::session::Session;
use super::{ChannelTally, Options as DispatchOptions, Summary as RunSummary};
use crate::clock::Stamp;
use crate::config::Config;
use crate::db::{self, appointments, candidates, runs, slots};
use crate::domain::contact_kind::ContactKind;
use crate::domain::run_outcome::RunOutcome;
use crate::domain::schedule::RunKind;
use crate::domain::slot_states::SlotState;
use crate::domain::waitlist::{self, Open, Verdict};

#[derive(Clone, Debug, Default)]
pub struct Options {
    pub dry_run: bool,
    pub force: bool,
    /// Only these sites; empty: every site.
    pub sites: Vec<String>,
    pub lock_wait: Option<Duration>,
}

impl Options {
    fn serves(&self, site: &str) -> bool {
        self.sites.is_empty() || self.sites.iter().any(|s| s == site)
    }
}

/// What a run did with the slots, and its offers.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    pub run_id: Option<i64>,
    pub opened: usize,
    pub taken_before: usize,
    pub expired: usize,
    /// Slots closed unfilled, with why.
    pub closed: Vec<String>,
    /// Waves begun, and their offers.
    pub waves: usize,
    pub offers: ChannelTally,
    pub held: usize,
    /// Waves due outside contact hours: sent at the next run inside them.
    pub after_hours: usize,
    /// Open slots with a wave due and nobody left to offer it to.
    pub nobody_left: usize,
    /// Every local date whose slots changed (for the clinic's backfill files).
    pub dates: Vec<String>,
    pub error: Option<String>,
}

impl Summary {
    /// Whether there is anything to say.
    pub fn is_news(&self) -> bool {
        self.opened + self.expired + self.closed.len() + self.waves > 0
            || self.offers.total() > 0
            || self.error.is_some()
    }
}

/// Whether a run would do anything now: open or end a slot, or send a wave. Worked out as the
/// run would, in a transaction rolled back, without the lock: `reminders run` asks it at every
/// tick, and starts (and records) a run only when there is something to do.
pub fn has_work(cfg: &Config, conn: &mut Connection, opts: &Options) -> Result<bool> {
    let after = Stamp::from(cfg.now() + cfg.waitlist.min_notice);
    if !slots::any_work(conn, &cfg.waitlist, after)? {
        return Ok(false);
    }
    let tx = conn.transaction()?;
    let mut summary = Summary::default();
    let jobs = plan(cfg, &tx, opts, cfg.now(), &mut summary)?;
    tx.rollback()?;
    Ok(!jobs.is_empty() || summary.is_news())
}

/// Opens and ends slots, and lists the offers of the waves due now. Inside the caller's
/// transaction: a dry run rolls it back.
fn plan(
    cfg: &Config,
    conn: &Connection,
    opts: &Options,
    now: DateTime<Utc>,
    summary: &mut Summary,
) -> Result<Vec<Job>> {
    let w = &cfg.waitlist;
    let stamp = Stamp::from(now);
    let rules = waitlist::Waves {
        min_notice: w.min_notice,
        wave_size: w.wave_size,
        wave_minutes: w.wave_minutes,
        max_offers: w.max_offers,
    };
    for freed in slots::freed_without_slot(conn, w, (now + w.min_notice).into())? {
        if !opts.serves(&freed.site) {
            continue;
        }
        let date = freed
            .starts_at
            .instant()
            .with_timezone(&cfg.site(&freed.site).tz)
            .date_naive();
        slots::open(conn, &freed, &date.to_string(), stamp)?;
        summary.opened += 1;
        summary.dates.push(date.to_string());
    }
    let mut jobs = Vec::new();
    // A number offered one slot in this run is not offered another: one open offer each.
    let mut offered = HashSet::new();
    for slot in slots::open_slots(conn)? {
        if !opts.serves(&slot.site) {
            continue;
        }
        let open = Open {
            starts_at: slot.starts_at.instant(),
            still_freed: slot.still_freed,
            sent: slot.sent,
            waves: slot.waves,
            last_wave_at: slot.last_wave_at.map(Stamp::instant),
        };
        match waitlist::verdict(&open, &rules, now) {
            Verdict::Wait => {}
            Verdict::Expire => {
                slots::end(
                    conn,
                    slot.id,
                    SlotState::Expired,
                    "too close to its time",
                    stamp,
                )?;
                summary.expired += 1;
                summary.dates.push(slot.local_date.clone());
            }
            Verdict::Close(why) => {
                slots::end(conn, slot.id, SlotState::Closed, &why, stamp)?;
                summary.closed.push(why);
                summary.dates.push(slot.local_date.clone());
            }
            Verdict::Wave { number, size } => {
                let site = cfg.site(&slot.site);
                if !opts.force && !site.hours.allows(site.tz, now) {
                    summary.after_hours += 1;
                    continue;
                }
                let chosen = candidates::next(conn, w, &slot, size as usize, &offered)?;
                if chosen.is_empty() {
                    summary.nobody_left += 1;
                    continue;
                }
                let Some(freed) = appointments::get(conn, slot.appointment)? else {
                    continue;
                };
                summary.waves += 1;
                summary.dates.push(slot.local_date.clone());
                for candidate in chosen {
                    offered.insert(candidate.phone_number.clone());
                    jobs.push(Job {
                        group: vec![freed.clone()],
                        touch: freed.touch_days.unwrap_or(0),
                        kind: ContactKind::Offer,
                        offer: Some(Box::new(Target {
                            slot: slot.id,
                            wave: number,
                            candidate,
                        })),
                    });
                }
            }
        }
    }
    summary.dates.sort();
    summary.dates.dedup();
    Ok(jobs)
}

/// An offer a dry run lists: its job, and its text or why it cannot go.
pub type Listed = (Job, std::result::Result<Request, String>);

/// The offers a run would send now, each with its text or why it cannot go; nothing is
/// written and nobody contacted.
pub fn dry_run(cfg: &Config, opts: &Options) -> Result<(Summary, Vec<Listed>)> {
    // Opened to write, so that the plan can be worked out as a run would; rolled back.
    let (_, _) = db::open_to_read(&cfg.db)?;
    let mut conn = db::open(&cfg.db)?;
    let texts = Texts::load(cfg)?;
    let public_url = cfg.webhook.public_url.clone().unwrap_or_default();
    let mut summary = Summary::default();
    let tx = conn.transaction()?;
    let jobs = plan(cfg, &tx, opts, cfg.now(), &mut summary)?;
    let mut listed = Vec::with_capacity(jobs.len());
    for job in jobs {
        let Some(target) = &job.offer else { continue };
        let slot = slots::get(&tx, target.slot)?;
        let built = match slot {
            Some(slot) => offer::build(
                cfg,
                &texts,
                &public_url,
                &slot,
                &target.candidate.phone_number,
                target.candidate.language,
            )?
            .map_err(|e| e.to_string()),
            None => Err("the slot is gone".to_string()),
        };
        listed.push((job, built));
    }
    tx.rollback()?;
    Ok((summary, listed))
}

/// A backfill run: slots opened and ended, the waves due sent.
pub fn run(cfg: &Config, opts: &Options, contacted: &dyn Fn(usize)) -> Result<Summary> {
    let texts = Texts::load(cfg)?;
    offer::check_templates(cfg, &texts)?;
    let mut session = Session::open_backfill(cfg, &opts.sites, opts.lock_wait)?;
    let rules = cfg.news_rules();
    let mut summary = Summary {
        run_id: Some(session.run_id),
        ..Default::default()
    };
    let result = (|| -> Result<()> {
        session.settle(false, &|_, _| {})?;
        let now = session.now();
        let jobs = {
            let tx = db::begin(&mut session.conn)?;
            let jobs = plan(cfg, &tx, opts, now, &mut summary)?;
            tx.commit()?;
            jobs
        };
        let ctx = RunCtx::new(Parts {
            cfg,
            opts: DispatchOptions {
                kind: RunKind::Send,
                dry_run: false,
                force: opts.force,
                limit: None,
                sites: opts.sites.clone(),
                window: None,
                lock_wait: opts.lock_wait,
            },
            client: &session.client,
            rules: &rules,
            texts: &texts,
            public_url: &session.creds.public_url,
            run_id: session.run_id,
            clock: session.clock.clone(),
        });
        let pacer = Pacer::per_second(cfg.sending.sms_per_second);
        let mut tally = RunSummary::default();
        for job in jobs {
            let done = attempt::run(&mut session.conn, &ctx, &pacer, &job)?;
            contacted(done.appointments);
            match done.sent {
                Sent::Held(_) => summary.held += 1,
                Sent::AfterHours => summary.after_hours += 1,
                _ => {}
            }
            tally.count(&done);
        }
        summary.offers = tally.sms;
        summary.error = ctx.stop_reason().or_else(|| tally.failure());
        Ok(())
    })();
    let error = match &result {
        Err(e) => Some(format!("{e:#}")),
        Ok(()) => summary.error.clone(),
    };
    summary.error = error;
    let o = &summary.offers;
    let finished = session.finish(&runs::Ending {
        tally: &runs::Tally {
            selected: o.total(),
            dispatched: o.dispatched,
            failed: o.refused + o.unanswered,
            skipped: o.skipped + summary.held as i64,
        },
        error: summary.error.as_deref(),
        outcome: if summary.error.is_some() {
            RunOutcome::Failed
        } else {
            RunOutcome::Completed
        },
        left_for_next: 0,
        unresolved: o.unanswered,
        note: None,
    });
    result.and(finished)?;
    Ok(summary)
}
