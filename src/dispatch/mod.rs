//! A dispatching run (`send`, `retry`): under the run lock, settle what earlier runs left open,
//! select who is due, then contact them through a pool of workers paced per channel.

pub mod attempt;
pub mod lock;
pub mod message;
pub mod pacer;
pub mod recover;
pub mod session;

use std::collections::VecDeque;
use std::io::IsTerminal;
use std::sync::Mutex;
use std::sync::atomic::AtomicBool;
use std::time::Duration;

use anyhow::{Context, Result};
use chrono::{DateTime, Utc};

use crate::clock::{db_time, parse_db_time};
use crate::config::Config;
use crate::db::{self, appointments, opt_outs, runs};
use crate::domain::channel::Channel;
use crate::domain::due::{self, RunKind, Verdict};
use crate::domain::state::{Event, State};
use crate::mask;
use crate::track::{self, Rules};
use crate::twilio::client::Client;
use attempt::Sent;
use message::{Request, Texts};

#[derive(Clone, Copy, Debug)]
pub struct Options {
    pub kind: RunKind,
    pub dry_run: bool,
    pub force: bool,
    pub limit: Option<usize>,
}

/// What happened to the contacts of one channel in a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ChannelTally {
    /// Accepted by Twilio.
    pub dispatched: i64,
    /// Refused by Twilio, or not sendable; recorded on the attempt.
    pub refused: i64,
    /// Not sent after all (changed meanwhile, or the run stopped).
    pub skipped: i64,
}

impl ChannelTally {
    pub fn total(&self) -> i64 {
        self.dispatched + self.refused + self.skipped
    }
}

#[derive(Clone, Debug, Default)]
pub struct Summary {
    pub run_id: Option<i64>,
    pub calls: ChannelTally,
    pub sms: ChannelTally,
    pub expired: i64,
    pub opted_out: i64,
    pub too_soon: i64,
    pub quiet_hours: i64,
    pub unresolved: i64,
    pub settled: recover::Settled,
    pub stopped: Option<String>,
    pub tally: runs::Tally,
}

pub fn rules(cfg: &Config) -> Rules {
    Rules {
        max_attempts: cfg.sending.max_attempts,
        voicemail_counts_as_reached: cfg.sending.voicemail_counts_as_reached,
    }
}

fn kind_name(kind: RunKind) -> &'static str {
    match kind {
        RunKind::Send => "send",
        RunKind::Retry => "retry",
    }
}

/// A prepared contact: the appointment and its rendered request (or why it cannot be built).
struct Job {
    appt: appointments::Stored,
    request: std::result::Result<Request, String>,
}

pub fn run(cfg: &Config, opts: Options) -> Result<Summary> {
    if opts.dry_run {
        return dry_run(cfg, opts);
    }
    let texts = Texts::load(cfg)?;
    let mut session = session::Session::open(cfg, kind_name(opts.kind))?;
    let mut summary = Summary {
        run_id: Some(session.run_id),
        ..Default::default()
    };
    let result = (|| -> Result<()> {
        summary.settled = session.settle(opts.kind == RunKind::Retry)?;
        let clock = session.clock();
        let jobs = select(
            cfg,
            &mut session.conn,
            opts,
            clock(),
            &session.creds.public_url,
            &session.creds.phone_number,
            &texts,
            &mut summary,
        )?;
        announce(cfg, &jobs, opts.kind);
        let s = &session;
        execute(
            cfg,
            &s.client,
            s.rules,
            &s.creds.phone_number,
            s.run_id,
            jobs,
            &clock,
            &mut summary,
        )
    })();

    let error = match (&result, &summary.stopped) {
        (Err(e), _) => Some(format!("{e:#}")),
        (Ok(()), Some(why)) => Some(why.clone()),
        _ => None,
    };
    summary.tally = runs::Tally {
        selected: summary.calls.total() + summary.sms.total() + summary.unresolved,
        dispatched: summary.calls.dispatched + summary.sms.dispatched,
        failed: summary.calls.refused + summary.sms.refused,
        skipped: summary.calls.skipped
            + summary.sms.skipped
            + summary.quiet_hours
            + summary.too_soon,
    };
    session.finish(&summary.tally, error.as_deref())?;
    result?;
    if let Some(why) = &summary.stopped {
        anyhow::bail!("{why}");
    }
    Ok(summary)
}

/// Expires what has passed, stops what opted out, and prepares every appointment due a contact.
#[allow(clippy::too_many_arguments)]
fn select(
    cfg: &Config,
    conn: &mut rusqlite::Connection,
    opts: Options,
    now: DateTime<Utc>,
    public_url: &str,
    from: &str,
    texts: &Texts,
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
                let request = message::build(cfg, texts, public_url, from, &appt)?;
                jobs.push(Job { appt, request });
            }
            Verdict::Contact | Verdict::NotDue => {}
            Verdict::Expire => {
                if !opts.dry_run {
                    track::move_appointment(&tx, &appt, Event::Expired, &stamp)?;
                }
                summary.expired += 1;
            }
            Verdict::OptedOut => {
                if !opts.dry_run {
                    track::move_appointment(&tx, &appt, Event::OptedOut, &stamp)?;
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

fn announce(cfg: &Config, jobs: &[Job], kind: RunKind) {
    let calls = jobs
        .iter()
        .filter(|j| j.appt.channel == Channel::Call)
        .count();
    let texts = jobs.len() - calls;
    let seconds = (calls as f64 / cfg.sending.calls_per_second)
        .max(texts as f64 / cfg.sending.sms_per_second);
    println!(
        "{}: {} to contact — {calls} call(s) at {}/s, {texts} text(s) at {}/s: about {}.",
        kind_name(kind),
        jobs.len(),
        cfg.sending.calls_per_second,
        cfg.sending.sms_per_second,
        human_duration(seconds)
    );
}

fn human_duration(seconds: f64) -> String {
    let s = seconds.ceil() as u64;
    match s {
        0..=59 => format!("{s} s"),
        60..=3599 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

#[allow(clippy::too_many_arguments)]
fn execute(
    cfg: &Config,
    client: &Client,
    rules: Rules,
    from: &str,
    run_id: i64,
    jobs: Vec<Job>,
    now: &(dyn Fn() -> DateTime<Utc> + Sync),
    summary: &mut Summary,
) -> Result<()> {
    if jobs.is_empty() {
        return Ok(());
    }
    let progress = if std::io::stderr().is_terminal() {
        indicatif::ProgressBar::new(jobs.len() as u64)
    } else {
        indicatif::ProgressBar::hidden()
    };
    let call_pacer = pacer::Pacer::per_second(cfg.sending.calls_per_second);
    let sms_pacer = pacer::Pacer::per_second(cfg.sending.sms_per_second);
    let stop = AtomicBool::new(false);
    let stop_reason = Mutex::new(None);
    let ctx = attempt::Ctx {
        client,
        rules,
        from,
        run_id,
        stop: &stop,
        stop_reason: &stop_reason,
        backoff: Duration::from_millis(500),
        now,
    };
    let workers = cfg.sending.max_in_flight.min(jobs.len());
    let queue = Mutex::new(jobs.into_iter().collect::<VecDeque<_>>());
    let results = Mutex::new(Vec::new());
    let failures = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| {
                let mut conn = match db::open(&cfg.db) {
                    Ok(c) => c,
                    Err(e) => {
                        failures
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .push(format!("{e:#}"));
                        return;
                    }
                };
                loop {
                    let job = queue.lock().unwrap_or_else(|p| p.into_inner()).pop_front();
                    let Some(job) = job else { break };
                    let outcome = match &job.request {
                        Ok(req) => {
                            let pacer = if req.channel == Channel::Call {
                                &call_pacer
                            } else {
                                &sms_pacer
                            };
                            attempt::run(&mut conn, &ctx, pacer, job.appt.id, req)
                        }
                        Err(why) => attempt::record_unbuildable(&mut conn, &ctx, job.appt.id, why),
                    };
                    match outcome {
                        Ok(sent) => results
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .push((job.appt.channel, sent)),
                        Err(e) => {
                            failures
                                .lock()
                                .unwrap_or_else(|p| p.into_inner())
                                .push(format!(
                                    "appointment {} ({}): {e:#}",
                                    job.appt.appointment_id,
                                    mask::phone(&job.appt.phone_number)
                                ));
                        }
                    }
                    progress.inc(1);
                }
            });
        }
    });
    progress.finish_and_clear();
    for (channel, sent) in results.into_inner().unwrap_or_else(|p| p.into_inner()) {
        let row = if channel == Channel::Call {
            &mut summary.calls
        } else {
            &mut summary.sms
        };
        match sent {
            Sent::Dispatched => row.dispatched += 1,
            Sent::Refused => row.refused += 1,
            Sent::Skipped => row.skipped += 1,
            Sent::Unresolved => summary.unresolved += 1,
        }
    }
    summary.stopped = stop_reason.into_inner().unwrap_or_else(|p| p.into_inner());
    let failures = failures.into_inner().unwrap_or_else(|p| p.into_inner());
    if !failures.is_empty() {
        anyhow::bail!(
            "{} attempt(s) could not be recorded: {}",
            failures.len(),
            failures.join("; ")
        );
    }
    Ok(())
}

/// Prints what would be sent, rendered, and changes nothing.
fn dry_run(cfg: &Config, opts: Options) -> Result<Summary> {
    let texts = Texts::load(cfg)?;
    let public_url = cfg
        .webhook
        .public_url
        .clone()
        .unwrap_or_else(|| "https://REMINDERS_PUBLIC_URL".to_string());
    let from = if cfg.twilio.phone_number.is_empty() {
        "TWILIO_PHONE_NUMBER"
    } else {
        &cfg.twilio.phone_number
    };
    let mut conn = db::open(&cfg.db)?;
    let mut summary = Summary::default();
    let jobs = select(
        cfg,
        &mut conn,
        opts,
        cfg.now(),
        &public_url,
        from,
        &texts,
        &mut summary,
    )?;
    println!("Dry run: nobody is contacted and nothing is changed.");
    announce(cfg, &jobs, opts.kind);
    for job in &jobs {
        let a = &job.appt;
        println!(
            "\n— {} to {} — appointment {} / patient {} at {} (attempt {})",
            a.channel.as_str(),
            mask::phone(&a.phone_number),
            a.appointment_id,
            a.patient_id,
            crate::clock::local_display(&a.at, cfg.timezone),
            a.attempt_count + 1
        );
        match &job.request {
            Ok(req) => println!("{}", req.content.trim_end()),
            Err(why) => println!("NOT SENDABLE: {why}"),
        }
    }
    Ok(summary)
}
