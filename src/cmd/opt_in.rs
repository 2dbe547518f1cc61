//! `reminders opt-in`: a number that opted out gets reminders again — the same path as a START
//! reply (`news::opt_in`), with "by hand" as its source.

use anyhow::Result;

use super::opt_out::{BY_HAND, number};
use crate::clock::Stamp;
use crate::config::Config;
use crate::db;
use crate::mask;
use crate::news;

#[derive(clap::Args, Debug)]
#[command(
    about = "Give a phone number reminders again by hand (as if the patient had replied START)",
    long_about = "Lifts this number's opt-out, with \"by hand\" as the source, exactly as a \
START reply does: its upcoming appointments stopped by the opt-out resume where they stopped, \
and the next run contacts them. The history keeps both events. The number is read as \
`reminders opt-out` reads it.",
    after_help = "Example:\n  reminders opt-in 416-555-0101"
)]
pub struct Args {
    /// The phone number, as the clinic writes it or in E.164 (+14165550101).
    pub number: String,
}

pub fn run(cfg: &Config, args: &Args) -> Result<()> {
    let phone = number(cfg, &args.number)?;
    let mut conn = db::open(&cfg.db)?;
    let tx = db::begin(&mut conn)?;
    let done = news::opt_in(
        &tx,
        &cfg.news_rules(),
        &phone,
        BY_HAND,
        None,
        Stamp::from(cfg.now()),
    )?;
    tx.commit()?;
    let who = mask::phone(&phone);
    if done.lifted {
        println!(
            "opted in: {who} (by hand); {} upcoming appointment(s) will be reminded again",
            done.resumed
        );
    } else {
        println!("opted in: {who} (by hand); it was not opted out, so nothing else changed");
    }
    Ok(())
}
