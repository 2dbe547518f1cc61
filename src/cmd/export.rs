//! `reminders export`: the results file of one appointment day (docs/operations.md), for the
//! clinic's system. Runs write these files themselves; this writes one again, on demand.

use std::path::PathBuf;

use anyhow::Result;

use crate::config::Config;
use crate::db::{self, views};
use crate::domain::dates;
use crate::exit::usage;
use crate::outbox;

#[derive(clap::Args, Debug)]
#[command(
    about = "Write the results file of an appointment day for the clinic's system",
    long_about = "Writes one CSV row per appointment of the day — its state, channel, touches, \
attempts, when the patient was reached, confirmed or asked to cancel, their last text and, when \
they were not reached, why in words — to outbox_dir/results-YYYY-MM-DD.csv (with --site, \
results-SITE-YYYY-MM-DD.csv), mode 0600, replacing the old file at once. When slots of that \
day were freed and offered to the waitlist, outbox_dir/backfill-YYYY-MM-DD.csv (with --site, \
backfill-SITE-YYYY-MM-DD.csv) lists them too, with who took each. send, retry and \
import --now write these files themselves after each run; export writes one on demand. Cells \
that a spreadsheet would run as a formula get a leading '. A file is only ever written in place \
of a regular file: a symbolic link, named pipe, device or folder at its path is refused \
(`--out -` writes to standard output). The database must exist: export never creates one.",
    after_help = "Examples:\n  reminders export                       # the coming day, as `status` shows it\n  \
reminders export --date tomorrow\n  \
reminders export --date 2026-11-25 --site bloor\n  \
reminders export --date today --out /srv/emr/inbox/reminders.csv\n  \
reminders export --out - | head        # to standard output"
)]
pub struct Args {
    /// The appointment day: today, tomorrow, yesterday or YYYY-MM-DD. Default: the coming day
    /// (the day of the next appointment, as `reminders status` shows it).
    #[arg(long, value_name = "DAY")]
    pub date: Option<String>,

    /// Write this file instead of the outbox's: a new file or a regular file to replace (`-`:
    /// standard output).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,

    /// Only this site's appointments.
    #[arg(long, value_name = "NAME")]
    pub site: Option<String>,
}

pub fn run(cfg: &Config, args: &Args) -> Result<()> {
    if let Some(s) = &args.site {
        crate::cmd::send::check_sites(cfg, std::slice::from_ref(s))?;
    }
    let scope = args.site.as_deref();
    let now = cfg.now();
    let today = outbox::today(cfg, scope, now);
    let named = match &args.date {
        Some(word) => {
            Some(dates::parse_day(word, today).map_err(|why| usage(format!("--date: {why}")))?)
        }
        None => None,
    };
    let (conn, _) = db::open_to_read(&cfg.db)?;
    let day = match named {
        Some(d) => d,
        // The day `status` is about: the day of the next appointment, so the evening before a
        // clinic day and that day's morning both name the day whose reminders are under way.
        None => {
            let tz = cfg.site(scope.unwrap_or("")).tz;
            let next = views::next_appointment_at(&conn, crate::clock::Stamp::from(now))?;
            crate::domain::dates::coming_day(next.map(|at| at.instant()), now, tz)
        }
    };
    let of = match scope {
        Some(s) => format!("{day} at {s}"),
        None => day.to_string(),
    };
    match args.out.as_deref() {
        Some(p) if p.as_os_str() == "-" => {
            // Buffered: standard output flushes at every line otherwise (a write per row).
            let mut out = std::io::BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
            let written =
                match outbox::write_day_rows(cfg, &conn, scope, day, &mut out).and_then(|n| {
                    std::io::Write::flush(&mut out)?;
                    Ok(n)
                }) {
                    // `| head` closed the pipe: the reader has what it wanted.
                    Err(e) if is_broken_pipe(&e) => return Ok(()),
                    written => written?,
                };
            eprintln!("{written} appointment(s) of {of}");
        }
        out => {
            let path = match out {
                Some(p) => p.to_path_buf(),
                None => {
                    outbox::ensure_dir(&cfg.outbox_dir)?;
                    outbox::path(cfg, scope, day)
                }
            };
            let mut written = 0;
            crate::files::replace(&path, |out| {
                written = outbox::write_day_rows(cfg, &conn, scope, day, out)?;
                Ok(())
            })?;
            println!("wrote {}: {written} appointment(s) of {of}", path.display());
            // The day's freed slots, for the front desk to book their takers.
            if let Some((path, n)) = crate::backfill_file::write_day(cfg, &conn, scope, day)? {
                println!("wrote {}: {n} freed slot(s) of {of}", path.display());
            }
        }
    }
    Ok(())
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            || c.downcast_ref::<csv::Error>().is_some_and(|csv| {
                matches!(csv.kind(), csv::ErrorKind::Io(io) if io.kind() == std::io::ErrorKind::BrokenPipe)
            })
    })
}
