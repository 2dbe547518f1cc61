//! `reminders prune`: deletes patient data past the retention period (docs/operations.md,
//! "Retention").

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use anyhow::{Context, Result};
use chrono::{DateTime, Duration, Utc};

use crate::clock::{Stamp, db_time};
use crate::config::Config;
use crate::db::{self, prune::Counts};
use crate::exit::usage;

#[derive(clap::Args, Debug)]
#[command(
    about = "Delete patient data older than the retention period",
    long_about = "Deletes, in one transaction, the appointments whose time is older than the \
cut-off with their attempts and replies, the callbacks (webhook_events) received before it, the \
rejected rows of imports started before it, and then the archived CSV files (regular files in \
archive_dir, by modification time; symlinks and folders are left alone) older than it. Keeps \
the imports (their checksums stop an old file from being imported again) and opt_outs (a number \
that said STOP stays uncontacted). Prints what it removed; --dry-run prints the same and changes \
nothing. Deleted rows are overwritten in the database file, not left in its free pages.\n\n\
The cut-off is counted back from now: from REMINDERS_NOW when it is set and in the past, but \
never from later than the real clock, so a clock set ahead cannot delete appointments still to \
come.",
    after_help = "Examples:\n  reminders prune --older-than 90 --dry-run\n  \
reminders prune --older-than 90\n  \
reminders prune                      # retention_days from the configuration"
)]
pub struct Args {
    /// Delete what is older than this many days; default: `retention_days` in the configuration.
    #[arg(long, value_name = "DAYS", value_parser = clap::value_parser!(u32).range(1..=36_500))]
    pub older_than: Option<u32>,

    /// Print what would be deleted and change nothing.
    #[arg(long)]
    pub dry_run: bool,
}

pub fn run(cfg: &Config, args: &Args) -> Result<()> {
    let days = args.older_than.or(cfg.retention_days).ok_or_else(|| {
        usage(
            "prune: older than how many days? Give --older-than DAYS, or set retention_days = DAYS \
             in the configuration file (without either, everything is kept)",
        )
    })?;
    let now = cut_off_clock(cfg.now(), chrono::Utc::now());
    let cut = now - Duration::days(i64::from(days));
    let mut conn = db::open_existing(&cfg.db, db::BUSY_TIMEOUT)?;
    let files = old_files(&cfg.archive_dir, cut.into())?;
    let when = format!(
        "older than {days} day(s): before {} ({})",
        Stamp::from(cut).local(cfg.timezone),
        cfg.timezone.name()
    );
    if args.dry_run {
        let counts = db::prune::count(&conn, cut.into())?;
        println!("Dry run: nothing is deleted. Prune would delete what is {when}:");
        print_counts(&counts, files.len(), &cfg.archive_dir);
        for f in &files {
            log::info!("would delete {}", f.display());
        }
        return Ok(());
    }
    let counts = db::prune::delete(&mut conn, cut.into())?;
    // The old pages' content may still sit in the write-ahead log until a checkpoint; move it
    // into the (overwritten) database file now. Another connection reading at this moment only
    // delays that to a later checkpoint, so a busy answer is not an error.
    let _ = db::checkpoint_truncate(&conn);
    let mut failed = Vec::new();
    let mut removed = 0;
    for f in &files {
        match std::fs::remove_file(f) {
            Ok(()) => {
                removed += 1;
                log::info!("deleted {}", f.display());
            }
            // Gone already (another prune, a person): what we wanted.
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                let folder = f.parent().unwrap_or(Path::new("."));
                let e = crate::access::permission(folder, e);
                failed.push(format!("{}: {e:#}", f.display()));
            }
        }
    }
    println!("Deleted what was {when}:");
    print_counts(&counts, removed, &cfg.archive_dir);
    println!("Kept: imports (their checksums) and opt_outs (the consent history).");
    if !failed.is_empty() {
        anyhow::bail!(
            "{} archived file(s) could not be deleted: {}",
            failed.len(),
            failed.join("; ")
        );
    }
    Ok(())
}

/// The "now" the cut-off is counted back from: `REMINDERS_NOW` (a catch-up run, a test) when it
/// is in the past, never later than the real clock. Deleting is the one thing a clock set ahead
/// cannot be allowed to do: at 2099, appointments still to come would go.
fn cut_off_clock(set: DateTime<Utc>, real: DateTime<Utc>) -> DateTime<Utc> {
    if set > real {
        log::warn!(
            "REMINDERS_NOW ({}) is ahead of the real clock: prune counts back from the real clock ({})",
            db_time(set),
            db_time(real)
        );
        real
    } else {
        set
    }
}

fn print_counts(counts: &Counts, files: usize, archive: &Path) {
    let mut lines: Vec<(String, u64)> = counts
        .lines()
        .iter()
        .map(|(what, n)| (what.to_string(), *n))
        .collect();
    lines.push((
        format!("archived files ({})", archive.display()),
        files as u64,
    ));
    let width = lines
        .iter()
        .map(|(w, _)| w.chars().count())
        .max()
        .unwrap_or(0);
    for (what, n) in lines {
        println!("  {what:<width$}  {n:>7}");
    }
}

/// The regular files directly in the archive folder last modified before `cut`. Nothing is
/// followed: a symlink (to a file or a folder) and a folder are not archived CSVs, whatever
/// they point at. A missing folder holds nothing.
fn old_files(dir: &Path, cut: SystemTime) -> Result<Vec<PathBuf>> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(crate::access::permission(dir, e))
                .with_context(|| format!("reading the archive folder {}", dir.display()));
        }
    };
    let mut old = Vec::new();
    for entry in entries {
        let entry =
            entry.with_context(|| format!("reading the archive folder {}", dir.display()))?;
        let path = entry.path();
        // `symlink_metadata`: the entry itself, never what a link points at.
        let meta = std::fs::symlink_metadata(&path)
            .with_context(|| format!("looking at {}", path.display()))?;
        if meta.file_type().is_file() && meta.modified()? < cut {
            old.push(path);
        }
    }
    old.sort();
    Ok(old)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_old_regular_files_and_nothing_followed() {
        let dir = tempfile::tempdir().unwrap();
        let archive = dir.path().join("archive");
        std::fs::create_dir(&archive).unwrap();
        let outside = dir.path().join("precious.csv");
        std::fs::write(&outside, "x").unwrap();
        let age = |p: &Path, days: u64| {
            let t = SystemTime::now() - std::time::Duration::from_secs(days * 86_400);
            std::fs::File::options()
                .write(true)
                .open(p)
                .unwrap()
                .set_modified(t)
                .unwrap();
        };
        age(&outside, 400);
        for (name, days) in [("old.csv", 100), ("new.csv", 10), ("old-other.txt", 200)] {
            let p = archive.join(name);
            std::fs::write(&p, "a,b\n").unwrap();
            age(&p, days);
        }
        std::os::unix::fs::symlink(&outside, archive.join("link.csv")).unwrap();
        std::fs::create_dir(archive.join("sub")).unwrap();
        let sub_file = archive.join("sub/older.csv");
        std::fs::write(&sub_file, "x").unwrap();
        age(&sub_file, 400);

        let cut: DateTime<Utc> = Utc::now() - Duration::days(90);
        let got = old_files(&archive, cut.into()).unwrap();
        assert_eq!(
            got,
            [archive.join("old-other.txt"), archive.join("old.csv")]
        );
        assert!(
            old_files(&dir.path().join("none"), cut.into())
                .unwrap()
                .is_empty()
        );
    }
}
