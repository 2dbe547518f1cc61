//! A dispatching run (`send`, `retry`): under the run lock, settle what earlier runs left open
//! (`recover`), select who is due (`select`), then contact them through a pool of workers
//! (`pool`) paced per channel (`pacer`), each contact exactly once (`attempt`). Printing is the
//! commands' business: this module returns what happened.

pub mod attempt;
pub mod context;
pub mod lock;
pub mod message;
pub mod pacer;
pub mod pool;
pub mod recover;
pub mod select;
pub mod session;

use anyhow::Result;

use crate::config::Config;
use crate::db::{self, runs};
use crate::domain::channel::Channel;
use crate::domain::due::RunKind;
use crate::news::Rules;
use attempt::Sent;
use context::RunCtx;
use message::Texts;
use select::{Job, Sender};

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
    /// Refused by Twilio for this patient, or not sendable; recorded on the attempt.
    pub refused: i64,
    /// Not sent after all (changed meanwhile, or the run stopped).
    pub skipped: i64,
    /// Twilio kept asking to slow down, answered unclearly or not at all.
    pub unanswered: i64,
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
    pub expired: i64,
    pub opted_out: i64,
    pub too_soon: i64,
    pub quiet_hours: i64,
    /// Attempts left `dispatching`: Twilio could not be asked; the next run does.
    pub unresolved: i64,
    pub settled: recover::Settled,
    pub stopped: Option<String>,
    pub tally: runs::Tally,
    /// Requests Twilio acted on (calls and messages that exist), whatever was recorded.
    pub contacted: i64,
    /// Why the run counts as failed (recorded on the run; the command exits 1).
    pub error: Option<String>,
}

impl Summary {
    fn count(&mut self, channel: Channel, sent: &Sent) {
        let row = if channel == Channel::Call {
            &mut self.calls
        } else {
            &mut self.sms
        };
        match sent {
            Sent::Dispatched => row.dispatched += 1,
            Sent::Refused => row.refused += 1,
            Sent::Skipped => row.skipped += 1,
            Sent::Throttled | Sent::Undone => row.unanswered += 1,
            Sent::Unresolved => {
                row.unanswered += 1;
                self.unresolved += 1;
            }
        }
    }

    /// When no contact could be made because Twilio refused the account or did not answer:
    /// the run failed, whatever it recorded.
    fn failure(&self) -> Option<String> {
        let (c, s) = (&self.calls, &self.sms);
        let unanswered = c.unanswered + s.unanswered;
        (c.dispatched + s.dispatched == 0 && unanswered > 0).then(|| {
            format!(
                "no contact could be made: Twilio refused or did not answer all {unanswered} request(s) ({} left for the next run to check with Twilio); see `reminders status runs`",
                self.unresolved
            )
        })
    }
}

pub fn rules(cfg: &Config) -> Rules {
    Rules {
        max_attempts: cfg.sending.max_attempts,
        voicemail_counts_as_reached: cfg.sending.voicemail_counts_as_reached,
    }
}

pub fn kind_name(kind: RunKind) -> &'static str {
    match kind {
        RunKind::Send => "send",
        RunKind::Retry => "retry",
    }
}

/// What a run is about to do, for the line printed before the first contact.
#[derive(Clone, Copy, Debug, Default)]
pub struct Plan {
    pub calls: usize,
    pub texts: usize,
}

impl Plan {
    fn of(jobs: &[Job]) -> Plan {
        let calls = jobs
            .iter()
            .filter(|j| j.appt.channel == Channel::Call)
            .count();
        Plan {
            calls,
            texts: jobs.len() - calls,
        }
    }
}

/// How a command follows a run: told the plan before the first contact, and of each contact.
pub trait Watch: Sync {
    fn planned(&self, plan: Plan);
    fn contacted(&self);
}

pub fn run(cfg: &Config, opts: Options, watch: &dyn Watch) -> Result<Summary> {
    let texts = Texts::load(cfg)?;
    let mut session = session::Session::open(cfg, kind_name(opts.kind))?;
    let mut summary = Summary {
        run_id: Some(session.run_id),
        ..Default::default()
    };
    let result = (|| -> Result<()> {
        summary.settled = session.settle(opts.kind == RunKind::Retry)?;
        let now = session.now();
        let sender = Sender {
            public_url: &session.creds.public_url,
            from: &session.creds.phone_number,
            texts: &texts,
        };
        let jobs = select::select(cfg, &mut session.conn, opts, now, &sender, &mut summary)?;
        watch.planned(Plan::of(&jobs));
        let ctx = RunCtx::new(
            &session.client,
            session.rules,
            &session.creds.phone_number,
            session.run_id,
            session.clock,
        );
        let workers = cfg.sending.max_in_flight.min(jobs.len());
        let results = pool::run(cfg, &ctx, jobs.into_iter(), workers, &|| watch.contacted());
        for (channel, sent) in &results.sent {
            summary.count(*channel, sent);
        }
        summary.contacted = ctx.contacted();
        summary.stopped = ctx.stop_reason().or_else(|| ctx.texting_stop_reason());
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

    let error = match (&result, &summary.stopped) {
        (Err(e), _) => Some(format!("{e:#}")),
        (Ok(()), Some(why)) => Some(why.clone()),
        _ => summary.failure(),
    };
    let (c, s) = (&summary.calls, &summary.sms);
    summary.tally = runs::Tally {
        selected: c.total() + s.total(),
        dispatched: c.dispatched + s.dispatched,
        failed: c.refused + s.refused + c.unanswered + s.unanswered,
        skipped: c.skipped + s.skipped + summary.quiet_hours + summary.too_soon,
    };
    let finished = session.finish(&summary.tally, error.as_deref());
    if let Err(e) = result.and(finished) {
        if db::fault::classify(&e, &cfg.db) == Some(db::fault::Fault::Full) {
            return Err(e.context(format!(
                "{} patient(s) had been contacted by this run before it happened; a contact whose attempt could not be recorded is checked with Twilio by the next send or retry, so nobody is contacted twice",
                summary.contacted
            )));
        }
        return Err(e);
    }
    summary.error = error;
    Ok(summary)
}

/// What a dry run found: the contacts a real run would make now, rendered; nothing changed.
pub struct DryRun {
    pub jobs: Vec<Job>,
    pub summary: Summary,
}

pub fn dry_run(cfg: &Config, opts: Options) -> Result<DryRun> {
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
    let sender = Sender {
        public_url: &public_url,
        from,
        texts: &texts,
    };
    let jobs = select::select(
        cfg,
        &mut conn,
        Options {
            dry_run: true,
            ..opts
        },
        cfg.now(),
        &sender,
        &mut summary,
    )?;
    Ok(DryRun { jobs, summary })
}
