use clap::Parser;

use reminders::cli::{Cli, Command};
use reminders::config::{Config, Overrides};

fn main() {
    quiet_on_closed_pipe();
    // Past the file size limit (RLIMIT_FSIZE) the kernel's default is to kill the process with
    // SIGXFSZ, mid-write and without a word; ignored, the write fails with EFBIG instead and
    // the command reports it (and a run, how many patients it had contacted).
    // SAFETY: setting a signal's disposition to SIG_IGN at startup, before any thread exists.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
    let cli = Cli::parse();
    // The listener logs one line per request: info is its normal level.
    let server = matches!(cli.command, Command::ServeWebhook(_)) && !cli.quiet;
    init_logging(cli.verbose.saturating_add(u8::from(server)), cli.quiet);
    let code = match run(cli) {
        Ok(()) => 0,
        // `| head` closed the pipe: the reader has what it wanted.
        Err(err) if reminders::exit::is_broken_pipe(&err) => 0,
        Err(err) => {
            eprintln!("error: {err:#}");
            reminders::exit::code_for(&err)
        }
    };
    std::process::exit(code);
}

/// Output to a closed pipe (`reminders status | head`) ends quietly with exit 0, as ripgrep's
/// does. `println!` panics when stdout's reader has gone; that one panic is not a fault.
fn quiet_on_closed_pipe() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let text = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("");
        if text.contains("failed printing to stdout") && text.contains("Broken pipe") {
            std::process::exit(0);
        }
        default(info);
    }));
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
    // The demo runs on its own settings only, and the generated completions and man page come
    // from the flags alone: the user's configuration is not even read.
    match &cli.command {
        Command::Demo(args) => return reminders::cmd::demo::run(args),
        Command::Completions(args) => return reminders::cmd::completions::run(args),
        Command::Man(args) => return reminders::cmd::man::run(args),
        Command::Languages(args) if args.template => return reminders::cmd::languages::template(),
        _ => {}
    }
    // `check` reports a configuration that does not load as one of its failures.
    if let Command::Check(args) = &cli.command {
        return reminders::cmd::check::run(&overrides, args);
    }
    let cfg = Config::load(&overrides)?;
    reminders::access::warn_if_token_exposed(&cfg);
    // Before anything is created or opened: what another user makes in the data folder (a
    // lock file, the outbox, the WAL's files) the owner cannot open afterwards.
    if cli.command.needs_owner() {
        reminders::access::require_owner(&cfg.db)?;
    }
    let done = match &cli.command {
        Command::Run(args) => reminders::cmd::run::run(&cfg, args),
        Command::Import(args) => reminders::cmd::import::run(&cfg, args),
        Command::Send(args) => reminders::cmd::send::run(&cfg, args),
        Command::Retry(args) => reminders::cmd::retry::run(&cfg, args),
        Command::Backfill(args) => reminders::cmd::backfill::run(&cfg, args),
        Command::Status(args) => reminders::cmd::status::run(&cfg, args),
        Command::Reconcile(args) => reminders::cmd::reconcile::run(&cfg, args),
        Command::Withdraw(args) => reminders::cmd::withdraw::run(&cfg, args),
        Command::History(args) => reminders::cmd::history::run(&cfg, args),
        Command::OptOut(args) => reminders::cmd::opt_out::run(&cfg, args),
        Command::OptIn(args) => reminders::cmd::opt_in::run(&cfg, args),
        Command::Export(args) => reminders::cmd::export::run(&cfg, args),
        Command::Prune(args) => reminders::cmd::prune::run(&cfg, args),
        Command::Report(args) => reminders::cmd::report::run(&cfg, args),
        Command::ServeWebhook(args) => reminders::cmd::serve_webhook::run(&cfg, args),
        Command::Demo(args) => reminders::cmd::demo::run(args),
        Command::Check(args) => reminders::cmd::check::run(&overrides, args),
        Command::Languages(args) => reminders::cmd::languages::run(&cfg, args),
        Command::Completions(args) => reminders::cmd::completions::run(args),
        Command::Man(args) => reminders::cmd::man::run(args),
    };
    // A locked, read-only or full database: words that say what to do, before the detail.
    done.map_err(|err| {
        reminders::db::fault::explain(err, &cfg.db, || {
            reminders::dispatch::lock::holder(&cfg.lock_path())
        })
    })
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
