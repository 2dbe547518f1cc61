//! The backfill file for the clinic's system (docs/operations.md, "The backfill file"), in
//! `outbox_dir`: one CSV per local date that has freed slots, each slot a row — when and where
//! it is, what freed it, how it stands, and who took it, so the front desk books the taker and
//! releases the booking they move from.
//!
//! Written as the results files are: aside, then renamed into place, owner-only
//! (`files::replace`), every cell spreadsheet-safe.

use std::path::PathBuf;

use anyhow::{Context, Result};
use chrono::NaiveDate;
use rusqlite::Connection;

use crate::clock::Stamp;
use crate::config::Config;
use crate::db::backfill::{self, Filter, Slot};
use crate::domain::results::outbox_name;
use crate::output::spreadsheet_safe;

/// The file's columns, in order.
pub const HEADER: [&str; 11] = [
    "slot_date",
    "slot_time",
    "site",
    "provider",
    "visit_type",
    "freed_by",
    "state",
    "offers_sent",
    "taker_patient_id",
    "moves_from",
    "taken_at",
];

/// The local time (HH:MM) of a stored UTC time in `tz`.
pub fn local_time(at: Stamp, tz: chrono_tz::Tz) -> String {
    let shown = at.local(tz);
    match shown.split_once(' ') {
        Some((_, time)) => time.to_string(),
        None => shown,
    }
}

/// A slot's row, its cells in `HEADER` order (made spreadsheet-safe by the writer), times in
/// the slot's site's zone.
fn row(cfg: &Config, s: &Slot) -> [String; 11] {
    let tz = cfg.site(&s.site).tz;
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    [
        s.local_date.clone(),
        local_time(s.starts_at, tz),
        s.site.clone(),
        text(&s.provider),
        text(&s.visit_type),
        s.freed_by.clone(),
        s.state.as_str().to_string(),
        s.offers_sent.to_string(),
        text(&s.taker_patient_id),
        text(&s.taker_moves_from),
        s.taken_at.map(|t| t.local(tz)).unwrap_or_default(),
    ]
}

/// The backfill file's path for a date (and one site, or every site) in the outbox.
pub fn path(cfg: &Config, site: Option<&str>, day: NaiveDate) -> PathBuf {
    cfg.outbox_dir.join(outbox_name("backfill", site, day))
}

/// Writes the file of local date `day` (one site's slots, or every site's) into the outbox,
/// unless that date has no slot: then nothing is written and any file there stays. The path
/// and how many slots it lists.
pub fn write_day(
    cfg: &Config,
    conn: &Connection,
    site: Option<&str>,
    day: NaiveDate,
) -> Result<Option<(PathBuf, usize)>> {
    let slots = backfill::slots(
        conn,
        &Filter {
            date: Some(day.to_string()),
            site: site.map(String::from),
            ..Default::default()
        },
    )
    .with_context(|| format!("reading the freed slots of {day}"))?;
    if slots.is_empty() {
        return Ok(None);
    }
    crate::outbox::ensure_dir(&cfg.outbox_dir)?;
    let path = path(cfg, site, day);
    crate::files::replace(&path, |out| {
        let mut w = csv::Writer::from_writer(out);
        w.write_record(HEADER)?;
        for s in &slots {
            w.write_record(row(cfg, s).iter().map(|c| spreadsheet_safe(c).into_owned()))?;
        }
        w.flush()?;
        Ok(())
    })?;
    Ok(Some((path, slots.len())))
}

/// Rewrites the backfill file of each of `dates` that has slots: the every-site file and, for
/// each of `sites` (a run's `--site`s), that site's own. The paths written.
pub fn write_backfill_files(
    cfg: &Config,
    conn: &Connection,
    dates: &[NaiveDate],
    sites: &[String],
) -> Result<Vec<PathBuf>> {
    let mut written = Vec::new();
    let scopes: Vec<Option<&str>> = std::iter::once(None)
        .chain(sites.iter().map(|s| Some(s.as_str())))
        .collect();
    for day in dates {
        for scope in &scopes {
            if let Some((p, _)) = write_day(cfg, conn, *scope, *day)? {
                written.push(p);
            }
        }
    }
    Ok(written)
}

/// Rewrites the backfill file of every date with a slot that opened, sent a wave, was taken,
/// closed or booked at or after `since` (UTC RFC 3339): what the waitlist's engine calls after
/// each of its runs. `sites` as for [`write_backfill_files`].
pub fn write_touched_since(
    cfg: &Config,
    conn: &Connection,
    since: Stamp,
    sites: &[String],
) -> Result<Vec<PathBuf>> {
    let mut dates: Vec<NaiveDate> = backfill::dates_touched_since(conn, since)?
        .iter()
        .filter_map(|(_, d)| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok())
        .collect();
    dates.dedup();
    write_backfill_files(cfg, conn, &dates, sites)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::stored_at;
    use crate::db::backfill::test_support::{appointment, offer, slot};
    use crate::files::test_support::{mode, names};
    use std::fs;
    use std::os::unix::fs::PermissionsExt;

    fn config(dir: &std::path::Path) -> Config {
        let toml = dir.join("reminders.toml");
        fs::write(
            &toml,
            format!(
                "outbox_dir = {:?}\n",
                dir.join("outbox").display().to_string()
            ),
        )
        .unwrap();
        let overrides = crate::config::Overrides {
            config: Some(toml),
            ..Default::default()
        };
        Config::load_with(&overrides, &|_| None).unwrap()
    }

    fn day(d: &str) -> NaiveDate {
        NaiveDate::parse_from_str(d, "%Y-%m-%d").unwrap()
    }

    #[test]
    fn a_date_with_slots_gets_an_owner_only_formula_safe_file_replaced_whole() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = config(dir.path());
        let conn = crate::db::open_memory();
        appointment(&conn, 1, "2026-11-25T14:30:00Z");
        let s = slot(
            &conn,
            1,
            "",
            "2026-11-25T14:30:00Z",
            "2026-11-25",
            "taken",
            "2026-11-24T23:00:00Z",
            Some(("=P77", Some("A2044"), "2026-11-24T23:12:00Z")),
        );
        offer(
            &conn,
            s,
            1,
            "=P77",
            "+14165550177",
            1,
            "taken",
            "2026-11-24T23:00:00Z",
            "delivered",
        );

        // A file that was there, readable by others: replaced, and owner-only.
        let p = path(&cfg, None, day("2026-11-25"));
        crate::outbox::ensure_dir(&cfg.outbox_dir).unwrap();
        fs::write(&p, "old").unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o644)).unwrap();
        let written =
            write_backfill_files(&cfg, &conn, &[day("2026-11-25"), day("2026-11-26")], &[])
                .unwrap();
        assert_eq!(written, std::slice::from_ref(&p));
        assert_eq!(mode(&p), 0o600);
        // Nothing left aside, no file for a date without slots.
        assert_eq!(names(&cfg.outbox_dir), ["backfill-2026-11-25.csv"]);
        let text = fs::read_to_string(&p).unwrap();
        assert_eq!(
            text,
            "slot_date,slot_time,site,provider,visit_type,freed_by,state,offers_sent,\
             taker_patient_id,moves_from,taken_at\n\
             2026-11-25,09:30,,Dr Lee,check-up,A1,taken,1,'=P77,A2044,2026-11-24 18:12\n"
        );
    }

    #[test]
    fn touched_dates_are_rewritten_and_a_site_gets_its_own_file() {
        let dir = tempfile::tempdir().unwrap();
        let cfg = config(dir.path());
        let conn = crate::db::open_memory();
        appointment(&conn, 1, "2026-11-25T14:30:00Z");
        appointment(&conn, 2, "2026-11-27T14:30:00Z");
        slot(
            &conn,
            1,
            "bloor west",
            "2026-11-25T14:30:00Z",
            "2026-11-25",
            "open",
            "2026-11-24T23:00:00Z",
            None,
        );
        slot(
            &conn,
            2,
            "",
            "2026-11-27T14:30:00Z",
            "2026-11-27",
            "open",
            "2026-11-20T23:00:00Z",
            None,
        );
        let written = write_touched_since(
            &cfg,
            &conn,
            stored_at("2026-11-24T00:00:00Z"),
            &["bloor west".into()],
        )
        .unwrap();
        let names: Vec<String> = written
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(
            names,
            [
                "backfill-2026-11-25.csv",
                "backfill-bloor_west-2026-11-25.csv"
            ]
        );
    }
}
