//! `reminders send`: the first attempt for every appointment due one.

use anyhow::Result;

use crate::config::Config;
use crate::dispatch::{self, Options, Summary};
use crate::domain::due::RunKind;
use crate::output;

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
    let summary = dispatch::run(
        cfg,
        Options {
            kind: RunKind::Send,
            dry_run: args.dry_run,
            force: args.force,
            limit: args.limit,
        },
    )?;
    if !args.dry_run {
        print_summary(&summary);
    }
    Ok(())
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

pub fn print_summary(s: &Summary) {
    let row = |name: &str, t: &dispatch::ChannelTally| {
        vec![
            name.to_string(),
            t.dispatched.to_string(),
            t.refused.to_string(),
            t.skipped.to_string(),
        ]
    };
    println!(
        "{}",
        output::table(
            &["channel", "sent", "refused", "skipped"],
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
