use clap::Parser;

use reminders::cli::{Cli, Command};
use reminders::config::{Config, Overrides};

fn main() {
    let cli = Cli::parse();
    // The listener logs one line per request: info is its normal level.
    let server = matches!(cli.command, Command::ServeWebhook(_)) && !cli.quiet;
    init_logging(cli.verbose.saturating_add(u8::from(server)), cli.quiet);
    let code = match run(cli) {
        Ok(()) => 0,
        Err(err) => {
            eprintln!("error: {err:#}");
            reminders::exit::code_for(&err)
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
    // The demo runs on its own settings only: the user's configuration is not even read.
    if let Command::Demo(args) = &cli.command {
        return reminders::cmd::demo::run(args);
    }
    let cfg = Config::load(&overrides)?;
    match &cli.command {
        Command::Import(args) => reminders::cmd::import::run(&cfg, args),
        Command::Send(args) => reminders::cmd::send::run(&cfg, args),
        Command::Retry(args) => reminders::cmd::retry::run(&cfg, args),
        Command::Status(args) => reminders::cmd::status::run(&cfg, args),
        Command::Reconcile(args) => reminders::cmd::reconcile::run(&cfg, args),
        Command::Withdraw(args) => reminders::cmd::withdraw::run(&cfg, args),
        Command::Report(args) => reminders::cmd::report::run(&cfg, args),
        Command::ServeWebhook(args) => reminders::cmd::serve_webhook::run(&cfg, args),
        Command::Demo(args) => reminders::cmd::demo::run(args),
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
