//! `reminders retry`: settle outcomes that never arrived, then try the unreached again.

use anyhow::Result;

use crate::cmd::send::{RunArgs, run_kind};
use crate::config::Config;
use crate::domain::schedule::RunKind;

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
    #[command(flatten)]
    pub run: RunArgs,
}

pub fn run(cfg: &Config, args: &Args) -> Result<()> {
    run_kind(cfg, RunKind::Retry, &args.run, None)
}
