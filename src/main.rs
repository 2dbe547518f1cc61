mod cli;
mod clock;
mod cmd;
mod config;
mod csv_input;
mod db;
mod dispatch;
mod domain;
mod exit;
mod importer;
mod mask;
mod output;
mod track;
mod twilio;
mod webhook;

use clap::Parser;

use crate::cli::{Cli, Command};
use crate::config::{Config, Overrides};

fn main() {
    let cli = Cli::parse();
    // The listener logs one line per request: info is its normal level.
    let server = matches!(cli.command, Command::ServeWebhook(_)) && !cli.quiet;
    init_logging(cli.verbose.saturating_add(u8::from(server)), cli.quiet);
    let code = match run(cli) {
        Ok(()) => 0,
        Err(err) => {
            eprintln!("error: {err:#}");
            exit::code_for(&err)
        }
    };
    std::process::exit(code);
}

fn run(cli: Cli) -> anyhow::Result<()> {
    let overrides = Overrides {
        config: cli.config.clone(),
        db: cli.db.clone(),
        listen: match &cli.command {
            Command::ServeWebhook(args) => args.listen.clone(),
            _ => None,
        },
    };
    let cfg = Config::load(&overrides)?;
    match &cli.command {
        Command::Import(args) => cmd::import::run(&cfg, args),
        Command::Send(args) => cmd::send::run(&cfg, args),
        Command::Retry(args) => cmd::retry::run(&cfg, args),
        Command::Status(args) => cmd::status::run(&cfg, args),
        Command::Reconcile(args) => cmd::reconcile::run(&cfg, args),
        Command::ServeWebhook(args) => cmd::serve_webhook::run(&cfg, args),
    }
}

/// Warnings by default, so cron mails only what matters; `-v`/`-q` or `RUST_LOG` change it.
fn init_logging(verbose: u8, quiet: bool) {
    let level = match (quiet, verbose) {
        (true, _) => "error",
        (false, 0) => "warn",
        (false, 1) => "info",
        _ => "debug",
    };
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or(level))
        .format_target(false)
        .init();
}
