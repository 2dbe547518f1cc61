//! One CSV file into the store: validated row by row, de-duplicated, stored in one transaction
//! (killed half-way, nothing of it remains and a rerun imports it whole), then archived under a
//! name that never overwrites an earlier file.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};
use rusqlite::Connection;

use crate::clock::db_time;
use crate::config::Config;
use crate::csv_input;
use crate::db::appointments::{self, NewAppointment};
use crate::db::imports;
use crate::domain::channel;
use crate::domain::row::{Columns, Rules};

#[derive(Clone, Debug)]
pub struct Outcome {
    pub import_id: i64,
    pub file_name: String,
    pub status: &'static str,
    pub counts: imports::Counts,
    pub archived_to: Option<PathBuf>,
    /// Why the file was skipped or failed.
    pub note: Option<String>,
    /// The first failed rows' reasons, for the operator's screen.
    pub failures: Vec<(u64, String)>,
}

/// How many failed-row reasons an import keeps for printing (all are stored).
const SHOWN_FAILURES: usize = 10;

pub fn import_file(
    conn: &mut Connection,
    cfg: &Config,
    path: &Path,
    user: &str,
) -> Result<Outcome> {
    let survey = csv_input::survey(path)?;
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string());
    let started = db_time(cfg.now());
    let new = imports::NewImport {
        file_name: &file_name,
        sha256: &survey.sha256,
        user_id: user,
        started_at: &started,
    };

    if let Some((earlier, earlier_name)) = imports::completed_with_sha(conn, &survey.sha256)? {
        let note =
            format!("same content as import #{earlier} ({earlier_name}): not imported again");
        let id = imports::insert(conn, &new, "skipped")?;
        let counts = imports::Counts::default();
        imports::finish(
            conn,
            id,
            &imports::Finish {
                status: "skipped",
                counts: &counts,
                file_path: None,
                finished_at: &db_time(cfg.now()),
                error: Some(&note),
            },
        )?;
        let archived = archive(conn, cfg, path, id)?;
        return Ok(Outcome {
            import_id: id,
            file_name,
            status: "skipped",
            counts,
            archived_to: Some(archived),
            note: Some(note),
            failures: Vec::new(),
        });
    }

    let rows = csv_input::open_rows(path, &survey)?;
    // A file as large as everything stored so far loads faster into the table without its
    // secondary indexes, rebuilt afterwards by sorting (inside the transaction, so a kill leaves
    // them as they were). Otherwise they are filled row by row in no particular order (phone,
    // time), and SQLite's default 2 MB page cache would spend much of a large import spilling
    // pages to the WAL and reading them back: a bigger cache for the import only.
    let bulk = bulk_load(survey.lines, appointments::approximate_count(conn)?);
    let previous_cache: i64 = conn.pragma_query_value(None, "cache_size", |r| r.get(0))?;
    if !bulk {
        conn.pragma_update(None, "cache_size", IMPORT_CACHE_SIZE)?;
    }
    // With foreign keys on, SQLite must be able to undo a multi-row insert half-way (a row
    // whose parent is missing aborts the statement), so it copies every page each insert
    // touches to a statement journal first: on a large file a third of the storing time went
    // there. Every row here refers to the import row this same transaction writes first, so the
    // check cannot fail; it is off for the import's transaction only (the pragma is ignored
    // inside a transaction, hence here).
    conn.pragma_update(None, "foreign_keys", "OFF")?;
    let stored = store_file(conn, cfg, path, &new, rows, bulk);
    conn.pragma_update(None, "foreign_keys", "ON")?;
    conn.pragma_update(None, "cache_size", previous_cache)?;
    let (id, status, counts, note, failures) = stored?;
    let archived = archive(conn, cfg, path, id)?;
    Ok(Outcome {
        import_id: id,
        file_name,
        status,
        counts,
        archived_to: Some(archived),
        note,
        failures,
    })
}

/// SQLite `cache_size` during an import: negative means KiB (24 MiB: at 32 MiB peak RSS of a
/// 1M-row import reached 62 MB, too near the 64 MB budget).
const IMPORT_CACHE_SIZE: i64 = -24 * 1024;

type Stored5 = (
    i64,
    &'static str,
    imports::Counts,
    Option<String>,
    Vec<(u64, String)>,
);

fn store_file(
    conn: &mut Connection,
    cfg: &Config,
    path: &Path,
    new: &imports::NewImport<'_>,
    rows: csv::Reader<Box<dyn std::io::Read + Send>>,
    bulk: bool,
) -> Result<Stored5> {
    let tx = crate::db::begin(conn)?;
    let id = imports::insert(&tx, new, "completed")?;
    let rebuild = if bulk {
        // Let SQLite sort for the index rebuild on a second core.
        tx.pragma_update(None, "threads", 2)?;
        let indexes = appointments::secondary_indexes(&tx)?;
        for (name, _) in &indexes {
            tx.execute_batch(&format!("DROP INDEX \"{name}\""))?;
        }
        indexes
    } else {
        Vec::new()
    };
    let stored = store_rows(&tx, cfg, id, rows);
    for (_, sql) in &rebuild {
        tx.execute_batch(sql)
            .context("rebuilding an index after a bulk load")?;
    }
    let (status, counts, note, failures) = match stored {
        Ok((counts, failures)) => ("completed", counts, None, failures),
        // Only the header can make a whole file unreadable, so no row has been stored yet.
        Err(StoreError::Unreadable(why)) => {
            ("failed", imports::Counts::default(), Some(why), Vec::new())
        }
        Err(StoreError::Other(e)) => {
            return Err(e.context(format!("importing {}", path.display())));
        }
    };
    imports::finish(
        &tx,
        id,
        &imports::Finish {
            status,
            counts: &counts,
            file_path: None,
            finished_at: &db_time(cfg.now()),
            error: note.as_deref(),
        },
    )?;
    tx.commit()
        .with_context(|| format!("saving the import of {}", path.display()))?;
    Ok((id, status, counts, note, failures))
}

/// Rebuild the secondary indexes rather than fill them row by row: only for big files that
/// at least double the table, where one sort beats a million random index inserts.
fn bulk_load(lines_in_file: u64, stored: i64) -> bool {
    lines_in_file >= 50_000 && lines_in_file as i64 >= stored
}

enum StoreError {
    /// The file as a whole cannot be read as an appointment list (no header, missing columns).
    Unreadable(String),
    /// Anything else (I/O, the database): the transaction is abandoned and a rerun repeats it.
    Other(anyhow::Error),
}

impl<E: Into<anyhow::Error>> From<E> for StoreError {
    fn from(e: E) -> Self {
        StoreError::Other(e.into())
    }
}

type Stored = (imports::Counts, Vec<(u64, String)>);

/// A row that failed the rules, with what a person needs to fix it.
struct Rejected {
    row: u64,
    data: String,
    reason: String,
}

/// Checked rows on their way from the reading thread to the storing one. Batches travel back
/// once stored, so the reading thread also frees what it allocated: freeing on the storing
/// thread took glibc's cross-thread path and cost that thread about a tenth of its time.
#[derive(Default)]
struct Batch {
    valid: Vec<NewAppointment>,
    rejected: Vec<Rejected>,
}

impl Batch {
    fn len(&self) -> usize {
        self.valid.len() + self.rejected.len()
    }
}

/// Rows per batch: one channel message per row would cost more than the row.
const BATCH: usize = 512;

fn store_rows(
    conn: &Connection,
    cfg: &Config,
    import_id: i64,
    mut rdr: csv::Reader<Box<dyn std::io::Read + Send>>,
) -> std::result::Result<Stored, StoreError> {
    let mut record = csv::StringRecord::new();
    let has_header = rdr.read_record(&mut record).map_err(csv_error)?;
    if !has_header {
        return Err(StoreError::Unreadable(
            "the file is empty: no header row".into(),
        ));
    }
    let header: Vec<String> = record
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_string())
        .collect();
    let cols =
        Columns::from_header(header.iter().map(String::as_str)).map_err(StoreError::Unreadable)?;
    let rules = Rules {
        tz: cfg.timezone,
        region: cfg.region,
        slash: cfg.slash_dates,
        now: cfg.now(),
    };
    let default_channel = cfg.sending.default_channel;
    let now = db_time(cfg.now());
    let mut counts = imports::Counts::default();
    let mut failures = Vec::new();
    // Reading and checking (CSV, phone numbers, dates) on one core while SQLite stores on the
    // other; the bounded channel keeps memory flat whatever the file's size.
    std::thread::scope(|scope| {
        let (send, receive) = std::sync::mpsc::sync_channel::<Result<Batch, csv::Error>>(8);
        let (recycle, recycled) = std::sync::mpsc::channel::<Batch>();
        let (header, cols, rules) = (&header, &cols, &rules);
        scope.spawn(move || {
            let mut record = csv::StringRecord::new();
            let mut batch = Batch::default();
            loop {
                match rdr.read_record(&mut record) {
                    Ok(false) => break,
                    Ok(true) => {
                        check_row(&record, header, cols, rules, default_channel, &mut batch)
                    }
                    Err(e) if matches!(e.kind(), csv::ErrorKind::Io(_)) => {
                        let _ = send.send(Err(e));
                        return;
                    }
                    // A malformed row (bad quoting, undecodable bytes) fails alone, not the file.
                    Err(e) => batch.rejected.push(Rejected {
                        row: e.position().map(|p| p.record() + 1).unwrap_or(0),
                        data: "{}".into(),
                        reason: format!("the row cannot be read as CSV: {e}"),
                    }),
                }
                if batch.len() == BATCH {
                    let mut next = recycled.try_recv().unwrap_or_default();
                    next.valid.clear();
                    next.rejected.clear();
                    if send.send(Ok(std::mem::replace(&mut batch, next))).is_err() {
                        return; // the storing side gave up
                    }
                }
            }
            let _ = send.send(Ok(batch));
        });
        for batch in receive {
            let batch = batch?;
            counts.total += batch.len() as i64;
            for chunk in batch.valid.chunks(appointments::INSERT_BATCH) {
                let stored = appointments::insert_batch(conn, chunk, import_id, &now)?;
                counts.successful += stored as i64;
                counts.duplicates += (chunk.len() - stored) as i64;
            }
            for r in &batch.rejected {
                imports::insert_failed_row(conn, import_id, r.row, &r.data, &r.reason)?;
                counts.failed += 1;
                if failures.len() < SHOWN_FAILURES {
                    failures.push((r.row, r.reason.clone()));
                }
            }
            // The reader may be done and gone: then the batch is simply freed here.
            let _ = recycle.send(batch);
        }
        Ok::<(), StoreError>(())
    })?;
    Ok((counts, failures))
}

/// One record against the row rules, into the batch's valid or rejected rows; the empty lines
/// spreadsheets pad exports with are skipped.
fn check_row(
    record: &csv::StringRecord,
    header: &[String],
    cols: &Columns,
    rules: &Rules,
    default_channel: crate::config::DefaultChannel,
    batch: &mut Batch,
) {
    if record.iter().all(|f| f.trim().is_empty()) {
        return;
    }
    // Rows are numbered as a spreadsheet shows them: the header is row 1.
    let row = record.position().map(|p| p.record() + 1).unwrap_or(0);
    match rules.check(cols, |i| record.get(i)) {
        Ok(appt) => {
            let ch = channel::choose(appt.text_preference, appt.phone_preference, default_channel);
            batch.valid.push(NewAppointment::new(appt, ch));
        }
        Err(reason) => batch.rejected.push(Rejected {
            row,
            data: row_json(header, record),
            reason: if record.len() != header.len() {
                format!(
                    "the row has {} fields but the header has {}; {reason}",
                    record.len(),
                    header.len()
                )
            } else {
                reason
            },
        }),
    }
}

fn csv_error(e: csv::Error) -> StoreError {
    match e.kind() {
        csv::ErrorKind::Io(_) => StoreError::Other(e.into()),
        _ => StoreError::Unreadable(format!("the header row cannot be read: {e}")),
    }
}

/// The row as stored for a person to fix: every column under its header name, extras included.
fn row_json(header: &[String], record: &csv::StringRecord) -> String {
    let mut map = serde_json::Map::new();
    for (i, value) in record.iter().enumerate() {
        let mut key = header
            .get(i)
            .filter(|h| !h.trim().is_empty())
            .cloned()
            .unwrap_or_else(|| format!("column_{}", i + 1));
        if map.contains_key(&key) {
            key = format!("{key}_{}", i + 1);
        }
        map.insert(key, serde_json::Value::String(value.to_string()));
    }
    serde_json::Value::Object(map).to_string()
}

/// Moves the file into the archive folder, owner-only, under a name no earlier file has, and
/// records where it went.
fn archive(conn: &Connection, cfg: &Config, path: &Path, import_id: i64) -> Result<PathBuf> {
    fs::create_dir_all(&cfg.archive_dir)
        .with_context(|| format!("creating the archive folder {}", cfg.archive_dir.display()))?;
    let dest = move_without_overwrite(path, &cfg.archive_dir, import_id).with_context(|| {
        format!(
            "archiving {} into {}",
            path.display(),
            cfg.archive_dir.display()
        )
    })?;
    fs::set_permissions(&dest, fs::Permissions::from_mode(0o600))
        .with_context(|| format!("making {} owner-only", dest.display()))?;
    conn.execute(
        "UPDATE imports SET file_path = ?1 WHERE id = ?2",
        rusqlite::params![dest.to_string_lossy(), import_id],
    )?;
    Ok(dest)
}

fn move_without_overwrite(src: &Path, dir: &Path, import_id: i64) -> Result<PathBuf> {
    let name = src
        .file_name()
        .context("the file has no name")?
        .to_string_lossy()
        .into_owned();
    let (stem, ext) = match name.rsplit_once('.') {
        Some((s, e)) if !s.is_empty() => (s.to_string(), format!(".{e}")),
        _ => (name.clone(), String::new()),
    };
    let mut candidates = vec![name.clone(), format!("{stem}.import-{import_id}{ext}")];
    candidates.extend((2..1000).map(|n| format!("{stem}.import-{import_id}-{n}{ext}")));
    for candidate in candidates {
        let dest = dir.join(&candidate);
        // A hard link fails if the name is taken, so a concurrent archive never overwrites.
        match fs::hard_link(src, &dest) {
            Ok(()) => {
                fs::remove_file(src)?;
                return Ok(dest);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(_) => {
                // Another filesystem: copy into a new file, then remove the original.
                match fs::OpenOptions::new()
                    .write(true)
                    .create_new(true)
                    .open(&dest)
                {
                    Ok(mut out) => {
                        let mut input = fs::File::open(src)?;
                        std::io::copy(&mut input, &mut out)?;
                        out.sync_all()?;
                        fs::remove_file(src)?;
                        return Ok(dest);
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
                    Err(e) => return Err(e.into()),
                }
            }
        }
    }
    anyhow::bail!("no free name for {name} in the archive folder")
}

/// Files waiting in the drop folder, oldest name first.
pub fn drop_folder_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => {
            return Err(e).with_context(|| format!("listing the drop folder {}", dir.display()));
        }
    };
    let mut files = Vec::new();
    for entry in entries {
        let path = entry?.path();
        let is_csv = path
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"));
        if is_csv && path.is_file() {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Used by tests to check a reader failing half-way through leaves nothing behind.
#[cfg(test)]
pub fn store_from_reader(
    conn: &mut Connection,
    cfg: &Config,
    reader: Box<dyn std::io::Read + Send>,
    survey: &csv_input::Survey,
) -> Result<imports::Counts> {
    let tx = crate::db::begin(conn)?;
    let id = imports::insert(
        &tx,
        &imports::NewImport {
            file_name: "test.csv",
            sha256: &survey.sha256,
            user_id: "test",
            started_at: "2026-11-24T00:00:00Z",
        },
        "completed",
    )?;
    let counts = match store_rows(&tx, cfg, id, csv_input::rows_from(reader, survey)) {
        Ok((c, _)) => c,
        Err(StoreError::Unreadable(w)) => anyhow::bail!(w),
        Err(StoreError::Other(e)) => return Err(e),
    };
    tx.commit()?;
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;

    struct FailsAfter(Vec<u8>, usize);
    impl Read for FailsAfter {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.1 >= self.0.len() / 2 {
                return Err(std::io::Error::other("disk went away"));
            }
            let n = buf.len().min(16).min(self.0.len() - self.1);
            buf[..n].copy_from_slice(&self.0[self.1..self.1 + n]);
            self.1 += n;
            Ok(n)
        }
    }

    #[test]
    fn an_import_leaves_foreign_keys_on() {
        let dir = tempfile::tempdir().unwrap();
        let mut conn = crate::db::open(&dir.path().join("r.db")).unwrap();
        let cfg = Config::load_with(&Default::default(), &|k| match k {
            "REMINDERS_NOW" => Some("2026-11-24T19:00:00-05:00".to_string()),
            "REMINDERS_ARCHIVE_DIR" => Some(dir.path().join("archive").display().to_string()),
            _ => None,
        })
        .unwrap();
        let csv = dir.path().join("day.csv");
        fs::write(
            &csv,
            "appointment_id,patient_id,phone_number,phone_preference,text_preference,appt_date_time\n\
             A1,P1,416-555-0101,y,n,2026-11-25 10:00\n",
        )
        .unwrap();
        let outcome = import_file(&mut conn, &cfg, &csv, "test").unwrap();
        assert_eq!(outcome.counts.successful, 1);
        let on: bool = conn
            .pragma_query_value(None, "foreign_keys", |r| r.get(0))
            .unwrap();
        assert!(on, "foreign keys stay off after the import's transaction");
    }

    #[test]
    fn a_read_failing_half_way_leaves_nothing_and_a_rerun_imports_everything() {
        let mut conn = crate::db::open_memory();
        let cfg = Config::load_with(&Default::default(), &|k| {
            (k == "REMINDERS_NOW").then(|| "2026-11-24T19:00:00-05:00".to_string())
        })
        .unwrap();
        let mut csv = String::from(
            "appointment_id,patient_id,phone_number,phone_preference,text_preference,appt_date_time\n",
        );
        for i in 0..50 {
            csv.push_str(&format!(
                "A{i},P{i},416-555-01{:02},y,n,2026-11-25 10:{:02}\n",
                i, i
            ));
        }
        let bytes = csv.into_bytes();
        let survey = csv_input::survey_reader(&mut &bytes[..]).unwrap();
        let err = store_from_reader(
            &mut conn,
            &cfg,
            Box::new(FailsAfter(bytes.clone(), 0)),
            &survey,
        )
        .unwrap_err();
        assert!(format!("{err:#}").contains("disk went away"));
        fn count(conn: &Connection, t: &str) -> i64 {
            conn.query_row(&format!("SELECT count(*) FROM {t}"), [], |r| r.get(0))
                .unwrap()
        }
        assert_eq!(
            (count(&conn, "appointments"), count(&conn, "imports")),
            (0, 0)
        );

        let counts = store_from_reader(
            &mut conn,
            &cfg,
            Box::new(std::io::Cursor::new(bytes)),
            &survey,
        )
        .unwrap();
        assert_eq!((counts.successful, counts.failed), (50, 0));
        assert_eq!(count(&conn, "appointments"), 50);
    }
}
