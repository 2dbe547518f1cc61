//! Gathers what `status --check` and the summary's attention list read: the day's
//! appointments, the evening's imports and runs, and the signs of trouble of that window, for
//! `domain::attention` to turn into items.

use anyhow::Result;
use chrono::{Datelike, NaiveDate};
use chrono_tz::Tz;
use rusqlite::Connection;

use crate::clock::{Stamp, db_time};
use crate::config::Config;
use crate::db::imports::ImportStatus;
use crate::db::views;
use crate::domain::attention::{self, Item};
use crate::domain::dates;
use crate::domain::run_outcome::RunOutcome;
use crate::domain::state::State;

/// What needs a person for `day`: its appointments, the imports and runs of the evening before
/// and the day itself, and the signs of trouble of that window (docs/status.md).
pub(super) fn attention_items(
    cfg: &Config,
    conn: &Connection,
    day: NaiveDate,
    tz: Tz,
) -> Result<Vec<Item>> {
    let (from, to) = dates::day_bounds(day, tz);
    // Only the states a person acts on, each read by the (state, time) index: a day of a
    // million appointments is not read whole to find its handful of failures. Each row is kept
    // with the state it was read for.
    let mut appointments = Vec::new();
    for state in [
        State::Failed,
        State::CancelRequested,
        State::OptedOut,
        State::Expired,
    ] {
        appointments.extend(
            views::appointments(
                conn,
                &views::Filter {
                    from: Some(from.into()),
                    to: Some(to.into()),
                    state: Some(state.as_str().to_string()),
                    ..Default::default()
                },
            )?
            .into_iter()
            .map(|a| (state, a)),
        );
    }
    appointments
        .sort_by(|(_, a), (_, b)| (&a.appt_date_time, a.id).cmp(&(&b.appt_date_time, b.id)));
    let (wfrom, wto) = dates::activity_window(day, tz);
    let (wfrom, wto) = (Stamp::from(wfrom), Stamp::from(wto));
    let imports = views::imports_started(conn, wfrom, wto)?;
    let mut runs = views::runs(conn, Some(wfrom), Some(wto), None)?;
    // A refusal clears once a later run of the same kind for the same sites got past it.
    let superseded: Vec<i64> = runs
        .iter()
        .filter(|r| r.outcome == Some(RunOutcome::Refused))
        .filter(|r| {
            runs.iter().any(|later| {
                later.id > r.id
                    && later.kind == r.kind
                    && later.sites == r.sites
                    && later.outcome != Some(RunOutcome::Refused)
            })
        })
        .map(|r| r.id)
        .collect();
    runs.retain(|r| !superseded.contains(&r.id));
    let now = cfg.now();
    let before = Stamp::from(now - chrono::Duration::minutes(30));
    let silent = crate::db::attention::silent_attempts(conn, wfrom, wto, before)?;
    let free = crate::db::replies::unmatched(conn, wfrom, wto)?;
    let bad = crate::db::attention::bad_numbers(conn, wfrom, wto)?;
    let late = views::late_opt_outs(conn, from.into(), to.into())?;
    let today = now.with_timezone(&tz).date_naive();
    let not_csv = not_csv_in_drop_folder(cfg);
    let taken = crate::db::backfill::taken_unbooked(conn, Stamp::from(now))?;
    let facts = attention::DayFacts {
        now,
        appointments: &appointments
            .iter()
            .map(|(state, a)| attention::Appointment {
                appointment_id: &a.appointment_id,
                patient_id: &a.patient_id,
                at: a.appt_date_time,
                state: *state,
                attempts: a.attempt_count,
                channel: a.channel,
            })
            .collect::<Vec<_>>(),
        imports: &imports
            .iter()
            .map(|i| attention::Import {
                id: i.id,
                file_name: &i.file_name,
                failed: i.status == ImportStatus::Failed,
                rejected_rows: i.failed_rows,
                started_at: i.started_at,
                error: i.error.as_deref(),
            })
            .collect::<Vec<_>>(),
        runs: &runs
            .iter()
            .map(|r| attention::Run {
                id: r.id,
                kind: r.kind,
                started_at: r.started_at,
                outcome: r.outcome,
                error: r.error.as_deref(),
                left_for_next: r.left_for_next,
                unresolved: r.unresolved,
                note: r.note.as_deref(),
                dispatched: r.dispatched,
            })
            .collect::<Vec<_>>(),
        last_import: views::last_import_at(conn)?.map(|at| at.instant()),
        export_expected_today: cfg.schedule.expect_files.contains(&today.weekday()),
        silence: attention::Silence {
            silent: silent.silent,
            silent_open: silent.silent_open,
            heard: silent.heard,
            oldest: silent.oldest_silent.as_deref(),
        },
        free_text: &free
            .iter()
            .map(|r| attention::FreeText {
                phone_masked: crate::mask::phone(&r.phone_number),
                body: &r.body,
                appointment_id: r.appointment_id.as_deref(),
                received_at: r.received_at,
            })
            .collect::<Vec<_>>(),
        bad_numbers: &bad
            .iter()
            .map(|b| attention::BadNumber {
                appointment_id: &b.appointment_id,
                patient_id: &b.patient_id,
                phone_masked: crate::mask::phone(&b.phone_number),
                code: b.error_code,
                at: b.at,
                reached_later: b.reached_later,
                waitlist: b.waitlist,
            })
            .collect::<Vec<_>>(),
        late_opt_outs: &late
            .iter()
            .map(|o| attention::LateOptOut {
                appointment_id: &o.appointment_id,
                patient_id: &o.patient_id,
                at: o.appt_date_time,
                phone_masked: crate::mask::phone(&o.phone_number),
                source: &o.source,
                words: o.words.as_deref(),
            })
            .collect::<Vec<_>>(),
        windows: &super::windows::notes(cfg, conn, now)?,
        day_start: Stamp::from(dates::day_bounds(today, tz).0),
        not_csv: &not_csv
            .iter()
            .map(|(path, modified_at)| attention::NotCsv { path, modified_at })
            .collect::<Vec<_>>(),
        taken_slots: &taken
            .iter()
            .map(|s| attention::TakenSlot {
                taker_patient_id: s.taker_patient_id.as_deref().unwrap_or_default(),
                at: s.starts_at,
                local: s.starts_at.local(cfg.site(&s.site).tz),
                site: &s.site,
                moves_from: s.taker_moves_from.as_deref(),
            })
            .collect::<Vec<_>>(),
    };
    Ok(attention::items(&facts))
}

/// The files in the drop folder no import takes, with when each was last modified. A drop
/// folder that cannot be listed is left to `import` to report: `status` only reads.
fn not_csv_in_drop_folder(cfg: &Config) -> Vec<(String, String)> {
    let found = match crate::import::drop_folder_files(&cfg.csv_dir, &|name| {
        cfg.waitlist.is_waitlist_file(name)
    }) {
        Ok(found) => found,
        Err(e) => {
            log::debug!("the drop folder was not looked at: {e:#}");
            return Vec::new();
        }
    };
    found
        .not_csv
        .iter()
        .map(|p| {
            let modified = std::fs::symlink_metadata(p)
                .and_then(|m| m.modified())
                .map(|t| db_time(t.into()))
                .unwrap_or_default();
            (p.display().to_string(), modified)
        })
        .collect()
}
