//! A dispatching run (`send`, `retry`): under the run lock, settle what earlier runs left open
//! (`recover`), work out whether the due contacts fit before contact hours end, then stream the
//! due contacts (`select`) to a pool of workers (`pool`) paced per channel (`pacer`), each
//! contact exactly once (`attempt`). It stops starting contacts at the end of a site's contact
//! hours, or on SIGINT/SIGTERM, letting those in flight finish. Printing is the commands'
//! business: this module returns what happened.

pub mod attempt;
pub mod backfill;
mod claim;
pub mod context;
pub mod find;
pub mod follow_up;
pub mod limits;
pub mod lock;
pub mod message;
pub mod offer;
pub mod pacer;
pub mod pool;
pub mod recover;
pub mod select;
pub mod session;
pub mod unsent;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use anyhow::Result;
use chrono::{DateTime, Utc};

use crate::config::Config;
use crate::db::runs;
use crate::domain::channel::Channel;
use crate::domain::contact_kind::ContactKind;
use crate::domain::limits::HoldCounts;
use crate::domain::run_outcome::RunOutcome;
use crate::domain::schedule::RunKind;
use crate::exit::usage;
use attempt::{Done, Sent};
use context::{Parts, RunCtx};
use message::Texts;
use select::{Job, Selector};

#[derive(Clone, Debug)]
pub struct Options {
    pub kind: RunKind,
    pub dry_run: bool,
    pub force: bool,
    pub limit: Option<usize>,
    /// Only these sites (`--site`); empty: every site.
    pub sites: Vec<String>,
    /// The window of the day this run is for (`reminders run`); none for a run by hand.
    pub window: Option<runs::WindowTag>,
    /// How long to wait for another run's lock; `None`: the configured `lock_wait_seconds`.
    pub lock_wait: Option<std::time::Duration>,
}

/// What happened to the contacts of one channel in a run, counted in appointments.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ChannelTally {
    /// Accepted by Twilio.
    pub dispatched: i64,
    /// Refused by Twilio for this patient, or not sendable; recorded on the attempt.
    pub refused: i64,
    /// Not sent after all (changed meanwhile, or the run stopped).
    pub skipped: i64,
    /// Twilio kept asking to slow down, answered unclearly or not at all.
    pub unanswered: i64,
    /// Messages (a combined one counts once) and, for texts, their segments.
    pub messages: i64,
    pub segments: i64,
}

impl ChannelTally {
    pub fn total(&self) -> i64 {
        self.dispatched + self.refused + self.skipped + self.unanswered
    }
}

#[derive(Clone, Debug, Default)]
pub struct Summary {
    pub run_id: Option<i64>,
    pub calls: ChannelTally,
    pub sms: ChannelTally,
    pub selection: select::Counts,
    /// Appointments held by the rules of contact, at selection or at the claim.
    pub held: HoldCounts,
    /// Requests Twilio acted on (calls and messages that exist), whatever was recorded.
    pub contacted: i64,
    /// Attempts left `dispatching`: Twilio could not be asked; the next run does.
    pub unresolved: i64,
    pub settled: recover::Settled,
    /// Why the run stopped early (credentials, a signal), if it did.
    pub stopped: Option<String>,
    pub interrupted: bool,
    /// Sites whose contact hours ended during the run, and the contacts left for the next
    /// window.
    pub closed_sites: Vec<String>,
    pub left_for_next: u64,
    /// The fit check's warning, when the contacts do not fit before contact hours end.
    pub capacity: Option<String>,
    pub tally: runs::Tally,
    /// Why the run counts as failed (recorded on the run; the command exits 1).
    pub error: Option<String>,
}

impl Summary {
    pub(crate) fn count(&mut self, done: &Done) {
        let row = if done.channel == Channel::Call {
            &mut self.calls
        } else {
            &mut self.sms
        };
        let n = done.appointments as i64;
        match done.sent {
            Sent::Dispatched => {
                row.dispatched += n;
                row.messages += 1;
                row.segments += i64::from(done.segments);
            }
            Sent::Refused => row.refused += n,
            Sent::Skipped | Sent::AfterHours => row.skipped += n,
            Sent::Throttled | Sent::Undone => row.unanswered += n,
            Sent::Unresolved => {
                row.unanswered += n;
                self.unresolved += n;
            }
            Sent::Held(rule) => self.held.add(rule, n),
        }
    }

    /// When no contact could be made because Twilio refused the account or did not answer:
    /// the run failed, whatever it recorded.
    pub(crate) fn failure(&self) -> Option<String> {
        let (c, s) = (&self.calls, &self.sms);
        let unanswered = c.unanswered + s.unanswered;
        (c.dispatched + s.dispatched == 0 && unanswered > 0).then(|| {
            format!(
                "no contact could be made: Twilio refused or did not answer all {unanswered} request(s) ({} left for the next run to check with Twilio); see `reminders status runs`",
                self.unresolved
            )
        })
    }

    fn outcome(&self, refused: bool) -> RunOutcome {
        if refused {
            RunOutcome::Refused
        } else if self.interrupted {
            RunOutcome::Interrupted
        } else if self.error.is_some() {
            RunOutcome::Failed
        } else if !self.closed_sites.is_empty() {
            RunOutcome::StoppedAtContactHours
        } else {
            RunOutcome::Completed
        }
    }
}

/// What a run is about to do, for the line printed before the first contact.
#[derive(Clone, Copy, Debug, Default)]
pub struct Plan {
    pub calls: u64,
    pub texts: u64,
}

/// How a command follows a run: told the plan before the first contact, and of each contact.
pub trait Watch: Sync {
    fn planned(&self, plan: Plan, capacity: Option<&str>);
    fn contacted(&self, appointments: usize);
}

pub fn run(cfg: &Config, opts: Options, watch: &dyn Watch) -> Result<Summary> {
    let texts = Texts::load(cfg)
        .and_then(|t| limits::check_templates(cfg).map(|()| t))
        .inspect_err(|e| session::record_refusal(cfg, &opts, e))?;
    let mut session = session::Session::open(cfg, &opts)?;
    let rules = cfg.news_rules();
    let mut summary = Summary {
        run_id: Some(session.run_id),
        ..Default::default()
    };
    let stop = Arc::new(AtomicBool::new(false));
    let interrupted = Arc::new(AtomicBool::new(false));
    let signals = Signals::watch(&[&stop, &interrupted])?;
    let result = (|| -> Result<()> {
        summary.settled = session.settle(opts.kind == RunKind::Retry, &|_, _| {})?;
        let now = session.now();
        let (calls, texts_due) = select::count_due(cfg, &session.conn, &opts, now)?;
        let plan = Plan {
            calls,
            texts: texts_due,
        };
        summary.capacity = capacity(cfg, &opts, plan, now);
        watch.planned(plan, summary.capacity.as_deref());
        let mut selector = Selector::new(cfg, opts.clone(), now)?.for_run(session.run_id);
        let first = selector.next_job()?;
        if let Some(job) = &first {
            check_templates(cfg, &texts, &session.creds.public_url, job)?;
        }
        let ctx = RunCtx::new(Parts {
            cfg,
            opts: opts.clone(),
            client: &session.client,
            rules: &rules,
            texts: &texts,
            public_url: &session.creds.public_url,
            run_id: session.run_id,
            clock: session.clock.clone(),
        })
        .with_stop(stop.clone());
        let workers = cfg.sending.max_in_flight.max(1);
        let results = pool::run(cfg, &ctx, workers, first, &mut selector, &|n| {
            watch.contacted(n)
        });
        for done in &results.done {
            summary.count(done);
        }
        // The follow-ups, once the reminders are out: when a cap on contacts leaves room for
        // one, it is a reminder's.
        if !opts.dry_run && !ctx.stop.load(Ordering::SeqCst) {
            let (jobs, _waiting) = follow_up::jobs(cfg, &session.conn, &opts, ctx.now())?;
            let call_pacer = pacer::Pacer::per_second(cfg.sending.calls_per_second);
            let sms_pacer = pacer::Pacer::per_second(cfg.sending.sms_per_second);
            for job in jobs {
                if ctx.stop.load(Ordering::SeqCst) {
                    break;
                }
                let pacer = match (job.kind, job.group[0].channel) {
                    (ContactKind::VoicemailText, _) | (_, Channel::Sms) => &sms_pacer,
                    _ => &call_pacer,
                };
                let done = attempt::run(&mut session.conn, &ctx, pacer, &job)?;
                watch.contacted(done.appointments);
                summary.count(&done);
            }
        }
        summary.selection = selector.counts;
        summary.held.merge(&selector.counts.held);
        summary.interrupted = interrupted.load(Ordering::SeqCst);
        summary.stopped = ctx
            .stop_reason()
            .or_else(|| {
                summary
                    .interrupted
                    .then(|| "interrupted (SIGINT or SIGTERM)".to_string())
            })
            .or_else(|| ctx.texting_stop_reason());
        summary.closed_sites = ctx.closed_sites();
        if !summary.closed_sites.is_empty() || summary.interrupted {
            // What is still due, contact hours aside: the next window's work.
            let anyway = Options {
                force: true,
                ..opts.clone()
            };
            let left = select::count_due(cfg, &session.conn, &anyway, session.now())?;
            summary.left_for_next = left.0 + left.1;
        } else {
            summary.left_for_next = summary.selection.quiet_hours.max(0) as u64;
        }
        summary.contacted = ctx.contacted();
        let mut failures = results.failures.into_iter();
        if let Some(first) = failures.next() {
            // The first keeps its type (a full disk, a lock), so the words for it can be found.
            let others: Vec<String> = failures.map(|e| format!("{e:#}")).collect();
            let count = others.len() + 1;
            let others = if others.is_empty() {
                String::new()
            } else {
                format!(" (the others: {})", others.join("; "))
            };
            return Err(first.context(format!("{count} attempt(s) could not be recorded{others}")));
        }
        Ok(())
    })();
    drop(signals);
    // A configuration error found before the first contact (a template naming a placeholder
    // no export has): the run was refused, as with missing credentials.
    let refused = result
        .as_ref()
        .is_err_and(|e| crate::exit::code_for(e) == 2 && summary.contacted == 0);

    let error = match (&result, &summary.stopped) {
        (Err(e), _) => Some(format!("{e:#}")),
        (Ok(()), Some(why)) => Some(why.clone()),
        _ => summary.failure(),
    };
    summary.error = error;
    let (c, s) = (&summary.calls, &summary.sms);
    summary.tally = runs::Tally {
        selected: c.total() + s.total(),
        dispatched: c.dispatched + s.dispatched,
        failed: c.refused + s.refused + c.unanswered + s.unanswered,
        skipped: c.skipped
            + s.skipped
            + summary.selection.quiet_hours
            + summary.selection.too_soon
            + summary.held.total(),
    };
    let finished = session.finish(&runs::Ending {
        tally: &summary.tally,
        error: summary.error.as_deref(),
        outcome: summary.outcome(refused),
        left_for_next: summary.left_for_next as i64,
        unresolved: summary.unresolved,
        note: summary.capacity.as_deref(),
    });
    if let Err(e) = result.and(finished) {
        if crate::db::fault::classify(&e, &cfg.db) == Some(crate::db::fault::Fault::Full) {
            return Err(e.context(format!(
                "{} patient(s) had been contacted by this run before it happened; a contact whose attempt could not be recorded is checked with Twilio by the next send or retry, so nobody is contacted twice",
                summary.contacted
            )));
        }
        return Err(e);
    }
    Ok(summary)
}

/// A template naming a placeholder no appointment has is a configuration error: found on the
/// first contact, before anyone is contacted, rather than on each one.
fn check_templates(cfg: &Config, texts: &Texts, public_url: &str, job: &Job) -> Result<()> {
    match message::build(cfg, texts, public_url, &job.group)? {
        Err(crate::domain::templates::RenderError::Unknown(name)) => Err(usage(format!(
            "a template uses the placeholder {{{name}}}, which is neither built in nor a column of the export (appointment {}): nobody was contacted",
            job.group[0].appointment_id
        ))),
        _ => Ok(()),
    }
}

/// The fit check (docs/behaviour.md, "Contact hours"): whether the planned contacts fit, at the
/// configured rates, before the contact hours of the sites served end; if not, how many will not
/// and what rate would do.
fn capacity(cfg: &Config, opts: &Options, plan: Plan, now: DateTime<Utc>) -> Option<String> {
    if plan.calls + plan.texts == 0 || opts.force {
        return None;
    }
    let s = &cfg.sending;
    let needed = (plan.calls as f64 / s.calls_per_second).max(plan.texts as f64 / s.sms_per_second);
    // The earliest end of contact hours among the sites served.
    let (available, ends) = cfg
        .site_keys()
        .iter()
        .filter(|k| opts.sites.is_empty() || opts.sites.iter().any(|x| x == *k))
        .filter_map(|k| {
            let site = cfg.site(k);
            // A site outside its hours now contributes no contacts (selection skips it).
            let end = site.hours.end(site.tz, now)?;
            let left = (end - now).num_seconds().max(0) as f64;
            Some((
                left,
                format!(
                    "{} ({})",
                    end.with_timezone(&site.tz).format("%H:%M"),
                    site.tz.name()
                ),
            ))
        })
        .min_by(|a, b| a.0.total_cmp(&b.0))?;
    if needed <= available {
        return None;
    }
    // n contacts paced at r a second take (n - 1) / r seconds: the first goes at once.
    let fit = |n: u64, rate: f64| n.min((available * rate).floor() as u64 + 1);
    let left = plan.calls - fit(plan.calls, s.calls_per_second) + plan.texts
        - fit(plan.texts, s.sms_per_second);
    let rate = |n: u64| {
        let r = n.saturating_sub(1) as f64 / available.max(1.0);
        if r >= 10.0 {
            format!("{r:.0}")
        } else if r >= 1.0 {
            format!("{r:.1}")
        } else {
            format!("{r:.2}")
        }
    };
    let mut at = Vec::new();
    let mut would = Vec::new();
    if plan.calls > 0 {
        at.push(format!("{} calls at {}/s", plan.calls, s.calls_per_second));
        would.push(format!("{} calls/s", rate(plan.calls)));
    }
    if plan.texts > 0 {
        at.push(format!("{} texts at {}/s", plan.texts, s.sms_per_second));
        would.push(format!("{} texts/s", rate(plan.texts)));
    }
    Some(format!(
        "{left} of {} contact(s) will not fit before contact hours end at {ends}: {} need {}; fitting them would take {} (sending.calls_per_second / sms_per_second, within your Twilio account's limits). The rest are due at the next window.",
        plan.calls + plan.texts,
        at.join(" and "),
        human_duration(needed),
        would.join(" and "),
    ))
}

pub fn human_duration(seconds: f64) -> String {
    let s = seconds.ceil() as u64;
    match s {
        0..=59 => format!("{s} s"),
        60..=3599 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

/// SIGINT and SIGTERM during a run: no new contacts; those in flight finish and are recorded.
struct Signals(Vec<signal_hook::SigId>);

impl Signals {
    fn watch(flags: &[&Arc<AtomicBool>]) -> Result<Signals> {
        let mut ids = Vec::new();
        for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
            for flag in flags {
                ids.push(signal_hook::flag::register(sig, Arc::clone(flag))?);
            }
        }
        Ok(Signals(ids))
    }
}

impl Drop for Signals {
    fn drop(&mut self) {
        for id in self.0.drain(..) {
            signal_hook::low_level::unregister(id);
        }
    }
}

/// A contact of a dry run, rendered (or why it could not be).
pub type Rendered = std::result::Result<message::Request, String>;

/// Streams the contacts a real run would make, rendered, to `each` (after telling `plan` what
/// the run would do); changes nothing.
pub fn dry_run(
    cfg: &Config,
    opts: Options,
    plan: &mut dyn FnMut(Plan, Option<&str>),
    each: &mut dyn FnMut(&Job, Rendered) -> Result<()>,
) -> Result<select::Counts> {
    let texts = Texts::load(cfg)?;
    limits::check_templates(cfg)?;
    let public_url = cfg
        .webhook
        .public_url
        .clone()
        .unwrap_or_else(|| "https://REMINDERS_PUBLIC_URL".to_string());
    let opts = Options {
        dry_run: true,
        ..opts
    };
    let now = cfg.now();
    let mut selector = Selector::new(cfg, opts.clone(), now)?;
    let (calls, texts_due) = select::count_due(cfg, selector.conn(), &opts, now)?;
    let planned = Plan {
        calls,
        texts: texts_due,
    };
    plan(planned, capacity(cfg, &opts, planned, now).as_deref());
    let mut held = HoldCounts::default();
    while let Some(job) = selector.next_job()? {
        let mut req =
            message::build(cfg, &texts, &public_url, &job.group)?.map_err(|e| e.to_string());
        if let Ok(r) = &req
            && let Some((rule, reason)) = crate::domain::limits::too_long(
                cfg.limits.profile,
                r.channel == Channel::Sms,
                &r.content,
            )
        {
            held.add(rule, job.group.len() as i64);
            req = Err(reason);
        }
        each(&job, req)?;
    }
    // The follow-ups this run would make after its reminders.
    let (follow_ups, _) = follow_up::jobs(cfg, selector.conn(), &opts, now)?;
    for job in follow_ups {
        let req = message::build_kind(cfg, &texts, &public_url, &job.group, job.kind)?
            .map_err(|e| e.to_string());
        each(&job, req)?;
    }
    let mut counts = selector.counts;
    counts.held.merge(&held);
    Ok(counts)
}
