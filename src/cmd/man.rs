//! `reminders man` (hidden): the manual page, reminders(1), in roff, made from the same clap
//! definitions as `--help`. The Debian package ships its output.

use anyhow::Result;
use std::io::Write;

use clap::CommandFactory;

#[derive(clap::Args, Debug)]
#[command(
    about = "Print the manual page reminders(1) in roff",
    after_help = "Example:\n  reminders man > reminders.1 && man ./reminders.1"
)]
pub struct Args {}

pub fn run(_args: &Args) -> Result<()> {
    let mut out = Vec::new();
    clap_mangen::Man::new(crate::cli::Cli::command()).render(&mut out)?;
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(&out)?;
    stdout.flush()?;
    Ok(())
}
