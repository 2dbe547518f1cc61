//! `reminders retry`: settle outcomes that never arrived, then try the unreached again.

use anyhow::Result;

use crate::cmd::send::dispatch_and_print;
use crate::config::Config;
use crate::dispatch::Options;
use crate::domain::due::RunKind;

#[derive(clap::Args, Debug)]
#[command(
    about = "Reconcile open attempts, then retry every patient not reached yet",
    long_about = "First asks Twilio for the outcome of every attempt still lacking one (lost \
callbacks), then re-attempts every appointment whose last attempt failed, that has attempts \
left (`sending.max_attempts`) and whose last attempt is at least `sending.min_retry_gap_minutes` \
old. Cron runs it at 19:45 and at 09:00 the next day.",
    after_help = "Examples:\n  reminders retry --dry-run\n  reminders retry"
)]
pub struct Args {
    /// Print what would be sent, rendered, and contact nobody; changes nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Contact even outside the configured contact hours (`sending.quiet_hours`).
    #[arg(long)]
    pub force: bool,
}

pub fn run(cfg: &Config, args: &Args) -> Result<()> {
    dispatch_and_print(
        cfg,
        Options {
            kind: RunKind::Retry,
            dry_run: args.dry_run,
            force: args.force,
            limit: None,
        },
    )
}
