//! Reading and storing a file's rows: checking on one core while SQLite stores on the other,
//! in one transaction, a bulk load rebuilding the secondary indexes after.

use std::io::BufRead;

use anyhow::{Context, Result};
use rusqlite::Connection;

use super::check::{self, Checker, Item};
use super::records::{RawRecord, Records};
use super::source::{NotNow, Source};
use super::store::{self, Store};
use super::{Options, Summary, layout, survey};
use crate::clock::Stamp;
use crate::config::Config;
use crate::db::{self, appointments, imports};
use crate::domain::row::RowContext;
use imports::ImportStatus;

/// How long each step of an import took, logged at info level (`-v`): where a slow import
/// spends its time, without a profiler.
pub(super) struct Phases {
    last: std::time::Instant,
    took: Vec<(&'static str, std::time::Duration)>,
}

impl Phases {
    pub(super) fn start() -> Phases {
        Phases {
            last: std::time::Instant::now(),
            took: Vec::new(),
        }
    }

    /// The step just finished.
    pub(super) fn done(&mut self, step: &'static str) {
        let now = std::time::Instant::now();
        self.took.push((step, now - self.last));
        self.last = now;
    }

    pub(super) fn log(&self, file: &str) {
        let said: Vec<String> = self
            .took
            .iter()
            .map(|(step, d)| format!("{step} {:.2} s", d.as_secs_f64()))
            .collect();
        log::info!("{file}: {}", said.join(", "));
    }
}

/// Rows per batch between the reading and the storing threads, and the most memory a batch's
/// rows may hold: a batch of 512 ordinary rows is about 200 KiB; rows near the size cap are cut
/// into smaller batches, so what is in flight between the threads (a few batches) stays a few
/// MiB whatever the rows.
const BATCH: usize = 512;
const BATCH_BYTES: usize = 1024 * 1024;

pub(super) struct Stored {
    pub import_id: Option<i64>,
    pub tally: store::Tally,
    pub unknown_languages: Vec<(String, u64)>,
    pub spoken_fallbacks: Vec<(String, String, u64)>,
    pub not_in_export: u64,
    /// Taken waitlist slots whose taker this file lists at the slot's time: now booked.
    pub booked: u64,
}

#[allow(clippy::too_many_arguments)]
pub(super) fn store_file<R: BufRead + Send>(
    conn: &mut Connection,
    cfg: &Config,
    new: &imports::NewImport<'_>,
    records: Records<R>,
    rules: &RowContext<'_>,
    layout: &layout::Layout,
    encoding: survey::Encoding,
    // A bulk load: the secondary indexes are built again after the rows, not row by row.
    bulk: bool,
    source: &Source,
    opts: Options<'_>,
    lines: u64,
    again: bool,
    how_read: &Summary,
    phases: &mut Phases,
) -> Result<std::result::Result<Stored, NotNow>> {
    let tx = db::begin(conn)?;
    let import_id = imports::insert(&tx, new, ImportStatus::Completed)?;
    let data_keys: Vec<&str> = (layout.columns.data.iter())
        .map(|&i| layout.columns.keys[i].as_str())
        .collect();
    if !data_keys.is_empty() {
        imports::set_data_keys(&tx, import_id, &data_keys)?;
    }
    let rebuild = if bulk {
        appointments::drop_secondary_indexes(&tx)?
    } else {
        Vec::new()
    };
    let now = Stamp::from(cfg.now());
    let progress = |rows: u64| {
        if let Some(p) = opts.progress {
            p(rows, lines);
        }
    };
    // The store's kept statements borrow the transaction: they are done with before it is.
    let (seen, tally) = {
        let mut store = Store {
            conn: &tx,
            batches: appointments::Batches::new(&tx)?,
            import_id,
            now,
            snapshot: cfg.csv.snapshot,
            again,
            tally: store::Tally::default(),
        };
        let seen = pipeline(records, rules, layout, encoding, &mut store, &progress)?;
        (seen, store.tally)
    };
    phases.done("rows");
    appointments::rebuild_indexes(&tx, &rebuild)
        .context("rebuilding an index after a bulk load")?;
    if !rebuild.is_empty() {
        phases.done("index rebuild");
    }
    let mut not_in_export = 0;
    if cfg.csv.snapshot {
        let sites = cfg.site_table();
        for ((site, day), _) in seen.days.iter() {
            let (from, to) = crate::domain::dates::day_bounds(day, sites.zone(site));
            // Only what is still ahead: an appointment earlier today may be listed by a row
            // that failed as past, and one gone by is history, not the export's to withdraw.
            let from = from.max(cfg.now());
            not_in_export +=
                appointments::withdraw_unlisted(&tx, site, from.into(), to.into(), import_id, now)?
                    as u64;
        }
    }
    // A waiting patient who took a freed slot, now listed at its time: the clinic booked them.
    let booked = crate::db::waitlist::mark_booked(&tx, import_id, now)? as u64;
    if let Err(not_now) = source.unchanged()? {
        // Rolled back: the next run imports the finished file whole.
        return Ok(Err(not_now));
    }
    let summary = serde_json::json!({
        "encoding": how_read.encoding,
        "delimiter": how_read.delimiter,
        "dates": how_read.dates,
        "per_day": tally.per_day.iter().map(|((site, date), count)| {
            serde_json::json!({"site": site, "date": date, "count": count})
        }).collect::<Vec<_>>(),
        "languages_not_recognised": seen.unknown_languages,
        "text_only_languages": seen.spoken_fallbacks,
        "moved": tally.moved,
        "not_in_export": not_in_export,
        "marked_no_show": tally.marked_no_show,
        "slots_booked": booked,
    })
    .to_string();
    imports::finish(
        &tx,
        import_id,
        &imports::Finish {
            status: ImportStatus::Completed,
            counts: &tally.counts,
            file_path: None,
            finished_at: cfg.now().into(),
            error: None,
            summary: Some(&summary),
        },
    )?;
    phases.done("snapshot and summary");
    if opts.dry_run {
        tx.rollback()?;
    } else {
        tx.commit()
            .with_context(|| format!("saving the import of {}", source.path.display()))?;
    }
    phases.done("commit");
    Ok(Ok(Stored {
        import_id: (!opts.dry_run).then_some(import_id),
        tally,
        unknown_languages: seen.unknown_languages,
        spoken_fallbacks: seen.spoken_fallbacks,
        not_in_export,
        booked,
    }))
}

/// Reading and checking (CSV, phone numbers, dates) on one core while SQLite stores on the
/// other; the bounded channel keeps memory flat whatever the file's size.
fn pipeline<R: BufRead + Send>(
    mut records: Records<R>,
    rules: &RowContext<'_>,
    layout: &layout::Layout,
    encoding: survey::Encoding,
    store: &mut Store<'_>,
    progress: &dyn Fn(u64),
) -> Result<check::Seen> {
    std::thread::scope(|scope| {
        let (send, receive) = std::sync::mpsc::sync_channel::<std::io::Result<Vec<Item>>>(8);
        // Stored batches travel back, so the reading thread also frees what it allocated:
        // freeing on the storing thread took glibc's cross-thread path and cost that thread
        // about a tenth of its time.
        let (recycle, recycled) = std::sync::mpsc::channel::<Vec<Item>>();
        let reader = scope.spawn(move || {
            let mut checker = Checker {
                rules,
                layout,
                encoding,
                seen: check::Seen::default(),
            };
            records.expect(layout.columns.width());
            let mut rec = RawRecord::default();
            let mut batch = Vec::with_capacity(BATCH);
            let mut batch_bytes = 0;
            loop {
                match records.read_into(&mut rec) {
                    Ok(None) => break,
                    Ok(Some(read)) => {
                        if let Some(item) = checker.item(&rec, read) {
                            batch_bytes += item.heap_bytes();
                            batch.push(item);
                        }
                    }
                    Err(e) => {
                        let _ = send.send(Err(e));
                        return checker.seen;
                    }
                }
                if batch.len() == BATCH || batch_bytes >= BATCH_BYTES {
                    batch_bytes = 0;
                    let mut next = recycled.try_recv().unwrap_or_default();
                    next.clear();
                    if send.send(Ok(std::mem::replace(&mut batch, next))).is_err() {
                        return checker.seen; // the storing side gave up
                    }
                }
            }
            let _ = send.send(Ok(batch));
            checker.seen
        });
        let mut result = Ok(());
        for batch in receive {
            let stored = batch
                .map_err(anyhow::Error::from)
                .and_then(|mut b| store.batch(&mut b).map(|()| b));
            match stored {
                // The reader may be done and gone: then the batch is simply freed here.
                Ok(b) => {
                    progress(store.tally.counts.total as u64);
                    drop(recycle.send(b));
                }
                Err(e) => {
                    result = Err(e);
                    break;
                }
            }
        }
        drop(recycle);
        let seen = reader
            .join()
            .map_err(|_| anyhow::anyhow!("the reading thread panicked"))?;
        result.map(|()| seen)
    })
}
