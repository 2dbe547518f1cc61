//! `reminders reconcile`: ask Twilio for every outcome that has not reached us.

use anyhow::Result;

use crate::config::Config;
use crate::db::runs::Tally;
use crate::dispatch::session::Session;
use crate::domain::run_outcome::RunOutcome;

#[derive(clap::Args, Debug)]
#[command(
    about = "Fetch from Twilio the outcome of every attempt that has none yet",
    long_about = "Status callbacks can be lost (listener down, network). This asks Twilio for \
every attempt that has a SID but no final status and applies the answer exactly as a callback \
would; it also settles attempts an interrupted run left without a SID. Nobody is contacted. \
`retry` does the same before it selects.",
    after_help = "Example:\n  reminders reconcile && reminders status"
)]
pub struct Args {}

pub fn run(cfg: &Config, _args: &Args) -> Result<()> {
    let mut session = Session::open_reconcile(cfg)?;
    // With nothing to fetch, wrong credentials would go unnoticed until 19:00: the account is
    // asked for first, and a refusal fails the command.
    if let Err(e) = session.client.fetch_account() {
        let why = format!(
            "Twilio did not accept the account's credentials: {e} — check TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN (`reminders check` says more)"
        );
        session.finish(&crate::db::runs::Ending {
            tally: &Tally::default(),
            error: Some(&why),
            outcome: RunOutcome::Failed,
            left_for_next: 0,
            unresolved: 0,
            note: None,
        })?;
        anyhow::bail!(why);
    }
    let bar = crate::progress::bar(crate::progress::CHECKS, None);
    let result = session.settle(true, &|done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    });
    bar.finish_and_clear();
    let (tally, error) = match &result {
        Ok(s) => (
            Tally {
                selected: (s.adopted + s.undone + s.updated + s.unresolved) as i64,
                dispatched: 0,
                failed: s.unresolved as i64,
                skipped: 0,
            },
            None,
        ),
        Err(e) => (Tally::default(), Some(format!("{e:#}"))),
    };
    session.finish(&crate::db::runs::Ending {
        tally: &tally,
        error: error.as_deref(),
        outcome: if error.is_some() {
            RunOutcome::Failed
        } else {
            RunOutcome::Completed
        },
        left_for_next: 0,
        unresolved: tally.failed,
        note: None,
    })?;
    let s = result?;
    println!(
        "reconcile run #{}: {} outcome(s) fetched and applied, {} interrupted attempt(s) found at Twilio, {} undone (never reached Twilio), {} could not be checked.",
        session.run_id, s.updated, s.adopted, s.undone, s.unresolved
    );
    if s.unresolved > 0 {
        anyhow::bail!(
            "{} attempt(s) could not be checked with Twilio; run reconcile again later",
            s.unresolved
        );
    }
    Ok(())
}
