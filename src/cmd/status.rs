//! `reminders status`: where everything stands, as tables for people or JSON/CSV for scripts.
//! The summary (the default view) and `--check` live in `status/summary.rs`; the list views
//! live here. Queries are in `db/views.rs`.

mod summary;

use anyhow::Result;
use chrono::NaiveDate;

use crate::clock::{db_time, local_display};
use crate::config::Config;
use crate::db::{self, views};
use crate::domain::attention;
use crate::domain::channel::Channel;
use crate::domain::state::{self, State};
use crate::exit::usage;
use crate::mask;
use crate::output::{self, Format, View};

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
}

#[derive(clap::Args, Debug)]
#[command(
    about = "Show where reminders stand (tables; --json or --csv for scripts; --check for cron)",
    long_about = "Shows the coming appointment day by default: appointments by state and \
channel, the latest imports and runs, and what needs a person (patients not reached after the \
last attempt, cancellation requests, opt-outs, failed imports or rejected rows, runs that \
stopped with an error). Other views list appointments, attempts (logs), imports, rejected rows \
and runs. Times are shown in the clinic's time zone; phone numbers are masked unless \
--show-phone.\n\n--check prints only what needs attention and exits 1 when there is any, 0 \
(silently) when there is none: for cron mail and monitoring.",
    after_help = "Examples:\n  reminders status                               # the coming day at a glance\n  \
reminders status --date 2026-11-25\n  \
reminders status appointments --state failed\n  \
reminders status appointments --search P503 --show-phone\n  \
reminders status logs --date 2026-11-25 --channel call\n  \
reminders status failed-rows --import 3\n  \
reminders status runs --json\n  \
reminders status --check || echo 'something needs attention'"
)]
pub struct Args {
    /// What to show.
    #[arg(value_enum, default_value_t)]
    pub view: ViewName,

    /// JSON for scripts (shapes documented in README.md).
    #[arg(long, conflicts_with = "csv")]
    pub json: bool,

    /// CSV for spreadsheets and scripts (the table's columns).
    #[arg(long)]
    pub csv: bool,

    /// The clinic's local day (appointment day; for runs, the day they started).
    /// Summary default: the day of the next appointment.
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub date: Option<NaiveDate>,

    /// Only appointments in this state (pending, in_flight, reached, confirmed,
    /// cancel_requested, retry_wait, failed, opted_out, expired).
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
        ViewName::Summary => &["--date", "--check"],
        ViewName::Appointments | ViewName::Logs => &[
            "--date",
            "--state",
            "--channel",
            "--import",
            "--search",
            "--limit",
        ],
        ViewName::Imports => &["--import", "--limit"],
        ViewName::FailedRows => &["--import"],
        ViewName::Runs => &["--date", "--limit"],
    }
}

fn check_flags(args: &Args) -> Result<()> {
    let given = [
        ("--date", args.date.is_some()),
        ("--state", args.state.is_some()),
        ("--channel", args.channel.is_some()),
        ("--import", args.import.is_some()),
        ("--search", args.search.is_some()),
        ("--limit", args.limit.is_some()),
        ("--check", args.check),
    ];
    let ok = allowed(args.view);
    for (flag, set) in given {
        if set && !ok.contains(&flag) {
            return Err(usage(format!(
                "status {}: {flag} does not apply here (it takes {})",
                view_name(args.view),
                ok.join(", ")
            )));
        }
    }
    if let Some(s) = &args.state
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
    }
}

pub fn run(cfg: &Config, args: &Args) -> Result<()> {
    check_flags(args)?;
    let (conn, access) = db::open_to_read(&cfg.db)?;
    // Runs that died are recorded as such by whoever looks next; a database this process may
    // not write is read as it is.
    if access == db::Access::ReadWrite {
        crate::dispatch::lock::close_dead_runs(&conn, &cfg.lock_path(), &db_time(cfg.now()));
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
    let tz = cfg.timezone;
    let show = |p: &str| {
        if args.show_phone {
            p.to_string()
        } else {
            mask::phone(p)
        }
    };
    let local = |t: &Option<String>| {
        t.as_deref()
            .map(|t| local_display(t, tz))
            .unwrap_or_default()
    };
    match args.view {
        ViewName::Summary => summary::run(cfg, &conn, args, format, &mut out),
        ViewName::Appointments => {
            let mut records = views::appointments(&conn, &filter(cfg, args))?;
            for r in &mut records {
                r.phone_number = show(&r.phone_number);
            }
            let rows = records
                .iter()
                .map(|a| {
                    vec![
                        a.appointment_id.clone(),
                        a.patient_id.clone(),
                        a.phone_number.clone(),
                        local_display(&a.appt_date_time, tz),
                        a.language.clone(),
                        a.channel.clone(),
                        a.state.clone(),
                        a.attempt_count.to_string(),
                        local(&a.last_attempt_at),
                        local(&a.success_at),
                        a.import_id.to_string(),
                    ]
                })
                .collect();
            output::write(
                &mut out,
                format,
                &View {
                    title: "Appointments",
                    header: &[
                        "appointment",
                        "patient",
                        "phone",
                        "time",
                        "lang",
                        "channel",
                        "state",
                        "attempts",
                        "last attempt",
                        "reached",
                        "import",
                    ],
                    rows,
                    records: &records,
                },
            )
        }
        ViewName::Logs => {
            let mut records = views::logs(&conn, &filter(cfg, args))?;
            for r in &mut records {
                r.to = show(&r.to);
            }
            let rows = records
                .iter()
                .map(|l| {
                    let error = match (&l.error_code, &l.error_message) {
                        (Some(c), Some(m)) => format!("{c}: {m}"),
                        (Some(c), None) => c.to_string(),
                        (None, Some(m)) => m.clone(),
                        (None, None) => String::new(),
                    };
                    vec![
                        local_display(&l.created_at, tz),
                        l.appointment_id.clone(),
                        l.patient_id.clone(),
                        l.attempt.to_string(),
                        l.channel.clone(),
                        l.to.clone(),
                        l.status.clone(),
                        output::opt(&l.duration),
                        output::opt(&l.answered_by),
                        error,
                        output::opt(&l.sid),
                    ]
                })
                .collect();
            output::write(
                &mut out,
                format,
                &View {
                    title: "Attempts",
                    header: &[
                        "at",
                        "appointment",
                        "patient",
                        "attempt",
                        "channel",
                        "to",
                        "status",
                        "duration",
                        "answered by",
                        "error",
                        "sid",
                    ],
                    rows,
                    records: &records,
                },
            )
        }
        ViewName::Imports => {
            let records = db::imports::list(&conn, args.limit, args.import)?;
            output::write(
                &mut out,
                format,
                &summary::imports_view(&records, tz, "Imports"),
            )
        }
        ViewName::FailedRows => {
            let mut records = db::imports::failed_rows(&conn, args.import)?;
            if !args.show_phone {
                for r in &mut records {
                    mask_phone_fields(&mut r.data);
                }
            }
            let rows = records
                .iter()
                .map(|r| {
                    vec![
                        r.import_id.to_string(),
                        r.file_name.clone(),
                        r.row_number.to_string(),
                        r.validation_error.clone(),
                        r.data.to_string(),
                    ]
                })
                .collect();
            output::write(
                &mut out,
                format,
                &View {
                    title: "Rejected rows",
                    header: &["import", "file", "row", "reason", "data"],
                    rows,
                    records: &records,
                },
            )
        }
        ViewName::Runs => {
            let bounds = args.date.map(|d| attention::day_bounds(d, tz));
            let (from, to) = match bounds {
                Some((a, b)) => (Some(db_time(a)), Some(db_time(b))),
                None => (None, None),
            };
            let records = views::runs(&conn, from.as_deref(), to.as_deref(), args.limit)?;
            output::write(&mut out, format, &summary::runs_view(&records, tz, "Runs"))
        }
    }
}

/// The appointment filter the flags describe; `--date` becomes the local day's UTC bounds.
fn filter(cfg: &Config, args: &Args) -> views::Filter {
    let (from, to) = match args.date {
        Some(d) => {
            let (a, b) = attention::day_bounds(d, cfg.timezone);
            (Some(db_time(a)), Some(db_time(b)))
        }
        None => (None, None),
    };
    views::Filter {
        from,
        to,
        state: args.state.clone(),
        channel: args.channel.clone(),
        import: args.import,
        search: args.search.as_ref().map(|s| s.trim().to_string()),
        limit: args.limit,
    }
}

/// Masks every value of a stored CSV row that looks like a phone number, whatever its column:
/// columns shift in damaged exports, so the number may sit under any header.
fn mask_phone_fields(data: &mut serde_json::Value) {
    if let Some(map) = data.as_object_mut() {
        for value in map.values_mut() {
            if let Some(s) = value.as_str() {
                *value = serde_json::Value::String(mask::phones_in(s));
            }
        }
    }
}
