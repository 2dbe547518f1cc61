//! `reminders send`: the first attempt for every appointment due one. Also the printing every
//! dispatching command shares (`retry` and `import --now` come through here).

use std::io::IsTerminal;

use anyhow::Result;

use crate::config::Config;
use crate::dispatch::{self, ChannelTally, Options, Plan, Summary, Watch};
use crate::domain::due::RunKind;
use crate::{mask, output};

#[derive(clap::Args, Debug)]
#[command(
    about = "Call or text every patient due a first reminder",
    long_about = "Contacts every pending appointment still in the future, by SMS or call as the \
patient prefers, paced at the configured calls/SMS per second. Appointments already passed \
become `expired`; opted-out numbers are never contacted; nobody is contacted outside the \
configured contact hours unless --force. Only one send/retry runs at a time.",
    after_help = "Examples:\n  reminders send --dry-run           # print every message, contact nobody\n  \
reminders send\n  reminders send --limit 5           # at most five contacts\n  \
reminders send --force             # outside contact hours (think twice)"
)]
pub struct Args {
    /// Print what would be sent, rendered, and contact nobody; changes nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Contact even outside the configured contact hours (`sending.quiet_hours`).
    #[arg(long)]
    pub force: bool,

    /// Contact at most N appointments in this run.
    #[arg(long, value_name = "N")]
    pub limit: Option<usize>,
}

pub fn run(cfg: &Config, args: &Args) -> Result<()> {
    dispatch_and_print(
        cfg,
        Options {
            kind: RunKind::Send,
            dry_run: args.dry_run,
            force: args.force,
            limit: args.limit,
        },
    )
}

/// `import --now`: send right after importing, with the default options.
pub fn run_after_import(cfg: &Config) -> Result<()> {
    run(
        cfg,
        &Args {
            dry_run: false,
            force: false,
            limit: None,
        },
    )
}

/// A run (or a dry run) of `opts.kind`, with what it did printed on stdout.
pub fn dispatch_and_print(cfg: &Config, opts: Options) -> Result<()> {
    if opts.dry_run {
        return print_dry_run(cfg, opts);
    }
    let terminal = Terminal::new(cfg, opts.kind);
    let summary = dispatch::run(cfg, opts, &terminal);
    terminal.done();
    let summary = summary?;
    print_summary(&summary);
    match summary.error {
        Some(why) => Err(anyhow::anyhow!(why)),
        None => Ok(()),
    }
}

/// The line before the first contact and, on a terminal, a progress bar.
struct Terminal<'a> {
    cfg: &'a Config,
    kind: RunKind,
    bar: indicatif::ProgressBar,
}

impl<'a> Terminal<'a> {
    fn new(cfg: &'a Config, kind: RunKind) -> Self {
        Terminal {
            cfg,
            kind,
            bar: indicatif::ProgressBar::hidden(),
        }
    }

    fn done(&self) {
        self.bar.finish_and_clear();
    }
}

impl Watch for Terminal<'_> {
    fn planned(&self, plan: Plan) {
        announce(self.cfg, plan, self.kind);
        if std::io::stderr().is_terminal() && plan.calls + plan.texts > 0 {
            self.bar
                .set_draw_target(indicatif::ProgressDrawTarget::stderr());
            self.bar.set_length((plan.calls + plan.texts) as u64);
        }
    }

    fn contacted(&self) {
        self.bar.inc(1);
    }
}

fn announce(cfg: &Config, plan: Plan, kind: RunKind) {
    let s = &cfg.sending;
    let seconds =
        (plan.calls as f64 / s.calls_per_second).max(plan.texts as f64 / s.sms_per_second);
    println!(
        "{}: {} to contact — {} call(s) at {}/s, {} text(s) at {}/s: about {}.",
        dispatch::kind_name(kind),
        plan.calls + plan.texts,
        plan.calls,
        s.calls_per_second,
        plan.texts,
        s.sms_per_second,
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

fn print_dry_run(cfg: &Config, opts: Options) -> Result<()> {
    let found = dispatch::dry_run(cfg, opts)?;
    let calls = found
        .jobs
        .iter()
        .filter(|j| j.appt.channel == crate::domain::channel::Channel::Call)
        .count();
    println!("Dry run: nobody is contacted and nothing is changed.");
    announce(
        cfg,
        Plan {
            calls,
            texts: found.jobs.len() - calls,
        },
        opts.kind,
    );
    for job in &found.jobs {
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
    Ok(())
}

pub fn print_summary(s: &Summary) {
    let row = |name: &str, t: &ChannelTally| {
        vec![
            name.to_string(),
            t.dispatched.to_string(),
            t.refused.to_string(),
            t.unanswered.to_string(),
            t.skipped.to_string(),
        ]
    };
    println!(
        "{}",
        output::table(
            &["channel", "sent", "refused", "no answer", "skipped"],
            &[row("calls", &s.calls), row("texts", &s.sms)]
        )
    );
    let mut notes = Vec::new();
    let st = &s.settled;
    if st.adopted + st.undone > 0 {
        notes.push(format!(
            "interrupted earlier run: {} attempt(s) had reached Twilio and were kept, {} had not and were redone",
            st.adopted, st.undone
        ));
    }
    if st.updated > 0 {
        notes.push(format!(
            "{} outcome(s) fetched from Twilio (callbacks that never arrived)",
            st.updated
        ));
    }
    for (n, what) in [
        (s.expired, "appointment(s) already passed: expired"),
        (s.opted_out, "opted-out number(s): not contacted"),
        (
            s.too_soon,
            "last attempt too recent: left for a later retry",
        ),
        (s.quiet_hours, "outside contact hours: not contacted"),
        (
            s.unresolved,
            "attempt(s) got no answer from Twilio: the next run checks them",
        ),
        (
            st.unresolved as i64,
            "attempt(s) could not be checked with Twilio: left as they are",
        ),
    ] {
        if n > 0 {
            notes.push(format!("{n} {what}"));
        }
    }
    if let Some(id) = s.run_id {
        notes.push(format!("run #{id}; details: reminders status runs"));
    }
    for n in notes {
        println!("{n}");
    }
}
