//! The default `status` view — one appointment day at a glance — and `--check`, which prints
//! only that day's attention list and fails when it is not empty.

use std::io::Write;

use anyhow::{Result, anyhow};
use chrono::NaiveDate;
use chrono_tz::Tz;
use rusqlite::Connection;
use serde::Serialize;

use super::{Args, Scope};
use crate::clock::{Stamp, local_display};
use crate::config::Config;
use crate::db::imports::ImportRow;
use crate::db::views::{self, RunRow, StateCount};
use crate::domain::channel::Channel;
use crate::domain::run_outcome::RunOutcome;

use crate::domain::attention::Item;
use crate::domain::dates;
use crate::domain::state::{self, State};
use crate::output::{self, Format, View};

use super::attention::attention_items;

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
            dates::coming_day(next.map(|at| at.instant()), cfg.now(), tz)
        }
    };
    let items = attention_items(cfg, conn, day, tz)?;
    if args.check {
        return check(day, &items, tz, format, out);
    }
    let (from, to) = dates::day_bounds(day, tz);
    let counts = views::counts(conn, from.into(), to.into(), scope.site.as_deref())?;
    let imports = crate::db::imports::list(conn, Some(LATEST), None)?;
    let runs = views::runs(conn, None, None, Some(LATEST))?;
    let total = counts.iter().map(|c| c.count).sum();
    let held: Vec<HeldCount> =
        crate::db::holds::waiting_by_rule(conn, from.into(), to.into(), scope.site.as_deref())?
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
                    c.state.as_str().to_string(),
                    c.channel.as_str().to_string(),
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
    let mut channels = vec![Channel::Call, Channel::Sms];
    if counts.iter().any(|c| c.channel == Channel::None) {
        channels.push(Channel::None);
    }
    // `None` for every channel.
    let get = |state: State, channel: Option<Channel>| -> i64 {
        counts
            .iter()
            .filter(|c| c.state == state && channel.is_none_or(|ch| c.channel == ch))
            .map(|c| c.count)
            .sum()
    };
    let mut rows = Vec::new();
    // States in the order an appointment moves through them.
    for &s in state::ALL
        .iter()
        .filter(|s| counts.iter().any(|c| c.state == **s))
    {
        let mut row = vec![s.as_str().to_string()];
        row.extend(channels.iter().map(|&ch| get(s, Some(ch)).to_string()));
        row.push(get(s, None).to_string());
        rows.push(row);
    }
    let mut total = vec!["total".to_string()];
    for &ch in &channels {
        let n: i64 = counts
            .iter()
            .filter(|c| c.channel == ch)
            .map(|c| c.count)
            .sum();
        total.push(n.to_string());
    }
    total.push(counts.iter().map(|c| c.count).sum::<i64>().to_string());
    rows.push(total);
    let mut header = vec!["state"];
    header.extend(channels.iter().map(|c| c.as_str()));
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
                i.kind.as_str().to_string(),
                i.status.as_str().to_string(),
                i.total_rows.to_string(),
                i.successful_rows.to_string(),
                i.duplicate_rows.to_string(),
                i.failed_rows.to_string(),
                i.user_id.clone(),
                i.started_at.local(tz),
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
                r.kind.to_string(),
                r.started_at.local(tz),
                r.finished_at
                    .map(|t| t.local(tz))
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
