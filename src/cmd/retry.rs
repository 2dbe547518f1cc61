//! `reminders retry`: settle outcomes that never arrived, then try the unreached again.

use anyhow::Result;

use crate::cmd::send::dispatch_and_print;
use crate::config::Config;
use crate::dispatch::Options;
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
    /// List the contacts a run would make now (one line each) and contact nobody.
    #[arg(long)]
    pub dry_run: bool,

    /// With --dry-run: also print each message in full.
    #[arg(long, requires = "dry_run")]
    pub show_messages: bool,

    /// Contact even outside the configured contact hours (`sending.quiet_hours`).
    #[arg(long)]
    pub force: bool,

    /// Only this site's appointments (repeatable); default: every site.
    #[arg(long = "site", value_name = "NAME")]
    pub sites: Vec<String>,
}

pub fn run(cfg: &Config, args: &Args) -> Result<()> {
    dispatch_and_print(
        cfg,
        Options {
            kind: RunKind::Retry,
            dry_run: args.dry_run,
            force: args.force,
            limit: None,
            sites: crate::cmd::send::check_sites(cfg, &args.sites)?,
        },
        args.show_messages,
    )
}
