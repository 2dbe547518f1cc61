//! `reminders opt-out`: a number stops getting reminders because someone said so at the desk or
//! on the phone — the same path as a STOP reply (`news::opt_out`), with "by hand" as its source.
//! `cmd/opt_in.rs` is its way back.

use anyhow::Result;

use crate::clock::Stamp;
use crate::config::Config;
use crate::db;
use crate::exit::usage;
use crate::mask;
use crate::news;

/// The source recorded in the opt-out history for a change made with these commands.
pub const BY_HAND: &str = "by hand";

#[derive(clap::Args, Debug)]
#[command(
    about = "Stop reminders to a phone number by hand (as if the patient had replied STOP)",
    long_about = "Records that this number asked for no more reminders, with \"by hand\" as the \
source and the reason as its words, exactly as a STOP reply does: every appointment of the \
number still waiting for a reminder stops, and no run contacts it until `reminders opt-in`. \
The number is read in the configured region (REMINDERS_REGION) when it has no +; one that is \
not a phone number is a usage error (exit 2). `status opt-outs` lists the numbers opted out.",
    after_help = "Examples:\n  reminders opt-out 416-555-0101 --reason \"asked at the front desk\"\n  \
reminders opt-out +14165550101"
)]
pub struct Args {
    /// The phone number, as the clinic writes it or in E.164 (+14165550101).
    pub number: String,

    /// Why, in a few words (kept in the history and shown by `status opt-outs`).
    #[arg(long, value_name = "TEXT")]
    pub reason: Option<String>,
}

/// `raw` in E.164, read in the configured region, or a usage error naming it.
pub fn number(cfg: &Config, raw: &str) -> Result<String> {
    crate::domain::phone::parse_e164(raw, cfg.region)
        .map_err(|why| usage(format!("NUMBER {raw:?} {why}")))
}

pub fn run(cfg: &Config, args: &Args) -> Result<()> {
    let phone = number(cfg, &args.number)?;
    let reason = args
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    let mut conn = db::open(&cfg.db)?;
    let tx = db::begin(&mut conn)?;
    let stopped = news::opt_out(&tx, &phone, BY_HAND, reason, Stamp::from(cfg.now()))?;
    tx.commit()?;
    println!(
        "opted out: {} (by hand{}); {stopped} appointment(s) waiting for a reminder stopped",
        mask::phone(&phone),
        reason.map(|r| format!(": {r}")).unwrap_or_default()
    );
    Ok(())
}
