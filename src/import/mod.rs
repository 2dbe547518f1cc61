//! One export file into the store:
//!
//! 1. `source` opens it safely (regular files only; a file still being written is left for
//!    later) and `survey` reads it once for its checksum and encoding;
//! 2. `layout` finds its delimiter, header and columns, and the order its slash dates read in;
//! 3. `check` reads the rows on one thread while `store` writes them on another, all in one
//!    transaction (killed half-way, nothing of it remains and a rerun imports it whole);
//!    a file that changed meanwhile is abandoned before it commits;
//! 4. `archive` moves (or, for a file named from elsewhere, copies) it into the archive folder.

mod archive;
mod check;
mod decode;
mod layout;
mod pipeline;
mod records;
mod site_days;
mod source;
mod store;
mod survey;
mod waitlist;

use std::io::BufRead;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use rusqlite::Connection;

use crate::access::Permission;
use serde::Serialize;

use crate::clock::Stamp;
use crate::config::Config;
use crate::db::{self, appointments, imports};
use crate::domain::row::RowContext;
use imports::{Counts, ImportKind, ImportStatus};
use records::Records;
pub use source::NotNow;
use source::Source;

#[derive(Clone, Copy, Default)]
pub struct Options<'a> {
    /// Read, check and report everything; store, archive and record nothing.
    pub dry_run: bool,
    /// Import a file whose content was imported before.
    pub force: bool,
    /// Told of the rows stored so far and the file's lines (for a progress display).
    pub progress: Option<&'a (dyn Fn(u64, u64) + Sync)>,
}

/// What the summary says about a file beyond its counts (also stored with the import).
#[derive(Clone, Debug, Default, Serialize)]
pub struct Summary {
    pub encoding: String,
    pub delimiter: String,
    /// The order slash dates were read in, and why.
    pub dates: String,
    /// Stored appointments per local date (and site, when there are sites).
    pub per_day: Vec<DayCount>,
    /// Language values read as the default language because they named no pack.
    pub languages_not_recognised: Vec<(String, u64)>,
    /// The default language's name, as the summary says it ("English used").
    pub default_language: String,
    /// Rows in a text-only language that asked for a call: the language, what was done
    /// instead ("texted", "called in en"), how often.
    pub text_only_languages: Vec<(String, String, u64)>,
    /// Appointments a row of this file moved (the earlier time withdrawn).
    pub moved: u64,
    /// Appointments a snapshot file withdrew because it no longer lists them.
    pub not_in_export: u64,
    /// Past appointments a row said the patient did not come to.
    pub marked_no_show: u64,
    /// Columns of a mapped list the file does not have (the others were read).
    pub absent_columns: Vec<String>,
    /// Taken waitlist slots this export lists the taker at: booked.
    pub slots_booked: u64,
    /// A waitlist file: the entries it stored for each site it holds (each site's whole list).
    pub waitlist: Vec<(String, u64)>,
}

#[derive(Clone, Debug, Serialize)]
pub struct DayCount {
    pub site: String,
    pub date: chrono::NaiveDate,
    pub count: u64,
}

#[derive(Clone, Debug)]
pub struct Outcome {
    /// `None` for a dry run: nothing was recorded.
    pub import_id: Option<i64>,
    /// An export of appointments, or a waitlist.
    pub kind: ImportKind,
    pub file_name: String,
    pub status: ImportStatus,
    pub counts: Counts,
    pub archived_to: Option<PathBuf>,
    /// Why the file was skipped or failed.
    pub note: Option<String>,
    /// The first rejected rows' reasons, for the operator's screen.
    pub failures: Vec<(u64, String)>,
    pub summary: Summary,
    /// The rows are stored but the file could not be archived; it stays where it is.
    pub archive_error: Option<String>,
}

/// What became of a file.
pub enum Attempt {
    Done(Box<Outcome>),
    /// Left where it is this time, with a warning (not a regular file, still being written).
    NotNow(NotNow),
}

/// Where a file comes from: what decides how carefully it is opened, and whether the archive
/// takes it or a copy of it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Origin {
    /// Found by listing the drop folder: a symlink is refused and a file still settling is
    /// left for the next run. Named on the command line, a file is taken as complete.
    pub listed: bool,
    /// It sits in the drop folder: moved into the archive. Elsewhere: copied, left in place.
    pub in_drop_folder: bool,
}

pub fn import_file(
    conn: &mut Connection,
    cfg: &Config,
    path: &Path,
    origin: Origin,
    user: &str,
    opts: Options<'_>,
) -> Result<Attempt> {
    let in_drop_folder = origin.in_drop_folder;
    let source = match Source::open(path, origin.listed)? {
        Ok(s) => s,
        Err(not_now) => return Ok(Attempt::NotNow(not_now)),
    };
    let mut phases = pipeline::Phases::start();
    let survey = survey::survey(&mut source.reader()?)
        .with_context(|| format!("reading {}", path.display()))?;
    if let Err(not_now) = source.unchanged()? {
        return Ok(Attempt::NotNow(not_now));
    }
    phases.done("checksum and encoding");
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let started = Stamp::from(cfg.now());
    let kind = if cfg.waitlist.is_waitlist_file(&file_name) {
        ImportKind::Waitlist
    } else {
        ImportKind::Appointments
    };
    let new = imports::NewImport {
        kind,
        file_name: &file_name,
        sha256: &survey.sha256,
        user_id: user,
        started_at: started,
    };
    let mut outcome = Outcome {
        import_id: None,
        kind,
        file_name: file_name.clone(),
        status: ImportStatus::Completed,
        counts: Counts::default(),
        archived_to: None,
        note: None,
        failures: Vec::new(),
        summary: Summary {
            encoding: survey.encoding.name().to_string(),
            ..Summary::default()
        },
        archive_error: None,
    };

    let seen_before = imports::completed_with_sha(conn, &survey.sha256)?;
    if !opts.force
        && let Some((earlier, earlier_name)) = &seen_before
    {
        outcome.status = ImportStatus::Skipped;
        outcome.note = Some(format!(
            "same content as import #{earlier} ({earlier_name}): not imported again (import --force FILE imports it anyway)"
        ));
        return finish_without_rows(conn, cfg, &source, &new, outcome, opts, in_drop_folder);
    }
    if kind == ImportKind::Waitlist {
        return waitlist::import(
            conn,
            cfg,
            &source,
            &survey,
            &new,
            outcome,
            opts,
            in_drop_folder,
            phases,
        );
    }

    let encoding = survey.encoding;
    let open = || -> Result<Box<dyn BufRead + Send>> {
        Ok(decode::byte_stream(source.reader()?, encoding))
    };
    let layout = match layout::find(&open, encoding, &cfg.csv)? {
        Ok(l) => l,
        Err(why) => {
            outcome.status = ImportStatus::Failed;
            outcome.note = Some(why);
            return finish_without_rows(conn, cfg, &source, &new, outcome, opts, in_drop_folder);
        }
    };
    let (order, order_reason) =
        layout::slash_order(&open, &layout, &cfg.csv, cfg.slash_dates, survey.has_slash)?;
    phases.done("layout and date order");
    outcome.summary.delimiter = layout::delimiter_name(layout.delimiter);
    outcome.summary.dates = order_reason;
    outcome.summary.absent_columns = layout.columns.absent.clone();

    let sites = cfg.site_table();
    let rules = RowContext {
        columns: &layout.columns,
        words: &cfg.csv.words,
        sites: &sites,
        region: cfg.region,
        order,
        now: cfg.now(),
        default_channel: cfg.sending.default_channel,
        languages: &cfg.languages,
    };
    let records = Records::new(open()?, layout.delimiter);

    // A file as large as everything stored so far loads faster into the table without its
    // secondary indexes, rebuilt afterwards by sorting (inside the transaction, so a kill leaves
    // them as they were). Otherwise they are filled row by row in no particular order (phone,
    // time), and SQLite's default 2 MB page cache would spend much of a large import spilling
    // pages to the WAL and reading them back: a bigger cache for the import only.
    let stored_before = appointments::approximate_count(conn)?;
    let bulk = bulk_load(survey.lines, stored_before);
    let previous = db::appointments::import_settings(conn, !bulk)?;
    let stored = pipeline::store_file(
        conn,
        cfg,
        &new,
        records,
        &rules,
        &layout,
        encoding,
        bulk,
        &source,
        opts,
        survey.lines,
        seen_before.is_some(),
        &outcome.summary,
        &mut phases,
    );
    db::appointments::restore_settings(conn, previous)?;
    let stored = match stored? {
        Ok(s) => s,
        Err(not_now) => return Ok(Attempt::NotNow(not_now)),
    };
    outcome.import_id = stored.import_id;
    outcome.counts = stored.tally.counts;
    outcome.failures = stored.tally.shown;
    outcome.summary.per_day = stored
        .tally
        .per_day
        .iter()
        .map(|((site, date), count)| DayCount {
            site: site.to_string(),
            date,
            count,
        })
        .collect();
    outcome.summary.languages_not_recognised = stored.unknown_languages;
    outcome.summary.default_language = cfg.languages.default_pack().name().to_string();
    outcome.summary.text_only_languages = stored.spoken_fallbacks;
    outcome.summary.moved = stored.tally.moved;
    outcome.summary.marked_no_show = stored.tally.marked_no_show;
    outcome.summary.not_in_export = stored.not_in_export;
    outcome.summary.slots_booked = stored.booked;
    if let Some(id) = outcome.import_id {
        archive_into(conn, cfg, &source, id, in_drop_folder, &mut outcome)?;
        phases.done("archive");
    }
    phases.log(&file_name);
    Ok(Attempt::Done(Box::new(outcome)))
}

/// Rebuild the secondary indexes rather than fill them row by row: only for big files that
/// at least double the table, where one sort beats a million random index inserts.
fn bulk_load(lines_in_file: u64, stored: i64) -> bool {
    lines_in_file >= 50_000 && lines_in_file as i64 >= stored
}

/// A file skipped (same content as before) or unreadable as an export: recorded with the
/// reason and archived, so it is not looked at again.
fn finish_without_rows(
    conn: &mut Connection,
    cfg: &Config,
    source: &Source,
    new: &imports::NewImport<'_>,
    mut outcome: Outcome,
    opts: Options<'_>,
    in_drop_folder: bool,
) -> Result<Attempt> {
    if opts.dry_run {
        return Ok(Attempt::Done(Box::new(outcome)));
    }
    let id = {
        let tx = db::begin(conn)?;
        let id = imports::insert(&tx, new, outcome.status)?;
        imports::finish(
            &tx,
            id,
            &imports::Finish {
                status: outcome.status,
                counts: &outcome.counts,
                file_path: None,
                finished_at: cfg.now().into(),
                error: outcome.note.as_deref(),
                summary: None,
            },
        )?;
        tx.commit()?;
        id
    };
    outcome.import_id = Some(id);
    archive_into(conn, cfg, source, id, in_drop_folder, &mut outcome)?;
    Ok(Attempt::Done(Box::new(outcome)))
}

/// Archives the file of import `id`; a failure is reported on the outcome (the rows are
/// stored: the import is not undone), and the file stays where it is for the next run.
fn archive_into(
    conn: &Connection,
    cfg: &Config,
    source: &Source,
    id: i64,
    take: bool,
    outcome: &mut Outcome,
) -> Result<()> {
    match archive::archive(&source.path, source.file(), &cfg.archive_dir, id, take) {
        Ok(dest) => {
            imports::set_archived(conn, id, &dest.to_string_lossy())?;
            outcome.archived_to = Some(dest);
        }
        Err(e) => {
            outcome.archive_error = Some(format!(
                "{e:#} (archive folder {})",
                cfg.archive_dir.display()
            ));
        }
    }
    Ok(())
}

/// What the drop folder holds for an import.
pub struct DropFolder {
    /// The regular `*.csv` files and waitlist files, oldest name first.
    pub files: Vec<PathBuf>,
    /// Entries left alone, with why (links, folders, …).
    pub skipped: Vec<(PathBuf, String)>,
    /// Files not named `*.csv` (in any case), which are never imported: an export saved as
    /// `.txt` or `.xlsx` would otherwise wait there unseen while its patients go unreminded.
    /// Hidden files and folders are not listed.
    pub not_csv: Vec<PathBuf>,
}

/// The files of the drop folder to import: every `*.csv`, and the files whose name
/// `is_waitlist` takes (a waitlist pattern may name another extension).
pub fn drop_folder_files(dir: &Path, is_waitlist: &dyn Fn(&str) -> bool) -> Result<DropFolder> {
    let entries = std::fs::read_dir(dir).permission(dir).with_context(|| {
        format!(
            "listing the drop folder {} (csv_dir / REMINDERS_CSV_DIR)",
            dir.display()
        )
    })?;
    let mut files = Vec::new();
    let mut skipped = Vec::new();
    let mut not_csv = Vec::new();
    for entry in entries {
        let entry = entry.with_context(|| format!("listing {}", dir.display()))?;
        let path = entry.path();
        // `.CSV` too: Windows tools write either, and a person sees no difference.
        let wanted = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
            || is_waitlist(&entry.file_name().to_string_lossy());
        if !wanted {
            let hidden = entry.file_name().as_encoded_bytes().starts_with(b".");
            if !hidden && entry.file_type().is_ok_and(|t| !t.is_dir()) {
                not_csv.push(path);
            }
            continue;
        }
        // The entry's own type: a symlink is not followed to find out what it points at.
        match entry.file_type() {
            Ok(t) if t.is_file() => files.push(path),
            Ok(t) if t.is_symlink() => skipped.push((
                path,
                "is a symbolic link: only regular files are imported from the drop folder (nothing was read through it)".into(),
            )),
            _ => skipped.push((path, "is not a regular file: not imported".into())),
        }
    }
    files.sort();
    skipped.sort();
    not_csv.sort();
    Ok(DropFolder {
        files,
        skipped,
        not_csv,
    })
}
