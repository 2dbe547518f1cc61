//! One waitlist file into the store (docs/waitlist.md): read as an export is read (encoding,
//! delimiter, title lines, slash-date order, rows that cannot be read), each row checked by
//! `domain::waitlist_entry`, and the file's entries made the whole list of each site it holds,
//! in one transaction. A waitlist is small: it is read whole before anything is written.

use std::collections::HashSet;
use std::io::BufRead;

use anyhow::{Context, Result};
use rusqlite::Connection;

use super::check::{Shape, row_json, row_texts};
use super::records::{RawRecord, Records};
use super::source::Source;
use super::survey::Survey;
use super::{Attempt, Options, Outcome, decode, layout, pipeline::Phases};
use crate::config::Config;
use crate::db::imports::{self, Counts, ImportStatus};
use crate::db::waitlist::{self as store, NewEntry};
use crate::domain::waitlist_entry::{self, EntryRules, WaitlistColumns};

/// How many failed-row reasons an import keeps for printing.
const SHOWN_FAILURES: usize = 10;

/// What the file's rows came to, before anything is stored.
struct Read {
    entries: Vec<NewEntry>,
    rejected: Vec<(u64, String, String)>,
    counts: Counts,
    unknown_languages: Vec<(String, u64)>,
}

#[allow(clippy::too_many_arguments)]
pub(super) fn import(
    conn: &mut Connection,
    cfg: &Config,
    source: &Source,
    survey: &Survey,
    new: &imports::NewImport<'_>,
    mut outcome: Outcome,
    opts: Options<'_>,
    in_drop_folder: bool,
    mut phases: Phases,
) -> Result<Attempt> {
    let encoding = survey.encoding;
    let open = || -> Result<Box<dyn BufRead + Send>> {
        Ok(decode::byte_stream(source.reader()?, encoding))
    };
    let mapping = &cfg.waitlist.columns;
    let header = match layout::find_header(
        &open,
        encoding,
        // A waitlist may come from another program than the export: its delimiter is its own.
        None,
        &|cells| waitlist_entry::resolve(cells, mapping),
        &WaitlistColumns::width,
        "the waitlist",
    )? {
        Ok(h) => h,
        Err(why) => {
            outcome.status = ImportStatus::Failed;
            outcome.note = Some(why);
            return super::finish_without_rows(
                conn,
                cfg,
                source,
                new,
                outcome,
                opts,
                in_drop_folder,
            );
        }
    };
    let (order, order_reason) = layout::slash_order_of(
        &open,
        header.delimiter,
        header.row,
        &header.columns.date_columns(),
        &cfg.csv,
        cfg.slash_dates,
        survey.has_slash,
    )?;
    phases.done("layout and date order");
    outcome.summary.delimiter = layout::delimiter_name(header.delimiter);
    outcome.summary.dates = order_reason;
    outcome.summary.absent_columns = header.columns.absent.clone();

    let sites = cfg.site_table();
    let rules = EntryRules {
        columns: &header.columns,
        sites: &sites,
        region: cfg.region,
        order,
        languages: &cfg.languages,
        imported_at: cfg.now(),
    };
    let shape = Shape {
        header_row: header.row,
        names: &header.columns.names,
        not_read: &header.columns.extra,
        delimiter: header.delimiter,
        encoding,
        what: "no waitlist",
    };
    let read = read_rows(Records::new(open()?, header.delimiter), &shape, &rules)
        .with_context(|| format!("reading {}", source.path.display()))?;
    phases.done("rows");

    // The sites this file speaks for: those of its entries; with one site, always that one
    // (a file of nobody empties the list).
    let mut held: Vec<&str> = read.entries.iter().map(|e| e.entry.site.as_str()).collect();
    if sites.is_single() {
        held.push("");
    }
    held.sort_unstable();
    held.dedup();
    let mut per_site: Vec<(String, u64)> = held.iter().map(|s| (s.to_string(), 0)).collect();
    for e in &read.entries {
        if let Some((_, n)) = per_site.iter_mut().find(|(s, _)| *s == e.entry.site) {
            *n += 1;
        }
    }

    let tx = crate::db::begin(conn)?;
    let import_id = imports::insert(&tx, new, ImportStatus::Completed)?;
    for (row, data, reason) in &read.rejected {
        imports::insert_failed_row(&tx, import_id, *row, data, reason)?;
    }
    let removed = store::replace_sites(&tx, import_id, &held, &read.entries)?;
    let summary = serde_json::json!({
        "encoding": outcome.summary.encoding,
        "delimiter": outcome.summary.delimiter,
        "dates": outcome.summary.dates,
        "waitlist": per_site.iter().map(|(site, n)| {
            serde_json::json!({"site": site, "entries": n})
        }).collect::<Vec<_>>(),
        "replaced": removed,
        "languages_not_recognised": read.unknown_languages,
    })
    .to_string();
    imports::finish(
        &tx,
        import_id,
        &imports::Finish {
            status: ImportStatus::Completed,
            counts: &read.counts,
            file_path: None,
            finished_at: cfg.now().into(),
            error: None,
            summary: Some(&summary),
        },
    )?;
    if let Err(not_now) = source.unchanged()? {
        // Rolled back: the next run imports the finished file whole.
        return Ok(Attempt::NotNow(not_now));
    }
    if opts.dry_run {
        tx.rollback()?;
    } else {
        tx.commit()
            .with_context(|| format!("saving the waitlist {}", source.path.display()))?;
    }
    phases.done("commit");

    outcome.counts = read.counts;
    outcome.failures = read
        .rejected
        .iter()
        .take(SHOWN_FAILURES)
        .map(|(row, _, reason)| (*row, reason.clone()))
        .collect();
    outcome.summary.waitlist = per_site;
    outcome.summary.languages_not_recognised = read.unknown_languages;
    outcome.summary.default_language = cfg.languages.default_pack().name().to_string();
    if !opts.dry_run {
        outcome.import_id = Some(import_id);
        super::archive_into(conn, cfg, source, import_id, in_drop_folder, &mut outcome)?;
        phases.done("archive");
    }
    phases.log(&outcome.file_name);
    Ok(Attempt::Done(Box::new(outcome)))
}

/// Every row of the file checked: entries in file order, the same patient and number again
/// counted as a duplicate, rejected rows with their reasons (phone numbers masked).
fn read_rows<R: BufRead>(
    mut records: Records<R>,
    shape: &Shape<'_>,
    rules: &EntryRules<'_>,
) -> Result<Read> {
    records.expect(shape.names.len());
    let mut out = Read {
        entries: Vec::new(),
        rejected: Vec::new(),
        counts: Counts::default(),
        unknown_languages: Vec::new(),
    };
    // A patient may wait at two sites: one entry per site, patient and number.
    let mut seen: HashSet<(String, String, String)> = HashSet::new();
    let mut rec = RawRecord::default();
    while let Some(how) = records.read_into(&mut rec)? {
        let texts = match row_texts(&rec, how, shape) {
            None => continue,
            Some(Ok(texts)) => texts,
            Some(Err(reason)) => {
                reject(&mut out, &rec, shape, reason);
                continue;
            }
        };
        out.counts.total += 1;
        match rules.check(|i| texts.get(i).map(|t| t.as_ref())) {
            Ok(entry) => {
                let key = (
                    entry.site.clone(),
                    entry.patient_id.clone(),
                    entry.phone_number.clone(),
                );
                if !seen.insert(key) {
                    out.counts.duplicates += 1;
                    continue;
                }
                if let Some(value) = &entry.unknown_language {
                    match out.unknown_languages.iter_mut().find(|(v, _)| v == value) {
                        Some((_, n)) => *n += 1,
                        None => out.unknown_languages.push((value.clone(), 1)),
                    }
                }
                out.counts.successful += 1;
                out.entries.push(NewEntry {
                    entry,
                    row: rec.row as i64,
                });
            }
            Err(reason) => {
                out.counts.total -= 1;
                reject(&mut out, &rec, shape, reason);
            }
        }
    }
    Ok(out)
}

fn reject(out: &mut Read, rec: &RawRecord, shape: &Shape<'_>, reason: String) {
    out.counts.total += 1;
    out.counts.failed += 1;
    out.rejected.push((
        rec.row,
        row_json(shape.names, rec, shape.encoding),
        crate::mask::phones_in(&reason),
    ));
}
