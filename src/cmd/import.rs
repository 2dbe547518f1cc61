//! `reminders import`: the clinic's export files into the store.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::config::Config;
use crate::domain::attention::not_a_csv;
use crate::import::{self, Attempt, Options, Origin, Outcome};
use crate::{db, output};

#[derive(clap::Args, Debug)]
#[command(
    about = "Import appointment exports and waitlists (default: every *.csv in the drop folder)",
    long_about = "Reads each file as the clinic's system wrote it (columns mapped by [csv.columns], \
comma, semicolon or tab, UTF-8, UTF-16 or Windows-1252, title lines above the header), checks \
every row, stores new appointments, counts duplicates (same appointment id, patient id and \
time, in this file or any earlier one), withdraws appointments a row moved or cancelled, and \
keeps rejected rows with their reason. Then it moves the file into the archive folder (a file \
named from outside the drop folder is copied and left where it is). A file already imported \
(same SHA-256) is recognised and not imported again. Each file is imported whole or not at \
all; a file still being written is left for the next run. A file whose name matches [waitlist] \
files is the clinic's waitlist: read the same way, its entries replace the list of each site it \
holds (docs/waitlist.md).",
    after_help = "Examples:\n  reminders import                      # every *.csv in ./csv, oldest name first\n  \
reminders import --dry-run exports/day.csv   # what an import would do; changes nothing\n  \
reminders import exports/2026-11-24.csv\n  \
reminders import --force csv/day.csv  # again, after fixing the configuration\n  \
reminders import --now                # import, then send right away\n\n\
Rejected rows: reminders status failed-rows --import N"
)]
pub struct Args {
    /// Files to import; default: every *.csv (or *.CSV) and waitlist file in the drop folder,
    /// oldest name first; other files there are named in a warning, not imported.
    pub files: Vec<PathBuf>,

    /// Run `send` right after importing (the manual "upload and go"), even when there was no
    /// new file: what earlier imports stored is sent too. Not after a file that failed.
    #[arg(long, conflicts_with = "dry_run")]
    pub now: bool,

    /// Read, check and report exactly as an import would; store, archive and record nothing.
    #[arg(long)]
    pub dry_run: bool,

    /// Import FILE even though the same content was imported before (after a config fix).
    #[arg(long, requires = "files")]
    pub force: bool,

    /// With --now: send only to this site's appointments (repeatable).
    #[arg(long = "site", value_name = "NAME", requires = "now")]
    pub sites: Vec<String>,
}

pub fn run(cfg: &Config, args: &Args) -> Result<()> {
    let from_drop_folder = args.files.is_empty();
    let files: Vec<(PathBuf, bool)> = if from_drop_folder {
        if !cfg.csv_dir.is_dir() {
            anyhow::bail!(
                "the drop folder {} does not exist (csv_dir / REMINDERS_CSV_DIR): is this the right working directory?",
                cfg.csv_dir.display()
            );
        }
        let found =
            import::drop_folder_files(&cfg.csv_dir, &|name| cfg.waitlist.is_waitlist_file(name))?;
        for (path, why) in found.skipped {
            log::warn!("{} {why}", path.display());
        }
        for path in &found.not_csv {
            log::warn!("{}", not_a_csv(&path.display().to_string()));
        }
        found.files.into_iter().map(|f| (f, true)).collect()
    } else {
        args.files
            .iter()
            .map(|f| (f.clone(), inside(f, &cfg.csv_dir)))
            .collect()
    };
    if files.is_empty() {
        log::warn!(
            "no CSV file to import in {}: has the export arrived? (`reminders status --check` reports it)",
            cfg.csv_dir.display()
        );
        // What earlier imports stored (a file imported by hand this afternoon) is still due.
        return send_after(cfg, args, Vec::new());
    }
    let mut conn = open_db(cfg, args.dry_run)?;
    let user = operator();
    // Rows per second on a terminal, for files big enough to keep someone waiting.
    let bar = std::sync::Mutex::new(None::<indicatif::ProgressBar>);
    let progress = |rows: u64, lines: u64| {
        if lines < 50_000 {
            return;
        }
        let mut bar = bar.lock().unwrap_or_else(|p| p.into_inner());
        bar.get_or_insert_with(|| crate::progress::bar(crate::progress::ROWS, None))
            .set_position(rows);
    };
    let opts = Options {
        dry_run: args.dry_run,
        force: args.force,
        progress: Some(&progress),
    };
    let mut outcomes = Vec::new();
    let mut problems = Vec::new();
    // A locked, read-only or full database stops the import of every file alike: the error
    // keeps its type so the words for it can be found (`db::fault`).
    let mut database_fault = None;
    for (path, in_drop_folder) in &files {
        let origin = Origin {
            listed: from_drop_folder,
            in_drop_folder: *in_drop_folder,
        };
        match import::import_file(&mut conn, cfg, path, origin, &user, opts) {
            Ok(Attempt::Done(outcome)) => outcomes.push(*outcome),
            Ok(Attempt::NotNow(why)) => {
                log::warn!("{} {}", path.display(), why.0);
                if !from_drop_folder {
                    problems.push(format!("{} {}", path.display(), why.0));
                }
            }
            Err(e) if db::fault::classify(&e, &cfg.db).is_some() => {
                database_fault = Some(e.context(format!("importing {}", path.display())));
                break;
            }
            Err(e) => problems.push(format!(
                "{:#}",
                e.context(format!("importing {}", path.display()))
            )),
        }
    }
    if let Some(b) = bar.lock().unwrap_or_else(|p| p.into_inner()).take() {
        b.finish_and_clear();
    }
    if args.dry_run {
        println!("Dry run: nothing was stored, archived or recorded.");
    }
    print_summary(&outcomes);
    // A file whose rows are stored but that stayed in the drop folder: the import did its work,
    // so a send may follow it; the command still fails afterwards, saying so.
    let mut unarchived = Vec::new();
    for o in &outcomes {
        if o.status == crate::db::imports::ImportStatus::Failed {
            problems.push(format!(
                "{} could not be imported: {}",
                o.file_name,
                o.note.as_deref().unwrap_or("no reason recorded")
            ));
        }
        if let Some(why) = &o.archive_error {
            unarchived.push(format!(
                "{} was imported (import #{}) but could not be archived: {why}; it stays where it is, and the next run archives it without importing it twice",
                o.file_name,
                o.import_id.unwrap_or_default()
            ));
        }
    }
    if let Some(e) = database_fault {
        for p in problems.iter().chain(&unarchived) {
            log::error!("{p}");
        }
        return Err(e);
    }
    // A file that could not be imported stops `--now` before the send: it may hold the
    // evening's cancellations and moves, and a send without them would remind those patients.
    if !problems.is_empty() {
        problems.extend(unarchived);
        anyhow::bail!("{}", problems.join("\n"));
    }
    send_after(cfg, args, unarchived)
}

/// With `--now`, the send, whatever the import found (no file, only duplicates): the
/// appointments already stored are due all the same. Then `problems`, the import's own that
/// did not stop the send, fail the command.
fn send_after(cfg: &Config, args: &Args, problems: Vec<String>) -> Result<()> {
    let sent = if args.now {
        crate::cmd::send::run_after_import(cfg, &args.sites).context("sending after the import")
    } else {
        Ok(())
    };
    match (sent, problems.is_empty()) {
        (Ok(()), true) => Ok(()),
        (Ok(()), false) => anyhow::bail!("{}", problems.join("\n")),
        (Err(e), _) => {
            for p in &problems {
                log::error!("{p}");
            }
            Err(e)
        }
    }
}

/// The store, or for a dry run with no database yet an empty one in memory: a dry run creates
/// nothing, and reads a database it may not write. A real import first records runs that died
/// (the next command that opens the database does: docs/behaviour.md, "Recovery").
fn open_db(cfg: &Config, dry_run: bool) -> Result<rusqlite::Connection> {
    if dry_run {
        if !cfg.db.exists() {
            return db::open_in_memory();
        }
        return Ok(db::open_to_read(&cfg.db)?.0);
    }
    let conn = db::open(&cfg.db)?;
    // A file is archived (moved out of the drop folder) right after its rows commit: the
    // commit must be on the disk first, or a power cut could lose the rows of a file that is
    // no longer where the next import looks.
    db::make_durable(&conn)?;
    crate::dispatch::lock::close_dead_runs(
        &conn,
        &cfg.lock_path(),
        crate::clock::Stamp::from(cfg.now()),
    );
    Ok(conn)
}

/// Whether `file` sits in the drop folder (then it is moved to the archive, else copied).
fn inside(file: &Path, drop_folder: &Path) -> bool {
    let parent = file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    match (parent.canonicalize(), drop_folder.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

fn print_summary(outcomes: &[Outcome]) {
    let header = [
        "file",
        "import",
        "status",
        "rows",
        "stored",
        "duplicates",
        "failed",
        "withdrawn",
    ];
    let rows: Vec<Vec<String>> = outcomes
        .iter()
        .map(|o| {
            vec![
                o.file_name.clone(),
                o.import_id
                    .map(|i| format!("#{i}"))
                    .unwrap_or_else(|| "-".into()),
                o.status.as_str().to_string(),
                o.counts.total.to_string(),
                o.counts.successful.to_string(),
                o.counts.duplicates.to_string(),
                o.counts.failed.to_string(),
                o.counts.withdrawn.to_string(),
            ]
        })
        .collect();
    if !rows.is_empty() {
        println!("{}", output::table(&header, &rows));
    }
    for o in outcomes {
        let name = &o.file_name;
        if let Some(note) = &o.note {
            println!("{name}: {note}");
        }
        if o.status != crate::db::imports::ImportStatus::Completed {
            continue;
        }
        let s = &o.summary;
        if o.kind == crate::db::imports::ImportKind::Waitlist {
            print_waitlist(o);
            continue;
        }
        let days: Vec<String> = s
            .per_day
            .iter()
            .map(|d| {
                if d.site.is_empty() {
                    format!("{}: {}", d.date, d.count)
                } else {
                    format!("{} {}: {}", d.site, d.date, d.count)
                }
            })
            .collect();
        println!(
            "{name}: stored by date: {}",
            if days.is_empty() {
                "none".to_string()
            } else {
                days.join(", ")
            }
        );
        print_reading(o);
        for (language, done, n) in &s.text_only_languages {
            let instead = match done.as_str() {
                "texted" => format!("{n} call(s) sent as texts instead"),
                called => format!("{n} number(s) that take no texts {called} instead"),
            };
            println!("{name}: {language} is text-only (no say_language in its pack): {instead}");
        }
        if s.moved > 0 {
            println!(
                "{name}: {} appointment(s) moved to a new time: the earlier time withdrawn",
                s.moved
            );
        }
        if o.counts.no_show > 0 {
            println!(
                "{name}: {} row(s) said the patient did not come: {} past appointment(s) marked no_show",
                o.counts.no_show, s.marked_no_show
            );
        }
        if s.slots_booked > 0 {
            println!(
                "{name}: {} waitlist slot(s) now booked: the export lists their taker at the slot's time",
                s.slots_booked
            );
        }
        if s.not_in_export > 0 {
            println!(
                "{name}: {} appointment(s) no longer in the export withdrawn (snapshot)",
                s.not_in_export
            );
        }
        print_rejected_and_archive(o);
    }
}

/// What a waitlist file came to: the entries of each site it replaced, then what every
/// import says.
fn print_waitlist(o: &Outcome) {
    let name = &o.file_name;
    let s = &o.summary;
    let sites: Vec<String> = s
        .waitlist
        .iter()
        .map(|(site, n)| {
            if site.is_empty() {
                format!("{n}")
            } else {
                format!("{site}: {n}")
            }
        })
        .collect();
    let sites = if sites.is_empty() {
        "none (no valid row: every list is as it was)".to_string()
    } else {
        sites.join(", ")
    };
    println!("{name}: waitlist, entries (each site's whole list now): {sites}");
    if o.counts.duplicates > 0 {
        println!(
            "{name}: {} row(s) repeat a patient and number listed above them: counted as duplicates",
            o.counts.duplicates
        );
    }
    print_reading(o);
    print_rejected_and_archive(o);
}

/// How a file was read, whatever it held: encoding, delimiter and slash-date order, the
/// columns it lacks, the language values no pack names.
fn print_reading(o: &Outcome) {
    let (name, s) = (&o.file_name, &o.summary);
    println!(
        "{name}: {} {}-separated; slash dates read {}",
        s.encoding, s.delimiter, s.dates
    );
    for absent in &s.absent_columns {
        println!("{name}: {absent}");
    }
    if !s.languages_not_recognised.is_empty() {
        let seen: Vec<String> = s
            .languages_not_recognised
            .iter()
            .map(|(v, n)| format!("'{v}' ×{n}"))
            .collect();
        println!(
            "{name}: language not recognised, {} used: {}",
            s.default_language,
            seen.join(", ")
        );
    }
}

fn print_rejected_and_archive(o: &Outcome) {
    let name = &o.file_name;
    for (row, reason) in &o.failures {
        println!("{name} row {row}: {reason}");
    }
    if o.counts.failed as usize > o.failures.len() {
        let more = o.counts.failed as usize - o.failures.len();
        match o.import_id {
            Some(id) => println!(
                "{name}: {more} more rejected row(s): reminders status failed-rows --import {id}"
            ),
            None => println!("{name}: {more} more rejected row(s)"),
        }
    }
    if let Some(to) = &o.archived_to {
        println!("{name}: archived as {}", to.display());
    }
}

/// The operating-system account running the import (the old web app's `user_id`).
fn operator() -> String {
    whoami::username()
        .ok()
        .or_else(|| std::env::var("USER").ok())
        .unwrap_or_else(|| "unknown".to_string())
}
