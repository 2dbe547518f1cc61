//! The results files for the clinic's system (SPEC 12.1), in `outbox_dir`: one CSV per
//! appointment day, rewritten after every dispatching run and by `reminders export`.
//!
//! A file is never seen half written: it is written aside in the same folder (owner-only from
//! its first byte), flushed to disk, then renamed over the old one — a rename within a folder is
//! atomic, so a reader opens either the whole old file or the whole new one. The folder is
//! synced after the rename so the new name survives a power loss too.

use std::collections::BTreeSet;
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::Connection;

use crate::clock::{db_time, parse_db_time};
use crate::config::Config;
use crate::domain::dates::day_bounds;
use crate::domain::results::{self, HEADER, Rules};
use crate::output::spreadsheet_safe;

/// Every appointment, or one site's.
pub type Scope<'a> = Option<&'a str>;

/// The site keys a scope covers.
fn keys<'a>(cfg: &'a Config, scope: Scope<'a>) -> Vec<&'a str> {
    match scope {
        Some(site) => vec![site],
        None => cfg.site_keys(),
    }
}

/// The local date of an appointment at stored time `at` in its site's zone.
fn local_date(cfg: &Config, site: &str, at: &str) -> Option<NaiveDate> {
    parse_db_time(at).map(|t| t.with_timezone(&cfg.site(site).tz).date_naive())
}

/// Today in the scope's zone: the site's, or the clinic's (`timezone`, as `status` reads it).
pub fn today(cfg: &Config, scope: Scope<'_>, now: DateTime<Utc>) -> NaiveDate {
    now.with_timezone(&cfg.site(scope.unwrap_or("")).tz)
        .date_naive()
}

/// Writes the header and the rows of local day `day` (each appointment in its own site's zone),
/// soonest first, each cell spreadsheet-safe, to `out` as they are read: a day of a million
/// appointments in flat memory. How many rows it wrote.
pub fn write_day_rows(
    cfg: &Config,
    conn: &Connection,
    scope: Scope<'_>,
    day: NaiveDate,
    out: &mut dyn Write,
) -> Result<usize> {
    // The widest UTC range any of the scope's zones gives the day; each appointment is then
    // kept only when the day is its own local date. Without sites, every appointment is read in
    // the top-level zone, which `cfg.site("")` is.
    let mut zones: Vec<chrono_tz::Tz> = keys(cfg, scope).iter().map(|k| cfg.site(k).tz).collect();
    if scope.is_none() {
        zones.push(cfg.timezone);
    }
    let bounds = zones.iter().map(|tz| day_bounds(day, *tz));
    let from = bounds.clone().map(|b| b.0).min().unwrap_or_default();
    let to = bounds.map(|b| b.1).max().unwrap_or_default();
    let rules = Rules {
        touches: &cfg.schedule.touches,
        voicemail_counts_as_reached: cfg.sending.voicemail_counts_as_reached,
    };
    let mut w = csv::Writer::from_writer(out);
    w.write_record(HEADER)?;
    let mut written = 0;
    crate::db::results::each_in_range(conn, &db_time(from), &db_time(to), scope, |a, attempts| {
        if local_date(cfg, &a.site, &a.at) == Some(day) {
            let row = results::row(&a, &attempts, rules, cfg.site(&a.site).tz);
            w.write_record(row.iter().map(|cell| spreadsheet_safe(cell).into_owned()))?;
            written += 1;
        }
        Ok(())
    })
    .with_context(|| format!("reading the appointments of {day}"))?;
    w.flush()?;
    Ok(written)
}

/// The results file's path for a day in the outbox.
pub fn path(cfg: &Config, scope: Scope<'_>, day: NaiveDate) -> PathBuf {
    cfg.outbox_dir.join(results::file_name(scope, day))
}

/// The outbox folder, created owner-only when missing (a folder that exists keeps its mode).
pub fn ensure_dir(dir: &Path) -> Result<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)
        .with_context(|| format!("creating the outbox folder {}", dir.display()))
}

/// Writes `path` aside and renames it into place: `fill` writes the content.
pub fn replace(path: &Path, fill: impl FnOnce(&mut dyn Write) -> Result<()>) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let name = path
        .file_name()
        .with_context(|| format!("{} names no file", path.display()))?
        .to_string_lossy()
        .into_owned();
    // A dot file, so nothing that imports `results-*.csv` picks it up half written; removed
    // when dropped, should anything below fail.
    let tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .permissions(fs::Permissions::from_mode(0o600))
        .tempfile_in(dir)
        .with_context(|| format!("creating a temporary file in {}", dir.display()))?;
    (|| -> Result<()> {
        let file = tmp.as_file();
        // Whatever the umask did, the file is the owner's only.
        file.set_permissions(fs::Permissions::from_mode(0o600))?;
        let mut out = BufWriter::new(file);
        fill(&mut out)?;
        out.flush()?;
        drop(out);
        file.sync_all()?;
        Ok(())
    })()
    .with_context(|| format!("writing {}", tmp.path().display()))?;
    tmp.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("renaming the new file into place as {}", path.display()))?;
    // The rename itself must reach the disk for the new file to survive a power loss.
    File::open(dir)
        .and_then(|d| d.sync_all())
        .with_context(|| format!("syncing the folder {}", dir.display()))?;
    Ok(())
}

/// The days a dispatching run rewrites for a scope: from each site's today up to the last day a
/// touch can be due, and the days of the appointments the run contacted.
fn days_after_run(
    cfg: &Config,
    scope: Scope<'_>,
    now: DateTime<Utc>,
    contacted: &[(String, String)],
) -> BTreeSet<NaiveDate> {
    let todays: Vec<NaiveDate> = keys(cfg, scope)
        .iter()
        .map(|k| now.with_timezone(&cfg.site(k).tz).date_naive())
        .collect();
    let contacted: Vec<NaiveDate> = contacted
        .iter()
        .filter(|(site, _)| scope.is_none_or(|s| s == site))
        .filter_map(|(site, at)| local_date(cfg, site, at))
        .collect();
    results::days_after_run(&todays, cfg.schedule.touches.largest(), &contacted)
}

/// After a dispatching run (`send`, `retry`, `import --now`): rewrites the results file of every
/// day it may have changed that holds appointments — the all-sites file and, when the run served
/// only some sites (`--site`), each of theirs. Prints each file written; a file that cannot be
/// written is a warning with its path and the reason: the run's own work is recorded whatever
/// happens here, and `reminders export` writes the file again.
pub fn after_run(cfg: &Config, run_id: Option<i64>, sites: &[String]) {
    let written = (|| -> Result<()> {
        let (conn, _) = crate::db::open_to_read(&cfg.db)?;
        let contacted = match run_id {
            Some(id) => crate::db::results::contacted_by_run(&conn, id)?,
            None => Vec::new(),
        };
        let now = cfg.now();
        let scopes = std::iter::once(None).chain(sites.iter().map(|s| Some(s.as_str())));
        for scope in scopes {
            for day in days_after_run(cfg, scope, now, &contacted) {
                let path = path(cfg, scope, day);
                match write_day(cfg, &conn, scope, day, &path) {
                    Ok(0) => {}
                    Ok(n) => println!("results: {} ({n} appointment(s))", path.display()),
                    Err(e) => log::warn!(
                        "the results file {} was not written: {e:#} (the run's work is recorded; `reminders export --date {day}` writes it again)",
                        path.display()
                    ),
                }
            }
        }
        Ok(())
    })();
    if let Err(e) = written {
        log::warn!(
            "the results files in {} were not written: {e:#} (the run's work is recorded; `reminders export` writes them again)",
            cfg.outbox_dir.display()
        );
    }
}

/// One day's file in the outbox, unless the day holds no appointments; how many rows it has.
fn write_day(
    cfg: &Config,
    conn: &Connection,
    scope: Scope<'_>,
    day: NaiveDate,
    path: &Path,
) -> Result<usize> {
    ensure_dir(&cfg.outbox_dir)?;
    let mut written = 0;
    let done = replace(path, |out| {
        written = write_day_rows(cfg, conn, scope, day, out)?;
        // Nothing that day: the file that may be there stays as it is.
        if written == 0 {
            return Err(anyhow::Error::new(NoAppointments));
        }
        Ok(())
    });
    match done {
        Err(e) if e.is::<NoAppointments>() => Ok(0),
        done => done.map(|()| written),
    }
}

/// A day without appointments gets no file.
#[derive(Debug)]
struct NoAppointments;

impl std::fmt::Display for NoAppointments {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("no appointments that day")
    }
}

impl std::error::Error for NoAppointments {}

#[cfg(test)]
mod tests {
    use super::*;

    /// A file of `rows` under the header, as the writer makes one.
    fn write(path: &Path, rows: &[Vec<String>]) -> Result<()> {
        replace(path, |out| {
            let mut w = csv::Writer::from_writer(out);
            w.write_record(HEADER)?;
            for row in rows {
                w.write_record(row)?;
            }
            w.flush()?;
            Ok(())
        })
    }

    fn mode(p: &Path) -> u32 {
        fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    fn names(dir: &Path) -> Vec<String> {
        let mut n: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        n.sort();
        n
    }

    #[test]
    fn replaces_owner_only_and_leaves_nothing_aside() {
        let dir = tempfile::tempdir().unwrap();
        let outbox = dir.path().join("out/box");
        ensure_dir(&outbox).unwrap();
        assert_eq!(mode(&outbox), 0o700);
        let p = outbox.join("results-2026-11-25.csv");
        write(&p, &[vec!["A1".into(); HEADER.len()]]).unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o644)).unwrap();
        write(&p, &[vec!["A2".into(); HEADER.len()]]).unwrap();
        assert_eq!(mode(&p), 0o600);
        let text = fs::read_to_string(&p).unwrap();
        assert!(
            text.starts_with("appointment_id,patient_id,site,"),
            "{text}"
        );
        assert!(text.contains("A2") && !text.contains("A1"), "{text}");
        assert_eq!(names(&outbox), ["results-2026-11-25.csv"]);
    }

    #[test]
    fn the_old_file_stays_whole_until_the_new_one_is() {
        let dir = tempfile::tempdir().unwrap();
        let p = dir.path().join("results-2026-11-25.csv");
        write(&p, &[vec!["old".into(); HEADER.len()]]).unwrap();
        let before = fs::read(&p).unwrap();
        // The new content is written aside: while it is being written (and when writing it
        // fails half way) the file under its name is the old one, whole.
        let err = replace(&p, |out| {
            out.write_all(b"appointment_id,half a ro")?;
            assert_eq!(
                fs::read(&p).unwrap(),
                before,
                "the name still holds the old file"
            );
            let aside = names(dir.path());
            assert_eq!(aside.len(), 2, "{aside:?}");
            assert!(aside[0].starts_with(".results-2026-11-25.csv.") && aside[0].ends_with(".tmp"));
            anyhow::bail!("disk full")
        })
        .unwrap_err();
        assert!(format!("{err:#}").contains("disk full"));
        assert_eq!(fs::read(&p).unwrap(), before);
        assert_eq!(
            names(dir.path()),
            ["results-2026-11-25.csv"],
            "nothing left aside"
        );
    }

    #[test]
    fn a_symlink_in_the_files_place_is_replaced_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let target = dir.path().join("elsewhere.txt");
        fs::write(&target, "keep me").unwrap();
        let p = dir.path().join("results-2026-11-25.csv");
        std::os::unix::fs::symlink(&target, &p).unwrap();
        write(&p, &[]).unwrap();
        assert_eq!(fs::read_to_string(&target).unwrap(), "keep me");
        assert!(fs::symlink_metadata(&p).unwrap().file_type().is_file());
    }
}
