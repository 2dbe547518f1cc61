//! `reminders status`: where everything stands, as tables for people or JSON/CSV for scripts.
//! The arguments and the view each flag belongs to live here; the summary (the default view)
//! and `--check` in `summary.rs`, the list views in `views.rs`. Queries are in `db/views.rs`.

mod attention;
mod backfill;
mod summary;
mod views;
mod windows;

use anyhow::Result;
use chrono::NaiveDate;

use crate::config::Config;
use crate::db;
use crate::domain::channel::Channel;
use crate::domain::dates;
use crate::domain::slot_states::SlotState;
use crate::domain::state::{self, State};
use crate::exit::usage;
use crate::output::Format;

#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ViewName {
    /// The coming day: counts by state and channel, latest imports and runs, what needs attention.
    #[default]
    Summary,
    /// One line per appointment.
    Appointments,
    /// One line per attempt (call or SMS) with Twilio's outcome.
    Logs,
    /// One line per imported file.
    Imports,
    /// Rows the import rejected, with the reason.
    FailedRows,
    /// One line per send, retry or reconcile run.
    Runs,
    /// The numbers opted out now (their latest event is an opt-out): when, how, the words.
    OptOuts,
    /// One line per freed slot offered to the waitlist: its state, offers and taker.
    Backfill,
}

#[derive(clap::Args, Debug)]
#[command(
    about = "Show where reminders stand (tables; --json or --csv for scripts; --check for cron)",
    long_about = "Shows the coming appointment day by default: appointments by state and \
channel, the latest imports and runs, and what needs a person (patients not reached after the \
last attempt, cancellation requests, opt-outs, failed imports or rejected rows, runs that \
stopped with an error). Other views list appointments, attempts (logs), imports, rejected rows, \
runs, the numbers opted out and the freed slots offered to the waitlist (backfill). Times are shown in the clinic's time zone; phone numbers are masked unless \
--show-phone.\n\n--check prints only what needs attention and exits 1 when there is any, 0 \
(silently) when there is none: for cron mail and monitoring.",
    after_help = "Examples:\n  reminders status                               # the coming day at a glance\n  \
reminders status --date 2026-11-25\n  \
reminders status appointments --state failed\n  \
reminders status appointments --search P503 --show-phone\n  \
reminders status logs --date 2026-11-25 --channel call\n  \
reminders status failed-rows --import 3\n  \
reminders status runs --json\n  \
reminders status opt-outs --csv\n  \
reminders status backfill --date tomorrow --state taken\n  \
reminders status --check || echo 'something needs attention'"
)]
pub struct Args {
    /// What to show.
    #[arg(value_enum, default_value_t)]
    pub view: ViewName,

    /// JSON for scripts (shapes documented in docs/status.md).
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,

    /// CSV for spreadsheets and scripts (the table's columns).
    #[arg(long)]
    pub csv: bool,

    /// The clinic's local day: today, tomorrow, yesterday or YYYY-MM-DD (appointment day; for
    /// runs, the day they started). Summary default: the day of the next appointment.
    #[arg(long, value_name = "DAY")]
    pub date: Option<String>,

    /// Only this site's appointments (with [sites]).
    #[arg(long, value_name = "NAME")]
    pub site: Option<String>,

    /// Only appointments in this state (pending, in_flight, reached, confirmed,
    /// cancel_requested, retry_wait, failed, opted_out, expired, withdrawn); for backfill, slots
    /// in this state (open, taken, closed, expired).
    #[arg(long, value_name = "STATE")]
    pub state: Option<String>,

    /// Only this channel (sms, call, none); for logs, the attempt's channel.
    #[arg(long, value_name = "CHANNEL")]
    pub channel: Option<String>,

    /// Only this import.
    #[arg(long, value_name = "N")]
    pub import: Option<i64>,

    /// Only the appointment or patient with this id (exact match).
    #[arg(long, value_name = "ID")]
    pub search: Option<String>,

    /// At most N lines.
    #[arg(long, value_name = "N")]
    pub limit: Option<i64>,

    /// Show phone numbers in full (they are masked by default: they are health data).
    #[arg(long)]
    pub show_phone: bool,

    /// Print only what needs attention; exit 1 if anything does, 0 if nothing does.
    #[arg(long)]
    pub check: bool,
}

/// What a view accepts besides the format flags; anything else is a usage error rather than
/// silently ignored, so a script never reads an unfiltered list it thought was filtered.
fn allowed(view: ViewName) -> &'static [&'static str] {
    match view {
        ViewName::Summary => &["--date", "--check", "--site"],
        ViewName::Appointments | ViewName::Logs => &[
            "--date",
            "--state",
            "--channel",
            "--import",
            "--search",
            "--limit",
            "--site",
        ],
        ViewName::Imports => &["--import", "--limit"],
        ViewName::FailedRows => &["--import"],
        ViewName::Runs => &["--date", "--limit"],
        ViewName::OptOuts => &["--limit"],
        ViewName::Backfill => &["--date", "--site", "--state", "--limit"],
    }
}

const VIEWS: [ViewName; 8] = [
    ViewName::Summary,
    ViewName::Appointments,
    ViewName::Logs,
    ViewName::Imports,
    ViewName::FailedRows,
    ViewName::Runs,
    ViewName::OptOuts,
    ViewName::Backfill,
];

fn check_flags(args: &Args) -> Result<()> {
    let given = [
        ("--date", args.date.is_some()),
        ("--state", args.state.is_some()),
        ("--channel", args.channel.is_some()),
        ("--import", args.import.is_some()),
        ("--search", args.search.is_some()),
        ("--limit", args.limit.is_some()),
        ("--check", args.check),
        ("--site", args.site.is_some()),
    ];
    let ok = allowed(args.view);
    for (flag, set) in given {
        if set && !ok.contains(&flag) {
            // Say which view takes it: the likely intent.
            let takers: Vec<String> = VIEWS
                .iter()
                .filter(|v| allowed(**v).contains(&flag))
                .map(|v| format!("`status {}`", view_name(*v)))
                .collect();
            let example = VIEWS
                .iter()
                .find(|v| allowed(**v).contains(&flag) && **v != ViewName::Summary)
                .map(|v| format!(", e.g. reminders status {} {flag} …", view_name(*v)))
                .unwrap_or_default();
            let listed = match takers.split_last() {
                Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
                _ => takers.join(""),
            };
            return Err(usage(format!(
                "status {}: {flag} does not apply to this view; {listed} take{} it{example}",
                view_name(args.view),
                if takers.len() == 1 { "s" } else { "" },
            )));
        }
    }
    if let Some(s) = &args.state
        && args.view == ViewName::Backfill
    {
        if SlotState::parse(s).is_none() {
            let all: Vec<&str> = SlotState::ALL.iter().map(|s| s.as_str()).collect();
            return Err(usage(format!(
                "--state {s:?}: not a slot's state; one of {}",
                all.join(", ")
            )));
        }
    } else if let Some(s) = &args.state
        && State::parse(s).is_none()
    {
        let names: Vec<_> = state::ALL.iter().map(|s| s.as_str()).collect();
        return Err(usage(format!(
            "--state {s:?}: not a state; one of {}",
            names.join(", ")
        )));
    }
    if let Some(c) = &args.channel
        && Channel::parse(c).is_none()
    {
        return Err(usage(format!("--channel {c:?}: one of sms, call, none")));
    }
    Ok(())
}

fn view_name(v: ViewName) -> &'static str {
    match v {
        ViewName::Summary => "summary",
        ViewName::Appointments => "appointments",
        ViewName::Logs => "logs",
        ViewName::Imports => "imports",
        ViewName::FailedRows => "failed-rows",
        ViewName::Runs => "runs",
        ViewName::OptOuts => "opt-outs",
        ViewName::Backfill => "backfill",
    }
}

/// What `status` works in: the zone its days are read in, and the day `--date` named.
pub(super) struct Scope {
    pub tz: chrono_tz::Tz,
    pub date: Option<NaiveDate>,
    pub site: Option<String>,
}

fn scope(cfg: &Config, args: &Args) -> Result<Scope> {
    if let Some(site) = &args.site {
        crate::cmd::send::check_sites(cfg, std::slice::from_ref(site))?;
    }
    let tz = cfg.site(args.site.as_deref().unwrap_or("")).tz;
    let today = cfg.now().with_timezone(&tz).date_naive();
    let date = match &args.date {
        Some(word) => {
            Some(dates::parse_day(word, today).map_err(|why| usage(format!("--date {why}")))?)
        }
        None => None,
    };
    Ok(Scope {
        tz,
        date,
        site: args.site.clone(),
    })
}

/// No database, on a server where nothing can be sent either (just installed): the error says
/// what to configure too, so the first look at `status --check` names all that is left to do.
fn not_set_up(cfg: &Config, err: anyhow::Error) -> anyhow::Error {
    match cfg.credentials() {
        Err(missing) if !cfg.db.exists() => anyhow::anyhow!(
            "{err:#}\n  and nobody can be contacted yet: {missing:#}; set them in the \
             configuration file, then run `reminders check`"
        ),
        _ => err,
    }
}

pub fn run(cfg: &Config, args: &Args) -> Result<()> {
    check_flags(args)?;
    let scope = scope(cfg, args)?;
    let (conn, access) = db::open_to_read(&cfg.db).map_err(|e| not_set_up(cfg, e))?;
    // Runs that died are recorded as such by whoever looks next; a database this process may
    // not write is read as it is.
    if access == db::Access::ReadWrite {
        crate::dispatch::lock::close_dead_runs(
            &conn,
            &cfg.lock_path(),
            crate::clock::Stamp::from(cfg.now()),
        );
    } else {
        log::info!(
            "{} cannot be written by this process: shown as it is",
            cfg.db.display()
        );
    }
    let format = if args.json {
        Format::Json
    } else if args.csv {
        Format::Csv
    } else {
        Format::Table
    };
    let mut out = std::io::stdout().lock();
    match args.view {
        ViewName::Summary => summary::run(cfg, &conn, args, &scope, format, &mut out),
        ViewName::Appointments => views::appointments(cfg, &conn, args, &scope, format, &mut out),
        ViewName::Logs => views::logs(&conn, args, &scope, format, &mut out),
        ViewName::Imports => views::imports(&conn, args, &scope, format, &mut out),
        ViewName::FailedRows => views::failed_rows(&conn, args, format, &mut out),
        ViewName::Runs => views::runs(&conn, args, &scope, format, &mut out),
        ViewName::OptOuts => views::opt_outs(&conn, args, &scope, format, &mut out),
        ViewName::Backfill => backfill::run(cfg, &conn, args, &scope, format, &mut out),
    }
}
