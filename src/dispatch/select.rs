//! Who this run contacts: every appointment in the run's state gets its verdict (`domain::due`);
//! what has passed expires, what opted out stops, and the due ones get their request rendered.

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};

use super::message::{self, Request, Texts};
use super::{Options, Summary};
use crate::clock::{db_time, parse_db_time};
use crate::config::Config;
use crate::db::{appointments, opt_outs};
use crate::domain::due::{self, RunKind, Verdict};
use crate::domain::state::{Event, State};
use crate::news;

/// A prepared contact: the appointment and its rendered request (or why it cannot be built).
pub struct Job {
    pub appt: appointments::Stored,
    pub request: std::result::Result<Request, String>,
}

/// Where requests point and who they come from.
pub struct Sender<'a> {
    pub public_url: &'a str,
    pub from: &'a str,
    pub texts: &'a Texts,
}

/// The contacts due now. Unless `opts.dry_run`, passed appointments are expired and opted-out
/// numbers stopped on the way, in one transaction.
pub fn select(
    cfg: &Config,
    conn: &mut rusqlite::Connection,
    opts: Options,
    now: DateTime<Utc>,
    sender: &Sender<'_>,
    summary: &mut Summary,
) -> Result<Vec<Job>> {
    let want = match opts.kind {
        RunKind::Send => State::Pending,
        RunKind::Retry => State::RetryWait,
    };
    let due_rules = due::Rules {
        max_attempts: cfg.sending.max_attempts,
        min_gap: chrono::Duration::minutes(cfg.sending.min_retry_gap_minutes),
        quiet_hours: cfg.sending.quiet_hours,
        tz: cfg.timezone,
        force: opts.force,
    };
    let stamp = db_time(now);
    let mut jobs = Vec::new();
    let tx = crate::db::begin(conn)?;
    for appt in appointments::in_states(&tx, &[want])? {
        let facts = due::Facts {
            state: appt.state,
            at: parse_db_time(&appt.at).context("reading a stored appointment time")?,
            channel: appt.channel,
            attempt_count: appt.attempt_count as u32,
            last_attempt_at: appt.last_attempt_at.as_deref().and_then(parse_db_time),
            opted_out: opt_outs::contains(&tx, &appt.phone_number)?,
        };
        match due::verdict(opts.kind, &facts, now, &due_rules) {
            Verdict::Contact if opts.limit.is_none_or(|l| jobs.len() < l) => {
                let request =
                    message::build(cfg, sender.texts, sender.public_url, sender.from, &appt)?;
                jobs.push(Job { appt, request });
            }
            Verdict::Contact | Verdict::NotDue => {}
            Verdict::Expire => {
                if !opts.dry_run {
                    news::move_appointment(&tx, &appt, Event::Expired, &stamp)?;
                }
                summary.expired += 1;
            }
            Verdict::OptedOut => {
                if !opts.dry_run {
                    news::move_appointment(&tx, &appt, Event::OptedOut, &stamp)?;
                }
                summary.opted_out += 1;
            }
            Verdict::TooSoon => summary.too_soon += 1,
            Verdict::QuietHours => summary.quiet_hours += 1,
        }
    }
    tx.commit()?;
    if summary.quiet_hours > 0 {
        let q = cfg.sending.quiet_hours;
        log::warn!(
            "{} appointment(s) not contacted: {} is outside the contact hours {}-{} ({}); use --force to override",
            summary.quiet_hours,
            now.with_timezone(&cfg.timezone).format("%H:%M"),
            q.start.format("%H:%M"),
            q.end.format("%H:%M"),
            cfg.timezone.name()
        );
    }
    Ok(jobs)
}
