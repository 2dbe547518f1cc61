//! `reminders demo`: the whole day against the built-in Twilio simulator.

use anyhow::Result;

#[derive(clap::Args, Debug)]
#[command(
    about = "Run a whole simulated day: 19:00 send, 19:45 retry, 09:00 final retry",
    long_about = "Imports the bundled sample CSV into a temporary workspace and runs the day \
against the built-in Twilio simulator and a real webhook listener on loopback, with a simulated \
clock: 19:00 import + send, 19:45 retry, 09:00 next-day final retry. Simulated patients answer, \
miss calls, reply by text and press keys; after each window the status tables are printed. \
Needs no credentials, reads none of your configuration and leaves nothing behind.",
    after_help = "Example:\n  reminders demo"
)]
pub struct Args {}

pub fn run(_args: &Args) -> Result<()> {
    crate::demo::run()
}
