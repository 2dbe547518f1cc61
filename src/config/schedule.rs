//! `[schedule]`: the reminder touches, one message per number, the days an export is due, and
//! the day's windows (`send`, `retry`, `catch_up_minutes`) that `reminders run` keeps.

use anyhow::Result;

use super::layers::Layers;
use super::values::{boolean, whole};
use crate::domain::schedule::MAX_DAYS_BEFORE;
use crate::domain::schedule::RunKind;
use crate::domain::windows::{Day, Window};
use crate::exit::usage;

/// `[schedule]` (docs/behaviour.md, "The schedule and its touches", "Windows and catch-up").
#[derive(Clone, Debug)]
pub struct Schedule {
    pub touches: crate::domain::schedule::Touches,
    /// One message per number per run (docs/behaviour.md, "Combining").
    pub combine: bool,
    /// The days an export is expected (`status --check` flags a missing one).
    pub expect_files: Vec<chrono::Weekday>,
    /// The send and retry windows, local times of each site's zone.
    pub day: Day,
    /// How long after its time a window that did not run is still run.
    pub catch_up: chrono::Duration,
}

/// `19:00`, `9:00`, `19:45:00`.
fn clock_time(s: &str) -> std::result::Result<chrono::NaiveTime, String> {
    chrono::NaiveTime::parse_from_str(s.trim(), "%H:%M")
        .or_else(|_| chrono::NaiveTime::parse_from_str(s.trim(), "%H:%M:%S"))
        .map_err(|_| format!("{s:?} is not a time of day like \"19:00\""))
}

fn windows(l: &Layers<'_>) -> Result<Day> {
    let bad = |key: &str, why: String| usage(format!("configuration key `schedule.{key}`: {why}"));
    let send = match l.words("schedule.send")? {
        None => vec!["19:00".to_string()],
        Some(w) => w,
    };
    let retry = match l.words("schedule.retry")? {
        None => vec!["19:45".to_string(), "09:00".to_string()],
        Some(w) => w,
    };
    let mut all = Vec::new();
    for (key, kind, times) in [
        ("send", RunKind::Send, &send),
        ("retry", RunKind::Retry, &retry),
    ] {
        for t in times {
            all.push(Window {
                kind,
                at: clock_time(t).map_err(|why| bad(key, why))?,
            });
        }
    }
    if send.is_empty() {
        return Err(bad("send", "needs a time, e.g. \"19:00\"".into()));
    }
    Day::new(all).ok_or_else(|| {
        bad(
            "send",
            "two windows (send or retry) have the same time: give each its own".into(),
        )
    })
}

pub(super) fn schedule(l: &Layers<'_>) -> Result<Schedule> {
    let source = |key: &str| {
        l.value(key)
            .map_or_else(|| "the defaults".to_string(), |(_, s)| s.to_string())
    };
    let days_before = match l.value("schedule.days_before") {
        None => vec![1],
        Some((v, _)) => v
            .as_array()
            .and_then(|items| {
                items
                    .iter()
                    .map(|i| i.as_integer().and_then(|n| u32::try_from(n).ok()).filter(|n| *n <= MAX_DAYS_BEFORE))
                    .collect::<Option<Vec<u32>>>()
            })
            .ok_or_else(|| {
                usage(format!(
                    "configuration key `schedule.days_before` from {}: must be a list of whole numbers of days from 0 to {MAX_DAYS_BEFORE}, e.g. [3, 1]",
                    source("schedule.days_before")
                ))
            })?,
    };
    let touches = crate::domain::schedule::Touches::new(&days_before).ok_or_else(|| {
        usage(format!(
            "configuration key `schedule.days_before` from {}: needs at least one entry, e.g. [1]",
            source("schedule.days_before")
        ))
    })?;
    let expect_files = match l.words("schedule.expect_files")? {
        None => all_days(),
        Some(days) => days
            .iter()
            .map(|d| {
                d.trim().parse::<chrono::Weekday>().map_err(|_| {
                    usage(format!(
                        "configuration key `schedule.expect_files`: {d:?} is not a day (mon, tue, wed, thu, fri, sat, sun)"
                    ))
                })
            })
            .collect::<Result<Vec<_>>>()?,
    };
    Ok(Schedule {
        touches,
        combine: l.get("schedule.combine", true, boolean)?,
        expect_files,
        day: windows(l)?,
        catch_up: chrono::Duration::minutes(l.get(
            "schedule.catch_up_minutes",
            60,
            whole(0i64, 24 * 60),
        )?),
    })
}

fn all_days() -> Vec<chrono::Weekday> {
    use chrono::Weekday::*;
    vec![Mon, Tue, Wed, Thu, Fri, Sat, Sun]
}
