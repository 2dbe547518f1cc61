//! The results files for the clinic's system (docs/operations.md, "The results file"), in
//! `outbox_dir`: one CSV per
//! appointment day, rewritten after every dispatching run and by `reminders export`.
//!
//! A file is never seen half written: `files::replace` writes it aside and renames it into place
//! (owner-only, and only ever over a regular file).

use std::borrow::Cow;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use chrono::{DateTime, NaiveDate, Utc};
use rusqlite::Connection;

use crate::clock::{Stamp, parse_db_time};
use crate::config::Config;
use crate::domain::dates::day_bounds;
use crate::domain::results::{self, HEADER, ReachRules};
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

/// The most a day's formatted rows and their index ([`Placed`], 24 bytes a row) may take to be
/// put in time order in memory by `reminders export` (the rows' buffer is reserved up front,
/// so never moved; only what is written is resident). With the process's own ~14 MB, a day
/// that just fits peaks under 50 MB, within the 64 MB budget; 195,000 appointments take
/// about 22 MB. A bigger day is read in time order from SQLite's sorter, in flat memory but
/// slower.
const IN_MEMORY: usize = 32 << 20;

/// [`IN_MEMORY`] for the files a dispatching run writes when it ends: the process still holds
/// what its workers' connections used (the allocator keeps it), so only a small day is sorted
/// in memory; nobody waits on these files.
const AFTER_RUN_IN_MEMORY: usize = 4 << 20;

/// Writes the header and the rows of local day `day` (each appointment in its own site's zone),
/// soonest first, each cell spreadsheet-safe, to `out`. How many rows it wrote.
///
/// A day's appointments are read from the (status, time, id, …) index alone, one state after
/// another, formatted, and put in time order in memory (BENCHMARKS.md, "The results file from
/// the index"). A day whose rows outgrow [`IN_MEMORY`] is read again from SQLite's sorter, one
/// appointment at a time.
pub fn write_day_rows(
    cfg: &Config,
    conn: &Connection,
    scope: Scope<'_>,
    day: NaiveDate,
    out: &mut dyn Write,
) -> Result<usize> {
    write_rows(cfg, conn, scope, day, out, IN_MEMORY)
}

/// [`write_day_rows`], sorting in memory up to `limit` bytes of rows.
fn write_rows(
    cfg: &Config,
    conn: &Connection,
    scope: Scope<'_>,
    day: NaiveDate,
    out: &mut dyn Write,
    limit: usize,
) -> Result<usize> {
    // The widest UTC range any of the scope's zones gives the day; each appointment is then
    // kept only when the day is its own local date. Without sites, every appointment is read in
    // the top-level zone, which `cfg.site("")` is.
    let mut zones: Vec<chrono_tz::Tz> = keys(cfg, scope).iter().map(|k| cfg.site(k).tz).collect();
    if scope.is_none() {
        zones.push(cfg.timezone);
    }
    let bounds = zones.iter().map(|tz| day_bounds(day, *tz));
    let (from, to): (Stamp, Stamp) = (
        bounds.clone().map(|b| b.0).min().unwrap_or_default().into(),
        bounds.map(|b| b.1).max().unwrap_or_default().into(),
    );
    let rules = ReachRules {
        touches: &cfg.schedule.touches,
        voicemail_counts_as_reached: cfg.sending.voicemail_counts_as_reached,
    };
    let row_of = DayRow { cfg, day, rules };
    let reading = || format!("reading the appointments of {day}");
    let mut w = csv::Writer::from_writer(out);
    w.write_record(HEADER)?;
    // One read transaction: the rows and (if it comes to that) the sorted re-read see one
    // snapshot, so the file never mixes states before and after a write.
    let snapshot = conn.unchecked_transaction().with_context(reading)?;
    let conn: &Connection = &snapshot;
    if let Some(sorted) = in_memory(conn, from, to, scope, &row_of, limit).with_context(reading)? {
        w.flush()?;
        let out = w.into_inner().map_err(|e| e.into_error())?;
        for row in &sorted.rows {
            out.write_all(&sorted.bytes[row.start as usize..row.end as usize])?;
        }
        return Ok(sorted.rows.len());
    }
    let mut written = 0;
    let order = crate::db::results::Order::SoonestFirst;
    crate::db::results::each_in_range(conn, order, from, to, scope, |a, attempts| {
        if let Some((_, row)) = row_of.of(a, attempts) {
            write_row(&mut w, &row)?;
            written += 1;
        }
        Ok(())
    })
    .with_context(reading)?;
    w.flush()?;
    Ok(written)
}

/// What makes an appointment's row of the day's file.
struct DayRow<'c> {
    cfg: &'c Config,
    day: NaiveDate,
    rules: ReachRules<'c>,
}

impl DayRow<'_> {
    /// The row for `a` with its time (for the order), or `None` when its own local date (in its
    /// site's zone) is another day.
    fn of<'a>(
        &self,
        a: &'a results::Appointment,
        attempts: &[results::Attempt],
    ) -> Option<(i64, Vec<Cow<'a, str>>)> {
        let tz = self.cfg.site(&a.site).tz;
        let at = parse_db_time(&a.at).filter(|t| t.with_timezone(&tz).date_naive() == self.day)?;
        Some((at.timestamp(), results::row(a, attempts, self.rules, tz)))
    }
}

/// One row, each cell spreadsheet-safe (a cell copied only when it must change).
fn write_row<W: Write>(w: &mut csv::Writer<W>, row: &[Cow<'_, str>]) -> csv::Result<()> {
    for cell in row {
        w.write_field(spreadsheet_safe(cell).as_bytes())?;
    }
    w.write_record(None::<&[u8]>)
}

/// A day's rows as CSV, one after another in `bytes`, and where each is, in time order.
struct Sorted {
    bytes: Vec<u8>,
    rows: Vec<Placed>,
}

/// Where a formatted row sits in [`Sorted::bytes`] (under 4 GiB: the buffer is at most a
/// limit and a row), and the (time, id) that orders it.
struct Placed {
    at: i64,
    id: i64,
    start: u32,
    end: u32,
}

/// Appointments with their attempts, passed from the reading thread to the formatting one.
type Batch = Vec<(results::Appointment, Vec<results::Attempt>)>;

/// Appointments per batch between the two threads.
const BATCH: usize = 256;

/// More than a row of the file takes (its longest cells are a patient's text, at most 1,600
/// characters, and the failure reasons).
const ROW_ROOM: usize = 64 << 10;

/// The range's rows read one state after another and sorted by (time, id), as SQLite's
/// `ORDER BY appt_date_time, id` would give them; `None` when they and their index would take
/// more than `limit` bytes (then the reading stops there).
///
/// SQLite reads on this thread while another formats the rows (about as much work again), as
/// the import does: batches go over a bounded channel and come back to be filled again, their
/// strings keeping their buffers.
fn in_memory(
    conn: &Connection,
    from: Stamp,
    to: Stamp,
    scope: Scope<'_>,
    row_of: &DayRow<'_>,
    limit: usize,
) -> Result<Option<Sorted>> {
    std::thread::scope(|threads| {
        let (send, receive) = std::sync::mpsc::sync_channel::<(Batch, usize)>(8);
        let (recycle, recycled) = std::sync::mpsc::channel::<Batch>();
        let formatter = threads.spawn(move || -> Result<Option<Sorted>> {
            // Room for the row that crosses the limit too, so the buffer is never moved (a move
            // would hold it twice for a moment).
            let mut w = csv::Writer::from_writer(Vec::with_capacity(limit + ROW_ROOM));
            let mut rows = Vec::new();
            let mut start = 0;
            for (batch, n) in receive {
                for (a, attempts) in &batch[..n] {
                    let Some((at, row)) = row_of.of(a, attempts) else {
                        continue;
                    };
                    write_row(&mut w, &row)?;
                    w.flush()?;
                    let end = w.get_ref().len();
                    if rows.len() == rows.capacity() {
                        rows.reserve(1);
                    }
                    let held = end + rows.capacity() * std::mem::size_of::<Placed>();
                    let (Ok(start32), Ok(end32)) = (u32::try_from(start), u32::try_from(end))
                    else {
                        return Ok(None);
                    };
                    if held > limit {
                        // Dropping the channel stops the reading side.
                        return Ok(None);
                    }
                    rows.push(Placed {
                        at,
                        id: a.id,
                        start: start32,
                        end: end32,
                    });
                    start = end;
                }
                drop(recycle.send(batch));
            }
            rows.sort_unstable_by_key(|r| (r.at, r.id));
            let bytes = w.into_inner().map_err(|e| e.into_error())?;
            Ok(Some(Sorted { bytes, rows }))
        });
        let mut batch = Batch::new();
        let mut n = 0;
        let order = crate::db::results::Order::ByState;
        let read = crate::db::results::each_in_range(conn, order, from, to, scope, |a, t| {
            if n == batch.len() {
                batch.push(Default::default());
            }
            // Kept by swapping: the batch's old buffers are filled with the next one.
            let (into_a, into_t) = &mut batch[n];
            std::mem::swap(into_a, a);
            std::mem::swap(into_t, t);
            n += 1;
            if n == BATCH {
                let next = recycled.try_recv().unwrap_or_default();
                send.send((std::mem::replace(&mut batch, next), n))
                    .map_err(|_| anyhow::Error::new(Stop::NotTaken))?;
                n = 0;
            }
            Ok(())
        })
        .and_then(|()| {
            send.send((batch, n))
                .map_err(|_| anyhow::Error::new(Stop::NotTaken))
        });
        drop(send);
        let formatted = formatter
            .join()
            .map_err(|_| anyhow::anyhow!("the thread formatting the rows panicked"))??;
        match read {
            // The formatting side stopped: the day is too big (`None`), or it failed.
            Err(e) if Stop::is(&e, Stop::NotTaken) => Ok(formatted),
            read => read.map(|()| formatted),
        }
    })
}

/// The results file's path for a day in the outbox.
pub fn path(cfg: &Config, scope: Scope<'_>, day: NaiveDate) -> PathBuf {
    cfg.outbox_dir.join(results::file_name(scope, day))
}

/// The outbox folder, created owner-only when missing (a folder that exists keeps its mode).
pub fn ensure_dir(dir: &Path) -> Result<()> {
    crate::files::private_dir(dir, "the outbox folder")
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
/// only some sites (`--site`), each of theirs. Returns each file written with its row count; a
/// file that cannot be written is a warning with its path and the reason: the run's own work is
/// recorded whatever happens here, and `reminders export` writes the file again.
pub fn after_run(cfg: &Config, run_id: Option<i64>, sites: &[String]) -> Vec<(PathBuf, usize)> {
    let mut files = Vec::new();
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
                    Ok(n) => files.push((path, n)),
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
    files
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
    let done = crate::files::replace(path, |out| {
        written = write_rows(cfg, conn, scope, day, out, AFTER_RUN_IN_MEMORY)?;
        // Nothing that day: the file that may be there stays as it is.
        if written == 0 {
            return Err(anyhow::Error::new(Stop::NoAppointments));
        }
        Ok(())
    });
    match done {
        Err(e) if Stop::is(&e, Stop::NoAppointments) => Ok(0),
        done => done.map(|()| written),
    }
}

/// A write ended early on purpose: never shown to anyone.
#[derive(Debug, PartialEq, Eq)]
enum Stop {
    /// A day without appointments gets no file.
    NoAppointments,
    /// The formatting side stopped taking rows.
    NotTaken,
}

impl Stop {
    fn is(e: &anyhow::Error, which: Stop) -> bool {
        e.downcast_ref::<Stop>() == Some(&which)
    }
}

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Stop::NoAppointments => "no appointments that day",
            Stop::NotTaken => "the rows were no longer taken",
        })
    }
}

impl std::error::Error for Stop {}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::test_support::{mode, names};
    use std::fs;
    use std::os::unix::fs::PermissionsExt;

    /// A file of `rows` under the header, as the writer makes one.
    fn write(path: &Path, rows: &[Vec<String>]) -> Result<()> {
        crate::files::replace(path, |out| {
            let mut w = csv::Writer::from_writer(out);
            w.write_record(HEADER)?;
            for row in rows {
                w.write_record(row)?;
            }
            w.flush()?;
            Ok(())
        })
    }

    /// A day of appointments (some at one time, some with attempts, one the day before and
    /// one after, a reply a spreadsheet would run), stored out of time order.
    fn a_stored_day() -> (Config, Connection, tempfile::TempDir) {
        let dir = tempfile::tempdir().unwrap();
        let toml = dir.path().join("reminders.toml");
        fs::write(&toml, "").unwrap();
        let overrides = crate::config::Overrides {
            config: Some(toml),
            ..Default::default()
        };
        let cfg = Config::load_with(&overrides, &|_| None).unwrap();
        let conn = crate::db::open_memory();
        conn.execute(
            "INSERT INTO imports (id, file_name, sha256, status, user_id, started_at)
             VALUES (1, 'f.csv', 'x', 'completed', 'u', '2026-11-24T23:00:00Z')",
            [],
        )
        .unwrap();
        // (time, attempts, last reply); Toronto's 2026-11-25 is [05:00Z, 05:00Z next day).
        let rows = [
            ("2026-11-25T15:00:00Z", 0, None),
            ("2026-11-25T14:00:00Z", 2, None),
            ("2026-11-26T05:00:00Z", 0, None),
            ("2026-11-25T15:00:00Z", 1, Some("=HYPERLINK(1)")),
            ("2026-11-25T04:59:59Z", 0, None),
            ("2026-11-25T05:00:00Z", 0, None),
            ("2026-11-25T15:00:00Z", 0, None),
        ];
        for (i, (at, attempts, reply)) in rows.into_iter().enumerate() {
            let id = i as i64 + 1;
            conn.execute(
                "INSERT INTO appointments (id, appointment_id, patient_id, phone_number,
                     phone_preference, text_preference, appt_date_time, channel, status,
                     attempt_count, last_reply, import_id, created_at, updated_at)
                 VALUES (?1, 'A' || ?1, 'P' || ?1, '+14165550101', 1, 0, ?2, 'call',
                     CASE WHEN ?3 > 0 THEN 'failed' ELSE 'pending' END, ?3, ?4, 1, '', '')",
                rusqlite::params![id, at, attempts, reply],
            )
            .unwrap();
            for n in 1..=attempts {
                conn.execute(
                    "INSERT INTO appointment_logs (appointment_id, attempt, channel, \"to\",
                         \"from\", status, touch_days, created_at, updated_at)
                     VALUES (?1, ?2, 'call', '+14165550101', '+14165550000',
                         CASE WHEN ?2 = 1 THEN 'no-answer' ELSE 'busy' END, 1, '', '')",
                    rusqlite::params![id, n],
                )
                .unwrap();
            }
        }
        (cfg, conn, dir)
    }

    fn day_file(cfg: &Config, conn: &Connection, limit: usize) -> (usize, String) {
        let day = NaiveDate::from_ymd_opt(2026, 11, 25).unwrap();
        let mut out = Vec::new();
        let n = write_rows(cfg, conn, None, day, &mut out, limit).unwrap();
        (n, String::from_utf8(out).unwrap())
    }

    #[test]
    fn sorted_in_memory_or_by_sqlite_the_file_is_the_same() {
        let (cfg, conn, _dir) = a_stored_day();
        let (n, in_memory) = day_file(&cfg, &conn, IN_MEMORY);
        let ids: Vec<&str> = in_memory
            .lines()
            .skip(1)
            .map(|l| l.split(',').next().unwrap())
            .collect();
        // Soonest first, one time's appointments in the order they were stored.
        assert_eq!((n, ids), (5, vec!["A6", "A2", "A1", "A4", "A7"]));
        assert!(
            in_memory.contains("no answer, busy") && in_memory.contains(",'=HYPERLINK(1),"),
            "{in_memory}"
        );
        // Too big from its first row (0), and found too big half way through (the reading
        // side is stopped, and SQLite's sorter reads the day again). "A4" is read first (its
        // state, `failed`, comes before `pending` in the index) and still sorts by its id.
        for limit in [0, in_memory.len() / 2] {
            assert_eq!(
                day_file(&cfg, &conn, limit),
                (5, in_memory.clone()),
                "{limit}"
            );
        }
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
}
