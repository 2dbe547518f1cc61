//! The messages that follow a reminder, made by a dispatching run after its reminders: a text
//! after a call an answering machine took (`[sending] voicemail_text`), at the next run; a
//! message after a visit the clinic's system marks as missed (`[followup] no_show`), at the
//! first send of a later day; a notice when the clinic cancels an appointment still to come, at
//! the next run. Each is one contact for one appointment, made exactly once the way reminders
//! are (`attempt.rs`), inside contact hours, never to a number that opted out; it moves no
//! appointment through the schedule.

use anyhow::Result;
use chrono::{DateTime, Utc};
use rusqlite::Connection;

use super::Options;
use super::select::Job;
use crate::clock::Stamp;
use crate::config::Config;
use crate::db::appointments::{Stored, follow_ups};
use crate::db::opt_outs;
use crate::domain::contact_kind::{ContactKind, FOLLOW_UPS};
use crate::domain::schedule::RunKind;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    Due,
    /// Outside the site's contact hours: the next run makes it.
    AfterHours,
    No,
}

/// Whether this run makes `kind` at all.
fn enabled(cfg: &Config, opts: &Options, kind: ContactKind) -> bool {
    match kind {
        ContactKind::VoicemailText => cfg.sending.voicemail_text,
        ContactKind::NoShow => cfg.sending.no_show_follow_up && opts.kind == RunKind::Send,
        ContactKind::ClinicCancelled => true,
        ContactKind::Reminder | ContactKind::Offer => false,
    }
}

/// Whether `appt` gets `kind` now: checked when the run lists them and again just before
/// sending.
pub fn verdict(
    cfg: &Config,
    conn: &Connection,
    opts: &Options,
    appt: &Stored,
    kind: ContactKind,
    now: DateTime<Utc>,
) -> Result<Verdict> {
    if !enabled(cfg, opts, kind)
        || !(opts.sites.is_empty() || opts.sites.contains(&appt.site))
        || !follow_ups::still_due(conn, appt.id, kind, Stamp::from(now))?
        || opt_outs::contains(conn, &appt.phone_number)?
    {
        return Ok(Verdict::No);
    }
    let site = cfg.site(&appt.site);
    let local_now = now.with_timezone(&site.tz);
    if kind == ContactKind::NoShow {
        // At a send window of a day after the missed visit, never the evening of it.
        let missed_on = appt.at.instant().with_timezone(&site.tz).date_naive();
        if missed_on >= local_now.date_naive() {
            return Ok(Verdict::No);
        }
    }
    if !opts.force && !site.hours.allows(site.tz, now) {
        return Ok(Verdict::AfterHours);
    }
    Ok(Verdict::Due)
}

/// Every follow-up due at `now`, one job per appointment, and how many wait for contact hours.
pub fn jobs(
    cfg: &Config,
    conn: &Connection,
    opts: &Options,
    now: DateTime<Utc>,
) -> Result<(Vec<Job>, i64)> {
    let mut jobs = Vec::new();
    let mut after_hours = 0;
    for kind in FOLLOW_UPS {
        if !enabled(cfg, opts, kind) {
            continue;
        }
        for appt in follow_ups::due(conn, kind, Stamp::from(now))? {
            match verdict(cfg, conn, opts, &appt, kind, now)? {
                Verdict::Due => jobs.push(Job {
                    touch: appt.touch_days.unwrap_or(0),
                    group: vec![appt],
                    kind,
                    offer: None,
                }),
                Verdict::AfterHours => after_hours += 1,
                Verdict::No => {}
            }
        }
    }
    Ok((jobs, after_hours))
}
