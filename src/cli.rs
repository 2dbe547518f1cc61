//! Every command and flag. Each subcommand's arguments live beside its code in `cmd/`.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

use crate::cmd;

#[derive(Parser, Debug)]
#[command(
    name = "reminders",
    version,
    about = "Appointment reminders by phone call and SMS through Twilio, driven by cron.",
    long_about = "Imports the clinic's daily appointment CSV, reaches every patient once by call or SMS \
through Twilio at 19:00, retries the unreached at 19:45 and 09:00, and records how each attempt went.\n\n\
Configuration: --config FILE, else $REMINDERS_CONFIG, else ./reminders.toml, else \
/etc/reminders/reminders.toml (the Debian package's); the environment overrides the file and \
flags override both (see docs/configuration.md).\n\n\
Exit codes: 0 done; 1 runtime failure; 2 bad usage or configuration; 3 another dispatching run \
holds the lock."
)]
pub struct Cli {
    /// Configuration file (TOML); default $REMINDERS_CONFIG, else ./reminders.toml if present,
    /// else /etc/reminders/reminders.toml if present.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// SQLite database file; overrides REMINDERS_DB and the config file's `db`.
    #[arg(long, global = true, value_name = "FILE")]
    pub db: Option<PathBuf>,

    /// More log output on stderr (-v info, -vv debug); RUST_LOG overrides.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,

    /// Only errors on stderr.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    Run(cmd::run::Args),
    Import(cmd::import::Args),
    Send(cmd::send::Args),
    Retry(cmd::retry::Args),
    Backfill(cmd::backfill::Args),
    Status(cmd::status::Args),
    Reconcile(cmd::reconcile::Args),
    Withdraw(cmd::withdraw::Args),
    History(cmd::history::Args),
    OptOut(cmd::opt_out::Args),
    OptIn(cmd::opt_in::Args),
    Export(cmd::export::Args),
    Prune(cmd::prune::Args),
    Report(cmd::report::Args),
    ServeWebhook(cmd::serve_webhook::Args),
    Check(cmd::check::Args),
    Languages(cmd::languages::Args),
    Demo(cmd::demo::Args),
    // Hidden: the Debian package's build makes its shell completions with it.
    #[command(hide = true)]
    Completions(cmd::completions::Args),
    // Hidden: the Debian package's build makes its man page with it.
    #[command(hide = true)]
    Man(cmd::man::Args),
}

impl Command {
    /// Whether the command may run only as the user who owns the database (`access`). The
    /// demo works in a folder of its own; every other command reads or writes the clinic's.
    pub fn needs_owner(&self) -> bool {
        match self {
            // `check` reports who owns what itself, as one of its findings.
            // `languages` reads the configuration and the packs only, never the database.
            Command::Demo(_)
            | Command::Check(_)
            | Command::Languages(_)
            | Command::Completions(_)
            | Command::Man(_) => false,
            Command::Run(_)
            | Command::Import(_)
            | Command::OptOut(_)
            | Command::OptIn(_)
            | Command::Send(_)
            | Command::Retry(_)
            | Command::Backfill(_)
            | Command::Status(_)
            | Command::History(_)
            | Command::Reconcile(_)
            | Command::Withdraw(_)
            | Command::Export(_)
            | Command::Prune(_)
            | Command::Report(_)
            | Command::ServeWebhook(_) => true,
        }
    }
}
