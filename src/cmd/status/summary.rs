//! The default `status` view — one appointment day at a glance — and `--check`, which prints
//! only that day's attention list and fails when it is not empty.

use std::io::Write;

use anyhow::{Result, anyhow};
use chrono::NaiveDate;
use chrono_tz::Tz;
use rusqlite::Connection;
use serde::Serialize;

use super::{Args, Scope};
use crate::clock::{Stamp, db_time, local_display, parse_db_time};
use crate::config::Config;
use crate::db::imports::ImportRow;
use crate::db::views::{self, RunRow, StateCount};
use crate::domain::run_outcome::RunOutcome;
use chrono::Datelike;

use crate::domain::attention::{self, Item};
use crate::domain::dates;
use crate::domain::state::{self, State};
use crate::output::{self, Format, View};

/// How many of the latest imports and runs the summary lists.
const LATEST: i64 = 5;

/// The `--json` shape of the summary (documented in docs/status.md).
#[derive(Serialize)]
struct Summary<'a> {
    date: String,
    timezone: String,
    total: i64,
    counts: &'a [StateCount],
    /// The day's appointments waiting on a hold of the rules of contact, by rule.
    held: &'a [HeldCount],
    imports: &'a [ImportRow],
    runs: &'a [RunRow],
    attention: &'a [Item],
}

#[derive(Serialize)]
struct HeldCount {
    rule: String,
    count: i64,
}

pub(super) fn run(
    cfg: &Config,
    conn: &Connection,
    args: &Args,
    scope: &Scope,
    format: Format,
    out: &mut impl Write,
) -> Result<()> {
    let tz = scope.tz;
    let day = match scope.date {
        Some(d) => d,
        None => {
            let next = views::next_appointment_at(conn, Stamp::from(cfg.now()))?;
            dates::coming_day(next.as_deref().and_then(parse_db_time), cfg.now(), tz)
        }
    };
    let items = attention_items(cfg, conn, day, tz)?;
    if args.check {
        return check(day, &items, tz, format, out);
    }
    let (from, to) = dates::day_bounds(day, tz);
    let counts = views::counts(conn, &db_time(from), &db_time(to), scope.site.as_deref())?;
    let imports = crate::db::imports::list(conn, Some(LATEST), None)?;
    let runs = views::runs(conn, None, None, Some(LATEST))?;
    let total = counts.iter().map(|c| c.count).sum();
    let held: Vec<HeldCount> = crate::db::holds::waiting_by_rule(
        conn,
        &db_time(from),
        &db_time(to),
        scope.site.as_deref(),
    )?
    .into_iter()
    .map(|(rule, count)| HeldCount { rule, count })
    .collect();
    match format {
        Format::Json => {
            let s = Summary {
                date: day.to_string(),
                timezone: tz.name().to_string(),
                total,
                counts: &counts,
                held: &held,
                imports: &imports,
                runs: &runs,
                attention: &items,
            };
            serde_json::to_writer_pretty(&mut *out, &s)?;
            writeln!(out)?;
        }
        // A spreadsheet wants one table: the day's counts. Imports and runs have their own
        // views, and `--check --csv` gives the attention list.
        Format::Csv => {
            let mut w = csv::Writer::from_writer(&mut *out);
            w.write_record(["date", "state", "channel", "count"])?;
            for c in &counts {
                w.write_record([
                    day.to_string(),
                    c.state.clone(),
                    c.channel.clone(),
                    c.count.to_string(),
                ])?;
            }
            w.flush()?;
        }
        Format::Table => {
            writeln!(
                out,
                "Appointments on {} ({}): {total}",
                day.format("%a %Y-%m-%d"),
                tz.name()
            )?;
            if total > 0 {
                writeln!(out, "{}", counts_table(&counts))?;
            }
            if !held.is_empty() {
                let mut tally = crate::domain::limits::HoldCounts::default();
                for h in &held {
                    if let Some(rule) = crate::domain::limits::Rule::parse(&h.rule) {
                        tally.add(rule, h.count);
                    }
                }
                writeln!(
                    out,
                    "Held by the rules of contact: {} ({}); `reminders status appointments` says why",
                    tally.total(),
                    tally.describe(cfg.limits.caps)
                )?;
            }
            writeln!(out)?;
            output::write(out, format, &imports_view(&imports, tz, "Latest imports"))?;
            writeln!(out)?;
            output::write(out, format, &runs_view(&runs, tz, "Latest runs"))?;
            writeln!(out)?;
            if items.is_empty() {
                writeln!(out, "Needs attention: nothing")?;
            } else {
                output::write(out, format, &attention_view(&items, tz, "Needs attention"))?;
            }
        }
    }
    Ok(())
}

/// What needs a person for `day`: its appointments, the imports and runs of the evening before
/// and the day itself, and the signs of trouble of that window (docs/status.md).
fn attention_items(cfg: &Config, conn: &Connection, day: NaiveDate, tz: Tz) -> Result<Vec<Item>> {
    let (from, to) = dates::day_bounds(day, tz);
    // Only the states a person acts on, each read by the (state, time) index: a day of a
    // million appointments is not read whole to find its handful of failures.
    let mut appointments = Vec::new();
    for state in [
        State::Failed,
        State::CancelRequested,
        State::OptedOut,
        State::Expired,
    ] {
        appointments.extend(views::appointments(
            conn,
            &views::Filter {
                from: Some(db_time(from)),
                to: Some(db_time(to)),
                state: Some(state.as_str().to_string()),
                ..Default::default()
            },
        )?);
    }
    appointments.sort_by(|a, b| (&a.appt_date_time, a.id).cmp(&(&b.appt_date_time, b.id)));
    let (wfrom, wto) = dates::activity_window(day, tz);
    let (wfrom, wto) = (db_time(wfrom), db_time(wto));
    let imports = views::imports_started(conn, &wfrom, &wto)?;
    let mut runs = views::runs(conn, Some(&wfrom), Some(&wto), None)?;
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
    let before = db_time(now - chrono::Duration::minutes(30));
    let silent = crate::db::attention::silent_attempts(conn, &wfrom, &wto, &before)?;
    let free = crate::db::replies::unmatched(conn, &wfrom, &wto)?;
    let bad = crate::db::attention::bad_numbers(conn, &wfrom, &wto)?;
    let late = views::late_opt_outs(conn, &db_time(from), &db_time(to))?;
    let today = now.with_timezone(&tz).date_naive();
    let not_csv = not_csv_in_drop_folder(cfg);
    let taken = crate::db::backfill::taken_unbooked(conn, Stamp::from(now))?;
    let facts = attention::Facts {
        now,
        appointments: &appointments
            .iter()
            .map(|a| attention::Appointment {
                appointment_id: &a.appointment_id,
                patient_id: &a.patient_id,
                at: &a.appt_date_time,
                state: State::parse(&a.state).unwrap_or(State::Failed),
                attempts: a.attempt_count,
                channel: &a.channel,
            })
            .collect::<Vec<_>>(),
        imports: &imports
            .iter()
            .map(|i| attention::Import {
                id: i.id,
                file_name: &i.file_name,
                failed: i.status == "failed",
                rejected_rows: i.failed_rows,
                started_at: &i.started_at,
                error: i.error.as_deref(),
            })
            .collect::<Vec<_>>(),
        runs: &runs
            .iter()
            .map(|r| attention::Run {
                id: r.id,
                kind: &r.kind,
                started_at: &r.started_at,
                outcome: r.outcome,
                error: r.error.as_deref(),
                left_for_next: r.left_for_next,
                unresolved: r.unresolved,
                note: r.note.as_deref(),
                dispatched: r.dispatched,
            })
            .collect::<Vec<_>>(),
        last_import: views::last_import_at(conn)?
            .as_deref()
            .and_then(parse_db_time),
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
                received_at: &r.received_at,
            })
            .collect::<Vec<_>>(),
        bad_numbers: &bad
            .iter()
            .map(|b| attention::BadNumber {
                appointment_id: &b.appointment_id,
                patient_id: &b.patient_id,
                phone_masked: crate::mask::phone(&b.phone_number),
                code: b.error_code,
                at: &b.at,
                reached_later: b.reached_later,
                waitlist: b.waitlist,
            })
            .collect::<Vec<_>>(),
        late_opt_outs: &late
            .iter()
            .map(|o| attention::LateOptOut {
                appointment_id: &o.appointment_id,
                patient_id: &o.patient_id,
                at: &o.appt_date_time,
                phone_masked: crate::mask::phone(&o.phone_number),
                source: &o.source,
                words: o.words.as_deref(),
            })
            .collect::<Vec<_>>(),
        windows: &super::windows::notes(cfg, conn, now)?,
        day_start: &db_time(dates::day_bounds(today, tz).0),
        not_csv: &not_csv
            .iter()
            .map(|(path, modified_at)| attention::NotCsv { path, modified_at })
            .collect::<Vec<_>>(),
        taken_slots: &taken
            .iter()
            .map(|s| attention::TakenSlot {
                taker_patient_id: s.taker_patient_id.as_deref().unwrap_or_default(),
                at: &s.starts_at,
                local: crate::clock::local_display(&s.starts_at, cfg.site(&s.site).tz),
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

/// `--check`: silent and 0 when nothing needs attention; otherwise the list and exit 1.
fn check(
    day: NaiveDate,
    items: &[Item],
    tz: Tz,
    format: Format,
    out: &mut impl Write,
) -> Result<()> {
    if items.is_empty() {
        return Ok(());
    }
    let title = format!("Needs attention ({day})");
    if format == Format::Table && output::terminal_width().is_none() {
        // For cron's mail: plain lines of at most 80 characters, one item per paragraph.
        write!(out, "{}", plain_items(items, tz, &title))?;
    } else {
        output::write(out, format, &attention_view(items, tz, &title))?;
    }
    out.flush()?;
    Err(anyhow!("{} item(s) need attention for {day}", items.len()))
}

/// The attention list as a mail reads it: a title, then per item its kind, subject and time on
/// one line and what to do, indented, below — every line at most 80 characters.
fn plain_items(items: &[Item], tz: Tz, title: &str) -> String {
    let mut out = output::paragraph(&format!("{title}: {} item(s)", items.len()), 80, "");
    out.push('\n');
    for i in items {
        out.push('\n');
        let head = format!("{} — {} — {}", i.kind, i.subject, local_display(&i.at, tz));
        out.push_str(&output::paragraph(&head, 80, ""));
        out.push('\n');
        out.push_str(&output::paragraph(&i.detail, 80, "    "));
        out.push('\n');
    }
    out
}

/// States down, channels across, totals on both.
fn counts_table(counts: &[StateCount]) -> String {
    let mut channels: Vec<&str> = vec!["call", "sms"];
    if counts.iter().any(|c| c.channel == "none") {
        channels.push("none");
    }
    let get = |state: &str, channel: &str| -> i64 {
        counts
            .iter()
            .filter(|c| c.state == state && (channel.is_empty() || c.channel == channel))
            .map(|c| c.count)
            .sum()
    };
    let mut rows = Vec::new();
    // States in the order an appointment moves through them; unknown words last.
    let mut states: Vec<String> = state::ALL
        .iter()
        .map(|s| s.as_str().to_string())
        .filter(|s| counts.iter().any(|c| &c.state == s))
        .collect();
    for c in counts {
        if !states.contains(&c.state) {
            states.push(c.state.clone());
        }
    }
    for s in &states {
        let mut row = vec![s.clone()];
        row.extend(channels.iter().map(|ch| get(s, ch).to_string()));
        row.push(get(s, "").to_string());
        rows.push(row);
    }
    let mut total = vec!["total".to_string()];
    for ch in &channels {
        let n: i64 = counts
            .iter()
            .filter(|c| c.channel == *ch)
            .map(|c| c.count)
            .sum();
        total.push(n.to_string());
    }
    total.push(counts.iter().map(|c| c.count).sum::<i64>().to_string());
    rows.push(total);
    let mut header = vec!["state"];
    header.extend(&channels);
    header.push("total");
    output::table(&header, &rows)
}

pub(super) fn imports_view<'a>(
    records: &'a [ImportRow],
    tz: Tz,
    title: &'a str,
) -> View<'a, ImportRow> {
    let rows = records
        .iter()
        .map(|i| {
            vec![
                i.id.to_string(),
                i.file_name.clone(),
                i.kind.clone(),
                i.status.clone(),
                i.total_rows.to_string(),
                i.successful_rows.to_string(),
                i.duplicate_rows.to_string(),
                i.failed_rows.to_string(),
                i.user_id.clone(),
                local_display(&i.started_at, tz),
                output::opt(&i.error),
            ]
        })
        .collect();
    View {
        title,
        header: &[
            "id",
            "file",
            "kind",
            "status",
            "rows",
            "stored",
            "duplicates",
            "failed",
            "user",
            "started",
            "note",
        ],
        rows,
        records,
        hide: &["user", "rows", "duplicates", "started", "kind"],
    }
}

pub(super) fn runs_view<'a>(records: &'a [RunRow], tz: Tz, title: &'a str) -> View<'a, RunRow> {
    let rows = records
        .iter()
        .map(|r| {
            vec![
                r.id.to_string(),
                r.kind.clone(),
                local_display(&r.started_at, tz),
                r.finished_at
                    .as_deref()
                    .map(|t| local_display(t, tz))
                    .unwrap_or_else(|| "(not finished)".into()),
                r.selected.to_string(),
                r.dispatched.to_string(),
                r.failed.to_string(),
                r.skipped.to_string(),
                r.outcome
                    .map(RunOutcome::as_str)
                    .unwrap_or_default()
                    .to_string(),
                output::opt(&r.error),
            ]
        })
        .collect();
    View {
        title,
        header: &[
            "id", "kind", "started", "finished", "selected", "sent", "failed", "skipped",
            "outcome", "error",
        ],
        rows,
        records,
        hide: &["finished", "skipped", "selected"],
    }
}

fn attention_view<'a>(items: &'a [Item], tz: Tz, title: &'a str) -> View<'a, Item> {
    let rows = items
        .iter()
        .map(|i| {
            vec![
                i.kind.to_string(),
                i.subject.clone(),
                local_display(&i.at, tz),
                i.detail.clone(),
            ]
        })
        .collect();
    View {
        title,
        header: &["kind", "subject", "at", "detail"],
        rows,
        records: items,
        hide: &[],
    }
}
